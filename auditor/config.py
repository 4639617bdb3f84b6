"""Project configuration: `.auditor.yaml` at the repo root, or `[tool.auditor]` in its pyproject.toml.

Validated in one place with errors that name the key, so a typo is a loud exit 2, not a silent no-op.
Example:

    rules:
      disable: [replicas-not-spread]          # ids or slugs
      severity: {AVAIL005: medium}
      options: {COUPLE002: {max_depth: 5}}
    rule_dirs: [audit-rules]
    exclude: ["examples/**"]
    fail_on: high
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
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.model import SEVERITIES, Severity

CONFIG_FILES = (".auditor.yaml", ".auditor.yml")
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
}
_RULES_KEYS = {"disable", "enable", "severity", "options"}
_SCORING_KEYS = {"severity_weights", "category_weights"}
_IGNORE_KEYS = {"rule", "resource", "path", "reason", "expires"}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


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
    fail_on: Severity | None = None
    fail_under: int | None = None
    strict_parse: bool | None = None
    max_file_bytes: int | None = None
    baseline: Path | None = None
    severity_weights: dict[str, float] = field(default_factory=dict)
    category_weights: dict[str, float] = field(default_factory=dict)
    ignore: list[IgnoreEntry] = field(default_factory=list)


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: must be {what}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    items = _expect(value, list, where, "a list of strings")
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{where}: must be a list of strings")
    return list(items)


def _unknown(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _weights(value: Any, where: str) -> dict[str, float]:
    data = _expect(value, dict, where, "a mapping of name → number")
    for key, weight in data.items():
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise ConfigError(f"{where}.{key}: must be a number ≥ 0")
    return {str(k): float(v) for k, v in data.items()}


def _ignore_entry(raw: Any, where: str) -> IgnoreEntry:
    data = _expect(raw, dict, where, "a mapping with rule, resource and reason")
    _unknown(data, _IGNORE_KEYS, where)
    for key in ("rule", "resource", "reason"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigError(f"{where}: {key!r} is required (a non-empty string)")
    expires = data.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}.expires: must be a date (YYYY-MM-DD)") from None
    if expires is not None and not isinstance(expires, dt.date):
        raise ConfigError(f"{where}.expires: must be a date (YYYY-MM-DD)")
    path = data.get("path")
    if path is not None and not isinstance(path, str):
        raise ConfigError(f"{where}.path: must be a glob string")
    return IgnoreEntry(data["rule"].strip(), data["resource"].strip(), data["reason"].strip(), path, expires, where)


def parse_config(data: Any, where: str, base: Path) -> Config:
    """A validated Config from the loaded mapping; relative paths are taken from `base` (the repo root)."""
    if data is None:
        return Config(path=where)
    data = _expect(data, dict, where, "a mapping")
    _unknown(data, _TOP_KEYS, where)
    config = Config(path=where)
    rules = data.get("rules") or {}
    _expect(rules, dict, f"{where}: rules", "a mapping")
    _unknown(rules, _RULES_KEYS, f"{where}: rules")
    config.disable = _strings(rules.get("disable", []), f"{where}: rules.disable")
    config.enable = _strings(rules.get("enable", []), f"{where}: rules.enable")
    for rule, severity in _expect(rules.get("severity", {}), dict, f"{where}: rules.severity", "a mapping").items():
        if severity not in SEVERITIES:
            raise ConfigError(f"{where}: rules.severity.{rule}: {severity!r} is not one of {', '.join(SEVERITIES)}")
        config.severity[str(rule)] = severity
    for rule, options in _expect(rules.get("options", {}), dict, f"{where}: rules.options", "a mapping").items():
        config.options[str(rule)] = dict(_expect(options, dict, f"{where}: rules.options.{rule}", "a mapping"))
    config.rule_dirs = [base / d for d in _strings(data.get("rule_dirs", []), f"{where}: rule_dirs")]
    config.exclude = _strings(data.get("exclude", []), f"{where}: exclude")
    if "fail_on" in data:
        if data["fail_on"] not in SEVERITIES:
            raise ConfigError(f"{where}: fail_on must be one of {', '.join(SEVERITIES)}")
        config.fail_on = data["fail_on"]
    if "fail_under" in data:
        value = _expect(data["fail_under"], int, f"{where}: fail_under", "a whole number from 0 to 100")
        if not 0 <= value <= 100:
            raise ConfigError(f"{where}: fail_under must be a whole number from 0 to 100")
        config.fail_under = value
    if "strict_parse" in data:
        config.strict_parse = _expect(data["strict_parse"], bool, f"{where}: strict_parse", "true or false")
    if "max_file_bytes" in data:
        config.max_file_bytes = _expect(data["max_file_bytes"], int, f"{where}: max_file_bytes", "a number of bytes")
    if "baseline" in data:
        config.baseline = base / _expect(data["baseline"], str, f"{where}: baseline", "a file path")
    scoring = data.get("scoring") or {}
    _expect(scoring, dict, f"{where}: scoring", "a mapping")
    _unknown(scoring, _SCORING_KEYS, f"{where}: scoring")
    if "severity_weights" in scoring:
        config.severity_weights = _weights(scoring["severity_weights"], f"{where}: scoring.severity_weights")
        unknown = sorted(set(config.severity_weights) - set(SEVERITIES))
        if unknown:
            raise ConfigError(f"{where}: scoring.severity_weights: unknown severity {unknown[0]!r}")
    if "category_weights" in scoring:
        config.category_weights = _weights(scoring["category_weights"], f"{where}: scoring.category_weights")
    ignore = _expect(data.get("ignore", []), list, f"{where}: ignore", "a list of entries")
    config.ignore = [_ignore_entry(raw, f"{where}: ignore[{index}]") for index, raw in enumerate(ignore)]
    return config


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The repo's configuration: an explicit file, else `.auditor.yaml`, else `[tool.auditor]`, else defaults."""
    candidates = [explicit] if explicit is not None else [root / name for name in CONFIG_FILES]
    for path in candidates:
        if path.is_file():
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                raise ConfigError(f"{path}: cannot be read: {str(error).splitlines()[0]}") from None
            return parse_config(data, str(path), root)
        if explicit is not None:
            raise ConfigError(f"{path}: config file does not exist")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{pyproject}: cannot be read: {error}") from None
        section = data.get("tool", {}).get("auditor")
        if section is not None:
            return parse_config(section, f"{pyproject} [tool.auditor]", root)
    return Config()
