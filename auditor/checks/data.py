"""Checks of the data category (see the rule files in rules/ that name them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from auditor.checks.context import CheckContext, Hit

CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {}
