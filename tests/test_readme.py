"""Every command of README.md is run here, so none of them can rot.

`bash` blocks: each `audit …` line runs through the real entry point (`auditor.cli.main`) with its
placeholders mapped to a copy of a fixture inside a scratch repository (PATH → its folder, FILE... → one of its
files, DIR → the repository), and must exit 0 or 1 (pass or findings: anything else means the README is
wrong) and write the files it names; `pip install` lines are run with pip against this checkout (the git URL
pointing at its HEAD commit); `bash scripts/check` is what CI runs. The pre-commit configuration runs with
the real pre-commit; the GitHub workflow is checked against action.yml (its scripts run in test_action.py);
the GitLab script runs like the `bash` lines. A line of a kind this module does not know fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, ROOT

from auditor import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
REPOSITORY_URL = "https://github.com/scale-auditor/scale-auditor"
FIXTURE = "k8s-shop"
HOOKED_FILE = "app/k8s/cart.yaml"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def commands(language: str = "bash") -> list[list[str]]:
    """Every command of the README's blocks in `language`, as argv (comments dropped, `&&` chains split)."""
    found = []
    for block in blocks(language):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            while words:
                cut = words.index("&&") if "&&" in words else len(words)
                found.append(words[:cut])
                words = words[cut + 1:]
    return found


_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _environment(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """`NAME=value audit …` → ({NAME: value}, [audit, …])."""
    count = next((i for i, word in enumerate(argv) if not _ASSIGNMENT.match(word)), len(argv))
    return dict(word.split("=", 1) for word in argv[:count]), argv[count:]


def _is_audit(argv: list[str]) -> bool:
    command = _environment(argv)[1]
    return bool(command) and (command[0] == "audit" or command[0].endswith("/bin/audit"))


def _yaml_block(key: str) -> Any:
    return next(data for data in map(yaml.safe_load, blocks("yaml")) if isinstance(data, dict) and key in data)


def _head_commit() -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout: the git-URL routes need a commit")
    return done.stdout.strip()


def test_every_bash_command_is_one_this_module_runs() -> None:
    others = [argv for argv in commands() if not _is_audit(argv)]
    assert others == [
        ["pip", "install", f"scale-auditor @ git+{REPOSITORY_URL}@COMMIT"],
        ["pip", "install", f"scale-auditor[helm] @ git+{REPOSITORY_URL}@COMMIT"],
        ["python3", "-m", "venv", ".venv"],  # the standard library's; the next two are run below
        [".venv/bin/pip", "install", "."],
        ["bash", "scripts/check"],
    ]
    assert "exec bash scripts/check" in (ROOT / ".ci/run").read_text(encoding="utf-8")  # what CI runs


def _workspace(tmp_path: Path) -> Path:
    """A scratch repository (`.git` is all the tool looks for) holding a copy of a fixture in `app/`."""
    workspace = tmp_path / "repo"
    shutil.copytree(FIXTURES / FIXTURE, workspace / "app")
    (workspace / ".git").mkdir()
    return workspace


def _placeholders(argv: list[str]) -> list[str]:
    mapped = {"PATH": "app", "DIR": ".", "FILE...": HOOKED_FILE, "./repo": "app"}
    return [mapped.get(word, word) for word in argv[1:]]


def _files_named(argv: list[str]) -> list[str]:
    """The report files a command says it writes: `-o FILE` and `-f FORMAT=FILE`."""
    named = [argv[i + 1] for i, word in enumerate(argv[:-1]) if word in ("-o", "--output")]
    named += [word.split("=", 1)[1] for i, word in enumerate(argv) if i and argv[i - 1] in ("-f", "--format")
              and "=" in word]
    return named


def _run_main(argv: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """`argv` through the console script's entry point, in `cwd`; its exit code."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["audit", *argv])
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cwd.parent / "cache"))
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    code = stopped.value.code
    return code if isinstance(code, int) else (0 if code is None else 2)


README_AUDITS = [argv for argv in commands() if _is_audit(argv) and not argv[0].startswith(".venv/")]


@pytest.mark.parametrize("argv", README_AUDITS, ids=[" ".join(argv) for argv in README_AUDITS])
def test_readme_audit_command(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    workspace = _workspace(tmp_path)
    environment, command = _environment(argv)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code = _run_main(_placeholders(command), workspace, monkeypatch)
    output = capsys.readouterr()
    assert code in (0, 1), output.out + output.err
    for name in _files_named(command):
        assert (workspace / name).is_file(), name
    assert "error:" not in output.err


def test_readme_audits_are_the_usage_lines() -> None:
    assert len(README_AUDITS) >= 14
    several = ["audit", "PATH", "-f", "terminal", "-f", "sarif=results.sarif", "-f", "markdown=summary.md"]
    assert several in README_AUDITS


# pip: from the checkout and from a git URL at a commit -----------------------------------------------------


def _pip_install(requirement: str, target: Path) -> subprocess.CompletedProcess[str]:
    """pip as the README runs it, without the dependencies (this interpreter has them) into `target`."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(target), requirement],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )


def _installed_audit(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The `audit` script pip installed in `target`, importing the installed package, not this checkout."""
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    return subprocess.run([str(target / "bin" / "audit"), *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


def test_pip_install_from_the_checkout_then_audit_the_sample(tmp_path: Path) -> None:
    chain = next(argv for argv in commands() if argv[0] == ".venv/bin/audit")
    installed = _pip_install(".", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr
    completed = _installed_audit(tmp_path / "site", *chain[1:], cwd=ROOT)
    assert completed.returncode == 1, completed.stderr  # "It prints the report and exits 1"
    assert "AVAIL005" in completed.stdout


def test_pip_install_from_a_git_url_at_a_commit(tmp_path: Path) -> None:
    commit = _head_commit()
    for argv in commands():
        if argv[:2] == ["pip", "install"]:
            requirement = argv[2].replace(f"git+{REPOSITORY_URL}@COMMIT", f"git+file://{ROOT}@{commit}")
            assert requirement != argv[2]
            installed = _pip_install(requirement, tmp_path / "site")
            assert installed.returncode == 0, installed.stderr
            assert "does not provide the extra" not in installed.stderr
    site = tmp_path / "site"
    import_check = subprocess.run(
        [sys.executable, "-c", "import auditor; print(auditor.__file__)"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(site)}, cwd=tmp_path, check=True,
    )
    assert import_check.stdout.startswith(str(site))
    completed = _installed_audit(site, "rules", cwd=tmp_path)
    assert completed.returncode == 0 and "AVAIL005" in completed.stdout  # the rule files ship in the package


# pre-commit --------------------------------------------------------------------------------------------------

SINGLE_REPLICA = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers: [{name: checkout, image: registry.example.com/shop/checkout:3.1.0}]
---
apiVersion: v1
kind: Service
metadata: {name: checkout, namespace: shop}
spec: {selector: {app: checkout}, ports: [{port: 8080}]}
"""


def test_the_pre_commit_configuration_runs_with_the_real_pre_commit(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    commit = _head_commit()
    config = _yaml_block("repos")
    (entry,) = config["repos"]
    assert entry["repo"] == REPOSITORY_URL and entry["rev"] == "COMMIT"
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in entry["hooks"]} <= {hook["id"] for hook in hooks}
    entry |= {"repo": str(ROOT), "rev": commit}  # the same route, from this checkout's commit (offline)
    repo = tmp_path / "service-repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (repo / "k8s/checkout.yaml").write_text(SINGLE_REPLICA, encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1",
           "PRE_COMMIT_COLOR": "never", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    completed = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--files", "k8s/checkout.yaml"],
                               cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "k8s/checkout.yaml:5: high AVAIL005" in completed.stdout


def test_the_hook_runs_on_every_kind_of_file_the_audit_reads() -> None:
    """pre-commit passes the hook only the files its `files` pattern matches (searched, as pre-commit does): every
    file discovery reads in any fixture, every chart file, and each file name the readers know by name (source
    code, build files, Dockerfiles, tracer configs, views that name classes) must be among them."""
    from auditor.code.languages import SUFFIXES
    from auditor.discover import REFERENCE_SUFFIXES, discover
    from auditor.parsers import telemetry
    from auditor.render import helm

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = re.compile(hook["files"])
    read: set[str] = set()
    for fixture in sorted(path for path in FIXTURES.iterdir() if path.is_dir()):
        inventory = discover(fixture)
        read |= {source.path for source in inventory.files} | set(inventory.references)
        for chart in inventory.charts:
            folder = (fixture / chart).parent
            read |= {path.relative_to(fixture).as_posix() for path in folder.rglob("*") if path.is_file()
                     and path.name not in {".gitignore", "README.md", "LICENSE", "NOTES.txt", *helm._DROPPED_NAMES}}
    named = [f"src/app{suffix}" for suffix in SUFFIXES] + [f"web/Views/Home{suffix}" for suffix in REFERENCE_SUFFIXES]
    named += [f"svc/{name}" for name in telemetry.knowledge().tracer_files]
    named += ["svc/pom.xml", "svc/build.gradle", "svc/build.gradle.kts", "svc/package.json", "svc/requirements.txt",
              "svc/requirements-prod.txt", "svc/requirements/base.in", "svc/pyproject.toml", "svc/Pipfile",
              "svc/go.mod", "svc/composer.json", "svc/Api.csproj", "Directory.Build.props", "svc/packages.config",
              "svc/Gemfile", "svc/Dockerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile", "svc/Containerfile",
              "charts/shop/templates/_helpers.tpl", "charts/shop/.helmignore", ".env", "svc/.env.production"]
    missed = sorted(path for path in read | set(named) if not files.search(path))
    assert missed == [], missed
    assert len(read) > 100  # the fixtures were read


# GitHub Actions and GitLab CI --------------------------------------------------------------------------------


def test_the_workflow_uses_the_action_as_action_yml_defines_it() -> None:
    workflow = _yaml_block("jobs")
    steps = workflow["jobs"]["audit"]["steps"]
    ours = next(step for step in steps if step.get("uses", "").startswith("scale-auditor/scale-auditor@"))
    assert ours["uses"] == "scale-auditor/scale-auditor@COMMIT"
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert set(ours["with"]) <= set(action["inputs"])
    assert ours["with"]["fail-on"] in ("critical", "high", "medium", "low", "info", "none")
    upload = next(step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    sarif = ours["with"]["sarif-file"]
    assert upload["with"]["sarif_file"] == sarif and f"hashFiles('{sarif}')" in upload["if"]


def test_the_gitlab_job_script_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    job = _yaml_block("scale-auditor")["scale-auditor"]
    install, run = (shlex.split(line) for line in job["script"])
    assert install == ["pip", "install", f"scale-auditor @ git+{REPOSITORY_URL}@COMMIT"]  # run above
    workspace = _workspace(tmp_path)
    code = _run_main(run[1:], workspace / "app", monkeypatch)
    capsys.readouterr()
    assert code in (0, 1)
    reports = job["artifacts"]["reports"]
    issues = json.loads((workspace / "app" / reports["codequality"]).read_text(encoding="utf-8"))
    assert issues and all(issue["location"]["path"].startswith("app/") for issue in issues)
    assert ET.parse(workspace / "app" / reports["junit"]).getroot().tag == "testsuites"


def test_benchmarks_the_readme_names_exist() -> None:
    named = re.findall(r"python (bench/\S+\.py)", README)
    assert named and [name for name in named if not (ROOT / name).is_file()] == []
