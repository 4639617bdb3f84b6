"""Run a trusted binary (helm, kustomize) on untrusted input, bounded: a child process with a clean environment,
no stdin, a private working and home directory, a wall-clock timeout, CPU and address-space limits, and
bounded output.

The binary is the user's (found on PATH or named on the command line); the input it reads is the
repository's, copied by the caller into a temporary directory. Nothing here goes through a shell: argv is a
list the caller builds from its own paths and constants.
"""

from __future__ import annotations

import contextlib
import functools
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 30.0  # seconds of wall-clock time per run
DEFAULT_MEMORY = 1 << 30  # bytes of address space (Go binaries start well under 1 GiB; checked with helm 3.17)
DEFAULT_CPU = 30  # seconds of CPU time
DEFAULT_OUTPUT = 32 * 1024 * 1024  # bytes of stdout kept; more is a failure
_STDERR_KEPT = 64 * 1024
_HELM_DIRS = ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    cpu: int = DEFAULT_CPU
    output: int = DEFAULT_OUTPUT


@dataclass(frozen=True)
class Outcome:
    """What a sandboxed run gave: its output, exit status, and (when it did not complete) why not.

    `failure` is "" for a run that exited by itself, else one of: timeout, cpu, memory, output, start.
    """

    stdout: str
    stderr: str
    exit_code: int | None
    failure: str = ""
    seconds: float = 0.0
    detail: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return not self.failure and self.exit_code == 0

    def reason(self) -> str:
        """One line saying why the run did not succeed (empty when it did)."""
        if self.failure == "timeout":
            return f"stopped after {self.seconds:.0f} s (wall-clock limit)"
        if self.failure == "cpu":
            return "stopped by the CPU-time limit"
        if self.failure == "memory":
            return "stopped by the memory limit (it tried to use more address space than allowed)"
        if self.failure == "output":
            return "stopped: its output exceeded the size limit"
        if self.failure == "start":
            return f"could not be started ({self.detail})"
        if self.exit_code != 0:
            return f"exited with status {self.exit_code}"
        return ""


def clean_environment(home: Path) -> dict[str, str]:
    """PATH to the system directories only, HOME and every Helm directory inside `home`, no kubeconfig, no
    plugins, no proxies or credentials inherited from the caller."""
    for name in ("home", "cache", "config", "data", "plugins", "tmp"):
        (home / name).mkdir(mode=0o700, exist_ok=True)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home / "home"),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C",
        "KUBECONFIG": "/dev/null",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "HELM_PLUGINS": str(home / "plugins"),  # an empty directory: no plugin is ever found
        "HELM_REGISTRY_CONFIG": str(home / "config" / "registry.json"),
        "HELM_REPOSITORY_CONFIG": str(home / "config" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(home / "cache" / "repository"),
        "HELM_KUBECONTEXT": "",
        "KUBERNETES_SERVICE_HOST": "",
        "NO_PROXY": "*",
        "no_proxy": "*",
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }


# The limits are set by util-linux's `prlimit`, which then execs the binary, or where there is none by a small
# Python trampoline that does the same: `preexec_fn` would do it in the child but is unsafe once threads exist
# (render/helm.py renders charts from a thread pool), and the kernel keeps rlimits across exec. prlimit costs 1 ms
# of CPU a run, the trampoline's interpreter 12 ms: 0.8 s of a corpus audit's 71 renders. prlimit is taken from the
# system's own folders only, never from PATH. `-I -S`: no environment, no site, nothing from the working directory
# is imported by the trampoline.
_PRLIMIT_PATHS = ("/usr/bin/prlimit", "/bin/prlimit")
_PRLIMIT_FAILED = "prlimit: failed to execute "  # util-linux's message (LANG=C), exit status 126 or 127
_START_FAILED = "auditor-sandbox: cannot start: "
_TRAMPOLINE = (
    "import os, resource, sys\n"
    "memory, cpu, size = (int(value) for value in sys.argv[1:4])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))\n"
    "try:\n"
    "    os.execv(sys.argv[4], sys.argv[4:])\n"
    "except OSError as error:\n"
    f"    sys.stderr.write({_START_FAILED!r} + (error.strerror or str(error)))\n"
    "    sys.exit(127)\n"
)


@functools.cache
def _prlimit() -> str | None:
    return next((path for path in _PRLIMIT_PATHS if os.path.isfile(path) and os.access(path, os.X_OK)), None)


def _argv(binary: str, args: Sequence[str], limits: Limits, prlimit: str | None = None) -> list[str]:
    """The command that runs `binary args…` under `limits`: through `prlimit` when there is one, else the
    trampoline. The same four limits either way."""
    if prlimit is not None:
        return [prlimit, f"--as={limits.memory}", f"--cpu={limits.cpu}:{limits.cpu + 1}", "--core=0",
                f"--fsize={limits.output}", "--", binary, *args]
    return [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(limits.memory), str(limits.cpu), str(limits.output),
            binary, *args]


def _start_failure(code: int | None, stderr: str) -> str | None:
    """Why the binary could not be started (strerror), when the limiter said so; None when it started."""
    if code == 127 and stderr.startswith(_START_FAILED):
        return stderr[len(_START_FAILED):].strip()
    if code in (126, 127) and stderr.startswith(_PRLIMIT_FAILED) and ": " in stderr[len(_PRLIMIT_FAILED):]:
        return stderr.strip().rsplit(": ", 1)[1]
    return None


def run(binary: str, args: Sequence[str], limits: Limits | None = None, workdir: Path | None = None) -> Outcome:
    """Run `binary args…` bounded by `limits` in a fresh temporary home (or under `workdir`, which the caller
    owns); never raises for anything the child does."""
    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="auditor-sandbox-") as scratch:
        home = Path(scratch)
        env = clean_environment(home)
        cwd = workdir if workdir is not None else home / "tmp"
        return _run(_argv(binary, args, limits, _prlimit()), env, cwd, limits)


def _run(argv: list[str], env: dict[str, str], cwd: Path, limits: Limits) -> Outcome:
    start = time.monotonic()
    try:
        process = subprocess.Popen(  # its own session and process group: a timeout kills all it started
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            start_new_session=True, close_fds=True)
    except OSError as error:
        return Outcome("", "", None, "start", 0.0, error.strerror or str(error))
    assert process.stdout is not None and process.stderr is not None
    out, err = bytearray(), bytearray()
    failure = ""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        open_streams = 2
        while open_streams:
            remaining = limits.timeout - (time.monotonic() - start)
            if remaining <= 0:
                failure = "timeout"
                break
            for key, _ in selector.select(timeout=min(remaining, 1.0)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                buffer: bytearray = key.data
                if buffer is out and len(out) + len(chunk) > limits.output:
                    failure = "output"
                    break
                if buffer is err and len(err) >= _STDERR_KEPT:
                    continue
                buffer.extend(chunk)
            if failure:
                break
    if failure:
        _kill(process)
    try:
        code = process.wait(timeout=max(1.0, limits.timeout - (time.monotonic() - start)))
    except subprocess.TimeoutExpired:
        failure = failure or "timeout"
        _kill(process)
        code = process.wait()
    process.stdout.close()
    process.stderr.close()
    seconds = time.monotonic() - start
    stderr = err.decode("utf-8", errors="replace")
    if not failure and (why := _start_failure(code, stderr)) is not None:
        return Outcome("", "", None, "start", seconds, why)
    if not failure:
        failure = _signal_failure(code, stderr)
    return Outcome(out.decode("utf-8", errors="replace"), stderr, code, failure, seconds)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _signal_failure(code: int, stderr: str) -> str:
    """Which limit ended a run that did not exit cleanly: SIGXCPU is the CPU limit; a Go runtime that cannot
    map memory says so on stderr and exits 2; a plain allocation failure kills with SIGABRT/SIGSEGV."""
    if code == -signal.SIGXCPU:
        return "cpu"
    lowered = stderr.lower()
    if code != 0 and ("out of memory" in lowered or "cannot allocate memory" in lowered or
                      "memory allocation failed" in lowered):
        return "memory"
    return ""
