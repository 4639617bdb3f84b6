"""Find the files worth auditing and say what each one is.

Walks the repository without following symlinks (so link loops cannot trap us), honours every
`.gitignore` on the way plus configured excludes, and classifies by name first and by content where a
name is ambiguous (any YAML may be a Kubernetes manifest or a compose file). Reading is bounded: a file
over the size limit, a binary file or a file that is not text becomes a `Diagnostic`, never an exception.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pathspec

from auditor.code.languages import language_of
from auditor.model import MAX_CODE_BYTES, SUPPRESSION_MARK, Diagnostic, FileKind
from auditor.parsers import appconfig, buildfiles, compose, telemetry
from auditor.parsers.yaml_source import load_documents
from auditor.render.kustomize_walk import is_kustomization

DEFAULT_MAX_BYTES = 2 * 1024 * 1024

# Directories that never hold the repo's own infrastructure or config.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".terraform",
        ".terragrunt-cache",
        "node_modules",
        "vendor",
        "third_party",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".idea",
        ".vscode",
    }
)

_TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
_YAML_SUFFIXES = (".yaml", ".yml")
# Kubernetes accepts JSON manifests (`kubectl apply -f x.json`, `kind: List` exports): a JSON file not known
# by its name is one when both keys appear near its top.
_JSON_SUFFIX = ".json"
_JSON_MANIFEST_KEYS = (b'"apiVersion"', b'"kind"')
_JSON_PEEK_BYTES = 65_536
_COMPOSE_NAME = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")
_API_VERSION = re.compile(r"^apiVersion:", re.MULTILINE)
_KIND = re.compile(r"^kind:", re.MULTILINE)
_JSON_API_VERSION = re.compile(r'"apiVersion"[ \t\r\n]{0,64}:')
_JSON_KIND = re.compile(r'"kind"[ \t\r\n]{0,64}:')
_SERVICES_HINT = re.compile(r"^services:", re.MULTILINE)
_TEMPLATE_HINT = re.compile(r"\{\{-?\s*[.$\w(\"/]")


@dataclass(frozen=True)
class SourceFile:
    """A file to parse: its repo-relative POSIX path, kind, decoded text and content hash. `text` is None for a
    file the memo vouches for (`Remembered`): unchanged since the last run, so its facts come from the cache; and,
    once parsed, for a file without a suppression comment (scan.py `_released`)."""

    path: str
    kind: FileKind
    text: str | None
    sha256: str


# What the last run read at a path, for `audit hook`: (size, mtime_ns, ctime_ns, inode, the kind it was read as,
# the kind it turned out to be or "" when skipped, its sha256 or the reason it was skipped). A file whose stat
# still gives those numbers is not read again: git's index makes the same bet, with the same guard against a
# write within the clock tick of the one recorded (a file changed less than _RACY_NS before it was read is not
# remembered). Files that gave a diagnostic or hold a suppression comment are always read.
Remembered = tuple[int, int, int, int, str, str, str]
_RACY_NS = 2_000_000_000

# What the last run found in a folder: (mtime_ns, ctime_ns, inode, the ignore rules in force there, its entries
# the walk kept as (name, what): a file's candidate kind, "reference", "dir", "link" or "gitignore"). A folder's
# mtime and ctime change whenever an entry is added, removed or renamed in it, so while they and the rules in
# force are those recorded, its listing is too: the walk neither lists it nor matches its names against ignore
# patterns (git's untracked cache makes the same bet). The rules are a digest of the configured excludes and of
# each `.gitignore` on the way by its stat, so an edited `.gitignore` changes the rules below it.
Listed = tuple[int, int, int, str, tuple[tuple[str, str], ...]]
LISTED_TAGS = frozenset({"reference", "dir", "link", "gitignore"})


@dataclass
class Memo:
    """What a run saw, for the next one to trust (`audit hook`): each file (`Remembered`) and folder (`Listed`)."""

    files: dict[str, Remembered] = field(default_factory=dict)
    folders: dict[str, Listed] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Inventory:
    """What discovery found: files to parse, files passed over (with why), and input problems."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # every `Chart.yaml` found (subcharts' too), repo-relative
    # Views and wiring files that name Java/C# types without being code the tool reads (`@inject CatalogClient`
    # in a .razor page, a bean class in Spring XML): scan.py reads the type names they mention, nothing else.
    references: list[str] = field(default_factory=list)
    kustomizations: list[str] = field(default_factory=list)  # every kustomization file found, repo-relative
    memo: Memo = field(default_factory=Memo)  # what the next run may trust


def kind_by_name(path: str) -> FileKind | None:
    """The kind a file's name alone decides; None when only its content can tell."""
    name = path.rpartition("/")[2].lower()  # (walked paths are normalised: string operations suffice)
    if name.endswith(_TERRAFORM_SUFFIXES):
        return "terraform"
    if _COMPOSE_NAME.match(name):
        return "compose"
    if buildfiles.recognises(path):
        return "buildfile"
    if telemetry.recognises(path):
        return "telemetry"
    if appconfig.recognises(path):
        return "appconfig"
    return None


def kind_by_content(path: str, text: str) -> FileKind:
    """Classify a YAML (or JSON) file whose name does not decide: Helm template, Kubernetes, compose, a
    Prometheus or OpenTelemetry collector config (`telemetry`), or neither."""
    if path.lower().endswith(_JSON_SUFFIX):
        return "kubernetes" if _JSON_API_VERSION.search(text) and _JSON_KIND.search(text) else "unknown"
    parts = path.split("/")
    if _TEMPLATE_HINT.search(text) and ("templates" in parts or "{{ .Values" in text or "{{- " in text):
        return "helm_template"
    if _API_VERSION.search(text) and _KIND.search(text):
        return "kubernetes"
    if _SERVICES_HINT.search(text):
        documents, _ = load_documents(text)
        if any(compose.looks_like_compose(document.value) for document in documents):
            return "compose"
    if not path.lower().endswith(_JSON_SUFFIX) and telemetry.looks_like_telemetry(text):
        return "telemetry"
    return "unknown"


def decode(path: str, data: bytes) -> tuple[str | None, Diagnostic | None]:
    """Bytes → text, or a diagnostic saying why not (binary, or not UTF-8/UTF-16 with the bad line)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        return None, Diagnostic(path, "binary file (contains NUL bytes); not audited", None, "binary")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, Diagnostic(
            path, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); not audited", line, "encoding"
        )


# Ignore patterns become regular expressions in which each `*` is `[^/]*`: a segment with k separate stars
# backtracks like n^k on a long name (`*a*a*a*a*z` takes 13 s on one 250-character name). Three keep the
# worst case at milliseconds and cover real .gitignore files; a pattern over the bounds is not used.
MAX_PATTERN_STARS = 3
MAX_PATTERN_CHARS = 1024
MAX_GITIGNORE_BYTES = 1_000_000
_STAR_RUN = re.compile(r"\*+")


def pattern_problem(pattern: str) -> str | None:
    """Why an ignore pattern would make matching slow, or None when it is safe to use."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS} characters"
    for segment in pattern.split("/"):
        stars = sum(1 for run in _STAR_RUN.findall(segment) if not (run == "**" and segment == "**"))
        if stars > MAX_PATTERN_STARS:
            return f"more than {MAX_PATTERN_STARS} wildcards in one path segment"
    return None


@dataclass
class _Spec:
    """One folder's .gitignore in the stack: its spec and one regex matching whatever any of its patterns matches
    (both None until it is read, and for a folder without one)."""

    directory: str
    spec: pathspec.GitIgnoreSpec | None = None
    any_pattern: re.Pattern[str] | None = None
    read: bool = False


class _Ignores:
    """The stack of .gitignore specs in force for a directory, plus configured excludes. A folder the memo vouches
    for pushes its .gitignore unread: it is read only when a folder below must be listed again."""

    def __init__(self, root: Path, excludes: Iterable[str], inventory: Inventory) -> None:
        patterns = [pattern for pattern in excludes if pattern_problem(pattern) is None]
        self.root = root
        self.excludes = pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None
        self.specs: list[_Spec] = []
        self.unread = 0
        self.inventory = inventory
        self.top_rules = hashlib.sha256("\0".join(["excludes", *patterns]).encode()).hexdigest()

    def rules(self, parent: str | None, rel_dir: str, has_gitignore: bool) -> str | None:
        """The digest of the rules in force in `rel_dir` (see `Listed`), or None when they cannot be trusted: a
        parent's cannot, or its `.gitignore` was written within a clock tick of now."""
        if parent is None or not has_gitignore:
            return parent
        try:
            info = os.lstat(self.root / rel_dir / ".gitignore")
        except OSError:
            return None
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) <= _RACY_NS:
            return None
        identity = f"{parent}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}"
        return hashlib.sha256(identity.encode()).hexdigest()

    def load(self, rel_dir: str, read: bool = True) -> bool:
        """Push `rel_dir`'s .gitignore (read now, or when first needed); whether reading it gave no diagnostic."""
        self.specs.append(_Spec(rel_dir))
        self.unread += 1
        return self._read(self.specs[-1]) if read else True

    def _read(self, entry: _Spec) -> bool:
        entry.read = True
        self.unread -= 1
        gitignore = self.root / entry.directory / ".gitignore"
        try:
            if gitignore.is_symlink() or not gitignore.is_file():
                return True
            with gitignore.open("rb") as handle:
                data = handle.read(MAX_GITIGNORE_BYTES)
        except OSError:
            return True
        lines = data.decode("utf-8", errors="replace").splitlines()
        path = gitignore.relative_to(self.root).as_posix()
        kept = []
        clean = True
        for number, line in enumerate(lines, start=1):
            problem = pattern_problem(line)
            if problem is None:
                kept.append(line)
            else:
                clean = False
                self.inventory.diagnostics.append(
                    Diagnostic(path, f"ignore pattern not used: {problem}", number, "limit", "warning")
                )
        entry.spec, entry.any_pattern = _compiled(tuple(kept))
        return clean

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        """Git's precedence: the deepest .gitignore with a matching pattern decides (a `!pattern` there
        re-includes what a parent ignores); configured excludes always exclude."""
        probe = rel_path + "/" if is_dir else rel_path
        if self.excludes is not None and self.excludes.match_file(probe):
            return True
        if self.unread:
            for entry in self.specs:
                if not entry.read:
                    self._read(entry)
        for entry in reversed(self.specs):
            base, spec, any_pattern = entry.directory, entry.spec, entry.any_pattern
            if spec is None:
                continue
            if base == ".":
                relative = probe
            elif probe.startswith(base + "/"):
                relative = probe[len(base) + 1 :]
            else:
                continue
            if any_pattern is not None and any_pattern.match(relative) is None:
                continue  # no pattern of this file matches: it has no say
            verdict = spec.check_file(relative).include
            if verdict is not None:
                return verdict
        return False

    def leave(self, rel_dir: str) -> None:
        self.unread -= sum(1 for entry in self.specs if entry.directory == rel_dir and not entry.read)
        self.specs = [entry for entry in self.specs if entry.directory != rel_dir]


@functools.lru_cache(maxsize=512)
def _compiled(lines: tuple[str, ...]) -> tuple[pathspec.GitIgnoreSpec, re.Pattern[str] | None]:
    """A .gitignore's spec and joined regex, compiled once per content: monorepos repeat the same file in every
    project folder."""
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec, _any_pattern(spec)


_GROUP_NAME = re.compile(r"\(\?P<\w+>")
_FLOATING = "^(?:.+/)?"  # how pathspec begins the regex of a pattern that matches below any folder


def _any_pattern(spec: pathspec.GitIgnoreSpec) -> re.Pattern[str] | None:
    """One regex that matches a path when any pattern of `spec` does, so most paths are decided by one match
    instead of one per pattern; None when the patterns cannot be joined (then each is tried, as before)."""
    active = [pattern for pattern in spec.patterns if getattr(pattern, "include", None) is not None]
    parts = [regex.pattern for regex in (getattr(pattern, "regex", None) for pattern in active)
             if isinstance(regex, re.Pattern)]
    if len(parts) != len(active):
        return None
    parts = [_GROUP_NAME.sub("(?:", part) for part in parts]
    # Most patterns may match below any folder, and each of those began by trying every folder of the path
    # again: tried once for all of them, a 229-pattern Visual Studio .gitignore matched 2.5 times as fast.
    floating = [part[len(_FLOATING):] for part in parts if part.startswith(_FLOATING)]
    # pathspec searches: a regex it leaves unanchored (`*/` and `**/` are `/` anywhere) is matched after any prefix.
    branches = [f"(?:{part})" if part.startswith("^") else f"(?s:.*?)(?:{part})"
                for part in parts if not part.startswith(_FLOATING)]
    if floating:
        branches.insert(0, "(?:.+/)?(?:" + "|".join(f"(?:{part})" for part in floating) + ")")
    try:
        return re.compile("|".join(branches)) if branches else None
    except (re.error, RecursionError, OverflowError):
        return None


def _walk(root: Path, ignores: _Ignores, inventory: Inventory, classify: Callable[[str], str | None],
          memo: Mapping[str, Listed]) -> Iterator[tuple[str, str]]:
    """(repo-relative path, what `classify` said) of every regular file it gave a kind and no ignore rule
    excludes, and of every file it called a "reference" (ignored or not); links are reported, never followed.
    `classify` goes first: most files of a repository are of no kind the tool reads, and matching a path against
    .gitignore patterns costs more than looking at its name. A folder `memo` vouches for is not listed again
    (`Listed`); each folder listed is recorded in `inventory.memo`."""
    stack: list[tuple[str, bool, str | None]] = [(".", False, ignores.top_rules)]  # (rel_dir, leaving, parent's rules)
    top = str(root)  # paths joined as strings: a Path per folder cost more than listing it
    while stack:
        rel_dir, leaving, parent_rules = stack.pop()
        if leaving:
            ignores.leave(rel_dir)
            continue
        stack.append((rel_dir, True, None))
        directory = top if rel_dir == "." else f"{top}/{rel_dir}"
        kept = _remembered_listing(directory, rel_dir, parent_rules, ignores, memo.get(rel_dir))
        rules: str | None
        listing: tuple[tuple[str, str], ...]
        if kept is not None:
            rules, listing = kept[3], kept[4]
            inventory.memo.folders[rel_dir] = kept
            if any(what == "gitignore" for _, what in listing):
                ignores.load(rel_dir, read=False)
        else:
            try:
                info = os.lstat(directory)
                entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
            except OSError as error:
                inventory.diagnostics.append(
                    Diagnostic(rel_dir, f"directory cannot be read: {error.strerror}", None, "unreadable")
                )
                continue
            has_gitignore = any(entry.name == ".gitignore" and _regular(entry) for entry in entries)  # most have none
            rules = ignores.rules(parent_rules, rel_dir, has_gitignore)
            clean = ignores.load(rel_dir) if has_gitignore else True
            listing = tuple(_listing(rel_dir, entries, ignores, classify))
            settled = time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _RACY_NS
            if rules is not None and clean and settled:
                inventory.memo.folders[rel_dir] = (info.st_mtime_ns, info.st_ctime_ns, info.st_ino, rules, listing)
        subdirs: list[str] = []
        for name, what in listing:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if what == "dir":
                subdirs.append(rel)
            elif what == "link":
                _note_symlink(rel, Path(directory, name), inventory)
            elif what != "gitignore":
                yield rel, what
        stack.extend((sub, False, rules) for sub in reversed(subdirs))


def _remembered_listing(directory: str, rel_dir: str, parent_rules: str | None, ignores: _Ignores,
                        record: Listed | None) -> Listed | None:
    """`record` when it still holds for `directory`: the same stat and the same rules in force (`Listed`)."""
    if record is None or parent_rules is None:
        return None
    try:
        info = os.lstat(directory)
    except OSError:
        return None
    if record[:3] != (info.st_mtime_ns, info.st_ctime_ns, info.st_ino):
        return None
    has_gitignore = any(what == "gitignore" for _, what in record[4])
    return record if ignores.rules(parent_rules, rel_dir, has_gitignore) == record[3] else None


def _listing(rel_dir: str, entries: list[os.DirEntry[str]], ignores: _Ignores,
             classify: Callable[[str], str | None]) -> Iterator[tuple[str, str]]:
    """(name, what) of each entry of a folder the walk keeps, in name order (see `Listed`)."""
    for entry in entries:
        rel = entry.name if rel_dir == "." else f"{rel_dir}/{entry.name}"
        if entry.is_symlink():
            yield entry.name, "link"
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if entry.name not in SKIPPED_DIRS and not ignores.ignored(rel, True):
                yield entry.name, "dir"
        elif not _regular(entry):
            continue
        elif entry.name == ".gitignore":
            yield entry.name, "gitignore"
        else:
            what = classify(rel)
            if what == "reference" or (what is not None and not ignores.ignored(rel, False)):
                yield entry.name, what


def _regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _note_symlink(rel: str, path: Path, inventory: Inventory) -> None:
    """Links are not followed (their targets are audited where they live); loops and dangling links are reported."""
    try:
        path.resolve(strict=True)
    except RuntimeError:
        inventory.diagnostics.append(Diagnostic(rel, "symlink loop; not followed", None, "symlink", "warning"))
        return
    except OSError as error:
        if error.errno == 40:  # ELOOP
            inventory.diagnostics.append(Diagnostic(rel, "symlink loop; not followed", None, "symlink", "warning"))
        else:
            inventory.skipped.append(Skipped(rel, "dangling symlink"))
        return
    inventory.skipped.append(Skipped(rel, "symlink (not followed)"))


def _candidate_kind(rel: str) -> FileKind | None:
    """Kind by name, or "unknown" for YAML that needs a look inside, or None for files we never read."""
    by_name = kind_by_name(rel)
    if by_name is not None:
        return by_name
    if rel.lower().endswith((*_YAML_SUFFIXES, _JSON_SUFFIX)):
        return "unknown"
    if language_of(rel) is not None:
        return "code"
    return None


# -- source code: what is not the running application's code ------------------------------------------------

# Directories of test code, build output, generated or vendored code, and one-off tooling.
_NOT_APP_DIRS = {
    "test code": frozenset({"test", "tests", "testing", "__tests__", "__test__", "spec", "specs", "e2e", "it",
                            "integration-tests", "integration_tests", "functional-tests", "testdata", "test-data",
                            "fixtures", "__mocks__", "mocks", "cypress", "playwright", "benchmark", "benchmarks"}),
    "build output": frozenset({"dist", "build", "out", "target", "bin", "obj", ".next", ".nuxt", "coverage",
                               "public", "static", "wwwroot", "assets"}),
    "generated code": frozenset({"generated", "gen", "__generated__", "migrations"}),
    "documentation code": frozenset({"docs", "doc"}),
}
# Folders a PHP application serves from (Laravel's and Symfony's `public/`, `bin/console`).
_PHP_SERVED_DIRS = frozenset({"public", "bin", "static", "wwwroot", "assets"})
# File names of tests and generated code, per language convention.
_NOT_APP_NAMES = (
    ("test code", re.compile(r"^(test_.*\.py|.*_test\.(py|go)|conftest\.py|.*\.(test|spec|e2e)\.[cm]?[jt]sx?|"
                             r".*Tests?\.(java|cs)|.*IT\.java|.*Test\.php)$")),
    ("generated code", re.compile(r"^(.*_pb2(_grpc)?\.pyi?|.*\.pb(\.gw)?\.go|.*_grpc\.pb\.go|.*\.g\.cs|"
                                  r".*\.designer\.cs|.*_pb\.js|.*_grpc_pb\.js|.*\.generated\.\w+|"
                                  r"zz_generated.*\.go|.*_gen\.go|.*\.gen\.go|.*\.generated\.go)$", re.IGNORECASE)),
    ("minified or bundled code", re.compile(r"^.*[.-](min|bundle|chunk)\.[cm]?js$", re.IGNORECASE)),
)
_GENERATED_HEADER = re.compile(rb"(Code generated .{0,200}DO NOT EDIT|@generated\b|<auto-generated|"
                               rb"Generated by the protocol buffer compiler|This file was generated|"
                               rb"autogenerated file|AUTO-GENERATED FILE)", re.IGNORECASE)
_MINIFIED_LINE = 2_000  # characters: a line this long in source code means minified or generated
_MINIFIED_SCAN = 200_000  # bytes of a source file looked at for such a line


def code_skip_reason(rel: str) -> str | None:
    """Why a source file is not read as application code (tests, generated, build output…), or None."""
    parts = rel.split("/")
    folders = [part.lower() for part in parts[:-1]]
    for index in range(len(folders) - 1):
        if folders[index] == "src" and folders[index + 1] in ("main", "test"):
            # Maven/Gradle layout: below `src/main/<lang>` folder names are packages (`…/assets`, `…/static`)
            if folders[index + 1] == "test":
                return "test code"
            folders = folders[:index]
            break
    php = rel.lower().endswith(".php")
    for reason, names in _NOT_APP_DIRS.items():
        if php and reason == "build output":
            names = names - _PHP_SERVED_DIRS  # `public/index.php` is the document root, not build output
        if any(folder in names for folder in folders):
            return reason
    if "src" in folders and any(f in ("androidtest", "integrationtest", "testfixtures") for f in folders):
        return "test code"
    name = parts[-1]
    for reason, pattern in _NOT_APP_NAMES:
        if pattern.match(name):
            return reason
    return None


def code_content_skip_reason(data: bytes) -> str | None:
    """Why a source file's content says it is not hand-written application code, or None."""
    if len(data) > MAX_CODE_BYTES:
        return f"over {MAX_CODE_BYTES:,} bytes (generated or bundled)"
    head = data[:2048]
    if b"generated" in head.lower() and _GENERATED_HEADER.search(head):  # every marker says "generated"
        return "generated code"
    # Every line of the first 200 KB: splitting at most 2,000 times made the rest of a longer file one "line", so
    # any hand-written file of more than 2,000 lines was taken for minified.
    longest = max(map(len, data[:_MINIFIED_SCAN].split(b"\n")))
    if longest > _MINIFIED_LINE:
        return "minified or generated code (very long lines)"
    return None


# Files that name Java/C# types for a framework to create or inject (Razor views and components, XAML, Spring
# and JSF XML, JSP): read only for the type names they mention (graph/code.py: is a class used at all?).
REFERENCE_SUFFIXES = (".razor", ".cshtml", ".xaml", ".xml", ".jsp", ".jspx")
MAX_REFERENCE_FILES = 20_000


def discover(
    root: Path, excludes: Iterable[str] = (), max_bytes: int = DEFAULT_MAX_BYTES, only: Iterable[str] | None = None,
    versions: Mapping[str, bytes | None] | None = None, memo: Memo | None = None,
) -> Inventory:
    """Every auditable file under `root`, classified and decoded. `only` limits reading to those paths.
    `versions` gives other contents for some paths (None: the file is absent), read instead of the work tree's:
    the committed state the pre-commit hook compares with (auditor/engine/changes.py). A file or folder `memo`
    vouches for is not read again (`Remembered`, `Listed`)."""
    inventory = Inventory()
    top = str(root)
    wanted = {PurePosixPath(p).as_posix() for p in only} if only is not None else None
    chart_dirs: set[str] = set()
    for rel, what in _walk(root, _Ignores(root, excludes, inventory), inventory, _classified,
                           memo.folders if memo is not None else {}):
        if what == "reference":
            if len(inventory.references) < MAX_REFERENCE_FILES:
                inventory.references.append(rel)
            continue
        directory, _, name = rel.rpartition("/")
        if name == "Chart.yaml":  # a Helm chart: its directory is walked before its templates
            inventory.charts.append(rel)
            chart_dirs.add(directory or ".")
        if is_kustomization(rel):  # rendered per overlay (render/kustomize.py)
            inventory.kustomizations.append(rel)
        if wanted is not None and rel not in wanted:
            continue
        # A kustomization is read as a manifest (it defines no object) so that comments in it are seen.
        kind = _chart_kind(rel, chart_dirs) or ("kubernetes" if is_kustomization(rel) else what)
        if kind == "code":
            reason = code_skip_reason(rel)
            if reason is not None:
                inventory.skipped.append(Skipped(rel, reason))
                continue
        if versions is not None and rel in versions:
            data = versions[rel]
            source = None if data is None else _source(rel, data, kind, max_bytes, inventory)  # type: ignore[arg-type]
        else:
            source = _read(rel, f"{top}/{rel}", kind, max_bytes, inventory,  # type: ignore[arg-type]
                           memo.files if memo is not None else None)
        if source is None:
            continue
        if source.kind in ("kubernetes", "helm_template") and _in_chart_tree(rel, chart_dirs):
            source = SourceFile(source.path, "helm_template", source.text, source.sha256)
        elif source.kind == "helm_template":  # a template with no chart around it: nothing can render it
            inventory.diagnostics.append(Diagnostic(
                rel, "Helm template outside any chart (no Chart.yaml above it): not rendered, so not audited",
                None, "not-rendered", "note"))
            inventory.skipped.append(Skipped(rel, "Helm template (not rendered)"))
            continue
        inventory.files.append(source)
    return inventory


def _classified(rel: str) -> str | None:
    """What the walk keeps a file as: its candidate kind (every file a chart's renderer reads is YAML, so a
    candidate too; a `Kustomization` file may have no suffix), "reference", or None."""
    kind = _candidate_kind(rel) or ("kubernetes" if is_kustomization(rel) else None)
    if kind is not None:
        return kind
    return "reference" if rel.lower().endswith(REFERENCE_SUFFIXES) else None


_VALUES_FILE = re.compile(r"^values([.-][\w.-]+)?\.ya?ml$")


def _chart_dir_of(rel: str, chart_dirs: set[str]) -> str | None:
    """The deepest chart directory holding `rel`, or None: its ancestors, deepest first, looked up in the set
    (a repository of a hundred charts compared every file with every chart)."""
    directory = rel
    while "/" in directory:
        directory = directory.rpartition("/")[0]
        if directory in chart_dirs:
            return directory
    return "." if "." in chart_dirs else None


def _chart_kind(rel: str, chart_dirs: set[str]) -> FileKind | None:
    """`helm_chart` for a chart's Chart.yaml and the values files beside it (the renderer reads them)."""
    chart = _chart_dir_of(rel, chart_dirs)
    directory, _, name = rel.rpartition("/")
    if chart is None or (directory or ".") != chart:
        return None
    return "helm_chart" if name == "Chart.yaml" or _VALUES_FILE.match(name) else None


def _in_chart_tree(rel: str, chart_dirs: set[str]) -> bool:
    """Whether a manifest-like file sits in a chart's `templates/` or `charts/`: the chart renders it."""
    chart = _chart_dir_of(rel, chart_dirs)
    if chart is None:
        return False
    inner = rel if chart == "." else rel[len(chart) + 1:]
    return inner.startswith(("templates/", "charts/"))


def _too_large(rel: str, size: int, max_bytes: int, inventory: Inventory) -> None:
    inventory.diagnostics.append(
        Diagnostic(rel, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; not audited", None, "too-large",
                   "warning")
    )
    inventory.skipped.append(Skipped(rel, "too large"))


def _read(rel: str, path: str, kind: FileKind, max_bytes: int, inventory: Inventory,
          memo: Mapping[str, Remembered] | None = None) -> SourceFile | None:
    try:
        info = os.stat(path)
        if info.st_size > max_bytes:
            _too_large(rel, info.st_size, max_bytes, inventory)
            return None
        identity = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, kind)
        known = memo.get(rel) if memo is not None else None
        if known is not None and known[:5] == identity:
            inventory.memo.files[rel] = known
            if not known[5]:
                inventory.skipped.append(Skipped(rel, known[6]))
                return None
            return SourceFile(rel, known[5], None, known[6])  # type: ignore[arg-type]  # a kind: cache.py checks
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        inventory.diagnostics.append(Diagnostic(rel, f"cannot be read: {error.strerror}", None, "unreadable"))
        inventory.skipped.append(Skipped(rel, "unreadable"))
        return None
    problems, skips = len(inventory.diagnostics), len(inventory.skipped)
    source = _source(rel, data, kind, max_bytes, inventory)
    settled = time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _RACY_NS and len(data) == info.st_size
    if settled and len(inventory.diagnostics) == problems:
        if source is not None and source.text is not None and SUPPRESSION_MARK not in source.text:
            inventory.memo.files[rel] = (*identity, source.kind, source.sha256)
        elif source is None and len(inventory.skipped) == skips + 1:
            inventory.memo.files[rel] = (*identity, "", inventory.skipped[-1].reason)
    return source


def _source(rel: str, data: bytes, kind: FileKind, max_bytes: int, inventory: Inventory) -> SourceFile | None:
    """A file's bytes as a source of its kind (YAML and JSON classified by content), or None, saying why."""
    if len(data) > max_bytes:
        _too_large(rel, len(data), max_bytes, inventory)
        return None
    if kind == "code":
        reason = code_content_skip_reason(data)
        if reason is not None:
            inventory.skipped.append(Skipped(rel, reason))
            return None
    if kind == "unknown" and rel.lower().endswith(_JSON_SUFFIX):
        head = data[:_JSON_PEEK_BYTES]
        if not all(key in head for key in _JSON_MANIFEST_KEYS):
            inventory.skipped.append(Skipped(rel, "JSON that is not a Kubernetes manifest"))
            return None
    text, problem = decode(rel, data)
    if text is None:
        if problem is not None:
            inventory.diagnostics.append(problem)
        inventory.skipped.append(Skipped(rel, problem.code if problem else "not text"))
        return None
    if kind == "unknown":
        kind = kind_by_content(rel, text)
        if kind == "unknown":
            what = "JSON that is not a Kubernetes manifest" if rel.lower().endswith(_JSON_SUFFIX) else (
                "YAML that is neither Kubernetes nor compose")
            inventory.skipped.append(Skipped(rel, what))
            return None
    return SourceFile(rel, kind, text, hashlib.sha256(data).hexdigest())
