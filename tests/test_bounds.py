"""Every parse and evaluation of hostile input is bounded, and a bound that is hit is a located diagnostic.

Inputs are the worst cases found by measurement (see each test), large enough that a quadratic regression
makes this module visibly slow. Each case runs in a forked child with a generous time limit, so a hang is a
failure of that case rather than of the whole run; no test asserts a timing.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.code import facts as code_facts
from auditor.code import parse as code_parse
from auditor.model import Diagnostic, Facts
from auditor.parsers import appconfig, compose, hcl, kubernetes, redact, settings, telemetry, terraform, treesitter

LIMIT_SECONDS = 30
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def within(function: Callable[..., Any], *args: Any, seconds: float = LIMIT_SECONDS) -> Any:
    """`function(*args)` in a forked child; a child still running after `seconds` is a test failure."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(("ok", function(*args)))
        except BaseException as error:  # noqa: BLE001 - hand any failure to the parent test
            sender.send(("error", f"{type(error).__name__}: {error}"))

    process = context.Process(target=child, daemon=True)
    process.start()
    deadline = time.monotonic() + seconds
    while not receiver.poll(0.2):
        if not process.is_alive() and not receiver.poll(0):
            pytest.fail(f"{getattr(function, '__name__', function)} killed its process (exit code {process.exitcode})")
        if time.monotonic() > deadline:
            process.kill()
            process.join()
            pytest.fail(f"{getattr(function, '__name__', function)} did not finish within {seconds} s")
    status, value = receiver.recv()
    process.join()
    if status == "error":
        pytest.fail(value)
    return pickle.loads(pickle.dumps(value))


def codes(facts: Facts) -> set[tuple[str, int | None]]:
    return {(d.code, d.line) for d in facts.diagnostics}


def only(facts: Facts, code: str) -> Diagnostic:
    found = [d for d in facts.diagnostics if d.code == code]
    assert len(found) == 1, facts.diagnostics
    return found[0]


# -- HCL: parse time, memory and depth --------------------------------------------------------------------

SIBLING = 'resource "aws_sqs_queue" "kept" {\n  name = "kept"\n}\n'


@pytest.mark.parametrize("run", [" ", "\t", "\n", "\r", "\f", "\u3000", "\u2028", " \n"])
def test_a_long_whitespace_run_is_refused_before_parsing(run: str) -> None:
    # tree-sitter-hcl re-reads a whitespace run at each of its characters: 20,000 spaces after `a = {` took
    # 1.3 s, 200 KB of `\r` 188 s, and the time budget is not checked during one such read.
    text = SIBLING + "a = {" + run * (200_000 // len(run))
    facts = within(terraform.parse, "infra/main.tf", text)
    found = only(facts, "too-slow")
    assert found.line == 4 and "whitespace" in found.message and found.path == "infra/main.tf"
    assert facts.nodes == ()


def test_whitespace_runs_of_real_files_are_parsed() -> None:
    text = SIBLING + "\n" * 300 + "locals {\n" + " " * 3000 + "x = 1\n}\n"
    facts = terraform.parse("infra/main.tf", text)
    assert facts.diagnostics == () and [n.name for n in facts.nodes] == ["kept"]


def test_a_parse_over_its_cpu_budget_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    # `"${${${…` is costly in tree-sitter-hcl's error recovery: 200 KB took 1.0 s of CPU, 2 MB 11 s.
    monkeypatch.setattr(hcl, "PARSE_BUDGET", treesitter.Budget(base=0.05, per_mb=0.0, cap=0.05))
    facts = within(terraform.parse, "infra/main.tf", SIBLING + 'a = "' + "${" * 500_000)
    found = only(facts, "too-slow")
    assert found.line == 1 and "more than 0.05 s of CPU for 1,000,057 bytes" in found.message
    assert hcl.parse_document(SIBLING).blocks  # the parser is usable again after a cancelled parse


def _busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(1000))


def _parse_twice_once_beside_a_busy_thread(text: str) -> tuple[Facts, Facts]:
    quiet = terraform.parse("infra/main.tf", text)
    stop = threading.Event()
    competitor = threading.Thread(target=_busy, args=(stop,))
    competitor.start()
    try:
        busy = terraform.parse("infra/main.tf", text)
    finally:
        stop.set()
        competitor.join()
    return quiet, busy


@pytest.mark.parametrize("text", [
    SIBLING + 'a = "' + "${" * 100_000,  # 200 KB: 1.0 s of CPU unbounded, stopped at 0.28 s
    SIBLING + ('a = "' + "${" * 60 + "\n") * 1_500,  # the same on many lines: no stop line that could vary
], ids=["one line", "many lines"])
def test_the_cpu_budget_gives_the_same_verdict_beside_a_busy_thread(text: str) -> None:
    # The budget is the parsing thread's CPU time: a thread (or process) competing for the machine slows the
    # parse down without changing its verdict, its line or its message.
    quiet, busy = within(_parse_twice_once_beside_a_busy_thread, text)
    assert quiet == busy and codes(quiet) == {("too-slow", 1)}


def test_large_real_terraform_is_parsed_within_the_budget() -> None:
    # The fixtures' valid Terraform repeated to 1 MB: 0.2-0.3 s of CPU on the CI machine, against a budget of
    # 0.75 s for its size. (2 MB, the discovery limit, parses in 0.4-0.55 s against 1 s, and once passed the
    # budget on a fresh CI machine with three other busy processes; the parts bound stops the conversion near
    # 600 KB of real Terraform either way.)
    texts = [path.read_text(encoding="utf-8") + "\n" for path in sorted(FIXTURES.rglob("*.tf"))]
    real = "".join(t for t in texts if hcl.parse_document(t).error_line is None)
    text = real * (1_000_000 // len(real))
    document = within(hcl.parse_document, text)
    assert document.error_line is None and [p.code for p in document.problems] == ["limit"]
    assert document.problems[0].line > text.count("\n") * 0.25 and len(document.blocks) > 1000


def test_a_long_terraform_expression_is_not_parsed_a_second_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # An `Expr` is re-parsed from its text, with a budget of its own: a 2 MB string value took 1.0 s to parse with
    # its file and 1.2 s more to re-parse (found by fuzzing). A value without references is never re-parsed, and
    # one longer than MAX_REPARSE_CHARS is opaque (its references are still known).
    parsed: list[int] = []
    bounded = hcl._bounded_parse
    monkeypatch.setattr(hcl, "_bounded_parse", lambda source: parsed.append(len(source)) or bounded(source))
    hcl.tree_of.cache_clear()
    text = ('resource "aws_db_instance" "main" {\n  identifier = "a"\n  tags = {\n'
            '    Note = templatefile("note.tpl", { text = "' + "#" * 200_000 + '" })\n'
            '    Owner = "${var.team}' + "x" * 150_000 + '"\n  }\n}\n')
    facts = terraform.parse("infra/main.tf", text)
    assert parsed == [len(text)]  # the file only
    assert not facts.diagnostics and [n.id for n in facts.nodes] == ["terraform:aws_db_instance:infra/main"]
    hcl.tree_of.cache_clear()


def test_a_source_file_over_its_cpu_budget_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_parse, "PARSE_BUDGET", treesitter.Budget(base=0.02, per_mb=0.0, cap=0.02))
    rng = random.Random(5)
    text = "".join(rng.choice("abc{}[]()=\"'$%<>#/*\n ,.:?!-+0123;`\\") for _ in range(1_000_000))
    facts = within(code_parse.parse, "app/main.py", text)
    found = only(facts, "too-slow")
    assert found.line == 1 and found.level == "warning" and "of CPU" in found.message


def test_a_source_file_of_too_many_syntax_nodes_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 MB of `x = a.a.a.b();` in Go is 1.3 million nodes, five times real code's density: 2.7 s of extraction
    # (found by fuzzing). Real code of the same size is read. Its parse takes 0.45-1.9 s (as the machine is loaded),
    # over the CPU budget at times, so the budget is lifted here: this is about the node limit.
    monkeypatch.setattr(code_parse, "PARSE_BUDGET", treesitter.Budget(base=5.0, per_mb=0.0, cap=5.0))
    dense = "package main\nfunc f() {\n" + "x = a.a.a.b();\n" * 66_000 + "}\n"
    facts = within(code_parse.parse, "cmd/api/main.go", dense)
    found = only(facts, "limit")
    assert found.level == "warning" and f"more than the {code_parse.MAX_SYNTAX_NODES:,} read" in found.message
    real = 'package main\nimport "net/http"\n' + "".join(
        f'func h{i}(w http.ResponseWriter, r *http.Request) {{\n\tresp, _ := http.Get("http://inventory:8080/items")'
        '\n\t_ = resp\n}\n' for i in range(3_000))
    facts = within(code_parse.parse, "cmd/api/main.go", real)
    assert len(real) > 300_000 and not facts.diagnostics and facts.nodes


class _ReadRecordingParser:
    """A tree-sitter parser that records the furthest byte its parse asked for."""

    def __init__(self, parser: Any) -> None:
        self.parser, self.furthest = parser, 0

    def parse(self, read: Callable[[int, Any], bytes], **kwargs: Any) -> Any:
        def recording(offset: int, point: Any) -> bytes:
            self.furthest = max(self.furthest, offset)
            return read(offset, point)

        return self.parser.parse(recording, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


def test_a_slow_parse_is_stopped_before_the_uninterruptible_end_of_its_error_recovery(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 MB of `?><?php ` in a C# file reached its end after 1.16 s of CPU and then spent 1.73 s there without one
    # progress callback, so a budget of 1.2 s let it run to 2.9 s (found by fuzzing). The budget now stops such a
    # parse well before the end of the text.
    recording = _ReadRecordingParser(code_parse._parser("csharp"))
    monkeypatch.setattr(code_parse, "_parser", lambda language: recording)
    text = "?><?php " * 125_000
    facts = code_parse.parse("Ordering/BasketClient.cs", text)
    assert [d.code for d in facts.diagnostics] == ["too-slow"]
    assert recording.furthest < 0.8 * len(text)


class _SlowRecoveryParser:
    """A parser whose progress callback comes rarely, as in tree-sitter's error recovery: once, then again only
    after the parse budget is spent."""

    def __init__(self) -> None:
        self.callbacks = 0

    def parse(self, _read: Any, progress_callback: Callable[[int, bool], bool]) -> None:
        while True:
            self.callbacks += 1
            if progress_callback(0, True):
                raise ValueError("Parsing failed")
            busy_until = time.thread_time() + 0.03
            while time.thread_time() < busy_until:
                sum(range(1000))

    def reset(self) -> None:
        pass


def test_a_parse_stops_at_the_first_callback_after_its_cpu_budget() -> None:
    # Each call of the callback came 0.1 s after the last in a file of byte-order marks, and the clocks were
    # read every 16 calls: a 1.5 s budget ran to 2.3 s (found by fuzzing).
    parser = _SlowRecoveryParser()
    budget = treesitter.Budget(base=0.01, per_mb=0.0, cap=0.01)
    parsed = treesitter.bounded_parse(parser, b"x", budget, 1 << 30)  # type: ignore[arg-type]
    assert parsed.tree is None and parsed.problem is not None and parsed.problem.code == "too-slow"
    assert parser.callbacks == 2


class _CountingParser:
    """A tree-sitter parser that counts its parses."""

    def __init__(self, parser: Any) -> None:
        self.parser, self.parses = parser, 0

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        self.parses += 1
        return self.parser.parse(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


def test_a_source_file_mostly_of_errors_is_judged_before_it_is_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The re-parse that gives the tree its text reuses no node inside an error: 2 MB of `${` in a Go file took
    # 1.5 s more after the bounded parse (found by fuzzing).
    counting = _CountingParser(code_parse._parser("go"))
    monkeypatch.setattr(code_parse, "_parser", lambda language: counting)
    facts = code_parse.parse("cmd/geo/client.go", "package main\nfunc main() {}\na = " + "${" * 9_000 + "}" * 9_000)
    assert [d.code for d in facts.diagnostics] == ["parse-error"] and "mostly not valid" in facts.diagnostics[0].message
    assert counting.parses == 1
    code_parse.parse("cmd/geo/client.go", "package main\nfunc main() {}\n")
    assert counting.parses == 3  # a valid file: the bounded parse, then the re-parse that holds the text


def test_a_slow_first_parse_is_not_repeated_and_gives_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The re-parse that gives the tree its text is outside the budget and can cost as much as the first parse
    # (errors everywhere in 1 MB of C#, or 1 MB of Go statements at the top level; found by fuzzing), so a slow
    # first parse keeps its tree, which reads its text through the callback.
    counting = _CountingParser(code_parse._parser("python"))
    monkeypatch.setattr(code_parse, "_parser", lambda language: counting)
    text = "import requests\n\ndef fetch():\n    return requests.get('http://orders:8080/api', timeout=2)\n"
    quick = code_parse.parse("app/client.py", text)
    assert counting.parses == 2  # the bounded parse, then the re-parse that holds the text
    monkeypatch.setattr(code_parse, "REPARSE_SECONDS", -1.0)  # every parse is slow
    slow = code_parse.parse("app/client.py", text)
    assert counting.parses == 3
    assert slow == quick and [e.target for e in slow.edges] == ["host:orders"]


def _nested_ifs(levels: int) -> str:
    return 'x = "an unclosed string\n' + "".join(" " * i + "if 1:\n" for i in range(levels)) + " " * levels + "pass\n"


def test_python_indented_deeper_than_python_allows_is_not_parsed() -> None:
    # tree-sitter-python crashed the interpreter (a segmentation fault) on ~500 levels after an unclosed string
    # (found by fuzzing); Python itself refuses more than 100, so such a file is no Python.
    facts = within(code_parse.parse, "services/orders/client.py", _nested_ifs(520))
    assert [(d.code, d.line) for d in facts.diagnostics] == [("too-deep", 103)]  # line 103 is indented 101 deep
    assert "more than 100 levels" in facts.diagnostics[0].message
    assert all(d.code != "too-deep" for d in code_parse.parse("a.py", _nested_ifs(100)).diagnostics)
    tabs = "if 1:\n" + "".join("\t" * i + " if 1:\n" for i in range(1, 120))
    assert [d.line for d in code_parse.parse("a.py", tabs).diagnostics if d.code == "too-deep"] == [102]


def test_values_kept_for_one_name_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,500 copies of one class assign `Http` 2,500 times, and every call on `Http` read all of them: a 1 MB file
    # was killed after 5 s of CPU (found by fuzzing).
    from auditor.code import csharp
    from auditor.code.facts import MAX_VALUES_PER_NAME

    kept: list[int] = []
    real = csharp._declarations
    monkeypatch.setattr(csharp, "_declarations", lambda by_fact: kept.append(
        max(map(len, (known := real(by_fact)).values.values()))) or known)
    body = ("{\n    private static readonly HttpClient Http = new() { BaseAddress = new Uri(\"http://basket-api\") };\n"
            "    public async Task<string> GetAsync(string id) => await Http.GetStringAsync($\"/basket/{id}\");\n}\n")
    text = "using System.Net.Http;\nnamespace Ordering;\n" + "".join(f"public class C{i}\n{body}" for i in range(1_500))
    assert within(lambda: (code_parse.parse("Ordering/BasketClient.cs", text), kept)[1]) == [MAX_VALUES_PER_NAME]


def test_a_python_settings_module_over_the_source_limit_is_not_read() -> None:
    # Python's own parser takes 1.7 s for 2 MB of `a=a=…=1`; a settings module that size is generated.
    facts = within(appconfig.parse, "shop/settings.py", "DEBUG = False\n" + "a=" * 600_000 + "1\n")
    assert [(d.code, d.line) for d in facts.diagnostics] == [("too-large", 1)]
    assert "over 1,000,000 bytes" in facts.diagnostics[0].message


def test_one_statement_naming_many_targets_stops_at_the_settings_bound() -> None:
    facts = within(appconfig.parse, "shop/settings.py", "a=" * 300_000 + "1\n")  # 600 KB
    assert [d.code for d in facts.diagnostics] == ["limit"]


def test_a_parse_over_its_memory_budget_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    if not treesitter.resident():
        pytest.skip("resident memory is not readable on this system")
    monkeypatch.setattr(hcl, "MAX_PARSE_MEMORY", 8 * 2**20)
    rng = random.Random(1)
    text = "".join(rng.choice('abc{}[]()="$%<>#/*\n ,.:?!-+0123') for _ in range(1_000_000))
    facts = within(terraform.parse, "infra/main.tf", text)
    assert only(facts, "too-large").message.startswith("parsing needed more than 8 MiB")



def _held_after_parses(parse: Callable[[], Any], times: int) -> int:
    """Bytes of Python memory still allocated after `times` calls of `parse` (tracemalloc, after one warm-up)."""
    import gc
    import tracemalloc

    parse()
    parse()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(times):
            parse()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path, text", [
    ("infra/main.tf", "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b-${{var.env}}-{i}"\n}}\n'
                              for i in range(1000))),
    ("src/app.py", "".join(f"def f{i}(x):\n    return requests.get(URL + str(x), timeout=3)\n" for i in range(1000))),
])
def test_a_bounded_parse_keeps_nothing_of_its_text(path: str, text: str) -> None:
    """py-tree-sitter 0.25-0.26 keeps a reference to every chunk the read callback returns: a fuzz worker grew by
    about 130 KB per file until it reached its address-space limit, where a parse segfaults (treesitter._Reader)."""
    # hcl.parse_document: the file's own parse, without the bounded cache of re-parsed expressions
    parse = (lambda: hcl.parse_document(text)) if path.endswith(".tf") else (lambda: code_parse.parse(path, text))
    held = _held_after_parses(parse, 10)
    assert held < len(text.encode()), f"{held:,} bytes still held after 10 parses of {len(text):,} characters"

DEEP = 20_000


@pytest.mark.parametrize("nested", [
    "a = " + "[" * DEEP + "]" * DEEP,
    "a = " + "(" * DEEP + "x" + ")" * DEEP,
    "a = " + "{b = " * DEEP + "1" + "}" * DEEP,
    "a = " + "f(" * DEEP + "1" + ")" * DEEP,
    "a = " + "1 + " * DEEP + "1",
    "a = " + "!" * (hcl.MAX_UNARY_RUN - 1) + "x",  # a longer run is refused before parsing (test below)
    "a = " + "x ? " * DEEP + "1" + " : 2" * DEEP,
    "a = x" + "[y" * DEEP + "]" * DEEP,
    "x {\n" * DEEP + "}\n" * DEEP,
], ids=["lists", "parens", "objects", "calls", "sums", "nots", "conditionals", "indexes", "blocks"])
def test_deep_nesting_is_too_deep_and_the_siblings_are_read(nested: str) -> None:
    text = SIBLING + nested + "\n" + SIBLING.replace("kept", "after")
    facts = within(terraform.parse, "infra/main.tf", text)
    found = only(facts, "too-deep")
    assert found.line is not None and 4 <= found.line <= 4 + hcl.MAX_DEPTH and "64 levels" in found.message
    assert sorted(n.name for n in facts.nodes) == ["after", "kept"]


def test_nesting_within_the_limit_is_converted() -> None:
    document = hcl.parse_document("a = " + "[" * 30 + "1" + "]" * 30 + "\n")
    value = document.attrs["a"]
    for _ in range(30):
        value = value[0]
    assert value == 1 and document.problems == ()


@pytest.mark.parametrize("run", ["-" * 80_000, "- " * 80_000, "!-" * 40_000])
def test_a_long_run_of_unary_operators_is_refused_before_tree_sitter(run: str) -> None:
    # After a broken `/`, tree-sitter-hcl's error recovery recursed once per operator: 80,000 of them overflowed
    # the C stack and killed the process (found by fuzzing).
    text = 'name = "kept"\n\na = ' + "-" * 1_000 + "/" + run + "1\n"
    document = within(hcl.parse_document, text)
    assert [(p.code, p.line) for p in document.problems] == [("too-deep", 3)]
    separators = ("# " + "-" * 118 + "\n" + 'b = -1\nc = !var.x\n') * 50  # real files: short runs, and many
    assert within(hcl.parse_document, separators).problems == ()


def test_deep_template_directives_are_walked_without_recursion() -> None:
    deep = 12_000  # DEEP levels are more expression parts than a file may have
    text = 'a = "' + "%{if a}" * deep + "x" + "%{endif}" * deep + '"\n'
    document = within(hcl.parse_document, text)
    assert isinstance(document.attrs["a"], hcl.Expr)


def test_an_expression_reparsed_from_text_has_the_same_bounds() -> None:
    assert within(hcl.tree_of, "[" * DEEP + "]" * DEEP) == ("opaque", ())
    assert within(hcl.tree_of, "{" + " " * 100_000 + "}") == ("opaque", ())
    assert hcl.tree_of("var.x") == ("trav", "var", (("attr", "x"),))


def test_json_templates_share_one_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terraform, "MAX_PARSE_SECONDS", 0.0)
    members = ",\n".join(f'"l{i}": "${{var.v{i}}}"' for i in range(2000))
    text = '{\n"locals": {\n' + members + "\n}\n}\n"
    facts = within(terraform.parse, "infra/main.tf.json", text)
    assert only(facts, "too-slow").line == 3


def test_a_block_that_ends_the_file_unclosed_ends_on_the_last_line() -> None:
    facts = terraform.parse("infra/main.tf", 'resource "azurerm_virtual_network" "n" {\n  m = [""]\n')
    assert [(n.location.line, n.location.end_line) for n in facts.nodes] == [(1, 2)]


def test_an_unclosed_block_that_swallows_the_rest_of_the_file_gives_its_blocks_back() -> None:
    # Telling the swallowed top-level blocks from the block's own compared every block with every other (list
    # membership, by value): 9,375 swallowed variables took over 30 s of CPU.
    count = 12_000
    text = "locals {\n  lifecycle {}\n" + "".join(f'variable "v{i}" {{\n  default = var.v{i + 1}\n}}\n'
                                                    for i in range(count))
    document = within(hcl.parse_document, text)
    assert document.error_line is not None
    assert [b.type for b in document.blocks[0].blocks] == ["lifecycle"]
    assert [b.labels for b in document.blocks[1:]] == [(f"v{i}",) for i in range(count)]


@pytest.mark.parametrize(("text", "line"), [
    ("a = x" + "[0]" * 300_000 + "\n", 1),  # 900 KB of a tfvars file: 2.1 s after its parse before (fuzzing)
    ("".join(f"a{i} = {{ k = 0 }}\n" for i in range(60_000)), hcl.MAX_PARTS // 4),  # 4 parts each: that line passes it
    # 160,000 parts in 1.2 MB (3 MB of them came near the parse's own CPU budget on a loaded machine)
    ("locals {\n  a = {\n" + "".join(f"    k{i} = 0\n" for i in range(80_000)) + "  }\n}\n", 1),
])
@pytest.mark.parametrize("path", ["infra/main.tf", "infra/terraform.tfvars"])
def test_a_file_of_too_many_expression_parts_stops_at_the_bound(path: str, text: str, line: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The parse's own CPU budget is not what is tested: 900 KB of `[0]` parses in 0.5-0.6 s, and on a fresh CI
    # machine still busy with its own setup it once passed the 0.86 s budget for its size.
    monkeypatch.setattr(hcl, "PARSE_BUDGET", treesitter.Budget(base=10.0, per_mb=0.0, cap=10.0))
    facts = within(terraform.parse, path, SIBLING + text)
    bound = only(facts, "limit")
    assert bound.line == line + SIBLING.count("\n") and f"more than {hcl.MAX_PARTS:,} expression parts" in bound.message
    assert path.endswith(".tfvars") or [node.name for node in facts.nodes] == ["kept"]  # what comes before is read


def test_a_chain_of_variables_is_resolved_to_the_depth_bound_and_no_further() -> None:
    # Each `var.next` default is re-read when it is resolved; a plain reference is read without a parse (47,000
    # of them were a third of a 2 MB module's CPU). Its tree is the one the parser gives.
    for text in ("var.v1", "local.for", "var.null", "local._x9"):
        root, name = text.split(".")
        assert hcl.tree_of(text) == hcl.tree_of(f" {text}") == ("trav", root, (("attr", name),))  # " ": parsed
    count = 10_000
    text = "".join(f'variable "v{i}" {{\n  default = var.v{i + 1}\n}}\n' for i in range(count))
    facts = within(terraform.parse, "infra/main.tf", text)
    assert facts.diagnostics and {d.code for d in facts.diagnostics} == {"limit"}
    assert all("nested too deeply" in d.message for d in facts.diagnostics)


# -- Terraform evaluation: sizes ----------------------------------------------------------------------------


def _limits(text: str, path: str = "infra/main.tf") -> list[Diagnostic]:
    facts = within(terraform.parse, path, text)
    combined = within(terraform.combine, [facts])
    found = [d for f in combined for d in f.diagnostics if d.code == "limit"]
    assert found, combined
    return found


def test_a_huge_count_is_refused_at_its_line() -> None:
    # `count = 1000000000` on a subnet once built a list of a billion zones (8 GB).
    text = 'resource "aws_subnet" "a" {\n  count = 1000000000\n  availability_zone = "eu-west-1a"\n}\n'
    facts = within(terraform.parse, "infra/main.tf", text)
    assert codes(facts) == {("limit", 2)}
    (node,) = facts.nodes
    assert node.attrs["count"] is None and node.attrs["availability_zones"] == ["eu-west-1a"]


def test_a_huge_count_from_a_variable_is_refused_at_the_count() -> None:
    text = ('variable "n" {\n  default = 123456789\n}\nresource "aws_instance" "i" {\n  count = var.n\n}\n')
    assert [(d.path, d.line) for d in _limits(text)] == [("infra/main.tf", 5)]


def test_a_module_that_spent_its_evaluation_budget_builds_nothing_more() -> None:
    # Each `toset(local.l)` was built and sorted before it was charged, and refused only then: 200 resources over a
    # 10,000-name local took 2.8 s (found by probing). Once the budget is spent, a builder is refused unbuilt.
    text = 'locals {\n  l = [for i in range(10000) : "x${i}"]\n}\n' + "".join(
        f'resource "aws_sqs_queue" "q{i}" {{\n  for_each = toset(local.l)\n  name = each.key\n}}\n' for i in range(200))
    facts = within(terraform.parse, "infra/main.tf", text)
    assert codes(facts) == {("limit", 5)} and "in all" in only(facts, "limit").message
    assert len(facts.nodes) == 200


def test_a_huge_for_each_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hcl, "MAX_PARTS", 150_000)  # 10,001 literal entries are more parts than a file may have
    entries = "".join(f'    k{i} = {i}\n' for i in range(terraform.MAX_COUNT + 1))
    text = 'resource "aws_instance" "i" {\n  for_each = {\n' + entries + "  }\n}\n"
    facts = within(terraform.parse, "infra/main.tf", text)
    assert codes(facts) == {("limit", 2)}


@pytest.mark.parametrize(("expression", "why"), [
    ("length(range(1000000000))", "1,000,000,000 items"),
    ("range(0, 100000000000000000000000000)", "items"),
    ('join("", [for i in range(100000000) : "x"])', "100,000,000 items"),
    ("flatten([for i in range(5000) : [for j in range(5000) : j]])", "items"),
    ('format("%01000000000d%s", 1, join("", [for i in range(9000) : "' + "x" * 120 + '"]))', "characters"),
    ('replace(join("", [for i in range(9000) : "aaaaaaaaaa"]), "a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")',
     "characters"),
    ('split(",", join(",", range(9999)))', ""),
    ('jsondecode("' + "[" * 100_000 + '")', "nested too deeply"),
], ids=["range", "range-overflow", "for", "flatten", "format", "replace", "split-ok", "jsondecode"])
def test_static_functions_are_bounded(expression: str, why: str) -> None:
    text = f"locals {{\n  big = {expression}\n}}\n"
    facts = within(terraform.parse, "infra/main.tf", text)
    if not why:
        assert facts.diagnostics == ()
        return
    found = only(facts, "limit")
    assert found.line == 2 and why in found.message


def test_values_doubled_through_locals_are_bounded() -> None:
    # Each local doubles the last: a string, a list and a number would reach 2**40 of each.
    lines = ['  s0 = "x"', "  l0 = [1]", "  n0 = 3"]
    for i in range(1, 41):
        previous = i - 1
        lines += [f'  s{i} = "${{local.s{previous}}}${{local.s{previous}}}"',
                  f"  l{i} = concat(local.l{previous}, local.l{previous})",
                  f"  n{i} = local.n{previous} * local.n{previous}"]
    text = "locals {\n" + "\n".join(lines) + "\n}\n" + 'output "o" {\n  value = [local.s40, local.l40, local.n40]\n}\n'
    found = _limits(text)
    reasons = " ".join(d.message for d in found)
    assert "characters" in reasons and "items" in reasons and "bits" in reasons
    assert all(d.path == "infra/main.tf" and d.line is not None and 2 <= d.line <= 124 for d in found)


def test_one_value_held_many_times_counts_as_many_copies() -> None:
    # 9,000 references to one list of 9,000: cheap to build, but 81 million items once copied or encoded.
    text = ("locals {\n  big = range(9000)\n  many = [for i in range(9000) : local.big]\n"
            "  json = jsonencode(local.many)\n}\n"
            'resource "aws_ecs_task_definition" "t" {\n  family = "t"\n  container_definitions = local.json\n}\n')
    found = _limits(text)
    assert [d.line for d in found] == [3] and "items" in found[0].message


def test_all_evaluations_of_a_module_share_one_budget() -> None:
    count = hcl.MAX_TOTAL_ITEMS // 9000 + 5
    text = "locals {\n" + "".join(f"  r{i} = range(var.n)\n" for i in range(count)) + "}\n"
    text += 'variable "n" {\n  default = 9000\n}\n'
    text += 'output "o" {\n  value = [' + ", ".join(f"length(local.r{i})" for i in range(count)) + "]\n}\n"
    found = _limits(text)
    assert len(found) == 1 and "in all" in found[0].message


# -- linear scans of repository text ---------------------------------------------------------------------------
# Each of these was a regex that backtracked: the figure is the time 20,000 characters of the case took before.

RUN = 200_000
# Blanks inside a YAML value: YAML reading refuses a longer run itself (yaml_source.MAX_BLANK_RUN), so the
# compose and Kubernetes patterns meet runs up to that length (the figures above are for 20,000).
YAML_RUN = 20_000


def _compose(command: str) -> Facts:
    text = f"services:\n  db:\n    image: postgres\n    command: {json.dumps(command)}\n"
    return compose.parse("docker-compose.yml", text)


def test_compose_max_connections_after_a_long_run_of_blanks() -> None:  # 5 s
    (node,) = within(_compose, "postgres -c max_connections" + " " * YAML_RUN + "x").nodes
    assert "max_connections" not in node.attrs
    (node,) = within(_compose, "postgres -c max_connections =" + " " * YAML_RUN + "250").nodes
    assert node.attrs["max_connections"] == 250
    (node,) = _compose("postgres -c max_connections=" + "9" * RUN).nodes
    assert "max_connections" not in node.attrs  # digits beyond any real setting are not a number


@pytest.mark.parametrize(("text", "expected"), [
    ("--password" + "-a" * (RUN // 2), "--password" + "-a" * (RUN // 2)),  # 22 s
    ("a" * RUN + " --token=x", "a" * RUN + " --token=***"),
    ("--auth " + '"' + "x " * RUN, "--auth *** " + "x " * (RUN - 1)),  # unclosed: the value is one word
    ("token " * 33_333 + "x", "token *** " * 16_666 + "token ***"),
    ("DB_PASSWORD='" + "a b " * (RUN // 4) + "'", "DB_PASSWORD=***"),
])
def test_secret_arguments_are_redacted_in_one_pass(text: str, expected: str) -> None:
    assert within(redact.secret_arguments, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * RUN + "://user:pw@host", "a" * RUN + "://user:***@host"),  # 2 s
    ("x://" * (RUN // 4), "x://" * (RUN // 4)),
    ("1http://u:p@h http://" + "u" * RUN + ":" + "p" * RUN, "1http://u:***@h http://" + "u" * RUN + ":" + "p" * RUN),
])
def test_url_credentials_are_redacted_in_one_pass(text: str, expected: str) -> None:
    assert within(redact.url_credentials, text) == expected
    assert within(terraform._scrubbed, text) == expected


def test_kubernetes_max_connections_after_a_long_run_of_blanks() -> None:  # 3 s
    def manifest(arg: str) -> str:
        return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n"
                f"      containers:\n      - name: db\n        image: postgres\n        args: [{json.dumps(arg)}]\n")

    (node,) = within(kubernetes.parse, "k8s/db.yaml", manifest("maxconn" + " " * YAML_RUN + "x")).nodes
    assert node.attrs.get("max_connections") is None
    (node,) = within(kubernetes.parse, "k8s/db.yaml", manifest("--maxconn" + " " * YAML_RUN + "300")).nodes
    assert node.attrs["max_connections"] == 300


@pytest.mark.parametrize(("path", "text", "key", "value"), [
    (".env", "A=x" + "\t" * RUN + "y  # note\n", "A", "x" + "\t" * RUN + "y"),  # 0.5 s
    (".env", 'A="' + "x\n" * RUN + '"\nB=1\n', "B", "1"),  # each line of a quoted value is read once
    ("php.ini", "a = x" + " " * RUN + "y ; note\n", "a", "x" + " " * RUN + "y"),
    ("application.properties", "a=" + "x\\\n" * RUN + "y\n", "a", "x" * RUN + "y"),
])
def test_app_config_lines_are_read_in_one_pass(path: str, text: str, key: str, value: str) -> None:
    entries, _ = within(appconfig.entries_from_text, path, text, path)
    assert {e.key: e.value for e in entries}[key] == value


def test_erb_tags_are_found_in_one_pass() -> None:  # 1.7 s for 10,000 `<%`
    assert within(appconfig._erb, "<%" * RUN) == "<%" * RUN
    assert within(appconfig._erb, "<%" * RUN + '\n<%= ENV.fetch("P") { 5 } %>') == "<%" * RUN + "\n5"
    assert appconfig._erb('<%= ENV.fetch("X", ' + " " * RUN + "7" + " " * RUN + ") %>") == "7"


def test_placeholders_and_durations_are_read_in_one_pass() -> None:
    assert within(settings._resolve, "${A" + "-" * RUN + "!") == "${A" + "-" * RUN + "!"  # 1.4 s
    assert within(settings._resolve, "${A-" + "b" * RUN + "}") == "b" * RUN
    assert settings._resolve("${my-prop:-x-y}") == "x-y"
    assert within(settings._duration, "9" * RUN + "x", 1.0) is None  # 21 s
    assert within(settings._duration, "1m" * (RUN // 2), 1.0) == 60.0 * (RUN // 2)


def test_environment_values_are_interpolated_again_only_where_a_number_may_be(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,000 variables of a `.env` that double each other reach 64 KB each, naming `${…}` thousands of times;
    # reading every one of them again as a possible connection count took 6 s of a 100 KB repository.
    from auditor.model import Location
    from auditor.parsers.settings import Entry

    interpolated: list[int] = []
    real = compose._interpolate
    monkeypatch.setattr(compose, "_interpolate", lambda text: interpolated.append(len(text)) or real(text))
    long = "${V}" * 16_000
    entries = [Entry(f"K{i}", long, Location("docker-compose.yml", i + 1)) for i in range(2_000)]
    entries += [Entry("DB_MAX_CONNECTIONS", long, Location("docker-compose.yml", 2_001)),
                Entry("PG_MAX_CONNECTIONS", "${PG_MAX:-100}", Location("docker-compose.yml", 2_002))]
    attrs: dict[str, Any] = {}
    compose._env_connections(attrs, {}, entries)
    assert attrs == {"max_connections": 100}
    assert interpolated == [len("${PG_MAX:-100}")]  # no key of the others names a count; a 64 KB value is none


def test_compose_defaults_nested_without_bound_stop_at_a_depth() -> None:  # 8 s at 4,000 levels
    text = "${A:-" * 50_000 + "x" + "}" * 50_000
    assert within(compose._interpolate, text) == "${A:-" * (50_000 - 16) + "x" + "}" * (50_000 - 16)
    assert compose._interpolate("${A:-${B:-x}}") == "x"


def test_interpretation_of_many_entries_is_indexed() -> None:
    # Each of these asked one question of every other entry, per entry: 4,000 of them took 7, 34 and 36 s.
    n = 8_000
    cases = [
        (".env", "".join(f"S{i}_HOST=h{i % 1000}\nS{i}_PORT=5432\nS{i}_ENGINE=postgres\n" for i in range(n // 3))),
        ("nginx.conf", "http {\n" + "".join(f"upstream u{i} {{ server s{i}:80; }}\n"
                                            f"server {{ location /{i} {{ proxy_pass http://u{i}; }} }}\n"
                                            for i in range(n // 4)) + "}\n"),
        ("application.properties", "".join(f"resilience4j.retry.instances.x{i}.max-attempts=3\n" for i in range(n))),
    ]
    results = [within(appconfig.parse, path, text) for path, text in cases]
    assert all(facts.diagnostics == () and facts.nodes for facts in results)
    assert results[2].nodes[0].settings[0].value == 3


# -- numbers, blanks and odd characters -------------------------------------------------------------------------

HUGE = "9" * 5000  # past Python's 4,300-digit limit for int(); below it, int() costs time in the square of the length
HEX = "0x" + "f" * 5000  # YAML makes an int of it, whose str() raises

def test_yaml_gives_no_reader_an_int_of_more_than_max_digits() -> None:
    # YAML builds such ints from `0x…` and `1:2:3:…`; str() of a long one raises. Those of more than MAX_DIGITS
    # digits are their number_text (hexadecimal) as values and as keys, those too long for decimal text the text
    # they were written as, at load time, so no parser has to walk its documents again for them.
    from auditor.parsers.numbers import MAX_DIGITS, number_text
    from auditor.parsers.yaml_source import load_documents

    long = "0x" + "f" * 40
    documents, error = load_documents(f"a: {long}\n{long}: b\nc: [&n {long}, *n]\nd: {HEX}\ne: 0x{'f' * 30}\n")
    value = documents[0].value
    text = number_text(int(long, 16))
    assert error is None and value["a"] == text and value[text] == "b" and value["c"] == [text, text]
    assert value["d"] == HEX and value["e"] == int("f" * 30, 16) and len(str(value["e"])) <= MAX_DIGITS
    assert value.key_lines[text] == (2, 2)


PARSERS = {"terraform": terraform.parse, "kubernetes": kubernetes.parse, "compose": compose.parse,
           "appconfig": appconfig.parse}
NUMBER_CASES = [
    ("terraform", "infra/main.tf", 'resource "aws_instance" "a" {{\n  count = {v}\n  x = [{v}]\n  y = a.{v}\n}}\n'),
    ("terraform", "infra/main.tf.json", '{{"resource": {{"aws_instance": {{"a": {{"count": {v}}}}}}}}}'),
    ("kubernetes", "k8s/db.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n"
     "  replicas: {v}\n  template:\n    spec:\n      containers:\n      - name: db\n        image: postgres\n"
     "        ports:\n"
     "        - containerPort: {v}\n        args: [\"-c\", \"max_connections={v}\"]\n        env:\n"
     "        - name: MAX_CONNECTIONS\n          value: \"{v}\"\n"),
    ("compose", "docker-compose.yml", "services:\n  db:\n    image: postgres\n    deploy:\n      replicas: {v}\n"
     "    ports: [\"{v}:{v}\"]\n    environment:\n      DB_PORT: {v}\n      {v}: x\n"
     "    command: postgres -c max_connections={v}\n"),
    ("appconfig", ".env", "DB_PORT={v}\nTIMEOUT={v}\nDATABASE_URL=postgres://db:{v}/x\n"),
    ("appconfig", "app/settings.py", "DATABASES = {{'default': {{'CONN_MAX_AGE': {v}, 'PORT': '{v}'}}}}\n"
     "X = {v} * {v}\nT = timedelta(seconds={v})\n"),
    ("appconfig", "config/default.json", '{{"db": {{"port": {v}, "pool": {{"max": {v}}}}}}}'),
    ("appconfig", "app/application.yml", "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: {v}\n"),
    ("appconfig", "nginx/nginx.conf", "http {{\n  server {{\n    proxy_read_timeout {v};\n  }}\n}}\n"),
]


def _audit(kind: str, path: str, text: str) -> list[str]:
    """What is wrong with one parse: an exception, an internal error, a caught exception quoted, a bad line."""
    from auditor.discover import SourceFile
    from auditor.scan import parse_file

    try:
        facts = PARSERS[kind](path, text)
    except Exception as error:  # noqa: BLE001 - the finding of this audit
        return [f"raised {type(error).__name__}: {error}"]
    facts = parse_file(SourceFile(path, kind, text, "x"))
    if kind == "terraform":
        facts = terraform.combine([facts])[0]
    lines = max(1, len(text.splitlines()))
    wrong = [f"{d.code} at {d.line}: {d.message[:120]}" for d in facts.diagnostics
             if d.code == "internal-error" or "Error" in d.message or (d.line is not None and not 1 <= d.line <= lines)]
    for node in facts.nodes:
        repr(node.attrs)  # ints too long for decimal text raise here
        json.dumps(node.attrs, default=str)
    return wrong


def _audit_all(cases: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    return {repr(text[:60]): wrong for kind, path, text in cases if (wrong := _audit(kind, path, text))}


NUMBERS = [HUGE, "-" + HUGE, HEX, "1e999", "-1e999", ".inf", ".nan", "nan", "1." + HUGE, "²", "٣", "1_000",
           "1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20"]


@pytest.mark.parametrize(("kind", "path", "template"), NUMBER_CASES, ids=[c[1] for c in NUMBER_CASES])
def test_numbers_no_setting_holds_are_data_not_errors(kind: str, path: str, template: str) -> None:
    assert within(_audit_all, [(kind, path, template.format(v=value)) for value in NUMBERS]) == {}


ODD_TEXTS = ["", " ", "\n", "\r\n", "\ufeff", "\x00", "a\x00b\n", "\u00a0\u3000\u2028\n\u00a0", "\u2029\x85\r",
             "\x0b\x0c\x1c\x1d\x1e", "x" * 300_000, '!!int ""\n', "key: !!int \"\"\nother: !!float x\n"]
TARGETS = sorted({(c[0], c[1]) for c in NUMBER_CASES} | {
    ("appconfig", "app/application.properties"), ("appconfig", "php.ini"), ("terraform", "infra/x.tfvars")})


@pytest.mark.parametrize(("kind", "path"), TARGETS, ids=[t[1] for t in TARGETS])
def test_blank_odd_and_long_files_are_handled(kind: str, path: str) -> None:
    cases = [(kind, path, text) for text in ODD_TEXTS]
    template = next((c[2] for c in NUMBER_CASES if c[1] == path), None)
    if template is not None:  # a real-looking file with a byte-order mark and other line breaks
        text = "\ufeff" + template.format(v="5")
        cases += [(kind, path, text.replace("\n", end)) for end in ("\r\n", "\u2028\n", "\r")]
    assert within(_audit_all, cases) == {}


def test_hcl_error_lines_count_only_newlines_as_tree_sitter_does() -> None:
    # `splitlines` also breaks at U+2028, so the quoted text of an error used to come from another line.
    assert hcl.parse_document('a = "x\u2028y"\n@@@ x\n').error_message == "syntax error near '@@@ x'"
    document = hcl.parse_document('a = "\u2028"\nb = x.\n')  # a token missing at the very end
    assert (document.error_line, document.error_message) == (2, "syntax error near 'b = x.'")
    assert hcl.parse_document('a = "x\u2028y"\n').attrs["a"] == "x\u2028y"


def test_app_config_bounds_are_diagnostics_with_lines() -> None:
    facts = appconfig.parse(".env", "".join(f"A{i}=1\n" for i in range(appconfig.MAX_ENTRIES + 5)))
    assert codes(facts) == {("limit", appconfig.MAX_ENTRIES + 1)}
    facts = within(appconfig.parse, "app/settings.py", "A = 1\nX = " + "1 + " * 100_000 + "1\n")
    assert codes(facts) == {("too-deep", 2)}
    facts = appconfig.parse("app/settings.py", "A = " + "{'a': " * 45 + "1" + "}" * 45 + "\n")
    assert codes(facts) == {("too-deep", 1)}
    facts = appconfig.parse("config/default.json", '{\n"a": ' + "[" * 300 + "]" * 300 + "}\n")
    assert codes(facts) == {("too-deep", 2)}
    assert appconfig.parse("app/settings.py", "A = {'x': 1}\nA = {'y': A}\n").diagnostics == ()


def test_app_config_lines_count_breaks_as_splitlines_and_yaml_do() -> None:
    # The reports split a file with `splitlines`, and libyaml breaks lines at U+2028 and a lone CR too, so an
    # nginx or JSON file (also one embedded in a ConfigMap) must count them as well.
    text = "http {\u2028  server {\r    proxy_read_timeout 5s;\n  }\n}\n"
    entries, _ = appconfig.entries_from_text("nginx.conf", text, "nginx.conf")
    assert [(e.key, e.location.line) for e in entries] == [("http.server.proxy_read_timeout", 3)]
    text = '{\r"a": "x\u2028y",\r\n"b": 1}\n'
    entries, _ = appconfig.entries_from_text("config/default.json", text, "config/default.json")
    assert [(e.key, e.location.line) for e in entries] == [("a", 2), ("b", 4)]


def test_a_long_extends_chain_is_resolved_once_and_cut() -> None:
    # 1,000 services each extending the next: resolved again from every link, and past Python's stack.
    services = "".join(f"  s{i}:\n    image: x\n    extends: s{i + 1}\n" for i in range(1000))
    services += "  s1000:\n    image: x\n"
    facts = within(compose.parse, "docker-compose.yml", "services:\n" + services)
    cut = [d for d in facts.diagnostics if d.code == "too-deep"]
    assert len(facts.nodes) == 1001 and cut and all("chain longer than 32" in d.message for d in cut)


def test_python_strings_doubled_through_names_are_unknown() -> None:
    text = "V0 = 'xx'\n" + "".join(f"V{i} = V{i - 1} + V{i - 1}\n" for i in range(1, 1001))
    text += "DATABASES = {'default': {'HOST': V1000, 'NAME': V5}}\n"
    facts = within(appconfig.parse, "app/settings.py", text)
    assert [d.code for d in facts.diagnostics] == ["limit"]  # a thousand values of up to 64 KB: 60 MB
    entries, _ = appconfig.entries_from_text("settings.py", text, "settings.py")
    values = {e.key: e.value for e in entries}
    assert values["DATABASES.default.NAME"] == "x" * 64  # short values are read past the bound
    cut = only(facts, "limit").line or 0
    assert all(len(e.value) <= 1_024 for e in entries if e.location.line >= cut)  # long ones are not
    assert all(len(v) <= 65_536 for v in values.values())  # past 64 KB, names stand for themselves


def test_a_long_value_repeated_through_names_stops_at_the_value_text_bound() -> None:  # 2.4 s for 600 KB before
    # Each name doubles the one before until the 64 KB string bound, then names stand for themselves and
    # double again: 9,000 settings of up to 64 KB each, which every setting rule reads.
    text = "V0 = 'xx'\n" + "".join(f"V{i} = V{i - 1} + V{i - 1}\n" for i in range(1, 9_001))
    facts = within(appconfig.parse, "shop/settings.py", text)
    cut = only(facts, "limit")
    assert "strings built from others pass 4,194,304 characters" in cut.message and 20 < (cut.line or 0) < 9_000
    entries, _ = appconfig.entries_from_text("settings.py", text, "settings.py")
    long_after = [e for e in entries if e.location.line >= (cut.line or 0) and len(e.value) > 1_024]
    assert long_after == [] and entries[-1].location.line > 8_500  # short values are still read


def test_one_long_value_named_many_times_stops_at_the_value_text_bound() -> None:
    # Nothing is built: 9,000 names for one 60 KB literal are 540 MB of setting values (a 0.2 MB file).
    text = f"A = '{'x' * 60_000}'\n" + "".join(f"B{i} = A\n" for i in range(9_000)) + "DEBUG = False\n"
    facts = within(appconfig.parse, "shop/settings.py", text)
    cut = only(facts, "limit")
    assert "more than 4,194,304 characters of setting values" in cut.message and cut.line == 70  # 70 × 60,000 passes it
    entries, _ = appconfig.entries_from_text("settings.py", text, "settings.py")
    assert sum(len(e.value) for e in entries if isinstance(e.value, str)) <= appconfig.MAX_VALUE_TEXT
    assert entries[-1].key == "DEBUG"  # short values are still read


def test_nginx_blocks_nested_past_the_limit_stop_with_the_line() -> None:  # 5.7 s for 2 MB before
    text = "upstream catalog {\n    server catalog-1:3000;\n" * 20_000
    facts = within(appconfig.parse, "nginx/nginx.conf", text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("too-deep", 2 * appconfig._NGINX_MAX_DEPTH + 1)]
    assert "nested deeper than 64 levels" in facts.diagnostics[0].message
    assert any(edge.target == "host:catalog-1" for edge in facts.edges)  # what came before the limit is read


def test_many_copies_of_one_key_ask_for_their_siblings_once() -> None:  # 4.3 s for 64 KB of php.ini before
    text = "mysqli.default_host = db\n" * appconfig.MAX_ENTRIES
    facts = within(appconfig.parse, "php.ini", text)
    assert facts.diagnostics == ()


def test_many_values_without_aliases_are_not_an_alias_bomb() -> None:
    # 250,000 values in 25,000 documents: the file size bounds them; only values that aliases repeat count.
    text = "".join(f"---\nk{i}: [{', '.join(str(j) for j in range(9))}]\n" for i in range(25_000))
    facts = within(kubernetes.parse, "k8s/data.yaml", text)
    assert all(d.code != "alias-bomb" for d in facts.diagnostics)


LONG_VALUE = "x" * 60_000


@pytest.mark.parametrize(("parse", "path", "text"), [
    (kubernetes.parse, "k8s/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
     f"  BASE: &x '{LONG_VALUE}'\n" + "".join(f"  K{i}: *x\n" for i in range(45_000))),  # 11 s before
    (compose.parse, "docker-compose.yml", "services:\n  web:\n    image: x\n    environment:\n"
     f"      BASE: &x '{LONG_VALUE}'\n" + "".join(f"      K{i}: *x\n" for i in range(45_000))),  # 2.9 s before
])
def test_one_long_string_repeated_by_aliases_is_an_alias_bomb(parse: Callable[[str, str], Facts], path: str,
                                                              text: str) -> None:
    # 45,000 aliases of one 60 KB string: 2.7 GB of values from a 500 KB file, each read by the settings rules.
    facts = within(parse, path, text)
    bomb = only(facts, "alias-bomb")
    assert bomb.line == 5 and "more than 4,194,304 characters" in bomb.message


def test_a_long_string_repeated_a_few_times_is_read() -> None:
    text = (f"services:\n  web:\n    image: x\n    environment:\n      BASE: &x '{LONG_VALUE}'\n"
            + "".join(f"      K{i}: *x\n" for i in range(60)))
    facts = within(compose.parse, "docker-compose.yml", text)
    assert all(d.code != "alias-bomb" for d in facts.diagnostics)


MANY_SERVICES = "services:\n" + "".join(f"  s{i}:\n    image: nginx\n" for i in range(60_000))  # 240,001 values


@pytest.mark.parametrize(("parse", "path"), [(compose.parse, "docker-compose.yml"), (kubernetes.parse, "k8s/a.yaml"),
                                             (telemetry.parse, "monitoring/prometheus.yml"),
                                             (appconfig.parse, "config/application.yml")])
def test_a_yaml_file_of_too_many_values_stops_at_the_document_that_passes_the_limit(
        parse: Callable[[str, str], Facts], path: str) -> None:
    # 2 MB of `s1:\n  extends: …` (300,000 values) took 4.3 s in the telemetry parser and 6.4 s in compose (found
    # by fuzzing); a million one-character values in a flow sequence would take 20 s.
    first = "apiVersion: v1\nkind: Service\nmetadata: {name: kept}\nspec: {ports: [{port: 80}]}\n---\n"
    facts = within(parse, path, first + MANY_SERVICES)
    bound = only(facts, "too-large")
    assert bound.line == 5 and "more than 100,000 YAML values" in bound.message, bound
    if parse is kubernetes.parse:  # the document before the one that passed the limit is read
        assert [node.name for node in facts.nodes] == ["kept"]


def test_a_document_too_long_to_walk_is_too_deep_at_the_line_yaml_gives() -> None:
    # Our depth limit is located with the pure-Python parser, which took 1.6 s on 2 MB of plain scalars before
    # the nesting (found by fuzzing): past 256 KB of text it is not walked, and libyaml's own line is the answer.
    head = "".join(f"key{i}: a plain value that is not short at all, to make the scanner work\n" for i in range(5_000))
    text = head + "deep: " + "[" * 1_200 + "]" * 1_200 + "\n"
    facts = within(telemetry.parse, "monitoring/prometheus.yml", text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("too-deep", 5_001)]


@pytest.mark.parametrize("text", ["a: [" + "1," * 1_000_000 + "]\n", "a: [" + "!t 1," * 400_000 + "]\n"])
def test_values_are_counted_with_or_without_an_explicit_tag(text: str) -> None:
    facts = within(compose.parse, "docker-compose.yml", text)
    assert codes(facts) == {("too-large", 1)}


def test_a_file_within_the_value_limit_is_read_in_full() -> None:
    text = "services:\n" + "".join(f"  s{i}:\n    image: nginx\n" for i in range(20_000))  # 80,001 values
    facts = within(compose.parse, "docker-compose.yml", text)
    assert facts.diagnostics == () and len(facts.nodes) == 20_000


def test_end_lines_shared_down_a_chain_of_last_children_are_right() -> None:
    # Each nested mapping walked down to its deepest last child again (199 levels, 2 MB: 2 s); now each
    # chain is walked once and every mapping on it gets the same end line, document by document.
    from auditor.parsers.yaml_source import load_documents

    depth = 150
    block = "".join("  " * level + f"k{level}:\n" for level in range(depth)) + "  " * depth + "v: 1\n"
    text = "".join(f"---\ns{i}:\n" + "".join("  " + line + "\n" for line in block.splitlines()) + "other: 2\n"
                   for i in range(3))
    documents, error = load_documents(text)
    assert error is None and len(documents) == 3
    per_document = depth + 4
    for index, document in enumerate(documents):
        first = 2 + index * per_document
        mapping = document.value[f"s{index}"]
        assert (mapping.line, mapping.end_line) == (first + 1, first + depth + 1)
        inner = mapping
        for level in range(depth - 1):
            inner = inner[f"k{level}"]
        assert inner.end_line == first + depth + 1
        assert document.value.key_lines["other"][0] == first + depth + 2


@pytest.mark.parametrize("text", ["&default\n<: *default\n", "a: &x\n  b: *x\n", "a: &x [1, *x]\n"])
def test_an_alias_inside_the_collection_it_names_is_refused(text: str) -> None:
    # `&default {<: *default}` walked its own last child for ever (found by fuzzing).
    facts = within(compose.parse, "docker-compose.yml", text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("alias-bomb", 1)]
    assert "alias inside the collection it names" in facts.diagnostics[0].message


def test_an_empty_document_is_located_on_a_line_of_the_file() -> None:
    facts = compose.parse("docker-compose.yml", "---")  # its node starts on line 2 of a 1-line file
    assert [(d.code, d.line) for d in facts.diagnostics] == [("parse-error", 1)]


def test_an_empty_key_at_the_end_of_the_file_ends_on_its_last_line() -> None:
    # `?` alone at the end: its empty node is marked on the line after the file (found by fuzzing).
    facts = kubernetes.parse("k8s/db.yaml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n name: s\n?")
    assert [(node.location.line, node.location.end_line) for node in facts.nodes] == [(1, 5)]


def test_python_settings_that_name_themselves_thousands_of_times_stop_at_a_limit() -> None:
    # `a = a, a, a, …` (5,000 names of the tuple itself) expanded 5,000² values: 9.8 s for 12 KB (fuzzing).
    text = 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\na = ' + "a," * 5000 + "\n"
    facts = within(appconfig.parse, "shop/settings.py", text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("limit", 2)]


@pytest.mark.parametrize("text", ["version = -" + "9" * 4304 + "\n", "a = " + "[" * 5000 + "]" * 5000 + "\n"])
def test_a_toml_build_file_too_large_to_read_is_a_diagnostic(text: str) -> None:
    from auditor.parsers import buildfiles

    facts = within(buildfiles.parse, "pyproject.toml", text)  # tomllib raised ValueError (found by fuzzing)
    assert [d.code for d in facts.diagnostics] == ["parse-error"]


def test_a_huge_hexadecimal_job_name_in_a_scrape_config_is_read_as_written() -> None:
    from auditor.parsers import telemetry

    # YAML reads `0x…` of any length as an int; str() of it raised ValueError (found by fuzzing). An integer too
    # long for decimal text stays the text it was written as (yaml_source.py).
    name = "0x" + "f" * 5000
    text = f"scrape_configs:\n  - job_name: {name}\n    static_configs:\n      - targets: [api:8080]\n"
    facts = within(telemetry.parse, "monitoring/prometheus.yml", text)
    assert facts.diagnostics == ()
    assert [(s.key, s.value) for n in facts.nodes for s in n.settings] == [(name[:telemetry.MAX_KEY], "api:8080")]


def _live_scalar_nodes() -> int:
    import gc

    import yaml

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, yaml.ScalarNode))


def test_parsing_yaml_keeps_none_of_its_nodes_alive() -> None:
    # The scalar constructor shared by every YAML read memoised each node it built, for the life of the
    # process: after 22,000 fuzz inputs a worker held 2.5 million objects and each full garbage collection
    # took up to 1 s of CPU (fuzz inputs of 0.02 s measured 2-3.8 s).
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n" + "".join(
        f"  k{i}: v{i}\n" for i in range(2000))
    kubernetes.parse("k8s/c.yaml", text)
    before = _live_scalar_nodes()
    for _ in range(5):
        kubernetes.parse("k8s/c.yaml", text)
    assert _live_scalar_nodes() <= before


# -- graph: selectors and the references routed through them ---------------------------------------------------

def _service(name: str, app: str) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
            f"spec: {{selector: {{app: {app}}}, ports: [{{port: 80}}]}}\n---\n")


def _deployment(name: str, app: str, url: str = "") -> str:
    env = f", env: [{{name: URL, value: '{url}'}}]" if url else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec: {{template: {{metadata: "
            f"{{labels: {{app: {app}}}}}, spec: {{containers: [{{name: main, image: i{env}}}]}}}}}}\n---\n")


def _graph_summary(*texts: str) -> tuple[dict[str, set[str]], dict[str, set[str]], list[Diagnostic]]:
    """(Service → workloads it routes to by selector, caller → what its URL reaches, the graph's diagnostics) of
    manifests `k8s/0.yaml`, `k8s/1.yaml`, … holding `texts`."""
    from auditor.graph.build import build_graph

    facts = [kubernetes.parse(f"k8s/{number}.yaml", text) for number, text in enumerate(texts)]
    assert not [d for f in facts for d in f.diagnostics]
    graph = build_graph(facts)
    selected: dict[str, set[str]] = {}
    reached: dict[str, set[str]] = {}
    for source, target, edge in graph.edges(data="edge"):
        name, target_name = source.rsplit("/", 1)[-1], target.rsplit("/", 1)[-1]
        if edge.attrs.get("via") == "selector":
            selected.setdefault(name, set()).add(target_name)
        elif edge.attrs.get("key") == "URL":
            reached.setdefault(name, set()).add(target_name)
    return selected, reached, graph.graph["diagnostics"]


def test_selectors_that_all_select_the_same_workloads_stop_at_a_bound() -> None:
    # 6,250 Services and 6,250 Deployments all of `app: a`, each Deployment calling its Service: 39 million links
    # and as many routed calls, minutes (found by fuzzing). Past 5,000 links in all, selectors link nothing.
    from auditor.graph.selectors import MAX_SELECTOR_LINKS

    n, per_file = 2_000, 500
    texts = ["".join(_service(f"s{i}", "a") + _deployment(f"d{i}", "a", f"http://s{i}:80")
                     for i in range(start, start + per_file)) for start in range(0, n, per_file)]
    selected, reached, diagnostics = within(_graph_summary, *texts)
    workloads = {f"d{i}" for i in range(n)}
    assert selected == {"s0": workloads, "s1": workloads} and 2 * n <= MAX_SELECTOR_LINKS < 3 * n
    assert reached["d0"] == workloads - {"d0"} and reached["d1"] == workloads - {"d1"}  # no edge to oneself
    assert all(reached[f"d{i}"] == {f"s{i}"} for i in range(2, n))  # to the Service, which selects nothing
    third = texts[0].split("\n").index("metadata: {name: s2}") + 2  # its selector's line
    assert [(d.path, d.line, d.code) for d in diagnostics] == [("k8s/0.yaml", third, "too-large")]
    assert f"this selector and {n - 3:,} after it are not linked" in diagnostics[0].message


def test_a_large_repository_of_ordinary_services_is_never_cut() -> None:
    # The bounds grow with the selectors and references: 12,000 Services each selecting its own Deployment, each
    # called by the next, are more links and routed calls than either base allows (a flat 5,000 links cut the
    # 10,000-service benchmark repository).
    from auditor.graph.selectors import MAX_ROUTED_EDGES, MAX_SELECTOR_LINKS

    n, per_file = 12_000, 1_000
    assert n > MAX_ROUTED_EDGES and n > MAX_SELECTOR_LINKS
    texts = ["".join(_service(f"s{i}", f"a{i}") + _deployment(f"d{i}", f"a{i}", f"http://s{(i + 1) % n}:80")
                     for i in range(start, start + per_file)) for start in range(0, n, per_file)]
    selected, reached, diagnostics = within(_graph_summary, *texts)
    assert diagnostics == []
    assert selected == {f"s{i}": {f"d{i}"} for i in range(n)}
    assert reached == {f"d{i}": {f"d{(i + 1) % n}"} for i in range(n)}


def test_references_through_a_service_stop_at_a_bound() -> None:
    # One Service selecting 1,000 workloads, called by 1,000 others: a million routed calls. Past 10,000 routed
    # edges in all, a reference is to the Service itself.
    from auditor.graph.selectors import MAX_ROUTED_EDGES

    n = 1_000
    text = _service("api", "a") + "".join(_deployment(f"w{i}", "a") for i in range(n))
    text += "".join(_deployment(f"caller{i}", "b", "http://api:80") for i in range(n))
    selected, reached, diagnostics = within(_graph_summary, text)
    routed = MAX_ROUTED_EDGES // n
    assert selected == {"api": {f"w{i}" for i in range(n)}} and 0 < routed < n
    assert all(reached[f"caller{i}"] == selected["api"] for i in range(routed))
    assert all(reached[f"caller{i}"] == {"api"} for i in range(routed, n))
    first_unrouted = text.split("\n").index(f"metadata: {{name: caller{routed}}}") + 2  # its spec line
    assert [(d.path, d.line, d.code) for d in diagnostics] == [("k8s/0.yaml", first_unrouted, "too-large")]
    assert f"this reference and {n - routed - 1:,} after it are to the Service" in diagnostics[0].message


def _sarif_of(root: Path) -> dict[str, Any]:
    from auditor.audit import audit
    from auditor.report import sarif

    return json.loads(sarif.render(audit(root)))


def test_sarif_of_services_that_all_select_the_same_workloads_stays_small(tmp_path: Path) -> None:
    # 200 such pairs in a 64 KB file: 40,000 related locations took SARIF 12 s (found by fuzzing). Only the
    # selectors within the bound route calls, so a workload's findings relate to those callers only.
    from auditor.graph.selectors import MAX_SELECTOR_LINKS

    n = 400
    text = "".join(_service(f"s{i}", "a") + _deployment(f"d{i}", "a", f"http://s{i}:80") for i in range(n))
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "all.yaml").write_text(text, encoding="utf-8")
    run = within(_sarif_of, tmp_path)["runs"][0]
    linked = MAX_SELECTOR_LINKS // n
    first_unlinked = text.split("\n").index(f"metadata: {{name: s{linked}}}") + 2
    notes = [(note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              note["locations"][0]["physicalLocation"]["region"]["startLine"], note["descriptor"]["id"])
             for note in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [("k8s/all.yaml", first_unlinked, "too-large")]
    assert {f"k8s/all.yaml:{result['locations'][0]['physicalLocation']['region']['startLine']}"
            for result in run["results"]} >= {f"k8s/all.yaml:{10 * i + 9}" for i in range(n)}  # every Deployment
    assert max(len(result.get("relatedLocations", [])) for result in run["results"]) <= linked


# -- source-code extractors on inputs a fuzz run found slow --------------------------------------------------------

def test_many_assignments_of_one_name_are_read_in_one_pass() -> None:
    # Each `module.exports = …` looked through every earlier binding of the name for a module-level declaration:
    # 50,000 of them took over 30 s (found by fuzzing). The assignments are valid code: the fuzzed `{ });\n}` after
    # each one made tree-sitter's error recovery take 0.49 s of the file's 0.45 s parse budget on a slower machine,
    # and the file was then refused as too slow before the extraction this test is about.
    text = ('const axios = require("axios");\nlet base = "http://catalog:8080";\nlet other = "http://orders:8080";\n'
            'function setup() { base = "http://carts:8080"; const other = "http://pay:8080"; '
            'axios.get(base, { timeout: 1 }); axios.get(other, { timeout: 1 }); }\n'
            + "module.exports = { base };\n" * 10_000)
    facts = within(code_parse.parse, "web/src/client.ts", text)
    assert facts.diagnostics == ()
    # `base` is the module's variable, assigned twice: unknown; `other` in setup() is its own constant
    assert [(e.target, e.location.line) for e in facts.edges] == [("host:pay", 4)]
    assert [(c["line"], c["client"]) for c in facts.nodes[0].attrs["unresolved_calls"]] == [(4, "axios")]


def test_a_declaration_of_sixty_thousand_names_is_read_within_the_match_limit() -> None:
    # `int a,a,a,…` made one match per name, all built before the first 20,000 were kept: 500 KB took 3.9 s
    # (found by fuzzing; 250,000 names are over MAX_SYNTAX_NODES, 60,000 are three times the match limit).
    # The field declared before it still types the client.
    text = ("using System;\nusing System.Net.Http;\nnamespace Ordering.Clients;\n\n"
            "public sealed class BasketClient\n{\n"
            "    private static readonly HttpClient Http = new()\n    {\n"
            '        BaseAddress = new Uri("http://basket-api"), Timeout = TimeSpan.FromSeconds(5),\n    };\n\n'
            "    public async Task<string> GetAsync(string id)\n    {\n"
            "        int a" + ",a" * 60_000 + ";\n"
            '        var reply = await Http.GetAsync($"/api/v1/basket/{id}");\n'
            "        return await reply.Content.ReadAsStringAsync();\n    }\n}\n")
    facts = within(code_parse.parse, "Ordering/BasketClient.cs", text)
    assert facts.diagnostics == ()
    assert [(c["line"], c["client"], c["bounds"]) for c in facts.nodes[0].attrs["unresolved_calls"]] == [
        (15, "HttpClient", ["default_timeout"])]


def test_a_declaration_of_many_names_finds_its_modifiers_once_per_name() -> None:
    # Each declared name looked for the declaration's `modifiers` among all its children: `int a, b, …` of 5,000
    # names in a 10 KB file took 5 s, 20,000 names minutes (found by fuzzing). The field before it still types the
    # client.
    text = ("package com.example.orders;\n\nimport org.springframework.web.client.RestTemplate;\n\n"
            "public class OrderClient {\n    private final RestTemplate rest = new RestTemplate();\n"
            "    private int " + ", ".join(f"a{i}" for i in range(20_000)) + ";\n\n"
            "    public String find(long id) {\n"
            '        return rest.getForObject("http://orders:8080/orders/" + id, String.class);\n    }\n}\n')
    facts = within(code_parse.parse, "orders/src/main/java/OrderClient.java", text)
    assert facts.diagnostics == () and [(e.target, e.location.line) for e in facts.edges] == [("host:orders", 10)]


def _count_text_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the characters the source-code extractors read as node text (syntax.text, wherever it is
    imported), in its first item."""
    import importlib

    from auditor.code import syntax

    read = [0]
    original = syntax.text

    def counting(node: Any) -> str:
        value = original(node)
        read[0] += len(value)
        return value

    for name in ("syntax", "python", "go", "csharp", "php", "javascript", "java"):
        module = importlib.import_module(f"auditor.code.{name}")
        if getattr(module, "text", None) is original:
            monkeypatch.setattr(module, "text", counting)
    return read


def test_a_deep_chain_of_calls_is_read_in_linear_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Naming each callee of `f(id)(id)(id)…` read the text of the whole chain below it: 480 KB took 5 s (found by
    # fuzzing). The text extraction reads stays linear in the file, and the call beside the chain is still seen.
    read = _count_text_read(monkeypatch)
    text = ("const axios = require('axios');\nmodule.exports = {\n  items: (id) => axios.get(`http://catalog/${id}`, "
            "{ timeout: 2000 }),\n  x: f" + "(id)" * 40_000 + ",\n};\n")
    facts = code_parse.parse("web/src/client.ts", text)
    assert facts.diagnostics == () and [(e.target, e.location.line) for e in facts.edges] == [("host:catalog", 3)]
    assert read[0] < 10 * len(text)


CHAINS = {  # 30,000 calls each of which calls the result of the one before, beside a call to find
    "app/client.py": "import requests\nx = f" + "(a)" * 30_000 + "\nrequests.get('http://orders:8080', timeout=2)\n",
    "main.go": "package main\nfunc main() {\n x := f" + "(a)" * 30_000 + "\n}\n",
    "A.cs": "class A { void M() { var x = f" + "(a)" * 30_000 + "; } }\n",
    "a.php": "<?php\n$x = f" + "(a)" * 30_000 + ";\n",
    "src/b.ts": "const x = a" + ".b()" * 30_000 + ";\n",
    "src/A.java": "import java.net.http.HttpClient;\nclass A { void m() { Object x = a" + ".b()" * 30_000 + "; } }\n",
}


@pytest.mark.parametrize("path", sorted(CHAINS))
def test_a_chain_of_calls_is_read_in_linear_time(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Naming each callee of `f(a)(a)…` read the text of the chain below it (PHP: 2.6 s for 90 KB), and Python's
    # query walk had no bound on the depth where matches start (30,000 nested calls: 6.4 s; found while checking
    # a fuzz finding). The text read stays linear in the file and every query walk is depth-bounded.
    import tree_sitter

    read = _count_text_read(monkeypatch)
    real = tree_sitter.QueryCursor
    cursors: list[Any] = []

    class Cursor:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner, self.bounded = real(*args, **kwargs), False
            cursors.append(self)

        def set_max_start_depth(self, depth: int) -> None:
            self.bounded = True
            self.inner.set_max_start_depth(depth)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    monkeypatch.setattr(tree_sitter, "QueryCursor", Cursor)
    text = CHAINS[path]
    facts = code_parse.parse(path, text)
    assert facts.diagnostics == () and read[0] < 10 * len(text)
    assert cursors and all(cursor.bounded for cursor in cursors)
    if path.endswith(".py"):
        assert [(e.target, e.location.line) for e in facts.edges] == [("host:orders", 3)]


def test_php_queries_walk_a_large_file_once() -> None:
    # Six queries, six walks of the tree: 2 MB of repeated statements took 2.7 s (found by fuzzing). 420 KB of them
    # (215,000 syntax nodes) is near the largest source file that is read.
    text = ("<?php\nnamespace App\\Clients;\n\nuse GuzzleHttp\\Client;\n\nfinal class Catalog\n{\n"
            "    private Client $http;\n\n    public function __construct()\n    {\n"
            "        $this->http = new Client(['base_uri' => getenv('CATALOG_URL') ?: 'http://catalog', "
            "'timeout' => 10]);\n"
            "    }\n\n    public function item(int $id): array\n    {\n"
            '        $json = file_get_contents("http://catalog/items/{$id}");\n'
            + ('        return json_decode($this->http->get("/items/$id")->getBody(), true) '
               "?? json_decode($json, true);\n    }\n") * 4_000)
    facts = within(code_parse.parse, "catalog/src/Catalog.php", text)
    assert facts.diagnostics == ()
    assert [(e.target, e.location.line, e.attrs["client"]) for e in facts.edges] == [("host:catalog", 17, "php-stream")]
    assert [(c["line"], c["client"]) for c in facts.nodes[0].attrs["unresolved_calls"]] == [(18, "guzzle")]


@pytest.mark.parametrize(("parse", "path", "head", "row"), [
    (appconfig.parse, "common.env", "", "K{i}=postgres://u:p@h{i}:5432/d\n"),
    (kubernetes.parse, "k8s/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata:\n",
     "  K{i}: postgres://u:p@h{i}:5432/d\n"),
])
def test_configuration_links_a_bounded_number_of_hosts(parse: Callable[[str, str], Facts], path: str, head: str,
                                                       row: str) -> None:
    # 55,000 database URLs in a .env that three services read became 20,000 DATA003 findings: 4.4 s to audit and
    # 15 s more to write the reports (found by fuzzing). The first MAX_LINKS hosts are linked, and the limit says
    # where reading stopped.
    count = settings.MAX_LINKS + 500
    text = head + "".join(row.replace("{i}", str(i)) for i in range(count))
    facts = within(parse, path, text)
    hosts = {edge.target for edge in facts.edges}
    assert len(hosts) == settings.MAX_LINKS and "host:h0" in hosts and f"host:h{settings.MAX_LINKS}" not in hosts
    bound = only(facts, "limit")
    assert bound.line == head.count("\n") + settings.MAX_LINKS + 1 and "hosts named" in bound.message


def test_terraform_environment_variables_link_a_bounded_number_of_hosts() -> None:
    count = settings.MAX_LINKS + 100
    body = "".join(f'      K{i} = "postgres://u:p@h{i}:5432/d"\n' for i in range(count))
    text = ('resource "aws_lambda_function" "api" {\n  function_name = "api"\n  environment {\n    variables = {\n'
            + body + "    }\n  }\n}\n")
    facts = within(terraform.parse, "infra/main.tf", text)
    assert len({e.target for e in facts.edges if e.target.startswith("host:")}) == settings.MAX_LINKS
    bound = only(facts, "limit")
    assert bound.line == 4 + settings.MAX_LINKS + 1 and "hosts named" in bound.message


_LONG_NAME = "k" * 500_000


@pytest.mark.parametrize(("path", "text", "line"), [
    ("config/application.yml", "? " + _LONG_NAME + "\n:\n" + "".join(f"  c{i}: v\n" for i in range(1000)), 1),
    ("config/production.json", json.dumps({_LONG_NAME: {f"c{i}": "v" for i in range(1000)}}), 1),
    ("shop/settings.py", "X = {" + repr(_LONG_NAME) + ": {" + ",".join(f'"c{i}": 1' for i in range(1000)) + "}}\n", 1),
    ("nginx/nginx.conf", 'http {\n  server "' + _LONG_NAME + '" {\n' + "    listen 80;\n" * 1000 + "  }\n}\n", 3),
])
def test_a_setting_name_too_long_to_read_is_skipped_with_what_is_under_it(path: str, text: str, line: int) -> None:
    # Every child repeats its parent's name: 1,000 children of a 500 KB name took 50 s to interpret (fuzzing).
    facts = within(appconfig.parse, path, text)
    bound = only(facts, "limit")
    assert bound.line == line and f"more than {appconfig.MAX_KEY_CHARS:,} characters" in bound.message


def _blank_run_outcome(text: str) -> tuple[int, str, int | None]:
    from auditor.parsers.yaml_source import load_documents

    documents, error = load_documents(text)
    return len(documents), error.code if error else "", error.line if error else None


def test_a_yaml_file_with_a_long_run_of_blanks_is_refused_before_libyaml() -> None:
    # libyaml took time quadratic in a run of blanks inside a quoted scalar followed by many words: 367,000 tabs in
    # a fuzzed prometheus.yml took 2.9 s (found by fuzzing).
    from auditor.parsers.yaml_source import MAX_BLANK_RUN

    text = "scrape_configs:\n  - job_name: orders\nX = '" + "\t" * 367_255 + "a " * 196_589
    assert within(_blank_run_outcome, text) == (0, "too-slow", 3)
    indented = "a:\n  b: '" + " " * MAX_BLANK_RUN + "x'\n"  # up to the bound, read
    assert within(_blank_run_outcome, indented) == (1, "", None)


def test_a_toml_key_of_too_many_dotted_parts_is_refused_before_tomllib() -> None:
    # tomllib builds a dotted key one part at a time, in quadratic time: 62,500 `a.` took over 6 s (fuzzing).
    from auditor.parsers import buildfiles

    text = '[project]\nname = "api"\n' + "a." * 500_000 + "b = 1\n"
    facts = within(buildfiles.parse, "api/pyproject.toml", text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("limit", 3)]
    real = '[project]\nname = "api"\nversion = "1.2.3"\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n'
    assert buildfiles.parse("api/pyproject.toml", real).diagnostics == ()


def test_a_dockerfile_reads_a_bounded_number_of_env_variables() -> None:
    # Each ENV variable is interpreted like any environment: 60,000 of them took 5.3 s (found by probing).
    from auditor.parsers import buildfiles

    text = ("FROM eclipse-temurin:21\nENV OTEL_EXPORTER_OTLP_ENDPOINT=http://otel:4317\n"
            + "".join(f"ENV K{i}=http://h{i}:80\n" for i in range(60_000)))
    facts = within(buildfiles.parse, "Dockerfile", text)
    bound = only(facts, "limit")
    assert bound.line == 2 + buildfiles.MAX_ENV and "ENV variables" in bound.message
    assert [s.topic for s in facts.nodes[0].settings] == ["tracing"]  # what comes before is read


def test_a_config_file_of_a_million_problems_stops_reading_at_the_bound() -> None:
    # 1.5 million `}` in an nginx.conf were as many "unexpected '}'" problems: 3 s to record and fold (fuzzing).
    text = "http {\n  upstream api { server api:8080; }\n}\n" + "}" * 1_500_000 + "\nserver { listen 80; }\n"
    facts = within(appconfig.parse, "nginx/nginx.conf", text)
    assert [(d.line, d.code) for d in facts.diagnostics] == [(4, "parse-error"), (4, "limit")]
    assert "(and 9,999 more lines like it)" in facts.diagnostics[0].message
    assert f"more than {appconfig.MAX_PROBLEMS:,} problems" in facts.diagnostics[1].message
    assert [e.target for e in facts.edges] == ["host:api"]  # what comes before is read


def test_a_compose_file_reads_a_bounded_number_of_environment_entries() -> None:
    # Each entry is interpreted on its own: 47,000 in 2 MB took 2.5 s (found by fuzzing).
    head = 'version: "2.4"\n\nservices:\n  wordpress:\n    build: .\n    environment:\n'
    entries = ["      - DATABASE_URL=mysql://wp:wp-pass@database:3306/wordpress\n",
               "      - MEMCACHED_URL=memcached://memcached:11211\n", "      - WP_CACHE=1\n"]
    text = head + "".join(entries) * 4_000 + "  database:\n    image: mysql:8\n"
    facts = within(compose.parse, "docker-compose.yml", text)
    first_unread = head.count("\n") + compose.MAX_ENVIRONMENT + 1
    assert [(d.code, d.line, d.level) for d in facts.diagnostics] == [("limit", first_unread, "warning")]
    assert {(e.target, e.location.line) for e in facts.edges if e.location.line <= 9} == {
        ("host:database", 7), ("host:memcached", 8)}
    assert [(n.name, n.kind) for n in facts.nodes] == [("wordpress", "service"), ("database", "datastore")]


def test_javascript_reads_a_bounded_number_of_outbound_calls() -> None:
    # Each call is followed through the file's bindings: 20,000 fetch calls in 2 MB took 3 s (found by fuzzing).
    count = code_facts.MAX_CALLS + 500
    text = "".join(f'const u{i} = "http://s{i}:80/" + u{i + 1};\nfetch(u{i});\n' for i in range(count))
    facts = within(code_parse.parse, "web/src/client.ts", text)
    first_unread = 2 * code_facts.MAX_CALLS + 2  # the line of the first fetch not read
    assert [(d.code, d.line, d.level) for d in facts.diagnostics] == [("limit", first_unread, "warning")]
    assert len(facts.edges) == code_facts.MAX_CALLS
    assert (facts.edges[0].target, facts.edges[0].location.line) == ("host:s0", 2)


@pytest.mark.parametrize(("tail", "served"), [("", True), ("}}", False)])
def test_a_long_line_of_braces_is_searched_for_blade_echoes_once(tail: str, served: bool) -> None:
    # `\{\{.*?\}\}` scanned to the end of the line from each `{{`: 500,000 braces took over 30 s (found by
    # fuzzing). Braces closed on their line are a Blade echo (a view); unclosed ones leave a served script.
    text = ('<?php\n$id = $_GET["id"];\necho file_get_contents("http://catalog/items/$id");\n?>\n<p>'
            + "{" * 500_000 + tail + "</p>\n")
    facts = within(code_parse.parse, "public/index.php", text)
    assert facts.diagnostics == ()
    assert [(e.target, e.location.line) for e in facts.edges] == [("host:catalog", 3)]
    assert [h["function"] for h in facts.nodes[0].attrs["handlers"]] == (["<script>"] if served else [])


def test_a_client_interface_of_many_annotations_is_read_once() -> None:
    # The query paired every annotation with every method, N annotations in progress over the interface:
    # 20,000 `@FeignClient` on one interface took over 30 s (found by fuzzing). The first one names the client.
    text = ("import org.springframework.cloud.openfeign.FeignClient;\n"
            + '@FeignClient(name = "users", url = "${users.url}")\n' * 10_000
            + 'interface Users { @GetMapping("/users/{id}") User get(@PathVariable long id); }\n')
    facts = within(code_parse.parse, "src/OrderClient.java", text)
    assert facts.diagnostics == ()
    assert [(e.target, e.location.line, e.attrs["bound_line"]) for e in facts.edges] == [("env:users.url", 10_002, 2)]


@pytest.mark.parametrize(("path", "head", "call"), [
    ("services/orders/client.py", "import requests\n\n\ndef ping():\n",
     '    requests.get("http://users:8080/healthz", timeout=2)\n'),
    ("cmd/geo/client.go", 'package main\n\nimport "net/http"\n\nfunc Ping() {\n',
     '\t_, _ = http.Get("http://users:8080/healthz")\n'),
    ("src/Catalog.php", "<?php\nfunction ping()\n{\n", '    file_get_contents("http://users:8080/healthz");\n'),
])
def test_a_source_file_reads_a_bounded_number_of_outbound_calls(path: str, head: str, call: str) -> None:
    # Each outbound call is classified and its target followed: 15,000 `http.Get` calls in 1 MB of Go took 2.5 s
    # (found by fuzzing). The first MAX_CALLS are read; the limit names the line of the first one left out.
    text = head + call * (code_facts.MAX_CALLS + 200) + ("}\n" if head.endswith("{\n") else "")
    facts = within(code_parse.parse, path, text)
    assert len(facts.edges) == code_facts.MAX_CALLS
    bound = only(facts, "limit")
    assert bound.line == head.count("\n") + code_facts.MAX_CALLS + 1 and "outbound calls" in bound.message


_HUGE_HOST = "a" * 600_000


@pytest.mark.parametrize(("path", "text"), [
    ("svc/client.py", f'import requests\nURL = "http://{_HUGE_HOST}:80/x"\ndef f():\n'
     + "    requests.get(URL, timeout=1)\n" * 3000),
    ("svc/client.go", f'package main\nimport "net/http"\nconst URL = "http://{_HUGE_HOST}:80/x"\nfunc f() {{\n'
     + "\thttp.Get(URL)\n" * 3000 + "}\n"),
    ("web/client.js", f'const axios = require("axios");\nconst URL = "http://{_HUGE_HOST}:80/x";\n'
     + "axios.get(URL, {timeout: 1});\n" * 3000),
    ("src/C.cs", f'using System.Net.Http;\nclass C {{ const string URL = "http://{_HUGE_HOST}:80/x"; '
     "static HttpClient c = new HttpClient(); async void F() {\n" + "await c.GetAsync(URL);\n" * 3000 + "} }\n"),
])
def test_a_literal_longer_than_any_address_is_not_read_as_one(path: str, text: str) -> None:
    # Kept whole, a 600 KB literal used by 3,000 calls was read again at each call: 12-25 s (Python also 1.7 GB;
    # found by fuzzing). It names no host, and the file is read in a fraction of a second.
    facts = within(code_parse.parse, path, text, seconds=5)
    assert not any(edge.target.startswith("host:a") for edge in facts.edges)


def test_a_name_assigned_thousands_of_times_in_one_function_is_looked_up_by_line() -> None:
    # Each use read every assignment of the name in its function: 13,000 `reply = requests.get(…)` took 4 s
    # (found by fuzzing). Each call still resolves through the module's `USERS`.
    text = ('import os\n\nimport requests\n\nUSERS = os.environ.get("USERS_URL", "http://users:8080")\n\n\n'
            "def profile(user_id: int) -> dict:\n"
            + '    reply = requests.get(f"{USERS}/users/{user_id}", timeout=2.5)\n    reply.raise_for_status()\n'
            * 4_000 + "    return reply.json()\n")
    facts = within(code_parse.parse, "services/orders/client.py", text)
    assert facts.diagnostics == ()
    assert len(facts.edges) == 4_000
    assert {(e.target, e.attrs["key"]) for e in facts.edges} == {("host:users", "USERS_URL")}
    assert [e.location.line for e in facts.edges[:2]] == [9, 11]


def test_grpc_client_fields_read_the_file_s_deadlines_once() -> None:
    # Each `@GrpcClient` field walked the whole tree again for the file's deadlines: 3,000 fields (170 KB) took
    # 41 s (found while fixing a fuzz finding). All the queries of a Java file now run in one walk.
    text = ("import net.devh.boot.grpc.client.inject.GrpcClient;\n\npublic class Orders {\n"
            + '    @GrpcClient("orders") OrdersGrpc.OrdersBlockingStub stub;\n' * 3_000 + "}\n")
    facts = within(code_parse.parse, "src/Orders.java", text)
    assert facts.diagnostics == ()
    assert len(facts.edges) == 3_000
    assert {(e.target, e.attrs["bounds"][0]) for e in facts.edges} == {("env:grpc.client.orders.address", "deferred")}
    assert [e.location.line for e in facts.edges[:2]] == [4, 5]


@pytest.mark.parametrize("breaks", ["\r", "\n", "\u2028", " \n"])
def test_a_gemfile_of_line_breaks_looks_only_at_its_lines_of_text(breaks: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """2 MB of `\\r` is 2 million lines; each went through four patterns (2.2 s, found by fuzzing)."""
    from auditor.parsers import buildfiles

    looked: list[str] = []

    class Counting:
        def __init__(self, pattern: Any) -> None:
            self.pattern = pattern

        def match(self, line: str) -> Any:
            looked.append(line)
            return self.pattern.match(line)

    monkeypatch.setattr(buildfiles, "_END", Counting(buildfiles._END))
    gems = 'gem "opentelemetry-exporter-otlp", group: :test\ngem "opentelemetry-sdk"\n'
    facts = buildfiles.parse("Gemfile", breaks * 200_000 + gems)
    assert len(looked) == 2
    assert [library["name"] for library in facts.nodes[0].attrs["libraries"]] == ["opentelemetry-sdk"]


def test_a_parse_that_recurses_as_deep_as_its_text_nests_does_not_overflow_the_stack(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """tree-sitter's error recovery recursed once per level of these 87,773 nested type arguments and overflowed
    the main thread's 8 MB stack: a segfault (minimised from a fuzzed file). Parses run on a thread with a large
    stack (treesitter.on_deep_stack). The budget is lifted so that the parse gets there on any machine."""
    monkeypatch.setattr(code_parse, "PARSE_BUDGET", treesitter.Budget(base=8.0, per_mb=0.0, cap=8.0))
    text = "limits\r" + "<a>" * 87_773 + "<"
    facts = within(code_parse.parse, "web/src/client.ts", text)  # on the old code the child died
    assert facts.path == "web/src/client.ts"
    assert {d.code for d in facts.diagnostics} <= {"too-slow", "limit", "parse-error"}, facts.diagnostics


def test_parses_run_on_the_deep_stack_thread_also_in_a_forked_child() -> None:
    import threading

    def where() -> str:
        return threading.current_thread().name

    large = treesitter.SHALLOW_BYTES + 1
    assert within(lambda: treesitter.on_deep_stack(where, large)) == "tree-sitter"
    assert treesitter.on_deep_stack(where, large) == "tree-sitter"
    assert treesitter.on_deep_stack(where, treesitter.SHALLOW_BYTES) == threading.current_thread().name


@pytest.mark.parametrize(("path", "text"), [
    ("web/src/client.js", 's = require("axios")t("hp:' + "0" * 4301 + '\n ost("})'),  # minimised from fuzzing
    ("web/src/client.js", 'const axios = require("axios"); axios.get("api:' + "9" * 5000 + '/x")\n'),
    ("services/app.py", 'import grpc\ngrpc.insecure_channel("orders:' + "9" * 5000 + '")\n'),
    ("services/app.py", 'import grpc\ngrpc.insecure_channel("orders:²")\n'),
])
def test_a_port_of_thousands_of_digits_is_no_port(path: str, text: str) -> None:
    """int() of more than 4,300 digits raises ValueError, and `²` passes str.isdigit but not int()."""
    facts = code_parse.parse(path, text)
    assert not [d for d in facts.diagnostics if d.code == "internal-error"], facts.diagnostics


def test_a_run_of_digits_inside_an_image_name_is_read_in_linear_time() -> None:
    """What an image is (knowledge.image_engine) strips a trailing version from the name's last token: with
    `re.sub(r"\\d+$", …)` a run of digits not at the end was tried from each of its digits. Minimised from
    fuzzing: 23,066 digits took 2.09 s of CPU; 300,000 would take minutes on the old code."""
    from auditor.discover import SourceFile
    from auditor.knowledge import image_engine
    from auditor.scan import parse_file

    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: web\n          image: ghcr.io/example-media/" + "0" * 300_000
            + "web:5.0.1\n")
    nodes = within(lambda: [n.kind for n in parse_file(SourceFile("k8s/app.yaml", "kubernetes", text, "")).nodes])
    assert nodes == ["service"]
    assert within(image_engine, "acme/acme-" + "7" * 300_000 + "x:1") is None
    assert image_engine("acme/acme-mysql8:1") == ("mysql", "datastore")


@pytest.mark.parametrize("path", ["cmd/geo/client.go", "web/src/app.ts", "services/app.py", "public/index.php"])
def test_brackets_left_open_past_the_depth_bound_are_refused_before_tree_sitter(path: str) -> None:
    """tree-sitter's last step over text that leaves its brackets open makes no progress callback, so no budget
    stops it: `f(` * 218,750 in Go took 2.3 s of CPU against a 0.5 s budget (found by fuzzing, seed 20261209)."""
    prefix = "<?php\n" if path.endswith(".php") else ""
    text = prefix + "x = 1\n" + "f(" * 218_750
    facts = within(code_parse.parse, path, text)
    assert [(d.code, d.line) for d in facts.diagnostics] == [("too-deep", 3 if prefix else 2)]
    assert f"more than {code_parse.MAX_BRACKET_DEPTH:,} levels" in facts.diagnostics[0].message
    # At the bound the parse runs (and ends in a parse error, as such text is not valid code)
    at_bound = code_parse.parse(path, prefix + "f(" * code_parse.MAX_BRACKET_DEPTH)
    assert "too-deep" not in [d.code for d in at_bound.diagnostics]
