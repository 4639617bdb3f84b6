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
    """fingerprint → rule id of every accepted finding."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file does not exist (create it with `audit baseline`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: cannot be read as a baseline: {error}") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise BaselineError(f"{path}: not a version-{BASELINE_VERSION} scale-auditor baseline")
    accepted: dict[str, str] = {}
    for entry in data["findings"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: every entry needs a fingerprint")
        accepted[entry["fingerprint"]] = str(entry.get("rule_id", ""))
    return accepted
