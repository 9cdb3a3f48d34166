"""What layers tell each other travels in typed ``Result`` fields; ``log`` holds columns only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2

import helicone_lite
from helicone_lite.pipeline import Call, Flow, Forward, Result
from helicone_lite.testing import FakeProvider, Fault

KEY = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "Hello"}]


class Capture:
    """A user interceptor (inside prompts, outside the cache) that keeps what it saw."""

    def __init__(self) -> None:
        self.results: list[Result] = []

    def handle(self, call: Call) -> Flow:
        result: Result = yield Forward(call)
        self.results.append(result)
        return result


def _columns(client: Any) -> set[str]:
    return {row["name"] for row in client.store.query("PRAGMA table_info(requests)")}


def test_a_retried_call_reports_its_attempts_and_raw_response(home: Path) -> None:
    capture = Capture()
    with FakeProvider() as fake:
        fake.script("gpt-4o-mini", Fault(status=500), times=1)
        client = helicone_lite.Client(
            api_key=KEY,
            base_url=fake.openai_base_url,
            home=home,
            interceptors=[capture],
            sleep=lambda seconds: None,
        )
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        columns = _columns(client)
        client.close()
    (result,) = capture.results
    assert [a.status for a in result.attempts] == [500, 200]
    assert isinstance(result.http, httpx2.Response) and result.http.status_code == 200
    assert result.log and set(result.log) <= columns
    assert result.log["attempts"] == 2


def test_the_prompt_layer_hands_the_recorder_the_call_as_sent(home: Path) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
        client.prompts.create("greet", [{"role": "user", "content": "Hi {{hc:name:string}}"}])
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[],
            extra_headers={"Helicone-Prompt-Id": "greet"},
            extra_body={"inputs": {"name": "Ada"}},
        )
        client.flush()
        (row,) = client.store.query("SELECT request_body FROM requests")
        client.close()
    assert "Hi Ada" in row["request_body"]
