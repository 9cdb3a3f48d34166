"""LLM security: screening a call's user-controlled messages before any provider is called.

The layer (:mod:`._layer`) runs the detectors a call asks for with ``Helicone-LLM-Security-*``,
``Helicone-Prompt-Guard-Enabled`` and ``Helicone-Moderations-Enabled``; detectors follow the
small :class:`Detector` protocol. Built-ins: :class:`ModerationDetector` (the provider's
moderation endpoint), :class:`LlmJudge` (Llama Guard style, any configured model) and
:class:`PromptGuardClassifier` (local, ``transformers``; the ``security`` extra).
See docs/llm-security.md.
"""

from ._classifier import DEFAULT_CLASSIFIER, PromptGuardClassifier, transformers_available
from ._detectors import LLAMA_GUARD_CATEGORIES, LlmJudge, ModerationDetector, judge_prompt
from ._layer import Security, SecurityNotConfigured, user_texts
from ._verdict import Detector, ScanContext, Verdict

__all__ = [
    "DEFAULT_CLASSIFIER",
    "LLAMA_GUARD_CATEGORIES",
    "Detector",
    "LlmJudge",
    "ModerationDetector",
    "PromptGuardClassifier",
    "ScanContext",
    "Security",
    "SecurityNotConfigured",
    "Verdict",
    "judge_prompt",
    "transformers_available",
    "user_texts",
]
