"""Checks of the availability category (see the rule files in rules/ that name them).

Every check here answers one question: "what does one failure — a zone, a node, an instance — take down?"
Values the parsers could not resolve (a `var.*` with no default, a templated replica count) are unknown and
never reported: a finding must be provable from the files. The Terraform checks say what they could not
judge instead (`ctx.undecide`), so the coverage names the rule, the subject and the missing value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from auditor.checks.context import CheckContext, Hit
from auditor.model import Location, Node, Related
from auditor.parsers.numbers import digits

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


_PLACEHOLDER = re.compile(r"^(data\.[\w.-]+)\[(\d+)\]$")  # a data source's zone i (see parsers/terraform.py)


def _zones_text(zones: list[str] | set[str]) -> str:
    """Zone names, the placeholders of a data source's zones said as such: `the first 3 of `data.…names``."""
    ordered = sorted(zones, key=lambda z: (m.group(1), int(m.group(2))) if (m := _PLACEHOLDER.match(z)) else (z, 0))
    matches = [_PLACEHOLDER.match(z) for z in ordered]
    labels = {m.group(1) for m in matches if m}
    if matches and all(matches) and len(labels) == 1:
        indices = [int(m.group(2)) for m in matches if m]
        label = next(iter(labels))
        if indices == list(range(len(indices))):
            return f"the first {len(indices)} of `{label}`" if len(indices) > 1 else f"the first of `{label}`"
    return ", ".join(ordered)


def _written(node: Node, attr: str) -> str:
    """How the files write an input or attribute a rule could not resolve: `multi_az = var.multi_az`."""
    config = _config(node)
    if attr not in config:
        return f"`{attr}` (not set, and no default is known for {_what(node)})"
    text = " ".join(_hcl(config[attr]).split())
    return f"`{attr} = {text[:80]}{'…' if len(text) > 80 else ''}`"


def _hcl(value: Any, depth: int = 0) -> str:
    """A value as Terraform writes it (`true`, `["a", "b"]`), an expression as its text; short, for notes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and depth < 3:
        return "[" + ", ".join(_hcl(item, depth + 1) for item in value[:6]) + (", …" if len(value) > 6 else "") + "]"
    if isinstance(value, dict) and depth < 3:
        items = ", ".join(f"{k} = {_hcl(v, depth + 1)}" for k, v in list(value.items())[:4])
        return "{" + items + (", …" if len(value) > 4 else "") + "}"
    return str(value) if hasattr(value, "refs") else "…"


def _what(node: Node) -> str:
    module = node.attrs.get("module")
    return f"module `{node.name}`" if module else f"`{node.type}.{node.name}`"


def _by_inputs(node: Node) -> str:
    """The caveat of a module recognised only by the inputs a call passes (a name heuristic, said as such)."""
    if node.attrs.get("recognised_by") == "inputs":
        return f" (taken for {node.attrs.get('module')} by the inputs it passes)"
    return ""


def _default_note(node: Node, attr: str) -> str:
    return " (the module's default)" if attr in (node.attrs.get("defaulted") or ()) else ""


def _at_calls(node: Node, question: str) -> bool:
    """A resource of a local copy of a well-known module: judged at the module's calls instead."""
    return question in (node.attrs.get("judged_at_calls") or ())


# -- AVAIL001 single-nat-gateway -------------------------------------------------------------------------

_NETWORK_MODELS = frozenset({"vpc", "dynamic_subnets"})
# The input a network model takes its availability zones from, to name when they are unknown.
_ZONE_INPUTS = {"vpc": "azs", "dynamic_subnets": "availability_zones"}


def single_nat_gateway(ctx: CheckContext) -> Iterator[Hit]:
    """One NAT gateway carrying the egress of private subnets in several availability zones."""
    for node in ctx.nodes("network", "terraform"):
        if node.attrs.get("model") in _NETWORK_MODELS and _count(node) != 0 and not _at_calls(node, "nat"):
            yield from _module_nat(ctx, node)
    for nat in ctx.nodes("gateway", "terraform"):
        if nat.type == "aws_nat_gateway" and _count(nat) != 0 and not _at_calls(nat, "nat"):
            yield from _raw_nat(ctx, nat)


def _module_nat(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    attrs = node.attrs
    model = str(attrs.get("model"))
    enabled = attrs.get("nat_enabled")
    if enabled is False:
        return
    switch = "enable_nat_gateway" if model == "vpc" else "nat_gateway_enabled"
    if enabled is not True:
        ctx.undecide(node, f"whether it creates NAT gateways: {_written(node, switch)}", attr="nat_enabled")
        return
    zones, at_least = attrs.get("private_zones"), attrs.get("private_zones_at_least")
    zone_input = _ZONE_INPUTS[model]
    if at_least is None:
        ctx.undecide(node, f"the availability zones of its private subnets: {_written(node, zone_input)}",
                     attr="private_zones")
        return
    if at_least == 0:
        return  # no private subnets
    ctx.examine(node)
    if attrs.get("nat_per_zone") is True:
        return
    nat_zones, limit = _int(attrs.get("nat_zones")), str(attrs.get("nat_limit") or "")
    if nat_zones is None:
        ctx.undecide(node, f"how many NAT gateways it creates: {_written(node, 'single_nat_gateway')}",
                     attr="nat_gateways")
        return
    spread = len(zones) if isinstance(zones, list) else None
    if spread is not None and (spread < 2 or nat_zones >= spread):
        return
    if spread is None and nat_zones >= at_least:
        ctx.undecide(node, f"how many availability zones {_written(node, zone_input)} lists (at least "
                     f"{at_least}; NAT gateways in {nat_zones})", attr="private_zones")
        return
    where = (f"{spread} AZs ({_zones_text(zones)})" if isinstance(zones, list) else
             f"at least {at_least} AZs ({_zone_source(node, zone_input)})")
    related = [Related(node.evidence[key], message) for key, message in (
        ("private_zones", f"availability zones: {where}"),
        ("private_subnets", "the private subnets whose 0.0.0.0/0 route leaves through it"),
    ) if key in node.evidence and node.evidence[key] != node.evidence.get("nat_zones")]
    if model == "vpc":
        private = attrs.get("private_subnets")
        count = f"{len(private)} private subnets" if isinstance(private, list) else "its private subnets"
        message = (f"VPC module `{node.name}` runs one NAT gateway (`single_nat_gateway = true`"
                   f"{_default_note(node, 'single_nat_gateway')}) for {count} in {where}{_by_inputs(node)}; if the "
                   "NAT's AZ fails, every private subnet loses outbound traffic")
    else:
        device = str(attrs.get("nat_device") or "NAT gateway")
        message = (f"Subnets module `{node.name}` creates {device}s in only {nat_zones} of {where} "
                   f"(`{limit} = {nat_zones}`{_default_note(node, limit)}){_by_inputs(node)}: private subnets in the "
                   f"other AZs send outbound traffic through another AZ's {device}, and lose it when that AZ fails")
    yield Hit(node.id, message, attr="nat_zones", related=tuple(related))


def _zone_source(node: Node, zone_input: str) -> str:
    value = _config(node).get(zone_input)
    if value is None or value == []:
        return "every zone of the region"
    return f"`{' '.join(_hcl(value).split())[:80]}`"


def _raw_nat(ctx: CheckContext, nat: Node) -> Iterator[Hit]:
    routes = ctx.in_edges(nat.id, ["egress_via"])
    if not routes:
        return
    count = _count(nat)
    if count is None:
        ctx.undecide(nat, f"how many NAT gateways it creates: {_written(nat, 'count')}", attr="count")
        return
    ctx.examine(nat)
    zones: set[str] = set()
    unknown: list[Node] = []
    related: list[Related] = []
    for route in routes:
        subnet = ctx.node(route.source)
        subnet_zones = [z for z in subnet.attrs.get("availability_zones") or [] if isinstance(z, str)]
        zones.update(subnet_zones)
        if not subnet_zones:
            unknown.append(subnet)
        where = _zones_text(set(subnet_zones)) if subnet_zones else "unknown AZ"
        related.append(Related(route.location, f"subnet `{subnet.name}` ({where}) routes through it here"))
    if len(zones) < 2 or count >= len(zones):
        if unknown:  # the subnets whose zones are known do not prove it; the others might
            ctx.undecide(nat, "the availability zones of the subnets routed through it: "
                         + ", ".join(_written(s, "availability_zone") for s in unknown[:3]), attr="count")
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
        if node.attrs.get("model") in _NETWORK_MODELS and _count(node) != 0 and not _at_calls(node, "zones"):
            yield from _module_zones(ctx, node)
    for node in ctx.nodes("cluster", "terraform"):
        if node.attrs.get("model") == "aks" and _count(node) != 0 and not _at_calls(node, "zones"):
            yield from _aks_module_zones(ctx, node)
    covered: set[str] = set()
    yield from _subnet_groups(ctx, covered)
    for node in ctx.nodes(source="terraform"):
        if node.type in ("aws_autoscaling_group", "aws_eks_node_group", "aws_ecs_service", "aws_instance"):
            yield from _placed_in_one_zone(ctx, node, covered)
        elif node.type == "google_container_cluster":
            yield from _zonal_gke(ctx, node)
        elif node.type in _AKS_TYPES and _count(node) != 0 and not _at_calls(node, "zones"):
            yield from _zonal_aks(ctx, node)


_AKS_TYPES = ("azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool")


def _module_zones(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    zones, at_least = node.attrs.get("zones"), node.attrs.get("zones_at_least")
    if at_least == 0:
        return  # no subnets
    if at_least is None:
        zone_input = _ZONE_INPUTS[str(node.attrs.get("model"))]
        ctx.undecide(node, f"the availability zones of its subnets: {_written(node, zone_input)}", attr="zones")
        return
    ctx.examine(node)
    if not isinstance(zones, list) or len(zones) != 1:
        return
    if node.attrs.get("model") == "vpc":
        lists = [node.attrs.get(k) for k in ("private_subnets", "public_subnets", "database_subnets",
                                             "elasticache_subnets")]
        subnets = sum(len(v) for v in lists if isinstance(v, list))
        message = (f"VPC module `{node.name}` puts all {subnets} subnets in one availability zone "
                   f"({_zones_text(zones)}){_by_inputs(node)}; an AZ outage takes down everything in this VPC")
        yield Hit(node.id, message, attr="azs")
        return
    yield Hit(node.id, f"Subnets module `{node.name}` puts every subnet in one availability zone ({_zones_text(zones)})"
              f"{_by_inputs(node)}; an AZ outage takes down everything placed in them", attr="zones")


def _aks_module_zones(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    for pool in node.attrs.get("node_pools") or []:
        if not isinstance(pool, dict):
            continue
        if pool.get("pinned") is None:
            what = "its node pools" if pool.get("name") == "*" else f"node pool `{pool.get('name')}`"
            ctx.undecide(node, f"the zones of {what}: {_written(node, str(pool.get('input')))}",
                         attr=str(pool.get("input")))
            continue
        ctx.examine(node)
        zones = pool.get("zones")
        if pool.get("pinned") and isinstance(zones, list) and len(zones) == 1:
            nodes = pool.get("nodes")
            size = f" ({nodes} nodes)" if isinstance(nodes, int) else ""
            yield Hit(
                node.id,
                f"AKS module `{node.name}` puts node pool `{pool.get('name')}`{size} in one availability zone "
                f"(zone {zones[0]}){_by_inputs(node)}; a zone outage takes every node of the pool down",
                attr=str(pool.get("input")),
                key=str(pool.get("name")),
            )


def _zonal_aks(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    zones = node.attrs.get("zones")  # None: not pinned to zones, so no one-zone claim
    if isinstance(zones, list) and zones and all(isinstance(z, str) for z in zones):
        ctx.examine(node)
        if len(set(zones)) == 1:
            pool = "its default node pool" if node.type == "azurerm_kubernetes_cluster" else "node pool"
            yield Hit(
                node.id,
                f"`{node.type}.{node.name}` puts {pool} in one availability zone (zone {zones[0]}); a zone outage "
                "takes every node of the pool down",
                attr="zones",
            )
    elif zones is not None and not isinstance(zones, list):
        where = "default_node_pool.zones" if node.type == "azurerm_kubernetes_cluster" else "zones"
        text = " ".join(_hcl(zones).split())[:80]
        ctx.undecide(node, f"the zones of its nodes: `{where} = {text}`", attr="zones")


def _subnet_groups(ctx: CheckContext, covered: set[str]) -> Iterator[Hit]:
    groups: dict[str, list[Node]] = defaultdict(list)
    for subnet in ctx.nodes("network", "terraform"):
        if subnet.type != "aws_subnet" or _count(subnet) == 0 or _at_calls(subnet, "zones"):
            continue
        vpcs = [e.source for e in ctx.in_edges(subnet.id, ["contains"]) if ctx.node(e.source).kind == "network"]
        key = vpcs[0] if vpcs else f"{subnet.attrs.get('module_dir')}\x1f{subnet.attrs.get('vpc')}"
        groups[key].append(subnet)
    for key in sorted(groups):
        subnets = sorted(groups[key], key=lambda s: s.location)
        zone_lists = [s.attrs.get("availability_zones") for s in subnets]
        if not all(isinstance(z, list) and z and not any(isinstance(x, (list, dict)) for x in z) for z in zone_lists):
            continue  # an AZ we cannot see (AWS picks one, or a variable; a list where a name belongs): no verdict
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
        model = node.attrs.get("model") if node.type.startswith("module:") else None
        judge = _MODULE_DATABASE_JUDGES.get(str(model)) if model else _DATABASE_JUDGES.get(node.type)
        if node.source == "kubernetes":
            judge = _k8s_database
        if judge is not None and not _at_calls(node, "database_ha"):
            yield from judge(ctx, node)


def _rds_instance(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if node.attrs.get("replica_of") or node.attrs.get("replicate_source_db"):
        return  # a read replica; its primary is judged
    if node.attrs.get("creates") is False:
        return
    multi_az = node.attrs.get("multi_az")
    replicas = [e for e in ctx.in_edges(node.id, ["depends_on"]) if e.attrs.get("replica_of")]
    if not isinstance(multi_az, bool):
        if not replicas:
            ctx.undecide(node, f"whether it has a standby: {_written(node, 'multi_az')}", attr="multi_az")
        return
    ctx.examine(node)
    if multi_az or replicas:
        return
    if node.type.startswith("module:"):
        stated = ("leaves `multi_az` unset (the module's default is false)" if "multi_az" in
                  (node.attrs.get("defaulted") or ()) else "sets `multi_az = false`")
        message = (f"RDS module `{node.name}` {stated}{_by_inputs(node)}: the instance is single-AZ with no "
                   "replica, so an instance or AZ failure is an outage until AWS replaces the host and restores it")
    else:
        message = (f"RDS instance `{node.name}` is single-AZ (`multi_az` is false) with no replica: an instance "
                   "or AZ failure is an outage until AWS replaces the host and restores it")
    yield Hit(node.id, message, attr="multi_az")


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
    if isinstance(availability, str) and availability.upper() != "REGIONAL" and _cloud_sql_replicas(ctx, node):
        ctx.examine(node)
        return  # a replica to promote, as for RDS
    if not isinstance(availability, str):
        ctx.undecide(node, "whether it has a standby: `settings.availability_type` is not static",
                     attr="availability_type")
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


def _cloud_sql_replicas(ctx: CheckContext, node: Node) -> list[Node]:
    """Instances created as replicas of this one (`master_instance_name` naming it), as for RDS: a replica
    in another zone or region is somewhere to promote to."""
    return [ctx.node(e.source) for e in ctx.in_edges(node.id, ["references"])
            if e.attrs.get("attribute") == "master_instance_name" and _count(ctx.node(e.source)) != 0]


def _cloud_sql_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    if node.attrs.get("replica_of") is not None:
        return  # a read replica (`master_instance_name`); its primary is judged
    if _int(node.attrs.get("replicas")) or _cloud_sql_replicas(ctx, node):
        ctx.examine(node)
        return  # read replicas (`read_replicas`, or another call naming it): somewhere to promote to
    availability = node.attrs.get("availability_type")
    if not isinstance(availability, str):
        ctx.undecide(node, f"whether it has a standby: {_written(node, 'availability_type')}",
                     attr="availability_type")
        return
    ctx.examine(node)
    if availability.upper() == "REGIONAL":
        return
    stated = (f"leaves `availability_type` unset, so the module's default `{availability}` applies" if
              "availability_type" in (node.attrs.get("defaulted") or ()) else
              f"sets `availability_type = {availability}`")
    yield Hit(
        node.id,
        f"Cloud SQL module `{node.name}` ({node.attrs.get('module')}) {stated}{_by_inputs(node)}: the instance "
        "has no standby in another zone, so a zone outage is a database outage",
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


def _aurora_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    instances = _int(node.attrs.get("replicas"))
    if instances == 0 or node.attrs.get("autoscaling_enabled") is True:
        return
    if instances is None:
        ctx.undecide(node, f"how many instances it creates: {_written(node, 'instances')}", attr="instances")
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
}
# Calls of well-known modules, by the model that reads them (auditor/knowledge/modules.yaml).
_MODULE_DATABASE_JUDGES: dict[str, Callable[[CheckContext, Node], Iterator[Hit]]] = {
    "rds": _rds_instance,
    "aurora": _aurora_module,
    "cloud_sql": _cloud_sql_module,
}


# -- AVAIL004 cache-without-failover ----------------------------------------------------------------------


def cache_without_failover(ctx: CheckContext) -> Iterator[Hit]:
    """A managed Redis whose primary has no replica it fails over to automatically."""
    for node in ctx.nodes("cache", "terraform"):
        if _count(node) == 0 or _at_calls(node, "cache_failover"):
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
            if engine not in ("redis", None):
                continue
            if not isinstance(failover, bool):
                ctx.undecide(node, f"whether it fails over: {_written(node, 'automatic_failover_enabled')}",
                             attr="automatic_failover_enabled")
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
        elif node.attrs.get("model") in ("elasticache", "elasticache_redis"):
            yield from _cache_module(ctx, node)
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


def _cache_module(ctx: CheckContext, node: Node) -> Iterator[Hit]:
    """A call of an ElastiCache module, judged on what its model derives: automatic failover, and a replica
    for it to promote."""
    attrs = node.attrs
    if attrs.get("creates") is False:
        return  # not created, serverless (AWS replicates it), or memcached
    label = f"ElastiCache module `{node.name}`"
    if attrs.get("single_node_cluster") is True:
        ctx.examine(node)
        yield Hit(node.id, f"{label} creates a single-node Redis cluster (`create_cluster = true`): no replica, no "
                  "automatic failover", attr="failover")
        return
    failover, replicas = attrs.get("failover"), _int(attrs.get("replicas_per_primary"))
    if not isinstance(failover, bool):
        ctx.undecide(node, f"whether it fails over: {_written(node, 'automatic_failover_enabled')}", attr="failover")
        return
    ctx.examine(node)
    if not failover:
        stated = ("leaves `automatic_failover_enabled` unset (false)" if "automatic_failover_enabled" in
                  (attrs.get("defaulted") or ()) or attrs.get("automatic_failover_enabled") is None
                  else "sets `automatic_failover_enabled = false`")
        nodes = (f", and with `cluster_size = {replicas + 1}`{_default_note(node, 'cluster_size')} it is a single "
                 "node with no replica" if replicas == 0 and "cluster_size" in attrs else "")
        yield Hit(node.id, f"{label} {stated}{nodes}{_by_inputs(node)}: a failed primary is not replaced by a "
                  "replica, and writes fail until it is repaired", attr="failover")
    elif replicas == 0:
        yield Hit(node.id, f"{label} enables automatic failover with no replica to promote (0 replicas per "
                  f"shard){_by_inputs(node)}: a failed primary loses its shard", attr="replicas_per_primary")


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


# Roles whose single instance is how they are meant to run: a log server, a trace store with in-memory storage,
# a mail catcher, an admin UI. A second replica would split their data, not make anything available.
SINGLE_INSTANCE_TOOLS = frozenset({"observability", "tooling"})


def single_replica_workload(ctx: CheckContext) -> Iterator[Hit]:
    """A long-running service that receives traffic and runs exactly one instance."""
    wanted = int(ctx.options.get("min_replicas", 2))
    for node in ctx.workloads():
        if not _runs_replicas(node) or not ctx.serves_traffic(node) or node.attrs.get("role") in SINGLE_INSTANCE_TOOLS:
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
    return digits(value[:-1].strip()) if isinstance(value, str) and value.endswith("%") else None


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
