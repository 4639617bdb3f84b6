"""docker-compose files (v2, v3 and the version-less Compose Specification) → service nodes and their edges.

A compose "project" is the file's directory, so `docker-compose.yml` and `docker-compose.override.yml`
side by side name the same node ids and the graph stage merges them. Nothing is read beyond the file:
`env_file`s become `configures` edges from the app-config node of that path (the appconfig parser reads
the file), and hosts named in `environment` become `host:` edges (tagged `via: environment`) that the graph
stage resolves. Settings come from `environment`, plus a `tracing` setting when `command`/`entrypoint` starts
the process under a tracer (`opentelemetry-instrument`, `ddtrace-run`, `-javaagent:…`; see
`settings.command_tracing`).

Values are interpolated here with defaults only (`${VAR:-default}`); what the project `.env` sets, other
files `include:`d, and `extends` of a service in another file are applied across files by
graph/compose_projects.py, with the functions at the end of this module (`realise`, `extend`,
`includes_of`). For that, `Facts.extra` keeps `services` {name: {environment: ((key, value as written or
None, Location), …), launcher: how many of the node's settings come from command/entrypoint, written:
{image/replicas/scale: text with a variable}}} and `include` (the entries as written).

Node attributes (besides the shared ones in ARCHITECTURE.md):
  image, engine (datastore/cache/queue/storage/pooler product, e.g. "postgres"), build_context (repo-relative
  directory), dockerfile, build_remote (a git/https build context), ports (container ports: `ports`
  targets and `expose`), published_ports, replicas (deploy.replicas, scale; 1 by default; None for
  `deploy.mode: global` or an unresolved `${VAR}`), replicas_explicit (False when no count is stated),
  deploy_section (True when `deploy:` holds a replica count or keys only an orchestrator acts on —
  placement, update_config, rollback_config, restart_policy, endpoint_mode, mode, labels: production
  intent; a resources-only block, which plain `docker compose` also honours, does not count), deploy_mode,
  requests/limits ({cpu, memory} as written, from deploy.resources or v2 cpus/mem_limit/mem_reservation),
  healthcheck (True: a test is defined; False: disabled; None: not stated here), healthcheck_source
  ("compose" | "disabled" | "image": whatever the image defines, which we cannot see), restart (restart or
  deploy.restart_policy.condition), volumes (dicts: name, type in {bind, named, tmpfs}, mount_path,
  source as written, repo_path for binds inside the repo, read_only, anonymous, driver, external, line),
  env_keys, env_files (repo-relative paths), labels (secret-looking values redacted), networks, aliases,
  hostname, container_name, command/entrypoint (text, secret-looking arguments redacted),
  max_connections (from the command or a *_MAX_CONNECTIONS variable), max_client_conn/pool_size (poolers),
  profiles, secrets/configs (names only), containers (one dict, the shape Kubernetes workloads use),
  workload_kind ("compose-service"), extends, override_file (True in a *.override.* file: attributes
  not stated there are omitted, not defaulted, so they cannot mask the base file's values on merge).
  Set by the graph stage: included_by (top-level compose files whose project `include:`s this file),
  extended_by (services that extend this one from another file), restates (the included service that a
  file beside the includer restates without an image or build).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from auditor.model import Diagnostic, Edge, Facts, Location, Node, Setting, host_ref, node_id
from auditor.parsers import settings
from auditor.parsers.numbers import digits, int_value
from auditor.parsers.redact import REDACTED, SECRET_WORD, secret_arguments, url_credentials
from auditor.parsers.settings import Entry
from auditor.parsers.yaml_source import YList, YMap, load_documents

# deploy: keys that only an orchestrator (Swarm) acts on, or a replica count: production intent.
_ORCHESTRATOR_DEPLOY_KEYS = frozenset(
    {"replicas", "placement", "update_config", "rollback_config", "restart_policy", "endpoint_mode", "mode", "labels"}
)
# Keys that only a compose service definition has (or that together say "this is compose").
_SERVICE_KEYS = frozenset(
    {
        "image", "build", "ports", "environment", "env_file", "depends_on", "volumes", "command", "entrypoint",
        "deploy", "networks", "restart", "healthcheck", "container_name", "links", "expose", "labels",
        "extends", "profiles", "scale", "volumes_from", "network_mode", "working_dir", "hostname", "tmpfs",
        "cap_add", "ulimits", "logging", "secrets", "configs", "stop_grace_period", "platform", "init",
    }
)

# (engine, kind, image names). An image matches on its last path component (tag and digest dropped).
_ENGINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("postgres", "datastore", ("postgres", "postgresql", "postgresql-repmgr", "postgis", "timescaledb",
                               "timescaledb-ha", "pgvector", "postgres-alpine")),
    ("mysql", "datastore", ("mysql", "mysql-server", "percona", "percona-server")),
    ("mariadb", "datastore", ("mariadb", "mariadb-galera")),
    ("mongo", "datastore", ("mongo", "mongodb", "mongodb-community-server", "mongodb-sharded")),
    ("mssql", "datastore", ("mssql-server-linux", "azure-sql-edge")),
    ("cockroachdb", "datastore", ("cockroach",)),
    ("cassandra", "datastore", ("cassandra", "scylla")),
    ("elasticsearch", "datastore", ("elasticsearch", "opensearch")),
    ("clickhouse", "datastore", ("clickhouse", "clickhouse-server")),
    ("neo4j", "datastore", ("neo4j",)),
    ("couchdb", "datastore", ("couchdb",)),
    ("couchbase", "datastore", ("couchbase", "couchbase-server")),
    ("influxdb", "datastore", ("influxdb",)),
    ("dynamodb", "datastore", ("dynamodb-local",)),
    ("zookeeper", "datastore", ("zookeeper", "cp-zookeeper")),
    ("etcd", "datastore", ("etcd",)),
    ("redis", "cache", ("redis", "redis-stack", "redis-stack-server", "redis-cluster", "keydb")),
    ("valkey", "cache", ("valkey",)),
    ("memcached", "cache", ("memcached",)),
    ("dragonfly", "cache", ("dragonfly",)),
    ("rabbitmq", "queue", ("rabbitmq",)),
    ("kafka", "queue", ("kafka", "cp-kafka", "cp-server", "kafka-kraft")),
    ("redpanda", "queue", ("redpanda",)),
    ("nats", "queue", ("nats", "nats-streaming")),
    ("activemq", "queue", ("activemq", "activemq-artemis", "artemis")),
    ("pulsar", "queue", ("pulsar", "pulsar-all")),
    ("mosquitto", "queue", ("eclipse-mosquitto", "mosquitto")),
    ("elasticmq", "queue", ("elasticmq", "elasticmq-native")),
    ("minio", "storage", ("minio",)),
    ("azurite", "storage", ("azurite",)),
    ("pgbouncer", "proxy", ("pgbouncer",)),
    ("pgpool", "proxy", ("pgpool", "pgpool2", "pgpool-ii")),
    ("proxysql", "proxy", ("proxysql",)),
    ("odyssey", "proxy", ("odyssey",)),
    ("pgcat", "proxy", ("pgcat",)),
)
_ENGINE_BY_NAME = {name: (engine, kind) for engine, kind, names in _ENGINES for name in names}
_MSSQL_PATH = re.compile(r"(^|/)mssql/")

# `-c max_connections=200`, `--max-connections 200`: the separator is `=` or blanks; possessive quantifiers and
# one way to read each blank keep the search linear (`max_connections` and 20,000 spaces once took 5 s).
_MAX_CONN_FLAG = re.compile(r"max[_-]connections(?=[\s=])\s*+(?:=\s*+)?['\"]?([0-9]++)", re.IGNORECASE)
_MAXCLIENTS_FLAG = re.compile(r"--maxclients\s++([0-9]++)", re.IGNORECASE)
_MAX_CONN_ENV = re.compile(r"(^|_)MAX_CONNECTIONS$", re.IGNORECASE)
_MAX_CLIENT_CONN_ENV = re.compile(r"(^|_)MAX_CLIENT_CONN$", re.IGNORECASE)
_POOL_SIZE_ENV = re.compile(r"(^|_)DEFAULT_POOL_SIZE$", re.IGNORECASE)

_SECRET_KEY = re.compile(rf"{SECRET_WORD}|(^|[._-])users$", re.IGNORECASE)
_REDACTED = REDACTED

_OVERRIDE_NAME = re.compile(r"(^|[.-])override([.-]|$)")
_REMOTE_CONTEXT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_MAX_PORT_RANGE = 256
# Defaults nested in defaults (`${A:-${B:-x}}`) that are followed: each level re-reads the rest of the text and
# recurses, so 4,000 levels took 8 s and 1,000 overflowed the stack. Real files nest two or three.
_MAX_INTERPOLATION = 16
# Characters that variable values may add to one interpolated value (a value used 100,000 times in a 2 MB file).
_MAX_SUBSTITUTED = 64 * 1024
# Services in one `extends` chain that are merged (real files chain two or three).
_MAX_EXTENDS = 32
_ALWAYS_KEPT = ("aliases", "workload_kind")
_MAX_COMMAND_ITEMS = 200  # list items searched for the line a launcher starts on
# Environment entries read in one file, all services together: each is interpreted on its own (settings.py, about
# 40 µs), so a 2 MB file of 47,000 took 2.5 s (found by fuzzing). Real services set tens.
MAX_ENVIRONMENT = 10_000
_Level = Literal["error", "warning", "note"]
_CONCATENATED_ON_EXTENDS = frozenset({"ports", "expose", "dns", "dns_search", "tmpfs", "env_file", "external_links"})


def looks_like_compose(value: Any) -> bool:
    """True for a loaded YAML document with a top-level `services:` mapping of compose shape."""
    if not isinstance(value, dict) or "apiVersion" in value or "kind" in value:
        return False
    services = value.get("services")
    if not isinstance(services, dict) or not services:
        return False
    if not all(spec is None or isinstance(spec, dict) for spec in services.values()):
        return False
    return any(isinstance(spec, dict) and _SERVICE_KEYS.intersection(spec) for spec in services.values())


def parse(path: str, text: str) -> Facts:
    """Facts of one compose file; never raises (bad input becomes diagnostics, the rest is still returned)."""
    documents, error = load_documents(text)
    parser = _Parser(path, text.splitlines())
    if error is not None:
        parser.problem(f"invalid YAML: {error.message}", error.line, error.code)
    mappings = [document for document in documents if isinstance(document.value, YMap)]
    if documents and not mappings:
        parser.problem("not a compose file: the top level is not a mapping", documents[0].line)
    if mappings:
        if len(mappings) > 1:
            parser.problem("more than one YAML document; only the first is read as compose", mappings[1].line,
                           level="warning")
        parser.read(mappings[0].value)
    return Facts(path, "compose", tuple(parser.nodes), tuple(parser.edges), tuple(parser.diagnostics),
                 extra=parser.extra)


@dataclass
class _Parser:
    path: str
    lines: list[str]
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scope = posixpath.dirname(self.path) or "."
        self.override = bool(_OVERRIDE_NAME.search(posixpath.basename(self.path).lower()))
        self.services = YMap()
        self.top_volumes = YMap()
        self.extended: dict[str, YMap | None] = {}  # service name → its definition with `extends` merged
        self.environment_read = 0  # entries of every service's environment so far (MAX_ENVIRONMENT)

    # --- helpers ---------------------------------------------------------------------------------------

    def problem(self, message: str, line: int | None, code: str = "parse-error", level: _Level = "error") -> None:
        self.diagnostics.append(Diagnostic(self.path, message, line, code, level))

    def at(self, mapping: YMap, key: Any) -> Location:
        start, end = mapping.span_of(key)
        return Location(self.path, start, self.trim(start, end))

    def trim(self, start: int, end: int) -> int:
        """Drop trailing lines that belong to the next key (a block collection's end mark sits on that key)."""
        if not 0 < start <= len(self.lines):
            return end
        indent = _indent(self.lines[start - 1])
        while end > start and end <= len(self.lines):
            text = self.lines[end - 1]
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                deeper = _indent(text) > indent or (_indent(text) == indent and stripped.startswith("- "))
                if deeper:
                    break
            end -= 1
        return end

    def line(self, line: int) -> Location:
        return Location(self.path, line)

    def service_id(self, name: str) -> str:
        return node_id("compose", "service", name, scope=self.scope)

    def repo_path(self, relative: str) -> str:
        """A path written in the compose file → repo-relative normalised POSIX path."""
        relative = relative.replace("\\", "/")
        if relative.startswith("/"):
            return posixpath.normpath(relative)
        return posixpath.normpath(posixpath.join(self.scope, relative))

    # --- the file ----------------------------------------------------------------------------------------

    def read(self, root: YMap) -> None:
        if "version" in root:
            self.extra["version"] = str(root["version"])
        if isinstance(root.get("name"), str):
            self.extra["project_name"] = root["name"]
        if "include" in root:
            self.includes(root)
        services = root.get("services")
        if services is None:
            if "services" in root:
                self.problem("`services:` is empty", root.line_of("services"), level="warning")
            return
        if not isinstance(services, YMap):
            self.problem("`services:` must be a mapping of service name to definition", root.line_of("services"))
            return
        volumes = root.get("volumes")
        if isinstance(volumes, YMap):
            self.top_volumes = volumes
        self.services = services
        aliases: dict[str, list[str]] = {}
        built: list[tuple[str, dict[str, Any], dict[str, Location], tuple[Setting, ...], str, Location]] = []
        for name, raw in services.items():
            name = str(name)
            spec = self.resolve_extends(name, raw, set())
            if spec is None:
                continue
            loc = self.at(services, name)
            own = raw if isinstance(raw, YMap) else spec  # `name:` with no definition: an empty one
            attrs, evidence, kind, node_settings = self.service(name, spec, own, aliases)
            built.append((name, attrs, evidence, node_settings, kind, loc))
        for name, attrs, evidence, node_settings, kind, loc in built:
            linked = aliases.get(name, [])
            if linked:
                attrs["aliases"] = sorted({*attrs.get("aliases", []), *linked})
            self.nodes.append(Node(self.service_id(name), kind, name, "compose", "service", loc, attrs, evidence,
                                   node_settings))

    def includes(self, root: YMap) -> None:
        """`include:` entries as written, for the graph stage to follow (paths are interpolated there, with the
        project's variables); one that cannot be followed (remote, absolute, outside the repository) is a note."""
        value = root.get("include")
        if not isinstance(value, YList):
            self.problem("`include` must be a list", root.line_of("include"), level="warning")
            return
        found: list[dict[str, Any]] = []
        for index, item in enumerate(value):
            line = value.line_of(index)
            project = None
            if isinstance(item, str):
                paths, env_files = [item], []
            elif isinstance(item, dict):
                paths, env_files = _strings(item.get("path")), _strings(item.get("env_file"))
                project = item.get("project_directory") if isinstance(item.get("project_directory"), str) else None
            else:
                paths, env_files = [], []
            if not paths:
                self.problem("an `include` entry needs a path", line, level="warning")
                continue
            followed = [path for path in paths if inside(self.scope, interpolate(path)) is not None]
            if len(followed) < len(paths):
                self.problem("an included file outside the repository (remote, absolute or above its root) is "
                             "not followed", line, code="not-followed", level="note")
            if followed:
                found.append({"paths": tuple(followed), "env_files": tuple(env_files), "project_directory": project,
                              "line": line})
        self.extra["include"] = found

    def resolve_extends(self, name: str, raw: Any, seen: set[str]) -> YMap | None:
        """The service definition with a same-file `extends:` base merged under it (each service is resolved
        once: a chain of a thousand was resolved again from every link, and overflowed the stack)."""
        if name not in self.extended:
            self.extended[name] = self._resolve_extends(name, raw, seen)
        return self.extended[name]

    def _resolve_extends(self, name: str, raw: Any, seen: set[str]) -> YMap | None:
        if raw is None:
            raw = YMap()
            raw.line = raw.end_line = self.services.line_of(name)
        if not isinstance(raw, YMap):
            self.problem(f"service `{name}` must be a mapping", self.services.line_of(name))
            return None
        extends = raw.get("extends")
        if extends is None:
            return raw
        base_name, other_file = extends, None
        if isinstance(extends, dict):
            base_name, other_file = extends.get("service"), extends.get("file")
        if not isinstance(base_name, str):
            self.problem(f"service `{name}`: `extends` needs a `service`", raw.line_of("extends"), level="warning")
            return raw
        if other_file is not None and self.repo_path(interpolate(str(other_file))) != self.path:
            return raw  # another file: recorded as an attribute, merged in the graph stage (graph/compose_projects.py)
        if name in seen or base_name in seen or base_name == name:
            self.problem(f"service `{name}`: `extends` cycle through `{base_name}`", raw.line_of("extends"))
            return raw
        if len(seen) >= _MAX_EXTENDS:
            self.problem(f"service `{name}`: `extends` chain longer than {_MAX_EXTENDS} services; it is not followed "
                         "further", raw.line_of("extends"), code="too-deep", level="warning")
            return raw
        base_raw = self.services.get(base_name)
        if base_name not in self.services:
            self.problem(f"service `{name}` extends `{base_name}`, which this file does not define",
                         raw.line_of("extends"), level="warning")
            return raw
        base = self.resolve_extends(base_name, base_raw, {*seen, name})
        return _overlay(base, raw) if base is not None else raw

    # --- one service -------------------------------------------------------------------------------------

    def service(
        self, name: str, spec: YMap, raw: YMap, aliases: dict[str, list[str]]
    ) -> tuple[dict[str, Any], dict[str, Location], str, tuple[Setting, ...]]:
        sid = self.service_id(name)
        attrs: dict[str, Any] = {"workload_kind": "compose-service"}
        evidence: dict[str, Location] = {}

        def stated(attr: str, key: Any, mapping: YMap = spec) -> None:
            evidence[attr] = self.at(mapping, key)

        kind = "service"
        image = spec.get("image")
        if image is not None:
            attrs["image"] = _interpolate(str(image))
            stated("image", "image")
            found = engine_of(attrs["image"])
            if found is not None:
                attrs["engine"], kind = found
                stated("engine", "image")
        self.build(spec, attrs, stated)
        self.ports(spec, attrs, stated)
        self.replicas(spec, attrs, evidence)
        self.resources(spec, attrs, evidence)
        self.healthcheck(spec, attrs, stated)
        self.restart(spec, attrs, evidence)
        self.volumes(spec, attrs, stated)
        written = self.environment(name, spec, attrs, stated)
        entries = [Entry(key, None if value is None else interpolate(value), where) for key, value, where in written]
        if entries:
            attrs["env"] = settings.env_values(entries)
        self.env_files(sid, spec, attrs, stated)
        self.labels(spec, attrs, stated)
        self.networks(spec, attrs, stated)
        for key in ("hostname", "container_name", "working_dir"):
            if isinstance(spec.get(key), str):
                attrs[key] = spec[key]
                stated(key, key)
        for key in ("command", "entrypoint"):
            if spec.get(key) is not None:
                attrs[key] = _redact(_command_text(spec[key]))
                stated(key, key)
        for key in ("profiles", "secrets", "configs"):
            names = _names(spec.get(key), "source")
            if names:
                attrs[key] = names
                stated(key, key)
        if isinstance(spec.get("logging"), dict) and spec["logging"].get("driver") is not None:
            attrs["logging_driver"] = str(spec["logging"]["driver"])
            stated("logging_driver", "logging")
        extends = raw.get("extends")
        if isinstance(extends, str):
            attrs["extends"] = {"service": extends}
        elif isinstance(extends, dict):
            attrs["extends"] = {key: str(value) for key, value in extends.items() if key in ("service", "file")}
        if "extends" in attrs:
            stated("extends", "extends", raw)
        self.connections(spec, attrs, entries, evidence)
        attrs["containers"] = _containers(name, attrs)
        self.dependencies(sid, name, spec, aliases)
        launcher = self.launcher_settings(spec)
        node_settings = self.interpret(sid, entries) + launcher
        self.extra.setdefault("services", {})[name] = {
            "environment": tuple(written), "launcher": len(launcher), "written": _written_scalars(spec)}
        if self.override:
            attrs = {key: value for key, value in attrs.items() if key in evidence or key in _ALWAYS_KEPT}
            attrs["override_file"] = True
        return attrs, evidence, kind, node_settings

    def build(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        build = spec.get("build")
        if build is None:
            return
        context: Any = build
        if isinstance(build, dict):
            context = build.get("context", ".")
            if isinstance(build.get("dockerfile"), str):
                attrs["dockerfile"] = build["dockerfile"]
        if not isinstance(context, str):
            self.problem("`build` must be a path or a mapping with `context`", spec.line_of("build"),
                         level="warning")
            return
        context = _interpolate(context)
        if _REMOTE_CONTEXT.match(context):
            attrs["build_remote"] = url_credentials(context)
            stated("build_remote", "build")
            return
        attrs["build_context"] = self.repo_path(context)
        stated("build_context", "build")

    def ports(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        container: list[int] = []
        published: list[int] = []
        for key in ("ports", "expose"):
            items = spec.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                self.problem(f"`{key}` must be a list", spec.line_of(key), level="warning")
                continue
            for index, item in enumerate(items):
                targets, hosts = _port(item) if key == "ports" else (_port_numbers(_interpolate(str(item))), [])
                if targets is None:
                    line = items.line_of(index) if isinstance(items, YList) else spec.line_of(key)
                    self.problem(f"cannot read port `{item}`", line, level="warning")
                    continue
                container.extend(p for p in targets if p not in container)
                published.extend(p for p in hosts or [] if p not in published)
            stated("ports", key)
        attrs["ports"] = container
        if published:
            attrs["published_ports"] = published
            stated("published_ports", "ports")

    def replicas(self, spec: YMap, attrs: dict[str, Any], evidence: dict[str, Location]) -> None:
        attrs["replicas"] = 1
        deploy = spec.get("deploy")
        if isinstance(deploy, YMap):
            # Plain `docker compose` honours deploy.resources too, so a resources-only block is still a dev
            # file; keys that only an orchestrator acts on (or a replica count) show production intent.
            if set(deploy) & _ORCHESTRATOR_DEPLOY_KEYS:
                attrs["deploy_section"] = True
                evidence["deploy_section"] = self.at(spec, "deploy")
            mode = deploy.get("mode")
            if isinstance(mode, str):
                attrs["deploy_mode"] = mode
                evidence["deploy_mode"] = self.at(deploy, "mode")
                if mode == "global":
                    attrs["replicas"] = None
                    evidence["replicas"] = self.at(deploy, "mode")
            if "replicas" in deploy:
                attrs["replicas"] = _int(deploy["replicas"])
                evidence["replicas"] = self.at(deploy, "replicas")
        if "scale" in spec and not (isinstance(deploy, YMap) and "replicas" in deploy):
            attrs["replicas"] = _int(spec["scale"])
            evidence["replicas"] = self.at(spec, "scale")
        # Stated or not, with the same evidence, so an override that states a count also states this.
        attrs["replicas_explicit"] = "replicas" in evidence
        if "replicas" in evidence:
            evidence["replicas_explicit"] = evidence["replicas"]

    def resources(self, spec: YMap, attrs: dict[str, Any], evidence: dict[str, Location]) -> None:
        requests: dict[str, Any] = {"cpu": None, "memory": None}
        limits: dict[str, Any] = {"cpu": None, "memory": None}
        deploy = spec.get("deploy")
        resources = deploy.get("resources") if isinstance(deploy, YMap) else None
        if isinstance(resources, YMap):
            for section, target in (("limits", limits), ("reservations", requests)):
                values = resources.get(section)
                if isinstance(values, YMap):
                    target["cpu"] = _text(values.get("cpus"))
                    target["memory"] = _text(values.get("memory"))
                    evidence["limits" if section == "limits" else "requests"] = self.at(resources, section)
        for key, target, field_name, attr in (
            ("cpus", limits, "cpu", "limits"),
            ("mem_limit", limits, "memory", "limits"),
            ("mem_reservation", requests, "memory", "requests"),
        ):
            if key in spec and target[field_name] is None:
                target[field_name] = _text(spec[key])
                evidence.setdefault(attr, self.at(spec, key))
        attrs["requests"] = requests
        attrs["limits"] = limits
        if "limits" in evidence or "requests" in evidence:
            evidence["resources"] = evidence.get("limits") or evidence["requests"]

    def healthcheck(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        check = spec.get("healthcheck")
        if check is None:
            attrs["healthcheck"] = None
            attrs["healthcheck_source"] = "image"
            return
        stated("healthcheck", "healthcheck")
        stated("healthcheck_source", "healthcheck")
        test = check.get("test") if isinstance(check, dict) else None
        disabled = isinstance(check, dict) and check.get("disable") is True
        if disabled or (isinstance(test, list) and test[:1] == ["NONE"]) or test == "NONE":
            attrs["healthcheck"], attrs["healthcheck_source"] = False, "disabled"
        elif test:
            attrs["healthcheck"], attrs["healthcheck_source"] = True, "compose"
        else:
            attrs["healthcheck"], attrs["healthcheck_source"] = None, "image"  # timings only: the image's test
        if isinstance(check, dict):
            for key in ("interval", "timeout", "retries", "start_period"):
                if key in check:
                    attrs[f"healthcheck_{key}"] = _text(check[key])

    def restart(self, spec: YMap, attrs: dict[str, Any], evidence: dict[str, Location]) -> None:
        if spec.get("restart") is not None:
            attrs["restart"] = str(spec["restart"])
            evidence["restart"] = self.at(spec, "restart")
            return
        deploy = spec.get("deploy")
        if not isinstance(deploy, YMap):
            return
        policy = deploy.get("restart_policy")
        if isinstance(policy, YMap):
            attrs["restart"] = str(policy.get("condition", "any"))
            evidence["restart"] = self.at(deploy, "restart_policy")

    def volumes(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        mounts: list[dict[str, Any]] = []
        items = spec.get("volumes")
        if items is not None:
            if isinstance(items, list):
                for index, item in enumerate(items):
                    line = items.line_of(index) if isinstance(items, YList) else spec.line_of("volumes")
                    mount = self.volume(item, line)
                    if mount is None:
                        self.problem(f"cannot read volume `{item}`", line, level="warning")
                    else:
                        mounts.append(mount)
            else:
                self.problem("`volumes` must be a list", spec.line_of("volumes"), level="warning")
            stated("volumes", "volumes")
        tmpfs = spec.get("tmpfs")
        if tmpfs is not None:
            for target in [tmpfs] if isinstance(tmpfs, str) else tmpfs if isinstance(tmpfs, list) else []:
                mounts.append({"name": None, "type": "tmpfs", "mount_path": str(target).split(":", 1)[0],
                               "source": None, "read_only": False, "line": spec.line_of("tmpfs")})
            stated("volumes", "volumes" if "volumes" in spec else "tmpfs")
        attrs["volumes"] = mounts
        sources = _names(spec.get("volumes_from"), "")
        if sources:
            attrs["volumes_from"] = sources
            stated("volumes_from", "volumes_from")

    def volume(self, item: Any, line: int) -> dict[str, Any] | None:
        if isinstance(item, dict):
            kind = str(item.get("type", "volume"))
            source = item.get("source")
            target = item.get("target")
            read_only = bool(item.get("read_only", False))
            if not isinstance(target, str):
                return None
            vtype = {"volume": "named", "bind": "bind", "tmpfs": "tmpfs", "npipe": "bind"}.get(kind, kind)
            return self.mount(vtype, _interpolate(str(source)) if source is not None else None, target, read_only,
                              line)
        if not isinstance(item, str):
            return None
        text = _interpolate(item)
        windows = _WINDOWS_PATH.match(text)
        head, rest = (text[:2], text[2:]) if windows else ("", text)
        parts = rest.split(":")
        parts[0] = head + parts[0]
        if len(parts) == 1:
            return self.mount("named", None, parts[0], False, line)
        source, target = parts[0], parts[1]
        mode = parts[2] if len(parts) > 2 else ""
        read_only = "ro" in mode.split(",")
        is_path = source.startswith((".", "/", "~", "$")) or "/" in source or bool(_WINDOWS_PATH.match(source))
        return self.mount("bind" if is_path else "named", source, target, read_only, line)

    def mount(self, vtype: str, source: str | None, target: str, read_only: bool, line: int) -> dict[str, Any]:
        mount: dict[str, Any] = {"name": None, "type": vtype, "mount_path": target, "source": source,
                                 "read_only": read_only, "line": line}
        if vtype == "named":
            mount["name"] = source
            mount["anonymous"] = source is None
            declared = self.top_volumes.get(source) if source is not None else None
            if isinstance(declared, dict):
                if declared.get("driver") is not None:
                    mount["driver"] = str(declared["driver"])
                if declared.get("external"):
                    mount["external"] = True
                options = declared.get("driver_opts")
                if isinstance(options, dict) and options.get("type") is not None:
                    mount["driver_type"] = str(options["type"])  # e.g. nfs: shared between hosts
        elif vtype == "bind" and source is not None and not source.startswith(("/", "~", "$")) \
                and not _WINDOWS_PATH.match(source):
            mount["repo_path"] = self.repo_path(source)
        return mount

    def environment(self, name: str, spec: YMap, attrs: dict[str, Any], stated: Any) -> list[RawEntry]:
        """The environment as written (values before interpolation; None for a key with no value)."""
        entries: list[RawEntry] = []
        env = spec.get("environment")
        attrs["env_keys"] = []
        if env is None:
            return entries
        if isinstance(env, YMap):
            for key, value in env.items():
                if self._environment_full(env.line_of(key)):
                    break
                entries.append((str(key), _env_raw(value), self.at(env, key)))
        elif isinstance(env, YList):
            for index, item in enumerate(env):
                if self._environment_full(env.line_of(index)):
                    break
                if not isinstance(item, str):
                    self.problem(f"service `{name}`: environment entry `{item}` is not KEY=VALUE",
                                 env.line_of(index), level="warning")
                    continue
                key, sep, value = item.partition("=")
                entries.append((key.strip(), value if sep else None, self.line(env.line_of(index))))
        else:
            self.problem(f"service `{name}`: `environment` must be a list or a mapping", spec.line_of("environment"),
                         level="warning")
            return entries
        attrs["env_keys"] = [key for key, _, _ in entries]
        stated("env_keys", "environment")
        return entries

    def _environment_full(self, line: int) -> bool:
        """Whether the file's environment entries have reached MAX_ENVIRONMENT (said once, at this entry)."""
        if self.environment_read >= MAX_ENVIRONMENT:
            if self.environment_read == MAX_ENVIRONMENT:
                self.problem(f"more than {MAX_ENVIRONMENT:,} environment entries in this file; from this line on "
                             "they are not read", line, "limit", "warning")
                self.environment_read += 1
            return True
        self.environment_read += 1
        return False

    def env_files(self, sid: str, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        files = spec.get("env_file")
        if files is None:
            return
        items: list[tuple[Any, int]]
        if isinstance(files, YList):
            items = [(item, files.line_of(index)) for index, item in enumerate(files)]
        else:
            items = [(files, spec.line_of("env_file"))]
        paths: list[str] = []
        for item, line in items:
            required = True
            if isinstance(item, dict):
                required = item.get("required", True) is not False
                item = item.get("path")
            if not isinstance(item, str):
                self.problem(f"cannot read env_file `{item}`", line, level="warning")
                continue
            repo_path = self.repo_path(_interpolate(item))
            paths.append(repo_path)
            config = node_id("appconfig", "config", repo_path)
            self.edges.append(Edge(config, sid, "configures", self.line(line),
                                   {"via": "env_file", "required": required}))
        attrs["env_files"] = paths
        stated("env_files", "env_file")

    def labels(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        labels = spec.get("labels")
        if labels is None:
            return
        result: dict[str, str] = {}
        if isinstance(labels, dict):
            pairs: Iterable[tuple[Any, Any]] = labels.items()
        elif isinstance(labels, list):
            pairs = [str(item).partition("=")[::2] for item in labels]
        else:
            pairs = []
        for key, value in pairs:
            key = str(key)
            text = "" if value is None else _text(value) or ""
            result[key] = _REDACTED if text and _SECRET_KEY.search(key) else _redact(text)
        attrs["labels"] = result
        stated("labels", "labels")

    def networks(self, spec: YMap, attrs: dict[str, Any], stated: Any) -> None:
        networks = spec.get("networks")
        if isinstance(networks, dict):
            attrs["networks"] = [str(key) for key in networks]
            aliases = sorted({str(alias) for value in networks.values() if isinstance(value, dict)
                              for alias in value.get("aliases") or [] if isinstance(alias, str | int)})
            if aliases:
                attrs["aliases"] = aliases
            stated("networks", "networks")
        elif isinstance(networks, list):
            attrs["networks"] = [str(item) for item in networks]
            stated("networks", "networks")
        mode = spec.get("network_mode")
        if isinstance(mode, str):
            attrs["network_mode"] = mode
            stated("network_mode", "network_mode")

    def connections(self, spec: YMap, attrs: dict[str, Any], entries: list[Entry],
                    evidence: dict[str, Location]) -> None:
        """max_connections (and pooler sizes) from the command or the environment."""
        command = spec.get("command")
        if command is not None:
            text = _command_text(command)
            match = _MAX_CONN_FLAG.search(text) or _MAXCLIENTS_FLAG.search(text)
            if match and digits(match.group(1)) is not None:
                attrs["max_connections"] = digits(match.group(1))
                evidence["max_connections"] = self.at(spec, "command")
        _env_connections(attrs, evidence, entries)

    def dependencies(self, sid: str, name: str, spec: YMap, aliases: dict[str, list[str]]) -> None:
        depends = spec.get("depends_on")
        if isinstance(depends, YList):
            for index, other in enumerate(depends):
                if isinstance(other, str):
                    self.depends(sid, other, self.line(depends.line_of(index)), {"via": "depends_on"})
        elif isinstance(depends, YMap):
            for other, options in depends.items():
                attrs: dict[str, Any] = {"via": "depends_on"}
                if isinstance(options, dict):
                    for key in ("condition", "required", "restart"):
                        if key in options:
                            attrs[key] = options[key]
                self.depends(sid, str(other), self.at(depends, other), attrs)
        elif depends is not None:
            self.problem(f"service `{name}`: `depends_on` must be a list or a mapping", spec.line_of("depends_on"),
                         level="warning")
        links = spec.get("links")
        if isinstance(links, YList):
            for index, link in enumerate(links):
                target, _, alias = str(link).partition(":")
                attrs = {"via": "links"}
                if alias:
                    attrs["alias"] = alias
                    aliases.setdefault(target, []).append(alias)
                self.depends(sid, target, self.line(links.line_of(index)), attrs)
        sources = spec.get("volumes_from")
        if isinstance(sources, YList):
            for index, source in enumerate(sources):
                text = str(source)
                if not text.startswith("container:"):
                    self.depends(sid, text.split(":", 1)[0], self.line(sources.line_of(index)),
                                 {"via": "volumes_from"})
        mode = spec.get("network_mode")
        if isinstance(mode, str) and mode.startswith("service:"):
            self.depends(sid, mode[len("service:"):], self.at(spec, "network_mode"), {"via": "network_mode"})

    def depends(self, sid: str, other: str, where: Location, attrs: dict[str, Any]) -> None:
        if other in self.services:
            attrs["target_defined"] = True
        self.edges.append(Edge(sid, self.service_id(other), "depends_on", where, attrs))

    def launcher_settings(self, spec: YMap) -> tuple[Setting, ...]:
        """`tracing` settings for a command/entrypoint that starts the process under a tracer, on the line of
        the list item where the launcher starts (the key's line for a string)."""
        found: list[Setting] = []
        for key in ("entrypoint", "command"):
            value = spec.get(key)
            if value is None:
                continue
            system = settings.command_tracing(_command_text(value))
            if system is None:
                continue
            where = self.at(spec, key)
            if isinstance(value, YList):
                parts = [str(part) for part in value][:_MAX_COMMAND_ITEMS]
                start = max((index for index in range(len(parts))
                             if settings.command_tracing(" ".join(parts[index:])) is not None), default=None)
                if start is not None:
                    where = self.line(value.line_of(start))
            found.append(Setting("tracing", key, system, where, "compose"))
        return tuple(found)

    def interpret(self, sid: str, entries: list[Entry]) -> tuple[Setting, ...]:
        """Settings of the service, and an edge per host its environment names."""
        edges, found, problem = _environment_facts(sid, entries, {})
        if problem is not None:
            self.diagnostics.append(problem)
        self.edges.extend(edges)
        return found


# --- across files: what the graph stage asks of compose (graph/compose_projects.py) ----------------------------

RawEntry = tuple[str, str | None, Location]  # an environment entry as written: key, value (None: none), line


@dataclass(frozen=True)
class Environment:
    """The variables a compose file is interpolated with (its project's `.env`), and the line setting each."""

    values: dict[str, str] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)

    def filled_from(self, other: Environment) -> Environment:
        """These variables, with those of `other` that these do not set (compose-go's `Mapping.Merge`)."""
        values, locations = dict(self.values), dict(self.locations)
        for name, value in other.values.items():
            if name not in values:
                values[name] = value
                locations[name] = other.locations[name]
        return Environment(values, locations)


@dataclass(frozen=True)
class ServiceDef:
    """One service as the graph stage combines it across files: its node, its environment as written, the
    env files it loads (`configures` edges into it), the settings its command/entrypoint implies, and the
    scalars (`image`, replica count) written with a variable."""

    node: Node
    environment: tuple[RawEntry, ...] = ()
    env_files: tuple[Edge, ...] = ()
    launcher: tuple[Setting, ...] = ()
    written: dict[str, str] = field(default_factory=dict)
    extended: bool = False  # a base from another file was merged in


@dataclass(frozen=True)
class Include:
    """One `include:` entry, resolved: the compose files (the first is the main one, the others its overrides),
    the env files that give them their variables, and the project directory their paths are relative to."""

    files: tuple[str, ...]
    env_files: tuple[str, ...]
    project_directory: str
    location: Location


def inside(scope: str, path: str) -> str | None:
    """`path` written in a compose file of directory `scope` → a repo-relative path, or None when it is remote,
    absolute or above the repository root (nothing outside the audited repository is read)."""
    path = path.replace("\\", "/").strip()
    if not path or _REMOTE_CONTEXT.match(path) or path.startswith(("/", "~", "$")) or _WINDOWS_PATH.match(path):
        return None
    joined = posixpath.normpath(posixpath.join(scope, path))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def service_defs(facts: Facts) -> dict[str, ServiceDef]:
    """The services of one compose file's facts, by name."""
    info = facts.extra.get("services")
    info = info if isinstance(info, dict) else {}
    env_files: dict[str, list[Edge]] = {}
    for edge in facts.edges:
        if edge.kind == "configures" and edge.attrs.get("via") == "env_file":
            env_files.setdefault(edge.target, []).append(edge)
    defs: dict[str, ServiceDef] = {}
    for node in facts.nodes:
        data = info.get(node.name)
        data = data if isinstance(data, dict) else {}
        count = data.get("launcher", 0)
        count = count if isinstance(count, int) and 0 < count <= len(node.settings) else 0
        written = data.get("written")
        defs[node.name] = ServiceDef(
            node,
            tuple(data.get("environment") or ()),
            tuple(env_files.get(node.id, ())),
            node.settings[len(node.settings) - count :] if count else (),
            dict(written) if isinstance(written, dict) else {},
        )
    return defs


def includes_of(facts: Facts, variables: Mapping[str, str]) -> list[Include]:
    """The `include:` entries of a compose file, paths interpolated with `variables` and confined to the repo.

    Per the Compose Specification: the project directory of an included file is its own directory unless
    `project_directory` says otherwise; its variables come from `env_file` (relative to the including file),
    by default the `.env` of that project directory.
    """
    scope = posixpath.dirname(facts.path) or "."
    found: list[Include] = []
    for entry in facts.extra.get("include") or []:
        if not isinstance(entry, dict):
            continue
        files = tuple(path for path in (inside(scope, interpolate(str(p), variables)) for p in entry.get("paths", ()))
                      if path is not None)
        if not files:
            continue
        written = entry.get("project_directory")
        project = inside(scope, interpolate(written, variables)) if isinstance(written, str) else None
        project = project or posixpath.dirname(files[0]) or "."
        env_files = tuple(path for path in (inside(scope, interpolate(str(p), variables))
                                            for p in entry.get("env_files", ())) if path is not None)
        if not entry.get("env_files"):
            env_files = (posixpath.normpath(posixpath.join(project, ".env")),)
        found.append(Include(files, env_files, project, Location(facts.path, int(entry.get("line") or 1))))
    return found


def extends_file(facts: Facts, service: ServiceDef, variables: Mapping[str, str]) -> tuple[str, str] | None:
    """(repo path, service name) of the base a service `extends` in another file, or None."""
    extends = service.node.attrs.get("extends")
    if not isinstance(extends, dict) or not isinstance(extends.get("file"), str) \
            or not isinstance(extends.get("service"), str):
        return None
    path = inside(posixpath.dirname(facts.path) or ".", interpolate(extends["file"], variables))
    if path is None or path == facts.path:
        return None
    return path, extends["service"]


def extend(child: ServiceDef, base: ServiceDef) -> ServiceDef:
    """`extends` across files: what the base states and the child does not, the child gets (with the base's
    evidence line); environment and labels merge by key, ports and env files add up, volumes merge by mount
    path; the rest the child states wins. Keys that name other services (`depends_on`, links) are never
    shared (a base that has them is refused by compose), so only the node and its own facts are merged."""
    node, other = child.node, base.node
    attrs, evidence = dict(node.attrs), dict(node.evidence)
    image_stated = "image" in node.evidence or "build_context" in node.evidence
    for key, where in other.evidence.items():
        if key not in other.attrs or (image_stated and key in ("engine", "image", "build_context", "dockerfile")):
            continue
        if key in node.evidence:
            attrs[key] = _merged_attr(key, other.attrs[key], node.attrs.get(key))
        else:
            attrs[key] = other.attrs[key]
            evidence[key] = where
    if not image_stated and "dockerfile" in other.attrs:
        attrs["dockerfile"] = other.attrs["dockerfile"]  # stated with `build`, which carries the evidence
    kind = node.kind if image_stated else other.kind
    if not attrs.get("override_file"):
        attrs["containers"] = _containers(node.name, attrs)
    own_keys = {key for key, _, _ in child.environment}
    environment = tuple(entry for entry in base.environment if entry[0] not in own_keys) + child.environment
    env_files = tuple(dataclasses.replace(edge, target=node.id) for edge in base.env_files) + child.env_files
    states_launch = "command" in node.evidence or "entrypoint" in node.evidence
    launcher = child.launcher if states_launch or child.launcher else base.launcher
    written = {key: value for key, value in base.written.items()
               if ("image" if key == "image" else "replicas") not in node.evidence}
    written.update(child.written)
    merged = dataclasses.replace(node, kind=kind, attrs=attrs, evidence=evidence)
    return ServiceDef(merged, environment, env_files, launcher, written, extended=True)


def realise(service: ServiceDef, variables: Environment,
            by_file: Mapping[str, Environment] | None = None) -> tuple[Node, list[Edge]]:
    """The node and environment edges of a service, its environment and `image`/replica count interpolated
    with the project's variables (or, for what is written in a file of `by_file`, with that file's: an
    included file keeps the variables it was included with). An edge made from an interpolated value keeps
    the compose line as its evidence (where the service asks for the value, and where a suppression comment
    goes) and names the `.env` lines that supplied it in `interpolated_from`."""
    by_file = by_file or {}
    node = service.node
    entries: list[Entry] = []
    origins: dict[str, list[str]] = {}
    for key, written, where in service.environment:
        chosen = by_file.get(where.path, variables)
        values = chosen.values
        used: set[str] = set()
        if written is None:  # `- KEY` / `KEY:`: the value compose has for KEY, from the shell or the .env
            value = values.get(key)
            if key in values:
                used.add(key)
        else:
            value = interpolate(written, values, used)
        entries.append(Entry(key, value, where))
        if used:
            origins[key] = sorted(str(chosen.locations[name]) for name in used)
    edges, found, _ = _environment_facts(node.id, entries, origins)
    attrs, evidence, kind = dict(node.attrs), dict(node.evidence), node.kind
    if entries:
        attrs["env"] = settings.env_values(entries)

    def values_at(attr: str) -> dict[str, str]:
        where = evidence.get(attr)
        return (by_file.get(where.path, variables) if where is not None else variables).values

    if "image" in service.written:
        image = interpolate(service.written["image"], values_at("image"))
        attrs["image"] = image
        engine = engine_of(image)
        attrs.pop("engine", None)
        evidence.pop("engine", None)
        kind = "service" if kind in ("datastore", "cache", "queue", "storage", "proxy") else kind
        if engine is not None:
            attrs["engine"], kind = engine
            if "image" in evidence:
                evidence["engine"] = evidence["image"]
    count = service.written.get("replicas") or (
        service.written.get("scale") if attrs.get("replicas") is None and attrs.get("deploy_mode") != "global"
        else None)
    if count is not None:
        attrs["replicas"] = _int(interpolate(count, values_at("replicas")))
    env_lines = {where for _, _, where in service.environment}
    for attr in _ENV_CONNECTION_ATTRS:
        if evidence.get(attr) in env_lines:
            attrs.pop(attr, None)
            evidence.pop(attr, None)
    _env_connections(attrs, evidence, entries)
    if not attrs.get("override_file"):  # an override states only what it states (see `_merge_nodes`)
        attrs["containers"] = _containers(node.name, attrs)
    realised = dataclasses.replace(node, kind=kind, attrs=attrs, evidence=evidence,
                                   settings=found + service.launcher)
    return realised, edges


def _merged_attr(key: str, base: Any, own: Any) -> Any:
    """One attribute both the base and the extending service state."""
    if key in ("ports", "published_ports", "env_files", "env_keys", "profiles") and isinstance(base, list) \
            and isinstance(own, list):
        return [*(item for item in base if item not in own), *own]
    if key == "volumes" and isinstance(base, list) and isinstance(own, list):
        targets = {volume.get("mount_path") for volume in own if isinstance(volume, dict)}
        return [*(v for v in base if not isinstance(v, dict) or v.get("mount_path") not in targets), *own]
    if key == "labels" and isinstance(base, dict) and isinstance(own, dict):
        return {**base, **own}
    return own


def _environment_facts(sid: str, entries: list[Entry], origins: Mapping[str, list[str]]
                       ) -> tuple[list[Edge], tuple[Setting, ...], Diagnostic | None]:
    """An edge per host the environment names (tagged `via: environment`) and the settings it states."""
    if not entries:
        return [], (), None
    try:
        result = settings.interpret(entries)
    except Exception as error:  # noqa: BLE001 - a defect in the interpreter must not lose the nodes
        where = entries[0].location
        return [], (), Diagnostic(where.path, f"could not interpret the environment ({type(error).__name__}: "
                                              f"{error})", where.line, "internal-error", "warning")
    edges: list[Edge] = []
    for link in result.links:
        attrs: dict[str, Any] = {**link.attrs(), "via": "environment"}
        if not link.database:
            del attrs["database"]
        if link.key in origins:
            attrs["interpolated_from"] = origins[link.key]
        edges.append(Edge(sid, host_ref(link.host), link.kind, link.location, attrs))
    return edges, tuple(result.settings), None


_ENV_CONNECTION_ATTRS = ("max_connections", "max_client_conn", "pool_size")


def _env_connections(attrs: dict[str, Any], evidence: dict[str, Location], entries: list[Entry]) -> None:
    """max_connections, max_client_conn and pool_size from `*_MAX_CONNECTIONS`-style variables, unless set."""
    for entry in entries:
        for pattern, attr in ((_MAX_CONN_ENV, "max_connections"), (_MAX_CLIENT_CONN_ENV, "max_client_conn"),
                              (_POOL_SIZE_ENV, "pool_size")):
            if attr not in attrs and pattern.search(entry.key):
                value = _int(entry.value)
                if value is not None:
                    attrs[attr] = value
                    evidence[attr] = entry.location


def _containers(name: str, attrs: dict[str, Any]) -> list[dict[str, Any]]:
    """The one container of a compose service, in the shape Kubernetes workloads use."""
    return [
        {
            "name": name,
            "image": attrs.get("image"),
            "ports": attrs.get("ports", []),
            "requests": attrs.get("requests", {"cpu": None, "memory": None}),
            "limits": attrs.get("limits", {"cpu": None, "memory": None}),
            "readiness": attrs.get("healthcheck") is True,
            "liveness": attrs.get("healthcheck") is True,
        }
    ]


def _strings(value: Any) -> list[str]:
    """A string or a list of strings (other items dropped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


# --- values ------------------------------------------------------------------------------------------------


def engine_of(image: str) -> tuple[str, str] | None:
    """(engine, kind) of a known datastore/cache/queue/storage/pooler image, else None."""
    ref = image.strip().lower().split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    name = last.split(":", 1)[0]
    if name in _ENGINE_BY_NAME:
        return _ENGINE_BY_NAME[name]
    if _MSSQL_PATH.search(ref):
        return "mssql", "datastore"
    return None


def _overlay(base: YMap, top: YMap) -> YMap:
    """`extends` semantics, simplified: mappings merge, a few lists concatenate, anything else `top` wins."""
    merged = YMap()
    merged.line, merged.end_line = top.line, top.end_line
    for source in (base, top):
        for key, value in source.items():
            if key == "extends" and source is base:
                continue
            previous = merged.get(key)
            if source is top and isinstance(previous, YMap) and isinstance(value, YMap):
                value = _overlay(previous, value)
            elif source is top and key in _CONCATENATED_ON_EXTENDS and isinstance(previous, YList) \
                    and isinstance(value, YList):
                combined = YList()
                combined.line, combined.end_line = value.line, value.end_line
                combined.extend([*previous, *value])
                combined.item_lines = [*previous.item_lines, *value.item_lines]
                value = combined
            merged[key] = value
            merged.key_lines[key] = source.key_lines.get(key, (source.line, source.end_line))
    return merged


def interpolate(text: str, variables: Mapping[str, str] | None = None, used: set[str] | None = None) -> str:
    """Compose interpolation (Compose Specification, "Interpolation") with `variables` as the project
    environment: the `.env` of the project directory. Names whose value was taken are added to `used`.

    A variable that `variables` does not set is one we cannot see (the shell may set it): `${VAR}`, `$VAR`,
    `${VAR?err}` and `${VAR:?err}` stay as written, unresolved, so rules can say they could not judge, while
    `${VAR:-default}`/`${VAR-default}` give the default and `${VAR:+alt}`/`${VAR+alt}` give nothing, as compose
    does for an unset variable. `$$` (a literal `$`) stays as written. Defaults nested in defaults are followed
    `_MAX_INTERPOLATION` levels deep; when values would add more than `_MAX_SUBSTITUTED` characters the text is
    returned as written.
    """
    if "$" not in text:
        return text
    budget = [_MAX_SUBSTITUTED]
    try:
        return _interpolate_level(text, variables or {}, used if used is not None else set(), budget, 0)
    except _TooLong:
        return text


def _interpolate(text: str) -> str:
    """Interpolation with no project environment: defaults only."""
    return interpolate(text)


class _TooLong(Exception):
    """Substituted values outgrew `_MAX_SUBSTITUTED`."""


def _interpolate_level(text: str, variables: Mapping[str, str], used: set[str], budget: list[int],
                       level: int) -> str:
    if level >= _MAX_INTERPOLATION:
        return text
    out: list[str] = []
    index = 0
    for token in _DOLLAR.finditer(text):
        if token.start() < index:
            continue  # inside a `${…}` already read
        out.append(text[index : token.start()])
        index = token.end()
        if token.group() == "$$":
            out.append("$$")
        elif token.group(1) is not None:  # $VAR
            out.append(_value(token.group(1), variables, used, budget) if token.group(1) in variables
                       else token.group())
        else:
            end = _closing_brace(text, token.start())
            if end < 0:
                out.append(text[token.start() :])
                return "".join(out)
            replaced = _substitute(text[token.start() + 2 : end], variables, used, budget, level)
            out.append(text[token.start() : end + 1] if replaced is None else replaced)
            index = end + 1
    out.append(text[index:])
    return "".join(out)


def _substitute(body: str, variables: Mapping[str, str], used: set[str], budget: list[int],
                level: int) -> str | None:
    """The value of one `${…}` body, or None to leave it as written."""
    match = _BRACED.match(body)
    if match is None:
        return None  # not compose syntax (`${a.b}`, `${A:b}`): compose would refuse it; keep what is written
    name, operator = match.group(1), match.group(2)
    rest = body[match.end() :]
    known = name in variables
    filled = known and variables[name] != ""
    if operator == "":
        return _value(name, variables, used, budget) if known else None
    if operator in (":-", "-"):
        if filled or (known and operator == "-"):
            return _value(name, variables, used, budget)
        return _interpolate_level(rest, variables, used, budget, level + 1)
    if operator in (":?", "?"):
        return _value(name, variables, used, budget) if filled or (known and operator == "?") else None
    if known:  # `:+` / `+`: the alternative when set
        used.add(name)
    if filled or (known and operator == "+"):
        return _interpolate_level(rest, variables, used, budget, level + 1)
    return ""


def _value(name: str, variables: Mapping[str, str], used: set[str], budget: list[int]) -> str:
    value = variables[name]
    budget[0] -= len(value)
    if budget[0] < 0:
        raise _TooLong
    used.add(name)
    return value


_DOLLAR = re.compile(r"\$\$|\$\{|\$([A-Za-z_][A-Za-z0-9_]*+)")
_BRACES = re.compile(r"\$\{|\}")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*+)(:[-?+]|[-?+]|(?=\Z))")


def _closing_brace(text: str, start: int) -> int:
    """The index of the `}` that closes the `${` at `start` (nested `${…}` counted), or -1."""
    depth = 0
    for brace in _BRACES.finditer(text, start):
        depth += 1 if brace.group() == "${" else -1
        if depth == 0:
            return brace.start()
    return -1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _env_raw(value: Any) -> str | None:
    """An environment value as compose reads it, before interpolation (None: no value, taken from the shell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _written_scalars(spec: YMap) -> dict[str, str]:
    """`image` and the replica count as written, when they hold a variable the project environment may set."""
    found: dict[str, str] = {}
    deploy = spec.get("deploy")
    for key, value in (("image", spec.get("image")),
                       ("replicas", deploy.get("replicas") if isinstance(deploy, YMap) else None),
                       ("scale", spec.get("scale"))):
        if isinstance(value, str) and "$" in value:
            found[key] = value
    return found


def _port(item: Any) -> tuple[list[int] | None, list[int]]:
    """(container ports, published ports) of one `ports` entry, short or long syntax."""
    if isinstance(item, bool):
        return None, []
    if isinstance(item, int):
        return [item], []
    if isinstance(item, dict):
        targets = _port_numbers(_interpolate(str(item.get("target", ""))))
        published = item.get("published")
        hosts = _port_numbers(_interpolate(str(published))) if published is not None else []
        return targets, hosts or []
    if not isinstance(item, str):
        return None, []
    text = _interpolate(item).split("/", 1)[0].strip()
    if text.startswith("["):  # [::1]:6001:6001
        text = text.split("]:", 1)[-1]
    parts = text.split(":")
    targets = _port_numbers(parts[-1])
    hosts = _port_numbers(parts[-2]) if len(parts) >= 2 and parts[-2] else []
    return targets, hosts or []


def _port_numbers(text: str) -> list[int] | None:
    text = text.split("/", 1)[0].strip()
    low, _, high = text.partition("-")
    first, last = digits(low), digits(high) if high else digits(low)
    if first is None or last is None or last < first:
        return None
    return list(range(first, min(last, first + _MAX_PORT_RANGE - 1) + 1))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int_value(value)
    if isinstance(value, str) and len(value) <= _MAX_NUMBER_TEXT:
        return digits(_interpolate(value).strip())
    return None


# A number as written, defaults and all (`${MAX_CONN:-${FALLBACK:-100}}`), is shorter; a longer value is no number
# and is not interpolated again (2,000 variables of 64 KB each that name `${…}`: 6 s).
_MAX_NUMBER_TEXT = 1_024


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _interpolate(str(value))


def _command_text(command: Any) -> str:
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    return str(command)


def _redact(text: str) -> str:
    """Credentials in URLs and values of secret-looking flags or KEY=VALUE arguments become ***."""
    return secret_arguments(url_credentials(text))


def _names(value: Any, key: str) -> list[str]:
    """Names from a list of strings or of mappings (`source:`), or the keys of a mapping."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(name) for name in value]
    if isinstance(value, list):
        names = []
        for item in value:
            if isinstance(item, dict) and key and item.get(key) is not None:
                names.append(str(item[key]))
            elif isinstance(item, str | int):
                names.append(str(item))
        return names
    return []
