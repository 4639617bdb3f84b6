"""Every rule's bad examples must fire exactly where `# expect:` says; its good examples must not fire."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import expected_markers, write_repo

from auditor.audit import audit, load_all_rules
from auditor.engine.rules import Rule

RULES = load_all_rules()
CASES = [
    pytest.param(rule, kind, index, id=f"{rule.id}-{rule.slug}-{kind}{index}")
    for rule in RULES
    for kind in ("bad", "good")
    for index in range(len(getattr(rule, kind)))
]


def _found(rule: Rule, root: Path) -> set[tuple[str, str, int]]:
    result = audit(root, rules=[rule])
    return {(f.rule_id, f.location.path, f.location.line) for f in result.findings}


@pytest.mark.parametrize(("rule", "kind", "index"), CASES)
def test_example(rule: Rule, kind: str, index: int, tmp_path: Path) -> None:
    example = getattr(rule, kind)[index]
    root = write_repo(tmp_path, example.files)
    expected = {m for m in expected_markers(example.files) if m[0] == rule.id}
    if kind == "bad":
        assert expected, f"{rule.id} bad example {index} has no `expect: {rule.id}` marker"
    else:
        assert not expected, f"{rule.id} good example {index} must not expect findings"
    assert _found(rule, root) == expected
