"""Schema v11 ("facts by writer"): the writer keeps the fact tables, per batch, set-based.

The fact tables (``property_facts``, ``score_facts``, ``score_property_facts``; defined by v3,
``_reports_schema.py``) copy, per property and per score, the columns of its request that the
reports read, so a report on one property value or one score reads one ordered range.

* **SQLite**: v3 filled ``property_facts`` with a row trigger on ``request_properties``: one
  trigger program per property written (about 15 µs of the writer's CPU per property,
  ~45 µs a logged call with three). v11 drops that trigger; the writer adds a batch's facts
  in one ``INSERT ... SELECT`` over the batch's requests (the rows with ``rowid >= :mark``,
  as for the rollups, ``_rollup_batch.py``) joined with their properties, in the batch's
  transaction. A batch written row by row counts the ids really inserted; a property
  written on its own (``Store.write("request_properties", ...)``) moves its fact with
  plain statements (its old value's fact out, its new one in). The score triggers stay:
  scores are not written by the writer (``score()``, ``feedback()``: a transaction of
  their own), so they cost the writer nothing. The delete and update triggers stay
  (prune, ``delete --user``, ``reprice``). The tables' contents under v3-v9 were exact
  (triggers), so nothing is backfilled. A hand-written ``INSERT`` into
  ``request_properties`` is no longer mirrored: ``store.rebuild_rollups`` rebuilds the
  facts too.
* **PostgreSQL**: until v9 the facts were *views* joining ``request_properties`` (or
  ``scores``) with ``requests``: every report paid an index lookup per fact row (3.3 s
  for "users by property" on 1,000,000 requests). v11 makes them tables with SQLite's
  columns, keys and score indexes, backfilled by the migration. The writer fills them
  from the batch's requests captured in ``pg_temp.helicone_lite_new_requests`` (which
  therefore also captures ``session_id``, ``session_path``, ``prompt_id`` and
  ``prompt_version``). Statement-level triggers keep them exact for everything else:
  inserts not made by the writer (a copy, a hand-written statement; they stand aside for
  the writer's own requests as the rollup triggers do), every update (``reprice``, a
  property or score written again) and every delete, in any order of the tables.

SQL text only; ``_schema.py`` and ``_pg_schema.py`` append the migrations.
"""

from __future__ import annotations

from collections.abc import Callable

from ._reports_schema import (
    FACT_SELECTS,
    FACT_VALUES,
    PROPERTY_FACTS_TABLE,
    SCORE_FACTS_TABLE,
    SCORE_INDEXES,
    SCORE_PROPERTY_FACTS_TABLE,
)
from ._rollup_names import NEW_REQUESTS
from ._rollup_sql import body

__all__ = [
    "FACTS_MIGRATION",
    "FACT_TABLES",
    "PG_FACTS_ON",
    "ids_batch_facts",
    "loose_property_facts",
    "pg_batch_facts",
    "pg_facts_migration",
    "rebuild_facts",
    "sqlite_batch_facts",
]

FACT_TABLES = ("property_facts", "score_facts", "score_property_facts")

FACTS_MIGRATION = "DROP TRIGGER property_facts_insert;\n"

_WANTED = "p.value IS NOT NULL AND r.created_at IS NOT NULL"


def _property_facts(source: str, where: str, verb: str = "INSERT OR REPLACE") -> str:
    """Facts of the properties joined as ``p`` to requests ``r`` in ``source``."""
    return (
        f"{verb} INTO property_facts SELECT p.name, p.value, r.created_at, r.id, {FACT_VALUES} "
        f"FROM {source} WHERE {where} AND {_WANTED}"
    )


#: The writer's own facts: ``OR IGNORE``, as PostgreSQL's ``ON CONFLICT DO NOTHING``. A
#: batch's requests are new (inserted by this transaction), so none has a fact yet and the
#: contents are those ``OR REPLACE`` gave; but ``OR REPLACE`` seeks every new key twice
#: (its conflict check's cursor is not reused for the insert), which on a growing store
#: cost ~4 µs a request more at 100,000 requests (benchmarks/README.md, "Row building's
#: collector, the facts' insert"). The loose path keeps ``OR REPLACE``: it moves a fact.
_BATCH_VERB = "INSERT OR IGNORE"


def sqlite_batch_facts() -> list[str]:
    """SQLite: the facts of the requests with ``rowid >= :mark`` (the batch just inserted):
    the batch is read by rowid, each request's properties by their primary key."""
    return [
        _property_facts(
            "requests r CROSS JOIN request_properties p ON p.request_id = r.id",
            "r.rowid >= :mark",
            _BATCH_VERB,
        )
    ]


def ids_batch_facts() -> list[str]:
    """SQLite: the facts of the requests whose ids are the JSON array ``:ids``."""
    return [
        _property_facts(
            "requests r CROSS JOIN request_properties p ON p.request_id = r.id",
            "r.id IN (SELECT value FROM json_each(:ids))",
            _BATCH_VERB,
        )
    ]


def loose_property_facts() -> tuple[list[str], list[str]]:
    """SQLite: (before, after) writing one ``request_properties`` row on its own, with the
    row as named parameters ``:request_id`` and ``:name``: its old value's fact out, its
    new value's fact in."""
    one = "p.request_id = :request_id AND p.name = :name"
    joined = "request_properties p JOIN requests r ON r.id = p.request_id"
    before = (
        "DELETE FROM property_facts WHERE (name, value, created_at, id) IN "
        f"(SELECT p.name, p.value, r.created_at, r.id FROM {joined} WHERE {one})"
    )
    return [before], [_property_facts(joined, one)]


def rebuild_facts() -> list[str]:
    """Both engines: the fact tables emptied and filled again from the base tables."""
    out = []
    for table in FACT_TABLES:
        out += [f"DELETE FROM {table}", f"INSERT INTO {table} {FACT_SELECTS[table]}"]
    return out


# --- PostgreSQL ---

_SCORE_VALUES = f"s.request_id, s.name, s.value, s.value_type, r.created_at, {FACT_VALUES}, "
_NOTHING = " ON CONFLICT DO NOTHING"


def _pf(r: str, p: str) -> str:
    """Insert the property facts of requests ``r`` joined with properties ``p``."""
    return _property_facts(f"{r} r JOIN {p} p ON p.request_id = r.id", "TRUE", "INSERT") + _NOTHING


def _sf(r: str, s: str) -> str:
    return (
        f"INSERT INTO score_facts SELECT {_SCORE_VALUES}r.session_path "
        f"FROM {r} r JOIN {s} s ON s.request_id = r.id{_NOTHING}"
    )


def _spf(r: str, s: str, p: str) -> str:
    return (
        "INSERT INTO score_property_facts SELECT p.name, p.value, s.name, s.request_id, "
        f"s.value, r.created_at, {FACT_VALUES} FROM {r} r JOIN {s} s ON s.request_id = r.id "
        f"JOIN {p} p ON p.request_id = r.id WHERE p.value IS NOT NULL{_NOTHING}"
    )


def pg_batch_facts() -> list[str]:
    """PostgreSQL: the facts of the writer's batch (the requests in ``NEW_REQUESTS``)."""
    r, s, p = NEW_REQUESTS, "scores", "request_properties"
    return [_pf(r, p), _sf(r, s), _spf(r, s, p)]


def _forget_requests(old: str) -> list[str]:
    return [
        f"DELETE FROM property_facts f USING {old} r, request_properties p "
        "WHERE p.request_id = r.id AND f.name = p.name AND f.value = p.value "
        "AND f.created_at = r.created_at AND f.id = r.id",
        f"DELETE FROM score_facts f USING {old} r WHERE f.id = r.id",
        f"DELETE FROM score_property_facts f USING {old} r, request_properties p, scores s "
        "WHERE p.request_id = r.id AND s.request_id = r.id AND f.name = p.name "
        "AND f.value = p.value AND f.score = s.name AND f.id = r.id",
    ]


def _forget_properties(old: str) -> list[str]:
    return [
        f"DELETE FROM property_facts f USING {old} p, requests r "
        "WHERE r.id = p.request_id AND f.name = p.name AND f.value = p.value "
        "AND f.created_at = r.created_at AND f.id = p.request_id",
        f"DELETE FROM score_property_facts f USING {old} p, scores s "
        "WHERE s.request_id = p.request_id AND f.name = p.name AND f.value = p.value "
        "AND f.score = s.name AND f.id = p.request_id",
    ]


def _forget_scores(old: str) -> list[str]:
    return [
        f"DELETE FROM score_facts f USING {old} s WHERE f.id = s.request_id AND f.name = s.name",
        f"DELETE FROM score_property_facts f USING {old} s, request_properties p "
        "WHERE p.request_id = s.request_id AND f.name = p.name AND f.value = p.value "
        "AND f.score = s.name AND f.id = s.request_id",
    ]


_OUTSIDE = f"(SELECT * FROM new_rows WHERE request_id NOT IN (SELECT id FROM {NEW_REQUESTS}))"
#: set (transaction-local) by a writer that adds its batch's facts itself: the insert
#: triggers then stand aside for its requests. Not ``helicone_lite.batch``: a writer of an
#: older version sets that one (for the rollups) but adds no facts, so during a rolling
#: upgrade its rows are still filled in by the triggers.
PG_FACTS_SETTING = "helicone_lite.facts"
PG_FACTS_ON = f"SELECT set_config('{PG_FACTS_SETTING}', 'on', true)"
_ON = f"current_setting('{PG_FACTS_SETTING}', true) = 'on'"

#: (table, event) -> (statements in the writer's batch or None: the same as others, others)
_TRIGGERS: dict[tuple[str, str], tuple[list[str] | None, list[str]]] = {
    ("requests", "INSERT"): (
        [],  # the writer adds its batch's facts itself
        [_pf("new_rows", "request_properties"), _sf("new_rows", "scores"),
         _spf("new_rows", "scores", "request_properties")],
    ),
    ("requests", "UPDATE"): (
        None,
        [*_forget_requests("old_rows"), _pf("new_rows", "request_properties"),
         _sf("new_rows", "scores"), _spf("new_rows", "scores", "request_properties")],
    ),
    ("requests", "DELETE"): (None, _forget_requests("old_rows")),
    ("request_properties", "INSERT"): (
        [_pf("requests", _OUTSIDE), _spf("requests", "scores", _OUTSIDE)],
        [_pf("requests", "new_rows"), _spf("requests", "scores", "new_rows")],
    ),
    ("request_properties", "UPDATE"): (
        None,
        [*_forget_properties("old_rows"), _pf("requests", "new_rows"),
         _spf("requests", "scores", "new_rows")],
    ),
    ("request_properties", "DELETE"): (None, _forget_properties("old_rows")),
    ("scores", "INSERT"): (
        None, [_sf("requests", "new_rows"), _spf("requests", "new_rows", "request_properties")]
    ),
    ("scores", "UPDATE"): (
        None,
        [*_forget_scores("old_rows"), _sf("requests", "new_rows"),
         _spf("requests", "new_rows", "request_properties")],
    ),
    ("scores", "DELETE"): (None, _forget_scores("old_rows")),
}  # fmt: skip

_ORDER = {"property_facts": " ORDER BY 1, 2, 3, 4", "score_facts": "", "score_property_facts": ""}

_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_trigger(table: str, event: str, writer: list[str] | None, others: list[str]) -> str:
    name = f"helicone_lite_facts_{table}_{event.lower()}"
    branch = ""
    if writer is not None:
        branch = f"    IF {_ON} THEN\n{body(writer)}        RETURN NULL;\n    END IF;\n"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN\n{branch}{body(others)}    RETURN NULL;\nEND\n$fn$;\n"
        f"CREATE TRIGGER facts_{table}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {_TRANSITION[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
    )


def pg_facts_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL: the views replaced by tables (``types``: SQLite DDL in PostgreSQL's
    spelling), backfilled, indexed as on SQLite, then kept by the writer and triggers.

    ``property_facts``'s key carries the other fact columns (``INCLUDE``): SQLite's table
    *is* its key (``WITHOUT ROWID``); in PostgreSQL a report on one property value read
    through a narrow key visits a heap page per row (2.8 s for "users, department=cardiology"
    on 1,000,000 requests, 58,000 pages), through the covering key it is an index-only
    scan once autovacuum has marked the pages visible. The backfill goes in key order.

    ``idx_requests_facts`` (v7: the views' join from a fact to its request) goes: nothing
    joins that way any more, and it cost the writer one more b-tree entry per request."""
    key = "PRIMARY KEY (name, value, created_at, id)"
    covering = f"{key} INCLUDE ({FACT_VALUES.replace('r.', '')})"
    tables = "\n".join(
        (PROPERTY_FACTS_TABLE.replace(key, covering), SCORE_FACTS_TABLE, SCORE_PROPERTY_FACTS_TABLE)
    )
    fill = "".join(f"INSERT INTO {t} {FACT_SELECTS[t]}{_ORDER[t]};\n" for t in FACT_TABLES)
    triggers = "".join(
        _pg_trigger(table, event, writer, others)
        for (table, event), (writer, others) in _TRIGGERS.items()
    )
    return (
        "DROP VIEW score_property_facts;\nDROP VIEW score_facts;\nDROP VIEW property_facts;\n"
        f"{types(tables)}\n{fill}{SCORE_INDEXES}\n{triggers}"
        "DROP INDEX idx_requests_facts;\n" + "".join(f"ANALYZE {t};\n" for t in FACT_TABLES)
    )
