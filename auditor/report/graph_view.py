"""What the HTML report draws: per deployment, the things a reader names (services, datastores, caches, queues,
entry points) with the infrastructure that belongs to one of them folded into it, and the edges between them.

At 40 services the whole graph is hundreds of boxes (a Kubernetes Service, an HPA and two config files per
workload); a reader asks "what calls what, and what is wrong with it". So a Kubernetes Service is folded into
the workload it routes to, a ConfigMap or config file into the service it configures, an autoscaler into what it
scales, a listener into its load balancer; an edge that went through a folded node is drawn between the nodes
it joins. Infrastructure that belongs to several drawn nodes or to none (a VPC, a shared ConfigMap) is listed
beside the graph, not drawn. The whole deployment is kept too, for a reader who asks to see everything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from auditor.graph.export import deployments, one_deployment
from auditor.model import Edge, Location, Node

# Kinds a reader names in an architecture diagram.
DRAWN_KINDS = frozenset({"service", "datastore", "cache", "queue", "proxy", "gateway", "load_balancer", "storage",
                         "external"})
# Nodes of a drawn kind that are plumbing of one workload or of the network: a Kubernetes Service is the
# address of its pods; a target group or listener is part of its load balancer; a NAT or internet gateway is
# part of the VPC.
PLUMBING_TYPES = frozenset({("kubernetes", "Service"), ("terraform", "aws_lb_target_group"),
                            ("terraform", "aws_alb_target_group"), ("terraform", "aws_lb_listener"),
                            ("terraform", "aws_alb_listener"), ("terraform", "aws_nat_gateway"),
                            ("terraform", "aws_internet_gateway"), ("terraform", "google_compute_router_nat"),
                            ("terraform", "azurerm_nat_gateway")})
# Edges by which a folded node acts on the one it belongs to (config → service, HPA → workload, Service → pods).
HOSTING_EDGES = frozenset({"configures", "scales", "routes_to", "protects"})
# An edge that only shows an address is known, not that it is used: drawn dashed.
WEAK_EDGES = frozenset({"knows_address"})


@dataclass(frozen=True)
class ViewEdge:
    """All edges of the graph between two drawn nodes, merged: their kinds and the lines that show them.
    `in_cycle`: both ends are in one strongly connected component, so the edge does not rank the layout."""

    source: str
    target: str
    kinds: tuple[str, ...]
    locations: tuple[Location, ...]
    in_cycle: bool


@dataclass(frozen=True)
class View:
    deployment: str
    drawn: tuple[str, ...]  # node ids drawn by default, sorted
    owner: dict[str, str]  # every node of the deployment → the drawn node it is shown in (itself when drawn)
    unowned: tuple[str, ...]  # infrastructure of several drawn nodes or of none: listed, not drawn
    edges: tuple[ViewEdge, ...]  # between drawn nodes, through folded ones
    every_node: tuple[str, ...]  # the whole deployment, for "show infrastructure"
    every_edge: tuple[ViewEdge, ...]


def is_drawn(node: Node) -> bool:
    return node.kind in DRAWN_KINDS and (node.source, node.type) not in PLUMBING_TYPES


def _owners(graph: nx.MultiDiGraph, drawn: set[str]) -> dict[str, str]:
    """Folded node → the one drawn node it belongs to: the drawn nodes it acts on (HOSTING_EDGES), else the drawn
    nodes it touches by any edge; none when that is not exactly one."""
    owner = {ident: ident for ident in drawn}
    for ident in sorted(set(graph.nodes) - drawn):
        acted_on = {target for _, target, edge in graph.out_edges(ident, data="edge")
                    if target in drawn and getattr(edge, "kind", "") in HOSTING_EDGES}
        touched = ({target for _, target in graph.out_edges(ident) if target in drawn}
                   | {source for source, _ in graph.in_edges(ident) if source in drawn})
        hosts = acted_on or touched
        if len(hosts) == 1:
            owner[ident] = next(iter(hosts))
    return owner


def _merged(graph: nx.MultiDiGraph, owner: dict[str, str]) -> tuple[ViewEdge, ...]:
    """Edges between the nodes `owner` maps to, merged per ordered pair (self-loops of a folded node dropped)."""
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    where: dict[tuple[str, str], set[Location]] = defaultdict(set)
    for source, target, edge in graph.edges(data="edge"):
        pair = (owner.get(source, ""), owner.get(target, ""))
        if not pair[0] or not pair[1] or pair[0] == pair[1]:
            continue
        kinds[pair].add(edge.kind if isinstance(edge, Edge) else "")
        if isinstance(edge, Edge):
            where[pair].add(edge.location)
    joined = nx.DiGraph(list(kinds))
    component = {n: i for i, members in enumerate(nx.strongly_connected_components(joined)) for n in members}
    return tuple(
        ViewEdge(s, t, tuple(sorted(kinds[(s, t)])), tuple(sorted(where[(s, t)])), component[s] == component[t])
        for s, t in sorted(kinds)
    )


def view_of(graph: nx.MultiDiGraph, deployment: str) -> View:
    drawn = {ident for ident, node in graph.nodes(data="node") if is_drawn(node)}
    owner = _owners(graph, drawn)
    return View(
        deployment=deployment,
        drawn=tuple(sorted(drawn)),
        owner=dict(sorted(owner.items())),
        unowned=tuple(sorted(set(graph.nodes) - set(owner))),
        edges=_merged(graph, owner),
        every_node=tuple(sorted(graph.nodes)),
        every_edge=_merged(graph, {ident: ident for ident in graph.nodes}),
    )


def views(graph: nx.MultiDiGraph) -> list[View]:
    """One view per deployment (graph/export.py's `one_deployment`), then one of the nodes in no deployment
    that no deployment reaches, if any; the whole graph as one view when it names no deployment."""
    names = deployments(graph)
    if not names:
        return [view_of(graph, "")] if graph.number_of_nodes() else []
    result = [view_of(one_deployment(graph, name), name) for name in names]
    seen = {ident for view in result for ident in view.every_node}
    rest = sorted(set(graph.nodes) - seen)
    if rest:
        result.append(view_of(graph.subgraph(rest), "(no deployment)"))
    return result


def default_view(found: list[View], findings_by_subject: dict[str, int]) -> int:
    """The index of the view a reader sees first: the most findings on its nodes, then the most drawn nodes, then
    by name."""
    if not found:
        return 0

    def weight(index: int) -> tuple[int, int, str]:
        view = found[index]
        hits = sum(findings_by_subject.get(ident, 0) for ident in view.every_node)
        return (-hits, -len(view.drawn), view.deployment)

    return min(range(len(found)), key=weight)
