"""Secrets out of text that is kept as an attribute: URL passwords and values of secret-looking arguments.

Both scans are linear in the text. The regular expressions they replace (`[a-z][a-z0-9+.-]*://…` searched
from every position, `[\\w.-]*password[\\w.-]*(=|\\s+)…`) backtracked over long runs of letters or of
`-a-a-a`: 20,000 characters took 2 s and 22 s.
"""

from __future__ import annotations

import re

REDACTED = "***"

SECRET_WORD = r"(?:pass(?:wd|word)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)"
_SECRET = re.compile(SECRET_WORD, re.IGNORECASE)
_TOKEN = re.compile(r"[\w.-]+")  # an argument or KEY of KEY=VALUE: a maximal run, so each is read once
_CREDENTIALS = re.compile(r"([^:/@\s]*):[^@\s/]*@")  # user:password@ right after `://`: disjoint classes


def is_secret_key(key: str) -> bool:
    """A key whose value is a secret by its name (`DB_PASSWORD`, `API_KEY`): its value is never kept."""
    return bool(_SECRET.search(key[:256]))


def url_credentials(text: str) -> str:
    """`scheme://user:password@host` → `scheme://user:***@host`, for every URL in `text`."""
    if "://" not in text:
        return text
    out: list[str] = []
    cursor = 0
    at = text.find("://")
    while at >= 0:
        start = at
        while start > cursor and (text[start - 1].isalnum() or text[start - 1] in "+.-_"):
            start -= 1
        while start < at and not text[start].isalpha():
            start += 1  # a scheme starts with a letter
        match = _CREDENTIALS.match(text, at + 3) if start < at else None
        if match is not None:
            out.append(text[cursor : match.end(1)] + ":" + REDACTED + "@")
            cursor = match.end()
        at = text.find("://", max(cursor, at + 3))
    out.append(text[cursor:])
    return "".join(out)


def secret_arguments(text: str) -> str:
    """The value after a secret-looking argument or key (`--password x`, `DB_TOKEN=x`, `-auth "a b"`) → ***.

    A value is a quoted string or a run of non-blanks that does not start with `-` (the next flag).
    """
    out: list[str] = []
    cursor = 0
    unclosed: set[str] = set()  # quote characters with no closing one further on
    position = 0
    while True:
        token = _TOKEN.search(text, position)
        if token is None:
            break
        position = token.end()
        if not _SECRET.search(token.group()):
            continue
        value_start = position
        if text.startswith("=", position):
            value_start += 1
        else:
            while value_start < len(text) and text[value_start].isspace():
                value_start += 1
            if value_start == position:
                continue
        value_end = _value_end(text, value_start, unclosed)
        if value_end is None:
            continue
        out.append(text[cursor:value_start] + REDACTED)
        cursor = position = value_end
    out.append(text[cursor:])
    return "".join(out)


def _value_end(text: str, start: int, unclosed: set[str]) -> int | None:
    """Where the value starting at `start` ends, or None when no value starts there."""
    if start >= len(text):
        return None
    first = text[start]
    if first in "\"'" and first not in unclosed:
        close = text.find(first, start + 1)
        if close >= 0:
            return close + 1
        unclosed.add(first)  # every later search for it would scan to the end again
    if first.isspace() or first == "-":
        return None
    end = start + 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return end
