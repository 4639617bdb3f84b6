"""The graph: cross-format edges with their evidence lines, host resolution, exports, determinism."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import pytest
from conftest import FIXTURES, write_repo

from auditor.graph.build import build_graph
from auditor.graph.export import to_dot, to_json, to_mermaid
from auditor.graph.resolve import MAX_FOLDER_DEPTH, HostIndex, enclosing_folders
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


@pytest.mark.parametrize(
    ("caller_id", "expected"),
    [
        # an app config file in a service's folder: its chapter's project, not the first in sorted order
        ("appconfig:config:book/chapter06/review/src/main/resources/application.yml",
         "compose:service:book/chapter06/db"),
        ("appconfig:config:book/chapter07/review/application.yml", "compose:service:book/chapter07/db"),
        ("appconfig:config:book/chapter07/deploy/local/review/application.yml",
         "compose:service:book/chapter07/deploy/local/db"),
        # nothing around the caller: the first in sorted order, as before
        ("appconfig:config:tools/application.yml", "compose:service:a-shop/db"),
        ("appconfig:config:./application.yml", "compose:service:a-shop/db"),
    ],
)
def test_a_name_no_project_of_the_caller_defines_is_the_one_in_the_innermost_folder_around_it(
        caller_id: str, expected: str) -> None:
    index = HostIndex()
    for scope in ("book/chapter07", "a-shop", "book/chapter06", "book/chapter07/deploy/local"):
        index.add(_service("db", "compose", scope))
    caller = Node(caller_id, "config", "application", "appconfig", "spring", Location("f", 1))
    assert index.resolve("db", caller) == expected


def test_a_tree_thousands_of_folders_deep_costs_a_bounded_number_of_folders_per_scope() -> None:
    deep = "/".join(["a"] * 2_000)
    folders = enclosing_folders(deep)
    assert len(folders) == MAX_FOLDER_DEPTH and folders[0] == "/".join(["a"] * MAX_FOLDER_DEPTH)
    index = HostIndex()
    for depth in (2_000, 1_999):  # both deeper than the bound: one folder for matching, the first scope in order
        index.add(_service("db", "compose", "/".join(["a"] * depth)))
    caller = Node(f"appconfig:config:{deep}/x/application.yml", "config", "application", "appconfig", "spring",
                  Location("f", 1))
    assert index.resolve("db", caller) == f"compose:service:{'/'.join(['a'] * 1_999)}/db"


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


# --- compose projects across files (graph/compose_projects.py) ----------------------------------------------


def _line(repo: str, path: str, needle: str) -> int:
    """The 1-based line of a fixture file that holds `needle`."""
    lines = (FIXTURES / repo / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def _compose_graph(repo: str) -> nx.MultiDiGraph:
    return scan(FIXTURES / repo).graph


def test_project_env_is_interpolated_into_the_services_that_ask_for_it() -> None:
    repo = "compose-grpc-dotenv"
    graph = _compose_graph(repo)
    edges = _edges(repo)
    svc = "compose:service:."
    compose_line = lambda needle: _line(repo, "docker-compose.yml", needle)  # noqa: E731
    assert {
        # `KEY: ${VAR}` and `${VAR:?err}`: the .env value, evidence on the compose line
        (f"{svc}/gateway", "calls", f"{svc}/tracker", "docker-compose.yml", compose_line("TRACKER_GRPC_ADDR: ${")),
        (f"{svc}/gateway", "calls", f"{svc}/geo", "docker-compose.yml", compose_line("GEO_GRPC_ADDR:?")),
        # a bare `- DATABASE_URL` takes the .env value
        (f"{svc}/tracker", "connects_to", f"{svc}/postgres", "docker-compose.yml", compose_line("- DATABASE_URL")),
        (f"{svc}/tracker", "connects_to", f"{svc}/nats", "docker-compose.yml", compose_line("- NATS_URL=")),
        # `${VAR:-default}` with VAR absent from .env: the default
        (f"{svc}/geo", "connects_to", f"{svc}/geo-cache", "docker-compose.yml", compose_line("CACHE_URL")),
    } <= edges
    edge = next(e for _, _, e in graph.out_edges(f"{svc}/gateway", data="edge") if e.attrs.get("key") ==
                "TRACKER_GRPC_ADDR")
    assert edge.attrs["interpolated_from"] == [f".env:{_line(repo, '.env', 'TRACKER_GRPC_ADDR')}"]
    assert graph.nodes[f"{svc}/gateway"]["node"].attrs["replicas"] == 3  # `replicas: ${GATEWAY_REPLICAS}`
    # the .env is nobody's environment: not the broker's, not the database's, not the builds' (context `.`)
    env = graph.nodes["appconfig:config:.env"]["node"]
    assert env.attrs["interpolates"] == ["docker-compose.yml"]
    assert not [e for _, _, e in graph.out_edges(env.id, data="edge") if e.kind == "configures"]
    assert not list(graph.out_edges(f"{svc}/nats")) and not list(graph.out_edges(f"{svc}/postgres"))
    assert all(e.location.path != ".env" for u, _, e in graph.edges(data="edge") if u.startswith("compose:"))


def test_env_file_keys_yield_to_the_service_environment_and_test_env_files_are_no_service() -> None:
    repo = "compose-grpc-dotenv"
    graph = _compose_graph(repo)
    notifier = "compose:service:./notifier"
    targets = {(v, e.location.path) for _, v, e in graph.out_edges(notifier, data="edge") if e.kind == "calls"}
    # `environment: GEO_GRPC_ADDR` wins over the env_file's geo-legacy; the env file's other keys still count
    assert targets == {("compose:service:./geo", "docker-compose.yml"),
                       ("compose:service:./tracker", "config/notifier.env")}
    # .e2e.env (the test runner's addresses) is loaded by no container: it configures nothing, implies nothing
    assert not [n for _, n in graph.nodes(data="node") if n.attrs.get("implied")]
    assert not [e for _, _, e in graph.out_edges("appconfig:config:.e2e.env", data="edge") if e.kind == "configures"]
    assert "fleet-secret" not in to_json(graph)


def test_recipe_env_used_only_for_interpolation_is_not_a_service() -> None:
    repo = "compose-selfhost-recipes"
    graph = _compose_graph(repo)
    edges = _edges(repo)
    assert ("compose:service:wiki/wiki", "connects_to", "compose:service:wiki/wiki-db", "wiki/docker-compose.yml",
            _line(repo, "wiki/docker-compose.yml", "DB_HOST")) in edges
    assert graph.nodes["compose:service:wiki/wiki"]["node"].attrs["image"] == "ghcr.io/requarks/wiki:2.5"
    assert not [n.id for _, n in graph.nodes(data="node") if n.source == "appconfig" and n.kind == "service"]
    configures = {(u, v) for u, v, e in graph.edges(data="edge") if e.kind == "configures"}
    # a recipe's .env named in env_file configures that service only; an unmounted php.ini/nginx.conf nothing
    assert configures == {("appconfig:config:bookmarks/.env", "compose:service:bookmarks/bookmarks")}
    assert ("compose:service:bookmarks/bookmarks", "connects_to", "compose:service:bookmarks/bookmarks-db",
            "bookmarks/.env", _line(repo, "bookmarks/.env", "LD_DB_HOST")) in edges
    assert "change-this-password" not in to_json(graph)


def test_include_extends_across_files_and_profiles() -> None:
    repo = "compose-include-profiles"
    graph = _compose_graph(repo)
    edges = _edges(repo)
    node = lambda ident: graph.nodes[ident]["node"]  # noqa: E731
    # included files join the includer's project, interpolated with the include's env_file
    payments = node("compose:service:payments/payments")
    assert payments.attrs["included_by"] == ["compose.yaml"]
    assert node("compose:service:monitoring/prometheus").attrs["included_by"] == ["compose.yaml"]
    assert ("compose:service:payments/payments", "connects_to", "compose:service:payments/payments-db",
            "payments/compose.yaml", _line(repo, "payments/compose.yaml", "DATABASE_URL")) in edges
    assert node("appconfig:config:env/payments.env").attrs["interpolates"] == ["payments/compose.yaml"]
    # an override beside the includer restates the included service: its image, build and environment
    restated = node("compose:service:./payments")
    assert restated.attrs["restates"] == "compose:service:payments/payments"
    assert restated.attrs["build_context"] == "payments" and restated.kind == "service"
    assert ("compose:service:./storefront", "calls", "compose:service:./payments", "compose.yaml",
            _line(repo, "compose.yaml", "PAYMENTS_URL")) in edges
    # extends from another file: the base's build (relative to its file), healthcheck and environment
    worker = node("compose:service:./worker")
    assert worker.attrs["build_context"] == "worker"
    assert worker.evidence["build_context"].path == "common/services.yml"
    assert worker.attrs["healthcheck"] is True and worker.attrs["restart"] == "unless-stopped"
    assert set(worker.attrs["env_keys"]) == {"WORKER_CONCURRENCY", "DATABASE_URL", "QUEUE_URL"}
    assert {("compose:service:./worker", "connects_to", "compose:service:./orders-db", "common/services.yml",
             _line(repo, "common/services.yml", "DATABASE_URL")),
            ("compose:service:./worker", "connects_to", "compose:service:./rabbitmq", "compose.yaml",
             _line(repo, "compose.yaml", "QUEUE_URL"))} <= edges
    assert node("compose:service:common/go-worker").attrs["extended_by"] == ["compose:service:./worker"]
    # a profiled service is recorded as such (it does not start by default)
    assert node("compose:service:./setup").attrs["profiles"] == ["setup"]
    assert "profiles" not in node("compose:service:./storefront").attrs


def test_include_and_extends_across_files_are_bounded(tmp_path: Path) -> None:
    files = {
        # a include cycle, and a chain longer than the depth limit
        "a/compose.yaml": "include: [../b/compose.yaml]\nservices:\n  a:\n    image: shop/a\n",
        "b/compose.yaml": "include: [../a/compose.yaml]\nservices:\n  b:\n    image: shop/b\n",
        **{f"chain/{i}/compose.yaml": f"include: [../{i + 1}/compose.yaml]\nservices:\n  s{i}:\n    image: x/s{i}\n"
           for i in range(12)},
        "chain/12/compose.yaml": "services:\n  s12:\n    image: x/s12\n",
        # an extends cycle across two files, and a base that does not exist
        "x/compose.yaml": "services:\n  x:\n    extends: {file: ../y/compose.yaml, service: y}\n",
        "y/compose.yaml": "services:\n  y:\n    extends: {file: ../x/compose.yaml, service: x}\n    image: shop/y\n",
        "z/compose.yaml": "services:\n  z:\n    extends: {file: ../missing.yml, service: q}\n    image: shop/z\n",
    }
    graph = scan(write_repo(tmp_path, files)).graph
    node = lambda ident: graph.nodes[ident]["node"]  # noqa: E731
    assert node("compose:service:b/b").attrs["included_by"] == ["a/compose.yaml"]
    assert "included_by" not in node("compose:service:a/a").attrs  # the first file in path order is the project
    reached = [i for i in range(13) if node(f"compose:service:chain/{i}/s{i}").attrs.get("included_by")]
    assert reached == list(range(1, 9))  # eight levels of include, then no further
    assert node("compose:service:x/x").attrs["image"] == "shop/y"
    assert node("compose:service:z/z").attrs["image"] == "shop/z"
