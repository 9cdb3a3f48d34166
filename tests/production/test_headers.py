"""docs/headers.md covers every header of Helicone's directory; each is implemented (an option)
or accepted silently; unknown protective headers raise before any provider call."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.options._parse import _BY_HEADER, _PROXY_ONLY, parse_headers, unknown_headers
from helicone_lite.testing import FakeProvider

DOC = Path(__file__).parents[2] / "docs" / "headers.md"
DIRECTORY = [
    "Helicone-Auth", "Helicone-Target-Url", "Helicone-OpenAI-Api-Base", "Helicone-Target-Provider",
    "Helicone-Request-Id", "Helicone-Model-Override", "Helicone-Prompt-Id", "Helicone-User-Id",
    "Helicone-Fallbacks", "Helicone-RateLimit-Policy", "Helicone-Cache-Enabled", "Cache-Control",
    "Helicone-Cache-Bucket-Max-Size", "Helicone-Cache-Seed", "Helicone-Retry-Enabled",
    "Helicone-Retry-Num", "Helicone-Retry-Factor", "Helicone-Omit-Request",
    "Helicone-Omit-Response", "Helicone-LLM-Security-Enabled", "Helicone-LLM-Security-Advanced",
    "Helicone-Moderations-Enabled", "Helicone-PostHog-Key", "Helicone-PostHog-Host",
    "Helicone-Token-Limit-Exception-Handler", "Helicone-Stream-Force-Format",
    "Helicone-Session-Id", "Helicone-Session-Path", "Helicone-Session-Name",
    "Helicone-Prompt-Guard-Enabled", "Helicone-PostHog-Event",
]  # fmt: skip


@pytest.mark.parametrize("header", DIRECTORY)
def test_every_directory_header_is_documented_and_handled(header: str) -> None:
    text = DOC.read_text()
    assert re.search(re.escape(f"`{header}`"), text, re.IGNORECASE), header
    lower = header.lower()
    assert lower in _BY_HEADER or lower in _PROXY_ONLY, header
    assert unknown_headers({header: "x"}) == []


@pytest.mark.parametrize(
    "header",
    ["Helicone-LLM-Security-Strict", "Helicone-Rate-Limit-Policy", "Helicone-PII-Redaction"],
)
def test_unknown_protective_headers_raise(
    header: str, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    with pytest.raises(helicone_lite.OptionsError, match=header):
        parse_headers({header: "true"})
    client = helicone_lite.Client(
        api_key="sk-x", base_url=fake_provider.openai_base_url, home=tmp_path
    )
    with client, pytest.raises(helicone_lite.OptionsError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={header: "1"},
        )
    assert fake_provider.requests == []


def test_meaningless_headers_are_silent(
    fake_provider: FakeProvider, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = helicone_lite.Client(
        api_key="sk-x", base_url=fake_provider.openai_base_url, home=tmp_path
    )
    with client, caplog.at_level(logging.WARNING, logger="helicone_lite"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={
                "Helicone-Auth": "Bearer sk-helicone-x",
                "Helicone-Stream-Force-Format": "true",
            },
        )
    assert not [r for r in caplog.records if "ignoring" in r.getMessage()]
    assert not [h for h in fake_provider.last_request.headers if h.startswith("helicone-")]
