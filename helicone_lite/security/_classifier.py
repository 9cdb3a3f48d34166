"""A local prompt-injection / jailbreak classifier, loaded with ``transformers`` (the
``security`` extra): Meta's Prompt Guard, ProtectAI's DeBERTa injection model, or any
sequence-classification model whose labels name benign and malicious classes.

The model loads once, on first use (seconds for an 86M model on CPU), then judges a message in
tens of milliseconds on CPU. Texts longer than the model's window are judged in overlapping
windows and the worst window counts, so an injection cannot hide after a long benign preamble.
"""

from __future__ import annotations

import threading
from typing import Any

from ._verdict import ScanContext, Verdict

__all__ = ["DEFAULT_CLASSIFIER", "PromptGuardClassifier", "transformers_available"]

#: an open (ungated) model; Meta's ``meta-llama/Llama-Prompt-Guard-2-86M`` is gated on the Hub
DEFAULT_CLASSIFIER = "protectai/deberta-v3-base-prompt-injection-v2"
_BENIGN = frozenset({"benign", "safe", "label_0", "legit", "legitimate", "0"})
_WINDOW_CHARS = 2000
_STRIDE_CHARS = 1500


def transformers_available() -> bool:
    """Whether the ``security`` extra (transformers + torch) is installed (nothing imported)."""
    from importlib.util import find_spec

    return find_spec("transformers") is not None and find_spec("torch") is not None


def _windows(text: str) -> list[str]:
    if len(text) <= _WINDOW_CHARS:
        return [text]
    return [
        text[i : i + _WINDOW_CHARS] for i in range(0, len(text) - _STRIDE_CHARS + 1, _STRIDE_CHARS)
    ]


def _category(label: str) -> str:
    lower = label.lower()
    if "jailbreak" in lower:
        return "jailbreak"
    return "prompt_injection"


class PromptGuardClassifier:
    """``transformers`` text classification, flagged when a non-benign label scores at least
    ``threshold``. ``model`` is a Hub id or a local directory (``HF_HUB_OFFLINE=1`` works with
    a local one)."""

    def __init__(self, model: str = DEFAULT_CLASSIFIER, *, threshold: float = 0.5) -> None:
        if not 0.0 < threshold <= 1.0:
            from .._errors import OptionsError

            raise OptionsError("security_threshold", threshold, "a number in (0, 1]")
        self.model = model
        self.threshold = threshold
        self.name = f"classifier:{model}"
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._pipeline is None:
                from transformers import pipeline

                self._pipeline = pipeline(
                    "text-classification", model=self.model, tokenizer=self.model, device="cpu"
                )
            return self._pipeline

    def scan(self, text: str, context: ScanContext) -> Verdict:
        classify = self._load()
        best_label, best = "", 0.0
        for window in _windows(text):
            for item in classify(window, top_k=None, truncation=True):
                label, score = str(item["label"]), float(item["score"])
                if label.lower() not in _BENIGN and score > best:
                    best_label, best = label, score
        if best >= self.threshold:
            return Verdict(True, _category(best_label), best, self.name)
        return Verdict(False, None, best, self.name)
