"""How fast is the pre-commit hook on a 100-service repository? Prints figures; asserts nothing.

    python bench/precommit.py [SERVICES]

Generates a repository (bench/make_repo.py), commits it, changes one line of one manifest, then times
`audit hook` on that file: a cold run (empty parse cache), warm runs (cache filled, as on every commit after
the first) comparing with the committed state, warm `--all` runs (no comparison: every finding of the
touched files), and the full `audit -q` for comparison. Each timing is the median of several runs of the real
command, wall and CPU (user + system of the child, which the machine's other load does not inflate).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_repo import make_repo

RUNS = 5
CHANGED = "k8s/svc010.yaml"
GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def _time(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> tuple[float, float]:
    timings = [_time(command, cwd, env) for _ in range(runs)]
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def _commit_and_change(root: Path) -> None:
    """The generated repository as one commit, then a one-line edit of CHANGED (what a developer stages)."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)
    manifest = root / CHANGED
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(":1.10.0", ":1.10.1"), encoding="utf-8")


def main() -> None:
    services = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as scratch:
        root = make_repo(Path(scratch) / "repo", services)
        _commit_and_change(root)
        cache = Path(scratch) / "cache"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1"}
        files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        hook = [sys.executable, "-m", "auditor.cli", "hook", CHANGED]
        full = [sys.executable, "-m", "auditor.cli", str(root), "-q"]
        cold = _time(hook, root, env)
        warm = _median(hook, root, env, RUNS)
        every = _median([*hook, "--all"], root, env, RUNS)
        whole = _median(full, root, {**env, "XDG_CACHE_HOME": str(Path(scratch) / "none")}, 3)
        startup = _median([sys.executable, "-c", "import auditor.cli"], root, env, RUNS)
        print(f"repository: {services} services, {files} files; one line of {CHANGED} changed")
        print("                                          wall      CPU")
        print(f"audit hook, cold cache                : {cold[0]:6.2f} s {cold[1]:6.2f} s")
        print(f"audit hook, warm cache                : {warm[0]:6.2f} s {warm[1]:6.2f} s  (median of {RUNS})")
        print(f"audit hook --all, warm cache          : {every[0]:6.2f} s {every[1]:6.2f} s  (median of {RUNS})")
        print(f"audit -q, whole repository, no cache  : {whole[0]:6.2f} s {whole[1]:6.2f} s  (median of 3)")
        print(f"python start-up + imports             : {startup[0]:6.2f} s {startup[1]:6.2f} s  (median of {RUNS})")


if __name__ == "__main__":
    main()
