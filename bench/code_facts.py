"""Source-code reading cost and yield: CPU seconds per MB of source, and the facts found, per language.

    python bench/code_facts.py DIR [DIR ...]

Reads every source file discovery would read under each DIR (tests, generated, vendored and minified code are
skipped as in an audit), parses each once in this process (grammar import included, as in a first audit), and
prints per language: files, MB, CPU seconds, CPU s/MB (the issue's goal: about 0.4 s per MB on one core), and
the facts found (calls with and without a bound, connections, handlers, sessions, tracing set-ups). CPU time
(`time.process_time`), not wall time, because the machine is shared.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from auditor.code import parse as code
from auditor.code.languages import language_of
from auditor.discover import discover


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    size: Counter[str] = Counter()
    files: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    facts: dict[str, Counter[str]] = defaultdict(Counter)
    skipped: Counter[str] = Counter()
    for directory in argv:
        inventory = discover(Path(directory))
        skipped.update(s.reason for s in inventory.skipped if language_of(s.path))
        for source in inventory.files:
            if source.kind != "code":
                continue
            language = language_of(source.path) or "?"
            started = time.process_time()
            result = code.parse(source.path, source.text)
            cpu[language] += time.process_time() - started
            size[language] += len(source.text.encode("utf-8", "surrogatepass"))
            files[language] += 1
            count = facts[language]
            for edge in result.edges:
                count["calls bounded" if edge.attrs.get("bounds") else "calls unbounded"] += 1
            for node in result.nodes:
                for call in node.attrs.get("unresolved_calls") or []:
                    count["calls bounded" if call.get("bounded") else "calls unbounded"] += 1
                count["handlers"] += len(node.attrs.get("handlers") or [])
                for setting in node.settings:
                    count[f"{setting.topic}={setting.value}" if setting.topic == "db_connect" else setting.topic] += 1
            count["diagnostics"] += len(result.diagnostics)
    print(f"{'language':<11} {'files':>6} {'MB':>7} {'CPU s':>7} {'s/MB':>6}  facts")
    for language in sorted(files):
        mb = size[language] / 1e6
        found = ", ".join(f"{k} {v}" for k, v in sorted(facts[language].items()) if v)
        print(f"{language:<11} {files[language]:>6} {mb:>7.2f} {cpu[language]:>7.2f} "
              f"{cpu[language] / mb if mb else 0:>6.2f}  {found}")
    total_mb = sum(size.values()) / 1e6
    total_cpu = sum(cpu.values())
    print(f"{'total':<11} {sum(files.values()):>6} {total_mb:>7.2f} {total_cpu:>7.2f} "
          f"{total_cpu / total_mb if total_mb else 0:>6.2f}")
    if skipped:
        print("skipped source files: " + ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
