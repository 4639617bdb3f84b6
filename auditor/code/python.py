"""Python source → code facts (see auditor/code/facts.py). Reference extractor: outbound HTTP calls made
with requests/httpx at module level, with `timeout=` as the bound."""

from __future__ import annotations

import tree_sitter

from auditor.code.facts import Bound, Call, Extracted, Target
from auditor.code.syntax import enclosing, line, matches, text

_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_CLIENT_MODULES = {"requests": "requests", "httpx": "httpx"}
_DEFAULT_TIMEOUT = frozenset({"httpx"})  # httpx bounds every request at 5 s unless told otherwise
_FUNCTIONS = frozenset({"function_definition"})


def extract(tree: tree_sitter.Tree, language: str) -> Extracted:
    found = Extracted()
    for match in matches(language, "calls", tree.root_node):
        client, method, args, call = (match.one(n) for n in ("client", "method", "args", "call"))
        if client is None or method is None or args is None or call is None:
            continue
        module = _CLIENT_MODULES.get(text(client))
        if module is None or text(method) not in _HTTP_METHODS:
            continue
        bounds = []
        url = ""
        for arg in args.named_children:
            if arg.type == "keyword_argument" and text(arg.child_by_field_name("name")) == "timeout":
                value = arg.child_by_field_name("value")
                if text(value) != "None":
                    bounds.append(Bound("timeout", line(arg), text(arg)))
            elif arg.type == "string" and not url:
                url = _string(arg)
        if module in _DEFAULT_TIMEOUT and not bounds:
            bounds.append(Bound("default_timeout", line(call), f"{module} default"))
        function = enclosing(call, _FUNCTIONS)
        name = text(function.child_by_field_name("name")) if function is not None else ""
        found.calls.append(Call(line(call), module, Target(url=url), tuple(bounds), function=name))
    return found


def _string(node: tree_sitter.Node) -> str:
    """A string literal's content; interpolations of an f-string as `{}`."""
    parts = []
    for child in node.named_children:
        if child.type == "string_content":
            parts.append(text(child))
        elif child.type == "interpolation":
            parts.append("{}")
    return "".join(parts)
