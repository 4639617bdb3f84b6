"""Render time per Helm chart with each renderer: the helm binary and helm-python-sdk (auditor/render/helm_sdk.py).

    python bench/helm_render.py [--runs 5] DIR [DIR ...]

Each DIR is a repository (or a folder of one): its charts are rendered as an audit renders them (the same
charts, profiles and sandbox), --runs times by each renderer that is installed, one profile at a time
(RENDER_WORKERS = 1, so renders do not compete for the CPU), without a cache. Printed per deployment (chart and
values profile) and renderer: the median wall seconds of its render (the sandboxed child from start to its last
byte: what `render_seconds` reports) and whether it rendered; then per DIR and renderer, the median CPU seconds
all its renders used (user + system of the finished children: the machine may be shared, CPU time is the steadier
figure) and their median wall seconds.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections import defaultdict
from pathlib import Path

from auditor.discover import discover
from auditor.render import helm, helm_sdk


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("dirs", nargs="+", type=Path)
    args = parser.parse_args()
    helm.RENDER_WORKERS = 1
    renderers: list[tuple[str, helm.HelmOptions]] = []
    binary, site = helm.find_helm(), helm_sdk.find_sdk()
    if binary:  # asked here, so that neither version probe is timed
        renderers.append((f"helm {helm.helm_version(binary)}", helm.HelmOptions(binary=binary)))
    if site:
        renderers.append((helm_sdk.probe(site)[0] or "helm-python-sdk (does not load)", helm.HelmOptions(sdk=site)))
    print(f"{'deployment':72} {'renderer':37} {'wall s':>7}  result")
    for root in args.dirs:
        charts = discover(root).charts
        totals: dict[str, tuple[float, float]] = {}
        for name, options in renderers:
            walls: dict[str, list[float]] = defaultdict(list)
            ok: dict[str, bool] = {}
            cpu, wall = [], []
            for _ in range(args.runs):
                before, started = _children_cpu(), time.monotonic()
                rendered = helm.render_charts(root, charts, options)
                cpu.append(_children_cpu() - before)
                wall.append(time.monotonic() - started)
                for deployment, seconds in rendered.timings.items():
                    walls[deployment].append(seconds)
                    ok[deployment] = deployment in rendered.rendered_by
            for deployment in sorted(walls):
                label = f"{root.name}: {deployment}"[-72:]
                print(f"{label:72} {name:37} {statistics.median(walls[deployment]):>7.3f}  "
                      f"{'ok' if ok[deployment] else 'failed'}")
            totals[name] = (statistics.median(cpu), statistics.median(wall))
        for name, (cpu_s, wall_s) in totals.items():
            print(f"{root.name + ': all charts':72} {name:37} {wall_s:>7.3f}  {cpu_s:.3f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
