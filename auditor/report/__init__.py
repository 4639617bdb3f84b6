"""Reporters: each formats an `AuditResult` and recomputes nothing.

`FILE_FORMAT_NAMES` are the formats whose report is text; `renderer(name)` is the function returning it (the
module auditor/report/<name>.py, imported on use so that naming the formats costs nothing). The terminal
report writes to a rich console instead and is handled by the CLI.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.audit import AuditResult

FILE_FORMAT_NAMES = ("json", "sarif", "markdown", "gitlab", "junit", "html")
ALL_FORMATS = ("terminal", *FILE_FORMAT_NAMES)


def renderer(name: str) -> Callable[[AuditResult], str]:
    """The `render` function of file format `name` (one of FILE_FORMAT_NAMES)."""
    if name not in FILE_FORMAT_NAMES:
        raise KeyError(name)
    render: Callable[[AuditResult], str] = importlib.import_module(f"auditor.report.{name}").render
    return render
