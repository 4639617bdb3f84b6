"""Checks of the resilience category (see the rule files in rules/ that name them).

A call is seen in configuration (an address a service is given) and in code (auditor/code/: the client call,
with what bounds it). Code decides where it speaks: a target the service's code calls with a bound (a
`timeout=`, a client built with a timeout, a retry or breaker around it) is bounded whatever the config says,
and one it calls without any is reported at the line of that call. A target seen only in configuration is
judged by the config keys and mesh objects that would bound it, as the verdict names.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from auditor.checks.context import CheckContext, Hit
from auditor.checks.coupling import CONTROL_PLANE_KEY, control_plane
from auditor.checks.observability import application_services
from auditor.checks.state import dev_only
from auditor.graph.deployments import compose_file_rank
from auditor.model import Edge, Location, Node, Related, Setting

# -- RESIL001 call-without-timeout ----------------------------------------------------------------------------

_CLIENT_TOPICS = ("timeout", "retry", "circuit_breaker")
_SHARED_CODE = frozenset({"shared_image", "shared_mount"})  # graph/code.py: owners that take a file's settings only
_TELEMETRY = frozenset({"observability"})
# Words in a URL key or a host that do not name the service called.
_GENERIC = frozenset({
    "url", "uri", "urls", "host", "hostname", "addr", "address", "endpoint", "endpoints", "base", "baseurl", "api",
    "apis", "service", "services", "svc", "server", "port", "http", "https", "grpc", "client", "clients", "config",
    "target", "upstream", "remote", "app", "web", "backend", "internal", "external", "v1", "v2", "www", "com",
    "net", "org", "io", "local", "cluster", "default", "the", "root", "public", "private", "prod", "production",
})
# Words in a timeout key that say it bounds something other than an HTTP call to one of our services.
_NOT_HTTP = frozenset({"smtp", "mail", "email", "ldap", "s3", "sqs", "sns", "kafka", "redis", "db", "database",
                       "cache", "socket", "lock", "ftp", "sftp", "dns", "storage", "bucket"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> frozenset[str]:
    """`feign.client.config.orders-api.readTimeout` → {orders-api, orders, api, read, timeout, …}. Cached: the
    same keys (`OTHER_URL`, a client's timeout) come back for every caller and target."""
    found: set[str] = set()
    for segment in re.split(r"[.\[\]()/:\s]+", text):
        if not segment:
            continue
        found.add(segment.lower())
        for part in re.split(r"[-_]+", _CAMEL.sub("_", segment)):
            if part:
                found.add(part.lower())
    return frozenset(found)


def _names(node: Node, edges: list[Edge]) -> set[str]:
    """What a config key may call the target by: its name, the host as written, the URL key's stem."""
    names = {node.name.lower()}
    hosts = [str(e.attrs["host"]) for e in edges if e.attrs.get("host")]
    if node.kind == "external":
        hosts.append(node.name)
    for host in hosts:
        labels = host.lower().split(".")
        names.add(labels[0])
        if node.kind == "external" and len(labels) >= 2:
            names.add(labels[-2])  # api.stripe.com → stripe
    for edge in edges:
        key = edge.attrs.get("key")
        if isinstance(key, str):
            names |= {t for t in _tokens(key) if t not in _GENERIC and not t.isdigit()}
    parts = {p for name in list(names) for p in re.split(r"[-_]+", name) if p}
    return {n for n in names | parts if n not in _GENERIC and len(n) > 1}


def _active(setting: Setting) -> bool:
    value = setting.value
    if setting.topic == "timeout":
        if value is True:
            return True  # code sets a timeout whose length it does not show (client_defaults)
        return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return value is not False and value != 0


def _client_policy(ctx: CheckContext, caller: Node, names: set[str], others: set[str]) -> Setting | None:
    """The caller's timeout/retry/breaker setting that covers calls to a target known by `names`: one named
    for it (`feign.client.config.orders.readTimeout`), else a default that names no other dependency. A
    config-server or registry client's own retry (`spring.cloud.config.retry.*`, `eureka.client.*`) covers
    only that lookup at start-up."""
    candidates = [s for topic in _CLIENT_TOPICS for s in ctx.settings(caller, topic)
                  if _active(s) and not dev_only(s.location.path) and not CONTROL_PLANE_KEY.search(s.key)]
    named = [s for s in candidates if _tokens(s.key) & names]
    if named:
        return named[0]
    for setting in candidates:
        if not _tokens(setting.key) & (others | _NOT_HTTP):
            return setting
    return None


def _host_matches(host: str, hosts: list[str]) -> bool:
    short = host.split(".", 1)[0]
    return any(h.lower() == host or h.lower().split(".", 1)[0] == short for h in hosts)


def _mesh_policy(ctx: CheckContext, target: str) -> Node | None:
    """An Istio/Linkerd object that bounds calls to `target`: a DestinationRule with outlier detection or a
    connection pool, a mesh VirtualService for its host with a timeout or retries, a ServiceProfile with a
    route timeout or a retry budget."""
    for edge in ctx.in_edges(target, ["configures"]):
        policy = ctx.node(edge.source)
        attrs = policy.attrs
        if policy.type == "DestinationRule":
            subsets = attrs.get("subsets") or []
            if attrs.get("outlier_detection") or attrs.get("connection_pool") or any(
                    isinstance(s, dict) and (s.get("outlier_detection") or s.get("connection_pool")) for s in subsets):
                return policy
        elif policy.type == "VirtualService":
            gateways = attrs.get("gateways") or []
            if gateways and "mesh" not in gateways:
                continue  # applies to traffic entering through a gateway, not to calls between services
            host = edge.attrs.get("host")
            if isinstance(host, str) and not _host_matches(host, list(attrs.get("hosts") or [])):
                continue  # configures it only as a route destination of another host
            if any(isinstance(r, dict) and r.get("protocol") == "http" and (r.get("timeout") or r.get("retries"))
                   for r in attrs.get("routes") or []):
                return policy
        elif policy.type == "ServiceProfile" and (attrs.get("timeouts_set") or attrs.get("retry_budget")):
            return policy
    return None


def _call_order(caller: Node) -> Callable[[Edge], tuple[int, Location]]:
    return lambda edge: (0 if edge.location.path == caller.location.path else 1, edge.location)


def call_without_timeout(ctx: CheckContext) -> Iterator[Hit]:
    """RESIL001: a service calls another service or a third-party API with nothing bounding the call."""
    longest_default = float(ctx.options.get("max_default_timeout_seconds", 30))
    for caller in application_services(ctx):
        by_target: dict[str, list[Edge]] = defaultdict(list)
        for edge in ctx.out_edges(caller.id, ["calls"]):
            if not control_plane(edge):
                by_target[edge.target].append(edge)
        yield from _unresolved_code_calls(ctx, caller, longest_default)
        if not by_target:
            continue
        ctx.examine(caller)
        names = {target: _names(ctx.node(target), edges) for target, edges in by_target.items()}
        for target, edges in sorted(by_target.items()):
            node = ctx.node(target)
            if node.kind not in ("service", "external", "load_balancer") or node.attrs.get("role") in _TELEMETRY:
                continue  # a log or trace sink (Seq, Zipkin) is written to from a background queue
            others = set().union(*(n for t, n in names.items() if t != target)) - names[target]
            if _mesh_policy(ctx, target) or _client_policy(ctx, caller, names[target], others):
                continue
            in_code = [e for e in edges if e.attrs.get("code") and "deferred" not in (e.attrs.get("bounds") or [])]
            unbounded = [e for e in in_code if not _bounded_in_code(e.attrs, longest_default)]
            if in_code and not unbounded:
                continue  # every call the code makes to it is bounded
            what = _what(node)
            if unbounded:
                edges = sorted(unbounded, key=lambda e: e.location) + sorted(
                    (e for e in edges if not e.attrs.get("code")), key=_call_order(caller))
                yield _code_hit(caller, node, edges, what)
                continue
            # A code line whose bound is decided elsewhere (a gRPC client registration) is neither cleared
            # nor reported: the config's address is where the finding is.
            edges = sorted((e for e in edges if not e.attrs.get("code")), key=_call_order(caller))
            if not edges:
                continue  # only code whose bound is decided elsewhere shows this call
            keys = sorted({str(e.attrs["key"]) for e in edges if e.attrs.get("key")})
            related = [Related(node.location, f"{what} `{node.name}`")]
            related += [Related(e.location, f"`{caller.name}` also calls `{node.name}` here") for e in edges[1:]]
            yield Hit(
                caller.id,
                f"`{caller.name}` calls {what} `{node.name}`"
                f"{' (' + ', '.join(keys) + ')' if keys else ''} with no timeout, retry budget or circuit "
                f"breaker configured for it; one slow dependency ties up every worker of `{caller.name}`",
                evidence=edges[0].location,
                related=tuple(related),
                key=target,
            )


def _what(node: Node) -> str:
    """How a message names the callee: a service of the repository, a third-party API (a public domain name), or
    a host nothing in the repository defines (`apigw`: a single-label name is internal, just not deployed)."""
    if node.kind != "external":
        return "service"
    if node.attrs.get("role") == "external" and "." in node.name:
        return "third-party API"
    return "host"


def _bounded_in_code(call: Mapping[str, Any], longest_default: float) -> bool:
    """A timeout or circuit breaker the code sets, or a library default timeout no longer than `longest_default`
    seconds (httpx's 5 s, OkHttp's 10 s bound a call; .NET HttpClient's 100 s or aiohttp's 300 s leave a worker
    waiting for minutes). A retry alone (got retries by default) does not bound a call that hangs. `call` is a
    code call's edge attrs or its `unresolved_calls` entry: both carry `bounds` and `default_timeout_s`."""
    bounds = set(call.get("bounds") or [])
    if bounds & {"timeout", "circuit_breaker"}:
        return True  # a retry alone does not bound a call that hangs: it never fails, so it is never retried
    if "default_timeout" not in bounds:
        return False
    seconds = call.get("default_timeout_s")
    return not isinstance(seconds, int | float) or seconds <= longest_default


def _code_hit(caller: Node, node: Node, edges: list[Edge], what: str) -> Hit:
    """A call the caller's code makes with nothing bounding it, at the line of the call."""
    first = edges[0]
    client = str(first.attrs.get("client") or "an HTTP client")
    related = [Related(node.location, f"{what} `{node.name}`")]
    placed = {Location(str(e.attrs["address_path"]), int(e.attrs.get("address_line") or 1))
              for e in edges if e.attrs.get("code") and e.attrs.get("address_path")}
    for edge in edges[1:]:
        if edge.attrs.get("code"):
            related.append(Related(edge.location, f"`{caller.name}` also calls `{node.name}` here, unbounded"))
        elif edge.attrs.get("key") and edge.location not in placed:
            related.append(Related(edge.location, f"the address of `{node.name}` (`{edge.attrs['key']}`)"))
    for where in sorted(placed):
        related.append(Related(where, f"the address of `{node.name}` the code reads (`{first.attrs.get('key')}`)"))
    if first.attrs.get("bean_path"):
        related.append(_bean_related(str(first.attrs.get("injected") or ""), str(first.attrs["bean_path"]),
                                     int(first.attrs.get("bean_line") or 1)))
    key_note = f" (address from `{first.attrs['key']}`)" if first.attrs.get("key") else ""
    default = first.attrs.get("default_timeout_s")
    nothing = (f"only {client}'s default timeout of {default:g} s" if isinstance(default, int | float) else
               "no timeout") + ", retry budget or circuit breaker on the call or its client"
    if first.attrs.get("context_without_deadline"):
        callers = [str(c) for c in first.attrs.get("callers_without_deadline") or []]
        named = ", ".join(f"`{c}`" for c in callers[:5])
        nothing += f" (the context it is given has no deadline: no code of `{caller.name}` sets one" + (
            f", and {named} {'calls' if len(callers) == 1 else 'call'} it without one)" if callers else ")")
    return Hit(caller.id, f"`{caller.name}` calls {what} `{node.name}` with {client}{key_note} and {nothing}; "
                          f"one slow dependency ties up every worker of `{caller.name}`",
               evidence=first.location, related=tuple(related), key=node.id)


def _unresolved_code_calls(ctx: CheckContext, caller: Node, longest_default: float) -> Iterator[Hit]:
    """Unbounded calls in the caller's code whose target the code does not show (a URL passed in): one
    finding per file, at the first such call."""
    for edge in ctx.in_edges(caller.id, ["configures"]):
        config = ctx.node(edge.source)
        if config.source != "code":
            continue
        # code the caller only shares (one image or mounted folder for several services) gives its settings, not
        # its calls: only a call placed with this owner (graph/code.py, graph/linkage.py) is the caller's
        shared = edge.attrs.get("via") in _SHARED_CODE
        calls = [c for c in config.attrs.get("unresolved_calls") or []
                 if isinstance(c, dict) and c.get("owner", None if shared else caller.id) == caller.id
                 and not _bounded_in_code(c, longest_default) and "deferred" not in (c.get("bounds") or [])]
        if not calls:
            continue
        lines = sorted(int(c.get("line") or 1) for c in calls)
        clients = sorted({str(c.get("client") or "an HTTP client") for c in calls})
        path = config.location.path
        defaults = sorted({float(c["default_timeout_s"]) for c in calls
                           if isinstance(c.get("default_timeout_s"), int | float)})
        nothing = (f"only a default timeout of {defaults[-1]:g} s" if defaults and len(defaults) == len(calls)
                   else "no timeout") + ", retry budget or circuit breaker on the call or its client"
        related = [Related(Location(path, line), "another unbounded call") for line in lines[1:20]]
        related += [_bean_related(str(c.get("injected") or ""), str(c["bean_path"]), int(c.get("bean_line") or 1))
                    for c in {str(c.get("bean_path")): c for c in calls if c.get("bean_path")}.values()]
        yield Hit(caller.id, f"`{caller.name}` makes {len(lines)} outbound call(s) with {', '.join(clients)} in "
                             f"`{posixpath.basename(path)}` with {nothing}; one slow dependency ties up every worker "
                             f"of `{caller.name}`",
                  evidence=Location(path, lines[0]), related=tuple(related), key=f"code:{path}")


def _bean_related(injected: str, path: str, line: int) -> Related:
    """Where the injected client of an unbounded call is built: a typed client's registration, a @Bean, the dial of
    a gRPC stub's connection."""
    if injected.startswith("grpc:"):
        stub = injected.rsplit(".", 1)[-1] if "." in injected else injected[len("grpc:"):]
        return Related(Location(path, line), f"the dial of the connection its `{stub}` stub uses, with no timeout or "
                                             "retry interceptor")
    what = (f"the registration of typed client `{injected.removeprefix('HttpClient:')}`, which attaches nothing that "
            "bounds it" if injected.startswith("HttpClient:") else
            f"the @Bean that builds the {injected} its client comes from, with no timeout")
    return Related(Location(path, line), what)


# -- RESIL002 missing-readiness-probe -------------------------------------------------------------------------

_PROBED_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout",
                               "ReplicationController"})


def missing_readiness_probe(ctx: CheckContext) -> Iterator[Hit]:
    """RESIL002: a Kubernetes workload that a Service routes to (or others call) has no readiness probe."""
    for node in ctx.nodes(source="kubernetes"):
        if node.attrs.get("workload_kind") not in _PROBED_WORKLOADS or node.attrs.get("readiness_probe") is None:
            continue
        routers = [ctx.node(e.source) for e in ctx.in_edges(node.id, ["routes_to"])]
        callers = [ctx.node(e.source) for e in ctx.in_edges(node.id, ["calls"])]
        if not routers and not callers:
            continue
        ctx.examine(node)
        if node.attrs["readiness_probe"]:
            continue
        all_containers = [c for c in node.attrs.get("containers") or [] if isinstance(c, dict)]
        app = [c for c in all_containers if not c.get("sidecar")] or all_containers
        containers = [c.get("name") for c in app if not c.get("readiness")]
        names = ", ".join(f"`{c}`" for c in containers if c) or "a container"
        via = f"Service `{routers[0].name}` routes" if routers else f"`{callers[0].name}` sends"
        yield Hit(
            node.id,
            f"{node.type} `{node.name}`: {via} traffic to it but {names} has no readiness probe; pods get "
            f"requests while starting, warming up or overloaded, and rollouts cut over before they can answer",
            attr="readiness_probe",
            related=tuple(ctx.related(r, f"{r.type} `{r.name}` sends it traffic") for r in [*routers, *callers]),
        )


# -- RESIL004 no-rate-limit-at-edge ---------------------------------------------------------------------------

_NGINX_LIMITS = ("nginx.ingress.kubernetes.io/limit-rps", "nginx.ingress.kubernetes.io/limit-rpm",
                 "nginx.ingress.kubernetes.io/limit-connections", "nginx.ingress.kubernetes.io/global-rate-limit",
                 "nginx.org/limit-req-rate", "haproxy.org/rate-limit-requests",
                 "haproxy-ingress.github.io/limit-rps", "haproxy-ingress.github.io/limit-connections",
                 "ingress.kubernetes.io/limit-rps", "projectcontour.io/rate-limit")
_SNIPPETS = ("nginx.ingress.kubernetes.io/configuration-snippet", "nginx.ingress.kubernetes.io/server-snippet",
             "nginx.org/location-snippets", "nginx.org/server-snippets")
# A firewall in front of the load balancer whose rules we cannot see: given the benefit of the doubt.
_WAF_ANNOTATIONS = ("alb.ingress.kubernetes.io/wafv2-acl-arn", "alb.ingress.kubernetes.io/waf-acl-id",
                    "alb.ingress.kubernetes.io/web-acl-id")
_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": lambda v: v.lower() not in ("false", "0", ""),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": lambda v: v.lower() == "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": lambda v: v.lower() == "true",
    "networking.gke.io/load-balancer-type": lambda v: v.lower() == "internal",
    "cloud.google.com/load-balancer-type": lambda v: v.lower() == "internal",
    "service.beta.kubernetes.io/oci-load-balancer-internal": lambda v: v.lower() == "true",
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": lambda v: v.lower() == "private",
}
# Images of ingress controllers and mesh gateways: the routes they serve (Ingress, Gateway) are judged instead.
_CONTROLLER_IMAGES = re.compile(r"ingress-nginx|nginx-ingress|/controller|traefik|kong|proxyv2|envoy|contour|"
                                r"haproxy-ingress|kubernetes-ingress|emissary|ambassador|istio", re.IGNORECASE)
_PROXY_IMAGES = re.compile(r"(^|/)(nginx|nginx-unprivileged|openresty)(:|@|$)", re.IGNORECASE)
_TRAEFIK_IMAGE = re.compile(r"(^|/)traefik(:|@|$)", re.IGNORECASE)
_TERRAFORM_EDGES = frozenset({"aws_lb", "aws_alb", "aws_api_gateway_rest_api", "aws_apigatewayv2_api"})
_ALB_MODULE = "terraform-aws-modules/alb/aws"


def _rate_limited(setting: Setting) -> bool:
    """A rate limit that is in force: nginx needs `limit_req`/`limit_conn` (a zone alone limits nothing)."""
    if setting.value is False or setting.value == 0 or dev_only(setting.location.path):
        return False
    if setting.framework == "nginx":
        return setting.key.rsplit(".", 1)[-1] in ("limit_req", "limit_conn")
    return True


def _limits(ctx: CheckContext, node: Node) -> Setting | None:
    return next((s for s in ctx.settings(node, "rate_limit") if _rate_limited(s)), None)


def _annotations(node: Node) -> dict[str, str]:
    value = node.attrs.get("annotations")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _namespace(node: Node) -> str:
    return str(node.attrs.get("namespace") or "default")


def _refs(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _crd_covered(ctx: CheckContext, ingress: Node, annotations: dict[str, str]) -> bool | None:
    """Traefik middlewares and Kong plugins the Ingress names: True if one limits the rate, None if one is not
    defined in this repository (we cannot tell), False otherwise."""
    verdict: bool | None = False
    middlewares = annotations.get("traefik.ingress.kubernetes.io/router.middlewares", "")
    for ref in _refs(middlewares):
        name = ref.split("@", 1)[0]
        defined = [m for m in ctx.of_type("Middleware") if m.kind == "policy" and (
            m.name == name or f"{_namespace(m)}-{m.name}" == name)]
        if not defined:
            verdict = None
        elif any(m.attrs.get("rate_limit") for m in defined):
            return True
    plugins = annotations.get("konghq.com/plugins", "")
    kong = [p for p in [*ctx.of_type("KongPlugin"), *ctx.of_type("KongClusterPlugin")] if p.kind == "policy"]
    if any(p.type == "KongClusterPlugin" and p.attrs.get("global") and p.attrs.get("rate_limit") for p in kong):
        return True
    for name in _refs(plugins):
        defined = [p for p in kong if p.name == name and (p.type == "KongClusterPlugin" or
                                                          _namespace(p) == _namespace(ingress))]
        if not defined:
            verdict = None
        elif any(p.attrs.get("rate_limit") for p in defined):
            return True
    return verdict


def _mesh_rate_limit(ctx: CheckContext) -> Node | None:
    return next((f for f in ctx.of_type("EnvoyFilter") if f.kind == "policy" and f.attrs.get("rate_limit")), None)


def _backends(ctx: CheckContext, node: Node) -> list[Node]:
    """The workloads behind an Ingress or a Service (through the Services an Ingress names)."""
    found: dict[str, Node] = {}
    frontier = [node.id]
    for _ in range(2):
        following = []
        for ident in frontier:
            for edge in ctx.out_edges(ident, ["routes_to"]):
                target = ctx.node(edge.target)
                if target.kind == "load_balancer":
                    following.append(target.id)
                elif target.kind != "external":
                    found[target.id] = target
        frontier = following
    return [found[k] for k in sorted(found)]


def _ingress(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    annotations = _annotations(node)
    ingress_class = str(node.attrs.get("ingress_class") or "").lower()
    if "internal" in ingress_class or "private" in ingress_class:
        return
    alb = ingress_class == "alb" or any(k.startswith("alb.ingress.kubernetes.io/") for k in annotations)
    if alb and annotations.get("alb.ingress.kubernetes.io/scheme", "internal").lower() != "internet-facing":
        return  # the AWS Load Balancer Controller makes internal ALBs unless told otherwise
    if ingress_class in ("gce-internal",):
        return
    if any(annotations.get(f"nginx.ingress.kubernetes.io/{k}") for k in ("permanent-redirect", "temporal-redirect")):
        return  # ingress-nginx answers every request with the redirect itself: nothing reaches a backend
    crd = _crd_covered(ctx, node, annotations)
    if crd is None:
        return  # it names a middleware/plugin defined elsewhere: not ours to judge
    ctx.examine(node)
    if crd or any(k in annotations for k in (*_NGINX_LIMITS, *_WAF_ANNOTATIONS)):
        return
    if any("limit_req" in annotations.get(k, "") or "limit_conn" in annotations.get(k, "") for k in _SNIPPETS):
        return
    if ingress_class == "istio" and _mesh_rate_limit(ctx):
        return
    backends = [b for b in _backends(ctx, node) if b.kind == "service"]
    if backends and all(_limits(ctx, b) for b in backends):
        return
    yield Hit(
        node.id,
        f"Ingress `{node.name}` is a public entry point with no rate limit in sight (no limit-rps/limit-rpm "
        f"annotation, rate-limit middleware or plugin, WAF); one client or bot can exhaust every backend behind it",
        attr="annotations" if annotations else "routes",
    )


def _load_balancer_service(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    annotations = _annotations(node)
    if any(key in annotations and internal(annotations[key]) for key, internal in _INTERNAL_LB.items()):
        return
    backends = _backends(ctx, node)
    if any(_CONTROLLER_IMAGES.search(str(b.attrs.get("image") or "")) for b in backends):
        return  # an ingress controller or mesh gateway: its Ingress/Gateway routes are judged instead
    if backends and all(b.kind != "service" for b in backends):
        return  # a database or broker exposed directly is a different problem, not an HTTP edge
    ctx.examine(node)
    if any(_limits(ctx, b) for b in backends):
        return
    yield Hit(
        node.id,
        f"Service `{node.name}` of type LoadBalancer exposes its pods to the internet with no rate limit in "
        f"front of them; put it behind an Ingress or gateway that limits requests per client",
        attr="type",
    )


def _istio_gateway(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    selector = node.attrs.get("selector") or {}
    if any(re.search(r"internal|ilb|private|eastwest", str(v), re.IGNORECASE) for v in selector.values()):
        return
    ctx.examine(node)
    if _mesh_rate_limit(ctx):
        return
    yield Hit(
        node.id,
        f"Istio Gateway `{node.name}` admits external traffic with no local or global rate limit "
        f"(EnvoyFilter) in this repository",
        attr="servers",
    )


def _compose_proxy(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if not node.attrs.get("published_ports"):
        return
    image = str(node.attrs.get("image") or "")
    configs = [ctx.node(e.source) for e in ctx.in_edges(node.id, ["configures"])]
    if any(c.type == "nginx" for c in configs):
        if not ctx.out_edges(node.id, ["calls"]):
            return  # nginx serving its own files (or PHP over a local socket): nothing behind it to exhaust
        ctx.examine(node)
        limit = _limits(ctx, node)
        if limit is None:
            yield Hit(node.id, f"`{node.name}` publishes ports {_ports(node)} and proxies to the services behind it "
                      "without `limit_req`/`limit_conn` in its nginx config; one client can exhaust them all",
                      attr="published_ports")
        return
    if _TRAEFIK_IMAGE.search(image) and not _PROXY_IMAGES.search(image):
        command = str(node.attrs.get("command") or "")
        if "providers.docker" not in command or "providers.file" in command or not command:
            return  # routes and middlewares come from a file we do not read
        ctx.examine(node)
        project = node.id.rsplit("/", 1)[0]
        labelled = [s for s in ctx.nodes(source="compose") if s.id.rsplit("/", 1)[0] == project]
        if any(re.search(r"\.middlewares\.[^.]+\.(ratelimit|inflightreq)\.", str(key), re.IGNORECASE)
               for s in labelled for key in (s.attrs.get("labels") or {})):
            return
        yield Hit(node.id, f"Traefik `{node.name}` publishes ports {_ports(node)} and no service defines a "
                  "`ratelimit` or `inflightreq` middleware; one client can exhaust every backend",
                  attr="published_ports")


def _ports(node: Node) -> str:
    ports = node.attrs.get("published_ports") or []
    return ", ".join(str(p) for p in ports) if isinstance(ports, list) else str(ports)


def _terraform_edge(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    """Public ALBs and API gateways: judged once the Terraform parser says whether a WAF rate-based rule or
    stage/usage-plan throttling covers them (`rate_limited`: True/False; absent = not known)."""
    limited: Any = node.attrs.get("rate_limited")
    if limited is None or node.attrs.get("internal") is True:
        return
    load_balancer = node.type in ("aws_lb", "aws_alb") or node.attrs.get("module") == _ALB_MODULE
    if load_balancer and node.attrs.get("load_balancer_type") not in (None, "application"):
        return
    ctx.examine(node)
    if limited:
        return
    what = "public load balancer" if load_balancer else "API gateway"
    yield Hit(node.id, f"{what} `{node.name}` has no WAF rate-based rule or throttling; one client can exhaust "
              "every backend behind it", attr="rate_limited" if "rate_limited" in node.evidence else None)


def no_rate_limit_at_edge(ctx: CheckContext) -> Iterator[Hit]:
    """RESIL004: a public entry point (Ingress, LoadBalancer Service, gateway, published proxy) with no rate limit."""
    for node in ctx.nodes():
        if (node.source in ("kubernetes", "compose") and dev_only(node.location.path)) or compose_file_rank(node) == 3:
            continue  # a local or test stack (`local-dockerk8s/`, `docker-compose.dev.yml`, a service only the
            # local `docker-compose.override.yml` adds) is nobody's public edge
        if node.source == "kubernetes" and node.type == "Ingress":
            yield from _ingress(ctx, node)
        elif node.source == "kubernetes" and node.type == "Service" and node.attrs.get("type") == "LoadBalancer":
            yield from _load_balancer_service(ctx, node)
        elif node.source == "kubernetes" and node.type == "Gateway" and "servers" in node.attrs:
            yield from _istio_gateway(ctx, node)
        elif node.source == "compose" and node.kind == "service":
            yield from _compose_proxy(ctx, node)
        elif node.source == "terraform" and (node.type in _TERRAFORM_EDGES or node.attrs.get("module") == _ALB_MODULE):
            yield from _terraform_edge(ctx, node)


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "call_without_timeout": call_without_timeout,
    "missing_readiness_probe": missing_readiness_probe,
    "no_rate_limit_at_edge": no_rate_limit_at_edge,
}
