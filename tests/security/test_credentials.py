"""Chaos: a fallback target gets only the credentials configured for it (issue 13, finding 6).

The environment's ``OPENAI_API_KEY`` used to be sent to any ``base_url`` fallback target that
had no Authorization of its own, even when ``Client(api_key=...)`` was given.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helicone_lite.testing import FakeProvider, Fault

from .conftest import KEY, MESSAGES, MakeClient

ENV_KEY = "sk-env-ONLY-FOR-OPENAI-0123456789"


@pytest.fixture
def backup() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def _secrets_in(headers: dict[str, str]) -> list[str]:
    return [name for name, value in headers.items() if ENV_KEY in value or KEY in value]


@pytest.mark.parametrize("api_key_given", [True, False])
def test_the_environment_key_never_reaches_a_base_url_fallback(
    make_client: MakeClient,
    fake: FakeProvider,
    backup: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    api_key_given: bool,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    fake.script("gpt-4o", Fault(status=503))
    client = make_client(max_retries=0, **({} if api_key_given else {"api_key": None}))
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,
        extra_headers={"X-Api-Key": "primary-only-secret", "X-Trace": "t-1"},
        helicone={"fallbacks": [{"base_url": backup.openai_base_url, "model": "llama-3"}]},
    )
    assert response.headers["Helicone-Fallback-Index"] == "1"
    (sent,) = backup.requests
    assert "authorization" not in sent.headers
    assert "x-api-key" not in sent.headers  # a credential header meant for the primary
    assert sent.headers["x-trace"] == "t-1"  # other headers still go
    assert _secrets_in(dict(sent.headers)) == []
    assert fake.requests[0].headers["authorization"].startswith("Bearer sk-")  # primary keeps it


def test_a_fallback_target_gets_its_own_configured_credential(
    make_client: MakeClient,
    fake: FakeProvider,
    backup: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    fake.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0)
    target = {
        "base_url": backup.openai_base_url,
        "model": "llama-3",
        "headers": {"Authorization": "Bearer backup-own-key"},
    }
    client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, helicone={"fallbacks": [target]}
    )
    (sent,) = backup.requests
    assert sent.headers["authorization"] == "Bearer backup-own-key"


def test_a_named_provider_target_keeps_its_configured_key(
    make_client: MakeClient,
    fake: FakeProvider,
    backup: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk_groqconfiguredkey0123456789")
    monkeypatch.setenv("GROQ_BASE_URL", backup.openai_base_url)
    fake.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0)
    client.chat.completions.create(model="gpt-4o,llama-3.3-70b/groq", messages=MESSAGES)
    (sent,) = backup.requests
    assert sent.headers["authorization"] == "Bearer gsk_groqconfiguredkey0123456789"
