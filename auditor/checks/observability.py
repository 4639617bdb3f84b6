"""Checks of the observability category (see the rule files in rules/ that name them).

Only application services are judged: the code this repository builds or deploys. Datastores, caches,
queues and proxies are other node kinds already; third-party infrastructure images (nginx, Envoy, the
OpenTelemetry collector, Grafana, …) run as shipped and are not the repository's to instrument.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

from auditor.checks.context import CheckContext, Hit
from auditor.graph.deployments import deployment_of
from auditor.model import Node, Related, Setting
from auditor.parsers import telemetry

# Environment variables that configure a tracer even when their value is not visible (valueFrom, secrets).
_TRACING_ENV = re.compile(r"^(OTEL_(?!METRICS_|LOGS_|EXPORTER_OTLP_METRICS_|EXPORTER_OTLP_LOGS_)\w+|DD_TRACE_\w+|"
                          r"DD_AGENT_HOST|JAEGER_\w+|ZIPKIN_\w+|ELASTIC_APM_\w+|NEW_RELIC_\w+|NEWRELIC_\w+|"
                          r"AWS_XRAY_\w+|LIGHTSTEP_\w+|HONEYCOMB_\w+)$", re.IGNORECASE)
_METRICS_ENV = re.compile(r"^(PROMETHEUS_\w+|STATSD_\w+|DD_DOGSTATSD_\w+|DD_AGENT_HOST|OTEL_METRICS_EXPORTER|"
                          r"OTEL_EXPORTER_OTLP_METRICS_\w+|METRICS_PORT|METRICS_ENABLED)$", re.IGNORECASE)
# Launchers and agents that instrument a process from its command line.
_TRACING_COMMAND = re.compile(r"opentelemetry-instrument|opentelemetry-javaagent|ddtrace-run|newrelic-admin|"
                              r"@opentelemetry/auto-instrumentations-node|dd-trace/init", re.IGNORECASE)
# `-javaagent:<jar>` is judged by the jar's name; each match consumes its token, so the scan stays linear.
_JAVA_AGENT = re.compile(r"-javaagent:(\S+)", re.IGNORECASE)
_TRACING_AGENT = re.compile(r"otel|opentelemetry|dd-java-agent|newrelic|elastic-apm|aws-opentelemetry", re.IGNORECASE)
# Pod annotations (or labels) of operators that inject a tracer into the pod.
_TRACING_INJECTION = ("instrumentation.opentelemetry.io/inject-", "admission.datadoghq.com/",
                      "instrumentation.newrelic.com/")


# -- scope -------------------------------------------------------------------------------------------------


def application_services(ctx: CheckContext) -> list[Node]:
    """The services whose code this repository owns, in id order (graph/roles.py decides)."""
    return ctx.applications()


# -- what can be seen --------------------------------------------------------------------------------------


def _pod_metadata(node: Node) -> dict[str, str]:
    found: dict[str, str] = {}
    for attr in ("pod_labels", "pod_annotations"):
        value = node.attrs.get(attr)
        if isinstance(value, dict):
            found.update({str(k): str(v) for k, v in value.items()})
    return found


def _meshed(node: Node, ctx: CheckContext | None = None) -> str | None:
    """The service mesh whose sidecar (or ambient data plane) carries this workload's traffic: injected by its
    own pod metadata, or by its Namespace's labels/annotations unless the pod opts out."""
    meta = _pod_metadata(node)
    if meta.get("sidecar.istio.io/inject", "").lower() == "true" or "istio.io/rev" in meta or \
            meta.get("istio.io/dataplane-mode", "").lower() == "ambient":
        return "Istio"
    if meta.get("linkerd.io/inject", "").lower() in ("enabled", "ingress"):
        return "Linkerd"
    if ctx is None or node.source != "kubernetes" or node.attrs.get("host_network"):
        return None  # the injectors skip host-network pods
    mesh = _namespace_mesh(ctx, node.attrs.get("namespace"))
    if mesh == "Istio" and (meta.get("sidecar.istio.io/inject", "").lower() == "false" or
                            meta.get("istio.io/dataplane-mode", "").lower() == "none"):
        return None
    if mesh == "Linkerd" and meta.get("linkerd.io/inject", "").lower() == "disabled":
        return None
    return mesh


def _namespace_mesh(ctx: CheckContext, namespace: Any) -> str | None:
    """The mesh a Namespace object in the repository injects into every pod in it (parser attr `mesh`)."""
    if not isinstance(namespace, str):
        return None
    for other in ctx.of_type("Namespace", namespace=namespace):  # a Namespace object's namespace is its name
        if other.kind == "config" and other.name == namespace and isinstance(other.attrs.get("mesh"), str):
            return str(other.attrs["mesh"])
    return None


# Mesh routing objects and the mesh whose proxies apply them.
_ROUTING_MESH = {"VirtualService": "Istio", "DestinationRule": "Istio", "ServiceProfile": "Linkerd"}
_WORKLOAD_TYPES = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout", "DeploymentConfig")


def _routed_mesh(node: Node, ctx: CheckContext) -> str | None:
    """A mesh inferred from routing objects that target this workload (a mesh-bound VirtualService, a
    DestinationRule, a Linkerd ServiceProfile): they only act inside a mesh, so the workload's traffic runs
    through mesh proxies that emit a span per hop. Not inferred when the repository itself decides injection
    for the namespace (a Namespace object of it, or another pod there opting in by its own annotation: then
    a pod without the opt-in has no sidecar, and the routes are applied by its callers' proxies), nor for a
    pod that opts out or uses the host network."""
    if node.source != "kubernetes" or node.attrs.get("host_network"):
        return None
    meta = _pod_metadata(node)
    namespace = node.attrs.get("namespace")
    for edge in ctx.in_edges(node.id, ["configures"]):
        policy = ctx.node(edge.source)
        mesh = _ROUTING_MESH.get(policy.type) if policy.source == "kubernetes" else None
        if mesh is None:
            continue
        gateways = policy.attrs.get("gateways")
        if policy.type == "VirtualService" and isinstance(gateways, list) and gateways and "mesh" not in gateways:
            continue  # routes from an ingress gateway only: the workload itself need not be in the mesh
        if (mesh == "Istio" and meta.get("sidecar.istio.io/inject", "").lower() == "false") or \
                (mesh == "Linkerd" and meta.get("linkerd.io/inject", "").lower() == "disabled"):
            continue
        if _injection_managed(ctx, namespace):
            continue
        return f"{mesh} sidecar (inferred from {policy.type} `{policy.name}`)"
    return None


def _injection_managed(ctx: CheckContext, namespace: Any) -> bool:
    """Whether the repository states sidecar injection for `namespace` itself (computed once per graph)."""
    managed: set[Any] | None = ctx.graph.graph.get("mesh_injection_managed")
    if managed is None:
        managed = {n.name for n in ctx.of_type("Namespace") if n.kind == "config"}
        for workload_type in _WORKLOAD_TYPES:
            for workload in ctx.of_type(workload_type):
                if _meshed(workload) is not None:
                    managed.add(workload.attrs.get("namespace"))
        ctx.graph.graph["mesh_injection_managed"] = managed
    return namespace in managed


def _env_keys(node: Node) -> list[str]:
    keys = node.attrs.get("env_keys")
    return [str(k) for k in keys] if isinstance(keys, list) else []


def _commands(node: Node) -> str:
    parts = [node.attrs.get("command"), node.attrs.get("entrypoint")]
    return " ".join(str(p) for p in parts if p)


def _lambda_tracing(node: Node) -> bool:
    config = node.attrs.get("config")
    if not isinstance(config, dict):
        return False
    tracing = config.get("tracing_config")
    if isinstance(tracing, dict) and str(tracing.get("mode", "")).lower() == "active":
        return True
    return bool(re.search(r"otel|opentelemetry|datadog|newrelic|lumigo|dynatrace", str(config.get("layers", "")),
                          re.IGNORECASE))


def traced_by(node: Node, ctx: CheckContext) -> str | None:
    """How this service emits traces (a tracer name), or None when nothing visible does (`ctx` lets a
    namespace-wide mesh injection count). Asked once per service and run: OBS001 and OBS002 ask it of every
    service, and again of each callee."""
    known: dict[str, str | None] = ctx.once("traced_by", dict)
    if node.id not in known:
        known[node.id] = _traced_by(node, ctx)
    return known[node.id]


def _traced_by(node: Node, ctx: CheckContext) -> str | None:
    for setting in node.settings:
        if setting.topic == "tracing" and setting.value not in (False, None):
            return str(setting.value)
    for key in _pod_metadata(node):
        if key.startswith(_TRACING_INJECTION):
            return "auto-instrumentation"
    mesh = _meshed(node, ctx)
    if mesh:
        return f"{mesh} sidecar"
    commands = _commands(node)
    if _TRACING_COMMAND.search(commands) or any(
        _TRACING_AGENT.search(jar) for jar in _JAVA_AGENT.findall(commands)
    ):
        return "agent"
    if node.type == "aws_lambda_function" and _lambda_tracing(node):
        return "x-ray"
    disabled = {k.upper() for k in _env_keys(node) if k.upper() in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER")}
    if not disabled and any(_TRACING_ENV.match(k) for k in _env_keys(node)):
        return "env"
    return _agent_env(node) or _routed_mesh(node, ctx) or _dapr_sidecar(node, ctx) or _library(node, "tracing")


def _dapr_sidecar(node: Node, ctx: CheckContext) -> str | None:
    """A Dapr sidecar next to the service when a Dapr Configuration in the repository exports traces: the
    sidecar emits a span for every call it carries and propagates the trace context (a Kubernetes pod with
    `dapr.io/enabled: "true"`, or a compose `daprd` service sharing the service's network namespace)."""
    if not any(c.attrs.get("dapr_tracing") for c in ctx.of_type("Configuration", namespace=None)):
        return None
    if node.source == "kubernetes":
        return "dapr sidecar" if _pod_metadata(node).get("dapr.io/enabled") == "true" else None
    if node.source != "compose":
        return None
    return "dapr sidecar" if (posixpath.dirname(node.location.path), node.name) in ctx.once(
        "compose_dapr_sidecars", lambda: _compose_dapr_sidecars(ctx)) else None


def _compose_dapr_sidecars(ctx: CheckContext) -> set[tuple[str, str]]:
    """(project folder, service name) of each compose service a `daprd` container shares the network namespace
    of (`network_mode: service:NAME`): computed once per run, not once per service."""
    sidecars = set()
    for other in ctx.nodes(source="compose"):
        mode = other.attrs.get("network_mode")
        if isinstance(mode, str) and mode.startswith("service:") and "daprd" in str(other.attrs.get("image") or ""):
            sidecars.add((posixpath.dirname(other.location.path), mode.removeprefix("service:")))
    return sidecars


def _agent_env(node: Node) -> str | None:
    """An agent configured by environment variables whose values are not visible (a `valueFrom`): a key with
    a visible value was judged by the settings parser already (`INSTANA_DISABLE=true` is not tracing)."""
    judged = {s.key.upper() for s in node.settings if s.topic == "tracing"}
    for key in _env_keys(node):
        agent = telemetry.agent_env(key) if key.upper() not in judged else None
        if agent is not None:
            return f"{agent} (env `{key}`)"
    return None


def _library(node: Node, topic: str) -> str | None:
    """A tracing or metrics library the service's build file declares (`otel (… in go.mod)`), unless its
    configuration turns that system off: a library that is present but switched off emits nothing, while
    `otel.sdk.disabled` does not silence a Micrometer registry (knowledge: telemetry.yaml `off_switches`)."""
    silenced: set[str] = set()
    for setting in node.settings:
        if setting.topic == topic and setting.value is False:
            systems = telemetry.silenced_by(setting.key)
            if systems is None:
                return None
            silenced |= systems
    for setting in node.settings:
        if setting.topic == f"{topic}_library" and setting.value and setting.value not in silenced:
            return f"{setting.value} ({setting.key} in {posixpath.basename(setting.location.path)})"
    return None


def _disabled(node: Node, topic: str) -> Setting | None:
    """The first setting that explicitly turns `topic` off (only meaningful when nothing turns it on)."""
    return next((s for s in node.settings if s.topic == topic and s.value is False), None)


# -- OBS001 service-without-tracing -------------------------------------------------------------------------


def _traced_deployments(ctx: CheckContext) -> set[str]:
    """Deployments of two or more applications where some are traced: whatever their calls look like from
    configuration, the owners follow requests across them, and an untraced one breaks the trace."""
    apps: dict[str, int] = {}
    traced: set[str] = set()
    for node in application_services(ctx):
        deployment = deployment_of(node)
        apps[deployment] = apps.get(deployment, 0) + 1
        if traced_by(node, ctx):
            traced.add(deployment)
    return {deployment for deployment in traced if apps[deployment] >= 2}


def services_without_tracing(ctx: CheckContext) -> Iterator[Hit]:
    talking = ctx.talking_deployments() | _traced_deployments(ctx)
    for node in application_services(ctx):
        ctx.examine(node)
        if deployment_of(node) not in talking:
            continue  # one application, or services that meet only at a datastore or queue: no trace to follow
        if traced_by(node, ctx):
            continue
        off = _disabled(node, "tracing")
        if off is not None:
            yield Hit(node.id, f"`{node.name}` turns tracing off (`{off.key}`); its requests leave no trace "
                               "spans, so latency across services cannot be followed through it",
                      evidence=off.location)
        else:
            yield Hit(node.id, f"`{node.name}` has no distributed tracing configured (no OpenTelemetry/APM "
                               "setting, library or agent, auto-instrumentation annotation or mesh sidecar)",
                      attr="name")


# -- OBS002 broken-trace-propagation ------------------------------------------------------------------------


def _callees(ctx: CheckContext, target: Node, depth: int = 0) -> list[Node]:
    """The services behind a call target: itself, or what a Service / load balancer routes to."""
    if target.kind == "service":
        return [target]
    if target.kind not in ("load_balancer", "gateway") or depth > 3:
        return []
    found: list[Node] = []
    for edge in ctx.out_edges(target.id, ["routes_to"]):
        for callee in _callees(ctx, ctx.node(edge.target), depth + 1):
            if callee not in found:
                found.append(callee)
    return found


def broken_trace_propagation(ctx: CheckContext) -> Iterator[Hit]:
    apps = {node.id: node for node in application_services(ctx)}
    for caller in apps.values():
        tracer = traced_by(caller, ctx)
        if not tracer:
            continue
        calls = ctx.out_edges(caller.id, ["calls"])
        if not calls:
            continue
        ctx.examine(caller)
        for edge in calls:
            for callee in _callees(ctx, ctx.node(edge.target)):
                if callee.id == caller.id or callee.id not in apps or traced_by(callee, ctx):
                    continue
                related = (
                    Related(caller.location, f"`{caller.name}` is traced ({tracer})"),
                    Related(callee.location, f"`{callee.name}` has no tracing"),
                )
                yield Hit(caller.id, f"`{caller.name}` is traced ({tracer}) but calls `{callee.name}`, which is "
                                     "not: every trace through this call ends at the boundary",
                          evidence=edge.location, related=related, key=callee.id)


# -- OBS003 service-without-metrics -------------------------------------------------------------------------


def _scrape_annotated(values: Any) -> bool:
    if not isinstance(values, dict):
        return False
    for key, value in values.items():
        key_text = str(key).lower()
        if key_text.endswith(("prometheus.io/scrape", "prometheus.io.scrape", "prometheus.scrape")) and \
                str(value).lower() == "true":
            return True
        if key_text.startswith("ad.datadoghq.com/") and key_text.endswith((".checks", ".check_names")):
            return True
    return False


def _selects(selector: Any, labels: Any, expressions: Any = None) -> bool:
    """A label selector (matchLabels, plus matchExpressions when given) against a set of labels. An empty
    selector selects everything only when the expressions were read too (a monitor's `selector: {}`)."""
    if not isinstance(selector, dict) or not isinstance(labels, dict):
        return False
    if not selector and expressions is None:
        return False
    if not all(key in labels and str(labels[key]) == str(value) for key, value in selector.items()):
        return False
    rules = expressions if isinstance(expressions, list) else []
    return all(isinstance(rule, dict) and _expression_holds(rule, labels) for rule in rules)


def _expression_holds(rule: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, operator = rule.get("key"), rule.get("operator")
    values = {str(v) for v in rule.get("values") or []}
    if operator == "In":
        return key in labels and str(labels[key]) in values
    if operator == "NotIn":
        return key not in labels or str(labels[key]) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


def _in_namespaces(monitor: Node, namespace: Any) -> bool:
    """A monitor's `namespaces` (list; None = its own namespace; "any" = all)."""
    namespaces = monitor.attrs.get("namespaces")
    if namespaces == "any":
        return True
    if isinstance(namespaces, list) and namespaces:
        return namespace in namespaces
    return bool(monitor.attrs.get("namespace") == namespace)


def _monitored(ctx: CheckContext, node: Node) -> bool:
    """Scraped by Prometheus: annotations on the pod or a Service in front of it, or a Prometheus-operator
    ServiceMonitor / PodMonitor that selects it."""
    if _scrape_annotated(node.attrs.get("pod_annotations")) or _scrape_annotated(node.attrs.get("labels")):
        return True
    services = [ctx.node(e.source) for e in ctx.in_edges(node.id, ["routes_to"])]
    services = [s for s in services if s.source == "kubernetes" and s.type == "Service"]
    if any(_scrape_annotated(s.attrs.get("annotations")) for s in services):
        return True
    namespace = node.attrs.get("namespace")
    for monitor in ctx.of_type("PodMonitor"):
        expressions = monitor.attrs.get("selector_expressions")
        if _in_namespaces(monitor, namespace) and \
                _selects(monitor.attrs.get("selector"), node.attrs.get("pod_labels"), expressions):
            return True
    for monitor in ctx.of_type("ServiceMonitor") if services else ():
        expressions = monitor.attrs.get("selector_expressions")
        if any(
                _in_namespaces(monitor, s.attrs.get("namespace")) and
                _selects(monitor.attrs.get("selector"), s.attrs.get("labels"), expressions) for s in services):
            return True
    return False


def _metrics_by(ctx: CheckContext, node: Node) -> str | None:
    for setting in node.settings:
        if setting.topic == "metrics" and setting.value not in (False, None):
            return str(setting.value)
    if _monitored(ctx, node):
        return "prometheus scrape"
    scraped = ctx.in_edges(node.id, ["scrapes"])
    if scraped:
        return f"prometheus scrape_configs (job `{scraped[0].attrs.get('job') or '?'}`)"
    if any(key.startswith("instrumentation.opentelemetry.io/inject-") for key in _pod_metadata(node)):
        return "otel"  # the injected agents export metrics as well as traces by default
    if _meshed(node, ctx) or _routed_mesh(node, ctx):
        return "mesh"
    if any(_METRICS_ENV.match(k) for k in _env_keys(node)):
        return "env"
    return _library(node, "metrics")


def services_without_metrics(ctx: CheckContext) -> Iterator[Hit]:
    for node in application_services(ctx):
        if node.type == "aws_lambda_function":
            continue  # the platform records invocations, errors, duration and throttles for every function
        ctx.examine(node)
        if _metrics_by(ctx, node):
            continue
        off = _disabled(node, "metrics")
        if off is not None:
            yield Hit(node.id, f"`{node.name}` turns metrics off (`{off.key}`); its load and error rates cannot "
                               "drive alerts or autoscaling", evidence=off.location)
        else:
            yield Hit(node.id, f"`{node.name}` exposes no metrics that anything collects (no Prometheus scrape "
                               "annotation, monitor or scrape config, no metrics exporter setting or library, no "
                               "mesh sidecar)", attr="name")


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "services_without_tracing": services_without_tracing,
    "broken_trace_propagation": broken_trace_propagation,
    "services_without_metrics": services_without_metrics,
}
