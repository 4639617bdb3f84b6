"""Cross-format identity: which node does a hostname in a URL or setting name?

A host in `DATABASE_URL=postgres://db:5432/app` may be a compose service (`db`), a Kubernetes Service
(`db`, `db.shop`, `db.shop.svc`, `db.shop.svc.cluster.local`), or a Terraform resource whose endpoint or
identifier we know. Names are matched nearest-first: the caller's own compose project or namespace before
any other, then one in the innermost folder around the caller that holds any (a Spring `application.yml` under
`chapter06/review-service/` is answered by `chapter06/docker-compose.yml`'s `mysql`, not by another project's),
so two stacks that both have a `db` do not get crossed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from auditor.model import Node

_CLUSTER_SUFFIXES = (".svc.cluster.local", ".svc")
T = TypeVar("T")
MAX_FOLDER_DEPTH = 64  # folders of a scope looked at when matching nearest-first; real projects nest a dozen


@dataclass
class HostIndex:
    """Names a host may be called by → candidate node ids, with the scope each lives in."""

    compose: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    kubernetes: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    terraform: dict[str, str] = field(default_factory=dict)
    # (table, name) → its candidates by scope, made on first use: a name that thousands of namespaces or projects
    # define costs a few lookups per host, not a scan of its candidates.
    _scopes: dict[tuple[str, str], _Candidates] = field(default_factory=dict, repr=False)

    def add(self, node: Node) -> None:
        if node.source == "compose" and node.type == "service":
            scope = scope_of(node.id)
            names = {
                node.name,
                *_strings(node.attrs.get("aliases")),
                *_strings(node.attrs.get("hostname")),
                *_strings(node.attrs.get("container_name")),
            }
            for name in names:
                self.compose[name.lower()].append((scope, node.id))
            self._scopes.clear()
        elif node.source == "kubernetes" and node.type == "Service":
            self.kubernetes[node.name.lower()].append((scope_of(node.id), node.id))
            self._scopes.clear()

    def add_terraform_hostnames(self, hostnames: dict[str, str]) -> None:
        for host, target in hostnames.items():
            self.terraform[host.lower().rstrip(".")] = target

    def resolve(self, host: str, caller: Node | None) -> str | None:
        """The node id `host` names, or None when nothing in the repo answers to it."""
        host = host.lower().rstrip(".")
        caller_scope = scope_of(caller.id) if caller is not None else ""
        if host in self.terraform:
            return self.terraform[host]
        short = host.split(".", 1)[0]
        compose_hits = self._by_scope("compose", host)
        if compose_hits and (caller is None or caller.source != "kubernetes"):
            return _nearest(compose_hits, caller_scope)
        service, namespace = _kubernetes_name(host)
        if service is not None:
            hits = self._by_scope("kubernetes", service)
            if hits and namespace is None:
                return _nearest(hits, caller_scope)
            if hits and namespace is not None and namespace in hits.first:
                return hits.first[namespace]
        if compose_hits:
            return _nearest(compose_hits, caller_scope)
        if short != host and short in self.terraform:
            return self.terraform[short]
        return None

    def _by_scope(self, table: str, name: str) -> _Candidates | None:
        """The candidates for `name`: the first added in each scope, the first in sorted order below each folder of
        a scope, and the first in sorted order."""
        key = (table, name)
        if key not in self._scopes:
            hits = (self.compose if table == "compose" else self.kubernetes).get(name)
            if not hits:
                return None
            first: dict[str, str] = {}
            for hit_scope, node_id in hits:
                first.setdefault(hit_scope, node_id)
            below: dict[str, str] = {}
            for hit_scope, node_id in sorted(hits):
                for folder in enclosing_folders(hit_scope):
                    below.setdefault(folder, node_id)
            self._scopes[key] = _Candidates(first, below, min(hits)[1])
        return self._scopes[key]


@dataclass(frozen=True)
class _Candidates:
    """The nodes a name may mean: the first added in each scope, the first in sorted order in or below each
    folder a scope is in (`a/b` is in `a/b` and `a`), and the first in sorted order of all."""

    first: dict[str, str]
    below: dict[str, str]
    fallback: str


def _kubernetes_name(host: str) -> tuple[str | None, str | None]:
    """`svc` → (svc, None); `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local` → (svc, ns); else (None, None)."""
    for suffix in _CLUSTER_SUFFIXES:
        if host.endswith(suffix):
            host = host[: -len(suffix)]
            break
    parts = host.split(".")
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 2:
        return parts[0], parts[1]
    return None, None


def _nearest(hits: _Candidates, scope: str) -> str:
    """A candidate in the caller's own scope; else one in the innermost folder of that scope that holds any; else
    the first in sorted order (deterministic)."""
    if scope in hits.first:
        return hits.first[scope]
    for folder in enclosing_folders(scope):
        if folder in hits.below:
            return hits.below[folder]
    return hits.fallback


def enclosing_folders(scope: str) -> list[str]:
    """`a/b/c` → [`a/b/c`, `a/b`, `a`]: the folders a scope is in, innermost first (none for the root `.`). A scope
    deeper than `MAX_FOLDER_DEPTH` counts as its ancestor at that depth: a hostile tree thousands of folders deep
    would otherwise cost the square of its depth per candidate and per host."""
    parts = [part for part in scope.split("/") if part not in ("", ".")][:MAX_FOLDER_DEPTH]
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]


def scope_of(node_id: str) -> str:
    """The scope part of an id made by `node_id`: compose project dir, k8s namespace, tf module dir."""
    _, _, rest = node_id.split(":", 2)
    return rest.rsplit("/", 1)[0] if "/" in rest else ""


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set):
        return [item for item in value if isinstance(item, str)]
    return []



class Nearest(Generic[T]):
    """Items by name, each in a folder: `of(name, place)` gives those of that name in the innermost folder around
    `place` that holds any, every one when only the repository root does. Indexed per name on first use, so a name
    that thousands of items share costs a few lookups per question, not a scan."""

    def __init__(self) -> None:
        self._items: dict[str, list[tuple[str, T]]] = defaultdict(list)
        self._below: dict[str, dict[str, list[T]]] = {}  # name → folder → the items in or below it

    def add(self, name: str, folder: str, item: T) -> None:
        self._items[name].append((folder, item))
        self._below.pop(name, None)

    def __bool__(self) -> bool:
        """Whether any item was added."""
        return bool(self._items)

    def of(self, name: str, place: str) -> list[T]:
        items = self._items.get(name)
        if not items:
            return []
        below = self._below.get(name)
        if below is None:
            below = defaultdict(list)
            for folder, item in items:
                for outer in enclosing_folders(folder):
                    below[outer].append(item)
            self._below[name] = below
        for outer in enclosing_folders(place):
            if outer in below:
                return below[outer]
        return [item for _, item in items]


class NameClaims:
    """Folders whose code claims to be that of the services of a name (a build file's project, a source folder
    named like a service), and which of them a service of that name is matched to: those nearest it (`Nearest`).
    In a repository of several systems (one per chapter or product), chapter 3's `product-composite-service/` is
    chapter 3's product-composite and none of chapter 18's Helm deployments, which chapter 18's own folder of that
    name claims; with manifests in a `deploy/` folder of their own, the one project of that name is its service's."""

    def __init__(self) -> None:
        self._claims: Nearest[str] = Nearest()

    def claim(self, name: str, folder: str) -> None:
        self._claims.add(name, folder, folder)

    def matched(self, name: str, folder: str, service: Node) -> bool:
        """Whether `service` (named `name`) is the code in `folder`'s, a folder that claimed `name`."""
        nearest = self._claims.of(name, service.location.path.rpartition("/")[0])
        return not nearest or folder in nearest
