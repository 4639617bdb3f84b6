"""What is a call (issue 8, item 4): addresses a service only knows are kept as `knows_address` edges, and the
call rules (RESIL001, COUPLE001, COUPLE003) and the shared-database rule judge only what a service uses."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, expected_markers

from auditor.audit import audit
from auditor.scan import scan

COMPOSE = FIXTURES / "calls-compose-shop"
K8S = FIXTURES / "calls-k8s-shop"
RULES = ("RESIL001", "COUPLE001", "COUPLE003", "DATA003")


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in (".yml", ".yaml", ".env")}


def _found(root: Path) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.location.path, f.location.line) for f in audit(root).findings if f.rule_id in RULES}


def _edges(root: Path) -> set[tuple[str, str, str, str]]:
    """(source, kind, target, purpose or resolved_from) of the address edges of services (not of configs)."""
    graph = scan(root).graph
    return {(e.source, e.kind, e.target, str(e.attrs.get("purpose") or e.attrs.get("resolved_from") or ""))
            for _, _, e in graph.edges(data="edge") if e.kind in ("calls", "connects_to", "knows_address")
            and graph.nodes[e.source]["node"].kind != "config"}


def test_compose_findings_are_the_calls_the_environment_makes() -> None:
    assert _found(COMPOSE) == expected_markers(_files(COMPOSE))


def test_compose_addresses_known_but_not_called() -> None:
    edges = _edges(COMPOSE)
    svc = "compose:service:."
    assert {
        (f"{svc}/webmvc", "knows_address", f"{svc}/catalog-api", "health"),  # CatalogUrlHC
        (f"{svc}/webmvc", "knows_address", f"{svc}/identity-api", "identity"),  # the JWT authority
        (f"{svc}/webmvc", "knows_address", "external:host:shop.example.com", "mention"),  # an OIDC callback
        (f"{svc}/checkout", "knows_address", f"{svc}/recommendations", "disabled"),
        (f"{svc}/checkout", "knows_address", "external:host:api.github.com", "background"),
        (f"{svc}/checkout", "knows_address", "external:host:ledger.corp.internal", "address"),  # nothing answers
        (f"{svc}/storefront", "knows_address", f"{svc}/checkout", "browser"),
        (f"{svc}/storefront", "knows_address", "external:host:shop.example.com", "self"),
        # the shared common.env: every consumer is given every address
        (f"{svc}/cart", "knows_address", f"{svc}/catalog-api", "address_book"),
        (f"{svc}/payment", "knows_address", f"{svc}/cart", "address_book"),
        (f"{svc}/catalog-api", "knows_address", f"{svc}/payment", "address_book"),
    } <= edges
    # a callback/webhook word does not stop a call to a service of the deployment; `cart:7070` is a call
    assert {
        (f"{svc}/webmvc", "calls", f"{svc}/webhooks-api", "mention"),
        (f"{svc}/checkout", "calls", f"{svc}/cart", "address"),
        (f"{svc}/checkout", "calls", f"{svc}/payment", ""),
        (f"{svc}/cart", "connects_to", f"{svc}/redis", ""),
    } <= edges
    called = {(source, target) for source, kind, target, _ in edges if kind == "calls"}
    assert (f"{svc}/webmvc", f"{svc}/identity-api") not in called
    assert not {pair for pair in called if pair[0] in (f"{svc}/cart", f"{svc}/payment", f"{svc}/catalog-api")}
    assert (f"{svc}/webmvc", f"{svc}/webmvc") not in called  # SelfUrl is its own address


def test_kubernetes_findings_are_the_keys_each_workload_loads() -> None:
    assert _found(K8S) == expected_markers(_files(K8S))


def test_kubernetes_key_references_bring_only_the_named_keys() -> None:
    edges = _edges(K8S)
    dep = "kubernetes:Deployment:shop"
    db = "kubernetes:StatefulSet:shop/orders-db"
    connects = {(source, target) for source, kind, target, _ in edges if kind == "connects_to"}
    # REDIS_HOST by configMapKeyRef: the cache, not the database URL stated next to it
    assert (f"{dep}/cart", f"{dep}/redis") in connects
    assert (f"{dep}/cart", db) not in connects
    # a volume with `items` mounts only the keys listed
    assert (f"{dep}/ui", db) not in connects
    assert (f"{dep}/orders", db) in connects
    # secretKeyRef likewise
    assert (f"{dep}/catalog", "external:host:catalog-db.internal") in connects
    # the address book loaded whole by envFrom: known addresses; the key the ui picked from it: a call
    assert {
        (f"{dep}/cart", "knows_address", f"{dep}/catalog", "address_book"),
        (f"{dep}/catalog", "knows_address", f"{dep}/orders", "address_book"),
        (f"{dep}/orders", "knows_address", f"{dep}/cart", "address_book"),
        (f"{dep}/ui", "calls", f"{dep}/orders", ""),
    } <= edges
    assert not any(kind == "calls" and source != f"{dep}/ui" for source, kind, _, _ in edges)


def test_kubernetes_settings_come_only_from_the_named_keys(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({
        "k8s/app.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: tuning, namespace: shop}
data:
  HTTP_CLIENT_TIMEOUT: 2s
  DB_POOL_MAX: "20"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:2.0
          env:
            - name: DB_POOL_MAX
              valueFrom: {configMapKeyRef: {name: tuning, key: DB_POOL_MAX}}
""",
    })
    api = scan(root).graph.nodes["kubernetes:Deployment:shop/api"]["node"]
    assert {(s.topic, s.key) for s in api.settings} == {("pool", "DB_POOL_MAX")}


def _shared_env(services: list[str], addresses: dict[str, str]) -> dict[str, str]:
    compose = "services:\n" + "".join(f"  {name}:\n    build: ./{name}\n    env_file: shared.env\n"
                                      for name in services)
    return {"docker-compose.yml": compose,
            "shared.env": "".join(f"{key}={value}\n" for key, value in addresses.items()),
            **{f"{name}/Dockerfile": "FROM python:3.12-slim\n" for name in services}}


def test_a_config_two_services_load_is_not_an_address_book(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(_shared_env(["orders", "payments"], {"ORDERS_URL": "http://orders:8000",
                                                     "PAYMENTS_URL": "http://payments:8000"}))
    edges = _edges(root)
    assert ("compose:service:./orders", "calls", "compose:service:./payments", "") in edges
    assert ("compose:service:./payments", "calls", "compose:service:./orders", "") in edges


def test_a_shared_config_naming_one_of_its_consumers_is_not_an_address_book(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo(_shared_env(["web", "worker", "auth"], {"AUTH_SERVICE_URL": "http://auth:9000"}))
    calls = {(s, t) for s, kind, t, _ in _edges(root) if kind == "calls"}
    assert calls == {("compose:service:./web", "compose:service:./auth"),
                     ("compose:service:./worker", "compose:service:./auth")}


def test_an_unresolved_host_named_like_the_holder_is_its_own_address(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({"k8s/web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:3.1
          env:
            - {name: WEB_LINKS_BASE, value: "http://web:8080/"}
"""})
    assert _edges(root) == {("kubernetes:Deployment:shop/web", "knows_address", "external:host:web", "self")}


def test_a_log_sink_is_not_a_request_path_call(repo) -> None:  # type: ignore[no-untyped-def]
    root = repo({"docker-compose.yml": "services:\n  api:\n    build: ./api\n    environment:\n"
                                       "      SeqServerUrl: http://seq\n      ORDERS_URL: http://orders:80\n"
                                       "  seq:\n    image: datalust/seq:2024.3\n  orders:\n    build: ./orders\n"})
    assert {(f.rule_id, f.location.line) for f in audit(root).findings if f.rule_id == "RESIL001"} == \
        {("RESIL001", 6)}
