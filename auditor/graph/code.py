"""Source files → the services whose code they are, and the calls their code makes → edges of those services.

A source file's node (auditor/code/facts.py) belongs to the service whose code it is. Evidence, in order (the
first step that finds an owner decides):

1. the compose services whose Dockerfile directory holds the file (nearest such directory on the way up,
   never above the service's build context), or that bind-mount the file or a directory above it;
   Several services built from one Dockerfile share its code, unless a service's name or command path
   (`go run ./cmd/frontend`) is a directory on the file's path: then it is that service's;
2. the compose service whose build context holds the file when that context is the service's alone; for a
   context several services share with Dockerfiles elsewhere, the one whose name or command path is a
   directory on the file's path below the context (other code there is a shared library: no owner);
3. a deployed service whose code location is not stated (a Kubernetes workload, a compose service run from an
   image) named like a directory on the file's path, nearest first (`registry/ts-seat-service` →
   `ts-seat-service/`), unless another folder of that name is nearer to the service (graph/resolve.py
   `NameClaims`: in a repository of several systems, each chapter's `orders/` is its own chapter's `orders`);
4. the owners of the nearest build file above the file (its project root: `pom.xml`, `package.json`, `go.mod`,
   …), which graph/buildfiles.py matched to services.

The file then `configures` each owner, so its settings (tracing, session store, pool, per-request connection)
are lifted like any config file's. Its calls become `calls` edges of each owner, resolved from the owner's own
scope: a literal host as any address; an address read from the environment (`env:USER_HOST`) through the
owner's environment (the edge its config gave the same key, or a bare host the key holds), else the default
the code gives; a call whose target stays unknown is kept in the code node's `unresolved_calls`.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from auditor.graph.buildfiles import dockerfile_path, normal_name, within
from auditor.graph.resolve import NameClaims
from auditor.knowledge import image_base
from auditor.model import Edge, Location, Node, host_ref
from auditor.parsers.keys import flat_key
from auditor.parsers.settings import bare_host, env_rows

_MAX_DEPTH = 64  # directory levels walked up from a file
_NOT_DEPLOYED = ("appconfig", "buildfile", "telemetry", "code")
_ADDRESS_EDGES = ("calls", "knows_address", "connects_to")
_SETTINGS_ONLY = frozenset({"shared_image", "shared_mount"})  # owners that take a file's settings but not its calls


def attach_code(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Add a `configures` edge from each source file's node to its owners; return code node id → the owners
    whose calls its calls are (not those that only share its image)."""
    code_nodes = sorted((n for _, n in graph.nodes(data="node") if n.source == "code" and n.kind == "config"),
                        key=lambda n: n.id)
    if not code_nodes:
        return {}
    owners = _Owners(graph)
    owners.claim_names(node.location.path for node in code_nodes)
    found: dict[str, list[str]] = {}
    for node in code_nodes:
        picked = owners.of(node.location.path)
        if owners.in_browser_project(node.location.path):
            # a Blazor WebAssembly project's code runs in users' browsers: its calls are theirs, not a service's
            node = dataclasses.replace(node, attrs={**node.attrs, "browser": True, "unresolved_calls": []})
            graph.nodes[node.id]["node"] = node
            found[node.id] = []
        else:
            found[node.id] = [service.id for service, _, via in picked if via not in _SETTINGS_ONLY]
        for service, where, via in picked:
            graph.add_edge(node.id, service.id, edge=Edge(node.id, service.id, "configures", where, {"via": via}))
    return found


@dataclass(frozen=True)
class Linked:
    """What calls into other packages say about a service's calls (graph/linkage.py): more owners of the call on a
    line of a code node, beans made where a dialed connection is handed to another package, and the services whose
    code gives no context a deadline."""

    owners: dict[str, dict[int, tuple[str, ...]]] = field(default_factory=dict)  # code node id → line → services
    beans: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # service → kind → beans
    deadline_free: frozenset[str] = frozenset()
    # services that serve gRPC and whose code sets no deadline: a request arrives with its caller's deadline, if any
    grpc_without_deadline: frozenset[str] = frozenset()


def owners_of_paths(graph: nx.MultiDiGraph, paths: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Path → (service id, via) of each owner the evidence above gives it, settings-only owners included."""
    owners = _Owners(graph)
    return {path: [(service.id, via) for service, _, via in owners.of(path)] for path in paths}


def owned_calls(graph: nx.MultiDiGraph, code_edges: Iterable[Edge], owners: dict[str, list[str]],
                mentions: dict[str, list[str]] | None = None, linked: Linked | None = None) -> Iterator[Edge]:
    """The calls each owner makes through its code, from the owner (targets `host:…` or node ids; the graph
    stage resolves hosts from the owner's scope). Calls with nowhere to go are added to the code node's
    `unresolved_calls`. Calls made in a class that no other file names (`mentions`: Java and C# files' type
    names) are dead code and no one's. `linked` (graph/linkage.py) adds the services that run a shared package's
    call because their code calls into it, the beans of connections handed across packages, and settles calls
    bounded only by their caller's context for services whose code never sets a deadline."""
    linked = linked or Linked()
    unresolved: dict[str, list[dict[str, object]]] = defaultdict(list)
    env_targets: dict[str, dict[str, list[tuple[str, Location | None]]]] = {}
    beans = _beans_by_owner(graph, linked)
    unused = _unused_classes(graph, mentions or {})

    def placed(owner_id: str, target: str, where: Location, attrs: dict[str, Any], source: str) -> Iterator[Edge]:
        """The edge(s) of one owner's call, its `env:` address looked up in the owner's environment (a call with
        nowhere to go is kept as the code node's unresolved call of that owner)."""
        if not target.startswith("env:"):
            yield Edge(owner_id, target, "calls", where, attrs)
            return
        if owner_id not in env_targets:
            env_targets[owner_id] = _environment(graph, owner_id)
        targets = env_targets[owner_id].get(flat_key(target[len("env:"):]), [])
        for resolved, at in targets:
            stated = {"address_path": at.path, "address_line": at.line} if at is not None else {}
            yield Edge(owner_id, resolved, "calls", where, {**attrs, "via_env": True, **stated})
        if not targets:
            unresolved[source].append({"line": where.line, "client": attrs.get("client"),
                                       "bounded": bool(attrs.get("bounds")),
                                       "bounds": list(attrs.get("bounds") or []),
                                       "default_timeout_s": attrs.get("default_timeout_s"),
                                       "key": attrs.get("key"), "owner": owner_id,
                                       **{k: attrs[k] for k in ("injected", "bean_path", "bean_line",
                                                                "context_without_deadline") if k in attrs}})

    def call_owners(ident: str, line: int) -> list[str]:
        more = linked.owners.get(ident, {}).get(line, ())
        return [*owners.get(ident, []), *(o for o in more if o not in owners.get(ident, []))]

    for edge in sorted(code_edges, key=lambda e: (e.location, e.target)):
        if (edge.location.path, edge.attrs.get("klass")) in unused:
            continue
        for owner_id in call_owners(edge.source, edge.location.line):
            attrs = _with_bean({**edge.attrs, "via_config": edge.source}, beans.get(owner_id, {}))
            attrs.pop("bean_target", None)  # the code states this call's own target
            attrs = _settled(attrs, owner_id in linked.deadline_free)
            if edge.kind != "calls":
                yield Edge(owner_id, edge.target, edge.kind, edge.location, attrs)
                continue
            yield from placed(owner_id, edge.target, edge.location, attrs, edge.source)
    kept: dict[str, list[Any]] = {}
    for ident, node in sorted(graph.nodes(data="node"), key=lambda item: item[0]):
        calls = node.attrs.get("unresolved_calls") if node.source == "code" else None
        if not calls or not isinstance(calls, list):
            continue
        rest: list[Any] = []
        for call in calls:
            if isinstance(call, dict) and (node.location.path, call.get("klass")) in unused:
                continue
            if not isinstance(call, dict) or call.get("owner"):
                rest.append(call)
                continue
            ids = call_owners(ident, int(call.get("line") or 0))
            judged: list[tuple[str, dict[str, Any]]] = []
            for owner_id in ids:
                resolved = _settled(_with_bean(call, beans.get(owner_id, {})), owner_id in linked.deadline_free)
                target = resolved.pop("bean_target", None)
                if isinstance(target, str) and target:
                    # the stub's connection is dialed elsewhere: the call goes where that dial goes
                    attrs = {k: v for k, v in resolved.items() if k not in ("line", "bounded")}
                    attrs.update({"code": node.attrs.get("language"), "via_config": ident,
                                  "protocol": "grpc" if call.get("client") == "grpc" else "http"})
                    if target.startswith("env:"):
                        attrs["key"] = target[len("env:"):]
                    yield from placed(owner_id, target, Location(node.location.path, int(call.get("line") or 1)),
                                      attrs, ident)
                    continue
                judged.append((owner_id, resolved))
            if judged and len(judged) == len(ids) and ids == owners.get(ident, []) and \
                    all(r == judged[0][1] for _, r in judged):
                rest.append(judged[0][1])  # the same for every owner of the file
            elif judged:
                rest.extend({**resolved, "owner": owner_id} for owner_id, resolved in judged)
            elif not ids:
                rest.append(call)
        if rest != calls or unresolved.get(ident):
            kept[ident] = rest
    for ident in sorted(set(kept) | set(unresolved)):
        node = graph.nodes[ident]["node"]
        calls = kept.get(ident, node.attrs.get("unresolved_calls") or [])
        graph.nodes[ident]["node"] = dataclasses.replace(node, attrs={**node.attrs,
                                                                      "unresolved_calls": calls + unresolved[ident]})


def _settled(attrs: dict[str, Any], deadline_free: bool, callers: tuple[str, ...] = ()) -> dict[str, Any]:
    """A call bounded only by its caller's context (`caller_context`), made by a service whose code gives no context
    a deadline (and, for a gRPC server, that `callers` call without one): that context has none, so the call is
    unbounded."""
    if not deadline_free or not attrs.get("caller_context") or "deferred" not in (attrs.get("bounds") or []):
        return attrs
    bounds = [b for b in attrs["bounds"] if b != "deferred"]
    return {**attrs, "bounds": bounds, **({"bounded": bool(bounds)} if "bounded" in attrs else {}),
            "context_without_deadline": True, **({"callers_without_deadline": list(callers)} if callers else {})}


def settle_grpc_servers(graph: nx.MultiDiGraph, linked: Linked, rounds: int = 8) -> None:
    """A gRPC server whose code sets no deadline passes on its caller's: when a service of the repository calls it
    with nothing that bounds the call (no deadline on the context, no timeout), those requests arrive without one,
    and the server's calls made with their context are unbounded too (frontend → search → geo). Settled hop by
    hop, a few rounds."""
    settled: set[str] = set()
    for _ in range(rounds):
        changed = False
        for server in sorted(linked.grpc_without_deadline - settled):
            if server not in graph:
                continue
            callers = sorted({graph.nodes[source]["node"].name
                              for source, _, edge in graph.in_edges(server, data="edge")
                              if edge.kind == "calls" and source != server and edge.attrs.get("code")
                              and edge.attrs.get("protocol") == "grpc" and not edge.attrs.get("bounds")})
            if not callers:
                continue
            settled.add(server)
            changed = True
            for _, target, key, data in list(graph.out_edges(server, keys=True, data=True)):
                edge: Edge = data["edge"]
                attrs = _settled(edge.attrs, True, tuple(callers))
                if attrs is not edge.attrs:
                    graph.edges[server, target, key]["edge"] = dataclasses.replace(edge, attrs=attrs)
            for source, _, edge in list(graph.in_edges(server, data="edge")):
                node: Node = graph.nodes[source]["node"]
                if edge.kind != "configures" or node.source != "code":
                    continue
                calls = node.attrs.get("unresolved_calls") or []
                mine = [_settled(c, True, tuple(callers)) if isinstance(c, dict) and c.get("owner") == server else c
                        for c in calls]
                if mine != calls:
                    graph.nodes[source]["node"] = dataclasses.replace(node, attrs={**node.attrs,
                                                                                    "unresolved_calls": mine})
        if not changed:
            return


def _build_file_dir(node: Node) -> str:
    return str(node.attrs.get("dir") or posixpath.dirname(node.location.path) or ".")


def _project_dir(node: Node) -> str | None:
    """The project root a build file marks (`pom.xml`, `package.json`, a `.csproj`; not a Dockerfile), or None."""
    if node.source != "buildfile" or node.kind != "config" or node.type == "dockerfile":
        return None
    return _build_file_dir(node)


# What using an ASP.NET Core session looks like in C# or a Razor view: `HttpContext.Session` (`Context.Session`);
# the session is reached only through the request's HttpContext (an `ISession` parameter is not a use on its own:
# extension methods take one).
_SESSION_USES = frozenset({"Session"})


def drop_unused_sessions(graph: nx.MultiDiGraph, mentions: dict[str, list[str]]) -> None:
    """An ASP.NET Core session registered (`AddSession`) in a project whose code and views never name
    `Session` holds nothing: its `session_store` setting says nothing about where state lives, so it is dropped."""
    if not mentions:
        return
    projects = {project for _, node in graph.nodes(data="node") if (project := _project_dir(node)) is not None}
    using = [path for path, names in mentions.items() if _SESSION_USES & set(names)]
    for ident, node in list(graph.nodes(data="node")):
        if node.source != "code" or not any(s.topic == "session_store" and s.framework == "aspnetcore-session"
                                            for s in node.settings):
            continue
        project = next((d for d in parents(node.location.path) if d in projects), ".")
        if any(within(path, project) for path in using):
            continue
        kept = tuple(s for s in node.settings
                     if not (s.topic == "session_store" and s.framework == "aspnetcore-session"))
        graph.nodes[ident]["node"] = dataclasses.replace(node, settings=kept)


def _unused_classes(graph: nx.MultiDiGraph, mentions: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(path, class) of the plain Java/C# classes that no other file of the repository names, by their own name
    or a base they implement: nothing creates, injects or imports them, so their calls never run (a leftover
    `ProxyingAssetsService`; an `OrderApiClient` registered for injection that no constructor asks for)."""
    if not mentions:
        return set()
    named: dict[str, set[str]] = defaultdict(set)
    for path, names in mentions.items():
        for name in names:
            named[name].add(path)
    unused: set[tuple[str, str]] = set()
    for _, node in graph.nodes(data="node"):
        classes = node.attrs.get("classes") if node.source == "code" else None
        if not isinstance(classes, dict):
            continue
        path = node.location.path
        for name, bases in classes.items():
            if not any(named.get(n, set()) - {path} for n in (name, *(bases or ()))):
                unused.add((path, name))
    return unused


def _beans_by_owner(graph: nx.MultiDiGraph, linked: Linked) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Owner id → client kind → the beans of that kind its code builds (code/facts.py `beans`), from every code
    file that configures it (shared library code too: a configuration class is rarely in the caller's folder),
    and from a shared package whose constructor its code calls (`linked`: the owners of the bean's line)."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for ident, node in graph.nodes(data="node"):
        if node.source != "code" or not node.attrs.get("beans"):
            continue
        configured = [owner for _, owner, edge in graph.out_edges(ident, data="edge") if edge.kind == "configures"]
        for bean in node.attrs["beans"]:
            if not isinstance(bean, dict) or not isinstance(bean.get("kind"), str):
                continue
            more = linked.owners.get(ident, {}).get(int(bean.get("line") or 0), ())
            for owner in [*configured, *(o for o in more if o not in configured)]:
                found[owner][bean["kind"]].append(bean)
    for owner, kinds in linked.beans.items():
        for kind, beans in kinds.items():
            found[owner][kind].extend(b for b in beans if b not in found[owner][kind])
    return found


def _with_bean(attrs: dict[str, Any], beans: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A call whose client is injected (`deferred`) gets the bounds of the one bean of that kind its owner builds
    (`WebClient.Builder` from a `@Bean` method with no timeout: unbounded), and its target as `bean_target` where
    the bean states one (a gRPC stub's dial); with none, or several that differ, the bound stays decided
    elsewhere. A deferral to the caller's context (`caller_context`) is not the bean's to decide: it stays."""
    kind = attrs.get("injected")
    candidates = beans.get(kind, []) if isinstance(kind, str) else []
    shapes = {(tuple(b.get("bounds") or ()), b.get("default_timeout_s"), b.get("target")) for b in candidates}
    if len(shapes) != 1:
        return attrs
    bean = min(candidates, key=lambda b: (str(b.get("path")), int(b.get("line") or 0)))
    # what the call site shows itself (a CancellationToken timeout, a breaker) stays; the client's own default
    # and "decided elsewhere" give way to what the bean is built with
    kept = ("default_timeout",) if attrs.get("caller_context") else ("deferred", "default_timeout")
    shown = {b for b in attrs.get("bounds") or [] if b not in kept}
    bounds = shown | set(bean.get("bounds") or [])
    if bounds & {"timeout", "circuit_breaker"}:
        bounds.discard("deferred")  # a timeout or breaker on the client bounds the call whatever the context
    if "timeout" in bounds:
        bounds.discard("default_timeout")
    resolved = {**attrs, "bounds": sorted(bounds), "bean_path": bean.get("path"), "bean_line": bean.get("line")}
    resolved.pop("default_timeout_s", None)
    if "default_timeout" in bounds and bean.get("default_timeout_s") is not None:
        resolved["default_timeout_s"] = bean["default_timeout_s"]
    if isinstance(bean.get("target"), str) and bean["target"]:
        resolved["bean_target"] = bean["target"]
    return resolved


def _environment(graph: nx.MultiDiGraph, owner_id: str) -> dict[str, list[tuple[str, Location | None]]]:
    """Normalised key → what the owner's configuration says it addresses, with the line that says so: the
    targets of the edges its config made for that key, else `host:<value>` for a key holding a bare host."""
    found: dict[str, list[tuple[str, Location | None]]] = defaultdict(list)
    for _, target, edge in sorted(graph.out_edges(owner_id, data="edge"), key=lambda e: (e[2].location, e[1])):
        key = edge.attrs.get("key")
        if edge.kind in _ADDRESS_EDGES and isinstance(key, str) and \
                all(target != known for known, _ in found[flat_key(key)]):
            found[flat_key(key)].append((target, edge.location))
    owner: Node = graph.nodes[owner_id]["node"]
    for key, value, line in _env_entries(owner):
        host = bare_host(key, value)
        normal = flat_key(key)
        if host is not None and not found.get(normal):
            found[normal].append((host_ref(host), Location(owner.location.path, line)))
    return dict(found)


def _env_entries(node: Node) -> Iterator[tuple[str, str | None, int]]:
    """(key, value, line) of a service's environment as its parser kept it: a compose service's `env`, each
    Kubernetes container's `env`."""
    yield from env_rows(node.attrs.get("env"))
    for container in node.attrs.get("containers") or []:
        if isinstance(container, dict):
            yield from env_rows(container.get("env"))


_Owner = tuple[Node, Location, str]


class _Owners:
    """Indexes of the evidence above, built once, so finding a file's owners is a walk up its path."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.dockerfile_dirs: dict[str, list[tuple[Node, str]]] = defaultdict(list)  # dir → (service, context)
        self.contexts: dict[str, list[Node]] = defaultdict(list)
        self.mounts: dict[str, list[tuple[Node, int]]] = defaultdict(list)
        self.named: dict[str, list[Node]] = defaultdict(list)
        self.projects: dict[str, list[_Owner]] = {}
        self.project_dirs: set[str] = set()
        self.browser_dirs: set[str] = set()
        self.claims = NameClaims()  # filled by `claim_names` once every index is built
        for _, node in sorted(graph.nodes(data="node"), key=lambda item: item[0]):
            if node.kind == "service" and node.source == "compose":
                self._add_compose(node)
            if node.kind == "service" and node.source not in _NOT_DEPLOYED and not node.attrs.get("missing") \
                    and not node.attrs.get("build_context"):
                for name in {normal_name(node.name), normal_name(image_base(node.attrs.get("image")))} - {""}:
                    self.named[name].append(node)
            if node.source != "buildfile" or node.kind != "config":
                continue
            directory = _build_file_dir(node)
            if _project_dir(node) is not None:
                self.project_dirs.add(directory)
                if node.attrs.get("browser"):
                    self.browser_dirs.add(directory)
            if not node.attrs.get("test"):
                owners = [(graph.nodes[target]["node"], Location(node.location.path, 1), "project")
                          for _, target, edge in graph.out_edges(node.id, data="edge") if edge.kind == "configures"]
                if owners:
                    self.projects.setdefault(directory, []).extend(owners)

    def _add_compose(self, service: Node) -> None:
        context = service.attrs.get("build_context")
        if isinstance(context, str):
            context = posixpath.normpath(context)
            self.contexts[context].append(service)
            path = dockerfile_path(service)
            if path is not None:
                self.dockerfile_dirs[posixpath.dirname(path) or "."].append((service, context))
        for volume in service.attrs.get("volumes") or []:
            if isinstance(volume, dict) and isinstance(volume.get("repo_path"), str):
                line = int(volume.get("line") or service.location.line)
                self.mounts[posixpath.normpath(volume["repo_path"])].append((service, line))

    def in_browser_project(self, path: str) -> bool:
        """The file's nearest project root is a browser project (Blazor WebAssembly)."""
        nearest = next((d for d in parents(path) if d in self.project_dirs), None)
        return nearest is not None and nearest in self.browser_dirs

    def of(self, path: str) -> list[_Owner]:
        directories = list(parents(path))
        for step in (self._by_dockerfile, self._by_context, self._by_name, self._by_project):
            found = step(path, directories)
            if found and step in (self._by_dockerfile, self._by_context):
                # The same project deployed by Kubernetes, Helm or ECS is found by name only (its image comes
                # from a registry): `src/ui` built by compose is also the chart's `ui` Deployment.
                found += [owner for owner in self._by_name(path, directories) if owner[0].source != "compose"]
            if found:
                unique: dict[str, _Owner] = {}
                for owner in found:
                    unique.setdefault(owner[0].id, owner)
                return [unique[key] for key in sorted(unique)]
        return []

    def _by_dockerfile(self, path: str, directories: list[str]) -> list[_Owner]:
        found: list[_Owner] = []
        for current in [path, *directories]:
            mounting = self.mounts.get(current, [])
            if len({service.id for service, _ in mounting}) > 1:
                # One folder mounted into several containers (`./internal:/internal` for every Go service): a
                # file is a service's where its name, command or working directory selects the sub-folder; the
                # rest is shared library code, whose settings all of them get but whose calls none does.
                chosen = _selected(path, current, [service for service, _ in mounting])
                found += [(service, Location(service.location.path, line), "bind_mount" if chosen else "shared_mount")
                          for service, line in mounting if not chosen or service in chosen]
            else:
                found += [(service, Location(service.location.path, line), "bind_mount") for service, line in mounting]
            if mounting:
                break
        for directory in directories:
            hits = [(service, self._where(service), "dockerfile_dir")
                    for service, context in self.dockerfile_dirs.get(directory, []) if within(directory, context)]
            by_project: dict[str, list[_Owner]] = defaultdict(list)
            for hit in hits:
                by_project[_compose_project(hit[0])].append(hit)
            hits = []
            for group in by_project.values():
                if len(group) > 1:
                    # One image built for several services of one project (`web` and `worker` from `build: .`): the
                    # code is all of theirs, unless a service's name or command selects the sub-directory the file
                    # is in. Which of them runs a call in shared code is not known (`main.go` dials each
                    # subcommand's upstreams), so such owners get the file's settings but not its calls (via
                    # `shared_image`). The same build in another compose project (an app-wide compose file that
                    # includes the service's own) is that service deployed again: its calls are its own there too.
                    chosen = _selected(path, directory, [service for service, _, _ in group])
                    group = [hit for hit in group if hit[0] in chosen] or [(s, w, "shared_image") for s, w, _ in group]
                hits += group
            if hits:
                return found + hits
        return found

    def _by_context(self, path: str, directories: list[str]) -> list[_Owner]:
        for directory in directories:
            services = self.contexts.get(directory, [])
            if len(services) == 1:
                return [(services[0], self._where(services[0]), "build_context")]
            if services:
                # Several services with their own Dockerfiles share this context: code outside every Dockerfile's
                # directory is a shared library, owned only where a service's name or command selects it.
                return [(s, self._where(s), "build_context") for s in _selected(path, directory, services)]
        return []

    def claim_names(self, paths: Iterable[str]) -> None:
        """Record the folder each source file's name step would name a service by (`NameClaims`)."""
        for path in paths:
            if (claimed := self._name_claim(list(parents(path)))) is not None:
                self.claims.claim(*claimed)

    def _name_claim(self, directories: list[str]) -> tuple[str, str] | None:
        # Only the file's project root (the nearest folder with a build file) and the folders above it name a
        # service: `ts-seat-service/src/…` is ts-seat-service's, but `BlazorClient/Basket/` is BlazorClient's
        # code about baskets, not the basket service's.
        root = next((index for index, d in enumerate(directories) if d in self.project_dirs), 0)
        for directory in directories[root:]:
            if directory == ".":
                break
            name = normal_name(posixpath.basename(directory))
            if self.named.get(name):
                return name, directory
        return None

    def _by_name(self, path: str, directories: list[str]) -> list[_Owner]:
        claimed = self._name_claim(directories)
        if claimed is None:
            return []
        name, directory = claimed
        return [(service, Location(path, 1), "name") for service in self.named[name]
                if self.claims.matched(name, directory, service)]  # not a same-named service of another system

    def _by_project(self, path: str, directories: list[str]) -> list[_Owner]:
        for directory in directories:
            if directory in self.projects:
                return self.projects[directory]
        return []

    @staticmethod
    def _where(service: Node) -> Location:
        return service.evidence.get("build_context", service.location)


def parents(path: str) -> Iterator[str]:
    """The directories above a repo-relative path, nearest first, ending with "."."""
    current = posixpath.dirname(path) or "."
    for _ in range(_MAX_DEPTH):
        yield current
        if current == ".":
            return
        current = posixpath.dirname(current) or "."


def _compose_project(service: Node) -> str:
    """The compose project directory a compose service is defined in (the scope of its node id)."""
    scoped = service.id.removeprefix("compose:service:")
    return posixpath.dirname(scoped) or "."


def _relative(path: str, directory: str) -> str:
    return path if directory == "." else path[len(directory) + 1:]


def _selected(path: str, directory: str, services: list[Node]) -> list[Node]:
    """The services whose name, or a directory their command runs from, is a directory on `path` below
    `directory`."""
    below = {normal_name(part) for part in _relative(path, directory).split("/")[:-1]}
    return [s for s in services if normal_name(s.name) in below or _command_dirs(s) & below]


def _command_dirs(service: Node) -> set[str]:
    """Directory names a service's command, entrypoint or working directory runs from (`go run ./cmd/frontend`,
    `python services/users/main.py`, `working_dir: /internal/trainer`): where one shared folder's code is
    selected per service."""
    words: set[str] = set()
    for attr in ("command", "entrypoint", "working_dir"):
        value = service.attrs.get(attr)
        parts = value if isinstance(value, list) else value.split() if isinstance(value, str) else []
        for part in parts[:64]:
            if isinstance(part, str) and "/" in part:
                words |= {normal_name(p) for p in part.split("/")[:-1] if p not in ("", ".", "..")}
                words.add(normal_name(part.rsplit("/", 1)[-1]))
    return words - {""}
