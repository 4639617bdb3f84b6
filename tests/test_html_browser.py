"""The HTML report in a real browser: Debian's Chromium (scripts/install-browser) opens the report of a generated
40-service repository headless.

The page, opened with `#selftest`, checks what it drew and writes a JSON verdict into `<pre id="selfcheck">`
(script errors and console warnings, every node's label inside its node, inside the canvas and at least 9 px,
no two nodes overlapping; then a click on a node, on its first finding, and a rule filter); `--dump-dom` hands
the page back after its scripts ran. The expectations (which services, which findings, which evidence lines)
are computed here from the audit, not taken from the page. One repository service is named with markup that
would run if the page ever put repository text into HTML (in a deployment of its own, so the default view is
the 40 services). A screenshot of the default view is saved under
`$CI_ARTIFACTS` (or pytest's temporary folder) and its path printed in the log.
"""

from __future__ import annotations

import html as html_text
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import AuditResult, audit
from auditor.report import html
from auditor.report.graph_view import views

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from make_repo import make_repo  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run scripts/install-browser)")

SERVICES = 40
WINDOW = "1600,1000"
# Runs a script if it ever reaches the page as markup; the page's self-check reports pageErrors.
HOSTILE_NAME = "</script><img src=x onerror=\"pageErrors.push('markup ran')\">"
HOSTILE_DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {json.dumps(HOSTILE_NAME)}
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {{app: hostile}}
  template:
    metadata:
      labels: {{app: hostile}}
    spec:
      containers:
        - name: app
          image: registry.example.com/shop/hostile:1.0.0
"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", f"--window-size={WINDOW}", "--virtual-time-budget=10000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, Path, Path]:
    base = tmp_path_factory.mktemp("browser")
    repo = make_repo(base / "repo", SERVICES)
    (repo / "hostile").mkdir()
    (repo / "hostile" / "deployment.yaml").write_text(HOSTILE_DEPLOYMENT, encoding="utf-8")
    result = audit(repo)
    page = base / "report.html"
    page.write_text(html.render(result), encoding="utf-8")
    return result, page, base


@pytest.fixture(scope="module")
def dom(report: tuple[AuditResult, Path, Path]) -> str:
    """The page as Chromium holds it after its scripts ran, opened in self-test mode."""
    _, page, base = report
    completed = chromium(base / "profile-check", "--dump-dom", page.as_uri() + "#selftest")
    assert "selfcheck" in completed.stdout, completed.stderr[-2000:]
    return completed.stdout


@pytest.fixture(scope="module")
def verdict(dom: str) -> dict[str, Any]:
    found = re.search(r'<pre id="selfcheck"[^>]*>(.*?)</pre>', dom, re.DOTALL)
    assert found
    result: dict[str, Any] = json.loads(html_text.unescape(found.group(1)))
    return result


def test_no_script_errors_and_every_service_label_fully_visible(report: tuple[AuditResult, Path, Path],
                                                                 verdict: dict[str, Any]) -> None:
    assert verdict["errors"] == []
    assert verdict["view"] == "kubernetes:k8s"  # the deployment with the findings
    assert verdict["problems"] == []
    assert verdict["services"] == [f"svc{i:03d}" for i in range(SERVICES)]


def test_repository_markup_is_shown_as_text(verdict: dict[str, Any], dom: str) -> None:
    assert verdict["errors"] == []  # the hostile name's onerror never ran
    assert html_text.escape(HOSTILE_NAME, quote=False) in dom  # its finding rows show it as text
    assert "<img" not in dom


def test_a_click_shows_the_node_findings_and_a_finding_its_evidence(report: tuple[AuditResult, Path, Path],
                                                                     verdict: dict[str, Any]) -> None:
    result, _, _ = report
    graph = result.scan.graph
    view = next(v for v in views(graph) if v.deployment == "kubernetes:k8s")
    clicks = verdict["clicks"]
    subjects = {f.subject for f in result.findings}
    members = {node: {i for i, host in view.owner.items() if host == node} for node in view.drawn}
    services = [n for n in view.drawn if graph.nodes[n]["node"].kind == "service"]
    name, node = min((graph.nodes[n]["node"].name, n) for n in services if members[n] & subjects)
    assert clicks["node"] == clicks["title"] == name == "svc000"
    titles = {rule.id: rule.title for rule in result.rules}
    order = sorted(result.findings, key=lambda f: (html.SEVERITIES.index(f.severity), f.rule_id, f.location.path,
                                                   f.location.line, f.subject))
    expected = [f for f in order if f.subject in members[node]]
    assert expected
    assert clicks["findings"] == [f"{f.severity} {f.rule_id} {titles[f.rule_id]}" for f in expected]
    first = expected[0]
    lines = [f"{first.location.path}:{first.location.line}",
             *(f"{r.location.path}:{r.location.line} — {r.message}" for r in first.related)]
    assert clicks["evidence"][: len(lines)] == lines
    assert clicks["evidence"][len(lines)] == "Fix: " + first.fix.replace("\n", "")
    in_view = [f for f in order if f.subject in set(view.every_node)]
    assert clicks["rule"] == order[0].rule_id
    assert clicks["rule_rows"] == sum(1 for f in in_view if f.rule_id == order[0].rule_id)


def test_screenshot_of_the_default_view(report: tuple[AuditResult, Path, Path], capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    _, page, base = report
    folder = Path(os.environ.get("CI_ARTIFACTS") or base)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"html-report-{SERVICES}-services.png"
    shot.unlink(missing_ok=True)
    completed = chromium(base / "profile-shot", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), completed.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with capsys.disabled():
        print(f"\nHTML report screenshot ({SERVICES} services, {page.stat().st_size} bytes of HTML): {shot}")
