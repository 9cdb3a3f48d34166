"""``query`` has a time limit and no dangerous functions (finding 11).

A recursive CTE ran 30 s+ and ``fts3_tokenizer()`` was callable.
"""

from __future__ import annotations

import pytest

import helicone_lite
from helicone_lite.store import StoreError

from .conftest import MESSAGES

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"


@pytest.fixture
def store(client: helicone_lite.Client) -> helicone_lite.Store:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.flush()
    return client.store


def test_a_runaway_query_is_interrupted_at_its_deadline(store: helicone_lite.Store) -> None:
    with pytest.raises(StoreError, match="time limit"):
        store.query(RUNAWAY, timeout=0.0)  # a deadline already passed: the first check stops it
    assert store.query("SELECT count(*) AS n FROM requests", timeout=0.0) == [{"n": 1}]


def test_the_deadline_follows_the_connection_clock(store: helicone_lite.Store) -> None:
    """The progress handler reads the connection's clock: a clock that jumps ends the query."""
    conn = store._readers.get()
    ticks = iter(range(0, 10**9, 100))
    conn.clock = lambda: float(next(ticks))
    try:
        with pytest.raises(StoreError, match="time limit"):
            store.query(RUNAWAY, timeout=30.0)
    finally:
        import time

        conn.clock = time.monotonic


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT fts3_tokenizer('simple')",
        "SELECT load_extension('/tmp/x.so')",
        "SELECT length(randomblob(1000000000))",
        "SELECT length(zeroblob(1000000000))",
    ],
)
def test_dangerous_functions_and_huge_values_are_refused(
    store: helicone_lite.Store, sql: str
) -> None:
    with pytest.raises(StoreError):
        store.query(sql)
