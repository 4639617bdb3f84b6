"""One bounded tree-sitter parse, shared by the HCL reader and the source-code reader.

tree-sitter's error recovery is super-linear on some inputs, so a parse runs under a time budget and a
memory budget checked from tree-sitter's progress callback; a budget that is hit is a `Problem` with the
line where parsing stopped, never an exception and never a hang.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import tree_sitter

_CHUNK = 1 << 16  # bytes handed to tree-sitter per read
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 0


@dataclass(frozen=True)
class Problem:
    """A bound that was hit (`too-slow`, `too-large`, `too-deep`, `limit`), at a 1-based line."""

    line: int
    code: str
    message: str


@dataclass
class Parsed:
    """A tree-sitter tree, or the `Problem` that kept the text from being parsed."""

    tree: tree_sitter.Tree | None
    problem: Problem | None = None


def bounded_parse(parser: tree_sitter.Parser, source: bytes, seconds: float, memory: int) -> Parsed:
    """Parse `source`, cancelling after `seconds` or once the process has grown by `memory` bytes."""
    deadline = time.monotonic() + seconds
    base = resident()
    progress = {"offset": 0, "calls": 0, "memory": 0}

    def stop(offset: int, _has_error: bool) -> bool:
        """tree-sitter calls this every hundred or so steps; True cancels the parse."""
        progress["offset"] = offset
        progress["calls"] += 1
        if progress["calls"] % 16 == 0 and base and resident() - base > memory:
            progress["memory"] = 1
            return True
        return time.monotonic() > deadline

    try:
        tree = parser.parse(lambda offset, _point: source[offset : offset + _CHUNK], progress_callback=stop)
    except ValueError:  # "Parsing failed": cancelled; the parser keeps its state to resume, so drop it
        parser.reset()
        line = source.count(b"\n", 0, progress["offset"]) + 1
        if progress["memory"]:
            return Parsed(None, Problem(line, "too-large", f"parsing needed more than {memory >> 20} MiB of "
                                        f"memory (stopped at line {line}); the file is not parsed"))
        return Parsed(None, Problem(line, "too-slow", f"parsing took longer than {seconds:g} s (stopped at line "
                                    f"{line}); the file is not parsed"))
    return Parsed(tree)


def resident() -> int:
    """This process's resident memory in bytes, or 0 where it cannot be read cheaply (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0
