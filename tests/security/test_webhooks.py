"""Webhooks refuse non-public targets by default and never follow redirects (finding 11).

Alerts used to post to loopback and link-local targets, and to follow a 302 to an internal URL
carrying the Authorization header. Tested against real local HTTP servers.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.alerts import AlertRule, Webhook
from helicone_lite.alerts._webhook import is_public_address
from helicone_lite.testing import FakeProvider, Reply

from .conftest import KEY, MESSAGES, Clock


class Server:
    """A local HTTP server that records POSTs; answers ``status`` (with ``location``)."""

    def __init__(self, status: int = 204, location: str | None = None) -> None:
        self.received: list[tuple[str, dict[str, str]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, dict(self.headers)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # a followed redirect may arrive as a GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/secret-path"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def _fire(fake: FakeProvider, home: Path, notify: Any, **settings: Any) -> helicone_lite.Client:
    client = helicone_lite.Client(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        clock=Clock(),
        alerts=[AlertRule.cost_over(0.0000001, window="1h", name="any", notify=notify)],
        **settings,
    )
    fake.enqueue(Reply(text="ok", prompt_tokens=1000, completion_tokens=500))
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    client.flush()
    client.alerts.flush()
    return client


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def test_loopback_webhooks_are_refused_by_default(
    fake: FakeProvider, home: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        _fire(fake, home, [server.url]).close()
    assert server.received == []
    assert "non-public address" in caplog.text
    assert "secret-path" not in caplog.text  # the URL's secret path is never logged


def test_an_explicit_setting_allows_a_local_webhook(
    fake: FakeProvider, home: Path, server: Server
) -> None:
    _fire(fake, home, [server.url], webhook_allow_private=True).close()
    assert [path for path, _ in server.received] == ["/hook/secret-path"]


def test_a_per_channel_setting_allows_a_local_webhook(
    fake: FakeProvider, home: Path, server: Server
) -> None:
    _fire(fake, home, Webhook(server.url, allow_private=True)).close()
    assert len(server.received) == 1


def test_redirects_are_never_followed_with_credentials(
    fake: FakeProvider, home: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    redirector = Server(status=302, location=server.url.replace("/hook/", "/internal/"))
    try:
        hook = Webhook(
            redirector.url, headers={"Authorization": "Bearer hook-token"}, allow_private=True
        )
        with caplog.at_level(logging.WARNING, logger="helicone_lite"):
            _fire(fake, home, hook).close()
    finally:
        redirector.close()
    assert len(redirector.received) == 1
    assert redirector.received[0][1]["Authorization"] == "Bearer hook-token"
    assert server.received == []  # the redirect target never saw the request, nor the token
    assert "redirects are not followed" in caplog.text


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::",
    ],
)  # fmt: skip
def test_non_public_addresses_are_recognised(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_recognised(address: str) -> None:
    assert is_public_address(address)


def test_a_host_name_resolving_to_loopback_is_refused() -> None:
    from helicone_lite.alerts._webhook import WebhookRefused, post_json

    with pytest.raises(WebhookRefused, match="non-public"):
        post_json(
            "http://localhost:9/x", json.dumps({}).encode(), {}, timeout=1, allow_private=False
        )
