"""A prune's whole hours leave the hourly rollups as ranges, not by subtraction (SQLite's
batched deletion, ``_deletion_batch.py``).

A prune deletes every request older than a cutoff, oldest first. When a batch's transaction
deletes every request whose hour (``_rollup_sql.hour_of``) is below a bound, each rollup row
of such an hour loses all of its requests: it is removed as a whole (a range ``DELETE`` of
the hours below the bound), with none of the grouped upsert that subtracts a request's
figures and the clean-up that follows it. Only the batch's requests of the bound's hour and
later (the boundary hour, when the cutoff or the batch ends inside an hour) are subtracted
as before.

Which rows are removed: every hour below the bound (but ``''``, untimed requests, never
pruned) in ``rollup_models`` and ``rollup_status`` (keyed by the hour first: one range);
in ``rollup_users`` (user, nulls, hour) and ``rollup_properties`` and its splits (property
name and value, ..., hour) one such range for each group of the batch's *whole* requests
(the ``whole`` column of the batch's temporary table; their properties). A group without a
whole request in the batch has no row below the bound left: its older hours went with
earlier batches. The score rollups are kept by row triggers on their fact tables
(``_rollup_scores.py``), as before.

Why it is exact (``_deletion_batch.hour_bound``): the batch is the oldest ``batch``
requests before the cutoff, in ``created_at`` order, so after it no request older than
``end`` (the batch's last time, or the cutoff when the batch is the last) remains; the bound
is ``end``'s hour. A request whose hour is below the bound was created before ``end``
(``substr(created_at, 1, 13)`` compares below ``end``'s first 13 characters, or is a prefix
of them), so it is deleted by now; every request of a removed row's hour is gone. A
``created_at`` stored as a BLOB (never written by the library: the column has TEXT affinity)
would be outside this.

SQL text only (the property splits' statements: ``PropertySplit.gone``).
"""

from __future__ import annotations

from ._rollup_property_split import PropertySplit

__all__ = ["whole_hours"]


def whole_hours(rows: str, *, status: bool, splits: tuple[PropertySplit, ...]) -> list[str]:
    """Remove the rollup rows of every hour below the bound (each statement binds it once)
    for the groups of the requests ``rows`` (still with their properties): every request of
    those hours is deleted in the same transaction or was before. ``status``: the store has
    ``rollup_status``; ``splits``: the property splits it keeps. Each is one range of the
    key per group (``''``, the hour of untimed requests, is never pruned: kept)."""
    hours = "hour > '' AND hour < ?"
    # the NULL user ('', nulls 1) apart: for a (user_id, nulls) IN (...) pair SQLite's plan
    # sought the user alone and read every one of its hours
    users = f"SELECT r.user_id FROM {rows} r WHERE r.user_id IS NOT NULL"
    props = (
        f"SELECT DISTINCT p.name, p.value FROM {rows} r "
        "JOIN request_properties p ON p.request_id = r.id"
    )
    return [
        f"DELETE FROM rollup_models WHERE {hours}",
        *([f"DELETE FROM rollup_status WHERE {hours}"] if status else []),
        f"DELETE FROM rollup_users WHERE user_id IN ({users}) AND nulls = 0 AND {hours}",
        f"DELETE FROM rollup_users WHERE user_id = '' AND nulls = 1 AND {hours}",
        f"DELETE FROM rollup_properties WHERE (name, value) IN ({props}) AND {hours}",
        *(split.gone(rows) for split in splits),
    ]
