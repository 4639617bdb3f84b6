"""discover → parse → graph: turn a repository into its dependency graph and the problems met on the way.

Each file is parsed on its own (a pure function of path and text); only Terraform then needs a
per-module step, because a module's variables, locals and tfvars span several files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from auditor.cache import ParseCache
from auditor.code import parse as code
from auditor.discover import DEFAULT_MAX_BYTES, Inventory, Skipped, SourceFile, discover
from auditor.graph.build import build_graph
from auditor.model import Diagnostic, Facts
from auditor.parsers import appconfig, buildfiles, compose, kubernetes, telemetry, terraform
from auditor.render import helm as helm_render

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
    render_seconds: dict[str, float] = field(default_factory=dict)  # rendered deployment → seconds helm ran


# Kinds the renderer reads (auditor/render/helm.py), never a per-file parser.
_RENDERED_KINDS = frozenset({"helm_template", "helm_chart"})


def parse_file(source: SourceFile) -> Facts:
    """One file's facts. A parser bug becomes a diagnostic on that file, never a crash of the run."""
    if source.kind in _RENDERED_KINDS:
        return Facts(source.path, source.kind)  # read by the renderer, per chart (render/helm.py)
    parser = _PARSERS[source.kind]
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


def scan(
    root: Path,
    excludes: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
    cache: ParseCache | None = None,
    helm: helm_render.HelmOptions | None = None,
) -> Scan:
    """Discover, parse and link every auditable file under `root`. Helm charts are rendered with `helm` (the
    one in `helm`, else one found on PATH); without one their values files are read."""
    inventory = discover(root, excludes=excludes, max_bytes=max_bytes)
    facts: list[Facts] = []
    total = len(inventory.files)
    for done, source in enumerate(inventory.files, start=1):
        if source.kind not in _RENDERED_KINDS:
            facts.append(cache.parse(source, parse_file) if cache is not None else parse_file(source))
        if progress is not None:
            progress(done, total)
    facts = _combine_terraform(facts)
    rendered = _render(root, inventory, helm, cache)
    facts.extend(rendered.facts)
    diagnostics = sorted(
        [*inventory.diagnostics, *rendered.diagnostics, *(d for f in facts for d in f.diagnostics)],
        key=lambda d: (d.path, d.line or 0, d.message),
    )
    return Scan(root, inventory, facts, build_graph(facts), diagnostics, rendered.timings)


def _render(root: Path, inventory: Inventory, options: helm_render.HelmOptions | None,
            cache: ParseCache | None = None) -> helm_render.Rendered:
    """The charts' facts; a chart read from values only has its templates listed as skipped, saying why."""
    if not inventory.charts:
        return helm_render.Rendered()
    if options is None:
        options = helm_render.HelmOptions(binary=helm_render.find_helm())
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


def _combine_terraform(facts: list[Facts]) -> list[Facts]:
    tf = [f for f in facts if f.kind == "terraform"]
    if not tf:
        return facts
    try:
        combined = terraform.combine(tf)
    except Exception as error:  # noqa: BLE001 - keep the per-file facts rather than lose the run
        combined = [
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
    return [f for f in facts if f.kind != "terraform"] + list(combined)
