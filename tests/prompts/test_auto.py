"""Calls that bring their own messages (the seed's examples): tag, record, version changes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.prompts import PromptError
from helicone_lite.testing import FakeProvider

from .conftest import KEY, Clock, prompts_layer, rows, sent

SYSTEM = (
    "You are a medical triage assistant. Classify urgency as: "
    "EMERGENCY, URGENT, STANDARD, or LOW-PRIORITY. Give rationale."
)


def triage_patient(
    client: helicone_lite.Client, patient: str, symptoms: str, system: str = SYSTEM
) -> Any:
    """The seed's healthcare triage assistant, as written for Helicone."""
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": f"Patient symptoms: {symptoms}"},
        ],
        max_tokens=200,
        temperature=0.1,
        extra_headers={
            "Helicone-User-Id": patient,
            "Helicone-Property-Department": "cardiology",
            "Helicone-Property-App": "triage-assistant",
            "Helicone-Property-Environment": "production",
            "Helicone-Prompt-Id": "triage-classifier-v1",
        },
    )


def test_seed_triage_same_messages_same_version_changed_new_version(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    triage_patient(client, "patient-7829", "Severe chest pain")
    triage_patient(client, "patient-7829", "Severe chest pain")
    assert sent(fake)["messages"][1] == {
        "role": "user",
        "content": "Patient symptoms: Severe chest pain",
    }
    triage_patient(client, "patient-4521", "Mild rash")  # changed messages: version 2
    triage_patient(client, "patient-7829", "Severe chest pain")  # seen before: version 1
    triage_patient(client, "patient-7829", "Severe chest pain", system=SYSTEM + " Be brief.")
    got = [(r["prompt_id"], r["prompt_version"]) for r in rows(client)]
    assert got == [("triage-classifier-v1", v) for v in (1, 1, 2, 1, 3)]
    versions = client.prompts.versions("triage-classifier-v1")
    assert [(v.version, v.source) for v in versions] == [(1, "auto"), (2, "auto"), (3, "auto")]
    assert versions[0].messages[0]["content"] == SYSTEM
    assert fake.calls() == 5


def test_seed_kitchen_sink_call_is_tagged_and_recorded(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    for _ in range(2):
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "What is diabetes?"}],
            max_tokens=200,
            temperature=0,
            extra_headers={
                "Helicone-Session-Id": "kitchen-sink-001",
                "Helicone-Session-Path": "/demo",
                "Helicone-User-Id": "demo-user",
                "Helicone-Property-Environment": "demo",
                "Helicone-Property-Feature": "kitchen-sink",
                "Helicone-Prompt-Id": "diabetes-query-v1",
            },
        )
        assert r.choices[0].message.content == "echo: What is diabetes?"
    assert sent(fake)["messages"] == [{"role": "user", "content": "What is diabetes?"}]
    assert [r["prompt_version"] for r in rows(client)] == [1, 1]
    [prompt] = client.prompts.list()
    assert (prompt.id, prompt.latest_version, prompt.source) == ("diabetes-query-v1", 1, "auto")


def test_an_unchanged_template_costs_no_database_access(
    client: helicone_lite.Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = prompts_layer(client).registry
    reads: list[str] = []
    writes: list[str] = []
    real_head, real_record = registry.head, registry.record_auto

    def head(*args: Any) -> Any:
        reads.append("head")
        return real_head(*args)

    def record_auto(*args: Any) -> Any:
        writes.append("write")
        return real_record(*args)

    monkeypatch.setattr(registry, "head", head)
    monkeypatch.setattr(registry, "record_auto", record_auto)
    for _ in range(5):
        triage_patient(client, "p", "fever")
    assert (len(reads), len(writes)) == (1, 1)
    clock.advance(2)  # past the re-check interval: one read, still no write
    for _ in range(3):
        triage_patient(client, "p", "fever")
    assert (len(reads), len(writes)) == (2, 1)
    triage_patient(client, "p", "cough")
    assert (len(reads), len(writes)) == (3, 2)
    assert [r["prompt_version"] for r in rows(client)] == [1] * 8 + [2]


def test_adopting_a_recorded_prompt_into_the_registry(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    triage_patient(client, "p", "fever")
    client.prompts.update(
        "triage-classifier-v1",
        messages=[{"role": "system", "content": SYSTEM + " Department: {{hc:department:string}}."}],
    )
    clock.advance(2)  # a running process notices within the re-check interval
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Patient symptoms: fever"}],
        extra_headers={"Helicone-Prompt-Id": "triage-classifier-v1"},
        helicone={"prompt_inputs": {"department": "cardiology"}},
    )
    body = sent(fake)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"].endswith("Department: cardiology.")
    assert [r["prompt_version"] for r in rows(client)] == [1, 2]


def test_helicone_prompt_input_tags(client: helicone_lite.Client, fake: FakeProvider) -> None:
    def ask(symptoms: str) -> None:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {
                    "role": "user",
                    "content": "Patient symptoms: "
                    f'<helicone-prompt-input key="symptoms">{symptoms}</helicone-prompt-input>',
                }
            ],
            extra_headers={"Helicone-Prompt-Id": "tagged"},
        )
        assert sent(fake)["messages"][0]["content"] == f"Patient symptoms: {symptoms}"

    ask("chest pain")
    ask("mild rash")  # only the input differs: same version
    logged = rows(client)
    assert [r["prompt_version"] for r in logged] == [1, 1]
    assert [json.loads(r["prompt_inputs"]) for r in logged] == [
        {"symptoms": "chest pain"},
        {"symptoms": "mild rash"},
    ]
    [version] = client.prompts.versions("tagged")
    assert version.messages[0]["content"] == "Patient symptoms: {{hc:symptoms:string}}"
    # the recorded template is a real one: a call without messages renders it
    client.chat.completions.create(
        model="gpt-4o-mini",
        extra_headers={"Helicone-Prompt-Id": "tagged"},
        helicone={"prompt_inputs": {"symptoms": "fever"}},
    )
    assert sent(fake)["messages"] == [{"role": "user", "content": "Patient symptoms: fever"}]


def test_recorded_text_is_literal_when_rendered(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    """Auto-recorded versions are end-user text: rendered literally, never run as Jinja (issue
    13: ``{{ 7 * 7 }}`` used to come back as ``49``; this test used to expect the sandbox to
    refuse the include, now nothing in the text is executed at all)."""
    text = "{% include '/etc/passwd' %} {{ 7 * 7 }}"
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": text}],
        extra_headers={"Helicone-Prompt-Id": "rec"},
    )
    assert sent(fake)["messages"][0]["content"] == text  # the call's own text goes out as is
    client.chat.completions.create(model="gpt-4o-mini", extra_headers={"Helicone-Prompt-Id": "rec"})
    assert sent(fake)["messages"][0]["content"] == text  # replayed literally
    assert fake.calls() == 2


def test_an_unusable_store_never_fails_a_call_that_brings_its_messages(
    fake: FakeProvider, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, store=helicone_lite.Store(tmp_path)
    )
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(2):
            triage_patient(client, "p", "fever")
    assert fake.calls() == 2
    assert sum("could not record the template" in r.getMessage() for r in caplog.records) == 1
    with pytest.raises(PromptError, match="registry cannot be read"):
        client.chat.completions.create(extra_headers={"Helicone-Prompt-Id": "triage-classifier-v1"})
    assert fake.calls() == 2
