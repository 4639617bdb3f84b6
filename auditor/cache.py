"""A parse cache for repeated runs (the pre-commit hook): a file's facts keyed by its path and content.

Parsing is a pure function of (path, text), so facts can be reused until the file, or the parsers, change.
The key includes a hash of the parser sources, so an upgraded tool never reads stale facts. Best effort:
any problem reading or writing the cache just means parsing again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from auditor import __version__
from auditor.discover import SourceFile
from auditor.model import Facts


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scale-auditor"


@cache
def _parser_fingerprint() -> str:
    """Changes whenever any parser's code changes (or the package version does)."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted((Path(__file__).parent / "parsers").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update((Path(__file__).parent / "model.py").read_bytes())
    return digest.hexdigest()[:16]


class ParseCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / _parser_fingerprint()
        self.hits = 0
        self.misses = 0

    def _entry(self, source: SourceFile) -> Path:
        key = hashlib.sha256(f"{source.kind}\0{source.path}\0{source.sha256}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.pickle"

    def parse(self, source: SourceFile, parser: Callable[[SourceFile], Facts]) -> Facts:
        entry = self._entry(source)
        try:
            with entry.open("rb") as handle:
                facts = pickle.load(handle)
            if isinstance(facts, Facts) and facts.path == source.path:
                self.hits += 1
                return facts
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass
        self.misses += 1
        facts = parser(source)
        self._store(entry, facts)
        return facts

    def _store(self, entry: Path, facts: Facts) -> None:
        temporary: str | None = None
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False) as handle:
                temporary = handle.name
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
