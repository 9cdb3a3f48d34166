"""A fake LLM provider on loopback, for tests: the real SDKs talk to it over real HTTP.

``FakeProvider`` speaks the OpenAI (chat completions, embeddings, models), Anthropic
(messages) and Gemini (generateContent, streamGenerateContent, embeddings) wire protocols,
streaming included, and plays scripted replies and faults (429 with Retry-After, 5xx,
connection resets, hangs, mid-stream cuts, latency). See docs/testing.md.

    from helicone_lite.testing import FakeProvider, Reply, Fault, ToolCall

    with FakeProvider() as fake:
        fake.script("gpt-4o-mini", Reply(text="Hi", prompt_tokens=12, completion_tokens=1))
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake")
        ...

For pytest, ``pytest_plugins = ["helicone_lite.testing.pytest_plugin"]`` in a conftest gives
the fixtures (``fake``, ``client_options``, ``make_client``, ``client``, ``aclient``, ``clock``
...; see that module). ``Clock`` is an injectable clock. Importing this package imports no
provider SDK.
"""

from ._book import RecordedRequest
from ._clock import Clock
from ._outcomes import Fault, Outcome, Reply, ToolCall
from ._provider import FakeProvider
from ._reply import estimate_tokens

__all__ = [
    "Clock",
    "FakeProvider",
    "Fault",
    "Outcome",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "estimate_tokens",
]
