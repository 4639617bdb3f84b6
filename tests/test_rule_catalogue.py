"""The catalogue stays honest: ids, headings, examples, no duplicate names."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.audit import load_all_rules
from auditor.checks import CHECK_NAMES, TEMPLATE_NAMES, check_functions, known_checks, template_functions
from auditor.engine.rules import CATEGORIES, DOC_HEADINGS, RuleError, load_rules, parse_rule

RULES = load_all_rules()


def test_catalogue_covers_every_category() -> None:
    assert {rule.category for rule in RULES} == set(CATEGORIES)


def test_ids_slugs_unique() -> None:
    names = [n for rule in RULES for n in (rule.id, rule.slug, *rule.aliases)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_complete(rule) -> None:
    for heading in DOC_HEADINGS:
        assert rule.docs[heading], heading
    assert rule.bad and rule.good
    assert Path(rule.path).name.startswith(f"{rule.id}-{rule.slug}")


def test_every_named_check_is_used() -> None:
    used = {rule.check.get("function") for rule in RULES}
    assert set(known_checks()) <= used


def test_check_names_are_the_registered_functions() -> None:
    """The names rules are validated against are exactly what the category modules register."""
    assert list(check_functions()) == known_checks()
    assert len(known_checks()) == len(set(known_checks()))
    assert list(template_functions()) == list(TEMPLATE_NAMES)
    assert set(CHECK_NAMES) == set(CATEGORIES)


def _base() -> dict:
    return {
        "id": "STATE999",
        "slug": "local-thing",
        "category": "state",
        "severity": "high",
        "title": "t",
        "docs": dict.fromkeys(DOC_HEADINGS, "x"),
        "check": {"template": "require-attribute", "attribute": "a", "message": "m"},
        "examples": {"bad": [{"files": {"a": "b"}}], "good": [{"files": {"a": "b"}}]},
    }


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"id": "AVAIL001"}, "id must be STATE"),
        ({"category": "speed"}, "category 'speed'"),
        ({"severity": "urgent"}, "severity 'urgent'"),
        ({"slug": "ensure-sessions"}, "kebab-case"),
        ({"docs": {"what": "x"}}, "why"),
        ({"check": {"function": "nope"}}, "not a known check"),
        ({"examples": {"bad": [], "good": [{"files": {"a": "b"}}]}}, "at least one example"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_malformed_rules_fail_loudly(change: dict, complaint: str) -> None:
    with pytest.raises(RuleError, match=complaint):
        parse_rule({**_base(), **change}, "rules/x.yaml", known_checks(), TEMPLATE_NAMES)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    import yaml

    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(_base()), encoding="utf-8")
    with pytest.raises(RuleError, match="already used"):
        load_rules([tmp_path], known_checks(), TEMPLATE_NAMES)


def test_generated_rule_docs_are_in_sync() -> None:
    from auditor.report.ruledocs import catalogue_markdown

    docs = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == catalogue_markdown(RULES), (
        "docs/rules.md is stale: run `audit rules --format markdown > docs/rules.md`"
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_explain_renders_every_heading(rule) -> None:
    from auditor.report.ruledocs import rule_markdown

    text = rule_markdown(rule)
    for heading in ("What it flags", "Why it hurts at scale", "How to fix", "Example", "Use instead", "Options",
                    "References", "Tested examples"):
        assert f"### {heading}" in text
