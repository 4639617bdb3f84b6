"""Which nodes form one deployment: a compose project, a folder of manifests, a Terraform module directory.

A repository often ships one application several ways (compose for development, plain manifests, a
"with-istio" variant, `release/` next to `kubernetes-manifests/`). Each way is a deployment, named in
`attrs["deployment"]`, and rules that ask about "the application" (does it need distributed tracing, is there
a cycle) ask it per deployment.

- compose: the directory of the compose file (`docker-compose.yml` and its override are one project);
- Kubernetes: the manifests' folder, up to its first segment that is not a generic container name
  (`deploy/`, `k8s/`, `manifests/`…): `sock-shop/base/x.yaml` → `sock-shop`, `deploy/kubernetes/x.yaml` →
  `deploy/kubernetes`, `kubernetes-manifests/` and `release/` are two;
- Terraform: the module directory;
- an app-config file or a source file: the deployment of the service it configures; a service implied by
  config files alone: their directory.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

import networkx as nx

from auditor.model import Node

# Folder names that group deployment files without naming an application or a variant of one.
_GENERIC = frozenset({"deploy", "deployment", "deployments", "k8s", "kubernetes", "kube", "manifests", "infra",
                      "infrastructure", "ops", "environments", "envs", "env", "overlays", "clusters", "config",
                      "configs", "yaml", "yamls", "resources", "base"})


# Sources whose nodes are in the deployment of the services they configure (a config file, a source file).
_OWNED = ("appconfig", "code")


# Compose files of one project: the file `docker compose up` reads, then variants (`docker-compose.prod.yml`,
# `docker-compose.ci.yml`), then overrides; `docker-compose.test.yml`/`-tests.yml`/`.ci.yml` run tests.
_COMPOSE_BASE = re.compile(r"^(docker-)?compose\.ya?ml$")
_VARIANT_TOKENS = re.compile(r"[.-]")
_TEST_TOKENS = frozenset({"test", "tests", "testing", "ci", "e2e", "it", "integration", "functional"})


def compose_file_rank(node: Node) -> int:
    """0 for a service defined in the project's main compose file, 1 in a variant, 2 in a test or CI file,
    3 in an override (merged last, so what it states wins); other nodes 0."""
    if node.source != "compose":
        return 0
    if node.attrs.get("override_file"):
        return 3
    name = posixpath.basename(node.location.path).lower()
    if _COMPOSE_BASE.match(name):
        return 0
    return 2 if compose_test_file(node.location.path) else 1


def compose_test_file(path: str) -> bool:
    """`docker-compose.test.yml`, `docker-compose-tests.yml`, `compose.ci.yaml`: a compose file that runs tests."""
    stem = posixpath.basename(path).lower().rsplit(".", 1)[0]
    return bool(set(_VARIANT_TOKENS.split(stem)[1:]) & _TEST_TOKENS)


def assign_deployments(graph: nx.MultiDiGraph) -> None:
    """Set `attrs["deployment"]` on every node defined in a file (compose, Kubernetes, Terraform, app config)."""
    for ident, node in list(graph.nodes(data="node")):
        if node.source in _OWNED or node.attrs.get("missing") or node.kind == "external":
            continue
        _set(graph, ident, node, _of(node))
    for ident, node in list(graph.nodes(data="node")):
        if node.source not in _OWNED or node.kind == "external":
            continue
        owners = sorted({str(graph.nodes[target]["node"].attrs.get("deployment") or "")
                         for _, target, edge in graph.out_edges(ident, data="edge")
                         if edge.kind == "configures" and graph.nodes[target]["node"].source != "appconfig"} - {""})
        directory = posixpath.dirname(node.location.path) or "."
        _set(graph, ident, node, owners[0] if owners else f"{node.source}:{directory}")


def _set(graph: nx.MultiDiGraph, ident: str, node: Node, deployment: str) -> None:
    graph.nodes[ident]["node"] = dataclasses.replace(node, attrs={**node.attrs, "deployment": deployment})


def _of(node: Node) -> str:
    directory = posixpath.dirname(node.location.path) or "."
    if node.source == "kubernetes":
        return f"kubernetes:{manifest_root(directory)}"
    return f"{node.source}:{directory}"


def manifest_root(directory: str) -> str:
    """`sock-shop/base` → `sock-shop`; `deploy/kubernetes` → `deploy/kubernetes`; `.` → `.`."""
    if directory == ".":
        return "."
    parts = directory.split("/")
    for index, part in enumerate(parts):
        if part.lower() not in _GENERIC:
            return "/".join(parts[: index + 1])
    return directory


def deployment_of(node: Node) -> str:
    """The deployment assign_deployments gave `node` ("" when it belongs to none: an external host)."""
    value = node.attrs.get("deployment")
    return value if isinstance(value, str) else ""
