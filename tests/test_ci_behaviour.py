"""CI behaviour: exit codes, thresholds, config validation, every suppression mechanism, expiry, baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, write_repo

from auditor.audit import AuditOptions, audit
from auditor.cli import _exit_status
from auditor.config import ConfigError, load_config

SINGLE_REPLICA = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop{annotations}
spec:
  replicas: 1{replicas_comment}
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:1.4.0
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          livenessProbe: {{httpGet: {{path: /live, port: 8080}}}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {{app: api}}
  ports:
    - port: 8080
"""


def _deployment(annotations: str = "", replicas_comment: str = "") -> str:
    return SINGLE_REPLICA.format(annotations=annotations, replicas_comment=replicas_comment)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def _rules_found(root: Path, **options: object) -> set[tuple[str, str, int]]:
    result = audit(root, AuditOptions(**options))  # type: ignore[arg-type]
    return {(f.rule_id, f.location.path, f.location.line) for f in result.findings}


# --- exit codes ---------------------------------------------------------------------------------------

def test_exit_1_when_findings_reach_the_threshold(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment()})
    completed = run_cli(str(tmp_path), "--quiet")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "k8s/api.yaml:7: high AVAIL005" in completed.stdout


def test_exit_0_below_the_threshold(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment()})
    assert run_cli(str(tmp_path), "--quiet", "--fail-on", "critical").returncode == 0


def test_fail_under_score(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment()})
    assert run_cli(str(tmp_path), "-q", "--fail-on", "critical", "--fail-under", "100").returncode == 1
    assert run_cli(str(tmp_path), "-q", "--fail-on", "critical", "--fail-under", "1").returncode == 0


def test_exit_2_on_usage_errors(tmp_path: Path) -> None:
    assert run_cli(str(tmp_path / "missing")).returncode == 2
    assert run_cli(str(tmp_path), "--fail-on", "urgent").returncode == 2
    assert run_cli(str(tmp_path), "--format", "pdf").returncode == 2
    assert run_cli("explain", "NOPE001").returncode == 2


def test_the_console_script_leaves_with_its_output_whole_and_exit_handlers_run(tmp_path: Path) -> None:
    """`audit` exits through os._exit (cli.py `entry`): a report larger than a pipe holds must still arrive
    whole, the status must be the run's, and handlers registered with atexit must still run."""
    write_repo(tmp_path, {f"k8s/api{index}.yaml": _deployment().replace("name: api", f"name: api{index}")
                          for index in range(40)})
    probe = ("import atexit, sys\nfrom auditor import cli\natexit.register(lambda: print('handler ran', "
             "file=sys.stderr))\nsys.argv = ['audit', *sys.argv[1:]]\ncli.entry()\n")
    completed = subprocess.run([sys.executable, "-c", probe, str(tmp_path), "--format", "json"], capture_output=True,
                               text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert completed.returncode == 1, completed.stderr
    assert len(completed.stdout) > 65_536
    assert len(json.loads(completed.stdout)["findings"]) >= 40
    assert "handler ran" in completed.stderr
    assert (_exit_status(None), _exit_status(3)) == (0, 3)


def test_exit_3_on_parse_errors_only_with_strict_parse(tmp_path: Path) -> None:
    write_repo(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {\n  name = = "x"\n}\n'})
    lenient = run_cli(str(tmp_path), "-q")
    assert lenient.returncode == 0
    assert "main.tf:2" in lenient.stdout + lenient.stderr
    assert run_cli(str(tmp_path), "-q", "--strict-parse").returncode == 3


def test_coverage_line_is_printed(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(), "logo.yaml": "\x00\x01binary"})
    completed = run_cli(str(tmp_path), "-f", "json", "-o", str(tmp_path / "out.json"), "--fail-on", "critical")
    assert "1 files audited, 1 skipped (1 binary)" in completed.stderr


# --- config ------------------------------------------------------------------------------------------

def test_unknown_config_key_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("rules:\n  disable: [AVAIL005]\nfail_onn: high\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'fail_onn'"):
        load_config(tmp_path)
    completed = run_cli(str(tmp_path))
    assert completed.returncode == 2 and "fail_onn" in completed.stderr


def test_pyproject_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\nfail_under = 80\nexclude = ["examples/**"]\n',
                                             encoding="utf-8")
    config = load_config(tmp_path)
    assert (config.fail_under, config.exclude) == (80, ["examples/**"])


def test_config_disables_rules_and_overrides_severity(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "k8s/api.yaml": _deployment(),
        ".auditor.yaml": "rules:\n  disable: [single-replica-workload]\n  severity: {OBS003: critical}\n",
    })
    completed = run_cli(str(tmp_path), "-q")
    assert "AVAIL005" not in completed.stdout
    assert "critical OBS003" in completed.stdout


def test_config_rejects_unknown_rule_and_bad_option(tmp_path: Path) -> None:
    write_repo(tmp_path, {".auditor.yaml": "rules:\n  disable: [NOPE123]\n"})
    assert "unknown rule 'NOPE123'" in run_cli(str(tmp_path)).stderr
    write_repo(tmp_path, {".auditor.yaml": "rules:\n  options: {DATA004: {colour: red}}\n"})
    completed = run_cli(str(tmp_path))
    assert completed.returncode == 2 and "no option 'colour'" in completed.stderr


# --- suppressions ------------------------------------------------------------------------------------

def _suppressed(root: Path, **options: object) -> list[tuple[str, str, str]]:
    result = audit(root, AuditOptions(**options))  # type: ignore[arg-type]
    return [(f.rule_id, s.mechanism, s.reason) for f, s in result.suppressed]


def test_inline_comment_on_the_line(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(
        replicas_comment="  # audit: ignore[AVAIL005] a singleton leader, scaled by hand")})
    assert ("AVAIL005", "inline", "a singleton leader, scaled by hand") in _suppressed(tmp_path)
    assert "AVAIL005" not in {r for r, _, _ in _rules_found(tmp_path)}


def test_texts_are_released_after_parsing_except_where_a_suppression_is_still_to_be_read(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "k8s/api.yaml": _deployment(replicas_comment="  # audit: ignore[AVAIL005] a singleton leader, scaled by hand"),
        "k8s/web.yaml": _deployment().replace("name: api", "name: web"),
    })
    result = audit(tmp_path, AuditOptions())
    texts = {source.path: source.text for source in result.scan.inventory.files}
    assert texts["k8s/web.yaml"] is None and "audit: ignore[AVAIL005]" in (texts["k8s/api.yaml"] or "")
    assert [(f.rule_id, f.location.path) for f, _ in result.suppressed if f.rule_id == "AVAIL005"] == [
        ("AVAIL005", "k8s/api.yaml")]
    assert "k8s/web.yaml" in {f.location.path for f in result.findings if f.rule_id == "AVAIL005"}


def test_inline_comment_above_the_block_by_slug(tmp_path: Path) -> None:
    text = "# audit: ignore[single-nat-gateway] staging runs one NAT on purpose\n" + (
        FIXTURES / "mixed-eks-spring/terraform/network.tf").read_text(encoding="utf-8").replace(
        'module "vpc"', '# audit: ignore[single-nat-gateway] staging runs one NAT on purpose\nmodule "vpc"')
    files = {f"terraform/{p.name}": p.read_text(encoding="utf-8")
             for p in (FIXTURES / "mixed-eks-spring/terraform").glob("*") if p.is_file()}
    files["terraform/network.tf"] = text
    write_repo(tmp_path, files)
    assert ("AVAIL001", "inline", "staging runs one NAT on purpose") in _suppressed(tmp_path)


def test_file_wide_comment(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": "# audit: ignore-file[AVAIL005, OBS003] the platform scales and scrapes it\n"
                          + _deployment()})
    assert {r for r, m, _ in _suppressed(tmp_path) if m == "file"} == {"AVAIL005", "OBS003"}


def test_kubernetes_annotation(tmp_path: Path) -> None:
    annotation = '\n  annotations:\n    scale-auditor.dev/ignore: "ignore[AVAIL005] leader election; one pod"'
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(annotations=annotation)})
    assert ("AVAIL005", "annotation", "leader election; one pod") in _suppressed(tmp_path) or (
        "AVAIL005", "annotation", "leader election") in _suppressed(tmp_path)


def test_compose_label(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": (
        "services:\n"
        "  api:\n"
        "    image: registry.example.com/api:1.0.0\n"
        "    ports: ['8080:8080']\n"
        "    deploy:\n"
        "      replicas: 1\n"
        "    labels:\n"
        "      scale-auditor.dev/ignore: ignore[AVAIL005] staging only\n")})
    assert ("AVAIL005", "label", "staging only") in _suppressed(tmp_path)


def test_suppression_without_reason_is_reported_and_ignored(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(replicas_comment="  # audit: ignore[AVAIL005]")})
    result = audit(tmp_path)
    assert "AVAIL005" in {f.rule_id for f in result.findings}
    assert any(d.code == "bad-suppression" and d.line == 7 for d in result.diagnostics)


def test_unused_suppression_is_reported(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment().replace(
        "  replicas: 1", "  replicas: 1\n  # audit: ignore[STATE002] no sticky sessions here anyway")})
    result = audit(tmp_path)
    assert [(d.code, d.path, d.line) for d in result.diagnostics if d.code == "unused-suppression"] == [
        ("unused-suppression", "k8s/api.yaml", 8)]


def test_config_ignore_entry_and_expiry(tmp_path: Path) -> None:
    import datetime as dt

    from auditor.config import IgnoreEntry

    write_repo(tmp_path, {"k8s/api.yaml": _deployment()})
    entry = IgnoreEntry("AVAIL005", "api", "singleton by design", expires=dt.date(2030, 1, 1), source="cfg")
    assert ("AVAIL005", "config", "singleton by design") in _suppressed(tmp_path, ignores=[entry])
    expired = IgnoreEntry("AVAIL005", "api", "singleton by design", expires=dt.date(2020, 1, 1), source="cfg")
    result = audit(tmp_path, AuditOptions(ignores=[expired]))
    assert "AVAIL005" in {f.rule_id for f in result.findings}
    assert any(d.code == "expired-suppression" for d in result.diagnostics)


def test_config_ignore_requires_reason(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("ignore:\n  - rule: AVAIL005\n    resource: api\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'reason' is required"):
        load_config(tmp_path)


def test_suppressed_findings_are_counted_in_json(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(replicas_comment="  # audit: ignore[AVAIL005] leader")})
    completed = run_cli(str(tmp_path), "-f", "json", "--fail-on", "critical")
    data = json.loads(completed.stdout)
    assert data["suppressed"]["by_mechanism"] == {"inline": 1}


# --- baseline ----------------------------------------------------------------------------------------

def test_baseline_reports_only_new_findings_and_survives_line_moves(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment()})
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", str(tmp_path), "-o", str(baseline)).returncode == 0
    assert run_cli(str(tmp_path), "-q", "--baseline", str(baseline)).returncode == 0
    # Unrelated edits and moved lines keep every entry valid.
    moved = "# Shop API (owned by the checkout team)\n\n" + _deployment()
    write_repo(tmp_path, {"k8s/api.yaml": moved, "k8s/notes.yaml": "kind: Notes\n"})
    completed = run_cli(str(tmp_path), "-q", "--baseline", str(baseline))
    assert completed.returncode == 0, completed.stdout
    # A new problem is still reported.
    write_repo(tmp_path, {"k8s/worker.yaml": _deployment().replace("name: api", "name: worker")})
    completed = run_cli(str(tmp_path), "-q", "--baseline", str(baseline))
    assert completed.returncode == 1 and "worker" in completed.stdout


def test_init_writes_a_valid_starter_config(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path)).returncode == 0
    config = load_config(tmp_path)
    assert config.fail_on == "high" and config.disable == []
    assert run_cli("init", str(tmp_path)).returncode == 2  # never overwrites silently


def test_baseline_command_writes_the_configured_baseline_even_before_it_exists(tmp_path: Path) -> None:
    write_repo(tmp_path, {"k8s/api.yaml": _deployment(), ".auditor.yaml": "baseline: .auditor-baseline.json\n"})
    written = run_cli("baseline", str(tmp_path), "-o", str(tmp_path / ".auditor-baseline.json"))
    assert written.returncode == 0, written.stderr
    assert run_cli(str(tmp_path), "-q").returncode == 0  # the configured baseline now accepts every finding


def test_every_dependency_has_a_tested_range() -> None:
    """A release made tomorrow must not change what CI installs (issue 7, item 0): each requirement, extras
    included, has a lower and an upper bound."""
    import re
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"].values()
    requirements = [*project["dependencies"], *(requirement for extra in extras for requirement in extra)]
    assert requirements
    unbounded = [r for r in requirements if not (re.search(r">=\s*\d", r) and re.search(r"<\s*\d", r))]
    assert unbounded == []
