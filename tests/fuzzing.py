"""Fuzzing harness shared by tests/test_fuzz.py (bounded, in CI) and bench/fuzz.py (long runs).

Inputs are fixture files and repositories changed by small mutators (bit flips, cut and copied spans,
injected nesting, huge numbers, unicode edge cases, line-ending changes, very long lines) or random text.
Each input runs in a worker process that is killed and restarted when it hangs (a wall-clock guard, several
times the limit; the limit itself is CPU time, which a busy machine does not inflate): a parse
stuck in C (tree-sitter, libyaml) never returns to Python, so no in-process alarm could stop it.

The contract checked (`problems` in the worker): nothing raises; no diagnostic says `internal-error` or
carries a caught Python exception in its message; every diagnostic names the input's path and a line
that is None or inside the file; a second run gives the same result; the input finishes in time.

Choices come from a `Chooser`, so the same mutators serve Hypothesis (`DataChooser`, reproducible and
shrinkable) and the long runs (`RandomChooser`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import gc
import hashlib
import importlib
import os
import pickle
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TESTS = ROOT / "tests"
MAX_FILE_BYTES = 2 * 1024 * 1024  # the discovery limit: inputs up to this size must be handled

# --------------------------------------------------------------------------------------------------
# Targets: an entry point and the path it is given (the path picks the dialect)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    parser: str  # terraform | kubernetes | compose | appconfig | buildfile | telemetry | code
    path: str
    dialect: str  # hcl | json | yaml | python | nginx | ini | env | properties | xml | curly (C-like code)
    patterns: tuple[str, ...] = ()  # fixture paths (fnmatch) that are seeds in this dialect
    inline: tuple[str, ...] = ()  # seeds for dialects no fixture has

    def __str__(self) -> str:
        return f"{self.parser}:{self.path}"


_PHP_INI = """\
[PHP]
memory_limit = 256M
max_execution_time = 30
default_socket_timeout = 60
session.save_handler = redis
session.save_path = "tcp://redis:6379?auth=secret&timeout=2.5"
upload_tmp_dir = /tmp
mysqli.default_host = db
mysqlnd.net_read_timeout = 31536000
"""
_POSTGRESQL_CONF = """\
# - Connection Settings -
listen_addresses = '*'          # what IP address(es) to listen on
max_connections = 100
shared_buffers = 128MB
statement_timeout = 0
idle_in_transaction_session_timeout = '10min'
include_if_exists 'conf.d/local.conf'
"""
_MY_CNF = """\
[mysqld]
max_connections = 151
wait_timeout = 28800
bind-address = 0.0.0.0
skip-name-resolve
!includedir /etc/mysql/conf.d/

[client]
host = db.internal
port = 3306
"""
_DATABASE_YML = """\
default: &default
  adapter: postgresql
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>
  timeout: 5000

production:
  <<: *default
  url: postgres://shop:secret@db.internal:5432/shop
  connect_timeout: 2
  reaping_frequency: 10
"""
_PROPERTIES = """\
server.port=8080
spring.datasource.url=jdbc:postgresql://db:5432/orders?socketTimeout=30
spring.datasource.hikari.maximum-pool-size=50
spring.redis.host=${REDIS_HOST:redis}
feign.client.config.default.readTimeout=5000
key\\ with\\ spaces = value \\
    continued
"""
_POM = """\
<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY a "b">]>
<project xmlns:pom="http://maven.apache.org/POM/4.0.0">
  <artifactId>orders</artifactId>
  <!-- a comment <dependency> -->
  <dependencies>
    <dependency><groupId>io.micrometer</groupId><artifactId>micrometer-registry-prometheus</artifactId></dependency>
    <pom:dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-sdk</artifactId>
      <scope>test</scope>
    </pom:dependency>
  </dependencies>
  <ItemGroup><PackageReference Include="OpenTelemetry" Version="1.9.0" /><![CDATA[<x>]]></ItemGroup>
</project>
"""
_PACKAGE_JSON = ('{"name": "@acme/web", "dependencies": {"prom-client": "^15", "dd-trace": "^5"},\n'
                 ' "devDependencies": {}}\n')
_PYPROJECT = """\
[project]
name = "api"
dependencies = ["ddtrace>=2", "fastapi"]
[tool.poetry.group.prod.dependencies]
prometheus-client = "*"
"""
_GO_MOD = """\
module github.com/acme/hotel/v2
require (
\tgo.opentelemetry.io/otel/sdk v1.42.0
\tgithub.com/prometheus/client_golang v1.20.5 // indirect
)
require go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.67.0
"""
_GEMFILE = """\
source "https://rubygems.org"
gem "newrelic_rpm"
group :development, :test do
  gem "ddtrace", require: false
end
gem("yabeda-prometheus", group: :production)
"""
_PROMETHEUS = """\
scrape_configs:
  - job_name: orders
    static_configs:
      - targets: ["orders:8080", "http://billing:9100/metrics"]
    dns_sd_configs:
      - names: [cart.shop.svc]
receivers:
  prometheus/apps:
    config:
      scrape_configs:
        - job_name: x
          static_configs: [{targets: [x:1]}]
"""

_PY_CLIENT = """\
import os

import httpx
import requests

USERS = os.environ.get("USERS_URL", "http://users:8080")
session = requests.Session()


def profile(user_id: int) -> dict:
    reply = requests.get(f"{USERS}/users/{user_id}", timeout=2.5)
    reply.raise_for_status()
    return reply.json()


async def charge(order):
    async with httpx.AsyncClient(base_url="http://billing") as client:
        return await client.post("/charges", json={"id": order.id})


def stock(sku):
    return requests.post("http://inventory:9000/reserve", json={"sku": sku}).json()
"""
_JS_CLIENT = """\
const axios = require("axios");
import fetch from "node-fetch";

const CART = process.env.CART_URL || "http://cart:8080";

export async function cart(id) {
  const res = await fetch(`${CART}/carts/${id}`, { signal: AbortSignal.timeout(2000) });
  return res.json();
}

async function pay(order) {
  return axios.post("http://payments/charge", order, { timeout: 0 });
}

module.exports = { pay, items: (id) => axios.get(`http://catalog/items/${id}`) };
"""
_JAVA_CLIENT = """\
package com.example.orders;

import org.springframework.web.client.RestTemplate;
import java.net.http.HttpClient;
import java.time.Duration;

@Service
public class OrderClient {
    private final RestTemplate rest = new RestTemplate();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public Order find(long id) {
        return rest.getForObject("http://orders:8080/orders/{id}", Order.class, id);
    }

    @FeignClient(name = "users", url = "${users.url}")
    interface Users { @GetMapping("/users/{id}") User get(@PathVariable long id); }
}
"""
_GO_CLIENT = """\
package client

import (
	"context"
	"net/http"
	"time"
)

var client = &http.Client{Timeout: 3 * time.Second}

func Geo(ctx context.Context, id string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://geo:8081/points/"+id, nil)
	if err != nil {
		return nil, err
	}
	return client.Do(req)
}

func Ping() { _, _ = http.Get("http://tracker:9000/healthz") }
"""
_PHP_CLIENT = """\
<?php
namespace App\\Clients;

use GuzzleHttp\\Client;

final class Catalog
{
    private Client $http;

    public function __construct()
    {
        $this->http = new Client(['base_uri' => getenv('CATALOG_URL') ?: 'http://catalog', 'timeout' => 2.0]);
    }

    public function item(int $id): array
    {
        $json = file_get_contents("http://catalog/items/{$id}");
        return json_decode($this->http->get("/items/$id")->getBody(), true) ?? json_decode($json, true);
    }
}
"""
_CSHARP_CLIENT = """\
using System;
using System.Net.Http;
using System.Threading.Tasks;

namespace Ordering.Clients;

public sealed class BasketClient
{
    private static readonly HttpClient Http = new()
    {
        BaseAddress = new Uri("http://basket-api"), Timeout = TimeSpan.FromSeconds(5),
    };

    public async Task<string> GetAsync(string id)
    {
        var reply = await Http.GetAsync($"/api/v1/basket/{id}");
        reply.EnsureSuccessStatusCode();
        return await reply.Content.ReadAsStringAsync();
    }
}
"""

TARGETS: tuple[Target, ...] = (
    Target("terraform", "infra/main.tf", "hcl", ("*.tf",)),
    Target("terraform", "infra/main.tf.json", "json", ("*.tf.json",)),
    Target("terraform", "infra/terraform.tfvars", "hcl", ("*.tfvars",)),
    Target("kubernetes", "k8s/app.yaml", "yaml", ("k8s:*",)),
    Target("compose", "docker-compose.yml", "yaml", ("*compose*.yml",)),
    Target("appconfig", ".env", "env", ("*.env",)),
    Target("appconfig", "src/main/resources/application.yml", "yaml", ("*application*.yml",)),
    Target("appconfig", "src/main/resources/application.properties", "properties", ("*.properties",),
           (_PROPERTIES,)),
    Target("appconfig", "shop/settings.py", "python", ("*settings.py",)),
    Target("appconfig", "config.py", "python", ("*config.py",)),
    Target("appconfig", "config/default.json", "json", ("*config/*.json",)),
    Target("appconfig", "nginx/nginx.conf", "nginx", ("*nginx.conf",)),
    Target("appconfig", "php.ini", "ini", (), (_PHP_INI,)),
    Target("appconfig", "config/database.yml", "yaml", (), (_DATABASE_YML,)),
    Target("appconfig", "postgresql.conf", "ini", (), (_POSTGRESQL_CONF,)),
    Target("appconfig", "my.cnf", "ini", (), (_MY_CNF,)),
    Target("buildfile", "orders/pom.xml", "xml", (), (_POM,)),
    Target("buildfile", "web/package.json", "json", (), (_PACKAGE_JSON,)),
    Target("buildfile", "api/pyproject.toml", "ini", (), (_PYPROJECT,)),
    Target("buildfile", "go.mod", "env", (), (_GO_MOD,)),
    Target("buildfile", "Gemfile", "env", (), (_GEMFILE,)),
    Target("buildfile", "services/orders/Dockerfile", "env", ("*Dockerfile",)),
    Target("telemetry", "monitoring/prometheus.yml", "yaml", (), (_PROMETHEUS,)),
    # Source code (auditor/code): a language without an extractor yet is a note, but is still fuzzed so that
    # it is covered the day its extractor lands.
    Target("code", "services/orders/client.py", "python", ("*.py",), (_PY_CLIENT,)),
    Target("code", "web/src/client.js", "curly", ("*.js",), (_JS_CLIENT,)),
    Target("code", "web/src/client.ts", "curly", ("*.ts",), (_JS_CLIENT,)),
    Target("code", "orders/src/main/java/OrderClient.java", "curly", ("*.java",), (_JAVA_CLIENT,)),
    Target("code", "cmd/geo/client.go", "curly", ("*.go",), (_GO_CLIENT,)),
    Target("code", "catalog/src/Catalog.php", "curly", ("*.php",), (_PHP_CLIENT,)),
    Target("code", "Ordering/BasketClient.cs", "curly", ("*.cs",), (_CSHARP_CLIENT,)),
)
PARSERS = ("terraform", "kubernetes", "compose", "appconfig", "buildfile", "telemetry", "code")


def fixture_files() -> list[tuple[str, bytes]]:
    """(path relative to fixtures/, bytes) of every fixture file, sorted."""
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_FILE_BYTES:
            out.append((path.relative_to(FIXTURES).as_posix(), path.read_bytes()))
    return out


def fixture_repos() -> list[str]:
    """The fixture folders, each a whole sample repository."""
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


_SEEDS: dict[Target, tuple[str, ...]] = {}
_ALL_TEXTS: list[str] = []


def _decoded(data: bytes) -> str | None:
    from auditor.discover import decode

    text, _ = decode("seed", data)
    return text


def _matches(target: Target, rel: str, text: str) -> bool:
    for pattern in target.patterns:
        if pattern == "k8s:*":
            from auditor.discover import kind_by_content, kind_by_name

            if rel.endswith((".yaml", ".yml")) and kind_by_name(rel) is None and \
                    kind_by_content(rel, text) == "kubernetes":
                return True
        elif fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch("/" + rel, pattern):
            if target.dialect == "python" and target.path == "config.py" and rel.endswith("settings.py"):
                continue
            return True
    return False


def seeds(target: Target) -> tuple[str, ...]:
    """The texts a target's inputs start from: fixtures in its dialect, or inline samples."""
    if target not in _SEEDS:
        found = []
        for rel, data in fixture_files():
            text = _decoded(data)
            if text is not None and _matches(target, rel, text):
                found.append(text)
        _SEEDS[target] = tuple(found) + target.inline
    return _SEEDS[target]


def all_texts() -> list[str]:
    """Every decodable fixture text (for splicing one format into another)."""
    if not _ALL_TEXTS:
        _ALL_TEXTS.extend(t for _, d in fixture_files() if (t := _decoded(d)) is not None)
    return _ALL_TEXTS


# --------------------------------------------------------------------------------------------------
# Choosers: where the randomness comes from
# --------------------------------------------------------------------------------------------------


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class DataChooser:
    """Draws from Hypothesis' `st.data()`, so examples replay and shrink."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.data = data
        self._st = st

    def integer(self, low: int, high: int) -> int:
        return int(self.data.draw(self._st.integers(low, high)))


def pick(chooser: Chooser, items: Sequence[Any]) -> Any:
    return items[chooser.integer(0, len(items) - 1)]


def small(chooser: Chooser, high: int) -> int:
    """A number in 0..high, log-uniform: as many draws under 10 as between 1000 and 10000."""
    if high <= 0:
        return 0
    bits = chooser.integer(0, high.bit_length())
    return min(high, chooser.integer(0, (1 << bits) - 1)) if bits else 0


def weighted(chooser: Chooser, options: Sequence[tuple[int, Any]]) -> Any:
    total = sum(weight for weight, _ in options)
    point = chooser.integer(0, total - 1)
    for weight, value in options:
        if point < weight:
            return value
        point -= weight
    return options[-1][1]


# --------------------------------------------------------------------------------------------------
# Interesting material
# --------------------------------------------------------------------------------------------------

HUGE_NUMBERS = (
    "1" + "0" * 5000, "-" + "9" * 5000, "0x" + "f" * 4000, "0b" + "1" * 5000, "0o" + "7" * 3000,
    "1e99999", "-1e99999", "1e-99999", "1.7976931348623157e309", "9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "1_000_000", "NaN", "nan", ".nan", "inf", "-inf", ".inf", "-.Inf", "Infinity",
    "-0", "0e0", "00", "08", "0x", "1e", "1.", ".5", "+1", "99999999999999999999m", "1e999Gi", "1e308Ki",
    "9" * 30 + "Mi", "0.000000000000000000001", "１２３", "²", "٣", "𝟙", "1\u00a0000", "10**5000", "10**10**10",
    "9**9**9", "2 << 10**9", "[0] * 10**9", "'a' * 10**10", "range(1e9)", "range(100000000000)",
    "length(range(9999999999))", "100000000000", "4294967296", "65536", "65535", "99999", "-1", "0",
)
UNICODE = (
    "\u00a0", "\u3000", "\u2028", "\u2029", "\ufeff", "\U0001f600", "\U0010fffd", "\U000e0041", "\u202e",
    "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\u0301", "\x85", "\x0b", "\x0c", "\x1c", "\x1e", "\x00",
    "\r", "\r\n", "\t", "\ufffd", "\uffff", "\ufdd0", "\u0130", "ß", "ﬃ", "\u212a", "\u0131", "\U0001d7d9",
    "\u0660", "\u00b2", "\uff11", "\u2163", "𐍈", "\u05d0", "\u0627",
)
SYNTAX = (
    '"', "'", "\\", "${", "}", "{{", "}}", "%{", "#", "//", "/*", "*/", "<<EOF\n", "EOF", "\n", ":", "=", "[",
    "]", "{", "(", ")", ",", ";", "&a ", "*a", "<<: *a", "!!binary ", "!!python/object/apply:os.system ['true']",
    "? ", "- ", "|", ">-", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "!x ", "@", "$", "$$",
    "${VAR:-default}", "${VAR:?err}", "${A:-${B:-${C}}}", "export ", "#{", "<%= %>", "\\\n", "include ",
    "location ~ ", "proxy_pass http://", "upstream ", "%(a)s", "\t", "  ", "~", "null", "true", "yes", "on",
    "[]", "{}", "[1, 2]", "{a: b}", "''", '""', "-", "--", "count.index", "each.key", "var.x", "local.y",
    "module.m.out", "data.aws_vpc.v.id", "[for x in y : x]", "{for k, v in m : k => v}", "a ? b : c",
    "<<-EOT\nx\nEOT\n", "length(x)", "lookup(m, k, 1)", "toset(range(1e9))", "merge({}, {})", "null_resource",
    "postgres://u:p@host:5432/db", "redis://[::1]:6379/0", "http://[::1", "http://host:99999999999999999",
    "http://:@/", "jdbc:mysql://h:3306/d?x=1", "mongodb+srv://a,b,c/", "amqp://%zz@h", "http://" + "a." * 200,
    "tcp://", "://", "localhost:", ":8080", "0.0.0.0:0", "[::]:80", "unix:/tmp/s", "file:///etc/passwd",
)
KEYS = (
    "replicas", "kind", "apiVersion", "metadata", "name", "spec", "template", "containers", "image", "resources",
    "limits", "requests", "cpu", "memory", "ports", "containerPort", "minReplicas", "maxReplicas", "selector",
    "matchLabels", "timeoutSeconds", "readinessProbe", "env", "value", "valueFrom", "data", "services",
    "depends_on", "environment", "deploy", "healthcheck", "command", "entrypoint", "volumes", "networks",
    "extends", "count", "for_each", "resource", "variable", "locals", "module", "source", "default",
    "instance_class", "multi_az", "max_connections", "pool", "timeout", "DATABASES", "CACHES", "CONN_MAX_AGE",
    "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "DATABASE_URL", "spring.datasource.url", "server", "location",
    "proxy_pass", "proxy_read_timeout", "worker_connections", "keepalive_timeout", "session.save_path",
)
LONG_UNITS = ("a", " ", "a ", "\t", "-", "a:", ":", "=", "${", "$", "{", "[", '"', "'", "\\", "a.", "a,", "0",
              "/", "%", "#", "http://", "@", "a=", "- ", "*", "{{", "}", "]", "\r", "\u00a0", "\U0001f600", "é")


# Deep nesting by dialect: each takes a depth and returns text.
def _chain(open_: str, middle: str, close: str) -> Callable[[int], str]:
    return lambda n: open_ * n + middle + close * n


def _lines(make: Callable[[int], str], head: str = "", tail: str = "") -> Callable[[int], str]:
    return lambda n: head + "".join(make(i) for i in range(n)) + tail


NESTING: dict[str, tuple[Callable[[int], str], ...]] = {
    "hcl": (
        lambda n: "a = " + _chain("[", "1", "]")(n) + "\n",
        lambda n: "a = " + _chain("{b = ", "1", "}")(n) + "\n",
        lambda n: 'resource "aws_sqs_queue" "q" {\n' + _chain("b {\n", "", "}\n")(n) + "}\n",
        lambda n: "a = " + _chain("(", "1", ")")(n) + "\n",
        lambda n: 'a = "' + _chain("${", "x", "}")(n) + '"\n',
        lambda n: 'a = "' + _chain('${f("', "x", '")}')(n) + '"\n',
        lambda n: "a = " + _chain("f(", "", ")")(n) + "\n",
        lambda n: "a = " + "!" * n + "true\n",
        lambda n: "a = " + "-" * n + "1\n",
        lambda n: "a = " + "x ? " * n + "1" + " : 2" * n + "\n",
        lambda n: "a = " + "1 + " * n + "1\n",
        lambda n: "a = x" + ".y" * n + "\n",
        lambda n: "a = x" + "[0]" * n + "\n",
        lambda n: "a = " + _chain("[for x in ", "y", " : x]")(n) + "\n",
        _lines(lambda i: f"  l{i} = local.l{i + 1}\n", "locals {\n", "}\n"),
        _lines(lambda i: f'  l{i + 1} = "${{local.l{i}}}${{local.l{i}}}"\n', 'locals {\n  l0 = "xx"\n', "}\n"),
        _lines(lambda i: f'variable "v{i}" {{\n  default = var.v{i + 1}\n}}\n'),
        _lines(lambda i: f'resource "aws_instance" "i{i}" {{\n  count = 100000\n  subnet_id = aws_subnet.s.id\n'
                         f"  depends_on = [aws_instance.i{i + 1}]\n}}\n"),
        _lines(lambda i: f'module "m{i}" {{\n  source = "./m{i}"\n}}\n'),
        lambda n: "locals {\n  a = local.b\n  b = local.a\n  c = [for i in range(" + str(n) + ") : i]\n}\n",
        lambda n: 'resource "aws_instance" "x" {\n  count = ' + str(10**min(n, 300)) + "\n}\n",
    ),
    "json": (
        _chain("[", "", "]"),
        _chain('{"a":', "1", "}"),
        lambda n: '{"resource": {"aws_sqs_queue": {"q": ' + _chain('{"b":', "1", "}")(n) + "}}}",
        lambda n: '{"locals": {"a": "' + _chain("${", "x", "}")(n) + '"}}',
        lambda n: "[" * n,
        lambda n: '{"a": "' + "\\u0000" * n + '"}',
    ),
    "yaml": (
        _lines(lambda i: "  " * i + "a:\n"),
        lambda n: "- " * n + "x\n",
        lambda n: "a: " + _chain("[", "", "]")(n) + "\n",
        lambda n: "a: " + _chain("{b: ", "1", "}")(n) + "\n",
        lambda n: "? " * n + "x\n",
        lambda n: "---\n" * n,
        lambda n: "a: " + "[" * n + "\n",
        _lines(lambda i: f"a{i + 1}: &a{i + 1} [*a{i}, *a{i}, *a{i}]\n", "a0: &a0 [x, x, x]\n"),
        _lines(lambda i: f"s{i}: &s{i}\n  <<: *s{i - 1}\n  k{i}: v\n" if i else "s0: &s0\n  k: v\n"),
        _lines(lambda i: f"  s{i}:\n    image: x\n    depends_on: [s{i + 1}]\n    extends: s{i + 1}\n",
               "services:\n"),
        _lines(lambda i: f"  s{i}:\n    extends:\n      service: s{(i + 1) % 2}\n", "services:\n"),
        _lines(lambda i: f"  V{i + 1}: ${{V{i}}}${{V{i}}}\n", "x:\n  V0: xx\n"),
        _lines(lambda i: f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\n"
                         f"spec: {{selector: {{app: a}}, ports: [{{port: {i}}}]}}\n"
                         f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\n"
                         "spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i,"
                         f" env: [{{name: URL, value: 'http://s{i}:80'}}]}}]}}}}}}\n"),
    ),
    "python": (
        lambda n: "X = " + _chain("(", "1", ")")(n) + "\n",
        lambda n: "X = " + _chain("[", "", "]")(n) + "\n",
        lambda n: "X = " + "-" * n + "1\n",
        lambda n: "X = " + "1+" * n + "1\n",
        lambda n: "X = " + "9999999999*" * n + "1\n",
        lambda n: "X = " + _chain("{'a': ", "1", "}")(n) + "\n",
        lambda n: "DATABASES = " + _chain("{'default': ", "{}", "}")(n) + "\n",
        _lines(lambda i: " " * i + "if 1:\n", "", "X = 1\n"),
        lambda n: "X = " + "a." * n + "b\n",
        lambda n: "X = " + _chain("f(", "", ")")(n) + "\n",
        lambda n: "X = f'" + _chain("{f'", "x", "'}")(min(n, 3)) + "'\n",
        lambda n: "X = " + " + ".join(["'a'"] * n) + "\n",
        _lines(lambda i: f"V{i + 1} = V{i} + V{i}\n", "V0 = 'xx'\n"),
        _lines(lambda i: f"N{i + 1} = N{i} * N{i}\n", "N0 = 99\n"),
        lambda n: "X = 0x" + "f" * n + "\n",
        lambda n: "class C:\n" + "".join(" " * (i + 1) + f"class C{i}:\n" for i in range(n)) + " " * (n + 1) + "x=1\n",
    ),
    "curly": (
        lambda n: "x = " + _chain("(", "1", ")")(n) + ";\n",
        lambda n: "x = " + _chain("[", "", "]")(n) + ";\n",
        lambda n: _chain("{\n", "x();\n", "}\n")(n),
        lambda n: "x = " + _chain("f(", "", ")")(n) + ";\n",
        lambda n: "function f() {\n" + _chain("if (a) {\n", "return g();\n", "}\n")(n) + "}\n",
        lambda n: "x = `" + _chain("${`", "x", "`}")(n) + "`;\n",
        lambda n: 'x = "' + "{$" * n + '";\n',
        lambda n: "x = " + "a." * n + "b();\n",
        lambda n: "x = " + "1 + " * n + "1;\n",
        lambda n: "x = " + "a ? " * n + "1" + " : 2" * n + ";\n",
        lambda n: "x = " + "<" * n + "T" + ">" * n + ";\n",
        lambda n: "/*" * n + "x" + "*/" * n + "\n",
        _lines(lambda i: f"class C{i} extends C{i + 1} {{ }}\n"),
        _lines(lambda i: f'const u{i} = "http://s{i}:80/" + u{i + 1};\nfetch(u{i});\n'),
        lambda n: "<?php\n" + "?><?php " * n + "\n",
    ),
    "nginx": (
        lambda n: "http {\n" + _chain("server {\n", "", "}\n")(n) + "}\n",
        lambda n: _chain("location / {\n", "proxy_pass http://a;\n", "}\n")(n),
        lambda n: "a " + "'" * n + ";\n",
        lambda n: "a " + "{" * n + "\n",
        lambda n: "upstream u {\n" + "".join(f"server s{i}:80;\n" for i in range(n)) + "}\n",
        lambda n: "set $a " + "$a" * n + ";\n",
    ),
    "ini": (
        lambda n: "[" * n + "\n",
        lambda n: "a" + "." * n + "=1\n",
        lambda n: "a = " + _chain("${", "x", "}")(n) + "\n",
        lambda n: "a = 1" + " \\\n" * n + "\n",
        lambda n: "a = %(b)s\nb = %(a)s\n" + "c = " + "%(a)s" * n + "\n",
        _lines(lambda i: f"[s{i}]\nk = v\n"),
    ),
    "env": (
        _lines(lambda i: f"A{i + 1}=${{A{i}}}${{A{i}}}\n", "A0=xx\n"),
        lambda n: "A=" + _chain("${A:-", "x", "}")(n) + "\n",
        lambda n: "A=" + '"' * n + "\n",
        lambda n: "A=1" + "\\\n" * n + "\n",
        lambda n: "A='" + "\\'" * n + "\n",
        _lines(lambda i: f"export K{i}=postgres://u:p@h{i}:5432/d\n"),
        lambda n: "A=${B}\nB=${A}\n" + "C=" + "${A}" * n + "\n",
    ),
    "xml": (
        _chain("<a>", "x", "</a>"),
        _chain("<a b='", "", "'>"),
        lambda n: "<project>" + "<a>" * n + "</project>",
        lambda n: "<project>" + "</a>" * n + "</project>",
        lambda n: "<!DOCTYPE p [" + "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};">' for i in range(1, n))
        + "]><p>&e9;</p>",
        _chain("<!--", "", "-->"),
        _lines(lambda i: f"<dependency><artifactId>a{i}</artifactId></dependency>\n", "<project><dependencies>",
               "</dependencies></project>"),
    ),
    "properties": (
        lambda n: "a = " + _chain("${", "x", "}")(n) + "\n",
        lambda n: "a = " + _chain("${a:", "x", "}")(n) + "\n",
        lambda n: "a = 1" + "\\\n" * n + "\n",
        _lines(lambda i: f"p{i + 1}=${{p{i}}}${{p{i}}}\n", "p0=xx\n"),
        lambda n: "a" + "." * n + "b=1\n",
        lambda n: "a" + "\\ " * n + "=1\n",
    ),
}
DEPTHS = (3, 10, 50, 99, 100, 101, 199, 200, 201, 255, 256, 257, 500, 999, 1000, 1001, 3000, 10_000, 30_000,
          100_000, 300_000)


# --------------------------------------------------------------------------------------------------
# Mutators: text → text
# --------------------------------------------------------------------------------------------------

Mutator = Callable[[str, Chooser, Target], str]


def _position(text: str, chooser: Chooser) -> int:
    return chooser.integer(0, len(text)) if text else 0


def _line_start(text: str, chooser: Chooser) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return int(pick(chooser, starts))


def _span(text: str, chooser: Chooser) -> tuple[int, int]:
    """A span of characters or (half the time) of whole lines."""
    if not text:
        return 0, 0
    if chooser.integer(0, 1):
        lines = text.splitlines(keepends=True)
        first = chooser.integer(0, len(lines) - 1)
        count = 1 + small(chooser, len(lines) - first - 1)
        start = sum(len(line) for line in lines[:first])
        return start, start + sum(len(line) for line in lines[first:first + count])
    start = chooser.integer(0, len(text) - 1)
    return start, start + 1 + small(chooser, len(text) - start - 1)


def flip_bits(text: str, chooser: Chooser, target: Target) -> str:
    data = bytearray(text.encode("utf-8"))
    if not data:
        return text
    for _ in range(1 + small(chooser, 16)):
        index = chooser.integer(0, len(data) - 1)
        data[index] ^= 1 << chooser.integer(0, 7)
    return data.decode("utf-8", errors="replace")


def truncate(text: str, chooser: Chooser, target: Target) -> str:
    return text[: _position(text, chooser)]


def delete_span(text: str, chooser: Chooser, target: Target) -> str:
    start, end = _span(text, chooser)
    return text[:start] + text[end:]


def duplicate_span(text: str, chooser: Chooser, target: Target) -> str:
    start, end = _span(text, chooser)
    times = 1 + small(chooser, 100_000)
    copies = text[start:end] * min(times, MAX_FILE_BYTES // max(1, end - start))
    at = pick(chooser, (end, start, _position(text, chooser)))
    return text[:at] + copies + text[at:]


def swap_lines(text: str, chooser: Chooser, target: Target) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return text
    a, b = chooser.integer(0, len(lines) - 1), chooser.integer(0, len(lines) - 1)
    lines[a], lines[b] = lines[b], lines[a]
    return "".join(lines)


def insert_token(text: str, chooser: Chooser, target: Target) -> str:
    token = pick(chooser, pick(chooser, (HUGE_NUMBERS, UNICODE, SYNTAX, KEYS)))
    at = _line_start(text, chooser) if chooser.integer(0, 3) == 0 else _position(text, chooser)
    return text[:at] + token + text[at:]


_VALUE = re.compile(r"(?<=[:=] )[^\n]*|(?<=[:=])[^\s\n][^\n]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def replace_value(text: str, chooser: Chooser, target: Target) -> str:
    """A value after `key: ` or `key = ` becomes a huge number, another type, or an odd token."""
    matches = list(_VALUE.finditer(text))
    if not matches:
        return insert_token(text, chooser, target)
    match = pick(chooser, matches)
    token = pick(chooser, pick(chooser, (HUGE_NUMBERS, SYNTAX, UNICODE)))
    return text[: match.start()] + token + text[match.end():]


def replace_number(text: str, chooser: Chooser, target: Target) -> str:
    matches = list(_NUMBER.finditer(text))
    if not matches:
        return insert_token(text, chooser, target)
    match = pick(chooser, matches)
    return text[: match.start()] + pick(chooser, HUGE_NUMBERS) + text[match.end():]


def unicode_swap(text: str, chooser: Chooser, target: Target) -> str:
    """Spaces, newlines or letters become their unicode look-alikes and edge cases."""
    kind = chooser.integer(0, 3)
    if kind == 0:
        old, choices = " ", ("\u00a0", "\u3000", "\u2007", "\t", "\u200b")
    elif kind == 1:
        old, choices = "\n", ("\u2028", "\u2029", "\x85", "\r", "\r\n", "\x0b", "\x0c", "\x1e")
    elif kind == 2:
        old, choices = "i", ("\u0130", "\u0131", "\u0456")
    else:
        old, choices = "k", ("\u212a", "\u03ba")
    new = pick(chooser, choices)
    if chooser.integer(0, 1):
        return text.replace(old, new)
    indexes = [m.start() for m in re.finditer(re.escape(old), text)]
    if not indexes:
        return text + new
    at = pick(chooser, indexes)
    return text[:at] + new + text[at + 1:]


def line_endings(text: str, chooser: Chooser, target: Target) -> str:
    choice = chooser.integer(0, 4)
    if choice == 0:
        return text.replace("\n", "\r\n")
    if choice == 1:
        return text.replace("\n", "\r")
    if choice == 2:
        return text.rstrip("\n")
    if choice == 3:
        return "\ufeff" + text
    at = _position(text, chooser)
    return text[:at] + pick(chooser, ("\r", "\ufeff", "\x00", "\r\n", "\n\r")) + text[at:]


def long_line(text: str, chooser: Chooser, target: Target) -> str:
    unit = pick(chooser, LONG_UNITS)
    length = pick(chooser, (1000, 10_000, 100_000, 500_000, 1_000_000, 2_000_000)) // len(unit)
    at = _line_start(text, chooser) if chooser.integer(0, 1) else _position(text, chooser)
    prefix = pick(chooser, ("", "a: ", "a = ", "A=", "X = '", 'a = "', "- ", "key: value"))
    return text[:at] + prefix + unit * length + text[at:]


def nest(text: str, chooser: Chooser, target: Target) -> str:
    dialect = target.dialect if chooser.integer(0, 4) else pick(chooser, sorted(NESTING))
    make = pick(chooser, NESTING[dialect])
    depth = pick(chooser, DEPTHS)
    while depth > 3 and predicted_size(make, depth) > MAX_FILE_BYTES:
        depth //= 2
    nested = make(depth)
    if chooser.integer(0, 2) == 0:
        return nested
    at = _line_start(text, chooser)
    return text[:at] + nested + text[at:]


def predicted_size(make: Callable[[int], str], depth: int) -> int:
    """The length of `make(depth)` without building it (indentation nesting grows with the square)."""
    small_, large = len(make(32)), len(make(64))
    if large > 3 * small_:
        return large * (depth // 64 + 1) ** 2
    return large * (depth // 64 + 1)


def splice(text: str, chooser: Chooser, target: Target) -> str:
    other = pick(chooser, all_texts())
    start, end = _span(other, chooser)
    at = _position(text, chooser)
    return text[:at] + other[start:end] + text[at:]


def nul(text: str, chooser: Chooser, target: Target) -> str:
    at = _position(text, chooser)
    return text[:at] + "\x00" * (1 + small(chooser, 10)) + text[at:]


MUTATORS: tuple[tuple[int, Mutator], ...] = (
    (6, flip_bits), (3, truncate), (5, delete_span), (5, duplicate_span), (2, swap_lines), (8, insert_token),
    (8, replace_value), (5, replace_number), (4, unicode_swap), (4, line_endings), (3, long_line), (5, nest),
    (3, splice), (1, nul),
)


def cap(text: str, max_bytes: int) -> str:
    """At most `max_bytes` of UTF-8 (the discovery limit for real runs; smaller in CI)."""
    if len(text) * 4 <= max_bytes:
        return text
    data = text.encode("utf-8")
    return data[:max_bytes].decode("utf-8", errors="ignore") if len(data) > max_bytes else text


def mutate(text: str, chooser: Chooser, target: Target, max_bytes: int = MAX_FILE_BYTES) -> str:
    for _ in range(1 + small(chooser, 6)):
        text = cap(weighted(chooser, MUTATORS)(text, chooser, target), max_bytes)
    return text


_RANDOM_ALPHABET = "".join(chr(c) for c in range(32, 127)) + "\n\n\n\t\r"


def random_text(chooser: Chooser, target: Target, max_pieces: int = 200, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Text from nothing: printable ASCII, unicode edge cases, the dialect's syntax and keys, repeats."""
    pieces: list[str] = []
    size = 0
    for _ in range(small(chooser, max_pieces)):
        kind = chooser.integer(0, 9)
        if kind <= 3:
            piece = _RANDOM_ALPHABET[chooser.integer(0, len(_RANDOM_ALPHABET) - 1)]
        elif kind == 4:
            piece = pick(chooser, UNICODE)
        elif kind == 5:
            piece = chr(chooser.integer(0xA0, 0xD7FF)) if chooser.integer(0, 1) else chr(
                chooser.integer(0xE000, 0x10FFFF))
        elif kind == 6:
            piece = pick(chooser, SYNTAX)
        elif kind == 7:
            piece = pick(chooser, KEYS) + pick(chooser, (": ", " = ", "=", ":", " { ", "\n"))
        elif kind == 8:
            piece = pick(chooser, HUGE_NUMBERS)
        else:
            last = pieces[-1] if pieces else "a"
            piece = last * min(1 + small(chooser, 10_000), max(1, (max_bytes // 4 - size) // len(last)))
        if size + len(piece) > max_bytes // 4:
            break
        pieces.append(piece)
        size += len(piece)
    return cap("".join(pieces), max_bytes)


def input_limit(target: Target, max_bytes: int) -> int:
    """The largest input `target` can meet in a real run: discovery does not read source code over
    MAX_CODE_BYTES (1 MB; a bigger file is generated or bundled), every other kind up to the file limit."""
    if target.parser == "code":
        from auditor.model import MAX_CODE_BYTES
        return min(max_bytes, MAX_CODE_BYTES)
    return max_bytes


def parser_input(chooser: Chooser, target: Target, max_bytes: int = MAX_FILE_BYTES) -> str:
    """One input for a parser: mostly a mutated seed, sometimes random text or a generator alone."""
    max_bytes = input_limit(target, max_bytes)
    mode = chooser.integer(0, 19)
    if mode == 0:
        return random_text(chooser, target, max_bytes=max_bytes)
    if mode == 1:
        return cap(nest("", chooser, target), max_bytes)
    if mode == 2:
        return mutate(random_text(chooser, target, max_bytes=max_bytes), chooser, target, max_bytes)
    pool = seeds(target)
    seed = pick(chooser, pool) if pool and chooser.integer(0, 9) else pick(chooser, all_texts())
    return mutate(seed, chooser, target, max_bytes)


# --------------------------------------------------------------------------------------------------
# Whole repositories, as bytes: audit reads files, so encodings and names are fuzzed too
# --------------------------------------------------------------------------------------------------

ODD_NAMES = (
    "[bold]x[/bold].tf", "a b/c d.env", "ünïcødé/application.yml", "k8s/\u202etxt.yaml", "x\ny.tf",
    "deep/" + "d/" * 60 + "main.tf", "-rf.tf", "%s%n.tf", "$(touch x).env", "{{.Values}}.yaml", "<script>.tf",
    "templates/deployment.yaml", "Chart.yaml", "values.yaml", "compose.yaml", "docker-compose.override.yml",
    ".auditor.yaml", "settings/base.py", "config/production.json", "nginx/conf.d/default.conf",
    "a" * 200 + ".tf", "\u00a0.env", "COM1.tf", "config/database.yml", "php/php.ini", "mysql/conf.d/x.cnf",
)
_AUDITOR_YAML = """\
exclude: ["vendor/**"]
fail_on: medium
max_file_bytes: 1000000
rules:
  disable: [AVAIL001]
  severity: {STATE001: low}
  options:
    AVAIL001: {min_replicas: 3}
ignore:
  - rule: AVAIL002
    resource: "k8s:Deployment/api"
    reason: fuzz
    until: 2999-01-01
"""


def repo_files(name: str) -> dict[str, bytes]:
    base = FIXTURES / name
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def _encode(text: str, chooser: Chooser) -> bytes:
    choice = chooser.integer(0, 11)
    if choice == 0:
        return text.encode("utf-8-sig")
    if choice == 1:
        return text.encode("utf-16")  # with a BOM, as discovery expects
    if choice == 2:
        return b"\xfe\xff" + text.encode("utf-16-be")
    data = text.encode("utf-8")
    if choice == 3 and data:
        raw = bytearray(data)
        for _ in range(1 + small(chooser, 8)):
            raw[chooser.integer(0, len(raw) - 1)] ^= 1 << chooser.integer(0, 7)  # invalid UTF-8 too
        return bytes(raw)
    return data


def repo_input(chooser: Chooser, max_bytes: int = MAX_FILE_BYTES) -> dict[str, bytes]:
    """A fixture repository with some files mutated, renamed, added or removed."""
    files = repo_files(pick(chooser, fixture_repos()))
    names = sorted(files)
    for _ in range(1 + small(chooser, 4)):
        action = chooser.integer(0, 9)
        if action <= 5 and names:
            name = pick(chooser, names)
            target = _target_for(name)
            text = files[name].decode("utf-8", errors="replace")
            files[name] = _encode(mutate(text, chooser, target, max_bytes), chooser)
        elif action == 6:
            target = pick(chooser, TARGETS)
            name = pick(chooser, (target.path, pick(chooser, ODD_NAMES)))
            files[name] = _encode(parser_input(chooser, target, max_bytes), chooser)
        elif action == 7 and names:
            name = pick(chooser, names)
            files[pick(chooser, ODD_NAMES)] = files.pop(name, b"")
        elif action == 8:
            files[".auditor.yaml"] = _encode(mutate(_AUDITOR_YAML, chooser, TARGETS[3], max_bytes), chooser)
        elif names:
            files.pop(pick(chooser, names), None)
        names = sorted(files)
    return files


def _target_for(name: str) -> Target:
    for target in TARGETS:
        if _matches(target, name, ""):
            return target
    return TARGETS[3]


def write_repo(root: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Write the files under `root`; returns those that could be written (a name may be invalid)."""
    written = {}
    for name, data in files.items():
        path = root / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except (OSError, ValueError):
            continue
        written[name] = data
    return written


# --------------------------------------------------------------------------------------------------
# Checks (run in the worker)
# --------------------------------------------------------------------------------------------------

# A caught Python exception quoted in a message: "(TypeError: ...)", "(KeyError)", "failed: ValueError: ...".
MASKED = re.compile(r"(?:\(|failed: )((?:[A-Z][A-Za-z]*)?(?:Error|Exception|Iteration|Exit|Interrupt))\b(?::|\))")


@dataclass(frozen=True)
class Problem:
    kind: str  # crash | died | timeout | too-slow | internal-error | masked-exception | bad-path | bad-line
    #            | bad-location | nondeterministic | harness | memory
    summary: str
    key: str = ""
    traceback: str = ""


def line_count(text: str) -> int:
    """Lines as the widest convention counts them (YAML also breaks at U+2028/U+2029/NEL; splitlines does)."""
    return max(1, len(text.splitlines()))


def _shape(message: str) -> str:
    """A message with its variable parts (quoted text, numbers) blanked, for de-duplication."""
    message = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "…", message)
    return re.sub(r"\d+", "N", message)[:80]


def check_diagnostics(diagnostics: Iterable[Any], lines: dict[str, int], where: str) -> list[Problem]:
    """Each diagnostic names an input path and a line inside it; no internal error, caught or not."""
    problems = []
    for d in diagnostics:
        exception = MASKED.search(d.message)
        if d.code in ("internal-error", "rule-error"):
            problems.append(Problem("internal-error", f"{d.code} diagnostic: {d.message[:300]}",
                                    f"{d.code}: {exception.group(1) if exception else _shape(d.message)}"))
        elif exception:
            problems.append(Problem("masked-exception", f"{d.code} diagnostic hides an exception: {d.message[:300]}",
                                    f"masked: {exception.group(1)}: {_shape(d.message)}"))
        if d.path not in lines:
            problems.append(Problem("bad-path", f"diagnostic path {d.path!r} is not the input's ({d.message[:100]})",
                                    f"bad-path {where}: {_shape(d.message)}"))
        elif d.line is not None and (not isinstance(d.line, int) or isinstance(d.line, bool)
                                     or not 1 <= d.line <= lines[d.path]):
            past_end = " (one past the last line)" if d.line == lines[d.path] + 1 else ""
            problems.append(Problem("bad-line", f"diagnostic line {d.line!r} outside 1..{lines[d.path]}{past_end}: "
                                    f"{d.message[:150]}", f"bad-line{past_end} {where}: {_shape(d.message)}"))
    return problems


def _locations(facts: Any) -> Iterable[tuple[str, Any]]:
    for node in facts.nodes:
        yield f"node {node.id}", node.location
        for attr, location in node.evidence.items():
            yield f"evidence {attr} of {node.id}", location
        for setting in node.settings:
            yield f"setting {setting.key}", setting.location
    for edge in facts.edges:
        yield f"edge {edge.source}->{edge.target}", edge.location


def check_facts(path: str, text: str, facts: Any) -> list[Problem]:
    lines = line_count(text)
    problems = check_diagnostics(facts.diagnostics, {path: lines}, facts.kind)
    if facts.path != path:
        problems.append(Problem("bad-path", f"Facts.path {facts.path!r} != {path!r}", f"facts-path {facts.kind}"))
    for what, location in _locations(facts):
        if location.path == path and not 1 <= location.line <= location.end_line <= lines:
            past_end = " (one past the last line)" if location.end_line == lines + 1 else ""
            problems.append(Problem("bad-location", f"{what} at lines {location.line}-{location.end_line}, "
                                    f"outside 1..{lines}{past_end}",
                                    f"bad-location{past_end} {facts.kind} {what.split()[0]}"))
            break
    return problems


def canonical(value: Any) -> Any:
    """A comparable form of parser output: dataclasses, dicts and sets in a fixed order, floats by repr."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return ("dict", *sorted(((repr(canonical(k)), canonical(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (set, frozenset)):
        return ("set", *sorted(repr(canonical(v)) for v in value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(canonical(v) for v in value))
    if isinstance(value, int) and not isinstance(value, bool):
        return hex(value)  # repr() refuses ints over 4300 digits
    return repr(value)


_BUDGET_CODES = frozenset({"too-slow", "too-large"})


def _stopped_by_budget(value: Any) -> bool:
    """Whether parsed facts (one Facts or a list) carry a diagnostic of a parse that a budget stopped."""
    items = value if isinstance(value, list | tuple) else [value]
    return any(getattr(d, "code", "") in _BUDGET_CODES for item in items for d in getattr(item, "diagnostics", ()))


def digest(value: Any) -> str:
    try:
        return hashlib.sha256(repr(canonical(value)).encode("utf-8", "surrogatepass")).hexdigest()
    except RecursionError:
        return "too-deep-to-compare"


# --------------------------------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------------------------------


def _innermost(frames: Iterable[tuple[str, int, str]], with_line: bool = True) -> str:
    """'parsers/hcl.py:123 _walk' for the innermost frame in auditor/ (frames listed innermost first)."""
    frames = list(frames)
    for filename, lineno, function in frames:
        marker = filename.replace("\\", "/").rfind("/auditor/")
        if marker >= 0:
            where = filename[marker + len("/auditor/"):]
            return f"{where}:{lineno} {function}" if with_line else f"{where} {function}"
    if frames:
        filename, lineno, function = frames[0]
        return f"{Path(filename).name}:{lineno} {function}"
    return "?"


def _exception_problem(error: BaseException) -> Problem:
    import traceback

    frames = [(f.filename, f.lineno or 0, f.name) for f in reversed(traceback.extract_tb(error.__traceback__))]
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    name = type(error).__name__
    return Problem("crash", f"{name}: {str(error)[:300]}", f"{name} at {_innermost(frames)}", _tail(text))


def _tail(text: str, lines: int = 24) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _cpu_with_children() -> float:
    """CPU seconds of this process and of the children it has waited for: an audit parses Terraform and source
    code in a forked worker (auditor/scan.py), whose time is the input's too."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class _Child:
    """State of the worker process: its output channel and the faulthandler dump file.

    Where a slow input was at the limit comes from a stack dump taken when the worker has used `limit` of
    CPU time (SIGPROF from a profiling timer, which counts CPU time, dumped by faulthandler in the worker's
    own thread); a dump on wall time would fire on every input a busy machine slows down, and dumping from
    faulthandler's watchdog thread, beside a running parse, sometimes crashes the process.
    """

    def __init__(self, dump_path: str) -> None:
        import faulthandler
        import signal

        self.dump = open(dump_path, "w+")  # noqa: SIM115 - lives as long as the process
        faulthandler.enable(file=self.dump)
        faulthandler.register(signal.SIGPROF, file=self.dump, all_threads=False)
        self.faulthandler = faulthandler
        self.signal = signal
        self.rules: Any = None
        self.last_stack = ""

    def arm(self, limit: float) -> None:
        self.dump.seek(0)
        self.dump.truncate()
        self.signal.setitimer(self.signal.ITIMER_PROF, limit)

    def disarm(self) -> str:
        self.signal.setitimer(self.signal.ITIMER_PROF, 0)
        self.dump.flush()
        self.dump.seek(0)
        return self.dump.read()

    def timed(self, limit: float, call: Callable[[], Any]) -> tuple[Any, float, float, BaseException | None]:
        """(value, CPU seconds, wall seconds, exception); `last_stack` keeps the dump taken if the call ran past
        `limit` of CPU time (a call is judged by its CPU time, which a busy machine does not inflate)."""
        self.arm(limit)
        cpu, start = _cpu_with_children(), time.perf_counter()
        try:
            return call(), _cpu_with_children() - cpu, time.perf_counter() - start, None
        except BaseException as error:  # noqa: BLE001 - report whatever escapes, even SystemExit
            return None, _cpu_with_children() - cpu, time.perf_counter() - start, error
        finally:
            self.last_stack = self.disarm()

    def parse(self, job: dict[str, Any]) -> dict[str, Any]:
        from auditor.scan import _PARSERS

        parse = _PARSERS[job["parser"]]
        path, text, limit = job["path"], job["text"], job["limit"]
        facts, seconds, wall, error = self.timed(limit, lambda: parse(path, text))
        problems: list[Problem] = []
        if seconds > limit:
            problems.append(_slow_problem(seconds, wall, limit, self.last_stack))
        if error is not None:
            return {"seconds": seconds, "wall": wall, "problems": [_exception_problem(error), *problems]}
        problems.extend(check_facts(path, text, facts))
        if not job.get("repeat") or seconds > limit / 4:  # a slow input is not run twice: it would cost CI time
            return {"seconds": seconds, "wall": wall, "problems": problems}
        again, _, _, error2 = self.timed(limit, lambda: parse(path, text))
        first = digest(facts)
        if error2 is not None:
            problems.append(Problem("nondeterministic", f"second run raised {type(error2).__name__}",
                                    f"nondeterministic {job['parser']}"))
        elif digest(again) != first and not (_stopped_by_budget(facts) or _stopped_by_budget(again)):
            # A parse stopped by its CPU budget is the one exception: near the budget's edge one run finishes and
            # the next does not, by how busy the machine is (parsers/treesitter.py). Anything else must repeat.
            problems.append(Problem("nondeterministic", "a second parse of the same text gives other facts",
                                    f"nondeterministic {job['parser']}"))
        return {"seconds": seconds, "wall": wall, "problems": problems, "digest": first}

    def audit(self, job: dict[str, Any]) -> dict[str, Any]:
        from auditor.audit import load_all_rules

        root, limit = Path(job["root"]), job["limit"]
        if self.rules is None:
            self.rules = load_all_rules()
        outcome, seconds, wall, error = self.timed(limit, lambda: _audit_and_report(root, self.rules))
        problems: list[Problem] = []
        if seconds > limit:
            problems.append(_slow_problem(seconds, wall, limit, self.last_stack))
        if error is not None:
            return {"seconds": seconds, "wall": wall, "problems": [_exception_problem(error), *problems]}
        diagnostics, reports = outcome
        problems.extend(check_diagnostics(diagnostics, job["lines"], "audit"))
        return {"seconds": seconds, "wall": wall, "problems": problems,
                "digest": hashlib.sha256("\0".join(reports).encode("utf-8", "surrogatepass")).hexdigest()}

    def trace(self, job: dict[str, Any]) -> dict[str, Any]:
        """Re-run a job, recording where each exception was raised (for one a parser caught and quoted)."""
        raised: dict[int, tuple[str, str, list[tuple[str, int, str]]]] = {}
        keep: list[BaseException] = []  # ids stay unique while the exceptions live

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "exception" and id(arg[1]) not in raised and len(raised) < 5000:
                keep.append(arg[1])
                frames, current = [], frame
                while current is not None:
                    frames.append((current.f_code.co_filename, current.f_lineno, current.f_code.co_name))
                    current = current.f_back
                raised[id(arg[1])] = (type(arg[1]).__name__, str(arg[1])[:300], frames)
            return local

        def call(frame: Any, event: str, arg: Any) -> Any:
            frame.f_trace_lines = False
            return local

        inner = job["job"]
        sys.settrace(call)
        try:
            getattr(self, inner["op"])(inner)
        finally:
            sys.settrace(None)
        return {"seconds": 0.0, "problems": [], "raised": list(raised.values())}


def _slow_problem(seconds: float, wall: float, limit: float, stack: str) -> Problem:
    where = _innermost(_dump_frames(stack), with_line=False)
    return Problem("too-slow", f"took {seconds:.2f}s of CPU ({wall:.2f}s wall; limit {limit:g}s of CPU); "
                   f"at {limit:g}s of CPU it was in {where}", f"slow in {where}", _tail(stack))


_DUMP_FRAME = re.compile(r'^\s*File "(.*)", line (\d+) in (\S+)', re.MULTILINE)


def _dump_frames(stack: str, last: bool = False) -> list[tuple[str, int, str]]:
    """Frames of a faulthandler dump (most recent call first): its first thread, or the last one dumped."""
    blocks = [b for b in re.split(r"\n\s*\n", stack) if _DUMP_FRAME.search(b)]
    if not blocks:
        return []
    block = blocks[-1] if last else blocks[0]
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in _DUMP_FRAME.finditer(block)]


def _audit_and_report(root: Path, rules: Any) -> tuple[list[Any], list[str]]:
    """audit() as the CLI runs it, then every report format rendered (reporters see hostile data too)."""
    import io
    import json
    import xml.etree.ElementTree as ET

    from rich.console import Console

    from auditor.audit import audit
    from auditor.config import ConfigError, load_config
    from auditor.report import FILE_FORMAT_NAMES, renderer
    from auditor.report import terminal as terminal_report

    with contextlib.suppress(ConfigError):
        load_config(root)  # the repo's own config is untrusted input too
    result = audit(root, rules=rules)
    reports = [renderer(name)(result) for name in sorted(FILE_FORMAT_NAMES)]
    json.loads(renderer("json")(result))
    json.loads(renderer("sarif")(result))
    ET.fromstring(renderer("junit")(result))
    console = Console(file=io.StringIO(), width=120, color_system=None, force_terminal=False)
    terminal_report.render(result, console)
    reports.append(console.file.getvalue())  # type: ignore[attr-defined]
    return list(result.diagnostics), reports


def _send(out: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(struct.pack("!Q", len(data)) + data)
    out.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(stream: BinaryIO) -> Any:
    (size,) = struct.unpack("!Q", _read_exactly(stream, 8))
    return pickle.loads(_read_exactly(stream, size))


def worker_main() -> None:
    """The worker's loop: read a job from stdin, answer on the original stdout (which parsers cannot reach)."""
    import resource
    import warnings

    warnings.simplefilter("ignore")
    from auditor.cli import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)  # the collector settings the CLI runs every audit with
    memory = int(os.environ.get("FUZZ_MEMORY_MB", "0"))
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory << 20, memory << 20))
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = os.fdopen(0, "rb")
    child = _Child(os.environ["FUZZ_DUMP"])
    for module in ("auditor.audit", "auditor.report", "auditor.scan"):  # imported before the first timed job
        importlib.import_module(module)
    from auditor.parsers import hcl

    hcl.parse_document("a = 1\n")
    _send(out, "ready")
    while True:
        try:
            job = _receive(stdin)
        except EOFError:
            return
        try:
            answer = getattr(child, job["op"])(job)
        except BaseException as error:  # noqa: BLE001 - the harness itself must keep going
            answer = {"seconds": 0.0, "problems": [dataclasses.replace(_exception_problem(error), kind="harness")]}
        _send(out, answer)


@dataclass
class Result:
    """What one input did: its CPU time, the contract problems found (empty when it passed), its wall time."""

    seconds: float  # CPU time of the worker on the input (for one killed, as far as /proc tells; else wall)
    problems: list[Problem]
    digest: str = ""
    raised: list[tuple[str, str, list[tuple[str, int, str]]]] = field(default_factory=list)
    wall: float = 0.0


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _resident_mb(pid: int) -> int | None:
    """A process's resident memory in MB, from /proc (None where there is no /proc)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20
    except (OSError, ValueError, IndexError):
        return None


class Worker:
    """A long-lived child process running jobs; killed and restarted when a job hangs.

    Inputs are judged by CPU time (the worker measures it), which a busy machine does not inflate. The hang
    guard watches the worker's CPU time too (from /proc): a worker that has used well over the limit without
    answering is killed, and one that has been silent for `max_wall` seconds however little CPU it got (a
    worker stuck without computing). A worker starved by a busy machine (at nice 19 beside busy processes
    it gets a hundredth of a core) is left to finish. Without /proc the guard is wall time.
    """

    def __init__(self, hash_seed: int = 0, memory_mb: int = 4096, grace: float = 2.0,
                 max_wall: float = 600.0, resident_warn_mb: int = 0) -> None:
        self.hash_seed = hash_seed
        self.memory_mb = memory_mb
        # A worker whose resident memory passes this after an input gets a `memory` problem (0: not watched): what
        # one input leaves behind adds up over a long run, and at `memory_mb` the worker's allocations fail.
        self.resident_warn_mb = resident_warn_mb
        self.resident_mb = 0  # after the last input
        self.peak_resident_mb = 0
        self.grace = grace
        self.max_wall = max_wall
        self.restarts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        fd, self.dump_path = tempfile.mkstemp(prefix="fuzz-dump-", suffix=".txt")
        os.close(fd)
        self.log_path = self.dump_path.replace("fuzz-dump-", "fuzz-worker-log-")

    def _start(self, attempts: int = 6) -> subprocess.Popen[bytes]:
        """Start the child and wait for it to import everything; retried, because the working tree it
        imports may be caught mid-edit (a file half written by someone else)."""
        env = {**os.environ, "PYTHONHASHSEED": str(self.hash_seed + self.restarts), "FUZZ_DUMP": self.dump_path,
               "FUZZ_MEMORY_MB": str(self.memory_mb),
               "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")])}
        for attempt in range(attempts):
            with open(self.log_path, "wb") as log:
                proc = subprocess.Popen([sys.executable, "-c", "import fuzzing; fuzzing.worker_main()"], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], 120)
            try:
                if ready and _receive(proc.stdout) == "ready":  # type: ignore[arg-type]
                    return proc
            except EOFError:
                pass
            proc.kill()
            proc.wait()
            if attempt + 1 < attempts:
                time.sleep(2 * (attempt + 1))
        log_tail = _tail(Path(self.log_path).read_text(errors="replace"), 12)
        raise RuntimeError(f"fuzz worker did not start after {attempts} attempts:\n{log_tail}")

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        for path in (self.dump_path, self.log_path):
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _kill(self) -> str:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self.restarts += 1
        try:
            return Path(self.dump_path).read_text(errors="replace") + f"\n(exit code {code})"
        except OSError:
            return f"(exit code {code})"

    def run(self, job: dict[str, Any], timeout: float) -> Result:
        """Send a job; a worker that has used `timeout` seconds of CPU (plus grace) without answering is killed,
        and so is one silent for `max_wall` seconds: the input hung."""
        if self.proc is None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        limit = job.get("limit", timeout)
        start = time.perf_counter()
        cpu_before = _cpu_of(self.proc.pid)
        try:
            _send(self.proc.stdin, job)  # type: ignore[arg-type]
            while True:
                ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
                if ready:
                    answer = _receive(self.proc.stdout)  # type: ignore[arg-type]
                    return Result(answer["seconds"], [*answer["problems"], *self._memory_problems()],
                                  answer.get("digest", ""), answer.get("raised", []), answer.get("wall", 0.0))
                elapsed = time.perf_counter() - start
                cpu_now = _cpu_of(self.proc.pid)
                cpu = cpu_now - cpu_before if cpu_now is not None and cpu_before is not None else elapsed
                if cpu > timeout + self.grace or elapsed > self.max_wall:
                    break
            stack = self._kill()
            where = _innermost(_dump_frames(stack), with_line=False)
            return Result(cpu, [Problem("timeout", f"no answer after {cpu:.1f}s of CPU ({elapsed:.1f}s wall; limit "
                                        f"{limit:g}s of CPU); stuck in {where}", f"timeout in {where}",
                                        _tail(stack))], wall=elapsed)
        except (EOFError, BrokenPipeError, OSError):
            stack = self._kill()
            elapsed = time.perf_counter() - start
            if stack.lstrip().startswith(("Stack (", "Timeout (")):
                # The worker died after its stack was dumped at the CPU limit (the dump, taken in a signal
                # handler, may itself have crashed it): the input was over the limit all the same, and the dump
                # says where it was.
                where = _innermost(_dump_frames(stack), with_line=False)
                return Result(max(elapsed, limit), [Problem(
                    "timeout", f"over {limit:g}s of CPU (the worker died after dumping its stack); in {where}",
                    f"timeout in {where}", _tail(stack))], wall=elapsed)
            where = _innermost(_dump_frames(stack, last=True))
            signal_line = stack.strip().splitlines()[0] if stack.strip() else "worker exited"
            return Result(elapsed, [Problem("died", f"the worker process died: {signal_line}", f"died in {where}",
                                            _tail(stack))], wall=elapsed)

    def _memory_problems(self) -> list[Problem]:
        """Sample the worker's resident memory; over `resident_warn_mb` it is a problem (once per worker)."""
        assert self.proc is not None
        resident = _resident_mb(self.proc.pid)
        if resident is None:
            return []
        warned = self.peak_resident_mb > self.resident_warn_mb
        self.resident_mb, self.peak_resident_mb = resident, max(self.peak_resident_mb, resident)
        if not self.resident_warn_mb or warned or resident <= self.resident_warn_mb:
            return []
        return [Problem("memory", f"the worker holds {resident:,} MB after this input, more than the "
                        f"{self.resident_warn_mb:,} MB watched for: memory left behind by earlier inputs adds up",
                        "worker memory grows")]

    # -- conveniences ---------------------------------------------------------------------------------

    def parse(self, target: Target, text: str, limit: float, repeat: bool = True) -> Result:
        job = {"op": "parse", "parser": target.parser, "path": target.path, "text": text, "limit": limit,
               "repeat": repeat}
        result = self.run(job, limit * (2.5 if repeat else 1.5))
        return self.explain(job, result, limit)

    def audit(self, root: Path, files: dict[str, bytes], limit: float) -> Result:
        job = {"op": "audit", "root": str(root), "lines": file_lines(files), "limit": limit}
        return self.explain(job, self.run(job, limit * 1.5), limit)

    def explain(self, job: dict[str, Any], result: Result, limit: float) -> Result:
        """For a caught exception quoted in a diagnostic, find where it was raised (re-run under a tracer)."""
        wanted = [p for p in result.problems if p.kind in ("internal-error", "masked-exception")]
        if not wanted:
            return result
        traced = self.run({"op": "trace", "job": job}, limit * 20)
        if traced.problems:
            return result
        problems = []
        for problem in result.problems:
            if problem in wanted:
                problem = _locate(problem, traced.raised)
            problems.append(problem)
        return dataclasses.replace(result, problems=problems)


def _locate(problem: Problem, raised: list[tuple[str, str, list[tuple[str, int, str]]]]) -> Problem:
    match = MASKED.search(problem.summary)
    name = match.group(1) if match else ""
    candidates = [r for r in raised if r[0] == name] or raised
    if not candidates:
        return problem
    # The last exception of that type whose text the message quotes; else the last of that type.
    quoted = [r for r in candidates if r[1] and r[1][:60] in problem.summary]
    exc_type, message, frames = (quoted or candidates)[-1]
    shown = "\n".join(f'  File "{f}", line {n}, in {fn}' for f, n, fn in reversed(frames[:20]))
    return dataclasses.replace(problem, key=f"{exc_type} at {_innermost(frames)}",
                               traceback=f"{shown}\n{exc_type}: {message}")


def file_lines(files: dict[str, bytes]) -> dict[str, int]:
    """Line count of each file as discovery would decode it, plus the folders (for folder diagnostics)."""
    from auditor.discover import decode

    lines: dict[str, int] = {".": 1}
    for name, data in files.items():
        text, _ = decode(name, data)
        if text is None:
            text = data.decode("utf-8", errors="replace")
        lines[name] = max(line_count(text), data.count(b"\n") + 1)
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            lines.setdefault("/".join(parts[:depth]), 1)
    return lines


# --------------------------------------------------------------------------------------------------
# Minimising a failing input
# --------------------------------------------------------------------------------------------------


def shrink(text: str, still_fails: Callable[[str], bool], seconds: float = 30.0, max_tests: int = 2000) -> str:
    """Greedy delta debugging: drop chunks of lines, then of characters, while the failure persists."""
    deadline = time.monotonic() + seconds
    tests = 0

    def over() -> bool:
        return tests >= max_tests or time.monotonic() > deadline

    for unit in ("lines", "chars"):
        parts: list[str] = text.splitlines(keepends=True) if unit == "lines" else list(text)
        chunk = max(1, len(parts) // 2)
        while chunk >= 1 and not over():
            index = 0
            while index < len(parts) and not over():
                candidate = parts[:index] + parts[index + chunk:]
                tests += 1
                if candidate != parts and still_fails("".join(candidate)):
                    parts = candidate
                else:
                    index += chunk
            if chunk == 1:
                break
            chunk //= 2
        text = "".join(parts)
    return text


def same_failure(worker: Worker, target: Target, key: str, limit: float) -> Callable[[str], bool]:
    def still_fails(candidate: str) -> bool:
        result = worker.parse(target, candidate, limit, repeat=key.startswith("nondeterministic"))
        return any(p.key == key for p in result.problems)

    return still_fails


_RUN = re.compile(r"(.{1,8}?)\1{5,}", re.DOTALL)


def describe(text: str, limit: int = 600) -> str:
    """A Python expression for `text`, runs of a repeated unit written as `'[' * 100000`."""
    pieces: list[str] = []
    start = 0
    for match in _RUN.finditer(text):
        unit = match.group(1)
        if match.end() - match.start() < 24:
            continue
        if match.start() > start:
            pieces.append(repr(text[start:match.start()]))
        pieces.append(f"{unit!r} * {(match.end() - match.start()) // len(unit)}")
        start = match.end()
    if start < len(text):
        pieces.append(repr(text[start:]))
    shown = " + ".join(pieces) or "''"
    if len(shown) > limit:
        shown = shown[: limit // 2] + f" ... ({len(shown):,} chars of expression) ... " + shown[-limit // 2:]
    return shown


def temporary_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="fuzz-repo-"))


def remove_tree(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# Edge cases every run covers (not left to chance)
# --------------------------------------------------------------------------------------------------


def edge_cases(target: Target, max_bytes: int = MAX_FILE_BYTES) -> list[tuple[str, str]]:
    """(label, text) pairs: the named hostile shapes, alone and inside a typical seed of the target.

    Long lines and the deepest nesting are sized to `max_bytes` (CI uses less than the 2 MB file limit:
    quadratic work already shows at 256 KB; bench/fuzz.py runs these at full size).
    """
    max_bytes = input_limit(target, max_bytes)
    typical = [s for s in seeds(target) if len(s) <= 20_000 and "&" not in s] or list(seeds(target)) or [""]
    seed = max(typical, key=lambda s: (s.count("\n"), s))
    cases = [("empty", ""), ("newline", "\n"), ("lone CR", "\r"), ("NUL", "\x00"), ("BOM", "\ufeff"),
             ("seed", seed), ("seed with CRLF", seed.replace("\n", "\r\n")),
             ("seed with lone CR", seed.replace("\n", "\r")), ("seed with BOM", "\ufeff" + seed),
             ("seed without final newline", seed.rstrip("\n")), ("seed with NUL", seed + "\x00" + seed),
             ("seed cut in half", seed[: len(seed) // 2]), ("seed twice", seed + seed)]
    for char in ("\u00a0", "\u3000", "\u2028", "\u2029", "\ufeff", "\U0001f600", "\u202e", "\x85"):
        cases.append((f"seed with U+{ord(char):04X} for spaces", seed.replace(" ", char)))
        cases.append((f"seed with U+{ord(char):04X} for newlines", seed.replace("\n", char)))
    for number in ("1" + "0" * 5000, "1e99999", "-1e99999", "nan", "0x" + "f" * 4000, "10**5000", "９"):
        cases.append((f"numbers replaced by {number[:12]}", _NUMBER.sub(lambda _, n=number: n, seed)))
    for index, make in enumerate(NESTING[target.dialect]):
        depths = [201, 1001] if index < 4 else [1001]
        if index < 4:
            depths += [d for d in (100_000, 30_000, 10_000) if predicted_size(make, d) <= max_bytes][:1]
        for depth in depths:
            if predicted_size(make, depth) <= max_bytes:  # an estimate: names with more digits grow faster
                text = make(depth)
                if len(text.encode("utf-8", "surrogatepass")) <= max_bytes:
                    cases.append((f"{target.dialect} nesting #{index} depth {depth}", text))
    for unit in ("a", "${", '"'):
        count = max_bytes // 2 // len(unit)
        cases.append((f"line of {count:,} x {unit!r}", seed + "a = " + unit * count))
    return cases


def failure_report(title: str, result: Result, text: str | None = None) -> str:
    """A readable account of a failed input: each problem, where it arose, and the input as an expression."""
    lines = [title]
    for problem in result.problems:
        lines.append(f"- {problem.kind}: {problem.summary}\n  key: {problem.key}")
        if problem.traceback:
            lines.append("  " + problem.traceback.replace("\n", "\n  "))
    if text is not None:
        lines.append(f"input ({len(text):,} chars): {describe(text)}")
    return "\n".join(lines)


def minimized(worker: Worker, target: Target, text: str, result: Result, limit: float,
              seconds: float = 20.0) -> str:
    """The input shrunk while its first problem persists (not for time-outs: each try would cost the limit)."""
    problem = result.problems[0]
    if problem.kind in ("timeout", "too-slow", "died", "harness"):
        return text
    return shrink(text, same_failure(worker, target, problem.key, limit), seconds=seconds)
