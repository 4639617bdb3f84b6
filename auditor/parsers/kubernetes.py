"""Kubernetes manifests → facts: workloads, Services, Ingresses, autoscalers, disruption budgets, LimitRanges,
Namespaces, ConfigMaps, Secrets (key names only), Istio / Gateway API traffic policy and Prometheus-operator
monitors, each located at its own lines.

One multi-document YAML file in, one `Facts` out; `kind: List` items are read like documents. Nothing
crosses files here: a Service keeps its `selector` and a workload its `pod_labels`, and the graph stage
matches them; references by name (Ingress → Service, HPA → target, ConfigMap → workload) become edges
to `node_id(...)`s that another file may define.

Node attributes (beyond the shared ones listed in ARCHITECTURE.md), by node type:

- every node: `namespace`, `labels`, `annotations` (metadata; suppression annotations live here).
- workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Pod, Job, CronJob, Argo
  Rollout) — kind `service`, or `datastore`/`cache`/`queue`/`proxy` with `engine` when an image is a known
  one: `workload_kind`, `replicas` (int; Deployment/StatefulSet/ReplicaSet/Rollout default 1, Pod 1,
  DaemonSet/Job/CronJob None), `replicas_explicit` (bool), `image` (first container's), `ports` (list[int]),
  `containers` (list of dicts: name, image, ports, requests {cpu, memory}, limits {cpu, memory}, readiness,
  liveness, startup (bools), env_keys, line), `init_containers` (same shape), `readiness_probe` /
  `liveness_probe` / `startup_probe` (bool: every app container has one — sidecars such as exporters,
  mesh/SQL proxies and log shippers, flagged `sidecar` on their container, do not count unless the pod
  has nothing else; None without containers),
  `requests_set` / `limits_set` (bool: every container requests/limits cpu or memory), `volumes` (list of
  dicts: name, type in {emptyDir, hostPath, pvc, configMap, secret, projected, nfs, csi, ephemeral, …},
  mount_path, mount_paths, source, per_replica (StatefulSet volumeClaimTemplates), line), `env_keys`,
  `config_refs` (ConfigMap/Secret names referenced), `pod_labels`, `pod_annotations`, `pod_anti_affinity`,
  `topology_spread`, `node_selector`, `strategy` (Deployment strategy / StatefulSet & DaemonSet
  updateStrategy type, Rollout "canary"/"blueGreen"), `host_network`, `service_account`, `engine`,
  `max_connections` (from `-c max_connections=N`, `--max-connections`, `--maxclients N`, `*MAX_CONNECTIONS`
  env), Job: `parallelism`, `completions`; CronJob: `schedule`, `concurrency_policy`.
- Service (kind `load_balancer`): `type` (default ClusterIP), `selector` (dict or None), `ports`,
  `target_ports`, `session_affinity` ("ClientIP" or None), `headless`, `external_name`,
  `external_traffic_policy`. An ExternalName Service `routes_to` its host.
- Ingress (kind `load_balancer`): `ingress_class`, `tls` (bool), `tls_hosts`, `routes` (list of dicts: host,
  path, service, port, line), `session_affinity` ("cookie" when an nginx/traefik/ALB stickiness annotation
  says so, else None). HTTPRoute/GRPCRoute (Gateway API) likewise: `hostnames`, `parent_refs`, `routes`
  (with `timeout`).
- Istio Gateway and Gateway API Gateway (kind `gateway`): `servers` / `listeners`, `gateway_class`.
- HorizontalPodAutoscaler, KEDA ScaledObject (kind `autoscaler`): `min_replicas`, `max_replicas`, `metrics`
  (list: "cpu", "memory", "pods", "object", "external"), `target_cpu` (percent of a CPU Utilization target),
  `metric_targets` (list of dicts: type "Resource"/"ContainerResource", name "cpu"/"memory", target_type
  "Utilization"/"AverageValue"/"Value" or None when unknown, container, line — the metric's list item; an HPA
  stating no metrics gets the API's default CPU Utilization target with `default: True` on its `spec` line),
  `target_kind`, `target_name`; ScaledObject also `triggers` (trigger types), and `metric_targets` from its
  `cpu`/`memory` triggers (`metricType`, or the deprecated `metadata.type`; `metadata.containerName`).
- PodDisruptionBudget (kind `policy`): `min_available`, `max_unavailable`, `selector`.
  NetworkPolicy: `pod_selector`, `policy_types`, `ingress_rules`, `egress_rules`.
  LimitRange: `default`, `default_request` ({cpu, memory}, from its `type: Container` limits; None = not
  defaulted).
  ServiceMonitor / PodMonitor (monitoring.coreos.com): `selector` (matchLabels dict, {} for `selector: {}`,
  None when absent), `selector_expressions` (list of dicts: key, operator, values, line), `namespaces` (list
  from `namespaceSelector.matchNames`, "any" for `any: true`, None for the monitor's own namespace),
  `endpoints` (list of dicts: port, path, interval, line).
  DestinationRule: `host`, `outlier_detection`, `connection_pool`, `load_balancer` (simple policy or
  "consistentHash"), `subsets` (list of dicts: name, labels, outlier_detection, connection_pool).
  VirtualService: `hosts`, `gateways`, `routes` (list of dicts: name, timeout, retries {attempts,
  perTryTimeout, retryOn} or None, destinations, line), `timeouts_set` / `retries_set` (bool: every HTTP
  route states one).
  Linkerd ServiceProfile (named by the Service's FQDN; `configures` its host): `host`, `timeouts_set` (a route
  states a timeout), `retry_budget`, `retryable_routes`. EnvoyFilter: `rate_limit` (installs Envoy's local or
  global rate-limit HTTP filter), `workload_selector`. Traefik Middleware: `middleware_types`, `rate_limit`
  (rateLimit or inFlightReq). KongPlugin / KongClusterPlugin: `plugin`, `rate_limit`, `global`, `disabled`.
- ConfigMap (kind `config`): `keys` (data and binaryData key names), `files` (data keys holding a config
  file — an app-config name or a config extension — read with `appconfig.entries_from_text`, lines inside
  this manifest); other data keys are entries themselves. Secret (kind `config`): `keys`, `secret_type`.
  No values are kept; a Secret's URL-valued keys give `connects_to`/`calls` edges to their hosts only.
- Namespace (kind `config`: it carries settings for the pods in it, it governs no single object): cluster-scoped,
  so its id has no scope and its `namespace` attribute is its own name; `mesh` ("Istio" for an
  `istio-injection: enabled`, `istio.io/rev` or `istio.io/dataplane-mode: ambient` label, unless
  `istio-injection: disabled`; "Linkerd" for a `linkerd.io/inject: enabled|ingress` annotation; else None).
- PersistentVolumeClaim (kind `storage`): `access_modes`, `storage`, `storage_class`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from auditor.knowledge import image_engine
from auditor.model import Diagnostic, Edge, Facts, Location, Node, Setting, host_ref, node_id
from auditor.parsers import appconfig, telemetry
from auditor.parsers.numbers import digits, int_value, number_text
from auditor.parsers.redact import secret_arguments
from auditor.parsers.settings import LINKS_LIMIT, Entry, Interpretation, Link, env_values, interpret
from auditor.parsers.yaml_source import YList, YMap, load_documents

_EMPTY_MAP = YMap()  # shared, never mutated
_EMPTY_LIST = YList()

# Workload kinds → where the pod template sits ("" = the object itself is the pod).
_POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Rollout": ("spec", "template"),
    "Pod": (),
}
_REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})

# `max_connections=200`, `--maxconn 200`: possessive blanks, so the search stays linear (`maxconn` and 20,000
# spaces once took 3 s: `\s*[= ]\s*` could split one run of blanks in quadratically many ways).
_MAX_CONN_ARG = re.compile(r"(?:max[_-]connections|maxclients|maxconn)(?=[= \t\n\r\f\v])\s*+=?\s*+([0-9]++)",
                           re.IGNORECASE)
_MAX_CONN_FLAG = re.compile(r"-{0,2}(?:max[_-]connections|maxclients|maxconn)", re.IGNORECASE)
_MAX_CONN_ENV = re.compile(r"(?:^|_)MAX_?CONNECTIONS$|^MAXCLIENTS$", re.IGNORECASE)

_VOLUME_TYPES = {
    "emptyDir": "emptyDir",
    "hostPath": "hostPath",
    "persistentVolumeClaim": "pvc",
    "configMap": "configMap",
    "secret": "secret",
    "projected": "projected",
    "nfs": "nfs",
    "csi": "csi",
    "ephemeral": "ephemeral",
    "downwardAPI": "downwardAPI",
}

_STICKY_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/affinity": lambda v: v.lower() == "cookie",
    "traefik.ingress.kubernetes.io/affinity": lambda v: v.lower() == "true",
    "traefik.ingress.kubernetes.io/service.sticky.cookie": lambda v: v.lower() == "true",
    "alb.ingress.kubernetes.io/target-group-attributes": lambda v: "stickiness.enabled=true" in v.replace(" ", ""),
    "haproxy.org/cookie-persistence": lambda v: bool(v.strip()),
}

# Data keys that hold a whole config file even when appconfig does not know the name (`app.yaml`, `haproxy.cfg`…).
_FILE_SUFFIXES = (".yml", ".yaml", ".properties", ".json", ".ini", ".conf", ".cnf", ".env", ".py")
_URLISH = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def parse(path: str, text: str) -> Facts:
    """Facts of one Kubernetes manifest file (any number of documents). Never raises for bad input."""
    reader = _Reader(path)
    text, unread = _without_definitions(text)
    documents, error = load_documents(text)
    for document in documents:
        reader.read_document(document.value)
    if error is not None:
        reader.diagnostics.append(Diagnostic(path, f"invalid YAML: {error.message}", error.line, error.code))
    if unread:
        reader.diagnostics.append(Diagnostic(
            path, f"{len(unread)} CustomResourceDefinition(s) not read (a schema of a custom type: no rule reads it)",
            unread[0], "unsupported", "note"))
    return Facts(path, "kubernetes", tuple(reader.nodes), tuple(reader.edges), tuple(reader.diagnostics))


_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
_CRD_KIND = re.compile(r"^kind:[ \t]*[\"']?CustomResourceDefinition[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
_CRD_API = re.compile(r"^apiVersion:[ \t]*[\"']?apiextensions\.k8s\.io/", re.MULTILINE)


def _without_definitions(text: str) -> tuple[str, list[int]]:
    """The text with every CustomResourceDefinition document blanked (newlines kept, so every other line keeps
    its number), and the first line of each: their schemas are often most of a file's bytes (an operator's
    CRDs run to megabytes) and no rule reads them, so they are not converted at all. A document is recognised
    by `apiVersion: apiextensions.k8s.io/…` and `kind: CustomResourceDefinition` at its top level."""
    if "CustomResourceDefinition" not in text:
        return text, []
    starts = [0, *(m.start() for m in _DOCUMENT_START.finditer(text)), len(text)]
    pieces: list[str] = []
    unread: list[int] = []
    for begin, end in itertools.pairwise(starts):
        piece = text[begin:end]
        if _CRD_KIND.search(piece) and _CRD_API.search(piece):
            unread.append(text.count("\n", 0, begin) + 1 + (1 if piece.startswith("---") else 0))
            piece = ("---" if piece.startswith("---") else "") + "\n" * piece.count("\n")
        pieces.append(piece)
    return "".join(pieces), unread


# -- small, forgiving accessors ---------------------------------------------------------------------------


def _map(value: Any) -> YMap:
    return value if isinstance(value, YMap) else _EMPTY_MAP


def _list(value: Any) -> YList:
    return value if isinstance(value, YList) else _EMPTY_LIST


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = _map(value).get(key)
    return value


def _text(value: Any) -> str | None:
    """A scalar as text (YAML `8080` and `"8080"` alike); None for null, mappings and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return value
    return None


def _int(value: Any) -> int | None:
    """A count or port: an int of sane size, or digits as text (`"3"`); None for anything else (bools too)."""
    if isinstance(value, str):
        return digits(value.strip())
    return int_value(value) if isinstance(value, int) else None


def _scalar(value: Any) -> int | str | None:
    """An int-or-percent value (`minAvailable: 1`, `maxUnavailable: "25%"`)."""
    as_int = _int(value)
    return as_int if as_int is not None else _text(value)


def _str_map(value: Any) -> dict[str, str]:
    """Labels, annotations, selectors: a plain dict of text, whatever odd values the YAML held."""
    result: dict[str, str] = {}
    for key, item in _map(value).items():
        text = _text(item)
        result[str(key)] = text if text is not None else ""
    return result


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [text for item in _list(value) if (text := _text(item)) is not None]


def _line(mapping: Any, key: str, default: int) -> int:
    if isinstance(mapping, YMap) and key in mapping.key_lines:
        return mapping.key_lines[key][0]
    return default


def _span(mapping: Any, key: str, default: int) -> tuple[int, int]:
    if isinstance(mapping, YMap) and key in mapping.key_lines:
        return mapping.key_lines[key]
    return default, default


def _own_line(value: Any, default: int) -> int:
    return value.line if isinstance(value, YMap | YList) and value is not _EMPTY_MAP and value is not _EMPTY_LIST \
        else default


def _items(value: Any) -> Iterable[tuple[int, YMap, int]]:
    """(index, mapping, line) for every mapping item of a list; other items are skipped."""
    seq = _list(value)
    for index, item in enumerate(seq):
        if isinstance(item, YMap):
            yield index, item, seq.line_of(index)


_SIDECAR = re.compile(
    r"exporter|istio-proxy|envoy|linkerd-proxy|cloud-?sql-proxy|cloudsql|vault-agent|fluent-?bit|fluentd|filebeat"
    r"|promtail|vector|otel-?collector|opentelemetry-collector|datadog-agent|log-?shipper|sidecar|oauth2-proxy"
)


def _is_sidecar(container: dict[str, Any]) -> bool:
    """A helper container beside the app (metrics exporter, mesh/SQL proxy, log shipper): judged apart."""
    return bool(_SIDECAR.search(f"{container.get('name') or ''} {container.get('image') or ''}".lower()))


class _Reader:
    """Accumulates the facts of one file, object by object."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: dict[str, int] = {}
        self.configured_by: dict[str, set[str]] = {}  # target → sources of its `configures` edges so far

    def loc(self, line: int, end_line: int = 0) -> Location:
        return Location(self.path, line, end_line)

    def key_loc(self, mapping: Any, key: str, default: int) -> Location:
        return self.loc(*_span(mapping, key, default))

    # -- documents ------------------------------------------------------------------------------------

    def read_document(self, value: Any, depth: int = 0) -> None:
        if not isinstance(value, YMap):
            return
        kind, api_version = value.get("kind"), value.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api_version, str):
            return
        if kind == "List" or (kind.endswith("List") and isinstance(value.get("items"), YList)):
            if depth < 5:
                for _, item, _ in _items(value.get("items")):
                    self.read_document(item, depth + 1)
            return
        handler = self._handler(kind, api_version)
        if handler is None:
            return
        metadata = _map(value.get("metadata"))
        name = _text(metadata.get("name")) or _text(metadata.get("generateName"))
        if not name:
            self.diagnostics.append(Diagnostic(self.path, f"{kind} without metadata.name; skipped", value.line,
                                               "parse-error", "warning"))
            return
        namespace = _text(metadata.get("namespace")) or "default"
        if kind == "Namespace":
            namespace = name  # cluster-scoped: a Namespace's own name is the namespace it describes
        try:
            handler(_Object(value, kind, api_version, name, namespace, metadata))
        except Exception as error:  # noqa: BLE001 - one odd object must not lose the rest of the file
            self.diagnostics.append(Diagnostic(
                self.path, f"could not read {kind} {name} ({type(error).__name__}: {error})", value.line,
                "internal-error"))

    def _handler(self, kind: str, api_version: str) -> Any:
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        if kind in _POD_TEMPLATE_PATHS:
            if kind == "Rollout" and not group.startswith("argoproj.io"):
                return None
            return self.workload
        if kind == "Service":
            return self.service if group == "" else None
        if kind == "Gateway":
            return self.gateway
        if kind in ("ServiceMonitor", "PodMonitor"):
            return self.monitor if group.startswith("monitoring.coreos.com") else None
        if kind in ("LimitRange", "Namespace"):
            return (self.limit_range if kind == "LimitRange" else self.namespace_object) if group == "" else None
        table = {
            "Ingress": self.ingress,
            "HTTPRoute": self.http_route,
            "GRPCRoute": self.http_route,
            "HorizontalPodAutoscaler": self.hpa,
            "ScaledObject": self.scaled_object,
            "PodDisruptionBudget": self.pdb,
            "NetworkPolicy": self.network_policy,
            "DestinationRule": self.destination_rule,
            "VirtualService": self.virtual_service,
            "ConfigMap": self.config_map,
            "Secret": self.secret,
            "PersistentVolumeClaim": self.pvc,
            "ServiceProfile": self.service_profile,
            "EnvoyFilter": self.envoy_filter,
            "KongPlugin": self.kong_plugin,
            "KongClusterPlugin": self.kong_plugin,
        }
        if kind == "Middleware" and group.startswith(("traefik.io", "traefik.containo.us")):
            return self.traefik_middleware
        if kind == "Configuration" and group.startswith("dapr.io"):
            return self.dapr_configuration
        return table.get(kind)

    def add_node(self, obj: _Object, kind: str, attrs: dict[str, Any], evidence: dict[str, Location],
                 settings: tuple[Setting, ...] = ()) -> Node:
        scope = "" if obj.kind == "Namespace" else obj.namespace
        ident = node_id("kubernetes", obj.kind, obj.name, scope=scope)
        if ident in self.seen:
            self.diagnostics.append(Diagnostic(
                self.path, f"{obj.kind} {scope + '/' if scope else ''}{obj.name} is defined twice (first on line "
                f"{self.seen[ident]})", obj.value.line, "duplicate", "warning"))
        else:
            self.seen[ident] = obj.value.line
        base = {
            "namespace": obj.namespace,
            "labels": _str_map(obj.metadata.get("labels")),
            "annotations": _str_map(obj.metadata.get("annotations")),
        }
        evidence = {
            "name": self.key_loc(obj.metadata, "name", obj.value.line),
            "labels": self.key_loc(obj.metadata, "labels", obj.value.line),
            "annotations": self.key_loc(obj.metadata, "annotations", obj.value.line),
            **evidence,
        }
        node = Node(ident, kind, obj.name, "kubernetes", obj.kind, self.loc(obj.value.line, obj.value.end_line),
                    attrs={**base, **attrs}, evidence=evidence, settings=settings)
        self.nodes.append(node)
        return node

    def edge(self, source: str, target: str, kind: str, line: int, attrs: dict[str, Any] | None = None) -> None:
        self.edges.append(Edge(source, target, kind, self.loc(line), dict(attrs or {})))
        if kind == "configures":
            self.configured_by.setdefault(target, set()).add(source)

    def link_edges(self, source: str, links: Iterable[Link]) -> None:
        for link in links:
            self.edges.append(Edge(source, host_ref(link.host), link.kind, link.location, link.attrs()))

    # -- workloads ------------------------------------------------------------------------------------

    def workload(self, obj: _Object) -> None:
        kind, spec = obj.kind, _map(obj.value.get("spec"))
        line = obj.value.line
        evidence: dict[str, Location] = {}
        template_path = _POD_TEMPLATE_PATHS[kind]
        if template_path:
            template = _dig(obj.value, *template_path)
            pod_meta, pod_spec = _map(_map(template).get("metadata")), _map(_map(template).get("spec"))
            parent = _dig(obj.value, *template_path[:-1])
            template_line = _line(parent, template_path[-1], _line(obj.value, "spec", line))
            pod_labels_source = pod_meta
        else:
            pod_meta, pod_spec = obj.metadata, spec
            template_line = _line(obj.value, "spec", line)
            pod_labels_source = obj.metadata
        pod_spec_line = _own_line(pod_spec, template_line)

        attrs: dict[str, Any] = {"workload_kind": kind}
        spec_line = _line(obj.value, "spec", line)
        # replicas
        if kind in _REPLICATED:
            stated = spec.get("replicas")
            attrs["replicas_explicit"] = "replicas" in spec
            attrs["replicas"] = 1 if stated is None else _int(stated)  # absent or null: the API's default
            evidence["replicas"] = self.key_loc(spec, "replicas", spec_line)
        elif kind == "Pod":
            attrs["replicas"], attrs["replicas_explicit"] = 1, False
            evidence["replicas"] = self.loc(_line(obj.value, "kind", line))
        else:
            attrs["replicas"], attrs["replicas_explicit"] = None, False
        if kind == "Job":
            attrs["parallelism"], attrs["completions"] = _int(spec.get("parallelism")), _int(spec.get("completions"))
        if kind == "CronJob":
            attrs["schedule"] = _text(spec.get("schedule"))
            attrs["concurrency_policy"] = _text(spec.get("concurrencyPolicy")) or "Allow"
            evidence["schedule"] = self.key_loc(spec, "schedule", spec_line)
        self._strategy(kind, spec, spec_line, attrs, evidence)

        # containers
        mounts = self._mounts(pod_spec)
        ident = node_id("kubernetes", kind, obj.name, scope=obj.namespace)
        containers, entries = self._containers(pod_spec.get("containers"), ident, obj.namespace)
        init_containers, init_entries = self._containers(pod_spec.get("initContainers"), ident, obj.namespace)
        entries += init_entries
        attrs["containers"] = [c for c, _ in containers]
        attrs["init_containers"] = [c for c, _ in init_containers]
        evidence["containers"] = self.key_loc(pod_spec, "containers", pod_spec_line)
        first = containers[0][0] if containers else None
        attrs["image"] = first["image"] if first else None
        if first:
            evidence["image"] = self.loc(_line(containers[0][1], "image", first["line"]))
        attrs["ports"] = sorted({port for c, _ in containers for port in c["ports"]})
        port_holder = next(((c, m) for c, m in containers if c["ports"]), None)
        if port_holder:
            evidence["ports"] = self.key_loc(port_holder[1], "ports", port_holder[0]["line"])
        for container, _ in containers:
            container["sidecar"] = _is_sidecar(container)
        # A pod is ready when every container is, and a container without a probe counts as ready once
        # started: probes matter on the app containers, not on an exporter or proxy beside them.
        app_containers = [(c, m) for c, m in containers if not c["sidecar"]] or containers
        for attr, flag, key in (("readiness_probe", "readiness", "readinessProbe"),
                                ("liveness_probe", "liveness", "livenessProbe"),
                                ("startup_probe", "startup", "startupProbe")):
            attrs[attr], evidence[attr] = self._every(app_containers, flag, key, evidence["containers"])
        attrs["requests_set"], evidence["requests"] = self._every(containers, "has_requests", "resources",
                                                                   evidence["containers"])
        attrs["limits_set"], evidence["limits"] = self._every(containers, "has_limits", "resources",
                                                               evidence["containers"])
        evidence["resources"] = evidence["requests"] if not attrs["requests_set"] else evidence["limits"]
        for container in [*attrs["containers"], *attrs["init_containers"]]:
            del container["has_requests"], container["has_limits"]
        attrs["env_keys"] = sorted({key for c in attrs["containers"] for key in c["env_keys"]})

        # volumes
        volumes: list[dict[str, Any]] = []
        for _, volume, vline in _items(pod_spec.get("volumes")):
            volumes.append(self._volume(volume, vline, mounts, ident, obj.namespace))
        if kind == "StatefulSet":
            for _, claim, cline in _items(spec.get("volumeClaimTemplates")):
                claim_name = _text(_map(claim.get("metadata")).get("name")) or ""
                paths = mounts.get(claim_name, [])
                volumes.append({"name": claim_name, "type": "pvc", "source": claim_name,
                                "mount_path": paths[0] if paths else None, "mount_paths": paths,
                                "per_replica": True, "line": cline,
                                "access_modes": _strings(_dig(claim, "spec", "accessModes"))})
        attrs["volumes"] = volumes
        evidence["volumes"] = self.key_loc(pod_spec, "volumes", pod_spec_line)
        attrs["config_refs"] = sorted({_ref_name(source) for source in self.configured_by.get(ident, ())})

        # scheduling
        attrs["pod_labels"] = _str_map(pod_labels_source.get("labels"))
        evidence["pod_labels"] = self.key_loc(pod_labels_source, "labels", template_line)
        attrs["pod_annotations"] = _str_map(pod_meta.get("annotations")) if template_path else {}
        affinity = _map(pod_spec.get("affinity"))
        anti = _map(affinity.get("podAntiAffinity"))
        attrs["pod_anti_affinity"] = bool(
            _list(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))
            or _list(anti.get("preferredDuringSchedulingIgnoredDuringExecution")))
        attrs["pod_anti_affinity_required"] = bool(_list(anti.get("requiredDuringSchedulingIgnoredDuringExecution")))
        evidence["pod_anti_affinity"] = self.key_loc(affinity, "podAntiAffinity",
                                                     _line(pod_spec, "affinity", pod_spec_line))
        attrs["topology_spread"] = bool(_list(pod_spec.get("topologySpreadConstraints")))
        evidence["topology_spread"] = self.key_loc(pod_spec, "topologySpreadConstraints", pod_spec_line)
        node_selector = pod_spec.get("nodeSelector")
        attrs["node_selector"] = _str_map(node_selector) if isinstance(node_selector, YMap) else None
        evidence["node_selector"] = self.key_loc(pod_spec, "nodeSelector", pod_spec_line)
        attrs["host_network"] = pod_spec.get("hostNetwork") is True
        attrs["service_account"] = _text(pod_spec.get("serviceAccountName"))

        # engine
        kind_of_node = "service"
        for container, cmap in containers:
            found = image_engine(container["image"] or "")  # knowledge/images.yaml, as for compose
            if found:
                attrs["engine"], kind_of_node = found
                evidence["engine"] = self.loc(_line(cmap, "image", container["line"]))
                break
        max_conn = self._max_connections(containers)
        if max_conn is not None:
            attrs["max_connections"], evidence["max_connections"] = max_conn[0], self.loc(max_conn[1])

        interpretation = self._interpret(entries, "")
        self.add_node(obj, kind_of_node, attrs, evidence, interpretation.settings)
        self.link_edges(ident, interpretation.links)

    def _strategy(self, kind: str, spec: YMap, spec_line: int, attrs: dict[str, Any],
                  evidence: dict[str, Location]) -> None:
        if kind == "Deployment":
            strategy = _map(spec.get("strategy"))
            attrs["strategy"] = _text(strategy.get("type")) or "RollingUpdate"
            evidence["strategy"] = self.key_loc(spec, "strategy", spec_line)
        elif kind in ("StatefulSet", "DaemonSet"):
            strategy = _map(spec.get("updateStrategy"))
            attrs["strategy"] = _text(strategy.get("type")) or "RollingUpdate"
            evidence["strategy"] = self.key_loc(spec, "updateStrategy", spec_line)
        elif kind == "Rollout":
            strategy = _map(spec.get("strategy"))
            attrs["strategy"] = next((key for key in ("canary", "blueGreen") if key in strategy), None)
            evidence["strategy"] = self.key_loc(spec, "strategy", spec_line)
        else:
            attrs["strategy"] = None

    def _every(self, containers: list[tuple[dict[str, Any], YMap]], flag: str, key: str,
               fallback: Location) -> tuple[bool | None, Location]:
        """Whether every container has `flag`, and where to point: the first one without, else the first's key."""
        if not containers:
            return None, fallback
        for container, cmap in containers:
            if not container[flag]:
                return False, self.loc(container["line"], _own_end(cmap, container["line"]))
        container, cmap = containers[0]
        return True, self.key_loc(cmap, key, container["line"])

    def _containers(self, value: Any, ident: str, namespace: str) -> tuple[list[tuple[dict[str, Any], YMap]],
                                                                           list[Entry]]:
        containers: list[tuple[dict[str, Any], YMap]] = []
        entries: list[Entry] = []
        for _, cmap, cline in _items(value):
            resources = _map(cmap.get("resources"))
            requests, limits = _map(resources.get("requests")), _map(resources.get("limits"))
            ports = [port for _, pmap, _ in _items(cmap.get("ports"))
                     if (port := _int(pmap.get("containerPort"))) is not None]
            env_keys: list[str] = []
            own: list[Entry] = []  # every `env` entry, a value from a reference as None
            for _, env, eline in _items(cmap.get("env")):
                key = _text(env.get("name"))
                if not key:
                    continue
                env_keys.append(key)
                own.append(Entry(key, _text(env.get("value")) if "value" in env else None, self.loc(eline)))
                value_from = _map(env.get("valueFrom"))
                for ref_key, ref_type in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    ref = _map(value_from.get(ref_key))
                    ref_name = _text(ref.get("name"))
                    if ref_name:
                        self.edge(node_id("kubernetes", ref_type, ref_name, scope=namespace), ident, "configures",
                                  _line(ref, "name", eline),
                                  {"via": "env", "env": key, "key": _text(ref.get("key")),
                                   "optional": ref.get("optional") is True})
                if "value" in env:
                    text = _text(env.get("value"))
                    if text is not None:
                        entries.append(Entry(key, text, self.loc(eline, _own_end(env, eline))))
            for _, source, sline in _items(cmap.get("envFrom")):
                for ref_key, ref_type in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = _map(source.get(ref_key))
                    ref_name = _text(ref.get("name"))
                    if ref_name:
                        self.edge(node_id("kubernetes", ref_type, ref_name, scope=namespace), ident, "configures",
                                  _line(ref, "name", sline),
                                  {"via": "envFrom", "prefix": _text(source.get("prefix")),
                                   "optional": ref.get("optional") is True})
            container = {
                "name": _text(cmap.get("name")),
                "image": _text(cmap.get("image")),
                "ports": ports,
                "requests": {"cpu": _text(requests.get("cpu")), "memory": _text(requests.get("memory"))},
                "limits": {"cpu": _text(limits.get("cpu")), "memory": _text(limits.get("memory"))},
                "readiness": isinstance(cmap.get("readinessProbe"), YMap) and bool(cmap.get("readinessProbe")),
                "liveness": isinstance(cmap.get("livenessProbe"), YMap) and bool(cmap.get("livenessProbe")),
                "startup": isinstance(cmap.get("startupProbe"), YMap) and bool(cmap.get("startupProbe")),
                "pre_stop": _dig(cmap, "lifecycle", "preStop") is not None,
                "env_keys": env_keys,
                "env": env_values(own),
                "command": _command(cmap),
                "line": cline,
                "has_requests": any(_text(requests.get(k)) for k in ("cpu", "memory")),
                "has_limits": any(_text(limits.get(k)) for k in ("cpu", "memory")),
            }
            containers.append((container, cmap))
        return containers, entries

    def _mounts(self, pod_spec: YMap) -> dict[str, list[str]]:
        mounts: dict[str, list[str]] = {}
        for key in ("containers", "initContainers"):
            for _, cmap, _ in _items(pod_spec.get(key)):
                for _, mount, _ in _items(cmap.get("volumeMounts")):
                    name, mount_path = _text(mount.get("name")), _text(mount.get("mountPath"))
                    if name and mount_path and mount_path not in mounts.setdefault(name, []):
                        mounts[name].append(mount_path)
        return mounts

    def _volume(self, volume: YMap, vline: int, mounts: dict[str, list[str]], ident: str,
                namespace: str) -> dict[str, Any]:
        name = _text(volume.get("name")) or ""
        source_key = next((key for key in _VOLUME_TYPES if key in volume),
                          next((str(key) for key in volume if key != "name"), ""))
        body = _map(volume.get(source_key))
        source: str | None = None
        if source_key == "hostPath":
            source = _text(body.get("path"))
        elif source_key == "persistentVolumeClaim":
            source = _text(body.get("claimName"))
        elif source_key == "configMap":
            source = _text(body.get("name"))
        elif source_key == "secret":
            source = _text(body.get("secretName"))
        elif source_key == "nfs":
            source = f"{_text(body.get('server')) or ''}:{_text(body.get('path')) or ''}"
        elif source_key == "emptyDir":
            source = _text(body.get("medium"))
        refs: list[tuple[str, str | None, int, YMap]] = []
        if source_key == "configMap":
            refs.append(("ConfigMap", source, _line(body, "name", vline), body))
        elif source_key == "secret":
            refs.append(("Secret", source, _line(body, "secretName", vline), body))
        elif source_key == "projected":
            for _, projection, pline in _items(body.get("sources")):
                for ref_key, ref_type in (("configMap", "ConfigMap"), ("secret", "Secret")):
                    ref = _map(projection.get(ref_key))
                    refs.append((ref_type, _text(ref.get("name")), _line(ref, "name", pline), ref))
        for ref_type, ref_name, line, ref_body in refs:
            if ref_name:
                attrs: dict[str, Any] = {"via": "volume", "volume": name}
                if "items" in ref_body:  # only the listed keys become files
                    attrs["keys"] = [key for _, item, _ in _items(ref_body.get("items"))
                                     if (key := _text(item.get("key")))]
                self.edge(node_id("kubernetes", ref_type, ref_name, scope=namespace), ident, "configures", line,
                          attrs)
        paths = mounts.get(name, [])
        return {"name": name, "type": _VOLUME_TYPES.get(source_key, source_key), "source": source,
                "mount_path": paths[0] if paths else None, "mount_paths": paths, "per_replica": False,
                "line": vline}

    def _max_connections(self, containers: list[tuple[dict[str, Any], YMap]]) -> tuple[int, int] | None:
        for _, cmap in containers:
            tokens: list[tuple[str, int]] = []
            for key in ("command", "args"):
                value = cmap.get(key)
                if isinstance(value, str):
                    tokens.append((value, _line(cmap, key, cmap.line)))
                for index, item in enumerate(_list(value)):
                    text = _text(item)
                    if text is not None:
                        tokens.append((text, _list(value).line_of(index)))
            for index, (token, line) in enumerate(tokens):
                match = _MAX_CONN_ARG.search(token)
                if match and (number := digits(match.group(1))) is not None:
                    return number, line
                following = digits(tokens[index + 1][0]) if index + 1 < len(tokens) else None
                if following is not None and _MAX_CONN_FLAG.fullmatch(token):
                    return following, tokens[index + 1][1]
            for _, env, eline in _items(cmap.get("env")):
                key, number = _text(env.get("name")) or "", _int(env.get("value"))
                if number is not None and _MAX_CONN_ENV.search(key):
                    return number, eline
        return None

    def _interpret(self, entries: list[Entry], framework: str, secret: bool = False) -> Interpretation:
        if not entries:
            return Interpretation()
        try:
            interpretation = interpret(entries, framework)
        except Exception as error:  # noqa: BLE001 - a defect in the shared interpreter must not lose the object
            detail = type(error).__name__ if secret else f"{type(error).__name__}: {error}"  # may quote a value
            self.diagnostics.append(Diagnostic(
                self.path, f"could not interpret configuration ({detail})", entries[0].location.line,
                "internal-error", "warning"))
            return Interpretation()
        if interpretation.unread_link is not None:
            self.diagnostics.append(Diagnostic(self.path, LINKS_LIMIT,
                                               interpretation.unread_link.line, "limit", "warning"))
        return interpretation

    # -- traffic --------------------------------------------------------------------------------------

    def service(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        selector = spec.get("selector")
        ports = [(pmap, pline) for _, pmap, pline in _items(spec.get("ports"))]
        affinity = _text(spec.get("sessionAffinity"))
        service_type = _text(spec.get("type")) or "ClusterIP"
        external_name = _text(spec.get("externalName")) if service_type == "ExternalName" else None
        attrs = {
            "type": service_type,
            "selector": _str_map(selector) if isinstance(selector, YMap) else None,
            "ports": [port for pmap, _ in ports if (port := _int(pmap.get("port"))) is not None],
            "target_ports": [_scalar(pmap.get("targetPort", pmap.get("port"))) for pmap, _ in ports],
            "session_affinity": "ClientIP" if affinity == "ClientIP" else None,
            "headless": _text(spec.get("clusterIP")) == "None",
            "external_name": external_name,
            "external_traffic_policy": _text(spec.get("externalTrafficPolicy")),
        }
        evidence = {
            "type": self.key_loc(spec, "type", spec_line),
            "selector": self.key_loc(spec, "selector", spec_line),
            "ports": self.key_loc(spec, "ports", spec_line),
            "session_affinity": self.key_loc(spec, "sessionAffinity", spec_line),
            "headless": self.key_loc(spec, "clusterIP", spec_line),
        }
        node = self.add_node(obj, "load_balancer", attrs, evidence)
        if external_name:
            self.edge(node.id, host_ref(external_name), "routes_to", _line(spec, "externalName", spec_line),
                      {"via": "externalName", "target_kind": "external"})

    def ingress(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        annotations = _str_map(obj.metadata.get("annotations"))
        ident = node_id("kubernetes", "Ingress", obj.name, scope=obj.namespace)
        routes: list[dict[str, Any]] = []
        pending: list[tuple[str, int, dict[str, Any]]] = []

        def backend(value: Any, fallback: int, host: str | None, path: str | None) -> None:
            body = _map(value)
            service = _map(body.get("service"))
            name = _text(service.get("name")) or _text(body.get("serviceName"))
            if not name:
                return
            port_map = _map(service.get("port"))
            port = _scalar(port_map.get("number", port_map.get("name"))) if service else _scalar(
                body.get("servicePort"))
            line = _line(body, "service", _line(body, "serviceName", _own_line(body, fallback)))
            routes.append({"host": host, "path": path, "service": name, "port": port, "line": line})
            pending.append((name, line, {"host": host, "path": path, "port": port}))

        for key in ("defaultBackend", "backend"):
            if key in spec:
                backend(spec.get(key), _line(spec, key, spec_line), None, None)
        for _, rule, rline in _items(spec.get("rules")):
            host = _text(rule.get("host"))
            for _, path_item, pline in _items(_dig(rule, "http", "paths")):
                backend(path_item.get("backend"), pline, host, _text(path_item.get("path")))
            if not _list(_dig(rule, "http", "paths")) and host:
                routes.append({"host": host, "path": None, "service": None, "port": None, "line": rline})
        tls = [t for _, t, _ in _items(spec.get("tls"))]
        ingress_class = _text(spec.get("ingressClassName")) or annotations.get("kubernetes.io/ingress.class")
        class_line = _line(spec, "ingressClassName",
                           _line(obj.metadata.get("annotations"), "kubernetes.io/ingress.class", spec_line))
        attrs: dict[str, Any] = {
            "ingress_class": ingress_class,
            "tls": bool(tls),
            "tls_hosts": sorted({h for t in tls for h in _strings(t.get("hosts"))}),
            "routes": routes,
        }
        evidence = {"ingress_class": self.loc(class_line), "tls": self.key_loc(spec, "tls", spec_line),
                    "routes": self.key_loc(spec, "rules", spec_line)}
        attrs["session_affinity"], evidence["session_affinity"] = self._sticky(obj, annotations, spec_line)
        self.add_node(obj, "load_balancer", attrs, evidence)
        for name, line, extra in pending:
            self.edge(ident, node_id("kubernetes", "Service", name, scope=obj.namespace), "routes_to", line, extra)

    def _sticky(self, obj: _Object, annotations: dict[str, str], fallback: int) -> tuple[str | None, Location]:
        for key, is_sticky in _STICKY_ANNOTATIONS.items():
            if key in annotations and is_sticky(annotations[key]):
                return "cookie", self.loc(_line(obj.metadata.get("annotations"), key, fallback))
        return None, self.key_loc(obj.metadata, "annotations", fallback)

    def http_route(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        ident = node_id("kubernetes", obj.kind, obj.name, scope=obj.namespace)
        routes: list[dict[str, Any]] = []
        targets: list[tuple[str, str, int, Any]] = []
        for _, rule, rline in _items(spec.get("rules")):
            backends = []
            for _, ref, bline in _items(rule.get("backendRefs")):
                name = _text(ref.get("name"))
                kind = _text(ref.get("kind")) or "Service"
                if not name:
                    continue
                backends.append(name)
                if kind == "Service":
                    targets.append((name, _text(ref.get("namespace")) or obj.namespace, bline, _int(ref.get("port"))))
            timeouts = _map(rule.get("timeouts"))
            routes.append({"backends": backends, "timeout": _text(timeouts.get("request")),
                           "backend_timeout": _text(timeouts.get("backendRequest")), "line": rline})
        attrs = {
            "hostnames": _strings(spec.get("hostnames")),
            "parent_refs": [_text(ref.get("name")) for _, ref, _ in _items(spec.get("parentRefs"))],
            "routes": routes,
        }
        evidence = {"routes": self.key_loc(spec, "rules", spec_line),
                    "parent_refs": self.key_loc(spec, "parentRefs", spec_line)}
        self.add_node(obj, "load_balancer", attrs, evidence)
        for name, namespace, line, port in targets:
            self.edge(ident, node_id("kubernetes", "Service", name, scope=namespace), "routes_to", line,
                      {"port": port})

    def gateway(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        if obj.api_version.startswith("gateway.networking.k8s.io"):
            listeners = [{"name": _text(item.get("name")), "port": _int(item.get("port")),
                          "protocol": _text(item.get("protocol")), "hostname": _text(item.get("hostname")),
                          "tls": isinstance(item.get("tls"), YMap), "line": line}
                         for _, item, line in _items(spec.get("listeners"))]
            attrs: dict[str, Any] = {"gateway_class": _text(spec.get("gatewayClassName")), "listeners": listeners,
                                     "tls": any(item["tls"] for item in listeners)}
            evidence = {"listeners": self.key_loc(spec, "listeners", spec_line),
                        "gateway_class": self.key_loc(spec, "gatewayClassName", spec_line)}
        else:
            servers = [{"port": _int(_map(item.get("port")).get("number")),
                        "protocol": _text(_map(item.get("port")).get("protocol")),
                        "hosts": _strings(item.get("hosts")), "tls": isinstance(item.get("tls"), YMap),
                        "line": line}
                       for _, item, line in _items(spec.get("servers"))]
            attrs = {"servers": servers, "selector": _str_map(spec.get("selector")),
                     "tls": any(item["tls"] for item in servers)}
            evidence = {"servers": self.key_loc(spec, "servers", spec_line),
                        "selector": self.key_loc(spec, "selector", spec_line)}
        self.add_node(obj, "gateway", attrs, evidence)

    # -- scaling and disruption ------------------------------------------------------------------------

    def hpa(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        metrics: list[str] = []
        targets: list[dict[str, Any]] = []
        target_cpu: int | None = None
        cpu_line = spec_line
        if "targetCPUUtilizationPercentage" in spec:
            metrics.append("cpu")
            target_cpu = _int(spec.get("targetCPUUtilizationPercentage"))
            cpu_line = _line(spec, "targetCPUUtilizationPercentage", spec_line)
            targets.append({"type": "Resource", "name": "cpu", "target_type": "Utilization", "container": None,
                            "line": cpu_line})
        for _, metric, mline in _items(spec.get("metrics")):
            metric_type = (_text(metric.get("type")) or "").lower()
            if metric_type in ("resource", "containerresource"):
                body = _map(metric.get("resource" if metric_type == "resource" else "containerResource"))
                resource = _text(body.get("name")) or "resource"
                metrics.append(resource)
                target = _map(body.get("target"))
                target_type = _target_type(target, body)
                targets.append({"type": "Resource" if metric_type == "resource" else "ContainerResource",
                                "name": resource, "target_type": target_type,
                                "container": _text(body.get("container")) if metric_type != "resource" else None,
                                "line": mline})
                if resource == "cpu":
                    if target_type == "Utilization" and target_cpu is None:
                        target_cpu = _int(target.get("averageUtilization", body.get("targetAverageUtilization")))
                    cpu_line = mline
            elif metric_type:
                metrics.append(metric_type)
        if not metrics and "metrics" not in spec:
            metrics.append("cpu")  # the API's default: 80% CPU
            targets.append({"type": "Resource", "name": "cpu", "target_type": "Utilization", "container": None,
                            "line": spec_line, "default": True})
        attrs = {
            "min_replicas": _int(spec.get("minReplicas")) if "minReplicas" in spec else 1,
            "max_replicas": _int(spec.get("maxReplicas")),
            "metrics": metrics,
            "metric_targets": targets,
            "target_cpu": target_cpu,
        }
        evidence = {
            "min_replicas": self.key_loc(spec, "minReplicas", spec_line),
            "max_replicas": self.key_loc(spec, "maxReplicas", spec_line),
            "metrics": self.key_loc(spec, "metrics", cpu_line),
            "target_cpu": self.loc(cpu_line),
        }
        self._scale_target(obj, spec, spec_line, attrs, evidence, "Deployment")

    def scaled_object(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        triggers: list[str] = []
        targets: list[dict[str, Any]] = []
        for _, trigger, tline in _items(spec.get("triggers")):
            trigger_type = _text(trigger.get("type")) or ""
            triggers.append(trigger_type)
            if trigger_type in ("cpu", "memory"):
                # KEDA's `metricType` (or the deprecated `metadata.type`); neither stated: KEDA rejects it.
                metadata = _map(trigger.get("metadata"))
                stated = _text(trigger.get("metricType")) or _text(metadata.get("type"))
                container = _text(metadata.get("containerName")) or None
                targets.append({"type": "ContainerResource" if container else "Resource", "name": trigger_type,
                                "target_type": _canonical_target(stated), "container": container, "line": tline})
        attrs = {
            "min_replicas": _int(spec.get("minReplicaCount")) if "minReplicaCount" in spec else 0,
            "max_replicas": _int(spec.get("maxReplicaCount")) if "maxReplicaCount" in spec else 100,
            "triggers": triggers,
            "metrics": [t if t in ("cpu", "memory") else "external" for t in triggers],
            "metric_targets": targets,
            "target_cpu": None,
        }
        evidence = {
            "min_replicas": self.key_loc(spec, "minReplicaCount", spec_line),
            "max_replicas": self.key_loc(spec, "maxReplicaCount", spec_line),
            "metrics": self.key_loc(spec, "triggers", spec_line),
            "triggers": self.key_loc(spec, "triggers", spec_line),
        }
        self._scale_target(obj, spec, spec_line, attrs, evidence, "Deployment")

    def _scale_target(self, obj: _Object, spec: YMap, spec_line: int, attrs: dict[str, Any],
                      evidence: dict[str, Location], default_kind: str) -> None:
        ref = _map(spec.get("scaleTargetRef"))
        target_kind = _text(ref.get("kind")) or default_kind
        target_name = _text(ref.get("name"))
        attrs["target_kind"], attrs["target_name"] = target_kind, target_name
        ref_line = _line(spec, "scaleTargetRef", spec_line)
        evidence["target"] = self.key_loc(spec, "scaleTargetRef", spec_line)
        node = self.add_node(obj, "autoscaler", attrs, evidence)
        if target_name:
            self.edge(node.id, node_id("kubernetes", target_kind, target_name, scope=obj.namespace), "scales",
                      ref_line, {"min_replicas": attrs["min_replicas"], "max_replicas": attrs["max_replicas"]})

    def pdb(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        selector = _map(spec.get("selector"))
        match_labels = selector.get("matchLabels")
        attrs = {
            "min_available": _scalar(spec.get("minAvailable")),
            "max_unavailable": _scalar(spec.get("maxUnavailable")),
            "selector": _str_map(match_labels) if isinstance(match_labels, YMap) else None,
            "selector_expressions": bool(_list(selector.get("matchExpressions"))),
        }
        evidence = {
            "min_available": self.key_loc(spec, "minAvailable", spec_line),
            "max_unavailable": self.key_loc(spec, "maxUnavailable", spec_line),
            "selector": self.key_loc(spec, "selector", spec_line),
        }
        self.add_node(obj, "policy", attrs, evidence)

    def network_policy(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        attrs = {
            "pod_selector": _str_map(_map(spec.get("podSelector")).get("matchLabels")),
            "policy_types": _strings(spec.get("policyTypes")),
            "ingress_rules": len(_list(spec.get("ingress"))),
            "egress_rules": len(_list(spec.get("egress"))),
        }
        self.add_node(obj, "policy", attrs, {"pod_selector": self.key_loc(spec, "podSelector", spec_line)})

    def limit_range(self, obj: _Object) -> None:
        """What a LimitRange fills in for containers that state no requests or limits (type Container only)."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        found: dict[str, dict[str, str | None]] = {"default": {"cpu": None, "memory": None},
                                                    "default_request": {"cpu": None, "memory": None}}
        evidence: dict[str, Location] = {}
        for _, item, iline in _items(spec.get("limits")):
            if _text(item.get("type")) != "Container":
                continue
            for attr, key in (("default", "default"), ("default_request", "defaultRequest")):
                values = _map(item.get(key))
                for resource in ("cpu", "memory"):
                    text = _text(values.get(resource))
                    if text and found[attr][resource] is None:
                        found[attr][resource] = text
                        evidence.setdefault(attr, self.key_loc(item, key, iline))
        evidence.setdefault("default", self.key_loc(spec, "limits", spec_line))
        evidence.setdefault("default_request", self.key_loc(spec, "limits", spec_line))
        self.add_node(obj, "policy", dict(found), evidence)

    def monitor(self, obj: _Object) -> None:
        """prometheus-operator ServiceMonitor (selects Services) / PodMonitor (selects pods)."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        selector_value = spec.get("selector")
        selector = _map(selector_value)
        expressions = [{"key": _text(e.get("key")), "operator": _text(e.get("operator")),
                        "values": _strings(e.get("values")), "line": line}
                       for _, e, line in _items(selector.get("matchExpressions"))]
        namespace_selector = _map(spec.get("namespaceSelector"))
        names = _strings(namespace_selector.get("matchNames"))
        namespaces: str | list[str] | None = "any" if namespace_selector.get("any") is True else (names or None)
        endpoints_key = "endpoints" if obj.kind == "ServiceMonitor" else "podMetricsEndpoints"
        endpoints = [{"port": _scalar(e.get("port", e.get("targetPort"))), "path": _text(e.get("path")),
                      "interval": _text(e.get("interval")), "line": line}
                     for _, e, line in _items(spec.get(endpoints_key))]
        attrs = {
            "selector": _str_map(selector.get("matchLabels")) if isinstance(selector_value, YMap) else None,
            "selector_expressions": expressions,
            "namespaces": namespaces,
            "endpoints": endpoints,
        }
        evidence = {
            "selector": self.key_loc(spec, "selector", spec_line),
            "namespaces": self.key_loc(spec, "namespaceSelector", spec_line),
            "endpoints": self.key_loc(spec, endpoints_key, spec_line),
        }
        self.add_node(obj, "policy", attrs, evidence)

    def namespace_object(self, obj: _Object) -> None:
        """A Namespace: its labels/annotations, and the service mesh they inject into every pod in it."""
        labels = _str_map(obj.metadata.get("labels"))
        annotations = _str_map(obj.metadata.get("annotations"))
        mesh, where = None, self.key_loc(obj.metadata, "labels", obj.value.line)
        injection = labels.get("istio-injection", "").lower()
        if injection == "enabled" or (not injection and labels.get("istio.io/rev")) or \
                (not injection and labels.get("istio.io/dataplane-mode", "").lower() == "ambient"):
            key = "istio-injection" if injection else \
                "istio.io/rev" if labels.get("istio.io/rev") else "istio.io/dataplane-mode"
            mesh, where = "Istio", self.loc(_line(obj.metadata.get("labels"), key, obj.value.line))
        elif annotations.get("linkerd.io/inject", "").lower() in ("enabled", "ingress"):
            mesh = "Linkerd"
            where = self.loc(_line(obj.metadata.get("annotations"), "linkerd.io/inject", obj.value.line))
        self.add_node(obj, "config", {"mesh": mesh}, {"mesh": where})

    # -- service mesh ---------------------------------------------------------------------------------

    def destination_rule(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        host = _text(spec.get("host"))
        policy = _map(spec.get("trafficPolicy"))
        policy_line = _line(spec, "trafficPolicy", spec_line)

        def has(body: YMap, key: str) -> bool:
            return key in body or any(key in port for _, port, _ in _items(body.get("portLevelSettings")))

        load_balancer = _map(policy.get("loadBalancer"))
        subsets = [{"name": _text(s.get("name")), "labels": _str_map(s.get("labels")),
                    "outlier_detection": has(_map(s.get("trafficPolicy")), "outlierDetection"),
                    "connection_pool": has(_map(s.get("trafficPolicy")), "connectionPool"), "line": line}
                   for _, s, line in _items(spec.get("subsets"))]
        attrs = {
            "host": host,
            "outlier_detection": has(policy, "outlierDetection"),
            "connection_pool": has(policy, "connectionPool"),
            "load_balancer": "consistentHash" if "consistentHash" in load_balancer
            else _text(load_balancer.get("simple")),
            "subsets": subsets,
        }
        evidence = {
            "host": self.key_loc(spec, "host", spec_line),
            "outlier_detection": self.key_loc(policy, "outlierDetection", policy_line),
            "connection_pool": self.key_loc(policy, "connectionPool", policy_line),
            "load_balancer": self.key_loc(policy, "loadBalancer", policy_line),
            "subsets": self.key_loc(spec, "subsets", spec_line),
        }
        node = self.add_node(obj, "policy", attrs, evidence)
        if host and "*" not in host:
            self.edge(node.id, host_ref(host), "configures", _line(spec, "host", spec_line), {"via": "host"})

    def virtual_service(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        hosts_list = _list(spec.get("hosts"))
        gateways = _strings(spec.get("gateways"))
        routes: list[dict[str, Any]] = []
        targets: list[tuple[str, int, str]] = []
        for route_kind in ("http", "tcp", "tls"):
            for _, route, rline in _items(spec.get(route_kind)):
                destinations = []
                for _, dest, dline in _items(route.get("route")):
                    destination = _map(dest.get("destination"))
                    dest_host = _text(destination.get("host"))
                    if dest_host:
                        destinations.append(dest_host)
                        targets.append((dest_host, _line(destination, "host", dline), "destination"))
                retries = route.get("retries")
                entry: dict[str, Any] = {
                    "protocol": route_kind, "name": _text(route.get("name")), "destinations": destinations,
                    "line": rline,
                }
                if route_kind == "http":
                    entry["timeout"] = _text(route.get("timeout"))
                    entry["retries"] = None if not isinstance(retries, YMap) else {
                        "attempts": _int(retries.get("attempts")),
                        "perTryTimeout": _text(retries.get("perTryTimeout")),
                        "retryOn": _text(retries.get("retryOn")),
                    }
                    entry["timeout_line"] = _line(route, "timeout", rline)
                    entry["retries_line"] = _line(route, "retries", rline)
                routes.append(entry)
        http = [r for r in routes if r["protocol"] == "http"]
        attrs = {
            "hosts": _strings(hosts_list),
            "gateways": gateways,
            "routes": routes,
            "timeouts_set": bool(http) and all(r["timeout"] for r in http),
            "retries_set": bool(http) and all(r["retries"] for r in http),
        }
        evidence = {
            "hosts": self.key_loc(spec, "hosts", spec_line),
            "gateways": self.key_loc(spec, "gateways", spec_line),
            "timeout": self._route_evidence(http, "timeout", spec_line),
            "retries": self._route_evidence(http, "retries", spec_line),
        }
        node = self.add_node(obj, "policy", attrs, evidence)
        if not gateways or "mesh" in gateways:
            for index, item in enumerate(hosts_list):
                text = _text(item)
                if text and "*" not in text:
                    targets.insert(index, (text, hosts_list.line_of(index), "host"))
        done: set[str] = set()
        for host, line, via in targets:
            if host_ref(host) not in done:
                done.add(host_ref(host))
                self.edge(node.id, host_ref(host), "configures", line, {"via": via})

    def dapr_configuration(self, obj: _Object) -> None:
        """Dapr Configuration: whether the sidecars that load it export traces (`spec.tracing` with a sampling
        rate above 0; Dapr samples nothing without one)."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        tracing = _map(spec.get("tracing"))
        rate = _text(tracing.get("samplingRate"))
        try:
            sampled = float(rate or "0") > 0
        except ValueError:
            sampled = False
        attrs = {"dapr_tracing": sampled and any(k in tracing for k in ("zipkin", "otel", "stdout"))}
        evidence = {"dapr_tracing": self.key_loc(spec, "tracing", spec_line)}
        self.add_node(obj, "config", attrs, evidence)

    def service_profile(self, obj: _Object) -> None:
        """Linkerd ServiceProfile: named by the FQDN of the Service it governs."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        routes = [(route, line) for _, route, line in _items(spec.get("routes"))]
        timed = [line for route, line in routes if _text(route.get("timeout"))]
        attrs = {
            "host": obj.name,
            "timeouts_set": bool(timed),
            "retry_budget": isinstance(spec.get("retryBudget"), YMap),
            "retryable_routes": sum(1 for route, _ in routes if _text(route.get("isRetryable")) == "true"),
        }
        evidence = {
            "timeouts_set": self.loc(timed[0]) if timed else self.key_loc(spec, "routes", spec_line),
            "retry_budget": self.key_loc(spec, "retryBudget", spec_line),
        }
        node = self.add_node(obj, "policy", attrs, evidence)
        if "*" not in obj.name:
            self.edge(node.id, host_ref(obj.name), "configures", _line(obj.metadata, "name", obj.value.line),
                      {"via": "host"})

    def envoy_filter(self, obj: _Object) -> None:
        """Istio EnvoyFilter: only whether it installs Envoy's local or global rate-limit filter."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        limit_line = _find_text(spec, ("envoy.filters.http.local_ratelimit", "envoy.filters.http.ratelimit",
                                       "envoy.extensions.filters.http.local_ratelimit",
                                       "envoy.extensions.filters.http.ratelimit"))
        attrs = {
            "rate_limit": limit_line is not None,
            "workload_selector": _str_map(_map(spec.get("workloadSelector")).get("labels")),
        }
        evidence = {"rate_limit": self.loc(limit_line or spec_line),
                    "workload_selector": self.key_loc(spec, "workloadSelector", spec_line)}
        self.add_node(obj, "policy", attrs, evidence)

    def traefik_middleware(self, obj: _Object) -> None:
        """Traefik Middleware CRD: which middleware types it configures (`rateLimit`, `inFlightReq`, …)."""
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        types = [str(key) for key in spec]
        limit = next((key for key in ("rateLimit", "inFlightReq") if key in spec), None)
        attrs = {"middleware_types": types, "rate_limit": limit is not None}
        evidence = {"rate_limit": self.key_loc(spec, limit, spec_line) if limit else self.loc(spec_line)}
        self.add_node(obj, "policy", attrs, evidence)

    def kong_plugin(self, obj: _Object) -> None:
        """KongPlugin / KongClusterPlugin: the plugin name, and whether it limits request rates."""
        plugin = _text(obj.value.get("plugin")) or ""
        labels = _str_map(obj.metadata.get("labels"))
        attrs = {
            "plugin": plugin,
            "rate_limit": plugin in ("rate-limiting", "rate-limiting-advanced", "response-ratelimiting"),
            "global": labels.get("global", "").lower() == "true",
            "disabled": _text(obj.value.get("disabled")) == "true",
        }
        if attrs["disabled"]:
            attrs["rate_limit"] = False
        evidence = {"plugin": self.key_loc(obj.value, "plugin", obj.value.line),
                    "rate_limit": self.key_loc(obj.value, "plugin", obj.value.line)}
        self.add_node(obj, "policy", attrs, evidence)

    def _route_evidence(self, routes: list[dict[str, Any]], key: str, fallback: int) -> Location:
        """The first HTTP route that lacks `key`, else the first route's `key` line."""
        for route in routes:
            if not route[key]:
                return self.loc(route["line"])
        return self.loc(routes[0][f"{key}_line"] if routes else fallback)

    # -- configuration --------------------------------------------------------------------------------

    def config_map(self, obj: _Object) -> None:
        data = _map(obj.value.get("data"))
        binary = _map(obj.value.get("binaryData"))
        data_line = _line(obj.value, "data", obj.value.line)
        plain: list[Entry] = []
        files: list[str] = []
        settings: list[Setting] = []
        links: list[Link] = []
        evidence: dict[str, Location] = {"keys": self.key_loc(obj.value, "data", obj.value.line)}
        for raw_key, value in data.items():
            key = str(raw_key)
            start, end = _span(data, raw_key, data_line)
            evidence[f"data.{key}"] = self.loc(start, end)
            text = _text(value)
            if text is None:
                continue
            if self._recognised(key) or key.lower().endswith(_FILE_SUFFIXES):
                files.append(key)
                result = self._embedded(key, text, start, end)
                settings.extend(telemetry.scrape_targets(key, text, self.path, start if end > start else start - 1))
                settings.extend(result.settings)
                links.extend(result.links)
            else:
                plain.append(Entry(key, text, self.loc(start, end)))
        result = self._interpret(plain, "")
        settings[:0] = result.settings
        links[:0] = result.links
        attrs = {"keys": [str(k) for k in data] + [str(k) for k in binary if str(k) not in data], "files": files}
        node = self.add_node(obj, "config", attrs, evidence, tuple(settings))
        self.link_edges(node.id, links)

    def _recognised(self, key: str) -> bool:
        try:
            return bool(appconfig.recognises(key))
        except Exception:  # noqa: BLE001 - an app-config defect must not hide the ConfigMap
            return False

    def _embedded(self, key: str, text: str, start: int, end: int) -> Interpretation:
        """An app-config file inside a ConfigMap (`application.yml: |`), with lines inside this manifest."""
        lines = len(text.splitlines()) or 1
        block = end > start  # a block scalar's content starts on the line after the key
        offset = start if block else start - 1
        try:
            entries, problems = appconfig.entries_from_text(key, text, self.path, offset)
        except Exception as error:  # noqa: BLE001 - a defect in the app-config reader must not lose the ConfigMap
            entries, problems = [], [f"could not read ({type(error).__name__}: {error})"]
        if not block or end - start < lines:
            entries = [replace(e, location=Location(self.path, min(max(e.location.line, start), end),
                                                    min(max(e.location.end_line, start), end)))
                       for e in entries]
        for problem in problems:
            # appconfig says "line N: message" with N already inside this manifest.
            line, code, message = appconfig.problem_parts(problem)
            self.diagnostics.append(Diagnostic(self.path, f"{key}: {message}", line or start, code,
                                               appconfig.diagnostic_level(code)))
        return self._interpret(entries, appconfig.framework_of(key))

    def secret(self, obj: _Object) -> None:
        """Key names only. URL values may still name a host (a DATABASE_URL): only that host is kept."""
        keys: list[str] = []
        urls: list[Entry] = []
        evidence: dict[str, Location] = {}
        for section, encoded in (("data", True), ("stringData", False)):
            body = _map(obj.value.get(section))
            if section in obj.value:
                evidence.setdefault("keys", self.key_loc(obj.value, section, obj.value.line))
            for raw_key, value in body.items():
                key = str(raw_key)
                if key not in keys:
                    keys.append(key)
                start, end = _span(body, raw_key, obj.value.line)
                evidence[f"data.{key}"] = self.loc(start, end)
                text = _secret_text(value, encoded)
                if text is not None and _URLISH.match(text):
                    urls.append(Entry(key, text, self.loc(start, end)))
        attrs = {"keys": keys, "secret_type": _text(obj.value.get("type")) or "Opaque"}
        node = self.add_node(obj, "config", attrs, evidence)
        if urls:
            self.link_edges(node.id, self._interpret(urls, "", secret=True).links)  # links only, never settings

    def pvc(self, obj: _Object) -> None:
        spec = _map(obj.value.get("spec"))
        spec_line = _line(obj.value, "spec", obj.value.line)
        attrs = {
            "access_modes": _strings(spec.get("accessModes")),
            "storage": _text(_dig(spec, "resources", "requests", "storage")),
            "storage_class": _text(spec.get("storageClassName")),
        }
        self.add_node(obj, "storage", attrs, {"access_modes": self.key_loc(spec, "accessModes", spec_line)})


class _Object:
    """One Kubernetes object being read: its mapping and identity."""

    __slots__ = ("api_version", "kind", "metadata", "name", "namespace", "value")

    def __init__(self, value: YMap, kind: str, api_version: str, name: str, namespace: str, metadata: YMap) -> None:
        self.value, self.kind, self.api_version = value, kind, api_version
        self.name, self.namespace, self.metadata = name, namespace, metadata


def _find_text(value: Any, needles: tuple[str, ...], depth: int = 0) -> int | None:
    """The line of the first scalar (or key) inside `value` that is one of `needles`; None if none."""
    if depth > 20:
        return None
    if isinstance(value, YMap):
        for key, item in value.items():
            if isinstance(item, str) and item in needles:
                return _line(value, key, value.line)
            found = _find_text(item, needles, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, YList):
        for index, item in enumerate(value):
            if isinstance(item, str) and item in needles:
                return value.line_of(index)
            found = _find_text(item, needles, depth + 1)
            if found is not None:
                return found
    return None


def _own_end(value: Any, default: int) -> int:
    return value.end_line if isinstance(value, YMap) and value is not _EMPTY_MAP else default


def _secret_text(value: Any, encoded: bool) -> str | None:
    text = _text(value)
    if text is None or not encoded:
        return text
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _ref_name(ident: str) -> str:
    """`kubernetes:ConfigMap:shop/app-config` → `ConfigMap/app-config`."""
    _, type_, rest = ident.split(":", 2)
    return f"{type_}/{rest.rsplit('/', 1)[-1]}"


_TARGET_TYPES = {"utilization": "Utilization", "averagevalue": "AverageValue", "value": "Value"}


def _canonical_target(text: str | None) -> str | None:
    """`utilization` → `Utilization`; None (unknown) for anything that is not an HPA target type."""
    return _TARGET_TYPES.get(text.strip().lower()) if text else None


def _target_type(target: YMap, body: YMap) -> str | None:
    """An HPA metric's target type: `target.type` (v2, v2beta2), else inferred from the value it states
    (v2beta1's `targetAverageUtilization` / `targetAverageValue`, or a v2 target without `type`)."""
    stated = _canonical_target(_text(target.get("type")))
    if stated:
        return stated
    for key, target_type in (("averageUtilization", "Utilization"), ("averageValue", "AverageValue"),
                             ("value", "Value")):
        if key in target:
            return target_type
    if "targetAverageUtilization" in body:
        return "Utilization"
    return "AverageValue" if "targetAverageValue" in body else None


def _command(cmap: YMap) -> str | None:
    """A container's `command` and `args` as one text (at most 50 items of 200 characters; secret-looking
    arguments redacted), None when neither is stated: what an off-the-shelf image is started as
    (`start-dev`, `--replSet rs0`)."""
    items: list[str] = []
    for key in ("command", "args"):
        value = cmap.get(key)
        for item in ([value] if isinstance(value, str) else list(_list(value))):
            text = _text(item)
            if text is not None and len(items) < 50:
                items.append(text[:200])
    return secret_arguments(" ".join(items)) if items else None
