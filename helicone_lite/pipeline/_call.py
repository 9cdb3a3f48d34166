"""The values that flow through the interceptor stack: :class:`Call`, :class:`Result`, effects."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ..options import Options
from ._attempt import Attempt

if TYPE_CHECKING:
    import httpx2
    import openai

    from ..native._base import NativeHelicone
    from ..providers import Adapter

    #: the client a call was made on: a ``Client``/``AsyncClient`` (openai's), or a native
    #: ``Anthropic``/``AsyncAnthropic``/``Gemini`` client
    Origin: TypeAlias = "openai.OpenAI | openai.AsyncOpenAI | NativeHelicone"

__all__ = [
    "RETRY_COUNT_HEADER",
    "Blocking",
    "Call",
    "Effect",
    "Forward",
    "Result",
    "Sleep",
    "StreamObserver",
    "Target",
]

T = TypeVar("T")

_EMPTY: Mapping[str, Any] = MappingProxyType({})

#: the header openai sends with the retries taken before a request; the retry layer numbers
#: retry *k* with ``call.request["retries_taken"] = k`` and the OpenAI adapters send it
RETRY_COUNT_HEADER = "x-stainless-retry-count"


@dataclass(frozen=True, slots=True)
class Target:
    """One place a call can be sent: a provider adapter and the model it is asked for.

    ``base_url``/``headers``/``body`` carry per-target overrides (from ``fallbacks=[…]``).
    """

    provider: str
    model: str
    adapter: Adapter
    base_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    on_codes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One user call, immutable. Interceptors derive changed copies with :meth:`evolve`.

    ``params`` is the request body in OpenAI's shape (``model``, ``messages``, …);
    ``request`` holds the SDK request options (``extra_headers`` without any ``Helicone-*``,
    ``extra_query``, ``extra_body``, ``timeout``); ``origin`` is the client the call was made
    on (a ``Client``, whose ``with_options`` settings apply as the OpenAI adapter sends through
    it, or a native ``Anthropic``/``Gemini`` client; None when a layer is driven alone in a
    test).
    """

    id: str
    kind: str
    params: Mapping[str, Any]
    options: Options
    targets: tuple[Target, ...]
    origin: Origin | None
    request: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    target_index: int = 0
    started: float = 0.0
    started_wall: float = 0.0

    @property
    def stream(self) -> bool:
        return bool(self.params.get("stream"))

    @property
    def target(self) -> Target:
        return self.targets[self.target_index]

    @property
    def model(self) -> str:
        return str(self.params.get("model", ""))

    def evolve(self, **changes: Any) -> Call:
        return replace(self, **changes)


class StreamObserver:
    """Sees each chunk of a stream as it goes to the user, then its end.

    Observers never buffer on the user's behalf and must be cheap; ``on_end`` gets the error
    that ended the stream, or ``None`` for a clean end.
    """

    def on_chunk(self, chunk: Any) -> None:
        """Called with every chunk, in order, including ones the user is not shown."""

    def on_end(self, error: BaseException | None) -> None:
        """Called once, when the stream ends, fails, or is closed early."""


@dataclass(slots=True)
class Result:
    """What a layer of the stack answers: a response, a stream, or an error.

    ``headers`` are the Helicone reply headers (``Helicone-Cache``, …) that end up on
    ``response.headers``; ``log`` holds request-log columns set by inner layers (``cache_status``,
    ``attempts``, …) and nothing else; ``provider_headers`` are the HTTP headers of the
    provider's reply, if any. What layers tell each other travels in typed fields: ``sent`` (the
    call as a layer rewrote and forwarded it: the recorder logs that one), ``attempts`` (every
    provider attempt behind the answer, from the retry layer) and ``http`` (the provider's raw
    HTTP response, for ``with_raw_response`` and ``stream.response``) and ``wire`` (the reply's bytes
    the response was parsed from, for the log).
    """

    #: the answer: an SDK response model (``ChatCompletion``, an Anthropic ``Message``, a
    #: Gemini response, …) or, for other endpoints, whatever the SDK's request returned
    response: object = None
    #: the chunks: iterable under the sync driver, async-iterable under the async one (a cache
    #: replay is both); read them with :meth:`chunks` / :meth:`achunks`
    stream: Iterable[object] | AsyncIterable[object] | None = None
    error: BaseException | None = None
    headers: dict[str, str] = field(default_factory=dict)
    log: dict[str, Any] = field(default_factory=dict)
    provider_headers: Mapping[str, str] | None = None
    observers: list[StreamObserver] = field(default_factory=list)
    sent: Call | None = None
    attempts: list[Attempt] = field(default_factory=list)
    http: httpx2.Response | None = None
    #: ``(response, the reply's bytes)`` when an adapter parsed ``response`` from those bytes
    #: unchanged (openai): the recorder logs the bytes while ``response`` is still that object
    wire: tuple[object, bytes] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def observe(self, observer: StreamObserver) -> None:
        """Attach a stream observer (only meaningful when ``stream`` is set)."""
        self.observers.append(observer)

    def chunks(self) -> Iterable[object]:
        """``stream`` as the sync client iterates it."""
        if not isinstance(self.stream, Iterable):
            raise TypeError(f"a sync call was answered with {type(self.stream).__name__}")
        return self.stream

    def achunks(self) -> AsyncIterable[object]:
        """``stream`` as the async client iterates it."""
        if not isinstance(self.stream, AsyncIterable):
            raise TypeError(f"an async call was answered with {type(self.stream).__name__}")
        return self.stream


@dataclass(frozen=True, slots=True)
class Forward:
    """Effect: send ``call`` to the rest of the stack; the driver answers with its Result."""

    call: Call


@dataclass(frozen=True, slots=True)
class Sleep:
    """Effect: wait ``seconds`` (with the injected sleep; async drivers never block the loop)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Blocking(Generic[T]):
    """Effect: run ``fn()`` (blocking I/O: Redis, SQLite, files) and answer with its value.

    The sync driver calls it inline; the async driver runs it in a worker thread, so the event
    loop never waits on a round trip. An exception ``fn`` raises is thrown into the flow at the
    ``yield``, so a layer handles it with an ordinary ``try``/``except``::

        try:
            hit = yield Blocking(lambda: backend.lookup(key))
        except BackendError:
            hit = None
    """

    fn: Callable[[], T]


Effect = Forward | Sleep | Blocking[Any]
