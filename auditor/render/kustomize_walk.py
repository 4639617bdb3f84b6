"""The kustomization graph of a repository, walked before anything renders it: which kustomizations reference
which (`resources`, `bases`, `components`), which files each names (patches, generator files, transformer
configs, CRDs…), and why an overlay may not be rendered: a remote base (a URL, `git::`, `ssh://`,
`host/org/repo//path`, `?ref=`), a path that leaves the repository (after symlinks), a missing file, a cycle,
or a bound reached.

kustomize fetches a remote base over the network, with no flag to stop it, so an overlay that reaches one is
refused here, before any binary sees it: "remote base, not rendered", at the file and line that names it.
Everything read is bounded (file size, kustomizations walked, nesting depth, files per overlay).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import knowledge
from auditor.model import Diagnostic
from auditor.parsers.yaml_source import YList, YMap, load_documents

MAX_FILE_BYTES = 2 * 1024 * 1024  # one kustomization, manifest or patch
MAX_KUSTOMIZATIONS = 500  # walked per repository; more are reported, not walked
MAX_DEPTH = 20  # kustomizations nested in one overlay
MAX_OVERLAY_FILES = 2_000
MAX_OVERLAY_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 5_000  # paths one kustomization field may list
_SHOWN = 200  # characters of a reference quoted in a message

# Remote references kustomize would fetch: a URL of any scheme, go-getter's `git::`, scp-like `git@host:`, a
# `host/org/repo//path` or a `?ref=`/`?version=` query; a bare `github.com/org/repo` is matched by the host test.
_REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|git::|[\w.-]+@[\w.-]+:)|//|[?&](?:ref|version|timeout|"
                     r"submodules)=")
_HOST = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?/")


@functools.cache
def rules() -> dict[str, Any]:
    """auditor/knowledge/kustomize.yaml."""
    data: dict[str, Any] = knowledge.load("kustomize.yaml")
    return data


def kustomization_names() -> tuple[str, ...]:
    return tuple(rules()["kustomization_files"])


def is_kustomization(path: str) -> bool:
    return posixpath.basename(path) in kustomization_names()


def remote(reference: str) -> bool:
    """Whether kustomize would fetch `reference` from the network rather than read it from disk."""
    return bool(_REMOTE.search(reference))


def shown(reference: str) -> str:
    return reference if len(reference) <= _SHOWN else reference[:_SHOWN] + "…"


@dataclass
class Kustomization:
    """One kustomization file, read: what it references and what is wrong with it."""

    directory: str  # repo-relative, as referenced (lexical); "." for the root
    path: str  # repo-relative path of the file, symlinks resolved
    data: YMap
    kind: str  # Kustomization | Component
    children: list[tuple[str, int]] = field(default_factory=list)  # (kustomization directory, line) referenced
    components: set[str] = field(default_factory=set)  # the children named under `components`
    files: dict[str, str] = field(default_factory=dict)  # every file it names: as referenced → resolved
    manifests: set[str] = field(default_factory=set)  # resolved files holding objects or patches
    problems: list[Diagnostic] = field(default_factory=list)  # each one keeps an overlay that reaches it unrendered


@dataclass(frozen=True)
class Overlay:
    """A kustomization to render and all it reaches; `problems` say why it cannot be (empty: it can)."""

    directory: str
    path: str
    reached: tuple[str, ...]  # kustomization directories, this one first
    files: dict[str, str]  # every file reached (kustomization files included): as referenced → resolved
    problems: tuple[Diagnostic, ...] = ()
    standalone: bool = False  # a base rendered on its own: no overlay that uses it can be rendered

    @property
    def deployment(self) -> str:
        return deployment_name(self.directory)


def deployment_name(directory: str) -> str:
    """`kustomize:deploy/overlays/prod`: an overlay is a deployment named by its directory."""
    return f"kustomize:{directory}"


class Walk:
    """Reads kustomizations under `root` on demand, each once, every path confined to the repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.top = root.resolve()
        self.loaded: dict[str, Kustomization | None] = {}

    # -- paths --------------------------------------------------------------------------------------------

    def locate(self, directory: str, reference: str) -> tuple[str, str] | str:
        """(as referenced, resolved) repo-relative paths of `reference` named in `directory`, or why not."""
        if reference.startswith("/") or "\0" in reference:
            return "an absolute path"
        joined = posixpath.normpath(posixpath.join(directory, reference))
        if joined == ".." or joined.startswith("../"):
            return "outside the repository"
        try:
            real = (self.root / joined).resolve()
        except (OSError, RuntimeError):
            return "a symlink loop"
        if real != self.top and self.top not in real.parents:
            return "outside the repository (through a symlink)"
        try:
            if not real.exists():
                return "not found"
        except OSError:  # a name longer than the file system allows, or an unreadable folder on the way
            return "not found"
        return joined, real.relative_to(self.top).as_posix() or "."

    def read(self, real: str) -> tuple[str | None, str]:
        """The text of a resolved repo-relative regular file, bounded, or None with why not."""
        path = self.top / real
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return None, "not a regular file"
            if info.st_size > MAX_FILE_BYTES:
                return None, f"over {MAX_FILE_BYTES:,} bytes"
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            return None, error.strerror or "unreadable"
        if b"\0" in data[:8192]:
            return None, "a binary file"
        return data.decode("utf-8-sig", errors="replace"), ""

    def kustomization_file(self, directory: str) -> str | None:
        """The kustomization file's name in `directory` (kustomize's order), or None."""
        for name in kustomization_names():
            if os.path.isfile(self.root / directory / name):
                return name
        return None

    # -- reading one kustomization ------------------------------------------------------------------------

    def load(self, directory: str) -> Kustomization | None:
        """The kustomization in `directory` (repo-relative, lexical), or None when it has none."""
        if directory in self.loaded:
            return self.loaded[directory]
        self.loaded[directory] = None
        name = self.kustomization_file(directory)
        if name is None:
            return None
        located = self.locate(directory, name)
        if isinstance(located, str):
            path = name if directory == "." else f"{directory}/{name}"
            found = Kustomization(directory, path, YMap(), "Kustomization", problems=[Diagnostic(
                path, f"kustomization {located}; overlay not rendered", None, "not-rendered", "warning")])
            self.loaded[directory] = found
            return found
        lexical, real = located
        text, why = self.read(real)
        data: YMap | None = None
        problem = why
        if text is not None:
            documents, error = load_documents(text)
            if error is not None:
                problem = f"invalid YAML: {error.message}"
            elif documents and isinstance(documents[0].value, YMap):
                data = documents[0].value
            else:
                data = YMap()
        stated = data.get("kind") if data is not None else None
        found = Kustomization(directory, real, data if data is not None else YMap(),
                              stated if isinstance(stated, str) and stated else "Kustomization")
        found.files[lexical] = real
        if data is None:
            found.problems.append(Diagnostic(real, f"kustomization cannot be read ({problem}); not rendered", None,
                                             "not-rendered", "warning"))
        else:
            _references(self, found)
        self.loaded[directory] = found
        return found


def _references(walk: Walk, k: Kustomization) -> None:
    """Every path `k` names, located; a directory under `resources`/`bases`/`components` is a child."""
    fields = rules()["references"]
    data = k.data
    for name in fields["entries"]:
        for reference, line in _strings(data, name, k):
            _take(walk, k, name, reference, line, directory_ok=name in ("resources", "bases", "components"),
                  manifest=name in ("resources", "bases"))
    for name in fields["inline_or_path"]:
        for reference, line in _strings(data, name, k):
            if not inline(reference):
                _take(walk, k, name, reference, line, manifest=name == "patchesStrategicMerge")
    for name in fields["path_key"]:
        for entry, _ in _mappings(data, name, k):
            named = entry.get("path")
            if isinstance(named, str) and named:
                _take(walk, k, name, named, entry.line_of("path"), manifest=name != "replacements")
    for name in fields["generator_files"]:
        for entry, _ in _mappings(data, name, k):
            for key in ("files", "envs"):
                items = entry.get(key)
                if isinstance(items, YList):
                    for index, item in enumerate(items):
                        if isinstance(item, str) and item:
                            _take(walk, k, f"{name}.{key}", item.split("=", 1)[-1], items.line_of(index))
            env = entry.get("env")
            if isinstance(env, str) and env:
                _take(walk, k, f"{name}.env", env, entry.line_of("env"))
    for name in fields["nested_path"]:
        holder = data.get(name)
        if isinstance(holder, YMap) and isinstance(holder.get("path"), str):
            _take(walk, k, name, holder["path"], holder.line_of("path"))


def inline(reference: str) -> bool:
    """A `patchesStrategicMerge`/`transformers` entry that is a YAML document, not a path."""
    return "\n" in reference or reference.lstrip().startswith(("{", "apiVersion:", "kind:", "- "))


def _strings(data: YMap, name: str, k: Kustomization) -> list[tuple[str, int]]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, YList):
        k.problems.append(Diagnostic(k.path, f"`{name}` is not a list; overlay not rendered", data.line_of(name),
                                     "not-rendered", "warning"))
        return []
    if len(value) > MAX_ENTRIES:
        k.problems.append(Diagnostic(k.path, f"`{name}` lists more than {MAX_ENTRIES:,} entries; overlay not "
                                     "rendered", data.line_of(name), "limit", "warning"))
        return []
    found = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            found.append((item.strip(), value.line_of(index)))
        elif item is not None:
            k.problems.append(Diagnostic(k.path, f"`{name}` entry is not a path; overlay not rendered",
                                         value.line_of(index), "not-rendered", "warning"))
    return found


def _mappings(data: YMap, name: str, k: Kustomization) -> list[tuple[YMap, int]]:
    value = data.get(name)
    if not isinstance(value, YList):
        return []
    if len(value) > MAX_ENTRIES:
        k.problems.append(Diagnostic(k.path, f"`{name}` lists more than {MAX_ENTRIES:,} entries; overlay not "
                                     "rendered", data.line_of(name), "limit", "warning"))
        return []
    return [(item, value.line_of(index)) for index, item in enumerate(value) if isinstance(item, YMap)]


def _take(walk: Walk, k: Kustomization, name: str, reference: str, line: int, directory_ok: bool = False,
          manifest: bool = False) -> None:
    if remote(reference) or (_HOST.match(reference) and walk.locate(k.directory, reference) == "not found"):
        k.problems.append(Diagnostic(k.path, f"remote base, not rendered: `{name}` names {shown(reference)!r}, "
                                     "which kustomize would fetch over the network (the audit never does)", line,
                                     "not-rendered", "warning"))
        return
    located = walk.locate(k.directory, reference)
    if isinstance(located, str):
        k.problems.append(Diagnostic(k.path, f"`{name}` names {shown(reference)!r}: {located}; overlay not "
                                     "rendered", line, "not-rendered", "warning"))
        return
    lexical, real = located
    if os.path.isdir(walk.top / real):
        if not directory_ok or walk.kustomization_file(lexical) is None:
            k.problems.append(Diagnostic(k.path, f"`{name}` names {shown(reference)!r}, a directory without a "
                                         "kustomization file; overlay not rendered", line, "not-rendered", "warning"))
            return
        k.children.append((lexical, line))
        if name == "components":
            k.components.add(lexical)
        return
    if name == "components":
        k.problems.append(Diagnostic(k.path, f"`components` names {shown(reference)!r}, a file, not a component "
                                     "directory; overlay not rendered", line, "not-rendered", "warning"))
        return
    k.files[lexical] = real
    if manifest:
        k.manifests.add(real)


# -- which overlays ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The overlays to render, the files kustomizations consume (read through an overlay, not on their own),
    and what the walk found wrong."""

    walk: Walk
    overlays: list[Overlay] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan(root: Path, kustomization_files: Iterable[str]) -> Plan:
    """Leaf overlays (no other kustomization references them) of the kustomization files discovery found, and
    each base that no renderable overlay reaches (its overlays are all refused), rendered on its own."""
    walk = Walk(root)
    result = Plan(walk)
    directories = sorted({posixpath.dirname(path) or "." for path in kustomization_files})
    if len(directories) > MAX_KUSTOMIZATIONS:
        result.diagnostics.append(Diagnostic(directories[MAX_KUSTOMIZATIONS], f"more than {MAX_KUSTOMIZATIONS} "
                                             "kustomizations: the rest, from this one on, not rendered", None,
                                             "limit", "warning"))
        directories = directories[:MAX_KUSTOMIZATIONS]
    found = {d: k for d in directories if (k := walk.load(d)) is not None}
    referenced = {child for k in found.values() for child, _ in k.children}
    candidates = [d for d in directories if d in found and d not in referenced and found[d].kind != "Component"]
    overlays = [_overlay(walk, d) for d in candidates]
    covered = {d for o in overlays if not o.problems for d in o.reached}
    # A base every overlay of which is refused (a remote base of theirs) is still audited, on its own.
    rest = [d for d in directories if d in found and d not in covered and d not in candidates
            and found[d].kind != "Component"]
    alone = [_overlay(walk, d, standalone=True) for d in rest]
    inner = {d for o in alone if not o.problems for d in o.reached[1:]}
    overlays += [o for o in alone if not o.problems and o.directory not in inner]
    # One that cannot be rendered either, and that no overlay reaches (a cycle with none above it), says why.
    seen = {d for o in overlays for d in o.reached}
    unseen = [o for o in alone if o.problems and o.directory not in seen]
    below = {d for o in unseen for d in o.reached[1:] if d != o.directory}
    overlays += [o for o in unseen if o.directory not in below] or unseen[:1]
    result.overlays = sorted(overlays, key=lambda o: o.directory)
    for k in walk.loaded.values():
        if k is not None:
            result.consumed |= k.manifests
    return result


def _overlay(walk: Walk, directory: str, standalone: bool = False) -> Overlay:
    """Everything `directory` reaches, depth first, with the problems met (a cycle, the bounds)."""
    reached: list[str] = []
    files: dict[str, str] = {}
    problems: list[Diagnostic] = []
    stack: list[str] = []

    def visit(current: str, line: int | None, via: str | None) -> None:
        k = walk.load(current)
        if k is None:
            return
        if current in stack:
            cycle = " → ".join([*stack[stack.index(current):], current])
            problems.append(Diagnostic(via or k.path, f"kustomization cycle ({cycle}); overlay not rendered", line,
                                       "not-rendered", "warning"))
            return
        if len(stack) >= MAX_DEPTH:
            problems.append(Diagnostic(via or k.path, f"kustomizations nested more than {MAX_DEPTH} deep; overlay "
                                       "not rendered", line, "limit", "warning"))
            return
        if current in reached:
            return  # a diamond: one base reached twice is walked once
        reached.append(current)
        files.update(k.files)
        problems.extend(k.problems)
        stack.append(current)
        for child, child_line in k.children:
            visit(child, child_line, k.path)
        stack.pop()

    visit(directory, None, None)
    root = walk.load(directory)
    path = root.path if root is not None else directory
    if len(files) > MAX_OVERLAY_FILES:
        problems.append(Diagnostic(path, f"overlay reaches more than {MAX_OVERLAY_FILES:,} files; not rendered",
                                   None, "limit", "warning"))
    else:
        total = 0
        for real in set(files.values()):
            try:
                total += os.stat(walk.top / real).st_size
            except OSError:
                continue
        if total > MAX_OVERLAY_BYTES:
            problems.append(Diagnostic(path, f"overlay reaches more than {MAX_OVERLAY_BYTES:,} bytes; not rendered",
                                       None, "limit", "warning"))
    return Overlay(directory, path, tuple(reached), files, tuple(dict.fromkeys(problems)), standalone)
