"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer).

Mappings, stated once:
- result `level` and rule `defaultConfiguration.level`: critical/high → error, medium → warning, low/info → note.
  GitHub code scanning shows and ranks these alerts by `level`. No rule carries `security-severity`: GitHub reads
  it only on rules tagged `security`, where it turns an alert into a security alert with a CVSS-like rank, and
  a scalability or reliability finding is not a vulnerability (our own severity is in `properties.severity`);
- rule `properties.precision`: stable rules "high", preview rules "medium", deprecated rules "low";
- suppressed findings stay in the log with `suppressions` (inline comment, file-wide comment, Kubernetes
  annotation, compose label → "inSource"; config entry, baseline → "external") so code scanning shows them
  as dismissed instead of silently dropping them;
- diagnostics (files that could not be read) are `invocations[0].toolExecutionNotifications`.
Locations are URIs relative to `%SRCROOT%`, the repository root (report/paths.py: `audit K8s` reports
`K8s/Istio/gateway.yaml`), with the audited folder in `run.properties.audited`. Output is sorted, hence stable.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.audit import AuditResult
from auditor.engine.rules import HEADING_TITLES, Rule
from auditor.model import Diagnostic, Finding, Location, Suppression
from auditor.report.ruledocs import anchor, rule_markdown

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "scale-auditor"
INFORMATION_URI = "https://github.com/scale-auditor/scale-auditor"
DOCS_URL = f"{INFORMATION_URI}/blob/main/docs/rules.md"
FINGERPRINT_KEY = "scaleAuditor/v1"
SRCROOT = "%SRCROOT%"

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PRECISION = {"stable": "high", "preview": "medium", "deprecated": "low"}
SUPPRESSION_KIND = {
    "inline": "inSource",
    "file": "inSource",
    "annotation": "inSource",
    "label": "inSource",
    "config": "external",
    "baseline": "external",
}
# Every rule is about how the system behaves under load or failure, whatever its category.
CATEGORY_TAGS = {
    "state": ("scalability",),
    "data": ("scalability",),
    "elasticity": ("scalability",),
    "coupling": ("scalability", "reliability"),
    "availability": ("reliability",),
    "resilience": ("reliability",),
    "observability": ("reliability",),
}


def docs_url(rule: Rule) -> str:
    """The stable page for a rule: its section of the generated docs/rules.md."""
    return f"{DOCS_URL}#{anchor(rule)}"


def artifact_uri(path: str) -> str:
    """A repo-relative POSIX path as a relative URI reference (spaces, `#`, `%`, non-ASCII escaped)."""
    return quote(path, safe="/")


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{fmt}: {str(text).strip()}" for fmt, text in value.items())
    if isinstance(value, list):
        return "\n".join(f"- {item}" for item in value)
    return str(value).strip()


def _help_text(rule: Rule) -> str:
    sections = [(HEADING_TITLES[key], rule.docs.get(key)) for key in ("why", "fix", "example", "use_instead")]
    return "\n\n".join(f"{title}:\n{_plain(text)}" for title, text in sections if text)


def _help_markdown(rule: Rule) -> str:
    """The rule's page from ruledocs without its title line (code scanning shows the title already)."""
    page = rule_markdown(rule, with_examples=False)
    return page.split("\n", 1)[1].lstrip("\n") if page.startswith("## ") else page


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": _plain(rule.docs.get("what", rule.title))},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": docs_url(rule),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": [rule.category, *CATEGORY_TAGS.get(rule.category, ("scalability",))],
            "precision": PRECISION.get(rule.status, "medium"),
            "category": rule.category,
            "severity": rule.severity,
            **({"aliases": list(rule.aliases)} if rule.aliases else {}),
        },
    }


def _region(location: Location) -> dict[str, int]:
    return {"startLine": location.line, "endLine": max(location.end_line, location.line)}


def physical_location(location: Location) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": artifact_uri(location.path), "uriBaseId": SRCROOT},
        "region": _region(location),
    }


def _suppression(suppression: Suppression) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": SUPPRESSION_KIND[suppression.mechanism],
        "status": "accepted",
        "justification": suppression.reason,
        "properties": {"mechanism": suppression.mechanism},
    }
    if suppression.location is not None:
        record["location"] = {"physicalLocation": physical_location(suppression.location)}
    return record


def result_record(
    finding: Finding, rule_index: dict[str, int], suppression: Suppression | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {"ruleId": finding.rule_id}
    if finding.rule_id in rule_index:
        record["ruleIndex"] = rule_index[finding.rule_id]
    record |= {
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical_location(finding.location)}],
    }
    if finding.related:
        record["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": physical_location(related.location),
                "message": {"text": related.message},
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    record["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if suppression is not None:
        record["suppressions"] = [_suppression(suppression)]
    record["properties"] = {"category": finding.category, "severity": finding.severity, "subject": finding.subject,
                            "deployment": finding.deployment}
    return record


def notification(diagnostic: Diagnostic) -> dict[str, Any]:
    # A broken rule's diagnostic names the rule file, which may live outside the audited root.
    path = PurePosixPath(diagnostic.path)
    artifact = (
        {"uri": Path(path).as_uri()}
        if path.is_absolute()
        else {"uri": artifact_uri(diagnostic.path), "uriBaseId": SRCROOT}
    )
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if diagnostic.line:
        physical["region"] = {"startLine": diagnostic.line}
    return {
        "level": diagnostic.level,
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": physical}],
        "descriptor": {"id": diagnostic.code},
    }


def _finding_order(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.location.path, finding.location.line, finding.rule_id, finding.fingerprint)


def sarif_log(result: AuditResult) -> dict[str, Any]:
    rules = sorted(result.rules, key=lambda rule: rule.id)
    rule_index = {rule.id: index for index, rule in enumerate(rules)}
    entries: list[tuple[Finding, Suppression | None]] = [(f, None) for f in result.findings]
    entries += [(f, s) for f, s in result.suppressed]
    entries.sort(key=lambda entry: (_finding_order(entry[0]), entry[1] is not None))
    diagnostics = sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.code, d.message))
    root_uri = result.scan.root.resolve().as_uri().rstrip("/") + "/"
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [notification(d) for d in diagnostics],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
        "results": [result_record(f, rule_index, s) for f, s in entries],
        "properties": {"score": result.score.overall, "grade": result.score.grade, "audited": result.audited or "."},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: AuditResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"
