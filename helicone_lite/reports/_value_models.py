"""The models report of one property value (the dashboard overview's top models with a
property filter) from ``rollup_property_models`` instead of the value's facts.

Without it the report grouped the value's raw facts by model and provider, then read every
group's first and last request in a second pass over them (1.25 million facts for one
department over 90 days on 10,000,000 requests: 1.6 s of PostgreSQL CPU). Here: the whole
hours of the range from the rollup, keyed ``(name, model, provider, nulls, value, hour)``,
grouped by model and provider with each group's first and last hour; the partial hours at
either end from the raw rows (``_rollup.grouped``); then each group's first and last request
in its first and last hour, one hour of the value's facts each (``_rollup_edges.exact_times``).
Same results as the raw rows: sums (floats up to rounding) and exact times.
"""

from __future__ import annotations

from typing import Any

from ._filters import Filters
from ._rollup import grouped, plan
from ._rollup_edges import exact_times
from ._sql import Reader

__all__ = ["value_model_rows"]

_GROUP = ("model", "provider")


def value_model_rows(reader: Reader, filters: Filters, now: float) -> list[dict[str, Any]] | None:
    """Per (model, provider) of the one property value ``filters`` name: the report's sums
    and exact ``first_at``/``last_at`` (``key``: the model), or None when the filters are not
    that (another property or filter, no rollups, a store before ``rollup_property_models``)."""
    prop = filters.first_property()
    if prop is None or len(filters.properties) != 1 or prop[1] is None:
        return None
    if not reader.rollups() or not reader.has_table("rollup_property_models"):
        return None
    roll = plan(reader, filters, now, "property_models", prop=prop[0])
    if roll is None:
        return None
    rows = [{**r, "key": r["model"]} for r in grouped(reader, roll, now, _GROUP, hours=True)]
    exact_times(reader, rows, _GROUP, prop)
    return rows
