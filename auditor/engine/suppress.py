"""Suppressions: one syntax everywhere, always with a reason, and audited.

Written in the repo:
- a comment on the finding's line, or on the line above it or above its block (any format with `#`, `//`
  or `;` comments): `# audit: ignore[AVAIL001] staging runs one NAT on purpose`;
- a file-wide comment: `# audit: ignore-file[OBS001] tracing is injected by the platform`;
- a Kubernetes annotation or a compose label on the resource, key `scale-auditor.dev/ignore`, value
  `ignore[AVAIL005] reason` (several: `ignore[A] reason; ignore[B] other reason`).
Kept outside the repo's files: config `ignore:` entries (rule + resource, reason, optional expiry) and a
baseline of accepted fingerprints. A suppression without a reason, naming an unknown rule, past its expiry
or matching nothing is reported as a diagnostic, so suppressions cannot silently rot.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from auditor.config import IgnoreEntry
from auditor.discover import SourceFile
from auditor.engine.rules import Rule, find_rule
from auditor.model import SUPPRESSION_MARK, Diagnostic, Finding, Location, Node, Suppression

ANNOTATION_KEY = "scale-auditor.dev/ignore"
# The rule list inside `[...]` is bounded, so a line of many unclosed `ignore[` stays linear to scan.
_COMMENT = re.compile(r"(?:#|//|;)\s*audit:\s*(ignore|ignore-file)\[([^\]\r\n]{0,512})\][ \t]*([^\r\n]*)")
_VALUE = re.compile(r"ignore\[([^\]]{0,512})\][ \t]*([^;]*)")


@dataclass(frozen=True)
class Marker:
    """A suppression written in the repo, resolved to rule ids."""

    mechanism: str  # inline | file | annotation | label
    rule_ids: tuple[str, ...]
    reason: str
    location: Location
    own_line: bool = False  # a comment alone on its line covers the next line / block
    subject: str | None = None  # annotation/label: the node it sits on

    def covers(self, finding: Finding, node: Node | None) -> bool:
        if finding.rule_id not in self.rule_ids:
            return False
        if self.mechanism in ("annotation", "label"):
            return finding.subject == self.subject
        if self.mechanism == "file":
            return finding.location.path == self.location.path
        line = self.location.line + (1 if self.own_line else 0)
        if finding.location.path == self.location.path and finding.location.line in (self.location.line, line):
            return True
        return node is not None and node.location.path == self.location.path and node.location.line == line

    def suppression(self) -> Suppression:
        return Suppression(self.mechanism, self.reason, self.location, self.rule_ids)  # type: ignore[arg-type]


def _resolve_names(names: str, rules: list[Rule], where: Location, diagnostics: list[Diagnostic]) -> tuple[str, ...]:
    ids = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        rule = find_rule(rules, name)
        if rule is None:
            diagnostics.append(
                Diagnostic(
                    where.path, f"suppression names unknown rule {name!r}", where.line, "bad-suppression", "warning"
                )
            )
        else:
            ids.append(rule.id)
    return tuple(ids)


def _marker(
    mechanism: str,
    names: str,
    reason: str,
    where: Location,
    rules: list[Rule],
    diagnostics: list[Diagnostic],
    own_line: bool = False,
    subject: str | None = None,
) -> Marker | None:
    reason = reason.strip().strip("-—:").strip()
    if not reason:
        diagnostics.append(
            Diagnostic(
                where.path,
                f"suppression of {names.strip()} has no reason and is ignored (write the reason after the brackets)",
                where.line,
                "bad-suppression",
                "warning",
            )
        )
        return None
    ids = _resolve_names(names, rules, where, diagnostics)
    return Marker(mechanism, ids, reason, where, own_line, subject) if ids else None


def comment_markers(files: Iterable[SourceFile], rules: list[Rule]) -> tuple[list[Marker], list[Diagnostic]]:
    """Suppression comments in the audited files' text (already read; nothing is opened again). A file without a
    text, left unread as unchanged (discover.py `Remembered`) or released once parsed (scan.py `_released`), has
    no suppression mark."""
    markers: list[Marker] = []
    diagnostics: list[Diagnostic] = []
    for source in files:
        if source.text is None or SUPPRESSION_MARK not in source.text:
            continue
        for number, line in enumerate(source.text.splitlines(), start=1):
            match = _COMMENT.search(line)
            if match is None:
                continue
            mechanism = "file" if match.group(1) == "ignore-file" else "inline"
            own_line = not line[: match.start()].strip()
            marker = _marker(
                mechanism, match.group(2), match.group(3), Location(source.path, number), rules, diagnostics, own_line
            )
            if marker is not None:
                markers.append(marker)
    return markers, diagnostics


def resource_markers(graph: nx.MultiDiGraph, rules: list[Rule]) -> tuple[list[Marker], list[Diagnostic]]:
    """Suppressions in Kubernetes annotations and compose labels, bound to the resource that carries them."""
    markers: list[Marker] = []
    diagnostics: list[Diagnostic] = []
    for ident in sorted(graph.nodes):
        node: Node = graph.nodes[ident]["node"]
        key, mechanism = ("annotations", "annotation") if node.source == "kubernetes" else ("labels", "label")
        values = node.attrs.get(key)
        if node.source not in ("kubernetes", "compose") or not isinstance(values, dict):
            continue
        value = values.get(ANNOTATION_KEY)
        if not isinstance(value, str):
            continue
        where = node.evidence.get(key, node.location)
        found = list(_VALUE.finditer(value))
        if not found:
            diagnostics.append(
                Diagnostic(
                    where.path,
                    f"{ANNOTATION_KEY} must read `ignore[RULE] reason`",
                    where.line,
                    "bad-suppression",
                    "warning",
                )
            )
        for match in found:
            marker = _marker(mechanism, match.group(1), match.group(2), where, rules, diagnostics, subject=ident)
            if marker is not None:
                markers.append(marker)
    return markers, diagnostics


def _entry_covers(entry: IgnoreEntry, rule_id: str, finding: Finding, node: Node | None) -> bool:
    if finding.rule_id != rule_id:
        return False
    if entry.path is not None and not fnmatch.fnmatch(finding.location.path, entry.path):
        return False
    names = [finding.subject] + ([node.name] if node is not None else [])
    return any(name == entry.resource or fnmatch.fnmatchcase(name, entry.resource) for name in names)


@dataclass
class Outcome:
    kept: list[Finding]
    suppressed: list[tuple[Finding, Suppression]]
    diagnostics: list[Diagnostic]


def apply_suppressions(
    findings: list[Finding],
    graph: nx.MultiDiGraph,
    markers: list[Marker],
    ignores: list[IgnoreEntry],
    baseline: dict[str, str],
    rules: list[Rule],
    today: dt.date,
    baseline_name: str = "baseline",
    checked: set[str] | None = None,
) -> Outcome:
    """Split findings into kept and suppressed; report suppressions that are unused, expired or malformed.

    `checked` is the ids of the rules that ran (None: all); a suppression naming only rules that did not run
    (`--select`, `--skip`, `rules.disable`) is not "unused": nothing was checked for it to match.
    """
    diagnostics: list[Diagnostic] = []
    live: list[tuple[IgnoreEntry, str]] = []
    for entry in ignores:
        rule = find_rule(rules, entry.rule)
        if rule is None:
            diagnostics.append(
                Diagnostic(
                    entry.source, f"ignore entry names unknown rule {entry.rule!r}", None, "bad-suppression", "warning"
                )
            )
        elif entry.expires is not None and entry.expires < today:
            diagnostics.append(
                Diagnostic(
                    entry.source,
                    f"ignore entry for {entry.rule} on {entry.resource!r} expired "
                    f"on {entry.expires.isoformat()} and no longer suppresses",
                    None,
                    "expired-suppression",
                    "warning",
                )
            )
        else:
            live.append((entry, rule.id))
    used_markers: set[Marker] = set()
    used_entries: set[int] = set()
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    marker_index = _MarkerIndex(markers)
    entries_by_rule: dict[str, list[int]] = defaultdict(list)  # an entry only ever covers its own rule's findings
    for position, (_, rule_id) in enumerate(live):
        entries_by_rule[rule_id].append(position)
    for finding in findings:
        node = graph.nodes[finding.subject]["node"] if finding.subject in graph else None
        reason = marker_index.first(finding, node)
        if reason is not None:
            used_markers.add(reason)
            suppressed.append((finding, reason.suppression()))
            continue
        entry_index = next((i for i in entries_by_rule.get(finding.rule_id, ())
                            if _entry_covers(live[i][0], live[i][1], finding, node)), None)
        if entry_index is not None:
            used_entries.add(entry_index)
            entry = live[entry_index][0]
            suppressed.append((finding, Suppression("config", entry.reason, None, (live[entry_index][1],))))
            continue
        if finding.fingerprint in baseline:
            suppressed.append(
                (finding, Suppression("baseline", f"accepted in {baseline_name}", None, (finding.rule_id,)))
            )
            continue
        kept.append(finding)
    def ran(rule_ids: Iterable[str]) -> bool:
        return checked is None or any(rule_id in checked for rule_id in rule_ids)

    for marker in markers:
        if marker not in used_markers and ran(marker.rule_ids):
            diagnostics.append(
                Diagnostic(
                    marker.location.path,
                    f"unused suppression: {marker.mechanism} ignore[{', '.join(marker.rule_ids)}] matches no finding",
                    marker.location.line,
                    "unused-suppression",
                    "warning",
                )
            )
    for index, (entry, rule_id) in enumerate(live):
        if index not in used_entries and ran((rule_id,)):
            diagnostics.append(
                Diagnostic(
                    entry.source,
                    f"unused suppression: ignore entry for {rule_id} on {entry.resource!r} matches no finding",
                    None,
                    "unused-suppression",
                    "warning",
                )
            )
    return Outcome(kept, suppressed, diagnostics)


class _MarkerIndex:
    """Markers by the (rule, subject / file / line) they can cover, so matching a finding is a few lookups
    rather than a scan of every marker (a file with a suppression per resource has thousands)."""

    def __init__(self, markers: list[Marker]) -> None:
        self.markers = markers
        self.positions: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for position, marker in enumerate(markers):
            for rule_id in marker.rule_ids:
                for key in self._keys(marker, rule_id):
                    self.positions[key].append(position)

    @staticmethod
    def _keys(marker: Marker, rule_id: str) -> list[tuple[object, ...]]:
        """Every key under which `Marker.covers` may say yes; `first` still asks `covers` itself."""
        where = marker.location
        if marker.mechanism in ("annotation", "label"):
            return [("subject", rule_id, marker.subject)]
        if marker.mechanism == "file":
            return [("file", rule_id, where.path)]
        line = where.line + (1 if marker.own_line else 0)
        return [("line", rule_id, where.path, where.line), ("line", rule_id, where.path, line),
                ("node", rule_id, where.path, line)]

    def first(self, finding: Finding, node: Node | None) -> Marker | None:
        """The first marker (in the order given) that covers the finding, as a scan of all of them would find."""
        where = finding.location
        keys: list[tuple[object, ...]] = [("subject", finding.rule_id, finding.subject),
                                          ("file", finding.rule_id, where.path),
                                          ("line", finding.rule_id, where.path, where.line)]
        if node is not None:
            keys.append(("node", finding.rule_id, node.location.path, node.location.line))
        candidates = sorted({position for key in keys for position in self.positions.get(key, ())})
        return next((self.markers[p] for p in candidates if self.markers[p].covers(finding, node)), None)
