"""What each service node is, decided once for every rule: our application, or something else.

Rules about code (tracing, metrics, timeouts, coupling) judge only `application`: code this repository builds
or deploys as its own. Everything else that runs in a container gets the role that says why it is not judged:

- `datastore`, `cache`, `queue`: the node's kind is set to match (a database is never a stateless app), from a
  known engine image or from the workload's own name (`catalogue-db` built `FROM mongo`);
- `edge_proxy`: nginx/Envoy/HAProxy/Traefik/Caddy…, by image or because the only config it loads is a proxy's;
- `observability`, `tooling`, `infrastructure` (identity, secrets, config servers, registries), `third_party`
  (another vendor's application run as shipped), `load_generator`, `test` (test runners), `job` (Jobs,
  CronJobs, migrations and one-off setup containers), `optional` (a compose service behind `profiles:`, not
  started by default), `frontend` (a service whose code runs in browsers: a single-page app's dev server or host;
  judged for availability, not for tracing, timeouts or coupling), `fragment` (a compose service that no file
  of its project gives an image or a build: keys left for a service that is gone, which `docker compose`
  refuses to start).

Knowledge of images and names is data (auditor/knowledge/images.yaml). An image that is not known is our
application: a single-segment name (`image: frontend`, as skaffold and kustomize builds write it) is not
taken for a Docker Hub official image unless it is a known one.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

import networkx as nx

from auditor.graph.buildfiles import dockerfile_path
from auditor.graph.deployments import compose_test_file
from auditor.knowledge import image_base, image_engine, image_role, name_role
from auditor.model import Node, node_id

APPLICATION = "application"
# Not a service under judgement at all.
NOT_JUDGED = frozenset({"job", "test", "load_generator", "optional", "fragment"})

_LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig",
                           "ReplicationController", "DaemonSet"})
_PROXY_CONFIGS = frozenset({"nginx", "haproxy", "envoy", "traefik", "apache", "caddy"})
_TERRAFORM_APPS = frozenset({"aws_ecs_service", "aws_lambda_function"})
_STATEFUL_KINDS = frozenset({"datastore", "cache", "queue", "storage", "proxy"})  # roles that are node kinds
_ONE_OFF_RESTART = frozenset({"no", "on-failure"})
# Words of a command that runs a one-off task (`npm run db-setup && node db/generate_orders.js`, `manage.py
# migrate`, `rake db:seed`): with no restart policy and no published port, the container exits when done.
_ONE_OFF_COMMAND = re.compile(r"(?<![\w-])(migrate|migration|db[-:_]?setup|db[-:_]?seed|seed|loaddata|fixtures|"
                              r"generate[-_]\w+|import[-_]data|load[-_]data|init[-_]db|createsuperuser)(?![\w-])",
                              re.IGNORECASE)


def assign_roles(graph: nx.MultiDiGraph) -> None:
    """Set `attrs["role"]` on every node (its kind for non-services); a service that runs a datastore,
    cache or queue becomes a node of that kind. Runs after graph/deployments.py."""
    recipes = _recipe_deployments(graph)
    proxies = _proxy_built_images(graph)
    for ident, node in list(graph.nodes(data="node")):
        if node.kind != "service":
            if "role" not in node.attrs:  # an external host already says what it serves (datastore, service…)
                graph.nodes[ident]["node"] = dataclasses.replace(node, attrs={**node.attrs, "role": node.kind})
            continue
        role = _service_role(graph, node, proxies)
        attrs = {**node.attrs}
        if node.attrs.get("deployment") in recipes:
            attrs["recipe"] = True  # run as its publisher ships it: not judged as a scaled deployment either
            if role == APPLICATION:
                role = "third_party"
        attrs["role"] = role
        kind = node.kind
        if role in _STATEFUL_KINDS:
            kind = role
            found = image_engine(attrs.get("image"))
            attrs["engine"] = attrs.get("engine") or (found[0] if found else None)
        graph.nodes[ident]["node"] = dataclasses.replace(node, kind=kind, attrs=attrs)


def _recipe_deployments(graph: nx.MultiDiGraph) -> set[str]:
    """Compose projects that build nothing: every service runs a published image. Such a project is a recipe
    for running someone else's software (a self-hosting example); its code lives elsewhere, so its
    services are third-party even when their images are not known by name. (Kubernetes manifests are
    not judged so: they are how an organisation deploys its own images, built by other repositories.)"""
    # Projects of one service each (`employee-service/pom.xml`), not the repository's root project: examples
    # that run a tool's published image (`fake-service/examples/`) are recipes of that tool.
    projects = {name for _, node in graph.nodes(data="node") if node.source == "buildfile" and node.kind == "config"
                and not node.attrs.get("test") and node.type != "dockerfile" and (node.attrs.get("dir") or ".") != "."
                for name in (str(node.attrs.get("project") or "").lower(),
                             posixpath.basename(str(node.attrs.get("dir") or "")).lower()) if name}
    building: dict[str, bool] = {}
    for _, node in graph.nodes(data="node"):
        deployment = node.attrs.get("deployment")
        if node.source == "compose" and node.kind != "config" and isinstance(deployment, str):
            # built here, pushed by the owner's CI, or an image named like a project of this repository
            # (`piomin/employee-service` next to `employee-service/pom.xml`, built with `spring-boot:build-image`)
            ours = bool(node.attrs.get("build_context")) or _private_registry(node.attrs.get("image")) or \
                image_base(node.attrs.get("image")) in projects
            building[deployment] = building.get(deployment, False) or ours
    return {deployment for deployment, builds in building.items() if not builds}


def _private_registry(image: object) -> bool:
    """`registry.example.com/shop/orders:2.3` is pushed by its owner's CI (a registry host that is not a
    public one): the project deploys its own images, built elsewhere."""
    if not isinstance(image, str) or "/" not in image:
        return False
    host = image.strip().lower().split("/", 1)[0]
    return ("." in host or ":" in host or host == "localhost") and host not in _PUBLIC_REGISTRIES


_PUBLIC_REGISTRIES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "ghcr.io", "quay.io",
                                "lscr.io", "gcr.io", "mcr.microsoft.com", "public.ecr.aws", "registry.gitlab.com",
                                "docker.elastic.co", "registry.k8s.io", "k8s.gcr.io", "codeberg.org",
                                "cgr.dev", "container-registry.oracle.com"})


def _service_role(graph: nx.MultiDiGraph, node: Node, proxies: frozenset[str] = frozenset()) -> str:
    attrs = node.attrs
    if attrs.get("missing"):
        return "external"
    if attrs.get("profiles"):
        return "optional"
    if node.source == "kubernetes" and attrs.get("workload_kind") not in _LONG_RUNNING:
        return "job"  # Jobs, CronJobs and bare Pods finish or are not managed: nothing to scale or trace
    if node.source == "compose" and str(attrs.get("restart") or "no").lower() in _ONE_OFF_RESTART and \
            not attrs.get("published_ports") and (name_role(node.name) == "job" or
                                                   _ONE_OFF_COMMAND.search(str(attrs.get("command") or ""))):
        return "job"  # runs once and exits: a migration, a seed, a data load
    if node.source == "compose" and compose_test_file(node.location.path):
        return "test"  # defined only in a compose file that runs tests (a base definition would be cited first)
    if node.source == "compose" and not attrs.get("image") and not attrs.get("build_context") \
            and not attrs.get("extends"):
        return "fragment"  # no file of the project gives it an image or a build: compose cannot start it
    if node.source == "terraform" and node.type not in _TERRAFORM_APPS:
        return "infrastructure"
    image = attrs.get("image")
    engine = image_engine(image)
    if engine is not None:
        return engine[1]  # (a parser that knew the engine made it a node of that kind already)
    by_image = image_role(image)
    built_here = bool(attrs.get("build_context"))
    if by_image is not None and not (built_here and by_image == "third_party"):
        return by_image
    by_name = name_role(node.name)
    if by_name is not None:
        return by_name
    if _configured_only_by_proxy_configs(graph, node):
        return "edge_proxy"  # a local Dockerfile with an nginx.conf, or an implied service of one
    if _only_browser_code(graph, node):
        return "frontend"  # its code runs in browsers (a single-page app's dev server or host): no server to trace
    tool = _hosted_tool(graph, node)
    if tool:
        return tool  # its code hosts a dashboard (HealthChecks UI) and makes no call or connection of its own
    if _served_by_proxy_image(graph, node) or image_base(attrs.get("image")) in proxies:
        # built here (or the image a compose file of the repository builds), but what runs is a web server or
        # proxy: nginx serving a built single-page app, an Envoy gateway with its config
        return "edge_proxy"
    return APPLICATION


def _configured_only_by_proxy_configs(graph: nx.MultiDiGraph, node: Node) -> bool:
    configs = [graph.nodes[source]["node"] for source, _, edge in graph.in_edges(node.id, data="edge")
               if edge.kind == "configures" and source in graph]
    configs = [c for c in configs if c.source == "appconfig" and c.kind == "config"]
    return bool(configs) and all(c.type in _PROXY_CONFIGS for c in configs)


def _only_browser_code(graph: nx.MultiDiGraph, node: Node) -> bool:
    """Every source file the service owns that says anything is browser code: no request handler, no server call."""
    code = [graph.nodes[source]["node"] for source, _, edge in graph.in_edges(node.id, data="edge")
            if edge.kind == "configures" and graph.nodes[source]["node"].source == "code"]
    return bool(code) and all(c.attrs.get("browser") for c in code)


def _hosted_tool(graph: nx.MultiDiGraph, node: Node) -> str:
    """The role of the off-the-shelf tool the service's code hosts (code/facts.py `hosts_tool`), or "" when none
    does, or when its own code also calls services or opens connections (then it is an application too)."""
    code = [(source, graph.nodes[source]["node"]) for source, _, edge in graph.in_edges(node.id, data="edge")
            if edge.kind == "configures" and graph.nodes[source]["node"].source == "code"]
    tools = {str(c.attrs["hosts_tool"]) for _, c in code if c.attrs.get("hosts_tool")}
    if len(tools) != 1:
        return ""
    own = any(edge.kind in ("calls", "connects_to") and edge.attrs.get("code")
              for _, _, edge in graph.out_edges(node.id, data="edge"))
    return "" if own or any(c.attrs.get("unresolved_calls") for _, c in code) else tools.pop()


def _proxy_built_images(graph: nx.MultiDiGraph) -> frozenset[str]:
    """Images the repository's compose files build from a Dockerfile that runs a web server or proxy, so a
    Kubernetes workload running the same image is that proxy too."""
    found = {image_base(node.attrs.get("image")) for _, node in graph.nodes(data="node")
             if node.kind == "service" and node.attrs.get("image") and _served_by_proxy_image(graph, node)}
    return frozenset(found - {""})


def _served_by_proxy_image(graph: nx.MultiDiGraph, node: Node) -> bool:
    """The service's own Dockerfile's final stage runs a web server or proxy image (`FROM nginx:1`)."""
    path = dockerfile_path(node) if node.source == "compose" else None
    ident = node_id("buildfile", "dockerfile", path) if path is not None else ""
    built = graph.nodes[ident]["node"] if ident in graph else None
    return built is not None and image_role(built.attrs.get("base_image")) == "edge_proxy"


def role(node: Node) -> str:
    """The role assign_roles gave `node` (its kind if the graph was built without roles)."""
    value = node.attrs.get("role")
    return str(value) if isinstance(value, str) else (APPLICATION if node.kind == "service" else node.kind)
