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


def _crashing_terraform(source):  # type: ignore[no-untyped-def]
    """parse_file, except that one Terraform file ends the process that parses it, as a segfault would."""
    if source.path == "infra/crash.tf":
        os._exit(70)
    return _PARSE(source)


def _scan_in_child(root: Path, jobs: int) -> dict[str, list[str]]:
    """scan(root, jobs) in a forked child: {path of each diagnostic: its codes} and {"nodes": node ids}; a child
    that dies is a test failure (on code that parses in process, the crash would otherwise end pytest itself)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        scanned = scan_module.scan(root, jobs=jobs)
        found: dict[str, list[str]] = {"nodes": sorted(scanned.graph.nodes)}
        for diagnostic in scanned.diagnostics:
            found.setdefault(diagnostic.path, []).append(diagnostic.code)
        sender.send(found)

    process = context.Process(target=child)
    process.start()
    sender.close()
    try:
        return receiver.recv() if receiver.poll(120) else {}
    except EOFError:
        pytest.fail(f"the audit's own process died (exit code {process.join(5) or process.exitcode})")
    finally:
        process.join(5)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_with_one_job_a_crash_in_a_native_parser_costs_only_its_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A small repository (below the pool's thresholds) or `-j 1`: the tree-sitter kinds still parse in a worker."""
    monkeypatch.setattr(scan_module, "parse_file", _crashing_terraform)
    root = write_repo(tmp_path, {
        "infra/main.tf": 'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n',
        "infra/crash.tf": 'resource "aws_sqs_queue" "dead" {\n  name = "dead"\n}\n',
        "infra/zz.tf": 'variable "region" {\n  default = "eu-west-1"\n}\n',
        "k8s/web.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
    })
    for jobs in (1, 4):
        found = _scan_in_child(root, jobs)
        assert found.get("infra/crash.tf") == ["internal-error"], found
        assert [path for path in found if path != "nodes"] == ["infra/crash.tf"], found
        nodes = " ".join(found["nodes"])
        assert "jobs" in nodes and "web" in nodes and "dead" not in nodes, nodes
