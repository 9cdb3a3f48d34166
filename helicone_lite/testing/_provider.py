"""FakeProvider: the public face of the fake LLM provider server."""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from types import TracebackType

from ._book import Book, RecordedRequest
from ._dispatch import Dispatcher
from ._outcomes import Fault, Outcome, Reply
from ._server import ServerThread

__all__ = ["FakeProvider"]


class FakeProvider:
    """A loopback server that speaks the OpenAI, Anthropic and Gemini wire protocols.

    Use it as a context manager (or ``start()`` / ``stop()``)::

        with FakeProvider() as fake:
            client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake")
            fake.script("gpt-4o", Fault(status=429, retry_after=1.5), times=2)
            fake.script("gpt-4o*", Reply(text="Hello", prompt_tokens=3, completion_tokens=1))

    An unscripted call answers ``"echo: <last user message>"`` with token counts from
    :func:`estimate_tokens`. For each inference request the server takes, in order: the
    next :meth:`enqueue`-d outcome; else the first :meth:`script` whose pattern matches the
    model (in the order scripted); else the echo. Everything is thread-safe, and the server
    serves any number of threads and processes at once.

    ``port=0`` picks a free port. ``max_requests`` keeps only the most recent N recorded
    requests (for long benchmarks; ``None`` keeps them all).
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, max_requests: int | None = None
    ) -> None:
        self._address = (host, port)
        self._book = Book(max_requests)
        self._thread: ServerThread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeProvider:
        """Start serving (idempotent); returns ``self``."""
        if self._thread is None:
            thread = ServerThread(*self._address, dispatch=Dispatcher(self._book))
            thread.start()
            self._thread = thread
        return self

    def stop(self) -> None:
        """Stop serving: closes the port and every open connection, cuts hangs short."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- where to point the SDKs ----------------------------------------------------------

    @property
    def port(self) -> int:
        if self._thread is None:
            raise RuntimeError("FakeProvider is not running: use `with FakeProvider()` or start()")
        return self._thread.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the server's root."""
        host = self._thread.host if self._thread else self._address[0]
        return f"http://{host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)``: the root plus ``/v1``."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``anthropic.Anthropic(base_url=...)``."""
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """For ``genai.Client(http_options={"base_url": ...})``."""
        return self.url

    def env(self) -> dict[str, str]:
        """Environment variables pointing all three SDKs here, with dummy API keys.

        For subprocesses: ``subprocess.run(..., env={**os.environ, **fake.env()})``.
        ``NO_PROXY`` gains ``127.0.0.1,localhost`` so an ``HTTP(S)_PROXY`` in the
        environment does not capture loopback traffic.
        """
        no_proxy = _no_proxy_with_loopback()
        return {
            "OPENAI_BASE_URL": self.openai_base_url,
            "OPENAI_API_KEY": "sk-fake",
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake",
            "GOOGLE_GEMINI_BASE_URL": self.gemini_base_url,
            "GOOGLE_API_KEY": "fake-google-api-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false",
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    # -- scripting ----------------------------------------------------------------------

    def script(self, model: str, outcome: Reply | Fault, *, times: int | None = None) -> None:
        """Answer requests for models matching ``model`` (an fnmatch pattern) with ``outcome``.

        With ``times=N`` the script answers N requests, then requests fall through to the
        next matching script or the echo. Without ``times`` it answers every request, and
        replaces an earlier unlimited script for the same pattern. Scripts are tried in the
        order they were made, so script the limited faults first, then the steady reply.
        """
        _check_outcome(outcome)
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1, not {times}")
        self._book.script(model, outcome, times)

    def enqueue(self, *outcomes: Reply | Fault) -> None:
        """Answer the next requests, whatever their model, with ``outcomes`` in order.

        Queued outcomes come before any script.
        """
        for outcome in outcomes:
            _check_outcome(outcome)
        self._book.enqueue(outcomes)

    def pending(self) -> int:
        """Outcomes still to be played: queued ones plus the remaining ``times`` of scripts."""
        return self._book.pending()

    def reset(self) -> None:
        """Forget all scripts, queued outcomes and recorded requests."""
        self._book.reset()

    # -- inspection --------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot copy).

        A request is recorded before its answer is written, so once an SDK call returns
        (or raises), its request is here.
        """
        return self._book.requests()

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request; ``LookupError`` if there was none."""
        last = self._book.last()
        if last is None:
            raise LookupError("the fake provider has received no request")
        return last

    def calls(self, model: str | None = None) -> int:
        """How many inference requests arrived (for models matching ``model``, a pattern)."""
        return sum(
            1
            for r in self._book.requests()
            if r.inference and (model is None or fnmatchcase(r.model or "", model))
        )

    def __repr__(self) -> str:
        where = self.url if self._thread else "stopped"
        return f"<FakeProvider {where}>"


def _no_proxy_with_loopback() -> str:
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    hosts = [h.strip() for h in current.split(",") if h.strip()]
    hosts += [h for h in ("127.0.0.1", "localhost") if h not in hosts]
    return ",".join(hosts)


def _check_outcome(outcome: Outcome) -> None:
    if not isinstance(outcome, (Reply, Fault)):
        raise TypeError(f"expected a Reply or a Fault, not {outcome!r}")
