"""Per-call upstream: Helicone-Target-Url, Helicone-OpenAI-Api-Base and Helicone-Target-Provider
(as extra_headers and as helicone= options) choose where one call goes, through the real openai
SDK. Two fake providers on different ports prove which one was hit and with which key; the
Helicone key reaches neither."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.testing import FakeProvider
from helicone_lite.testing.pytest_plugin import MakeAsyncClient, MakeClient

HELICONE_KEY = "sk-helicone-test-0123456789"
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def other() -> Iterator[FakeProvider]:
    """A second provider, at another origin (another port)."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def env(fake: FakeProvider, other: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """OpenAI is ``fake``; Groq is ``other``; the Helicone key is set as users set it."""
    monkeypatch.setenv("HELICONE_API_KEY", HELICONE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test")
    monkeypatch.setenv("GROQ_BASE_URL", other.openai_base_url)
    monkeypatch.setenv("GROQ_API_KEY", "gsk-groq-test")
    return fake


Gateway = Callable[[], helicone_lite.Client]


@pytest.fixture
def gateway_client(make_client: MakeClient) -> Gateway:
    """``gateway_client()``: a client built with a Helicone base URL, closed after the test."""
    return lambda: make_client(base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY)


def assert_no_helicone_secret(*fakes: FakeProvider) -> None:
    for fake in fakes:
        for request in fake.requests:
            for name, value in request.headers.items():
                assert HELICONE_KEY not in value, (name, value)
                assert not name.startswith("helicone-"), name


@pytest.mark.parametrize("form", ["header", "kwarg"])
def test_target_url_sends_one_call_to_the_provider_at_that_origin(
    gateway_client: Gateway, env: FakeProvider, other: FakeProvider, form: str
) -> None:
    client = gateway_client()
    if form == "header":
        extra = {"extra_headers": {"Helicone-Target-Url": other.url}}
    else:
        extra = {"helicone": {"target_url": other.url}}
    r = client.chat.completions.create(model="llama-3.1-8b-instant", messages=HI, **extra)  # type: ignore[arg-type]
    assert r.choices[0].message.content == "echo: Hi"
    assert env.requests == []
    request = other.last_request
    assert request.path == "/v1/chat/completions"  # Groq's configured base URL at that origin
    assert request.headers["authorization"] == "Bearer gsk-groq-test"
    assert r.headers["Helicone-Provider"] == "groq"
    # the next call, without the header, goes to the client's own upstream again
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert env.last_request.headers["authorization"] == "Bearer sk-openai-test"
    assert_no_helicone_secret(env, other)
    client.flush()
    providers = [
        row["provider"]
        for row in client.store.query("SELECT provider FROM requests ORDER BY created_at")
    ]
    assert providers == ["groq", "openai"]


def test_openai_api_base_is_a_per_call_upstream_too(
    gateway_client: Gateway, env: FakeProvider, other: FakeProvider
) -> None:
    client = gateway_client()
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=HI,
        extra_headers={"Helicone-OpenAI-Api-Base": other.url + "/v1/"},
    )
    request = other.last_request
    assert request.path == "/v1/chat/completions"  # a URL with a path: as given
    assert request.headers["authorization"] == "Bearer gsk-groq-test"  # Groq's origin
    assert env.requests == []


def test_a_foreign_origin_gets_no_key_from_the_environment(
    gateway_client: Gateway, env: FakeProvider
) -> None:
    with FakeProvider() as stranger:
        client = gateway_client()
        r = client.chat.completions.create(
            model="gpt-4o-mini", messages=HI, extra_headers={"Helicone-Target-Url": stranger.url}
        )
        assert r.headers["Helicone-Provider"] == f"127.0.0.1:{stranger.port}"
        request = stranger.last_request
        assert "authorization" not in request.headers  # no configured key is for this origin
        assert request.path == "/v1/chat/completions"  # the origin + the client's path
        # a credential given in the same call is for that call's upstream
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=HI,
            extra_headers={"Helicone-Target-Url": stranger.url, "Authorization": "Bearer sk-own"},
        )
        assert stranger.last_request.headers["authorization"] == "Bearer sk-own"
        assert_no_helicone_secret(stranger)
    assert env.requests == []


def test_a_named_provider_key_never_goes_to_another_origin(
    gateway_client: Gateway, env: FakeProvider, other: FakeProvider
) -> None:
    with FakeProvider() as stranger:
        client = gateway_client()
        with pytest.raises(OptionsError, match="GROQ_BASE_URL") as caught:
            client.chat.completions.create(
                model="llama-3.1-8b-instant",
                messages=HI,
                extra_headers={
                    "Helicone-Target-Url": stranger.url,
                    "Helicone-Target-Provider": "Groq",
                },
            )
        assert "gsk-groq-test" not in str(caught.value)
        assert stranger.requests == [] and other.requests == [] and env.requests == []


def test_target_provider_alone_goes_to_that_providers_endpoint(
    gateway_client: Gateway, env: FakeProvider, other: FakeProvider
) -> None:
    client = gateway_client()
    r = client.chat.completions.create(
        model="llama-3.1-8b-instant",
        messages=HI,
        extra_headers={"Helicone-Target-Provider": "GROQ"},
    )
    assert r.headers["Helicone-Provider"] == "groq"
    assert other.last_request.headers["authorization"] == "Bearer gsk-groq-test"
    assert env.requests == []


@pytest.mark.parametrize("form", ["header", "kwarg"])
def test_unknown_target_provider_is_an_options_error_before_any_call(
    gateway_client: Gateway, env: FakeProvider, other: FakeProvider, home: Path, form: str
) -> None:
    client = gateway_client()
    extra = (
        {"extra_headers": {"Helicone-Target-Provider": "LemonFox"}}
        if form == "header"
        else {"helicone": {"target_provider": "LemonFox"}}
    )
    with pytest.raises(OptionsError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=HI, **extra)  # type: ignore[arg-type]
    text = str(caught.value)
    assert "Helicone-Target-Provider" in text and "LemonFox" in text and "groq" in text
    assert env.requests == [] and other.requests == []
    with pytest.raises(OptionsError, match="LemonFox"):
        helicone_lite.Client(
            base_url="https://gateway.helicone.ai",
            api_key="x",
            default_headers={
                "Helicone-Target-Url": other.url,
                "Helicone-Target-Provider": "LemonFox",
            },
            home=home,
        )


def test_a_bad_target_url_is_an_options_error(gateway_client: Gateway, env: FakeProvider) -> None:
    client = gateway_client()
    with pytest.raises(OptionsError, match="Helicone-Target-Url"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=HI, extra_headers={"Helicone-Target-Url": "ftp://x"}
        )
    assert env.requests == []


def test_an_ordinary_client_honours_the_per_call_upstream(
    make_client: MakeClient, fake: FakeProvider, other: FakeProvider
) -> None:
    client = make_client(api_key="sk-client")
    client.chat.completions.create(
        model="gpt-4o-mini", messages=HI, extra_headers={"Helicone-Target-Url": other.url}
    )
    assert "authorization" not in other.last_request.headers  # the client's key stays home
    client.chat.completions.create(
        model="gpt-4o-mini", messages=HI, extra_headers={"Helicone-Target-Url": fake.url}
    )
    assert fake.last_request.headers["authorization"] == "Bearer sk-client"  # its own origin


async def test_async_client_per_call_upstream(
    make_aclient: MakeAsyncClient, env: FakeProvider, other: FakeProvider
) -> None:
    client = make_aclient(base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY)
    await client.chat.completions.create(
        model="llama-3.1-8b-instant", messages=HI, helicone={"target_url": other.url}
    )
    assert other.last_request.headers["authorization"] == "Bearer gsk-groq-test"
    assert env.requests == []
    assert_no_helicone_secret(env, other)


def test_client_level_target_headers_are_not_applied_twice(
    make_client: MakeClient, env: FakeProvider, other: FakeProvider
) -> None:
    client = make_client(
        base_url="https://gateway.helicone.ai/v1",
        api_key="gsk-given",
        default_headers={"Helicone-Target-Url": other.url, "Helicone-Target-Provider": "groq"},
    )
    assert client.helicone_defaults.target_url is None
    client.chat.completions.create(model="llama-3.1-8b-instant", messages=HI)
    assert other.last_request.headers["authorization"] == "Bearer gsk-given"
