"""The interceptor stack and its two drivers.

An interceptor is written once, as a generator: it receives the :class:`Call`, *yields effects*
(:class:`Forward` a call to the rest of the stack, :class:`Sleep`), receives their outcome, and
returns a :class:`Result`. The sync and async drivers below carry the effects out; they are the
only place where sync and async differ (as in httpx's auth flows).

>>> class Tag:
...     def handle(self, call):
...         result = yield Forward(call)
...         result.headers["X-Tagged"] = "yes"
...         return result
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Protocol, runtime_checkable

from ._call import Call, Effect, Forward, Result, Sleep

__all__ = ["Flow", "Interceptor", "PassThrough", "run_async", "run_sync"]

_log = logging.getLogger("helicone_lite")

#: What an interceptor's ``handle`` returns: a generator of effects that returns a Result.
Flow = Generator[Effect, Any, Result]


@runtime_checkable
class Interceptor(Protocol):
    """One feature of the stack. ``handle`` must not block on I/O other than fast local state.

    Yield ``Forward(call)`` to call the rest of the stack (zero, one or many times; the answer is
    a :class:`Result`, never an exception), ``Sleep(seconds)`` to wait; return a Result.
    """

    def handle(self, call: Call) -> Flow: ...


class PassThrough:
    """The identity interceptor; subclass it and override ``handle``."""

    def handle(self, call: Call) -> Flow:
        result: Result = yield Forward(call)
        return result


Terminal = Callable[[Call], Result]
AsyncTerminal = Callable[[Call], Awaitable[Result]]


def run_sync(
    stack: Sequence[Interceptor],
    call: Call,
    terminal: Terminal,
    sleep: Callable[[float], None],
    index: int = 0,
) -> Result:
    """Run ``call`` through ``stack[index:]`` and then ``terminal``, synchronously."""
    if index == len(stack):
        return _guard(terminal, call)
    flow = stack[index].handle(call)
    try:
        effect = next(flow)
        while True:
            try:
                if isinstance(effect, Forward):
                    reply: Any = run_sync(stack, effect.call, terminal, sleep, index + 1)
                else:
                    sleep(effect.seconds)
                    reply = None
            except BaseException as exc:  # KeyboardInterrupt, SystemExit: let the layer see it
                effect = _throw(flow, exc)
                continue
            effect = flow.send(reply)
    except StopIteration as stop:
        return _checked(stop.value, stack[index])
    except Exception as exc:
        return Result(error=exc)


async def run_async(
    stack: Sequence[Interceptor],
    call: Call,
    terminal: AsyncTerminal,
    sleep: Callable[[float], Awaitable[None]],
    index: int = 0,
) -> Result:
    """Run ``call`` through ``stack[index:]`` and then ``terminal``, on the event loop."""
    if index == len(stack):
        try:
            return await terminal(call)
        except Exception as exc:
            return Result(error=exc)
    flow = stack[index].handle(call)
    try:
        effect = next(flow)
        while True:
            try:
                if isinstance(effect, Forward):
                    reply: Any = await run_async(stack, effect.call, terminal, sleep, index + 1)
                else:
                    await sleep(effect.seconds)
                    reply = None
            except BaseException as exc:  # CancelledError, KeyboardInterrupt: the layer sees it
                effect = _throw(flow, exc)
                continue
            effect = flow.send(reply)
    except StopIteration as stop:
        return _checked(stop.value, stack[index])
    except Exception as exc:
        return Result(error=exc)


def _throw(flow: Flow, exc: BaseException) -> Effect:
    """Raise ``exc`` inside ``flow`` at its pending ``yield`` (so an outer layer such as the
    recorder can log a cancelled call); if the flow does not catch it, it propagates."""
    return flow.throw(exc)


def _guard(terminal: Terminal, call: Call) -> Result:
    try:
        return terminal(call)
    except Exception as exc:
        return Result(error=exc)


def _checked(value: object, layer: Interceptor) -> Result:
    if isinstance(value, Result):
        return value
    return Result(
        error=TypeError(f"{type(layer).__name__}.handle returned {value!r}, not a Result")
    )


def is_effect(value: object) -> bool:
    return isinstance(value, (Forward, Sleep))
