"""Machine formats that tools read: one report per output stream, DOT labels Graphviz draws as lines, JUnit
test names a CI can key history by, Markdown ranked by the score's own cost."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from conftest import FIXTURES, ROOT

from auditor.audit import AuditOptions, audit
from auditor.graph.export import to_dot
from auditor.model import Diagnostic, Edge, Location, Node
from auditor.report import junit, markdown


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": path})


# One stream, one report ------------------------------------------------------------------------------------


@pytest.mark.parametrize("formats", [["-f", "json", "-f", "sarif"], ["-f", "terminal", "-f", "json"]])
def test_two_reports_on_standard_output_are_a_usage_error(formats: list[str]) -> None:
    completed = run_cli(str(FIXTURES / "k8s-shop"), *formats)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "would both go to standard output" in completed.stderr


def test_one_report_on_standard_output_and_the_others_in_files(tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    completed = run_cli(str(FIXTURES / "k8s-shop"), "-f", "json", "-f", f"sarif={target}")
    assert completed.returncode == 1, completed.stderr  # the fixture has high findings
    assert json.loads(completed.stdout)["schema_version"]
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"


# DOT ---------------------------------------------------------------------------------------------------------


def _hostile_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    api = Node('compose:service:./a"b\\', "service", 'we"ird\\N\nname', "compose", "service", Location("x/a b.yml", 3))
    db = Node("compose:service:./db", "datastore", "db", "compose", "service", Location("x.yml", 9))
    graph.add_node(api.id, node=api)
    graph.add_node(db.id, node=db)
    graph.add_edge(api.id, db.id, edge=Edge(api.id, db.id, "connects_to", Location("x.yml", 4)))
    return graph


def test_dot_labels_are_lines_and_repository_text_is_escaped() -> None:
    assert to_dot(_hostile_graph()).splitlines() == [
        "digraph architecture {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  "compose:service:./a\\"b\\\\" [label="we\\"ird\\\\N\\\\nname\\nservice (service)\\nx/a b.yml:3", '
        'shape=box];',
        '  "compose:service:./db" [label="db\\nservice (datastore)\\nx.yml:9", shape=cylinder];',
        '  "compose:service:./a\\"b\\\\" -> "compose:service:./db" [label="connects_to\\nx.yml:4"];',
        "}",
    ]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (apt-get install graphviz) is not installed")
def test_graphviz_draws_each_label_line_and_the_names_as_written() -> None:
    svg = subprocess.run(["dot", "-Tsvg"], input=to_dot(_hostile_graph()), capture_output=True, text=True,
                         check=True, timeout=60).stdout
    texts = [ET.fromstring(f"<t>{m}</t>").text for m in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert texts == ['we"ird\\N\\nname', "service (service)", "x/a b.yml:3",
                     "db", "service (datastore)", "x.yml:9", "connects_to", "x.yml:4"]


# JUnit -------------------------------------------------------------------------------------------------------


def _case_names(text: str) -> Counter[tuple[str | None, str | None]]:
    return Counter((case.get("classname"), case.get("name")) for case in ET.fromstring(text.encode()).iter("testcase"))


@pytest.mark.parametrize("name", ["helm-shop", "mixed-compose-microservices", "hostile"])
def test_junit_test_names_are_unique(name: str) -> None:
    names = _case_names(junit.render(audit(FIXTURES / name)))
    assert [key for key, count in names.items() if count > 1] == []


def test_junit_names_findings_that_share_a_line_by_fingerprint() -> None:
    result = audit(FIXTURES / "k8s-shop")
    first = result.findings[0]
    twin = dataclasses.replace(first, fingerprint="f" * 32, message="another one on the same line")
    diagnostics = [Diagnostic("k8s/x.yaml", "one", 3), Diagnostic("k8s/x.yaml", "two", 3),
                   Diagnostic("k8s/x.yaml", "x")]
    text = junit.render(dataclasses.replace(result, findings=[first, twin, *result.findings[1:]],
                                            diagnostics=diagnostics))
    where = f"{first.rule_id} {first.slug} at {first.location.path}:{first.location.line}"
    names = _case_names(text)
    classname = f"scale-auditor.{first.category}.{first.rule_id}"
    assert names[(classname, f"{where} [{first.fingerprint[:12]}]")] == 1
    assert names[(classname, f"{where} [ffffffffffff]")] == 1
    assert names[(classname, where)] == 0
    inputs = sorted(name for (cls, name), _ in names.items() if cls == "scale-auditor.input.parse-error")
    assert inputs == ["parse-error k8s/x.yaml", "parse-error k8s/x.yaml:3", "parse-error k8s/x.yaml:3 (2)"]


# Markdown ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [{}, {"medium": 50.0}])
def test_markdown_top_findings_are_in_the_order_of_their_cost(weights: dict[str, float]) -> None:
    result = audit(FIXTURES / "mixed-eks-spring", AuditOptions(severity_weights=weights))
    cost = {finding.fingerprint: points for finding, points in result.score.costs}
    assert set(cost) == {finding.fingerprint for finding in result.findings}
    ranked = markdown.ranked_findings(result)
    costs = [cost[finding.fingerprint] for finding in ranked]
    assert costs == sorted(costs, reverse=True)
    assert [f.fingerprint for f in ranked[:5]] == [f.fingerprint for f, _ in result.score.costliest]
    badges = tuple(f"| {badge} |" for badge in markdown.SEVERITY_BADGE.values())
    rows = [line for line in markdown.render(result).splitlines() if line.startswith(badges)]
    assert len(rows) == min(len(ranked), markdown.TOP_FINDINGS)
    for row, finding in zip(rows, ranked, strict=False):  # the table shows the first TOP_FINDINGS
        assert f"[{finding.rule_id}]" in row and f"{finding.location.path}:{finding.location.line}" in row
