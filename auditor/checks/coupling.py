"""Checks of the coupling category (see the rule files in rules/ that name them).

Coupling is judged on the application services only (`observability.application_services`: the code this
repository builds or deploys). Datastores, caches and queues are other node kinds, so a queue between two
services is a decoupling, never a hop; proxies and gateways run as shipped and are left out, so routing
through an edge proxy is not counted as a dependency of the proxy. Calls to a service registry or config
server (Eureka, Spring Cloud Config, Consul) are control-plane lookups, not request-path calls.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import networkx as nx

from auditor.checks.context import CheckContext, Hit
from auditor.checks.observability import application_services
from auditor.model import Edge, Location, Node, Related

# Keys of links that look a service up rather than call it (the client library bounds those calls itself).
CONTROL_PLANE_KEY = re.compile(r"eureka|spring\.cloud\.(config|consul|zookeeper|kubernetes)|config[-_.]?server|"
                                r"configserver|consul|service[-_.]?registry|discovery", re.IGNORECASE)
# How far through load balancers (Ingress → Service → workload) a call is followed.
_MAX_LB_HOPS = 2
# Enumerating simple cycles is exponential in the worst case: stop collecting after this many.
_CYCLE_SEARCH_LIMIT = 2000
# Longest-path search budget (steps) per entry point.
_PATH_SEARCH_BUDGET = 50_000


@dataclass(frozen=True)
class Link:
    """All the evidence that one service calls (or depends on) another, merged across files."""

    source: str
    target: str
    kinds: tuple[str, ...]
    locations: tuple[Location, ...]

    @property
    def location(self) -> Location:
        return self.locations[0]


def control_plane(edge: Edge) -> bool:
    """A registry/config-server lookup (`eureka.client.serviceUrl.defaultZone`), not a request-path call."""
    key = edge.attrs.get("key")
    return isinstance(key, str) and bool(CONTROL_PLANE_KEY.search(key))


def _reached(ctx: CheckContext, target: str, services: set[str]) -> list[str]:
    """The application services a call to `target` reaches: itself, or what a load balancer routes it to."""
    if target in services:
        return [target]
    frontier, found, seen = [target], [], {target}
    for _ in range(_MAX_LB_HOPS):
        following = []
        for ident in frontier:
            if ctx.node(ident).kind != "load_balancer":
                continue
            for edge in ctx.out_edges(ident, ["routes_to"]):
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                if edge.target in services:
                    found.append(edge.target)
                else:
                    following.append(edge.target)
        frontier = following
    return sorted(set(found))


def service_links(ctx: CheckContext, kinds: Iterable[str] = ("calls",)) -> tuple[list[Node], list[Link]]:
    """Application services and the merged links of `kinds` between them (sorted, deterministic)."""
    nodes = application_services(ctx)
    services = {node.id for node in nodes}
    wanted = tuple(kinds)
    merged: dict[tuple[str, str], dict[str, set[object]]] = defaultdict(lambda: {"kinds": set(), "locs": set()})
    for node in nodes:
        for edge in ctx.out_edges(node.id, wanted):
            if edge.kind == "calls" and control_plane(edge):
                continue
            for target in _reached(ctx, edge.target, services):
                if target == node.id:
                    continue
                entry = merged[(node.id, target)]
                entry["kinds"].add(edge.kind)
                entry["locs"].add(edge.location)
    links = []
    for (source, target), entry in sorted(merged.items()):
        locations = sorted(entry["locs"], key=lambda loc: _evidence_order(loc, source, ctx))  # type: ignore[arg-type]
        links.append(Link(source, target, tuple(sorted(str(k) for k in entry["kinds"])), tuple(locations)))  # type: ignore[arg-type]
    return nodes, links


def _evidence_order(location: Location, source: str, ctx: CheckContext) -> tuple[int, Location]:
    """The caller's own definition file first (the env var line), then config files, by path and line."""
    return (0 if location.path == ctx.node(source).location.path else 1, location)


def _digraph(nodes: list[Node], links: list[Link]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(node.id for node in nodes)
    for link in links:
        graph.add_edge(link.source, link.target, link=link)
    return graph


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    """A cycle rotated to start at its smallest member: the same cycle always reads the same way."""
    start = cycle.index(min(cycle))
    return tuple(cycle[start:] + cycle[:start])


def _hop_related(ctx: CheckContext, link: Link, verb: str) -> list[Related]:
    source, target = ctx.node(link.source), ctx.node(link.target)
    return [Related(loc, f"`{source.name}` {verb} `{target.name}` here") for loc in link.locations]


def service_dependency_cycle(ctx: CheckContext) -> Iterator[Hit]:
    """COUPLE001: services that call or depend on each other in a loop (each cycle once)."""
    nodes, links = service_links(ctx, ("calls", "depends_on"))
    for node in nodes:
        ctx.examine(node)
    graph = _digraph(nodes, links)
    found: set[tuple[str, ...]] = set()
    for cycle in nx.simple_cycles(graph):
        found.add(_canonical(cycle))
        if len(found) >= _CYCLE_SEARCH_LIMIT:
            break
    limit = int(ctx.options.get("max_cycles", 20))
    for members in sorted(found, key=lambda c: (len(c), c))[:limit]:
        hops = [graph.edges[a, b]["link"] for a, b in zip(members, members[1:] + members[:1], strict=True)]
        names = [ctx.node(m).name for m in members]
        path = " → ".join([*names, names[0]])
        related: list[Related] = []
        for hop in hops:
            verb = "calls" if "calls" in hop.kinds else "depends on"
            related.extend(_hop_related(ctx, hop, verb))
        related.extend(ctx.related(ctx.node(m), f"cycle member `{ctx.node(m).name}`") for m in members)
        yield Hit(
            members[0],
            f"services call each other in a cycle of {len(members)}: {path}; none of them can be deployed, "
            f"started or scaled independently, and one slow member slows them all",
            evidence=hops[0].location,
            related=tuple(related),
            key="cycle:" + ">".join(members),
        )


def _longest_path(graph: nx.DiGraph, start: str) -> list[str]:
    """The longest simple path from `start` (ties: the first in sorted order), within a search budget."""
    best: list[str] = [start]
    steps = 0
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack and steps < _PATH_SEARCH_BUDGET:
        steps += 1
        current, path = stack.pop()
        if len(path) > len(best) or (len(path) == len(best) and path < best):
            best = path
        for successor in sorted(graph.successors(current), reverse=True):
            if successor not in path:
                stack.append((successor, [*path, successor]))
    return best


def deep_synchronous_call_chain(ctx: CheckContext) -> Iterator[Hit]:
    """COUPLE002: a chain of synchronous calls longer than `max_depth` hops, from each entry point."""
    max_depth = int(ctx.options.get("max_depth", 3))
    nodes, links = service_links(ctx, ("calls",))
    graph = _digraph(nodes, links)
    for node in nodes:
        ctx.examine(node)
    for node in nodes:
        if graph.in_degree(node.id) or not graph.out_degree(node.id):
            continue  # not an entry point: it is judged within the chains that reach it
        path = _longest_path(graph, node.id)
        hops = len(path) - 1
        if hops <= max_depth:
            continue
        links_on_path = [graph.edges[a, b]["link"] for a, b in itertools.pairwise(path)]
        related: list[Related] = []
        for link in links_on_path:
            related.extend(_hop_related(ctx, link, "calls"))
        names = " → ".join(ctx.node(m).name for m in path)
        yield Hit(
            node.id,
            f"`{node.name}` starts a synchronous call chain {hops} hops deep ({names}); more than "
            f"{max_depth} hops multiply latency and failure rates and nest every timeout",
            evidence=links_on_path[0].location,
            related=tuple(related),
            key="chain:" + ">".join(path),
        )


def dependency_hub(ctx: CheckContext) -> Iterator[Hit]:
    """COUPLE003: a service that most other services call synchronously."""
    fraction = float(ctx.options.get("fraction", 0.5))
    minimum = int(ctx.options.get("minimum", 4))
    nodes, links = service_links(ctx, ("calls",))
    callers: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        callers[link.target].append(link)
    others = len(nodes) - 1
    for node in nodes:
        ctx.examine(node)
        incoming = callers.get(node.id, [])
        if others <= 0 or len(incoming) < minimum or len(incoming) / others < fraction:
            continue
        related: list[Related] = []
        for link in incoming:
            related.extend(_hop_related(ctx, link, "calls"))
        yield Hit(
            node.id,
            f"`{node.name}` is called synchronously by {len(incoming)} of the other {others} services; "
            f"its outage or slow deploy stops all of them",
            related=tuple(related),
        )


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "service_dependency_cycle": service_dependency_cycle,
    "deep_synchronous_call_chain": deep_synchronous_call_chain,
    "dependency_hub": dependency_hub,
}
