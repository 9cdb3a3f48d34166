"""A prune's whole hours leave the hourly rollups by key, not by subtraction (SQLite's
batched deletion, ``_deletion_batch.py``).

A prune deletes every request older than a cutoff, oldest first. When a batch's transaction
deletes every request whose hour (``_rollup_sql.hour_of``) is below a bound, each rollup row
of such an hour loses all of its requests: it is removed as a whole (one keyed ``DELETE``),
with none of the grouped upsert that subtracts a request's figures and the clean-up that
follows it. Only the batch's requests of the bound's hour and later (the boundary hour, when
the cutoff or the batch ends inside an hour) are subtracted as before.

Which rows are removed: those keyed by the hours of the batch's *whole* requests (the
``whole`` column of the batch's temporary table), in ``rollup_models`` and ``rollup_status``
(keyed by the hour first), ``rollup_users`` (user, nulls, hour), ``rollup_properties`` and
its splits (property name and value, ..., hour: through the batch's properties). The score
rollups are kept by row triggers on their fact tables (``_rollup_scores.py``), as before.

Why it is exact (``_deletion_batch.hour_bound``): the batch is the oldest ``batch``
requests before the cutoff, in ``created_at`` order, so after it no request older than
``end`` (the batch's last time, or the cutoff when the batch is the last) remains; the bound
is ``end``'s hour. A request whose hour is below the bound was created before ``end``
(``substr(created_at, 1, 13)`` compares below ``end``'s first 13 characters, or is a prefix
of them), so it is deleted by now; every request of a removed row's hour is gone. A
``created_at`` stored as a BLOB (never written by the library: the column has TEXT affinity)
would be outside this.

SQL text only. Leaf module but for the property splits it is given.
"""

from __future__ import annotations

from ._rollup_property_split import PropertySplit
from ._rollup_sql import hour_of

__all__ = ["whole_hours"]


def whole_hours(rows: str, *, status: bool, splits: tuple[PropertySplit, ...]) -> list[str]:
    """Remove the rollup rows of the hours of the requests ``rows`` (every request of those
    hours is deleted in the same transaction; still with their properties). ``status``: the
    store has ``rollup_status``; ``splits``: the property splits it keeps."""
    hour = hour_of("r")
    hours = f"(SELECT {hour} FROM {rows} r)"
    users = (
        "(SELECT coalesce(r.user_id, ''), (CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END), "
        f"{hour} FROM {rows} r)"
    )
    props = (
        f"(SELECT p.name, p.value, {hour} FROM {rows} r "
        "JOIN request_properties p ON p.request_id = r.id)"
    )
    return [
        f"DELETE FROM rollup_models WHERE hour IN {hours}",
        *([f"DELETE FROM rollup_status WHERE hour IN {hours}"] if status else []),
        f"DELETE FROM rollup_users WHERE (user_id, nulls, hour) IN {users}",
        f"DELETE FROM rollup_properties WHERE (name, value, hour) IN {props}",
        *(split.gone(rows) for split in splits),
    ]
