"""A renderer binary's version, remembered in the parse cache while the binary's file is unchanged. The version is
part of every rendering's cache key, so it is asked on every run, and asking is a child process: `helm version`
and `kustomize version` were 0.13 s of every warm hook on a repository with charts and overlays.

Only a binary that answers for itself is remembered: the file the path resolves to must be named after the tool
(a mise or snap shim resolves to mise or snap, which answer for whatever they run) and must not be a script (an
asdf shim or a wrapper may run another binary each time). Its size, mtime, ctime and inode are the key, as
discovery's memo bets for files (an upgrade replaces the file)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class VersionCache(Protocol):
    def load_version(self, key: str) -> str | None: ...

    def store_version(self, key: str, version: str) -> None: ...


def remembered_version(binary: str, names: tuple[str, ...], ask: Callable[[str], str], cache: object) -> str:
    """`ask(binary)`, or what it said before for this very file (`cache`: a VersionCache, else nothing is kept)."""
    if not isinstance(cache, VersionCache) or (key := _identity(binary, names)) is None:
        return ask(binary)
    known = cache.load_version(key)
    if known is not None:
        return known
    version = ask(binary)
    if version:
        cache.store_version(key, version)
    return version


def _identity(binary: str, names: tuple[str, ...]) -> str | None:
    try:
        real = os.path.realpath(binary)
        if not os.path.basename(real).startswith(names):
            return None
        with open(real, "rb") as handle:
            info = os.fstat(handle.fileno())
            if handle.read(2) == b"#!":
                return None
    except OSError:
        return None
    return f"{real}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}"
