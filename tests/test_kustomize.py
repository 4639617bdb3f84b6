"""Kustomize overlays (issue 10, items 6-8): the kustomization graph walked and remote bases refused before anything
renders; each leaf overlay its own deployment, rendered by kustomize/kubectl in the sandbox or by the built-in
subset, with findings at the base or patch line that set the value. Tests that need a binary skip without one."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, serving, write_repo

from auditor.audit import AuditOptions, audit
from auditor.render import sandbox
from auditor.render.kustomize import BUILTIN, KustomizeOptions, find_kustomize
from auditor.render.kustomize_walk import plan, remote
from auditor.render.sandbox import Limits
from auditor.scan import scan

KUSTOMIZE = find_kustomize()
needs_kustomize = pytest.mark.skipif(KUSTOMIZE is None, reason="no kustomize or kubectl binary "
                                     "(pip install 'scale-auditor[kustomize]')")
NO_BINARY = KustomizeOptions(binary=None)
OVERLAYS = FIXTURES / "kustomize-overlays"

_DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
               "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
               "    spec:\n      containers:\n        - name: web\n          image: example.com/web:1\n"
               "          env:\n            - name: MODE\n              value: base\n"
               "          envFrom:\n            - configMapRef: {name: settings}\n"
               "          volumeMounts:\n            - {name: data, mountPath: /data}\n"
               "      volumes:\n        - name: data\n          configMap: {name: settings}\n"
               "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {A: '1'}\n"
               "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
               "  ports: [{port: 80}]\n")


def _findings(root: Path, options: KustomizeOptions | None = None,
              rules: tuple[str, ...] = ()) -> set[tuple[str, str, int, str]]:
    result = audit(root, AuditOptions(kustomize=options))
    return {(f.rule_id, f.location.path, f.location.line, f.deployment) for f in result.findings
            if not rules or f.rule_id in rules}


def _node(result, ident: str):  # type: ignore[no-untyped-def]
    return result.graph.nodes[ident]["node"]


# -- the walk: what is refused, before anything renders ---------------------------------------------------------


@pytest.mark.parametrize("reference", [
    "https://github.com/org/repo//deploy?ref=v1", "http://example.com/base.yaml", "git::https://host/org/repo.git",
    "ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git", "example.com/org/repo//base",
    "../base?ref=main",
])
def test_remote_references_are_recognised(reference: str) -> None:
    assert remote(reference)


@pytest.mark.parametrize("reference", ["../base", "base/web.yaml", "./patch.yaml", "web-v1.2.yaml"])
def test_local_references_are_not_remote(reference: str) -> None:
    assert not remote(reference)


@pytest.mark.parametrize("reference", [
    "github.com/org/repo/deploy", "https://github.com/org/repo//deploy?ref=v1", "git::https://host/org/repo.git",
    "ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git",
])
def test_an_overlay_reaching_a_remote_base_is_refused_at_that_line_and_never_rendered(
        tmp_path: Path, reference: str) -> None:
    log = tmp_path / "calls.log"
    binary = _fake_kustomize(tmp_path / "bin", log)
    root = write_repo(tmp_path / "repo", {
        "base/kustomization.yaml": f"resources:\n  - web.yaml\n  - {reference}\n",
        "base/web.yaml": _DEPLOYMENT,
        "prod/kustomization.yaml": "resources: [../base]\n"})
    result = scan(root, kustomize=KustomizeOptions(binary=binary))
    problems = {(d.path, d.line, d.message.split(":")[0]) for d in result.diagnostics if d.code == "not-rendered"}
    assert problems == {("base/kustomization.yaml", 3, "remote base, not rendered"),
                        ("prod/kustomization.yaml", None, "overlay not rendered")}
    assert not any(node.attrs.get("deployment", "").startswith("kustomize:") for _, node in result.graph.nodes(
        data="node"))
    assert log.read_text().split() == ["version"]  # asked its version, never a build


def test_paths_outside_the_repository_are_refused_symlinks_included(tmp_path: Path) -> None:
    outside = write_repo(tmp_path / "outside", {"secret.yaml": _DEPLOYMENT})
    root = write_repo(tmp_path / "repo", {
        "a/kustomization.yaml": "resources: [../../outside/secret.yaml]\n",
        "b/kustomization.yaml": "resources: [link.yaml]\n",
        "c/kustomization.yaml": "resources: [/etc/passwd]\n"})
    (root / "b" / "link.yaml").symlink_to(outside / "secret.yaml")
    overlays = {o.directory: [(d.line, d.message) for d in o.problems]
                for o in plan(root, ["a/kustomization.yaml", "b/kustomization.yaml", "c/kustomization.yaml"]).overlays}
    assert overlays == {
        "a": [(1, "`resources` names '../../outside/secret.yaml': outside the repository; overlay not rendered")],
        "b": [(1, "`resources` names 'link.yaml': outside the repository (through a symlink); overlay not rendered")],
        "c": [(1, "`resources` names '/etc/passwd': an absolute path; overlay not rendered")]}


def test_a_reference_longer_than_the_file_system_allows_is_not_found(tmp_path: Path) -> None:
    # `exists()` raised ENAMETOOLONG for a 255-character file name: an internal error (found by fuzzing).
    name = "x" + "f" * 300
    root = write_repo(tmp_path, {"o/kustomization.yaml": f"patches:\n- path: {name}\n"})
    overlay, = plan(root, ["o/kustomization.yaml"]).overlays
    (problem,) = overlay.problems
    assert problem.line == 2 and problem.message.endswith("': not found; overlay not rendered"), problem


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"a/kustomization.yaml": "resources: [../b]\n",
                                 "b/kustomization.yaml": "resources: [../c]\n",
                                 "c/kustomization.yaml": "resources: [../b]\n",
                                 "top/kustomization.yaml": "resources: [../a]\n"})
    [overlay] = plan(root, ["a/kustomization.yaml", "b/kustomization.yaml", "c/kustomization.yaml",
                            "top/kustomization.yaml"]).overlays
    assert overlay.directory == "top"
    assert [(d.path, d.line, d.message) for d in overlay.problems] == [
        ("c/kustomization.yaml", 1, "kustomization cycle (b → c → b); overlay not rendered")]


def test_leaves_are_rendered_bases_and_components_are_not_and_a_base_whose_overlays_are_refused_is(
        tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "base/kustomization.yaml": "resources: [web.yaml]\n", "base/web.yaml": _DEPLOYMENT,
        "extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        "one/kustomization.yaml": "resources: [../base]\ncomponents: [../extra]\n",
        "two/kustomization.yaml": "resources: [../base]\n",
        "lonely/kustomization.yaml": "resources: [web.yaml]\n", "lonely/web.yaml": _DEPLOYMENT,
        "remote/kustomization.yaml": "resources: [../lonely, 'https://example.com/x.yaml']\n"})
    found = plan(root, [p.relative_to(root).as_posix() for p in root.rglob("kustomization.yaml")])
    assert [(o.directory, o.standalone, bool(o.problems)) for o in found.overlays] == [
        ("lonely", True, False), ("one", False, False), ("remote", False, True), ("two", False, False)]
    assert found.consumed == {"base/web.yaml", "lonely/web.yaml"}


# -- rendering: deployments, lines, both renderers ----------------------------------------------------------


def test_without_a_binary_each_overlay_is_a_deployment_and_findings_point_at_the_patch_line() -> None:
    result = audit(OVERLAYS, AuditOptions(kustomize=NO_BINARY))
    assert {(f.rule_id, f.location.path, f.location.line, f.deployment) for f in result.findings} == {
        ("AVAIL005", "overlays/staging/single-replica.yaml", 6, "kustomize:overlays/staging"),
        ("ELAST001", "overlays/staging/single-replica.yaml", 6, "kustomize:overlays/staging")}
    assert result.scan.rendered_by == {"kustomize:overlays/prod": BUILTIN, "kustomize:overlays/staging": BUILTIN}
    [refused] = [d for d in result.diagnostics if d.code == "not-rendered"]
    assert (refused.path, refused.line) == ("overlays/remote/kustomization.yaml", 4)
    assert refused.message.startswith("remote base, not rendered: `resources` names 'https://github.com/example-org")
    from auditor.report.terminal import coverage_line
    assert "2 kustomize overlay(s) rendered by the built-in kustomize subset" in coverage_line(result)


def test_each_value_is_located_where_it_was_set() -> None:
    result = scan(OVERLAYS, kustomize=NO_BINARY)
    prod = _node(result, "kubernetes:Deployment:prod@kustomize:overlays/prod/web")
    staging = _node(result, "kubernetes:Deployment:staging@kustomize:overlays/staging/staging-web")
    where = {name: {attr: f"{at.path}:{at.line}" for attr, at in node.evidence.items() if attr in ("replicas", "image")}
             for name, node in (("prod", prod), ("staging", staging))}
    assert where == {"prod": {"replicas": "overlays/prod/kustomization.yaml:10",  # `count: 3`
                              "image": "overlays/prod/kustomization.yaml:13"},  # `newTag: 1.4.2`
                     "staging": {"replicas": "overlays/staging/single-replica.yaml:6",
                                 "image": "base/deployment.yaml:27"}}
    assert (prod.location.path, prod.location.line, prod.attrs["containers"][0]["line"]) == (
        "base/deployment.yaml", 1, 26)
    assert (prod.attrs["replicas"], prod.attrs["image"], prod.attrs["containers"][0]["limits"]) == (
        3, "registry.example.com/shop/web:1.4.2", {"cpu": None, "memory": "1Gi"})  # the JSON 6902 patch
    assert staging.attrs["config_refs"] == ["ConfigMap/staging-web-config"]  # followed the prefix
    edges = {(e.kind, s, t) for s, t, e in result.graph.edges(data="edge") if e.kind in ("routes_to", "scales")}
    assert edges == {
        ("routes_to", "kubernetes:Service:prod@kustomize:overlays/prod/web",
         "kubernetes:Deployment:prod@kustomize:overlays/prod/web"),
        ("scales", "kubernetes:HorizontalPodAutoscaler:prod@kustomize:overlays/prod/web",
         "kubernetes:Deployment:prod@kustomize:overlays/prod/web"),
        ("routes_to", "kubernetes:Service:staging@kustomize:overlays/staging/staging-web",
         "kubernetes:Deployment:staging@kustomize:overlays/staging/staging-web")}


@needs_kustomize
def test_a_binary_renders_the_same_deployments_at_the_same_lines() -> None:
    assert _findings(OVERLAYS, KustomizeOptions(binary=KUSTOMIZE)) == _findings(OVERLAYS, NO_BINARY)
    with_binary = scan(OVERLAYS, kustomize=KustomizeOptions(binary=KUSTOMIZE))
    without = scan(OVERLAYS, kustomize=NO_BINARY)
    assert set(with_binary.rendered_by) == {"kustomize:overlays/prod", "kustomize:overlays/staging"}
    assert all(by.startswith("kustomize v") for by in with_binary.rendered_by.values())

    def seen(result):  # type: ignore[no-untyped-def]
        return {ident: ({k: v for k, v in node.attrs.items() if k != "annotations"},
                        {a: (w.path, w.line) for a, w in node.evidence.items()})
                for ident, node in result.graph.nodes(data="node")}
    assert seen(with_binary) == seen(without)


def test_the_subset_applies_names_labels_images_and_merges_by_key(tmp_path: Path) -> None:
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
             "      containers:\n        - name: web\n          env:\n            - name: MODE\n"
             "              value: prod\n            - name: EXTRA\n              value: 'yes'\n"
             "          resources:\n            requests: {cpu: 100m}\n"
             "        - name: sidecar\n          image: example.com/proxy:2\n"
             "      volumes:\n        - name: data\n          $patch: delete\n")
    root = write_repo(tmp_path, {
        "base/kustomization.yaml": "resources: [web.yaml]\n", "base/web.yaml": _DEPLOYMENT,
        "prod/kustomization.yaml": (
            "resources: [../base]\nnamespace: shop\nnamePrefix: p-\nnameSuffix: -v2\n"
            "commonLabels: {team: a}\nimages:\n  - name: example.com/web\n    newName: mirror.example.com/web\n"
            "    digest: sha256:abc\npatches:\n  - path: patch.yaml\n"
            "  - target: {kind: Deployment, name: 'w.*'}\n    patch: |-\n      - op: add\n"
            "        path: /spec/template/spec/containers/0/resources/limits\n        value: {memory: 1Gi}\n"
            "configMapGenerator:\n  - name: more\n    literals: [B=2]\n"),
        "prod/patch.yaml": patch})
    result = scan(root, kustomize=NO_BINARY)
    web = _node(result, "kubernetes:Deployment:shop@kustomize:prod/p-web-v2")
    service = _node(result, "kubernetes:Service:shop@kustomize:prod/p-web-v2")
    [main, sidecar] = web.attrs["containers"]
    assert (main["image"], main["env_keys"], main["requests"], main["limits"], sidecar["image"]) == (
        "mirror.example.com/web@sha256:abc", ["MODE", "EXTRA"], {"cpu": "100m", "memory": None},
        {"cpu": None, "memory": "1Gi"}, "example.com/proxy:2")
    assert web.attrs["volumes"] == []  # `$patch: delete` removed it
    assert web.attrs["config_refs"] == ["ConfigMap/p-settings-v2"]
    assert (service.attrs["selector"], web.attrs["pod_labels"]) == ({"app": "web", "team": "a"},
                                                                    {"app": "web", "team": "a"})
    # (The JSON 6902 patch's target `w.*` is matched before the prefix: kustomize's order.)
    notes = {(d.path, d.line, d.message.split(" (")[0]) for d in result.diagnostics if d.code == "unsupported"}
    assert notes == {("prod/kustomization.yaml", 17, "`configMapGenerator` is not applied by the built-in kustomize "
                                                     "subset")}


def test_a_json_patch_value_and_a_strategic_patch_line_are_where_findings_point(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "base/kustomization.yaml": "resources: [web.yaml]\n", "base/web.yaml": _DEPLOYMENT,
        "json/kustomization.yaml": ("resources: [../base]\npatches:\n  - target: {kind: Deployment, name: web}\n"
                                    "    patch: |-\n      - op: replace\n        path: /spec/replicas\n"
                                    "        value: 1\n"),
        "field/kustomization.yaml": "resources: [../base]\nreplicas:\n  - name: web\n    count: 1\n"})
    assert _findings(root, NO_BINARY, ("AVAIL005",)) == {
        ("AVAIL005", "json/kustomization.yaml", 7, "kustomize:json"),
        ("AVAIL005", "field/kustomization.yaml", 4, "kustomize:field")}


def test_the_binary_sees_a_copy_without_symlinks_or_unreached_files_and_the_sandbox_flags(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    binary = _fake_kustomize(tmp_path / "bin", log)
    root = write_repo(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [web.yaml]\n", "shared/web.yaml": _DEPLOYMENT,
        "prod/kustomization.yaml": "resources: [../base]\nhelmCharts:\n  - {name: redis, repo: https://x.example}\n",
        "unrelated/secret.txt": "not for the renderer\n"})
    (root / "base" / "web.yaml").symlink_to(root / "shared" / "web.yaml")
    result = scan(root, kustomize=KustomizeOptions(binary=binary))
    calls = log.read_text().split("\n")
    assert calls[0] == "version"
    build = calls[1:]
    assert build[0] == "build" and build[1].endswith("/tree/prod")
    assert build[2:4] == ["--load-restrictor", "LoadRestrictionsRootOnly"] and "--enable-helm" not in build
    assert "KUBECONFIG=/dev/null" in build and "stdin=closed" in build and "symlinks=0" in build
    files = sorted(line.removeprefix("file=") for line in build if line.startswith("file="))
    assert files == ["./base/kustomization.yaml", "./base/web.yaml", "./prod/kustomization.yaml"]
    copied = (tmp_path / "prod-kustomization.copy").read_text()
    assert "helmCharts" not in copied and "originAnnotations" in copied
    assert [(d.path, d.line) for d in result.diagnostics if "helmCharts" in d.message] == [
        ("prod/kustomization.yaml", 2)]
    web = _node(result, "kubernetes:Deployment:default@kustomize:prod/web")
    assert (web.location.path, web.attrs["replicas"]) == ("shared/web.yaml", 2)  # located where the file lives


def test_a_binary_that_fails_leaves_the_overlay_to_the_subset_with_a_warning(tmp_path: Path) -> None:
    failing = tmp_path / "kustomize"
    failing.write_text("#!/bin/sh\nif [ \"$1\" = version ]; then echo v5.0.0; exit 0; fi\necho 'boom' >&2\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    root = write_repo(tmp_path / "repo", {"base/kustomization.yaml": "resources: [web.yaml]\n",
                                          "base/web.yaml": _DEPLOYMENT})
    result = scan(root, kustomize=KustomizeOptions(binary=str(failing)))
    assert result.rendered_by == {"kustomize:base": BUILTIN}
    assert [(d.path, d.message) for d in result.diagnostics if d.code == "not-rendered"] == [
        ("base/kustomization.yaml", f"kustomize exited with status 1: boom; rendered by {BUILTIN} instead")]


def test_a_number_too_long_for_decimal_text_is_kept_as_written(tmp_path: Path) -> None:
    # An integer of 4,300+ digits (`0xfff…`) read from the repository's YAML is one Python will not write as
    # decimal text: writing the copy for the binary, and the built-in renderer's annotations, were internal errors
    # that lost the overlay (found by fuzzing). YAML reading keeps it as the text it was written as.
    huge = "0x" + "f" * 3_600
    binary = _fake_kustomize(tmp_path / "bin", tmp_path / "calls.log")
    root = write_repo(tmp_path / "repo", {
        "base/kustomization.yaml": f"resources: [web.yaml]\ncommonAnnotations: {{size: {huge}}}\n",
        "base/web.yaml": _DEPLOYMENT.replace("metadata:\n", f"metadata:\n  labels: {{size: {huge}}}\n", 1)})
    result = scan(root, kustomize=KustomizeOptions(binary=binary))
    assert not [d for d in result.diagnostics if d.code == "internal-error"]
    assert huge in (tmp_path / "prod-kustomization.copy").read_text()  # the copy the binary read
    assert _node(result, "kubernetes:Deployment:default@kustomize:base/web").attrs["replicas"] == 2


def test_a_repository_config_cannot_choose_the_kustomize_binary(tmp_path: Path) -> None:
    from auditor.config import ConfigError, load_config

    (tmp_path / ".auditor.yaml").write_text("kustomize:\n  path: /bin/sh\n")
    with pytest.raises(ConfigError, match="cannot be chosen by the repository's own config"):
        load_config(tmp_path, None)


def _fake_kustomize(directory: Path, log: Path) -> str:
    """A stand-in kustomize that logs what it was given and sees (argv, environment, stdin, the copy's files and
    symlinks), then prints the base's manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "kustomize"
    copy = log.parent / "prod-kustomization.copy"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = version ]; then echo version > '{log}'; echo v5.0.0-fake; exit 0; fi\n"
        "tree=$(dirname \"$2\")\n"
        f"{{ printf '%s\\n' \"$@\"; echo \"KUBECONFIG=$KUBECONFIG\"; "
        "if read -r line; then echo stdin=open; else echo stdin=closed; fi; "
        "echo \"symlinks=$(find \"$tree\" -type l | wc -l | tr -d ' ')\"; "
        f"(cd \"$tree\" && find . -type f | sed 's/^/file=/'); }} >> '{log}'\n"
        f"cp \"$2/kustomization.yaml\" '{copy}' 2>/dev/null\n"
        "cat \"$tree/base/web.yaml\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


# -- hostile kustomizations: bounded, never hanging ------------------------------------------------------------


def test_a_base_reached_along_exponentially_many_paths_stops_at_the_bound(tmp_path: Path) -> None:
    files = {"l0/kustomization.yaml": "resources: [web.yaml]\n", "l0/web.yaml": _DEPLOYMENT}
    for level in range(1, 16):  # each level names the one below twice: 2^15 applications of l0
        files[f"l{level}/kustomization.yaml"] = f"resources: [../l{level - 1}, ../l{level - 1}/]\n"
    root = write_repo(tmp_path, files)
    result = scan(root, kustomize=NO_BINARY)
    assert [(d.path, d.message) for d in result.diagnostics if d.code == "limit"] == [
        ("l15/kustomization.yaml", "more than 1,000 kustomizations applied; overlay not rendered")]
    assert result.rendered_by == {"kustomize:l15": BUILTIN}
    assert not [n for _, n in result.graph.nodes(data="node") if n.type == "Deployment"]


def test_a_fifo_or_a_device_named_as_a_resource_is_not_read(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"app/kustomization.yaml": "resources: [pipe.yaml, web.yaml]\n",
                                 "app/web.yaml": _DEPLOYMENT})
    os.mkfifo(root / "app" / "pipe.yaml")
    result = scan(root, kustomize=NO_BINARY)
    assert [(d.path, d.message) for d in result.diagnostics if d.code == "unreadable"] == [
        ("app/pipe.yaml", "cannot be read (not a regular file); not rendered")]
    assert "kubernetes:Deployment:default@kustomize:app/web" in result.graph


def test_a_patch_restating_a_containers_name_leaves_the_container_at_its_base_line(tmp_path: Path) -> None:
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
             "      containers:\n        - name: web\n          env: [{name: EXTRA, value: '1'}]\n")
    root = write_repo(tmp_path, {"base/kustomization.yaml": "resources: [web.yaml]\n", "base/web.yaml": _DEPLOYMENT,
                                 "prod/kustomization.yaml": "resources: [../base]\npatchesStrategicMerge: [env.yaml]\n",
                                 "prod/env.yaml": patch})
    assert _findings(root, NO_BINARY, ("RESIL002", "ELAST004")) == {
        ("RESIL002", "base/web.yaml", 14, "kustomize:prod"), ("ELAST004", "base/web.yaml", 14, "kustomize:prod")}


@pytest.fixture
def base_server() -> Iterator[tuple[int, list[str]]]:
    with serving(_DEPLOYMENT.split("---")[0].encode(), "application/yaml") as server:
        yield server


@needs_kustomize
def test_a_remote_base_is_never_fetched(tmp_path: Path, base_server: tuple[int, list[str]]) -> None:
    port, requests = base_server
    root = write_repo(tmp_path, {"app/kustomization.yaml": f"resources:\n  - http://127.0.0.1:{port}/web.yaml\n"})
    # Control: kustomize itself, given the overlay as it is, fetches the remote base.
    assert KUSTOMIZE is not None
    command = ["kustomize"] if "kubectl" in Path(KUSTOMIZE).name else ["build"]
    sandbox.run(KUSTOMIZE, [*command, str(root / "app")], Limits(timeout=30))
    assert requests, "the control render did not fetch the base: this test would prove nothing"
    requests.clear()
    result = scan(root)
    assert requests == []
    assert [(d.path, d.line) for d in result.diagnostics if d.message.startswith("remote base, not rendered")] == [
        ("app/kustomization.yaml", 2)]


def test_a_cycle_no_overlay_reaches_is_still_reported_once(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"x/kustomization.yaml": "resources: [../y]\n",
                                 "y/kustomization.yaml": "resources: [../x]\n"})
    result = scan(root, kustomize=NO_BINARY)
    assert [(d.path, d.line, d.message) for d in result.diagnostics if d.code == "not-rendered"] == [
        ("x/kustomization.yaml", None, "overlay not rendered: it reaches y/kustomization.yaml:1 (see there)"),
        ("y/kustomization.yaml", 1, "kustomization cycle (x → y → x); overlay not rendered")]


@needs_kustomize
def test_a_generated_config_map_is_located_at_its_generator_entry(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"app/kustomization.yaml": ("resources: [web.yaml]\nnamePrefix: p-\n"
                                                            "configMapGenerator:\n  - name: extra\n"
                                                            "    literals: [B=2]\n"),
                                 "app/web.yaml": _DEPLOYMENT})
    result = scan(root, kustomize=KustomizeOptions(binary=KUSTOMIZE))
    [generated] = [n for _, n in result.graph.nodes(data="node")
                   if n.type == "ConfigMap" and n.name.startswith("p-extra-")]
    assert (generated.location.path, generated.location.line, generated.attrs["keys"]) == (
        "app/kustomization.yaml", 4, ["B"])
    without = scan(root, kustomize=NO_BINARY)
    assert [(d.path, d.line) for d in without.diagnostics if d.code == "unsupported"] == [("app/kustomization.yaml", 3)]


def test_a_rendered_overlay_is_cached_until_a_file_it_reaches_changes(tmp_path: Path) -> None:
    import shutil

    from auditor.cache import ParseCache
    from auditor.scan import scan

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "kustomize-overlays", root)
    cache = ParseCache(tmp_path / "cache")
    first = scan(root, cache=cache)
    hits = cache.hits
    second = scan(root, cache=cache)
    assert cache.hits > hits and not any(d.startswith("kustomize:") for d in second.render_seconds)
    assert [(n.id, n.attrs, n.evidence) for _, n in first.graph.nodes(data="node")] == \
        [(n.id, n.attrs, n.evidence) for _, n in second.graph.nodes(data="node")]
    assert first.rendered_by == second.rendered_by
    patch = next(root.rglob("single-replica.yaml"))
    patch.write_text(patch.read_text().replace("replicas: 1", "replicas: 2"))
    third = scan(root, cache=cache)
    assert any(d.startswith("kustomize:") for d in third.render_seconds)  # that overlay rendered again


def test_a_patch_holding_a_character_yaml_refuses_is_reported_on_its_line(tmp_path: Path) -> None:
    # libyaml names no line for an unacceptable character, only its position: the note took the line of the
    # kustomization's `path:` entry and put it in the patch file, one past its last line (found by fuzzing).
    import shutil

    shutil.copytree(OVERLAYS, tmp_path / "repo")
    patch = tmp_path / "repo" / "overlays" / "staging" / "single-replica.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace("kind:", "k\uffffind:"), encoding="utf-8")
    result = audit(tmp_path / "repo", AuditOptions(kustomize=NO_BINARY))
    [note] = [d for d in result.diagnostics if d.path == "overlays/staging/single-replica.yaml"]
    assert (note.line, note.code) == (2, "parse-error")
    assert note.message == ("patch is not valid YAML (unacceptable character #xffff: control characters are not "
                            "allowed); not applied")


def test_an_overlay_of_too_many_objects_is_read_to_the_bound_without_the_binary(tmp_path: Path) -> None:
    # 6,000 objects in one resource file kept kubectl kustomize busy until the sandbox's 30 s CPU limit (found
    # by fuzzing): past the bound the built-in rendering of the first objects is audited, and the binary not run.
    from auditor.render.helm import MAX_RENDERED_DOCUMENTS as MAX_OVERLAY_OBJECTS

    count = MAX_OVERLAY_OBJECTS + 500
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text("resources:\n  - maps.yaml\n", encoding="utf-8")
    (tmp_path / "app" / "maps.yaml").write_text("".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m{i}\ndata:\n  k: v\n" for i in range(count)),
        encoding="utf-8")
    result = scan(tmp_path, kustomize=KustomizeOptions(binary=find_kustomize()))
    assert result.rendered_by == {"kustomize:app": BUILTIN}
    [bound] = [d for d in result.diagnostics if d.code == "too-large"]
    first_cut = 1 + 7 * MAX_OVERLAY_OBJECTS + 1  # the `---` of the next object, then its first line
    assert (bound.path, bound.message) == ("app/kustomization.yaml", (
        f"the overlay renders more than 2,000 objects; from the one at app/maps.yaml:{first_cut} on they are not "
        f"audited, and it is rendered by {BUILTIN}"))
    maps = [node for _, node in result.graph.nodes(data="node") if node.type == "ConfigMap"]
    assert len(maps) == MAX_OVERLAY_OBJECTS


@pytest.mark.parametrize("index", ["²", "9" * 5000])
def test_a_json_patch_index_that_is_no_number_is_a_path_not_found(tmp_path: Path, index: str) -> None:
    """`"²".isdigit()` is true but int() refuses it, and int() of 5,000 digits raises: both were internal errors."""
    root = write_repo(tmp_path, {
        "base/kustomization.yaml": "resources: [web.yaml]\n", "base/web.yaml": _DEPLOYMENT,
        "prod/kustomization.yaml": ("resources: [../base]\npatches:\n  - target: {kind: Deployment, name: web}\n"
                                    "    patch: |-\n      - op: replace\n"
                                    f"        path: /spec/template/spec/containers/{index}/image\n        value: x\n")})
    result = scan(root, kustomize=NO_BINARY)
    assert not [d for d in result.diagnostics if d.code == "internal-error"], result.diagnostics
    assert any("path not found" in d.message for d in result.diagnostics), result.diagnostics
