"""The whole pipeline in one call: discover → parse → graph → rules → score.

Reporters receive the `AuditResult` and only format it; nothing downstream recomputes a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.checks import CHECKS, TEMPLATES
from auditor.discover import DEFAULT_MAX_BYTES
from auditor.engine.rules import BUILTIN_RULES_DIR, Rule, load_rules
from auditor.engine.run import RuleRun, all_findings, run_rules
from auditor.engine.score import Score, compute_score
from auditor.model import Diagnostic, Finding, Severity
from auditor.scan import Scan, scan


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


@dataclass
class AuditResult:
    scan: Scan
    rules: list[Rule]
    runs: list[RuleRun]
    findings: list[Finding]
    score: Score
    diagnostics: list[Diagnostic]


def load_all_rules(extra_dirs: list[Path] | None = None) -> list[Rule]:
    """Built-in rules plus the user's rule folders (validated; raises RuleError on a malformed rule)."""
    return load_rules([BUILTIN_RULES_DIR, *(extra_dirs or [])], CHECKS, TEMPLATES)


def audit(
    root: Path,
    options: AuditOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    rules: list[Rule] | None = None,
) -> AuditResult:
    options = options or AuditOptions()
    all_rules = rules if rules is not None else load_all_rules(options.rule_dirs)
    active = [rule for rule in all_rules if rule.id not in options.disabled]
    scanned = scan(root, excludes=options.excludes, max_bytes=options.max_bytes, progress=progress)
    runs, rule_problems = run_rules(active, scanned.graph, options.rule_options, options.severities)
    findings = all_findings(runs)
    score = compute_score(runs, options.severity_weights, options.category_weights)
    return AuditResult(scanned, all_rules, runs, findings, score, [*scanned.diagnostics, *rule_problems])
