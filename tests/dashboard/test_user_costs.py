"""The user page's cost chart read from ``rollup_users`` (whole hours, plus the raw rows of
the partial hours at the ends) equals the chart read from the user's raw rows, per hour and
per day, on both engines."""

from __future__ import annotations

import dataclasses
import math

import pytest

from helicone_lite.dashboard._usage import _user_costs
from helicone_lite.reports import Filters
from helicone_lite.reports._rollup import plan
from helicone_lite.reports._sql import Reader
from helicone_lite.store import iso_from_epoch
from tests.reports.conftest import T0, generate

RANGES = [
    Filters(),
    Filters(since="3d"),  # not on an hour: the first partial hour from the raw rows
    Filters(since=iso_from_epoch(T0 - 6 * 86400 + 777.5), until=iso_from_epoch(T0 - 86400 - 5)),
    Filters(model="gpt-4o"),  # not a key of rollup_users: the raw rows
]


@pytest.mark.parametrize("every", ["day", "hour"])
def test_user_cost_chart_from_the_rollup_equals_the_raw_rows(database: str, every: str) -> None:
    data = generate(database, n=400, seed=9)
    try:
        rolled, raw = Reader(data.store), Reader(data.store, rollups=False)
        for base in RANGES:
            f = dataclasses.replace(base, user="patient-7829")
            uses = plan(rolled, f, T0, "users")
            assert (uses is None) == (f.model is not None), f
            a, b = _user_costs(rolled, f, T0, every), _user_costs(raw, f, T0, every)
            assert a["x"] == b["x"] and len(a["x"]) > 1, f
            for x, y in zip(a["series"][0]["values"], b["series"][0]["values"], strict=True):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (f, x, y)
            assert sum(b["series"][0]["values"]) > 0, f
    finally:
        data.store.close()
