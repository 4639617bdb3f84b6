"""Rule checks: what a rule's `check:` names.

A check receives a `CheckContext` (the graph plus the rule's options and a few shared questions such as
"does this workload serve traffic?") and yields `Hit`s: the node that is wrong, a message with the
numbers, and optionally which attribute or line is the evidence. The engine turns hits into located,
fingerprinted findings; a check never builds a path or a line number.

Registration is explicit: `CHECKS` and `TEMPLATES` below are the whole lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from auditor.checks import (
    availability,
    coupling,
    data,
    elasticity,
    observability,
    resilience,
    state,
    templates,
)
from auditor.checks.context import CheckContext, Hit

Check = Callable[[CheckContext], Iterator[Hit]]
Template = Callable[[CheckContext, dict[str, Any]], Iterator[Hit]]

CHECKS: dict[str, Check] = {
    **state.CHECKS,
    **data.CHECKS,
    **availability.CHECKS,
    **coupling.CHECKS,
    **resilience.CHECKS,
    **observability.CHECKS,
    **elasticity.CHECKS,
}

TEMPLATES: dict[str, Template] = {
    "require-attribute": templates.require_attribute,
    "forbid-attribute": templates.forbid_attribute,
}

__all__ = ["CHECKS", "TEMPLATES", "Check", "CheckContext", "Hit", "Template"]
