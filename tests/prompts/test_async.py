"""The same prompt behaviour on the async client (one implementation, the async driver)."""

from __future__ import annotations

import json

import pytest

import helicone_lite
from helicone_lite.prompts import PromptError
from helicone_lite.testing import FakeProvider

from .conftest import TRIAGE_SYSTEM, rows, sent

USER = [{"role": "user", "content": "Patient symptoms: chest pain"}]


async def test_async_registry_prompt(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    aclient.prompts.create(
        "triage",
        messages=[{"role": "system", "content": TRIAGE_SYSTEM}],
        model="gpt-4o-mini",
        temperature=0.1,
    )
    aclient.prompts.deploy("triage", 1, "staging")
    r = await aclient.chat.completions.create(
        messages=USER,
        extra_headers={"Helicone-Prompt-Id": "triage", "Helicone-Prompt-Environment": "staging"},
        helicone={"prompt_inputs": {"department": "cardiology"}},
    )
    assert r.choices[0].message.content == "echo: Patient symptoms: chest pain"
    body = sent(fake)
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.1
    assert "cardiology" in body["messages"][0]["content"] and body["messages"][1] == USER[0]
    [row] = rows(aclient)
    assert (row["prompt_id"], row["prompt_version"], row["prompt_environment"]) == (
        "triage",
        1,
        "staging",
    )
    assert json.loads(row["prompt_inputs"]) == {"department": "cardiology"}


async def test_async_stream_and_body_fields(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    aclient.prompts.create(
        "p", messages=[{"role": "system", "content": "Hi {{ name }}"}], model="gpt-4o-mini"
    )
    stream = await aclient.chat.completions.create(
        messages=USER, stream=True, extra_body={"prompt_id": "p", "inputs": {"name": "Ada"}}
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text.startswith("echo:")
    body = sent(fake)
    assert body["messages"][0]["content"] == "Hi Ada" and "inputs" not in body
    [row] = rows(aclient)
    assert (row["stream"], row["prompt_version"]) == (1, 1)


async def test_async_render_error_before_any_call(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    aclient.prompts.create(
        "p", messages=[{"role": "system", "content": "{{hc:n:number}}"}], model="gpt-4o-mini"
    )
    with pytest.raises(PromptError, match="'n' must be a number"):
        await aclient.chat.completions.create(
            extra_headers={"Helicone-Prompt-Id": "p"}, helicone={"prompt_inputs": {"n": "many"}}
        )
    assert fake.calls() == 0


async def test_async_auto_versioning(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    for text in ("a", "a", "b"):
        await aclient.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": text}],
            extra_headers={"Helicone-Prompt-Id": "auto"},
        )
    assert [r["prompt_version"] for r in rows(aclient)] == [1, 1, 2]
    assert fake.calls() == 3
