"""Calibrate the tree-sitter parse budgets (auditor/parsers/treesitter.py): real files against hostile ones.

    python bench/parse_budget.py /work/corpus [more folders with real .tf and source files]

Builds inputs at the size limits from the real files found (their text concatenated: 2 MB of Terraform,
1 MB of each source language) and the known hostile shapes (`"${${${…`, random text, random bytes), then
parses each twice in this process: once without a bound, counting tree-sitter's progress-callback calls
and the CPU time they cost (up to --cap seconds), and once within the budget, giving the verdict. Prints one
line per input: bytes, callback calls, calls per KB, CPU per call, unbounded CPU and wall time, budget and
verdict with its CPU time. Files are only read as text, never run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import tree_sitter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.code import languages
from auditor.code import parse as code_parse
from auditor.parsers import hcl, treesitter

SUFFIXES = {"hcl": (".tf",), "python": (".py",), "javascript": (".js",), "java": (".java",), "go": (".go",),
            "php": (".php",), "csharp": (".cs",)}
SIZES = {"hcl": 2_000_000}  # the discovery limit of each kind; source code 1 MB
SIBLING = 'resource "aws_sqs_queue" "kept" {\n  name = "kept"\n}\n'


def concatenated(folders: list[Path], suffixes: tuple[str, ...], size: int) -> bytes:
    """Real files of these suffixes, each whole, repeated in a fixed order until `size` bytes."""
    files = sorted(p for folder in folders for p in folder.rglob("*") if p.suffix in suffixes and p.is_file()
                   and not p.is_symlink() and ".min." not in p.name and p.stat().st_size < size)
    texts = [p.read_bytes() + b"\n" for p in files]
    texts = [t for t in texts if b"\0" not in t]
    if not texts:
        return b""
    out = bytearray()
    while True:
        for text in texts:
            if len(out) + len(text) > size:
                return bytes(out)
            out += text


def hostile(size: int) -> list[tuple[str, str, bytes]]:
    rng = random.Random(1)
    syntax = "".join(rng.choice('abc{}[]()="$%<>#/*\n ,.:?!-+0123') for _ in range(size)).encode()
    code = "".join(rng.choice("abc{}[]()=\"'$%<>#/*\n ,.:?!-+0123;`\\") for _ in range(size // 2)).encode()
    return [
        ("hcl", '200 KB of "${${${', (SIBLING + 'a = "' + "${" * 100_000).encode()),
        ("hcl", '1 MB of "${${${', (SIBLING + 'a = "' + "${" * 500_000).encode()),
        ("hcl", "1 MB of random HCL-like text", syntax[: size // 2]),
        ("hcl", "2 MB of random HCL-like text", syntax),
        ("hcl", "1 MB of random bytes", random.Random(4).randbytes(size // 2)),
        ("hcl", "nested `{ a = ` and spaces, 1.8 MB", ("a = " + ("{ a = " + " " * 40) * 40_000).encode()),
        *[(language, "1 MB of random code-like text", code) for language in ("python", "javascript", "java", "go",
                                                                              "php", "csharp")],
    ]


def parser_and_budget(language: str) -> tuple[tree_sitter.Parser, treesitter.Budget, int]:
    if language == "hcl":
        return hcl._parser(), hcl.PARSE_BUDGET, hcl.MAX_PARSE_MEMORY
    grammar = languages.grammar(language)
    assert grammar is not None, f"no {language} grammar installed"
    budget = code_parse.LANGUAGE_BUDGETS.get(language, code_parse.PARSE_BUDGET)
    return tree_sitter.Parser(grammar), budget, code_parse.MAX_PARSE_MEMORY


def unbounded(parser: tree_sitter.Parser, source: bytes, cap: float) -> tuple[int, float, float]:
    """(callback calls, CPU seconds, wall seconds) of a parse stopped only after `cap` seconds of CPU."""
    calls = 0
    cpu, wall = time.thread_time(), time.perf_counter()

    def progress(_offset: int, _has_error: bool) -> bool:
        nonlocal calls
        calls += 1
        return time.thread_time() - cpu > cap

    try:
        parser.parse(lambda offset, _point: source[offset: offset + 65536], progress_callback=progress)
    except ValueError:
        parser.reset()
    return calls, time.thread_time() - cpu, time.perf_counter() - wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, help="folders holding real .tf and source files")
    parser.add_argument("--cap", type=float, default=8.0, help="CPU seconds after which an unbounded parse stops")
    args = parser.parse_args(argv)
    inputs = [(language, f"real {language}, {len(data):,} B", data)
              for language, suffixes in SUFFIXES.items()
              if (data := concatenated(args.folders, suffixes, SIZES.get(language, 1_000_000)))]
    inputs += hostile(2_000_000)
    print(f"{'input':40s} {'bytes':>9s} {'calls':>7s} {'/KB':>5s} {'us/call':>8s} {'cpu':>6s} {'wall':>6s}  "
          f"{'budget':>6s} verdict (cpu)")
    for language, name, data in inputs:
        ts_parser, budget, memory = parser_and_budget(language)
        calls, cpu, wall = unbounded(ts_parser, data, args.cap)
        start = time.thread_time()
        parsed = treesitter.bounded_parse(ts_parser, data, budget, memory)
        spent = time.thread_time() - start
        verdict = "parsed" if parsed.problem is None else parsed.problem.code
        more = ">" if cpu > args.cap else ""
        print(f"{name[:40]:40s} {len(data):9,} {calls:7,} {calls / max(len(data), 1) * 1024:5.1f} "
              f"{cpu / max(calls, 1) * 1e6:8.1f} {more}{cpu:5.2f}s {wall:5.2f}s  {budget.seconds(len(data)):5.2f}s "
              f"{verdict} ({spent:.2f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
