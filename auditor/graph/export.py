"""The graph as people can read and debug it: JSON (networkx node-link form), Graphviz DOT, Mermaid."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, is_dataclass
from typing import Any

import networkx as nx

from auditor.model import Edge, Node


def _plain(value: Any) -> Any:
    """JSON-safe copy of an attribute value (dataclasses as dicts, sets sorted, the rest as text)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    return str(value)


def deployments(graph: nx.MultiDiGraph) -> list[str]:
    """The deployments the graph holds (graph/deployments.py), sorted."""
    return sorted({str(node.attrs.get("deployment") or "") for _, node in graph.nodes(data="node")} - {""})


def one_deployment(graph: nx.MultiDiGraph, deployment: str) -> nx.MultiDiGraph:
    """The nodes of one deployment, the edges between them, and the nodes outside it (external hosts, a
    Terraform database a manifest names) that its nodes' edges reach."""
    inside = {ident for ident, node in graph.nodes(data="node") if node.attrs.get("deployment") == deployment}
    reached = {target for source, target in graph.out_edges(inside) if source in inside}
    sub = nx.MultiDiGraph()
    for ident in sorted(inside | reached):
        sub.add_node(ident, **graph.nodes[ident])
    for source, target, key, data in graph.edges(keys=True, data=True):
        if source in inside and target in sub:
            sub.add_edge(source, target, key=key, **data)
    return sub


def node_record(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind,
        "name": node.name,
        "type": node.type,
        "source": node.source,
        "path": node.location.path,
        "line": node.location.line,
        "end_line": node.location.end_line,
        "attrs": _plain(node.attrs),
        "evidence": {key: {"path": loc.path, "line": loc.line} for key, loc in sorted(node.evidence.items())},
        "settings": [
            {
                "topic": s.topic,
                "key": s.key,
                "value": _plain(s.value),
                "framework": s.framework,
                "path": s.location.path,
                "line": s.location.line,
                **({"via": [{"path": v.path, "line": v.line} for v in s.via]} if s.via else {}),
            }
            for s in node.settings
        ],
    }


def edge_record(edge: Edge, key: int) -> dict[str, Any]:
    return {
        "source": edge.source,
        "target": edge.target,
        "key": key,
        "kind": edge.kind,
        "name": f"{edge.source} -{edge.kind}-> {edge.target}",
        "path": edge.location.path,
        "line": edge.location.line,
        "end_line": edge.location.end_line,
        "attrs": _plain(edge.attrs),
    }


def _sorted_edges(graph: nx.MultiDiGraph) -> list[tuple[Edge, int]]:
    edges = [(data["edge"], key) for _, _, key, data in graph.edges(keys=True, data=True)]
    return sorted(edges, key=lambda pair: (pair[0].source, pair[0].target, pair[0].kind, pair[0].location))


def to_json(graph: nx.MultiDiGraph) -> str:
    """networkx node-link form (`directed`, `multigraph`, `nodes`, `edges`), every element located."""
    data = {
        "directed": True,
        "multigraph": True,
        "graph": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "nodes": [node_record(graph.nodes[n]["node"]) for n in sorted(graph.nodes)],
        "edges": [edge_record(edge, key) for edge, key in _sorted_edges(graph)],
    }
    return json.dumps(data, indent=2, sort_keys=False)


def _quote(text: str) -> str:
    """A DOT quoted string holding `text` as it is: backslash and quote escaped, controls shown as escapes
    (report/text.py `printable`), so no name can end the string, add an attribute or start a line."""
    from auditor.report.text import printable  # here, not at the top: the report package imports this module

    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*lines: str) -> str:
    """A DOT label of several lines: each line quoted on its own, joined by Graphviz's `\\n` line break (a
    backslash in a name is doubled first, so it can never form a break or a `\\N`-style substitution)."""
    return '"' + "\\n".join(_quote(line)[1:-1] for line in lines) + '"'


_DOT_SHAPES = {
    "service": "box",
    "datastore": "cylinder",
    "cache": "cylinder",
    "queue": "cds",
    "load_balancer": "invhouse",
    "gateway": "hexagon",
    "network": "folder",
    "autoscaler": "diamond",
    "config": "note",
    "external": "ellipse",
    "policy": "component",
    "proxy": "octagon",
    "storage": "box3d",
    "cluster": "tab",
}


def to_dot(graph: nx.MultiDiGraph) -> str:
    lines = ["digraph architecture {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for ident in sorted(graph.nodes):
        node: Node = graph.nodes[ident]["node"]
        label = _label(node.name, f"{node.type} ({node.kind})", str(node.location))
        lines.append(f"  {_quote(ident)} [label={label}, shape={_DOT_SHAPES.get(node.kind, 'box')}];")
    for edge, _ in _sorted_edges(graph):
        label = _label(edge.kind, str(edge.location))
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(ident: str, ids: dict[str, str]) -> str:
    if ident not in ids:
        ids[ident] = f"n{len(ids)}_" + re.sub(r"\W", "_", ident.rsplit(":", 1)[-1].rsplit("/", 1)[-1])[:30]
    return ids[ident]


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(graph: nx.MultiDiGraph) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for ident in sorted(graph.nodes):
        node: Node = graph.nodes[ident]["node"]
        label = _mermaid_text(f"{node.name}<br/><small>{node.kind} · {node.location}</small>")
        shape = ('[("', '")]') if node.kind in ("datastore", "cache") else ('["', '"]')
        lines.append(f"  {_mermaid_id(ident, ids)}{shape[0]}{label}{shape[1]}")
    for edge, _ in _sorted_edges(graph):
        label = _mermaid_text(f"{edge.kind} ({edge.location})")
        lines.append(f'  {_mermaid_id(edge.source, ids)} -->|"{label}"| {_mermaid_id(edge.target, ids)}')
    return "\n".join(lines) + "\n"


FORMATS = {"json": to_json, "dot": to_dot, "mermaid": to_mermaid}
