"""Token limits: ``Helicone-Token-Limit-Exception-Handler: truncate | middle-out | fallback``
acts before the call when the prompt exceeds the target model's context window (from
genai-prices' model catalogue). See docs/production.md."""

from ._layer import TokenLimit, context_window, estimate_tokens, fit_middle_out, fit_truncate

__all__ = ["TokenLimit", "context_window", "estimate_tokens", "fit_middle_out", "fit_truncate"]
