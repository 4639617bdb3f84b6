"""Go code facts (auditor/code/go.py): calls and what bounds them, connections and pools, handlers, session
stores, tracing; the traps of issue 9 (a timeout on an unused client, a connection in a one-off `main` versus in
a handler or a helper it calls, a wrapper handed its context or client by the caller)."""

from __future__ import annotations

import textwrap

import tree_sitter

from auditor.code import go, languages
from auditor.code.facts import Bean, Bound, Call, Connect, Extracted, Handler, Session, Target, Tracing
from auditor.code.parse import parse


def _extract(source: str) -> Extracted:
    parser = tree_sitter.Parser(languages.grammar("go"))
    return go.extract(parser.parse(textwrap.dedent(source).encode()), "go")


def _calls(source: str) -> list[tuple[int, str, Target, tuple[str, ...], str]]:
    """(line, client, target, bound kinds with their lines, function) of each call."""
    return [(c.line, c.client, c.target, tuple(f"{b.kind}@{b.line}" for b in c.bounds), c.function)
            for c in _extract(source).calls]


HEADER = """\
package main

import (
\t"context"
\t"database/sql"
\t"flag"
\t"fmt"
\t"net/http"
\t"os"
\t"time"
)
"""


def test_net_http_default_client_is_unbounded_and_client_timeouts_bound_only_their_calls() -> None:
    source = HEADER + """
const usersBase = "http://users:8080"

var bounded = &http.Client{Timeout: 5 * time.Second}
var plain = &http.Client{}

func a() {
\thttp.Get("http://orders:8080/api/orders")
\tbounded.Get(usersBase + "/api/users")
\tplain.Get(fmt.Sprintf("http://%s:%d/x", "carts", 8080))
}

func unusedTimeout() {
\tunused := &http.Client{Timeout: time.Second}
\t_ = unused
\thttp.Post("http://payments/pay", "application/json", nil)
}

func setAfter() {
\tc := &http.Client{}
\tc.Timeout = 3 * time.Second
\tc.Get("http://catalog/x")
}

func transport() {
\ttr := &http.Transport{ResponseHeaderTimeout: 2 * time.Second}
\tc := &http.Client{Transport: tr}
\tc.Get("http://ads/x")
\tother := &http.Transport{ResponseHeaderTimeout: time.Second}
\t_ = other
\tplain.Get("http://ads/y")
}
"""
    assert _calls(source) == [
        (19, "net/http", Target(url="http://orders:8080/api/orders"), (), "a"),
        (20, "net/http", Target(url="http://users:8080/api/users"), ("timeout@15",), "a"),
        (21, "net/http", Target(url="http://carts:8080/x"), (), "a"),
        (27, "net/http", Target(url="http://payments/pay"), (), "unusedTimeout"),  # the timeout is on `unused`
        (33, "net/http", Target(url="http://catalog/x"), ("timeout@32",), "setAfter"),
        (39, "net/http", Target(url="http://ads/x"), ("timeout@37",), "transport"),
        (42, "net/http", Target(url="http://ads/y"), (), "transport"),  # `other` transport is never used
    ]


def test_request_context_deadline_bounds_the_call_and_a_request_context_does_not() -> None:
    source = HEADER + """
func withTimeout(r *http.Request) {
\tctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
\tdefer cancel()
\treq, _ := http.NewRequestWithContext(ctx, "GET", "http://shipping/x", nil)
\thttp.DefaultClient.Do(req)
}

func handler(w http.ResponseWriter, r *http.Request) {
\treq, _ := http.NewRequestWithContext(r.Context(), "GET", "http://shipping/y", nil)
\thttp.DefaultClient.Do(req)
\tlater, _ := http.NewRequest("GET", "http://shipping/z", nil)
\tlater = later.WithContext(context.Background())
\thttp.DefaultClient.Do(later)
}
"""
    assert _calls(source) == [
        (17, "net/http", Target(url="http://shipping/x"), ("timeout@14",), "withTimeout"),
        (22, "net/http", Target(url="http://shipping/y"), (), "handler"),
        (25, "net/http", Target(url="http://shipping/z"), (), "handler"),
    ]


def test_wrapper_handed_its_context_url_or_client_by_the_caller_is_bounded_unknown() -> None:
    source = HEADER + """
var plain = &http.Client{}

func forwardCtx(ctx context.Context, url string) {
\treq, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
\tplain.Do(req)
}

func forwardClient(c *http.Client) {
\tc.Get("http://users/x")
}

func forwardRequest(req *http.Request) {
\tplain.Do(req)
}
"""
    calls = _extract(source).calls
    assert [(c.line, c.target, [(b.kind, b.detail) for b in c.bounds]) for c in calls] == [
        (17, Target(), [("deferred", "context from the caller (bounded or not there)")]),
        (21, Target(url="http://users/x"), [("deferred", "client from the caller (bounded or not there)")]),
        (25, Target(), [("deferred", "context from the caller (bounded or not there)")]),
    ]


def test_targets_from_environment_flags_and_viper() -> None:
    source = HEADER.replace('\t"time"\n', '\t"time"\n\n\t"github.com/spf13/viper"\n') + """
var usersAddr = flag.String("users-addr", "users:8080", "users service")

func targets() {
\thost := os.Getenv("INVENTORY_HOST")
\tif host == "" {
\t\thost = "inventory:8080"
\t}
\thttp.Get("http://" + host + "/stock")
\thttp.Get(os.Getenv("RECO_URL") + "/recommend")
\thttp.Get("http://" + *usersAddr + "/users")
\thttp.Get(viper.GetString("services.cart.url"))
\tdsn := fmt.Sprintf("http://%s:%s/x", os.Getenv("API_USER"), os.Getenv("API_HOST"))
\t_ = dsn
}
"""
    assert [(c.line, c.target) for c in _extract(source).calls] == [
        (22, Target(url="http://{}/stock", env="INVENTORY_HOST", default="inventory:8080")),
        (23, Target(url="{}/recommend", env="RECO_URL")),
        (24, Target(url="http://{}/users", env="users-addr", default="users:8080")),
        (25, Target(env="services.cart.url")),
    ]


def test_resty_retryablehttp_and_breakers() -> None:
    source = """\
package main

import (
\t"net/http"
\t"time"

\t"github.com/afex/hystrix-go/hystrix"
\t"github.com/go-resty/resty/v2"
\tretryablehttp "github.com/hashicorp/go-retryablehttp"
\t"github.com/sony/gobreaker"
)

func calls(cb *gobreaker.CircuitBreaker) {
\tclient := resty.New().SetTimeout(5 * time.Second)
\tclient.R().Get("http://email/send")
\traw := resty.New()
\traw.R().SetBody("x").Post("http://email/raw")
\tretrying := resty.New()
\tretrying.SetRetryCount(3)
\tretrying.R().Get("http://email/retry")
\trc := retryablehttp.NewClient()
\trc.Get("http://quote/x")
\tnone := retryablehttp.NewClient()
\tnone.RetryMax = 0
\tnone.Get("http://quote/y")
\tcb.Execute(func() (interface{}, error) {
\t\treturn http.Get("http://currency/convert")
\t})
\thystrix.Do("rates", func() error {
\t\t_, err := http.Get("http://rates/x")
\t\treturn err
\t}, nil)
}
"""
    assert [(c.line, c.client, c.target.url, tuple(f"{b.kind}@{b.line}" for b in c.bounds))
            for c in _extract(source).calls] == [
        (15, "resty", "http://email/send", ("timeout@14",)),
        (17, "resty", "http://email/raw", ()),
        (20, "resty", "http://email/retry", ("retry@19",)),
        (22, "retryablehttp", "http://quote/x", ("retry@21",)),
        (25, "retryablehttp", "http://quote/y", ()),
        (27, "net/http", "http://currency/convert", ("circuit_breaker@26",)),
        (30, "net/http", "http://rates/x", ("circuit_breaker@29", "default_timeout@29")),
    ]


def test_grpc_dial_is_the_edge_and_each_stub_call_is_bounded_by_its_context() -> None:
    source = """\
package main

import (
\t"context"
\t"flag"
\t"net/http"
\t"time"

\tgrpc_retry "github.com/grpc-ecosystem/go-grpc-middleware/retry"
\t"google.golang.org/grpc"
\tpb "example.com/shop/gen/users"
)

var usersAddr = flag.String("users-addr", "users:9090", "users service")

func dial(addr string) (*grpc.ClientConn, error) {
\treturn grpc.Dial(addr, grpc.WithInsecure())
}

type Frontend struct {
\tusers pb.UsersClient
}

func main() {
\tflag.Parse()
\tconn, _ := dial(*usersAddr)
\tf := &Frontend{users: pb.NewUsersClient(conn)}
\t_ = f
\tretrying, _ := grpc.Dial("profile:8081", grpc.WithUnaryInterceptor(grpc_retry.UnaryClientInterceptor()))
\t_ = retrying
}

func (f *Frontend) handler(w http.ResponseWriter, r *http.Request) {
\tf.users.GetUser(r.Context(), &pb.GetUserRequest{})
\tctx, cancel := context.WithTimeout(r.Context(), time.Second)
\tdefer cancel()
\tf.users.GetUser(ctx, &pb.GetUserRequest{})
}

func (f *Frontend) forward(ctx context.Context) {
\tf.users.GetUser(ctx, &pb.GetUserRequest{})
}
"""
    assert _calls(source) == [
        # the wrapper's call site, with the flag's name and default as the address
        (26, "grpc", Target(env="users-addr", default="users:9090"), ("deferred@17",), "main"),
        (29, "grpc", Target(host="profile:8081"), ("retry@29",), "main"),
        (34, "grpc", Target(), (), "handler"),  # the request's context has no deadline
        (37, "grpc", Target(), ("timeout@35",), "handler"),
        (41, "grpc", Target(), ("deferred@41",), "forward"),  # the caller's context: bounded-unknown
    ]
    assert all(c.protocol == "grpc" for c in _extract(source).calls)


def test_connections_pools_and_per_request_connections() -> None:
    source = """\
package main

import (
\t"context"
\t"database/sql"
\t"net/http"
\t"os"
\t"sync"

\t"github.com/gin-gonic/gin"
\t"github.com/jackc/pgx/v5"
\t"github.com/jackc/pgx/v5/pgxpool"
\t_ "github.com/lib/pq"
\t"github.com/redis/go-redis/v9"
\t"go.mongodb.org/mongo-driver/mongo"
\t"go.mongodb.org/mongo-driver/mongo/options"
\t"gorm.io/driver/mysql"
\t"gorm.io/gorm"
)

var db *sql.DB
var once sync.Once

func main() {
\tvar err error
\tdb, err = sql.Open("postgres", os.Getenv("DATABASE_URL"))
\tdb.SetMaxOpenConns(20)
\tpool, _ := pgxpool.New(context.Background(), "postgres://app@db:5432/app?pool_max_conns=8")
\t_ = pool
\trdb := redis.NewClient(&redis.Options{Addr: "cache:6379", PoolSize: 50})
\t_ = rdb
\tmc, _ := mongo.Connect(context.Background(), options.Client().ApplyURI("mongodb://mongo:27017").SetMaxPoolSize(30))
\t_ = mc
\tg, _ := gorm.Open(mysql.Open("u:p@tcp(mysql:3306)/shop"), &gorm.Config{})
\tsqlDB, _ := g.DB()
\tsqlDB.SetMaxOpenConns(15)
\tunbounded, _ := sql.Open("postgres", "postgres://app@db/app")
\t_ = unbounded
\thttp.HandleFunc("/orders", ordersHandler)
\tr := gin.Default()
\tr.GET("/items", func(c *gin.Context) {
\t\tconn, _ := pgx.Connect(c, "postgres://app@db/app")
\t\t_ = conn
\t})
}

func ordersHandler(w http.ResponseWriter, r *http.Request) {
\tperRequest, _ := sql.Open("postgres", "host=db user=app")
\tdefer perRequest.Close()
\topenHelper()
\tlazy()
}

func openHelper() *sql.DB {
\td, _ := sql.Open("postgres", "postgres://app@db/app")
\treturn d
}

func lazy() *sql.DB {
\tonce.Do(func() {
\t\tdb, _ = sql.Open("postgres", "postgres://app@db/app")
\t})
\treturn db
}
"""
    found = _extract(source)
    assert found.connects == [
        Connect(26, "database/sql", "postgres", True, 20, 27, "main", False, Target(env="DATABASE_URL")),
        Connect(28, "pgxpool", "postgres", True, 8, 28, "main", False,
                Target(url="postgres://app@db:5432/app?pool_max_conns=8")),
        Connect(30, "go-redis", "redis", True, 50, 30, "main", False, Target(host="cache:6379")),
        Connect(32, "mongo-driver", "mongodb", True, 30, 32, "main", False, Target(url="mongodb://mongo:27017")),
        Connect(34, "gorm", "mysql", True, 15, 36, "main", False, Target(host="mysql:3306")),
        Connect(37, "database/sql", "postgres", True, None, 0, "main", False, Target(url="postgres://app@db/app")),
        # a raw connection in a gin handler, a pool opened per request, and one in a helper the handler calls
        Connect(42, "pgx", "postgres", False, None, 0, "<handler:41>", True, Target(url="postgres://app@db/app")),
        Connect(48, "database/sql", "postgres", False, None, 0, "ordersHandler", True, Target(host="db")),
        Connect(55, "database/sql", "postgres", False, None, 0, "openHelper", False,
                Target(url="postgres://app@db/app")),
        # made once under sync.Once, into a package-level variable: a shared pool, not per request
        Connect(61, "database/sql", "postgres", True, None, 0, "lazy", False, Target(url="postgres://app@db/app")),
    ]
    facts = parse("svc/main.go", textwrap.dedent(source))
    settings = sorted((s.topic, s.value, s.location.line) for s in facts.nodes[0].settings)
    assert settings == [
        ("db_connect", "handler", 42), ("db_connect", "handler", 48), ("db_connect", "handler", 55),
        ("pool", True, 37), ("pool", True, 61),  # no bound stated (sorted first: True == 1)
        ("pool", 8, 28), ("pool", 15, 36), ("pool", 20, 27), ("pool", 30, 32), ("pool", 50, 30),
    ]


def test_handlers_of_each_framework_and_their_callees() -> None:
    source = """\
package main

import (
\t"context"
\t"net/http"

\t"github.com/go-chi/chi/v5"
\t"github.com/gofiber/fiber/v2"
\t"github.com/labstack/echo/v4"
\tpb "example.com/shop/gen/users"
\t"google.golang.org/grpc"
)

type server struct {
\tpb.UnimplementedUsersServer
}

func (s *server) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.User, error) {
\ts.load()
\treturn nil, nil
}

func (s *server) load() {}

func main() {
\tr := chi.NewRouter()
\tr.Get("/a", listA)
\te := echo.New()
\te.GET("/b", getB)
\tapp := fiber.New()
\tapp.Get("/c", func(c *fiber.Ctx) error { return nil })
\thttp.Handle("/d", http.HandlerFunc(serveD))
\tpb.RegisterUsersServer(grpc.NewServer(), &server{})
}

func listA(w http.ResponseWriter, r *http.Request) { helper() }
func getB(c echo.Context) error { return nil }
func serveD(w http.ResponseWriter, r *http.Request) {}
func helper() {}
func page(c echo.Context) int { return 0 }
"""
    found = _extract(source)
    assert found.handlers == [
        Handler(18, "GetUser", "grpc"),
        Handler(31, "<handler:31>", "fiber"),
        Handler(36, "listA", "net/http"),
        Handler(37, "getB", "echo"),
        Handler(38, "serveD", "net/http"),  # `page` takes an echo.Context but returns an int: a helper
    ]
    assert found.callees == {"GetUser": {"load"}, "listA": {"helper"}}


def test_session_stores() -> None:
    source = """\
package main

import (
\t"github.com/alexedwards/scs/redisstore"
\t"github.com/alexedwards/scs/v2"
\t"github.com/gin-contrib/sessions/cookie"
\t"github.com/gin-contrib/sessions/memstore"
\tgsessions "github.com/gorilla/sessions"
\t"github.com/boj/redistore"
)

var files = gsessions.NewFilesystemStore("", []byte("k"))
var cookies = gsessions.NewCookieStore([]byte("k"))

func main() {
\t_ = memstore.NewStore([]byte("secret"))
\t_ = cookie.NewStore([]byte("secret"))
\tredis, _ := redistore.NewRediStore(10, "tcp", "redis:6379", "", []byte("k"))
\t_ = redis
\tinMemory := scs.New()
\t_ = inMemory
\tshared := scs.New()
\tshared.Store = redisstore.New(pool)
}
"""
    assert _extract(source).sessions == [
        Session(12, "gorilla/sessions", "file"),
        Session(13, "gorilla/sessions", "cookie"),
        Session(16, "gin-contrib/sessions", "memory"),
        Session(17, "gin-contrib/sessions", "cookie"),
        Session(18, "gorilla/sessions", "redis"),
        Session(20, "scs", "memory"),
        Session(22, "scs", "redis"),
    ]


def test_tracing_by_import_path_not_by_name() -> None:
    source = """\
package main

import (
\t"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
\t"go.opentelemetry.io/otel"
\t"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
\tsdktrace "go.opentelemetry.io/otel/sdk/trace"
\t"github.com/uber/jaeger-client-go/config"
\t"gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"
\t"example.com/shop/internal/trace"
)

func main() {
\texp, _ := otlptracegrpc.New(ctx)
\ttp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
\totel.SetTracerProvider(tp)
\th := otelhttp.NewHandler(mux, "x")
\tcfg, _ := config.FromEnv()
\tcfg.NewTracer()
\ttracer.Start()
\ttrace.New("svc", "jaeger:4317")
}
"""
    assert _extract(source).tracing == [
        Tracing(14, "otel", "exporter"),
        Tracing(15, "otel", "sdk"),
        Tracing(17, "otel", "auto"),
        Tracing(19, "jaeger", "sdk"),
        Tracing(20, "datadog", "sdk"),
    ]


def test_calls_become_edges_through_to_facts() -> None:
    source = HEADER + """
func main() {
\thost := os.Getenv("USERS_HOST")
\thttp.Get("http://" + host + "/users")
\thttp.Get("http://orders:8080/x")
\thttp.Get("http://localhost:9000/x")
}
"""
    facts = parse("svc/main.go", textwrap.dedent(source))
    assert sorted((e.target, e.location.line, tuple(e.attrs["bounds"])) for e in facts.edges) == [
        ("env:USERS_HOST", 15, ()),
        ("host:orders", 16, ()),
    ]


def test_deeply_nested_and_garbage_go_yields_no_exception() -> None:
    deep = "package main\nfunc f() {\n" + "x := " + "(" * 50_000 + "1" + ")" * 50_000 + "\n" + \
        "func() {" * 3_000 + "}" * 3_000 + "\n}\n"
    facts = parse("svc/deep.go", deep)
    assert facts.edges == ()
    calls = "package main\nfunc g() { http.Get(" + "a(" * 20_000 + ")" * 20_000 + ") }\n"
    parse("svc/calls.go", calls)
    chain = "package main\nimport \"net/http\"\nvar c = &http.Client{}\nfunc h() { c" + ".R()" * 5_000 + \
        ".Get(\"x\") }\n"
    parse("svc/chain.go", chain)
    garbage = "package main\n" + "}{)(][ := <- func http.Get(\"\n" * 2_000
    parse("svc/garbage.go", garbage)
    loop = "package main\nimport \"net/http\"\nfunc h() {\n a := b + \"/x\"\n b := a\n http.Get(a)\n c := c\n" \
        " c.Get(\"http://x\")\n}\n"
    parse("svc/loop.go", loop)
    # every struct field `c` set from another field `c` a thousand times: look-ups stay within their budget
    fields = "package main\nimport \"net/http\"\nfunc h() {\n" + "s.c = t.c\n" * 1_000 + " s.c.Get(\"http://x\")\n}\n"
    parse("svc/fields.go", fields)
    assert _extract("package main\nimport \"net/http\"\nfunc h() { x := x; http.Get(x) }\n").calls == [
        Call(3, "net/http", Target(), (), "http", "h")]


def test_pool_bound_stated_by_an_expression_keeps_its_line() -> None:
    source = """\
package db

import (
\t"context"

\t"github.com/jmoiron/sqlx"
)

func NewConnection(ctx context.Context, cfg Config) (*sqlx.DB, error) {
\tdb, err := sqlx.ConnectContext(ctx, "postgres", cfg.DSN)
\tdb.SetMaxOpenConns(cfg.MaxConn)
\treturn db, err
}
"""
    # a bound is set (line 11) but its value is not in the code: pool_max None, pool_line 11
    assert _extract(source).connects == [
        Connect(10, "sqlx", "postgres", True, None, 11, "NewConnection", False, Target())]


# --- linkage between packages (graph/linkage.py reads these) ------------------------------------------------------

SHARED_CLIENT = """\
package client

import (
\t"net/http"
\t"os"

\t"example.com/app/common/genproto/users"
\t"google.golang.org/grpc"
)

func NewUsersClient() (users.UsersServiceClient, error) {
\taddr := os.Getenv("USERS_GRPC_ADDR")
\tconn, err := grpc.Dial(addr, dialOpts()...)
\tif err != nil {
\t\treturn nil, err
\t}
\treturn users.NewUsersServiceClient(conn), nil
}

func dialOpts() []grpc.DialOption {
\treturn []grpc.DialOption{grpc.WithInsecure()}
}

type Catalog struct {
\thttp *http.Client
\tbase string
}

func NewCatalog() *Catalog {
\treturn &Catalog{http: &http.Client{}, base: os.Getenv("CATALOG_URL")}
}

func (c *Catalog) Get(id string) (*http.Response, error) {
\treturn c.http.Get(c.base + "/items/" + id)
}

func unexported() {
\thttp.Get("http://ads/x")
}
"""


def test_a_constructor_lists_its_calls_and_the_calls_of_the_type_it_builds() -> None:
    found = _extract(SHARED_CLIENT)
    assert [(c.line, c.target, c.function) for c in found.calls] == [
        (13, Target(env="USERS_GRPC_ADDR"), "NewUsersClient"),
        (34, Target(url="{}/items/{}", env="CATALOG_URL"), "Get"),
        (38, Target(url="http://ads/x"), "unexported"),
    ]
    # NewUsersClient's dial (and the helper it calls, a call into the grpc package), NewCatalog's method Get
    assert found.exports == {"NewUsersClient": (13, 17, 21), "NewCatalog": (34,)}
    # the stub made from the dialed connection is a bean: stub calls elsewhere get its address
    assert found.beans == [Bean("grpc:example.com/app/common/genproto/users.UsersServiceClient", 13, (),
                                Target(env="USERS_GRPC_ADDR"))]


def test_stub_calls_on_a_stub_made_elsewhere_name_its_kind_and_their_callers_context() -> None:
    source = """\
package adapters

import (
\t"context"

\t"example.com/app/common/genproto/users"
)

type UsersGrpc struct {
\tclient users.UsersServiceClient
}

func NewUsersGrpc(client users.UsersServiceClient) UsersGrpc {
\treturn UsersGrpc{client: client}
}

func (s UsersGrpc) Balance(ctx context.Context) error {
\t_, err := s.client.GetTrainingBalance(ctx, &users.GetTrainingBalanceRequest{})
\treturn err
}
"""
    found = _extract(source)
    assert [(c.line, c.target, c.injected, [(b.kind, b.detail) for b in c.bounds]) for c in found.calls] == [
        (18, Target(), "grpc:example.com/app/common/genproto/users.UsersServiceClient",
         [("deferred", "context from the caller (bounded or not there)")])]
    assert found.exports == {"NewUsersGrpc": (18,)}
    facts = parse("adapters/users_grpc.go", source)
    assert facts.nodes[0].attrs["unresolved_calls"] == [
        {"line": 18, "client": "grpc", "bounded": True, "bounds": ["deferred"],
         "injected": "grpc:example.com/app/common/genproto/users.UsersServiceClient", "caller_context": True}]


PER_RPC = Bound("deferred", 13, "gRPC: the deadline is set per RPC, at each stub call")


def test_calls_into_other_packages_with_the_connections_they_are_handed() -> None:
    source = """\
package main

import (
\t"example.com/app/client"
\t"example.com/app/frontend"
\t"github.com/pkg/errors"
\t"google.golang.org/grpc"
)

func main() {
\tc, _ := client.NewUsersClient()
\t_ = c
\tsearchConn, _ := grpc.Dial("search:8080", grpc.WithInsecure())
\tfrontend.New(searchConn, nil)
\t_ = errors.New("x")
}
"""
    assert [(c.package, c.name, c.line, c.conns) for c in _extract(source).package_calls] == [
        ("example.com/app/client", "NewUsersClient", 11, ()),
        ("google.golang.org/grpc", "Dial", 13, ()),
        ("google.golang.org/grpc", "WithInsecure", 13, ()),
        ("example.com/app/frontend", "New", 14, ((0, Target(host="search:8080"), (PER_RPC,), 13),)),
        ("github.com/pkg/errors", "New", 15, ()),
    ]
    wiring = """\
package frontend

import (
\tsearch "example.com/app/search/proto"
\t"google.golang.org/grpc"
)

type Frontend struct{ search search.SearchClient }

func New(searchconn *grpc.ClientConn, other string) *Frontend {
\treturn &Frontend{search: search.NewSearchClient(searchconn)}
}
"""
    assert _extract(wiring).stub_params == {"New": {0: "grpc:example.com/app/search/proto.SearchClient"}}


def test_deadlines_that_may_reach_a_request_and_those_only_used_to_stop() -> None:
    source = """\
package main

import (
\t"context"
\t"net/http"
\t"time"

\t"github.com/go-chi/chi/v5/middleware"
\t"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
\t"example.com/vendor/interceptors"
\t"google.golang.org/grpc"
)

func main() {
\tsrv := &http.Server{}
\tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
\tdefer cancel()
\tsrv.Shutdown(ctx)
\tgrpc.Dial("a:1", grpc.WithUnaryInterceptor(otelgrpc.UnaryClientInterceptor()))
}

func handler(w http.ResponseWriter, r *http.Request) {
\tctx, cancel := context.WithTimeout(r.Context(), time.Second)
\tdefer cancel()
\t_ = ctx
}

func routes(r interface{ Use(...interface{}) }) {
\tr.Use(middleware.Timeout(10 * time.Second))
\tgrpc.Dial("b:1", grpc.WithChainUnaryInterceptor(interceptors.Unary()))
}
"""
    # the shutdown context (line 16) and the tracing interceptor (19) give no request a deadline
    assert _extract(source).deadlines == [23, 29, 30]


def test_a_string_in_the_code_cannot_forge_the_mark_of_the_host_piece() -> None:
    # The host's environment piece is found by marking each piece NUL + index + NUL in the joined text; NUL 999 NUL
    # written in the DSN (a NUL after the first 8 KB still reaches the parser) was read as a mark and indexed past
    # the end (IndexError: the file's facts were lost).
    found = _extract("""\
        package main

        import (
        \t"database/sql"
        \t"os"
        )

        func main() {
        \tdb, _ := sql.Open("postgres", "postgres://\x00999\x00" + os.Getenv("DB_HOST") + "/app")
        \t_ = db
        }
        """)
    assert [(c.line, c.target.env) for c in found.connects] == [(9, "DB_HOST")]
