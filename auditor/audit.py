"""The whole pipeline in one call: discover → parse → graph → rules → score.

Reporters receive the `AuditResult` and only format it; nothing downstream recomputes a finding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.cache import ParseCache
from auditor.config import IgnoreEntry
from auditor.discover import DEFAULT_MAX_BYTES
from auditor.engine.rules import Rule, load_all_rules
from auditor.engine.run import RuleRun, UndecidedNote, all_findings, run_rules
from auditor.engine.score import Score, compute_score
from auditor.engine.selection import at_least
from auditor.engine.suppress import apply_suppressions, comment_markers, resource_markers
from auditor.model import Diagnostic, Finding, Severity, Suppression
from auditor.render.helm import HelmOptions
from auditor.render.kustomize import KustomizeOptions
from auditor.scan import Gathered, Scan, gather, link


@dataclass
class AuditOptions:
    """What a run is asked to do; config files and command-line flags both end up here."""

    rule_dirs: list[Path] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)  # rule ids
    severities: dict[str, Severity] = field(default_factory=dict)  # rule id → severity
    rule_options: dict[str, dict[str, object]] = field(default_factory=dict)  # rule id → options
    excludes: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    severity_weights: dict[str, float] = field(default_factory=dict)
    category_weights: dict[str, float] = field(default_factory=dict)
    ignores: list[IgnoreEntry] = field(default_factory=list)
    baseline: dict[str, str] = field(default_factory=dict)  # accepted fingerprint → rule id
    baseline_name: str = "baseline"
    today: dt.date = field(default_factory=dt.date.today)
    cache: ParseCache | None = None
    jobs: int | None = None  # parsing processes (scan.parse_all); None: the CPU count
    helm: HelmOptions | None = None  # None: the renderer found (render/helm.py helm_options)
    min_severity: Severity | None = None  # findings below it are not reported nor scored (engine/selection.py)
    kustomize: KustomizeOptions | None = None  # None: find kustomize/kubectl (render/kustomize.py find_kustomize)
    # Contents read instead of the work tree's at these paths (None: absent): the committed state the hook
    # compares with (engine/changes.py)
    versions: dict[str, bytes | None] | None = None


@dataclass
class AuditResult:
    scan: Scan
    rules: list[Rule]
    runs: list[RuleRun]
    findings: list[Finding]
    score: Score
    diagnostics: list[Diagnostic]
    # Findings matched by a suppression or the baseline: not reported, not scored, but counted and shown
    # (SARIF carries them with `suppressions`).
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    # Findings under `min_severity`: not reported, not scored, counted in the coverage line.
    below_min_severity: list[Finding] = field(default_factory=list)
    # The audited folder relative to `scan.root` once report/paths.py made paths repository-relative ("" when
    # the audited folder is the root).
    audited: str = ""

    @property
    def undecided(self) -> list[UndecidedNote]:
        """Subjects a rule could not judge (a value it needs is not static), in rule order."""
        return [note for run in self.runs for note in run.undecided]


def audit(
    root: Path,
    options: AuditOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    rules: list[Rule] | None = None,
) -> AuditResult:
    options = options or AuditOptions()
    all_rules = rules if rules is not None else load_all_rules(options.rule_dirs)
    return judge(link(gather_files(root, options, progress)), options, all_rules)


def gather_files(root: Path, options: AuditOptions, progress: Callable[[int, int], None] | None = None) -> Gathered:
    """Every file's facts for `audit`, before the graph (scan.py `gather`)."""
    return gather(root, excludes=options.excludes, max_bytes=options.max_bytes, progress=progress,
                  cache=options.cache, jobs=options.jobs, helm=options.helm, kustomize=options.kustomize,
                  versions=options.versions)


def judge(scanned: Scan, options: AuditOptions, all_rules: list[Rule]) -> AuditResult:
    """The rules' findings on a scanned repository, suppressed, filtered and scored as `options` say."""
    active = [rule for rule in all_rules if rule.id not in options.disabled]
    runs, rule_problems = run_rules(active, scanned.graph, options.rule_options, options.severities)
    markers, marker_problems = comment_markers(scanned.inventory.files, all_rules)
    resource, resource_problems = resource_markers(scanned.graph, all_rules)
    outcome = apply_suppressions(
        all_findings(runs),
        scanned.graph,
        markers + resource,
        options.ignores,
        options.baseline,
        all_rules,
        options.today,
        options.baseline_name,
        checked={rule.id for rule in active},
    )
    reported, below = at_least(outcome.kept, options.min_severity)
    kept = {finding.fingerprint for finding in reported}
    # Suppressed findings cost no points: the score is computed from what is still reported.
    scored = [dataclasses.replace(run, findings=[f for f in run.findings if f.fingerprint in kept]) for run in runs]
    score = compute_score(scored, options.severity_weights, options.category_weights)
    diagnostics = [*scanned.diagnostics, *rule_problems, *marker_problems, *resource_problems, *outcome.diagnostics]
    return AuditResult(scanned, all_rules, scored, reported, score, diagnostics, outcome.suppressed, below)
