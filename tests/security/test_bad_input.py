"""Chaos: malformed headers (issue 13, finding 9).

CR/LF, ESC, NUL and 1 MB values used to be stored; ``Helicone-Retry-*-Timeout: 1e12`` slept
10^9 s; a 1 MB bad value gave a 1 MB message; a typo only warned; a reused
``Helicone-Request-Id`` overwrote the earlier row. Every case must fail before the provider is
called, with a short message naming the option.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import openai
import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.options._parse import MAX_RETRY_TIMEOUT_MS
from helicone_lite.testing import FakeProvider, Fault

from .conftest import KEY, MESSAGES, MakeClient, rows

TEXT_HEADERS = [
    "Helicone-Session-Id",
    "Helicone-Session-Name",
    "Helicone-Session-Path",
    "Helicone-User-Id",
    "Helicone-Cache-Seed",
    "Helicone-Prompt-Id",
    "Helicone-Prompt-Environment",
    "Helicone-Model-Override",
    "Helicone-Property-Environment",
    "Helicone-Property-Team",
]
BAD_VALUES = {
    "crlf": "a\r\nX-Injected: 1",
    "esc": "\x1b]0;pwned\x07title",
    "nul": "abc\x00def",
    "bidi": "user\u202eevil",
    "huge": "x" * 1_000_000,
}


@pytest.mark.parametrize("header", TEXT_HEADERS)
@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_bad_text_values_are_refused_before_the_call(
    client: helicone_lite.Client, fake: FakeProvider, header: str, kind: str
) -> None:
    with pytest.raises(OptionsError) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={header: BAD_VALUES[kind]}
        )
    message = str(info.value)
    assert header.split("-")[1].lower() in message.lower()
    assert len(message) < 400  # at most a short prefix of a 1 MB value
    assert "\x1b" not in message and "\x00" not in message and "\r" not in message
    assert fake.requests == []
    assert rows(client) == []


def test_keyword_values_have_the_same_bounds(client: helicone_lite.Client) -> None:
    for options in (
        {"session_id": "s\n1"},
        {"user_id": "u" * 257},
        {"properties": {"team": "a\x1bb"}},
        {"properties": {f"p{i}": "v" for i in range(65)}},
        {"properties": {"bad\nname": "v"}},
        {"cache_ignore_keys": ["k"] * 65},
        {"prompt_inputs": {"x": "y" * (1 << 20)}},
    ):
        with pytest.raises(OptionsError):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, helicone=options)


def test_values_at_the_limits_are_accepted(client: helicone_lite.Client) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={
            "Helicone-User-Id": "u" * 256,
            "Helicone-Property-Note": "n" * 1024,
            "Helicone-Session-Id": "séance-☃",  # printable Unicode is fine
        },
    )
    (row,) = rows(client)
    assert row["user_id"] == "u" * 256


@pytest.mark.parametrize("header", ["Helicone-Retry-Min-Timeout", "Helicone-Retry-Max-Timeout"])
def test_retry_timeouts_are_capped(
    client: helicone_lite.Client, fake: FakeProvider, header: str
) -> None:
    with pytest.raises(OptionsError, match=f"0 to {MAX_RETRY_TIMEOUT_MS}"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"Helicone-Retry-Enabled": "true", header: "1e12"},
        )
    assert fake.requests == []


def test_the_largest_retry_delay_is_the_documented_maximum(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    slept: list[float] = []
    client = make_client(sleep=slept.append)
    fake.script("gpt-4o-mini", Fault(status=500), times=1)
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={
            "Helicone-Retry-Enabled": "true",
            "Helicone-Retry-Min-Timeout": str(MAX_RETRY_TIMEOUT_MS),
            "Helicone-Retry-Max-Timeout": str(MAX_RETRY_TIMEOUT_MS),
        },
    )
    assert slept and max(slept) <= MAX_RETRY_TIMEOUT_MS / 1000


def test_a_typo_in_a_helicone_header_is_an_error_with_a_suggestion(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    with pytest.raises(OptionsError, match="did you mean 'Helicone-Cache-Enabled'"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"Helicone-Cache-Enabeld": "true"},
        )
    assert fake.requests == []


def test_a_typo_in_default_headers_fails_at_construction(fake: FakeProvider, home: Path) -> None:
    with pytest.raises(OptionsError, match="Helicone-Session-Id"):
        helicone_lite.Client(
            api_key=KEY,
            base_url=fake.openai_base_url,
            home=home,
            default_headers={"Helicone-Sesion-Id": "s"},
        )


def test_strict_headers_false_relaxes_a_typo_to_one_warning(
    make_client: MakeClient, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(strict_headers=False)
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(2):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                extra_headers={"Helicone-Cache-Enabeld": "true"},
            )
    assert len(fake.requests) == 2
    assert len([r for r in caplog.records if "Helicone-Cache-Enabeld" in r.getMessage()]) == 1


def test_a_reused_request_id_is_refused_never_overwritten(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    rid = str(uuid.uuid4())
    first = make_client(max_retries=0)
    second = make_client()  # two clients: two runtimes, one home
    fake.script("gpt-4o-mini", Fault(status=500), times=1)
    with pytest.raises(openai.InternalServerError):
        first.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Request-Id": rid}
        )
    for client in (first, second, first.with_options(timeout=5)):
        with pytest.raises(OptionsError, match="not used before"):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Request-Id": rid}
            )
    logged = rows(first)
    assert [(r["id"], r["status"]) for r in logged] == [(rid, 500)]  # the 500 did not vanish
    assert len(fake.requests) == 1


def test_an_id_already_in_the_store_is_refused(
    make_client: MakeClient, fake: FakeProvider, home: Path
) -> None:
    client = make_client()
    rid = str(uuid.uuid4())
    client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Request-Id": rid}
    )
    client.flush()
    (home / "request-ids.db").unlink()  # claims lost (or written before claims existed)
    for suffix in ("-wal", "-shm"):
        (home / f"request-ids.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(OptionsError, match="not used before"):
        make_client().chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Request-Id": rid}
        )
