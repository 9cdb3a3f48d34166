"""What the native clients share: their construction, the adapter that sends a native call
through the client it was made on, and the targets of a native call (its fallback chain).

A native call carries the provider's own request body (``params``) and is answered with the
provider's own types; the stack's layers read it through the kinds table (``_kinds.py``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from .._errors import OptionsError
from ..options import Options
from ..options._model import EMPTY
from ..options._parse import check_unknown_headers, parse_headers, parse_kwargs
from ..pipeline._call import Call, Result, Target
from ..pipeline._invoke import build_call
from ..pipeline._runtime import Runtime
from ..pipeline._settings import Settings
from ..store import Store

if TYPE_CHECKING:
    from ..options._parse import HeliconeArg
    from ..prompts import PromptRegistry

#: where an SDK keeps a client's default headers: ``(the headers, put back)``, the second storing
#: them again without the ``Helicone-*`` ones (see :func:`split_init`)
HeadersAt: TypeAlias = Callable[
    [dict[str, Any]],
    tuple[Mapping[str, object] | None, Callable[[dict[str, object]], None]],
]

__all__ = ["OPTIONS_KEY", "NativeAdapter", "NativeHelicone", "carry", "split_init"]

#: the ``extra_headers`` key that carries a call's ``helicone=`` options from a resource method
#: to the client's request seam (removed there, never sent)
OPTIONS_KEY = "x-helicone-lite-options"
_LEFT_MAX = 4096


def carry(client: NativeHelicone, kwargs: dict[str, Any], helicone: HeliconeArg) -> dict[str, Any]:
    """``kwargs`` with ``helicone=`` parsed (an :class:`OptionsError` now, not later) and left
    with the client; ``extra_headers`` carries its ticket (a header value must be text: the
    SDK builds headers before the request reaches the client's seam)."""
    if helicone is None:
        return kwargs
    headers = dict(kwargs.get("extra_headers") or {})
    headers[OPTIONS_KEY] = client._helicone_leave(parse_kwargs(helicone))
    kwargs["extra_headers"] = headers
    return kwargs


@dataclass(frozen=True, slots=True)
class Init:
    """A native client's constructor arguments, split: the SDK's and helicone_lite's."""

    sdk: dict[str, Any]
    runtime: Runtime
    built: bool  # the runtime is this client's own (closed if the SDK's constructor fails)
    defaults: Options
    max_retries: int


def split_init(kwargs: dict[str, Any], *, default_retries: int, headers_at: HeadersAt) -> Init:
    """Separate helicone_lite's arguments (``helicone=``, ``home=``, ``store=``, every
    :class:`Settings` name) from the SDK's; ``Helicone-*`` default headers become options.

    ``headers_at(kwargs)`` answers ``(default headers, put back)``: where this SDK keeps its
    default headers, and how to store them again without the ``Helicone-*`` ones.
    """
    runtime: Runtime | None = kwargs.pop("_helicone_runtime", None)
    inherited: Options = kwargs.pop("_helicone_defaults", None) or EMPTY
    retries = kwargs.pop("_helicone_max_retries", None)
    defaults = inherited.merge(parse_kwargs(kwargs.pop("helicone", None)))
    store = kwargs.pop("store", None)
    names = Settings.names()
    chosen = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    settings = Settings(**chosen) if runtime is None else runtime.settings
    given, put_back = headers_at(kwargs)
    header_opts, rest = parse_headers(given)
    if rest is not None:
        put_back(rest)
    check_unknown_headers(given, strict=settings.strict_headers)
    if store is not None and not isinstance(store, Store):
        store = Store(store)
    built = runtime is None
    if runtime is None:
        runtime = Runtime(settings, store)
    if retries is None:
        retries = kwargs.get("max_retries", default_retries)
    return Init(kwargs, runtime, built, defaults.merge(header_opts), int(retries))


class NativeHelicone:
    """What a native client adds to its SDK's: the runtime, defaults, flush and the store."""

    _helicone_runtime: Runtime
    _helicone_defaults: Options
    _helicone_max_retries: int

    def _helicone_setup(self, init: Init) -> None:
        self._helicone_runtime = init.runtime
        self._helicone_defaults = init.defaults
        self._helicone_max_retries = init.max_retries
        # helicone= options between a resource method and the request seam, by ticket
        self._helicone_left: dict[str, Options] = {}

    def _helicone_leave(self, options: Options) -> str:
        ticket = secrets.token_hex(8)
        if len(self._helicone_left) > _LEFT_MAX:  # requests never made (a stream not entered)
            self._helicone_left.clear()
        self._helicone_left[ticket] = options
        return ticket

    def _helicone_take(self, ticket: object) -> Options | None:
        return self._helicone_left.pop(str(ticket), None)

    @property
    def helicone_defaults(self) -> Options:
        """The options applied to every call of this client."""
        return self._helicone_defaults

    @property
    def store(self) -> Store:
        """The request log this client writes to."""
        return self._helicone_runtime.store

    @property
    def configured_max_retries(self) -> int:
        """``max_retries`` as given (the SDK itself runs with none: the retry layer retries)."""
        return self._helicone_max_retries

    @property
    def prompts(self) -> PromptRegistry:
        """The prompt registry in this client's store (see docs/prompts.md)."""
        from ..prompts import PromptRegistry

        runtime = self._helicone_runtime
        return PromptRegistry(runtime.store, clock=runtime.clock)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every logged call so far is written to the store."""
        return self._helicone_runtime.flush(timeout)

    def _helicone_native_call(
        self,
        kind: str,
        params: Mapping[str, Any],
        raw_headers: Mapping[str, Any] | None,
        helicone: Options | None,
        request: Mapping[str, Any],
        adapter: NativeAdapter,
    ) -> Call:
        """The Call of a native request: this client first, then the fallbacks it can serve."""
        runtime = self._helicone_runtime
        runtime.check_open()
        model = str(params.get("model") or "")
        first = Target(provider=adapter.provider, model=model, adapter=adapter)
        call = build_call(
            runtime,
            self,
            self._helicone_defaults,
            kind,
            params,
            helicone,
            {**request, "extra_headers": raw_headers},
            targets=(first,),
        )
        return call.evolve(targets=(first, *fallbacks(runtime, call, adapter)))


def fallbacks(runtime: Runtime, call: Call, adapter: NativeAdapter) -> tuple[Target, ...]:
    """The fallback targets of a native call. A target of the same provider is sent through
    this client with its model; any other is refused: the project's translators turn a native
    request into no other provider's shape (docs/providers.md)."""
    options = call.options
    if not options.fallbacks or options.fallback_enabled is False:
        return ()
    registry = runtime.registry
    first = call.target
    out: list[Target] = []
    from ..providers._chain import _fallback_targets

    for extra in options.fallbacks:
        for target in _fallback_targets(registry, extra, first):
            config = registry.providers.get(target.provider)
            if target.base_url is not None or config is None or config.kind != adapter.kind:
                raise OptionsError(
                    "fallbacks",
                    extra.model or extra.base_url,
                    f"{adapter.kind} models only: a native {adapter.kind} client cannot send "
                    f"its request to {target.provider} nor turn its answer into "
                    f"{adapter.kind}'s shape (use helicone_lite.Client for cross-provider "
                    "fallback)",
                )
            out.append(
                Target(
                    provider=adapter.provider,
                    model=target.model,
                    adapter=adapter,
                    headers=target.headers,
                    body=target.body,
                    on_codes=target.on_codes,
                )
            )
    return tuple(out)


class NativeAdapter:
    """The adapter of a native call: the client the call was made on sends it (with the
    target's model), so its base URL, key, ``http_client`` and options apply."""

    def __init__(self, provider: str, kind: str, price_provider: str | None) -> None:
        self.provider = provider
        self.kind = kind  # the ProviderConfig kind this client speaks ("anthropic", "gemini")
        self.price_provider = price_provider

    def serves(self, call: Call) -> bool:
        return call.origin is not None

    def check(self, call: Call) -> None:
        """Nothing to check: the SDK's constructor already required its key."""

    def endpoint(self, call: Call) -> str:
        return str(_origin(call)._helicone_endpoint())

    def fingerprint(self, call: Call) -> str:
        secret = str(_origin(call)._helicone_credential())
        return hashlib.sha256(secret.encode()).hexdigest()[:16]

    def send(self, call: Call) -> Result:
        return cast(_SyncNative, _origin(call))._helicone_native_send(call)

    async def asend(self, call: Call) -> Result:
        return await cast(_AsyncNative, _origin(call))._helicone_native_asend(call)


class _Native(Protocol):
    """What :class:`NativeAdapter` asks of the client a native call was made on."""

    def _helicone_endpoint(self) -> str: ...

    def _helicone_credential(self) -> str: ...


class _SyncNative(_Native, Protocol):
    def _helicone_native_send(self, call: Call) -> Result: ...


class _AsyncNative(_Native, Protocol):
    async def _helicone_native_asend(self, call: Call) -> Result: ...


def _origin(call: Call) -> _Native:
    """The native client of ``call`` (the call's kind was chosen by that client, so it is one of
    helicone_lite's native clients: sync for ``send``, async for ``asend``)."""
    if call.origin is None:
        raise RuntimeError("helicone_lite: a native call without its client")
    return cast(_Native, call.origin)
