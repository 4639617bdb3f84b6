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
- a Helm chart: one deployment per values profile, `helm:charts/shop`, `helm:charts/shop@values-prod.yaml`
  (`helm-values:…` when read from values without helm), set by render/helm.py;
- a kustomize overlay: `kustomize:deploy/overlays/prod`, set by render/kustomize.py;
- an app-config file or a source file: the deployment of the service it configures; a service implied by
  config files alone: their directory.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from auditor.model import Facts, Node

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
        if node.attrs.get("deployment"):
            continue  # a rendered chart's or overlay's objects: it is their deployment (render/helm.py, kustomize.py)
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


def separate_variants(facts: Iterable[Facts]) -> list[Facts]:
    """Kubernetes objects of one kind, namespace and name in two manifest roots (`guestbook/` and
    `kustomize-guestbook/`, `kubernetes-manifests/` and `release/`) are two objects of two deployments, not one
    node merged from both with the edges of each copy. Every object of a root that shares an id with an earlier
    root (in path order) gets the root in its id's scope (`kubernetes:Deployment:default@release/web`), and so
    do the references between objects of that root; references to an object only another root defines keep
    pointing at it. (The manifests and patches kustomize overlays read are rendered per overlay, render/kustomize.py,
    and come here in their overlay's scope.)"""
    facts = list(facts)
    root_of: dict[str, str] = {}
    defined: dict[str, set[str]] = defaultdict(set)
    roots_of_id: dict[str, set[str]] = defaultdict(set)
    for f in facts:
        if f.kind != "kubernetes" or f.extra.get("deployment"):
            continue  # (a rendered chart's or overlay's objects are in its scope already)
        directory = posixpath.dirname(f.path) or "."
        root = manifest_root(directory)
        root_of[f.path] = root
        for node in f.nodes:
            defined[root].add(node.id)
            roots_of_id[node.id].add(root)
    variants = {root for roots in roots_of_id.values() if len(roots) > 1 for root in sorted(roots)[1:]}
    if not variants:
        return facts
    renamed: dict[str, dict[str, str]] = {root: {ident: _variant_id(ident, root) for ident in defined[root]}
                                          for root in variants}
    result = []
    for f in facts:
        rename = renamed.get(root_of.get(f.path, ""))
        if rename is None:
            result.append(f)
            continue
        nodes = tuple(dataclasses.replace(n, id=rename.get(n.id, n.id)) for n in f.nodes)
        edges = tuple(dataclasses.replace(e, source=rename.get(e.source, e.source),
                                          target=rename.get(e.target, e.target)) for e in f.edges)
        result.append(dataclasses.replace(f, nodes=nodes, edges=edges))
    return result


def _variant_id(ident: str, root: str) -> str:
    """`kubernetes:Deployment:default/web` in root `release` → `kubernetes:Deployment:default@release/web`."""
    source, type_, rest = ident.split(":", 2)
    scope, _, name = rest.rpartition("/")
    return f"{source}:{type_}:{scope}@{root}/{name}"


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
