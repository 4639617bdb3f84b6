"""Fuzzing: no input, of any kind, makes a parser or the whole audit raise, hang or mislocate a diagnostic.

Property-based (Hypothesis) over every parser entry point, with the file names that pick each dialect,
and over `audit` of mutated sample repositories; inputs and checks live in tests/fuzzing.py, shared with
the long runs of bench/fuzz.py. Every input runs in a worker process that is killed when it hangs,
so a parse stuck in C code fails its test instead of hanging CI.

Bounded and reproducible for CI: fixed example counts, `derandomize=True`, no example database, and no
shrinking (a failing input is minimised by the harness, cheaply, and printed as a Python expression).
`FUZZ_SCALE=10` runs ten times as many examples; `FUZZ_TIME_LIMIT` sets the per-input limit in seconds of CPU.
"""

from __future__ import annotations

import os

import pytest
from fuzzing import (
    TARGETS,
    DataChooser,
    Problem,
    RandomChooser,
    Result,
    Target,
    Worker,
    edge_cases,
    failure_report,
    minimized,
    parser_input,
    random_text,
    remove_tree,
    repo_input,
    temporary_root,
    write_repo,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from auditor.discover import DEFAULT_MAX_BYTES
from auditor.model import MAX_CODE_BYTES

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
LIMIT = float(os.environ.get("FUZZ_TIME_LIMIT", "5"))
MAX_BYTES = 256 * 1024  # random inputs stay small in CI; the edge cases go up to the 2 MB file limit


def bounded(examples: int) -> settings:
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,  # the worker measures CPU time and guards against hangs, in a process it can kill
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@pytest.fixture(scope="module")
def worker():
    process = Worker(hash_seed=1)
    yield process
    process.close()


@pytest.fixture(scope="module")
def other_worker():
    """A second interpreter with another hash seed: output must not depend on set or dict ordering."""
    process = Worker(hash_seed=2)
    yield process
    process.close()


def _failure(worker: Worker, target: Target, label: str, text: str, result: Result, seconds: float) -> str:
    """The report of a failing input, for its minimised form when that still fails the same way."""
    small = minimized(worker, target, text, result, LIMIT, seconds=seconds)
    if small != text:
        again = worker.parse(target, small, LIMIT)
        if any(p.key == result.problems[0].key for p in again.problems):
            return failure_report(f"{target} {label} (minimised)", again, small)
    return failure_report(f"{target} {label}", result, text)


def _check(worker: Worker, target: Target, text: str) -> None:
    result = worker.parse(target, text, LIMIT)
    if result.problems:
        pytest.fail(_failure(worker, target, "", text, result, seconds=10), pytrace=False)


@pytest.mark.parametrize("target", TARGETS, ids=str)
@bounded(25)
@given(data=st.data())
def test_parser_survives_random_text(worker: Worker, target: Target, data: st.DataObject) -> None:
    _check(worker, target, random_text(DataChooser(data), target, max_bytes=MAX_BYTES))


@pytest.mark.parametrize("target", TARGETS, ids=str)
@bounded(60)
@given(data=st.data())
def test_parser_survives_mutated_fixtures(worker: Worker, target: Target, data: st.DataObject) -> None:
    _check(worker, target, parser_input(DataChooser(data), target, MAX_BYTES))


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_parser_survives_edge_cases(worker: Worker, target: Target) -> None:
    """Deep nesting, huge numbers, unicode spaces and line breaks, NUL, CRLF, lone CR, BOM, long lines."""
    failures = []
    for label, text in edge_cases(target, MAX_BYTES):
        result = worker.parse(target, text, LIMIT)
        if result.problems:
            failures.append(_failure(worker, target, label, text, result, seconds=5))
            if len(failures) == 3:  # enough to act on; more would only cost CI time
                break
    assert not failures, "\n\n".join(failures)


@bounded(40)
@given(data=st.data())
def test_audit_survives_mutated_repositories(worker: Worker, other_worker: Worker, data: st.DataObject) -> None:
    files = repo_input(DataChooser(data), MAX_BYTES)
    root = temporary_root()
    try:
        written = write_repo(root, files)
        result = worker.audit(root, written, LIMIT)
        if not result.problems:
            other = other_worker.audit(root, written, LIMIT)
            if other.problems:
                result = other
            elif other.digest != result.digest:
                result = Result(result.seconds, [Problem("nondeterministic", "the reports differ between two "
                                                         "interpreters with different hash seeds", "nondeterministic")])
    finally:
        remove_tree(root)
    if result.problems:
        listing = ", ".join(f"{name!r} ({len(data):,} bytes)" for name, data in sorted(written.items()))
        pytest.fail(failure_report(f"audit of a mutated repository: {listing}", result), pytrace=False)


def test_source_code_inputs_stay_within_what_discovery_reads() -> None:
    # Discovery does not read source files over 1 MB (generated or bundled), so a code input past that size
    # would measure time no real run spends; the other kinds go up to the 2 MB file limit.
    chooser = RandomChooser(3)
    for target in TARGETS:
        limit = MAX_CODE_BYTES if target.parser == "code" else DEFAULT_MAX_BYTES
        sizes = [len(parser_input(chooser, target).encode("utf-8", "surrogatepass")) for _ in range(30)]
        sizes += [len(text.encode("utf-8", "surrogatepass")) for _, text in edge_cases(target)]
        assert max(sizes) <= limit, target
    assert max(len(text) for _, text in edge_cases(TARGETS[-1])) > MAX_CODE_BYTES // 2  # still near the limit
