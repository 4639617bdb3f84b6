"""Build files, Dockerfiles and telemetry configs → the services whose code or process they describe.

A build file (parsers/buildfiles.py) belongs to the service built from its code; a tracer's config file
(parsers/telemetry.py) to the service that reads it. In order, an owner is:

- a compose service whose build uses the file: its Dockerfile is this Dockerfile; or the file lies in the
  Dockerfile's directory or in a directory between that and the build context (a parent `pom.xml`, a root
  `go.mod`), never above the context (not sent to the build) nor in a sibling project's directory; or it
  bind-mounts the file (or a directory holding it);
- the service an app-config file implied for the same directory (graph/build.py `_implied_service`);
- a deployed service whose code location is not stated (a Kubernetes workload, a compose service run from
  an image) named like the project: the name the build file declares (artifactId, package or module name,
  .NET project file name), else its directory's name, compared without case with `.`/`_` as `-`, against
  the service's name or its image's base name. Every such service of its own system gets it, the same code
  deployed twice (compose and manifests) being traced the same way in both; a service that another project of
  that name is nearer to (another chapter's or product's, graph/resolve.py `NameClaims`) is that project's.

The file then `configures` each owner, so graph/build.py lifts its settings (`tracing_library`,
`metrics_library`, a Dockerfile's `tracing`) onto the service like any app-config file's. Build files of test
projects and files that declare no telemetry attach to nothing: the graph only carries evidence.

Prometheus and collector configs are not any service's configuration: each `scrape_target` they (or a
ConfigMap holding one) name becomes a `scrapes` edge to the service its host resolves to (through a
Kubernetes Service to the workloads it selects), resolved from the compose service that mounts the config
when one does. Targets that name nothing in the repository are dropped, not kept as external nodes.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterator

import networkx as nx

from auditor.graph.resolve import HostIndex, NameClaims, scope_of
from auditor.graph.selectors import Selection
from auditor.knowledge import image_base
from auditor.model import Edge, Location, Node

_OWNED_SOURCES = ("buildfile", "telemetry")
_NOT_DEPLOYED = ("appconfig", "buildfile", "telemetry")  # nodes these sources make are not deployed services
_DEFAULT_DOCKERFILES = ("Dockerfile", "Containerfile")
_SEPARATORS = re.compile(r"[._\s]+")
_Owner = tuple[Node, Location, str]  # (service, evidence of the link, via)


def attach_build_files(graph: nx.MultiDiGraph, index: HostIndex, selection: Selection) -> None:
    """Give each build file, Dockerfile and tracer config its owners; turn scrape targets into edges."""
    owned = sorted((n for _, n in graph.nodes(data="node") if n.source in _OWNED_SOURCES and n.kind == "config"),
                   key=lambda n: n.id)
    scrapers = sorted((n for _, n in graph.nodes(data="node")
                       if n.kind == "config" and any(s.topic == "scrape_target" for s in n.settings)),
                      key=lambda n: n.id)
    if not owned and not scrapers:
        return
    compose = _ComposeCode([n for _, n in graph.nodes(data="node") if n.source == "compose"])
    implied: dict[str, list[Node]] = defaultdict(list)
    named: dict[str, list[Node]] = defaultdict(list)
    for _, node in graph.nodes(data="node"):
        if node.kind != "service" or node.attrs.get("missing"):
            continue
        if node.source == "appconfig" and node.attrs.get("implied"):
            implied[scope_of(node.id)].append(node)
        elif node.source not in _NOT_DEPLOYED and not node.attrs.get("build_context"):
            for name in {normal_name(node.name), normal_name(image_base(node.attrs.get("image")))} - {""}:
                named[name].append(node)
    attached = [node for node in owned
                if not (node.attrs.get("test") or not node.settings or node.type in ("prometheus", "otel-collector"))]
    claims = NameClaims()
    for node in attached:
        if (claimed := _claimed_name(node, named)) is not None:
            claims.claim(*claimed)
    for node in attached:
        for owner, where, via in _owners(node, compose, implied, named, claims):
            graph.add_edge(node.id, owner.id, edge=Edge(node.id, owner.id, "configures", where, {"via": via}))
    for config in scrapers:
        _add_scrapes(graph, index, selection, compose, config)


def _owners(node: Node, compose: _ComposeCode, implied: dict[str, list[Node]], named: dict[str, list[Node]],
            claims: NameClaims) -> list[_Owner]:
    found: dict[str, _Owner] = {}
    for owner in compose.of(node):
        found.setdefault(owner[0].id, owner)
    whole_file = Location(node.location.path, 1)
    if _names_its_project(node):
        for service in implied.get(_directory(node), []):
            found.setdefault(service.id, (service, whole_file, "directory"))
        if (claimed := _claimed_name(node, named)) is not None:
            name, folder = claimed
            for service in named[name]:
                if claims.matched(name, folder, service):  # not a same-named service of another system
                    found.setdefault(service.id, (service, whole_file, "name"))
    return [found[key] for key in sorted(found)]


def _directory(node: Node) -> str:
    return str(node.attrs.get("dir") or posixpath.dirname(node.location.path) or ".")


def _names_its_project(node: Node) -> bool:
    """A build file, tracer config or default-named Dockerfile says whose code its folder is (`api.Dockerfile` in a
    shared folder does not)."""
    return node.type != "dockerfile" or posixpath.basename(node.location.path) in _DEFAULT_DOCKERFILES


def _claimed_name(node: Node, named: dict[str, list[Node]]) -> tuple[str, str] | None:
    """(the service name a file's project claims, its folder): the project name it declares, else its folder's
    name, the first that some deployed service has; None when neither does."""
    if not _names_its_project(node):
        return None
    directory = _directory(node)
    for candidate in (normal_name(c) for c in (str(node.attrs.get("project") or ""), posixpath.basename(directory))):
        if candidate and named.get(candidate):
            return candidate, directory
    return None


class _ComposeCode:
    """Compose services by the directories their build reads and by the paths they bind-mount, so finding a
    file's owners is a walk up its path, not a scan of every service."""

    def __init__(self, services: list[Node]) -> None:
        self.by_dir: dict[str, list[_Owner]] = defaultdict(list)
        self.by_dockerfile: dict[str, list[_Owner]] = defaultdict(list)
        self.by_mount: dict[str, list[_Owner]] = defaultdict(list)
        for service in sorted(services, key=lambda n: n.id):
            where = service.evidence.get("build_context", service.location)
            for directory, via in _build_dirs(service):
                self.by_dir[directory].append((service, where, via))
            dockerfile = dockerfile_path(service)
            if dockerfile is not None:
                self.by_dockerfile[dockerfile].append((service, where, "dockerfile"))
            for volume in service.attrs.get("volumes") or []:
                if isinstance(volume, dict) and isinstance(volume.get("repo_path"), str):
                    line = int(volume.get("line") or service.location.line)
                    mount = posixpath.normpath(volume["repo_path"])
                    self.by_mount[mount].append((service, Location(service.location.path, line), "bind_mount"))

    def of(self, node: Node) -> list[_Owner]:
        path = node.location.path
        if node.type == "dockerfile":
            return list(self.by_dockerfile.get(path, []))
        directory = str(node.attrs.get("dir") or posixpath.dirname(path) or ".")
        return [*self.by_dir.get(directory, []), *self.mounting(path)]

    def mounting(self, path: str) -> Iterator[_Owner]:
        """Services that bind-mount `path` or a directory above it."""
        current = path
        for _ in range(64):
            yield from self.by_mount.get(current, [])
            parent = posixpath.dirname(current)
            if not parent or parent == current:
                return
            current = parent


def _build_dirs(service: Node) -> list[tuple[str, str]]:
    """The directories of a compose service's build whose build files are its own: the Dockerfile's
    directory, then each parent up to and including the build context."""
    context = service.attrs.get("build_context")
    if not isinstance(context, str):
        return []
    context = posixpath.normpath(context)
    dockerfile = dockerfile_path(service)
    start = (posixpath.dirname(dockerfile) or ".") if dockerfile else context
    if not within(start, context):
        return [(context, "build_context")]
    found = []
    current = start
    for _ in range(64):
        found.append((current, "build_context" if current == context else "dockerfile_dir"))
        if current == context:
            break
        current = posixpath.dirname(current) or "."
    return found


def dockerfile_path(service: Node) -> str | None:
    """The repo path of the Dockerfile a compose build uses (relative to its context), or None when outside."""
    context = service.attrs.get("build_context")
    if not isinstance(context, str):
        return None
    dockerfile = service.attrs.get("dockerfile")
    name = dockerfile if isinstance(dockerfile, str) and dockerfile.strip() else "Dockerfile"
    if name.startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(context, name))
    return None if path.startswith("..") else path


def within(directory: str, ancestor: str) -> bool:
    return ancestor == "." or directory == ancestor or directory.startswith(ancestor + "/")


def normal_name(name: str) -> str:
    """`Basket.API` → `basket-api`: names compared as Kubernetes and compose write them."""
    return _SEPARATORS.sub("-", name.strip().lower()).strip("-") if name else ""


def _add_scrapes(graph: nx.MultiDiGraph, index: HostIndex, selection: Selection, compose: _ComposeCode,
                 config: Node) -> None:
    mounted = next(compose.mounting(config.location.path), None) if config.source == "telemetry" else None
    caller = mounted[0] if mounted is not None else config
    done: set[tuple[str, Location]] = set()
    for setting in config.settings:
        if setting.topic != "scrape_target" or not isinstance(setting.value, str):
            continue
        host = setting.value.rsplit(":", 1)[0] if setting.value.count(":") == 1 else setting.value
        resolved = index.resolve(host, caller)
        if resolved is None or resolved not in graph:
            continue
        for target in selection.routed(resolved, setting.location) or [resolved]:
            if target == config.id or (target, setting.location) in done:
                continue
            done.add((target, setting.location))
            graph.add_edge(config.id, target, edge=Edge(config.id, target, "scrapes", setting.location,
                                                        {"job": setting.key, "target": setting.value}))

