"""The Kubernetes parser: what it finds in real-looking manifests, on which lines, and what it never keeps."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

import pytest

from auditor.model import Edge, Facts, Node, host_ref, node_id
from auditor.parsers import kubernetes
from tests.conftest import FIXTURES

SHOP = FIXTURES / "k8s-shop"


@cache
def shop(name: str) -> Facts:
    path = f"k8s/{name}"
    return kubernetes.parse(path, (SHOP / path).read_text(encoding="utf-8"))


def parse_text(text: str, path: str = "deploy/app.yaml") -> Facts:
    return kubernetes.parse(path, textwrap.dedent(text).lstrip("\n"))


def k8s(kind: str, name: str, ns: str = "shop") -> str:
    return node_id("kubernetes", kind, name, scope=ns)


def node(facts: Facts, ident: str) -> Node:
    matches = [n for n in facts.nodes if n.id == ident]
    assert len(matches) == 1, f"{ident} not in {[n.id for n in facts.nodes]}"
    return matches[0]


def edges(facts: Facts, source: str | None = None, kind: str | None = None) -> list[Edge]:
    return [e for e in facts.edges if (source is None or e.source == source) and (kind is None or e.kind == kind)]


def evidence_lines(n: Node) -> dict[str, int]:
    return {attr: loc.line for attr, loc in n.evidence.items()}


ALL_FILES = sorted(p.name for p in (SHOP / "k8s").glob("*.yaml"))


# -- the fixture repo as a whole -----------------------------------------------------------------------------


def test_fixture_repo_nodes_ids_kinds_and_spans() -> None:
    found = {(n.id, n.kind, n.location.path, n.location.line, n.location.end_line)
             for name in ALL_FILES for n in shop(name).nodes}
    assert found == {
        (k8s("Deployment", "cart"), "service", "k8s/cart.yaml", 1, 30),
        (k8s("Service", "cart"), "load_balancer", "k8s/cart.yaml", 32, 46),
        (k8s("Deployment", "catalog"), "service", "k8s/catalog.yaml", 5, 31),
        (k8s("Service", "catalog"), "load_balancer", "k8s/catalog.yaml", 32, 41),
        (k8s("Deployment", "email-worker"), "service", "k8s/email-worker.yaml", 1, 30),
        (k8s("DestinationRule", "orders-api"), "policy", "k8s/istio.yaml", 1, 27),
        (k8s("VirtualService", "orders-api"), "policy", "k8s/istio.yaml", 29, 60),
        (k8s("ConfigMap", "orders-api-config"), "config", "k8s/orders-api-config.yaml", 1, 23),
        (k8s("ConfigMap", "orders-api-env"), "config", "k8s/orders-api-config.yaml", 25, 32),
        (k8s("HorizontalPodAutoscaler", "orders-api"), "autoscaler", "k8s/orders-api-scaling.yaml", 1, 19),
        (k8s("PodDisruptionBudget", "orders-api"), "policy", "k8s/orders-api-scaling.yaml", 21, 30),
        (k8s("Deployment", "orders-api"), "service", "k8s/orders-api.yaml", 1, 87),
        (k8s("Service", "orders-api"), "load_balancer", "k8s/orders-api.yaml", 89, 101),
        (k8s("Service", "redis"), "load_balancer", "k8s/redis.yaml", 1, 12),
        (k8s("StatefulSet", "redis"), "cache", "k8s/redis.yaml", 14, 55),
        (k8s("Secret", "orders-db-credentials"), "config", "k8s/secrets.yaml", 1, 15),
        (k8s("Deployment", "storefront"), "service", "k8s/storefront.yaml", 2, 66),
        (k8s("Service", "storefront"), "load_balancer", "k8s/storefront.yaml", 68, 79),
        (k8s("Ingress", "shop"), "load_balancer", "k8s/storefront.yaml", 81, 113),
    }


@pytest.mark.parametrize("name", ALL_FILES)
def test_fixture_files_parse_cleanly(name: str) -> None:
    facts = shop(name)
    assert facts.kind == "kubernetes"
    assert facts.diagnostics == ()
    for n in facts.nodes:
        assert n.source == "kubernetes"
        assert n.type in n.id
        assert n.attrs["namespace"] == "shop"
        for loc in n.evidence.values():
            assert loc.path == f"k8s/{name}" and 1 <= loc.line <= loc.end_line
    for e in facts.edges:
        assert e.location.path == f"k8s/{name}" and e.location.line >= 1


# -- workloads ---------------------------------------------------------------------------------------------


def test_deployment_replicas_probes_resources_and_scheduling() -> None:
    storefront = node(shop("storefront.yaml"), k8s("Deployment", "storefront"))
    attrs = storefront.attrs
    assert attrs["workload_kind"] == "Deployment"
    assert attrs["replicas"] == 3 and attrs["replicas_explicit"] is True
    assert attrs["image"] == "ghcr.io/acme-shop/storefront:2.14.1"
    assert attrs["ports"] == [3000]
    assert attrs["readiness_probe"] is True and attrs["liveness_probe"] is True
    assert attrs["startup_probe"] is False
    assert attrs["requests_set"] is True and attrs["limits_set"] is True
    assert attrs["containers"] == [{
        "name": "web", "image": "ghcr.io/acme-shop/storefront:2.14.1", "ports": [3000],
        "requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": None, "memory": "512Mi"},
        "readiness": True, "liveness": True, "startup": False, "pre_stop": False,
        "env_keys": ["NODE_ENV", "ORDERS_API_URL", "CART_URL"], "line": 26, "sidecar": False,
        "env": [["NODE_ENV", "production", 32], ["ORDERS_API_URL", "http://orders-api.shop.svc.cluster.local:8080", 34],
                ["CART_URL", "http://cart:8081", 36]],
        "command": None,
    }]
    assert attrs["pod_labels"] == {"app": "storefront", "tier": "web"}
    assert attrs["pod_anti_affinity"] is True and attrs["topology_spread"] is False
    assert attrs["strategy"] == "RollingUpdate"
    assert attrs["volumes"] == [{"name": "tmp", "type": "emptyDir", "source": None, "mount_path": "/tmp",
                                 "mount_paths": ["/tmp"], "per_replica": False, "line": 56}]
    assert attrs["env_keys"] == ["CART_URL", "NODE_ENV", "ORDERS_API_URL"]
    lines = evidence_lines(storefront)
    assert lines["replicas"] == 10
    assert lines["image"] == 27
    assert lines["readiness_probe"] == 38 and lines["liveness_probe"] == 42
    assert lines["resources"] == 46
    assert lines["pod_labels"] == 21
    assert lines["pod_anti_affinity"] == 59
    assert lines["strategy"] == 14


def test_replicas_default_to_one_and_point_at_spec() -> None:
    api = node(shop("orders-api.yaml"), k8s("Deployment", "orders-api"))
    assert api.attrs["replicas"] == 1 and api.attrs["replicas_explicit"] is False
    assert api.evidence["replicas"].line == 8  # `spec:`
    assert api.attrs["topology_spread"] is True and api.evidence["topology_spread"].line == 81
    assert api.attrs["startup_probe"] is True and api.evidence["startup_probe"].line == 56
    assert api.attrs["containers"][0]["limits"] == {"cpu": "2", "memory": "1Gi"}
    assert api.attrs["pod_annotations"] == {"sidecar.istio.io/inject": "true"}
    assert api.attrs["annotations"] == {"deployment.kubernetes.io/revision": "12"}
    assert api.attrs["service_account"] == "orders-api"


def test_single_replica_worker_without_probes_points_at_the_container() -> None:
    worker = node(shop("email-worker.yaml"), k8s("Deployment", "email-worker"))
    assert worker.attrs["replicas"] == 1 and worker.evidence["replicas"].line == 7
    assert worker.attrs["readiness_probe"] is False and worker.attrs["liveness_probe"] is False
    assert worker.attrs["requests_set"] is False and worker.attrs["limits_set"] is False
    assert worker.evidence["readiness_probe"].line == 17  # the container with no probe
    assert worker.evidence["resources"].line == 17
    assert worker.attrs["ports"] == []
    assert worker.attrs["volumes"][0] | {"line": 0} == {
        "name": "spool", "type": "hostPath", "source": "/mnt/email-spool", "mount_path": "/var/spool/email",
        "mount_paths": ["/var/spool/email"], "per_replica": False, "line": 0}


def test_redis_statefulset_is_a_cache_with_engine_and_max_connections() -> None:
    redis = node(shop("redis.yaml"), k8s("StatefulSet", "redis"))
    assert redis.kind == "cache"
    assert redis.attrs["engine"] == "redis" and redis.evidence["engine"].line == 31
    assert redis.attrs["max_connections"] == 4000 and redis.evidence["max_connections"].line == 32
    assert redis.attrs["replicas"] == 1  # StatefulSet default
    # the exporter sidecar has no probes, but a pod's readiness is its app containers': redis has one
    assert redis.attrs["readiness_probe"] is True
    assert [c["sidecar"] for c in redis.attrs["containers"]] == [False, True]
    claim = redis.attrs["volumes"][0]
    assert claim["type"] == "pvc" and claim["per_replica"] is True
    assert claim["mount_path"] == "/bitnami/redis/data" and claim["access_modes"] == ["ReadWriteOnce"]


def test_list_items_are_objects_located_at_their_items() -> None:
    facts = shop("catalog.yaml")
    catalog = node(facts, k8s("Deployment", "catalog"))
    assert catalog.attrs["replicas"] == 2 and catalog.evidence["replicas"].line == 11
    assert node(facts, k8s("Service", "catalog")).attrs["selector"] == {"app": "catalog"}


WORKLOADS = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: log-shipper
  namespace: logging
spec:
  template:
    metadata:
      labels: {app: log-shipper}
    spec:
      containers:
        - name: fluent-bit
          image: fluent/fluent-bit:2.2
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {job: nightly-report}
        spec:
          containers:
            - name: report
              image: registry.acme.io/report:1.0
              env:
                - name: DATABASE_URL
                  value: postgres://reports@reporting-db:5432/reports
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  labels: {app: debug}
spec:
  containers:
    - name: shell
      image: busybox
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: orders-db
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: postgres
          image: postgres:16-alpine
          command: ["postgres", "-c", "max_connections=200"]
"""


def test_other_workload_kinds_find_their_pod_templates() -> None:
    facts = parse_text(WORKLOADS)
    assert facts.diagnostics == ()
    daemonset = node(facts, node_id("kubernetes", "DaemonSet", "log-shipper", scope="logging"))
    assert daemonset.attrs["replicas"] is None and daemonset.attrs["pod_labels"] == {"app": "log-shipper"}
    cronjob = node(facts, node_id("kubernetes", "CronJob", "nightly-report", scope="default"))
    assert cronjob.kind == "service"
    assert cronjob.attrs["image"] == "registry.acme.io/report:1.0" and cronjob.evidence["image"].line == 29
    assert cronjob.attrs["pod_labels"] == {"job": "nightly-report"} and cronjob.attrs["schedule"] == "0 3 * * *"
    assert cronjob.attrs["env_keys"] == ["DATABASE_URL"]
    pod = node(facts, node_id("kubernetes", "Pod", "debug", scope="default"))
    assert pod.attrs["replicas"] == 1 and pod.attrs["pod_labels"] == {"app": "debug"}
    assert pod.attrs["readiness_probe"] is False
    db = node(facts, node_id("kubernetes", "StatefulSet", "orders-db", scope="default"))
    assert db.kind == "datastore" and db.attrs["engine"] == "postgres"
    assert db.attrs["max_connections"] == 200 and db.evidence["max_connections"].line == 55


@pytest.mark.parametrize(("image", "expected"), [
    ("postgres:16", ("postgres", "datastore")),
    ("docker.io/bitnami/postgresql:15.4.0", ("postgres", "datastore")),
    ("bitnami/postgresql-repmgr:15", ("postgres", "datastore")),
    ("mysql@sha256:0123abcd", ("mysql", "datastore")),
    ("mongo:7", ("mongodb", "datastore")),
    ("public.ecr.aws/docker/library/redis:7", ("redis", "cache")),
    ("memcached:1.6", ("memcached", "cache")),
    ("rabbitmq:3-management", ("rabbitmq", "queue")),
    ("confluentinc/cp-kafka:7.6.0", ("kafka", "queue")),
    ("docker.elastic.co/elasticsearch/elasticsearch:8.12.0", ("elasticsearch", "datastore")),
    ("edoburu/pgbouncer:1.21", ("pgbouncer", "proxy")),
    ("eventuateio/eventuate-kafka:0.3.0", ("kafka", "queue")),  # a vendor's packaging: <vendor>-<engine>
    ("eventuateio/eventuate-zookeeper:0.3.0", ("zookeeper", "datastore")),
    ("eventuateio/eventuate-mysql8:0.15.0", ("mysql", "datastore")),
    ("danielqsj/kafka-exporter:v1.7", None),
    ("oliver006/redis_exporter:v1.58", None),
    ("provectuslabs/kafka-ui:latest", None),
    ("registry.acme.io/shop/orders-api:4.2.0", None),
    ("", None),
])
def test_image_engines(image: str, expected: tuple[str, str] | None) -> None:
    from auditor.knowledge import image_engine

    assert image_engine(image) == expected


# -- traffic -----------------------------------------------------------------------------------------------


def test_service_selector_ports_and_session_affinity_line() -> None:
    cart = node(shop("cart.yaml"), k8s("Service", "cart"))
    assert cart.attrs["type"] == "ClusterIP"
    assert cart.attrs["selector"] == {"app": "cart"} and cart.evidence["selector"].line == 38
    assert cart.attrs["session_affinity"] == "ClientIP" and cart.evidence["session_affinity"].line == 40
    assert cart.attrs["ports"] == [8081]
    assert cart.attrs["headless"] is False
    redis = node(shop("redis.yaml"), k8s("Service", "redis"))
    assert redis.attrs["headless"] is True and redis.evidence["headless"].line == 7
    assert redis.attrs["session_affinity"] is None
    # Services are matched to workloads by the graph stage, never by name here
    assert edges(shop("cart.yaml"), k8s("Service", "cart")) == []


def test_ingress_class_tls_sticky_cookie_and_routes() -> None:
    facts = shop("storefront.yaml")
    ingress = node(facts, k8s("Ingress", "shop"))
    assert ingress.attrs["ingress_class"] == "nginx" and ingress.evidence["ingress_class"].line == 91
    assert ingress.attrs["tls"] is True and ingress.attrs["tls_hosts"] == ["shop.example.com"]
    assert ingress.attrs["session_affinity"] == "cookie" and ingress.evidence["session_affinity"].line == 88
    assert ingress.attrs["annotations"]["nginx.ingress.kubernetes.io/session-cookie-name"] == "SHOPSESSION"
    routes = {(e.target, e.location.line, e.attrs["path"], e.attrs["port"])
              for e in edges(facts, ingress.id, "routes_to")}
    assert routes == {
        (k8s("Service", "storefront"), 103, "/", 80),
        (k8s("Service", "orders-api"), 110, "/api/orders", "http"),
    }


def test_old_ingress_forms_default_backend_and_external_name() -> None:
    facts = parse_text("""
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata:
          name: legacy
          annotations:
            kubernetes.io/ingress.class: traefik
            traefik.ingress.kubernetes.io/affinity: "true"
        spec:
          backend:
            serviceName: fallback
            servicePort: 80
          rules:
            - http:
                paths:
                  - path: /api
                    backend:
                      serviceName: api
                      servicePort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: billing
        spec:
          type: ExternalName
          externalName: billing.partner.example.net
        """)
    ingress = node(facts, node_id("kubernetes", "Ingress", "legacy", scope="default"))
    assert ingress.attrs["ingress_class"] == "traefik" and ingress.evidence["ingress_class"].line == 6
    assert ingress.attrs["session_affinity"] == "cookie"
    assert {(e.target, e.location.line) for e in edges(facts, ingress.id, "routes_to")} == {
        (node_id("kubernetes", "Service", "fallback", scope="default"), 10),
        (node_id("kubernetes", "Service", "api", scope="default"), 17),
    }
    billing = node_id("kubernetes", "Service", "billing", scope="default")
    assert [(e.target, e.kind, e.location.line) for e in edges(facts, billing)] == [
        (host_ref("billing.partner.example.net"), "routes_to", 26)]


def test_gateway_api_http_route_routes_to_services() -> None:
    facts = parse_text("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: store
          namespace: web
        spec:
          parentRefs:
            - name: public
          rules:
            - backendRefs:
                - name: storefront
                  port: 80
              timeouts:
                request: 10s
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: public
          namespace: web
        spec:
          gatewayClassName: istio
          listeners:
            - name: https
              port: 443
              protocol: HTTPS
              tls:
                certificateRefs: [{name: web-tls}]
        """)
    route = node(facts, node_id("kubernetes", "HTTPRoute", "store", scope="web"))
    assert route.kind == "load_balancer" and route.attrs["routes"][0]["timeout"] == "10s"
    assert [(e.target, e.location.line) for e in edges(facts, route.id, "routes_to")] == [
        (node_id("kubernetes", "Service", "storefront", scope="web"), 11)]
    gateway = node(facts, node_id("kubernetes", "Gateway", "public", scope="web"))
    assert gateway.kind == "gateway" and gateway.attrs["tls"] is True


# -- scaling and disruption --------------------------------------------------------------------------------


def test_hpa_v2_and_pdb() -> None:
    facts = shop("orders-api-scaling.yaml")
    hpa = node(facts, k8s("HorizontalPodAutoscaler", "orders-api"))
    assert hpa.attrs["min_replicas"] == 2 and hpa.attrs["max_replicas"] == 12
    assert hpa.attrs["metrics"] == ["cpu"] and hpa.attrs["target_cpu"] == 70
    assert evidence_lines(hpa).items() >= {"min_replicas": 11, "max_replicas": 12, "metrics": 13}.items()
    assert [(e.target, e.location.line) for e in edges(facts, hpa.id, "scales")] == [
        (k8s("Deployment", "orders-api"), 7)]
    pdb = node(facts, k8s("PodDisruptionBudget", "orders-api"))
    assert pdb.attrs["min_available"] == 1 and pdb.attrs["max_unavailable"] is None
    assert pdb.attrs["selector"] == {"app": "orders-api"} and pdb.evidence["selector"].line == 28
    assert pdb.evidence["min_available"].line == 27
    assert edges(facts, pdb.id) == []


def test_hpa_v1_defaults_and_keda_scaled_object() -> None:
    facts = parse_text("""
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata:
          name: web
        spec:
          scaleTargetRef:
            kind: StatefulSet
            name: web
          maxReplicas: 5
          targetCPUUtilizationPercentage: 60
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata:
          name: email-worker
          namespace: shop
        spec:
          scaleTargetRef:
            name: email-worker
          maxReplicaCount: 20
          triggers:
            - type: rabbitmq
              metadata: {queueName: emails}
            - type: cpu
              metadata: {value: "60"}
        """)
    hpa = node(facts, node_id("kubernetes", "HorizontalPodAutoscaler", "web", scope="default"))
    assert [hpa.attrs[k] for k in ("min_replicas", "max_replicas", "metrics", "target_cpu")] == [1, 5, ["cpu"], 60]
    assert hpa.evidence["target_cpu"].line == 10
    assert [e.target for e in edges(facts, hpa.id, "scales")] == [
        node_id("kubernetes", "StatefulSet", "web", scope="default")]
    keda = node(facts, k8s("ScaledObject", "email-worker"))
    assert keda.kind == "autoscaler"
    assert [keda.attrs[k] for k in ("min_replicas", "max_replicas", "triggers", "metrics")] == [
        0, 20, ["rabbitmq", "cpu"], ["external", "cpu"]]
    assert [(e.target, e.location.line) for e in edges(facts, keda.id, "scales")] == [
        (k8s("Deployment", "email-worker"), 18)]


# -- configuration edges and links -------------------------------------------------------------------------


def test_config_map_and_secret_references_configure_the_workload() -> None:
    facts = shop("orders-api.yaml")
    api = k8s("Deployment", "orders-api")
    configures = {(e.source, e.location.line, e.attrs["via"]) for e in facts.edges
                  if e.kind == "configures" and e.target == api}
    assert configures == {
        (k8s("Secret", "orders-db-credentials"), 38, "env"),
        (k8s("ConfigMap", "shop-flags"), 43, "env"),
        (k8s("ConfigMap", "orders-api-env"), 47, "envFrom"),
        (k8s("ConfigMap", "orders-api-config"), 77, "volume"),
        (k8s("Secret", "orders-db-credentials"), 80, "volume"),
    }
    volumes = {v["name"]: (v["type"], v["source"], v["mount_path"]) for v in node(facts, api).attrs["volumes"]}
    assert volumes == {"config": ("configMap", "orders-api-config", "/workspace/config"),
                       "db-tls": ("secret", "orders-db-credentials", "/etc/db-tls")}


def test_a_volume_with_items_names_the_keys_it_mounts() -> None:
    facts = parse_text("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: gateway, namespace: shop}
        spec:
          template:
            spec:
              containers:
                - name: nginx
                  image: nginx:1.27
              volumes:
                - name: conf
                  configMap:
                    name: gateway-files
                    items:
                      - {key: nginx.conf, path: nginx.conf}
                      - {key: mime.types, path: mime.types}
                - name: certs
                  projected:
                    sources:
                      - secret: {name: gateway-tls, items: [{key: tls.crt, path: tls.crt}]}
                      - configMap: {name: gateway-ca}
    """)
    gateway = k8s("Deployment", "gateway")
    assert {e.source: e.attrs.get("keys") for e in facts.edges if e.kind == "configures" and e.target == gateway} == {
        k8s("ConfigMap", "gateway-files"): ["nginx.conf", "mime.types"],
        k8s("Secret", "gateway-tls"): ["tls.crt"],
        k8s("ConfigMap", "gateway-ca"): None,  # no items: every key becomes a file
    }


def test_known_addresses_keep_their_purpose_on_the_edge() -> None:
    facts = parse_text("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: basket, namespace: shop}
        spec:
          template:
            spec:
              containers:
                - name: basket
                  image: ghcr.io/acme/basket:1.0
                  env:
                    - {name: IdentityUrl, value: "http://identity-api"}
                    - {name: CATALOG_ADDR, value: "catalog:5001"}
    """)
    basket = k8s("Deployment", "basket")
    assert {(e.target, e.kind, e.attrs.get("purpose")) for e in edges(facts, basket)} == {
        (host_ref("identity-api"), "knows_address", "identity"),
        (host_ref("catalog"), "knows_address", "address"),
    }


def test_env_values_become_links_from_the_workload() -> None:
    facts = shop("orders-api.yaml")
    api = k8s("Deployment", "orders-api")
    links = [e for e in edges(facts, api) if e.target.startswith("host:")]
    assert [(e.target, e.kind, e.location.line, e.attrs["key"], e.attrs["target_kind"]) for e in links] == [
        (host_ref("redis.shop.svc.cluster.local"), "connects_to", 33, "REDIS_URL", "cache")]
    assert links[0].attrs["scheme"] == "redis" and links[0].attrs["port"] == 6379
    storefront = {e.attrs["key"]: (e.target, e.location.line)
                  for e in edges(shop("storefront.yaml"), k8s("Deployment", "storefront"))}
    assert storefront == {
        "ORDERS_API_URL": (host_ref("orders-api.shop.svc.cluster.local"), 34),
        "CART_URL": (host_ref("cart"), 36),
    }


def test_embedded_application_yml_settings_and_links_point_inside_the_manifest() -> None:
    facts = shop("orders-api-config.yaml")
    config = node(facts, k8s("ConfigMap", "orders-api-config"))
    assert config.attrs["keys"] == ["application.yml", "LOG_LEVEL"]
    assert config.attrs["files"] == ["application.yml"]
    assert config.evidence["data.application.yml"].line == 7
    links = edges(facts, config.id, "connects_to")
    assert [(e.target, e.location.line, e.attrs["key"]) for e in links] == [
        (host_ref("orders-db.c8xk2lq9.eu-west-1.rds.amazonaws.com"), 12, "spring.datasource.url")]
    assert links[0].attrs["target_kind"] == "datastore"
    by_key = {s.key: s for s in config.settings}
    pool = by_key["spring.datasource.hikari.maximum-pool-size"]
    assert pool.topic == "pool" and pool.location.path == "k8s/orders-api-config.yaml"
    assert pool.location.line == 15
    assert by_key["spring.session.store-type"].topic == "session_store"
    assert by_key["spring.session.store-type"].location.line == 17
    env = node(facts, k8s("ConfigMap", "orders-api-env"))
    assert {(e.target, e.location.line) for e in edges(facts, env.id) if e.target.startswith("host:")} >= {
        (host_ref("payments.internal.acme.io"), 31)}


def test_istio_destination_rule_and_virtual_service() -> None:
    facts = shop("istio.yaml")
    rule = node(facts, k8s("DestinationRule", "orders-api"))
    assert rule.attrs["host"] == "orders-api.shop.svc.cluster.local"
    assert rule.attrs["outlier_detection"] is True and rule.evidence["outlier_detection"].line == 13
    assert rule.attrs["connection_pool"] is True and rule.evidence["connection_pool"].line == 9
    assert [(s["name"], s["connection_pool"], s["outlier_detection"]) for s in rule.attrs["subsets"]] == [
        ("v1", False, False), ("v2", True, False)]
    assert [(e.target, e.kind, e.location.line) for e in edges(facts, rule.id)] == [
        (host_ref("orders-api.shop.svc.cluster.local"), "configures", 7)]
    vs = node(facts, k8s("VirtualService", "orders-api"))
    assert vs.attrs["hosts"] == ["orders-api"] and vs.attrs["gateways"] == []
    checkout, default = vs.attrs["routes"]
    assert checkout["timeout"] == "5s" and checkout["retries"] == {
        "attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,connect-failure"}
    assert default["timeout"] is None and default["retries"] is None
    assert vs.attrs["timeouts_set"] is False and vs.evidence["timeout"].line == 51
    assert [(e.target, e.kind, e.location.line) for e in edges(facts, vs.id)] == [
        (host_ref("orders-api"), "configures", 36)]


# -- secrets -----------------------------------------------------------------------------------------------


SECRET_VALUES = ("czNjcjN0LVBhc3N3MHJkIQ==", "s3cr3t-Passw0rd!", "b3JkZXJz", "Sup3rS3cretPw",
                 "MIIBszCCAVmgAwIBAgIU", "BEGIN CERTIFICATE")


def test_secret_keeps_key_names_only() -> None:
    facts = shop("secrets.yaml")
    secret = node(facts, k8s("Secret", "orders-db-credentials"))
    assert secret.attrs["keys"] == ["username", "password", "DATABASE_URL", "ca.crt"]
    assert secret.attrs["secret_type"] == "Opaque"
    assert secret.settings == ()
    # the one thing a URL-valued key may give away is the host it connects to
    assert [(e.target, e.location.line, e.attrs["key"]) for e in edges(facts, secret.id)] == [
        (host_ref("orders-db.c8xk2lq9.eu-west-1.rds.amazonaws.com"), 11, "DATABASE_URL")]
    everything = repr((facts.nodes, [n.attrs for n in facts.nodes], [n.settings for n in facts.nodes],
                       facts.edges, [e.attrs for e in facts.edges], facts.diagnostics, facts.extra))
    for value in SECRET_VALUES:
        assert value not in everything


def test_no_secret_value_anywhere_in_the_fixture() -> None:
    for name in ALL_FILES:
        facts = shop(name)
        everything = repr((facts.nodes, [n.attrs for n in facts.nodes], [n.settings for n in facts.nodes],
                           facts.edges, [e.attrs for e in facts.edges], facts.diagnostics))
        for value in SECRET_VALUES:
            assert value not in everything, (name, value)


# -- bad input ---------------------------------------------------------------------------------------------


def test_malformed_document_gives_a_diagnostic_and_keeps_earlier_documents() -> None:
    facts = parse_text("""
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          selector: {app: api}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          replicas: [1
          template: {}
        """)
    assert [n.id for n in facts.nodes] == [node_id("kubernetes", "Service", "api", scope="default")]
    assert len(facts.diagnostics) == 1
    diagnostic = facts.diagnostics[0]
    assert diagnostic.code == "parse-error" and diagnostic.line == 14 and diagnostic.path == "deploy/app.yaml"


def test_odd_values_never_crash() -> None:
    facts = parse_text("""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: odd
          labels: [a, b]
          annotations: null
        spec:
          replicas: "{{ replicas }}"
          template:
            metadata: []
            spec:
              containers:
                - "not a container"
                - name: app
                  image: {nested: true}
                  ports: 8080
                  env: {NAME: value}
                  envFrom: [null, {configMapRef: null}]
                  resources: {requests: [], limits: "1"}
                  readinessProbe: null
                  command: 42
              volumes: [{name: x}, null, {name: y, configMap: "oops"}]
              affinity: "nope"
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: odd}
        spec: null
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: odd}
        spec: {rules: [{http: {paths: [{backend: null}, {backend: {service: "x"}}]}}], tls: true}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: odd}
        spec: {scaleTargetRef: [], metrics: [{type: Resource, resource: null}], minReplicas: "two"}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: odd}
        data: [1, 2]
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: odd}
        data: {token: "!!!not-base64", blob: null}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata: {name: odd}
        spec: {hosts: "single", http: [{route: "x", retries: 3}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: nameless}
        ---
        just a string
        ---
        - a list document
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: "istio-injection=enabled"}
        ---
        apiVersion: v1
        kind: LimitRange
        metadata: {name: odd}
        spec: {limits: [null, {type: Container, default: "1", defaultRequest: {cpu: [1]}}]}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: odd}
        spec: {selector: [], namespaceSelector: {any: "yes", matchNames: null}, endpoints: {port: web}}
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: PodMonitor
        metadata: {name: odd}
        spec: {selector: {matchExpressions: [null, {key: app}]}, podMetricsEndpoints: [null]}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: odd}
        spec: {triggers: [{type: cpu, metadata: "x", metricType: 70}, {type: memory}]}
        ---
        kind: Deployment
        metadata: {name: no-api-version}
        """)
    assert {n.type for n in facts.nodes} == {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
                                             "ConfigMap", "Secret", "VirtualService", "Namespace", "LimitRange",
                                             "ServiceMonitor", "PodMonitor", "ScaledObject"}
    assert node(facts, "kubernetes:Namespace:shop").attrs["mesh"] is None
    assert node(facts, k8s("LimitRange", "odd", "default")).attrs["default"] == {"cpu": None, "memory": None}
    monitor = node(facts, k8s("ServiceMonitor", "odd", "default"))
    assert [monitor.attrs[k] for k in ("selector", "namespaces", "endpoints")] == [None, None, []]
    pod_monitor = node(facts, k8s("PodMonitor", "odd", "default"))
    assert pod_monitor.attrs["selector"] == {}
    assert pod_monitor.attrs["selector_expressions"] == [{"key": "app", "operator": None, "values": [], "line": 80}]
    assert [t["target_type"] for t in node(facts, k8s("ScaledObject", "odd", "default")).attrs["metric_targets"]] \
        == [None, None]
    assert [(d.code, d.line) for d in facts.diagnostics] == [("parse-error", 55)]  # the nameless Service
    odd = node(facts, node_id("kubernetes", "Deployment", "odd", scope="default"))
    assert odd.attrs["replicas"] is None
    assert [c["name"] for c in odd.attrs["containers"]] == ["app"]
    assert odd.attrs["readiness_probe"] is False and odd.attrs["labels"] == {}
    assert {v["name"]: v["type"] for v in odd.attrs["volumes"]} == {"x": "", "y": "configMap"}


def test_namespace_defaults_and_duplicates_are_reported() -> None:
    facts = parse_text("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {LOG_LEVEL: debug}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {LOG_LEVEL: info}
        """)
    assert [n.id for n in facts.nodes] == [node_id("kubernetes", "ConfigMap", "settings", scope="default")] * 2
    assert [(d.code, d.line, d.level) for d in facts.diagnostics] == [("duplicate", 6, "warning")]


def test_empty_and_non_kubernetes_text() -> None:
    assert kubernetes.parse("a.yaml", "") == kubernetes.parse("a.yaml", "# nothing\n")
    facts = kubernetes.parse("compose.yaml", "services:\n  web:\n    image: nginx\n")
    assert facts.nodes == () and facts.edges == () and facts.diagnostics == ()


def test_config_files_in_data_keys_are_read_with_their_own_format() -> None:
    facts = parse_text("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: orders-db-config
        data:
          postgresql.conf: |
            shared_buffers = 1GB
            max_connections = 300
          gateway.yaml: |
            upstream:
              url: http://inventory:8080
          quoted.properties: "a=1\\nb=2"
        """)
    config = node(facts, node_id("kubernetes", "ConfigMap", "orders-db-config", scope="default"))
    assert config.attrs["files"] == ["postgresql.conf", "gateway.yaml", "quoted.properties"]
    assert [(s.topic, s.value, s.location.line) for s in config.settings if s.topic == "db_max_connections"] == [
        ("db_max_connections", 300, 8)]
    assert [(e.target, e.kind, e.location.line) for e in edges(facts, config.id)] == [
        (host_ref("inventory"), "calls", 11)]
    assert facts.diagnostics == ()


def test_gateway_bound_virtual_service_configures_its_destinations_only() -> None:
    facts = parse_text("""
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata:
          name: public
          namespace: edge
        spec:
          hosts: ["shop.example.com"]
          gateways: ["istio-system/public-gateway"]
          http:
            - route:
                - destination:
                    host: storefront.shop.svc.cluster.local
              timeout: 15s
        """)
    vs = node(facts, node_id("kubernetes", "VirtualService", "public", scope="edge"))
    assert vs.attrs["timeouts_set"] is True and vs.evidence["timeout"].line == 13
    assert vs.attrs["retries_set"] is False
    assert [(e.target, e.location.line, e.attrs["via"]) for e in edges(facts, vs.id)] == [
        (host_ref("storefront.shop.svc.cluster.local"), 12, "destination")]


def test_argo_rollout_is_a_workload_and_foreign_services_are_not_core_services() -> None:
    facts = parse_text("""
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata:
          name: checkout
        spec:
          replicas: 4
          strategy:
            canary:
              steps: [{setWeight: 20}]
          template:
            metadata:
              labels: {app: checkout}
            spec:
              containers:
                - name: checkout
                  image: registry.acme.io/checkout:5.0
        ---
        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata:
          name: thumbnails
        spec:
          template:
            spec:
              containers:
                - image: registry.acme.io/thumbnails:1.0
        """)
    assert [n.id for n in facts.nodes] == [node_id("kubernetes", "Rollout", "checkout", scope="default")]
    rollout = facts.nodes[0]
    assert rollout.kind == "service" and rollout.attrs["replicas"] == 4 and rollout.attrs["strategy"] == "canary"
    assert rollout.attrs["pod_labels"] == {"app": "checkout"} and rollout.evidence["strategy"].line == 7


def test_rate_limit_and_mesh_policy_objects() -> None:
    from auditor.parsers.kubernetes import parse as parse_manifest

    text = """\
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: voting.emojivoto.svc.cluster.local, namespace: emojivoto}
spec:
  routes:
    - name: vote
      timeout: 300ms
  retryBudget: {retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: per-client, namespace: shop}
spec:
  rateLimit: {average: 50}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rl, namespace: shop}
plugin: rate-limiting
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: rl, namespace: istio-system}
spec:
  configPatches:
    - applyTo: HTTP_FILTER
      patch:
        operation: INSERT_BEFORE
        value:
          name: envoy.filters.http.local_ratelimit
"""
    facts = parse_manifest("k8s/policies.yaml", text)
    by_type = {node.type: node for node in facts.nodes}
    assert by_type["ServiceProfile"].attrs["timeouts_set"] and by_type["ServiceProfile"].attrs["retry_budget"]
    assert by_type["Middleware"].attrs["rate_limit"]
    assert by_type["KongPlugin"].attrs["rate_limit"]
    assert by_type["EnvoyFilter"].attrs["rate_limit"]
    assert by_type["EnvoyFilter"].evidence["rate_limit"].line == 30
    assert any(e.kind == "configures" and e.target == "host:voting.emojivoto.svc.cluster.local" for e in facts.edges)


def test_service_monitor_and_pod_monitor_selectors_and_namespaces() -> None:
    facts = parse_text("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: orders
          namespace: monitoring
        spec:
          selector:
            matchLabels:
              app: orders
            matchExpressions:
              - {key: tier, operator: In, values: [api, web]}
          namespaceSelector:
            matchNames: [shop, shop-canary]
          endpoints:
            - port: http
              path: /actuator/prometheus
              interval: 30s
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: PodMonitor
        metadata:
          name: workers
          namespace: shop
        spec:
          selector: {}
          namespaceSelector:
            any: true
          podMetricsEndpoints:
            - port: metrics
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: local, namespace: shop}
        spec:
          selector:
            matchLabels: {app: billing}
          endpoints: [{port: http}]
        ---
        apiVersion: example.com/v1
        kind: ServiceMonitor
        metadata: {name: foreign}
        spec: {}
        """)
    orders = node(facts, k8s("ServiceMonitor", "orders", "monitoring"))
    assert orders.kind == "policy" and orders.location.line == 1
    assert orders.attrs["selector"] == {"app": "orders"}
    assert orders.attrs["selector_expressions"] == [{"key": "tier", "operator": "In", "values": ["api", "web"],
                                                     "line": 11}]
    assert orders.attrs["namespaces"] == ["shop", "shop-canary"]
    assert orders.attrs["endpoints"] == [{"port": "http", "path": "/actuator/prometheus", "interval": "30s",
                                          "line": 15}]
    assert evidence_lines(orders).items() >= {"selector": 7, "namespaces": 12, "endpoints": 14}.items()
    workers = node(facts, k8s("PodMonitor", "workers"))
    assert [workers.attrs[k] for k in ("selector", "selector_expressions", "namespaces")] == [{}, [], "any"]
    assert evidence_lines(workers).items() >= {"selector": 25, "namespaces": 26, "endpoints": 28}.items()
    assert node(facts, k8s("ServiceMonitor", "local")).attrs["namespaces"] is None
    assert {n.name for n in facts.nodes} == {"orders", "workers", "local"}  # other API groups are not read


def test_limit_range_defaults_for_containers() -> None:
    facts = parse_text("""
        apiVersion: v1
        kind: LimitRange
        metadata:
          name: defaults
          namespace: shop
        spec:
          limits:
            - type: Pod
              max: {cpu: "4", memory: 8Gi}
            - type: Container
              default:
                memory: 512Mi
              defaultRequest:
                cpu: 100m
                memory: 256Mi
              max: {memory: 2Gi}
        """)
    limits = node(facts, k8s("LimitRange", "defaults"))
    assert limits.kind == "policy" and limits.type == "LimitRange"
    assert limits.attrs["default"] == {"cpu": None, "memory": "512Mi"}
    assert limits.attrs["default_request"] == {"cpu": "100m", "memory": "256Mi"}
    assert evidence_lines(limits).items() >= {"default": 11, "default_request": 13}.items()


def test_namespace_mesh_injection_labels_and_annotations() -> None:
    facts = parse_text("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels:
            team: checkout
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: canary
          labels:
            istio.io/rev: 1-22-3
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: payments
          annotations:
            linkerd.io/inject: enabled
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: batch
          namespace: ignored
          labels:
            istio-injection: disabled
            istio.io/rev: 1-22-3
        """)
    by_name = {n.name: n for n in facts.nodes}
    assert {n.id for n in facts.nodes} == {f"kubernetes:Namespace:{name}" for name in by_name}
    assert {n.kind for n in facts.nodes} == {"config"}
    assert {name: (n.attrs["mesh"], n.evidence["mesh"].line) for name, n in by_name.items()} == {
        "shop": ("Istio", 7), "canary": ("Istio", 14), "payments": ("Linkerd", 21), "batch": (None, 28)}
    assert by_name["shop"].attrs["namespace"] == "shop" and by_name["batch"].attrs["namespace"] == "batch"
    assert by_name["shop"].attrs["labels"] == {"team": "checkout", "istio-injection": "enabled"}


def test_hpa_metric_targets_per_metric_and_keda_resource_triggers() -> None:
    facts = parse_text("""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api, namespace: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
          maxReplicas: 10
          metrics:
            - type: Resource
              resource:
                name: cpu
                target: {type: AverageValue, averageValue: 500m}
            - type: Resource
              resource:
                name: memory
                target: {type: Utilization, averageUtilization: 80}
            - type: ContainerResource
              containerResource:
                name: cpu
                container: app
                target: {type: Utilization, averageUtilization: 60}
            - type: Pods
              pods:
                metric: {name: requests_per_second}
                target: {type: AverageValue, averageValue: "100"}
        ---
        apiVersion: autoscaling/v2beta1
        kind: HorizontalPodAutoscaler
        metadata: {name: legacy, namespace: shop}
        spec:
          scaleTargetRef: {kind: Deployment, name: legacy}
          maxReplicas: 4
          metrics:
            - type: Resource
              resource: {name: memory, targetAverageValue: 300Mi}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: bare, namespace: shop}
        spec:
          scaleTargetRef: {kind: Deployment, name: bare}
          maxReplicas: 4
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: worker, namespace: shop}
        spec:
          scaleTargetRef: {name: worker}
          triggers:
            - type: cpu
              metricType: Utilization
              metadata: {value: "60", containerName: worker}
            - type: memory
              metadata: {type: AverageValue, value: 512Mi}
            - type: rabbitmq
              metadata: {queueName: jobs}
        """)
    api = node(facts, k8s("HorizontalPodAutoscaler", "api"))
    assert api.attrs["metric_targets"] == [
        {"type": "Resource", "name": "cpu", "target_type": "AverageValue", "container": None, "line": 8},
        {"type": "Resource", "name": "memory", "target_type": "Utilization", "container": None, "line": 12},
        {"type": "ContainerResource", "name": "cpu", "target_type": "Utilization", "container": "app", "line": 16},
    ]
    assert api.attrs["target_cpu"] == 60  # the AverageValue target is not a utilisation percentage
    assert api.attrs["metrics"] == ["cpu", "memory", "cpu", "pods"]
    legacy = node(facts, k8s("HorizontalPodAutoscaler", "legacy"))
    assert legacy.attrs["metric_targets"] == [
        {"type": "Resource", "name": "memory", "target_type": "AverageValue", "container": None, "line": 33}]
    bare = node(facts, k8s("HorizontalPodAutoscaler", "bare"))
    assert bare.attrs["metric_targets"] == [{"type": "Resource", "name": "cpu", "target_type": "Utilization",
                                             "container": None, "line": 39, "default": True}]
    worker = node(facts, k8s("ScaledObject", "worker"))
    assert worker.attrs["metric_targets"] == [
        {"type": "ContainerResource", "name": "cpu", "target_type": "Utilization", "container": "worker",
         "line": 49},
        {"type": "Resource", "name": "memory", "target_type": "AverageValue", "container": None, "line": 52},
    ]


def test_hpa_v1_target_is_a_cpu_utilisation_metric_target() -> None:
    facts = parse_text("""
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          maxReplicas: 5
          targetCPUUtilizationPercentage: 75
        """)
    hpa = node(facts, k8s("HorizontalPodAutoscaler", "web", "default"))
    assert hpa.attrs["metric_targets"] == [
        {"type": "Resource", "name": "cpu", "target_type": "Utilization", "container": None, "line": 7}]


def test_custom_resource_definitions_are_not_converted_and_other_lines_keep_their_numbers() -> None:
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x.example.com}\n"
           "spec:\n  versions:\n    - name: v1\n      schema: {openAPIV3Schema: {type: object}}\n")
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
                  "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
                  "    spec:\n      containers: [{name: web, image: web:1}]\n")
    facts = kubernetes.parse("k8s/all.yaml", crd + "---\n" + deployment)
    [node] = facts.nodes
    assert node.type == "Deployment" and node.location.line == 9 and node.evidence["replicas"].line == 13
    assert [(d.code, d.level, d.line) for d in facts.diagnostics] == [("unsupported", "note", 1)]


@pytest.mark.parametrize(("max_unavailable", "blocks"), [
    ('"0%"', True), ('"²%"', False), ('"' + "9" * 5000 + '%"', False)])
def test_a_percentage_that_is_no_number_is_no_verdict_and_no_rule_error(
        tmp_path: Path, max_unavailable: str, blocks: bool) -> None:
    # `"²%"` passes str.isdigit but not int(), and int() refuses 5,000 digits: AVAIL008 failed with a rule-error.
    from conftest import write_repo

    from auditor.audit import audit

    root = write_repo(tmp_path, {"k8s/web.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web}}
spec:
  maxUnavailable: {max_unavailable}
  selector: {{matchLabels: {{app: web}}}}
"""})
    result = audit(root)
    assert not [d for d in result.diagnostics if d.code in ("rule-error", "internal-error")], result.diagnostics
    assert any(f.rule_id == "AVAIL008" for f in result.findings) == blocks
