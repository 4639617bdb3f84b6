"""Reporters: each formats an `AuditResult` and recomputes nothing.

`FILE_FORMATS` maps a format name to a function returning the report text; the terminal report writes to
a rich console instead and is handled by the CLI.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.audit import AuditResult
from auditor.report import gitlab as gitlab_report
from auditor.report import html as html_report
from auditor.report import json as json_report
from auditor.report import junit as junit_report
from auditor.report import markdown as markdown_report
from auditor.report import sarif as sarif_report

FILE_FORMATS: dict[str, Callable[[AuditResult], str]] = {
    "json": json_report.render,
    "sarif": sarif_report.render,
    "markdown": markdown_report.render,
    "gitlab": gitlab_report.render,
    "junit": junit_report.render,
    "html": html_report.render,
}
ALL_FORMATS = ("terminal", *FILE_FORMATS)
