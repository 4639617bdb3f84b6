"""Scope a result to changed files (the pre-commit hook): their graph neighbourhood, not the whole repo.

Rules still run on the whole graph (a cycle or a shared database is only visible there); what is
reported is what touches the changed files: findings located in them or pointing into them (related
locations), and findings about the nodes they define or configure — so a changed `.env` still reports on
the compose service it configures.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from auditor.model import Finding, Node


def _touches(node: Node, changed: set[str]) -> bool:
    if node.location.path in changed:
        return True
    if any(location.path in changed for location in node.evidence.values()):
        return True
    if any(setting.location.path in changed for setting in node.settings):
        return True
    return any(str(place).rsplit(":", 1)[0] in changed for place in node.attrs.get("defined_at", []) or [])


def neighbourhood(graph: nx.MultiDiGraph, changed: Iterable[str]) -> set[str]:
    """Ids of the nodes the changed files define or configure (settings or links lifted from them count).

    The other end of an edge is not widened into: a finding about a changed DATABASE_URL points into the
    changed file and is kept by its location, while the database's or a callee's own unrelated problems
    are not this commit's.
    """
    paths = set(changed)
    near = {ident for ident, node in graph.nodes(data="node") if _touches(node, paths)}
    for ident in list(near):
        for _, target, edge in graph.out_edges(ident, data="edge"):
            if edge.kind == "configures":
                near.add(target)  # a changed ConfigMap or .env concerns the workloads that load it
    return near


def relevant(finding: Finding, near: set[str], changed: set[str]) -> bool:
    return (
        finding.subject in near
        or finding.location.path in changed
        or any(related.location.path in changed for related in finding.related)
    )


def scope_findings(findings: list[Finding], graph: nx.MultiDiGraph, changed: Iterable[str]) -> list[Finding]:
    paths = set(changed)
    near = neighbourhood(graph, paths)
    return [finding for finding in findings if relevant(finding, near, paths)]


