"""The sample repos: every expected finding (rule, file, line) and the scores, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from auditor.audit import audit

REPOS = sorted(path.parent for path in FIXTURES.glob("*/expected.yaml"))


@pytest.mark.parametrize("root", REPOS, ids=lambda p: p.name)
def test_fixture_repo(root: Path) -> None:
    expected = yaml.safe_load((root / "expected.yaml").read_text(encoding="utf-8"))
    result = audit(root)
    found = sorted(f"{f.rule_id} {f.location.path}:{f.location.line}" for f in result.findings)
    assert found == sorted(expected["findings"])
    assert result.score.overall == expected["score"]["overall"]
    assert result.score.grade == expected["score"]["grade"]
    assert {c.category: c.score for c in result.score.categories} == expected["score"]["categories"]


def test_at_least_three_mixed_repos() -> None:
    assert len([r for r in REPOS if r.name.startswith("mixed-")]) >= 3


@pytest.mark.parametrize("root", REPOS, ids=lambda p: p.name)
def test_score_does_not_depend_on_file_order(root: Path, tmp_path: Path) -> None:
    """Same repo copied with its files created in reverse order: same findings, same score."""
    files = sorted((p for p in root.rglob("*") if p.is_file()), reverse=True)
    for path in files:
        target = tmp_path / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    first, second = audit(root), audit(tmp_path)
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
    assert first.score == second.score
