"""The terminal report (rich): the score first, then the findings grouped by rule, then input problems.

Each rule is one header that says its title, severity, count, why and fix once; under it, one line per
occurrence (`path:line  resource  message`), the occurrences of one resource together. A 40-service
repository is a few hundred lines, readable in a pager and a CI log: occurrence lines are never wrapped by
us (`grep` finds a whole occurrence; the terminal wraps it), only the why/fix prose is wrapped to the width.
`compact` leaves out the prose and the related places; `quiet` prints plain `path:line: severity RULE
message` lines for logs and problem matchers, written straight to the stream (never through markup).

Colour follows rich's rules: off when output is not a terminal or `NO_COLOR` is set. Text from the audited
repository never reaches rich as markup: it goes in as `Text`, through `printable` (see text.py).
"""

from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from auditor.audit import AuditResult
from auditor.engine.rules import CATEGORIES, Rule
from auditor.engine.score import HALF_SCORE_DENSITY, grade_of
from auditor.model import SEVERITIES, Diagnostic, Finding
from auditor.render.helm import VALUES_ONLY
from auditor.render.kustomize import BUILTIN
from auditor.report.text import printable, several_deployments

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
GRADE_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "red", "F": "bold red", "N/A": "dim"}
PROSE_WIDTH = 100  # why/fix prose wraps at the terminal width, at most this (long lines are hard to read)
RELATED_SHOWN = 3  # related places under one occurrence; the JSON and SARIF reports carry all of them
_WHERE_WIDTH = 44  # occurrence columns are padded to the longest in their rule, up to these widths
_RESOURCE_WIDTH = 24


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


def _where(path: str, line: int | None) -> str:
    return printable(f"{path}:{line}" if line else path)


def plain_diagnostic_line(diagnostic: Diagnostic) -> str:
    """`path:line: warning unused-suppression message`, the same shape as a finding's line."""
    return f"{_where(diagnostic.path, diagnostic.line)}: {diagnostic.level} {printable(diagnostic.code)} " \
        f"{printable(diagnostic.message)}"


def plain_finding_line(finding: Finding) -> str:
    """`path:line: severity RULE message`: one line per finding, nothing in it can act on a terminal or CI."""
    where = _where(finding.location.path, finding.location.line)
    return f"{where}: {finding.severity} {finding.rule_id} {printable(finding.message)}"


def diagnostic_line(diagnostic: Diagnostic) -> Text:
    colour = {"error": "red", "warning": "yellow"}.get(diagnostic.level, "blue")
    return Text.assemble(
        (diagnostic.level, colour), f" {_where(diagnostic.path, diagnostic.line)}: {printable(diagnostic.message)} ",
        (f"({printable(diagnostic.code)})", "dim"),
    )


def coverage_line(result: AuditResult) -> str:
    inventory = result.scan.inventory
    reasons: dict[str, int] = defaultdict(int)
    for skipped in inventory.skipped:
        reasons[skipped.reason] += 1
    why = ", ".join(f"{count} {printable(reason)}" for reason, count in sorted(reasons.items()))
    return (
        f"{len(inventory.files)} files audited, {len(inventory.skipped)} skipped"
        + (f" ({why})" if why else "")
        + chart_summary(result)
        + overlay_summary(result)
        + f"; {len(result.diagnostics)} diagnostic(s)"
        + f"; {suppression_summary(result)}"
        + below_severity_summary(result)
        + undecided_summary(result)
    )


def below_severity_summary(result: AuditResult) -> str:
    """`; 154 below --min-severity (154 low)`: findings the run was asked not to report."""
    if not result.below_min_severity:
        return ""
    return f"; {len(result.below_min_severity)} below --min-severity ({_by_severity(result.below_min_severity)})"


def chart_summary(result: AuditResult) -> str:
    """`; 2 Helm chart(s) rendered by helm v3.17.3`: what rendered the charts (each with all its profiles)."""
    charts: dict[str, set[str]] = defaultdict(set)
    for deployment, renderer in result.scan.rendered_by.items():
        kind, _, name = deployment.partition(":")
        if kind in ("helm", "helm-values"):
            charts[renderer].add(name.partition("@")[0])
    return "".join(
        f"; {len(names)} Helm chart(s) " + ("read from values.yaml only (a helm binary or helm-python-sdk would "
                                            "render them)" if renderer == VALUES_ONLY else
                                            f"rendered by {printable(renderer)}")
        for renderer, names in sorted(charts.items()))


def overlay_summary(result: AuditResult) -> str:
    """`; 2 kustomize overlay(s) rendered by the built-in kustomize subset (…)`: what rendered the overlays."""
    counts: dict[str, int] = defaultdict(int)
    for deployment, renderer in result.scan.rendered_by.items():
        if not deployment.startswith("kustomize:"):
            continue
        counts[renderer] += 1
    parts = [f"{count} kustomize overlay(s) rendered by {printable(renderer)}" + (
        " (a kustomize or kubectl binary would apply every field)" if renderer == BUILTIN else "")
        for renderer, count in sorted(counts.items())]
    return "".join(f"; {part}" for part in parts)


def undecided_summary(result: AuditResult) -> str:
    """`; 2 undecided (AVAIL001 1, AVAIL003 1)`: what rules could not judge (details in the JSON report)."""
    counts: dict[str, int] = defaultdict(int)
    for note in result.undecided:
        counts[note.rule_id] += 1
    if not counts:
        return ""
    detail = ", ".join(f"{rule} {count}" for rule, count in sorted(counts.items()))
    return f"; {sum(counts.values())} undecided ({detail})"


def suppression_summary(result: AuditResult) -> str:
    """`3 suppressed (2 inline, 1 baseline)` — every run says what it did not report, and why."""
    counts: dict[str, int] = defaultdict(int)
    for _, suppression in result.suppressed:
        counts[suppression.mechanism] += 1
    detail = ", ".join(f"{count} {mechanism}" for mechanism, count in sorted(counts.items()))
    return f"{len(result.suppressed)} suppressed" + (f" ({detail})" if detail else "")


def _by_severity(findings: Iterable[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])


def verdict_line(result: AuditResult) -> str:
    """The run in one line, last in every terminal form: score, findings, coverage."""
    score = result.score
    overall = "N/A" if score.overall is None else f"{score.overall}/100"
    return f"score {overall} ({score.grade}); {len(result.findings)} finding(s); {coverage_line(result)}"


# --- Which findings are shown, in which order ------------------------------------------------------------

@dataclass(frozen=True)
class RuleGroup:
    """One rule's findings, in the order they are printed: by deployment, resource, path and line."""

    rule_id: str
    rule: Rule | None
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> str:
        return min((f.severity for f in self.findings), key=SEVERITIES.index)

    def fixes(self) -> list[str]:
        """Each distinct fix paragraph of the findings once (a rule's fix has one paragraph per format)."""
        paragraphs: dict[str, None] = {}
        for finding in self.findings:
            paragraphs.update(dict.fromkeys(p for p in finding.fix.split("\n") if p.strip()))
        return list(paragraphs)


def rule_groups(result: AuditResult) -> list[RuleGroup]:
    """The findings grouped by rule: most severe rules first, then by category and id."""
    rules = {rule.id: rule for rule in result.rules}
    names = {node_id: node.name for node_id, node in result.scan.graph.nodes(data="node") if node is not None}
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_rule[finding.rule_id].append(finding)
    groups = [
        RuleGroup(rule_id, rules.get(rule_id), tuple(sorted(findings, key=lambda f: (
            f.deployment, names.get(f.subject, f.subject), f.subject, f.location.path, f.location.line,
            f.location.end_line, f.fingerprint))))
        for rule_id, findings in by_rule.items()
    ]
    category_order = {category: index for index, category in enumerate(CATEGORIES)}
    groups.sort(key=lambda g: (SEVERITIES.index(g.severity), category_order.get(g.findings[0].category, 99),
                               g.rule_id))
    return groups


def _limited(groups: list[RuleGroup], max_findings: int | None) -> tuple[list[RuleGroup], list[Finding]]:
    """The groups cut after `max_findings` occurrences in print order (most severe first), and what was cut."""
    if not max_findings:
        return groups, []
    shown: list[RuleGroup] = []
    hidden: list[Finding] = []
    room = max_findings
    for group in groups:
        if room > 0:
            shown.append(RuleGroup(group.rule_id, group.rule, group.findings[:room]))
        hidden.extend(group.findings[room:])
        room = max(0, room - len(group.findings))
    return shown, hidden


def more_line(hidden: list[Finding], max_findings: int | None) -> str:
    """`187 more finding(s) not shown (--max-findings 120; 40 medium, 147 low): 40 RESIL003 (low), …`."""
    counts = Counter((f.rule_id, f.severity) for f in hidden)
    ordered = sorted(counts.items(), key=lambda item: (SEVERITIES.index(item[0][1]), -item[1], item[0][0]))
    detail = ", ".join(f"{count} {rule} ({severity})" for (rule, severity), count in ordered)
    return (f"{len(hidden)} more finding(s) not shown (--max-findings {max_findings}; {_by_severity(hidden)}): "
            f"{detail}; without --max-findings, or with -f json, every one is listed")


# --- Rendering ---------------------------------------------------------------------------------------------

def _score_lines(result: AuditResult) -> list[Text]:
    """The category table as fixed-width lines (no box, no padding to the terminal width)."""
    header = f"  {'category':<14} {'score':>5}  {'grade':<5}  {'findings':>8}  points / subjects"
    lines = [Text(header, style="bold")]
    for category in result.score.categories:
        grade = grade_of(category.score)
        score = "N/A" if category.score is None else str(category.score)
        density = "-" if category.score is None else f"{category.points:g} / {category.subjects}"
        line = Text(f"  {category.category:<14} {score:>5}  ")
        line.append(f"{grade:<5}", style=GRADE_STYLE[grade])
        line.append(f"  {category.findings:>8}  {density}")
        lines.append(line)
    return lines


def _summary(result: AuditResult, console: Console) -> None:
    score = result.score
    overall = "N/A" if score.overall is None else f"{score.overall}/100"
    grade_style = GRADE_STYLE.get(score.grade, "bold")
    counts = _by_severity(result.findings)
    console.print(Text.assemble(
        ("score ", "bold"), (f"{overall} grade {score.grade}", grade_style),
        f"  ·  {len(result.findings)} finding(s)" + (f": {counts}" if counts else ""),
    ), soft_wrap=True)
    console.print()
    for line in _score_lines(result):
        console.print(line, soft_wrap=True)
    console.print()
    formula = (f"category score = 100 × {HALF_SCORE_DENSITY:g} / ({HALF_SCORE_DENSITY:g} + points / subjects); "
               f"overall: {score.explanation()}")
    for wrapped in _wrapped("", formula, _prose_width(console)):
        console.print(Text(wrapped, style="dim"), soft_wrap=True)


def _prose_width(console: Console) -> int:
    return max(40, min(console.width, PROSE_WIDTH))


def _wrapped(label: str, text: str, width: int) -> list[str]:
    indent = " " * (len(label) + 2) if label else ""
    return textwrap.wrap(text, width=width, initial_indent=f"{label}  " if label else "",
                         subsequent_indent=indent, break_on_hyphens=False, break_long_words=False) or [label]


def _prose(console: Console, label: str, style: str, paragraphs: list[str]) -> None:
    """`why  text…`, each paragraph wrapped beside its label (the label on the first line only)."""
    width = _prose_width(console)
    for index, paragraph in enumerate(paragraphs):
        for number, line in enumerate(_wrapped(label, printable(paragraph), width)):
            text = Text()
            if index == 0 and number == 0:
                text.append(label, style=style)
                text.append(line[len(label):])
            else:
                text.append(line if number else " " * len(label) + line[len(label):])
            console.print(text, soft_wrap=True)


def _header(group: RuleGroup, total: int, compact: bool) -> Text:
    header = Text()
    header.append("── ", style="dim")
    header.append(f" {group.severity.upper()} ", style=SEVERITY_STYLE[group.severity])
    header.append(f" {group.rule_id} ", style="bold")
    header.append(printable(group.findings[0].slug), style="dim")
    header.append(f"  {total} finding(s)")
    if total != len(group.findings):
        header.append(f", {len(group.findings)} shown")
    if compact:
        header.append("  " + printable(group.findings[0].title), style="bold")
    return header


def _columns(group: RuleGroup, names: dict[str, str]) -> tuple[int, int]:
    where = max(len(_where(f.location.path, f.location.line)) for f in group.findings)
    resource = max(len(printable(names.get(f.subject, ""))) for f in group.findings)
    return min(where, _WHERE_WIDTH), min(resource, _RESOURCE_WIDTH)


def _occurrence(finding: Finding, names: dict[str, str], widths: tuple[int, int], mixed: bool) -> Text:
    where = _where(finding.location.path, finding.location.line)
    resource = printable(names.get(finding.subject, ""))
    line = Text("  ")
    line.append(where.ljust(widths[0]))
    line.append("  ")
    line.append(resource.ljust(widths[1]), style="bold")
    line.append("  ")
    if mixed:
        line.append(f"{finding.severity} ", style=SEVERITY_STYLE[finding.severity])
    line.append(printable(finding.message))
    return line


def _related(finding: Finding) -> list[Text]:
    lines = [
        Text(f"      ↳ {_where(related.location.path, related.location.line)}  {printable(related.message)}",
             style="dim")
        for related in finding.related[:RELATED_SHOWN]
    ]
    if len(finding.related) > RELATED_SHOWN:
        lines.append(Text(f"      ↳ … {len(finding.related) - RELATED_SHOWN} more place(s) (-f json lists them)",
                          style="dim"))
    return lines


def _group(console: Console, group: RuleGroup, total: int, names: dict[str, str], compact: bool,
           named_deployments: bool) -> None:
    console.print()
    console.print(_header(group, total, compact), soft_wrap=True)
    if not compact:
        console.print(Text(printable(group.findings[0].title), style="bold"))
        if group.rule is not None:
            why = _first_paragraph(str(group.rule.docs.get("why", "")))
            if why:
                _prose(console, "why", "bold magenta", [why])
        fixes = group.fixes()
        if fixes:
            _prose(console, "fix", "bold green", fixes)
    widths = _columns(group, names)
    mixed = len({f.severity for f in group.findings}) > 1
    deployment = None
    lines: list[Text] = []
    for finding in group.findings:
        if named_deployments and finding.deployment != deployment:
            deployment = finding.deployment
            lines.append(Text(f" in {printable(deployment or 'no deployment')}", style="dim"))
        lines.append(_occurrence(finding, names, widths, mixed))
        if not compact:
            lines.extend(_related(finding))
    # One print for the group's lines (none wraps): a print per line cost more than the lines themselves.
    if lines:
        console.print(Text("\n").join(lines), soft_wrap=True)


def render(result: AuditResult, console: Console, quiet: bool = False, compact: bool = False,
           max_findings: int | None = None) -> None:
    """The report on `console`; `max_findings` (None or 0: all) caps the occurrences listed, most severe
    first, and says how many more there are. Nothing here changes the score or the exit code."""
    groups, hidden = _limited(rule_groups(result), max_findings)
    if quiet:
        _render_quiet(result, console, [f for g in groups for f in g.findings], hidden, max_findings)
        return
    names = {node_id: node.name for node_id, node in result.scan.graph.nodes(data="node") if node is not None}
    totals = Counter(f.rule_id for f in result.findings)
    named_deployments = several_deployments(result.findings)
    _summary(result, console)
    for group in groups:
        _group(console, group, totals[group.rule_id], names, compact, named_deployments)
    if hidden:
        console.print()
        console.print(Text(more_line(hidden, max_findings), style="bold"), soft_wrap=True)
    if result.diagnostics:
        console.print()
        console.print(Text(f"── input problems  {len(result.diagnostics)}", style="bold"))
        for diagnostic in result.diagnostics:
            console.print(diagnostic_line(diagnostic), soft_wrap=True)
    console.print()
    if compact and groups:
        console.print(Text("`audit explain RULE` shows why each rule matters and how to fix it.", style="dim"))
    console.print(Text(verdict_line(result), style="bold"), soft_wrap=True)


def _render_quiet(result: AuditResult, console: Console, shown: list[Finding], hidden: list[Finding],
                  max_findings: int | None) -> None:
    """Plain lines straight to the stream (no markup, no wrapping, no colour): diagnostics, then findings by
    path and line, then what was left out and the verdict. One line per problem: the same finding in several
    deployments (a chart rendered with two values files) is one line that names them."""
    lines = list(dict.fromkeys(plain_diagnostic_line(diagnostic) for diagnostic in result.diagnostics))
    ordered = sorted(shown, key=lambda f: (f.location.path, f.location.line, f.rule_id, f.fingerprint))
    deployments: dict[str, list[str]] = defaultdict(list)
    for finding in ordered:
        deployments[plain_finding_line(finding)].append(finding.deployment)
    for line, where in deployments.items():
        names = sorted(set(where) - {""})
        lines.append(line if len(names) < 2 else f"{line} (in {len(names)} deployments: {printable(', '.join(names))})")
    if hidden:
        lines.append(more_line(hidden, max_findings))
    lines.append(verdict_line(result))
    console.file.write("".join(f"{line}\n" for line in lines))
    console.file.flush()
