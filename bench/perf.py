"""Where does an audit spend its time and memory? One script for issue 12's figures; asserts nothing.

    python bench/perf.py [CORPUS_DIR] [--sizes 100,500,2000,10000] [--copies 8] [--skip NAME,...]

Prints, with the machine's load average at the start of each part:

- floor: read every file the audit reads, tree-sitter-parse each `.tf` and source file, `yaml.load_all` each
  YAML with CSafeLoader, in this process (CPU seconds): what no audit can go below on one core;
- full audit of CORPUS_DIR with `-j 1` and with the default jobs: wall, CPU (the child and its workers) and
  peak RSS of the real command, and the ratio of one-core CPU to the floor;
- stages of the same audit in this process (discover, parse, combine + render, graph, rules, report);
- memory: peak RSS of `-j 1` on COPIES copies of the corpus, less the RSS of importing the tool, per input byte;
- generated repositories (bench/make_repo.py) at each size: stages, wall, peak RSS, and t(N)/t(previous);
- the hook on one changed file, cold and warm cache, and warm with the resident process (wall: least of 5), on
  the 100-service repository and on the corpus;
- checkov on the corpus and the ratio, when `checkov` is on PATH.

CPU time is the steadier figure on a shared machine; wall time is shown beside it. Parts can be skipped with
`--skip floor,audit,stages,memory,generated,hook,checkov`.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_repo import make_repo  # noqa: E402

from auditor.code.languages import grammar, language_of  # noqa: E402
from auditor.discover import discover  # noqa: E402

PARTS = ("floor", "audit", "stages", "memory", "generated", "hook", "checkov")
DEFAULT_SIZES = (100, 500, 2_000, 10_000)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + system of the child and the workers it waited for
    rss_mib: float  # the largest resident set among them
    status: int


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# Runs the command from a small fresh process and prints its CPU, peak RSS and exit code: a child forked from
# this script would start with this script's resident set as its peak (which grows with the in-process stages).
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `command` to completion with its output discarded: wall time, and its own CPU (with the workers it
    waited for) and peak RSS."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - started
    cpu, rss, status = done.stdout.split()
    return Run(wall, float(cpu), int(rss) / 1024, int(status))


def best(runs: int, make: Callable[[], Run]) -> Run:
    """The run with least CPU of `runs` (the least disturbed by other load)."""
    return min((make() for _ in range(runs)), key=lambda r: r.cpu)


def audit_command(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "auditor.cli", "scan", str(path), "-q", *extra]


def clean_env(cache: Path) -> dict[str, str]:
    """As a user runs it: bytecode written and reused (some shells here set PYTHONDONTWRITEBYTECODE, which makes
    every start compile the package again)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def floor(corpus: Path) -> tuple[float, int, int]:
    """CPU seconds to read and parse what the audit reads, the number of files and their bytes."""
    import tree_sitter
    import tree_sitter_hcl

    inventory = discover(corpus)
    hcl = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    parsers: dict[str, tree_sitter.Parser] = {}
    started = time.process_time()
    size = 0
    for source in inventory.files:
        data = (corpus / source.path).read_bytes()
        size += len(data)
        suffix = Path(source.path).suffix
        language = language_of(source.path)
        if suffix == ".tf":
            hcl.parse(data)
        elif suffix in (".yaml", ".yml"):
            try:
                for _ in yaml.load_all(data, Loader=yaml.CSafeLoader):
                    pass
            except yaml.YAMLError:
                pass
        elif language is not None:
            language_grammar = grammar(language)
            if language_grammar is not None:
                parser = parsers.setdefault(language, tree_sitter.Parser(language_grammar))
                parser.parse(data)
    return time.process_time() - started, len(inventory.files), size


def stages(path: Path) -> dict[str, float]:
    """CPU seconds of each stage of one audit of `path` in this process, with one parsing process."""
    from rich.console import Console

    from auditor.audit import AuditResult, load_all_rules
    from auditor.engine.run import all_findings, run_rules
    from auditor.engine.score import compute_score
    from auditor.graph.build import build_graph
    from auditor.report import terminal
    from auditor.scan import _RENDERED_KINDS, Scan, _combine_terraform, _render, parse_file

    times: dict[str, float] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        started = time.process_time()
        value = step()
        times[name] = time.process_time() - started
        return value

    rules = load_all_rules()
    inventory = timed("discover", lambda: discover(path))
    sources = [s for s in inventory.files if s.kind not in _RENDERED_KINDS]
    parsed = timed("parse", lambda: [parse_file(s) for s in sources])  # in this process, so its CPU is counted
    facts = timed("combine+render", lambda: _combine_terraform(parsed) + _render(path, inventory, None).facts)
    graph = timed("graph", lambda: build_graph(facts))
    runs, _ = timed("rules", lambda: run_rules(rules, graph, {}, {}))
    findings = all_findings(runs)
    scanned = Scan(path, inventory, facts, graph, [], {})
    result = AuditResult(scanned, rules, runs, findings, compute_score(runs, {}, {}), [])
    sink = Console(file=io.StringIO(), width=100, color_system=None)
    timed("report", lambda: terminal.render(result, sink))
    times["findings"] = len(findings)
    return times


def show_stages(label: str, times: dict[str, float]) -> None:
    total = sum(v for k, v in times.items() if k != "findings")
    parts = "  ".join(f"{k} {v:.2f}" for k, v in times.items() if k != "findings")
    rules = times.get("rules", 0.0) / total if total else 0.0
    print(f"  {label:<22} total {total:6.2f} s CPU: {parts}  (rules {rules:.0%}, {int(times['findings'])} findings)")


def copies(corpus: Path, count: int, into: Path) -> Path:
    target = into / f"corpus-x{count}"
    for index in range(count):
        shutil.copytree(corpus, target / f"copy{index}", symlinks=True,
                        ignore=shutil.ignore_patterns(".git"))
    return target


def git_repo(path: Path) -> None:
    """A committed git repository, as the hook finds it under pre-commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "bench"]):
        subprocess.run(command, cwd=path, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hook(path: Path, changed: str, scratch: Path) -> tuple[Run, Run, Run | None]:
    """Cold and warm `audit hook` on one changed file (a comment appended to it), and warm with the resident
    process (auditor/resident.py; None where there is none). The resident's CPU is not the caller's, so only
    its wall time tells."""
    with (path / changed).open("a", encoding="utf-8") as handle:
        handle.write("\n# bench: changed\n")
    env = clean_env(scratch / f"hook-cache-{path.name}")
    command = [sys.executable, "-m", "auditor.cli", "hook", changed]
    cold = run(command, cwd=path, env=env)
    warm = best(5, lambda: run(command, cwd=path, env=env))
    from auditor import resident

    if not resident.supported():
        return cold, warm, None
    (scratch / "run").mkdir(mode=0o700, exist_ok=True)
    env = {**env, "SCALE_AUDITOR_RESIDENT": "1", "XDG_RUNTIME_DIR": str(scratch / "run")}
    launched = [sys.executable, "-m", "auditor.launch", "hook", changed]
    run(launched, cwd=path, env=env)  # runs here and starts the resident
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        deadline = time.monotonic() + 60
        while resident.control("status") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        served = min((run(launched, cwd=path, env=env) for _ in range(5)), key=lambda result: result.wall)
        resident.control("stop")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return cold, warm, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--skip", default="", help=f"comma-separated parts among {', '.join(PARTS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per audit timing; the least CPU is shown")
    args = parser.parse_args()
    skip = {part for part in args.skip.split(",") if part}
    corpus: Path = args.corpus.resolve()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, corpus {corpus}")
    try:  # the in-process stages run with the collector settings the CLI sets
        from auditor.cli import GC_THRESHOLDS
        gc.set_threshold(*GC_THRESHOLDS)
    except ImportError:  # an older checkout measured with this script
        pass
    with tempfile.TemporaryDirectory(prefix="auditor-perf-") as scratch_name:
        scratch = Path(scratch_name)
        env = clean_env(scratch / "no-cache")
        floor_cpu = 0.0
        if "floor" not in skip:
            print(f"\nfloor (load {load()})")
            floor_cpu, files, size = floor(corpus)
            print(f"  {files} files, {size / 1e6:.1f} MB: read + parse {floor_cpu:.2f} s CPU in one process")
        if "audit" not in skip:
            print(f"\nfull audit of the corpus (load {load()}; least CPU of {args.repeat})")
            startup = best(args.repeat, lambda: run([sys.executable, "-c", "import auditor.cli"], env=env))
            print(f"  import auditor.cli     {startup.wall:6.2f} s wall {startup.cpu:6.2f} s CPU "
                  f"{startup.rss_mib:6.0f} MiB")
            for label, extra in (("-j 1", ("-j", "1")), ("default jobs", ())):
                result = best(args.repeat, lambda extra=extra: run(audit_command(corpus, *extra), env=env))
                ratio = f"  {result.cpu / floor_cpu:.1f}x the floor (CPU)" if floor_cpu and extra else ""
                print(f"  {label:<22} {result.wall:6.2f} s wall {result.cpu:6.2f} s CPU {result.rss_mib:6.0f} MiB"
                      f"{ratio}")
        if "stages" not in skip:
            print(f"\nstages, in process, one parsing process (load {load()})")
            show_stages("corpus", stages(corpus))
        if "memory" not in skip:
            print(f"\nmemory at {args.copies}x the corpus (load {load()})")
            big = copies(corpus, args.copies, scratch)
            size = sum(s.stat().st_size for s in (big / "copy0").rglob("*") if s.is_file() and not s.is_symlink())
            audited = sum(len((big / f.path).read_bytes()) for f in discover(big).files)
            base = run([sys.executable, "-c", "import auditor.cli"], env=env)
            result = run(audit_command(big, "-j", "1"), env=env)
            held = (result.rss_mib - base.rss_mib) * 1024 * 1024
            print(f"  {audited / 1e6:.1f} MB audited ({size * args.copies / 1e6:.0f} MB on disk): peak "
                  f"{result.rss_mib:.0f} MiB, {held / audited:.1f} bytes held per input byte, "
                  f"{result.wall:.1f} s wall {result.cpu:.1f} s CPU")
            shutil.rmtree(big)
        generated: dict[int, Path] = {}
        if "generated" not in skip:
            print(f"\ngenerated repositories (load {load()})")
            previous: float | None = None
            for services in sizes:
                path = make_repo(scratch / f"repo{services}", services)
                generated[services] = path
                times = stages(path)
                result = run(audit_command(path, "-j", "1"), env=env)
                growth = f"  x{result.cpu / previous:.1f} CPU" if previous else ""
                print(f"  {services:>6} services: {result.wall:6.2f} s wall {result.cpu:6.2f} s CPU "
                      f"{result.rss_mib:6.0f} MiB{growth}")
                show_stages(f"{services} services", times)
                previous = result.cpu
                if services != 100:
                    shutil.rmtree(path)
                    generated.pop(services)
        if "hook" not in skip:
            print(f"\nhook on one changed file (load {load()}; warm: least CPU of 5)")
            repo100 = generated.get(100) or make_repo(scratch / "repo100", 100)
            targets = [(repo100, "k8s/svc010.yaml", "100 services")]
            corpus_copy = scratch / "corpus-hook"
            shutil.copytree(corpus, corpus_copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            changed = next((f.path for f in discover(corpus_copy).files if f.path.endswith(("compose.yml",
                            "compose.yaml"))), None)
            if changed:
                targets.append((corpus_copy, changed, "corpus"))
            for path, file, label in targets:
                git_repo(path)
                cold, warm, served = hook(path, file, scratch)
                resident = f"; warm with the resident {served.wall:5.2f} s wall" if served else ""
                print(f"  {label:<14} cold {cold.wall:5.2f} s wall {cold.cpu:5.2f} s CPU; "
                      f"warm {warm.wall:5.2f} s wall {warm.cpu:5.2f} s CPU, {warm.rss_mib:.0f} MiB{resident} ({file})")
        if "checkov" not in skip and shutil.which("checkov"):
            print(f"\ncheckov (load {load()})")
            ours = run(audit_command(corpus, "-j", "1"), env=env)
            theirs = run(["checkov", "-d", str(corpus), "--quiet", "--compact"], env=env)
            print(f"  checkov {theirs.wall:.1f} s wall {theirs.cpu:.1f} s CPU {theirs.rss_mib:.0f} MiB; "
                  f"scale-auditor {ours.cpu:.1f} s CPU: {theirs.cpu / ours.cpu:.0f}x")
        elif "checkov" not in skip:
            print("\ncheckov: not on PATH, skipped")


if __name__ == "__main__":
    main()
