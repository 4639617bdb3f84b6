"""The docker-compose parser, on the fixture repos and on small inline files: ids, kinds, lines, edges."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from auditor.model import Edge, Facts, Location, Node, host_ref, node_id
from auditor.parsers import appconfig, compose

SHOP = FIXTURES / "compose-shop"
LEGACY = FIXTURES / "compose-v2-legacy"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def line_of(text: str, needle: str, after: str | None = None, starts: bool = False) -> int:
    """The 1-based line holding `needle` (the first one after the line holding `after`, when given;
    with `starts`, the line must begin with `needle`)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith(needle) if starts else needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def sid(name: str, scope: str = ".") -> str:
    return node_id("compose", "service", name, scope=scope)


def nodes(facts: Facts) -> dict[str, Node]:
    return {node.name: node for node in facts.nodes}


def edges(facts: Facts, source: str, kind: str) -> dict[str, Edge]:
    return {edge.target: edge for edge in facts.edges if edge.source == sid(source) and edge.kind == kind}


def parse_inline(text: str, path: str = "docker-compose.yml") -> Facts:
    return compose.parse(path, textwrap.dedent(text))


@pytest.fixture(scope="module")
def shop_text() -> str:
    return read(SHOP / "docker-compose.yml")


@pytest.fixture(scope="module")
def shop(shop_text: str) -> Facts:
    return compose.parse("docker-compose.yml", shop_text)


@pytest.fixture(scope="module")
def legacy_text() -> str:
    return read(LEGACY / "docker-compose.yml")


@pytest.fixture(scope="module")
def legacy(legacy_text: str) -> Facts:
    return compose.parse("docker-compose.yml", legacy_text)


# --- classification ----------------------------------------------------------------------------------------


def test_looks_like_compose_on_fixtures_and_lookalikes() -> None:
    for path in (SHOP / "docker-compose.yml", SHOP / "docker-compose.override.yml", LEGACY / "docker-compose.yml"):
        assert compose.looks_like_compose(yaml.safe_load(read(path))), path
    gitlab_ci = {"services": ["postgres:16"], "test": {"script": ["pytest"]}}
    kubernetes = {"apiVersion": "v1", "kind": "Service", "services": {"a": {"image": "x"}}}
    assert not compose.looks_like_compose(gitlab_ci)
    assert not compose.looks_like_compose(kubernetes)
    assert not compose.looks_like_compose({"services": {}})
    assert not compose.looks_like_compose({"services": {"a": {"memory": 3072}}})
    assert not compose.looks_like_compose(["services"])
    assert not compose.looks_like_compose(None)


# --- nodes -------------------------------------------------------------------------------------------------


def test_shop_nodes_ids_kinds_and_lines(shop: Facts, shop_text: str) -> None:
    assert shop.kind == "compose"
    assert shop.diagnostics == ()
    found = nodes(shop)
    expected = {
        "web": ("service", None), "api": ("service", None), "orders": ("service", None),
        "payments": ("service", None), "db": ("datastore", "postgres"), "cache": ("cache", "redis"),
        "rabbitmq": ("queue", "rabbitmq"),
    }
    assert {name: (node.kind, node.attrs.get("engine")) for name, node in found.items()} == expected
    for name, node in found.items():
        assert node.id == sid(name)
        assert (node.source, node.type) == ("compose", "service")
        assert node.location.path == "docker-compose.yml"
        assert node.location.line == line_of(shop_text, f"  {name}:", starts=True)
    api = found["api"]
    assert api.location.end_line == line_of(shop_text, "restart: unless-stopped", after="  api:")
    assert found["rabbitmq"].location.end_line == line_of(shop_text, "interval: 10s", after="  rabbitmq:")


def test_shop_service_attributes(shop: Facts, shop_text: str) -> None:
    found = nodes(shop)
    api, web, db, cache = found["api"], found["web"], found["db"], found["cache"]
    assert api.attrs["build_context"] == "services/api"
    assert api.attrs["dockerfile"] == "Dockerfile"
    assert web.attrs["build_context"] == "web"
    assert api.attrs["replicas"] == 3
    assert api.evidence["replicas"].line == line_of(shop_text, "replicas: 3")
    assert web.attrs["replicas"] == 1
    assert "replicas" not in web.evidence  # a default: there is no line that states it
    assert api.attrs["limits"] == {"cpu": "1.0", "memory": "512M"}
    assert api.attrs["requests"] == {"cpu": "0.25", "memory": "256M"}
    assert api.evidence["limits"].line == line_of(shop_text, "limits:", after="  api:")
    assert api.attrs["containers"] == [{
        "name": "api", "image": "shop/api:latest", "ports": [8000], "requests": api.attrs["requests"],
        "limits": api.attrs["limits"], "readiness": True, "liveness": True,
    }]
    assert (api.attrs["healthcheck"], api.attrs["healthcheck_source"]) == (True, "compose")
    assert api.evidence["healthcheck"].line == line_of(shop_text, "healthcheck:", after="  api:")
    assert (web.attrs["healthcheck"], web.attrs["healthcheck_source"]) == (None, "image")
    assert api.attrs["restart"] == "unless-stopped"
    assert api.attrs["ports"] == [8000] and api.attrs["published_ports"] == [8000]
    assert found["orders"].attrs["ports"] == [8080]  # `expose`
    assert "published_ports" not in found["orders"].attrs
    assert found["rabbitmq"].attrs["published_ports"] == [5672, 15672]
    assert api.attrs["logging_driver"] == "json-file"  # from the x-logging anchor
    assert db.attrs["max_connections"] == 200
    assert db.evidence["max_connections"].line == line_of(shop_text, "max_connections=200")
    assert db.attrs["env_keys"] == ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"]
    assert cache.attrs["command"] == "redis-server --appendonly yes --requirepass ***"


def test_interpolation_defaults(shop: Facts) -> None:
    web = nodes(shop)["web"]
    assert web.attrs["image"] == "shop/web:latest"
    assert web.attrs["published_ports"] == [3000]
    assert compose._interpolate("${A:-x}/${B-y}/${C}/${D:?required}/$E") == "x/y/${C}/${D:?required}/$E"
    assert compose._interpolate("${URL:-redis://${HOST:-cache}:6379}") == "redis://cache:6379"
    assert compose._interpolate("$${NOT_A_VAR:-x}") == "$${NOT_A_VAR:-x}"  # escaped: left for compose


def test_volumes_bind_named_tmpfs(shop: Facts, shop_text: str) -> None:
    found = nodes(shop)
    api_volumes = found["api"].attrs["volumes"]
    assert api_volumes[0] == {
        "name": None, "type": "bind", "mount_path": "/app/uploads", "source": "./uploads", "read_only": False,
        "line": line_of(shop_text, "./uploads:/app/uploads"), "repo_path": "uploads",
    }
    assert (api_volumes[1]["type"], api_volumes[1]["mount_path"]) == ("tmpfs", "/tmp")
    db_volume = found["db"].attrs["volumes"][0]
    assert (db_volume["type"], db_volume["name"], db_volume["mount_path"]) == (
        "named", "pgdata", "/var/lib/postgresql/data")
    assert found["web"].attrs["volumes"] == []


def test_environment_keys_include_merge_keys_and_empty_values(shop: Facts) -> None:
    api = nodes(shop)["api"]
    assert api.attrs["env_keys"] == [
        "LOG_LEVEL", "SESSION_STORE", "DATABASE_URL", "REDIS_URL", "ORDERS_URL", "PAYMENTS_URL",
        "GUNICORN_WORKERS", "FEATURE_RECOMMENDATIONS", "SENTRY_DSN",
    ]
    assert nodes(shop)["payments"].attrs["env_keys"] == ["ORDERS_URL", "RABBITMQ_URL", "STRIPE_API_KEY"]


# --- edges -------------------------------------------------------------------------------------------------


def test_depends_on_list_and_map_forms(shop: Facts, shop_text: str) -> None:
    web = edges(shop, "web", "depends_on")
    assert set(web) == {sid("api")}
    assert web[sid("api")].location.line == line_of(shop_text, "- api", after="  web:")
    api = edges(shop, "api", "depends_on")
    assert set(api) == {sid("db"), sid("cache")}
    assert api[sid("db")].attrs["condition"] == "service_healthy"
    assert api[sid("db")].location.line == line_of(shop_text, "      db:", after="  api:")
    assert api[sid("cache")].attrs["condition"] == "service_started"
    orders = edges(shop, "orders", "depends_on")
    assert set(orders) == {sid("db"), sid("rabbitmq")}
    assert orders[sid("rabbitmq")].location.line == line_of(shop_text, "- rabbitmq", after="  orders:")
    assert "condition" not in orders[sid("db")].attrs


def test_env_file_configures_edges(shop: Facts, shop_text: str) -> None:
    configures = {edge.source: edge for edge in shop.edges if edge.kind == "configures"}
    assert set(configures) == {
        node_id("appconfig", "config", "services/api/api.env"),
        node_id("appconfig", "config", "services/orders/.env"),
        node_id("appconfig", "config", "services/payments/payments.env"),
    }
    api_env = configures[node_id("appconfig", "config", "services/api/api.env")]
    assert api_env.target == sid("api")
    assert api_env.location.line == line_of(shop_text, "- ./services/api/api.env")
    payments_env = configures[node_id("appconfig", "config", "services/payments/payments.env")]
    assert payments_env.attrs["required"] is False
    assert payments_env.location.line == line_of(shop_text, "- path: ./services/payments/payments.env")
    assert nodes(shop)["orders"].attrs["env_files"] == ["services/orders/.env"]


def test_paths_are_normalised_relative_to_the_compose_directory() -> None:
    facts = parse_inline(
        """\
        services:
          api:
            build:
              context: ../services/api
            env_file: ../config/api.env
            volumes:
              - ../data/uploads:/uploads
              - /var/run/docker.sock:/var/run/docker.sock:ro
        """,
        path="deploy/local/docker-compose.yml",
    )
    (api,) = facts.nodes
    assert api.id == sid("api", scope="deploy/local")
    assert api.attrs["build_context"] == "deploy/services/api"
    assert api.attrs["env_files"] == ["deploy/config/api.env"]
    (edge,) = facts.edges
    assert edge.source == node_id("appconfig", "config", "deploy/config/api.env")
    assert api.attrs["volumes"][0]["repo_path"] == "deploy/data/uploads"
    assert "repo_path" not in api.attrs["volumes"][1] and api.attrs["volumes"][1]["read_only"] is True


def test_environment_links_carry_the_env_line(shop: Facts, shop_text: str) -> None:
    api = edges(shop, "api", "connects_to")
    assert api[host_ref("db")].location.line == line_of(shop_text, "DATABASE_URL", after="  api:")
    assert api[host_ref("db")].attrs["key"] == "DATABASE_URL"
    assert api[host_ref("db")].attrs["target_kind"] == "datastore"
    assert api[host_ref("db")].attrs["port"] == 5432
    assert api[host_ref("cache")].location.line == line_of(shop_text, "REDIS_URL")  # the ${…:-default} value
    calls = edges(shop, "api", "calls")
    assert calls[host_ref("orders")].location.line == line_of(shop_text, "ORDERS_URL", after="  api:")
    assert calls[host_ref("payments")].location.line == line_of(shop_text, "PAYMENTS_URL", after="  api:")
    assert edges(shop, "orders", "connects_to")[host_ref("rabbitmq")].attrs["scheme"] == "amqp"
    assert edges(shop, "payments", "calls")[host_ref("orders")].location.line == line_of(
        shop_text, "- ORDERS_URL=http://orders:8080")
    assert edges(shop, "web", "calls")[host_ref("api")].location.line == line_of(shop_text, "API_URL=")


def test_no_secret_value_anywhere(shop: Facts, legacy: Facts) -> None:
    dumped = repr([(n.attrs, n.evidence, n.settings) for f in (shop, legacy) for n in f.nodes])
    dumped += repr([(e.source, e.target, e.attrs) for f in (shop, legacy) for e in f.edges])
    for secret in ("app:secret", "secret@", "s3cr3t-redis", "guest:guest", "wp-pass", "rootpw", "'secret'"):
        assert secret not in dumped, secret


# --- override files ----------------------------------------------------------------------------------------


def test_override_file_names_the_same_nodes_without_defaults() -> None:
    facts = compose.parse("docker-compose.override.yml", read(SHOP / "docker-compose.override.yml"))
    found = nodes(facts)
    assert found["api"].id == sid("api")
    assert found["api"].attrs["override_file"] is True
    assert "replicas" not in found["api"].attrs and "healthcheck" not in found["api"].attrs
    assert found["api"].attrs["ports"] == [9229]
    assert found["api"].attrs["command"] == "npm run dev"
    assert found["adminer"].attrs["image"] == "adminer:4"
    assert {e.target for e in facts.edges if e.kind == "depends_on"} == {sid("db")}


# --- v2 legacy ---------------------------------------------------------------------------------------------


def test_v2_legacy_links_and_list_environment(legacy: Facts, legacy_text: str) -> None:
    assert legacy.extra["version"] == "2.4"
    assert legacy.diagnostics == ()
    found = nodes(legacy)
    assert {name: node.kind for name, node in found.items()} == {
        "wordpress": "service", "mysql": "datastore", "memcached": "cache"}
    links = edges(legacy, "wordpress", "depends_on")
    assert links[sid("mysql")].attrs == {"via": "links", "alias": "database", "target_defined": True}
    assert links[sid("mysql")].location.line == line_of(legacy_text, "- mysql:database")
    assert links[sid("memcached")].location.line == line_of(legacy_text, "- memcached")
    assert found["mysql"].attrs["aliases"] == ["database"]  # so `database` in a URL resolves to mysql
    wordpress = found["wordpress"]
    assert wordpress.attrs["replicas"] == 2 and wordpress.evidence["replicas"].line == line_of(legacy_text, "scale:")
    assert wordpress.attrs["limits"] == {"cpu": "0.5", "memory": "512m"}
    assert wordpress.attrs["build_context"] == "."
    assert wordpress.attrs["env_keys"] == ["WORDPRESS_DB_HOST", "DATABASE_URL", "MEMCACHED_URL", "WP_CACHE"]
    assert found["mysql"].attrs["max_connections"] == 500
    assert found["mysql"].attrs["engine"] == "mysql"
    assert found["mysql"].attrs["volumes"][0]["driver"] == "local"
    db = edges(legacy, "wordpress", "connects_to")[host_ref("database")]
    assert db.location.line == line_of(legacy_text, "- DATABASE_URL=")


# --- the rest of the spec ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("postgres:16", ("postgres", "datastore")),
        ("docker.io/bitnami/postgresql:15.4.0@sha256:abc", ("postgres", "datastore")),
        ("mariadb:11", ("mariadb", "datastore")),
        ("mongo:7", ("mongo", "datastore")),
        ("mcr.microsoft.com/mssql/server:2022-latest", ("mssql", "datastore")),
        ("valkey/valkey:8", ("valkey", "cache")),
        ("bitnami/kafka:3.7", ("kafka", "queue")),
        ("confluentinc/cp-kafka:7.6.0", ("kafka", "queue")),
        ("nats:2.10", ("nats", "queue")),
        ("docker.elastic.co/elasticsearch/elasticsearch:8.13.0", ("elasticsearch", "datastore")),
        ("quay.io/minio/minio", ("minio", "storage")),
        ("edoburu/pgbouncer:1.22", ("pgbouncer", "proxy")),
        ("localhost:5000/shop/api:1.0", None),
        ("nginx:1.27", None),
    ],
)
def test_engine_of(image: str, expected: tuple[str, str] | None) -> None:
    assert compose.engine_of(image) == expected


def test_pooler_extends_long_syntax_and_flags() -> None:
    text = textwrap.dedent(
        """\
        x-base: &base
          restart: always
          labels:
            team: payments
        services:
          base-worker:
            <<: *base
            image: shop/worker:1.0
            environment:
              QUEUE: default
            deploy:
              mode: global
          worker:
            extends:
              service: base-worker
            environment:
              CONCURRENCY: "8"
          pgbouncer:
            image: bitnami/pgbouncer:1.22
            environment:
              PGBOUNCER_MAX_CLIENT_CONN: 1000
              PGBOUNCER_DEFAULT_POOL_SIZE: "20"
            healthcheck:
              disable: true
          gateway:
            image: traefik:v3.0
            ports:
              - target: 80
                published: "8080"
                protocol: tcp
              - "127.0.0.1:9000-9001:9000-9001/udp"
            volumes:
              - type: bind
                source: ./traefik.yml
                target: /etc/traefik/traefik.yml
                read_only: true
              - /var/lib/anon
            labels:
              - "traefik.http.middlewares.auth.basicauth.users=admin:$$apr1$$H6uskkkW$$IgXLP6ewTrSuBkTrqE8wj/"
              - "traefik.enable=true"
            networks:
              front:
                aliases: [edge]
            command: --api.insecure=true --providers.docker --log.level=INFO --db-password=hunter2
        """
    )
    facts = compose.parse("docker-compose.yml", text)
    assert facts.diagnostics == ()
    found = nodes(facts)
    assert found["base-worker"].attrs["replicas"] is None and found["base-worker"].attrs["deploy_mode"] == "global"
    worker = found["worker"]
    assert worker.attrs["restart"] == "always" and worker.attrs["labels"] == {"team": "payments"}
    assert worker.attrs["env_keys"] == ["QUEUE", "CONCURRENCY"]
    assert worker.attrs["image"] == "shop/worker:1.0" and worker.attrs["replicas"] is None
    assert worker.attrs["extends"] == {"service": "base-worker"}
    assert worker.evidence["image"].line == line_of(text, "image: shop/worker")
    pooler = found["pgbouncer"]
    assert (pooler.kind, pooler.attrs["engine"]) == ("proxy", "pgbouncer")
    assert (pooler.attrs["max_client_conn"], pooler.attrs["pool_size"]) == (1000, 20)
    assert pooler.evidence["max_client_conn"].line == line_of(text, "PGBOUNCER_MAX_CLIENT_CONN")
    assert (pooler.attrs["healthcheck"], pooler.attrs["healthcheck_source"]) == (False, "disabled")
    gateway = found["gateway"]
    assert gateway.kind == "service"
    assert gateway.attrs["ports"] == [80, 9000, 9001]
    assert gateway.attrs["published_ports"] == [8080, 9000, 9001]
    bind, anonymous = gateway.attrs["volumes"]
    assert (bind["type"], bind["repo_path"], bind["read_only"]) == ("bind", "traefik.yml", True)
    assert (anonymous["type"], anonymous["anonymous"], anonymous["mount_path"]) == ("named", True, "/var/lib/anon")
    assert gateway.attrs["labels"] == {"traefik.http.middlewares.auth.basicauth.users": "***",
                                       "traefik.enable": "true"}
    assert gateway.attrs["networks"] == ["front"] and gateway.attrs["aliases"] == ["edge"]
    assert "hunter2" not in gateway.attrs["command"] and "--providers.docker" in gateway.attrs["command"]


def test_malformed_yaml_gives_a_located_diagnostic() -> None:
    text = "services:\n  api:\n    image: shop/api\n    ports: [8000\n  db:\n    image: postgres\n"
    facts = compose.parse("docker-compose.yml", text)
    (diagnostic,) = facts.diagnostics
    assert diagnostic.code == "parse-error" and diagnostic.path == "docker-compose.yml"
    assert diagnostic.line in (4, 5)


def test_bad_shapes_are_diagnosed_and_the_rest_still_parsed() -> None:
    facts = parse_inline(
        """\
        services:
          api:
            image: shop/api
            ports:
              - "not-a-port"
              - "8000:8000"
            depends_on: db
          broken: "just a string"
          db:
            image: postgres:16
        """
    )
    assert {node.name for node in facts.nodes} == {"api", "db"}
    messages = {(d.line, d.level) for d in facts.diagnostics}
    assert (5, "warning") in messages  # the bad port
    assert (7, "warning") in messages  # depends_on as a bare string
    assert (8, "error") in messages  # a service that is not a mapping
    assert nodes(facts)["api"].attrs["ports"] == [8000]
    assert compose.parse("docker-compose.yml", "- just\n- a list\n").diagnostics[0].line == 1
    assert compose.parse("docker-compose.yml", "").nodes == ()


def test_parse_is_pure_and_deterministic(shop_text: str) -> None:
    first = compose.parse("docker-compose.yml", shop_text)
    second = compose.parse("docker-compose.yml", shop_text)
    assert [dataclasses.astuple(n) for n in first.nodes] == [dataclasses.astuple(n) for n in second.nodes]


# --- deploy section and launchers --------------------------------------------------------------------------


def test_deploy_section_and_whether_the_count_is_stated() -> None:
    text = textwrap.dedent("""\
        services:
          web:
            image: registry.example.com/shop/web:1.8.0
            ports:
              - "80:8000"
            deploy:
              resources:
                limits:
                  memory: 512M
              restart_policy:
                condition: on-failure
          local:
            image: registry.example.com/shop/local:1.0.0
            deploy:
              resources:
                limits:
                  memory: 256M
          api:
            image: registry.example.com/shop/api:2.0.0
            deploy:
              replicas: 3
          worker:
            image: registry.example.com/shop/worker:2.0.0
            scale: 2
          dev:
            build: ./dev
          empty:
            image: registry.example.com/shop/empty:1.0.0
            deploy:
    """)
    found = nodes(compose.parse("docker-stack.yml", text))
    web, api, worker, dev, empty = (found[n] for n in ("web", "api", "worker", "dev", "empty"))
    assert web.attrs["deploy_section"] is True
    assert web.evidence["deploy_section"].line == line_of(text, "deploy:")
    assert web.evidence["deploy_section"].end_line == line_of(text, "condition: on-failure")
    # Plain `docker compose` honours deploy.resources too: a resources-only block shows no production intent.
    assert "deploy_section" not in found["local"].attrs
    assert (web.attrs["replicas"], web.attrs["replicas_explicit"]) == (1, False)
    assert "replicas" not in web.evidence and "replicas_explicit" not in web.evidence
    assert api.attrs["deploy_section"] is True
    assert api.evidence["deploy_section"].line == line_of(text, "deploy:", "api:")
    assert (api.attrs["replicas"], api.attrs["replicas_explicit"]) == (3, True)
    assert api.evidence["replicas_explicit"].line == line_of(text, "replicas: 3")
    assert (worker.attrs["replicas"], worker.attrs["replicas_explicit"]) == (2, True)
    assert "deploy_section" not in worker.attrs and "deploy_section" not in dev.attrs
    assert (dev.attrs["replicas"], dev.attrs["replicas_explicit"]) == (1, False)
    assert "deploy_section" not in empty.attrs  # `deploy:` with no mapping states nothing


def test_override_states_replicas_explicit_only_with_a_count() -> None:
    text = "services:\n  web:\n    deploy:\n      placement:\n        constraints: [node.role == worker]\n" \
           "  api:\n    deploy:\n      replicas: 1\n"
    found = nodes(compose.parse("docker-compose.override.yml", text))
    assert found["web"].attrs["deploy_section"] is True and found["web"].evidence["deploy_section"].line == 3
    assert "replicas" not in found["web"].attrs and "replicas_explicit" not in found["web"].attrs
    assert (found["api"].attrs["replicas"], found["api"].attrs["replicas_explicit"]) == (1, True)


def test_command_and_entrypoint_launchers_are_tracing_settings() -> None:
    text = textwrap.dedent("""\
        services:
          web:
            build: ./web
            command:
              - newrelic-admin
              - run-program
              - gunicorn
              - shop.wsgi
          api:
            build: ./api
            command: ["opentelemetry-instrument", "uvicorn", "app:app"]
          worker:
            build: ./worker
            entrypoint: sh -c "ddtrace-run celery -A shop worker"
          orders:
            build: ./orders
            environment:
              JAVA_TOOL_OPTIONS: -javaagent:/otel/opentelemetry-javaagent.jar
            command: java -Xmx512m -jar app.jar
          plain:
            build: ./plain
            command: gunicorn shop.wsgi --workers 4
    """)
    found = nodes(parse_inline(text))

    def tracing(name: str) -> list[tuple[str, str, int, str]]:
        return [(s.key, s.value, s.location.line, s.framework) for s in found[name].settings if s.topic == "tracing"]

    assert tracing("web") == [("command", "newrelic", line_of(text, "- newrelic-admin"), "compose")]
    assert tracing("api") == [("command", "otel", line_of(text, "opentelemetry-instrument"), "compose")]
    assert tracing("worker") == [("entrypoint", "datadog", line_of(text, "entrypoint:"), "compose")]
    assert tracing("orders") == [("JAVA_TOOL_OPTIONS", "otel", line_of(text, "JAVA_TOOL_OPTIONS"), "java")]
    assert tracing("plain") == []


# --- interpolation and what the graph stage needs across files ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}:${PORT}", "db:5432"),
        ("$HOST/x", "db/x"),  # unbraced
        ("${MISSING}", "${MISSING}"),  # not in .env: the shell may set it, so it stays unresolved
        ("$MISSING", "$MISSING"),
        ("${EMPTY:-fallback}|${EMPTY-fallback}", "fallback|"),  # `:-` treats empty as unset, `-` does not
        ("${MISSING:-redis://${HOST}:6379}", "redis://db:6379"),  # a default interpolated in turn
        ("${HOST:?set HOST}|${MISSING:?set it}|${EMPTY?}|${EMPTY:?no}", "db|${MISSING:?set it}||${EMPTY:?no}"),
        ("${HOST:+tls}|${EMPTY:+tls}|${EMPTY+tls}|${MISSING+tls}", "tls||tls|"),
        ("$${HOST}|$$HOST", "$${HOST}|$$HOST"),  # escaped for compose: a literal `$`
        ("${a.b}|${A:b}", "${a.b}|${A:b}"),  # not compose syntax: as written
        ("${HOST", "${HOST"),  # unclosed
    ],
)
def test_interpolation_with_the_project_environment(text: str, expected: str) -> None:
    variables = {"HOST": "db", "PORT": "5432", "EMPTY": ""}
    used: set[str] = set()
    assert compose.interpolate(text, variables, used) == expected
    assert used <= set(variables)


def test_interpolation_stops_when_values_would_outgrow_the_budget() -> None:
    text = "${BIG}" * 70_000  # each use adds 1 KiB: 70 MB if made
    assert compose.interpolate(text, {"BIG": "x" * 1024}) == text
    assert compose.interpolate("${BIG}${BIG}", {"BIG": "x" * 1024}) == "x" * 2048


def test_environment_is_kept_as_written_for_the_graph_stage() -> None:
    text = textwrap.dedent("""\
        services:
          api:
            image: ${REGISTRY:-ghcr.io/shop}/api:${TAG}
            command: ["opentelemetry-instrument", "uvicorn", "app:app"]
            deploy:
              replicas: ${API_REPLICAS}
            environment:
              DATABASE_URL: ${DATABASE_URL}
              CACHE_URL: ${CACHE_URL:-redis://cache:6379}
              DEBUG: false
              SENTRY_DSN:
          cache:
            image: redis:7
    """)
    facts = parse_inline(text)
    api = facts.extra["services"]["api"]
    assert [(key, value) for key, value, _ in api["environment"]] == [
        ("DATABASE_URL", "${DATABASE_URL}"), ("CACHE_URL", "${CACHE_URL:-redis://cache:6379}"),
        ("DEBUG", "false"), ("SENTRY_DSN", None)]
    assert api["written"] == {"image": "${REGISTRY:-ghcr.io/shop}/api:${TAG}", "replicas": "${API_REPLICAS}"}
    assert api["launcher"] == 1
    (link,) = [edge for edge in facts.edges if edge.kind == "connects_to"]
    assert (link.target, link.attrs["via"]) == (host_ref("cache"), "environment")

    defs = compose.service_defs(facts)
    variables = compose.Environment({"DATABASE_URL": "postgres://db:5432/shop", "TAG": "1.4", "API_REPLICAS": "4",
                                     "SENTRY_DSN": "https://key@o1.ingest.sentry.io/1"},
                                    {name: Location(".env", line) for line, name in enumerate(
                                        ["DATABASE_URL", "TAG", "API_REPLICAS", "SENTRY_DSN"], start=1)})
    node, env_edges = compose.realise(defs["api"], variables)
    assert node.attrs["image"] == "ghcr.io/shop/api:1.4" and node.attrs["replicas"] == 4
    assert [s.key for s in node.settings if s.topic == "tracing"][-1] == "command"  # the launcher stays
    by_target = {edge.target: edge for edge in env_edges}
    assert by_target[host_ref("db")].location == Location("docker-compose.yml", line_of(text, "DATABASE_URL:"))
    assert by_target[host_ref("db")].attrs["interpolated_from"] == [".env:1"]
    assert by_target[host_ref("cache")].attrs.get("interpolated_from") is None


def test_an_image_from_the_project_environment_decides_the_kind() -> None:
    facts = parse_inline("""\
        services:
          db:
            image: ${DB_IMAGE:-ghcr.io/shop/db-proxy:2}
    """)
    (db,) = facts.nodes
    assert db.kind == "service"
    node, _ = compose.realise(compose.service_defs(facts)["db"], compose.Environment({"DB_IMAGE": "postgres:16"}))
    assert (node.kind, node.attrs["engine"], node.attrs["containers"][0]["image"]) == (
        "datastore", "postgres", "postgres:16")


def test_extends_naming_a_file_elsewhere_is_not_merged_from_this_file() -> None:
    facts = parse_inline("""\
        services:
          worker:
            image: local/worker
          api:
            extends:
              file: ../common/docker-compose.yml
              service: worker
    """, path="app/docker-compose.yml")
    assert facts.diagnostics == ()
    api = nodes(facts)["api"]
    assert "image" not in api.attrs  # the base is the other file's `worker`, merged in the graph stage
    assert api.attrs["extends"] == {"service": "worker", "file": "../common/docker-compose.yml"}
    same = parse_inline("""\
        services:
          worker:
            image: local/worker
          api:
            extends: {file: ./docker-compose.yml, service: worker}
    """, path="app/docker-compose.yml")
    assert nodes(same)["api"].attrs["image"] == "local/worker"


def test_include_entries_are_kept_and_unfollowable_ones_noted() -> None:
    text = textwrap.dedent("""\
        include:
          - ./db/compose.yaml
          - path: [./payments/compose.yaml, ./payments/compose.dev.yaml]
            env_file: [./env/payments.env]
            project_directory: ./payments
          - oci://registry.example.com/stacks/monitoring:1
          - ../../outside/compose.yaml
          - /etc/compose/base.yaml
          - {env_file: x.env}
        services:
          web:
            image: nginx:1.27
    """)
    facts = parse_inline(text, path="deploy/compose.yaml")
    assert [(d.line, d.code, d.level) for d in facts.diagnostics] == [
        (line_of(text, "oci://"), "not-followed", "note"), (line_of(text, "../../outside"), "not-followed", "note"),
        (line_of(text, "/etc/compose"), "not-followed", "note"), (line_of(text, "{env_file"), "parse-error", "warning")]
    found = compose.includes_of(facts, {})
    assert [(i.files, i.env_files, i.project_directory, i.location.line) for i in found] == [
        (("deploy/db/compose.yaml",), ("deploy/db/.env",), "deploy/db", 2),
        (("deploy/payments/compose.yaml", "deploy/payments/compose.dev.yaml"), ("deploy/env/payments.env",),
         "deploy/payments", 3),
    ]
    assert compose.inside("deploy", "../x.yml") == "x.yml" and compose.inside("deploy", "../../x.yml") is None


def test_dotenv_variables_for_interpolation_leave_secrets_out() -> None:
    facts = appconfig.parse(".env", "DB_HOST=db\nDB_PASSWORD=hunter2\nDATABASE_URL=postgres://app:hunter2@db/app\n"
                                    "API_TOKEN=abc123\n")
    assert facts.extra["variables"] == (
        ("DB_HOST", "db", 1), ("DB_PASSWORD", "***", 2), ("DATABASE_URL", "postgres://app:***@db/app", 3),
        ("API_TOKEN", "***", 4))
    assert "variables" not in appconfig.parse("config/application.yml", "server:\n  port: 8080\n").extra


def test_a_ci_file_restating_a_service_does_not_replace_the_projects_definition(tmp_path: Path) -> None:
    from conftest import write_repo

    from auditor.scan import scan

    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  api:\n    build: ./api\n    volumes: [./src:/src]\n"
                              "    deploy: {replicas: 3}\n",
        "docker-compose.ci.yml": "services:\n  api:\n    build: ./api\n    environment: [CI=1]\n",
    })
    api = scan(root).graph.nodes["compose:service:./api"]["node"]
    assert api.attrs["replicas"] == 3 and [v["repo_path"] for v in api.attrs["volumes"]] == ["src"]
    assert api.location.path == "docker-compose.yml"
