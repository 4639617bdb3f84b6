"""auditor/memory.py: what a stage freed goes back to the OS (issue 12, goal 4), where the C library can."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from auditor.memory import _malloc_trim, release_freed_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or _malloc_trim() is None,
                                reason="only glibc gives freed heap memory back on request")


def _resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_freed_texts_stay_resident_until_given_back() -> None:
    texts = [os.urandom(2048) for _ in range(100_000)]  # 200 MB of blocks too large for Python's small-object pools
    last = texts[-1]  # holds the top of the heap, so freeing the rest cannot just shrink it
    holding = _resident_bytes()
    del texts
    freed = _resident_bytes()
    release_freed_memory()
    given_back = _resident_bytes()
    assert freed > holding - 50 * 2**20  # free() alone keeps the pages
    assert given_back < freed - 150 * 2**20 and len(last) == 2048
