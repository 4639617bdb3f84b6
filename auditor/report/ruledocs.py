"""A rule's documentation as Markdown, from its rule file: `audit explain`, `docs/rules.md` and SARIF help.

The headings are fixed (STYLE.md) and written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from auditor.engine.rules import HEADING_TITLES, Rule

_FENCE_LANG = {
    ".tf": "hcl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".py": "python",
    ".json": "json",
    ".properties": "properties",
    ".conf": "nginx",
    ".env": "bash",
}


def _text(value: object) -> str:
    if isinstance(value, dict):
        return "\n".join(f"- **{fmt}**: {str(text).strip()}" for fmt, text in value.items())
    if isinstance(value, list):
        return "\n".join(f"- {item}" for item in value)
    return str(value).strip()


def _language(name: str) -> str:
    path = PurePosixPath(name)
    if path.name.startswith(".env"):
        return "bash"
    return _FENCE_LANG.get(path.suffix, "")


def _examples_markdown(rule: Rule) -> str:
    parts = []
    for kind, examples in (("Bad", rule.bad), ("Good", rule.good)):
        for index, example in enumerate(examples, start=1):
            note = f" — {example.note}" if example.note else ""
            parts.append(f"**{kind} example {index}**{note}\n")
            for name, text in example.files.items():
                parts.append(f"`{name}`\n\n```{_language(name)}\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def _heading(rule: Rule) -> str:
    return f"{rule.id} `{rule.slug}`: {rule.title}"


def anchor(rule: Rule) -> str:
    """GitHub's anchor for a rule's heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", _heading(rule).lower())
    return text.replace(" ", "-")


def rule_markdown(rule: Rule, with_examples: bool = True) -> str:
    """One rule's page: title line, metadata, then the fixed headings in order."""
    lines = [
        f"## {_heading(rule)}",
        "",
        f"Category **{rule.category}** · default severity **{rule.severity}** · status {rule.status}"
        + (f" · aliases {', '.join(rule.aliases)}" if rule.aliases else ""),
        "",
    ]
    for heading in ("what", "why", "fix", "example", "use_instead"):
        lines += [f"### {HEADING_TITLES[heading]}", "", _text(rule.docs[heading]), ""]
    lines += [f"### {HEADING_TITLES['options']}", ""]
    if rule.options:
        lines += [f"- `{o.name}` ({o.type}, default `{o.default}`): {o.doc}" for o in rule.options]
    else:
        lines.append("None.")
    lines += ["", f"### {HEADING_TITLES['references']}", "", _text(rule.docs["references"]), ""]
    if with_examples:
        lines += ["### Tested examples", "", _examples_markdown(rule)]
    return "\n".join(lines).rstrip() + "\n"


def catalogue_markdown(rules: Iterable[Rule]) -> str:
    """`docs/rules.md`: a table of every rule, then each rule's page (generated; edit the rule files)."""
    rules = list(rules)
    lines = [
        "# Rules",
        "",
        "Generated from `rules/` by `audit rules --format markdown`; edit the rule files, not this page.",
        "",
        "| id | slug | category | severity | title |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| [{r.id}](#{anchor(r)}) | `{r.slug}` | {r.category} | {r.severity} | {r.title} |" for r in rules]
    lines.append("")
    for rule in rules:
        lines.append(rule_markdown(rule, with_examples=False))
    return "\n".join(lines)
