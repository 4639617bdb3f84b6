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


def _workers_alive_while(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Wrap scan.`name` (a rendering step) to record how many worker processes are alive when it runs."""
    import multiprocessing

    seen: list[int] = []
    step = getattr(scan_module, name)

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(len(multiprocessing.active_children()))
        return step(*args, **kwargs)

    monkeypatch.setattr(scan_module, name, recording)
    return seen


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_charts_and_overlays_render_while_the_pool_parses_and_the_report_is_unchanged(
        tmp_path: Path, always_pool: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's workers are forked and given every file before rendering starts, so helm and kustomize run beside
    them; with one job nothing else parses while they render (one process at a time)."""
    import shutil

    root = write_repo(tmp_path, {f"k8s/{n}.yaml": f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}}}\n"
                                 for n in range(4)})
    for fixture in ("helm-shop", "kustomize-overlays"):
        shutil.copytree(FIXTURES / fixture, root / fixture)
    charts = _workers_alive_while(monkeypatch, "_render")
    overlays = _workers_alive_while(monkeypatch, "_render_overlays")
    several = json_report.render(audit(root, AuditOptions(jobs=2)))
    one = json_report.render(audit(root, AuditOptions(jobs=1)))
    assert (charts, overlays) == ([2, 0], [2, 0])
    assert one == several
    assert '"helm:helm-shop' in one and "kustomize:kustomize-overlays" in one


def test_leaving_early_stops_the_pool(tmp_path: Path, always_pool: None) -> None:
    """An error while the pool parses (in rendering, or an interrupt) leaves no worker behind."""
    import multiprocessing

    from auditor.discover import discover

    root = write_repo(tmp_path, {f"k8s/{n}.yaml": f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}}}\n"
                                 for n in range(8)})
    sources = discover(root).files
    with pytest.raises(KeyError), scan_module.parsing(sources, 2):
        assert len(multiprocessing.active_children()) == 2
        raise KeyError("rendering failed")
    assert multiprocessing.active_children() == []


def test_a_pool_that_breaks_while_it_is_given_the_files_parses_each_in_a_fresh_worker(
        tmp_path: Path, always_pool: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker can die on an early file while later ones are still being handed to the pool: that submission
    fails, and every file is parsed on its own instead."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from auditor.discover import discover

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise BrokenProcessPool("a worker died")

    root = write_repo(tmp_path, {f"k8s/{n}.yaml": f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{n}}}\n"
                                 for n in range(3)})
    sources = discover(root).files
    expected = [scan_module.parse_file(source) for source in sources]
    monkeypatch.setattr(ProcessPoolExecutor, "map", broken)
    assert list(scan_module.parse_all(sources, 2)) == expected
