"""What configuration keys and values mean, whatever file they come from.

Compose `environment`, Kubernetes `env`/ConfigMaps, `.env`, Spring, Django, Flask and Node config all
reduce to (key, value, location) entries; `interpret` turns them into recognised `Setting`s (pool,
session store, cache, timeouts, retries, circuit breakers, tracing, metrics, …) and `Link`s (a URL or
host that names a datastore, cache, queue or another service). Knowledge of frameworks lives here, once.

Setting topics and their normalised values:

- `pool`: int max pool size, True (pooling configured), False (explicitly disabled, e.g. NullPool)
- `conn_max_age`: int seconds, None (persistent, unlimited)
- `db_proxy`: pgbouncer | pgpool | proxysql | rds-proxy | supavisor | odyssey (the DB host is a pooler)
- `db_max_connections`: int (server-side max_connections)
- `session_store`: cookie | file | memory | cache | db | redis | memcached | jdbc | hazelcast | mongodb | none
- `session_cache_alias`: the Django cache alias the `cache`/`cached_db` session engines use (SESSION_CACHE_ALIAS)
- `cache_backend`: locmem | memory | file | redis | memcached | db | dummy | caffeine | ehcache | cache2k | hazelcast |
  infinispan | jcache | generic. Local to each process: locmem, memory, file, caffeine, ehcache, cache2k; Spring's
  `infinispan`, `jcache` and `generic` depend on the provider and may be distributed; `dummy` caches nothing
- `timeout`: float seconds of an outgoing call (0.0 = no timeout); `key` is the config key, which names
  the client/instance (`feign.client.config.orders.readTimeout`)
- `datastore_timeout`: float seconds of a DB/cache client timeout (hikari connection-timeout, …)
- `server_timeout`: float seconds of a timeout of the server itself (GUNICORN_TIMEOUT, keepalive)
- `retry`: int attempts or True/False
- `circuit_breaker`: True/False;  `bulkhead`: True
- `tracing`: otel | jaeger | zipkin | xray | datadog | sleuth | micrometer | elastic-apm | newrelic | sentry |
  applicationinsights, or False when explicitly disabled. Also recognised in launch options
  (`JAVA_TOOL_OPTIONS`/`JAVA_OPTS`/`_JAVA_OPTIONS` `-javaagent:`, `NODE_OPTIONS` `--require`) and, through
  `command_tracing`, in a process's command line (`opentelemetry-instrument`, `ddtrace-run`, `newrelic-admin`)
- `metrics`: prometheus | statsd | datadog | otel | micrometer system name | custom, or False
- `rate_limit`: True/False or a number (requests per second for nginx zones, the configured figure otherwise)
- `upload_dir`: the path uploads are written to (local disk);  `upload_storage`: "remote" | "local"
- `data_store`: "memory" when configuration picks an in-process implementation for the application's own data
  (`RETAIL_CART_PERSISTENCE_PROVIDER=in-memory`, `app.repository.type: memory`): each instance has its own copy

Keys are compared case- and separator-insensitively (Spring relaxed binding: `SPRING_DATASOURCE_URL` ==
`spring.datasource.url`). A leading Python class prefix (`ProductionConfig.SESSION_TYPE`) is ignored.
Links never carry credentials; localhost and unresolved `${...}` hosts are skipped.
Telemetry endpoints (OTEL collector, Jaeger, Zipkin, …) are `connects_to` links, not `calls`.

What is a call: a URL of a service is a `calls` link unless the key says why the holder only knows the
address (a `knows_address` link with a `purpose`, see `model.ADDRESS_PURPOSES`): a health check, an identity
provider's issuer or JWKS, a CORS origin, a browser-side base or redirect, the holder's own public address,
a release check, or a feature whose switch in the same entries is off. A URL under a key of uncertain words
(`callback`, `webhook`, `docs`) and a scheme-less `host:port` under an address key (`CART_ADDR=cart:7070`)
are `knows_address` links of purpose `mention`/`address`: the graph stage makes them calls when the host
resolves to a service of the deployment, which only the holder, not a browser, can reach.
A Spring datasource URL without a pool setting implies HikariCP's default pool (10), recorded with key
"(spring default: HikariCP)".
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from auditor.model import RESOLVED_PURPOSES as _RESOLVED_PURPOSES
from auditor.model import Location, Setting
from auditor.parsers import redact, telemetry
from auditor.parsers.keys import flat_key
from auditor.parsers.numbers import boolean, digits, float_value, int_value, integer, real

# Keys (flattened) that name a Spring service's active profiles or its application name.
# `data_store`: the key names where the application persists its data and which implementation it uses.
_PERSISTENCE_WORDS = frozenset({"persistence", "repository", "repositories", "storage", "datastore", "dao"})
_IMPLEMENTATION_WORDS = frozenset({"provider", "type", "backend", "mode", "kind", "impl", "implementation"})
_NOT_DATA_WORDS = frozenset({"session", "sessions", "cache", "caches", "messaging", "queue", "broker", "log",
                             "logs", "trace", "traces", "tracing", "metrics", "span", "spans"})
_MEMORY_VALUE = re.compile(r"^(in[-_ ]?memory|inmem|memory|mem)$", re.IGNORECASE)
_SPRING_IDENTITY_KEYS = frozenset({"springprofilesactive", "springapplicationname"})


@dataclass(frozen=True)
class Entry:
    """One configuration key/value with its line. Keys are flattened with dots (`spring.datasource.url`)."""

    key: str
    value: Any
    location: Location


_MAX_ENV_VALUE = 200
_MAX_ENV_ENTRIES = 500


def env_values(entries: list[Entry]) -> list[list[Any]]:
    """A container's environment as plain data for the graph stage (`[key, value or None, line]`): what an
    off-the-shelf image reads from it (auditor/graph/image_behaviour.py). A secret-looking key's value is not
    kept, nor a URL's password; long values are cut."""
    found: list[list[Any]] = []
    for entry in entries[:_MAX_ENV_ENTRIES]:
        value = entry.value if isinstance(entry.value, str) else None
        if value is not None:
            secret = redact.is_secret_key(entry.key)
            value = redact.REDACTED if secret else redact.url_credentials(value)[:_MAX_ENV_VALUE]
        found.append([entry.key[:_MAX_ENV_VALUE], value, entry.location.line])
    return found


def env_rows(value: Any) -> list[tuple[str, str | None, int]]:
    """`env_values`' rows read back in the graph stage: (key, value or None, line), anything else skipped."""
    rows = []
    for item in value if isinstance(value, list | tuple) else []:
        if isinstance(item, list | tuple) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[2], int):
            rows.append((item[0], item[1] if isinstance(item[1], str) else None, item[2]))
    return rows


_BARE_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,8}$")


_ADDRESS_KEY = re.compile(r"(host|hostname|addr|address|server|service|svc|endpoint|target|upstream|backend)s?$",
                          re.IGNORECASE)


def bare_host(key: str, value: object) -> str | None:
    """The host an address key holds when its value is a bare host name (`USER_HOST=user`, `CATALOG_ADDR=
    catalog`): not a call by itself, but what a call in code that builds a URL from that key reaches
    (graph/code.py). None for other keys (never a secret's) and other values."""
    if not isinstance(value, str) or not _ADDRESS_KEY.search(key.replace("-", "_").replace(".", "_")) \
            or redact.is_secret_key(key) or not _BARE_HOST.match(value) or value.isdigit() \
            or value.lower() in ("true", "false", "yes", "no", "on", "off", "null", "none"):
        return None
    return value.lower()


@dataclass(frozen=True)
class Link:
    """A host named by a configuration value: the other end of a connection or call."""

    host: str
    kind: Literal["connects_to", "calls", "knows_address"]
    target_kind: Literal["datastore", "cache", "queue", "service", "external"]
    scheme: str
    key: str
    location: Location
    port: int | None = None
    database: str = ""
    purpose: str = ""  # for `knows_address`: why it is not a call (model.ADDRESS_PURPOSES)

    def attrs(self) -> dict[str, Any]:
        """The attributes an edge made from this link carries (the one place parsers take them from)."""
        found: dict[str, Any] = {"target_kind": self.target_kind, "scheme": self.scheme, "port": self.port,
                                 "key": self.key, "database": self.database}
        if self.purpose:
            found["purpose"] = self.purpose
        return found


@dataclass(frozen=True)
class Interpretation:
    settings: tuple[Setting, ...] = ()
    links: tuple[Link, ...] = ()
    unread_link: Location | None = None  # where the first link past MAX_LINKS was, if any


# Distinct hosts (databases, caches, queues, services) linked from one interpretation. Real configuration names a
# handful and the corpus's largest a few dozen; a fuzzed .env of 55,000 database URLs shared by three services
# became 20,000 findings, which took 4.4 s to audit and 15 s more to report.
MAX_LINKS = 2_000
LINKS_LIMIT = f"more than {MAX_LINKS:,} hosts named; from this line on they are not read"


# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

_SCHEME_KIND: dict[str, str] = {}
for _names, _kind in (
    ("postgres postgresql pgsql postgis psql mysql mariadb mysql2 mysqlx trilogy mongodb mongodb+srv mongo "
     "sqlserver mssql oracle db2 redshift cockroachdb cockroach cassandra clickhouse couchbase couchdb neo4j "
     "bolt neo4j+s elasticsearch opensearch dynamodb timescaledb tidb ecto yugabytedb influxdb arangodb "
     "scylla", "datastore"),
    ("redis rediss redis+sentinel redis-sentinel redis-socket valkey valkeys memcached memcache pymemcache "
     "rediscache memcache-cluster hazelcast dragonfly", "cache"),
    ("amqp amqps kafka nats tls+nats sqs stomp mqtt mqtts pulsar pulsar+ssl beanstalk nsq activemq "
     "rabbitmq sns", "queue"),
    ("http https grpc grpcs ws wss lb h2c thrift dns", "service"),
):
    for _name in _names.split():
        _SCHEME_KIND[_name] = _kind

_PORT_SCHEME = {
    5432: "postgresql", 6432: "postgresql", 3306: "mysql", 33060: "mysql", 6033: "mysql", 27017: "mongodb",
    6379: "redis", 6380: "redis", 26379: "redis", 11211: "memcached", 5672: "amqp", 5671: "amqps",
    9092: "kafka", 29092: "kafka", 4222: "nats", 1433: "sqlserver", 1521: "oracle", 9200: "elasticsearch",
    2181: "zookeeper", 61616: "activemq",
}

# Words in a key that say what kind of thing a bare host/`host:port` names.
_DATASTORE_WORDS = {
    "db", "database", "databases", "datasource", "postgres", "postgresql", "pg", "pgsql", "psql", "mysql",
    "mariadb", "mongo", "mongodb", "sql", "jdbc", "knex", "sequelize", "typeorm", "prisma", "mikroorm",
    "objection", "oracle", "mssql", "sqlserver", "cassandra", "clickhouse", "elasticsearch", "opensearch",
    "couchdb", "couchbase", "neo4j", "influxdb", "influx", "dynamodb", "solr",
}
_CACHE_WORDS = {"redis", "memcached", "memcache", "cache", "caches", "valkey", "hazelcast"}
_QUEUE_WORDS = {"rabbitmq", "rabbit", "amqp", "kafka", "nats", "broker", "mq", "queue", "sqs", "activemq",
                "pulsar", "celery", "bootstrap"}
_TELEMETRY_WORDS = {
    "otel", "otlp", "opentelemetry", "jaeger", "zipkin", "tracing", "trace", "tracer", "traces", "telemetry",
    "metrics", "prometheus", "statsd", "sentry", "apm", "newrelic", "datadog", "dd", "loki", "logstash",
    "fluentd", "fluent", "logging", "xray", "honeycomb", "pushgateway", "collector", "dsn", "lightstep",
}
# Why a URL under a key is an address the holder knows rather than a call it makes (model.ADDRESS_PURPOSES).
# Each word set is matched against the key's words; the first purpose that matches wins, in this order.
_PURPOSE_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    # Polled by a health endpoint or a health UI (ASP.NET `AddUrlGroup`, `HealthChecksUI__…__Uri`).
    ("health", frozenset({"health", "healthcheck", "healthchecks", "healthz", "hc", "liveness", "readiness",
                          "livez", "readyz"})),
    # Issuer/authority discovery and keys, fetched once and cached by the JWT/OIDC middleware; OAuth token
    # and user-info endpoints, used at login.
    ("identity", frozenset({"issuer", "authority", "jwks", "jwk", "oidc", "openid", "identity", "oauth",
                            "oauth2", "wellknown", "saml", "sso"})),
    # Who may call the holder, not whom it calls (`ORIGIN_URL` alone may be the server a tool syncs from).
    ("origin", frozenset({"cors", "origins", "allowed", "trusted", "csrf"})),
    # Opened by a browser: redirects, login pages, the UI's address used in links, front-end build variables.
    ("browser", frozenset({"redirect", "redirects", "login", "logout", "signin", "signout", "authorize",
                           "frontend", "front", "landing", "return", "success", "cancel", "next", "vite", "react",
                           "vue", "nuxt", "expo", "gatsby", "ng"})),
    # The holder's own public address (`*_PUBLIC_*`, the site's canonical address).
    ("self", frozenset({"public", "site", "homepage", "website", "canonical", "self"})),
)
# `authorization` alone may name an authorisation service that is called per request; with one of these
# it is the OAuth authorisation endpoint a browser is sent to (`OPENID_AUTHORIZATION_ENDPOINT`).
_AUTHORIZATION_ENDPOINT = frozenset({"endpoint", "url", "uri"})
# Release/update checks: a background fetch whose result is cached (`RELEASE_CHECK_URL`).
_BACKGROUND_SUBJECTS = frozenset({"release", "releases", "update", "updates", "upgrade", "version", "versions"})
_BACKGROUND_ACTIONS = frozenset({"check", "checks", "checker", "feed"})
# Key prefixes of variables compiled into browser code (Next.js, Create React App, Vite, Nuxt, Expo, Gatsby,
# Vue CLI, SvelteKit/Astro `PUBLIC_`), as word lists.
_BROWSER_PREFIXES = (("next", "public"), ("react", "app"), ("vite",), ("nuxt", "public"), ("expo", "public"),
                     ("gatsby",), ("vue", "app"), ("public",))
# URL path segments of health checks and of identity-provider discovery.
_HEALTH_SEGMENTS = frozenset({"hc", "healthz", "liveness", "readiness", "livez", "readyz"})
_IDENTITY_PATH = re.compile(r"/\.well-known/(openid-configuration|jwks\.json|oauth-authorization-server)|"
                            r"/protocol/openid-connect(/|$)|/jwks(\.json)?(/|$)")
# Words that used to say "not a dependency" but say nothing certain: a URL under them is a call when its
# host is another service of the deployment (a browser cannot reach an internal name), else an address.
_MENTION_WORDS = frozenset({
    "callback", "webhook", "webhooks", "static", "media", "cdn", "asset", "assets", "docs", "doc",
    "documentation", "help", "support", "terms", "privacy", "logo", "image", "avatar", "icon", "favicon",
    "download", "repo", "repository", "git", "github", "schema", "xmlns", "license", "feedback", "issues",
    "swagger", "openapi", "unsubscribe", "reset", "invite", "verify", "verification", "email", "mail", "share",
    "failure", "error", "tos", "external", "profile", "origin",
})
# Keys (flattened) that are the holder's own address, and the last two words that say so (`LEAN_APP_URL`).
_SELF_URL_KEYS = {"baseurl", "appurl", "siteurl", "publicurl", "rooturl", "hosturl", "externalurl",
                  "serverurl", "applicationurl", "nextauthurl", "url", "host", "hostname", "domain",
                  "allowedhosts", "serverport", "port"}
_SELF_URL_ENDINGS = frozenset({("app", "url"), ("root", "url"), ("application", "url"), ("site", "url"),
                               ("public", "url"), ("external", "url"), ("app", "uri"), ("app", "host"),
                               ("app", "domain"), ("site", "domain")})
# Last (or first) words of a feature switch: `SURVEY_ENABLED`, `ENABLE_SURVEY`, `CHAT_DISABLED`.
_SWITCH_WORDS = frozenset({"enabled", "enable", "disabled", "disable"})
_MAX_SWITCH_WORDS = 16  # a longer "feature name" is not one: bounds the prefixes tried per link
# Words of a `host:port` key that is the holder's own listening address, not a peer's.
_LISTEN_WORDS = frozenset({"listen", "listening", "bind", "advertise", "advertised"})
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "::", "ip6-localhost", "host.docker.internal",
                "localhost.localdomain", "*", "+"}
_INTERNAL_SUFFIXES = (".svc", ".cluster.local", ".local", ".internal", ".consul", ".lan", ".corp", ".home",
                      ".localdomain", ".intra", ".intranet", ".private", ".test", ".localhost", ".docker",
                      ".svc.cluster.local", ".home.arpa", ".example")
_PUBLIC_TLDS = frozenset(re.split(
    r"\s+", "com net org io co ai dev app cloud biz info me tech xyz online site services api page link digital "
    "systems solutions software network global pro gov edu mil int eu asia tv fm ly sh gg is so to"))
_HOST_WORDS = {"host", "hostname", "server", "servers", "addr", "address", "addresses", "endpoint", "hosts",
               "uri", "nodes", "brokers", "location"}
_PORT_WORDS = {"port"}
_DBNAME_WORDS = {"name", "database", "db", "dbname"}
_SIBLING_SCHEME_WORDS = ("engine", "adapter", "dialect", "client", "type", "driver", "scheme", "protocol")

_PROXIES = (
    (re.compile(r"pgbouncer|pg-bouncer|pg_bouncer"), "pgbouncer"),
    (re.compile(r"pgpool"), "pgpool"),
    (re.compile(r"proxysql"), "proxysql"),
    (re.compile(r"\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com$"), "rds-proxy"),
    (re.compile(r"pooler\.supabase\.com$|supavisor"), "supavisor"),
    (re.compile(r"odyssey"), "odyssey"),
)
_POOLING_PROXIES = {"pgbouncer", "pgpool", "proxysql", "rds-proxy", "supavisor", "odyssey"}


_CLASS_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z0-9]*)?(Config|Settings|Configuration)\.")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNRESOLVED = re.compile(r"\$\{|\{\{|\$\(|%\(|<%|^\$[A-Za-z_]|^<[^>]*>$|\{[A-Za-z_][A-Za-z0-9_]*\}")
_PLACEHOLDER_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-[]")
_HOSTPORT = re.compile(r"^\[?(?P<host>[A-Za-z0-9_.\-:]+?)\]?(?::(?P<port>\d{1,5}))?$")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)
# A number starts only where no digit or dot precedes it, so a long run of digits is tried once, not from each
# of its digits (20,000 digits and an `x` took 21 s).
_DURATION_PART = re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)\s*+(ns|us|µs|ms|s|m|h|d)", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
                           re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# Small value helpers
# --------------------------------------------------------------------------------------------------


def _resolve(value: Any) -> Any:
    """A value with a `${X:default}` / `${X:-default}` placeholder replaced by its default."""
    if isinstance(value, str):
        text = value.strip()
        default = _placeholder_default(text)
        return default.strip() if default is not None else text
    return value


def _placeholder_default(text: str) -> str | None:
    """The default of a whole-value `${NAME:default}`, `${NAME:-default}` or `${NAME-default}`, else None.

    NAME may hold `-` itself, so the separator is the last `:` or `-` that still has only name characters
    before it (as a backtracking regex read it, in quadratic time on `${A------…`).
    """
    if not (text.startswith("${") and text.endswith("}")) or "}" in text[2:-1]:
        return None
    inner = text[2:-1]
    name_end = 0
    while name_end < len(inner) and inner[name_end] in _PLACEHOLDER_NAME:
        name_end += 1
    for split in range(min(name_end, len(inner) - 1), 0, -1):
        if inner[split] == ":":
            return inner[split + 2 :] if inner.startswith("-", split + 1) else inner[split + 1 :]
        if inner[split] == "-":
            return inner[split + 1 :]
    return None


def _as_int(value: Any) -> int | None:
    """An int from a value or its text (`"10"`, `'1_000'`, `-3`); None for bools, fractions and the absurd."""
    if isinstance(value, str):
        return integer(value.strip().strip("'\"").replace("_", ""))
    return int_value(value)


def _as_float(value: Any) -> float | None:
    """A finite float from a value or its text; None for bools, `inf`, `nan` and junk."""
    if isinstance(value, str):
        return real(value.strip().strip("'\""))
    return float_value(value)


def _duration(value: Any, bare_unit: float) -> float | None:
    """Seconds in a duration: a number in `bare_unit` seconds, "5s", "250ms", "1m30s", "PT5S"."""
    if isinstance(value, bool) or value is None:
        return None
    number = _as_float(value)
    if number is not None:
        return round(number * bare_unit, 6)
    if not isinstance(value, str):
        return None
    text = value.strip().strip("'\"")
    iso = _ISO_DURATION.match(text)
    if iso and any(iso.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return round(days * 86400 + hours * 3600 + minutes * 60 + seconds, 6)
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    parts = _DURATION_PART.findall(text)
    if parts and _DURATION_PART.sub("", text).strip() == "":
        return round(sum(float(n) * units[u.lower()] for n, u in parts), 6)
    return None


_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SEGMENT_BREAK = re.compile(r"\.|\[\d*\]")


def _words(key: str) -> list[str]:
    """`spring.datasource.hikari.maximum-pool-size` → [spring, datasource, hikari, maximum, pool, size]."""
    return [w for w in _NOT_WORD.split(_CAMEL.sub("_", key).lower()) if w]


def _segments(key: str) -> list[str]:
    """Dot segments with list indices dropped: `a.b[0].c` → [a, b, c]."""
    return [s for s in _SEGMENT_BREAK.split(key) if s]


def _is_unresolved(text: str) -> bool:
    return bool(_UNRESOLVED.search(text))


def _valid_host(host: str) -> bool:
    if not host or _is_unresolved(host) or "/" in host or " " in host:
        return False
    low = host.lower().strip("[]")
    if low in _LOCAL_HOSTS or low.startswith("127.") or low.endswith(".localhost"):
        return False
    if _is_ip(low):
        return True
    return bool(re.fullmatch(r"[a-z0-9_.\-]+", low)) and not re.fullmatch(r"[\d.]+", low)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_INTERNAL_LABELS = frozenset({"internal", "int", "svc", "cluster", "local", "corp", "intra", "intranet", "private",
                              "priv", "lan", "consul", "mesh"})


def _is_public_host(host: str) -> bool:
    """A host on the public internet (api.stripe.com), not a service name inside the deployment."""
    low = host.lower().strip("[]").rstrip(".")
    if _is_ip(low):
        return ipaddress.ip_address(low).is_global
    if "." not in low or low.endswith(_INTERNAL_SUFFIXES):
        return False
    # `payments.internal.acme.io`, `orders.svc.corp.example.com`: a company's private zone, not a third party.
    if set(low.split(".")[1:-1]) & _INTERNAL_LABELS:
        return False
    if low.endswith(".amazonaws.com"):
        return not re.search(r"(^internal-|\.elb\.|execute-api|lambda-url|\.rds\.|cache\.amazonaws|\.es\.|"
                             r"\.mq\.|kafka\.|\.docdb\.|\.neptune\.)", low)
    tld = low.rsplit(".", 1)[-1]
    return tld in _PUBLIC_TLDS or (len(tld) == 2 and tld.isalpha())


def _to_port(text: str | None) -> int | None:
    port = digits(text) if text else None
    return port if port is not None and 0 < port < 65536 else None


# --------------------------------------------------------------------------------------------------
# URLs and connection strings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    scheme: str
    hosts: tuple[tuple[str, int | None], ...]
    database: str = ""
    query: str = ""
    pooled: bool = False  # r2dbc:pool:
    path: str = ""


def _split_hostport(part: str) -> tuple[str, int | None] | None:
    part = part.strip()
    if not part:
        return None
    if part.startswith("["):  # [::1]:5432
        close = part.find("]")
        if close < 0:
            return None
        host, rest = part[1:close], part[close + 1 :]
        return host, _to_port(rest[1:]) if rest.startswith(":") else None
    if part.count(":") > 1:
        return part, None  # a bare IPv6 address
    host, _, port = part.partition(":")
    return host, _to_port(port)


def _parse_url(value: str) -> _Url | None:
    text = value.strip()
    low = text.lower()
    pooled = False
    if low.startswith("jdbc:"):
        return _parse_jdbc(text[5:])
    if low.startswith("r2dbc:"):
        text = text[6:]
        if text.lower().startswith("pool:"):
            text, pooled = text[5:], True
        if text.lower().startswith("proxy:"):
            text = text[6:]
    match = _URL.match(text)
    if not match:
        return None
    scheme = match.group("scheme").lower()
    rest = match.group("rest")
    if scheme in ("dns",):  # grpc dns:///host:port
        rest = rest.lstrip("/")
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    at = rest.rfind("@")
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    elif at > cut:  # an unescaped '/', '?' or '#' inside a password
        candidate = rest[at + 1 :]
        cut2 = min((i for i in (candidate.find("/"), candidate.find("?"), candidate.find("#")) if i >= 0),
                   default=len(candidate))
        if ":" in authority and not authority.rsplit(":", 1)[1].isdigit():
            authority, tail = candidate[:cut2], candidate[cut2:]
    hosts = []
    for part in authority.split(","):
        parsed = _split_hostport(part)
        if parsed is not None:
            hosts.append(parsed)
    path, _, query = tail.partition("?")
    database = path.lstrip("/").split("/", 1)[0].split("#", 1)[0]
    return _Url(scheme, tuple(hosts), database, query, pooled, path.split("#", 1)[0])


def _parse_jdbc(rest: str) -> _Url | None:
    """`postgresql://h:5432/db`, `mysql:loadbalance://h1,h2/db`, `sqlserver://h:1433;databaseName=x`,
    `oracle:thin:@host:1521/svc` (the text after `jdbc:`)."""
    low = rest.lower()
    if low.startswith("oracle:"):
        at = rest.rfind("@")
        if at < 0:
            return None
        target = rest[at + 1 :].strip()
        if target.startswith("("):  # TNS descriptor
            hosts = tuple((h, _to_port(p)) for h, p in re.findall(r"HOST\s*=\s*([^)\s]+)\)\s*\(\s*PORT\s*=\s*(\d+)",
                                                                  target, re.IGNORECASE))
            service = re.search(r"(?:SERVICE_NAME|SID)\s*=\s*([^)\s]+)", target, re.IGNORECASE)
            return _Url("oracle", hosts, str(service.group(1)) if service else "")
        target = target.lstrip("/")
        pieces = re.split(r"[/:]", target)
        host = pieces[0]
        port = _to_port(pieces[1]) if len(pieces) > 1 else None
        database = pieces[2] if len(pieces) > 2 else ""
        return _Url("oracle", ((host, port),), database)
    match = re.match(r"^([a-z0-9\-]+)((?::[a-z0-9\-]+)*)://(.*)$", rest, re.IGNORECASE | re.DOTALL)
    if not match:
        return None  # jdbc:h2:mem:, jdbc:sqlite:file.db, jdbc:derby:…
    scheme = match.group(1).lower()
    sub = match.group(2).lower()
    if scheme == "aws-wrapper" and sub:
        scheme, sub = sub.lstrip(":").split(":", 1)[0], ""
    body = match.group(3)
    if scheme in ("sqlserver", "jtds"):
        head, _, props = body.partition(";")
        properties = dict(
            (k.strip().lower(), v.strip()) for k, _, v in (p.partition("=") for p in props.split(";")) if k
        )
        host_part = head.split("/", 1)[0]
        host, port = _split_hostport(host_part.split("\\", 1)[0]) or ("", None)
        if not host:
            host = properties.get("servername", "")
        database = str(properties.get("databasename", properties.get("database", "")) or "")
        if "/" in head:
            database = database or head.split("/", 1)[1]
        return _Url("sqlserver", ((host, port),), database)
    parsed = _parse_url(f"{scheme}://{body}")
    return parsed


def _compound_words(words: list[str]) -> set[str]:
    """The words and each pair of neighbours joined: `CallBackUrl` says `callback`, `HealthCheck` `healthcheck`."""
    return set(words) | {first + second for first, second in itertools.pairwise(words)}


def address_purpose(key: str, words: list[str], path: str = "", compound: set[str] | None = None) -> str:
    """Why a service address under `key` (its `words`; a URL's `path`) is known rather than called, or "".

    A health check, an identity provider's discovery, a CORS origin, a browser target or the holder's own
    public address is never a request-path call, whatever host it names.
    """
    wordset = _compound_words(words) if compound is None else compound
    segments = [s.lower() for s in path.split("/") if s]
    if any(s in _HEALTH_SEGMENTS or s.startswith("health") for s in segments):
        return "health"
    if _IDENTITY_PATH.search(path.lower()):
        return "identity"
    if any(tuple(words[: len(prefix)]) == prefix for prefix in _BROWSER_PREFIXES):
        return "browser"
    for purpose, vocabulary in _PURPOSE_WORDS:
        if wordset & vocabulary:
            return purpose
        if purpose == "identity" and "authorization" in wordset and wordset & _AUTHORIZATION_ENDPOINT:
            return "browser"
    if flat_key(key) in _SELF_URL_KEYS or tuple(words[-2:]) in _SELF_URL_ENDINGS:
        return "self"
    if wordset & _BACKGROUND_SUBJECTS and wordset & _BACKGROUND_ACTIONS:
        return "background"
    return ""


def _links_from_url(entry: Entry, url: _Url, words: list[str], key: str) -> list[Link]:
    scheme = url.scheme
    base = scheme.split("+", 1)[0] if scheme not in _SCHEME_KIND else scheme
    target_kind = _SCHEME_KIND.get(scheme) or _SCHEME_KIND.get(base)
    wordset = set(words)
    if scheme == "tcp" or target_kind is None:
        # tcp://redis:6379 under a session/cache key (PHP session.save_path), plaintext://kafka:9092 …
        if wordset & (_CACHE_WORDS | {"session"}):
            target_kind = "cache"
        elif wordset & _QUEUE_WORDS:
            target_kind = "queue"
        elif wordset & _DATASTORE_WORDS:
            target_kind = "datastore"
        elif scheme in ("plaintext", "ssl", "sasl_plaintext", "sasl_ssl"):
            target_kind = "queue"
        else:
            return []
    kind: Literal["connects_to", "calls", "knows_address"] = "connects_to"
    purpose = ""
    if target_kind == "service":
        compound = _compound_words(words)
        purpose = address_purpose(key, words, url.path, compound)
        if purpose:
            kind = "knows_address"
        elif wordset & _TELEMETRY_WORDS:
            kind = "connects_to"
        elif wordset & (_DATASTORE_WORDS - {"db"}):
            target_kind = "datastore"
        elif wordset & {"broker", "rabbitmq", "kafka", "sqs", "queue"}:
            target_kind = "queue"
        elif compound & _MENTION_WORDS:
            kind, purpose = "knows_address", "mention"
        else:
            kind = "calls"
    if scheme in ("plaintext", "ssl", "sasl_plaintext", "sasl_ssl") or (
            scheme == "tcp" and wordset & {"kafka", "bootstrap"}):
        scheme = "kafka"
    links = []
    for host, port in url.hosts:
        if not _valid_host(host):
            continue
        this_kind, this_link = target_kind, kind
        if target_kind == "service" and _is_public_host(host):
            this_kind = "external"
        if re.match(r"^sqs[.\-]", host.lower()) and host.lower().endswith(".amazonaws.com"):
            this_kind, this_link = "queue", "connects_to"
        database = url.database if this_kind in ("datastore", "cache") else ""
        links.append(Link(host.lower(), this_link, this_kind, scheme, entry.key, entry.location, port,  # type: ignore[arg-type]
                          database, purpose if this_link == "knows_address" else ""))
    return links


def _host_list(value: str) -> list[tuple[str, int | None]]:
    """`kafka-1:9092,kafka-2:9092` / `PLAINTEXT://kafka:9092` / `memcached:11211 other:11211`."""
    hosts = []
    for part in re.split(r"[,;\s]+", value.strip()):
        part = re.sub(r"^[A-Za-z_]+://", "", part).rstrip("/")
        if not part:
            continue
        parsed = _split_hostport(part)
        if parsed is None or not _HOSTPORT.match(part):
            return []
        hosts.append(parsed)
    return hosts


def _kind_from_words(words: set[str]) -> tuple[str, str] | None:
    """(target_kind, scheme) that a key names, e.g. REDIS_HOST → (cache, redis)."""
    for word, scheme in (("kafka", "kafka"), ("bootstrap", "kafka"), ("nats", "nats"), ("rabbitmq", "amqp"),
                         ("rabbit", "amqp"), ("amqp", "amqp"), ("activemq", "activemq"), ("zookeeper", "zookeeper")):
        if word in words:
            return ("service" if scheme == "zookeeper" else "queue"), scheme
    for word, scheme in (("memcached", "memcached"), ("memcache", "memcached"), ("redis", "redis"),
                         ("valkey", "redis"), ("hazelcast", "hazelcast")):
        if word in words:
            return "cache", scheme
    for word, scheme in (("postgres", "postgresql"), ("postgresql", "postgresql"), ("pg", "postgresql"),
                         ("pgsql", "postgresql"), ("psql", "postgresql"), ("mysql", "mysql"), ("mariadb", "mysql"),
                         ("mongo", "mongodb"), ("mongodb", "mongodb"), ("elasticsearch", "elasticsearch"),
                         ("opensearch", "elasticsearch"), ("cassandra", "cassandra"), ("mssql", "sqlserver"),
                         ("oracle", "oracle"), ("clickhouse", "clickhouse")):
        if word in words:
            return "datastore", scheme
    if words & {"db", "database", "databases", "datasource", "sql", "jdbc", "knex", "sequelize", "typeorm"}:
        return "datastore", ""
    if words & {"cache", "caches"}:
        return "cache", ""
    if words & {"broker", "mq", "queue", "celery"}:
        return "queue", ""
    return None


def _scheme_from_engine(value: Any) -> str | None:
    """`django.db.backends.postgresql` / `postgresql` / `pg` / `mysql2` → scheme; "" for sqlite (no host)."""
    if not isinstance(value, str):
        return None
    low = value.lower()
    if "sqlite" in low or low == "h2":
        return ""
    for needle, scheme in (("postg", "postgresql"), ("psycopg", "postgresql"), ("mysql", "mysql"),
                           ("mariadb", "mysql"), ("trilogy", "mysql"), ("oracle", "oracle"), ("mssql", "sqlserver"),
                           ("sqlserver", "sqlserver"), ("tedious", "sqlserver"), ("mongo", "mongodb"),
                           ("redis", "redis"), ("memcache", "memcached"), ("cockroach", "postgresql")):
        if needle in low:
            return scheme
    if low == "pg":
        return "postgresql"
    return None


# --------------------------------------------------------------------------------------------------
# interpret
# --------------------------------------------------------------------------------------------------


@dataclass
class _Item:
    entry: Entry
    key: str  # class prefix stripped
    value: Any  # placeholders resolved
    words: list[str]
    flat: str


class _Interpreter:
    def __init__(self, entries: list[Entry], framework: str) -> None:
        self.framework = framework
        self.items = []
        for entry in entries:
            key = _CLASS_PREFIX.sub("", str(entry.key))
            self.items.append(_Item(entry, key, _resolve(entry.value), _words(key), flat_key(key)))
        self.by_flat: dict[str, _Item] = {}
        for item in self.items:
            self.by_flat.setdefault(item.flat, item)
        # Indexes for the questions asked once per item, so a file of many entries is not read once per entry.
        self.lowered = sorted((item.key.lower(), index) for index, item in enumerate(self.items))
        self._siblings_of: dict[str, dict[str, _Item]] = {}  # 2,000 copies of one key share one answer
        self.by_group: dict[int, dict[tuple[str, str], int]] = {}  # segments → (prefix, last word) → position
        self.upstreams: set[str] | None = None
        self.settings: list[Setting] = []
        self.links: list[Link] = []
        self.bare_links: list[Link] = []  # `host:port` values: weaker evidence than a URL for the same host
        self.groups: set[tuple[str, str]] = set()

    # -- output ---------------------------------------------------------------------------------------

    def add(self, topic: str, item: _Item, value: Any, family: str = "") -> None:
        self.settings.append(Setting(topic, item.entry.key, value, item.entry.location,
                                     self.framework or family))

    def run(self) -> Interpretation:
        storage_remote = self._remote_storage()
        for item in self.items:
            if self.framework == "nginx":
                self._nginx(item)
                continue
            self._links(item)
            self._settings(item, storage_remote)
        url_hosts = {link.host for link in self.links if link.kind != "knows_address"}
        self.links.extend(link for link in self.bare_links if link.host not in url_hosts)
        if self.framework != "nginx":
            self._split_hosts()
        self._switched_off()
        self._otel_disabled()
        self._link_settings()
        self._spring_default_pool()
        settings: list[Setting] = []
        seen_settings: set[tuple[str, str, Location]] = set()
        for setting in self.settings:
            ident = (setting.topic, setting.key, setting.location)
            if ident not in seen_settings:
                seen_settings.add(ident)
                settings.append(setting)
        links: list[Link] = []
        seen_links: set[tuple[str, int | None, str, str]] = set()
        unread: Location | None = None
        for link in self.links:
            ident_link = (link.host, link.port, link.kind, link.purpose)
            if ident_link not in seen_links:
                if len(links) == MAX_LINKS:
                    unread = link.location
                    break
                seen_links.add(ident_link)
                links.append(link)
        return Interpretation(tuple(settings), tuple(links), unread)

    # -- links ----------------------------------------------------------------------------------------

    def _values(self, item: _Item) -> list[str]:
        value = item.value
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)):
            return [str(_resolve(v)) for v in value if isinstance(v, (str, int)) and not isinstance(v, bool)]
        return []

    def _links(self, item: _Item) -> None:
        words = set(item.words)
        if words & {"listeners", "advertised", "listener"}:
            return  # a broker's own addresses (KAFKA_ADVERTISED_LISTENERS), not a dependency
        for text in self._values(item):
            if not text or len(text) > 4096:
                continue
            if "://" in text or text.lower().startswith(("jdbc:", "r2dbc:")):
                for part in ([text] if text.lower().startswith(("jdbc:", "mongodb")) or "," not in text
                             else self._comma_urls(text)):
                    url = _parse_url(part)
                    if url is not None:
                        self.links.extend(_links_from_url(item.entry, url, item.words, item.key))
                continue
            if self.framework == "nginx":
                continue
            if not words & (_HOST_WORDS | {
                    "bootstrap", "brokers", "location", "path", "connect", "cluster", "url", "urls"}):
                continue
            kind = _kind_from_words(words)
            if kind is None or not re.search(r":\d{2,5}\b", text):
                continue
            target_kind, scheme = kind
            for host, port in _host_list(text):
                if not _valid_host(host):
                    continue
                this_scheme = scheme or _PORT_SCHEME.get(port or 0, "tcp")
                self.bare_links.append(Link(host.lower(), "connects_to", target_kind,  # type: ignore[arg-type]
                                            this_scheme, item.entry.key, item.entry.location, port))

    @staticmethod
    def _comma_urls(text: str) -> list[str]:
        """`http://a:9200,http://b:9200` → two URLs; `redis://a:1,b:2` stays one (multi-host authority)."""
        parts = [p.strip() for p in text.split(",")]
        if all(_URL.match(p) for p in parts if p):
            return [p for p in parts if p]
        return [text]

    def _split_hosts(self) -> None:
        """`DB_HOST=db` + `DB_PORT=5432`, `spring.redis.host`, `DATABASES.default.HOST`, `PGHOST`."""
        linked = {link.host for link in self.links if link.kind != "knows_address"}
        for item in self.items:
            value = item.value
            if not isinstance(value, str) or not value or "://" in value:
                continue
            words = item.words
            if item.flat in ("pghost", "mysqlhost") and len(words) == 1:
                prefix_words, prefix_key = ["pg" if item.flat == "pghost" else "mysql"], item.flat[:-4]
            elif len(words) >= 2 and words[-1] in ("host", "hostname", "server", "addr", "address", "endpoint"):
                prefix_words = words[:-1]
                prefix_key = item.key[: len(item.key) - len(re.split(r"[._\-]", item.key)[-1])]
                if not prefix_key or prefix_key[-1] not in "._-":
                    prefix_key = re.sub(r"(?i)(host|hostname|server|addr|address|endpoint)$", "", item.key)
            else:
                continue
            kind = _kind_from_words(set(prefix_words))
            scheme, hostless = "", False  # hostless: an engine that has no host (sqlite)
            siblings = self._siblings(prefix_key)
            for word in _SIBLING_SCHEME_WORDS:
                engine = siblings.get(word)
                if engine is not None:
                    found = _scheme_from_engine(engine.value)
                    if found == "":
                        kind, hostless = None, True
                        break
                    if found:
                        scheme = found
                        kind = (_SCHEME_KIND.get(found, "datastore"), found)
                        break
            else:
                if kind is None and set(prefix_words) & {"service", "api", "svc", "grpc", "backend", "upstream"}:
                    kind = ("service", "grpc" if "grpc" in prefix_words else "http")
            host = value.strip()
            port: int | None = None
            if ":" in host and host.count(":") == 1:
                host, _, port_text = host.partition(":")
                port = _to_port(port_text)
            purpose = ""
            if (kind is None or kind[0] == "service") and set(words) & _LISTEN_WORDS:
                continue  # GRPC_LISTEN_ADDR, BIND_ADDRESS: where the holder itself listens
            if kind is None:
                # `CART_ADDR=cart:7070`: a peer's address; a call once the graph finds a service of that name.
                if hostless or words[-1] not in ("addr", "address", "endpoint") or port is None:
                    continue
                scheme = _PORT_SCHEME.get(port, "")
                kind = (_SCHEME_KIND.get(scheme, "service"), scheme or "tcp")
                purpose = "address" if kind[0] == "service" else ""
            elif words[-1] == "endpoint" and kind[0] == "service" and port is None:
                continue  # `API_ENDPOINT=/v1`-like values: only a `host:port` is an address
            if not _valid_host(host) or host.lower() in linked:
                continue  # a URL naming the same host is the better evidence
            port_item = siblings.get("port") or (self.by_flat.get("pgport") if item.flat == "pghost" else None)
            if port is None and port_item is not None:
                port = _as_int(port_item.value)
            database = ""
            for word in ("name", "database", "db", "dbname"):
                if word in siblings and isinstance(siblings[word].value, str):
                    database = siblings[word].value
                    break
            if item.flat == "pghost" and "pgdatabase" in self.by_flat:
                database = str(self.by_flat["pgdatabase"].value)
            target_kind, kind_scheme = kind
            scheme = scheme or kind_scheme or _PORT_SCHEME.get(port or 0, "tcp")
            link_kind: Literal["connects_to", "calls", "knows_address"] = "calls" if target_kind == "service" and \
                scheme in ("http", "grpc") else "connects_to"
            if target_kind == "service":
                purpose = purpose or address_purpose(item.key, words)
            if set(prefix_words) & _TELEMETRY_WORDS:
                link_kind, purpose = "connects_to", ""  # JAEGER_SERVICE_ADDR: spans are shipped, not a request call
            elif purpose:
                link_kind = "knows_address"
            if link_kind != "connects_to" and _is_public_host(host):
                target_kind = "external"
            self.links.append(Link(host.lower(), link_kind, target_kind, scheme, item.entry.key,  # type: ignore[arg-type]
                                   item.entry.location, port, database if target_kind == "datastore" else "",
                                   purpose))
            if link_kind != "knows_address":
                linked.add(host.lower())

    def _siblings(self, prefix_key: str) -> dict[str, _Item]:
        """Items sharing `prefix_key` (`DB_` → DB_PORT, DB_NAME), by their remaining single word."""
        out: dict[str, _Item] = {}
        if not prefix_key:
            return out
        known = self._siblings_of.get(prefix_key)
        if known is not None:
            return known
        self._siblings_of[prefix_key] = out
        prefix = prefix_key.lower()
        matching: list[int] = []
        for key, index in self.lowered[bisect.bisect_left(self.lowered, (prefix, -1)) :]:
            if not key.startswith(prefix):
                break
            matching.append(index)
        for index in sorted(matching):
            other = self.items[index]
            if len(other.key) > len(prefix_key):
                rest = _words(other.key[len(prefix_key):])
                if len(rest) == 1:
                    out.setdefault(rest[0], other)
        return out

    def _link_settings(self) -> None:
        """Settings that a connection string implies: a pooler host, pool options in the query."""
        by_key = {(item.entry.key, item.entry.location): item for item in self.items}
        for link in self.links:
            if link.target_kind != "datastore":
                continue
            item = by_key.get((link.key, link.location))
            if item is None:
                continue
            proxy = None
            for pattern, name in _PROXIES:
                if pattern.search(link.host):
                    proxy = name
                    break
            if proxy is None and link.port == 6432:
                proxy = "pgbouncer"
            if proxy is None and link.port == 6033 and link.scheme.startswith("mysql"):
                proxy = "proxysql"
            if proxy:
                self.add("db_proxy", item, proxy)
                if proxy in _POOLING_PROXIES:
                    self.add("pool", item, True)
        for item in self.items:
            for text in self._values(item):
                if "?" not in text or "://" not in text:
                    continue
                query = text.split("?", 1)[1]
                params = {k.lower(): v for k, _, v in (p.partition("=") for p in re.split(r"[&;]", query))}
                for name in ("maxpoolsize", "connection_limit", "pool_max", "pool_size", "max_pool_size",
                             "maximumpoolsize"):
                    if name in params and _as_int(params[name]) is not None:
                        self.add("pool", item, _as_int(params[name]))
                if boolean(params.get("pgbouncer")):
                    self.add("db_proxy", item, "pgbouncer")
                if item.value and isinstance(item.value, str) and item.value.lower().startswith("r2dbc:pool:"):
                    self.add("pool", item, True)

    def _switched_off(self) -> None:
        """`SURVEY_ENABLED=false` next to `SURVEY_URL`, `ENABLE_CHAT=false` next to `CHAT_API_URL`: the address
        of a feature that is switched off is known, not used. A switch covers the keys its other words begin."""
        off: set[tuple[str, ...]] = set()
        for item in self.items:
            words, flag = item.words, boolean(item.value)
            if len(words) < 2 or flag is None:
                continue
            if words[-1] in _SWITCH_WORDS:
                prefix, on = words[:-1], flag != (words[-1] in ("disabled", "disable"))
            elif words[0] in _SWITCH_WORDS:
                prefix, on = words[1:], flag != (words[0] in ("disabled", "disable"))
            else:
                continue
            if not on and len(prefix) <= _MAX_SWITCH_WORDS:
                off.add(tuple(prefix))
        if not off:
            return
        longest = max(len(prefix) for prefix in off)
        for index, link in enumerate(self.links):
            if link.kind == "knows_address" and link.purpose not in _RESOLVED_PURPOSES:
                continue
            words = _words(_CLASS_PREFIX.sub("", link.key))
            if any(tuple(words[:length]) in off for length in range(1, min(len(words), longest + 1))):
                self.links[index] = replace(link, kind="knows_address", purpose="disabled")

    def _otel_disabled(self) -> None:
        """OTEL_TRACES_EXPORTER=none / OTEL_SDK_DISABLED=true outweigh the other OTEL_* variables."""
        if any(s.topic == "tracing" and s.value is False and flat_key(s.key).startswith("otel") for s in self.settings):
            self.settings = [s for s in self.settings
                             if not (s.topic == "tracing" and s.value == "otel" and flat_key(s.key).startswith("otel"))]

    def _spring_default_pool(self) -> None:
        if any(s.topic == "pool" for s in self.settings):
            return
        item = self.by_flat.get("springdatasourceurl")
        if item is None or not isinstance(item.value, str) or not item.value.lower().startswith("jdbc:"):
            return
        if any(s for s in self.settings if s.topic == "pool"):
            return
        if re.match(r"jdbc:(h2|hsqldb|derby|sqlite)", item.value.lower()):
            return
        self.settings.append(Setting("pool", "(spring default: HikariCP)", 10, item.entry.location,
                                     self.framework or "spring"))

    # -- settings -------------------------------------------------------------------------------------

    def _remote_storage(self) -> bool | None:
        for item in self.items:
            if item.flat in ("defaultfilestorage", "storagesdefaultbackend", "filesystemdisk", "filesystemdriver",
                             "activestorageservice", "filesystemcloud") and isinstance(item.value, str):
                return _remote_storage_value(item.value)
        return None

    def _settings(self, item: _Item, storage_remote: bool | None) -> None:
        words, flat, value, key = item.words, item.flat, item.value, item.key
        wordset = set(words)
        if isinstance(value, (dict, list)):
            return
        if flat.startswith("management") and "circuitbreakers" in flat:
            return
        self._pool(item, words, wordset, flat, value)
        self._conn_max_age(item, words, value)
        self._db_max_connections(item, words, flat, value)
        self._session(item, words, flat, value)
        self._cache(item, words, flat, value)
        self._data_store(item, wordset, value)
        self._timeouts(item, words, wordset, flat, value)
        self._resilience(item, words, wordset, flat, value, key)
        self._tracing(item, words, flat, value)
        self._metrics(item, words, flat, value)
        self._rate_limit(item, words, wordset, flat, value)
        self._uploads(item, words, wordset, flat, value, storage_remote)
        self._spring_identity(item, flat, value)

    def _data_store(self, item: _Item, wordset: set[str], value: Any) -> None:
        """Where the application keeps its own data, when configuration chooses an implementation:
        `RETAIL_CART_PERSISTENCE_PROVIDER=in-memory`, `app.repository.type: memory`."""
        if not isinstance(value, str) or not (wordset & _PERSISTENCE_WORDS and wordset & _IMPLEMENTATION_WORDS):
            return
        if wordset & _NOT_DATA_WORDS:
            return  # a session or cache store, a message broker, a log or trace buffer: topics of their own
        if _MEMORY_VALUE.match(value.strip()):
            self.add("data_store", item, "memory")

    def _spring_identity(self, item: _Item, flat: str, value: Any) -> None:
        """Which Spring profiles a service activates (`SPRING_PROFILES_ACTIVE=prod,k8s`, `spring.profiles.active`)
        and its application name: they decide which `application-<profile>.yml` and which config-server files
        configure it (graph/build.py). A value still holding a placeholder is not visible, so not recorded."""
        if flat not in _SPRING_IDENTITY_KEYS or not isinstance(value, str) or "$" in value:
            return
        if flat == "springapplicationname":
            if value.strip():
                self.add("app_name", item, value.strip()[:200])
            return
        names = tuple(name.strip() for name in value.split(",")[:20] if name.strip())
        if names:
            self.add("spring_profiles", item, ",".join(names))

    def _pool(self, item: _Item, words: list[str], wordset: set[str], flat: str, value: Any) -> None:
        if flat.startswith("springdatasource") and flat.endswith(
                ("maximumpoolsize", "maxactive", "maxtotal", "maxpoolsize", "poolmaxsize")):
            if _as_int(value) is not None:
                self.add("pool", item, _as_int(value), "spring")
            return
        if flat.startswith("springr2dbcpool"):
            if flat.endswith("maxsize") and _as_int(value) is not None:
                self.add("pool", item, _as_int(value), "spring")
            elif flat.endswith("enabled") and boolean(value) is not None:
                self.add("pool", item, boolean(value), "spring")
            return
        if words[-1:] == ["poolclass"] or words[-2:] == ["pool", "class"]:
            text = str(value)
            if "NullPool" in text:
                self.add("pool", item, False, "sqlalchemy")
            elif re.search(r"QueuePool|AsyncAdaptedQueuePool|SingletonThreadPool|StaticPool", text):
                self.add("pool", item, True, "sqlalchemy")
            return
        if flat.endswith(("sqlalchemypoolsize", "sqlalchemyengineoptionspoolsize")):
            if _as_int(value) is not None:
                self.add("pool", item, _as_int(value), "sqlalchemy")
            return
        if "databases" in wordset and "options" in wordset and "pool" in wordset:  # Django 5.1 native pool
            if words[-1] == "pool" and boolean(value) is not None:
                self.add("pool", item, boolean(value), "django")
            elif words[-2:] == ["max", "size"] and _as_int(value) is not None:
                self.add("pool", item, _as_int(value), "django")
            return
        if flat == "railsmaxthreads" and _as_int(value) is not None:
            self.add("pool", item, _as_int(value), "rails")
            return
        if (words[-1:] == ["pool"] and (self.framework == "rails" or words[:1] == ["database"])
                and _as_int(value) is not None):
            self.add("pool", item, _as_int(value), "rails")
            return
        if wordset & {"redis", "cache", "http", "https", "thread", "threads", "worker", "workers", "executor",
                      "task", "grpc", "kafka", "celery", "gunicorn", "uwsgi", "min", "minimum", "idle", "timeout",
                      "eviction", "acquire", "evict", "lifetime"}:
            return
        size_key = (
            ("pool" in wordset or "pgpool" in wordset or "dbpool" in wordset)
            and words[-1] in ("max", "size", "maxsize", "limit", "maximum", "maxconnections", "connections")
        ) or flat.endswith(("maxpoolsize", "connectionlimit")) or flat in (
            "dbmaxconnections", "databasemaxconnections", "dbpool", "databasepool", "pgmaxconnections")
        if size_key:
            if _as_int(value) is not None:
                self.add("pool", item, _as_int(value))
            elif boolean(value) is False:
                self.add("pool", item, False)
            return
        if "pool" in wordset and words[-1] in ("enabled", "enable", "disabled") and (
                wordset & _DATASTORE_WORDS or words[0] == "pool"):
            flag = boolean(value)
            if flag is not None:
                self.add("pool", item, (not flag) if words[-1] == "disabled" else flag)

    def _conn_max_age(self, item: _Item, words: list[str], value: Any) -> None:
        if words[-3:] != ["conn", "max", "age"]:
            return
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            self.add("conn_max_age", item, None, "django")
        elif _as_int(value) is not None:
            self.add("conn_max_age", item, _as_int(value), "django")

    def _db_max_connections(self, item: _Item, words: list[str], flat: str, value: Any) -> None:
        server_keys = ("maxconnections", "postgresqlmaxconnections", "postgresmaxconnections",
                       "pgsqlmaxconnections", "mysqlmaxconnections", "mariadbmaxconnections")
        server_side = flat != "maxconnections" or self.framework in ("postgres", "mysql", "", "ini")
        if flat in server_keys and server_side and _as_int(value) is not None:
            self.add("db_max_connections", item, _as_int(value))

    def _session(self, item: _Item, words: list[str], flat: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        text = value.strip()
        low = text.lower()
        store: str | None = None
        family = ""
        if flat == "sessionengine":
            family = "django"
            for needle, name in (("cached_db", "db"), ("signed_cookies", "cookie"), ("backends.file", "file"),
                                 ("backends.cache", "cache"), ("backends.db", "db"), ("redis", "redis"),
                                 ("memcache", "memcached"), ("mongo", "mongodb")):
                if needle in low:
                    store = name
                    break
        elif flat == "sessiontype":
            family = "flask"
            store = {"filesystem": "file", "redis": "redis", "memcached": "memcached", "sqlalchemy": "db",
                     "mongodb": "mongodb", "null": "cookie", "cachelib": "cache", "dynamodb": "db"}.get(low)
        elif flat == "springsessionstoretype":
            family = "spring"
            store = {"none": "none", "redis": "redis", "jdbc": "jdbc", "hazelcast": "hazelcast",
                     "mongodb": "mongodb", "mongo": "mongodb"}.get(low)
        elif flat in ("sessionsavehandler",):
            family = "php"
            store = {"files": "file", "redis": "redis", "rediscluster": "redis", "memcached": "memcached",
                     "memcache": "memcached", "user": None}.get(low)
        elif flat in ("sessionstore", "sessiondriver", "sessionbackend", "sessionstorage", "sessionstoretype"):
            family = "laravel" if flat == "sessiondriver" else "express" if flat == "sessionstore" else ""
            for needle, name in (("redis", "redis"), ("memcache", "memcached"), ("mongo", "mongodb"),
                                 ("cookie", "cookie"), ("database", "db"), ("dynamo", "db"), ("sequelize", "db"),
                                 ("knex", "db"), ("typeorm", "db"), ("pg", "db"), ("postgres", "db"),
                                 ("mysql", "db"), ("jdbc", "jdbc"), ("file", "file"), ("memory", "memory"),
                                 ("array", "memory"), ("apc", "memory"), ("hazelcast", "hazelcast")):
                if needle in low:
                    store = name
                    break
        if store is None and flat.startswith("springsession") and flat != "springsessionstoretype":
            for needle, name in (("springsessionredis", "redis"), ("springsessionjdbc", "jdbc"),
                                 ("springsessionhazelcast", "hazelcast"), ("springsessionmongodb", "mongodb")):
                if flat.startswith(needle):
                    group = ("session_store", needle)
                    if group not in self.groups:
                        self.groups.add(group)
                        self.add("session_store", item, name, "spring")
                    return
        if store is not None:
            self.add("session_store", item, store, family)

    def _cache(self, item: _Item, words: list[str], flat: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        if flat == "sessioncachealias":
            if not _is_unresolved(value):
                self.add("session_cache_alias", item, value.strip().strip("'\""), "django")
            return
        low = value.strip().lower()
        backend: str | None = None
        family = ""
        segments = [s.lower() for s in _segments(item.key)]
        if segments[:1] == ["caches"] and segments[-1:] == ["backend"]:
            family = "django"
            for needle, name in (("locmem", "locmem"), ("filebased", "file"), ("redis", "redis"),
                                 ("memcache", "memcached"), ("databasecache", "db"), ("dummy", "dummy"),
                                 ("db.", "db")):
                if needle in low:
                    backend = name
                    break
        elif (segments[:1] == ["caches"] and segments[-1:] == ["url"]) or flat == "cacheurl":
            family = "django"
            scheme = low.split("://", 1)[0] if "://" in low else ""
            backend = {"locmemcache": "locmem", "filecache": "file", "rediscache": "redis", "redis": "redis",
                       "rediss": "redis", "memcache": "memcached", "pymemcache": "memcached",
                       "dbcache": "db", "dummycache": "dummy"}.get(scheme)
        elif flat == "cachetype":
            family = "flask"
            name = low.rsplit(".", 1)[-1]
            backend = {"simplecache": "memory", "simple": "memory", "filesystemcache": "file",
                       "filesystem": "file", "rediscache": "redis", "redis": "redis", "redissentinelcache": "redis",
                       "redisclustercache": "redis", "memcachedcache": "memcached", "memcached": "memcached",
                       "saslmemcachedcache": "memcached", "nullcache": "dummy", "null": "dummy",
                       "uwsgicache": "memory"}.get(name)
        elif flat == "springcachetype":
            family = "spring"
            # Boot's CacheType: simple (ConcurrentHashMap), caffeine, cache2k and Boot 2's ehcache (2.x) live in the
            # process; jcache, infinispan and generic depend on the provider/beans and may be distributed.
            backend = {"simple": "memory", "caffeine": "caffeine", "ehcache": "ehcache", "cache2k": "cache2k",
                       "jcache": "jcache", "infinispan": "infinispan", "generic": "generic",
                       "hazelcast": "hazelcast", "redis": "redis", "couchbase": "db", "none": "dummy"}.get(low)
        elif flat in ("cachedriver", "cachestore", "cachebackend"):
            family = "laravel" if flat in ("cachedriver", "cachestore") else ""
            for needle, name in (("locmem", "locmem"), ("redis", "redis"), ("memcache", "memcached"),
                                 ("file", "file"), ("database", "db"), ("dynamodb", "db"), ("array", "memory"),
                                 ("apc", "memory"), ("memory", "memory"), ("dummy", "dummy"), ("null", "dummy")):
                if needle in low:
                    backend = name
                    break
        if backend is not None:
            self.add("cache_backend", item, backend, family)

    def _timeouts(self, item: _Item, words: list[str], wordset: set[str], flat: str, value: Any) -> None:
        if not any("timeout" in w for w in words) and "timelimiter" not in wordset:
            return
        if wordset & {"session", "cookie", "token", "jwt", "login", "lock", "ttl", "expire", "expiry", "expiration",
                      "celery", "task", "job", "test", "probe", "liveness", "readiness", "startup", "poll", "heartbeat",
                      "lease", "otp", "password", "cache", "caches", "shutdown", "graceful", "lifecycle", "async",
                      "transaction", "mvc", "idle", "debounce", "lambda", "deregistration", "healthcheck", "health"}:
            if wordset & {"gunicorn", "uwsgi", "puma", "server", "graceful", "shutdown", "idle", "async", "mvc"} and \
                    not wordset & {"session", "cookie", "token", "jwt", "login", "cache"}:
                seconds = _duration(value, 1.0 if not self._millis_default(item, words) else 0.001)
                if seconds is not None and not wordset & {"idle"}:
                    self.add("server_timeout", item, seconds)
            return
        bare_unit = 0.001 if self._millis_default(item, words) else 1.0
        seconds = _duration(value, bare_unit)
        if seconds is None:
            return
        if wordset & {"gunicorn", "uwsgi", "puma", "unicorn", "uvicorn", "daphne", "server", "keepalive", "worker",
                      "workers", "tomcat", "jetty", "undertow", "web", "wsgi", "passenger", "php", "fpm"}:
            self.add("server_timeout", item, seconds)
        elif wordset & {"db", "database", "datasource", "hikari", "jdbc", "sql", "postgres", "postgresql", "pg",
                        "mysql", "mongo", "mongodb", "redis", "memcached", "statement", "query", "elasticsearch",
                        "r2dbc", "jpa", "hibernate", "sqlalchemy", "knex", "sequelize", "typeorm"}:
            self.add("datastore_timeout", item, seconds)
        else:
            self.add("timeout", item, seconds, "spring" if self._spring_key(words) else "")

    def _spring_key(self, words: list[str]) -> bool:
        return words[:1] in (["spring"], ["feign"], ["ribbon"], ["hystrix"], ["resilience4j"], ["management"],
                             ["server"], ["eureka"], ["zuul"])

    def _millis_default(self, item: _Item, words: list[str]) -> bool:
        if set(words) & {"ms", "millis", "milliseconds", "msec", "inmilliseconds", "millisecond"}:
            return True
        if any(w.endswith(("millis", "ms")) and "timeout" in w for w in words):
            return True
        if set(words) & {"seconds", "sec", "secs", "second"}:
            return False
        return self._spring_key(words) or self.framework in ("spring", "node", "node-config")

    def _resilience(self, item: _Item, words: list[str], wordset: set[str], flat: str, value: Any,
                    key: str) -> None:
        segments = [s.lower() for s in _segments(key)]
        # resilience4j.<family>.(instances|configs|backends).<name>.<property>: one setting per instance.
        if segments[:1] == ["resilience4j"] and len(segments) >= 2:
            family = segments[1].replace("-", "")
            topic = {"circuitbreaker": "circuit_breaker", "retry": "retry", "ratelimiter": "rate_limit",
                     "bulkhead": "bulkhead", "thread-pool-bulkhead": "bulkhead", "threadpoolbulkhead": "bulkhead"}.get(
                family)
            if topic is None:
                return
            instance = ".".join(segments[:4]) if len(segments) >= 4 else ".".join(segments[:2])
            if (topic, instance) in self.groups:
                return
            self.groups.add((topic, instance))
            if topic == "retry":
                attempts = self._group_value(".".join(segments[:4]), ("maxattempts", "maxretryattempts"))
                self.add("retry", item, attempts if attempts is not None else True, "resilience4j")
            elif topic == "rate_limit":
                limit = self._group_value(".".join(segments[:4]), ("limitforperiod",))
                self.add("rate_limit", item, limit if limit is not None else True, "resilience4j")
            else:
                self.add(topic, item, True, "resilience4j")
            return
        # circuit breakers
        if "circuitbreaker" in flat or "breaker" in wordset or flat.startswith(("hystrix", "feignhystrix")):
            if flat.startswith("hystrix") and "circuitbreaker" not in flat and "enabled" not in wordset:
                group = ("circuit_breaker", "hystrix")
                if group not in self.groups:
                    self.groups.add(group)
                    self.add("circuit_breaker", item, True, "hystrix")
                return
            flag = boolean(value) if words[-1:] in (["enabled"], ["enable"], ["disabled"], ["forceopen"],
                                                      ["forceclosed"]) else None
            if words[-1:] == ["disabled"] and flag is not None:
                flag = not flag
            if words[-1:] in (["forceopen"], ["forceclosed"]):
                return
            if flag is None:
                group = ("circuit_breaker", ".".join(segments[:-1]) or flat)
                if group in self.groups:
                    return
                self.groups.add(group)
                flag = boolean(value) is not False
            self.add("circuit_breaker", item, flag)
            return
        # retries
        retry_words = {"retry", "retries", "retryer", "maxretries", "retrycount", "retryattempts", "maxautoretries",
                       "maxautoretriesnextserver", "retryable"}
        if wordset & retry_words or any(w.startswith(("retry", "retries")) or w.endswith("retries") for w in words):
            if wordset & {"task", "job", "celery", "login", "password", "otp", "email", "after", "mail", "webhook",
                          "probe", "startup"}:
                return
            if words[-1] in ("enabled", "enable", "disabled") and boolean(value) is not None:
                flag = bool(boolean(value))
                self.add("retry", item, (not flag) if words[-1] == "disabled" else flag)
                return
            count_key = words[-1] in ("retries", "attempts", "count", "max", "maxretries", "maxattempts",
                                      "maxautoretries", "maxautoretriesnextserver", "tries", "retry", "times") or \
                words[-1].endswith(("retries", "attempts"))
            number = _as_int(value)
            if count_key and number is not None:
                self.add("retry", item, number)
            elif boolean(value) is not None and not count_key:
                self.add("retry", item, bool(boolean(value)))
            elif not count_key or number is None:
                self.add("retry", item, True)

    def _group_value(self, prefix: str, names: tuple[str, ...]) -> int | None:
        """The value of the first item under `prefix` (dot segments) whose last segment is one of `names`."""
        depth = len(prefix.split("."))
        if depth not in self.by_group:
            index: dict[tuple[str, str], int] = {}
            for position, other in enumerate(self.items):
                segs = [s.lower() for s in _segments(other.key)]
                if segs:
                    index.setdefault((".".join(segs[:depth]), flat_key(segs[-1])), position)
            self.by_group[depth] = index
        found = [self.by_group[depth][(prefix, name)] for name in names if (prefix, name) in self.by_group[depth]]
        return _as_int(self.items[min(found)].value) if found else None

    def _tracing(self, item: _Item, words: list[str], flat: str, value: Any) -> None:
        if flat in _LAUNCH_OPTION_KEYS:
            if isinstance(value, str):
                found = _launch_option_tracing(value, node=flat == "nodeoptions")
                if found is not None:
                    self.add("tracing", item, found, "node" if flat == "nodeoptions" else "java")
            return
        system: str | bool | None = None
        family = words[0] if words else ""
        flag = boolean(value)
        if words[:1] == ["otel"]:
            if flat == "otelsdkdisabled":
                system = False if flag else ("otel" if flag is False else None)
            elif flat == "oteltracesexporter":
                system = False if str(value).strip().lower() == "none" else "otel"
            elif flat.startswith(("otelmetrics", "otellogs", "otelexporterotlpmetrics", "otelexporterotlplogs")):
                system = None
            else:
                system = "otel"
        elif words[:1] == ["jaeger"]:
            system = False if flat in ("jaegerdisabled",) and flag else "jaeger"
        elif words[:1] == ["zipkin"] or flat.startswith(("springzipkin", "managementzipkin")):
            system = False if flat.endswith("enabled") and flag is False else "zipkin"
        elif flat.startswith("springsleuth"):
            system = False if flat.endswith("sleuthenabled") and flag is False else "sleuth"
        elif flat.startswith(("managementtracing", "managementotlptracing", "managementwavefronttracing")):
            if (flat.endswith("enabled") and flag is False) or (flat.endswith("probability") and _as_float(value) == 0):
                system = False
            else:
                system = "otel" if "otlp" in flat else "micrometer"
        elif flat.startswith("awsxray"):
            system = False if flat in ("awsxraysdkenabled", "awsxrayenabled") and flag is False else "xray"
        elif flat.startswith("ddtrace") or flat in ("ddagenthost", "ddtraceagenturl"):
            system = False if flat in ("ddtraceenabled",) and flag is False else "datadog"
        elif flat.startswith(("elasticapm",)):
            system = False if flat in ("elasticapmenabled", "elasticapmactive") and flag is False else "elastic-apm"
        elif flat.startswith("newrelic"):
            system = False if flat in ("newrelicenabled", "newrelicagentenabled",
                                       "newrelicdistributedtracingenabled") and flag is False else "newrelic"
        elif flat in ("sentrydsn", "sentrytracessamplerate", "sentrytracesampling"):
            if flat == "sentrydsn":
                system = "sentry" if isinstance(value, str) and value.strip() and not _is_unresolved(value) else None
            else:
                system = False if _as_float(value) == 0 else "sentry"
        system = telemetry.tracing_switch(item.key, value) if system is None else system  # ENABLE_TRACING, agents
        if system is None:
            return
        if isinstance(value, str) and not value.strip() and system is not False:
            return
        self.add("tracing", item, system, family)

    def _metrics(self, item: _Item, words: list[str], flat: str, value: Any) -> None:
        system: str | bool | None = None
        flag = boolean(value)
        if flat == "managementendpointswebexposureinclude" or (
                flat.startswith("managementendpointswebexposureinclude") and isinstance(value, str)):
            if isinstance(value, str) and "prometheus" in value.lower():
                system = "prometheus"
        elif flat.startswith("managementmetricsexport") or (flat.startswith("management") and "metricsexport" in flat):
            match = re.search(r"management(?:metricsexport)?([a-z0-9]+?)(?:metricsexport)?(enabled|step|uri|url|"
                              r"host|port|apikey|endpoint|pushgateway.*|descriptions|.*)$", flat)
            name = "prometheus" if "prometheus" in flat else "datadog" if "datadog" in flat else "statsd" if \
                "statsd" in flat else "otel" if "otlp" in flat else (match.group(1) if match else "micrometer")
            system = False if flat.endswith("enabled") and flag is False else name
        elif flat == "otelmetricsexporter":
            system = False if str(value).strip().lower() == "none" else "otel"
        elif words[:1] == ["prometheus"]:
            system = False if flat.endswith("enabled") and flag is False else "prometheus"
        elif words[:1] == ["statsd"]:
            system = False if flat.endswith("enabled") and flag is False else "statsd"
        elif words[:1] == ["metrics"] and len(words) > 1:
            system = False if words[-1] in ("enabled", "enable") and flag is False else "custom"
        elif flat in ("ddagenthost", "dddogstatsdport", "dddogstatsdurl") or flat.startswith("dddogstatsd"):
            system = "datadog"
        elif flat == "enablemetrics":
            system = "custom" if flag else (False if flag is False else None)
        if system is None:
            return
        self.add("metrics", item, system, words[0] if words else "")

    def _rate_limit(self, item: _Item, words: list[str], wordset: set[str], flat: str, value: Any) -> None:
        if isinstance(value, str) and "requestratelimiter" in value.lower().replace(" ", ""):
            self.add("rate_limit", item, True, "spring")
            return
        if flat.startswith("springcloudgateway") and "requestratelimiter" in flat:
            self.add("rate_limit", item, True, "spring")
            return
        if flat.startswith("springcloudgateway") and "filters" in wordset and isinstance(value, str):
            name = re.split(r"[=\s]", value.strip(), maxsplit=1)[0].lower()
            if name in ("circuitbreaker", "hystrix"):
                self.add("circuit_breaker", item, True, "spring")
            elif name == "retry":
                self.add("retry", item, True, "spring")
            return
        if not ("ratelimit" in flat or "ratelimiter" in flat or wordset & {"throttle", "throttling", "throttles"}
                or any(w.startswith("throttle") for w in words)):
            return
        if words[-1] in ("storage", "uri", "url", "key", "prefix", "header", "headers", "message", "strategy",
                         "window", "ms", "period", "duration", "time", "reset", "seconds", "interval", "store"):
            group = ("rate_limit", ".".join(words[:-1]))
            if group in self.groups:
                return
            self.groups.add(group)
            self.add("rate_limit", item, True)
            return
        flag = boolean(value)
        if words[-1] in ("enabled", "enable", "disabled", "disable") and flag is not None:
            self.add("rate_limit", item, (not flag) if words[-1].startswith("disable") else flag)
            return
        number = _as_float(value)
        if number is not None and not isinstance(value, bool):
            self.add("rate_limit", item, int(number) if number.is_integer() else number)
        elif flag is not None and isinstance(value, bool):
            self.add("rate_limit", item, flag)
        elif value not in (None, ""):
            self.add("rate_limit", item, True)

    def _uploads(self, item: _Item, words: list[str], wordset: set[str], flat: str, value: Any,
                 storage_remote: bool | None) -> None:
        if flat in ("defaultfilestorage", "storagesdefaultbackend", "filesystemdisk", "filesystemdriver",
                    "activestorageservice", "filesystemcloud") and isinstance(value, str) and value.strip():
            remote = _remote_storage_value(value)
            self.add("upload_storage", item, "remote" if remote else "local")
            return
        if not isinstance(value, str) or not value.strip() or wordset & {"temp", "tmp", "max", "size", "url"}:
            return
        is_upload_key = flat in ("mediaroot", "uploadfolder", "springservletmultipartlocation") or (
            wordset & {"upload", "uploads"} and words[-1] in ("dir", "folder", "path", "root", "location",
                                                              "directory", "dest", "destination"))
        if not is_upload_key:
            return
        text = value.strip()
        if re.match(r"^(s3|gs|gcs|az|azure|wasbs?|abfss?)://", text.lower()):
            self.add("upload_storage", item, "remote")
            return
        if "://" in text:
            return
        if flat == "mediaroot" and storage_remote:
            return
        self.add("upload_dir", item, text)

    # -- nginx ----------------------------------------------------------------------------------------

    def _nginx(self, item: _Item) -> None:
        directive = item.key.rsplit(".", 1)[-1]
        value = str(item.value) if item.value is not None else ""
        args = value.split()
        if directive in ("proxy_read_timeout", "proxy_connect_timeout", "proxy_send_timeout", "grpc_read_timeout",
                         "grpc_connect_timeout", "grpc_send_timeout", "uwsgi_read_timeout", "fastcgi_read_timeout",
                         "fastcgi_connect_timeout", "uwsgi_connect_timeout"):
            seconds = _duration(args[0], 1.0) if args else None
            if seconds is not None:
                self.add("timeout", item, seconds, "nginx")
        elif directive in ("keepalive_timeout", "client_body_timeout", "client_header_timeout", "send_timeout"):
            seconds = _duration(args[0], 1.0) if args else None
            if seconds is not None:
                self.add("server_timeout", item, seconds, "nginx")
        elif directive in ("limit_req", "limit_conn"):
            self.add("rate_limit", item, True, "nginx")
        elif directive == "limit_req_zone":
            rate = re.search(r"rate=([0-9]+(?:\.[0-9]+)?)r/(s|m)", value)
            if rate:
                per_second = float(rate.group(1)) / (60.0 if rate.group(2) == "m" else 1.0)
                self.add("rate_limit", item, int(per_second) if per_second.is_integer() else round(per_second, 4),
                         "nginx")
            else:
                self.add("rate_limit", item, True, "nginx")
        elif directive in ("proxy_next_upstream_tries", "grpc_next_upstream_tries"):
            number = _as_int(args[0]) if args else None
            if number is not None:
                self.add("retry", item, number, "nginx")
        elif directive in ("proxy_next_upstream", "grpc_next_upstream"):
            self.add("retry", item, args != ["off"], "nginx")
        elif directive in ("proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass") or (
                directive == "server" and ".upstream(" in f".{item.key}"):
            self._nginx_target(item, directive, args)

    def _nginx_target(self, item: _Item, directive: str, args: list[str]) -> None:
        if not args:
            return
        target = args[0].rstrip(";")
        if self.upstreams is None:
            self.upstreams = {m.group(1) for other in self.items if (m := _UPSTREAM.search(other.key))}
        upstreams = self.upstreams
        if "://" in target:
            url = _parse_url(target)
            if url is None or not url.hosts:
                return
            host, port = url.hosts[0]
            scheme = url.scheme
        else:
            if target.startswith("unix:"):
                return
            parsed = _split_hostport(target)
            if parsed is None:
                return
            host, port = parsed
            scheme = {"grpc_pass": "grpc", "uwsgi_pass": "uwsgi", "fastcgi_pass": "fastcgi"}.get(directive, "http")
        # `proxy_pass http://name` to an upstream block is not a host; an upstream's own `server name:port` is,
        # even when the upstream is named after the service it points at.
        if (directive != "server" and host in upstreams) or not _valid_host(host) or _is_unresolved(host):
            return
        target_kind: Literal["service", "external"] = "external" if _is_public_host(host) else "service"
        self.links.append(Link(host.lower(), "calls", target_kind, scheme, item.entry.key, item.entry.location, port))


# Environment variables whose value is the launch options of a JVM or of Node (flattened keys).
_LAUNCH_OPTION_KEYS = frozenset({"javatooloptions", "javaopts", "javaoptions", "nodeoptions"})
# `-javaagent:<jar>[=options]`: the tracer a jar name says it is (aws-opentelemetry-agent is OpenTelemetry).
_JAVA_AGENT = re.compile(r"(?:^|\s|[\"'])-javaagent:(?P<jar>[^\s\"'=]+)", re.IGNORECASE)
_JAVA_AGENTS = (
    (re.compile(r"opentelemetry|(?<![a-z])otel(?![a-z])", re.IGNORECASE), "otel"),
    (re.compile(r"dd-java-agent", re.IGNORECASE), "datadog"),
    (re.compile(r"newrelic", re.IGNORECASE), "newrelic"),
    (re.compile(r"elastic-apm", re.IGNORECASE), "elastic-apm"),
    (re.compile(r"applicationinsights", re.IGNORECASE), "applicationinsights"),
)
# System properties that switch an attached agent off again.
_JAVA_AGENT_OFF = {
    "otel": re.compile(r"-Dotel\.(javaagent\.enabled=false|sdk\.disabled=true|traces\.exporter=none)\b", re.I),
    "datadog": re.compile(r"-Ddd\.trace\.enabled=false\b", re.IGNORECASE),
    "newrelic": re.compile(r"-Dnewrelic\.config\.agent_enabled=false\b", re.IGNORECASE),
    "elastic-apm": re.compile(r"-Delastic\.apm\.(enabled|active)=false\b", re.IGNORECASE),
}
# `node --require <module>` / `-r` / `--import` preloads that start a tracer.
_NODE_PRELOAD = re.compile(r"(?:^|[\s\"'])(?:--require|-r|--import)(?:=|\s+)[\"']?(?P<module>[^\s\"']+)")
_NODE_TRACERS = {
    "@opentelemetry/auto-instrumentations-node/register": "otel",
    "dd-trace/init": "datadog",
    "newrelic": "newrelic",
    "elastic-apm-node/start": "elastic-apm",
}
# Launchers that run a (Python) process under a tracer.
_LAUNCHERS = (
    (re.compile(r"(?:^|[\s\"'/;&|(])opentelemetry-instrument(?=$|[\s\"';&|)])"), "otel"),
    (re.compile(r"(?:^|[\s\"'/;&|(])ddtrace-run(?=$|[\s\"';&|)])"), "datadog"),
    (re.compile(r"(?:^|[\s\"'/;&|(])newrelic-admin\s+run-(?:program|python)(?=$|[\s\"';&|)])"), "newrelic"),
)
_OTEL_TRACES_OFF = re.compile(r"--traces_exporter(?:=|\s+)[\"']?none\b")


def _launch_option_tracing(text: str, node: bool) -> str | bool | None:
    """The tracer that JVM (`-javaagent:`) or Node (`--require`) launch options attach, False when the same
    options switch it off again, None when they attach none."""
    if len(text) > 65536:
        return None
    if node:
        for match in _NODE_PRELOAD.finditer(text):
            system = _NODE_TRACERS.get(match.group("module").rstrip(";,"))
            if system is not None:
                return system
        return None
    for match in _JAVA_AGENT.finditer(text):
        jar = match.group("jar")
        for pattern, system in _JAVA_AGENTS:
            if pattern.search(jar):
                off = _JAVA_AGENT_OFF.get(system)
                return False if off is not None and off.search(text) else system
    return None


def command_tracing(text: str) -> str | None:
    """The tracer a process's command line starts it under (`opentelemetry-instrument gunicorn …`,
    `ddtrace-run`, `newrelic-admin run-program`, `java -javaagent:…otel….jar`, `node -r dd-trace/init`)."""
    if not isinstance(text, str) or not text.strip() or len(text) > 65536:
        return None
    for pattern, system in _LAUNCHERS:
        if pattern.search(text):
            if system == "otel" and _OTEL_TRACES_OFF.search(text):
                return None  # metrics/logs only
            return system
    for node in (False, True):
        found = _launch_option_tracing(text, node)
        if isinstance(found, str):
            return found
    return None


def _remote_storage_value(value: str) -> bool:
    low = value.lower()
    return bool(re.search(r"s3|boto|google|gcloud|gcs|azure|cloudinary|minio|backblaze|b2|spaces|amazon|"
                          r"dropbox|sftp|ftp", low)) and "filesystemstorage" not in low


_UPSTREAM = re.compile(r"upstream\(([^)]+)\)")
_NGINX_KEY = re.compile(r"(^|\.)(location|upstream)\(|^http\.server\.|^(worker_processes|events\.worker_connections)$")


def interpret(entries: Iterable[Entry], framework: str = "") -> Interpretation:
    """Recognise settings and links among `entries`; `framework` is a hint ("spring", "django", …).

    Entries from an nginx config (keys like `http.server.location(/api).proxy_read_timeout`) are read as
    nginx directives even without the hint, so an nginx.conf inside a ConfigMap is understood too.
    """
    items = list(entries)
    if not framework and any(_NGINX_KEY.search(str(entry.key)) for entry in items):
        framework = "nginx"
    return _Interpreter(items, framework or "").run()
