"""The graph: cross-format edges with their evidence lines, host resolution, exports, determinism."""

from __future__ import annotations

import json
import random

import pytest
from conftest import FIXTURES

from auditor.graph.build import build_graph
from auditor.graph.export import to_dot, to_json, to_mermaid
from auditor.graph.resolve import HostIndex
from auditor.model import Location, Node, node_id
from auditor.scan import scan


def _edges(repo: str) -> set[tuple[str, str, str, str, int]]:
    graph = scan(FIXTURES / repo).graph
    return {(e.source, e.kind, e.target, e.location.path, e.location.line) for _, _, e in graph.edges(data="edge")}


def test_compose_env_urls_and_app_config_cross_formats() -> None:
    edges = _edges("mixed-compose-microservices")
    compose = "compose:service:."
    assert {
        # env var URL in compose → the compose service it names
        (f"{compose}/storefront", "calls", f"{compose}/catalog", "docker-compose.yml", 23),
        (f"{compose}/orders-api", "calls", f"{compose}/payments", "docker-compose.yml", 64),
        (f"{compose}/payments", "calls", f"{compose}/orders-api", "docker-compose.yml", 71),
        # Spring application.yml under the service's build context → lifted onto the compose service
        (f"{compose}/catalog", "connects_to", f"{compose}/postgres",
         "services/catalog/src/main/resources/application.yml", 8),
        # env_file → the .env it names, and its DATABASE_URL lifted onto the service
        ("appconfig:config:services/orders/.env", "configures", f"{compose}/orders-api", "docker-compose.yml", 61),
        (f"{compose}/orders-api", "connects_to", f"{compose}/postgres", "services/orders/.env", 2),
        # a bind-mounted nginx.conf configures the gateway, and its upstreams become the gateway's calls
        ("appconfig:config:gateway/nginx.conf", "configures", f"{compose}/gateway", "docker-compose.yml", 14),
        (f"{compose}/gateway", "calls", f"{compose}/storefront", "gateway/nginx.conf", 9),
        # depends_on in map form
        (f"{compose}/storefront", "depends_on", f"{compose}/postgres", "docker-compose.yml", 37),
    } <= edges


def test_kubernetes_config_reaches_terraform_database_through_route53() -> None:
    edges = _edges("mixed-eks-spring")
    rds = "terraform:aws_db_instance:terraform/orders"
    assert {
        # a jdbc URL in a ConfigMap's embedded application.yml → the RDS instance behind a Route 53 name
        ("kubernetes:ConfigMap:shop/orders-config", "connects_to", rds, "k8s/orders-config.yaml", 12),
        # the ConfigMap is mounted by the Deployment, which therefore connects to the database
        ("kubernetes:ConfigMap:shop/orders-config", "configures", "kubernetes:Deployment:shop/orders",
         "k8s/orders.yaml", 45),
        ("kubernetes:Deployment:shop/orders", "connects_to", rds, "k8s/orders-config.yaml", 12),
        # svc.ns.svc.cluster.local form, resolved through the Service to the workload it selects
        ("kubernetes:Deployment:shop/orders", "calls", "kubernetes:Deployment:shop/inventory", "k8s/orders.yaml", 26),
        ("kubernetes:Service:shop/orders", "routes_to", "kubernetes:Deployment:shop/orders", "k8s/orders.yaml", 53),
        ("kubernetes:Ingress:shop/shop", "routes_to", "kubernetes:Service:shop/orders", "k8s/ingress.yaml", 20),
        ("kubernetes:HorizontalPodAutoscaler:shop/orders", "scales", "kubernetes:Deployment:shop/orders",
         "k8s/orders.yaml", 65),
    } <= edges


def test_kubernetes_names_and_app_source_dirs() -> None:
    edges = _edges("mixed-k8s-python-istio")
    api = "kubernetes:Deployment:media/api"
    assert {
        (api, "connects_to", "kubernetes:StatefulSet:data/postgres", "deploy/base/api.yaml", 32),  # svc.ns.svc...
        (api, "connects_to", "kubernetes:Deployment:media/redis", "deploy/base/api.yaml", 34),  # svc.ns.svc
        ("kubernetes:Deployment:media/web", "calls", api, "deploy/base/web.yaml", 22),  # svc.ns
        (api, "calls", "kubernetes:Deployment:media/thumbnailer", "deploy/base/api.yaml", 36),  # bare name
        ("appconfig:config:services/api/config/settings.py", "configures", api, "services/api/config/settings.py", 1),
        ("kubernetes:PodDisruptionBudget:media/api", "protects", api, "deploy/base/api.yaml", 75),
    } <= edges


def test_unresolved_hosts_become_external_nodes() -> None:
    graph = scan(FIXTURES / "mixed-compose-microservices").graph
    stripe = graph.nodes["external:host:api.stripe.com"]["node"]
    assert stripe.kind == "external"
    assert stripe.attrs["host"] == "api.stripe.com"


def _service(name: str, source: str, scope: str) -> Node:
    type_ = "service" if source == "compose" else "Service"
    return Node(node_id(source, type_, name, scope), "service" if source == "compose" else "load_balancer", name,
                source, type_, Location("f.yaml", 1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api", "kubernetes:Service:shop/api"),
        ("api.shop", "kubernetes:Service:shop/api"),
        ("api.shop.svc", "kubernetes:Service:shop/api"),
        ("api.shop.svc.cluster.local", "kubernetes:Service:shop/api"),
        ("api.other", "kubernetes:Service:other/api"),
        ("api.nowhere", None),
        ("db", "compose:service:stack/db"),
    ],
)
def test_host_forms(host: str, expected: str | None) -> None:
    index = HostIndex()
    for node in (_service("api", "kubernetes", "shop"), _service("api", "kubernetes", "other"),
                 _service("db", "compose", "stack")):
        index.add(node)
    caller = Node("kubernetes:Deployment:shop/web", "service", "web", "kubernetes", "Deployment", Location("f", 1))
    assert index.resolve(host, caller) == expected


def test_nearest_compose_project_wins() -> None:
    index = HostIndex()
    index.add(_service("db", "compose", "a"))
    index.add(_service("db", "compose", "b"))
    caller = Node("compose:service:b/api", "service", "api", "compose", "service", Location("b/c.yml", 1))
    assert index.resolve("db", caller) == "compose:service:b/db"


def test_graph_does_not_depend_on_file_order() -> None:
    facts = scan(FIXTURES / "mixed-compose-microservices").facts
    shuffled = list(facts)
    random.Random(7).shuffle(shuffled)
    assert to_json(build_graph(facts)) == to_json(build_graph(shuffled))


def test_json_export_is_node_link_with_locations() -> None:
    data = json.loads(to_json(scan(FIXTURES / "mixed-eks-spring").graph))
    assert data["directed"] and data["multigraph"]
    node = next(n for n in data["nodes"] if n["id"] == "terraform:aws_db_instance:terraform/orders")
    assert (node["kind"], node["name"], node["path"], node["line"]) == ("datastore", "orders", "terraform/data.tf", 6)
    assert all({"kind", "name", "path", "line", "source", "target", "attrs"} <= set(e) for e in data["edges"])


def test_dot_and_mermaid_exports() -> None:
    graph = scan(FIXTURES / "mixed-eks-spring").graph
    dot = to_dot(graph)
    assert dot.startswith("digraph architecture {") and '"kubernetes:Deployment:shop/orders" ->' in dot
    mermaid = to_mermaid(graph)
    assert mermaid.startswith("flowchart LR") and "-->|\"scales (k8s/orders.yaml:65)\"|" in mermaid


def test_secret_values_never_reach_the_graph() -> None:
    text = to_json(scan(FIXTURES / "mixed-compose-microservices").graph)
    assert "change-me" not in text
    assert "guest:guest" not in text
