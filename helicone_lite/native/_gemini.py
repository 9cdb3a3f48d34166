"""``helicone_lite.Gemini``: ``google.genai.Client`` with the stack.

It *is* a ``genai.Client`` (a subclass): every constructor argument, environment variable and
resource is the SDK's own. ``models.generate_content`` and ``generate_content_stream`` (and
their ``.aio`` forms) are calls of kind ``gemini.generate_content``: logged, cached (streams
replayed as the same chunks), rate-limited, retried, with fallback to other Gemini models;
with Python functions in ``tools``, each request of the SDK's automatic function calling is
such a call. ``models.count_tokens`` and ``embed_content`` are logged as endpoint calls
(``_gemini_models.py``). A registry prompt (``Helicone-Prompt-Id``) is rendered into
``contents`` and ``system_instruction`` (``_shapes.gemini_prompt``). ``Helicone-*`` headers
come from ``http_options.headers`` (the client's or a call's ``config``) or ``helicone=``, and
never reach the wire. Reply headers are where the SDK keeps them: ``response.sdk_http_response
.headers`` (every chunk's, for a stream). The request and answer in google-genai's terms are
``_gemini_request.py``'s. See docs/providers.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from google import genai
from google.genai.models import AsyncModels, Models

from .._errors import OptionsError
from .._response import merge_headers
from .._streams import AsyncHeliconeStream, HeliconeStream
from ..options._parse import parse_kwargs
from ..pipeline._call import Call, Result
from ..pipeline._stack import run_async, run_sync
from ..providers.gemini import achain, chain
from ._base import NativeAdapter, NativeHelicone, split_init
from ._gemini_models import AsyncGeminiModels, GeminiModels
from ._gemini_request import (
    COUNT_KIND,
    EMBED_KIND,
    KIND,
    Config,
    Contents,
    aheaders,
    arguments_of,
    has_functions,
    loggable,
    native_error,
    options_dict,
    reparsed,
    reply_headers,
    result_of,
    split_config,
    with_headers,
)

if TYPE_CHECKING:
    from ..options._parse import HeliconeArg

__all__ = ["COUNT_KIND", "EMBED_KIND", "KIND", "Gemini"]

_ADAPTER = NativeAdapter("gemini", "gemini", "google")
#: the endpoint calls: the SDK method each kind is
_ENDPOINTS = MappingProxyType({COUNT_KIND: "count_tokens", EMBED_KIND: "embed_content"})


class Gemini(NativeHelicone, genai.Client):
    """A drop-in ``google.genai.Client`` (Gemini Developer API) whose ``generate_content``
    calls go through helicone_lite's stack.

    Accepts every ``genai.Client`` argument plus ``helicone=``, ``home=``/``store=`` and the
    :class:`~helicone_lite.Settings` names. The SDK's own retries (``http_options
    .retry_options``) become the retry layer's: ``attempts=N`` is ``N - 1`` retries.
    """

    def __init__(self, **kwargs: Any) -> None:
        http = options_dict(kwargs.get("http_options"))
        retry = options_dict(http.get("retry_options"))
        attempts = retry.get("attempts")
        if "http_options" in kwargs or retry:
            kwargs["http_options"] = http
        init = split_init(
            kwargs,
            default_retries=max(int(attempts) - 1, 0) if attempts else 0,
            headers_at=_headers_at,
        )
        if retry:
            http = options_dict(init.sdk.get("http_options"))
            http["retry_options"] = {**retry, "attempts": 1}  # the retry layer retries
            init.sdk["http_options"] = http
        try:
            super().__init__(**init.sdk)  # no key: google-genai's own error, here and now
        except BaseException:
            if init.built:
                init.runtime.close()
            raise
        self._helicone_setup(init)
        self._helicone_schemas: dict[object, object] = {}  # schema types, tool functions
        self._models = GeminiModels(self._api_client)
        self._models._helicone_client = self
        self._aio._models = AsyncGeminiModels(self._api_client)
        self._aio._models._helicone_client = self

    # -- the call --------------------------------------------------------------------------
    def _helicone_build(
        self,
        kind: str,
        model: str,
        contents: Contents,
        config: Config,
        helicone: HeliconeArg,
        stream: bool,
    ) -> Call:
        sent, raw_headers = split_config(config)
        logged = loggable(options_dict(sent), self._helicone_schemas, self._api_client)
        params: dict[str, Any] = {"model": model, "contents": contents}
        if logged:
            params["config"] = logged
        if stream:
            params["stream"] = True
        carried = parse_kwargs(helicone) if helicone is not None else None
        call = self._helicone_native_call(
            kind, params, raw_headers, carried, {"sdk": (contents, sent)}, _ADAPTER
        )
        if kind != KIND and call.options.prompt_id is not None:  # never dropped silently
            raise OptionsError(
                "prompt_id",
                call.options.prompt_id,
                f"no prompt on {kind} (prompts render into generate_content calls)",
            )
        return call

    def _helicone_generate(
        self,
        kind: str,
        model: str,
        contents: Contents,
        config: Config,
        helicone: HeliconeArg,
        stream: bool,
    ) -> Any:
        runtime = self._helicone_runtime
        call = self._helicone_build(kind, model, contents, config, helicone, stream)
        result = run_sync(
            runtime.stack, call, lambda c: c.target.adapter.send(c), runtime.settings.sleep
        )
        if result.error is not None:
            raise native_error(result.error)
        headers = reply_headers(result)
        if result.stream is None:
            return with_headers(reparsed(result.response, result, call.request["sdk"][1]), headers)
        source = result.chunks()
        return HeliconeStream(
            (with_headers(chunk, headers) for chunk in source),
            observers=result.observers,
            headers=merge_headers(None, headers),
            close=getattr(source, "close", None),
        )

    async def _helicone_agenerate(
        self,
        kind: str,
        model: str,
        contents: Contents,
        config: Config,
        helicone: HeliconeArg,
        stream: bool,
    ) -> Any:
        runtime = self._helicone_runtime
        call = self._helicone_build(kind, model, contents, config, helicone, stream)
        result = await run_async(
            runtime.stack,
            call,
            lambda c: c.target.adapter.asend(c),
            runtime.settings.async_sleep,
            blocking=runtime.run_blocking,
        )
        if result.error is not None:
            raise native_error(result.error)
        headers = reply_headers(result)
        if result.stream is None:
            return with_headers(reparsed(result.response, result, call.request["sdk"][1]), headers)
        source = result.stream
        return AsyncHeliconeStream(
            aheaders(result.achunks(), headers),  # ``source``, typed as the async driver's
            observers=result.observers,
            headers=merge_headers(None, headers),
            close=getattr(source, "aclose", None),
        )

    def _helicone_native_send(self, call: Call) -> Result:
        arguments = arguments_of(call)
        endpoint = _ENDPOINTS.get(call.kind)
        if endpoint is not None:
            return Result(response=getattr(Models, endpoint)(self._models, **arguments))
        hop = has_functions(arguments["config"])  # one request of the SDK's function calling
        if not call.stream:
            send = Models._generate_content if hop else Models.generate_content
            return result_of(send(self._models, **arguments))
        open_stream = Models._generate_content_stream if hop else Models.generate_content_stream
        events = iter(open_stream(self._models, **arguments))
        first = next(events)  # the request is sent here: errors surface before the stream
        result = result_of(first)
        result.stream, result.response = chain(first, events), None
        return result

    async def _helicone_native_asend(self, call: Call) -> Result:
        models = self._aio._models
        arguments = arguments_of(call)
        endpoint = _ENDPOINTS.get(call.kind)
        if endpoint is not None:
            return Result(response=await getattr(AsyncModels, endpoint)(models, **arguments))
        hop = has_functions(arguments["config"])
        if not call.stream:
            send = AsyncModels._generate_content if hop else AsyncModels.generate_content
            return result_of(await send(models, **arguments))
        open_stream = (
            AsyncModels._generate_content_stream if hop else AsyncModels.generate_content_stream
        )
        # the SDK's own annotation of _generate_content_stream says an awaitable: it is not
        events = cast(AsyncIterator[Any], await open_stream(models, **arguments))
        first = await events.__anext__()
        result = result_of(first)
        result.stream, result.response = achain(first, events), None
        return result

    def _helicone_endpoint(self) -> str:
        return str(self._api_client._http_options.base_url or "")

    def _helicone_credential(self) -> str:
        return str(self._api_client.api_key or "")

    def close(self) -> None:
        """Close the SDK's HTTP clients, as ``genai.Client.close`` does; write the log and
        stop every thread the client started."""
        try:
            super().close()
        finally:
            self._helicone_runtime.close()


def _headers_at(
    kwargs: dict[str, Any],
) -> tuple[Mapping[str, object] | None, Callable[[dict[str, object]], None]]:
    http = options_dict(kwargs.get("http_options"))

    def put_back(rest: dict[str, object]) -> None:
        kwargs["http_options"] = {**http, "headers": rest}

    return http.get("headers"), put_back
