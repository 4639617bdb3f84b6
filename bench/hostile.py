"""Time and peak memory of `audit` on each hostile input alone (tests/hostile_inputs.py), worst first.

    python bench/hostile.py [--limit-gb 4] [--timeout 120]

Each input is written into a fresh repository beside its sibling manifest and audited by a child process
(`audit REPO -q`) under an address-space limit, so an input that still explodes is reported, not fatal.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_inputs import HOSTILE_INPUTS, SIBLING  # noqa: E402

# The child reports its own peak memory: RUSAGE_CHILDREN would give the largest of all children so far.
_CHILD = """\
import resource, sys
from auditor.cli import main
try:
    main()
finally:
    sys.stderr.write(f"\\nmaxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
"""


def measure(item_index: int, limit_bytes: int, timeout: float) -> tuple[float, int, str]:
    item = HOSTILE_INPUTS[item_index]
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch)
        target = repo / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
        (target.parent / "sibling.yaml").write_text(SIBLING.format(name="sibling"), encoding="utf-8")

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

        started = time.perf_counter()
        try:
            completed = subprocess.run(
                [sys.executable, "-c", _CHILD, str(repo), "-q"], capture_output=True, text=True,
                timeout=timeout, preexec_fn=limit, cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            return timeout, 0, "TIMEOUT"
        elapsed = time.perf_counter() - started
    rss = 0
    for line in completed.stderr.splitlines():
        if line.startswith("maxrss_kb="):
            rss = int(line.split("=", 1)[1])
    outcome = f"exit {completed.returncode}"
    if "MemoryError" in completed.stderr or completed.returncode < 0:
        outcome += " (memory limit or signal)"
    return elapsed, rss, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-gb", type=float, default=4.0, help="address-space limit of each child")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a child is killed")
    args = parser.parse_args()
    rows = []
    for index, item in enumerate(HOSTILE_INPUTS):
        elapsed, rss, outcome = measure(index, int(args.limit_gb * 1024**3), args.timeout)
        rows.append((elapsed, rss, item.name, len(item.content), outcome))
        print(f"  {elapsed:7.2f} s  {rss / 1024:8.1f} MB  {len(item.content):>9,} B  {outcome:<12} {item.name}",
              flush=True)
    rows.sort(reverse=True)
    worst = rows[0]
    print(f"\nworst time: {worst[2]}: {worst[0]:.2f} s, {worst[1] / 1024:.1f} MB peak")
    heaviest = max(rows, key=lambda row: row[1])
    print(f"worst memory: {heaviest[2]}: {heaviest[1] / 1024:.1f} MB peak, {heaviest[0]:.2f} s")
    print("(each figure is one whole `audit -q` process: interpreter start-up and imports included)")


if __name__ == "__main__":
    main()
