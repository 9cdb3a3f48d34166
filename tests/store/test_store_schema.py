"""Schema v1, migrations keyed on PRAGMA user_version, timestamps and ids."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from helicone_lite.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    epoch_from_iso,
    iso_from_epoch,
    new_request_id,
    utcnow_iso,
)
from helicone_lite.store._database import split_statements

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema.md"

EXPECTED_TABLES = {
    "requests",
    "request_properties",
    "attempts",
    "scores",
    "session_scores",
    "prompts",
    "prompt_versions",
    "prompt_environments",
    "prompt_deployments",
    "alerts",
    "alert_events",
    "property_facts",  # v3: report facts
    "score_facts",
    "score_property_facts",
    "rollup_models",  # v6: hourly rollups
    "rollup_users",
    "rollup_properties",
    "rollup_control",
    "rollup_status",  # status rollup (STATUS_ROLLUP_MIGRATION)
    "rollup_sessions",  # SESSION_ROLLUP_MIGRATION: one row per session
    "rollup_scores",  # SCORE_ROLLUP_MIGRATION: hourly score sums
    "rollup_property_scores",
    "rollup_property_models",  # PROPERTY_MODELS_MIGRATION: rollup_properties per model
}  # (rollup_property_users is PostgreSQL's only: PROPERTY_USERS_OFF_MIGRATION)


def tables(store: Store) -> set[str]:
    rows = store.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r["name"] for r in rows}


def test_new_file_gets_the_full_schema(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert tables(store) == EXPECTED_TABLES
    assert store.query("PRAGMA user_version") == [{"user_version": SCHEMA_VERSION}]
    indexes = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {
        "idx_requests_created_at",
        "idx_requests_user",
        "idx_requests_session",
        "idx_requests_model",
        "idx_requests_prompt",
        # SORT_BY_DAY_MIGRATION: the request list by cost, latency, tokens (the indexes of
        # SORT_INDEXES_MIGRATION, LATENCY_TOKENS_SORT_MIGRATION) led by the day
        "idx_requests_day_cost",
        "idx_requests_day_latency",
        "idx_requests_day_tokens",
    } <= indexes
    assert not {"idx_requests_cost", "idx_requests_latency", "idx_requests_tokens"} & indexes
    for sort in ("cost", "latency", "tokens"):
        keys = store.query(f"SELECT cid, name FROM pragma_index_xinfo('idx_requests_day_{sort}')")
        assert keys[0] == {"cid": -2, "name": None}  # an expression: the day
    # INDEX_DIET_MIGRATION: no query read it; a row without a verdict or a prompt pays no
    # entry in the two partial indexes
    assert "idx_requests_cache_reference" not in indexes
    partial = {
        r["name"]
        for r in store.query("SELECT name FROM pragma_index_list('requests') WHERE partial = 1")
    }
    assert {"idx_requests_security", "idx_requests_prompt", "idx_requests_cache_hits"} <= partial
    # STATUS_SORT_MIGRATION: only the rare statuses (and none) have an entry
    assert "idx_requests_status" in partial
    # SESSION_ROLLUP_MIGRATION: an index per sort of the session list
    assert {
        f"idx_rollup_sessions_{sort}"
        for sort in ("cost", "requests", "tokens", "errors", "duration")
    } <= indexes


def test_reopening_does_not_migrate_again(db_path: Path) -> None:
    Store(db_path).close()
    store = Store(db_path)  # plain CREATE TABLE would fail if v1 ran twice
    assert not store.degraded and store.schema_version == SCHEMA_VERSION
    store.close()


def test_appended_migration_upgrades_an_existing_file(db_path: Path) -> None:
    Store(db_path).close()
    v2 = (
        "ALTER TABLE requests ADD COLUMN region TEXT; CREATE INDEX idx_region ON requests (region);"
    )
    store = Store(db_path, migrations=(*MIGRATIONS, v2))
    assert store.schema_version == SCHEMA_VERSION + 1
    store.write("requests", {"id": "r", "region": "eu"})  # the writer sees the new column
    store.flush()
    assert store.query("SELECT region FROM requests") == [{"region": "eu"}]
    store.close()


def test_failed_migration_rolls_back_and_degrades(db_path: Path) -> None:
    Store(db_path).close()
    store = Store(db_path, migrations=(*MIGRATIONS, "CREATE TABLE extra (a); SELECT nonsense("))
    assert store.degraded
    store.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0
    )
    conn.close()


def test_newer_database_is_left_alone(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    store = Store(db_path)
    assert not store.degraded and store.schema_version == SCHEMA_VERSION + 1
    store.close()


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    script = """
        CREATE TABLE a (x);  CREATE TABLE b (x);
        CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); END;
        -- a comment ; with a semicolon
    """
    statements = list(split_statements(script))
    assert len(statements) == 3
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")


def test_every_table_and_column_is_documented(store: Store) -> None:
    docs = DOCS.read_text()
    for table in sorted(EXPECTED_TABLES):
        assert f"### `{table}`" in docs, table
        section = docs.split(f"### `{table}`", 1)[1].split("\n### ", 1)[0]
        for row in store.query(f"PRAGMA table_info({table})"):
            assert f"| `{row['name']}` |" in section, f"{table}.{row['name']}"


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_795_737_317.123, "2026-11-26T23:55:17.123Z"),
        (1_795_737_317.9999, "2026-11-26T23:55:17.999Z"),
        (1.5, "1970-01-01T00:00:01.500Z"),
    ],
)
def test_iso_timestamps(epoch: float, text: str) -> None:
    assert iso_from_epoch(epoch) == text
    assert utcnow_iso(lambda: epoch) == text
    assert epoch_from_iso(text) == pytest.approx(epoch, abs=0.001)


def test_iso_matches_sqlite_default(store: Store) -> None:
    [row] = store.query("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now")
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(pattern, row["now"]) and re.fullmatch(pattern, utcnow_iso())


def test_request_ids_are_uuid7_and_time_ordered() -> None:
    def at(ms: int) -> Callable[[], int]:
        return lambda: ms * 1_000_000

    ids = [new_request_id(at(ms)) for ms in (1, 2, 3_000, 1_795_737_317_123)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert ids == sorted(ids)
    assert len({new_request_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_request_id_text_is_the_rfc_9562_layout_of_its_bits(seed: int) -> None:
    """The text is ``uuid.UUID``'s of the 128-bit value RFC 9562 lays out (48 bits of
    milliseconds, version 7, 12 bits, variant 0b10, 62 bits), whatever the formatter does."""
    from random import Random

    from helicone_lite.store._ids import _format

    rng = Random(seed)
    cases = [(0, 0), ((1 << 48) - 1, (1 << 74) - 1), (1 << 47, 1 << 73), (1, 1 << 62)]
    cases += [(rng.getrandbits(48), rng.getrandbits(74)) for _ in range(2000)]
    for millis, rand in cases:
        value = (millis << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62)
        expected = uuid.UUID(int=value | (rand & ((1 << 62) - 1)))
        text = _format(millis, rand)
        assert text == str(expected)
        assert expected.version == 7 and int(text[:8] + text[9:13], 16) == millis
