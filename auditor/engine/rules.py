"""Rule definitions: one YAML file per rule, loaded from `rules/` and the user's rule folders.

A rule file is the whole contract (id, slug, category, severity, docs under fixed headings, options, the
check, bad/good examples). Loading validates every field and fails loudly, naming the file and the key:
a malformed rule is a bug in the rule, not something to skip silently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.checks import TEMPLATE_NAMES, known_checks
from auditor.engine.message import NODE_FIELDS, MessageError, placeholders
from auditor.model import SEVERITIES
from auditor.parsers.yaml_source import load_documents
from auditor.repofiles import MAX_CONFIG_BYTES, RepoFileError, read_text

CATEGORIES = ("state", "data", "availability", "coupling", "resilience", "observability", "elasticity")
CATEGORY_PREFIX = {
    "state": "STATE",
    "data": "DATA",
    "availability": "AVAIL",
    "coupling": "COUPLE",
    "resilience": "RESIL",
    "observability": "OBS",
    "elasticity": "ELAST",
}
DOC_HEADINGS = ("what", "why", "fix", "example", "use_instead", "references")
HEADING_TITLES = {
    "what": "What it flags",
    "why": "Why it hurts at scale",
    "fix": "How to fix",
    "example": "Example",
    "use_instead": "Use instead",
    "options": "Options",
    "references": "References",
}


def _builtin_rules_dir() -> Path:
    """`rules/` of a source checkout, or the copy an installed wheel carries as `auditor.builtin_rules`."""
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parents[1] / "builtin_rules"


BUILTIN_RULES_DIR = _builtin_rules_dir()
_ID = re.compile(r"^([A-Z]+)(\d{3})$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TOP_KEYS = {"id", "slug", "category", "severity", "status", "title", "aliases", "docs", "options", "check", "examples"}
OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "str": str,
    "list": list,
}


class RuleError(Exception):
    """A rule file that does not follow the format; the message names the file and the key."""


@dataclass(frozen=True)
class Option:
    name: str
    type: str
    default: Any
    doc: str


@dataclass(frozen=True)
class Example:
    """A small repo given as {relative path: content}; `# expect: ID` comments mark expected findings."""

    files: dict[str, str] = field(hash=False, compare=False)
    note: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    category: str
    severity: str
    status: str
    title: str
    docs: dict[str, Any] = field(hash=False, compare=False)
    options: tuple[Option, ...]
    check: dict[str, Any] = field(hash=False, compare=False)
    bad: tuple[Example, ...]
    good: tuple[Example, ...]
    aliases: tuple[str, ...] = ()
    path: str = ""

    @property
    def fix(self) -> str:
        """The fix text, one paragraph per format (used when nothing says which format applies)."""
        return self.fix_for(())

    def fix_for(self, formats: Iterable[str]) -> str:
        """The fix paragraphs for the given formats (e.g. {"kubernetes", "spring"}), or all when none match."""
        fix = self.docs.get("fix", "")
        if not isinstance(fix, dict):
            return _unwrap(str(fix))
        wanted = {f.lower() for f in formats}
        chosen = {fmt: text for fmt, text in fix.items() if str(fmt).lower() in wanted} or fix
        return "\n".join(f"{fmt}: {_unwrap(str(text))}" for fmt, text in chosen.items())

    def option_defaults(self) -> dict[str, Any]:
        return {option.name: option.default for option in self.options}


def _unwrap(text: str) -> str:
    """YAML block text as one line per paragraph (line breaks inside a paragraph are only layout)."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text.strip())


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise RuleError(f"{where}: missing required key {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise RuleError(f"{where}: {key!r} must be {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    return value


def _examples(raw: Any, where: str) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"{where}: needs at least one example")
    examples = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("files"), dict) or not item["files"]:
            raise RuleError(f"{where}[{index}]: an example is a mapping with a non-empty 'files' mapping")
        files = {str(name): str(text) for name, text in item["files"].items()}
        examples.append(Example(files, str(item.get("note", ""))))
    return tuple(examples)


def _options(raw: Any, where: str) -> tuple[Option, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: 'options' must be a mapping of name → {{type, default, doc}}")
    options = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or spec.get("type") not in OPTION_TYPES or "default" not in spec:
            raise RuleError(f"{where}: option {name!r} needs type ({', '.join(OPTION_TYPES)}), default and doc")
        if not isinstance(spec["default"], OPTION_TYPES[spec["type"]]):
            raise RuleError(f"{where}: option {name!r} default is not of type {spec['type']}")
        options.append(Option(str(name), spec["type"], spec["default"], str(spec.get("doc", ""))))
    return tuple(options)


def parse_rule(data: Any, path: str, known_checks: Iterable[str], templates: Iterable[str]) -> Rule:
    """Validate one rule file's content and return the Rule."""
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rule file holds one mapping")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RuleError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    rule_id = _require(data, "id", str, path)
    where = f"{path} ({rule_id})"
    match = _ID.match(rule_id)
    category = _require(data, "category", str, where)
    if category not in CATEGORIES:
        raise RuleError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    if not match or match.group(1) != CATEGORY_PREFIX[category]:
        raise RuleError(f"{where}: id must be {CATEGORY_PREFIX[category]} plus three digits for category {category}")
    slug = _require(data, "slug", str, where)
    if not _SLUG.match(slug) or slug.startswith("ensure-"):
        raise RuleError(f"{where}: slug {slug!r} must be kebab-case naming the anti-pattern (not 'ensure-…')")
    severity = _require(data, "severity", str, where)
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    status = str(data.get("status", "stable"))
    if status not in ("stable", "preview", "deprecated"):
        raise RuleError(f"{where}: status {status!r} is not stable, preview or deprecated")
    docs = _require(data, "docs", dict, where)
    for heading in DOC_HEADINGS:
        if not docs.get(heading):
            raise RuleError(f"{where}: docs need a non-empty {heading!r} ({HEADING_TITLES[heading]})")
    check = _require(data, "check", dict, where)
    if ("function" in check) == ("template" in check):
        raise RuleError(f"{where}: check names exactly one of 'function' or 'template'")
    if "function" in check and check["function"] not in set(known_checks):
        raise RuleError(f"{where}: check function {check['function']!r} is not a known check")
    options = _options(data.get("options"), where)
    if "template" in check:
        if check["template"] not in set(templates):
            raise RuleError(f"{where}: check template {check['template']!r} is not one of {', '.join(templates)}")
        _check_message(check.get("message"), options, where)
    examples = _require(data, "examples", dict, where)
    return Rule(
        id=rule_id,
        slug=slug,
        category=category,
        severity=severity,
        status=status,
        title=_require(data, "title", str, where),
        docs=docs,
        options=options,
        check=check,
        bad=_examples(examples.get("bad"), f"{where} examples.bad"),
        good=_examples(examples.get("good"), f"{where} examples.good"),
        aliases=tuple(str(a) for a in data.get("aliases", []) or []),
        path=path,
    )


def _check_message(message: Any, options: tuple[Option, ...], where: str) -> None:
    """A template's message: a string whose placeholders name node fields or the rule's options only."""
    if not isinstance(message, str) or not message.strip():
        raise RuleError(f"{where}: check.message must be a non-empty string")
    try:
        placeholders(message, [*NODE_FIELDS, *(option.name for option in options)])
    except MessageError as error:
        raise RuleError(f"{where}: check.message: {error}") from None


def load_rules(directories: Iterable[Path], known_checks: Iterable[str], templates: Iterable[str]) -> list[Rule]:
    """All rules from the given folders, sorted by id; duplicate ids or slugs are an error."""
    known = list(known_checks)
    template_names = list(templates)
    rules: dict[str, Rule] = {}
    slugs: dict[str, str] = {}
    for directory in directories:
        if not directory.is_dir():
            raise RuleError(f"{directory}: rule folder does not exist")
        for path in sorted(directory.glob("*.yaml")):
            rule = _known_rule(path) or parse_rule(_read_rule_file(path), str(path), known, template_names)
            for name in (rule.id, rule.slug, *rule.aliases):
                owner = slugs.get(name)
                if owner is not None:
                    raise RuleError(f"{path}: {name!r} is already used by {owner}")
                slugs[name] = rule.path
            rules[rule.id] = rule
    return [rules[key] for key in sorted(rules)]


def load_all_rules(extra_dirs: list[Path] | None = None) -> list[Rule]:
    """Built-in rules plus the user's rule folders (validated; raises RuleError on a malformed rule)."""
    return load_rules([BUILTIN_RULES_DIR, *(extra_dirs or [])], known_checks(), TEMPLATE_NAMES)


# The built-in rules as parsed by the resident process (auditor/resident.py `_preload`), by file and the file's
# (size, mtime, ctime, inode) then: a command it forks does not parse them again while the files are unchanged.
# Empty in any other process.
_PRELOADED: dict[str, tuple[tuple[int, int, int, int], Rule]] = {}


def preload_builtin_rules() -> None:
    for rule in load_all_rules():
        info = os.lstat(rule.path)
        _PRELOADED[rule.path] = ((info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino), rule)


def _known_rule(path: Path) -> Rule | None:
    known = _PRELOADED.get(str(path))
    if known is None:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return known[1] if known[0] == (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino) else None


def _read_rule_file(path: Path) -> Any:
    """One rule file's mapping. Rule folders may come from the audited repository: a link is not followed,
    the file is size-bounded, and the YAML loader is the bounded one the parsers use."""
    if path.is_symlink():
        raise RuleError(f"{path}: is a symbolic link; rule files are not read through links")
    try:
        text = read_text(path, MAX_CONFIG_BYTES, "rule file")
    except RepoFileError as error:
        raise RuleError(str(error)) from None
    documents, problem = load_documents(text)
    if problem is not None:
        raise RuleError(f"{path}:{problem.line or 1}: cannot be read as YAML: {problem.message}")
    if len(documents) != 1:
        raise RuleError(f"{path}: a rule file holds exactly one YAML document")
    return documents[0].value


def find_rule(rules: Iterable[Rule], name: str) -> Rule | None:
    """A rule by id, slug or alias (case-insensitive for ids)."""
    for rule in rules:
        if name.upper() == rule.id or name == rule.slug or name in rule.aliases:
            return rule
    return None
