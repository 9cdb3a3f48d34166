"""The interceptor stack and its two drivers.

An interceptor is written once, as a generator: it receives the :class:`Call`, *yields effects*
(:class:`Forward` a call to the rest of the stack, :class:`Sleep`, :class:`Blocking` I/O),
receives their outcome, and returns a :class:`Result`. The sync and async drivers below carry
the effects out; they are the only place where sync and async differ (as in httpx's auth
flows).

>>> class Tag:
...     def handle(self, call):
...         result = yield Forward(call)
...         result.headers["X-Tagged"] = "yes"
...         return result
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Protocol, runtime_checkable

from ._call import Blocking, Call, Effect, Forward, Result, Sleep

__all__ = ["Flow", "Interceptor", "PassThrough", "RunBlocking", "Stack", "run_async", "run_sync"]

_log = logging.getLogger("helicone_lite")

#: What an interceptor's ``handle`` returns: a generator of effects that returns a Result.
Flow = Generator[Effect, Any, Result]


@runtime_checkable
class Interceptor(Protocol):
    """One feature of the stack. ``handle`` must not block: I/O goes through ``Blocking``.

    Yield ``Forward(call)`` to call the rest of the stack (zero, one or many times; the answer is
    a :class:`Result`, never an exception), ``Sleep(seconds)`` to wait, ``Blocking(fn)`` to run
    blocking I/O (the answer is ``fn()``; its exception is raised at the ``yield``); return a
    Result.

    A layer may also define ``wants(call) -> bool``: False means its ``handle`` would only
    forward ``call`` and return the answer untouched, so the drivers skip it (no generator, no
    frame: most calls use few features). Layers without ``wants`` always run.

    And ``handle_sync(call, forward, sleep) -> Result``: the same flow as ``handle``, written
    as a plain function for the sync driver (``forward(call)`` returns the rest of the stack's
    Result, ``sleep(seconds)`` waits). It must do exactly what ``handle`` does under
    :func:`run_sync`; the sync driver then calls it instead of driving a generator (no
    generator, ``Forward`` or ``StopIteration`` per layer: the recorder, fallback and retry of
    every call, issue 12). The async driver always runs ``handle``.
    """

    def handle(self, call: Call) -> Flow: ...


class PassThrough:
    """The identity interceptor; subclass it and override ``handle``."""

    def handle(self, call: Call) -> Flow:
        result: Result = yield Forward(call)
        return result


Wants = Callable[[Call], bool]
#: ``handle_sync(call, forward, sleep)`` (see Interceptor)
HandleSync = Callable[[Call, Callable[[Call], Result], Callable[[float], None]], Result]


class Stack(tuple[Interceptor, ...]):
    """A frozen stack with each layer's ``wants`` (None: the layer always runs) and
    ``handle_sync`` (None: the sync driver runs ``handle``) looked up once, when it is built,
    instead of on every call (``getattr`` per layer per call: issue 12). ``direct=False``
    ignores every ``handle_sync`` (tests compare the two ways)."""

    wants: tuple[Wants | None, ...]
    direct: tuple[HandleSync | None, ...]

    def __new__(cls, layers: Sequence[Interceptor], *, direct: bool = True) -> Stack:
        stack = super().__new__(cls, layers)
        stack.wants = tuple(getattr(layer, "wants", None) for layer in stack)
        stack.direct = tuple(
            getattr(layer, "handle_sync", None) if direct else None for layer in stack
        )
        return stack


Terminal = Callable[[Call], Result]
AsyncTerminal = Callable[[Call], Awaitable[Result]]
#: How the async driver runs a :class:`Blocking` function off the loop (``asyncio.to_thread``
#: by default; ``Runtime`` passes its own executor, which ``close()`` shuts down).
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


def run_sync(
    stack: Sequence[Interceptor],
    call: Call,
    terminal: Terminal,
    sleep: Callable[[float], None],
    *,
    index: int = 0,
) -> Result:
    """Run ``call`` through ``stack[index:]`` and then ``terminal``, synchronously.

    An effect that fails with an ``Exception`` is thrown into the flow at its ``yield``; a
    ``BaseException`` (``KeyboardInterrupt``, a cancellation) is thrown into the flow too, so
    it can react (log, release), and then propagates. The flow is closed on every exit path.
    """
    # _first_wanted and _guard written out: a call passes here once per layer it runs, and
    # each Python frame costs ~0.5-1 us cold inside a real call (issue 12)
    end = len(stack)
    known = stack.wants if type(stack) is Stack else None
    while index < end:
        wants = known[index] if known is not None else getattr(stack[index], "wants", None)
        if wants is None or wants(call):
            break
        index += 1
    else:
        try:
            return terminal(call)
        except Exception as exc:
            return Result(error=exc)
    direct = stack.direct[index] if type(stack) is Stack else None
    if direct is not None:
        return _run_direct(direct, stack[index], stack, call, terminal, sleep, index)
    return _run_flow(stack, call, terminal, sleep, index)


def _run_flow(
    stack: Sequence[Interceptor],
    call: Call,
    terminal: Terminal,
    sleep: Callable[[float], None],
    index: int,
) -> Result:
    """:func:`run_sync` of a layer run as a generator (``handle``)."""
    layer = stack[index]
    flow = layer.handle(call)
    done = False
    try:
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                effect = flow.send(reply) if error is None else flow.throw(error)
            except StopIteration as stop:
                done = True  # a finished flow needs no close()
                return _checked(stop.value, layer)
            except Exception as exc:
                done = True
                return Result(error=exc)
            reply, error = None, None
            try:
                if isinstance(effect, Forward):
                    reply = run_sync(stack, effect.call, terminal, sleep, index=index + 1)
                elif isinstance(effect, Blocking):
                    reply = effect.fn()
                elif isinstance(effect, Sleep):
                    sleep(effect.seconds)
                else:
                    error = _not_an_effect(effect, layer)
            except Exception as exc:
                error = exc
            except BaseException as exc:
                _interrupt(flow, exc)
                raise
    finally:
        if not done:
            _close(flow, layer)


def _run_direct(
    direct: HandleSync,
    layer: Interceptor,
    stack: Sequence[Interceptor],
    call: Call,
    terminal: Terminal,
    sleep: Callable[[float], None],
    index: int,
) -> Result:
    """A layer's ``handle_sync``, with what the generator path gives ``handle``: its
    ``Exception`` becomes the Result's error, a ``BaseException`` (from the layer or the rest
    of the stack, which it may see on its way out) propagates."""

    def forward(inner: Call) -> Result:
        return run_sync(stack, inner, terminal, sleep, index=index + 1)

    try:
        value = direct(call, forward, sleep)
    except Exception as exc:
        return Result(error=exc)
    return value if isinstance(value, Result) else _checked(value, layer)


async def run_async(
    stack: Sequence[Interceptor],
    call: Call,
    terminal: AsyncTerminal,
    sleep: Callable[[float], Awaitable[None]],
    *,
    blocking: RunBlocking = asyncio.to_thread,
    index: int = 0,
) -> Result:
    """Run ``call`` through ``stack[index:]`` and then ``terminal``, on the event loop.

    :class:`Blocking` effects run in a worker thread (``blocking``); otherwise as
    :func:`run_sync`.
    """
    index = _first_wanted(stack, call, index)
    if index == len(stack):
        try:
            return await terminal(call)
        except Exception as exc:
            return Result(error=exc)
    layer = stack[index]
    flow = layer.handle(call)
    done = False
    try:
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                effect = flow.send(reply) if error is None else flow.throw(error)
            except StopIteration as stop:
                done = True  # a finished flow needs no close()
                return _checked(stop.value, layer)
            except Exception as exc:
                done = True
                return Result(error=exc)
            reply, error = None, None
            try:
                if isinstance(effect, Forward):
                    reply = await run_async(
                        stack, effect.call, terminal, sleep, blocking=blocking, index=index + 1
                    )
                elif isinstance(effect, Blocking):
                    reply = await blocking(effect.fn)
                elif isinstance(effect, Sleep):
                    await sleep(effect.seconds)
                else:
                    error = _not_an_effect(effect, layer)
            except Exception as exc:
                error = exc
            except BaseException as exc:
                _interrupt(flow, exc)
                raise
    finally:
        if not done:
            _close(flow, layer)


def _first_wanted(stack: Sequence[Interceptor], call: Call, index: int) -> int:
    """The index of the first layer from ``index`` on that wants ``call`` (see Interceptor).
    :func:`run_sync` writes this loop out (a frame fewer on every sync call)."""
    end = len(stack)
    known = stack.wants if type(stack) is Stack else None
    while index < end:
        wants = known[index] if known is not None else getattr(stack[index], "wants", None)
        if wants is None or wants(call):
            return index
        index += 1
    return index


def _checked(value: object, layer: Interceptor) -> Result:
    if isinstance(value, Result):
        return value
    return Result(
        error=TypeError(f"{type(layer).__name__}.handle returned {value!r}, not a Result")
    )


def _not_an_effect(value: object, layer: Interceptor) -> TypeError:
    return TypeError(
        f"{type(layer).__name__}.handle yielded {value!r}; a flow yields Forward, Sleep or "
        "Blocking"
    )


def _interrupt(flow: Flow, exc: BaseException) -> None:
    """Let a flow see a cancellation or interrupt (the driver re-raises it afterwards)."""
    try:
        flow.throw(exc)
    except BaseException as seen:
        if seen is not exc and not isinstance(seen, (StopIteration, type(exc))):
            _log.exception("helicone_lite: a layer failed while being interrupted")
    # a flow that yields again after an interrupt is closed by the driver's ``finally``


def _close(flow: Flow, layer: Interceptor) -> None:
    try:
        flow.close()
    except Exception:  # a flow that yields on GeneratorExit: a bug in the layer, not the call's
        _log.exception("helicone_lite: %s.handle did not close cleanly", type(layer).__name__)


def is_effect(value: object) -> bool:
    return isinstance(value, (Forward, Sleep, Blocking))
