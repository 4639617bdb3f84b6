"""Facts from every file → one `networkx.MultiDiGraph`.

Each graph node holds its `Node` under the key "node"; each edge holds its `Edge` under "edge". Beyond
adding what parsers found, this stage makes the links no single file can: Kubernetes selectors matched to
pod labels (`graph/selectors.py`), hostnames resolved across formats (`graph/resolve.py`), app-config files
attached to the services that load them, and the config's connections lifted onto those services. An address the parser
could only call known (`knows_address` of purpose `mention`/`address`) becomes a call here when its host
resolves to a service; what a service is only given (an address book, its own name) stays known.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

import networkx as nx

from auditor.graph.buildfiles import attach_build_files
from auditor.graph.code import attach_code, drop_unused_sessions, owned_calls, settle_grpc_servers
from auditor.graph.compose_projects import resolve_projects
from auditor.graph.deployments import assign_deployments, compose_file_rank, separate_variants
from auditor.graph.image_behaviour import apply_image_behaviour
from auditor.graph.linkage import link_packages
from auditor.graph.per_request import per_request_connects, read_links
from auditor.graph.resolve import HostIndex, Nearest, enclosing_folders
from auditor.graph.roles import assign_roles
from auditor.graph.selectors import Selection, match_selectors
from auditor.model import RESOLVED_PURPOSES, Edge, Facts, Location, Node, Setting, Source, node_id
from auditor.parsers.appconfig import config_server_system

# Path parts that sit between a service's directory and its config files.
_CONFIG_SUBDIRS = ("src/main/resources", "src/main/resources/config", "config", "settings", "instance", "conf")
_LIFTED_KINDS = ("connects_to", "calls", "knows_address")
# Config formats that a process reads only when handed the file (an env_file, a mount, a COPY in its image).
_GIVEN_FORMATS = frozenset({"dotenv", "php", "nginx", "postgres", "mysql"})
# Env file names that are templates to copy, never loaded: `.env.example`, `.env.sample`, …
_ENV_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".tpl", ".dist")
# An address book: a config loaded whole by at least this many services that holds the call addresses of at
# least `_BOOK_SELF_ADDRESSES` of those same services. Per-service config does not list its own consumers'
# addresses; a shared directory does, and shows only that each consumer can reach each address.
_BOOK_CONSUMERS = 3
_BOOK_SELF_ADDRESSES = 2
# Node kinds an address resolves to that make it a call, and (for a scheme-less `host:port`) a connection.
_CALLED_KINDS = ("service", "load_balancer")
_CONNECTED_KINDS = ("datastore", "cache", "queue", "proxy")
# Directories of test configuration: they configure a test run, never a deployed service. `it` only as
# `src/it` (Maven's integration-test sources).
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "testdata", "test-data"})
_SRC_TEST_DIRS = frozenset({"test", "it", "testfixtures", "integrationtest", "integration-test"})
# A Spring profile file: `application-dev.yml`, `bootstrap-prod.properties` (the profile is group 1).
_SPRING_PROFILE_FILE = re.compile(r"^(?:application|bootstrap)-([\w.-]{1,100})\.(?:ya?ml|properties)$", re.IGNORECASE)
_MAX_PROFILE_SPLITS = 8  # `<app>-<profile>` splits tried per config-server file name
_SOURCES = ("terraform", "kubernetes", "compose", "appconfig")
_EdgeKey = tuple[str, str, str, Location]  # source, target, kind, evidence: one statement, however often read


def build_graph(facts: Iterable[Facts]) -> nx.MultiDiGraph:
    """The dependency graph of a repository, from the parsers' facts (order-independent); the bounds this stage
    hit are diagnostics in `graph.graph["diagnostics"]`."""
    all_facts = separate_variants(resolve_projects(sorted(facts, key=lambda f: f.path)))
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

    selection = match_selectors(graph)
    added = {_edge_key(data) for _, _, data in graph.edges(data="edge")}
    code_edges = [edge for edge in edges if edge.source.startswith("code:")]
    for edge in sorted(edges, key=_edge_order):
        if not edge.source.startswith("code:"):
            _add_edge(graph, edge, index, selection, added)
    _attach_app_config(graph)
    attach_build_files(graph, index, selection)
    code_owners = attach_code(graph)
    mentions = {f.path: f.extra["mentions"] for f in all_facts if f.kind == "code" and "mentions" in f.extra}
    drop_unused_sessions(graph, mentions)
    _lift_config_links(graph)
    code_paths = [f.path for f in all_facts if f.kind == "code"]
    links = [link for f in all_facts if f.kind == "code" and "links" in f.extra
             for link in [read_links(f.path, f.extra["links"])] if link is not None]
    per_request_connects(graph, links, code_paths)
    # Calls made in code are the owners' own (and those of the services whose code calls into the package that
    # makes them), resolved from each owner's scope and environment.
    linked = link_packages(graph, {f.path: f.extra for f in all_facts if f.kind == "code" and f.extra}, code_owners,
                           code_edges)
    for edge in owned_calls(graph, code_edges, code_owners, mentions, linked):
        _add_edge(graph, edge, index, selection, added)
    settle_grpc_servers(graph, linked)
    _published_addresses(graph)
    assign_deployments(graph)
    apply_image_behaviour(graph)
    assign_roles(graph)
    graph.graph["diagnostics"] = selection.diagnostics()
    return graph


def _edge_order(edge: Edge) -> tuple[str, int, str, str]:
    return (edge.location.path, edge.location.line, edge.source, edge.target)


def _edge_key(edge: Edge) -> _EdgeKey:
    """What makes two edges the same statement: ends, kind and evidence line."""
    return (edge.source, edge.target, edge.kind, edge.location)


def _merge_nodes(nodes: Iterable[Node]) -> dict[str, Node]:
    """One node per id: a service split over docker-compose.yml and its override is one service."""
    merged: dict[str, Node] = {}
    # Base definitions first, override files last: what an override states wins, as in compose itself. A
    # service that a test or CI compose file also defines is cited where the project defines it.
    for node in sorted(nodes, key=lambda n: (compose_file_rank(n), n.location.path, n.location.line)):
        previous = merged.get(node.id)
        if previous is None:
            merged[node.id] = node
            continue
        stated = {k: v for k, v in node.attrs.items() if v is not None}
        # A variant or test file (`docker-compose.ci.yml`) restates the service whole, as an alternative to the
        # project's file, not an overlay of it: it fills what the project's definition leaves out, but its own
        # defaults (no volumes, one replica) do not replace what the project states. An override wins.
        alternative = compose_file_rank(node) in (1, 2) and compose_file_rank(node) > compose_file_rank(previous)
        attrs = {**stated, **previous.attrs} if alternative else {**previous.attrs, **stated}
        if isinstance(previous.attrs.get("env"), list) and isinstance(node.attrs.get("env"), list):
            # compose merges `environment` per variable: an override's entries win, the base's others stay
            rows = [*node.attrs["env"], *previous.attrs["env"]] if alternative else \
                [*previous.attrs["env"], *node.attrs["env"]]
            attrs["env"] = list({row[0]: row for row in rows if isinstance(row, list) and row}.values())
        attrs["defined_at"] = [*previous.attrs.get("defined_at", [str(previous.location)]), str(node.location)]
        # A restatement without an image (an override adding ports) must not turn a database into a service.
        kind = node.kind if previous.kind == "service" and node.kind != "service" else previous.kind
        merged[node.id] = dataclasses.replace(
            previous,
            kind=kind,
            attrs=attrs,
            evidence={**node.evidence, **previous.evidence} if alternative else {**previous.evidence, **node.evidence},
            settings=previous.settings + node.settings,
        )
    return merged


def _add_edge(graph: nx.MultiDiGraph, edge: Edge, index: HostIndex, selection: Selection,
              added: set[_EdgeKey]) -> None:
    if edge.source not in graph:
        return
    target = edge.target
    if target.startswith("host:"):
        host = target[len("host:") :]
        holder: Node = graph.nodes[edge.source]["node"]
        resolved = index.resolve(host, holder)
        if resolved is None:
            if edge.kind == "calls" and _own_address(host, holder, edge):
                edge = dataclasses.replace(edge, kind="knows_address", attrs={**edge.attrs, "purpose": "self"})
            target = _external_node(graph, host, edge)
        else:
            edge = dataclasses.replace(edge, attrs={**edge.attrs, "host": host})
            behind = selection.routed(resolved, edge.location)
            if behind:
                # A call to a Kubernetes Service is a call to the workloads it selects (via: the Service).
                for workload in behind:
                    routed = dataclasses.replace(edge, attrs={**edge.attrs, "via": resolved})
                    _add_resolved(graph, _as_resolved(routed, graph.nodes[workload]["node"]), workload, added)
                return
            target = resolved
            edge = _as_resolved(edge, graph.nodes[target]["node"])
    elif target not in graph:
        if edge.source.startswith("terraform:"):
            return  # a reference to a resource type we do not model (security groups, IAM…)
        if edge.kind == "configures" and target.startswith("appconfig:"):
            return  # an env_file that does not exist or was not readable; discovery said so
        target = _missing_node(graph, target, edge)
    _add_resolved(graph, edge, target, added)


def _as_resolved(edge: Edge, target: Node) -> Edge:
    """An address of purpose `mention`/`address` whose host names a service of the repository is a call (a
    `host:port` naming a datastore, a connection): only the holder, not a browser, reaches an internal name."""
    if edge.kind != "knows_address" or edge.attrs.get("purpose") not in RESOLVED_PURPOSES:
        return edge
    purpose = edge.attrs["purpose"]
    attrs = {key: value for key, value in edge.attrs.items() if key != "purpose"}
    if target.kind in _CALLED_KINDS:
        return dataclasses.replace(edge, kind="calls", attrs={**attrs, "resolved_from": purpose})
    if target.kind in _CONNECTED_KINDS and purpose == "address":
        kind = "datastore" if target.kind == "proxy" else target.kind
        return dataclasses.replace(edge, kind="connects_to", attrs={**attrs, "target_kind": kind,
                                                                     "resolved_from": purpose})
    return edge


def _own_address(host: str, holder: Node, edge: Edge) -> bool:
    """A host that nothing resolves to but that is the holder's own name (`web` in web's `API_URL`)."""
    if holder.kind != "service" or edge.attrs.get("target_kind") == "external":
        return False
    return host.split(".", 1)[0] == holder.name.lower()


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
    service named like the file's service directory (of those of that name, the ones nearest the file: its own
    system's in a repository of several); else an implied service for that directory (a repo
    that is just a Django app still has a service: its settings describe it).

    Two kinds of file configure only the containers that are given them. A compose project's `.env` (marked
    `interpolates` by graph/compose_projects.py) is compose's interpolation source, not an environment: it
    reaches a service through `env_file:` or a bind mount, never through a build context, a name or an
    implied service. And a file a process reads only when handed it (`_GIVEN_FORMATS`: env files, php.ini,
    nginx, postgres and mysql configs) inside a compose project that no container loads configures nothing:
    it is a test run's env file or a recipe's spare config, not a service of its own.

    Only deployed configuration configures a deployment: a test resource (`src/test/resources`, `tests/`,
    `spec/`, `testdata/`) configures a service only when it is bind-mounted into one; a Spring profile file
    (`application-dev.yml`) only a service that activates that profile (its environment, a ConfigMap it
    loads, or the default `application.yml` beside it; no visible active profile means the default file
    only); and a config server's files (`config-repo/orders.yml`, see `appconfig.served_by_config_server`)
    configure the service whose `spring.application.name` or name they carry, never the server. In a
    repository that deploys services, a config that none of them loads implies a service only where a
    Dockerfile is (at or below its service directory): without one it is a shared library's or a tool's.
    """
    configs = [n for _, n in graph.nodes(data="node") if n.source == "appconfig" and n.kind == "config"]
    compose_nodes = [n for _, n in graph.nodes(data="node") if n.source == "compose"]
    compose_owners = _ComposeOwners(compose_nodes)
    compose_dirs = _compose_dirs(compose_nodes)
    deployed = _deployed_by_name(graph)
    dir_profiles = _default_file_profiles(configs)
    built_dirs = _dockerfile_ancestors(graph)
    orphans: list[tuple[str, Node]] = []
    profiled: list[tuple[Node, str, list[tuple[Node, Location, str]]]] = []
    served: list[Node] = []
    for config in configs:
        if any(edge.kind == "configures" for _, _, edge in graph.out_edges(config.id, data="edge")):
            continue
        if config.attrs.get("served"):
            served.append(config)
            continue
        config_dir = posixpath.dirname(config.location.path) or "."
        interpolation_source = bool(config.attrs.get("interpolates"))
        test = _test_resource(config_dir)
        profile = _spring_profile(config)
        owners = compose_owners.of(config, by_context=not interpolation_source and not test)
        if not owners and not (interpolation_source or test or (not config.settings and not any(
                graph.out_edges(config.id)))):
            service_dir = _service_dir(config_dir, config.type)
            named = _owner_by_name(deployed, service_dir)
            if named is not None:
                owners = [(named, Location(config.location.path, 1), "name")]
            elif not (config.type in _GIVEN_FORMATS and _below(config_dir, compose_dirs)):
                if (profile is None or profile in dir_profiles.get(config_dir, ())) and (
                        not deployed or service_dir in built_dirs):
                    orphans.append((service_dir, config))
                continue
        if profile is not None:
            profiled.append((config, profile, owners))
            continue
        for owner, where, via in owners:
            graph.add_edge(config.id, owner.id, edge=Edge(config.id, owner.id, "configures", where, {"via": via}))
    active: dict[str, set[str]] = {}  # service id → its active profiles, each asked once
    for config, profile, owners in profiled:
        beside = dir_profiles.get(posixpath.dirname(config.location.path) or ".", frozenset())
        for owner, where, via in owners:
            if profile in beside or profile in _active_profiles(graph, owner, active):
                graph.add_edge(config.id, owner.id, edge=Edge(config.id, owner.id, "configures", where, {"via": via}))
    _attach_served(graph, served)
    sole = _sole_descendants({directory for directory, _ in orphans})
    for directory, config in orphans:
        _implied_service(graph, config, sole[directory])


def _dockerfile_ancestors(graph: nx.MultiDiGraph) -> set[str]:
    """Every directory that holds a Dockerfile at or below it: where a deployable service's code can live."""
    found: set[str] = set()
    for _, node in graph.nodes(data="node"):
        if node.source == "buildfile" and node.type == "dockerfile":
            directory = posixpath.dirname(node.location.path) or "."
            while directory not in found:
                found.add(directory)
                if directory == ".":
                    break
                directory = posixpath.dirname(directory) or "."
    return found


def _test_resource(directory: str) -> bool:
    """True for a directory of test configuration (`src/test/resources`, `src/it/resources`, `tests/`, …)."""
    parts = [] if directory in (".", "") else directory.lower().split("/")
    return any(part in _TEST_DIRS or (part in _SRC_TEST_DIRS and index and parts[index - 1] == "src")
               for index, part in enumerate(parts))


def _spring_profile(config: Node) -> str | None:
    """`application-dev.yml` → "dev": the profile a Spring file belongs to (None for the default file)."""
    if config.type != "spring":
        return None
    match = _SPRING_PROFILE_FILE.match(posixpath.basename(config.location.path))
    return match.group(1).lower() if match else None


def _profiles_of(settings: Iterable[Setting]) -> set[str]:
    return {name.lower() for s in settings if s.topic == "spring_profiles" for name in str(s.value).split(",")}


def _default_file_profiles(configs: list[Node]) -> dict[str, frozenset[str]]:
    """Directory → the profiles its default Spring file (`application.yml`, `bootstrap.yml`) activates."""
    found: dict[str, set[str]] = defaultdict(set)
    for config in configs:
        if config.type == "spring" and _spring_profile(config) is None and not config.attrs.get("served"):
            found[posixpath.dirname(config.location.path) or "."] |= _profiles_of(config.settings)
    return {directory: frozenset(names) for directory, names in found.items() if names}


def _active_profiles(graph: nx.MultiDiGraph, service: Node, cache: dict[str, set[str]]) -> set[str]:
    """The profiles a deployed service activates: its own environment, or a config already loaded into it
    (a ConfigMap in `envFrom`, an `env_file`). Kept in `cache`: a service many files configure is walked once."""
    found = cache.get(service.id)
    if found is None:
        found = cache[service.id] = _profiles_of(service.settings)
        for source, _, edge in graph.in_edges(service.id, data="edge"):
            if edge.kind == "configures":
                found |= _profiles_of(graph.nodes[source]["node"].settings)
    return found


def _attach_served(graph: nx.MultiDiGraph, served: list[Node]) -> None:
    """A config server's `<app>.yml` / `<app>-<profile>.yml` configures the service of that application name
    (its `spring.application.name`, else its deployed name), for a profile only when that service activates it;
    a file that names no service configures nothing."""
    if not served:
        return
    by_name: dict[str, set[str]] = defaultdict(set)
    for _, node in graph.nodes(data="node"):
        if node.kind == "service" and node.source != "appconfig":
            by_name[node.name.lower()].add(node.id)
    for source, target, edge in graph.edges(data="edge"):
        if edge.kind == "configures" and graph.nodes[target]["node"].kind == "service":
            for setting in graph.nodes[source]["node"].settings:
                if setting.topic == "app_name":
                    by_name[str(setting.value).lower()].add(target)
    active: dict[str, set[str]] = {}
    for config in served:
        stem = posixpath.basename(config.location.path).rsplit(".", 1)[0].lower()
        splits = [(stem[:i], stem[i + 1:]) for i in range(len(stem) - 1, 0, -1) if stem[i] == "-"]
        candidates: list[tuple[str, str | None]] = [(stem, None), *splits[:_MAX_PROFILE_SPLITS]]
        system = config_server_system(config.location.path) or "."
        for name, profile in candidates:
            owners = _in_own_system(sorted(by_name.get(name, ())), system, graph)
            if not owners:
                continue
            where = Location(config.location.path, 1)
            for owner in owners:
                if profile is None or profile in _active_profiles(graph, graph.nodes[owner]["node"], active):
                    graph.add_edge(config.id, owner, edge=Edge(config.id, owner, "configures", where,
                                                               {"via": "config_server"}))
            break


def _in_own_system(owners: list[str], system: str, graph: nx.MultiDiGraph) -> list[str]:
    """The services among `owners` in the innermost folder, from `system` up to the root, that holds any of them:
    a config server serves its own system, so a repository of several (a book's chapters, a monorepo) does not
    have one chapter's `config-repo/auth-server.yml` configure every chapter's `auth-server`."""
    for folder in enclosing_folders(system):
        inside = [owner for owner in owners if graph.nodes[owner]["node"].location.path.startswith(folder + "/")]
        if inside:
            return inside
    return owners


class _ComposeOwners:
    """Compose services by build context and by bind-mounted file, so attaching N configs is not N × M.

    A build context holds the file, but the service's own code is where its Dockerfile is: when services
    share a context (`context: .`, one Dockerfile per service), a file below one service's Dockerfile
    directory belongs to the services built from that Dockerfile only. An env file reaches an image's
    process only under a name dotenv loaders read by default (`.env`, `.env.production`, not a template such
    as `.env.example`), in the context or Dockerfile directory itself; any other env file (`.e2e.env`,
    `api.env`) is for `env_file:` or for scripts.
    """

    def __init__(self, services: list[Node]) -> None:
        self.by_context: dict[str, list[Node]] = defaultdict(list)
        self.by_mount: dict[str, list[tuple[Node, Location]]] = defaultdict(list)
        self.dockerfile_dir: dict[str, str] = {}
        for service in services:
            context = service.attrs.get("build_context")
            if isinstance(context, str):
                self.by_context[posixpath.normpath(context)].append(service)
                dockerfile = service.attrs.get("dockerfile")
                if isinstance(dockerfile, str) and not dockerfile.startswith("/"):
                    self.dockerfile_dir[service.id] = posixpath.normpath(
                        posixpath.join(context, posixpath.dirname(dockerfile.replace("\\", "/"))))
            for volume in service.attrs.get("volumes") or []:
                if isinstance(volume, dict) and isinstance(volume.get("repo_path"), str):
                    line = int(volume.get("line") or service.location.line)
                    self.by_mount[volume["repo_path"]].append((service, Location(service.location.path, line)))

    def of(self, config: Node, by_context: bool = True) -> list[tuple[Node, Location, str]]:
        """Compose services whose build context holds the config file (unless `by_context` is False), or that
        bind-mount it."""
        path = config.location.path
        owners: list[tuple[Node, Location, str]] = []
        config_dir = directory = posixpath.dirname(path) or "."
        built: list[tuple[Node, str]] = []  # (service, its build context)
        while by_context:
            built.extend((service, directory) for service in self.by_context.get(directory, []))
            if directory == ".":
                break
            directory = posixpath.dirname(directory) or "."
        if config.type == "dotenv":
            loaded = _loaded_by_default(posixpath.basename(path))
            built = [(service, context) for service, context in built
                     if loaded and config_dir in (context, self.dockerfile_dir.get(service.id))]
        else:
            own = [(len(self.dockerfile_dir[service.id]), service, context) for service, context in built
                   if service.id in self.dockerfile_dir and self.dockerfile_dir[service.id] != context
                   and _below(config_dir, {self.dockerfile_dir[service.id]})]
            if own:
                deepest = max(length for length, _, _ in own)
                built = [(service, context) for length, service, context in own if length == deepest]
        seen: set[str] = set()
        for service, _ in built:
            seen.add(service.id)
            owners.append((service, service.evidence.get("build_context", service.location), "build_context"))
        for service, where in self.by_mount.get(path, []):
            if service.id not in seen:
                seen.add(service.id)
                owners.append((service, where, "bind_mount"))
        return sorted(owners, key=lambda owner: owner[0].id)


def _loaded_by_default(name: str) -> bool:
    """An env file name that dotenv loaders read without being told (`.env`, `.env.local`, `.env.production`)."""
    lower = name.lower()
    return (lower == ".env" or lower.startswith(".env.")) and not lower.endswith(_ENV_TEMPLATE_SUFFIXES)


def _compose_dirs(services: list[Node]) -> set[str]:
    """The directories of the compose files that define services (each file is a project directory)."""
    dirs: set[str] = set()
    for service in services:
        for where in [str(service.location), *service.attrs.get("defined_at", [])]:
            path = str(where).rsplit(":", 1)[0]
            dirs.add(posixpath.dirname(path) or ".")
    return dirs


def _below(directory: str, roots: set[str]) -> bool:
    """True when `directory` is one of `roots` or below one (one walk up its path)."""
    while True:
        if directory in roots:
            return True
        if directory in (".", ""):
            return False
        directory = posixpath.dirname(directory) or "."


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


def _deployed_by_name(graph: nx.MultiDiGraph) -> Nearest[Node]:
    """Deployed services (not implied by a config file) by name, so naming an owner is a lookup."""
    deployed: Nearest[Node] = Nearest()
    for _, node in graph.nodes(data="node"):
        if node.kind == "service" and node.source != "appconfig":
            deployed.add(node.name, posixpath.dirname(node.location.path), node)
    return deployed


def _owner_by_name(deployed: Nearest[Node], directory: str) -> Node | None:
    """The one deployed service named like the config's directory or, failing that, one of its parents
    (`services/storefront/shop/settings.py` belongs to a Deployment `storefront`), among those of that name
    nearest the config (`Nearest`: in a repository of several systems, its own system's)."""
    parts = [] if directory == "." else directory.split("/")
    for name in reversed(parts[-3:]):
        named = deployed.of(name, directory)
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

    An env file brings a compose service only the keys its own `environment:` does not set: `environment`
    wins over `env_file` in compose, so that key's link and settings come from the compose line instead.
    A service gets what it loads: a `configMapKeyRef`/`secretKeyRef` (or a volume with `items`) brings only
    the keys it names, so only the links and settings stated on those keys' lines are lifted; `envFrom`, a
    whole-map volume, an `env_file` or a build context bring all of them. A config that is an address book
    (see `_address_books`) gives the services that load it whole `knows_address` edges, not calls; an
    unresolved host that is the service's own name is its own address.

    Edges already present and each service's settings so far are kept in sets, so a service that thousands
    of config files configure (a compose service built from the repository root) costs one pass, not a
    rescan of its parallel edges and settings per config.
    """
    settings: dict[str, tuple[list[Setting], set[Setting]]] = {}
    loads: list[tuple[Node, Node, tuple[Location, ...] | None, frozenset[str]]] = []
    # The adjacency is read directly, in the order graph.edges() gives: networkx's edge views cost more than the
    # rest of this function on a large repository (the view's length alone walks its edges).
    adjacency = graph._adj  # the plain dicts behind graph.adj
    for config_id, config in graph.nodes(data="node"):
        if config.kind != "config":
            continue
        for service_id, parallel in adjacency[config_id].items():
            service: Node = graph.nodes[service_id]["node"]
            for data in parallel.values():
                edge: Edge = data["edge"]
                if edge.kind != "configures" or service.kind == "config":
                    continue
                shadowed = frozenset(service.attrs.get("env_keys") or []) if edge.attrs.get("via") == "env_file" \
                    else frozenset()
                loads.append((config, service, _named_spans(config, edge), shadowed))
    configured = {service.id for _, service, _, _ in loads}
    present = {(u, v, data["edge"].kind, data["edge"].location) for u in configured
               for v, parallel in adjacency[u].items() for data in parallel.values()}
    # A config's links, found once: one loaded by many services was rescanned per service, configures edges too.
    links = {config_id: [(target, data["edge"]) for target, parallel in adjacency[config_id].items()
                         for data in parallel.values() if data["edge"].kind in _LIFTED_KINDS]
             for config_id in {config.id for config, _, _, _ in loads}}
    books = _address_books(graph, [(config, service, spans) for config, service, spans, _ in loads])
    for config, service, spans, shadowed in loads:
        book = config.id in books
        for target, link in links[config.id]:
            if target == service.id or link.attrs.get("key") in shadowed:
                continue
            if spans is not None and not _within(link.location, spans):
                continue
            kind, attrs = link.kind, {**link.attrs, "via_config": config.id}
            if kind == "calls" and book and spans is None:
                kind, attrs = "knows_address", {**attrs, "purpose": "address_book"}
            elif kind == "calls" and _own_address(str(link.attrs.get("host") or target.rsplit(":", 1)[-1]),
                                                   service, link) and graph.nodes[target]["node"].kind == "external":
                kind, attrs = "knows_address", {**attrs, "purpose": "self"}
            key = (service.id, target, kind, link.location)
            if key not in present:
                present.add(key)
                graph.add_edge(service.id, target, edge=Edge(service.id, target, kind, link.location, attrs))
        if config.settings:
            if service.id not in settings:
                settings[service.id] = (list(service.settings), set(service.settings))
            merged, known = settings[service.id]
            extra = [setting for setting in config.settings if setting not in known and setting.key not in shadowed
                     and (spans is None or _within(setting.location, spans))]
            merged.extend(extra)
            known.update(extra)
    for service_id, (merged, _) in settings.items():
        service = graph.nodes[service_id]["node"]
        if len(merged) != len(service.settings):
            graph.nodes[service_id]["node"] = dataclasses.replace(service, settings=tuple(merged))


def _named_spans(config: Node, edge: Edge) -> tuple[Location, ...] | None:
    """The lines of the keys a `configures` edge brings, or None when it brings the whole config.

    `env[].valueFrom.configMapKeyRef/secretKeyRef` names one key (`key`); a configMap/secret volume with
    `items` names several (`keys`). A key the object does not define brings nothing.
    """
    if edge.attrs.get("via") == "env":
        names = [edge.attrs.get("key")]
    elif isinstance(edge.attrs.get("keys"), list | tuple):
        names = list(edge.attrs["keys"])
    else:
        return None
    return tuple(span for name in names if isinstance(name, str)
                 and (span := config.evidence.get(f"data.{name}")) is not None)


def _within(location: Location, spans: tuple[Location, ...]) -> bool:
    return any(location.path == span.path and span.line <= location.line <= span.end_line for span in spans)


def _address_books(graph: nx.MultiDiGraph, loads: list[tuple[Node, Node, tuple[Location, ...] | None]]) -> set[str]:
    """Configs loaded whole by `_BOOK_CONSUMERS`+ services that hold calls to `_BOOK_SELF_ADDRESSES`+ of them.

    Such a file (a shared `.env` as every service's `env_file`, a ConfigMap in every workload's `envFrom`)
    is a directory of the deployment's addresses: it shows that each consumer can reach each address, not
    that it calls it. A service that takes one key of it (`configMapKeyRef`) chose that address and calls it.
    """
    consumers: dict[str, set[str]] = defaultdict(set)
    for config, service, spans in loads:
        if spans is None:
            consumers[config.id].add(service.id)
    books = set()
    for config_id, services in consumers.items():
        if len(services) < _BOOK_CONSUMERS:
            continue
        called = {target for _, target, edge in graph.out_edges(config_id, data="edge") if edge.kind == "calls"}
        if len(called & services) >= _BOOK_SELF_ADDRESSES:
            books.add(config_id)
    return books


def _published_addresses(graph: nx.MultiDiGraph) -> None:
    """A compose service's call to an unresolved host on a port that a service of its own project publishes is
    that service seen from outside (`http://${ESHOP_EXTERNAL_DNS_NAME_OR_IP}:5101` for catalog's `5101:80`):
    an address for browsers and clients beyond the compose network, where server code would use the service
    name. It becomes `knows_address` (purpose `published`)."""
    published: dict[tuple[str, int], str] = {}
    for _, node in graph.nodes(data="node"):
        if node.source == "compose" and node.kind != "config":
            project = posixpath.dirname(node.location.path) or "."
            for port in node.attrs.get("published_ports") or []:
                if isinstance(port, int):
                    published.setdefault((project, port), node.id)
    if not published:
        return
    for source, target, key, edge in list(graph.edges(keys=True, data="edge")):
        holder: Node = graph.nodes[source]["node"]
        if edge.kind != "calls" or holder.source != "compose" or graph.nodes[target]["node"].kind != "external":
            continue
        port = edge.attrs.get("port")
        project = posixpath.dirname(holder.location.path) or "."
        if isinstance(port, int) and (project, port) in published:
            graph.remove_edge(source, target, key)
            graph.add_edge(source, target, edge=dataclasses.replace(
                edge, kind="knows_address", attrs={**edge.attrs, "purpose": "published",
                                                   "published_by": published[(project, port)]}))
