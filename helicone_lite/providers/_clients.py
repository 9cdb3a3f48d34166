"""The SDK clients a provider adapter sends through: one per (base URL, key), built on first
use under a lock; async ones per event loop (an SDK's async HTTP pool belongs to the loop it
was made on)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["SdkClients"]

Where = tuple[str, str]  # (base URL, key)


class SdkClients:
    """Clients made by ``build(key, base_url)`` / ``abuild(key, base_url)``, kept per place."""

    def __init__(self, build: Callable[[str, str], Any], abuild: Callable[[str, str], Any]) -> None:
        self._build, self._abuild = build, abuild
        self._lock = threading.Lock()
        self.sync: dict[Where, Any] = {}
        self.per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Where, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def sync_at(self, where: Where) -> Any:
        with self._lock:
            client = self.sync.get(where)
            if client is None:
                client = self.sync[where] = self._build(where[1], where[0])
            return client

    def async_at(self, where: Where, loop: asyncio.AbstractEventLoop) -> Any:
        with self._lock:
            clients = self.per_loop.setdefault(loop, {})
            client = clients.get(where)
            if client is None:
                client = clients[where] = self._abuild(where[1], where[0])
            return client

    def warm(self, where: Where, *, asynchronous: bool) -> None:
        """Build the client for ``where`` now (before a call's clock starts) unless it exists;
        an async one only on the running loop it will be sent from."""
        if not asynchronous:
            if where not in self.sync:
                self.sync_at(where)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the loop it will be sent from: built when sent
            return
        self.async_at(where, loop)
