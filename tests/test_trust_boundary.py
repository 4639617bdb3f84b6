"""The trust boundary: nothing in the audited repository runs, leaks a secret, escapes the repository,
breaks a report or the CI log, or turns a crash into "findings" (see ARCHITECTURE.md, "Trust boundary").

Each test is an attack that worked on an earlier version; the comment above it says what it did then.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write_repo
from hostile_inputs import SECRET, SECRET_ENV, SIBLING

from auditor.cache import ParseCache, encode, loads
from auditor.config import ConfigError, load_config
from auditor.discover import DEFAULT_MAX_BYTES, discover
from auditor.engine.message import MessageError, fill, placeholders
from auditor.scan import parse_file

FORMATS = ("json", "sarif", "markdown", "gitlab", "junit", "html")
ONE_REPLICA = SIBLING


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", SECRET_ENV: SECRET, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd,
        env=environment,
    )


def all_formats(out: Path) -> list[str]:
    return ["-f", "terminal", *(arg for name in FORMATS for arg in ("-f", f"{name}={out / name}"))]


def outputs(completed: subprocess.CompletedProcess[str], out: Path) -> str:
    written = "".join((out / name).read_text(encoding="utf-8") for name in FORMATS if (out / name).exists())
    return completed.stdout + completed.stderr + written


def template_rule(message: str, rule_id: str = "RESIL901", slug: str = "repo-supplied-rule") -> str:
    """A complete, valid rule file from a repository's own rule folder (a copy of RESIL003's shape)."""
    text = (ROOT / "rules" / "RESIL003-missing-liveness-probe.yaml").read_text(encoding="utf-8")
    text = text.replace("id: RESIL003", f"id: {rule_id}").replace("slug: missing-liveness-probe", f"slug: {slug}")
    text = re.sub(r'(?m)^  message: ".*"$', lambda _: f"  message: {json.dumps(message)}", text)
    return text.replace("# expect: RESIL003", f"# expect: {rule_id}")


# --- 1. No code, no secrets, no files from outside the repository -----------------------------------------

# Before: the message was str.format-ted with the live node value, so `{value.__class__...}` reached
# os.environ and the CI token was printed into every report.
LEAKING_MESSAGE = (
    "{name} {value.__class__.__init__.__globals__[sys].modules[os].environ[CI_SECRET_TOKEN]}"
)


def test_a_rule_message_cannot_reach_attributes_and_the_secret_never_appears(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        ".auditor.yaml": "rule_dirs: [audit-rules]\n",
        "audit-rules/RESIL901-leak.yaml": template_rule(LEAKING_MESSAGE),
        "k8s/web.yaml": ONE_REPLICA.format(name="web"),
    })
    out = tmp_path / "out"
    completed = run_cli(str(repo), *all_formats(out))
    assert completed.returncode == 2, completed.stderr
    assert "check.message" in completed.stderr and "stray" in completed.stderr
    assert SECRET not in outputs(completed, out)


def test_message_grammar_is_names_only() -> None:
    assert placeholders("{type} `{name}` has {value} {{literal}}", ["type", "name", "value"]) == ["type", "name",
                                                                                                   "value"]
    for bad in ("{value.__class__}", "{value[0]}", "{name!r}", "{name:>10}", "{0}", "{}", "{ name }", "{"):
        with pytest.raises(MessageError):
            placeholders(bad, ["name", "value"])
    with pytest.raises(MessageError, match="unknown placeholder"):
        placeholders("{environ}", ["name"])
    # Filling uses str() of plain values only; a value that is an object is never indexed into.
    assert fill("{name}: {value} {{x}}", {"name": "api", "value": ["a", 1]}) == "api: ['a', 1] {x}"


def test_a_valid_repo_rule_still_works(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        ".auditor.yaml": "rule_dirs: [audit-rules]\n",
        "audit-rules/RESIL901-ok.yaml": template_rule("{type} `{name}` has no liveness probe ({value})"),
        "k8s/web.yaml": ONE_REPLICA.format(name="web"),
    })
    completed = run_cli(str(repo), "-q")
    assert "RESIL901 Deployment `web` has no liveness probe (False)" in completed.stdout, completed.stderr


class _Payload:
    """What a planted pickle entry did before: run a command when the hook read the cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_cache_entry_runs_nothing_and_is_a_miss(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    cache_home = tmp_path / "cache"
    marker = tmp_path / "executed"
    cache = ParseCache(cache_home / "scale-auditor")
    source = discover(repo).files[0]
    entry = cache._entry(source)
    entry.parent.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(_Payload(marker))
    entry.write_bytes(payload)
    entry.with_suffix(".pickle").write_bytes(payload)  # the name the old cache used
    completed = run_cli("hook", "--root", str(repo), "k8s/web.yaml", env={"XDG_CACHE_HOME": str(cache_home)})
    assert not marker.exists()
    assert "k8s/web.yaml:6: high AVAIL005" in completed.stdout, completed.stdout + completed.stderr
    # The planted entry was replaced by a real one, which the next run reads.
    assert json.loads(entry.read_text(encoding="utf-8"))["format"] == 1


@pytest.mark.parametrize("planted", [
    b'{"format": 1, "facts": {"$type": "Popen", "args": ["touch", "x"]}}',  # a type that is not ours
    b'{"format": 1, "facts": {"$type": "Facts", "path": 1, "kind": "kubernetes"}}',  # a field of the wrong type
    b'{"format": 1, "facts": ' + b"9" * 5000 + b"}",  # before: OverflowError/ValueError escaped
    b'{"format": 1, "facts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # RecursionError
    b'{"format": 1, "facts": {"$tuple": 3}}',
    b'{"format": 1, "facts": {"$pairs": [[[1], 2]]}}',
    b'{"format": 2, "facts": null}',
    b"\xff\xfe not json",
    b"",
])
def test_a_corrupt_cache_entry_is_a_miss(tmp_path: Path, planted: bytes) -> None:
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    source = discover(repo).files[0]
    cache = ParseCache(tmp_path / "cache")
    entry = cache._entry(source)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(planted)
    facts = cache.parse(source, parse_file)
    assert (cache.hits, cache.misses) == (0, 1)
    assert facts == parse_file(source)


def _planted_memo(files: bytes = b"{}", folders: bytes = b"{}") -> bytes:
    return b'{"format": 1, "memo": {"files": ' + files + b', "folders": ' + folders + b"}}"


@pytest.mark.parametrize("planted", [
    _planted_memo(b'{"k8s/web.yaml": {"$type": "Popen", "args": ["touch", "x"]}}'),
    _planted_memo(b'{"k8s/web.yaml": [1, 2, 3, 4, "kubernetes", "kubernetes"]}'),  # a field short
    _planted_memo(b'{"k8s/web.yaml": [-1, 2, 3, 4, "kubernetes", "kubernetes", "00"]}'),
    _planted_memo(b'{"k8s/web.yaml": [1, 2, 3, 4, "kubernetes", "pickle", "00"]}'),  # no such kind
    _planted_memo(b'{"k8s/web.yaml": [true, 2, 3, 4, "kubernetes", "kubernetes", "00"]}'),
    _planted_memo(b'{"k8s/web.yaml": [' + b"9" * 5000 + b', 2, 3, 4, "kubernetes", "", "x"]}'),
    _planted_memo(b"[" * 100_000 + b"]" * 100_000),
    _planted_memo(b"[]"),
    # folders (discover.py `Listed`): a name that is no single path segment would walk out of the folder
    _planted_memo(folders=b'{".": [1, 2, 3, "r", [["../../etc/passwd", "kubernetes"]]]}'),
    _planted_memo(folders=b'{".": [1, 2, 3, "r", [["..", "dir"]]]}'),
    _planted_memo(folders=b'{".": [1, 2, 3, "r", [["a\\u0000b", "dir"]]]}'),
    _planted_memo(folders=b'{".": [1, 2, 3, "r", [["k8s", "pickle"]]]}'),  # no such kind
    _planted_memo(folders=b'{".": [1, 2, 3, "r", [["k8s"]]]}'),
    _planted_memo(folders=b'{".": [1, 2, -3, "r", []]}'),
    _planted_memo(folders=b'{".": [1, 2, 3, 4, []]}'),
    _planted_memo(folders=b'{".": [1, 2, 3, "r", {"k8s": "dir"}]}'),
    _planted_memo(folders=b"[]"),
    b'{"format": 1, "memo": []}',
    b'{"format": 2, "memo": {"files": {}, "folders": {}}}',
    b"\xff\xfe not json",
])
def test_a_corrupt_discovery_memo_is_a_miss(tmp_path: Path, planted: bytes) -> None:
    """The hook's memo of what each file and folder was (discover.py `Remembered`, `Listed`) is checked field by
    field."""
    from auditor.scan import _memo_key, scan

    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    cache = ParseCache(tmp_path / "cache")
    entry = cache._derived_entry("memo", _memo_key(repo, DEFAULT_MAX_BYTES))
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(planted)
    assert cache.load_memo(_memo_key(repo, DEFAULT_MAX_BYTES)) is None
    assert scan(repo, cache=ParseCache(tmp_path / "cache")).facts == scan(repo).facts


def test_cache_round_trips_every_fixture_exactly() -> None:
    for source in discover(ROOT / "fixtures").files:
        facts = parse_file(source)
        back = loads(json.dumps(encode(facts)))
        assert back == facts and encode(back) == encode(facts), source.path


def test_a_cache_entry_is_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write cut short (a full disk, a killed process) leaves no half entry for the next run to read, and no
    temporary file behind."""
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    source = discover(repo).files[0]
    cache = ParseCache(tmp_path / "cache")

    def cut_short(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", cut_short)
    cache.parse(source, parse_file)
    entry = cache._entry(source)
    assert not entry.exists() and list(entry.parent.iterdir()) == []
    monkeypatch.undo()
    cache.store(source, parse_file(source))
    assert json.loads(entry.read_text(encoding="utf-8"))["format"] == 1
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


def test_the_cache_directory_is_private(tmp_path: Path) -> None:
    shared = tmp_path / "cache"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    cache = ParseCache(shared)
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    cache.parse(discover(repo).files[0], parse_file)
    assert cache.usable
    for directory in [shared, *(p for p in shared.rglob("*") if p.is_dir())]:
        assert directory.stat().st_mode & 0o077 == 0, directory


@pytest.mark.parametrize("config", [
    "rule_dirs: [/etc]\n",
    "rule_dirs: [../outside]\n",
    "baseline: /etc/passwd\n",
    "baseline: /dev/zero\n",  # before: read until gigabytes, then a MemoryError traceback
    "baseline: ../outside/baseline.json\n",
    "baseline: link.json\n",  # a link inside the repository to a file outside it
])
def test_paths_in_the_repository_config_stay_inside_it(tmp_path: Path, config: str) -> None:
    outside = tmp_path / "outside"
    write_repo(outside, {"baseline.json": f'{{"secret": "{SECRET}"}}', "RESIL901-x.yaml": template_rule("{name}")})
    repo = write_repo(tmp_path / "repo", {".auditor.yaml": config, "k8s/web.yaml": ONE_REPLICA.format(name="web")})
    (repo / "link.json").symlink_to(outside / "baseline.json")
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 2
    assert "outside the repository" in completed.stderr and ".auditor.yaml:1: " in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_a_config_file_that_links_outside_is_not_read(tmp_path: Path) -> None:
    write_repo(tmp_path / "outside", {"secret.yaml": f"token: {SECRET}\n"})
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    (repo / ".auditor.yaml").symlink_to(tmp_path / "outside" / "secret.yaml")
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 2 and "outside the repository" in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_a_baseline_that_is_a_device_is_refused_quickly(tmp_path: Path) -> None:
    # Before: `baseline: /dev/zero` grew to gigabytes, then a MemoryError traceback (from the command line
    # it is the user's own choice of path, and is still refused for not being a regular file).
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    completed = run_cli(str(repo), "-q", "--baseline", "/dev/zero")
    assert completed.returncode == 2
    assert "is not a regular file" in completed.stderr and "Traceback" not in completed.stderr


def test_a_baseline_error_does_not_echo_the_file(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        ".auditor.yaml": "baseline: notes.txt\n",
        "notes.txt": f"not json {SECRET}\n",
        "k8s/web.yaml": ONE_REPLICA.format(name="web"),
    })
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 2 and "not valid JSON" in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_a_baseline_on_the_command_line_may_live_anywhere(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    baseline = tmp_path / "elsewhere" / "accepted.json"
    assert run_cli("baseline", str(repo), "-o", str(baseline)).returncode == 0
    assert run_cli(str(repo), "-q", "--baseline", str(baseline)).returncode == 0


def test_init_and_baseline_never_write_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    (repo / ".auditor.yaml").symlink_to(victim)
    for args in (("init", str(repo)), ("init", str(repo), "--force")):
        completed = run_cli(*args)
        assert completed.returncode == 2 and "symbolic link" in completed.stderr
    (repo / "accepted.json").symlink_to(victim)
    (repo / ".auditor.yaml").unlink()
    assert run_cli("baseline", str(repo), "-o", str(repo / "accepted.json")).returncode == 0
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (repo / "accepted.json").is_symlink()
    assert json.loads((repo / "accepted.json").read_text(encoding="utf-8"))["version"] == 1


@pytest.mark.parametrize(("config", "key", "line"), [
    ("ignore:\n  - rule: AVAIL005\n    resource: web\n    reason: r\n    expires: 2020-02-30\n",
     "ignore[0].expires", 5),
    ("fail_on: high\nfail_under: !!int \"\"\n", "fail_under", 2),
    ("ignore:\n  - rule: AVAIL005\n    resource: web\n    reason: r\n    expires: !!timestamp junk\n",
     "ignore[0].expires", 5),
    ("max_file_bytes: " + "9" * 5000 + "\n", "max_file_bytes", 1),
    ("max_file_bytes: 100000000000\n", "max_file_bytes", 1),
    ("scoring:\n  category_weights: {state: .inf}\n", "scoring.category_weights.state", 2),
    ("rules:\n  severity: {AVAIL005: loud}\n", "rules.severity.AVAIL005", 2),
    ("exclude:\n  - docs/**\n  - '*a*a*a*a*z'\n", "exclude[1]", 3),  # exponential to match
])
def test_invalid_config_values_are_configuration_errors(tmp_path: Path, config: str, key: str, line: int) -> None:
    # Before: invalid dates and tagged scalars raised inside the YAML loader: a traceback and exit 1.
    repo = write_repo(tmp_path / "repo", {".auditor.yaml": config, "k8s/web.yaml": ONE_REPLICA.format(name="web")})
    with pytest.raises(ConfigError) as raised:
        load_config(repo)
    assert f".auditor.yaml:{line}: {key}" in str(raised.value)
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr


def test_pyproject_config_with_bad_toml_is_a_configuration_error(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        "pyproject.toml": "[tool.auditor]\nfail_under = " + "9" * 5000 + "\n",
        "k8s/web.yaml": ONE_REPLICA.format(name="web"),
    })
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 2 and "pyproject.toml" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_gitignore_pattern_that_backtracks_is_not_used(tmp_path: Path) -> None:
    # Before: `*a*a*a*a*a*z` in a .gitignore took 13 s per long file name (pathspec's regex backtracks).
    long_name = "a" * 200 + ".yaml"
    repo = write_repo(tmp_path / "repo", {
        ".gitignore": "build/\n*a*a*a*a*a*a*a*a*z\n",
        f"k8s/{long_name}": ONE_REPLICA.format(name="web"),
        "build/ignored.yaml": ONE_REPLICA.format(name="ignored"),
    })
    inventory = discover(repo)
    assert [f.path for f in inventory.files] == [f"k8s/{long_name}"]
    assert [(d.path, d.line, d.code) for d in inventory.diagnostics] == [(".gitignore", 2, "limit")]


def test_suppression_comments_and_agent_flags_scan_in_linear_time(tmp_path: Path) -> None:
    # Before: a line of 100,000 unclosed `# audit: ignore[` and a command of 100,000 `-javaagent:` were
    # quadratic to scan (each start rescanned the rest of the line).
    from auditor.checks.observability import _JAVA_AGENT, _TRACING_AGENT
    from auditor.engine.suppress import _COMMENT

    assert _COMMENT.search("# audit: ignore[" * 100_000) is None
    match = _COMMENT.search("x: 1  # audit: ignore[AVAIL005] staging runs one")
    assert match is not None and match.groups() == ("ignore", "AVAIL005", "staging runs one")
    assert not any(_TRACING_AGENT.search(jar) for jar in _JAVA_AGENT.findall("-javaagent:" * 100_000))
    assert [jar for jar in _JAVA_AGENT.findall("java -javaagent:/otel/opentelemetry-javaagent.jar -jar app.jar")
            if _TRACING_AGENT.search(jar)] == ["/otel/opentelemetry-javaagent.jar"]


# --- 2. Repository text cannot break the report or the CI log ---------------------------------------------

def test_markup_in_names_and_paths_cannot_crash_the_terminal_report(tmp_path: Path) -> None:
    # Before: `w[/]eb` crashed rich with MarkupError (exit 1) and the SARIF and Markdown after it were lost.
    repo = write_repo(tmp_path / "repo", {
        "x[/]y.yaml": ONE_REPLICA.format(name="w[/]eb"),
        "app/[slug]/x.yml": ONE_REPLICA.format(name="'[bold]api[/bold]'").replace("web", "api"),
    })
    out = tmp_path / "out"
    completed = run_cli(str(repo), "--fail-on", "low", *all_formats(out))
    assert completed.returncode == 1, completed.stderr
    assert "MarkupError" not in completed.stderr and "Traceback" not in completed.stderr
    for name in FORMATS:
        assert (out / name).stat().st_size > 0, name
    assert "w[/]eb" in completed.stdout and "[bold]api[/bold]" in completed.stdout
    sarif = json.loads((out / "sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert any("x%5B/%5Dy.yaml" in uri or "x[/]y.yaml" in uri for uri in uris)


def test_quiet_and_hook_output_is_plain_text(tmp_path: Path) -> None:
    # Before: `file:100:` printed as `file💯` and `app/[slug]/x.yml` as `app//x.yml`.
    lines = ONE_REPLICA.format(name="web").split("\n")
    padded = "\n".join(["# padding"] * 94 + lines)  # puts the Deployment's `replicas:` on line 100
    repo = write_repo(tmp_path / "repo", {"app/[slug]/x.yml": padded})
    completed = run_cli(str(repo), "-q")
    assert "app/[slug]/x.yml:100: high AVAIL005" in completed.stdout, completed.stdout
    hook = run_cli("hook", "--root", str(repo), "--no-cache", "app/[slug]/x.yml")
    assert "app/[slug]/x.yml:100: high AVAIL005" in hook.stdout, hook.stdout + hook.stderr


def test_cli_error_messages_are_plain_text(tmp_path: Path) -> None:
    missing = run_cli(str(tmp_path / "x[/]y"))
    assert missing.returncode == 2 and "x[/]y does not exist" in missing.stderr
    unknown = run_cli("explain", "[/]")
    assert unknown.returncode == 2 and "no rule '[/]'" in unknown.stderr


def test_newlines_and_escape_codes_in_names_are_neutralised(tmp_path: Path) -> None:
    # Before: a name with a newline made `-q` print a line starting `::error`, which GitHub Actions obeys as a
    # workflow command; raw escape sequences reached the terminal and the Markdown.
    name = "web\\n::error file=x::owned\\u001b[2J\\u202e"
    text = ONE_REPLICA.format(name=f'"{name}"')
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": text})
    out = tmp_path / "out"
    for args in (["-q"], all_formats(out)):
        completed = run_cli(str(repo), *args)
        assert completed.returncode == 1, completed.stderr
        printed = completed.stdout + completed.stderr
        if args != ["-q"]:
            printed += (out / "markdown").read_text(encoding="utf-8") + (out / "html").read_text(encoding="utf-8")
        assert not any(line.lstrip().startswith("::") for line in printed.splitlines()), printed
        assert "\x1b" not in printed and "\u202e" not in printed
        assert "web\\n::error file=x::owned\\x1b[2J\\u202e" in printed


def test_a_failing_reporter_does_not_cost_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from auditor import cli
    from auditor.report import markdown

    def broken(result: object) -> str:
        raise RuntimeError("reporter defect")

    monkeypatch.setattr(markdown, "render", broken)
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["audit", str(repo), "-q", *all_formats(out)[2:]])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == cli.EXIT_INTERNAL
    assert "internal error: the markdown report failed" in capsys.readouterr().err
    for name in FORMATS:
        assert (out / name).exists() == (name != "markdown"), name


def test_an_internal_error_is_exit_4_not_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor import audit, cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("defect")

    monkeypatch.setattr(audit, "audit", broken)
    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    monkeypatch.setattr(sys, "argv", ["audit", str(repo), "-q"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == cli.EXIT_INTERNAL


# --- 3. Nothing audited is not a pass ----------------------------------------------------------------------

def test_a_run_that_audited_nothing_says_so_and_exits_5(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {"README.md": "# docs\n", "src/app.rb": "puts 1\n"})
    completed = run_cli(str(repo), "-q")
    assert completed.returncode == 5
    assert "nothing was audited" in completed.stderr
    broken = write_repo(tmp_path / "broken", {"docker-compose.yml": "services:\n  web: [\n"})
    assert run_cli(str(broken), "-q").returncode == 5
    assert run_cli("baseline", str(repo), "-o", str(tmp_path / "b.json")).returncode == 5
    # One readable file is enough.
    write_repo(broken, {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    assert run_cli(str(broken), "-q").returncode == 1


def test_a_deep_document_after_many_others_is_located_from_its_own_start() -> None:
    # Before: locating the depth limit re-read every earlier document with the pure-Python parser (4 s for
    # 10,000 of them, found by fuzzing); now the walk starts at the document that failed.
    from auditor.parsers.yaml_source import load_documents

    head = "".join(f"---\nname: c{i}\n" for i in range(10_000))
    documents, error = load_documents(head + "---\nx: " + "[" * 2_000 + "\n")
    assert len(documents) == 10_000
    assert error is not None and (error.code, error.line) == ("too-deep", 20_002)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_report_to_a_stream_is_written_to_it_not_replacing_it(tmp_path: Path) -> None:
    """`-o /dev/null` as root replaced the device with a regular file (the atomic write renamed over it); a named
    pipe stands in for it here."""
    import threading

    repo = write_repo(tmp_path / "repo", {"k8s/web.yaml": ONE_REPLICA.format(name="web")})
    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []

    def read() -> None:
        with open(pipe, "rb") as handle:  # waits for the writer
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    completed = run_cli(str(repo), "-q", "-f", "sarif", "-o", str(pipe))
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # (a reader left waiting on the replaced pipe is a daemon)
    reader.join(30)
    assert completed.returncode == 1, completed.stderr  # findings, and no error writing the report
    assert received and json.loads(received[0])["version"] == "2.1.0"


def test_a_well_formed_memo_is_read(tmp_path: Path) -> None:
    """The counterpart of the corrupt memos: the same envelope with records of the right shape is a hit."""
    from auditor.discover import Memo
    from auditor.scan import _memo_key

    cache = ParseCache(tmp_path / "cache")
    entry = cache._derived_entry("memo", _memo_key(tmp_path, DEFAULT_MAX_BYTES))
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(_planted_memo(b'{"k8s/web.yaml": [1, 2, 3, 4, "kubernetes", "kubernetes", "00"]}',
                                    b'{".": [1, 2, 3, "r", [["k8s", "dir"], ["web.yaml", "unknown"]]]}'))
    assert cache.load_memo(_memo_key(tmp_path, DEFAULT_MAX_BYTES)) == Memo(
        {"k8s/web.yaml": (1, 2, 3, 4, "kubernetes", "kubernetes", "00")},
        {".": (1, 2, 3, "r", (("k8s", "dir"), ("web.yaml", "unknown")))})


@pytest.mark.parametrize("planted", [
    b'{"format": 1, "judged": {"rules": ["AVAIL005"], "findings": [["AVAIL005", {"$type": "Popen"}]]}}',
    b'{"format": 1, "judged": {"rules": "AVAIL005", "findings": []}}',
    b'{"format": 1, "judged": {"rules": [1], "findings": []}}',
    b'{"format": 1, "judged": {"rules": [], "findings": [["AVAIL005"]]}}',
    b'{"format": 1, "judged": {"rules": []}}',
    b'{"format": 1, "judged": []}',
    b'{"format": 1, "judged": {"rules": [], "findings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    b'{"format": 2, "judged": {"rules": [], "findings": []}}',
    b"\xff\xfe not json",
])
def test_a_corrupt_judged_entry_is_a_miss(tmp_path: Path, planted: bytes) -> None:
    """The findings the hook remembers of a committed state (engine/judged.py) are checked like every entry."""
    cache = ParseCache(tmp_path / "cache")
    entry = cache._derived_entry("judged", "key")
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(planted)
    assert cache.load_judged("key") is None
    entry.write_bytes(b'{"format": 1, "judged": {"rules": ["AVAIL005"], "findings": [["AVAIL005", "f1"]]}}')
    assert cache.load_judged("key") == (frozenset({"AVAIL005"}), [("AVAIL005", "f1")])
