"""What an extractor finds in one source file, and how that becomes the graph's Facts.

Every language's extractor (`python.py`, `javascript.py`, …) returns one `Extracted`: plain records with the
line that states each fact. `to_facts` is the one translation into the vocabulary the rules already read, so
a call made in code and a URL in a config reach the same rules the same way:

- one `config` node per file with facts, request handlers or browser code (source `code`, type the language,
  attrs `dir`, `language`, `handlers`, `unresolved_calls`, `browser`), which graph/code.py attaches to the
  service whose code it is;
- a `calls` edge per outbound call whose target the code states: `host:<name>` for a literal URL or host (or
  the default of an environment lookup), `env:<KEY>` for an address read from the environment or config
  with no default (graph/code.py looks the key up in the owner's environment). Edge attrs: `client`, `bounds`
  (the kinds of bound on the call: `timeout`, `retry`, `circuit_breaker`, `default_timeout`, `deferred`),
  `bound_line`,
  `default_timeout_s` (the library default's figure in seconds, when the only bound is a default),
  `key` (the environment key), `protocol`, `code` (the language), `port`, `path` (the URL's path template,
  `/items/{}`), `caller_context` (only the context its caller hands it is left to bound it: Go);
- settings: `tracing` (an SDK, agent or auto-instrumentation set up in code), `session_store` (the store a
  session middleware uses), `pool` (a pool created with a stated bound or True), `db_connect` (a connection
  opened per request: value `handler`, key the library; a single raw connection shared by a file that serves
  requests: value `shared`; a raw connection in a file without handlers, such as a one-off script, is none);
- a call whose target the code does not show (a URL passed in as an argument) is kept in `unresolved_calls`
  (line, client, bounded): still an unbounded call of that service, with no edge to draw;
- `extra["links"]` (even for a file with no node): what graph/per_request.py needs to follow requests into the
  project's other files — the functions that run per request here, same-file callees, calls into other modules
  (`ExternalCall`), memoised functions, and the raw connections (or pools a function builds) this file alone does
  not show to be per request.

What links files of one language's packages (`exports`, `package_calls`, `stub_params`, `deadlines`) is no fact of
its own: `linkage` puts it in Facts.extra for graph/linkage.py.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from auditor.model import Edge, Facts, Location, Node, Setting, host_ref, node_id

# `deferred`: this line does not decide the bound (a gRPC dial, whose deadline is set per RPC at each stub
# call; a wrapper forwarding its caller's options or context): the call is neither bounded nor unbounded here.
BOUND_KINDS = ("timeout", "retry", "circuit_breaker", "default_timeout", "deferred")
# The detail of a `deferred` bound that only the caller's context decides (Go: a `ctx` parameter): graph/code.py
# settles it for a service whose code never gives a context a deadline (see `Extracted.deadlines`).
CALLER_CONTEXT = "context from the caller (bounded or not there)"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\$\{[^{}]*\}|%[sdv]|:\w+(?=/|$)")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "example.com", "host.docker.internal"})


MAX_ADDRESS_CHARS = 2_048  # characters of a URL, host, variable name or default that a Target keeps


@dataclass(frozen=True)
class Target:
    """Where a call or connection goes, as far as the code says.

    `url` is a literal URL or a template with unknown parts as `{}` (`http://{}/api/users`); `host` a host the
    code states (a literal, or the default of an environment lookup); `env` the environment variable or config
    key whose value is the address (`USER_HOST`, `services.user.url`); `default` the fallback given in code.
    """

    url: str = ""
    host: str = ""
    port: int | None = None
    env: str = ""
    default: str = ""

    def __post_init__(self) -> None:
        # Text longer than an address can be is not one (a hostname has at most 253 characters): kept whole, a
        # 600 KB literal used by 3,000 calls was read again at each (12-25 s, found by fuzzing).
        for name in ("url", "host", "env", "default"):
            if len(getattr(self, name)) > MAX_ADDRESS_CHARS:
                object.__setattr__(self, name, "")


@dataclass(frozen=True)
class Bound:
    """What bounds a call: `kind` one of BOUND_KINDS (`deferred`: decided elsewhere), on `line` (the `timeout=`
    argument, the client's `Timeout:` field, the `@CircuitBreaker` annotation); `detail` says what (`timeout=5`,
    `Retry(total=3)`)."""

    kind: str
    line: int
    detail: str = ""
    seconds: float | None = None  # the bound in seconds where known (a library default's figure, a literal)


@dataclass(frozen=True)
class Call:
    """An outbound request to another service or API: the client library's call on `line`."""

    line: int
    client: str  # requests, httpx, axios, fetch, RestTemplate, net/http, guzzle, grpc, …
    target: Target = Target()
    bounds: tuple[Bound, ...] = ()
    protocol: str = "http"  # http | grpc | thrift
    function: str = ""  # the enclosing function's name ("" at module level)
    # The client is injected: the kind of client it is (`WebClient.Builder`, `HttpClient:CatalogService` for a
    # .NET typed client), which graph/code.py looks up among the owner's beans built in other files.
    injected: str = ""


@dataclass(frozen=True)
class ClassDecl:
    """A top-level class of a Java or C# file, for telling code that runs from code nothing uses (graph/code.py):
    `managed` when a framework creates it without the code naming it (an annotation or attribute, a controller,
    hub or hosted-service base, a `main`)."""

    name: str
    start: int  # first line
    end: int  # last line
    bases: tuple[str, ...] = ()  # superclass and interfaces, last name segment, type arguments dropped
    managed: bool = False


@dataclass(frozen=True)
class Bean:
    """A client the application builds once for injection (a Spring `@Bean` method, a .NET typed-client
    registration, a Go gRPC stub made from a connection it dials), with what bounds it and, where the code
    shows it, where it goes."""

    kind: str  # RestTemplate | WebClient | WebClient.Builder | RestClient | OkHttp | HttpClient:<typed client> |
    # grpc:<import path>.<stub type> | …
    line: int
    bounds: tuple[Bound, ...] = ()
    target: Target = Target()


@dataclass(frozen=True)
class PackageCall:
    """A call of another package's exported function (Go `client.NewUsersClient()`) on `line`. `conns`: argument
    position → the address of the gRPC connection this file
    dials and passes there (`frontend.New(searchConn)`), with the bounds of that dial."""

    package: str  # the import path
    name: str
    line: int = 0
    conns: tuple[tuple[int, Target, tuple[Bound, ...], int], ...] = ()  # (position, address, bounds, dial line)


@dataclass(frozen=True)
class Connect:
    """A database connection or pool created on `line`."""

    line: int
    library: str  # psycopg2, sqlalchemy, pg, mysql2, database/sql, DriverManager, PDO, …
    datastore: str = ""  # postgres | mysql | sqlserver | oracle | sqlite | mongodb | redis | ""
    pooled: bool = False  # a pool (engine, Pool, sql.DB, DataSource) rather than one raw connection
    pool_max: int | None = None  # the stated bound on the pool, None when not stated
    pool_line: int = 0  # where that bound is stated (0: on `line`)
    function: str = ""  # the enclosing function ("" at module level)
    in_handler: bool = False  # directly inside a request handler
    target: Target = Target()
    # The call builds the pool itself (an engine, a `Pool`, a Redis client), rather than drawing from one the
    # driver keeps for the process (ADO.NET, persistent PDO): built per request, it pools nothing.
    pool_object: bool = False


@dataclass(frozen=True)
class Handler:
    """A function that runs per request: a route, a view, a controller method, an HTTP handler."""

    line: int
    function: str
    framework: str  # flask, fastapi, django, express, spring, net/http, gin, php, …


@dataclass(frozen=True)
class Session:
    """A session middleware or API in use, and the store it keeps sessions in (settings.py's vocabulary:
    memory | file | cookie | redis | memcached | jdbc | db | mongodb | hazelcast | cache)."""

    line: int
    framework: str  # express-session, flask-session, spring-session, php, …
    store: str


@dataclass(frozen=True)
class Tracing:
    """Tracing set up in code: an SDK's tracer provider or exporter, an auto-instrumentation import, or a
    propagator. `system` in settings.py's vocabulary (otel, jaeger, zipkin, datadog, elastic-apm, instana,
    newrelic, xray, applicationinsights, sentry)."""

    line: int
    system: str
    what: str  # sdk | auto | exporter | propagation | agent


@dataclass(frozen=True)
class ExternalCall:
    """A call from `caller` (a function of this file; "" for a file's top-level code) into code that another file
    of the project defines, as this file names it; graph/per_request.py finds that file among the service's.

    - Python: `target` the dotted path of the called function or class as imported (`app.db.get_db` for
      `from app.db import get_db`, `repo.Repo.find` for `Repo().find()` with `from repo import Repo`), `level`
      the leading dots of a relative import (1 for `from .db import get_db`);
    - PHP: `target` an included file as written, relative to the including file (`inc/db.php`; kind `include`:
      its top-level code runs), or a global function's name (kind `function`: whichever file of the service
      defines it)."""

    line: int
    caller: str
    target: str
    level: int = 0
    kind: str = "python"  # python | include | function


# Outbound calls read per file: each is classified and followed through the file's bindings (about 0.1 ms), so
# 15,000-25,000 of them in 1 MB took 2.5-3.2 s in Go and 20,000 in 2 MB of JavaScript 3 s (found by fuzzing).
# Real files make a handful.
MAX_CALLS = 5_000
CALLS_LIMIT = f"more than {MAX_CALLS:,} outbound calls; from this line on they are not read"


@dataclass
class Extracted:
    """Everything one extractor found in one file."""

    calls: list[Call] = field(default_factory=list)
    connects: list[Connect] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    tracing: list[Tracing] = field(default_factory=list)
    # function name → the names of functions it calls (same file), so a connection opened in a helper that a
    # handler calls is per request too.
    callees: dict[str, set[str]] = field(default_factory=dict)
    # Bounds the service gives every HTTP/gRPC client it builds through a client factory, wherever the client is
    # used (.NET `ConfigureHttpClientDefaults(h => h.AddStandardResilienceHandler())`): settings `timeout`,
    # `retry`, `circuit_breaker` with key `client_defaults`.
    client_defaults: list[Bound] = field(default_factory=list)
    # The file runs in a browser (a single-page app's code): it has no server facts, but says what its service is.
    browser: bool = False
    # The file hosts an off-the-shelf tool whose role graph/roles.py knows (`observability` for a HealthChecks UI
    # dashboard): the service is that tool, not an application, unless its own code calls or connects.
    hosts_tool: str = ""
    beans: list[Bean] = field(default_factory=list)
    classes: list[ClassDecl] = field(default_factory=list)
    # Type names this file registers for injection only (.NET `AddScoped<IOrderApi, OrderApi>()`): naming a
    # type there does not use it.
    registers: set[str] = field(default_factory=set)
    # Calls into other files of the project, and the functions whose body runs once per process however often
    # they are called (a memoised `@functools.cache` factory): what graph/per_request.py follows across files.
    external_calls: list[ExternalCall] = field(default_factory=list)
    once: set[str] = field(default_factory=set)
    # Module-level names bound to an instance of a class of this file (`db = Database()`): `db.connect()` from
    # another file is `Database.connect`.
    instances: dict[str, str] = field(default_factory=dict)
    # The global functions this file defines (PHP: where a call by name from another file lands; not methods).
    defines: set[str] = field(default_factory=set)
    # Linkage between files of one language's packages (Go), read by graph/code.py: an exported function → the
    # lines of the calls it makes or whose client it builds (its own, its same-file helpers', and those of the
    # methods of the types it constructs); the calls this file makes into other packages; an exported function's
    # parameter position → the gRPC stub kind (`grpc:<path>.<type>`) a connection handed there becomes.
    exports: dict[str, tuple[int, ...]] = field(default_factory=dict)
    package_calls: list[PackageCall] = field(default_factory=list)
    stub_params: dict[str, dict[int, str]] = field(default_factory=dict)
    # Lines where the code gives a context a deadline that may reach a request's calls (Go `context.WithTimeout`
    # not only used to shut down, `http.TimeoutHandler`, a timeout middleware or an interceptor it cannot see into).
    deadlines: list[int] = field(default_factory=list)
    # (line, message) of each bound the extractor reached: a warning on the file, like a parse's.
    limits: list[tuple[int, str]] = field(default_factory=list)

    def room_for_calls(self, at: int) -> bool:
        """False once MAX_CALLS outbound calls are read, with a limit at `at`, the line of the first left out."""
        if len(self.calls) < MAX_CALLS:
            return True
        if not any(message == CALLS_LIMIT for _, message in self.limits):
            self.limits.append((at, CALLS_LIMIT))
        return False

    def empty(self) -> bool:
        """Nothing for a node of its own (the linkage fields travel in Facts.extra, see `linkage`)."""
        return not (self.calls or self.connects or self.sessions or self.tracing or self.client_defaults
                    or self.handlers or self.browser or self.hosts_tool or self.beans)


def per_request_functions(extracted: Extracted, depth: int = 8) -> set[str]:
    """The handlers and the functions they reach through same-file calls (bounded depth); a memoised function
    (`once`) runs once, not per request, and neither do the functions only it calls."""
    reached = {h.function for h in extracted.handlers if h.function}
    frontier = set(reached)
    for _ in range(depth):
        frontier = {c for f in frontier for c in extracted.callees.get(f, ())} - reached - extracted.once
        if not frontier:
            break
        reached |= frontier
    return reached


def host_of(target: Target) -> tuple[str, int | None]:
    """The host (lower case) and port a target names, or ("", None) when the code does not show one."""
    for candidate in (target.url, target.host, target.default):
        if not candidate:
            continue
        host, port = _split_host(candidate)
        if host:
            return host, port if port is not None else target.port
    return "", target.port


def _split_host(text: str) -> tuple[str, int | None]:
    if len(text) > MAX_ADDRESS_CHARS:
        return "", None
    text = text.strip()
    if "://" not in text:
        text = "//" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "", None
    if not host or _PLACEHOLDER.search(host) or "{" in host or not _HOST.match(host):
        return "", None
    return host.lower(), port


def to_facts(path: str, language: str, extracted: Extracted) -> Facts:
    """One file's code facts as graph Facts (see the module docstring); no node when nothing was found."""
    per_request = per_request_functions(extracted)
    links = _links(language, extracted, per_request)
    extra = {"links": links} if links else {}
    if extracted.empty():
        return Facts(path, "code", extra=extra)
    ident = node_id("code", language, path)
    settings: list[Setting] = []
    for trace in extracted.tracing:
        settings.append(Setting("tracing", f"{trace.system} {trace.what} (code)", trace.system,
                                Location(path, trace.line), "code"))
    for bound in extracted.client_defaults:
        # A timeout's value is its seconds where known (a library default), else True: set, length not shown.
        length = bound.seconds if bound.kind == "default_timeout" and bound.seconds else True
        settings.append(Setting("timeout" if bound.kind == "default_timeout" else bound.kind, "client_defaults", length,
                                Location(path, bound.line), "code"))
    for session in extracted.sessions:
        settings.append(Setting("session_store", session.framework, session.store, Location(path, session.line),
                                session.framework))
    for connect in extracted.connects:
        where = Location(path, connect.line)
        if connect.pooled:
            # a pool, or a connection drawn from the driver's process-wide pool (ADO.NET, persistent PDO); an
            # extractor that sees a pool built per request (`create_engine` in a view) says pooled=False
            value: object = connect.pool_max if connect.pool_max is not None else True
            settings.append(Setting("pool", connect.library, value, Location(path, connect.pool_line or connect.line),
                                    connect.library))
        elif connect.in_handler or (connect.function and connect.function in per_request):
            settings.append(Setting("db_connect", connect.library, "handler", where, connect.library))
        elif language == "php":
            # PHP-FPM keeps nothing between requests, so "one connection shared by every request" cannot be:
            # a connection the file's request code does not reach says nothing about requests
            continue
        elif extracted.handlers:
            # One raw connection for a process that serves requests: every request waits on it. In a file
            # without handlers (a one-off script, a migration) a single connection is what it needs.
            settings.append(Setting("db_connect", connect.library, "shared", where, connect.library))
    edges: list[Edge] = []
    unresolved: list[dict[str, object]] = []
    for call in extracted.calls:
        bounds = sorted({b.kind for b in call.bounds if b.kind in BOUND_KINDS})
        host, port = host_of(call.target)
        attrs: dict[str, object] = {"client": call.client, "bounds": bounds, "protocol": call.protocol,
                                    "code": language}
        if call.bounds:
            attrs["bound_line"] = min(b.line for b in call.bounds)
        defaults = [b.seconds for b in call.bounds if b.kind == "default_timeout" and b.seconds is not None]
        if defaults:
            attrs["default_timeout_s"] = min(defaults)
        if call.target.env:
            attrs["key"] = call.target.env
        url_path = path_of(call.target)
        if url_path:
            attrs["path"] = url_path
        if any(b.kind == "deferred" for b in call.bounds) and \
                all(b.detail == CALLER_CONTEXT for b in call.bounds if b.kind == "deferred"):
            attrs["caller_context"] = True
        if call.injected:
            attrs["injected"] = call.injected
        klass = _class_at(extracted.classes, call.line)
        if klass is not None and not klass.managed:
            attrs["klass"] = klass.name
        if port is not None:
            attrs["port"] = port
        where = Location(path, call.line)
        if host in _LOCAL_HOSTS:
            continue  # the process itself or a developer's machine: not a dependency
        if call.target.env and not call.target.default:
            edges.append(Edge(ident, f"env:{call.target.env}", "calls", where, attrs))
        elif host:
            edges.append(Edge(ident, host_ref(host), "calls", where, {**attrs, "host": host}))
        else:
            unresolved.append({"line": call.line, "client": call.client, "bounded": bool(bounds), "bounds": bounds,
                               **({"default_timeout_s": attrs["default_timeout_s"]}
                                  if "default_timeout_s" in attrs else {}),
                               **{k: attrs[k] for k in ("injected", "klass", "caller_context") if k in attrs}})
    handlers = [{"line": h.line, "function": h.function, "framework": h.framework} for h in extracted.handlers]
    node = Node(
        ident, "config", posixpath.basename(path), "code", language, Location(path, 1),
        attrs={"dir": posixpath.dirname(path) or ".", "language": language, "handlers": handlers,
               "unresolved_calls": unresolved, "browser": extracted.browser,
               **({"hosts_tool": extracted.hosts_tool} if extracted.hosts_tool else {}),
               **({"beans": [_bean_attrs(path, bean) for bean in extracted.beans]} if extracted.beans else {}),
               **({"classes": {c.name: list(c.bases) for c in extracted.classes if not c.managed}}
                  if any(not c.managed for c in extracted.classes) else {})},
        settings=tuple(settings),
    )
    return Facts(path, "code", nodes=(node,), edges=tuple(edges), extra=extra)


def _links(language: str, extracted: Extracted, per_request: set[str]) -> dict[str, object]:
    """What graph/per_request.py needs to follow requests across files, as plain data (it is cached): the
    functions that run per request here, same-file callees, calls into other files, and the raw connections
    this file alone does not show to be per request. Empty when the file has no call out and no such connection."""
    calls = [[c.caller, c.target, c.level, c.kind, c.line] for c in extracted.external_calls]
    # (function, line, library, builds a pool): a pool object counts when a function builds it, never at module level
    connects = [[c.function, c.line, c.library, c.pooled] for c in extracted.connects
                if (not c.pooled or (c.pool_object and c.function)) and not c.in_handler
                and c.function not in per_request]
    if not calls and not connects:
        return {}
    return {"language": language, "per_request": sorted(per_request), "once": sorted(extracted.once),
            "callees": {f: sorted(c) for f, c in sorted(extracted.callees.items())}, "calls": calls,
            "connects": connects, "instances": dict(sorted(extracted.instances.items())),
            "defines": sorted(extracted.defines)}


# Values an extractor keeps for one name (every assignment of a C# name in the file, of a PHP variable in its
# function): real files assign a name at most a dozen times (eShopOnContainers: 11), and each call on a name reads
# all of its values, so 2,500 copies of one class in a 1 MB file cost 2,500² readings (killed after 5 s of CPU).
MAX_VALUES_PER_NAME = 64


def remember(values: dict[Any, list[Any]], name: Any, value: Any) -> None:
    """Add `value` to those of `name`, up to MAX_VALUES_PER_NAME (a name assigned more often is ambiguous anyway:
    a call on it gets a target only when all its values agree)."""
    kept = values.setdefault(name, [])
    if len(kept) < MAX_VALUES_PER_NAME:
        kept.append(value)


def literal_url(parts: Iterable[str | None]) -> str:
    """A URL template from string pieces, unknown pieces (None) as `{}`: `["http://", None, "/users"]` →
    `http://{}/users`."""
    return "".join("{}" if part is None else part for part in parts)


def piece_in_host(parts: Sequence[object], host_region: Callable[[str], str]) -> object | None:
    """The first piece that is not literal text (an environment lookup, an unknown) inside the host region of the
    text the parts join to, or None. Each such piece is marked NUL + its index + NUL; the literal text loses its own
    NULs first, so a string in the audited code cannot forge a mark (an index past the end, or of 5,000 digits)."""
    marked = "".join(p.replace("\x00", "") if isinstance(p, str) else f"\x00{i}\x00" for i, p in enumerate(parts))
    found = re.search(r"\x00(\d+)\x00", host_region(marked))
    return None if found is None else parts[int(found.group(1))]


def _bean_attrs(path: str, bean: Bean) -> dict[str, object]:
    """A bean as plain data on the code node: graph/code.py gives its bounds, and its target where the code shows
    one, to the calls injected with it."""
    defaults = [b.seconds for b in bean.bounds if b.kind == "default_timeout" and b.seconds is not None]
    return {"kind": bean.kind, "path": path, "line": bean.line,
            "bounds": sorted({b.kind for b in bean.bounds if b.kind in BOUND_KINDS}),
            **({"default_timeout_s": min(defaults)} if defaults else {}),
            **({"target": target} if (target := target_ref(bean.target)) else {})}


def target_ref(target: Target) -> str:
    """Where a target points as an edge target: `env:<KEY>` for an address read from the environment with no
    default, `host:<name>` for a host the code states, "" when the code shows none (or only a local host)."""
    if target.env and not target.default:
        return f"env:{target.env}"
    host, _ = host_of(target)
    return host_ref(host) if host and host not in _LOCAL_HOSTS else ""


def path_of(target: Target) -> str:
    """The path a call's URL template names (`/items/{}`), "" when it names none."""
    url = target.url
    if not url:
        return ""
    rest = url.split("://", 1)[1] if "://" in url else url
    path = "/" + rest.split("/", 1)[1] if "/" in rest else ""
    return path.split("?", 1)[0].split("#", 1)[0][:200] if path not in ("", "/") else ""


def linkage(extracted: Extracted) -> dict[str, object]:
    """The cross-file linkage of one file (see `Extracted.exports`) as plain data for Facts.extra, {} when none."""
    found: dict[str, object] = {}
    if extracted.exports:
        found["exports"] = {name: list(lines) for name, lines in sorted(extracted.exports.items())}
    if extracted.package_calls:
        found["package_calls"] = [
            {"package": c.package, "name": c.name, "line": c.line,
             "conns": [{"position": position, "line": line, "target": target_ref(target),
                        "bounds": sorted({b.kind for b in bounds if b.kind in BOUND_KINDS})}
                       for position, target, bounds, line in c.conns if target_ref(target)]}
            for c in extracted.package_calls]
    if extracted.stub_params:
        found["stub_params"] = {name: {str(k): v for k, v in sorted(params.items())}
                                for name, params in sorted(extracted.stub_params.items())}
    if extracted.deadlines:
        found["deadlines"] = sorted(set(extracted.deadlines))
    return found


def _class_at(classes: list[ClassDecl], line: int) -> ClassDecl | None:
    return next((c for c in classes if c.start <= line <= c.end), None)


_TYPE_NAME = re.compile(rb"\b[A-Z][A-Za-z0-9_]{2,}\b")
MAX_MENTIONS = 5_000


def type_mentions(source: bytes, own: Iterable[str] = (), declarations: Iterable[str] = ()) -> list[str]:
    """The capitalised names a Java or C# file uses (types, by convention), except its `own` types (which it
    names in declaring and constructing them) and one occurrence per entry of `declarations` (the bases its
    classes extend or implement, the types it registers for injection): `class Mock implements Assets` does not
    use `Assets`. graph/code.py tells a class that nothing names from one that something injects, creates or
    imports."""
    counts: dict[str, int] = {}
    for match in _TYPE_NAME.findall(source[:2_000_000]):
        name = match.decode("ascii", "replace")
        counts[name] = counts.get(name, 0) + 1
    for name in declarations:
        if name in counts:
            counts[name] -= 1
    skip = set(own)
    return sorted(name for name, count in counts.items() if count > 0 and name not in skip)[:MAX_MENTIONS]
