"""A layer's ``handle_sync`` (the sync driver's plain-function twin of ``handle``): the driver
calls it instead of driving the generator, with the generator path's error handling; and the
recorder, fallback and retry do the same things both ways (same result, attempts, reply
headers, log columns, waits and rows), and so do the rate limiter and the cache."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from helicone_lite.pipeline import Call, Flow, Forward, Interceptor, Result, run_sync
from helicone_lite.pipeline._hooks import Hooks
from helicone_lite.pipeline._layers import LAYERS, Parts
from helicone_lite.pipeline._settings import Settings
from helicone_lite.pipeline._stack import Stack
from helicone_lite.providers import ProviderRegistry
from helicone_lite.providers._catalog import merge_providers
from helicone_lite.ratelimit import open_buckets
from helicone_lite.ratelimit._layer import RateLimiter
from helicone_lite.retry._fallback import Fallback
from helicone_lite.retry._retry import Retry
from helicone_lite.store import Store
from helicone_lite.store._recorder import Recorder
from helicone_lite.testing import Clock

from .test_layers import completion, failed, make_call


class Twin:
    """A layer whose two ways say which one ran."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail
        self.ran: list[str] = []

    def handle(self, call: Call) -> Flow:
        self.ran.append("handle")
        result: Result = yield Forward(call)
        result.headers["X-Way"] = "handle"
        return result

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        self.ran.append("handle_sync")
        result = forward(call)
        if self.fail is not None:
            raise self.fail
        result.headers["X-Way"] = "handle_sync"
        return result


def answer(call: Call) -> Result:
    return Result(response="ok")


@pytest.mark.parametrize("direct", [True, False])
def test_the_sync_driver_calls_handle_sync_unless_told_not_to(direct: bool) -> None:
    layer = Twin()
    result = run_sync(Stack([layer], direct=direct), make_call(), answer, lambda s: None)
    way = "handle_sync" if direct else "handle"
    assert layer.ran == [way]
    assert result.response == "ok" and result.headers["X-Way"] == way


def test_an_exception_in_handle_sync_is_the_results_error() -> None:
    boom = RuntimeError("layer bug")
    result = run_sync(Stack([Twin(boom)]), make_call(), answer, lambda s: None)
    assert result.error is boom


def test_a_base_exception_in_handle_sync_propagates() -> None:
    with pytest.raises(KeyboardInterrupt):
        run_sync(Stack([Twin(KeyboardInterrupt())]), make_call(), answer, lambda s: None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "log.db")
    yield s
    s.close()


def _run(
    store: Store, direct: bool, call: Call, answers: list[Result]
) -> tuple[Result, list[float]]:
    """``call`` through recorder + fallback + retry, answered by ``answers`` in turn."""
    clock, slept = Clock(1_750_000_000.0), list[float]()
    layers: list[Interceptor] = [
        Recorder(store, Hooks(), monotonic=Clock(10.0)),
        Fallback(store, clock=clock),
        Retry(clock=clock, monotonic=Clock(5.0), rng=random.Random(1)),
    ]
    queue = list(answers)

    def terminal(sent: Call) -> Result:
        return queue.pop(0)

    result = run_sync(Stack(layers, direct=direct), call, terminal, slept.append)
    return result, slept


def _seen(result: Result, slept: list[float]) -> dict[str, Any]:
    return {
        "response": result.response,
        "error": None if result.error is None else str(result.error),
        "headers": result.headers,
        "log": result.log,
        "attempts": [(a.target_index, a.status, a.wait_ms, a.note) for a in result.attempts],
        "slept": slept,
    }


SCRIPTS: dict[str, tuple[tuple[str, ...], Callable[[], list[Result]]]] = {
    "one answer": (("a",), lambda: [Result(response=completion())]),
    "retried then answered": (("a",), lambda: [failed(500), failed(503), Result(response="ok")]),
    "retries exhausted": (("a",), lambda: [failed(500), failed(500), failed(500)]),
    "not retried": (("a",), lambda: [failed(400)]),
    "next target": (("a", "b"), lambda: [failed(429), failed(429), failed(429), Result()]),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_recorder_fallback_and_retry_do_the_same_both_ways(store: Store, script: str) -> None:
    models, answers = SCRIPTS[script]
    seen = []
    for direct in (True, False):
        call = make_call(models=tuple(f"gpt-4o-mini-{m}" for m in models)).evolve(
            id=f"req-{direct}"
        )
        result, slept = _run(store, direct, call, answers())
        seen.append(_seen(result, slept))
        assert result.headers["Helicone-Id"] == call.id
    direct_way, generator_way = seen
    direct_way["headers"]["Helicone-Id"] = generator_way["headers"]["Helicone-Id"]
    assert direct_way == generator_way
    store.flush()
    rows = store.query("SELECT id, status, attempts, fallback_index FROM requests ORDER BY id")
    attempts = store.query("SELECT request_id, COUNT(*) AS n FROM attempts GROUP BY request_id")
    assert [tuple(r)[1:] for r in rows[:1]] == [tuple(r)[1:] for r in rows[1:]]
    assert len({row["n"] for row in attempts}) <= 1 and len(attempts) in (0, 2)


def test_the_rate_limiter_does_the_same_both_ways(tmp_path: Path) -> None:
    call = make_call({"Helicone-RateLimit-Policy": "2;w=60"})
    seen = []
    for direct in (True, False):
        home = tmp_path / str(direct)
        home.mkdir()
        limiter = RateLimiter(partial(open_buckets, home), clock=Clock(1_750_000_000.0))
        stack = Stack([limiter], direct=direct)
        results = [run_sync(stack, call, answer, lambda s: None) for _ in range(3)]
        limiter.close()
        seen.append(
            [(r.response, getattr(r.error, "status_code", None), r.headers) for r in results]
        )
    assert seen[0] == seen[1]
    assert [status for _, status, _ in seen[0]] == [None, None, 429]
    assert seen[0][1][2]["Helicone-RateLimit-Remaining"] == "0"


def test_the_cache_does_the_same_both_ways(tmp_path: Path) -> None:
    call = make_call({"Helicone-Cache-Enabled": "true"})
    seen = []
    for direct in (True, False):
        home = tmp_path / str(direct)
        settings = Settings(home=home, clock=Clock(1_750_000_000.0), monotonic=Clock(10.0))
        store = Store(home / "helicone.db")
        parts = Parts(settings, home, store, ProviderRegistry(merge_providers(())), Hooks())
        cache = next(b for n, b in LAYERS if n == "cache" and b is not None)(parts)
        stack = Stack([cache], direct=direct)
        results = [
            run_sync(stack, call, lambda c: Result(response=completion()), lambda s: None)
            for _ in range(2)
        ]
        getattr(cache, "close", lambda: None)()
        store.close()
        seen.append([(r.response, r.headers, r.log) for r in results])
    assert seen[0] == seen[1]
    assert [headers.get("Helicone-Cache") for _, headers, _ in seen[0]] == ["MISS", "HIT"]
