"""Finding-message templates from rule files: `{name}` placeholders filled from plain strings, nothing else.

Rule files can come from the audited repository (`rule_dirs`), so a message is never handed to
`str.format`, whose `{value.__class__...}` and `{x[key]}` fields reach attributes and indexes of live
objects. The grammar is `{identifier}` and the escapes `{{` and `}}`; anything else is rejected at load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# What every template message can name besides the rule's own options.
NODE_FIELDS = ("name", "type", "kind", "value")

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}|[{}]")


class MessageError(ValueError):
    """A message template outside the grammar, or naming a field that does not exist."""


def placeholders(template: str, allowed: Iterable[str]) -> list[str]:
    """The fields `template` names, in order; raises MessageError for bad syntax or an unknown field."""
    known = set(allowed)
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise MessageError(
                f"stray {token!r} at character {match.start() + 1}: placeholders are {{name}}, literal braces {{{{ }}}}"
            )
        if name not in known:
            raise MessageError(f"unknown placeholder {{{name}}} (known: {', '.join(sorted(known))})")
        names.append(name)
    return names


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with each `{field}` replaced by `str(values[field])`; unknown fields stay as written."""

    def replace(match: re.Match[str]) -> str:
        token = match.group()
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None or name not in values:
            return token
        return str(values[name])

    return _TOKEN.sub(replace, template)
