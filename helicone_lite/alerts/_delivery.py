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

    def __init__(self, *, allow_private: bool = False) -> None:
        #: post to loopback/private/link-local webhook addresses (Client(webhook_allow_private))
        self.allow_private = allow_private
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def deliver(self, channel: Channel, event: AlertEvent) -> bool:
        try:
            if isinstance(channel, Callback):
                channel.function(event)
            elif isinstance(channel, Log):
                logging.getLogger(channel.logger).log(channel.level, "alert: %s", event.message)
            else:
                _post(channel, event, self.allow_private or channel.allow_private)
        except Exception as exc:
            self._warn_once(channel.describe(), exc)
            return False
        return True

    def _warn_once(self, where: str, exc: BaseException) -> None:
        with self._lock:
            if where in self._failed:
                return
            self._failed.add(where)
        # the exception text of a webhook failure can quote the URL: name its type only, or our
        # own refusal (which names the host and address, never the path)
        from ._webhook import WebhookRefused

        reason = str(exc) if isinstance(exc, WebhookRefused) else type(exc).__name__
        _log.warning("helicone_lite alerts: delivery to %s failed (%s)", where, reason)


def _post(channel: Webhook, event: AlertEvent, allow_private: bool) -> None:
    from ._webhook import post_json  # on first delivery

    body = json.dumps(event.to_dict()).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "helicone-lite-alerts"}
    headers.update(channel.headers)
    post_json(channel.url, body, headers, timeout=channel.timeout, allow_private=allow_private)
