"""Findings remembered between runs, by what they were computed from, for the hook's comparison.

The graph is a function of the gathered facts and the findings a function of the graph, the rules and the
options, so a run whose gathered facts have the digest of an earlier one (`facts_digest`: each file kept, each
Facts by the cache entry it came from) under the same rules, options and tool code reports the same findings.
The hook's second audit (engine/changes.py) is of the committed state, which is usually a state an earlier hook
run audited as its work tree (the last commit), or as its own committed state (a commit tried again after a
fix): it then needs neither the graph nor the rules, only the fingerprints kept here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from auditor.audit import AuditOptions, AuditResult
from auditor.cache import ParseCache, encode
from auditor.discover import Inventory
from auditor.engine.rules import Rule
from auditor.model import Facts

_PACKAGE = Path(__file__).resolve().parent.parent
_CODE_SUFFIXES = (".py", ".yaml", ".scm")


@functools.cache
def _code_fingerprint() -> str:
    """A digest of the tool's own code and data (every check, graph step and knowledge file): a run of other
    code may find other things in the same facts."""
    digest = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*") if p.suffix in _CODE_SUFFIXES and p.is_file()):
        digest.update(f"{path.relative_to(_PACKAGE).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def judged_key(digest: str, options: AuditOptions, rules: list[Rule]) -> str:
    """What decides the reported findings besides the rules that run (`Judged` keeps which did): the facts'
    digest, every rule's definition (a suppression may name any of them), and the options that change what
    is reported."""
    material = repr((_code_fingerprint(), digest, [repr(rule) for rule in rules], options.rule_options,
                     options.severities, options.ignores, options.baseline, options.baseline_name,
                     options.today.isoformat(), options.min_severity))
    return hashlib.sha256(material.encode()).hexdigest()


def facts_digest(inventory: Inventory, facts: list[Facts], cache: ParseCache | None) -> str | None:
    """A name for everything the graph and the findings are computed from: each file discovery kept (path, kind,
    content: suppression comments are read from the files), and each Facts in order, by the cache entry it came
    from where it has one (`ParseCache.origin`: the entry's name is a digest of its inputs), else by its content;
    None without a cache or when some Facts cannot be named. Computed only by the hook, which alone needs it."""
    if cache is None:
        return None
    digest = hashlib.sha256()
    for source in inventory.files:
        digest.update(f"{source.path}\0{source.kind}\0{source.sha256}\n".encode())
    for item in facts:
        origin = cache.origin(item)
        if origin is None:
            try:
                text = json.dumps(encode(item), separators=(",", ":"))
            except (TypeError, ValueError, RecursionError):
                return None
            origin = "=" + hashlib.sha256(text.encode()).hexdigest()
        digest.update(f"{origin}\n".encode())
    return digest.hexdigest()


def remember(result: AuditResult, options: AuditOptions, digest: str | None) -> None:
    """Keep what `result` reported under its facts' `digest`, for a later run of the same facts (nothing without
    a cache or a digest)."""
    if options.cache is None or digest is None:
        return
    ran = frozenset(rule.id for rule in result.rules if rule.id not in options.disabled)
    options.cache.store_judged(judged_key(digest, options, result.rules), ran,
                               [(finding.rule_id, finding.fingerprint) for finding in result.findings])


def recall(digest: str | None, options: AuditOptions, rules: list[Rule]) -> set[str] | None:
    """The fingerprints an earlier run of these facts reported for the rules `options` leaves active, or None
    when no run that ran all of them is known."""
    if options.cache is None or digest is None:
        return None
    judged = options.cache.load_judged(judged_key(digest, options, rules))
    if judged is None:
        return None
    ran, findings = judged
    wanted = {rule.id for rule in rules if rule.id not in options.disabled}
    if not wanted <= ran:
        return None
    return {fingerprint for rule_id, fingerprint in findings if rule_id in wanted}
