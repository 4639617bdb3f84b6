"""Run `audit` on the real repositories of bench/corpus.yaml and compare with the hand-reviewed verdicts.

    python bench/realrepos.py SNAPSHOT_DIR [--update] [--repo NAME]

SNAPSHOT_DIR holds one extracted snapshot per corpus entry, named as the entry. For every root it
prints the findings per rule, what is new (no verdict yet) and what disappeared since the review,
then the precision per rule over the reviewed medium-or-higher findings. Reviews live in
bench/reviews/NAME.json (root ".") or NAME@ROOT.json: a list of
{rule, path, line, subject, severity, verdict: true|false|unsure|unreviewed, reason}.
`--update` appends new medium+ findings as "unreviewed", to be judged by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REVIEWS = BENCH / "reviews"
REVIEWED = ("critical", "high", "medium")  # severities that are judged by hand
VERDICTS = ("true", "false", "unsure", "unreviewed")
TIMEOUT = 600


def audit_command() -> list[str]:
    exe = Path(sys.executable).parent / "audit"
    return [str(exe)] if exe.exists() else [shutil.which("audit") or "audit"]


def review_file(name: str, root: str) -> Path:
    return REVIEWS / (f"{name}.json" if root == "." else f"{name}@{root.strip('/').replace('/', '+')}.json")


def run_audit(root: Path, out: Path) -> tuple[dict | None, float, str]:
    """The JSON report of `audit ROOT`, its run time, and an error text when it failed."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [*audit_command(), str(root), "-f", "json", "-o", str(out)],
            capture_output=True, text=True, timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - start, f"timed out after {TIMEOUT}s"
    elapsed = time.monotonic() - start
    if proc.returncode not in (0, 1) or not out.exists():
        return None, elapsed, f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"
    return json.loads(out.read_text()), elapsed, ""


def entry_of(finding: dict) -> dict:
    loc = finding["location"]
    return {"rule": finding["rule_id"], "path": loc["path"], "line": loc["line"],
            "subject": finding["subject"], "severity": finding["severity"]}


def key(entry: dict, with_line: bool = True) -> tuple:
    base = (entry["rule"], entry["path"], entry["subject"])
    return (*base, entry["line"]) if with_line else base


def match(current: list[dict], reviewed: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Pair findings with verdicts: exactly, else by (rule, path, subject) when that is unambiguous
    on both sides (a line that moved). Returns pairs, new findings, and verdicts that disappeared."""
    by_key = defaultdict(list)
    for r in reviewed:
        by_key[key(r)].append(r)
    pairs, rest = [], []
    for c in current:
        hits = by_key.get(key(c))
        if hits:
            pairs.append((c, hits.pop()))
        else:
            rest.append(c)
    left = [r for hits in by_key.values() for r in hits]
    loose_left = Counter(key(r, False) for r in left)
    loose_rest = Counter(key(c, False) for c in rest)
    new = []
    for c in rest:
        k = key(c, False)
        r = next((r for r in left if key(r, False) == k), None)
        if r is not None and loose_left[k] == 1 and loose_rest[k] == 1:
            pairs.append((c, r))
            left.remove(r)
        else:
            new.append(c)
    # A citation that moved to another file of the same subject (a base file cited instead of a variant):
    # paired in line order when the rule and subject have as many new findings as vanished verdicts.
    by_subject = lambda e: (e["rule"], e["subject"])  # noqa: E731
    moved_left, moved_new = defaultdict(list), defaultdict(list)
    for r in left:
        moved_left[by_subject(r)].append(r)
    for c in new:
        moved_new[by_subject(c)].append(c)
    for k, found in moved_new.items():
        lost = moved_left.get(k, [])
        if lost and len(lost) == len(found):
            for c, r in zip(sorted(found, key=lambda e: e["line"]), sorted(lost, key=lambda e: e["line"]), strict=True):
                pairs.append((c, {**r, "reason": f"(moved from {r['path']}:{r['line']}) {r.get('reason', '')}"}))
                new.remove(c)
                left.remove(r)
    return pairs, new, left


def show(entry: dict) -> str:
    return f"{entry['rule']} {entry['path']}:{entry['line']} {entry['subject']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshots", type=Path, help="folder with one snapshot per corpus entry")
    parser.add_argument("--update", action="store_true", help="append new findings as unreviewed")
    parser.add_argument("--repo", action="append", help="only this corpus entry (repeatable)")
    parser.add_argument("--corpus", type=Path, default=BENCH / "corpus.yaml")
    parser.add_argument("--show", action="append", default=[], metavar="RULE",
                        help="also print every current finding of RULE with its verdict (repeatable)")
    args = parser.parse_args(argv)

    repos = yaml.safe_load(args.corpus.read_text())["repos"]
    if args.repo:
        repos = [r for r in repos if r["name"] in args.repo]
    totals: Counter = Counter()
    verdicts: dict[str, Counter] = defaultdict(Counter)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for repo in repos:
            for root in repo["roots"]:
                path = args.snapshots / repo["name"] / root
                label = f"{repo['name']}:{root}"
                if not path.is_dir():
                    print(f"\n== {label}: missing snapshot {path}")
                    failed += 1
                    continue
                report, elapsed, error = run_audit(path, Path(tmp) / "report.json")
                if report is None:
                    print(f"\n== {label}: audit failed ({elapsed:.1f}s): {error}")
                    failed += 1
                    continue
                findings = [entry_of(f) for f in report["findings"]]
                print(f"\n== {label}  {elapsed:.1f}s  {report['coverage']['files_audited']} files  "
                      f"{len(findings)} findings  {len(report['diagnostics'])} diagnostics")
                by_rule = Counter(f["rule"] for f in findings)
                judged = [f for f in findings if f["severity"] in REVIEWED]
                judged_by_rule = Counter(f["rule"] for f in judged)
                totals.update(by_rule)
                print("   " + "  ".join(f"{r}={n}({judged_by_rule[r]} med+)" for r, n in sorted(by_rule.items())))

                file = review_file(repo["name"], root)
                reviewed = json.loads(file.read_text()) if file.exists() else []
                pairs, new, gone = match(judged, reviewed)
                for current, verdict in pairs:
                    verdicts[verdict["rule"]][verdict["verdict"]] += 1
                    if current["rule"] in args.show:
                        print(f"   {verdict['verdict']:<6}{show(current)}  ({verdict.get('reason', '')[:110]})")
                print(f"   reviewed {len(pairs)}, new {len(new)}, gone {len(gone)}")
                for c in new:
                    print(f"   new   {show(c)}")
                    verdicts[c["rule"]]["unreviewed"] += 1
                for r in gone:
                    print(f"   gone  {show(r)}  (was {r['verdict']}: {r.get('reason', '')})")
                if args.update and new:
                    REVIEWS.mkdir(exist_ok=True)
                    reviewed += [{**c, "verdict": "unreviewed", "reason": ""} for c in new]
                    reviewed.sort(key=lambda r: (r["path"], r["line"], r["rule"], r["subject"]))
                    file.write_text(json.dumps(reviewed, indent=1) + "\n")

    print("\n== findings per rule (all severities)")
    print("   " + "  ".join(f"{r}={n}" for r, n in sorted(totals.items())))
    print("\n== precision over reviewed medium+ findings: true / (true + false)")
    print(f"   {'rule':9} {'prec':>5} " + " ".join(f"{v:>10}" for v in VERDICTS))
    for rule in sorted(verdicts):
        c = verdicts[rule]
        judged_n = c["true"] + c["false"]
        prec = f"{c['true'] / judged_n:.2f}" if judged_n else "-"
        print(f"   {rule:9} {prec:>5} " + " ".join(f"{c[v]:>10}" for v in VERDICTS))
    all_c = sum(verdicts.values(), Counter())
    if all_c["true"] + all_c["false"]:
        print(f"   {'all':9} {all_c['true'] / (all_c['true'] + all_c['false']):.2f} "
              + " ".join(f"{all_c[v]:>10}" for v in VERDICTS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
