"""The HTML report without a browser: one offline file, repository text inert, and the graph view it draws
(which nodes are drawn, what is folded into them, which edges join them). tests/test_html_browser.py opens it in
Chromium."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import AuditResult, audit
from auditor.graph.export import deployments
from auditor.report import html
from auditor.report.graph_view import views

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(ROOT / "bench"))
from make_repo import make_repo  # noqa: E402

SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def audited(name: str) -> AuditResult:
    return audit(FIXTURES / name)


def data_of(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    assert found
    result: dict[str, Any] = json.loads(found.group(1))
    return result


@pytest.mark.parametrize("name", ["mixed-compose-microservices", "hostile", "terraform-aws-vpc"])
def test_html_is_one_offline_file(name: str) -> None:
    result = audited(name)
    page = html.render(result)
    assert page.startswith("<!DOCTYPE html>")
    scripts = SCRIPT.findall(page)
    # errors.js, the JSON, the vendored library and its layout, the page's script: all inline, none loaded
    assert [attrs for attrs, _ in scripts] == ["", ' type="application/json" id="report-data"', "", "", ""]
    assert [body for _, body in scripts][2:] == [html.asset(n) for n in html.SCRIPTS]
    markup = SCRIPT.sub("", page).lower()
    assert not re.search(r"<link\b|@import|url\(", markup)
    assert set(re.findall(r"<(\w+)[^>]*\b(?:href|src|srcset|data)\s*=", markup)) <= {"a"}
    data = data_of(page)
    assert len(data["findings"]) == len(result.findings)
    assert [v["name"] for v in data["views"]] == deployments(result.scan.graph)
    for view in data["views"]:
        assert set(view["drawn"]) | set(view["unowned"]) | {int(k) for k in view["owner"]} == set(view["every_node"])


def test_embedded_json_cannot_end_its_element() -> None:
    value = {"name": "</script><!-- <b> & \u2028"}
    text = html.embedded_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028"}
    assert json.loads(text) == value


def test_repository_text_is_inert() -> None:
    base = audited("mixed-compose-microservices")
    message = '<script>alert(1)</script> & "quote"\n::error file=x::owned\x1b[2J\u202e'
    result = dataclasses.replace(base, findings=[dataclasses.replace(base.findings[0], message=message),
                                                 *base.findings[1:]])
    page = html.render(result)
    assert "<script>alert(1)" not in page and "\u202e" not in page and "\x1b" not in page
    assert not any(line.startswith("::") for line in page.splitlines())
    assert page.count("<script>") == 4  # errors.js, cytoscape, cytoscape-dagre, report.js
    messages = [f["message"] for f in data_of(page)["findings"]]
    assert '<script>alert(1)</script> & "quote"\\n::error file=x::owned\\x1b[2J\\u202e' in messages


def test_infrastructure_is_folded_into_the_node_it_belongs_to() -> None:
    found = {v.deployment: v for v in views(audited("mixed-eks-spring").scan.graph)}
    k8s = found["kubernetes:k8s"]
    orders, inventory = "kubernetes:Deployment:shop/orders", "kubernetes:Deployment:shop/inventory"
    ingress, database = "kubernetes:Ingress:shop/shop", "terraform:aws_db_instance:terraform/orders"
    assert k8s.drawn == (inventory, orders, ingress, database)
    assert {k: v for k, v in k8s.owner.items() if k != v} == {
        "kubernetes:ConfigMap:shop/orders-config": orders,
        "kubernetes:HorizontalPodAutoscaler:shop/orders": orders,
        "kubernetes:Service:shop/inventory": inventory,
        "kubernetes:Service:shop/orders": orders,
    }
    assert k8s.unowned == ()
    # Ingress → Service → Deployment is drawn Ingress → Deployment, at the Ingress's backend line; the database
    # that orders reaches through its ConfigMap is drawn from orders, at the ConfigMap's line.
    drawn_edges = [(e.source, e.target, e.kinds, [str(w) for w in e.locations], e.in_cycle) for e in k8s.edges]
    assert drawn_edges == [
        (inventory, orders, ("calls",), ["k8s/inventory.yaml:26"], True),
        (inventory, database, ("connects_to",), ["k8s/inventory.yaml:22"], False),
        (orders, inventory, ("calls",), ["k8s/orders.yaml:26"], True),
        (orders, database, ("connects_to",), ["k8s/orders-config.yaml:12"], False),
        (ingress, inventory, ("routes_to",), ["k8s/ingress.yaml:27"], False),
        (ingress, orders, ("routes_to",), ["k8s/ingress.yaml:20"], False),
    ]
    terraform = found["terraform:terraform"]
    assert terraform.drawn == ("terraform:aws_db_instance:terraform/orders",
                               "terraform:aws_elasticache_cluster:terraform/sessions")
    assert terraform.unowned == ("terraform:module:terraform-aws-modules/eks/aws:terraform/eks",
                                 "terraform:module:terraform-aws-modules/vpc/aws:terraform/vpc")


def test_forty_services_are_forty_one_boxes(tmp_path: Path) -> None:
    result = audit(make_repo(tmp_path / "repo", 40))
    data = html.page_data(result)
    view = data["views"][data["default_view"]]
    assert view["name"] == "kubernetes:k8s"
    names = sorted(data["nodes"][i]["name"] for i in view["drawn"])
    assert names == ["orders", *(f"svc{i:03d}" for i in range(40))]
    # each workload's Service and (for even ones) HPA are folded into it
    folded = {(data["nodes"][int(k)]["type"], data["nodes"][int(k)]["name"], data["nodes"][v]["name"])
              for k, v in view["owner"].items()}
    assert folded == {("Service", f"svc{i:03d}", f"svc{i:03d}") for i in range(40)} | {
        ("HorizontalPodAutoscaler", f"svc{i:03d}", f"svc{i:03d}") for i in range(0, 40, 2)}
    assert view["unowned"] == []


def test_vendored_files_are_the_ones_the_manifest_pins() -> None:
    manifest = json.loads((html.ASSETS / "VENDORED.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        digest = hashlib.sha256((html.ASSETS / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["file"]
    licensed = {e["package"] for e in manifest["files"] if e["path"] == "LICENSE"}
    assert {e["package"] for e in manifest["files"]} <= licensed
    assert {e["file"] for e in manifest["files"] if e["file"].endswith(".js")} == set(html.SCRIPTS) - {"report.js"}
