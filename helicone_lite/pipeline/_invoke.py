"""From a user's ``create(...)`` call to a :class:`Call`, and from a :class:`Result` back to what
``openai`` would have returned. Shared by the sync and async clients."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx2
from openai import AsyncOpenAI, NotGiven, Omit

from .._context import current_scope
from .._response import merge_headers, with_headers, with_lazy_headers
from ..options import Options
from ..options._parse import check_unknown_headers, parse_headers, parse_kwargs
from ..options._policy import policy_segment
from ._call import Call, Result, Target
from ._memo import Memoised, memo_key

if TYPE_CHECKING:
    from ._call import Origin
    from ._runtime import Runtime

__all__ = ["build_call", "deliver", "deliver_parts", "hide_usage_chunk"]

_log = logging.getLogger("helicone_lite")


#: openai's "not given" markers (``isinstance(value, _ABSENT)`` written out on the call path,
#: not a helper called per value)
_ABSENT = (NotGiven, Omit)


def _normalise_params(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, _ABSENT):
            continue
        if name in _LISTS:
            if type(value) is list:
                # a copy: the log is written later, the caller may append to its list meanwhile
                value = value.copy()
            elif isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
                value = list(value)  # consumed once; retries and the log need it again
        out[name] = value
    return out


_LISTS = frozenset({"messages", "tools", "input"})


def build_call(
    runtime: Runtime,
    origin: Origin | None,
    defaults: Options,
    kind: str,
    params: Mapping[str, Any],
    helicone: Options | Mapping[str, Any] | None,
    request: Mapping[str, Any],
    targets: tuple[Target, ...] | None = None,
) -> Call:
    """Merge client defaults, ``with`` scopes, per-call headers and ``helicone=`` into one Call.

    ``targets`` replaces the registry's (an endpoint call has exactly one: the client it was
    made on). Raises :class:`OptionsError` for a bad option, before anything is sent or logged.
    """
    body = _normalise_params(params)
    found = _options(runtime, defaults, body, helicone, request.get("extra_headers"), targets)
    options = found.options
    req: dict[str, Any] = {}
    for name, value in request.items():  # a loop, not a comprehension: one frame fewer
        if value is not None and not isinstance(value, _ABSENT):
            req[name] = value
    if found.headers is not None:
        req["extra_headers"] = dict(found.headers)
    chosen = found.targets if targets is None else targets
    assert chosen is not None  # the memo resolves the registry's targets when none are given
    if targets is None and (
        options.target_url or options.openai_api_base or options.target_provider
    ):
        chosen = _retarget(runtime, chosen, options, origin, req)
    _warm(chosen[0], origin)
    # timed from here: resolving the options may build a provider's adapter on its first use
    # (importing its SDK: seconds on a loaded machine) and _warm its SDK client (0.4-0.5 s),
    # which are not this call's latency
    started, wall = runtime.monotonic(), runtime.clock()
    call = Call(
        id=options.request_id or runtime.store.ids.new(),  # v7, no syscall on this path
        kind=kind,
        params=body,
        options=options,
        targets=chosen,
        origin=origin,
        request=req,
        started=started,
        started_wall=wall,
    )
    if targets is None:
        runtime.registry.check(call)  # a provider without its key: a clear error, nothing sent
    if options.request_id is not None:  # used once: a reused id is refused, never overwritten
        runtime.request_ids.claim(options.request_id)
    return call


def _warm(target: Target, origin: Origin | None) -> None:
    """Have the first target's adapter build its SDK client now, if it has not yet (the first
    Anthropic or Gemini call of a process: 0.4-0.5 s), so the call's clock does not include it.
    A build that fails here is left to the send, which fails (and is logged) as before."""
    warm = getattr(target.adapter, "warm", None)
    if warm is None:
        return
    try:
        warm(target, origin, asynchronous=isinstance(origin, AsyncOpenAI))
    except Exception:  # the same build, at send time, raises it as the call's error
        _log.debug("helicone_lite: building %s's SDK client early failed", target.provider)


def _retarget(
    runtime: Runtime,
    targets: tuple[Target, ...],
    options: Options,
    origin: Origin | None,
    request: Mapping[str, Any],
) -> tuple[Target, ...]:
    """The registry's targets, moved to the call's own upstream the options name (per call:
    the origin and the request's credentials are not part of the options memo)."""
    from ..providers._target import retarget

    return retarget(runtime.registry, targets, options, origin, request)


def _options(
    runtime: Runtime,
    defaults: Options,
    body: Mapping[str, Any],
    helicone: Options | Mapping[str, Any] | None,
    given: Mapping[str, Any] | None,
    targets: tuple[Target, ...] | None,
) -> Memoised:
    """The call's options, provider headers and targets: from the memo when these very inputs
    were seen before (pipeline/_memo.py), else parsed, checked and then remembered."""
    scope = current_scope()
    model, user = body.get("model", ""), body.get("user")
    own = targets is None  # the registry's targets (else the caller's: kept out of the memo)
    key = memo_key(defaults, scope, given, helicone, (model, own), user)
    memo = runtime.options_memo
    if key is not None:
        found = memo.get(key, defaults, scope, helicone)
        if found is not None:
            return found
    header_opts, headers = parse_headers(given)
    if headers is not None and len(headers) != len(given or ()):
        _warn_unknown(runtime, given)
    options = defaults.merge(scope).merge(header_opts).merge(parse_kwargs(helicone))
    options = _complete(options, body)
    for policy in options.ratelimit_policy or ():  # s=user without a user: refuse now, not later
        policy_segment(policy, options.user_id, options.properties)
    resolved = runtime.registry.resolve(str(model), options) if own else None
    found = Memoised(defaults, scope, options, headers, resolved)
    if key is not None:
        memo.put(key, found, helicone)
    return found


def _complete(options: Options, body: Mapping[str, Any]) -> Options:
    changes: dict[str, Any] = {}
    if options.user_id is None and isinstance(body.get("user"), str) and body["user"]:
        changes["user_id"] = body["user"]
    if options.session_id is not None and options.session_path is None:
        changes["session_path"] = "/"
    return replace(options, **changes) if changes else options


def _warn_unknown(runtime: Runtime, headers: Mapping[str, Any] | None) -> None:
    strict = runtime.settings.strict_headers
    for name in check_unknown_headers(headers, strict=strict):
        key = name.lower()
        with runtime.lock:
            if key in runtime.warned_headers:
                continue
            runtime.warned_headers.add(key)
        _log.warning("helicone_lite: ignoring unknown header %s (not sent to the provider)", name)


def hide_usage_chunk(call: Call) -> Any:
    """The chunk filter for a stream whose caller did not ask for usage (we did, for the cost)."""
    asked = (call.params.get("stream_options") or {}).get("include_usage")
    if asked or call.kind != "chat.completions":  # only chat streams get the usage chunk added
        return None
    return _hidden_usage


def _hidden_usage(chunk: Any) -> bool:
    """Whether ``chunk`` is the usage chunk the caller did not ask for. The others are shown
    as openai gives them unasked, without ``"usage": null`` (the provider adds it to every
    chunk once usage is asked for): ``to_dict()`` / ``model_dump(exclude_unset=True)`` agree."""
    if not chunk.choices and chunk.usage is not None:
        return True
    fields = getattr(chunk, "model_fields_set", None)
    if chunk.usage is None and isinstance(fields, set):
        fields.discard("usage")
    return False


def deliver_parts(result: Result) -> tuple[Any, httpx2.Headers]:
    """Raise the call's error, or return (response or stream source, reply headers)."""
    if result.error is not None:
        raise result.error
    headers = merge_headers(result.provider_headers, result.headers)
    if result.stream is not None:
        return result.stream, headers
    return with_headers(result.response, headers), headers


def deliver(result: Result) -> Any:
    """Raise the call's error, or return the response of a call that did not stream: as
    :func:`deliver_parts`, but its ``.headers`` are merged only if read."""
    if result.error is not None:
        raise result.error
    return with_lazy_headers(result.response, result.provider_headers, result.headers)
