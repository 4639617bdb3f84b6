"""The real pre-commit tool runs this repository's hook (`pre-commit try-repo`) against a scratch repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("pre_commit")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")

BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: checkout}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
        - name: checkout
          image: registry.example.com/shop/checkout:3.1.0
---
apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
spec:
  selector: {app: checkout}
  ports:
    - port: 8080
"""

# Fixed: three replicas, probes and resources (what remains is below the hook's default `high` threshold).
GOOD = BAD.replace("  replicas: 1\n", "  replicas: 3\n").replace(
    "          image: registry.example.com/shop/checkout:3.1.0\n",
    "          image: registry.example.com/shop/checkout:3.1.0\n"
    "          readinessProbe: {httpGet: {path: /ready, port: 8080}}\n"
    "          livenessProbe: {httpGet: {path: /live, port: 8080}}\n"
    "          resources:\n"
    "            requests: {cpu: 250m, memory: 256Mi}\n"
    "            limits: {memory: 512Mi}\n",
)


# What GOOD with one replica still has of GOOD's findings (below the hook's threshold): OBS003 and ELAST001.
EXISTING_AFTER_CHANGE = "2 existing findings remain in the touched files (audit hook --all shows them)"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "core.hooksPath=/dev/null",
                    *args], cwd=cwd, check=True, capture_output=True)


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "scale-audit", "--files", "k8s/checkout.yaml",
         "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )


def test_hook_fails_on_a_bad_fixture_passes_on_a_good_one_and_reports_what_a_change_introduced(
        tmp_path: Path) -> None:
    repo = tmp_path / "service-repo"
    (repo / "k8s").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "k8s/checkout.yaml").write_text(BAD, encoding="utf-8")
    _git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    failing = _try_repo(repo, home)  # no commit yet: every finding of the file is shown
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "k8s/checkout.yaml:7: high AVAIL005" in output
    assert "note: not compared with the committed state (no commit yet)" in output

    (repo / "k8s/checkout.yaml").write_text(GOOD, encoding="utf-8")
    _git(repo, "add", ".")
    passing = _try_repo(repo, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "AVAIL005" not in passing.stdout

    # Committed, then one line changed back to one replica: only that finding is new.
    _git(repo, "commit", "-q", "-m", "checkout")
    (repo / "k8s/checkout.yaml").write_text(GOOD.replace("  replicas: 3\n", "  replicas: 1\n"), encoding="utf-8")
    _git(repo, "add", ".")
    changed = _try_repo(repo, home)
    output = changed.stdout + changed.stderr
    assert changed.returncode == 1, output
    reported = [line for line in output.splitlines() if line.startswith("k8s/checkout.yaml:")]
    assert reported == ["k8s/checkout.yaml:7: high AVAIL005 Deployment `checkout` has 1 replica and receives traffic; "
                        "workloads that serve traffic need ≥ 2: every deploy, crash or node drain is an outage"], output
    assert EXISTING_AFTER_CHANGE in output.splitlines(), output
