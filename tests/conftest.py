"""Shared test helpers: write a small repo to disk and read the `expect:` markers in it."""

from __future__ import annotations

import contextlib
import http.server
import re
import threading
from collections.abc import Iterator
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


@contextlib.contextmanager
def serving(body: bytes, content_type: str) -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server answering every GET with `body`: (its port, the paths requested so far). Tests that
    must prove nothing reaches the network check the list stays empty, after a control that fills it."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()
