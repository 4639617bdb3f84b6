"""The shared vocabulary that flows between stages: plain, frozen data.

Every stage (discover → parse → graph → rules → score → report) speaks only in these types,
so a stage can be tested, cached or replaced without knowing the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# The source formats a fact can come from.
Source = Literal["terraform", "kubernetes", "compose", "appconfig", "buildfile", "telemetry", "code"]

# What a file is, as discovery classifies it.
# `helm_template` and `helm_chart` (Chart.yaml, values files) are read by the renderer (auditor/render/helm.py).
FileKind = Literal["terraform", "kubernetes", "compose", "appconfig", "buildfile", "telemetry", "code", "helm_template",
                   "helm_chart", "unknown"]

# Node kinds: the small vocabulary every rule selects on (see ARCHITECTURE.md, "The graph").
NODE_KINDS = frozenset(
    {
        "service",  # anything that runs code and serves or calls: compose service, k8s workload, ECS service, Lambda
        "datastore",  # SQL/NoSQL database: RDS, Aurora, Cloud SQL, postgres container, StatefulSet running mysql…
        "cache",  # redis/memcached: ElastiCache, Memorystore, redis container
        "queue",  # SQS, SNS, Kafka/MSK, RabbitMQ, Pub/Sub, Service Bus
        "load_balancer",  # ALB/NLB/ELB, k8s Service of type LoadBalancer, Ingress, target groups
        "gateway",  # NAT gateway, internet gateway, API gateway, Istio gateway
        "network",  # VPC, subnet, security group
        "autoscaler",  # HPA, KEDA ScaledObject, ASG, ECS/AppAutoscaling policy
        "cluster",  # EKS/GKE/AKS/ECS cluster, node groups
        "proxy",  # connection poolers and proxies: RDS Proxy, PgBouncer, ProxySQL, Envoy
        "storage",  # object storage, volumes, file systems
        "config",  # ConfigMap, Secret (names only), .env, application.yml, settings.py
        "policy",  # PDB, NetworkPolicy, Istio DestinationRule/VirtualService
        "external",  # a host we could not resolve to anything in the repo
    }
)

# Edge kinds.
EDGE_KINDS = frozenset(
    {
        "calls",  # service → service over HTTP/gRPC
        "connects_to",  # service → datastore/cache/queue (a connection string, a client setting)
        "depends_on",  # compose depends_on/links, terraform depends_on
        "routes_to",  # load balancer/ingress/k8s Service → what receives its traffic
        "scales",  # autoscaler → what it scales
        "egress_via",  # subnet/route table → NAT/internet gateway
        "contains",  # network → subnet, cluster → node group, subnet → instance
        "configures",  # config → service that loads it; policy → service it governs
        "protects",  # PDB → workload
        "references",  # a Terraform reference with no more specific meaning
        "knows_address",  # holder → a host it is given the address of, not shown to call (see ADDRESS_PURPOSES)
        "scrapes",  # a Prometheus/collector scrape config → the service whose metrics it collects
    }
)

# Why a config value names an address without being a call: the `purpose` attribute of an edge (and of a
# settings `Link`). Rules that judge calls select on the `calls` kind, so a `knows_address` edge stays in the
# graph (visible in `audit graph`) without counting as a request-path dependency.
ADDRESS_PURPOSES = frozenset(
    {
        "self",  # the holder's own public or base address (BASE_URL, PUBLIC_URL, *_PUBLIC_*): builds links
        "origin",  # who may call the holder (CORS origins, trusted/allowed hosts), not whom it calls
        "browser",  # used by a browser: NEXT_PUBLIC_/REACT_APP_/VITE_ bases, redirects, login and logout pages
        "identity",  # an identity provider's issuer/authority/JWKS/OIDC discovery: fetched once and cached
        "health",  # a health-check URL (`*UrlHC`, `HealthChecks*Uri`, `/hc`, `/health`): polled, not per request
        "background",  # a periodic background fetch (release or update checks)
        "disabled",  # its feature switch in the same config is off (`X_ENABLED=false` next to `X_URL`)
        "address_book",  # lifted from a config that holds every service's address and that every service loads
        "published",  # the project's own service through its published port on the host's external address
        #               (`http://${EXTERNAL_IP}:5101` while catalog publishes 5101): what browsers are given
        "address",  # a scheme-less `host:port` under an address key: a call once its host resolves to a service
        "mention",  # a URL under a key whose words say nothing certain (`callback`, `webhook`, `docs`): a call
        #             once its host resolves to another service of the deployment (only the holder can reach it)
    }
)
# Purposes the graph stage turns into a call (or, for `address`, a connection) when the host resolves.
RESOLVED_PURPOSES = frozenset({"address", "mention"})
# Every suppression comment holds this (engine/suppress.py); a file without it suppresses nothing by comment.
SUPPRESSION_MARK = "audit:"
# Bytes of one source file read: a hand-written one (code, a Python settings module) is smaller; a bigger one is
# generated or bundled (discovery skips such code; the settings reader refuses such a module).
MAX_CODE_BYTES = 1_000_000

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a fact came from: a repo-relative POSIX path and 1-based lines."""

    path: str
    line: int = 1
    end_line: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with the input itself (not with the architecture): the file is reported, never fatal."""

    path: str
    message: str
    line: int | None = None
    # parse-error | too-large | binary | encoding | alias-bomb | too-deep | symlink | unreadable | not-rendered
    # | unsupported (a format the tool does not read: a note)
    code: str = "parse-error"
    level: Literal["error", "warning", "note"] = "error"


@dataclass(frozen=True, slots=True)
class Setting:
    """One recognised configuration fact about a service, with the line that states it.

    `topic` is one of: pool, conn_max_age, db_proxy, db_max_connections, session_store, cache_backend,
    timeout, datastore_timeout, server_timeout, retry, circuit_breaker, bulkhead, tracing, metrics,
    rate_limit, upload_dir, upload_storage, session_cache_alias (see parsers/settings.py);
    tracing_library, metrics_library (a dependency of the service's build file that emits them: value the
    system, key the dependency; parsers/buildfiles.py); scrape_target (a Prometheus scrape config's target:
    value `host[:port]`, key the job; parsers/telemetry.py); spring_profiles (active profiles, comma-joined)
    and app_name (`spring.application.name`), which graph/build.py reads to attach config files; from source
    code (auditor/code/facts.py) also `db_connect` (a database connection opened per request: value `handler`;
    one raw connection shared by the process: `shared`; key the library). `value` is normalised (a store name,
    a number, a bool). `via`: the places that make the setting apply where its own line does not show it (the
    calls from a request handler in another file that reach a connection: graph/per_request.py).
    """

    topic: str
    key: str
    value: Any
    location: Location
    framework: str = ""
    via: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    """A thing in the architecture, with the location of its definition.

    `id` is unique across the whole repo (see `node_id`). `attrs` holds normalised attributes
    (replicas, image, ports, probes, resources, …); `evidence` maps an attribute name to the
    location of the line that set it, so rules can point at the exact line.
    """

    id: str
    kind: str
    name: str
    source: Source
    type: str
    location: Location
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    evidence: dict[str, Location] = field(default_factory=dict, compare=False, hash=False)
    settings: tuple[Setting, ...] = ()


@dataclass(frozen=True, slots=True)
class Edge:
    """A relation between two nodes, located at the evidence that made it.

    `target` is either a node id or a symbolic reference that the graph stage resolves:
    `host:<hostname>` for a host in a URL or setting.
    """

    source: str
    target: str
    kind: str
    location: Location
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything one parser learned from one file (or, for Terraform, one module directory)."""

    path: str
    kind: FileKind
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    # Parser-specific material for a later per-kind combine step (e.g. Terraform variables).
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def node_id(source: str, type_: str, name: str, scope: str = "") -> str:
    """The one way ids are made, so parsers of different files agree on them.

    compose:   node_id("compose", "service", "api", scope=project_dir)
    kubernetes: node_id("kubernetes", "Deployment", "api", scope=namespace)
    terraform: node_id("terraform", "aws_db_instance", "main", scope=module_dir)
    appconfig: node_id("appconfig", "config", path)
    """
    scope_part = f"{scope}/" if scope else ""
    return f"{source}:{type_}:{scope_part}{name}"


def host_ref(host: str) -> str:
    """A symbolic edge target for a hostname, resolved in the graph stage."""
    return f"host:{host.lower().rstrip('.')}"


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding involves: the other end of an edge, a member of a cycle."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one rule, fully located and explained (the engine fills it in, not the rule)."""

    rule_id: str
    slug: str
    category: str
    severity: Severity
    title: str
    message: str
    location: Location
    subject: str  # the node id the finding is about (edges: the source node)
    fingerprint: str
    fix: str
    related: tuple[Related, ...] = ()
    deployment: str = ""  # the deployment of the subject (graph/deployments.py): `compose:src`, `kubernetes:k8s`


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is not reported: an inline comment, a file-wide comment, a Kubernetes annotation, a
    compose label, a config entry, or a baseline entry — always with a reason."""

    mechanism: Literal["inline", "file", "annotation", "label", "config", "baseline"]
    reason: str
    location: Location | None = None  # where the suppression itself is written
    rules: tuple[str, ...] = ()  # rule ids or slugs it names
