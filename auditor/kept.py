"""Parse-cache entries the resident process (auditor/resident.py) holds decoded, so that a command it forks
takes them from memory instead of reading and decoding them again (a warm hook on a large repository spent a
fifth of its time decoding thousands of entries).

A command the resident runs records every entry it used (`record_use`, `note_use`); when it has ended, the
resident reads that list and decodes those entries between commands (`keep`), at most MEMORY_BYTES of them
(by their size on disk), the least recently used going first. Only entries whose name is a digest of what
their facts were computed from are kept (a file's facts, a rendered chart, combined modules), inside the folder
of this code's parsers (cache.py `_parser_fingerprint`): what such a name holds never changes, so a kept entry
needs no check that it is current. The memo and judged entries, rewritten under one name, are never kept.
In any other process this module holds nothing.
"""

from __future__ import annotations

import os

from auditor.model import Facts

MEMORY_BYTES = 64 * 1024 * 1024
_kept: dict[str, tuple[int, Facts | tuple[Facts, ...]]] = {}  # entry path -> (its bytes on disk, its facts)
_held = 0
_used: list[str] | None = None  # the entries this command used, when a resident runs it


def recall(entry: str) -> Facts | tuple[Facts, ...] | None:
    found = _kept.get(entry)
    return found[1] if found is not None else None


def record_use() -> None:
    """From now on, remember which entries this process uses (a command the resident forked)."""
    global _used
    _used = []


def note_use(entry: str) -> None:
    if _used is not None:
        _used.append(entry)


def used() -> list[str]:
    return list(dict.fromkeys(_used or ()))


def keep(entry: str, fingerprint: str) -> None:
    """Hold `entry` decoded (or, held already, make it the most recently used): only a per-file, rendered or
    combined entry of the `fingerprint` folder, and only what `cache.py` itself would accept from it."""
    global _held
    from auditor.cache import _read_entry, kept_shape

    if entry in _kept:
        _kept[entry] = _kept.pop(entry)
        return
    shape = kept_shape(entry, fingerprint)
    if shape is None:
        return
    try:
        size = os.stat(entry).st_size  # what it costs to hold (_read_entry refuses an entry over its bound)
    except OSError:
        return
    from pathlib import Path

    facts = _read_entry(Path(entry), "facts")
    if shape == "file" and isinstance(facts, Facts):
        _kept[entry] = (size, facts)
    elif shape == "derived" and isinstance(facts, list) and all(isinstance(item, Facts) for item in facts):
        _kept[entry] = (size, tuple(facts))
    else:
        return
    _held += size
    while _held > MEMORY_BYTES and _kept:
        _held -= _kept.pop(next(iter(_kept)))[0]


def summary() -> dict[str, int]:
    return {"kept_entries": len(_kept), "kept_bytes": _held}
