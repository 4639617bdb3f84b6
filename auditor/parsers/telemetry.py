"""What means "this process is traced" or "its metrics are collected", and telemetry configuration files.

Knowledge is data (auditor/knowledge/telemetry.yaml): tracing and metrics libraries per ecosystem, agent
jars and images, tracer config file names, agent environment variables and application tracing switches.
This module answers lookups on it for the other parsers (build files, Dockerfiles, the settings hook) and
parses the telemetry files discovery classifies as kind `telemetry`:

- a tracer's own config file (`newrelic.yml`, `applicationinsights.json`, `jaeger-config.yml`, …): one
  `config` node with a `tracing` setting; the graph stage gives it to the service that reads it;
- a Prometheus config (`scrape_configs`) or an OpenTelemetry collector config (whose `prometheus` receivers
  embed `scrape_configs`): one `config` node with a `scrape_target` setting per static target or DNS name
  (value `host` or `host:port`, key the job name), which the graph stage turns into `scrapes` edges.
  Service discovery (`kubernetes_sd_configs`, `docker_sd_configs`, `file_sd_configs`) names no target here;
  the annotations and labels it keys on are judged on the workloads themselves.

Everything is bounded: keys and values are cut at fixed lengths, patterns are plain prefix/suffix/substring
tests (no regular expression built from the repository's text), and the YAML reader is the shared one.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from auditor.knowledge import load
from auditor.model import Diagnostic, Facts, Location, Node, Setting, node_id
from auditor.parsers.keys import flat_key
from auditor.parsers.numbers import boolean
from auditor.parsers.yaml_source import YList, YMap, load_documents

MAX_KEY = 256  # a longer key or name is nobody's library or variable
MAX_TARGETS = 2_000  # scrape targets read from one file
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_UNRESOLVED = ("${", "{{", "$(", "<%")
_SCRAPE_HINT = re.compile(r"^scrape_configs[ \t]*:", re.MULTILINE)
_COLLECTOR_HINTS = (re.compile(r"^receivers[ \t]*:", re.MULTILINE), re.compile(r"^exporters[ \t]*:", re.MULTILINE),
                    re.compile(r"^service[ \t]*:", re.MULTILINE))
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})


@dataclass(frozen=True)
class Signals:
    """The systems a dependency, agent or file reports traces and metrics to (None: not that signal)."""

    tracing: str | None = None
    metrics: str | None = None


_NONE = Signals()


@dataclass(frozen=True)
class _Pattern:
    """`name` (exact), `name*` (prefix), `*name` (suffix) or `*name*` (substring), without case."""

    core: str
    mode: str

    @classmethod
    def of(cls, text: str) -> _Pattern:
        text = text.lower()
        if len(text) > 1 and text.startswith("*") and text.endswith("*"):
            return cls(text[1:-1], "part")
        if text.endswith("*"):
            return cls(text[:-1], "prefix")
        if text.startswith("*"):
            return cls(text[1:], "suffix")
        return cls(text, "exact")

    def matches(self, name: str) -> bool:
        if self.mode == "exact":
            return name == self.core
        if self.mode == "prefix":
            return name.startswith(self.core)
        if self.mode == "suffix":
            return name.endswith(self.core)
        return self.core in name


@dataclass(frozen=True)
class _Knowledge:
    libraries: dict[str, tuple[tuple[_Pattern, Signals], ...]]
    agent_jars: tuple[tuple[_Pattern, Signals], ...]
    agent_images: dict[str, Signals]
    tracer_files: dict[str, Signals]
    agent_prefixes: tuple[tuple[str, str], ...]  # (flat prefix: lower case, no separators; system)
    agent_off: dict[str, str]
    switch_keys: frozenset[str]
    switch_first: frozenset[str]
    switch_last: frozenset[tuple[str, str]]
    off_switches: tuple[tuple[str, frozenset[str]], ...]


def _signals(entry: dict[str, Any]) -> Signals:
    tracing, metrics = entry.get("tracing"), entry.get("metrics")
    return Signals(str(tracing) if tracing else None, str(metrics) if metrics else None)


@functools.cache
def knowledge() -> _Knowledge:
    """telemetry.yaml, loaded once from the package's own files (never from the audited repository)."""
    data = load("telemetry.yaml")
    libraries = {ecosystem: tuple((_Pattern.of(str(e["name"])), _signals(e)) for group in groups
                                  for e in group["entries"])
                 for ecosystem, groups in data["libraries"].items()}
    agents = data["agents"]
    environment = data["environment"]
    switches = environment["switches"]
    return _Knowledge(
        libraries=libraries,
        agent_jars=tuple((_Pattern.of(str(e["name"])), _signals(e)) for e in agents["java_agent_jars"]),
        agent_images={str(e["name"]).lower(): _signals(e) for e in agents["base_images"]},
        tracer_files={str(e["name"]).lower(): _signals(e) for e in data["tracer_config_files"]},
        agent_prefixes=tuple((flat_key(str(e["prefix"])), str(e["tracing"])) for e in environment["agent_prefixes"]),
        agent_off={str(k): str(v) for k, v in environment["agent_off"].items()},
        switch_keys=frozenset(str(k) for k in switches["keys"]),
        switch_first=frozenset(str(w) for w in switches["first_words"]),
        switch_last=frozenset((str(a), str(b)) for a, b in switches["last_words"]),
        off_switches=tuple((str(e["prefix"]), frozenset(str(v) for v in e["silences"])) for e in data["off_switches"]),
    )


# -- lookups ------------------------------------------------------------------------------------------------


def library(ecosystem: str, name: str) -> Signals:
    """What a declared dependency reports (both None when it is not a telemetry library): the first entry of
    the ecosystem's list that matches decides (a few dozen plain string tests)."""
    name = name.strip().lower()
    if not name or len(name) > MAX_KEY:
        return _NONE
    for pattern, signals in knowledge().libraries.get(ecosystem, ()):
        if pattern.matches(name):
            return signals
    return _NONE


def java_agent(jar: str) -> str | None:
    """The tracer a `-javaagent:<jar>` attaches, by the jar's path."""
    jar = jar.strip().strip("'\"").lower()
    if not jar or len(jar) > MAX_KEY:
        return None
    return next((s.tracing for p, s in knowledge().agent_jars if p.matches(jar) and s.tracing), None)


def agent_image(image: str) -> str | None:
    """The tracer an agent image carries (`…/autoinstrumentation-java:2.1` → otel), by its base name."""
    base = image.strip().split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    found = knowledge().agent_images.get(base)
    return found.tracing if found else None


def tracer_config(filename: str) -> str | None:
    """The tracer whose own configuration file this is (`newrelic.yml` → newrelic)."""
    found = knowledge().tracer_files.get(posixpath.basename(filename).lower())
    return found.tracing if found else None


def agent_env(key: str) -> str | None:
    """The agent an environment variable or config key configures (`INSTANA_AGENT_HOST` → instana,
    `ApplicationInsights:ConnectionString` → applicationinsights), whether or not its value is seen."""
    if not key or len(key) > MAX_KEY:
        return None
    flat = flat_key(key)
    return next((system for prefix, system in knowledge().agent_prefixes if flat.startswith(prefix)), None)


def silenced_by(key: str) -> frozenset[str] | None:
    """The library systems a setting that turns tracing/metrics off silences (None: every library)."""
    flat = flat_key(key)
    return next((systems for prefix, systems in knowledge().off_switches if flat.startswith(prefix)), None)


def _words(key: str) -> list[str]:
    return [w for w in _SPLIT.split(_CAMEL.sub("_", key).lower()) if w]


def _plain(value: Any) -> str:
    """`str(value)`, but "" for an integer too long for Python to print (5,000 digits raise ValueError)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 13_000:
        return ""
    return str(value)


def tracing_switch(key: str, value: Any) -> str | bool | None:
    """A configuration key/value that turns tracing on ("custom", or the agent's name), off (False), or says
    nothing about it (None). Called by settings.interpret for keys no tracer-specific rule recognised:
    `ENABLE_TRACING=1`, `ORDERS_TRACING_ENABLED=true`, `TRACING_ENDPOINT=http://…`, `INSTANA_AGENT_HOST`."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY or isinstance(value, (dict, list)):
        return None
    text = "" if value is None else _plain(value).strip()
    if not text or len(text) > 4096 or any(marker in text for marker in _UNRESOLVED):
        return None  # nothing to judge: empty, unresolved or not a plain value
    known = knowledge()
    words = _words(key)
    flat = "".join(words)
    agent = agent_env(key)
    if agent is not None:
        off = known.agent_off.get(flat)
        if off is not None and text.lower() == off:
            return False
        return agent
    if off_value := known.agent_off.get(flat):
        return False if text.lower() == off_value else None
    last = tuple(words[-2:])
    if not (flat in known.switch_keys or (words and words[0] in known.switch_first) or last in known.switch_last):
        return None
    flag = boolean(text)
    if words[-1] in ("enabled", "enable") or flat in known.switch_keys:
        return "custom" if flag else (False if flag is False else None)
    if words[-1] in ("disabled", "disable"):
        return False if flag else None
    if flag is False or (words[-1] in ("rate", "ratio", "probability") and _zero(text)):
        return False
    return "custom"


def _zero(text: str) -> bool:
    try:
        return float(text) == 0.0
    except ValueError:
        return False


# -- telemetry files ----------------------------------------------------------------------------------------


def recognises(path: str) -> bool:
    """A tracer's config file by name (Prometheus and collector configs are known by their content)."""
    try:
        return tracer_config(path) is not None
    except Exception:  # noqa: BLE001 - never let a path break discovery
        return False


def looks_like_telemetry(text: str) -> bool:
    """A YAML file that is a Prometheus config or an OpenTelemetry collector config."""
    return bool(_SCRAPE_HINT.search(text)) or all(hint.search(text) for hint in _COLLECTOR_HINTS)


def parse(path: str, text: str) -> Facts:
    """One `config` node: a tracer config file's `tracing` setting, or a scrape config's targets."""
    try:
        return _parse(path, text)
    except Exception as error:  # noqa: BLE001 - never raise past the parser
        return Facts(path, "telemetry", diagnostics=(
            Diagnostic(path, f"could not read telemetry config ({type(error).__name__}: {error})", None,
                       "parse-error"),))


def _parse(path: str, text: str) -> Facts:
    directory = posixpath.dirname(path) or "."
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1)) if text else 1
    system = tracer_config(path)
    if system is not None:
        setting = Setting("tracing", posixpath.basename(path), system, Location(path, 1), system)
        node = Node(node_id("telemetry", "tracer-config", path), "config", path, "telemetry", "tracer-config",
                    Location(path, 1, last_line), attrs={"dir": directory, "tracer": system}, settings=(setting,))
        return Facts(path, "telemetry", (node,))
    documents, error = load_documents(text)
    diagnostics: tuple[Diagnostic, ...] = ()
    if error is not None:
        diagnostics = (Diagnostic(path, error.message, error.line, error.code),)
    targets: list[Setting] = []
    kind = "prometheus"
    for document in documents:
        if isinstance(document.value, YMap) and "scrape_configs" not in document.value and \
                "receivers" in document.value:
            kind = "otel-collector"
        targets.extend(scrape_targets_of(document.value, path, 0))
    node = Node(node_id("telemetry", kind, path), "config", path, "telemetry", kind, Location(path, 1, last_line),
                attrs={"dir": directory, "scrape_jobs": sorted({s.key for s in targets})},
                settings=tuple(targets[:MAX_TARGETS]))
    return Facts(path, "telemetry", (node,), diagnostics=diagnostics)


def scrape_targets(filename: str, text: str, path: str, line_offset: int) -> list[Setting]:
    """`scrape_target` settings of a Prometheus or collector config embedded in another file (a ConfigMap
    data key): lines are `line_offset` + the line inside `text`. Other file names or content give []."""
    if not filename.lower().endswith((".yml", ".yaml")) or len(text) > 4 * 1024 * 1024 or \
            not looks_like_telemetry(text):
        return []
    try:
        documents, _ = load_documents(text)
        found: list[Setting] = []
        for document in documents:
            found.extend(scrape_targets_of(document.value, path, line_offset))
        return found[:MAX_TARGETS]
    except Exception:  # noqa: BLE001 - an unreadable embedded config just names no target
        return []


def scrape_targets_of(value: Any, path: str, line_offset: int) -> list[Setting]:
    """Static targets and DNS names of `scrape_configs` at the top of a Prometheus config, or under each
    `prometheus` receiver's `config` in an OpenTelemetry collector config."""
    if not isinstance(value, YMap):
        return []
    jobs: list[Any] = []
    if isinstance(value.get("scrape_configs"), YList):
        jobs.append(value["scrape_configs"])
    receivers = value.get("receivers")
    if isinstance(receivers, YMap):
        for name, receiver in receivers.items():
            if _plain(name).split("/", 1)[0] in ("prometheus", "prometheus_simple") and isinstance(receiver, YMap):
                config = receiver.get("config")
                if isinstance(config, YMap) and isinstance(config.get("scrape_configs"), YList):
                    jobs.append(config["scrape_configs"])
    found: list[Setting] = []
    for job_list in jobs:
        for job in job_list:
            if not isinstance(job, YMap):
                continue
            name = _plain(job.get("job_name") or "")[:MAX_KEY]
            for host, line in _job_targets(job):
                found.append(Setting("scrape_target", name, host, Location(path, line + line_offset), "prometheus"))
                if len(found) >= MAX_TARGETS:
                    return found
    return found


def _job_targets(job: YMap) -> list[tuple[str, int]]:
    """(host or host:port, line) of a job's static targets and DNS-SD names."""
    found: list[tuple[str, int]] = []
    for section, key in (("static_configs", "targets"), ("dns_sd_configs", "names")):
        configs = job.get(section)
        if not isinstance(configs, YList):
            continue
        for config in configs:
            if not isinstance(config, YMap) or not isinstance(config.get(key), YList):
                continue
            items: YList = config[key]
            for index, item in enumerate(items):
                target = _target(item)
                if target is not None:
                    found.append((target, items.line_of(index)))
    return found


def _target(item: Any) -> str | None:
    """A scrape target as `host` or `host:port` (scheme, path and IPv6 brackets dropped); None for local,
    unresolved or malformed text."""
    if not isinstance(item, str):
        return None
    text = item.strip()
    if not text or len(text) > MAX_KEY or any(marker in text for marker in _UNRESOLVED):
        return None
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    host = host.lower().rstrip(".")
    if not host or host in _LOCAL_HOSTS or host.startswith("127.") or not re.fullmatch(r"[a-z0-9_.-]+", host):
        return None
    return f"{host}:{port}" if port.isdigit() else host
