"""Report paths are relative to the repository root (report/paths.py): `audit K8s` reports
`K8s/Istio/gateway.yaml` in every machine format, while fingerprints, baselines and the audited folder's own
config keep working as they did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, write_repo
from test_report_formats import validate_sarif

from auditor.audit import AuditOptions, AuditResult, audit
from auditor.config import load_config
from auditor.engine.baseline import baseline_text
from auditor.report import gitlab, junit, markdown, sarif
from auditor.report import json as json_report
from auditor.report.paths import audited_prefix, relocate, repository_root

GATEWAY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: gateway}
  template:
    metadata:
      labels: {app: gateway}
    spec:
      containers:
        - name: gateway
          image: registry.example.com/shop/gateway:1.0.0
---
apiVersion: v1
kind: Service
metadata:
  name: gateway
  namespace: shop
spec:
  selector: {app: gateway}
  ports:
    - port: 8080
"""
# What `audit K8s` finds in it, as (rule, line): the paths are what this module is about.
FOUND = {("OBS003", 4), ("AVAIL005", 7), ("ELAST001", 7), ("ELAST004", 15), ("ELAST005", 15), ("RESIL002", 15),
         ("RESIL003", 15)}
REPORT_SCHEMA = json.loads((ROOT / "auditor/report/report.schema.json").read_text(encoding="utf-8"))
IN_REPO = {(rule, "K8s/Istio/gateway.yaml", line) for rule, line in FOUND}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": path},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository (a `.git` folder is all discovery looks for) whose manifests sit in a sub-folder."""
    root = tmp_path / "shop"
    write_repo(root, {"K8s/Istio/gateway.yaml": GATEWAY, "README.md": "shop\n"})
    (root / ".git").mkdir()
    return root


def _relocated(repo: Path) -> tuple[AuditResult, AuditResult]:
    audited = audit(repo / "K8s")
    return audited, relocate(audited, repository_root(repo / "K8s"))


def test_repository_root_is_the_nearest_folder_holding_git(repo: Path, tmp_path: Path) -> None:
    assert repository_root(repo / "K8s/Istio") == repo.resolve()
    assert repository_root(repo) == repo.resolve()
    (repo / "K8s/.git").write_text("gitdir: /elsewhere/.git/worktrees/k8s\n", encoding="utf-8")  # a worktree's file
    assert repository_root(repo / "K8s/Istio") == (repo / "K8s").resolve()
    alone = tmp_path / "no-repo" / "deploy"
    alone.mkdir(parents=True)
    assert repository_root(alone) == alone.resolve()  # no .git above tmp: the audited folder itself
    assert audited_prefix(repo / "K8s/Istio", repo) == "K8s/Istio"
    assert audited_prefix(repo, repo) == ""
    with pytest.raises(ValueError):
        audited_prefix(alone, repo)


def test_every_machine_format_names_the_file_from_the_repository_root(repo: Path) -> None:
    audited, result = _relocated(repo)
    assert {(f.rule_id, f.location.path, f.location.line) for f in audited.findings} == {
        (rule, "Istio/gateway.yaml", line) for rule, line in FOUND}
    assert {(f.rule_id, f.location.path, f.location.line) for f in result.findings} == IN_REPO
    assert result.audited == "K8s" and result.scan.root == repo.resolve()

    log = json.loads(sarif.render(result))
    assert validate_sarif(log) == []  # the official SARIF 2.1.0 schema (test_report_formats.py)
    run = log["runs"][0]
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]} == IN_REPO
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] for r in run["results"]} == {
        "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["properties"]["audited"] == "K8s"

    issues = json.loads(gitlab.render(result))
    assert {(i["check_name"].split("-")[0], i["location"]["path"], i["location"]["lines"]["begin"])
            for i in issues} == IN_REPO

    cases = ET.fromstring(junit.render(result).encode()).iter("testcase")
    assert {(c.get("classname", "").rsplit(".", 1)[-1], c.get("file"), int(c.get("line", "0")))
            for c in cases if c.find("failure") is not None} == IN_REPO

    data = json.loads(json_report.render(result))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(data)
    assert {(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in data["findings"]} == IN_REPO
    assert (data["root"], data["audited"]) == (str(repo.resolve()), "K8s")

    text = markdown.render(result)
    assert "K8s/Istio/gateway.yaml:7" in text and " Istio/gateway.yaml" not in text


def test_the_audited_result_and_its_graph_are_left_as_they_were(repo: Path) -> None:
    audited, result = _relocated(repo)
    before = {ident: node.location.path for ident, node in audited.scan.graph.nodes(data="node")}
    after = {ident: node.location.path for ident, node in result.scan.graph.nodes(data="node")}
    assert set(before.values()) == {"Istio/gateway.yaml"}
    assert after == {ident: f"K8s/{path}" for ident, path in before.items()}
    assert {e.location.path for _, _, e in result.scan.graph.edges(data="edge")} == {"K8s/Istio/gateway.yaml"}
    assert [f.path for f in result.scan.inventory.files] == ["K8s/Istio/gateway.yaml"]
    assert [f.path for f in audited.scan.inventory.files] == ["Istio/gateway.yaml"]
    assert relocate(audited, repo / "K8s") is audited  # audited folder = root: nothing moves


def test_fingerprints_and_a_sub_folder_baseline_still_match(repo: Path) -> None:
    audited, result = _relocated(repo)
    assert [f.fingerprint for f in result.findings] == [f.fingerprint for f in audited.findings]
    assert [f.fingerprint for f, _ in result.score.costs] == [f.fingerprint for f, _ in audited.score.costs]
    # A baseline written by `audit baseline K8s` before paths moved (paths relative to K8s) still matches.
    old = repo / "old-baseline.json"
    old.write_text(baseline_text(audited.findings), encoding="utf-8")
    completed = run_cli(str(repo / "K8s"), "-q", "--baseline", str(old))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 finding(s)" in completed.stdout and "7 suppressed (7 baseline)" in completed.stdout
    # One written now records repository paths beside the same fingerprints.
    new = repo / "new-baseline.json"
    assert run_cli("baseline", str(repo / "K8s"), "-o", str(new)).returncode == 0
    entries = json.loads(new.read_text(encoding="utf-8"))["findings"]
    assert {e["path"] for e in entries} == {"K8s/Istio/gateway.yaml"}
    assert {e["fingerprint"] for e in entries} == {f.fingerprint for f in audited.findings}


def test_the_audited_folders_config_stays_relative_to_it(repo: Path) -> None:
    write_repo(repo, {
        "K8s/.auditor.yaml": "exclude: ['legacy/**']\nignore:\n"
                             "  - {rule: AVAIL005, resource: gateway, path: 'Istio/*', reason: canary}\n"
                             "  - {rule: ELAST001, resource: nothing-here, reason: stale}\n",
        "K8s/legacy/old.yaml": GATEWAY.replace("gateway", "old"),
        "K8s/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n",
    })
    config = load_config(repo / "K8s")
    audited = audit(repo / "K8s", AuditOptions(excludes=config.exclude, ignores=config.ignore))
    result = relocate(audited, repo)
    assert [(f.rule_id, s.mechanism) for f, s in result.suppressed] == [("AVAIL005", "config")]
    assert {(f.rule_id, f.location.path) for f in result.findings} == {
        (rule, path) for rule, path, _ in IN_REPO if rule != "AVAIL005"}
    # A file of the audited folder moves; an `ignore:` entry of its config is named as the config names it.
    assert {(d.code, d.path) for d in result.diagnostics} == {
        ("parse-error", "K8s/broken.yaml"),
        ("unused-suppression", f"{repo / 'K8s' / '.auditor.yaml'}: ignore[1]"),
    }


def test_cli_root_option_and_escaped_uris(tmp_path: Path) -> None:
    root = tmp_path / "plain folder"  # no .git: without --root the audited folder is the root
    write_repo(root, {"deploy #1/Istio/gateway.yaml": GATEWAY})
    sub = root / "deploy #1"
    default = json.loads(run_cli(str(sub), "-f", "sarif").stdout)["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in default} == {
        "Istio/gateway.yaml"}
    named = json.loads(run_cli(str(sub), "-f", "sarif", "--root", str(root)).stdout)["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in named} == {
        "deploy%20%231/Istio/gateway.yaml"}
    quiet = run_cli(str(sub), "-q", "--root", str(root)).stdout
    assert "deploy #1/Istio/gateway.yaml:7: high AVAIL005 " in quiet
    outside = run_cli(str(sub), "-q", "--root", str(tmp_path / "elsewhere"))
    assert outside.returncode == 2
    (tmp_path / "elsewhere").mkdir()
    outside = run_cli(str(sub), "-q", "--root", str(tmp_path / "elsewhere"))
    assert outside.returncode == 2 and "is not inside it" in outside.stderr
