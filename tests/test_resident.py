"""The resident process (auditor/resident.py, issue 12 goal 5): a command it serves prints, reads and exits as the
same command run in a fresh process, on the caller's streams, in the caller's folder and environment; bad input
on its socket is declined and costs nothing; Ctrl-C in the caller interrupts the run; another install's code is
never served."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, write_repo

from auditor import kept, resident
from auditor.cache import ParseCache
from auditor.discover import Memo, SourceFile
from auditor.engine import rules
from auditor.model import Facts

pytestmark = pytest.mark.skipif(not resident.supported(), reason="the resident needs Unix sockets with SO_PEERCRED")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""


@pytest.fixture()
def short() -> Iterator[Path]:
    """A folder with a short path: a socket's path must fit in 100 bytes, and pytest's folders are long."""
    folder = Path(tempfile.mkdtemp(prefix="res-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def environment(short: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An environment with the resident switched on, its socket and the cache in a folder of this test's; the
    resident this test started is stopped at the end."""
    values = {"SCALE_AUDITOR_RESIDENT": "1", "SCALE_AUDITOR_RESIDENT_IDLE": "120", "XDG_CACHE_HOME": str(short /
              "cache"), "XDG_RUNTIME_DIR": str(short / "run"), "NO_COLOR": "1", "COLUMNS": "200"}
    (short / "run").mkdir(mode=0o700)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    yield dict(os.environ)
    answer = resident.control("stop")
    if answer is not None:
        _gone(int(answer["pid"]))


def _gone(pid: int, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return False


def _up(within: float = 90.0) -> dict[str, object]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = resident.control("status")
        if answer is not None:
            return answer
        time.sleep(0.1)
    raise AssertionError("the resident did not start")


def audit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`audit ARGS` through the console script's own entry (auditor/launch.py)."""
    return subprocess.run([sys.executable, "-m", "auditor.launch", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_a_command_the_resident_runs_prints_and_exits_as_it_does_in_a_fresh_process(
        tmp_path: Path, environment: dict[str, str]) -> None:
    repo = write_repo(tmp_path / "repo", {f"k8s/api{index}.yaml": DEPLOYMENT.replace("name: api", f"name: api{index}")
                                          for index in range(30)})
    local = {**environment, "SCALE_AUDITOR_RESIDENT": "0"}
    commands = [(".", "-q", "--fail-on", "low"), (".", "-f", "json"), (".", "--fail-on", "urgent")]
    expected = [audit(*command, cwd=repo, env=local) for command in commands]
    assert resident.control("status") is None
    first = audit(*commands[0], cwd=repo, env=environment)  # runs here, and starts the resident for the next one
    assert (first.returncode, first.stdout) == (expected[0].returncode, expected[0].stdout)
    assert _up()["served"] == 0
    served = [audit(*command, cwd=repo, env=environment) for command in commands]
    assert resident.control("status")["served"] == 3  # type: ignore[index]
    assert [(run.returncode, run.stdout, run.stderr) for run in served] == \
           [(run.returncode, run.stdout, run.stderr) for run in expected]
    assert served[0].returncode == 1 and "k8s/api0.yaml" in served[0].stdout
    assert len(served[1].stdout) > 65_536 and len(json.loads(served[1].stdout)["findings"]) >= 30  # over a pipe, whole
    assert served[2].returncode == 2 and "--fail-on must be one of" in served[2].stderr
    with_variable = audit(".", cwd=repo, env={**environment, "SCALE_AUDITOR_FORMAT": "json", "TMPDIR": str(tmp_path)})
    assert with_variable.stdout == expected[1].stdout  # the caller's environment, not the resident's


def test_the_resident_writes_to_the_callers_terminal_as_the_callers_own_process_would(
        tmp_path: Path, environment: dict[str, str]) -> None:
    audit("rules", cwd=tmp_path, env=environment)
    _up()
    piped = audit("rules", cwd=tmp_path, env=environment)
    assert "AVAIL005\t" in piped.stdout  # not a terminal: one tab-separated line per rule
    on_terminal = _on_a_terminal([sys.executable, "-m", "auditor.launch", "rules"], tmp_path, environment)
    assert "AVAIL005" in on_terminal and "AVAIL005\t" not in on_terminal and "━" in on_terminal  # a table
    assert resident.control("status")["served"] == 2  # type: ignore[index]


def _on_a_terminal(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(command[0], command, {**env, "COLUMNS": "200"})
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65_536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    return output.decode("utf-8", "replace")


def test_bad_input_on_the_socket_is_declined_and_the_resident_still_serves(
        tmp_path: Path, environment: dict[str, str]) -> None:
    audit("rules", cwd=tmp_path, env=environment)
    _up()
    path = resident.socket_path()
    assert path is not None and os.stat(path).st_mode & 0o077 == 0
    pid = int(resident.control("status")["pid"])  # type: ignore[index]
    descriptors = _open_descriptors(pid)
    for garbage in (b"\x00\x00\x00\x05[1,2", b"\xff\xff\xff\xffxx", b"\x00\x00\x00\x02{}",
                    b'\x00\x00\x00\x1a{"command": "run", "a": 1}'):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            socket.send_fds(connection, [garbage], [0, 1, 2])  # descriptors sent with it are closed, not kept
            connection.shutdown(socket.SHUT_WR)
            connection.settimeout(30)
            assert connection.recv(16) in (b"", b"N")
    assert resident.control("status")["served"] == 0  # type: ignore[index]
    assert _open_descriptors(pid, at_most=descriptors) <= descriptors
    assert audit("rules", cwd=tmp_path, env=environment).returncode == 0


def _open_descriptors(pid: int, at_most: int | None = None) -> int:
    """How many descriptors `pid` holds once a connection it is just closing is closed: the least of a few looks
    (until `at_most` is reached, or 10 s)."""
    deadline = time.monotonic() + (10 if at_most is not None else 0.3)
    least = len(os.listdir(f"/proc/{pid}/fd"))
    while time.monotonic() < deadline and (at_most is None or least > at_most):
        time.sleep(0.05)
        least = min(least, len(os.listdir(f"/proc/{pid}/fd")))
    return least


def test_a_caller_that_goes_away_interrupts_its_run() -> None:
    caller, child_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        caller.close()
        try:
            resident._interrupt_when_the_caller_leaves(child_end)
            time.sleep(30)
            os._exit(1)
        except KeyboardInterrupt:
            os._exit(7)
    child_end.close()
    time.sleep(0.2)
    caller.close()
    started = time.monotonic()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 7 and time.monotonic() - started < 20


def test_another_install_or_an_edited_one_has_a_resident_of_its_own(tmp_path: Path) -> None:
    package = tmp_path / "auditor"
    package.mkdir()
    (package / "cli.py").write_text("x = 1\n")
    (package / "__pycache__").mkdir()
    before = resident.install_digest(str(package))
    (package / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"compiled")
    assert resident.install_digest(str(package)) == before  # bytecode is not the code
    (package / "cli.py").write_text("x = 22\n")
    assert resident.install_digest(str(package)) != before
    assert resident.install_digest(str(tmp_path / "elsewhere")) != resident.install_digest(str(package))


def test_the_socket_folder_is_private_and_a_long_one_is_not_used(short: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short / ("r" * 120)))
    monkeypatch.setenv("XDG_CACHE_HOME", str(short / "cache"))
    (short / "cache").mkdir(mode=0o777)
    path = resident.socket_path("d" * 24)
    assert path == str(short / "cache" / "scale-auditor" / "resident" / f"{'d' * 24}.sock")
    assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700


def test_the_resident_keeps_the_entries_commands_used_and_serves_the_same_output_from_them(
        tmp_path: Path, environment: dict[str, str]) -> None:
    repo = write_repo(tmp_path / "repo", {f"k8s/api{index}.yaml": DEPLOYMENT.replace("name: api", f"name: api{index}")
                                          for index in range(5)})
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "apis"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *command], cwd=repo, check=True,
                       capture_output=True)
    (repo / "k8s/api0.yaml").write_text(DEPLOYMENT.replace("name: api", "name: api0").replace("replicas: 1",
                                                                                             "replicas: 2"))
    hook = ("hook", "--all", "k8s/api0.yaml")
    first = audit(*hook, cwd=repo, env=environment)
    _up()
    served = audit(*hook, cwd=repo, env=environment)  # reads the cache's entries from disk, and reports them
    deadline = time.monotonic() + 60
    while resident.control("status")["kept_entries"] < 5 and time.monotonic() < deadline:  # type: ignore[index]
        time.sleep(0.1)
    assert resident.control("status")["kept_entries"] >= 5  # type: ignore[index]
    again = audit(*hook, cwd=repo, env=environment)  # takes them from the resident's memory
    assert "k8s/api0.yaml" in first.stdout
    assert (first.stdout, first.returncode) == (served.stdout, served.returncode) == (again.stdout, again.returncode)


def test_only_entries_named_by_what_they_were_computed_from_are_kept(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "_kept", {})
    monkeypatch.setattr(kept, "_held", 0)
    cache = ParseCache(tmp_path / "cache")
    sources = [SourceFile(f"k8s/api{index}.yaml", "kubernetes", "", f"{index}") for index in range(3)]
    for source in sources:
        cache.store(source, Facts(source.path, "kubernetes"))
    entries = [str(cache._entry(source)) for source in sources]
    fingerprint = cache.directory.name
    memo = str(cache._derived_entry("memo", "root"))
    cache.store_memo("root", Memo())
    for refused in (memo, entries[0].replace(fingerprint, "0" * 16), "k8s/relative.json",
                    entries[0].replace(".json", ".txt"), str(tmp_path / ".." / Path(entries[0]).name)):
        kept.keep(refused, fingerprint)
    assert kept.summary()["kept_entries"] == 0
    for entry in entries:
        kept.keep(entry, fingerprint)
    assert kept.summary()["kept_entries"] == 3
    held = kept.recall(entries[0])
    assert held is not None and ParseCache(tmp_path / "cache").lookup(sources[0]) is held  # not decoded again
    monkeypatch.setattr(kept, "MEMORY_BYTES", kept.summary()["kept_bytes"] - 1)
    kept.keep(entries[0], fingerprint)  # used again: now the most recent, so the least recent one goes
    kept.keep(str(cache._entry(SourceFile("k8s/new.yaml", "kubernetes", "", "n"))), fingerprint)  # no such entry
    assert kept.summary()["kept_entries"] == 3
    newer = SourceFile("k8s/newer.yaml", "kubernetes", "", "4")
    cache.store(newer, Facts(newer.path, "kubernetes"))
    kept.keep(str(cache._entry(newer)), fingerprint)
    assert kept.recall(entries[1]) is None and kept.recall(entries[0]) is held


def test_the_resident_parses_the_built_in_rules_once_and_a_changed_rule_file_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_PRELOADED", {})
    fresh = rules.load_all_rules()
    rules.preload_builtin_rules()
    preloaded = rules.load_all_rules()
    assert preloaded == fresh and all(a is rules._PRELOADED[a.path][1] for a in preloaded)
    path = preloaded[0].path
    identity, rule = rules._PRELOADED[path]
    rules._PRELOADED[path] = ((identity[0] + 1, *identity[1:]), rule)  # as if the file had changed since
    assert rules.load_all_rules()[0] is not rule


def test_ctrl_c_in_the_caller_stops_the_command_in_the_resident(tmp_path: Path, environment: dict[str, str]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from make_repo import make_repo

    repo = make_repo(tmp_path / "repo", 800)
    audit("rules", cwd=tmp_path, env=environment)
    _up()
    command = [sys.executable, "-m", "auditor.launch", str(repo), "-j", "1", "-q"]
    started = time.monotonic()
    assert audit(*command[3:], cwd=tmp_path, env=environment).returncode in (0, 1)  # served whole: how long it takes
    whole = time.monotonic() - started
    started = time.monotonic()
    caller = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(whole / 3)
    caller.send_signal(signal.SIGINT)
    caller.communicate(timeout=60)
    assert caller.returncode == 130  # as a fresh process exits on Ctrl-C (typer: Exit(130))
    assert time.monotonic() - started < whole * 0.8  # the child stopped: it did not run to the end
    deadline = time.monotonic() + 30
    pid = int(resident.control("status")["pid"])  # type: ignore[index]
    while _children_of(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children_of(pid) == []


def _children_of(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in listed.splitlines() if line.strip() and "Z" not in line.split()[1]]
