"""The whole hostile repository at once (tests/hostile_inputs.py): every requested output is written, the
CI secret appears in none of them, each hostile file gets its diagnostic or is read as data, every sibling
file's finding is still reported, and a poisoned parse cache runs nothing."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_inputs import HOSTILE_INPUTS, SECRET, SECRET_ENV, SIBLING_LINE, write_hostile_repo

FORMATS = ("json", "sarif", "markdown", "gitlab", "junit", "html")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", SECRET_ENV: SECRET, **(env or {})}
    return subprocess.run([sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True,
                          timeout=600, env=environment)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    base = tmp_path_factory.mktemp("hostile")
    secret_file = base / "ci-secrets.env"
    secret_file.write_text(f"{SECRET_ENV}={SECRET}\n", encoding="utf-8")
    repo = base / "repo"
    siblings = write_hostile_repo(repo, secret_file)
    return repo, siblings, base


@pytest.fixture(scope="module")
def audited(hostile: tuple[Path, dict[str, str], Path]) -> tuple[subprocess.CompletedProcess[str], Path]:
    repo, _, base = hostile
    out = base / "out"
    args = ["-f", "terminal", *(arg for name in FORMATS for arg in ("-f", f"{name}={out / name}"))]
    return _run(str(repo), *args), out


def test_every_output_is_written_and_nothing_crashed(audited: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, out = audited
    assert completed.returncode == 1, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr and "internal error" not in completed.stderr
    for name in FORMATS:
        assert (out / name).stat().st_size > 0, name
    json.loads((out / "sarif").read_text(encoding="utf-8"))
    json.loads((out / "gitlab").read_text(encoding="utf-8"))


def test_the_secret_appears_in_no_output(audited: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, out = audited
    everything = completed.stdout + completed.stderr
    everything += "".join((out / name).read_text(encoding="utf-8") for name in FORMATS)
    assert SECRET not in everything


def test_each_hostile_file_is_answered_and_its_sibling_still_audited(
    hostile: tuple[Path, dict[str, str], Path], audited: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, siblings, _ = hostile
    _, out = audited
    report = json.loads((out / "json").read_text(encoding="utf-8"))
    found = {(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]}
    codes: dict[str, set[str]] = {}
    for diagnostic in report["diagnostics"]:
        codes.setdefault(diagnostic["path"], set()).add(diagnostic["code"])
        assert diagnostic["code"] != "internal-error", diagnostic
    for item in HOSTILE_INPUTS:
        assert ("AVAIL005", siblings[item.path], SIBLING_LINE) in found, item.name
        if item.codes:
            assert codes.get(item.path, set()) & item.codes, (item.name, codes.get(item.path))
    # Links to a file outside the repository are reported as skipped and never read.
    skipped = {entry["path"]: entry["reason"] for entry in report["coverage"]["skipped"]}
    assert skipped["links/secret.yaml"] == skipped["links/.env"] == "symlink (not followed)"


def test_the_terminal_report_shows_repository_text_inert(
    audited: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, out = audited
    for text in (completed.stdout, (out / "markdown").read_text(encoding="utf-8")):
        assert "\x1b" not in text and "\u202e" not in text
        assert not any(line.lstrip().startswith("::") for line in text.splitlines())
    assert "w[/]eb" in completed.stdout


def test_the_hook_over_a_poisoned_cache_runs_nothing(hostile: tuple[Path, dict[str, str], Path]) -> None:
    repo, _, base = hostile
    from auditor.cache import ParseCache
    from auditor.discover import discover

    marker = base / "cache-executed"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    cache_home = base / "cache-home"
    cache = ParseCache(cache_home / "scale-auditor")
    for source in discover(repo).files:
        entry = cache._entry(source)
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(pickle.dumps(Payload()))
    changed = [item.path for item in HOSTILE_INPUTS[:6]]
    completed = _run("hook", "--root", str(repo), *changed, env={"XDG_CACHE_HOME": str(cache_home)})
    assert not marker.exists()
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr and SECRET not in completed.stdout + completed.stderr
