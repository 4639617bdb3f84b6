"""Evaluate rules on the graph: checks point, the engine locates, explains and fingerprints."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from auditor.checks import check_functions, template_functions
from auditor.checks.context import CheckContext, Hit, Undecided
from auditor.code.languages import FAMILY, language_of
from auditor.engine.rules import Rule
from auditor.graph.deployments import deployment_of
from auditor.model import Diagnostic, Finding, Location, Node, Related, Severity
from auditor.render.helm import VALUES_ONLY_RULES


@dataclass(frozen=True)
class UndecidedNote:
    """A subject one rule could not judge, located: the coverage says which rule could not judge what."""

    rule_id: str
    subject: str
    location: Location
    missing: str


@dataclass
class RuleRun:
    """What one rule did: its findings, the subjects it judged (the score's denominator), and those it could
    not judge for want of a value."""

    rule: Rule
    severity: Severity
    findings: list[Finding] = field(default_factory=list)
    examined: set[str] = field(default_factory=set)
    undecided: list[UndecidedNote] = field(default_factory=list)


def fingerprint(rule_id: str, subject: str, key: str) -> str:
    """Stable across unrelated edits and line moves: built from names, never from line numbers."""
    return hashlib.sha256(f"{rule_id}\x1f{subject}\x1f{key}".encode()).hexdigest()[:32]


def _locate(hit: Hit | Undecided, node: Node) -> Location:
    if hit.evidence is not None:
        return hit.evidence
    if hit.attr is not None and hit.attr in node.evidence:
        return node.evidence[hit.attr]
    return node.location


class _Formats:
    """Which per-format fixes apply to a finding at a node and location, answered once per graph for all rules:
    a node with thousands of settings and of findings is not rescanned for every finding."""

    def __init__(self) -> None:
        self._frameworks: dict[str, tuple[Node, dict[Location, set[str]], set[str]]] = {}
        self._formats: dict[tuple[str, Location], tuple[Node, frozenset[str]]] = {}

    @staticmethod
    def of_graph(graph: nx.MultiDiGraph) -> _Formats:
        shared: _Formats | None = graph.graph.get("finding_formats")
        if shared is None:
            shared = graph.graph["finding_formats"] = _Formats()
        return shared

    def at(self, node: Node, location: Location) -> frozenset[str]:
        entry = self._formats.get((node.id, location))
        if entry is None or entry[0] is not node:
            entry = self._formats[(node.id, location)] = (node, frozenset(_formats(node, location, self)))
        return entry[1]

    def frameworks(self, node: Node) -> tuple[dict[Location, set[str]], set[str]]:
        """The node's setting frameworks by location, and all of them."""
        entry = self._frameworks.get(node.id)
        if entry is None or entry[0] is not node:
            by_location: dict[Location, set[str]] = defaultdict(set)
            for setting in node.settings:
                if setting.framework:
                    by_location[setting.location].add(setting.framework)
            entry = self._frameworks[node.id] = (node, by_location, {f for fs in by_location.values() for f in fs})
        return entry[1], entry[2]


def _formats(node: Node, location: Location, known: _Formats) -> set[str]:
    """Which of a rule's per-format fixes apply: the node's format, its framework, and the framework of
    the setting the finding points at (a Spring setting in a Kubernetes ConfigMap wants both fixes)."""
    by_location, every = known.frameworks(node)
    formats = {node.source, str(node.attrs.get("framework") or ""), node.type.lower()}
    formats |= by_location.get(location, set())
    language = language_of(location.path)
    if language is not None:  # a finding at a line of code wants the fix in that language
        formats |= {language, FAMILY.get(language, language)}
    if node.source == "appconfig":
        formats |= every
    return formats - {""}


def _template_line(hit: Hit, node: Node) -> tuple[Related, ...]:
    """A rendered chart's attribute located at its values line (render/helm.py) also names the template line
    that reads the value."""
    template = node.evidence.get(f"{hit.attr}@template") if hit.attr and hit.evidence is None else None
    return (Related(template, f"this template line sets `{hit.attr}` from that value"),) if template else ()


class _Fixes:
    """One rule's fix text per set of formats: its findings share a handful of format sets, and unwrapping
    the text is not free."""

    def __init__(self, rule: Rule) -> None:
        self._rule = rule
        self._by_formats: dict[frozenset[str], str] = {}

    def for_formats(self, formats: frozenset[str]) -> str:
        fix = self._by_formats.get(formats)
        if fix is None:
            fix = self._by_formats[formats] = self._rule.fix_for(formats)
        return fix


def _finding(rule: Rule, severity: Severity, hit: Hit, node: Node, formats: _Formats, fixes: _Fixes) -> Finding:
    location = _locate(hit, node)
    return Finding(
        rule_id=rule.id,
        slug=rule.slug,
        category=rule.category,
        severity=severity,
        title=rule.title,
        message=hit.message + (" (from values, not rendered)" if node.attrs.get("from_values") else ""),
        location=location,
        subject=hit.subject,
        fingerprint=fingerprint(rule.id, hit.subject, hit.key or hit.attr or ""),
        fix=fixes.for_formats(formats.at(node, location)),
        related=hit.related + _template_line(hit, node),
        deployment=deployment_of(node),
    )


def _from_values(graph: nx.MultiDiGraph) -> frozenset[str]:
    """The nodes of charts read from their values without helm, found once per graph for all rules."""
    cached: tuple[int, frozenset[str]] | None = graph.graph.get("from_values_nodes")
    if cached is None or cached[0] != graph.number_of_nodes():
        found = frozenset(ident for ident, node in graph.nodes(data="node") if node.attrs.get("from_values"))
        cached = graph.graph["from_values_nodes"] = (graph.number_of_nodes(), found)
    return cached[1]


def run_rule(
    rule: Rule, graph: nx.MultiDiGraph, options: dict[str, object] | None = None, severity: Severity | None = None
) -> tuple[RuleRun, list[Diagnostic]]:
    """One rule over the graph. A defect in a check is a diagnostic naming the rule, never a crash."""
    context = CheckContext(graph, {**rule.option_defaults(), **(options or {})})
    result = RuleRun(rule, severity or rule.severity)  # type: ignore[arg-type]
    try:
        if "function" in rule.check:
            hits = list(check_functions()[rule.check["function"]](context))
        else:
            hits = list(template_functions()[rule.check["template"]](context, rule.check))
    except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others' findings
        message = f"rule {rule.id} ({rule.slug}) failed: {type(error).__name__}: {error}"
        return result, [Diagnostic(rule.path, message, None, "rule-error")]
    seen: set[str] = set()
    formats = _Formats.of_graph(graph)
    fixes = _Fixes(rule)

    from_values = frozenset() if rule.id in VALUES_ONLY_RULES else _from_values(graph)

    def unjudged(ident: str) -> bool:
        """A chart read from its values without helm shows replicas, autoscaling and resources, nothing else:
        other rules do not judge its nodes (an absent probe or budget there is only unseen)."""
        return ident in from_values

    for hit in hits:
        if hit.subject not in graph or unjudged(hit.subject):
            continue
        finding = _finding(rule, result.severity, hit, graph.nodes[hit.subject]["node"], formats, fixes)
        if finding.fingerprint in seen:
            continue
        seen.add(finding.fingerprint)
        result.findings.append(finding)
        context.examined.add(hit.subject)
    result.examined = context.examined - from_values
    result.findings.sort(key=lambda f: (f.location.path, f.location.line, f.message))
    found = {finding.subject for finding in result.findings}
    notes = {UndecidedNote(rule.id, u.subject, _locate(u, graph.nodes[u.subject]["node"]), u.missing)
             for u in context.undecided if u.subject in graph and u.subject not in found and not unjudged(u.subject)}
    result.undecided = sorted(notes, key=lambda n: (n.location.path, n.location.line, n.subject, n.missing))
    return result, []


def run_rules(
    rules: Iterable[Rule],
    graph: nx.MultiDiGraph,
    options: dict[str, dict[str, object]] | None = None,
    severities: dict[str, Severity] | None = None,
) -> tuple[list[RuleRun], list[Diagnostic]]:
    """Every rule over the graph, in id order."""
    runs: list[RuleRun] = []
    diagnostics: list[Diagnostic] = []
    for rule in rules:
        run, problems = run_rule(rule, graph, (options or {}).get(rule.id), (severities or {}).get(rule.id))
        runs.append(run)
        diagnostics.extend(problems)
    return runs, diagnostics


def all_findings(runs: Iterable[RuleRun]) -> list[Finding]:
    findings = [finding for run in runs for finding in run.findings]
    return sorted(findings, key=lambda f: (f.location.path, f.location.line, f.rule_id, f.fingerprint))
