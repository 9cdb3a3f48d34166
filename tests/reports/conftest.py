"""Fixtures for the reports, scores and alerts tests: a fake provider, clients with an
injected clock, and a generated store with a brute-force model of what it holds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.store import Store, iso_from_epoch
from helicone_lite.testing import Clock
from helicone_lite.testing.pytest_plugin import KEY, MakeClient

__all__ = ["KEY", "T0", "Clock", "Generated", "generate"]

T0 = 1_795_000_000.0  # 2026-11-19T...: a fixed "now" for every generated row


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def client_options(client_options: dict[str, Any], clock: Clock) -> dict[str, Any]:
    return {**client_options, "clock": clock}


@pytest.fixture
def client(make_client: MakeClient, database: str) -> helicone_lite.Client:
    """The plugin's client, once per engine (SQLite, PostgreSQL)."""
    return make_client(database_url=database)


MODELS = (
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4"),
    ("google", "gemini-2.5-flash"),
)
USERS = ("patient-7829", "patient-4521", "patient-9103", None)
DEPARTMENTS = ("cardiology", "dermatology", "neurology")
AGENTS = ("triage", "analysis", "lab-review", "report")


@dataclass
class Generated:
    """The rows written to a store (as dicts with every value the reports read)."""

    store: Store
    rows: list[dict[str, Any]] = field(default_factory=list)
    scores: list[tuple[str, str, float, str]] = field(default_factory=list)

    def where(self, **conditions: Any) -> list[dict[str, Any]]:
        return [r for r in self.rows if all(r.get(k) == v for k, v in conditions.items())]


def write_statuses(store: Store, n: int, statuses: list[int | None]) -> None:
    """``n`` requests of model ``m``, two to a minute (pairs share an instant: the id breaks
    it), cycling through ``statuses``; flushed."""
    for i in range(n):
        stamp = f"2026-01-01T00:{i // 2:02d}:00.000Z"
        row = {"id": f"r{i:02d}", "created_at": stamp, "model": "m"}
        store.write("requests", {**row, "status": statuses[i % len(statuses)]})
    store.flush()


def generate(
    path: Path | str, n: int = 600, seed: int = 7, migrations: tuple[str, ...] | None = None
) -> Generated:
    """``n`` requests over 10 days through ``Store.write`` (the writer's own path, with
    properties), some failed, some cache hits, some unpriced, with scores (``migrations``: a
    store of an older version)."""
    rng = random.Random(seed)
    store = Store(path) if migrations is None else Store(path, migrations=migrations)
    out = Generated(store)
    priced: list[dict[str, Any]] = []
    for i in range(n):
        provider, model = rng.choice(MODELS)
        at = T0 - 10 * 86400 + i * (10 * 86400 / n) + rng.random()
        hit = bool(priced) and rng.random() < 0.15
        status = 200 if hit or rng.random() > 0.1 else rng.choice((429, 500, 400, 0))
        props: dict[str, str] = {"department": rng.choice(DEPARTMENTS)}
        if rng.random() < 0.7:
            props["agent"] = rng.choice(AGENTS)
        prompt, completion = rng.randrange(10, 900), rng.randrange(5, 400)
        cost: float | None = round(prompt * 3e-6 + completion * 1.1e-5, 9)
        if hit:
            cost = 0.0
        elif status != 200 or (model == "gemini-2.5-flash" and rng.random() < 0.3):
            cost = None
        row: dict[str, Any] = {
            "id": f"req-{i:05d}",
            "created_at": iso_from_epoch(at),
            "kind": "chat.completions",
            "provider": provider,
            "model": model,
            "status": status,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "cost_usd": cost,
            "latency_ms": round(rng.lognormvariate(6, 0.8), 3),
            "user_id": rng.choice(USERS),
            "session_id": f"s-{i // 12:03d}" if i % 5 else None,
            "session_path": "/" + "/".join(AGENTS[: rng.randrange(1, 4)]),
            "properties": props,
            "cache_status": "HIT" if hit else "MISS",
            "cache_reference_id": rng.choice(priced)["id"] if hit else None,
            "prompt_id": "triage-classifier" if i % 3 == 0 else None,
            "prompt_version": 1 + i % 2 if i % 3 == 0 else None,
        }
        if row["session_id"] is None:
            row["session_path"] = None
        store.write("requests", row)
        out.rows.append(row)
        if status == 200 and not hit and cost is not None:
            priced.append(row)
    store.flush()
    for row in out.rows[::7]:
        accuracy = float(rng.randrange(50, 101))
        out.scores.append((row["id"], "accuracy", accuracy, "int"))
        out.scores.append((row["id"], "helicone-score-feedback", float(rng.random() < 0.7), "bool"))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO scores (request_id, name, value, value_type) VALUES (?, ?, ?, ?)",
            out.scores,
        )
    return out


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def generated(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Generated]:
    """The same generated rows in a SQLite file and in PostgreSQL: every report must agree."""
    if request.param == "sqlite":
        location: Path | str = tmp_path_factory.mktemp("generated") / "helicone.db"
    else:
        from tests.conftest import new_schema

        server = request.getfixturevalue("postgres_server")
        location = new_schema(server, "gen_" + request.module.__name__.rsplit(".", 1)[-1])
    data = generate(location)
    yield data
    data.store.close()
