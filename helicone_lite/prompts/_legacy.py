"""Helicone's legacy prompt formatting, for calls that carry their own messages.

Helicone's ``hpf`` helper marks inputs inside message text:
``<helicone-prompt-input key="symptoms">chest pain</helicone-prompt-input>``. Such a message is
sent to the provider with the tags removed (``chest pain``), recorded as the template with the
input as a variable (``{{hc:symptoms:string}}``), and the value is logged as an input; so calls
that differ only in their inputs share one version. ``<helicone-prompt-static>…</…>`` is
unwrapped.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["split_inputs"]

_MARK = "<helicone-prompt-"
_INPUT = re.compile(
    r'<helicone-prompt-input\s+key="([A-Za-z_-][A-Za-z0-9_-]*)"\s*>(.*?)</helicone-prompt-input>',
    re.S,
)
_STATIC = re.compile(r"<helicone-prompt-static>(.*?)</helicone-prompt-static>", re.S)


def _split_text(text: str, inputs: dict[str, str]) -> tuple[str, str]:
    def value(match: re.Match[str]) -> str:
        inputs[match.group(1)] = match.group(2)
        return match.group(2)

    def variable(match: re.Match[str]) -> str:
        return "{{hc:" + match.group(1) + ":string}}"

    wire = _STATIC.sub(r"\1", _INPUT.sub(value, text))
    template = _STATIC.sub(r"\1", _INPUT.sub(variable, text))
    return wire, template


def _split_message(message: Any, inputs: dict[str, str]) -> tuple[Any, Any]:
    if not isinstance(message, dict):
        return message, message
    content = message.get("content")
    if isinstance(content, str) and _MARK in content:
        wire, template = _split_text(content, inputs)
        return {**message, "content": wire}, {**message, "content": template}
    if isinstance(content, list) and any(
        isinstance(p, dict) and _MARK in str(p.get("text", "")) for p in content
    ):
        wire_parts, template_parts = [], []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                wire, template = _split_text(part["text"], inputs)
                wire_parts.append({**part, "text": wire})
                template_parts.append({**part, "text": template})
            else:
                wire_parts.append(part)
                template_parts.append(part)
        return {**message, "content": wire_parts}, {**message, "content": template_parts}
    return message, message


def split_inputs(messages: list[Any]) -> tuple[list[Any], list[Any], dict[str, str]]:
    """(messages for the provider, messages as the template, inputs found).

    >>> wire, template, inputs = split_inputs([{"role": "user", "content":
    ...     'Symptoms: <helicone-prompt-input key="s">fever</helicone-prompt-input>'}])
    >>> wire[0]["content"], template[0]["content"], inputs
    ('Symptoms: fever', 'Symptoms: {{hc:s:string}}', {'s': 'fever'})
    """
    if not any(_MARK in str(getattr(m, "get", lambda _k: None)("content")) for m in messages):
        return messages, messages, {}
    inputs: dict[str, str] = {}
    pairs = [_split_message(m, inputs) for m in messages]
    return [w for w, _ in pairs], [t for _, t in pairs], inputs
