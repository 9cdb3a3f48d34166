"""``helicone_lite.Gemini``: ``google.genai.Client`` with the stack.

It *is* a ``genai.Client`` (a subclass): every constructor argument, environment variable and
resource is the SDK's own. ``models.generate_content`` and ``generate_content_stream`` (and
their ``.aio`` forms) are calls of kind ``gemini.generate_content``: logged, cached (streams
replayed as the same chunks), rate-limited, retried, with fallback to other Gemini models;
``models.count_tokens`` is logged as an endpoint call. A registry prompt
(``Helicone-Prompt-Id``) is rendered into ``contents`` and ``system_instruction``
(``_shapes.gemini_prompt``). ``Helicone-*`` headers come from ``http_options.headers`` (the
client's or a call's ``config``) or ``helicone=``, and never reach the wire. Reply headers are where the SDK keeps them: ``response.sdk_http_response
.headers`` (every chunk's, for a stream). See docs/providers.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping
from types import GenericAlias
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import openai
from google import genai
from google.genai import errors, types
from google.genai.models import AsyncModels, Models

from .._errors import OptionsError
from .._response import merge_headers
from .._streams import AsyncHeliconeStream, HeliconeStream
from ..options._parse import parse_headers, parse_kwargs
from ..pipeline._call import Call, Result
from ..pipeline._stack import run_async, run_sync
from ._base import NativeAdapter, NativeHelicone, split_init

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..options._parse import HeliconeArg

#: what ``generate_content``/``count_tokens`` take as ``contents`` and ``config`` (google-genai's)
Contents: TypeAlias = "types.ContentListUnion | types.ContentListUnionDict"
Config: TypeAlias = "types.GenerateContentConfigOrDict | types.CountTokensConfigOrDict | None"

T = TypeVar("T")

__all__ = ["COUNT_KIND", "KIND", "Gemini"]

KIND = "gemini.generate_content"
COUNT_KIND = "gemini.count_tokens"
_ADAPTER = NativeAdapter("gemini", "gemini", "google")
_SCHEMAS_MAX = 256


def _options_dict(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    """An SDK options value (a config, ``http_options``: a pydantic model or its dict form) as
    a dict of its fields."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    dumped: dict[str, Any] = value.model_dump(exclude_none=True)
    return dumped


def _is_schema_type(value: object) -> bool:
    """A Python type given as a schema (``response_schema=Recipe``, ``list[Recipe]``): the SDK
    turns it into a JSON schema when it sends, and parses the answer into it (``.parsed``)."""
    return isinstance(value, (type, GenericAlias))


def _loggable(config: Mapping[str, Any], schemas: dict[object, object]) -> dict[str, Any]:
    """A call's config as it is logged and keyed for the cache: without ``http_options``, a
    schema given as a Python type as its JSON schema (a class has no JSON form of its own;
    ``schemas`` keeps each type's, made once: 0.1-0.2 ms)."""
    out = {k: v for k, v in config.items() if k != "http_options"}
    for key, value in out.items():
        if _is_schema_type(value):
            out[key] = _json_schema(value, schemas)
    return out


def _json_schema(value: Any, schemas: dict[object, object]) -> object:
    from pydantic import TypeAdapter

    try:
        known = schemas.get(value)
        if known is None:
            known = TypeAdapter(value).json_schema()
            if len(schemas) >= _SCHEMAS_MAX:
                schemas.clear()
            schemas[value] = known
    except Exception:  # a type pydantic cannot describe: logged as given, the call not cached
        return value
    return known


def _split_config(config: Config) -> tuple[Config | dict[str, Any], Mapping[str, object] | None]:
    """A call's config without ``Helicone-*`` headers (the caller's own object when it has
    none), and those headers."""
    out = _options_dict(config)
    http = _options_dict(out.get("http_options"))
    headers = http.get("headers")
    if not isinstance(headers, Mapping) or not any(
        str(k).lower().startswith("helicone-") for k in headers
    ):
        return config, None
    _, rest = parse_headers(headers)
    http["headers"] = dict(rest or {})
    out["http_options"] = http
    return out, {k: v for k, v in headers.items() if str(k).lower().startswith("helicone-")}


def _sent_config(call: Call, config: Config | dict[str, Any]) -> Config | dict[str, Any]:
    """The config this target sends: its headers and body overrides added."""
    if not call.target.headers and not call.target.body:
        return config
    config = _options_dict(config)
    http = _options_dict(config.get("http_options"))
    if call.target.headers:
        http["headers"] = {**(http.get("headers") or {}), **call.target.headers}
    if call.target.body:
        http["extra_body"] = {**(http.get("extra_body") or {}), **call.target.body}
    return {**config, "http_options": http}


def _arguments(call: Call) -> dict[str, Any]:
    """What this target sends: the caller's own contents and config objects, or, when a layer
    rewrote the body (a rendered prompt), its contents and config with the caller's
    ``http_options``."""
    contents, config = call.request["sdk"]
    if call.params.get("contents", contents) is not contents:  # the prompts layer's new list
        contents = call.params.get("contents")
        own = _options_dict(config)  # its http_options and schema types, as the caller gave
        kept = {k: v for k, v in own.items() if k == "http_options" or _is_schema_type(v)}
        config = {**(call.params.get("config") or {}), **kept}
    return {"model": call.target.model, "contents": contents, "config": _sent_config(call, config)}


def _headers(raw: object) -> dict[str, str] | None:
    http = getattr(raw, "sdk_http_response", None)
    headers = getattr(http, "headers", None)
    return dict(headers) if headers else None


def _reply_headers(result: Result) -> dict[str, str]:
    """The provider's reply headers and Helicone's, as google-genai keeps them: a plain dict
    (Helicone's names spelled as Helicone spells them)."""
    return {**(result.provider_headers or {}), **result.headers}


def _reparsed(response: T, result: Result, config: Config | dict[str, Any]) -> T:
    """A replayed answer's ``.parsed`` made again from its text, as the SDK makes it when the
    answer arrives (a cached ``parsed`` comes back as the JSON of a class it cannot name)."""
    given = _options_dict(config)
    if (
        result.log.get("cache_status") != "HIT"
        or not isinstance(response, types.GenerateContentResponse)
        or (given.get("response_schema") is None and given.get("response_json_schema") is None)
    ):
        return response
    body = response.model_dump(mode="json", exclude={"parsed"}, exclude_none=True)
    again = types.GenerateContentResponse._from_response(response=body, kwargs={"config": given})
    response.parsed = again.parsed
    return response


def _with_headers(chunk: T, headers: Mapping[str, str]) -> T:
    if hasattr(chunk, "sdk_http_response"):
        chunk.sdk_http_response = types.HttpResponse(headers=dict(headers))
    return chunk


class Gemini(NativeHelicone, genai.Client):
    """A drop-in ``google.genai.Client`` (Gemini Developer API) whose ``generate_content``
    calls go through helicone_lite's stack.

    Accepts every ``genai.Client`` argument plus ``helicone=``, ``home=``/``store=`` and the
    :class:`~helicone_lite.Settings` names. The SDK's own retries (``http_options
    .retry_options``) become the retry layer's: ``attempts=N`` is ``N - 1`` retries.
    """

    def __init__(self, **kwargs: Any) -> None:
        http = _options_dict(kwargs.get("http_options"))
        retry = _options_dict(http.get("retry_options"))
        attempts = retry.get("attempts")
        if "http_options" in kwargs or retry:
            kwargs["http_options"] = http
        init = split_init(
            kwargs,
            default_retries=max(int(attempts) - 1, 0) if attempts else 0,
            headers_at=_headers_at,
        )
        if retry:
            http = _options_dict(init.sdk.get("http_options"))
            http["retry_options"] = {**retry, "attempts": 1}  # the retry layer retries
            init.sdk["http_options"] = http
        try:
            super().__init__(**init.sdk)  # no key: google-genai's own error, here and now
        except BaseException:
            if init.built:
                init.runtime.close()
            raise
        self._helicone_setup(init)
        self._helicone_schemas: dict[object, object] = {}  # response_schema types' JSON schemas
        self._models = _Models(self._api_client)
        self._models._helicone_client = self
        self._aio._models = _AsyncModels(self._api_client)
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
        sent, raw_headers = _split_config(config)
        logged = _loggable(_options_dict(sent), self._helicone_schemas)
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
                "no prompt on count_tokens (prompts render into generate_content calls)",
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
            raise _native_error(result.error)
        headers = _reply_headers(result)
        if result.stream is None:
            return _with_headers(
                _reparsed(result.response, result, call.request["sdk"][1]), headers
            )
        source = result.chunks()
        return HeliconeStream(
            (_with_headers(chunk, headers) for chunk in source),
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
            raise _native_error(result.error)
        headers = _reply_headers(result)
        if result.stream is None:
            return _with_headers(
                _reparsed(result.response, result, call.request["sdk"][1]), headers
            )
        source = result.stream
        return AsyncHeliconeStream(
            _aheaders(result.achunks(), headers),  # ``source``, typed as the async driver's
            observers=result.observers,
            headers=merge_headers(None, headers),
            close=getattr(source, "aclose", None),
        )

    def _helicone_native_send(self, call: Call) -> Result:
        arguments = _arguments(call)
        if call.kind != KIND:
            return Result(response=Models.count_tokens(self._models, **arguments))
        if not call.stream:
            raw = Models.generate_content(self._models, **arguments)
            return _result(raw)
        events = Models.generate_content_stream(self._models, **arguments)
        first = next(events)  # the request is sent here: errors surface before the stream
        result = _result(first)
        result.stream, result.response = _chain(first, events), None
        return result

    async def _helicone_native_asend(self, call: Call) -> Result:
        models = self._aio._models
        arguments = _arguments(call)
        if call.kind != KIND:
            return Result(response=await AsyncModels.count_tokens(models, **arguments))
        if not call.stream:
            raw = await AsyncModels.generate_content(models, **arguments)
            return _result(raw)
        events = await AsyncModels.generate_content_stream(models, **arguments)
        first = await events.__anext__()
        result = _result(first)
        result.stream, result.response = _achain(first, events), None
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


def _native_error(error: BaseException) -> BaseException:
    """An error made by a layer (a rate limit…) as google-genai's own ``ClientError`` /
    ``ServerError``; the SDK's errors as they are."""
    if isinstance(error, openai.APIStatusError):
        try:
            errors.APIError.raise_for_response(error.response)
        except errors.APIError as mapped:
            mapped.__cause__ = error
            return mapped
    return error


def _result(raw: object) -> Result:
    if isinstance(raw, types.GenerateContentResponse):
        # ``parsed`` (made from the text by the SDK) is not part of the answer as sent: the
        # cache stores the set fields and could not rebuild it (``list[Recipe]``); a hit makes
        # it again (:func:`_reparsed`)
        raw.model_fields_set.discard("parsed")
    result = Result(response=raw, provider_headers=_headers(raw))
    version = getattr(raw, "model_version", None)
    if version:
        result.log["response_model"] = version
    return result


class _Models(Models):
    """``client.models``: ``generate_content`` (and ``_stream``) through the stack, with
    ``helicone=``; ``count_tokens`` logged; every other method the SDK's."""

    _helicone_client: Gemini

    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> types.GenerateContentResponse:
        value: types.GenerateContentResponse = self._helicone_client._helicone_generate(
            KIND, model, contents, config, helicone, stream=False
        )
        return value

    def generate_content_stream(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> Iterator[types.GenerateContentResponse]:
        stream: Iterator[types.GenerateContentResponse] = self._helicone_client._helicone_generate(
            KIND, model, contents, config, helicone, stream=True
        )
        return stream

    def count_tokens(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> types.CountTokensResponse:
        value: types.CountTokensResponse = self._helicone_client._helicone_generate(
            COUNT_KIND, model, contents, config, helicone, stream=False
        )
        return value


class _AsyncModels(AsyncModels):
    """``client.aio.models``: the async form of :class:`_Models`."""

    _helicone_client: Gemini

    async def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> types.GenerateContentResponse:
        value: types.GenerateContentResponse = await self._helicone_client._helicone_agenerate(
            KIND, model, contents, config, helicone, stream=False
        )
        return value

    async def generate_content_stream(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> AsyncIterator[types.GenerateContentResponse]:
        stream: AsyncIterator[
            types.GenerateContentResponse
        ] = await self._helicone_client._helicone_agenerate(
            KIND, model, contents, config, helicone, stream=True
        )
        return stream

    async def count_tokens(
        self,
        *,
        model: str,
        contents: Contents,
        config: Config = None,
        helicone: HeliconeArg = None,
    ) -> types.CountTokensResponse:
        value: types.CountTokensResponse = await self._helicone_client._helicone_agenerate(
            COUNT_KIND, model, contents, config, helicone, stream=False
        )
        return value


def _headers_at(
    kwargs: dict[str, Any],
) -> tuple[Mapping[str, object] | None, Callable[[dict[str, object]], None]]:
    http = _options_dict(kwargs.get("http_options"))

    def put_back(rest: dict[str, object]) -> None:
        kwargs["http_options"] = {**http, "headers": rest}

    return http.get("headers"), put_back


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


async def _achain(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item


async def _aheaders(source: AsyncIterable[T], headers: Mapping[str, str]) -> AsyncIterator[T]:
    async for chunk in source:
        yield _with_headers(chunk, headers)
