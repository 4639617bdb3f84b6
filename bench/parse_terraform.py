"""Terraform parse throughput: our tree-sitter-hcl parser, and python-hcl2 for comparison if installed.

    python bench/parse_terraform.py [DIR ...]     (default: every .tf under fixtures/)

python-hcl2 is not a dependency; `pip install python-hcl2` to include it in the comparison. Figures are
MB/s over repeated runs of ~3 s each, after one warm-up parse (python-hcl2 compiles its grammar then).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from auditor.parsers import terraform
from auditor.parsers.hcl import parse_document

ROOT = Path(__file__).resolve().parent.parent


def _rate(label: str, files: list[tuple[str, str]], parse: Callable[[str, str], object]) -> None:
    size = sum(len(text.encode()) for _, text in files)
    for path, text in files[:1]:
        parse(path, text)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < 3:
        for path, text in files:
            parse(path, text)
        runs += 1
    elapsed = time.perf_counter() - start
    print(f"{label:38s} {size * runs / elapsed / 1e6:6.2f} MB/s  ({len(files)} files, {size:,} bytes, {runs} runs)")


def main() -> None:
    roots = [Path(arg) for arg in sys.argv[1:]] or [ROOT / "fixtures"]
    files = [(p.as_posix(), p.read_text(encoding="utf-8")) for root in roots for p in sorted(root.rglob("*.tf"))
             if "hostile" not in p.parts]
    if not files:
        sys.exit("no .tf files found")
    _rate("tree-sitter-hcl: syntax tree only", files, lambda _p, text: parse_document(text))
    _rate("auditor terraform.parse (facts)", files, terraform.parse)
    _rate("auditor parse + combine (resolved)", files, lambda p, t: terraform.combine([terraform.parse(p, t)]))
    try:
        import hcl2  # type: ignore[import-not-found]
    except ImportError:
        print("python-hcl2 not installed: `pip install python-hcl2` to compare")
        return
    valid = []
    for path, text in files:
        try:
            hcl2.loads(text)
            valid.append((path, text))
        except Exception:  # noqa: BLE001 - python-hcl2 stops at the first syntax error; we recover
            print(f"python-hcl2 cannot parse {path} (no error recovery); left out of both runs below")
    _rate("auditor terraform.parse, same files", valid, terraform.parse)
    _rate("python-hcl2 loads (values, no lines)", valid, lambda _p, text: hcl2.loads(text))


if __name__ == "__main__":
    main()
