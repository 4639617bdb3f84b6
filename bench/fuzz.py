"""Long fuzzing runs: the harness of tests/test_fuzz.py (tests/fuzzing.py), many more inputs, two workers.

    python bench/fuzz.py --per-parser 100000 --seconds-limit 2
    python bench/fuzz.py --per-parser 2000 --only compose,appconfig --audit 200

Prints progress every few seconds, then per parser: inputs tried, inputs with a contract problem (crashes,
internal errors, mislocated diagnostics, nondeterminism), inputs over the time limit, and the slowest input.
An input is judged by the CPU time the worker spent on it (a busy machine stretches wall time, not CPU time);
both are reported. A worker that has used 1.5 times the limit of CPU without answering, or has been silent
for --max-wall seconds, is killed (the hang guard): that input counts as killed, and as over the limit when
it had used more CPU than the limit.
Each distinct problem (exception type + innermost auditor/ frame; for a slow input, where it was when the
limit passed) is minimised and saved under --out (default /tmp/fuzz-crashes/): original and minimised input,
finding.json with the traceback, and summary.txt/summary.json for the whole run. Nothing is written to the
repository. Inputs come from a seeded generator, so a run is reproducible (`--seed`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing  # the shared harness lives next to the tests that use it
from fuzzing import Problem, Result, Target, Worker

SLOW_KINDS = frozenset({"timeout", "too-slow"})


@dataclass
class Finding:
    key: str
    kind: str
    parser: str
    target: str
    summary: str
    traceback: str
    seconds: float
    size: int
    minimized: str = ""
    shown: str = ""
    count: int = 1
    parsers: set[str] = field(default_factory=set)
    folder: str = ""


@dataclass
class Stats:
    tried: int = 0
    failing: int = 0  # inputs with a problem other than time
    slow: int = 0  # inputs over the CPU-time limit (finished late, or killed after using more)
    killed: int = 0  # by the wall-clock hang guard
    slowest: float = 0.0  # CPU seconds of the input that used the most CPU
    slowest_wall: float = 0.0  # its wall time
    max_wall: float = 0.0  # the longest wall time of any input (load shows here, not in CPU time)
    slowest_target: str = ""
    slowest_shown: str = ""
    slowest_size: int = 0
    slowest_killed: bool = False  # then its time is a lower bound


@dataclass
class Job:
    parser: str  # a parser name or "audit"
    target: Target | None
    text: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = Path(args.out)
        self.lock = threading.Lock()
        self.quotas = {name: args.per_parser for name in fuzzing.PARSERS if name in args.only}
        if "audit" in args.only and args.audit:
            self.quotas["audit"] = args.audit
        self.stats = {name: Stats() for name in self.quotas}
        self.findings: dict[str, Finding] = {}
        self.chooser = fuzzing.RandomChooser(args.seed)
        self.jobs = self._generate()
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.workers: list[Worker] = []

    # -- inputs ---------------------------------------------------------------------------------------

    def _generate(self) -> Iterator[Job]:
        """The edge cases of every target at full size first, then random inputs round-robin over the
        parsers (so each advances at the same pace), a target picked per input."""
        issued = dict.fromkeys(self.quotas, 0)
        targets = {name: [t for t in fuzzing.TARGETS if t.parser == name] for name in self.quotas}
        if not self.args.no_edge_cases:
            for name in self.quotas:
                for target in targets.get(name, []):
                    for _, text in fuzzing.edge_cases(target, self.args.max_bytes):
                        if issued[name] < self.quotas[name]:
                            issued[name] += 1
                            yield Job(name, target, text)
        while any(issued[name] < quota for name, quota in self.quotas.items()):
            for name, quota in self.quotas.items():
                if issued[name] >= quota:
                    continue
                issued[name] += 1
                if name == "audit":
                    yield Job("audit", None, files=fuzzing.repo_input(self.chooser, self.args.max_bytes))
                else:
                    target = fuzzing.pick(self.chooser, targets[name])
                    yield Job(name, target, fuzzing.parser_input(self.chooser, target, self.args.max_bytes))

    def next_job(self) -> Job | None:
        with self.lock:
            if self.stop.is_set():
                return None
            return next(self.jobs, None)

    # -- running --------------------------------------------------------------------------------------

    def execute(self, worker: Worker, job: Job, repeat: bool) -> Result:
        limit = self.args.seconds_limit
        if job.target is not None:
            return worker.parse(job.target, job.text, limit, repeat=repeat)
        root = fuzzing.temporary_root()
        try:
            written = fuzzing.write_repo(root, job.files)
            job.files = written
            return worker.audit(root, written, self.args.audit_seconds_limit)
        finally:
            fuzzing.remove_tree(root)

    def work(self, worker: Worker) -> None:
        count = 0
        while (job := self.next_job()) is not None:
            count += 1
            try:
                result = self.execute(worker, job, repeat=count % self.args.repeat_every == 0)
            except Exception as error:  # noqa: BLE001 - a harness failure is reported, the run goes on
                result = Result(0.0, [Problem("harness", f"{type(error).__name__}: {error}",
                                              f"harness {type(error).__name__}")])
                time.sleep(5)
            self.record(worker, job, result)

    def record(self, worker: Worker, job: Job, result: Result) -> None:
        size = len(job.text) if job.target else sum(len(d) for d in job.files.values())
        new: list[Problem] = []
        with self.lock:
            stats = self.stats[job.parser]
            stats.tried += 1
            kinds = {p.kind for p in result.problems}
            if "too-slow" in kinds or ("timeout" in kinds and result.seconds > self.args.seconds_limit):
                stats.slow += 1
            if "timeout" in kinds:
                stats.killed += 1
            if kinds - SLOW_KINDS:
                stats.failing += 1
            stats.max_wall = max(stats.max_wall, result.wall)
            if result.seconds > stats.slowest:
                stats.slowest, stats.slowest_size, stats.slowest_wall = result.seconds, size, result.wall
                stats.slowest_killed = "timeout" in kinds
                stats.slowest_target = str(job.target) if job.target else "audit"
                stats.slowest_shown = fuzzing.describe(job.text, 300) if job.target else _listing(job.files)
                self._save_slowest(job, result.seconds)
            for problem in result.problems:
                known = self.findings.get(problem.key)
                if known is not None:
                    known.count += 1
                    known.parsers.add(str(job.target or "audit"))
                    if problem.kind in SLOW_KINDS:
                        known.seconds = max(known.seconds, result.seconds)
                else:
                    self.findings[problem.key] = Finding(
                        problem.key, problem.kind, job.parser, str(job.target or "audit"), problem.summary,
                        problem.traceback, result.seconds, size, parsers={str(job.target or "audit")})
                    new.append(problem)
        for problem in new:
            try:
                self.report_new(worker, job, problem, result)
            except Exception as error:  # noqa: BLE001 - minimising is a nicety; the finding is already kept
                print(f"    could not minimise ({type(error).__name__}: {error})", file=sys.stderr, flush=True)

    def report_new(self, worker: Worker, job: Job, problem: Problem, result: Result) -> None:
        finding = self.findings[problem.key]
        print(f"\n*** new {problem.kind} in {finding.target}: {problem.key}\n    {problem.summary[:200]}",
              file=sys.stderr, flush=True)
        if job.target is not None:
            minimized = self.minimize_text(worker, job.target, job.text, problem)
            finding.minimized, finding.shown = minimized, fuzzing.describe(minimized, 2000)
        elif problem.kind == "memory":
            finding.shown = _listing(job.files)
        else:
            files = self.minimize_repo(worker, job.files, problem)
            finding.shown = _listing(files, with_content=True)
        finding.folder = str(self._folder(finding.key))
        self.save(finding, job)
        print(f"    minimized to {finding.shown[:300]}\n    saved in {finding.folder}", file=sys.stderr, flush=True)

    # -- minimising -----------------------------------------------------------------------------------

    def _budget(self, problem: Problem) -> float:
        # A time-out costs the whole limit per try; the budget bounds how long one finding holds a worker.
        return self.args.minimize_seconds

    def _still(self, worker: Worker, target: Target, problem: Problem) -> Callable[[str], bool]:
        limit = self.args.seconds_limit

        def still_fails(candidate: str) -> bool:
            if self.stop.is_set():
                return False
            result = worker.parse(target, candidate, limit, repeat=problem.kind == "nondeterministic")
            if problem.kind == "timeout":
                return any(p.kind == "timeout" for p in result.problems)
            if problem.kind == "too-slow":
                return any(p.kind in SLOW_KINDS for p in result.problems)
            return any(p.key == problem.key for p in result.problems)

        return still_fails

    def minimize_text(self, worker: Worker, target: Target, text: str, problem: Problem) -> str:
        if problem.kind in ("died", "harness", "memory"):  # memory: what earlier inputs left, not this one
            return text
        return fuzzing.shrink(text, self._still(worker, target, problem), seconds=self._budget(problem))

    def minimize_repo(self, worker: Worker, files: dict[str, bytes], problem: Problem) -> dict[str, bytes]:
        """Drop whole files while the problem persists, then shrink what is left, file by file."""
        deadline = time.monotonic() + self._budget(problem)

        def still(candidate: dict[str, bytes]) -> bool:
            if self.stop.is_set() or time.monotonic() > deadline:
                return False
            root = fuzzing.temporary_root()
            try:
                written = fuzzing.write_repo(root, candidate)
                result = worker.audit(root, written, self.args.audit_seconds_limit)
            finally:
                fuzzing.remove_tree(root)
            if problem.kind in SLOW_KINDS:
                return any(p.kind in SLOW_KINDS for p in result.problems)
            return any(p.key == problem.key for p in result.problems)

        for name in sorted(files):
            trial = {k: v for k, v in files.items() if k != name}
            if trial and still(trial):
                files = trial
        for name in sorted(files):
            data = files[name]
            text = data.decode("latin-1")  # every byte a character: shrinking keeps invalid UTF-8 invalid

            def file_fails(candidate: str, name: str = name, files: dict[str, bytes] = files) -> bool:
                return still({**files, name: candidate.encode("latin-1")})

            remaining = max(0.0, deadline - time.monotonic())
            if remaining:
                files = {**files, name: fuzzing.shrink(text, file_fails, seconds=remaining).encode("latin-1")}
        return files

    # -- saving ---------------------------------------------------------------------------------------

    def _folder(self, key: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")[:60]
        return self.out / f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"

    def save(self, finding: Finding, job: Job) -> None:
        folder = Path(finding.folder)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if job.target is not None:
            name = Path(job.target.path).name
            (folder / f"input-{name}").write_text(job.text, encoding="utf-8", newline="")
            (folder / f"minimized-{name}").write_text(finding.minimized, encoding="utf-8", newline="")
            (folder / "repro.py").write_text(
                f"from auditor.parsers import {job.target.parser}\n"
                f"text = open({str(folder / ('minimized-' + name))!r}, encoding='utf-8', newline='').read()\n"
                f"print({job.target.parser}.parse({job.target.path!r}, text))\n", encoding="utf-8")
        else:
            fuzzing.write_repo(folder / "repo", job.files)
        record = {k: v for k, v in vars(finding).items() if k not in ("minimized",)}
        record["parsers"] = sorted(finding.parsers)
        (folder / "finding.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")

    def _save_slowest(self, job: Job, seconds: float) -> None:
        """Keep the slowest input of each parser (inputs run in milliseconds are not worth a file)."""
        if seconds < self.args.seconds_limit / 10:
            return
        folder = self.out / f"slowest-{job.parser}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        if job.target is not None:
            (folder / f"input-{Path(job.target.path).name}").write_text(job.text, encoding="utf-8", newline="")
        else:
            fuzzing.write_repo(folder / "repo", job.files)
        (folder / "info.json").write_text(json.dumps({"cpu_seconds": seconds, "target": str(job.target or "audit")}),
                                          encoding="utf-8")

    # -- reporting ------------------------------------------------------------------------------------

    def progress_line(self) -> str:
        elapsed = time.monotonic() - self.started
        with self.lock:
            parts = [f"{name} {s.tried}/{self.quotas[name]}" for name, s in self.stats.items()]
            total = sum(s.tried for s in self.stats.values())
            distinct = len([f for f in self.findings.values() if f.kind not in SLOW_KINDS])
            slow = len([f for f in self.findings.values() if f.kind in SLOW_KINDS])
        return (f"[{elapsed:7.0f}s] {' | '.join(parts)} | {total / max(elapsed, 1e-9):.0f}/s | "
                f"{distinct} distinct problems, {slow} distinct slow spots")

    def progress(self) -> None:
        """A progress line every --progress-seconds, and the summary files rewritten every --summary-seconds, so
        a long run that is killed (or outlives the machine) leaves its figures behind."""
        last_summary = time.monotonic()
        while not self.stop.wait(self.args.progress_seconds):
            print(self.progress_line(), file=sys.stderr, flush=True)
            if time.monotonic() - last_summary >= self.args.summary_seconds:
                with self.lock:  # the workers add findings and figures under it
                    self.write_summary(self.summary())
                last_summary = time.monotonic()

    def summary(self) -> str:
        limit = self.args.seconds_limit
        lines = [f"fuzz run: seed {self.args.seed}, limit {limit:g}s of CPU per input "
                 f"({self.args.audit_seconds_limit:g}s per audit), {self.args.workers} workers, "
                 f"{time.monotonic() - self.started:.0f}s", "",
                 f"{'parser':12s} {'inputs':>8s} {'failing':>8s} {'over limit':>10s} {'killed':>7s} "
                 f"{'slowest':>9s} {'its wall':>9s} {'max wall':>9s}  slowest input (by CPU)"]
        for name, s in self.stats.items():
            slowest = f"{'>' if s.slowest_killed else ''}{s.slowest:.2f}s"
            lines.append(f"{name:12s} {s.tried:8d} {s.failing:8d} {s.slow:10d} {s.killed:7d} {slowest:>9s} "
                         f"{s.slowest_wall:8.2f}s {s.max_wall:8.2f}s  "
                         f"{s.slowest_target} ({s.slowest_size:,} chars) {s.slowest_shown[:160]}")
        lines += ["", "worker resident memory (MB, after the last input / most after any input): " + ", ".join(
            f"{w.resident_mb:,} / {w.peak_resident_mb:,}" for w in self.workers)]
        lines += ["", f"{len(self.findings)} distinct problems (key: exception type + innermost auditor/ frame):"]
        for finding in sorted(self.findings.values(), key=lambda f: (f.kind in SLOW_KINDS, f.kind, f.key)):
            lines.append(f"- [{finding.kind}] x{finding.count} {finding.key}  ({', '.join(sorted(finding.parsers))})"
                         f"\n    {finding.summary[:240]}\n    input: {finding.shown[:400]}\n    {finding.folder}")
        return "\n".join(lines)

    def write_summary(self, text: str) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "summary.txt").write_text(text + "\n", encoding="utf-8")
        data = {
            "seed": self.args.seed, "limit": self.args.seconds_limit,
            "stats": {name: vars(s) for name, s in self.stats.items()},
            "findings": [{**{k: v for k, v in vars(f).items() if k != "minimized"}, "parsers": sorted(f.parsers)}
                         for f in self.findings.values()],
        }
        (self.out / "summary.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def _listing(files: dict[str, bytes], with_content: bool = False) -> str:
    if not with_content:
        return ", ".join(f"{name} ({len(data):,} B)" for name, data in sorted(files.items()))
    return "; ".join(f"{name}: {fuzzing.describe(data.decode('utf-8', 'replace'), 400)}"
                     for name, data in sorted(files.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-parser", type=int, default=1000, help="inputs per parser (default 1000)")
    parser.add_argument("--audit", type=int, default=None,
                        help="whole-repository audits (default: per-parser / 20)")
    parser.add_argument("--seconds-limit", type=float, default=2.0,
                        help="CPU-time limit per input (default 2)")
    parser.add_argument("--audit-seconds-limit", type=float, default=None,
                        help="CPU-time limit of one whole audit with every report (default: 5 x --seconds-limit)")
    parser.add_argument("--max-wall", type=float, default=600.0,
                        help="kill a worker silent for this long whatever CPU it used (default 600 s; under nice -n "
                             "19 on a busy machine a worker may get a hundredth of a core)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2, one per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=",".join((*fuzzing.PARSERS, "audit")),
                        help="comma-separated parsers (and `audit`) to fuzz")
    parser.add_argument("--max-bytes", type=int, default=fuzzing.MAX_FILE_BYTES, help="largest input (2 MB)")
    parser.add_argument("--repeat-every", type=int, default=4,
                        help="run every Nth input twice to check determinism (default 4)")
    parser.add_argument("--minimize-seconds", type=float, default=60.0,
                        help="time to minimise one new finding")
    parser.add_argument("--memory-mb", type=int, default=4096, help="address-space limit of a worker")
    parser.add_argument("--resident-warn-mb", type=int, default=1536,
                        help="a worker holding more resident memory than this after an input is a `memory` problem "
                             "(default 1536; 0: not watched)")
    parser.add_argument("--progress-seconds", type=float, default=10.0)
    parser.add_argument("--summary-seconds", type=float, default=600.0,
                        help="rewrite summary.txt/summary.json in --out this often during the run")
    parser.add_argument("--no-edge-cases", action="store_true", help="skip the fixed edge cases (run first)")
    parser.add_argument("--max-minutes", type=float, default=0.0,
                        help="stop after this long and report (0: no limit); SIGTERM and Ctrl-C also stop cleanly")
    parser.add_argument("--out", default="/tmp/fuzz-crashes")
    args = parser.parse_args(argv)
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    if args.audit_seconds_limit is None:
        args.audit_seconds_limit = 5 * args.seconds_limit
    if args.audit is None:
        args.audit = max(1, args.per_parser // 20)

    run = Run(args)
    workers = [Worker(hash_seed=1000 * (index + 1), memory_mb=args.memory_mb, max_wall=args.max_wall,
                      resident_warn_mb=args.resident_warn_mb) for index in range(args.workers)]
    run.workers = workers
    threads = [threading.Thread(target=run.work, args=(w,), daemon=True) for w in workers]
    reporter = threading.Thread(target=run.progress, daemon=True)
    signal.signal(signal.SIGTERM, lambda *_: run.stop.set())
    for thread in [*threads, reporter]:
        thread.start()
    deadline = time.monotonic() + args.max_minutes * 60 if args.max_minutes else float("inf")
    try:
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)
            if time.monotonic() > deadline and not run.stop.is_set():
                print("\ntime is up: finishing the inputs in flight", file=sys.stderr, flush=True)
                run.stop.set()
    except KeyboardInterrupt:
        print("\ninterrupted: finishing the inputs in flight", file=sys.stderr, flush=True)
        run.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    run.stop.set()
    for worker in workers:
        worker.close()
    print(run.progress_line(), file=sys.stderr, flush=True)
    text = run.summary()
    run.write_summary(text)
    print(text, flush=True)
    return 1 if run.findings else 0


if __name__ == "__main__":
    sys.exit(main())
