"""One self-contained HTML page: the score, the graph of one deployment at a time, and filterable findings.

Nothing is fetched when the page is opened (no CDN, no web fonts): the styles, the page's script
(assets/report.js) and the graph library (Cytoscape.js with its dagre layered layout, vendored in assets/ with
their licences; scripts/vendor-js re-fetches and checks them) are inline. What the graph shows is decided here
(report/graph_view.py); the page only lays it out and draws it.

Repository text is hostile. The static parts go through `esc`; everything the script shows comes from one
JSON document in a `<script type="application/json">` (every string through `printable`, and `<`, `>`, `&`
written as `\\u003c`…, so no `</script>` or `<!--` can end it) and reaches the page only as `textContent`.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.audit import AuditResult
from auditor.engine.score import grade_of
from auditor.model import SEVERITIES, Finding, Location, Node
from auditor.report.graph_view import View, ViewEdge, default_view, views
from auditor.report.sarif import DOCS_URL, docs_url
from auditor.report.text import printable

ASSETS = Path(__file__).parent / "assets"
# In the order the page needs them: the library, its layout extension, then the page's own script.
SCRIPTS = ("cytoscape.min.js", "cytoscape-dagre.min.js", "report.js")
GRADE_COLOUR = {"A": "#15803d", "B": "#65a30d", "C": "#ca8a04", "D": "#ea580c", "F": "#dc2626", "N/A": "#6b7280"}


def esc(value: object) -> str:
    """Repository text as inert HTML: markup escaped, control and direction characters shown as escapes."""
    return html.escape(printable(value), quote=True)


@cache
def asset(name: str) -> str:
    """A file of assets/, checked to be safe inside a `<script>` or `<style>` element."""
    text = (ASSETS / name).read_text(encoding="utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError(f"assets/{name} holds a sequence that would end its element early")
    return text


def embedded_json(data: Any) -> str:
    """`data` as the text of a `<script type="application/json">`: `<`, `>` and `&` escaped so that nothing in
    it can close the element or open a comment (json.loads and JSON.parse read the escapes back)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _where(location: Location) -> list[Any]:
    return [printable(location.path), location.line]


def _node_record(node: Node) -> dict[str, Any]:
    return {
        "name": printable(node.name),
        "kind": printable(node.kind),
        "type": printable(node.type),
        "role": printable(node.attrs.get("role") or node.kind),
        "at": _where(node.location),
    }


class _Numbering:
    """Node ids (long, repeated in every edge) as small numbers, and each distinct fix text once."""

    def __init__(self, ids: list[str]) -> None:
        self.node = {ident: index for index, ident in enumerate(ids)}
        self.fixes: dict[str, int] = {}

    def fix(self, text: str) -> int:
        return self.fixes.setdefault(text, len(self.fixes))


def _edge_record(edge: ViewEdge, number: _Numbering) -> list[Any]:
    return [number.node[edge.source], number.node[edge.target], [printable(k) for k in edge.kinds],
            [_where(w) for w in edge.locations], edge.in_cycle]


def _view_record(view: View, number: _Numbering) -> dict[str, Any]:
    n = number.node
    return {
        "name": printable(view.deployment) or "(whole repository)",
        "drawn": [n[i] for i in view.drawn],
        "owner": {str(n[ident]): n[host] for ident, host in view.owner.items() if ident != host},
        "unowned": [n[i] for i in view.unowned],
        "edges": [_edge_record(e, number) for e in view.edges],
        "every_node": [n[i] for i in view.every_node],
        "every_edge": [_edge_record(e, number) for e in view.every_edge],
    }


def _finding_record(finding: Finding, number: _Numbering) -> dict[str, Any]:
    return {
        "rule": printable(finding.rule_id),
        "severity": printable(finding.severity),
        "category": printable(finding.category),
        "message": printable(finding.message),
        "at": _where(finding.location),
        "related": [[*_where(r.location), printable(r.message)] for r in finding.related],
        "subject": number.node.get(finding.subject, -1),
        "deployment": printable(finding.deployment),
        "fix": number.fix(finding.fix),
    }


def page_data(result: AuditResult) -> dict[str, Any]:
    """Everything the page's script reads. Nodes are numbered (their ids are never shown); every shown string is
    printable. A finding whose subject is not a node of the graph has subject -1."""
    graph = result.scan.graph
    findings = sorted(
        result.findings,
        key=lambda f: (SEVERITIES.index(f.severity), f.rule_id, f.location.path, f.location.line, f.subject),
    )
    found = views(graph)
    hits = Counter(f.subject for f in findings)
    ids = sorted({ident for view in found for ident in view.every_node})
    number = _Numbering(ids)
    rules = {f.rule_id for f in findings}
    records = [_finding_record(f, number) for f in findings]
    return {
        "severities": list(SEVERITIES),
        "views": [_view_record(v, number) for v in found],
        "default_view": default_view(found, hits),
        "nodes": [_node_record(graph.nodes[ident]["node"]) for ident in ids],
        "findings": records,
        "fixes": [[printable(line) for line in text.split("\n")] for text in number.fixes],
        "rules": {
            printable(r.id): {"title": printable(r.title), "slug": printable(r.slug), "url": printable(docs_url(r))}
            for r in result.rules if r.id in rules
        },
        "docs": DOCS_URL,
    }


def _categories(result: AuditResult) -> str:
    return "".join(
        f"<tr><td>{esc(c.category)}</td><td>{'N/A' if c.score is None else c.score}</td>"
        f'<td><span class="grade small" style="background:{GRADE_COLOUR[grade_of(c.score)]}">'
        f"{grade_of(c.score)}</span></td><td>{c.findings}</td>"
        f'<td class="muted">{esc(c.explanation())}</td></tr>'
        for c in result.score.categories
    )


def _suppressed(result: AuditResult) -> str:
    return "".join(
        f"<li><code>{esc(f.location.path)}:{f.location.line}</code> {esc(f.rule_id)} {esc(f.message)} "
        f'<span class="muted">— {esc(s.mechanism)}: {esc(s.reason)}</span></li>'
        for f, s in sorted(result.suppressed, key=lambda p: (p[0].location.path, p[0].location.line, p[0].rule_id))
    )


def _diagnostics(result: AuditResult) -> str:
    return "".join(
        f"<li><b>{esc(d.level)}</b> <code>{esc(d.path)}{':' + str(d.line) if d.line else ''}</code> "
        f'{esc(d.message)} <span class="muted">({esc(d.code)})</span></li>'
        for d in sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.message))
    )


def render(result: AuditResult) -> str:
    score = result.score
    overall = "N/A" if score.overall is None else str(score.overall)
    counts = Counter(f.severity for f in result.findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) or "no findings"
    graph = result.scan.graph
    suppressed, diagnostics = _suppressed(result), _diagnostics(result)
    scripts = "\n".join(f"<script>{asset(name)}</script>" for name in SCRIPTS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scale-auditor report: {esc(overall)} ({esc(score.grade)})</title>
<style>{asset("report.css")}</style>
<script>{asset("errors.js")}</script>
</head>
<body>
<header>
<div><h1>scale-auditor report</h1><div class="muted">{esc(result.scan.root.name or str(result.scan.root))} ·
scale-auditor {esc(__version__)}</div></div>
<div class="big">{esc(overall)}<span class="muted">/100</span></div>
<div class="grade" style="background:{GRADE_COLOUR.get(score.grade, "#6b7280")}">{esc(score.grade)}</div>
<div>{len(result.findings)} finding(s): {esc(summary)}<br>
{len(result.suppressed)} suppressed · {len(result.diagnostics)} diagnostic(s) ·
{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges</div>
</header>
<main>
<noscript><p class="warning">The graph and the findings list need JavaScript; the JSON report
(<code>-f json</code>) holds the same findings.</p></noscript>
<section id="graph-section"><h2>Architecture</h2>
<div class="toolbar">
<label>Deployment <select id="g-view" aria-label="deployment"></select></label>
<input id="g-search" type="search" placeholder="find a node…" aria-label="find a node">
<label><input id="g-infra" type="checkbox"> show infrastructure</label>
<button id="g-fit" type="button">fit</button>
<span id="g-legend" class="legend"></span>
</div>
<p id="g-error" class="warning" hidden></p>
<div class="graph-row"><div id="cy" aria-label="dependency graph"></div><aside id="panel"></aside></div>
</section>
<section><h2>Findings</h2>
<div class="filters">
<select id="f-sev" aria-label="severity"><option value="">all severities</option></select>
<select id="f-cat" aria-label="category"><option value="">all categories</option></select>
<select id="f-rule" aria-label="rule"><option value="">all rules</option></select>
<input id="f-q" type="search" placeholder="text, path, resource…" aria-label="text filter">
<label><input id="f-scope" type="checkbox" checked> only the deployment shown</label>
<span id="f-count" class="muted"></span></div>
<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th><th>message</th></tr></thead>
<tbody></tbody></table></section>
<section><h2>Score by category</h2><p class="muted">{esc(score.explanation())}</p>
<table><thead><tr><th>category</th><th>score</th><th>grade</th><th>findings</th><th>how it was reached</th></tr>
</thead><tbody>{_categories(result)}</tbody></table></section>
{f"<section><h2>Suppressed ({len(result.suppressed)})</h2><ul>{suppressed}</ul></section>" if suppressed else ""}
{f"<section><h2>Diagnostics ({len(result.diagnostics)})</h2><ul>{diagnostics}</ul></section>" if diagnostics else ""}
<p class="muted">Graph drawn with Cytoscape.js and dagre (MIT licence), inlined in this file.</p>
</main>
<pre id="selfcheck" hidden></pre>
<script type="application/json" id="report-data">{embedded_json(page_data(result))}</script>
{scripts}
</body>
</html>
"""
