"""A parse cache for repeated runs (the pre-commit hook): a file's facts keyed by its path and content.

Parsing is a pure function of (path, text), so facts can be reused until the file, or the parsers, change.
The key includes a hash of the parser sources, so an upgraded tool never reads stale facts. Best effort:
any problem reading or writing the cache just means parsing again.

The cache holds plain data, never code: entries are JSON in which a dataclass is a tagged object of one
of a fixed set of types, and decoding checks every field against that type's annotations, so a planted or
corrupted entry is a miss, not an object with a surprise inside (pickle would run whatever it names). The
directory is private to the user; entries are written atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from auditor import __version__, kept
from auditor.discover import LISTED_TAGS, Memo, SourceFile
from auditor.model import Diagnostic, Edge, Facts, FileKind, Location, Node, Setting
from auditor.parsers.hcl import Block, Expr
from auditor.parsers.terraform import FileBlocks
from auditor.private import cache_folder, private_dir

FORMAT_VERSION = 1
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # far above the facts of a 2 MB file; a larger entry is not ours
# The cache is swept at most once a day (`ParseCache.sweep`): another version's folder goes when no run has used
# it for two weeks, an entry of this version when no run has read it for a month (by its access time, which
# Linux's default `relatime` keeps to within a day; without access times an entry is just parsed again).
_SWEEP_EVERY_S = 24 * 3600
_UNUSED_VERSION_S = 14 * 24 * 3600
_UNREAD_ENTRY_S = 30 * 24 * 3600
_SWEPT, _USED = "swept", "used"  # marker files: of the last sweep (cache root), of the last run (version folder)
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
_TYPES: dict[str, type] = {cls.__name__: cls for cls in (Facts, Node, Edge, Diagnostic, Setting, Location, Block,
                                                         Expr, FileBlocks)}
_TAG, _TUPLE, _PAIRS = "$type", "$tuple", "$pairs"
_FILE_KINDS = frozenset(typing.get_args(FileKind))


class _Shape(Exception):
    """An entry that is not what this version of the tool writes."""


def default_cache_dir() -> Path:
    return Path(cache_folder())


@cache
def _parser_fingerprint() -> str:
    """Changes whenever any parser's code (source-code extractors and their queries included) or the knowledge
    it reads changes (or the package version or the entry format does)."""
    digest = hashlib.sha256(f"{__version__}\0{FORMAT_VERSION}".encode())
    package = Path(__file__).parent
    for path in [*sorted((package / "parsers").glob("*.py")), *sorted((package / "knowledge").glob("*.yaml")),
                 *sorted((package / "code").glob("*.py")), *sorted((package / "code" / "queries").glob("*/*.scm")),
                 *sorted((package / "render").glob("*.py"))]:
        digest.update(path.read_bytes())
    digest.update((Path(__file__).parent / "model.py").read_bytes())
    return digest.hexdigest()[:16]


def encode(value: Any) -> Any:
    """`value` as JSON-ready data: tuples, non-string-keyed maps and the known dataclasses are tagged."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {_TUPLE: [encode(item) for item in value]}
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: encode(item) for key, item in value.items()}
        return {_PAIRS: [[encode(key), encode(item)] for key, item in value.items()]}
    if dataclasses.is_dataclass(value) and _TYPES.get(type(value).__name__) is type(value):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_TAG: type(value).__name__, **fields}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def loads(raw: bytes | str) -> Any:
    """The inverse of `encode` of JSON text; raises _Shape for anything `encode` does not produce (and
    ValueError for text that is not JSON). JSON's C decoder builds lists and scalars; only objects come back to
    Python (`_decoded`), already holding their decoded contents: a warm hook reads hundreds of thousands of values,
    and walking them all in Python cost more than the rest of the lookup."""
    return json.loads(raw, object_hook=_decoded)


def _decoded(data: dict[str, Any]) -> Any:
    """One JSON object of an entry, its values decoded: a tuple, a non-string-keyed map, a known dataclass, or a
    plain map. Called for each of the hundred thousand objects of a warm run, so the common cases come first."""
    if len(data) == 1:
        if _TUPLE in data:
            items = data[_TUPLE]
            if type(items) is not list:
                raise _Shape("tuple")
            return tuple(items)
        if _PAIRS in data:
            return _pairs(data[_PAIRS])
    if _TAG in data:
        return _instance(data)
    if "$" in "".join(data) and any(key.startswith("$") for key in data):  # join: one C call for the usual map
        raise _Shape("unknown tag")
    return data


def _pairs(pairs: Any) -> dict[Any, Any]:
    if type(pairs) is not list or not all(type(pair) is list and len(pair) == 2 for pair in pairs):
        raise _Shape("pairs")
    decoded = {}
    for key, item in pairs:
        if isinstance(key, (list, dict)):
            raise _Shape("unhashable key")
        decoded[key] = item
    return decoded


def _instance(data: dict[str, Any]) -> Any:
    """A known dataclass from its tagged object (a fresh dict of JSON's: its tag is popped, not copied around)."""
    tag = data.pop(_TAG)
    cls = _TYPES.get(tag) if type(tag) is str else None
    if cls is None:
        raise _Shape("unknown type")
    checkers = _field_checkers(cls)
    for name, value in data.items():
        check = checkers.get(name)
        if check is None:
            raise _Shape(f"{cls.__name__}: unknown field")
        if not check(value):
            raise _Shape(f"{cls.__name__}.{name}")
    try:
        return cls(**data)
    except TypeError as error:  # a required field is missing
        raise _Shape(cls.__name__) from error


@cache
def _field_checkers(cls: type) -> dict[str, Callable[[Any], bool]]:
    hints = typing.get_type_hints(cls)
    return {f.name: _checker(hints[f.name]) for f in dataclasses.fields(cls)}


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_int(value: Any) -> bool:
    return type(value) is int  # not a bool


@cache
def _checker(hint: Any) -> Callable[[Any], bool]:
    """A test of whether a decoded value fits a field annotation (the forms model and parser dataclasses use),
    built once per annotation: a warm hook decodes hundreds of thousands of values. Decoded values are JSON's
    own types or what `_decoded` made, never subclasses, so exact type tests suffice."""
    if hint is Any:
        return lambda value: True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if len(args) == 2 and type(None) in args:  # `X | None`, the usual union
            only = _checker(next(arg for arg in args if arg is not type(None)))
            return lambda value: value is None or only(value)
        options = tuple(_checker(arg) for arg in args)
        return lambda value: any(check(value) for check in options)
    if origin is typing.Literal:
        return lambda value: value in args
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item_check = _checker(args[0])
            return lambda value: type(value) is tuple and all(map(item_check, value))
        checks = tuple(_checker(arg) for arg in args)
        return lambda value: (type(value) is tuple and len(value) == len(checks)
                              and all(check(item) for check, item in zip(checks, value, strict=True)))
    if origin is dict:
        key_check, item_check = _checker(args[0]), _checker(args[1])
        if args[1] is Any:
            return lambda value: type(value) is dict and all(map(key_check, value))
        return lambda value: (type(value) is dict and all(map(key_check, value))
                              and all(map(item_check, value.values())))
    if hint is type(None):
        return lambda value: value is None
    if hint is int:
        return _is_int
    if hint is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return _is_str
    if isinstance(hint, type):
        return lambda value: isinstance(value, hint)
    return lambda value: False


class ParseCache:
    """`remember`: also keep every entry read or written in memory, for a process that audits twice (the hook:
    engine/changes.py), so the second audit decodes only what the first did not see. Facts flow between stages
    as frozen data that no later stage changes in place, so handing the same object to both audits is safe."""

    def __init__(self, directory: Path, remember: bool = False) -> None:
        self.directory = directory / _parser_fingerprint()
        self.usable = private_dir(directory) and private_dir(self.directory)
        self.hits = 0
        self.misses = 0
        self.remembered: dict[Path, Facts | list[Facts] | Memo] | None = {} if remember else None
        # Which entry each Facts object handed out or stored came from (`origin`): the object itself is kept
        # beside its entry's name, so an id reused after a collection is never mistaken for it.
        self._origins: dict[int, tuple[Facts, str]] = {}

    def sweep(self, now: float | None = None) -> None:
        """Bound the cache's growth, at most once a day: remove the folders of tool versions no run has used for
        `_UNUSED_VERSION_S` and this version's entries no run has read for `_UNREAD_ENTRY_S`. Only our own
        names are touched, links are never followed, and any problem just ends the sweep."""
        if not self.usable:
            return
        now = time.time() if now is None else now
        root = self.directory.parent
        try:
            _touch(self.directory / _USED, now)
            marker = root / _SWEPT
            if now - _mtime(marker) < _SWEEP_EVERY_S:
                return
            _touch(marker, now)
            for entry in os.scandir(root):
                if entry.name != self.directory.name and _FINGERPRINT.fullmatch(entry.name) \
                        and entry.is_dir(follow_symlinks=False) and now - _last_used(entry.path) > _UNUSED_VERSION_S:
                    shutil.rmtree(entry.path, ignore_errors=True)
            _sweep_entries(self.directory.as_posix(), now - _UNREAD_ENTRY_S)
        except OSError:
            pass

    def origin(self, facts: Facts) -> str | None:
        """The name of the entry `facts` was read from or stored under in this process (with its place in a list
        of facts), or None. An entry's name is a digest of what its facts were computed from, within a cache
        folder keyed by the parsers' code, so two Facts with one origin are equal."""
        known = self._origins.get(id(facts))
        return known[1] if known is not None and known[0] is facts else None

    def _note_origin(self, entry: Path, facts: Facts | list[Facts] | None) -> None:
        if isinstance(facts, Facts):
            self._origins[id(facts)] = (facts, entry.name)
        elif isinstance(facts, list):
            for index, item in enumerate(facts):
                self._origins[id(item)] = (item, f"{entry.parent.parent.name}/{entry.name}#{index}")

    def _entry(self, source: SourceFile) -> Path:
        key = hashlib.sha256(f"{source.kind}\0{source.path}\0{source.sha256}".encode()).hexdigest()
        return Path(f"{self.directory}/{key[:2]}/{key}.json")  # one Path, not two joins: a warm run makes thousands

    def parse(self, source: SourceFile, parser: Callable[[SourceFile], Facts]) -> Facts:
        facts = self.lookup(source)
        if facts is not None:
            return facts
        facts = parser(source)
        self.store(source, facts)
        return facts

    def lookup(self, source: SourceFile) -> Facts | None:
        """The cached facts of `source`, or None (counted as a miss) when there is no usable entry."""
        entry = self._entry(source)
        facts = self._recall(entry, Facts)
        if facts is None and self.usable:
            held = kept.recall(str(entry))  # decoded by the resident process, when one runs this command
            facts = held if isinstance(held, Facts) and (held.path, held.kind) == (source.path, source.kind) \
                else self._load(entry, source)
            self._remember(entry, facts)
        if facts is not None:
            self.hits += 1
            self._note_origin(entry, facts)
            kept.note_use(str(entry))
        else:
            self.misses += 1
        return facts

    def store(self, source: SourceFile, facts: Facts) -> None:
        entry = self._entry(source)
        self._remember(entry, facts)
        self._note_origin(entry, facts)
        if self.usable:
            self._store(entry, facts)
            kept.note_use(str(entry))

    def _recall(self, entry: Path, kind: type) -> Any:
        found = self.remembered.get(entry) if self.remembered is not None else None
        return found if isinstance(found, kind) else None

    def _remember(self, entry: Path, facts: Facts | list[Facts] | Memo | None) -> None:
        if self.remembered is not None and facts is not None:
            self.remembered[entry] = facts

    def _load(self, entry: Path, source: SourceFile) -> Facts | None:
        facts = _read_entry(entry, "facts")
        if isinstance(facts, Facts) and facts.path == source.path and facts.kind == source.kind:
            return facts
        return None

    def _derived_entry(self, what: str, key: str) -> Path:
        digest = hashlib.sha256(f"{what}\0{key}".encode()).hexdigest()
        return self.directory / what / digest[:2] / f"{digest}.json"

    def load_rendered(self, key: str) -> list[Facts] | None:
        """The facts a chart rendered to under `key` (render/helm.py: chart files, values, helm version), or None."""
        return self._load_derived("rendered", key, "kubernetes")

    def store_rendered(self, key: str, facts: list[Facts]) -> None:
        self._store_derived("rendered", key, facts)

    def load_combined(self, key: str) -> list[Facts] | None:
        """The module facts Terraform's per-file facts combined to under `key` (scan.py: every .tf file's path and
        content), or None."""
        return self._load_derived("combined", key, "terraform")

    def store_combined(self, key: str, facts: list[Facts]) -> None:
        self._store_derived("combined", key, facts)

    def _load_derived(self, what: str, key: str, kind: str) -> list[Facts] | None:
        """Facts computed from many files (a rendered chart, combined modules), all of `kind`, or None."""
        entry = self._derived_entry(what, key)
        remembered = self._recall(entry, list)
        if remembered is not None:
            self.hits += 1
            self._note_origin(entry, remembered)
            return list(remembered)
        if not self.usable:
            return None
        held = kept.recall(str(entry))  # decoded by the resident process, when one runs this command
        facts = list(held) if isinstance(held, tuple) else _read_entry(entry, "facts")
        if isinstance(facts, list) and all(isinstance(f, Facts) and f.kind == kind for f in facts):
            self.hits += 1
            self._remember(entry, list(facts))
            self._note_origin(entry, facts)
            kept.note_use(str(entry))
            return facts
        self.misses += 1
        return None

    def _store_derived(self, what: str, key: str, facts: list[Facts]) -> None:
        entry = self._derived_entry(what, key)
        self._remember(entry, list(facts))
        self._note_origin(entry, facts)
        if self.usable:
            self._store(entry, facts)
            kept.note_use(str(entry))

    def load_version(self, key: str) -> str | None:
        """What a renderer binary said its version was (render/versions.py: the binary's file by stat), or None."""
        if not self.usable:
            return None
        version = _read_entry(self._derived_entry("version", key), "version", json.loads)
        return version if type(version) is str and 0 < len(version) <= 80 else None

    def store_version(self, key: str, version: str) -> None:
        if self.usable:
            self._write(self._derived_entry("version", key), {"format": FORMAT_VERSION, "version": version})

    def load_memo(self, key: str) -> Memo | None:
        """What the last run under `key` (scan.py: the root and the size limit) saw of each file and folder
        (discover.py `Memo`), or None. Records are checked field by field: a planted one makes the memo a miss."""
        entry = self._derived_entry("memo", key)
        remembered = self._recall(entry, Memo)
        if remembered is not None or not self.usable:
            return remembered
        envelope = _read_entry(entry, "memo", json.loads)  # plain JSON: a memo holds no tagged objects
        if not isinstance(envelope, dict):
            return None
        files, folders = envelope.get("files"), envelope.get("folders")
        if not (isinstance(files, dict) and all(_remembered(record) for record in files.values())
                and isinstance(folders, dict) and all(_listed(record) for record in folders.values())):
            return None
        memo = Memo({path: tuple(record) for path, record in files.items()},
                    {path: (*record[:4], tuple((name, what) for name, what in record[4]))
                     for path, record in folders.items()})
        self._remember(entry, memo)  # checked by _remembered and _listed
        return memo

    def store_memo(self, key: str, memo: Memo) -> None:
        entry = self._derived_entry("memo", key)
        self._remember(entry, memo)
        if self.usable:
            self._write(entry, {"format": FORMAT_VERSION, "memo": {"files": memo.files, "folders": memo.folders}})

    def load_judged(self, key: str) -> tuple[frozenset[str], list[tuple[str, str]]] | None:
        """What a run under `key` (engine/judged.py: what the graph was built from, the rules and the options)
        reported: the ids of the rules that ran, and each finding's (rule id, fingerprint); or None."""
        if not self.usable:
            return None
        judged = _read_entry(self._derived_entry("judged", key), "judged", json.loads)
        if not (isinstance(judged, dict) and isinstance(judged.get("rules"), list)
                and all(type(rule) is str for rule in judged["rules"]) and isinstance(judged.get("findings"), list)
                and all(isinstance(item, list) and len(item) == 2 and all(type(part) is str for part in item)
                        for item in judged["findings"])):
            return None
        return frozenset(judged["rules"]), [(rule, fingerprint) for rule, fingerprint in judged["findings"]]

    def store_judged(self, key: str, rules: frozenset[str], findings: list[tuple[str, str]]) -> None:
        if self.usable:
            self._write(self._derived_entry("judged", key), {"format": FORMAT_VERSION, "judged": {
                "rules": sorted(rules), "findings": [list(item) for item in findings]}})

    def _store(self, entry: Path, facts: Facts | list[Facts]) -> None:
        self._write(entry, {"format": FORMAT_VERSION, "facts": encode(facts)})

    def _write(self, entry: Path, envelope: dict[str, Any]) -> None:
        temporary: str | None = None
        try:
            text = json.dumps(envelope, separators=(",", ":"))
            if not private_dir(entry.parent):
                return
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=entry.parent, delete=False) as handle:
                temporary = handle.name
                handle.write(text)
            os.replace(temporary, entry)
            temporary = None
        except (OSError, TypeError, ValueError, RecursionError):
            pass
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


def _touch(path: Path, now: float) -> None:
    if path.is_symlink():
        path.unlink()
    path.touch(mode=0o600)
    os.utime(path, (now, now))


def _mtime(path: Path | str) -> float:
    """`path`'s modification time, not through a link; 0 when it cannot be had (missing)."""
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _last_used(folder: str) -> float:
    """When a run last used a version's folder: its `used` marker, else the folder's own mtime."""
    return _mtime(f"{folder}/{_USED}") or os.lstat(folder).st_mtime


def _sweep_entries(folder: str, unread_since: float, depth: int = 2) -> None:
    """Remove the entries (`*.json`) in `folder` and its subfolders `depth` deep (`ab/…`, `rendered/ab/…`) last
    read before `unread_since`, and the temporary files a write left behind as long ago."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            if depth > 0:
                _sweep_entries(entry.path, unread_since, depth - 1)
        elif entry.is_file(follow_symlinks=False) and (entry.name.endswith(".json") or entry.name.startswith("tmp")):
            info = entry.stat(follow_symlinks=False)
            if max(info.st_atime, info.st_mtime) < unread_since:
                os.unlink(entry.path)


_DIGEST_NAME = re.compile(r"[0-9a-f]{64}\.json")
_KEPT_DERIVED = ("rendered", "combined")  # derived entries named by what they were computed from (not "memo")


def kept_shape(entry: str, fingerprint: str) -> str | None:
    """"file" or "derived" when `entry` is the path of a per-file or a rendered/combined entry in the `fingerprint`
    folder of a cache (`_entry`, `_derived_entry`), else None: the entries auditor/kept.py may hold."""
    parts = entry.split("/")
    if not os.path.isabs(entry) or ".." in parts or not _DIGEST_NAME.fullmatch(parts[-1]) or \
            parts[-2] != parts[-1][:2]:
        return None
    if parts[-3] == fingerprint:
        return "file"
    if parts[-3] in _KEPT_DERIVED and parts[-4] == fingerprint:
        return "derived"
    return None


def _read_entry(entry: Path, field: str, decode: Callable[[bytes], Any] = loads) -> Any:
    """`field` of an entry this version wrote, or None: missing, unreadable, too large, not JSON, a 5,000-digit
    number, too deep, another format, or not our shape."""
    try:
        with entry.open("rb") as handle:
            raw = handle.read(MAX_ENTRY_BYTES + 1)
        if len(raw) > MAX_ENTRY_BYTES:
            return None
        envelope = decode(raw)
    except (OSError, ValueError, RecursionError, MemoryError, _Shape):
        return None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT_VERSION:
        return None
    return envelope.get(field)


def _remembered(record: Any) -> bool:
    """Whether a memo record has the shape of discover.py's `Remembered`."""
    return (isinstance(record, list) and len(record) == 7 and all(type(n) is int and n >= 0 for n in record[:4])
            and all(isinstance(text, str) for text in record[4:]) and (record[5] == "" or record[5] in _FILE_KINDS))


_LISTED_WHATS = LISTED_TAGS | _FILE_KINDS


def _listed(record: Any) -> bool:
    """Whether a memo record has the shape of discover.py's `Listed`; each name is one path segment."""
    return (isinstance(record, list) and len(record) == 5 and all(type(n) is int and n >= 0 for n in record[:3])
            and isinstance(record[3], str) and isinstance(record[4], list)
            and all(isinstance(item, list) and len(item) == 2 and _segment(item[0]) and item[1] in _LISTED_WHATS
                    for item in record[4]))


def _segment(name: Any) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name
