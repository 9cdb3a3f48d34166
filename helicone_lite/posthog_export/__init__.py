"""PostHog product analytics: ``Helicone-PostHog-Key`` / ``-Host`` / ``-Event`` send one event
per call through the official ``posthog`` package (the ``posthog`` extra), batched off the call
path and flushed by ``client.flush()``, ``client.close()`` and at interpreter exit.
See docs/production.md."""

from ._exporter import (
    DEFAULT_EVENT,
    DEFAULT_HOST,
    PostHogExporter,
    event_properties,
)

__all__ = [
    "DEFAULT_EVENT",
    "DEFAULT_HOST",
    "PostHogExporter",
    "event_properties",
]
