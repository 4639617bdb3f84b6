"""`audit hook` reports what the change introduced: findings the committed state (HEAD) does not have.

Most tests commit a compose file with six findings, change it as a developer would, and run the real command
in the repository, as pre-commit does. The committed state is read with git plumbing that runs nothing: a
hostile `.git/config` whose traps ordinary git commands do spring stays silent.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from auditor.audit import AuditOptions, audit
from auditor.cache import ParseCache

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="the comparison reads HEAD with git")

COMPOSE = """\
services:
  web:
    image: registry.example.com/shop/web:1.0
    ports: ["8080:8080"]
    environment:
      API_URL: http://api:8000
  api:
    image: registry.example.com/shop/api:1.0
    environment:
      SESSION_STORE: memory
    deploy:
      replicas: 3
"""
# What HEAD already has (`audit hook --all` on the committed file).
EXISTING = [
    "docker-compose.yml:2: medium OBS001 `web` has no distributed tracing configured (no OpenTelemetry/APM setting, "
    "library or agent, auto-instrumentation annotation or mesh sidecar)",
    "docker-compose.yml:2: low OBS003 `web` exposes no metrics that anything collects (no Prometheus scrape "
    "annotation, monitor or scrape config, no metrics exporter setting or library, no mesh sidecar)",
    "docker-compose.yml:6: high RESIL001 `web` calls service `api` (API_URL) with no timeout, retry budget or circuit "
    "breaker configured for it; one slow dependency ties up every worker of `web`",
    "docker-compose.yml:7: medium OBS001 `api` has no distributed tracing configured (no OpenTelemetry/APM setting, "
    "library or agent, auto-instrumentation annotation or mesh sidecar)",
    "docker-compose.yml:7: low OBS003 `api` exposes no metrics that anything collects (no Prometheus scrape "
    "annotation, monitor or scrape config, no metrics exporter setting or library, no mesh sidecar)",
    "docker-compose.yml:10: high STATE001 `api` keeps sessions in the process's memory (`SESSION_STORE`); it runs up "
    "to 3 instances, so a user's session exists on only one of them",
]
ONE_REPLICA = ("docker-compose.yml:12: high AVAIL005 `api` has 1 replica and receives traffic; workloads that serve "
               "traffic need ≥ 2: every deploy, crash or node drain is an outage")
ONE_INSTANCE = ("docker-compose.yml:10: high STATE001 `api` keeps sessions in the process's memory (`SESSION_STORE`); "
                "it runs up to 1 instance; it cannot scale out without logging users out")
# Everything in the file after `replicas: 1` (`--all`): STATE001's message changes, its fingerprint does not.
AFTER = [*EXISTING[:5], ONE_INSTANCE, ONE_REPLICA]
REMAIN = "6 existing findings remain in the touched files (audit hook --all shows them)"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "core.hooksPath=/dev/null",
                    *args], cwd=repo, check=True, capture_output=True)


def _committed_repo(tmp_path: Path, commit: bool = True) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    if commit:
        _git(repo, "commit", "-q", "-m", "stack")
    return repo


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / "docker-compose.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _hook(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", "hook", *args], cwd=repo, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "XDG_CACHE_HOME": str(repo.parent / "cache"),
             "GIT_CEILING_DIRECTORIES": str(repo.parent)},  # a test folder inside some repository is no repository
    )


def _findings(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in completed.stdout.splitlines() if line.startswith("docker-compose.yml:")]


def test_a_one_line_change_reports_only_the_finding_it_introduced(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    _edit(repo, "replicas: 3", "replicas: 1")
    completed = _hook(repo, "docker-compose.yml")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert _findings(completed) == [ONE_REPLICA]
    assert completed.stdout.splitlines()[-1] == REMAIN


def test_a_change_that_introduces_nothing_passes_and_says_what_remains(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    # every line moves down one, and one line changes: the six findings are the same ones, on other lines
    _edit(repo, "services:\n", "# the shop's local stack\nservices:\n")
    _edit(repo, "shop/api:1.0", "shop/api:1.1")
    completed = _hook(repo, "docker-compose.yml")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert _findings(completed) == []
    assert completed.stdout.splitlines()[-1] == REMAIN
    assert "note:" not in completed.stderr


def test_all_shows_every_finding_in_the_touched_files(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    _edit(repo, "replicas: 3", "replicas: 1")
    completed = _hook(repo, "--all", "docker-compose.yml")
    assert completed.returncode == 1
    assert _findings(completed) == AFTER
    assert "existing" not in completed.stdout


def test_a_file_new_in_this_change_has_only_new_findings(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    (repo / "shop").mkdir()
    (repo / "docker-compose.yml").rename(repo / "shop/docker-compose.yml")
    completed = _hook(repo, "shop/docker-compose.yml")
    assert completed.returncode == 1
    assert [line for line in completed.stdout.splitlines() if line.startswith("shop/")] == [
        "shop/" + line for line in EXISTING]
    assert "existing" not in completed.stdout


@pytest.mark.parametrize("commit", [False, True], ids=["no-commit-yet", "not-a-repository"])
def test_without_a_commit_to_compare_with_every_finding_is_shown_with_a_note(tmp_path: Path, commit: bool) -> None:
    repo = _committed_repo(tmp_path, commit=commit)
    if commit:
        shutil.rmtree(repo / ".git")
    completed = _hook(repo, "docker-compose.yml")
    assert completed.returncode == 1
    assert _findings(completed) == EXISTING
    reason = "no commit yet" if not commit else (
        "git rev-parse failed: fatal: not a git repository (or any of the parent directories): .git")
    assert (f"note: not compared with the committed state ({reason}): every finding in the touched files is shown"
            in completed.stderr.splitlines())


def test_base_names_the_commit_to_compare_with(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    _edit(repo, "replicas: 3", "replicas: 1")
    _git(repo, "commit", "-q", "-am", "one replica")
    assert _findings(_hook(repo, "docker-compose.yml")) == []  # HEAD has it already
    assert _findings(_hook(repo, "--base", "HEAD~1", "docker-compose.yml")) == [ONE_REPLICA]
    refused = _hook(repo, "--base", "--output=x", "docker-compose.yml")
    assert "note: not compared with the committed state ('--output=x' is not a revision)" in refused.stderr


def test_pre_commit_from_ref_to_ref_compares_with_their_merge_base(tmp_path: Path) -> None:
    repo = _committed_repo(tmp_path)
    _git(repo, "branch", "-q", "main")
    _git(repo, "checkout", "-q", "-b", "feature")
    _edit(repo, "replicas: 3", "replicas: 1")
    _git(repo, "commit", "-q", "-am", "one replica")
    env = {"PRE_COMMIT_FROM_REF": "main", "PRE_COMMIT_TO_REF": "HEAD"}
    completed = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "hook", "docker-compose.yml"], cwd=repo, capture_output=True,
        text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "c"), **env})
    assert completed.returncode == 1
    assert _findings(completed) == [ONE_REPLICA]


def test_a_hostile_git_config_runs_nothing(tmp_path: Path) -> None:
    """fsmonitor, clean/smudge filters, textconv, an external diff and a pager each run a command when git
    refreshes the index, converts content or diffs; a promisor remote with an `ext::` URL would run one on a
    lazy fetch. The hook reads HEAD without any of them; `git status` and `git diff` show the traps are live."""
    repo = _committed_repo(tmp_path)
    traps = tmp_path / "traps"
    traps.mkdir()

    def trap(name: str) -> str:
        return f'"touch {shlex.quote(str(traps / name))}; cat"'

    with (repo / ".git/config").open("a", encoding="utf-8") as config:
        config.write(f"[core]\n\tfsmonitor = {trap('fsmonitor')}\n\tpager = {trap('pager')}\n"
                     f'[filter "evil"]\n\tsmudge = {trap("smudge")}\n\tclean = {trap("clean")}\n'
                     f'[diff "evil"]\n\ttextconv = {trap("textconv")}\n[diff]\n\texternal = {trap("external")}\n'
                     f"[protocol]\n\tallow = always\n")
    (repo / ".git/info/attributes").write_text("* filter=evil diff=evil\n", encoding="utf-8")
    _edit(repo, "replicas: 3", "replicas: 1")

    completed = _hook(repo, "docker-compose.yml")
    assert _findings(completed) == [ONE_REPLICA], completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[-1] == REMAIN
    assert list(traps.iterdir()) == []

    subprocess.run(["git", "status"], cwd=repo, capture_output=True, check=False)
    subprocess.run(["git", "diff"], cwd=repo, capture_output=True, check=False)
    assert {"fsmonitor", "clean", "external"} <= {path.name for path in traps.iterdir()}


def test_a_partial_clone_is_not_read(tmp_path: Path) -> None:
    """Reading a missing object of a partial clone fetches it from the promisor remote: never attempted."""
    repo = _committed_repo(tmp_path)
    trap = tmp_path / "fetched"
    for key, value in (("core.repositoryformatversion", "1"), ("extensions.partialClone", "origin"),
                       ("remote.origin.promisor", "true"), ("protocol.ext.allow", "always"),
                       ("remote.origin.url", f"ext::sh -c touch% {trap}")):
        _git(repo, "config", key, value)
    _edit(repo, "replicas: 3", "replicas: 1")
    completed = _hook(repo, "docker-compose.yml")
    assert ("note: not compared with the committed state (a partial clone: git would fetch missing objects to read "
            "them): every finding in the touched files is shown") in completed.stderr.splitlines()
    assert _findings(completed) == AFTER
    assert not trap.exists()
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=repo, capture_output=True, check=False)
    assert trap.exists()  # the trap is live: an ordinary fetch springs it


def test_a_changed_helm_chart_is_not_compared_and_says_so(tmp_path: Path) -> None:
    """Charts render from the work tree, so a committed values file cannot be rendered: all is shown."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "helm-shop", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "chart")
    values = repo / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8").replace("# The storefront's defaults.", "# Defaults."),
                      encoding="utf-8")
    compared, everything = _hook(repo, "values.yaml"), _hook(repo, "--all", "values.yaml")
    assert compared.returncode == everything.returncode == 1
    assert compared.stdout == everything.stdout
    assert ("note: the Helm chart at the repository root has changed files: charts render from the work tree only, "
            "so its findings in the touched files are all shown, not compared with the committed state"
            in compared.stderr.splitlines())


def test_the_committed_state_audited_through_versions_is_the_committed_checkouts_audit(tmp_path: Path) -> None:
    """What the hook compares with: the work tree with the changed files' committed bytes read instead (a new
    file absent), parses of the first audit reused from memory, equals a plain audit of the committed tree."""
    committed = FIXTURES / "mixed-eks-spring"
    work = tmp_path / "work"
    shutil.copytree(committed, work)
    orders, tfvars = work / "k8s/orders.yaml", work / "terraform/terraform.tfvars"
    orders.write_text("# edited\n" + orders.read_text(encoding="utf-8").replace("replicas: 3", "replicas: 1"),
                      encoding="utf-8")
    tfvars.write_text('environment = "staging"\n', encoding="utf-8")
    (work / "k8s/extra.yaml").write_text(
        (work / "k8s/inventory.yaml").read_text(encoding="utf-8").replace("inventory", "extra"), encoding="utf-8")
    versions: dict[str, bytes | None] = {path: (committed / path).read_bytes()
                                         for path in ("k8s/orders.yaml", "terraform/terraform.tfvars")}
    versions["k8s/extra.yaml"] = None
    cache = ParseCache(tmp_path / "cache", remember=True)
    staged = audit(work, AuditOptions(cache=cache))
    through_versions = audit(work, AuditOptions(cache=cache, versions=versions))
    plain = audit(committed, AuditOptions())
    assert staged.findings != plain.findings
    assert through_versions.findings == plain.findings
    assert through_versions.diagnostics == plain.diagnostics


# The committed state's findings remembered (engine/judged.py): the second audit needs no graph when the same facts
# were judged before, and a state nobody judged is judged as usual.

def _outcome(repo: Path, cache: ParseCache | None, **options: object) -> tuple[list[str], int | None, list[str]]:
    from auditor.engine.changes import hook_audit
    from auditor.engine.rules import load_all_rules

    outcome = hook_audit(repo, ["docker-compose.yml"], AuditOptions(cache=cache, **options),  # type: ignore[arg-type]
                         load_all_rules([]))
    found = [f"{f.rule_id} {f.location.line} {f.message}" for f in outcome.result.findings]
    return found, outcome.existing, outcome.notes


def _committed_states_judged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the hook built the committed state's graph from now on."""
    import auditor.engine.changes as changes

    built: list[int] = []
    link = changes.link
    monkeypatch.setattr(changes, "link", lambda gathered: built.append(1) or link(gathered))
    return built


def test_a_committed_state_judged_before_is_not_judged_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = _committed_repo(tmp_path)
    cache = tmp_path / "cache"
    _edit(repo, "replicas: 3", "replicas: 1")
    built = _committed_states_judged(monkeypatch)
    expected = _outcome(repo, None)
    assert expected[0] and expected[1] == 6 and built == [1]
    assert _outcome(repo, ParseCache(cache, remember=True)) == expected and built == [1, 1]
    # the same commit tried again (a fix elsewhere, a hook run twice): HEAD's findings are known
    assert _outcome(repo, ParseCache(cache, remember=True)) == expected and built == [1, 1]
    # the change committed; the next one compares with the state the last run audited as its work tree
    _git(repo, "commit", "-q", "-am", "one replica")
    _edit(repo, "shop/api:1.0", "shop/api:1.1")
    expected = _outcome(repo, None)
    built.clear()
    assert _outcome(repo, ParseCache(cache, remember=True)) == expected and built == []


def test_a_committed_state_no_run_judged_is_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit made without the hook (`--no-verify`, a pull), other rule options: other facts or another key."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = _committed_repo(tmp_path)
    cache = tmp_path / "cache"
    _edit(repo, "replicas: 3", "replicas: 1")
    _outcome(repo, ParseCache(cache, remember=True))
    built = _committed_states_judged(monkeypatch)
    lowered = {"severities": {"STATE001": "low"}}
    assert _outcome(repo, ParseCache(cache, remember=True), **lowered) == _outcome(repo, None, **lowered)
    assert built == [1, 1]
    _edit(repo, "replicas: 1", "replicas: 3")
    _edit(repo, "API_URL: http://api:8000", "API_URL: http://api:8000\n      API_TIMEOUT_MS: '500'")
    _git(repo, "commit", "-q", "-am", "a timeout, committed without the hook")
    _edit(repo, "replicas: 3", "replicas: 1")
    built.clear()
    expected = _outcome(repo, None)
    assert _outcome(repo, ParseCache(cache, remember=True)) == expected and built == [1, 1]
