"""Project configuration: `.auditor.yaml` at the repo root, or `[tool.auditor]` in its pyproject.toml.

Validated in one place with errors that name the key, so a typo is a loud exit 2, not a silent no-op.
Example:

    rules:
      disable: [replicas-not-spread]          # ids or slugs
      severity: {AVAIL005: medium}
      options: {COUPLE002: {max_depth: 5}}
    rule_dirs: [audit-rules]
    exclude: ["examples/**"]
    fail_on: high                             # or none: report without failing on findings
    fail_under: 70
    strict_parse: false
    max_file_bytes: 2000000
    baseline: .auditor-baseline.json
    scoring: {severity_weights: {medium: 5}, category_weights: {observability: 0.5}}
    ignore:                                   # findings about something absent, keyed by rule and resource
      - rule: AVAIL001
        resource: vpc                         # node name, node id or a glob of either
        path: infra/staging/**                # optional glob on the finding's file
        reason: staging runs one NAT gateway on purpose
        expires: 2027-03-31                   # optional; expired entries stop suppressing and say so
    helm:                                     # Helm charts (auditor/render/helm.py)
      values:                                 # extra values profiles per chart directory, each its own deployment
        charts/shop: [deploy/prod-values.yaml, [deploy/eu.yaml, deploy/eu-prod.yaml]]
      path: /usr/local/bin/helm               # the binary; only in a --config file outside the repository
    kustomize:                                # kustomize overlays (auditor/render/kustomize.py)
      path: /usr/local/bin/kustomize          # kustomize or kubectl; only in a --config file outside the repository

The file belongs to the audited repository and is as untrusted as the rest of it: it is read with the same
bounded YAML loader as the manifests, every error names the file, line and key, and a path it names
(`rule_dirs`, `baseline`) must stay inside the repository (see repofiles.py).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from auditor.discover import pattern_problem
from auditor.model import SEVERITIES, Severity
from auditor.parsers.yaml_source import YMap, load_documents
from auditor.repofiles import MAX_CONFIG_BYTES, RepoFileError, confined, is_inside, read_text

CONFIG_FILES = (".auditor.yaml", ".auditor.yml")
# A repository may lower the file-size bound, or raise it this far and no further.
MAX_FILE_BYTES_LIMIT = 10_000_000
_TOP_KEYS = {
    "rules",
    "rule_dirs",
    "exclude",
    "fail_on",
    "fail_under",
    "strict_parse",
    "max_file_bytes",
    "baseline",
    "scoring",
    "ignore",
    "helm",
    "kustomize",
}
_HELM_KEYS = {"values", "path"}
_KUSTOMIZE_KEYS = {"path"}
_RULES_KEYS = {"disable", "enable", "severity", "options"}
_SCORING_KEYS = {"severity_weights", "category_weights"}
_IGNORE_KEYS = {"rule", "resource", "path", "reason", "expires"}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file, the line and the key."""


@dataclass(frozen=True)
class IgnoreEntry:
    rule: str
    resource: str
    reason: str
    path: str | None = None
    expires: dt.date | None = None
    source: str = ""  # "<config file>: ignore[<index>]"


@dataclass
class Config:
    path: str | None = None
    disable: list[str] = field(default_factory=list)
    enable: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_dirs: list[Path] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    fail_on: Severity | Literal["none"] | None = None  # "none": findings never fail the run
    fail_under: int | None = None
    strict_parse: bool | None = None
    max_file_bytes: int | None = None
    baseline: Path | None = None
    severity_weights: dict[str, float] = field(default_factory=dict)
    category_weights: dict[str, float] = field(default_factory=dict)
    ignore: list[IgnoreEntry] = field(default_factory=list)
    helm_path: Path | None = None
    # chart directory → values profiles, each a tuple of repo-relative files layered over the chart's values.yaml
    helm_values: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    kustomize_path: Path | None = None


@dataclass(frozen=True)
class _At:
    """Where a value sits: the file, its line (YAML only) and its dotted key, for error messages."""

    file: str
    key: str = ""
    line: int | None = None

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.key}" if self.key else place

    def child(self, mapping: Any, key: Any) -> _At:
        line = mapping.line_of(key) if isinstance(mapping, YMap) and key in mapping else self.line
        name = f"{self.key}.{key}" if self.key else str(key)
        return _At(self.file, name, line)

    def item(self, sequence: Any, index: int) -> _At:
        line = sequence.line_of(index) if hasattr(sequence, "line_of") else self.line
        return _At(self.file, f"{self.key}[{index}]", line)


def _expect(value: Any, kind: type | tuple[type, ...], at: _At, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{at}: must be {what}")
    return value


def _strings(value: Any, at: _At) -> list[str]:
    items = _expect(value, list, at, "a list of strings")
    for index, item in enumerate(items):
        _expect(item, str, at.item(items, index), "a string")
    return list(items)


def _mapping(data: Any, key: str, at: _At) -> tuple[dict[Any, Any], _At]:
    where = at.child(data, key)
    value = data.get(key)
    return (_expect(value, dict, where, "a mapping") if value is not None else {}), where


def _unknown(data: dict[Any, Any], allowed: set[str], at: _At) -> None:
    extra = sorted((key for key in data if key not in allowed), key=str)
    if extra:
        allowed_keys = ", ".join(sorted(allowed))
        raise ConfigError(f"{at.child(data, extra[0])}: unknown key {str(extra[0])!r} (allowed: {allowed_keys})")


def _weights(value: Any, at: _At) -> dict[str, float]:
    data = _expect(value, dict, at, "a mapping of name → number")
    for key, weight in data.items():
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 <= weight < float("inf"):
            raise ConfigError(f"{at.child(data, key)}: must be a number ≥ 0")
    return {str(k): float(v) for k, v in data.items()}


def _ignore_entry(raw: Any, at: _At) -> IgnoreEntry:
    data = _expect(raw, dict, at, "a mapping with rule, resource and reason")
    _unknown(data, _IGNORE_KEYS, at)
    for key in ("rule", "resource", "reason"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigError(f"{at.child(data, key)}: {key!r} is required (a non-empty string)")
    expires = data.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            expires = False  # reported just below, with the key
    if expires is not None and (not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)):
        raise ConfigError(f"{at.child(data, 'expires')}: must be a date (YYYY-MM-DD)")
    path = data.get("path")
    if path is not None and not isinstance(path, str):
        raise ConfigError(f"{at.child(data, 'path')}: must be a glob string")
    source = f"{at.file}: {at.key}"
    return IgnoreEntry(data["rule"].strip(), data["resource"].strip(), data["reason"].strip(), path, expires, source)


def parse_config(data: Any, where: str, base: Path, confine: bool = True) -> Config:
    """A validated Config from the loaded mapping; relative paths are taken from `base` (the repo root).

    With `confine` (a config that is part of the repository), every path it names must stay inside `base`.
    """
    if data is None:
        return Config(path=where)
    top = _At(where)
    data = _expect(data, dict, top, "a mapping")
    _unknown(data, _TOP_KEYS, top)
    config = Config(path=where)
    rules, at_rules = _mapping(data, "rules", top)
    _unknown(rules, _RULES_KEYS, at_rules)
    config.disable = _strings(rules.get("disable", []), at_rules.child(rules, "disable"))
    config.enable = _strings(rules.get("enable", []), at_rules.child(rules, "enable"))
    severities, at_severity = _mapping(rules, "severity", at_rules)
    for rule, severity in severities.items():
        if severity not in SEVERITIES:
            choices = ", ".join(SEVERITIES)
            raise ConfigError(f"{at_severity.child(severities, rule)}: {severity!r} is not one of {choices}")
        config.severity[str(rule)] = severity
    options, at_options = _mapping(rules, "options", at_rules)
    for rule, values in options.items():
        config.options[str(rule)] = dict(_expect(values, dict, at_options.child(options, rule), "a mapping"))
    config.rule_dirs = [
        _path(base, name, top.child(data, "rule_dirs"), "rule folder", confine)
        for name in _strings(data.get("rule_dirs", []), top.child(data, "rule_dirs"))
    ]
    at_exclude = top.child(data, "exclude")
    config.exclude = _strings(data.get("exclude", []), at_exclude)
    for index, pattern in enumerate(config.exclude):
        problem = pattern_problem(pattern)
        if problem is not None:
            raise ConfigError(f"{at_exclude.item(data['exclude'], index)}: pattern {problem}")
    if "fail_on" in data:
        if data["fail_on"] not in (*SEVERITIES, "none"):
            raise ConfigError(f"{top.child(data, 'fail_on')}: must be one of {', '.join(SEVERITIES)}, none")
        config.fail_on = data["fail_on"]
    if "fail_under" in data:
        at = top.child(data, "fail_under")
        value = _expect(data["fail_under"], int, at, "a whole number from 0 to 100")
        if not 0 <= value <= 100:
            raise ConfigError(f"{at}: must be a whole number from 0 to 100")
        config.fail_under = value
    if "strict_parse" in data:
        config.strict_parse = _expect(data["strict_parse"], bool, top.child(data, "strict_parse"), "true or false")
    if "max_file_bytes" in data:
        at = top.child(data, "max_file_bytes")
        what = f"a number of bytes from 1 to {MAX_FILE_BYTES_LIMIT:,}"
        value = _expect(data["max_file_bytes"], int, at, what)
        if not 1 <= value <= MAX_FILE_BYTES_LIMIT:
            raise ConfigError(f"{at}: must be {what}")
        config.max_file_bytes = value
    if "baseline" in data:
        at = top.child(data, "baseline")
        config.baseline = _path(base, _expect(data["baseline"], str, at, "a file path"), at, "baseline", confine)
    scoring, at_scoring = _mapping(data, "scoring", top)
    _unknown(scoring, _SCORING_KEYS, at_scoring)
    if "severity_weights" in scoring:
        at = at_scoring.child(scoring, "severity_weights")
        config.severity_weights = _weights(scoring["severity_weights"], at)
        unknown = sorted(set(config.severity_weights) - set(SEVERITIES))
        if unknown:
            raise ConfigError(f"{at}: unknown severity {unknown[0]!r}")
    if "category_weights" in scoring:
        config.category_weights = _weights(scoring["category_weights"], at_scoring.child(scoring, "category_weights"))
    at_ignore = top.child(data, "ignore")
    ignore = _expect(data.get("ignore", []), list, at_ignore, "a list of entries")
    config.ignore = [_ignore_entry(raw, at_ignore.item(ignore, index)) for index, raw in enumerate(ignore)]
    _helm(data, top, base, confine, config)
    _kustomize(data, top, confine, config)
    return config


def _kustomize(data: dict[Any, Any], top: _At, confine: bool, config: Config) -> None:
    """`kustomize: {path: binary}`, which a repository's own config may not name (as for helm)."""
    kustomize, at_kustomize = _mapping(data, "kustomize", top)
    _unknown(kustomize, _KUSTOMIZE_KEYS, at_kustomize)
    config.kustomize_path = _binary(kustomize, at_kustomize, confine, "kustomize") or config.kustomize_path


def _binary(section: dict[Any, Any], at_section: _At, confine: bool, tool: str) -> Path | None:
    """`path:` of a renderer's section (helm, kustomize): a binary the audit runs, so never the audited
    repository's choice (`confine`: the repository's own config)."""
    if "path" not in section:
        return None
    at = at_section.child(section, "path")
    name = _expect(section["path"], str, at, "a file path")
    if confine:
        raise ConfigError(f"{at}: the {tool} binary cannot be chosen by the repository's own config; pass "
                          f"--{tool} PATH or use a --config file outside the repository")
    return Path(name)


def _helm(data: dict[Any, Any], top: _At, base: Path, confine: bool, config: Config) -> None:
    """`helm: {values: {chart dir: [profile…]}, path: binary}`. A repository's own config may not name the
    binary: that would let the audited repository choose what runs."""
    helm, at_helm = _mapping(data, "helm", top)
    _unknown(helm, _HELM_KEYS, at_helm)
    config.helm_path = _binary(helm, at_helm, confine, "helm") or config.helm_path
    values, at_values = _mapping(helm, "values", at_helm)
    root = base.resolve()
    for chart, profiles in values.items():
        at_chart = at_values.child(values, chart)
        chart_dir = _relative(base, root, _expect(chart, str, at_chart, "a chart directory"), at_chart, "chart")
        items = _expect(profiles, list, at_chart, "a list of values files (or lists of them)")
        found = []
        for index, item in enumerate(items):
            at_item = at_chart.item(items, index)
            files = [item] if isinstance(item, str) else _strings(item, at_item)
            if not files:
                raise ConfigError(f"{at_item}: an empty profile")
            found.append(tuple(_relative(base, root, name, at_item, "values file") for name in files))
        config.helm_values[chart_dir] = tuple(found)


def _relative(base: Path, root: Path, name: str, at: _At, what: str) -> str:
    """A path the config names, as a POSIX path relative to the repository (which it must stay inside)."""
    try:
        path = confined(base, Path(name), what)
    except RepoFileError as error:
        raise ConfigError(f"{at}: {error}") from None
    try:
        return path.resolve().relative_to(root).as_posix() or "."
    except (ValueError, OSError, RuntimeError):
        raise ConfigError(f"{at}: {what} {name!r} is outside the repository") from None


def _path(base: Path, name: str, at: _At, what: str, confine: bool) -> Path:
    if not confine:
        return base / name
    try:
        return confined(base, Path(name), what)
    except RepoFileError as error:
        raise ConfigError(f"{at}: {error}") from None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The repo's configuration: an explicit file, else `.auditor.yaml`, else `[tool.auditor]`, else defaults.

    A file inside the repository is the repository's (paths it names stay inside it); an explicit file
    elsewhere is the user's own choice.
    """
    candidates = [explicit] if explicit is not None else [root / name for name in CONFIG_FILES]
    for path in candidates:
        if path.exists() or path.is_symlink():
            confine = is_inside(root, path)
            if explicit is None and not confine:
                raise ConfigError(f"{path}: is a link to a file outside the repository; not read")
            text = _read(path)
            documents, error = load_documents(text)
            if error is not None:
                place = f"{path}:{error.line}" if error.line else str(path)
                raise ConfigError(f"{place}: not valid YAML: {error.message}")
            if len(documents) > 1:
                raise ConfigError(f"{path}:{documents[1].line}: holds more than one YAML document")
            return parse_config(documents[0].value if documents else None, str(path), root, confine)
        if explicit is not None:
            raise ConfigError(f"{path}: config file does not exist")
    pyproject = root / "pyproject.toml"
    if pyproject.exists() and is_inside(root, pyproject):
        try:
            data = tomllib.loads(_read(pyproject))
        except (ValueError, RecursionError) as error:  # TOMLDecodeError is a ValueError, as is a huge integer
            raise ConfigError(f"{pyproject}: cannot be read as TOML: {str(error).splitlines()[0][:200]}") from None
        tool = data.get("tool")
        section = tool.get("auditor") if isinstance(tool, dict) else None
        if section is not None:
            return parse_config(section, f"{pyproject} [tool.auditor]", root)
    return Config()


def _read(path: Path) -> str:
    try:
        return read_text(path, MAX_CONFIG_BYTES, "config file")
    except RepoFileError as error:
        raise ConfigError(str(error)) from None
