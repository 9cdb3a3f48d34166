"""What ``Client`` and ``AsyncClient`` share: their construction (helicone_lite's arguments
split from openai's) and the ``HeliconeBase`` mixin (the runtime, defaults, flush, the call and
endpoint builders), and the small pieces both call paths use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from openai import DEFAULT_MAX_RETRIES

from ._machinery import machinery

if TYPE_CHECKING:  # imported lazily: openai's chat resources cost ~50 ms to import
    from ._endpoints import SdkRequest
    from .options import Options
    from .options._parse import HeliconeArg
    from .pipeline._call import Call, Result
    from .pipeline._runtime import Runtime
    from .pipeline._settings import Settings
    from .prompts import PromptRegistry
    from .providers._gateway import GatewayMigration
    from .store import Store

__all__ = ["HeliconeBase", "replayed_response", "retries_taken", "split_init"]

#: what an origin is (``_helicone_origin``'s test, written out on the call path)
_OPENAI = (openai.OpenAI, openai.AsyncOpenAI)


@cache
def _endpoint_adapter() -> SdkRequest:
    """The adapter of endpoint requests: stateless, one for every client."""
    from ._endpoints import SdkRequest

    return SdkRequest()


def split_init(
    kwargs: dict[str, Any], cls_name: str
) -> tuple[dict[str, Any], Settings | None, Runtime | None, Options, int]:
    """Separate helicone_lite's arguments from openai's; Helicone headers become defaults."""
    from .options._model import EMPTY
    from .options._parse import check_unknown_headers, parse_headers, parse_kwargs
    from .pipeline._runtime import Runtime
    from .pipeline._settings import Settings
    from .providers._catalog import merge_providers
    from .providers._gateway import migrate_gateway
    from .store import Store

    runtime: Runtime | None = kwargs.pop("_helicone_runtime", None)
    gateway: GatewayMigration | None = kwargs.pop("_helicone_gateway", None)
    inherited: Options = kwargs.pop("_helicone_defaults", None) or EMPTY
    max_retries = kwargs.pop("_helicone_max_retries", None)
    if max_retries is None:
        max_retries = kwargs.get("max_retries", DEFAULT_MAX_RETRIES)
    # ``client.max_retries`` reads as given; the retry layer is the only retry loop: every
    # send to the SDK carries ``max_retries=0`` (``_endpoints.sdk_send_options``)
    kwargs["max_retries"] = max_retries
    defaults = inherited.merge(parse_kwargs(kwargs.pop("helicone", None)))
    store = kwargs.pop("store", None)
    names = Settings.names()
    chosen = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    settings = Settings(**chosen) if runtime is None else None
    configured = settings if settings is not None else runtime.settings  # type: ignore[union-attr]
    migrated = migrate_gateway(
        kwargs, merge_providers(configured.providers), configured.helicone_gateways
    )
    kwargs["_helicone_gateway"] = migrated or gateway
    given_headers = kwargs.get("default_headers")
    header_opts, rest = parse_headers(given_headers)
    if rest is not None:
        kwargs["default_headers"] = rest
    if migrated is not None:  # the client's upstream, chosen once: not again on every call
        header_opts = replace(
            header_opts, target_url=None, openai_api_base=None, target_provider=None
        )
    defaults = defaults.merge(header_opts)
    if store is not None and not isinstance(store, Store):
        store = Store(store)
    # a typo: an error now, not per call
    check_unknown_headers(given_headers, strict=configured.strict_headers)
    if runtime is None:
        assert settings is not None
        runtime = Runtime(settings, store)
    return kwargs, settings, runtime, defaults, int(max_retries)


class HeliconeBase:
    """What both clients add to OpenAI's: the runtime, defaults, flush/close, features."""

    _helicone_runtime: Runtime
    _helicone_defaults: Options
    _helicone_max_retries: int
    #: set when the client was built with a Helicone base URL (see providers/_gateway.py)
    helicone_gateway: GatewayMigration | None

    def _helicone_init(
        self, kwargs: dict[str, Any], cls_name: str, sdk_init: Callable[..., None]
    ) -> None:
        """Both clients' constructor: ours split from openai's arguments, then openai's
        ``__init__`` (``sdk_init``) with the rest; a runtime built here is closed again if
        openai refuses (no key: openai's own OpenAIError, here and now)."""
        kwargs, built, runtime, defaults, retries = split_init(kwargs, cls_name)
        assert runtime is not None
        gateway = kwargs.pop("_helicone_gateway")
        try:
            sdk_init(**kwargs)
        except BaseException:
            if built is not None:
                runtime.close()
            raise
        self._helicone_runtime = runtime
        self._helicone_defaults = defaults
        self._helicone_max_retries = retries
        self.helicone_gateway = gateway

    def _helicone_copy_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        from ._copying import copy_kwargs

        return copy_kwargs(
            self._helicone_runtime,
            self._helicone_defaults,
            self._helicone_max_retries,
            kwargs,
            _helicone_gateway=self.helicone_gateway,
        )

    @property
    def helicone_defaults(self) -> Options:
        """The options applied to every call of this client (from ``helicone=`` and headers)."""
        return self._helicone_defaults

    @cached_property
    def with_raw_response(self) -> Any:
        """openai's view, with this client's chat, embeddings and responses (``_views.py``)."""
        from ._views import ClientView

        return ClientView(self, super().with_raw_response, "with_raw_response")  # type: ignore[misc]

    @cached_property
    def with_streaming_response(self) -> Any:
        """The same for ``with_streaming_response``."""
        from ._views import ClientView

        view = super().with_streaming_response  # type: ignore[misc]
        return ClientView(self, view, "with_streaming_response")

    @property
    def store(self) -> Store:
        """The request log this client writes to."""
        return self._helicone_runtime.store

    @cached_property
    def prompts(self) -> PromptRegistry:
        """The prompt registry in this client's store (see docs/prompts.md)."""
        from .prompts import PromptRegistry

        runtime = self._helicone_runtime
        return PromptRegistry(runtime.store, clock=runtime.clock)

    @cached_property
    def user_agent(self) -> str:
        """openai's ``User-Agent``, named after the openai class this client stands for
        (``OpenAI/Python 1.2.3``, as ``openai.OpenAI`` sends), not ``Client/Python``. Read
        on every request (openai's ``default_headers``): made once per client."""
        origin = self if isinstance(self, _OPENAI) else self._helicone_origin()  # (no frame)
        name = "AsyncOpenAI" if isinstance(origin, openai.AsyncOpenAI) else "OpenAI"
        return f"{name}/Python {origin._version}"

    @property
    def configured_max_retries(self) -> int:
        """``max_retries`` as given, as ``max_retries`` (each SDK send runs with 0: the retry
        layer retries)."""
        return self._helicone_max_retries

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every logged call so far is written to the store (and, with OpenTelemetry
        export on, its span handed to the tracer provider)."""
        return self._helicone_runtime.flush(timeout)

    def _helicone_build(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> Call:
        self._helicone_runtime.check_open()
        return machinery().build_call(
            self._helicone_runtime,
            self if isinstance(self, _OPENAI) else self._helicone_origin(),  # (no frame)
            self._helicone_defaults,
            kind,
            params,
            helicone,
            request,
        )

    def _helicone_origin(self) -> openai.OpenAI | openai.AsyncOpenAI:
        """This client, as the openai client it is (the mixin's classes both are one)."""
        if not isinstance(self, _OPENAI):
            raise TypeError(f"{type(self).__name__} is not an openai client")
        return self

    def _helicone_endpoint(
        self, cast_to: Any, options: Any, stream: bool, stream_cls: Any, raw_headers: Any
    ) -> Call:
        """The Call of an endpoint request (see ``_endpoints.py``): one target, this client."""
        from ._endpoints import endpoint_kind, params_of
        from .pipeline._call import Target
        from .pipeline._invoke import build_call

        params = params_of(options)
        request = {
            "extra_headers": raw_headers,
            "sdk": (cast_to, options, stream, stream_cls),
        }
        model = str(params.get("model") or "")
        adapter = _endpoint_adapter()
        kind = endpoint_kind(options.method, options.url)
        targets = (Target(provider="openai", model=model, adapter=adapter),)  # type: ignore[arg-type]
        return build_call(
            self._helicone_runtime,
            self._helicone_origin(),
            self._helicone_defaults,
            kind,
            params,
            None,
            request,
            targets=targets,
        )


def retries_taken(result: Result) -> int:
    """``with_raw_response``'s ``retries_taken``: provider attempts after the first (each SDK
    send runs with ``max_retries=0``; the retry layer's attempts are the retries)."""
    return max(0, sum(1 for attempt in result.attempts if not attempt.skipped) - 1)


def replayed_response(headers: httpx2.Headers) -> httpx2.Response:
    """The HTTP response a replayed stream stands on (none was made): openai's stream helpers
    (``responses.stream``, ``chat.completions.stream``) close it when they are done."""
    return httpx2.Response(200, headers=headers)
