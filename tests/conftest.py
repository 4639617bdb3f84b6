"""Shared test helpers: write a small repo to disk and read the `expect:` markers in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"(?:#|//|;)\s*expect:\s*([A-Z]+\d{3}(?:\s*,\s*[A-Z]+\d{3})*)")


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def expected_markers(files: dict[str, str]) -> set[tuple[str, str, int]]:
    """(rule id, path, line) for every `# expect: ID` comment in the files."""
    expected = set()
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for rule_id in re.split(r"\s*,\s*", match.group(1)):
                    expected.add((rule_id, name, number))
    return expected


@pytest.fixture
def repo(tmp_path: Path):
    def make(files: dict[str, str]) -> Path:
        return write_repo(tmp_path, files)

    return make
