"""Schema v6: hourly rollups of ``requests``, kept in step by triggers (both engines).

Three tables hold, per UTC hour and group, the sums the reports aggregate: requests, cost,
tokens, errors (status not 2xx), latency sum and count (the mean is their quotient), cache
hits, and for hits the money and tokens their original requests cost (``saved_*``) or, when
the original is unpriced or gone, a count of ``unpriced`` hits:

* ``rollup_models``  keyed ``(hour, model, provider, nulls)``;
* ``rollup_users``   keyed ``(user_id, nulls, hour)`` (a user's hours are one range);
* ``rollup_properties`` keyed ``(name, value, hour)`` (one row per property value and hour;
  properties whose value is NULL are not counted, as in ``property_facts``).

Keys are ``NOT NULL`` (a primary key must be, for the upsert to find its row): a NULL model,
provider or user is stored as ``''`` with a bit set in ``nulls`` (1: model/user, 2: provider).
``hour`` is ``created_at``'s hour as ISO text (``2026-12-05T20:00:00.000Z``), or ``''`` for a
row without a time.

Triggers add a request's figures on insert and subtract them on delete (``DELETE`` of any
kind: prune, ``delete --user``, a hand-written statement) and on update (``reprice``: old out,
new in); a group whose count reaches zero is removed. A hit's saving is the cost of its
original at the time it is read, so inserting, repricing or deleting an *original* moves its
hits between ``saved_*`` and ``unpriced``. Property rollups follow ``request_properties``
(the writer inserts the request first) and a request's delete. The migration backfills all
three from the existing rows. Reports read them only for what they can answer exactly
(reports/_rollup.py); the rest reads the raw rows.

v6 also refreshes SQLite's fact tables when a request is updated (they were left stale by
``reprice``); PostgreSQL's facts are views and need nothing.

``_schema.py`` appends :data:`ROLLUP_MIGRATION`; ``_pg_schema.py`` its twin,
``_rollup_pg_v6.PG_ROLLUP_MIGRATION`` (PostgreSQL's statement triggers).
"""

from __future__ import annotations

from ._reports_schema import FACT_VALUES as _FACT_VALUES
from ._rollup_property_models import SPLIT as PROPERTY_MODELS
from ._rollup_property_users import SPLIT as PROPERTY_USERS
from ._rollup_sql import (
    KEYS,
    NAMES,
    ROLLUP_TABLES,
    SAVED,
    backfill,
    body,
    cleanup,
    empty_groups,
    empty_status_groups,
    figures,
    grouped_models,
    grouped_properties,
    grouped_status,
    grouped_users,
    hour_of,
    moved_hits,
    original,
    upsert,
)
from ._rollup_whole import whole_hours

__all__ = [
    "ROLLUP_MIGRATION",
    "ROLLUP_TABLES",
    "ROW_BY_ROW",
    "WATCHED",
    "batched_delete",
    "property_triggers",
]


def _model_change(r: str, sign: str, hits_part: str | None = "with") -> list[str]:
    """Add (``sign`` ``''``) or take away (``'-'``) request ``r`` in ``rollup_models``, and
    move the hits of ``r`` (as an original) between saved and unpriced (``hits_part``:
    ``"with"``, None to leave that to another trigger, ``"only"`` for that part alone)."""
    hit = f"{r}.cache_status = 'HIT'"
    cost = original(r, "cost_usd")
    saved = (
        f"{sign}(CASE WHEN {hit} THEN coalesce({cost}, 0) ELSE 0 END)",
        f"{sign}(CASE WHEN {hit} AND {cost} IS NOT NULL "
        f"THEN coalesce({original(r, 'total_tokens')}, 0) ELSE 0 END)",
        f"{sign}(CASE WHEN {hit} AND {cost} IS NULL THEN 1 ELSE 0 END)",
    )
    keys = (
        hour_of(r),
        f"coalesce({r}.model, '')",
        f"coalesce({r}.provider, '')",
        f"(CASE WHEN {r}.model IS NULL THEN 1 ELSE 0 END)"
        f" + (CASE WHEN {r}.provider IS NULL THEN 2 ELSE 0 END)",
    )
    values = ", ".join((*keys, *figures(r, sign), *saved))
    own = upsert(
        "rollup_models", (*KEYS["rollup_models"], *NAMES, *SAVED), f"SELECT {values} WHERE 1 = 1"
    )
    # the hits already logged that were served from r: each is worth r's cost
    n = "count(*)"
    moved = (
        f"{sign}(CASE WHEN {r}.cost_usd IS NULL THEN 0 ELSE {n} * {r}.cost_usd END)",
        f"{sign}(CASE WHEN {r}.cost_usd IS NULL THEN 0 ELSE {n} * coalesce({r}.total_tokens, 0) END)",
        f"{'' if sign else '-'}(CASE WHEN {r}.cost_usd IS NULL THEN 0 ELSE {n} END)",
    )
    h_keys = (
        hour_of("h"),
        "coalesce(h.model, '')",
        "coalesce(h.provider, '')",
        "(CASE WHEN h.model IS NULL THEN 1 ELSE 0 END)"
        " + (CASE WHEN h.provider IS NULL THEN 2 ELSE 0 END)",
    )
    hits = upsert(
        "rollup_models",
        (*KEYS["rollup_models"], *SAVED),
        f"SELECT {', '.join((*h_keys, *moved))} FROM requests h "
        f"WHERE h.cache_reference_id = {r}.id AND h.cache_status = 'HIT' AND h.id <> {r}.id "
        f"GROUP BY {', '.join(h_keys)}",
    )
    statements = [own] if hits_part is None else [own, hits]
    if hits_part == "only":
        return [hits]
    if sign:
        statements.append(
            cleanup(
                "rollup_models",
                f"hour = {keys[0]} AND model = {keys[1]} "
                f"AND provider = {keys[2]} AND nulls = {keys[3]}",
            )
        )
    return statements


def _user_change(r: str, sign: str) -> list[str]:
    keys = (
        f"coalesce({r}.user_id, '')",
        f"(CASE WHEN {r}.user_id IS NULL THEN 1 ELSE 0 END)",
        hour_of(r),
    )
    values = ", ".join((*keys, *figures(r, sign)))
    statements = [
        upsert("rollup_users", (*KEYS["rollup_users"], *NAMES), f"SELECT {values} WHERE 1 = 1")
    ]
    if sign:
        statements.append(
            cleanup(
                "rollup_users", f"user_id = {keys[0]} AND nulls = {keys[1]} AND hour = {keys[2]}"
            )
        )
    return statements


def _property_change(r: str, p: str, sign: str, source: str) -> list[str]:
    """``source``: the FROM/WHERE joining request ``r`` and property rows ``p``."""
    values = ", ".join((f"{p}.name", f"{p}.value", hour_of(r), *figures(r, sign)))
    statements = [
        upsert(
            "rollup_properties",
            (*KEYS["rollup_properties"], *NAMES),
            f"SELECT {values} {source} AND {p}.value IS NOT NULL",
        )
    ]
    if sign:
        statements.append(
            cleanup(
                "rollup_properties",
                f"(name, value, hour) IN (SELECT {p}.name, {p}.value, {hour_of(r)} {source})",
            )
        )
    return statements


def _request_change(
    r: str, sign: str, hits_part: str | None = "with", properties: bool = True
) -> list[str]:
    """Everything one request adds (or takes away): models, users, its properties."""
    props = f"FROM request_properties p WHERE p.request_id = {r}.id"
    return [
        *_model_change(r, sign, hits_part),
        *_user_change(r, sign),
        *(_property_change(r, "p", sign, props) if properties else []),
    ]


def _one_property(p: str, sign: str) -> list[str]:
    source = f"FROM requests r WHERE r.id = {p}.request_id"
    return _property_change("r", p, sign, source)


WATCHED = (
    "created_at, model, provider, status, cost_usd, total_tokens, latency_ms, user_id, "
    "cache_status, cache_reference_id"
)

_SERVED_FROM_NEW = (
    "EXISTS (SELECT 1 FROM requests h INDEXED BY idx_requests_cache_hits "
    "WHERE h.cache_reference_id = NEW.id AND h.cache_status = 'HIT')"
)
#: delete triggers run unless a batched deletion (store/_retention.py) does their work for a
#: whole batch in a few grouped statements, within the same transaction
ROW_BY_ROW = "(SELECT batched FROM rollup_control) = 0"
_HAS_PROPERTIES = "EXISTS (SELECT 1 FROM request_properties WHERE request_id = NEW.id)"
_REPLACED = (
    "EXISTS (SELECT 1 FROM request_properties WHERE request_id = NEW.request_id "
    "AND name = NEW.name)"
)

# On the writer's path, statements that usually find nothing are guarded by a WHEN probe
# (hits logged before their original, properties before their request, a property
# written twice): one index lookup instead
# of an upsert's setup.
_SQLITE_TRIGGERS = f"""
CREATE TRIGGER rollup_request_insert AFTER INSERT ON requests
BEGIN
{body(_request_change("NEW", "", None, properties=False))}END;
CREATE TRIGGER rollup_request_insert_properties AFTER INSERT ON requests WHEN {_HAS_PROPERTIES}
BEGIN
{body(_property_change("NEW", "p", "", "FROM request_properties p WHERE p.request_id = NEW.id"))}END;
CREATE TRIGGER rollup_original_insert AFTER INSERT ON requests WHEN {_SERVED_FROM_NEW}
BEGIN
{body(_model_change("NEW", "", "only"))}END;
CREATE TRIGGER rollup_request_delete AFTER DELETE ON requests WHEN {ROW_BY_ROW}
BEGIN
{body(_request_change("OLD", "-"))}END;
CREATE TRIGGER rollup_request_update AFTER UPDATE OF {WATCHED} ON requests
BEGIN
{body(_request_change("OLD", "-"))}{body(_request_change("NEW", ""))}END;
CREATE TRIGGER rollup_property_replace BEFORE INSERT ON request_properties WHEN {_REPLACED}
BEGIN
{body(_property_change("r", "p", "-", "FROM requests r JOIN request_properties p ON p.request_id = r.id WHERE p.request_id = NEW.request_id AND p.name = NEW.name"))}END;
CREATE TRIGGER rollup_property_insert AFTER INSERT ON request_properties
BEGIN
{body(_one_property("NEW", ""))}END;
CREATE TRIGGER rollup_property_delete AFTER DELETE ON request_properties WHEN {ROW_BY_ROW}
BEGIN
{body(_one_property("OLD", "-"))}END;
"""


def property_triggers() -> tuple[str, str]:
    """SQLite: the bodies of v6's ``rollup_property_replace`` (the old value leaves the
    rollup) and ``rollup_property_insert`` (the new one enters); v7 runs them as plain
    statements for a property the writer writes on its own (``_rollup_batch.py``)."""
    replaced = (
        "FROM requests r JOIN request_properties p ON p.request_id = r.id "
        "WHERE p.request_id = NEW.request_id AND p.name = NEW.name"
    )
    return body(_property_change("r", "p", "-", replaced)), body(_one_property("NEW", ""))


_FACTS_DELETE = f"""
DROP TRIGGER property_facts_delete_property;
DROP TRIGGER property_facts_delete_request;
CREATE TRIGGER property_facts_delete_property AFTER DELETE ON request_properties
WHEN {ROW_BY_ROW}
BEGIN
    DELETE FROM property_facts
    WHERE name = OLD.name AND value = OLD.value AND id = OLD.request_id
      AND created_at IN (SELECT created_at FROM requests WHERE id = OLD.request_id);
    DELETE FROM score_property_facts
    WHERE name = OLD.name AND value = OLD.value AND id = OLD.request_id
      AND score IN (SELECT name FROM scores WHERE request_id = OLD.request_id);
END;
CREATE TRIGGER property_facts_delete_request AFTER DELETE ON requests WHEN {ROW_BY_ROW}
BEGIN
    DELETE FROM property_facts
    WHERE created_at = OLD.created_at AND id = OLD.id
      AND (name, value) IN (
          SELECT name, value FROM request_properties WHERE request_id = OLD.id
      );
    DELETE FROM score_facts WHERE id = OLD.id;
    DELETE FROM score_property_facts
    WHERE id = OLD.id
      AND (name, value) IN (
          SELECT name, value FROM request_properties WHERE request_id = OLD.id
      );
END;
"""


_BATCH = "temp.rollup_batch"
_BATCH_COLUMNS = (  # (session_id: the deletion recounts the batch's sessions from here)
    "id, created_at, model, provider, status, cost_usd, total_tokens, latency_ms, user_id, "
    "cache_status, cache_reference_id, session_id"
)


def batched_delete(
    marks: str,
    *,
    status: bool = True,
    property_models: bool = False,
    property_users: bool = False,
    whole: bool = False,
) -> list[tuple[str, tuple[str, ...]]]:
    """SQLite: the work of the delete triggers for the requests ``id IN (marks)``, as grouped
    statements to run (in the deleting transaction, with ``rollup_control.batched = 1``)
    before their rows are deleted: ``(sql, what it binds, in order)``: ``"ids"`` the batch's
    ids, ``"bound"`` the hour below which the batch completes every hour, ``"end"`` the time
    below which no request is left after the batch (both None but for a prune).

    The batch's rows are read once into a temporary (in-memory) table, each marked ``whole``
    when its hour is below the bound. ``status``: the store has ``rollup_status``
    (``STATUS_ROLLUP_VERSION``), ``property_models``: ``rollup_property_models``
    (``PROPERTY_MODELS_VERSION``), ``property_users``: ``rollup_property_users``
    (``PROPERTY_USERS_VERSION``); ``whole``: a prune's batch, whose whole hours leave the
    hourly rollups by key (``_rollup_whole.py``) and whose other rows are subtracted, and
    whose property facts older than ``end`` go as one range of each property value."""
    rows = _BATCH
    part = f"(SELECT * FROM {rows} WHERE whole = 0)" if whole else rows
    splits = (
        *((PROPERTY_MODELS,) if property_models else ()),
        *((PROPERTY_USERS,) if property_users else ()),
    )
    statements: list[tuple[str, tuple[str, ...]]] = [
        (f"CREATE TEMP TABLE IF NOT EXISTS rollup_batch ({_BATCH_COLUMNS}, whole)", ()),
        (f"DELETE FROM {rows}", ()),
        (
            f"INSERT INTO {rows} SELECT {_BATCH_COLUMNS}, coalesce({hour_of('requests')} < ?, 0) "
            f"FROM requests WHERE id IN ({marks})",
            ("bound", "ids"),
        ),
        (grouped_models(part, "requests", "-"), ()),
        (moved_hits(rows, "-", rows), ()),
        (grouped_users(part, "-"), ()),
        (grouped_properties(part, "request_properties", "-"), ()),
        *([(grouped_status(part, "-"), ()), (empty_status_groups(part), ())] if status else []),
        *((sql, ()) for sql in empty_groups(part)),
        *((sql, ()) for split in splits for sql in split.deleted(part)),
    ]
    if whole:
        kept = f"(SELECT * FROM {rows} WHERE whole = 1)"
        hours = whole_hours(kept, status=status, splits=splits)
        statements += [(sql, ("bound",)) for sql in hours]
    return statements + _facts_deleted(rows, whole)


def _facts_deleted(rows: str, whole: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The batch's fact rows deleted (their triggers keep the score rollups): by key, or
    for a prune the property facts older than ``end`` as one range of each value."""
    joined = f"FROM request_properties p JOIN {rows} r ON r.id = p.request_id"
    scored = (
        f"(SELECT p.name, p.value, s.name, s.request_id FROM {rows} r "
        "JOIN scores s ON s.request_id = r.id "
        "JOIN request_properties p ON p.request_id = s.request_id)"
    )
    properties: list[tuple[str, tuple[str, ...]]]
    if whole:
        properties = [
            (
                "DELETE FROM property_facts WHERE (name, value) IN "
                f"(SELECT DISTINCT p.name, p.value {joined}) AND created_at < ?",
                ("end",),
            ),
            (
                "DELETE FROM property_facts WHERE (name, value, created_at, id) IN "
                f"(SELECT p.name, p.value, r.created_at, r.id {joined} "
                "WHERE coalesce(r.created_at < ?, 0) = 0)",
                ("end",),
            ),
        ]
    else:
        properties = [
            (
                "DELETE FROM property_facts WHERE (name, value, created_at, id) IN "
                f"(SELECT p.name, p.value, r.created_at, r.id {joined})",
                (),
            )
        ]
    return [
        *properties,
        (f"DELETE FROM score_facts WHERE id IN (SELECT id FROM {rows})", ()),
        (f"DELETE FROM score_property_facts WHERE (name, value, score, id) IN {scored}", ()),
    ]


def _facts_refresh() -> str:
    """SQLite's fact tables (v3) copy columns of their request when written; a request
    updated later (``reprice``) left them stale. This trigger writes them again."""
    values = _FACT_VALUES.replace("r.", "NEW.")
    props = "(SELECT name, value FROM request_properties WHERE request_id = OLD.id)"
    return f"""
CREATE TRIGGER facts_request_update AFTER UPDATE ON requests
BEGIN
    DELETE FROM property_facts
    WHERE created_at = OLD.created_at AND id = OLD.id AND (name, value) IN {props};
    INSERT OR REPLACE INTO property_facts
    SELECT p.name, p.value, NEW.created_at, NEW.id, {values}
    FROM request_properties p
    WHERE p.request_id = NEW.id AND p.value IS NOT NULL AND NEW.created_at IS NOT NULL;
    DELETE FROM score_facts WHERE id = OLD.id;
    INSERT OR REPLACE INTO score_facts
    SELECT s.request_id, s.name, s.value, s.value_type, NEW.created_at, {values},
           NEW.session_path
    FROM scores s WHERE s.request_id = NEW.id;
    DELETE FROM score_property_facts WHERE id = OLD.id AND (name, value) IN {props};
    INSERT OR REPLACE INTO score_property_facts
    SELECT p.name, p.value, s.name, s.request_id, s.value, NEW.created_at, {values}
    FROM scores s JOIN request_properties p ON p.request_id = s.request_id
    WHERE s.request_id = NEW.id AND p.value IS NOT NULL;
END;
"""


ROLLUP_MIGRATION = ROLLUP_TABLES + backfill() + _SQLITE_TRIGGERS + _FACTS_DELETE + _facts_refresh()
