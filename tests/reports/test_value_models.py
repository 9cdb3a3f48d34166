"""The models (and providers) report of one property value, the dashboard overview's top
models with a property filter, read from ``rollup_property_models`` (``_value_models``)
equals a brute-force count over the generated rows and the same report from the raw rows,
for every figure and the exact first/last times, with partial hours at either end of a time
range, a model or provider filter, each sort and a limit (both engines). Filters the rollup
does not key (another property, a user) still read the raw rows."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._value_models import value_model_rows

from .brute import grouped
from .conftest import T0, Generated
from .test_property_users import CASES as USER_CASES
from .test_property_users import value_rows
from .test_rollups import dicts, same

#: the users report's cases of one value (test_property_users.py) without its user filter,
#: and a model and a provider filter, which this report's rollup also answers
CASES: dict[str, tuple[Filters, int | None, str]] = {
    **{label: case for label, case in USER_CASES.items() if case[0].user is None},
    "value, one model, since": (
        Filters(properties={"department": "cardiology"}, model="gpt-4o", since="3d"),
        None,
        "cost",
    ),
    "value, one provider": (
        Filters(properties={"department": "cardiology"}, provider="anthropic"),
        None,
        "cost",
    ),
}


def _brute(data: Generated, f: Filters) -> dict[Any, dict[str, Any]]:
    return grouped(value_rows(data, f), lambda r: (r["model"], r["provider"]))


@pytest.mark.parametrize("label", list(CASES))
def test_models_of_a_value_from_the_rollup_equal_brute_force(
    generated: Generated, label: str
) -> None:
    f, limit, sort = CASES[label]
    reports = Reports(generated.store, clock=lambda: T0)
    assert value_model_rows(reports._reader, f, T0) is not None, "read from the rollup"
    expected = _brute(generated, f)
    every = reports.models(f, sort=sort, with_scores=False)
    assert {(r.key, r.provider) for r in every} == set(expected)
    if label != "no such value":
        assert every, "the generated store has this value's requests"
    shown = reports.models(f, limit=limit, sort=sort, with_scores=False)
    assert [(r.key, r.provider) for r in shown] == [(r.key, r.provider) for r in every][:limit]
    for row in every:
        want = expected[(row.key, row.provider)]
        assert row.requests == want["requests"]
        assert row.tokens == want["tokens"]
        assert row.errors == want["errors"]
        assert row.cache_hits == want["cache_hits"]
        assert row.cost_usd == pytest.approx(want["cost_usd"], rel=1e-9, abs=1e-12)
        assert row.avg_latency_ms == pytest.approx(want["avg_latency_ms"], rel=1e-9)
        assert (row.first_at, row.last_at) == (want["first_at"], want["last_at"])


def _models(reports: Reports) -> dict[str, Any]:
    out = {}
    for name, (f, limit, sort) in CASES.items():
        out[f"models {name}"] = dicts(reports.models(f, limit=limit, sort=sort))
        out[f"providers {name}"] = dicts(reports.providers(f, sort=sort))
    return out


def test_models_and_providers_of_a_value_equal_the_raw_rows(generated: Generated) -> None:
    rolled = _models(Reports(generated.store, clock=lambda: T0))
    raw = _models(Reports(generated.store, clock=lambda: T0, rollups=False))
    same(rolled, raw, "rolled vs raw")
    assert rolled["models value, by cost"], "rows are compared"
    assert any(r["scores"] for r in rolled["models value, by cost"]), "scores are shown"


@pytest.mark.parametrize(
    "f",
    [
        Filters(properties={"department": "cardiology", "agent": "triage"}),
        Filters(properties={"department": "cardiology"}, user="patient-4521"),
        Filters(properties={"department": "cardiology"}, status="error"),
        Filters(model="gpt-4o"),
    ],
    ids=["two properties", "a user", "a status", "no property"],
)
def test_other_filters_do_not_read_the_value_rollup(generated: Generated, f: Filters) -> None:
    reports = Reports(generated.store, clock=lambda: T0)
    assert value_model_rows(reports._reader, f, T0) is None
    raw = Reports(generated.store, clock=lambda: T0, rollups=False)
    same(dicts(reports.models(f)), dicts(raw.models(f)), f.describe())
