"""PostgreSQL-only behaviour: configuration, construction errors, outages, refused rows."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest

import helicone_lite
from helicone_lite.cli import main
from helicone_lite.store import Store, StoreError
from helicone_lite.testing import FakeProvider

RowFactory = Callable[..., dict[str, Any]]
KEY = "sk-test-postgres-0123456789"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_client_logs_to_the_database_url(postgres_url: str) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.Client(
            api_key=KEY, base_url=fake.openai_base_url, database_url=postgres_url
        )
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"Helicone-User-Id": "u1", "Helicone-Property-Dept": "cardio"},
        )
        client.close()
    assert client.store.engine == "postgresql"
    with Store(postgres_url) as store:
        rows = store.query("SELECT model, user_id, status FROM requests")
        assert rows == [{"model": "gpt-4o-mini", "user_id": "u1", "status": 200}]
        assert store.query("SELECT name, value FROM request_properties") == [
            {"name": "dept", "value": "cardio"}
        ]
        stored = json.dumps(store.query("SELECT * FROM requests"))
    assert KEY not in stored


def test_environment_variable_selects_postgres(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELICONE_LITE_DATABASE_URL", postgres_url)
    client = helicone_lite.Client(api_key=KEY, base_url="http://127.0.0.1:9/v1")
    try:
        assert client.store.engine == "postgresql"
    finally:
        client.close()


def test_unreachable_server_is_one_clear_error_without_password() -> None:
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{_closed_port()}/helicone"
    with pytest.raises(StoreError) as caught:
        helicone_lite.Client(api_key=KEY, base_url="http://127.0.0.1:9/v1", database_url=url)
    message = str(caught.value)
    assert "127.0.0.1" in message and "cannot connect to PostgreSQL" in message
    assert "s3cret-pw" not in message and "s3cret-pw" not in repr(caught.value.__cause__ or "")


def test_malformed_url_and_unknown_scheme() -> None:
    with pytest.raises(StoreError, match="invalid PostgreSQL URL") as caught:
        Store("postgresql://app:s3cret@[bad/x")
    assert "s3cret" not in str(caught.value)
    with pytest.raises(helicone_lite.OptionsError, match="database_url: 'mysql://db/x'"):
        helicone_lite.Client(
            api_key=KEY, base_url="http://127.0.0.1:9/v1", database_url="mysql://db/x"
        )
    with pytest.raises(helicone_lite.OptionsError, match="postgresql:// URL") as caught:
        helicone_lite.Client(
            api_key=KEY, base_url="http://127.0.0.1:9/v1", database_url="mysql://u:s3cret@db/x"
        )
    assert "s3cret" not in str(caught.value)


def test_writer_survives_a_dropped_connection(postgres_url: str, make_row: RowFactory) -> None:
    """The server ends the writer's session: the next batch reconnects, nothing is lost."""
    store = Store(postgres_url, sleep=lambda s: None)
    try:
        store.write("requests", make_row(id="before"))
        assert store.flush()
        with Store(postgres_url) as admin, admin.transaction() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                " AND application_name = ''"
            )
        store.write("requests", make_row(id="after"))
        assert store.flush()
        ids = [r["id"] for r in store.query("SELECT id FROM requests ORDER BY id")]
        assert ids == ["after", "before"]
        assert store.stats()["dropped"] == 0
    finally:
        store.close()


def test_a_refused_row_is_dropped_alone(postgres_url: str, make_row: RowFactory) -> None:
    with Store(postgres_url) as store:
        store.write("requests", make_row(id="good-1"))
        store.write("requests", make_row(id="bad", error="nul \x00 byte"))
        store.write("requests", make_row(id="good-2", prompt_tokens=2**70))
        store.write("requests", make_row(id="good-3"))
        assert store.flush()
        ids = [r["id"] for r in store.query("SELECT id FROM requests ORDER BY id")]
        assert ids == ["good-1", "good-3"]
        assert store.stats()["dropped"] == 2


def test_copy_batch_keeps_every_conflict_rule(postgres_url: str, make_row: RowFactory) -> None:
    """One batch through COPY + INSERT ... SELECT: a request id written twice keeps its first
    row and that row's properties (never overwritten; schema v7, as on SQLite), and a
    spilled batch replayed (the same rows again) adds nothing."""
    rows = [
        ("requests", make_row(id="r1", model="first", properties={"dept": "cardio"})),
        ("requests", make_row(id="r1", model="second", properties={"dept": "neuro"})),
        ("requests", make_row(id="r2", model="m2")),
    ]
    with Store(postgres_url) as store:
        for table, row in rows:
            store.write(table, dict(row))
        assert store.flush()
        for table, row in rows:  # the replay of a batch whose COMMIT was in fact done
            store.write(table, dict(row))
        assert store.flush()
        got = store.query("SELECT id, model FROM requests ORDER BY id")
        props = store.query("SELECT request_id, value FROM request_properties")
        assert store.stats()["dropped"] == 0
    assert got == [{"id": "r1", "model": "first"}, {"id": "r2", "model": "m2"}]
    assert props == [{"request_id": "r1", "value": "cardio"}]


def test_a_value_copy_refuses_still_lands(postgres_url: str, make_row: RowFactory) -> None:
    """COPY parses text with the column's type (a float for BIGINT is refused); that batch is
    written with bound parameters instead, which round it as SQLite's INTEGER affinity does
    not, but keeps the row and its neighbours."""
    with Store(postgres_url) as store:
        store.write("requests", make_row(id="f1", prompt_tokens=12.0, status=True))
        store.write("requests", make_row(id="f2", prompt_tokens=7))
        assert store.flush()
        got = store.query("SELECT id, prompt_tokens FROM requests ORDER BY id")
        status = store.query("SELECT status FROM requests WHERE id = 'f1'")
        assert store.stats()["dropped"] == 0
    assert got == [{"id": "f1", "prompt_tokens": 12}, {"id": "f2", "prompt_tokens": 7}]
    assert status == [{"status": 1}]  # a bool, stored as SQLite stores it


def test_cli_database_url(
    postgres_url: str, make_row: RowFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(postgres_url) as store:
        store.write("requests", make_row(id="r1", model="gpt-4o"))
    assert main(["--database-url", postgres_url, "query", "SELECT id, model FROM requests"]) == 0
    out = capsys.readouterr().out
    assert "r1" in out and "gpt-4o" in out


def test_batch_rollups_join_by_index_for_their_transaction_only(
    postgres_url: str, make_row: RowFactory, scripts: list[tuple[Any, str]]
) -> None:
    """The batch's fact and rollup statements run with hash and merge joins off (the batch's
    temporary table has no statistics: left alone, the planner reads all of
    ``request_properties`` and ``requests`` once per statement and batch); ``SET LOCAL``, so
    the writer's session is back to the server's settings after the commit."""
    with Store(postgres_url) as store:
        store.write("requests", make_row(id="p1", properties={"dept": "cardio"}))
        assert store.flush()
        upserts = [  # (prepared once per session: run by EXECUTE)
            (raw, s)
            for raw, s in scripts
            if "EXECUTE helicone_lite_batch_" in s
            or ("INSERT INTO rollup_properties" in s and "CREATE " not in s and "PREPARE" not in s)
        ]
        assert upserts and all(
            s.startswith("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
            for _, s in upserts
        )
        writer = upserts[-1][0]
        settings = writer.execute("SHOW enable_hashjoin").fetchone()[0]
        settings += writer.execute("SHOW enable_mergejoin").fetchone()[0]
        facts = store.query("SELECT name, value FROM property_facts")
    assert settings == "onon"
    assert facts == [{"name": "dept", "value": "cardio"}]


def test_batch_transaction_runs_without_jit_and_leaves_the_session_as_it_was(
    postgres_url: str, make_row: RowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's batch transaction runs with ``jit`` off, from its first statement (the
    requests insert) to its last (the rollups): its statements join the batch's new requests
    (no statistics) to tables whose statistics may be missing or stale, estimates that were
    above ``jit_above_cost`` and had each statement compiled again every batch. ``SET
    LOCAL``: the session has the server's setting (``jit = on`` here) after the commit."""
    from helicone_lite.store._postgres import PgDatabase

    connections: list[Any] = []
    connect = PgDatabase.raw_connect

    def recording(self: PgDatabase) -> Any:
        connections.append(connect(self))
        return connections[-1]

    monkeypatch.setattr(PgDatabase, "raw_connect", recording)
    url = postgres_url.replace("options=", "options=-cjit%3Don%20", 1)
    with Store(url) as store:
        store.query("SELECT 1")  # migrated
        with store.transaction() as tx:
            tx.execute("CREATE TABLE jit_seen (at TEXT, jit TEXT)")
            tx.execute(
                "CREATE FUNCTION note_jit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "INSERT INTO jit_seen VALUES (TG_TABLE_NAME, current_setting('jit')); "
                "RETURN NULL; END $$"
            )
            for table in ("requests", "rollup_properties"):
                tx.execute(
                    f"CREATE TRIGGER note_jit AFTER INSERT OR UPDATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION note_jit()"
                )
        store.write("requests", make_row(id="j1", properties={"dept": "cardio"}))
        assert store.flush()
        seen = store.query("SELECT at, jit FROM jit_seen ORDER BY at")
        after = {c.execute("SHOW jit").fetchone()[0] for c in connections if not c.closed}
    assert {r["at"] for r in seen} == {"requests", "rollup_properties"}
    assert {r["jit"] for r in seen} == {"off"}
    assert after == {"on"}  # every session, the writer's too, as the server set it
