"""Compose projects across files: interpolation from the project `.env`, `include:`, and `extends` of a
service in another file, applied to the compose parser's facts before the graph is built.

Parsers read one file each, so what compose itself does across files happens here, on their facts:

- The `.env` of a compose file's directory is that project's interpolation source, not an environment: a
  service gets a variable only through its own `environment:` (`KEY: ${VAR}`, `${VAR:-default}`, a bare `- KEY`)
  or an `env_file:`. Its values are interpolated into the service's environment, `image` and replica count;
  a link made from an interpolated value keeps the compose line as its evidence and names the `.env` lines
  in `interpolated_from`. The `.env` node is marked `interpolates` (the compose files it serves), so
  config attachment never hands it to a service that does not load it.
- `include:` (Compose 2.20+) pulls other compose files into the project: an included file is interpolated
  with the includer's variables, filled in by its own env files (the includer's win, as in compose-go), and
  its services are marked `included_by` (the top-level compose files whose project they join).
- `extends: {file: …, service: …}` merges the base service from the other file under the extending one
  (`compose.extend`); a base service is marked `extended_by`.

Everything is bounded: include chains `_MAX_INCLUDE_DEPTH` files deep, extends chains `_MAX_EXTENDS` links,
cycles cut, and only repo-relative paths inside the repository are followed (`compose.inside`).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from auditor.model import Edge, Facts, Location, Node
from auditor.parsers import compose
from auditor.parsers.compose import Environment, ServiceDef

_MAX_INCLUDE_DEPTH = 8  # real projects include one level, sometimes two
_MAX_EXTENDS = 32  # services in one extends chain across files (the parser has the same bound within a file)
_MAX_INCLUDE_VISITS = 10_000  # (project, file) pairs walked in all: a fan of includes is not a combinatorial walk


def resolve_projects(facts: Iterable[Facts]) -> list[Facts]:
    """`facts` with compose projects resolved across files (the order of `facts` is kept)."""
    facts = list(facts)
    by_path = {f.path: f for f in facts if f.kind == "compose"}
    if not by_path:
        return facts
    dotenv = {f.path: _dotenv(f) for f in facts if f.kind == "appconfig" and "variables" in f.extra}
    projects = _Projects(by_path, dotenv)
    rebuilt = {path: projects.rebuild(path) for path in sorted(by_path)}
    out: list[Facts] = []
    for f in facts:
        if f.kind == "compose":
            out.append(rebuilt[f.path])
        elif f.path in projects.interpolates:
            out.append(_mark_interpolation_source(f, sorted(projects.interpolates[f.path])))
        else:
            out.append(f)
    return out


def _dotenv(facts: Facts) -> Environment:
    """The variables of a dotenv file, each value interpolated with those before it (as compose reads `.env`)."""
    found = Environment()
    for item in facts.extra.get("variables") or ():
        if not (isinstance(item, tuple | list) and len(item) == 3):
            continue
        name, value, line = item
        if not isinstance(name, str) or not isinstance(value, str) or not isinstance(line, int):
            continue
        found.values[name] = compose.interpolate(value, found.values)
        found.locations[name] = Location(facts.path, line)
    return found


def _mark_interpolation_source(facts: Facts, compose_files: list[str]) -> Facts:
    nodes = tuple(
        dataclasses.replace(node, attrs={**node.attrs, "interpolates": compose_files}) if node.kind == "config"
        else node
        for node in facts.nodes
    )
    return dataclasses.replace(facts, nodes=nodes)


class _Projects:
    """Which variables each compose file is read with, which projects include it, and its services merged."""

    def __init__(self, by_path: dict[str, Facts], dotenv: dict[str, Environment]) -> None:
        self.by_path = by_path
        self.dotenv = dotenv
        self.interpolates: dict[str, set[str]] = defaultdict(set)  # env file → compose files it interpolates
        self.variables: dict[str, Environment] = {}
        self.included_by: dict[str, set[str]] = defaultdict(set)
        self.defs = {path: compose.service_defs(f) for path, f in by_path.items()}
        self.extended: dict[tuple[str, str], ServiceDef] = {}
        self.extended_by: dict[str, set[str]] = defaultdict(set)  # base node id → extending node ids
        self.project_files: dict[str, list[str]] = defaultdict(list)  # top-level file → files it includes
        self.restates: dict[str, str] = {}  # node id beside an including file → the included service's id
        self.restated_from: dict[tuple[str, str], str] = {}  # (file, service) → the included file it restates
        self._read_includes()
        self.include_bases = self._include_bases()
        for path in sorted(by_path):
            self.variables.setdefault(path, self._own_variables(path))
        for path in sorted(by_path):
            for name in sorted(self.defs[path]):
                self._resolve_extends(path, name, ())

    # --- variables and includes ------------------------------------------------------------------------

    def _own_variables(self, path: str) -> Environment:
        """A compose file run on its own reads the `.env` of its directory."""
        env = posixpath.normpath(posixpath.join(posixpath.dirname(path) or ".", ".env"))
        if env in self.dotenv:
            self.interpolates[env].add(path)
        return self.dotenv.get(env, _EMPTY)

    def _read_includes(self) -> None:
        """Walk `include:` breadth first, `_MAX_INCLUDE_DEPTH` deep, from each top-level compose file (one that
        includes others and that no file includes; then, for files met only in include cycles, each in path
        order). A file that several projects include is read with the variables of the first in path order."""
        direct = {path: compose.includes_of(self.by_path[path], self._own_variables(path).values)
                  for path in sorted(self.by_path)}
        included = {file for entries in direct.values() for entry in entries for file in entry.files}
        roots = [path for path in sorted(self.by_path) if direct[path] and path not in included]
        below_roots = _reachable(roots, direct)  # what the roots include at any depth
        roots += [path for path in sorted(self.by_path) if direct[path] and path not in below_roots]
        visits = 0
        reached: set[str] = set()
        for root in roots:
            if root in reached:
                continue  # in an include cycle already walked from another of its files
            self.variables.setdefault(root, self._own_variables(root))
            frontier = [(root, self.variables[root], 0)]
            seen = {root}
            while frontier and visits <= _MAX_INCLUDE_VISITS:
                path, variables, depth = frontier.pop(0)
                if depth >= _MAX_INCLUDE_DEPTH:
                    continue
                for entry in compose.includes_of(self.by_path[path], variables.values):
                    own = variables
                    for env_file in entry.env_files:
                        if env_file in self.dotenv:  # the includer's variables win, as in compose-go
                            own = own.filled_from(self.dotenv[env_file])
                    for file in entry.files:
                        visits += 1
                        if file not in self.by_path or file in seen:
                            continue
                        seen.add(file)
                        reached.add(file)
                        self.included_by[file].add(root)
                        self.project_files[root].append(file)
                        for env_file in entry.env_files:
                            if env_file in self.dotenv:
                                self.interpolates[env_file].add(file)
                        self.variables.setdefault(file, own)
                        frontier.append((file, own, depth + 1))

    def _include_bases(self) -> dict[tuple[str, str], tuple[str, str]]:
        """A service that a compose file beside an including one (an override, a tracing variant) names without
        an image or a build is that project's included service, restated: (file, name) → the included one."""
        bases: dict[tuple[str, str], tuple[str, str]] = {}
        by_dir: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.by_path):
            by_dir[posixpath.dirname(path)].append(path)
        for root, files in sorted(self.project_files.items()):
            included: dict[str, str] = {}
            for file in files:  # breadth-first order: the nearest include wins, as the first definition would
                for name in self.defs.get(file, {}):
                    included.setdefault(name, file)
            for path in by_dir[posixpath.dirname(root)]:
                if path in files:
                    continue
                for name, service in self.defs[path].items():
                    stated = service.node.evidence
                    if name in included and "image" not in stated and "build_context" not in stated \
                            and "build_remote" not in stated:
                        bases.setdefault((path, name), (included[name], name))
        return bases

    # --- extends across files ----------------------------------------------------------------------------

    def _resolve_extends(self, path: str, name: str, chain: tuple[tuple[str, str], ...]) -> ServiceDef:
        """The service with the base it `extends` in another file (or, restated beside an including file, the
        included service) merged in; each resolved once, a cycle or a chain longer than `_MAX_EXTENDS` cut
        where it closes."""
        key = (path, name)
        if key in self.extended:
            return self.extended[key]
        service = self.defs[path][name]
        target = compose.extends_file(self.by_path[path], service, self.variables.get(path, _EMPTY).values)
        restated = target is None and key in self.include_bases
        target = self.include_bases[key] if restated else target
        if target is not None and target[0] in self.defs and target[1] in self.defs[target[0]] \
                and target not in chain and target != key and len(chain) < _MAX_EXTENDS:
            base = self._resolve_extends(target[0], target[1], (*chain, key))
            service = compose.extend(service, base)
            if restated:
                self.restates[service.node.id] = base.node.id
                self.restated_from[key] = target[0]
            else:
                self.extended_by[base.node.id].add(service.node.id)
        self.extended[key] = service
        return service

    # --- the facts --------------------------------------------------------------------------------------

    def rebuild(self, path: str) -> Facts:
        """A compose file's facts with its services interpolated, extended and marked."""
        facts = self.by_path[path]
        variables = self.variables.get(path, _EMPTY)
        nodes: list[Node] = []
        redone: set[str] = set()  # services whose environment edges are made again
        added: list[Edge] = []
        changed = False
        for node in facts.nodes:
            original = self.defs[path].get(node.name)
            if original is None or original.node.id != node.id:
                nodes.append(node)
                continue
            service = self.extended.get((path, node.name), original)
            again = service.extended or (bool(variables.values) and _uses_variables(service))
            marks = self._marks(path, node)
            if again:
                base_file = self.restated_from.get((path, node.name))
                by_file = {base_file: self.variables.get(base_file, _EMPTY)} if base_file else {}
                node, env_edges = compose.realise(service, variables, by_file)
                redone.add(node.id)
                added.extend(env_edges)
                added.extend(service.env_files[: len(service.env_files) - len(original.env_files)])  # inherited
            if marks:
                node = dataclasses.replace(node, attrs={**node.attrs, **marks})
            changed = changed or again or bool(marks)
            nodes.append(node)
        if not changed:
            return facts
        edges = [edge for edge in facts.edges
                 if not (edge.source in redone and edge.attrs.get("via") == "environment")]
        return dataclasses.replace(facts, nodes=tuple(nodes), edges=(*edges, *added))

    def _marks(self, path: str, node: Node) -> dict[str, Any]:
        marks: dict[str, Any] = {}
        if self.included_by.get(path):
            marks["included_by"] = sorted(self.included_by[path])
        if self.extended_by.get(node.id):
            marks["extended_by"] = sorted(self.extended_by[node.id])
        if node.id in self.restates:
            marks["restates"] = self.restates[node.id]
        return marks


_EMPTY = Environment()


def _reachable(starts: list[str], direct: dict[str, list[compose.Include]]) -> set[str]:
    """Every file that `starts` include, directly or not (each file visited once)."""
    seen = set(starts)
    stack = list(starts)
    while stack:
        for entry in direct.get(stack.pop(), []):
            for file in entry.files:
                if file not in seen:
                    seen.add(file)
                    stack.append(file)
    return seen


def _uses_variables(service: ServiceDef) -> bool:
    """True when the project environment can change what the service's environment or scalars say."""
    return bool(service.written) or any(value is None or "$" in value for _, value, _ in service.environment)
