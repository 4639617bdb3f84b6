"""Application configuration files: .env, Spring, Django/Flask settings, Node config, nginx."""

from __future__ import annotations

from auditor.model import Facts
from auditor.parsers.settings import Entry


def entries_from_text(filename: str, text: str, path: str, line_offset: int = 0) -> tuple[list[Entry], list[str]]:
    """Entries of an app-config file's text, chosen by its file name (also used for ConfigMap data keys).

    `path` is the repo-relative path to put in locations; `line_offset` is added to every line (for
    content embedded in another file, e.g. a ConfigMap's `application.yml: |` block).
    Returns (entries, problems) and never raises; an unrecognised file name gives ([], []).
    """
    raise NotImplementedError


def parse(path: str, text: str) -> Facts:
    raise NotImplementedError
