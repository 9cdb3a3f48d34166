"""What a detector is and what it answers: the :class:`Detector` protocol and :class:`Verdict`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["Complete", "Detector", "Moderate", "ScanContext", "Verdict", "worst"]

#: ``complete(model, messages) -> reply text``: one chat call through any configured provider
Complete = Callable[[str, Sequence[Mapping[str, Any]]], str]
#: ``moderate(texts, model) -> openai ModerationCreateResponse`` through the user's own client
Moderate = Callable[[Sequence[str], str], Any]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One detector's judgement of one text.

    ``score`` is in [0, 1] (a probability for classifiers and the moderation endpoint; 1.0 for
    an LLM judge's "unsafe"); ``category`` names what was found (``prompt_injection``,
    ``jailbreak``, ``S2: Non-Violent Crimes``, ``harassment``…), ``None`` when nothing was.

    >>> Verdict(flagged=True, category="jailbreak", score=0.98, detector="prompt-guard").flagged
    True
    """

    flagged: bool
    category: str | None
    score: float
    detector: str


def worst(verdicts: Sequence[Verdict]) -> Verdict | None:
    """The verdict to report: the highest-scoring flagged one, else the highest score."""
    if not verdicts:
        return None
    flagged = [v for v in verdicts if v.flagged]
    return max(flagged or verdicts, key=lambda v: v.score)


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What a detector may use besides the text: the means to call models, never the call's
    credentials. ``complete`` and ``moderate`` are synchronous (blocking I/O)."""

    complete: Complete
    moderate: Moderate


@runtime_checkable
class Detector(Protocol):
    """Judges one user-controlled text. ``name`` keys the verdict cache and is recorded.

    ``scan`` may block (a model call, a local classifier); it raises when it cannot judge, and
    the call then fails closed (no provider call).
    """

    name: str

    def scan(self, text: str, context: ScanContext) -> Verdict: ...
