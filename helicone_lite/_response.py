"""What the user gets back: OpenAI's own types, plus ``.headers`` with the Helicone reply headers.

``response.headers`` is a case-insensitive ``httpx2.Headers`` holding the provider's reply headers
and helicone_lite's (``Helicone-Id``, ``Helicone-Cache``, …), as a proxy's reply would. It is a
private attribute behind a read-only property, so ``model_dump()`` is exactly OpenAI's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from openai.types import CreateEmbeddingResponse as _Embeddings
from openai.types.chat import ChatCompletion as _ChatCompletion
from openai.types.responses import Response as _Response
from pydantic import PrivateAttr

#: a response's reply headers not merged yet: (provider's, helicone_lite's)
_Parts = tuple[Mapping[str, str] | None, Mapping[str, str]]

__all__ = [
    "ChatCompletion",
    "CreateEmbeddingResponse",
    "Response",
    "merge_headers",
    "with_headers",
    "with_lazy_headers",
]


class ChatCompletion(_ChatCompletion):
    """``openai.types.chat.ChatCompletion`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | _Parts | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


class CreateEmbeddingResponse(_Embeddings):
    """``openai.types.CreateEmbeddingResponse`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | _Parts | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


class Response(_Response):
    """``openai.types.responses.Response`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | _Parts | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


def _headers_of(response: Any) -> httpx2.Headers:
    """A response's headers, merged on first read (:func:`with_lazy_headers`: most callers
    never read them); an empty set when none were attached."""
    headers: httpx2.Headers | _Parts | None = response._helicone_headers
    if isinstance(headers, httpx2.Headers):
        return headers
    merged = httpx2.Headers() if headers is None else merge_headers(*headers)
    response._helicone_headers = merged
    return merged


def merge_headers(
    provider: Mapping[str, str] | None, helicone: Mapping[str, str]
) -> httpx2.Headers:
    """Provider reply headers first, then helicone_lite's (which win on a clash)."""
    if not provider:
        return httpx2.Headers(helicone)  # one build, not a set (and a scan) per header
    if not isinstance(provider, httpx2.Headers):
        provider = httpx2.Headers(provider)
    # As ``headers[name] = value`` per Helicone header (it takes the place of the provider's
    # first header of that name, any case, and drops the others), in one pass over the
    # provider's raw list instead of one scan and one list rebuild per header.
    ours = {
        name.lower().encode(): (name.encode(), value.encode()) for name, value in helicone.items()
    }
    merged: list[tuple[bytes, bytes]] = []
    placed: set[bytes] = set()
    for key, value in provider.raw:
        lower = key.lower()
        mine = ours.get(lower)
        if mine is None:
            merged.append((key, value))
        elif lower not in placed:
            placed.add(lower)
            merged.append(mine)
    merged.extend(item for lower, item in ours.items() if lower not in placed)
    return httpx2.Headers(merged)


def with_headers(response: Any, headers: httpx2.Headers) -> Any:
    """Attach ``headers`` to a response object that has the private slot; others pass as is."""
    if isinstance(response, (ChatCompletion, CreateEmbeddingResponse, Response)):
        response._helicone_headers = headers
    return response


def with_lazy_headers(
    response: Any, provider: Mapping[str, str] | None, helicone: Mapping[str, str]
) -> Any:
    """:func:`with_headers` of ``merge_headers(provider, helicone)``, merged only when
    ``response.headers`` is first read (a plain ``create()`` caller seldom reads it)."""
    if isinstance(response, (ChatCompletion, CreateEmbeddingResponse, Response)):
        private = response.__pydantic_private__
        if private is None:  # not set yet: pydantic's own setter makes the dict
            response._helicone_headers = (provider, dict(helicone))
        else:  # what that setter does then, without its two frames (every call: issue 12)
            private["_helicone_headers"] = (provider, dict(helicone))
    return response
