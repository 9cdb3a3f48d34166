"""Each built-in layer, alone, through ``handle()`` with the scripted driver of the package's
pytest plugin (no client, no HTTP): what it forwards, sleeps, runs as blocking I/O, answers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from helicone_lite._errors import status_error
from helicone_lite.cache import open_backend
from helicone_lite.cache._layer import Cache
from helicone_lite.options._parse import parse_headers
from helicone_lite.pipeline import Call, Result, Target
from helicone_lite.pipeline._hooks import Hooks
from helicone_lite.ratelimit import open_buckets
from helicone_lite.ratelimit._layer import RateLimiter
from helicone_lite.retry import Fallback, Retry
from helicone_lite.store import Store
from helicone_lite.store._recorder import Recorder
from helicone_lite.testing import Clock
from helicone_lite.testing.pytest_plugin import drive


class Adapter:
    provider = "openai"
    price_provider = "openai"

    def endpoint(self, call: Call) -> str:
        return "http://127.0.0.1:9/v1"

    def fingerprint(self, call: Call) -> str:
        return "key-1"


def completion(text: str = "Hi") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )


def make_call(
    headers: dict[str, str] | None = None, *, models: tuple[str, ...] = ("gpt-4o-mini",)
) -> Call:
    options, _ = parse_headers(headers or {})
    return Call(
        id="req-1",
        kind="chat.completions",
        params={"model": models[0], "messages": [{"role": "user", "content": "Hello"}]},
        options=options,
        targets=tuple(Target("openai", m, Adapter()) for m in models),  # type: ignore[arg-type]
        origin=None,
        started=10.0,
        started_wall=1_750_000_000.0,
    )


def failed(status: int) -> Result:
    return Result(error=status_error(status, f"provider said {status}"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "log.db")
    yield s
    s.close()


def test_retry_sleeps_between_attempts_and_reports_them() -> None:
    layer = Retry(clock=Clock(0.0), monotonic=Clock(5.0), rng=random.Random(1))
    run = drive(layer, make_call(), [failed(500), Result(response="ok")])
    assert run.result.response == "ok"
    assert len(run.forwarded) == 2 and len(run.slept) == 1 and 0.375 <= run.slept[0] <= 0.5
    assert [a.status for a in run.result.attempts] == [500, 200]
    assert run.result.log == {"attempts": 2}


def test_retry_does_not_retry_a_client_error() -> None:
    run = drive(Retry(rng=random.Random(1)), make_call(), [failed(400)])
    assert run.result.error is not None and run.slept == [] and len(run.forwarded) == 1


def test_fallback_moves_on_to_the_next_target(store: Store) -> None:
    call = make_call(models=("gpt-4o", "gpt-4o-mini"))
    run = drive(
        Fallback(store, clock=Clock(1_750_000_000.0)), call, [failed(500), Result(response="ok")]
    )
    assert [c.target_index for c in run.forwarded] == [0, 1]
    assert run.result.headers["Helicone-Fallback-Index"] == "1"
    assert run.result.log == {"attempts": 2, "fallback_index": 1, "provider": "openai"}
    store.flush()
    assert [r["status"] for r in store.query("SELECT status FROM attempts ORDER BY attempt")] == [
        500,
        200,
    ]


def test_the_rate_limiter_reserves_through_blocking_io_and_refuses_past_the_quota(
    tmp_path: Path,
) -> None:
    layer = RateLimiter(partial_buckets(tmp_path), clock=Clock(1_750_000_000.0))
    call = make_call({"Helicone-RateLimit-Policy": "1;w=60"})
    first = drive(layer, call, [Result(response="ok")])
    second = drive(layer, call, [])
    layer.close()
    assert first.result.response == "ok" and first.blocking == 1
    assert first.result.headers["Helicone-RateLimit-Remaining"] == "0"
    assert second.forwarded == [] and getattr(second.result.error, "status_code", None) == 429


def partial_buckets(tmp_path: Path) -> Any:
    return lambda: open_buckets(tmp_path)


def test_the_cache_answers_a_hit_without_forwarding(tmp_path: Path) -> None:
    layer = Cache(
        lambda: open_backend(tmp_path),
        describe="test cache",
        clock=Clock(1_750_000_000.0),
        monotonic=Clock(10.0),
    )
    call = make_call({"Helicone-Cache-Enabled": "true"})
    miss = drive(layer, call, [Result(response=completion("cached"))])
    hit = drive(layer, call, [])
    layer.close()
    assert miss.result.headers["Helicone-Cache"] == "MISS" and miss.blocking == 2  # lookup, save
    assert hit.forwarded == [] and hit.result.headers["Helicone-Cache"] == "HIT"
    assert hit.result.response.choices[0].message.content == "cached"


class Seen:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(self, call: Call, result: Result, row: dict[str, Any]) -> None:
        self.rows.append(row)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        pass


def test_the_recorder_times_calls_with_the_injected_clock(store: Store) -> None:
    seen = Seen()
    layer = Recorder(store, Hooks((seen,)), monotonic=Clock(10.25))
    run = drive(layer, make_call(), [Result(response=completion())])
    store.flush()
    [row] = store.query("SELECT latency_ms, status, prompt_tokens FROM requests")
    assert row == {"latency_ms": 250.0, "status": 200, "prompt_tokens": 3}
    assert run.result.headers["Helicone-Id"] == "req-1"
    assert [r["id"] for r in seen.rows] == ["req-1"]
