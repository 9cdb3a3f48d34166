"""Assemble streamed ``ChatCompletionChunk``s into one ChatCompletion-shaped dict (for the log).

Runs in the store's writer thread, off the caller's path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._kinds import usage_of

__all__ = ["assemble_chunks", "usage_of"]


def _merge_tool_call(calls: dict[int, dict[str, Any]], delta: Any) -> None:
    slot = calls.setdefault(
        delta.index, {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
    )
    if delta.id:
        slot["id"] = delta.id
    if delta.function is not None:
        slot["function"]["name"] += delta.function.name or ""
        slot["function"]["arguments"] += delta.function.arguments or ""


def assemble_chunks(chunks: Iterable[Any]) -> dict[str, Any]:
    """One ``chat.completion`` dict with the text, tool calls, finish reasons and usage."""
    choices: dict[int, dict[str, Any]] = {}
    tools: dict[int, dict[int, dict[str, Any]]] = {}
    head: dict[str, Any] = {"object": "chat.completion"}
    for chunk in chunks:
        head.setdefault("id", chunk.id)
        head.setdefault("created", chunk.created)
        head["model"] = chunk.model
        if chunk.usage is not None:
            head["usage"] = chunk.usage.model_dump(exclude_none=True)
        for choice in chunk.choices:
            slot = choices.setdefault(
                choice.index,
                {
                    "index": choice.index,
                    "message": {"role": "assistant", "content": None},
                    "finish_reason": None,
                },
            )
            delta = choice.delta
            if delta.content:
                slot["message"]["content"] = (slot["message"]["content"] or "") + delta.content
            for call in delta.tool_calls or ():
                _merge_tool_call(tools.setdefault(choice.index, {}), call)
            if choice.finish_reason:
                slot["finish_reason"] = choice.finish_reason
    for index, calls in tools.items():
        choices[index]["message"]["tool_calls"] = [calls[i] for i in sorted(calls)]
    head["choices"] = [choices[i] for i in sorted(choices)]
    return head
