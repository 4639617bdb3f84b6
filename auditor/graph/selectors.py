"""Kubernetes selectors → the workloads they select, and references through a Service → those workloads.

A Service or PodDisruptionBudget selects the workloads of its namespace whose pod labels hold every pair of its
selector. Selection is many-to-many: N Services that all select `app: a` over N Deployments labelled `app: a`
are N² links, and a call to each Service N² routed edges (6,250 of each took minutes; found by fuzzing). Both
are bounded per repository by an allowance that grows with the selectors and the references, so that a large
repository of ordinary Services (each selecting a few workloads) is never cut; a bound that is hit is a
diagnostic at the first selector or reference left out.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from auditor.model import Diagnostic, Edge, Location, Node

# Workloads linked by all selectors together (at most 119 in a corpus repository), and edges made by routing
# references through Services to the workloads they select (at most 755): a base, plus an allowance per selector
# and per reference. Each such edge costs ~0.15 ms more in rules and reports (10,000 of each took 3 s).
MAX_SELECTOR_LINKS = 5_000
LINKS_PER_SELECTOR = 4
MAX_ROUTED_EDGES = 10_000
ROUTES_PER_REFERENCE = 4
_SELECTING_TYPES = ("Service", "PodDisruptionBudget")


class Selection:
    """Each Service's selected workloads, with a budget for the edges that references to them fan out to."""

    def __init__(self) -> None:
        self.selected: dict[str, list[str]] = {}  # Service id → its selected workloads, sorted
        self.routing_left = MAX_ROUTED_EDGES
        self.unlinked: list[Location] = []  # selectors past MAX_SELECTOR_LINKS, in graph order
        self.unrouted: list[Location] = []  # references past MAX_ROUTED_EDGES

    def routed(self, ident: str, where: Location) -> list[str]:
        """The workloads a reference (stated at `where`) to `ident` reaches: those its selector selects; none for
        any other node, or once routing would pass `MAX_ROUTED_EDGES` (then the reference is to the Service)."""
        workloads = self.selected.get(ident, [])
        if not workloads:
            return []
        self.routing_left += ROUTES_PER_REFERENCE
        if self.unrouted or len(workloads) > self.routing_left:
            self.unrouted.append(where)
            return []
        self.routing_left -= len(workloads)
        return workloads

    def diagnostics(self) -> list[Diagnostic]:
        found = []
        if self.unlinked:
            first = self.unlinked[0]
            found.append(Diagnostic(
                first.path, "Kubernetes selectors select more workloads in all than the limit for one repository "
                f"({MAX_SELECTOR_LINKS:,}, and {LINKS_PER_SELECTOR} more per selector): this selector and "
                f"{len(self.unlinked) - 1:,} after it are not linked to the workloads they select", first.line,
                "too-large", "warning"))
        if self.unrouted:
            first = self.unrouted[0]
            found.append(Diagnostic(
                first.path, "references through Kubernetes Services reach more selected workloads in all than the "
                f"limit for one repository ({MAX_ROUTED_EDGES:,}, and {ROUTES_PER_REFERENCE} more per reference): "
                f"this reference and {len(self.unrouted) - 1:,} after it are to the Service, not to the workloads it "
                "selects", first.line, "too-large", "warning"))
        return found


def match_selectors(graph: nx.MultiDiGraph) -> Selection:
    """Kubernetes Services route to, and PDBs protect, the workloads whose pod labels they select."""
    # (namespace, label, value) → workloads carrying it: a selector's matches are the intersection.
    carrying: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for _, node in graph.nodes(data="node"):
        labels = node.attrs.get("pod_labels")
        if node.source == "kubernetes" and isinstance(labels, dict):
            for key, value in labels.items():
                carrying[(_namespace(node), str(key), str(value))].add(node.id)
    selection = Selection()
    links_left = MAX_SELECTOR_LINKS
    for _, selector_node in list(graph.nodes(data="node")):
        if selector_node.source != "kubernetes" or selector_node.type not in _SELECTING_TYPES:
            continue
        selector = selector_node.attrs.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        where = selector_node.evidence.get("selector", selector_node.location)
        if selection.unlinked:
            selection.unlinked.append(where)
            continue
        links_left += LINKS_PER_SELECTOR
        namespace = _namespace(selector_node)
        matches = sorted(set.intersection(*(carrying.get((namespace, str(k), str(v)), set())
                                            for k, v in selector.items())))
        if len(matches) > links_left:
            selection.unlinked.append(where)
            continue
        links_left -= len(matches)
        kind = "routes_to" if selector_node.type == "Service" else "protects"
        for workload in matches:
            graph.add_edge(selector_node.id, workload,
                           edge=Edge(selector_node.id, workload, kind, where, {"via": "selector"}))
        if kind == "routes_to" and matches:
            selection.selected[selector_node.id] = matches
    return selection


def _namespace(node: Node) -> str:
    return node.id.split(":", 2)[2].rsplit("/", 1)[0]
