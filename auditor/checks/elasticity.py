"""Checks of the elasticity category (see the rule files in rules/ that name them).

Elasticity is about capacity following load: something must be able to add instances (an autoscaler that
can actually move), and the scheduler and the autoscaler must know what one instance costs (requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from auditor.checks.availability import SINGLE_INSTANCE_TOOLS
from auditor.checks.context import CheckContext, Hit
from auditor.model import Location, Node, Related

# Kubernetes workloads whose replica count a horizontal autoscaler is meant to drive (StatefulSets are
# usually datastores whose members are not interchangeable; DaemonSets follow the node count).
_HPA_WORKLOADS = frozenset({"Deployment", "Rollout", "ReplicaSet", "DeploymentConfig"})
# Long-running Kubernetes workloads whose containers the scheduler places for good.
_PLACED_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout",
                               "DeploymentConfig", "ReplicationController"})
_RESOURCES = ("cpu", "memory")


# -- shared helpers --------------------------------------------------------------------------------------


def _containers(node: Node) -> list[dict[str, Any]]:
    containers = node.attrs.get("containers")
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []


def _container_location(node: Node, container: dict[str, Any]) -> Location:
    """The line the parser recorded for a container (Kubernetes nodes come from one file)."""
    line = container.get("line")
    return Location(node.location.path, line) if isinstance(line, int) else node.location


def _requested(container: dict[str, Any], resource: str) -> bool:
    """A request for `resource`, stated or implied: Kubernetes copies a limit into a missing request."""
    for section in ("requests", "limits"):
        values = container.get(section)
        if isinstance(values, dict) and values.get(resource) not in (None, ""):
            return True
    return False


def _namespace_defaults(ctx: CheckContext, node: Node, section: str) -> set[str]:
    """Resources a LimitRange in the workload's namespace fills in for containers that omit them.

    Reads LimitRange nodes with `default_request` / `default` ({cpu, memory}) when the Kubernetes parser
    provides them; without such nodes nothing is defaulted.
    """
    namespace = node.attrs.get("namespace")
    found: set[str] = set()
    if not isinstance(namespace, str):
        return found
    for other in ctx.of_type("LimitRange", namespace=namespace):
        for key in (("default_request", "default") if section == "requests" else ("default",)):
            values = other.attrs.get(key)
            if isinstance(values, dict):
                found.update(r for r in _RESOURCES if values.get(r) not in (None, ""))
    return found


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- ELAST001 no-autoscaling -------------------------------------------------------------------------------


def _ignores_desired_count(node: Node) -> bool:
    """`lifecycle { ignore_changes = [desired_count] }`: the count is driven from outside this code."""
    config = node.attrs.get("config")
    lifecycle = config.get("lifecycle") if isinstance(config, dict) else None
    ignored = lifecycle.get("ignore_changes") if isinstance(lifecycle, dict) else None
    return ignored is not None and "desired_count" in str(ignored)


def _scaling_policies(ctx: CheckContext, node: Node) -> list[Node]:
    found = []
    for edge in ctx.in_edges(node.id):
        other = ctx.node(edge.source)
        if other.type in ("aws_autoscaling_policy", "aws_appautoscaling_policy"):
            found.append(other)
    return found


_ONE_NODE_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})


def _single_writer_claim(ctx: CheckContext, node: Node) -> bool:
    """A Deployment that shares one ReadWriteOnce claim among its pods cannot run them on two nodes: more pods
    cannot come from an autoscaler until its state leaves the volume (AVAIL005 and STATE003 say what to fix)."""
    if node.attrs.get("workload_kind") == "StatefulSet":
        return False
    namespace = node.attrs.get("namespace")
    for volume in node.attrs.get("volumes") or []:
        if not isinstance(volume, dict) or volume.get("type") != "pvc" or volume.get("per_replica"):
            continue
        for claim in ctx.of_type("PersistentVolumeClaim", namespace=namespace if isinstance(namespace, str) else None):
            modes = claim.attrs.get("access_modes")
            if claim.name == volume.get("source") and isinstance(modes, list) and modes and \
                    set(modes) <= _ONE_NODE_MODES:
                return True
    return False


def _data_in_memory(ctx: CheckContext, node: Node) -> bool:
    """A service configured to keep its own data in process memory (`PERSISTENCE_PROVIDER=in-memory`) is not
    stateless: pods an autoscaler adds would each hold a different part of the data."""
    return any(s.value == "memory" for s in ctx.production_settings(node, "data_store"))


def unscaled_workloads(ctx: CheckContext) -> Iterator[Hit]:
    """Traffic-serving stateless workloads whose instance count nothing can change with load."""
    for node in ctx.workloads():
        if node.source != "kubernetes" or node.attrs.get("workload_kind") not in _HPA_WORKLOADS or \
                not ctx.serves_traffic(node) or node.attrs.get("role") in SINGLE_INSTANCE_TOOLS:
            continue
        if node.attrs.get("replicas") == 0:
            continue  # parked on purpose
        ctx.examine(node)
        if ctx.autoscalers(node) or _single_writer_claim(ctx, node) or _data_in_memory(ctx, node):
            continue
        replicas = node.attrs.get("replicas")
        count = f"a fixed {replicas} replica{'s' if replicas != 1 else ''}" if isinstance(replicas, int) else \
            "a fixed replica count"
        yield Hit(node.id, f"{node.type} `{node.name}` serves traffic with {count} and no "
                           "HorizontalPodAutoscaler or KEDA ScaledObject; it cannot add pods under load",
                  attr="replicas")
    for node in ctx.nodes("service", "terraform"):
        if node.type != "aws_ecs_service" or node.attrs.get("replicas") is None:
            continue  # DAEMON scheduling or an unknown count
        if not ctx.in_edges(node.id, ["routes_to"]):
            continue
        ctx.examine(node)
        if node.attrs.get("autoscaled") or ctx.autoscalers(node) or _ignores_desired_count(node):
            continue
        yield Hit(node.id, f"ECS service `{node.name}` serves traffic with desired_count = "
                           f"{node.attrs.get('replicas')} and no aws_appautoscaling_target; it cannot add tasks "
                           "under load", attr="replicas")
    for node in ctx.nodes("autoscaler", "terraform"):
        if node.type != "aws_autoscaling_group" or not ctx.in_edges(node.id, ["routes_to"]):
            continue
        low, high = _int(node.attrs.get("min_size")), _int(node.attrs.get("max_size"))
        if low is None or high is None or high <= low:
            continue  # a fixed-size group is ELAST003's subject
        ctx.examine(node)
        if _scaling_policies(ctx, node):
            continue
        yield Hit(node.id, f"Auto Scaling group `{node.name}` serves traffic and may run {low}–{high} "
                           "instances, but no aws_autoscaling_policy changes its size with load",
                  attr="max_size")


# -- ELAST002 hpa-target-without-requests ---------------------------------------------------------------


def _utilisation_metrics(autoscaler: Node) -> list[tuple[str, str | None, Location | None]]:
    """(resource, container or None, evidence) for each utilisation target of an HPA.

    Uses the parser's per-metric `metric_targets` (type, name, target_type, container, line) when present;
    otherwise only a CPU `averageUtilization` / `targetCPUUtilizationPercentage` is certain to be a
    utilisation target (a memory or CPU `AverageValue` target needs no requests).
    """
    targets = autoscaler.attrs.get("metric_targets")
    if isinstance(targets, list):
        found: list[tuple[str, str | None, Location | None]] = []
        for target in targets:
            if not isinstance(target, dict) or str(target.get("target_type", "")).lower() != "utilization":
                continue
            resource = target.get("name")
            if resource not in _RESOURCES:
                continue
            line = target.get("line")
            where = Location(autoscaler.location.path, line) if isinstance(line, int) else None
            container = target.get("container")
            found.append((str(resource), container if isinstance(container, str) else None, where))
        return found
    if autoscaler.type == "HorizontalPodAutoscaler" and _int(autoscaler.attrs.get("target_cpu")) is not None:
        return [("cpu", None, autoscaler.evidence.get("target_cpu"))]
    return []


def hpa_targets_without_requests(ctx: CheckContext) -> Iterator[Hit]:
    """Utilisation targets on workloads whose containers request none of that resource."""
    for autoscaler in ctx.nodes("autoscaler", "kubernetes"):
        metrics = _utilisation_metrics(autoscaler)
        if not metrics:
            continue
        for edge in ctx.out_edges(autoscaler.id, ["scales"]):
            workload = ctx.node(edge.target)
            containers = _containers(workload)
            if not containers:
                continue  # the target is defined elsewhere (or not at all): nothing to judge
            ctx.examine(autoscaler)
            defaulted = _namespace_defaults(ctx, workload, "requests")
            for resource, only, where in metrics:
                if resource in defaulted:
                    continue
                missing = [c for c in containers
                           if (only is None or c.get("name") == only) and not _requested(c, resource)]
                if not missing:
                    continue
                names = ", ".join(f"`{c.get('name')}`" for c in missing)
                related = tuple(Related(_container_location(workload, c),
                                        f"container `{c.get('name')}` of {workload.type} `{workload.name}` has "
                                        f"no {resource} request") for c in missing)
                yield Hit(autoscaler.id,
                          f"{autoscaler.type} `{autoscaler.name}` scales {workload.type} `{workload.name}` on "
                          f"{resource} utilisation, but container{'s' if len(missing) > 1 else ''} {names} "
                          f"request{'s' if len(missing) == 1 else ''} no {resource}; utilisation cannot be "
                          "computed and the autoscaler never scales",
                          evidence=where or autoscaler.evidence.get("metrics"), related=related,
                          key=f"{workload.id}#{resource}")


# -- ELAST003 autoscaler-min-equals-max ------------------------------------------------------------------

# (node type, min attribute, max attribute, what to call the bounds)
_BOUNDS: dict[str, tuple[str, str, str]] = {
    "HorizontalPodAutoscaler": ("min_replicas", "max_replicas", "minReplicas = maxReplicas"),
    "ScaledObject": ("min_replicas", "max_replicas", "minReplicaCount = maxReplicaCount"),
    "aws_appautoscaling_target": ("min_capacity", "max_capacity", "min_capacity = max_capacity"),
    "aws_autoscaling_group": ("min_size", "max_size", "min_size = max_size"),
    "module:terraform-aws-modules/autoscaling/aws": ("min_size", "max_size", "min_size = max_size"),
    "aws_eks_node_group": ("min_size", "max_size", "scaling_config min_size = max_size"),
    "google_container_node_pool": ("min_size", "max_size", "autoscaling min_node_count = max_node_count"),
}
_NODE_POOLS = frozenset({"aws_eks_node_group", "google_container_node_pool"})
_SELF_HEALING = frozenset({"aws_autoscaling_group", "module:terraform-aws-modules/autoscaling/aws"})


def _can_grow(node: Node) -> bool:
    low, high = _int(node.attrs.get("min_size")), _int(node.attrs.get("max_size"))
    return low is not None and high is not None and high > low


def _sibling_pool_grows(ctx: CheckContext, pool: Node) -> bool:
    """Another node pool of the same cluster can add nodes (a fixed system pool next to a scaling one)."""
    for edge in ctx.in_edges(pool.id, ["contains"]):
        cluster = ctx.node(edge.source)
        if cluster.kind != "cluster":
            continue
        for other in ctx.out_edges(cluster.id, ["contains"]):
            sibling = ctx.node(other.target)
            if sibling.id != pool.id and sibling.type in _NODE_POOLS and _can_grow(sibling):
                return True
    return False


def fixed_autoscalers(ctx: CheckContext) -> Iterator[Hit]:
    """Autoscalers (and node pools) whose lower and upper bounds are equal: they cannot scale."""
    for node in ctx.nodes():
        bounds = _BOUNDS.get(node.type)
        if bounds is None or node.kind not in ("autoscaler", "cluster"):
            continue
        low_attr, high_attr, label = bounds
        if node.type == "google_container_node_pool" and not isinstance(
                (node.attrs.get("config") or {}).get("autoscaling"), dict):
            continue  # no autoscaling block: a fixed pool by design, min/max are not stated
        low, high = _int(node.attrs.get(low_attr)), _int(node.attrs.get(high_attr))
        if low is None or high is None:
            continue
        if node.type in _SELF_HEALING and not (ctx.in_edges(node.id, ["routes_to"]) or _scaling_policies(ctx, node)):
            continue  # a fixed group nothing routes to is a self-healing singleton (bastion, NAT instance)
        ctx.examine(node)
        if low != high or high == 0:
            continue
        if node.type in _NODE_POOLS and _sibling_pool_grows(ctx, node):
            continue
        what = {"HorizontalPodAutoscaler": "HPA", "ScaledObject": "KEDA ScaledObject"}.get(node.type, node.type)
        yield Hit(node.id, f"{what} `{node.name}` has {label} = {high}; it can never add or remove capacity",
                  attr=high_attr)


# -- ELAST004 missing-resource-requests / ELAST005 missing-memory-limit ---------------------------------


def _placed_workloads(ctx: CheckContext) -> Iterator[Node]:
    for node in ctx.nodes(source="kubernetes"):
        if node.attrs.get("workload_kind") in _PLACED_WORKLOADS and _containers(node):
            yield node


def containers_without_requests(ctx: CheckContext) -> Iterator[Hit]:
    """Long-running containers that request no CPU or no memory (stated, implied by a limit, or defaulted)."""
    for node in _placed_workloads(ctx):
        ctx.examine(node)
        defaulted = _namespace_defaults(ctx, node, "requests")
        for container in _containers(node):
            missing = [r for r in _RESOURCES if r not in defaulted and not _requested(container, r)]
            if not missing:
                continue
            yield Hit(node.id, f"{node.type} `{node.name}`: container `{container.get('name')}` requests no "
                               f"{' and no '.join(missing)}; the scheduler packs it blind and utilisation-based "
                               "autoscaling cannot work", evidence=_container_location(node, container),
                      key=str(container.get("name")))


def containers_without_memory_limit(ctx: CheckContext) -> Iterator[Hit]:
    """Long-running containers with no memory limit (a leak takes the node's memory from its neighbours)."""
    for node in _placed_workloads(ctx):
        ctx.examine(node)
        if "memory" in _namespace_defaults(ctx, node, "limits"):
            continue
        for container in _containers(node):
            limits = container.get("limits")
            if isinstance(limits, dict) and limits.get("memory") not in (None, ""):
                continue
            yield Hit(node.id, f"{node.type} `{node.name}`: container `{container.get('name')}` has no memory "
                               "limit; a leak or spike consumes the node's memory until neighbours are evicted "
                               "or OOM-killed", evidence=_container_location(node, container),
                      key=str(container.get("name")))


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "unscaled_workloads": unscaled_workloads,
    "hpa_targets_without_requests": hpa_targets_without_requests,
    "fixed_autoscalers": fixed_autoscalers,
    "containers_without_requests": containers_without_requests,
    "containers_without_memory_limit": containers_without_memory_limit,
}
