"""Batches whose rows meet rows written before them: a property or a score that came before
its request, a property for an earlier request in a batch of new ones, a batch that inserts
no request. On both engines the rollups and fact tables equal a recount afterwards
(PostgreSQL's writer skips the statements without input and spares its triggers the call
when the batch allows it: ``store/_pg_batch.py``)."""

from __future__ import annotations

from helicone_lite.store import Store, iso_from_epoch

from .conftest import T0
from .test_rollups import assert_consistent


def _request(request_id: str, **properties: str) -> dict[str, object]:
    return {
        "id": request_id,
        "created_at": iso_from_epoch(T0),
        "model": "m",
        "status": 200,
        "cost_usd": 1.0,
        "user_id": "u1",
        "properties": properties,
    }


def _properties(store: Store) -> list[tuple[str, str, int]]:
    rows = store.query("SELECT name, value, requests FROM rollup_properties ORDER BY 1, 2")
    return [(r["name"], r["value"], r["requests"]) for r in rows]


def test_a_property_written_before_its_request_is_counted_with_the_request(
    database: str,
) -> None:
    """A property written on its own for a call not logged yet, then the call with its own
    value of that property: the call's value stands, counted once, nothing left of the
    earlier one (PostgreSQL: the update of the earlier row calls no trigger)."""
    with Store(database) as store:
        store.write("request_properties", {"request_id": "x", "name": "dept", "value": "early"})
        assert store.flush()
        store.write("requests", _request("x", dept="own", team="t"))
        assert store.flush()
        assert_consistent(store)
        assert [r for r in _properties(store) if r[2]] == [("dept", "own", 1), ("team", "t", 1)]
        facts = store.query("SELECT name, value FROM property_facts ORDER BY 1")
    assert facts == [{"name": "dept", "value": "own"}, {"name": "team", "value": "t"}]


def test_a_batch_of_new_requests_with_a_property_for_an_earlier_one(database: str) -> None:
    """One batch: a new request with properties, and properties written on their own for a
    call logged in an earlier batch (a new value, and a new name)."""
    with Store(database) as store:
        store.write("requests", _request("a", dept="first"))
        assert store.flush()
        store.write("requests", _request("b", dept="second"))
        store.write("request_properties", {"request_id": "a", "name": "dept", "value": "third"})
        store.write("request_properties", {"request_id": "a", "name": "team", "value": "t"})
        assert store.flush()
        assert_consistent(store)
        counted = [r for r in _properties(store) if r[2]]
    assert counted == [("dept", "second", 1), ("dept", "third", 1), ("team", "t", 1)]


def test_a_batch_that_inserts_no_request(database: str) -> None:
    """The same calls logged again (a replayed batch): nothing is counted twice."""
    with Store(database) as store:
        for _ in range(2):
            store.write("requests", _request("a", dept="d"))
            store.write("requests", _request("b"))
            assert store.flush()
        assert_consistent(store)
        models = store.query("SELECT requests FROM rollup_models")
        assert [r for r in _properties(store) if r[2]] == [("dept", "d", 1)]
    assert models == [{"requests": 2}]
