"""Discovery: what is read, what is skipped and why, and how each file is classified."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.cache import ParseCache
from auditor.discover import discover, kind_by_content, kind_by_name
from auditor.scan import scan

DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
COMPOSE = "services:\n  api:\n    image: registry.example.com/api:1.0.0\n"


def _kinds(root: Path) -> dict[str, str]:
    return {f.path: f.kind for f in discover(root).files}


def test_classification_by_name_and_content(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "infra/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        "infra/prod.tfvars": "env = \"prod\"\n",
        "infra/extra.tf.json": "{}\n",
        "docker-compose.override.yml": COMPOSE,
        "stack/app.yaml": COMPOSE,  # compose by content
        "deploy/api.yaml": DEPLOYMENT,  # kubernetes by content
        "deploy/list.yml": "apiVersion: v1\nkind: List\nitems: []\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
        ".gitlab-ci.yml": "services:\n  - postgres:16\ntest:\n  script: [pytest]\n",  # list-form services
        "services/orders/src/main/resources/application.yml": "spring:\n  application:\n    name: orders\n",
        "app/settings.py": "DEBUG = False\n",
        "config/default.json": "{}\n",
        ".env.production": "A=1\n",
        "README.md": "# docs\n",
    })
    assert _kinds(tmp_path) == {
        "infra/main.tf": "terraform",
        "infra/prod.tfvars": "terraform",
        "infra/extra.tf.json": "terraform",
        "docker-compose.override.yml": "compose",
        "stack/app.yaml": "compose",
        "deploy/api.yaml": "kubernetes",
        "deploy/list.yml": "kubernetes",
        "services/orders/src/main/resources/application.yml": "appconfig",
        "app/settings.py": "appconfig",
        "config/default.json": "appconfig",
        ".env.production": "appconfig",
    }
    skipped = {s.path: s.reason for s in discover(tmp_path).skipped}
    assert skipped[".github/workflows/ci.yml"] == "YAML that is neither Kubernetes nor compose"
    assert skipped[".gitlab-ci.yml"] == "YAML that is neither Kubernetes nor compose"


def test_gitignore_nested_and_excludes(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        ".gitignore": "generated/\n*.local.yaml\n",
        "k8s/.gitignore": "scratch.yaml\n!keep.local.yaml\n",
        "generated/api.yaml": DEPLOYMENT,
        "k8s/api.yaml": DEPLOYMENT,
        "k8s/api.local.yaml": DEPLOYMENT,
        "k8s/keep.local.yaml": DEPLOYMENT,
        "k8s/scratch.yaml": DEPLOYMENT,
        "examples/demo/api.yaml": DEPLOYMENT,
        "vendor/chart/api.yaml": DEPLOYMENT,
        "node_modules/x/api.yaml": DEPLOYMENT,
        ".terraform/modules/vpc/main.tf": 'resource "aws_vpc" "v" {}\n',
    })
    found = {f.path for f in discover(tmp_path, excludes=["examples/**"]).files}
    assert found == {"k8s/api.yaml", "k8s/keep.local.yaml"}


def test_helm_templates_are_reported_not_parsed(tmp_path: Path) -> None:
    write_repo(tmp_path, {"chart/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n"
                                                       "  name: {{ .Release.Name }}\n"})
    inventory = discover(tmp_path)
    assert inventory.files == []
    assert [(d.path, d.code, d.level) for d in inventory.diagnostics] == [
        ("chart/templates/svc.yaml", "not-rendered", "note")]


def test_go_templates_in_a_plain_manifest_are_not_helm() -> None:
    rule = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  summary: '{{ $labels.pod }}'\n"
    assert kind_by_content("monitoring/rules.yaml", rule) == "kubernetes"


def test_names_alone() -> None:
    assert kind_by_name("compose.yaml") == "compose"
    assert kind_by_name("docker-compose.prod.yml") == "compose"
    assert kind_by_name("deploy/api.yaml") is None
    assert kind_by_name(".envrc") is None


def test_bom_and_utf16_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes("\ufeff".encode() + DEPLOYMENT.encode())
    (tmp_path / "b.yaml").write_bytes(DEPLOYMENT.replace("name: api", "name: web").encode("utf-16"))
    assert _kinds(tmp_path) == {"a.yaml": "kubernetes", "b.yaml": "kubernetes"}


JSON_LIST = """\
{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {"name": "api"},
      "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
          "metadata": {"labels": {"app": "api"}},
          "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:1.0"}]}
        }
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Service",
      "metadata": {"name": "api"},
      "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}
    }
  ]
}
"""


def test_kubernetes_json_manifests_are_manifests(tmp_path: Path) -> None:
    # `kubectl get -o json` exports and JSON manifests (a `List` or single objects, tab-indented too).
    tabbed = '{\n\t"apiVersion": "v1",\n\t"kind": "Service",\n\t"metadata": {"name": "db"},\n\t"spec": {}\n}\n'
    write_repo(tmp_path, {"deploy/all.json": JSON_LIST, "deploy/db.json": tabbed, "renovate.json": '{"name": "x"}\n',
                          "tsconfig.json": '{"compilerOptions": {"kind": "x"}}\n'})
    inventory = discover(tmp_path)
    assert {(f.path, f.kind) for f in inventory.files} == {("deploy/all.json", "kubernetes"),
                                                             ("deploy/db.json", "kubernetes")}
    assert sorted(s.path for s in inventory.skipped if s.reason == "JSON that is not a Kubernetes manifest") == [
        "renovate.json", "tsconfig.json"]
    result = scan(tmp_path)
    expected = {"kubernetes:Deployment:default/api", "kubernetes:Service:default/api", "kubernetes:Service:default/db"}
    assert expected <= set(result.graph.nodes)
    deployment = result.graph.nodes["kubernetes:Deployment:default/api"]["node"]
    assert (deployment.location.path, deployment.location.line) == ("deploy/all.json", 5)  # the object's opening brace


def test_package_folders_below_a_maven_source_root_are_not_build_output() -> None:
    from auditor.discover import code_skip_reason

    assert code_skip_reason("ui/src/main/java/com/shop/services/assets/ProxyingAssetsService.java") is None
    assert code_skip_reason("ui/src/test/java/com/shop/UiTest.java") == "test code"
    assert code_skip_reason("web/static/app.js") == "build output"
    assert code_skip_reason("services/orders/tests/test_api.py") == "test code"
    assert code_skip_reason("api/orders_pb2.py") == "generated code"


def test_a_long_hand_written_file_is_read_and_a_minified_or_generated_one_is_not() -> None:
    """Only a line longer than 2,000 characters in the first 200 KB means minified: a file of 3,000 short lines
    (its last thousand once counted as one line) is hand-written code."""
    from auditor.discover import code_content_skip_reason

    short_lines = b"".join(b"    total += compute(order, %d);\n" % n for n in range(3_000))
    assert code_content_skip_reason(short_lines) is None
    assert code_content_skip_reason(short_lines + b"var a=" + b"1," * 1_500 + b"\n") is not None
    assert code_content_skip_reason(b"var a=" + b"1," * 1_500) == "minified or generated code (very long lines)"
    assert code_content_skip_reason(b"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n") == \
        "generated code"
    assert code_content_skip_reason(b"// <AUTO-GENERATED>\nclass X {}\n") == "generated code"
    assert code_content_skip_reason(b"// generated once by hand\nclass X {}\n") is None
    assert code_content_skip_reason(b"") is None


def test_a_php_document_root_is_read() -> None:
    from auditor.discover import code_skip_reason

    assert code_skip_reason("portal/public/index.php") is None
    assert code_skip_reason("portal/public/app.js") == "build output"


def test_the_joined_gitignore_regex_decides_exactly_as_the_patterns_one_by_one() -> None:
    from itertools import product

    import pathspec

    from auditor.discover import _any_pattern

    lines = ["*.log", "!keep.log", "build/", "/docs/**/x.yaml", "a?b[cd].tf", "**/tmp", "!tmp/ok.yml", "deep/*/",
             "\\#x"]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    joined = _any_pattern(spec)
    assert joined is not None
    names = ["a.log", "keep.log", "build", "build/", "x.yaml", "axbc.tf", "tmp", "tmp/", "ok.yml", "#x", "c.tf"]
    folders = ["", "docs/", "docs/a/b/", "tmp/", "deep/one/", "src/build/", "x/"]
    for folder, name in product(folders, names):
        path = folder + name
        assert (joined.match(path) is not None) == (spec.check_file(path).include is not None), path


@pytest.mark.parametrize("pattern", ["*/", "**/"])
def test_a_pattern_for_every_folder_ignores_every_folder(tmp_path: Path, pattern: str) -> None:
    """`*/` and `**/` ignore every directory, as `git check-ignore` says (pathspec gives them an unanchored regex,
    which the joined regex once tried only at the start of a path, so the folders were read)."""
    manifest = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    root = write_repo(tmp_path, {".gitignore": pattern + "\n", "web.yaml": manifest, "k8s/api.yaml": manifest,
                                 "deploy/base/db.yaml": manifest})
    inventory = discover(root)
    assert [f.path for f in inventory.files] == ["web.yaml"]
    assert inventory.skipped == []


_SEGMENTS = ["a", "b", "ab", "*", "**", "?", "[ab]", "a*", "*.log", "x.log", "bin", "Debug", "[Dd]ebug"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "!"]), st.sampled_from(["", "/"]),
                          st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3),
                          st.sampled_from(["", "/"])), min_size=1, max_size=12),
       st.lists(st.tuples(st.lists(st.sampled_from(["a", "b", "ab", "x.log", "bin", "Debug", "debug", "c"]),
                                   min_size=1, max_size=4), st.booleans()), min_size=1, max_size=20))
def test_the_joined_gitignore_regex_matches_whenever_some_pattern_does(
        patterns: list[tuple[str, str, list[str], str]], paths: list[tuple[list[str], bool]]) -> None:
    """The one regex that decides most paths at once (floating patterns tried below each folder together) matches
    exactly the paths some pattern of the file matches, for random patterns and paths."""
    import pathspec

    from auditor.discover import _any_pattern

    lines = [neg + lead + "/".join(segments) + trail for neg, lead, segments, trail in patterns]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    joined = _any_pattern(spec)
    for segments, is_dir in paths:
        path = "/".join(segments) + ("/" if is_dir else "")
        matched = spec.check_file(path).include is not None
        assert (joined is not None and joined.match(path) is not None) == matched, (lines, path)


def test_versions_are_read_instead_of_the_work_tree(tmp_path: Path) -> None:
    """The hook's committed state: other contents at some paths, None for a file the commit does not have."""
    root = write_repo(tmp_path, {"docker-compose.yml": "services:\n  api:\n    image: api:2\n",
                                 "k8s/new.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: new}\n",
                                 "big.tf": 'locals { a = "b" }\n'})
    committed = {"docker-compose.yml": b"services:\n  api:\n    image: api:1\n", "k8s/new.yaml": None,
                 "big.tf": b"#" * 200}
    inventory = discover(root, max_bytes=100, versions=committed)
    assert [(f.path, f.kind, f.text) for f in inventory.files] == [
        ("docker-compose.yml", "compose", "services:\n  api:\n    image: api:1\n")]
    assert [(d.path, d.code, d.message) for d in inventory.diagnostics] == [
        ("big.tf", "too-large", "file is 200 bytes, over the 100-byte limit; not audited")]


# The hook's memo (discover.py `Remembered`): a file whose stat is unchanged since the last run is not read again.

def _audited(root: Path, cache: ParseCache | None) -> tuple[list[tuple[object, ...]], list[object]]:
    from auditor.audit import AuditOptions, audit

    result = audit(root, AuditOptions(cache=cache))
    return [(f.rule_id, f.location, f.message) for f in result.findings], result.diagnostics


def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test are seconds old at most: let the memo keep them anyway."""
    import auditor.discover as discover_module

    monkeypatch.setattr(discover_module, "_RACY_NS", -10**18)


def test_the_hook_does_not_read_a_file_again_whose_stat_is_unchanged(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.discover as discover_module

    _settled(monkeypatch)
    root = tmp_path / "repo"
    write_repo(root, {"docker-compose.yml": COMPOSE + "    environment:\n      DB_HOST: db\n",
                      "deploy/api.yaml": DEPLOYMENT, "infra/main.tf": 'resource "aws_nat_gateway" "a" {}\n',
                      "notes.yaml": "title: not a manifest\n"})
    cache = ParseCache(tmp_path / "cache")
    first = _audited(root, cache)
    decoded: list[str] = []
    source = discover_module._source
    monkeypatch.setattr(discover_module, "_source", lambda rel, *rest: decoded.append(rel) or source(rel, *rest))
    assert _audited(root, ParseCache(tmp_path / "cache")) == first
    assert decoded == []  # nor the file skipped last time (notes.yaml), nor any audited one
    assert _audited(root, None) == first  # and the same as a run with no cache at all
    decoded.clear()
    (root / "deploy/api.yaml").write_text(DEPLOYMENT.replace("api", "web"))
    assert _audited(root, ParseCache(tmp_path / "cache")) != first
    assert decoded == ["deploy/api.yaml"]


def test_a_file_rewritten_with_its_size_and_mtime_kept_is_read_again(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`touch -d` can put an mtime back, not a ctime: an edit that keeps the size and the mtime is still seen."""
    import os

    _settled(monkeypatch)
    root = tmp_path / "repo"
    write_repo(root, {"deploy/api.yaml": DEPLOYMENT})
    target = root / "deploy/api.yaml"
    before = target.stat()
    first = _audited(root, ParseCache(tmp_path / "cache"))
    target.write_text(DEPLOYMENT.replace("api", "web"))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    again = _audited(root, ParseCache(tmp_path / "cache"))
    assert again == _audited(root, None) != first


def test_a_file_written_just_before_it_was_read_is_not_trusted_next_time(tmp_path: Path) -> None:
    """Within a clock tick of its last write a file can change again with the same stat (git's racy entries)."""
    import os

    write_repo(tmp_path, {"deploy/api.yaml": DEPLOYMENT, "docker-compose.yml": COMPOSE})
    os.utime(tmp_path / "deploy/api.yaml", (0, 0))  # an old mtime; its ctime is now, and cannot be set back
    inventory = discover(tmp_path)
    assert len(inventory.files) == 2
    assert inventory.memo.files == {}


def test_a_file_with_a_suppression_comment_is_always_read(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    write_repo(tmp_path, {"deploy/api.yaml": "# audit: ignore-file[AVAIL001] one replica in dev\n" + DEPLOYMENT,
                          "docker-compose.yml": COMPOSE})
    memo = discover(tmp_path).memo
    assert set(memo.files) == {"docker-compose.yml"}
    again = discover(tmp_path, memo=memo)
    assert {f.path: f.text is None for f in again.files} == {"deploy/api.yaml": False, "docker-compose.yml": True}


def test_facts_missing_from_the_cache_make_the_run_read_every_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    _settled(monkeypatch)
    root = tmp_path / "repo"
    write_repo(root, {"docker-compose.yml": COMPOSE, "deploy/api.yaml": DEPLOYMENT})
    first = _audited(root, ParseCache(tmp_path / "cache"))
    cache = ParseCache(tmp_path / "cache")
    for folder in cache.directory.iterdir():  # every facts entry goes; the memo stays
        if folder.name != "memo":
            shutil.rmtree(folder)
    assert _audited(root, cache) == first
    assert not [d for d in first[1] if getattr(d, "code", "") == "internal-error"]


# The folder memo (discover.py `Listed`): a folder whose stat and ignore rules are unchanged is not listed again.

def _listed_folders(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """The folders under `root` listed from now on (os.scandir calls), repo-relative."""
    import os

    listed: list[str] = []
    scandir = os.scandir

    def counting(path: Path) -> object:
        if Path(path).is_relative_to(root):
            listed.append(Path(path).relative_to(root).as_posix())
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    return listed


def _tick() -> None:
    """Let the clock move past the timestamp granularity of the file system before the next write."""
    import time

    time.sleep(0.02)


def test_the_hook_does_not_list_a_folder_again_whose_stat_is_unchanged(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    root = tmp_path / "repo"
    write_repo(root, {"docker-compose.yml": COMPOSE, "deploy/api.yaml": DEPLOYMENT, "deploy/deep/web.yaml": DEPLOYMENT,
                      ".gitignore": "build/\n*.tmp.yaml\n", "deploy/skip.tmp.yaml": DEPLOYMENT,
                      "build/out.yaml": DEPLOYMENT, "docs/notes.md": "# notes\n"})
    first = _audited(root, ParseCache(tmp_path / "cache"))
    listed = _listed_folders(monkeypatch, root)
    assert _audited(root, ParseCache(tmp_path / "cache")) == first
    assert listed == []
    assert _audited(root, None) == first
    memo = discover(root).memo
    assert set(memo.folders) == {".", "deploy", "deploy/deep", "docs"}  # build/ is ignored: never listed
    assert {f.path for f in discover(root, memo=memo).files} == {"docker-compose.yml", "deploy/api.yaml",
                                                                 "deploy/deep/web.yaml"}


def test_a_file_added_to_a_remembered_folder_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    write_repo(tmp_path, {".gitignore": "*.tmp.yaml\n", "deploy/api.yaml": DEPLOYMENT})
    memo = discover(tmp_path).memo
    _tick()
    write_repo(tmp_path, {"deploy/web.yaml": DEPLOYMENT.replace("name: api", "name: web"),
                          "deploy/x.tmp.yaml": DEPLOYMENT})
    listed = _listed_folders(monkeypatch, tmp_path)
    again = discover(tmp_path, memo=memo)
    assert listed == ["deploy"]  # the root's listing still holds; its .gitignore is read for deploy/ all the same
    assert [f.path for f in again.files] == ["deploy/api.yaml", "deploy/web.yaml"]


def test_an_edited_gitignore_changes_what_the_folders_below_it_hold(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A .gitignore edited in place leaves its folder's mtime as it was: its own stat is part of the rules."""
    _settled(monkeypatch)
    write_repo(tmp_path, {".gitignore": "# nothing yet\n", "deploy/api.yaml": DEPLOYMENT,
                          "deploy/web.yaml": DEPLOYMENT.replace("name: api", "name: web"), "k8s/db.yaml": DEPLOYMENT})
    memo = discover(tmp_path).memo
    _tick()
    (tmp_path / ".gitignore").write_text("deploy/web.yaml\nk8s/\n")
    again = discover(tmp_path, memo=memo)
    assert [f.path for f in again.files] == [f.path for f in discover(tmp_path).files] == ["deploy/api.yaml"]


def test_a_folder_changed_just_before_it_was_listed_is_not_trusted_next_time(tmp_path: Path) -> None:
    write_repo(tmp_path, {"deploy/api.yaml": DEPLOYMENT, ".gitignore": "build/\n"})
    assert discover(tmp_path).memo.folders == {}


def test_a_folder_whose_gitignore_gave_a_diagnostic_is_always_listed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    write_repo(tmp_path, {"deploy/.gitignore": "*a*a*a*a*z\n", "deploy/api.yaml": DEPLOYMENT})
    first = discover(tmp_path)
    assert "deploy" not in first.memo.folders and "." in first.memo.folders
    again = discover(tmp_path, memo=first.memo)
    assert again.diagnostics == first.diagnostics and len(again.diagnostics) == 1


@pytest.mark.parametrize("path", ["a.py", "src/app/main.go", "A.PY", "web/x.Ts", "types/x.d.ts", "x.D.TS", ".py",
                                  "dir/.go", "a.", "a..py", "x/y.tar.gz", "pkg.py/", "...", ".", "", "Makefile",
                                  "x/v1.2/handler.js", "x/.hidden.java"])
def test_a_language_is_known_by_the_suffix_a_path_has(path: str) -> None:
    """`language_of` reads the suffix with string operations; it is the suffix pathlib gives."""
    from pathlib import PurePosixPath

    from auditor.code.languages import SUFFIXES, language_of

    expected = None if path.lower().endswith(".d.ts") else SUFFIXES.get(PurePosixPath(path).suffix.lower())
    assert language_of(path) == expected
