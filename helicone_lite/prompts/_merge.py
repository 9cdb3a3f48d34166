"""How a stored prompt and a call's own parameters combine into what is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import PromptError
from ._models import PromptVersion

__all__ = ["merge_params"]


def _tool_name(tool: Any) -> Any:
    if isinstance(tool, Mapping):
        function = tool.get("function")
        if isinstance(function, Mapping):
            return function.get("name")
    return None


def _merge_tools(stored: Any, own: Any) -> Any:
    """Stored tools first, then the call's; a call's tool replaces a stored one of its name."""
    if not isinstance(stored, list) or not isinstance(own, list):
        return own if own is not None else stored
    names = {_tool_name(t) for t in own} - {None}
    return [t for t in stored if _tool_name(t) not in names] + list(own)


def merge_params(
    version: PromptVersion,
    messages: list[dict[str, Any]],
    stored: Mapping[str, Any],
    call_params: Mapping[str, Any],
) -> dict[str, Any]:
    """The body sent for a call that uses ``version`` (already rendered: ``messages``,
    ``stored`` params).

    * messages: the stored ones, then the call's own;
    * model: the call's, unless it passed none (omitted, ``None`` or ``""``): then the stored;
    * tools: the stored ones, then the call's (same function name: the call's wins);
    * every other parameter: the call's value overrides the stored one.
    """
    own = dict(call_params)
    own_messages = own.pop("messages", None) or []
    model = own.pop("model", None) or version.model
    if not model:
        raise PromptError(
            f"prompt {version.prompt_id!r} version {version.version} stores no model: pass "
            "model= on the call, or store one with the prompt",
            "model",
        )
    merged: dict[str, Any] = {"model": model, "messages": [*messages, *own_messages]}
    merged.update(stored)
    merged.update(own)
    if "tools" in stored or "tools" in own:
        merged["tools"] = _merge_tools(stored.get("tools"), own.get("tools"))
    return merged
