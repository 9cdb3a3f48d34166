"""Secret redaction: a leaf module (imports nothing of the package) shared by the recorder,
the cache, fallback trails and the OpenTelemetry exporter."""

from __future__ import annotations

import re

__all__ = ["redact"]

_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+|AIza[0-9A-Za-z_\-]{10,})")


def redact(text: str) -> str:
    """Blank out anything that looks like an API key or a bearer token."""
    return _SECRET.sub("[REDACTED]", text)
