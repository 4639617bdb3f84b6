"""Repository text made safe for a terminal, a CI log or a document: one visible line, nothing it can do.

Names, paths and messages come from the audited repository. A newline in a name could start a line that a
CI runner obeys (GitHub's `::error` workflow commands); an escape sequence could rewrite the terminal; a
bidirectional override could make a line read differently from what it is. Every text report passes repo
text through `printable` (JSON-based formats escape these characters themselves).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console

from auditor.model import Finding

# C0 and C1 controls, DEL, line and paragraph separators, bidirectional marks, embeddings, overrides and
# isolates, and the byte-order mark / zero-width no-break space.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: object, keep_tabs: bool = False) -> str:
    """`text` on one line with every control or direction-changing character shown as an escape (`\\n`, `\\x1b`)."""
    value = str(text)
    if keep_tabs:
        value = value.expandtabs(4)
    return _UNSAFE.sub(_escaped, value)


def console(stderr: bool = False) -> Console:
    """A rich console that never turns `:name:` into an emoji or colours numbers and paths on its own."""
    return Console(stderr=stderr, emoji=False, highlight=False)


def several_deployments(findings: Iterable[Finding]) -> bool:
    """True when the findings come from more than one deployment: then each one names its own."""
    return len({f.deployment for f in findings} - {""}) > 1
