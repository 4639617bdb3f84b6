"""Checks of the data category (see the rule files in rules/ that name them).

All of them start from the same question — which services connect to which database — answered once here:
a `connects_to` edge to a datastore node, to an unresolved host that a config named as a database, or to a
Kubernetes Service that selects a database workload; an edge to a pooler (PgBouncer, RDS Proxy…) is pooled.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from auditor.checks.context import CheckContext, Hit
from auditor.checks.state import dev_only, production_settings
from auditor.model import Edge, Node, Related

_SQL = re.compile(r"^(postgres|postgis|pgsql|psql|timescale|mysql|mariadb|trilogy|aurora|sqlserver|mssql|jtds|"
                  r"oracle|db2|redshift|cockroach|tidb|yugabyte|percona)")
_POOLERS = {"pgbouncer", "pgpool", "proxysql", "odyssey", "supavisor", "pgcat", "rds-proxy"}
# Database tooling that reads the database but is not a consumer in the architecture sense.
_TOOLING = re.compile(r"(adminer|pgadmin|phpmyadmin|exporter|flyway|liquibase|migrat|backup|pghero|dbmate|"
                      r"metabase|grafana|superset|redash|pgweb|cloudbeaver|mysqldump|pg_dump|wait-for)")


@dataclass(frozen=True)
class Connection:
    """One service's connection to one database (the first edge that states it)."""

    service: Node
    database: Node
    edge: Edge
    pooled_by_proxy: bool
    sql: bool


def _engine(node: Node) -> str:
    engine = node.attrs.get("engine")
    return engine.lower() if isinstance(engine, str) else ""


def _is_sql(edge: Edge, database: Node) -> bool:
    scheme = str(edge.attrs.get("scheme") or "").lower()
    if scheme and scheme != "tcp":
        return bool(_SQL.match(scheme))
    engine = _engine(database)
    return bool(engine and _SQL.match(engine)) or database.type in ("aws_db_instance", "aws_rds_cluster")


def _resolve_target(ctx: CheckContext, ident: str) -> tuple[list[Node], bool]:
    """The database node(s) behind an edge target, and whether a connection pooler sits in between."""
    target = ctx.node(ident)
    if target.kind == "proxy" or _engine(target) in _POOLERS:
        behind = [ctx.node(e.target) for e in ctx.out_edges(target.id, ["routes_to", "connects_to"])]
        databases = [n for n in behind if n.kind == "datastore"]
        return databases or [target], True
    if target.kind == "datastore":
        return [target], False
    if target.kind == "external" and target.attrs.get("role") == "datastore":
        return [target], False
    if target.kind == "load_balancer" and target.source == "kubernetes":
        behind = [ctx.node(e.target) for e in ctx.out_edges(target.id, ["routes_to"])]
        if any(n.kind == "proxy" or _engine(n) in _POOLERS for n in behind):
            return [target], True
        return [n for n in behind if n.kind == "datastore"], False
    return [], False


def connections(ctx: CheckContext) -> list[Connection]:
    """Every (service, database) pair in id order, each with its first connection edge: found once per graph,
    as every data rule starts from it."""
    return list(ctx.once("data_connections", lambda: _connections(ctx)))


def _connections(ctx: CheckContext) -> list[Connection]:
    found: dict[tuple[str, str], Connection] = {}
    for service in ctx.workloads():
        for edge in ctx.out_edges(service.id, ["connects_to"]):
            if edge.attrs.get("target_kind") not in (None, "datastore"):
                continue
            databases, proxied = _resolve_target(ctx, edge.target)
            proxied = proxied or edge.attrs.get("port") == 6432
            for database in databases:
                pair = (service.id, database.id)
                previous = found.get(pair)
                if previous is None or (dev_only(previous.edge.location.path) and not dev_only(edge.location.path)):
                    found[pair] = Connection(service, database, edge, proxied, _is_sql(edge, database))
                elif proxied and not previous.pooled_by_proxy:
                    found[pair] = Connection(service, database, previous.edge, True, previous.sql)
    return [found[k] for k in sorted(found)]


# -- DATA001 database-without-connection-pooling ---------------------------------------------------------


def _no_pool_reason(ctx: CheckContext, service: Node) -> tuple[str, Related | None] | None:
    """Why the service's framework opens a connection per request, or None when it pools (or is unknown)."""
    if production_settings(ctx, service, "db_proxy"):
        return None
    pools = production_settings(ctx, service, "pool")
    if any(s.value is True or (isinstance(s.value, int) and not isinstance(s.value, bool) and s.value > 0)
           for s in pools):
        return None
    disabled = [s for s in pools if s.value is False]
    if disabled:
        setting = disabled[0]
        return f"pooling is disabled (`{setting.key}`)", Related(setting.location, "pooling disabled here")
    ages = production_settings(ctx, service, "conn_max_age")
    if ages and all(s.value == 0 for s in ages):
        setting = ages[0]
        label = "Django's default CONN_MAX_AGE = 0" if setting.key.startswith("(") else f"`{setting.key}` = 0"
        return (f"{label} opens and closes a connection for every request, and no pool (Django 5.1+ "
                "`OPTIONS['pool']`) or pooler is configured", Related(setting.location, "CONN_MAX_AGE = 0"))
    return None


_DATASTORE_WORDS = {"handler": "a new database connection for every request",
                    "shared": "one raw database connection shared by every request"}


def _code_connections(ctx: CheckContext) -> Iterator[Hit]:
    """Connections the service's code opens inside request handling (or one raw connection for all requests),
    at the line that opens it (auditor/code/: `db_connect` settings)."""
    for service in ctx.applications():
        opened = [s for s in production_settings(ctx, service, "db_connect") if s.value in _DATASTORE_WORDS]
        if not opened:
            continue
        ctx.examine(service)
        per_request = [s for s in opened if s.value == "handler"]
        ranks: Counter[tuple[str, str]] = Counter()
        for setting in sorted(per_request or opened[:1], key=lambda s: (s.location.path, s.location.line)):
            # the fingerprint names the call and its rank in its file, never its line: moving code keeps it
            rank = ranks[(setting.location.path, setting.key)]
            ranks[(setting.location.path, setting.key)] += 1
            what = _DATASTORE_WORDS[str(setting.value)]
            why = ("each request pays the connection handshake and holds a server connection slot, so a traffic "
                   "spike exhausts the database's connection limit") if setting.value == "handler" else (
                   "requests queue on it one at a time (or interleave on it unsafely), and one broken connection "
                   "fails every request until the process restarts")
            # a connection opened in another file than the handler's: the calls from the handler that reach it
            related = tuple(Related(where, "called per request here (from a request handler)" if index == 0 else
                                    "which calls it here") for index, where in enumerate(setting.via))
            yield Hit(service.id, f"`{service.name}` opens {what} with `{setting.key}` in its code: {why}",
                      evidence=setting.location, related=related,
                      key=f"code:{setting.location.path}:{setting.key}#{rank}")


def database_without_connection_pooling(ctx: CheckContext) -> Iterator[Hit]:
    """Services that reach a SQL database with no pool anywhere in the path, or whose code opens a connection
    per request."""
    yield from _code_connections(ctx)
    for conn in connections(ctx):
        if not conn.sql:
            continue
        ctx.examine(conn.service)
        if conn.pooled_by_proxy:
            continue
        reason = _no_pool_reason(ctx, conn.service)
        if reason is None:
            continue
        text, setting = reason
        related = [Related(conn.database.location, f"database `{conn.database.name}`")]
        if setting is not None:
            related.append(setting)
        yield Hit(conn.service.id, f"`{conn.service.name}` connects to database `{conn.database.name}` without a "
                                   f"connection pool: {text}", evidence=conn.edge.location,
                  related=tuple(related), key=conn.database.id)


# -- DATA002 pool-exceeds-database-connections -----------------------------------------------------------

_ENGINE_DEFAULT = {"postgres": 100, "postgresql": 100, "postgis": 100, "timescaledb": 100, "mysql": 151,
                   "mariadb": 151, "percona": 151}
# Nominal memory (GiB) by RDS instance size; the family letter only matters for the size → memory ratio.
_SIZE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64,
             "8xlarge": 128, "12xlarge": 192, "16xlarge": 256, "24xlarge": 384}
_MEMORY_FORMULA = re.compile(r"^\{DBInstanceClassMemory/(\d+)\}$")
_MEMORY_OPTIMISED = re.compile(r"^db\.(r\d|x\d|z1d)")
_BURSTABLE = re.compile(r"^db\.t\d")
_GENERAL = re.compile(r"^db\.m\d")


def _rds_memory_bytes(instance_class: str) -> int | None:
    size = instance_class.rsplit(".", 1)[-1]
    gib = _SIZE_GIB.get(size)
    if gib is None:
        return None
    if _MEMORY_OPTIMISED.match(instance_class):
        if size in ("micro", "small", "medium"):
            return None
        gib *= 2
    elif not (_BURSTABLE.match(instance_class) or _GENERAL.match(instance_class)):
        return None
    return gib * 1024**3


def connection_limit(ctx: CheckContext, database: Node) -> tuple[int, str] | None:
    """(max connections, where the number comes from) when it can be known."""
    stated = [s for s in database.settings if s.topic == "db_max_connections" and isinstance(s.value, int)]
    if stated:
        return stated[0].value, f"`{stated[0].key}`"
    attr = database.attrs.get("max_connections")
    if isinstance(attr, int) and not isinstance(attr, bool):
        where = " in its parameter group" if database.type == "aws_db_instance" else ""
        return attr, f"max_connections{where}"
    engine = _engine(database)
    if database.source in ("compose", "kubernetes") and engine in _ENGINE_DEFAULT:
        return _ENGINE_DEFAULT[engine], f"the {engine} default"
    if database.type == "aws_db_instance":
        instance_class = database.attrs.get("instance_class")
        memory = _rds_memory_bytes(instance_class) if isinstance(instance_class, str) else None
        config = database.attrs.get("config")
        if "max_connections" in database.attrs:
            # The parameter group states a formula (or a value we cannot read): only {DBInstanceClassMemory/N}.
            formula = _MEMORY_FORMULA.match(str(attr or "").replace(" ", ""))
            if formula is None or memory is None or int(formula.group(1)) <= 0:
                return None
            return memory // int(formula.group(1)), f"max_connections in its parameter group for {instance_class}"
        if isinstance(config, dict) and config.get("parameter_group_name") is not None:
            return None  # a parameter group we cannot read, or one that leaves max_connections at the default
        if memory is None:
            return None
        if engine.startswith("postgres"):
            return min(memory // 9531392, 5000), f"the RDS default for {instance_class} (memory/9531392)"
        if engine in ("mysql", "mariadb"):
            return memory // 12582880, f"the RDS default for {instance_class} (memory/12582880)"
    return None


def _pool_size(ctx: CheckContext, service: Node) -> tuple[int, Related] | None:
    sizes = [s for s in production_settings(ctx, service, "pool")
             if isinstance(s.value, int) and not isinstance(s.value, bool) and s.value > 0]
    if not sizes:
        return None
    largest = max(sizes, key=lambda s: s.value)
    return largest.value, Related(largest.location, f"`{service.name}` pool size {largest.value}")


def pool_exceeds_database_connections(ctx: CheckContext) -> Iterator[Hit]:
    """Σ pool size × max instances over a database's clients, against its max_connections."""
    clients: dict[str, list[tuple[Node, int, int, Related]]] = defaultdict(list)
    databases: dict[str, Node] = {}
    pools: dict[str, tuple[int, Related] | None] = {}  # per service: it may reach thousands of databases
    for conn in connections(ctx):
        if not conn.sql or conn.pooled_by_proxy:
            continue  # behind a pooler the server sees the pooler's connections, not the clients'
        databases[conn.database.id] = conn.database
        if conn.service.id not in pools:
            pools[conn.service.id] = _pool_size(ctx, conn.service)
        pool = pools[conn.service.id]
        most = ctx.max_replicas(conn.service)
        if pool is None or most is None or most < 1:
            continue
        clients[conn.database.id].append((conn.service, pool[0], most, pool[1]))
    for ident in sorted(databases):
        database = databases[ident]
        limit = connection_limit(ctx, database)
        if limit is None:
            continue
        ctx.examine(database)
        counted = clients.get(ident, [])
        total = sum(size * most for _, size, most, _ in counted)
        if total <= limit[0]:
            continue
        terms = " + ".join(f"{svc.name} {size}x{most}" for svc, size, most, _ in counted)
        related = tuple(Related(where.location, f"{where.message} × {most} instances = {size * most}")
                        for _, size, most, where in counted)
        yield Hit(database.id, f"database `{database.name}` may be asked for {total} connections "
                               f"({terms} = {total}; pool × max instances) but allows {limit[0]} ({limit[1]})",
                  attr="max_connections", related=related)


# -- DATA003 shared-database -----------------------------------------------------------------------------


def _codebase(service: Node) -> str:
    """What identifies the code a service runs: its image (no tag/digest) or its build context."""
    image = service.attrs.get("image")
    if isinstance(image, str) and image:
        return re.sub(r"(@sha256:[0-9a-f]+|:[^/:]+)$", "", image)
    context = service.attrs.get("build_context")
    if isinstance(context, str):
        return f"build:{context}"
    return f"node:{service.id}"


def _distinct_apps(services: list[Node]) -> int:
    """How many different applications these are: one app may be a compose service built from
    `./services/orders` locally and a Deployment `orders` running `registry/orders` in production. Services
    sharing a code base or a name are one app, transitively: the groups of a union-find over both, linear in
    the number of services (a database with thousands of clients is not a quadratic merge)."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(key: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for service in services:
        parent[root(("codebase", _codebase(service)))] = root(("name", service.name))
    return len({root(key) for key in parent})


def _is_tooling(service: Node) -> bool:
    image = service.attrs.get("image")
    return bool(_TOOLING.search(f"{service.name} {image if isinstance(image, str) else ''}".lower()))


# Roles whose connection to a database reads it for people (Kibana on Elasticsearch, Grafana on a SQL data
# source, an admin UI) or proxies to it: not an application sharing the database's schema.
_READERS_ONLY = frozenset({"observability", "tooling", "edge_proxy"})


def _consumers(ctx: CheckContext) -> dict[tuple[str, str], list[Connection]]:
    """(database id, logical database name) → connections of deployed, non-tooling services."""
    groups: dict[tuple[str, str], list[Connection]] = defaultdict(list)
    for conn in connections(ctx):
        if conn.database.kind == "datastore" and _engine(conn.database) in ("zookeeper", "etcd"):
            continue
        if conn.service.attrs.get("implied") or _is_tooling(conn.service) or \
                conn.service.attrs.get("role") in _READERS_ONLY:
            continue
        name = str(conn.edge.attrs.get("database") or "")
        groups[(conn.database.id, name)].append(conn)
    return groups


def shared_database(ctx: CheckContext) -> Iterator[Hit]:
    """One database (schema) used by services built from different code bases."""
    for (ident, name), conns in sorted(_consumers(ctx).items()):
        database = ctx.node(ident)
        ctx.examine(database)
        apps = _distinct_apps([c.service for c in conns])
        if apps < 2:
            continue
        names = ", ".join(f"`{c.service.name}`" for c in conns)
        label = f"`{database.name}`" + (f" (database `{name}`)" if name else "")
        related = tuple(Related(c.edge.location, f"`{c.service.name}` connects here") for c in conns)
        yield Hit(ident, f"{label} is used by {apps} separately deployed services ({names}); "
                         "their schemas and load are coupled, so none can change or scale its data alone",
                  related=related, key=name)


# -- DATA004 database-without-read-replica ---------------------------------------------------------------

_REPLICA_KEY = re.compile(r"(^|[^a-z])(replica|replicas|read|reader|readonly|ro|slave|secondary|standby)"
                          r"([^a-z]|$)", re.IGNORECASE)


def _has_replica(ctx: CheckContext, database: Node, conns: list[Connection]) -> bool:
    if any(e.attrs.get("replica_of") for e in ctx.in_edges(database.id, ["depends_on"])):
        return True
    replicas = database.attrs.get("replicas")
    if isinstance(replicas, int) and replicas >= 2:
        return True  # Aurora cluster instances, a replicated StatefulSet
    for conn in conns:
        for edge in ctx.out_edges(conn.service.id, ["connects_to"]):
            host = str(edge.attrs.get("host") or ctx.node(edge.target).name)
            if edge.target != database.id and (_REPLICA_KEY.search(str(edge.attrs.get("key") or ""))
                                               or "cluster-ro-" in host or _REPLICA_KEY.search(host)):
                return True
    return False


def database_without_read_replica(ctx: CheckContext) -> Iterator[Hit]:
    """A database defined here, read by many services or many instances, with no replica to read from."""
    by_database: dict[str, list[Connection]] = defaultdict(list)
    for conn in connections(ctx):
        if conn.sql and conn.database.kind == "datastore" and not conn.service.attrs.get("implied"):
            by_database[conn.database.id].append(conn)
    min_services = int(ctx.options.get("min_services", 3))
    min_instances = int(ctx.options.get("min_instances", 10))
    for ident in sorted(by_database):
        database = ctx.node(ident)
        conns = by_database[ident]
        ctx.examine(database)
        if _has_replica(ctx, database, conns):
            continue
        apps = _distinct_apps([c.service for c in conns if not _is_tooling(c.service)])
        instances = sum(ctx.max_replicas(c.service) or 0 for c in conns)
        if apps < min_services and instances < min_instances:
            continue
        related = tuple(Related(c.edge.location, f"`{c.service.name}` (up to "
                                                 f"{_count(ctx.max_replicas(c.service), 'instance')}) reads here")
                        for c in conns)
        yield Hit(ident, f"database `{database.name}` serves {_count(apps, 'service')} with up to "
                         f"{_count(instances, 'instance')} in all and has no read replica: every read competes "
                         "with the writes on one server", related=related)


def _count(number: int | None, noun: str) -> str:
    if number is None:
        return f"? {noun}s"
    return f"{number} {noun}{'' if number == 1 else 's'}"


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "database_without_connection_pooling": database_without_connection_pooling,
    "pool_exceeds_database_connections": pool_exceeds_database_connections,
    "shared_database": shared_database,
    "database_without_read_replica": database_without_read_replica,
}

