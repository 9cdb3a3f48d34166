"""``client.with_raw_response`` / ``client.with_streaming_response``: openai's client-level views,
whose ``chat.completions``, ``embeddings`` and ``responses`` are this client's own wrappers.

openai builds them from the resources' classes (``CompletionsWithRawResponse(client.chat
.completions)``), which wrap ``create`` in a function that returns what ``create`` returns: the
parsed answer, since helicone_lite's ``create`` goes through the stack. The resources' own
``with_raw_response`` (``_resources._RawCreate``) keep the raw shape; every other resource is
openai's view, whose calls are logged as endpoint calls (see ``_endpoints.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClientView"]

#: the resources whose ``with_raw_response``/``with_streaming_response`` are helicone_lite's
_OWN = ("embeddings", "responses")


class _ChatView:
    """``view.chat``: ``completions`` is the chat resource's own view."""

    def __init__(self, completions: Any) -> None:
        self.completions = completions


class ClientView:
    """``client.<attr>`` (``with_raw_response`` or ``with_streaming_response``)."""

    def __init__(self, client: Any, sdk_view: object, attr: str) -> None:
        self._client, self._sdk_view, self._attr = client, sdk_view, attr

    def __getattr__(self, name: str) -> Any:
        if name == "chat":
            return _ChatView(getattr(self._client.chat.completions, self._attr))
        if name in _OWN:
            return getattr(getattr(self._client, name), self._attr)
        return getattr(self._sdk_view, name)
