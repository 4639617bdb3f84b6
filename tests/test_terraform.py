"""Terraform parser: real facts from the fixture repos (ids, kinds, lines, resolved values, edges)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import Facts, Location, Node
from auditor.parsers import terraform
from auditor.parsers.hcl import Expr, parse_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


def load(name: str) -> list[Facts]:
    root = FIXTURES / name
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    return terraform.combine([terraform.parse(p.relative_to(root).as_posix(), p.read_text()) for p in files])


def line(fixture: str, path: str, needle: str) -> int:
    """1-based line of the first line of `path` containing `needle` (so tests say what they point at)."""
    for number, text in enumerate((FIXTURES / fixture / path).read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def nodes(facts: list[Facts]) -> dict[str, Node]:
    return {n.id: n for f in facts for n in f.nodes}


def edges(facts: list[Facts]) -> set[tuple[str, str, str, str]]:
    return {(e.source, e.kind, e.target, str(e.location)) for f in facts for e in f.edges}


def module_facts(facts: list[Facts], directory: str) -> Facts:
    return next(f for f in facts if f.path == directory)


# -- terraform-aws-vpc: registry VPC module, RDS, ElastiCache, ALB, ASG, ECS -----------------------------

AWS = "terraform-aws-vpc"


@pytest.fixture(scope="module")
def aws() -> list[Facts]:
    return load(AWS)


def test_aws_nodes_have_ids_kinds_and_block_spans(aws: list[Facts]) -> None:
    got = {ident: node.kind for ident, node in nodes(aws).items()}
    assert got == {
        "terraform:module:terraform-aws-modules/vpc/aws:./vpc": "network",
        "terraform:aws_db_instance:./main": "datastore",
        "terraform:aws_db_instance:./reporting": "datastore",
        "terraform:aws_elasticache_cluster:./sessions": "cache",
        "terraform:aws_lb:./public": "load_balancer",
        "terraform:aws_lb_target_group:./api": "load_balancer",
        "terraform:aws_lb_target_group:./web": "load_balancer",
        "terraform:aws_lb_listener:./https": "load_balancer",
        "terraform:aws_autoscaling_group:./web": "autoscaler",
        "terraform:aws_ecs_cluster:./main": "cluster",
        "terraform:aws_ecs_task_definition:./api": "config",
        "terraform:aws_ecs_service:./api": "service",
    }
    db = nodes(aws)["terraform:aws_db_instance:./main"]
    assert db.location == Location("database.tf", line(AWS, "database.tf", 'resource "aws_db_instance" "main"'),
                                   line(AWS, "database.tf", "skip_final_snapshot     = false") + 1)
    assert db.source == "terraform" and db.type == "aws_db_instance" and db.name == "main"


def test_vpc_module_single_nat_resolved_from_variable_default(aws: list[Facts]) -> None:
    vpc = nodes(aws)["terraform:module:terraform-aws-modules/vpc/aws:./vpc"]
    assert vpc.attrs["single_nat_gateway"] is True
    assert vpc.attrs["enable_nat_gateway"] is True
    assert vpc.attrs["nat_gateways"] == 1
    assert vpc.evidence["single_nat_gateway"] == Location("network.tf", line(AWS, "network.tf", "single_nat_gateway ="))
    # locals: string interpolation of variables, and a for-expression over cidrsubnet()
    assert vpc.attrs["azs"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert vpc.attrs["private_subnets"] == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert vpc.evidence["azs"].line == line(AWS, "network.tf", "azs             = local.azs")
    assert module_facts(aws, ".").extra["variables"]["single_nat_gateway"] is True


def test_tfvars_override_defaults(aws: list[Facts]) -> None:
    found = nodes(aws)
    db = found["terraform:aws_db_instance:./main"]
    assert db.attrs["instance_class"] == "db.r6g.large"  # terraform.tfvars beats the default db.t3.medium
    assert db.evidence["instance_class"].line == line(AWS, "database.tf", "instance_class = var.db_instance_class")
    api = found["terraform:aws_ecs_service:./api"]
    assert api.attrs["replicas"] == 1
    assert api.evidence["replicas"] == Location("ecs.tf", line(AWS, "ecs.tf", "desired_count"))
    assert found["terraform:aws_ecs_task_definition:./api"].attrs["family"] == "shop-staging-api"


def test_rds_without_multi_az_and_its_read_replica(aws: list[Facts]) -> None:
    db = nodes(aws)["terraform:aws_db_instance:./main"]
    assert db.attrs["engine"] == "postgres" and db.attrs["multi_az"] is False
    # absent attribute: Terraform's default, pointed at the block's first line
    assert db.evidence["multi_az"] == Location("database.tf", line(AWS, "database.tf", '"aws_db_instance" "main"'))
    replica = nodes(aws)["terraform:aws_db_instance:./reporting"]
    assert replica.attrs["replica_of"] == "terraform:aws_db_instance:./main"
    replica_line = line(AWS, "database.tf", "replicate_source_db")
    assert ("terraform:aws_db_instance:./reporting", "depends_on", "terraform:aws_db_instance:./main",
            f"database.tf:{replica_line}") in edges(aws)


def test_single_node_cache_sticky_target_group_and_fixed_asg(aws: list[Facts]) -> None:
    found = nodes(aws)
    cache = found["terraform:aws_elasticache_cluster:./sessions"]
    assert (cache.attrs["num_cache_nodes"], cache.attrs["engine"], cache.attrs["az_mode"]) == (1, "redis", "single-az")
    assert cache.evidence["num_cache_nodes"].line == line(AWS, "database.tf", "num_cache_nodes")
    api_tg = found["terraform:aws_lb_target_group:./api"]
    assert api_tg.attrs["stickiness_enabled"] is True  # block present, `enabled` defaults to true
    assert api_tg.attrs["stickiness_type"] == "lb_cookie"
    assert api_tg.evidence["stickiness_enabled"].line == line(AWS, "alb.tf", "stickiness {")
    assert api_tg.attrs["config"]["health_check"] == {"path": "/healthz", "matcher": "200"}
    assert found["terraform:aws_lb_target_group:./web"].attrs["stickiness_enabled"] is False
    asg = found["terraform:aws_autoscaling_group:./web"]
    assert (asg.attrs["min_size"], asg.attrs["max_size"], asg.attrs["desired_capacity"]) == (2, 2, 2)
    assert asg.evidence["max_size"] == Location("web.tf", line(AWS, "web.tf", "max_size"))


def test_aws_edges_with_kinds_and_lines(aws: list[Facts]) -> None:
    got = edges(aws)
    lb, listener = "terraform:aws_lb:./public", "terraform:aws_lb_listener:./https"
    tg_api, tg_web = "terraform:aws_lb_target_group:./api", "terraform:aws_lb_target_group:./web"
    service, task = "terraform:aws_ecs_service:./api", "terraform:aws_ecs_task_definition:./api"
    expected = {
        (lb, "routes_to", listener, f"alb.tf:{line(AWS, 'alb.tf', 'load_balancer_arn')}"),
        (listener, "routes_to", tg_web, f"alb.tf:{line(AWS, 'alb.tf', 'target_group_arn = aws_lb_target_group.web')}"),
        (listener, "routes_to", tg_api, f"alb.tf:{line(AWS, 'alb.tf', 'target_group_arn = aws_lb_target_group.api')}"),
        (tg_api, "routes_to", service, f"ecs.tf:{line(AWS, 'ecs.tf', 'target_group_arn')}"),
        (tg_web, "routes_to", "terraform:aws_autoscaling_group:./web",
         f"web.tf:{line(AWS, 'web.tf', 'target_group_arns')}"),
        ("terraform:aws_ecs_cluster:./main", "contains", service, f"ecs.tf:{line(AWS, 'ecs.tf', 'cluster         =')}"),
        (task, "configures", service, f"ecs.tf:{line(AWS, 'ecs.tf', 'task_definition =')}"),
        (service, "connects_to", "terraform:aws_db_instance:./main",
         f"ecs.tf:{line(AWS, 'ecs.tf', 'SPRING_DATASOURCE_URL')}"),
        ("terraform:aws_autoscaling_group:./web", "references", "terraform:module:terraform-aws-modules/vpc/aws:./vpc",
         f"web.tf:{line(AWS, 'web.tf', 'vpc_zone_identifier')}"),
    }
    assert expected <= got


def test_ecs_service_gets_its_task_definition_containers(aws: list[Facts]) -> None:
    api = nodes(aws)["terraform:aws_ecs_service:./api"]
    assert api.attrs["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.14.2"
    assert api.attrs["ports"] == [8080]
    assert "SPRING_DATASOURCE_URL" in api.attrs["env_keys"]
    assert "SPRING_DATASOURCE_PASSWORD" in api.attrs["env_keys"]  # a secret: its name only
    redis = [e for f in aws for e in f.edges if e.source == api.id and e.target.startswith("host:")]
    assert [(e.target, e.kind, e.location.line) for e in redis] == [
        ("host:shop-staging-sessions.abc123.0001.euw1.cache.amazonaws.com", "connects_to",
         line(AWS, "ecs.tf", "SPRING_REDIS_HOST"))]


def test_outputs_and_hostnames(aws: list[Facts]) -> None:
    extra = module_facts(aws, ".").extra
    value, where = extra["outputs"]["db_endpoint"]
    assert isinstance(value, Expr) and value.refs == ("aws_db_instance.main",)
    assert where == Location("outputs.tf", line(AWS, "outputs.tf", "value       = aws_db_instance.main.address"))
    assert extra["outputs"]["environment"][0] == "shop-staging"
    assert extra["hostnames"] == {
        "shop-staging-db": "terraform:aws_db_instance:./main",
        "shop-staging-db-reporting": "terraform:aws_db_instance:./reporting",
        "db.shop.internal": "terraform:aws_db_instance:./main",  # route53 record in the zone
        "shop-staging-sessions": "terraform:aws_elasticache_cluster:./sessions",
        "shop-staging-public": "terraform:aws_lb:./public",
    }


def test_no_secret_values_anywhere(aws: list[Facts]) -> None:
    assert "s3cr3t" not in repr(aws)
    assert module_facts(aws, ".").extra["variables"]["db_password"] == "<redacted>"


# -- terraform-raw-nat: raw VPC, counted subnets across AZs, one NAT gateway, route tables ---------------

RAW = "terraform-raw-nat"


@pytest.fixture(scope="module")
def raw() -> list[Facts]:
    return load(RAW)


def test_counted_subnets_across_three_azs(raw: list[Facts]) -> None:
    private = nodes(raw)["terraform:aws_subnet:./private"]
    assert private.kind == "network" and private.attrs["count"] == 3
    assert private.attrs["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert private.attrs["public"] is False
    assert private.evidence["count"] == Location("vpc.tf", line(RAW, "vpc.tf", "count             = length"))
    assert nodes(raw)["terraform:aws_subnet:./public"].attrs["public"] is True
    assert private.attrs["cidr"] is not None


def test_single_nat_gateway_and_egress_through_route_tables(raw: list[Facts]) -> None:
    found = nodes(raw)
    nat = found["terraform:aws_nat_gateway:./this"]
    assert nat.kind == "gateway" and nat.attrs["count"] == 1 and nat.attrs["connectivity_type"] == "public"
    assert [n.id for n in found.values() if n.type == "aws_nat_gateway"] == [nat.id]
    got = edges(raw)
    assert ("terraform:aws_subnet:./private", "egress_via", nat.id,
            f"routes.tf:{line(RAW, 'routes.tf', 'nat_gateway_id')}") in got
    assert ("terraform:aws_subnet:./public", "egress_via", "terraform:aws_internet_gateway:./this",
            f"routes.tf:{line(RAW, 'routes.tf', 'gateway_id = aws_internet_gateway')}") in got
    assert ("terraform:aws_subnet:./public", "contains", nat.id,
            f"vpc.tf:{line(RAW, 'vpc.tf', 'subnet_id     = aws_subnet.public[0].id')}") in got
    assert (nat.id, "depends_on", "terraform:aws_internet_gateway:./this",
            f"vpc.tf:{line(RAW, 'vpc.tf', 'depends_on')}") in got
    assert ("terraform:aws_vpc:./this", "contains", "terraform:aws_subnet:./private",
            f"vpc.tf:{line(RAW, 'vpc.tf', 'vpc_id            = aws_vpc.this.id')}") in got


def test_instances_and_a_reference_inside_a_heredoc(raw: list[Facts]) -> None:
    worker = nodes(raw)["terraform:aws_instance:./worker"]
    assert worker.kind == "service" and worker.attrs["replicas"] == 2
    got = edges(raw)
    assert ("terraform:aws_subnet:./private", "contains", worker.id,
            f"compute.tf:{line(RAW, 'compute.tf', 'subnet_id')}") in got
    assert (worker.id, "connects_to", "terraform:aws_sqs_queue:./jobs",
            f"compute.tf:{line(RAW, 'compute.tf', 'user_data')}") in got


# -- terraform-multi-cloud: tfvars override, auto.tfvars, local module inputs, GCP, Azure, JSON ---------

MULTI = "terraform-multi-cloud"


@pytest.fixture(scope="module")
def multi() -> list[Facts]:
    return load(MULTI)


def test_tfvars_override_single_nat_gateway(multi: list[Facts]) -> None:
    vpc = nodes(multi)["terraform:module:terraform-aws-modules/vpc/aws:aws/vpc"]
    assert vpc.attrs["single_nat_gateway"] is False
    assert vpc.attrs["one_nat_gateway_per_az"] is True  # `!var.single_nat_gateway`
    assert vpc.attrs["nat_gateways"] == 3
    assert vpc.evidence["single_nat_gateway"] == Location("aws/main.tf", line(MULTI, "aws/main.tf",
                                                                              "single_nat_gateway     ="))


def test_local_module_receives_caller_inputs(multi: list[Facts]) -> None:
    group = nodes(multi)["terraform:aws_elasticache_replication_group:aws/modules/cache/this"]
    assert group.attrs["num_cache_clusters"] == 2  # caller passes nodes = 2; the default is 1
    assert group.attrs["automatic_failover_enabled"] is True
    assert module_facts(multi, "aws/modules/cache").extra["hostnames"] == {"ledger-cache": group.id}
    lam = "terraform:aws_lambda_function:aws/ledger_api"
    assert (lam, "connects_to", group.id, f"aws/main.tf:{line(MULTI, 'aws/main.tf', 'CACHE_HOST')}") in edges(multi)
    db_link = [e for f in multi for e in f.edges if e.source == lam and e.target.startswith("host:")]
    assert [(e.target, e.kind, e.location.line) for e in db_link] == [
        ("host:ledger-db.cluster-c9akciq32.us-west-2.rds.amazonaws.com", "connects_to",
         line(MULTI, "aws/main.tf", "DATABASE_URL"))]
    assert "hunter2" not in repr(multi)


def test_gcp_resources_and_auto_tfvars_precedence(multi: list[Facts]) -> None:
    found = nodes(multi)
    sql = found["terraform:google_sql_database_instance:gcp/catalog"]
    assert (sql.kind, sql.attrs["availability_type"], sql.attrs["multi_az"], sql.attrs["engine"]) == (
        "datastore", "REGIONAL", True, "postgres")
    assert sql.evidence["availability_type"].line == line(MULTI, "gcp/main.tf", "availability_type =")
    redis = found["terraform:google_redis_instance:gcp/cache"]
    assert redis.attrs["tier"] == "STANDARD_HA"  # prod.auto.tfvars beats terraform.tfvars
    assert found["terraform:google_compute_router_nat:gcp/main"].kind == "gateway"
    assert found["terraform:google_compute_backend_service:gcp/web"].attrs["session_affinity"] == "GENERATED_COOKIE"
    pool = found["terraform:google_container_node_pool:gcp/default"]
    assert (pool.kind, pool.attrs["min_size"], pool.attrs["max_size"]) == ("cluster", 1, 5)
    assert pool.evidence["max_size"].line == line(MULTI, "gcp/main.tf", "max_node_count")
    run = found["terraform:google_cloud_run_v2_service:gcp/search"]
    assert (run.kind, run.attrs["replicas"]) == ("service", 1)
    assert found["terraform:google_pubsub_topic:gcp/events"].kind == "queue"
    assert ("terraform:google_container_cluster:gcp/main", "contains", pool.id,
            f"gcp/main.tf:{line(MULTI, 'gcp/main.tf', 'cluster  = google_container_cluster.main.id')}") in edges(multi)


def test_azure_resources_and_json_syntax(multi: list[Facts]) -> None:
    found = nodes(multi)
    pg = found["terraform:azurerm_postgresql_flexible_server:azure/orders"]
    assert (pg.attrs["high_availability"], pg.attrs["zone_redundant"], pg.attrs["multi_az"]) == (
        "ZoneRedundant", True, True)
    assert pg.evidence["multi_az"].line == line(MULTI, "azure/main.tf", 'mode = "ZoneRedundant"')
    assert pg.attrs["config"]["administrator_password"] == "<redacted>"
    assert "Pa55w0rd" not in repr(multi)
    aks = found["terraform:azurerm_kubernetes_cluster:azure/orders"]
    assert (aks.kind, aks.attrs["node_count"], aks.attrs["zones"]) == ("cluster", 3, ["1", "2", "3"])
    redis = found["terraform:azurerm_redis_cache:azure/orders"]  # from cache.tf.json
    assert (redis.kind, redis.attrs["sku_name"], redis.attrs["replicas"]) == ("cache", "Basic", 1)
    assert redis.location.path == "azure/cache.tf.json"
    assert redis.location.line == line(MULTI, "azure/cache.tf.json", '"orders": {')
    assert redis.evidence["sku_name"].line == line(MULTI, "azure/cache.tf.json", '"sku_name"')
    value, where = module_facts(multi, "azure").extra["outputs"]["redis_host"]
    assert value == Expr("azurerm_redis_cache.orders.hostname", ("azurerm_redis_cache.orders",))
    assert where.line == line(MULTI, "azure/cache.tf.json", '"value"')
    assert found["terraform:azurerm_nat_gateway:azure/orders"].kind == "gateway"


# -- syntax errors, literals, purity --------------------------------------------------------------------

BROKEN = """\
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_nat_gateway" "one" {
  subnet_id = aws_subnet.a.id
  tags = { Name = "nat"
}

resource "aws_db_instance" "db" {
  engine   = "mysql"
  multi_az = false
}
"""


def test_syntax_error_is_a_diagnostic_and_the_rest_still_parses() -> None:
    facts = terraform.parse("infra/broken.tf", BROKEN)
    # the object on line 7 takes the block's `}`; the block opened on line 5 is the one left unclosed
    assert [(d.path, d.line, d.code) for d in facts.diagnostics] == [("infra/broken.tf", 5, "parse-error")]
    assert "unclosed" in facts.diagnostics[0].message
    found = {n.id: n for n in facts.nodes}
    assert found["terraform:aws_vpc:infra/main"].attrs["cidr"] == "10.0.0.0/16"
    assert found["terraform:aws_db_instance:infra/db"].attrs["engine"] == "mysql"  # swallowed block, hoisted back
    assert found["terraform:aws_db_instance:infra/db"].location == Location("infra/broken.tf", 10, 13)
    combined = terraform.combine([facts])
    assert [d.line for f in combined for d in f.diagnostics] == [5]


def test_missing_value_points_at_its_line() -> None:
    text = 'resource "aws_lb" "a" {\n  internal =\n}\n\nresource "aws_sqs_queue" "q" {\n  name = "jobs"\n}\n'
    facts = terraform.parse("lb.tf", text)
    assert [d.line for d in facts.diagnostics] == [3]
    assert {n.id for n in facts.nodes} == {"terraform:aws_lb:./a", "terraform:aws_sqs_queue:./q"}


@pytest.mark.parametrize("text", ["", "}}}{{{", "resource", "x = [" * 5000, "\x00\x01binary", 'a = "unterminated'])
def test_never_raises_on_garbage(text: str) -> None:
    facts = terraform.parse("x.tf", text)
    assert facts.kind == "terraform"
    assert terraform.combine([facts])


def test_literal_values_heredocs_and_references() -> None:
    document = parse_document(
        'resource "t" "n" {\n'
        '  a = [1, 2.5, true, null, -3, "q\\"x"]\n'
        '  b = { Name = "x", "k/v" = 1 }\n'
        '  c = <<-EOT\n    line one\n      two\n    EOT\n'
        '  d = "${var.env}-${local.name}"\n'
        '  e = [for s in aws_subnet.private : s.id]\n'
        '  f = module.vpc.private_subnets[0]\n'
        '  g = data.aws_ami.ubuntu.id\n'
        '  ingress {\n    from_port = 80\n  }\n'
        '}\n'
    )
    block = document.blocks[0]
    assert block.attrs["a"] == [1, 2.5, True, None, -3, 'q"x']
    assert block.attrs["b"] == {"Name": "x", "k/v": 1}
    assert block.attrs["c"] == "line one\n  two\n"
    assert block.attrs["d"].refs == ("var.env", "local.name")
    assert block.attrs["e"].refs == ("aws_subnet.private",)
    assert block.attrs["f"].refs == ("module.vpc.private_subnets",)
    assert block.attrs["g"].refs == ("data.aws_ami.ubuntu",)
    assert block.blocks[0].type == "ingress" and block.blocks[0].attrs == {"from_port": 80}
    assert block.spans["ingress.from_port"] == (13, 13)
    assert block.spans["c"] == (4, 7)


def test_parse_is_per_file_and_combine_resolves_across_files() -> None:
    variables = terraform.parse("envs/prod/variables.tf", 'variable "replicas" {\n  default = 1\n}\n')
    service = terraform.parse("envs/prod/ecs.tf", 'resource "aws_ecs_service" "api" {\n'
                                                  '  desired_count = var.replicas\n}\n')
    tfvars = terraform.parse("envs/prod/terraform.tfvars", "replicas = 3\n")
    alone = {n.id: n for n in service.nodes}["terraform:aws_ecs_service:envs/prod/api"]
    assert alone.attrs["replicas"] is None  # the variable is in another file
    combined = terraform.combine([variables, service, tfvars])
    assert [f.path for f in combined] == ["envs/prod"]
    api = combined[0].nodes[0]
    assert (api.id, api.attrs["replicas"], api.evidence["replicas"]) == (
        "terraform:aws_ecs_service:envs/prod/api", 3, Location("envs/prod/ecs.tf", 2))
    assert combined[0].extra["variables"] == {"replicas": 3}


# -- additions for the rule authors: instance indexes, parameter groups, rate limits, cluster_mode -------


def inline(files: dict[str, str]) -> tuple[dict[str, Node], list[Facts]]:
    combined = terraform.combine([terraform.parse(path, text) for path, text in files.items()])
    return nodes(combined), combined


def at(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_ref_uses_give_the_literal_instance_index() -> None:
    from auditor.parsers.hcl import DYNAMIC, WHOLE, ref_uses, tree_of

    def uses(text: str) -> list[tuple[str, object]]:
        return list(ref_uses(tree_of(text)))

    assert uses("aws_subnet.private[0].id") == [("aws_subnet.private", 0)]
    assert uses('aws_subnet.private["a"].id') == [("aws_subnet.private", "a")]
    assert uses("aws_subnet.private.1.id") == [("aws_subnet.private", 1)]  # legacy index
    assert uses("aws_subnet.private[*].id") == [("aws_subnet.private", WHOLE)]
    assert uses("aws_subnet.private.id") == [("aws_subnet.private", WHOLE)]
    assert uses("aws_subnet.private[count.index].id") == [("aws_subnet.private", DYNAMIC)]
    assert uses("[aws_subnet.a[0].id, aws_subnet.b[2].id]") == [("aws_subnet.a", 0), ("aws_subnet.b", 2)]
    assert uses("module.vpc.private_subnets[0]") == [("module.vpc.private_subnets", WHOLE)]
    assert uses("var.subnets[0]") == [("var.subnets", WHOLE)]
    assert uses("[for s in aws_subnet.private : s.id]") == [("aws_subnet.private", WHOLE)]


PLACED = '''variable "azs" {
  default = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

locals {
  first_subnet = aws_subnet.private[0].id
}

resource "aws_subnet" "private" {
  count             = length(var.azs)
  cidr_block        = cidrsubnet("10.0.0.0/16", 4, count.index)
  availability_zone = var.azs[count.index]
}

resource "aws_autoscaling_group" "one" {
  vpc_zone_identifier = [aws_subnet.private[0].id]
}

resource "aws_autoscaling_group" "two" {
  vpc_zone_identifier = [aws_subnet.private[0].id, aws_subnet.private[1].id]
}

resource "aws_autoscaling_group" "all" {
  vpc_zone_identifier = aws_subnet.private[*].id
}

resource "aws_autoscaling_group" "via_local" {
  vpc_zone_identifier = [local.first_subnet]
}

resource "aws_eks_node_group" "workers" {
  cluster_name = "shop"
  subnet_ids   = [aws_subnet.private[2].id]
}

resource "aws_instance" "fleet" {
  count     = 3
  subnet_id = aws_subnet.private[count.index].id
}
'''


def test_references_with_a_literal_index_record_it_on_the_edge() -> None:
    _, combined = inline({"main.tf": PLACED})
    subnet = "terraform:aws_subnet:./private"
    got = {(e.source, e.target, e.kind, e.location.line, e.attrs.get("index")) for f in combined for e in f.edges
           if subnet in (e.source, e.target)}
    assert got == {
        ("terraform:aws_autoscaling_group:./one", subnet, "references", at(PLACED, "[aws_subnet.private[0].id]"), 0),
        ("terraform:aws_autoscaling_group:./two", subnet, "references", at(PLACED, "private[1].id]"), None),
        ("terraform:aws_autoscaling_group:./all", subnet, "references", at(PLACED, "private[*].id"), None),
        ("terraform:aws_autoscaling_group:./via_local", subnet, "references", at(PLACED, "[local.first_subnet]"), 0),
        (subnet, "terraform:aws_eks_node_group:./workers", "contains", at(PLACED, "private[2].id"), 2),
        (subnet, "terraform:aws_instance:./fleet", "contains", at(PLACED, "private[count.index]"), None),
    }


DATABASE = '''resource "aws_db_parameter_group" "orders" {
  name   = "orders-pg16"
  family = "postgres16"

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name         = "max_connections"
    value        = "400"
    apply_method = "pending-reboot"
  }
}

resource "aws_db_parameter_group" "formula" {
  name   = "reports-mysql8"
  family = "mysql8.0"

  parameter {
    name  = "max_connections"
    value = "{DBInstanceClassMemory/12582880}"
  }
}

resource "aws_db_parameter_group" "quiet" {
  name   = "quiet"
  family = "postgres16"
}

resource "aws_db_instance" "orders" {
  engine               = "postgres"
  parameter_group_name = aws_db_parameter_group.orders.name
}

resource "aws_db_instance" "reports" {
  engine               = "mysql"
  parameter_group_name = "reports-mysql8"
}

resource "aws_db_instance" "quiet" {
  engine               = "postgres"
  parameter_group_name = aws_db_parameter_group.quiet.name
}

resource "aws_db_instance" "plain" {
  engine = "postgres"
}
'''


def test_parameter_group_configures_its_instance_and_states_max_connections() -> None:
    got, combined = inline({"db/main.tf": DATABASE})
    orders, reports = got["terraform:aws_db_instance:db/orders"], got["terraform:aws_db_instance:db/reports"]
    assert got["terraform:aws_db_parameter_group:db/orders"].kind == "config"
    assert (orders.attrs["max_connections"], orders.evidence["max_connections"]) == (
        400, Location("db/main.tf", at(DATABASE, '"400"')))
    assert (reports.attrs["max_connections"], reports.evidence["max_connections"]) == (
        "{DBInstanceClassMemory/12582880}", Location("db/main.tf", at(DATABASE, "{DBInstanceClassMemory")))
    assert "max_connections" not in got["terraform:aws_db_instance:db/quiet"].attrs
    assert "max_connections" not in got["terraform:aws_db_instance:db/plain"].attrs
    configures = {(e.source, e.target, e.location.line) for f in combined for e in f.edges if e.kind == "configures"}
    assert configures == {
        ("terraform:aws_db_parameter_group:db/orders", "terraform:aws_db_instance:db/orders",
         at(DATABASE, "aws_db_parameter_group.orders.name")),
        ("terraform:aws_db_parameter_group:db/formula", "terraform:aws_db_instance:db/reports",
         at(DATABASE, 'parameter_group_name = "reports-mysql8"')),
        ("terraform:aws_db_parameter_group:db/quiet", "terraform:aws_db_instance:db/quiet",
         at(DATABASE, "aws_db_parameter_group.quiet.name")),
    }


EDGE = '''resource "aws_lb" "limited" {
  name = "limited"
}

resource "aws_lb" "unlimited" {
  name = "unlimited"
}

resource "aws_alb" "internal" {
  name     = "internal"
  internal = true
}

resource "aws_lb" "network" {
  name               = "network"
  load_balancer_type = "network"
}

resource "aws_lb" "managed_only" {
  name = "managed-only"
}

resource "aws_lb" "classic_waf" {
  name = "classic-waf"
}

resource "aws_wafv2_web_acl" "rate" {
  name  = "rate"
  scope = "REGIONAL"
  rule {
    name = "per-ip"
    statement {
      rate_based_statement {
        limit = 1000
      }
    }
  }
}

resource "aws_wafv2_web_acl" "managed" {
  name  = "managed"
  scope = "REGIONAL"
  rule {
    name = "common"
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }
  }
}

resource "aws_wafv2_web_acl_association" "limited" {
  resource_arn = aws_lb.limited.arn
  web_acl_arn  = aws_wafv2_web_acl.rate.arn
}

resource "aws_wafv2_web_acl_association" "managed_only" {
  resource_arn = aws_lb.managed_only.arn
  web_acl_arn  = aws_wafv2_web_acl.managed.arn
}

resource "aws_wafregional_web_acl_association" "classic_waf" {
  resource_arn = aws_lb.classic_waf.arn
  web_acl_id   = "0c8e4a1b-1234-4f6d-9a2b-000000000000"
}

resource "aws_api_gateway_rest_api" "throttled" {
  name = "throttled"
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.throttled.id
  stage_name  = "prod"
  method_path = "*/*"
  settings {
    throttling_rate_limit = 100
  }
}

resource "aws_api_gateway_rest_api" "unthrottled" {
  name = "unthrottled"
}

resource "aws_api_gateway_method_settings" "off" {
  rest_api_id = aws_api_gateway_rest_api.unthrottled.id
  stage_name  = "prod"
  method_path = "*/*"
  settings {
    throttling_rate_limit = -1
    metrics_enabled       = true
  }
}

resource "aws_api_gateway_rest_api" "private" {
  name = "private"
  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

resource "aws_api_gateway_rest_api" "planned" {
  name = "planned"
}

resource "aws_api_gateway_usage_plan" "partners" {
  name = "partners"
  api_stages {
    api_id = aws_api_gateway_rest_api.planned.id
    stage  = "prod"
  }
  throttle_settings {
    burst_limit = 100
  }
}

resource "aws_apigatewayv2_api" "http" {
  name          = "http"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id = aws_apigatewayv2_api.http.id
  name   = "$default"
  default_route_settings {
    throttling_burst_limit = 20
  }
}

resource "aws_apigatewayv2_api" "bare" {
  name          = "bare"
  protocol_type = "HTTP"
}
'''


def test_rate_limited_on_public_load_balancers_and_api_gateways() -> None:
    got, _ = inline({"edge.tf": EDGE})

    def verdict(type_: str, name: str) -> tuple[object, object]:
        node = got[f"terraform:{type_}:./{name}"]
        where = node.evidence.get("rate_limited")
        return node.attrs.get("rate_limited"), where.line if where else None

    assert verdict("aws_lb", "limited") == (True, at(EDGE, "resource_arn = aws_lb.limited.arn"))
    assert verdict("aws_lb", "unlimited") == (False, at(EDGE, 'resource "aws_lb" "unlimited"'))
    assert verdict("aws_alb", "internal") == (None, None)
    assert verdict("aws_lb", "network") == (None, None)
    assert verdict("aws_lb", "managed_only") == (False, at(EDGE, "resource_arn = aws_lb.managed_only.arn"))
    assert verdict("aws_lb", "classic_waf") == (True, at(EDGE, "resource_arn = aws_lb.classic_waf.arn"))
    assert verdict("aws_api_gateway_rest_api", "throttled") == (True, at(EDGE, "throttling_rate_limit = 100"))
    assert verdict("aws_api_gateway_rest_api", "unthrottled") == (
        False, at(EDGE, 'resource "aws_api_gateway_rest_api" "unthrottled"'))
    assert verdict("aws_api_gateway_rest_api", "private") == (None, None)
    assert verdict("aws_api_gateway_rest_api", "planned") == (True, at(EDGE, "burst_limit = 100"))
    assert verdict("aws_apigatewayv2_api", "http") == (True, at(EDGE, "throttling_burst_limit = 20"))
    assert verdict("aws_apigatewayv2_api", "bare") == (False, at(EDGE, 'resource "aws_apigatewayv2_api" "bare"'))


def test_rate_limited_is_unknown_when_a_waf_association_names_something_we_cannot_resolve() -> None:
    text = ('variable "alb_arn" {}\n\n'
            'resource "aws_lb" "web" {\n  name = "web"\n}\n\n'
            'resource "aws_wafv2_web_acl_association" "elsewhere" {\n'
            '  resource_arn = var.alb_arn\n  web_acl_arn  = "arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y"\n}\n')
    got, _ = inline({"main.tf": text, "other/lb.tf": 'resource "aws_lb" "web" {\n  name = "other"\n}\n'})
    assert "rate_limited" not in got["terraform:aws_lb:./web"].attrs
    assert "rate_limited" not in got["terraform:aws_lb:other/web"].attrs


def test_alb_module_web_acl_and_cloudfront_waf() -> None:
    text = '''module "alb" {
  source            = "terraform-aws-modules/alb/aws"
  name              = "shop"
  associate_web_acl = true
  web_acl_arn       = var.web_acl_arn
}

module "bare" {
  source = "terraform-aws-modules/alb/aws"
  name   = "bare"
}

resource "aws_lb" "origin" {
  name = "origin"
}

resource "aws_cloudfront_distribution" "cdn" {
  web_acl_id = var.cdn_acl_arn
  origin {
    domain_name = aws_lb.origin.dns_name
    origin_id   = "alb"
  }
}
'''
    got, _ = inline({"main.tf": text})
    alb = got["terraform:module:terraform-aws-modules/alb/aws:./alb"]
    bare = got["terraform:module:terraform-aws-modules/alb/aws:./bare"]
    origin = got["terraform:aws_lb:./origin"]
    assert (alb.attrs["rate_limited"], alb.evidence["rate_limited"].line) == (True, at(text, "web_acl_arn "))
    assert (bare.attrs["rate_limited"], bare.evidence["rate_limited"].line) == (False, at(text, 'module "bare"'))
    assert (origin.attrs["rate_limited"], origin.evidence["rate_limited"].line) == (True, at(text, "web_acl_id"))


def test_elasticache_cluster_mode_block_reads_as_the_flat_arguments() -> None:
    text = '''resource "aws_elasticache_replication_group" "old" {
  replication_group_id          = "old"
  replication_group_description = "provider 4 syntax"
  automatic_failover_enabled    = true

  cluster_mode {
    replicas_per_node_group = 2
    num_node_groups         = 3
  }
}

resource "aws_elasticache_replication_group" "new" {
  replication_group_id    = "new"
  description             = "provider 5 syntax"
  cluster_mode            = "enabled"
  replicas_per_node_group = 1
  num_node_groups         = 2
}
'''
    got, _ = inline({"cache.tf": text})
    old, new = got["terraform:aws_elasticache_replication_group:./old"], got[
        "terraform:aws_elasticache_replication_group:./new"]
    assert {k: old.attrs[k] for k in ("replicas_per_node_group", "num_node_groups", "replicas")} == {
        "replicas_per_node_group": 2, "num_node_groups": 3, "replicas": 3}
    assert old.evidence["replicas_per_node_group"] == Location("cache.tf", at(text, "replicas_per_node_group = 2"))
    assert old.evidence["num_node_groups"] == Location("cache.tf", at(text, "num_node_groups         = 3"))
    assert {k: new.attrs[k] for k in ("replicas_per_node_group", "num_node_groups", "replicas")} == {
        "replicas_per_node_group": 1, "num_node_groups": 2, "replicas": 2}
    assert new.evidence["replicas_per_node_group"] == Location("cache.tf", at(text, "replicas_per_node_group = 1"))


# -- Terraform as Terraform evaluates it: well-known modules, zone lists, undecided rules (issue 8) ---------

MODULES = FIXTURES / "terraform-modules"
AVAILABILITY = ("AVAIL001", "AVAIL002", "AVAIL003", "AVAIL004")


@pytest.fixture(scope="module")
def modules_audit():  # type: ignore[no-untyped-def]
    from auditor.audit import audit

    return audit(MODULES)


def test_source_forms_map_to_one_registry_address() -> None:
    key = terraform._source_key
    assert key("terraform-aws-modules/vpc/aws") == "terraform-aws-modules/vpc/aws"
    assert key("registry.terraform.io/terraform-aws-modules/vpc/aws") == "terraform-aws-modules/vpc/aws"
    assert key("git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.8.1") == (
        "terraform-aws-modules/vpc/aws")
    assert key("git@github.com:cloudposse/terraform-aws-dynamic-subnets.git?ref=2.4.2") == (
        "cloudposse/dynamic-subnets/aws")
    assert key("git::ssh://git@github.com/terraform-google-modules/terraform-google-sql-db.git//modules/mysql"
               "?ref=v26.0.0") == "terraform-google-modules/sql-db/google//modules/mysql"
    assert key("Azure/aks/azurerm") == "azure/aks/azurerm"
    assert key("../../modules/subnets") is None and key("./db") is None
    # a submodule is not its parent: vpc-endpoints is not the VPC module
    assert key("terraform-aws-modules/vpc/aws//modules/vpc-endpoints") not in terraform._BY_SOURCE


def test_module_table_entries_are_checked_when_read(tmp_path: Path) -> None:
    bad = tmp_path / "modules.yaml"
    bad.write_text("acme/db/aws:\n  kind: datastore\n  sources: [acme/db/aws]\n  defualts: {multi_az: false}\n")
    with pytest.raises(ValueError, match="acme/db/aws"):
        terraform._load_modules(bad)
    assert all(spec.sources and spec.kind for spec in terraform._MODULES.values())


def test_zone_lists_of_a_data_source_are_distinct_zones_of_unknown_number() -> None:
    text = '''data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_availability_zones" "some" {
  exclude_names = ["us-east-1e"]
}

locals {
  three = slice(data.aws_availability_zones.available.names, 0, 3)
  first = data.aws_availability_zones.available.names[0]
  third = element(data.aws_availability_zones.available.names, 2)
  all   = data.aws_availability_zones.available.names
  how   = length(data.aws_availability_zones.available.names)
  some  = slice(data.aws_availability_zones.some.names, 0, 2)
}

output "three" { value = local.three }
output "first" { value = local.first }
output "third" { value = local.third }
output "all"   { value = local.all }
output "how"   { value = local.how }
output "some"  { value = local.some }
'''
    _, combined = inline({"zones.tf": text})
    outputs = {name: value for name, (value, _) in combined[0].extra["outputs"].items()}
    names = "data.aws_availability_zones.available.names"
    assert outputs["three"] == [f"{names}[0]", f"{names}[1]", f"{names}[2]"]
    assert (outputs["first"], outputs["third"]) == (f"{names}[0]", f"{names}[2]")
    assert outputs["all"] == Expr(names, ("data.aws_availability_zones.available",))  # plain data again
    assert isinstance(outputs["how"], Expr)  # how many: unknown
    assert isinstance(outputs["some"], Expr)  # a filtered list may hold one zone


def test_coalesce_of_nothing_is_unknown_and_can_is_false() -> None:
    from auditor.parsers.hcl import Scope, Unknown, evaluate, tree_of

    scope = Scope(lambda root, name: None)
    assert evaluate(tree_of('can(coalesce(null, ""))'), scope) is False
    assert evaluate(tree_of('coalesce(null, "b")'), scope) == "b"
    with pytest.raises(Unknown):
        evaluate(tree_of("coalescelist([], [])"), scope)
    # a module whose locals hit it used to stop the whole repository's Terraform (internal error)
    got, combined = inline({"main.tf": 'variable "pool" {\n  default = null\n}\n\nresource "aws_lb" "web" {\n'
                                       '  name = coalesce(var.pool, "")\n}\n'})
    assert "terraform:aws_lb:./web" in got and not combined[0].diagnostics


def test_registry_module_calls_take_the_documented_defaults() -> None:
    facts = load("terraform-modules")
    got = nodes(facts)
    db = got["terraform:module:terraform-aws-modules/rds/aws:envs/prod/orders_db"]
    assert (db.kind, db.attrs["recognised_by"], db.attrs["multi_az"], "multi_az" in db.attrs["defaulted"]) == (
        "datastore", "source", False, True)
    assert db.evidence["multi_az"] == Location("envs/prod/main.tf", line("terraform-modules", "envs/prod/main.tf",
                                                                        'module "orders_db"'))
    catalog = got["terraform:module:terraform-google-modules/sql-db/google//modules/postgresql:envs/gcp/catalog_db"]
    assert (catalog.attrs["availability_type"], catalog.attrs["multi_az"]) == ("ZONAL", False)
    billing_id = ("terraform:module:git::https://github.com/terraform-google-modules/terraform-google-sql-db.git"
                  "//modules/mysql?ref=v26.0.0:envs/gcp/billing_db")
    assert got[billing_id].attrs["availability_type"] == "REGIONAL"  # the mysql submodule's own default
    sessions = got["terraform:module:cloudposse/elasticache-redis/aws:envs/prod/sessions"]
    assert (sessions.attrs["failover"], sessions.attrs["replicas_per_primary"]) == (False, 0)
    carts = got["terraform:module:cloudposse/elasticache-redis/aws:envs/prod/carts"]
    assert (carts.attrs["failover"], carts.attrs["replicas_per_primary"]) == (True, 1)
    vpc = got["terraform:module:terraform-aws-modules/vpc/aws:envs/prod/vpc"]
    zones = [f"data.aws_availability_zones.available.names[{i}]" for i in range(3)]
    assert (vpc.attrs["private_zones"], vpc.attrs["nat_zones"], vpc.attrs["nat_limit"]) == (
        zones, 1, "single_nat_gateway")
    subnets = got["terraform:module:cloudposse/dynamic-subnets/aws:envs/staging/subnets"]
    assert (subnets.attrs["zones_at_least"], subnets.attrs["nat_zones"], subnets.attrs["nat_enabled"]) == (3, 1, True)
    every_zone = got["terraform:module:cloudposse/dynamic-subnets/aws:envs/staging/batch_subnets"]
    assert (every_zone.attrs["zones"], every_zone.attrs["zones_at_least"], every_zone.attrs["nat_per_zone"]) == (
        None, 2, True)  # no list: every zone of the region, a NAT in each (max_nats 999)


def test_a_call_known_only_by_its_inputs_gets_no_defaults() -> None:
    text = '''module "db" {
  source = "git::https://github.com/acme/terraform-aws-database.git?ref=v2"

  identifier             = "ledger"
  engine                 = "postgres"
  instance_class         = "db.r6g.large"
  allocated_storage      = 200
  create_db_subnet_group = true
}
'''
    got, _ = inline({"main.tf": text})
    db = next(n for n in got.values() if n.type.startswith("module:"))
    assert (db.attrs["module"], db.attrs["recognised_by"], db.attrs["defaulted"]) == (
        "terraform-aws-modules/rds/aws", "inputs", [])
    assert "multi_az" not in db.attrs  # this fork may default it otherwise: not judged single-AZ


def test_a_local_copy_is_judged_at_each_call_with_its_own_defaults() -> None:
    facts = load("terraform-modules")
    got = nodes(facts)
    call = got["terraform:module:../../modules/subnets:envs/dev/subnets"]
    assert (call.attrs["module"], call.attrs["recognised_by"], call.attrs["nat_zones"]) == (
        "cloudposse/dynamic-subnets/aws", "local copy", 1)  # max_nats = var.max_nats, default 1 in envs/dev
    inside = [n for n in got.values() if n.attrs.get("module_dir") == "modules/subnets"]
    assert inside and all(n.attrs["judged_at_calls"] == ["nat", "zones"] for n in inside)


def test_module_defaults_and_zone_lists_give_the_expected_findings(modules_audit) -> None:  # type: ignore[no-untyped-def]
    from conftest import expected_markers

    files = {p.relative_to(MODULES).as_posix(): p.read_text() for p in MODULES.rglob("*.tf")}
    expected = {marker for marker in expected_markers(files) if marker[0] in AVAILABILITY}
    found = {(f.rule_id, f.location.path, f.location.line) for f in modules_audit.findings
             if f.rule_id in AVAILABILITY}
    assert found == expected
    messages = {f.subject.rsplit("/", 1)[-1]: f.message for f in modules_audit.findings}
    assert "1 of 3 AZs (eu-west-1a, eu-west-1b, eu-west-1c) (`max_nats = 1`)" in messages["subnets"]
    assert "3 private subnets in 3 AZs (the first 3 of `data.aws_availability_zones.available.names`)" in (
        messages["vpc"])
    assert "taken for terraform-aws-modules/vpc/aws by the inputs it passes" in messages["fork_vpc"]
    assert "leaves `multi_az` unset (the module's default is false)" in messages["orders_db"]
    assert "`cluster_size = 1` (the module's default)" in messages["sessions"]
    assert "default `ZONAL` applies" in messages["catalog_db"]


def test_a_value_a_rule_cannot_resolve_is_reported_as_undecided(modules_audit) -> None:  # type: ignore[no-untyped-def]
    import json

    from auditor.report import json as json_report
    from auditor.report.terminal import coverage_line

    notes = [(n.rule_id, n.location.path, n.location.line, n.missing) for n in modules_audit.undecided]
    assert notes == [("AVAIL003", "envs/prod/main.tf", line("terraform-modules", "envs/prod/main.tf",
                                                             "multi_az          = var.audit_multi_az"),
                      "whether it has a standby: `multi_az = var.audit_multi_az`")]
    assert coverage_line(modules_audit).endswith("; 1 undecided (AVAIL003 1)")
    record = json.loads(json_report.render(modules_audit))["coverage"]["undecided"]
    assert record == [{"rule_id": "AVAIL003", "subject": "terraform:module:terraform-aws-modules/rds/aws:"
                       "envs/prod/audit_db", "path": "envs/prod/main.tf", "line": notes[0][2],
                       "end_line": notes[0][2], "missing": notes[0][3]}]


def test_a_wrapper_of_a_module_is_judged_where_it_is_called(repo) -> None:  # type: ignore[no-untyped-def]
    """Our own `modules/network` passes its variables to the registry VPC module with a default of its own:
    each environment's call is judged with that default, the wrapper's inner call not again."""
    from auditor.audit import audit

    files = {
        "modules/network/main.tf": '''module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"

  name               = var.name
  azs                = var.azs
  private_subnets    = var.private_subnets
  enable_nat_gateway = var.enable_nat_gateway
  single_nat_gateway = var.single_nat_gateway
}
''',
        "modules/network/variables.tf": '''variable "name" {
  type = string
}

variable "azs" {
  type = list(string)
}

variable "private_subnets" {
  type = list(string)
}

variable "enable_nat_gateway" {
  type    = bool
  default = true
}

variable "single_nat_gateway" {
  type    = bool
  default = true # cheap by default
}
''',
        "envs/prod/main.tf": '''module "network" {
  source = "../../modules/network"

  name               = "prod"
  azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  private_subnets    = ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
  single_nat_gateway = false
}
''',
        "envs/dev/main.tf": '''module "network" { # expect: AVAIL001
  source = "../../modules/network"

  name            = "dev"
  azs             = ["eu-west-1a", "eu-west-1b"]
  private_subnets = ["10.1.0.0/20", "10.1.16.0/20"]
}
''',
    }
    from conftest import expected_markers

    result = audit(repo(files))
    assert {(f.rule_id, f.location.path, f.location.line) for f in result.findings if f.rule_id == "AVAIL001"} == (
        expected_markers(files))
    dev = next(f for f in result.findings if f.rule_id == "AVAIL001")
    assert "for 2 private subnets in 2 AZs (eu-west-1a, eu-west-1b)" in dev.message


def test_a_list_where_a_zone_name_belongs_gives_no_verdict_and_no_rule_error(tmp_path: Path) -> None:
    # `availability_zone = var.zones[""]` of a list variable evaluated to the list itself, and AVAIL002 failed
    # with "unhashable type: 'list'" (found by fuzzing).
    from conftest import write_repo

    from auditor.audit import audit

    root = write_repo(tmp_path, {
        "variables.tf": 'variable "zones" {\n  default = [["a"], ["b"]]\n}\n',
        "vpc.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'
                  'resource "aws_subnet" "s" {\n  count = 2\n  vpc_id = aws_vpc.v.id\n'
                  '  availability_zone = var.zones[count.index]\n}\n'})
    result = audit(root)
    assert not [d for d in result.diagnostics if d.code in ("rule-error", "internal-error")], result.diagnostics
    assert not [f for f in result.findings if f.rule_id == "AVAIL002"]


def test_container_definitions_with_expressions_for_lists_are_read() -> None:
    # `portMappings = 5[{…}]` left an Expr where the list belongs, and iterating it raised TypeError (found by
    # fuzzing); a variable or a local there is the same. Such a field reads as empty, the rest as before.
    text = '''resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([{
    name = "app", image = "shop/app:1.2", portMappings = var.ports, environment = local.env, secrets = 5[0]
  }, {
    name = "proxy", image = "nginx:1.27", portMappings = [{ containerPort = 8080 }]
  }])
}
'''
    facts = terraform.parse("infra/ecs.tf", text)
    assert not [d for d in facts.diagnostics if d.code == "internal-error"]
    node = next(n for n in facts.nodes if n.id == "terraform:aws_ecs_task_definition:infra/app")
    assert [c["image"] for c in node.attrs["containers"]] == ["shop/app:1.2", "nginx:1.27"]
    assert node.attrs["ports"] == [8080]


def test_combined_modules_are_cached_until_a_terraform_file_changes(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook after a change elsewhere (a compose file) reuses the combined modules instead of combining again."""
    import shutil

    from conftest import FIXTURES

    from auditor import scan as scan_module
    from auditor.cache import ParseCache

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "terraform-modules", root)
    cache = ParseCache(tmp_path / "cache")
    combined = []
    combine = terraform.combine
    monkeypatch.setattr(terraform, "combine", lambda facts: combined.append(1) or combine(facts))

    def graph(result: scan_module.Scan) -> list[tuple[object, ...]]:
        return [(n.id, n.attrs, n.evidence) for _, n in result.graph.nodes(data="node")]

    first = scan_module.scan(root, cache=cache)
    (root / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.25\n")
    second = scan_module.scan(root, cache=cache)
    assert len(combined) == 1
    assert [n for n in graph(second) if n[0].startswith("terraform:")] == graph(first)
    assert scan_module.scan(root).facts == second.facts  # without a cache: the same facts, in the same order
    tf = next(root.rglob("*.tf"))
    tf.write_text(tf.read_text() + '\nresource "aws_sqs_queue" "extra" {\n  name = "extra"\n}\n')
    third = scan_module.scan(root, cache=cache)
    assert len(combined) == 3
    assert any(n[0].startswith("terraform:aws_sqs_queue:") and n[0].endswith("/extra") for n in graph(third))


def test_a_combine_over_a_failed_parse_is_not_cached(tmp_path: Path) -> None:
    from auditor.cache import ParseCache
    from auditor.model import Diagnostic
    from auditor.scan import _combine_terraform

    cache = ParseCache(tmp_path / "cache")
    crashed = Facts("a.tf", "terraform",
                    diagnostics=(Diagnostic("a.tf", "the parser crashed", None, "internal-error"),))
    _combine_terraform([crashed], cache, "key")
    assert cache.load_combined("key") is None
    parsed = terraform.parse("b.tf", 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    assert _combine_terraform([parsed], cache, "other") == cache.load_combined("other")
