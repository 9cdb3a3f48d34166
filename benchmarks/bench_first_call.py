"""The first Claude or Gemini call's logged ``latency_ms`` against the second, in a fresh process.

The SDK is imported before the client is made (that import was already outside the clock), so
what the first call adds over the second is building the SDK client (outside the clock since
branch ``polish``) and the SDK's own first request. Run it against two checkouts in turn:

    PYTHONPATH=. python benchmarks/bench_first_call.py claude-haiku-4-5
"""

from __future__ import annotations

import sys
import tempfile

import anthropic  # noqa: F401  (imported up front: the import is not the figure)
import google.genai  # noqa: F401

import helicone_lite
from helicone_lite.testing import FakeProvider


def main(model: str) -> None:
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        client = helicone_lite.Client(
            api_key="sk-test",
            base_url=fake.openai_base_url,
            home=home,
            providers=[
                {"name": "anthropic", "base_url": fake.anthropic_base_url, "api_key": "k"},
                {"name": "gemini", "base_url": fake.gemini_base_url, "api_key": "k"},
            ],
        )
        try:
            ids = []
            for _ in range(2):
                reply = client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=5
                )
                ids.append(reply.headers["Helicone-Id"])
            client.flush()
            sql = "SELECT latency_ms FROM requests WHERE id = ?"
            first, second = (client.store.query(sql, (i,))[0]["latency_ms"] for i in ids)
        finally:
            client.close()
    print(f"{model}: first call {first:.1f} ms, second {second:.1f} ms (latency_ms logged)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "claude-haiku-4-5")
