"""Go source → code facts (see auditor/code/facts.py).

Packages are known by import path, never by the name a file happens to use (`trace` may be the project's own
package). A client, a context, a request or an address is followed back to where it was made in the same file
(a local, a package-level `const`/`var`, a struct field set in a composite literal, a flag, `os.Getenv`), a
bounded number of steps; what the file does not show is unknown, never guessed:

- a call through a client or a context handed in by the caller is bounded-unknown: it is kept (its edge counts
  for cycles) with `Bound("timeout", line, "… from the caller")`, never reported as unbounded;
- a gRPC connection's deadline is set per RPC, at the stub call: the dial is the edge (target and the bounds its
  options state) and each stub call is its own `Call` (client `grpc`), bounded by the context passed to it.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import resources

import tree_sitter

from auditor.code import languages, syntax
from auditor.code.facts import (
    CALLER_CONTEXT,
    MAX_ADDRESS_CHARS,
    Bean,
    Bound,
    Call,
    Connect,
    Extracted,
    Handler,
    PackageCall,
    Session,
    Target,
    Tracing,
    literal_url,
    per_request_functions,
    piece_in_host,
)
from auditor.code.languages import query
from auditor.code.syntax import MAX_MATCHES, Enclosing, Match, ancestors, line
from auditor.parsers.numbers import digits

Node = tree_sitter.Node

MAX_STEPS = 12  # how far a value is followed back through assignments
MAX_WORK = 20_000  # value look-ups per file
MAX_DEFS = 8  # definitions of one name, or values of one field, weighed at one use
_VERSION = re.compile(r"/v\d+(?=/|$)|\.v\d+(?=/|$)")
_VERB = re.compile(r"%[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[a-zA-Z%]")

# net/http: the package functions that use http.DefaultClient, which has no timeout (net/http client.go:
# "A Timeout of zero means no timeout"); the client methods that send a request.
_HTTP_FUNCTIONS = frozenset({"Get", "Post", "Head", "PostForm"})
_CLIENT_METHODS = frozenset({"Get", "Post", "Head", "PostForm", "Do"})
# go-resty/resty v2: request verbs, and the setters on a client (resty client.go: no timeout, no retry by default).
_RESTY_VERBS = frozenset({"Get", "Post", "Put", "Patch", "Delete", "Head", "Options", "Execute", "Send"})
# hashicorp/go-retryablehttp: NewClient retries 4 times (client.go `defaultRetryMax = 4`) over
# cleanhttp.DefaultPooledClient(), which has no overall Timeout (go-cleanhttp cleanhttp.go).
_RETRYABLE = "github.com/hashicorp/go-retryablehttp"
# Functions that derive a context from the first argument, keeping its deadline.
_DERIVED_CONTEXT = re.compile(r"^(With(Value|Cancel|CancelCause|outCancel)|NewOutgoingContext|AppendToOutgoingContext|"
                              r"NewIncomingContext|ContextWith\w*|NewContext)$")
# The context of an incoming request: cancelled when the client goes away, no deadline (net/http server.go).
_REQUEST_CONTEXT = frozenset({"Context", "UserContext"})
# Same-file handler frameworks by import path (canonical: without /vN).
_ROUTERS = (("github.com/gin-gonic/gin", "gin"), ("github.com/labstack/echo", "echo"),
            ("github.com/gofiber/fiber", "fiber"), ("github.com/go-chi/chi", "chi"),
            ("github.com/gorilla/mux", "gorilla/mux"), ("github.com/julienschmidt/httprouter", "httprouter"))
# Handler parameter types: (import path, type name, pointer) → framework.
_HANDLER_TYPES = {("github.com/gin-gonic/gin", "Context"): "gin", ("github.com/labstack/echo", "Context"): "echo",
                  ("github.com/gofiber/fiber", "Ctx"): "fiber"}
# A package of generated gRPC stubs is named like one (protoc-gen-go-grpc output lives in such folders).
_FLAG_PACKAGES = frozenset({"flag", "github.com/spf13/pflag"})
_CONTEXT_TYPES = frozenset({("context", "Context"), ("golang.org/x/net/context", "Context")})
_CONTEXT_PACKAGES = frozenset({"context", "golang.org/x/net/context"})
_STUB_PACKAGE = re.compile(r"(^|[/_.-])(pb|proto|protos|protobuf|genproto|grpc|rpc|gen|api|apis)([/_.-]|$)|pb$")
# Datastores by database/sql driver name, gorm dialector import path, or blank driver import.
_DRIVERS = {"postgres": "postgres", "pgx": "postgres", "postgresql": "postgres", "cloudsqlpostgres": "postgres",
            "mysql": "mysql", "sqlite3": "sqlite", "sqlite": "sqlite", "sqlserver": "sqlserver", "mssql": "sqlserver",
            "godror": "oracle", "oracle": "oracle", "oci8": "oracle"}
_DRIVER_IMPORTS = {"github.com/lib/pq": "postgres", "github.com/jackc/pgx/stdlib": "postgres",
                   "github.com/go-sql-driver/mysql": "mysql", "github.com/mattn/go-sqlite3": "sqlite",
                   "modernc.org/sqlite": "sqlite", "github.com/denisenkom/go-mssqldb": "sqlserver",
                   "github.com/microsoft/go-mssqldb": "sqlserver", "github.com/godror/godror": "oracle",
                   "gorm.io/driver/postgres": "postgres", "gorm.io/driver/mysql": "mysql",
                   "gorm.io/driver/sqlite": "sqlite", "gorm.io/driver/sqlserver": "sqlserver",
                   "github.com/jinzhu/gorm/dialects/mysql": "mysql",
                   "github.com/jinzhu/gorm/dialects/postgres": "postgres",
                   "github.com/jinzhu/gorm/dialects/sqlite": "sqlite",
                   "github.com/jinzhu/gorm/dialects/mssql": "sqlserver",
                   "github.com/glebarez/sqlite": "sqlite"}
_SQL = ("database/sql", "github.com/jmoiron/sqlx")
_RESTY = ("github.com/go-resty/resty", "resty.dev")  # go-resty v2, and v3 at resty.dev/v3
_REDIS = ("github.com/go-redis/redis", "github.com/redis/go-redis")
_GORM = ("gorm.io/gorm", "github.com/jinzhu/gorm")
# Package names that differ from the last element of the import path.
_PACKAGE_NAMES = {"github.com/redis/go-redis": "redis", "github.com/uber/jaeger-client-go": "jaeger",
                  "github.com/instana/go-sensor": "instana", "github.com/openzipkin/zipkin-go": "zipkin",
                  "github.com/getsentry/sentry-go": "sentry", "github.com/hashicorp/go-retryablehttp": "retryablehttp",
                  "github.com/hashicorp/go-cleanhttp": "cleanhttp", "github.com/avast/retry-go": "retry",
                  "gopkg.in/DataDog/dd-trace-go/ddtrace/tracer": "tracer", "github.com/go-resty/resty": "resty",
                  "resty.dev": "resty",
                  "github.com/gofiber/fiber": "fiber", "github.com/labstack/echo": "echo"}
# Session stores (settings.py's vocabulary), by import path of the package whose function makes the store.
_SESSION_STORES = {("github.com/gorilla/sessions", "NewFilesystemStore"): ("gorilla/sessions", "file"),
                   ("github.com/gorilla/sessions", "NewCookieStore"): ("gorilla/sessions", "cookie"),
                   ("github.com/boj/redistore", "*"): ("gorilla/sessions", "redis"),
                   ("github.com/rbcervilla/redisstore", "*"): ("gorilla/sessions", "redis"),
                   ("github.com/gin-contrib/sessions/memstore", "*"): ("gin-contrib/sessions", "memory"),
                   ("github.com/gin-contrib/sessions/cookie", "*"): ("gin-contrib/sessions", "cookie"),
                   ("github.com/gin-contrib/sessions/redis", "*"): ("gin-contrib/sessions", "redis"),
                   ("github.com/gin-contrib/sessions/memcached", "*"): ("gin-contrib/sessions", "memcached"),
                   ("github.com/gin-contrib/sessions/mongo/mongodriver", "*"): ("gin-contrib/sessions", "mongodb"),
                   ("github.com/gin-contrib/sessions/postgres", "*"): ("gin-contrib/sessions", "db"),
                   ("github.com/gin-contrib/sessions/gorm", "*"): ("gin-contrib/sessions", "db")}
# alexedwards/scs: `scs.New()` keeps sessions in its memstore unless `.Store` is set (scs session.go).
_SCS = "github.com/alexedwards/scs"
_SCS_STORES = {"redisstore": "redis", "goredisstore": "redis", "memstore": "memory", "postgresstore": "db",
               "mysqlstore": "db", "sqlite3store": "db", "pgxstore": "db", "mongodbstore": "mongodb",
               "memcachedstore": "memcached", "gormstore": "db", "boltstore": "file", "badgerstore": "file"}
# gofiber session: `session.New()` keeps sessions in memory unless `Storage:` is given (fiber session config.go).
_FIBER_SESSION = "github.com/gofiber/fiber/middleware/session"
_FIBER_STORAGE = {"redis": "redis", "memcache": "memcached", "mongodb": "mongodb", "postgres": "db", "mysql": "db",
                  "sqlite3": "db", "memory": "memory"}


@dataclass(frozen=True)
class _Def:
    """What a name is bound to at `start` (a byte offset): `value` (None when declared without one) at `index`
    of a multi-value right side (`a, b := f()`), or a parameter (`param`) of declared `type`."""

    start: int
    value: Node | None
    index: int = 0
    multi: bool = False
    type: Node | None = None
    param: bool = False
    statement: Node | None = None


@dataclass(frozen=True)
class _Env:
    """A piece of a string read from the environment, a flag or a config key, with the default given in code."""

    key: str
    default: str = ""


@dataclass
class _Str:
    """A string built in code: known pieces, pieces read from the environment (`_Env`) and unknown ones (None)."""

    parts: list[str | _Env | None]

    def __add__(self, other: _Str) -> _Str:
        return _Str(self.parts + other.parts)

    def known(self) -> str:
        """The known text, unknown pieces left out ("" when nothing is known)."""
        return "".join(p for p in self.parts if isinstance(p, str))

    def complete(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)


@dataclass
class _Client:
    kind: str  # net/http | resty | retryablehttp
    bounds: list[Bound] = field(default_factory=list)
    known: bool = True  # False: the client comes from elsewhere (a parameter, a field set in another file)


@dataclass
class _Ctx:
    """What a context passed to a call says: `timeout` (with its bound), `none` (Background, a request's own
    context) or `unknown` (handed in by the caller)."""

    state: str
    bound: Bound | None = None


# The file's bytes while it is read: a tree parsed from a read callback (parsers/treesitter.py) reads a whole
# chunk through that callback for every `Node.text`, so node texts are sliced from the source read once.
_SOURCE: ContextVar[tuple[bytes, int]] = ContextVar("go_source", default=(b"", -1))


def text(node: Node | None) -> str:
    """A node's source text ("" for None), sliced from the file read once."""
    if node is None:
        return ""
    source, offset = _SOURCE.get()
    if offset < 0:
        return syntax.text(node)
    return source[node.start_byte - offset:node.end_byte - offset].decode("utf-8", "replace")


# Queries start no deeper than this: tree-sitter's query cursor slows down with depth (a 5,000-deep call chain
# took seconds per query); real Go code nests a few dozen levels, so deeper nodes of a hostile file are not read.
MAX_START_DEPTH = 400


_FACTS = ("imports", "definitions", "functions", "calls", "handlers", "connects", "sessions", "tracing")


@functools.cache
def _combined(language: str) -> tuple[tree_sitter.Query, tuple[str, ...]] | None:
    """Every fact's query (`queries/go/<fact>.scm`) compiled as one, so a file's tree is walked once (each
    walk costs about 40 ms per MB whatever the query), with the fact of each pattern index."""
    grammar = languages.grammar(language)
    if grammar is None:
        return None
    texts: list[str] = []
    fact_of: list[str] = []
    for fact in _FACTS:
        single = query(language, fact)
        if single is None:
            continue
        fact_of.extend([fact] * single.pattern_count)
        texts.append((resources.files("auditor.code") / "queries" / "go" / f"{fact}.scm").read_text("utf-8"))
    return tree_sitter.Query(grammar, "\n".join(texts)), tuple(fact_of)


def _all_matches(language: str, root: Node) -> dict[str, list[Match]]:
    """The matches of every fact's query under `root`, by fact, in source order; queries start no deeper than
    MAX_START_DEPTH."""
    found: dict[str, list[Match]] = {fact: [] for fact in _FACTS}
    combined = _combined(language)
    if combined is None:
        return found
    compiled, fact_of = combined
    cursor = tree_sitter.QueryCursor(compiled, match_limit=MAX_MATCHES)
    cursor.set_max_start_depth(MAX_START_DEPTH)
    for index, captures in cursor.matches(root)[:MAX_MATCHES * 4]:
        found[fact_of[index]].append(Match(index, captures))
    return found


def _canon(path: str) -> str:
    return _VERSION.sub("", path)


def _package_name(path: str) -> str:
    for prefix, name in _PACKAGE_NAMES.items():
        if path == prefix:
            return name
    last = path.rsplit("/", 1)[-1]
    for affix in ("go-",):
        last = last.removeprefix(affix)
    return last.removesuffix("-go").replace("-", "").replace(".", "")


def _string_literal(node: Node) -> str | None:
    if node.type == "interpreted_string_literal":
        return "".join(text(c) for c in node.named_children)
    if node.type == "raw_string_literal":
        raw = text(node)
        return raw[1:-1] if len(raw) >= 2 else ""
    return None


def _int(node: Node | None) -> int | None:
    if node is not None and node.type == "int_literal":
        try:
            return int(text(node).replace("_", ""), 0)
        except ValueError:
            return None
    return None


def _unparen(node: Node | None) -> Node | None:
    for _ in range(MAX_STEPS):
        if node is None or node.type != "parenthesized_expression":
            return node
        node = node.named_children[0] if node.named_children else None
    return node


def _args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def _selector(node: Node | None) -> tuple[Node | None, str]:
    """(operand, field) of `a.b`, or (None, "")."""
    if node is not None and node.type == "selector_expression":
        return node.child_by_field_name("operand"), text(node.child_by_field_name("field"))
    return None, ""


class _File:
    """One file's names: imports, definitions, function units, and the filters' shared look-ups."""

    def __init__(self, root: Node, language: str) -> None:
        self.language = language
        self.imports: dict[str, str] = {}  # alias → canonical import path
        self.paths: set[str] = set()
        self.defs: dict[tuple[int, str], list[_Def]] = {}
        self.fields: dict[str, list[Node]] = {}  # struct field → values given to it (literals, `x.f = v`)
        self.field_types: dict[str, list[Node]] = {}
        self.members: dict[str, list[tuple[Node, Node]]] = {}  # `a.b.c = v`: operand text "a.b" → (selector, value)
        self.embedded: dict[str, list[Node]] = {}  # type name → embedded types
        self.functions: dict[str, list[Node]] = {}
        self.receivers: dict[int, str] = {}  # method node id → receiver type name
        self.units: list[Node] = []
        self.calls: list[Node] = []
        self.handler_units: dict[int, str] = {}  # function unit node id → framework
        self.member_calls: dict[str, list[Node]] = {}  # `c.SetTimeout(…)`: operand text → calls
        self.work = MAX_WORK
        self._members_seen: dict[tuple[str, int], list[Bound]] = {}
        self._callees: dict[int, tuple[str, str]] = {}
        self.dials: dict[int, list[tuple[Node, Target, list[Bound]]]] = {}  # grpc.Dial call id → `_dials`
        self._read(root)

    # -- indexing --------------------------------------------------------------------------------------------
    def _read(self, root: Node) -> None:
        self.found = _all_matches(self.language, root)
        for m in self.found["imports"]:
            path_node = m.one("path")
            if path_node is None:
                continue
            path = _canon(text(path_node))
            self.paths.add(path)
            alias = text(m.one("alias")) if m.one("alias") is not None else _package_name(path)
            if alias not in ("_", "."):
                self.imports[alias] = path
        for m in self.found["functions"]:
            unit = m.one("function") or m.one("literal")
            params = m.one("params")
            if unit is None or params is None:
                continue
            self.units.append(unit)
            self._parameters(unit, params)
            receiver = m.one("receiver")
            if receiver is not None:
                self._parameters(unit, receiver)
                self.receivers[unit.id] = _type_name(receiver)
            name = m.one("name")
            if name is not None:
                self.functions.setdefault(text(name), []).append(unit)
        self.index = Enclosing(self.units)
        for m in self.found["definitions"]:
            self._definition(m)
        for m in self.found["calls"]:
            call = m.one("call")
            if call is not None:
                self.calls.append(call)
        for call in self.calls:
            operand, _ = _selector(call.child_by_field_name("function"))
            _, method = _selector(call.child_by_field_name("function"))
            if operand is not None and method.startswith("Set") and \
                    operand.type in ("identifier", "selector_expression"):
                self.member_calls.setdefault(text(operand), []).append(call)
        self._flag_vars()

    def _definition(self, m: Match) -> None:
        if m.one("define") is not None or m.one("assign") is not None:
            statement = m.one("define") or m.one("assign")
            left, right = m.one("left"), m.one("right")
            if statement is None or left is None or right is None:
                return
            lefts = left.named_children
            rights = right.named_children
            scope = self.scope(statement)
            for index, target in enumerate(lefts):
                value = rights[index] if len(rights) == len(lefts) else (rights[0] if rights else None)
                multi = len(rights) != len(lefts)
                if target.type == "identifier":
                    self.defs.setdefault((scope, text(target)), []).append(
                        _Def(statement.start_byte, value, index if multi else 0, multi, statement=statement))
                elif target.type == "selector_expression" and value is not None and not multi:
                    operand, name = _selector(target)
                    self.fields.setdefault(name, []).append(value)
                    self.members.setdefault(text(operand), []).append((target, value))
        elif m.one("var") is not None or m.one("const") is not None:
            statement = m.one("var") or m.one("const")
            name_node, value_list = m.one("name"), m.one("value")
            if statement is None or name_node is None:
                return
            values = value_list.named_children if value_list is not None else []
            names = list(statement.children_by_field_name("name"))
            index = names.index(name_node) if name_node in names else 0
            item = values[index] if len(values) == len(names) else (values[0] if values else None)
            self.defs.setdefault((self.scope(statement), text(name_node)), []).append(
                _Def(statement.start_byte, item, index if len(values) != len(names) else 0,
                     len(values) != len(names) and bool(values), m.one("type"), statement=statement))
        elif m.one("keyed") is not None:
            key, field_value = m.one("key"), m.one("field_value")
            if key is not None and field_value is not None:
                self.fields.setdefault(text(key), []).append(field_value)
        elif m.one("struct_field") is not None:
            field_name, type_node = m.one("field"), m.one("field_type")
            if field_name is not None and type_node is not None:
                self.field_types.setdefault(text(field_name), []).append(type_node)
        elif m.one("embedding") is not None:
            embedded, declaration = m.one("embedded"), m.one("embedding")
            owner = _owner_type(declaration) if declaration is not None else ""
            if embedded is not None and owner:
                self.embedded.setdefault(owner, []).append(embedded)

    def _parameters(self, unit: Node, params: Node) -> None:
        for declaration in params.named_children:
            if declaration.type not in ("parameter_declaration", "variadic_parameter_declaration"):
                continue
            type_node = declaration.child_by_field_name("type")
            for name in declaration.children_by_field_name("name"):
                self.defs.setdefault((unit.id, text(name)), []).append(
                    _Def(unit.start_byte, None, type=type_node, param=True))

    def _flag_vars(self) -> None:
        """`flag.StringVar(&addr, "users-addr", "users:8080", …)`: a definition of `addr` as that flag."""
        for call in self.calls:
            _, method = _selector(call.child_by_field_name("function"))
            args = _args(call)
            if method not in ("StringVar", "StringVarP") or len(args) < 3 or args[0].type != "unary_expression":
                continue
            operand = args[0].child_by_field_name("operand")
            if operand is None or operand.type != "identifier":
                continue
            scope = self._def_scope(operand)
            self.defs.setdefault((scope, text(operand)), []).insert(0, _Def(0, call, statement=call))

    def _def_scope(self, name: Node) -> int:
        for unit in self._units_of(name):
            if (unit.id, text(name)) in self.defs:
                return unit.id
        return 0

    def spend(self) -> bool:
        """One step of following values back; False once the file's budget is spent (a hostile file's many
        candidate definitions cannot make the look-ups exponential)."""
        self.work -= 1
        return self.work >= 0

    # -- look-ups ---------------------------------------------------------------------------------------------
    def qualified(self, node: Node | None) -> tuple[str, str]:
        """(import path, name) of `pkg.Name`, or ("", "")."""
        operand, name = _selector(node)
        if operand is not None and operand.type == "identifier":
            path = self.imports.get(text(operand))
            if path is not None:
                return path, name
        return "", ""

    def callee(self, call: Node) -> tuple[str, str]:
        """(import path, name) of a call's `pkg.Name` callee, or ("", ""); asked several times per call, kept."""
        known = self._callees.get(call.id)
        if known is None:
            known = self._callees[call.id] = self.qualified(call.child_by_field_name("function"))
        return known

    def type_of(self, node: Node | None) -> tuple[str, str]:
        """(import path, name) of a type `*pkg.T` / `pkg.T` ("", "T" for a local type)."""
        for _ in range(4):
            if node is None or node.type not in ("pointer_type", "parenthesized_type"):
                break
            node = node.named_children[0] if node.named_children else None
        if node is None:
            return "", ""
        if node.type == "qualified_type":
            package = text(node.child_by_field_name("package"))
            return _canon(self.imports.get(package, package)), text(node.child_by_field_name("name"))
        if node.type == "type_identifier":
            return "", text(node)
        return "", ""

    def _units_of(self, node: Node) -> Iterator[Node]:
        return self.index.walk(node)

    def scope(self, node: Node) -> int:
        """The id of the innermost function unit around `node`, 0 at package level."""
        return next((u.id for u in self.index.walk(node, 1)), 0)

    def lookup(self, name: Node) -> list[_Def]:
        """The definitions of identifier `name` that reach its use, latest first: in the enclosing function
        units (innermost first, before the use), then at package level."""
        key = text(name)
        for unit in self._units_of(name):
            defs = self.defs.get((unit.id, key))
            if defs:
                before = bisect.bisect_left([d.start for d in defs[-MAX_DEFS * 4:]], name.start_byte)
                recent = defs[-MAX_DEFS * 4:][:before]
                if recent:
                    return recent[::-1][:MAX_DEFS]
        return self.defs.get((0, key), [])[:MAX_DEFS]

    def unit_name(self, node: Node) -> str:
        """The function a node runs in: a named function or method, or a handler's function literal
        (`<handler:LINE>`); other function literals belong to the function around them."""
        for unit in self._units_of(node):
            if unit.type == "func_literal":
                if unit.id in self.handler_units:
                    return f"<handler:{line(unit)}>"
                continue
            name = unit.child_by_field_name("name")
            return text(name)
        return ""

    # -- values -------------------------------------------------------------------------------------------------
    def string(self, node: Node | None, steps: int = 0) -> _Str:
        node = _unparen(node)
        if node is None or steps > MAX_STEPS or not self.spend():
            return _Str([None])
        literal = _string_literal(node)
        if literal is not None:  # text longer than any address is none: unknown (facts.Target)
            return _Str([literal if len(literal) <= MAX_ADDRESS_CHARS else None])
        if node.type == "int_literal":
            return _Str([text(node)])
        if node.type == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            return self.string(node.child_by_field_name("left"), steps + 1) + \
                self.string(node.child_by_field_name("right"), steps + 1)
        if node.type == "call_expression":
            return self._string_call(node, steps)
        if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "*":
            return self.string(node.child_by_field_name("operand"), steps + 1)
        if node.type == "identifier":
            return self._string_name(node, steps)
        if node.type == "selector_expression":
            operand, name = _selector(node)
            values = self.fields.get(name, [])
            if (len(values) == 1 and operand is not None and operand.type != "identifier") or \
                    (len(values) == 1 and operand is not None and text(operand) not in self.imports):
                return self.string(values[0], steps + 1)
        return _Str([None])

    def _string_call(self, call: Node, steps: int) -> _Str:
        path, name = self.callee(call)
        args = _args(call)
        if path == "fmt" and name == "Sprintf" and args:
            return self._format(args, steps)
        if path == "os" and name in ("Getenv", "LookupEnv") and args:
            key = _string_literal(args[0])
            return _Str([_Env(key) if key else None])
        if path == "github.com/spf13/viper" and name.startswith("Get") and args:
            key = _string_literal(args[0])
            return _Str([_Env(key) if key else None])
        operand, method = _selector(call.child_by_field_name("function"))
        if (path in _FLAG_PACKAGES or (not path and self._is_flag_set(operand))) and \
                method in ("String", "StringP", "StringVar", "StringVarP"):
            # flag.String(name, default, usage), StringP(name, short, default, usage), StringVar(&v, name, …)
            offset = 1 if method.startswith("StringVar") else 0
            short = 1 if method.endswith("P") else 0
            if len(args) > offset + short + 1:
                key = _string_literal(args[offset]) or ""
                default = _string_literal(args[offset + short + 1]) or ""
                return _Str([_Env(key, default) if key else None])
            return _Str([None])
        if path == "strings" and name in ("TrimSpace", "TrimSuffix", "TrimRight", "ToLower") and args:
            return self.string(args[0], steps + 1)
        if path == "net" and name == "JoinHostPort" and len(args) == 2:
            return self.string(args[0], steps + 1) + _Str([":"]) + self.string(args[1], steps + 1)
        if path == "strconv" and name == "Itoa" and args:
            return self.string(args[0], steps + 1)
        return _Str([None])

    def _is_flag_set(self, operand: Node | None) -> bool:
        """`fs := flag.NewFlagSet(…)`, `cmd.Flags()` of cobra: a flag set whose `String` defines a flag."""
        if operand is None:
            return False
        if operand.type == "call_expression":
            _, method = _selector(operand.child_by_field_name("function"))
            return method in ("Flags", "PersistentFlags") and "github.com/spf13/cobra" in self.paths
        if operand.type == "identifier":
            defs = self.lookup(operand)
            value = defs[0].value if defs else None
            return value is not None and value.type == "call_expression" and \
                self.callee(value)[0] in _FLAG_PACKAGES and self.callee(value)[1] == "NewFlagSet"
        return False

    def _format(self, args: list[Node], steps: int) -> _Str:
        pattern = self.string(args[0], steps + 1)
        if not pattern.complete():
            return _Str([None])
        fmt = pattern.known()
        out = _Str([])
        rest = iter(args[1:])
        position = 0
        for verb in _VERB.finditer(fmt):
            out = out + _Str([fmt[position:verb.start()]])
            position = verb.end()
            if verb.group() == "%%":
                out = out + _Str(["%"])
                continue
            arg = next(rest, None)
            out = out + (self.string(arg, steps + 1) if arg is not None else _Str([None]))
        return out + _Str([fmt[position:]])

    def _string_name(self, name: Node, steps: int) -> _Str:
        default = ""
        for definition in self.lookup(name):
            if definition.param or definition.value is None:
                return _Str([None])
            if _is_default(definition, text(name)):
                literal = _string_literal(definition.value)
                default = default or (literal or "")
                continue
            if definition.multi and definition.index != 0:
                return _Str([None])
            found = self.string(definition.value, steps + 1)
            if default and len(found.parts) == 1 and isinstance(found.parts[0], _Env) and \
                    not found.parts[0].default:
                found = _Str([_Env(found.parts[0].key, default)])
            return found
        return _Str([None])

    def target(self, node: Node | None) -> Target:
        value = self.string(node)
        url = literal_url(p if isinstance(p, str) else None for p in value.parts)
        source = _host_piece(value.parts)
        env, default = (source.key, source.default) if source is not None else ("", "")
        if not url.replace("{}", "") and not env:
            return Target()
        if env and url == "{}":
            return Target(env=env, default=default)
        if "://" in url or url.startswith("{}/"):
            return Target(url=url, env=env, default=default)
        return Target(host=url if url.replace("{}", "") else "", env=env, default=default)

    # -- contexts -------------------------------------------------------------------------------------------------
    def context(self, node: Node | None, steps: int = 0) -> _Ctx:
        node = _unparen(node)
        if node is None or steps > MAX_STEPS or not self.spend():
            return _Ctx("unknown")
        if node.type == "call_expression":
            path, name = self.callee(node)
            args = _args(node)
            if path in _CONTEXT_PACKAGES and name in ("WithTimeout", "WithDeadline", "WithTimeoutCause",
                                                      "WithDeadlineCause"):
                return _Ctx("timeout", Bound("timeout", line(node), text(node)[:80]))
            if path in _CONTEXT_PACKAGES and name in ("Background", "TODO"):
                return _Ctx("none")
            if (path or name) and _DERIVED_CONTEXT.match(name) and args:
                return self.context(args[0], steps + 1)
            _, method = _selector(node.child_by_field_name("function"))
            if method in _REQUEST_CONTEXT and not args:
                return _Ctx("none")
            return _Ctx("unknown")
        if node.type == "identifier":
            for definition in self.lookup(node):
                if definition.param:
                    if self.type_of(definition.type) in _HANDLER_TYPES:
                        return _Ctx("none")  # gin's *gin.Context is the request's context
                    return _Ctx("unknown")
                if definition.value is None or (definition.multi and definition.index != 0):
                    return _Ctx("unknown")
                return self.context(definition.value, steps + 1)
        return _Ctx("unknown")

    # -- HTTP clients ---------------------------------------------------------------------------------------------
    def client(self, node: Node | None, steps: int = 0) -> _Client | None:
        """The HTTP client an expression is, with what bounds it, or None when it is not one the file shows."""
        node = _unparen(node)
        if node is None or steps > MAX_STEPS or not self.spend():
            return None
        if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
            return self.client(node.child_by_field_name("operand"), steps + 1)
        if node.type == "composite_literal":
            if self.type_of(node.child_by_field_name("type")) != ("net/http", "Client"):
                return None
            return _Client("net/http", self._client_fields(node.child_by_field_name("body"), steps))
        if node.type == "selector_expression":
            path, name = self.qualified(node)
            if path == "net/http" and name == "DefaultClient":
                return _Client("net/http", self._member_bounds("http.DefaultClient", steps))
            if path.startswith("go.opentelemetry.io/contrib/instrumentation/net/http") and name == "DefaultClient":
                return _Client("net/http")
            if path:
                return None
            _, field_name = _selector(node)
            values = self.fields.get(field_name, [])
            if len(values) > MAX_DEFS:
                values = []  # set in too many places to say which client it is
            found = [self.client(v, steps + 1) for v in values]
            clients = [c for c in found if c is not None]
            if clients and len(clients) == len(found):
                kinds = {c.kind for c in clients}
                bounded = {bool(c.bounds) or not c.known for c in clients}
                if len(kinds) == 1 and len(bounded) == 1:
                    first = clients[0]
                    return _Client(first.kind, first.bounds + self._member_bounds(text(node), steps), first.known)
                return _Client(clients[0].kind, [], known=False)
            for type_node in self.field_types.get(field_name, []):
                kind = self._client_type(type_node)
                if kind:
                    return _Client(kind, self._member_bounds(text(node), steps), known=False)
            return None
        if node.type == "call_expression":
            return self._client_call(node, steps)
        if node.type == "identifier":
            for definition in self.lookup(node):
                if definition.param or definition.value is None:
                    kind = self._client_type(definition.type)
                    if not kind:
                        return None
                    members = self._member_bounds(text(node), steps)
                    return _Client(kind, members, known=not definition.param)
                if definition.multi and definition.index != 0:
                    return None
                found_client = self.client(definition.value, steps + 1)
                if found_client is not None:
                    found_client.bounds += self._member_bounds(text(node), steps, definition)
                    found_client.bounds = _retry_max(found_client.bounds, self, text(node))
                return found_client
        return None

    def _client_type(self, type_node: Node | None) -> str:
        kind = self.type_of(type_node)
        if kind == ("net/http", "Client"):
            return "net/http"
        if kind[1] == "Client" and kind[0] in _RESTY:
            return "resty"
        if kind == (_RETRYABLE, "Client"):
            return "retryablehttp"
        return ""

    def _client_call(self, call: Node, steps: int) -> _Client | None:
        path, name = self.callee(call)
        args = _args(call)
        if path == "github.com/hashicorp/go-cleanhttp" and name in ("DefaultClient", "DefaultPooledClient"):
            return _Client("net/http")
        if path in _RESTY and name == "New":
            return _Client("resty")
        if path in _RESTY and name == "NewWithClient" and args:
            inner = self.client(args[0], steps + 1)
            return _Client("resty", inner.bounds if inner else [], known=inner is not None)
        if path == _RETRYABLE and name == "NewClient":
            return _Client("retryablehttp", [Bound("retry", line(call), "go-retryablehttp default RetryMax 4")])
        operand, method = _selector(call.child_by_field_name("function"))
        if path or operand is None:
            return None
        base = self.client(operand, steps + 1)
        if base is None:
            return None
        if base.kind == "retryablehttp" and method == "StandardClient":
            return _Client("net/http", base.bounds, base.known)
        if base.kind == "resty" and method.startswith("Set"):
            bound = _resty_setter(method, args, call)
            return _Client("resty", base.bounds + ([bound] if bound else []), base.known)
        return None

    def _client_fields(self, body: Node | None, steps: int) -> list[Bound]:
        bounds: list[Bound] = []
        for element in body.named_children if body is not None else []:
            if element.type != "keyed_element":
                continue
            key, value = element.child_by_field_name("key"), element.child_by_field_name("value")
            value = value.named_children[0] if value is not None and value.named_children else None
            name = text(key)
            if name == "Timeout" and value is not None and text(value) != "0":
                bounds.append(Bound("timeout", line(element), text(element)[:80]))
            elif name == "Transport":
                bounds += self._transport(value, steps + 1)
        return bounds

    def _transport(self, node: Node | None, steps: int) -> list[Bound]:
        """`ResponseHeaderTimeout` of an http.Transport (the client waits no longer for a response)."""
        node = _unparen(node)
        if node is None or steps > MAX_STEPS or not self.spend():
            return []
        if node.type == "unary_expression":
            return self._transport(node.child_by_field_name("operand"), steps + 1)
        if node.type == "composite_literal":
            body = node.child_by_field_name("body")
            for element in body.named_children if body is not None else []:
                key = element.child_by_field_name("key") if element.type == "keyed_element" else None
                if text(key) == "ResponseHeaderTimeout":
                    return [Bound("timeout", line(element), text(element)[:80])]
            return []
        if node.type == "call_expression":
            path, _ = self.callee(node)
            args = _args(node)
            if path.startswith("go.opentelemetry.io/contrib/instrumentation/net/http") and args:
                return self._transport(args[0], steps + 1)  # otelhttp.NewTransport(inner)
            return []
        if node.type == "identifier":
            for definition in self.lookup(node):
                if definition.value is None or definition.param:
                    return []
                found = self._transport(definition.value, steps + 1)
                for selector, value in self.members.get(text(node), []):
                    if text(selector.child_by_field_name("field")) == "ResponseHeaderTimeout":
                        found.append(Bound("timeout", line(selector), f"{text(selector)} = {text(value)}"[:80]))
                return found
        return []

    def _member_bounds(self, operand: str, steps: int, definition: _Def | None = None) -> list[Bound]:
        """Bounds set on a client after it was made: `c.Timeout = …`, `c.Transport = tr`, resty
        `c.SetTimeout(…)`, retryablehttp `c.HTTPClient.Timeout = …` (same function as its definition)."""
        scope = self.scope(definition.statement) if definition is not None and definition.statement is not None else 0
        remembered = self._members_seen.get((operand, scope))
        if remembered is not None:
            return list(remembered)
        bounds: list[Bound] = []
        self._members_seen[(operand, scope)] = []  # a client whose bounds name itself adds nothing
        for holder in (operand, operand + ".HTTPClient"):
            for selector, value in self.members.get(holder, []):
                if scope and scope not in {u.id for u in self._units_of(selector)}:
                    continue
                member = text(selector.child_by_field_name("field"))
                if member == "Timeout" and text(value) != "0":
                    bounds.append(Bound("timeout", line(selector), f"{text(selector)} = {text(value)}"[:80]))
                elif member == "Transport":
                    bounds += self._transport(value, steps + 1)
                elif member == "HTTPClient":
                    inner = self.client(value, steps + 1)
                    bounds += inner.bounds if inner else []
        for call in self.member_calls.get(operand, ()):
            _, method = _selector(call.child_by_field_name("function"))
            if not method.startswith("Set"):
                continue
            if scope and scope not in {u.id for u in self._units_of(call)}:
                continue
            bound = _resty_setter(method, _args(call), call)
            if bound is not None:
                bounds.append(bound)
        self._members_seen[(operand, scope)] = bounds
        return list(bounds)

    # -- requests -------------------------------------------------------------------------------------------------
    def request(self, node: Node | None, steps: int = 0) -> tuple[Target, _Ctx] | None:
        """The address and context of a request (`http.NewRequestWithContext(ctx, m, url, body)`), None when
        the request comes from elsewhere."""
        node = _unparen(node)
        if node is None or steps > MAX_STEPS or not self.spend():
            return None
        if node.type == "call_expression":
            path, name = self.callee(node)
            args = _args(node)
            if path in ("net/http", _RETRYABLE) and name in ("NewRequest", "NewRequestWithContext"):
                with_ctx = name == "NewRequestWithContext"
                url = args[2 if with_ctx else 1] if len(args) > (2 if with_ctx else 1) else None
                ctx = self.context(args[0]) if with_ctx and args else _Ctx("none")
                return self.target(url), ctx
            operand, method = _selector(node.child_by_field_name("function"))
            if not path and method in ("WithContext", "Clone") and args:
                inner = self.request(operand, steps + 1)
                return (inner[0] if inner else Target()), self.context(args[0])
            return None
        if node.type == "identifier":
            found: tuple[Target, _Ctx] | None = None
            for definition in self.lookup(node):
                if definition.param or definition.value is None or (definition.multi and definition.index != 0):
                    break
                current = self.request(definition.value, steps + 1)
                if current is None:
                    break
                if found is None:
                    found = current
                elif not (found[0].url or found[0].host or found[0].env):
                    found = (current[0], found[1])
                if current[1].state == "none" and found[1].state != "none":
                    continue
            return found
        return None


def _host_piece(parts: list[str | _Env | None]) -> _Env | None:
    """The environment piece in the host position of a URL, a DSN (`user:pass@tcp(HOST:port)/db`,
    `host=HOST …`) or a `host:port`, or None when the host is literal or unknown."""
    piece = piece_in_host(parts, _host_region)
    return piece if isinstance(piece, _Env) else None


def _host_region(marked: str) -> str:
    if "://" in marked:
        region = re.split(r"[/?#]", marked.split("://", 1)[1], maxsplit=1)[0]
    elif "@tcp(" in marked:
        region = marked.split("@tcp(", 1)[1].split(")", 1)[0]
    elif re.search(r"(^|\s)host=", marked):
        region = re.split(r"(?:^|\s)host=", marked, maxsplit=1)[1].split(" ", 1)[0]
    else:
        region = marked.split("/", 1)[0]
    return region.rsplit("@", 1)[-1]


def _type_name(receiver: Node) -> str:
    for declaration in receiver.named_children:
        type_node = declaration.child_by_field_name("type")
        for _ in range(4):
            if type_node is None or type_node.type == "type_identifier":
                break
            if type_node.type == "generic_type":
                type_node = type_node.child_by_field_name("type")
                continue
            type_node = type_node.named_children[0] if type_node.named_children else None
        return text(type_node) if type_node is not None else ""
    return ""


def _owner_type(declaration: Node) -> str:
    for parent in ancestors(declaration, 4):
        if parent.type == "type_spec":
            return text(parent.child_by_field_name("name"))
    return ""


def _is_default(definition: _Def, name: str) -> bool:
    """`if x == "" { x = "default" }`: the literal given when the environment has no value."""
    statement = definition.statement
    if statement is None or definition.value is None or _string_literal(definition.value) is None:
        return False
    for parent in ancestors(statement, 4):
        if parent.type == "if_statement":
            condition = re.sub(r"\s+", "", text(parent.child_by_field_name("condition")))
            return condition in (f'{name}==""', f'""=={name}', f"len({name})==0")
    return False


def _resty_setter(method: str, args: list[Node], call: Node) -> Bound | None:
    if method == "SetTimeout" and args and text(args[0]) != "0":
        return Bound("timeout", line(call), f"SetTimeout({text(args[0])})"[:80])
    if method == "SetRetryCount" and args and text(args[0]) != "0":
        return Bound("retry", line(call), f"SetRetryCount({text(args[0])})"[:80])
    return None


def _retry_max(bounds: list[Bound], file: _File, name: str) -> list[Bound]:
    """retryablehttp's `c.RetryMax = 0` turns its default retries off."""
    for selector, value in file.members.get(name, []):
        if text(selector.child_by_field_name("field")) == "RetryMax":
            bounds = [b for b in bounds if b.kind != "retry"]
            if text(value) != "0":
                bounds.append(Bound("retry", line(selector), f"RetryMax = {text(value)}"[:80]))
    return bounds


def _walk(node: Node, limit: int = 400) -> Iterator[Node]:
    """The nodes under `node`, breadth first, at most `limit` of them."""
    queue = [node]
    for _ in range(limit):
        if not queue:
            return
        current = queue.pop(0)
        yield current
        queue.extend(current.named_children)


# ---------------------------------------------------------------------------------------------------------------
def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    root = tree.root_node
    token = _SOURCE.set((root.text or b"", root.start_byte))
    try:
        return _extract(root, language)
    finally:
        _SOURCE.reset(token)


def _extract(root: Node, language: str) -> Extracted:
    file = _File(root, language)
    found = Extracted()
    _handlers(file, root, found)
    _callees(file, found)
    _calls(file, found)
    _grpc_beans(file, found)
    _linkage(file, found)
    _deadlines(file, found)
    _connects(file, root, found)
    _sessions(file, root, found)
    _tracing(file, root, found)
    for facts in (found.calls, found.connects, found.handlers, found.sessions, found.tracing):
        facts.sort(key=lambda fact: fact.line)
    return found


# -- handlers ----------------------------------------------------------------------------------------------------
def _handlers(file: _File, root: Node, found: Extracted) -> None:
    seen: set[str] = set()

    def add(line_no: int, name: str, framework: str) -> None:
        if name and name not in seen:
            seen.add(name)
            found.handlers.append(Handler(line_no, name, framework))

    for unit in file.units:
        framework = _handler_signature(file, unit)
        if framework:
            file.handler_units[unit.id] = framework
            name = unit.child_by_field_name("name")
            add(line(unit), text(name) if name is not None else f"<handler:{line(unit)}>", framework)
    routers = {name for path, name in _ROUTERS if any(p.startswith(path) for p in file.paths)}
    router = routers.pop() if len(routers) == 1 else ""
    grpc_types: set[str] = set()
    for m in file.found["handlers"]:
        route, register = m.one("route"), m.one("grpc_register")
        if route is not None:
            operand, method = _selector(route.child_by_field_name("function"))
            path_node = m.one("path")
            if operand is None or path_node is None or not (_string_literal(path_node) or "").startswith("/"):
                continue
            args = _args(route)[1:]
            framework = "net/http" if file.imports.get(text(operand)) == "net/http" else \
                _router_of(file, operand) or router
            if not framework and method in ("HandleFunc", "Handle"):
                framework = "net/http"
            if not framework or not args:
                continue
            for arg in args:
                handler = _handler_name(file, arg)
                if handler:
                    defined = file.functions.get(handler)
                    add(line(defined[0]) if defined else line(route), handler, framework)
        elif register is not None:
            impl = _unparen(m.one("impl"))
            type_name = _impl_type(file, impl)
            if type_name:
                grpc_types.add(type_name)
    for owner, embedded in file.embedded.items():
        if any(file.type_of(e)[1].startswith("Unimplemented") and file.type_of(e)[1].endswith("Server")
               for e in embedded):
            grpc_types.add(owner)
    for unit in file.units:
        if unit.type != "method_declaration" or file.receivers.get(unit.id) not in grpc_types:
            continue
        method_name = text(unit.child_by_field_name("name"))
        params = unit.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else None
        if method_name[:1].isupper() and first is not None and \
                file.type_of(first.child_by_field_name("type")) in _CONTEXT_TYPES:
            add(line(unit), method_name, "grpc")
            file.handler_units[unit.id] = "grpc"
    for unit in file.units:
        if unit.type == "method_declaration" and unit.id not in file.handler_units and _grpc_method_shape(file, unit):
            method_name = text(unit.child_by_field_name("name"))
            add(line(unit), method_name, "grpc")
            file.handler_units[unit.id] = "grpc"


def _grpc_method_shape(file: _File, unit: Node) -> bool:
    """`func (s Server) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.User, error)` with request and
    response types from a generated package: a gRPC service method whose registration is in another file."""
    if not text(unit.child_by_field_name("name"))[:1].isupper():
        return False
    params = unit.child_by_field_name("parameters")
    result = unit.child_by_field_name("result")
    declared = [d for d in params.named_children if d.type == "parameter_declaration"] if params else []
    if len(declared) != 2 or result is None or result.type != "parameter_list":
        return False
    first, second = (d.child_by_field_name("type") for d in declared)
    results = [d.child_by_field_name("type") for d in result.named_children]
    if file.type_of(first) not in _CONTEXT_TYPES or second is None or second.type != "pointer_type":
        return False
    if len(results) != 2 or text(results[1]) != "error" or results[0] is None or results[0].type != "pointer_type":
        return False
    request_path = file.type_of(second)[0]
    return bool(request_path) and bool(_STUB_PACKAGE.search(request_path)) and \
        file.type_of(second)[1].endswith("Request")


def _router_of(file: _File, operand: Node) -> str:
    """The framework of a router variable: `r := chi.NewRouter()`, `e := echo.New()`, `r *gin.Engine`."""
    if operand.type != "identifier":
        return ""
    defs = file.lookup(operand)
    if not defs:
        return ""
    value = defs[0].value
    if value is not None and value.type == "call_expression":
        path = file.callee(value)[0]
    else:
        path = file.type_of(defs[0].type)[0]
    return next((name for prefix, name in _ROUTERS if path.startswith(prefix)), "") if path else ""


def _handler_signature(file: _File, unit: Node) -> str:
    params = unit.child_by_field_name("parameters")
    types = [file.type_of(d.child_by_field_name("type")) for d in params.named_children
             for _ in (d.children_by_field_name("name") or [d])] if params else []
    if types == [("net/http", "ResponseWriter"), ("net/http", "Request")]:
        return "net/http"
    if len(types) == 1 and types[0] in _HANDLER_TYPES:
        # gin handlers return nothing; echo and fiber handlers return error (a helper taking the context
        # and returning a value is not a handler)
        framework = _HANDLER_TYPES[types[0]]
        result = text(unit.child_by_field_name("result"))
        if (framework == "gin" and not result) or (framework != "gin" and result == "error"):
            return framework
    return ""


def _handler_name(file: _File, arg: Node) -> str:
    arg = _unparen(arg) or arg
    if arg.type == "call_expression" and file.callee(arg) == ("net/http", "HandlerFunc"):
        inner = _args(arg)
        return _handler_name(file, inner[0]) if inner else ""
    if arg.type == "identifier" and text(arg) in file.functions:
        return text(arg)
    if arg.type == "selector_expression":
        operand, name = _selector(arg)
        if operand is not None and (text(operand) not in file.imports or name in file.functions):
            return name if name in file.functions or name[:1].isupper() else ""
        return name
    return ""


def _impl_type(file: _File, impl: Node | None) -> str:
    for _ in range(MAX_STEPS):
        if impl is None:
            return ""
        if impl.type == "unary_expression":
            impl = impl.child_by_field_name("operand")
        elif impl.type == "composite_literal":
            return file.type_of(impl.child_by_field_name("type"))[1]
        elif impl.type == "identifier":
            for unit in file._units_of(impl):
                if unit.type == "method_declaration":
                    receiver = unit.child_by_field_name("receiver")
                    names = [text(n) for d in (receiver.named_children if receiver else [])
                             for n in d.children_by_field_name("name")]
                    if text(impl) in names:
                        return file.receivers.get(unit.id, "")
            defs = file.lookup(impl)
            if not defs or defs[0].value is None:
                return file.type_of(defs[0].type)[1] if defs else ""
            impl = defs[0].value
        elif impl.type == "call_expression":
            function = impl.child_by_field_name("function")
            _, name = _selector(function) if function is not None and function.type == "selector_expression" \
                else (None, text(function))
            return name[3:] if name.startswith("New") and name[3:] else ""
        else:
            return ""
    return ""


def _callees(file: _File, found: Extracted) -> None:
    for call in file.calls:
        function = call.child_by_field_name("function")
        if function is None:
            continue
        if function.type == "identifier":
            name = text(function)
        elif function.type == "selector_expression" and text(function.child_by_field_name("operand")) \
                not in file.imports:
            name = text(function.child_by_field_name("field"))
        else:
            continue
        caller = file.unit_name(call)
        if name in file.functions and caller and name != caller:
            found.callees.setdefault(caller, set()).add(name)


# -- calls -------------------------------------------------------------------------------------------------------
_FORWARDED = "from the caller (bounded or not there)"  # a context handed in: facts.CALLER_CONTEXT


def _calls(file: _File, found: Extracted) -> None:
    wrappers = _wrapped_ranges(file)
    for call in file.calls:
        if not found.room_for_calls(line(call)):
            break
        made = _http_call(file, call) or _grpc_dial(file, call) or _grpc_stub(file, call)
        for item in made:
            extra = [b for start, end, b in wrappers if start <= call.start_byte and call.end_byte <= end]
            bounds = list(item.bounds) + extra
            found.calls.append(Call(item.line, item.client, item.target, tuple(bounds), item.protocol,
                                    item.function or file.unit_name(call), item.injected))


def _http_call(file: _File, call: Node) -> list[Call]:
    function = call.child_by_field_name("function")
    args = _args(call)
    path, name = file.callee(call)
    if path == "net/http" and name in _HTTP_FUNCTIONS and args:
        bounds = file._member_bounds("http.DefaultClient", 0)  # `http.DefaultClient.Timeout = …` in this file
        return [Call(line(call), "net/http", file.target(args[0]), tuple(bounds))]
    if path == _RETRYABLE and name in _HTTP_FUNCTIONS and args:
        return [Call(line(call), "retryablehttp", file.target(args[0]),
                     (Bound("retry", line(call), "go-retryablehttp default client: RetryMax 4"),))]
    if path:
        return []
    operand, method = _selector(function)
    if operand is None:
        return []
    if method in _RESTY_VERBS:
        resty = _resty_request(file, operand)
        if resty is not None:
            client, ctx = resty
            url = args[1] if method == "Execute" and len(args) > 1 else (args[0] if args else None)
            return [_finish(call, "resty", file.target(url) if method != "Send" else Target(), client, ctx)]
    if method not in _CLIENT_METHODS:
        return []
    http_client = file.client(operand)
    if http_client is None:
        return []
    if method == "Do":
        request = file.request(args[0]) if args else None
        target, ctx = request if request is not None else (Target(), _Ctx("unknown"))
    else:
        target, ctx = (file.target(args[0]) if args else Target()), _Ctx("none")
    return [_finish(call, http_client.kind, target, http_client, ctx)]


def _finish(call: Node, client_name: str, target: Target, client: _Client, ctx: _Ctx) -> Call:
    bounds = list(client.bounds)
    if ctx.state == "timeout" and ctx.bound is not None:
        bounds.append(ctx.bound)
    if not any(b.kind in ("timeout", "default_timeout") for b in bounds):
        if not client.known:
            bounds.append(Bound("deferred", line(call), f"client {_FORWARDED}"))
        elif ctx.state == "unknown":
            bounds.append(Bound("deferred", line(call), CALLER_CONTEXT))
    return Call(line(call), client_name, target, tuple(bounds))


def _resty_request(file: _File, node: Node | None) -> tuple[_Client, _Ctx] | None:
    """`client.R().SetContext(ctx).SetBody(…)`: the resty client under a request chain, and its context."""
    ctx = _Ctx("none")
    for _ in range(32):
        node = _unparen(node)
        if node is None:
            return None
        if node.type == "identifier":
            defs = file.lookup(node)
            if not defs or defs[0].value is None or defs[0].param:
                client_type = file._client_type(defs[0].type) if defs else ""
                return (_Client("resty", [], known=False), _Ctx("unknown")) if client_type == "resty" else None
            node = defs[0].value
            continue
        if node.type != "call_expression":
            return None
        operand, method = _selector(node.child_by_field_name("function"))
        if operand is None:
            return None
        if method in ("R", "NewRequest"):
            client = file.client(operand)
            return (client, ctx) if client is not None and client.kind == "resty" else None
        if method == "SetContext":
            args = _args(node)
            ctx = file.context(args[0]) if args else ctx
        elif not method.startswith("Set") and method not in ("EnableTrace", "ForceContentType"):
            return None
        node = operand
    return None


def _grpc_dial(file: _File, call: Node) -> list[Call]:
    return [Call(line(site), "grpc", target, tuple(bounds), "grpc", file.unit_name(site) if site != call else "")
            for site, target, bounds in _dials(file, call)]


def _dials(file: _File, call: Node) -> list[tuple[Node, Target, list[Bound]]]:
    """(site, address, bounds) of a gRPC dial: the `grpc.Dial` itself, or each call in this file of the wrapper
    that dials the address it is given."""
    known = file.dials.get(call.id)
    if known is None:
        known = file.dials[call.id] = _dial_sites(file, call)
    return known


def _dial_sites(file: _File, call: Node) -> list[tuple[Node, Target, list[Bound]]]:
    path, name = file.callee(call)
    if path != "google.golang.org/grpc" or name not in ("Dial", "DialContext", "NewClient"):
        return []
    args = _args(call)
    first = 1 if name == "DialContext" else 0
    if len(args) <= first:
        return []
    bounds = _dial_bounds(file, args[first + 1:])
    if not bounds:  # a retry or timeout interceptor bounds every RPC; otherwise each stub call decides
        bounds.append(Bound("deferred", line(call), "gRPC: the deadline is set per RPC, at each stub call"))
    address = args[first]
    sites = _wrapper_sites(file, call, address)
    if sites:
        return [(site, file.target(arg), bounds) for site, arg in sites]
    return [(call, file.target(address), bounds)]


def _grpc_beans(file: _File, found: Extracted) -> None:
    """A stub made from a connection this file dials (`conn, _ := grpc.Dial(addr)`, then `pb.NewUsersClient(conn)`
    in the same function): a bean of that stub's kind, so stub calls in other files of the service, which hold
    only the stub, get its address and the bounds of its dial."""
    sites = [site_target for call in file.calls for site_target in _dials(file, call)]
    if not sites:
        return
    makers: dict[tuple[int, str], list[tuple[int, str]]] = {}  # (function, connection) → (offset, stub kind)
    for other in file.calls:
        args = _args(other)
        path, name = file.callee(other)
        if args and path and name.startswith("New") and name.endswith("Client") and len(name) > 9:
            makers.setdefault((file.scope(other), text(args[0])), []).append(
                (other.start_byte, f"grpc:{path}.{name[3:]}"))
    for site, target, bounds in sites[:MAX_DEFS * 250]:
        holder = _assignee(site)
        made = [kind for offset, kind in makers.get((file.scope(site), holder), []) if offset > site.start_byte] \
            if holder and holder != "_" else []
        if made:
            found.beans.append(Bean(made[0], line(site), tuple(b for b in bounds if b.kind != "deferred"), target))


def _wrapper_sites(file: _File, call: Node, address: Node) -> list[tuple[Node, Node]]:
    """`func dial(addr string) { grpc.Dial(addr, …) }` called as `dial(*geoaddr)`: each call of the wrapper in
    this file, with the argument that becomes the address."""
    if address.type != "identifier":
        return []
    defs = file.lookup(address)
    if not defs or not defs[0].param:
        return []
    unit = next(file._units_of(address), None)
    if unit is None or unit.type != "function_declaration":
        return []
    params = unit.child_by_field_name("parameters")
    names = [text(n) for d in (params.named_children if params else []) for n in d.children_by_field_name("name")]
    if text(address) not in names:
        return []
    position = names.index(text(address))
    wrapper = text(unit.child_by_field_name("name"))
    sites = []
    for other in file.calls:
        function = other.child_by_field_name("function")
        if function is not None and function.type == "identifier" and text(function) == wrapper:
            args = _args(other)
            if len(args) > position:
                sites.append((other, args[position]))
    return sites


def _dial_bounds(file: _File, options: list[Node]) -> list[Bound]:
    """Retry and timeout interceptors (go-grpc-middleware retry/timeout) or a service config's retryPolicy among
    the dial options, followed into a local `opts := []grpc.DialOption{…}`."""
    nodes: list[Node] = []
    for option in options:
        if option.type == "variadic_argument" and option.named_children:
            option = option.named_children[0]
        if option.type == "identifier":
            for definition in file.lookup(option):
                if definition.value is not None:
                    nodes.append(definition.value)
            for call in file.calls:
                function = call.child_by_field_name("function")
                if text(function) == "append" and _args(call) and text(_args(call)[0]) == text(option):
                    nodes.append(call)
        else:
            nodes.append(option)
    bounds: list[Bound] = []
    for node in nodes:
        for inner in _walk(node):
            if inner.type == "call_expression":
                path, name = file.callee(inner)
                if "/retry" in path or path.endswith("retry"):
                    bounds.append(Bound("retry", line(inner), text(inner)[:80]))
                elif "/timeout" in path and "Client" in name:
                    bounds.append(Bound("timeout", line(inner), text(inner)[:80]))
                elif path == "google.golang.org/grpc" and name == "WithDefaultServiceConfig":
                    config = file.string(_args(inner)[0] if _args(inner) else None)
                    joined = config.known()
                    if "retryPolicy" in joined:
                        bounds.append(Bound("retry", line(inner), "service config retryPolicy"))
                    if re.search(r'"timeout"\s*:', joined):
                        bounds.append(Bound("timeout", line(inner), "service config timeout"))
    return bounds


def _grpc_stub(file: _File, call: Node) -> list[Call]:
    """`s.client.GetUser(ctx, &pb.GetUserRequest{…})` on a generated gRPC client: bounded by the context."""
    operand, method = _selector(call.child_by_field_name("function"))
    args = _args(call)
    if operand is None or not method[:1].isupper() or len(args) < 2 or text(operand) in file.imports:
        return []
    stub = _stub_origin(file, operand)
    if stub is None:
        return []
    ctx = file.context(args[0])
    bounds: list[Bound] = []
    if ctx.state == "timeout" and ctx.bound is not None:
        bounds.append(ctx.bound)
    elif ctx.state == "unknown":
        bounds.append(Bound("deferred", line(call), CALLER_CONTEXT))
    # where the file does not show the connection, the stub's kind says which connection made elsewhere it is
    kind = _stub_kind(file, operand) if stub == Target() else ""
    return [Call(line(call), "grpc", stub, tuple(bounds), "grpc", injected=kind)]


def _stub_kind(file: _File, node: Node | None, steps: int = 0) -> str:
    """`grpc:<import path>.<Type>` of a generated gRPC client expression (a field or parameter of that type, or
    `pb.NewTypeClient(conn)`), "" when the file does not say."""
    node = _unparen(node)
    if node is None or steps > MAX_STEPS or not file.spend():
        return ""
    if node.type == "call_expression":
        path, name = file.callee(node)
        return f"grpc:{path}.{name[3:]}" if path and name.startswith("New") and name.endswith("Client") else ""
    if node.type == "identifier":
        for definition in file.lookup(node):
            if definition.value is not None and not definition.multi:
                return _stub_kind(file, definition.value, steps + 1)
            return _stub_type_kind(file, definition.type)
        return ""
    if node.type == "selector_expression":
        _, name = _selector(node)
        kinds = {_stub_kind(file, v, steps + 1) for v in file.fields.get(name, [])[:MAX_DEFS]}
        kinds |= {_stub_type_kind(file, t) for t in file.field_types.get(name, [])[:MAX_DEFS]}
        kinds.discard("")
        return kinds.pop() if len(kinds) == 1 else ""
    return ""


def _stub_type_kind(file: _File, type_node: Node | None) -> str:
    if not _stub_type(file, type_node):
        return ""
    path, name = file.type_of(type_node)
    return f"grpc:{path}.{name}"


def _stub_origin(file: _File, node: Node, steps: int = 0) -> Target | None:
    """The target of a gRPC client expression (Target() when the file does not show where it dials), or None
    when it is not a generated gRPC client."""
    node = _unparen(node) or node
    if steps > MAX_STEPS or not file.spend():
        return None
    if node.type == "call_expression":
        path, name = file.callee(node)
        if path and name.startswith("New") and name.endswith("Client") and len(name) > 9:
            conn = _args(node)[0] if _args(node) else None
            dialed = _dial_target(file, conn)  # made from a connection dialed here: a stub, whatever its package
            if dialed is not None:
                return dialed
            return Target() if _STUB_PACKAGE.search(path) else None
        return None
    if node.type == "identifier":
        for definition in file.lookup(node):
            if definition.value is not None and not definition.multi:
                return _stub_origin(file, definition.value, steps + 1)
            return Target() if _stub_type(file, definition.type) else None
        return None
    if node.type == "selector_expression":
        _, name = _selector(node)
        values = file.fields.get(name, [])
        origins = [_stub_origin(file, v, steps + 1) for v in values]
        if origins and all(o is not None for o in origins):
            return origins[0] if len(origins) == 1 else Target()
        if any(_stub_type(file, t) for t in file.field_types.get(name, [])):
            return Target()
    return None


def _stub_type(file: _File, type_node: Node | None) -> bool:
    if type_node is None or type_node.type != "qualified_type":
        return False  # generated clients are interfaces: never a pointer
    path, name = file.type_of(type_node)
    return bool(path) and name.endswith("Client") and len(name) > 6 and bool(_STUB_PACKAGE.search(path))


def _dial_target(file: _File, conn: Node | None) -> Target | None:
    if conn is None or conn.type != "identifier":
        return None
    for definition in file.lookup(conn):
        value = definition.value
        if value is not None and value.type == "call_expression":
            path, name = file.callee(value)
            args = _args(value)
            if path == "google.golang.org/grpc" and name in ("Dial", "NewClient") and args:
                return file.target(args[0])
            if path == "google.golang.org/grpc" and name == "DialContext" and len(args) > 1:
                return file.target(args[1])
        return None
    return None


def _wrapped_ranges(file: _File) -> list[tuple[int, int, Bound]]:
    """Calls made inside a circuit breaker or retry wrapper: gobreaker `cb.Execute(func…)`, hystrix-go
    `hystrix.Do/Go`, avast/retry-go `retry.Do`, cenkalti/backoff `backoff.Retry`."""
    ranges = []
    breaker = any(p.startswith("github.com/sony/gobreaker") or p == "github.com/mercari/go-circuitbreaker"
                  for p in file.paths)
    for call in file.calls:
        path, name = file.callee(call)
        _, method = _selector(call.child_by_field_name("function"))
        kinds: list[tuple[str, str]] = []
        if path == "github.com/afex/hystrix-go/hystrix" and name in ("Do", "Go", "DoC", "GoC"):
            # hystrix-go settings.go: DefaultTimeout = 1000 ms per command
            kinds = [("circuit_breaker", "hystrix." + name), ("default_timeout", "hystrix default timeout 1 s")]
        elif not path and breaker and method == "Execute":
            kinds = [("circuit_breaker", "gobreaker Execute")]
        elif path == "github.com/avast/retry-go" and name == "Do":
            kinds = [("retry", "retry.Do")]
        elif path == "github.com/cenkalti/backoff" and name in ("Retry", "RetryNotify", "RetryWithData"):
            kinds = [("retry", "backoff." + name)]
        if not kinds:
            continue
        for arg in _args(call):
            body = _function_body(file, arg)
            if body is not None:
                ranges += [(body.start_byte, body.end_byte, Bound(k, line(call), d)) for k, d in kinds]
    return ranges


def _function_body(file: _File, arg: Node) -> Node | None:
    if arg.type == "func_literal":
        return arg
    if arg.type == "identifier" and text(arg) in file.functions:
        return file.functions[text(arg)][0]
    if arg.type == "selector_expression":
        _, name = _selector(arg)
        if name in file.functions:
            return file.functions[name][0]
    return None


# -- linkage between packages ------------------------------------------------------------------------------------
def _linkage(file: _File, found: Extracted) -> None:
    """What other files' code reaches through this file's exported functions (see `Extracted.exports`), and what
    this file calls in other packages (`PackageCall`), for graph/code.py to give a shared package's calls to the
    services whose code calls into it. Bounded: a hostile file's thousands of functions calling each other cost a
    fixed budget of steps, past which its remaining exports are left out."""
    named = [u for u in file.units if u.type in ("function_declaration", "method_declaration")]
    name_of = {u.id: text(u.child_by_field_name("name")) for u in named}
    functions: dict[str, int] = {}  # function declarations: one per name in a package
    methods_named: dict[str, list[int]] = {}
    methods_of: dict[str, list[int]] = {}  # receiver type → its methods
    for unit in named:
        if unit.type == "function_declaration":
            functions.setdefault(name_of[unit.id], unit.id)
        else:
            methods_named.setdefault(name_of[unit.id], []).append(unit.id)
            methods_of.setdefault(file.receivers.get(unit.id, ""), []).append(unit.id)
    calls_in: dict[int, list[Node]] = {}  # named unit id → the calls made in it (function literals included)
    unit_of_line: dict[int, int] = {}  # a call's line → the named function or method it is made in
    wanted = {c.line for c in found.calls}
    for call in file.calls:
        path, name = file.callee(call)
        if line(call) not in wanted and (not path or path in _STDLIB_LINKS or not name[:1].isupper()) and \
                not (path and name.startswith("New")):
            continue  # neither a call of a service nor one into another package: its place is not needed
        around = next((u for u in file.index.walk(call) if u.type != "func_literal"), None)
        if around is not None:
            calls_in.setdefault(around.id, []).append(call)
            unit_of_line.setdefault(line(call), around.id)
    lines: dict[int, set[int]] = {}  # unit id → lines of the calls made in it
    for made in found.calls:
        if made.line in unit_of_line:
            lines.setdefault(unit_of_line[made.line], set()).add(made.line)
    dials = {site.id: (target, bounds, line(site))
             for call in file.calls for site, target, bounds in _dials(file, call)}
    for call in file.calls:
        path, name = file.callee(call)
        if not path or not name[:1].isupper() or path in _STDLIB_LINKS or len(found.package_calls) >= MAX_DEFS * 250:
            continue
        conns = []
        for position, arg in enumerate(_args(call)[:16] if dials else []):
            dialed = _dialed(file, arg, dials)
            if dialed is not None:
                conns.append((position, dialed[0], tuple(dialed[1]), dialed[2]))
        found.package_calls.append(PackageCall(path, name, line(call), tuple(conns)))
        if line(call) in unit_of_line:
            lines.setdefault(unit_of_line[line(call)], set()).add(line(call))
    budget = MAX_WORK
    calling_methods = any(lines.get(m) for ids in methods_of.values() for m in ids)
    for unit in named:
        name = name_of[unit.id]
        if unit.type != "function_declaration" or not name[:1].isupper():
            continue
        built = sorted(_constructed_types(unit))[:MAX_DEFS * 8] if calling_methods else []
        reach = {unit.id} | {m for t in built for m in methods_of.get(t, ())}
        names = {name_of[i] for i in reach}
        frontier = set(names)
        for _ in range(8):
            frontier = {c for f in frontier for c in found.callees.get(f, ())} - names
            budget -= len(frontier) + 1
            if not frontier or budget < 0:
                break
            names |= frontier
        if budget < 0:
            break
        # a method is reached by name only when no other method has it (its receiver is not known here)
        reach |= {functions[f] for f in names if f in functions}
        reach |= {ids[0] for f in names if len(ids := methods_named.get(f, [])) == 1}
        reached = sorted({n for ident in reach for n in lines.get(ident, ())})
        if reached:
            found.exports[name] = tuple(reached[:MAX_WORK // 10])
        stubs = _stub_parameters(file, unit, calls_in.get(unit.id, []))
        if stubs:
            found.stub_params[name] = stubs


# Standard-library packages never hold the repository's code (their first path element has no dot; a module of the
# repository may have none either, so only the packages calls are made into are listed).
_STDLIB_LINKS = frozenset({"fmt", "os", "strings", "strconv", "time", "context", "errors", "log", "net", "net/http",
                           "io", "bytes", "sort", "sync", "encoding/json", "math", "flag", "path", "path/filepath",
                           "regexp", "bufio", "reflect", "runtime", "unicode", "crypto/tls", "crypto/x509",
                           "net/url", "io/ioutil", "database/sql", "testing", "log/slog", "embed", "slices", "maps"})


def _constructed_types(unit: Node, limit: int = 20_000) -> set[str]:
    """The local types a function builds (`&T{…}`, `T{…}`, `new(T)`): their methods' calls are the calls of
    whoever calls the function."""
    found: set[str] = set()
    stack = [unit]
    for _ in range(limit):
        if not stack:
            break
        node = stack.pop()
        if node.type == "composite_literal":
            type_node = node.child_by_field_name("type")
            if type_node is not None and type_node.type == "type_identifier":
                found.add(text(type_node))
        elif node.type == "call_expression" and text(node.child_by_field_name("function")) == "new":
            args = node.child_by_field_name("arguments")
            inner = args.named_children[0] if args is not None and args.named_children else None
            if inner is not None and inner.type == "type_identifier":
                found.add(text(inner))
        stack.extend(node.named_children)
    return found


def _stub_parameters(file: _File, unit: Node, calls: list[Node]) -> dict[int, str]:
    """Parameter position → stub kind, for `func New(conn *grpc.ClientConn) { pb.NewUsersClient(conn) }` (`calls`:
    the calls made in the function)."""
    params = unit.child_by_field_name("parameters")
    names = [text(n) if file.type_of(d.child_by_field_name("type")) in _CONN_TYPES else ""
             for d in (params.named_children if params else []) for n in d.children_by_field_name("name")]
    if not any(names):
        return {}
    found: dict[int, str] = {}
    for call in calls:
        path, name = file.callee(call)
        args = _args(call)
        if path and name.startswith("New") and name.endswith("Client") and len(name) > 9 and args and \
                args[0].type == "identifier" and text(args[0]) in names:
            found[names.index(text(args[0]))] = f"grpc:{path}.{name[3:]}"
    return found


_CONN_TYPES = frozenset({("google.golang.org/grpc", "ClientConn"), ("google.golang.org/grpc", "ClientConnInterface")})


def _dialed(file: _File, arg: Node, dials: dict[int, tuple[Target, list[Bound], int]]) \
        -> tuple[Target, list[Bound], int] | None:
    """The address, bounds and line of the gRPC dial whose connection an argument holds, when this file dials it."""
    arg = _unparen(arg) or arg
    if arg.type != "identifier":
        return None
    for definition in file.lookup(arg):
        if definition.value is not None and definition.index == 0 and definition.value.id in dials:
            return dials[definition.value.id]
        return None
    return None


# -- deadlines ---------------------------------------------------------------------------------------------------
_DEADLINES = ("WithTimeout", "WithDeadline", "WithTimeoutCause", "WithDeadlineCause")
_INTERCEPTOR_OPTIONS = frozenset({"WithUnaryInterceptor", "WithChainUnaryInterceptor", "WithStreamInterceptor",
                                  "WithChainStreamInterceptor"})
# Calls a context with a deadline is given only to stop or check something, never to serve a request.
_STOPPING = ("shutdown", "stop", "close", "flush", "disconnect", "ping")
# Interceptor packages known not to set deadlines (tracing, metrics, logging, auth, recovery, validation).
_PLAIN_INTERCEPTORS = ("opentelemetry", "otel", "opentracing", "opencensus", "prometheus", "zipkin", "dd-trace",
                       "sentry", "newrelic", "elastic", "instana", "xray", "jaeger", "zap", "logrus", "logging",
                       "auth", "recovery", "validator", "tags")


def _deadlines(file: _File, found: Extracted) -> None:
    """Where this file may give a request's context a deadline (see `Extracted.deadlines`; a few are enough to
    say that it does)."""
    judged = 0
    for call in file.calls:
        if len(found.deadlines) >= MAX_DEFS:
            return
        path, name = file.callee(call)
        if path in _CONTEXT_PACKAGES and name in _DEADLINES:
            judged += 1
            if judged > MAX_DEFS * 4 or not _only_to_stop(file, call):
                found.deadlines.append(line(call))
        elif _timeout_middleware(path, name) or (path == "google.golang.org/grpc" and name in _INTERCEPTOR_OPTIONS
                                                  and any(_opaque_interceptor(file, arg) for arg in _args(call))):
            found.deadlines.append(line(call))


def _timeout_middleware(path: str, name: str) -> bool:
    """`http.TimeoutHandler`, chi/echo `middleware.Timeout…`, gin-contrib `timeout.New`: each request's context
    gets a deadline."""
    return (path, name) in (("net/http", "TimeoutHandler"), ("github.com/gin-contrib/timeout", "New")) or (
        path.endswith("/middleware") and path.startswith(("github.com/go-chi/chi", "github.com/labstack/echo"))
        and name.startswith("Timeout"))


def _only_to_stop(file: _File, call: Node) -> bool:
    """`ctx, cancel := context.WithTimeout(…)` whose `ctx` is only handed to `srv.Shutdown(ctx)`-like calls."""
    holder = _assignee(call)
    unit = next(file._units_of(call), None)
    if not holder or "." in holder or unit is None:
        return False
    uses = _count_identifiers(unit, holder)
    if uses is None:
        return False
    stopping = 0
    for other in file.calls:
        if not (unit.start_byte <= other.start_byte and other.end_byte <= unit.end_byte):
            continue
        function = other.child_by_field_name("function")
        _, method = _selector(function)
        callee = (method or text(function)).lower()
        if any(word in callee for word in _STOPPING):
            stopping += sum(1 for a in _args(other) if a.type == "identifier" and text(a) == holder)
    return uses - 1 == stopping  # every use but the definition is an argument of a stopping call


def _count_identifiers(unit: Node, name: str, limit: int = 20_000) -> int | None:
    """How often `name` occurs as an identifier in `unit` (None when the unit is too big to read whole)."""
    count = 0
    stack = [unit]
    for _ in range(limit):
        if not stack:
            return count
        node = stack.pop()
        if node.type == "identifier" and text(node) == name:
            count += 1
        stack.extend(node.named_children)
    return None


def _opaque_interceptor(file: _File, arg: Node) -> bool:
    """An interceptor from a package this file cannot see into and that is not known to leave deadlines alone."""
    for inner in _walk(arg, 50):
        path = ""
        if inner.type == "call_expression":
            path = file.callee(inner)[0]
        elif inner.type == "selector_expression":
            path = file.qualified(inner)[0]
        if path and path != "google.golang.org/grpc" and not any(word in path for word in _PLAIN_INTERCEPTORS):
            return True
    return False


# -- connections -------------------------------------------------------------------------------------------------
def _connects(file: _File, root: Node, found: Extracted) -> None:
    per_request = per_request_functions(found)
    setters: list[tuple[Node, Node, Node]] = []  # (pool expression, size, statement)
    pending: list[tuple[Node, str, str, bool, Target, Node | None]] = []
    for m in file.found["connects"]:
        if m.one("pool_setter") is not None or m.one("pool_assign") is not None:
            pool, size = m.one("pool"), m.one("size")
            statement = m.one("pool_setter") or m.one("pool_assign")
            if pool is not None and size is not None and statement is not None:
                setters.append((pool, size, statement))
            continue
        call = m.one("connect")
        if call is None:
            continue
        made = _connect_kind(file, call)
        if made is not None:
            pending.append((call, *made))
    for call, library, datastore, pooled, target, config in pending:
        function = file.unit_name(call)
        holder = _assignee(call)
        pool_max, pool_line = _pool_size(file, call, holder, config, setters) if pooled else (None, 0)
        in_handler = any(u.id in file.handler_units for u in file._units_of(call))
        per_req = (in_handler or function in per_request) and not _singleton(file, call, holder)
        if per_req and pooled:
            pooled, pool_max, pool_line = False, None, 0  # a pool made per request is a connection per request
        found.connects.append(Connect(line(call), library, datastore, pooled, pool_max, pool_line, function,
                                      in_handler, target))


def _connect_kind(file: _File, call: Node) -> tuple[str, str, bool, Target, Node | None] | None:
    """(library, datastore, pooled, target, config node) of a connection-making call, or None."""
    path, name = file.callee(call)
    args = _args(call)
    if path in _SQL and name in ("Open", "Connect", "MustConnect", "MustOpen", "OpenDB", "ConnectContext",
                                 "MustConnectContext"):
        datastore = ""
        dsn = None
        first = 1 if name.endswith("Context") else 0  # sqlx.ConnectContext(ctx, driver, dsn)
        if name != "OpenDB" and len(args) >= first + 2:
            driver = file.string(args[first]).known()
            datastore = _DRIVERS.get(driver, "")
            dsn = args[first + 1]
        datastore = datastore or _imported_driver(file)
        return path.rsplit("/", 1)[-1] if path != "database/sql" else "database/sql", datastore, True, \
            _dsn_target(file, dsn), None
    if path == "github.com/jackc/pgx/pgxpool" and name in ("New", "Connect", "NewWithConfig", "ConnectConfig"):
        config = args[1] if len(args) > 1 else None
        return "pgxpool", "postgres", True, _dsn_target(file, config) if name in ("New", "Connect") else Target(), \
            config
    if path == "github.com/jackc/pgx" and name in ("Connect", "ConnectConfig"):
        return "pgx", "postgres", False, _dsn_target(file, args[1] if len(args) > 1 else None), None
    if path in _GORM and name == "Open" and args:
        dialect = _unparen(args[0])
        datastore = ""
        dsn = None
        if dialect is not None and dialect.type == "call_expression":
            dialect_path, _ = file.callee(dialect)
            datastore = _DRIVER_IMPORTS.get(dialect_path, "")
            dsn = _args(dialect)[0] if _args(dialect) else None
        elif len(args) >= 2:
            datastore = _DRIVERS.get(file.string(args[0]).known(), "")
            dsn = args[1]
        return "gorm", datastore or _imported_driver(file), True, _dsn_target(file, dsn), None
    if path == "go.mongodb.org/mongo-driver/mongo" and name in ("Connect", "NewClient"):
        return "mongo-driver", "mongodb", True, _mongo_target(file, args), None
    if path in _REDIS and name in ("NewClient", "NewClusterClient", "NewUniversalClient", "NewFailoverClient"):
        options = args[0] if args else None
        addr = _field_value(file, options, "Addr")
        return "go-redis", "redis", True, file.target(addr) if addr is not None else Target(), options
    return None


def _imported_driver(file: _File) -> str:
    stores = {_DRIVER_IMPORTS[p] for p in file.paths if p in _DRIVER_IMPORTS}
    return stores.pop() if len(stores) == 1 else ""


def _dsn_target(file: _File, dsn: Node | None) -> Target:
    if dsn is None:
        return Target()
    target = file.target(dsn)
    url = target.url or target.host
    mysql = re.search(r"@tcp\(([^)]*)\)", url)
    if mysql:
        return Target(host=mysql.group(1), env=target.env, default=target.default)
    pg = re.search(r"(?:^|\s)host=(\S+)", url)
    if pg:
        return Target(host=pg.group(1), env=target.env, default=target.default)
    if "://" in url:
        return target
    return Target(env=target.env, default=target.default)


def _mongo_target(file: _File, args: list[Node]) -> Target:
    for arg in args:
        for inner in _walk(arg, 200):
            _, method = _selector(inner.child_by_field_name("function")) if inner.type == "call_expression" \
                else (None, "")
            if method == "ApplyURI" and _args(inner):
                return file.target(_args(inner)[0])
    return Target()


def _field_value(file: _File, node: Node | None, key: str, steps: int = 0) -> Node | None:
    """The value of field `key` in a composite literal (`&redis.Options{Addr: …}`), through a local name."""
    node = _unparen(node)
    if node is None or steps > MAX_STEPS:
        return None
    if node.type == "unary_expression":
        return _field_value(file, node.child_by_field_name("operand"), key, steps + 1)
    if node.type == "identifier":
        defs = file.lookup(node)
        return _field_value(file, defs[0].value, key, steps + 1) if defs and defs[0].value is not None else None
    if node.type == "composite_literal":
        body = node.child_by_field_name("body")
        for element in body.named_children if body is not None else []:
            if element.type == "keyed_element" and text(element.child_by_field_name("key")) == key:
                value = element.child_by_field_name("value")
                return value.named_children[0] if value is not None and value.named_children else None
    return None


def _assignee(call: Node) -> str:
    """`db, err := sql.Open(…)` / `s.db, err = …` / `var db = …`: the text of the name the result is kept in."""
    for parent in ancestors(call, 3):
        if parent.type in ("short_var_declaration", "assignment_statement"):
            left = parent.child_by_field_name("left")
            return text(left.named_children[0]) if left is not None and left.named_children else ""
        if parent.type == "var_spec":
            return text(parent.child_by_field_name("name"))
    return ""


def _pool_size(file: _File, call: Node, holder: str, config: Node | None,
               setters: list[tuple[Node, Node, Node]]) -> tuple[int | None, int]:
    """The stated bound of a pool: `db.SetMaxOpenConns(n)` on the name it is kept in (or on `db.DB()` of a gorm
    handle), `PoolSize:`/`MaxConns` of its options, `SetMaxPoolSize(n)` in mongo options."""
    names = {holder} if holder else set()
    scope = file.scope(call)
    if holder:
        for (def_scope, name), defs in file.defs.items():
            if def_scope in (scope, 0) or def_scope == scope:
                for definition in defs:
                    value = definition.value
                    if value is not None and value.type == "call_expression":
                        operand, method = _selector(value.child_by_field_name("function"))
                        if method == "DB" and operand is not None and text(operand) == holder:
                            names.add(name)
    for pool, size, statement in setters:
        same_place = scope == 0 or file.scope(statement) in (scope, 0) or "." in holder
        if (text(pool) in names or text(pool).removesuffix(".DB()") in names) and same_place:
            return _size(file, size), line(statement)
    if config is not None:
        size_node = _field_value(file, config, "PoolSize") or _field_value(file, config, "MaxConns")
        if size_node is not None:
            return _size(file, size_node), line(size_node)
        if config.type == "identifier":
            for pool, size, statement in setters:
                if text(pool) == text(config):
                    return _size(file, size), line(statement)
    for arg in _args(call):
        for inner in _walk(arg, 200):
            if inner.type == "call_expression":
                _, method = _selector(inner.child_by_field_name("function"))
                if method == "SetMaxPoolSize" and _args(inner):
                    return _size(file, _args(inner)[0]), line(inner)
    text_dsn = file.string(_args(call)[-1] if _args(call) else None).known()
    dsn_size = re.search(r"pool_max_conns=(\d+)", text_dsn)
    if dsn_size and (dsn_max := digits(dsn_size.group(1))) is not None:
        return dsn_max, line(call)
    return None, 0


def _size(file: _File, node: Node) -> int | None:
    value = _int(node)
    if value is None and node.type == "identifier":
        defs = file.lookup(node)
        value = _int(defs[0].value) if defs and defs[0].value is not None else None
    return value


def _singleton(file: _File, call: Node, holder: str) -> bool:
    """A connection kept once for the process: stored in a package-level variable, made under `sync.Once` or
    under `if db == nil`."""
    if holder and "." not in holder and (0, holder) in file.defs and \
            not any((u.id, holder) in file.defs for u in file._units_of(call)):
        return True
    for parent in ancestors(call, 32):
        if parent.type == "call_expression":
            _, method = _selector(parent.child_by_field_name("function"))
            if method == "Do" and any(a.type == "func_literal" for a in _args(parent)):
                return True
        if parent.type == "if_statement":
            condition = re.sub(r"\s+", "", text(parent.child_by_field_name("condition")))
            if condition.endswith("==nil") and not condition.startswith("err"):
                return True
    return False


# -- sessions ----------------------------------------------------------------------------------------------------
def _sessions(file: _File, root: Node, found: Extracted) -> None:
    for m in file.found["sessions"]:
        call, package = m.one("session"), m.one("package")
        if call is None or package is None:
            continue
        path, name = file.callee(call)
        known = _SESSION_STORES.get((path, name)) or _SESSION_STORES.get((path, "*"))
        if known is not None and name.startswith("New"):
            found.sessions.append(Session(line(call), *known))
        elif path == _SCS and name == "New":
            found.sessions.append(Session(line(call), "scs", _scs_store(file, call)))
        elif path == _FIBER_SESSION and name == "New":
            store = _fiber_store(file, _args(call))
            if store:
                found.sessions.append(Session(line(call), "fiber-session", store))


def _scs_store(file: _File, call: Node) -> str:
    holder = _assignee(call)
    for selector, value in file.members.get(holder, []):
        if text(selector.child_by_field_name("field")) == "Store" and value.type == "call_expression":
            path, _ = file.callee(value)
            return _SCS_STORES.get(path.rsplit("/", 1)[-1], "")
    return "memory"


def _fiber_store(file: _File, args: list[Node]) -> str:
    if not args:
        return "memory"
    storage = _field_value(file, args[0], "Storage")
    if storage is None:
        config = _unparen(args[0])
        return "memory" if config is not None and config.type == "composite_literal" else ""
    for inner in _walk(storage, 50):
        if inner.type == "call_expression":
            path, _ = file.callee(inner)
            if path.startswith("github.com/gofiber/storage/"):
                return _FIBER_STORAGE.get(path.rsplit("/", 1)[-1], "")
    return ""


# -- tracing -----------------------------------------------------------------------------------------------------
def _tracing(file: _File, root: Node, found: Extracted) -> None:
    seen: set[tuple[str, str]] = set()

    def add(node: Node, system: str, what: str) -> None:
        if (system, what) not in seen:
            seen.add((system, what))
            found.tracing.append(Tracing(line(node), system, what))

    for m in file.found["tracing"]:
        call = m.one("tracing")
        if call is None:
            continue
        path, name = file.callee(call)
        kind = _tracing_kind(file, path, name, call)
        if kind is not None:
            add(call, *kind)
    jaeger = any(p.startswith("github.com/uber/jaeger-client-go") for p in file.paths)
    if jaeger:
        for call in file.calls:
            _, method = _selector(call.child_by_field_name("function"))
            if method in ("NewTracer", "InitGlobalTracer") and not file.callee(call)[0]:
                add(call, "jaeger", "sdk")


def _tracing_kind(file: _File, path: str, name: str, call: Node) -> tuple[str, str] | None:
    if not path:
        return None
    if path == "go.opentelemetry.io/otel/sdk/trace" and name == "NewTracerProvider":
        return "otel", "sdk"
    if path == "go.opentelemetry.io/otel" and name == "SetTracerProvider":
        return "otel", "sdk"
    if path == "go.opentelemetry.io/otel" and name == "SetTextMapPropagator":
        return "otel", "propagation"
    if (path.startswith("go.opentelemetry.io/otel/exporters/") and "trace" in path.split("/exporters/", 1)[1]) or \
            path in ("go.opentelemetry.io/otel/exporters/jaeger", "go.opentelemetry.io/otel/exporters/zipkin"):
        return ("otel", "exporter") if name.startswith("New") else None
    if path.startswith("go.opentelemetry.io/contrib/instrumentation/"):
        return "otel", "auto"
    if path.startswith("go.opentelemetry.io/contrib/propagators/"):
        return "otel", "propagation"
    if path == "go.opencensus.io/trace" and name == "RegisterExporter":
        exporters = [p for p in file.paths if p.startswith("contrib.go.opencensus.io/exporter/")]
        system = "zipkin" if any("zipkin" in p for p in exporters) else \
            "jaeger" if any("jaeger" in p for p in exporters) else "otel"
        return system, "exporter"
    if path.startswith("go.opencensus.io/plugin/"):
        return "otel", "auto"
    if path.endswith("dd-trace-go/ddtrace/tracer") and name == "Start":
        return "datadog", "sdk"
    if "dd-trace-go/contrib/" in path:
        return "datadog", "auto"
    if path == "github.com/uber/jaeger-client-go" and name == "NewTracer":
        return "jaeger", "sdk"
    if path == "github.com/openzipkin/zipkin-go" and name == "NewTracer":
        return "zipkin", "sdk"
    if path.startswith("github.com/openzipkin/zipkin-go/middleware/"):
        return "zipkin", "auto"
    if path.startswith("github.com/openzipkin/zipkin-go/reporter/") and name == "NewReporter":
        return "zipkin", "exporter"
    if path.startswith("go.elastic.co/apm/module/"):
        return "elastic-apm", "auto"
    if path == "go.elastic.co/apm" and name in ("NewTracer", "NewTracerOptions", "DefaultTracer"):
        return "elastic-apm", "sdk"
    if path == "github.com/instana/go-sensor" and name in ("InitCollector", "NewSensor", "InitSensor",
                                                          "NewTracer", "NewTracerWithOptions"):
        return "instana", "sdk"
    if path.startswith("github.com/instana/go-sensor/instrumentation/"):
        return "instana", "auto"
    if (path == "github.com/newrelic/go-agent/newrelic" and name == "NewApplication") or \
            (path == "github.com/newrelic/go-agent" and name == "NewApplication"):
        return "newrelic", "agent"
    if path.startswith("github.com/newrelic/go-agent/integrations/") or \
            path.startswith("github.com/newrelic/go-agent/_integrations/"):
        return "newrelic", "auto"
    if path == "github.com/aws/aws-xray-sdk-go/xray" and name in ("Configure", "Handler", "Client", "AWS",
                                                                  "RoundTripper", "UnaryClientInterceptor",
                                                                  "UnaryServerInterceptor"):
        return "xray", "sdk" if name == "Configure" else "auto"
    if path == "github.com/getsentry/sentry-go" and name == "Init":
        options = _args(call)[0] if _args(call) else None
        for key in ("EnableTracing", "TracesSampleRate", "TracesSampler"):
            value = _field_value(file, options, key)
            if value is not None and text(value) not in ("false", "0", "0.0"):
                return "sentry", "sdk"
    return None
