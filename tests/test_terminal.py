"""The terminal report at real size (grouped by rule, why/fix once), its `-q` lines, and the filters and
sizes of `audit scan` / `audit hook`: --select/--skip, --min-severity, --max-findings, --compact,
--fail-on none, --version and the SCALE_AUDITOR_* environment variables."""

from __future__ import annotations

import dataclasses
import io
import re
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, write_repo
from rich.console import Console
from typer.testing import CliRunner

from auditor.audit import AuditOptions, AuditResult, audit
from auditor.cli import app
from auditor.model import Diagnostic, Location, Related
from auditor.report import terminal

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          livenessProbe: {{httpGet: {{path: /live, port: 8080}}}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80}}]
"""
# Each workload has exactly these findings: AVAIL005 (high) and ELAST001 (medium) at `replicas: 1`,
# OBS003 (low) at its name.
REPLICAS_LINE, NAME_LINE = 6, 4


def two_services(root: Path) -> Path:
    return write_repo(root, {f"k8s/{name}.yaml": WORKLOAD.format(name=name) for name in ("web", "api")})


@pytest.fixture
def result(tmp_path: Path) -> AuditResult:
    return audit(two_services(tmp_path / "repo"))


def printed(result: AuditResult, width: int = 80, **options: object) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, emoji=False,
                      highlight=False)
    terminal.render(result, console, **options)  # type: ignore[arg-type]
    return console.file.getvalue()  # type: ignore[attr-defined]


def message(result: AuditResult, rule_id: str, path: str) -> str:
    return next(f.message for f in result.findings if f.rule_id == rule_id and f.location.path == path)


def headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("──")]


def why(result: AuditResult, rule_id: str) -> str:
    rule = next(r for r in result.rules if r.id == rule_id)
    return terminal._first_paragraph(str(rule.docs["why"]))


# --- the grouped report --------------------------------------------------------------------------------

def test_summary_first_then_one_group_per_rule_most_severe_first(result: AuditResult) -> None:
    text = printed(result)
    lines = text.splitlines()
    assert lines[0] == "score 85/100 grade B  ·  6 finding(s): 2 high, 2 medium, 2 low"
    assert lines[2] == "  category       score  grade  findings  points / subjects"
    assert lines[3:10] == [
        "  state            100  A             0  0 / 2",
        "  data             N/A  N/A           0  -",
        "  availability      50  F             2  20 / 2",
        "  coupling         100  A             0  0 / 2",
        "  resilience       100  A             0  0 / 2",
        "  observability     91  A             2  2 / 2",
        "  elasticity        71  C             2  8 / 2",
    ]
    assert headers(text) == [
        "──  HIGH  AVAIL005 single-replica-workload  2 finding(s)",
        "──  MEDIUM  ELAST001 no-autoscaling  2 finding(s)",
        "──  LOW  OBS003 service-without-metrics  2 finding(s)",
    ]
    assert lines[-1] == "score 85/100 (B); 6 finding(s); " + terminal.coverage_line(result)
    assert not [line for line in lines if line != line.rstrip()]  # no padding to the terminal width


def test_why_and_fix_are_printed_once_per_rule_and_each_occurrence_is_one_line(result: AuditResult) -> None:
    text = printed(result)
    first_words = why(result, "AVAIL005").split(".")[0][:40]
    assert text.count(first_words) == 1
    assert text.count("fix  kubernetes: Set `replicas: 2` or more") == 1
    group = text.split("──  HIGH  AVAIL005")[1].split("──")[0]
    occurrences = [line for line in group.splitlines() if line.startswith("  k8s/")]
    assert occurrences == [
        f"  k8s/api.yaml:{REPLICAS_LINE}  api  {message(result, 'AVAIL005', 'k8s/api.yaml')}",
        f"  k8s/web.yaml:{REPLICAS_LINE}  web  {message(result, 'AVAIL005', 'k8s/web.yaml')}",
    ]
    # The prose wraps at the width; occurrence lines never do (one grep hit per occurrence, in any width).
    assert all(len(line) <= 80 for line in group.splitlines() if line.startswith(("why", "fix", "     ")))
    wide = printed(result, width=200)
    assert [line for line in wide.splitlines() if line.startswith("  k8s/")] == \
        [line for line in text.splitlines() if line.startswith("  k8s/")]


def test_occurrences_of_one_resource_stay_together_whatever_the_finding_order(result: AuditResult) -> None:
    shuffled = dataclasses.replace(result, findings=list(reversed(result.findings)))
    for text in (printed(result), printed(shuffled)):
        where = [line.split()[0] for line in text.splitlines() if line.startswith("  k8s/")]
        assert where == [f"k8s/api.yaml:{REPLICAS_LINE}", f"k8s/web.yaml:{REPLICAS_LINE}"] * 2 + \
            [f"k8s/api.yaml:{NAME_LINE}", f"k8s/web.yaml:{NAME_LINE}"]


def test_related_places_are_listed_up_to_three_then_counted(result: AuditResult) -> None:
    first = result.findings[0]
    related = tuple(Related(Location(f"k8s/member{i}.yaml", i + 1), f"member {i}") for i in range(5))
    many = dataclasses.replace(result, findings=[dataclasses.replace(first, related=related), *result.findings[1:]])
    lines = printed(many).splitlines()
    at = lines.index(next(line for line in lines if line.startswith(f"  {first.location.path}:")
                          and first.message in line))
    assert lines[at + 1:at + 5] == [
        "      ↳ k8s/member0.yaml:1  member 0",
        "      ↳ k8s/member1.yaml:2  member 1",
        "      ↳ k8s/member2.yaml:3  member 2",
        "      ↳ … 2 more place(s) (-f json lists them)",
    ]
    assert "↳" not in printed(many, compact=True)


def test_compact_is_one_header_line_per_rule_and_one_line_per_finding(result: AuditResult) -> None:
    text = printed(result, compact=True)
    assert "why  " not in text and "fix  " not in text
    assert headers(text)[0] == ("──  HIGH  AVAIL005 single-replica-workload  2 finding(s)  "
                                "Traffic-serving workload runs a single instance")
    lines = text.splitlines()
    body = lines[lines.index(headers(text)[0]):]
    assert [line for line in body if line.strip() and not line.startswith(("──", "  k8s/"))] == [
        "`audit explain RULE` shows why each rule matters and how to fix it.",
        "score 85/100 (B); 6 finding(s); " + terminal.coverage_line(result),
    ]


def test_max_findings_lists_the_most_severe_and_says_what_is_left_out(result: AuditResult) -> None:
    text = printed(result, max_findings=3)
    assert headers(text) == [
        "──  HIGH  AVAIL005 single-replica-workload  2 finding(s)",
        "──  MEDIUM  ELAST001 no-autoscaling  2 finding(s), 1 shown",
    ]
    more = ("3 more finding(s) not shown (--max-findings 3; 1 medium, 2 low): 1 ELAST001 (medium), "
            "2 OBS003 (low); without --max-findings, or with -f json, every one is listed")
    assert more in text.splitlines()
    quiet = printed(result, quiet=True, max_findings=3).splitlines()
    assert quiet[-2:] == [more, "score 85/100 (B); 6 finding(s); " + terminal.coverage_line(result)]
    assert [line.split()[2] for line in quiet[:-2]] == ["AVAIL005", "ELAST001", "AVAIL005"]
    assert printed(result, max_findings=0) == printed(result)


def test_several_deployments_are_named_within_a_rule(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"a/k8s/web.yaml": WORKLOAD.format(name="web"),
                                          "b/k8s/web.yaml": WORKLOAD.format(name="web")})
    result = audit(root)
    deployments = sorted({f.deployment for f in result.findings})
    assert len(deployments) == 2
    group = printed(result).split("──  HIGH  AVAIL005")[1].split("──")[0]
    expected = []
    for deployment, path in zip(deployments, ("a/k8s/web.yaml", "b/k8s/web.yaml"), strict=True):
        expected += [f" in {deployment}", f"  {path}:{REPLICAS_LINE}  web  {message(result, 'AVAIL005', path)}"]
    assert [line for line in group.splitlines() if line.startswith((" in ", "  a/", "  b/"))] == expected


# --- repository text stays text ----------------------------------------------------------------------------

HOSTILE = "[red]owned[/red] \x1b[2J\u202e [bold]"
SHOWN = "[red]owned[/red] \\x1b[2J\\u202e [bold]"


def hostile(result: AuditResult) -> AuditResult:
    first = dataclasses.replace(result.findings[0], message=HOSTILE, title=HOSTILE, fix=HOSTILE,
                                related=(Related(Location(f"x{HOSTILE}.yaml", 3), HOSTILE),))
    diagnostic = Diagnostic(f"d{HOSTILE}.yaml", HOSTILE, 2, "parse-error", "error")
    return dataclasses.replace(result, findings=[first, *result.findings[1:]], diagnostics=[diagnostic])


@pytest.mark.parametrize("options", [{}, {"compact": True}, {"quiet": True}])
def test_markup_and_escapes_from_the_repository_print_literally(result: AuditResult, options: dict) -> None:
    text = printed(hostile(result), width=400, **options)
    assert "\x1b" not in text and "\u202e" not in text
    assert SHOWN in text
    if options.get("quiet"):
        lines = text.splitlines()
        assert lines[0] == f"d{SHOWN}.yaml:2: error parse-error {SHOWN}"
        finding = hostile(result).findings[0]
        assert f"{finding.location.path}:{finding.location.line}: {finding.severity} {finding.rule_id} {SHOWN}" \
            in lines
    else:
        finding = hostile(result).findings[0]
        assert any(line.startswith(f"  {finding.location.path}:{finding.location.line}  ") and line.endswith(SHOWN)
                   for line in text.splitlines())
        assert (f"      ↳ x{SHOWN}.yaml:3  {SHOWN}" in text.splitlines()) == (not options.get("compact"))


def test_colour_follows_the_terminal_and_no_color(result: AuditResult, monkeypatch: pytest.MonkeyPatch) -> None:
    coloured = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    terminal.render(result, coloured)
    assert "\x1b[" in coloured.file.getvalue()  # type: ignore[attr-defined]
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    terminal.render(result, plain)
    # NO_COLOR removes colour; rich may still bold/underline, never a colour code (30-37, 40-47).
    assert not re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7])m", plain.file.getvalue())  # type: ignore[attr-defined]


# --- filters, sizes and exit codes through the command line -----------------------------------------------

def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    completed = CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})
    return completed.exit_code, completed.stdout.splitlines(), completed.stderr


def found(lines: list[str]) -> set[tuple[str, str]]:
    """(rule, path:line) of the finding lines of `-q`."""
    return {(line.split()[2], line.split(":")[0] + ":" + line.split(":")[1]) for line in lines
            if re.match(r"^\S+:\d+: (critical|high|medium|low|info) ", line)}


def rules_of(lines: list[str]) -> set[str]:
    return {rule for rule, _ in found(lines)}


def test_select_and_skip_by_id_or_slug_repeated_or_comma_separated(tmp_path: Path) -> None:
    root = str(two_services(tmp_path / "repo"))
    code, lines, _ = run("scan", root, "-q", "--select", "AVAIL005,no-autoscaling", "--select", "OBS003")
    assert rules_of(lines) == {"AVAIL005", "ELAST001", "OBS003"} and code == 1
    code, lines, _ = run("scan", root, "-q", "--select", "single-replica-workload", "--fail-on", "low")
    assert found(lines) == {("AVAIL005", f"k8s/{name}.yaml:{REPLICAS_LINE}") for name in ("api", "web")}
    code, lines, _ = run("scan", root, "-q", "--skip", "AVAIL005", "--skip", "ELAST001,service-without-metrics")
    assert rules_of(lines) == set() and code == 0  # what is not checked cannot fail the run
    code, lines, _ = run("scan", root, "-q", "--select", "AVAIL005,ELAST001", "--skip", "ELAST001")
    assert rules_of(lines) == {"AVAIL005"}


def test_an_unknown_rule_in_select_or_skip_is_a_usage_error(tmp_path: Path) -> None:
    root = str(two_services(tmp_path / "repo"))
    for flag in ("--select", "--skip"):
        code, lines, errors = run("scan", root, "-q", flag, "AVAIL005,no-such-rule")
        assert code == 2 and lines == []
        assert errors.strip() == f"error: {flag}: unknown rule 'no-such-rule'; `audit rules` lists them"


def test_skip_adds_to_config_disable_and_select_replaces_config_enable(tmp_path: Path) -> None:
    root = two_services(tmp_path / "repo")
    (root / ".auditor.yaml").write_text("rules:\n  disable: [OBS003]\n  enable: [OBS003, AVAIL005, ELAST001]\n",
                                        encoding="utf-8")
    assert rules_of(run("scan", str(root), "-q")[1]) == {"AVAIL005", "ELAST001"}
    assert rules_of(run("scan", str(root), "-q", "--skip", "ELAST001")[1]) == {"AVAIL005"}
    assert rules_of(run("scan", str(root), "-q", "--select", "ELAST001,OBS003")[1]) == {"ELAST001"}


def test_a_suppression_for_a_rule_that_did_not_run_is_not_unused(tmp_path: Path) -> None:
    text = WORKLOAD.format(name="web").replace("  replicas: 1", "  replicas: 1  # audit: ignore[AVAIL005] demo")
    root = str(write_repo(tmp_path / "repo", {"k8s/web.yaml": text}))
    assert not [line for line in run("scan", root, "-q")[1] if "unused-suppression" in line]
    _, lines, _ = run("scan", root, "-q", "--skip", "AVAIL005")
    assert not [line for line in lines if "unused-suppression" in line]
    _, lines, _ = run("scan", root, "-q", "--select", "ELAST001")
    assert not [line for line in lines if "unused-suppression" in line]
    quiet = text.replace("replicas: 1  #", "replicas: 2  #")  # the rule runs and matches nothing: reported
    write_repo(Path(root), {"k8s/web.yaml": quiet})
    assert [line.split(": ", 1)[0] for line in run("scan", root, "-q")[1] if "unused-suppression" in line] == \
        [f"k8s/web.yaml:{REPLICAS_LINE}"]


def test_min_severity_hides_scores_and_counts_what_is_below(tmp_path: Path) -> None:
    root = str(two_services(tmp_path / "repo"))
    code, lines, _ = run("scan", root, "-q", "--min-severity", "medium", "--fail-on", "low")
    assert rules_of(lines) == {"AVAIL005", "ELAST001"} and code == 1
    assert lines[-1].endswith("; 2 below --min-severity (2 low)")
    assert lines[-1].startswith("score 87/100 (B); 4 finding(s);")  # observability 100: nothing left to cost
    code, lines, _ = run("scan", root, "-q", "--min-severity", "info")
    assert rules_of(lines) == {"AVAIL005", "ELAST001", "OBS003"} and "below" not in lines[-1]
    code, _, _ = run("scan", root, "-q", "--min-severity", "critical")
    assert code == 0  # the high findings are below the minimum: not reported, cannot fail
    code, _, errors = run("scan", root, "--min-severity", "severe")
    assert code == 2 and "--min-severity must be one of critical, high, medium, low, info" in errors


def test_min_severity_applies_to_every_format(tmp_path: Path) -> None:
    import json

    root = two_services(tmp_path / "repo")
    out = tmp_path / "report.json"
    run("scan", str(root), "-f", "json", "-o", str(out), "--min-severity", "high")
    assert {f["rule_id"] for f in json.loads(out.read_text(encoding="utf-8"))["findings"]} == {"AVAIL005"}


def test_fail_on_none_reports_without_failing(tmp_path: Path) -> None:
    root = two_services(tmp_path / "repo")
    code, lines, _ = run("scan", str(root), "-q", "--fail-on", "none")
    assert code == 0 and rules_of(lines) == {"AVAIL005", "ELAST001", "OBS003"}
    assert run("scan", str(root), "-q", "--fail-on", "none", "--fail-under", "90")[0] == 1  # the score still can
    (root / ".auditor.yaml").write_text("fail_on: none\n", encoding="utf-8")
    assert run("scan", str(root), "-q")[0] == 0
    assert run("scan", str(root), "-q", "--fail-on", "high")[0] == 1
    code, _, errors = run("scan", str(root), "--fail-on", "never")
    assert code == 2 and "--fail-on must be one of critical, high, medium, low, info, none" in errors


def test_environment_variables_set_the_common_ci_options(tmp_path: Path) -> None:
    root = str(two_services(tmp_path / "repo"))
    assert run("scan", root, "-q", env={"SCALE_AUDITOR_FAIL_ON": "none"})[0] == 0
    assert run("scan", root, "-q", "--fail-on", "high", env={"SCALE_AUDITOR_FAIL_ON": "none"})[0] == 1  # flag wins
    assert rules_of(run("scan", root, "-q", env={"SCALE_AUDITOR_SELECT": "AVAIL005 ELAST001"})[1]) == \
        {"AVAIL005", "ELAST001"}
    assert rules_of(run("scan", root, "-q", env={"SCALE_AUDITOR_SKIP": "AVAIL005,ELAST001"})[1]) == {"OBS003"}
    assert rules_of(run("scan", root, "-q", env={"SCALE_AUDITOR_MIN_SEVERITY": "high"})[1]) == {"AVAIL005"}
    assert run("scan", root, "-q", "--fail-on", "low", env={"SCALE_AUDITOR_FAIL_UNDER": "100"})[0] == 1
    code, lines, _ = run("scan", root, env={"SCALE_AUDITOR_FORMAT": "terminal", "SCALE_AUDITOR_COMPACT": "1",
                                            "SCALE_AUDITOR_MAX_FINDINGS": "1", "SCALE_AUDITOR_JOBS": "1"})
    assert [line for line in lines if line.startswith("──")] == [
        "──  HIGH  AVAIL005 single-replica-workload  2 finding(s), 1 shown  "
        "Traffic-serving workload runs a single instance"]
    code, _, errors = run("scan", root, env={"SCALE_AUDITOR_SELECT": "bogus"})
    assert code == 2 and "--select: unknown rule 'bogus'" in errors


def test_every_documented_environment_variable_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(SCALE_AUDITOR_[A-Z_]+)`", readme))
    import auditor.cli as cli
    from auditor import resident

    declared = set(re.findall(r'envvar=f"\{ENV\}([A-Z_]+)"', Path(cli.__file__).read_text(encoding="utf-8")))
    read_by_the_launcher = {resident.ENABLE_VARIABLE, resident.IDLE_VARIABLE}  # no flag: read before the CLI
    assert documented == {f"SCALE_AUDITOR_{name}" for name in declared} | read_by_the_launcher


def test_version_is_the_package_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    code, lines, _ = run("--version")
    assert code == 0 and lines == [f"scale-auditor {version}"]


def test_hook_takes_the_filters_and_prints_plain_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_services(tmp_path / "repo")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, lines, _ = run("hook", "--root", str(root), "--no-cache", "k8s/web.yaml")
    assert code == 1 and found(lines) == {("AVAIL005", f"k8s/web.yaml:{REPLICAS_LINE}"),
                                          ("ELAST001", f"k8s/web.yaml:{REPLICAS_LINE}"),
                                          ("OBS003", f"k8s/web.yaml:{NAME_LINE}")}
    code, lines, _ = run("hook", "--root", str(root), "--no-cache", "--skip", "AVAIL005", "--min-severity",
                         "medium", "k8s/web.yaml")
    assert code == 0 and found(lines) == {("ELAST001", f"k8s/web.yaml:{REPLICAS_LINE}")}
    assert run("hook", "--root", str(root), "--no-cache", "--fail-on", "none", "k8s/web.yaml")[0] == 0
    assert run("hook", "--root", str(root), "--select", "nope", "k8s/web.yaml")[0] == 2


def test_the_audit_options_select_nothing_by_default(tmp_path: Path) -> None:
    root = two_services(tmp_path / "repo")
    assert audit(root, AuditOptions(min_severity="low")).below_min_severity == []
    below = audit(root, AuditOptions(min_severity="high")).below_min_severity
    assert sorted((f.rule_id, f.location.path) for f in below) == [
        ("ELAST001", "k8s/api.yaml"), ("ELAST001", "k8s/web.yaml"), ("OBS003", "k8s/api.yaml"),
        ("OBS003", "k8s/web.yaml")]


def test_quiet_prints_one_line_per_problem_naming_its_deployments(result: AuditResult) -> None:
    first = result.findings[0]
    again = dataclasses.replace(first, deployment="helm:chart@prod.yaml", fingerprint=first.fingerprint + "-prod")
    doubled = dataclasses.replace(result, findings=[first, again, *result.findings[1:]],
                                  diagnostics=[Diagnostic("x.yaml", "bad", 1), Diagnostic("x.yaml", "bad", 1)])
    lines = printed(doubled, quiet=True).splitlines()
    line = terminal.plain_finding_line(first)
    assert [entry for entry in lines if entry.startswith(line)] == [
        f"{line} (in 2 deployments: {', '.join(sorted([first.deployment, 'helm:chart@prod.yaml']))})"]
    assert lines[0] == "x.yaml:1: error parse-error bad" and lines[1] != lines[0]
