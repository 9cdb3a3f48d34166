"""The built-in detectors that call a model: the provider's moderation endpoint and an LLM judge.

The local prompt-injection classifier (``transformers``) lives in :mod:`._classifier`.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from ._verdict import ScanContext, Verdict

__all__ = ["LLAMA_GUARD_CATEGORIES", "LlmJudge", "ModerationDetector", "judge_prompt"]

#: Llama Guard 3's 14 hazard categories (MLCommons taxonomy), plus S15 for prompt injection
#: so one judge can also screen for it when no local classifier is installed.
LLAMA_GUARD_CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Suicide & Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
    "S15": "Prompt Injection",
}
_MARKERS = re.compile(r"<\s*(BEGIN|END)\b", re.IGNORECASE)


class ModerationDetector:
    """OpenAI's moderation endpoint (``omni-moderation-latest``) through the user's own client,
    as Helicone's ``Helicone-Moderations-Enabled`` does. Free of charge at OpenAI; needs the
    OpenAI key. The score is the highest category score; flagged as the endpoint says."""

    def __init__(self, model: str = "omni-moderation-latest") -> None:
        self.model = model
        self.name = f"moderation:{model}"

    def scan(self, text: str, context: ScanContext) -> Verdict:
        response = context.moderate([text], self.model)
        result = response.results[0]
        scores: dict[str, Any] = result.category_scores.model_dump(by_alias=True)
        flags: dict[str, Any] = result.categories.model_dump(by_alias=True)
        numeric = {k: float(v) for k, v in scores.items() if isinstance(v, (int, float))}
        flagged = [k for k, v in flags.items() if v]
        if result.flagged and flagged:
            category = max(flagged, key=lambda k: numeric.get(k, 0.0))
            return Verdict(True, category, numeric.get(category, 1.0), self.name)
        top = max(numeric.values(), default=0.0)
        return Verdict(bool(result.flagged), None, top, self.name)


def judge_prompt(content: str) -> str:
    """The Llama Guard style prompt (``llama_guard.txt``) around one user message; markers in the
    message that could end the conversation block early are defused."""
    template = resources.files(__package__).joinpath("llama_guard.txt").read_text("utf-8")
    return template.replace("{content}", _MARKERS.sub(r"< \1", content))


class LlmJudge:
    """A model that answers in Llama Guard's format (``safe`` / ``unsafe`` + ``S1,S10``) judges
    the text: Llama Guard itself (``llama-guard-3-8b/groq``, ``meta-llama/Llama-Guard-3-8B/
    together``…) or any capable chat model (``gpt-4o-mini``), through any configured provider.

    An answer that is neither ``safe`` nor ``unsafe`` raises ``ValueError`` (the call fails
    closed). The score is 1.0 for unsafe, 0.0 for safe: a judge gives no probability.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.name = f"judge:{model}"

    def scan(self, text: str, context: ScanContext) -> Verdict:
        reply = context.complete(self.model, [{"role": "user", "content": judge_prompt(text)}])
        return self.parse(reply)

    def parse(self, reply: str) -> Verdict:
        """``safe`` -> pass; ``unsafe`` + codes -> flagged with the first category's name.

        >>> LlmJudge("m").parse("unsafe\\nS2,S10").category
        'S2: Non-Violent Crimes'
        """
        lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
        head = lines[0].lower().strip(" .") if lines else ""
        if head == "safe":
            return Verdict(False, None, 0.0, self.name)
        if head != "unsafe":
            raise ValueError(
                f"security judge {self.model!r} answered neither 'safe' nor 'unsafe' "
                f"(first line {head[:40]!r}); the call was not sent"
            )
        codes = re.findall(r"S\d{1,2}", lines[1].upper()) if len(lines) > 1 else []
        code = codes[0] if codes else None
        category = (
            f"{code}: {LLAMA_GUARD_CATEGORIES[code]}" if code in LLAMA_GUARD_CATEGORIES else code
        )
        return Verdict(True, category or "unsafe", 1.0, self.name)
