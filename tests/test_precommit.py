"""The real pre-commit tool runs this repository's hook (`pre-commit try-repo`) against a scratch repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def test_with_the_resident_the_hook_under_pre_commit_says_the_same_and_its_next_run_is_served_by_it(
        tmp_path: Path) -> None:
    """SCALE_AUDITOR_RESIDENT=1 under the real pre-commit (auditor/resident.py): the hook's environment is
    pre-commit's own, where this checkout is installed; the first run starts a resident there, the next is served
    by it, and both say what the hook says without it."""
    from auditor import resident

    if not resident.supported():
        pytest.skip("the resident needs Unix sockets with SO_PEERCRED")
    repo = tmp_path / "service-repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / "k8s/checkout.yaml").write_text(BAD, encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: scale-audit\n        name: scale-audit\n"
        "        entry: audit hook\n        language: python\n        require_serial: true\n"
        f"        additional_dependencies: [{json.dumps(str(ROOT))}]\n        files: '\\.ya?ml$'\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    sockets = Path(tempfile.mkdtemp(prefix="res-", dir="/tmp"))  # a socket's path must be short
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never",
           "XDG_RUNTIME_DIR": str(sockets), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "SCALE_AUDITOR_RESIDENT_IDLE": "60"}

    def commit_hook(enabled: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--files", "k8s/checkout.yaml"], cwd=repo,
                              env={**env, "SCALE_AUDITOR_RESIDENT": enabled}, capture_output=True, text=True,
                              timeout=900)

    def said(run: subprocess.CompletedProcess[str]) -> list[str]:
        return [line for line in run.stdout.splitlines() if not line.startswith("[INFO]")]  # not installing

    try:
        plain = commit_hook("0")
        assert plain.returncode == 1 and "k8s/checkout.yaml:7: high AVAIL005" in plain.stdout, plain.stdout
        assert said(commit_hook("1")) == said(plain)  # runs in the hook's process, and starts the resident
        deadline = time.monotonic() + 90
        while not list((sockets / "scale-auditor").glob("*.sock")) and time.monotonic() < deadline:
            time.sleep(0.1)
        socket_path = str(next((sockets / "scale-auditor").glob("*.sock")))
        while resident.control("status", socket_path) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        served = commit_hook("1")
        assert (served.returncode, said(served)) == (plain.returncode, said(plain))
        assert resident.control("status", socket_path)["served"] == 1  # type: ignore[index]
    finally:
        for found in (sockets / "scale-auditor").glob("*.sock"):
            resident.control("stop", str(found))
        shutil.rmtree(sockets, ignore_errors=True)
