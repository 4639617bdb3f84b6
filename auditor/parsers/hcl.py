"""HCL through tree-sitter: blocks and attributes with lines, values as Python, and a small static evaluator.

tree-sitter gives every node a line and recovers from syntax errors, so one bad brace costs a diagnostic,
not the file. Literal expressions become Python values (str, int, float, bool, None, list, dict); anything
else becomes an `Expr` holding its source text and the references in it. Collections are converted element
by element, so `["a", var.b]` is `["a", Expr("var.b")]`. `evaluate` folds an `Expr` to a value given the
variables and locals in scope; it is what `terraform.combine` uses to resolve `var.x` and `local.y`.

The input is hostile (ARCHITECTURE.md, "Trust boundary"), so parsing, conversion and evaluation are each
bounded (the constants below); a bound that is hit is a `Problem` with a line, never an exception.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import tree_sitter
import tree_sitter_hcl

from auditor.parsers import numbers
from auditor.parsers.treesitter import Budget, Parsed, Problem, bounded_parse

# -- bounds ---------------------------------------------------------------------------------------------

# One tree-sitter parse may use this much CPU time (see parsers/treesitter.py: CPU time of the parsing thread,
# so the verdict does not depend on how busy the machine is). Measured on the 2-core CI machine: 2 MB of real
# Terraform (files of tree-sitter-hcl's real-world corpus and /work/corpus concatenated; the discovery limit)
# takes 0.37-0.55 s, 200 KB 0.05 s; tree-sitter-hcl's error recovery costs up to 20 times as much per byte
# (200 KB of `"${${${…` takes 1.0 s, 1 MB 5.3 s; 1 MB of random HCL-like text 1.5 s), so without a budget one
# file could stall a run. 200 KB may use 0.55 s, 1 MB 0.75 s, 2 MB 1.0 s, so that parse and conversion (MAX_PARTS)
# stay within 2 s (2 MB of `"` parsed in 1.1 s, then converted 0.7 s more: found by fuzzing). 2 MB of real
# Terraform once passed 1.0 s on a fresh CI machine with three other busy processes; real files that large are
# generated, and MAX_PARTS stops their conversion near 600 KB anyway. With a base of 0.2 s, a fuzzed 64 KB file
# that parses in 0.22-0.23 s sat on the bound and flipped between parsed and refused from run to run.
PARSE_BUDGET = Budget(base=0.5, per_mb=0.25, cap=1.0)
# The wall-clock budget of reading one Terraform JSON file's `${…}` templates (parsers/terraform.py), each a
# bounded parse of its own.
MAX_PARSE_SECONDS = 2.0
# And may grow the process by this much: 2 MB of real Terraform needs 130-220 MiB, and within the CPU budget
# 2 MB of nested `{ a = ` with runs of spaces reaches 510 MiB and of `'` 330 MiB (without a CPU budget, error
# recovery on 2 MB of random text reached 1 GiB). Checked on Linux, where /proc tells it cheaply.
MAX_PARSE_MEMORY = 768 * 2**20
# tree-sitter-hcl lexes whitespace one character at a time and its external scanner re-reads the rest of the
# run at each one, so a run of L whitespace characters costs time in L² (20,000 spaces after `a = {`: 1.3 s;
# 200 KB of them: minutes) and the CPU budget is not checked within one such run. Real files have runs of a few
# dozen characters (indentation and blank lines); a longer run than this is refused before parsing.
MAX_WHITESPACE_RUN = 4096
# Blocks, collections, calls, operators and interpolations nested deeper than this are not converted: the
# conversion, reference walk and evaluator recurse once per level (Python's stack ends near 1,000 frames).
MAX_DEPTH = 64
# Expression parts (values, operations, traversal steps) converted from one file; past this, the rest of the file
# is not read. Real Terraform has about 65 per KB (2 MB of the fixtures' files repeated: 129,000) and the largest
# corpus file 3,600 (a 103 KB variables.tf), so about 600 KB of real Terraform is read. Conversion and fact
# extraction cost 10-20 µs of Python per part: 900 KB of `x[0][0]…` (300,000 parts) took 2.1 s after its parse,
# and 1.8 MB of 15,000 resources 2.3-3.2 s (found by fuzzing; 150,000 parts were allowed then).
MAX_PARTS = 40_000

_PARSER: tree_sitter.Parser | None = None

# References that are not things: iteration and meta values.
_META_ROOTS = frozenset({"count", "each", "self", "path", "terraform"})
_WHITESPACE_RUN = re.compile(rf"(?<!\s)\s{{{MAX_WHITESPACE_RUN + 1}}}")  # from a run's start only: linear
# tree-sitter-hcl's error recovery recurses in C once per unary operator of a chain that follows a broken binary
# operator: `a = --…-/--…-1` with 80,000 of them overflowed an 8 MB stack and killed the process (found by
# fuzzing; 40,000 did not). Real Terraform writes one or two in a row; a longer run is refused before parsing.
MAX_UNARY_RUN = 4096
_UNARY_RUN = re.compile(r"[-!](?:\s*+[-!])*+")  # a whole run, possessive: the search moves past it, linear


def _long_unary_run(text: str) -> int | None:
    """The offset of the first run of more than MAX_UNARY_RUN `-`/`!` (whitespace between them), or None."""
    if text.count("-") + text.count("!") <= MAX_UNARY_RUN:
        return None
    for run in _UNARY_RUN.finditer(text):
        if run.end() - run.start() > MAX_UNARY_RUN and sum(map(run.group().count, "-!")) > MAX_UNARY_RUN:
            return run.start()
    return None


def _parser() -> tree_sitter.Parser:
    """One parser per process: building the language object is the expensive part."""
    global _PARSER
    if _PARSER is None:
        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return _PARSER


def _bounded_parse(source: bytes) -> Parsed:
    """Parse `source` within the bounds above, refusing up front the whitespace runs no time check can stop."""
    text = source.decode("utf-8", "replace")
    run = _WHITESPACE_RUN.search(text)
    if run is not None:
        line = text.count("\n", 0, run.start()) + 1
        return Parsed(None, Problem(line, "too-slow", (
            f"a run of more than {MAX_WHITESPACE_RUN:,} whitespace characters starts on this line; tree-sitter-hcl "
            "takes time quadratic in such runs, so the file is not parsed")))
    start = _long_unary_run(text)
    if start is not None:
        line = text.count("\n", 0, start) + 1
        return Parsed(None, Problem(line, "too-deep", (
            f"a run of more than {MAX_UNARY_RUN:,} `-` or `!` operators starts on this line; tree-sitter-hcl recurses "
            "once for each, so the file is not parsed")))
    return bounded_parse(_parser(), source, PARSE_BUDGET, MAX_PARSE_MEMORY)


@dataclass(frozen=True)
class Expr:
    """A non-literal HCL expression: its source text and the references it contains.

    `refs` are normalised to what they name: `var.x`, `local.y`, `module.vpc.private_subnets`,
    `data.aws_ami.ubuntu`, `aws_subnet.public` (resource type and name, without index or attribute).
    """

    text: str
    refs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Block:
    """One HCL block. `spans` maps an attribute or nested-block path (`stickiness.enabled`) to its lines."""

    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    blocks: tuple[Block, ...] = ()
    spans: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, hash=False)
    # First line of each string literal and object key inside the block (for env var names in JSON/maps).
    literal_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Document:
    """A parsed HCL file: its top-level blocks and attributes, and the first syntax error if any."""

    blocks: tuple[Block, ...]
    attrs: dict[str, Any]
    spans: dict[str, tuple[int, int]]
    error_line: int | None = None
    error_message: str = ""
    problems: tuple[Problem, ...] = ()  # bounds that were hit (see `Problem`)


class Unknown(Exception):
    """An expression whose value cannot be known statically."""


_TOP_LEVEL_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def parse_document(text: str) -> Document:
    """Blocks and attributes of an HCL file; never raises for bad syntax (see `Document.error_line`) nor for a
    bound that is hit (see `Document.problems`: a file that cannot be parsed in time has no blocks, a top-level
    block nested too deeply is left out)."""
    source = text.encode("utf-8", "surrogatepass")
    parsed = _bounded_parse(source)
    if parsed.tree is None:
        return Document((), {}, {}, problems=(parsed.problem,) if parsed.problem else ())
    converter = _Converter(source)
    blocks: list[Block] = []
    attrs: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] = {}
    children = (child for body in _children(parsed.tree.root_node, "body", "ERROR") for child in body.named_children)
    for child in children:
        try:
            if child.type == "block":
                blocks.extend(converter.top_level_blocks(child))
            elif child.type == "attribute":
                name, value, span = converter.attribute(child)
                attrs.setdefault(name, value)
                spans.setdefault(name, span)
        except _TooDeep as deep:
            converter.reset()
            converter.problems.append(deep.problem)
        except _TooMany:
            converter.reset()
            converter.problems.append(Problem(
                child.start_point[0] + 1, "limit", f"more than {MAX_PARTS:,} expression parts (values, operations, "
                "traversal steps) in this file; this top-level block or attribute and the rest of the file are not "
                "read"))
            break
    line, message = _first_error(parsed.tree.root_node, source)
    return Document(tuple(blocks), attrs, spans, line, message, tuple(converter.problems))


def _children(node: tree_sitter.Node, *types: str) -> Iterator[tree_sitter.Node]:
    for child in node.named_children:
        if child.type in types:
            yield child


def _line_text(source: bytes, node: tree_sitter.Node) -> str:
    """The source line `node` starts on, trimmed, for an error message (rows are `\\n`-separated, as
    tree-sitter counts them: `splitlines` would also break at U+2028 and shift every later row)."""
    at = _at(source, node)
    start = source.rfind(b"\n", 0, at) + 1
    end = source.find(b"\n", at)
    return source[start : end if end >= 0 else len(source)].decode("utf-8", "replace").strip()[:60]


def _at(source: bytes, node: tree_sitter.Node) -> int:
    """Where `node` starts; a token missing at the very end, after a final newline, is on the last line."""
    return len(source) - 1 if node.start_byte >= len(source) and source.endswith(b"\n") else node.start_byte


def _line(source: bytes, node: tree_sitter.Node) -> int:
    return source.count(b"\n", 0, _at(source, node)) + 1


def _snippet(source: bytes, node: tree_sitter.Node) -> str:
    """The first non-blank text of a node, at most 40 characters."""
    text = source[node.start_byte : min(node.end_byte, node.start_byte + 4096)].decode("utf-8", "replace")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines[0][:40] if lines else ""


def _first_error(root: tree_sitter.Node, source: bytes) -> tuple[int | None, str]:
    """The line of the first ERROR or MISSING node, with a message naming the unclosed block if that is it."""
    if not root.has_error:
        return None, ""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            if node.type == "}":
                opener = node.parent
                while opener is not None and opener.type not in ("block", "object"):
                    opener = opener.parent
                if opener is not None:
                    return opener.start_point[0] + 1, "unclosed '{' (block or object starting on this line)"
            if node.type in ("]", ")", "=", '"', ",", ":"):
                return _line(source, node), f"syntax error: expected '{node.type}'"
            return _line(source, node), f"syntax error near '{_line_text(source, node)}'"
        if node.is_error:
            return _line(source, node), f"syntax error near '{_snippet(source, node)}'"
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root.start_point[0] + 1, "syntax error"


class _TooMany(Exception):
    """More than `MAX_PARTS` expression parts converted from one file: the conversion of the file stops."""


class _TooDeep(Exception):
    """Nesting past `MAX_DEPTH`, raised out of the conversion of one top-level block or attribute."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Converter:
    """Tree-sitter nodes → Blocks, values and expression trees (tuples), over one source buffer."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.literal_lines: dict[str, int] | None = None
        self.depth = 0
        self.problems: list[Problem] = []
        self.work = Work()  # shared by every literal evaluation in this source
        self.parts_left = MAX_PARTS

    def part(self, node: tree_sitter.Node) -> None:
        """One expression part more; past `MAX_PARTS` in this file, `_TooMany`."""
        self.parts_left -= 1
        if self.parts_left < 0:
            raise _TooMany

    def reset(self) -> None:
        """Back to the top level after a conversion was abandoned."""
        self.depth = 0
        self.literal_lines = None

    def enter(self, node: tree_sitter.Node) -> None:
        """One level deeper (the caller leaves with `self.depth -= 1`); past `MAX_DEPTH`, `_TooDeep`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            line = node.start_point[0] + 1
            raise _TooDeep(Problem(line, "too-deep", f"nesting deeper than {MAX_DEPTH} levels (blocks, collections, "
                                                     "calls, operators) on this line; the enclosing top-level "
                                                     "block or attribute is not read"))

    def text(self, node: tree_sitter.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- blocks ---------------------------------------------------------------------------------------

    def top_level_blocks(self, node: tree_sitter.Node) -> list[Block]:
        """A top-level block, plus top-level blocks swallowed by it when its closing brace is missing."""
        self.literal_lines = {}
        block = self.block(node, "")
        out = [block]
        if node.has_error:
            hoisted: list[Block] = []
            kept_blocks: list[Block] = []
            for sub in block.blocks:  # one pass: `b not in hoisted` compared whole blocks, O(n²)
                (hoisted if _TOP_LEVEL_LABELS.get(sub.type) == len(sub.labels) else kept_blocks).append(sub)
            if hoisted:
                kept = tuple(kept_blocks)
                out = [Block(block.type, block.labels, block.line, block.end_line, block.attrs, kept,
                             block.spans, block.literal_lines), *hoisted]
        self.literal_lines = None
        return out

    def block(self, node: tree_sitter.Node, prefix: str, spans: dict[str, tuple[int, int]] | None = None) -> Block:
        self.enter(node)
        try:
            return self._block(node, prefix, spans)
        finally:
            self.depth -= 1

    def _block(self, node: tree_sitter.Node, prefix: str, spans: dict[str, tuple[int, int]] | None) -> Block:
        name = ""
        labels: list[str] = []
        attrs: dict[str, Any] = {}
        nested: list[Block] = []
        own_spans: dict[str, tuple[int, int]] = {} if spans is None else spans
        for child in node.named_children:
            if child.type == "identifier" and not name:
                name = self.text(child)
            elif child.type == "string_lit":
                labels.append(self.string(child))
            elif child.type == "identifier":
                labels.append(self.text(child))
            elif child.type == "body":
                for item in child.named_children:
                    if item.type == "attribute":
                        key, value, span = self.attribute(item)
                        attrs.setdefault(key, value)
                        own_spans.setdefault(prefix + key, span)
                    elif item.type == "block":
                        sub = self.block(item, "", {})
                        if sub.type == "dynamic" and sub.labels:
                            sub = _undynamic(sub)
                        own_spans.setdefault(prefix + sub.type, (sub.line, sub.end_line))
                        for key, span in sub.spans.items():
                            own_spans.setdefault(f"{prefix}{sub.type}.{key}", span)
                        nested.append(sub)
        literal_lines = self.literal_lines if spans is None and self.literal_lines is not None else {}
        return Block(name, tuple(labels), node.start_point[0] + 1, _end_line(node), attrs, tuple(nested),
                     own_spans, literal_lines)

    def attribute(self, node: tree_sitter.Node) -> tuple[str, Any, tuple[int, int]]:
        named = node.named_children
        key = self.text(named[0]) if named else ""
        value = self.value(named[1]) if len(named) > 1 and not named[1].has_error else None
        return key, value, (node.start_point[0] + 1, _end_line(node))

    # -- values ---------------------------------------------------------------------------------------

    def value(self, node: tree_sitter.Node) -> Any:
        """A Python value for a literal (collections element-wise), else an `Expr`."""
        self.enter(node)
        try:
            return self._value(node)
        finally:
            self.depth -= 1

    def _value(self, node: tree_sitter.Node) -> Any:
        inner = _unwrap(node)
        if inner is not None and inner.type == "collection_value":
            coll = inner.named_children[0] if inner.named_children else None
            if coll is not None and coll.type == "tuple":
                return [self.value(item) for item in _children(coll, "expression")]
            if coll is not None and coll.type == "object":
                out: dict[str, Any] = {}
                for elem in _children(coll, "object_elem"):
                    parts = [c for c in elem.named_children if c.type == "expression"]
                    if len(parts) != 2:
                        continue
                    key = self.object_key(parts[0])
                    if key is None:
                        return self.expr(node)
                    out[key] = self.value(parts[1])
                return out
        return self.expr(node)

    def expr(self, node: tree_sitter.Node) -> Any:
        tree = self.ast(node)
        refs = tuple(dict.fromkeys(refs_of(tree)))
        if not refs:
            try:
                return evaluate(tree, Scope(_no_lookup, work=self.work))
            except Limit as limit:
                self.problems.append(Problem(node.start_point[0] + 1, "limit", f"not evaluated: {limit}"))
            except Unknown:
                pass
        return Expr(self.text(node).strip(), refs)

    def object_key(self, node: tree_sitter.Node) -> str | None:
        tree = self.ast(node)
        if tree[0] == "trav" and not tree[2]:
            key: str = tree[1]
        elif tree[0] == "lit" and isinstance(tree[1], str | int | float):
            key = str(tree[1])
        else:
            return None
        if self.literal_lines is not None:
            self.literal_lines.setdefault(key, node.start_point[0] + 1)
        return key

    def string(self, node: tree_sitter.Node) -> str:
        tree = self.ast(node)
        return tree[1] if tree[0] == "lit" and isinstance(tree[1], str) else self.text(node).strip('"')

    # -- expression trees -----------------------------------------------------------------------------

    def ast(self, node: tree_sitter.Node) -> tuple[Any, ...]:
        """A small tuple tree: ("lit", v) ("trav", root, steps) ("post", base, steps) ("call", name, args,
        expand) ("tpl", parts) ("tuple", items) ("object", pairs) ("cond", c, a, b) ("bin", op, l, r)
        ("un", op, x) ("for", ...) ("opaque", inner trees)."""
        self.part(node)
        kind = node.type
        if kind == "expression":
            self.enter(node)
            try:
                return self.expression(node)
            finally:
                self.depth -= 1
        if kind == "variable_expr":
            return ("trav", self.text(node), ())
        if kind == "literal_value":
            return self.literal(node.named_children[0]) if node.named_children else ("opaque", ())
        if kind in ("string_lit", "quoted_template", "heredoc_template", "template_expr"):
            return self.template(node)
        if kind == "collection_value":
            return self.ast(node.named_children[0]) if node.named_children else ("opaque", ())
        if kind == "tuple":
            return ("tuple", tuple(self.ast(c) for c in _children(node, "expression")))
        if kind == "object":
            pairs = []
            for elem in _children(node, "object_elem"):
                parts = [c for c in elem.named_children if c.type == "expression"]
                if len(parts) == 2:
                    key = self.ast(parts[0])
                    if key[0] == "trav" and not key[2]:
                        key = ("lit", key[1])
                    pairs.append((key, self.ast(parts[1])))
            return ("object", tuple(pairs))
        if kind == "function_call":
            named = node.named_children
            name = self.text(named[0]) if named else ""
            args: tuple[Any, ...] = ()
            expand = False
            for child in named[1:]:
                if child.type == "function_arguments":
                    args = tuple(self.ast(c) for c in _children(child, "expression"))
                    expand = any(c.type == "ellipsis" for c in child.children)
            return ("call", name, args, expand)
        if kind == "conditional":
            terms = self.operands(node)
            return ("cond", *terms) if len(terms) == 3 else ("opaque", tuple(terms))
        if kind == "operation":
            self.enter(node)
            try:
                return self.ast(node.named_children[0]) if node.named_children else ("opaque", ())
            finally:
                self.depth -= 1
        if kind in ("unary_operation", "binary_operation"):
            operands = self.operands(node)
            ops = [self.text(c) for c in node.children if not c.is_named and self.text(c) not in ("(", ")")]
            op = ops[0] if ops else ""
            if kind == "unary_operation" and len(operands) == 1:
                return ("un", op, operands[0])
            if kind == "binary_operation" and len(operands) == 2:
                return ("bin", op, operands[0], operands[1])
            return ("opaque", tuple(operands))
        if kind == "for_expr":
            return self.for_expr(node.named_children[0]) if node.named_children else ("opaque", ())
        return ("opaque", tuple(self.ast(c) for c in node.named_children if c.type not in ("identifier",)))

    def expression(self, node: tree_sitter.Node) -> tuple[Any, ...]:
        """An `expression` node: its term, and the traversal steps that follow it."""
        named = node.named_children
        if not named:
            return ("opaque", ())
        head, rest = named[0], named[1:]
        if not rest:
            return self.ast(head)
        steps = tuple(step for part in rest for step in self.steps(part))
        if head.type == "variable_expr":
            return ("trav", self.text(head), steps)
        return ("post", self.ast(head), steps)

    def operands(self, node: tree_sitter.Node) -> list[tuple[Any, ...]]:
        """Operands of an operation: a term and the traversal steps that follow it (not always wrapped)."""
        groups: list[tuple[tree_sitter.Node, list[tree_sitter.Node]]] = []
        for child in node.named_children:
            if child.type in ("get_attr", "index", "splat") and groups:
                groups[-1][1].append(child)
            else:
                groups.append((child, []))
        out = []
        for head, rest in groups:
            if not rest:
                out.append(self.ast(head))
                continue
            steps = tuple(step for part in rest for step in self.steps(part))
            out.append(("trav", self.text(head), steps) if head.type == "variable_expr"
                       else ("post", self.ast(head), steps))
        return out

    def steps(self, node: tree_sitter.Node) -> tuple[tuple[Any, ...], ...]:
        self.part(node)
        if node.type == "get_attr":
            ident = [c for c in node.named_children if c.type == "identifier"]
            return (("attr", self.text(ident[0]) if ident else ""),)
        if node.type == "index":
            inner = node.named_children[0] if node.named_children else node
            if inner.type == "legacy_index":
                digits = self.text(inner).lstrip(".")
                number = numbers.digits(digits)
                return (("index", ("lit", number if number is not None else digits)),)
            exprs = list(_children(inner, "expression"))
            return (("index", self.ast(exprs[0]) if exprs else ("opaque", ())),)
        if node.type == "splat":
            inner = node.named_children[0] if node.named_children else node
            sub = tuple(step for part in inner.named_children for step in self.steps(part))
            return (("splat", sub),)
        return (("index", ("opaque", ())),)

    def literal(self, node: tree_sitter.Node) -> tuple[Any, ...]:
        text = self.text(node)
        if node.type == "numeric_lit":
            try:
                number = float(text)
            except ValueError:
                return ("opaque", ())
            return ("lit", int(number) if number.is_integer() and "." not in text and "e" not in text.lower()
                    else number)
        if node.type == "bool_lit":
            return ("lit", text == "true")
        if node.type == "null_lit":
            return ("lit", None)
        return self.template(node)

    def template(self, node: tree_sitter.Node) -> tuple[Any, ...]:
        """A string or template: ("lit", str) when it has no interpolation, else ("tpl", parts)."""
        if node.type == "template_expr":
            node = node.named_children[0]
        heredoc = node.type == "heredoc_template"
        if not heredoc and node.child_count <= 3:  # fast path: "" or "plain text" (most strings)
            children = node.children
            if all(c.type in ("quoted_template_start", "quoted_template_end", "template_literal") for c in children):
                literal = children[1] if len(children) == 3 else None
                text = _unescape(self.text(literal)) if literal is not None else ""
                if literal is not None and self.literal_lines is not None:
                    self.literal_lines.setdefault(self.text(literal), literal.start_point[0] + 1)
                return ("lit", text)
        parts: list[Any] = []
        idents = [c for c in node.named_children if c.type == "heredoc_identifier"]
        if heredoc:
            start = _next_line(self.source, idents[0].end_byte) if idents else node.start_byte
            end = _line_start(self.source, idents[-1].start_byte) if len(idents) > 1 else node.end_byte
        else:
            delims = [c for c in node.children if c.type in ("quoted_template_start", "quoted_template_end")]
            start = delims[0].end_byte if delims else node.start_byte
            end = delims[-1].start_byte if len(delims) > 1 else node.end_byte
        cursor = start
        for child in node.named_children:
            if child.type in ("template_interpolation", "template_directive"):
                if child.start_byte > cursor:
                    parts.append(self.source[cursor : child.start_byte].decode("utf-8", "replace"))
                if child.type == "template_interpolation":
                    exprs = list(_children(child, "expression"))
                    parts.append(self.ast(exprs[0]) if exprs else ("opaque", ()))
                else:
                    parts.append(("opaque", tuple(self.ast(e) for e in _walk_exprs(child))))
                cursor = child.end_byte
        if end > cursor:
            parts.append(self.source[cursor:end].decode("utf-8", "replace"))
        if self.literal_lines is not None:
            for child in node.named_children:
                if child.type == "template_literal":
                    self.literal_lines.setdefault(self.text(child), child.start_point[0] + 1)
        if heredoc:
            if any(c.type == "heredoc_start" and self.text(c) == "<<-" for c in node.named_children):
                parts = _dedent_parts(parts)
        else:
            parts = [_unescape(p) if isinstance(p, str) else p for p in parts]
        if all(isinstance(p, str) for p in parts):
            return ("lit", "".join(parts))
        return ("tpl", tuple(p if not isinstance(p, str) else ("lit", p) for p in parts))

    def for_expr(self, node: tree_sitter.Node) -> tuple[Any, ...]:
        intro = next(_children(node, "for_intro"), None)
        if intro is None:
            return ("opaque", ())
        names = tuple(self.text(c) for c in _children(intro, "identifier"))
        coll_nodes = list(_children(intro, "expression"))
        coll = self.ast(coll_nodes[0]) if coll_nodes else ("opaque", ())
        body = [self.ast(c) for c in _children(node, "expression")]
        cond_node = next(_children(node, "for_cond"), None)
        cond_exprs = list(_children(cond_node, "expression")) if cond_node is not None else []
        cond = self.ast(cond_exprs[0]) if cond_exprs else None
        is_object = node.type == "for_object_expr"
        grouped = any(c.type == "ellipsis" for c in node.children)
        return ("for", is_object, names, coll, tuple(body), cond, grouped)


def _end_line(node: tree_sitter.Node) -> int:
    """The last line holding text of `node`: a node that ends just after a newline (an unclosed block at the
    end of the file) ends on the line before, not on the empty line after the file's last one."""
    row, column = node.end_point
    return row + 1 if column > 0 or row == node.start_point[0] else row


def _unwrap(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The single term of an `expression` without traversal steps, else None."""
    named = node.named_children
    return named[0] if node.type == "expression" and len(named) == 1 else None


def _walk_exprs(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The outermost expressions under `node`, in order (iterative: template directives nest without bound)."""
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        if child.type == "expression":
            yield child
        else:
            stack.extend(reversed(child.named_children))


def _undynamic(block: Block) -> Block:
    """`dynamic "ingress" { for_each = …; content { … } }` reads as an `ingress` block."""
    content = next((b for b in block.blocks if b.type == "content"), None)
    iterator = block.labels[0] + "."
    attrs = {key: _unbind(value, iterator) for key, value in (content.attrs if content else {}).items()}
    attrs["__dynamic__"] = True
    spans = dict(content.spans) if content else {}
    return Block(block.labels[0], (), block.line, block.end_line, attrs, content.blocks if content else (), spans)


def _unbind(value: Any, iterator: str) -> Any:
    """Drop the dynamic block's iterator (`ingress.value`) from references: it names no resource."""
    if isinstance(value, Expr):
        return Expr(value.text, tuple(ref for ref in value.refs if not ref.startswith(iterator)))
    if isinstance(value, list):
        return [_unbind(item, iterator) for item in value]
    if isinstance(value, dict):
        return {key: _unbind(item, iterator) for key, item in value.items()}
    return value


def _next_line(source: bytes, offset: int) -> int:
    newline = source.find(b"\n", offset)
    return len(source) if newline < 0 else newline + 1


def _line_start(source: bytes, offset: int) -> int:
    return source.rfind(b"\n", 0, offset) + 1


def _dedent_parts(parts: list[Any]) -> list[Any]:
    """`<<-` heredocs: remove the smallest indentation of the literal lines."""
    text = "".join(p if isinstance(p, str) else "\x00" for p in parts)
    lines = [line for line in text.split("\n") if line.strip()]
    indent = min((len(line) - len(line.lstrip(" \t")) for line in lines), default=0)
    if not indent:
        return parts
    out: list[Any] = []
    at_line_start = True
    for part in parts:
        if isinstance(part, str):
            pieces = part.split("\n")
            fixed = [piece[indent:] if (i > 0 or at_line_start) else piece for i, piece in enumerate(pieces)]
            out.append("\n".join(fixed))
            at_line_start = part.endswith("\n")
        else:
            out.append(part)
            at_line_start = False
    return out


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        if token == "%%{":
            return "%{"
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            point = int(code[1:], 16)
            return chr(point) if point <= 0x10FFFF else token  # past Unicode: kept as written
        return _ESCAPES.get(code, code)

    return _ESCAPE_RE.sub(replace, text) if ("\\" in text or "$${" in text or "%%{" in text) else text


# -- references ---------------------------------------------------------------------------------------


def refs_of(tree: tuple[Any, ...], bound: frozenset[str] = frozenset()) -> Iterator[str]:
    """The references an expression tree contains, normalised (see `Expr`)."""
    for ref, _ in ref_uses(tree, bound):
        yield ref


# What `ref_uses` says about the instance a resource reference selects.
WHOLE = ("whole",)  # no index: the resource itself (or every instance, through a splat)
DYNAMIC = ("dynamic",)  # an index that is not a literal (`[count.index]`, `[var.i]`)


def ref_uses(tree: tuple[Any, ...], bound: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any]]:
    """Each reference with the instance it selects: `aws_subnet.private[0].id` → ("aws_subnet.private", 0).

    The second item is the literal index (int or str) directly after a resource name, `WHOLE` when there is
    none (or a splat), and `DYNAMIC` when the index is an expression. For var/local/module/data references
    it is always `WHOLE`: their index selects inside a value, not an instance.
    """
    kind = tree[0]
    if kind == "trav":
        ref = _ref_name(tree[1], tree[2], bound)
        if ref:
            yield ref, _instance(ref, tree[2])
        for inner in _step_refs(tree[2], bound):
            yield inner, WHOLE
    elif kind == "for":
        _, _, names, coll, body, cond, _ = tree
        yield from ref_uses(coll, bound)
        names_bound = bound | frozenset(names)
        for part in (*body, *([cond] if cond else [])):
            yield from ref_uses(part, names_bound)
    elif kind == "post":
        yield from ref_uses(tree[1], bound)
        for ref in _step_refs(tree[2], bound):
            yield ref, WHOLE
    elif kind == "lit":
        return
    else:
        for item in tree[1:]:
            yield from _refs_in(item, bound)


def _instance(ref: str, steps: tuple[Any, ...]) -> Any:
    """The instance a resource reference's steps select (see `ref_uses`)."""
    if ref.split(".", 1)[0] in ("var", "local", "module", "data"):
        return WHOLE
    step = steps[1] if len(steps) > 1 else None
    if step is None or step[0] != "index":
        return WHOLE
    index = step[1]
    if index[0] == "lit" and isinstance(index[1], int | str) and not isinstance(index[1], bool):
        return index[1]
    return DYNAMIC


def _refs_in(item: Any, bound: frozenset[str]) -> Iterator[tuple[str, Any]]:
    if isinstance(item, tuple) and item and isinstance(item[0], str) and item[0] in _AST_KINDS:
        yield from ref_uses(item, bound)
    elif isinstance(item, tuple):
        for sub in item:
            yield from _refs_in(sub, bound)


_AST_KINDS = frozenset({"lit", "trav", "post", "call", "tpl", "tuple", "object", "cond", "bin", "un", "for",
                        "opaque"})


def _step_refs(steps: tuple[Any, ...], bound: frozenset[str]) -> Iterator[str]:
    for step in steps:
        if step[0] == "index":
            yield from refs_of(step[1], bound)
        elif step[0] == "splat":
            yield from _step_refs(step[1], bound)


def _ref_name(root: str, steps: tuple[Any, ...], bound: frozenset[str]) -> str:
    if root in bound or root in _META_ROOTS:
        return ""
    names = []
    for step in steps:
        if step[0] != "attr":
            break
        names.append(step[1])
    if root in ("var", "local") and names:
        return f"{root}.{names[0]}"
    if root in ("module", "data") and len(names) >= 2:
        return f"{root}.{names[0]}.{names[1]}"
    if root == "module" and names:
        return f"module.{names[0]}"
    if root not in ("var", "local", "module", "data") and names:
        return f"{root}.{names[0]}"
    return ""


# `var.name` or `local.name` alone, the commonest `Expr`: its tree is known without a parse (a module of
# 47,000 variables defaulting to the next spent a third of its CPU re-parsing them).
_PLAIN_REFERENCE = re.compile(r"(var|local)\.([A-Za-z_][A-Za-z0-9_]*)")


# An `Expr` longer than this is not re-parsed (it is opaque: its references are known, its value and the instance
# each reference selects are not). The re-parse has a budget of its own, so it can double a file's time: a 2 MB
# string value took 1.0 s to parse with its file and 1.2 s more to re-parse (found by fuzzing). The corpus's longest
# expression has 2,011 characters; 100 KB of hostile text re-parses within 0.2 s.
MAX_REPARSE_CHARS = 100_000


@lru_cache(maxsize=4096)
def tree_of(text: str) -> tuple[Any, ...]:
    """The expression tree of an `Expr`'s text (re-parsed: Facts hold text, not trees, so they stay small).

    Within the same bounds as a file: text that cannot be parsed in time, or nests too deeply, is opaque.
    """
    if plain := _PLAIN_REFERENCE.fullmatch(text):
        return ("trav", plain.group(1), (("attr", plain.group(2)),))
    if len(text) > MAX_REPARSE_CHARS:
        return ("opaque", ())
    source = ("x = " + text + "\n").encode("utf-8", "surrogatepass")
    parsed = _bounded_parse(source)
    if parsed.tree is None:
        return ("opaque", ())
    converter = _Converter(source)
    body = next(_children(parsed.tree.root_node, "body"), None)
    attribute = next(_children(body, "attribute"), None) if body is not None else None
    if attribute is None or parsed.tree.root_node.has_error or len(attribute.named_children) < 2:
        return ("opaque", ())
    try:
        return converter.ast(attribute.named_children[1])
    except (_TooDeep, _TooMany):
        return ("opaque", ())


def template_value(text: str) -> Any:
    """A JSON string that may hold `${…}` interpolation (Terraform JSON syntax) as a value or `Expr`."""
    if "${" not in text and "%{" not in text:
        return text
    quoted = json.dumps(text)
    tree = tree_of(quoted)
    refs = tuple(dict.fromkeys(refs_of(tree)))
    if tree[0] == "tpl" and len(tree[1]) == 1 and tree[1][0][0] != "lit":
        inner = text.strip()[2:-1].strip() if text.strip().startswith("${") and text.strip().endswith("}") else quoted
        return Expr(inner, refs)
    return Expr(quoted, refs)


# -- evaluation ---------------------------------------------------------------------------------------

# One static evaluation builds lists and maps of at most this many items and strings of at most this many
# characters: `range(1000000000)` alone would take 8 GB. Terraform collections in real modules hold hundreds.
MAX_ITEMS = 10_000
MAX_CHARS = 1_000_000
# All evaluations that share a `Work` (one file's literal folding, one module directory's var/local
# resolution) build at most this much together: values under the limits above are memoised and would still
# add up (70,000 locals of `range(10000)` each fit in a 2 MB file). Each item built costs about 2.5 µs more where
# it is used (copied, scrubbed, its references walked): 200 resources of `for_each = toset(local.l)` over 10,000
# names took 2.8 s with a million (found by probing); real modules build a few hundred.
MAX_TOTAL_ITEMS = 250_000
MAX_TOTAL_CHARS = 16_000_000
# A product of integers wider than this is no count, port or size (squaring through a chain of locals doubles
# the digits each time).
MAX_INT_BITS = 256

Lookup = Callable[[str, str], Any]


class Limit(Unknown):
    """An evaluation that would build more than the bounds above allow: unknown, and worth a diagnostic."""


@dataclass(frozen=True)
class ZoneList:
    """The zone names a data source lists (`data.aws_availability_zones.available.names`): distinct names, how
    many unknown (every region has several). `names[i]`, `element(names, i)` and the items of
    `slice(names, a, b)` are placeholder names, distinct per index; `length(names)` stays unknown.
    `element` wraps at the list's length, so an index past the region's zone count would repeat a zone: the
    regions these lists describe have at least three, and a placeholder never claims two indices are one zone."""

    label: str  # the reference, e.g. `data.aws_availability_zones.available.names`

    def zone(self, index: Any) -> str:
        number = int(_number(index))
        if number < 0:
            raise Unknown("a negative zone index")
        return f"{self.label}[{number}]"

    def slice(self, work: Work, start: Any, end: Any) -> list[str]:
        low, high = int(_number(start)), int(_number(end))
        if low < 0 or high < low:
            raise Unknown("slice out of range")
        work.charge(items=high - low)
        return [self.zone(i) for i in range(low, high)]


@dataclass
class Work:
    """What the evaluations sharing it have built so far (see `MAX_TOTAL_ITEMS`)."""

    items: int = 0
    chars: int = 0

    @staticmethod
    def check(items: int = 0, chars: int = 0) -> None:
        """`Limit` when one value of this size would be too big."""
        if items > MAX_ITEMS:
            raise Limit(f"a value of {items:,} items (more than {MAX_ITEMS:,})")
        if chars > MAX_CHARS:
            raise Limit(f"a value of {chars:,} characters (more than {MAX_CHARS:,})")

    def charge(self, items: int = 0, chars: int = 0) -> None:
        """Account for a value about to be built; `Limit` when it, or the running total, is too big."""
        self.check(items, chars)
        self.items += items
        self.chars += chars
        if self.spent:
            raise Limit(f"static evaluation here built more than {MAX_TOTAL_ITEMS:,} items or {MAX_TOTAL_CHARS:,} "
                        "characters in all")

    def charge_value(self, value: Any) -> None:
        """Account for a value handed on: its size counted as copies of it count (a list may hold one big
        list a thousand times, and each holder is copied, scrubbed and reported in full)."""
        self.charge(*_size(value))

    @property
    def spent(self) -> bool:
        """Whether the running total is over its bound (every later charge fails)."""
        return self.items > MAX_TOTAL_ITEMS or self.chars > MAX_TOTAL_CHARS


@dataclass(frozen=True)
class Scope:
    """What names mean while evaluating: `lookup(root, name)` for var/local/module, plus loop bindings, and the
    `Work` budget the evaluation draws on."""

    lookup: Lookup
    bindings: dict[str, Any] = field(default_factory=dict)
    work: Work = field(default_factory=Work)


def _no_lookup(root: str, name: str) -> Any:
    raise Unknown(f"{root}.{name}")


def evaluate(tree: tuple[Any, ...], scope: Scope) -> Any:
    """The static value of an expression tree, or `Unknown`."""
    try:
        value = _eval(tree, scope)
        scope.work.charge_value(value)
        return value
    except Unknown:
        raise
    except RecursionError as error:  # jsondecode of deeply nested text, a deeply nested value
        raise Limit("a value nested too deeply to evaluate") from error
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError,
            StopIteration) as error:  # `coalesce()` of nothing but nulls ends its generator
        raise Unknown(str(error)) from error


def _eval(tree: tuple[Any, ...], scope: Scope) -> Any:
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "trav":
        root, steps = tree[1], tree[2]
        if root in scope.bindings:
            return _apply(scope.bindings[root], steps, scope)
        if root in ("var", "local", "module") and steps and steps[0][0] == "attr":
            return _apply(_known(scope.lookup(root, steps[0][1])), steps[1:], scope)
        if root == "data" and len(steps) >= 2 and steps[0][0] == "attr" and steps[1][0] == "attr":
            # `data.TYPE.NAME` (or one instance of a counted data block: every instance reads the same)
            rest = steps[3:] if len(steps) > 2 and steps[2][0] == "index" else steps[2:]
            return _apply(_known(scope.lookup(root, f"{steps[0][1]}.{steps[1][1]}")), rest, scope)
        if root == "count" and steps == (("attr", "index"),) and "count.index" in scope.bindings:
            return scope.bindings["count.index"]
        raise Unknown(root)
    if kind == "post":
        return _apply(_eval(tree[1], scope), tree[2], scope)
    if kind == "tuple":
        return _sized(scope.work, [_eval(item, scope) for item in tree[1]])
    if kind == "object":
        return _sized(scope.work, {_str(_eval(k, scope)): _eval(v, scope) for k, v in tree[1]})
    if kind == "tpl":
        return _joined("", [_str(_eval(part, scope)) for part in tree[1]], scope.work)
    if kind == "cond":
        return _eval(tree[2], scope) if _truthy(_eval(tree[1], scope)) else _eval(tree[3], scope)
    if kind == "un":
        value = _eval(tree[2], scope)
        if tree[1] == "-":
            return -_number(value)
        if tree[1] == "!":
            return not _truthy(value)
        raise Unknown(tree[1])
    if kind == "bin":
        return _binary(tree[1], tree[2], tree[3], scope)
    if kind == "call":
        return _call(tree[1], tree[2], tree[3], scope)
    if kind == "for":
        return _for(tree, scope)
    raise Unknown(kind)


def _known(value: Any) -> Any:
    if isinstance(value, Expr):
        raise Unknown(value.text)
    return value


def _apply(value: Any, steps: tuple[Any, ...], scope: Scope) -> Any:
    for step in steps:
        value = _known(value)
        if step[0] == "attr":
            value = value[step[1]] if isinstance(value, dict) else _raise(step[1])
        elif step[0] == "index":
            key = _eval(step[1], scope)
            if isinstance(value, ZoneList):
                value = value.zone(key)
            else:
                value = value[int(key)] if isinstance(value, list) else value[_str(key)]
        elif step[0] == "splat":
            items = value if isinstance(value, list) else ([] if value is None else [value])
            value = [_apply(item, step[1], scope) for item in items]
    return _known(value)


def _raise(name: str) -> Any:
    raise Unknown(name)


def _str(value: Any) -> str:
    value = _known(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise Unknown("not a string")


def _number(value: Any) -> int | float:
    value = _known(value)
    if isinstance(value, bool):
        raise Unknown("bool is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    raise Unknown("not a number")


def _truthy(value: Any) -> bool:
    value = _known(value)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Unknown("not a bool")


def _binary(op: str, left: tuple[Any, ...], right: tuple[Any, ...], scope: Scope) -> Any:
    if op == "&&":
        return _truthy(_eval(left, scope)) and _truthy(_eval(right, scope))
    if op == "||":
        return _truthy(_eval(left, scope)) or _truthy(_eval(right, scope))
    a, b = _eval(left, scope), _eval(right, scope)
    if op == "==":
        return _known(a) == _known(b)
    if op == "!=":
        return _known(a) != _known(b)
    x, y = _number(a), _number(b)
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
        "/": lambda p, q: p / q, "%": lambda p, q: p % q, "<": lambda p, q: p < q, ">": lambda p, q: p > q,
        "<=": lambda p, q: p <= q, ">=": lambda p, q: p >= q,
    }
    if op not in operations:
        raise Unknown(op)
    if op == "*" and isinstance(x, int) and isinstance(y, int) and x.bit_length() + y.bit_length() > MAX_INT_BITS:
        raise Limit(f"a product wider than {MAX_INT_BITS} bits")
    result = operations[op](x, y)
    return int(result) if isinstance(result, float) and result.is_integer() and op != "/" else result


def _for(tree: tuple[Any, ...], scope: Scope) -> Any:
    _, is_object, names, coll_tree, body, cond, grouped = tree
    coll = _known(_eval(coll_tree, scope))
    items = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
    out_list: list[Any] = []
    out_map: dict[str, Any] = {}
    size = [0, 0]  # items and characters of the result so far
    for key, value in items:
        bindings = dict(scope.bindings)
        if len(names) == 2:
            bindings[names[0]], bindings[names[1]] = key, value
        elif names:
            bindings[names[0]] = value
        inner = Scope(scope.lookup, bindings, scope.work)
        if cond is not None and not _truthy(_eval(cond, inner)):
            continue
        if is_object and len(body) == 2:
            k = _str(_eval(body[0], inner))
            v = _eval(body[1], inner)
            if grouped:
                out_map.setdefault(k, []).append(v)
            else:
                out_map[k] = v
        elif body:
            v = _eval(body[0], inner)
            out_list.append(v)
        else:
            continue
        items_in, chars_in = _size(v)
        size[0] += items_in + 1
        size[1] += chars_in
        scope.work.check(*size)
    scope.work.charge(*size)
    return out_map if is_object else out_list


def _joined(separator: str, parts: list[str], work: Work) -> str:
    """`separator.join(parts)`, charged before it is built."""
    work.charge(chars=sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


def _flatten(work: Work, value: list[Any]) -> list[Any]:
    """Nested lists → one list, measured first (one list may hold the same big list many times)."""
    work.charge(*_size(value))
    out: list[Any] = []
    stack = [iter(value)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            if len(stack) > MAX_DEPTH:
                raise Limit("a list nested too deeply to flatten")
            stack.append(iter(item))
        else:
            out.append(item)
    return out


_END = object()


def _range(work: Work, *args: Any) -> list[int]:
    numbers = range(*(int(_number(x)) for x in args))
    try:
        size = len(numbers)
    except OverflowError as error:  # longer than the machine can index
        raise Limit(f"a range of more than {MAX_ITEMS:,} items") from error
    work.charge(items=size)
    return list(numbers)


_Sized = TypeVar("_Sized", list[Any], dict[str, Any])


def _sized(work: Work, values: _Sized) -> _Sized:
    """A collection just built, charged at its full size."""
    work.charge_value(values)
    return values


def _size(value: Any, items_cap: int = MAX_ITEMS, chars_cap: int = MAX_CHARS) -> tuple[int, int]:
    """(items, characters) of a value with every reference counted as a copy, counting no further than just
    past the caps (so a value that holds one big list many times costs only the caps to measure)."""
    items = chars = 0
    stack = [value]
    while stack and items <= items_cap and chars <= chars_cap:
        item = stack.pop()
        if isinstance(item, dict):
            items += len(item)
            for key, inner in item.items():
                chars += len(key) if isinstance(key, str) else 0
                stack.append(inner)
        elif isinstance(item, list):
            items += len(item)
            stack.extend(item)
        elif isinstance(item, str):
            chars += len(item)
    return items, chars


def _concat(work: Work, *lists: Any) -> list[Any]:
    for lst in lists:
        work.charge(*_size(lst))
    return _sized(work, [item for lst in lists for item in lst])


def _merge(work: Work, *maps: Any) -> dict[str, Any]:
    return _sized(work, {k: v for m in maps for k, v in m.items()})


def _split(work: Work, separator: Any, text: Any) -> list[str]:
    sep, value = _str(separator), _str(text)
    if sep:
        work.charge(items=value.count(sep) + 1, chars=len(value))
    return value.split(sep)  # an empty separator: ValueError, unknown


def _replace(work: Work, text: Any, old: Any, new: Any) -> str:
    value, a, b = _str(text), _str(old), _str(new)
    work.charge(chars=len(value) + value.count(a) * max(len(b) - len(a), 0))
    return value.replace(a, b)


def _cased(work: Work, text: str) -> str:
    work.charge(chars=len(text))
    return text


_FORMAT_SPEC = re.compile(r"%%|%[-+# ]*0?(?:[1-9]\d*)?(?:\.\d+)?[sdvq]")  # flags, then width: no two ways to read a 0


def _format(work: Work, spec: Any, *args: Any) -> str:
    """Terraform `format` for %s/%d/%v/%q (width and precision are ignored: no padding, whatever it says)."""
    text = _str(spec)
    values = iter(args)
    parts: list[str] = []
    cursor = 0
    for match in _FORMAT_SPEC.finditer(text):
        parts.append(text[cursor : match.start()])
        token = match.group(0)
        parts.append("%" if token == "%%" else str(int(_number(next(values)))) if token.endswith("d") else
                     _str(next(values)))
        cursor = match.end()
    parts.append(text[cursor:])
    return _joined("", parts, work)


def _cidrsubnet(prefix: str, bits: int, number: int) -> str:
    network = ipaddress.ip_network(prefix, strict=False)
    new_prefix = network.prefixlen + bits
    if bits < 0 or new_prefix > network.max_prefixlen or not 0 <= number < 2**bits:
        raise Unknown("cidrsubnet out of range")
    size = 2 ** (network.max_prefixlen - new_prefix)
    address = ipaddress.ip_address(int(network.network_address) + number * size)
    return f"{address}/{new_prefix}"


def _json(work: Work, value: Any) -> str:
    """JSON text of a value, measured first: a list may hold one big value many times over."""
    items, chars = _size(value, MAX_ITEMS, MAX_CHARS // 2)
    work.charge(items=items, chars=chars + 4 * items)  # about what the text will hold
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _jsondecode(work: Work, text: Any) -> Any:
    value = _str(text)
    work.charge(chars=len(value))  # what it decodes to is about as big as the text
    return json.loads(value)


def _first(values: tuple[Any, ...], wanted: Callable[[Any], bool]) -> Any:
    """The first wanted argument (`coalesce`); none is Terraform's error, so unknown (`can(…)` is false)."""
    for value in values:
        if wanted(value):
            return value
    raise Unknown("no usable argument")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "length": lambda v: len(_known(v)),
    "slice": lambda v, a, b: list(v)[int(_number(a)) : int(_number(b))],
    "element": lambda v, i: v.zone(i) if isinstance(v, ZoneList) else v[int(_number(i)) % len(v)],
    "lookup": lambda m, k, *default: m[_str(k)] if _str(k) in m or not default else default[0],
    "tostring": _str,
    "tonumber": _number,
    "tobool": _truthy,
    "abs": lambda v: abs(_number(v)),
    "ceil": lambda v: math.ceil(_number(v)),
    "floor": lambda v: math.floor(_number(v)),
    "sum": lambda v: sum(_number(x) for x in v),
    "coalesce": lambda *v: _first(v, lambda x: x not in (None, "")),
    "coalescelist": lambda *v: _first(v, bool),
    "contains": lambda v, x: x in v,
    "trimspace": lambda s: _str(s).strip(),
    "substr": lambda s, o, n: _str(s)[int(_number(o)) : (None if _number(n) < 0 else int(_number(o) + _number(n)))],
    "startswith": lambda s, p: _str(s).startswith(_str(p)),
    "endswith": lambda s, p: _str(s).endswith(_str(p)),
    "one": lambda v: None if not v else (v[0] if len(v) == 1 else _raise("one")),
    "cidrsubnet": lambda prefix, bits, num: _cidrsubnet(_str(prefix), int(_number(bits)), int(_number(num))),
}
# Functions that build a new value: they are given the evaluation's `Work` first, and charge it before building.
_BUILDERS: dict[str, Callable[..., Any]] = {
    "concat": _concat,
    "merge": _merge,
    "keys": lambda work, m: _sized(work, sorted(m)),
    "values": lambda work, m: _sized(work, [m[k] for k in sorted(m)]),
    "tolist": lambda work, v: _sized(work, list(v)),
    "toset": lambda work, v: _sized(work, sorted(set(v), key=str)),
    "tomap": lambda work, v: _sized(work, dict(v)),
    "compact": lambda work, v: _sized(work, [x for x in v if x not in (None, "")]),
    "distinct": lambda work, v: _sized(work, list(dict.fromkeys(v))),
    "flatten": _flatten,
    "min": lambda work, *v: min(_number(x) for x in _flatten(work, list(v))),
    "max": lambda work, *v: max(_number(x) for x in _flatten(work, list(v))),
    "range": _range,
    "join": lambda work, sep, v: _joined(_str(sep), [_str(x) for x in v], work),
    "split": _split,
    "upper": lambda work, s: _cased(work, _str(s).upper()),
    "lower": lambda work, s: _cased(work, _str(s).lower()),
    "replace": _replace,
    "format": _format,
    "zipmap": lambda work, k, v: _sized(work, dict(zip((_str(x) for x in k), v, strict=True))),
    "jsonencode": _json,
    "jsondecode": _jsondecode,
    "yamlencode": _json,
}


def _call(name: str, args: tuple[Any, ...], expand: bool, scope: Scope) -> Any:
    if name == "try":
        for arg in args:
            try:
                return _eval(arg, scope)
            except Limit:
                raise
            except Unknown:
                continue
        raise Unknown("try")
    if name == "can":
        try:
            _eval(args[0], scope)
        except Limit:
            raise
        except Unknown:
            return False
        return True
    function = _FUNCTIONS.get(name)
    builder = _BUILDERS.get(name)
    if function is None and builder is None:
        raise Unknown(name)
    if builder is not None and scope.work.spent:  # it would be built only to be refused (charged after building)
        scope.work.charge()
    values = [_eval(arg, scope) for arg in args]
    if expand and values:
        values = [*values[:-1], *_known(values[-1])]
    if name not in ("concat", "merge", "flatten", "coalescelist", "jsonencode", "yamlencode", "length", "tolist",
                    "toset", "distinct", "compact", "contains", "slice", "element", "lookup", "keys", "values"):
        values = [_known(v) for v in values]
    elif any(isinstance(v, Expr) for v in values):
        raise Unknown(name)
    if name in ("jsonencode", "yamlencode") and _has_expr(values):
        raise Unknown(name)
    if values and isinstance(values[0], ZoneList):
        if name == "slice" and len(values) == 3:
            return values[0].slice(scope.work, values[1], values[2])
        if name in ("tolist", "toset", "distinct", "compact") and len(values) == 1:
            return values[0]  # still the same distinct names (a set of them is the same list, reordered)
    if builder is not None:
        return builder(scope.work, *values)
    assert function is not None
    return function(*values)


def _has_expr(value: Any) -> bool:
    """Whether an `Expr` is anywhere in a value; each list or map is looked at once, however often it is held."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Expr):
            return True
        if isinstance(item, list | dict) and id(item) not in seen:
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return False


def has_expr(value: Any) -> bool:
    """Whether a converted value still holds an unresolved `Expr` anywhere."""
    return _has_expr(value)


def evaluate_partial(tree: tuple[Any, ...], scope: Scope) -> Any:
    """Like `evaluate`, but collections keep their known parts: an unknown element becomes an `Expr`
    (rendered from the tree) instead of making the whole value unknown. For `jsonencode([...])` bodies."""
    kind = tree[0]
    if kind == "call" and tree[1] in ("jsonencode", "yamlencode", "tolist", "tomap") and len(tree[2]) == 1:
        return evaluate_partial(tree[2][0], scope)
    if kind == "tuple":
        return [evaluate_partial(item, scope) for item in tree[1]]
    if kind == "object":
        out: dict[str, Any] = {}
        for key, value in tree[1]:
            try:
                name = _str(evaluate(key, scope))
            except Unknown:
                continue
            out[name] = evaluate_partial(value, scope)
        return out
    try:
        return evaluate(tree, scope)
    except Unknown:
        return Expr(render(tree), tuple(dict.fromkeys(refs_of(tree))))


def render(tree: tuple[Any, ...]) -> str:
    """Approximate source text of an expression tree (for `Expr`s made by partial evaluation)."""
    kind = tree[0]
    if kind == "lit":
        return json.dumps(tree[1])
    if kind in ("trav", "post"):
        head = tree[1] if kind == "trav" else render(tree[1])
        return head + "".join(_render_step(step) for step in tree[2])
    if kind == "tpl":
        parts = [p[1] if p[0] == "lit" and isinstance(p[1], str) else "${" + render(p) + "}" for p in tree[1]]
        return '"' + "".join(parts) + '"'
    if kind == "call":
        return f"{tree[1]}({', '.join(render(arg) for arg in tree[2])})"
    return "…"


def _render_step(step: tuple[Any, ...]) -> str:
    if step[0] == "attr":
        return "." + step[1]
    if step[0] == "index":
        return "[" + render(step[1]) + "]"
    return "[*]" + "".join(_render_step(inner) for inner in step[1])
