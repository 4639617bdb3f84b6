"""The committed versions of changed files, read with the user's git through plumbing that runs nothing.

A repository's `.git/config` is as untrusted as its files: it can name programs for `core.fsmonitor`, a
`filter.*` (smudge on checkout, clean on add), a diff driver's textconv, a pager, or a remote that a partial
clone fetches missing objects from (an `ext::` URL runs a command). Only `rev-parse`, `config`, `merge-base`,
`ls-tree` and `cat-file --batch` run: none of them refreshes the index, converts content, runs a hook or starts
a pager; the command line (which outranks the repository's config) switches fsmonitor, hooks, the pager and
every transport off; and a partial clone is not read at all, since a missing object would be fetched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

GIT_TIMEOUT_SECONDS = 30
_TRANSPORTS = ("ext", "fd", "file", "git", "ssh", "http", "https", "ftp", "ftps")
_SAFE_OPTIONS = (
    "--no-pager", "--literal-pathspecs", "--no-replace-objects",
    "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
    "-c", "protocol.allow=never", *(item for name in _TRANSPORTS for item in ("-c", f"protocol.{name}.allow=never")),
)
_SAFE_ENVIRONMENT = {"GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1", "GIT_OPTIONAL_LOCKS": "0",
                     "GIT_PAGER": "cat", "PAGER": "cat"}
_REGULAR_FILE_MODES = frozenset({"100644", "100755"})


class NotComparable(Exception):
    """Why the committed state cannot be read: no git, not a repository, no commit yet, a partial clone."""


@dataclass(frozen=True)
class Committed:
    """The commit compared with, and each changed file's bytes there; None when it is no regular file there
    (new in this change, a symlink or a submodule) or is over the size limit."""

    commit: str
    versions: dict[str, bytes | None]


def pre_commit_base() -> str | None:
    """What `pre-commit run --from-ref A --to-ref B` compares (it diffs `A...B`): None outside that mode."""
    from_ref, to_ref = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    return f"{from_ref}...{to_ref}" if from_ref and to_ref else None


def committed_versions(root: Path, paths: Iterable[str], base: str | None, max_bytes: int) -> Committed:
    """The files at `paths` (relative to `root`) as of `base` (a commit, `A...B` for their merge base, or
    None: HEAD)."""
    git = _Git(root)
    settings = git.run("config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$", allowed=(1,))
    if settings.strip():
        raise NotComparable("a partial clone: git would fetch missing objects to read them")
    commit = git.commit(base or "HEAD")
    wanted = sorted({path for path in paths if _inside(path)})
    listing = git.run("ls-tree", "-z", "-l", commit, "--", *wanted) if wanted else b""
    blobs: dict[str, str] = {}
    try:
        for entry in filter(None, listing.split(b"\0")):
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, oid, size = meta.split()
            path = os.fsdecode(raw_path)
            if path in wanted and kind == b"blob" and mode.decode() in _REGULAR_FILE_MODES and int(size) <= max_bytes:
                blobs[path] = oid.decode()
        contents = git.blobs(list(blobs.values()))
    except ValueError:  # never expected of git; not worth a crash of the hook
        raise NotComparable("git's answer could not be read") from None
    return Committed(commit, {path: contents.get(blobs[path]) if path in blobs else None for path in wanted})


def _inside(path: str) -> bool:
    posix = PurePosixPath(path)
    return bool(path) and not posix.is_absolute() and ".." not in posix.parts and "\0" not in path


class _Git:
    """The user's git, run in `root` with everything that could execute switched off."""

    def __init__(self, root: Path) -> None:
        found = shutil.which("git")
        if found is None:
            raise NotComparable("git is not installed")
        binary = Path(found).resolve()
        if binary.is_relative_to(root.resolve()):
            raise NotComparable("the git found on PATH is inside the audited repository; not run")
        self.binary, self.root = str(binary), root
        self.environment = {**os.environ, **_SAFE_ENVIRONMENT}

    def run(self, *args: str, stdin: bytes | None = None, allowed: tuple[int, ...] = ()) -> bytes:
        try:
            done = subprocess.run([self.binary, *_SAFE_OPTIONS, *args], cwd=self.root, env=self.environment,
                                  input=stdin if stdin is not None else b"", capture_output=True,
                                  timeout=GIT_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            raise NotComparable(f"git {args[0]} could not run ({type(error).__name__})") from None
        if done.returncode != 0 and done.returncode not in allowed:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise NotComparable(f"git {args[0]} failed: {said[0] if said else f'exit {done.returncode}'}")
        return done.stdout if done.returncode == 0 else b""

    def commit(self, base: str) -> str:
        if base.startswith("-"):
            raise NotComparable(f"{base!r} is not a revision")
        left, dots, right = base.partition("...")
        if dots:
            base = self.run("merge-base", "--end-of-options", left, right).decode().strip()
        named = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}", allowed=(1,))
        if not named.strip():
            raise NotComparable("no commit yet" if base == "HEAD" else f"{base!r} names no commit")
        return named.decode().strip()

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        """Raw blob contents by id: `cat-file --batch` applies no filter and no textconv."""
        if not oids:
            return {}
        output = self.run("cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in oids).encode())
        contents: dict[str, bytes] = {}
        offset = 0
        for _ in oids:
            end = output.index(b"\n", offset)
            header = output[offset:end].split()
            if len(header) != 3:  # `<oid> missing`
                offset = end + 1
                continue
            size = int(header[2])
            contents[header[0].decode()] = output[end + 1:end + 1 + size]
            offset = end + 1 + size + 1
        return contents
