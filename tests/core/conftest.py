"""The core tests use the plugin's fixtures (``fake``, ``make_client``, ``client``,
``aclient``); the names they import live here."""

from __future__ import annotations

from helicone_lite.testing.pytest_plugin import KEY, rows

__all__ = ["KEY", "MESSAGES", "rows"]

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
