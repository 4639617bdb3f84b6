"""The Python extractor (issue 9): exact facts, with their lines, for each library it knows, and the traps —
a timeout on an object never used, a connection in a one-off script, a helper a handler calls, a wrapper
forwarding **kwargs — and a hostile file that yields no exception."""

from __future__ import annotations

import textwrap

import tree_sitter

from auditor.code.facts import Bound, Call, Connect, Extracted, Handler, Session, Target, Tracing
from auditor.code.languages import grammar
from auditor.code.parse import parse
from auditor.code.python import extract


def facts(source: str) -> Extracted:
    language = grammar("python")
    assert language is not None
    tree = tree_sitter.Parser(language).parse(textwrap.dedent(source).encode())
    return extract(tree, "python")


def calls(source: str) -> list[tuple[int, str, Target, set[tuple[str, int]], str]]:
    return [(c.line, c.client, c.target, {(b.kind, b.line) for b in c.bounds}, c.function)
            for c in facts(source).calls]


# -- outbound calls ----------------------------------------------------------------------------------------
def test_requests_module_calls_and_targets() -> None:
    found = calls("""\
        import os
        import requests as r
        from requests import post

        USER_HOST = os.environ.get("USER_HOST", "user")
        ORDERS = os.environ["ORDERS_URL"]
        BASE = "http://catalog:8080"
        PAY = os.getenv("PAY_HOST")
        CATALOG = "catalog"

        def handler(item):
            r.get(f"http://{USER_HOST}/users")
            post(ORDERS + "/orders", json={}, timeout=3)
            url = f"{BASE}/items/{item}"
            r.put(url, timeout=None)
            r.get(item)
            r.request("GET", "http://{}:80/x".format(PAY))
            r.get("http://{host}:{port}/v1/{0}".format(item, host=CATALOG, port=8080))
        """)
    assert found == [
        (12, "requests", Target(url="http://{}/users", env="USER_HOST", default="user"), set(), "handler"),
        (13, "requests", Target(url="{}/orders", env="ORDERS_URL"), {("timeout", 13)}, "handler"),
        (15, "requests", Target(url="http://catalog:8080/items/{}"), set(), "handler"),
        (16, "requests", Target(), set(), "handler"),  # a parameter: the code does not say where
        (17, "requests", Target(url="http://{}:80/x", env="PAY_HOST"), set(), "handler"),
        (18, "requests", Target(url="http://catalog:8080/v1/{}"), set(), "handler"),
    ]


def test_django_and_pydantic_settings_name_the_key() -> None:
    found = calls("""\
        import requests
        from django.conf import settings

        def f():
            requests.get(settings.USER_SERVICE_URL + "/u", timeout=2)
        """)
    assert found == [(5, "requests", Target(url="{}/u", env="USER_SERVICE_URL"), {("timeout", 5)}, "f")]


def test_requests_session_with_mounted_retries() -> None:
    found = calls("""\
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        session = requests.Session()
        retry = Retry(total=3, backoff_factor=0.5)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        plain = requests.Session()

        def f():
            session.get("http://stock/levels")
            plain.post("http://stock/levels", timeout=5)
            with requests.Session() as s:
                s.get("http://stock/x")
        """)
    assert found == [
        (11, "requests", Target(url="http://stock/levels"), {("retry", 7)}, "f"),
        (12, "requests", Target(url="http://stock/levels"), {("timeout", 12)}, "f"),
        (14, "requests", Target(url="http://stock/x"), set(), "f"),
    ]


def test_timeout_on_an_unused_object_bounds_nothing() -> None:
    # requests ignores a `timeout` attribute on a Session, and the configured client is never the one used.
    found = calls("""\
        import requests
        import httpx

        configured = httpx.Client(timeout=2)
        session = requests.Session()
        session.timeout = 5

        def f():
            session.get("http://a/x")
            httpx.Client(timeout=None).get("http://b/y")
        """)
    assert found == [
        (9, "requests", Target(url="http://a/x"), set(), "f"),
        (10, "httpx", Target(url="http://b/y"), set(), "f"),
    ]


def test_httpx_default_and_client_timeouts() -> None:
    found = calls("""\
        import httpx

        client = httpx.Client(timeout=10)
        unbounded = httpx.AsyncClient(timeout=httpx.Timeout(None))

        class Api:
            def __init__(self):
                self.http = httpx.AsyncClient(base_url="http://cart")

            async def f(self):
                httpx.get("http://a/x")
                httpx.post("http://a/y", timeout=None)
                client.get("http://a/z")
                client.get("http://a/w", timeout=None)
                await unbounded.get("http://a/v")
                await self.http.get("/items")
        """)
    assert found == [
        (11, "httpx", Target(url="http://a/x"), {("default_timeout", 11)}, "Api.f"),
        (12, "httpx", Target(url="http://a/y"), set(), "Api.f"),
        (13, "httpx", Target(url="http://a/z"), {("timeout", 3)}, "Api.f"),
        (14, "httpx", Target(url="http://a/w"), set(), "Api.f"),
        (15, "httpx", Target(url="http://a/v"), set(), "Api.f"),
        (16, "httpx", Target(url="http://cart/items"), {("default_timeout", 16)}, "Api.f"),
    ]


def test_aiohttp_sessions_urllib_and_urllib3() -> None:
    found = calls("""\
        import aiohttp
        import urllib.request
        import urllib3
        from aiohttp import ClientSession, ClientTimeout

        pool = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=3), retries=urllib3.Retry(2))
        bare = urllib3.PoolManager()

        async def f():
            async with ClientSession(timeout=ClientTimeout(total=5)) as session:
                await session.get("http://a/b")
            async with aiohttp.ClientSession() as s2:
                await s2.post("http://a/c")
                await s2.get("http://a/d", timeout=None)
            async with ClientSession(timeout=ClientTimeout()) as s3:
                await s3.get("http://a/e")
            urllib.request.urlopen("http://a/f")
            urllib.request.urlopen("http://a/g", None, 10)
            pool.request("GET", "http://a/h")
            bare.request("GET", "http://a/i")
        """)
    assert found == [
        (11, "aiohttp", Target(url="http://a/b"), {("timeout", 10)}, "f"),
        (13, "aiohttp", Target(url="http://a/c"), {("default_timeout", 13)}, "f"),
        (14, "aiohttp", Target(url="http://a/d"), set(), "f"),
        (16, "aiohttp", Target(url="http://a/e"), set(), "f"),
        (17, "urllib", Target(url="http://a/f"), set(), "f"),
        (18, "urllib", Target(url="http://a/g"), {("timeout", 18)}, "f"),
        (19, "urllib3", Target(url="http://a/h"), {("timeout", 6), ("retry", 6)}, "f"),
        (20, "urllib3", Target(url="http://a/i"), set(), "f"),
    ]


def test_retry_and_breaker_decorators_bound_the_calls_of_their_function() -> None:
    found = calls("""\
        import backoff
        import pybreaker
        import requests
        import tenacity
        from circuitbreaker import circuit

        breaker = pybreaker.CircuitBreaker(fail_max=5)

        @tenacity.retry(stop=tenacity.stop_after_attempt(3))
        def a():
            requests.get("http://x/a")

        @backoff.on_exception(backoff.expo, requests.RequestException)
        def b():
            requests.get("http://x/b")

        @circuit
        def c():
            requests.get("http://x/c")

        @breaker
        def d():
            requests.get("http://x/d")

        def retry(f):
            return f

        @retry
        def e():
            requests.get("http://x/e")
        """)
    assert [(line, bounds) for line, _, _, bounds, _ in found] == [
        (11, {("retry", 9)}), (15, {("retry", 13)}), (19, {("circuit_breaker", 17)}),
        (23, {("circuit_breaker", 21)}), (30, set()),  # a local `retry` is not tenacity's
    ]


def test_wrapper_forwarding_kwargs_is_bounded_unknown() -> None:
    found = calls("""\
        import requests

        def call(url, **kwargs):
            return requests.get(url, **kwargs)

        def fetch(path):
            return call("http://inventory/" + path)
        """)
    assert found == [(4, "requests", Target(), {("deferred", 4)}, "call")]
    assert facts("import requests\ndef f(**kw):\n    requests.get('http://a/b', **kw)\n").calls[0].bounds == (
        Bound("deferred", 3, "forwarded options"),)


def test_grpc_stub_calls_reach_the_channel_target() -> None:
    found = facts("""\
        import os
        import grpc
        import users_pb2_grpc

        HOST = os.environ.get("USERS_ADDR", "users:50051")
        channel = grpc.insecure_channel("users:50051")
        stub = users_pb2_grpc.UsersStub(channel)

        def a(req):
            stub.Get(req, timeout=2)
            stub.List.future(req)

        class Client:
            def __init__(self):
                self.stub = users_pb2_grpc.OrdersStub(grpc.insecure_channel(HOST))

        def b():
            with grpc.insecure_channel("orders:7000") as ch:
                s = users_pb2_grpc.OrdersStub(ch)
                s.Create(x)

        def c():
            traced = grpc.intercept_channel(grpc.insecure_channel("pay:9000"), interceptor)
            users_pb2_grpc.PayStub(traced).Charge(x, timeout=1)
        """).calls
    assert found == [
        Call(10, "grpc", Target(host="users", port=50051), (Bound("timeout", 10, "timeout=2", 2.0),), "grpc", "a"),
        Call(11, "grpc", Target(host="users", port=50051), (), "grpc", "a"),
        Call(15, "grpc", Target(env="USERS_ADDR", default="users:50051"),
             (Bound("deferred", 15, "stub calls not seen in this file"),), "grpc", ""),
        Call(20, "grpc", Target(host="orders", port=7000), (), "grpc", "b"),
        Call(24, "grpc", Target(host="pay", port=9000), (Bound("timeout", 24, "timeout=1", 1.0),), "grpc", "c"),
    ]


def test_not_a_client_is_not_a_call() -> None:
    assert facts("""\
        import requests
        d = {}
        d.get("http://a/b")
        cache.get("http://a/b")
        requests.exceptions.get("x")

        def f(requests):
            pass
        """).calls == []


# -- connections -------------------------------------------------------------------------------------------
def test_connection_in_handler_helper_and_one_off_script() -> None:
    found = facts("""\
        import psycopg2
        import sqlite3
        import pymysql
        from flask import Flask

        app = Flask(__name__)

        def db():
            return psycopg2.connect(host="db", dbname="shop")

        @app.route("/orders")
        def orders():
            conn = db()
            other = pymysql.connect(host="mysql")
            return "ok"

        def main():
            sqlite3.connect("local.db")

        conn = psycopg2.connect("postgresql://db/shop")
        """)
    assert found.connects == [
        Connect(9, "psycopg2", "postgres", function="db", target=Target(host="db")),
        Connect(14, "pymysql", "mysql", function="orders", in_handler=True, target=Target(host="mysql")),
        Connect(18, "sqlite3", "sqlite", function="main"),
        Connect(20, "psycopg2", "postgres", target=Target(url="postgresql://db/shop")),
    ]
    assert found.callees == {"orders": {"db"}}
    assert found.handlers == [Handler(12, "orders", "flask")]


def test_calls_into_the_projects_other_modules() -> None:
    found = facts("""\
        import json
        import helpers
        import app.core.db as core_db
        from functools import lru_cache
        from flask import Blueprint, jsonify
        from fastapi import Depends
        from . import db as database
        from .db import get_db
        from ..repo import Repo
        from app.store import store

        bp = Blueprint("orders", __name__)
        repo = Repo()

        def local():
            return 1

        @bp.route("/orders/<int:oid>")
        def order(oid, conn=Depends(get_db)):
            get_db()
            database.close_db()
            Repo().find(oid)
            repo.save(oid)
            helpers.util.go()
            core_db.ping()
            store.cursor()
            json.dumps({})
            jsonify(local())
            get_db = None
            get_db()

        @lru_cache
        def shared():
            return get_db()

        get_db()
        """)
    assert [(c.line, c.caller, c.target, c.level) for c in found.external_calls] == [
        (19, "order", "db.get_db", 1),  # the FastAPI dependency, then the call (the same target: kept once)
        (21, "order", "db.close_db", 1), (22, "order", "repo.Repo", 2), (22, "order", "repo.Repo.find", 2),
        (23, "order", "repo.Repo.save", 2), (24, "order", "helpers.util.go", 0), (25, "order", "app.core.db.ping", 0),
        (26, "order", "app.store.store.cursor", 0), (34, "shared", "db.get_db", 1),
    ]  # json and flask are libraries; `get_db` rebound in `order` is no longer the import; module level runs once
    assert found.once == {"shared"}
    assert found.instances == {}  # Repo is not this file's class


def test_module_level_instances_of_the_files_classes() -> None:
    found = facts("""\
        import psycopg2

        class Database:
            def cursor(self):
                return psycopg2.connect(host="db").cursor()

        database = Database()
        other = Database()
        other = None
        """)
    assert found.instances == {"database": "Database"}
    assert found.connects == [Connect(5, "psycopg2", "postgres", function="Database.cursor", target=Target(host="db"))]


def test_a_file_that_imports_only_the_projects_modules_is_read_for_its_calls() -> None:
    found = facts("""\
        from .db import get_db

        def load(order_id):
            return get_db().execute("select 1")
        """)
    # `get_db()` may return an instance (a class's method) or not: the graph stage finds out which
    assert [(c.line, c.caller, c.target, c.level) for c in found.external_calls] == [
        (4, "load", "db.get_db", 1), (4, "load", "db.get_db.execute", 1)]
    assert facts("import os\n\ndef f():\n    os.getcwd()\n").external_calls == []


def test_a_memoised_helper_opens_one_connection_not_one_per_request() -> None:
    source = textwrap.dedent("""\
        import functools
        import psycopg2
        from flask import Flask

        app = Flask(__name__)

        @functools.lru_cache(maxsize=1)
        def db():
            return psycopg2.connect("dbname=shop")

        @app.get("/orders")
        def orders():
            return db().cursor().execute("select 1")
        """)
    [node] = parse("api/app.py", source).nodes
    assert [(s.topic, s.value, s.location.line) for s in node.settings] == [("db_connect", "shared", 9)]


def test_a_connection_kept_for_the_next_call_is_shared_and_one_kept_on_flask_g_is_per_request() -> None:
    source = textwrap.dedent("""\
        import psycopg2
        import redis
        from flask import Flask, current_app, g

        app = Flask(__name__)
        _conn = None
        _clients = {}

        def singleton():
            global _conn
            if _conn is None:
                _conn = psycopg2.connect("postgresql://db/shop")
            return _conn

        def per_app():
            if "db" not in current_app.extensions:
                current_app.extensions["db"] = psycopg2.connect("postgresql://db/shop")
            return current_app.extensions["db"]

        def per_url(url):
            if url not in _clients:
                _clients[url] = redis.Redis.from_url(url)
            return _clients[url]

        def per_request():
            if "db" not in g:
                g.db = psycopg2.connect("postgresql://db/shop")
            return g.db

        def new_pool():
            return redis.Redis(host="cache")

        @app.get("/orders")
        def orders():
            return [singleton(), per_app(), per_url("redis://cache"), per_request(), new_pool()]
        """)
    [node] = parse("api/app.py", source).nodes
    assert [(s.topic, s.value, s.location.line) for s in node.settings] == [
        ("db_connect", "shared", 12), ("db_connect", "shared", 17), ("pool", True, 22),
        ("db_connect", "handler", 27),
        ("db_connect", "handler", 31),  # a Redis client (and its pool) built for every request pools nothing
    ]


def test_pools_and_their_bounds() -> None:
    found = facts("""\
        import asyncpg
        import motor.motor_asyncio
        import mysql.connector.pooling
        import pymongo
        import redis
        from psycopg2 import pool
        from psycopg_pool import ConnectionPool
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        from sqlmodel import create_engine as sm_engine

        engine = create_engine("postgresql+psycopg2://db/x", pool_size=10)
        nopool = create_engine("mysql://db/x", poolclass=NullPool)
        other = sm_engine(str(settings.DATABASE_URI))
        p1 = pool.ThreadedConnectionPool(1, 20, dsn="x")
        p2 = ConnectionPool("dbname=x", max_size=8)
        p3 = mysql.connector.pooling.MySQLConnectionPool(pool_name="p", pool_size=4)
        mongo = pymongo.MongoClient("mongodb://mongo:27017", maxPoolSize=50)
        motor_client = motor.motor_asyncio.AsyncIOMotorClient("mongodb://mongo")
        cache = redis.Redis(host="cache", max_connections=20)
        shared = redis.ConnectionPool.from_url("redis://cache")
        r2 = redis.Redis(connection_pool=shared)

        async def startup():
            app.pool = await asyncpg.create_pool(dsn="postgres://db/x", max_size=5)
        """)
    assert [(c.line, c.library, c.datastore, c.pooled, c.pool_max, c.pool_line) for c in found.connects] == [
        (12, "sqlalchemy", "postgres", True, 10, 12),
        (13, "sqlalchemy", "mysql", False, None, 0),
        (14, "sqlalchemy", "", True, None, 0),
        (15, "psycopg2", "postgres", True, 20, 15),
        (16, "psycopg_pool", "postgres", True, 8, 16),
        (17, "mysql.connector", "mysql", True, 4, 17),
        (18, "pymongo", "mongodb", True, 50, 18),
        (19, "motor", "mongodb", True, None, 0),
        (20, "redis", "redis", True, 20, 20),
        (21, "redis", "redis", True, None, 0),
        (25, "asyncpg", "postgres", True, 5, 25),
    ]
    assert found.connects[2].target == Target(env="DATABASE_URI")


# -- handlers ----------------------------------------------------------------------------------------------
def test_handlers_of_each_framework() -> None:
    found = facts("""\
        import tornado.web
        from aiohttp import web
        from fastapi import APIRouter, Depends
        from flask import Blueprint
        from flask.views import MethodView
        from starlette.routing import Route

        router = APIRouter()
        bp = Blueprint("bp", __name__)
        routes = web.RouteTableDef()

        @router.get("/items/{id}")
        async def item(id: int, db=Depends(get_db)):
            pass

        @bp.route("/x", methods=["POST"])
        def x():
            pass

        @bp.before_request
        def hook():
            pass

        @routes.get("/r")
        async def r(request):
            pass

        async def plain(request):
            pass

        async def endpoint(request):
            pass

        def get_db():
            pass

        def not_a_route():
            pass

        class Home(tornado.web.RequestHandler):
            def get(self):
                pass

            def helper(self):
                pass

        class Api(MethodView):
            def post(self):
                pass

        app = web.Application()
        app.router.add_get("/plain", plain)
        starlette_routes = [Route("/e", endpoint)]

        @router.get("relative")
        def not_a_path():
            pass
        """)
    assert found.handlers == [
        Handler(13, "item", "fastapi"), Handler(17, "x", "flask"), Handler(21, "hook", "flask"),
        Handler(25, "r", "aiohttp"), Handler(28, "plain", "aiohttp"), Handler(31, "endpoint", "starlette"),
        Handler(41, "Home.get", "tornado"), Handler(48, "Api.post", "flask"),
    ]
    assert found.callees == {"item": {"get_db"}}


def test_django_views() -> None:
    found = facts("""\
        import psycopg2
        from django.http import JsonResponse
        from django.views import View
        from rest_framework import viewsets

        def index(request):
            conn = psycopg2.connect("dbname=x")
            return JsonResponse({})

        def helper(x):
            pass

        class Orders(View):
            def get(self, request):
                self.load()

            def load(self):
                pass

        class Products(viewsets.ModelViewSet):
            def get_queryset(self):
                pass
        """)
    assert found.handlers == [Handler(6, "index", "django"), Handler(14, "Orders.get", "django"),
                              Handler(21, "Products.get_queryset", "django")]
    assert found.connects[0].in_handler
    assert found.callees == {"Orders.get": {"Orders.load"}}


# -- sessions and tracing ----------------------------------------------------------------------------------
def test_sessions() -> None:
    assert facts("""\
        from flask import Flask
        from flask_session import Session

        app = Flask(__name__)
        app.config["SESSION_TYPE"] = "filesystem"
        Session(app)
        """).sessions == [Session(6, "flask-session", "file")]
    assert facts("""\
        from flask_session import Session
        app.config.update(SESSION_TYPE="redis")
        sess = Session()
        sess.init_app(app)
        """).sessions == [Session(4, "flask-session", "redis")]
    assert facts("""\
        from flask_session import Session
        Session(app)
        """).sessions == []  # the type is set elsewhere: the config file says (appconfig reads it)
    assert facts("""\
        from fastapi import FastAPI
        from starlette.middleware import Middleware
        from starlette.middleware.sessions import SessionMiddleware
        app = FastAPI()
        app.add_middleware(SessionMiddleware, secret_key="k")
        other = [Middleware(SessionMiddleware, secret_key="k")]
        """).sessions == [Session(5, "starlette-session", "cookie"), Session(6, "starlette-session", "cookie")]


def test_tracing_setups() -> None:
    found = facts("""\
        import ddtrace.auto
        import sentry_sdk
        import newrelic.agent
        from aws_xray_sdk.core import patch_all, xray_recorder
        from azure.monitor.opentelemetry import configure_azure_monitor
        from elasticapm.contrib.flask import ElasticAPM
        from jaeger_client import Config
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.flask import FlaskInstrumentor
        from opentelemetry.sdk.trace import TracerProvider

        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        exporter = OTLPSpanExporter(endpoint="collector:4317")
        FlaskInstrumentor().instrument_app(app)
        instrumentor = FlaskInstrumentor()
        instrumentor.instrument()
        sentry_sdk.init(dsn="x", traces_sample_rate=0.2)
        sentry_sdk.init(dsn="x")
        newrelic.agent.initialize("newrelic.ini")
        patch_all()
        xray_recorder.configure(service="x")
        configure_azure_monitor()
        ElasticAPM(app)
        Config(config={}, service_name="x").initialize_tracer()
        trace.get_tracer(__name__)
        """).tracing
    assert [(t.line, t.system, t.what) for t in found] == [
        (1, "datadog", "auto"), (13, "otel", "sdk"), (14, "otel", "sdk"), (15, "otel", "exporter"),
        (16, "otel", "auto"), (18, "otel", "auto"), (19, "sentry", "sdk"), (21, "newrelic", "agent"),
        (22, "xray", "auto"), (23, "xray", "sdk"), (24, "applicationinsights", "sdk"), (25, "elastic-apm", "agent"),
        (26, "jaeger", "sdk"),
    ]
    assert facts("from opentelemetry import trace\ntracer = trace.get_tracer(__name__)\n").tracing == []
    assert facts("import instana\n").tracing == [Tracing(1, "instana", "agent")]


# -- through parse(): the graph facts -------------------------------------------------------------------
def test_parse_gives_edges_settings_and_unresolved_calls() -> None:
    source = textwrap.dedent("""\
        import os
        import psycopg2
        import requests
        from fastapi import FastAPI

        app = FastAPI()
        USERS = os.environ.get("USERS_URL", "http://users:8000")

        @app.get("/a")
        def a(u):
            requests.get(f"{USERS}/x")
            requests.get(os.environ["CART_URL"], timeout=2)
            requests.get(u)
            psycopg2.connect("dbname=x")
        """)
    result = parse("svc/main.py", source)
    [node] = result.nodes
    assert {(e.target, e.location.line, tuple(e.attrs["bounds"])) for e in result.edges} == {
        ("host:users", 11, ()), ("env:CART_URL", 12, ("timeout",))}
    assert node.attrs["unresolved_calls"] == [{"line": 13, "client": "requests", "bounded": False, "bounds": []}]
    assert [(s.topic, s.key, s.value, s.location.line) for s in node.settings] == [
        ("db_connect", "psycopg2", "handler", 14)]


def test_hostile_file_yields_no_exception() -> None:
    deep = "x = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n"
    calls_deep = "requests.get(" * 3_000 + "u" + ")" * 3_000 + "\n"
    attrs = "import requests\nrequests" + ".a" * 20_000 + ".get('http://a/b')\n"
    loop = "import requests\na = b\nb = a\nrequests.get(a)\nself.x = self.x\n"
    garbage = "def (:\n  @@@ \x00 ''' \n" * 200
    for source in (deep, calls_deep, attrs, loop, garbage, "from . import\n", "import\n"):
        parse("svc/hostile.py", source)
        language = grammar("python")
        assert language is not None
        extract(tree_sitter.Parser(language).parse(source.encode()), "python")


def test_an_environment_value_in_the_path_or_query_is_not_the_address() -> None:
    found = calls("""\
        import os
        import requests

        CLIENT_ID = os.environ["SLACK_CLIENT_ID"]
        PORT = os.environ["PORT"]

        def f():
            requests.get(f"https://slack.com/api/oauth?client_id={CLIENT_ID}", timeout=1)
            requests.get(f"http://billing:{PORT}/x", timeout=1)
            requests.get(f"{os.environ['SCHEME']}://{os.environ['CART_HOST']}/x", timeout=1)
        """)
    assert [target for _, _, target, _, _ in found] == [
        Target(url="https://slack.com/api/oauth?client_id={}"),
        Target(url="http://billing:{}/x", host="billing"),
        Target(url="{}://{}/x", env="CART_HOST"),
    ]


def test_metric_and_log_exporters_are_not_tracing() -> None:
    found = facts("""\
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider

        logs = OTLPLogExporter()
        metrics = OTLPMetricExporter()
        spans = OTLPSpanExporter()
        trace.set_tracer_provider(TracerProvider())
        """).tracing
    assert found == [Tracing(9, "otel", "exporter"), Tracing(10, "otel", "sdk")]


def test_client_made_by_a_local_factory() -> None:
    found = calls("""\
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        def retry_session(session=None):
            session = session or requests.Session()
            adapter = HTTPAdapter(max_retries=Retry(total=3))
            session.mount("http://", adapter)
            return session

        def plain():
            return requests.Session()

        def f():
            retry_session().get("http://stock/a")
            s = plain()
            s.get("http://stock/b")
        """)
    assert found == [
        (15, "requests", Target(url="http://stock/a"), {("retry", 7)}, "f"),
        (17, "requests", Target(url="http://stock/b"), set(), "f"),
    ]


def test_a_dict_named_config_is_not_the_environment() -> None:
    found = calls("""\
        import requests
        from flask import current_app

        def f(app):
            config = app["config"]["users"]
            requests.get(f'http://{config["host"]}:{config["port"]}/x', timeout=1)
            requests.get(current_app.config["USERS_URL"] + "/x", timeout=1)
            requests.get(current_app.config["WEATHER_URL"].format(city="x"), timeout=1)
        """)
    assert [target for _, _, target, _, _ in found] == [
        Target(url="http://{}:{}/x"), Target(url="{}/x", env="USERS_URL"), Target(env="WEATHER_URL")]


def test_tornado_http_client() -> None:
    found = calls("""\
        from tornado.httpclient import AsyncHTTPClient

        async def f():
            client = AsyncHTTPClient()
            await client.fetch("http://users/a")
            await client.fetch("http://users/b", request_timeout=3)
            await AsyncHTTPClient().fetch("http://users/c", request_timeout=None)
        """)
    assert found == [
        (5, "tornado", Target(url="http://users/a"), {("default_timeout", 5)}, "f"),
        (6, "tornado", Target(url="http://users/b"), {("timeout", 6)}, "f"),
        (7, "tornado", Target(url="http://users/c"), {("default_timeout", 7)}, "f"),  # None is the default
    ]


def test_bounds_carry_their_seconds() -> None:
    [plain, literal, default] = facts("""\
        import httpx
        import requests

        requests.get("http://a/x", timeout=(3, 10))
        requests.get("http://a/y", timeout=2.5)
        httpx.get("http://a/z")
        """).calls
    assert [b.seconds for b in plain.bounds + literal.bounds + default.bounds] == [None, 2.5, 5.0]
    result = parse("svc/app.py", "import httpx\nhttpx.get('http://users/x')\n")
    assert [(e.target, e.attrs["bounds"], e.attrs["default_timeout_s"]) for e in result.edges] == [
        ("host:users", ["default_timeout"], 5.0)]
