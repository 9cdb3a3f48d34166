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

__all__ = ["ChatCompletion", "CreateEmbeddingResponse", "Response", "merge_headers", "with_headers"]


class ChatCompletion(_ChatCompletion):
    """``openai.types.chat.ChatCompletion`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


class CreateEmbeddingResponse(_Embeddings):
    """``openai.types.CreateEmbeddingResponse`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


class Response(_Response):
    """``openai.types.responses.Response`` with the reply headers on ``.headers``."""

    _helicone_headers: httpx2.Headers | None = PrivateAttr(default=None)

    @property
    def headers(self) -> httpx2.Headers:
        return _headers_of(self)


def _headers_of(response: Any) -> httpx2.Headers:
    """A response's headers; an empty set made on first read (most responses get theirs from
    :func:`with_headers`, so none is built only to be replaced)."""
    headers: httpx2.Headers | None = response._helicone_headers
    if headers is None:
        headers = response._helicone_headers = httpx2.Headers()
    return headers


def merge_headers(
    provider: Mapping[str, str] | None, helicone: Mapping[str, str]
) -> httpx2.Headers:
    """Provider reply headers first, then helicone_lite's (which win on a clash)."""
    if not provider:
        return httpx2.Headers(helicone)  # one build, not a set (and a scan) per header
    headers = httpx2.Headers(provider)
    for name, value in helicone.items():
        headers[name] = value  # replaces a provider header of the same name, any case
    return headers


def with_headers(response: Any, headers: httpx2.Headers) -> Any:
    """Attach ``headers`` to a response object that has the private slot; others pass as is."""
    if isinstance(response, (ChatCompletion, CreateEmbeddingResponse, Response)):
        response._helicone_headers = headers
    return response
