"""Which language a source file is written in, and its tree-sitter grammar, loaded only when first needed.

Each grammar is its own wheel (`tree-sitter-python`, …); importing one costs 10–20 ms, so a repository
without Java never imports the Java grammar. Queries (`queries/<language>/<fact>.scm`) are compiled once
per process and kept.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib import resources

import tree_sitter

# File suffix → language. TypeScript and TSX are two grammars of one wheel; JavaScript files (JSX included)
# go through the JavaScript grammar.
SUFFIXES: dict[str, str] = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".go": "go",
    ".php": "php",
    ".cs": "csharp",
}
# Language → (module, function returning the grammar's pointer).
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "go": ("tree_sitter_go", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "csharp": ("tree_sitter_c_sharp", "language"),
}
# Languages whose extractor shares another's queries and code (TSX and TypeScript read like JavaScript).
FAMILY: dict[str, str] = {"typescript": "javascript", "tsx": "javascript"}


def language_of(path: str) -> str | None:
    """The language of a file by its suffix, or None when it is not source code the tool reads."""
    lower = path.lower()
    if lower.endswith(".d.ts"):
        return None  # type declarations: no behaviour
    name = lower.rstrip("/").rpartition("/")[2]  # PurePosixPath(path).suffix, without a Path per file walked
    dot = name.rfind(".")
    return SUFFIXES.get(name[dot:]) if 0 < dot < len(name) - 1 else None


@cache
def grammar(language: str) -> tree_sitter.Language | None:
    """The tree-sitter grammar of `language`, or None when its wheel is not installed."""
    module_name, function = _GRAMMARS[language]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return tree_sitter.Language(getattr(module, function)())


@cache
def query(language: str, fact: str) -> tree_sitter.Query | None:
    """The compiled query `queries/<language>/<fact>.scm` for `language` (its family's file for TypeScript),
    or None when the language has no such query. A query that does not compile is a defect of the tool,
    not of the audited file, so it raises."""
    lang = grammar(language)
    source = query_source(language, fact)
    if lang is None or source is None:
        return None
    return tree_sitter.Query(lang, source)


def query_source(language: str, fact: str) -> str | None:
    """The text of `queries/<language>/<fact>.scm` (its family's file for TypeScript), None when there is none."""
    for folder in (language, FAMILY.get(language)):
        if folder is None:
            continue
        resource = resources.files("auditor.code") / "queries" / folder / f"{fact}.scm"
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    return None
