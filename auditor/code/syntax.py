"""Small helpers every extractor uses to read a tree-sitter tree: run a fact's query, read a node's text
and line, find the enclosing function. A query's work is bounded by the size of the tree (discovery reads
source files up to 1 MB) and by tree-sitter's match limit; its progress callback is not used, because
py-tree-sitter 0.26.1 crashes the interpreter when `QueryCursor.matches` is given one."""

from __future__ import annotations

import bisect
import contextvars
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from auditor.code.languages import grammar, query, query_source

# Matches start no deeper than this: the query cursor's work is quadratic in the depth of a tree (50,000 nested
# calls: 20 s per query), and real code nests a few dozen levels.
MAX_START_DEPTH = 1_000
MAX_MATCHES = 20_000  # in-progress matches per query (tree-sitter's match limit): more than real files need


@dataclass(frozen=True)
class Match:
    """One match of a query: which pattern matched, and the nodes of each capture name."""

    pattern: int
    captures: dict[str, list[tree_sitter.Node]]

    def one(self, name: str) -> tree_sitter.Node | None:
        nodes = self.captures.get(name)
        return nodes[0] if nodes else None


def matches(language: str, fact: str, root: tree_sitter.Node) -> list[Match]:
    """Every match of `queries/<language>/<fact>.scm` under `root`, in source order ([] when no such query)."""
    compiled = query(language, fact)
    if compiled is None:
        return []
    cursor = tree_sitter.QueryCursor(compiled, match_limit=MAX_MATCHES)
    cursor.set_max_start_depth(MAX_START_DEPTH)
    found = cursor.matches(root)
    return [Match(index, captures) for index, captures in found[:MAX_MATCHES]]


def matches_of(language: str, facts: tuple[str, ...], root: tree_sitter.Node) -> dict[str, list[Match]]:
    """`matches(language, fact, root)` for each of `facts`, from one walk of the tree: each walk costs the
    same whatever the query (0.2-0.3 s for 500 KB of one-character tokens), and an extractor runs several."""
    found: dict[str, list[Match]] = {fact: [] for fact in facts}
    combined = _combined(language, facts)
    if combined is None:
        return found
    compiled, owners = combined
    cursor = tree_sitter.QueryCursor(compiled, match_limit=MAX_MATCHES)
    cursor.set_max_start_depth(MAX_START_DEPTH)
    for index, captures in cursor.matches(root):
        fact, pattern = owners[index]
        if len(found[fact]) < MAX_MATCHES:
            found[fact].append(Match(pattern, captures))
    return found


@functools.cache
def _combined(language: str, facts: tuple[str, ...]) -> tuple[tree_sitter.Query, tuple[tuple[str, int], ...]] | None:
    """The queries of `facts` compiled as one, and for each of its patterns the fact whose file it is in and its
    index there."""
    lang = grammar(language)
    if lang is None:
        return None
    texts: list[str] = []
    starts: list[int] = []  # where each fact's text begins in the whole
    named: list[str] = []
    offset = 0
    for fact in facts:
        source = query_source(language, fact)
        if source is None:
            continue
        starts.append(offset)
        named.append(fact)
        texts.append(source)
        offset += len(source.encode("utf-8")) + 1  # the joining newline
    if not texts:
        return None
    compiled = tree_sitter.Query(lang, "\n".join(texts))
    owners: list[tuple[str, int]] = []
    first_pattern: dict[str, int] = {}
    for index in range(compiled.pattern_count):
        fact = named[bisect.bisect_right(starts, compiled.start_byte_for_pattern(index)) - 1]
        owners.append((fact, index - first_pattern.setdefault(fact, index)))
    return compiled, tuple(owners)


# The bytes of the file being read: a tree parsed through a read callback (parsers/treesitter.py, so the parse
# can be cancelled) does not hold its text, and `Node.text` then reads a 64 KB chunk per call (~70 µs).
# parse.py sets this around each extractor; `text` slices it instead.
SOURCE: contextvars.ContextVar[bytes | None] = contextvars.ContextVar("code_source", default=None)


def text(node: tree_sitter.Node | None) -> str:
    """A node's source text ("" for None); invalid UTF-8 is replaced, never raised."""
    if node is None:
        return ""
    source = SOURCE.get()
    raw = source[node.start_byte:node.end_byte] if source is not None else node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


# A callee longer than this is not named: the callee at the top of `f(a)(a)(a)…` spans the whole chain below it,
# and reading it for each call of the chain is quadratic (480 KB of JavaScript: 5 s, found by fuzzing; 90 KB of
# PHP: 2.6 s). No function or module path is nearly this long.
MAX_NAME_BYTES = 256


def text_in(node: tree_sitter.Node | None, options: tuple[str, ...]) -> bool:
    """Whether a node's text is one of `options`, without reading the text of a node longer than the longest
    of them: the callee at the top of `f(a)(a)(a)…` spans the whole chain, and reading it for each call of the
    chain is quadratic (found by fuzzing)."""
    return node is not None and node.end_byte - node.start_byte <= max(len(o.encode()) for o in options) and \
        text(node) in options


def line(node: tree_sitter.Node) -> int:
    """A node's 1-based first line."""
    return node.start_point[0] + 1


def ancestors(node: tree_sitter.Node, limit: int = 256) -> Iterator[tree_sitter.Node]:
    """The node's parents, nearest first (bounded: trees of hostile files can be deep)."""
    current = node.parent
    for _ in range(limit):
        if current is None:
            return
        yield current
        current = current.parent


def enclosing(node: tree_sitter.Node, types: frozenset[str] | set[str]) -> tree_sitter.Node | None:
    """The nearest ancestor of one of `types` (a function or method definition), or None at top level."""
    for parent in ancestors(node):
        if parent.type in types:
            return parent
    return None


class Enclosing:
    """Which of a set of nested nodes (functions, classes, scopes) enclose a node, found from byte ranges: a
    tree-sitter node's parent is found by walking down from the root, so climbing parents is quadratic in the
    depth of a hostile file. The nodes nest (or are disjoint), so the innermost one starting before a node and
    the chain of its enclosing ones answer the question with one bisection."""

    MAX_STEPS = 4096  # parents followed per question: real code nests a few dozen levels

    def __init__(self, nodes: list[tree_sitter.Node]) -> None:
        self.nodes = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
        self.starts = [n.start_byte for n in self.nodes]
        self.parents: list[int] = []
        stack: list[int] = []
        for index, node in enumerate(self.nodes):
            while stack and not _contains(self.nodes[stack[-1]], node):
                stack.pop()
            self.parents.append(stack[-1] if stack else -1)
            stack.append(index)

    def chain(self, node: tree_sitter.Node, limit: int = 256) -> list[tree_sitter.Node]:
        """Up to `limit` of the nodes that contain `node` (not `node` itself), innermost first."""
        return list(self.walk(node, limit))

    def walk(self, node: tree_sitter.Node, limit: int = 256) -> Iterator[tree_sitter.Node]:
        """`chain`, one node at a time, for a caller that stops at the first it wants: building the whole chain
        for each of 14,000 calls nested in one another (a fuzzed Go file of stray braces) took 2.5 s."""
        index = bisect.bisect_right(self.starts, node.start_byte) - 1
        found = 0
        for _ in range(self.MAX_STEPS):
            if index < 0 or found >= limit:
                break
            candidate = self.nodes[index]
            if _contains(candidate, node) and candidate.id != node.id:
                found += 1
                yield candidate
            index = self.parents[index]


def _contains(outer: tree_sitter.Node, inner: tree_sitter.Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte
