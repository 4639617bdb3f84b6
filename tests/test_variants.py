"""Deployment variants are separate deployments (issue 8, item 3): the same Kubernetes object in two manifest
folders is two nodes, each routed and judged in its own folder; a kustomize overlay is rendered with its patches
(tests/test_kustomize.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import write_repo

from auditor.audit import audit
from auditor.scan import scan


def _app(replicas: int) -> str:
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
            f"  replicas: {replicas}\n"
            "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:1\n"
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
            "  ports: [{port: 80}]\n")


def test_one_object_in_two_folders_is_two_nodes_of_two_deployments(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"kubernetes-manifests/web.yaml": _app(1), "release/web.yaml": _app(3)})
    graph = scan(root).graph
    workloads = {ident: node for ident, node in graph.nodes(data="node") if node.type == "Deployment"}
    assert sorted(workloads) == ["kubernetes:Deployment:default/web", "kubernetes:Deployment:default@release/web"]
    assert {n.attrs["replicas"] for n in workloads.values()} == {1, 3}
    routes = {(s, t) for s, t, e in graph.edges(data="edge") if e.kind == "routes_to"}
    assert routes == {("kubernetes:Service:default/web", "kubernetes:Deployment:default/web"),
                      ("kubernetes:Service:default@release/web", "kubernetes:Deployment:default@release/web")}
    single = [f for f in audit(root).findings if f.rule_id == "AVAIL005"]
    assert [(f.location.path, f.deployment) for f in single] == [("kubernetes-manifests/web.yaml",
                                                                  "kubernetes:kubernetes-manifests")]


def test_an_overlay_is_rendered_with_its_patch_as_a_deployment_of_its_own(tmp_path: Path) -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n"
    root = write_repo(tmp_path, {"app/base/web.yaml": _app(1),
                                 "app/base/kustomization.yaml": "resources: [web.yaml]\n",
                                 "app/overlays/prod/kustomization.yaml": "resources: [../../base]\n"
                                                                         "patches: [{path: web.yaml}]\n",
                                 "app/overlays/prod/web.yaml": patch})
    graph = scan(root).graph
    workloads = {i: n.attrs["replicas"] for i, n in graph.nodes(data="node") if n.type == "Deployment"}
    assert workloads == {"kubernetes:Deployment:default@kustomize:app/overlays/prod/web": 4}


def test_graph_shows_one_deployment_at_a_time(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    root = write_repo(tmp_path, {"kubernetes-manifests/web.yaml": _app(1), "release/web.yaml": _app(3)})

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "auditor.cli", "graph", str(root), *args], capture_output=True,
                              text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})

    assert cli("-d", "list").stdout.split() == ["kubernetes:kubernetes-manifests", "kubernetes:release"]
    shown = json.loads(cli("-d", "kubernetes:release").stdout)
    assert sorted(n["id"] for n in shown["nodes"]) == ["kubernetes:Deployment:default@release/web",
                                                       "kubernetes:Service:default@release/web"]
    unknown = cli("-d", "kubernetes:nowhere")
    assert unknown.returncode == 2 and "kubernetes:release" in unknown.stderr


def test_findings_name_their_deployment_when_there_are_several(tmp_path: Path) -> None:
    from auditor.report import markdown

    root = write_repo(tmp_path, {"kubernetes-manifests/web.yaml": _app(1), "release/web.yaml": _app(1)})
    text = markdown.render(audit(root))
    assert "kubernetes-manifests/web.yaml:5 (kubernetes:kubernetes-manifests)" in text
    assert "release/web.yaml:5 (kubernetes:release)" in text
