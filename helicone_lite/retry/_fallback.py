"""Fallback: send the call to the next target of its chain when one fails.

The chain (``call.targets``) comes from the model string and ``fallbacks=[…]``
(``helicone_lite/providers/_chain.py``). Each target gets its own retries (the retry layer sits
inside this one). After a target's last attempt, the call moves on on 429, 5xx, 408, 401, 403,
404, connection errors, timeouts and context-length errors — never on other 4xx, which would fail
the same way anywhere. A target with ``on_codes`` moves on on exactly those statuses (and on
connection errors and timeouts).

The answer says who answered (``Helicone-Fallback-Index``, ``Helicone-Provider``,
``Helicone-Model``; ``fallback_index``, ``attempts``, ``provider`` in the log). When every target
fails, the user gets the last error, as the same ``openai`` exception class with the same status
and response, its message listing every attempt. A call that took more than one attempt leaves
one row per attempt in the ``attempts`` table.

Targets that keep failing cool down (see ``_cooldown.py``): skipped, with an ``attempts`` row
saying so, as long as another target of the call can be tried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import openai

from .._redact import redact
from ..pipeline._attempt import Attempt
from ..pipeline._call import Call, Forward, Result, Target
from ..pipeline._stack import Flow
from ..store._time import iso_from_epoch
from ._cooldown import Cooldown
from ._failure import Failure, failure_of

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Fallback", "moves_on"]

_log = logging.getLogger("helicone_lite")

#: statuses after which the next target is tried (besides 5xx and context-length errors).
MOVE_ON = frozenset({401, 403, 404, 408, 429})
_MESSAGE_CHARS = 300


def moves_on(failure: Failure | None, target: Target) -> bool:
    """Whether a call whose ``target`` failed with ``failure`` goes on to the next target."""
    if failure is None or failure.kind == "other":
        return False
    if failure.transient:
        return True
    if target.on_codes is not None:
        return failure.status in target.on_codes
    return failure.status in MOVE_ON or failure.status >= 500 or failure.context_length


class Fallback:
    """Walks the call's targets in order; shared cooldown state lives on this instance."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        cooldown: Cooldown | None = None,
    ) -> None:
        """``store`` gets the ``attempts`` rows; ``cooldown`` (None: off) skips failing
        targets."""
        self._store = store
        self._clock = clock
        self._cooldown = cooldown
        self._store_failed = False

    def handle(self, call: Call) -> Flow:
        trail: list[Attempt] = []
        result: Result | None = None
        answered = call.target_index
        for index in range(call.target_index, len(call.targets)):
            if self._skip(call, index, result is not None, trail):
                continue
            here = call if index == call.target_index else call.evolve(target_index=index)
            result = yield Forward(here)
            answered = index
            if self._tried(here, result, trail):
                break
        return self._answer(call, result, answered, trail)

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        """``handle`` for the sync driver (pipeline/_stack.py): the same, without a generator."""
        trail: list[Attempt] = []
        result: Result | None = None
        answered = call.target_index
        for index in range(call.target_index, len(call.targets)):
            if self._skip(call, index, result is not None, trail):
                continue
            here = call if index == call.target_index else call.evolve(target_index=index)
            result = forward(here)
            answered = index
            if self._tried(here, result, trail):
                break
        return self._answer(call, result, answered, trail)

    def _tried(self, here: Call, result: Result, trail: list[Attempt]) -> bool:
        """Add ``result``'s attempts at ``here.target`` to the trail; whether the call ends."""
        tried: list[Attempt] = result.attempts or [_single(here, result)]
        trail.extend(tried)
        cooldown = self._cooldown
        if cooldown is not None:
            for attempt in tried:  # (record does nothing for a success while none cools down)
                if attempt.failure is not None or cooldown.state:
                    cooldown.record(attempt.target, attempt.failure)
        return result.error is None or not moves_on(tried[-1].failure, here.target)

    def _answer(
        self, call: Call, result: Result | None, answered: int, trail: list[Attempt]
    ) -> Result:
        assert result is not None  # _skip never skips when nothing has been tried yet
        result.attempts = trail
        target = call.targets[answered]  # the answer written here, not in a helper: a frame
        tried = len(trail) if len(trail) == 1 else sum(1 for a in trail if not a.skipped)
        result.log["attempts"] = tried
        result.log["fallback_index"] = answered
        result.log["provider"] = target.provider
        result.headers["Helicone-Fallback-Index"] = str(answered)
        result.headers["Helicone-Provider"] = target.provider
        result.headers["Helicone-Model"] = target.model
        if len(trail) > 1:
            if result.error is not None:
                result.error = with_trail(result.error, trail)
            self._write(call, trail)
        return result

    # -- cooldown ---------------------------------------------------------------------------
    def _skip(self, call: Call, index: int, answered: bool, trail: list[Attempt]) -> bool:
        target = call.targets[index]
        here = call if index == call.target_index else call.evolve(target_index=index)
        able = getattr(target.adapter, "serves", None)  # providers._registry.serves, written out
        if able is not None and not able(here):  # (no copy for its own target: every call asks)
            note = f"skipped: {target.provider} cannot serve a {call.kind} call"
            wall = self._clock()
            trail.append(Attempt(index, target, 0, None, 0.0, 0.0, wall, None, note, skipped=True))
            return True
        cooldown = self._cooldown
        if cooldown is None or not cooldown.state:  # nothing cools down: no remaining() call
            return False
        remaining = cooldown.remaining(target)
        if not remaining:
            return False
        later = any(not cooldown.remaining(t) for t in call.targets[index + 1 :])
        if not (answered or later):
            return False  # never refuse a call by cooldown alone
        wall = self._clock()
        note = f"skipped: cooling down until {iso_from_epoch(wall + remaining)}"
        trail.append(Attempt(index, target, 0, None, 0.0, 0.0, wall, None, note, skipped=True))
        return True

    # -- the attempts ----------------------------------------------------------------------
    def _write(self, call: Call, trail: Sequence[Attempt]) -> None:
        iso = iso_from_epoch
        try:
            for number, attempt in enumerate(trail, start=1):
                self._store.write(
                    "attempts",
                    {
                        "request_id": call.id,
                        "attempt": number,
                        "target_index": attempt.target_index,
                        "provider": attempt.target.provider,
                        "model": attempt.target.model,
                        "status": attempt.status,
                        "error": _error_text(attempt),
                        "latency_ms": round(attempt.latency_ms, 3),
                        "wait_ms": round(attempt.wait_ms, 3),
                        "created_at": iso(attempt.started_wall),
                    },
                )
        except Exception:
            if not self._store_failed:
                self._store_failed = True
                _log.exception("helicone_lite: could not log the attempts of a call")


def _single(call: Call, result: Result) -> Attempt:
    """The attempt record when no retry layer reported one (a custom stack)."""
    failure = failure_of(result.error, lambda: 0.0)
    status = 200 if failure is None else failure.status
    return Attempt(call.target_index, call.target, status, result.error, 0.0, 0.0, 0.0, failure)


def _error_text(attempt: Attempt) -> str | None:
    if attempt.skipped:
        return attempt.note
    if attempt.error is None:
        return None
    text = redact(f"{type(attempt.error).__name__}: {attempt.error}")
    return f"{text} ({attempt.note})" if attempt.note else text


def _describe(number: int, attempt: Attempt) -> str:
    where = f"#{number} {attempt.target.model} ({attempt.target.provider})"
    if attempt.skipped:
        return f"{where}: {attempt.note}"
    text = _error_text(attempt) or "ok"
    if len(text) > _MESSAGE_CHARS:
        text = text[: _MESSAGE_CHARS - 1] + "…"
    waited = f" after waiting {attempt.wait_ms / 1000:g} s" if attempt.wait_ms else ""
    return f"{where}{waited}: {text}"


def with_trail(error: BaseException, trail: Sequence[Attempt]) -> BaseException:
    """``error`` (same class, status, response, body) with every attempt in its message.

    Errors that are not ``openai`` errors are returned untouched.
    """
    if not isinstance(error, openai.APIError):
        return error
    tried = sum(1 for a in trail if not a.skipped)
    targets = len({a.target_index for a in trail})
    summary = "; ".join(_describe(n, a) for n, a in enumerate(trail, start=1))
    message = (
        f"{error.message} [helicone_lite: {tried} attempt{'s' * (tried != 1)} on {targets} "
        f"target{'s' * (targets != 1)} failed: {summary}]"
    )
    clone: Any = type(error).__new__(type(error))
    clone.__dict__.update(error.__dict__)
    clone.args = (message,)
    clone.message = message
    clone.__cause__ = error.__cause__
    clone.__context__ = error.__context__
    clone.__suppress_context__ = error.__suppress_context__
    return clone.with_traceback(error.__traceback__)  # type: ignore[no-any-return]
