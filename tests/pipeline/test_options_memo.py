"""The options memo (pipeline/_memo.py): a repeated option set gives exactly the Call a fresh
parse gives, different inputs never share an entry, and bad input raises on every call, before
anything reaches the provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.options import Options
from helicone_lite.pipeline._call import Call, Target
from helicone_lite.pipeline._memo import OptionsMemo, memo_key
from helicone_lite.providers import ProviderNotConfigured
from helicone_lite.testing import FakeProvider

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]

OPTION_SETS: list[tuple[dict[str, Any], Any]] = [
    ({}, None),
    ({"Helicone-Cache-Enabled": "true", "Cache-Control": "max-age=60"}, None),
    (
        {
            "Helicone-Session-Id": "s-1",
            "Helicone-Property-App": "triage",
            "Helicone-Property-Team": "er",
            "X-Trace": "1",
        },
        None,
    ),
    ({"Helicone-RateLimit-Policy": "100;w=60;s=user", "Helicone-User-Id": "u-1"}, None),
    ({"Helicone-Fallbacks": '["gpt-4o", "gpt-4o-mini"]'}, None),
    ({}, {"cache_enabled": True, "user_id": "u-2"}),
    ({"Helicone-User-Id": "u-3"}, Options(session_id="s-2", properties={"a": "b"})),
]


def build(client: helicone_lite.Client, headers: dict[str, Any], helicone: Any = None) -> Call:
    """The Call ``create()`` would send, without sending it."""
    request = {"extra_headers": dict(headers)} if headers else {}
    params = {"model": "gpt-4o-mini", "messages": MESSAGES}
    return client._helicone_build("chat.completions", params, helicone, request)


def shape(target: Target) -> tuple[Any, ...]:
    """A target without its adapter object (each client builds its own adapters)."""
    return (
        target.provider,
        target.model,
        type(target.adapter),
        target.base_url,
        dict(target.headers),
        dict(target.body),
        target.on_codes,
    )


def same(a: Call, b: Call) -> None:
    assert a.options == b.options
    assert [shape(t) for t in a.targets] == [shape(t) for t in b.targets]
    assert a.request == b.request
    assert a.id != b.id  # ids stay per call


@pytest.mark.parametrize(("headers", "helicone"), OPTION_SETS)
def test_a_repeated_option_set_builds_the_call_a_fresh_parse_builds(
    make_client: Callable[..., helicone_lite.Client], headers: dict[str, Any], helicone: Any
) -> None:
    memoised = make_client()
    first, second = build(memoised, headers, helicone), build(memoised, headers, helicone)
    assert len(memoised._helicone_runtime.options_memo) == 1
    fresh = make_client()  # its own runtime, an empty memo
    same(second, build(fresh, headers, helicone))
    same(first, second)


def test_inputs_that_differ_never_share_an_entry(
    make_client: Callable[..., helicone_lite.Client],
) -> None:
    client = make_client()
    a = build(client, {"Helicone-User-Id": "a"})
    b = build(client, {"Helicone-User-Id": "b"})
    assert (a.options.user_id, b.options.user_id) == ("a", "b")
    with helicone_lite.session("s-1"):
        in_one = build(client, {"Helicone-User-Id": "a"})
    with helicone_lite.session("s-2"):
        in_two = build(client, {"Helicone-User-Id": "a"})
    assert (in_one.options.session_id, in_two.options.session_id) == ("s-1", "s-2")
    scoped = client.with_options(helicone={"user_id": "c"})
    assert build(scoped, {}).options.user_id == "c"
    assert build(client, {}).options.user_id is None
    body_user = client._helicone_build(
        "chat.completions", {"model": "gpt-4o-mini", "messages": MESSAGES, "user": "d"}, None, {}
    )
    assert body_user.options.user_id == "d"
    chain = client._helicone_build(
        "chat.completions", {"model": "gpt-4o,gpt-4o-mini", "messages": MESSAGES}, None, {}
    )
    assert [t.model for t in chain.targets] == ["gpt-4o", "gpt-4o-mini"]


def test_bad_input_raises_on_every_call_before_the_provider(
    make_client: Callable[..., helicone_lite.Client], fake: FakeProvider
) -> None:
    client = make_client()
    good = {"Helicone-Cache-Enabled": "true"}
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=good)
    sent = len(fake.requests)
    for _ in range(3):
        with pytest.raises(OptionsError, match="Helicone-Cache-Enabled"):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                extra_headers={"Helicone-Cache-Enabled": "yes"},
            )
        with pytest.raises(OptionsError, match="RateLimit-Policy"):  # s=user without a user
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                extra_headers={"Helicone-RateLimit-Policy": "10;w=60;s=user"},
            )
        with pytest.raises(OptionsError, match="helicone"):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, helicone={"cache_enabld": True}
            )
    assert len(fake.requests) == sent


def test_equal_values_of_another_type_are_not_taken_from_the_memo(
    make_client: Callable[..., helicone_lite.Client],
) -> None:
    client = make_client()
    assert build(client, {}, {"cache_enabled": True}).options.cache_enabled is True
    for same_hash in (1, 1.0):  # == True and hash alike, but not a bool
        with pytest.raises(OptionsError, match="cache_enabled"):
            build(client, {}, {"cache_enabled": same_hash})


def test_per_call_checks_still_run_on_a_memoised_option_set(
    make_client: Callable[..., helicone_lite.Client],
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = {"name": "local", "base_url_env": "LOCAL_LLM_URL", "models": "local-*"}
    client = make_client(providers=[local])
    rid = {"Helicone-Request-Id": "3f2b8c1e-6d4a-4b7e-9c1f-2a5d8e7f9b10"}
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=rid)
    with pytest.raises(OptionsError, match="Request-Id"):  # the claim is per call
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=rid)
    sent = len(fake.requests)
    for _ in range(2):  # the provider check reads the environment on every call
        with pytest.raises(ProviderNotConfigured, match="LOCAL_LLM_URL"):
            client.chat.completions.create(model="local-model", messages=MESSAGES)
    assert len(fake.requests) == sent
    monkeypatch.setenv("LOCAL_LLM_URL", fake.openai_base_url)
    reply = client.chat.completions.create(model="local-model", messages=MESSAGES)
    assert reply.choices[0].message.content
    assert len(fake.requests) == sent + 1


def test_unhashable_inputs_are_parsed_every_time(
    make_client: Callable[..., helicone_lite.Client],
) -> None:
    client = make_client()
    helicone = {"properties": {"app": "triage"}}
    assert memo_key(Options(), Options(), None, helicone, "m", None) is None
    call = build(client, {}, helicone)
    assert dict(call.options.properties) == {"app": "triage"}
    assert len(client._helicone_runtime.options_memo) == 0


def test_the_memo_is_bounded() -> None:
    memo = OptionsMemo(limit=4)
    defaults, scope = Options(), Options()
    found: Any = object()
    for n in range(10):
        key = memo_key(defaults, scope, {"Helicone-Request-Id": str(n)}, None, "m", None)
        assert key is not None
        memo.put(key, found, None)
        assert len(memo) <= 4


def test_a_key_from_the_environment_is_checked_on_every_call_even_after_a_pass(
    make_client: Callable[..., helicone_lite.Client],
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = {"name": "local", "base_url_env": "LOCAL_LLM_URL", "models": "local-*"}
    client = make_client(providers=[local])
    monkeypatch.setenv("LOCAL_LLM_URL", fake.openai_base_url)
    reply = client.chat.completions.create(model="local-model", messages=MESSAGES)
    assert reply.choices[0].message.content
    sent = len(fake.requests)
    monkeypatch.delenv("LOCAL_LLM_URL")  # a pass of an adapter reading the environment
    with pytest.raises(ProviderNotConfigured, match="LOCAL_LLM_URL"):  # is not remembered
        client.chat.completions.create(model="local-model", messages=MESSAGES)
    assert len(fake.requests) == sent


def test_a_pass_through_the_users_own_client_is_remembered_per_origin(
    make_client: Callable[..., helicone_lite.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helicone_lite.providers import _registry

    client = make_client()
    registry = client._helicone_runtime.registry
    first, second = build(client, {}), build(client, {})
    assert first.targets is second.targets  # the options memo's targets
    assert len(registry._checked) == 1  # one (targets, index, kind, origin): asked once
    copy = client.with_options(timeout=5.0)  # another origin client: checked again
    build(copy, {})
    assert len(registry._checked) == 2
    monkeypatch.setattr(_registry, "CHECKED_LIMIT", 2)
    build(client.with_options(timeout=6.0), {})
    assert len(registry._checked) == 1  # bounded: full, so it started over
