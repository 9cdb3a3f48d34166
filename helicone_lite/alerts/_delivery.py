"""Delivering a fired alert: to a callback, to ``logging``, or as a JSON POST to a webhook.

Runs in the alerts thread. A failing channel is reported once through
``logging.getLogger("helicone_lite")`` (per channel, with the webhook's host only) and never
raises: an alert must not break anything, least of all the call that triggered it.
"""

from __future__ import annotations

import json
import logging
import threading

from ._rules import AlertEvent, Callback, Channel, Log, Webhook

__all__ = ["Deliverer"]

_log = logging.getLogger("helicone_lite")


class Deliverer:
    """Sends events to channels; remembers which channels already failed (to warn once)."""

    def __init__(self) -> None:
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def deliver(self, channel: Channel, event: AlertEvent) -> bool:
        try:
            if isinstance(channel, Callback):
                channel.function(event)
            elif isinstance(channel, Log):
                logging.getLogger(channel.logger).log(channel.level, "alert: %s", event.message)
            else:
                _post(channel, event)
        except Exception as exc:
            self._warn_once(channel.describe(), exc)
            return False
        return True

    def _warn_once(self, where: str, exc: BaseException) -> None:
        with self._lock:
            if where in self._failed:
                return
            self._failed.add(where)
        # the exception text of a webhook failure can quote the URL: name its type only
        _log.warning("helicone_lite alerts: delivery to %s failed (%s)", where, type(exc).__name__)


def _post(channel: Webhook, event: AlertEvent) -> None:
    import urllib.request  # on first delivery: it costs ~10 ms to import

    body = json.dumps(event.to_dict()).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "helicone-lite-alerts"}
    headers.update(channel.headers)
    request = urllib.request.Request(channel.url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=channel.timeout) as response:
        response.read()
