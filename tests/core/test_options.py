"""Options: every header parsed case-insensitively; bad values rejected before any call."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.options import Options
from helicone_lite.options._parse import parse_headers, parse_kwargs
from helicone_lite.testing import FakeProvider

from .conftest import MESSAGES, rows

BAD_VALUES = [
    ("Helicone-Cache-Enabled", "yes"),
    ("Helicone-Cache-Read", "1"),
    ("Helicone-Cache-Save", "on"),
    ("Cache-Control", "max-age=soon"),
    ("Cache-Control", "max-age"),
    ("Helicone-Cache-Bucket-Max-Size", "21"),
    ("Helicone-Cache-Bucket-Max-Size", "0"),
    ("Helicone-Cache-Bucket-Max-Size", "three"),
    ("Helicone-Cache-Seed", ""),
    ("Helicone-Cache-Ignore-Keys", "[not json"),
    ("Helicone-RateLimit-Policy", "100"),
    ("Helicone-RateLimit-Policy", "100;w=0"),
    ("Helicone-RateLimit-Policy", "-5;w=60"),
    ("Helicone-RateLimit-Policy", "100;w=60;u=dollars"),
    ("Helicone-RateLimit-Policy", "100;s=user;w=60"),
    ("Helicone-Retry-Enabled", "maybe"),
    ("Helicone-Retry-Num", "-1"),
    ("Helicone-Retry-Factor", "0"),
    ("Helicone-Retry-Min-Timeout", "fast"),
    ("Helicone-Fallback-Enabled", "2"),
    ("Helicone-Fallbacks", "{not json"),
    ("Helicone-Fallbacks", '[{"bogus": 1}]'),
    ("Helicone-Prompt-Version", "v2"),
    ("Helicone-Prompt-Inputs", "[1, 2]"),
    ("Helicone-Request-Id", "not-a-uuid"),
    ("Helicone-Omit-Request", "sure"),
    ("Helicone-Omit-Response", "nope"),
    ("Helicone-Session-Id", "  "),
]


@pytest.mark.parametrize(("header", "value"), BAD_VALUES)
def test_bad_header_raises_before_any_call(
    client: helicone_lite.Client, fake: FakeProvider, header: str, value: str
) -> None:
    with pytest.raises(OptionsError) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={header: value}
        )
    message = str(info.value)
    assert header in message and repr(value) in message and "expected" in message
    assert isinstance(info.value, ValueError)
    assert fake.requests == []
    assert rows(client) == []


def test_bad_keyword_raises(client: helicone_lite.Client) -> None:
    with pytest.raises(OptionsError, match="cache_bucket_max_size"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, helicone={"cache_bucket_max_size": 99}
        )
    # a typo names the nearest valid option (difflib) instead of listing them all
    with pytest.raises(OptionsError, match="did you mean 'cache_enabled'"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, helicone={"cache_enable": True}
        )


def test_headers_are_case_insensitive_and_typed() -> None:
    opts, rest = parse_headers(
        {
            "HELICONE-CACHE-ENABLED": "True",
            "cache-control": "s-maxage = 60, max-age=10",
            "Helicone-Cache-Bucket-Max-Size": "3",
            "helicone-cache-ignore-keys": '["user", "n"]',
            "Helicone-RateLimit-Policy": "100;w=3600;s=user, 500;w=86400;u=cents;s=user",
            "Helicone-Retry-Num": "3",
            "Helicone-Retry-Factor": "1.5",
            "Helicone-Session-Path": "triage/analysis/",
            "Helicone-Property-Department": "cardio",
            "Helicone-Prompt-Version": "2",
            "Helicone-Omit-Response": "TRUE",
            "Accept": "x",
        }
    )
    assert rest == {"Accept": "x"}
    assert opts.cache_enabled is True and opts.cache_control is not None
    assert opts.cache_control.max_age == 60
    assert opts.cache_bucket_max_size == 3 and opts.cache_ignore_keys == ("user", "n")
    assert opts.ratelimit_policy is not None
    assert [p.normalised() for p in opts.ratelimit_policy] == [
        "100;w=3600;s=user",
        "500;w=86400;u=cents;s=user",
    ]
    assert opts.retry_num == 3 and opts.retry_factor == 1.5
    assert opts.session_path == "/triage/analysis"
    assert dict(opts.properties) == {"department": "cardio"}
    assert opts.prompt_version == 2 and opts.omit_response is True


def test_cache_control_rules() -> None:
    def age(value: str) -> int:
        opts, _ = parse_headers({"Cache-Control": value})
        assert opts.cache_control is not None
        return opts.cache_control.max_age

    assert age("max-age=86400") == 86400
    assert age("no-cache") == 7 * 24 * 3600
    assert age("max-age=999999999") == 365 * 24 * 3600
    opts, _ = parse_headers({"Cache-Control": "no-store", "Helicone-Cache-Enabled": "true"})
    assert opts.cache_reads and not opts.cache_saves
    opts, _ = parse_headers({"Cache-Control": "no-cache", "Helicone-Cache-Enabled": "true"})
    assert opts.cache_saves and not opts.cache_reads


def test_keyword_form_mirrors_headers() -> None:
    by_header, _ = parse_headers(
        {
            "Helicone-Cache-Enabled": "true",
            "Helicone-Cache-Bucket-Max-Size": "5",
            "Helicone-User-Id": "u",
            "Helicone-Property-Agent": "triage",
        }
    )
    by_keyword = parse_kwargs(
        {
            "cache_enabled": True,
            "cache_bucket_max_size": 5,
            "user_id": "u",
            "properties": {"Agent": "triage"},
        }
    )
    assert by_header == by_keyword


def test_merge_order_and_properties_union() -> None:
    base = Options(user_id="a", properties={"x": "1", "y": "1"})  # type: ignore[arg-type]
    merged = base.merge(Options(user_id="b", properties={"y": "2"}))  # type: ignore[arg-type]
    assert merged.user_id == "b" and dict(merged.properties) == {"x": "1", "y": "2"}


def test_scopes_nest_and_restore(client: helicone_lite.Client) -> None:
    with helicone_lite.session("s1", path="/triage", name="Triage"), helicone_lite.user("p-1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with helicone_lite.session(path="/triage/analysis"), helicone_lite.properties(agent="a"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            extra_headers={"Helicone-Session-Path": "/triage/report"},
        )
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    got = [
        (
            r["session_id"],
            r["session_path"],
            r["session_name"],
            r["user_id"],
            json.loads(r["properties"]),
        )
        for r in rows(client)
    ]
    assert got == [
        ("s1", "/triage", "Triage", "p-1", {}),
        ("s1", "/triage/analysis", "Triage", "p-1", {"agent": "a"}),
        ("s1", "/triage/report", "Triage", "p-1", {}),
        (None, None, None, None, {}),
    ]


def test_session_path_defaults_to_root(client: helicone_lite.Client) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Session-Id": "s"}
    )
    assert rows(client)[0]["session_path"] == "/"


def test_scopes_are_per_thread(client: helicone_lite.Client) -> None:
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        with helicone_lite.user(f"user-{n}"):
            barrier.wait()  # all four scopes are open at once
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["user_id"] for r in rows(client)) == [f"user-{n}" for n in range(4)]


def test_options_object_accepted(client: helicone_lite.Client) -> None:
    opts: Any = helicone_lite.Options(user_id="typed")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, helicone=opts)
    assert rows(client)[0]["user_id"] == "typed"
