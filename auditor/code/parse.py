"""Source file → Facts: pick the language, parse under bounds, run its extractor, translate (facts.py).

A pure function of path and text like every parser. What cannot be read becomes a diagnostic on the file:
a grammar that is not installed (a note), a parse over its bounds, a file that mostly fails to parse (not
code of that language, or a dialect the grammar does not know: its few facts would be guesses).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable
from functools import cache

import tree_sitter

from auditor.code import languages, syntax
from auditor.code.facts import Extracted, linkage, to_facts, type_mentions
from auditor.model import Diagnostic, Facts
from auditor.parsers.treesitter import Budget, bounded_parse, on_deep_stack

# CPU time one parse may use (see parsers/treesitter.py). Measured on the 2-core CI machine, 1 MB (the
# discovery limit for source) of real code concatenated: Python 0.04-0.08 s, JavaScript 0.07 s, Java and Go
# 0.03-0.05 s (for 0.6 MB), C# 0.12-0.15 s; 1 MB of random code-like text takes 0.5-2.4 s and of random
# bytes over 4 s (Python, Java, Go). 1 MB may use 0.6 s, four times what real code needs. The budget must stay
# well below 2 s because the bound is checked only between tree-sitter's steps, and the step that ends a parse
# in error recovery (at the end of the text) can take longer than everything before it: 1 MB of `?><?php ` in a
# C# file reached the end after 1.16 s, then spent 1.73 s there without one callback, so a budget of 1.2 s let
# it run to 2.9 s (found by fuzzing). Stopped at 0.6 s, such a parse never reaches the end. The base keeps small
# files off the bound: 0.2 s + 0.4 s/MB put a fuzzed 180 KB Python file (0.24-0.28 s to parse) on it, so its
# facts depended on the machine's load (found by fuzzing).
PARSE_BUDGET = Budget(base=0.4, per_mb=0.2, cap=0.6)
# tree-sitter-php is ten to twenty times slower per byte on real code (1 MB of real configuration files: 1.6-2.8
# s; 9 KB: 0.02 s), so PHP has more room: files up to about 300 KB are parsed.
LANGUAGE_BUDGETS = {"php": Budget(base=0.2, per_mb=3.0, cap=1.0)}
MAX_PARSE_MEMORY = 512 * 2**20
# A tree of more syntax nodes than this is not read for facts: the query walk and extraction cost 2-5 µs per node
# (1 MB of `x = a.a.a.b();` in Go has 1.3 million and took 2.7 s; 470,000 nodes of `http.Get` calls 2.5 s: found
# by fuzzing). Hand-written code has 260 nodes per KB (the corpus's median file; 1 MB of its C#, Java or Go:
# 225,000-290,000) and its densest files 420 (minified JavaScript, which is not read, 720), so about 1 MB of
# hand-written code is read; at the bound, dense outbound calls take 0.3-1.5 s in any language.
MAX_SYNTAX_NODES = 250_000
# A first parse quicker than this is repeated to give a tree that holds its text (see `parse`): real files up to
# the 1 MB source limit parse in 0.03-0.08 s (0.15 s for C#).
REPARSE_SECONDS = 0.2
# A file whose syntax errors cover more than this share of its bytes is not read for facts.
MAX_ERROR_SHARE = 0.3
# Language family → the extractor module (auditor/code/<module>.py) with `extract(tree, language[, path])`.
_EXTRACTORS = {"python": "python", "javascript": "javascript", "java": "java", "go": "go", "php": "php",
               "csharp": "csharp"}

Extractor = Callable[[tree_sitter.Tree, str, str], Extracted]  # (tree, language, repo path)


@cache
def _parser(language: str) -> tree_sitter.Parser | None:
    grammar = languages.grammar(language)
    return tree_sitter.Parser(grammar) if grammar is not None else None


@cache
def _extractor(family: str) -> Extractor | None:
    name = _EXTRACTORS.get(family)
    if name is None:
        return None
    try:
        module = importlib.import_module(f"auditor.code.{name}")
    except ImportError:
        return None
    extract: Callable[..., Extracted] = module.extract
    if "path" in inspect.signature(extract).parameters:  # an extractor that reads the path (Next.js routes)
        return extract

    def without_path(tree: tree_sitter.Tree, language: str, path: str) -> Extracted:
        return extract(tree, language)

    return without_path


# Languages whose classes graph/code.py judges for being used at all (a class nothing names runs no calls).
TYPED_LANGUAGES = frozenset({"java", "csharp"})


def parse(path: str, text: str) -> Facts:
    """The code facts of one source file (see auditor/code/facts.py)."""
    language = languages.language_of(path)
    if language is None:
        return Facts(path, "code")
    parser = _parser(language)
    extractor = _extractor(languages.FAMILY.get(language, language))
    if parser is None or extractor is None:
        return Facts(path, "code", diagnostics=(Diagnostic(
            path, f"no {language} grammar installed; source file not read", None, "unsupported", "note"),))
    if language == "python" and (deep := _too_deeply_indented(text)) is not None:
        return Facts(path, "code", diagnostics=(Diagnostic(
            path, f"indented more than {MAX_PYTHON_INDENTS} levels deep (more than Python allows); source file not "
            "read", deep, "too-deep", "warning"),))
    if (deep := _too_deeply_bracketed(_php_code(text) if language == "php" else text)) is not None:
        return Facts(path, "code", diagnostics=(Diagnostic(
            path, f"brackets nested more than {MAX_BRACKET_DEPTH:,} levels deep; tree-sitter's error recovery at the "
            "end of such a file cannot be stopped, so the source file is not read", deep, "too-deep", "warning"),))
    source = text.encode("utf-8", "surrogatepass")
    parsed = bounded_parse(parser, source, LANGUAGE_BUDGETS.get(language, PARSE_BUDGET), MAX_PARSE_MEMORY)
    if parsed.tree is None:
        problem = parsed.problem
        assert problem is not None
        return Facts(path, "code", diagnostics=(Diagnostic(path, problem.message, problem.line, problem.code,
                                                           "warning"),))
    if (nodes := parsed.tree.root_node.descendant_count) > MAX_SYNTAX_NODES:  # O(1): kept in the tree
        return Facts(path, "code", diagnostics=(Diagnostic(
            path, f"{nodes:,} syntax nodes, more than the {MAX_SYNTAX_NODES:,} read from one source file (1 MB of "
            "hand-written code has about 260,000); not read for code facts", None, "limit", "warning"),))
    # Judged on the bounded parse's tree (offsets only): the re-parse below reuses no node inside an error, so
    # on a file of errors it would cost as much as the first parse again, outside the budget.
    first = parsed.tree.root_node
    if first.has_error and _error_share(first, len(source)) > MAX_ERROR_SHARE:
        return Facts(path, "code", diagnostics=(Diagnostic(
            path, f"mostly not valid {language} (syntax errors over more than {MAX_ERROR_SHARE:.0%} of the file); "
            "not read for code facts", _first_error_line(first), "parse-error", "note"),))
    # The bounded parse reads through a callback, so its tree does not hold the text: node text and query
    # predicates then call back into Python, which makes extraction 20-35 % slower on real code. Re-parsing the
    # same bytes with that tree as the old one gives a tree that holds the text; on real code it reuses every node
    # and costs a tenth of the first parse, but it is outside the budget and can cost as much as the first (errors
    # everywhere, or 1 MB of Go statements at the top level: 0.45 s). So only a quick first parse is repeated; a
    # slow one keeps the callback. Either way the tree and the facts are the same.
    quick = parsed.seconds <= REPARSE_SECONDS
    tree = on_deep_stack(lambda: parser.parse(source, old_tree=parsed.tree), len(source)) if quick else parsed.tree
    token = syntax.SOURCE.set(source)
    try:
        extracted = extractor(tree, language, path)
    finally:
        syntax.SOURCE.reset(token)
    facts = to_facts(path, language, extracted)
    if extracted.limits:
        facts = dataclasses.replace(facts, diagnostics=(*facts.diagnostics, *(
            Diagnostic(path, message, at, "limit", "warning") for at, message in extracted.limits)))
    extra: dict[str, object] = {**facts.extra, **linkage(extracted)}
    if language in TYPED_LANGUAGES:
        own = [c.name for c in extracted.classes]
        declarations = [*(base for c in extracted.classes for base in c.bases), *extracted.registers]
        extra["mentions"] = type_mentions(source, own, declarations)
    return dataclasses.replace(facts, extra=extra) if extra else facts


# CPython refuses more than 100 levels of indentation (its tokenizer's MAXINDENT); tree-sitter-python 0.25 crashes
# the interpreter (a segmentation fault) on about 500 levels after an unclosed string (found by fuzzing).
MAX_PYTHON_INDENTS = 100


def _too_deeply_indented(text: str) -> int | None:
    """The 1-based line where indentation passes MAX_PYTHON_INDENTS levels, as Python's tokenizer counts them
    (tabs to the next multiple of 8); None when it never does. One pass over the lines; blank and comment lines do
    not count, lines inside a multi-line string do (which only makes the bound stricter)."""
    levels = [0]
    for number, line in enumerate(text.split("\n"), 1):
        body = line.lstrip(" \t\f")
        if not body or body.startswith("#"):
            continue
        width = len(line[: len(line) - len(body)].expandtabs(8))
        if width > levels[-1]:
            levels.append(width)
            if len(levels) > MAX_PYTHON_INDENTS + 1:
                return number
        else:
            while width < levels[-1]:
                levels.pop()
    return None


# Brackets open at once: hand-written code nests a few dozen deep. Past this, tree-sitter's last step on text that
# leaves them open is long and makes no progress callback, so no budget can stop it: `f(` * 218,750 in Go took 2.3 s
# of CPU of which the budget allowed 0.5 (found by fuzzing); 10,000 levels take about 0.1 s.
MAX_BRACKET_DEPTH = 10_000
_NOT_BRACKETS = re.compile(r"[^()\[\]{}\n]+")


def _too_deeply_bracketed(text: str) -> int | None:
    """The 1-based line where more than MAX_BRACKET_DEPTH brackets are open, or None. Brackets in strings and
    comments count too, which only makes the bound stricter; a file with fewer openers is not looked at."""
    if sum(text.count(opener) for opener in "([{") <= MAX_BRACKET_DEPTH:
        return None
    depth, line = 0, 1
    for char in _NOT_BRACKETS.sub("", text):
        if char == "\n":
            line += 1
        elif char in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                return line
        else:
            depth = max(depth - 1, 0)
    return None


def _php_code(text: str) -> str:
    """A PHP file's code (between `<?` and `?>`), its inline HTML reduced to its line breaks: braces in a page's
    HTML and scripts are text to tree-sitter-php, not nesting."""
    parts: list[str] = []
    position = 0
    while (start := text.find("<?", position)) >= 0:
        parts.append("\n" * text.count("\n", position, start))
        end = text.find("?>", start + 2)
        if end < 0:
            return "".join(parts) + text[start:]
        parts.append(text[start:end])
        position = end + 2
    return "".join(parts) + "\n" * text.count("\n", position)


def _error_share(root: tree_sitter.Node, size: int, limit: int = 100_000) -> float:
    """The share of the file's bytes inside ERROR nodes (top-most ones only; bounded walk)."""
    if size == 0:
        return 0.0
    covered = 0
    stack = [root]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if node.is_error:
            covered += node.end_byte - node.start_byte
        elif node.has_error:
            stack.extend(node.children)
    return covered / size


def _first_error_line(root: tree_sitter.Node, limit: int = 100_000) -> int | None:
    stack = [root]
    for _ in range(limit):
        if not stack:
            return None
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return None
