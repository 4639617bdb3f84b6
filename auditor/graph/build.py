"""Facts from every file → one `networkx.MultiDiGraph`.

Each graph node holds its `Node` under the key "node"; each edge holds its `Edge` under "edge". Beyond
adding what parsers found, this stage makes the links no single file can: Kubernetes selectors matched to
pod labels, hostnames resolved across formats (`graph/resolve.py`), app-config files attached to the
services that load them, and the config's connections lifted onto those services.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

import networkx as nx

from auditor.graph.buildfiles import attach_build_files
from auditor.graph.resolve import HostIndex
from auditor.model import Edge, Facts, Location, Node, Setting, Source, node_id

# Path parts that sit between a service's directory and its config files.
_CONFIG_SUBDIRS = ("src/main/resources", "src/main/resources/config", "config", "settings", "instance", "conf")
_LIFTED_KINDS = ("connects_to", "calls")
_SOURCES = ("terraform", "kubernetes", "compose", "appconfig")
_EdgeKey = tuple[str, str, str, Location]  # source, target, kind, evidence: one statement, however often read


def build_graph(facts: Iterable[Facts]) -> nx.MultiDiGraph:
    """The dependency graph of a repository, from the parsers' facts (order-independent)."""
    all_facts = sorted(facts, key=lambda f: f.path)
    nodes = _merge_nodes(node for f in all_facts for node in f.nodes)
    edges = [edge for f in all_facts for edge in f.edges]
    hostnames: dict[str, str] = {}
    for f in all_facts:
        hostnames.update(f.extra.get("hostnames", {}))

    graph = nx.MultiDiGraph()
    for node in nodes.values():
        graph.add_node(node.id, node=node)

    index = HostIndex()
    for node in nodes.values():
        index.add(node)
    index.add_terraform_hostnames({host: target for host, target in hostnames.items() if target in nodes})

    _match_selectors(graph)
    added = {_edge_key(data) for _, _, data in graph.edges(data="edge")}
    for edge in sorted(edges, key=_edge_order):
        _add_edge(graph, edge, index, added)
    _attach_app_config(graph)
    attach_build_files(graph, index)
    _lift_config_links(graph)
    return graph


def _edge_order(edge: Edge) -> tuple[str, int, str, str]:
    return (edge.location.path, edge.location.line, edge.source, edge.target)


def _edge_key(edge: Edge) -> _EdgeKey:
    """What makes two edges the same statement: ends, kind and evidence line."""
    return (edge.source, edge.target, edge.kind, edge.location)


def _merge_nodes(nodes: Iterable[Node]) -> dict[str, Node]:
    """One node per id: a service split over docker-compose.yml and its override is one service."""
    merged: dict[str, Node] = {}
    # Base definitions first, override files last: what an override states wins, as in compose itself.
    for node in sorted(nodes, key=lambda n: (bool(n.attrs.get("override_file")), n.location.path, n.location.line)):
        previous = merged.get(node.id)
        if previous is None:
            merged[node.id] = node
            continue
        attrs = {**previous.attrs, **{k: v for k, v in node.attrs.items() if v is not None}}
        attrs["defined_at"] = [*previous.attrs.get("defined_at", [str(previous.location)]), str(node.location)]
        # A restatement without an image (an override adding ports) must not turn a database into a service.
        kind = node.kind if previous.kind == "service" and node.kind != "service" else previous.kind
        merged[node.id] = dataclasses.replace(
            previous,
            kind=kind,
            attrs=attrs,
            evidence={**previous.evidence, **node.evidence},
            settings=previous.settings + node.settings,
        )
    return merged


def _add_edge(graph: nx.MultiDiGraph, edge: Edge, index: HostIndex, added: set[_EdgeKey]) -> None:
    if edge.source not in graph:
        return
    target = edge.target
    if target.startswith("host:"):
        host = target[len("host:") :]
        resolved = index.resolve(host, graph.nodes[edge.source]["node"])
        if resolved is None:
            target = _external_node(graph, host, edge)
        else:
            edge = dataclasses.replace(edge, attrs={**edge.attrs, "host": host})
            behind = _selected_workloads(graph, resolved)
            if behind:
                # A call to a Kubernetes Service is a call to the workloads it selects (via: the Service).
                for workload in behind:
                    _add_resolved(graph, dataclasses.replace(edge, attrs={**edge.attrs, "via": resolved}), workload,
                                  added)
                return
            target = resolved
    elif target not in graph:
        if edge.source.startswith("terraform:"):
            return  # a reference to a resource type we do not model (security groups, IAM…)
        if edge.kind == "configures" and target.startswith("appconfig:"):
            return  # an env_file that does not exist or was not readable; discovery said so
        target = _missing_node(graph, target, edge)
    _add_resolved(graph, edge, target, added)


def _add_resolved(graph: nx.MultiDiGraph, edge: Edge, target: str, added: set[_EdgeKey]) -> None:
    """Add `edge` to `target` unless the same statement is already there (`added` holds the edges' keys, so
    a file with thousands of links from one node is not a scan of its out-edges per link)."""
    if target == edge.source:
        return
    edge = dataclasses.replace(edge, target=target)
    key = _edge_key(edge)
    if key in added:
        return
    added.add(key)
    graph.add_edge(edge.source, target, edge=edge)


def _selected_workloads(graph: nx.MultiDiGraph, ident: str) -> list[str]:
    """The workloads a Kubernetes Service routes to by selector (empty for other nodes)."""
    node: Node = graph.nodes[ident]["node"]
    if node.source != "kubernetes" or node.type != "Service":
        return []
    return sorted(
        target for _, target, edge in graph.out_edges(ident, data="edge")
        if edge.kind == "routes_to" and edge.attrs.get("via") == "selector"
    )


def _external_node(graph: nx.MultiDiGraph, host: str, edge: Edge) -> str:
    """A host nothing in the repo answers to: kept as an `external` node, never dropped."""
    ident = node_id("external", "host", host)
    if ident not in graph:
        role = edge.attrs.get("target_kind", "external")
        node = Node(ident, "external", host, "appconfig", "host", edge.location, attrs={"host": host, "role": role})
        graph.add_node(ident, node=node)
    return ident


def _missing_node(graph: nx.MultiDiGraph, target: str, edge: Edge) -> str:
    """A named object (an Ingress's Service, an HPA's target) that no file defines."""
    if target not in graph:
        source, type_, rest = target.split(":", 2)
        name = rest.rsplit("/", 1)[-1]
        origin = cast(Source, source if source in _SOURCES else "appconfig")
        node = Node(target, "external", name, origin, type_, edge.location, attrs={"missing": True})
        graph.add_node(target, node=node)
    return target


def _match_selectors(graph: nx.MultiDiGraph) -> None:
    """Kubernetes Services route to, and PDBs protect, the workloads whose pod labels they select."""
    # (namespace, label, value) → workloads carrying it: a selector's matches are the intersection.
    carrying: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for _, node in graph.nodes(data="node"):
        labels = node.attrs.get("pod_labels")
        if node.source == "kubernetes" and isinstance(labels, dict):
            for key, value in labels.items():
                carrying[(_namespace(node), str(key), str(value))].add(node.id)
    for _, selector_node in list(graph.nodes(data="node")):
        if selector_node.source != "kubernetes" or selector_node.type not in ("Service", "PodDisruptionBudget"):
            continue
        selector = selector_node.attrs.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        namespace = _namespace(selector_node)
        matches = set.intersection(*(carrying.get((namespace, str(k), str(v)), set()) for k, v in selector.items()))
        kind = "routes_to" if selector_node.type == "Service" else "protects"
        where = selector_node.evidence.get("selector", selector_node.location)
        for workload in sorted(matches):
            graph.add_edge(selector_node.id, workload,
                           edge=Edge(selector_node.id, workload, kind, where, {"via": "selector"}))


def _namespace(node: Node) -> str:
    return node.id.split(":", 2)[2].rsplit("/", 1)[0]


def _service_dir(config_dir: str, config_type: str = "") -> str:
    """`services/orders/src/main/resources` → `services/orders`: where a config file's service lives.

    Django settings sit in the project package (`storefront/shop/settings.py`): the service is its parent.
    """
    if config_type == "django" and config_dir != ".":
        package = config_dir[: -len("/settings")] if config_dir.endswith("/settings") else config_dir
        config_dir = posixpath.dirname(package) or "."
    for suffix in sorted(_CONFIG_SUBDIRS, key=len, reverse=True):
        if config_dir == suffix:
            return "."
        if config_dir.endswith("/" + suffix):
            return config_dir[: -len(suffix) - 1]
    return config_dir


def _attach_app_config(graph: nx.MultiDiGraph) -> None:
    """Config files configure the services that load them; failing that, an implied service.

    In order: a compose service built from a directory holding the file, or bind-mounting it; a deployed
    service named like the file's service directory; else an implied service for that directory (a repo
    that is just a Django app still has a service: its settings describe it).
    """
    configs = [n for _, n in graph.nodes(data="node") if n.source == "appconfig" and n.kind == "config"]
    compose_owners = _ComposeOwners([n for _, n in graph.nodes(data="node") if n.source == "compose"])
    deployed = _deployed_by_name(graph)
    orphans: list[tuple[str, Node]] = []
    for config in configs:
        if any(edge.kind == "configures" for _, _, edge in graph.out_edges(config.id, data="edge")):
            continue
        config_dir = posixpath.dirname(config.location.path) or "."
        owners = compose_owners.of(config)
        if owners:
            for owner, where, via in owners:
                graph.add_edge(config.id, owner.id, edge=Edge(config.id, owner.id, "configures", where, {"via": via}))
            continue
        if not config.settings and not any(graph.out_edges(config.id)):
            continue
        service_dir = _service_dir(config_dir, config.type)
        named = _owner_by_name(deployed, service_dir)
        if named is not None:
            owner = named
            where = Location(config.location.path, 1)
            graph.add_edge(config.id, owner.id, edge=Edge(config.id, owner.id, "configures", where, {"via": "name"}))
            continue
        orphans.append((service_dir, config))
    sole = _sole_descendants({directory for directory, _ in orphans})
    for directory, config in orphans:
        _implied_service(graph, config, sole[directory])


class _ComposeOwners:
    """Compose services by build context and by bind-mounted file, so attaching N configs is not N × M."""

    def __init__(self, services: list[Node]) -> None:
        self.by_context: dict[str, list[Node]] = defaultdict(list)
        self.by_mount: dict[str, list[tuple[Node, Location]]] = defaultdict(list)
        for service in services:
            context = service.attrs.get("build_context")
            if isinstance(context, str):
                self.by_context[posixpath.normpath(context)].append(service)
            for volume in service.attrs.get("volumes") or []:
                if isinstance(volume, dict) and isinstance(volume.get("repo_path"), str):
                    line = int(volume.get("line") or service.location.line)
                    self.by_mount[volume["repo_path"]].append((service, Location(service.location.path, line)))

    def of(self, config: Node) -> list[tuple[Node, Location, str]]:
        """Compose services whose build context holds the config file, or that bind-mount it."""
        path = config.location.path
        owners: list[tuple[Node, Location, str]] = []
        seen: set[str] = set()
        directory = posixpath.dirname(path) or "."
        while True:
            for service in self.by_context.get(directory, []):
                seen.add(service.id)
                owners.append((service, service.evidence.get("build_context", service.location), "build_context"))
            if directory == ".":
                break
            directory = posixpath.dirname(directory) or "."
        for service, where in self.by_mount.get(path, []):
            if service.id not in seen:
                seen.add(service.id)
                owners.append((service, where, "bind_mount"))
        return sorted(owners, key=lambda owner: owner[0].id)


def _sole_descendants(directories: set[str]) -> dict[str, str]:
    """Each directory → the one other directory below it, if there is exactly one, else itself: a root `.env`
    above a single app directory belongs to that app, not to a second implied service.

    Each directory is registered with its ancestors (one walk up its path), never compared with every other.
    """
    below: dict[str, set[str]] = defaultdict(set)
    for directory in directories:
        ancestor = directory
        while ancestor != ".":
            parent = posixpath.dirname(ancestor) or "."
            if parent == ancestor:
                break
            ancestor = parent
            if ancestor in directories and len(below[ancestor]) < 2:  # two already means "not the only one"
                below[ancestor].add(directory)
    return {directory: next(iter(below[directory])) if len(below[directory]) == 1 else directory
            for directory in directories}


def _deployed_by_name(graph: nx.MultiDiGraph) -> dict[str, list[Node]]:
    """Deployed services (not implied by a config file) by name, so naming an owner is a lookup."""
    deployed: dict[str, list[Node]] = defaultdict(list)
    for _, node in graph.nodes(data="node"):
        if node.kind == "service" and node.source != "appconfig":
            deployed[node.name].append(node)
    return deployed


def _owner_by_name(deployed: dict[str, list[Node]], directory: str) -> Node | None:
    """The one deployed service named like the config's directory or, failing that, one of its parents
    (`services/storefront/shop/settings.py` belongs to a Deployment `storefront`)."""
    parts = [] if directory == "." else directory.split("/")
    for name in reversed(parts[-3:]):
        named = deployed.get(name, [])
        if len(named) == 1:
            return named[0]
        if named:
            return None  # ambiguous: two services share the name
    return None


def _implied_service(graph: nx.MultiDiGraph, config: Node, directory: str) -> None:
    name = posixpath.basename(directory) if directory != "." else "app"
    ident = node_id("appconfig", "service", name, scope=directory)
    if ident not in graph:
        node = Node(ident, "service", name, "appconfig", "application", Location(config.location.path, 1),
                    attrs={"implied": True, "replicas": None})
        graph.add_node(ident, node=node)
    where = Location(config.location.path, 1)
    graph.add_edge(config.id, ident, edge=Edge(config.id, ident, "configures", where, {"via": "directory"}))


def _lift_config_links(graph: nx.MultiDiGraph) -> None:
    """What a config file connects to, the services it configures connect to (evidence: the config line).

    Edges already present and each service's settings so far are kept in sets, so a service that thousands
    of config files configure (a compose service built from the repository root) costs one pass, not a
    rescan of its parallel edges and settings per config.
    """
    present = {(u, v, e.kind, e.location) for u, v, e in graph.edges(data="edge")}
    settings: dict[str, tuple[list[Setting], set[Setting]]] = {}
    for config_id, service_id, data in list(graph.edges(data=True)):
        edge: Edge = data["edge"]
        config: Node = graph.nodes[config_id]["node"]
        service: Node = graph.nodes[service_id]["node"]
        if edge.kind != "configures" or config.kind != "config" or service.kind == "config":
            continue
        for _, target, link_data in list(graph.out_edges(config_id, data=True)):
            link: Edge = link_data["edge"]
            if link.kind not in _LIFTED_KINDS or target == service_id:
                continue
            key = (service_id, target, link.kind, link.location)
            if key not in present:
                present.add(key)
                lifted = Edge(service_id, target, link.kind, link.location, {**link.attrs, "via_config": config_id})
                graph.add_edge(service_id, target, edge=lifted)
        if config.settings:
            if service_id not in settings:
                settings[service_id] = (list(service.settings), set(service.settings))
            merged, known = settings[service_id]
            extra = [setting for setting in config.settings if setting not in known]
            merged.extend(extra)
            known.update(extra)
    for service_id, (merged, _) in settings.items():
        service = graph.nodes[service_id]["node"]
        if len(merged) != len(service.settings):
            graph.nodes[service_id]["node"] = dataclasses.replace(service, settings=tuple(merged))
