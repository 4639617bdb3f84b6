"""C# (ASP.NET Core) source → code facts (see auditor/code/facts.py).

- calls: `HttpClient` requests on a receiver the file shows to be an HttpClient (declared so, `new HttpClient`,
  `factory.CreateClient`), bounded by `Timeout` set on that client or by HttpClient's 100 s default; typed and
  named clients registered with `AddHttpClient` (their `BaseAddress` and the Polly / Microsoft.Extensions.Http.
  Resilience handlers attached to the registration); gRPC (`GrpcChannel.ForAddress`, `AddGrpcClient`, calls on
  generated `Svc.SvcClient` stubs with `deadline:`); Dapr `InvokeMethodAsync("app-id", …)`.
- connects: ADO.NET connections (pooled by the driver unless `Pooling=false`), EF Core `AddDbContext` and .NET
  Aspire client integrations (pooled), `ConnectionMultiplexer.Connect` and `new MongoClient` (meant to be
  shared: created per request they are the anti-pattern).
- handlers: controller actions, minimal API `Map*` delegates, gRPC service overrides, Razor Pages `On*`
  handlers; `callees` are same-file method calls.
- sessions: `AddSession` with the `IDistributedCache` registered in the same file.
- tracing: OpenTelemetry, Application Insights, Elastic APM, Datadog, Sentry, X-Ray, Aspire ServiceDefaults.
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
    literal_url,
    per_request_functions,
    remember,
)
from auditor.code.syntax import MAX_MATCHES, Enclosing, Match, line, matches_of, text
from auditor.parsers.numbers import digits

# The queries (queries/csharp/<fact>.scm) every file is read with, run as one walk of its tree.
_FACTS = ("declarations", "assignments", "handlers", "calls", "scopes", "creations")
# HttpClient's request methods, System.Net.Http.Json's extensions included (learn.microsoft.com,
# System.Net.Http.HttpClient and HttpClientJsonExtensions).
_HTTP_METHODS = frozenset({
    "GetAsync", "GetStringAsync", "GetByteArrayAsync", "GetStreamAsync", "PostAsync", "PutAsync", "PatchAsync",
    "DeleteAsync", "SendAsync", "Send", "GetFromJsonAsync", "GetFromJsonAsAsyncEnumerable", "PostAsJsonAsync",
    "PutAsJsonAsync", "PatchAsJsonAsync", "DeleteFromJsonAsync",
})
# HttpClient.Timeout defaults to 100 s (learn.microsoft.com, HttpClient.Timeout): a bound, if a long one.
_HTTPCLIENT_DEFAULT = "HttpClient.Timeout default 100 s"
# A gRPC channel or client registration sets no deadline (grpc-dotnet has none by default): each stub call does,
# with `deadline:` or CallOptions, so the channel's own line is `deferred` and the stub calls are judged.
_PER_RPC = "deadline set per call"
_TIMESPAN = re.compile(r"TimeSpan\s*\.\s*From(Milliseconds|Seconds|Minutes)\s*\(\s*(\d+(?:\.\d+)?)\s*\)")
_TIMESPAN_UNITS = {"Milliseconds": 0.001, "Seconds": 1.0, "Minutes": 60.0}
# ADO.NET providers: connection class → datastore; each pools connections unless `Pooling=false`
# (learn.microsoft.com, "SQL Server connection pooling"; Npgsql, MySqlConnector, Oracle docs: Max Pool Size 100).
_ADO_CONNECTIONS = {
    "SqlConnection": "sqlserver", "NpgsqlConnection": "postgres", "MySqlConnection": "mysql",
    "SqliteConnection": "sqlite", "SQLiteConnection": "sqlite", "OracleConnection": "oracle",
}
# EF Core providers (`options.UseSqlServer(...)`) → datastore.
_EF_PROVIDERS = {
    "UseSqlServer": "sqlserver", "UseAzureSql": "sqlserver", "UseNpgsql": "postgres", "UseMySql": "mysql",
    "UseMySQL": "mysql", "UseSqlite": "sqlite", "UseOracle": "oracle", "UseMongoDB": "mongodb",
}
_EF_REGISTRATIONS = frozenset({"AddDbContext", "AddDbContextPool", "AddDbContextFactory", "AddPooledDbContextFactory"})
# .NET Aspire client integrations (learn.microsoft.com/dotnet/aspire): connection name → ConnectionStrings__name.
_ASPIRE_CLIENTS = {
    "AddNpgsqlDbContext": ("efcore", "postgres"), "AddSqlServerDbContext": ("efcore", "sqlserver"),
    "AddMySqlDbContext": ("efcore", "mysql"), "AddOracleDatabaseDbContext": ("efcore", "oracle"),
    "AddNpgsqlDataSource": ("Npgsql", "postgres"), "AddSqlServerClient": ("SqlClient", "sqlserver"),
    "AddMySqlDataSource": ("MySqlConnector", "mysql"), "AddRedisClient": ("StackExchange.Redis", "redis"),
    "AddRedisDistributedCache": ("StackExchange.Redis", "redis"), "AddMongoDBClient": ("MongoDB.Driver", "mongodb"),
}
# IDistributedCache registrations → the session store (learn.microsoft.com, "Distributed caching in ASP.NET Core").
_SESSION_STORES = {
    "AddDistributedMemoryCache": "memory", "AddStackExchangeRedisCache": "redis", "AddRedisDistributedCache": "redis",
    "AddDistributedSqlServerCache": "db", "AddDistributedPostgreSqlCache": "db", "AddDistributedMySqlCache": "db",
    "AddCosmosCache": "db", "AddNCacheDistributedCache": "cache", "AddDistributedMongoDbCache": "mongodb",
}
# Tracing set up in code: method → (system, what).
_TRACING = {
    "WithTracing": ("otel", "sdk"), "AddOpenTelemetryTracing": ("otel", "sdk"),
    "CreateTracerProviderBuilder": ("otel", "sdk"), "AddOtlpExporter": ("otel", "exporter"),
    "UseOtlpExporter": ("otel", "exporter"), "AddJaegerExporter": ("jaeger", "exporter"),
    "AddZipkinExporter": ("zipkin", "exporter"), "AddApplicationInsightsTelemetry": ("applicationinsights", "sdk"),
    "AddApplicationInsightsTelemetryWorkerService": ("applicationinsights", "sdk"),
    "UseAzureMonitor": ("applicationinsights", "exporter"), "AddAzureMonitorTraceExporter": ("applicationinsights",
                                                                                           "exporter"),
    "UseAllElasticApm": ("elastic-apm", "agent"), "AddAllElasticApm": ("elastic-apm", "agent"),
    "UseElasticApm": ("elastic-apm", "agent"), "AddElasticApm": ("elastic-apm", "agent"),
    "AddXRayTracing": ("xray", "sdk"), "RegisterXRayForAllServices": ("xray", "auto"),
    "AddXRayTraceId": ("xray", "propagation"), "UseSentry": ("sentry", "sdk"), "AddSentry": ("sentry", "sdk"),
    # .NET Aspire's ServiceDefaults template: AddServiceDefaults → ConfigureOpenTelemetry → WithTracing.
    "AddServiceDefaults": ("otel", "sdk"),
}
_TRACER_SCOPES = frozenset({"WithTracing", "AddOpenTelemetryTracing", "ConfigureOpenTelemetryTracerProvider"})
_OTHER_SIGNAL_SCOPES = frozenset({"WithMetrics", "WithLogging", "ConfigureOpenTelemetryMeterProvider",
                                  "ConfigureOpenTelemetryLoggerProvider", "AddOpenTelemetryMetrics", "Configure",
                                  "AddOpenTelemetry"})
# What the .NET Aspire ServiceDefaults template gives every factory-built client (`ConfigureHttpClientDefaults(
# http => http.AddStandardResilienceHandler())`, learn.microsoft.com/dotnet/aspire "Service defaults").
_STANDARD_RESILIENCE = ("retry", "circuit_breaker", "timeout")
# Registrations that make the application an off-the-shelf tool (AspNetCore.HealthChecks.UI: a dashboard that
# polls other services' health endpoints on a timer), with the role graph/roles.py gives such a service.
_TOOL_HOSTS = {"AddHealthChecksUI": "observability"}
_MINIMAL_API = frozenset({"MapGet", "MapPost", "MapPut", "MapDelete", "MapPatch", "MapMethods", "Map"})
_CONTROLLER_ATTRIBUTES = frozenset({"ApiController", "Controller"})
_ACTION_ATTRIBUTES = frozenset({"HttpGet", "HttpPost", "HttpPut", "HttpDelete", "HttpPatch", "HttpHead",
                                "HttpOptions", "Route", "AcceptVerbs"})
_FUNCTIONS = frozenset({"method_declaration", "constructor_declaration", "local_function_statement",
                        "accessor_declaration", "operator_declaration"})
_STRINGS = frozenset({"string_literal", "verbatim_string_literal", "raw_string_literal"})
_RETRY = re.compile(r"\b(?:WaitAndRetry\w*|Retry\w*|AddRetry|HandleTransientHttpError|OrTransientHttpError)\b|"
                    r"Retry(?:Policy|Strategy)\b")
_BREAKER = re.compile(r"CircuitBreaker")
_TIMEOUT = re.compile(r"\b(?:TimeoutAsync|AddTimeout)\b|\bPolicy\s*\.\s*Timeout\b|TimeoutPolicy|TimeoutStrategy")
_INFINITE = re.compile(r"\bInfinite(?:TimeSpan)?\b|\bMaxValue\b")
_POOLING_OFF = re.compile(r"\bpooling\s*=\s*(?:false|no)\b", re.IGNORECASE)
_MAX_POOL = re.compile(r"\bmax(?:imum)?\s*pool\s*size\s*=\s*(\d+)", re.IGNORECASE)
_CONFIG_NAME = re.compile(r"config", re.IGNORECASE)
_MAX_RESOLVE = 4  # names followed when resolving a URL (`_url` → `$"{_base}/x"` → `configuration["Base"]`)
_MAX_CHAIN = 64  # fluent calls read after a registration
_MAX_TEXT = 20_000  # characters of a policy's source read to classify it


@dataclass
class _File:
    """What one file declares, read once: names' types and values, methods by name, handler lambdas."""

    types: dict[str, list[str]] = field(default_factory=dict)  # name → declared types (last segment)
    full_types: dict[str, list[str]] = field(default_factory=dict)  # name → declared types as written
    handler_names: set[str] = field(default_factory=set)
    values: dict[str, list[tuple[tree_sitter.Node, tree_sitter.Node]]] = field(default_factory=dict)
    methods: dict[str, tree_sitter.Node] = field(default_factory=dict)
    lambdas: dict[int, str] = field(default_factory=dict)  # minimal API handler lambda (start byte) → name
    timeouts: dict[str, list[tuple[tree_sitter.Node, tree_sitter.Node]]] = field(default_factory=dict)
    cancel_after: set[str] = field(default_factory=set)
    options_sections: dict[str, str] = field(default_factory=dict)  # options type → config section
    root: tree_sitter.Node | None = None
    scopes: Enclosing = field(default_factory=lambda: Enclosing([]))
    classes: Enclosing = field(default_factory=lambda: Enclosing([]))
    invocations: Enclosing = field(default_factory=lambda: Enclosing([]))
    # receiver (start, end) → the invocation made on it: the fluent chain `X(...).A(...)` read without parents
    on_receiver: dict[tuple[int, int], tuple[str, tree_sitter.Node, tree_sitter.Node]] = field(default_factory=dict)


def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    root = tree.root_node
    found = Extracted()
    by_fact = matches_of(language, _FACTS, root)
    known = _declarations(by_fact)
    calls = _calls(by_fact["calls"])
    scopes = by_fact["scopes"]
    known.root = root
    known.scopes = Enclosing([n for m in scopes for n in m.captures.get("scope", [])])
    known.classes = Enclosing([n for m in scopes for n in m.captures.get("class", [])])
    known.invocations = Enclosing([n for m in calls for n in m.captures.get("call", [])])
    for match in calls:
        obj, method, args, call = (match.one(n) for n in ("object", "method", "args", "call"))
        if obj is not None and method is not None and args is not None and call is not None:
            known.on_receiver[(obj.start_byte, obj.end_byte)] = (_name(method), args, call)
    creations = by_fact["creations"]
    for match in calls:
        _note_call(match, known)
    _handlers(by_fact["handlers"], calls, known, found)
    for match in calls:
        if (call := match.one("call")) is not None and not found.room_for_calls(line(call)):
            break
        _call_facts(match, known, found)
    for match in creations:
        _creation_facts(match, known, found)
    per_request = per_request_functions(found)
    found.connects = [_per_request(c, per_request) for c in found.connects]
    found.connects.sort(key=lambda c: c.line)
    found.calls.sort(key=lambda c: c.line)
    found.classes = _top_level_types(root)
    return found


_TYPE_DECLARATIONS = frozenset({"class_declaration", "interface_declaration", "enum_declaration",
                                "record_declaration", "struct_declaration", "record_struct_declaration"})
_NAMESPACES = frozenset({"namespace_declaration", "file_scoped_namespace_declaration"})
# Base classes whose subclasses ASP.NET Core or the generic host create without the code naming them.
_FRAMEWORK_BASES = frozenset({"Controller", "ControllerBase", "Hub", "PageModel", "BackgroundService",
                              "IHostedService", "ComponentBase", "LayoutComponentBase", "ViewComponent",
                              "IStartupFilter", "IMiddleware", "DbContext", "Profile", "AbstractValidator"})
_ENTRY_CLASSES = frozenset({"Program", "Startup"})
# Registrations that make a type injectable (naming it there is not using it; AddHostedService runs it, so it is
# not one of these).
_INJECTION_REGISTRATIONS = frozenset({"AddScoped", "AddTransient", "AddSingleton", "AddHttpClient", "TryAddScoped",
                                      "TryAddTransient", "TryAddSingleton"})


def _top_level_types(root: tree_sitter.Node) -> list[ClassDecl]:
    """The file's top-level types (inside namespaces too). Only a plain class is judged for being used: one
    with attributes, a framework base (a controller, a hub, a hosted service), a static class (its extension
    methods are called without its name), a partial one, Program and Startup are not."""
    found: list[ClassDecl] = []
    pending = list(root.named_children[:2_000])
    while pending and len(found) < 1_000:
        node = pending.pop(0)
        if node.type in _NAMESPACES:
            body = node.child_by_field_name("body")
            if body is not None:  # a file-scoped namespace's declarations are its siblings, already pending
                pending[:0] = body.named_children[:2_000]
            continue
        if node.type not in _TYPE_DECLARATIONS:
            continue
        name = node.child_by_field_name("name")
        if name is None:
            continue
        bases = [_last_segment(text(b).split("<", 1)[0]) for c in node.named_children if c.type == "base_list"
                 for b in c.named_children]
        modifiers = {text(c) for c in node.children if c.type == "modifier"}
        managed = (node.type != "class_declaration" or any(c.type == "attribute_list" for c in node.children)
                   or bool(modifiers & {"static", "partial", "abstract"}) or text(name) in _ENTRY_CLASSES
                   or bool(set(bases) & _FRAMEWORK_BASES))
        found.append(ClassDecl(text(name), node.start_point[0] + 1, node.end_point[0] + 1, tuple(bases), managed))
    return found


def _calls(call_matches: list[Match]) -> list[Match]:
    """Every invocation with its parts as captures: @call, @object (the receiver, if any), @method, @args."""
    found = []
    for match in call_matches:
        call = match.one("call")
        if call is None:
            continue
        function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is None or args is None:
            continue
        captures = {"call": [call], "args": [args]}
        if function.type == "member_access_expression":
            obj, name = function.child_by_field_name("expression"), function.child_by_field_name("name")
            if obj is None or name is None:
                continue
            captures |= {"object": [obj], "method": [name]}
        elif function.type in ("identifier", "generic_name"):
            captures["method"] = [function]
        else:
            continue
        found.append(Match(match.pattern, captures))
    found.sort(key=lambda m: (m.captures["call"][0].start_byte, m.captures["call"][0].end_byte))  # inner first
    return found


# -- what the file declares ---------------------------------------------------------------------------------

def _declarations(by_fact: dict[str, list[Match]]) -> _File:
    known = _File()
    budget = MAX_MATCHES  # names read, as many as the query gave matches when it matched each declarator
    for match in by_fact["declarations"]:
        kind = match.one("type")
        if kind is None or budget <= 0:
            continue
        kind_text = text(kind)
        declaration = match.one("declaration")  # a variable declaration; a parameter or property has its @name
        named: list[tuple[tree_sitter.Node, tree_sitter.Node | None]] = []
        if declaration is None:
            named.extend((n, None) for n in match.captures.get("name", []))
        else:
            named.extend(_declarators(declaration, budget))
        budget -= max(len(named), 1)
        for name_node, declarator in named:
            name = text(name_node)
            known.types.setdefault(name, []).append(_last_segment(kind_text))
            known.full_types.setdefault(name, []).append(kind_text)
            if declarator is not None:
                value = _declarator_value(declarator)
                if value is not None:
                    remember(known.values, name, (declarator, value))
    for match in by_fact["assignments"]:
        left, right = match.one("left"), match.one("right")
        if left is None or right is None:
            continue
        target = _strip_this(text(left))
        if target.endswith(".Timeout"):
            known.timeouts.setdefault(target.rsplit(".", 1)[0], []).append((left, right))
        elif "." not in target or target.endswith(".BaseAddress"):
            parent = left.parent.parent if left.parent is not None else None
            if parent is not None and parent.type == "initializer_expression":
                continue  # `new X { Name = … }`: a member of the new object, not a variable
            remember(known.values, target, (left, right))
    for match in by_fact["handlers"]:
        method, method_name = match.one("method"), match.one("name")
        if method is not None and method_name is not None:
            known.methods.setdefault(text(method_name), method)
    return known


def _declarators(declaration: tree_sitter.Node, limit: int) -> list[tuple[tree_sitter.Node, tree_sitter.Node]]:
    """(name, declarator) of up to `limit` declarators of `int a, b = 1;`. A query that matched each declarator
    made a match for every one (250,000 in 500 KB of `a,`: 1.3 s) before all but the first 20,000 were dropped;
    the children are walked with a cursor, as listing those of a node that wide would make each of them."""
    found: list[tuple[tree_sitter.Node, tree_sitter.Node]] = []
    cursor = declaration.walk()
    more = cursor.goto_first_child()
    while more and len(found) < limit:
        node = cursor.node
        if node is not None and node.type == "variable_declarator":
            name = node.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                found.append((name, node))
        more = cursor.goto_next_sibling()
    return found


def _declarator_value(declarator: tree_sitter.Node) -> tree_sitter.Node | None:
    name = declarator.child_by_field_name("name")
    for child in declarator.named_children:
        if child != name and child.type not in ("bracketed_argument_list", "comment"):
            return child
    return None


def _note_call(match: Match, known: _File) -> None:
    """Calls that inform other facts: `cts.CancelAfter(…)`, `Configure<T>(config.GetSection("s"))`."""
    method, obj, args = match.one("method"), match.one("object"), match.one("args")
    if method is None or args is None:
        return
    name = _name(method)
    if name == "CancelAfter" and obj is not None:
        known.cancel_after.add(_strip_this(_receiver(obj)))
    elif name == "Configure" and method.type == "generic_name":
        types = _type_arguments(method)
        first = _arguments(args)[:1]
        if types and first and first[0].named_children:
            section = _section_of(first[0].named_children[-1])
            if section is not None:
                known.options_sections[types[-1]] = section


def _section_of(node: tree_sitter.Node) -> str | None:
    """`configuration.GetSection("urls")` → "urls"; the configuration root itself → ""."""
    if node.type == "invocation_expression":
        function = node.child_by_field_name("function")
        if (function is not None and function.type == "member_access_expression"
                and _name(function.child_by_field_name("name")) == "GetSection"):
            args = _arguments(node.child_by_field_name("arguments"))
            return _string(args[0]) if args else None
    if node.type in ("identifier", "member_access_expression") and _CONFIG_NAME.search(
            text(node).rsplit(".", 1)[-1]):
        return ""
    return None


# -- handlers -------------------------------------------------------------------------------------------------

def _handlers(handler_matches: list[Match], calls: list[Match], known: _File, found: Extracted) -> None:
    for match in handler_matches:
        method, name_node = match.one("method"), match.one("name")
        if method is None or name_node is None or method.type != "method_declaration":
            continue
        name = text(name_node)
        framework = _handler_framework(method, name, known)
        if framework:
            found.handlers.append(Handler(line(name_node), name, framework))
            known.handler_names.add(name)
    for match in calls:
        method, args = match.one("method"), match.one("args")
        if method is None or args is None or _name(method) not in _MINIMAL_API or match.one("object") is None:
            continue
        arguments = _arguments(args)
        if len(arguments) < 2:
            continue
        route = _string(arguments[0])
        if route is None:
            continue
        delegate = arguments[-1].named_children[-1] if arguments[-1].named_children else arguments[-1]
        if delegate.type == "identifier" and text(delegate) in known.methods:
            found.handlers.append(Handler(line(match.one("call") or method), text(delegate), "aspnetcore"))
            known.handler_names.add(text(delegate))
        elif delegate.type in ("lambda_expression", "anonymous_method_expression"):
            synthetic = f"{_name(method)} {route}"
            known.lambdas[delegate.start_byte] = synthetic
            found.handlers.append(Handler(line(delegate), synthetic, "aspnetcore"))
            known.handler_names.add(synthetic)
    _callees(calls, known, found)


def _handler_framework(method: tree_sitter.Node, name: str, known: _File) -> str:
    """The framework that runs `method` per request, or "" when it is not a handler."""
    classes = known.classes.chain(method, 1)
    if not classes:
        return ""
    klass = classes[0]
    modifiers = {text(c) for c in method.children if c.type == "modifier"}
    attributes = _attributes(method)
    bases = _bases(klass)
    if any(b.endswith("Base") and "." in b for b in bases) and "override" in modifiers:
        return "grpc"  # a gRPC service: `class BasketService : Basket.BasketBase`
    if "PageModel" in {_last_segment(b) for b in bases} and re.match(r"On(?:Get|Post|Put|Delete|Patch)", name):
        return "razor-pages"
    controller = (bool(_attributes(klass) & _CONTROLLER_ATTRIBUTES)
                  or any(_last_segment(b) in ("Controller", "ControllerBase") for b in bases))
    if not controller or "NonAction" in attributes or "static" in modifiers:
        return ""
    if attributes & _ACTION_ATTRIBUTES or "public" in modifiers:
        return "aspnetcore"  # public methods of a controller are actions by convention
    return ""


def _callees(calls: list[Match], known: _File, found: Extracted) -> None:
    """Methods of this file called by name (or on `this`) from each method or handler lambda."""
    for match in calls:
        call, method = match.one("call"), match.one("method")
        if call is None or method is None:
            continue
        obj = match.one("object")
        if obj is not None and _receiver(obj) not in ("this", "base"):
            continue
        name = _name(method)
        caller = _function(call, known) if name in known.methods else ""
        if caller:
            found.callees.setdefault(caller, set()).add(name)


# -- calls ------------------------------------------------------------------------------------------------------

def _call_facts(match: Match, known: _File, found: Extracted) -> None:
    call, method, args = match.one("call"), match.one("method"), match.one("args")
    obj = match.one("object")
    if call is None or method is None or args is None:
        return
    name = _name(method)
    if name in _INJECTION_REGISTRATIONS:
        found.registers.update(_type_arguments(method))
    if obj is not None and name in _HTTP_METHODS and _is_http_client(obj, known):
        _http_call(call, obj, args, known, found)
    elif name in ("AddHttpClient", "AddGrpcClient") and obj is not None:
        _registration(call, name, method, args, known, found)
    elif name == "ForAddress" and _receiver(obj) in ("GrpcChannel", "Grpc.Net.Client.GrpcChannel"):
        arguments = _arguments(args)
        target = _target(arguments[0], known) if arguments else Target()
        found.calls.append(Call(line(call), "grpc", target, (Bound("deferred", line(call), _PER_RPC),), "grpc",
                                _function(call, known)))
    elif obj is not None and name.endswith("Async") and _is_grpc_stub(obj, known):
        bounds = tuple(Bound("timeout", line(a), _clip(text(a))) for a in _arguments(args)
                       if _argument_name(a) == "deadline" or _argument_name(a) == "options")
        found.calls.append(Call(line(call), "grpc", Target(), bounds, "grpc", _function(call, known)))
    elif name in ("InvokeMethodAsync", "InvokeMethodGrpcAsync") and "dapr" in _receiver(obj).lower():
        app = next((s for s in (_string(a) for a in _arguments(args)) if s), None)
        if app:
            found.calls.append(Call(line(call), "dapr", Target(host=app), (), "http", _function(call, known)))
    elif name == "CreateInvokeHttpClient" and match.one("call") is not None and _passed_on(call):
        app = next((s for s in (_string(a) for a in _arguments(args)) if s), None)
        if app:  # `new BasketService(DaprClient.CreateInvokeHttpClient("basket-api"))`: a typed client's address
            found.calls.append(Call(line(call), "dapr", Target(host=app), (
                Bound("default_timeout", line(call), _HTTPCLIENT_DEFAULT, 100.0),), "http", _function(call, known)))
    elif name in ("AddMarten", "AddStackExchangeRedisCache") and obj is not None:
        _configured_connection(call, name, args, known, found)
    elif name in _EF_REGISTRATIONS or name in _ASPIRE_CLIENTS:
        _registered_connection(call, name, args, known, found)
    elif name in ("Connect", "ConnectAsync") and _last_segment(_receiver(obj)) == "ConnectionMultiplexer":
        arguments = _arguments(args)
        target = _target(arguments[0], known) if arguments else Target()
        found.connects.append(Connect(line(call), "StackExchange.Redis", "redis", True, None, 0,
                                      _function(call, known), _in_handler(call, known), target))
    elif name == "Create" and _last_segment(_receiver(obj)) == "NpgsqlDataSource":
        found.connects.append(Connect(line(call), "Npgsql", "postgres", True, None, 0, _function(call, known),
                                      _in_handler(call, known)))
    elif name == "OnConfiguring" or name in _EF_PROVIDERS:
        _on_configuring(call, name, args, known, found)
    elif name == "ConfigureHttpClientDefaults":
        source = " ".join(_policy_source(a, known) for a in _arguments(args))
        kinds = list(_STANDARD_RESILIENCE) if re.search(r"AddStandard(?:Resilience|Hedging)Handler", source) else []
        kinds += [k for k in _kinds(source) if k not in kinds]
        found.client_defaults += [Bound(k, line(call), _clip(f"ConfigureHttpClientDefaults: {k}")) for k in kinds]
    elif name == "AddServiceDefaults" and "AddServiceDefaults" not in known.methods:
        found.client_defaults += [Bound(k, line(call), "Aspire ServiceDefaults: AddStandardResilienceHandler")
                                  for k in _STANDARD_RESILIENCE]
    elif name in _TOOL_HOSTS:
        found.hosts_tool = _TOOL_HOSTS[name]
    elif name == "AddSession":
        store = _session_store(known)
        if store:
            found.sessions.append(Session(line(call), "aspnetcore-session", store))
    if name in _TRACING and _traces(call, name, known):
        system, what = _TRACING[name]
        found.tracing.append(Tracing(line(method), system, what))
    elif obj is not None and name in ("Configure", "Initialize") and _receiver(obj).endswith("Datadog.Trace.Tracer"):
        found.tracing.append(Tracing(line(call), "datadog", "sdk"))


def _traces(call: tree_sitter.Node, name: str, known: _File) -> bool:
    """Whether a tracing method sets up tracing here: an exporter counts inside a tracer provider's setup, not a
    meter's or a logger's (`WithMetrics(m => m.AddOtlpExporter())`); `AddServiceDefaults` counts when its body is
    not in this file (the Aspire template's ServiceDefaults configures OpenTelemetry tracing)."""
    if name == "AddServiceDefaults":
        return "AddServiceDefaults" not in known.methods
    if not name.endswith("Exporter"):
        return True
    for parent in known.invocations.chain(call, 64):
        function = parent.child_by_field_name("function")
        outer = _name(function.child_by_field_name("name")) if function is not None and function.type == (
            "member_access_expression") else _name(function)
        if outer in _TRACER_SCOPES:
            return True
        if outer in _OTHER_SIGNAL_SCOPES:
            return False
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("expression") if function is not None else None
    return bool(receiver is not None and re.search(r"Trac(?:er|ing)", text(receiver)[:_MAX_TEXT]))


def _passed_on(call: tree_sitter.Node) -> bool:
    """The value is handed to another object (an argument), not kept in a name this file calls through."""
    return call.parent is not None and call.parent.type == "argument"


def _is_http_client(obj: tree_sitter.Node, known: _File) -> bool:
    if obj.type == "object_creation_expression":
        return _last_segment(text(obj.child_by_field_name("type"))) == "HttpClient"
    if obj.type == "invocation_expression":
        return _created_client(obj)
    name = _strip_this(_receiver(obj))
    if "HttpClient" in known.types.get(name, ()):
        return True
    return any(_created_client(value) for _, value in known.values.get(name, ()))


def _created_client(value: tree_sitter.Node) -> bool:
    """`new HttpClient(…)`, `factory.CreateClient(…)`, `DaprClient.CreateInvokeHttpClient(…)`."""
    if value.type == "object_creation_expression":
        return _last_segment(text(value.child_by_field_name("type"))) == "HttpClient"
    if value.type == "implicit_object_creation_expression":
        return False  # `new()`: the declared type decides (read with the declaration)
    if value.type == "invocation_expression":
        function = value.child_by_field_name("function")
        if function is not None and function.type == "member_access_expression":
            return _name(function.child_by_field_name("name")) in ("CreateClient", "CreateInvokeHttpClient")
    return False


def _http_call(call: tree_sitter.Node, obj: tree_sitter.Node, args: tree_sitter.Node, known: _File,
               found: Extracted) -> None:
    receiver = _strip_this(_receiver(obj))
    arguments = _arguments(args)
    target = _target(arguments[0], known) if arguments else Target()
    if not target.url and not target.env and not target.host:
        target = _client_base(obj, receiver, known)
    bounds = list(_client_timeouts(obj, receiver, known))
    bounds += _token_bounds(arguments, known)
    bounds += _policy_bounds(call, known)
    explicit = [b for b in bounds if b.kind != "default_timeout"]
    if not any(b.kind == "timeout" for b in explicit) and not _infinite(obj, receiver, known):
        bounds.append(Bound("default_timeout", line(call), _HTTPCLIENT_DEFAULT, 100.0))
    bounds = [b for b in bounds if b.kind != "unbounded"]
    found.calls.append(Call(line(call), "HttpClient", target, tuple(bounds), "http", _function(call, known),
                            injected=_typed_client(call, obj, receiver, known)))


def _typed_client(call: tree_sitter.Node, obj: tree_sitter.Node, receiver: str, known: _File) -> str:
    """`HttpClient:Catalog` when the call's client is the HttpClient the factory injects into a typed client
    (a field or parameter of type HttpClient in class `CatalogService`, given no value but a constructor
    parameter): its registration (`AddHttpClient<ICatalogService, CatalogService>().AddPolicyHandler(…)`, in
    another file) decides what bounds it."""
    if obj.type not in ("identifier", "member_access_expression") or "HttpClient" not in known.types.get(receiver, ()):
        return ""
    if known.timeouts.get(receiver):
        return ""  # the file sets the client's Timeout itself: that is what bounds it
    values = known.values.get(receiver, ())
    if any(value.type != "identifier" or "HttpClient" not in known.types.get(text(value), ()) for _, value in values):
        return ""  # built here (`new HttpClient`, `factory.CreateClient("name")`): not the typed client's
    classes = known.classes.chain(call, 1)
    name = classes[0].child_by_field_name("name") if classes else None
    return f"HttpClient:{text(name)}" if name is not None else ""


def _client_base(obj: tree_sitter.Node, receiver: str, known: _File) -> Target:
    """The client's `BaseAddress` (set on it, in its initializer) or a Dapr invoke client's app id."""
    candidates: list[tree_sitter.Node] = [obj] if obj.type != "identifier" else []
    candidates += [value for _, value in known.values.get(receiver, ())]
    for value in candidates:
        if value.type == "object_creation_expression":
            base = _initializer_value(value, "BaseAddress")
            if base is not None:
                return _target(base, known)
        if value.type == "invocation_expression" and "CreateInvokeHttpClient" in text(
                value.child_by_field_name("function")):
            arguments = _arguments(value.child_by_field_name("arguments"))
            app = _string(arguments[0]) if arguments else None
            if app:
                return Target(url=f"http://{app}")
    for _left, right in known.values.get(f"{receiver}.BaseAddress", ()):
        return _target(right, known)
    return Target()


def _client_timeouts(obj: tree_sitter.Node, receiver: str, known: _File) -> list[Bound]:
    """`client.Timeout = …` and `new HttpClient { Timeout = … }` on the client used (an infinite timeout is no
    bound: kind `unbounded`, dropped by the caller)."""
    bounds = []
    values: list[tuple[tree_sitter.Node, tree_sitter.Node]] = list(known.timeouts.get(receiver, ()))
    created = [obj] if obj.type == "object_creation_expression" else []
    created += [value for _, value in known.values.get(receiver, ()) if value.type in (
        "object_creation_expression", "implicit_object_creation_expression")]
    for value in created:
        timeout = _initializer_value(value, "Timeout")
        if timeout is not None:
            values.append((timeout, timeout))
    for left, right in values:
        kind = "unbounded" if _INFINITE.search(text(right)) else "timeout"
        bounds.append(Bound(kind, line(left), _clip(f"Timeout = {text(right)}"), _seconds(text(right))))
    return bounds


def _infinite(obj: tree_sitter.Node, receiver: str, known: _File) -> bool:
    return any(b.kind == "unbounded" for b in _client_timeouts(obj, receiver, known))


def _token_bounds(arguments: list[tree_sitter.Node], known: _File) -> list[Bound]:
    """A cancellation token from `new CancellationTokenSource(timeout)` or one given `CancelAfter(…)`."""
    bounds = []
    for argument in arguments:
        value = argument.named_children[-1] if argument.named_children else argument
        source = _strip_this(text(value))
        if source.endswith(".Token"):
            source = source[: -len(".Token")]
        if source in known.cancel_after:
            bounds.append(Bound("timeout", line(argument), _clip(f"{source}.CancelAfter")))
            continue
        for _, created in known.values.get(source, ()):
            if created.type == "object_creation_expression" and _last_segment(text(
                    created.child_by_field_name("type"))) == "CancellationTokenSource" and _arguments(
                    created.child_by_field_name("arguments")):
                bounds.append(Bound("timeout", line(created), _clip(text(created))))
    return bounds


def _policy_bounds(call: tree_sitter.Node, known: _File) -> list[Bound]:
    """A call made inside `policy.ExecuteAsync(() => …)`: the policy's kinds, from where it is built."""
    bounds: list[Bound] = []
    for parent in known.invocations.chain(call, 64):
        function = parent.child_by_field_name("function")
        if function is None or function.type != "member_access_expression":
            continue
        if not _name(function.child_by_field_name("name")).startswith("Execute"):
            continue
        policy = function.child_by_field_name("expression")
        if policy is None:
            continue
        name = _strip_this(text(policy))
        sources = [text(policy)] + known.types.get(name, []) + [text(v) for _, v in known.values.get(name, ())]
        for kind in _kinds(" ".join(sources)[:_MAX_TEXT]):
            bounds.append(Bound(kind, line(parent), _clip(f"{name}.Execute")))
        if bounds:
            break
    return bounds


def _registration(call: tree_sitter.Node, name: str, method: tree_sitter.Node, args: tree_sitter.Node, known: _File,
                  found: Extracted) -> None:
    """`services.AddHttpClient<T>(c => c.BaseAddress = …).AddPolicyHandler(…)`, `AddGrpcClient<T>(o => o.Address
    = …)`: one call to the address, bounded by what the registration attaches."""
    grpc = name == "AddGrpcClient"
    address_member = "Address" if grpc else "BaseAddress"
    configure: list[tree_sitter.Node] = list(_arguments(args))
    bounds: list[Bound] = []
    infinite = False
    for step, step_args in _chain(call, known):
        arguments = _arguments(step_args)
        if step in ("ConfigureHttpClient", "ConfigureChannel"):
            configure += arguments
        elif step in ("AddStandardResilienceHandler", "AddStandardHedgingHandler"):
            bounds += [Bound(k, line(step_args), step) for k in ("retry", "circuit_breaker", "timeout")]
        elif step in ("AddPolicyHandler", "AddTransientHttpErrorPolicy", "AddResilienceHandler"):
            source = " ".join(_policy_source(a, known) for a in arguments)
            bounds += [Bound(k, line(step_args), _clip(f"{step}({text(step_args)[1:-1]})")) for k in _kinds(source)]
    address: Target = Target()
    for argument in configure:
        for node in _assignments_in(argument):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            member = _strip_this(text(left)).rsplit(".", 1)[-1]
            if member == address_member and right is not None:
                address = _target(right, known)
            elif member == "Timeout" and right is not None and not grpc:
                if _INFINITE.search(text(right)):
                    infinite = True
                else:
                    bounds.append(Bound("timeout", line(node), _clip(f"Timeout = {text(right)}"),
                                        _seconds(text(right))))
    if not grpc and not infinite and not any(b.kind == "timeout" for b in bounds):
        bounds.append(Bound("default_timeout", line(call), _HTTPCLIENT_DEFAULT, 100.0))
    types = _type_arguments(method)
    if not grpc and types:  # a typed client: its calls in the class it names get what the registration attaches
        found.beans.append(Bean(f"HttpClient:{types[-1]}", line(call), tuple(bounds)))
    if not (address.url or address.env or address.host):
        return  # the address is set elsewhere: the typed client's own calls are read where they are made
    if grpc and not bounds:
        bounds.append(Bound("deferred", line(call), _PER_RPC))
    client = "grpc" if grpc else "HttpClientFactory"
    found.calls.append(Call(line(call), client, address, tuple(bounds), "grpc" if grpc else "http",
                            _function(call, known)))


def _policy_source(argument: tree_sitter.Node, known: _File) -> str:
    """The source text that builds a policy: a lambda, a method of this file, a variable's value; else the
    expression itself (its name, as a last resort)."""
    value = argument.named_children[-1] if argument.named_children else argument
    parts = [text(value)]
    if value.type == "invocation_expression":
        function = value.child_by_field_name("function")
        callee = _name(function) if function is not None and function.type != "member_access_expression" else ""
        if function is not None and function.type == "member_access_expression":
            callee = _name(function.child_by_field_name("name"))
        body = known.methods.get(callee)
        if body is not None:
            parts.append(text(body))
    elif value.type == "identifier":
        parts += [text(v) for _, v in known.values.get(text(value), ())]
        parts += known.types.get(text(value), [])
    return " ".join(parts)[:_MAX_TEXT]


def _kinds(source: str) -> list[str]:
    kinds = []
    if _RETRY.search(source):
        kinds.append("retry")
    if _BREAKER.search(source):
        kinds.append("circuit_breaker")
    if _TIMEOUT.search(source):
        kinds.append("timeout")
    return kinds


def _is_grpc_stub(obj: tree_sitter.Node, known: _File) -> bool:
    """A generated gRPC client: declared as `Svc.SvcClient` (protoc's naming), e.g. `Basket.BasketClient`."""
    for kind in known.full_types.get(_strip_this(_receiver(obj)), ()):
        parts = kind.split("<", 1)[0].split(".")
        if len(parts) >= 2 and parts[-1] == parts[-2] + "Client":
            return True
    return False


# -- connections --------------------------------------------------------------------------------------------

def _creation_facts(match: Match, known: _File, found: Extracted) -> None:
    new, kind = match.one("new"), match.one("type")
    if new is None or kind is None:
        return
    name = _last_segment(text(kind))
    arguments = _arguments(match.one("args"))
    if name in _ADO_CONNECTIONS:
        literal = _connection_string(arguments[0], known) if arguments else ""
        pooled = not _POOLING_OFF.search(literal)
        size = _MAX_POOL.search(literal)
        target = _target(arguments[0], known) if arguments else Target()
        found.connects.append(Connect(line(new), name, _ADO_CONNECTIONS[name], pooled,
                                      digits(size.group(1)) if size and pooled else None, 0, _function(new, known),
                                      _in_handler(new, known), Target(env=target.env)))
    elif name == "MongoClient":
        target = _target(arguments[0], known) if arguments else Target()
        found.connects.append(Connect(line(new), "MongoDB.Driver", "mongodb", True, None, 0, _function(new, known),
                                      _in_handler(new, known), Target(env=target.env)))


def _registered_connection(call: tree_sitter.Node, name: str, args: tree_sitter.Node, known: _File,
                           found: Extracted) -> None:
    if name in _ASPIRE_CLIENTS:
        library, datastore = _ASPIRE_CLIENTS[name]
        arguments = _arguments(args)
        connection = _string(arguments[0]) if arguments else None
        target = Target(env=f"ConnectionStrings__{connection}") if connection else Target()
        found.connects.append(Connect(line(call), library, datastore, True, None, 0, _function(call, known),
                                      False, target))
        return
    provider = None
    for node in _descendants(args, 4_000):
        if node.type == "invocation_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "member_access_expression":
                step = _name(function.child_by_field_name("name"))
                if step in _EF_PROVIDERS:
                    provider = (node, step)
                    break
    if provider is None:
        return
    node, step = provider
    arguments = _arguments(node.child_by_field_name("arguments"))
    target = _target(arguments[0], known) if arguments else Target()
    found.connects.append(Connect(line(call), "efcore", _EF_PROVIDERS[step], True, None, 0, _function(call, known),
                                  False, Target(env=target.env)))


def _configured_connection(call: tree_sitter.Node, name: str, args: tree_sitter.Node, known: _File,
                           found: Extracted) -> None:
    """Marten (`AddMarten(o => o.Connection(cs))`: a pooled Npgsql data source) and the Redis distributed cache
    (`AddStackExchangeRedisCache(o => o.Configuration = cs)`: one shared multiplexer)."""
    target = Target()
    for node in _descendants(args, 4_000):
        if name == "AddMarten" and node.type == "invocation_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "member_access_expression" and _name(
                    function.child_by_field_name("name")) == "Connection":
                arguments = _arguments(node.child_by_field_name("arguments"))
                target = _target(arguments[0], known) if arguments else Target()
                break
        elif name == "AddStackExchangeRedisCache" and node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and _receiver(left).endswith("Configuration"):
                target = _target(right, known)
                break
    library, datastore = ("Marten", "postgres") if name == "AddMarten" else ("StackExchange.Redis", "redis")
    found.connects.append(Connect(line(call), library, datastore, True, None, 0, _function(call, known), False,
                                  Target(env=target.env)))


def _on_configuring(call: tree_sitter.Node, name: str, args: tree_sitter.Node, known: _File,
                    found: Extracted) -> None:
    """`optionsBuilder.UseSqlServer(…)` in a DbContext's `OnConfiguring` (design-time factories are tooling)."""
    if name not in _EF_PROVIDERS:
        return
    if _function(call, known) != "OnConfiguring":
        return
    arguments = _arguments(args)
    target = _target(arguments[0], known) if arguments else Target()
    found.connects.append(Connect(line(call), "efcore", _EF_PROVIDERS[name], True, None, 0, "OnConfiguring", False,
                                  Target(env=target.env)))


def _per_request(connect: Connect, per_request: set[str]) -> Connect:
    """A Redis multiplexer or Mongo client is a pool meant to live for the process: one made per request is a
    connection per request (pooled False)."""
    if connect.library not in ("StackExchange.Redis", "MongoDB.Driver"):
        return connect
    if connect.in_handler or (connect.function and connect.function in per_request):
        return Connect(connect.line, connect.library, connect.datastore, False, None, 0, connect.function,
                       connect.in_handler, connect.target)
    return connect


def _connection_string(node: tree_sitter.Node, known: _File) -> str:
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    for _ in range(_MAX_RESOLVE):
        literal = _string(value)
        if literal is not None:
            return literal
        if value.type != "identifier":
            return ""
        values = known.values.get(text(value), ())
        if len(values) != 1:
            return ""
        value = values[0][1]
    return ""


def _session_store(known: _File) -> str:
    """The IDistributedCache registered in the same file (ASP.NET Core session keeps its data there)."""
    root = known.root
    stores = {store for name, store in _SESSION_STORES.items() if re.search(rf"\b{name}\b", text(root))}
    if len(stores) == 1:
        return stores.pop()
    stores.discard("memory")  # a memory cache next to a shared one: the shared one holds sessions
    return stores.pop() if len(stores) == 1 else ""


# -- targets --------------------------------------------------------------------------------------------------

def _target(node: tree_sitter.Node, known: _File, depth: int = 0) -> Target:
    """Where a URL expression points: a literal, a template, a configuration key, a name given one of those."""
    if depth > _MAX_RESOLVE:
        return Target()
    if node.type == "argument":
        if not node.named_children:
            return Target()
        node = node.named_children[-1]
    literal = _string(node)
    if literal is not None:
        return Target(url=literal) if "://" in literal else Target()
    if node.type == "interpolated_string_expression":
        return _template(node, known, depth)
    if ((node.type == "object_creation_expression" and _last_segment(text(node.child_by_field_name("type"))) == "Uri")
            or node.type == "implicit_object_creation_expression"):  # `new Uri(x)`, `BaseAddress = new(x)`
        arguments = _arguments(next((c for c in node.named_children if c.type == "argument_list"), None))
        return _target(arguments[0], known, depth + 1) if arguments else Target()
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        base = _target(left, known, depth + 1) if left is not None else Target()
        rest = _string(right) if right is not None else None
        if base.url and rest is not None:
            return Target(url=base.url + rest, env=base.env, default=base.default)
        return base
    key = _config_key(node, known)
    if key is not None:
        return key
    if node.type in ("identifier", "member_access_expression"):
        name = _strip_this(text(node))
        targets = {_target(v, known, depth + 1) for _, v in known.values.get(name, ())}
        targets.discard(Target())
        if len(targets) == 1:
            return targets.pop()
    if node.type in ("parenthesized_expression", "cast_expression", "postfix_unary_expression"):
        inner = node.named_children[-1] if node.named_children else None
        if inner is not None:
            return _target(inner, known, depth + 1)
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "??":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        base = _target(left, known, depth + 1) if left is not None else Target()
        fallback = _string(right) if right is not None else None
        if base.env and fallback and "://" in fallback:
            return Target(env=base.env, default=fallback)
        return base
    return Target()


def _template(node: tree_sitter.Node, known: _File, depth: int) -> Target:
    parts: list[str | None] = []
    env = ""
    default = ""
    for child in node.named_children:
        if child.type == "string_content":
            parts.append(text(child))
        elif child.type == "interpolation":
            inner = next((c for c in child.named_children if c.type not in (
                "interpolation_brace", "interpolation_alignment_clause", "interpolation_format_clause")), None)
            resolved = _target(inner, known, depth + 1) if inner is not None and not parts else Target()
            if resolved.url:
                parts.append(resolved.url)
            else:
                parts.append(None)
            if not parts[:-1] and (resolved.env or resolved.default):
                env, default = resolved.env, resolved.default
    url = literal_url(parts)
    if env:
        return Target(url=url if "://" in url else "", env=env, default=default)
    return Target(url=url) if "://" in url else Target()


def _config_key(node: tree_sitter.Node, known: _File) -> Target | None:
    """`configuration["Key"]`, `config.GetValue<string>("Key", "default")`, `GetConnectionString("Db")`,
    `Environment.GetEnvironmentVariable("KEY")`, `_settings.Value.Key` (IOptions bound to the configuration)
    → the environment variable naming the value (`A:B` is the variable `A__B`)."""
    if node.type == "element_access_expression":
        owner = node.child_by_field_name("expression")
        subscript = node.child_by_field_name("subscript")
        if owner is not None and subscript is not None and _CONFIG_NAME.search(text(owner).rsplit(".", 1)[-1]):
            args = [c for c in subscript.named_children if c.type == "argument"]
            key = _string(args[0]) if args else None
            if key:
                return Target(env=_env_name(key))
        return None
    if node.type == "invocation_expression":
        function = node.child_by_field_name("function")
        if function is None or function.type != "member_access_expression":
            return None
        name = _name(function.child_by_field_name("name"))
        owner_text = text(function.child_by_field_name("expression"))
        args = _arguments(node.child_by_field_name("arguments"))
        key = _string(args[0]) if args else None
        if not key:
            return None
        default = _string(args[1]) if len(args) > 1 else None
        if name == "GetEnvironmentVariable" and owner_text.endswith("Environment"):
            return Target(env=key)
        if name == "GetValue" and _CONFIG_NAME.search(owner_text.rsplit(".", 1)[-1]):
            return Target(env=_env_name(key), default=default if default and "://" in default else "")
        if name == "GetConnectionString":
            return Target(env=f"ConnectionStrings__{key}")
        return None
    if node.type == "member_access_expression":
        owner = node.child_by_field_name("expression")
        prop = _name(node.child_by_field_name("name"))
        if owner is None or owner.type != "member_access_expression":
            return None
        if _name(owner.child_by_field_name("name")) not in ("Value", "CurrentValue"):
            return None
        base = owner.child_by_field_name("expression")
        options = _options_type(base, known)
        if options is None:
            return None
        section = known.options_sections.get(options, "")
        return Target(env=f"{_env_name(section)}__{prop}" if section else prop)
    return None


def _options_type(base: tree_sitter.Node | None, known: _File) -> str | None:
    """`_settings` declared `IOptions<AppSettings>` (or `sp.GetRequiredService<IOptions<T>>()`) → "AppSettings"."""
    if base is None:
        return None
    declared = text(base)
    if base.type in ("identifier", "member_access_expression"):
        declared = " ".join(known.full_types.get(_strip_this(text(base)), [])) or declared
    found = re.search(r"IOptions(?:Snapshot|Monitor)?\s*<\s*([\w.]+)\s*>", declared)
    return _last_segment(found.group(1)) if found else None


# -- small readers ---------------------------------------------------------------------------------------------

def _function(node: tree_sitter.Node, known: _File) -> str:
    """The enclosing method's name, or the synthetic name of a minimal API handler lambda ("" at top level)."""
    for parent in known.scopes.chain(node):
        if parent.type in ("lambda_expression", "anonymous_method_expression") and parent.start_byte in known.lambdas:
            return known.lambdas[parent.start_byte]
        if parent.type in _FUNCTIONS:
            name = parent.child_by_field_name("name")
            return text(name) if name is not None else ""
    return ""


def _in_handler(node: tree_sitter.Node, known: _File) -> bool:
    name = _function(node, known)
    return bool(name) and name in known.handler_names


def _chain(call: tree_sitter.Node, known: _File) -> list[tuple[str, tree_sitter.Node]]:
    """The fluent calls made on the result of `call`: `X(...).A(...).B(...)` → [(A, args), (B, args)]."""
    steps = []
    current = call
    for _ in range(_MAX_CHAIN):
        step = known.on_receiver.get((current.start_byte, current.end_byte))
        if step is None:
            break
        name, args, invocation = step
        steps.append((name, args))
        current = invocation
    return steps


def _assignments_in(node: tree_sitter.Node, limit: int = 4_000) -> list[tree_sitter.Node]:
    return [n for n in _descendants(node, limit) if n.type == "assignment_expression"]


def _descendants(node: tree_sitter.Node, limit: int) -> list[tree_sitter.Node]:
    """Nodes under `node` in source order, at most `limit` (an explicit stack: no recursion)."""
    out: list[tree_sitter.Node] = []
    stack = list(reversed(node.named_children))
    while stack and len(out) < limit:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.named_children))
    return out


def _initializer_value(creation: tree_sitter.Node, member: str) -> tree_sitter.Node | None:
    init = creation.child_by_field_name("initializer")
    if init is None:
        return None
    for child in init.named_children:
        if child.type == "assignment_expression" and text(child.child_by_field_name("left")) == member:
            return child.child_by_field_name("right")
    return None


def _attributes(node: tree_sitter.Node) -> set[str]:
    names = set()
    for child in node.children:
        if child.type == "attribute_list":
            for attribute in child.named_children:
                if attribute.type == "attribute":
                    names.add(_last_segment(text(attribute.child_by_field_name("name"))).removesuffix("Attribute"))
    return names


def _bases(klass: tree_sitter.Node) -> list[str]:
    for child in klass.children:
        if child.type == "base_list":
            return [text(c) for c in child.named_children if c.type != "argument_list"]
    return []


def _arguments(args: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if args is None:
        return []
    return [c for c in args.named_children if c.type == "argument"]


def _argument_name(argument: tree_sitter.Node) -> str:
    name = argument.child_by_field_name("name")
    return text(name) if name is not None else ""


def _type_arguments(generic: tree_sitter.Node) -> list[str]:
    for child in generic.named_children:
        if child.type == "type_argument_list":
            return [_last_segment(text(c)) for c in child.named_children]
    return []


def _string(node: tree_sitter.Node | None) -> str | None:
    """A string literal's content (None when `node` is not a literal string)."""
    if node is None:
        return None
    if node.type == "argument":
        if not node.named_children or (node.child_by_field_name("name") is not None
                                       and len(node.named_children) < 2):
            return None
        node = node.named_children[-1]
    if node.type == "string_literal":
        return "".join(text(c) for c in node.named_children if c.type in ("string_literal_content",
                                                                             "escape_sequence"))
    if node.type == "verbatim_string_literal":
        raw = text(node)
        return raw[2:-1].replace('""', '"') if raw.startswith('@"') and raw.endswith('"') else None
    if node.type == "raw_string_literal":
        return "".join(text(c) for c in node.named_children if c.type == "raw_string_content")
    return None


def _name(node: tree_sitter.Node | None) -> str:
    """A method's name without type arguments (`AddHttpClient<T>` → `AddHttpClient`)."""
    if node is None:
        return ""
    if node.type == "generic_name":
        first = node.named_children[0] if node.named_children else None
        return text(first) if first is not None else ""
    return text(node)


def _seconds(expression: str) -> float | None:
    """`TimeSpan.FromSeconds(5)` → 5.0 (None when the code computes the value)."""
    found = _TIMESPAN.fullmatch(expression.strip())
    return float(found.group(2)) * _TIMESPAN_UNITS[found.group(1)] if found else None


def _receiver(node: tree_sitter.Node | None) -> str:
    """A receiver's text when it is a name or a short expression; "" for a long one (a fluent chain), whose
    text is never a name the file declares and would cost its length to read at every link."""
    if node is None or node.end_byte - node.start_byte > 200:
        return ""
    return text(node)


def _strip_this(name: str) -> str:
    return name[5:] if name.startswith("this.") else name


def _last_segment(name: str) -> str:
    """`Microsoft.Data.SqlClient.SqlConnection` → `SqlConnection`; `global::X.Y` → `Y`; generics kept out."""
    name = name.split("<", 1)[0].strip().rstrip("?")
    return name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]


def _env_name(key: str) -> str:
    return key.replace(":", "__")


def _clip(detail: str, limit: int = 120) -> str:
    detail = " ".join(detail.split())
    return detail if len(detail) <= limit else detail[: limit - 1] + "…"
