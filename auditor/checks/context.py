"""What a check sees: the graph, its options, and the shared questions rules must answer the same way."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx

from auditor.graph.deployments import deployment_of
from auditor.graph.roles import APPLICATION, NOT_JUDGED, role
from auditor.model import Edge, Location, Node, Related, Setting

# File names / directories that only configure a developer's machine or a test run.
_DEV_TOKENS = frozenset({"dev", "development", "local", "test", "tests", "testing", "ci", "e2e", "example",
                         "examples", "sample", "samples", "spec", "fixtures", "demo"})
_DEV_SPLIT = re.compile(r"[^a-z0-9]+")
_PACKAGE_SUFFIXES = (".java", ".cs", ".go", ".kt", ".scala")

# Workload kinds that run continuously (Jobs and CronJobs finish; they serve no traffic).
LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig"})
TRAFFIC_EDGES = frozenset({"routes_to", "calls"})
T = TypeVar("T")


@dataclass(frozen=True)
class Hit:
    """A check's verdict on one subject. `attr` names the node attribute whose evidence line to point at;
    `evidence` gives a location taken from the graph (an edge's or a setting's) when the line is elsewhere;
    `key` distinguishes several hits on one subject in the fingerprint (e.g. the other end of an edge)."""

    subject: str
    message: str
    attr: str | None = None
    evidence: Location | None = None
    related: tuple[Related, ...] = ()
    key: str = ""


@dataclass(frozen=True)
class Undecided:
    """A subject a rule could not judge because a value it needs is not static (a variable with no default, a
    module whose defaults are unknown): reported in the coverage, never a silent pass. `missing` says which
    value, as the files write it; `attr`/`evidence` locate it as for a `Hit`."""

    subject: str
    missing: str
    attr: str | None = None
    evidence: Location | None = None


@dataclass
class CheckContext:
    graph: nx.MultiDiGraph
    options: dict[str, Any] = field(default_factory=dict)
    examined: set[str] = field(default_factory=set)
    undecided: list[Undecided] = field(default_factory=list)
    # The graph's indexes, held here once fetched: a check asks for edges and nodes hundreds of thousands of times.
    _node_index: _NodeIndex | None = field(default=None, init=False, repr=False, compare=False)
    _edge_index: _EdgeIndex | None = field(default=None, init=False, repr=False, compare=False)

    # -- nodes and edges ---------------------------------------------------------------------------
    def node(self, ident: str) -> Node:
        return self._index().by_id[ident]

    def nodes(self, kind: str | None = None, source: str | None = None) -> list[Node]:
        """Nodes in id order (deterministic), optionally of one kind and source format."""
        return list(self._index().by_kind.get((kind, source), ()))

    def of_type(self, type_: str, source: str = "kubernetes", namespace: str | None = None) -> list[Node]:
        """Nodes of one resource type (`LimitRange`, `aws_subnet`) in id order, optionally only those in one
        namespace: a lookup, so a check may ask it once per subject without scanning the graph."""
        index = self._index()
        if namespace is None:
            return list(index.by_type.get((source, type_), ()))
        return list(index.by_namespace.get((source, type_, namespace), ()))

    def _index(self) -> _NodeIndex:
        """The node index, built once per graph (rules never change the graph) and shared by all rules."""
        cached = self._node_index
        if cached is None or cached.size != self.graph.number_of_nodes():
            cached = self._node_index = self.once("node_index", lambda: _NodeIndex.of(self.graph))
        return cached

    def out_edges(self, ident: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        """Edges from `ident` (of these kinds) in a fixed order; a lookup, however many edges the node has."""
        return _pick(self._edges().outgoing.get(ident), kinds)

    def in_edges(self, ident: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        """Edges into `ident` (of these kinds) in a fixed order: asking for a service's autoscalers does not
        walk the thousands of config files that configure it."""
        return _pick(self._edges().incoming.get(ident), kinds)

    def _edges(self) -> _EdgeIndex:
        """Built once per graph, like the node index (rules never change the graph; counting a multigraph's
        edges would itself walk every node, so the node count is the check)."""
        cached = self._edge_index
        if cached is None or cached.size != self.graph.number_of_nodes():
            cached = self._edge_index = self.once("edge_index", lambda: _EdgeIndex.of(self.graph))
        return cached

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """The answer to a question that depends on the graph alone, computed by the first rule that asks and
        read by the others (rules never change the graph; the node count tells a new graph)."""
        cached: tuple[int, T] | None = self.graph.graph.get(("once", name))
        if cached is None or cached[0] != self.graph.number_of_nodes():
            cached = self.graph.graph[("once", name)] = (self.graph.number_of_nodes(), compute())
        return cached[1]

    def examine(self, node: Node) -> None:
        """Count `node` as judged by this rule (the score is normalised by how much was judged)."""
        self.examined.add(node.id)

    def undecide(self, node: Node, missing: str, attr: str | None = None, evidence: Location | None = None) -> None:
        """Say that this rule could not judge `node`: `missing` names the value it needs (`multi_az =
        var.multi_az`, no default)."""
        self.undecided.append(Undecided(node.id, missing, attr, evidence))

    # -- shared questions ----------------------------------------------------------------------------
    def settings(self, node: Node, topic: str) -> tuple[Setting, ...]:
        """`node`'s settings of one topic, in order: a lookup in the node's settings grouped once per graph."""
        return self._settings_of(node).all.get(topic, ())

    def production_settings(self, node: Node, topic: str) -> tuple[Setting, ...]:
        """`node`'s settings of `topic`, without dev/test files; explicit ones hide the framework defaults.
        Answered once per node and topic, so a check may ask it per connection or per call."""
        by_topic = self._settings_of(node)
        found = by_topic.production.get(topic)
        if found is None:
            kept = tuple(s for s in self.settings(node, topic) if not dev_only(s.location.path))
            found = by_topic.production[topic] = tuple(s for s in kept if not s.key.startswith("(")) or kept
        return found

    def _settings_of(self, node: Node) -> _Settings:
        cache: dict[str, _Settings] = self.graph.graph.setdefault("settings_index", {})
        entry = cache.get(node.id)
        if entry is None or entry.node is not node:
            entry = cache[node.id] = _Settings.of(node)
        return entry

    def workloads(self, recipes: bool = False) -> list[Node]:
        """Services that run continuously and are judged: not Jobs/CronJobs, migrations, test runners, load
        generators, compose services behind `profiles:`, or (unless `recipes`) a self-hosting recipe's
        containers (graph/roles.py). A rule that judges what an image's documentation says about its state
        asks for recipes too: a scaled third-party app's sessions and files are the deployment's problem."""
        found = []
        for node in self.nodes("service"):
            workload_kind = node.attrs.get("workload_kind")
            if node.source == "kubernetes" and workload_kind not in LONG_RUNNING and workload_kind != "DaemonSet":
                continue
            if role(node) in NOT_JUDGED or (node.attrs.get("recipe") and not recipes):
                continue  # (a recipe: a compose project that only runs published images, as shipped)
            found.append(node)
        return found

    def talking_deployments(self) -> set[str]:
        """Deployments in which a request crosses application services: two or more of them, and a call from
        one to another (or an address book that gives each the others' addresses). Only there is a
        distributed trace worth asking for (a single application, or services that talk only through a
        datastore or queue, have no cross-service request to follow)."""
        cached: set[str] | None = self.graph.graph.get("talking_deployments")
        if cached is None:
            apps = {node.id: node for node in self.applications()}
            per_deployment: dict[str, int] = defaultdict(int)
            for node in apps.values():
                per_deployment[deployment_of(node)] += 1
            cached = set()
            for node in apps.values():
                for edge in self.out_edges(node.id, ["calls", "knows_address"]):
                    if edge.kind == "knows_address" and edge.attrs.get("purpose") != "address_book":
                        continue  # a health check, an issuer, its own URL: no request crosses there
                    if edge.target in apps and edge.target != node.id:
                        cached.update(d for d in (deployment_of(node), deployment_of(apps[edge.target]))
                                      if per_deployment[d] >= 2)
            self.graph.graph["talking_deployments"] = cached
        return set(cached)

    def applications(self) -> list[Node]:
        """The services whose code this repository owns (role `application`), in id order: the only ones
        judged for tracing, metrics, timeouts and coupling."""
        cached: list[Node] | None = self.graph.graph.get("applications")
        if cached is None:
            cached = self.graph.graph["applications"] = [
                node for node in self.nodes("service") if role(node) == APPLICATION and _visible_app(node)]
        return list(cached)

    def serves_traffic(self, node: Node) -> bool:
        """Something routes or calls to it, or it publishes ports (compose) / declares container ports (k8s)."""
        if self.in_edges(node.id, TRAFFIC_EDGES):
            return True
        if node.source == "compose":
            return bool(node.attrs.get("published_ports"))
        return False

    def autoscalers(self, node: Node) -> list[Node]:
        return [self.node(e.source) for e in self.in_edges(node.id, ["scales"])]

    def max_replicas(self, node: Node) -> int | None:
        """The most instances this service can run: an autoscaler's maximum, else its replica count."""
        return self._replica_bound(node, "max_replicas", max)

    def min_replicas(self, node: Node) -> int | None:
        """The fewest instances this service runs: an autoscaler's minimum, else its replica count."""
        return self._replica_bound(node, "min_replicas", min)

    def _replica_bound(self, node: Node, attr: str, pick: Callable[[list[int]], int]) -> int | None:
        known = [a.attrs[attr] for a in self.autoscalers(node) if isinstance(a.attrs.get(attr), int)]
        if known:
            return pick(known)
        replicas = node.attrs.get("replicas")
        return replicas if isinstance(replicas, int) else None

    def related(self, node: Node, message: str) -> Related:
        return Related(node.location, message)


@dataclass(frozen=True)
class _NodeIndex:
    """Nodes by id; in id order, grouped by (kind, source) with None for "any", by (source, type), and by
    (source, type, namespace)."""

    size: int
    by_id: dict[str, Node]
    by_kind: dict[tuple[str | None, str | None], list[Node]]
    by_type: dict[tuple[str, str], list[Node]]
    by_namespace: dict[tuple[str, str, str], list[Node]]

    @classmethod
    def of(cls, graph: nx.MultiDiGraph) -> _NodeIndex:
        by_kind: dict[tuple[str | None, str | None], list[Node]] = defaultdict(list)
        by_type: dict[tuple[str, str], list[Node]] = defaultdict(list)
        by_namespace: dict[tuple[str, str, str], list[Node]] = defaultdict(list)
        by_id: dict[str, Node] = dict(graph.nodes(data="node"))
        for ident in sorted(by_id):
            node = by_id[ident]
            for key in ((None, None), (node.kind, None), (None, node.source), (node.kind, node.source)):
                by_kind[key].append(node)
            by_type[(node.source, node.type)].append(node)
            namespace = node.attrs.get("namespace")
            if isinstance(namespace, str):
                by_namespace[(node.source, node.type, namespace)].append(node)
        return cls(graph.number_of_nodes(), by_id, dict(by_kind), dict(by_type), dict(by_namespace))


@dataclass(frozen=True)
class _EdgeIndex:
    """Each node's outgoing and incoming edges by kind, each list in `_edge_key` order (`size`: the number of
    nodes it was built for)."""

    size: int
    outgoing: dict[str, dict[str, list[Edge]]]
    incoming: dict[str, dict[str, list[Edge]]]

    @classmethod
    def of(cls, graph: nx.MultiDiGraph) -> _EdgeIndex:
        outgoing: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        incoming: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        for source, target, edge in graph.edges(data="edge"):
            outgoing[source][edge.kind].append(edge)
            incoming[target][edge.kind].append(edge)
        for by_node in (outgoing, incoming):
            for by_kind in by_node.values():
                for edges in by_kind.values():
                    edges.sort(key=_edge_key)  # stable: equal keys keep the graph's order, as before
        return cls(graph.number_of_nodes(), dict(outgoing), dict(incoming))


def _pick(by_kind: dict[str, list[Edge]] | None, kinds: Iterable[str] | None) -> list[Edge]:
    """The edges of the wanted kinds (all when None), merged in `_edge_key` order."""
    if not by_kind:
        return []
    wanted = by_kind.keys() if kinds is None else set(kinds)
    lists = [by_kind[kind] for kind in wanted if kind in by_kind]
    if len(lists) == 1:
        return list(lists[0])
    return sorted((edge for edges in lists for edge in edges), key=_edge_key)


@dataclass
class _Settings:
    """One node's settings by topic (in order), and the production subset of each topic once asked."""

    node: Node
    all: dict[str, tuple[Setting, ...]]
    production: dict[str, tuple[Setting, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, node: Node) -> _Settings:
        grouped: dict[str, list[Setting]] = defaultdict(list)
        for setting in node.settings:
            grouped[setting.topic].append(setting)
        return cls(node, {topic: tuple(settings) for topic, settings in grouped.items()})


@functools.lru_cache(maxsize=4096)
def dev_only(path: str) -> bool:
    """A file that configures development or tests (`settings/dev.py`, `application-test.yml`, `.env.local`).
    In Java, C#, Go, Kotlin and Scala the folders are the package (`com/example/demo`, `com/amazon/sample`):
    they name the organisation, not an environment, so only the file name counts."""
    lower = path.lower()
    if lower.endswith(_PACKAGE_SUFFIXES):
        lower = lower.rsplit("/", 1)[-1]
    tokens = {t for t in _DEV_SPLIT.split(lower) if t}
    return bool(tokens & _DEV_TOKENS)


def _edge_key(edge: Edge) -> tuple[str, str, str, Location]:
    return (edge.source, edge.target, edge.kind, edge.location)


def _visible_app(node: Node) -> bool:
    """An ECS service whose container definitions are not visible (templatefile, another repo) has nothing to
    judge."""
    return not (node.type == "aws_ecs_service" and not node.attrs.get("containers"))


def image_documented(setting: Setting) -> bool:
    """A setting that graph/image_behaviour.py derived from an image's documentation, not read in a file."""
    return setting.framework == "image"


def per_image_docs(node: Node) -> str:
    """" per the image's documentation (URL)" for a node whose facts came from image_behaviour.yaml, else ""."""
    docs = node.attrs.get("image_docs")
    if not isinstance(docs, dict) or not docs.get("source"):
        return ""
    return f" per the `{docs.get('image')}` image's documentation ({docs['source']})"
