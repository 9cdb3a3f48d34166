"""Registry prompts on ``helicone_lite.Gemini``: rendered into ``contents`` and
``system_instruction``, through google-genai's own calls (sync, ``.aio``, streams)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

import helicone_lite
from helicone_lite.prompts import PromptError, PromptNotFoundError
from helicone_lite.testing import FakeProvider, Reply

from .conftest import Gem, helicone_on_wire

MODEL = "gemini-2.5-flash"
INPUTS = {"prompt_inputs": {"department": "cardiology"}}


def _triage(gem: Gem, **params: Any) -> None:
    gem.client.prompts.create(
        "triage",
        messages=[
            {"role": "system", "content": "You triage for {{hc:department:string}}."},
            {"role": "user", "content": "Context: {{hc:department:string}} ward."},
            {"role": "assistant", "content": "Noted."},
        ],
        model="gemini-2.5-pro",
        **params,
    )


def _wire(fake: FakeProvider) -> dict[str, Any]:
    [request] = [r for r in fake.requests if r.inference]
    body: dict[str, Any] = request.json
    return body


RENDERED = [
    {"role": "user", "parts": [{"text": "Context: cardiology ward."}]},
    {"role": "model", "parts": [{"text": "Noted."}]},
]


async def test_a_registry_prompt_renders_into_contents_and_system_instruction(gem: Gem) -> None:
    _triage(gem, temperature=0.1, max_tokens=64)
    gem.fake.script(MODEL, Reply(text="Seen."))
    response = await gem.generate(
        model=MODEL,
        contents="Chest pain since noon.",
        config={
            "system_instruction": "Be brief.",
            "temperature": 0.3,  # the call's config overrides the stored parameter
            "http_options": {"headers": {"Helicone-Prompt-Id": "triage"}},
        },
        helicone=INPUTS,
    )
    assert isinstance(response, types.GenerateContentResponse) and response.text == "Seen."
    wire = _wire(gem.fake)
    assert wire["contents"] == [
        *RENDERED,
        {"role": "user", "parts": [{"text": "Chest pain since noon."}]},
    ]
    assert wire["systemInstruction"]["parts"] == [
        {"text": "You triage for cardiology."},
        {"text": "Be brief."},
    ]
    assert wire["generationConfig"] == {"temperature": 0.3, "maxOutputTokens": 64}
    assert helicone_on_wire(gem.fake) == []
    [row] = gem.rows()
    assert (row["prompt_id"], row["prompt_version"], row["model"]) == ("triage", 1, MODEL)
    assert json.loads(row["prompt_inputs"]) == {"department": "cardiology"}
    body = json.loads(row["request_body"])
    assert body["contents"] == wire["contents"]
    assert body["config"]["system_instruction"]["parts"][0] == {
        "text": "You triage for cardiology."
    }


async def test_a_stream_renders_the_prompt_and_typed_contents_follow(gem: Gem) -> None:
    _triage(gem)
    gem.fake.script(MODEL, Reply(text="Seen, friend.", chunk_size=4))
    chunks = await gem.stream(
        model=MODEL,
        contents=[types.Content(role="user", parts=[types.Part(text="Dizzy.")])],
        config=types.GenerateContentConfig(max_output_tokens=20),
        helicone={"prompt_id": "triage", **INPUTS},
    )
    assert "".join(c.text or "" for c in chunks) == "Seen, friend."
    wire = _wire(gem.fake)
    assert wire["contents"] == [*RENDERED, {"role": "user", "parts": [{"text": "Dizzy."}]}]
    assert wire["systemInstruction"]["parts"] == [{"text": "You triage for cardiology."}]
    assert wire["generationConfig"] == {"maxOutputTokens": 20}
    [row] = gem.rows()
    assert (row["prompt_id"], row["prompt_version"], row["status"]) == ("triage", 1, 200)


async def test_the_chosen_version_is_rendered(gem: Gem) -> None:
    _triage(gem)
    gem.client.prompts.update("triage", messages=[{"role": "user", "content": "v2"}])
    await gem.generate(
        model=MODEL, contents="Hi", helicone={"prompt_id": "triage", "prompt_version": 2}
    )
    wire = _wire(gem.fake)
    assert wire["contents"][0] == {"role": "user", "parts": [{"text": "v2"}]}
    assert "systemInstruction" not in wire
    [row] = gem.rows()
    assert (row["prompt_id"], row["prompt_version"]) == ("triage", 2)


async def test_a_missing_input_is_the_chat_error_before_any_call(
    gem: Gem, fake_provider: FakeProvider, home: Path
) -> None:
    _triage(gem)
    with pytest.raises(PromptError) as ours:
        await gem.generate(model=MODEL, contents="Hi", helicone={"prompt_id": "triage"})
    assert ours.value.option == "prompt_inputs" and ours.value.value == "department"
    assert gem.fake.requests == []
    [row] = gem.rows()
    assert (row["prompt_id"], row["prompt_version"]) == ("triage", 1)
    chat = helicone_lite.Client(
        api_key="sk-test", base_url=fake_provider.openai_base_url, home=home
    )
    try:
        with pytest.raises(PromptError) as theirs:
            chat.chat.completions.create(
                model="gpt-4o-mini", messages=[], extra_headers={"Helicone-Prompt-Id": "triage"}
            )
    finally:
        chat.close()
    assert str(ours.value) == str(theirs.value)
    assert "missing input 'department'" in str(ours.value)


async def test_a_stored_parameter_gemini_cannot_take_is_refused(gem: Gem) -> None:
    _triage(gem, logprobs=True)
    with pytest.raises(PromptError, match="logprobs"):
        await gem.generate(model=MODEL, contents="Hi", helicone={"prompt_id": "triage", **INPUTS})
    assert gem.fake.requests == []


async def test_count_tokens_refuses_a_prompt_id(gem: Gem) -> None:
    with pytest.raises(helicone_lite.OptionsError, match="prompt_id"):
        await gem.count_tokens(model=MODEL, contents="Hi", helicone={"prompt_id": "triage"})
    assert gem.fake.requests == []


async def test_a_prompt_not_in_the_registry_is_not_found(gem: Gem) -> None:
    with pytest.raises(PromptNotFoundError, match="nowhere"):
        await gem.generate(model=MODEL, contents="Hi", helicone={"prompt_id": "nowhere"})
    assert gem.fake.requests == []
    assert gem.client.prompts.list() == []  # Gemini contents are never recorded as a version


async def test_stored_stop_and_tools_are_translated(gem: Gem) -> None:
    tool = {"type": "function", "function": {"name": "page", "parameters": {"type": "object"}}}
    _triage(gem, stop="END", tools=[tool])
    await gem.generate(model=MODEL, contents="Hi", helicone={"prompt_id": "triage", **INPUTS})
    wire = _wire(gem.fake)
    assert wire["generationConfig"]["stopSequences"] == ["END"]
    [declaration] = wire["tools"][0]["functionDeclarations"]
    assert declaration["name"] == "page"
