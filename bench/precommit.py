"""How fast is the pre-commit hook on a 100-service repository? Prints figures; asserts nothing.

    python bench/precommit.py [SERVICES]

Generates a repository (bench/make_repo.py), then times `audit hook` on two changed files: a cold run
(empty parse cache), warm runs (cache filled, as on every commit after the first), and the full
`audit -q` for comparison. Each timing is the median of several runs of the real command.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_repo import make_repo

RUNS = 5


def _time(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    services = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as scratch:
        root = make_repo(Path(scratch) / "repo", services)
        cache = Path(scratch) / "cache"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1"}
        files = sum(1 for p in root.rglob("*") if p.is_file())
        changed = ["k8s/svc010.yaml", "services/svc005/src/main/resources/application.yml"]
        hook = [sys.executable, "-m", "auditor.cli", "hook", *changed]
        full = [sys.executable, "-m", "auditor.cli", str(root), "-q"]
        cold = _time(hook, root, env)
        warm = statistics.median(_time(hook, root, env) for _ in range(RUNS))
        whole = statistics.median(_time(full, root, {**env, "XDG_CACHE_HOME": str(Path(scratch) / "none")})
                                  for _ in range(3))
        startup = statistics.median(_time([sys.executable, "-c", "import auditor.cli"], root, env) for _ in range(RUNS))
        print(f"repository: {services} services, {files} files")
        print(f"audit hook, 2 changed files, cold cache : {cold:6.2f} s")
        print(f"audit hook, 2 changed files, warm cache : {warm:6.2f} s  (median of {RUNS})")
        print(f"audit -q, whole repository             : {whole:6.2f} s  (median of 3)")
        print(f"python start-up + imports              : {startup:6.2f} s  (median of {RUNS})")


if __name__ == "__main__":
    main()
