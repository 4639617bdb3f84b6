"""Build files, Dockerfiles and telemetry configs: what each format declares, and which service it belongs to.

Fixtures are small versions of real layouts: a Spring Cloud multi-module Maven build, a Go module built by
several compose services from one context, a .NET solution built from one context with a Dockerfile per
project, a NestJS service, a Django app with `requirements/`, a Rails Gemfile.
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_repo

from auditor.discover import discover, kind_by_content, kind_by_name
from auditor.model import Node
from auditor.parsers import buildfiles, telemetry
from auditor.scan import scan


def _libraries(path: str, text: str) -> list[tuple[str, str, str, int]]:
    """(topic, dependency, system, line) of every telemetry setting the build file gives."""
    facts = buildfiles.parse(path, text)
    assert not [d for d in facts.diagnostics if d.level == "error"], facts.diagnostics
    (node,) = facts.nodes
    return [(s.topic, s.key, s.value, s.location.line) for s in node.settings]


def _node(path: str, text: str) -> Node:
    (node,) = buildfiles.parse(path, text).nodes
    return node


POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
    <modelVersion>4.0.0</modelVersion>
    <parent>
        <groupId>pl.piomin.services</groupId>
        <artifactId>sample-spring-microservices</artifactId>
        <version>1.2-SNAPSHOT</version>
    </parent>
    <artifactId>employee-service</artifactId>
    <dependencyManagement>
        <dependencies>
            <dependency>
                <groupId>io.opentelemetry.instrumentation</groupId>
                <artifactId>opentelemetry-instrumentation-bom</artifactId>
                <version>2.17.0</version>
                <type>pom</type>
                <scope>import</scope>
            </dependency>
        </dependencies>
    </dependencyManagement>
    <dependencies>
        <dependency>
            <groupId>org.springframework.boot</groupId>
            <artifactId>spring-boot-starter-actuator</artifactId>
        </dependency>
        <!-- <dependency><groupId>io.zipkin.brave</groupId><artifactId>brave</artifactId></dependency> -->
        <dependency>
            <groupId>io.micrometer</groupId>
            <artifactId>micrometer-tracing-bridge-otel</artifactId>
        </dependency>
        <dependency>
            <groupId>io.opentelemetry</groupId>
            <artifactId>opentelemetry-exporter-zipkin</artifactId>
        </dependency>
        <dependency>
            <groupId>io.micrometer</groupId>
            <artifactId>micrometer-registry-prometheus</artifactId>
            <scope>runtime</scope>
        </dependency>
        <dependency>
            <groupId>io.opentelemetry</groupId>
            <artifactId>opentelemetry-sdk-testing</artifactId>
            <scope>test</scope>
        </dependency>
        <dependency>
            <groupId>com.datadoghq</groupId>
            <artifactId>dd-trace-api</artifactId>
            <scope>test</scope>
        </dependency>
    </dependencies>
    <build>
        <plugins>
            <plugin>
                <groupId>io.opentelemetry.instrumentation</groupId>
                <artifactId>opentelemetry-maven-extension</artifactId>
            </plugin>
        </plugins>
    </build>
    <profiles>
        <profile>
            <id>newrelic</id>
            <dependencies>
                <dependency>
                    <groupId>com.newrelic.agent.java</groupId>
                    <artifactId>newrelic-agent</artifactId>
                </dependency>
            </dependencies>
        </profile>
    </profiles>
</project>
"""


def test_maven_dependencies_that_ship_not_boms_tests_plugins_profiles_or_comments() -> None:
    assert _libraries("employee-service/pom.xml", POM) == [
        ("tracing_library", "io.micrometer:micrometer-tracing-bridge-otel", "micrometer", 29),
        ("tracing_library", "io.opentelemetry:opentelemetry-exporter-zipkin", "otel", 33),
        ("metrics_library", "io.micrometer:micrometer-registry-prometheus", "micrometer", 37),
    ]
    node = _node("employee-service/pom.xml", POM)
    assert (node.kind, node.source, node.type) == ("config", "buildfile", "maven")
    assert node.attrs["project"] == "employee-service" and node.attrs["dir"] == "employee-service"


def test_xml_entities_and_doctype_are_never_expanded() -> None:
    """A billion-laughs DTD and an external entity: skipped whole, the dependencies after them still read."""
    laughs = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">' for i in range(1, 10))
    hostile = (f'<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY l0 "lol">{laughs}'
               '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
               "<project><artifactId>&l9;</artifactId><dependencies><dependency>\n"
               "<groupId>&xxe;</groupId><artifactId>x</artifactId></dependency><dependency>\n"
               "<groupId>io.opentelemetry.javaagent</groupId>"
               "<artifactId>opentelemetry-javaagent</artifactId></dependency></dependencies></project>\n")
    node = _node("pom.xml", hostile)
    assert node.attrs["project"] == "&l9;"  # literal text, never the entity's value
    assert [(s.topic, s.value, s.location.line) for s in node.settings] == [("tracing_library", "otel", 5),
                                                                           ("metrics_library", "otel", 5)]


def test_deep_or_broken_xml_is_bounded() -> None:
    deep = "<project>" + "<a>" * 5_000 + "</a>" * 5_000 + "</project>"
    facts = buildfiles.parse("pom.xml", deep)
    assert [(d.message, d.line, d.level) for d in facts.diagnostics] == [
        ("XML nested deeper than 256 levels; the rest is not read", 1, "warning")]
    assert buildfiles.parse("pom.xml", "<project><dependencies><dependency><artifactId>x").nodes[0].settings == ()


GRADLE = """\
plugins {
    id 'org.springframework.boot' version '3.3.0'
}
dependencies {
    implementation platform('io.opentelemetry:opentelemetry-bom:1.40.0')
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation 'io.micrometer:micrometer-tracing-bridge-brave'  // traces
    runtimeOnly group: 'io.micrometer', name: 'micrometer-registry-prometheus'
    compileOnly 'io.opentelemetry:opentelemetry-sdk:1.40.0'
    testImplementation 'io.zipkin.reporter2:zipkin-reporter-brave'
}
"""
GRADLE_KTS = """\
dependencies {
    implementation("io.opentelemetry.instrumentation:opentelemetry-spring-boot-starter")
    implementation(enforcedPlatform("io.opentelemetry:opentelemetry-bom:1.40.0"))
    "testImplementation"("io.opentelemetry:opentelemetry-sdk-testing")
}
"""


def test_gradle_groovy_and_kotlin_dsl() -> None:
    assert _libraries("orders/build.gradle", GRADLE) == [
        ("tracing_library", "io.micrometer:micrometer-tracing-bridge-brave", "micrometer", 7),
        ("metrics_library", "io.micrometer:micrometer-registry-prometheus", "micrometer", 8),
    ]
    assert _libraries("orders/build.gradle.kts", GRADLE_KTS) == [
        ("tracing_library", "io.opentelemetry.instrumentation:opentelemetry-spring-boot-starter", "otel", 2),
        ("metrics_library", "io.opentelemetry.instrumentation:opentelemetry-spring-boot-starter", "otel", 2),
    ]


PACKAGE_JSON = """\
{
  "name": "@retail/checkout",
  "version": "1.0.0",
  "dependencies": {
    "@nestjs/core": "^10.0.0",
    "@opentelemetry/api": "^1.9.0",
    "@opentelemetry/sdk-node": "^0.202.0",
    "prom-client": "^15.1.0"
  },
  "devDependencies": {
    "dd-trace": "^5.0.0",
    "@opentelemetry/sdk-trace-base": "^1.25.0"
  }
}
"""


def test_package_json_dependencies_not_dev_dependencies() -> None:
    assert _libraries("src/checkout/package.json", PACKAGE_JSON) == [
        ("tracing_library", "@opentelemetry/sdk-node", "otel", 7),
        ("metrics_library", "prom-client", "prometheus", 8),
    ]
    assert _node("src/checkout/package.json", PACKAGE_JSON).attrs["project"] == "checkout"


def test_python_requirements_pyproject_and_pipfile() -> None:
    requirements = ("# production\n-r base.txt\n--index-url https://pypi.org/simple\nDjango==5.0\n"
                    "opentelemetry-distro[otlp]==0.46b0  # traces\ndjango_prometheus>=2.3 ; python_version>'3.8'\n")
    assert _libraries("shop/requirements/production.txt", requirements) == [
        ("tracing_library", "opentelemetry-distro", "otel", 5),
        ("metrics_library", "django_prometheus", "prometheus", 6),
    ]
    assert _node("shop/requirements/production.txt", requirements).attrs["dir"] == "shop"  # the project, not the folder
    for dev in ("shop/requirements/local.txt", "requirements-dev.txt", "requirements_test.txt"):
        node = _node(dev, "ddtrace==2.0\n")
        assert node.attrs["test"] and node.settings == ()
    pyproject = ('[project]\nname = "billing"\ndependencies = [\n  "fastapi>=0.110",\n  "ddtrace>=2.8",\n]\n'
                 '[tool.poetry.group.dev.dependencies]\nsentry-sdk = "*"\nnewrelic = "*"\n')
    assert _libraries("billing/pyproject.toml", pyproject) == [("tracing_library", "ddtrace", "datadog", 5),
                                                               ("metrics_library", "ddtrace", "datadog", 5)]
    poetry = ('[tool.poetry]\nname = "api"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
              'prometheus-fastapi-instrumentator = "^7"\n[tool.poetry.group.test.dependencies]\n'
              'opentelemetry-sdk = "*"\n')
    assert _libraries("api/pyproject.toml", poetry) == [
        ("metrics_library", "prometheus-fastapi-instrumentator", "prometheus", 5)]
    pipfile = '[packages]\nflask = "*"\nelastic-apm = {extras = ["flask"]}\n[dev-packages]\nopentelemetry-sdk = "*"\n'
    assert _libraries("Pipfile", pipfile) == [("tracing_library", "elastic-apm", "elastic-apm", 3),
                                              ("metrics_library", "elastic-apm", "elastic-apm", 3)]
    assert buildfiles.parse("pyproject.toml", "[project\nname=").diagnostics  # broken TOML: a warning, no crash


GO_MOD = """\
module github.com/acme/hotel/v2

go 1.22

require (
	go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc v0.67.0
	go.opentelemetry.io/otel v1.42.0
	go.opentelemetry.io/otel/sdk v1.42.0 // traces
	google.golang.org/grpc v1.64.0
)

require github.com/prometheus/client_golang v1.20.5

require (
	go.opentelemetry.io/otel/metric v1.42.0 // indirect
	go.opentelemetry.io/otel/sdk/metric v1.42.0 // indirect
	github.com/DataDog/dd-trace-go/v2 v2.0.0 // indirect
)
"""


def test_go_mod_direct_requirements_only() -> None:
    assert _libraries("go.mod", GO_MOD) == [
        ("tracing_library", "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", "otel", 6),
        ("tracing_library", "go.opentelemetry.io/otel/sdk", "otel", 8),
        ("metrics_library", "github.com/prometheus/client_golang", "prometheus", 12),
    ]
    assert _node("go.mod", GO_MOD).attrs["project"] == "hotel"  # the module path's last element, /v2 dropped
    assert _node("go.mod", GO_MOD).attrs["module"] == "github.com/acme/hotel/v2"  # the prefix of its import paths


def test_composer_csproj_and_gemfile() -> None:
    composer = ('{"name": "acme/storefront", "require": {"php": ">=8.2", "open-telemetry/sdk": "^1.0"},\n'
                ' "require-dev": {"promphp/prometheus_client_php": "^2.0"}}\n')
    assert _libraries("composer.json", composer) == [("tracing_library", "open-telemetry/sdk", "otel", 1)]
    csproj = """\
<Project Sdk="Microsoft.NET.Sdk.Web">
  <ItemGroup>
    <PackageReference Include="Microsoft.ApplicationInsights.AspNetCore" Version="2.22.0" />
    <PackageReference Include="Microsoft.ApplicationInsights.Kubernetes" Version="6.1.1" />
    <PackageReference Include="prometheus-net.AspNetCore" Version="8.2.1" />
    <PackageReference Include="OpenTelemetry.Api" Version="1.9.0" />
  </ItemGroup>
</Project>
"""
    assert _libraries("src/Services/Basket/Basket.API/Basket.API.csproj", csproj) == [
        ("tracing_library", "Microsoft.ApplicationInsights.AspNetCore", "applicationinsights", 3),
        ("metrics_library", "Microsoft.ApplicationInsights.AspNetCore", "applicationinsights", 3),
        ("metrics_library", "prometheus-net.AspNetCore", "prometheus", 5),
    ]
    assert _node("src/Services/Basket/Basket.API/Basket.API.csproj", csproj).attrs["project"] == "Basket.API"
    test_project = csproj.replace('<PackageReference Include="OpenTelemetry.Api"',
                                  '<PackageReference Include="Microsoft.NET.Test.Sdk"')
    for path, text in (("src/Basket.UnitTests/Basket.UnitTests.csproj", csproj), ("src/Basket/Basket.csproj",
                                                                                   test_project)):
        node = _node(path, text)
        assert node.attrs["test"] and node.settings == ()
    gemfile = """\
source "https://rubygems.org"
gem "rails", "~> 7.1"
gem 'newrelic_rpm'
platforms :jruby do
  gem "activerecord-jdbc-adapter"
end
group :development, :test do
  gem "ddtrace"
end
gem "prometheus_exporter", group: :test
gem "yabeda-prometheus"
"""
    assert _libraries("Gemfile", gemfile) == [("tracing_library", "newrelic_rpm", "newrelic", 3),
                                              ("metrics_library", "newrelic_rpm", "newrelic", 3),
                                              ("metrics_library", "yabeda-prometheus", "prometheus", 11)]


DOCKERFILE = """\
FROM maven:3.9-eclipse-temurin-21 AS build
ENV OTEL_SERVICE_NAME=builder
COPY . /src
RUN mvn -q package

FROM eclipse-temurin:21-jre
ADD https://example.com/releases/opentelemetry-javaagent.jar /otel.jar
ENV JAVA_TOOL_OPTIONS="-javaagent:/otel.jar" \\
    OTEL_METRICS_EXPORTER=prometheus
COPY --from=build /src/target/app.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
"""


def test_dockerfile_final_stage_env_entrypoint_and_agent_base_image() -> None:
    node = _node("orders/Dockerfile", DOCKERFILE)
    assert node.attrs["base_image"] == "eclipse-temurin:21-jre"
    assert [(s.topic, s.key, s.value, s.location.line) for s in node.settings] == [
        ("tracing", "JAVA_TOOL_OPTIONS", "otel", 8),
        ("metrics", "OTEL_METRICS_EXPORTER", "otel", 8),
    ]
    skywalking = "FROM openjdk:17\nCMD java -javaagent:/skywalking/agent/skywalking-agent.jar -jar app.jar\n"
    assert [(s.key, s.value, s.location.line) for s in _node("Dockerfile", skywalking).settings] == [
        ("CMD", "skywalking", 2)]
    init = "FROM ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.1.0\n"
    assert [(s.key, s.value) for s in _node("agent/Dockerfile", init).settings] == [("FROM", "otel")]
    assert _node("Dockerfile", "FROM python:3.12\nCMD gunicorn app:app\n").settings == ()


def test_telemetry_knowledge_lookups() -> None:
    assert telemetry.library("maven", "io.opentelemetry:opentelemetry-api") == telemetry.Signals()  # API only
    assert telemetry.library("maven", "io.opentelemetry:opentelemetry-sdk-metrics").metrics == "otel"
    assert telemetry.library("go", "go.opentelemetry.io/otel/sdk/metric").tracing is None
    assert telemetry.library("nuget", "opentelemetry").tracing == "otel"
    assert telemetry.library("npm", "x" * 10_000) == telemetry.Signals()
    assert telemetry.agent_env("INSTANA_AGENT_HOST") == "instana"
    assert telemetry.agent_env("ApplicationInsights__ConnectionString") == "applicationinsights"
    assert telemetry.agent_env("DATABASE_URL") is None
    switch = telemetry.tracing_switch
    assert switch("ENABLE_TRACING", "1") == "custom" and switch("orders.tracing-enabled", "false") is False
    assert switch("TRACING_ENDPOINT", "http://jaeger:14268/api/traces") == "custom"
    assert switch("TRACING_SAMPLE_RATE", "0") is False and switch("TRACING_ENDPOINT", "${ENDPOINT}") is None
    assert switch("INSTANA_DISABLE", "true") is False and switch("DATABASE_URL", "postgres://db") is None


def test_discovery_kinds() -> None:
    for path in ("pom.xml", "svc/build.gradle.kts", "web/package.json", "requirements.txt", "app/requirements/base.txt",
                 "pyproject.toml", "Pipfile", "go.mod", "composer.json", "src/Api/Api.csproj", "Gemfile",
                 "Directory.Build.props", "api/Dockerfile", "api/Dockerfile.prod", "web.dockerfile"):
        assert kind_by_name(path) == "buildfile", path
    for path in ("newrelic.yml", "orders/applicationinsights.json", "jaeger-config.yaml"):
        assert kind_by_name(path) == "telemetry", path
    for path in ("notes.txt", "docs/requirements.md", "tsconfig.json", "dockerfiles.md"):
        assert kind_by_name(path) is None, path
    assert kind_by_content("monitoring/prometheus.yml", "global:\n  scrape_interval: 15s\nscrape_configs: []\n") == \
        "telemetry"
    collector = "receivers:\n  otlp: {}\nexporters:\n  debug: {}\nservice:\n  pipelines: {}\n"
    assert kind_by_content("otel-collector-config.yml", collector) == "telemetry"
    assert kind_by_content("mkdocs.yml", "site_name: x\n") == "unknown"


# -- which service a build file belongs to ----------------------------------------------------------------------

ESHOP_LIKE = {
    "src/docker-compose.yml": """\
services:
  basket-api:
    image: eshop/basket.api:linux-latest
    build:
      context: .
      dockerfile: Services/Basket/Basket.API/Dockerfile
  catalog-api:
    image: eshop/catalog.api:linux-latest
    build:
      context: .
      dockerfile: Services/Catalog/Catalog.API/Dockerfile
""",
    "src/Services/Basket/Basket.API/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:7.0\n",
    "src/Services/Basket/Basket.API/Basket.API.csproj": """\
<Project Sdk="Microsoft.NET.Sdk.Web">
  <ItemGroup>
    <PackageReference Include="Microsoft.ApplicationInsights.AspNetCore" Version="2.21.0" />
  </ItemGroup>
</Project>
""",
    "src/Services/Catalog/Catalog.API/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:7.0\n",
    "src/Services/Catalog/Catalog.API/Catalog.API.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
    "src/Services/Catalog/Catalog.UnitTests/Catalog.UnitTests.csproj": """\
<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="OpenTelemetry" Version="1.9.0" />
  </ItemGroup>
</Project>
""",
}


def _configures(root: Path) -> set[tuple[str, str, str]]:
    graph = scan(root).graph
    return {(edge.source, edge.target, edge.attrs.get("via", "")) for _, _, edge in graph.edges(data="edge")
            if edge.kind == "configures" and edge.source.startswith(("buildfile:", "telemetry:"))}


def test_one_build_context_many_dockerfiles_each_project_to_its_own_service(tmp_path: Path) -> None:
    """eShop builds every service from `src` with a Dockerfile per project: a project file belongs to the
    service whose Dockerfile sits in its directory, not to every service built from the context; a test project
    belongs to none, and a project that declares no telemetry is not attached."""
    root = write_repo(tmp_path, ESHOP_LIKE)
    assert _configures(root) == {
        ("buildfile:nuget:src/Services/Basket/Basket.API/Basket.API.csproj", "compose:service:src/basket-api",
         "dockerfile_dir")}
    graph = scan(root).graph
    basket = graph.nodes["compose:service:src/basket-api"]["node"]
    assert [(s.topic, s.value, s.location.path, s.location.line) for s in basket.settings
            if s.topic.endswith("_library")] == [
        ("tracing_library", "applicationinsights", "src/Services/Basket/Basket.API/Basket.API.csproj", 3),
        ("metrics_library", "applicationinsights", "src/Services/Basket/Basket.API/Basket.API.csproj", 3)]


def test_a_root_module_belongs_to_every_service_built_from_it(tmp_path: Path) -> None:
    """go-micro-services: one go.mod and Dockerfile at the root, five services `build: .`."""
    compose = "services:\n" + "".join(f"  {name}:\n    build: .\n    entrypoint: hotel {name}\n"
                                      for name in ("frontend", "search", "geo"))
    compose += "  jaeger:\n    image: jaegertracing/all-in-one:1.57\n"
    root = write_repo(tmp_path, {"docker-compose.yml": compose, "go.mod": GO_MOD, "Dockerfile": "FROM golang:1.22\n"})
    assert _configures(root) == {("buildfile:go:go.mod", f"compose:service:./{name}", "build_context")
                                 for name in ("frontend", "search", "geo")}


def test_parent_pom_between_dockerfile_and_context_and_named_deployments(tmp_path: Path) -> None:
    """A Maven multi-module build: the parent pom's dependencies reach every module built inside its context;
    services deployed from an image (compose `image:`, a Kubernetes Deployment) get the module named like them."""
    parent = POM.replace("<artifactId>employee-service</artifactId>\n", "<artifactId>parent</artifactId>\n", 1)
    department = POM.replace("employee-service", "department-service")
    root = write_repo(tmp_path, {
        "docker-compose.yml": """\
services:
  employee-service:
    build:
      context: .
      dockerfile: employee-service/Dockerfile
  department:
    image: piomin/department-service:1.2-SNAPSHOT
""",
        "pom.xml": parent, "employee-service/pom.xml": POM, "employee-service/Dockerfile": "FROM eclipse-temurin:21\n",
        "department-service/pom.xml": department,
        "k8s/employee.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: employee-service
spec:
  selector:
    matchLabels: {app: employee}
  template:
    metadata:
      labels: {app: employee}
    spec:
      containers:
        - name: app
          image: registry.example.com/employee-service:1.2
""",
    })
    assert _configures(root) == {
        ("buildfile:maven:pom.xml", "compose:service:./employee-service", "build_context"),
        ("buildfile:maven:employee-service/pom.xml", "compose:service:./employee-service", "dockerfile_dir"),
        ("buildfile:maven:employee-service/pom.xml", "kubernetes:Deployment:default/employee-service", "name"),
        ("buildfile:maven:department-service/pom.xml", "compose:service:./department", "name"),
    }


def test_build_file_next_to_app_config_joins_its_implied_service(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "payments/src/main/resources/application.yml": ("spring:\n  application:\n    name: payments\n  datasource:\n"
                                                        "    url: jdbc:postgresql://payments-db:5432/payments\n"),
        "payments/pom.xml": POM,
    })
    assert _configures(root) == {("buildfile:maven:payments/pom.xml", "appconfig:service:payments/payments",
                                  "directory")}


def test_tracer_config_file_in_the_build_directory_or_mounted(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": """\
services:
  api:
    build: ./api
  worker:
    image: acme/worker:1.0
    volumes:
      - ./ops/newrelic:/etc/newrelic:ro
""",
        "api/newrelic.yml": "common: &default_settings\n  app_name: api\n",
        "ops/newrelic/newrelic.ini": "[newrelic]\napp_name = worker\n",
    })
    assert _configures(root) == {
        ("telemetry:tracer-config:api/newrelic.yml", "compose:service:./api", "build_context"),
        ("telemetry:tracer-config:ops/newrelic/newrelic.ini", "compose:service:./worker", "bind_mount"),
    }


def test_scrape_configs_become_scrapes_edges(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": """\
services:
  orders:
    build: ./orders
  billing:
    build: ./billing
  prometheus:
    image: prom/prometheus:v2.53.0
    volumes:
      - ./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro
""",
        "monitoring/prometheus.yml": """\
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: orders
    metrics_path: /actuator/prometheus
    static_configs:
      - targets: ["orders:8080", "localhost:9090"]
  - job_name: node
    static_configs:
      - targets: ["node-exporter:9100"]
""",
        "k8s/monitoring.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: prometheus
  namespace: shop
data:
  prometheus.yml: |
    scrape_configs:
      - job_name: cart
        static_configs:
          - targets: ['cart.shop.svc:8080']
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector: {app: cart}
  ports:
    - port: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
        - name: cart
          image: ghcr.io/acme/cart:1.0
""",
    })
    graph = scan(root).graph
    scrapes = {(e.source, e.target, e.location.path, e.location.line, e.attrs["job"])
               for _, _, e in graph.edges(data="edge") if e.kind == "scrapes"}
    assert scrapes == {
        ("telemetry:prometheus:monitoring/prometheus.yml", "compose:service:./orders", "monitoring/prometheus.yml", 7,
         "orders"),
        ("kubernetes:ConfigMap:shop/prometheus", "kubernetes:Deployment:shop/cart", "k8s/monitoring.yaml", 11, "cart"),
    }
    assert not [n for n in graph.nodes if "node-exporter" in n]  # a target that names nothing is dropped


def test_otel_collector_prometheus_receiver_targets() -> None:
    collector = """\
receivers:
  otlp:
    protocols: {grpc: {}}
  prometheus/apps:
    config:
      scrape_configs:
        - job_name: checkout
          static_configs:
            - targets: [checkout:9464]
exporters:
  otlphttp: {endpoint: "http://tempo:4318"}
service:
  pipelines:
    metrics: {receivers: [prometheus/apps], exporters: [otlphttp]}
"""
    (node,) = telemetry.parse("otel-collector-config.yml", collector).nodes
    assert node.type == "otel-collector"
    assert [(s.key, s.value, s.location.line) for s in node.settings] == [("checkout", "checkout:9464", 9)]


def test_discovered_build_files_are_audited(tmp_path: Path) -> None:
    write_repo(tmp_path, {"orders/pom.xml": POM, "orders/Dockerfile": DOCKERFILE,
                          "prometheus.yml": "scrape_configs: []\n", "orders/notes.txt": "x\n"})
    inventory = discover(tmp_path)
    assert sorted((f.path, f.kind) for f in inventory.files) == [
        ("orders/Dockerfile", "buildfile"), ("orders/pom.xml", "buildfile"), ("prometheus.yml", "telemetry")]


def test_a_project_name_that_is_no_string_is_no_name() -> None:
    # `name = 0xfff…` (3,572 digits) made str() raise past Python's 4,300-digit limit: the file was reported
    # unreadable (found by fuzzing).
    facts = buildfiles.parse("api/pyproject.toml", "[project]\nname = 0x" + "f" * 3572 + "\ndependencies = ['redis']\n")
    assert facts.diagnostics == () and [node.attrs["project"] for node in facts.nodes] == [""]
