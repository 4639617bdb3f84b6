"""Only deployed configuration configures a deployment (issue 8 item 2), and a file the tool cannot read is
one diagnostic, not one per line (item 9). Fixtures are small repositories written here, modelled on a
Spring Cloud microservice demo (config server, registry, gateway, profile files, test resources) and on a
Kubernetes logging stack (a fluentd ConfigMap)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from conftest import write_repo

from auditor.model import Diagnostic
from auditor.parsers import appconfig, kubernetes
from auditor.scan import scan

_COMPOSE = """\
services:
  config-service:
    build: ./config-service
    ports: ["8088:8088"]
  employee-service:
    build: ./employee-service
    environment:
      SPRING_PROFILES_ACTIVE: docker
  gateway-service:
    build: ./gateway-service
    ports: ["8060:8060"]
  zipkin:
    image: openzipkin/zipkin
"""

_SPRING_CLOUD = {
    "docker-compose.yml": _COMPOSE,
    "config-service/Dockerfile": "FROM eclipse-temurin:21\nCOPY target/app.jar /app.jar\n",
    "config-service/src/main/resources/application.yml": (
        "server:\n  port: 8088\nspring:\n  application:\n    name: config-service\n"
        "  profiles:\n    active: native\n"),
    "config-service/src/main/resources/config/employee-service.yml": (
        "server:\n  port: 8082\n"),
    "config-service/src/main/resources/config/employee-service-docker.yml": (
        "management:\n  zipkin:\n    tracing:\n      endpoint: http://zipkin:9411/api/v2/spans\n"),
    "config-service/src/main/resources/config/employee-service-instance2.yml": (
        "server:\n  port: 9090\n"),
    "config-service/src/main/resources/config/billing-service.yml": (
        "billing:\n  url: http://employee-service:8082\n"),
    "employee-service/Dockerfile": "FROM eclipse-temurin:21\nCOPY target/app.jar /app.jar\n",
    "employee-service/src/main/resources/application.yml": (
        "spring:\n  application:\n    name: employee-service\n"),
    "employee-service/src/main/resources/application-dev.yml": (
        "department:\n  url: http://localhost:8081\n"),
    "employee-service/src/main/resources/application-docker.yml": (
        "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 5\n"),
    "gateway-service/Dockerfile": "FROM eclipse-temurin:21\nCOPY target/app.jar /app.jar\n",
    "gateway-service/src/main/resources/application.yml": (
        "spring:\n  application:\n    name: gateway-service\n"),
    "gateway-service/src/test/resources/application.yml": (
        "spring:\n  cloud:\n    gateway:\n      routes:\n"
        "        - id: employee-service\n          uri: http://employee-service:8082\n"),
    "common/src/main/resources/application.yml": (
        "audit:\n  sink: http://employee-service:8082/audit\n"),
}


def _graph(tmp_path: Path, files: dict[str, str]) -> nx.MultiDiGraph:
    return scan(write_repo(tmp_path, files)).graph


def _configures(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    """(config file, service, via) for every app-config file that configures a service."""
    return {(graph.nodes[u]["node"].location.path, v, str(e.attrs.get("via")))
            for u, v, e in graph.edges(data="edge")
            if e.kind == "configures" and graph.nodes[u]["node"].source == "appconfig"}


def test_config_server_files_test_resources_profiles_and_libraries(tmp_path: Path) -> None:
    graph = _graph(tmp_path, _SPRING_CLOUD)
    employee, gateway, server = ("compose:service:./employee-service", "compose:service:./gateway-service",
                                 "compose:service:./config-service")
    resources = "src/main/resources"
    assert _configures(graph) == {
        (f"config-service/{resources}/application.yml", server, "build_context"),
        # the server's files describe the service named like them; a profile file only an active profile
        (f"config-service/{resources}/config/employee-service.yml", employee, "config_server"),
        (f"config-service/{resources}/config/employee-service-docker.yml", employee, "config_server"),
        (f"employee-service/{resources}/application.yml", employee, "build_context"),
        (f"employee-service/{resources}/application-docker.yml", employee, "build_context"),
        (f"gateway-service/{resources}/application.yml", gateway, "build_context"),
    }
    # no phantom services: test resources, a library module and an unknown application's file imply none
    assert [n for n in graph.nodes if n.startswith("appconfig:service")] == []
    calls = {(u, v, e.location.path) for u, v, e in graph.edges(data="edge")
             if e.kind == "calls" and graph.nodes[u]["node"].kind == "service"}
    assert not any(path.startswith(("gateway-service/src/test", "common/")) for _, _, path in calls)
    assert (employee, "compose:service:./zipkin",
            f"config-service/{resources}/config/employee-service-docker.yml") in {
        (u, v, e.location.path) for u, v, e in graph.edges(data="edge")}
    # the inactive `dev` profile's localhost URL is not the employee service's
    assert not any(path.endswith("application-dev.yml") for _, _, path in calls)


def test_a_config_server_serves_its_own_system_in_a_repository_of_several(tmp_path: Path) -> None:
    """A book's chapters (or a monorepo's systems) each run their own config server: one chapter's
    `config-repo/gateway.yml` configures that chapter's `gateway`, not every chapter's. A config repository
    outside every system (`platform/config-repo`) serves the services of the name wherever they are."""
    gateway = "services:\n  gateway:\n    build: ./gateway\n  config-server:\n    build: ./config-server\n"
    route = "spring:\n  cloud:\n    gateway:\n      routes:\n        - id: shop\n          uri: http://{}:8080\n"
    files = {
        "chapter12/docker-compose.yml": gateway,
        "chapter12/config-repo/gateway.yml": route.format("shop-12"),
        "chapter13/docker-compose.yml": gateway,
        "chapter13/config-repo/gateway.yml": route.format("shop-13"),
        "chapter14/docker-compose.yml": gateway,  # no config repository of its own
    }
    assert {(path, service) for path, service, via in _configures(_graph(tmp_path / "book", files))
            if via == "config_server"} == {
        ("chapter12/config-repo/gateway.yml", "compose:service:chapter12/gateway"),
        ("chapter13/config-repo/gateway.yml", "compose:service:chapter13/gateway"),
    }
    files = {"platform/config-repo/gateway.yml": route.format("shop"), "apps/docker-compose.yml": gateway,
             "apps/gateway/src/main/resources/application.yml": "spring:\n  application:\n    name: gateway\n"}
    assert ("platform/config-repo/gateway.yml", "compose:service:apps/gateway", "config_server") in _configures(
        _graph(tmp_path / "platform", files))
    assert appconfig.config_server_system("chapter12/config-repo/gateway.yml") == "chapter12"
    assert appconfig.config_server_system("config-repo/gateway.yml") == "."
    assert appconfig.config_server_system("shop/config-server/src/main/resources/config/orders.yml") == "shop"
    assert appconfig.config_server_system("orders/src/main/resources/application.yml") is None


def test_a_config_named_like_a_deployment_is_its_own_systems_when_several_deploy_that_name(tmp_path: Path) -> None:
    """Two products of one repository each deploy a `storefront`: each `settings.py` under a `storefront/` folder
    configures its own product's Deployment (once, both being candidates made it nobody's); with the Deployments
    in one `deploy/` folder away from both, the name stays ambiguous and neither is picked."""
    def deployment(namespace: str) -> str:
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: storefront, namespace: {namespace}}}\n"
                "spec:\n  selector: {matchLabels: {app: storefront}}\n  template:\n"
                "    metadata: {labels: {app: storefront}}\n    spec:\n      containers:\n"
                "        - {name: storefront, image: registry.example.com/storefront:1}\n")
    settings = "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'CONN_MAX_AGE': 60}}\n"
    files = {f"{product}/{path}": text for product in ("books", "music")
             for path, text in (("k8s/storefront.yaml", deployment(product)),
                                ("services/storefront/shop/settings.py", settings))}
    assert {(path, service) for path, service, via in _configures(_graph(tmp_path / "two", files))
            if via == "name"} == {
        ("books/services/storefront/shop/settings.py", "kubernetes:Deployment:books/storefront"),
        ("music/services/storefront/shop/settings.py", "kubernetes:Deployment:music/storefront"),
    }
    files = {"deploy/books.yaml": deployment("books"), "deploy/music.yaml": deployment("music"),
             "books/storefront/settings.py": settings}
    assert not {via for _, _, via in _configures(_graph(tmp_path / "apart", files)) if via == "name"}


def test_without_a_visible_active_profile_only_the_default_file_configures(tmp_path: Path) -> None:
    files = {**_SPRING_CLOUD, "docker-compose.yml": _COMPOSE.replace(
        "    environment:\n      SPRING_PROFILES_ACTIVE: docker\n", "")}
    found = _configures(_graph(tmp_path, files))
    assert not any("-docker.yml" in path or "-dev.yml" in path for path, _, _ in found)
    assert ("config-service/src/main/resources/config/employee-service.yml", "compose:service:./employee-service",
            "config_server") in found


_POOL = "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: {}\n"


def test_default_file_and_kubernetes_configmap_activate_profiles(tmp_path: Path) -> None:
    files = {
        "k8s/orders.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orders-env\ndata:\n"
            "  SPRING_PROFILES_ACTIVE: prod,kubernetes\n"
            "---\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\nspec:\n  replicas: 2\n"
            "  selector:\n    matchLabels: {app: orders}\n  template:\n    metadata:\n      labels: {app: orders}\n"
            "    spec:\n      containers:\n        - name: orders\n          image: shop/orders:1.0\n"
            "          envFrom:\n            - configMapRef:\n                name: orders-env\n"),
        "orders/Dockerfile": "FROM eclipse-temurin:21\n",
        "orders/src/main/resources/application.yml": "spring:\n  application:\n    name: orders\n",
        "orders/src/main/resources/application-prod.yml": _POOL.format(20),
        "orders/src/main/resources/application-local.yml": _POOL.format(2),
        # a repository that deploys nothing: the default file beside a profile file activates it
        "tools/report/src/main/resources/application.yml": "spring:\n  profiles:\n    active: batch\n",
        "tools/report/src/main/resources/application-batch.yml": _POOL.format(4),
        "tools/report/src/main/resources/application-cloud.yml": _POOL.format(8),
        "tools/report/Dockerfile": "FROM eclipse-temurin:21\n",
    }
    found = {(path, via) for path, _, via in _configures(_graph(tmp_path, files))}
    resources = "src/main/resources"
    assert {(f"orders/{resources}/application.yml", "name"),
            (f"orders/{resources}/application-prod.yml", "name"),
            (f"tools/report/{resources}/application.yml", "directory"),
            (f"tools/report/{resources}/application-batch.yml", "directory")} == found


_FLUENTD = """\
<source>
  @type tail
  path /var/log/containers/*.log
  pos_file /var/log/fluentd-containers.log.pos
  tag kubernetes.*
  <parse>
    @type json
  </parse>
</source>
<match **>
  @type elasticsearch
  host elasticsearch
  port 9200
</match>
"""


def _configmap(key: str, body: str) -> str:
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: logging\n  namespace: kube-system\n"
            f"data:\n  {key}: |\n{indented}")


def test_fluentd_configmap_is_one_note() -> None:
    facts = kubernetes.parse("k8s/fluentd.yaml", _configmap("fluent.conf", _FLUENTD))
    assert facts.diagnostics == (Diagnostic(
        "k8s/fluentd.yaml", "fluent.conf: fluentd configuration: not read (the tool does not read this format)",
        7, "unsupported", "note"),)


def test_logstash_and_fluent_bit_are_recognised_as_unread() -> None:
    logstash = "input {\n  beats { port => 5044 }\n}\noutput {\n  elasticsearch { hosts => ['es:9200'] }\n}\n"
    fluent_bit = "[SERVICE]\n    Flush 1\n[INPUT]\n    Name tail\n    Path /var/log/*.log\n"
    for name, text, kind in (("logstash.conf", logstash, "logstash"), ("fluent-bit.conf", fluent_bit, "Fluent Bit")):
        entries, problems = appconfig.entries_from_text(name, text, "k8s/logging.yaml")
        assert entries == []
        assert problems == [f"[unsupported] {kind} configuration: not read (the tool does not read this format)"]


def test_repeated_problems_of_one_kind_fold_into_one() -> None:
    body = "[server]\nport = 8080\n" + "".join(f"stray line {i}\n" for i in range(40)) + "workers = 4\n"
    facts = kubernetes.parse("k8s/app.yaml", _configmap("app.ini", body))
    assert [(d.message, d.line, d.level) for d in facts.diagnostics] == [
        ("app.ini: expected key = value (and 39 more lines like it)", 10, "warning")]
    # a few problems stay one per line
    entries, problems = appconfig.entries_from_text("app.ini", "[a]\nx y\nx z\nk = v\n", "app.ini")
    assert problems == ["line 2: expected key = value", "line 3: expected key = value"]
    assert [e.key for e in entries] == ["k"]
