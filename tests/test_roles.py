"""What each service is (graph/roles.py) and which deployment it belongs to (graph/deployments.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import write_repo

from auditor.audit import audit
from auditor.graph.deployments import manifest_root

COMPOSE = """\
services:
  storefront:
    build: ./storefront
    environment:
      CATALOGUE_URL: http://catalogue:8080
    ports: ["80:8080"]
  catalogue:
    image: frontend   # a local build tag, not a Docker Hub official image
    environment:
      DB_URL: mongodb://catalogue-db:27017/catalogue
  catalogue-db:
    build: ./catalogue-db   # the repo's own database image (its Dockerfile is FROM mongo)
  edge:
    image: nginx:1.27-alpine
    ports: ["443:443"]
  grafana:
    image: grafana/grafana:11.0.0
  keycloak:
    image: quay.io/keycloak/keycloak:25.0
  loadgen:
    build: ./loadgen
    profiles: [load]
  locust:
    image: locustio/locust:2.29
  db-migrate:
    build: ./storefront
    command: ["./migrate", "up"]
    restart: "no"
"""

JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: seed}
spec:
  template:
    spec:
      containers: [{name: seed, image: ghcr.io/acme/seed:1}]
      restartPolicy: Never
"""


def _roles(root: Path) -> dict[str, tuple[str, str]]:
    graph = audit(root).scan.graph
    return {node.name: (node.kind, node.attrs.get("role")) for _, node in graph.nodes(data="node")
            if node.source in ("compose", "kubernetes") and node.kind != "config"}


def test_each_service_gets_the_role_its_image_or_name_gives_it(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "k8s/seed.yaml": JOB})
    roles = _roles(tmp_path)
    assert roles["storefront"] == ("service", "application")
    assert roles["catalogue"] == ("service", "application")
    assert roles["catalogue-db"] == ("datastore", "datastore")  # never judged as a stateless app
    assert roles["edge"] == ("service", "edge_proxy")
    assert roles["grafana"] == ("service", "observability")
    assert roles["keycloak"] == ("service", "infrastructure")
    assert roles["loadgen"] == ("service", "optional")
    assert roles["locust"] == ("service", "load_generator")
    assert roles["db-migrate"] == ("service", "job")
    assert roles["seed"] == ("service", "job")


def test_only_applications_are_judged_for_tracing(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    traced = {f.subject.rsplit("/", 1)[-1] for f in audit(tmp_path).findings if f.rule_id == "OBS001"}
    assert traced == {"storefront", "catalogue"}


def test_a_single_application_is_not_asked_for_distributed_tracing(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": (
        "services:\n"
        "  app:\n    build: .\n    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n"
        "  worker:\n    build: .\n    command: celery worker\n"
        "    environment:\n      BROKER_URL: amqp://rabbitmq:5672\n"
        "  db:\n    image: postgres:16\n"
        "  rabbitmq:\n    image: rabbitmq:3.13\n")})
    # Two services of one codebase that meet only at the database and the broker: no request to follow.
    assert [f for f in audit(tmp_path).findings if f.rule_id == "OBS001"] == []


def test_manifest_folders_are_deployments() -> None:
    assert manifest_root("sock-shop/base") == "sock-shop"
    assert manifest_root("deploy/kubernetes") == "deploy/kubernetes"
    assert manifest_root("kubernetes-manifests") == "kubernetes-manifests"
    assert manifest_root("release") == "release"
    assert manifest_root("k8s/overlays/prod") == "k8s/overlays/prod"
    assert manifest_root(".") == "."


def test_nodes_name_their_deployment(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "docker-compose.yml": COMPOSE,
        "deploy/k8s/seed.yaml": JOB,
        "storefront/src/main/resources/application.yml": "server:\n  port: 8080\n",
    })
    graph = audit(tmp_path).scan.graph
    deployments = {node.name: node.attrs.get("deployment") for _, node in graph.nodes(data="node")
                   if node.source != "appconfig" or node.kind == "config"}
    assert deployments["storefront"] == "compose:."
    assert deployments["seed"] == "kubernetes:deploy/k8s"
    # A config file belongs to the deployment of the service it configures.
    assert deployments["storefront/src/main/resources/application.yml"] == "compose:."


RECIPE = """\
services:
  app:
    image: ghcr.io/vendor/notes:2.1
    environment:
      DB_HOST: db
      SEARCH_URL: http://search:7700
    ports: ["8080:8080"]
  search:
    image: vendor/notes-search:2.1
  db:
    image: postgres:16
"""


def test_a_compose_project_that_builds_nothing_is_a_recipe_of_third_party_software(tmp_path: Path) -> None:
    write_repo(tmp_path, {"notes/docker-compose.yml": RECIPE})
    result = audit(tmp_path)
    roles = {node.name: (node.attrs.get("role"), node.attrs.get("recipe")) for _, node in
             result.scan.graph.nodes(data="node") if node.source == "compose"}
    assert roles["app"] == ("third_party", True) and roles["search"] == ("third_party", True)
    # Run as its publisher ships it: neither its tracing nor its replica count is the repository's to fix.
    assert {f.rule_id for f in result.findings} & {"OBS001", "AVAIL005", "RESIL001"} == set()


def test_images_from_a_private_registry_are_the_projects_own(tmp_path: Path) -> None:
    own = RECIPE.replace("ghcr.io/vendor/notes", "registry.acme.io/notes")
    write_repo(tmp_path, {"deploy/docker-compose.yml": own})
    roles = {node.name: node.attrs.get("role") for _, node in audit(tmp_path).scan.graph.nodes(data="node")
             if node.source == "compose"}
    assert roles["app"] == "application" and roles["search"] == "application"


def test_the_projects_own_published_port_on_an_external_address_is_not_a_call(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        ".env": "EXTERNAL_HOST=10.0.0.5\n",
        "docker-compose.yml": (
            "services:\n"
            "  catalog:\n    build: ./catalog\n    ports: [\"5101:80\"]\n"
            "  web:\n    build: ./web\n    ports: [\"5100:80\"]\n    environment:\n"
            "      CatalogUrl: http://${EXTERNAL_HOST}:5101\n"   # handed to browsers: catalog from outside
            "      PaymentsUrl: http://${EXTERNAL_HOST}:7000\n"),  # nothing here publishes 7000: a real call
    })
    result = audit(tmp_path)
    edges = {(edge.attrs.get("key"), edge.kind, edge.attrs.get("purpose")) for _, _, edge in
             result.scan.graph.out_edges("compose:service:./web", data="edge") if edge.attrs.get("key")}
    assert ("CatalogUrl", "knows_address", "published") in edges
    assert ("PaymentsUrl", "calls", None) in edges
    assert [f.location.line for f in result.findings if f.rule_id == "RESIL001"] == [10]


def test_findings_name_their_deployment_in_json(tmp_path: Path) -> None:
    from auditor.report.json import finding_record

    write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "deploy/k8s/seed.yaml": JOB})
    records = [finding_record(f) for f in audit(tmp_path).findings]
    assert {r["deployment"] for r in records if r["subject"].startswith("compose:")} == {"compose:."}
    assert all("deployment" in r for r in records)


def test_a_compose_service_no_file_gives_an_image_or_build_is_a_fragment(tmp_path: Path) -> None:
    from auditor.scan import scan

    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  web:\n    build: ./web\n",
        "docker-compose.override.windows.yml": "services:\n  web:\n    environment: [A=1]\n"
                                               "  locations-api:\n    environment: [B=2]\n",
    })
    roles = {n.name: n.attrs["role"] for _, n in scan(root).graph.nodes(data="node") if n.kind == "service"}
    assert roles == {"web": "application", "locations-api": "fragment"}
    assert not [f for f in audit(root).findings if "locations-api" in f.message]


def test_a_one_off_command_makes_a_job_and_readers_do_not_share_a_database(tmp_path: Path) -> None:
    from auditor.scan import scan

    root = write_repo(tmp_path, {"docker-compose.yml": (
        "services:\n"
        "  api:\n    build: ./api\n    environment: [DATABASE_URL=postgres://db:5432/shop]\n"
        "  load-data:\n    image: node:20\n    command: [bash, -c, 'npm run db-setup && node db/generate_orders.js']\n"
        "    environment: [DATABASE_URL=postgres://db:5432/shop]\n"
        "  search:\n    build: ./search\n    environment: [ES_URL=http://es:9200]\n"
        "  kibana:\n    image: kibana:8.13.0\n    environment: [ELASTICSEARCH_HOSTS=http://es:9200]\n"
        "  db:\n    image: postgres:16\n"
        "  es:\n    image: elasticsearch:8.13.0\n")})
    roles = {n.name: n.attrs["role"] for _, n in scan(root).graph.nodes(data="node") if n.kind == "service"}
    assert roles["load-data"] == "job" and roles["api"] == "application"
    assert not [f for f in audit(root).findings if f.rule_id == "DATA003"]


def test_a_service_built_here_that_runs_nginx_is_an_edge_proxy(tmp_path: Path) -> None:
    from auditor.scan import scan

    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  frontend:\n    build: ./frontend\n    image: frontend:latest\n"
                              "  backend:\n    build: ./backend\n",
        "frontend/Dockerfile": "FROM node:20 AS build\nRUN npm ci && npm run build\nFROM nginx:1\n"
                               "COPY --from=build /app/dist /usr/share/nginx/html\n",
        "backend/Dockerfile": "FROM python:3.12\nCMD [\"uvicorn\", \"app:app\"]\n",
    })
    roles = {n.name: n.attrs["role"] for _, n in scan(root).graph.nodes(data="node") if n.kind == "service"}
    assert roles == {"frontend": "edge_proxy", "backend": "application"}


def test_a_workload_running_an_image_the_repository_builds_from_a_proxy_is_a_proxy(tmp_path: Path) -> None:
    from auditor.scan import scan

    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  gateway:\n    image: ${REGISTRY:-shop}/gateway:${TAG:-latest}\n"
                              "    build: ./gateway\n",
        "gateway/Dockerfile": "FROM envoyproxy/envoy:v1.29\nCOPY envoy.yaml /etc/envoy/envoy.yaml\n",
        "k8s/gateway.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gateway}\nspec:\n"
                            "  selector: {matchLabels: {app: gateway}}\n  template:\n"
                            "    metadata: {labels: {app: gateway}}\n    spec:\n"
                            "      containers: [{name: gateway, image: 'shop/gateway:1.4'}]\n",
    })
    roles = {n.id: n.attrs["role"] for _, n in scan(root).graph.nodes(data="node") if n.kind == "service"}
    assert set(roles.values()) == {"edge_proxy"}


def test_a_service_whose_code_runs_in_browsers_is_a_frontend(tmp_path: Path) -> None:
    from auditor.scan import scan

    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  web:\n    image: node:20\n    volumes: [./web:/web]\n"
                              "    ports: ['8080:8080']\n    environment: [API_URL=http://api:80]\n"
                              "  api:\n    build: ./api\n",
        "web/src/main.js": "import { createApp } from 'vue';\nimport App from './App.vue';\n"
                           "createApp(App).mount('#app');\n",
        "api/server.js": "const express = require('express');\nconst app = express();\n"
                         "app.get('/items', (req, res) => res.json([]));\napp.listen(80);\n",
    })
    roles = {n.name: n.attrs["role"] for _, n in scan(root).graph.nodes(data="node") if n.kind == "service"}
    assert roles == {"web": "frontend", "api": "application"}
    assert not [f for f in audit(root).findings if f.rule_id in ("OBS001", "RESIL001") and "`web`" in f.message]


def test_a_service_whose_code_hosts_a_health_checks_dashboard_is_an_observability_tool(tmp_path: Path) -> None:
    # webstatus only hosts AspNetCore.HealthChecks.UI, which polls the others' /hc on a timer: not an application
    # to trace, scale or call-bound; a service that also calls others from its own code stays an application.
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  webstatus:\n    build: src/WebStatus\n    ports: ['5107:80']\n"
                              "  shop:\n    build: src/Shop\n    ports: ['80:80']\n"
                              "  catalog:\n    build: src/Catalog\n",
        "src/WebStatus/WebStatus.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
        "src/WebStatus/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
        "src/WebStatus/Program.cs": "var builder = WebApplication.CreateBuilder(args);\n"
                                    "builder.Services.AddHealthChecksUI().AddInMemoryStorage();\n"
                                    "var app = builder.Build();\napp.MapHealthChecksUI();\napp.Run();\n",
        "src/Shop/Shop.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
        "src/Shop/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
        "src/Shop/Program.cs": "var builder = WebApplication.CreateBuilder(args);\n"
                               "builder.Services.AddHealthChecksUI();\nvar app = builder.Build();\n"
                               "var client = new HttpClient();\n"
                               "app.MapGet(\"/\", async () => await client.GetStringAsync(\"http://catalog/items\"));\n"
                               "app.Run();\n",
        "src/Catalog/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
    })
    graph = audit(root).scan.graph
    roles = {node.name: node.attrs.get("role") for _, node in graph.nodes(data="node") if node.source == "compose"}
    assert roles["webstatus"] == "observability" and roles["shop"] == "application"


def test_an_aspnetcore_session_that_no_code_or_view_reads_keeps_no_state(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "services:\n  web:\n    build: src/Web\n    ports: ['80:80']\n"
                              "    deploy: {replicas: 2}\n",
        "src/Web/Web.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
        "src/Web/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
        "src/Web/Startup.cs": "public class Startup\n{\n"
                              "    public void ConfigureServices(IServiceCollection services)\n    {\n"
                              "        services.AddDistributedMemoryCache();\n        services.AddSession();\n"
                              "    }\n}\n",
    }
    used = {"src/Web/Views/Cart.cshtml": "@{ var cart = Context.Session.GetString(\"cart\"); }\n<p>@cart</p>\n"}

    def state001(root: Path) -> list[tuple[str, int]]:
        return [(f.location.path, f.location.line) for f in audit(root).findings if f.rule_id == "STATE001"]

    assert state001(write_repo(tmp_path / "unused", files)) == []
    assert state001(write_repo(tmp_path / "used", {**files, **used})) == [("src/Web/Startup.cs", 6)]
