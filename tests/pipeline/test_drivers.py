"""The two drivers carry effects out the same way: Forward, Sleep, Blocking; errors thrown into
the flow; interrupts seen by every running flow, then re-raised; flows always closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from helicone_lite import Client
from helicone_lite.options._model import EMPTY
from helicone_lite.pipeline import (
    Blocking,
    Call,
    Flow,
    Forward,
    Interceptor,
    Result,
    Sleep,
    run_async,
    run_sync,
)
from helicone_lite.pipeline._stack import Stack

CALL = Call(id="c1", kind="chat.completions", params={}, options=EMPTY, targets=(), origin=None)


def drive(mode: str, stack: Sequence[Interceptor], terminal: Callable[[Call], Result]) -> Result:
    """Run ``stack`` with the sync driver, or the async one on a fresh loop."""
    slept: list[float] = []
    if mode == "sync":
        return run_sync(stack, CALL, terminal, slept.append)

    async def asleep(seconds: float) -> None:
        slept.append(seconds)

    async def aterminal(call: Call) -> Result:
        return terminal(call)

    return asyncio.run(run_async(stack, CALL, aterminal, asleep))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ok(call: Call) -> Result:
    return Result(response="answer")


class Events:
    """A layer that records what happens to its flow."""

    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def handle(self, call: Call) -> Flow:
        try:
            result: Result = yield Forward(call)
            self.seen.append(f"{self.name}:returned")
            return result
        except BaseException as exc:
            self.seen.append(f"{self.name}:saw {type(exc).__name__}")
            raise
        finally:
            self.seen.append(f"{self.name}:closed")


def test_blocking_answers_with_the_functions_value(mode: str) -> None:
    class Read:
        def handle(self, call: Call) -> Flow:
            value = yield Blocking(lambda: 41 + 1)
            result: Result = yield Forward(call)
            result.headers["X-Value"] = str(value)
            return result

    assert drive(mode, [Read()], ok).headers == {"X-Value": "42"}


def test_a_failing_blocking_function_raises_at_the_yield(mode: str) -> None:
    def broken() -> None:
        raise OSError("disk gone")

    class Tolerant:
        def handle(self, call: Call) -> Flow:
            try:
                yield Blocking(broken)
            except OSError as exc:
                note = str(exc)
            result: Result = yield Forward(call)
            result.headers["X-Note"] = note
            return result

    result = drive(mode, [Tolerant()], ok)
    assert result.response == "answer" and result.headers == {"X-Note": "disk gone"}


def test_an_unhandled_blocking_failure_becomes_the_calls_error(mode: str) -> None:
    class Careless:
        def handle(self, call: Call) -> Flow:
            yield Blocking(lambda: 1 / 0)
            raise AssertionError("not reached")

    assert isinstance(drive(mode, [Careless()], ok).error, ZeroDivisionError)


def test_sleep_is_carried_out_with_the_injected_sleep(mode: str) -> None:
    class Wait:
        def handle(self, call: Call) -> Flow:
            answer = yield Sleep(2.5)
            assert answer is None
            result: Result = yield Forward(call)
            return result

    assert drive(mode, [Wait()], ok).response == "answer"


def test_yielding_something_else_is_a_clear_error(mode: str) -> None:
    class Odd:
        def handle(self, call: Call) -> Flow:
            yield "forward please"  # type: ignore[misc]
            raise AssertionError("not reached")

    error = drive(mode, [Odd()], ok).error
    assert isinstance(error, TypeError) and "Forward, Sleep or Blocking" in str(error)


def test_an_interrupt_is_seen_by_every_running_flow_then_re_raised(mode: str) -> None:
    seen: list[str] = []

    def interrupted(call: Call) -> Result:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        drive(mode, [Events("outer", seen), Events("inner", seen)], interrupted)
    assert seen == [
        "inner:saw KeyboardInterrupt",
        "inner:closed",
        "outer:saw KeyboardInterrupt",
        "outer:closed",
    ]


def test_a_flow_that_swallows_an_interrupt_does_not_stop_it(mode: str) -> None:
    class Swallow:
        def handle(self, call: Call) -> Flow:
            try:
                result: Result = yield Forward(call)
            except KeyboardInterrupt:
                return Result(error=RuntimeError("swallowed"))
            return result

    def interrupted(call: Call) -> Result:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        drive(mode, [Swallow()], interrupted)


def test_flows_are_closed_when_an_inner_layer_short_circuits(mode: str) -> None:
    seen: list[str] = []

    class Answer:
        def handle(self, call: Call) -> Flow:
            return Result(response="short")
            yield  # a generator

    assert drive(mode, [Events("outer", seen), Answer()], ok).response == "short"
    assert seen == ["outer:returned", "outer:closed"]


def test_a_flow_that_retries_is_driven_to_its_end(mode: str) -> None:
    calls: list[int] = []

    def flaky(call: Call) -> Result:
        calls.append(1)
        return Result(error=RuntimeError("again")) if len(calls) < 3 else Result(response="ok")

    class Again:
        def handle(self, call: Call) -> Flow:
            while True:
                result: Result = yield Forward(call)
                if result.ok:
                    return result
                yield Sleep(0.0)

    assert drive(mode, [Again()], flaky).response == "ok" and len(calls) == 3


async def test_a_cancelled_task_is_seen_by_the_flows_before_it_propagates() -> None:
    seen: list[str] = []
    started = asyncio.Event()

    async def hang(call: Call) -> Result:
        started.set()
        await asyncio.Event().wait()  # until cancelled
        raise AssertionError("not reached")

    async def asleep(seconds: float) -> None:
        pass

    stack: list[Any] = [Events("outer", seen), Events("inner", seen)]
    task = asyncio.create_task(run_async(stack, CALL, hang, asleep))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [
        "inner:saw CancelledError",
        "inner:closed",
        "outer:saw CancelledError",
        "outer:closed",
    ]


async def test_a_cancelled_blocking_wait_is_seen_by_the_flow() -> None:
    seen: list[str] = []
    entered = asyncio.Event()

    class Slow:
        def handle(self, call: Call) -> Flow:
            try:
                yield Blocking(lambda: None)
            except asyncio.CancelledError:
                seen.append("slow:cancelled")
                raise
            result: Result = yield Forward(call)
            return result

    async def stuck(fn: Callable[[], Any]) -> Any:
        entered.set()
        await asyncio.Event().wait()

    async def asleep(seconds: float) -> None:
        pass

    async def aok(call: Call) -> Result:
        return ok(call)

    task = asyncio.create_task(run_async([Slow()], CALL, aok, asleep, blocking=stuck))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["slow:cancelled"]


class Optional:
    """A layer that says, per call, whether it wants it (``wants``), and records its runs."""

    def __init__(self, name: str, wanted: bool, seen: list[str]) -> None:
        self.name, self.wanted, self.seen = name, wanted, seen
        self.asked: list[str] = []

    def wants(self, call: Call) -> bool:
        self.asked.append(call.id)
        return self.wanted

    def handle(self, call: Call) -> Flow:
        self.seen.append(self.name)
        result: Result = yield Forward(call)
        result.headers[self.name] = "ran"
        return result


def test_layers_that_do_not_want_a_call_are_skipped(mode: str) -> None:
    seen: list[str] = []
    skipped, kept = Optional("skipped", False, seen), Optional("kept", True, seen)
    last = Optional("last", False, seen)
    result = drive(mode, [skipped, Events("always", seen), kept, last], ok)
    assert result.response == "answer"
    assert [s for s in seen if s in ("skipped", "kept", "last")] == ["kept"]
    assert "skipped" not in result.headers and result.headers["kept"] == "ran"
    assert skipped.asked == kept.asked == last.asked == ["c1"]  # asked once each, in turn


def test_a_frozen_stack_skips_the_same_layers_with_wants_looked_up_once(mode: str) -> None:
    seen: list[str] = []
    skipped, kept = Optional("skipped", False, seen), Optional("kept", True, seen)
    layers: list[Interceptor] = [skipped, Events("always", seen), kept]
    stack = Stack(layers)
    assert tuple(stack) == tuple(layers)  # still the tuple of layers, in order
    assert stack.wants == (skipped.wants, None, kept.wants)  # None: a layer that always runs
    result = drive(mode, stack, ok)
    assert [s for s in seen if s in ("skipped", "kept")] == ["kept"]
    assert "skipped" not in result.headers and result.headers["kept"] == "ran"
    assert skipped.asked == kept.asked == ["c1"]


def test_build_stack_gives_a_frozen_stack_of_every_layer(tmp_path: Path) -> None:
    from helicone_lite.pipeline._layers import LAYERS

    with Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1", home=tmp_path) as client:
        stack = client._helicone_runtime.stack
    assert isinstance(stack, Stack) and len(stack) == len(LAYERS) - 1  # no user layers
    assert stack.wants == tuple(getattr(layer, "wants", None) for layer in stack)
