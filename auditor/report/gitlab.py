"""GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array of Code Climate issues.

Severity: critical → blocker, high → critical, medium → major, low → minor, info → info. GitLab matches
issues between the base and the merge request by `fingerprint`, so it must be unique per issue and stable:
it is the finding's own fingerprint (built from rule, subject and key, never from line numbers).
Suppressed findings are left out, as they are from the terminal report. Paths are relative to the repository
root (report/paths.py), as GitLab links them, whichever folder was audited.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from auditor.audit import AuditResult
from auditor.model import Finding

SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}
# Code Climate's category vocabulary.
CATEGORY = {
    "state": "Performance",
    "data": "Performance",
    "elasticity": "Performance",
    "coupling": "Complexity",
    "availability": "Bug Risk",
    "resilience": "Bug Risk",
    "observability": "Bug Risk",
}


def issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    return {
        "type": "issue",
        "description": f"{finding.rule_id} {finding.message}",
        "check_name": f"{finding.rule_id}-{finding.slug}",
        "fingerprint": fingerprint,
        "severity": SEVERITY[finding.severity],
        "location": {
            "path": finding.location.path,
            "lines": {"begin": finding.location.line, "end": max(finding.location.end_line, finding.location.line)},
        },
        "categories": [CATEGORY.get(finding.category, "Performance")],
        "content": {"body": finding.fix} if finding.fix else {"body": finding.title},
    }


def issues(result: AuditResult) -> list[dict[str, Any]]:
    findings = sorted(result.findings, key=lambda f: (f.location.path, f.location.line, f.rule_id, f.fingerprint))
    seen: set[str] = set()
    records = []
    for finding in findings:
        fingerprint = finding.fingerprint
        if fingerprint in seen:  # never expected; keep GitLab's uniqueness promise anyway
            fingerprint = hashlib.sha256(f"{fingerprint}\x1f{finding.location}".encode()).hexdigest()[:32]
        seen.add(fingerprint)
        records.append(issue(finding, fingerprint))
    return records


def render(result: AuditResult) -> str:
    return json.dumps(issues(result), indent=2, ensure_ascii=False) + "\n"
