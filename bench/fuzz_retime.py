"""Re-time the inputs a long fuzz run saved as slow, one at a time, on the code checked out here.

    python bench/fuzz_retime.py /tmp/fuzz-crashes [--repeat 3]

A fuzz run on a loaded machine (two workers beside other jobs) reports inputs over its time limit that are
slow only because the machine was busy. This runs each saved input (`input-*`, the original at full size) in
its own fresh process (with the collector settings the CLI sets), `--repeat` times, and prints the median and
the worst CPU time per finding (and the worst wall time beside it), slowest first, so a real slow spot can be
told from a busy machine. Nothing is
written.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import gc, sys, time
from auditor.cli import GC_THRESHOLDS
from auditor.scan import _PARSERS
gc.set_threshold(*GC_THRESHOLDS)  # as the CLI runs
parser, rel, path = sys.argv[1:4]
text = open(path, encoding="utf-8", errors="replace", newline="").read()
cpu, start = time.process_time(), time.perf_counter()
_PARSERS[parser](rel, text)
print(time.process_time() - cpu, time.perf_counter() - start)
"""


def time_once(parser: str, rel: str, path: Path, limit: float) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one parse in a fresh process; the limit (wall) for one that hangs."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, parser, rel, str(path)], capture_output=True,
                              text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return limit, limit
    if done.returncode != 0 or len(done.stdout.split()) != 2:
        return float("nan"), float("nan")
    cpu, wall = done.stdout.split()
    return float(cpu), float(wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the --out folder of bench/fuzz.py")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=30.0, help="give up on one run after this many seconds")
    args = parser.parse_args(argv)
    rows = []
    for finding_file in sorted(args.folder.glob("*/finding.json")):
        finding = json.loads(finding_file.read_text())
        target = str(finding.get("target", ""))
        if ":" not in target or target == "audit":
            continue
        name, rel = target.split(":", 1)
        inputs = sorted(finding_file.parent.glob("input-*"))
        if not inputs:
            continue
        times = [time_once(name, rel, inputs[0], args.limit) for _ in range(args.repeat)]
        cpus = [cpu for cpu, _ in times]
        rows.append((max(cpus), statistics.median(cpus), max(wall for _, wall in times), finding["kind"],
                     finding["key"], float(finding.get("seconds", 0.0)), inputs[0].stat().st_size))
    rows.sort(reverse=True)
    print(f"{'worst':>7} {'median':>7} {'wall':>7} {'in run':>7} {'bytes':>9}  kind       finding   (seconds of CPU; "
          "wall: the worst wall time)")
    for worst, median, wall, kind, key, seen, size in rows:
        print(f"{worst:7.2f} {median:7.2f} {wall:7.2f} {seen:7.2f} {size:9,}  {kind:10} {key}")
    over = [row for row in rows if row[1] > 2.0]
    print(f"\n{len(rows)} saved inputs re-timed; {len(over)} with a median over 2 s of CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
