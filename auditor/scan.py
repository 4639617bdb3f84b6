"""discover → parse → graph: turn a repository into its dependency graph and the problems met on the way.

Each file is parsed on its own (a pure function of path and text); only Terraform then needs a
per-module step, because a module's variables, locals and tfvars span several files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import multiprocessing.context
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec

import networkx as nx

from auditor.cache import ParseCache
from auditor.code import parse as code
from auditor.code.facts import type_mentions
from auditor.code.languages import language_of
from auditor.discover import DEFAULT_MAX_BYTES, Inventory, Memo, Skipped, SourceFile, discover
from auditor.graph.build import build_graph
from auditor.memory import release_freed_memory
from auditor.model import SUPPRESSION_MARK, Diagnostic, Facts
from auditor.parsers import appconfig, buildfiles, compose, kubernetes, telemetry, terraform
from auditor.render import helm as helm_render
from auditor.render import kustomize as kustomize_render
from auditor.render import kustomize_walk

P = ParamSpec("P")
_PARSERS: dict[str, Callable[[str, str], Facts]] = {
    "terraform": terraform.parse,
    "kubernetes": kubernetes.parse,
    "compose": compose.parse,
    "appconfig": appconfig.parse,
    "buildfile": buildfiles.parse,
    "telemetry": telemetry.parse,
    "code": code.parse,
}


@dataclass
class Scan:
    """Everything the later stages need: the graph, the per-file facts, and what could not be read."""

    root: Path
    inventory: Inventory
    facts: list[Facts]
    graph: nx.MultiDiGraph
    diagnostics: list[Diagnostic] = field(default_factory=list)
    render_seconds: dict[str, float] = field(default_factory=dict)  # rendered deployment → seconds its render took
    rendered_by: dict[str, str] = field(default_factory=dict)  # chart profile or overlay → what rendered it


@dataclass
class Gathered:
    """Every file's facts, before the graph: what `link` builds it from."""

    root: Path
    inventory: Inventory
    facts: list[Facts]
    diagnostics: list[Diagnostic]
    render_seconds: dict[str, float]
    rendered_by: dict[str, str]


# Kinds the renderer reads (auditor/render/helm.py), never a per-file parser.
_RENDERED_KINDS = frozenset({"helm_template", "helm_chart"})


def parse_file(source: SourceFile) -> Facts:
    """One file's facts. A parser bug becomes a diagnostic on that file, never a crash of the run."""
    if source.kind in _RENDERED_KINDS:
        return Facts(source.path, source.kind)  # read by the renderer, per chart (render/helm.py)
    parser = _PARSERS[source.kind]
    if source.text is None:  # scan() never parses a file it left unread; this is for any other caller
        raise ValueError(f"{source.path} was left unread as unchanged: its facts are in the cache, not here")
    try:
        return parser(source.path, source.text)
    except RecursionError:
        return Facts(
            source.path,
            source.kind,
            diagnostics=(Diagnostic(source.path, "nesting too deep to parse", None, "too-deep"),),
        )
    except Exception as error:  # noqa: BLE001 - a parser defect must not take the whole audit down
        return Facts(
            source.path,
            source.kind,
            diagnostics=(
                Diagnostic(
                    source.path,
                    f"internal error while parsing ({type(error).__name__}: {error})",
                    None,
                    "internal-error",
                ),
            ),
        )


def link(gathered: Gathered) -> Scan:
    """The graph of gathered facts, and every problem met on the way, in file order."""
    graph = build_graph(gathered.facts)
    release_freed_memory()  # what building the graph made on the way
    diagnostics = sorted(dict.fromkeys([*gathered.diagnostics, *graph.graph["diagnostics"]]),
                         key=lambda d: (d.path, d.line or 0, d.message))
    return Scan(gathered.root, gathered.inventory, gathered.facts, graph, diagnostics, gathered.render_seconds,
                gathered.rendered_by)


def gather(
    root: Path,
    excludes: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
    cache: ParseCache | None = None,
    jobs: int | None = None,
    helm: helm_render.HelmOptions | None = None,
    kustomize: kustomize_render.KustomizeOptions | None = None,
    versions: Mapping[str, bytes | None] | None = None,
) -> Gathered:
    """Discover and parse every auditable file under `root` (with `versions` read instead of the work tree's
    files at those paths: discover.py), before the graph. Helm charts are rendered with `helm` (the one in `helm`,
    else one found on PATH, else helm-python-sdk); without one their values files are read. Kustomize overlays are
    rendered with kustomize or kubectl (likewise), else by the built-in subset; the manifests and patches they
    read are audited through them, not on their own."""
    memo_key = _memo_key(root, max_bytes)
    memo = cache.load_memo(memo_key) if cache is not None else None
    while True:
        inventory = discover(root, excludes=excludes, max_bytes=max_bytes, versions=versions, memo=memo)
        plan, planned = _plan(root, inventory)
        sources = [source for source in inventory.files if source.kind not in _RENDERED_KINDS and  # charts: rendered
                   not (source.kind == "kubernetes" and source.path in plan.consumed)]  # overlays: rendered
        terraform_key = _terraform_key([source for source in sources if source.kind == "terraform"])
        combined = cache.load_combined(terraform_key) if cache is not None and any(
            source.kind == "terraform" for source in sources) else None
        if combined is not None:  # the modules of these .tf files are known: their per-file facts are not needed
            sources = [source for source in sources if source.kind != "terraform"]
        found: list[Facts | None] = [cache.lookup(source) if cache is not None else None for source in sources]
        pending = [index for index, cached in enumerate(found) if cached is None]
        if memo is None or all(sources[index].text is not None for index in pending):
            break
        memo = None  # a file left unread as unchanged has no facts in the cache (pruned?): read every file
    if cache is not None and versions is None and inventory.memo != memo:  # the work tree's files, as read
        cache.store_memo(memo_key, inventory.memo)
    inventory.memo = Memo()  # stored or not, no later stage reads it: a record per file and folder, let go
    total = len(sources)
    done = total - len(pending)
    # Charts and overlays render (helm and kustomize in child processes) while a pool's workers parse: neither
    # reads the other's results, and what each gives is merged below in a fixed order.
    with parsing([sources[i] for i in pending], jobs) as parsed:
        rendered = _render(root, inventory, helm, cache)
        overlays = _render_overlays(root, plan, kustomize, cache) if planned else kustomize_render.Rendered()
        for index, facts_of_file in zip(pending, parsed, strict=True):
            found[index] = facts_of_file
            if cache is not None:
                cache.store(sources[index], facts_of_file)
            done += 1
            if progress is not None:
                progress(done, total)
    inventory.files[:] = [_released(source) for source in inventory.files]
    del sources  # holds the texts too
    release_freed_memory()  # the texts and the parse trees
    facts = [f for f in found if f is not None]
    facts = [*facts, *combined] if combined is not None else _combine_terraform(facts, cache, terraform_key)
    facts.extend(rendered.facts)
    facts.extend(overlays.facts)
    facts.extend(_reference_mentions(root, inventory))
    diagnostics = [*inventory.diagnostics, *rendered.diagnostics, *overlays.diagnostics,
                   *(d for f in facts for d in f.diagnostics)]
    return Gathered(root, inventory, facts, diagnostics, {**rendered.timings, **overlays.timings},
                    {**rendered.rendered_by, **overlays.rendered_by})


def _released(source: SourceFile) -> SourceFile:
    """`source` without its text once its facts are built, unless a suppression comment in it is still to be read
    (engine/suppress.py): texts are the largest thing a run holds, and no later stage reads them."""
    if source.text is None or SUPPRESSION_MARK in source.text:
        return source
    return dataclasses.replace(source, text=None)


def _linked(gathering: Callable[P, Gathered]) -> Callable[P, Scan]:
    def scan(*args: P.args, **kwargs: P.kwargs) -> Scan:
        """Discover, parse and link every auditable file under `root`: `gather`, then `link` (with `gather`'s
        arguments, which this signature keeps for the type checker)."""
        return link(gathering(*args, **kwargs))

    return scan


scan = _linked(gather)


def _plan(root: Path, inventory: Inventory) -> tuple[kustomize_walk.Plan, bool]:
    """The overlays to render and the files they consume; (an empty plan, False) without kustomizations."""
    if not inventory.kustomizations:
        return kustomize_walk.Plan(kustomize_walk.Walk(root)), False
    try:
        return kustomize_walk.plan(root, inventory.kustomizations), True
    except Exception as error:  # noqa: BLE001 - a walker defect must not take the whole audit down
        plan = kustomize_walk.Plan(kustomize_walk.Walk(root), diagnostics=[Diagnostic(
            inventory.kustomizations[0], f"internal error while reading kustomizations ({type(error).__name__}: "
            f"{error})", None, "internal-error")])
        return plan, True


def _render_overlays(root: Path, plan: kustomize_walk.Plan, options: kustomize_render.KustomizeOptions | None,
                     cache: ParseCache | None = None) -> kustomize_render.Rendered:
    if options is None:
        options = kustomize_render.KustomizeOptions(binary=kustomize_render.find_kustomize())
    try:
        return kustomize_render.render_overlays(root, plan, options, cache)
    except Exception as error:  # noqa: BLE001 - a renderer defect must not take the whole audit down
        return kustomize_render.Rendered(diagnostics=[*plan.diagnostics, Diagnostic(
            plan.overlays[0].path if plan.overlays else ".", f"internal error while rendering kustomize overlays "
            f"({type(error).__name__}: {error})", None, "internal-error")])


_MAX_REFERENCE_BYTES = 1_000_000  # per file; a view or a Spring XML file is far smaller
_MAX_REFERENCE_TOTAL = 50_000_000


def _reference_mentions(root: Path, inventory: Inventory) -> list[Facts]:
    """The type names views and wiring files mention (discover.py `references`), as facts with no node: only
    graph/code.py reads them, and only when the repository has Java or C# code to judge."""
    if not any(language_of(source.path) in code.TYPED_LANGUAGES for source in inventory.files):
        return []
    found: list[Facts] = []
    budget = _MAX_REFERENCE_TOTAL
    for rel in inventory.references:
        path = root / rel
        try:
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                data = handle.read(_MAX_REFERENCE_BYTES)
        except OSError:
            continue
        budget -= len(data)
        if budget < 0:
            break
        names = type_mentions(data)
        if names:
            found.append(Facts(rel, "code", extra={"mentions": names}))
    return found


def _render(root: Path, inventory: Inventory, options: helm_render.HelmOptions | None,
            cache: ParseCache | None = None) -> helm_render.Rendered:
    """The charts' facts; a chart read from values only has its templates listed as skipped, saying why."""
    if not inventory.charts:
        return helm_render.Rendered()
    if options is None:
        options = helm_render.helm_options()
    try:
        rendered = helm_render.render_charts(root, inventory.charts, options, cache)
    except Exception as error:  # noqa: BLE001 - a renderer defect must not take the whole audit down
        return helm_render.Rendered(diagnostics=[Diagnostic(
            inventory.charts[0], f"internal error while rendering Helm charts ({type(error).__name__}: {error})", None,
            "internal-error")])
    if rendered.from_values:
        kept = []
        for source in inventory.files:
            if source.kind == "helm_template" and helm_render.owning_chart(source.path, rendered.from_values):
                inventory.skipped.append(Skipped(source.path, "Helm template not rendered (no helm binary: values "
                                                 "read only; helm would show more)"))
            else:
                kept.append(source)
        inventory.files[:] = kept
    return rendered


# Below these, a process pool costs more than it saves (starting workers, sending texts and facts across).
_POOL_MIN_FILES = 64
_POOL_MIN_BYTES = 1_000_000


def default_jobs() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_all(sources: list[SourceFile], jobs: int | None = None) -> Iterator[Facts]:
    """Each source's facts, in the order given, parsed over `jobs` processes (default: the CPU count; one for
    a small set). Parsing is a pure function of path and text, so the result never depends on scheduling.
    A worker that dies (a crash in a native parser) costs only its file: the rest are parsed again one by one,
    each in a fresh worker, and the file that kills its worker becomes a diagnostic."""
    with parsing(sources, jobs) as parsed:
        yield from parsed


@contextmanager
def parsing(sources: list[SourceFile], jobs: int | None = None) -> Iterator[Iterator[Facts]]:
    """`parse_all`, started on entering: where a pool parses, its workers are forked and given every file before
    the body runs, so the body can render charts and overlays (child processes and threads) while they parse, and
    no process is forked while those threads run (the broken-pool fallback forks only as the results are read).
    In one process, parsing happens as the results are read."""
    workers = min(jobs or default_jobs(), len(sources))
    size = sum(len(source.text or "") for source in sources)
    if workers <= 1 or (len(sources) < _POOL_MIN_FILES and size < _POOL_MIN_BYTES):
        yield _parse_in_one_process(sources)
        return
    with _pool(sources, workers, _CONTEXT) as parsed:
        yield parsed


# Kinds read by tree-sitter, whose grammars are generated C with hand-written C scanners: a crash there would end
# the run, so where the pool is not used they are still parsed in one worker, while this process waits (never two
# processes busy at once). YAML and JSON go through libyaml and the json module.
_NATIVE_KINDS = frozenset({"terraform", "code"})
_CONTEXT = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _parse_in_one_process(sources: list[SourceFile]) -> Iterator[Facts]:
    """One parsing process at a time: this one, and one forked worker for the native kinds (where fork exists: a
    spawned worker would import the whole tool again, 0.3 s, for a repository of a few files)."""
    native = [source for source in sources if source.kind in _NATIVE_KINDS]
    if not native or _CONTEXT.get_start_method() != "fork":
        yield from map(parse_file, sources)
        return
    with _pool(native, 1, _CONTEXT) as parsed:
        isolated = iter(list(parsed))
    for source in sources:
        yield next(isolated) if source.kind in _NATIVE_KINDS else parse_file(source)


@contextmanager
def _pool(sources: list[SourceFile], workers: int,
          context: multiprocessing.context.BaseContext) -> Iterator[Iterator[Facts]]:
    """The facts of `sources`, in order, from `workers` processes that are forked and given every file on entering
    (with fork, a pool starts all its workers at the first submission); shut down, unfinished work cancelled, on
    leaving."""
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        try:
            results: Iterator[Facts] | None = pool.map(parse_file, sources, chunksize=max(
                1, min(32, len(sources) // (workers * 8))))
        except BrokenProcessPool:  # a worker died on an early file while the later ones were still being given
            results = None
        yield _collected(results, sources, context)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _collected(results: Iterator[Facts] | None, sources: list[SourceFile],
               context: multiprocessing.context.BaseContext) -> Iterator[Facts]:
    """A pool's results in order (None: it broke before it had them all); from where its workers broke, each
    file left is parsed in a fresh worker."""
    done = 0
    if results is not None:
        try:
            for facts in results:
                done += 1
                yield facts
            return
        except BrokenProcessPool:
            pass
    for source in sources[done:]:
        yield _parse_isolated(source, context)


def _parse_isolated(source: SourceFile, context: multiprocessing.context.BaseContext) -> Facts:
    try:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            return pool.submit(parse_file, source).result()
    except BrokenProcessPool:
        return Facts(source.path, source.kind, diagnostics=(Diagnostic(
            source.path, "the parser crashed on this file (its worker process died); not audited", None,
            "internal-error"),))


def _memo_key(root: Path, max_bytes: int) -> str:
    """Discovery's memo is per audited folder and size limit (the limit decides what is read)."""
    return f"{os.path.realpath(root)}\0{max_bytes}"


def _terraform_key(sources: list[SourceFile]) -> str:
    """What the combined modules depend on: every Terraform file's path and content (the parser code is in the
    cache's own key)."""
    return hashlib.sha256("\0".join(f"{s.path}\0{s.sha256}" for s in sorted(sources, key=lambda s: s.path))
                          .encode()).hexdigest()


def _combine_terraform(facts: list[Facts], cache: ParseCache | None = None, key: str = "") -> list[Facts]:
    """Per-file Terraform facts → one Facts per module directory, kept in the cache under `key` (scan() looks
    there first: the hook after a change elsewhere neither combines again nor reads the per-file facts); a run in
    which a file's parse failed is not kept, as its failure may not recur."""
    tf = [f for f in facts if f.kind == "terraform"]
    if not tf:
        return facts
    rest = [f for f in facts if f.kind != "terraform"]
    try:
        combined = terraform.combine(tf)
    except Exception as error:  # noqa: BLE001 - keep the per-file facts rather than lose the run
        return [
            *rest,
            *tf,
            Facts(
                tf[0].path,
                "terraform",
                diagnostics=(
                    Diagnostic(
                        tf[0].path,
                        f"internal error while resolving Terraform modules ({error})",
                        None,
                        "internal-error",
                    ),
                ),
            ),
        ]
    if cache is not None and not any(d.code == "internal-error" for f in tf for d in f.diagnostics):
        cache.store_combined(key, combined)
    return rest + list(combined)
