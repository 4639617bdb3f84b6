"""Findings → scores, explained.

Per category: points = Σ severity weight of its findings; subjects = the distinct nodes its rules judged;
density = points / subjects; score = 100 × S / (S + density), with S = 10 (one high-severity finding per
subject halves the score). A category none of whose rules had anything to judge is N/A, not 100 or 0.
Overall: the weighted mean of the categories that are not N/A. Dividing by subjects means a larger repo
is not punished for being larger, only for being worse; nothing depends on file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.engine.rules import CATEGORIES
from auditor.engine.run import RuleRun
from auditor.model import Finding

SEVERITY_WEIGHTS: dict[str, float] = {"critical": 25.0, "high": 10.0, "medium": 4.0, "low": 1.0, "info": 0.0}
CATEGORY_WEIGHTS: dict[str, float] = dict.fromkeys(CATEGORIES, 1.0)
HALF_SCORE_DENSITY = 10.0
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"), (0, "F"))


@dataclass(frozen=True)
class CategoryScore:
    category: str
    score: int | None  # None = N/A
    subjects: int
    points: float
    findings: int

    @property
    def density(self) -> float:
        return self.points / self.subjects if self.subjects else 0.0

    def explanation(self) -> str:
        if self.score is None:
            return "N/A: nothing in this repository for these rules to judge"
        return (
            f"{self.findings} finding(s) worth {self.points:g} points over {self.subjects} subject(s): "
            f"density {self.density:.2f} → 100 × {HALF_SCORE_DENSITY:g} / ({HALF_SCORE_DENSITY:g} + "
            f"{self.density:.2f}) = {self.score}"
        )


@dataclass(frozen=True)
class Score:
    overall: int | None
    grade: str
    categories: tuple[CategoryScore, ...]
    costliest: tuple[tuple[Finding, float], ...]  # (finding, points it cost its category's density)
    # Every scored finding with that cost, costliest first (`costliest` is its head): the order reports rank by.
    costs: tuple[tuple[Finding, float], ...] = ()

    def explanation(self) -> str:
        judged = [c for c in self.categories if c.score is not None]
        if not judged:
            return "N/A: nothing to judge"
        parts = " + ".join(f"{c.category} {c.score}" for c in judged)
        return f"mean of {len(judged)} judged categories ({parts}) = {self.overall}"


def grade_of(score: int | None) -> str:
    if score is None:
        return "N/A"
    return next(letter for floor, letter in GRADES if score >= floor)


def compute_score(
    runs: Iterable[RuleRun],
    severity_weights: dict[str, float] | None = None,
    category_weights: dict[str, float] | None = None,
    top: int = 5,
) -> Score:
    weights = {**SEVERITY_WEIGHTS, **(severity_weights or {})}
    category_weight = {**CATEGORY_WEIGHTS, **(category_weights or {})}
    subjects: dict[str, set[str]] = {c: set() for c in CATEGORIES}
    findings: dict[str, list[Finding]] = {c: [] for c in CATEGORIES}
    for run in runs:
        subjects[run.rule.category] |= run.examined
        findings[run.rule.category].extend(run.findings)
    categories = []
    costs: list[tuple[Finding, float]] = []
    for category in CATEGORIES:
        count = len(subjects[category])
        points = sum(weights[f.severity] for f in findings[category])
        score = None if count == 0 else round(100 * HALF_SCORE_DENSITY / (HALF_SCORE_DENSITY + points / count))
        categories.append(CategoryScore(category, score, count, points, len(findings[category])))
        costs.extend((f, weights[f.severity] / count) for f in findings[category] if count)
    judged = [(c.score, category_weight.get(c.category, 1.0)) for c in categories if c.score is not None]
    total_weight = sum(w for _, w in judged)
    overall = round(sum(s * w for s, w in judged) / total_weight) if judged and total_weight > 0 else None
    costs.sort(key=lambda pair: (-pair[1], pair[0].rule_id, pair[0].fingerprint))
    return Score(overall, grade_of(overall), tuple(categories), tuple(costs[:top]), tuple(costs))
