"""``client.responses``: the Responses API through the stack.

``create`` (plain, ``stream=True``, ``background``, tools, ``previous_response_id``…) is a call
of kind ``"responses"``: logged, cached, rate-limited, retried and falling back like a chat call.
``parse`` sends the same call with the JSON schema of ``text_format`` and parses the answer the
way openai does (so a cache hit is parsed again into the same ``ParsedResponse``);
``stream(...)`` is openai's own helper, which calls ``create(stream=True)``. ``retrieve``,
``cancel``, ``delete`` and ``input_items`` are openai's, logged as endpoint calls (see
``_endpoints.py``). See docs/responses.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from openai import omit
from openai.resources.responses import responses as _responses

from ._resources import _AsyncRawCreate, _AsyncStreamingCreate, _RawCreate, _split, _StreamingCreate

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncResponses", "Responses", "prepare_parse"]

KIND = "responses"


def prepare_parse(
    params: dict[str, Any], extra_body: object
) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    """openai's ``responses.parse`` request, as ``create`` parameters, and the parser of its
    answer: ``text_format`` becomes ``text.format`` (a JSON schema), pydantic function tools
    become strict tools; the parser rebuilds ``output_parsed`` and tool arguments."""
    from openai.lib._parsing._responses import parse_response, type_to_text_format_param
    from openai.lib._response_resources import _make_tools, _output_text_parser

    text_format = params.pop("text_format", omit)
    parse_as = params.pop("parse_as", omit)
    text = params.get("text") or {}
    if text_format is not omit:
        if "format" in text:
            raise TypeError("Cannot mix and match text.format with text_format")
        params["text"] = {**text, "format": type_to_text_format_param(text_format)}
    source = (
        extra_body.get("input", params.get("input", omit))
        if isinstance(extra_body, Mapping)
        else params.get("input", omit)
    )
    output_format = _output_text_parser(
        input=source, text=params.get("text", omit), text_format=text_format, parse_as=parse_as
    )
    tools = _make_tools(params.pop("tools", omit))
    if tools is not omit:
        params["tools"] = tools

    def parser(response: Any) -> Any:
        return parse_response(input_tools=tools, text_format=output_format, response=response)

    return params, parser


def _prepare(
    params: dict[str, Any], request: Mapping[str, object]
) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    return prepare_parse(params, request.get("extra_body"))


class Responses(_responses.Responses):
    """``client.responses`` of :class:`helicone_lite.Client`."""

    _client: Client

    def create(self, **kwargs: Any) -> Any:
        params, helicone, request = _split(kwargs)
        return self._client._helicone_value(KIND, params, helicone, request)

    def parse(self, **kwargs: Any) -> Any:
        params, helicone, request = _split(kwargs)
        params, parser = prepare_parse(params, request.get("extra_body"))
        return parser(self._client._helicone_value(KIND, params, helicone, request))

    def stream(self, **kwargs: Any) -> Any:
        from openai.lib._response_resources import stream

        return stream(self, **kwargs)  # new responses: self.create(stream=True, …)

    @cached_property
    def with_raw_response(self) -> Any:
        return _RawCreate(self._client, KIND, super().with_raw_response, _prepare)

    @cached_property
    def with_streaming_response(self) -> Any:
        return _StreamingCreate(self._client, KIND, super().with_streaming_response)


class AsyncResponses(_responses.AsyncResponses):
    """``client.responses`` of :class:`helicone_lite.AsyncClient`."""

    _client: AsyncClient

    async def create(self, **kwargs: Any) -> Any:
        params, helicone, request = _split(kwargs)
        return await self._client._helicone_value(KIND, params, helicone, request)

    async def parse(self, **kwargs: Any) -> Any:
        params, helicone, request = _split(kwargs)
        params, parser = prepare_parse(params, request.get("extra_body"))
        return parser(await self._client._helicone_value(KIND, params, helicone, request))

    def stream(self, **kwargs: Any) -> Any:
        from openai.lib._response_resources import async_stream

        return async_stream(self, **kwargs)

    @cached_property
    def with_raw_response(self) -> Any:
        return _AsyncRawCreate(self._client, KIND, super().with_raw_response, _prepare)

    @cached_property
    def with_streaming_response(self) -> Any:
        return _AsyncStreamingCreate(self._client, KIND, super().with_streaming_response)
