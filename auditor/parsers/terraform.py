"""Terraform (`*.tf`, `*.tf.json`, `*.tfvars`) → nodes and edges of the architecture.

Terraform means something per MODULE DIRECTORY (all its .tf files, its tfvars, the inputs its callers
pass), so work is split in two: `parse(path, text)` is a pure per-file step that keeps the raw blocks in
`Facts.extra["terraform"]` (and already returns nodes with whatever that one file can resolve), and
`combine(facts)` regroups the blocks by directory, resolves `var.*` (defaults < terraform.tfvars <
*.auto.tfvars < the one caller's module inputs), `local.*` and local `module.*` outputs statically, and
rebuilds the nodes and edges with the resolved values.

Node attributes (besides the per-kind ones below, every node has):
- `count`: instances from `count`/`for_each` (1 when neither; None when not static);
  `config`: the block's resolved attributes and nested blocks (a nested block is a dict, a repeated one a
  list of dicts; non-static values are `Expr`; secret-named values are redacted);
  `module_dir`: the repo-relative module directory ("." for the root).
- network: `cidr`, `availability_zone`, `availability_zones` (one per counted instance when static),
  `public` (map_public_ip_on_launch), `vpc`.
- gateway: `subnet` (Expr), `connectivity_type`.
- load_balancer (`aws_lb`/`aws_alb`/alb module, internet-facing application LBs only) and API gateways (not
  private): `rate_limited` — a WAF ACL with a rate-based rule (or one we cannot read) is associated, directly
  or through CloudFront; stage, method-settings or usage-plan throttling applies. Absent when unknown.
- load_balancer: `internal`, `load_balancer_type`; target groups: `stickiness_enabled`, `stickiness_type`;
  backend services: `session_affinity`; application gateways: `cookie_based_affinity`.
- datastore: `engine`, `multi_az`, `instance_class`, `allocated_storage`, `replica_of`, `availability_zones`,
  `availability_type`, `tier`, `high_availability`, `zone_redundant`, `replicas` (Aurora instances),
  `max_connections` (RDS: as its `aws_db_parameter_group` states it — an int, or the formula text).
- cache: `engine`, `num_cache_nodes`, `az_mode`, `num_cache_clusters`, `replicas_per_node_group`,
  `automatic_failover_enabled`, `multi_az_enabled`, `tier`, `replicas`.
- queue: `deployment_mode`, `broker_nodes`; autoscaler: `min_size`, `max_size`, `desired_capacity`;
  `min_capacity`, `max_capacity`, `resource_id`.
- service: `replicas`, `launch_type`, `autoscaled`, `reserved_concurrent_executions`, `in_vpc`, `image`,
  `containers`, `env_keys`, `subnet`; cluster: `min_size`, `max_size`, `desired_size`, `node_groups`.
- calls of well-known modules (auditor/knowledge/modules.yaml), recognised by `source`, by a local copy that
  declares the module's signature, or by the inputs a call passes (`recognised_by`): `module`, `model`, their
  inputs by name as Terraform evaluates them (what the call passes, else the default that applies:
  `defaulted` lists those), and what the module's model derives (see "models of well-known modules" below:
  `nat_zones`, `private_zones`, `zones`, `multi_az`, `failover`, `node_pools`, …). Resources of a local copy
  that modules here call carry `judged_at_calls`: the questions answered at the calls instead.
- AZ lists from a data source (`data.aws_availability_zones.x.names`) are distinct zones of unknown number:
  an element or a slice gives placeholder names (`data.aws_availability_zones.x.names[0]`).
A reference edge to one instance of a counted resource (`aws_subnet.private[0].id`) carries `index`.
`Facts.extra` after `combine`: `outputs` {name: (value, Location)}, `hostnames` {hostname: node id},
`variables` {name: resolved value}.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import knowledge
from auditor.model import Diagnostic, Edge, Facts, Location, Node, Setting, host_ref, node_id
from auditor.parsers import settings as settings_module
from auditor.parsers.hcl import (
    DYNAMIC,
    MAX_PARSE_SECONDS,
    WHOLE,
    Block,
    Expr,
    Limit,
    Scope,
    Unknown,
    Work,
    ZoneList,
    evaluate,
    evaluate_partial,
    has_expr,
    parse_document,
    ref_uses,
    template_value,
    tree_of,
)
from auditor.parsers.numbers import digits, int_value
from auditor.parsers.redact import url_credentials

_NOTHING = object()  # a var/local that cannot be followed

# -- what each resource type means ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """A resource type's kind, its attributes worth normalising (name → config path), Terraform's
    defaults for those when absent, and the attributes that name it as a host."""

    kind: str
    attrs: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    hosts: tuple[str, ...] = ()


_SPECS: dict[str, _Spec] = {
    # network
    "aws_vpc": _Spec("network", {"cidr": "cidr_block"}),
    "aws_subnet": _Spec("network", {"cidr": "cidr_block", "availability_zone": "availability_zone",
                                    "public": "map_public_ip_on_launch", "vpc": "vpc_id"}, {"public": False}),
    "google_compute_network": _Spec("network", {"auto_create_subnetworks": "auto_create_subnetworks"}),
    "google_compute_subnetwork": _Spec("network", {"cidr": "ip_cidr_range", "region": "region"}),
    "azurerm_virtual_network": _Spec("network", {"cidr": "address_space", "location": "location"}),
    "azurerm_subnet": _Spec("network", {"cidr": "address_prefixes"}),
    # gateways
    "aws_nat_gateway": _Spec("gateway", {"subnet": "subnet_id", "connectivity_type": "connectivity_type"},
                             {"connectivity_type": "public"}),
    "aws_internet_gateway": _Spec("gateway", {"vpc": "vpc_id"}),
    "google_compute_router_nat": _Spec("gateway", {"nat_ip_allocate_option": "nat_ip_allocate_option"}),
    "azurerm_nat_gateway": _Spec("gateway", {"zones": "zones", "sku_name": "sku_name"}),
    "aws_api_gateway_rest_api": _Spec("gateway"),
    "aws_apigatewayv2_api": _Spec("gateway", {"protocol_type": "protocol_type"}),
    # load balancers
    "aws_lb": _Spec("load_balancer", {"internal": "internal", "load_balancer_type": "load_balancer_type"},
                    {"internal": False, "load_balancer_type": "application"}, ("name",)),
    "aws_alb": _Spec("load_balancer", {"internal": "internal", "load_balancer_type": "load_balancer_type"},
                     {"internal": False, "load_balancer_type": "application"}, ("name",)),
    "aws_elb": _Spec("load_balancer", {"internal": "internal", "cross_zone_load_balancing":
                                       "cross_zone_load_balancing"}, {"internal": False}, ("name",)),
    "aws_lb_target_group": _Spec("load_balancer", {"port": "port", "protocol": "protocol",
                                                   "target_type": "target_type"}),
    "aws_alb_target_group": _Spec("load_balancer", {"port": "port", "protocol": "protocol"}),
    "aws_lb_listener": _Spec("load_balancer", {"port": "port", "protocol": "protocol"}),
    "aws_alb_listener": _Spec("load_balancer", {"port": "port", "protocol": "protocol"}),
    "google_compute_backend_service": _Spec("load_balancer", {"session_affinity": "session_affinity"},
                                            {"session_affinity": "NONE"}),
    "azurerm_lb": _Spec("load_balancer", {"sku": "sku"}, {"sku": "Basic"}),
    "azurerm_application_gateway": _Spec("load_balancer", {"cookie_based_affinity":
                                                           "backend_http_settings.cookie_based_affinity",
                                                           "zones": "zones"}),
    # datastores
    "aws_db_instance": _Spec("datastore", {"engine": "engine", "multi_az": "multi_az",
                                           "instance_class": "instance_class", "allocated_storage":
                                           "allocated_storage", "availability_zone": "availability_zone"},
                             {"multi_az": False}, ("identifier",)),
    "aws_rds_cluster": _Spec("datastore", {"engine": "engine", "availability_zones": "availability_zones",
                                           "engine_mode": "engine_mode"}, {"engine": "aurora"},
                             ("cluster_identifier",)),
    "aws_rds_cluster_instance": _Spec("datastore", {"engine": "engine", "instance_class": "instance_class",
                                                    "cluster": "cluster_identifier"}, {}, ("identifier",)),
    "aws_dynamodb_table": _Spec("datastore", {"billing_mode": "billing_mode"}, {"billing_mode": "PROVISIONED"}),
    "aws_docdb_cluster": _Spec("datastore", {"engine": "engine"}, {"engine": "docdb"}, ("cluster_identifier",)),
    "google_sql_database_instance": _Spec("datastore", {"engine": "database_version",
                                                        "availability_type": "settings.availability_type",
                                                        "tier": "settings.tier"},
                                          {"availability_type": "ZONAL"}, ("name",)),
    "azurerm_postgresql_flexible_server": _Spec("datastore", {"sku_name": "sku_name", "zone": "zone"},
                                                {}, ("name",)),
    "azurerm_mysql_flexible_server": _Spec("datastore", {"sku_name": "sku_name", "zone": "zone"}, {}, ("name",)),
    "azurerm_mssql_server": _Spec("datastore", {"version": "version"}, {}, ("name",)),
    "azurerm_mssql_database": _Spec("datastore", {"zone_redundant": "zone_redundant", "sku_name": "sku_name"},
                                    {"zone_redundant": False}),
    "aws_db_parameter_group": _Spec("config", {"family": "family"}),
    # proxies
    "aws_db_proxy": _Spec("proxy", {"engine_family": "engine_family"}, {}, ("name",)),
    # caches
    "aws_elasticache_cluster": _Spec("cache", {"engine": "engine", "num_cache_nodes": "num_cache_nodes",
                                               "az_mode": "az_mode", "node_type": "node_type"},
                                     {"az_mode": "single-az"}, ("cluster_id",)),
    "aws_elasticache_replication_group": _Spec("cache", {"engine": "engine", "num_cache_clusters":
                                                         "num_cache_clusters", "replicas_per_node_group":
                                                         "replicas_per_node_group", "automatic_failover_enabled":
                                                         "automatic_failover_enabled", "multi_az_enabled":
                                                         "multi_az_enabled", "num_node_groups": "num_node_groups",
                                                         "node_type": "node_type"},
                                               {"engine": "redis", "automatic_failover_enabled": False,
                                                "multi_az_enabled": False}, ("replication_group_id",)),
    "google_redis_instance": _Spec("cache", {"tier": "tier", "memory_size_gb": "memory_size_gb"},
                                   {"tier": "BASIC", "engine": "redis"}, ("name",)),
    "azurerm_redis_cache": _Spec("cache", {"sku_name": "sku_name", "capacity": "capacity", "zones": "zones",
                                           "replicas_per_primary": "replicas_per_primary"},
                                 {"engine": "redis"}, ("name",)),
    # queues
    "aws_sqs_queue": _Spec("queue", {"fifo_queue": "fifo_queue"}, {}, ("name",)),
    "aws_sns_topic": _Spec("queue", {}, {}, ("name",)),
    "aws_msk_cluster": _Spec("queue", {"broker_nodes": "number_of_broker_nodes", "kafka_version": "kafka_version"},
                             {"engine": "kafka"}, ("cluster_name",)),
    "aws_mq_broker": _Spec("queue", {"deployment_mode": "deployment_mode", "engine": "engine_type"},
                           {"deployment_mode": "SINGLE_INSTANCE"}, ("broker_name",)),
    "google_pubsub_topic": _Spec("queue", {}, {}, ("name",)),
    "azurerm_servicebus_namespace": _Spec("queue", {"sku": "sku", "zone_redundant": "zone_redundant"},
                                          {}, ("name",)),
    "azurerm_servicebus_queue": _Spec("queue"),
    "azurerm_servicebus_topic": _Spec("queue"),
    # autoscalers
    "aws_autoscaling_group": _Spec("autoscaler", {"min_size": "min_size", "max_size": "max_size",
                                                  "desired_capacity": "desired_capacity",
                                                  "availability_zones": "availability_zones"}),
    "aws_appautoscaling_target": _Spec("autoscaler", {"min_capacity": "min_capacity", "max_capacity":
                                                      "max_capacity", "resource_id": "resource_id",
                                                      "scalable_dimension": "scalable_dimension"}),
    "aws_appautoscaling_policy": _Spec("autoscaler", {"policy_type": "policy_type", "resource_id": "resource_id"}),
    "aws_autoscaling_policy": _Spec("autoscaler", {"policy_type": "policy_type"}),
    # services
    "aws_ecs_service": _Spec("service", {"replicas": "desired_count", "launch_type": "launch_type",
                                         "scheduling_strategy": "scheduling_strategy"},
                             {"scheduling_strategy": "REPLICA"}),
    "aws_ecs_task_definition": _Spec("config", {"family": "family", "cpu": "cpu", "memory": "memory"}),
    "aws_lambda_function": _Spec("service", {"reserved_concurrent_executions": "reserved_concurrent_executions",
                                             "runtime": "runtime", "timeout": "timeout"},
                                 {"reserved_concurrent_executions": -1, "timeout": 3}),
    "aws_instance": _Spec("service", {"availability_zone": "availability_zone", "subnet": "subnet_id",
                                      "instance_type": "instance_type"}),
    "google_cloud_run_service": _Spec("service", {"image": "template.spec.containers.image"}),
    "google_cloud_run_v2_service": _Spec("service", {"image": "template.containers.image",
                                                     "min_instance_count": "template.scaling.min_instance_count",
                                                     "max_instance_count": "template.scaling.max_instance_count"}),
    "azurerm_linux_web_app": _Spec("service", {"always_on": "site_config.always_on"}),
    "azurerm_container_app": _Spec("service", {"min_replicas": "template.min_replicas",
                                               "max_replicas": "template.max_replicas"}),
    # clusters
    "aws_eks_cluster": _Spec("cluster", {"version": "version"}),
    "aws_eks_node_group": _Spec("cluster", {"min_size": "scaling_config.min_size", "max_size":
                                            "scaling_config.max_size", "desired_size": "scaling_config.desired_size",
                                            "instance_types": "instance_types", "capacity_type": "capacity_type"}),
    "aws_ecs_cluster": _Spec("cluster"),
    "google_container_cluster": _Spec("cluster", {"location": "location", "node_locations": "node_locations",
                                                  "initial_node_count": "initial_node_count"}),
    "google_container_node_pool": _Spec("cluster", {"node_count": "node_count", "min_size":
                                                    "autoscaling.min_node_count", "max_size":
                                                    "autoscaling.max_node_count"}),
    "azurerm_kubernetes_cluster_node_pool": _Spec("cluster", {"node_count": "node_count", "zones": "zones",
                                                              "min_size": "min_count", "max_size": "max_count"}),
    "azurerm_kubernetes_cluster": _Spec("cluster", {"node_count": "default_node_pool.node_count",
                                                    "min_size": "default_node_pool.min_count",
                                                    "max_size": "default_node_pool.max_count",
                                                    "zones": "default_node_pool.zones"}),
    # storage
    "aws_s3_bucket": _Spec("storage", {"bucket": "bucket"}),
    "aws_efs_file_system": _Spec("storage", {"performance_mode": "performance_mode"}),
}


@dataclass(frozen=True)
class _ModuleSpec:
    """A well-known module (auditor/knowledge/modules.yaml): how a call is recognised, its documented input
    defaults, and which questions its model answers."""

    key: str
    kind: str
    model: str = ""
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    signature: frozenset[str] = frozenset()
    hosts: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    reads: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return (*self.defaults, *(name for name in self.reads if name not in self.defaults))


_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge" / "modules.yaml"


def _load_modules(path: Path = _KNOWLEDGE) -> dict[str, _ModuleSpec]:
    """The module table, checked as it is read: a malformed entry is a bug in the tool, said at import."""
    table = knowledge.parse(path.read_text(encoding="utf-8"))
    specs: dict[str, _ModuleSpec] = {}
    for key, entry in table.items():
        unknown = set(entry) - {"reference", "kind", "model", "answers", "sources", "signature", "hosts",
                                "inputs", "reads"}
        if unknown or "reference" not in entry or "kind" not in entry or not entry.get("sources"):
            raise ValueError(f"{path.name}: module {key!r} needs reference, kind and sources (and knows no "
                             f"{sorted(unknown)})")
        specs[key] = _ModuleSpec(
            key, entry["kind"], entry.get("model", ""), tuple(entry.get("answers", ())),
            tuple(_source_key(s) or s for s in entry["sources"]), frozenset(entry.get("signature", ())),
            tuple(entry.get("hosts", ())), dict(entry.get("inputs") or {}), tuple(entry.get("reads", ())))
    return specs


_GITHUB_MODULE = re.compile(r"github\.com/([A-Za-z0-9_.-]+)/terraform-([a-z0-9]+)-([A-Za-z0-9_.-]+?)(?:\.git)?$")
_FORCED_GETTER = re.compile(r"^[a-z0-9]+::")


def _source_key(source: str) -> str | None:
    """A module `source` as a registry address, `namespace/name/provider` plus `//path` for a submodule, in
    lower case; the GitHub forms (`git::https://github.com/ns/terraform-aws-vpc.git//modules/x?ref=v5`,
    `git@github.com:…`, `github.com/…`) map to the same. None for a local path."""
    text = source.strip()
    if not text or _LOCAL_SOURCE.match(text) or len(text) > 2048:
        return None
    text = _FORCED_GETTER.sub("", text).split("?", 1)[0]
    text = re.sub(r"^[a-z+]+://", "", text)
    text = re.sub(r"^git@([^:/]+):", r"\1/", text)
    text = re.sub(r"^[^@/]+@", "", text)  # user@host/…
    base, _, sub = text.partition("//")
    base, sub = base.rstrip("/").lower(), sub.strip("/").lower()
    base = base.removeprefix("registry.terraform.io/")
    if (match := _GITHUB_MODULE.search(base)) is not None:
        base = f"{match.group(1)}/{match.group(3)}/{match.group(2)}"
    return f"{base}//{sub}" if sub else base


_ENGINES = {"postgres": "postgres", "aurora-postgresql": "postgres", "mysql": "mysql", "aurora-mysql": "mysql",
            "aurora": "mysql", "mariadb": "mariadb", "redis": "redis", "valkey": "redis", "memcached": "memcached",
            "docdb": "mongo", "sqlserver": "sqlserver"}

_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|private_key|credential|api_key|auth_key|access_key",
                         re.IGNORECASE)
_LOCAL_SOURCE = re.compile(r"^\.{1,2}/")
_MODULES: dict[str, _ModuleSpec] = _load_modules()
_BY_SOURCE: dict[str, _ModuleSpec] = {source.lower(): spec for spec in _MODULES.values() for source in spec.sources}

_MAX_INSTANCES = 256
# A `count` above this is refused (reported, and taken as unknown): the parser and rules build per-instance
# lists (`count = 1000000000` once took 8 GB). Real modules count subnets, zones and nodes: tens, hundreds.
MAX_COUNT = 10_000


# -- per-file parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileBlocks:
    """What one file contributes to its module directory: blocks, tfvars, and its diagnostics."""

    path: str
    blocks: tuple[Block, ...] = ()
    tfvars: dict[str, tuple[Any, Location]] = field(default_factory=dict, compare=False, hash=False)


def parse(path: str, text: str) -> Facts:
    """Facts of one Terraform file: raw blocks for `combine`, and nodes resolved within this file alone."""
    diagnostics: list[Diagnostic] = []
    try:
        if path.endswith(".json"):
            contribution = _json_file(path, text, diagnostics)
        else:
            contribution = _hcl_file(path, text, diagnostics)
    except RecursionError:
        return Facts(path, "terraform", diagnostics=(Diagnostic(path, "nesting too deep to parse", None, "too-deep"),))
    module = _Module(_module_dir(path), [contribution])
    facts = _module_facts(module, _Resolver(module, None, None))
    return Facts(path, "terraform", facts.nodes, facts.edges, tuple(dict.fromkeys([*diagnostics, *facts.diagnostics])),
                 {**facts.extra, "terraform": contribution})


def _module_dir(path: str) -> str:
    return posixpath.dirname(path) or "."


def _is_tfvars(path: str) -> bool:
    return path.endswith((".tfvars", ".tfvars.json"))


def _hcl_file(path: str, text: str, diagnostics: list[Diagnostic]) -> FileBlocks:
    document = parse_document(text)
    if document.error_line is not None:
        diagnostics.append(Diagnostic(path, document.error_message, document.error_line, "parse-error"))
    for problem in document.problems:
        diagnostics.append(Diagnostic(path, problem.message, problem.line, problem.code))
    if _is_tfvars(path):
        tfvars = {name: (_redacted(name, value), Location(path, *document.spans[name]))
                  for name, value in document.attrs.items()}
        return FileBlocks(path, (), tfvars)
    return FileBlocks(path, document.blocks)


def _json_file(path: str, text: str, diagnostics: list[Diagnostic]) -> FileBlocks:
    """Terraform JSON syntax: the same blocks, with lines from a position-keeping JSON reader."""
    try:
        root = _JsonReader(text).document()
    except ValueError as error:
        line = int(match.group(1)) if (match := re.search(r"line (\d+)", str(error))) else None
        diagnostics.append(Diagnostic(path, f"invalid JSON: {error}", line, "parse-error"))
        return FileBlocks(path)
    if not isinstance(root, _JObject):
        diagnostics.append(Diagnostic(path, "Terraform JSON must be an object", 1, "parse-error"))
        return FileBlocks(path)
    clock = _Clock(time.monotonic() + MAX_PARSE_SECONDS)
    if _is_tfvars(path):
        tfvars = {name: (_redacted(name, _json_value(value, clock, line)), Location(path, line, end))
                  for name, (value, line, end) in root.items.items()}
        contribution = FileBlocks(path, (), tfvars)
    else:
        blocks: list[Block] = []
        for block_type, (body, _, _) in root.items.items():
            depth = {"resource": 2, "data": 2}.get(block_type, 0 if block_type in ("terraform", "locals") else 1)
            blocks.extend(_json_blocks(block_type, (), body, depth, clock))
        contribution = FileBlocks(path, tuple(blocks))
    if clock.stopped_at is not None:
        diagnostics.append(Diagnostic(path, f"reading `${{…}}` templates took longer than {MAX_PARSE_SECONDS:g} s "
                                      f"(stopped at line {clock.stopped_at}); templates from there on are taken "
                                      "as unknown", clock.stopped_at, "too-slow"))
    return contribution


@dataclass
class _Clock:
    """The time left for reading one JSON file's `${…}` templates (each is a tree-sitter parse)."""

    deadline: float
    stopped_at: int | None = None  # the line where time ran out

    def expired(self, line: int) -> bool:
        if self.stopped_at is None and time.monotonic() > self.deadline:
            self.stopped_at = line
        return self.stopped_at is not None


class _JObject:
    """A JSON object with the lines of each member: {key: (value, line, end_line)}."""

    def __init__(self, items: dict[str, tuple[Any, int, int]], line: int, end_line: int) -> None:
        self.items = items
        self.line = line
        self.end_line = end_line


class _JsonReader:
    """Minimal JSON reader that remembers the line of every object member (stdlib json does not)."""

    _WS = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.decoder = json.JSONDecoder()
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_at(self, pos: int) -> int:
        from bisect import bisect_left

        line = bisect_left(self.newlines, pos) + 1
        # At the very end, after a final newline, is not a line of its own (editors count no line there).
        return line - 1 if line > 1 and pos >= len(self.text) and self.text.endswith("\n") else line

    def skip(self) -> None:
        match = self._WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def document(self) -> Any:
        value = self.value()
        self.skip()
        if self.pos != len(self.text):
            raise ValueError(f"extra data: line {self.line_at(self.pos)}")
        return value

    def value(self, depth: int = 0) -> Any:
        if depth > 200:
            raise ValueError(f"nesting too deep: line {self.line_at(self.pos)}")
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            return self.object(depth)
        if char == "[":
            start = self.pos
            self.pos += 1
            items: list[Any] = []
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return items
            while True:
                items.append(self.value(depth + 1))
                self.skip()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                elif self.text.startswith("]", self.pos):
                    self.pos += 1
                    return items
                else:
                    raise ValueError(f"expected ',' or ']': line {self.line_at(self.pos)} (array at {start})")
        try:
            scalar, end = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as error:
            raise ValueError(f"{error.msg}: line {self.line_at(self.pos)}") from error
        self.pos = end
        return scalar

    def object(self, depth: int) -> _JObject:
        start_line = self.line_at(self.pos)
        self.pos += 1
        items: dict[str, tuple[Any, int, int]] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return _JObject(items, start_line, self.line_at(self.pos))
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise ValueError(f"expected a member name: line {self.line_at(self.pos)}")
            key_line = self.line_at(self.pos)
            key, self.pos = json.decoder.scanstring(self.text, self.pos + 1)  # type: ignore[attr-defined]
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise ValueError(f"expected ':': line {self.line_at(self.pos)}")
            self.pos += 1
            member = self.value(depth + 1)
            items.setdefault(key, (member, key_line, self.line_at(max(self.pos - 1, 0))))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("}", self.pos):
                self.pos += 1
                return _JObject(items, start_line, self.line_at(self.pos - 1))
            else:
                raise ValueError(f"expected ',' or '}}': line {self.line_at(self.pos)}")


def _json_value(value: Any, clock: _Clock, line: int) -> Any:
    if isinstance(value, _JObject):
        return {key: _json_value(item, clock, item_line) for key, (item, item_line, _) in value.items.items()}
    if isinstance(value, list):
        return [_json_value(item, clock, line) for item in value]
    if isinstance(value, str):
        if ("${" in value or "%{" in value) and clock.expired(line):
            return Expr(json.dumps(value))
        return template_value(value)
    return value


def _json_blocks(block_type: str, labels: tuple[str, ...], body: Any, depth: int, clock: _Clock) -> Iterator[Block]:
    """`{"resource": {"aws_lb": {"web": {...}}}}` → Block("resource", ("aws_lb", "web"), …)."""
    if isinstance(body, list):
        for item in body:
            yield from _json_blocks(block_type, labels, item, depth, clock)
        return
    if not isinstance(body, _JObject):
        return
    if depth > 0:
        for label, (inner, _, _) in body.items.items():
            yield from _json_blocks(block_type, (*labels, label), inner, depth - 1, clock)
        return
    attrs: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] = {}
    for key, (value, line, end) in body.items.items():
        attrs[key] = _json_value(value, clock, line)
        spans[key] = (line, end)
        if isinstance(value, _JObject):
            for sub, (_, sub_line, sub_end) in value.items.items():
                spans.setdefault(f"{key}.{sub}", (sub_line, sub_end))
    yield Block(block_type, labels, body.line, body.end_line, attrs, (), spans)


def _redacted(name: str, value: Any) -> Any:
    return "<redacted>" if _SECRET_KEY.search(name) and not isinstance(value, Expr) else value


# -- module directories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    path: str
    block: Block

    def location(self) -> Location:
        return Location(self.path, self.block.line, self.block.end_line)

    def span(self, key: str) -> Location | None:
        span = self.block.spans.get(key)
        return Location(self.path, span[0], span[1]) if span else None


class _Module:
    """All blocks of one module directory, indexed by what references name."""

    def __init__(self, directory: str, files: list[FileBlocks]) -> None:
        self.dir = directory
        self.resources: dict[tuple[str, str], _Located] = {}
        self.variables: dict[str, _Located] = {}
        self.locals: dict[str, tuple[Any, Location]] = {}
        self.outputs: dict[str, _Located] = {}
        self.modules: dict[str, _Located] = {}
        self.data: dict[tuple[str, str], _Located] = {}
        self.tfvars: dict[str, tuple[Any, Location]] = {}
        for contribution in sorted(files, key=lambda f: _tfvars_order(f.path)):
            self.tfvars.update(contribution.tfvars)
            for block in contribution.blocks:
                self._add(contribution.path, block)

    def _add(self, path: str, block: Block) -> None:
        located = _Located(path, block)
        if block.type == "resource" and len(block.labels) == 2:
            self.resources.setdefault((block.labels[0], block.labels[1]), located)
        elif block.type == "variable" and block.labels:
            self.variables.setdefault(block.labels[0], located)
        elif block.type == "locals":
            for name, value in block.attrs.items():
                span = block.spans.get(name, (block.line, block.end_line))
                self.locals.setdefault(name, (value, Location(path, *span)))
        elif block.type == "output" and block.labels:
            self.outputs.setdefault(block.labels[0], located)
        elif block.type == "module" and block.labels:
            self.modules.setdefault(block.labels[0], located)
        elif block.type == "data" and len(block.labels) == 2:
            self.data.setdefault((block.labels[0], block.labels[1]), located)

    def module_source(self, name: str) -> str:
        located = self.modules.get(name)
        source = located.block.attrs.get("source") if located else None
        return source if isinstance(source, str) else ""

    def local_module_dir(self, name: str) -> str | None:
        source = self.module_source(name)
        if not _LOCAL_SOURCE.match(source):
            return None
        joined = posixpath.normpath(posixpath.join("" if self.dir == "." else self.dir, source))
        return None if joined.startswith("..") else (joined or ".")


def _tfvars_order(path: str) -> tuple[int, str]:
    """Terraform's precedence: terraform.tfvars(.json) first, then *.auto.tfvars(.json) in name order."""
    name = posixpath.basename(path)
    if name in ("terraform.tfvars", "terraform.tfvars.json"):
        return (1, name)
    if ".auto.tfvars" in name:
        return (2, name)
    return (0, name)


@dataclass(frozen=True)
class _Call:
    """A module call recognised as a well-known module: by its `source`, by the local copy it calls (whose
    variables carry the signature: their defaults are the ones Terraform applies), or only by the inputs it
    passes (then nothing is assumed of what it leaves out)."""

    spec: _ModuleSpec
    by: str  # "source", "local copy" or "inputs"
    callee: str | None = None  # the local module directory, for "local copy"


def _by_signature(names: Iterable[str]) -> _ModuleSpec | None:
    present = set(names)
    return next((spec for spec in _MODULES.values() if spec.signature and spec.signature <= present), None)


def _recognise(module: _Module, name: str, repo: _Repo | None) -> _Call | None:
    located = module.modules.get(name)
    if located is None:
        return None
    source = module.module_source(name)
    key = _source_key(source)
    if key is not None and key in _BY_SOURCE:
        return _Call(_BY_SOURCE[key], "source")
    child = module.local_module_dir(name) if key is None else None
    if child is not None and repo is not None and child in repo.modules:
        spec = repo.known_copy(child)
        return _Call(spec, "local copy", child) if spec is not None else None
    if repo is None and _LOCAL_SOURCE.match(source):
        return None  # one file alone: the called directory may be in the repository
    spec = _by_signature(n for n in located.block.attrs if n not in _META_INPUTS)
    return _Call(spec, "inputs") if spec is not None else None


_META_INPUTS = frozenset({"source", "version", "providers", "count", "for_each", "depends_on"})


class _Resolver:
    """Static values of `var.*`, `local.*` and local `module.*` outputs in one module directory."""

    def __init__(self, module: _Module, inputs: dict[str, tuple[Any, Location]] | None,
                 repo: _Repo | None) -> None:
        self.module = module
        self.inputs = inputs or {}
        self.repo = repo
        self.memo: dict[tuple[str, str], Any] = {}
        self.active: set[tuple[str, str]] = set()
        self.work = Work()  # one budget for every evaluation in this module directory
        self.scope = Scope(self.lookup, work=self.work)
        self.limited: dict[Expr, str] = {}  # expressions left unevaluated because a bound was hit → why
        self.refused: dict[Diagnostic, None] = {}  # bounds hit where the location is known (`count`)

    def lookup(self, root: str, name: str) -> Any:
        key = (root, name)
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            raise Unknown(f"cycle through {root}.{name}")
        self.active.add(key)
        try:
            value = self.resolve(self.raw(root, name))
        finally:
            self.active.discard(key)
        self.memo[key] = value
        return value

    def raw(self, root: str, name: str) -> Any:
        """The unresolved value a name stands for (already resolved when it comes from a caller)."""
        if root == "var":
            if name in self.inputs:
                return self.inputs[name][0]
            if name in self.module.tfvars:
                return self.module.tfvars[name][0]
            variable = self.module.variables.get(name)
            if variable is None or "default" not in variable.block.attrs:
                raise Unknown(f"var.{name}")
            return variable.block.attrs["default"]
        if root == "local" and name in self.module.locals:
            return self.module.locals[name][0]
        if root == "data":
            return self._zone_data(name)
        if root == "module" and self.repo is not None:
            child = self.module.local_module_dir(name)
            if child is not None and child in self.repo.modules:
                resolver = self.repo.resolver(child)
                return {out: resolver.output_value(out) for out in resolver.module.outputs}
        raise Unknown(f"{root}.{name}")

    def _zone_data(self, name: str) -> dict[str, Any]:
        """`data.aws_availability_zones.x` (and its kin): lists of distinct zones, how many unknown; a data block
        that excludes or filters zones may list only one, so it gives nothing."""
        type_, _, label = name.partition(".")
        located = self.module.data.get((type_, label))
        if type_ not in _ZONE_DATA or located is None:
            raise Unknown(f"data.{name}")
        if any(key in located.block.attrs for key in _ZONE_FILTERS) or any(
                b.type in _ZONE_FILTERS for b in located.block.blocks):
            raise Unknown(f"data.{name} (filtered)")
        return {attr: ZoneList(f"data.{name}.{attr}") for attr in _ZONE_DATA[type_]}

    def output_value(self, name: str) -> Any:
        located = self.module.outputs.get(name)
        return self.resolve(located.block.attrs.get("value")) if located else None

    def resolve(self, value: Any) -> Any:
        """`value` with every statically known `Expr` replaced by its value."""
        if isinstance(value, Expr):
            if not any(_resolvable(ref) for ref in value.refs):
                return value
            try:
                return evaluate(tree_of(value.text), self.scope)
            except Limit as limit:
                self.limit(value, limit)
                return value
            except (Unknown, RecursionError):
                return value
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def evaluate_with(self, value: Any, bindings: dict[str, Any]) -> Any:
        if not isinstance(value, Expr):
            return self.resolve(value)
        try:
            return evaluate(tree_of(value.text), Scope(self.lookup, bindings, self.work))
        except Limit as limit:
            self.limit(value, limit)
            return value
        except (Unknown, RecursionError):
            return value

    def limit(self, value: Expr, limit: Limit) -> None:
        """Remember an expression that a bound kept from being evaluated (once the module's whole budget is
        spent every later evaluation fails too: that is said once)."""
        if not (self.work.spent and any(reason == str(limit) for reason in self.limited.values())):
            self.limited.setdefault(value, str(limit))

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """A `limit` diagnostic per bound hit, at the attribute, local or variable that holds the expression."""
        found: list[Diagnostic] = list(self.refused)
        if self.limited:
            where = _expression_locations(self.module, self.inputs)
            fallback = next(iter(where.values()), Location(self.module.dir, 1))
            for value, reason in self.limited.items():
                location = where.get(value, fallback)
                text = " ".join(value.text.split())
                found.append(Diagnostic(location.path, f"`{text[:60]}{'…' if len(text) > 60 else ''}` is not "
                                        f"evaluated: {reason}; it is taken as unknown", location.line, "limit"))
        return tuple(found)

    def _held(self, ref: str, depth: int) -> tuple[bool, Any]:
        """For `var.x`/`local.y`: (True, what it holds) to follow, or (True, _NOTHING) when it cannot be
        followed; (False, None) for a resource, data or module reference."""
        root, _, name = ref.partition(".")
        if root not in ("var", "local"):
            return False, None
        if depth >= 8:
            return True, _NOTHING
        try:
            return True, (self.inputs[name][0] if root == "var" and name in self.inputs else self.raw(root, name))
        except Unknown:
            return True, _NOTHING

    def refs_through(self, value: Any, depth: int = 0) -> Iterator[str]:
        """Resource, data and module references in `value`, following var/local to what they hold."""
        for expr in _exprs(value):
            for ref in expr.refs:
                variable, inner = self._held(ref, depth)
                if not variable:
                    yield ref
                elif inner is not _NOTHING:
                    yield from self.refs_through(inner, depth + 1)


    def ref_uses_through(self, value: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
        """`refs_through` with the instance each reference selects (an index, `WHOLE` or `DYNAMIC`)."""
        for expr in _exprs(value):
            if not expr.refs:  # its tree would be read for nothing (a re-parse, outside the file's budget)
                continue
            uses: dict[str, list[Any]] = defaultdict(list)
            for ref, index in ref_uses(tree_of(expr.text)):
                uses[ref].append(index)
            for ref in expr.refs:
                variable, inner = self._held(ref, depth)
                if not variable:
                    for index in uses.get(ref) or [WHOLE]:
                        yield ref, index
                elif inner is not _NOTHING:
                    yield from self.ref_uses_through(inner, depth + 1)


# Data sources whose attributes list zones (distinct names, at least two in any region), and the arguments
# that narrow the list (after which it may hold one zone).
_ZONE_DATA = {"aws_availability_zones": ("names", "zone_ids"), "google_compute_zones": ("names",)}
_ZONE_FILTERS = ("exclude_names", "exclude_zone_ids", "filter")


def _resolvable(ref: str) -> bool:
    root, _, rest = ref.partition(".")
    return root in ("var", "local", "module") or (root == "data" and rest.partition(".")[0] in _ZONE_DATA)


def _exprs(value: Any) -> Iterator[Expr]:
    if isinstance(value, Expr):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _exprs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _exprs(item)


def _expression_locations(module: _Module, inputs: dict[str, tuple[Any, Location]]) -> dict[Expr, Location]:
    """Where each expression of a module directory is written (its first place, when written twice)."""
    where: dict[Expr, Location] = {}
    for value, location in [*module.locals.values(), *module.tfvars.values(), *inputs.values()]:
        for expr in _exprs(value):
            where.setdefault(expr, location)
    blocks = [*module.resources.values(), *module.modules.values(), *module.outputs.values(),
              *module.variables.values()]
    for located in blocks:
        for path, value in _attr_values(located.block):
            for expr in _exprs(value):
                where.setdefault(expr, _span_for(located, path))
    return where


class _Repo:
    """All module directories of a repository and the callers of local modules."""

    def __init__(self, facts: Iterable[Facts]) -> None:
        grouped: dict[str, list[FileBlocks]] = defaultdict(list)
        self.diagnostics: dict[str, list[Diagnostic]] = defaultdict(list)
        for fact in facts:
            directory = _module_dir(fact.path)
            contribution = fact.extra.get("terraform")
            grouped[directory].append(contribution if isinstance(contribution, FileBlocks) else FileBlocks(fact.path))
            self.diagnostics[directory].extend(fact.diagnostics)
        self.modules = {directory: _Module(directory, files) for directory, files in grouped.items()}
        self.callers: dict[str, list[tuple[_Module, _Located]]] = defaultdict(list)
        for module in self.modules.values():
            for name, located in sorted(module.modules.items()):
                child = module.local_module_dir(name)
                if child is not None and child in self.modules and child != module.dir:
                    self.callers[child].append((module, located))
        self.resolvers: dict[str, _Resolver] = {}
        self.building: set[str] = set()
        self.copies: dict[str, _ModuleSpec | None] = {}

    def known_copy(self, directory: str) -> _ModuleSpec | None:
        """The well-known module a local module directory is a copy of: it declares the module's signature."""
        if directory not in self.copies:
            module = self.modules.get(directory)
            self.copies[directory] = _by_signature(module.variables) if module is not None else None
        return self.copies[directory]

    def judged_at_calls(self, directory: str) -> tuple[str, ...]:
        """The questions answered at the calls of this directory (a copy of a well-known module that modules
        here call), not on its own resources: Terraform instantiates them only through those calls."""
        spec = self.known_copy(directory) if self.callers.get(directory) else None
        return spec.answers if spec is not None else ()

    def resolver(self, directory: str) -> _Resolver:
        if directory in self.resolvers:
            return self.resolvers[directory]
        module = self.modules[directory]
        if directory in self.building:
            return _Resolver(module, None, None)
        self.building.add(directory)
        try:
            resolver = _Resolver(module, self.inputs_for(directory), self)
        finally:
            self.building.discard(directory)
        self.resolvers[directory] = resolver
        return resolver

    def inputs_for(self, directory: str) -> dict[str, tuple[Any, Location]]:
        """Module inputs passed by callers; where several callers disagree, the input stays unknown."""
        merged: dict[str, tuple[Any, Location]] = {}
        disagree: set[str] = set()
        for caller, located in self.callers.get(directory, []):
            resolver = self.resolver(caller.dir)
            for name, value in located.block.attrs.items():
                if name in ("source", "version", "providers", "count", "for_each", "depends_on"):
                    continue
                resolved = resolver.resolve(value)
                location = located.span(name) or located.location()
                if name in merged and merged[name][0] != resolved:
                    disagree.add(name)
                merged.setdefault(name, (resolved, location))
        return {name: value for name, value in merged.items() if name not in disagree}


def combine(facts: list[Facts]) -> list[Facts]:
    """Per-file Terraform facts → one Facts per module directory, with variables and locals resolved."""
    repo = _Repo(f for f in facts if f.kind == "terraform")
    built = [(directory, _module_facts(repo.modules[directory], repo.resolver(directory), repo))
             for directory in sorted(repo.modules)]
    # Bounds hit while resolving a module's values, also when another module's facts asked for them.
    return [Facts(directory, "terraform", module_facts.nodes, module_facts.edges,
                  tuple(dict.fromkeys([*repo.diagnostics[directory], *repo.resolver(directory).diagnostics()])),
                  module_facts.extra)
            for directory, module_facts in built]


# -- nodes and edges ------------------------------------------------------------------------------------


class _Builder:
    """Accumulates the nodes, edges and hostnames of one module directory."""

    def __init__(self, module: _Module, resolver: _Resolver, repo: _Repo | None) -> None:
        self.module = module
        self.resolver = resolver
        self.repo = repo
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.hostnames: dict[str, str] = {}
        # Task definition id → (env var name, referenced node id, location) for lifting onto ECS services.
        self.env_refs: dict[str, list[tuple[str, str, Location]]] = defaultdict(list)
        self.calls = {name: call for name in sorted(module.modules)
                      if (call := _recognise(module, name, repo)) is not None}
        self.module_kinds = {self.id_for(f"module:{module.module_source(name)}", name): call.spec.kind
                             for name, call in self.calls.items()}

    def id_for(self, type_: str, name: str) -> str:
        return node_id("terraform", type_, name, scope=self.module.dir)

    def module_node_type(self, name: str) -> str | None:
        return f"module:{self.module.module_source(name)}" if name in self.calls else None

    def targets(self, ref: str, depth: int = 0) -> list[str]:
        """Node ids a reference names: a resource, a registry module, or what a local module's output points at."""
        parts = ref.split(".")
        if parts[0] == "data" or len(parts) < 2:
            return []
        if parts[0] == "module":
            module_type = self.module_node_type(parts[1])
            call = self.calls.get(parts[1])
            if module_type and (call is None or call.callee is None):
                return [self.id_for(module_type, parts[1])]
            inside = self._output_targets(parts, depth)  # a local module: what its output points at
            return inside or ([self.id_for(module_type, parts[1])] if module_type else [])
        if parts[0] in _SPECS and (parts[0], parts[1]) in self.module.resources:
            return [self.id_for(parts[0], parts[1])]
        if parts[0] in _SPECS and self.repo is None:
            return [self.id_for(parts[0], parts[1])]  # per-file: the resource may be in a sibling file
        return []

    def _output_targets(self, parts: list[str], depth: int) -> list[str]:
        child = self.module.local_module_dir(parts[1])
        if child is None or self.repo is None or child not in self.repo.modules or depth > 4 or len(parts) < 3:
            return []
        inner = _Builder(self.repo.modules[child], self.repo.resolver(child), self.repo)
        output = inner.module.outputs.get(parts[2])
        if output is None:
            return []
        return [t for r in inner.resolver.refs_through(output.block.attrs.get("value"))
                for t in inner.targets(r, depth + 1)]

    def type_of(self, target: str) -> str:
        return target.split(":", 2)[1]

    def kind_of(self, target: str) -> str:
        if target in self.module_kinds:
            return self.module_kinds[target]
        type_ = self.type_of(target)
        return _SPECS[type_].kind if type_ in _SPECS else ""

    def edge(self, source: str, target: str, kind: str, location: Location, **attrs: Any) -> None:
        if source != target:
            self.edges.append(Edge(source, target, kind, location, attrs))


def _module_facts(module: _Module, resolver: _Resolver, repo: _Repo | None = None) -> Facts:
    builder = _Builder(module, resolver, repo)
    for (type_, name), located in sorted(module.resources.items(), key=lambda item: _order(item[1])):
        if type_ in _SPECS:
            _resource_node(builder, type_, name, located)
    for name, located in sorted(module.modules.items(), key=lambda item: _order(item[1])):
        _module_node(builder, name, located)
    for (type_, name), located in sorted(module.resources.items(), key=lambda item: _order(item[1])):
        _relation_edges(builder, type_, name, located)
    _route_edges(builder)
    _lift_task_definitions(builder)
    _mark_autoscaled(builder)
    _mark_rate_limits(builder)
    outputs = {name: (_plain(resolver.resolve(located.block.attrs.get("value"))),
                      located.span("value") or located.location())
               for name, located in sorted(module.outputs.items())}
    variables: dict[str, Any] = {}
    for name in sorted(module.variables):
        try:
            variables[name] = _plain(_redacted(name, resolver.lookup("var", name)))
        except Unknown:
            variables[name] = None
    answered = repo.judged_at_calls(module.dir) if repo is not None else ()
    for node in builder.nodes.values():  # a wrapper's own module calls included: its callers are judged
        if answered:
            node.attrs["judged_at_calls"] = list(answered)
    extra = {"module_dir": module.dir, "outputs": outputs, "hostnames": dict(sorted(builder.hostnames.items())),
             "variables": variables}
    return Facts(module.dir, "terraform", tuple(builder.nodes.values()), tuple(builder.edges), resolver.diagnostics(),
                 extra)


def _order(located: _Located) -> tuple[str, int]:
    return (located.path, located.block.line)


def _config(block: Block, resolver: _Resolver) -> dict[str, Any]:
    """The block's attributes and nested blocks as one resolved dict."""
    out: dict[str, Any] = {key: resolver.resolve(value) for key, value in block.attrs.items()}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for nested in block.blocks:
        grouped[nested.type].append(_config(nested, resolver))
    for key, items in grouped.items():
        out.setdefault(key, items[0] if len(items) == 1 else items)
    return out


def _get(config: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(config, list):
            config = config[0] if config and isinstance(config[0], dict) else None
        if not isinstance(config, dict) or part not in config:
            return None
        config = config[part]
    return config


def _scrubbed(value: Any, key: str = "") -> Any:
    """No secret values in attributes: secret-named literals redacted, URL passwords removed; a data source's
    zone list is plain data again (the expression it stands for)."""
    if isinstance(value, ZoneList):
        return _plain(value)
    if key and _SECRET_KEY.search(key) and not isinstance(value, Expr | dict | list) and value not in (None, ""):
        return "<redacted>"
    if isinstance(value, str):
        return url_credentials(value)
    if isinstance(value, list):
        return [_scrubbed(item, key) for item in value]
    if isinstance(value, dict):
        return {k: _scrubbed(item, str(k)) for k, item in value.items()}
    return value


def _plain(value: Any) -> Any:
    """A resolved value as plain data: a `ZoneList` (only the models read it) becomes its expression."""
    if isinstance(value, ZoneList):
        return Expr(value.label, (value.label.rsplit(".", 1)[0],))
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def _count(located: _Located, resolver: _Resolver) -> int | None:
    """Instances from `count`/`for_each` when static (1 without either); more than `MAX_COUNT` is refused."""
    attrs = located.block.attrs
    key = "count" if "count" in attrs else "for_each" if "for_each" in attrs else ""
    if not key:
        return 1
    value = resolver.resolve(attrs[key])
    if key == "count":
        count = int_value(value) if isinstance(value, int | float) else None
    else:
        count = len(value) if isinstance(value, list | dict) and not has_expr(value) else None
    if count is not None and count > MAX_COUNT:
        where = located.span(key) or located.location()
        resolver.refused.setdefault(Diagnostic(
            where.path, f"`{key}` gives {count:,} instances, more than the {MAX_COUNT:,} this audit expands; it is "
            "taken as unknown", where.line, "limit"))
        return None
    return count


def _resource_node(builder: _Builder, type_: str, name: str, located: _Located) -> None:
    spec = _SPECS[type_]
    resolver = builder.resolver
    block = located.block
    config = _config(block, resolver)
    ident = builder.id_for(type_, name)
    attrs: dict[str, Any] = {"module_dir": builder.module.dir}
    evidence: dict[str, Location] = {}
    attrs["count"] = _count(located, resolver)
    for key in ("count", "for_each"):
        if (span := located.span(key)) is not None:
            evidence["count"] = span
    for attr, path in spec.attrs.items():
        value = _get(config, path)
        span = located.span(path) or (located.span(path.rsplit(".", 1)[0]) if "." in path else None)
        if value is None and attr in spec.defaults:
            attrs[attr] = spec.defaults[attr]
            evidence[attr] = Location(located.path, block.line)
        else:
            attrs[attr] = value
            if span is not None:
                evidence[attr] = span
    for attr, value in spec.defaults.items():
        attrs.setdefault(attr, value)
    engine = attrs.get("engine")
    if isinstance(engine, str):
        attrs["engine"] = _ENGINES.get(engine.lower(), engine.lower().split("-")[0] if engine else engine)
    hook = _HOOKS.get(type_)
    settings: tuple[Setting, ...] = ()
    if hook is not None:
        settings = hook(builder, located, config, attrs, evidence) or ()
    attrs["config"] = _scrubbed(config)
    node = Node(ident, spec.kind, name, "terraform", type_, located.location(), _scrubbed(attrs), evidence,
                settings)
    builder.nodes[ident] = node
    for host_attr in spec.hosts:
        host = config.get(host_attr)
        if isinstance(host, str) and host:
            builder.hostnames.setdefault(host.lower(), ident)
    _reference_edges(builder, ident, type_, spec.kind, located)


def _module_node(builder: _Builder, name: str, located: _Located) -> None:
    """A call of a well-known module: its inputs as Terraform evaluates them (what the call passes, else the
    module's default) and what its model derives from them."""
    call = builder.calls.get(name)
    if call is None:
        return
    source = builder.module.module_source(name)
    spec = call.spec
    resolver = builder.resolver
    config = {k: resolver.resolve(v) for k, v in located.block.attrs.items()}
    ident = builder.id_for(f"module:{source}", name)
    attrs: dict[str, Any] = {"module_dir": builder.module.dir, "module": spec.key, "model": spec.model,
                             "source": source, "recognised_by": call.by, "count": _count(located, resolver)}
    evidence: dict[str, Location] = {}
    defaults = _call_defaults(builder, call)
    defaulted = []
    for attr in spec.inputs:
        if attr in config:
            attrs[attr] = config[attr]
            if (span := located.span(attr)) is not None:
                evidence[attr] = span
        elif attr in defaults:
            attrs[attr] = defaults[attr]
            evidence[attr] = Location(located.path, located.block.line)
            defaulted.append(attr)
    attrs["defaulted"] = defaulted
    engine = attrs.get("engine")
    if isinstance(engine, str):
        attrs["engine"] = _ENGINES.get(engine.lower(), engine.lower())
    if spec.model in _MODELS:
        _MODELS[spec.model](attrs, evidence, located)
    attrs["config"] = _scrubbed(config)
    builder.nodes[ident] = Node(ident, spec.kind, name, "terraform", f"module:{source}", located.location(),
                                _scrubbed(attrs), evidence)
    for host_attr in spec.hosts:
        host = config.get(host_attr)
        if isinstance(host, str) and host:
            builder.hostnames.setdefault(host.lower(), ident)
    _reference_edges(builder, ident, f"module:{source}", spec.kind, located)


def _call_defaults(builder: _Builder, call: _Call) -> dict[str, Any]:
    """What an omitted input is: the module's documented default (known by source); for a local copy the
    `default` of its own variable (Terraform's rule; a variable without one is required), and the documented
    default of an input the copy does not declare (it cannot be set, so the module's behaviour is that
    default's); nothing for a module known only by the inputs a call passes (it may default them otherwise)."""
    if call.by == "source":
        return dict(call.spec.defaults)
    if call.callee is None or builder.repo is None:
        return {}
    variables = builder.repo.modules[call.callee].variables
    found = {name: value for name, value in call.spec.defaults.items() if name not in variables}
    for name in call.spec.inputs:
        located = variables.get(name)
        if located is not None and "default" in located.block.attrs and not has_expr(located.block.attrs["default"]):
            found[name] = located.block.attrs["default"]
    return found


# Edges whose direction is reversed: the referenced thing contains the referencing one.
_CONTAINED_BY = {
    ("aws_subnet", "vpc_id"), ("aws_internet_gateway", "vpc_id"), ("aws_nat_gateway", "subnet_id"),
    ("aws_instance", "subnet_id"), ("aws_eks_node_group", "cluster_name"), ("aws_ecs_service", "cluster"),
    ("aws_rds_cluster_instance", "cluster_identifier"), ("google_container_node_pool", "cluster"),
    ("google_compute_subnetwork", "network"), ("azurerm_subnet", "virtual_network_name"),
    ("aws_eks_node_group", "subnet_ids"), ("aws_lambda_function", "vpc_config.subnet_ids"),
}
_ROUTES_TO_SELF = {("aws_ecs_service", "load_balancer.target_group_arn"),
                   ("aws_autoscaling_group", "target_group_arns"), ("aws_lb_listener", "load_balancer_arn"),
                   ("aws_alb_listener", "load_balancer_arn")}
_ROUTES_FROM_SELF = {("aws_lb_listener", "default_action.target_group_arn"),
                     ("aws_alb_listener", "default_action.target_group_arn"),
                     ("aws_lb_listener", "default_action.forward.target_group.arn")}
_CONFIGURED_BY = {("aws_db_instance", "parameter_group_name")}
_DATA_KINDS = ("datastore", "cache", "queue", "proxy")
_HANDLED_BY_HOOK = {("aws_ecs_task_definition", "container_definitions")}


def _attr_values(block: Block, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in block.attrs.items():
        yield prefix + key, value
    for nested in block.blocks:
        yield from _attr_values(nested, f"{prefix}{nested.type}.")


def _map_entries(located: _Located, path: str, value: Any) -> Iterator[tuple[str, Any, Location]]:
    """An attribute, or each entry of a map attribute with the line of its key (env var maps, tags)."""
    span = _span_for(located, path)
    if isinstance(value, dict):
        for key, item in value.items():
            line = located.block.literal_lines.get(key)
            inside = line is not None and span.line <= line <= span.end_line
            yield f"{path}.{key}", item, Location(located.path, line) if inside and line else span
    else:
        yield path, value, span


def _reference_edges(builder: _Builder, ident: str, type_: str, kind: str, located: _Located) -> None:
    """One edge per reference from this block to a modelled resource, kind chosen by what it means."""
    for path, value in _attr_values(located.block):
        if (type_, path) in _HANDLED_BY_HOOK:
            continue
        if path == "depends_on":
            location = _span_for(located, path)
            for ref in (r for e in _exprs(value) for r in e.refs):
                for target in builder.targets(ref):
                    builder.edge(ident, target, "depends_on", location)
            continue
        first: dict[str, Location] = {}
        instances: dict[str, set[Any]] = defaultdict(set)
        for _entry, item, location in _map_entries(located, path, value):
            for ref, index in builder.resolver.ref_uses_through(item):
                for target in builder.targets(ref):
                    first.setdefault(target, location)
                    instances[target].add(index)
        for target, location in first.items():
            # `index` only when every use names the same one instance (`aws_subnet.private[0].id`).
            found = instances[target]
            index = next(iter(found)) if len(found) == 1 else None
            _typed_edge(builder, ident, type_, kind, path, target, location,
                        None if index in (WHOLE, DYNAMIC) else index)


def _span_for(located: _Located, path: str) -> Location:
    while path:
        span = located.span(path)
        if span is not None:
            return span
        path = path.rsplit(".", 1)[0] if "." in path else ""
    return located.location()


def _typed_edge(builder: _Builder, ident: str, type_: str, kind: str, path: str, target: str,
                location: Location, index: Any = None) -> None:
    target_kind = builder.kind_of(target)
    attrs: dict[str, Any] = {"attribute": path}
    if index is not None:
        attrs["index"] = index
    if (type_, path) in _CONFIGURED_BY:
        builder.edge(target, ident, "configures", location, **attrs)
    elif (type_, path) in _CONTAINED_BY:
        builder.edge(target, ident, "contains", location, **attrs)
    elif path == "replicate_source_db":
        builder.edge(ident, target, "depends_on", location, replica_of=True, **attrs)
    elif (type_, path) in _ROUTES_TO_SELF:
        builder.edge(target, ident, "routes_to", location, **attrs)
    elif (type_, path) in _ROUTES_FROM_SELF:
        builder.edge(ident, target, "routes_to", location, **attrs)
    elif type_ == "aws_ecs_service" and path == "task_definition":
        builder.edge(target, ident, "configures", location, **attrs)
    elif kind == "autoscaler" and target_kind in ("service", "cluster", "datastore", "cache"):
        builder.edge(ident, target, "scales", location, **attrs)
    elif kind in ("service", "proxy") and target_kind in _DATA_KINDS:
        builder.edge(ident, target, "connects_to", location, target_kind=target_kind, **attrs)
    else:
        builder.edge(ident, target, "references", location, **attrs)


def _relation_edges(builder: _Builder, type_: str, name: str, located: _Located) -> None:
    """Resources that only relate others: attachments, proxy targets, DNS records."""
    attrs = located.block.attrs

    def first(attr: str) -> tuple[list[str], Location]:
        targets = [t for r in builder.resolver.refs_through(attrs.get(attr)) for t in builder.targets(r)]
        return targets, located.span(attr) or located.location()

    if type_ in ("aws_lb_target_group_attachment", "aws_alb_target_group_attachment"):
        groups, _ = first("target_group_arn")
        targets, location = first("target_id")
        for group in groups:
            for target in targets:
                builder.edge(group, target, "routes_to", location, via=f"{type_}.{name}")
    elif type_ == "aws_autoscaling_attachment":
        groups, location = first("lb_target_group_arn")
        groups += first("alb_target_group_arn")[0]
        asgs, _ = first("autoscaling_group_name")
        for group in groups:
            for asg in asgs:
                builder.edge(group, asg, "routes_to", location, via=f"{type_}.{name}")
    elif type_ in ("aws_lb_listener_rule", "aws_alb_listener_rule"):
        listeners, _ = first("listener_arn")
        for path, value in _attr_values(located.block):
            if path.endswith("target_group_arn"):
                location = _span_for(located, path)
                for group in (t for r in builder.resolver.refs_through(value) for t in builder.targets(r)):
                    for listener in listeners:
                        builder.edge(listener, group, "routes_to", location, via=f"{type_}.{name}")
    elif type_ == "aws_db_proxy_target":
        proxies, _ = first("db_proxy_name")
        for attr in ("db_instance_identifier", "db_cluster_identifier"):
            databases, location = first(attr)
            for proxy in proxies:
                for database in databases:
                    builder.edge(proxy, database, "connects_to", location, via=f"{type_}.{name}",
                                 target_kind="datastore")
    elif type_ == "aws_route53_record":
        _dns_record(builder, located)


def _dns_record(builder: _Builder, located: _Located) -> None:
    """A DNS name pointing at a resource (records or alias) is a hostname apps may use for it."""
    resolver = builder.resolver
    record = resolver.resolve(located.block.attrs.get("name"))
    if not isinstance(record, str) or not record:
        return
    names = {record.lower().rstrip(".")} if "." in record.rstrip(".") else set()
    for ref in resolver.refs_through(located.block.attrs.get("zone_id")):
        parts = ref.split(".")
        zone = builder.module.resources.get(("aws_route53_zone", parts[1])) if len(parts) == 2 else None
        zone_name = resolver.resolve(zone.block.attrs.get("name")) if zone else None
        if isinstance(zone_name, str) and not record.rstrip(".").endswith(zone_name.rstrip(".")):
            names.add(f"{record.rstrip('.')}.{zone_name.rstrip('.')}".lower())
    values = [located.block.attrs.get("records")] + [b.attrs.get("name") for b in located.block.blocks
                                                     if b.type == "alias"]
    targets = [t for value in values for r in resolver.refs_through(value) for t in builder.targets(r)]
    if targets:
        for host in names:
            builder.hostnames.setdefault(host, targets[0])


def _route_edges(builder: _Builder) -> None:
    """subnet → NAT/internet gateway (`egress_via`), through route tables and their associations."""
    module = builder.module
    resolver = builder.resolver
    gateways: dict[str, list[tuple[str, Location]]] = defaultdict(list)  # route table name → (gateway, where)

    def gateway_refs(located: _Located, block: Block, prefix: str) -> Iterator[tuple[str, Location]]:
        for attr in ("nat_gateway_id", "gateway_id"):
            if attr in block.attrs:
                for ref in resolver.refs_through(block.attrs[attr]):
                    for target in builder.targets(ref):
                        if builder.kind_of(target) == "gateway":
                            yield target, _span_for(located, prefix + attr)

    for (type_, name), located in module.resources.items():
        if type_ == "aws_route_table":
            for nested in located.block.blocks:
                if nested.type == "route":
                    gateways[name].extend(gateway_refs(located, nested, "route."))
        elif type_ == "aws_route":
            for ref in resolver.refs_through(located.block.attrs.get("route_table_id")):
                parts = ref.split(".")
                if parts[0] == "aws_route_table" and len(parts) == 2:
                    gateways[parts[1]].extend(gateway_refs(located, located.block, ""))
    for (type_, _name), located in sorted(module.resources.items(), key=lambda item: _order(item[1])):
        if type_ != "aws_route_table_association":
            continue
        tables = [r.split(".")[1] for r in resolver.refs_through(located.block.attrs.get("route_table_id"))
                  if r.startswith("aws_route_table.")]
        subnets = [t for r in resolver.refs_through(located.block.attrs.get("subnet_id")) for t in builder.targets(r)]
        association = located.span("subnet_id") or located.location()
        for table in tables:
            for gateway, location in gateways.get(table, []):
                for subnet in subnets:
                    builder.edge(subnet, gateway, "egress_via", location, route_table=f"aws_route_table.{table}",
                                 association=str(association))


def _lift_task_definitions(builder: _Builder) -> None:
    """An ECS service runs its task definition: it gets the containers, env names, settings and connections."""
    for edge in list(builder.edges):
        if edge.kind != "configures" or builder.type_of(edge.source) != "aws_ecs_task_definition":
            continue
        task, service = builder.nodes.get(edge.source), builder.nodes.get(edge.target)
        if task is None or service is None:
            continue
        for key in ("containers", "image", "env_keys", "ports"):
            if key in task.attrs:
                service.attrs[key] = task.attrs[key]
        builder.nodes[service.id] = dataclasses.replace(service, settings=service.settings + task.settings)
        for name, target, location in builder.env_refs.get(task.id, []):
            target_kind = builder.kind_of(target)
            kind = "connects_to" if target_kind in _DATA_KINDS else "calls" if target_kind in (
                "service", "load_balancer", "gateway") else "references"
            builder.edge(service.id, target, kind, location, env=name, target_kind=target_kind)
        for link in [e for e in builder.edges if e.source == task.id and e.target.startswith("host:")]:
            builder.edge(service.id, link.target, link.kind, link.location, **link.attrs)


def _mark_autoscaled(builder: _Builder) -> None:
    scaled = {edge.target for edge in builder.edges if edge.kind == "scales"}
    for ident in scaled:
        node = builder.nodes.get(ident)
        if node is not None and node.kind == "service":
            node.attrs["autoscaled"] = True


# -- rate limits at the edge (RESIL004) ------------------------------------------------------------------

_ALB_MODULE = "terraform-aws-modules/alb/aws"
_WAF_ASSOCIATIONS = {"aws_wafv2_web_acl_association": "web_acl_arn", "aws_wafregional_web_acl_association":
                     "web_acl_id"}
# Resources that throttle an API gateway: (type, attribute naming the API, nested paths whose presence throttles).
_THROTTLES = {
    "aws_api_gateway_method_settings": ("rest_api_id", ("settings.throttling_rate_limit",
                                                        "settings.throttling_burst_limit")),
    "aws_api_gateway_usage_plan": ("api_stages.api_id", ("throttle_settings.rate_limit",
                                                         "throttle_settings.burst_limit",
                                                         "api_stages.throttle.rate_limit",
                                                         "api_stages.throttle.burst_limit")),
    "aws_apigatewayv2_stage": ("api_id", ("default_route_settings.throttling_rate_limit",
                                          "default_route_settings.throttling_burst_limit",
                                          "route_settings.throttling_rate_limit",
                                          "route_settings.throttling_burst_limit")),
}


def _mark_rate_limits(builder: _Builder) -> None:
    """`rate_limited` on internet-facing ALBs (a WAF ACL with a rate-based rule, or one we cannot see) and on
    public API gateways (stage, method or usage-plan throttling). Not set (unknown) when a WAF association or
    throttle elsewhere in the repo names what it applies to through something we cannot resolve."""
    edges = [n for n in builder.nodes.values()
             if n.type in ("aws_lb", "aws_alb") or n.attrs.get("module") == _ALB_MODULE]
    apis = [n for n in builder.nodes.values() if n.type in ("aws_api_gateway_rest_api", "aws_apigatewayv2_api")]
    if not edges and not apis:
        return
    stages: dict[str, str] = {}  # aws_api_gateway_stage id → REST API id (a WAF ACL can sit on a stage)
    for (type_, name), located in builder.module.resources.items():
        if type_ == "aws_api_gateway_stage":
            for api in _targets_of(builder, located.block.attrs.get("rest_api_id")):
                stages[builder.id_for(type_, name)] = api
    protected: dict[str, tuple[bool, Location]] = {}

    def mark(target: str, verdict: bool, where: Location) -> None:
        if not protected.get(target, (False,))[0]:
            protected[target] = (verdict, where)

    for (type_, _name), located in sorted(builder.module.resources.items(), key=lambda item: _order(item[1])):
        if _count(located, builder.resolver) == 0:
            continue
        if type_ in _WAF_ASSOCIATIONS:
            verdict = _acl_limits_rate(builder, located.block.attrs.get(_WAF_ASSOCIATIONS[type_]))
            where = located.span("resource_arn") or located.location()
            for target in _targets_of(builder, located.block.attrs.get("resource_arn")):
                mark(stages.get(target, target), verdict, where)
        elif type_ == "aws_cloudfront_distribution" and located.block.attrs.get("web_acl_id") is not None:
            verdict = _acl_limits_rate(builder, located.block.attrs.get("web_acl_id"))
            for origin in (b for b in located.block.blocks if b.type == "origin"):
                for target in _targets_of(builder, origin.attrs.get("domain_name")):
                    mark(target, verdict, located.span("web_acl_id") or located.location())
        elif type_ in _THROTTLES:
            attr, paths = _THROTTLES[type_]
            config = _config(located.block, builder.resolver)
            stated = [p for p in paths if _throttles(_get(config, p))]
            if stated:
                for target in _targets_of(builder, _raw_at(located.block, attr)):
                    mark(target, True, _span_for(located, stated[0]))
    unresolved_waf = _unlinked(builder, set(_WAF_ASSOCIATIONS), "resource_arn")
    unresolved_throttle = _unlinked(builder, set(_THROTTLES), "")
    for node in edges:
        if node.attrs.get("internal") is not False or node.attrs.get("load_balancer_type") != "application":
            continue  # internal, a network/gateway LB (no WAF), or not static
        if node.attrs.get("count") == 0 or _get(node.attrs.get("config"), "create") is False:
            continue
        module_acl = _module_web_acl(builder, node)
        if node.id in protected:
            verdict, where = protected[node.id]
        elif module_acl is not None:
            verdict, where = module_acl
        elif unresolved_waf:
            continue
        else:
            verdict, where = False, Location(node.location.path, node.location.line)
        node.attrs["rate_limited"], node.evidence["rate_limited"] = verdict, where
    for node in apis:
        types = _get(node.attrs.get("config"), "endpoint_configuration.types")
        if types is not None and not (isinstance(types, list) and all(isinstance(t, str) for t in types)
                                      and "PRIVATE" not in types):
            continue  # a private REST API (or one we cannot read) is not an internet edge
        if node.id in protected:
            verdict, where = protected[node.id]
        elif unresolved_throttle or unresolved_waf:
            continue
        else:
            verdict, where = False, Location(node.location.path, node.location.line)
        node.attrs["rate_limited"], node.evidence["rate_limited"] = verdict, where


def _targets_of(builder: _Builder, value: Any) -> list[str]:
    return [t for r in builder.resolver.refs_through(value) for t in builder.targets(r)]


def _raw_at(block: Block, path: str) -> Any:
    """The unresolved values at a nested path (`api_stages.api_id`: one per `api_stages` block)."""
    head, _, rest = path.partition(".")
    if not rest:
        return block.attrs.get(head)
    found = [_raw_at(b, rest) for b in block.blocks if b.type == head]
    nested = block.attrs.get(head)  # Terraform JSON: nested blocks are plain values
    for item in nested if isinstance(nested, list) else [nested]:
        if isinstance(item, dict):
            found.append(item.get(rest.split(".")[0]))
    return found


def _throttles(value: Any) -> bool:
    """A throttling limit that is set: a number other than the "no throttling" -1, or a value we cannot see."""
    if isinstance(value, list):
        return any(_throttles(item) for item in value)
    if isinstance(value, Expr):
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _acl_limits_rate(builder: _Builder, acl: Any) -> bool:
    """Whether a WAF ACL has a rate-based rule; an ACL we cannot read (ARN, variable, module) gets the benefit."""
    found = False
    for ref in builder.resolver.refs_through(acl):
        parts = ref.split(".")
        located = builder.module.resources.get((parts[0], parts[1])) if len(parts) == 2 else None
        if located is None or parts[0] not in ("aws_wafv2_web_acl", "aws_wafregional_web_acl", "aws_waf_web_acl"):
            return True
        found = True
        if _has_rate_rule(builder, located.block, 0):
            return True
    return not found


def _has_rate_rule(builder: _Builder, block: Block, depth: int) -> bool:
    if depth > 12:
        return True
    rule_json = block.attrs.get("rule_json")
    if rule_json is not None and (not isinstance(rule_json, str) or "RateBasedStatement" in rule_json):
        return True
    if str(builder.resolver.resolve(block.attrs.get("type"))).upper() == "RATE_BASED":
        return True  # a WAF Classic rule of type RATE_BASED
    for attr in ("arn", "rule_id"):  # a rule group (or Classic rule) the ACL references
        for ref in builder.resolver.refs_through(block.attrs.get(attr)):
            parts = ref.split(".")
            if parts[0] in ("aws_wafregional_rate_based_rule", "aws_waf_rate_based_rule"):
                return True
            other = builder.module.resources.get((parts[0], parts[1])) if len(parts) == 2 else None
            if parts[0] == "aws_wafv2_rule_group" and (other is None or _has_rate_rule(builder, other.block,
                                                                                        depth + 1)):
                return True
    return any(b.type == "rate_based_statement" or _has_rate_rule(builder, b, depth + 1) for b in block.blocks)


def _module_web_acl(builder: _Builder, node: Node) -> tuple[bool, Location] | None:
    """terraform-aws-modules/alb associates `web_acl_arn` itself (v9+, with `associate_web_acl`)."""
    if node.attrs.get("module") != _ALB_MODULE:
        return None
    located = builder.module.modules.get(node.name)
    if located is None or located.block.attrs.get("web_acl_arn") is None:
        return None
    if builder.resolver.resolve(located.block.attrs.get("associate_web_acl")) is False:
        return None
    return (_acl_limits_rate(builder, located.block.attrs.get("web_acl_arn")),
            located.span("web_acl_arn") or located.location())


def _unlinked(builder: _Builder, types: set[str], attr: str) -> bool:
    """Whether any resource of these types, in any module directory, applies to something we cannot name."""
    modules = list(builder.repo.modules.values()) if builder.repo is not None else [builder.module]
    for module in modules:
        resolver = builder.repo.resolver(module.dir) if builder.repo is not None else builder.resolver
        for (type_, _name), located in module.resources.items():
            if type_ not in types:
                continue
            path = attr or _THROTTLES[type_][0]
            parts = [r.split(".") for r in resolver.refs_through(_raw_at(located.block, path))]
            if not any((p[0], p[1]) in module.resources or (p[0] == "module" and _recognise(
                    module, p[1], builder.repo) is not None) for p in parts if p[0] != "data"):
                return True
    return False


# -- per-type details -----------------------------------------------------------------------------------


def _target_group(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                  evidence: dict[str, Location]) -> None:
    """Stickiness is on when a `stickiness` block is present and `enabled` is not false (provider default)."""
    stickiness = _get(config, "stickiness")
    if isinstance(stickiness, dict):
        enabled = stickiness.get("enabled", True)
        attrs["stickiness_enabled"] = enabled if isinstance(enabled, bool) else None
        attrs["stickiness_type"] = stickiness.get("type")
        evidence["stickiness_enabled"] = located.span("stickiness.enabled") or _span_for(located, "stickiness")
    else:
        attrs["stickiness_enabled"] = False
        attrs["stickiness_type"] = None


def _subnet(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
            evidence: dict[str, Location]) -> None:
    """Per-instance availability zones of a counted subnet (`var.azs[count.index]`)."""
    raw = located.block.attrs.get("availability_zone")
    count = attrs.get("count")
    zones: list[Any] = []
    if isinstance(raw, Expr) and isinstance(count, int) and 0 < count <= _MAX_INSTANCES:
        for index in range(count):
            zone = builder.resolver.evaluate_with(raw, {"count.index": index})
            if isinstance(zone, Expr):
                zones = []
                break
            zones.append(zone)
    elif isinstance(attrs.get("availability_zone"), str):
        zones = [attrs["availability_zone"]] * (count if isinstance(count, int) and count > 0 else 1)
    attrs["availability_zones"] = zones or None
    if zones and "availability_zone" in evidence:
        evidence["availability_zones"] = evidence["availability_zone"]


def _ecs_service(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                 evidence: dict[str, Location]) -> None:
    if attrs.get("scheduling_strategy") == "DAEMON":
        attrs["replicas"] = None
    elif attrs.get("replicas") is None and "desired_count" not in located.block.attrs:
        attrs["replicas"] = 0
        evidence["replicas"] = Location(located.path, located.block.line)
    elif not isinstance(attrs.get("replicas"), int):
        attrs["replicas"] = None
    attrs["autoscaled"] = False


def _task_definition(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                     evidence: dict[str, Location]) -> tuple[Setting, ...]:
    """Containers, env names and recognised settings from literal (or jsonencode'd) container definitions."""
    definitions = config.get("container_definitions")
    if isinstance(definitions, Expr):
        definitions = evaluate_partial(tree_of(definitions.text), builder.resolver.scope)
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            definitions = None
    if not isinstance(definitions, list):
        return ()
    entries: list[settings_module.Entry] = []
    containers: list[dict[str, Any]] = []
    fallback = located.span("container_definitions") or located.location()
    for item in definitions:
        if not isinstance(item, dict):
            continue
        env = [e for e in _listed(item.get("environment")) if isinstance(e, dict) and isinstance(e.get("name"), str)]
        secrets = [s.get("name") for s in _listed(item.get("secrets")) if isinstance(s, dict)]
        ident = builder.id_for(located.block.labels[0], located.block.labels[1])
        for variable in env:
            line = located.block.literal_lines.get(variable["name"])
            location = Location(located.path, line) if line else fallback
            for ref in builder.resolver.refs_through(variable.get("value")):
                for target in builder.targets(ref):
                    builder.env_refs[ident].append((variable["name"], target, location))
                    builder.edge(ident, target, "references", location, env=variable["name"])
            entries.append(settings_module.Entry(variable["name"], _scrubbed(variable.get("value"),
                                                                             variable["name"]), location))
        ports = [p.get("containerPort") for p in _listed(item.get("portMappings")) if isinstance(p, dict)]
        containers.append({"name": item.get("name"), "image": item.get("image"),
                           "ports": [p for p in ports if isinstance(p, int)],
                           "env_keys": [e["name"] for e in env] + [s for s in secrets if isinstance(s, str)]})
    attrs["containers"] = containers
    attrs["image"] = containers[0]["image"] if containers else None
    attrs["env_keys"] = [key for c in containers for key in c["env_keys"]]
    attrs["ports"] = [port for c in containers for port in c["ports"]]
    return _interpreted(builder, located, entries)


def _listed(value: Any) -> list[Any]:
    """A container definition's list field, or none: partly evaluated definitions can hold an `Expr` (or a
    string or map) where the list belongs (`portMappings = 5[{…}]`: a TypeError, found by fuzzing)."""
    return value if isinstance(value, list) else []


def _lambda(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
            evidence: dict[str, Location]) -> tuple[Setting, ...]:
    attrs["in_vpc"] = isinstance(_get(config, "vpc_config"), dict | list)
    attrs["replicas"] = None
    variables = _get(config, "environment.variables")
    if not isinstance(variables, dict):
        attrs["env_keys"] = []
        return ()
    attrs["env_keys"] = sorted(variables)
    fallback = located.span("environment.variables") or located.location()
    entries = []
    for key, value in variables.items():
        line = located.block.literal_lines.get(key)
        entries.append(settings_module.Entry(key, _scrubbed(value, key),
                                             Location(located.path, line) if line else fallback))
    return _interpreted(builder, located, entries)


def _interpreted(builder: _Builder, located: _Located, entries: list[settings_module.Entry]) -> tuple[Setting, ...]:
    """Settings and links of environment entries (literal values only); links become edges to hosts."""
    literal = [e for e in entries if isinstance(e.value, str | int | float | bool)]
    try:
        interpretation = settings_module.interpret(literal, "")
    except NotImplementedError:
        return ()
    if interpretation.unread_link is not None:
        where = interpretation.unread_link
        builder.resolver.refused.setdefault(Diagnostic(where.path, settings_module.LINKS_LIMIT, where.line, "limit"))
    ident = builder.id_for(located.block.labels[0], located.block.labels[1])
    for link in interpretation.links:
        builder.edge(ident, host_ref(link.host), link.kind, link.location, key=link.key,
                     target_kind=link.target_kind, scheme=link.scheme, port=link.port)
    return interpretation.settings


def _replicated_datastore(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                          evidence: dict[str, Location]) -> None:
    source = located.block.attrs.get("replicate_source_db")
    attrs["replica_of"] = None
    if source is not None:
        targets = [t for r in builder.resolver.refs_through(source) for t in builder.targets(r)]
        attrs["replica_of"] = targets[0] if targets else _scrubbed(builder.resolver.resolve(source))
        if (span := located.span("replicate_source_db")) is not None:
            evidence["replica_of"] = span
    _parameter_group(builder, located, attrs, evidence)


def _parameter_group(builder: _Builder, located: _Located, attrs: dict[str, Any],
                     evidence: dict[str, Location]) -> None:
    """`max_connections` stated by the instance's `aws_db_parameter_group` (referenced, or named literally);
    the group → instance `configures` edge for a literal name (a reference gets it in `_typed_edge`)."""
    raw = located.block.attrs.get("parameter_group_name")
    if raw is None:
        return
    resources = builder.module.resources
    keys = [("aws_db_parameter_group", ref.split(".")[1]) for ref in builder.resolver.refs_through(raw)
            if ref.startswith("aws_db_parameter_group.")]
    groups = [resources[key] for key in dict.fromkeys(keys) if key in resources]
    name = builder.resolver.resolve(raw)
    if not groups and isinstance(name, str):
        for (type_, group_name), other in sorted(resources.items()):
            if type_ == "aws_db_parameter_group" and builder.resolver.resolve(other.block.attrs.get("name")) == name:
                groups.append(other)
                builder.edge(builder.id_for(type_, group_name), builder.id_for(*located.block.labels[:2]),
                             "configures", located.span("parameter_group_name") or located.location(),
                             attribute="parameter_group_name")
    if len(groups) != 1:
        return
    stated = _parameter(builder, groups[0], "max_connections")
    if stated is not None:
        attrs["max_connections"], evidence["max_connections"] = stated


def _parameter(builder: _Builder, group: _Located, wanted: str) -> tuple[Any, Location] | None:
    """The value a parameter group states for one parameter (an int when numeric), at its `value` line."""
    blocks = [(b.attrs, Location(group.path, *b.spans.get("value", (b.line, b.end_line))))
              for b in group.block.blocks if b.type == "parameter"]
    listed = group.block.attrs.get("parameter")  # Terraform JSON: a list (or one object) of parameters
    for item in listed if isinstance(listed, list) else [listed] if isinstance(listed, dict) else []:
        if isinstance(item, dict):
            blocks.append((item, group.span("parameter") or group.location()))
    for params, location in blocks:
        name = builder.resolver.resolve(params.get("name"))
        if not isinstance(name, str) or name.lower() != wanted:
            continue
        value = builder.resolver.resolve(params.get("value"))
        if isinstance(value, str) and digits(value.strip()) is not None:
            value = digits(value.strip())
        elif isinstance(value, float):
            value = int_value(value)
        return (value if isinstance(value, int | str) and not isinstance(value, bool) else None), location
    return None


def _cache(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
           evidence: dict[str, Location]) -> None:
    """`replicas`: cache nodes that can serve when one fails (nodes or clusters minus the primary)."""
    if located.block.labels[0] == "aws_elasticache_cluster":
        nodes = attrs.get("num_cache_nodes")
        attrs["replicas"] = nodes if isinstance(nodes, int) else None
        attrs.setdefault("engine", "redis")
    else:
        clusters = attrs.get("num_cache_clusters") or config.get("number_cache_clusters")
        nested = config.get("cluster_mode")  # provider < 5: `cluster_mode { … }`; 5+: a string argument
        if isinstance(nested, dict):
            for key in ("replicas_per_node_group", "num_node_groups"):
                if attrs.get(key) is None and nested.get(key) is not None:
                    attrs[key] = nested[key]
                    if (span := located.span(f"cluster_mode.{key}")) is not None:
                        evidence[key] = span
        per_group = attrs.get("replicas_per_node_group")
        attrs["num_cache_clusters"] = clusters
        attrs["replicas"] = clusters if isinstance(clusters, int) else (
            per_group + 1 if isinstance(per_group, int) else None)


def _cloud_sql(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
               evidence: dict[str, Location]) -> None:
    version = attrs.get("engine")
    if isinstance(version, str):
        attrs["engine"] = version.split("_")[0].lower().replace("sqlserver", "sqlserver")
    attrs["multi_az"] = attrs.get("availability_type") == "REGIONAL"
    if "availability_type" in evidence:
        evidence["multi_az"] = evidence["availability_type"]


def _azure_database(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                    evidence: dict[str, Location]) -> None:
    type_ = located.block.labels[0]
    attrs["engine"] = "postgres" if "postgresql" in type_ else "mysql" if "mysql" in type_ else "sqlserver"
    ha = _get(config, "high_availability")
    mode = ha.get("mode") if isinstance(ha, dict) else None
    attrs["high_availability"] = mode
    attrs["zone_redundant"] = mode == "ZoneRedundant" or attrs.get("zone_redundant") is True
    attrs["multi_az"] = mode is not None or attrs["zone_redundant"]
    span = located.span("high_availability.mode") or located.span("high_availability") or located.span(
        "zone_redundant")
    evidence["multi_az"] = span or Location(located.path, located.block.line)
    evidence["high_availability"] = evidence["multi_az"]


def _redis_tier(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                evidence: dict[str, Location]) -> None:
    attrs["engine"] = "redis"
    attrs["replicas"] = 2 if attrs.get("tier") == "STANDARD_HA" else 1
    if located.block.labels[0] == "azurerm_redis_cache":
        replicas = attrs.get("replicas_per_primary")
        attrs["replicas"] = (replicas + 1) if isinstance(replicas, int) else (
            1 if attrs.get("sku_name") == "Basic" else 2)


def _container_app(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                   evidence: dict[str, Location]) -> None:
    low = attrs.get("min_replicas", attrs.get("min_instance_count"))
    high = attrs.get("max_replicas", attrs.get("max_instance_count"))
    attrs["replicas"] = low if isinstance(low, int) and low == high else None
    attrs["autoscaled"] = isinstance(high, int) and high != low


def _aurora_cluster(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
                    evidence: dict[str, Location]) -> None:
    name = located.block.labels[1]
    instances = 0
    for (type_, _), other in builder.module.resources.items():
        if type_ != "aws_rds_cluster_instance":
            continue
        refs = list(builder.resolver.refs_through(other.block.attrs.get("cluster_identifier")))
        if f"aws_rds_cluster.{name}" in refs:
            count = _count(other, builder.resolver)
            instances += count if isinstance(count, int) else 0
    attrs["replicas"] = instances or None
    zones = attrs.get("availability_zones")
    attrs["multi_az"] = (instances > 1) if instances else (isinstance(zones, list) and len(zones) > 1) or None


def _instance(builder: _Builder, located: _Located, config: dict[str, Any], attrs: dict[str, Any],
              evidence: dict[str, Location]) -> None:
    attrs["replicas"] = attrs.get("count")
    if "count" in evidence:
        evidence["replicas"] = evidence["count"]


_HOOKS: dict[str, Any] = {
    "aws_lb_target_group": _target_group, "aws_alb_target_group": _target_group,
    "aws_subnet": _subnet,
    "aws_ecs_service": _ecs_service,
    "aws_ecs_task_definition": _task_definition,
    "aws_lambda_function": _lambda,
    "aws_db_instance": _replicated_datastore,
    "aws_elasticache_cluster": _cache, "aws_elasticache_replication_group": _cache,
    "google_sql_database_instance": _cloud_sql,
    "azurerm_postgresql_flexible_server": _azure_database, "azurerm_mysql_flexible_server": _azure_database,
    "azurerm_mssql_database": _azure_database,
    "google_redis_instance": _redis_tier, "azurerm_redis_cache": _redis_tier,
    "azurerm_container_app": _container_app, "google_cloud_run_v2_service": _container_app,
    "aws_rds_cluster": _aurora_cluster,
    "aws_instance": _instance,
}


# -- models of well-known modules (auditor/knowledge/modules.yaml names them) ----------------------------
#
# Each derives, from a call's inputs (what it passes, else the defaults that apply), the answers the rules
# ask, with the evidence line of each:
# - network: `zones` (the distinct AZs its subnets use, when known; a data source's zones are placeholder
#   names such as `data.aws_availability_zones.x.names[0]`), `zones_at_least` (how many AZs at least; a data
#   source's whole list is at least 2), `private_zones`/`private_zones_at_least` (the same for private
#   subnets), `nat_enabled`, `nat_per_zone` (True: a NAT in every AZ that has private subnets) or
#   `nat_zones` (how many AZs at most hold a NAT) with `nat_limit` (the input that caps it);
# - database: `creates`, `multi_az`, `replica_of`, `availability_type`, `replicas`;
# - cache: `creates`, `failover` (automatic failover on), `replicas_per_primary`;
# - cluster: `node_pools` [{name, zones, nodes, input}].

_MOST_ZONES = 6  # the most availability zones an AWS region has (us-east-1): a cap this high caps nothing


def _zone_span(value: Any) -> tuple[list[str] | None, int | None]:
    """(distinct zones, how many at least) of an AZ list: a list of names, or a data source's whole list."""
    if isinstance(value, ZoneList):
        return None, 2
    if isinstance(value, list) and value and all(isinstance(z, str) for z in value):
        zones = list(dict.fromkeys(value))
        return zones, len(zones)
    return None, None


def _first_zones(value: Any, count: int) -> tuple[list[str] | None, int | None]:
    """The zones of `count` subnets placed round-robin over an AZ list (`element(azs, i)`)."""
    if count <= 0:
        return [], 0
    if isinstance(value, ZoneList):
        return (value.slice(Work(), 0, count), count) if count <= 2 else (None, 2)
    zones, _ = _zone_span(value)
    if zones is None:
        return None, None
    placed = list(dict.fromkeys(zones[i % len(zones)] for i in range(min(count, len(zones)))))
    return placed, len(placed)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _point(evidence: dict[str, Location], derived: str, *inputs: str) -> None:
    for key in inputs:
        if key in evidence:
            evidence[derived] = evidence[key]
            return


def _vpc_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """terraform-aws-modules/vpc: subnet i goes to `element(azs, i)`; `single_nat_gateway` wins over
    `one_nat_gateway_per_az`; by default each private subnet gets its own NAT gateway."""
    azs, private = attrs.get("azs"), attrs.get("private_subnets")
    enabled = _flag(attrs.get("enable_nat_gateway"))
    single = _flag(attrs.get("single_nat_gateway"))
    attrs["nat_enabled"] = False if attrs.get("create_vpc") is False else enabled
    if attrs["nat_enabled"] is not True:
        nat: int | None = 0 if attrs["nat_enabled"] is False else None
    elif single is True:
        nat = 1
        attrs["nat_zones"], attrs["nat_limit"] = 1, "single_nat_gateway"
    elif single is False:
        attrs["nat_per_zone"] = True
        nat = None
        if attrs.get("one_nat_gateway_per_az") is True:
            nat = len(azs) if isinstance(azs, list) else None
        elif isinstance(private, list):
            subnet_lists = [attrs.get(k) for k in ("private_subnets", "database_subnets", "elasticache_subnets")]
            nat = max((len(s) for s in subnet_lists if isinstance(s, list)), default=None)
    else:
        nat = None
    attrs["nat_gateways"] = nat
    _point(evidence, "nat_gateways", *(k for k in ("single_nat_gateway", "enable_nat_gateway", "one_nat_gateway_per_az")
                                       if located.span(k) is not None))
    _point(evidence, "nat_zones", "single_nat_gateway")
    if isinstance(private, list):
        attrs["private_zones"], attrs["private_zones_at_least"] = _first_zones(azs, len(private))
        _point(evidence, "private_zones", "azs")
    lists = [attrs.get(k) for k in ("private_subnets", "public_subnets", "database_subnets", "elasticache_subnets")]
    known = [v for v in lists if isinstance(v, list)]
    if known:
        zones, at_least = _first_zones(azs, max(len(v) for v in known))
        if len(known) == len(lists) or (at_least or 0) >= 2:  # lists we cannot read could only add zones
            attrs["zones"], attrs["zones_at_least"] = zones, at_least
            _point(evidence, "zones", "azs")


def _dynamic_subnets_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """cloudposse/dynamic-subnets: subnets in `availability_zone_ids`, else `availability_zones`, else every
    zone of the region, truncated to `max_subnet_count`; NAT devices (gateways, or instances when only those are
    enabled) in the first `max_nats` of those AZs; private subnets of other AZs route through them."""
    ids, names = attrs.get("availability_zone_ids"), attrs.get("availability_zones")
    zones: list[str] | None
    at_least: int | None
    if ids == [] and names == []:
        zones, at_least = None, 2  # every zone of the region
        _point(evidence, "zones", "availability_zones")
    elif isinstance(ids, list) and ids:
        zones, at_least = _zone_span(ids)
        _point(evidence, "zones", "availability_zone_ids")
    elif ids == [] and names is not None:
        zones, at_least = _zone_span(names)
        _point(evidence, "zones", "availability_zones")
    else:
        zones, at_least = None, None
    most = attrs.get("max_subnet_count")
    if isinstance(most, int) and not isinstance(most, bool) and most > 0:
        if zones is not None:
            zones = zones[:most]
            at_least = len(zones)
        elif at_least is not None:
            at_least = min(at_least, most)
    elif most != 0:
        zones, at_least = None, None
    attrs["zones"], attrs["zones_at_least"] = zones, at_least
    attrs["private_zones"], attrs["private_zones_at_least"] = zones, at_least
    _point(evidence, "private_zones", "zones")
    gateway = attrs.get("nat_gateway_enabled", _UNSET)
    instance = attrs.get("nat_instance_enabled", _UNSET)
    on: bool | None = None
    if all(v is None or isinstance(v, bool) for v in (gateway, instance)):
        gateway_on = (gateway is True) if instance is True else (gateway is not False)
        on = gateway_on or instance is True
        attrs["nat_device"] = "NAT gateway" if gateway_on else "NAT instance"
    for switch in ("enabled", "private_subnets_enabled", "ipv4_enabled", "max_nats"):
        value = attrs.get(switch, _UNSET)
        if value is False or (switch == "max_nats" and value == 0):
            on = False
        elif not (value is True or (switch == "enabled" and value is None) or switch == "max_nats") and on:
            on = None  # a switch we cannot read
    attrs["nat_enabled"] = on
    _point(evidence, "nat_enabled", "nat_gateway_enabled", "nat_instance_enabled")
    cap = attrs.get("max_nats")
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
        if cap >= _MOST_ZONES or (zones is not None and cap >= len(zones)):
            attrs["nat_per_zone"] = True
        else:
            attrs["nat_zones"], attrs["nat_limit"] = cap, "max_nats"
            _point(evidence, "nat_zones", "max_nats")


def _rds_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    attrs["creates"] = attrs.get("create_db_instance") is not False
    attrs["replica_of"] = attrs.get("replicate_source_db")


def _aurora_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    instances = attrs.get("instances")
    count = len(instances) if isinstance(instances, dict | list) else None
    if count is None and isinstance(attrs.get("replica_count"), int):
        count = attrs["replica_count"]
    attrs["replicas"] = count
    attrs["multi_az"] = count > 1 if isinstance(count, int) else None


def _cloud_sql_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """terraform-google-modules/sql-db: a `master_instance_name` makes the instance a read replica."""
    attrs["replica_of"] = attrs.get("master_instance_name")
    availability = attrs.get("availability_type")
    attrs["multi_az"] = availability.upper() == "REGIONAL" if isinstance(availability, str) else None
    _point(evidence, "multi_az", "availability_type")
    replicas = attrs.get("read_replicas")
    attrs["replicas"] = len(replicas) + 1 if isinstance(replicas, list) and replicas else None


def _eks_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    groups = []
    for key in ("eks_managed_node_groups", "self_managed_node_groups"):
        value = attrs.get(key)
        if isinstance(value, dict):
            for name, group in value.items():
                if isinstance(group, dict):
                    groups.append({"name": name, "min_size": group.get("min_size"),
                                   "max_size": group.get("max_size"), "desired_size":
                                   group.get("desired_size", group.get("desired_capacity"))})
    attrs["node_groups"] = groups
    mins = [g["min_size"] for g in groups if isinstance(g["min_size"], int)]
    maxes = [g["max_size"] for g in groups if isinstance(g["max_size"], int)]
    attrs["min_size"] = sum(mins) if mins else None
    attrs["max_size"] = sum(maxes) if maxes else None


_UNSET = object()


def _elasticache_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """terraform-aws-modules/elasticache: a replication group unless `create_cluster` alone (one node);
    `multi_az_enabled` or cluster mode turn automatic failover on; otherwise `automatic_failover_enabled`,
    whose null default is the provider's false."""
    nodes = attrs.get("num_cache_clusters", attrs.get("num_cache_nodes"))
    attrs["replicas"] = nodes if isinstance(nodes, int) else None
    attrs["creates"] = _flag(attrs.get("create", True)) is not False and attrs.get("engine") in ("redis", "valkey")
    if attrs.get("create_cluster") is True and attrs.get("create_replication_group") is not True:
        attrs["failover"], attrs["replicas_per_primary"] = False, 0
        _point(evidence, "failover", "engine")
        attrs["single_node_cluster"] = True
        return
    stated = attrs.get("automatic_failover_enabled", _UNSET)
    if attrs.get("cluster_mode_enabled") is True or attrs.get("multi_az_enabled") is True:
        attrs["failover"] = True
    elif stated is None or isinstance(stated, bool):
        attrs["failover"] = bool(stated)
    else:
        attrs["failover"] = None
    _point(evidence, "failover", "automatic_failover_enabled")
    per_group = attrs.get("replicas_per_node_group")
    attrs["replicas_per_primary"] = per_group if isinstance(per_group, int) else (
        nodes - 1 if isinstance(nodes, int) and nodes > 0 else None)


def _elasticache_redis_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """cloudposse/elasticache-redis: cluster mode forces automatic failover on; otherwise
    `automatic_failover_enabled` decides, over `cluster_size` nodes (one primary, the rest replicas)."""
    attrs["engine"] = "redis"
    attrs["creates"] = attrs.get("enabled") is not False and attrs.get("serverless_enabled") is not True
    if attrs.get("cluster_mode_enabled") is True:
        attrs["failover"] = True
        per_group = attrs.get("cluster_mode_replicas_per_node_group")
        attrs["replicas_per_primary"] = per_group if isinstance(per_group, int) else None
        _point(evidence, "failover", "cluster_mode_enabled")
        _point(evidence, "replicas_per_primary", "cluster_mode_replicas_per_node_group")
        return
    attrs["failover"] = _flag(attrs.get("automatic_failover_enabled"))
    _point(evidence, "failover", "automatic_failover_enabled")
    size = attrs.get("cluster_size")
    attrs["replicas_per_primary"] = size - 1 if isinstance(size, int) and size > 0 else None
    _point(evidence, "replicas_per_primary", "cluster_size")


def _aks_model(attrs: dict[str, Any], evidence: dict[str, Location], located: _Located) -> None:
    """Azure/aks: the default node pool in `agents_availability_zones`, each of `node_pools` in its `zones`;
    null zones leave a pool unpinned (Azure places its nodes anywhere in the region: no one-zone claim)."""
    pools = [("default", attrs.get("agents_availability_zones", _UNSET), attrs.get("agents_count"),
              "agents_availability_zones")]
    extra = attrs.get("node_pools")
    if isinstance(extra, dict):
        for key, pool in sorted(extra.items()):
            if isinstance(pool, dict):
                pools.append((str(pool.get("name", key)), pool.get("zones"), pool.get("node_count"), "node_pools"))
    elif extra is not None and "node_pools" in attrs:
        pools.append(("*", Expr("node_pools"), None, "node_pools"))  # pools we cannot read
    found = []
    for name, zones, nodes, source in pools:
        if zones is _UNSET:
            continue
        listed, _ = _zone_span(zones)
        found.append({"name": name, "zones": listed, "pinned": False if zones is None else (
            True if listed is not None else None), "nodes": nodes if isinstance(nodes, int) else None,
            "input": source})
    attrs["node_pools"] = found


_MODELS: dict[str, Any] = {
    "vpc": _vpc_model,
    "dynamic_subnets": _dynamic_subnets_model,
    "rds": _rds_model,
    "aurora": _aurora_model,
    "cloud_sql": _cloud_sql_model,
    "eks": _eks_model,
    "elasticache": _elasticache_model,
    "elasticache_redis": _elasticache_redis_model,
    "aks": _aks_model,
}
