"""JavaScript / TypeScript / TSX source → code facts (see auditor/code/facts.py).

Names are traced to the package they come from (imports and `require`), and values through the file's bindings
(`const`, assignments, class fields) a few steps deep, so `api.get('/x')` after `const api = axios.create({baseURL,
timeout})` is an axios call to baseURL bounded by that timeout. What the code does not show is not guessed:

- a call whose options object is forwarded from its caller (a parameter, a spread) is bounded-unknown: it is kept
  as a call (the edge matters for cycles) with `Bound("deferred", line, "forwarded options")`;
- global `fetch` in Node (undici) waits up to 300 s for headers and again for the body: not a bound that protects a
  caller, so a fetch without a `signal` (or with one never set to abort on a timer) is unbounded;
- code that runs in a browser (JSX, `window`/`document`, `import.meta.env`, react/vue/angular/svelte imports, the
  "use client" directive) is not a service: its file yields no facts at all (its calls are made by browsers); a
  fetch/axios call of a bare path (`fetch('/api/x')`) is a browser's too (Node needs a host), and is dropped;
- a connection or pool kept beyond the call that makes it (`pool ??= new Pool()` in a getter, `this.pool = …`,
  `global.prisma || new PrismaClient()`) is made once: its `function` is "" (not per request) wherever it sits.

Facts: calls (axios and its instances, fetch/node-fetch/undici, got, ky, request, superagent, http/https,
NestJS HttpService, grpc-js clients, proxy middleware; bounds from options, instance defaults, `.timeout()`,
rxjs `timeout()`, `req.setTimeout`, AbortSignal timers, got's default retry, axios-retry, opossum), connects (pg,
postgres, mysql, mysql2, mongoose, mongodb, ioredis, redis, knex, Sequelize, TypeORM, Prisma, mssql, oracledb),
handlers (Express, Koa, Fastify, hapi, restify, hono, `http.createServer`, NestJS, Next.js API routes, Lambda), sessions
(express-session and its stores, cookie-session, koa-session, koa-generic-session, @fastify/session) and tracing
(OpenTelemetry, dd-trace, elastic-apm-node, newrelic, Instana, jaeger-client, zipkin, applicationinsights, Sentry
with tracing, AWS X-Ray).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace

import tree_sitter

from auditor.code.facts import (
    Bound,
    Call,
    Connect,
    Extracted,
    Handler,
    Session,
    Target,
    Tracing,
    literal_url,
    per_request_functions,
    piece_in_host,
)
from auditor.code.languages import query
from auditor.code.syntax import (
    MAX_MATCHES,
    MAX_NAME_BYTES,
    Match,
    ancestors,
    line,
    matches_of,
    text,
    text_in,
)
from auditor.parsers.numbers import digits

_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                        "arrow_function", "method_definition", "generator_function", "function"})
_WRAPPERS = frozenset({"parenthesized_expression", "await_expression", "as_expression", "satisfies_expression",
                       "non_null_expression", "type_assertion"})
_DEPTH = 6  # how many bindings a value is followed through
# The queries (queries/javascript/<fact>.scm) every file is read with, run as one walk of its tree; the
# connects, sessions and tracing queries run only in a file that imports one of their packages.
_FACTS = ("calls", "scope", "browser", "handlers")
_MAX_BREAKERS = 200  # inline functions wrapped by opossum that are looked for around each call
_MAX_START_DEPTH = 1000  # tree depth below which no fact is looked for (see _matches)
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_BODY_METHODS = frozenset({"post", "put", "patch"})  # axios: (url, data, config)

# Packages of HTTP clients (the `fetch` family is the global or these packages' default export).
_FETCH_PACKAGES = frozenset({"node-fetch", "cross-fetch", "isomorphic-fetch", "undici"})
_REQUEST_PACKAGES = frozenset({"request", "request-promise", "request-promise-native"})
# Client factories whose result carries defaults for every call: (package, path) → client.
_INSTANCE_FACTORIES = {("axios", "create"): "axios", ("got", "extend"): "got", ("request", "defaults"): "request",
                       ("ky", "create"): "ky", ("ky", "extend"): "ky"}
# gRPC client constructions are recognised by their credentials argument (@grpc/grpc-js, grpc).
_GRPC_CREDENTIALS = re.compile(r"credentials\.create(Insecure|Ssl|FromMetadataGenerator)|ChannelCredentials")
_GRPC_NOT_CALLS = frozenset({"close", "getChannel", "waitForReady", "bind", "call", "apply", "toString"})
# got retries idempotent requests twice by default (https://github.com/sindresorhus/got/blob/main/documentation/7-retry.md)
_GOT_DEFAULT_RETRY = "got retries by default (limit 2)"
# opossum's default timeout is 10 s (https://nodeshift.dev/opossum/#circuitbreaker)
_OPOSSUM_DEFAULT_TIMEOUT = "opossum default timeout 10 s"

# Database clients: (package, path) → (library, datastore, pooled, keys stating the pool bound). Sources: each
# library's README (pg Pool `max`, mysql `connectionLimit`, MongoDB `maxPoolSize`, knex/Sequelize `pool.max`,
# TypeORM `poolSize`/`extra.max`, oracledb `poolMax`); ioredis/redis keep one multiplexed connection per client.
_CONNECTS: dict[tuple[str, str], tuple[str, str, bool, tuple[str, ...]]] = {
    ("pg", "Client"): ("pg", "postgres", False, ()),
    ("pg", "Pool"): ("pg", "postgres", True, ("max",)),
    ("postgres", ""): ("postgres", "postgres", True, ("max",)),
    ("mysql", "createConnection"): ("mysql", "mysql", False, ()),
    ("mysql", "createPool"): ("mysql", "mysql", True, ("connectionLimit",)),
    ("mysql", "createPoolCluster"): ("mysql", "mysql", True, ()),
    ("mysql2", "createConnection"): ("mysql2", "mysql", False, ()),
    ("mysql2", "createPool"): ("mysql2", "mysql", True, ("connectionLimit",)),
    ("mysql2", "createPoolCluster"): ("mysql2", "mysql", True, ()),
    ("mongoose", "connect"): ("mongoose", "mongodb", True, ("maxPoolSize", "poolSize")),
    ("mongoose", "createConnection"): ("mongoose", "mongodb", True, ("maxPoolSize", "poolSize")),
    ("mongodb", "MongoClient"): ("mongodb", "mongodb", True, ("maxPoolSize", "poolSize")),
    ("mongodb", "MongoClient.connect"): ("mongodb", "mongodb", True, ("maxPoolSize", "poolSize")),
    ("@nestjs/mongoose", "MongooseModule.forRoot"): ("mongoose", "mongodb", True, ("maxPoolSize", "poolSize")),
    ("ioredis", ""): ("ioredis", "redis", True, ()),
    ("ioredis", "Redis"): ("ioredis", "redis", True, ()),
    ("ioredis", "default"): ("ioredis", "redis", True, ()),
    ("ioredis", "Cluster"): ("ioredis", "redis", True, ()),
    ("redis", "createClient"): ("redis", "redis", True, ()),
    ("redis", "createCluster"): ("redis", "redis", True, ()),
    ("@redis/client", "createClient"): ("redis", "redis", True, ()),
    ("knex", ""): ("knex", "", True, ("pool.max",)),
    ("knex", "knex"): ("knex", "", True, ("pool.max",)),
    ("sequelize", ""): ("sequelize", "", True, ("pool.max",)),
    ("sequelize", "Sequelize"): ("sequelize", "", True, ("pool.max",)),
    ("sequelize-typescript", "Sequelize"): ("sequelize", "", True, ("pool.max",)),
    ("typeorm", "DataSource"): ("typeorm", "", True, ("poolSize", "extra.max", "extra.connectionLimit")),
    ("typeorm", "createConnection"): ("typeorm", "", True, ("poolSize", "extra.max", "extra.connectionLimit")),
    ("@nestjs/typeorm", "TypeOrmModule.forRoot"): ("typeorm", "", True,
                                                   ("poolSize", "extra.max", "extra.connectionLimit")),
    ("@prisma/client", "PrismaClient"): ("prisma", "", True, ()),
    ("mssql", "connect"): ("mssql", "sqlserver", True, ("pool.max",)),
    ("mssql", "ConnectionPool"): ("mssql", "sqlserver", True, ("pool.max",)),
    ("oracledb", "getConnection"): ("oracledb", "oracle", False, ()),
    ("oracledb", "createPool"): ("oracledb", "oracle", True, ("poolMax",)),
}
# knex `client`, Sequelize `dialect`, TypeORM `type`, URL schemes → datastore.
_DATASTORES = {"pg": "postgres", "postgres": "postgres", "postgresql": "postgres", "cockroachdb": "postgres",
               "mysql": "mysql", "mysql2": "mysql", "mariadb": "mysql", "mssql": "sqlserver", "tedious": "sqlserver",
               "oracle": "oracle", "oracledb": "oracle", "sqlite": "sqlite", "sqlite3": "sqlite",
               "better-sqlite3": "sqlite", "mongodb": "mongodb", "mongodb+srv": "mongodb", "redis": "redis",
               "rediss": "redis"}

# Session stores by the package of the store's class (each package's README).
_SESSION_STORES = {"connect-redis": "redis", "koa-redis": "redis", "connect-redis-crypto": "redis",
                   "connect-mongo": "mongodb", "connect-mongodb-session": "mongodb", "session-file-store": "file",
                   "connect-sqlite3": "file", "memorystore": "memory", "connect-pg-simple": "db",
                   "express-mysql-session": "db", "connect-session-sequelize": "db", "connect-session-knex": "db",
                   "connect-typeorm": "db", "connect-dynamodb": "db", "@quixo3/prisma-session-store": "db",
                   "connect-memcached": "memcached"}
# Session middleware package → (framework, store when no `store:` is given).
_SESSION_MIDDLEWARE = {"express-session": ("express-session", "memory"),
                       "cookie-session": ("cookie-session", "cookie"),
                       "koa-session": ("koa-session", "cookie"),
                       "koa-generic-session": ("koa-generic-session", "memory"),
                       "@fastify/session": ("@fastify/session", "memory"),
                       "fastify-session": ("fastify-session", "memory"),
                       "@fastify/secure-session": ("@fastify/secure-session", "cookie"),
                       "fastify-secure-session": ("fastify-secure-session", "cookie")}

# Tracing: imports that set it up by being loaded (each vendor's "getting started").
_TRACING_IMPORTS = {"@opentelemetry/auto-instrumentations-node/register": ("otel", "auto"),
                    "dd-trace/init": ("datadog", "auto"), "elastic-apm-node/start": ("elastic-apm", "agent"),
                    "newrelic": ("newrelic", "agent")}
# Tracing: (package, path) of a construction or call → (system, what).
_TRACING_CALLS = {("@opentelemetry/sdk-node", "NodeSDK"): ("otel", "sdk"),
                  ("@opentelemetry/sdk-trace-node", "NodeTracerProvider"): ("otel", "sdk"),
                  ("@opentelemetry/node", "NodeTracerProvider"): ("otel", "sdk"),
                  ("@opentelemetry/sdk-trace-base", "BasicTracerProvider"): ("otel", "sdk"),
                  ("@opentelemetry/instrumentation", "registerInstrumentations"): ("otel", "auto"),
                  ("dd-trace", "init"): ("datadog", "sdk"),
                  ("elastic-apm-node", "start"): ("elastic-apm", "agent"),
                  ("@instana/collector", ""): ("instana", "agent"),
                  ("jaeger-client", "initTracer"): ("jaeger", "sdk"),
                  ("jaeger-client", "initTracerFromEnv"): ("jaeger", "sdk"),
                  ("zipkin", "Tracer"): ("zipkin", "sdk"),
                  ("applicationinsights", "start"): ("applicationinsights", "sdk"),
                  ("@azure/monitor-opentelemetry", "useAzureMonitor"): ("applicationinsights", "sdk"),
                  ("aws-xray-sdk", "captureHTTPsGlobal"): ("xray", "auto"),
                  ("aws-xray-sdk-core", "captureHTTPsGlobal"): ("xray", "auto"),
                  ("aws-xray-sdk", "express.openSegment"): ("xray", "sdk")}
_SENTRY_PACKAGES = frozenset({"@sentry/node", "@sentry/nestjs", "@sentry/aws-serverless", "@sentry/serverless"})

# Frameworks whose app or router objects register routes: (package, path) of the factory → framework.
_ROUTER_FACTORIES = {("express", ""): "express", ("express", "Router"): "express", ("express", "default"): "express",
                     ("koa", ""): "koa", ("koa-router", ""): "koa", ("@koa/router", ""): "koa",
                     ("fastify", ""): "fastify", ("fastify", "default"): "fastify", ("fastify", "fastify"): "fastify",
                     ("restify", "createServer"): "restify", ("hono", "Hono"): "hono", ("polka", ""): "polka",
                     ("@hapi/hapi", "server"): "hapi", ("@hapi/hapi", "Server"): "hapi", ("hapi", "server"): "hapi"}
_FRAMEWORK_PACKAGES = {"express": "express", "koa": "koa", "koa-router": "koa", "@koa/router": "koa",
                       "fastify": "fastify", "restify": "restify", "hono": "hono", "polka": "polka",
                       "@hapi/hapi": "hapi"}
# Receivers conventionally named so when an app or router is passed in (`module.exports = (app) => …`).
_ROUTER_NAMES = frozenset({"app", "router", "server", "fastify", "api", "routes", "route", "instance", "koaRouter"})
_ROUTE_PATH = re.compile(r"^[/*]")
_NEST_ROUTES = frozenset({"Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head", "Sse", "MessagePattern",
                          "EventPattern", "GrpcMethod", "GrpcStreamMethod", "Query", "Mutation", "Subscription"})
_NEST_CLASSES = frozenset({"Controller", "Resolver"})
_NEXT_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

_PRISMA_ADAPTERS = {"pg": "postgres", "neon": "postgres", "mariadb": "mysql", "planetscale": "mysql",
                    "mssql": "sqlserver", "better-sqlite3": "sqlite", "libsql": "sqlite", "d1": "sqlite"}
_CONNECT_PACKAGES = frozenset(package for package, _ in _CONNECTS)
_SESSION_PACKAGES = frozenset(_SESSION_MIDDLEWARE)
_TRACING_PACKAGES = frozenset({package for package, _ in _TRACING_CALLS} | _SENTRY_PACKAGES)

# Browser code (see the module docstring): packages only a browser bundle imports.
_BROWSER_PACKAGES = frozenset({"react", "react-dom", "react-router", "react-router-dom", "vue", "vue-router",
                               "@angular/core", "@angular/common", "svelte", "preact", "solid-js", "@remix-run/react",
                               "@tanstack/react-query", "@chakra-ui/react", "@mui/material", "firebase",
                               "@opentelemetry/sdk-trace-web", "@opentelemetry/context-zone", "zone.js"})
_SERVER_PACKAGES_PREFIX = ("next/server", "next/headers", "next")  # Next.js server code imports these
_BROWSER_ENV = re.compile(rb"import\.meta\.env\b|process\.env\.(REACT_APP_|NEXT_PUBLIC_|VUE_APP_|VITE_)")


@dataclass(frozen=True)
class _Env:
    """A piece of a string read from the environment or a config key, with the default the code gives for it."""

    key: str
    default: str = ""


@dataclass(frozen=True)
class _Value:
    """What an expression evaluates to, as far as the file shows: string pieces, each known text, read from the
    environment or config (`_Env`) or unknown (None). `${BASE}/items/${id}` with `BASE = process.env.CATALOG_URL`
    is (_Env("CATALOG_URL"), "/items/", None)."""

    parts: tuple[str | _Env | None, ...] = (None,)

    @property
    def literal(self) -> str | None:
        """The whole text when every piece is known, else None."""
        return "".join(p for p in self.parts if isinstance(p, str)) if all(isinstance(p, str) for p in self.parts) \
            else None

    @property
    def template(self) -> str:
        """The text with `{}` for each piece not known (`{}/items/{}`)."""
        return literal_url(p if isinstance(p, str) else None for p in self.parts)

    @property
    def source(self) -> _Env | None:
        """The environment or config piece that gives the host: the whole value, or the piece in the host position
        of the URL it builds (`http://${HOST}:${PORT}/x` → HOST; `${BASE}/x` → BASE); None when the host is
        literal, unknown or not there (`/items/${id}`)."""
        if len(self.parts) == 1:
            return self.parts[0] if isinstance(self.parts[0], _Env) else None
        piece = piece_in_host(self.parts, _host_region)
        return piece if isinstance(piece, _Env) else None

    @property
    def env(self) -> str:
        return self.source.key if self.source is not None else ""

    @property
    def default(self) -> str:
        return self.source.default if self.source is not None else ""


@dataclass
class _Instance:
    """A client object made by a factory (`axios.create`): its client, target and bounds."""

    client: str
    target: Target = field(default_factory=Target)
    bounds: list[Bound] = field(default_factory=list)


def _matches(language: str, fact: str, root: tree_sitter.Node) -> list[Match]:
    """syntax.matches, with matches starting no deeper than _MAX_START_DEPTH: tree-sitter's query cursor slows
    down quadratically in trees nested tens of thousands deep (measured: 20 s per query at 50,000 nested calls),
    and no hand-written code nests its calls that deep."""
    compiled = query(language, fact)
    if compiled is None:
        return []
    cursor = tree_sitter.QueryCursor(compiled, match_limit=MAX_MATCHES)
    cursor.set_max_start_depth(_MAX_START_DEPTH)
    return [Match(index, captures) for index, captures in cursor.matches(root)[:MAX_MATCHES]]


def _unwrap(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    for _ in range(16):
        if node is None or node.type not in _WRAPPERS:
            return node
        inner = node.named_children
        node = inner[0] if inner else None
    return node


def _kind(node: tree_sitter.Node | None) -> str:
    """The type of the expression inside any parentheses, `await` or type assertion ("" for none)."""
    inner = _unwrap(node)
    return inner.type if inner is not None else ""


def _string(node: tree_sitter.Node) -> str:
    return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))


def _package(spec: str) -> str:
    """The package of a module specifier: `node:http` → http, `mysql2/promise` → mysql2, `@a/b/c` → @a/b."""
    spec = spec.strip().removeprefix("node:")
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


class _File:
    """One file's imports, bindings and functions, and the questions every fact asks of them."""

    def __init__(self, tree: tree_sitter.Tree, language: str, path: str) -> None:
        self.root = tree.root_node
        self.language = language
        self.path = path
        self.imports: dict[str, tuple[str, str]] = {}  # local name → (package, member path)
        self.import_specs: list[tuple[str, int]] = []  # every module specifier with its line
        self.bindings: dict[str, list[tuple[int, tree_sitter.Node, tree_sitter.Node]]] = {}
        self.class_fields: list[tuple[str, tree_sitter.Node, tree_sitter.Node | None]] = []  # name, node, value
        self.extends: list[tuple[tree_sitter.Node, str]] = []  # class declaration, the name it extends
        self.functions: dict[int, str] = {}  # function node id → its name
        self.pair_named: set[int] = set()  # functions named by an object key (`handler: () => …`)
        self._fn: list[tree_sitter.Node] = []
        self._fn_start: list[int] = []
        self._fn_end: list[int] = []
        self._fn_parent: list[int] = []
        self.function_nodes: dict[str, list[tree_sitter.Node]] = {}
        self._module_names: set[str] | None = None
        self.scoped: dict[tuple[str, int], list[tree_sitter.Node]] = {}  # (name, scope id) → values
        self.env_bindings: dict[tuple[str, int], tuple[str, str]] = {}  # (name, scope id) → (env key, default)
        self._qualified: dict[int, tuple[str, str]] = {}
        self.by_fact = matches_of(language, _FACTS, self.root)
        self.calls = self.by_fact["calls"]
        found = self.by_fact["scope"]
        self._read_functions([m for m in found if m.one("function") is not None])  # first: bindings are scoped
        self._read_imports([m for m in found if m.one("import") is not None])  # by the functions around them
        self._read_bindings([m for m in found if m.one("binding") is not None or m.one("class") is not None])

    # -- imports and bindings ------------------------------------------------------------------------------
    def _read_imports(self, found: list[Match]) -> None:
        for match in found:
            source, node = match.one("source"), match.one("import")
            if node is None:
                continue
            clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
            if source is None:
                source = node.child_by_field_name("source") or (
                    clause.child_by_field_name("source") if clause is not None else None)
            if source is None or source.type != "string":
                continue
            spec = _string(source)
            self.import_specs.append((spec, line(node)))
            package = _package(spec)
            if "prisma" in spec and package != "@prisma/client":  # Prisma 6+ generates the client into the app
                package = "@prisma/client"
            if clause is not None:  # import pg = require('pg')
                name = next((c for c in clause.named_children if c.type == "identifier"), None)
                if name is not None:
                    self.imports[text(name)] = (package, "")
            elif node.type == "import_statement":
                self._import_clause(node, package)
            else:
                self._require(node, package)

    def _import_clause(self, node: tree_sitter.Node, package: str) -> None:
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.imports[text(part)] = (package, "")
                elif part.type == "namespace_import":
                    for name in part.named_children:
                        if name.type == "identifier":
                            self.imports[text(name)] = (package, "")
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        imported = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or imported
                        if imported is not None and alias is not None:
                            member = text(imported)
                            self.imports[text(alias)] = (package, "" if member == "default" else member)

    def _require(self, node: tree_sitter.Node, package: str) -> None:
        """`const x = require('m')`, `require('m').Pool`, `const { Pool: P } = require('m')`, `require('m')(…)`."""
        members: list[str] = []
        current = node
        for _ in range(8):
            parent = current.parent
            if parent is None:
                return
            if parent.type == "member_expression" and parent.child_by_field_name("object") == current:
                members.append(text(parent.child_by_field_name("property")))
            elif parent.type == "call_expression" and parent.child_by_field_name("function") == current:
                pass  # require('connect-redis')(session): the package's export, called
            elif parent.type in _WRAPPERS:
                pass
            else:
                break
            current = parent
        declarator = current.parent
        if declarator is None or declarator.type != "variable_declarator":
            return
        member = ".".join(m for m in members if m != "default")
        name = declarator.child_by_field_name("name")
        if name is None:
            return
        if name.type == "identifier":
            self.imports[text(name)] = (package, member)
        elif name.type == "object_pattern":
            for prop in name.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    self.imports[text(prop)] = (package, ".".join(filter(None, (member, text(prop)))))
                elif prop.type == "pair_pattern":
                    key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        self.imports[text(value)] = (package, ".".join(filter(None, (member, text(key)))))

    def _read_bindings(self, found: list[Match]) -> None:
        # Keys declared (`const`/`let`/`var`) at module level so far, kept as a set: scanning a key's bindings
        # at each assignment was quadratic (50,000 `module.exports = …` took over 30 s; found by fuzzing).
        declared_at_module_level: set[str] = set()
        for match in found:
            body = match.one("class")
            if body is not None:
                self._read_class(body)
                continue
            name, value, node = match.one("name"), match.one("value"), match.one("binding")
            if name is None or value is None or node is None:
                continue
            if name.type == "object_pattern" and text_in(value, ("process.env", "import.meta.env")):
                self._env_pattern(name, self.scope(node))
                continue
            key = self.key(name)
            if key is None:
                continue
            scope = self.scope(node)
            if node.type == "assignment_expression" and not key.startswith("this."):
                if key in declared_at_module_level:
                    scope = self.root.id  # assigns a module-level variable
            elif node.type == "variable_declarator" and scope == self.root.id:
                declared_at_module_level.add(key)
            self.bindings.setdefault(key, []).append((scope, value, node))
            self.scoped.setdefault((key, scope), []).append(value)

    def _env_pattern(self, pattern: tree_sitter.Node, scope: int) -> None:
        """`const { USER_URL, CART_URL = 'http://cart', ORDERS: orders } = process.env`."""
        for prop in pattern.named_children[:500]:
            env = local = default = ""
            if prop.type == "shorthand_property_identifier_pattern":
                env = local = text(prop)
            elif prop.type == "object_assignment_pattern":
                env = local = text(prop.child_by_field_name("left"))
                default = self.value(prop.child_by_field_name("right")).literal or ""
            elif prop.type == "pair_pattern":
                env = text(prop.child_by_field_name("key"))
                target = prop.child_by_field_name("value")
                if target is not None and target.type == "assignment_pattern":
                    default = self.value(target.child_by_field_name("right")).literal or ""
                    target = target.child_by_field_name("left")
                local = text(target) if target is not None and target.type == "identifier" else ""
            if env and local:
                self.env_bindings[(local, scope)] = (env, default)

    def _read_class(self, body: tree_sitter.Node) -> None:
        declaration = body.parent
        heritage = next((c for c in declaration.named_children if c.type == "class_heritage"), None) if (
            declaration is not None) else None
        extended = re.match(r"extends\s+([\w$.]+)", text(heritage)[:300]) if heritage is not None else None
        if declaration is not None and extended:
            self.extends.append((declaration, extended.group(1)))
        for member in body.named_children[:2000]:
            if member.type in ("field_definition", "public_field_definition"):
                name = member.child_by_field_name("property") or member.child_by_field_name("name")
                if name is not None:
                    value = member.child_by_field_name("value")
                    self.class_fields.append((text(name), member, value))
                    if value is not None:
                        self.bindings.setdefault("this." + text(name), []).append((self.root.id, value, member))
            elif member.type == "method_definition" and text(member.child_by_field_name("name")) == "constructor":
                params = member.child_by_field_name("parameters")
                for param in params.named_children if params is not None else ():
                    pattern = param.child_by_field_name("pattern")
                    if pattern is not None and pattern.type == "identifier":
                        self.class_fields.append((text(pattern), param, None))

    def _read_functions(self, found: list[Match]) -> None:
        """Names of functions, and an index of their byte ranges: the function around a node is found by
        position, never by walking up the tree (each parent lookup costs the node's depth in tree-sitter)."""
        nodes: dict[int, tree_sitter.Node] = {}
        for match in found:
            node = match.one("function")
            if node is None:
                continue
            nodes.setdefault(node.id, node)
            name = match.one("name") or match.one("key")
            if name is not None and node.id not in self.functions:
                self.functions[node.id] = text(name)
                self.function_nodes.setdefault(text(name), []).append(node)
                if match.one("key") is not None:
                    self.pair_named.add(node.id)
        ordered = sorted(nodes.values(), key=lambda n: (n.start_byte, -n.end_byte))
        self._fn = ordered
        self._fn_start = [n.start_byte for n in ordered]
        self._fn_end = [n.end_byte for n in ordered]
        stack: list[int] = []
        for index, node in enumerate(ordered):
            while stack and self._fn_end[stack[-1]] < node.end_byte:
                stack.pop()
            self._fn_parent.append(stack[-1] if stack else -1)
            stack.append(index)

    def _chain(self, node: tree_sitter.Node, limit: int = 256) -> list[int]:
        """Indexes (into the function index) of the functions around `node`, innermost first."""
        index = bisect.bisect_right(self._fn_start, node.start_byte) - 1
        chain: list[int] = []
        for _ in range(10_000):
            if index < 0 or len(chain) >= limit:
                break
            if self._fn_start[index] <= node.start_byte < self._fn_end[index] and (
                    self._fn[index].id != node.id):
                chain.append(index)
            index = self._fn_parent[index]
        return chain

    # -- questions ----------------------------------------------------------------------------------------
    def key(self, node: tree_sitter.Node | None) -> str | None:
        """The binding key of an lvalue or receiver: `api`, `this.client`; None for anything else."""
        node = _unwrap(node)
        if node is None:
            return None
        if node.type in ("identifier", "shorthand_property_identifier"):
            return text(node)
        if node.type == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            if obj is not None and prop is not None and obj.type == "this":
                return "this." + text(prop)
            return text(node) if len(text(node)) < 200 else None
        return None

    def module_names(self) -> set[str]:
        """Names declared at module level (`let pool;` included)."""
        if self._module_names is None:
            self._module_names = set()
            for statement in self.root.named_children[:5000]:
                if statement.type == "export_statement":
                    statement = statement.child_by_field_name("declaration") or statement
                if statement.type in ("lexical_declaration", "variable_declaration"):
                    for declarator in statement.named_children:
                        name = declarator.child_by_field_name("name")
                        if declarator.type == "variable_declarator" and name is not None:
                            self._module_names.add(text(name))
        return self._module_names

    def scope(self, node: tree_sitter.Node) -> int:
        chain = self._chain(node, 1)
        return self._fn[chain[0]].id if chain else self.root.id

    def resolve(self, node: tree_sitter.Node | None) -> tree_sitter.Node | None:
        """The one value bound to an identifier (or `this.x`) visible at `node`, None when unknown or ambiguous."""
        key = self.key(node)
        if node is None or key is None or key not in self.bindings:
            return None
        candidates = self.bindings[key]
        found: tree_sitter.Node | None = None
        if key.startswith("this.") or "." in key:
            found = candidates[0][1] if len(candidates) == 1 else None
        else:
            scopes = [self._fn[i].id for i in self._chain(node)] + [self.root.id]
            for scope in scopes:
                here = self.scoped.get((key, scope))
                if here:
                    found = here[0] if len(here) == 1 else None
                    break
        for _ in range(4):  # const app = module.exports = express.Router()
            if found is None or found.type != "assignment_expression":
                break
            found = found.child_by_field_name("right")
        return found

    def is_param(self, node: tree_sitter.Node | None) -> bool:
        """Whether an identifier names a parameter of a function around it (the caller's value)."""
        node = _unwrap(node)
        if node is None or node.type not in ("identifier", "shorthand_property_identifier"):
            return False
        word = re.compile(r"\b" + re.escape(text(node)) + r"\b")
        for index in self._chain(node):
            function = self._fn[index]
            params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
            if params is not None and word.search(text(params)[:2000]):
                return True
        return False

    def qualify(self, node: tree_sitter.Node | None, depth: int = 0) -> tuple[str, str]:
        """(package, dotted path) of a callee: `axios.get` → (axios, get), `Pool` → (pg, Pool),
        `require('pg').Pool` → (pg, Pool), `fetch` → ("", fetch); a call in the chain is `()`."""
        if node is None:
            return "", ""
        cached = self._qualified.get(node.id)
        if cached is None:
            cached = self._qualified[node.id] = self._qualify(node, depth)
        return cached

    def _qualify(self, node: tree_sitter.Node | None, depth: int) -> tuple[str, str]:
        members: list[str] = []
        node = _unwrap(node)
        for _ in range(32):
            if node is None:
                return "", ""
            if node.type == "member_expression":
                members.append(text(node.child_by_field_name("property")))
                node = _unwrap(node.child_by_field_name("object"))
                continue
            if node.type == "call_expression":
                function = node.child_by_field_name("function")
                if text_in(function, ("require",)):
                    args = node.child_by_field_name("arguments")
                    first = args.named_children[0] if args is not None and args.named_children else None
                    if first is not None and first.type == "string":
                        return _package(_string(first)), ".".join(m for m in reversed(members) if m != "default")
                    return "", ""
                members.append("()")
                node = _unwrap(function)
                continue
            break
        if node is None or node.end_byte - node.start_byte > MAX_NAME_BYTES:  # (past 32 links)
            return "", ""
        path = [m for m in reversed(members) if m != "default"]
        name = text(node)
        if node.type == "identifier" and name in self.imports:
            package, member = self.imports[name]
            return package, ".".join(filter(None, (member, *path))).replace(".()", "()")
        if node.type == "identifier" and depth < 2:
            value = self.resolve(node)
            if value is not None and value.type in ("call_expression", "member_expression"):
                package, inner = self.qualify(value, depth + 1)  # const Redis = require('ioredis').default
                if package:
                    return package, ".".join(filter(None, (inner, *path))).replace(".()", "()")
        return "", ".".join((name, *path)).replace(".()", "()")

    def value(self, node: tree_sitter.Node | None, depth: int = 0) -> _Value:
        """What an expression evaluates to (see _Value): literals, templates, `+`, `process.env.X || 'd'`,
        `config.get('key')`, and names bound in the file."""
        node = _unwrap(node)
        if node is None or depth > _DEPTH:
            return _Value()
        kind = node.type
        if kind == "string":
            return _Value((_string(node),))
        if kind == "template_string":
            return self._template(node, depth)
        if kind == "binary_expression":
            operator = text(node.child_by_field_name("operator"))
            left = self.value(node.child_by_field_name("left"), depth + 1)
            right = self.value(node.child_by_field_name("right"), depth + 1)
            if operator == "+":
                return _Value(left.parts + right.parts)
            if operator in ("||", "??"):
                whole = left.parts[0] if len(left.parts) == 1 else None
                if isinstance(whole, _Env) and right.literal is not None:
                    return _Value((_Env(whole.key, right.literal),))  # process.env.X || 'http://x'
                return left if left.source is not None or left.literal is not None else right
            return _Value()
        if kind in ("member_expression", "subscript_expression"):
            env = self.env_key(node)
            if env:
                return _Value((_Env(env),))
            if kind == "member_expression" and text(node.child_by_field_name("property")) == "href":
                return self.value(node.child_by_field_name("object"), depth + 1)  # new URL(…).href
        if kind == "call_expression":
            key = self._config_key(node)
            if key:
                return _Value((_Env(key),))
            function = node.child_by_field_name("function")
            args = _args(node)
            if text_in(function, ("String",)) and len(args) == 1:
                return self.value(args[0], depth + 1)  # String(process.env.X)
            if function is not None and function.type == "member_expression" and not args and \
                    text(function.child_by_field_name("property")) == "toString":
                return self.value(function.child_by_field_name("object"), depth + 1)  # url.toString()
            return _Value()
        if kind == "new_expression":
            return self._new_url(node, depth)
        if kind == "identifier" and self.env_bindings:
            name = text(node)
            for scope in [self._fn[i].id for i in self._chain(node)] + [self.root.id]:
                if (name, scope) in self.env_bindings:
                    env, default = self.env_bindings[(name, scope)]
                    return _Value((_Env(env, default),))
        if kind in ("identifier", "member_expression"):
            bound = self.resolve(node)
            if bound is None and kind == "member_expression":
                bound = self._property(node)
            if bound is not None:
                return self.value(bound, depth + 1)
        return _Value()

    def _new_url(self, node: tree_sitter.Node, depth: int) -> _Value:
        """`new URL(path, base)`: the base's host with the path (a path with its own scheme keeps its host)."""
        if text(node.child_by_field_name("constructor")) != "URL":
            return _Value()
        args = _args(node)
        if not args:
            return _Value()
        path = self.value(args[0], depth + 1)
        if len(args) < 2 or "://" in path.template or not isinstance(path.parts[0], str):
            return path
        base = self.value(args[1], depth + 1)
        return _Value((*base.parts, "/" + path.parts[0].lstrip("/"), *path.parts[1:]))

    def _property(self, node: tree_sitter.Node, depth: int = 0) -> tree_sitter.Node | None:
        """The value of `config.services.catalog` read from the object literal `config` is bound to in this file."""
        obj = _unwrap(node.child_by_field_name("object"))
        prop = node.child_by_field_name("property")
        if obj is None or prop is None or prop.type != "property_identifier" or depth > _DEPTH:
            return None
        literal: tree_sitter.Node | None
        if obj.type == "member_expression" and self.resolve(obj) is None:
            literal = _unwrap(self._property(obj, depth + 1))
            literal = literal if literal is not None and literal.type == "object" else self.object(literal)
        else:
            literal = self.object(obj)
        pair = _pair(literal, text(prop)) if literal is not None and literal.type == "object" else None
        return pair[1] if pair is not None else None

    def _template(self, node: tree_sitter.Node, depth: int) -> _Value:
        parts: list[str | _Env | None] = []
        for child in node.named_children[:500]:
            if child.type in ("string_fragment", "escape_sequence"):
                parts.append(text(child))
            elif child.type == "template_substitution":
                inner = self.value(child.named_children[0] if child.named_children else None, depth + 1)
                parts.extend(inner.parts)  # each piece keeps where it comes from: `${HOST}:${PORT}`
        return _Value(tuple(parts) or ("",))

    def env_key(self, node: tree_sitter.Node) -> str:
        """`process.env.X`, `process.env['X']`, `import.meta.env.X` → X."""
        obj = node.child_by_field_name("object")
        if text(obj) not in ("process.env", "import.meta.env"):
            return ""
        if node.type == "member_expression":
            return text(node.child_by_field_name("property"))
        index = _unwrap(node.child_by_field_name("index"))
        return _string(index) if index is not None and index.type == "string" else ""

    def _config_key(self, node: tree_sitter.Node) -> str:
        """`configService.get('USER_URL')`, `config.get('services.user')` (NestJS ConfigService, node-config)."""
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            return ""
        if text(function.child_by_field_name("property")) not in ("get", "getOrThrow"):
            return ""
        if not re.search(r"config", text(function.child_by_field_name("object")), re.IGNORECASE):
            return ""
        args = _args(node)
        return _string(args[0]) if args and args[0].type == "string" else ""

    def target(self, node: tree_sitter.Node | None) -> Target:
        return _target(self.value(node))

    def object(self, node: tree_sitter.Node | None, depth: int = 0) -> tree_sitter.Node | None:
        """The object literal an expression is (or is bound to)."""
        node = _unwrap(node)
        for _ in range(_DEPTH):
            if node is None or node.type == "object":
                return node
            if node.type not in ("identifier", "member_expression"):
                return None
            node = _unwrap(self.resolve(node))
        return None

    def function_name(self, node: tree_sitter.Node) -> str:
        """The name of the nearest named function around `node` ("" at module level)."""
        for index in self._chain(node):
            name = self.functions.get(self._fn[index].id)
            if name:
                return name
        return ""

    def enclosing_function(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        chain = self._chain(node, 1)
        return self._fn[chain[0]] if chain else None


def _args(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def _pair(obj: tree_sitter.Node | None, key: str) -> tuple[tree_sitter.Node, tree_sitter.Node] | None:
    """(pair, value) of `key` in an object literal; shorthand `{timeout}` is its own value."""
    if obj is None:
        return None
    for child in obj.named_children[:500]:
        if child.type == "pair":
            name = child.child_by_field_name("key")
            name_text = _string(name) if name is not None and name.type == "string" else text(name)
            value = child.child_by_field_name("value")
            if name_text == key and value is not None:
                return child, value
        elif child.type == "shorthand_property_identifier" and text(child) == key:
            return child, child
    return None


def _spread(obj: tree_sitter.Node | None) -> bool:
    return obj is not None and any(c.type == "spread_element" for c in obj.named_children[:500])


def _target(value: _Value) -> Target:
    """Where a URL value points: the environment or config piece in its host position is the address (`env`), with
    the default the code gives for it; a piece read from the environment elsewhere (a path, a port) is not."""
    joined = value.template
    if value.env and not any(isinstance(p, str) and p for p in value.parts):
        return Target(env=value.env, default=value.default)
    if "://" in joined:
        return Target(url=joined, env=value.env, default=value.default)
    if value.literal is not None and joined and not joined.startswith("/"):
        host, _, port = joined.partition(":")
        number = digits(port)
        if re.fullmatch(r"[A-Za-z0-9.-]+", host) and (not port or number is not None):
            return Target(host=host, port=number)
    if joined.strip("{}"):
        return Target(url=joined, env=value.env, default=value.default)
    return Target(env=value.env, default=value.default)


def _host_region(marked: str) -> str:
    """The host part of a URL (`scheme://HOST/…`) or of a `host:port/…`, after any `user@`."""
    if "://" in marked:
        region = re.split(r"[/?#]", marked.split("://", 1)[1], maxsplit=1)[0]
    else:
        region = marked.split("/", 1)[0]
    return region.rsplit("@", 1)[-1]


def _int(node: tree_sitter.Node | None) -> int | None:
    node = _unwrap(node)
    if node is not None and node.type == "number":
        try:
            return int(text(node).replace("_", ""))
        except ValueError:
            return None
    return None


def _disabled(node: tree_sitter.Node | None) -> bool:
    """A timeout/retry value that bounds nothing: 0, false, null, undefined, Infinity."""
    node = _unwrap(node)
    return text_in(node, ("0", "false", "null", "undefined", "Infinity"))


def extract(tree: tree_sitter.Tree, language: str, path: str = "") -> Extracted:
    """The code facts of one JavaScript/TypeScript file. `path` (optional) lets Next.js routes be told by their
    place (`pages/api/`, `app/**/route.ts`)."""
    found = Extracted()
    try:
        source = _File(tree, language, path)
        if _is_browser(source):
            found.browser = True
            return found
        _Extractor(source, found).run()
    except RecursionError:  # a hostile file nested past Python's stack in a grammar detail we follow
        return Extracted()
    return found


def _is_browser(source: _File) -> bool:
    marks = source.by_fact["browser"]
    for match in marks:
        directive = match.one("directive")
        if directive is not None:
            return text(directive) == "use client"
    packages = {_package(spec) for spec, _ in source.import_specs}
    if any(spec == p or spec.startswith(p + "/") for spec, _ in source.import_specs for p in _SERVER_PACKAGES_PREFIX):
        return False
    if packages & _BROWSER_PACKAGES or any(spec.startswith("@angular/") for spec, _ in source.import_specs):
        return True
    if any(m.one("jsx") is not None or m.one("dom") is not None for m in marks):
        return True
    return bool(_BROWSER_ENV.search(source.root.text or b""))


class _Extractor:
    def __init__(self, source: _File, found: Extracted) -> None:
        self.s = source
        self.found = found
        self.instances: dict[str, _Instance] = {}  # binding key → client object
        self.http_services: set[str] = set()  # receiver keys typed HttpService (NestJS)
        self.nest_http_timeout: Bound | None = None
        self.retry_keys: dict[str, Bound] = {}  # axios-retry(instance)
        self.breakers: list[tuple[str, int, int, list[Bound]]] = []  # opossum around an inline function
        self.breaker_names: dict[str, list[Bound]] = {}  # opossum around a named function
        self._by_callee: dict[str, list[tree_sitter.Node]] | None = None
        self._callee_starts: dict[str, list[int]] = {}

    def run(self) -> None:
        packages = {_package(spec) for spec, _ in self.s.import_specs} | {p for p, _ in self.s.imports.values()}
        self._instances()
        self._handlers()
        self._calls()
        self._callees()
        # Each of these needs its package imported in this file: most files import none, and skip the query.
        if packages & _CONNECT_PACKAGES:
            self._connects()
            self._extended_clients()
        if packages & _SESSION_PACKAGES:
            self._sessions()
        if packages & _TRACING_PACKAGES or any(p.startswith("@opentelemetry/") for p in packages) or any(
                spec in _TRACING_IMPORTS for spec, _ in self.s.import_specs):
            self._tracing()

    # -- client objects and what bounds them ------------------------------------------------------------
    def _instances(self) -> None:
        s = self.s
        for key, entries in s.bindings.items():
            if len(entries) != 1:
                continue
            _, bound, node = entries[0]
            value = _unwrap(bound)
            if value is None or value.type != "call_expression":
                continue
            package, path = s.qualify(value.child_by_field_name("function"))
            client = _INSTANCE_FACTORIES.get((package, path))
            if client is None:
                continue
            args = _args(value)
            config = s.object(args[0]) if args else None
            instance = _Instance(client)
            if config is not None:
                base = _pair(config, "prefixUrl" if client == "got" else "baseURL") or _pair(config, "baseUrl")
                if base is not None:
                    instance.target = s.target(base[1])
                instance.bounds = self._option_bounds(client, config, value)
            if client == "got" and not any(b.kind == "retry" for b in instance.bounds) and not self._no_retry(config):
                instance.bounds.append(Bound("retry", line(value), _GOT_DEFAULT_RETRY))
            self.instances[key] = instance
        for key, entries in s.bindings.items():  # api.defaults.timeout = 5000 (also axios.defaults.timeout)
            for _, value, node in entries:
                for suffix, attr in ((".defaults.timeout", "timeout"), (".defaults.baseURL", "base")):
                    if not key.endswith(suffix):
                        continue
                    owner = key[: -len(suffix)]
                    instance = self.instances.setdefault(owner, _Instance(self._global_client(owner) or "axios"))
                    if attr == "timeout" and not _disabled(value):
                        instance.bounds.append(Bound("timeout", line(node), text(node)[:80]))
                    elif attr == "base":
                        instance.target = s.target(value)
        for match in s.calls:
            call = match.one("call")
            if call is None or call.type != "call_expression":
                continue
            function = call.child_by_field_name("function")
            package, path = s.qualify(function)
            args = _args(call)
            if package == "axios-retry" and path == "" and args:
                retried = s.key(args[0])
                if retried is not None:
                    self.retry_keys[retried] = Bound("retry", line(call), "axios-retry")
            elif package in ("@nestjs/axios", "@nestjs/common") and path in ("HttpModule.register",
                                                                             "HttpModule.registerAsync"):
                config = s.object(args[0]) if args else None
                timeout = _pair(config, "timeout")
                if timeout is not None and not _disabled(timeout[1]):
                    self.nest_http_timeout = Bound("timeout", line(timeout[0]), "HttpModule.register timeout")
                elif path.endswith("Async") and args and re.search(r"\btimeout\s*:", text(args[0])[:5000]):
                    self.nest_http_timeout = Bound("timeout", line(call), "HttpModule.registerAsync timeout")
        for match in s.calls:  # new CircuitBreaker(fn, {timeout}) (opossum)
            made = match.one("call")
            if made is not None and made.type == "new_expression" and s.qualify(
                    made.child_by_field_name("constructor")) == ("opossum", ""):
                self._breaker(made)
        for name, node, _ in s.class_fields:  # constructor(private readonly http: HttpService)
            annotation = node.child_by_field_name("type")
            if annotation is not None and re.search(r"\bHttpService\b", text(annotation)):
                self.http_services.add("this." + name)

    def _breaker(self, made: tree_sitter.Node) -> None:
        """opossum: the calls inside the wrapped function are behind a breaker with a timeout (10 s default)."""
        s = self.s
        args = _args(made)
        fn = _unwrap(args[0]) if args else None
        if fn is None:
            return
        options = s.object(args[1]) if len(args) > 1 else None
        bounds = [Bound("circuit_breaker", line(made), "opossum CircuitBreaker")]
        timeout = _pair(options, "timeout")
        if timeout is None:
            bounds.append(Bound("timeout", line(made), _OPOSSUM_DEFAULT_TIMEOUT))
        elif not _disabled(timeout[1]):
            bounds.append(Bound("timeout", line(timeout[0]), text(timeout[0])[:80]))
        if fn.type in _FUNCTIONS:
            if len(self.breakers) < _MAX_BREAKERS:
                self.breakers.append(("", fn.start_byte, fn.end_byte, bounds))
            return
        if fn.type == "call_expression":  # this.method.bind(this)
            bound = _unwrap(fn.child_by_field_name("function"))
            if bound is None or bound.type != "member_expression" or text(
                    bound.child_by_field_name("property")) != "bind":
                return
            fn = _unwrap(bound.child_by_field_name("object"))
            if fn is None:
                return
        name = text(fn.child_by_field_name("property")) if fn.type == "member_expression" else text(fn)
        self.breaker_names.setdefault(name, bounds)

    def _global_client(self, name: str) -> str:
        package, _ = self.s.imports.get(name, ("", ""))
        return {"axios": "axios", "got": "got"}.get(package, "")

    def _no_retry(self, config: tree_sitter.Node | None) -> bool:
        retry = _pair(config, "retry")
        if retry is None:
            return False
        value = retry[1]
        limit = _pair(value, "limit") if value.type == "object" else None
        return _disabled(value) or (limit is not None and _disabled(limit[1]))

    def _option_bounds(self, client: str, config: tree_sitter.Node | None, call: tree_sitter.Node) -> list[Bound]:
        """Bounds stated in a client's options object: `timeout`, `signal`, got's `retry`, undici's timeouts."""
        bounds: list[Bound] = []
        if config is None:
            return bounds
        keys = {"timeout", "deadline"}
        if client == "undici":
            keys |= {"headersTimeout", "bodyTimeout"}
        for key in sorted(keys):
            pair = _pair(config, key)
            if pair is not None and not _disabled(pair[1]):
                if client == "got" and pair[1].type == "object" and not pair[1].named_children:
                    continue
                if client == "fetch" and key == "timeout" and self._fetch_package(call) not in ("node-fetch",):
                    continue  # only node-fetch v2 reads a `timeout` option; fetch ignores it
                bounds.append(Bound("timeout", line(pair[0]), text(pair[0])[:80]))
        signal = _pair(config, "signal")
        if signal is not None:
            bound = self._signal(signal[1], call)
            if bound is not None:
                bounds.append(bound)
        retry = _pair(config, "retry")
        if client in ("got", "ky") and retry is not None and not self._no_retry(config):
            bounds.append(Bound("retry", line(retry[0]), text(retry[0])[:80]))
        return bounds

    def _fetch_package(self, call: tree_sitter.Node) -> str:
        package, _ = self.s.qualify(call.child_by_field_name("function"))
        return package

    def _signal(self, node: tree_sitter.Node, call: tree_sitter.Node) -> Bound | None:
        """A `signal` that aborts on a timer bounds the call: AbortSignal.timeout(ms), or an AbortController
        aborted by a setTimeout in the same function. A signal handed in by the caller is bounded-unknown."""
        s = self.s
        for _ in range(3):
            current = _unwrap(node)
            if current is None:
                return None
            if "AbortSignal.timeout" in text(current)[:500]:
                return Bound("timeout", line(current), "AbortSignal.timeout")
            if current.type == "member_expression" and text(current.child_by_field_name("property")) == "signal":
                controller = current.child_by_field_name("object")
                key = s.key(controller)
                made = _unwrap(s.resolve(controller))
                if key is None or made is None or made.type != "new_expression":
                    return Bound("deferred", line(current), "forwarded signal") if s.is_param(controller) else None
                scope = s.enclosing_function(made)
                for timer in self._calls_of("setTimeout", scope):
                    if f"{key}.abort" in text(timer)[:2000]:
                        return Bound("timeout", line(timer), f"setTimeout → {key}.abort()")
                return None
            if current.type in ("identifier", "shorthand_property_identifier"):
                if s.is_param(current):
                    return Bound("deferred", line(current), "forwarded signal")
                resolved = s.resolve(current)
                if resolved is None:
                    return None
                node = resolved
                continue
            return None
        return None

    # -- outbound calls -----------------------------------------------------------------------------------
    def _calls(self) -> None:
        s = self.s
        grpc = self._grpc_clients()
        called_grpc: set[str] = set()
        for match in s.calls:
            call = match.one("call")
            if call is None or call.type != "call_expression":
                continue
            function = _unwrap(call.child_by_field_name("function"))
            if function is None:
                continue
            if not self.found.room_for_calls(line(call)):
                break
            found = self._http_call(call, function) or self._proxy(call, function)
            if found is None and function.type in ("member_expression", "subscript_expression"):
                key = s.key(function.child_by_field_name("object"))
                method = text(function.child_by_field_name("property"))  # "" for client[method](…)
                if key in grpc and method not in _GRPC_NOT_CALLS:
                    called_grpc.add(key)
                    found = self._grpc_call(call, grpc[key])
            if found is not None:
                self._add_call(found, call)
            elif text_in(function, ("ClientsModule.register", "ClientProxyFactory.create", "Client")):
                for client in self._nest_grpc(call, function):
                    self._add_call(client, call)
        for key, (node, target) in grpc.items():
            if key not in called_grpc:  # the client is used elsewhere: the deadline of its calls is not shown
                self._add_call(Call(line(node), "grpc", target, (Bound("deferred", line(node),
                                                                       "forwarded options"),), "grpc"), node)

    def _add_call(self, found: Call, node: tree_sitter.Node) -> None:
        bounds = list(found.bounds)
        name = self.s.function_name(node)
        bounds.extend(self.breaker_names.get(name, ()) if name else ())
        for _, start, end, extra in self.breakers:
            if start <= node.start_byte < end:
                bounds.extend(extra)
        found = replace(found, bounds=tuple(bounds), function=name)
        self.found.calls.append(found)

    def _http_call(self, call: tree_sitter.Node, function: tree_sitter.Node) -> Call | None:
        s = self.s
        package, path = s.qualify(function)
        args = _args(call)
        client = ""
        instance: _Instance | None = None
        receiver = ""
        if package == "axios" and (path == "" or path in _HTTP_METHODS):
            client, receiver = "axios", text(function).split(".")[0]
        elif (package == "" and path in ("fetch", "globalThis.fetch", "global.fetch")) or (
                package in _FETCH_PACKAGES and path in ("", "fetch")):
            client = "fetch"
        elif package == "undici" and path == "request":
            client = "undici"
        elif package == "got" and (path == "" or path in _HTTP_METHODS):
            client, receiver = "got", text(function).split(".")[0]
        elif package == "ky" and (path == "" or path in _HTTP_METHODS):
            client = "ky"
        elif package in _REQUEST_PACKAGES and (path == "" or path in _HTTP_METHODS | {"del"}):
            client = "request"
        elif package == "superagent" and path in _HTTP_METHODS | {"del"}:
            client = "superagent"
        elif package in ("http", "https") and path in ("request", "get"):
            client = package
        elif function.type == "member_expression":
            method = text(function.child_by_field_name("property"))
            obj = _unwrap(function.child_by_field_name("object"))
            key = s.key(obj)
            if obj is not None and obj.type == "member_expression" and text(
                    obj.child_by_field_name("property")) == "axiosRef":
                key = s.key(obj.child_by_field_name("object"))  # this.http.axiosRef.get(...)
            if key in self.instances and method in _HTTP_METHODS and key is not None:
                instance = self.instances[key]
                client, receiver = instance.client, key
            elif key in self.http_services and method in _HTTP_METHODS:
                client = "HttpService"
            if client and method not in _HTTP_METHODS:
                return None
        if not client:
            return None
        method = path.rsplit(".", 1)[-1] if path else ""
        url_node, config_node = self._url_and_config(client, method, args, instance is not None)
        config = s.object(config_node)
        bounds: list[Bound] = []
        if instance is not None:
            bounds.extend(instance.bounds)
        if receiver and receiver in self.instances and instance is None:
            bounds.extend(self.instances[receiver].bounds)  # axios.defaults.timeout = … in this file
        if receiver in self.retry_keys:
            bounds.append(self.retry_keys[receiver])
        if client == "HttpService" and self.nest_http_timeout is not None:
            bounds.append(self.nest_http_timeout)
        bounds.extend(self._option_bounds(client, config, call))
        if self._forwarded(args, config_node, config):
            bounds.append(Bound("deferred", line(call), "forwarded options"))
        bounds.extend(self._chain_bounds(call))
        if client in ("http", "https"):
            bounds.extend(self._request_object_bounds(call))
        if client == "got" and not any(b.kind == "retry" for b in bounds) and not self._no_retry(config):
            bounds.append(Bound("retry", line(call), _GOT_DEFAULT_RETRY))
        target = self._call_target(client, url_node, config, instance)
        if target.url.startswith("/") and not target.env and client in ("fetch", "axios", "ky", "superagent"):
            return None  # a path with no host: only a browser resolves it (Node's fetch and axios need a host)
        return Call(line(call), client, target, tuple(bounds))

    def _nest_grpc(self, call: tree_sitter.Node, function: tree_sitter.Node) -> list[Call]:
        """NestJS gRPC clients: `ClientsModule.register([{transport: Transport.GRPC, options: {url}}])`,
        `ClientProxyFactory.create({...})`, `@Client({...})`. Their calls are made through the injected client
        elsewhere, so the deadline is not shown: bounded-unknown, like a grpc-js client used elsewhere."""
        if self.s.qualify(function)[0] != "@nestjs/microservices":
            return []
        found = []
        for arg in _args(call):
            arg = _unwrap(arg) or arg
            for spec in arg.named_children[:200] if arg.type == "array" else [arg]:
                spec_object = self.s.object(spec)
                transport = _pair(spec_object, "transport")
                if transport is None or not text(transport[1]).endswith("GRPC"):
                    continue
                options = _pair(spec_object, "options")
                url = _pair(self.s.object(options[1]), "url") if options is not None else None
                target = self.s.target(url[1]) if url is not None else Target()
                found.append(Call(line(spec), "nestjs-grpc", target,
                                  (Bound("deferred", line(spec), "forwarded options"),), "grpc"))
        return found

    def _proxy(self, call: tree_sitter.Node, function: tree_sitter.Node) -> Call | None:
        """A gateway's proxy middleware forwards each request to its target: http-proxy-middleware
        (`createProxyMiddleware({target, proxyTimeout})`) and express-http-proxy (`proxy(host, {timeout})`)."""
        s = self.s
        package, path = s.qualify(function)
        args = _args(call)
        if package == "http-proxy-middleware" and path in ("createProxyMiddleware", "", "legacyCreateProxyMiddleware"):
            options = next((o for o in (s.object(a) for a in reversed(args)) if o is not None), None)
            target = _pair(options, "target")
            if options is None or target is None:
                return None
            keys: tuple[str, ...] = ("timeout", "proxyTimeout")
            client, address = "http-proxy-middleware", s.target(target[1])
        elif package == "express-http-proxy" and path == "" and args:
            options = s.object(args[1]) if len(args) > 1 else None
            keys, client, address = ("timeout",), "express-http-proxy", s.target(args[0])
        else:
            return None
        bounds = [Bound("timeout", line(pair[0]), text(pair[0])[:80]) for pair in (_pair(options, k) for k in keys)
                  if pair is not None and not _disabled(pair[1])]
        if _spread(options):
            bounds.append(Bound("deferred", line(call), "forwarded options"))
        return Call(line(call), client, address, tuple(bounds))

    def _url_and_config(self, client: str, method: str, args: list[tree_sitter.Node],
                        is_instance: bool) -> tuple[tree_sitter.Node | None, tree_sitter.Node | None]:
        """Which argument is the URL and which the options, by the client's signature."""
        if not args:
            return None, None
        first = _unwrap(args[0])
        first_is_options = first is not None and (first.type == "object" or self.s.object(first) is not None)
        if client in ("axios", "HttpService"):
            if method in ("", "request") and first_is_options:
                return None, args[0]
            index = 2 if method in _BODY_METHODS else 1
            return args[0], args[index] if len(args) > index else None
        if client in ("http", "https", "request", "got", "ky") and first_is_options:
            return None, args[0]
        return args[0], args[1] if len(args) > 1 else None

    def _forwarded(self, args: list[tree_sitter.Node], config_node: tree_sitter.Node | None,
                   config: tree_sitter.Node | None) -> bool:
        """Options handed in by the caller: a parameter, a spread of one, `...args`."""
        if any(a.type == "spread_element" for a in args):
            return True
        if config is not None:
            return _spread(config)
        return config_node is not None and self.s.is_param(config_node)

    def _call_target(self, client: str, url_node: tree_sitter.Node | None, config: tree_sitter.Node | None,
                     instance: _Instance | None) -> Target:
        s = self.s
        if url_node is None and config is not None:
            for key in ("url", "uri", "href", "baseURL", "prefixUrl"):
                pair = _pair(config, key)
                if pair is not None:
                    url_node = pair[1]
                    break
            if url_node is None and client in ("http", "https"):
                host = _pair(config, "hostname") or _pair(config, "host")
                port = _pair(config, "port")
                if host is not None:
                    target = s.target(host[1])
                    return replace(target, port=_int(port[1]) if port is not None else target.port)
        value = s.value(url_node) if url_node is not None else _Value()
        target = _target(value)
        base = instance.target if instance is not None else None
        if base is None and config is not None and url_node is not None:
            pair = _pair(config, "baseURL") or _pair(config, "prefixUrl")
            base = s.target(pair[1]) if pair is not None else None
        # a path with no host of its own (`/items/${id}`, not `${BASE}/items`) is relative to the client's base
        relative = isinstance(value.parts[0], str) and "://" not in value.template
        if base is not None and base != Target() and (relative or url_node is None):
            path = value.template if url_node is not None else ""
            prefix = base.url or ("{}" if base.env else "")
            return replace(base, url=(prefix.rstrip("/") + "/" + path.lstrip("/")) if prefix and path else base.url)
        return target

    def _chain_bounds(self, call: tree_sitter.Node) -> list[Bound]:
        """Methods chained on the call's result: superagent `.timeout(ms)`/`.retry(n)`, `req.setTimeout(ms)`,
        rxjs `.pipe(timeout(ms), retry(n))` on a NestJS HttpService observable."""
        bounds: list[Bound] = []
        current = call
        for _ in range(16):
            member = current.parent
            if member is None or member.type != "member_expression":
                break
            outer = member.parent
            if outer is None or outer.type != "call_expression":
                break
            method = text(member.child_by_field_name("property"))
            if method in ("timeout", "setTimeout") and not any(_disabled(a) for a in _args(outer)):
                bounds.append(Bound("timeout", line(outer), f".{method}()"))
            elif method == "retry":
                bounds.append(Bound("retry", line(outer), ".retry()"))
            elif method == "pipe":
                for piped in _args(outer):
                    arg = _unwrap(piped)
                    if arg is None or arg.type != "call_expression":
                        continue
                    operator = text(arg.child_by_field_name("function"))
                    if operator in ("timeout", "timeoutWith"):
                        bounds.append(Bound("timeout", line(arg), f"rxjs {operator}()"))
                    elif operator in ("retry", "retryWhen"):
                        bounds.append(Bound("retry", line(arg), f"rxjs {operator}()"))
            current = outer
        return bounds

    def _request_object_bounds(self, call: tree_sitter.Node) -> list[Bound]:
        """`const req = http.request(...); req.setTimeout(ms)` in the same function."""
        parent = call.parent
        if parent is None or parent.type != "variable_declarator":
            return []
        name = text(parent.child_by_field_name("name"))
        scope = self.s.enclosing_function(call)
        for other in self._calls_of(f"{name}.setTimeout", scope):
            return [Bound("timeout", line(other), f"{name}.setTimeout()")]
        return []

    def _calls_of(self, callee: str, within: tree_sitter.Node | None) -> list[tree_sitter.Node]:
        """The calls whose callee reads `callee` (`setTimeout`, `req.setTimeout`) inside `within` (None: the
        file), at most 50; the calls are indexed once per file, in source order."""
        if self._by_callee is None:
            self._by_callee = {}
            for match in self.s.calls:
                call = match.one("call")
                function = call.child_by_field_name("function") if call is not None else None
                if call is not None and call.type == "call_expression" and function is not None and \
                        function.end_byte - function.start_byte <= 120:
                    self._by_callee.setdefault(text(function), []).append(call)
        found = self._by_callee.get(callee, [])
        if within is None:
            return found[:50]
        starts = self._callee_starts.get(callee)
        if starts is None:
            starts = self._callee_starts[callee] = [c.start_byte for c in found]
        first = bisect.bisect_left(starts, within.start_byte)
        last = bisect.bisect_left(starts, within.end_byte)
        return found[first:min(last, first + 50)]

    def _grpc_clients(self) -> dict[str, tuple[tree_sitter.Node, Target]]:
        """`new XServiceClient('host:port', grpc.credentials.createInsecure())` bound to a name."""
        clients: dict[str, tuple[tree_sitter.Node, Target]] = {}
        for match in self.s.calls:
            node = match.one("call")
            if node is None or node.type != "new_expression":
                continue
            args = _args(node)
            if len(args) < 2 or not (_GRPC_CREDENTIALS.search(text(args[1])[:300]) or self._credentials(args[1])):
                continue
            parent = node.parent
            for _ in range(3):
                if parent is None or parent.type not in _WRAPPERS:
                    break
                parent = parent.parent
            key = None
            if parent is not None and parent.type == "variable_declarator":
                key = self.s.key(parent.child_by_field_name("name"))
            elif parent is not None and parent.type == "assignment_expression":
                key = self.s.key(parent.child_by_field_name("left"))
            elif parent is not None and parent.type in ("public_field_definition", "field_definition"):
                name = parent.child_by_field_name("name") or parent.child_by_field_name("property")
                key = "this." + text(name) if name is not None else None
            clients[key or f"<new@{node.start_byte}>"] = (node, self.s.target(args[0]))
        return clients

    def _credentials(self, node: tree_sitter.Node) -> bool:
        resolved = _unwrap(self.s.resolve(node)) if _kind(node) == "identifier" else None
        return resolved is not None and bool(_GRPC_CREDENTIALS.search(text(resolved)[:300]))

    def _grpc_call(self, call: tree_sitter.Node, client: tuple[tree_sitter.Node, Target]) -> Call:
        bounds: list[Bound] = []
        args = _args(call)
        for arg in args:
            if arg.type == "spread_element":
                bounds.append(Bound("deferred", line(call), "forwarded options"))
                continue
            obj = self.s.object(arg)
            deadline = _pair(obj, "deadline")
            if deadline is not None and not _disabled(deadline[1]):
                bounds.append(Bound("timeout", line(deadline[0]), "deadline"))
            parent = _pair(obj, "parent")  # {parent: call}: the incoming call's deadline propagates
            if parent is not None and deadline is None:
                bounds.append(Bound("timeout", line(parent[0]), "deadline propagated from the parent call"))
        return Call(line(call), "grpc", client[1], tuple(bounds), "grpc")

    # -- handlers and the same-file call graph -----------------------------------------------------------
    def _handlers(self) -> None:
        s = self.s
        for match in s.by_fact["handlers"]:
            route, method_def, export = match.one("route"), match.one("method"), match.one("export")
            server = match.one("server")
            if server is not None:  # http.createServer((req, res) => …): Node's own request handler
                package, _ = s.qualify(server.child_by_field_name("function"))
                if package in ("http", "https", "http2"):
                    functions = [a for a in _args(server) if _kind(a) in _FUNCTIONS or _kind(a) == "identifier"]
                    if functions:
                        self._handler(functions[-1], "node-http", "ANY", "")
            elif route is not None:
                self._route(match, route)
            elif method_def is not None:
                self._nest(method_def)
            elif export is not None:
                self._exported(export, match)

    def _framework(self, receiver: tree_sitter.Node) -> str:
        s = self.s
        receiver_node = _unwrap(receiver)
        for _ in range(4):  # router.route('/x').get(...) → router
            if receiver_node is None or receiver_node.type != "call_expression":
                break
            function = receiver_node.child_by_field_name("function")
            if function is None or function.type != "member_expression":
                break
            receiver_node = _unwrap(function.child_by_field_name("object"))
        value = _unwrap(s.resolve(receiver_node))
        if value is not None and value.type in ("call_expression", "new_expression"):
            callee = value.child_by_field_name("function") or value.child_by_field_name("constructor")
            framework = _ROUTER_FACTORIES.get(s.qualify(callee))
            if framework is not None:
                return framework
        local = value is not None and value.type == "call_expression" and s.qualify(value)[0].startswith(".")
        if value is not None and not local:
            return ""
        name = text(receiver_node).removeprefix("this.")
        local = local or s.imports.get(name, ("", ""))[0].startswith(".")  # const app = require('./app')
        if name in _ROUTER_NAMES or s.is_param(receiver_node):
            for spec, _ in s.import_specs:
                if _package(spec) in _FRAMEWORK_PACKAGES:
                    return _FRAMEWORK_PACKAGES[_package(spec)]
            if name in _ROUTER_NAMES and (local or s.is_param(receiver_node)):
                return "express"  # an app or router passed in or imported by name (a name heuristic)
        return ""

    def _route(self, match: Match, route: tree_sitter.Node) -> None:
        receiver, method_node = match.one("receiver"), match.one("method")
        if receiver is None or method_node is None:
            return
        method = text(method_node)
        args = _args(route)
        if not args:
            return
        path = ""
        rest = args
        first = _unwrap(args[0])
        chained = _unwrap(receiver)
        if chained is not None and chained.type == "call_expression" and method != "route":  # router.route('/x').get
            inner = _args(chained)
            if not inner or inner[0].type != "string" or not _ROUTE_PATH.match(_string(inner[0])):
                return
            path = _string(inner[0])
        elif first is not None and first.type in ("string", "template_string"):
            path = self.s.value(first).template
            if not _ROUTE_PATH.match(path):
                return
            rest = args[1:]
        elif method == "route" and first is not None and first.type in ("object", "array"):
            pass
        elif method != "use":
            return
        framework = self._framework(receiver)
        if not framework:
            return
        if method == "route" and first is not None and first.type in ("object", "array"):
            # fastify.route({method, url, handler}); hapi server.route({method, path, handler}) or a list of them
            for spec in (first.named_children[:500] if first.type == "array" else [first]):
                if spec.type != "object":
                    continue
                url = _pair(spec, "url") or _pair(spec, "path")
                verb = _pair(spec, "method")
                handler = _pair(spec, "handler")
                options = _pair(spec, "options") or _pair(spec, "config")  # hapi: options.handler
                if handler is None and options is not None and options[1].type == "object":
                    handler = _pair(options[1], "handler")
                if handler is None:
                    continue
                path = self.s.value(url[1]).template if url is not None else ""
                verb_text = (self.s.value(verb[1]).literal or "ANY") if verb is not None else "ANY"
                self._handler(handler[1], framework, verb_text.upper(), path)
            return
        for arg in rest:
            self._handler(arg, framework, method.upper(), path)

    def _handler(self, given: tree_sitter.Node | None, framework: str, verb: str, path: str) -> None:
        node = _unwrap(given)
        for _ in range(3):  # asyncHandler(async (req, res) => …)
            if node is None or node.type != "call_expression":
                break
            inner = [a for a in _args(node) if _kind(a) in _FUNCTIONS or _kind(a) == "identifier"]
            node = _unwrap(inner[-1]) if inner else None
        if node is None:
            return
        if node.type in _FUNCTIONS:
            named = self.s.functions.get(node.id) if node.id not in self.s.pair_named else None
            name = named or (f"<route {verb} {path}>" if path else f"<route {verb}>")
            self.s.functions[node.id] = name
            self.found.handlers.append(Handler(line(node), name, framework))
        elif node.type == "identifier" and text(node) in self.s.function_nodes:
            self.found.handlers.append(Handler(line(node), text(node), framework))
        elif node.type == "member_expression":
            name = text(node.child_by_field_name("property"))
            if name in self.s.function_nodes:
                self.found.handlers.append(Handler(line(node), name, framework))

    def _nest(self, method: tree_sitter.Node) -> None:
        decorators = [c for c in method.named_children if c.type == "decorator"]
        sibling = method.prev_named_sibling
        for _ in range(16):
            if sibling is None or sibling.type != "decorator":
                break
            decorators.append(sibling)
            sibling = sibling.prev_named_sibling
        names = {_decorator_name(d) for d in decorators}
        if not names & _NEST_ROUTES:
            return
        if not self._nest_class(method) and not any(_package(spec).startswith("@nestjs/")
                                                     for spec, _ in self.s.import_specs):
            return
        name = text(method.child_by_field_name("name"))
        self.found.handlers.append(Handler(line(method), name, "nestjs"))
        self.s.functions[method.id] = name

    def _nest_class(self, method: tree_sitter.Node) -> bool:
        for parent in ancestors(method, 4):
            if parent.type in ("class_declaration", "export_statement", "class") and any(
                    _decorator_name(d) in _NEST_CLASSES for d in parent.named_children if d.type == "decorator"):
                return True
        return False

    def _exported(self, export: tree_sitter.Node, match: Match) -> None:
        """Next.js API routes (`export default function handler(req, res)` under pages/api, `export async
        function GET()` in app/**/route.ts) and AWS Lambda handlers (`exports.handler = async (event) => …`)."""
        s = self.s
        if export.type == "assignment_expression":
            name_node, value = match.one("name"), match.one("value")
            if name_node is None or value is None:
                return
            if text_in(name_node, ("exports.handler", "module.exports.handler")):
                self._mark(value, "handler", "lambda")
            return
        default = any(c.type == "default" for c in export.children)
        declaration = export.child_by_field_name("declaration") or export.child_by_field_name("value")
        functions: list[tuple[str, tree_sitter.Node]] = []
        if declaration is not None and declaration.type in _FUNCTIONS | {"function_declaration"}:
            named = declaration.child_by_field_name("name")
            functions.append((text(named) if named is not None else "default", declaration))
        elif declaration is not None and declaration.type == "lexical_declaration":
            for declarator in declaration.named_children:
                value = _unwrap(declarator.child_by_field_name("value"))
                if value is not None and value.type in _FUNCTIONS:
                    functions.append((text(declarator.child_by_field_name("name")), value))
        path = s.path.replace("\\", "/")
        next_pages = "pages/api/" in path  # not pages or layouts (`export default function RootLayout`)
        route_file = bool(re.search(r"(^|/)app/(.+/)?route\.[cm]?[jt]sx?$", path))
        for name, node in functions:
            params = node.child_by_field_name("parameters")
            param_text = text(params) if params is not None else ""
            if default and (next_pages or "NextApiRequest" in param_text):
                self._mark(node, name if name != "default" else "<route default export>", "nextjs")
            elif name in _NEXT_METHODS and (route_file or re.search(r"\b(Next)?Request\b", param_text)):
                self._mark(node, name, "nextjs")
            elif name == "handler" and re.search(r"\bevent\b", param_text):
                self._mark(node, name, "lambda")

    def _mark(self, given: tree_sitter.Node | None, name: str, framework: str) -> None:
        node = _unwrap(given)
        if node is None:
            return
        name = self.s.functions.get(node.id) or name
        self.s.functions[node.id] = name
        self.found.handlers.append(Handler(line(node), name, framework))

    def _callees(self) -> None:
        """function → the same-file functions it calls (`helper()`, `this.helper()`)."""
        for match in self.s.calls:
            call = match.one("call")
            if call is None or call.type != "call_expression":
                continue
            function = _unwrap(call.child_by_field_name("function"))
            if function is None:
                continue
            if function.type == "identifier":
                callee = text(function)
            elif function.type == "member_expression" and text_in(function.child_by_field_name("object"), ("this",)):
                callee = text(function.child_by_field_name("property"))
            else:
                continue
            if callee not in self.s.function_nodes:
                continue
            caller = self.s.function_name(call)
            if caller and caller != callee:
                self.found.callees.setdefault(caller, set()).add(callee)

    # -- database connections -----------------------------------------------------------------------------
    def _connects(self) -> None:
        s = self.s
        handlers = {h.function for h in self.found.handlers}
        per_request = per_request_functions(self.found)
        for match in _matches(s.language, "connects", s.root):
            node, function = match.one("connect"), match.one("function")
            if node is None or function is None:
                continue
            known = _CONNECTS.get(s.qualify(function))
            if known is None:
                continue
            library, datastore, pooled, pool_keys = known
            args = _args(node)
            objects = [o for o in (s.object(a) for a in args) if o is not None]
            pool_max, pool_line = None, 0
            for key in pool_keys:
                for obj in objects:
                    current: tree_sitter.Node | None = obj
                    pair = None
                    for part in key.split("."):
                        pair = _pair(current, part)
                        current = _unwrap(pair[1]) if pair is not None else None
                    if pair is not None:
                        pool_max, pool_line = _int(pair[1]), line(pair[0])
                        break
                if pool_line:
                    break
            target = Target()
            for arg in args:  # a URL (`new Pool(url)`, `mongoose.connect(uri)`): not Sequelize's database name
                if _kind(arg) not in ("object", ""):
                    stated = s.target(arg)
                    if "://" in stated.url or "://" in stated.default or (stated.env and not stated.url):
                        target = stated
                    break
            for obj in objects:
                for key in ("connectionString", "connection", "url", "uri", "host"):
                    pair = _pair(obj, key)
                    if pair is not None and target == Target():
                        target = s.target(pair[1])
            if not datastore:
                datastore = self._datastore(objects, target) or self._prisma_adapter(library)
            name = s.function_name(node)
            in_handler = False
            if self._stored_outside(node):
                name = ""  # a lazily made singleton (`pool ??= new Pool()`, `this.pool = …`): not per call
            elif name in handlers:
                in_handler, pooled = True, False
            elif name in per_request:
                pooled = False  # a pool or client made per request by a helper the handler calls
            self.found.connects.append(Connect(line(node), library, datastore, pooled, pool_max if pooled else None,
                                               pool_line if pooled else 0, name, in_handler, target))

    def _extended_clients(self) -> None:
        """`class PrismaService extends PrismaClient` (NestJS): one client per provider, made once."""
        for declaration, name in self.s.extends:
            base = self.s.imports.get(name.split(".")[0])
            if base is not None and (base[0], ".".join(filter(None, (base[1], *name.split(".")[1:])))) == (
                    "@prisma/client", "PrismaClient"):
                self.found.connects.append(Connect(line(declaration), "prisma", self._prisma_adapter("prisma"), True))

    def _prisma_adapter(self, library: str) -> str:
        """Prisma's datastore from its driver adapter's package (@prisma/adapter-pg, -mariadb, -mssql, …)."""
        if library != "prisma":
            return ""
        for spec, _ in self.s.import_specs:
            if spec.startswith("@prisma/adapter-"):
                return _PRISMA_ADAPTERS.get(spec.removeprefix("@prisma/adapter-"), "")
        return ""

    def _datastore(self, objects: list[tree_sitter.Node], target: Target) -> str:
        for obj in objects:
            for key in ("client", "dialect", "type", "provider"):
                pair = _pair(obj, key)
                if pair is not None:
                    value = self.s.value(pair[1]).literal
                    if value and value.lower() in _DATASTORES:
                        return _DATASTORES[value.lower()]
        scheme = (target.url or target.default).split("://", 1)[0].lower()
        return _DATASTORES.get(scheme, "")

    def _stored_outside(self, node: tree_sitter.Node) -> bool:
        """Whether a made connection is kept beyond the call: assigned to a module-level variable, a property
        (`this.pool`, `global.prisma`), or a class field."""
        s = self.s
        current = node
        for _ in range(6):
            parent = current.parent
            if parent is None:
                return False
            if parent.type in _WRAPPERS or parent.type in ("binary_expression", "ternary_expression"):
                if parent.type == "binary_expression" and re.search(r"\b(global|globalThis)\.", text(parent)[:300]):
                    return True
                current = parent
                continue
            if parent.type in ("assignment_expression", "augmented_assignment_expression"):
                left = _unwrap(parent.child_by_field_name("left"))
                if left is None:
                    return False
                if left.type == "member_expression":
                    return True
                return left.type == "identifier" and text(left) in s.module_names()
            return parent.type in ("field_definition", "public_field_definition")
        return False

    # -- sessions -------------------------------------------------------------------------------------------
    def _sessions(self) -> None:
        s = self.s
        for match in _matches(s.language, "sessions", s.root):
            node, function = match.one("session"), match.one("function")
            if node is None or function is None:
                continue
            package, path = s.qualify(function)
            args = _args(node)
            if path.endswith("register") and args:  # fastify.register(fastifySession, {...})
                package, path = s.qualify(args[0])
                args = args[1:]
            known = _SESSION_MIDDLEWARE.get(package)
            if known is None or path not in ("", "default", "session"):
                continue
            framework, default_store = known
            options = next((o for o in (s.object(a) for a in args) if o is not None), None)
            if options is None and args and not (framework.startswith("koa") and len(args) == 1):
                continue  # options from elsewhere (koa-session's only argument is the app): the store is not shown
            store = _pair(options, "store")
            if store is None:
                if _spread(options):
                    continue
                self.found.sessions.append(Session(line(node), framework, default_store))
                continue
            kind = self._store_kind(store[1])
            if kind:
                self.found.sessions.append(Session(line(store[0]), framework, kind))

    def _store_kind(self, node: tree_sitter.Node) -> str:
        s = self.s
        for _ in range(3):
            current = _unwrap(node)
            if current is None:
                return ""
            if current.type in ("new_expression", "call_expression"):
                callee = current.child_by_field_name("constructor") or current.child_by_field_name("function")
                package, path = s.qualify(callee)
                if package in _SESSION_STORES:
                    return _SESSION_STORES[package]
                if package in ("express-session", "koa-session") and "MemoryStore" in path:
                    return "memory"
                return ""
            if current.type in ("identifier", "shorthand_property_identifier", "member_expression"):
                resolved = s.resolve(current)
                if resolved is None:
                    return ""
                node = resolved
                continue
            return ""
        return ""

    # -- tracing --------------------------------------------------------------------------------------------
    def _tracing(self) -> None:
        s = self.s
        for spec, at in s.import_specs:
            known = _TRACING_IMPORTS.get(spec.strip().removeprefix("node:"))
            if known is not None:
                self.found.tracing.append(Tracing(at, *known))
        for match in _matches(s.language, "tracing", s.root):
            node, function = match.one("tracing"), match.one("function")
            if node is None or function is None:
                continue
            package, path = s.qualify(function)
            if not package:
                continue
            known = _TRACING_CALLS.get((package, path))
            if known is None and package == "applicationinsights" and path.endswith("start"):
                known = ("applicationinsights", "sdk")  # appInsights.setup(...)....start()
            if known is None and node.type == "new_expression" and package.startswith("@opentelemetry/exporter-"):
                known = ("otel", "exporter")
            if known is None and package.startswith("aws-xray-sdk") and path.endswith("captureHTTPsGlobal"):
                known = ("xray", "auto")
            if known is None and package in _SENTRY_PACKAGES and path == "init":
                options = s.object(_args(node)[0]) if _args(node) else None
                rate = _pair(options, "tracesSampleRate") or _pair(options, "tracesSampler")
                if rate is not None and not _disabled(rate[1]):
                    known = ("sentry", "sdk")
            if known is not None:
                self.found.tracing.append(Tracing(line(node), *known))


def _decorator_name(node: tree_sitter.Node) -> str:
    inner = node.named_children[0] if node.named_children else None
    if inner is not None and inner.type == "call_expression":
        inner = inner.child_by_field_name("function")
    if inner is not None and inner.type == "member_expression":
        inner = inner.child_by_field_name("property")
    return text(inner)
