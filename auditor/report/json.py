"""The JSON report: a documented, versioned schema (`auditor/report/report.schema.json`).

Paths are relative to `root`, the repository root, and `audited` names the folder audited (report/paths.py).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from auditor import __version__
from auditor.audit import AuditResult
from auditor.engine.score import grade_of
from auditor.model import Diagnostic, Finding, Location

SCHEMA_VERSION = "1.3"


def location_record(location: Location) -> dict[str, Any]:
    return {"path": location.path, "line": location.line, "end_line": location.end_line}


def finding_record(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "slug": finding.slug,
        "category": finding.category,
        "severity": finding.severity,
        "title": finding.title,
        "message": finding.message,
        "location": location_record(finding.location),
        "related": [{**location_record(r.location), "message": r.message} for r in finding.related],
        "subject": finding.subject,
        "fingerprint": finding.fingerprint,
        "fix": finding.fix,
        "deployment": finding.deployment,
    }


def diagnostic_record(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "code": diagnostic.code,
        "level": diagnostic.level,
        "message": diagnostic.message,
    }


def report_data(result: AuditResult) -> dict[str, Any]:
    score = result.score
    graph = result.scan.graph
    inventory = result.scan.inventory
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "scale-auditor", "version": __version__},
        "root": str(result.scan.root),
        "audited": result.audited or ".",
        "score": {
            "overall": score.overall,
            "grade": score.grade,
            "explanation": score.explanation(),
            "categories": [
                {
                    "category": c.category,
                    "score": c.score,
                    "grade": grade_of(c.score),
                    "subjects": c.subjects,
                    "points": c.points,
                    "findings": c.findings,
                    "explanation": c.explanation(),
                }
                for c in score.categories
            ],
            "costliest": [
                {
                    "fingerprint": f.fingerprint,
                    "rule_id": f.rule_id,
                    "message": f.message,
                    "density_points": round(p, 3),
                }
                for f, p in score.costliest
            ],
        },
        "findings": [finding_record(f) for f in result.findings],
        "diagnostics": [diagnostic_record(d) for d in result.diagnostics],
        "coverage": {
            "files_audited": len(inventory.files),
            "files_by_kind": dict(sorted(Counter(f.kind for f in inventory.files).items())),
            "skipped": [{"path": s.path, "reason": s.reason} for s in inventory.skipped],
            "rendered_by": dict(sorted(result.scan.rendered_by.items())),  # chart profile or overlay → renderer
            "undecided": [
                {"rule_id": n.rule_id, "subject": n.subject, **location_record(n.location), "missing": n.missing}
                for n in result.undecided
            ],
        },
        "suppressed": {
            "total": len(result.suppressed),
            "by_mechanism": dict(sorted(Counter(s.mechanism for _, s in result.suppressed).items())),
            "findings": [
                {**finding_record(finding), "suppression": {
                    "mechanism": suppression.mechanism,
                    "reason": suppression.reason,
                    "location": location_record(suppression.location) if suppression.location else None,
                }}
                for finding, suppression in result.suppressed
            ],
        },
        "graph": {
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "nodes_by_kind": dict(sorted(Counter(n.kind for _, n in graph.nodes(data="node")).items())),
            "edges_by_kind": dict(sorted(Counter(e.kind for _, _, e in graph.edges(data="edge")).items())),
        },
    }


def render(result: AuditResult) -> str:
    return json.dumps(report_data(result), indent=2) + "\n"
