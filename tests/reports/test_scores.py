"""Feedback and scores through both clients and on a bare store: typed values, replacement,
clear errors for unknown ids, and means in every report."""

from __future__ import annotations

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.reports import (
    FEEDBACK,
    Filters,
    Reports,
    UnknownRequestError,
    UnknownSessionError,
    feedback,
    score,
    scores_of,
    session_feedback,
)
from helicone_lite.store import Store
from helicone_lite.testing import FakeProvider, Reply

from .conftest import Clock


def _call(client: helicone_lite.Client, fake: FakeProvider, **helicone: object) -> str:
    fake.enqueue(Reply(text="ok", prompt_tokens=100, completion_tokens=20))
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], helicone=helicone
    )
    return reply.headers["Helicone-Id"]


def test_feedback_and_scores_keep_their_types(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="ok"))
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "What is diabetes?"}]
    )
    client.feedback(reply, True)  # the response itself names its request
    client.score(reply.headers["Helicone-Id"], {"accuracy": 92, "tone": True, "relevance": 0.8})
    got = client.reports.scores_of(reply)
    assert got == {FEEDBACK: True, "accuracy": 92, "tone": True, "relevance": 0.8}
    assert type(got["accuracy"]) is int and type(got["tone"]) is bool
    assert type(got["relevance"]) is float
    client.feedback(reply, False)  # a later rating replaces the first
    assert client.reports.scores_of(reply)[FEEDBACK] is False
    stored = client.store.query("SELECT name, value, value_type FROM scores ORDER BY name")
    assert {r["name"]: (r["value"], r["value_type"]) for r in stored}[FEEDBACK] == (0.0, "bool")


def test_unknown_request_id_is_a_clear_error(client: helicone_lite.Client) -> None:
    with pytest.raises(UnknownRequestError) as info:
        client.feedback("6e0c0d34-0000-4000-8000-00000000dead", True)
    assert isinstance(info.value, ValueError)
    assert "6e0c0d34-0000-4000-8000-00000000dead" in str(info.value)
    with pytest.raises(UnknownSessionError, match="nobody"):
        client.session_feedback("nobody", False)


def test_a_just_logged_request_can_be_scored_at_once(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    # the request row is still queued for the writer: score() flushes before looking
    ids = [_call(client, fake) for _ in range(20)]
    client.score(ids[-1], {"accuracy": 70})
    assert client.reports.scores_of(ids[-1]) == {"accuracy": 70}


@pytest.mark.parametrize(
    ("values", "option"),
    [
        ({"accuracy": "high"}, "accuracy"),
        ({"": 1}, "scores"),
        ({}, "scores"),
        ({"x": float("nan")}, "x"),
    ],
)
def test_bad_scores_name_the_value(
    client: helicone_lite.Client, fake: FakeProvider, values: dict[str, object], option: str
) -> None:
    rid = _call(client, fake)
    with pytest.raises(OptionsError, match=option):
        client.score(rid, values)  # type: ignore[arg-type]
    with pytest.raises(OptionsError, match="rating"):
        client.feedback(rid, 1)  # type: ignore[arg-type]
    assert client.reports.scores_of(rid) == {}


async def test_async_client_feedback(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="ok"))
    reply = await aclient.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"Helicone-Session-Id": "async-session"},
    )
    await aclient.feedback(reply, True)
    await aclient.score(reply, {"helpfulness": 4})
    await aclient.session_feedback("async-session", True)
    assert aclient.reports.scores_of(reply) == {FEEDBACK: True, "helpfulness": 4}
    assert aclient.reports.sessions()[0].scores == {FEEDBACK: True}
    with pytest.raises(UnknownRequestError):
        await aclient.feedback("missing-id", True)


def test_store_functions_without_a_client(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock, database: str
) -> None:
    rid = _call(client, fake, session_id="s1", session_path="/triage")
    client.flush()
    with Store(database) as store:
        feedback(store, rid, True)
        score(store, rid, {"accuracy": 55})
        session_feedback(store, "s1", False)
        assert scores_of(store, rid) == {FEEDBACK: True, "accuracy": 55}
        with pytest.raises(UnknownRequestError, match="nope"):
            score(store, "nope", {"accuracy": 1})
    assert client.reports.session("s1").scores == {FEEDBACK: False}


def test_scores_show_up_in_every_report(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    plan = [
        ("gpt-4o-mini", "/triage", "u1", 1, 90, True),
        ("gpt-4o-mini", "/triage/analysis", "u1", 2, 70, False),
        ("gpt-4o", "/triage/analysis", "u2", 2, 40, False),
    ]
    client.prompts.create("triage", messages=[{"role": "system", "content": "Triage."}])
    client.prompts.update("triage", messages=[{"role": "system", "content": "Triage, v2."}])
    for model, path, user, version, accuracy, good in plan:
        fake.enqueue(Reply(text="ok", prompt_tokens=50, completion_tokens=10))
        reply = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": path}],
            extra_headers={
                "Helicone-Session-Id": "scored",
                "Helicone-Session-Path": path,
                "Helicone-User-Id": user,
                "Helicone-Prompt-Id": "triage",
                "Helicone-Property-Department": "cardiology",
            },
            helicone={"prompt_version": version},
        )
        client.score(reply, {"accuracy": accuracy})
        client.feedback(reply, good)
        clock.advance(1)
    reports: Reports = client.reports
    by_model = {(s.key, s.name): s for s in reports.scores(by="model")}
    assert by_model[("gpt-4o-mini", "accuracy")].mean == pytest.approx(80)
    assert by_model[("gpt-4o-mini", FEEDBACK)].mean == pytest.approx(0.5)
    assert by_model[("gpt-4o", "accuracy")].count == 1
    by_prompt = {(s.key, s.name): s.mean for s in reports.scores(by="prompt")}
    assert by_prompt[("triage v2", "accuracy")] == pytest.approx(55)
    by_path = {(s.key, s.name): s.mean for s in reports.scores(by="path")}
    assert by_path[("/triage/analysis", "accuracy")] == pytest.approx(55)
    assert {u.user_id: u.scores["accuracy"] for u in reports.users()} == {"u1": 80, "u2": 40}
    assert {m.key: m.scores["accuracy"] for m in reports.models()} == {
        "gpt-4o-mini": 80,
        "gpt-4o": 40,
    }
    dept = reports.properties("department")[0]
    assert dept.scores["accuracy"] == pytest.approx(200 / 3)
    tree = reports.session("scored")
    assert tree.node("/triage/analysis").scores["accuracy"] == pytest.approx(55)
    assert tree.node("/triage").scores["accuracy"] == pytest.approx(200 / 3)
    assert tree.node("/triage").scores[FEEDBACK] == pytest.approx(1 / 3)
    only = reports.scores(Filters(user="u2"), by="all")
    assert {s.name: s.mean for s in only} == {"accuracy": 40, FEEDBACK: 0}
    with pytest.raises(OptionsError, match="by"):
        reports.scores(by="colour")
