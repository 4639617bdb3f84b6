"""PHP source → code facts (see auditor/code/facts.py).

- calls: curl (`curl_exec` of a handle given `CURLOPT_TIMEOUT`/`_MS` or not: curl waits forever by default),
  Guzzle clients built in the file (`timeout` on the client or the request; Guzzle's default 0 is no timeout),
  Symfony HttpClient and Laravel's `Http` facade (bounded by default: default_socket_timeout, 30 s),
  `file_get_contents`/`fopen` of an http URL (the stream's `timeout`, else default_socket_timeout).
- connects: PDO, mysqli, pg_connect, Redis/Predis, MongoDB. PHP-FPM keeps nothing between requests but
  persistent connections (`PDO::ATTR_PERSISTENT`, `p:` hosts, `pg_pconnect`, `pconnect`): those are pooled.
- handlers: a served script (top-level code with output or request input: every statement runs per request),
  Laravel/Lumen/Slim route closures, Symfony `#[Route]` / `@Route` methods, controller methods.
- sessions: `session_start()` in a file that sets no save handler (PHP's default is files), and the handler a
  file sets (`ini_set('session.save_handler', 'redis')`, a custom `session_set_save_handler`: store `custom`).
- tracing: OpenTelemetry SDK, DDTrace, Elastic APM, Instana, New Relic, Zipkin, Jaeger, Sentry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from auditor.code.facts import (
    Bound,
    Call,
    Connect,
    ExternalCall,
    Extracted,
    Handler,
    Session,
    Target,
    Tracing,
    literal_url,
    per_request_functions,
    remember,
)
from auditor.code.syntax import MAX_NAME_BYTES, Enclosing, Match, line, matches_of, text

SCRIPT = "<script>"  # the synthetic function of a served script's top-level code
# The queries (queries/php/<fact>.scm) every file is read with, run as one walk of its tree.
_FACTS = ("scopes", "assignments", "calls", "handlers", "includes", "creations")
_SCOPES = frozenset({"function_definition", "method_declaration", "anonymous_function", "arrow_function"})
_NAMED = frozenset({"function_definition", "method_declaration"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_GUZZLE_METHODS = _HTTP_VERBS | {"request", "send", "sendasync", "requestasync", "sendrequest"} | {
    f"{v}async" for v in _HTTP_VERBS}
# WordPress's Requests library (WpOrg\Requests, formerly `Requests`): 'timeout' defaults to 10 s (its Requests.php
# default options); the options array's position per method.
_REQUESTS_OPTIONS = {"get": 2, "head": 2, "delete": 2, "options": 2, "post": 3, "put": 3, "patch": 3, "request": 4}
_REQUESTS_DEFAULT = "Requests default 10 s"
# WordPress's HTTP API: WP_Http::request's 'timeout' defaults to 5 s (developer.wordpress.org, WP_Http::request).
_WP_FUNCTIONS = frozenset({"wp_remote_get", "wp_remote_post", "wp_remote_head", "wp_remote_request",
                           "wp_safe_remote_get", "wp_safe_remote_post", "wp_safe_remote_head",
                           "wp_safe_remote_request"})
_WP_DEFAULT = "WordPress HTTP API default 5 s"
# curl waits forever unless CURLOPT_TIMEOUT(_MS) is set (curl.se/libcurl/c/CURLOPT_TIMEOUT.html: default 0, never);
# CURLOPT_CONNECTTIMEOUT bounds the connect only, so a stalled response still hangs.
_CURL_TIMEOUTS = frozenset({"CURLOPT_TIMEOUT", "CURLOPT_TIMEOUT_MS"})
# The http:// stream wrapper's `timeout` context option defaults to default_socket_timeout, 60 s (php.net,
# "HTTP context options"); Symfony HttpClient's `timeout` defaults to it too (symfony.com, HttpClient options).
_SOCKET_DEFAULT = "default_socket_timeout 60 s"
# Laravel's HTTP client times out after 30 s unless told otherwise (laravel.com/docs/http-client#timeout).
_LARAVEL_DEFAULT = "Laravel Http default 30 s"
_PDO_DATASTORES = {"mysql": "mysql", "pgsql": "postgres", "sqlite": "sqlite", "sqlsrv": "sqlserver",
                   "dblib": "sqlserver", "oci": "oracle"}
_SAVE_HANDLERS = {"files": "file", "redis": "redis", "rediscluster": "redis", "memcached": "memcached",
                  "memcache": "memcached", "sqlite": "db"}
_ROUTE_VERBS = _HTTP_VERBS | {"any", "match", "map"}
_TRACING_NAMES = (  # (pattern on a call's or a class's name, system, what)
    (re.compile(r"(?:^|\\)(?:TracerProvider(?:Builder|Factory)?|SdkBuilder)$"), "otel", "sdk"),
    (re.compile(r"^OpenTelemetry\\SDK\\Sdk$"), "otel", "sdk"),
    (re.compile(r"(?:^|\\)(?:SpanExporter|OtlpHttpTransportFactory|SpanExporterFactory)$"), "otel", "exporter"),
    (re.compile(r"^\\?DDTrace\\"), "datadog", "sdk"),
    (re.compile(r"^\\?Elastic\\Apm\\"), "elastic-apm", "agent"),
    (re.compile(r"^\\?Instana\\"), "instana", "sdk"),
    (re.compile(r"^newrelic_"), "newrelic", "agent"),
    (re.compile(r"^\\?Zipkin\\(?:TracingBuilder|Tracing)$|(?:^|\\)TracingBuilder$"), "zipkin", "sdk"),
    (re.compile(r"^\\?Jaeger\\Config$"), "jaeger", "sdk"),
    (re.compile(r"^\\?Sentry\\init$"), "sentry", "sdk"),
)
# Blade templates (`{{ $x }}`, `@section`, `@if` in the HTML, outside PHP tags): views a framework renders, not
# scripts a web server runs. `{{ … }}` on one line is found by `_echo_braces`, not a regex: `\{\{.*?\}\}` scans to
# the end of the line from every `{{`, quadratic on a long line of braces.
_TEMPLATE = re.compile(r"\{!!|^[ \t]*@(?:extends|section|include|yield|if|foreach|php|csrf)\b", re.M)
_CLI = re.compile(r"\bPHP_SAPI\b|\bphp_sapi_name\s*\(|\$argv\b|\bSTDIN\b")
_MAX_RESOLVE = 4


@dataclass
class _File:
    values: dict[tuple[int, str], list[tree_sitter.Node]] = field(default_factory=dict)
    lambdas: dict[int, str] = field(default_factory=dict)  # route closure (start byte) → synthetic name
    handler_names: set[str] = field(default_factory=set)
    uses: dict[str, str] = field(default_factory=dict)  # imported short name → full name
    served: bool = False
    root: tree_sitter.Node | None = None
    scopes: Enclosing = field(default_factory=lambda: Enclosing([]))
    classes: Enclosing = field(default_factory=lambda: Enclosing([]))


def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    root = tree.root_node
    found = Extracted()
    by_fact = matches_of(language, _FACTS, root)
    scopes = by_fact["scopes"]
    known = _File(uses=_uses(root), root=root,
                  scopes=Enclosing([n for m in scopes for n in m.captures.get("scope", [])]),
                  classes=Enclosing([n for m in scopes for n in m.captures.get("class", [])]))
    for match in by_fact["assignments"]:
        left, right = match.one("left"), match.one("right")
        if left is not None and right is not None:
            remember(known.values, _key(left, known), right)
    calls = _calls(by_fact["calls"])
    handler_matches = by_fact["handlers"]
    known.served = _served_script(root, handler_matches, known)
    if known.served:
        found.handlers.append(Handler(1, SCRIPT, "php"))
        known.handler_names.add(SCRIPT)
    _handlers(handler_matches, calls, known, found)
    _callees(calls, known, found)
    _external_calls(by_fact["includes"], scopes, calls, known, found)
    for match in calls:
        if (call := match.one("call")) is not None and not found.room_for_calls(line(call)):
            break
        _call_facts(match, known, found)
    for match in by_fact["creations"]:
        _creation_facts(match, known, found)
    found.calls.sort(key=lambda c: c.line)
    found.connects.sort(key=lambda c: c.line)
    found.tracing = _first_of_each(found.tracing)
    reached = per_request_functions(found)
    found.connects = [c if c.pooled or c.in_handler or c.function not in reached else
                      Connect(c.line, c.library, c.datastore, c.pooled, c.pool_max, c.pool_line, c.function, False,
                              c.target) for c in found.connects]
    return found


def _calls(call_matches: list[Match]) -> list[Match]:
    """Every call with its parts as captures: @call, @args, and @function (a plain call), @object and @method
    (`$o->m()`), or @scope and @method (`C::m()`)."""
    found = []
    for match in call_matches:
        call = match.one("call")
        args = call.child_by_field_name("arguments") if call is not None else None
        if call is None or args is None:
            continue
        captures = {"call": [call], "args": [args]}
        if call.type == "function_call_expression":
            parts = {"function": call.child_by_field_name("function")}
        elif call.type == "scoped_call_expression":
            parts = {"scope": call.child_by_field_name("scope"), "method": call.child_by_field_name("name")}
        else:
            parts = {"object": call.child_by_field_name("object"), "method": call.child_by_field_name("name")}
        if any(node is None for node in parts.values()):
            continue
        captures |= {key: [node] for key, node in parts.items() if node is not None}
        found.append(Match(match.pattern, captures))
    found.sort(key=lambda m: (m.captures["call"][0].start_byte, m.captures["call"][0].end_byte))  # inner first
    return found


# -- scopes, names, values ------------------------------------------------------------------------------------

def _scope(node: tree_sitter.Node, known: _File) -> tree_sitter.Node | None:
    chain = known.scopes.chain(node, 1)
    return chain[0] if chain else None


def _key(node: tree_sitter.Node, known: _File) -> tuple[int, str]:
    """A variable is local to its function; `$this->x` belongs to its class."""
    name = text(node)
    if name.startswith("$this->"):
        klass = known.classes.chain(node, 1)
        return (klass[0].start_byte if klass else -1, name)
    scope = _scope(node, known)
    return (scope.start_byte if scope is not None else -1, name)


def _values(node: tree_sitter.Node, known: _File) -> list[tree_sitter.Node]:
    return known.values.get(_key(node, known), [])


def _function(node: tree_sitter.Node, known: _File) -> str:
    """The enclosing named function or method, a route closure's synthetic name, or "" at top level."""
    for parent in known.scopes.chain(node):
        if parent.type in ("anonymous_function", "arrow_function") and parent.start_byte in known.lambdas:
            return known.lambdas[parent.start_byte]
        if parent.type in _NAMED:
            return text(parent.child_by_field_name("name"))
    return ""


def _per_request(node: tree_sitter.Node, known: _File) -> tuple[str, bool]:
    """(function, in_handler) of a node: top-level code of a served script runs per request."""
    function = _function(node, known)
    if not function and known.served:
        return SCRIPT, True
    return function, function in known.handler_names


def _uses(root: tree_sitter.Node) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in root.named_children[:500]:
        if child.type == "namespace_use_declaration":
            for clause in child.named_children:
                if clause.type == "namespace_use_clause":
                    full = text(clause.named_children[0]) if clause.named_children else ""
                    alias = text(clause.named_children[-1]) if len(clause.named_children) > 1 else ""
                    short = alias or full.rsplit("\\", 1)[-1]
                    found[short] = full.lstrip("\\")
    return found


def _class_name(node: tree_sitter.Node | None, known: _File) -> str:
    """`\\GuzzleHttp\\Client`, or `Client` imported by `use GuzzleHttp\\Client;` → `GuzzleHttp\\Client`."""
    name = text(node).lstrip("\\")
    head, _, rest = name.partition("\\")
    if head in known.uses:
        return known.uses[head] + ("\\" + rest if rest else "")
    return name


# -- served scripts and handlers ------------------------------------------------------------------------------

_DECLARATIONS = frozenset({"php_tag", "namespace_definition", "namespace_use_declaration", "class_declaration",
                           "interface_declaration", "trait_declaration", "enum_declaration", "function_definition",
                           "declare_statement", "comment", "const_declaration"})


def _template(html: str) -> bool:
    """Blade markup in inline HTML: `{{ … }}` on one line, `{!!`, or a directive starting a line."""
    return _echo_braces(html) or _TEMPLATE.search(html) is not None


def _echo_braces(html: str) -> bool:
    """`{{` and a later `}}` on the same line; the first `{{` of a line leaves the most room for the `}}`."""
    for row in html.split("\n"):
        start = row.find("{{")
        if start >= 0 and row.find("}}", start + 2) >= 0:
            return True
    return False


def _served_script(root: tree_sitter.Node, handler_matches: list[Match], known: _File) -> bool:
    """A file whose top-level code runs per request when a web server serves it: it has top-level statements
    beyond declarations and includes, shows output (echo, print, inline HTML) or reads request input
    (`$_GET`, `$_POST`, …) at top level, and is not a command-line script."""
    first = text(root.named_children[0]) if root.named_children else ""
    if first.startswith("#!") or _CLI.search(text(root)[:200_000]):
        return False
    if any(node.type == "text" and _template(text(node)) for m in handler_matches
           for node in m.captures.get("output", [])):
        return False
    if not any(c.type == "php_tag" or (c.type == "text_interpolation" and any(
            g.type == "php_tag" for g in c.named_children)) for c in root.named_children[:10_000]):
        return False  # no PHP in it: an HTML page or a template (Blade's `{{ }}` and `@if` are not PHP)
    statements = [c for c in root.named_children[:10_000] if c.type not in _DECLARATIONS]
    if not any(not _include(s) for s in statements if s.type != "text_interpolation") and not any(
            _html(s) for s in statements):
        return False
    for match in handler_matches:
        node = match.one("output") or match.one("superglobal")
        if node is None or _scope(node, known) is not None:
            continue
        if node.type == "text" and not text(node).strip():
            continue
        return True
    return False


def _include(statement: tree_sitter.Node) -> bool:
    inner = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children \
        else statement
    return inner.type in ("include_expression", "include_once_expression", "require_expression",
                          "require_once_expression")


def _html(statement: tree_sitter.Node) -> bool:
    return statement.type == "text_interpolation" and any(
        c.type == "text" and text(c).strip() for c in statement.named_children)


def _handlers(handler_matches: list[Match], calls: list[Match], known: _File, found: Extracted) -> None:
    for match in handler_matches:
        function, name = match.one("function"), match.one("name")
        if function is None or name is None or function.type != "method_declaration":
            continue
        framework = _method_framework(function, known)
        if framework:
            found.handlers.append(Handler(line(name), text(name), framework))
            known.handler_names.add(text(name))
    for match in calls:
        method, args = match.one("method"), match.one("args")
        if method is None or args is None or text(method).lower() not in _ROUTE_VERBS:
            continue
        arguments = _arguments(args)
        if len(arguments) < 2:
            continue
        route_at = 1 if text(method).lower() == "match" else 0
        route = _literal(arguments[route_at]) if len(arguments) > route_at else None
        action = arguments[-1]
        scope = match.one("scope")
        is_route_facade = scope is not None and text(scope).lstrip("\\").rsplit("\\", 1)[-1] == "Route"
        if route is None or (scope is not None and not is_route_facade):
            continue
        if match.one("object") is not None and not route.startswith("/"):
            continue  # `$collection->get('key', fn …)`: not a route table
        framework = "laravel" if is_route_facade else "php-router"
        if action.type in ("anonymous_function", "arrow_function"):
            synthetic = f"{text(method).lower()} {route}"
            known.lambdas[action.start_byte] = synthetic
            known.handler_names.add(synthetic)
            found.handlers.append(Handler(line(action), synthetic, framework))


def _method_framework(method: tree_sitter.Node, known: _File) -> str:
    """Symfony `#[Route]` / `@Route` methods, and public methods of a class extending a framework controller."""
    attributes = " ".join(text(c) for c in method.children if c.type == "attribute_list")
    comment = method.prev_named_sibling
    doc = text(comment) if comment is not None and comment.type == "comment" else ""
    if re.search(r"\bRoute\s*\(", attributes) or re.search(r"@Route\s*\(", doc):
        return "symfony"
    classes = known.classes.chain(method, 1)
    klass = classes[0] if classes else None
    if klass is None or klass.type != "class_declaration":
        return ""
    base = next((c for c in klass.named_children if c.type == "base_clause"), None)
    if base is None or not re.search(r"\b(?:Abstract)?Controller\b", text(base)):
        return ""
    modifiers = " ".join(text(c) for c in method.children if c.type in ("visibility_modifier", "static_modifier"))
    name = text(method.child_by_field_name("name"))
    if "public" not in modifiers or "static" in modifiers or name.startswith("__"):
        return ""
    return "symfony" if "AbstractController" in text(base) else "laravel"


def _callees(calls: list[Match], known: _File, found: Extracted) -> None:
    for match in calls:
        call = match.one("call")
        function = match.one("function")
        method, obj = match.one("method"), match.one("object")
        if call is None:
            continue
        if function is not None and function.type == "name":
            callee = text(function)
        elif method is not None and obj is not None and obj.end_byte - obj.start_byte == 5 and text(obj) == "$this":
            callee = text(method)
        else:
            continue
        caller, _ = _per_request(call, known)
        if caller:
            found.callees.setdefault(caller, set()).add(callee)


def _external_calls(includes: list[Match], scopes: list[Match], calls: list[Match], known: _File,
                    found: Extracted) -> None:
    """Files this one includes and global functions it calls that it does not define: where graph/per_request.py
    follows per-request code into the project's other files."""
    found.defines = {text(node.child_by_field_name("name")) for m in scopes for node in m.captures.get("scope", [])
                     if node.type == "function_definition"}
    defined = {name.lower() for name in found.defines}
    seen: set[tuple[str, str, str]] = set()

    def add(node: tree_sitter.Node, target: str, kind: str) -> None:
        caller, _ = _per_request(node, known)
        if (caller, target, kind) not in seen:
            seen.add((caller, target, kind))
            found.external_calls.append(ExternalCall(line(node), caller, target, kind=kind))

    for match in includes:
        node = match.one("include")
        path = _included_path(node.named_children[-1]) if node is not None and node.named_children else None
        if node is not None and path:
            add(node, path, "include")
    for match in calls:
        call, function = match.one("call"), match.one("function")
        if call is not None and function is not None and function.type == "name" and \
                text(function).lower() not in defined:
            add(call, text(function), "function")


def _included_path(node: tree_sitter.Node) -> str | None:
    """The included file relative to the including one: `'db.php'`, `'../config.php'`, `__DIR__ . '/inc/db.php'`,
    `dirname(__FILE__) . '/inc/db.php'`; None for a path the code computes or an absolute one."""
    if node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    literal = _literal(node)
    if literal is not None:
        return literal if literal and not literal.startswith(("/", "\\")) and "://" not in literal else None
    if node.type != "binary_expression" or text(node.child_by_field_name("operator")) != ".":
        return None
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    here = text(left) == "__DIR__" or re.fullmatch(r"dirname\(\s*__FILE__\s*\)", text(left).replace(" ", ""))
    rest = _literal(right)
    if not here or rest is None or not rest.startswith("/") or len(rest) < 2:
        return None
    return rest[1:]


# -- calls ------------------------------------------------------------------------------------------------------

def _call_facts(match: Match, known: _File, found: Extracted) -> None:
    call, args = match.one("call"), match.one("args")
    if call is None or args is None:
        return
    function, method, obj, scope = (match.one(n) for n in ("function", "method", "object", "scope"))
    name = text(function) if function is not None and function.end_byte - function.start_byte <= MAX_NAME_BYTES else ""
    lowered = name.lower().lstrip("\\")
    if lowered == "curl_exec":
        _curl(call, args, known, found)
    elif lowered in _WP_FUNCTIONS:
        arguments = _arguments(args)
        _optioned_call(call, "wordpress", arguments[0] if arguments else None,
                       arguments[1] if len(arguments) > 1 else None, (_WP_DEFAULT, 5.0), known, found)
    elif lowered in ("file_get_contents", "fopen"):
        _stream(call, args, known, found)
    elif lowered in ("pg_connect", "pg_pconnect", "mysqli_connect", "mysql_connect", "mysql_pconnect"):
        arguments = _arguments(args)
        persistent = lowered in ("pg_pconnect", "mysql_pconnect")
        host = _literal(arguments[0]) if arguments else None
        if lowered == "mysqli_connect" and host and host.startswith("p:"):
            persistent = True
        where, in_handler = _per_request(call, known)
        datastore = "postgres" if lowered.startswith("pg_") else "mysql"
        found.connects.append(Connect(line(call), lowered, datastore, persistent, None, 0, where, in_handler,
                                      _connect_target(arguments[0], known) if arguments else Target()))
    elif lowered == "session_start":
        if not found.sessions and not _sets_save_handler(known):
            found.sessions.append(Session(line(call), "php", "file"))  # PHP's default save handler: files
    elif lowered == "session_set_save_handler":
        found.sessions.append(Session(line(call), "php-save-handler", "custom"))
    elif lowered == "ini_set":
        arguments = _arguments(args)
        if len(arguments) >= 2 and _literal(arguments[0]) == "session.save_handler":
            chosen = (_literal(arguments[1]) or "").lower()
            found.sessions.append(Session(line(call), "php-save-handler", _SAVE_HANDLERS.get(chosen, "custom")))
    elif method is not None and obj is not None and text(method).lower() in ("connect", "pconnect", "popen", "open"):
        if _is_redis(obj, known):
            persistent = text(method).lower() in ("pconnect", "popen")
            where, in_handler = _per_request(call, known)
            arguments = _arguments(args)
            host = _literal(arguments[0]) if arguments else None
            found.connects.append(Connect(line(call), "phpredis", "redis", persistent, None, 0, where, in_handler,
                                          Target(host=host) if host and "/" not in host else Target()))
    elif method is not None and obj is not None and text(method).lower() in _GUZZLE_METHODS | {"request"}:
        _client_call(call, text(method).lower(), obj, args, known, found)
    elif method is not None and scope is not None:
        _static_call(call, text(scope), text(method), args, known, found)
    for candidate in (name, text(scope) if scope is not None else ""):
        _tracing(call, candidate.lstrip("\\"), known, found)


def _curl(call: tree_sitter.Node, args: tree_sitter.Node, known: _File, found: Extracted) -> None:
    """`curl_exec($ch)`: the handle's URL and timeout from `curl_init`/`curl_setopt(_array)` on the same handle
    in the same function. A handle made elsewhere (a parameter) is the caller's: no call is claimed here."""
    arguments = _arguments(args)
    if not arguments or arguments[0].type != "variable_name":
        return
    handle = arguments[0]
    scope = _scope(call, known)
    inits = [v for v in _values(handle, known) if v.type == "function_call_expression" and text(
        v.child_by_field_name("function")).lower().lstrip("\\") == "curl_init"]
    if not inits:
        return
    target = Target()
    init_args = _arguments(inits[0].child_by_field_name("arguments"))
    if init_args:
        target = _target(init_args[0], known)
    bounds: list[Bound] = []
    forwarded = False
    for setopt in _calls_in(scope, call.start_byte, ("curl_setopt", "curl_setopt_array"), text(handle), known):
        setopt_args = _arguments(setopt.child_by_field_name("arguments"))
        name = text(setopt.child_by_field_name("function")).lower().lstrip("\\")
        pairs: list[tuple[tree_sitter.Node, tree_sitter.Node]] = []
        if name == "curl_setopt" and len(setopt_args) >= 3:
            pairs.append((setopt_args[1], setopt_args[2]))
        elif name == "curl_setopt_array" and len(setopt_args) >= 2:
            options = _array(setopt_args[1], known)
            if options is None:
                forwarded = forwarded or _is_parameter(setopt_args[1], known)
            else:
                pairs += options
        for option, value in pairs:
            option_name = text(option).lstrip("\\")
            if option_name in _CURL_TIMEOUTS and _positive(value):
                seconds = _number(value)
                if seconds is not None and option_name.endswith("_MS"):
                    seconds /= 1000
                bounds.append(Bound("timeout", line(option), f"{option_name} => {text(value)}", seconds))
            elif option_name == "CURLOPT_URL":
                target = _target(value, known)
    if forwarded and not bounds:
        bounds.append(Bound("deferred", line(call), "forwarded options"))
    where, _ = _per_request(call, known)
    found.calls.append(Call(line(call), "curl", target, tuple(bounds), "http", where))


def _calls_in(scope: tree_sitter.Node | None, before: int, names: tuple[str, ...], handle: str,
              known: _File) -> list[tree_sitter.Node]:
    """Calls named `names` whose first argument is `handle`, in `scope` (the file at top level), before `before`."""
    root = scope or known.root
    if root is None:
        return []
    out = []
    stack = [root]
    seen = 0
    while stack and seen < 200_000:
        node = stack.pop()
        seen += 1
        if node.start_byte >= before:
            continue
        if node is not root and node.type in _SCOPES:
            continue
        if node.type == "function_call_expression" and text(node.child_by_field_name("function")).lower().lstrip(
                "\\") in names:
            arguments = _arguments(node.child_by_field_name("arguments"))
            if arguments and text(arguments[0]) == handle:
                out.append(node)
        stack.extend(node.named_children)
    out.sort(key=lambda n: n.start_byte)
    return out


def _stream(call: tree_sitter.Node, args: tree_sitter.Node, known: _File, found: Extracted) -> None:
    """`file_get_contents('http://…', false, $context)`: a request bounded by the context's `timeout`, else by
    default_socket_timeout (60 s)."""
    arguments = _arguments(args)
    if not arguments:
        return
    target = _target(arguments[0], known)
    if not target.url.startswith(("http://", "https://")):
        return  # a file, or a URL the code does not show: not claimed as a call
    bounds = [Bound("default_timeout", line(call), _SOCKET_DEFAULT, 60.0)]
    context = arguments[2] if len(arguments) > 2 and "file_get_contents" in text(call)[:20] else (
        arguments[3] if len(arguments) > 3 else None)
    if context is not None:
        for value in [context, *_values(context, known)]:
            timeout = _nested_option(value, ("http", "timeout"), known)
            if timeout is not None:
                bounds = [Bound("timeout", line(timeout), f"timeout => {text(timeout)}", _number(timeout))]
    where, _ = _per_request(call, known)
    found.calls.append(Call(line(call), "php-stream", target, tuple(bounds), "http", where))


def _client_call(call: tree_sitter.Node, method: str, obj: tree_sitter.Node, args: tree_sitter.Node, known: _File,
                 found: Extracted) -> None:
    """`$client->get(…)` on a Guzzle client or Symfony HttpClient the file builds; a Laravel `Http::…->get(…)`."""
    laravel = _laravel_chain(obj)
    if laravel is not None:
        if method not in _HTTP_VERBS | {"send"}:
            return
        _laravel_call(call, laravel, args, known, found)
        return
    client = _client_of(obj, known)
    if client is None:
        return
    kind, creation = client
    arguments = _arguments(args)
    url_at = 1 if method in ("request", "requestasync") else 0
    options_at = url_at + 1
    if method in ("send", "sendasync"):
        url_at, options_at = -1, 1
    if kind == "symfony" and method != "request":
        return  # Symfony's client has request() only; stream()/withOptions() are not requests
    target = _target(arguments[url_at], known) if 0 <= url_at < len(arguments) else Target()
    config = _arguments(creation.child_by_field_name("arguments") if creation.type != "object_creation_expression"
                        else next((c for c in creation.named_children if c.type == "arguments"), None))
    config_array = config[1 if kind == "symfony" and "createForBaseUri" in text(creation)[:200] else 0] \
        if config else None
    if not target.url.startswith(("http://", "https://")) and not target.env:
        base = None
        if config_array is not None:
            base = _option(config_array, "base_uri", known)
            if base is None and kind == "symfony" and "createForBaseUri" in text(creation)[:200] and config:
                base = config[0]
        target = _target(base, known) if base is not None else Target()
    bounds: list[Bound] = []
    for options in ([arguments[options_at]] if 0 <= options_at < len(arguments) else []) + (
            [config_array] if config_array is not None else []):
        timeout = _option(options, "timeout", known)
        if timeout is not None and _positive(timeout):
            bounds.append(Bound("timeout", line(timeout), f"timeout => {text(timeout)}", _number(timeout)))
            break
        if options is not config_array and _is_parameter(options, known):
            bounds.append(Bound("deferred", line(options), "forwarded options"))
            break
    if kind == "symfony" and not bounds:
        bounds.append(Bound("default_timeout", line(call), _SOCKET_DEFAULT, 60.0))
    where, _ = _per_request(call, known)
    found.calls.append(Call(line(call), "guzzle" if kind == "guzzle" else "symfony-http-client", target,
                            tuple(bounds), "http", where))


def _client_of(obj: tree_sitter.Node, known: _File) -> tuple[str, tree_sitter.Node] | None:
    """("guzzle" | "symfony", the creating expression) of a receiver built in this file."""
    candidates = [obj] if obj.type in ("object_creation_expression", "scoped_call_expression") else _values(obj, known)
    for value in candidates[:8]:
        if value.type == "object_creation_expression":
            kind = next((c for c in value.named_children if c.type in ("name", "qualified_name")), None)
            full = _class_name(kind, known)
            if full in ("GuzzleHttp\\Client", "Guzzle\\Http\\Client"):
                return "guzzle", value
        elif value.type == "scoped_call_expression":
            scope = _class_name(value.child_by_field_name("scope"), known)
            name = text(value.child_by_field_name("name"))
            if scope == "Symfony\\Component\\HttpClient\\HttpClient" and name in ("create", "createForBaseUri"):
                return "symfony", value
    return None


def _laravel_chain(obj: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node]] | None:
    """The calls of `Http::timeout(5)->retry(3)->…` (innermost first), or None when `obj` is not such a chain."""
    steps: list[tuple[str, tree_sitter.Node]] = []
    current = obj
    for _ in range(32):
        if current.type == "member_call_expression":
            steps.append((text(current.child_by_field_name("name")), current))
            inner = current.child_by_field_name("object")
            if inner is None:
                return None
            current = inner
        elif current.type == "scoped_call_expression":
            scope = text(current.child_by_field_name("scope")).lstrip("\\")
            if scope not in ("Http", "Illuminate\\Support\\Facades\\Http"):
                return None
            steps.append((text(current.child_by_field_name("name")), current))
            return list(reversed(steps))
        else:
            return None
    return None


def _laravel_call(call: tree_sitter.Node, chain: list[tuple[str, tree_sitter.Node]], args: tree_sitter.Node,
                  known: _File, found: Extracted) -> None:
    bounds: list[Bound] = []
    base = Target()
    for step, node in chain:
        step_args = _arguments(node.child_by_field_name("arguments"))
        if step == "timeout" and step_args and _positive(step_args[0]):
            bounds.append(Bound("timeout", line(node), f"timeout({text(step_args[0])})", _number(step_args[0])))
        elif step == "retry" and step_args:
            bounds.append(Bound("retry", line(node), f"retry({text(step_args[0])})"))
        elif step == "baseUrl" and step_args:
            base = _target(step_args[0], known)
        elif step == "withOptions" and step_args:
            timeout = _option(step_args[0], "timeout", known)
            if timeout is not None and _positive(timeout):
                bounds.append(Bound("timeout", line(timeout), f"timeout => {text(timeout)}", _number(timeout)))
    if not any(b.kind == "timeout" for b in bounds):
        bounds.append(Bound("default_timeout", line(call), _LARAVEL_DEFAULT, 30.0))
    arguments = _arguments(args)
    target = _target(arguments[0], known) if arguments else Target()
    if not target.url.startswith(("http://", "https://")) and not target.env:
        target = base
    where, _ = _per_request(call, known)
    found.calls.append(Call(line(call), "laravel-http", target, tuple(bounds), "http", where))


def _static_call(call: tree_sitter.Node, scope: str, method: str, args: tree_sitter.Node, known: _File,
                 found: Extracted) -> None:
    """`Http::get(url)` with nothing chained: Laravel's 30 s default; `Requests::get(url, headers, options)`."""
    if _class_name_text(scope.lstrip("\\"), known) in ("WpOrg\\Requests\\Requests", "Requests") and (
            method.lower() in _REQUESTS_OPTIONS):
        arguments = _arguments(args)
        at = _REQUESTS_OPTIONS[method.lower()]
        _optioned_call(call, "requests-php", arguments[0] if arguments else None,
                       arguments[at] if len(arguments) > at else None, (_REQUESTS_DEFAULT, 10.0), known, found)
        return
    if scope.lstrip("\\") in ("Http", "Illuminate\\Support\\Facades\\Http") and method in _HTTP_VERBS:
        arguments = _arguments(args)
        target = _target(arguments[0], known) if arguments else Target()
        where, _ = _per_request(call, known)
        found.calls.append(Call(line(call), "laravel-http", target, (
            Bound("default_timeout", line(call), _LARAVEL_DEFAULT, 30.0),), "http", where))


def _optioned_call(call: tree_sitter.Node, client: str, url: tree_sitter.Node | None,
                   options: tree_sitter.Node | None, default: tuple[str, float], known: _File,
                   found: Extracted) -> None:
    """A request function with an options array whose `timeout` has a library default."""
    target = _target(url, known) if url is not None else Target()
    bound = Bound("default_timeout", line(call), default[0], default[1])
    if options is not None:
        timeout = _option(options, "timeout", known)
        if timeout is not None and _positive(timeout):
            bound = Bound("timeout", line(timeout), f"timeout => {text(timeout)}", _number(timeout))
        elif _is_parameter(options, known):
            bound = Bound("deferred", line(options), "forwarded options")
    where, _ = _per_request(call, known)
    found.calls.append(Call(line(call), client, target, (bound,), "http", where))


# -- connections --------------------------------------------------------------------------------------------

def _creation_facts(match: Match, known: _File, found: Extracted) -> None:
    new, kind = match.one("new"), match.one("type")
    if new is None or kind is None:
        return
    full = _class_name(kind, known)
    arguments = _arguments(match.one("args"))
    where, in_handler = _per_request(new, known)
    if full == "PDO":
        dsn = _literal_value(arguments[0], known) if arguments else None
        datastore = _PDO_DATASTORES.get((dsn or "").split(":", 1)[0].lower(), "")
        persistent = False
        if len(arguments) > 3:
            value = _option(arguments[3], "PDO::ATTR_PERSISTENT", known)
            persistent = value is not None and text(value).lower() in ("true", "1")
        dsn_host = re.search(r"host=([^;]+)", dsn or "")
        found.connects.append(Connect(line(new), "PDO", datastore, persistent, None, 0, where, in_handler,
                                      Target(host=dsn_host.group(1)) if dsn_host else Target()))
    elif full == "mysqli":
        host = _literal(arguments[0]) if arguments else None
        found.connects.append(Connect(line(new), "mysqli", "mysql", bool(host and host.startswith("p:")), None, 0,
                                      where, in_handler, _connect_target(arguments[0], known) if arguments else
                                      Target()))
    elif full == "Predis\\Client":
        persistent = any(_option(a, "persistent", known) is not None and text(_option(a, "persistent", known)).lower()
                         in ("true", "1") for a in arguments[:2])
        found.connects.append(Connect(line(new), "predis", "redis", persistent, None, 0, where, in_handler))
    elif full == "MongoDB\\Client":
        # the MongoDB extension keeps its connections for the life of the PHP worker (php.net, "Connection
        # handling and persistence"): a pool shared across requests.
        found.connects.append(Connect(line(new), "mongodb", "mongodb", True, None, 0, where, in_handler))
    else:
        _tracing(new, full, known, found)


def _is_redis(obj: tree_sitter.Node, known: _File) -> bool:
    for value in ([obj] if obj.type == "object_creation_expression" else _values(obj, known))[:8]:
        if value.type == "object_creation_expression":
            kind = next((c for c in value.named_children if c.type in ("name", "qualified_name")), None)
            if _class_name(kind, known) in ("Redis", "RedisCluster"):
                return True
    return False


def _connect_target(node: tree_sitter.Node, known: _File) -> Target:
    host = _literal_value(node, known)
    if host:
        return Target(host=host.removeprefix("p:"))
    env = _env(node.named_children[-1] if node.type == "argument" and node.named_children else node)
    return env or Target()


def _sets_save_handler(known: _File) -> bool:
    """The file chooses the session store itself (`session_set_save_handler`, `ini_set('session.save_handler',
    …)`): those calls are the session facts, not `session_start()`."""
    return bool(re.search(r"\bsession_set_save_handler\s*\(|session\.save_handler", text(known.root)))


def _tracing(node: tree_sitter.Node, name: str, known: _File, found: Extracted) -> None:
    if not name:
        return
    full = _class_name_text(name, known)
    for pattern, system, what in _TRACING_NAMES:
        if pattern.search(full):
            found.tracing.append(Tracing(line(node), system, what))
            return


def _first_of_each(tracing: list[Tracing]) -> list[Tracing]:
    """One fact per system and kind in a file: the first line that shows it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for trace in sorted(tracing, key=lambda t: t.line):
        if (trace.system, trace.what) not in seen:
            seen.add((trace.system, trace.what))
            out.append(trace)
    return out


def _class_name_text(name: str, known: _File) -> str:
    head, _, rest = name.partition("\\")
    if head in known.uses:
        return known.uses[head] + ("\\" + rest if rest else "")
    return name


# -- targets and literals ---------------------------------------------------------------------------------------

def _target(node: tree_sitter.Node, known: _File, depth: int = 0) -> Target:
    if depth > _MAX_RESOLVE:
        return Target()
    if node.type == "argument":
        if not node.named_children:
            return Target()
        node = node.named_children[-1]
    literal = _literal(node)
    if literal is not None:
        return Target(url=literal) if "://" in literal else Target()
    if node.type == "encapsed_string":
        parts: list[str | None] = [text(c) if c.type == "string_content" else None for c in node.named_children
                                   if c.type != "escape_sequence"]
        url = literal_url(parts)
        return Target(url=url) if "://" in url else Target()
    env = _env(node)
    if env is not None:
        return env
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == ".":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        base = _target(left, known, depth + 1) if left is not None else Target()
        rest = _literal(right) if right is not None else None
        if base.url and rest is not None:
            return Target(url=base.url + rest)
        if base.url:
            return Target(url=base.url + "{}")
        return base
    if node.type in ("variable_name", "member_access_expression"):
        targets = {_target(v, known, depth + 1) for v in _values(node, known)}
        targets.discard(Target())
        if len(targets) == 1:
            return targets.pop()
    if node.type == "parenthesized_expression" and node.named_children:
        return _target(node.named_children[0], known, depth + 1)
    return Target()


def _env(node: tree_sitter.Node) -> Target | None:
    """`getenv('X')`, `$_ENV['X']`, `$_SERVER['X']` for an upper-case key, Laravel's `env('X', 'default')`."""
    if node.type == "function_call_expression":
        name = text(node.child_by_field_name("function")).lstrip("\\").lower()
        arguments = _arguments(node.child_by_field_name("arguments"))
        key = _literal(arguments[0]) if arguments else None
        if name in ("getenv", "env") and key:
            default = _literal(arguments[1]) if name == "env" and len(arguments) > 1 else None
            return Target(env=key, default=default if default and "://" in default else "")
    if node.type == "subscript_expression" and node.named_children:
        base = text(node.named_children[0])
        key = _literal(node.named_children[1]) if len(node.named_children) > 1 else None
        if key and (base == "$_ENV" or (base == "$_SERVER" and key.isupper() and not key.startswith(
                ("HTTP_", "REQUEST_", "SERVER_", "REMOTE_", "SCRIPT_", "QUERY_", "DOCUMENT_", "PHP_", "PATH")))):
            return Target(env=key)
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) in ("?:", "??"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        looked_up = _env(left) if left is not None else None
        fallback = _literal(right) if right is not None else None
        if looked_up is not None:
            return Target(env=looked_up.env, default=fallback if fallback and "://" in fallback else "")
    return None


def _literal(node: tree_sitter.Node | None) -> str | None:
    """A string literal's content ('…', or "…" with no interpolation); None otherwise."""
    if node is None:
        return None
    if node.type == "argument":
        node = node.named_children[-1] if node.named_children else None
        if node is None:
            return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type in ("string_content", "string_value"))
    if node.type == "encapsed_string" and all(c.type in ("string_content", "escape_sequence")
                                              for c in node.named_children):
        return "".join(text(c) for c in node.named_children if c.type == "string_content")
    return None


def _literal_value(node: tree_sitter.Node, known: _File) -> str | None:
    """A literal, or the one literal a variable is given."""
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    for _ in range(_MAX_RESOLVE):
        literal = _literal(value)
        if literal is not None:
            return literal
        if value.type != "variable_name":
            return None
        values = _values(value, known)
        if len(values) != 1:
            return None
        value = values[0]
    return None


def _array(node: tree_sitter.Node, known: _File) -> list[tuple[tree_sitter.Node, tree_sitter.Node]] | None:
    """The key → value pairs of an array literal (or of the one array literal a variable is given)."""
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    if value.type == "variable_name":
        values = [v for v in _values(value, known) if v.type == "array_creation_expression"]
        if len(values) != 1:
            return None
        value = values[0]
    if value.type != "array_creation_expression":
        return None
    pairs = []
    for element in value.named_children:
        if element.type == "array_element_initializer" and len(element.named_children) == 2:
            pairs.append((element.named_children[0], element.named_children[1]))
    return pairs


def _option(node: tree_sitter.Node, key: str, known: _File) -> tree_sitter.Node | None:
    """The value of `key` (a string key or a constant such as `PDO::ATTR_PERSISTENT`) in an options array."""
    for option, value in _array(node, known) or []:
        name = _literal(option)
        if name == key or text(option).lstrip("\\") == key:
            return value
    return None


def _nested_option(node: tree_sitter.Node, path: tuple[str, ...], known: _File) -> tree_sitter.Node | None:
    """`stream_context_create(['http' => ['timeout' => 5]])` → the `5` node."""
    if node.type == "function_call_expression" and text(node.child_by_field_name("function")).lower().lstrip(
            "\\") == "stream_context_create":
        arguments = _arguments(node.child_by_field_name("arguments"))
        if not arguments:
            return None
        node = arguments[0]
    current: tree_sitter.Node | None = node
    for key in path:
        if current is None:
            return None
        current = _option(current, key, known)
    return current


def _number(node: tree_sitter.Node) -> float | None:
    """A numeric literal's value (None when the code computes it)."""
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    if value.type not in ("integer", "float"):
        return None
    try:
        return float(text(value).replace("_", ""))
    except ValueError:
        return None


def _positive(node: tree_sitter.Node) -> bool:
    """A timeout value that bounds: not 0 / null / false (a number, or an expression the code computes)."""
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    return text(value).strip().lower() not in ("0", "0.0", "null", "false", "")


def _is_parameter(node: tree_sitter.Node, known: _File) -> bool:
    """The value is one of the enclosing function's parameters (options forwarded from the caller)."""
    value = node.named_children[-1] if node.type == "argument" and node.named_children else node
    if value.type != "variable_name":
        return False
    scope = _scope(value, known)
    params = scope.child_by_field_name("parameters") if scope is not None else None
    if params is None:
        return False
    return any(text(p.child_by_field_name("name")) == text(value) for p in params.named_children)


def _arguments(args: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if args is None:
        return []
    out = []
    for child in args.named_children:
        if child.type == "argument":
            out.append(child.named_children[-1] if child.named_children else child)
    return out
