"""The JavaScript/TypeScript extractor (auditor/code/javascript.py): exact facts on small sources, good and bad,
including the traps of issue 9 (a timeout on an unused client, a connection in a one-off script, a helper called
by a handler, a wrapper forwarding its options)."""

from __future__ import annotations

import textwrap

import pytest
import tree_sitter

from auditor.code import javascript
from auditor.code.facts import Bound, Call, Connect, Extracted, Handler, Session, Target, Tracing
from auditor.code.languages import grammar, query
from auditor.code.parse import parse

LANGUAGES = ("javascript", "typescript", "tsx")
FACTS = ("scope", "calls", "connects", "handlers", "sessions", "tracing", "browser")


def extract(source: str, language: str = "typescript", path: str = "src/app.ts") -> Extracted:
    lang = grammar(language)
    assert lang is not None
    tree = tree_sitter.Parser(lang).parse(textwrap.dedent(source).encode())
    return javascript.extract(tree, language, path)


def calls(source: str, language: str = "typescript") -> list[tuple[int, str, Target, tuple[str, ...]]]:
    found = extract(source, language).calls
    return [(c.line, c.client, c.target, tuple(sorted(b.kind for b in c.bounds))) for c in found]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("fact", FACTS)
def test_every_query_compiles_in_every_grammar(language: str, fact: str) -> None:
    assert query(language, fact) is not None


# -- calls and their bounds ---------------------------------------------------------------------------------

def test_axios_global_calls_bounded_only_by_their_own_timeout() -> None:
    found = extract("""\
        import axios from 'axios';
        const unused = axios.create({ timeout: 1000 });
        export async function load(id: string) {
          await axios.get(`http://user-service:8080/users/${id}`);
          await axios.post('http://orders/orders', { id }, { timeout: 2000 });
          await axios({ url: 'http://pay/charge', method: 'post', timeout: 3000 });
          await axios.get('http://stock/x', { timeout: 0 });
        }
        """)
    assert found.calls == [
        Call(4, "axios", Target(url="http://user-service:8080/users/{}"), (), function="load"),
        Call(5, "axios", Target(url="http://orders/orders"), (Bound("timeout", 5, "timeout: 2000"),), function="load"),
        Call(6, "axios", Target(url="http://pay/charge"), (Bound("timeout", 6, "timeout: 3000"),), function="load"),
        Call(7, "axios", Target(url="http://stock/x"), (), function="load"),
    ]


def test_axios_instance_base_url_is_the_target_and_its_timeout_bounds_every_call() -> None:
    assert calls("""\
        import axios from 'axios';
        import axiosRetry from 'axios-retry';
        const USERS = process.env.USERS_URL || 'http://users:3000';
        const users = axios.create({ baseURL: USERS, timeout: 5000 });
        const orders = axios.create({ baseURL: 'http://orders:8080/api' });
        const cart = axios.create({ baseURL: process.env.CART_URL });
        cart.defaults.timeout = 2500;
        axiosRetry(orders, { retries: 3 });
        export const a = () => users.get('/users/1');
        export const b = () => orders.post('/orders', {});
        export const c = () => cart.get('/cart');
        """) == [
        (9, "axios", Target(url="{}/users/1", env="USERS_URL", default="http://users:3000"),
         ("timeout",)),
        (10, "axios", Target(url="http://orders:8080/api/orders"), ("retry",)),
        (11, "axios", Target(url="{}/cart", env="CART_URL"), ("timeout",)),
    ]


def test_axios_defaults_timeout_bounds_the_global_client_in_that_file() -> None:
    assert calls("""\
        const axios = require('axios');
        axios.defaults.timeout = 4000;
        axios.get('http://a/x');
        """, "javascript") == [(3, "axios", Target(url="http://a/x"), ("timeout",))]


def test_fetch_is_bounded_only_by_a_signal_that_aborts_on_a_timer() -> None:
    found = extract("""\
        export async function run(signal: AbortSignal) {
          await fetch('http://a/1');
          await fetch('http://a/2', { signal: AbortSignal.timeout(500) });
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(), 1000);
          await fetch('http://a/3', { signal: controller.signal });
          const never = new AbortController();
          await fetch('http://a/4', { signal: never.signal });
          await fetch('http://a/5', { signal });
          await fetch('http://a/6', { timeout: 100 });
        }
        """)
    assert [(c.line, [(b.kind, b.line, b.detail) for b in c.bounds]) for c in found.calls] == [
        (2, []),
        (3, [("timeout", 3, "AbortSignal.timeout")]),
        (6, [("timeout", 5, "setTimeout → controller.abort()")]),
        (8, []),
        (9, [("deferred", 9, "forwarded signal")]),
        (10, []),  # fetch has no `timeout` option (node-fetch v2 had)
    ]


def test_node_fetch_timeout_option_and_undici_request_timeouts() -> None:
    assert calls("""\
        import fetch from 'node-fetch';
        import { request } from 'undici';
        fetch('http://a/x', { timeout: 100 });
        request('http://b/y', { headersTimeout: 1000 });
        request('http://b/z');
        """) == [(3, "fetch", Target(url="http://a/x"), ("timeout",)),
                 (4, "undici", Target(url="http://b/y"), ("timeout",)),
                 (5, "undici", Target(url="http://b/z"), ())]


def test_wrapper_forwarding_its_options_is_bounded_unknown() -> None:
    found = extract("""\
        import axios from 'axios';
        export function get(url: string, options: object) { return axios.get(url, options); }
        export function post(url: string, options: object) { return fetch(url, { ...options, method: 'POST' }); }
        export function any(...args: any[]) { return fetch(...args); }
        """)
    assert [(c.line, c.target, c.bounds) for c in found.calls] == [
        (2, Target(), (Bound("deferred", 2, "forwarded options"),)),
        (3, Target(), (Bound("deferred", 3, "forwarded options"),)),
        (4, Target(), (Bound("deferred", 4, "forwarded options"),)),
    ]


def test_got_retries_by_default_and_states_timeouts() -> None:
    assert calls("""\
        const got = require('got');
        got('http://a/1');
        got.post('http://a/2', { timeout: { request: 2000 } });
        got('http://a/3', { retry: { limit: 0 } });
        const api = got.extend({ prefixUrl: 'http://api:80', timeout: { request: 100 } });
        api.get('items');
        """, "javascript") == [
        (2, "got", Target(url="http://a/1"), ("retry",)),
        (3, "got", Target(url="http://a/2"), ("retry", "timeout")),
        (4, "got", Target(url="http://a/3"), ()),
        (6, "got", Target(url="http://api:80/items"), ("retry", "timeout")),
    ]


def test_request_superagent_and_node_http() -> None:
    assert calls("""\
        const request = require('request');
        const superagent = require('superagent');
        const http = require('http');
        request.get({ url: 'http://legacy/x', timeout: 1000 }, () => {});
        request('http://legacy/y', () => {});
        superagent.get('http://agent/x').set('a', 'b').timeout({ response: 1000 });
        superagent.post('http://agent/y').retry(2);
        function ping() {
          const req = http.request({ hostname: 'pricing', port: 8081, path: '/p' }, () => {});
          req.setTimeout(2000);
          http.get('http://pricing:8081/q', { timeout: 500 });
          http.get('http://pricing:8081/r');
        }
        """, "javascript") == [
        (4, "request", Target(url="http://legacy/x"), ("timeout",)),
        (5, "request", Target(url="http://legacy/y"), ()),
        (6, "superagent", Target(url="http://agent/x"), ("timeout",)),
        (7, "superagent", Target(url="http://agent/y"), ("retry",)),
        (9, "http", Target(host="pricing", port=8081), ("timeout",)),
        (11, "http", Target(url="http://pricing:8081/q"), ("timeout",)),
        (12, "http", Target(url="http://pricing:8081/r"), ()),
    ]


def test_gateway_proxies_are_calls_to_their_targets() -> None:
    assert calls("""\
        import { createProxyMiddleware } from 'http-proxy-middleware';
        import proxy from 'express-http-proxy';
        app.use('/users', createProxyMiddleware({ target: process.env.USERS_URL, changeOrigin: true }));
        app.use('/orders', createProxyMiddleware({ target: 'http://orders:8080', proxyTimeout: 5000 }));
        app.use('/cart', proxy('cart:3000', { timeout: 2000 }));
        app.use('/pay', proxy('http://pay:3000'));
        """) == [(3, "http-proxy-middleware", Target(env="USERS_URL"), ()),
                 (4, "http-proxy-middleware", Target(url="http://orders:8080"), ("timeout",)),
                 (5, "express-http-proxy", Target(host="cart", port=3000), ("timeout",)),
                 (6, "express-http-proxy", Target(url="http://pay:3000"), ())]


def test_nestjs_http_service_module_timeout_and_rxjs_operators() -> None:
    source = """\
        import { Injectable, Module } from '@nestjs/common';
        import { HttpModule, HttpService } from '@nestjs/axios';
        import { ConfigService } from '@nestjs/config';
        import { firstValueFrom, timeout } from 'rxjs';
        {module}
        @Injectable()
        export class UsersClient {
          constructor(private readonly http: HttpService, private readonly config: ConfigService) {}
          async user(id: string) {
            const base = this.config.get<string>('USERS_URL');
            await firstValueFrom(this.http.get(`${base}/users/${id}`));
            return firstValueFrom(this.http.get('http://x:1/y').pipe(timeout(1000)));
          }
        }
        """
    bad = source.replace("{module}", "")
    assert calls(bad) == [(11, "HttpService", Target(url="{}/users/{}", env="USERS_URL"), ()),
                          (12, "HttpService", Target(url="http://x:1/y"), ("timeout",))]
    good = source.replace("{module}", "@Module({ imports: [HttpModule.register({ timeout: 5000 })] }) class M {}")
    assert [c[3] for c in calls(good)] == [("timeout",), ("timeout", "timeout")]


def test_grpc_clients_deadline_and_clients_used_elsewhere() -> None:
    found = extract("""\
        const grpc = require('@grpc/grpc-js');
        const cart = new proto.CartService(process.env.CART_ADDR || 'cart:7070', grpc.credentials.createInsecure());
        const other = new proto.Other('other:50051', grpc.credentials.createInsecure());
        function get(id, cb) {
          cart.getCart({ id }, { deadline: Date.now() + 1000 }, cb);
          cart.emptyCart({ id }, cb);
        }
        const call = (method, request) => new Promise((ok) => other[method](request, ok));
        """, "javascript")
    assert found.calls == [
        Call(5, "grpc", Target(env="CART_ADDR", default="cart:7070"), (Bound("timeout", 5, "deadline"),), "grpc",
             "get"),
        Call(6, "grpc", Target(env="CART_ADDR", default="cart:7070"), (), "grpc", "get"),
        Call(8, "grpc", Target(host="other", port=50051), (), "grpc", "call"),
    ]
    elsewhere = extract("""\
        const grpc = require('@grpc/grpc-js');
        module.exports = new proto.Other('other:50051', grpc.credentials.createInsecure());
        """, "javascript")
    assert elsewhere.calls == [
        Call(2, "grpc", Target(host="other", port=50051), (Bound("deferred", 2, "forwarded options"),), "grpc")]


def test_nestjs_grpc_clients() -> None:
    found = extract("""\
        import { ClientsModule, Transport } from '@nestjs/microservices';
        @Module({ imports: [ClientsModule.register([
          { name: 'HERO', transport: Transport.GRPC, options: { url: 'hero:5000', package: 'hero' } },
          { name: 'MATH', transport: Transport.TCP, options: { host: 'math', port: 3001 } },
        ])] })
        export class AppModule {}
        """)
    assert found.calls == [Call(3, "nestjs-grpc", Target(host="hero", port=5000),
                                (Bound("deferred", 3, "forwarded options"),), "grpc")]


def test_opossum_breaker_bounds_the_calls_of_the_function_it_wraps() -> None:
    found = extract("""\
        const CircuitBreaker = require('opossum');
        const axios = require('axios');
        async function quote(id) { return axios.get(`http://quote/q/${id}`); }
        async function other() { return axios.get('http://quote/other'); }
        const breaker = new CircuitBreaker(quote, { timeout: 3000 });
        const inline = new CircuitBreaker(() => axios.get('http://quote/inline'));
        """, "javascript")
    assert [(c.line, c.bounds) for c in found.calls] == [
        (3, (Bound("circuit_breaker", 5, "opossum CircuitBreaker"), Bound("timeout", 5, "timeout: 3000"))),
        (4, ()),
        (6, (Bound("circuit_breaker", 6, "opossum CircuitBreaker"),
             Bound("timeout", 6, "opossum default timeout 10 s"))),
    ]


def test_targets_from_constants_environment_and_config() -> None:
    assert [c[2] for c in calls("""\
        import axios from 'axios';
        const BASE = 'http://catalog:8080';
        const HOST = process.env['SHIPPING_HOST'] ?? 'shipping';
        export async function f(config: any) {
          const path = '/items';
          await axios.get(BASE + path);
          await axios.get(`http://${HOST}/rates`);
          await axios.get(process.env.PAYMENT_URL);
          await axios.get(config.get('services.user.url'));
          await axios.get(someUrl());
          const { USER_URL, CART_URL = 'http://cart:80', ORDERS: orders } = process.env;
          await axios.get(`${USER_URL}/u`);
          await axios.get(CART_URL);
          await axios.get(orders);
        }
        """)] == [
        Target(url="http://catalog:8080/items"),
        Target(url="http://{}/rates", env="SHIPPING_HOST", default="shipping"),
        Target(env="PAYMENT_URL"),
        Target(env="services.user.url"),
        Target(),
        Target(url="{}/u", env="USER_URL"),
        Target(env="CART_URL", default="http://cart:80"),
        Target(env="ORDERS"),
    ]


def test_template_literal_urls_keep_the_host_piece_and_the_path() -> None:
    source = """\
        import axios from 'axios';
        const BASE = process.env.CATALOG_URL;
        const HOST = process.env.PRICES_HOST;
        const PORT = process.env.PRICES_PORT || '8080';
        const PRICES = `http://${HOST}:${PORT}`;
        const config = { orders: { url: process.env.ORDERS_URL } };
        const api = axios.create({ baseURL: process.env.CART_URL });
        export async function f(id: string) {
          await axios.get(`${BASE}/items/${id}`);
          await axios.get(`${PRICES}/prices/${id}`);
          await axios.get(`http://stock:8080/${process.env.API_VERSION}/items`);
          await axios.get(`${config.orders.url}/orders/${id}`);
          await api.get(`/carts/${id}`);
          await fetch(new URL(`/reviews/${id}`, process.env.REVIEWS_URL));
          await axios.get(`${String(process.env.SHIP_URL)}/ship`);
          await axios.get(`/relative/${id}`);
          const stock = new URL(`/stock/${id}`, `http://${process.env.STOCK_HOST}`);
          await fetch(stock.toString());
          await fetch(stock.href);
        }
        """
    assert [c[2] for c in calls(source)] == [
        Target(url="{}/items/{}", env="CATALOG_URL"),
        # the host piece is PRICES_HOST; PRICES_PORT's default is not the host's
        Target(url="http://{}:{}/prices/{}", env="PRICES_HOST"),
        # an environment piece in the path does not name the host
        Target(url="http://stock:8080/{}/items"),
        Target(url="{}/orders/{}", env="ORDERS_URL"),
        # a template path is relative to the instance's baseURL, like a literal one
        Target(url="{}/carts/{}", env="CART_URL"),
        Target(url="{}/reviews/{}", env="REVIEWS_URL"),
        Target(url="{}/ship", env="SHIP_URL"),
        # (a bare path with no base is a browser's call: dropped)
        Target(url="http://{}/stock/{}", env="STOCK_HOST"),
        Target(url="http://{}/stock/{}", env="STOCK_HOST"),
    ]
    edges = parse("src/app.ts", textwrap.dedent(source)).edges
    assert [(e.location.line, e.target, e.attrs.get("path")) for e in edges] == [
        (9, "env:CATALOG_URL", "/items/{}"), (10, "env:PRICES_HOST", "/prices/{}"),
        (11, "host:stock", "/{}/items"), (12, "env:ORDERS_URL", "/orders/{}"), (13, "env:CART_URL", "/carts/{}"),
        (14, "env:REVIEWS_URL", "/reviews/{}"), (15, "env:SHIP_URL", "/ship"), (18, "env:STOCK_HOST", "/stock/{}"),
        (19, "env:STOCK_HOST", "/stock/{}"),
    ]


# -- handlers and the call graph ------------------------------------------------------------------------------

def test_express_routes_inline_and_named_handlers_and_their_callees() -> None:
    found = extract("""\
        const express = require('express');
        const app = express();
        const router = express.Router();
        function list(req, res) { res.json(load()); }
        function load() { return 1; }
        app.get('/users', list);
        router.post('/users/:id', auth, async (req, res) => { await save(req.body); res.end(); });
        function auth(req, res, next) { next(); }
        function save(body) { return body; }
        router.route('/items').get(asyncHandler(async (req, res) => load()));
        app.use((req, res, next) => next());
        """, "javascript")
    assert found.handlers == [
        Handler(6, "list", "express"),
        Handler(7, "auth", "express"),
        Handler(7, "<route POST /users/:id>", "express"),
        Handler(10, "<route GET /items>", "express"),
        Handler(11, "<route USE>", "express"),
    ]
    assert found.callees == {"list": {"load"}, "<route POST /users/:id>": {"save"}, "<route GET /items>": {"load"}}


def test_fastify_koa_and_a_router_passed_in() -> None:
    found = extract("""\
        import Fastify from 'fastify';
        const fastify = Fastify();
        fastify.get('/a', async (request, reply) => 'a');
        fastify.route({ method: 'POST', url: '/b', handler: async () => 'b' });
        export default function routes(app) { app.get('/c', (req, res) => res.end()); }
        """)
    assert found.handlers == [Handler(3, "<route GET /a>", "fastify"), Handler(4, "<route POST /b>", "fastify"),
                              Handler(5, "<route GET /c>", "fastify")]
    hapi = extract("""\
        const Hapi = require('@hapi/hapi');
        const server = Hapi.server({ port: 3000 });
        server.route({ method: 'GET', path: '/h', handler: (request, h) => 'ok' });
        server.route([{ method: 'post', path: '/i', options: { handler: async () => 1 } }]);
        """, "javascript")
    assert hapi.handlers == [Handler(3, "<route GET /h>", "hapi"), Handler(4, "<route POST /i>", "hapi")]
    local = extract("""\
        const app = require('./app');
        import router from '../router';
        app.get('/d', (req, res) => res.end());
        router.post('/e', (req, res) => res.end());
        """, "javascript")
    assert local.handlers == [Handler(3, "<route GET /d>", "express"), Handler(4, "<route POST /e>", "express")]
    node = extract("""\
        const http = require('http');
        http.createServer((req, res) => { res.end(); }).listen(8080);
        """, "javascript")
    assert node.handlers == [Handler(2, "<route ANY>", "node-http")]
    koa = extract("""\
        const Router = require('@koa/router');
        const router = new Router();
        router.get('/k', async (ctx) => { ctx.body = 1; });
        """, "javascript")
    assert koa.handlers == [Handler(3, "<route GET /k>", "koa")]


def test_not_routes_a_client_get_and_a_map_get() -> None:
    found = extract("""\
        import axios from 'axios';
        const cache = new Map();
        cache.get('/x');
        axios.get('/y', { timeout: 1 });
        settings.get('/z', () => 1);
        """)
    assert found.handlers == []


def test_nestjs_controller_methods() -> None:
    found = extract("""\
        import { Controller, Get, Post } from '@nestjs/common';
        @Controller('orders')
        export class OrdersController {
          @Get(':id')
          async get() { return this.load(); }
          @Post()
          @HttpCode(201)
          create() { return 1; }
          private load() { return 2; }
        }
        """)
    assert found.handlers == [Handler(5, "get", "nestjs"), Handler(8, "create", "nestjs")]
    assert found.callees == {"get": {"load"}}


def test_nextjs_api_routes_and_lambda_handlers() -> None:
    pages = extract("export default async function handler(req, res) { res.json({}); }\n",
                    path="pages/api/users.ts")
    assert pages.handlers == [Handler(1, "handler", "nextjs")]
    route = extract("export async function GET(request: Request) { return Response.json({}); }\n",
                    path="app/api/items/route.ts")
    assert route.handlers == [Handler(1, "GET", "nextjs")]
    plain = extract("export default function handler(req, res) { return 1; }\n", path="src/util.ts")
    assert plain.handlers == []
    layout = extract("import type { Metadata } from 'next';\n"
                     "export default function RootLayout({ children }) { return children; }\n", path="app/layout.tsx")
    assert layout.handlers == []
    typed = extract("import type { NextApiRequest } from 'next';\n"
                    "export default function users(req: NextApiRequest, res) { res.end(); }\n")
    assert typed.handlers == [Handler(2, "users", "nextjs")]
    lam = extract("exports.handler = async (event, context) => ({ statusCode: 200 });\n", "javascript",
                  "index.js")
    assert lam.handlers == [Handler(1, "handler", "lambda")]


# -- database connections -------------------------------------------------------------------------------------

def test_connections_at_module_level_in_a_handler_and_in_a_helper() -> None:
    found = extract("""\
        const express = require('express');
        const { Pool, Client } = require('pg');
        const { PrismaClient } = require('@prisma/client');
        const pool = new Pool({ max: 20, connectionString: process.env.DATABASE_URL });
        const shared = new Client();
        const app = express();
        function openDb() { const c = new Client(); return c; }
        app.get('/a', async (req, res) => {
          const prisma = new PrismaClient();
          res.json(await openDb().query('select 1'));
        });
        """, "javascript")
    assert found.connects == [
        Connect(4, "pg", "postgres", True, 20, 4, target=Target(env="DATABASE_URL")),
        Connect(5, "pg", "postgres", False),
        Connect(7, "pg", "postgres", False, function="openDb"),
        Connect(9, "prisma", "", False, function="<route GET /a>", in_handler=True),
    ]
    facts = parse("api/server.js", textwrap.dedent("""\
        const express = require('express');
        const { Client } = require('pg');
        const app = express();
        function openDb() { return new Client(); }
        app.get('/a', (req, res) => openDb());
        """))
    (node,) = facts.nodes
    assert [(s.topic, s.value, s.location.line) for s in node.settings] == [("db_connect", "handler", 4)]


def test_one_off_script_and_lazy_singleton_are_not_per_request() -> None:
    found = extract("""\
        import mysql from 'mysql2/promise';
        import { PrismaClient } from '@prisma/client';
        let pool: any;
        export function getPool() { if (!pool) { pool = mysql.createPool({ connectionLimit: 5 }); } return pool; }
        const globalForPrisma = globalThis as any;
        export const prisma = globalForPrisma.prisma || new PrismaClient();
        async function main() {
          const conn = await mysql.createConnection({ host: 'mysql' });
          await conn.end();
        }
        main();
        """)
    assert found.connects == [
        Connect(4, "mysql2", "mysql", True, 5, 4),
        Connect(6, "prisma", "", True),
        Connect(8, "mysql2", "mysql", False, function="main", target=Target(host="mysql")),
    ]


def test_prisma_clients_generated_into_the_app_and_nest_providers_extending_them() -> None:
    found = extract("""\
        import { Injectable } from '@nestjs/common';
        import { PrismaClient } from './generated/prisma/client.js';
        import { PrismaPg } from '@prisma/adapter-pg';
        export const prisma = new PrismaClient();
        @Injectable()
        export class PrismaService extends PrismaClient {}
        export class Other extends Base {}
        """)
    assert found.connects == [Connect(4, "prisma", "postgres", True), Connect(6, "prisma", "postgres", True)]


def test_pool_settings_of_orm_and_nosql_clients() -> None:
    found = extract("""\
        const knex = require('knex')({ client: 'pg', connection: process.env.DATABASE_URL, pool: { max: 7 } });
        const { Sequelize } = require('sequelize');
        const mongoose = require('mongoose');
        const { MongoClient } = require('mongodb');
        const { DataSource } = require('typeorm');
        const { createClient } = require('redis');
        const seq = new Sequelize('shop', 'user', 'pw', { dialect: 'mysql', pool: { max: 9 } });
        mongoose.connect(process.env.MONGO_URL, { maxPoolSize: 50 });
        const mongo = new MongoClient('mongodb://mongo:27017');
        const ds = new DataSource({ type: 'postgres', extra: { max: 15 } });
        const redis = createClient({ url: 'redis://cache:6379' });
        """, "javascript")
    assert [(c.line, c.library, c.datastore, c.pooled, c.pool_max, c.target) for c in found.connects] == [
        (1, "knex", "postgres", True, 7, Target(env="DATABASE_URL")),
        (7, "sequelize", "mysql", True, 9, Target()),
        (8, "mongoose", "mongodb", True, 50, Target(env="MONGO_URL")),
        (9, "mongodb", "mongodb", True, None, Target(url="mongodb://mongo:27017")),
        (10, "typeorm", "postgres", True, 15, Target()),
        (11, "redis", "redis", True, None, Target(url="redis://cache:6379")),
    ]


# -- sessions and tracing ---------------------------------------------------------------------------------------

def test_session_stores() -> None:
    found = extract("""\
        const session = require('express-session');
        const RedisStore = require('connect-redis')(session);
        const MongoStore = require('connect-mongo');
        const FileStore = require('session-file-store')(session);
        const cookieSession = require('cookie-session');
        const store = new RedisStore({ client });
        app.use(session({ secret: 's' }));
        app.use(session({ store, secret: 's' }));
        app.use(session({ store: MongoStore.create({ mongoUrl: 'x' }), secret: 's' }));
        app.use(session({ store: new session.MemoryStore(), secret: 's' }));
        app.use(session({ store: new FileStore({}), secret: 's' }));
        app.use(cookieSession({ name: 's' }));
        app.use(session(options));
        app.use(session({ ...options }));
        """, "javascript")
    assert found.sessions == [
        Session(7, "express-session", "memory"), Session(8, "express-session", "redis"),
        Session(9, "express-session", "mongodb"), Session(10, "express-session", "memory"),
        Session(11, "express-session", "file"), Session(12, "cookie-session", "cookie"),
    ]
    hapi = extract("""\
        const Hapi = require('@hapi/hapi');
        const server = Hapi.server({ port: 3000 });
        server.route({ method: 'GET', path: '/h', handler: (request, h) => 'ok' });
        server.route([{ method: 'post', path: '/i', options: { handler: async () => 1 } }]);
        """, "javascript")
    assert hapi.handlers == [Handler(3, "<route GET /h>", "hapi"), Handler(4, "<route POST /i>", "hapi")]
    local = extract("""\
        const app = require('./app');
        import router from '../router';
        app.get('/d', (req, res) => res.end());
        router.post('/e', (req, res) => res.end());
        """, "javascript")
    assert local.handlers == [Handler(3, "<route GET /d>", "express"), Handler(4, "<route POST /e>", "express")]
    node = extract("""\
        const http = require('http');
        http.createServer((req, res) => { res.end(); }).listen(8080);
        """, "javascript")
    assert node.handlers == [Handler(2, "<route ANY>", "node-http")]
    koa = extract("""\
        import session from 'koa-session';
        import redisStore from 'koa-redis';
        app.use(session(app));
        app.use(session({ store: redisStore({}) }, app));
        """)
    assert koa.sessions == [Session(3, "koa-session", "cookie"), Session(4, "koa-session", "redis")]


def test_tracing_set_up_in_code() -> None:
    found = extract("""\
        import '@opentelemetry/auto-instrumentations-node/register';
        import { NodeSDK } from '@opentelemetry/sdk-node';
        import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
        import * as Sentry from '@sentry/node';
        import tracer from 'dd-trace';
        tracer.init();
        Sentry.init({ dsn: 'x', tracesSampleRate: 0.2 });
        Sentry.init({ dsn: 'x' });
        new NodeSDK({ traceExporter: new OTLPTraceExporter() }).start();
        """)
    assert found.tracing == [Tracing(1, "otel", "auto"), Tracing(6, "datadog", "sdk"), Tracing(7, "sentry", "sdk"),
                             Tracing(9, "otel", "sdk"), Tracing(9, "otel", "exporter")]
    agents = extract("""\
        require('newrelic');
        require('dd-trace/init');
        const apm = require('elastic-apm-node').start({ serviceName: 'x' });
        require('@instana/collector')();
        const { initTracer } = require('jaeger-client');
        initTracer({}, {});
        const appInsights = require('applicationinsights');
        appInsights.setup('key').setAutoCollectRequests(true).start();
        const AWSXRay = require('aws-xray-sdk');
        AWSXRay.captureHTTPsGlobal(require('http'));
        """, "javascript")
    assert [(t.line, t.system, t.what) for t in agents.tracing] == [
        (1, "newrelic", "agent"), (2, "datadog", "auto"), (3, "elastic-apm", "agent"), (4, "instana", "agent"),
        (6, "jaeger", "sdk"), (8, "applicationinsights", "sdk"), (10, "xray", "auto")]


# -- browser code, whole files, hostile input --------------------------------------------------------------

@pytest.mark.parametrize(("language", "source"), [
    ("tsx", "import { useEffect } from 'react';\nexport const A = () => { fetch('http://api/x'); return <div/>; };\n"),
    ("javascript", "const b = () => <p>{fetch('http://api/x')}</p>;\n"),
    ("typescript", "'use client';\nexport const load = () => fetch('http://api/x');\n"),
    ("typescript", "export const api = axios.create({ baseURL: import.meta.env.VITE_API });\nfetch('/x');\n"),
    ("typescript", "export function go() { window.location.href = '/'; return fetch('http://api/x'); }\n"),
])
def test_browser_code_yields_no_facts(language: str, source: str) -> None:
    assert extract(source, language) == Extracted(browser=True)


def test_a_call_of_a_bare_path_is_a_browsers() -> None:
    assert calls("""\
        import axios from 'axios';
        export const a = () => fetch('/__/firebase/init.json');
        export const b = () => axios.get('/api/items');
        const api = axios.create({ baseURL: 'http://api:80' });
        export const c = () => api.get('/items');
        """) == [(5, "axios", Target(url="http://api:80/items"), ())]


def test_next_server_code_is_not_browser_code() -> None:
    found = extract("import { NextResponse } from 'next/server';\n"
                    "export async function GET() { return NextResponse.json(await fetch('http://api:8080/x')); }\n",
                    path="app/items/route.ts")
    assert [(c.line, c.client) for c in found.calls] == [(2, "fetch")]


def test_whole_file_becomes_edges_and_settings() -> None:
    facts = parse("users/src/server.ts", textwrap.dedent("""\
        import axios from 'axios';
        import session from 'express-session';
        app.use(session({ secret: 'x' }));
        export const a = () => axios.get(process.env.ORDERS_URL + '/orders');
        export const b = () => axios.get('http://seat-service:18898/seats', { timeout: 1000 });
        export const c = () => axios.get('http://localhost:3000/self');
        """))
    assert [(e.target, e.location.line, e.attrs["bounds"]) for e in facts.edges] == [
        ("env:ORDERS_URL", 4, []), ("host:seat-service", 5, ["timeout"])]
    (node,) = facts.nodes
    assert [(s.topic, s.value) for s in node.settings] == [("session_store", "memory")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_deeply_nested_and_garbage_files_raise_nothing(language: str) -> None:
    deep = "f(" * 50_000 + ")" * 50_000 + ";\n"
    arrows = "const x = " + "() => " * 20_000 + "axios.get('http://a/x');\n"
    objects = "axios.get('http://a/x', " + "{a: " * 20_000 + "1" + "}" * 20_000 + ");\n"
    garbage = "\x00\xff<<<{{{ ]]] import from require( ${ `` " * 2000
    for source in (deep, arrows, objects, garbage):
        lang = grammar(language)
        assert lang is not None
        tree = tree_sitter.Parser(lang).parse(source.encode("utf-8", "surrogatepass"))
        javascript.extract(tree, language, "x.ts")
        parse(f"x.{ {'javascript': 'js', 'typescript': 'ts', 'tsx': 'tsx'}[language] }", source)


def test_each_function_reads_its_own_local_constants() -> None:
    assert [c[2] for c in calls("""\
        import axios from 'axios';
        export class Api {
          a() { const path = 'http://a/x'; return axios.get(path, { timeout: 1 }); }
          b() { const path = 'http://b/y'; return axios.get(path, { timeout: 1 }); }
          c(path: string) { return axios.get(path, { timeout: 1 }); }
        }
        """)] == [Target(url="http://a/x"), Target(url="http://b/y"), Target()]


def test_wide_files_of_repeated_facts_are_read_in_one_pass() -> None:
    """Thousands of the same construct (no lookup per call over every other call)."""
    source = "const http = require('http');\n" + "".join(
        f"function f{i}() {{ const c = new AbortController(); setTimeout(() => c.abort(), 1);"
        f" fetch('http://a/{i}', {{ signal: c.signal }}); const r = http.request('http://b/{i}'); r.setTimeout(1); }}\n"
        for i in range(2000))
    found = extract(source, "javascript", "wide.js")
    assert len(found.calls) == 4000
    assert all(c.bounds and c.bounds[0].kind == "timeout" for c in found.calls)


def test_a_string_in_the_code_cannot_forge_the_mark_of_the_host_piece() -> None:
    # The host's environment piece is found by marking each piece NUL + index + NUL in the joined text (the twin of
    # the Go test, where a forged mark raised IndexError); NUL 0 NUL written in the URL is text, not a mark.
    found = extract("""\
        const { MongoClient } = require('mongodb');
        const mongo = new MongoClient('mongodb://\x000\x00' + process.env.MONGO_HOST + '/app');
        """, "javascript")
    assert [(c.line, c.target.env) for c in found.connects] == [(2, "MONGO_HOST")]
