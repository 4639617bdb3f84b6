"""Folders only this user can enter: the parse cache's and the resident process's socket's (auditor/cache.py,
auditor/resident.py), and where the tool's cache folder is. Imported by the `audit` launcher before anything
else, so it needs only `os` and `stat`."""

from __future__ import annotations

import os
import stat


def private_dir(path: str | os.PathLike[str]) -> bool:
    """Create `path` (mode 0700) or accept it if it is a real directory of ours that no one else can write."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError:
            return False
    return True


def cache_folder() -> str:
    """The tool's folder under $XDG_CACHE_HOME (else ~/.cache): the parse cache, and the resident's socket when
    there is no runtime folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "scale-auditor")
