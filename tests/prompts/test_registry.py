"""The registry on a bare store: versions, environments, rollback, history, stats."""

from __future__ import annotations

from typing import Any

import pytest

import helicone_lite
from helicone_lite.prompts import (
    Deployment,
    PromptError,
    PromptNotFoundError,
    PromptRegistry,
    PromptVersion,
)

from .conftest import Clock

MESSAGES = [
    {"role": "system", "content": "Summarise {{ document }} in a {{hc:style:string}} tone."}
]


def test_usable_without_a_client(store: helicone_lite.Store) -> None:
    registry = helicone_lite.PromptRegistry(store)
    v1 = registry.create("summary", messages=MESSAGES, model="gpt-4o-mini", temperature=0.2)
    assert isinstance(v1, PromptVersion)
    assert (v1.prompt_id, v1.version, v1.model, v1.source) == ("summary", 1, "gpt-4o-mini", "api")
    assert dict(v1.params) == {"temperature": 0.2}
    assert dict(v1.variables) == {"document": "any", "style": "string"}
    again = PromptRegistry(store).get("summary")  # a second registry reads the same rows
    assert again.to_dict() == v1.to_dict()


def test_create_then_update_gives_immutable_numbered_versions(registry: PromptRegistry) -> None:
    v1 = registry.create("summary", messages=MESSAGES, model="gpt-4o-mini", temperature=0.2)
    v2 = registry.update("summary", temperature=0.7, max_tokens=100)
    v3 = registry.update(
        "summary", messages=[{"role": "user", "content": "Shorter: {{ document }}"}]
    )
    v4 = registry.update("summary", model="gpt-4o", max_tokens=None)
    assert [v.version for v in (v1, v2, v3, v4)] == [1, 2, 3, 4]
    assert dict(v2.params) == {"temperature": 0.7, "max_tokens": 100}
    assert v2.messages == v1.messages  # kept
    assert v3.messages[0]["content"] == "Shorter: {{ document }}" and v3.model == "gpt-4o-mini"
    assert v4.model == "gpt-4o" and dict(v4.params) == {"temperature": 0.7}
    assert registry.get("summary", version=1).to_dict() == v1.to_dict()  # never changed
    assert [v.version for v in registry.versions("summary")] == [1, 2, 3, 4]
    with pytest.raises(TypeError):
        v1.messages[0]["content"] = "tampered"  # type: ignore[index]


def test_update_with_identical_content_creates_nothing(registry: PromptRegistry) -> None:
    registry.create("summary", messages=MESSAGES, temperature=0.2)
    same = registry.update("summary", messages=MESSAGES, temperature=0.2)
    assert same.version == 1
    assert len(registry.versions("summary")) == 1


def test_version_choice_precedence(registry: PromptRegistry) -> None:
    for n in range(1, 5):
        (registry.create if n == 1 else registry.update)(
            "p", messages=[{"role": "user", "content": f"v{n}"}]
        )
    assert registry.get("p").version == 4  # nothing deployed: the latest
    registry.deploy("p", 2)
    registry.deploy("p", 3, environment="staging")
    assert registry.get("p").version == 2  # production
    assert registry.get("p", environment="staging").version == 3
    assert registry.get("p", environment="Staging").version == 3  # names are case-insensitive
    assert registry.get("p", version=1, environment="staging").version == 1  # explicit wins
    resolved = registry.resolve("p", environment="staging")
    assert (resolved.version.version, resolved.environment) == (3, "staging")
    assert registry.resolve("p").environment == "production"
    with pytest.raises(PromptNotFoundError, match=r"no version deployed to 'dev'.*production"):
        registry.get("p", environment="dev")
    with pytest.raises(PromptNotFoundError, match=r"no version 9 \(versions 1 to 4"):
        registry.get("p", version=9)
    with pytest.raises(PromptNotFoundError, match="'nope' is not in the registry"):
        registry.get("nope")


def test_deploy_rollback_history(registry: PromptRegistry, clock: Clock) -> None:
    registry.create("p", messages=[{"role": "user", "content": "one"}])
    for text in ("two", "three"):
        registry.update("p", messages=[{"role": "user", "content": text}])
    moves: list[Deployment] = []
    for version in (1, 2, 3):
        clock.advance(60)
        moves.append(registry.deploy("p", version))
    assert registry.deploy("p", 3) == moves[-1]  # already there: nothing recorded
    clock.advance(60)
    back = registry.rollback("p")
    assert (back.action, back.from_version, back.to_version) == ("rollback", 3, 2)
    assert registry.get("p").version == 2
    clock.advance(60)
    assert registry.rollback("p").to_version == 1  # rollbacks keep going back
    with pytest.raises(PromptError, match="no earlier version to roll back to"):
        registry.rollback("p")
    registry.deploy("p", 3, environment="staging")
    history = registry.history("p")
    assert [(h.environment, h.action, h.from_version, h.to_version) for h in history] == [
        ("production", "deploy", None, 1),
        ("production", "deploy", 1, 2),
        ("production", "deploy", 2, 3),
        ("production", "rollback", 3, 2),
        ("production", "rollback", 2, 1),
        ("staging", "deploy", None, 3),
    ]
    times = [h.created_at for h in history]
    assert times[0] == "2027-01-15T08:01:00.000Z" and times == sorted(times)
    assert [h.environment for h in registry.history("p", "staging")] == ["staging"]
    [listed] = registry.list()
    assert dict(listed.environments) == {"production": 1, "staging": 3}


def test_rollback_after_a_new_deploy_returns_to_the_one_before(registry: PromptRegistry) -> None:
    registry.create("p", messages=[{"role": "user", "content": "1"}])
    for n in (2, 3, 4):
        registry.update("p", messages=[{"role": "user", "content": str(n)}])
    for version in (1, 2, 3):
        registry.deploy("p", version)
    registry.rollback("p")  # -> 2
    registry.deploy("p", 4)
    assert registry.rollback("p").to_version == 2


def test_list_reports_latest_source_and_environments(registry: PromptRegistry) -> None:
    registry.create("b", messages=MESSAGES, description="second")
    registry.create("a", messages=MESSAGES)
    registry.update("a", temperature=1.0)
    registry.deploy("a", 1)
    prompts = registry.list()
    assert [(p.id, p.latest_version, dict(p.environments)) for p in prompts] == [
        ("a", 2, {"production": 1}),
        ("b", 1, {}),
    ]
    assert prompts[1].description == "second"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r: r.create("s", messages=MESSAGES), "already exists"),
        (lambda r: r.update("missing", temperature=1), "'missing' is not in the registry"),
        (lambda r: r.deploy("s", 5), "no version 5"),
        (lambda r: r.deploy("s", 0), "not a version number"),
        (lambda r: r.deploy("s", 1, environment="prod env"), "not an environment name"),
        (lambda r: r.create("x", messages=[]), "non-empty list of chat messages"),
        (lambda r: r.create("x", messages="hello"), "non-empty list of chat messages"),
        (lambda r: r.create("x", messages=[{"content": "no role"}]), r"messages\[0\]"),
        (lambda r: r.create("x", messages=MESSAGES, stream=True), "belong to a call"),
        (lambda r: r.create("x", messages=MESSAGES, model=""), "not a model name"),
        (lambda r: r.create(" ", messages=MESSAGES), "not a prompt id"),
        (lambda r: r.create("x", messages=MESSAGES, temperature=object()), "JSON data"),
    ],
)
def test_bad_requests_raise_prompt_errors(registry: PromptRegistry, call: Any, match: str) -> None:
    registry.create("s", messages=MESSAGES)
    with pytest.raises(PromptError, match=match) as info:
        call(registry)
    assert isinstance(info.value, (helicone_lite.OptionsError, ValueError))


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("{% include 'secrets.txt' %}", "include"),
        ("{% import 'macros.txt' as m %}", "import"),
        ("{% from 'macros.txt' import m %}", "from … import"),
        ("{% extends 'base.txt' %}", "extends"),
        ("{{ unclosed", "syntax error"),
        ("{{hc:n:number}} and {{hc:n:string}}", "declared as number and as string"),
    ],
)
def test_bad_templates_are_refused_when_stored(
    registry: PromptRegistry, template: str, match: str
) -> None:
    with pytest.raises(PromptError, match=match):
        registry.create("bad", messages=[{"role": "user", "content": template}])
    assert registry.list() == []  # nothing half-written


def test_concurrent_creators_get_distinct_version_numbers(store: helicone_lite.Store) -> None:
    import threading

    registry = PromptRegistry(store)
    registry.create("p", messages=[{"role": "user", "content": "0"}])
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            PromptRegistry(store).update("p", messages=[{"role": "user", "content": str(n)}])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = [v.version for v in registry.versions("p")]
    assert numbers == list(range(1, 10))


def test_stats_per_version_from_the_log(
    registry: PromptRegistry, store: helicone_lite.Store
) -> None:
    registry.create("p", messages=MESSAGES)
    registry.update("p", temperature=0.1)
    rows = [
        ("r1", 1, 200, 0.01, 100.0),
        ("r2", 1, 500, None, 300.0),
        ("r3", 2, 200, 0.02, 50.0),
    ]
    for rid, version, status, cost, latency in rows:
        store.write(
            "requests",
            {
                "id": rid,
                "prompt_id": "p",
                "prompt_version": version,
                "status": status,
                "cost_usd": cost,
                "latency_ms": latency,
            },
        )
    store.flush()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO scores (request_id, name, value) VALUES (?, ?, ?)",
            [("r1", "accuracy", 1.0), ("r2", "accuracy", 0.0), ("r3", "accuracy", 1.0)],
        )
    first, second = registry.stats("p")
    assert (first.version, first.calls, first.errors, first.error_rate) == (1, 2, 1, 0.5)
    assert first.cost_usd == pytest.approx(0.01) and first.mean_latency_ms == 200.0
    assert dict(first.scores) == {"accuracy": 0.5}
    assert (second.calls, second.errors) == (1, 0) and second.cost_usd == pytest.approx(0.02)


def test_tables_hold_what_the_schema_documents(
    registry: PromptRegistry, store: helicone_lite.Store
) -> None:
    registry.create("p", messages=MESSAGES, model="gpt-4o-mini", description="d")
    registry.deploy("p", 1)
    conn = store.connect()  # the store's own SQL, on either engine
    if True:
        version = conn.execute(
            "SELECT messages, model, params, variables, source FROM prompt_versions"
        ).fetchone()
        pointer = conn.execute("SELECT environment, version FROM prompt_environments").fetchone()
        move = conn.execute(
            "SELECT environment, from_version, to_version, action FROM prompt_deployments"
        ).fetchone()
    assert version[1:] == ("gpt-4o-mini", "{}", '{"document": "any", "style": "string"}', "api")
    assert '"role": "system"' in version[0]
    assert pointer == ("production", 1)
    assert move == ("production", None, 1, "deploy")
