"""Files that a repository's own configuration names (its config, baseline, rule files): read safely.

The audited repository is untrusted, so a path it names must stay inside it after symlinks are followed,
must be a regular file (not `/dev/zero`, a FIFO or `/proc/self/environ`), and is read only up to a size
bound. Errors say what was wrong with the file, never what it contains.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_CONFIG_BYTES = 1_000_000  # a config or rule file; the largest real ones are a few KB
MAX_BASELINE_BYTES = 50_000_000  # about 200,000 accepted findings


class RepoFileError(Exception):
    """A named file that is outside the repository, not a regular file, too large or not UTF-8 text."""


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symlink followed, is `root` or lies below it."""
    try:
        resolved, base = path.resolve(), root.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False
    return resolved == base or base in resolved.parents


def confined(root: Path, path: Path, what: str) -> Path:
    """`path` (relative paths are taken from `root`) if it stays inside `root`; raises RepoFileError if not."""
    candidate = path if path.is_absolute() else root / path
    if not is_inside(root, candidate):
        raise RepoFileError(f"{what} {str(path)!r} is outside the repository; paths it names must stay inside it")
    return candidate


def read_text(path: Path, max_bytes: int, what: str) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes` (a BOM is dropped)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise RepoFileError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise RepoFileError(f"{what} {path} cannot be opened ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise RepoFileError(f"{what} {path} is not a regular file")
        if info.st_size > max_bytes:
            raise RepoFileError(f"{what} {path} is larger than {max_bytes:,} bytes ({info.st_size:,})")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise RepoFileError(f"{what} {path} cannot be read ({error.strerror})") from None
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise RepoFileError(f"{what} {path} is larger than {max_bytes:,} bytes")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise RepoFileError(f"{what} {path} is not UTF-8 text (byte {error.start + 1})") from None
