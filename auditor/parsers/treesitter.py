"""One bounded tree-sitter parse, shared by the HCL reader and the source-code reader.

tree-sitter's error recovery is slow on some inputs, so a parse runs under a CPU budget and a memory budget
checked from tree-sitter's progress callback; a budget that is hit is a `Problem` with a line, never an
exception and never a hang.

The budget is the CPU time of the parsing thread, not the clock: a busy machine slows a parse down but does
not add to its CPU time, so the same text gets the same verdict however loaded the machine is. tree-sitter's
own progress cannot serve as the measure: its callback runs about every hundred parse operations and reports
only the byte offset, so the number of calls grows with the length of the text (8 to 51 per KB on every input
measured) while the work per call ranges from 8 µs (real Terraform) to 3 ms (random bytes to the Java
grammar). The budget grows with the text's length, so a large real file has room and a small hostile one
stops early. A bound that is hit refuses the whole file, so its diagnostic is on line 1 and does not say
where the parse had got to: that position depends on how fast this run was (under load a parse uses 10-15%
more CPU), and the facts of a file must not. A wall-clock limit, far above any CPU budget, is a safety net
for a thread that is starved or stuck.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import tree_sitter

# Bytes handed to tree-sitter per read. The tree of a bounded parse reads a node's text through the same callback,
# one chunk per read, so a large chunk made every text a query predicate looks at copy 64 KB: 92,000 of them took a
# 700 KB JavaScript file's queries from 0.8 s to 2.9 s (found by fuzzing). A parse of 2 MB is 500 reads of 4 KB.
_CHUNK = 1 << 12
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 0
# Callback calls between two looks at memory (a read of /proc). The clocks are read at every call (the thread's
# CPU clock only once the wall clock says the budget may be spent): in error recovery one call can come 0.1 s
# after the last, and a look every 16 calls let a 1.5 s budget run to 2.3 s.
_CHECK_EVERY = 16
# Safety net only: a parse whose thread has not used up its CPU budget after this long (a starved or stuck
# thread) is stopped too. No parse within its CPU budget comes near it, even on a heavily loaded machine.
WALL_SECONDS = 10.0
T = TypeVar("T")


class _Reader:
    """The read callback of one bounded parse, then of its tree's `node.text`.

    py-tree-sitter 0.25-0.26 keeps a reference to every object the callback returns during a parse: its read
    wrapper takes a buffer of the object and releases the buffer, never the object. Returning fresh bytes leaked
    every chunk read: a fuzz worker grew by about 130 KB per file (110 MB a minute) towards its 4 GB address-space
    limit, and the segfault in a parse and the SystemError in PyYAML that fuzzing had found are what a process at
    that limit gives (both reproduced under a low limit). So while parsing, the callback refills one bytearray
    per thread in place and returns it each time (the wrapper has released its buffer of the previous chunk
    before asking for the next): the leaked references all point at that one object. After the parse, a tree's
    `node.text` reads through the same callable, wants bytes and releases them properly, so it gets fresh ones.
    """

    __slots__ = ("buffer", "source")

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.buffer: bytearray | None = _chunk_buffer()

    def __call__(self, offset: int, _point: object) -> bytes | bytearray:
        chunk = self.source[offset : offset + _CHUNK]
        buffer = self.buffer
        if buffer is None:
            return chunk
        buffer[:] = chunk
        return buffer


_BUFFERS = threading.local()


def _chunk_buffer() -> bytearray:
    """This thread's chunk buffer (parses on one thread never overlap)."""
    buffer: bytearray | None = getattr(_BUFFERS, "buffer", None)
    if buffer is None:
        buffer = _BUFFERS.buffer = bytearray()
    return buffer


@dataclass(frozen=True)
class Problem:
    """A bound that was hit (`too-slow`, `too-large`, `too-deep`, `limit`), at a 1-based line (1 for a bound
    of the whole parse)."""

    line: int
    code: str
    message: str


@dataclass
class Parsed:
    """A tree-sitter tree, or the `Problem` that kept the text from being parsed."""

    tree: tree_sitter.Tree | None
    problem: Problem | None = None
    seconds: float = 0.0  # CPU time the parse took


@dataclass(frozen=True)
class Budget:
    """CPU seconds a parse may use: `base` plus `per_mb` for each MB of text, at most `cap`."""

    base: float
    per_mb: float
    cap: float

    def seconds(self, size: int) -> float:
        return min(self.cap, self.base + self.per_mb * size / 1_000_000)


def bounded_parse(parser: tree_sitter.Parser, source: bytes, budget: Budget, memory: int,
                  wall_seconds: float = WALL_SECONDS) -> Parsed:
    """Parse `source`, cancelling once its thread has used the budget's CPU time for this size, the process
    has grown by `memory` bytes, or `wall_seconds` have passed (on the deep-stack thread: `on_deep_stack`)."""
    return on_deep_stack(lambda: _bounded_parse(parser, source, budget, memory, wall_seconds), len(source))


# tree-sitter recurses as deep as a tree nests in places (comparing two candidate trees during error recovery): a
# fuzzed 900 KB TypeScript file overflowed the main thread's 8 MB stack, a segfault, and parsed (to a `too-slow`
# diagnostic) with a larger one. So parses run on one thread of their own with this stack: address space only,
# pages are used as deep as a parse goes.
STACK_BYTES = 512 << 20
# Text this short nests at most this many levels, far from what the caller's stack holds (the segfault came at
# 87,773 levels, about 95 bytes of stack each), so it is parsed in place: handing a parse to the thread and back
# costs about 50 µs, which tripled the time of the many short Terraform expressions re-parsed on their own.
SHALLOW_BYTES = 4096


class _DeepStack:
    """One long-lived thread with a STACK_BYTES stack that runs calls handed to it, one at a time."""

    def __init__(self) -> None:
        self.pid = os.getpid()  # a forked child has the object but not the thread: it makes its own
        self.calls: queue.SimpleQueue[tuple[Callable[[], Any], list[Any], threading.Event]] = queue.SimpleQueue()
        previous = threading.stack_size(STACK_BYTES)
        try:
            threading.Thread(target=self._serve, name="tree-sitter", daemon=True).start()
        finally:
            threading.stack_size(previous)

    def _serve(self) -> None:
        while True:
            call, answer, done = self.calls.get()
            try:
                answer.append((True, call()))
            except BaseException as error:  # noqa: BLE001 - handed back to the caller, raised there
                answer.append((False, error))
            done.set()
            del call, answer, done  # keep nothing of a parse (its text, its tree) until the next one comes

    def run(self, call: Callable[[], T]) -> T:
        answer: list[tuple[bool, Any]] = []
        done = threading.Event()
        self.calls.put((call, answer, done))
        done.wait()
        ok, value = answer[0]
        if not ok:
            raise value
        return cast(T, value)


_DEEP: _DeepStack | None = None
_DEEP_LOCK = threading.Lock()


def on_deep_stack(call: Callable[[], T], size: int) -> T:
    """`call()`, a parse of `size` bytes, on the deep-stack thread (in this thread for up to SHALLOW_BYTES, where
    no such thread can be made, or when already on it)."""
    global _DEEP
    if size <= SHALLOW_BYTES or threading.current_thread().name == "tree-sitter":
        return call()
    with _DEEP_LOCK:
        if _DEEP is None or _DEEP.pid != os.getpid():
            try:
                _DEEP = _DeepStack()
            except (ValueError, RuntimeError):  # a platform that refuses such a stack, or no more threads
                return call()
        deep = _DEEP
    return deep.run(call)


def _bounded_parse(parser: tree_sitter.Parser, source: bytes, budget: Budget, memory: int,
                   wall_seconds: float) -> Parsed:
    cpu_seconds = budget.seconds(len(source))
    started_cpu = time.thread_time()
    cpu_deadline = started_cpu + cpu_seconds
    started = time.monotonic()
    cpu_possible = started + cpu_seconds  # a thread's CPU time grows no faster than the wall clock
    wall_deadline = started + wall_seconds
    base = -1  # read at the first callback: most parses (each `Expr` re-read) end before it, and reading
    calls = 0  # /proc per parse was a fifth of the CPU of a file of 47,000 variables
    why = ""  # the bound that cancelled the parse

    def stop(_offset: int, _has_error: bool) -> bool:
        """tree-sitter calls this every hundred or so operations; True cancels the parse."""
        nonlocal base, calls, why
        if base < 0:
            base = resident()
        calls += 1
        if base and calls % _CHECK_EVERY == 0 and resident() - base > memory:
            why = "memory"
        elif (now := time.monotonic()) > cpu_possible and time.thread_time() > cpu_deadline:
            why = "cpu"
        elif now > wall_deadline:
            why = "wall"
        return bool(why)

    reader = _Reader(source)
    try:
        tree = parser.parse(reader, progress_callback=stop)
    except ValueError:  # "Parsing failed": cancelled; the parser keeps its state to resume, so drop it
        parser.reset()
        if why == "memory":
            return Parsed(None, Problem(1, "too-large", f"parsing needed more than {memory >> 20} MiB of memory; "
                                        "the file is not parsed"))
        if why == "wall":
            return Parsed(None, Problem(1, "too-slow", f"parsing did not finish within {wall_seconds:g} s; the file "
                                        "is not parsed"))
        return Parsed(None, Problem(1, "too-slow", f"parsing needed more than {cpu_seconds:.2f} s of CPU for "
                                    f"{len(source):,} bytes; the file is not parsed"))
    finally:
        reader.buffer = None  # from now on `node.text` reads fresh bytes
    return Parsed(tree, seconds=time.thread_time() - started_cpu)


def resident() -> int:
    """This process's resident memory in bytes, or 0 where it cannot be read cheaply (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0
