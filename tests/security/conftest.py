"""The security tests use the plugin's fixtures (``fake``, ``make_client``, ``client``); the
names they import live here."""

from __future__ import annotations

from helicone_lite.testing import Clock
from helicone_lite.testing.pytest_plugin import KEY, MakeClient, rows

__all__ = ["KEY", "MESSAGES", "Clock", "MakeClient", "rows"]

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
