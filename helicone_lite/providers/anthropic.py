"""The Anthropic adapter: OpenAI-shaped calls through the ``anthropic`` SDK's Messages API.

Translation is in ``_anthropic_translate``; this module only builds the SDK clients (retries
off: the retry layer is the only retry loop) and makes the call. Imported on first use of an
Anthropic model, so ``import helicone_lite`` does not import ``anthropic``.
"""

from __future__ import annotations

from typing import Any

import anthropic

from ..pipeline._call import RETRY_COUNT_HEADER, Call, Result
from . import _anthropic_translate as translate
from ._sdk import AsyncTranslatedStream, SDKAdapter, TranslatedStream, extra_body, request_options

__all__ = ["AnthropicAdapter"]

# Sent as keyword arguments (the SDK requires them); every other field goes in extra_body,
# already in wire form.
_KEYWORDS = ("model", "max_tokens", "messages", "stream")


class AnthropicAdapter(SDKAdapter):
    """Claude models via ``anthropic.Anthropic`` / ``anthropic.AsyncAnthropic``."""

    def _build(self, api_key: str, base_url: str) -> anthropic.Anthropic:
        return anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0)

    def _abuild(self, api_key: str, base_url: str) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0)

    def _error(self, exc: BaseException) -> BaseException:
        return translate.error(exc)

    def _arguments(self, call: Call) -> dict[str, Any]:
        body = translate.request(call.params, call.target.model)
        arguments = {name: body.pop(name) for name in _KEYWORDS if name in body}
        extra = {**body, **extra_body(call)}
        if extra:
            arguments["extra_body"] = extra
        arguments.update(request_options(call))
        if "retries_taken" in call.request:  # as anthropic numbers its own retries
            retry = {RETRY_COUNT_HEADER: str(call.request["retries_taken"])}
            arguments["extra_headers"] = {**arguments.get("extra_headers", {}), **retry}
        return arguments

    def _send(self, client: anthropic.Anthropic, call: Call) -> Result:
        raw = client.messages.with_raw_response.create(**self._arguments(call))
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        created = int(call.started_wall)
        if call.stream:
            events = raw.parse()
            translator = translate.StreamTranslator(created, call.target.model, result.log)
            result.stream = TranslatedStream(
                iter(events), translator.feed, _no_more, translate.error, events.close
            )
        else:
            result.response, writes = translate.response(raw.parse(), created)
            result.log["cache_write_tokens"] = writes
        return result

    async def _asend(self, client: anthropic.AsyncAnthropic, call: Call) -> Result:
        raw = await client.messages.with_raw_response.create(**self._arguments(call))
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        created = int(call.started_wall)
        if call.stream:
            events = await raw.parse()
            translator = translate.StreamTranslator(created, call.target.model, result.log)
            result.stream = AsyncTranslatedStream(
                events.__aiter__(), translator.feed, _no_more, translate.error, events.close
            )
        else:
            result.response, writes = translate.response(await raw.parse(), created)
            result.log["cache_write_tokens"] = writes
        return result


def _no_more() -> tuple[()]:
    """Anthropic's stream ends with message_stop, which already gave the usage chunk."""
    return ()
