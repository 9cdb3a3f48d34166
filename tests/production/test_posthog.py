"""PostHog events through the official ``posthog`` package, against a loopback capture endpoint
that records the batch payloads it receives."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

pytest.importorskip("posthog")


class Capture:
    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.paths: list[str] = []
        capture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                capture.paths.append(self.path)
                capture.batches.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": 1}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch["batch"]]


@pytest.fixture
def capture() -> Iterator[Capture]:
    endpoint = Capture()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def test_one_event_per_call_with_the_calls_facts(
    fake_provider: FakeProvider, home: Path, capture: Capture
) -> None:
    client = helicone_lite.Client(api_key="sk-x", base_url=fake_provider.openai_base_url, home=home)
    headers = {
        "Helicone-User-Id": "user_12345",
        "Helicone-Property-Feature": "report-generation",
        "Helicone-Property-Plan": "enterprise",
        "Helicone-Session-Id": "s-1",
        "Helicone-PostHog-Key": "phc_test_key",
        "Helicone-PostHog-Host": capture.url,
        "Helicone-PostHog-Event": "llm_report_generated",
    }
    r = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Generate a monthly sales report summary"}],
        extra_headers=headers,
    )
    client.chat.completions.create(  # no PostHog key: no event
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert client.flush(10)
    [event] = capture.events()
    assert capture.paths == ["/batch/"] and capture.batches[0]["api_key"] == "phc_test_key"
    assert event["event"] == "llm_report_generated" and event["distinct_id"] == "user_12345"
    props = event["properties"]
    assert props["model"] == "gpt-4o-mini" and props["provider"] == "openai"
    assert props["prompt_tokens"] == r.usage.prompt_tokens
    assert props["completion_tokens"] == r.usage.completion_tokens
    assert props["cost_usd"] is not None and props["cost_usd"] > 0
    assert props["latency_ms"] >= 0 and props["session_id"] == "s-1"
    assert props["feature"] == "report-generation" and props["plan"] == "enterprise"
    assert props["helicone_request_id"] == r.headers["Helicone-Id"]
    assert "sk-x" not in json.dumps(capture.batches)


async def test_async_client_anonymous_call_and_cache_status(
    fake_provider: FakeProvider, home: Path, capture: Capture
) -> None:
    client = helicone_lite.AsyncClient(
        api_key="sk-x",
        base_url=fake_provider.openai_base_url,
        home=home,
        default_headers={"Helicone-PostHog-Key": "phc_k", "Helicone-PostHog-Host": capture.url},
    )
    for _ in range(2):
        await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"Helicone-Cache-Enabled": "true"},
        )
    assert client.flush(10)
    events = capture.events()
    assert [e["event"] for e in events] == ["helicone_request", "helicone_request"]
    assert [e["properties"]["cache_status"] for e in events] == ["MISS", "HIT"]
    assert events[0]["distinct_id"].startswith("helicone-lite:")
    assert events[0]["properties"]["$process_person_profile"] is False


def test_bad_host_is_a_clear_error(fake_provider: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key="sk-x", base_url=fake_provider.openai_base_url, home=home)
    with pytest.raises(helicone_lite.OptionsError, match="Helicone-PostHog-Host"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"Helicone-PostHog-Key": "k", "Helicone-PostHog-Host": "app.posthog"},
        )
    assert fake_provider.requests == []
