"""The terminal report (rich): score first, then findings by category and severity with their source lines.

Colour follows rich's rules: off when output is not a terminal or `NO_COLOR` is set. `quiet` prints one
line per finding and the score, for logs, as plain text (no markup, no emoji codes). Text from the audited
repository never reaches rich as markup: it goes in as `Text`, through `printable` (see text.py).
"""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from auditor.audit import AuditResult
from auditor.engine.rules import CATEGORIES, Rule
from auditor.engine.score import grade_of
from auditor.model import SEVERITIES, Diagnostic, Finding
from auditor.render.kustomize import BUILTIN
from auditor.report.text import printable, several_deployments

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
GRADE_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "red", "F": "bold red", "N/A": "dim"}
_CONTEXT_LINES = 1
_MAX_SNIPPET_LINES = 3  # a whole resource block is not worth reprinting: its first lines locate it


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


class _SourceLines:
    """The audited files' lines, each file split once on first use (a file with thousands of findings is not
    split again for each one)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts
        self._lines: dict[str, list[str]] = {}

    def get(self, path: str) -> list[str] | None:
        lines = self._lines.get(path)
        if lines is None:
            text = self._texts.get(path)
            if text is None:
                return None
            lines = self._lines[path] = text.splitlines()
        return lines


def _snippet(texts: _SourceLines, finding: Finding) -> Text | None:
    """The finding's lines with a line of context, from the text already read (files are never re-read)."""
    lines = texts.get(finding.location.path)
    if lines is None:
        return None
    first = max(1, finding.location.line - _CONTEXT_LINES)
    last = min(len(lines), finding.location.end_line + _CONTEXT_LINES, finding.location.line + _MAX_SNIPPET_LINES)
    snippet = Text()
    width = len(str(last))
    for number in range(first, last + 1):
        marked = finding.location.line <= number <= finding.location.end_line
        gutter = f"{'>' if marked else ' '} {number:>{width}} │ "
        snippet.append(gutter, style="bold red" if marked else "dim")
        snippet.append(printable(lines[number - 1].rstrip(), keep_tabs=True) + "\n", style="" if marked else "dim")
    return snippet


def _score_table(result: AuditResult) -> Table:
    score = result.score
    table = Table(title=None, show_header=True, header_style="bold", expand=False)
    table.add_column("category")
    table.add_column("score", justify="right")
    table.add_column("grade", justify="center")
    table.add_column("findings", justify="right")
    table.add_column("how it was reached", overflow="fold")
    for category in score.categories:
        grade = grade_of(category.score)
        table.add_row(
            Text(category.category),
            "N/A" if category.score is None else str(category.score),
            Text(grade, style=GRADE_STYLE[grade]),
            str(category.findings),
            Text(category.explanation()),
        )
    return table


def _finding_panel(texts: _SourceLines, finding: Finding, rule: Rule | None, deployment: bool = False) -> Panel:
    parts: list[Text | str] = []
    header = Text()
    header.append(f" {finding.severity.upper()} ", style=SEVERITY_STYLE[finding.severity])
    header.append(f" {finding.rule_id} ", style="bold")
    header.append(f"{finding.slug}  ", style="dim")
    header.append(printable(f"{finding.location.path}:{finding.location.line}"), style="underline")
    if deployment and finding.deployment:
        header.append(f"  deployment {printable(finding.deployment)}", style="dim")
    parts.append(header)
    parts.append(Text(printable(finding.message), style="bold"))
    snippet = _snippet(texts, finding)
    if snippet is not None:
        parts.append(snippet)
    for related in finding.related:
        where = f"{related.location.path}:{related.location.line}"
        parts.append(Text(f"  ↳ {printable(where)}  {printable(related.message)}", style="dim"))
    if rule is not None:
        why = printable(_first_paragraph(str(rule.docs.get("why", ""))))
        parts.append(Text.assemble(("why  ", "bold magenta"), why))
    parts.append(Text.assemble(("fix  ", "bold green"), "\n".join(printable(line) for line in finding.fix.split("\n"))))
    return Panel(Group(*parts), border_style=SEVERITY_STYLE[finding.severity].split()[-1], expand=True)


def diagnostic_line(diagnostic: Diagnostic) -> Text:
    where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else diagnostic.path
    colour = {"error": "red", "warning": "yellow"}.get(diagnostic.level, "blue")
    return Text.assemble(
        (diagnostic.level, colour), f" {printable(where)}: {printable(diagnostic.message)} ",
        (f"({printable(diagnostic.code)})", "dim"),
    )


def plain_diagnostic_line(diagnostic: Diagnostic) -> str:
    where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else diagnostic.path
    return printable(f"{where}: {diagnostic.level} ({diagnostic.code}) {diagnostic.message}")


def plain_finding_line(finding: Finding) -> str:
    where = f"{finding.location.path}:{finding.location.line}"
    return printable(f"{where}: {finding.severity} {finding.rule_id} {finding.message}")


def coverage_line(result: AuditResult) -> str:
    inventory = result.scan.inventory
    reasons: dict[str, int] = defaultdict(int)
    for skipped in inventory.skipped:
        reasons[skipped.reason] += 1
    why = ", ".join(f"{count} {printable(reason)}" for reason, count in sorted(reasons.items()))
    return (
        f"{len(inventory.files)} files audited, {len(inventory.skipped)} skipped"
        + (f" ({why})" if why else "")
        + overlay_summary(result)
        + f"; {len(result.diagnostics)} diagnostic(s)"
        + f"; {suppression_summary(result)}"
        + undecided_summary(result)
    )


def overlay_summary(result: AuditResult) -> str:
    """`; 2 kustomize overlay(s) rendered by the built-in kustomize subset (…)`: what rendered the overlays."""
    counts: dict[str, int] = defaultdict(int)
    for renderer in result.scan.rendered_by.values():
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


def render(result: AuditResult, console: Console, quiet: bool = False) -> None:
    rules = {rule.id: rule for rule in result.rules}
    texts = _SourceLines({source.path: source.text for source in result.scan.inventory.files})
    score = result.score
    overall = "N/A" if score.overall is None else f"{score.overall}/100"
    if quiet:
        lines = [plain_diagnostic_line(diagnostic) for diagnostic in result.diagnostics]
        lines += [plain_finding_line(finding) for finding in result.findings]
        lines.append(f"score {overall} ({score.grade}); {len(result.findings)} finding(s); {coverage_line(result)}")
        console.file.write("".join(f"{line}\n" for line in lines))
        console.file.flush()
        return
    by_category: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_category[finding.category].append(finding)
    named = several_deployments(result.findings)
    for category in CATEGORIES:
        findings = sorted(
            by_category.get(category, []),
            key=lambda f: (SEVERITIES.index(f.severity), f.location.path, f.location.line),
        )
        if not findings:
            continue
        console.rule(f"[bold]{category}[/] · {len(findings)} finding(s)", align="left")
        for finding in findings:
            console.print(_finding_panel(texts, finding, rules.get(finding.rule_id), named))
    if result.diagnostics:
        console.rule("[bold]input problems[/]", align="left")
        for diagnostic in result.diagnostics:
            console.print(diagnostic_line(diagnostic), highlight=False)
    console.rule("[bold]score[/]", align="left")
    console.print(_score_table(result))
    if score.costliest:
        costly = Table(title="costliest findings", title_justify="left", show_header=True, header_style="bold")
        costly.add_column("density", justify="right")
        costly.add_column("rule")
        costly.add_column("where", overflow="fold")
        costly.add_column("finding", overflow="fold")
        for finding, points in score.costliest:
            where = printable(f"{finding.location.path}:{finding.location.line}")
            costly.add_row(f"-{points:.2f}", Text(finding.rule_id), Text(where), Text(printable(finding.message)))
        console.print(costly)
    grade_style = GRADE_STYLE.get(score.grade, "bold")
    console.print(
        Text.assemble(
            ("overall ", "bold"),
            (f"{overall} ", grade_style),
            (f"grade {score.grade}", grade_style),
            ("  " + score.explanation(), "dim"),
        )
    )
    counts = ", ".join(f"{sum(1 for f in result.findings if f.severity == s)} {s}" for s in SEVERITIES)
    console.print(f"{len(result.findings)} finding(s): {counts}", highlight=False)
    console.print(Text(coverage_line(result), style="dim"))
