"""Source code in the graph (issue 9): which service a source file belongs to, how the calls its code makes
become that service's calls, and how the rules judge what code shows. The extractor is replaced by a stub
that returns given facts, so these tests hold whatever each language's extractor learns later."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import tree_sitter
from conftest import write_repo

from auditor.audit import audit
from auditor.code import parse as code_parse
from auditor.code.facts import Bound, Call, Connect, ExternalCall, Extracted, Handler, Session, Target, Tracing
from auditor.scan import scan

FACTS: dict[str, Extracted] = {}


@pytest.fixture(autouse=True)
def stub_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Python file yields the facts FACTS holds for its path (none otherwise)."""
    FACTS.clear()

    def extractor(family: str):  # type: ignore[no-untyped-def]
        def extract(tree: tree_sitter.Tree, language: str, path: str = "") -> Extracted:
            return FACTS.get(path, Extracted())
        return extract

    monkeypatch.setattr(code_parse, "_extractor", extractor)


def _code(path: str, facts: Extracted) -> str:
    """A Python file whose first line names it, so the stub knows which facts it holds."""
    FACTS[path] = facts
    return f"# {path}\nx = 1\n"


def _owners(root: Path) -> dict[str, list[str]]:
    graph = scan(root).graph
    found: dict[str, list[str]] = {}
    for source, target, edge in graph.edges(data="edge"):
        if source.startswith("code:") and edge.kind == "configures":
            found.setdefault(graph.nodes[source]["node"].location.path, []).append(graph.nodes[target]["node"].name)
    return {path: sorted(names) for path, names in found.items()}


def _findings(root: Path, rule: str) -> set[tuple[str, int]]:
    return {(f.location.path, f.location.line) for f in audit(root).findings if f.rule_id == rule}


CALL = Extracted(calls=[Call(3, "requests", Target(url="https://api.stripe.com/v1"))])


# --- ownership ------------------------------------------------------------------------------------------------

def test_a_file_belongs_to_the_service_whose_dockerfile_directory_holds_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n"
                              "  basket:\n    build: {context: ., dockerfile: src/basket/Dockerfile}\n"
                              "  ordering:\n    build: {context: ., dockerfile: src/ordering/api/Dockerfile}\n",
        "src/basket/Dockerfile": "FROM python\n",
        "src/ordering/api/Dockerfile": "FROM python\n",
        "src/basket/app/main.py": _code("src/basket/app/main.py", CALL),
        "src/ordering/api/views.py": _code("src/ordering/api/views.py", CALL),
        "src/shared/client.py": _code("src/shared/client.py", CALL),  # shared code: built by both, owned by neither
    })
    assert _owners(root) == {"src/basket/app/main.py": ["basket"], "src/ordering/api/views.py": ["ordering"]}


def test_a_shared_build_context_is_split_by_the_service_named_on_the_path(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n"
                              "  frontend:\n    build: .\n    command: go run ./cmd/frontend\n"
                              "  users:\n    build: .\n",
        "cmd/frontend/main.py": _code("cmd/frontend/main.py", CALL),
        "services/users/api.py": _code("services/users/api.py", CALL),
        "lib/util.py": _code("lib/util.py", CALL),
    })
    assert _owners(root) == {"cmd/frontend/main.py": ["frontend"], "services/users/api.py": ["users"],
                            "lib/util.py": ["frontend", "users"]}  # one image: its settings are both's


def test_a_workload_owns_the_directory_named_like_its_image(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "k8s/seat.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: seat}\nspec:\n"
                         "  selector: {matchLabels: {app: seat}}\n  template:\n    metadata: {labels: {app: seat}}\n"
                         "    spec:\n      containers:\n        - name: seat\n"
                         "          image: registry.example.com/ts-seat-service:1.0\n",
        "ts-seat-service/src/app.py": _code("ts-seat-service/src/app.py", CALL),
        "ts-other-service/app.py": _code("ts-other-service/app.py", CALL),
    })
    assert _owners(root) == {"ts-seat-service/src/app.py": ["seat"]}


def _deployment(name: str, namespace: str = "default") -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec:\n      containers:\n        - name: {name}\n          image: registry.example.com/{name}:1\n")


def test_code_named_like_a_service_is_that_of_its_own_system_in_a_repository_of_several(tmp_path: Path) -> None:
    """Chapters (or products) of one repository each deploy their own `orders`: a chapter's `orders/` code and its
    build file are its own chapter's Deployment's, never another chapter's; a chapter with no Deployment of that
    name has no owner by name."""
    files = {}
    for chapter in ("chapter1", "chapter2", "chapter3"):
        files[f"{chapter}/orders/app.py"] = _code(f"{chapter}/orders/app.py", CALL)
        files[f"{chapter}/orders/requirements.txt"] = "opentelemetry-sdk==1.20\n"
    for chapter in ("chapter2", "chapter3"):
        files[f"{chapter}/k8s/orders.yaml"] = _deployment("orders", chapter)
    root = write_repo(tmp_path, files)
    graph = scan(root).graph
    owners: dict[str, set[str]] = {}
    for source, target, edge in graph.edges(data="edge"):
        if edge.kind == "configures" and graph.nodes[source]["node"].source in ("code", "buildfile"):
            owners.setdefault(graph.nodes[source]["node"].location.path, set()).add(target)
    assert owners == {f"{chapter}/orders/{name}": {f"kubernetes:Deployment:{chapter}/orders"}
                      for chapter in ("chapter2", "chapter3") for name in ("app.py", "requirements.txt")}


def test_manifests_in_a_folder_of_their_own_still_own_the_project_named_like_them(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "deploy/k8s/orders.yaml": _deployment("orders"),
        "services/orders/app.py": _code("services/orders/app.py", CALL),
        "services/orders/requirements.txt": "opentelemetry-sdk==1.20\n",
    })
    graph = scan(root).graph
    owners = sorted((graph.nodes[source]["node"].location.path, target)
                    for source, target, edge in graph.edges(data="edge")
                    if edge.kind == "configures" and graph.nodes[source]["node"].source in ("code", "buildfile"))
    assert owners == [("services/orders/app.py", "kubernetes:Deployment:default/orders"),
                      ("services/orders/requirements.txt", "kubernetes:Deployment:default/orders")]


def test_a_project_built_by_compose_is_also_the_kubernetes_workload_named_like_it(tmp_path: Path) -> None:
    # compose builds src/ui; the cluster runs the same project from a registry image: both run its code
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  ui:\n    build: src/ui\n",
        "src/ui/Dockerfile": "FROM python\n",
        "src/ui/pyproject.toml": "[project]\nname = 'ui'\n",
        "k8s/ui.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ui}\nspec:\n"
                       "  selector: {matchLabels: {app: ui}}\n  template:\n    metadata: {labels: {app: ui}}\n"
                       "    spec:\n      containers:\n        - name: ui\n"
                       "          image: public.ecr.aws/shop/retail-ui:1.0\n",
        "src/ui/app/client.py": _code("src/ui/app/client.py", CALL),
    })
    graph = scan(root).graph
    owners = sorted(target for source, target, edge in graph.edges(data="edge")
                    if source.startswith("code:") and edge.kind == "configures")
    assert owners == ["compose:service:./ui", "kubernetes:Deployment:default/ui"]


def test_a_bind_mount_makes_the_mounted_code_the_services(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  api:\n    image: python:3.12\n    volumes: [./backend:/app]\n",
        "backend/app/main.py": _code("backend/app/main.py", CALL),
    })
    assert _owners(root) == {"backend/app/main.py": ["api"]}


# --- calls ----------------------------------------------------------------------------------------------------

COMPOSE = ("services:\n"
           "  front:\n    build: ./front\n    environment:\n"
           "      USER_HOST: user\n"           # line 5
           "      CART_URL: http://cart:80\n"  # line 6
           "  user:\n    build: ./user\n"
           "  cart:\n    build: ./cart\n")


def _calls(root: Path) -> set[tuple[str, str, str, int]]:
    graph = scan(root).graph
    return {(graph.nodes[s]["node"].name, graph.nodes[t]["node"].name, e.location.path, e.location.line)
            for s, t, e in graph.edges(data="edge") if e.kind == "calls" and e.attrs.get("code")}


def test_an_address_read_from_the_environment_is_looked_up_in_the_owners_environment(tmp_path: Path) -> None:
    facts = Extracted(calls=[
        Call(3, "requests", Target(url="http://{}/users", env="USER_HOST")),  # bare host in compose env
        Call(4, "requests", Target(env="CART_URL")),                          # a URL the compose env holds
        Call(5, "requests", Target(env="STOCK_URL", default="http://stock:8080")),  # not set: the code's default
        Call(6, "requests", Target(env="NOWHERE")),                           # nowhere: unresolved
    ])
    root = write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "front/app.py": _code("front/app.py", facts)})
    assert _calls(root) == {("front", "user", "front/app.py", 3), ("front", "cart", "front/app.py", 4),
                            ("front", "stock", "front/app.py", 5)}


def test_a_call_bounded_in_code_clears_the_config_finding_and_an_unbounded_one_moves_to_the_code(
        tmp_path: Path) -> None:
    facts = Extracted(calls=[
        Call(3, "requests", Target(env="CART_URL"), (Bound("timeout", 3, "timeout=2"),)),
        Call(4, "requests", Target(url="http://{}/x", env="USER_HOST")),
        Call(5, "requests", Target()),  # a URL passed in: unbounded, target unknown
    ])
    root = write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "front/app.py": _code("front/app.py", facts)})
    assert _findings(root, "RESIL001") == {("front/app.py", 4), ("front/app.py", 5)}
    without_code = write_repo(tmp_path / "config-only", {"docker-compose.yml": COMPOSE})
    assert _findings(without_code, "RESIL001") == {("docker-compose.yml", 6)}


def test_calls_made_only_in_code_close_a_cycle(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  a:\n    build: ./a\n  b:\n    build: ./b\n",
        "a/app.py": _code("a/app.py", Extracted(calls=[Call(3, "requests", Target(url="http://b/x"),
                                                            (Bound("timeout", 3),))])),
        "b/app.py": _code("b/app.py", Extracted(calls=[Call(4, "requests", Target(url="http://a:80/y"),
                                                            (Bound("timeout", 4),))])),
    })
    assert _findings(root, "COUPLE001") == {("a/app.py", 3)}


# --- connections, sessions, tracing ----------------------------------------------------------------------------

SERVICE = "services:\n  api:\n    build: ./api\n    deploy: {replicas: 3}\n"


def test_a_connection_opened_per_request_is_reported_where_it_is_opened(tmp_path: Path) -> None:
    handler = Extracted(handlers=[Handler(2, "get_user", "flask")], callees={"get_user": {"load"}},
                        connects=[Connect(7, "psycopg2", "postgres", function="load")])
    script = Extracted(connects=[Connect(3, "psycopg2", "postgres")])  # a one-off script: no handlers
    pooled = Extracted(handlers=[Handler(2, "index", "flask")],
                       connects=[Connect(4, "sqlalchemy", "postgres", pooled=True, pool_max=10)])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", handler),
                                 "api/seed.py": _code("api/seed.py", script),
                                 "api/db.py": _code("api/db.py", pooled)})
    assert _findings(root, "DATA001") == {("api/views.py", 7)}


def _data001(root: Path) -> set[tuple[str, int, tuple[tuple[str, int], ...]]]:
    """Each DATA001 finding's (path, line) and the (path, line) of its related locations in code."""
    return {(f.location.path, f.location.line,
             tuple((r.location.path, r.location.line) for r in f.related if r.location.path.endswith((".py", ".php"))))
            for f in audit(root).findings if f.rule_id == "DATA001"}


VIEW = Extracted(handlers=[Handler(8, "get_order", "flask")])
GET_DB = Extracted(connects=[Connect(9, "psycopg2", "postgres", function="get_db")])


@pytest.mark.parametrize(("target", "level"), [
    ("db.get_db", 1),       # from .db import get_db; get_db()  /  from . import db; db.get_db()
    ("shop.db.get_db", 0),  # from shop.db import get_db: the folder above the view holds shop/db.py
])
def test_a_connection_opened_by_a_function_of_another_module_that_a_handler_calls_is_per_request(
        tmp_path: Path, target: str, level: int) -> None:
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", target, level)])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/shop/__init__.py": "",
                                 "api/shop/views.py": _code("api/shop/views.py", view),
                                 "api/shop/db.py": _code("api/shop/db.py", GET_DB)})
    assert _data001(root) == {("api/shop/db.py", 9, (("api/shop/views.py", 10),))}


def test_a_connection_reached_through_a_module_without_handlers_names_every_call_on_the_way(tmp_path: Path) -> None:
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", "orders.load", 1)])
    # orders.load → (same file) orders._query → db.get_db; orders.py has no facts of its own
    orders = Extracted(callees={"load": {"_query"}}, external_calls=[ExternalCall(6, "_query", "db.get_db", 1)])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", view),
                                 "api/orders.py": _code("api/orders.py", orders),
                                 "api/db.py": _code("api/db.py", GET_DB)})
    assert _data001(root) == {("api/db.py", 9, (("api/views.py", 10), ("api/orders.py", 6)))}


def test_classes_and_module_level_instances_of_another_module_are_entered_where_they_run(tmp_path: Path) -> None:
    view = dataclasses.replace(VIEW, external_calls=[
        ExternalCall(10, "get_order", "repo.Repo", 1),          # Repo(): its __init__ connects
        ExternalCall(11, "get_order", "store.database.cursor", 1),  # database = Database() in store.py
    ])
    repo = Extracted(connects=[Connect(5, "pymysql", "mysql", function="Repo.__init__")])
    store = Extracted(connects=[Connect(7, "psycopg2", "postgres", function="Database.cursor"),
                                Connect(9, "psycopg2", "postgres", function="Database.unused")],
                      instances={"database": "Database"})
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", view),
                                 "api/repo.py": _code("api/repo.py", repo),
                                 "api/store.py": _code("api/store.py", store)})
    assert _data001(root) == {("api/repo.py", 5, (("api/views.py", 10),)), ("api/store.py", 7, (("api/views.py", 11),))}


def test_a_pool_that_a_function_of_another_module_builds_for_each_request_pools_nothing(tmp_path: Path) -> None:
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", "cache.get_redis", 1)])
    cache = Extracted(connects=[Connect(5, "redis", "redis", pooled=True, function="get_redis", pool_object=True),
                                Connect(9, "sqlalchemy", "postgres", pooled=True, pool_max=10, pool_object=True)])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", view),
                                 "api/cache.py": _code("api/cache.py", cache)})
    assert _data001(root) == {("api/cache.py", 5, (("api/views.py", 10),))}  # the module-level engine is one pool
    api = next(n for _, n in scan(root).graph.nodes(data="node") if n.name == "api" and n.kind == "service")
    assert [(s.topic, s.value, s.location.line) for s in api.settings if s.topic in ("pool", "db_connect")] == [
        ("pool", 10, 9), ("db_connect", "handler", 5)]


def test_a_memoised_factory_or_a_function_no_handler_reaches_opens_no_connection_per_request(tmp_path: Path) -> None:
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", "db.get_db", 1)])
    cached = dataclasses.replace(GET_DB, once={"get_db"})
    cli = Extracted(external_calls=[ExternalCall(4, "main", "db.open_raw", 1)])  # a command, not a handler
    raw = Extracted(connects=[Connect(12, "psycopg2", "postgres", function="open_raw")])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", view),
                                 "api/db.py": _code("api/db.py", cached), "api/cli.py": _code("api/cli.py", cli),
                                 "api/raw.py": _code("api/raw.py", raw)})
    assert _data001(root) == set()


def test_a_module_of_another_service_is_not_this_services_code(tmp_path: Path) -> None:
    compose = SERVICE + "  jobs:\n    build: ./jobs\n"
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", "jobs.db.get_db", 0)])
    root = write_repo(tmp_path, {"docker-compose.yml": compose, "api/views.py": _code("api/views.py", view),
                                 "jobs/db.py": _code("jobs/db.py", GET_DB)})
    assert _data001(root) == set()


def test_a_shared_connection_that_another_files_handler_opens_per_request_is_reported_once_per_request(
        tmp_path: Path) -> None:
    # db.py serves requests of its own and opens a raw connection in get_db, which its own handler never calls:
    # on its own that is "one connection shared by every request"; the view calling get_db makes it per request
    db = dataclasses.replace(GET_DB, handlers=[Handler(3, "health", "flask")])
    view = dataclasses.replace(VIEW, external_calls=[ExternalCall(10, "get_order", "db.get_db", 1)])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/views.py": _code("api/views.py", view),
                                 "api/db.py": _code("api/db.py", db)})
    [finding] = [f for f in audit(root).findings if f.rule_id == "DATA001"]
    assert (finding.location.path, finding.location.line) == ("api/db.py", 9)
    assert "a new database connection for every request" in finding.message


def test_php_includes_and_global_functions_of_another_file_run_per_request(tmp_path: Path) -> None:
    script = Extracted(handlers=[Handler(1, "<script>", "php")], external_calls=[
        ExternalCall(2, "<script>", "inc/config.php", kind="include"),
        ExternalCall(5, "<script>", "db", kind="function")])
    config = Extracted(connects=[Connect(2, "mysqli_connect", "mysql")])  # top-level code of an included file
    functions = Extracted(connects=[Connect(4, "PDO", "mysql", function="db")], defines={"db"})
    # a method of the same name elsewhere is not the global function: `Repo->db()` is no `db()`
    methods = Extracted(connects=[Connect(6, "PDO", "mysql", function="db")])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/index.php": _code("api/index.php", script),
                                 "api/inc/config.php": _code("api/inc/config.php", config),
                                 "api/lib/functions.php": _code("api/lib/functions.php", functions),
                                 "api/lib/Repo.php": _code("api/lib/Repo.php", methods)})
    assert _data001(root) == {("api/inc/config.php", 2, (("api/index.php", 2),)),
                              ("api/lib/functions.php", 4, (("api/index.php", 5),))}


def test_sessions_in_memory_are_local_unless_a_shared_store_is_configured(tmp_path: Path) -> None:
    memory = Extracted(sessions=[Session(5, "express-session", "memory")])
    root = write_repo(tmp_path, {"docker-compose.yml": SERVICE, "api/app.py": _code("api/app.py", memory)})
    assert _findings(root, "STATE001") == {("api/app.py", 5)}
    shared = Extracted(sessions=[Session(9, "spring-session", "redis")])
    both = write_repo(tmp_path / "both", {"docker-compose.yml": SERVICE, "api/app.py": _code("api/app.py", memory),
                                          "api/sessions.py": _code("api/sessions.py", shared)})
    assert _findings(both, "STATE001") == set()


def test_tracing_set_up_in_code_counts_as_tracing(tmp_path: Path) -> None:
    compose = SERVICE + "  web:\n    build: ./web\n    deploy: {replicas: 3}\n    environment:\n" \
                        "      API_URL: http://api:80\n"
    traced = Extracted(tracing=[Tracing(4, "otel", "sdk")])
    root = write_repo(tmp_path, {"docker-compose.yml": compose, "api/tracing.py": _code("api/tracing.py", traced)})
    names = {f.message.split("`")[1] for f in audit(root).findings if f.rule_id == "OBS001"}
    assert names == {"web"}


def test_an_unbounded_call_in_code_names_the_config_line_that_gave_the_address(tmp_path: Path) -> None:
    facts = Extracted(calls=[Call(3, "requests", Target(env="CART_URL"))])
    root = write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "front/app.py": _code("front/app.py", facts)})
    [finding] = [f for f in audit(root).findings if f.rule_id == "RESIL001"]
    assert (finding.location.path, finding.location.line) == ("front/app.py", 3)
    assert [(r.location.path, r.location.line) for r in finding.related][1:] == [("docker-compose.yml", 6)]
    assert "CART_URL" in finding.related[-1].message


def test_a_library_default_timeout_bounds_a_call_only_when_it_is_short(tmp_path: Path) -> None:
    facts = Extracted(calls=[
        Call(3, "httpx", Target(url="http://cart/x"), (Bound("default_timeout", 3, "httpx default", 5.0),)),
        Call(4, "HttpClient", Target(url="http://user/x"), (Bound("default_timeout", 4, "HttpClient default", 100),)),
    ])
    root = write_repo(tmp_path, {"docker-compose.yml": COMPOSE, "front/app.py": _code("front/app.py", facts)})
    found = [f for f in audit(root).findings if f.rule_id == "RESIL001"]
    assert [(f.location.path, f.location.line) for f in found] == [("front/app.py", 4)]
    assert "default timeout of 100 s" in found[0].message


def test_calls_in_code_shared_by_one_image_are_no_ones_calls(tmp_path: Path) -> None:
    """`main.go` of a binary whose subcommands are the services dials every subcommand's upstreams: which
    service makes which call is not known, so none of them gets those calls (nor a cycle from them)."""
    dial = Extracted(calls=[Call(3, "grpc", Target(url="http://geo:8080"), (Bound("timeout", 3),)),
                            Call(4, "grpc", Target(url="http://search:8080"), (Bound("timeout", 4),))])
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  search:\n    build: .\n    command: search\n"
                              "  geo:\n    build: .\n    command: geo\n",
        "cmd/app/main.py": _code("cmd/app/main.py", dial),
    })
    assert _owners(root) == {"cmd/app/main.py": ["geo", "search"]}
    assert _calls(root) == set()
    assert not [f for f in audit(root).findings if f.rule_id == "COUPLE001"]


def test_unresolved_calls_in_code_shared_by_one_image_are_no_ones_either(tmp_path: Path) -> None:
    unknown = Extracted(calls=[Call(3, "requests", Target())])  # a URL passed in, unbounded
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  search:\n    build: .\n    command: search\n"
                              "  geo:\n    build: .\n    command: geo\n",
        "cmd/app/main.py": _code("cmd/app/main.py", unknown),
    })
    assert _findings(root, "RESIL001") == set()


def test_the_same_build_in_another_compose_project_is_the_service_deployed_again(tmp_path: Path) -> None:
    """An app-wide compose file that includes (or restates) a service's own compose file deploys that service
    again: its code is its own in both projects, not one image shared by two services."""
    unknown = Extracted(calls=[Call(3, "requests", Target())])
    root = write_repo(tmp_path, {
        "src/checkout/docker-compose.yml": "services:\n  checkout:\n    build: .\n",
        "src/checkout/Dockerfile": "FROM python\n",
        "src/app/docker-compose.yml": "services:\n  checkout:\n    build: ../checkout\n",
        "src/checkout/app.py": _code("src/checkout/app.py", unknown),
    })
    assert _owners(root) == {"src/checkout/app.py": ["checkout", "checkout"]}
    assert {(f.location.path, f.location.line, f.subject) for f in audit(root).findings if f.rule_id == "RESIL001"} \
        == {("src/checkout/app.py", 3, "compose:service:src/app/checkout"),
            ("src/checkout/app.py", 3, "compose:service:src/checkout/checkout")}


def test_one_folder_mounted_into_several_containers_is_split_by_working_directory(tmp_path: Path) -> None:
    service = ("  {name}:\n    build: docker/app\n    volumes: [./internal:/internal]\n"
               "    working_dir: /internal/{dir}\n")
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n" + service.format(name="trainer-http", dir="trainer")
                              + service.format(name="trainings", dir="trainings"),
        "internal/trainer/db.py": _code("internal/trainer/db.py", CALL),
        "internal/common/client.py": _code("internal/common/client.py", CALL),
    })
    assert _owners(root) == {"internal/trainer/db.py": ["trainer-http"],
                             "internal/common/client.py": ["trainer-http", "trainings"]}
    assert {(s, t) for s, t, _, _ in _calls(root)} == {("trainer-http", "api.stripe.com")}  # shared code: no calls


def test_a_folder_below_a_project_root_does_not_name_a_service(tmp_path: Path) -> None:
    """`BlazorClient/Basket/BasketClient.cs` is the Blazor client's code about baskets, not the basket service's;
    `ts-seat-service/src/app.py` is ts-seat-service's (its project root is named like the workload)."""
    workload = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
                "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
                "    spec:\n      containers: [{{name: {name}, image: 'registry.example.com/{name}:1'}}]\n")
    root = write_repo(tmp_path, {
        "k8s/basket.yaml": workload.format(name="basket"),
        "k8s/seat.yaml": workload.format(name="ts-seat-service"),
        "src/BlazorClient/BlazorClient.csproj": "<Project Sdk=\"Microsoft.NET.Sdk\"></Project>\n",
        "src/BlazorClient/Basket/client.py": _code("src/BlazorClient/Basket/client.py", CALL),
        "ts-seat-service/pyproject.toml": "[project]\nname = \"ts-seat-service\"\n",
        "ts-seat-service/src/app.py": _code("ts-seat-service/src/app.py", CALL),
    })
    assert _owners(root) == {"ts-seat-service/src/app.py": ["ts-seat-service"]}


def test_code_of_a_blazor_webassembly_project_runs_in_browsers(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": "services:\n  blazor-client:\n    build: {context: ., dockerfile: src/Host/Dockerfile}\n",
        "src/Host/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
        "src/Client/Client.csproj": '<Project Sdk="Microsoft.NET.Sdk.BlazorWebAssembly"></Project>\n',
        "src/Client/Basket/client.py": _code("src/Client/Basket/client.py", CALL),
    })
    assert _calls(root) == set()
    assert not [f for f in audit(root).findings if f.rule_id == "RESIL001"]
