"""GitHub-flavoured Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

Score and grade first, the score per category, the costliest findings with links to their rules' docs,
counts, then every finding (grouped by category) folded in a `<details>` block so the comment stays short.
Text that comes from the audited repository is escaped: it can never break a table or inject HTML.
"""

from __future__ import annotations

import re
from collections import Counter

from auditor.audit import AuditResult
from auditor.engine.rules import CATEGORIES
from auditor.engine.score import grade_of
from auditor.model import SEVERITIES, Finding
from auditor.report.sarif import DOCS_URL, docs_url
from auditor.report.text import printable, several_deployments

TOP_FINDINGS = 20
SEVERITY_BADGE = {
    "critical": "🟥 critical",
    "high": "🟧 high",
    "medium": "🟨 medium",
    "low": "🟦 low",
    "info": "⬜ info",
}
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Markdown-inert text for a table cell or a list item: one line, markup characters backslashed,
    `&`, `<`, `>` as entities (so no HTML tag can form)."""
    text = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], printable(" ".join(str(text).split())))
    return _SPECIAL.sub(r"\\\1", text)


def _where(finding: Finding, deployment: bool = False) -> str:
    where = escape(f"{finding.location.path}:{finding.location.line}")
    return f"{where} ({escape(finding.deployment)})" if deployment and finding.deployment else where


def ranked_findings(result: AuditResult) -> list[Finding]:
    """Costliest first, by the cost the score gives each finding (engine/score.py: its severity weight, as
    configured, over the subjects its category judged: what it adds to that category's density, the number
    the terminal and JSON reports show as "costliest"); findings the score did not cost come last, by
    severity, path and line."""
    rank = {finding.fingerprint: index for index, (finding, _) in enumerate(result.score.costs)}

    def key(finding: Finding) -> tuple[int, int, str, int, str]:
        return (rank.get(finding.fingerprint, len(rank)), SEVERITIES.index(finding.severity), finding.location.path,
                finding.location.line, finding.rule_id)

    return sorted(result.findings, key=key)


def _rule_link(result: AuditResult, finding: Finding) -> str:
    rule = next((r for r in result.rules if r.id == finding.rule_id), None)
    url = docs_url(rule) if rule is not None else DOCS_URL
    return f"[{finding.rule_id}]({url})"


def render(result: AuditResult) -> str:
    score = result.score
    overall = "N/A" if score.overall is None else f"{score.overall}/100"
    lines = [f"## scale-auditor: {overall} · grade {score.grade}", ""]
    judged = score.explanation()
    lines += [f"_{escape(judged)}_", ""]

    lines += ["| category | score | grade | findings |", "| --- | ---: | :---: | ---: |"]
    for category in score.categories:
        value = "N/A" if category.score is None else str(category.score)
        lines.append(f"| {category.category} | {value} | {grade_of(category.score)} | {category.findings} |")
    lines.append("")

    counts = Counter(f.severity for f in result.findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) or "none"
    lines += [
        f"**{len(result.findings)} finding(s)**: {summary} · "
        f"**{len(result.suppressed)} suppressed** · **{len(result.diagnostics)} diagnostic(s)** "
        "(files that could not be fully read)",
        "",
    ]

    ranked = ranked_findings(result)
    named = several_deployments(result.findings)
    if ranked:
        shown = ranked[:TOP_FINDINGS]
        lines += [f"### Top findings ({len(shown)} of {len(ranked)}, costliest first)", ""]
        lines += ["| severity | rule | where | message |", "| --- | --- | --- | --- |"]
        for finding in shown:
            lines.append(
                f"| {SEVERITY_BADGE[finding.severity]} | {_rule_link(result, finding)} | {_where(finding, named)} "
                f"| {escape(finding.message)} |"
            )
        lines.append("")

        lines += ["<details>", f"<summary>All {len(ranked)} findings by category</summary>", ""]
        by_category: dict[str, list[Finding]] = {}
        for finding in result.findings:
            by_category.setdefault(finding.category, []).append(finding)
        for name in [*CATEGORIES, *sorted(set(by_category) - set(CATEGORIES))]:
            found = by_category.get(name, [])
            if not found:
                continue
            lines += [f"#### {name} ({len(found)})", ""]
            found.sort(key=lambda f: (SEVERITIES.index(f.severity), f.location.path, f.location.line, f.rule_id))
            for finding in found:
                lines.append(
                    f"- **{finding.severity}** {_rule_link(result, finding)} `{finding.slug}` "
                    f"{_where(finding, named)}: {escape(finding.message)}"
                )
            lines.append("")
        lines += ["</details>", ""]
    else:
        lines += ["No findings. :tada:", ""]

    if result.diagnostics:
        lines += ["<details>", f"<summary>{len(result.diagnostics)} diagnostic(s)</summary>", ""]
        for d in sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.message)):
            where = f"{d.path}:{d.line}" if d.line else d.path
            lines.append(f"- **{d.level}** {escape(where)}: {escape(d.message)} ({escape(d.code)})")
        lines += ["", "</details>", ""]
    return "\n".join(lines)
