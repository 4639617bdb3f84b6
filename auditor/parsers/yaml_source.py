"""YAML with line numbers, through libyaml's C composer, with limits against hostile input.

Values come back as ordinary dicts/lists/scalars so parsers stay readable; mappings and sequences
are `YMap`/`YList`, which also remember the lines of the whole node and of each key or item.
Aliases are expanded under a budget (a "billion laughs" file stops with a diagnostic, not an OOM).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from auditor.parsers.numbers import is_huge, number_text

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing: correct, just slower
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_ALIAS_VALUES = 200_000  # values that aliases repeat in one file (the file size bounds the rest)
# Characters of scalars that aliases repeat in one file: twice the file limit. One 60 KB string named by 45,000
# aliases is 2.7 GB of values, and the settings parsers read every copy (a ConfigMap of them: 11 s).
MAX_ALIAS_TEXT = 4 * 2**20
MAX_DEPTH = 200
# Values composed from one file's text. libyaml composes about 100,000 a second in Python objects and each parser
# spends as much again on them, so 2 MB of one-character values (a million of them) would take 20 s; a
# hand-written or generated manifest holds a few thousand (CustomResourceDefinitions are blanked before).
MAX_VALUES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_scalar_constructor = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"


class YMap(dict[Any, Any]):
    """A mapping that knows its own lines and the line of each key's value."""

    line: int = 1
    end_line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, tuple[int, int]] = {}

    def line_of(self, key: Any) -> int:
        """The line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, (self.line, self.end_line))[0]

    def span_of(self, key: Any) -> tuple[int, int]:
        """First and last line of `key` and its value."""
        return self.key_lines.get(key, (self.line, self.end_line))


class YList(list[Any]):
    """A sequence that knows its own lines and the line of each item."""

    line: int = 1
    end_line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[tuple[int, int]] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index][0] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class YamlDocument:
    value: Any
    line: int  # first line of the document's content
    end_line: int


class YamlError(Exception):
    """A YAML file that cannot be read; carries the line where known."""

    def __init__(self, message: str, line: int | None, code: str = "parse-error") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.code = code


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_ALIAS_VALUES
        self.text_left = MAX_ALIAS_TEXT
        self.seen: set[int] = set()  # id() of every node converted in this document: a second visit is an alias
        self.open: set[int] = set()  # id() of the collections being converted: the current node's ancestors
        self.end_lines: dict[int, int] = {}  # id(node) → _end_line: a chain of last children is walked once
        self.last_line = 1 << 62  # the file's last line: an empty node at the end (`?` alone) is marked past it

    def end(self, node: yaml.Node) -> int:
        return min(_end_line(node, self.end_lines), self.last_line)


def _end_line(node: yaml.Node, memo: dict[int, int] | None = None) -> int:
    """The last line that holds content of `node`.

    libyaml ends a block collection where the next token starts (often the next key's line), so a block
    mapping or sequence ends where its last child ends; scalars and flow collections end at their mark.
    Every node on the way down shares the answer, so `memo` keeps it for each (else 200 nested levels are
    walked again for each of them).
    """
    memo = {} if memo is None else memo
    path: dict[int, None] = {}  # ordered set of the nodes walked
    found: int | None = None
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        found = memo.get(id(node))
        if found is not None:
            break
        if id(node) in path:  # `&a {k: *a}`: a node that is its own last child
            found = node.start_mark.line + 1
            break
        path[id(node)] = None
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    if found is None:
        mark = node.end_mark
        found = mark.line if mark.column == 0 and mark.line > node.start_mark.line else mark.line + 1
        # (a mark at column 0: its 0-based line is the 1-based line before it)
    for key in path:
        memo[key] = found
    return found


_DECIMAL_BITS = 14_000  # 4,214 decimal digits, under Python's 4,300-digit limit of int → str


def _convert(node: yaml.Node, budget: _Budget, depth: int) -> Any:
    if id(node) in budget.seen:
        budget.left -= 1
        if budget.left < 0:
            raise YamlError(
                f"aliases repeat more than {MAX_ALIAS_VALUES} values (alias bomb?)",
                node.start_mark.line + 1,
                "alias-bomb",
            )
        if isinstance(node, yaml.ScalarNode):
            budget.text_left -= len(node.value)
            if budget.text_left < 0:
                raise YamlError(f"aliases repeat more than {MAX_ALIAS_TEXT:,} characters of text (alias bomb?)",
                                node.start_mark.line + 1, "alias-bomb")
    else:
        budget.seen.add(id(node))
    if depth > MAX_DEPTH:
        raise YamlError(_too_deep_message(), node.start_mark.line + 1, "too-deep")
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR_TAG:  # nine scalars in ten: what SafeConstructor returns for them, without its dispatch
            return node.value
        try:
            value = _scalar_constructor.construct_object(node, deep=True)
            if is_huge(value):
                # An integer too long for decimal text (`0xfff…` of 3,600 digits) stays the text it was written
                # as: str() refuses it, and the renderers, reports and rules all write values back (found by
                # fuzzing). Any other of more than MAX_DIGITS digits (YAML builds them from `0x…` and `1:2:3:…`)
                # is its number_text, so that no reader meets one.
                return node.value if value.bit_length() > _DECIMAL_BITS else number_text(value)
            return value
        except Exception:  # noqa: BLE001 - `!!int ""` raises IndexError, a bad date ValueError: keep the text
            return node.value
        finally:  # the constructor memoises every node it builds (and one it failed on): without this the
            _scalar_constructor.constructed_objects.pop(node, None)  # process keeps them all
            _scalar_constructor.recursive_objects.pop(node, None)
    if id(node) in budget.open:
        raise YamlError("an alias inside the collection it names (`&a [*a]`): the value would be infinite",
                        node.start_mark.line + 1, "alias-bomb")
    budget.open.add(id(node))
    try:
        return _collection(node, budget, depth)
    finally:
        budget.open.discard(id(node))


def _collection(node: yaml.Node, budget: _Budget, depth: int) -> Any:
    if isinstance(node, yaml.SequenceNode):
        seq = YList()
        seq.line, seq.end_line = node.start_mark.line + 1, budget.end(node)
        for item in node.value:
            seq.append(_convert(item, budget, depth + 1))
            seq.item_lines.append((item.start_mark.line + 1, budget.end(item)))
        return seq
    if isinstance(node, yaml.MappingNode):
        mapping = YMap()
        mapping.line, mapping.end_line = node.start_mark.line + 1, budget.end(node)
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                _merge_into(mapping, _convert(value_node, budget, depth + 1))
                continue
            key = _convert(key_node, budget, depth + 1)
            if isinstance(key, (dict, list)):
                # A collection as a key (`? {a: 1}`) is unhashable; no manifest field is one, so it gets a
                # placeholder name. Not str(key): each nesting level re-escapes the quotes of the one
                # inside, so `? ? ? …` 200 deep would grow to 2^200 characters.
                what = "mapping" if isinstance(key, dict) else "sequence"
                key = f"<{what} key at line {key_node.start_mark.line + 1}>"
            mapping[key] = _convert(value_node, budget, depth + 1)
            mapping.key_lines[key] = (
                key_node.start_mark.line + 1,
                max(budget.end(value_node), min(key_node.start_mark.line + 1, budget.last_line)),
            )
        return mapping
    return None  # pragma: no cover - no other node types exist


def _merge_into(mapping: YMap, merged: Any) -> None:
    """YAML merge keys (`<<: *base`): keys already present win."""
    sources = merged if isinstance(merged, list) else [merged]
    for source in sources:
        if isinstance(source, YMap):
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.key_lines[key] = source.key_lines.get(key, (source.line, source.end_line))


class _TooManyValues(Exception):
    pass


# Scalar text → the tag implicit resolution gives it. libyaml asks `resolve` for every node, and for a scalar the
# resolver tries each of its regexes in Python; the answer depends only on the text and the `implicit` flags (no
# path resolvers are registered), and keys and common values repeat, so most scalars are looked up here instead.
# Bounded: short texts only, and at most this many.
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_MAX_RESOLVED = 50_000
_MAX_RESOLVED_CHARS = 64


class _CountingLoader(_Loader):
    """libyaml's loader, stopped once it has composed `limit` values (None: no limit), with the tags of repeated
    scalars remembered (`_RESOLVED`).

    libyaml asks `resolve` for the tag of every node without an explicit one; a node with an explicit tag
    needs a `!` in the text, so the count starts at the number of `!` (an overestimate: a `!` inside a string
    counts too, which only matters for a file holding tens of thousands of them)."""

    def __init__(self, stream: str, limit: int | None) -> None:
        super().__init__(stream)
        self.left = limit - stream.count("!") if limit is not None else 1 << 62

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            raise _TooManyValues
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= _MAX_RESOLVED_CHARS and len(_RESOLVED) < _MAX_RESOLVED:
                _RESOLVED[key] = tag
        return tag


# libyaml's scanner takes time quadratic in a run of blanks inside a quoted scalar that many words follow: 367,000
# tabs in a fuzzed 2 MB prometheus.yml took 2.9 s, 100,000 spaces 1.3 s (found by fuzzing); 20,000 take 0.3 s at
# the file limit. Real YAML indents by a few dozen; a longer run of spaces or tabs is refused before composing.
MAX_BLANK_RUN = 20_000
_BLANK_RUN = re.compile(rf"(?<![ \t])[ \t]{{{MAX_BLANK_RUN + 1}}}")  # from a run's start only: linear


def load_documents(text: str, max_values: int | None = MAX_VALUES) -> tuple[list[YamlDocument], YamlError | None]:
    """All documents of a YAML stream; on an error, the documents before it and the error.

    Empty documents are skipped. Never raises for bad input. `max_values` bounds the work (None: only the text's
    size does, for a renderer's output that its own limits bound).
    """
    documents: list[YamlDocument] = []
    if (run := _BLANK_RUN.search(text)) is not None:
        return documents, YamlError(f"a run of more than {MAX_BLANK_RUN:,} spaces or tabs starts on this line; "
                                    "libyaml takes time quadratic in such runs, so the file is not read",
                                    text.count("\n", 0, run.start()) + 1, "too-slow")
    budget = _Budget()
    last_line = budget.last_line = max(len(text.splitlines()), 1)
    loader = _CountingLoader(text, max_values)
    try:
        for root in _compose_all(loader):
            if root is None:
                continue
            value = _convert(root, budget, 0)
            # An empty document (`---` alone) starts on the line after the marker, past the end of the file.
            start = min(root.start_mark.line + 1, last_line)
            end = min(max(_end_line(root, budget.end_lines), start), last_line)
            documents.append(YamlDocument(value, start, end))
            budget.end_lines.clear()  # keyed by id(): the next document's nodes may reuse this one's ids
            budget.seen.clear()
    except YamlError as error:
        return documents, error
    except _TooManyValues:
        start = min(documents[-1].end_line + 1, last_line) if documents else 1
        what = "this document and the rest of the file are" if documents else "the file is"
        return documents, YamlError(f"more than {max_values:,} YAML values (the limit for one file): {what} not read",
                                    start, "too-large")
    except yaml.MarkedYAMLError as error:
        if _NESTING_PROBLEM in (error.problem or ""):
            mark = error.problem_mark or error.context_mark
            return documents, _too_deep(text, documents, mark.line + 1 if mark is not None else None)
        mark = error.problem_mark or error.context_mark
        # An error at the end of the stream is marked on the line after the last one: report the last.
        line = min(mark.line + 1, len(text.splitlines()) or 1) if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part) or str(error)
        return documents, YamlError(message, line)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow: at a position, not a mark
        line = min(len(text[: error.position + 1].splitlines()) or 1, last_line)
        return documents, YamlError(str(error).splitlines()[0], line)
    except yaml.YAMLError as error:
        return documents, YamlError(str(error).splitlines()[0], None)
    except RecursionError:
        return documents, _too_deep(text, documents)
    finally:
        loader.dispose()
    return documents, None


def _compose_all(loader: Any) -> Any:
    """`yaml.compose_all` with a loader already made (it takes only a class)."""
    while loader.check_node():
        yield loader.get_node()


# libyaml (pyyaml >= 6.0.4) stops at 1,000 levels with this problem text; the pure-Python loader recurses.
_NESTING_PROBLEM = "maximum nesting depth"


# Text the locating walk may read, up to the line libyaml stopped at: about 0.2 s of the pure-Python parser (it
# reads 1-2 MB a second, slower on long plain scalars: 2 MB of them took 1.6 s); past it, libyaml's own line.
_LOCATE_CHARS = 256 * 1024


def _too_deep(text: str, documents: list[YamlDocument], fallback_line: int | None = None) -> YamlError:
    """Our own depth limit, located where it is first exceeded, whatever limit the installed YAML library has.

    Walks the event stream of the pure-Python parser (libyaml may look ahead past its own limit of 1,000
    before it yields the event we need), from the document that failed, stopping at our limit, so the line
    and the message are the same as when `_convert` meets the depth first. The walk is bounded: a failing
    document too long to walk is reported at the line the library gave.
    """
    offset = documents[-1].end_line if documents else 0
    lines = text.splitlines(keepends=True)
    rest = "".join(lines[offset:fallback_line])  # our limit is passed before libyaml's
    if len(rest) > _LOCATE_CHARS:
        return YamlError(_too_deep_message(), fallback_line, "too-deep")
    depth = 0
    try:
        for event in yaml.parse(rest, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if depth > MAX_DEPTH:
                    line = offset + event.start_mark.line + 1 if event.start_mark is not None else fallback_line
                    return YamlError(_too_deep_message(), line, "too-deep")
                depth += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    return YamlError(_too_deep_message(), fallback_line, "too-deep")


def _too_deep_message() -> str:
    return f"nesting deeper than {MAX_DEPTH} levels (the limit for one YAML file)"
