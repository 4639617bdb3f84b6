"""Baselines: a file of accepted findings, by fingerprint, so CI fails only on new ones.

Fingerprints are built from rule id and resource identity, never from line numbers, so moving lines or
editing unrelated files leaves every entry valid. The file records path and message only to help a reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from auditor import __version__
from auditor.model import Finding
from auditor.repofiles import MAX_BASELINE_BYTES, RepoFileError, read_text

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used (the message names the file)."""


def baseline_text(findings: Iterable[Finding]) -> str:
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "path": f.location.path, "message": f.message}
            for f in findings
        ),
        key=lambda e: (e["rule_id"], e["path"], e["fingerprint"]),
    )
    unique = list({e["fingerprint"]: e for e in entries}.values())
    data = {"version": BASELINE_VERSION, "tool": {"name": "scale-auditor", "version": __version__}, "findings": unique}
    return json.dumps(data, indent=2) + "\n"


def read_baseline(path: Path) -> dict[str, str]:
    """fingerprint → rule id of every accepted finding. Errors name the file, never echo its content."""
    try:
        text = read_text(path, MAX_BASELINE_BYTES, "baseline file")
    except RepoFileError as error:
        hint = " (create it with `audit baseline`)" if not path.exists() else ""
        raise BaselineError(f"{error}{hint}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: cannot be read as a baseline: not valid JSON") from None
    except (ValueError, RecursionError):  # an integer of thousands of digits, or nesting beyond the stack
        raise BaselineError(f"{path}: cannot be read as a baseline: not a scale-auditor baseline") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise BaselineError(f"{path}: not a version-{BASELINE_VERSION} scale-auditor baseline")
    accepted: dict[str, str] = {}
    for index, entry in enumerate(data["findings"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: findings[{index}] has no fingerprint")
        rule_id = entry.get("rule_id", "")
        accepted[entry["fingerprint"]] = rule_id if isinstance(rule_id, str) else ""
    return accepted
