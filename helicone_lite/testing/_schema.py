"""What an unscripted fake answers a structured-output request: the smallest value of the
request's JSON schema, so the SDK's ``parse`` gets valid JSON (strings say the echo text)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ._outcomes import Reply
from ._reply import Prompt

__all__ = ["schema_example", "structured_reply"]

_EXAMPLES: dict[str, Any] = {"boolean": False, "integer": 0, "number": 0, "array": [], "null": None}
_MAX_DEPTH = 32  # a recursive schema (a tree of itself) stops here


def schema_example(schema: Any, text: str, root: Any = None, depth: int = 0) -> Any:
    """The smallest value of ``schema``: ``$ref``s into ``$defs`` followed, the first
    non-null branch of ``anyOf``/``oneOf``, the first ``enum`` value or ``const``."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return text
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return schema_example(target, text, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        branches = [
            b
            for b in schema.get(key) or ()
            if not (isinstance(b, dict) and b.get("type") == "null")
        ]
        if branches:
            return schema_example(branches[0], text, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: schema_example(sub, text, root, depth + 1) for name, sub in props.items()}
    return _EXAMPLES.get(str(kind), text)


def structured_reply(schema: Any, reply: Reply | None, prompt: Prompt) -> Reply | None:
    """``reply`` with the schema's example as its text, unless a script chose the text or
    tool calls (a script always wins)."""
    if reply is not None and (reply.text is not None or reply.tool_calls):
        return reply
    value = schema_example(schema, "echo: " + prompt.last_user)
    return replace(reply or Reply(), text=json.dumps(value))
