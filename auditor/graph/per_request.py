"""Which code runs per request across the files of a service: a request handler's calls into functions that other
files of the project define, followed to the raw database connections those functions open.

Each source file's extractor says what it alone can (code/facts.py `links`): the functions that run per request
in it (its handlers and what they call in the same file), its calls into other modules as it names them
(`from .db import get_db` … `get_db()`), its same-file callees, the functions whose body runs once however often
they are called (a memoised factory), and the raw connections it opens that it cannot show to be per request (a
`get_db()` in `db.py`, which has no handlers). Here those calls are resolved to files of the repository and
followed from every per-request function: a raw connection reached is opened per request, by each service that
owns both the handler's file and the connection's. It becomes that service's `db_connect` setting of value
`handler` at the line that opens it, with the calls that lead there from the handler as `via` locations; a
`shared` setting the connection's own file gave it (one connection for all requests) gives way.

Resolution, per language:
- Python: a relative import from the importing file's package (`from .db import get_db`, `from . import db`); an
  absolute one from the nearest folder above the importing file that holds the module (`from app.db import get_db`
  in `api/app/views.py` → `api/app/db.py`), as the interpreter's path would with that folder as the project root;
  a class is entered at `__init__`, `db.connect()` on a module-level `db = Database()` at `Database.connect`;
- PHP: an included file relative to the including file (its top-level code runs where it is included); a global
  function by its name, when exactly one file of the service defines it.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from auditor.graph.code import parents
from auditor.model import Location, Node, Setting

_MAX_HOPS = 8  # calls from one file into another followed from a handler
_MAX_REACHED = 50_000  # (file, function) pairs visited in one repository
_MAX_QUEUED = 500_000


@dataclass(frozen=True)
class Links:
    """One file's `links` (code/facts.py), read back from plain data."""

    path: str
    language: str
    per_request: frozenset[str]
    once: frozenset[str]
    callees: Mapping[str, tuple[str, ...]]
    calls: tuple[tuple[str, str, int, str, int], ...]  # (caller, target, level, kind, line)
    connects: tuple[tuple[str, int, str, bool], ...]  # (function, line, library, builds a pool)
    instances: Mapping[str, str]
    defines: frozenset[str]  # the global functions the file defines (PHP)


def read_links(path: str, data: Any) -> Links | None:
    """A file's links, or None when the data is not of the shape code/facts.py writes."""
    if not isinstance(data, dict):
        return None
    try:
        callees = {str(f): tuple(str(c) for c in called) for f, called in dict(data.get("callees") or {}).items()}
        calls = tuple((str(c[0]), str(c[1]), int(c[2]), str(c[3]), int(c[4])) for c in data.get("calls") or [])
        connects = tuple((str(c[0]), int(c[1]), str(c[2]), bool(c[3])) for c in data.get("connects") or [])
        instances = {str(k): str(v) for k, v in dict(data.get("instances") or {}).items()}
        per_request = frozenset(str(f) for f in data.get("per_request") or [])
        once = frozenset(str(f) for f in data.get("once") or [])
        defines = frozenset(str(f) for f in data.get("defines") or [])
    except (TypeError, ValueError, IndexError):
        return None
    return Links(path, str(data.get("language") or ""), per_request, once, callees, calls, connects, instances,
                 defines)


def per_request_connects(graph: nx.MultiDiGraph, links: Iterable[Links], paths: Iterable[str]) -> None:
    """Give each service the raw connections that its handlers reach through other files (module docstring)."""
    by_path = {link.path: link for link in links}
    if not any(link.connects for link in by_path.values()):
        return
    owners = _owners(graph)
    resolver = _Resolver(by_path, set(paths), owners)
    reached = _reach(by_path, resolver)
    added: dict[str, list[Setting]] = defaultdict(list)
    for (path, function), (start, via) in sorted(reached.items()):
        link = by_path[path]
        for connect_function, line, library, _pool in link.connects:
            if connect_function != function:
                continue
            where = Location(path, line)
            for service in sorted(owners.get(path, set()) & owners.get(start, set())):
                if not any(s.location == where for s in added[service]):
                    added[service].append(Setting("db_connect", library, "handler", where, library, via=via))
    for service_id, settings in sorted(added.items()):
        node: Node = graph.nodes[service_id]["node"]
        opened = {s.location for s in settings}
        # what the connection's own file made of it (one shared connection; a pool, when it is one built per
        # request) gives way: it pools nothing when every request builds its own
        kept = tuple(s for s in node.settings if not (s.topic in ("db_connect", "pool") and s.location in opened))
        graph.nodes[service_id]["node"] = dataclasses.replace(node, settings=kept + tuple(settings))


def _owners(graph: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Source path → the services its code node configures."""
    found: dict[str, set[str]] = defaultdict(set)
    for source, target, edge in graph.edges(data="edge"):
        if edge.kind == "configures" and source.startswith("code:"):
            found[graph.nodes[source]["node"].location.path].add(target)
    return found


_Reached = dict[tuple[str, str], tuple[str, tuple[Location, ...]]]  # (path, function) → (handler's file, calls)


def _reach(by_path: dict[str, Links], resolver: _Resolver) -> _Reached:
    """Every (file, function) that runs per request because a handler elsewhere calls it, with the handler's file
    and the calls that lead there (first found, breadth first, so the shortest chain)."""
    reached: _Reached = {}
    queue: deque[tuple[str, str, str, tuple[Location, ...]]] = deque()
    for path, link in sorted(by_path.items()):
        for function in sorted(link.per_request):
            queue.append((path, function, path, ()))
    while queue and len(reached) < _MAX_REACHED:
        path, function, start, via = queue.popleft()
        link = by_path[path]
        if via:
            key = (path, function)
            if key in reached or function in link.once or function in link.per_request:
                continue  # already reached, memoised, or per request in its own file (reported there)
            reached[key] = (start, via)
        if len(via) >= _MAX_HOPS:
            continue
        for caller, target, level, kind, line in link.calls:
            if caller != function:
                continue
            for callee_path, callee in resolver.resolve(path, target, level, kind):
                callee_link = by_path[callee_path]
                for entered in sorted(_closure(callee_link, callee)):
                    if (callee_path, entered) not in reached:
                        queue.append((callee_path, entered, start, (*via, Location(path, line))))
        if via:
            for entered in sorted(_closure(link, function) - {function}):
                if (path, entered) not in reached:
                    queue.append((path, entered, start, via))
        if len(queue) > _MAX_QUEUED:
            break  # a repository far beyond any real one: what is reached so far stands
    return reached


def _closure(link: Links, function: str, depth: int = 8) -> set[str]:
    """`function` and what it reaches through same-file calls, memoised functions not entered."""
    reached = {function}
    frontier = {function}
    for _ in range(depth):
        frontier = {c for f in frontier for c in link.callees.get(f, ())} - reached - link.once
        if not frontier:
            break
        reached |= frontier
    return reached


class _Resolver:
    """A call as a file names it → the (file, function) pairs it runs, among the files that have links."""

    def __init__(self, by_path: dict[str, Links], paths: set[str], owners: dict[str, set[str]]) -> None:
        self.by_path = by_path
        self.paths = paths
        self.owners = owners
        self.php_functions: dict[str, list[str]] = defaultdict(list)
        for path, link in sorted(by_path.items()):
            for function in link.defines:
                self.php_functions[function.lower()].append(path)

    def resolve(self, path: str, target: str, level: int, kind: str) -> list[tuple[str, str]]:
        if kind == "python":
            return self._python(path, target, level)
        if kind == "include":
            included = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            return [(included, "")] if included in self.by_path else []
        if kind == "function":
            # PHP functions are global: the one file of the caller's service that defines it (another service's
            # file of the same name is not loaded in this process)
            mine = self.owners.get(path, set())
            files = [f for f in self.php_functions.get(target.lower(), []) if self.owners.get(f, set()) & mine]
            if len(files) != 1:
                return []
            link = self.by_path[files[0]]
            return [(files[0], f) for f in sorted(link.defines) if f.lower() == target.lower()]
        return []

    def _python(self, path: str, target: str, level: int) -> list[tuple[str, str]]:
        parts = target.split(".")
        if level:
            folders = posixpath.dirname(path).split("/") if posixpath.dirname(path) else []
            if level - 1 > len(folders):
                return []  # beyond the repository's top: not a module of this project
            bases = ["/".join(folders[:len(folders) - (level - 1)]) or "."]
        else:
            bases = list(parents(path))
        for base in bases:
            # the longest module path that is a file wins: `app.db.get_db` is `get_db` in app/db.py before it is
            # `db.get_db` in app.py
            for split in range(len(parts) - 1, -1 if level else 0, -1):
                module, name = parts[:split], parts[split:]
                if len(name) > 2:
                    break
                found = self._module(base, module)
                if found is None:
                    continue
                link = self.by_path.get(found)
                return [(found, entry) for entry in _entries(link, name)] if link is not None else []
        return []

    def _module(self, base: str, module: list[str]) -> str | None:
        stem = posixpath.join(base, *module)
        candidates = [f"{stem}.py"] if module else []  # `from . import get_db`: the package's __init__.py only
        for candidate in (*candidates, posixpath.join(stem, "__init__.py")):
            candidate = posixpath.normpath(candidate)
            if candidate in self.paths:
                return candidate
        return None


def _entries(link: Links, name: list[str]) -> list[str]:
    """The functions a name in a module runs: a function, a class's `__init__`, a method of a class or of a
    module-level instance."""
    if len(name) == 1:
        return [name[0], f"{name[0]}.__init__"]
    owner, method = name
    return [f"{link.instances.get(owner, owner)}.{method}"]
