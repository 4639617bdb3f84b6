"""Checks of the availability category (see the rule files in rules/ that name them).

Every check here answers one question: "what does one failure — a zone, a node, an instance — take down?"
Values the parsers could not resolve (a `var.*` with no default, a templated replica count) are unknown and
never reported: a finding must be provable from the files.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from auditor.checks.context import CheckContext, Hit
from auditor.model import Location, Node, Related

_VPC_MODULE = "terraform-aws-modules/vpc/aws"
_RDS_MODULE = "terraform-aws-modules/rds/aws"
_AURORA_MODULE = "terraform-aws-modules/rds-aurora/aws"
_ELASTICACHE_MODULE = "terraform-aws-modules/elasticache/aws"
_REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig"})
_GCP_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _count(node: Node) -> int | None:
    """How many instances a Terraform block makes (1 for non-Terraform nodes)."""
    return _int(node.attrs.get("count")) if node.source == "terraform" else 1


def _where(node: Node, *attrs: str) -> Location:
    """The line of the first attribute the node has evidence for, else its definition."""
    for attr in attrs:
        if attr in node.evidence:
            return node.evidence[attr]
    return node.location


def _config(node: Node) -> dict[str, Any]:
    """A Terraform block's resolved attributes (empty for other sources)."""
    config = node.attrs.get("config")
    return config if isinstance(config, dict) else {}


def _zones_text(zones: list[str] | set[str]) -> str:
    return ", ".join(sorted(zones))


# -- AVAIL001 single-nat-gateway -------------------------------------------------------------------------


def single_nat_gateway(ctx: CheckContext) -> Iterator[Hit]:
    """One NAT gateway carrying the egress of private subnets in several availability zones."""
    for node in ctx.nodes("network", "terraform"):
        if node.attrs.get("module") == _VPC_MODULE and _count(node) != 0:
            yield from _vpc_module_nat(ctx, node)
    for nat in ctx.nodes("gateway", "terraform"):
        if nat.type == "aws_nat_gateway" and _count(nat) != 0:
            yield from _raw_nat(ctx, nat)


def _vpc_module_nat(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    attrs = node.attrs
    if attrs.get("enable_nat_gateway") is not True:
        return
    azs, private = attrs.get("azs"), attrs.get("private_subnets")
    if not isinstance(azs, list) or not isinstance(private, list) or not private:
        return
    ctx.examine(node)
    # The module wins `single_nat_gateway` over `one_nat_gateway_per_az`, exactly as here.
    if attrs.get("single_nat_gateway") is not True:
        return
    zones = [z for z in dict.fromkeys(azs) if isinstance(z, str)]
    # The module places private subnet i in azs[i % len(azs)].
    spread = zones[: len(private)]
    if len(spread) < 2:
        return
    related = [
        Related(node.evidence[key], message)
        for key, message in (
            ("azs", f"availability zones: {_zones_text(spread)}"),
            ("private_subnets", f"{len(private)} private subnets route 0.0.0.0/0 through the one NAT gateway"),
        )
        if key in node.evidence
    ]
    yield Hit(
        node.id,
        f"VPC module `{node.name}` runs one NAT gateway (`single_nat_gateway = true`) for {len(private)} private "
        f"subnets in {len(spread)} AZs ({_zones_text(spread)}); if the NAT's AZ fails, every private subnet "
        "loses outbound traffic",
        attr="single_nat_gateway",
        related=tuple(related),
    )


def _raw_nat(ctx: CheckContext, nat: Node) -> Iterator[Hit]:
    routes = ctx.in_edges(nat.id, ["egress_via"])
    if not routes:
        return
    ctx.examine(nat)
    count = _count(nat)
    if count is None:
        return
    zones: set[str] = set()
    related: list[Related] = []
    for route in routes:
        subnet = ctx.node(route.source)
        subnet_zones = [z for z in subnet.attrs.get("availability_zones") or [] if isinstance(z, str)]
        zones.update(subnet_zones)
        where = _zones_text(set(subnet_zones)) if subnet_zones else "unknown AZ"
        related.append(Related(route.location, f"subnet `{subnet.name}` ({where}) routes through it here"))
    if len(zones) < 2 or count >= len(zones):
        return
    gateways = "one NAT gateway" if count == 1 else f"{count} NAT gateways"
    yield Hit(
        nat.id,
        f"`{nat.type}.{nat.name}` is {gateways} for private subnets in {len(zones)} AZs ({_zones_text(zones)}); "
        "an AZ outage cuts outbound traffic for subnets in the AZs that stay up",
        attr="count",
        related=tuple(related),
    )


# -- AVAIL002 single-availability-zone --------------------------------------------------------------------


def single_availability_zone(ctx: CheckContext) -> Iterator[Hit]:
    """A network, or the compute placed in it, that lives in one availability zone."""
    for node in ctx.nodes("network", "terraform"):
        if node.attrs.get("module") == _VPC_MODULE and _count(node) != 0:
            yield from _vpc_module_zones(ctx, node)
    covered: set[str] = set()
    yield from _subnet_groups(ctx, covered)
    for node in ctx.nodes(source="terraform"):
        if node.type in ("aws_autoscaling_group", "aws_eks_node_group", "aws_ecs_service", "aws_instance"):
            yield from _placed_in_one_zone(ctx, node, covered)
        elif node.type == "google_container_cluster":
            yield from _zonal_gke(ctx, node)


def _vpc_module_zones(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    azs = node.attrs.get("azs")
    if not isinstance(azs, list) or not azs or not all(isinstance(z, str) for z in azs):
        return
    subnets = sum(
        len(node.attrs.get(k) or [])
        for k in ("private_subnets", "public_subnets", "database_subnets", "elasticache_subnets")
        if isinstance(node.attrs.get(k), list)
    )
    if subnets == 0:
        return
    ctx.examine(node)
    if len(set(azs)) == 1:
        yield Hit(
            node.id,
            f"VPC module `{node.name}` puts all {subnets} subnets in one availability zone "
            f"({azs[0]}); an AZ outage takes down everything in this VPC",
            attr="azs",
        )


def _subnet_groups(ctx: CheckContext, covered: set[str]) -> Iterator[Hit]:
    groups: dict[str, list[Node]] = defaultdict(list)
    for subnet in ctx.nodes("network", "terraform"):
        if subnet.type != "aws_subnet" or _count(subnet) == 0:
            continue
        vpcs = [e.source for e in ctx.in_edges(subnet.id, ["contains"]) if ctx.node(e.source).kind == "network"]
        key = vpcs[0] if vpcs else f"{subnet.attrs.get('module_dir')}\x1f{subnet.attrs.get('vpc')}"
        groups[key].append(subnet)
    for key in sorted(groups):
        subnets = sorted(groups[key], key=lambda s: s.location)
        zone_lists = [s.attrs.get("availability_zones") for s in subnets]
        if not all(isinstance(z, list) and z for z in zone_lists):
            continue  # an AZ we cannot see (AWS picks one, or a variable): no verdict
        zones = {z for zl in zone_lists for z in zl or []}
        instances = sum(len(zl or []) for zl in zone_lists)
        if instances < 2:
            continue
        subject = ctx.node(key) if key in ctx.graph else subnets[0]
        ctx.examine(subject)
        if len(zones) != 1:
            continue
        covered.update(s.id for s in subnets)
        first = subnets[0]
        yield Hit(
            subject.id,
            f"all {instances} subnets of `{subject.name}` are in one availability zone ({next(iter(zones))}); "
            "an AZ outage takes down everything placed in them",
            evidence=_where(first, "availability_zone"),
            related=tuple(
                Related(_where(s, "availability_zone"), f"subnet `{s.name}` in {next(iter(zones))}")
                for s in subnets[1:]
            ),
        )


def _subnets_of(ctx: CheckContext, node: Node) -> list[tuple[Node, Location, Any]]:
    """The aws_subnet resources a resource is placed in, with the line that places it and the one instance
    of a counted subnet it names (`aws_subnet.private[0].id`; None when it names the subnet as a whole)."""
    found = [
        (ctx.node(e.target), e.location, e.attrs.get("index"))
        for e in ctx.out_edges(node.id, ["references"])
        if ctx.node(e.target).type == "aws_subnet"
    ]
    found += [
        (ctx.node(e.source), e.location, e.attrs.get("index"))
        for e in ctx.in_edges(node.id, ["contains"])
        if ctx.node(e.source).type == "aws_subnet"
    ]
    return found


def _placed_zones(subnet: Node, index: Any) -> list[Any] | None:
    """The zones of the subnet instances a placement names: `availability_zones[index]` for one instance."""
    zones = subnet.attrs.get("availability_zones")
    if not isinstance(zones, list) or not zones:
        return None
    if _int(index) is not None and 0 <= index < len(zones):
        return [zones[index]]
    return zones


def _subnet_label(subnet: Node, index: Any) -> str:
    return f"`{subnet.name}[{index}]`" if _int(index) is not None else f"`{subnet.name}`"


def _placed_in_one_zone(ctx: CheckContext, node: Node, covered: set[str]) -> Iterator[Hit]:
    if _count(node) == 0:
        return
    label = f"`{node.type}.{node.name}`"
    if node.type == "aws_instance":
        count = _count(node)
        if count is None or count < 2:
            return
        zone = node.attrs.get("availability_zone")
        if isinstance(zone, str):
            ctx.examine(node)
            yield Hit(
                node.id,
                f"{label} runs {count} instances, all pinned to {zone}; an AZ outage takes the whole fleet down",
                attr="availability_zone",
            )
            return
    if node.type == "aws_ecs_service" and node.attrs.get("replicas") == 0:
        return
    if node.type == "aws_autoscaling_group":
        zones = node.attrs.get("availability_zones")
        if isinstance(zones, list) and zones and all(isinstance(z, str) for z in zones):
            ctx.examine(node)
            if len(set(zones)) == 1:
                yield Hit(
                    node.id,
                    f"{label} launches instances in one availability zone ({zones[0]}); "
                    "it cannot replace them elsewhere when that AZ fails",
                    attr="availability_zones",
                )
            return
    placed = _subnets_of(ctx, node)
    if not placed:
        return
    zone_lists = [_placed_zones(s, index) for s, _, index in placed]
    if not all(zone_lists):
        return
    ctx.examine(node)
    zones = {z for zl in zone_lists for z in zl or []}
    if len(zones) != 1 or all(s.id in covered for s, _, _ in placed):
        return  # several AZs, or the whole network is single-AZ and already reported there
    zone = next(iter(zones))
    names = ", ".join(_subnet_label(s, index) for s, _, index in placed)
    yield Hit(
        node.id,
        f"{label} is placed only in subnet(s) {names}, all in {zone}; it cannot run anywhere else when that AZ fails",
        evidence=placed[0][1],
        related=tuple(
            Related(_where(s, "availability_zone"), f"subnet {_subnet_label(s, index)} is in {zone}")
            for s, _, index in placed
        ),
        key=",".join(sorted(s.id for s, _, _ in placed)),
    )


def _zonal_gke(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    location = node.attrs.get("location")
    if not isinstance(location, str):
        return
    ctx.examine(node)
    extra = node.attrs.get("node_locations")
    if not _GCP_ZONE.match(location):
        return
    if extra is not None and not (isinstance(extra, list) and not set(extra) - {location}):
        return  # other node locations (or ones we cannot see)
    yield Hit(
        node.id,
        f"GKE cluster `{node.name}` is zonal ({location}) with no other `node_locations`: its "
        "control plane and every node are in one zone",
        attr="location",
    )


# -- AVAIL003 database-without-high-availability ----------------------------------------------------------


def database_without_high_availability(ctx: CheckContext) -> Iterator[Hit]:
    """A managed primary database with no standby in another zone (and a single-pod self-hosted one)."""
    for node in ctx.nodes("datastore"):
        if _count(node) == 0:
            continue
        judge = _DATABASE_JUDGES.get(node.type) or _DATABASE_JUDGES.get(str(node.attrs.get("module")))
        if node.source == "kubernetes":
            judge = _k8s_database
        if judge is not None:
            yield from judge(ctx, node)


def _rds_instance(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if node.attrs.get("replica_of") or node.attrs.get("replicate_source_db"):
        return  # a read replica; its primary is judged
    multi_az = node.attrs.get("multi_az")
    if not isinstance(multi_az, bool):
        return
    ctx.examine(node)
    replicas = [e for e in ctx.in_edges(node.id, ["depends_on"]) if e.attrs.get("replica_of")]
    if multi_az or replicas:
        return
    yield Hit(
        node.id,
        f"RDS instance `{node.name}` is single-AZ (`multi_az` is false) with no replica: an instance "
        "or AZ failure is an outage until AWS replaces the host and restores it",
        attr="multi_az",
    )


def _aurora(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if node.attrs.get("engine_mode") in ("serverless", "global"):
        return  # Serverless v1 fails over by recreating the instance in another AZ
    instances = _int(node.attrs.get("replicas"))
    if instances is None or instances == 0:
        return
    ctx.examine(node)
    if instances != 1:
        return
    members = [e for e in ctx.out_edges(node.id, ["contains"]) if ctx.node(e.target).type == "aws_rds_cluster_instance"]
    where = _where(ctx.node(members[0].target), "count") if members else _where(node, "instances")
    yield Hit(
        node.id,
        f"Aurora cluster `{node.name}` has one instance: failover must create a new writer first "
        "(about 10 minutes) instead of promoting a reader in another AZ (about 30 seconds)",
        evidence=where,
    )


def _cloud_sql(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    config = node.attrs.get("config")
    if isinstance(config, dict) and config.get("master_instance_name") is not None:
        return  # a read replica
    availability = node.attrs.get("availability_type")
    if not isinstance(availability, str):
        return
    ctx.examine(node)
    if availability.upper() == "REGIONAL":
        return
    yield Hit(
        node.id,
        f"Cloud SQL instance `{node.name}` is `{availability}` (the default): it has no standby in "
        "another zone, so a zone outage is a database outage",
        attr="availability_type",
    )


def _azure_flexible(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    config = node.attrs.get("config")
    if isinstance(config, dict) and (
        str(config.get("create_mode", "")).lower() == "replica" or config.get("source_server_id") is not None
    ):
        return
    ctx.examine(node)
    if node.attrs.get("high_availability") is not None:
        return
    yield Hit(
        node.id,
        f"`{node.type}.{node.name}` has no `high_availability` block: no standby server, so a "
        "zone or host failure is an outage",
        attr="high_availability",
    )


def _k8s_database(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if node.attrs.get("workload_kind") not in _REPLICATED_KINDS:
        return
    replicas = ctx.min_replicas(node)
    if replicas is None or replicas == 0:
        return
    ctx.examine(node)
    if replicas != 1:
        return  # more pods do not prove replication, but we cannot tell either way
    engine = node.attrs.get("engine") or "database"
    yield Hit(
        node.id,
        f"{node.attrs.get('workload_kind')} `{node.name}` runs {engine} as a single pod: a node "
        "failure or drain is a database outage, and its volume cannot follow it to another zone",
        attr="replicas",
    )


def _rds_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    yield from _rds_instance(ctx, node)


def _aurora_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    instances = _int(node.attrs.get("replicas"))
    if instances is None or instances == 0 or node.attrs.get("autoscaling_enabled") is True:
        return
    ctx.examine(node)
    if instances == 1:
        yield Hit(
            node.id,
            f"Aurora module `{node.name}` creates one instance: failover must create a new writer "
            "instead of promoting a reader in another AZ",
            attr="instances",
        )


_DATABASE_JUDGES: dict[str, Callable[[CheckContext, Node], Iterator[Hit]]] = {
    "aws_db_instance": _rds_instance,
    "aws_rds_cluster": _aurora,
    "google_sql_database_instance": _cloud_sql,
    "azurerm_postgresql_flexible_server": _azure_flexible,
    "azurerm_mysql_flexible_server": _azure_flexible,
    _RDS_MODULE: _rds_module,
    _AURORA_MODULE: _aurora_module,
}


# -- AVAIL004 cache-without-failover ----------------------------------------------------------------------


def cache_without_failover(ctx: CheckContext) -> Iterator[Hit]:
    """A managed Redis whose primary has no replica it fails over to automatically."""
    for node in ctx.nodes("cache", "terraform"):
        if _count(node) == 0:
            continue
        config = _config(node)
        engine = node.attrs.get("engine")
        if node.type == "aws_elasticache_cluster":
            if engine != "redis" or config.get("replication_group_id") is not None:
                continue  # memcached has no replication; a group member is judged with its group
            nodes = _int(node.attrs.get("num_cache_nodes"))
            if nodes is None:
                continue
            ctx.examine(node)
            yield Hit(
                node.id,
                f"ElastiCache cluster `{node.name}` is a single Redis node: no replica, no automatic "
                "failover; a node or AZ failure empties the cache and fails every write until it is replaced",
                attr="num_cache_nodes",
            )
        elif node.type == "aws_elasticache_replication_group":
            failover = node.attrs.get("automatic_failover_enabled")
            if engine not in ("redis", None) or not isinstance(failover, bool):
                continue
            ctx.examine(node)
            if not failover:
                yield Hit(
                    node.id,
                    f"ElastiCache replication group `{node.name}` has `automatic_failover_enabled` "
                    "false: when the primary fails nothing is promoted and writes fail until it is repaired",
                    attr="automatic_failover_enabled",
                )
            elif _int(node.attrs.get("replicas_per_node_group")) == 0:
                yield Hit(
                    node.id,
                    f"ElastiCache replication group `{node.name}` has `replicas_per_node_group = 0`: "
                    "automatic failover has no replica to promote, so a failed primary loses its shard",
                    attr="replicas_per_node_group",
                )
        elif node.attrs.get("module") == _ELASTICACHE_MODULE:
            yield from _elasticache_module(ctx, node)
        elif node.type == "google_redis_instance":
            tier = node.attrs.get("tier")
            if not isinstance(tier, str):
                continue
            ctx.examine(node)
            if tier.upper() != "STANDARD_HA":
                yield Hit(
                    node.id,
                    f"Memorystore instance `{node.name}` is tier `{tier}`: one node with no replica; "
                    "a zone or node failure loses the cache and its data",
                    attr="tier",
                )
        elif node.type == "azurerm_redis_cache":
            sku = node.attrs.get("sku_name")
            if not isinstance(sku, str):
                continue
            ctx.examine(node)
            if sku.lower() == "basic":
                yield Hit(
                    node.id,
                    f"Azure Cache for Redis `{node.name}` uses the Basic SKU: a single node with no replica and no SLA",
                    attr="sku_name",
                )


def _elasticache_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    attrs = node.attrs
    config = _config(node)
    if attrs.get("engine") not in ("redis", "valkey") or config.get("create", True) is False:
        return
    if config.get("create_cluster") is True and config.get("create_replication_group") is not True:
        ctx.examine(node)
        yield Hit(
            node.id,
            f"ElastiCache module `{node.name}` creates a single-node Redis cluster "
            "(`create_cluster = true`): no replica, no automatic failover",
            attr="engine",
        )
        return
    failover = attrs.get("automatic_failover_enabled")
    if attrs.get("cluster_mode_enabled") is True or failover is True:
        ctx.examine(node)
        return
    if failover is not None and failover is not False:
        return  # not static
    ctx.examine(node)
    yield Hit(
        node.id,
        f"ElastiCache module `{node.name}` leaves `automatic_failover_enabled` "
        f"{'false' if failover is False else 'unset (false)'}: a failed primary is not replaced by a replica",
        attr="automatic_failover_enabled",
    )


# -- AVAIL005 single-replica-workload ---------------------------------------------------------------------


def _autoscaler_floor(ctx: CheckContext, node: Node) -> tuple[int | None, Node | None]:
    """The lowest minimum any autoscaler of `node` states (HPA/KEDA min_replicas, App Auto Scaling min_capacity)."""
    best: tuple[int | None, Node | None] = (None, None)
    for scaler in ctx.autoscalers(node):
        for key in ("min_replicas", "min_capacity", "min_size"):
            value = _int(scaler.attrs.get(key))
            if value is not None:
                if best[0] is None or value < best[0]:
                    best = (value, scaler)
                break
    return best


def single_replica_workload(ctx: CheckContext) -> Iterator[Hit]:
    """A long-running service that receives traffic and runs exactly one instance."""
    wanted = int(ctx.options.get("min_replicas", 2))
    for node in ctx.nodes("service"):
        if not _runs_replicas(node) or not ctx.serves_traffic(node):
            continue
        floor, scaler = _autoscaler_floor(ctx, node)
        if scaler is not None:
            if floor is None:
                continue
            ctx.examine(node)
            if floor == 0 or floor >= wanted:
                continue  # scale-to-zero is a deliberate trade
            yield Hit(
                node.id,
                f"{_label(node)} receives traffic but its autoscaler `{scaler.name}` lets it shrink "
                f"to {floor} replica; workloads that serve traffic need ≥ {wanted}",
                evidence=_where(scaler, "min_replicas", "min_capacity", "min_size"),
                related=(Related(node.location, f"{_label(node)} is scaled by `{scaler.name}`"),),
            )
            continue
        replicas = _int(node.attrs.get("replicas"))
        if replicas is None or replicas == 0:
            continue
        ctx.examine(node)
        if replicas >= wanted:
            continue
        stated = "" if node.attrs.get("replicas_explicit", True) else " (no `replicas`, so the default 1)"
        yield Hit(
            node.id,
            f"{_label(node)} has {replicas} replica{stated} and receives traffic; workloads that "
            f"serve traffic need ≥ {wanted}: every deploy, crash or node drain is an outage",
            attr="replicas",
        )


def _runs_replicas(node: Node) -> bool:
    """Workloads whose instance count is a replica count: not DaemonSets, Jobs, Lambdas or serverless apps."""
    if node.source == "kubernetes":
        return node.attrs.get("workload_kind") in _REPLICATED_KINDS
    if node.source == "terraform":
        return node.type in ("aws_ecs_service", "aws_instance")
    if node.source == "compose":
        # Plain compose files are development setups; only a stated count (`deploy.replicas`/`scale`) or a
        # `deploy:` section (swarm/production intent) says how many instances production runs.
        return node.attrs.get("deploy_mode") != "global" and (
            "replicas" in node.evidence or node.attrs.get("deploy_section") is True
        )
    return False


def _label(node: Node) -> str:
    kind = node.attrs.get("workload_kind") if node.source == "kubernetes" else None
    if node.source == "terraform":
        return f"`{node.type}.{node.name}`"
    return f"{kind} `{node.name}`" if kind else f"`{node.name}`"


# -- AVAIL006 missing-pod-disruption-budget / AVAIL008 pdb-blocks-eviction --------------------------------


def _k8s_multi_replica(ctx: CheckContext, wanted: int) -> Iterator[Node]:
    for node in ctx.nodes(source="kubernetes"):
        if node.attrs.get("workload_kind") not in ("Deployment", "StatefulSet", "Rollout"):
            continue
        most = ctx.max_replicas(node)
        if most is not None and most >= wanted:
            yield node


def missing_pod_disruption_budget(ctx: CheckContext) -> Iterator[Hit]:
    """A multi-replica workload that serves traffic (or a StatefulSet) with no PDB selecting its pods."""
    wanted = int(ctx.options.get("min_replicas", 2))
    for node in _k8s_multi_replica(ctx, wanted):
        if node.attrs.get("workload_kind") != "StatefulSet" and not ctx.serves_traffic(node):
            continue
        ctx.examine(node)
        if ctx.in_edges(node.id, ["protects"]):
            continue
        yield Hit(
            node.id,
            f"{_label(node)} runs up to {ctx.max_replicas(node)} replicas but no "
            "PodDisruptionBudget selects its pods: a node drain or cluster upgrade may evict them all at once",
            attr="replicas",
        )


def _percent(value: Any) -> int | None:
    if isinstance(value, str) and value.endswith("%") and value[:-1].strip().isdigit():
        return int(value[:-1])
    return None


def pdb_blocks_eviction(ctx: CheckContext) -> Iterator[Hit]:
    """A PodDisruptionBudget that allows no voluntary disruption at all: drains and upgrades hang."""
    for pdb in ctx.nodes("policy", "kubernetes"):
        if pdb.type != "PodDisruptionBudget":
            continue
        protected = [ctx.node(e.target) for e in ctx.out_edges(pdb.id, ["protects"])]
        max_unavailable, min_available = pdb.attrs.get("max_unavailable"), pdb.attrs.get("min_available")
        if max_unavailable is None and min_available is None:
            continue
        ctx.examine(pdb)
        related = tuple(Related(w.location, f"{_label(w)} is selected by this budget") for w in protected)
        if max_unavailable == 0 or _percent(max_unavailable) == 0:
            yield Hit(
                pdb.id,
                f"PodDisruptionBudget `{pdb.name}` sets `maxUnavailable: {max_unavailable}`: no pod "
                "may ever be evicted, so node drains and cluster upgrades block",
                attr="max_unavailable",
                related=related,
            )
            continue
        if _percent(min_available) == 100:
            yield Hit(
                pdb.id,
                f"PodDisruptionBudget `{pdb.name}` sets `minAvailable: {min_available}`: no pod may "
                "ever be evicted, so node drains and cluster upgrades block",
                attr="min_available",
                related=related,
            )
            continue
        wanted = _int(min_available)
        floors = [f for f in (ctx.min_replicas(w) for w in protected) if f is not None]
        if wanted is None or not floors or wanted < min(floors):
            continue
        yield Hit(
            pdb.id,
            f"PodDisruptionBudget `{pdb.name}` requires {wanted} available pod(s) but the workload "
            f"runs {min(floors)}: no pod can be evicted, so node drains and cluster upgrades block",
            attr="min_available",
            related=related,
        )


# -- AVAIL007 replicas-not-spread -------------------------------------------------------------------------


def replicas_not_spread(ctx: CheckContext) -> Iterator[Hit]:
    """Multi-replica serving workloads with no anti-affinity and no topology spread constraints."""
    wanted = int(ctx.options.get("min_replicas", 2))
    for node in _k8s_multi_replica(ctx, wanted):
        if not ctx.serves_traffic(node):
            continue
        anti, spread = node.attrs.get("pod_anti_affinity"), node.attrs.get("topology_spread")
        if anti is None and spread is None:
            continue
        ctx.examine(node)
        if anti or spread:
            continue
        yield Hit(
            node.id,
            f"{_label(node)} runs up to {ctx.max_replicas(node)} replicas with neither pod "
            "anti-affinity nor `topologySpreadConstraints`: the scheduler's default spreading is only a "
            "preference, so replicas can share one node or zone and fail together",
            attr="replicas",
        )


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "single_nat_gateway": single_nat_gateway,
    "single_availability_zone": single_availability_zone,
    "database_without_high_availability": database_without_high_availability,
    "cache_without_failover": cache_without_failover,
    "single_replica_workload": single_replica_workload,
    "missing_pod_disruption_budget": missing_pod_disruption_budget,
    "pdb_blocks_eviction": pdb_blocks_eviction,
    "replicas_not_spread": replicas_not_spread,
}
