"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure DevOps, CircleCI…).

One `<testsuite>` per category. Every finding is a failing `<testcase>` carrying `file` and `line`; every
rule that ran and found nothing is one passing test case, so the report shows the rule ran; a disabled rule
or a suppressed finding is a skipped one. Files that could not be read are a last suite, `input`: errors
for level "error", skipped cases for warnings and notes. No timestamps or durations: the output is stable.
Test case names are unique in the report (CI systems key a test's history by class and name): a finding is
named by rule and place, and where two share a place (two findings on one line, a finding and a suppressed
one) each also carries the start of its fingerprint, which stays the same from run to run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from auditor.audit import AuditResult
from auditor.engine.rules import CATEGORIES, Rule
from auditor.model import Diagnostic, Finding

TOOL = "scale-auditor"
# Characters XML 1.0 cannot carry at all; text from a hostile repository may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(element: ET.Element) -> None:
    for node in element.iter():
        node.attrib = {key: _NOT_XML.sub("\ufffd", value) for key, value in node.attrib.items()}
        if node.text:
            node.text = _NOT_XML.sub("\ufffd", node.text)


def _case(suite: ET.Element, classname: str, name: str, file: str | None = None, line: int | None = None) -> ET.Element:
    attrs = {"classname": classname, "name": name, "time": "0"}
    if file is not None:
        attrs["file"] = file
    if line is not None:
        attrs["line"] = str(line)
    return ET.SubElement(suite, "testcase", attrs)


def _finding_names(label: str, findings: list[Finding]) -> dict[str, str]:
    """fingerprint → test case name: `ID slug at path:line`, with ` [fingerprint…]` where that is shared."""
    names = {f.fingerprint: f"{label} at {f.location.path}:{f.location.line}" for f in findings}
    shared = Counter(names.values())
    return {fp: f"{name} [{fp[:12]}]" if shared[name] > 1 else name for fp, name in names.items()}


def _diagnostic_names(diagnostics: list[Diagnostic]) -> list[str]:
    """`code path:line` for each diagnostic (in order), numbered ` (2)`, ` (3)`… where several share it."""
    names = [f"{d.code} {d.path}:{d.line}" if d.line else f"{d.code} {d.path}" for d in diagnostics]
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _failure_text(finding: Finding) -> str:
    lines = [f"{finding.location.path}:{finding.location.line}: {finding.message}"]
    lines += [f"  related {r.location.path}:{r.location.line}: {r.message}" for r in finding.related]
    lines += ["", f"fix: {finding.fix}", f"fingerprint: {finding.fingerprint}"]
    return "\n".join(lines)


def _finish(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("time", "0")


def junit_tree(result: AuditResult) -> ET.Element:
    root = ET.Element("testsuites", {"name": TOOL})
    ran = {run.rule.id for run in result.runs}
    findings: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        findings[finding.rule_id].append(finding)
    suppressed = defaultdict(list)
    for finding, suppression in result.suppressed:
        suppressed[finding.rule_id].append((finding, suppression))
    by_category: dict[str, list[Rule]] = defaultdict(list)
    for rule in result.rules:
        by_category[rule.category].append(rule)

    for category in [*CATEGORIES, *sorted(set(by_category) - set(CATEGORIES))]:
        rules = sorted(by_category.get(category, []), key=lambda r: r.id)
        if not rules:
            continue
        suite = ET.SubElement(root, "testsuite", {"name": f"{TOOL}.{category}"})
        for rule in rules:
            classname = f"{TOOL}.{category}.{rule.id}"
            label = f"{rule.id} {rule.slug}"
            if rule.id not in ran:
                case = _case(suite, classname, label)
                ET.SubElement(case, "skipped", {"message": "rule disabled"})
                continue
            own = sorted(findings.get(rule.id, []), key=lambda f: (f.location.path, f.location.line, f.fingerprint))
            dismissed = sorted(suppressed.get(rule.id, []), key=lambda p: p[0].fingerprint)
            names = _finding_names(label, [*own, *(finding for finding, _ in dismissed)])
            for finding in own:
                case = _case(suite, classname, names[finding.fingerprint], finding.location.path, finding.location.line)
                failure = ET.SubElement(case, "failure", {"message": finding.message, "type": finding.severity})
                failure.text = _failure_text(finding)
            for finding, suppression in dismissed:
                case = _case(suite, classname, names[finding.fingerprint], finding.location.path, finding.location.line)
                reason = f"suppressed ({suppression.mechanism}): {suppression.reason}"
                ET.SubElement(case, "skipped", {"message": reason})
            if not own:
                _case(suite, classname, label)
        _finish(suite)

    if result.diagnostics:
        suite = ET.SubElement(root, "testsuite", {"name": f"{TOOL}.input"})
        ordered = sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.code, d.message))
        for d, name in zip(ordered, _diagnostic_names(ordered), strict=True):
            case = _case(suite, f"{TOOL}.input.{d.code}", name, d.path, d.line)
            if d.level == "error":
                ET.SubElement(case, "error", {"message": d.message, "type": d.code}).text = d.message
            else:
                ET.SubElement(case, "skipped", {"message": f"{d.level}: {d.message}"})
        _finish(suite)

    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in root.findall("testsuite"))))
    root.set("time", "0")
    return root


def render(result: AuditResult) -> str:
    tree = junit_tree(result)
    _clean(tree)
    ET.indent(tree)
    return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"
