"""OBS001/OBS002/OBS003 on the evidence repositories show: libraries, switches, agents, mesh routes, scrapes.

Each fixture is a small version of a real layout (a Spring service with a Micrometer registry and an OTel
starter switched off by default, a .NET service configured by env, an Istio namespace injected outside the
repository, a compose stack with a Prometheus container).
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_repo

from auditor.audit import audit, load_all_rules

RULES = {rule.id: rule for rule in load_all_rules()}


def _findings(root: Path, *rule_ids: str) -> set[tuple[str, str, int]]:
    result = audit(root, rules=[RULES[r] for r in rule_ids])
    return {(f.rule_id, f.location.path, f.location.line) for f in result.findings}


def _messages(root: Path, rule_id: str) -> list[str]:
    return [f.message for f in audit(root, rules=[RULES[rule_id]]).findings]


CART_POM = """\
<project>
  <artifactId>cart</artifactId>
  <dependencies>
    <dependency>
      <groupId>io.micrometer</groupId>
      <artifactId>micrometer-registry-prometheus</artifactId>
    </dependency>
    <dependency>
      <groupId>io.opentelemetry.instrumentation</groupId>
      <artifactId>opentelemetry-spring-boot-starter</artifactId>
    </dependency>
  </dependencies>
</project>
"""


def test_a_library_that_configuration_switches_off_is_not_tracing(tmp_path: Path) -> None:
    """retail-store's cart: the OTel starter is declared but `otel.sdk.disabled: true`; the Micrometer
    Prometheus registry is another system, so metrics stay on."""
    root = write_repo(tmp_path, {
        # ui (traced by its env) calls cart: a request crosses the two, so cart is asked for tracing.
        "cart/docker-compose.yml": "services:\n  cart:\n    build:\n      context: .\n"
                                   "  ui:\n    build: ../ui\n    environment:\n      CART_URL: http://cart:8080\n"
                                   "      OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4317\n",
        "cart/pom.xml": CART_POM,
        "cart/src/main/resources/application.yml": "otel:\n  sdk:\n    disabled: true\n",
    })
    assert _findings(root, "OBS001", "OBS003") == {("OBS001", "cart/src/main/resources/application.yml", 3),
                                                  ("OBS003", "cart/docker-compose.yml", 5)}  # ui's, not cart's
    assert _messages(root, "OBS001") == ["`cart` turns tracing off (`otel.sdk.disabled`); its requests leave no trace "
                                         "spans, so latency across services cannot be followed through it"]


def test_the_library_is_named_when_a_traced_service_calls_an_untraced_one(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": """\
services:
  ui:
    build: ./ui
    environment:
      CART_URL: http://cart:8080
  cart:
    build: ./cart
""",
        "ui/go.mod": "module example.com/ui\n\nrequire go.opentelemetry.io/otel/sdk v1.42.0\n",
        "cart/package.json": '{"name": "cart", "dependencies": {"express": "^4"}}\n',
    })
    assert _findings(root, "OBS001", "OBS002") == {("OBS001", "docker-compose.yml", 6),
                                                  ("OBS002", "docker-compose.yml", 5)}
    assert _messages(root, "OBS002") == [
        "`ui` is traced (otel (go.opentelemetry.io/otel/sdk in go.mod)) but calls `cart`, which is not: every trace "
        "through this call ends at the boundary"]


def test_application_switches_and_agents_set_by_environment(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": """\
services:
  hotel:
    build: ./hotel
    environment:
      ENABLE_TRACING: "1"
      JAEGER_AGENT_ENDPOINT: jaeger:6831
  basket:
    build: ./basket
    environment:
      - ApplicationInsights__ConnectionString=${APPINSIGHTS_CONNECTION}
  orders:
    build: ./orders
    environment:
      ORDERS_TRACING_ENABLED: "false"
""",
        "k8s/search.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: search
spec:
  selector:
    matchLabels: {app: search}
  template:
    metadata:
      labels: {app: search}
    spec:
      containers:
        - name: search
          image: ghcr.io/acme/search:2.0
          env:
            - name: INSTANA_AGENT_HOST
              valueFrom:
                fieldRef: {fieldPath: status.hostIP}
""",
    })
    assert _findings(root, "OBS001") == {("OBS001", "docker-compose.yml", 14)}  # orders turns its switch off


ISTIO_ROUTES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews
  namespace: bookinfo
spec:
  selector:
    matchLabels: {app: reviews}
  template:
    metadata:
      labels: {app: reviews}
    spec:
      containers:
        - name: reviews
          image: docker.io/acme/reviews:1.20
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: bookinfo
spec:
  selector: {app: reviews}
  ports:
    - port: 9080
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
  namespace: bookinfo
spec:
  host: reviews
  subsets:
    - name: v1
      labels: {version: v1}
"""


def test_mesh_routing_objects_imply_the_mesh_when_injection_is_decided_elsewhere(tmp_path: Path) -> None:
    """bookinfo-style manifests: the namespace is labelled for injection by the installer, not in the repo;
    a DestinationRule for `reviews` only acts inside the mesh."""
    root = write_repo(tmp_path, {"k8s/reviews.yaml": ISTIO_ROUTES})
    assert _findings(root, "OBS001", "OBS003") == set()


def test_no_mesh_is_inferred_where_the_repository_opts_pods_in_one_by_one(tmp_path: Path) -> None:
    opted_in = ISTIO_ROUTES.replace("kind: Service\n", "kind: Service\n", 1) + """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: productpage
  namespace: bookinfo
spec:
  selector:
    matchLabels: {app: productpage}
  template:
    metadata:
      labels: {app: productpage}
      annotations:
        sidecar.istio.io/inject: "true"
    spec:
      containers:
        - name: productpage
          image: docker.io/acme/productpage:1.20
"""
    root = write_repo(tmp_path, {"k8s/reviews.yaml": opted_in})
    assert _findings(root, "OBS001") == {("OBS001", "k8s/reviews.yaml", 4)}  # reviews: no opt-in, no sidecar
    gateway_only = ISTIO_ROUTES.split("---\napiVersion: networking")[0] + """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: productpage
  namespace: bookinfo
spec:
  selector:
    matchLabels: {app: productpage}
  template:
    metadata:
      labels: {app: productpage}
      annotations:
        sidecar.istio.io/inject: "true"
    spec:
      containers:
        - name: productpage
          image: docker.io/acme/productpage:1.20
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: ["reviews.example.com"]
  gateways: [bookinfo-gateway]
  http:
    - route:
        - destination: {host: reviews}
"""
    root = write_repo(tmp_path / "gateway", {"k8s/reviews.yaml": gateway_only})
    assert _findings(root, "OBS001") == {("OBS001", "k8s/reviews.yaml", 4)}  # routed from the ingress gateway only


def test_a_scrape_config_is_the_metrics_fix(tmp_path: Path) -> None:
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
      - ./prometheus:/etc/prometheus:ro
""",
        "prometheus/prometheus.yml": "scrape_configs:\n  - job_name: orders\n    static_configs:\n"
                                     "      - targets: ['orders:8080']\n",
    })
    assert _findings(root, "OBS003") == {("OBS003", "docker-compose.yml", 4)}  # billing is scraped by nothing


def test_a_dockerfile_agent_traces_the_service_built_from_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  orders:\n    build:\n      context: ./orders\n"
                              "      dockerfile: docker/Dockerfile.prod\n  billing:\n    build: ./billing\n",
        "orders/docker/Dockerfile.prod": "FROM eclipse-temurin:21-jre\nCOPY agent/dd-java-agent.jar /dd.jar\n"
                                         'ENTRYPOINT ["java", "-javaagent:/dd.jar", "-jar", "/app.jar"]\n',
        "orders/Dockerfile": "FROM eclipse-temurin:21-jre\n",
        "billing/Dockerfile.debug": 'FROM python:3.12\nCMD ["ddtrace-run", "gunicorn", "app:app"]\n',
    })
    # orders runs under the Datadog agent; billing builds from its default Dockerfile (absent), not the debug one
    assert _findings(root, "OBS001") == {("OBS001", "docker-compose.yml", 6)}


def test_a_dapr_sidecar_traces_when_a_dapr_configuration_exports_traces(tmp_path: Path) -> None:
    compose = ("services:\n"
               "  basket:\n    build: ./basket\n    environment: [ORDERS_URL=http://orders:80]\n"
               "  basket-dapr:\n    image: daprio/daprd:1.9.4\n    network_mode: service:basket\n"
               "  orders:\n    build: ./orders\n")
    config = ("apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {{name: config}}\nspec:\n"
              "  tracing:\n    samplingRate: \"{rate}\"\n    zipkin: {{endpointAddress: 'http://zipkin:9411'}}\n")
    traced = write_repo(tmp_path / "traced", {"docker-compose.yml": compose,
                                              "dapr/config.yaml": config.format(rate="1")})
    untraced = write_repo(tmp_path / "untraced", {"docker-compose.yml": compose,
                                                  "dapr/config.yaml": config.format(rate="0")})

    def without(root: Path) -> set[str]:
        return {f.message.split("`")[1] for f in audit(root).findings if f.rule_id == "OBS001"}

    assert without(traced) == {"orders"}
    assert without(untraced) == {"basket", "orders"}
