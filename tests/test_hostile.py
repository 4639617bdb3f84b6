"""Hostile input: every bad file becomes one located diagnostic, the rest is still audited, nothing runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from auditor.discover import discover
from auditor.render.helm import helm_options
from auditor.scan import scan

HOSTILE = FIXTURES / "hostile"

# (path, diagnostic code, line or None)
EXPECTED = {
    ("app/.env", "encoding", 2),
    ("app/settings.py", "parse-error", 7),
    ("docker-compose.yml", "parse-error", 6),
    ("infra/broken.tf", "parse-error", 7),
    ("infra/queues.tf.json", "parse-error", 4),
    ("k8s/alias-bomb.yaml", "alias-bomb", 6),
    ("k8s/broken-deployment.yaml", "parse-error", 12),
    ("k8s/deep.yaml", "too-deep", 6),
    ("k8s/screenshot.yaml", "binary", None),
}


def test_one_diagnostic_per_hostile_file() -> None:
    result = scan(HOSTILE)
    # The chart's template calls a helper no file defines: helm says where; without helm, the values are read.
    renderer = helm_options()
    chart = ("chart/templates/deployment.yaml", "not-rendered", 4) if renderer.binary or renderer.sdk else \
        ("chart/Chart.yaml", "not-rendered", None)
    assert {(d.path, d.code, d.line) for d in result.diagnostics} == EXPECTED | {chart}


def test_the_rest_is_still_audited() -> None:
    result = scan(HOSTILE)
    ids = set(result.graph.nodes)
    assert "kubernetes:Deployment:jobs/worker" in ids
    assert "terraform:aws_db_instance:infra/main" in ids
    # Both queues of the file with a missing brace are recovered.
    assert {"terraform:aws_sqs_queue:infra/orders", "terraform:aws_sqs_queue:infra/dead_letter"} <= ids


def test_nothing_from_the_repo_is_executed(tmp_path: Path) -> None:
    marker = Path("/tmp/scale-auditor-executed-hostile-settings")
    marker.unlink(missing_ok=True)
    scan(HOSTILE)
    assert not marker.exists()


def test_cli_never_shows_a_traceback() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "auditor.cli", str(HOSTILE)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert completed.returncode in (0, 1), completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "infra/broken.tf:7" in completed.stdout


def test_oversized_file_is_skipped_with_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "big.tf").write_text('# padding\n' * 400_000, encoding="utf-8")
    (tmp_path / "ok.tf").write_text('resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n', encoding="utf-8")
    result = scan(tmp_path, max_bytes=1_000_000)
    assert [(d.path, d.code) for d in result.diagnostics] == [("big.tf", "too-large")]
    assert "terraform:aws_sqs_queue:./jobs" in result.graph or any("jobs" in n for n in result.graph.nodes)


def test_symlink_loop_and_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "dir-loop").mkdir()
    (tmp_path / "dir-loop" / "up").symlink_to(tmp_path)
    inventory = discover(tmp_path)
    codes = sorted((d.path, d.code) for d in inventory.diagnostics)
    assert codes == [("a", "symlink"), ("b", "symlink")]
    assert {s.path for s in inventory.skipped} >= {"gone.yaml", "dir-loop/up"}


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret.tf").write_text('resource "aws_sqs_queue" "q" {}\n', encoding="utf-8")
    (tmp_path / "ok.tf").write_text('resource "aws_sqs_queue" "jobs" {}\n', encoding="utf-8")
    import builtins

    import auditor.discover as discover_module

    def fake_open(path: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == "secret.tf":  # (running as root, a mode of 000 would not stop the read)
            raise PermissionError(13, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(discover_module, "open", fake_open, raising=False)  # discovery opens files by name
    inventory = discover(tmp_path)
    assert [(d.path, d.code) for d in inventory.diagnostics] == [("secret.tf", "unreadable")]
    assert [f.path for f in inventory.files] == ["ok.tf"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    inventory = discover(tmp_path)  # would block forever if the FIFO were opened
    assert inventory.files == []


def test_unreadable_directory_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def fake_scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    inventory = discover(tmp_path)
    assert [(d.path, d.code) for d in inventory.diagnostics] == [("locked", "unreadable")]


def test_copy_of_hostile_repo_is_untouched(tmp_path: Path) -> None:
    copy = tmp_path / "hostile"
    shutil.copytree(HOSTILE, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    scan(copy)
    assert before == {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}


@pytest.mark.parametrize("text", [
    "a: " + "[" * 5_000 + "]" * 5_000 + "\n",  # flow nesting: pyyaml 6.0.4's libyaml refuses this one itself
    "".join("  " * depth + "- \n" for depth in range(300)),  # block nesting, which libyaml lets through
])
def test_too_deep_is_the_tools_own_verdict_with_its_whole_message(text: str) -> None:
    """Whichever pyyaml is installed, the user reads the tool's message (issue 7, item 0): not libyaml's
    "exceeded the maximum nesting depth", nor a message cut short."""
    from auditor.parsers.yaml_source import MAX_DEPTH, load_documents

    _, problem = load_documents(text)
    assert problem is not None
    assert (problem.code, problem.message) == (
        "too-deep", f"nesting deeper than {MAX_DEPTH} levels (the limit for one YAML file)")
