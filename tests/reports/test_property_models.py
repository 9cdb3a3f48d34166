"""``rollup_property_models`` (schema v18): the properties report filtered by model or
provider read from hourly sums equals the same report from the raw rows, with and without
scores, and the migration's backfill counts a store logged before it exactly (both
engines). Its upkeep by the writer, deletions, updates, rebuilds and ``migrate --to`` is
checked by the recount in test_rollups.py (``assert_consistent``) and test_migrate.py."""

from __future__ import annotations

from typing import Any

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._rollup import plan
from helicone_lite.store import Store, iso_from_epoch
from helicone_lite.store._schema import PROPERTY_MODELS_VERSION, SCHEMA_VERSION

from .conftest import T0, generate
from .test_property_users import back_before_property_users
from .test_rollups import assert_consistent, dicts, same

BY_MODEL = [
    Filters(model="gpt-4o"),
    Filters(provider="openai"),
    Filters(model="gpt-4o", provider="openai", since="3d"),
    Filters(model="gpt-4o", since=iso_from_epoch(T0 - 5 * 86400 + 1234.5), until="1d"),
    Filters(provider="anthropic", properties={"department": "cardiology"}),
    Filters(model="no-such-model"),
]


def _reports(store: Store) -> dict[str, Any]:
    rolled = Reports(store, clock=lambda: T0)
    raw = Reports(store, clock=lambda: T0, rollups=False)
    out = {}
    for f in BY_MODEL:
        for label, reports in (("rolled", rolled), ("raw", raw)):
            out[f"{label} {f.describe()}"] = {
                "department": dicts(reports.properties("department", f)),
                "agent": dicts(reports.properties("agent", f, sort="recent")),
                "names": dicts(reports.property_names(f)),
                "costs": dicts(reports.costs(f, every="day", by="property:department")),
            }
    return out


def _assert_rolled_equals_raw(store: Store) -> None:
    reader = Reports(store, clock=lambda: T0)._reader
    roll = plan(reader, BY_MODEL[0], T0, "properties", prop="department")
    assert roll is not None and roll.table.name == "rollup_property_models"
    found = _reports(store)
    for f in BY_MODEL:
        key = f.describe()
        same(found[f"rolled {key}"], found[f"raw {key}"], key)
    assert found["raw model=gpt-4o"]["department"], "the generated store has gpt-4o requests"


def _back_to_v17(store: Store) -> None:
    """The store as schema v17 left it: no rollup_property_models, no triggers for it."""
    before = PROPERTY_MODELS_VERSION - 1
    back_before_property_users(store)  # (the next version's, undone first)
    with store.transaction() as conn:
        if store.engine == "sqlite":
            for name in ("request_delete", "request_update", "property_delete"):
                conn.execute(f"DROP TRIGGER rollup_property_models_{name}")
            conn.execute("DROP TABLE rollup_property_models")
        else:
            for table in ("requests", "request_properties"):
                for event in ("insert", "update", "delete"):
                    conn.execute(
                        f"DROP FUNCTION helicone_lite_rollup_property_models_{table}_{event}() "
                        "CASCADE"
                    )
            conn.execute("DROP TABLE rollup_property_models")
            conn.execute(f"UPDATE helicone_lite_schema SET version = {before}")
    if store.engine == "sqlite":
        store.connect().execute(f"PRAGMA user_version = {before}")


def test_properties_by_model_from_the_rollup_equal_the_raw_rows(database: str) -> None:
    data = generate(database, n=400, seed=5)
    try:
        _assert_rolled_equals_raw(data.store)
        with data.store.transaction() as conn:  # no scores at all: the means are empty
            conn.execute("DELETE FROM scores")
        _assert_rolled_equals_raw(data.store)
        assert_consistent(data.store)
    finally:
        data.store.close()


def test_upgrading_a_logged_store_backfills_the_rollup(database: str) -> None:
    data = generate(database, n=300, seed=3)
    expected = _reports(data.store)
    _back_to_v17(data.store)
    data.store.close()
    store = Store(database)  # opening migrates it: the backfill counts what was logged
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert store.query("SELECT count(*) AS n FROM rollup_property_models")[0]["n"] > 0
        assert_consistent(store)
        same(_reports(store), expected, "after the upgrade")
        store.write(  # and the writer keeps it from then on
            "requests",
            {"id": "late", "created_at": iso_from_epoch(T0 - 100), "model": "gpt-4o",
             "provider": "openai", "status": 200, "cost_usd": 0.25,
             "properties": {"department": "cardiology"}},
        )  # fmt: skip
        store.flush()
        assert_consistent(store)
        _assert_rolled_equals_raw(store)
    finally:
        store.close()
