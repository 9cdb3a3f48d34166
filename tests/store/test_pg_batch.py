"""PostgreSQL's writer: a batch's closing statements planned once per session
(``_pg_plans.py``), those without input skipped and the insert triggers not called when the
batch counts everything itself (``_pg_batch.py``, schema "quiet writer")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helicone_lite.store import Store
from helicone_lite.store._pg_plans import REPLAN_ROWS, BatchPlans
from helicone_lite.store._rollup_names import ROLLUP_LOCK_KEY

RowFactory = Callable[..., dict[str, Any]]
_PROPERTIES = frozenset({"properties"})


def test_plans_are_made_once_then_again_at_each_doubling_of_the_rows() -> None:
    plans = BatchPlans([("SELECT 1", frozenset()), ("SELECT 2", _PROPERTIES)])
    session = object()
    first, script = plans.script(session, 10)
    assert first == [
        "PREPARE helicone_lite_batch_1_0 AS SELECT 1",
        "PREPARE helicone_lite_batch_1_1 AS SELECT 2",
    ]
    assert script == "EXECUTE helicone_lite_batch_1_0;\nEXECUTE helicone_lite_batch_1_1"
    made = []
    for _ in range(3 * REPLAN_ROWS // 10):
        first, script = plans.script(session, 10, frozenset())  # no properties: one of two
        assert script.startswith("EXECUTE helicone_lite_batch_") and ";" not in script
        made += [first] if first else []
    # at REPLAN_ROWS rows, then when the rows since reach the rows before (2x)
    assert made == [
        [
            "DEALLOCATE helicone_lite_batch_1_0",
            "DEALLOCATE helicone_lite_batch_1_1",
            "PREPARE helicone_lite_batch_2_0 AS SELECT 1",
            "PREPARE helicone_lite_batch_2_1 AS SELECT 2",
        ],
        [
            "DEALLOCATE helicone_lite_batch_2_0",
            "DEALLOCATE helicone_lite_batch_2_1",
            "PREPARE helicone_lite_batch_3_0 AS SELECT 1",
            "PREPARE helicone_lite_batch_3_1 AS SELECT 2",
        ],
    ]
    first, _ = plans.script(object(), 1)  # another session (reconnected): prepared there
    assert first == [
        "PREPARE helicone_lite_batch_4_0 AS SELECT 1",
        "PREPARE helicone_lite_batch_4_1 AS SELECT 2",
    ]


def test_plans_lost_are_made_again_then_sent_as_text() -> None:
    plans = BatchPlans([("SELECT 1", frozenset()), ("SELECT 2", _PROPERTIES)])
    session = object()
    plans.script(session, 1)
    plans.forget()  # a failed transaction: a new generation, the old one not deallocated
    assert plans.script(session, 1)[0][0] == "PREPARE helicone_lite_batch_2_0 AS SELECT 1"
    plans.lost()
    assert plans.script(session, 1)[0][0] == "PREPARE helicone_lite_batch_3_0 AS SELECT 1"
    plans.lost()
    assert plans.script(session, 1) == ([], "SELECT 1;\nSELECT 2")
    assert plans.script(session, 1, frozenset()) == ([], "SELECT 1")


def _closing(seen: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    return [(raw, s) for raw, s in seen if s.startswith("SET LOCAL enable_hashjoin")]


def test_closing_statements_are_prepared_once_per_session(
    postgres_url: str, make_row: RowFactory, scripts: list[tuple[Any, str]]
) -> None:
    with Store(postgres_url) as store:
        for i in range(3):
            store.write("requests", make_row(id=f"r{i}", properties={"dept": "d"}))
            assert store.flush()
        closing = _closing(scripts)
        writer = closing[-1][0]
        names = writer.execute("SELECT name FROM pg_prepared_statements").fetchall()
        counted = store.query("SELECT value, requests FROM rollup_properties")
    prepares = [s for _, s in scripts if s.startswith("PREPARE helicone_lite_batch_")]
    assert len(closing) == 3
    assert len(prepares) >= 10 and all(
        s.startswith("PREPARE helicone_lite_batch_1_") for s in prepares
    )
    assert prepares[0].startswith("PREPARE helicone_lite_batch_1_0 AS INSERT INTO property_facts")
    assert all("EXECUTE helicone_lite_batch_1_" in s for _, s in closing)
    assert sorted(n for (n,) in names) == sorted(s.split()[1] for s in prepares)
    assert counted == [{"value": "d", "requests": 3}]


def test_prepared_statements_lost_are_made_again_then_sent_as_text(
    postgres_url: str, make_row: RowFactory, scripts: list[tuple[Any, str]]
) -> None:
    """A ``DISCARD ALL`` (or a transaction-pooling proxy) drops the session's prepared
    statements: the batch is written again with new ones; the second time, as text."""
    with Store(postgres_url) as store:
        for i in range(4):
            store.write("requests", make_row(id=f"r{i}", properties={"dept": "d"}))
            assert store.flush()
            if i in (0, 1):
                _closing(scripts)[-1][0].execute("DEALLOCATE ALL")
        closing = [s for _, s in _closing(scripts)]
        prepares = [s.split()[1] for _, s in scripts if s.startswith("PREPARE helicone_lite")]
        counted = store.query("SELECT value, requests FROM rollup_properties")
        assert store.stats()["dropped"] == 0
    assert counted == [{"value": "d", "requests": 4}]
    generations = sorted({name.split("_")[3] for name in prepares})
    assert generations == ["1", "2"]  # the second batch found none: written again, prepared
    assert all("EXECUTE" not in s for s in closing[-2:])  # lost twice: text


def _executed(raw: Any, script: str) -> list[str]:
    """The statements ``script`` ran (the prepared ones' first words, from the session)."""
    texts = dict(raw.execute("SELECT name, statement FROM pg_prepared_statements").fetchall())
    names = [part.split()[1] for part in script.split(";\n") if part.startswith("EXECUTE ")]
    return [" ".join(texts[name].split(" AS ", 1)[1].split()[:3]) for name in names]


def test_statements_without_input_are_skipped(
    postgres_url: str, make_row: RowFactory, scripts: list[tuple[Any, str]]
) -> None:
    """No properties and no scores in the batch: no fact statement, no property rollup; a
    score given before its request was logged: the score's facts are written."""
    with Store(postgres_url) as store:
        store.write("requests", make_row(id="bare"))
        assert store.flush()
        raw, bare = _closing(scripts)[-1]
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO scores (request_id, name, value, value_type) VALUES (?, ?, ?, ?)",
                ("scored", "helpful", 1.0, "number"),
            )
        store.write("requests", make_row(id="scored"))
        assert store.flush()
        scored = _closing(scripts)[-1][1]
        ran, ran_scored = _executed(raw, bare), _executed(raw, scored)
        facts = store.query("SELECT id, name FROM score_facts")
    assert ran == [
        f"SELECT pg_advisory_xact_lock({ROLLUP_LOCK_KEY})",
        "INSERT INTO rollup_models",
        "INSERT INTO rollup_users",
        "INSERT INTO rollup_status",
        "INSERT INTO rollup_sessions",
    ]
    assert ran_scored == ["INSERT INTO score_facts", *ran]
    assert facts == [{"id": "scored", "name": "helpful"}]


def test_insert_triggers_are_not_called_for_a_batch_that_counts_its_rows(
    postgres_url: str, make_row: RowFactory
) -> None:
    """Every insert trigger of ``requests`` and ``request_properties`` and every update
    trigger of ``request_properties`` has a ``WHEN`` the writer's batch makes false; it is
    called for a hand-written insert and for a batch carrying a property of an earlier call
    (the triggers count that one)."""
    with Store(postgres_url) as store:
        store.query("SELECT 1")  # migrated
        with store.transaction() as tx:
            tx.execute("CREATE TABLE called (name TEXT)")
            functions = tx.execute(
                "SELECT DISTINCT p.proname FROM pg_trigger g JOIN pg_class c "
                "ON c.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid WHERE NOT g.tgisinternal "
                "AND c.relname IN ('requests', 'request_properties') AND g.tgqual IS NOT NULL"
            ).fetchall()
            for (name,) in functions:  # each one now notes that it was called
                tx.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN INSERT INTO called VALUES ('{name}'); RETURN NULL; END $$"
                )
        store.write("requests", make_row(id="a", properties={"dept": "d"}))
        store.write("requests", make_row(id="b", properties={"dept": "e", "team": "t"}))
        assert store.flush()
        by_writer = store.query("SELECT count(*) AS n FROM called")[0]["n"]
        store.write("requests", make_row(id="c"))
        store.write("request_properties", {"request_id": "a", "name": "dept", "value": "f"})
        assert store.flush()
        with_earlier = store.query("SELECT count(*) AS n FROM called")[0]["n"]
    assert len(functions) == 14  # 6 insert triggers on requests, 4 + 4 on request_properties
    assert by_writer == 0
    assert with_earlier > 0


def test_temporary_tables_follow_the_batches_pace() -> None:
    """A session of small batches empties its tables itself (``DELETE``, ``TRUNCATE`` every
    ``TRUNCATE_ROWS``), one of big batches leaves it to ``ON COMMIT DELETE ROWS``; a change
    of pace asks for a new session."""
    from helicone_lite.store._pg_temp import SWITCH_BATCHES, TRUNCATE_ROWS, TempTables

    create = "CREATE TEMP TABLE IF NOT EXISTS t ON COMMIT DELETE ROWS AS SELECT 1"
    temp, small = TempTables(), object()
    temp.begin(small, 1, ["pg_temp.a"])
    temp.touch("pg_temp.b")
    assert temp.create(create) == "CREATE TEMP TABLE IF NOT EXISTS t AS SELECT 1"
    assert temp.closing() == "DELETE FROM pg_temp.a;\nDELETE FROM pg_temp.b"
    temp.committed()
    closings = []
    for _ in range(TRUNCATE_ROWS - 1):
        temp.begin(small, 1, ["pg_temp.a"])
        closings.append(temp.closing())
        temp.committed()
    assert closings[-1] == "TRUNCATE pg_temp.a" and not temp.renew  # (b: 1 row since)
    assert closings[-2] == "DELETE FROM pg_temp.a"
    temp.begin(small, TRUNCATE_ROWS - 1, ["pg_temp.a", "pg_temp.b"])
    assert temp.closing() == "TRUNCATE pg_temp.b;\nDELETE FROM pg_temp.a"
    temp.committed()
    assert temp.renew  # that batch was big: a new session after it
    big = object()
    temp.begin(big, 500, ["pg_temp.a"])
    assert temp.create(create) == create and temp.closing() == ""
    temp.committed()
    renewed = []
    for _ in range(SWITCH_BATCHES):
        temp.begin(big, 1, ["pg_temp.a"])
        assert temp.closing() == ""
        temp.committed()
        renewed.append(temp.renew)
    assert renewed == [False] * (SWITCH_BATCHES - 1) + [True]


def test_small_batches_empty_their_tables_and_big_ones_switch_sessions(
    postgres_url: str, make_row: RowFactory, scripts: list[tuple[Any, str]]
) -> None:
    with Store(postgres_url) as store:
        for i in range(3):
            store.write("requests", make_row(id=f"s{i}", properties={"dept": "d"}))
            assert store.flush()
        sessions = {raw for raw, s in scripts if s.startswith("SET LOCAL jit")}
        for i in range(300):  # (however the writer cuts them: a batch of 64 rows or more)
            store.write("requests", make_row(id=f"b{i}", properties={"dept": "d"}))
        assert store.flush()
        store.write("requests", make_row(id="after", properties={"dept": "d"}))
        assert store.flush()
        later = {raw for raw, s in scripts if s.startswith("SET LOCAL jit")} - sessions
        creates = [s for _, s in scripts if "CREATE TEMP TABLE" in s]
        counted = store.query("SELECT value, requests FROM rollup_properties")
        facts = store.query("SELECT count(*) AS n FROM property_facts")
    assert len(sessions) == 1 and len(later) == 1  # the big batch's session, then a new one
    assert "ON COMMIT" not in creates[0]
    assert counted == [{"value": "d", "requests": 304}] and facts == [{"n": 304}]
