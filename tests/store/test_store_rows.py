"""Round trips through the background writer: columns, JSON, side tables, cost."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from store_workers import count

from helicone_lite.store import Store

RowFactory = Callable[..., dict[str, Any]]


def test_request_row_round_trip(store: Store, make_row: RowFactory) -> None:
    row = make_row(
        id="req-1",
        stream=True,
        cost_usd=0.00042,
        reply_headers={"Helicone-Id": "req-1", "Helicone-Cache": "MISS"},
        prompt_inputs={"name": "Ada"},
        properties={"App": "triage", "Conversation": "c-9"},
    )
    store.write("requests", row)
    assert store.flush()

    [stored] = store.query("SELECT * FROM requests")
    assert stored["id"] == "req-1"
    assert stored["created_at"] == "2026-11-26T23:55:17.123Z"
    assert stored["model"] == "gpt-4o-mini"
    assert stored["status"] == 200
    assert stored["stream"] == 1
    assert stored["cost_usd"] == pytest.approx(0.00042)
    assert stored["rate_limited"] == 0  # column default
    assert json.loads(stored["request_body"]) == row["request_body"]
    assert json.loads(stored["response_body"]) == row["response_body"]
    assert json.loads(stored["reply_headers"])["Helicone-Cache"] == "MISS"
    assert json.loads(stored["prompt_inputs"]) == {"name": "Ada"}
    assert json.loads(stored["properties"]) == {"App": "triage", "Conversation": "c-9"}


def test_properties_expand_into_side_table_lowercased(store: Store, make_row: RowFactory) -> None:
    store.write("requests", make_row(id="r", properties={"App": "triage", "Tier": 2, "X": None}))
    store.flush()

    props = store.query("SELECT name, value FROM request_properties WHERE request_id = 'r'")
    assert sorted((p["name"], p["value"]) for p in props) == [("app", "triage"), ("tier", "2")]
    # The documented way to filter by property uses the (name, value) index.
    hits = store.query(
        "SELECT r.id FROM requests r JOIN request_properties p ON p.request_id = r.id "
        "WHERE p.name = 'app' AND p.value = 'triage'"
    )
    assert hits == [{"id": "r"}]


def test_attempts_expand_and_column_holds_their_count(store: Store, make_row: RowFactory) -> None:
    attempts = [
        {"target_index": 0, "provider": "openai", "status": 429, "error": "rate limited"},
        {"target_index": 0, "provider": "openai", "status": 200, "wait_ms": 250.0},
    ]
    store.write("requests", make_row(id="r", attempts=attempts, fallback_index=0))
    store.flush()

    assert store.query("SELECT attempts FROM requests") == [{"attempts": 2}]
    rows = store.query(
        "SELECT attempt, status, error, wait_ms FROM attempts WHERE request_id = 'r' "
        "ORDER BY attempt"
    )
    assert rows == [
        {"attempt": 1, "status": 429, "error": "rate limited", "wait_ms": None},
        {"attempt": 2, "status": 200, "error": None, "wait_ms": 250.0},
    ]


def test_cost_callable_runs_on_the_writer_thread(store: Store, make_row: RowFactory) -> None:
    seen: list[str] = []

    def cost() -> float:
        seen.append(threading.current_thread().name)
        return 0.125

    store.write("requests", make_row(id="r", _cost=cost))
    assert seen == []  # not evaluated by write()
    store.flush()

    assert seen == ["helicone-lite-writer"]
    assert store.query("SELECT cost_usd FROM requests") == [{"cost_usd": 0.125}]


@pytest.mark.parametrize(
    "hook",
    [lambda: 1 / 0, lambda: None, lambda: float("nan"), "not callable"],
    ids=["raises", "none", "nan", "not-callable"],
)
def test_unknown_cost_is_null(store: Store, make_row: RowFactory, hook: object) -> None:
    store.write("requests", make_row(_cost=hook))
    store.flush()
    assert store.query("SELECT cost_usd FROM requests") == [{"cost_usd": None}]
    assert store.stats()["written"] == 1


def test_explicit_cost_wins_over_the_callable(store: Store, make_row: RowFactory) -> None:
    called: list[bool] = []

    def cost() -> float:
        called.append(True)
        return 1.0

    store.write("requests", make_row(cost_usd=None, _cost=cost))
    store.flush()
    assert called == []
    assert store.query("SELECT cost_usd FROM requests") == [{"cost_usd": None}]


def test_row_is_copied_at_write(store: Store, make_row: RowFactory) -> None:
    row = make_row(id="r", model="first")
    store.write("requests", row)
    row["model"] = "changed after write"
    store.flush()
    assert store.query("SELECT model FROM requests") == [{"model": "first"}]


def test_missing_id_gets_a_time_ordered_uuid(store: Store, make_row: RowFactory) -> None:
    row = make_row(properties={"a": "b"})
    del row["id"]
    store.write("requests", row)
    store.flush()
    [stored] = store.query("SELECT id FROM requests")
    assert stored["id"][14] == "7"
    assert store.query("SELECT request_id FROM request_properties") == [
        {"request_id": stored["id"]}
    ]


def test_odd_values_are_stored_readably(store: Store, make_row: RowFactory) -> None:
    when = datetime(2026, 11, 26, 23, 55, 17, 123000, tzinfo=timezone.utc)
    body = {"at": when, "tags": {"x"}, "nan": float("nan"), "lone": "\ud800"}
    store.write("requests", make_row(id="r", created_at=when, request_body=body))
    store.flush()
    [stored] = store.query("SELECT created_at, request_body FROM requests")
    assert stored["created_at"] == "2026-11-26T23:55:17.123Z"
    decoded = json.loads(stored["request_body"])
    assert decoded["tags"] == ["x"] and decoded["nan"] is None
    # json_extract works on what was stored: it is valid JSON
    assert store.query("SELECT json_extract(request_body, '$.tags[0]') AS t FROM requests") == [
        {"t": "x"}
    ]


def test_missing_keys_keep_column_defaults(store: Store) -> None:
    store.write("requests", {"id": "bare"})
    store.flush()
    [row] = store.query("SELECT created_at, stream, rate_limited FROM requests")
    assert row["stream"] == 0 and row["rate_limited"] == 0
    assert row["created_at"].endswith("Z") and len(row["created_at"]) == 24


def test_same_primary_key_replaces(store: Store) -> None:
    store.write("scores", {"request_id": "r", "name": "accuracy", "value": 0.5})
    store.write("scores", {"request_id": "r", "name": "accuracy", "value": 0.9})
    store.flush()
    assert store.query("SELECT value FROM scores") == [{"value": 0.9}]


def test_unknown_table_is_a_programming_error(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        store.write("no_such_table", {"id": "x"})


def test_unknown_columns_are_ignored_with_one_warning(
    store: Store, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    for _ in range(3):
        store.write("requests", make_row(colour="blue", _private="silently ignored"))
    store.flush()
    assert count(store.path) == 3
    warnings = [r for r in caplog.records if "colour" in r.getMessage()]
    assert len(warnings) == 1
    assert not [r for r in caplog.records if "_private" in r.getMessage()]


def test_a_rejected_row_does_not_take_its_batch_down(
    store: Store, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    gate = threading.Event()
    # The writer blocks on this row's cost until the gate opens, so the next three rows
    # queue up behind it and are written as one batch (or together with it).
    store.write("requests", make_row(_cost=lambda: gate.wait() and None))
    store.write("prompts", {"id": "ok-1"})
    store.write("prompts", {"id": None})  # violates NOT NULL
    store.write("prompts", {"id": "ok-2"})
    gate.set()
    store.flush()

    assert {r["id"] for r in store.query("SELECT id FROM prompts")} == {"ok-1", "ok-2"}
    stats = store.stats()
    assert (stats["written"], stats["dropped"]) == (3, 1)
    assert len([r for r in caplog.records if "could not be stored" in r.getMessage()]) == 1


def test_one_batch_of_mixed_shapes_keeps_log_order(tmp_path: Path, make_row: RowFactory) -> None:
    """A cache hit's row and a miss's row have different columns; written in one batch, their
    rowids still follow the order they were logged (ORDER BY created_at, rowid breaks
    same-millisecond ties the way the calls happened)."""
    from helicone_lite.store._database import Database
    from helicone_lite.store._errors import Reporter
    from helicone_lite.store._sink import SqliteSink

    db = Database(tmp_path / "log.db", busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=lambda _: None)
    items: list[tuple[str, dict[str, Any]]] = []
    for n in range(6):
        row = make_row(id=f"r{n}", properties={"n": str(n)})
        if n % 2:
            row["cache_status"] = "HIT"  # a second shape of the same table
        items.append(("requests", row))
    outcome = sink.write_batch(items)
    sink.close()
    assert outcome.written == 6
    reader = Store(tmp_path / "log.db")
    try:
        rows = reader.query("SELECT id FROM requests ORDER BY rowid")
    finally:
        reader.close()
    assert [r["id"] for r in rows] == [f"r{n}" for n in range(6)]
