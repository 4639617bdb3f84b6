"""Report paths relative to the repository root, whatever folder was audited.

`audit K8s` reads its files as paths relative to the folder it audits (`Istio/gateway.yaml`), and so do the
stages up to the findings: rules, suppressions, the `.auditor.yaml` of that folder (its `exclude` and
`ignore: path:` globs are written relative to it) and fingerprints, which come from resource identities,
never from paths a report shows. Reports are read against the repository (code scanning, GitLab, an
editor), so before they are written every path in the result is made relative to the repository root:
`K8s/Istio/gateway.yaml`. Fingerprints are left as they are, so a baseline keeps matching audits of the
folder it was written from.

The repository root is the nearest folder at or above the audited one holding `.git` (a directory, or the
file a worktree or submodule has). git itself is never run: it would read the audited repository's own
configuration, which can name programs to run. `--root DIR` names the root instead; with neither, the
audited folder is the root and nothing moves.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from auditor.audit import AuditResult
from auditor.discover import Inventory
from auditor.engine.run import RuleRun
from auditor.engine.score import Score
from auditor.model import Diagnostic, Finding, Location, Suppression
from auditor.scan import Scan


def repository_root(audited: Path) -> Path:
    """The nearest folder at or above `audited` that holds `.git`; `audited` itself when none does."""
    start = audited.resolve()
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return start


def audited_prefix(audited: Path, root: Path) -> str:
    """`K8s` for the folder `<root>/K8s`, "" for the root itself; ValueError when `audited` is not inside `root`."""
    relative = audited.resolve().relative_to(root.resolve()).as_posix()
    return "" if relative == "." else relative


class _Move:
    """Puts the audited folder's prefix in front of every path that is relative to it."""

    def __init__(self, prefix: str, audited: Path, known: set[str]) -> None:
        self.prefix = prefix
        self.audited = audited
        self.known = known  # paths discovery met (files read and skipped): they name files of the audited folder
        # A location or finding met many times (evidence lines, a finding in the runs, the score and the list)
        # is moved once: a 300-service repository holds tens of thousands of them.
        self._locations: dict[Location, Location] = {}
        self._findings: dict[int, Finding] = {}

    def path(self, path: str) -> str:
        return self.prefix if path in ("", ".") else f"{self.prefix}/{path}"

    def location(self, location: Location) -> Location:
        moved = self._locations.get(location)
        if moved is None:
            moved = self._locations[location] = Location(self.path(location.path), location.line, location.end_line)
        return moved

    def finding(self, finding: Finding) -> Finding:
        moved = self._findings.get(id(finding))
        if moved is None:
            related = tuple(dataclasses.replace(r, location=self.location(r.location)) for r in finding.related)
            moved = dataclasses.replace(finding, location=self.location(finding.location), related=related)
            self._findings[id(finding)] = moved
        return moved

    def suppression(self, suppression: Suppression) -> Suppression:
        if suppression.location is None:
            return suppression
        return dataclasses.replace(suppression, location=self.location(suppression.location))

    def diagnostic(self, diagnostic: Diagnostic) -> Diagnostic:
        """A diagnostic about a file or folder of the audited tree moves; one about something else (a rule file
        given on the command line, an `ignore:` entry of the config, an absolute path) stays as it was written."""
        path = diagnostic.path
        inside = path in self.known or (not os.path.isabs(path) and os.path.lexists(self.audited / path))
        return dataclasses.replace(diagnostic, path=self.path(path)) if inside else diagnostic

    def run(self, run: RuleRun) -> RuleRun:
        undecided = [dataclasses.replace(note, location=self.location(note.location)) for note in run.undecided]
        return dataclasses.replace(run, findings=[self.finding(f) for f in run.findings], undecided=undecided)

    def score(self, score: Score) -> Score:
        return dataclasses.replace(score, costliest=tuple((self.finding(f), cost) for f, cost in score.costliest),
                                   costs=tuple((self.finding(f), cost) for f, cost in score.costs))

    def scan(self, scan: Scan, root: Path) -> Scan:
        inventory = scan.inventory
        moved = Inventory(
            files=[dataclasses.replace(source, path=self.path(source.path)) for source in inventory.files],
            skipped=[dataclasses.replace(skip, path=self.path(skip.path)) for skip in inventory.skipped],
            diagnostics=[self.diagnostic(d) for d in inventory.diagnostics],
            charts=[self.path(chart) for chart in inventory.charts],
        )
        graph = scan.graph.copy()  # fresh attribute dicts: the audited result's graph is left as it was
        for _, data in graph.nodes(data=True):
            node = data.get("node")
            if node is not None:
                data["node"] = dataclasses.replace(
                    node,
                    location=self.location(node.location),
                    evidence={key: self.location(where) for key, where in node.evidence.items()},
                    settings=tuple(dataclasses.replace(s, location=self.location(s.location)) for s in node.settings),
                )
        for _, _, data in graph.edges(data=True):
            edge = data.get("edge")
            if edge is not None:
                data["edge"] = dataclasses.replace(edge, location=self.location(edge.location))
        # Facts keep the paths they were parsed with: no reporter reads them.
        return dataclasses.replace(scan, root=root, inventory=moved, graph=graph,
                                   diagnostics=[self.diagnostic(d) for d in scan.diagnostics])


def relocate(result: AuditResult, root: Path) -> AuditResult:
    """The same result with every path relative to `root` (which must hold the audited folder) and
    `scan.root` set to it; `audited` says which folder was audited. Findings keep their fingerprints."""
    prefix = audited_prefix(result.scan.root, root)
    if not prefix:
        return result
    inventory = result.scan.inventory
    move = _Move(prefix, result.scan.root, {f.path for f in inventory.files} | {s.path for s in inventory.skipped})
    return dataclasses.replace(
        result,
        scan=move.scan(result.scan, root.resolve()),
        runs=[move.run(run) for run in result.runs],
        findings=[move.finding(f) for f in result.findings],
        score=move.score(result.score),
        diagnostics=[move.diagnostic(d) for d in result.diagnostics],
        suppressed=[(move.finding(f), move.suppression(s)) for f, s in result.suppressed],
        audited=prefix,
    )
