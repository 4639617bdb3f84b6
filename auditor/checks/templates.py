"""Declarative checks: select nodes, then require or forbid an attribute value.

`select` keys: `kind`, `source`, `type` (a value or a list), `serving` (true: only workloads that receive
traffic), `min_replicas` (only nodes that run at least that many instances at most scale), and any other
key is an attribute that must equal the value (or be in the list). Messages name `{name}`, `{type}`,
`{kind}`, `{value}` and the rule's options (see engine/message.py: plain strings, never `str.format`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.checks.context import CheckContext, Hit
from auditor.engine.message import fill
from auditor.model import Node

_STRUCTURAL = ("kind", "source", "type", "serving", "min_replicas", "long_running")


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return value in wanted
    return bool(value == wanted)


def select(ctx: CheckContext, spec: dict[str, Any]) -> list[Node]:
    """The nodes a declarative rule looks at, in id order."""
    nodes = ctx.workloads() if spec.get("long_running") else ctx.nodes()
    chosen = []
    for node in nodes:
        if "kind" in spec and not _matches(node.kind, spec["kind"]):
            continue
        if "source" in spec and not _matches(node.source, spec["source"]):
            continue
        if "type" in spec and not _matches(node.type, spec["type"]):
            continue
        if spec.get("serving") and not ctx.serves_traffic(node):
            continue
        if "min_replicas" in spec:
            most = ctx.max_replicas(node)
            if most is None or most < int(spec["min_replicas"]):
                continue
        if any(not _matches(node.attrs.get(key), wanted) for key, wanted in spec.items() if key not in _STRUCTURAL):
            continue
        chosen.append(node)
    return chosen


def _message(template: str, node: Node, value: Any, options: dict[str, Any]) -> str:
    return fill(template, {**options, "name": node.name, "type": node.type, "kind": node.kind, "value": value})


def require_attribute(ctx: CheckContext, spec: dict[str, Any]) -> Iterator[Hit]:
    """Hit every selected node whose `attribute` is not `expect` (default: truthy). `None` means unknown: no hit."""
    attribute = spec["attribute"]
    for node in select(ctx, spec.get("select", {})):
        ctx.examine(node)
        value = node.attrs.get(attribute)
        if value is None and not spec.get("absent_is_missing", True):
            continue
        ok = value == spec["expect"] if "expect" in spec else bool(value)
        if not ok:
            yield Hit(node.id, _message(spec["message"], node, value, ctx.options), attr=attribute)


def forbid_attribute(ctx: CheckContext, spec: dict[str, Any]) -> Iterator[Hit]:
    """Hit every selected node whose `attribute` takes one of `values`."""
    attribute = spec["attribute"]
    values = spec["values"]
    for node in select(ctx, spec.get("select", {})):
        ctx.examine(node)
        value = node.attrs.get(attribute)
        if value in values:
            yield Hit(node.id, _message(spec["message"], node, value, ctx.options), attr=attribute)
