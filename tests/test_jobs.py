"""Parsing over several processes (issue 12, goal 1): the same report whatever the number of workers, and a
worker that dies costs only its own file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES, write_repo

from auditor import scan as scan_module
from auditor.audit import AuditOptions, audit
from auditor.model import Facts
from auditor.report import json as json_report


@pytest.fixture
def always_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the pool even for a handful of files (the thresholds exist to spare small repositories)."""
    monkeypatch.setattr(scan_module, "_POOL_MIN_FILES", 0)
    monkeypatch.setattr(scan_module, "_POOL_MIN_BYTES", 0)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_the_report_is_the_same_with_one_worker_or_several(fixture: str, always_pool: None) -> None:
    root = FIXTURES / fixture
    one = json_report.render(audit(root, AuditOptions(jobs=1)))
    several = json_report.render(audit(root, AuditOptions(jobs=3)))
    assert one == several


_PARSE = scan_module.parse_file


def _crashing(source):  # type: ignore[no-untyped-def]
    """parse_file, except that one file kills its worker (module level: the pool sends functions by name)."""
    if source.path == "k8s/crash.yaml":
        os._exit(70)  # what a segfault in a native parser looks like to the pool
    return _PARSE(source)


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, always_pool: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "parse_file", _crashing)
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 1\n"
                "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
                "    spec:\n      containers: [{{name: {name}, image: 'registry.example.com/{name}:1'}}]\n")
    root = write_repo(tmp_path, {f"k8s/{name}.yaml": manifest.format(name=name) for name in ("a", "b", "crash", "d")})
    scanned = scan_module.scan(root, jobs=2)
    by_path: dict[str, Facts] = {f.path: f for f in scanned.facts}
    assert sorted(by_path) == ["k8s/a.yaml", "k8s/b.yaml", "k8s/crash.yaml", "k8s/d.yaml"]
    assert [d.code for d in by_path["k8s/crash.yaml"].diagnostics] == ["internal-error"]
    assert all(by_path[p].nodes for p in ("k8s/a.yaml", "k8s/b.yaml", "k8s/d.yaml"))
