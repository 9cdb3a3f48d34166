"""The request and answer of a ``helicone_lite.Gemini`` call, in google-genai's terms: a call's
config as logged and keyed for the cache (Helicone headers taken out, schema types and Python
functions as the JSON the SDK sends for them), what a target sends, and the answer's headers,
``.parsed`` and errors as the SDK gives them. See ``_gemini.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from types import GenericAlias
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import openai
from google.genai import errors, types

from ..options._parse import parse_headers
from ..pipeline._call import Call, Result

if TYPE_CHECKING:
    from google.genai._api_client import BaseApiClient
    from pydantic import BaseModel

#: what ``generate_content``/``count_tokens``/``embed_content`` take as ``contents`` and
#: ``config`` (google-genai's)
Contents: TypeAlias = "types.ContentListUnion | types.ContentListUnionDict"
Config: TypeAlias = (
    "types.GenerateContentConfigOrDict | types.CountTokensConfigOrDict"
    " | types.EmbedContentConfigOrDict | None"
)

#: what ``generate_content`` and its stream take as ``config``
GenerateConfig: TypeAlias = "types.GenerateContentConfigOrDict | None"

T = TypeVar("T")

KIND = "gemini.generate_content"
COUNT_KIND = "gemini.count_tokens"
EMBED_KIND = "gemini.embed_content"
_SCHEMAS_MAX = 256


def options_dict(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    """An SDK options value (a config, ``http_options``: a pydantic model or its dict form) as
    a dict of its fields."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    dumped: dict[str, Any] = value.model_dump(exclude_none=True)
    return dumped


def is_schema_type(value: object) -> bool:
    """A Python type given as a schema (``response_schema=Recipe``, ``list[Recipe]``): the SDK
    turns it into a JSON schema when it sends, and parses the answer into it (``.parsed``)."""
    return isinstance(value, (type, GenericAlias))


def loggable(
    config: Mapping[str, Any], schemas: dict[object, object], api_client: BaseApiClient
) -> dict[str, Any]:
    """A call's config as it is logged and keyed for the cache: without ``http_options``, a
    schema given as a Python type as its JSON schema (a class has no JSON form of its own),
    a Python function in ``tools`` as the function declaration the SDK sends for it.
    ``schemas`` keeps each type's and function's, made once (0.1-0.2 ms each)."""
    out = {k: v for k, v in config.items() if k != "http_options"}
    for key, value in out.items():
        if is_schema_type(value):
            out[key] = _json_schema(value, schemas)
    tools = out.get("tools")
    if isinstance(tools, list) and any(_is_function(t) for t in tools):
        out["tools"] = [_declared(t, schemas, api_client) if _is_function(t) else t for t in tools]
    return out


def _is_function(value: object) -> bool:
    """A Python function given as a tool: the SDK declares it, and calls it itself when the
    model asks (automatic function calling), as google-genai tells them apart."""
    return inspect.isfunction(value) or inspect.ismethod(value)


def has_functions(config: object) -> bool:
    """Whether a call's ``tools`` hold Python functions (read without copying the config)."""
    tools = config.get("tools") if isinstance(config, Mapping) else getattr(config, "tools", None)
    return isinstance(tools, list) and any(_is_function(t) for t in tools)


def _declared(function: Any, schemas: dict[object, object], api_client: BaseApiClient) -> object:
    """A Python function's tool as google-genai sends it (``{"function_declarations": [...]}``),
    or the function itself when the SDK cannot declare it (its own error when it sends; the
    call is not cached)."""
    from google.genai._transformers import t_tool

    try:
        known = schemas.get(function)
        if known is None:
            tool = t_tool(api_client, function)
            if not isinstance(tool, types.Tool):
                return function
            known = tool.model_dump(mode="json", exclude_none=True)
            if len(schemas) >= _SCHEMAS_MAX:
                schemas.clear()
            schemas[function] = known
    except Exception:
        return function
    return known


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


def split_config(config: Config) -> tuple[Config | dict[str, Any], Mapping[str, object] | None]:
    """A call's config without ``Helicone-*`` headers (the caller's own object when it has
    none), and those headers."""
    out = options_dict(config)
    http = options_dict(out.get("http_options"))
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
    config = options_dict(config)
    http = options_dict(config.get("http_options"))
    if call.target.headers:
        http["headers"] = {**(http.get("headers") or {}), **call.target.headers}
    if call.target.body:
        http["extra_body"] = {**(http.get("extra_body") or {}), **call.target.body}
    return {**config, "http_options": http}


def arguments_of(call: Call) -> dict[str, Any]:
    """What this target sends: the caller's own contents and config objects, or, when a layer
    rewrote the body (a rendered prompt), its contents and config with the caller's
    ``http_options``."""
    contents, config = call.request["sdk"]
    if call.params.get("contents", contents) is not contents:  # the prompts layer's new list
        contents = call.params.get("contents")
        own = options_dict(config)  # its http_options and schema types, as the caller gave
        kept = {k: v for k, v in own.items() if k == "http_options" or is_schema_type(v)}
        config = {**(call.params.get("config") or {}), **kept}
    return {"model": call.target.model, "contents": contents, "config": _sent_config(call, config)}


def _headers(raw: object) -> dict[str, str] | None:
    http = getattr(raw, "sdk_http_response", None)
    headers = getattr(http, "headers", None)
    return dict(headers) if headers else None


def reply_headers(result: Result) -> dict[str, str]:
    """The provider's reply headers and Helicone's, as google-genai keeps them: a plain dict
    (Helicone's names spelled as Helicone spells them)."""
    return {**(result.provider_headers or {}), **result.headers}


def reparsed(response: T, result: Result, config: Config | dict[str, Any]) -> T:
    """A replayed answer's ``.parsed`` made again from its text, as the SDK makes it when the
    answer arrives (a cached ``parsed`` comes back as the JSON of a class it cannot name)."""
    given = options_dict(config)
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


def with_headers(chunk: T, headers: Mapping[str, str]) -> T:
    if hasattr(chunk, "sdk_http_response"):
        chunk.sdk_http_response = types.HttpResponse(headers=dict(headers))
    return chunk


def native_error(error: BaseException) -> BaseException:
    """An error made by a layer (a rate limit…) as google-genai's own ``ClientError`` /
    ``ServerError``; the SDK's errors as they are."""
    if isinstance(error, openai.APIStatusError):
        try:
            errors.APIError.raise_for_response(error.response)
        except errors.APIError as mapped:
            mapped.__cause__ = error
            return mapped
    return error


def result_of(raw: object) -> Result:
    if isinstance(raw, types.GenerateContentResponse):
        # ``parsed`` (made from the text by the SDK) is not part of the answer as sent: the
        # cache stores the set fields and could not rebuild it (``list[Recipe]``); a hit makes
        # it again (:func:`reparsed`)
        raw.model_fields_set.discard("parsed")
    result = Result(response=raw, provider_headers=_headers(raw))
    version = getattr(raw, "model_version", None)
    if version:
        result.log["response_model"] = version
    return result


async def aheaders(source: AsyncIterable[T], headers: Mapping[str, str]) -> AsyncIterator[T]:
    async for chunk in source:
        yield with_headers(chunk, headers)
