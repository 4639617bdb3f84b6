"""Reporters: each formats an `AuditResult` and recomputes nothing.

`FILE_FORMATS` maps a format name to a function returning the report text; the terminal report writes to
a rich console instead and is handled by the CLI.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.audit import AuditResult
from auditor.report import json as json_report

FILE_FORMATS: dict[str, Callable[[AuditResult], str]] = {
    "json": json_report.render,
}
ALL_FORMATS = ("terminal", *FILE_FORMATS)
