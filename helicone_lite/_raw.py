"""``with_raw_response`` results: ``.headers`` and ``.parse()`` (``_streamed`` holds the streaming kind)."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

import httpx2

__all__ = ["RawResponse"]

R = TypeVar("R")


class RawResponse(Generic[R]):
    """What ``with_raw_response.create()`` returns, like ``openai``'s ``LegacyAPIResponse``.

    ``headers`` holds the provider's reply headers and helicone_lite's (``Helicone-Id``,
    ``Helicone-Cache``, …); ``http_response`` is the provider's HTTP response, or ``None`` when
    no provider was called (a cache hit).
    """

    def __init__(
        self, parsed: R, headers: httpx2.Headers, http_response: httpx2.Response | None
    ) -> None:
        self._parsed = parsed
        self.headers = headers
        self.http_response = http_response

    def parse(self) -> R:
        return self._parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code if self.http_response is not None else 200

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def retries_taken(self) -> int:
        return max(0, int(self.headers.get("Helicone-Attempts", "1")) - 1)

    @property
    def content(self) -> bytes:
        return self.text.encode()

    @property
    def text(self) -> str:
        dump = getattr(self._parsed, "model_dump_json", None)
        return dump() if callable(dump) else ""

    def json(self) -> Any:
        return json.loads(self.text)
