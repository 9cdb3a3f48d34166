"""SQL builders of the hourly rollups (schema v6): the tables, one request's figures, the
grouped upserts a set of rows adds or takes away, and the backfill.

Used by ``_rollup_schema.py`` (SQLite's row triggers and batched deletions, PostgreSQL's
statement-level triggers). Leaf module.
"""

from __future__ import annotations

__all__ = [
    "BACKFILL_SUMS",
    "KEYS",
    "METRIC_COLUMNS",
    "NAMES",
    "ROLLUP_TABLES",
    "SAVED",
    "backfill",
    "backfill_status",
    "body",
    "cleanup",
    "empty_groups",
    "empty_status_groups",
    "figures",
    "grouped_models",
    "grouped_properties",
    "grouped_status",
    "grouped_users",
    "hour_of",
    "moved_hits",
    "original",
    "pg_statement_trigger",
    "status_keys",
    "sums",
    "upsert",
]

_METRICS = """requests     INTEGER NOT NULL DEFAULT 0,
    cost_usd     REAL NOT NULL DEFAULT 0,
    tokens       INTEGER NOT NULL DEFAULT 0,
    errors       INTEGER NOT NULL DEFAULT 0,
    latency_sum  REAL NOT NULL DEFAULT 0,
    latency_n    INTEGER NOT NULL DEFAULT 0,
    cache_hits   INTEGER NOT NULL DEFAULT 0"""

ROLLUP_TABLES = f"""
CREATE TABLE rollup_control (batched INTEGER NOT NULL);
INSERT INTO rollup_control VALUES (0);
CREATE TABLE rollup_models (
    hour          TEXT NOT NULL,
    model         TEXT NOT NULL,
    provider      TEXT NOT NULL,
    nulls         INTEGER NOT NULL,
    {_METRICS},
    saved_usd     REAL NOT NULL DEFAULT 0,
    saved_tokens  INTEGER NOT NULL DEFAULT 0,
    unpriced      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, model, provider, nulls)
) WITHOUT ROWID;
CREATE TABLE rollup_users (
    user_id  TEXT NOT NULL,
    nulls    INTEGER NOT NULL,
    hour     TEXT NOT NULL,
    {_METRICS},
    PRIMARY KEY (user_id, nulls, hour)
) WITHOUT ROWID;
CREATE TABLE rollup_properties (
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    hour   TEXT NOT NULL,
    {_METRICS},
    PRIMARY KEY (name, value, hour)
) WITHOUT ROWID;
"""

#: the figures' columns every rollup table has
METRIC_COLUMNS = _METRICS

NAMES = ("requests", "cost_usd", "tokens", "errors", "latency_sum", "latency_n", "cache_hits")
SAVED = ("saved_usd", "saved_tokens", "unpriced")
KEYS = {
    "rollup_models": ("hour", "model", "provider", "nulls"),
    "rollup_users": ("user_id", "nulls", "hour"),
    "rollup_properties": ("name", "value", "hour"),
    "rollup_status": ("hour", "model", "provider", "nulls", "status"),  # (_rollup_status.py)
    # (_rollup_property_models.py)
    "rollup_property_models": ("name", "model", "provider", "nulls", "value", "hour"),
    # (_rollup_property_users.py)
    "rollup_property_users": ("name", "value", "user_id", "nulls", "hour"),
}


def hour_of(row: str) -> str:
    """SQL: the hour of ``row``'s ``created_at`` as ISO text, ``''`` without one."""
    return f"coalesce(substr({row}.created_at, 1, 13) || ':00:00.000Z', '')"


def figures(r: str, sign: str) -> tuple[str, ...]:
    """SQL of one request's figures (in the order of ``NAMES``), signed."""
    return (
        f"{sign}1",
        f"{sign}coalesce({r}.cost_usd, 0)",
        f"{sign}coalesce({r}.total_tokens, 0)",
        f"{sign}(CASE WHEN {r}.status NOT BETWEEN 200 AND 299 THEN 1 ELSE 0 END)",
        f"{sign}coalesce({r}.latency_ms, 0)",
        f"{sign}(CASE WHEN {r}.latency_ms IS NULL THEN 0 ELSE 1 END)",
        f"{sign}(CASE WHEN {r}.cache_status = 'HIT' THEN 1 ELSE 0 END)",
    )


def upsert(table: str, columns: tuple[str, ...], select: str) -> str:
    keys = KEYS[table]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns if c not in keys)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {select} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


def cleanup(table: str, where: str) -> str:
    return f"DELETE FROM {table} WHERE requests = 0 AND {where}"


def original(r: str, column: str) -> str:
    return f"(SELECT o.{column} FROM requests o WHERE o.id = {r}.cache_reference_id)"


def body(statements: list[str]) -> str:
    return "".join(f"    {s};\n" for s in statements)


def pg_statement_trigger(
    function: str, trigger: str, event: str, table: str, statements: list[str], prologue: str = ""
) -> str:
    """A PostgreSQL function running ``statements`` (after ``prologue``) and the statement-level
    ``event`` trigger on ``table`` that calls it with its transition tables (``new_rows`` /
    ``old_rows``)."""
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }[event]
    return (
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        f"{prologue}{body(statements)}    RETURN NULL;\nEND\n$fn$;\n"
        f"CREATE TRIGGER {trigger} AFTER {event} ON {table} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


#: a group's figures (in the order of ``NAMES``) as aggregates over requests ``r``
BACKFILL_SUMS = (
    "count(*)",
    "total(r.cost_usd)",
    "total(r.total_tokens)",
    "sum(CASE WHEN r.status NOT BETWEEN 200 AND 299 THEN 1 ELSE 0 END)",
    "total(r.latency_ms)",
    "count(r.latency_ms)",
    "sum(CASE WHEN r.cache_status = 'HIT' THEN 1 ELSE 0 END)",
)


def backfill() -> str:
    """Fill the rollups from the rows already logged (statement per table)."""
    hour = hour_of("r")
    sums = BACKFILL_SUMS
    hit = "r.cache_status = 'HIT'"
    saved = (
        f"total(CASE WHEN {hit} THEN o.cost_usd END)",
        f"total(CASE WHEN {hit} AND o.cost_usd IS NOT NULL THEN o.total_tokens END)",
        f"sum(CASE WHEN {hit} AND o.cost_usd IS NULL THEN 1 ELSE 0 END)",
    )
    models = (
        f"INSERT INTO rollup_models SELECT {hour}, coalesce(r.model, ''), "
        "coalesce(r.provider, ''), (CASE WHEN r.model IS NULL THEN 1 ELSE 0 END) + "
        f"(CASE WHEN r.provider IS NULL THEN 2 ELSE 0 END), {', '.join((*sums, *saved))} "
        "FROM requests r LEFT JOIN requests o "
        f"ON o.id = r.cache_reference_id AND {hit} AND o.id <> r.id GROUP BY 1, 2, 3, 4"
    )
    users = (
        "INSERT INTO rollup_users SELECT coalesce(r.user_id, ''), "
        f"(CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END), {hour}, {', '.join(sums)} "
        "FROM requests r GROUP BY 1, 2, 3"
    )
    props = (
        f"INSERT INTO rollup_properties SELECT p.name, p.value, {hour}, {', '.join(sums)} "
        "FROM request_properties p JOIN requests r ON r.id = p.request_id "
        "WHERE p.value IS NOT NULL GROUP BY 1, 2, 3"
    )
    return f"{models};\n{users};\n{props};\n"


# The v3 fact triggers for deletions, again, with the same guard (v3's text is released).


# --- PostgreSQL: statement-level triggers over transition tables ---
#
# PostgreSQL fires row-level AFTER triggers at the end of the statement, so in one multi-row
# INSERT (the writer's batches) a hit and its original would each see the other and count the
# saving twice. Statement-level triggers see the statement's rows as a table: each statement
# adds (or takes away) its rows' figures in one grouped upsert per rollup, and moves the hits
# *outside* the statement that were served from its rows.


def model_keys(r: str) -> tuple[str, ...]:
    return (
        hour_of(r),
        f"coalesce({r}.model, '')",
        f"coalesce({r}.provider, '')",
        f"(CASE WHEN {r}.model IS NULL THEN 1 ELSE 0 END)"
        f" + (CASE WHEN {r}.provider IS NULL THEN 2 ELSE 0 END)",
    )


def status_keys(r: str) -> tuple[str, ...]:
    """SQL of ``r``'s key in ``rollup_status`` (``rollup_models``' key, then the status;
    ``_rollup_status.py``)."""
    return (*model_keys(r), f"{r}.status")


def sums(r: str, sign: str) -> tuple[str, ...]:
    return tuple(f"{sign}sum({figure})" for figure in figures(r, ""))


def grouped_models(rows: str, originals: str, sign: str) -> str:
    hit = "r.cache_status = 'HIT'"
    saved = (
        f"{sign}sum(CASE WHEN {hit} THEN coalesce(o.cost_usd, 0) ELSE 0 END)",
        f"{sign}sum(CASE WHEN {hit} AND o.cost_usd IS NOT NULL "
        "THEN coalesce(o.total_tokens, 0) ELSE 0 END)",
        f"{sign}sum(CASE WHEN {hit} AND o.cost_usd IS NULL THEN 1 ELSE 0 END)",
    )
    keys = model_keys("r")
    return upsert(
        "rollup_models",
        (*KEYS["rollup_models"], *NAMES, *SAVED),
        f"SELECT {', '.join((*keys, *sums('r', sign), *saved))} FROM {rows} r "
        f"LEFT JOIN {originals} o ON o.id = r.cache_reference_id AND {hit} AND o.id <> r.id "
        f"WHERE 1 = 1 GROUP BY {', '.join(keys)}",
    )


def moved_hits(rows: str, sign: str, exclude: str | None) -> str:
    """Hits in ``requests`` (not among ``exclude``) served from ``rows``: their saving."""
    priced = "r.cost_usd IS NOT NULL"
    moved = (
        f"{sign}sum(CASE WHEN {priced} THEN r.cost_usd ELSE 0 END)",
        f"{sign}sum(CASE WHEN {priced} THEN coalesce(r.total_tokens, 0) ELSE 0 END)",
        f"{'' if sign else '-'}sum(CASE WHEN {priced} THEN 1 ELSE 0 END)",
    )
    keys = model_keys("h")
    skip = f" AND h.id NOT IN (SELECT id FROM {exclude})" if exclude else ""
    return upsert(
        "rollup_models",
        (*KEYS["rollup_models"], *SAVED),
        f"SELECT {', '.join((*keys, *moved))} FROM requests h JOIN {rows} r "
        "ON h.cache_reference_id = r.id WHERE h.cache_status = 'HIT' AND h.id <> r.id"
        f"{skip} GROUP BY {', '.join(keys)}",
    )


def grouped_users(rows: str, sign: str) -> str:
    keys = (
        "coalesce(r.user_id, '')",
        "(CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END)",
        hour_of("r"),
    )
    return upsert(
        "rollup_users",
        (*KEYS["rollup_users"], *NAMES),
        f"SELECT {', '.join((*keys, *sums('r', sign)))} FROM {rows} r WHERE 1 = 1 "
        f"GROUP BY {', '.join(keys)}",
    )


def grouped_properties(requests: str, properties: str, sign: str) -> str:
    keys = ("p.name", "p.value", hour_of("r"))
    return upsert(
        "rollup_properties",
        (*KEYS["rollup_properties"], *NAMES),
        f"SELECT {', '.join((*keys, *sums('r', sign)))} FROM {requests} r "
        f"JOIN {properties} p ON p.request_id = r.id WHERE p.value IS NOT NULL "
        f"GROUP BY {', '.join(keys)}",
    )


def empty_groups(rows: str) -> list[str]:
    """Remove the groups of ``rows`` left with no request (looked up by their keys)."""
    users = (
        "(SELECT coalesce(r.user_id, ''), (CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END), "
        f"{hour_of('r')} FROM {rows} r)"
    )
    props = (
        f"(SELECT p.name, p.value, {hour_of('r')} FROM {rows} r "
        "JOIN request_properties p ON p.request_id = r.id)"
    )
    return [
        f"DELETE FROM rollup_models WHERE requests = 0 AND hour IN "
        f"(SELECT {hour_of('r')} FROM {rows} r)",
        f"DELETE FROM rollup_users WHERE requests = 0 AND (user_id, nulls, hour) IN {users}",
        f"DELETE FROM rollup_properties WHERE requests = 0 AND (name, value, hour) IN {props}",
    ]


# --- rollup_status (_rollup_status.py): rollup_models' key plus the exact status ---


def grouped_status(rows: str, sign: str) -> str:
    """Add (``sign`` ``''``) or take away (``'-'``) the requests of ``rows`` (a table or
    subquery with ``requests``' columns) in ``rollup_status`` (NULL statuses are not in it)."""
    keys = ", ".join(status_keys("r"))
    return upsert(
        "rollup_status",
        (*KEYS["rollup_status"], *NAMES),
        f"SELECT {keys}, {', '.join(sums('r', sign))} FROM {rows} r "
        f"WHERE r.status IS NOT NULL GROUP BY {keys}",
    )


def empty_status_groups(rows: str) -> str:
    """Remove the ``rollup_status`` groups of ``rows`` left with no request."""
    return (
        "DELETE FROM rollup_status WHERE requests = 0 AND "
        f"(hour, model, provider, nulls, status) IN (SELECT {', '.join(status_keys('r'))} "
        f"FROM {rows} r)"
    )


def backfill_status() -> str:
    """Fill ``rollup_status`` from the rows already logged (one statement)."""
    return (
        f"INSERT INTO rollup_status SELECT {', '.join(status_keys('r'))}, "
        f"{', '.join(BACKFILL_SUMS)} FROM requests r WHERE r.status IS NOT NULL "
        "GROUP BY 1, 2, 3, 4, 5;\n"
    )
