"""The JSON report follows its published, versioned schema (auditor/report/report.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, ROOT

from auditor.audit import audit
from auditor.report.json import SCHEMA_VERSION, render

SCHEMA = json.loads((ROOT / "auditor/report/report.schema.json").read_text(encoding="utf-8"))
REPOS = ["mixed-compose-microservices", "mixed-eks-spring", "mixed-k8s-python-istio", "hostile", "app-django"]


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("repo", REPOS)
def test_report_validates(repo: str) -> None:
    data = json.loads(render(audit(FIXTURES / repo)))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["schema_version"] == SCHEMA_VERSION


def test_report_content_matches_the_result() -> None:
    result = audit(FIXTURES / "mixed-eks-spring")
    data = json.loads(render(result))
    assert data["score"]["overall"] == result.score.overall
    assert [f["fingerprint"] for f in data["findings"]] == [f.fingerprint for f in result.findings]
    nat = next(f for f in data["findings"] if f["rule_id"] == "AVAIL001")
    assert nat["location"] == {"path": "terraform/network.tf", "line": 19, "end_line": 19}
    assert nat["slug"] == "single-nat-gateway" and nat["category"] == "availability" and nat["fix"]
    na = [c for c in data["score"]["categories"] if c["score"] is None]
    assert all(c["grade"] == "N/A" for c in na)
    assert data["graph"]["nodes"] == result.scan.graph.number_of_nodes()


def test_schema_rejects_a_finding_without_location(tmp_path: Path) -> None:
    data = json.loads(render(audit(FIXTURES / "mixed-eks-spring")))
    del data["findings"][0]["location"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(data)
