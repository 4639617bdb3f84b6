"""What a change introduced: the touched files' findings that the committed state does not have.

pre-commit leaves the staged content in the work tree, so the hook audits the work tree, then the same tree
with the changed files as committed (auditor/committed.py), and compares by fingerprint: rule, subject and
key, never a line (tests/test_fingerprints.py), so a finding that only moved is not new. The second audit runs
only when the touched files have findings at all, takes every unchanged file's parse from the first one, and
runs only the rules that made those findings; when an earlier run had the same facts (engine/judged.py: the
last commit's hook run, or an earlier try of this commit), it builds no graph and runs no rule.

Helm charts render from the work tree (render/helm.py reads the chart folder), so a changed chart file is not
compared: that chart's findings in the touched files are all shown, and a note says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditor.audit import AuditOptions, AuditResult, audit, gather_files, judge
from auditor.committed import NotComparable, committed_versions, pre_commit_base
from auditor.engine.judged import facts_digest, recall, remember
from auditor.engine.rules import Rule
from auditor.engine.scope import scope_findings
from auditor.model import Finding
from auditor.render.helm import chart_roots, owning_chart
from auditor.scan import link


@dataclass
class HookOutcome:
    """The touched files' result, holding the new findings (all of them with `show_all` or when nothing could
    be compared), how many findings the committed state has too (None: not compared), and notes to print."""

    result: AuditResult
    existing: int | None = None
    notes: list[str] = field(default_factory=list)


def hook_audit(root: Path, changed: list[str], options: AuditOptions, rules: list[Rule], show_all: bool = False,
               base: str | None = None) -> HookOutcome:
    """Audit for the pre-commit hook: findings of the changed files' neighbourhood (engine/scope.py), by
    default only those the change introduced compared with `base` (None: HEAD, or what pre-commit's
    `--from-ref`/`--to-ref` compare)."""
    paths = set(changed)
    result = audit(root, options, rules=rules)
    remember(result, options, facts_digest(result.scan.inventory, result.scan.facts, options.cache))
    scoped = dataclasses.replace(
        result,
        findings=scope_findings(result.findings, result.scan.graph, paths),
        diagnostics=[d for d in result.diagnostics if d.path in paths or not (root / d.path).exists()],
    )
    if show_all or not scoped.findings:
        return HookOutcome(scoped)
    roots = chart_roots(result.scan.inventory.charts)
    charts = {path: _rendering_chart(path, roots) for path in changed}
    try:
        committed = committed_versions(root, [path for path in changed if charts[path] is None],
                                       base or pre_commit_base(), options.max_bytes)
    except NotComparable as reason:
        return HookOutcome(scoped, None, [f"not compared with the committed state ({reason}): every finding in the "
                                          "touched files is shown"])
    # Rules judge independently, so only those with findings in the touched files need to run again.
    idle = {rule.id for rule in rules} - {finding.rule_id for finding in scoped.findings}
    as_committed = dataclasses.replace(options, versions=committed.versions, disabled=options.disabled | idle)
    gathered = gather_files(root, as_committed)
    digest = facts_digest(gathered.inventory, gathered.facts, as_committed.cache)
    known = recall(digest, as_committed, rules)  # usually the last commit's run, or this one's last try
    if known is None:
        before = judge(link(gathered), as_committed, rules)
        remember(before, as_committed, digest)
        known = {finding.fingerprint for finding in before.findings}
    uncompared = {chart for chart in charts.values() if chart is not None}
    new = [f for f in scoped.findings if f.fingerprint not in known or _chart_of(f) in uncompared]
    notes = [f"the Helm chart {'at the repository root' if chart == '.' else chart} has changed files: charts render "
             "from the work tree only, so its findings in the touched files are all shown, not compared with the "
             "committed state" for chart in sorted(uncompared)]
    return HookOutcome(dataclasses.replace(scoped, findings=new), len(scoped.findings) - len(new), notes)


def _rendering_chart(path: str, roots: list[str]) -> str | None:
    """The chart whose rendering reads `path`: any file of a chart folder (`.Files.Get` reads them all), but of
    a chart at the repository root only its Chart.yaml, values files, templates and subcharts."""
    chart = owning_chart(path, roots)
    if chart != ".":
        return chart
    parts = PurePosixPath(path).parts
    if parts[0] in ("templates", "charts") or (len(parts) == 1 and parts[0].startswith(("Chart.", "values"))):
        return chart
    return None


def _chart_of(finding: Finding) -> str | None:
    """The chart of a finding's deployment (`helm:charts/shop@values-prod.yaml` → `charts/shop`), or None."""
    kind, _, name = finding.deployment.partition(":")
    return name.partition("@")[0] if kind in ("helm", "helm-values") else None
