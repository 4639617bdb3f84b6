"""Python source → code facts (see auditor/code/facts.py).

The queries (queries/python/*.scm) collect the file's imports, assignments, definitions and calls; this
module resolves each callee to a qualified name through the file's imports and variables
(`s = requests.Session(); s.get(...)` is `requests.Session().get`) and decides the facts:

- calls: requests, httpx, aiohttp, urllib.request, urllib3, tornado and gRPC stubs, bounded by `timeout=` on
  the call or on the client object that makes it, retries mounted on a requests session, retry and
  circuit-breaker decorators on the enclosing function, and library defaults (httpx 5 s, aiohttp 300 s,
  tornado 20 s); a call forwarding its caller's `**kwargs`, and a gRPC stub whose calls the file does not show,
  are `deferred` (bounded elsewhere, or not: this line does not say);
- connects: DB-API drivers, pools, SQLAlchemy engines, MongoDB and Redis clients;
- handlers: Flask, FastAPI, Starlette, aiohttp, Tornado, Django and Flask-RESTful views;
- sessions (Flask-Session, Starlette's SessionMiddleware, aiohttp_session) and tracing set-ups.

Nothing from the file is executed; every walk is bounded (the tree can be arbitrarily deep).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
import sys
from dataclasses import dataclass, field
from importlib import resources

import tree_sitter

from auditor.code.facts import (
    MAX_ADDRESS_CHARS,
    Bound,
    Call,
    Connect,
    ExternalCall,
    Extracted,
    Handler,
    Session,
    Target,
    Tracing,
    per_request_functions,
)
from auditor.code.languages import grammar
from auditor.code.syntax import MAX_MATCHES, MAX_START_DEPTH, Match, line, matches, text
from auditor.parsers.numbers import digits

_DEPTH = 6  # how many names a value is followed through (`URL = BASE + "/x"`, `BASE = os.getenv(...)`)
_DOTTED_PARTS = 32  # attribute chain length read for a callee (`a.b.c.d()`)

# -- outbound HTTP ----------------------------------------------------------------------------------------
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
# Module-level request functions: qualified name → client. urlopen and urllib3.request take the URL as
# positional argument 0 and 1 respectively (see _URL_ARG).
_MODULE_CALLS: dict[str, str] = {
    **{f"requests.{m}": "requests" for m in _HTTP_METHODS},
    **{f"requests.api.{m}": "requests" for m in _HTTP_METHODS},
    **{f"httpx.{m}": "httpx" for m in _HTTP_METHODS | {"stream"}},
    "aiohttp.request": "aiohttp",
    "urllib.request.urlopen": "urllib",
    "urllib3.request": "urllib3",
}
# Client classes (and factories) whose objects make requests: qualified name → client.
_CLIENT_CLASSES: dict[str, str] = {
    "requests.Session": "requests", "requests.session": "requests", "requests.sessions.Session": "requests",
    "httpx.Client": "httpx", "httpx.AsyncClient": "httpx",
    "aiohttp.ClientSession": "aiohttp", "aiohttp.client.ClientSession": "aiohttp",
    "urllib3.PoolManager": "urllib3", "urllib3.ProxyManager": "urllib3", "urllib3.HTTPConnectionPool": "urllib3",
    "urllib3.HTTPSConnectionPool": "urllib3", "urllib3.connection_from_url": "urllib3",
    "urllib3.poolmanager.PoolManager": "urllib3",
    "tornado.httpclient.AsyncHTTPClient": "tornado", "tornado.httpclient.HTTPClient": "tornado",
}
# The request methods of each client's objects.
_CLIENT_METHODS: dict[str, frozenset[str]] = {
    "requests": _HTTP_METHODS,
    "httpx": _HTTP_METHODS | {"stream"},
    "aiohttp": _HTTP_METHODS | {"ws_connect"},
    "tornado": frozenset({"fetch"}),
    "urllib3": frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
}
# Which positional argument is the URL: clients whose `request(method, url)` puts the method first.
_URL_ARG = {"request": 1, "urlopen": 1, "request_encode_url": 1, "request_encode_body": 1, "stream": 1}
# Library defaults that bound a call made without a timeout. httpx: "timeouts are enabled by default, 5
# seconds" (python-httpx.org/advanced/timeouts); aiohttp: ClientSession's DEFAULT_TIMEOUT is
# ClientTimeout(total=5*60, sock_connect=30) (docs.aiohttp.org client_reference). aiohttp's is counted as a
# bound: a request cannot hang forever; whether 300 s is short enough is the rule's call, and the detail says it.
# tornado: HTTPRequest's request_timeout and connect_timeout default to 20 s (tornado.httpclient docs).
_DEFAULT_TIMEOUTS = {"httpx": ("httpx default timeout 5 s", 5.0),
                     "aiohttp": ("aiohttp default timeout total=300 s", 300.0),
                     "tornado": ("tornado default request_timeout 20 s", 20.0)}

# -- gRPC --------------------------------------------------------------------------------------------------
_GRPC_CHANNELS = frozenset({"grpc.insecure_channel", "grpc.secure_channel", "grpc.aio.insecure_channel",
                            "grpc.aio.secure_channel"})

# -- retry / circuit-breaker decorators (qualified name → bound kind) --------------------------------------
# From each library's README: tenacity, retrying, backoff, stamina, retry, circuitbreaker, pybreaker, aiobreaker.
_DECORATOR_BOUNDS: dict[str, str] = {
    "tenacity.retry": "retry", "retrying.retry": "retry", "backoff.on_exception": "retry",
    "backoff.on_predicate": "retry", "stamina.retry": "retry", "retry.retry": "retry",
    "circuitbreaker.circuit": "circuit_breaker", "circuitbreaker.CircuitBreaker": "circuit_breaker",
}
# Breaker objects used as decorators (`breaker = pybreaker.CircuitBreaker(); @breaker`).
_BREAKER_CLASSES = frozenset({"pybreaker.CircuitBreaker", "aiobreaker.CircuitBreaker",
                              "circuitbreaker.CircuitBreaker"})

# -- database connections: qualified name → (library, datastore, pooled, keyword or position of the bound) ----
# The bound's keyword from each driver's API reference (psycopg2.pool(minconn, maxconn), psycopg_pool and asyncpg
# max_size, SQLAlchemy pool_size, mysql.connector pool_size, aiomysql/aiopg maxsize, pymongo maxPoolSize,
# redis-py max_connections, oracledb max).
_CONNECTS: dict[str, tuple[str, str, bool, str]] = {
    "psycopg2.connect": ("psycopg2", "postgres", False, ""),
    "psycopg2.pool.SimpleConnectionPool": ("psycopg2", "postgres", True, "maxconn|1"),
    "psycopg2.pool.ThreadedConnectionPool": ("psycopg2", "postgres", True, "maxconn|1"),
    "psycopg.connect": ("psycopg", "postgres", False, ""),
    "psycopg.Connection.connect": ("psycopg", "postgres", False, ""),
    "psycopg.AsyncConnection.connect": ("psycopg", "postgres", False, ""),
    "psycopg_pool.ConnectionPool": ("psycopg_pool", "postgres", True, "max_size"),
    "psycopg_pool.AsyncConnectionPool": ("psycopg_pool", "postgres", True, "max_size"),
    "asyncpg.connect": ("asyncpg", "postgres", False, ""),
    "asyncpg.create_pool": ("asyncpg", "postgres", True, "max_size"),
    "pymysql.connect": ("pymysql", "mysql", False, ""),
    "pymysql.Connect": ("pymysql", "mysql", False, ""),
    "pymysql.connections.Connection": ("pymysql", "mysql", False, ""),
    "MySQLdb.connect": ("MySQLdb", "mysql", False, ""),
    "MySQLdb.Connect": ("MySQLdb", "mysql", False, ""),
    "mysql.connector.connect": ("mysql.connector", "mysql", False, ""),
    "mysql.connector.pooling.MySQLConnectionPool": ("mysql.connector", "mysql", True, "pool_size"),
    "aiopg.connect": ("aiopg", "postgres", False, ""),
    "aiopg.create_pool": ("aiopg", "postgres", True, "maxsize"),
    "aiopg.sa.create_engine": ("aiopg", "postgres", True, "maxsize"),
    "aiomysql.connect": ("aiomysql", "mysql", False, ""),
    "aiomysql.create_pool": ("aiomysql", "mysql", True, "maxsize"),
    "sqlite3.connect": ("sqlite3", "sqlite", False, ""),
    "aiosqlite.connect": ("aiosqlite", "sqlite", False, ""),
    "pyodbc.connect": ("pyodbc", "", False, ""),
    "pymssql.connect": ("pymssql", "sqlserver", False, ""),
    "cx_Oracle.connect": ("cx_Oracle", "oracle", False, ""),
    "oracledb.connect": ("oracledb", "oracle", False, ""),
    "oracledb.create_pool": ("oracledb", "oracle", True, "max"),
    "sqlalchemy.create_engine": ("sqlalchemy", "", True, "pool_size"),
    "sqlalchemy.engine.create_engine": ("sqlalchemy", "", True, "pool_size"),
    "sqlalchemy.ext.asyncio.create_async_engine": ("sqlalchemy", "", True, "pool_size"),
    "sqlmodel.create_engine": ("sqlalchemy", "", True, "pool_size"),
    "pymongo.MongoClient": ("pymongo", "mongodb", True, "maxPoolSize"),
    "pymongo.mongo_client.MongoClient": ("pymongo", "mongodb", True, "maxPoolSize"),
    "motor.motor_asyncio.AsyncIOMotorClient": ("motor", "mongodb", True, "maxPoolSize"),
    "redis.Redis": ("redis", "redis", True, "max_connections"),
    "redis.StrictRedis": ("redis", "redis", True, "max_connections"),
    "redis.Redis.from_url": ("redis", "redis", True, "max_connections"),
    "redis.StrictRedis.from_url": ("redis", "redis", True, "max_connections"),
    "redis.from_url": ("redis", "redis", True, "max_connections"),
    "redis.ConnectionPool": ("redis", "redis", True, "max_connections"),
    "redis.ConnectionPool.from_url": ("redis", "redis", True, "max_connections"),
    "redis.BlockingConnectionPool": ("redis", "redis", True, "max_connections"),
    "redis.asyncio.Redis": ("redis", "redis", True, "max_connections"),
    "redis.asyncio.from_url": ("redis", "redis", True, "max_connections"),
    "redis.asyncio.Redis.from_url": ("redis", "redis", True, "max_connections"),
    "redis.asyncio.ConnectionPool": ("redis", "redis", True, "max_connections"),
    "aioredis.from_url": ("aioredis", "redis", True, "max_connections"),
    "aioredis.Redis": ("aioredis", "redis", True, "max_connections"),
}
_URL_SCHEMES = (("postgres", "postgres"), ("mysql", "mysql"), ("mariadb", "mysql"), ("sqlite", "sqlite"),
                ("mssql", "sqlserver"), ("oracle", "oracle"), ("mongodb", "mongodb"), ("redis", "redis"),
                ("rediss", "redis"))

# -- request handlers -----------------------------------------------------------------------------------
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
                               "websocket", "view", "middleware"})
# Decorators of functions that run on every request (Flask's request hooks).
_PER_REQUEST_HOOKS = frozenset({"before_request", "after_request", "teardown_request", "before_app_request"})
# Objects whose route decorators make handlers: constructor → framework.
_APP_CLASSES: dict[str, str] = {
    "flask.Flask": "flask", "flask.Blueprint": "flask", "quart.Quart": "quart", "quart.Blueprint": "quart",
    "fastapi.FastAPI": "fastapi", "fastapi.APIRouter": "fastapi", "fastapi.routing.APIRouter": "fastapi",
    "sanic.Sanic": "sanic", "sanic.Blueprint": "sanic", "aiohttp.web.RouteTableDef": "aiohttp",
    "starlette.applications.Starlette": "starlette", "starlette.routing.Router": "starlette",
    "flask_restx.Namespace": "flask", "apiflask.APIFlask": "flask", "apiflask.APIBlueprint": "flask",
}
_FRAMEWORK_MODULES = ("fastapi", "flask", "quart", "sanic", "starlette", "aiohttp")
# Registrations naming a handler function: qualified name or method → (framework, argument index).
_REGISTRATIONS: dict[str, tuple[str, int]] = {
    "aiohttp.web.get": ("aiohttp", 1), "aiohttp.web.post": ("aiohttp", 1), "aiohttp.web.put": ("aiohttp", 1),
    "aiohttp.web.patch": ("aiohttp", 1), "aiohttp.web.delete": ("aiohttp", 1), "aiohttp.web.head": ("aiohttp", 1),
    "aiohttp.web.route": ("aiohttp", 2), "aiohttp.web.view": ("aiohttp", 1),
    "starlette.routing.Route": ("starlette", 1), "starlette.routing.WebSocketRoute": ("starlette", 1),
}
_REGISTRATION_METHODS: dict[str, tuple[str, int]] = {
    "add_get": ("aiohttp", 1), "add_post": ("aiohttp", 1), "add_put": ("aiohttp", 1),
    "add_patch": ("aiohttp", 1), "add_delete": ("aiohttp", 1), "add_route": ("aiohttp", 2),
    "add_url_rule": ("flask", 2), "add_api_route": ("fastapi", 1), "add_websocket_route": ("fastapi", 1),
}
_HANDLER_KEYWORDS = frozenset({"view_func", "endpoint", "handler"})
# Class-based views: base class (qualified, or its prefix ending in ".") → framework, and the methods that
# run per request.
_VIEW_BASES: dict[str, str] = {
    "tornado.web.RequestHandler": "tornado", "flask.views.MethodView": "flask", "flask.views.View": "flask",
    "flask_restful.Resource": "flask", "flask_restx.Resource": "flask", "aiohttp.web.View": "aiohttp",
    "starlette.endpoints.HTTPEndpoint": "starlette", "django.views.": "django", "rest_framework.": "django",
}
_VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "dispatch",
                           "dispatch_request", "list", "create", "retrieve", "update", "partial_update", "destroy",
                           "get_queryset", "get_object", "get_context_data", "form_valid", "perform_create",
                           "perform_update", "perform_destroy", "prepare", "on_finish"})
_DJANGO_VIEW_DECORATORS = frozenset({"rest_framework.decorators.api_view"})

# -- sessions --------------------------------------------------------------------------------------------
# Flask-Session's SESSION_TYPE → store (flask-session.readthedocs.io, "Configuration").
_FLASK_SESSION_TYPES = {"filesystem": "file", "redis": "redis", "memcached": "memcached", "sqlalchemy": "db",
                        "mongodb": "mongodb", "dynamodb": "db", "null": "cookie"}
_SESSION_MIDDLEWARE = frozenset({"starlette.middleware.sessions.SessionMiddleware"})
# aiohttp_session storages → store.
_AIOHTTP_STORAGES = {"EncryptedCookieStorage": "cookie", "SimpleCookieStorage": "cookie",
                     "NaClCookieStorage": "cookie", "RedisStorage": "redis", "MemcachedStorage": "memcached"}

# -- tracing: qualified call → (system, what) ------------------------------------------------------------
# The set-up call each SDK's getting-started page shows (OpenTelemetry, Azure Monitor distro, ddtrace, Elastic
# APM, jaeger-client, New Relic, AWS X-Ray).
_TRACING_CALLS: dict[str, tuple[str, str]] = {
    "opentelemetry.sdk.trace.TracerProvider": ("otel", "sdk"),
    "opentelemetry.trace.set_tracer_provider": ("otel", "sdk"),
    "opentelemetry.propagate.set_global_textmap": ("otel", "propagation"),
    "azure.monitor.opentelemetry.configure_azure_monitor": ("applicationinsights", "sdk"),
    "ddtrace.patch_all": ("datadog", "auto"), "ddtrace.patch": ("datadog", "auto"),
    "elasticapm.contrib.flask.ElasticAPM": ("elastic-apm", "agent"),
    "elasticapm.contrib.starlette.ElasticAPM": ("elastic-apm", "agent"),
    "elasticapm.contrib.starlette.make_apm_client": ("elastic-apm", "agent"),
    "elasticapm.Client": ("elastic-apm", "sdk"), "elasticapm.instrument": ("elastic-apm", "auto"),
    "jaeger_client.Config().initialize_tracer": ("jaeger", "sdk"),
    "newrelic.agent.initialize": ("newrelic", "agent"),
    "aws_xray_sdk.core.patch_all": ("xray", "auto"), "aws_xray_sdk.core.patch": ("xray", "auto"),
    "aws_xray_sdk.core.xray_recorder.configure": ("xray", "sdk"),
    "aws_xray_sdk.ext.flask.middleware.XRayMiddleware": ("xray", "agent"),
    "aws_xray_sdk.ext.django": ("xray", "agent"),
}
# Span exporters: module prefix, class name ending, system (OTLP and Azure also export metrics and logs).
_EXPORTERS = (("opentelemetry.exporter.jaeger", "JaegerExporter", "jaeger"),
              ("opentelemetry.exporter.zipkin", "ZipkinExporter", "zipkin"),
              ("opentelemetry.exporter.otlp", "SpanExporter", "otel"),
              ("azure.monitor.opentelemetry.exporter", "TraceExporter", "applicationinsights"))
_SENTRY_TRACING_KEYWORDS = frozenset({"traces_sample_rate", "traces_sampler", "enable_tracing"})
# Imports that set tracing up by being imported: module prefix → (system, what).
_TRACING_IMPORTS: dict[str, tuple[str, str]] = {
    "ddtrace.auto": ("datadog", "auto"), "ddtrace.tracer": ("datadog", "sdk"),
    "opentelemetry.instrumentation.auto_instrumentation": ("otel", "auto"),
    "instana": ("instana", "agent"), "py_zipkin": ("zipkin", "sdk"),
}

# The top-level modules a fact can come from: a file importing none of them has no facts, so its other
# queries are not run (most files of a library or a CLI).
_KNOWN_ROOTS = frozenset(name.split(".", 1)[0] for table in (
    _MODULE_CALLS, _CLIENT_CLASSES, _GRPC_CHANNELS, _DECORATOR_BOUNDS, _BREAKER_CLASSES, _CONNECTS, _APP_CLASSES,
    _REGISTRATIONS, _VIEW_BASES, _DJANGO_VIEW_DECORATORS, _SESSION_MIDDLEWARE, _TRACING_CALLS, _TRACING_IMPORTS,
    ("flask_session", "aiohttp_session", "opentelemetry", "ddtrace", "sentry_sdk", "elasticapm", "azure"),
) for name in table)
# Decorators that make a function's body run once per process (per distinct arguments), not once per call.
_MEMOISERS = frozenset({"functools.cache", "functools.lru_cache", "async_lru.alru_cache"})
_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get"})
_FORMAT_FIELD = re.compile(r"\{([^{}]*)\}")  # a str.format replacement field
_CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass
class _Function:
    node: tree_sitter.Node
    name: str  # `Class.method` for a method, else the function's name
    params: list[str]
    decorators: list[tree_sitter.Node]
    klass: str = ""  # the class of a method


@dataclass
class _Client:
    kind: str  # requests | httpx | aiohttp | urllib3 | grpc-stub
    line: int
    bounds: list[Bound] = field(default_factory=list)
    no_default: bool = False  # `timeout=None` on the constructor: the library default is switched off
    target: Target | None = None  # a gRPC stub's channel target; an HTTP client's `base_url`


class _File:
    """One file's names: imports, assignments by scope, functions and classes."""

    def __init__(self, root: tree_sitter.Node, language: str) -> None:
        self.language = language
        self.imports: dict[str, str] = {}
        self.imported_modules: list[tuple[str, int]] = []
        self.assigns: dict[tuple[int, str], list[tuple[int, tree_sitter.Node]]] = {}
        self._assign_lines: dict[tuple[int, str], list[int] | None] = {}  # by `_last_assigned`
        self.functions: dict[int, _Function] = {}
        self.by_name: dict[str, list[_Function]] = {}
        self.classes: dict[str, tuple[tree_sitter.Node, list[tree_sitter.Node]]] = {}  # name → (node, bases)
        self._starts: list[int] = []
        self._scopes: list[tuple[tree_sitter.Node, int]] = []  # (definition, index of its enclosing one or -1)
        self._scope_cache: dict[tuple[int, int], _Function | None] = {}
        self._names: set[str] = set()  # every name assigned somewhere in the file
        # local name → (leading dots of a relative import, dotted path of what it names): `from .db import get_db`
        # → (1, "db.get_db"); `import app.db` → (0, "app")
        self.origins: dict[str, tuple[int, str]] = {}
        for match in matches(language, "imports", root):
            node = match.one("import")
            if node is not None:
                self._import(node)
        # A file is read when a fact can come from it, or when it may call into the project's own code (a view
        # calling the `get_db` of another module): it imports a module that is neither the standard library's
        # nor one of the libraries above.
        self.knows_libraries = any(m.split(".", 1)[0] in _KNOWN_ROOTS for m, _ in self.imported_modules)
        self.relevant = self.knows_libraries or any(level or _project_module(path)
                                                    for level, path in self.origins.values())
        self.calls: list[Match] = []
        if not self.relevant:
            return
        # Definitions, outermost first; each one's enclosing definition by a sweep over byte ranges (a node's
        # `parent` costs tree-sitter a walk from the root, so it is never asked for).
        definitions: list[tuple[tree_sitter.Node, str, tree_sitter.Node | None]] = []
        decorators: dict[int, list[tree_sitter.Node]] = {}
        found = _matches(language, root)
        declared: list[tuple[tree_sitter.Node, str]] = []  # (`global` statement, name)
        for match in found["definitions"]:
            name_node = match.one("name")
            definition = match.one("function") or match.one("class")
            decorated = match.one("decorated")
            statement = match.one("global_statement")
            if statement is not None:
                declared.extend((statement, text(n)) for n in match.captures.get("global", []))
            elif definition is not None and name_node is not None:
                definitions.append((definition, text(name_node), match.one("parameters")))
            elif decorated is not None:
                decorators[decorated.id] = match.captures.get("decorator", [])
        definitions.sort(key=lambda d: (d[0].start_byte, -d[0].end_byte))
        stack: list[int] = []
        for node, name, params in definitions:
            while stack and self._scopes[stack[-1]][0].end_byte <= node.start_byte:
                stack.pop()
            parent = stack[-1] if stack else -1
            self._starts.append(node.start_byte)
            self._scopes.append((node, parent))
            stack.append(len(self._scopes) - 1)
            outer = self._scopes[parent][0] if parent >= 0 else None
            if node.type == "class_definition":
                bases = node.child_by_field_name("superclasses")
                exprs = [b for b in bases.named_children if b.type != "keyword_argument"] if bases else []
                self.classes.setdefault(name, (node, exprs))
            else:
                klass = text(outer.child_by_field_name("name")) if outer is not None and \
                    outer.type == "class_definition" else ""
                self._function(node, name, params, decorators.get(node.id, []), klass)
        self.calls = found["calls"]
        self.globals: set[tuple[int, str]] = set()  # (function node id, name) for each `global name`
        for statement, name in declared:
            scope = self.scope_of(statement)
            if scope is not None:
                self.globals.add((scope.node.id, name))
        # the target an assigned value goes to, by the value's span (an awaited call's too): `conn = connect()`
        self.targets: dict[tuple[int, int], tree_sitter.Node] = {}
        self.returns: dict[int, list[tree_sitter.Node]] = {}
        for match in found["returns"]:
            value, statement = match.one("value"), match.one("return")
            scope = self.scope_of(statement) if statement is not None else None
            if value is not None and scope is not None:
                self.returns.setdefault(scope.node.id, []).append(value)
        for match in found["assignments"]:
            left, right, node = match.one("left"), match.one("right"), match.one("assignment")
            if left is None or right is None or node is None:
                continue
            if left.type in ("identifier", "attribute", "subscript"):
                self._assign(node, text(left), right)
                value = right.named_children[0] if right.type == "await" and right.named_children else right
                self.targets[(value.start_byte, value.end_byte)] = left
            elif left.type in ("pattern_list", "tuple_pattern") and right.type in ("expression_list", "tuple"):
                names, values = left.named_children, right.named_children
                if len(names) == len(values):
                    for target, value in zip(names, values, strict=True):
                        if target.type == "identifier":
                            self._assign(node, text(target), value)

    # -- building ------------------------------------------------------------------------------------------
    def _import(self, node: tree_sitter.Node) -> None:
        if node.type == "import_statement":
            for item in node.named_children:
                if item.type == "dotted_name":
                    full = text(item)
                    self.imports.setdefault(full.split(".", 1)[0], full.split(".", 1)[0])
                    self.imported_modules.append((full, line(node)))
                    self.origins[full.split(".", 1)[0]] = (0, full.split(".", 1)[0])
                elif item.type == "aliased_import":
                    name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        self.imports[text(alias)] = text(name)
                        self.imported_modules.append((text(name), line(node)))
                        self.origins[text(alias)] = (0, text(name))
            return
        module_node = node.child_by_field_name("module_name")
        module = text(module_node)
        level = len(module) - len(module.lstrip("."))
        base = module.lstrip(".")
        for item in node.children_by_field_name("name"):
            if item.type == "dotted_name":
                self.imports[text(item)] = f"{module}.{text(item)}"
                self.imported_modules.append((f"{module}.{text(item)}", line(node)))
                self.origins[text(item)] = (level, f"{base}.{text(item)}" if base else text(item))
            elif item.type == "aliased_import":
                name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                if name is not None and alias is not None:
                    self.imports[text(alias)] = f"{module}.{text(name)}"
                    self.imported_modules.append((f"{module}.{text(name)}", line(node)))
                    self.origins[text(alias)] = (level, f"{base}.{text(name)}" if base else text(name))
        if not node.children_by_field_name("name"):
            self.imported_modules.append((module, line(node)))  # `from x import *`

    def _function(self, node: tree_sitter.Node, name: str, params_node: tree_sitter.Node | None,
                  decorators: list[tree_sitter.Node], klass: str) -> None:
        params: list[str] = []
        for param in params_node.named_children if params_node is not None else []:
            if param.type == "identifier":
                params.append(text(param))
            elif param.type in ("default_parameter", "typed_default_parameter"):
                params.append(text(param.child_by_field_name("name")))
            elif param.type == "typed_parameter":
                first = param.named_children[0] if param.named_children else None
                params.append(text(first) if first is not None and first.type == "identifier" else "*")
            else:
                params.append("*")  # *args, **kwargs, keyword-only marker
        function = _Function(node, f"{klass}.{name}" if klass else name, params, decorators, klass)
        self.functions[node.id] = function
        self.by_name.setdefault(function.name, []).append(function)

    def _assign(self, node: tree_sitter.Node, name: str, value: tree_sitter.Node) -> None:
        scope = self.scope_of(node)
        if name.startswith("self.") and scope is not None and scope.klass:
            key = (self._class_id(scope.klass), name)
        else:
            key = (scope.node.id if scope is not None else 0, name)
        self.assigns.setdefault(key, []).append((line(node), value))
        self._assign_lines.pop(key, None)
        self._names.add(name)

    def _class_id(self, klass: str) -> int:
        entry = self.classes.get(klass)
        return -entry[0].id - 1 if entry is not None else -1

    # -- reading -------------------------------------------------------------------------------------------
    def scope_of(self, node: tree_sitter.Node) -> _Function | None:
        """The function a node is in (the nearest def), None at module level."""
        key = (node.start_byte, node.end_byte)
        if key in self._scope_cache:
            return self._scope_cache[key]
        found = self._scope_of(node)
        self._scope_cache[key] = found
        return found

    def _scope_of(self, node: tree_sitter.Node) -> _Function | None:
        index = bisect.bisect_right(self._starts, node.start_byte) - 1
        for _ in range(256):
            if index < 0:
                return None
            definition, parent = self._scopes[index]
            if definition.type == "function_definition" and definition.end_byte >= node.end_byte and \
                    definition.id != node.id:
                return self.functions.get(definition.id)
            index = parent
        return None
        return None

    def dotted(self, node: tree_sitter.Node | None) -> str:
        """`a.b.c` for an attribute chain, `f().m` through a call, "" for anything else."""
        parts: list[str] = []
        current = node
        for _ in range(_DOTTED_PARTS):
            if current is None:
                return ""
            if current.type == "identifier":
                parts.append(text(current))
                return ".".join(reversed(parts)).replace(".()", "()")
            if current.type == "attribute":
                parts.append(text(current.child_by_field_name("attribute")))
                current = current.child_by_field_name("object")
            elif current.type == "call":
                parts.append("()")
                current = current.child_by_field_name("function")
            else:
                return ""
        return ""

    def value(self, name: str, at: tree_sitter.Node) -> tree_sitter.Node | None:
        """The value a name (or `self.attr`) holds where `at` reads it: the last assignment before it in the
        same function, else the only assignment in the class (`self.x`) or at module level. None when it is a
        parameter, unassigned or assigned more than once at module level."""
        if name not in self._names:
            return None
        scope = self.scope_of(at)
        use = line(at)
        if name.startswith("self."):
            if scope is None or not scope.klass:
                return None
            found = self.assigns.get((self._class_id(scope.klass), name), [])
            return found[0][1] if len(found) == 1 else None
        outer: _Function | None = scope
        for _ in range(8):
            if outer is None:
                break
            local = self._last_assigned((outer.node.id, name), use, at)
            if local is not None:
                return local
            if name in outer.params or self.assigns.get((outer.node.id, name)):
                return None
            outer = self.scope_of(outer.node)
        found = self.assigns.get((0, name), [])
        return found[0][1] if len(found) == 1 else None

    def _last_assigned(self, key: tuple[int, str], use: int, at: tree_sitter.Node) -> tree_sitter.Node | None:
        """The last value assigned under `key` before line `use`, or on it but not around `at`. Found by bisection
        when the assignments are in line order (as the query finds them): a function assigning one name
        thousands of times read every assignment at every use."""
        found = self.assigns.get(key, [])
        if key not in self._assign_lines:
            lines = [ln for ln, _ in found]
            self._assign_lines[key] = lines if lines == sorted(lines) else None
        lines_in_order = self._assign_lines[key]
        if lines_in_order is None:
            local = [v for ln, v in found if ln < use or (ln == use and not v.start_byte <= at.start_byte < v.end_byte)]
            return local[-1] if local else None
        before = bisect.bisect_left(lines_in_order, use)
        for _, value in reversed(found[before:bisect.bisect_right(lines_in_order, use)]):
            if not value.start_byte <= at.start_byte < value.end_byte:
                return value
        return found[before - 1][1] if before else None

    def qualified(self, node: tree_sitter.Node | None, depth: int = 0) -> str:
        """The qualified name of a callee or object: imports resolved (`r.get` → `requests.get`) and a variable
        holding a call resolved to that call (`s.get` with `s = requests.Session()` → `requests.Session().get`)."""
        dotted = self.dotted(node)
        if not dotted or node is None:
            return ""
        head = dotted.split(".", 1)[0]
        if head == "self" and "." in dotted:
            name = "self." + re.split(r"[.(]", dotted[5:], maxsplit=1)[0]
        else:
            name = head.split("(", 1)[0]
        remainder = dotted[len(name):]
        held = self.value(name, node) if depth < _DEPTH else None
        if held is not None and held.type == "call":
            inner = self.qualified(held.child_by_field_name("function"), depth + 1)
            if inner:
                return f"{inner}(){remainder}"
        elif held is not None and held.type in ("identifier", "attribute"):
            inner = self.qualified(held, depth + 1)
            if inner:
                return inner + remainder
        if name in self.imports:
            return self.imports[name] + remainder
        return dotted

    def _factory(self, call: tree_sitter.Node) -> tree_sitter.Node | None:
        """What a call of a function of this file returns, when it always returns one name or expression
        (`return session`); None for any other call."""
        function = call.child_by_field_name("function")
        if function is None or function.type != "identifier":
            return None
        defined = self.by_name.get(text(function), [])
        if len(defined) != 1:
            return None
        values = self.returns.get(defined[0].node.id, [])
        if not values or len({text(v) for v in values}) != 1:
            return None
        return values[-1]

    def holder(self, node: tree_sitter.Node | None) -> tree_sitter.Node | None:
        """The call that created the object a name or `self.x` refers to (`requests.Session()`), or the call
        itself when the object is created inline."""
        current = node
        for _ in range(_DEPTH):
            if current is None:
                return None
            if current.type == "call":
                factory = self._factory(current)
                if factory is None:
                    return current
                current = factory
            elif current.type == "boolean_operator" and text(current.child_by_field_name("operator")) == "or":
                current = current.child_by_field_name("right")  # `session = session or requests.Session()`
            elif current.type == "await" and current.named_children:
                current = current.named_children[0]
            elif current.type == "identifier" or (current.type == "attribute" and text(current).startswith("self.")
                                                and text(current).count(".") == 1):
                current = self.value(text(current), current)
            else:
                return None
        return None


_QUERIES = ("calls", "assignments", "definitions", "returns")


@functools.cache
def _combined(language: str) -> tuple[tree_sitter.Query, tuple[tuple[int, str], ...]] | None:
    """The fact queries but imports as one query (one walk of the tree instead of four), and the first pattern
    index of each file's patterns."""
    lang = grammar(language)
    if lang is None:
        return None
    folder = resources.files("auditor.code") / "queries" / language
    sources = [(name, (folder / f"{name}.scm").read_text(encoding="utf-8")) for name in _QUERIES]
    starts: list[tuple[int, str]] = []
    first = 0
    for name, source in sources:
        starts.append((first, name))
        first += tree_sitter.Query(lang, source).pattern_count
    return tree_sitter.Query(lang, "\n".join(source for _, source in sources)), tuple(starts)


def _matches(language: str, root: tree_sitter.Node) -> dict[str, list[Match]]:
    """Every match of each of _QUERIES under `root`, by query, in source order."""
    out: dict[str, list[Match]] = {name: [] for name in _QUERIES}
    combined = _combined(language)
    if combined is None:
        return out
    query, starts = combined
    cursor = tree_sitter.QueryCursor(query, match_limit=MAX_MATCHES)
    cursor.set_max_start_depth(MAX_START_DEPTH)  # (as every other language: 30,000 nested calls took 6.4 s)
    for index, captures in cursor.matches(root)[:MAX_MATCHES * len(_QUERIES)]:
        name = next(name for first, name in reversed(starts) if index >= first)
        out[name].append(Match(index, captures))
    return out


_Calls = list[tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node, str]]


def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    found = Extracted()
    root = tree.root_node
    file = _File(root, language)
    if not file.relevant:
        return found
    calls: _Calls = []
    for match in file.calls:
        call, function, args = match.one("call"), match.one("function"), match.one("args")
        if call is not None and function is not None and args is not None:
            # a callee's qualified name matters only when it may be a library's (in a file importing none of
            # them, no call is an HTTP client, a connect, a tracer or a session)
            calls.append((call, function, args, file.qualified(function) if file.knows_libraries else ""))
    found.handlers.extend(_find_handlers(file, calls))
    handlers = {h.function for h in found.handlers}
    if file.knows_libraries:
        clients = _clients(file, calls)
        grpc_used: set[int] = set()
        session_type = _flask_session_type(file, calls)
        for call, function, args, name in calls:
            if not found.room_for_calls(line(call)):
                break
            _outbound(file, found, clients, grpc_used, call, function, args, name)
            _connect(file, found, handlers, call, args, name)
            _tracing_call(found, call, args, name)
            _session(file, found, session_type, call, args, name)
        _unused_stubs(found, clients, grpc_used)
        _tracing_imports(file, found)
    _callees(file, found, calls)
    _external_calls(file, found, calls)
    found.once = {f.name for f in file.functions.values() if _memoised(file, f)}
    found.instances = _instances(file)
    # a pool built in a function a handler calls is built per request, as one built in the handler is
    reached = per_request_functions(found)
    found.connects = [dataclasses.replace(c, pooled=False) if c.pooled and c.function in reached else c
                      for c in found.connects]
    found.calls.sort(key=lambda c: c.line)
    found.connects.sort(key=lambda c: c.line)
    found.tracing.sort(key=lambda t: t.line)
    return found


# -- arguments ---------------------------------------------------------------------------------------------
def _keywords(args: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    out = {}
    for arg in args.named_children:
        if arg.type == "keyword_argument":
            value = arg.child_by_field_name("value")
            if value is not None:
                out[text(arg.child_by_field_name("name"))] = value
    return out


def _positional(args: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [a for a in args.named_children if a.type not in ("keyword_argument", "dictionary_splat",
                                                             "list_splat", "comment")]


def _splats(args: tree_sitter.Node) -> bool:
    return any(a.type in ("dictionary_splat", "list_splat") for a in args.named_children)


def _is_none(node: tree_sitter.Node | None) -> bool:
    return node is not None and node.type == "none"


def _string(node: tree_sitter.Node) -> str | None:
    """A plain string literal's content (None for an f-string or anything else)."""
    if node.type == "concatenated_string":
        parts = [_string(child) for child in node.named_children]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if node.type != "string":
        return None
    out = []
    for child in node.named_children:
        if child.type == "string_content":
            out.append(text(child))
        elif child.type == "interpolation":
            return None
    return "".join(out)


def _int(node: tree_sitter.Node | None) -> int | None:
    if node is None or node.type != "integer":
        return None
    try:
        return int(text(node).replace("_", ""), 0)
    except ValueError:
        return None


# -- targets -----------------------------------------------------------------------------------------------
@dataclass
class _Parts:
    """A string value as pieces: known text, unknown pieces as None, and the environment key it reads."""

    pieces: list[str | None] = field(default_factory=list)
    envs: list[tuple[int, str, str]] = field(default_factory=list)  # (piece index, key, default)


def _target(file: _File, node: tree_sitter.Node | None) -> Target:
    """Where a URL or address expression points, as far as this file says."""
    if node is None:
        return Target()
    parts = _Parts()
    _collect(file, node, parts, 0)
    if (not any(p for p in parts.pieces if p) and not parts.envs) or \
            sum(len(p) for p in parts.pieces if p) > MAX_ADDRESS_CHARS:  # longer than any address (facts.Target)
        return Target()
    url = "".join("{}" if p is None else p for p in parts.pieces)
    if url == "{}":
        url = ""
    for index, key, default in parts.envs:
        # Only a lookup in the host's place names the address (`f"{USERS_URL}/x"`, `f"http://{HOST}:80"`);
        # one in the path or the query (`?client_id={ID}`) does not.
        prefix = "".join("{}" if p is None else p for p in parts.pieces[:index])
        authority = prefix.split("://", 1)[1] if "://" in prefix else prefix
        following = parts.pieces[index + 1] if index + 1 < len(parts.pieces) else ""
        if not any(c in authority for c in "/?:@#") and not (following or "").startswith("://"):
            return Target(url=url, env=key, default=default)
    if "://" in url:
        authority = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        host = authority.rsplit(":", 1)[0] if ":" in authority else authority
        if "{}" in authority and host and "{}" not in host:
            return Target(url=url, host=host)  # the port is unknown, the host is not
        return Target(url=url)
    if url.startswith(("/", "{}/")):
        return Target(url=url)
    return Target(host=url) if url and "{}" not in url.split("/", 1)[0] else Target(url=url)


def _collect(file: _File, node: tree_sitter.Node, parts: _Parts, depth: int) -> None:
    """Append the pieces of a string expression (bounded by _DEPTH names and 16 pieces)."""
    if depth > _DEPTH or len(parts.pieces) > 16:
        parts.pieces.append(None)
        return
    literal = _string(node)
    if literal is not None:
        parts.pieces.append(literal)
        return
    kind = node.type
    if kind == "integer":
        parts.pieces.append(text(node))
        return
    if kind == "string":  # f-string
        for child in node.named_children:
            if child.type == "string_content":
                parts.pieces.append(text(child))
            elif child.type == "interpolation":
                expression = child.child_by_field_name("expression")
                if expression is None:
                    parts.pieces.append(None)
                else:
                    _collect(file, expression, parts, depth + 1)
        return
    if kind == "binary_operator" and text(node.child_by_field_name("operator")) == "+":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        for side in (left, right):
            if side is not None:
                _collect(file, side, parts, depth + 1)
        return
    if kind == "parenthesized_expression" and node.named_children:
        _collect(file, node.named_children[0], parts, depth + 1)
        return
    env = _env_lookup(file, node)
    if env is not None:
        key, default = env
        parts.envs.append((len(parts.pieces), key, default))
        parts.pieces.append(None)
        return
    if kind == "call":
        callee = file.qualified(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments")
        positional = _positional(args) if args is not None else []
        template = node.child_by_field_name("function")
        base = template.child_by_field_name("object") if template is not None and template.type == "attribute" \
            else None
        if base is not None and template is not None and text(template.child_by_field_name("attribute")) == "format":
            literal = _constant(file, base)
            if literal is not None:
                keywords = _keywords(args) if args is not None else {}
                pieces = _FORMAT_FIELD.split(literal)  # text, field, text, field, …, text
                automatic = 0
                for index, piece in enumerate(pieces[:33]):
                    if index % 2 == 0:
                        parts.pieces.append(piece)
                        continue
                    name = piece.split("!", 1)[0].split(":", 1)[0]
                    if name == "":
                        name, automatic = str(automatic), automatic + 1
                    number = digits(name)
                    argument = positional[number] if number is not None and number < len(positional) else \
                        keywords.get(name)
                    if argument is None:
                        parts.pieces.append(None)
                    else:
                        _collect(file, argument, parts, depth + 1)
                return
            _collect(file, base, parts, depth + 1)  # a template read from config: `settings.URL.format(...)`
            return
        if callee in ("urllib.parse.urljoin", "str", "urllib.request.Request") and positional:
            _collect(file, positional[0], parts, depth + 1)
            if callee == "urllib.parse.urljoin" and len(positional) > 1:
                _collect(file, positional[1], parts, depth + 1)
            return
    if kind == "identifier" or (kind == "attribute" and text(node).startswith("self.")):
        value = file.value(text(node), node)
        if value is not None:
            _collect(file, value, parts, depth + 1)
            return
    parts.pieces.append(None)


def _env_lookup(file: _File, node: tree_sitter.Node) -> tuple[str, str] | None:
    """(`KEY`, default) for `os.environ.get("KEY", "d")`, `os.getenv`, `os.environ["KEY"]`, `settings.KEY`
    and `app.config["KEY"]`; None for anything else."""
    if node.type == "call":
        callee = file.qualified(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments")
        if callee in _ENV_GETTERS and args is not None:
            positional = _positional(args)
            key = _string(positional[0]) if positional else None
            if key:
                default = ""
                if len(positional) > 1:
                    default = _constant(file, positional[1]) or ""
                return key, default
        return None
    if node.type == "subscript":
        value = node.child_by_field_name("value")
        subscripts = node.children_by_field_name("subscript")
        key = _string(subscripts[0]) if subscripts else None
        holder = file.qualified(value)
        if key and (holder in ("os.environ", "os.environ.copy()") or (
                holder.endswith(".config") and _CONFIG_KEY.match(key))):  # Flask's `app.config["USERS_URL"]`
            return key, ""
        return None
    if node.type == "attribute":
        obj = node.child_by_field_name("object")
        attribute = text(node.child_by_field_name("attribute"))
        if obj is not None and obj.type == "identifier" and text(obj) == "settings" and _IDENT.match(attribute):
            return attribute.upper(), ""
    return None


def _constant(file: _File, node: tree_sitter.Node, depth: int = 0) -> str | None:
    """A string the expression certainly holds: a literal, or a name assigned one."""
    literal = _string(node)
    if literal is not None:
        return literal
    if node.type == "identifier" and depth < _DEPTH:
        value = file.value(text(node), node)
        if value is not None:
            return _constant(file, value, depth + 1)
    return None


def _url_argument(args: tree_sitter.Node, method: str) -> tree_sitter.Node | None:
    keywords = _keywords(args)
    if "url" in keywords:
        return keywords["url"]
    positional = _positional(args)
    index = _URL_ARG.get(method, 0)
    return positional[index] if len(positional) > index else None


# -- outbound calls ----------------------------------------------------------------------------------------
def _clients(file: _File, calls: _Calls) -> dict[int, _Client]:
    """Client objects created in the file (by the creating call's node id), with the bounds set on them:
    constructor timeouts and retries, adapters mounted on a requests session, a gRPC stub's channel."""
    clients: dict[int, _Client] = {}
    channels: dict[int, Target] = {}
    for call, _function, args, name in calls:
        kind = _CLIENT_CLASSES.get(name)
        if kind is not None:
            clients[call.id] = _constructed(file, kind, call, args)
        elif name in _GRPC_CHANNELS:
            positional = _positional(args)
            channels[call.id] = _grpc_target(file, positional[0] if positional else _keywords(args).get("target"))
    for call, _function, args, name in calls:  # grpc.intercept_channel(channel, ...) is that channel
        positional = _positional(args)
        inner = file.holder(positional[0]) if name == "grpc.intercept_channel" and positional else None
        if inner is not None and inner.id in channels:
            channels[call.id] = channels[inner.id]
    for call, function, args, name in calls:
        if name.rsplit(".", 1)[-1].endswith("Stub"):
            positional = _positional(args)
            channel = file.holder(positional[0]) if positional else None
            if channel is not None and channel.id in channels:
                clients[call.id] = _Client("grpc-stub", line(call), target=channels[channel.id])
        elif function.type == "attribute" and text(function.child_by_field_name("attribute")) == "mount":
            holder = file.holder(function.child_by_field_name("object"))
            client = clients.get(holder.id) if holder is not None else None
            positional = _positional(args)
            if client is None or client.kind != "requests" or len(positional) < 2:
                continue
            adapter = file.holder(positional[1])
            adapter_args = adapter.child_by_field_name("arguments") if adapter is not None else None
            if adapter_args is None:
                continue
            keywords = _keywords(adapter_args)
            retries = keywords.get("max_retries")
            if retries is not None and text(retries) not in ("0", "None", "False"):
                client.bounds.append(Bound("retry", line(retries), f"max_retries={_short(retries)}"))
            if "timeout" in keywords and not _is_none(keywords["timeout"]):
                client.bounds.append(Bound("timeout", line(keywords["timeout"]),
                                           f"adapter timeout={_short(keywords['timeout'])}"))
    return clients


def _constructed(file: _File, kind: str, call: tree_sitter.Node, args: tree_sitter.Node) -> _Client:
    client = _Client(kind, line(call))
    keywords = _keywords(args)
    if "base_url" in keywords:
        client.target = _target(file, keywords["base_url"])
    timeout = keywords.get("timeout")
    if timeout is not None:
        if _is_none(timeout) or _disabled_timeout(file, timeout):
            client.no_default = True
        else:
            client.bounds.append(Bound("timeout", line(timeout), f"timeout={_short(timeout)}", _seconds(timeout)))
    retries = keywords.get("retries")
    if kind == "urllib3" and retries is not None and text(retries) not in ("0", "None", "False"):
        client.bounds.append(Bound("retry", line(retries), f"retries={_short(retries)}"))
    transport = file.holder(keywords["transport"]) if "transport" in keywords else None
    transport_args = transport.child_by_field_name("arguments") if transport is not None else None
    if kind == "httpx" and transport_args is not None:
        retries = _keywords(transport_args).get("retries")
        if retries is not None and text(retries) not in ("0", "None"):
            client.bounds.append(Bound("retry", line(retries), f"transport retries={_short(retries)}"))
    if _splats(args) and timeout is None:
        client.bounds.append(Bound("deferred", line(call), "forwarded options"))
    return client


def _disabled_timeout(file: _File, node: tree_sitter.Node) -> bool:
    """`httpx.Timeout(None)` / `aiohttp.ClientTimeout()` with every limit None: no bound at all."""
    held = file.holder(node)
    if held is None:
        return False
    name = file.qualified(held.child_by_field_name("function"))
    if not name.endswith(("Timeout", "ClientTimeout")):
        return False
    args = held.child_by_field_name("arguments")
    values = [a.child_by_field_name("value") if a.type == "keyword_argument" else a
              for a in (args.named_children if args is not None else [])]
    if name.endswith("ClientTimeout"):
        return all(_is_none(v) for v in values)  # ClientTimeout() has total=None: no limit
    return bool(values) and all(_is_none(v) for v in values)


def _seconds(node: tree_sitter.Node) -> float | None:
    """A literal timeout in seconds (`timeout=5`, `timeout=2.5`), None for anything else (a tuple, an object)."""
    if node.type not in ("integer", "float"):
        return None
    try:
        value = float(text(node).replace("_", ""))
    except ValueError:
        return None
    return value if value == value and value < 1e12 else None


def _short(node: tree_sitter.Node) -> str:
    value = " ".join(text(node).split())
    return value if len(value) <= 60 else value[:57] + "..."


def _grpc_target(file: _File, node: tree_sitter.Node | None) -> Target:
    target = _target(file, node)
    if target.host and ":" in target.host and "://" not in target.host:
        host, _, port = target.host.rpartition(":")
        if (number := digits(port)) is not None:
            return Target(host=host, port=number)
    if target.host.startswith(("dns:", "unix:", "ipv4:", "ipv6:")):
        return Target()
    return target


def _enclosing_name(file: _File, node: tree_sitter.Node) -> str:
    scope = file.scope_of(node)
    return scope.name if scope is not None else ""


def _decorator_bounds(file: _File, node: tree_sitter.Node) -> list[Bound]:
    """Retry and circuit-breaker decorators on the function the node is in."""
    scope = file.scope_of(node)
    bounds: list[Bound] = []
    for decorator in scope.decorators if scope is not None else []:
        expression = decorator.named_children[0] if decorator.named_children else None
        if expression is None:
            continue
        if expression.type == "call":
            expression = expression.child_by_field_name("function")
        name = file.qualified(expression)
        kind = _DECORATOR_BOUNDS.get(name)
        if kind is None and name.endswith("()"):
            kind = "circuit_breaker" if name[:-2] in _BREAKER_CLASSES else None
        if kind is not None:
            bounds.append(Bound(kind, line(decorator), _short(decorator)))
    return bounds


def _outbound(file: _File, found: Extracted, clients: dict[int, _Client], grpc_used: set[int],
              call: tree_sitter.Node, function: tree_sitter.Node, args: tree_sitter.Node, name: str) -> None:
    client_name = _MODULE_CALLS.get(name)
    client: _Client | None = None
    method = name.rsplit(".", 1)[-1]
    if client_name is None and function.type == "attribute":
        obj = function.child_by_field_name("object")
        future = obj is not None and obj.type == "attribute" and method in ("future", "with_call")
        holder = file.holder(obj.child_by_field_name("object") if future and obj is not None else obj)
        client = clients.get(holder.id) if holder is not None else None
        if client is None:
            return
        if client.kind == "grpc-stub":
            if method in ("close",) or method.startswith("_"):
                return
            grpc_used.add(client.line)
            _grpc_call(file, found, client, call, args)
            return
        if method not in _CLIENT_METHODS.get(client.kind, frozenset()):
            return
        client_name = client.kind
    if client_name is None:
        return
    keywords = _keywords(args)
    bounds: list[Bound] = []
    timeout = keywords.get("timeout") if client_name != "tornado" else \
        keywords.get("request_timeout", keywords.get("connect_timeout"))
    positional = _positional(args)
    if timeout is None and client_name == "urllib" and len(positional) > 2:
        timeout = positional[2]
    explicit_none = timeout is not None and (_is_none(timeout) or _disabled_timeout(file, timeout))
    if timeout is not None and not explicit_none:
        bounds.append(Bound("timeout", line(timeout), f"timeout={_short(timeout)}", _seconds(timeout)))
    elif timeout is None and _splats(args):
        bounds.append(Bound("deferred", line(call), "forwarded options"))
    if client is not None:
        bounds.extend(b for b in client.bounds if not (explicit_none and b.kind == "timeout"))
    if client_name == "urllib3" and client is None and "retries" in keywords:
        bounds.append(Bound("retry", line(keywords["retries"]), f"retries={_short(keywords['retries'])}"))
    if client_name == "tornado" and explicit_none:
        timeout = None  # tornado reads a None timeout as its default
    if client_name in _DEFAULT_TIMEOUTS and timeout is None and not (client and client.no_default) \
            and not any(b.kind == "timeout" for b in bounds):
        detail, seconds = _DEFAULT_TIMEOUTS[client_name]
        bounds.append(Bound("default_timeout", line(call), detail, seconds))
    bounds.extend(_decorator_bounds(file, call))
    url = (positional[0] if positional else keywords.get("url")) if client_name == "urllib" else \
        _url_argument(args, method)
    target = _target(file, url)
    if client is not None and client.target is not None and not target.host and "://" not in target.url:
        target = _joined(client.target, target)
    found.calls.append(Call(line(call), client_name, target, tuple(bounds), function=_enclosing_name(file, call)))


def _joined(base: Target, relative: Target) -> Target:
    """A client's `base_url` with a call's relative path (`/items` on `http://cart` → `http://cart/items`)."""
    path = relative.url if relative.url.startswith("/") else ("/{}" if relative != Target() else "")
    if base.url:
        return Target(url=base.url.rstrip("/") + path, env=base.env, default=base.default)
    if base.host:
        return Target(host=base.host) if not path else Target(url=f"//{base.host}{path}")
    return base


def _grpc_call(file: _File, found: Extracted, stub: _Client, call: tree_sitter.Node, args: tree_sitter.Node) -> None:
    keywords = _keywords(args)
    bounds: list[Bound] = []
    timeout = keywords.get("timeout")
    if timeout is not None and not _is_none(timeout):
        bounds.append(Bound("timeout", line(timeout), f"timeout={_short(timeout)}", _seconds(timeout)))
    elif timeout is None and _splats(args):
        bounds.append(Bound("deferred", line(call), "forwarded options"))
    bounds.extend(_decorator_bounds(file, call))
    found.calls.append(Call(line(call), "grpc", stub.target or Target(), tuple(bounds), protocol="grpc",
                            function=_enclosing_name(file, call)))


def _unused_stubs(found: Extracted, clients: dict[int, _Client], used: set[int]) -> None:
    """A gRPC stub whose calls this file does not show (kept on `self`, returned, used elsewhere) is still a
    dependency: one call at the stub, marked bounded-unknown, so cycles see it and no timeout rule guesses."""
    for client in clients.values():
        if client.kind == "grpc-stub" and client.line not in used:
            found.calls.append(Call(client.line, "grpc", client.target or Target(),
                                    (Bound("deferred", client.line, "stub calls not seen in this file"),),
                                    protocol="grpc"))


# -- connections -------------------------------------------------------------------------------------------
def _connect(file: _File, found: Extracted, handlers: set[str], call: tree_sitter.Node, args: tree_sitter.Node,
             name: str) -> None:
    entry = _CONNECTS.get(name)
    if entry is None:
        return
    library, datastore, pooled, bound = entry
    keywords = _keywords(args)
    positional = _positional(args)
    if library in ("redis", "aioredis") and "connection_pool" in keywords:
        return  # the pool it shares is its own connect
    address = positional[0] if positional else None
    for key in ("url", "dsn", "host", "conninfo", "database", "db"):
        if address is None and key in keywords:
            address = keywords[key]
    target = _target(file, address) if address is not None and datastore != "sqlite" else Target()
    if not datastore:
        scheme = (target.url or target.default).split(":", 1)[0].split("+", 1)[0].lower()
        datastore = next((store for prefix, store in _URL_SCHEMES if scheme.startswith(prefix)), "")
    pool_max: int | None = None
    pool_line = 0
    if pooled and library == "sqlalchemy":
        poolclass = keywords.get("poolclass")
        if poolclass is not None and file.qualified(poolclass).endswith("NullPool"):
            pooled = False
    if pooled and bound:
        keyword, _, position = bound.partition("|")
        value = keywords.get(keyword)
        if value is None and position and len(positional) > int(position):
            value = positional[int(position)]
        if value is not None:
            pool_max = _int(value)
            pool_line = line(value) if pool_max is not None else 0
    scope = file.scope_of(call)
    if scope is not None and _kept_for_reuse(file, scope, call):
        scope = None  # created once and kept where the next call finds it: as if at module level
    handler = scope is not None and scope.name in handlers
    builds_pool = pooled
    # A pool built in a handler is built per request (`create_engine` in a view): the facts contract says so
    # with pooled=False, as the other extractors do (extract() does the same for helpers a handler calls).
    pooled = pooled and not handler
    found.connects.append(Connect(line(call), library, datastore, pooled, pool_max, pool_line,
                                  scope.name if scope is not None else "", handler, target, pool_object=builds_pool))


# Objects that live for one request: a connection kept on them is still one per request.
_REQUEST_SCOPED = frozenset({"flask.g", "flask.globals.g", "quart.g", "quart.globals.g"})


def _kept_for_reuse(file: _File, scope: _Function, call: tree_sitter.Node) -> bool:
    """The connection or pool a function creates is stored where later calls find it: in a name the function
    declares `global` (a lazily created singleton), or on a module-level object other than Flask's `g`
    (`current_app.extensions["db"] = …`, `_pools[url] = …`). Kept on a local, a parameter (`request.state`) or
    `self`, it lives as long as they do."""
    left = file.targets.get((call.start_byte, call.end_byte))
    if left is None:
        return False
    if left.type == "identifier":
        return (scope.node.id, text(left)) in file.globals
    base = left
    for _ in range(_DOTTED_PARTS):
        inner = base.child_by_field_name("object") if base.type == "attribute" else \
            base.child_by_field_name("value") if base.type == "subscript" else None
        if inner is None:
            break
        base = inner
    if base.type != "identifier":
        return False
    name = text(base)
    if name in ("self", "cls") or name in scope.params or file.assigns.get((scope.node.id, name)):
        return name == "cls"  # a class attribute is shared by every instance
    if (scope.node.id, name) in file.globals or file.assigns.get((0, name)):
        return True
    return name in file.imports and file.qualified(base) not in _REQUEST_SCOPED


# -- handlers ----------------------------------------------------------------------------------------------
def _framework_of_file(file: _File) -> str:
    modules = {m.split(".", 1)[0] for m, _ in file.imported_modules}
    return next((f for f in _FRAMEWORK_MODULES if f in modules), "")


def _find_handlers(file: _File, calls: _Calls) -> list[Handler]:
    handlers: dict[str, Handler] = {}
    file_framework = _framework_of_file(file)

    def add(function: _Function, framework: str) -> None:
        handlers.setdefault(function.name, Handler(line(function.node), function.name, framework))

    for function in file.functions.values():
        for decorator in function.decorators:
            expression = decorator.named_children[0] if decorator.named_children else None
            if expression is None or expression.type != "call":
                name = file.qualified(expression)
                if name in _DJANGO_VIEW_DECORATORS:
                    add(function, "django")
                elif expression is not None and expression.type == "attribute" and text(
                        expression.child_by_field_name("attribute")) in _PER_REQUEST_HOOKS:
                    add(function, _object_framework(file, expression.child_by_field_name("object"))
                        or file_framework or "http")
                continue
            callee = expression.child_by_field_name("function")
            name = file.qualified(callee)
            if name in _DJANGO_VIEW_DECORATORS:
                add(function, "django")
                continue
            if callee is None or callee.type != "attribute":
                continue
            method = text(callee.child_by_field_name("attribute"))
            if method not in _ROUTE_DECORATORS:
                continue
            args = expression.child_by_field_name("arguments")
            positional = _positional(args) if args is not None else []
            path = _string(positional[0]) if positional else None
            keywords = _keywords(args) if args is not None else {}
            if path is None and "path" in keywords:
                path = _string(keywords["path"])
            if path is None and "rule" in keywords:
                path = _string(keywords["rule"])
            if method == "middleware" and path == "http":
                add(function, _object_framework(file, callee.child_by_field_name("object")) or file_framework
                    or "http")
                continue
            if path is None or (path and not path.startswith("/")):
                continue
            framework = _object_framework(file, callee.child_by_field_name("object")) or file_framework or "http"
            add(function, framework)
    # Registrations: web.get("/x", handler), Route("/x", endpoint), app.add_url_rule("/x", view_func=f).
    for _call, function_node, args, name in calls:
        registration = _REGISTRATIONS.get(name)
        if registration is None and function_node.type == "attribute":
            registration = _REGISTRATION_METHODS.get(text(function_node.child_by_field_name("attribute")))
        if registration is None:
            continue
        framework, index = registration
        positional = _positional(args)
        keywords = _keywords(args)
        paths = [_string(p) for p in positional[:index]] + [_string(keywords[k]) for k in ("path", "rule")
                                                             if k in keywords]
        if not any(p is not None and p.startswith("/") for p in paths):
            continue
        candidate = next((keywords[k] for k in _HANDLER_KEYWORDS if k in keywords), None)
        if candidate is None and len(positional) > index:
            candidate = positional[index]
        if candidate is None or candidate.type != "identifier":
            continue
        target_name = text(candidate)
        for function in file.by_name.get(target_name, []):
            add(function, framework)
        if target_name in file.classes:
            for function in _methods(file, target_name):
                if function.name.split(".", 1)[1] in _VIEW_METHODS:
                    add(function, framework)
    # Class-based views.
    for class_name in file.classes:
        framework = _view_framework(file, class_name, 0)
        if framework:
            for function in _methods(file, class_name):
                if function.name.split(".", 1)[1] in _VIEW_METHODS:
                    add(function, framework)
    # Django function views: a module-level function taking `request` first, in a file that imports Django
    # (the extractor is not told the path, so `views.py` cannot be the evidence).
    if any(m.startswith(("django.", "rest_framework")) for m, _ in file.imported_modules):
        for function in file.functions.values():
            if not function.klass and function.params[:1] == ["request"] and file.scope_of(function.node) is None:
                add(function, "django")
    return sorted(handlers.values(), key=lambda h: h.line)


def _methods(file: _File, class_name: str) -> list[_Function]:
    return [f for f in file.functions.values() if f.klass == class_name]


def _view_framework(file: _File, class_name: str, depth: int) -> str:
    entry = file.classes.get(class_name)
    if entry is None or depth > 4:
        return ""
    for base in entry[1]:
        qualified = file.qualified(base)
        for prefix, framework in _VIEW_BASES.items():
            if qualified == prefix or (prefix.endswith(".") and qualified.startswith(prefix)):
                return framework
        if text(base) in file.classes and text(base) != class_name:
            framework = _view_framework(file, text(base), depth + 1)
            if framework:
                return framework
    return ""


def _object_framework(file: _File, obj: tree_sitter.Node | None) -> str:
    holder = file.holder(obj)
    if holder is None:
        return ""
    return _APP_CLASSES.get(file.qualified(holder.child_by_field_name("function")), "")


# -- sessions ----------------------------------------------------------------------------------------------
def _session(file: _File, found: Extracted, session_type: str, call: tree_sitter.Node, args: tree_sitter.Node,
             name: str) -> None:
    positional = _positional(args)
    if name in ("flask_session.Session", "flask_session.Session().init_app") and (positional or
                                                                                 name.endswith("init_app")):
        if session_type:
            found.sessions.append(Session(line(call), "flask-session", session_type))
        return
    if name.endswith("add_middleware") or name in ("starlette.middleware.Middleware",):
        if positional and file.qualified(positional[0]) in _SESSION_MIDDLEWARE:
            found.sessions.append(Session(line(call), "starlette-session", "cookie"))
        return
    if name in ("aiohttp_session.setup",) and len(positional) > 1:
        storage = file.holder(positional[1])
        storage_name = file.qualified(storage.child_by_field_name("function")) if storage is not None else ""
        store = _AIOHTTP_STORAGES.get(storage_name.rsplit(".", 1)[-1]) if storage_name.startswith(
            "aiohttp_session") else None
        if store:
            found.sessions.append(Session(line(call), "aiohttp-session", store))


def _flask_session_type(file: _File, calls: _Calls) -> str:
    """The store SESSION_TYPE names in this file (`app.config["SESSION_TYPE"] = "redis"`, `SESSION_TYPE = ...`
    or `app.config.update(SESSION_TYPE=...)`), "" when the file does not say."""
    values: list[tree_sitter.Node] = []
    for (_scope, name), assigned in file.assigns.items():
        if name == "SESSION_TYPE" or name.replace("'", '"').endswith('config["SESSION_TYPE"]'):
            values.extend(value for _line, value in assigned)
    for _call, function, args, _name in calls:
        if function.type == "attribute" and text(function.child_by_field_name("attribute")) in (
                "update", "from_mapping") and text(function.child_by_field_name("object")).endswith("config"):
            keywords = _keywords(args)
            if "SESSION_TYPE" in keywords:
                values.append(keywords["SESSION_TYPE"])
            for argument in _positional(args):
                for pair in argument.named_children if argument.type == "dictionary" else []:
                    key = pair.child_by_field_name("key") if pair.type == "pair" else None
                    value = pair.child_by_field_name("value") if pair.type == "pair" else None
                    if key is not None and value is not None and _string(key) == "SESSION_TYPE":
                        values.append(value)
    for value in values:
        literal = _constant(file, value)
        if literal is not None and literal.lower() in _FLASK_SESSION_TYPES:
            return _FLASK_SESSION_TYPES[literal.lower()]
    return ""


# -- tracing -----------------------------------------------------------------------------------------------
def _tracing_call(found: Extracted, call: tree_sitter.Node, args: tree_sitter.Node, name: str) -> None:
    entry = _TRACING_CALLS.get(name)
    if entry is None and name.startswith("opentelemetry.instrumentation.") and (
            name.endswith(("Instrumentor().instrument", "Instrumentor.instrument_app",
                           "Instrumentor().instrument_app"))):
        entry = ("otel", "auto")
    if entry is None:
        for prefix, suffix, system in _EXPORTERS:
            if name.startswith(prefix) and name.endswith(suffix):
                entry = (system, "exporter")
                break
    if entry is None and name.startswith("ddtrace.") and name.endswith((".patch", ".patch_all")):
        entry = ("datadog", "auto")  # ddtrace.contrib.<library>.patch()
    if entry is None and name == "sentry_sdk.init":
        keywords = _keywords(args)
        if any(k in keywords and text(keywords[k]) not in ("0", "0.0", "None", "False")
               for k in _SENTRY_TRACING_KEYWORDS):
            entry = ("sentry", "sdk")
    if entry is not None and not any(t.line == line(call) and t.system == entry[0] for t in found.tracing):
        found.tracing.append(Tracing(line(call), *entry))


def _tracing_imports(file: _File, found: Extracted) -> None:
    seen: set[str] = set()
    for module, at in file.imported_modules:
        for prefix, (system, what) in _TRACING_IMPORTS.items():
            if (module == prefix or module.startswith(prefix + ".")) and system not in seen:
                seen.add(system)
                found.tracing.append(Tracing(at, system, what))


# -- callees -----------------------------------------------------------------------------------------------
def _callees(file: _File, found: Extracted, calls: _Calls) -> None:
    """For every function, the functions of this file it calls (`helper()`, `self.helper()`, `Repo()` →
    `Repo.__init__`), and FastAPI dependencies (`db = Depends(get_db)`) of its parameters."""
    for call, function_node, _args, _name in calls:
        scope = file.scope_of(call)
        if scope is None:
            continue
        callee = ""
        if function_node.type == "identifier":
            name = text(function_node)
            if name in file.by_name:
                callee = name
            elif name in file.classes and f"{name}.__init__" in file.by_name:
                callee = f"{name}.__init__"
            if name in ("Depends", "Security") or file.qualified(function_node) in ("fastapi.Depends",
                                                                                   "fastapi.Security"):
                args = call.child_by_field_name("arguments")
                positional = _positional(args) if args is not None else []
                if positional and positional[0].type == "identifier" and text(positional[0]) in file.by_name:
                    callee = text(positional[0])
        elif function_node.type == "attribute" and scope.klass:
            obj = function_node.child_by_field_name("object")
            if obj is not None and text(obj) in ("self", "cls"):
                method = f"{scope.klass}.{text(function_node.child_by_field_name('attribute'))}"
                if method in file.by_name:
                    callee = method
        if callee and callee != scope.name:
            found.callees.setdefault(scope.name, set()).add(callee)


# -- calls into the project's other modules ---------------------------------------------------------------------
def _project_module(path: str) -> bool:
    """An absolute import that may be the project's own code: not the standard library, no library above."""
    root = path.split(".", 1)[0]
    return root not in sys.stdlib_module_names and root not in _KNOWN_ROOTS


def _origin(file: _File, name: str, at: tree_sitter.Node) -> tuple[int, str] | None:
    """Where an imported name comes from, when it is the project's code and nothing in this file rebinds it."""
    origin = file.origins.get(name)
    if origin is None or name in file.by_name or name in file.classes or file.value(name, at) is not None:
        return None
    level, path = origin
    return origin if level or _project_module(path) else None


def _external_target(file: _File, function: tree_sitter.Node) -> tuple[int, str] | None:
    """(level, dotted path) of the project code a callee names through the file's imports: `get_db()`, `db.get_db()`,
    `Repo()`, `Repo().find()` or `repo.find()` with `repo = Repo()`; None for anything else."""
    if function.type == "identifier":
        return _origin(file, text(function), function)
    if function.type != "attribute":
        return None
    dotted = file.dotted(function)
    if dotted and "(" not in dotted:
        head, _, rest = dotted.partition(".")
        origin = _origin(file, head, function)
        if origin is not None:
            return origin[0], f"{origin[1]}.{rest}"
    holder = file.holder(function.child_by_field_name("object"))
    made = holder.child_by_field_name("function") if holder is not None and holder.type == "call" else None
    if made is not None and made.type == "identifier":
        origin = _origin(file, text(made), made)
        if origin is not None:
            return origin[0], f"{origin[1]}.{text(function.child_by_field_name('attribute'))}"
    return None


def _external_calls(file: _File, found: Extracted, calls: _Calls) -> None:
    """Calls from a function of this file into a function or class another module of the project defines, and
    FastAPI dependencies (`Depends(get_db)`) imported from one; a module's top-level code runs once at import,
    so its calls are not kept."""
    seen: set[tuple[str, int, str]] = set()
    for call, function_node, args, name in calls:
        scope = file.scope_of(call)
        if scope is None:
            continue
        target = _external_target(file, function_node)
        if name in ("fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"):
            positional = _positional(args)
            target = _external_target(file, positional[0]) if positional and positional[0].type in (
                "identifier", "attribute") else None
        if target is None or (scope.name, *target) in seen:
            continue
        seen.add((scope.name, *target))
        found.external_calls.append(ExternalCall(line(call), scope.name, target[1], target[0]))


def _memoised(file: _File, function: _Function) -> bool:
    for decorator in function.decorators:
        expression = decorator.named_children[0] if decorator.named_children else None
        if expression is not None and expression.type == "call":
            expression = expression.child_by_field_name("function")
        if file.qualified(expression) in _MEMOISERS:
            return True
    return False


def _instances(file: _File) -> dict[str, str]:
    """Module-level names bound once to an instance of a class of this file: `db = Database()`."""
    found: dict[str, str] = {}
    for (scope, name), assigned in file.assigns.items():
        if scope != 0 or len(assigned) != 1 or not _IDENT.match(name) or "." in name:
            continue
        value = assigned[0][1]
        made = value.child_by_field_name("function") if value.type == "call" else None
        if made is not None and made.type == "identifier" and text(made) in file.classes:
            found[name] = text(made)
    return found
