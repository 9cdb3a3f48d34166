"""Errors of the prompt registry and of rendering a prompt for a call."""

from __future__ import annotations

from typing import Any

from .._errors import OptionsError

__all__ = ["PromptError", "PromptNotFoundError", "short"]


def short(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (inputs may be long texts)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PromptError(OptionsError):
    """A prompt cannot be stored, chosen or rendered: bad template, missing or wrongly typed
    input, unknown version or environment.

    An :class:`~helicone_lite.OptionsError` (so a ``ValueError``): on a call it is raised before
    any provider is called. ``option`` names what was wrong (``prompt_inputs``,
    ``prompt_version``, ``messages`` …); the message names the prompt and version.
    """

    def __init__(
        self,
        message: str,
        option: str = "prompt_id",
        value: object = None,
        allowed: str = "",
    ) -> None:
        ValueError.__init__(self, message)
        self.option = option
        self.value = value
        self.allowed = allowed

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.option, self.value, self.allowed))


class PromptNotFoundError(PromptError, LookupError):
    """No such prompt, version, or no version deployed to that environment."""
