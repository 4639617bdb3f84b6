"""appconfig: which files, their entries with lines, and the facts of each fixture format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from auditor.model import Facts, Location, host_ref, node_id
from auditor.parsers import appconfig
from auditor.parsers.settings import interpret


def entries(filename: str, text: str, offset: int = 0) -> tuple[list[tuple[str, Any, int, int]], list[str]]:
    found, problems = appconfig.entries_from_text(filename, text, "repo/" + filename, offset)
    return [(e.key, e.value, e.location.line, e.location.end_line) for e in found], problems


def fixture(rel: str) -> Facts:
    return appconfig.parse(rel, (FIXTURES / rel).read_text(encoding="utf-8"))


def line_of(rel: str, needle: str) -> int:
    for number, line in enumerate((FIXTURES / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def settings_of(facts: Facts) -> set[tuple[str, str, Any, int]]:
    (node,) = facts.nodes
    return {(s.topic, s.key, s.value, s.location.line) for s in node.settings}


def edges_of(facts: Facts) -> set[tuple[str, str, int, str, Any]]:
    return {(e.kind, e.target, e.location.line, e.attrs["target_kind"], e.attrs["port"]) for e in facts.edges}


# -- recognises ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".env", "services/api/.env", ".env.production", "deploy/prod.env",
        "src/main/resources/application.yml", "application-prod.yaml", "application.properties",
        "bootstrap.yml", "src/main/resources/application-k8s.properties",
        "shop/settings.py", "shop/settings_prod.py", "shop/settings/production.py", "shop/settings/base.py",
        "config.py", "instance/config.py",
        "config/default.json", "config/production.json",
        "config/database.yml", "php.ini", "docker/php/conf.d/opcache.ini",
        "nginx.conf", "nginx/nginx.conf", "deploy/nginx/default.conf", "etc/nginx/conf.d/shop.conf",
    ],
)
def test_recognises(path: str) -> None:
    assert appconfig.recognises(path)


@pytest.mark.parametrize(
    "path",
    [
        ".envrc", "environment.yml", "config/default.js", "config/custom.ts", "package.json", "config/tsconfig.json",
        "app.py", "shop/settings/__init__.py", "database.yml", "supervisord.conf", "docker-compose.yml",
        "k8s/deployment.yaml", "applications.txt", "src/settings.ts",
    ],
)
def test_does_not_recognise(path: str) -> None:
    assert not appconfig.recognises(path)


# -- .env ----------------------------------------------------------------------------------------------


def test_dotenv_entries() -> None:
    text = (
        "# comment\n"
        "\n"
        "export DATABASE_URL=postgres://db/app\n"
        "NAME='single # not a comment'\n"
        'GREETING="hello\\nworld"\n'
        "PLAIN=value # trailing comment\n"
        'MULTI="first\n'
        'second"\n'
        "EMPTY=\n"
        "not a line\n"
        "AFTER=1\n"
    )
    found, problems = entries(".env", text)
    assert found == [
        ("DATABASE_URL", "postgres://db/app", 3, 3),
        ("NAME", "single # not a comment", 4, 4),
        ("GREETING", "hello\nworld", 5, 5),
        ("PLAIN", "value", 6, 6),
        ("MULTI", "first\nsecond", 7, 8),
        ("EMPTY", "", 9, 9),
        ("AFTER", "1", 11, 11),
    ]
    assert problems == ["line 10: expected KEY=VALUE"]


def test_dotenv_unterminated_quote_is_a_problem() -> None:
    found, problems = entries(".env", 'A="open\nB=2\n')
    assert found == [("A", "open\nB=2", 1, 2)]
    assert problems == ['line 1: unterminated " quote']


# -- .properties ---------------------------------------------------------------------------------------


def test_properties_entries() -> None:
    text = (
        "# comment\n"
        "! also a comment\n"
        "spring.datasource.url=jdbc:postgresql://db:5432/app\n"
        "server.port : 8080\n"
        "spring.application.name orders\n"
        "long.value=first,\\\n"
        "    second\n"
        "escaped\\:key=a\\=b\n"
        "unicode=caf\\u00e9\n"
    )
    found, problems = entries("application.properties", text)
    assert found == [
        ("spring.datasource.url", "jdbc:postgresql://db:5432/app", 3, 3),
        ("server.port", "8080", 4, 4),
        ("spring.application.name", "orders", 5, 5),
        ("long.value", "first,second", 6, 7),
        ("escaped:key", "a=b", 8, 8),
        ("unicode", "café", 9, 9),
    ]
    assert problems == []


# -- YAML ----------------------------------------------------------------------------------------------


def test_yaml_flattened_with_lines_and_offset() -> None:
    text = (
        "spring:\n"
        "  datasource:\n"
        "    url: jdbc:postgresql://db:5432/app\n"
        "  kafka:\n"
        "    bootstrap-servers:\n"
        "      - kafka-1:9092\n"
        "      - kafka-2:9092\n"
        "---\n"
        "spring.config.activate.on-profile: prod\n"
        "server:\n"
        "  port: 80\n"
    )
    found, problems = entries("application.yml", text, offset=10)
    assert found == [
        ("spring.datasource.url", "jdbc:postgresql://db:5432/app", 13, 13),
        ("spring.kafka.bootstrap-servers[0]", "kafka-1:9092", 16, 16),
        ("spring.kafka.bootstrap-servers[1]", "kafka-2:9092", 17, 17),
        ("spring.config.activate.on-profile", "prod", 19, 19),
        ("server.port", 80, 21, 21),
    ]
    assert problems == []


def test_yaml_error_keeps_earlier_documents() -> None:
    found, problems = entries("application.yml", "a: 1\n---\nb: [unclosed\n")
    assert found == [("a", 1, 1, 1)]
    assert len(problems) == 1 and problems[0].startswith("line ")


def test_rails_database_yml_with_erb() -> None:
    text = (
        "default: &default\n"
        "  adapter: postgresql\n"
        '  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n'
        "production:\n"
        "  <<: *default\n"
        '  host: <%= ENV["DB_HOST"] %>\n'
        "  database: shop\n"
    )
    found, _ = entries("config/database.yml", text)
    assert ("database.default.pool", "5", 3, 3) in found
    assert ("database.production.host", "${DB_HOST}", 6, 6) in found
    facts = appconfig.parse("config/database.yml", text)
    assert ("pool", "database.default.pool", 5, 3) in settings_of(facts)
    assert facts.nodes[0].type == "rails"


# -- JSON ----------------------------------------------------------------------------------------------


def test_json_entries_with_lines_and_comments() -> None:
    text = '{\n  // comment\n  "db": {\n    "host": "pg",\n    "pool": { "max": 10 }\n  },\n  "list": [1, "a"]\n}\n'
    found, problems = entries("config/default.json", text)
    assert found == [("db.host", "pg", 4, 4), ("db.pool.max", 10, 5, 5), ("list[0]", 1, 7, 7), ("list[1]", "a", 7, 7)]
    assert problems == []


def test_json_error_has_a_line() -> None:
    found, problems = entries("config/default.json", '{\n  "a": 1,\n  "b": \n}\n')
    assert found == []
    assert problems and problems[0].startswith("line 4: invalid JSON")


def test_custom_environment_variables_json_names_variables() -> None:
    found, _ = entries("config/custom-environment-variables.json", '{"db": {"host": "DB_HOST"}}')
    assert found == [("db.host", "${DB_HOST}", 1, 1)]
    assert appconfig.parse("config/custom-environment-variables.json", '{"db": {"host": "DB_HOST"}}').edges == ()


# -- ini and nginx -------------------------------------------------------------------------------------


def test_php_ini() -> None:
    text = '[Session]\n; comment\nsession.save_handler = redis\nsession.save_path = "tcp://redis:6379?auth=pw"\n'
    found, _ = entries("php.ini", text)
    assert found == [("session.save_handler", "redis", 3, 3), ("session.save_path", "tcp://redis:6379?auth=pw", 4, 4)]
    facts = appconfig.parse("php.ini", text)
    assert settings_of(facts) == {("session_store", "session.save_handler", "redis", 3)}
    assert edges_of(facts) == {("connects_to", host_ref("redis"), 4, "cache", 6379)}
    assert "pw" not in repr(facts)


def test_nginx_entries() -> None:
    text = 'http {\n  server {\n    location /api/ {\n      proxy_read_timeout 30s;\n    }\n  }\n}\n'
    found, problems = entries("nginx.conf", text)
    assert found == [("http.server.location(/api/).proxy_read_timeout", "30s", 4, 4)]
    assert problems == []
    _, problems = entries("nginx.conf", "http {\n  server {\n")
    assert problems == ["unclosed block at end of file"]


# -- Python --------------------------------------------------------------------------------------------


def test_python_settings_are_read_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        "import os\n"
        f"open({str(marker)!r}, 'w').write('x')\n"
        "raise SystemExit(3)\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.cache'\n"
        f"LOG = open({str(marker)!r}, 'w')\n"
    )
    facts = appconfig.parse("shop/settings.py", text)
    assert not marker.exists()
    assert ("session_store", "SESSION_ENGINE", "cache", 4) in settings_of(facts)


def test_python_syntax_error_is_a_problem_with_its_line() -> None:
    found, problems = entries("settings.py", "A = 1\nB = (\nC = 3\n")
    assert found == []
    assert len(problems) == 1 and problems[0].startswith("line ")
    facts = appconfig.parse("shop/settings.py", "DEBUG = True\ndef broken(:\n")
    (diagnostic,) = facts.diagnostics
    assert diagnostic.line == 2 and "syntax" in diagnostic.message.lower()
    assert facts.nodes[0].id == node_id("appconfig", "config", "shop/settings.py")


def test_python_values() -> None:
    text = (
        "import os, environ, dj_database_url\n"
        "env = environ.Env()\n"
        "HOST = os.environ.get('DB_HOST', 'db')\n"
        "PORT = int(os.getenv('DB_PORT', '5432'))\n"
        "SECRET = os.environ['SECRET_KEY']\n"
        "URL = f'postgres://{USER}@{HOST}:{PORT}/app'\n"
        "DEBUG = env.bool('DEBUG', default=False)\n"
        "WORKERS = env('WORKERS', default=4)\n"
        "TIMEOUT = 60 * 2\n"
        "DATABASES = {'default': dj_database_url.config(default='postgres://u:p@pg:5432/app', conn_max_age=600)}\n"
        "CACHES = {\n"
        "    'default': {\n"
        "        'BACKEND': 'django_redis.cache.RedisCache',\n"
        "        'LOCATION': os.getenv('REDIS_URL') or 'redis://redis:6379/1',\n"
        "    }\n"
        "}\n"
        "DATABASES['default']['ATOMIC_REQUESTS'] = True\n"
        "UNKNOWN = some_call()\n"
        "class Config:\n"
        "    SESSION_TYPE = 'redis'\n"
    )
    found, problems = entries("settings.py", text)
    assert problems == []
    assert found == [
        ("HOST", "db", 3, 3),
        ("PORT", 5432, 4, 4),
        ("SECRET", "${SECRET_KEY}", 5, 5),
        ("URL", "postgres://${USER}@db:5432/app", 6, 6),
        ("DEBUG", False, 7, 7),
        ("WORKERS", 4, 8, 8),
        ("TIMEOUT", 120, 9, 9),
        ("DATABASES.default.URL", "postgres://u:p@pg:5432/app", 10, 10),
        ("DATABASES.default.CONN_MAX_AGE", 600, 10, 10),
        ("CACHES.default.BACKEND", "django_redis.cache.RedisCache", 13, 13),
        ("CACHES.default.LOCATION", "redis://redis:6379/1", 14, 14),
        ("DATABASES.default.ATOMIC_REQUESTS", True, 17, 17),
        ("Config.SESSION_TYPE", "redis", 20, 20),
    ]


# -- Django/Flask defaults -----------------------------------------------------------------------------


def test_django_defaults_only_for_real_django_settings() -> None:
    real = appconfig.parse("shop/settings.py", (
        "INSTALLED_APPS = ['django.contrib.sessions']\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'HOST': 'db'}}\n"
    ))
    assert settings_of(real) == {
        ("session_store", "(django default)", "db", 1),
        ("cache_backend", "(django default)", "locmem", 1),
        ("conn_max_age", "(django default)", 0, 2),  # the DATABASES line
    }
    helper = appconfig.parse("tools/settings.py", "TIMEOUT_SECONDS = 5\nNAME = 'x'\n")
    assert not any(key.startswith("(") for _, key, _, _ in settings_of(helper))
    stated = appconfig.parse("shop/settings.py", (
        "ROOT_URLCONF = 'shop.urls'\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.cache'\n"
        "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.redis.RedisCache'}}\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'CONN_MAX_AGE': 60}}\n"
    ))
    assert settings_of(stated) == {
        ("session_store", "SESSION_ENGINE", "cache", 2),
        ("cache_backend", "CACHES.default.BACKEND", "redis", 3),
        ("conn_max_age", "DATABASES.default.CONN_MAX_AGE", 60, 4),
    }



def test_django_session_cache_alias_and_its_cache() -> None:
    facts = appconfig.parse("shop/settings.py", (
        "SECRET_KEY = 'change-me'\n"
        "INSTALLED_APPS = ['django.contrib.sessions']\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.cache'\n"
        "SESSION_CACHE_ALIAS = 'sessions'\n"
        "CACHES = {\n"
        "    'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'},\n"
        "    'sessions': {\n"
        "        'BACKEND': 'django.core.cache.backends.redis.RedisCache',\n"
        "        'LOCATION': 'redis://redis:6379/2',\n"
        "    },\n"
        "}\n"
    ))
    assert settings_of(facts) == {
        ("session_store", "SESSION_ENGINE", "cache", 3),
        ("session_cache_alias", "SESSION_CACHE_ALIAS", "sessions", 4),
        ("cache_backend", "CACHES.default.BACKEND", "locmem", 6),
        ("cache_backend", "CACHES.sessions.BACKEND", "redis", 8),
    }
    assert {s.framework for s in facts.nodes[0].settings} == {"django"}


def test_spring_cache_type_keeps_the_provider() -> None:
    facts = appconfig.parse("src/main/resources/application.yml", (
        "spring:\n"
        "  application:\n"
        "    name: orders\n"
        "  cache:\n"
        "    type: hazelcast\n"
    ))
    assert settings_of(facts) == {("app_name", "spring.application.name", "orders", 3),
                                  ("cache_backend", "spring.cache.type", "hazelcast", 5)}
    facts = appconfig.parse("src/main/resources/application.properties", "spring.cache.type=simple\n")
    assert settings_of(facts) == {("cache_backend", "spring.cache.type", "memory", 1)}


def test_launch_options_in_dotenv() -> None:
    facts = appconfig.parse("orders/.env", (
        "SPRING_PROFILES_ACTIVE=prod\n"
        "JAVA_TOOL_OPTIONS=\"-javaagent:/otel/opentelemetry-javaagent.jar -Xmx512m\"\n"
        "NODE_OPTIONS=--require @opentelemetry/auto-instrumentations-node/register\n"
    ))
    assert settings_of(facts) == {("spring_profiles", "SPRING_PROFILES_ACTIVE", "prod", 1),
                                  ("tracing", "JAVA_TOOL_OPTIONS", "otel", 2), ("tracing", "NODE_OPTIONS", "otel", 3)}

def test_flask_default_session_is_a_signed_cookie() -> None:
    facts = appconfig.parse("app/config.py", "class Config:\n    SECRET_KEY = 'x'\n")
    assert settings_of(facts) == {("session_store", "(flask default)", "cookie", 1)}
    assert settings_of(appconfig.parse("lib/config.py", "VERSION = '1.0'\n")) == set()


# -- fixtures ------------------------------------------------------------------------------------------


def test_django_fixture() -> None:
    rel = "app-django/shop/settings.py"
    facts = fixture(rel)
    (node,) = facts.nodes
    assert (node.id, node.kind, node.type, node.source) == (node_id("appconfig", "config", rel), "config",
                                                              "django", "appconfig")
    assert node.attrs == {"framework": "django", "dir": "app-django/shop"}
    assert node.location == Location(rel, 1, len((FIXTURES / rel).read_text().splitlines()))
    assert settings_of(facts) == {
        ("session_store", "SESSION_ENGINE", "file", line_of(rel, "SESSION_ENGINE")),
        ("cache_backend", "CACHES.default.BACKEND", "locmem", line_of(rel, '"BACKEND"')),
        ("upload_dir", "MEDIA_ROOT", "<BASE_DIR>/media", line_of(rel, "MEDIA_ROOT")),
        ("timeout", "PAYMENTS_TIMEOUT", 10.0, line_of(rel, "PAYMENTS_TIMEOUT")),
        ("conn_max_age", "(django default)", 0, line_of(rel, "\"ENGINE\"")),  # the default database
    }
    assert edges_of(facts) == {
        ("connects_to", host_ref("db"), line_of(rel, '"HOST"'), "datastore", 5432),
        ("calls", host_ref("api.stripe.com"), line_of(rel, "PAYMENTS_API_URL"), "external", None),
        ("calls", host_ref("inventory"), line_of(rel, "INVENTORY_URL"), "service", 8000),
    }
    db = next(e for e in facts.edges if e.target == host_ref("db"))
    assert db.attrs == {"target_kind": "datastore", "scheme": "postgresql", "port": 5432,
                        "key": "DATABASES.default.HOST", "database": "shop"}
    assert facts.diagnostics == ()


def test_django_fixture_env() -> None:
    facts = fixture("app-django/.env")
    assert settings_of(facts) == {("server_timeout", "GUNICORN_TIMEOUT", 120.0, 5)}
    assert edges_of(facts) == {("connects_to", host_ref("db"), 3, "datastore", None)}
    assert "change-me" not in repr(facts)


def test_spring_fixture_yaml() -> None:
    rel = "app-spring/src/main/resources/application.yml"
    facts = fixture(rel)
    assert facts.nodes[0].type == "spring"
    assert settings_of(facts) == {
        ("app_name", "spring.application.name", "orders", line_of(rel, "name: orders")),
        ("pool", "spring.datasource.hikari.maximum-pool-size", 20, line_of(rel, "maximum-pool-size")),
        ("datastore_timeout", "spring.datasource.hikari.connection-timeout", 3.0, line_of(rel, "connection-timeout")),
        ("session_store", "spring.session.store-type", "redis", line_of(rel, "store-type")),
        ("timeout", "spring.cloud.openfeign.client.config.inventory.connect-timeout", 1.0,
         line_of(rel, "connect-timeout: 1000")),
        ("timeout", "spring.cloud.openfeign.client.config.inventory.read-timeout", 2.0, line_of(rel, "read-timeout")),
        ("circuit_breaker", "resilience4j.circuitbreaker.instances.inventory.sliding-window-size", True,
         line_of(rel, "sliding-window-size")),
        ("retry", "resilience4j.retry.instances.inventory.max-attempts", 3, line_of(rel, "max-attempts")),
        ("metrics", "management.endpoints.web.exposure.include", "prometheus", line_of(rel, "include:")),
        ("tracing", "management.tracing.sampling.probability", "micrometer", line_of(rel, "probability")),
        ("tracing", "management.zipkin.tracing.endpoint", "zipkin", line_of(rel, "zipkin:9411")),
    }
    assert edges_of(facts) == {
        ("connects_to", host_ref("orders-db"), line_of(rel, "orders-db:5432"), "datastore", 5432),
        ("connects_to", host_ref("redis"), line_of(rel, "host: redis"), "cache", 6379),
        ("connects_to", host_ref("kafka-1"), line_of(rel, "bootstrap-servers"), "queue", 9092),
        ("connects_to", host_ref("kafka-2"), line_of(rel, "bootstrap-servers"), "queue", 9092),
        ("calls", host_ref("api.stripe.com"), line_of(rel, "api.stripe.com"), "external", None),
        ("calls", host_ref("inventory"), line_of(rel, "http://inventory:8080"), "service", 8080),
        ("connects_to", host_ref("zipkin"), line_of(rel, "zipkin:9411"), "service", 9411),
    }


def test_spring_fixture_properties() -> None:
    rel = "app-spring/src/main/resources/application-prod.properties"
    facts = fixture(rel)
    assert settings_of(facts) == {
        ("pool", "spring.datasource.hikari.maximum-pool-size", 30, 3),
        ("cache_backend", "spring.cache.type", "caffeine", 4),
        ("upload_dir", "spring.servlet.multipart.location", "/var/orders/uploads", 5),
        ("tracing", "management.tracing.enabled", "micrometer", 6),
        ("tracing", "otel.exporter.otlp.endpoint", "otel", 7),
    }
    assert edges_of(facts) == {
        ("connects_to", host_ref("orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com"), 2, "datastore", 5432),
        ("connects_to", host_ref("otel-collector.observability"), 7, "service", 4317),
        ("connects_to", host_ref("rabbitmq.messaging.svc.cluster.local"), 8, "queue", 5672),
        ("calls", host_ref("api.shipping-partner.com"), 10, "external", None),
    }


def test_flask_fixture() -> None:
    rel = "app-flask/config.py"
    facts = fixture(rel)
    assert facts.nodes[0].type == "flask"
    assert settings_of(facts) == {
        ("pool", "Config.SQLALCHEMY_ENGINE_OPTIONS.pool_size", 10, line_of(rel, "pool_size")),
        ("session_store", "Config.SESSION_TYPE", "file", line_of(rel, "SESSION_TYPE")),
        ("cache_backend", "Config.CACHE_TYPE", "redis", line_of(rel, "CACHE_TYPE")),
        ("upload_dir", "Config.UPLOAD_FOLDER", "/srv/blog/uploads", line_of(rel, "UPLOAD_FOLDER")),
        ("rate_limit", "Config.RATELIMIT_DEFAULT", True, line_of(rel, "RATELIMIT_DEFAULT")),
    }
    assert edges_of(facts) == {
        ("connects_to", host_ref("postgres"), line_of(rel, "SQLALCHEMY_DATABASE_URI"), "datastore", 5432),
        ("connects_to", host_ref("redis"), line_of(rel, "CACHE_REDIS_URL"), "cache", 6379),
    }
    assert "blog:blog" not in repr(facts)


def test_node_fixture() -> None:
    rel = "app-node/config/default.json"
    facts = fixture(rel)
    assert facts.nodes[0].type == "node-config"
    assert settings_of(facts) == {
        ("server_timeout", "server.requestTimeout", 30.0, 4),
        ("pool", "db.pool.max", 20, 13),
        ("session_store", "session.store", "redis", 20),
        ("timeout", "services.pricing.timeout", 2.0, 25),
        ("retry", "services.pricing.retries", 2, 26),
    }
    assert edges_of(facts) == {
        ("connects_to", host_ref("postgres"), 8, "datastore", 5432),
        ("connects_to", host_ref("redis"), 17, "cache", 6379),
        ("calls", host_ref("pricing"), 24, "service", 4000),
    }
    production = fixture("app-node/config/production.json")
    assert settings_of(production) == {("rate_limit", "rateLimit.windowMs", True, 4),
                                       ("rate_limit", "rateLimit.max", 100, 4)}
    assert production.diagnostics == ()


def test_node_fixture_env() -> None:
    facts = fixture("app-node/.env")
    assert settings_of(facts) == {
        ("pool", "PGPOOL_MAX", 15, 4),
        ("tracing", "OTEL_TRACES_EXPORTER", False, 7),
        ("retry", "HTTP_RETRIES", 3, 10),
    }
    assert edges_of(facts) == {("connects_to", host_ref("postgres"), 5, "datastore", 5432)}
    assert "s3cr3t" not in repr(facts) and "multi" not in repr(facts)


def test_nginx_fixture() -> None:
    rel = "app-node/nginx/nginx.conf"
    facts = fixture(rel)
    assert facts.nodes[0].type == "nginx"
    assert settings_of(facts) == {
        ("rate_limit", "http.limit_req_zone", 10, line_of(rel, "limit_req_zone")),
        ("server_timeout", "http.server.keepalive_timeout", 65.0, line_of(rel, "keepalive_timeout")),
        ("rate_limit", "http.server.location(/api/).limit_req", True, line_of(rel, "limit_req zone")),
        ("timeout", "http.server.location(/api/).proxy_connect_timeout", 2.0, line_of(rel, "proxy_connect_timeout")),
        ("timeout", "http.server.location(/api/).proxy_read_timeout", 30.0, line_of(rel, "proxy_read_timeout")),
        ("retry", "http.server.location(/api/).proxy_next_upstream_tries", 2, line_of(rel, "next_upstream_tries")),
    }
    # `proxy_pass http://catalog` names the upstream block, whose servers are the real targets
    assert edges_of(facts) == {
        ("calls", host_ref("catalog-1"), line_of(rel, "server catalog-1"), "service", 3000),
        ("calls", host_ref("catalog-2"), line_of(rel, "server catalog-2"), "service", 3000),
        ("calls", host_ref("search"), line_of(rel, "search:9200"), "service", 9200),
    }


@pytest.mark.parametrize("rel", sorted(
    str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("app-*/**/*") if p.is_file()
))
def test_every_app_fixture_is_recognised_and_clean(rel: str) -> None:
    assert appconfig.recognises(rel)
    facts = fixture(rel)
    assert facts.diagnostics == ()
    assert len(facts.nodes) == 1


# -- robustness ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".env", "application.properties", "application.yml", "settings.py",
                                  "config/default.json", "php.ini", "nginx.conf", "config/database.yml"])
@pytest.mark.parametrize("text", ["", "\x00\x01\x02", "{[(", "a" * 10_000, "=\n==\n:::\n", "[" * 5000,
                                  "x = (" * 500, "'\"'\"\n\\\n"])
def test_never_raises(name: str, text: str) -> None:
    facts = appconfig.parse(name, text)
    assert len(facts.nodes) == 1
    found, problems = appconfig.entries_from_text(name, text, name)
    assert isinstance(found, list) and isinstance(problems, list)


def test_self_referencing_python_dict_stops() -> None:
    found, problems = entries("settings.py", "A = {'x': 1}\nA = {'y': A, 'z': 2}\n")
    assert ("A.x", 1, 1, 1) in found and len(found) < 100 and problems == []


def test_nginx_in_a_configmap_is_understood_without_a_hint() -> None:
    found, _ = appconfig.entries_from_text("default.conf", "server {\n  location / {\n    proxy_pass http://web:8000;\n"
                                                           "    proxy_read_timeout 5;\n  }\n}\n", "k8s/cm.yaml", 10)
    result = interpret(found)
    assert [(s.topic, s.value, s.location.line) for s in result.settings] == [("timeout", 5.0, 14)]
    assert [(link.host, link.port, link.location.line) for link in result.links] == [("web", 8000, 13)]


def test_unrecognised_file_name_gives_nothing() -> None:
    assert appconfig.entries_from_text("README.md", "A=1", "README.md") == ([], [])
