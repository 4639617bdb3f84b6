"""settings.interpret: links (hosts named by config values) and recognised settings, with their lines."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.model import Location
from auditor.parsers.settings import Entry, Interpretation, command_tracing, interpret


def run(pairs: dict[str, Any], framework: str = "") -> Interpretation:
    """Entries on lines 1, 2, 3… in the order given."""
    return interpret([Entry(k, v, Location("app/.env", i)) for i, (k, v) in enumerate(pairs.items(), 1)], framework)


def links(pairs: dict[str, Any], framework: str = "") -> set[tuple[str, int | None, str, str, str, str]]:
    return {(link.host, link.port, link.kind, link.target_kind, link.scheme, link.database)
            for link in run(pairs, framework).links}


def settings(pairs: dict[str, Any], framework: str = "") -> set[tuple[str, str, Any, int]]:
    return {(s.topic, s.key, s.value, s.location.line) for s in run(pairs, framework).settings}


# -- links ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres://shop:s3cret@db:5432/shop", ("db", 5432, "connects_to", "datastore", "postgres", "shop")),
        ("postgresql://db/shop", ("db", None, "connects_to", "datastore", "postgresql", "shop")),
        ("postgresql+psycopg2://u:p@pg.internal:5433/blog",
         ("pg.internal", 5433, "connects_to", "datastore", "postgresql+psycopg2", "blog")),
        ("mysql://wp:pw@mysql:3306/wordpress", ("mysql", 3306, "connects_to", "datastore", "mysql", "wordpress")),
        ("mysql+pymysql://u:p@mariadb/app", ("mariadb", None, "connects_to", "datastore", "mysql+pymysql", "app")),
        ("jdbc:postgresql://orders-db:5432/orders?ssl=true",
         ("orders-db", 5432, "connects_to", "datastore", "postgresql", "orders")),
        ("jdbc:mysql://inventory-db:3306/inv", ("inventory-db", 3306, "connects_to", "datastore", "mysql", "inv")),
        ("jdbc:sqlserver://mssql:1433;databaseName=billing;user=sa;password=Secr3t!",
         ("mssql", 1433, "connects_to", "datastore", "sqlserver", "billing")),
        ("jdbc:oracle:thin:scott/tiger@oracle-db:1521/ORCL",
         ("oracle-db", 1521, "connects_to", "datastore", "oracle", "ORCL")),
        ("jdbc:oracle:thin:@//ora.internal:1521/svc",
         ("ora.internal", 1521, "connects_to", "datastore", "oracle", "svc")),
        ("redis://:hunter2@redis:6379/0", ("redis", 6379, "connects_to", "cache", "redis", "0")),
        ("rediss://cache.example.internal:6380",
         ("cache.example.internal", 6380, "connects_to", "cache", "rediss", "")),
        ("amqp://guest:guest@rabbitmq:5672//", ("rabbitmq", 5672, "connects_to", "queue", "amqp", "")),
        ("amqps://mq.internal", ("mq.internal", None, "connects_to", "queue", "amqps", "")),
        ("nats://nats:4222", ("nats", 4222, "connects_to", "queue", "nats", "")),
        ("mongodb+srv://u:p@cluster0.abcde.mongodb.net/app",
         ("cluster0.abcde.mongodb.net", None, "connects_to", "datastore", "mongodb+srv", "app")),
        ("http://inventory:8080/api", ("inventory", 8080, "calls", "service", "http", "")),
        ("https://api.stripe.com/v1", ("api.stripe.com", None, "calls", "external", "https", "")),
        ("grpc://pricing:50051", ("pricing", 50051, "calls", "service", "grpc", "")),
        ("http://orders.shop.svc.cluster.local:8080",
         ("orders.shop.svc.cluster.local", 8080, "calls", "service", "http", "")),
    ],
)
def test_url_links(value: str, expected: tuple[Any, ...]) -> None:
    assert links({"TARGET_URL": value}) == {expected}


def test_link_location_and_key() -> None:
    result = run({"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db/app"})
    (link,) = result.links
    assert (link.key, link.location) == ("DATABASE_URL", Location("app/.env", 2))


def test_credentials_are_never_kept() -> None:
    result = run({"DATABASE_URL": "postgres://admin:pa55word@db:5432/app",
                  "ODD": "postgres://admin:pa/ss@word@db2:5432/app",
                  "J": "jdbc:sqlserver://mssql:1433;user=sa;password=pa55word"})
    text = repr(result)
    assert "pa55word" not in text and "admin" not in text and "word@" not in text
    assert {link.host for link in result.links} == {"db", "db2", "mssql"}


def test_mongo_multiple_hosts() -> None:
    found = links({"MONGO_URL": "mongodb://u:p@mongo-0:27017,mongo-1:27017,mongo-2/shop?replicaSet=rs0"})
    assert found == {
        ("mongo-0", 27017, "connects_to", "datastore", "mongodb", "shop"),
        ("mongo-1", 27017, "connects_to", "datastore", "mongodb", "shop"),
        ("mongo-2", None, "connects_to", "datastore", "mongodb", "shop"),
    }


def test_kafka_bootstrap_lists() -> None:
    assert links({"KAFKA_BROKERS": "kafka-1:9092,kafka-2:9092"}) == {
        ("kafka-1", 9092, "connects_to", "queue", "kafka", ""),
        ("kafka-2", 9092, "connects_to", "queue", "kafka", ""),
    }
    assert links({"spring.kafka.bootstrap-servers": "PLAINTEXT://broker-0:9092"}) == {
        ("broker-0", 9092, "connects_to", "queue", "kafka", "")}
    assert links({"spring.kafka.bootstrap-servers[0]": "kafka:29092"}) == {
        ("kafka", 29092, "connects_to", "queue", "kafka", "")}


def test_kafka_advertised_listeners_are_not_links() -> None:
    assert links({"KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092",
                  "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:29092"}) == set()


def test_memcached_under_cache_keys() -> None:
    assert links({"MEMCACHED_SERVERS": "memcached-a:11211 memcached-b:11211"}) == {
        ("memcached-a", 11211, "connects_to", "cache", "memcached", ""),
        ("memcached-b", 11211, "connects_to", "cache", "memcached", ""),
    }
    assert links({"CACHES.default.LOCATION": "memcached:11211"}, "django") == {
        ("memcached", 11211, "connects_to", "cache", "memcached", "")}
    # a LocMemCache "location" is a name, not a host
    assert links({"CACHES.default.LOCATION": "unique-snowflake"}, "django") == set()


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ({"DB_HOST": "db", "DB_PORT": "5432", "DB_NAME": "shop"},
         {("db", 5432, "connects_to", "datastore", "postgresql", "shop")}),
        ({"REDIS_HOST": "redis", "REDIS_PORT": 6380}, {("redis", 6380, "connects_to", "cache", "redis", "")}),
        ({"PGHOST": "pg", "PGPORT": "5432", "PGDATABASE": "app"},
         {("pg", 5432, "connects_to", "datastore", "postgresql", "app")}),
        ({"spring.redis.host": "cache"}, {("cache", None, "connects_to", "cache", "redis", "")}),
        ({"spring.data.redis.host": "redis", "spring.data.redis.port": 6379},
         {("redis", 6379, "connects_to", "cache", "redis", "")}),
        ({"spring.rabbitmq.host": "rabbit", "spring.rabbitmq.port": 5672},
         {("rabbit", 5672, "connects_to", "queue", "amqp", "")}),
        ({"MYSQL_HOST": "mysql"}, {("mysql", None, "connects_to", "datastore", "mysql", "")}),
        ({"DATABASES.default.ENGINE": "django.db.backends.mysql", "DATABASES.default.HOST": "mysql-primary",
          "DATABASES.default.NAME": "shop"}, {("mysql-primary", None, "connects_to", "datastore", "mysql", "shop")}),
        ({"db.client": "pg", "db.host": "postgres", "db.port": 5432, "db.database": "catalog"},
         {("postgres", 5432, "connects_to", "datastore", "postgresql", "catalog")}),
    ],
)
def test_split_host_and_port_keys(pairs: dict[str, Any], expected: set[Any]) -> None:
    assert links(pairs) == expected


def test_sqlite_engine_names_no_host() -> None:
    assert links({"DATABASES.default.ENGINE": "django.db.backends.sqlite3", "DATABASES.default.HOST": "x"}) == set()


def test_split_host_and_url_for_the_same_host_give_one_link_from_the_url() -> None:
    result = run({"WORDPRESS_DB_HOST": "database:3306", "DATABASE_URL": "mysql://wp:pw@database:3306/wp"})
    assert [(link.host, link.key) for link in result.links] == [("database", "DATABASE_URL")]


@pytest.mark.parametrize(
    "pairs",
    [
        {"DATABASE_URL": "postgres://u:p@localhost:5432/app"},
        {"REDIS_URL": "redis://127.0.0.1:6379"},
        {"API_URL": "http://0.0.0.0:8000"},
        {"DB_HOST": "localhost", "DB_PORT": "5432"},
        {"DATABASE_URL": "postgres://u:p@${DB_HOST}:5432/app"},
        {"REDIS_HOST": "${REDIS_HOST}"},
        {"DATABASE_URL": "sqlite:///db.sqlite3"},
        {"spring.datasource.url": "jdbc:h2:mem:testdb"},
        {"STATIC_URL": "/static/"},
        {"SESSION_COOKIE_NAME": "sid"},
        {"KAFKA_ZOOKEEPER_CONNECT_TIMEOUT": "18000"},
    ],
)
def test_no_link(pairs: dict[str, Any]) -> None:
    assert run(pairs).links == ()


def purposes(pairs: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(link.host, link.kind, link.purpose) for link in run(pairs).links}


@pytest.mark.parametrize(
    ("pairs", "host", "purpose"),
    [
        # who may call us, and our own public address: they build links and headers, never calls
        ({"CORS_ALLOWED_ORIGINS": "http://web:3000"}, "web", "origin"),
        ({"BASE_URL": "https://shop.example.com"}, "shop.example.com", "self"),
        ({"LEAN_APP_URL": "https://leantime.example.com"}, "leantime.example.com", "self"),
        ({"GF_SERVER_ROOT_URL": "https://grafana.example.com"}, "grafana.example.com", "self"),
        ({"SHOP_PUBLIC_ADDRESS": "http://storefront:8080"}, "storefront", "self"),
        # an identity provider's authority, issuer, keys and discovery are fetched once and cached
        ({"IdentityUrl": "http://identity-api"}, "identity-api", "identity"),
        ({"urls__identity": "http://identity-api"}, "identity-api", "identity"),
        ({"spring.security.oauth2.resourceserver.jwt.issuer-uri": "http://keycloak:8080/realms/shop"},
         "keycloak", "identity"),
        ({"spring.security.oauth2.resourceserver.jwt.jwk-set-uri": "http://auth:9000/oauth2/jwks"}, "auth",
         "identity"),
        ({"AUTH_DISCOVERY": "http://auth:9000/.well-known/openid-configuration"}, "auth", "identity"),
        ({"OIDC_ISSUER_BASE_URL": "https://sso.example.com"}, "sso.example.com", "identity"),
        # OAuth pages, redirects and variables compiled into browser code are opened by a browser
        ({"AUTHORIZATION_ENDPOINT": "http://auth:9000/authorize"}, "auth", "browser"),
        ({"STRIPE_SUCCESS_URL": "https://shop.example.com/paid"}, "shop.example.com", "browser"),
        ({"NEXT_PUBLIC_API_URL": "http://checkout:8080"}, "checkout", "browser"),
        ({"REACT_APP_API_BASE": "http://api:8000"}, "api", "browser"),
        ({"VITE_BACKEND_URL": "http://api:8000"}, "api", "browser"),
        ({"PUBLIC_API_URL": "http://api:8000"}, "api", "browser"),
        ({"FRONTEND_URL": "http://ui:3000"}, "ui", "browser"),
        # health checks are polled, by path or by key
        ({"PaymentUrlHC": "http://payment-api/hc"}, "payment-api", "health"),
        ({"HealthChecksUI__HealthChecks__0__Uri": "http://webmvc/hc"}, "webmvc", "health"),
        ({"ORDERS_STATUS": "http://orders:8080/healthz"}, "orders", "health"),
        ({"CATALOG_PROBE": "http://catalog:8080/health/ready"}, "catalog", "health"),
        # a periodic release check
        ({"RELEASE_CHECK_URL": "https://api.github.com/repos/netbox-community/netbox/releases"}, "api.github.com",
         "background"),
        # uncertain words: the graph makes these calls when the host is a service of the deployment
        ({"WebhooksUrl": "http://webhooks-api"}, "webhooks-api", "mention"),
        ({"PAYMENT_CALLBACK_URL": "http://payments:8080/cb"}, "payments", "mention"),
        ({"CallBackUrl": "https://shop.example.com/signin-oidc"}, "shop.example.com", "mention"),
        ({"ORIGIN_URL": "http://adguard-primary"}, "adguard-primary", "mention"),
        # a scheme-less host:port under an address key
        ({"CART_ADDR": "cart:7070"}, "cart", "address"),
        ({"SHIPPING_ENDPOINT": "shipping:50051"}, "shipping", "address"),
    ],
)
def test_known_addresses_are_not_calls(pairs: dict[str, Any], host: str, purpose: str) -> None:
    assert purposes(pairs) == {(host, "knows_address", purpose)}


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ({"CART_SERVICE_ADDR": "cartservice:7070"}, ("cartservice", 7070, "calls", "service", "http", "")),
        ({"TRAINER_GRPC_ADDR": "trainer-grpc:3000"}, ("trainer-grpc", 3000, "calls", "service", "grpc", "")),
        ({"CART_ADDR": "cart:7070"}, ("cart", 7070, "knows_address", "service", "tcp", "")),
        # a datastore's port says what the address is
        ({"RETAIL_CATALOG_PERSISTENCE_ENDPOINT": "catalog-db:3306"},
         ("catalog-db", 3306, "connects_to", "datastore", "mysql", "")),
        ({"SESSION_ADDR": "sessions:6379"}, ("sessions", 6379, "connects_to", "cache", "redis", "")),
        # telemetry is shipped, not called
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector:4317"},
         ("otel-collector", 4317, "connects_to", "service", "tcp", "")),
    ],
)
def test_scheme_less_addresses(pairs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert links(pairs) == {expected}


@pytest.mark.parametrize(
    "pairs",
    [
        {"GRPC_LISTEN_ADDR": "api:50051"},  # the holder's own listening address
        {"BIND_ADDRESS": "api:8080"},
        {"CART_ADDR": "cart"},  # no port: a name, not an address
        {"API_ENDPOINT": "/v1/orders"},
    ],
)
def test_not_an_address(pairs: dict[str, Any]) -> None:
    assert run(pairs).links == ()


def test_a_switched_off_feature_only_knows_its_addresses() -> None:
    pairs = {
        "SURVEY_ENABLED": "false",
        "SURVEY_URL": "https://www.questionpro.com/t/AUs7VZq00L",
        "ENABLE_RECOMMENDATIONS": "no",
        "RECOMMENDATIONS_API_URL": "http://recommendations:8080",
        "REDIS_DISABLED": "true",
        "REDIS_URL": "redis://redis:6379/0",
        "CHATGPT_ENABLED": "true",
        "CHATGPT_BASE_PATH": "https://api.openai.com/v1/",
        "ORDERS_URL": "http://orders:8080",
    }
    assert {(link.host, link.kind, link.purpose) for link in run(pairs).links} == {
        ("www.questionpro.com", "knows_address", "disabled"),
        ("recommendations", "knows_address", "disabled"),
        ("redis", "knows_address", "disabled"),
        ("api.openai.com", "calls", ""),  # switched on
        ("orders", "calls", ""),  # no switch names it
    }
    dotted = run({"feature.payments.enabled": False, "feature.payments.url": "http://payments:8080"})
    assert [(link.kind, link.purpose) for link in dotted.links] == [("knows_address", "disabled")]


def test_a_known_address_does_not_hide_a_call_to_the_same_host() -> None:
    result = run({"PUBLIC_ORDERS_URL": "http://orders:8080", "ORDERS_SERVICE_HOST": "orders"})
    assert {(link.key, link.kind) for link in result.links} == {
        ("PUBLIC_ORDERS_URL", "knows_address"), ("ORDERS_SERVICE_HOST", "calls")}


def test_telemetry_endpoints_are_connections_not_calls() -> None:
    assert links({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317"}) == {
        ("otel-collector", 4317, "connects_to", "service", "http", "")}


def test_non_string_values_are_ignored_safely() -> None:
    result = run({"PORT": 8080, "DEBUG": True, "NOTHING": None, "LIST": ["a", 1], "MAP": {"a": 1}})
    assert result.links == ()


# -- settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ({"spring.datasource.hikari.maximum-pool-size": "20"}, ("pool", 20)),
        ({"SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE": "15"}, ("pool", 15)),
        ({"spring.datasource.tomcat.max-active": 50}, ("pool", 50)),
        ({"SQLALCHEMY_POOL_SIZE": "10"}, ("pool", 10)),
        ({"SQLALCHEMY_ENGINE_OPTIONS.pool_size": 5}, ("pool", 5)),
        ({"SQLALCHEMY_ENGINE_OPTIONS.poolclass": "<NullPool>"}, ("pool", False)),
        ({"PGPOOL_MAX": "25"}, ("pool", 25)),
        ({"DB_POOL_MAX": "12"}, ("pool", 12)),
        ({"DATABASE_POOL_SIZE": "8"}, ("pool", 8)),
        ({"db.pool.max": 20}, ("pool", 20)),
        ({"RAILS_MAX_THREADS": "5"}, ("pool", 5)),
        ({"DATABASES.default.OPTIONS.pool": True}, ("pool", True)),
        ({"DATABASES.default.CONN_MAX_AGE": 600}, ("conn_max_age", 600)),
        ({"DATABASES.default.CONN_MAX_AGE": None}, ("conn_max_age", None)),
        ({"CONN_MAX_AGE": "60"}, ("conn_max_age", 60)),
        ({"POSTGRESQL_MAX_CONNECTIONS": "300"}, ("db_max_connections", 300)),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.file"}, ("session_store", "file")),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db"}, ("session_store", "db")),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.cache"}, ("session_store", "cache")),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}, ("session_store", "cookie")),
        ({"SESSION_TYPE": "filesystem"}, ("session_store", "file")),
        ({"SESSION_TYPE": "sqlalchemy"}, ("session_store", "db")),
        ({"spring.session.store-type": "jdbc"}, ("session_store", "jdbc")),
        ({"spring.session.store-type": "none"}, ("session_store", "none")),
        ({"session.save_handler": "files"}, ("session_store", "file")),
        ({"SESSION_DRIVER": "array"}, ("session_store", "memory")),
        ({"SESSION_STORE": "connect-redis"}, ("session_store", "redis")),
        ({"CACHES.default.BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, ("cache_backend", "locmem")),
        ({"CACHES.default.BACKEND": "django_redis.cache.RedisCache"}, ("cache_backend", "redis")),
        ({"CACHES.default.BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}, ("cache_backend", "file")),
        ({"CACHE_TYPE": "SimpleCache"}, ("cache_backend", "memory")),
        ({"CACHE_TYPE": "flask_caching.backends.FileSystemCache"}, ("cache_backend", "file")),
        ({"spring.cache.type": "caffeine"}, ("cache_backend", "caffeine")),
        ({"CACHE_DRIVER": "file"}, ("cache_backend", "file")),
        ({"feign.client.config.inventory.readTimeout": "5000"}, ("timeout", 5.0)),
        ({"spring.cloud.openfeign.client.config.orders.read-timeout": "2s"}, ("timeout", 2.0)),
        ({"resilience4j.timelimiter.instances.pricing.timeout-duration": "750ms"}, ("timeout", 0.75)),
        ({"hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds": 3000}, ("timeout", 3.0)),
        ({"ribbon.ReadTimeout": 4000}, ("timeout", 4.0)),
        ({"PAYMENTS_TIMEOUT": "10"}, ("timeout", 10.0)),
        ({"HTTP_CLIENT_TIMEOUT": "1m30s"}, ("timeout", 90.0)),
        ({"UPSTREAM_TIMEOUT_MS": "250"}, ("timeout", 0.25)),
        ({"GUNICORN_TIMEOUT": "120"}, ("server_timeout", 120.0)),
        ({"spring.datasource.hikari.connection-timeout": 30000}, ("datastore_timeout", 30.0)),
        ({"HTTP_MAX_RETRIES": "3"}, ("retry", 3)),
        ({"spring.cloud.loadbalancer.retry.enabled": "true"}, ("retry", True)),
        ({"ribbon.MaxAutoRetries": 2}, ("retry", 2)),
        ({"feign.circuitbreaker.enabled": "true"}, ("circuit_breaker", True)),
        ({"spring.cloud.openfeign.circuitbreaker.enabled": False}, ("circuit_breaker", False)),
        ({"CIRCUIT_BREAKER_ENABLED": "yes"}, ("circuit_breaker", True)),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ("tracing", "otel")),
        ({"OTEL_SDK_DISABLED": "true"}, ("tracing", False)),
        ({"OTEL_TRACES_EXPORTER": "none"}, ("tracing", False)),
        ({"JAEGER_AGENT_HOST": "jaeger"}, ("tracing", "jaeger")),
        ({"spring.zipkin.base-url": "http://zipkin:9411"}, ("tracing", "zipkin")),
        ({"management.zipkin.tracing.endpoint": "http://zipkin:9411/api/v2/spans"}, ("tracing", "zipkin")),
        ({"management.tracing.sampling.probability": 1.0}, ("tracing", "micrometer")),
        ({"management.tracing.enabled": "false"}, ("tracing", False)),
        ({"spring.sleuth.enabled": "false"}, ("tracing", False)),
        ({"spring.sleuth.sampler.probability": "0.5"}, ("tracing", "sleuth")),
        ({"AWS_XRAY_DAEMON_ADDRESS": "xray:2000"}, ("tracing", "xray")),
        ({"DD_AGENT_HOST": "datadog-agent"}, ("tracing", "datadog")),
        ({"DD_TRACE_ENABLED": "false"}, ("tracing", False)),
        ({"ELASTIC_APM_SERVER_URL": "http://apm:8200"}, ("tracing", "elastic-apm")),
        ({"NEW_RELIC_APP_NAME": "shop"}, ("tracing", "newrelic")),
        ({"management.endpoints.web.exposure.include": "health,prometheus"}, ("metrics", "prometheus")),
        ({"management.metrics.export.prometheus.enabled": "true"}, ("metrics", "prometheus")),
        ({"PROMETHEUS_MULTIPROC_DIR": "/tmp/prom"}, ("metrics", "prometheus")),
        ({"STATSD_HOST": "statsd"}, ("metrics", "statsd")),
        ({"RATE_LIMIT_PER_MINUTE": "120"}, ("rate_limit", 120)),
        ({"RATELIMIT_ENABLED": "false"}, ("rate_limit", False)),
        ({"THROTTLE_REQUESTS": "true"}, ("rate_limit", True)),
        ({"spring.cloud.gateway.routes[0].filters[0]": "RequestRateLimiter=1, 2"}, ("rate_limit", True)),
        ({"spring.cloud.gateway.routes[0].filters[1].name": "CircuitBreaker"}, ("circuit_breaker", True)),
        ({"spring.cloud.gateway.default-filters[0]": "Retry=3"}, ("retry", True)),
        ({"resilience4j.ratelimiter.instances.api.limit-for-period": 50}, ("rate_limit", 50)),
        ({"MEDIA_ROOT": "/srv/media"}, ("upload_dir", "/srv/media")),
        ({"UPLOAD_FOLDER": "/srv/uploads"}, ("upload_dir", "/srv/uploads")),
        ({"UPLOADS_DIR": "./uploads"}, ("upload_dir", "./uploads")),
        ({"spring.servlet.multipart.location": "/data/upload"}, ("upload_dir", "/data/upload")),
        ({"UPLOAD_DIR": "s3://bucket/uploads"}, ("upload_storage", "remote")),
    ],
)
def test_recognised_setting(pairs: dict[str, Any], expected: tuple[str, Any]) -> None:
    (key,) = pairs
    found = run(pairs).settings
    assert expected in [(s.topic, s.value) for s in found if s.key == key]
    assert [s.topic for s in found].count(expected[0]) == 1
    assert all(s.location == Location("app/.env", 1) for s in found)


@pytest.mark.parametrize(
    "pairs",
    [
        {"SESSION_COOKIE_NAME": "sid"},
        {"SESSION_COOKIE_AGE": 1209600},
        {"SESSION_TIMEOUT": "30m"},
        {"server.servlet.session.timeout": "30m"},
        {"CACHES.default.TIMEOUT": 300},
        {"GUNICORN_WORKERS": "4"},
        {"REDIS_POOL_SIZE": "10"},
        {"DB_POOL_MIN": "2"},
        {"FILE_UPLOAD_TEMP_DIR": "/tmp"},
        {"FILE_UPLOAD_MAX_MEMORY_SIZE": "2621440"},
        {"JWT_TOKEN_TIMEOUT": "3600"},
        {"CELERY_TASK_MAX_RETRIES": "5"},
        {"RETRY_AFTER_HEADER": "Retry-After"},
        {"management.health.circuitbreakers.enabled": "true"},
        {"SENTRY_DSN": ""},
        {"MEDIA_URL": "/media/"},
    ],
)
def test_no_false_positive(pairs: dict[str, Any]) -> None:
    assert [s for s in run(pairs).settings if s.topic != "server_timeout"] == []


def test_some_keys_say_two_things() -> None:
    assert settings({"hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds": 3000}) == {
        ("timeout", "hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds", 3.0, 1),
        ("circuit_breaker", "hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds", True, 1)}
    assert settings({"DD_AGENT_HOST": "datadog-agent"}) == {
        ("tracing", "DD_AGENT_HOST", "datadog", 1), ("metrics", "DD_AGENT_HOST", "datadog", 1)}


def test_gunicorn_timeout_is_a_server_timeout_not_a_call_timeout() -> None:
    assert settings({"GUNICORN_TIMEOUT": "120"}) == {("server_timeout", "GUNICORN_TIMEOUT", 120.0, 1)}


def test_resilience4j_gives_one_setting_per_instance() -> None:
    found = settings({
        "resilience4j.circuitbreaker.instances.inventory.sliding-window-size": 20,
        "resilience4j.circuitbreaker.instances.inventory.failure-rate-threshold": 50,
        "resilience4j.circuitbreaker.instances.payments.sliding-window-size": 10,
        "resilience4j.retry.instances.inventory.wait-duration": "200ms",
        "resilience4j.retry.instances.inventory.max-attempts": 4,
    })
    assert found == {
        ("circuit_breaker", "resilience4j.circuitbreaker.instances.inventory.sliding-window-size", True, 1),
        ("circuit_breaker", "resilience4j.circuitbreaker.instances.payments.sliding-window-size", True, 3),
        ("retry", "resilience4j.retry.instances.inventory.wait-duration", 4, 4),
    }


def test_pooler_host_is_a_db_proxy_and_pooling() -> None:
    assert settings({"DATABASE_URL": "postgres://u:p@pgbouncer:6432/app"}) == {
        ("db_proxy", "DATABASE_URL", "pgbouncer", 1), ("pool", "DATABASE_URL", True, 1)}
    assert settings({"DATABASE_URL": "postgres://u:p@db-pool:6432/app"}) == {
        ("db_proxy", "DATABASE_URL", "pgbouncer", 1), ("pool", "DATABASE_URL", True, 1)}
    proxy = "orders.proxy-abc123xyz.eu-west-1.rds.amazonaws.com"
    assert ("db_proxy", "DB_HOST", "rds-proxy", 1) in settings({"DB_HOST": proxy, "DB_PORT": 5432})


def test_url_query_pool_options() -> None:
    assert ("pool", "MONGO_URL", 50, 1) in settings({"MONGO_URL": "mongodb://m:27017/app?maxPoolSize=50"})


def test_spring_datasource_url_implies_hikari_default_pool() -> None:
    assert settings({"spring.datasource.url": "jdbc:postgresql://db:5432/app"}) == {
        ("pool", "(spring default: HikariCP)", 10, 1)}
    assert settings({"spring.datasource.url": "jdbc:postgresql://db:5432/app",
                     "spring.datasource.hikari.maximum-pool-size": 30}) == {
        ("pool", "spring.datasource.hikari.maximum-pool-size", 30, 2)}


def test_media_root_with_remote_storage_is_remote_not_an_upload_dir() -> None:
    assert settings({"MEDIA_ROOT": "/srv/media", "DEFAULT_FILE_STORAGE": "storages.backends.s3boto3.S3Boto3Storage"}) \
        == {("upload_storage", "DEFAULT_FILE_STORAGE", "remote", 2)}
    assert settings({"STORAGES.default.BACKEND": "django.core.files.storage.FileSystemStorage",
                     "MEDIA_ROOT": "/srv/media"}) == {
        ("upload_storage", "STORAGES.default.BACKEND", "local", 1), ("upload_dir", "MEDIA_ROOT", "/srv/media", 2)}


def test_otel_disabled_outweighs_other_otel_variables() -> None:
    assert settings({"OTEL_SERVICE_NAME": "catalog", "OTEL_TRACES_EXPORTER": "none"}) == {
        ("tracing", "OTEL_TRACES_EXPORTER", False, 2)}


def test_placeholders_resolve_to_their_defaults() -> None:
    assert settings({"spring.datasource.hikari.maximum-pool-size": "${DB_POOL:25}"}) == {
        ("pool", "spring.datasource.hikari.maximum-pool-size", 25, 1)}
    assert links({"REDIS_URL": "${REDIS_URL:-redis://redis:6379}"}) == {
        ("redis", 6379, "connects_to", "cache", "redis", "")}


def test_class_prefixed_keys_are_recognised() -> None:
    assert settings({"ProductionConfig.SESSION_TYPE": "redis"}, "flask") == {
        ("session_store", "ProductionConfig.SESSION_TYPE", "redis", 1)}


def test_framework_is_set() -> None:
    (setting,) = run({"SESSION_ENGINE": "django.contrib.sessions.backends.db"}, "django").settings
    assert setting.framework == "django"
    (setting,) = run({"SESSION_TYPE": "redis"}).settings
    assert setting.framework == "flask"


# -- tracing from launch options and command lines ---------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ({"JAVA_TOOL_OPTIONS": "-javaagent:/otel/opentelemetry-javaagent.jar -XX:MaxRAMPercentage=75"}, "otel"),
        ({"JAVA_TOOL_OPTIONS": "-javaagent:/otel-auto-instrumentation-java/javaagent.jar"}, "otel"),
        ({"JAVA_OPTS": "-Xmx512m -javaagent:/opt/aws-opentelemetry-agent.jar"}, "otel"),
        ({"JAVA_OPTS": "-javaagent:/opt/datadog/dd-java-agent.jar -Ddd.service=orders"}, "datadog"),
        ({"_JAVA_OPTIONS": "-javaagent:/newrelic/newrelic.jar"}, "newrelic"),
        ({"JAVA_TOOL_OPTIONS": "-javaagent:/apm/elastic-apm-agent-1.50.0.jar"}, "elastic-apm"),
        ({"JAVA_TOOL_OPTIONS": "-javaagent:/agents/applicationinsights-agent-3.5.4.jar"}, "applicationinsights"),
        ({"JAVA_TOOL_OPTIONS": "-javaagent:/otel/opentelemetry-javaagent.jar -Dotel.javaagent.enabled=false"}, False),
        ({"JAVA_OPTS": "-javaagent:/dd-java-agent.jar -Ddd.trace.enabled=false"}, False),
        ({"NODE_OPTIONS": "--require @opentelemetry/auto-instrumentations-node/register"}, "otel"),
        ({"NODE_OPTIONS": "--max-old-space-size=4096 -r @opentelemetry/auto-instrumentations-node/register"}, "otel"),
        ({"NODE_OPTIONS": "--require=@opentelemetry/auto-instrumentations-node/register"}, "otel"),
        ({"NODE_OPTIONS": "--import @opentelemetry/auto-instrumentations-node/register"}, "otel"),
        ({"NODE_OPTIONS": "-r dd-trace/init"}, "datadog"),
        ({"NODE_OPTIONS": "--require newrelic"}, "newrelic"),
    ],
)
def test_tracing_from_launch_options(pairs: dict[str, Any], expected: Any) -> None:
    (key,) = pairs
    found = run(pairs).settings
    assert [(s.topic, s.key, s.value, s.location.line) for s in found] == [("tracing", key, expected, 1)]


@pytest.mark.parametrize(
    "pairs",
    [
        {"JAVA_OPTS": "-Xms256m -Xmx512m -XX:+UseG1GC"},
        {"JAVA_TOOL_OPTIONS": "-javaagent:/opt/jmx_prometheus_javaagent.jar=9404:/etc/jmx.yml"},
        {"JAVA_TOOL_OPTIONS": "-javaagent:${AGENT_JAR}"},
        {"NODE_OPTIONS": "--max-old-space-size=4096"},
        {"NODE_OPTIONS": "--require ./tracing.js"},
        {"NODE_OPTIONS": "--require @opentelemetry/api"},
        {"JAVA_TOOL_OPTIONS": ["-javaagent:/otel/opentelemetry-javaagent.jar"]},
    ],
)
def test_launch_options_without_a_tracer(pairs: dict[str, Any]) -> None:
    assert [s for s in run(pairs).settings if s.topic == "tracing"] == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("opentelemetry-instrument gunicorn shop.wsgi -b 0.0.0.0:8000", "otel"),
        ("sh -c 'opentelemetry-instrument python manage.py runserver'", "otel"),
        ("/usr/local/bin/ddtrace-run uvicorn app:app", "datadog"),
        ("newrelic-admin run-program gunicorn app:app", "newrelic"),
        ("newrelic-admin run-python app.py", "newrelic"),
        ("java -javaagent:/app/opentelemetry-javaagent.jar -jar app.jar", "otel"),
        ("node -r dd-trace/init server.js", "datadog"),
        ("node --require @opentelemetry/auto-instrumentations-node/register dist/main.js", "otel"),
        ("gunicorn shop.wsgi", None),
        ("pip install -r requirements.txt && python app.py", None),
        ("echo ddtrace-runner opentelemetry-instrumentation", None),
        ("newrelic-admin generate-config KEY newrelic.ini", None),
        ("opentelemetry-instrument --traces_exporter none --metrics_exporter otlp python app.py", None),
        ("java -javaagent:/opt/jmx_prometheus_javaagent.jar=9404:/etc/jmx.yml -jar app.jar", None),
    ],
)
def test_command_tracing(command: str, expected: str | None) -> None:
    assert command_tracing(command) == expected


# -- Spring cache types and Django's session cache alias ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("simple", "memory"),
        ("caffeine", "caffeine"),
        ("ehcache", "ehcache"),
        ("cache2k", "cache2k"),
        ("redis", "redis"),
        ("hazelcast", "hazelcast"),
        ("infinispan", "infinispan"),
        ("jcache", "jcache"),
        ("generic", "generic"),
        ("couchbase", "db"),
        ("none", "dummy"),
        ("NONE", "dummy"),
        ("unknown-provider", None),
    ],
)
def test_spring_cache_types_stay_distinct(value: str, expected: str | None) -> None:
    found = {(s.topic, s.key, s.value, s.location.line, s.framework)
             for s in run({"spring.cache.type": value}, "spring").settings}
    assert found == ({("cache_backend", "spring.cache.type", expected, 1, "spring")} if expected else set())
    relaxed = {(s.topic, s.value, s.framework) for s in run({"SPRING_CACHE_TYPE": value}).settings}
    assert relaxed == ({("cache_backend", expected, "spring")} if expected else set())


def test_session_cache_alias() -> None:
    assert settings({"SESSION_ENGINE": "django.contrib.sessions.backends.cache", "SESSION_CACHE_ALIAS": "sessions"},
                    "django") == {("session_store", "SESSION_ENGINE", "cache", 1),
                                  ("session_cache_alias", "SESSION_CACHE_ALIAS", "sessions", 2)}
    (setting,) = run({"ProductionSettings.SESSION_CACHE_ALIAS": "sessions"}).settings
    assert (setting.topic, setting.value, setting.framework) == ("session_cache_alias", "sessions", "django")
    assert settings({"SESSION_CACHE_ALIAS": "${SESSION_CACHE}"}) == set()
    assert settings({"SESSION_CACHE_ALIAS": ""}) == set()


@pytest.mark.parametrize(("path", "dev"), [
    ("config/settings/dev.py", True),
    ("src/main/resources/application-test.yml", True),
    ("examples/app/.env", True),
    ("src/main/java/com/example/demo/config/Clients.java", False),  # the package names the organisation
    ("src/ui/src/main/java/com/amazon/sample/ui/StoreServices.java", False),
    ("Services/Sample.Api/Startup.cs", False),
    ("src/main/java/com/shop/DevClients.java", False),
    ("internal/test_helpers.go", True),
])
def test_which_files_configure_only_development(path: str, dev: bool) -> None:
    from auditor.checks.context import dev_only

    assert dev_only(path) is dev


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("RETAIL_CART_PERSISTENCE_PROVIDER", "in-memory", ["memory"]),
    ("app.repository.type", "memory", ["memory"]),
    ("ORDERS_PERSISTENCE_PROVIDER", "postgres", []),
    ("RETAIL_ORDERS_MESSAGING_PROVIDER", "in-memory", []),  # a broker, not the service's data
    ("CACHE_STORAGE_TYPE", "memory", []),  # a cache: cache_backend's topic
    ("STORAGE_TYPE", "inmemory", ["memory"]),
])
def test_an_in_memory_data_store_chosen_by_configuration(key: str, value: str, expected: list[str]) -> None:
    from auditor.model import Location
    from auditor.parsers.settings import Entry, interpret

    found = interpret([Entry(key, value, Location("k8s/app.yaml", 3))]).settings
    assert [s.value for s in found if s.topic == "data_store"] == expected
