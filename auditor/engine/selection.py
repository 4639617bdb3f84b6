"""Which rules run and which findings are reported: `--select`/`--skip` and `--min-severity`, decided once.

Like ruff's `--select`/`--ignore`, a selection decides what is *checked*: a rule that is not selected does not
run, so it reports nothing, costs no points and cannot fail the run. `--select` replaces the config's
`rules.enable`; `--skip` adds to its `rules.disable`; a rule both selected and skipped is skipped.
`--min-severity` works the same way on findings: one below it is not reported, not scored and cannot fail
the run (the report says how many there were).
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.engine.rules import Rule, find_rule
from auditor.model import SEVERITIES, Finding, Severity


class SelectionError(Exception):
    """A rule name that names no rule; the message says where it was written."""


def rule_names(values: Iterable[str] | None) -> list[str]:
    """`["AVAIL001,single-nat-gateway", " RESIL001 "]` → the three names: flags repeat or take commas."""
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def rule_ids(rules: list[Rule], names: Iterable[str], where: str) -> set[str]:
    """The ids of the rules `names` give by id, slug or alias; an unknown name is an error naming `where`."""
    ids = set()
    for name in names:
        rule = find_rule(rules, name)
        if rule is None:
            raise SelectionError(f"{where}: unknown rule {name!r}; `audit rules` lists them")
        ids.add(rule.id)
    return ids


def disabled_rules(rules: list[Rule], selected: set[str] | None, skipped: set[str]) -> set[str]:
    """The ids of the rules that do not run: those not selected (None selects all) and those skipped."""
    return {rule.id for rule in rules if (selected is not None and rule.id not in selected) or rule.id in skipped}


def at_least(findings: list[Finding], min_severity: Severity | None) -> tuple[list[Finding], list[Finding]]:
    """`findings` split into those at or above `min_severity` and those below it (None keeps all)."""
    if min_severity is None:
        return findings, []
    floor = SEVERITIES.index(min_severity)
    kept = [f for f in findings if SEVERITIES.index(f.severity) <= floor]
    return kept, [f for f in findings if SEVERITIES.index(f.severity) > floor]
