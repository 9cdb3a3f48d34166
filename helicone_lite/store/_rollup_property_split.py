"""A ``rollup_properties`` split by more keys (``rollup_property_models``: by model and
provider; ``rollup_property_users``: by user), kept exactly as ``rollup_properties`` is,
statement for statement; one definition for every such split (SQL text only).

Who keeps a split: the writer, per batch (one grouped upsert, both engines, ordered by key,
in the batch's transaction under the rollup lock: ``batch_upsert``); a property written on
its own moves its figures (SQLite: ``loose_change``; PostgreSQL: the insert trigger's writer
branch); deletions and updates (SQLite row triggers that stand aside while
``rollup_control.batched`` is 1, a batched deletion subtracting its rows in grouped
statements: ``deleted``; PostgreSQL statement triggers under the rollup lock, on
``requests`` and ``request_properties``); ``store.rebuild_rollups`` (``backfill``) and
``migrate --to`` (a derived table, not copied). NULL property values are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._rollup_names import NEW_REQUESTS, PG_BATCH_SETTING, ROLLUP_LOCK_KEY
from ._rollup_sql import (
    BACKFILL_SUMS,
    KEYS,
    NAMES,
    body,
    figures,
    pg_statement_trigger,
    sums,
    upsert,
)

__all__ = ["PropertySplit"]

_ROW_BY_ROW = "(SELECT batched FROM rollup_control) = 0"
_WATCHED = "created_at, model, provider, status, cost_usd, total_tokens, latency_ms, cache_status"
_OLD_PROPS = "(SELECT * FROM request_properties WHERE request_id = OLD.id)"
_NEW_PROPS = "(SELECT * FROM request_properties WHERE request_id = NEW.id)"
_OLD_REQUEST = "(SELECT * FROM requests WHERE id = OLD.request_id)"
_OLD_ROW = "(SELECT OLD.request_id AS request_id, OLD.name AS name, OLD.value AS value)"
_WRITER = f"current_setting('{PG_BATCH_SETTING}', true) = 'on'"
#: the property rows that are no facts (their request has no time)
_UNTIMED = "WHERE p.value IS NOT NULL AND r.created_at IS NULL"


@dataclass(frozen=True, slots=True)
class PropertySplit:
    """The SQL that keeps ``table`` (its key in ``_rollup_sql.KEYS``); ``keys(r, p)``: the
    key of property row ``p`` of request ``r``, in the key's order; ``watched``: the
    ``requests`` columns whose update moves a request's figures (SQLite's update trigger)."""

    table: str
    keys: Callable[[str, str], tuple[str, ...]]
    watched: str = _WATCHED
    #: the migration counts the timed rows from ``property_facts`` (one table, no join;
    #: every key column and figure is a fact column) instead of joining the base tables
    from_facts: bool = False

    def grouped(self, requests: str, properties: str, sign: str) -> str:
        """Add (``sign`` ``''``) or take away (``'-'``) the properties in ``properties`` of
        the requests in ``requests`` (tables or subqueries), one grouped upsert."""
        k = ", ".join(self.keys("r", "p"))
        return upsert(
            self.table,
            (*KEYS[self.table], *NAMES),
            f"SELECT {k}, {', '.join(sums('r', sign))} FROM {requests} r "
            f"JOIN {properties} p ON p.request_id = r.id WHERE p.value IS NOT NULL GROUP BY {k}",
        )

    def empty(self, requests: str, properties: str) -> str:
        """Remove the groups of those properties left with no request."""
        return (
            f"DELETE FROM {self.table} WHERE requests = 0 AND ({', '.join(KEYS[self.table])}) "
            f"IN (SELECT {', '.join(self.keys('r', 'p'))} FROM {requests} r "
            f"JOIN {properties} p ON p.request_id = r.id)"
        )

    def gone(self, requests: str) -> str:
        """Remove, for the groups (but the hour) of the properties of ``requests``, every
        hour below the bound bound to its ``?`` (not ``''``, the hour of untimed requests):
        a prune's whole hours, whose every request is deleted (``_rollup_whole.py``)."""
        *group, hour = KEYS[self.table]
        assert hour == "hour", self.table  # (the hour ends every split's key)
        exprs = self.keys("r", "p")[: len(group)]
        return (
            f"DELETE FROM {self.table} WHERE ({', '.join(group)}) IN (SELECT DISTINCT "
            f"{', '.join(exprs)} FROM {requests} r JOIN request_properties p "
            "ON p.request_id = r.id) AND hour > '' AND hour < ?"
        )

    def _positions(self) -> str:
        return ", ".join(str(i + 1) for i in range(len(KEYS[self.table])))

    def backfill(self) -> str:
        """Count the table from the rows already logged (the migration, rebuilds)."""
        return (
            f"INSERT INTO {self.table} SELECT {', '.join(self.keys('r', 'p'))}, "
            f"{', '.join(BACKFILL_SUMS)} FROM request_properties p JOIN requests r "
            f"ON r.id = p.request_id WHERE p.value IS NOT NULL GROUP BY {self._positions()}"
        )

    def migration_backfill(self) -> str:
        """The migration's backfill: :meth:`backfill`, or with ``from_facts`` the requests
        with a time from ``property_facts`` (the facts are kept by the writer and triggers
        from schema v11 on) and those without one (not facts) from the base tables."""
        if not self.from_facts:
            return self.backfill() + ";\n"
        positions = self._positions()
        return (
            f"INSERT INTO {self.table} SELECT {', '.join(self.keys('r', 'r'))}, "
            f"{', '.join(BACKFILL_SUMS)} FROM property_facts r GROUP BY {positions};\n"
            f"{self.backfill().replace('WHERE p.value IS NOT NULL', _UNTIMED)};\n"
        )

    def batch_upsert(self, batch: str) -> str:
        """The writer's upsert for the requests of ``batch`` (``_rollup_batch.NEW_COLUMNS``),
        grouped and ordered by key (concurrent writers lock the hot rows in one order)."""
        positions = self._positions()
        figures_sum = ", ".join(f"sum({f})" for f in figures("r", ""))
        return upsert(
            self.table,
            (*KEYS[self.table], *NAMES),
            f"SELECT {', '.join(self.keys('r', 'p'))}, {figures_sum} FROM {batch} r "
            "JOIN request_properties p ON p.request_id = r.id WHERE p.value IS NOT NULL "
            f"GROUP BY {positions} ORDER BY {positions}",
        )

    def deleted(self, rows: str) -> list[str]:
        """SQLite's batched deletion: the requests in ``rows`` (still with their properties)
        leave the table, and their emptied groups go."""
        return [
            self.grouped(rows, "request_properties", "-"),
            self.empty(rows, "request_properties"),
        ]

    def loose_change(self) -> tuple[list[str], list[str]]:
        """SQLite: a ``request_properties`` row written on its own (named parameters
        ``:request_id``, ``:name``, ``:value``): (before it is written: the value it replaces
        leaves; after: its value enters)."""
        same = "p.request_id = :request_id AND p.name = :name"
        replaced = f"(SELECT * FROM request_properties p WHERE {same})"
        written = "(SELECT :request_id AS request_id, :name AS name, :value AS value)"
        return (
            [self.grouped("requests", replaced, "-"), self.empty("requests", replaced)],
            [self.grouped("requests", written, "")],
        )

    def sqlite_triggers(self) -> str:
        """SQLite: row triggers for updates and deletions (inserts are the writer's)."""
        t, old, new = self.table, _one(self.watched, "OLD"), _one(self.watched, "NEW")
        moved = [
            self.grouped(old, _OLD_PROPS, "-"),
            self.grouped(new, _NEW_PROPS, ""),
            self.empty(old, _OLD_PROPS),
        ]
        return (
            f"CREATE TRIGGER {t}_request_delete AFTER DELETE ON requests WHEN {_ROW_BY_ROW}\n"
            f"BEGIN\n{body([self.grouped(old, _OLD_PROPS, '-'), self.empty(old, _OLD_PROPS)])}"
            f"END;\nCREATE TRIGGER {t}_request_update AFTER UPDATE OF {self.watched} ON requests\n"
            f"BEGIN\n{body(moved)}END;\n"
            f"CREATE TRIGGER {t}_property_delete AFTER DELETE ON request_properties "
            f"WHEN {_ROW_BY_ROW}\nBEGIN\n"
            f"{body([self.grouped(_OLD_REQUEST, _OLD_ROW, '-'), self.empty(_OLD_REQUEST, _OLD_ROW)])}"
            "END;\n"
        )

    def sqlite_migration(self, table_ddl: str) -> str:
        return table_ddl + self.migration_backfill() + "\n" + self.sqlite_triggers()

    def _pg_trigger(
        self, table: str, event: str, statements: list[str], writer: list[str] | None = None
    ) -> str:
        """A statement trigger on ``table``: ``statements`` under the rollup lock; in the
        writer's transaction ``writer`` instead (when given: the writer counts its batch)."""
        prologue = f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
        if writer is not None:
            branch = body(writer).replace("    ", "        ")
            prologue = (
                f"    IF {_WRITER} THEN\n{branch}        RETURN NULL;\n    END IF;\n{prologue}"
            )
        name = f"{self.table}_{table}_{event.lower()}"
        return pg_statement_trigger(
            f"helicone_lite_{name}", name, event, table, statements, prologue
        )

    def _property_statements(self, new: str | None, old: str | None) -> list[str]:
        out = [self.grouped("requests", old, "-")] if old is not None else []
        out += [self.grouped("requests", new, "")] if new is not None else []
        out += [self.empty("requests", old)] if old is not None else []
        return out

    def pg_migration(self, table_ddl: str) -> str:
        """PostgreSQL's twin: the table (``table_ddl`` in PostgreSQL's types), the backfill,
        and statement triggers on ``requests`` and ``request_properties``."""
        props = "request_properties"
        return (
            table_ddl
            + self.migration_backfill()
            + self._pg_trigger("requests", "INSERT", [self.grouped("new_rows", props, "")], [])
            + self._pg_trigger(
                "requests",
                "DELETE",
                [self.grouped("old_rows", props, "-"), self.empty("old_rows", props)],
            )
            + self._pg_trigger(
                "requests",
                "UPDATE",
                [
                    self.grouped("old_rows", props, "-"),
                    self.grouped("new_rows", props, ""),
                    self.empty("old_rows", props),
                ],
            )
            + self._pg_trigger(
                props,
                "INSERT",
                self._property_statements("new_rows", None),
                self._property_statements(_outside("new_rows"), None),
            )
            + self._pg_trigger(props, "DELETE", self._property_statements(None, "old_rows"))
            + self._pg_trigger(
                props,
                "UPDATE",
                self._property_statements("new_rows", "old_rows"),
                self._property_statements(_outside("new_rows"), _outside("old_rows")),
            )
        )


def _one(watched: str, which: str) -> str:
    """The ``OLD`` or ``NEW`` request of a row trigger as a one-row subquery (its id and the
    ``watched`` columns)."""
    columns = ("id", *watched.split(", "))
    return f"(SELECT {', '.join(f'{which}.{c} AS {c}' for c in columns)})"


def _outside(rows: str) -> str:
    """The property rows of ``rows`` whose request is not in the writer's batch."""
    return f"(SELECT * FROM {rows} WHERE request_id NOT IN (SELECT id FROM {NEW_REQUESTS}))"
