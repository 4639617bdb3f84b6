"""Does an audit stay linear in the size of its input? Prints figures; asserts nothing.

    python bench/scaling.py [documents|files|all] [--sizes N,N,...] [--report] [--repeat R]

Two hostile-but-legal inputs, each at doubling sizes, written under the system temp directory and deleted
after each run:

- documents: one Kubernetes file of N `---`-separated documents (ConfigMaps, Deployments, the Services that
  select them; 1,250 to 10,000 by default). 10,000 stays under the YAML value budget and the 2 MiB file
  limit, so it is audited in full, not stopped with a diagnostic.
- files: a tree of N small files, 100 per directory (12,500 to 100,000 by default): one-document
  manifests, `.env` files, `.tf` files and files that are not audited.

For each size it runs the real command (`audit PATH -q`, with `--report` also the full terminal report,
output discarded) and prints wall and CPU time, the child's peak RSS, and time(N) / time(N/2): about 2 when
the cost is linear, 4 when quadratic. CPU time is the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT_SIZES = (1_250, 2_500, 5_000, 10_000)
FILE_SIZES = (12_500, 25_000, 50_000, 100_000)
PER_DIRECTORY = 100
NAMESPACES = 7
DATABASES = 50


def document(index: int) -> str:
    """The index-th document: three ConfigMaps in five (each naming a database host), one Deployment in
    five, and one Service in five selecting the Deployment just before it (same name and namespace)."""
    slot = index % 5
    if slot < 3:
        return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{index:05d}\n"
                f"data:\n  DB_URL: postgres://db{index % DATABASES}:5432/app\n")
    if slot == 3:
        name = f"app{index:05d}"
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
                f"  namespace: ns{index % NAMESPACES}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
                f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
                f"      - name: app\n        image: nginx:1.25\n")
    name = f"app{index - 1:05d}"
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: ns{(index - 1) % NAMESPACES}\n"
            f"spec:\n  selector: {{app: {name}}}\n")


def write_manifest(path: Path, documents: int) -> Path:
    """One YAML file of `documents` documents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n".join(document(index) for index in range(documents)), encoding="utf-8")
    return path


def write_tree(root: Path, files: int, per_directory: int = PER_DIRECTORY) -> Path:
    """`files` small files, `per_directory` to a directory, kinds in turn: a one-document manifest (the
    manifests together are `document(0)`, `document(1)`, …), a `.env`, a `.tf`, and a `.txt` never read."""
    for index in range(files):
        directory = root / f"d{index // per_directory:04d}"
        if index % per_directory == 0:
            directory.mkdir(parents=True, exist_ok=True)
        slot = index % 4
        if slot == 0:
            (directory / f"m{index}.yaml").write_text(document(index // 4), encoding="utf-8")
        elif slot == 1:
            (directory / f"s{index}.env").write_text(f"DATABASE_URL=postgres://db{index}:5432/app\n", encoding="utf-8")
        elif slot == 2:
            (directory / f"r{index}.tf").write_text(
                f'resource "aws_sqs_queue" "q{index}" {{\n  name = "q{index}"\n}}\n', encoding="utf-8")
        else:
            (directory / f"n{index}.txt").write_text("not audited\n", encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    exit_code: int


def _run(command: list[str]) -> Run:
    """The command's wall time, CPU time and peak RSS (its own, from wait4, not this process's)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "120"}
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak, child.returncode)


def _best(command: list[str], repeat: int) -> Run:
    runs = [_run(command) for _ in range(repeat)]
    return min(runs, key=lambda run: run.cpu)


def _ratio(figures: dict[int, float], size: int) -> str:
    half = figures.get(size // 2)
    return f"{figures[size] / half:5.2f}" if half else "    –"


def _measure(kind: str, sizes: list[int], report: bool, repeat: int) -> None:
    modes = [("-q", ["-q"])] + ([("report", [])] if report else [])
    print(f"\n{kind}: `audit PATH -q`{' and the full terminal report' if report else ''}, best of {repeat} by CPU")
    print(f"{'mode':>6} {'N':>8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'wall/½N':>8} {'cpu/½N':>8}  exit")
    walls: dict[str, dict[int, float]] = {mode: {} for mode, _ in modes}
    cpus: dict[str, dict[int, float]] = {mode: {} for mode, _ in modes}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"scaling-{kind}-{size}-") as temp:
            target = Path(temp) / "repo"
            if kind == "documents":
                write_manifest(target / "all.yaml", size)
            else:
                write_tree(target, size)
            for mode, flags in modes:
                run = _best([sys.executable, "-m", "auditor.cli", str(target), *flags], repeat)
                walls[mode][size], cpus[mode][size] = run.wall, run.cpu
                print(f"{mode:>6} {size:>8,} {run.wall:8.2f} {run.cpu:8.2f} {run.peak_mb:8.0f} "
                      f"{_ratio(walls[mode], size):>8} {_ratio(cpus[mode], size):>8}  {run.exit_code}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", nargs="?", choices=("documents", "files", "all"), default="all")
    parser.add_argument("--sizes", help="comma-separated sizes (default: the doubling series of each input)")
    parser.add_argument("--report", action="store_true", help="also time the full terminal report")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the one with least CPU is shown")
    args = parser.parse_args()
    kinds = ["documents", "files"] if args.input == "all" else [args.input]
    for kind in kinds:
        default = DOCUMENT_SIZES if kind == "documents" else FILE_SIZES
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else list(default)
        _measure(kind, sizes, args.report, max(1, args.repeat))


if __name__ == "__main__":
    main()
