"""Calls of one package's code made on behalf of the services whose code calls into it (Go; code/facts.py
`Extracted.exports`, `package_calls`, `stub_params`, `deadlines`, carried in each file's Facts.extra).

A shared package (`internal/common/client`, one folder every service mounts or builds) is nobody's code by
itself (graph/code.py: shared code gives its settings, not its calls). What decides whose calls it makes is who
calls it: `client.NewTrainerClient()` in trainings' own `service.go` makes the dial in that constructor, and the
calls of the methods of the type it builds, trainings' calls. A package's import path is its go.mod module path
and its directory below that go.mod; a call `pkg.F()` in one file reaches the lines `exports[F]` lists in the
files of that package (of its copy nearest the caller, when a repository holds one copy of a module per chapter),
and through them, a bounded number of steps, the exported functions those call.

Two more answers are given here, once, for graph/code.py to apply to the calls it places:

- a dialed gRPC connection handed to a constructor in another package (`frontend.New(searchConn)`, where
  `New(conn)` makes `pb.NewSearchClient(conn)`) is a bean of that stub kind for the services that run the
  caller's code, so stub calls that hold only the stub get the address of the dial;
- a service whose code never gives a context a deadline (no `context.WithTimeout` except to shut down, no
  timeout middleware, no interceptor it cannot see into) and serves no gRPC (an incoming gRPC call carries its
  caller's deadline) hands every call a context without one: a call bounded only by its caller's context is
  unbounded there.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import networkx as nx

from auditor.graph.code import Linked, owners_of_paths, parents
from auditor.graph.resolve import Nearest
from auditor.model import Edge

_VERSION = re.compile(r"/v\d+(?=/|$)")
MAX_DEPTH = 6  # exported functions followed from a call to the calls they make
MAX_CALLERS = 200  # call sites of one exported function weighed
MAX_WORK = 100_000  # call sites weighed per repository


def link_packages(graph: nx.MultiDiGraph, extras: Mapping[str, Mapping[str, Any]],
                  owners: Mapping[str, list[str]], code_edges: list[Edge]) -> Linked:
    """The linkage answers above, from each code file's Facts.extra (`extras`: path → extra), the owners whose
    calls each code node's calls are (`owners`: code node id → service ids, graph/code.py attach_code) and the
    calls code makes (`code_edges`, not yet placed)."""
    linked = {path: extra for path, extra in extras.items()
              if any(k in extra for k in ("exports", "package_calls", "deadlines"))}
    if not linked:
        return Linked()
    code_nodes = {node.location.path: ident for ident, node in graph.nodes(data="node")
                  if node.source == "code" and node.kind == "config"}
    placed = owners_of_paths(graph, sorted(linked))
    packages = _packages(graph, sorted(linked))
    copies: Nearest[str] = Nearest()  # a package's files; a caller's import is the copy of it nearest the caller
    for path, package in packages.items():
        copies.add(package, posixpath.dirname(path), path)
    known = set(packages.values())
    callers: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for path in sorted(linked):
        for call in _list(linked[path].get("package_calls")):
            if isinstance(call, dict) and call.get("package") in known and isinstance(call.get("name"), str):
                callers[(str(call["package"]), call["name"])].append((path, int(call.get("line") or 0)))

    def own(path: str) -> set[str]:
        ident = code_nodes.get(path)
        if ident is not None:
            return set(owners.get(ident, []))
        return {service for service, via in placed.get(path, []) if via not in ("shared_image", "shared_mount")}

    memo: dict[tuple[str, int], frozenset[str]] = {}
    budget = [MAX_WORK]

    def running(path: str, line: int, depth: int) -> frozenset[str]:
        """The services that run the call on `line` of `path`: its file's own, and those whose code calls an
        exported function that reaches it (Go forbids import cycles; the depth and a budget bound the walk in a
        hostile repository)."""
        key = (path, line)
        if key in memo:
            return memo[key]
        memo[key] = frozenset(own(path))  # while it is weighed, a cycle back to it adds nothing
        found = set(memo[key])
        package = packages.get(path)
        exports = linked[path].get("exports") if path in linked else None
        if package is not None and depth < MAX_DEPTH and isinstance(exports, dict):
            for name, lines in exports.items():
                if line not in _list(lines):
                    continue
                for caller, caller_line in callers.get((package, name), [])[:MAX_CALLERS]:
                    budget[0] -= 1
                    if budget[0] < 0:
                        break
                    if path in copies.of(package, posixpath.dirname(caller)):  # not another system's copy
                        found |= running(caller, caller_line, depth + 1)
        memo[key] = frozenset(found)
        return memo[key]

    edge_lines: dict[str, set[int]] = defaultdict(set)
    for edge in code_edges:
        edge_lines[edge.source].add(edge.location.line)
    more: dict[str, dict[int, tuple[str, ...]]] = {}
    for path, ident in sorted(code_nodes.items()):
        if path not in packages:
            continue
        node = graph.nodes[ident]["node"]
        unplaced = node.attrs.get("unresolved_calls") or []
        lines = edge_lines.get(ident, set()) | {int(c.get("line") or 0) for c in unplaced if isinstance(c, dict)}
        for line in sorted(lines):
            extra_owners = running(path, line, 0) - set(owners.get(ident, []))
            if extra_owners:
                more.setdefault(ident, {})[line] = tuple(sorted(extra_owners))
    free, servers = _without_deadlines(graph, linked, placed)
    return Linked(owners=more, beans=_conn_beans(linked, copies, placed), deadline_free=free,
                  grpc_without_deadline=servers)


def _packages(graph: nx.MultiDiGraph, paths: list[str]) -> dict[str, str]:
    """Go source path → the import path of its package (its go.mod's module path and its directory below it)."""
    modules: dict[str, str] = {}
    for _, node in graph.nodes(data="node"):
        module = node.attrs.get("module") if node.source == "buildfile" and node.type == "go" else None
        if isinstance(module, str) and module:
            modules[str(node.attrs.get("dir") or posixpath.dirname(node.location.path) or ".")] = \
                _VERSION.sub("", module.strip())
    found: dict[str, str] = {}
    for path in paths:
        if not path.endswith(".go"):
            continue
        directory = posixpath.dirname(path) or "."
        root = next((d for d in parents(path) if d in modules), None)
        if root is None:
            continue
        below = directory if root == "." else directory[len(root) + 1:] if directory != root else ""
        found[path] = modules[root] + ("/" + below if below and below != "." else "")
    return found


def _conn_beans(linked: Mapping[str, Mapping[str, Any]], copies: Nearest[str],
                placed: Mapping[str, list[tuple[str, str]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Owner → stub kind → beans, for dialed connections handed to another package's constructor."""
    beans: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(linked):
        for call in _list(linked[path].get("package_calls")):
            if not isinstance(call, dict) or not call.get("conns") or not isinstance(call.get("package"), str):
                continue
            for callee in copies.of(call["package"], posixpath.dirname(path)):
                params = linked[callee].get("stub_params")
                stubs = params.get(str(call.get("name"))) if isinstance(params, dict) else None
                if not isinstance(stubs, dict):
                    continue
                for conn in _list(call.get("conns")):
                    if not isinstance(conn, dict) or not conn.get("target"):
                        continue
                    kind = stubs.get(str(conn.get("position")))
                    if not isinstance(kind, str):
                        continue
                    bean = {"kind": kind, "path": path, "line": int(conn.get("line") or 0),
                            "bounds": sorted(b for b in _list(conn.get("bounds")) if b != "deferred"),
                            "target": conn["target"]}
                    # every service that runs this file may run the wiring: only its stub calls of this kind use it
                    for service, _ in placed.get(path, []):
                        if bean not in beans[service][kind]:
                            beans[service][kind].append(bean)
    return {owner: dict(kinds) for owner, kinds in beans.items()}


def _without_deadlines(graph: nx.MultiDiGraph, linked: Mapping[str, Mapping[str, Any]],
                       placed: Mapping[str, list[tuple[str, str]]]) -> tuple[frozenset[str], frozenset[str]]:
    """The services whose Go code, shared code included, gives no context a deadline: those that serve no gRPC,
    and those that do (whose requests may bring their caller's deadline)."""
    bounded: set[str] = set()
    for path, extra in linked.items():
        if extra.get("deadlines"):
            bounded |= {service for service, _ in placed.get(path, [])}
    serving: set[str] = set()
    candidates: set[str] = set()
    for ident, node in graph.nodes(data="node"):
        if node.source != "code" or node.kind != "config" or node.attrs.get("language") != "go":
            continue
        services = {target for _, target, edge in graph.out_edges(ident, data="edge") if edge.kind == "configures"}
        if any(isinstance(h, dict) and h.get("framework") == "grpc" for h in node.attrs.get("handlers") or []):
            serving |= services
        candidates |= services
    return frozenset(candidates - bounded - serving), frozenset((candidates & serving) - bounded)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
