"""Java source → code facts (see auditor/code/facts.py): Spring first, then plain Java.

Calls: RestTemplate, WebClient, RestClient, OpenFeign / Micronaut / MicroProfile declarative clients, OkHttp,
Apache HttpClient, java.net.http, `URL.openConnection`, gRPC channels. What bounds a call is read from the
client object actually used (followed through fields, locals, same-file `@Bean` methods and the builders and
request factories passed into it), from the request (java.net.http, Apache `setConfig`), from the reactive chain
(`.timeout(…)`), and from resilience annotations or wrappers around the call. A client whose construction this
file does not show (injected, passed in) is decided elsewhere: the call is kept (it is an edge) with a `deferred`
bound saying why, never reported as unbounded on a guess.

Connections: JDBC `DriverManager`, HikariCP, `DataSourceBuilder`, DBCP2, c3p0, non-pooling DataSources, MongoDB,
Jedis, Lettuce. Handlers: Spring MVC/WebFlux controllers, Micronaut controllers, JAX-RS resources, servlets.
Sessions: `HttpSession`/`WebSession` use and Spring Session stores. Tracing: SDKs built in code.

Every walk is bounded (ancestor walks by syntax.ancestors, expression tracing by depth and a per-file budget),
so a hostile file yields fewer facts, never an exception or a deep recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from auditor.code.facts import (
    Bean,
    Bound,
    Call,
    ClassDecl,
    Connect,
    Extracted,
    Handler,
    Session,
    Target,
    Tracing,
    per_request_functions,
)
from auditor.code.syntax import SOURCE, Enclosing, Match, ancestors, line, matches_of, text
from auditor.parsers.numbers import digits

# --- knowledge -------------------------------------------------------------------------------------------------

# RestTemplate's request methods (org.springframework.web.client.RestOperations).
_REST_TEMPLATE_METHODS = frozenset({
    "getForObject", "getForEntity", "postForObject", "postForEntity", "postForLocation", "put", "patchForObject",
    "delete", "exchange", "execute", "headForHeaders", "optionsForAllow"})
# WebClient / RestClient: the method that starts a request spec.
_SPEC_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "method"})
# Call-site methods per client kind.
_CALL_METHODS: dict[str, frozenset[str]] = {
    "RestTemplate": _REST_TEMPLATE_METHODS,
    "WebClient": _SPEC_METHODS,
    "RestClient": _SPEC_METHODS,
    "OkHttp": frozenset({"newCall"}),
    "Apache": frozenset({"execute"}),
    "ApacheFluent": frozenset({"execute"}),
    "JdkHttp": frozenset({"send", "sendAsync"}),
    "URL": frozenset({"openConnection", "openStream"}),
    "JaxRs": frozenset({"target"}),
    "Vertx": frozenset({"get", "post", "put", "patch", "delete", "head", "getAbs", "postAbs", "putAbs", "patchAbs",
                        "deleteAbs", "headAbs", "request", "requestAbs"}),
}
# Methods that send a request or read a response: they never configure the object they are called on.
_SENDING = frozenset().union(*_CALL_METHODS.values()) - {"method", "options"}
# The client name a Call reports per kind.
_CLIENT_NAMES = {"RestTemplate": "RestTemplate", "WebClient": "WebClient", "RestClient": "RestClient",
                 "OkHttp": "okhttp", "Apache": "apache-httpclient", "ApacheFluent": "apache-httpclient",
                 "JdkHttp": "java.net.http", "URL": "HttpURLConnection", "Vertx": "vertx-web-client",
                 "JaxRs": "jax-rs-client"}
# Declared type → client kind ("X.Builder" builds an X).
_TYPE_KINDS = {
    "RestTemplate": "RestTemplate", "RestOperations": "RestTemplate", "OAuth2RestTemplate": "RestTemplate",
    "OAuth2RestOperations": "RestTemplate", "RestTemplateBuilder": "RestTemplate.Builder",
    "WebClient": "WebClient", "WebClient.Builder": "WebClient.Builder",
    "RestClient": "RestClient", "RestClient.Builder": "RestClient.Builder",
    "OkHttpClient": "OkHttp", "OkHttpClient.Builder": "OkHttp.Builder",
    "CloseableHttpClient": "Apache", "CloseableHttpAsyncClient": "Apache", "HttpAsyncClient": "Apache",
    "HttpClientBuilder": "Apache.Builder", "URL": "URL", "URI": "URI", "HttpClient.Builder": "JdkHttp.Builder",
}
# `HttpClient` is three different classes; the import says which.
_HTTP_CLIENT_PACKAGES = {"java.net.http": "JdkHttp", "org.apache.http.client": "Apache",
                         "org.apache.hc.client5.http.classic": "Apache", "org.apache.hc.client5.http.async": "Apache",
                         "reactor.netty.http.client": "ReactorNetty"}
# `new T(…)` → kind.
_NEW_KINDS = {"RestTemplate": "RestTemplate", "RestTemplateBuilder": "RestTemplate.Builder", "OkHttpClient": "OkHttp",
              "OkHttpClient.Builder": "OkHttp.Builder", "URL": "URL", "URI": "URI"}
# `Class.method(…)` at the root of a chain → kind.
_STATIC_KINDS = {
    ("WebClient", "create"): "WebClient", ("WebClient", "builder"): "WebClient.Builder",
    ("RestClient", "create"): "RestClient", ("RestClient", "builder"): "RestClient.Builder",
    ("HttpClient", "newHttpClient"): "JdkHttp", ("HttpClient", "newBuilder"): "JdkHttp.Builder",
    ("HttpClient", "create"): "ReactorNetty",
    ("HttpClients", "createDefault"): "Apache", ("HttpClients", "createSystem"): "Apache",
    ("HttpClients", "createMinimal"): "Apache", ("HttpClients", "custom"): "Apache.Builder",
    ("HttpClientBuilder", "create"): "Apache.Builder", ("HttpAsyncClients", "createDefault"): "Apache",
    ("HttpAsyncClients", "custom"): "Apache.Builder",
    ("URI", "create"): "URI",
    ("ClientBuilder", "newClient"): "JaxRs", ("ClientBuilder", "newBuilder"): "JaxRs.Builder",
    ("Request", "Get"): "ApacheFluent", ("Request", "Post"): "ApacheFluent", ("Request", "Put"): "ApacheFluent",
    ("Request", "Delete"): "ApacheFluent", ("Request", "Patch"): "ApacheFluent", ("Request", "Head"): "ApacheFluent",
}
# Methods whose arguments configure the client being built (their timeouts are the client's).
_CONFIG_ARG_METHODS = frozenset({"withConfig", "setPoolProperties",
    "requestFactory", "setRequestFactory", "clientConnector", "setDefaultRequestConfig", "setConfig",
    "setConnectionManager", "setDefaultConnectionConfig", "setDefaultSocketConfig", "httpClient", "setHttpClient",
    "customizers", "additionalCustomizers", "requestFactorySettings", "apply", "exchangeFunction", "connector",
    "doOnConnected", "tcpConfiguration", "option", "requestConfig", "defaultRequestConfig", "withClientConnector"})
# Classes whose constructor arguments configure the client (request factories, connectors).
_FACTORY_TYPES = frozenset({
    "RestTemplate", "ReactorClientHttpConnector", "HttpComponentsClientHttpRequestFactory",
    "SimpleClientHttpRequestFactory", "OkHttp3ClientHttpRequestFactory", "JdkClientHttpRequestFactory",
    "JettyClientHttpRequestFactory", "BufferingClientHttpRequestFactory", "ReactorNettyClientRequestFactory",
    "ReactorClientHttpRequestFactory", "JdkClientHttpConnector", "HttpComponentsClientHttpConnector",
    "PoolingHttpClientConnectionManager"})
# Builders that return a new object from each setter: a setter whose result is dropped changes nothing.
_IMMUTABLE_TYPES = frozenset({"RestTemplateBuilder", "ClientHttpRequestFactorySettings", "HttpClientSettings",
                              "ReactorNetty"})
# Setters that bound how long a call may take (read, response, whole call) vs. only the connect phase.
_READ_TIMEOUTS = frozenset({
    "setReadTimeout", "readTimeout", "setSocketTimeout", "socketTimeout", "setResponseTimeout", "responseTimeout",
    "callTimeout", "withReadTimeout", "new ReadTimeoutHandler", "timeout", "setSoTimeout", "setIdleTimeout",
    "setReadIdleTimeout"})
_CONNECT_TIMEOUTS = frozenset({"setConnectTimeout", "connectTimeout", "withConnectTimeout", "CONNECT_TIMEOUT_MILLIS"})
_ZERO = re.compile(r"^\s*(?:0+[lL]?|-1[lL]?|Duration\.ZERO|Timeout\.(?:DISABLED|INFINITE)|"
                   r"Duration\.of\w+\(\s*0+[lL]?\s*\)|Timeout\.of\w+\(\s*0+[lL]?\s*\))\s*(?:,.*)?$", re.S)
# Library defaults that bound a call (checked against each library's documentation).
# (detail, the seconds a call may take: the read or whole-call figure)
_DEFAULT_TIMEOUTS = {
    "okhttp": ("OkHttp default: 10 s connect/read/write", 10.0),  # okhttp3.OkHttpClient.Builder
    "feign": ("Feign default: 10 s connect, 60 s read", 60.0),  # feign.Request.Options()
    "micronaut": ("Micronaut HTTP client default: 10 s read", 10.0),  # micronaut.http.client.read-timeout
    "microprofile-rest-client": ("Quarkus REST client default: 15 s connect, 30 s read", 30.0),  # quarkus.rest-client
    "hystrix": ("Hystrix default: 1 s command timeout", 1.0),  # execution.isolation.thread.timeoutInMilliseconds
}
# Resilience annotations on the calling method or class → bound kinds.
_ANNOTATION_BOUNDS = {"CircuitBreaker": ("circuit_breaker",), "Retry": ("retry",), "Retryable": ("retry",),
                      "TimeLimiter": ("timeout",), "Timeout": ("timeout",),
                      "HystrixCommand": ("circuit_breaker", "default_timeout")}
# Wrapper objects whose callbacks run the call: type → bound kind.
_WRAPPER_TYPES = {"CircuitBreaker": "circuit_breaker", "ReactiveCircuitBreaker": "circuit_breaker",
                  "CircuitBreakerFactory": "circuit_breaker", "ReactiveCircuitBreakerFactory": "circuit_breaker",
                  "Resilience4JCircuitBreakerFactory": "circuit_breaker",
                  "ReactiveResilience4JCircuitBreakerFactory": "circuit_breaker",
                  "Retry": "retry", "RetryTemplate": "retry", "RetryPolicy": "retry", "TimeLimiter": "timeout",
                  "Timeout": "timeout"}
_WRAPPER_METHODS = frozenset({
    "run", "executeSupplier", "executeCallable", "executeRunnable", "executeCheckedSupplier",
    "executeCompletionStage", "decorateSupplier", "decorateCallable", "decorateCheckedSupplier", "decorateFunction",
    "decorateRunnable", "decorateCompletionStage", "decorateFuture", "execute", "get", "getAsync"})
_CHAIN_BOUNDS = {"timeout": "timeout", "retry": "retry", "retryWhen": "retry", "withCircuitBreaker": "circuit_breaker",
                 "withRetry": "retry", "withTimeLimiter": "timeout"}
_OPERATOR_BOUNDS = {"CircuitBreakerOperator": "circuit_breaker", "RetryOperator": "retry",
                    "TimeLimiterOperator": "timeout"}
# Declarative client annotations → (client, the package its import must come from).
_DECLARATIVE = {"FeignClient": ("feign", ""), "Client": ("micronaut", "io.micronaut"),
                "RegisterRestClient": ("microprofile-rest-client", "org.eclipse.microprofile.rest.client")}
_DECLARED_CALL_ANNOTATIONS = frozenset({
    "GetMapping", "PostMapping", "PutMapping", "DeleteMapping", "PatchMapping", "RequestMapping", "RequestLine",
    "Get", "Post", "Put", "Delete", "Patch", "Head", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
# A receiver that is itself a call can be a client only when that call returns one.
_RETURNS_CLIENT = frozenset({"build", "create", "createDefault", "createSystem", "createMinimal", "newHttpClient",
                             "toURL", "mutate", "newClient"})
# `@Override` methods of a controller that are not its API (Object's and lifecycle methods).
_NOT_HANDLERS = frozenset({"toString", "equals", "hashCode", "afterPropertiesSet", "destroy", "run", "close",
                           "setApplicationContext", "init"})
_GRPC_BUILDERS = frozenset({"ManagedChannelBuilder", "NettyChannelBuilder", "OkHttpChannelBuilder", "Grpc"})
# JDBC URL scheme → datastore (the vocabulary of facts.Connect).
_JDBC_STORES = {"postgresql": "postgres", "pgsql": "postgres", "mysql": "mysql", "mariadb": "mysql",
                "sqlserver": "sqlserver", "jtds": "sqlserver", "oracle": "oracle", "sqlite": "sqlite"}
_DRIVER_STORES = {"org.postgresql": "postgres", "com.mysql": "mysql", "org.mariadb": "mysql",
                  "com.microsoft.sqlserver": "sqlserver", "oracle.jdbc": "oracle", "org.sqlite": "sqlite"}
_TYPED_STORES = {"PGSimpleDataSource": "postgres", "PGPoolingDataSource": "postgres", "MysqlDataSource": "mysql",
                 "SQLServerDataSource": "sqlserver", "MongoClient": "mongodb", "Jedis": "redis",
                 "JedisPool": "redis", "JedisPooled": "redis", "JedisCluster": "redis", "JedisSentinelPool": "redis",
                 "LettuceConnectionFactory": "redis", "JedisConnectionFactory": "redis"}
# Connection constructors → (library, pooled).
_CONNECT_TYPES = {
    "HikariDataSource": ("hikari", True), "BasicDataSource": ("dbcp2", True), "ComboPooledDataSource": ("c3p0", True),
    "PGPoolingDataSource": ("pgjdbc", True), "MongoClient": ("mongodb", True), "JedisPool": ("jedis", True),
    "JedisPooled": ("jedis", True), "JedisCluster": ("jedis", True), "JedisSentinelPool": ("jedis", True),
    "Jedis": ("jedis", False), "DriverManagerDataSource": ("DriverManagerDataSource", False),
    "SimpleDriverDataSource": ("SimpleDriverDataSource", False), "PGSimpleDataSource": ("pgjdbc", False),
    "MysqlDataSource": ("mysql-connector", False), "SQLServerDataSource": ("mssql-jdbc", False),
    "LettuceConnectionFactory": ("lettuce", True), "JedisConnectionFactory": ("jedis", True),
    "DataSource": ("tomcat-jdbc", True)}  # org.apache.tomcat.jdbc.pool.DataSource (import checked)
_POOL_SIZE_SETTERS = frozenset({"setMaximumPoolSize", "maximumPoolSize", "setMaxTotal", "setMaxPoolSize", "maxSize",
                                "setMaxConnections", "setMaxActive", "maxPoolSize"})
_URL_SETTERS = frozenset({"setJdbcUrl", "setUrl", "url", "setURL", "jdbcUrl"})
_DRIVER_SETTERS = frozenset({"setDriverClassName", "driverClassName", "setDataSourceClassName", "setDriverClass"})
_NON_POOLING = frozenset({"DriverManagerDataSource", "SimpleDriverDataSource"})
# Spring Session annotations → store; session-scoped state lives in the servlet container's memory.
_SESSION_STORES = {"EnableRedisHttpSession": "redis", "EnableRedisIndexedHttpSession": "redis",
                   "EnableRedisWebSession": "redis", "EnableJdbcHttpSession": "jdbc",
                   "EnableHazelcastHttpSession": "hazelcast", "EnableMongoHttpSession": "mongodb",
                   "EnableMongoWebSession": "mongodb"}
_REQUEST_TYPES = {"HttpServletRequest": "servlet", "ServletRequest": "servlet", "ServerWebExchange": "webflux"}
_REQUEST_NAMES = frozenset({"request", "req", "httprequest", "servletrequest", "httpservletrequest"})
# Tracing setup: (class, method) → (system, what, the import it needs ("" for a name no other library uses)).
_TRACING_CALLS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("OpenTelemetrySdk", "builder"): ("otel", "sdk", ""),
    ("SdkTracerProvider", "builder"): ("otel", "sdk", ""),
    ("AutoConfiguredOpenTelemetrySdk", "initialize"): ("otel", "sdk", ""),
    ("AutoConfiguredOpenTelemetrySdk", "builder"): ("otel", "sdk", ""),
    ("OtlpGrpcSpanExporter", "builder"): ("otel", "exporter", ""),
    ("OtlpGrpcSpanExporter", "getDefault"): ("otel", "exporter", ""),
    ("OtlpHttpSpanExporter", "builder"): ("otel", "exporter", ""),
    ("OtlpHttpSpanExporter", "getDefault"): ("otel", "exporter", ""),
    ("JaegerGrpcSpanExporter", "builder"): ("otel", "exporter", ""),
    ("ZipkinSpanExporter", "builder"): ("otel", "exporter", ""),
    ("Tracing", "newBuilder"): ("zipkin", "sdk", "brave"),
    ("AsyncZipkinSpanHandler", "create"): ("zipkin", "exporter", "zipkin2"),
    ("AsyncZipkinSpanHandler", "newBuilder"): ("zipkin", "exporter", "zipkin2"),
    ("AsyncReporter", "create"): ("zipkin", "exporter", "zipkin2"),
    ("AsyncReporter", "builder"): ("zipkin", "exporter", "zipkin2"),
    ("Configuration", "fromEnv"): ("jaeger", "sdk", "io.jaegertracing"),
    ("DDTracer", "builder"): ("datadog", "sdk", "datadog"),
    ("GlobalTracer", "register"): ("datadog", "sdk", "datadog"),
    ("GlobalTracer", "registerIfAbsent"): ("datadog", "sdk", "datadog"),
    ("ElasticApmAttacher", "attach"): ("elastic-apm", "agent", ""),
    ("Sentry", "init"): ("sentry", "sdk", "io.sentry"),
}
_TRACING_NEW = {"JaegerTracer.Builder": ("jaeger", "sdk", "io.jaegertracing"),
                "DDTracer": ("datadog", "sdk", "datadog"), "DDTracer.DDTracerBuilder": ("datadog", "sdk", "datadog")}
# OpenTelemetry library instrumentation of an HTTP/gRPC client: spans and trace headers on outbound calls.
_INSTRUMENTATION = frozenset({"OkHttpTelemetry", "SpringWebTelemetry", "SpringWebfluxTelemetry",
                              "JavaHttpClientTelemetry", "ApacheHttpClientTelemetry", "GrpcTelemetry"})

# Words a file must contain for a fact's queries to be worth running (a cheap test of the file's bytes).
_MARKERS: dict[str, tuple[bytes, ...]] = {
    "calls": (b"RestTemplate", b"RestOperations", b"WebClient", b"RestClient", b"OkHttpClient", b"HttpClient",
              b"URL", b"ChannelBuilder", b"Grpc", b"ClientBuilder", b"Request", b"Client"),
    "clients": (b"FeignClient", b"@Client", b"RegisterRestClient", b"@GrpcClient"),
    "connects": (b"DriverManager", b"DataSource", b"MongoClient", b"Jedis", b"RedisClient", b"Lettuce"),
    "handlers": (b"Controller", b"HttpServlet", b"@GET", b"@POST", b"@PUT", b"@DELETE", b"@PATCH", b"@HEAD",
                 b"@OPTIONS"),
    "sessions": (b"Session", b"session", b"SESSION"),
    "tracing": (b"Tracer", b"Tracing", b"Telemetry", b"Sentry", b"ElasticApm", b"SpanExporter", b"ZipkinSpanHandler",
                b"AsyncReporter", b"fromEnv"),
}
_Queried = dict[str, list[Match]]  # each query's matches, by fact (`queries/java/<fact>.scm`)
_FUNCTIONS = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})
# Client kinds a `@Bean` method may build for other classes to inject (graph/code.py matches them by kind).
_BEAN_KINDS = frozenset({"RestTemplate", "RestTemplate.Builder", "WebClient", "WebClient.Builder", "RestClient",
                         "RestClient.Builder", "OkHttp", "OkHttp.Builder"})
_CLASS_BODIES = frozenset({"class_body", "interface_body", "enum_body"})
_CLASSES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"})
_VALUE_TYPES = frozenset({"String", "int", "long", "Integer", "Long", "boolean", "Boolean", "Duration", "URI",
                          "char", "double", "float", "short", "byte"})
# Calls that return the text (or the URI) of their receiver.
_SAME_TEXT = frozenset({"toString", "toURI", "toURL", "toUri", "toUriString", "trim", "encode", "build", "normalize",
                        "expand", "strip"})
_STRING_DEPTH = 12  # nested names and calls in one string
_USES = 64  # calls on one variable read for its configuration
_WRAPPER_DEPTH = 24  # levels from a call up to the wrapper whose callback makes it
_BUDGET = 20_000  # expression-tracing steps per file
_DEPTH = 8  # nested traces (a var's value, an argument, a bean's return)
_CHAIN = 64  # calls in one chain


# --- the file's declarations ---------------------------------------------------------------------------------

@dataclass(eq=False)
class _Var:
    """A field, local or parameter: its declared type, every value given to it, and the calls made on it."""

    name: str
    type: str
    package: str  # the package of a fully qualified type ("java.net.http"), else ""
    node: tree_sitter.Node
    kind: str  # field | local | param
    modifiers: tree_sitter.Node | None
    values: list[tree_sitter.Node] = field(default_factory=list)
    uses: list[tuple[str, tree_sitter.Node]] = field(default_factory=list)


@dataclass
class _Env:
    """A piece of a string read from the environment or configuration."""

    key: str
    default: str = ""


Piece = str | _Env | None  # literal text, an environment/config value, or unknown


@dataclass
class _Trace:
    """How an expression was built: its client kind, every method or constructor in its construction
    (`("setReadTimeout", node)`, `("new RestTemplate", node)`), what the file does not show, its base URL."""

    kind: str = ""
    steps: list[tuple[str, tree_sitter.Node]] = field(default_factory=list)
    unknown: str = ""
    base: list[Piece] | None = None
    origin: tree_sitter.Node | None = None
    unknown_line: int = 0  # where what is not shown comes in (the parameter, the injected field)
    injected: str = ""  # the client kind of the injected field or parameter that `unknown` is about

    def merge(self, other: _Trace, *, config: bool) -> None:
        self.steps.extend(other.steps)
        if config and other.unknown and not self.unknown:
            self.unknown = other.unknown
            self.unknown_line = other.unknown_line
            self.injected = other.injected


class _Scopes:
    """The file's methods and class bodies by byte range, with each one's enclosing scope: `chain(node)` is the
    scopes around a node, innermost first, found by bisection instead of walking up the tree."""

    def __init__(self, queried: _Queried) -> None:
        self.index = Enclosing([n for m in queried["scopes"]
                                for n in (m.one("function"), m.one("body")) if n is not None])

    def chain(self, node: tree_sitter.Node, limit: int = 256) -> list[tree_sitter.Node]:
        """The methods and class bodies that contain `node` (not `node` itself), innermost first."""
        return self.index.chain(node, limit)

    def function(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        """The method or constructor `node` is in (None at class level)."""
        for scope in self.chain(node):
            if scope.type in _FUNCTIONS:
                return scope
            if scope.type in _CLASS_BODIES:
                return None
        return None

    def class_body(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        for scope in self.chain(node):
            if scope.type in _CLASS_BODIES:
                return scope
        return None

    def function_name(self, node: tree_sitter.Node) -> str:
        function = self.function(node)
        return text(function.child_by_field_name("name")) if function is not None else ""


class _File:
    """One Java file's declarations, indexed once, and the tracing of expressions through them."""

    def __init__(self, queried: _Queried, scopes: _Scopes) -> None:
        self.scopes = scopes
        self.locals: dict[tuple[int, str], list[_Var]] = {}
        self.fields: dict[tuple[int, str], _Var] = {}
        self.constants: dict[str, list[_Var]] = {}  # static fields by name, any class of the file
        self.methods: dict[str, list[tree_sitter.Node]] = {}
        self.imports: list[str] = []
        self.passed: set[int] = set()  # ids of vars handed to another method as an argument
        self.budget = _BUDGET
        self._visiting: set[int] = set()
        self._traced: dict[int, _Trace] = {}  # var id → how it was built (the same for every use)
        found = queried["symbols"]
        for match in found:
            self._declare(match)
        for match in found:
            self._use(match)

    # indexing
    def _declare(self, match: Match) -> None:
        name_node = match.one("name")
        if name_node is None:
            return
        name = text(name_node)
        if (decl := match.one("field")) is not None:
            scope = self.scopes.class_body(decl)
            if scope is None:
                return
            var = self._var(name, match.one("type"), name_node.parent, "field", _modifiers(decl))
            if var.node is not None and (value := var.node.child_by_field_name("value")) is not None:
                var.values.append(value)
            self.fields[(scope.id, name)] = var
            modifiers = text(var.modifiers) if var.modifiers is not None else ""
            if "static" in modifiers.split():
                self.constants.setdefault(name, []).append(var)
        elif (decl := match.one("local")) is not None:
            scope = self.scopes.function(decl) or self.scopes.class_body(decl)
            if scope is None:
                return
            var = self._var(name, match.one("type"), name_node.parent, "local", _modifiers(decl))
            if var.node is not None and (value := var.node.child_by_field_name("value")) is not None:
                var.values.append(value)
            self.locals.setdefault((scope.id, name), []).append(var)
        elif (decl := match.one("param")) is not None:
            scope = self.scopes.function(decl)
            if scope is None:
                return
            var = self._var(name, match.one("type"), decl, "param", _modifiers(decl))
            self.locals.setdefault((scope.id, name), []).append(var)
        elif (decl := match.one("method_decl")) is not None:
            self.methods.setdefault(name, []).append(decl)

    def _var(self, name: str, type_node: tree_sitter.Node | None, node: tree_sitter.Node | None, kind: str,
             modifiers: tree_sitter.Node | None) -> _Var:
        simple, package = _type_name(type_node)
        return _Var(name, simple, package, node if node is not None else type_node, kind, modifiers)  # type: ignore[arg-type]

    def _use(self, match: Match) -> None:
        if (argument := match.one("argument")) is not None:
            var = self.resolve(text(argument), argument)
            if var is not None and text(match.one("helper")) in self.methods:
                self.passed.add(id(var))
            return
        if (imp := match.one("import")) is not None:
            self.imports.append(text(imp).removeprefix("import").strip().removeprefix("static ").rstrip(";").strip())
            return
        name_node = match.one("name")
        if name_node is None:
            return
        this_only = name_node.parent is not None and name_node.parent.type == "field_access"
        if (assign := match.one("assign")) is not None:
            var = self.resolve(text(name_node), assign, this_only=this_only)
            value = match.one("value")
            if var is not None and value is not None:
                var.values.append(value)
        elif (use := match.one("use")) is not None:
            var = self.resolve(text(name_node), use, this_only=this_only)
            method = match.one("method")
            if var is not None and method is not None:
                var.uses.append((text(method), use))

    def resolve(self, name: str, at: tree_sitter.Node, *, this_only: bool = False) -> _Var | None:
        """The declaration `name` refers to at `at`: the nearest local or parameter, else a field of an
        enclosing class."""
        for scope in self.scopes.chain(at):
            if scope.type in _FUNCTIONS:
                declared = None if this_only else self.locals.get((scope.id, name))
                if declared:
                    before = [v for v in declared if v.node is not None and v.node.start_byte <= at.start_byte]
                    return (before or declared)[-1]
            elif scope.type in _CLASS_BODIES:
                declared_field = self.fields.get((scope.id, name))
                if declared_field is not None:
                    return declared_field
                if this_only:
                    return None
                initializer_local = self.locals.get((scope.id, name))
                if initializer_local:
                    return initializer_local[-1]
        return None

    def kind_of_type(self, var: _Var) -> str:
        if var.type == "HttpClient":
            return self.http_client_kind(var.package)
        if var.type == "WebClient" and (var.package.startswith("io.vertx") or self.vertx_web_client()):
            return "Vertx"
        if var.type == "Client" and (self.imports_from("javax.ws.rs.client")
                                     or self.imports_from("jakarta.ws.rs.client")):
            return "JaxRs"
        return _TYPE_KINDS.get(var.type, "")

    def vertx_web_client(self) -> bool:
        """`WebClient` is Vert.x's when the file imports it from io.vertx."""
        return any(imp.startswith("io.vertx") and imp.endswith((".WebClient", ".client.*")) for imp in self.imports)

    def http_client_kind(self, package: str = "") -> str:
        for prefix, kind in _HTTP_CLIENT_PACKAGES.items():
            if package == prefix or any(imp in (f"{prefix}.HttpClient", f"{prefix}.*") for imp in self.imports):
                return kind
        return ""

    def imports_from(self, prefix: str) -> bool:
        return not prefix or any(imp.startswith(prefix) for imp in self.imports)

    # tracing
    def trace(self, node: tree_sitter.Node | None, depth: int = _DEPTH) -> _Trace:
        """How `node` was built, following its chain down to the root and the root's declaration."""
        result = _Trace()
        if node is None or depth <= 0 or self.budget <= 0:
            result.unknown = "too deep to follow"
            return result
        chain: list[tree_sitter.Node] = []
        current: tree_sitter.Node | None = node
        for _ in range(_CHAIN):
            self.budget -= 1
            if current is None:
                break
            if current.type in ("parenthesized_expression", "cast_expression"):
                current = current.child_by_field_name("value") or (current.named_children[-1]
                                                                   if current.named_children else None)
                continue
            if current.type == "method_invocation" and current.child_by_field_name("object") is not None:
                obj = current.child_by_field_name("object")
                if obj is not None and obj.type == "identifier" and self.resolve(text(obj), obj) is None and \
                        text(obj)[:1].isupper():
                    break  # `WebClient.builder()`: a static factory is the root
                chain.append(current)
                current = obj
                continue
            break
        if current is None:
            return result
        self._root(current, depth, result)
        for invocation in reversed(chain):
            name = text(invocation.child_by_field_name("name"))
            result.steps.append((name, invocation))
            result.kind = _transition(result.kind, name)
            args = invocation.child_by_field_name("arguments")
            if name in _CONFIG_ARG_METHODS and args is not None:
                for arg in args.named_children:
                    result.merge(self.trace_arg(arg, depth - 1), config=True)
            if name in ("baseUrl", "rootUri") and args is not None and args.named_children:
                result.base = self.pieces(args.named_children[0])
        return result

    def _root(self, root: tree_sitter.Node, depth: int, result: _Trace) -> None:
        result.origin = root
        if root.type == "method_invocation":  # a static factory or a same-file method
            obj = root.child_by_field_name("object")
            name = text(root.child_by_field_name("name"))
            args = root.child_by_field_name("arguments")
            result.steps.append((name, root))
            if obj is not None:
                cls = text(obj)
                result.kind = _STATIC_KINDS.get((cls, name), "")
                if cls == "WebClient" and name == "create" and self.vertx_web_client():
                    result.kind = "Vertx"
                if cls == "HttpClient" and result.kind:
                    imported = self.http_client_kind()
                    if imported and imported != result.kind.split(".")[0]:
                        result.kind = ""
                if cls == "Request" and not (self.imports_from("org.apache.http.client.fluent")
                                             or self.imports_from("org.apache.hc.client5.http.fluent")):
                    result.kind = ""
                if name == "create" and cls in ("WebClient", "RestClient") and args is not None \
                        and args.named_children:
                    result.base = self.pieces(args.named_children[0])
                if args is not None:
                    for arg in args.named_children:
                        result.merge(self.trace_arg(arg, depth - 1), config=False)
                return
            for method in self.methods.get(name, [])[:4]:  # a same-file method: what it returns
                simple, package = _type_name(method.child_by_field_name("type"))
                kind = self.http_client_kind(package) if simple == "HttpClient" else _TYPE_KINDS.get(simple, "")
                result.kind = result.kind or kind
                for returned in _returns(method):
                    result.merge(self.trace(returned, depth - 1), config=True)
            if not self.methods.get(name):
                result.unknown = f"{name}() is not in this file"
            return
        if root.type == "object_creation_expression":
            simple, _package = _type_name(root.child_by_field_name("type"))
            result.kind = _NEW_KINDS.get(simple, "")
            result.steps.append((f"new {simple}", root))
            args = root.child_by_field_name("arguments")
            if args is not None:
                for arg in args.named_children:
                    result.merge(self.trace_arg(arg, depth - 1), config=simple in _FACTORY_TYPES)
            return
        if root.type in ("identifier", "field_access"):
            if root.type == "field_access":
                obj = root.child_by_field_name("object")
                if obj is None or obj.type != "this":
                    return
                var = self.resolve(text(root.child_by_field_name("field")), root, this_only=True)
            else:
                var = self.resolve(text(root), root)
            if var is None:
                result.unknown = f"{text(root)} is not declared in this file"
                return
            self._trace_var(var, depth, result)

    def _trace_var(self, var: _Var, depth: int, result: _Trace) -> None:
        cached = self._traced.get(id(var))
        if cached is None:
            cached = _Trace()
            self._trace_var_once(var, depth, cached)
            if id(var) not in self._visiting:
                self._traced[id(var)] = cached
        result.kind = cached.kind
        result.origin = cached.origin
        result.merge(cached, config=True)
        if cached.base is not None and result.base is None:
            result.base = cached.base

    def _trace_var_once(self, var: _Var, depth: int, result: _Trace) -> None:
        """How a variable's value was built: its declared type, its values, and the calls made on it that can
        configure it (not the requests sent with it)."""
        result.kind = self.kind_of_type(var)
        result.origin = var.node
        if id(var) in self._visiting:
            result.unknown = f"{var.name} is built from itself"
            return
        self._visiting.add(id(var))
        try:
            immutable = var.type in _IMMUTABLE_TYPES or self.kind_of_type(var) == "ReactorNetty"
            configuring = [(name, use) for name, use in var.uses if name not in _SENDING][:_USES]
            for name, use in configuring:
                if immutable and use.parent is not None and use.parent.type == "expression_statement":
                    continue  # `builder.setReadTimeout(d);` on an immutable builder: the new builder is dropped
                result.steps.append((name, use))
                args = use.child_by_field_name("arguments")
                if name in _CONFIG_ARG_METHODS and args is not None:
                    for arg in args.named_children:
                        result.merge(self.trace_arg(arg, depth - 1), config=True)
            values = var.values
            if not values and var.kind == "field":
                values = [r for method in self._beans(var) for r in _returns(method)]
            if not values:
                where = "passed in" if var.kind == "param" else "injected"
                result.unknown = f"{var.name} is {where}; built elsewhere"
                result.unknown_line = line(var.node)
                result.injected = self.kind_of_type(var)
                return
            for value in values[:4]:
                sub = self.trace(value, depth - 1)
                result.merge(sub, config=True)
                result.kind = result.kind or sub.kind
                if sub.base is not None and result.base is None:
                    result.base = sub.base
            if id(var) in self.passed and not result.unknown:
                result.unknown = f"{var.name} is handed to another method"
                result.unknown_line = line(var.node)
        finally:
            self._visiting.discard(id(var))

    def _beans(self, var: _Var) -> list[tree_sitter.Node]:
        """Same-file `@Bean` methods that return the type of an injected field."""
        found = []
        for methods in self.methods.values():
            for method in methods:
                if _type_name(method.child_by_field_name("type"))[0] != var.type:
                    continue
                if "Bean" in _annotation_names(_modifiers(method)):
                    found.append(method)
        return found[:4]

    def trace_arg(self, arg: tree_sitter.Node, depth: int) -> _Trace:
        """An argument that may configure a client: a builder, a factory, a config object, a lambda."""
        if arg.type == "lambda_expression":
            result = _Trace()
            body = arg.child_by_field_name("body")
            for name, node in _scan(body):
                result.steps.append((name, node))
            return result
        if arg.type == "identifier":
            var = self.resolve(text(arg), arg)
            if var is None or var.type in _VALUE_TYPES:
                return _Trace()
        if arg.type in ("identifier", "method_invocation", "object_creation_expression", "field_access",
                        "parenthesized_expression", "cast_expression"):
            return self.trace(arg, depth)
        return _Trace()

    # strings
    def pieces(self, node: tree_sitter.Node | None, depth: int = _STRING_DEPTH) -> list[Piece]:
        """A string expression as literal pieces, environment lookups and unknowns."""
        if node is None or depth <= 0 or self.budget <= 0:
            return [None]
        self.budget -= 1
        for _ in range(_CHAIN):  # `x.toString()`, `builder.build().expand(id).encode()`: the same text as `x`
            obj = node.child_by_field_name("object") if node.type == "method_invocation" else None
            if obj is None or text(node.child_by_field_name("name")) not in _SAME_TEXT:
                break
            node = obj
        kind = node.type
        if kind == "string_literal":
            return [_literal(node)]
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            # `a + b + c` nests to the left: walk that spine iteratively, so a long concatenation costs no depth
            rights: list[tree_sitter.Node | None] = []
            current: tree_sitter.Node | None = node
            for _ in range(256):
                if current is None or current.type != "binary_expression" or \
                        text(current.child_by_field_name("operator")) != "+":
                    break
                rights.append(current.child_by_field_name("right"))
                current = current.child_by_field_name("left")
            out = self.pieces(current, depth - 1)
            for right in reversed(rights):
                out += self.pieces(right, depth - 1)
            return out
        if kind == "parenthesized_expression":
            return self.pieces(node.named_children[0] if node.named_children else None, depth - 1)
        if kind in ("identifier", "field_access"):
            return self._name_pieces(node, depth)
        if kind == "object_creation_expression":
            simple, _ = _type_name(node.child_by_field_name("type"))
            args = node.child_by_field_name("arguments")
            if simple in ("URI", "URL", "HttpGet", "HttpPost", "HttpPut", "HttpDelete", "HttpPatch", "HttpHead",
                          "StringBuilder") and args is not None and args.named_children:
                joined: list[Piece] = []
                for arg in args.named_children[:2]:
                    joined += self.pieces(arg, depth - 1)
                return joined
            return [None]
        if kind == "method_invocation":
            return self._call_pieces(node, depth)
        return [None]

    def _name_pieces(self, node: tree_sitter.Node, depth: int) -> list[Piece]:
        if node.type == "field_access":
            obj = node.child_by_field_name("object")
            name = text(node.child_by_field_name("field"))
            if obj is not None and obj.type == "this":
                var = self.resolve(name, node, this_only=True)
            else:
                owners = self.constants.get(name, [])
                var = owners[0] if len(owners) == 1 else None
        else:
            var = self.resolve(text(node), node)
            if var is None:
                owners = self.constants.get(text(node), [])
                var = owners[0] if len(owners) == 1 else None
        if var is None:
            return [None]
        value = _annotation_string(var.modifiers, "Value")
        if value is not None:
            return _placeholders(value)
        if len(var.values) == 1 and id(var) not in self._visiting:
            self._visiting.add(id(var))
            try:
                return self.pieces(var.values[0], depth - 1)
            finally:
                self._visiting.discard(id(var))
        return [None]

    def _call_pieces(self, node: tree_sitter.Node, depth: int) -> list[Piece]:
        obj = node.child_by_field_name("object")
        name = text(node.child_by_field_name("name"))
        args_node = node.child_by_field_name("arguments")
        args = args_node.named_children if args_node is not None else []
        obj_text = text(obj) if obj is not None and obj.type == "identifier" else ""
        first = _literal(args[0]) if args and args[0].type == "string_literal" else None
        default = _literal(args[1]) if len(args) > 1 and args[1].type == "string_literal" else ""
        if obj_text == "System" and name in ("getenv", "getProperty") and first is not None:
            return [_Env(first, default)]
        if name in ("getProperty", "getRequiredProperty", "getOrDefault") and first is not None and obj is not None:
            if obj.type == "method_invocation" and text(obj) == "System.getenv()":
                return [_Env(first, default)]
            var = self.resolve(obj_text, obj) if obj_text else None
            if var is not None and var.type in ("Environment", "ConfigurableEnvironment", "PropertyResolver"):
                return [_Env(first, default)]
            return [None]
        if name in ("orElse", "orElseGet") and obj is not None and obj.type == "method_invocation" and \
                text(obj.child_by_field_name("name")) in ("ofNullable", "of"):
            inner_args = obj.child_by_field_name("arguments")
            inner: list[Piece] = self.pieces(inner_args.named_children[0], depth - 1) \
                if inner_args is not None and inner_args.named_children else [None]
            fallback = _literal(args[0]) if args and args[0].type == "string_literal" else ""
            if len(inner) == 1 and isinstance(inner[0], _Env) and not inner[0].default:
                return [_Env(inner[0].key, fallback)]
            return inner
        if (name == "format" and obj_text == "String" and args) or (name == "formatted" and obj is not None):
            fmt_node, values = (args[0], args[1:]) if name == "format" else (obj, args)
            fmt = self.pieces(fmt_node, depth - 1)
            if len(fmt) != 1 or not isinstance(fmt[0], str):
                return [None]
            out: list[Piece] = []
            parts = re.split(r"%[-#+ 0,(]*\d*(?:\.\d+)?[sdx]", fmt[0])
            for index, part in enumerate(parts):
                out.append(part)
                if index < len(parts) - 1:
                    out += self.pieces(values[index], depth - 1) if index < len(values) else [None]
            return out
        if name == "concat" and obj is not None and args:
            return self.pieces(obj, depth - 1) + self.pieces(args[0], depth - 1)
        if name in ("path", "pathSegment") and obj is not None and args:
            return self.pieces(obj, depth - 1) + self.pieces(args[0], depth - 1)
        if name in ("create", "fromHttpUrl", "fromUriString", "fromUri", "valueOf") and args:
            return self.pieces(args[0], depth - 1)
        return [None]


# --- helpers over nodes --------------------------------------------------------------------------------------

def _top_imports(root: tree_sitter.Node) -> list[str]:
    """The file's imports (`io.opentelemetry.sdk.OpenTelemetrySdk`), read from the top level only."""
    return [text(child).removeprefix("import").strip().removeprefix("static ").rstrip(";").strip()
            for child in root.named_children[:2_000] if child.type == "import_declaration"]


def _invocation_of(name: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The method_invocation whose method name is `name` (queries anchor on the name; see calls.scm)."""
    parent = name.parent if name is not None else None
    if parent is None or parent.type != "method_invocation" or parent.child_by_field_name("name") != name:
        return None
    return parent


def _modifiers(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """A declaration's `modifiers`: its first child but comments, when it has them (the grammar puts them first).
    Looked up per declared name, and `int a, b, …` is one declaration: 5,000 names walked its 10,000 children
    each, 5 s for a 10 KB file (found by fuzzing)."""
    if node is None:
        return None
    for index in range(node.child_count):
        child = node.child(index)
        if child is None or child.type == "modifiers":
            return child
        if child.type not in ("line_comment", "block_comment"):
            return None
    return None


def _annotations(modifiers: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if modifiers is None:
        return []
    return [c for c in modifiers.named_children if c.type in ("annotation", "marker_annotation")]


def _annotation_name(annotation: tree_sitter.Node) -> str:
    return text(annotation.child_by_field_name("name")).rsplit(".", 1)[-1]


def _annotation_names(modifiers: tree_sitter.Node | None) -> set[str]:
    return {_annotation_name(a) for a in _annotations(modifiers)}


def _annotation_args(annotation: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    """An annotation's arguments by key (a lone positional value is `value`)."""
    args = annotation.child_by_field_name("arguments")
    found: dict[str, tree_sitter.Node] = {}
    if args is None:
        return found
    for child in args.named_children:
        if child.type == "element_value_pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None:
                found[text(key)] = value
        elif "value" not in found:
            found["value"] = child
    return found


def _annotation_string(modifiers: tree_sitter.Node | None, name: str) -> str | None:
    for annotation in _annotations(modifiers):
        if _annotation_name(annotation) == name:
            value = _annotation_args(annotation).get("value")
            if value is not None and value.type == "string_literal":
                return _literal(value)
    return None


def _type_name(node: tree_sitter.Node | None) -> tuple[str, str]:
    """A type's simple name without generics (`WebClient.Builder`, `HttpClient`) and the package of a fully
    qualified name (`java.net.http`)."""
    if node is None:
        return "", ""
    if node.type == "generic_type" and node.named_children:
        node = node.named_children[0]
    if node.type not in ("type_identifier", "scoped_type_identifier"):
        return "", ""
    parts = text(node).replace(" ", "").split(".")
    for index, part in enumerate(parts):
        if part[:1].isupper():
            return ".".join(parts[index:]), ".".join(parts[:index])
    return ".".join(parts), ""


def _literal(node: tree_sitter.Node) -> str:
    """A string literal's content (text blocks too)."""
    return "".join(text(c) for c in node.named_children
                   if c.type in ("string_fragment", "multiline_string_fragment", "escape_sequence"))


def _returns(method: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The expressions a method returns (bounded walk of its body, not into nested classes or lambdas)."""
    body = method.child_by_field_name("body")
    found: list[tree_sitter.Node] = []
    if body is None:
        return found
    stack = [body]
    for _ in range(5_000):
        if not stack or len(found) >= 4:
            break
        node = stack.pop()
        if node.type == "return_statement":
            if node.named_children:
                found.append(node.named_children[0])
            continue
        if node.type in ("lambda_expression", "class_body"):
            continue
        stack.extend(reversed(node.named_children))
    return found


def _scan(node: tree_sitter.Node | None, limit: int = 2_000) -> list[tuple[str, tree_sitter.Node]]:
    """The method calls and constructions inside a lambda's body (bounded)."""
    found: list[tuple[str, tree_sitter.Node]] = []
    if node is None:
        return found
    stack = [node]
    for _ in range(limit):
        if not stack:
            break
        current = stack.pop()
        if current.type == "method_invocation":
            found.append((text(current.child_by_field_name("name")), current))
        elif current.type == "object_creation_expression":
            found.append((f"new {_type_name(current.child_by_field_name('type'))[0]}", current))
        elif current.type == "field_access" and text(current.child_by_field_name("field")) in _CONNECT_TIMEOUTS:
            found.append((text(current.child_by_field_name("field")), current))
        stack.extend(reversed(current.named_children))
    return found


def _transition(kind: str, method: str) -> str:
    """The kind of `x.method()` given the kind of `x`: a builder's `build()` is its client, a builder's other
    methods return the builder, a client's `mutate()` a builder; anything else leaves client territory."""
    if kind.endswith(".Builder"):
        return kind.removesuffix(".Builder") if method == "build" else kind
    if kind in ("WebClient", "RestClient") and method == "mutate":
        return kind + ".Builder"
    if kind in ("ReactorNetty", "ApacheFluent"):
        return kind
    if kind == "URI" and method == "toURL":
        return "URL"
    return ""


def _placeholders(value: str) -> list[Piece]:
    """`${orders.url:http://orders}/api` → [Env(orders.url, http://orders), "/api"] (Spring placeholders)."""
    out: list[Piece] = []
    index = 0
    for _ in range(32):
        start = value.find("${", index)
        if start < 0:
            break
        depth, end = 0, -1
        for position in range(start + 2, min(len(value), start + 2000)):
            char = value[position]
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    end = position
                    break
                depth -= 1
        if end < 0:
            break
        if start > index:
            out.append(value[index:start])
        key, _, default = value[start + 2:end].partition(":")
        out.append(_Env(key.strip(), "" if "${" in default else default.strip()))
        index = end + 1
    if value.startswith("#{"):
        return [None]
    if index < len(value):
        out.append(value[index:])
    return out or [value]


def _target(pieces: list[Piece], base: list[Piece] | None = None) -> Target:
    """A call's Target from the pieces of its URL (joined to the client's base URL when the URL is a path)."""
    if base and pieces and isinstance(pieces[0], str) and not re.match(r"^[a-z][a-z0-9+.-]*://", pieces[0]):
        pieces = base + pieces
    elif base and pieces and pieces[0] is None and len(pieces) > 1:
        pass  # an unknown head: not a path under the base
    elif base and not pieces:
        pieces = base
    env: _Env | None = None
    parts: list[str | None] = []
    for index, piece in enumerate(pieces):
        if isinstance(piece, _Env):
            previous = pieces[index - 1] if index else None
            if env is None and (index == 0 or (isinstance(previous, str) and previous.endswith("://"))):
                env = piece
            parts.append(None)
        else:
            parts.append(piece)
    literal = [p for p in parts if p]
    url = "".join("{}" if p is None else p for p in parts) if literal else ""
    if env is not None:
        return Target(url=url if url != "{}" else "", env=env.key, default=env.default)
    if not literal:
        return Target()
    return Target(url=url)


def _int(node: tree_sitter.Node | None) -> int | None:
    value = text(node).replace("_", "").rstrip("lL")
    return digits(value) if len(value) < 10 else None


def _first_arg(node: tree_sitter.Node) -> tree_sitter.Node | None:
    args = node.child_by_field_name("arguments")
    return args.named_children[0] if args is not None and args.named_children else None


def _detail(name: str, node: tree_sitter.Node) -> str:
    args = node.child_by_field_name("arguments")
    shown = text(args)[:60] if args is not None else ""
    return f"{name}{shown}"


def _client_bounds(kind: str, trace: _Trace, where: int) -> list[Bound]:
    """What bounds calls made with a client built as `trace` shows."""
    bounds: list[Bound] = []
    disabled = False
    for name, node in trace.steps:
        if name == "property" and re.search(r"READ_TIMEOUT|readTimeout|read\.timeout", text(_first_arg(node))[:120]):
            name = "readTimeout"  # JAX-RS `property(ClientProperties.READ_TIMEOUT, 5000)`
        if name in _READ_TIMEOUTS or name == "new ReadTimeoutHandler":
            arg = _first_arg(node)
            if arg is not None and _ZERO.match(text(arg)[:80]):
                disabled = True
                continue
            bounds.append(Bound("timeout", line(node), _detail(name, node)))
            break
    if bounds:
        return bounds
    if kind == "OkHttp" and not disabled:
        return [_default_bound("okhttp", where)]
    if trace.unknown:
        return [Bound("deferred", trace.unknown_line or where, trace.unknown)]
    return []


def _default_bound(client: str, where: int) -> Bound:
    detail, seconds = _DEFAULT_TIMEOUTS[client]
    return Bound("default_timeout", where, detail, seconds)


# --- the extractor -----------------------------------------------------------------------------------------------

def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    found = _extract(tree)
    found.classes = _top_level_types(tree.root_node)
    return found


_TYPE_DECLARATIONS = frozenset({"class_declaration", "interface_declaration", "enum_declaration",
                                "record_declaration", "annotation_type_declaration"})


def _top_level_types(root: tree_sitter.Node) -> list[ClassDecl]:
    """The file's top-level types. Only a plain class is judged for being used: an annotated one (`@Service`,
    `@RestController`) is created by its framework, one with a `main` is an entry point, and interfaces, enums,
    records are declarations."""
    found = []
    for node in root.named_children[:1_000]:
        if node.type not in _TYPE_DECLARATIONS:
            continue
        name = node.child_by_field_name("name")
        if name is None:
            continue
        bases: list[str] = []
        for part in ("superclass", "interfaces"):
            holder = node.child_by_field_name(part)
            if holder is not None:
                bases += [_type_name(t)[0].split(".")[-1] for t in _base_types(holder)]
        body = node.child_by_field_name("body")
        entry = body is not None and any(
            m.type == "method_declaration" and text(m.child_by_field_name("name")) == "main"
            for m in body.named_children[:2_000])
        managed = node.type != "class_declaration" or bool(_annotations(_modifiers(node))) or entry
        found.append(ClassDecl(text(name), node.start_point[0] + 1, node.end_point[0] + 1, tuple(bases), managed))
    return found


def _base_types(holder: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The type nodes of `extends X` / `implements A, B<C>`."""
    out = []
    for child in holder.named_children:
        if child.type == "type_list":
            out += child.named_children
        elif child.type in ("type_identifier", "generic_type", "scoped_type_identifier"):
            out.append(child)
    return out


def _extract(tree: tree_sitter.Tree) -> Extracted:
    root = tree.root_node
    source = SOURCE.get() or root.text or b""
    # Most files (entities, DTOs, mappers) mention none of the libraries: a fact's queries run only when the
    # file names something that fact reads (each query is a walk of the whole tree).
    wanted = {fact for fact, words in _MARKERS.items() if any(word in source for word in words)}
    found = Extracted()
    needs_index = bool(wanted & {"calls", "clients", "connects", "sessions"})
    queried = matches_of("java", _queries_for(wanted, needs_index), root)
    handlers = _handlers(queried) if "handlers" in wanted else {}
    found.handlers = sorted(handlers.values(), key=lambda h: (h.line, h.function))
    scopes = _Scopes(queried) if handlers or needs_index else None
    if handlers and scopes is not None:
        found.callees = _callees(queried, scopes)
    if not needs_index or scopes is None:
        if "tracing" in wanted:
            _tracing(root, queried, None, found)
        return found
    index = _File(queried, scopes)
    guards = _guards(queried) if wanted & {"calls", "clients"} else _Guards()
    if "calls" in wanted:
        _calls(queried, index, guards, found)
        if b"@Bean" in source:
            _bean_clients(index, found)
    if "clients" in wanted:
        _declared_clients(root, queried, index, guards, found)
    if "connects" in wanted:
        _connects(queried, index, handlers, found.callees, found)
    if "sessions" in wanted:
        _sessions(queried, index, found)
    if "tracing" in wanted:
        _tracing(root, queried, index, found)
    return found


def _queries_for(wanted: set[str], needs_index: bool) -> tuple[str, ...]:
    """The queries `_extract` reads for the facts a file may hold, run together in one walk of the tree: each
    walk costs about the same whatever the query (0.27 s for 1.7 MB), and a file may need nine."""
    needed = {fact for fact in wanted if fact != "handlers"}
    if "handlers" in wanted:
        needed |= {"handlers", "callees", "scopes"}
    if needs_index:
        needed |= {"scopes", "symbols"}
    if wanted & {"calls", "clients"}:
        needed.add("resilience")
    return tuple(sorted(needed))


def _handlers(queried: _Queried) -> dict[int, Handler]:
    found: dict[int, Handler] = {}
    for match in queried["handlers"]:
        method, name = match.one("handler"), match.one("name")
        if method is None or name is None or method.id in found:
            continue
        if match.one("implemented") is not None and text(name) in _NOT_HANDLERS:
            continue
        if match.one("jaxrs") is not None:
            framework = "jax-rs"
        elif match.one("super") is not None:
            framework = "servlet"
        else:
            annotation = text(match.one("annotation"))
            framework = "micronaut" if annotation in ("Get", "Post", "Put", "Delete", "Patch") else "spring"
        found[method.id] = Handler(line(name), text(name), framework)
    return found


def _callees(queried: _Queried, scopes: _Scopes) -> dict[str, set[str]]:
    callees: dict[str, set[str]] = {}
    for match in queried["callees"]:
        call, callee = match.one("call"), match.one("callee")
        if call is None or callee is None:
            continue
        caller = scopes.function_name(call)
        if caller:
            callees.setdefault(caller, set()).add(text(callee))
    return callees


@dataclass
class _Guards:
    """Resilience annotations by the id of the method or class they sit on, and gRPC deadlines and stubs."""

    annotations: dict[int, list[tuple[str, tree_sitter.Node]]] = field(default_factory=dict)
    deadlines: list[tree_sitter.Node] = field(default_factory=list)
    stubs: list[tree_sitter.Node] = field(default_factory=list)


def _guards(queried: _Queried) -> _Guards:
    guards = _Guards()
    for match in queried["resilience"]:
        scope, annotation, mark = match.one("scope"), match.one("annotation"), match.one("mark")
        if scope is not None and annotation is not None and mark is not None:
            body = scope.child_by_field_name("body")  # a class's annotations are looked up by its body
            entries = guards.annotations.setdefault(body.id if body is not None and scope.type != "method_declaration"
                                                    else scope.id, [])
            if all(m.id != mark.id for _, m in entries):
                entries.append((text(annotation), mark))
        if (deadline := _invocation_of(match.one("deadline"))) is not None:
            guards.deadlines.append(deadline)
        if (stub := _invocation_of(match.one("stubs"))) is not None:
            guards.stubs.append(stub)
    return guards


def _site_bounds(call: tree_sitter.Node, index: _File, guards: _Guards) -> list[Bound]:
    """Bounds around a call: annotations on its method or class, wrappers whose callback makes it, and
    operators on its reactive chain."""
    bounds: list[Bound] = []
    for scope in index.scopes.chain(call):
        for name, mark in guards.annotations.get(scope.id, []):
            for kind in _ANNOTATION_BOUNDS.get(name, ()):
                bounds.append(_default_bound("hystrix", line(mark)) if kind == "default_timeout"
                              else Bound(kind, line(mark), f"@{name}"))
    for parent in ancestors(call, limit=_WRAPPER_DEPTH):  # a wrapper's callback sits a few levels up
        if parent.type in _FUNCTIONS:
            break
        if parent.type == "argument_list" and parent.parent is not None and parent.parent.type == "method_invocation":
            kind = _wrapper_kind(parent.parent, index)
            if kind:
                bounds.append(Bound(kind, line(parent.parent), text(parent.parent.child_by_field_name("name"))))
            elif text(parent.parent.child_by_field_name("object")) == "Decorators":
                # Resilience4j `Decorators.ofSupplier(() -> call).withCircuitBreaker(cb).withRetry(r).get()`
                for name, step in _upward_chain(parent.parent):
                    if name.startswith("with") and name in _CHAIN_BOUNDS:
                        bounds.append(Bound(_CHAIN_BOUNDS[name], line(step), name))
    # upward reactive chain: `.timeout(…)`, `.retryWhen(…)`, `.transformDeferred(CircuitBreakerOperator.of(cb))`
    current = call
    for _ in range(_CHAIN):
        outer = current.parent
        if outer is None or outer.type != "method_invocation" or outer.child_by_field_name("object") != current:
            break
        name = text(outer.child_by_field_name("name"))
        if name in _CHAIN_BOUNDS:
            arg = _first_arg(outer)
            if not (name == "timeout" and arg is not None and _ZERO.match(text(arg)[:80])):
                bounds.append(Bound(_CHAIN_BOUNDS[name], line(outer), _detail(name, outer)))
        elif name in ("transform", "transformDeferred", "compose"):
            arg = _first_arg(outer)
            if arg is not None and arg.type == "method_invocation":
                operator = text(arg.child_by_field_name("object"))
                if operator in _OPERATOR_BOUNDS:
                    bounds.append(Bound(_OPERATOR_BOUNDS[operator], line(outer), operator))
        current = outer
    return bounds


def _wrapper_kind(invocation: tree_sitter.Node, index: _File) -> str:
    """The bound a wrapper call gives to the callback it runs (`circuitBreaker.run(() -> call)`,
    `CircuitBreaker.decorateSupplier(cb, () -> call)`, `retryTemplate.execute(ctx -> call)`)."""
    name = text(invocation.child_by_field_name("name"))
    if name not in _WRAPPER_METHODS:
        return ""
    obj = invocation.child_by_field_name("object")
    for _ in range(8):
        if obj is None:
            return ""
        if obj.type == "identifier":
            var = index.resolve(text(obj), obj)
            type_name = var.type if var is not None else text(obj)
            return _WRAPPER_TYPES.get(type_name, "")
        if obj.type == "method_invocation":
            inner = text(obj.child_by_field_name("name"))
            if inner in ("with", "ofSupplier", "ofCallable"):  # Failsafe.with(policy), Decorators.ofSupplier
                args = obj.child_by_field_name("arguments")
                for arg in args.named_children if args is not None else []:
                    if arg.type == "identifier":
                        var = index.resolve(text(arg), arg)
                        if var is not None and var.type in _WRAPPER_TYPES:
                            return _WRAPPER_TYPES[var.type]
                return ""
            obj = obj.child_by_field_name("object")  # `factory.create("x").run(…)`: the factory's type
            continue
        return ""
    return ""


def _calls(queried: _Queried, index: _File, guards: _Guards, found: Extracted) -> None:
    for match in queried["calls"]:
        method_node = match.one("method")
        call = _invocation_of(method_node)
        if call is None or method_node is None:
            continue
        method = text(method_node)
        receiver = call.child_by_field_name("object")
        if method in ("forAddress", "forTarget", "newChannelBuilder", "newChannelBuilderForAddress"):
            _grpc(call, method, receiver, index, guards, found)
            continue
        if receiver is None:
            continue
        if receiver.type == "method_invocation" and text(receiver.child_by_field_name("name")) not in _RETURNS_CLIENT \
                and receiver.child_by_field_name("object") is not None \
                and not (text(receiver.child_by_field_name("object"))[:1].isupper()
                         and method in _CALL_METHODS["ApacheFluent"]):
            continue  # `restTemplate.getForObject(…).put(…)`: a call on a response, not on a client
        trace = index.trace(receiver)
        kind = trace.kind
        if kind not in _CALL_METHODS or method not in _CALL_METHODS[kind]:
            continue
        if kind == "URL" and not _remote_url(trace, index):
            continue
        _http_call(call, method, kind, trace, index, guards, found)


def _http_call(call: tree_sitter.Node, method: str, kind: str, trace: _Trace, index: _File, guards: _Guards,
               found: Extracted) -> None:
    args_node = call.child_by_field_name("arguments")
    args = args_node.named_children if args_node is not None else []
    where = line(call)
    declared = line(trace.origin) if trace.origin is not None else where
    bounds = _site_bounds(call, index, guards)
    pieces: list[Piece] = []
    if kind == "RestTemplate":
        pieces = index.pieces(args[0]) if args else []
        bounds += _client_bounds(kind, trace, declared)
    elif kind in ("WebClient", "RestClient"):
        pieces = _spec_uri(call, index)
        bounds += _client_bounds(kind, trace, declared)
    elif kind == "OkHttp":
        request = index.trace(args[0]) if args else _Trace(unknown="no request")
        pieces = _step_pieces(request, index, ("url",))
        bounds += _client_bounds(kind, trace, declared)
    elif kind in ("Apache", "ApacheFluent"):
        if kind == "ApacheFluent":
            pieces = _step_pieces(trace, index, ("Get", "Post", "Put", "Delete", "Patch", "Head"))
            client = _client_bounds(kind, trace, declared)
        else:
            request = index.trace(args[0]) if args else _Trace(unknown="no request")
            pieces = _request_pieces(args[0], index) if args else []
            client = _client_bounds(kind, request, declared) if args else []
            if not client or client[0].kind == "deferred":
                client = _client_bounds(kind, trace, declared)
        bounds += client
    elif kind == "JdkHttp":
        request = index.trace(args[0]) if args else _Trace(unknown="no request")
        pieces = _step_pieces(request, index, ("uri", "newBuilder"))
        # the request's timeout bounds the call; the client's connectTimeout only the connect
        only_request = _Trace(steps=[s for s in request.steps if s[0] == "timeout"], unknown=request.unknown,
                              unknown_line=request.unknown_line)
        bounds += _client_bounds(kind, only_request, declared)
    elif kind == "JaxRs":
        pieces = index.pieces(args[0]) if args else []
        for name, node in _upward_chain(call):
            if name == "path" and _first_arg(node) is not None:
                pieces = [*pieces, "/", *index.pieces(_first_arg(node))] if pieces else pieces
                break
        bounds += _client_bounds(kind, trace, declared)
    elif kind == "Vertx":
        pieces = _vertx_pieces(args, trace, index)
        bounds += _client_bounds(kind, trace, declared)
    elif kind == "URL":
        pieces = _url_pieces(trace, index)
        bounds += _connection_bounds(call, index, declared)

    kept = tuple(_dedupe(bounds))
    injected = trace.injected if trace.injected and any(b.kind == "deferred" for b in kept) else ""
    found.calls.append(Call(where, _CLIENT_NAMES[kind], _target(pieces, trace.base), kept,
                            function=index.scopes.function_name(call), injected=injected))


def _dedupe(bounds: list[Bound]) -> list[Bound]:
    seen: set[tuple[str, int]] = set()
    out = []
    for bound in bounds:
        if (bound.kind, bound.line) not in seen:
            seen.add((bound.kind, bound.line))
            out.append(bound)
    # a known bound makes an "unknown" one of the same kind redundant
    if any(b.kind != "deferred" for b in out):  # a bound this file shows makes "decided elsewhere" moot
        return [b for b in out if b.kind != "deferred"]
    return out[:1]


def _spec_uri(call: tree_sitter.Node, index: _File) -> list[Piece]:
    """The `.uri(…)` of a WebClient/RestClient request spec, found up the chain from `get()`."""
    current = call
    for _ in range(_CHAIN):
        parent = current.parent
        if parent is None or parent.type != "method_invocation" or parent.child_by_field_name("object") != current:
            break
        if text(parent.child_by_field_name("name")) == "uri":
            arg = _first_arg(parent)
            if arg is None:
                return []
            if arg.type == "lambda_expression":  # uriBuilder -> uriBuilder.path("/x").build(): a path
                body = arg.child_by_field_name("body")
                path = [p for name, node in _scan(body) if name == "path"
                        for p in index.pieces(_first_arg(node))]
                return path[:1] if path else []
            return index.pieces(arg)
        current = parent
    return []


def _step_pieces(trace: _Trace, index: _File, names: tuple[str, ...]) -> list[Piece]:
    for name, node in trace.steps:
        if name in names:
            arg = _first_arg(node)
            if arg is not None:
                return index.pieces(arg)
    return []


def _request_pieces(arg: tree_sitter.Node, index: _File) -> list[Piece]:
    """The URL of an Apache request: `new HttpGet(url)` directly or through a variable."""
    trace = index.trace(arg)
    for name, node in trace.steps:
        if name.startswith("new Http"):
            first = _first_arg(node)
            return index.pieces(first) if first is not None else []
    return []


def _vertx_pieces(args: list[tree_sitter.Node], trace: _Trace, index: _File) -> list[Piece]:
    """Vert.x `client.get(port, host, uri)`, `client.get(uri)` under `setDefaultHost`, `client.getAbs(url)`."""
    if len(args) >= 3 and args[0].type != "string_literal":
        host = index.pieces(args[1])
        return ["http://", *host, *index.pieces(args[2])] if any(isinstance(p, (str, _Env)) for p in host) else []
    if not args:
        return []
    path = index.pieces(args[0])
    if path and isinstance(path[0], str) and path[0].startswith("/"):
        for name, node in trace.steps:
            if name == "setDefaultHost":
                host = index.pieces(_first_arg(node))
                return ["http://", *host, *path]
        return []
    return path


def _remote_url(trace: _Trace, index: _File) -> bool:
    """A `URL` this file builds (`new URL(…)`, `URI.create(…).toURL()`) for http(s), not a resource or a file."""
    names = {name for name, _ in trace.steps}
    if not names & {"new URL", "toURL"} or names & {"new File", "getResource", "getSystemResource", "toPath",
                                                     "getClassLoader"}:
        return False
    head = next((p for p in _url_pieces(trace, index) if p is not None), None)
    return not (isinstance(head, str) and re.match(r"^[a-z][a-z0-9+.-]*:", head) and not head.startswith("http"))


def _url_pieces(trace: _Trace, index: _File) -> list[Piece]:
    for name, node in trace.steps:
        if name == "new URL":
            return index.pieces(node)
        if name == "toURL":
            obj = node.child_by_field_name("object")
            return index.pieces(obj) if obj is not None else []
    return []


def _connection_bounds(call: tree_sitter.Node, index: _File, declared: int) -> list[Bound]:
    """`HttpURLConnection c = (HttpURLConnection) url.openConnection(); c.setReadTimeout(…)`."""
    holder = _receiver_var(call, index)
    if holder is None:
        return []
    trace = _Trace()
    for name, use in holder.uses:
        trace.steps.append((name, use))
    bounds = _client_bounds("URL", trace, declared)
    if not bounds and id(holder) in index.passed:
        return [Bound("deferred", declared, f"{holder.name} is handed to another method")]
    return bounds


def _receiver_var(node: tree_sitter.Node, index: _File) -> _Var | None:
    """The variable that holds the value of `node` (`X x = (Cast) node;` or `x = node;`)."""
    current = node
    for _ in range(4):
        parent = current.parent
        if parent is None:
            return None
        if parent.type in ("cast_expression", "parenthesized_expression"):
            current = parent
            continue
        if parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
            return index.resolve(text(name), name) if name is not None else None
        if parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                return index.resolve(text(left), left)
            if left is not None and left.type == "field_access":
                return index.resolve(text(left.child_by_field_name("field")), left, this_only=True)
        return None
    return None


def _grpc(call: tree_sitter.Node, method: str, receiver: tree_sitter.Node | None, index: _File, guards: _Guards,
          found: Extracted) -> None:
    if receiver is None or receiver.type != "identifier" or text(receiver) not in _GRPC_BUILDERS:
        return
    if (text(receiver) == "Grpc") != method.startswith("newChannelBuilder"):
        return
    args_node = call.child_by_field_name("arguments")
    args = args_node.named_children if args_node is not None else []
    if not args:
        return
    pieces = index.pieces(args[0])
    port = _int(args[1]) if method in ("forAddress", "newChannelBuilderForAddress") and len(args) > 1 else None
    target = _target(pieces)
    if method in ("forTarget", "newChannelBuilder") and target.url:
        stripped = re.sub(r"^[a-z]+:/{0,3}", "", target.url) if not target.url.startswith("{") else target.url
        target = Target(url=stripped, env=target.env, default=target.default)
    elif target.url and not target.env:
        target = Target(host=target.url, port=port)
    elif target.env:
        target = Target(env=target.env, default=target.default, port=port)
    bounds = _site_bounds(call, index, guards)
    if guards.deadlines:
        first = guards.deadlines[0]
        bounds.append(Bound("timeout", line(first), _detail(text(first.child_by_field_name("name")), first)))
    elif not guards.stubs:
        bounds.append(Bound("deferred", line(call), "deadlines are set per call on stubs made elsewhere"))
    found.calls.append(Call(line(call), "grpc", target, tuple(_dedupe(bounds)), protocol="grpc",
                            function=index.scopes.function_name(call)))


def _bean_clients(index: _File, found: Extracted) -> None:
    """Clients built in Spring `@Bean` methods, for the calls of other files that get them injected (`beans`).
    An OkHttp client built in one is also the application's HTTP client: what bounds it (its timeouts, else
    OkHttp's 10 s defaults) bounds the calls the code does not show, such as those of generated Kiota or OpenAPI
    clients that get it injected (`new DefaultRequestAdapter(auth, null, null, factory)`): `client_defaults`."""
    seen: set[int] = set()
    for method in index.scopes.index.nodes:  # the scopes query already ran for the index: its methods, in order
        if method.type != "method_declaration" or "Bean" not in _annotation_names(_modifiers(method)):
            continue
        kind = _TYPE_KINDS.get(_type_name(method.child_by_field_name("type"))[0], "")
        if kind in _BEAN_KINDS:
            named = method.child_by_field_name("name")
            where = line(named) if named is not None else line(method)
            per_return = [_client_bounds(kind.removesuffix(".Builder"), index.trace(returned), where)
                          for returned in _returns(method)]
            # a builder handed in with nothing shown on it is decided elsewhere again: not a bean to judge by
            if per_return and not any(bounds and all(b.kind == "deferred" for b in bounds) for bounds in per_return):
                found.beans.append(Bean(kind, where, tuple(_dedupe([b for bs in per_return for b in bs]))))
        for name, node in _scan(method.child_by_field_name("body")):
            if name not in ("build", "new OkHttpClient") or node.id in seen:
                continue
            trace = index.trace(node)
            if trace.kind != "OkHttp":
                continue
            seen.add(node.id)
            found.client_defaults += [bound for bound in _client_bounds("OkHttp", trace, line(node))
                                      if bound.kind in ("timeout", "default_timeout")]


def _declared_clients(root: tree_sitter.Node, queried: _Queried, index: _File, guards: _Guards,
                      found: Extracted) -> None:
    """One call per request method of a declarative client interface (Feign, Micronaut, MicroProfile)."""
    for match in queried["clients"]:
        if (grpc_field := match.one("grpc_field")) is not None:
            _grpc_client_field(grpc_field, match.one("grpc_mark"), root, guards, found)
        elif (interface := match.one("interface")) is not None:
            _declared_interface(interface, index, found)


def _declarative_mark(interface: tree_sitter.Node, index: _File) -> tuple[tree_sitter.Node, str] | None:
    """The first annotation of `interface` that makes it a declarative client of an imported package, and the
    client it names."""
    for modifiers in interface.named_children:
        if modifiers.type != "modifiers":
            continue
        for mark in modifiers.named_children:
            name = mark.child_by_field_name("name") if mark.type in ("annotation", "marker_annotation") else None
            if name is None or name.type != "identifier":
                continue
            client, package = _DECLARATIVE.get(text(name), ("", ""))
            if client and index.imports_from(package):
                return mark, client
    return None


def _declared_interface(interface: tree_sitter.Node, index: _File, found: Extracted) -> None:
    """The calls of one declarative client interface: one per method declared without a body."""
    marked = _declarative_mark(interface, index)
    body = interface.child_by_field_name("body")
    if marked is None or body is None:
        return
    client_mark, client = marked
    for method in body.named_children:
        if method.type != "method_declaration" or method.child_by_field_name("body") is not None:
            continue  # a default method: not a declared request
        if not (_annotation_names(_modifiers(method)) & _DECLARED_CALL_ANNOTATIONS):
            continue
        args = _annotation_args(client_mark)
        target = Target()
        url = args.get("url") or args.get("baseUri")
        service = args.get("name") or args.get("value") or args.get("id") or args.get("serviceId")
        for candidate in (url, service):
            if candidate is not None and candidate.type == "string_literal" and _literal(candidate):
                value = _literal(candidate)
                target = _target(_placeholders(value) if "${" in value else [value])
                if target.url and "://" not in target.url and not target.env:
                    target = Target(host=target.url)
                break
        key = args.get("configKey")
        if not (target.url or target.host or target.env) and key is not None and key.type == "string_literal":
            target = Target(env=f"quarkus.rest-client.{_literal(key)}.url")  # Quarkus: the client's URL key
        bounds = [_default_bound(client, line(client_mark))]
        name = method.child_by_field_name("name")
        found.calls.append(Call(line(name) if name is not None else line(method), client, target, tuple(bounds),
                                function=text(name)))


def _grpc_client_field(field_node: tree_sitter.Node, mark: tree_sitter.Node | None, root: tree_sitter.Node,
                       guards: _Guards, found: Extracted) -> None:
    """`@GrpcClient("orders")` on a stub field (grpc-spring-boot-starter, Quarkus): calls to the channel named
    `orders` in config."""
    if mark is None:
        return
    name = _annotation_args(mark).get("value")
    if name is None or name.type != "string_literal" or not _literal(name):
        return
    if guards.deadlines:
        first = guards.deadlines[0]
        bounds = (Bound("timeout", line(first), _detail(text(first.child_by_field_name("name")), first)),)
    else:  # the starter's config may set a default deadline (grpc.client.<name>.deadline)
        bounds = (Bound("deferred", line(mark), "a deadline may be set in config"),)
    quarkus = any(imp.startswith("io.quarkus.grpc") for imp in _top_imports(root))
    key = f"quarkus.grpc.clients.{_literal(name)}.host" if quarkus else f"grpc.client.{_literal(name)}.address"
    found.calls.append(Call(line(field_node), "grpc", Target(env=key), bounds, protocol="grpc"))


def _connects(queried: _Queried, index: _File, handlers: dict[int, Handler], callees: dict[str, set[str]],
              found: Extracted) -> None:
    draft: list[Connect] = []
    for match in queried["connects"]:
        node = match.one("connect")
        if node is None:
            continue
        if node.type == "method_invocation":
            cls, method = text(match.one("class")), text(match.one("method"))
            connect = _factory_connect(node, cls, method, index)
        else:
            connect = _new_connect(node, text(match.one("type")), index)
        if connect is None:
            continue
        function = index.scopes.function(node)
        in_handler = function is not None and function.id in handlers
        name = text(function.child_by_field_name("name")) if function is not None else ""
        draft.append(Connect(connect.line, connect.library, connect.datastore, connect.pooled, connect.pool_max,
                             connect.pool_line, name, in_handler, connect.target))
    # a pool built per request (in a handler or a helper it calls) opens connections per request
    per_request = per_request_functions(Extracted(handlers=list(handlers.values()), callees=callees))
    for connect in draft:
        if connect.pooled and (connect.in_handler or (connect.function and connect.function in per_request)):
            connect = Connect(connect.line, connect.library, connect.datastore, False, None, 0, connect.function,
                              connect.in_handler, connect.target)
        found.connects.append(connect)


def _factory_connect(node: tree_sitter.Node, cls: str, method: str, index: _File) -> Connect | None:
    args_node = node.child_by_field_name("arguments")
    args = args_node.named_children if args_node is not None else []
    if cls == "DriverManager" and method == "getConnection":
        pieces = index.pieces(args[0]) if args else []
        return Connect(line(node), "DriverManager", _jdbc_store(pieces), target=_jdbc_target(pieces))
    if cls == "MongoClients" and method == "create":
        pieces = index.pieces(args[0]) if (args and args[0].type != "identifier") or \
            (args and _is_string_var(args[0], index)) else []
        pool_max, pool_line = _pool_size(index.trace(node), node)
        uri = "".join(p for p in pieces if isinstance(p, str))
        if pool_max is None and (size := re.search(r"[?&]maxPoolSize=(\d{1,6})", uri)):
            pool_max, pool_line = int(size.group(1)), line(node)
        return Connect(line(node), "mongodb", "mongodb", True, pool_max, pool_line, target=_target(pieces))
    if cls in ("RedisClient", "RedisClusterClient") and method == "create":
        pieces = index.pieces(args[0]) if args else []
        return Connect(line(node), "lettuce", "redis", True, target=_target(pieces))
    if cls == "DataSourceBuilder" and method == "create":
        chain = _upward_chain(node)
        pooled = True
        pieces = []
        driver = ""
        for name, invocation in chain:
            arg = _first_arg(invocation)
            if name == "type" and arg is not None and text(arg).removesuffix(".class") in _NON_POOLING:
                pooled = False
            elif name in _URL_SETTERS and arg is not None:
                pieces = index.pieces(arg)
            elif name in _DRIVER_SETTERS and arg is not None:
                driver = "".join(p for p in index.pieces(arg) if isinstance(p, str))
        return Connect(line(node), "DataSourceBuilder", _jdbc_store(pieces) or _driver_store(driver), pooled,
                       target=_jdbc_target(pieces))
    return None


def _is_string_var(node: tree_sitter.Node, index: _File) -> bool:
    var = index.resolve(text(node), node)
    return var is not None and var.type == "String"


def _new_connect(node: tree_sitter.Node, type_name: str, index: _File) -> Connect | None:
    library, pooled = _CONNECT_TYPES.get(type_name, ("", False))
    if not library:
        return None
    if type_name == "MongoClient" and not index.imports_from("com.mongodb"):
        return None
    if type_name == "Jedis" and not index.imports_from("redis.clients"):
        return None
    if type_name == "DataSource" and not index.imports_from("org.apache.tomcat.jdbc.pool"):
        return None
    trace = index.trace(node)
    holder = _receiver_var(node, index)
    if holder is not None:
        for name, use in holder.uses:
            trace.steps.append((name, use))
            use_args = use.child_by_field_name("arguments")
            if name in _CONFIG_ARG_METHODS and use_args is not None:
                for use_arg in use_args.named_children:
                    trace.merge(index.trace_arg(use_arg, _DEPTH - 1), config=False)
    pieces: list[Piece] = []
    driver = ""
    for name, step in trace.steps:
        arg = _first_arg(step)
        if name in _URL_SETTERS and arg is not None and not pieces:
            pieces = index.pieces(arg)
        elif name in _DRIVER_SETTERS and arg is not None and not driver:
            driver = "".join(p for p in index.pieces(arg) if isinstance(p, str))
    if not pieces and type_name in ("DriverManagerDataSource", "Jedis", "JedisPool", "JedisPooled", "MongoClient"):
        args_node = node.child_by_field_name("arguments")
        for arg in args_node.named_children[:2] if args_node is not None else []:
            if arg.type in ("string_literal", "binary_expression", "identifier", "method_invocation", "field_access"):
                candidate = index.pieces(arg)
                if any(isinstance(p, (str, _Env)) for p in candidate):
                    pieces = candidate
                    break
    datastore = _TYPED_STORES.get(type_name) or _jdbc_store(pieces) or _driver_store(driver)
    pool_max, pool_line = _pool_size(trace, node) if pooled else (None, 0)
    target = _jdbc_target(pieces) if datastore not in ("redis", "mongodb") else _target(pieces)
    if datastore == "redis" and target.url and "://" not in target.url and not target.env:
        target = Target(host=target.url)
    return Connect(line(node), library, datastore, pooled, pool_max, pool_line, target=target)


def _pool_size(trace: _Trace, node: tree_sitter.Node) -> tuple[int | None, int]:
    for name, step in trace.steps:
        if name in _POOL_SIZE_SETTERS:
            value = _int(_first_arg(step))
            if value is not None:
                return value, line(step)
    for name, step in _upward_chain(node):
        if name in _POOL_SIZE_SETTERS:
            value = _int(_first_arg(step))
            if value is not None:
                return value, line(step)
    return None, 0


def _upward_chain(node: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node]]:
    """`X.create().a(…).b(…)`: the calls made on the result of `node`, in order."""
    chain = []
    current = node
    for _ in range(_CHAIN):
        parent = current.parent
        if parent is None or parent.type != "method_invocation" or parent.child_by_field_name("object") != current:
            break
        chain.append((text(parent.child_by_field_name("name")), parent))
        current = parent
    return chain


def _jdbc_store(pieces: list[Piece]) -> str:
    head = pieces[0] if pieces else None
    if isinstance(head, _Env):
        head = head.default
    if not isinstance(head, str):
        return ""
    scheme = re.match(r"^jdbc:(?:tc:)?([a-z0-9]+)", head.lower())
    if scheme:
        return _JDBC_STORES.get(scheme.group(1), "")
    if head.lower().startswith(("mongodb://", "mongodb+srv://")):
        return "mongodb"
    if head.lower().startswith(("redis://", "rediss://")):
        return "redis"
    return ""


def _driver_store(driver: str) -> str:
    for prefix, store in _DRIVER_STORES.items():
        if driver.startswith(prefix):
            return store
    return ""


def _jdbc_target(pieces: list[Piece]) -> Target:
    if pieces and isinstance(pieces[0], _Env) and pieces[0].default.lower().startswith("jdbc:"):
        default = _jdbc_target([pieces[0].default]).url
        return Target(env=pieces[0].key, default=default)
    if pieces and isinstance(pieces[0], str) and pieces[0].lower().startswith("jdbc:"):
        pieces = [re.sub(r"^jdbc:(?:tc:)?", "", pieces[0], flags=re.I), *pieces[1:]]
        if isinstance(pieces[0], str) and pieces[0].startswith("oracle:thin:@"):
            pieces = ["oracle://" + pieces[0].removeprefix("oracle:thin:@").lstrip("/"), *pieces[1:]]
        elif isinstance(pieces[0], str) and pieces[0].startswith("sqlserver://"):
            pieces = [pieces[0].split(";", 1)[0], *pieces[1:]]
    return _target(pieces)


def _sessions(queried: _Queried, index: _File, found: Extracted) -> None:
    for match in queried["sessions"]:
        if (use := match.one("use") or _invocation_of(match.one("method"))) is not None:
            if use.type == "formal_parameter":
                method = index.scopes.function(use)
                if method is None or method.child_by_field_name("body") is None:
                    continue
                framework = "webflux" if text(match.one("type")) == "WebSession" else "servlet"
                found.sessions.append(Session(line(use), framework, "memory"))
                continue
            framework = _session_receiver(use, index)
            if framework:
                found.sessions.append(Session(line(use), framework, "memory"))
        elif (mark := match.one("mark")) is not None:
            name = text(match.one("annotation"))
            if name in _SESSION_STORES:
                found.sessions.append(Session(line(mark), "spring-session", _SESSION_STORES[name]))
            elif name in ("SessionAttributes", "SessionScope", "SessionScoped") or (
                    name == "Scope" and "session" in text(mark.child_by_field_name("arguments")).lower()):
                found.sessions.append(Session(line(mark), "servlet", "memory"))
        elif (store := match.one("store")) is not None:
            found.sessions.append(Session(line(store), "spring-session", "memory"))


def _session_receiver(call: tree_sitter.Node, index: _File) -> str:
    """The framework of `request.getSession()`, or "" when the receiver is not a request."""
    args = call.child_by_field_name("arguments")
    if args is not None and len(args.named_children) > 1:
        return ""
    obj = call.child_by_field_name("object")
    if obj is None:
        return ""
    if obj.type == "method_invocation" and text(obj.child_by_field_name("name")) in ("getRequest",
                                                                                     "getExternalContext"):
        return "servlet"  # RequestContextHolder…getRequest().getSession(), JSF's external context
    if text(call.child_by_field_name("name")) != "getSession" or obj.type != "identifier":
        return ""
    var = index.resolve(text(obj), obj)
    if var is not None:
        return _REQUEST_TYPES.get(var.type, "")
    return "servlet" if text(obj).lower() in _REQUEST_NAMES else ""


def _tracing(root: tree_sitter.Node, queried: _Queried, index: _File | None, found: Extracted) -> None:
    imports = index.imports if index is not None else _top_imports(root)

    def imports_from(prefix: str) -> bool:
        return not prefix or any(imp.startswith(prefix) for imp in imports)

    sentry_tracing: bool | None = None
    seen: set[tuple[str, str]] = set()
    for match in queried["tracing"]:
        setup = match.one("setup")
        if setup is None:
            continue
        if setup.type == "object_creation_expression":
            entry = _TRACING_NEW.get(text(match.one("type")))
        else:
            cls, method = text(match.one("class")), text(match.one("method"))
            entry = _TRACING_CALLS.get((cls, method))
            if entry is None and cls in _INSTRUMENTATION and method in ("builder", "create") and \
                    imports_from("io.opentelemetry.instrumentation"):
                entry = ("otel", "propagation", "")
        if entry is None:
            continue
        system, what, package = entry
        if not imports_from(package):
            continue
        if system == "sentry":
            if sentry_tracing is None:
                source = SOURCE.get() or root.text or b""
                sentry_tracing = b"racesSampleRate" in source or b"racesSampler" in source
            if not sentry_tracing:
                continue
        if (system, what) in seen:
            continue
        seen.add((system, what))
        found.tracing.append(Tracing(line(setup), system, what))
