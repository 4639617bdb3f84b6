"""One self-contained HTML page: score, filterable findings, and the dependency graph as inline SVG.

Nothing is fetched when the page is opened (no CDN, no web fonts): styles and the few lines of filtering
script are inline. The graph layout is computed here, deterministically: one band of rows per node kind
(entry points at the top, data at the bottom), nodes sorted by id within a band. Every piece of text from
the audited repository goes through `html.escape`.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from auditor import __version__
from auditor.audit import AuditResult
from auditor.engine.score import grade_of
from auditor.model import SEVERITIES, Finding
from auditor.report.sarif import DOCS_URL, docs_url
from auditor.report.text import printable

# Top to bottom: traffic enters, is served, then reaches data; supporting kinds below.
KIND_ORDER = (
    "load_balancer",
    "gateway",
    "service",
    "proxy",
    "cache",
    "queue",
    "datastore",
    "storage",
    "external",
    "autoscaler",
    "policy",
    "config",
    "cluster",
    "network",
)
KIND_COLOUR = {
    "load_balancer": "#7c3aed",
    "gateway": "#9333ea",
    "service": "#2563eb",
    "proxy": "#0891b2",
    "cache": "#059669",
    "queue": "#ca8a04",
    "datastore": "#b45309",
    "storage": "#78716c",
    "external": "#6b7280",
    "autoscaler": "#db2777",
    "policy": "#64748b",
    "config": "#94a3b8",
    "cluster": "#0f766e",
    "network": "#475569",
}
SEVERITY_COLOUR = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706", "low": "#0284c7", "info": "#6b7280"}
GRADE_COLOUR = {"A": "#15803d", "B": "#65a30d", "C": "#ca8a04", "D": "#ea580c", "F": "#dc2626", "N/A": "#6b7280"}
NODE_W, NODE_H, GAP_X, GAP_Y, PER_ROW, MARGIN = 150, 40, 24, 44, 8, 20
TOP = 44  # room for the arcs between nodes of the top row


def esc(value: object) -> str:
    """Repository text as inert HTML: markup escaped, control and direction characters shown as escapes."""
    return html.escape(printable(value), quote=True)


@dataclass(frozen=True)
class Placed:
    id: str
    kind: str
    label: str
    x: int
    y: int


def layered_layout(graph: nx.MultiDiGraph) -> tuple[list[Placed], int, int]:
    """(nodes with their top-left corner, width, height): a band per kind, at most PER_ROW nodes a row.

    Within a row, nodes are ordered by the mean column of their neighbours already placed above (one
    barycentre sweep, ties by id) and the row is centred, which keeps most edges short and uncrossed.
    """
    by_kind: dict[str, list[str]] = defaultdict(list)
    for node_id, node in graph.nodes(data="node"):
        by_kind[getattr(node, "kind", "external")].append(node_id)
    kinds = [k for k in KIND_ORDER if k in by_kind] + sorted(set(by_kind) - set(KIND_ORDER))
    neighbours: dict[str, set[str]] = defaultdict(set)
    for source, target in graph.edges():
        neighbours[source].add(target)
        neighbours[target].add(source)
    rows: list[list[str]] = []
    centre: dict[str, float] = {}  # node id → x centre in column units, for the barycentre of later rows
    for kind in kinds:
        ids = sorted(by_kind[kind])
        for start in range(0, len(ids), PER_ROW):
            rows.append(ids[start : start + PER_ROW])
    widest = max((len(r) for r in rows), default=1)
    for index, row in enumerate(rows):

        def barycentre(node_id: str) -> float:
            placed_above = [centre[n] for n in neighbours[node_id] if n in centre]
            return sum(placed_above) / len(placed_above) if placed_above else widest / 2

        row.sort(key=lambda n: (barycentre(n), n) if index else (0.0, n))
        offset = (widest - len(row)) / 2
        for column, node_id in enumerate(row):
            centre[node_id] = offset + column + 0.5
    placed: list[Placed] = []
    for index, row in enumerate(rows):
        for node_id in row:
            node = graph.nodes[node_id].get("node")
            x = MARGIN + round((centre[node_id] - 0.5) * (NODE_W + GAP_X))
            y = TOP + index * (NODE_H + GAP_Y)
            kind, label = str(getattr(node, "kind", "external")), str(getattr(node, "name", node_id))
            placed.append(Placed(node_id, kind, label, x, y))
    width = MARGIN * 2 + widest * (NODE_W + GAP_X) - GAP_X
    height = TOP + MARGIN + max(len(rows), 1) * (NODE_H + GAP_Y) - GAP_Y
    return placed, width, height


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_svg(result: AuditResult) -> str:
    graph = result.scan.graph
    placed, width, height = layered_layout(graph)
    where = {p.id: p for p in placed}
    hits = Counter(f.subject for f in result.findings)
    worst: dict[str, int] = {}
    for finding in result.findings:
        worst[finding.subject] = min(worst.get(finding.subject, 99), SEVERITIES.index(finding.severity))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="dependency graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker></defs>',
    ]
    edges = sorted(
        {(source, target, getattr(edge, "kind", "")) for source, target, edge in graph.edges(data="edge")},
    )
    for source, target, kind in edges:
        a, b = where.get(source), where.get(target)
        if a is None or b is None or a is b:
            continue
        x1, x2 = a.x + NODE_W / 2, b.x + NODE_W / 2
        if a.y == b.y:  # same row: arc over the top
            y1 = y2 = a.y
            d = f"M{x1:.0f},{y1} C{x1:.0f},{y1 - 30} {x2:.0f},{y2 - 30} {x2:.0f},{y2}"
        else:
            down = b.y > a.y
            y1 = a.y + (NODE_H if down else 0)
            y2 = b.y + (0 if down else NODE_H)
            mid = (y1 + y2) / 2
            d = f"M{x1:.0f},{y1} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2}"
        parts.append(f'<path class="edge" d="{d}" marker-end="url(#arrow)"><title>{esc(kind)}</title></path>')
    for p in placed:
        colour = KIND_COLOUR.get(p.kind, "#6b7280")
        count = hits.get(p.id, 0)
        classes = "node hit" if count else "node"
        stroke = SEVERITY_COLOUR[SEVERITIES[worst[p.id]]] if count else colour
        tip = f"{p.id} ({p.kind})" + (f": {count} finding(s)" if count else "")
        parts.append(
            f'<g class="{classes}" data-subject="{esc(p.id)}" tabindex="0"><title>{esc(tip)}</title>'
            f'<rect x="{p.x}" y="{p.y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{colour}" '
            f'stroke="{stroke}" stroke-width="{4 if count else 1}"/>'
            f'<text x="{p.x + 8}" y="{p.y + 17}" class="label">{esc(_short(p.label))}</text>'
            f'<text x="{p.x + 8}" y="{p.y + 32}" class="kind">{esc(p.kind)}</text>'
        )
        if count:
            cx, cy = p.x + NODE_W - 4, p.y + 4
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="10" fill="{stroke}"/>'
                f'<text x="{cx}" y="{cy + 4}" class="badge">{count}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _legend(result: AuditResult) -> str:
    kinds = sorted({getattr(n, "kind", "external") for _, n in result.scan.graph.nodes(data="node")})
    items = "".join(
        f'<span class="chip" style="background:{KIND_COLOUR.get(k, "#6b7280")}">{esc(k)}</span>' for k in kinds
    )
    note = "thick border = node with findings, coloured by its worst severity"
    return f'<p class="legend">{items} <span class="muted">{note}</span></p>'


def _finding_row(result: AuditResult, finding: Finding) -> str:
    rule = next((r for r in result.rules if r.id == finding.rule_id), None)
    url = docs_url(rule) if rule is not None else DOCS_URL
    related = "".join(f"<li>{esc(r.location.path)}:{r.location.line} — {esc(r.message)}</li>" for r in finding.related)
    details = (
        f"<details><summary>fix</summary><p>{'<br>'.join(esc(line) for line in finding.fix.split(chr(10)))}</p>"
        + (f"<ul>{related}</ul>" if related else "")
        + "</details>"
    )
    return (
        f'<tr data-severity="{esc(finding.severity)}" data-category="{esc(finding.category)}" '
        f'data-subject="{esc(finding.subject)}">'
        f'<td><span class="sev sev-{esc(finding.severity)}">{esc(finding.severity)}</span></td>'
        f'<td><a href="{esc(url)}">{esc(finding.rule_id)}</a><br><span class="muted">{esc(finding.slug)}</span></td>'
        f"<td>{esc(finding.category)}</td>"
        f"<td><code>{esc(finding.location.path)}:{finding.location.line}</code></td>"
        f"<td>{esc(finding.message)}{details}</td></tr>"
    )


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#0f172a;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:16px 24px;display:flex;gap:24px;align-items:center}
header h1{font-size:18px;margin:0}
.big{font-size:40px;font-weight:700}
.grade{display:inline-block;border-radius:8px;padding:2px 12px;color:#fff;font-weight:700;font-size:24px}
main{padding:16px 24px;max-width:1400px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:4px 0 12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f1f5f9;font-weight:600}
.muted{color:#64748b;font-size:12px}
.sev{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px;font-weight:600}
.sev-critical{background:#7f1d1d}.sev-high{background:#dc2626}.sev-medium{background:#d97706}
.sev-low{background:#0284c7}.sev-info{background:#6b7280}
.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}
.filters select,.filters input{padding:4px 6px;border:1px solid #cbd5e1;border-radius:4px}
.graph{overflow:auto;max-height:720px}
.edge{fill:none;stroke:#94a3b8;stroke-width:1.2}
.node{cursor:pointer}.node .label{fill:#fff;font-size:12px;font-weight:600}
.node .kind{fill:#e2e8f0;font-size:10px}.badge{fill:#fff;font-size:11px;font-weight:700;text-anchor:middle}
.node:focus rect,.node:hover rect{filter:brightness(1.15)}
.chip{color:#fff;border-radius:10px;padding:1px 8px;margin-right:4px;font-size:12px}
details summary{cursor:pointer;color:#2563eb;font-size:12px}
code{font-size:12px}
"""

_JS = """
(function(){
  var sev=document.getElementById('f-sev'),cat=document.getElementById('f-cat'),q=document.getElementById('f-q');
  var rows=Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var shown=document.getElementById('f-count');
  function apply(){
    var s=sev.value,c=cat.value,t=q.value.toLowerCase(),n=0;
    rows.forEach(function(r){
      var ok=(!s||r.dataset.severity===s)&&(!c||r.dataset.category===c)&&
        (!t||r.textContent.toLowerCase().indexOf(t)>=0||r.dataset.subject.toLowerCase()===t);
      r.hidden=!ok;if(ok){n++;}
    });
    shown.textContent=n+' shown';
  }
  [sev,cat].forEach(function(e){e.addEventListener('change',apply);});
  q.addEventListener('input',apply);
  Array.prototype.forEach.call(document.querySelectorAll('.node'),function(g){
    function pick(){q.value=g.dataset.subject;apply();document.getElementById('findings').scrollIntoView();}
    g.addEventListener('click',pick);
    g.addEventListener('keydown',function(e){if(e.key==='Enter'){pick();}});
  });
  apply();
})();
"""


def render(result: AuditResult) -> str:
    score = result.score
    overall = "N/A" if score.overall is None else str(score.overall)
    findings = sorted(
        result.findings,
        key=lambda f: (SEVERITIES.index(f.severity), f.location.path, f.location.line, f.rule_id),
    )
    counts = Counter(f.severity for f in result.findings)
    categories_rows = "".join(
        f"<tr><td>{esc(c.category)}</td><td>{'N/A' if c.score is None else c.score}</td>"
        f'<td><span class="grade" style="font-size:13px;background:{GRADE_COLOUR[grade_of(c.score)]}">'
        f"{grade_of(c.score)}</span></td><td>{c.findings}</td>"
        f'<td class="muted">{esc(c.explanation())}</td></tr>'
        for c in score.categories
    )
    sev_options = "".join(f'<option value="{s}">{s} ({counts[s]})</option>' for s in SEVERITIES)
    cats = sorted({f.category for f in result.findings})
    cat_options = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in cats)
    rows = "".join(_finding_row(result, f) for f in findings) or ('<tr><td colspan="5">No findings.</td></tr>')
    suppressed = "".join(
        f"<li><code>{esc(f.location.path)}:{f.location.line}</code> {esc(f.rule_id)} {esc(f.message)} "
        f'<span class="muted">— {esc(s.mechanism)}: {esc(s.reason)}</span></li>'
        for f, s in sorted(result.suppressed, key=lambda p: (p[0].location.path, p[0].location.line, p[0].rule_id))
    )
    diagnostics = "".join(
        f"<li><b>{esc(d.level)}</b> <code>{esc(d.path)}{':' + str(d.line) if d.line else ''}</code> "
        f'{esc(d.message)} <span class="muted">({esc(d.code)})</span></li>'
        for d in sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.message))
    )
    graph = result.scan.graph
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) or "no findings"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scale-auditor report: {esc(overall)} ({esc(score.grade)})</title>
<style>{_CSS}</style>
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
<section><h2>Score by category</h2><p class="muted">{esc(score.explanation())}</p>
<table><thead><tr><th>category</th><th>score</th><th>grade</th><th>findings</th><th>how it was reached</th></tr>
</thead><tbody>{categories_rows}</tbody></table></section>
<section><h2>Dependency graph</h2>{_legend(result)}<p class="muted">Click a node to show its findings.</p>
<div class="graph">{graph_svg(result)}</div></section>
<section><h2>Findings</h2>
<div class="filters"><select id="f-sev" aria-label="severity"><option value="">all severities</option>{sev_options}
</select><select id="f-cat" aria-label="category"><option value="">all categories</option>{cat_options}</select>
<input id="f-q" type="search" placeholder="filter: text, path, rule…" aria-label="text filter">
<span id="f-count" class="muted"></span></div>
<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>category</th><th>where</th><th>message</th></tr>
</thead><tbody>{rows}</tbody></table></section>
{f"<section><h2>Suppressed ({len(result.suppressed)})</h2><ul>{suppressed}</ul></section>" if suppressed else ""}
{f"<section><h2>Diagnostics ({len(result.diagnostics)})</h2><ul>{diagnostics}</ul></section>" if diagnostics else ""}
</main>
<script>{_JS}</script>
</body>
</html>
"""
