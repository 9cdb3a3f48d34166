"""``with_raw_response`` results: ``.headers`` and ``.parse()`` (``_streamed`` holds the streaming kind)."""

from __future__ import annotations

import datetime
import json
from typing import Any, Generic, TypeVar

import httpx2

__all__ = ["RawResponse"]

R = TypeVar("R")


class RawResponse(Generic[R]):
    """What ``with_raw_response.create()`` returns, like ``openai``'s ``LegacyAPIResponse``.

    ``headers`` holds the provider's reply headers and helicone_lite's (``Helicone-Id``,
    ``Helicone-Cache``, …); ``http_response`` is the provider's HTTP response, or ``None`` when
    no provider was called (a cache hit): then ``http_request``, ``url``, ``method``,
    ``http_version`` and ``elapsed`` are ``None`` too. ``retries_taken`` counts the provider
    attempts behind the answer after the first (the retry layer's retries and fallbacks).
    """

    def __init__(
        self,
        parsed: R,
        headers: httpx2.Headers,
        http_response: httpx2.Response | None,
        retries_taken: int = 0,
    ) -> None:
        self._parsed = parsed
        self.headers = headers
        self.http_response = http_response
        self.retries_taken = retries_taken

    def parse(self) -> R:
        return self._parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code if self.http_response is not None else 200

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def http_request(self) -> httpx2.Request | None:
        return self.http_response.request if self.http_response is not None else None

    @property
    def url(self) -> httpx2.URL | None:
        return self.http_response.url if self.http_response is not None else None

    @property
    def method(self) -> str | None:
        request = self.http_request
        return request.method if request is not None else None

    @property
    def http_version(self) -> str | None:
        return self.http_response.http_version if self.http_response is not None else None

    @property
    def elapsed(self) -> datetime.timedelta | None:
        return self.http_response.elapsed if self.http_response is not None else None

    @property
    def is_closed(self) -> bool:
        return self.http_response.is_closed if self.http_response is not None else True

    @property
    def content(self) -> bytes:
        return self.text.encode()

    @property
    def text(self) -> str:
        dump = getattr(self._parsed, "model_dump_json", None)
        return dump() if callable(dump) else ""

    def json(self) -> Any:
        return json.loads(self.text)
