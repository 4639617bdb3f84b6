"""Kustomize overlays → Kubernetes facts: each overlay audited as the deployment it renders to, `kustomize:<dir>`,
every rendered field pointing back at the file and line that set it (the base document, or the patch or
kustomization field that changed it).

Which overlays: the leaves of the kustomization graph (render/kustomize_walk.py: no other kustomization
references them), and a base none of whose overlays can be rendered. An overlay that reaches a remote base, a
path outside the repository, a missing file or a cycle is not rendered, and says why where the problem is.

How: with `kustomize build` or `kubectl kustomize` when one is found (`--kustomize PATH`, else `kustomize` or
`kubectl` on PATH, else the `kubectl` the dev extra installs next to this Python), in the sandbox Helm uses
(render/sandbox.py: clean environment, temporary homes, no stdin, time and memory limits), on a copy of just the
files the walk reached, symlinks resolved inside the repository and copied as plain files, with
`--load-restrictor LoadRestrictionsRootOnly`, without plugins, exec functions or `--enable-helm` (`helmCharts`
are cut from the copy, and said so). Without a binary, the built-in subset (render/kustomize_builtin.py)
renders the overlay, and the coverage line says so.

Line mapping: the rendered objects are read by parsers/kubernetes.py as if they were the base document, then
each line is moved to where the built-in build recorded that path was set (for a binary's output too: the
objects are matched by kind, namespace and name, and kustomize's origin annotation names the file of the rest).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.model import Diagnostic, Facts, Location, Setting
from auditor.parsers import kubernetes
from auditor.parsers.yaml_source import MAX_VALUES, YList, YMap, load_documents
from auditor.render import kustomize_builtin as builtin
from auditor.render.helm import MAX_RENDERED_DOCUMENTS, RenderCache, scope_facts
from auditor.render.kustomize_walk import Overlay, Plan, Walk
from auditor.render.sandbox import Limits, run
from auditor.render.versions import remembered_version

RENDER_WORKERS = 4  # overlays rendered at once (each a child process)
MAX_OVERLAYS = 200  # rendered per run; more are reported, not rendered
BUILTIN = "the built-in kustomize subset"
_ORIGIN = "config.kubernetes.io/origin"


@dataclass(frozen=True)
class KustomizeOptions:
    """The binary that renders overlays (None: none found, the built-in subset renders them) and the sandbox's
    limits."""

    binary: str | None = None
    limits: Limits = field(default_factory=Limits)


@dataclass
class Rendered:
    facts: list[Facts] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # deployment → seconds its render took
    rendered_by: dict[str, str] = field(default_factory=dict)  # deployment → what rendered it


def find_kustomize(explicit: str | None = None) -> str | None:
    """The binary to use: the one named, else `kustomize` or `kubectl` on PATH, else the `kubectl` the dev extra
    installs next to this Python."""
    if explicit:
        return explicit
    for name in ("kustomize", "kubectl"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (Path(sys.executable).parent / "kubectl", Path(os.path.realpath(sys.executable)).parent /
                      "kubectl"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _is_kubectl(binary: str) -> bool:
    return "kubectl" in posixpath.basename(binary)


def kustomize_version(binary: str) -> str:
    """`v5.5.0` (kustomize's own, or the one built into kubectl), or "" when the binary does not answer."""
    if _is_kubectl(binary):
        outcome = run(binary, ["version", "--client", "--output", "json"], Limits(timeout=20))
        try:
            answer = json.loads(outcome.stdout) if outcome.ok else {}
        except ValueError:
            return ""
        version = answer.get("kustomizeVersion") if isinstance(answer, dict) else None
        return version[:40] if isinstance(version, str) else ""
    outcome = run(binary, ["version"], Limits(timeout=20))
    text = outcome.stdout.strip().splitlines()[0] if outcome.ok and outcome.stdout.strip() else ""
    return text.removeprefix("{Version:kustomize/").split()[0][:40] if text else ""


# -- rendering -------------------------------------------------------------------------------------------------


def _cache_key(root: Path, overlay: Overlay, version: str) -> str | None:
    """What an overlay's rendering depends on: the renderer, and the path and content of every file it reaches
    (None when one cannot be read: then it is rendered, not looked up)."""
    digest = hashlib.sha256(f"kustomize\0{version}\0{overlay.path}".encode())
    for referenced, resolved in sorted(overlay.files.items()):
        try:
            data = (root / resolved).read_bytes()
        except OSError:
            return None
        digest.update(f"\0{referenced}\0{resolved}\0".encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _from_cache(entry: list[Facts]) -> Rendered | None:
    """A cached rendering: its facts, then one envelope holding its diagnostics and what rendered it."""
    if not entry or not isinstance(entry[-1].extra.get("rendered_by"), dict):
        return None
    envelope = entry[-1]
    return Rendered(list(entry[:-1]), list(envelope.diagnostics), {},
                    {str(k): str(v) for k, v in envelope.extra["rendered_by"].items()})


def render_overlays(root: Path, plan: Plan, options: KustomizeOptions, cache: RenderCache | None = None) -> Rendered:
    """Facts of every overlay the plan holds; refused overlays are diagnostics. With a cache, an overlay whose
    files and renderer are unchanged is not rendered again (the pre-commit hook runs on every commit)."""
    result = Rendered(diagnostics=list(plan.diagnostics))
    version = remembered_version(options.binary, ("kustomize", "kubectl"), kustomize_version, cache) \
        if options.binary else ""
    if options.binary and not version:
        result.diagnostics.append(Diagnostic(plan.overlays[0].path if plan.overlays else ".", f"kustomize binary "
                                             f"{options.binary} does not answer its version command; overlays "
                                             f"rendered by {BUILTIN}", None, "not-rendered", "warning"))
    jobs: list[Overlay] = []
    for overlay in plan.overlays:
        if overlay.problems:
            result.diagnostics.extend(overlay.problems)
            for problem in overlay.problems:
                if problem.path != overlay.path:
                    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
                    result.diagnostics.append(Diagnostic(overlay.path, f"overlay not rendered: it reaches {where} "
                                                         "(see there)", None, "not-rendered", "warning"))
            continue
        jobs.append(overlay)
    if len(jobs) > MAX_OVERLAYS:
        result.diagnostics.append(Diagnostic(jobs[MAX_OVERLAYS].path, f"more than {MAX_OVERLAYS} kustomize overlays: "
                                             f"{len(jobs) - MAX_OVERLAYS} not rendered, from this one on", None,
                                             "limit", "warning"))
        jobs = jobs[:MAX_OVERLAYS]
    binary = options.binary if version else None

    def one(overlay: Overlay) -> Rendered:
        key = _cache_key(root, overlay, version if binary else BUILTIN) if cache is not None else None
        if key is not None and cache is not None:
            cached = cache.load_rendered(key)
            found = _from_cache(cached) if cached is not None else None
            if found is not None:
                return found
        part = Rendered()
        try:
            _render(root, plan.walk, overlay, binary, version, options.limits, part)
        except Exception as error:  # noqa: BLE001 - one overlay's renderer defect must not lose the others
            part.diagnostics.append(Diagnostic(overlay.path, f"internal error while rendering the overlay "
                                               f"({type(error).__name__}: {error})", None, "internal-error"))
            return part
        if key is not None and cache is not None and not any(d.code == "internal-error" for d in part.diagnostics):
            cache.store_rendered(key, [*part.facts, Facts(overlay.path, "kubernetes", diagnostics=tuple(
                part.diagnostics), extra={"rendered_by": dict(part.rendered_by)})])
        return part

    workers = max(1, min(RENDER_WORKERS, os.cpu_count() or 1, len(jobs) or 1)) if binary else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(one, jobs):  # merged in overlay order: output never depends on timing
            result.facts.extend(part.facts)
            result.diagnostics.extend(part.diagnostics)
            result.timings.update(part.timings)
            result.rendered_by.update(part.rendered_by)
    result.diagnostics = list(dict.fromkeys(result.diagnostics))
    return result


@dataclass(frozen=True)
class _Object:
    """A rendered object and where its lines come from."""

    body: dict[str, Any]
    origin: Location
    where: dict[builtin.Path_, Location]


def _render(root: Path, walk: Walk, overlay: Overlay, binary: str | None, version: str, limits: Limits,
            result: Rendered) -> None:
    deployment = overlay.deployment
    started = time.monotonic()
    built = builtin.build(walk, overlay.directory)  # provenance, and the rendering when there is no binary
    objects: list[_Object] | None = None
    # An overlay is read to the bound of one Helm rendering: one resource file of 6,000 Services and Deployments
    # kept kubectl kustomize busy until the sandbox's 30 s CPU limit (found by fuzzing). Past it the overlay is not
    # handed to the binary, and the built-in rendering of its first objects is audited.
    if len(built.objects) > MAX_RENDERED_DOCUMENTS:
        first = built.objects[MAX_RENDERED_DOCUMENTS].origin
        result.diagnostics.append(Diagnostic(overlay.path, f"the overlay renders more than {MAX_RENDERED_DOCUMENTS:,} "
                                             f"objects; from the one at {first.path}:{first.line} on they are not "
                                             f"audited, and it is rendered by {BUILTIN}", None, "too-large",
                                             "warning"))
        built.objects[MAX_RENDERED_DOCUMENTS:] = []
        binary = None
    if binary is not None:
        objects, problem = _render_binary(walk, overlay, binary, limits, built, result)
        if objects is not None:
            result.rendered_by[deployment] = f"kustomize {version}"
        else:
            result.diagnostics.append(Diagnostic(overlay.path, f"{problem}; rendered by {BUILTIN} instead",
                                                 None, "not-rendered", "warning"))
    if objects is None:
        objects = [_Object(o.body, o.origin, o.where) for o in built.objects]
        result.diagnostics.extend(built.notes)
        result.rendered_by[deployment] = BUILTIN
    result.facts.extend(facts_of(objects, deployment))
    result.timings[deployment] = time.monotonic() - started
    if overlay.standalone:
        result.diagnostics.append(Diagnostic(overlay.path, "rendered on its own: no overlay that uses this "
                                             "kustomization can be rendered", None, "not-rendered", "note"))


def _render_binary(walk: Walk, overlay: Overlay, binary: str, limits: Limits, built: builtin.Build,
                   result: Rendered) -> tuple[list[_Object] | None, str]:
    with tempfile.TemporaryDirectory(prefix="auditor-kustomize-") as scratch:
        tree = Path(scratch) / "tree"
        _copy(walk, overlay, tree, result)
        command = ["kustomize"] if _is_kubectl(binary) else ["build"]
        args = [*command, str(tree / overlay.directory), "--load-restrictor", "LoadRestrictionsRootOnly"]
        outcome = run(binary, args, limits, workdir=Path(scratch))
    if not outcome.ok:
        text = _error_text(outcome.stderr)
        return None, f"kustomize {outcome.reason()}" + (f": {text}" if text else "")
    # The output of a whole overlay: the sandbox bounds its size, the file limit of values scales with it.
    documents, error = load_documents(outcome.stdout, max_values=_values_allowed(outcome.stdout))
    if error is not None:
        return None, f"kustomize's output is not valid YAML ({error.message})"
    index = {(o.kind, o.namespace, o.name): o for o in built.objects}
    objects = []
    for document in documents:
        if not isinstance(document.value, YMap):
            continue
        body = builtin.plain(document.value)
        origin = _pop_origin(body)
        kind = str(body.get("kind") or "")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        ident = (kind, str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
        match = index.get(ident)
        if match is not None:  # in the base's key order (kustomize sorts keys), so lines map as the subset's do
            objects.append(_Object(_ordered_like(body, match.body), match.origin, match.where))
        else:
            objects.append(_unmatched(walk, overlay, body, origin))
    return objects, ""


def _values_allowed(output: str) -> int:
    """An overlay's output may hold as many YAML values per 2 MB as one file may."""
    return MAX_VALUES * max(1, -(-len(output) // (2 * 1024 * 1024)))


_KLOG_HEADER = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] (?:\"command failed\" err=<)?",
                          re.MULTILINE)
_SCRATCH = re.compile(r"/\S*?auditor-(?:kustomize|sandbox)-[^/\s]*/(?:tree/)?")


def _error_text(stderr: str) -> str:
    """kustomize's error, the same on every run: without kubectl's log header (time, process id), deprecation
    warnings, or the temporary directories' names."""
    lines = [line for line in stderr.splitlines() if not line.startswith("# Warning:")]
    text = _SCRATCH.sub("", _KLOG_HEADER.sub("", "\n".join(lines)))
    text = " ".join(text.split()).removesuffix(">").strip()
    return text[:600]


def _ordered_like(value: Any, model: Any) -> Any:
    """`value` with each mapping's keys in the order `model` (the same object as the built-in subset made it) has
    them, the keys it lacks after; list items paired by name, else by position."""
    if isinstance(value, dict) and isinstance(model, dict):
        keys = [key for key in model if key in value] + [key for key in value if key not in model]
        return {key: _ordered_like(value[key], model.get(key)) for key in keys}
    if isinstance(value, list) and isinstance(model, list):
        by_key = {builtin.item_key(item, index): item for index, item in enumerate(model)}
        return [_ordered_like(item, by_key.get(builtin.item_key(item, index))) for index, item in enumerate(value)]
    return value


def _pop_origin(body: dict[str, Any]) -> dict[str, Any]:
    """Take kustomize's origin annotation (which the audit asked for) off the object; its content."""
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or _ORIGIN not in annotations:
        return {}
    text = annotations.pop(_ORIGIN)
    if not annotations:
        del metadata["annotations"]  # type: ignore[union-attr]
    try:
        value = yaml.safe_load(text) if isinstance(text, str) and len(text) < 10_000 else None
    except yaml.YAMLError:
        value = None
    return value if isinstance(value, dict) else {}


def _unmatched(walk: Walk, overlay: Overlay, body: dict[str, Any], origin: dict[str, Any]) -> _Object:
    """An object the built-in subset did not make (a generator's, a transformer's): located at the file kustomize's
    origin annotation names, at the document of the same kind there, else at the kustomization that made it."""
    named = origin.get("path") if isinstance(origin.get("path"), str) else origin.get("configuredIn")
    if isinstance(named, str):
        real = overlay.files.get(posixpath.normpath(posixpath.join(overlay.directory, named)))
        if real is not None:
            text, _ = walk.read(real)
            documents, _ = load_documents(text or "")
            by = origin.get("configuredBy")
            field = _GENERATORS.get(str(by.get("kind"))) if isinstance(by, dict) else None
            if field is not None and documents and isinstance(documents[0].value, YMap):
                return _Object(body, _generator_line(documents[0].value, field, body, real), {})
            for document in documents:
                value = document.value
                if isinstance(value, YMap) and value.get("kind") == body.get("kind"):
                    where: dict[builtin.Path_, Location] = {}
                    builtin.located(value, (), real, 0, where)
                    return _Object(body, Location(real, value.line, value.end_line), where)
            return _Object(body, Location(real, 1), {})
    return _Object(body, Location(overlay.path, 1), {})


_GENERATORS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}


def _generator_line(data: YMap, field: str, body: dict[str, Any], real: str) -> Location:
    """The entry of a kustomization's generator that made `body` (its name without kustomize's hash suffix)."""
    entries = data.get(field)
    metadata = body.get("metadata")
    name = str(metadata.get("name") or "") if isinstance(metadata, dict) else ""
    if isinstance(entries, YList):
        for index, entry in enumerate(entries):
            stated = entry.get("name") if isinstance(entry, YMap) else None
            if isinstance(stated, str) and (name == stated or name.rsplit("-", 1)[0].endswith(stated)):
                return Location(real, entries.line_of(index))
    return Location(real, data.line_of(field))


def _copy(walk: Walk, overlay: Overlay, tree: Path, result: Rendered) -> None:
    """The files the overlay reaches, at the paths its kustomizations name them by, as plain files; the overlay's
    own kustomization asks for origin annotations, and `helmCharts` are cut (kustomize would need --enable-helm,
    which is never given)."""
    kustomizations = {walk.load(d).path: d for d in overlay.reached if walk.load(d) is not None}  # type: ignore[union-attr]
    for lexical, real in sorted(overlay.files.items()):
        text, _ = walk.read(real)
        if text is None:
            continue
        target = tree / lexical
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory = posixpath.dirname(lexical) or "."
        if real in kustomizations and directory in overlay.reached:
            text = _prepared(text, leaf=directory == overlay.directory, path=real, result=result)
        try:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)


def _prepared(text: str, leaf: bool, path: str, result: Rendered) -> str:
    documents, _ = load_documents(text)
    value = documents[0].value if documents else None
    if not isinstance(value, YMap):
        return text
    data = builtin.plain(value)
    changed = False
    for name in ("helmCharts", "helmGlobals"):
        if name in data:
            del data[name]
            changed = True
            if name == "helmCharts":
                result.diagnostics.append(Diagnostic(path, "`helmCharts` not rendered: kustomize runs without "
                                                     "--enable-helm (a chart vendored in the repository is audited "
                                                     "as a chart)", value.line_of(name), "not-rendered", "note"))
    if leaf:
        meta = data.get("buildMetadata")
        data["buildMetadata"] = [*(meta if isinstance(meta, list) else []), "originAnnotations"]
        changed = True
    return yaml.safe_dump(data, sort_keys=False) if changed else text


# -- rendered objects → facts, at their source lines ----------------------------------------------------------


def facts_of(objects: list[_Object], deployment: str) -> list[Facts]:
    """The Kubernetes facts of rendered objects, each line moved to the file and line that set it, one Facts per
    source file, in the overlay's scope."""
    by_path: dict[str, list[Facts]] = {}
    for obj in objects:
        text = yaml.safe_dump(obj.body, sort_keys=False, allow_unicode=True, width=1_000_000)
        documents, _ = load_documents(text)
        if not documents:
            continue
        full = _line_sources(documents[0].value, obj.where, obj.origin, text.count("\n") + 1)
        facts = kubernetes.parse(obj.origin.path, text)
        by_path.setdefault(obj.origin.path, []).append(_relocate(facts, full, obj.origin))
    merged = [Facts(path, "kubernetes", tuple(n for f in parts for n in f.nodes), tuple(e for f in parts for e in
                                                                                        f.edges),
                    tuple(d for f in parts for d in f.diagnostics)) for path, parts in sorted(by_path.items())]
    return scope_facts(merged, deployment)


def _line_sources(value: Any, where: dict[builtin.Path_, Location], origin: Location,
                  count: int) -> list[Location]:
    """For each rendered line (0-based), the source location of the deepest path that starts on it (or on the
    nearest line above)."""
    starts: dict[int, builtin.Path_] = {}

    def walk(node: Any, path: builtin.Path_) -> None:
        if isinstance(node, YMap):
            for key, item in node.items():
                sub = (*path, str(key))
                starts[node.line_of(key)] = sub
                walk(item, sub)
        elif isinstance(node, YList):
            for index, item in enumerate(node):
                sub = (*path, builtin.item_key(item, index))
                starts.setdefault(node.line_of(index), sub)
                walk(item, sub)

    walk(value, ())
    lines: list[Location] = []
    current: builtin.Path_ = ()
    for number in range(1, count + 1):
        current = starts.get(number, current)
        lines.append(_source(where, current, origin))
    return lines


def _source(where: dict[builtin.Path_, Location], path: builtin.Path_, origin: Location) -> Location:
    for end in range(len(path), 0, -1):
        found = where.get(path[:end])
        if found is not None:
            return found
    return Location(origin.path, origin.line)


def _relocate(facts: Facts, full: list[Location], origin: Location) -> Facts:
    """Facts of one rendered object with every line at its source: evidence, settings and edges where the value was
    set (a patch line), the object and its line numbers (a container's) in its base document."""

    def at(number: int) -> Location:
        return full[number - 1] if 0 < number <= len(full) else Location(origin.path, origin.line)

    def own(number: int) -> int:
        """The line in the base document: the value's, else that of the nearest line above from there."""
        for line in range(min(number, len(full)), 0, -1):
            if full[line - 1].path == origin.path:
                return full[line - 1].line
        return origin.line

    def moved(location: Location) -> Location:
        return at(location.line) if location.path == facts.path else location

    nodes = []
    for node in facts.nodes:
        evidence = {attr: moved(where) for attr, where in node.evidence.items()}
        nodes.append(dataclasses.replace(
            node, location=Location(origin.path, origin.line, max(origin.line, origin.end_line)), evidence=evidence,
            attrs=_relines(node.attrs, own, moved),
            settings=tuple(dataclasses.replace(s, location=moved(s.location)) for s in node.settings)))
    edges = tuple(dataclasses.replace(e, location=moved(e.location), attrs=_relines(e.attrs, own, moved))
                  for e in facts.edges)
    diagnostics = tuple(dataclasses.replace(d, line=own(d.line) if d.line else None) for d in facts.diagnostics)
    return dataclasses.replace(facts, nodes=tuple(nodes), edges=edges, diagnostics=diagnostics)


def _env_rows(value: Any, own: Callable[[int], int]) -> Any:
    """A container's environment rows (`[key, value, line]`, parsers/settings.py env_values) with their lines moved."""
    if not isinstance(value, list):
        return value
    return [[*row[:2], own(row[2])] if isinstance(row, list) and len(row) == 3 and isinstance(row[2], int) and
            not isinstance(row[2], bool) else row for row in value]


def _relines(value: Any, own: Callable[[int], int], moved: Callable[[Location], Location]) -> Any:
    """Attributes with every `line`/`end_line` number moved to the base document, and every Location inside them
    to its source."""
    if isinstance(value, dict):
        return {key: (own(item) if key in ("line", "end_line") and isinstance(item, int) and
                      not isinstance(item, bool) else _env_rows(item, own) if key == "env" else
                      _relines(item, own, moved)) for key, item in value.items()}
    if isinstance(value, list):
        return [_relines(item, own, moved) for item in value]
    if isinstance(value, tuple):
        return tuple(_relines(item, own, moved) for item in value)
    if isinstance(value, Location):
        return moved(value)
    if isinstance(value, Setting):
        return dataclasses.replace(value, location=moved(value.location))
    return value

