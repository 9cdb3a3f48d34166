"""Registry prompts on calls: version choice, merge rules, body fields, errors, logging."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.prompts import PromptError, PromptNotFoundError, PromptRegistry
from helicone_lite.testing import FakeProvider

from .conftest import TRIAGE_SYSTEM, rows, sent

USER = [{"role": "user", "content": "Patient symptoms: chest pain"}]
INPUTS = {"department": "cardiology"}


def _triage(client: helicone_lite.Client, **params: Any) -> None:
    client.prompts.create(
        "triage",
        messages=[{"role": "system", "content": TRIAGE_SYSTEM}],
        model="gpt-4o-mini",
        **({"temperature": 0.1, "max_tokens": 200} | params),
    )


def test_stored_messages_first_call_params_override(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    _triage(client)
    r = client.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        temperature=0.5,
        extra_headers={"Helicone-Prompt-Id": "triage", "X-Trace": "1"},
        helicone={"prompt_inputs": INPUTS},
    )
    assert r.choices[0].message.content == "echo: Patient symptoms: chest pain"
    body = sent(fake)
    assert body["model"] == "gpt-4o"  # the call's model wins
    assert body["messages"] == [
        {
            "role": "system",
            "content": TRIAGE_SYSTEM.replace("{{hc:department:string}}", "cardiology"),
        },
        *USER,
    ]
    assert body["temperature"] == 0.5 and body["max_tokens"] == 200
    headers = fake.last_request.headers
    assert headers["x-trace"] == "1"
    assert not any(name.startswith("helicone-") for name in headers)


@pytest.mark.parametrize("model", [None, ""])
def test_stored_model_when_the_call_gives_none(
    client: helicone_lite.Client, fake: FakeProvider, model: str | None
) -> None:
    _triage(client)
    extra: dict[str, Any] = {} if model == "" else {"model": model}
    client.chat.completions.create(
        messages=USER,
        extra_headers={"Helicone-Prompt-Id": "triage"},
        helicone={"prompt_inputs": INPUTS},
        **extra,
    )
    assert sent(fake)["model"] == "gpt-4o-mini"
    [row] = rows(client)
    assert row["model"] == "gpt-4o-mini" and row["provider"] == "openai"


def test_a_prompt_without_model_needs_one_from_the_call(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    client.prompts.create("m", messages=[{"role": "system", "content": "Be brief."}])
    with pytest.raises(PromptError, match="stores no model"):
        client.chat.completions.create(messages=USER, extra_headers={"Helicone-Prompt-Id": "m"})
    client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, extra_headers={"Helicone-Prompt-Id": "m"}
    )
    assert fake.calls() == 1 and sent(fake)["messages"][0]["content"] == "Be brief."


def test_no_messages_on_the_call_sends_the_stored_ones(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    _triage(client)
    client.chat.completions.create(
        extra_headers={"Helicone-Prompt-Id": "triage"}, helicone={"prompt_inputs": INPUTS}
    )
    assert [m["role"] for m in sent(fake)["messages"]] == ["system"]


def _versions(registry: PromptRegistry) -> None:
    registry.create(
        "p", messages=[{"role": "system", "content": "v1 {{hc:x:string}}"}], model="gpt-4o-mini"
    )
    for n in (2, 3):
        registry.update("p", messages=[{"role": "system", "content": f"v{n} {{{{hc:x:string}}}}"}])


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, ("v2 a", 2, "production")),
        ({"Helicone-Prompt-Environment": "staging"}, ("v3 a", 3, "staging")),
        ({"Helicone-Prompt-Version": "1"}, ("v1 a", 1, None)),
        (
            {"Helicone-Prompt-Version": "1", "Helicone-Prompt-Environment": "staging"},
            ("v1 a", 1, None),
        ),
    ],
)
def test_version_choice_on_calls(
    client: helicone_lite.Client,
    fake: FakeProvider,
    headers: dict[str, str],
    expected: tuple[str, int, str | None],
) -> None:
    _versions(client.prompts)
    client.prompts.deploy("p", 2)
    client.prompts.deploy("p", 3, "staging")
    client.chat.completions.create(
        messages=USER,
        extra_headers={"Helicone-Prompt-Id": "p", **headers},
        helicone={"prompt_inputs": {"x": "a"}},
    )
    [row] = rows(client)
    assert (
        sent(fake)["messages"][0]["content"],
        row["prompt_version"],
        row["prompt_environment"],
    ) == expected


def test_latest_version_when_nothing_is_deployed(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    _versions(client.prompts)
    client.chat.completions.create(
        messages=USER,
        extra_headers={"Helicone-Prompt-Id": "p"},
        helicone={"prompt_inputs": {"x": "a"}},
    )
    assert sent(fake)["messages"][0]["content"] == "v3 a"
    [row] = rows(client)
    assert (row["prompt_version"], row["prompt_environment"]) == (3, None)


def test_deploy_and_rollback_from_elsewhere_apply_to_the_next_call(
    client: helicone_lite.Client, fake: FakeProvider, store: helicone_lite.Store
) -> None:
    _versions(client.prompts)
    elsewhere = PromptRegistry(store)  # another registry on the same file (say, the CLI)
    seen = []
    steps: list[Callable[[], object]] = [
        lambda: elsewhere.deploy("p", 1),
        lambda: elsewhere.deploy("p", 2),
        lambda: elsewhere.rollback("p"),
    ]
    for step in steps:
        step()
        client.chat.completions.create(
            messages=USER,
            extra_headers={"Helicone-Prompt-Id": "p"},
            helicone={"prompt_inputs": {"x": "a"}},
        )
        seen.append(sent(fake)["messages"][0]["content"])
    assert seen == ["v1 a", "v2 a", "v1 a"]


def test_helicone_body_fields_are_read_and_removed_from_the_wire(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    _versions(client.prompts)
    client.prompts.deploy("p", 3, "staging")
    client.chat.completions.create(
        messages=USER,
        extra_body={"prompt_id": "p", "version_id": 2, "inputs": {"x": "b"}, "seed_note": 7},
    )
    body = sent(fake)
    assert body["messages"][0]["content"] == "v2 b" and body["seed_note"] == 7
    assert not {"prompt_id", "version_id", "environment", "inputs"} & set(body)
    client.chat.completions.create(
        messages=USER, extra_body={"prompt_id": "p", "environment": "staging", "inputs": {"x": "c"}}
    )
    body = sent(fake)
    assert body["messages"][0]["content"] == "v3 c" and "environment" not in body
    first, second = rows(client)
    assert (first["prompt_version"], json.loads(first["prompt_inputs"])) == (2, {"x": "b"})
    assert (second["prompt_version"], second["prompt_environment"]) == (3, "staging")


def test_body_fields_without_a_prompt_are_left_alone(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, extra_body={"environment": "eu", "inputs": [1]}
    )
    assert sent(fake)["environment"] == "eu" and sent(fake)["inputs"] == [1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"extra_body": {"prompt_id": "p", "version_id": "two"}}, r"extra_body\['version_id'\]"),
        ({"extra_body": {"prompt_id": "p", "inputs": "x=1"}}, r"extra_body\['inputs'\]"),
        (
            {"extra_body": {"prompt_id": "q"}, "extra_headers": {"Helicone-Prompt-Id": "p"}},
            "contradicts prompt_id='p'",
        ),
        (
            {"extra_headers": {"Helicone-Prompt-Id": "p", "Helicone-Prompt-Version": "7"}},
            "no version 7",
        ),
        (
            {"extra_headers": {"Helicone-Prompt-Id": "p", "Helicone-Prompt-Environment": "dev"}},
            "no version deployed to 'dev'",
        ),
        ({"extra_headers": {"Helicone-Prompt-Id": "nope"}}, "'nope' is not in the registry"),
        ({"extra_headers": {"Helicone-Prompt-Id": "p"}}, "missing input 'x'"),
        (
            {
                "extra_headers": {"Helicone-Prompt-Id": "p"},
                "helicone": {"prompt_inputs": {"x": {}}},
            },
            "'x' must be a string",
        ),
    ],
)
def test_bad_prompt_calls_fail_before_any_provider_call(
    client: helicone_lite.Client, fake: FakeProvider, kwargs: dict[str, Any], match: str
) -> None:
    _versions(client.prompts)
    with pytest.raises(OptionsError, match=match):
        client.chat.completions.create(**kwargs)  # no messages: the registry prompt is used
    assert fake.calls() == 0
    [row] = rows(client)
    assert row["status"] != 200 and re.search(match, row["error"] or "")


def test_missing_prompt_is_a_lookup_error_too(client: helicone_lite.Client) -> None:
    with pytest.raises(PromptNotFoundError):
        client.chat.completions.create(extra_headers={"Helicone-Prompt-Id": "absent"})
    with pytest.raises(LookupError):
        client.chat.completions.create(extra_headers={"Helicone-Prompt-Id": "absent"})


def test_sandbox_escape_in_a_stored_prompt_never_reaches_the_provider(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    client.prompts.create(
        "evil",
        messages=[{"role": "user", "content": "{{ cycler.__init__.__globals__.os }}"}],
        model="gpt-4o-mini",
    )
    with pytest.raises(PromptError, match="refused by the template sandbox"):
        client.chat.completions.create(extra_headers={"Helicone-Prompt-Id": "evil"})
    assert fake.calls() == 0


def test_tools_are_merged_by_name(client: helicone_lite.Client, fake: FakeProvider) -> None:
    def tool(name: str, note: str) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": name, "description": note, "parameters": {"type": "object"}},
        }

    client.prompts.create(
        "t",
        messages=[{"role": "system", "content": "Use tools."}],
        model="gpt-4o-mini",
        tools=[tool("a", "stored"), tool("b", "stored")],
        response_format={"type": "text"},
    )
    client.chat.completions.create(
        messages=USER,
        tools=[tool("b", "call"), tool("c", "call")],
        response_format={"type": "json_object"},
        extra_headers={"Helicone-Prompt-Id": "t"},
    )
    body = sent(fake)
    assert [(t["function"]["name"], t["function"]["description"]) for t in body["tools"]] == [
        ("a", "stored"),
        ("b", "call"),
        ("c", "call"),
    ]
    assert body["response_format"] == {"type": "json_object"}


def test_every_call_logs_prompt_id_version_environment_inputs(
    client: helicone_lite.Client,
) -> None:
    _triage(client)
    client.prompts.deploy("triage", 1)
    client.chat.completions.create(
        messages=USER,
        extra_headers={
            "Helicone-Prompt-Id": "triage",
            "Helicone-Prompt-Inputs": json.dumps({"department": "neurology", "age": 7}),
        },
    )
    [row] = rows(client)
    assert (row["prompt_id"], row["prompt_version"], row["prompt_environment"]) == (
        "triage",
        1,
        "production",
    )
    assert json.loads(row["prompt_inputs"]) == {"department": "neurology", "age": 7}
    assert row["status"] == 200 and row["model"] == "gpt-4o-mini"


def test_stream_with_a_registry_prompt(client: helicone_lite.Client, fake: FakeProvider) -> None:
    _triage(client)
    stream = client.chat.completions.create(
        messages=USER,
        stream=True,
        extra_headers={"Helicone-Prompt-Id": "triage"},
        helicone={"prompt_inputs": INPUTS},
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "echo: Patient symptoms: chest pain"
    assert sent(fake)["stream"] is True and len(sent(fake)["messages"]) == 2
    [row] = rows(client)
    assert (row["stream"], row["prompt_id"], row["prompt_version"]) == (1, "triage", 1)


def test_copies_and_client_defaults(client: helicone_lite.Client, fake: FakeProvider) -> None:
    _triage(client)
    copy = client.with_options(helicone={"prompt_id": "triage", "prompt_inputs": INPUTS})
    assert copy.prompts.get("triage").version == 1
    copy.chat.completions.create(messages=USER)
    assert sent(fake)["messages"][0]["role"] == "system"


def test_embeddings_are_not_rendered(client: helicone_lite.Client, fake: FakeProvider) -> None:
    _triage(client)
    client.embeddings.create(
        model="text-embedding-3-small",
        input="hello",
        extra_headers={"Helicone-Prompt-Id": "triage"},
    )
    assert sent(fake)["input"] == "hello"
    [row] = rows(client)
    assert row["prompt_id"] == "triage" and row["prompt_version"] is None


def test_a_call_that_fails_to_render_is_logged_with_its_version(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    _versions(client.prompts)
    client.prompts.deploy("p", 2)
    with pytest.raises(PromptError, match="missing input 'x'"):
        client.chat.completions.create(extra_headers={"Helicone-Prompt-Id": "p"})
    assert fake.calls() == 0
    [row] = rows(client)
    assert (row["prompt_id"], row["prompt_version"], row["prompt_environment"]) == (
        "p",
        2,
        "production",
    )
    assert row["error"].startswith("PromptError: prompt 'p' version 2: missing input 'x'")
