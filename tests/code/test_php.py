"""PHP extractor: exact facts for curl/Guzzle/Laravel/Symfony calls, PDO/mysqli/Redis connections, served
scripts and routes, sessions and tracing."""

from __future__ import annotations

import textwrap

from auditor.code import php
from auditor.code.facts import Bound, Call, Connect, Extracted, Handler, Session, Target, Tracing
from auditor.code.parse import _parser, parse

SCRIPT = php.SCRIPT


def extract(source: str) -> Extracted:
    parser = _parser("php")
    assert parser is not None
    return php.extract(parser.parse(textwrap.dedent(source).encode()), "php")


def test_curl_timeout_on_the_handle_used() -> None:
    found = extract("""\
        <?php
        function fetch_users() {
            $ch = curl_init(getenv('USER_API') . '/users');
            curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
            curl_setopt($ch, CURLOPT_TIMEOUT, 5);
            return curl_exec($ch);
        }
        function fetch_seats() {
            $other = curl_init();
            curl_setopt($other, CURLOPT_TIMEOUT, 5);
            $ch = curl_init();
            curl_setopt_array($ch, [CURLOPT_URL => 'http://seat-service:18898/api/seats',
                                    CURLOPT_CONNECTTIMEOUT => 2]);
            return curl_exec($ch);
        }
        function fetch_with($url, $options) {
            $ch = curl_init($url);
            curl_setopt_array($ch, $options);
            return curl_exec($ch);
        }
        function exec_passed_in($ch) {
            return curl_exec($ch);
        }
    """)
    assert found.calls == [
        Call(6, "curl", Target(env="USER_API"), (Bound("timeout", 5, "CURLOPT_TIMEOUT => 5", 5.0),),
             function="fetch_users"),
        Call(14, "curl", Target(url="http://seat-service:18898/api/seats"), (), function="fetch_seats"),
        Call(19, "curl", Target(), (Bound("deferred", 19, "forwarded options"),), function="fetch_with"),
    ]


def test_guzzle_symfony_laravel_and_streams() -> None:
    found = extract("""\
        <?php
        use GuzzleHttp\\Client;
        use Symfony\\Component\\HttpClient\\HttpClient;
        class Gateway {
            private $client;
            public function __construct() {
                $this->client = new Client(['base_uri' => $_ENV['ORDERS_URL']]);
            }
            public function orders() { return $this->client->get('/orders'); }
            public function bounded() { return $this->client->request('GET', '/orders', ['timeout' => 3]); }
            public function forward($options) { return $this->client->get('/orders', $options); }
            public function timed() {
                $c = new \\GuzzleHttp\\Client(['timeout' => 2.5, 'base_uri' => 'http://billing:8080']);
                return $c->post('/charge');
            }
            public function symfony() {
                $http = HttpClient::create();
                return $http->request('GET', 'http://catalog/items');
            }
            public function laravel() {
                Http::get(env('INVENTORY_URL', 'http://inventory'));
                return Http::retry(3, 100)->timeout(5)->post('http://ledger/entries');
            }
            public function stream() {
                $ctx = stream_context_create(['http' => ['timeout' => 4]]);
                file_get_contents('http://rates/today', false, $ctx);
                file_get_contents('/etc/hosts');
                return file_get_contents("http://rates/{$day}");
            }
        }
    """)
    assert found.calls == [
        Call(9, "guzzle", Target(env="ORDERS_URL"), (), function="orders"),
        Call(10, "guzzle", Target(env="ORDERS_URL"), (Bound("timeout", 10, "timeout => 3", 3.0),), function="bounded"),
        Call(11, "guzzle", Target(env="ORDERS_URL"), (Bound("deferred", 11, "forwarded options"),),
             function="forward"),
        Call(14, "guzzle", Target(url="http://billing:8080"), (Bound("timeout", 13, "timeout => 2.5", 2.5),),
             function="timed"),
        Call(18, "symfony-http-client", Target(url="http://catalog/items"), (
            Bound("default_timeout", 18, "default_socket_timeout 60 s", 60.0),), function="symfony"),
        Call(21, "laravel-http", Target(env="INVENTORY_URL", default="http://inventory"), (
            Bound("default_timeout", 21, "Laravel Http default 30 s", 30.0),), function="laravel"),
        Call(22, "laravel-http", Target(url="http://ledger/entries"), (
            Bound("retry", 22, "retry(3)"), Bound("timeout", 22, "timeout(5)", 5.0)), function="laravel"),
        Call(26, "php-stream", Target(url="http://rates/today"), (Bound("timeout", 25, "timeout => 4", 4.0),),
             function="stream"),
        Call(28, "php-stream", Target(url="http://rates/{}"), (
            Bound("default_timeout", 28, "default_socket_timeout 60 s", 60.0),), function="stream"),
    ]


def test_requests_and_wordpress_defaults() -> None:
    found = extract("""\
        <?php
        use WpOrg\\Requests\\Requests;
        function a() { return Requests::get('http://api.example.org/x', [], ['timeout' => 2]); }
        function b() { return Requests::post('http://api.example.org/x', [], []); }
        function c() { return wp_remote_get('https://hooks.example.org/'); }
    """)
    assert found.calls == [
        Call(3, "requests-php", Target(url="http://api.example.org/x"), (Bound("timeout", 3, "timeout => 2", 2.0),),
             function="a"),
        Call(4, "requests-php", Target(url="http://api.example.org/x"), (
            Bound("default_timeout", 4, "Requests default 10 s", 10.0),), function="b"),
        Call(5, "wordpress", Target(url="https://hooks.example.org/"), (
            Bound("default_timeout", 5, "WordPress HTTP API default 5 s", 5.0),), function="c"),
    ]


def test_served_script_connects_per_request() -> None:
    found = extract("""\
        <?php
        $db = new PDO('mysql:host=db;dbname=shop', 'u', 'p');
        $keep = new PDO('pgsql:host=pg', 'u', 'p', [PDO::ATTR_PERSISTENT => true]);
        $m = mysqli_connect('p:mysql', 'u', 'p');
        $raw = new mysqli('mysql', 'u', 'p');
        $pg = pg_pconnect('host=pg');
        $r = new Redis();
        $r->connect('redis', 6379);
        $items = load_items();
        function load_items() { return pg_connect('host=pg dbname=shop'); }
        function unused() { return new PDO('sqlite:/tmp/x.db'); }
        echo json_encode($_GET['id']);
    """)
    assert found.handlers == [Handler(1, SCRIPT, "php")]
    assert found.connects == [
        Connect(2, "PDO", "mysql", False, function=SCRIPT, in_handler=True, target=Target(host="db")),
        Connect(3, "PDO", "postgres", True, function=SCRIPT, in_handler=True, target=Target(host="pg")),
        Connect(4, "mysqli_connect", "mysql", True, function=SCRIPT, in_handler=True,
                target=Target(host="mysql")),
        Connect(5, "mysqli", "mysql", False, function=SCRIPT, in_handler=True, target=Target(host="mysql")),
        Connect(6, "pg_pconnect", "postgres", True, function=SCRIPT, in_handler=True,
                target=Target(host="host=pg")),
        Connect(8, "phpredis", "redis", False, function=SCRIPT, in_handler=True, target=Target(host="redis")),
        Connect(10, "pg_connect", "postgres", False, function="load_items",
                target=Target(host="host=pg dbname=shop")),
        Connect(11, "PDO", "sqlite", False, function="unused"),
    ]
    facts = parse("public/index.php", textwrap.dedent("""\
        <?php
        $items = load_items();
        function load_items() { return new PDO('mysql:host=db'); }
        function unused() { return new PDO('sqlite:/tmp/x.db'); }
        echo count($items);
    """))
    settings = sorted((s.topic, s.value, s.location.line) for n in facts.nodes for s in n.settings)
    assert settings == [("db_connect", "handler", 3)]  # unused(): no request reaches it, and PHP shares nothing


def test_one_off_cli_script_and_class_files_are_not_served() -> None:
    cli = extract("""\
        #!/usr/bin/env php
        <?php
        $db = new PDO('mysql:host=db');
        echo "migrated\\n";
    """)
    sapi = extract("""\
        <?php
        if (PHP_SAPI !== 'cli') { exit(1); }
        $db = new PDO('mysql:host=db');
        echo "done";
    """)
    library = extract("""\
        <?php
        namespace App;
        class Db { public function connect() { return new \\PDO('mysql:host=db'); } }
    """)
    blade = extract("""\
        @extends('layouts.simple')
        @section('body')
            <h1>{{ $book->name }}</h1> {{ request()->get('q') }}
            <?php $count = count($_GET); ?>
        @stop
    """)
    assert cli.handlers == sapi.handlers == library.handlers == blade.handlers == []
    assert [c.in_handler for c in cli.connects + sapi.connects + library.connects] == [False, False, False]
    assert library.connects[0].function == "connect"


def test_included_files_and_global_functions_of_other_files() -> None:
    found = extract("""\
        <?php
        require_once __DIR__ . '/inc/db.php';
        require dirname(__FILE__) . '/../lib/auth.php';
        include('header.php');
        include $theme . '/footer.php';
        require_once '/etc/php/global.php';

        function local_helper() { return 1; }

        $stmt = db()->prepare('SELECT * FROM products WHERE id = ?');
        $stmt->execute([(int) $_GET['id']]);
        echo json_encode(local_helper());
        """)
    assert [(c.line, c.caller, c.target, c.kind) for c in found.external_calls] == [
        (2, SCRIPT, "inc/db.php", "include"), (3, SCRIPT, "../lib/auth.php", "include"),
        (4, SCRIPT, "header.php", "include"),  # a computed or absolute path is not followed
        (3, SCRIPT, "dirname", "function"), (10, SCRIPT, "db", "function"), (12, SCRIPT, "json_encode", "function"),
    ]  # local_helper is defined here; dirname and json_encode are PHP's own: no file of the project defines them
    assert found.defines == {"local_helper"}
    assert extract("<?php\nclass Repo { public function db() { return 1; } }\n").defines == set()


def test_routes_and_controllers() -> None:
    found = extract("""\
        <?php
        use Illuminate\\Support\\Facades\\Route;
        Route::get('/users', function () {
            return DB::connection()->select('select 1');
        });
        Route::post('/users', [UserController::class, 'store']);
        $app->get('/hello/{name}', function ($request, $response, $args) {
            $pdo = new PDO('mysql:host=db');
            return $response;
        });
        $collection->get('key', fn () => 1);
        class UserController extends Controller {
            public function index() { return $this->load(); }
            private function load() { return new PDO('mysql:host=db'); }
            public function __construct() { }
        }
        class BlogController extends AbstractController {
            #[Route('/blog', name: 'blog')]
            public function list(): Response { return new Response(); }
        }
        class Plain {
            /**
             * @Route("/legacy")
             */
            public function legacy() { }
            public function other() { }
        }
    """)
    assert sorted(found.handlers, key=lambda h: h.line) == [
        Handler(3, "get /users", "laravel"),
        Handler(7, "get /hello/{name}", "php-router"),
        Handler(13, "index", "laravel"),
        Handler(19, "list", "symfony"),
        Handler(25, "legacy", "symfony"),
    ]
    assert found.connects == [
        Connect(8, "PDO", "mysql", False, function="get /hello/{name}", in_handler=True, target=Target(host="db")),
        Connect(14, "PDO", "mysql", False, function="load", target=Target(host="db")),
    ]
    assert found.callees["index"] == {"load"}


def test_sessions() -> None:
    default = extract("<?php\nsession_start();\nif ($x) { session_start(); }\n")
    redis = extract("<?php\nini_set('session.save_handler', 'redis');\nsession_start();\n")
    memcached = extract("<?php\nini_set(\"session.save_handler\", \"memcached\");\n")
    custom = extract("<?php\nsession_set_save_handler(new DbHandler(), true);\nsession_start();\n")
    assert default.sessions == [Session(2, "php", "file")]
    assert redis.sessions == [Session(2, "php-save-handler", "redis")]
    assert memcached.sessions == [Session(2, "php-save-handler", "memcached")]
    assert custom.sessions == [Session(2, "php-save-handler", "custom")]


def test_tracing() -> None:
    found = extract("""\
        <?php
        use OpenTelemetry\\SDK\\Trace\\TracerProvider;
        use OpenTelemetry\\SDK\\Sdk;
        $provider = new TracerProvider($processor);
        Sdk::builder()->setTracerProvider($provider)->buildAndRegisterGlobal();
        \\DDTrace\\trace_function('work', function () {});
        newrelic_name_transaction('checkout');
        \\Elastic\\Apm\\ElasticApm::getCurrentTransaction();
        \\Sentry\\init(['dsn' => 'x']);
    """)
    assert found.tracing == [
        Tracing(4, "otel", "sdk"), Tracing(6, "datadog", "sdk"), Tracing(7, "newrelic", "agent"),
        Tracing(8, "elastic-apm", "agent"), Tracing(9, "sentry", "sdk"),
    ]


def test_hostile_files_yield_no_exception() -> None:
    deep = "<?php $x = " + "(" * 50_000 + "1" + ")" * 50_000 + ";"
    calls = "<?php " + "curl_exec(" * 20_000 + ")" * 20_000 + ";"
    nested = "<?php " + "function f() { " * 5_000 + "}" * 5_000
    garbage = "<?php \x00\xff{{{ new PDO( curl_setopt_array($ch, [ ?> <html> <?= $_GET[" * 500
    for source in (deep, calls, nested, garbage, "", "<?php", "<?php session_start(", "<html>only</html>"):
        parse("src/hostile.php", source)
        extract(source)
