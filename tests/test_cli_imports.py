"""Commands that only read the rule catalogue import none of the pipeline (issue 12): `audit --help`, `rules`
and `explain` must stay quick, so networkx, tree-sitter, the parsers, the graph and the renderers are only
imported by the commands that audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

# Runs one command in a fresh interpreter, then prints the modules it imported as the last line of stderr.
PROBE = """\
import json, sys
from auditor.cli import main
sys.argv = ["audit", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
PIPELINE = ("networkx", "tree_sitter", "auditor.audit", "auditor.scan", "auditor.discover", "auditor.cache",
            "auditor.config", "auditor.graph", "auditor.code", "auditor.render")
RULE_FILE_LOADER = {"auditor.parsers.yaml_source", "auditor.parsers.numbers"}  # YAML and its number helpers
CATALOGUE_REPORT = {"auditor.report.ruledocs", "auditor.report.text"}


def part_of(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def imported_by(args: list[str], terminal: bool) -> list[str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    if terminal:
        env["FORCE_COLOR"] = "1"  # rich then renders the table and the Markdown as for a terminal
    completed = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                               timeout=120, env=env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip(), completed.stderr
    modules: list[str] = json.loads(completed.stderr.splitlines()[-1])
    return modules


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["rules"], ["rules", "-f", "markdown"],
                                  ["explain", "AVAIL001"], ["explain", "--help"]], ids=" ".join)
def test_catalogue_commands_import_no_pipeline(args: list[str], terminal: bool) -> None:
    modules = imported_by(args, terminal)
    heavy = [name for name in modules if any(part_of(name, package) for package in PIPELINE)]
    checks = [name for name in modules if name.startswith("auditor.checks.")]  # the names table is enough
    parsers = [name for name in modules if name.startswith("auditor.parsers.") and name not in RULE_FILE_LOADER]
    reporters = [name for name in modules if name.startswith("auditor.report.") and name not in CATALOGUE_REPORT]
    assert not heavy and not checks and not parsers and not reporters, (heavy, checks, parsers, reporters)
    assert "auditor.cli" in modules


@pytest.mark.parametrize("args", [["--help"], ["scan", str(ROOT / "fixtures" / "k8s-shop"), "-q"]], ids=" ".join)
def test_no_command_imports_pydantic(args: list[str]) -> None:
    # typer 0.29 imports pydantic to read the command line (80 ms at every start, a native wheel more for every
    # pre-commit install): pyproject.toml keeps typer below it.
    assert not [name for name in imported_by(args, terminal=False) if part_of(name, "pydantic")]
