"""Fingerprints name a problem, not a line: the hook and baselines compare them across edits that move lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_repo

from auditor.audit import audit, load_all_rules
from auditor.engine.rules import Rule

RULES = load_all_rules()
CASES = [pytest.param(rule, index, id=f"{rule.id}-bad{index}") for rule in RULES for index in range(len(rule.bad))]


@pytest.mark.parametrize(("rule", "index"), CASES)
def test_a_line_added_above_moves_every_finding_and_keeps_its_fingerprint(rule: Rule, index: int,
                                                                         tmp_path: Path) -> None:
    files = rule.bad[index].files
    before = audit(write_repo(tmp_path / "before", files), rules=[rule]).findings
    after = audit(write_repo(tmp_path / "after", {name: "\n" + text for name, text in files.items()}),
                  rules=[rule]).findings
    assert before, "a bad example must produce findings"
    assert {(f.fingerprint, f.location.path, f.location.line + 1) for f in before} == {
        (f.fingerprint, f.location.path, f.location.line) for f in after}
