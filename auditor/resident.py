"""A resident `audit` process, so that a warm pre-commit hook costs what its change costs (opt-in: set
SCALE_AUDITOR_RESIDENT=1 in the environment the hook runs in).

A fresh `audit hook` on one changed file of a 100-service repository spends half its 0.6 s importing (networkx,
the parsers, the rules) and freeing what it built. A resident process has imported all of it once. For each
command it forks a child that takes over the caller's stdin, stdout and stderr (passed over the socket),
working directory, environment and arguments, runs the command as a fresh process would (cli.py `finish`), and
sends back its exit status. Nothing but the imports outlives a command: each is a fresh fork, so one
repository's run leaves nothing for the next. The first command with the variable set runs in its own process
and starts the resident in the background for the next one; the resident exits after `idle_seconds` without a
command (SCALE_AUDITOR_RESIDENT_IDLE, default 30 minutes), or on `audit resident stop`.

Trust: the socket lives in a folder only this user can enter (auditor/private.py), the resident serves only a
peer of its own uid (SO_PEERCRED), and it runs only this install's own code, as the caller would, on what the
caller names. The socket's name is a digest of the install (the interpreter and every file of the package by
size and mtime), so after an upgrade or an edit the next command starts a new resident, and the old one idles
out. Interrupting the caller (Ctrl-C) closes the connection, which interrupts the child (SIGIO).

The `audit` console script imports this module first (auditor/launch.py), so at import it needs only the
standard library's light modules.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any, NoReturn

ENABLE_VARIABLE = "SCALE_AUDITOR_RESIDENT"
IDLE_VARIABLE = "SCALE_AUDITOR_RESIDENT_IDLE"
DEFAULT_IDLE_SECONDS = 1800.0
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # arguments and an environment; far more than either holds
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
_INTERRUPT_GRACE_S = 5.0
_ACCEPT_TICK = 0.5  # seconds between checks of the idle clock and of finished children
# Replies: the child started (after this, the command has run, at least in part); it ended, with a status (4
# bytes, big-endian, signed); the resident declined (the caller runs the command itself); a control answer.
_STARTED, _ENDED, _DECLINED, _ANSWER = b"R", b"S", b"N", b"A"
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def enabled(environment: Mapping[str, str] = os.environ) -> bool:
    return environment.get(ENABLE_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def supported() -> bool:
    """Whether this platform can serve: Unix sockets with peer credentials, descriptor passing and fork."""
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "SO_PEERCRED") and hasattr(socket, "send_fds") and \
        hasattr(os, "fork")


def install_digest(package: str = _PACKAGE) -> str:
    """A digest of the code a resident would run: the interpreter, and each file of the package by path, size
    and mtime (about 2 ms for 200 files). Any upgrade or edit changes it."""
    digest = hashlib.sha256(f"{sys.executable}\0{sys.version}\0{package}\0".encode())
    for folder, folders, files in os.walk(package):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def socket_path(digest: str | None = None) -> str | None:
    """Where this install's resident listens, in a private folder (created if need be); None when no such
    folder can be had. $XDG_RUNTIME_DIR/scale-auditor when it is set, else the cache folder's `resident`, else
    (a path too long for a socket) /tmp/scale-auditor-UID."""
    from auditor.private import cache_folder, private_dir

    name = f"{digest or install_digest()}.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    for folder in ([os.path.join(runtime, "scale-auditor")] if runtime else []) + [
            os.path.join(cache_folder(), "resident"), f"/tmp/scale-auditor-{os.getuid()}"]:
        path = os.path.join(folder, name)
        if os.path.isabs(path) and len(os.fsencode(path)) <= _MAX_SOCKET_PATH and private_dir(folder):
            return path
    return None


# -- the caller's side ------------------------------------------------------------------------------------


def call(argv: list[str], path: str | None = None) -> int | None:
    """Run `audit ARGV` in this install's resident: its exit status, or None when no resident took it (then
    nothing of it ran, and the caller runs it itself)."""
    if not supported():
        return None
    path = path or socket_path()
    if path is None:
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # the caller's folder was removed: the command runs here, and says so itself
        return None
    request = {"command": "run", "argv": argv, "cwd": cwd, "environment": dict(os.environ),
               "streams": [_stream_options(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)]}
    connection = _connect(path)
    if connection is None:
        return None
    with connection:
        try:
            _send(connection, request, [0, 1, 2])
            if _receive_exactly(connection, 1) != _STARTED:
                return None
        except OSError:
            return None
        except KeyboardInterrupt:  # a child that starts now finds the connection ended, and stops at once
            return _interrupted(connection)
        try:
            reply = _receive_exactly(connection, 5)
        except KeyboardInterrupt:
            return _interrupted(connection)
        except OSError:
            reply = b""
    if len(reply) == 5 and reply[:1] == _ENDED:
        return int.from_bytes(reply[1:], "big", signed=True)
    print("audit: the resident process ended this command without an exit status (see `audit resident "
          "status`)", file=sys.stderr)
    return 4


def _interrupted(connection: socket.socket) -> int:
    """Ctrl-C in the caller: end our side of the connection, which interrupts the child (SIGIO), and give it a
    few seconds to say so and stop, so that its last words come before the shell's prompt."""
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(_INTERRUPT_GRACE_S)
        reply = _receive_exactly(connection, 5)
    except (OSError, KeyboardInterrupt):
        return 130
    return int.from_bytes(reply[1:], "big", signed=True) if len(reply) == 5 and reply[:1] == _ENDED else 130


def control(command: str, path: str | None = None) -> dict[str, Any] | None:
    """`status` or `stop` of this install's resident: its answer (pid, started, commands served), or None when
    none is running."""
    path = path or socket_path()
    connection = _connect(path) if path is not None and supported() else None
    if connection is None:
        return None
    with connection:
        try:
            _send(connection, {"command": command}, [])
            if _receive_exactly(connection, 1) != _ANSWER:
                return None
            answer = json.loads(_receive_exactly(connection, int.from_bytes(_receive_exactly(connection, 4), "big")))
        except (OSError, ValueError):
            return None
    return answer if isinstance(answer, dict) else None


def start(path: str) -> None:
    """Start this install's resident in the background, for the next command (this one runs in its caller)."""
    import subprocess

    environment = dict(os.environ)
    # The resident must import this very package, wherever it was imported from (an install, or a checkout on
    # PYTHONPATH); it runs from / so that it holds no folder of the caller's.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(_PACKAGE),
                                                              environment.get("PYTHONPATH")]))
    with contextlib.suppress(OSError):
        subprocess.Popen([sys.executable, "-m", "auditor.resident", path], cwd="/", env=environment,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)


def _connect(path: str) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    return connection


def _stream_options(stream: Any) -> list[str | None]:
    """The encoding and error handler of one of the caller's standard streams, for the child to write alike."""
    return [getattr(stream, "encoding", None), getattr(stream, "errors", None)]


def _send(connection: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
    data = json.dumps(message).encode()
    framed = len(data).to_bytes(4, "big") + data
    if fds:
        sent = socket.send_fds(connection, [framed[:65_536]], fds)
        connection.sendall(framed[sent:])
    else:
        connection.sendall(framed)


def _receive_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


# -- the resident's side ----------------------------------------------------------------------------------


class _Stop(Exception):
    pass


def serve(path: str, idle_seconds: float) -> None:
    """Import the whole tool, then serve commands on `path` until idle for `idle_seconds` or told to stop. Returns
    at once when another resident already serves `path`. Between commands it decodes the cache entries the last
    ones used (auditor/kept.py), a few at a time, serving any command that comes meanwhile first."""
    import fcntl
    import gc
    from collections import deque

    if os.path.basename(path) != f"{install_digest()}.sock":
        return  # the package changed since the caller named this socket: the next command starts the right one
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another resident holds it (or is starting)
    _preload()
    gc.freeze()  # what the imports built is never collected: children share those pages and never scan them
    from auditor import cache, kept

    fingerprint = cache._parser_fingerprint()
    if os.path.exists(path):
        os.unlink(path)  # a socket left by a resident that died: the lock says none serves it now
    _remove_reports(path)  # and the reports its children left
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(16)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    state: dict[str, Any] = {"pid": os.getpid(), "started": time.time(), "served": 0, "idle_seconds": idle_seconds}
    children: set[int] = set()
    to_keep: deque[str] = deque()
    last = time.monotonic()
    try:
        while True:
            running = _reaped(children)
            for ended in children - running:
                to_keep.extend(_usage_report(path, ended))
            children = running
            if children or to_keep:
                last = time.monotonic()
            elif time.monotonic() - last > idle_seconds:
                break
            # Entries are decoded only while no command waits (a zero timeout polls), a batch at a time.
            listener.settimeout(0 if to_keep else _ACCEPT_TICK)
            try:
                connection, _ = listener.accept()
            except (TimeoutError, BlockingIOError):
                for _ in range(min(len(to_keep), _KEEP_BATCH)):
                    kept.keep(to_keep.popleft(), fingerprint)
                if not to_keep:
                    gc.freeze()  # what was kept is never collected either
                continue
            last = time.monotonic()
            with connection:
                state.update(kept.summary())
                forked = _serve_one(connection, listener, state, path)
            if forked:
                children.add(forked)
                state["served"] += 1
    except _Stop:
        pass
    finally:
        listener.close()
        if os.path.exists(path):
            os.unlink(path)
        _remove_reports(path)
        os.close(lock)


_KEEP_BATCH = 32  # entries decoded between two looks at the socket (about 5 ms)
_MAX_REPORT_BYTES = 16 * 1024 * 1024


def _remove_reports(path: str) -> None:
    """The usage reports no one will read (their children ended after the last look, or the resident stops)."""
    folder, name = os.path.split(path)
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            head, _, tail = entry.name.rpartition(".")
            if tail == "used" and head.startswith(f"{name}.") and head[len(name) + 1:].isdigit():
                os.unlink(entry.path)


def _usage_report(path: str, child: int) -> list[str]:
    """The cache entries a finished child used (`_child` wrote them beside the socket), the file removed."""
    report = f"{path}.{child}.used"
    try:
        with open(report, "rb") as handle:
            data = handle.read(_MAX_REPORT_BYTES + 1)
        os.unlink(report)
        entries = json.loads(data) if len(data) <= _MAX_REPORT_BYTES else []
    except (OSError, ValueError):
        return []
    return [entry for entry in entries if isinstance(entry, str)] if isinstance(entries, list) else []


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise _Stop


def _preload() -> None:
    """Import every module of the package (a command imports what it needs lazily) and compute what they
    memoise from the package's own files, so that a child starts where a fresh process would be after all that."""
    import importlib
    import pkgutil

    import auditor

    for module in pkgutil.walk_packages(auditor.__path__, "auditor."):
        if module.name.endswith("_child") or module.name == "auditor.resident":
            continue  # helm_sdk_child runs in a child process of its own
        try:
            importlib.import_module(module.name)
        except Exception:  # noqa: BLE001 - an optional part (helm-python-sdk) may be absent; the child says so
            continue
    from auditor import cache
    from auditor.engine import rules

    cache._parser_fingerprint()
    rules.preload_builtin_rules()


def _reaped(children: set[int]) -> set[int]:
    """The children still running (the others' exit statuses are collected)."""
    running = set()
    for child in children:
        try:
            done, _ = os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            continue
        if done == 0:
            running.add(child)
    return running


def _serve_one(connection: socket.socket, listener: socket.socket, state: dict[str, Any], path: str) -> int | None:
    """Answer one connection: the forked child's pid for a command, None otherwise."""
    fds: list[int] = []
    connection.settimeout(10)  # a caller that connects and says nothing does not hold the resident up
    try:
        if _peer_uid(connection) != os.getuid():
            connection.sendall(_DECLINED)
            return None
        request, fds = _request(connection)
        command = request.get("command")
        if command in ("status", "stop"):
            answer = json.dumps(state).encode()
            connection.sendall(_ANSWER + len(answer).to_bytes(4, "big") + answer)
            if command == "stop":
                raise _Stop
            return None
        if command != "run" or not _runnable(request) or len(fds) != 3:
            connection.sendall(_DECLINED)
            return None
        pid = os.fork()
        if pid == 0:
            _child(connection, listener, request, fds, path)
        return pid
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)


def _peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(credentials[4:8], sys.byteorder)


def _request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The request on `connection` and the descriptors sent with it; raises ValueError (or OSError) for anything
    else, the descriptors closed."""
    data, fds, _, _ = socket.recv_fds(connection, 65_536, 3)
    try:
        if len(data) < 4:
            raise ValueError("short request")
        size = int.from_bytes(data[:4], "big")
        if size > MAX_REQUEST_BYTES:
            raise ValueError("request too large")
        body = data[4:] + _receive_exactly(connection, max(0, size + 4 - len(data)))
        if len(body) < size:
            raise ValueError("truncated request")
        request = json.loads(body[:size])
        if not isinstance(request, dict):
            raise ValueError("not a request")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, list(fds)


def _runnable(request: dict[str, Any]) -> bool:
    """Whether a run request has the shape `call` sends."""
    argv, cwd, environment, streams = (request.get(key) for key in ("argv", "cwd", "environment", "streams"))
    return (isinstance(argv, list) and all(isinstance(arg, str) for arg in argv) and isinstance(cwd, str)
            and isinstance(environment, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items())
            and isinstance(streams, list) and len(streams) == 3
            and all(isinstance(s, list) and len(s) == 2 and all(p is None or isinstance(p, str) for p in s)
                    for s in streams))


def _child(connection: socket.socket, listener: socket.socket, request: dict[str, Any], fds: list[int],
           path: str) -> NoReturn:
    """Become the caller's command: its streams, folder, environment and arguments; run it; send the status;
    leave the resident the list of cache entries it used."""
    from auditor import kept

    status = 4
    kept.record_use()
    try:
        listener.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # Not in the terminal's foreground process group (the caller is): writing to it must not stop the child
        # (`stty tostop`), and reading from it fails instead of stopping it.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        signal.signal(signal.SIGTTIN, signal.SIG_IGN)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        _reopen_streams(request["streams"])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environment"])
        import tempfile

        tempfile.tempdir = None  # found again from this environment's TMPDIR when a command first asks
        sys.argv = ["audit", *request["argv"]]
        connection.settimeout(None)
        connection.sendall(_STARTED)
        _interrupt_when_the_caller_leaves(connection)
        from auditor import cli

        status = cli.finish()
    except BaseException:  # noqa: BLE001 - whatever happens, the caller gets a status
        import traceback

        traceback.print_exc()
        status = 130 if isinstance(sys.exc_info()[1], KeyboardInterrupt) else 4
    signal.signal(signal.SIGIO, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        connection.sendall(_ENDED + status.to_bytes(4, "big", signed=True))
    with contextlib.suppress(OSError, ValueError):
        report = os.open(f"{path}.{os.getpid()}.used", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(report, "w") as handle:
            json.dump(kept.used(), handle)
    os._exit(status)


def _reopen_streams(options: list[list[str | None]]) -> None:
    """sys.stdin, stdout and stderr anew over descriptors 0-2 (now the caller's), with the caller's encodings
    and line buffering where the caller's is a terminal, as Python sets them up at start."""
    import io

    made = []
    for fd, (encoding, errors) in enumerate(options):
        terminal = os.isatty(fd)
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered: Any = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        made.append(io.TextIOWrapper(buffered, encoding=encoding or "utf-8", errors=errors or "strict",
                                     line_buffering=terminal or fd == 2))
    sys.stdin, sys.stdout, sys.stderr = made


def _interrupt_when_the_caller_leaves(connection: socket.socket) -> None:
    """The caller sends nothing more: input on the connection means it closed (Ctrl-C), and raises
    KeyboardInterrupt here (SIGIO), as Ctrl-C would in a fresh process."""
    import fcntl

    signal.signal(signal.SIGIO, signal.default_int_handler)
    fd = connection.fileno()
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    try:
        gone = connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        gone = False
    if gone:
        raise KeyboardInterrupt


def idle_seconds(environment: Mapping[str, str] = os.environ) -> float:
    try:
        return max(1.0, float(environment.get(IDLE_VARIABLE, DEFAULT_IDLE_SECONDS)))
    except ValueError:
        return DEFAULT_IDLE_SECONDS


if __name__ == "__main__":  # started by `start`: python -m auditor.resident PATH
    serve(sys.argv[1], idle_seconds())
