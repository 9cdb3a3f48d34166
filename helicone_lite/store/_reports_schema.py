"""The migration behind the reports (``helicone_lite.reports``): covering indexes, property facts.

Every report must answer in under a second on a 1,000,000-row store (measured by
``benchmarks/bench_reports.py``). SQLite spends about a microsecond per row sorting for a
``GROUP BY`` that no index orders, and as much again per row fetching table rows an index does
not cover. So each report reads one *covering* index whose leading columns are its grouping,
in order, and never sorts rows or visits the wide ``requests`` rows (which hold the bodies).

* ``idx_requests_created_at``, ``idx_requests_user``, ``idx_requests_model`` and
  ``idx_requests_session`` are rebuilt with the same leading column as before plus
  :data:`COVERED`: time series, users, models and sessions are ordered scans of one index.
  Two differ in their second column: ``idx_requests_model`` is ``(model, provider,
  created_at, …)`` (models are reported per provider) and ``idx_requests_user`` is
  ``(user_id, latency_ms, …)``: a user's p95 latency is then read from the top of their
  range (``ORDER BY latency_ms DESC LIMIT 1 OFFSET k``, k = 5 % of their requests). (SQLite
  re-keys it ``(user_id, day, latency_ms, …)`` in ``_schema.USER_DAY_MIGRATION``.)
* ``idx_requests_cache_hits``: partial index over the cache hits only, ordered by the request
  each was served from (savings: one lookup per original, in id order).
* ``property_facts``: per request property, the columns the reports read, keyed by
  ``(name, value, created_at, id)``; "cost by department" is one ordered range of it. A trigger
  fills it as the writer inserts ``request_properties`` (the writer inserts the request row
  first, in the same transaction); two delete triggers remove a deleted request's facts,
  whichever of the request and its properties is deleted first. It also answers
  ``name = ? AND value = ?`` lookups (with the request ids), so the narrower
  ``idx_request_properties_name_value`` is dropped: one b-tree per property written, not two.

* ``score_facts``: each score with the columns of its request (the time range and every
  filter apply to the request), so score reports read the scores alone instead of a lookup
  per score; one covering index per score grouping (model, user, prompt version, session
  path …; SQLite re-keys them by the time after the group and score name, the user
  group's by the time first, in ``_schema.SCORE_TIME_MIGRATION``). ``score_property_facts``: the same per request property, keyed by
  ``(name, value, score, id)``, for the mean scores of "cost by department". Scores are written rarely, so
  these cost nothing that matters; triggers keep the facts in step.

Leaf module (no imports from the package): ``store/_schema.py`` appends it to ``MIGRATIONS``.
"""

from __future__ import annotations

__all__ = [
    "COVERED",
    "FACT_SELECTS",
    "FACT_VALUES",
    "PROPERTY_FACTS_TABLE",
    "REPORTS_MIGRATION",
    "SCORE_FACTS_TABLE",
    "SCORE_GROUPS",
    "SCORE_INDEXES",
    "SCORE_INDEXES_BY_TIME",
    "SCORE_PROPERTY_FACTS_TABLE",
]

#: the columns every report index carries, so filters and aggregates never read the table.
COVERED: tuple[str, ...] = (
    "created_at",
    "user_id",
    "provider",
    "model",
    "status",
    "cost_usd",
    "total_tokens",
    "latency_ms",
    "cache_status",
    "session_id",
    "prompt_id",
    "prompt_version",
    "id",
)


def _columns(*first: str) -> str:
    return ", ".join([*first, *(c for c in COVERED if c not in first)])


_TYPES = {
    "user_id": "TEXT",
    "provider": "TEXT",
    "model": "TEXT",
    "status": "INTEGER",
    "cost_usd": "REAL",
    "total_tokens": "INTEGER",
    "latency_ms": "REAL",
    "cache_status": "TEXT",
    "session_id": "TEXT",
    "prompt_id": "TEXT",
    "prompt_version": "INTEGER",
}
_FACT_DECLARATIONS = ",\n    ".join(f"{name:<15} {kind}" for name, kind in _TYPES.items())
_FACT_VALUES = ", ".join(f"r.{name}" for name in _TYPES)
FACT_VALUES = _FACT_VALUES  # (v6 refreshes the facts of an updated request with them)

#: the fact tables (SQLite's spelling; PostgreSQL's from schema v11 derive from these)
PROPERTY_FACTS_TABLE = f"""CREATE TABLE property_facts (
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    id          TEXT NOT NULL,
    {_FACT_DECLARATIONS},
    PRIMARY KEY (name, value, created_at, id)
) WITHOUT ROWID;"""
SCORE_FACTS_TABLE = f"""CREATE TABLE score_facts (
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    value           REAL,
    value_type      TEXT,
    created_at      TEXT,
    {_FACT_DECLARATIONS},
    session_path    TEXT,
    PRIMARY KEY (id, name)
) WITHOUT ROWID;"""
SCORE_PROPERTY_FACTS_TABLE = f"""CREATE TABLE score_property_facts (
    name            TEXT NOT NULL,
    value           TEXT NOT NULL,
    score           TEXT NOT NULL,
    id              TEXT NOT NULL,
    score_value     REAL,
    created_at      TEXT,
    {_FACT_DECLARATIONS},
    PRIMARY KEY (name, value, score, id)
) WITHOUT ROWID;"""
#: every fact row, computed from the base tables (the backfill; rebuilds; the writer's
#: per-batch insert narrows ``r`` to the batch's requests)
FACT_SELECTS: dict[str, str] = {
    "property_facts": (
        f"SELECT p.name, p.value, r.created_at, r.id, {_FACT_VALUES}\n"
        "FROM request_properties p JOIN requests r ON r.id = p.request_id\n"
        "WHERE p.value IS NOT NULL AND r.created_at IS NOT NULL"
    ),
    "score_facts": (
        f"SELECT s.request_id, s.name, s.value, s.value_type, r.created_at, {_FACT_VALUES}, "
        "r.session_path\nFROM scores s JOIN requests r ON r.id = s.request_id"
    ),
    "score_property_facts": (
        f"SELECT p.name, p.value, s.name, s.request_id, s.value, r.created_at, {_FACT_VALUES}\n"
        "FROM scores s JOIN requests r ON r.id = s.request_id\n"
        "JOIN request_properties p ON p.request_id = s.request_id WHERE p.value IS NOT NULL"
    ),
}

#: the groups of score reports, each read in the order of its own (covering) index
SCORE_GROUPS: dict[str, tuple[str, ...]] = {
    "all": (),
    "model": ("model",),
    "provider": ("provider",),
    "user": ("user_id",),
    "prompt": ("prompt_id", "prompt_version"),
    "path": ("session_path",),
    "session": ("session_id",),
}
_SCORE_FILTERS = (
    "created_at",
    "user_id",
    "provider",
    "model",
    "status",
    "session_id",
    "prompt_id",
    "prompt_version",
)
SCORE_INDEXES = "\n".join(
    f"CREATE INDEX idx_score_facts_{group} ON score_facts "
    f"({', '.join([*columns, 'name', 'value', *(c for c in _SCORE_FILTERS if c not in columns)])});"
    for group, columns in SCORE_GROUPS.items()
)


def _by_time(columns: tuple[str, ...]) -> str:
    """A score index's columns from ``SCORE_TIME_MIGRATION`` on (SQLite): the group, the
    score name, then the time (the user group: the time first; see ``_schema.py``)."""
    first = ["created_at"] if columns == ("user_id",) else []
    keyed = [*first, *columns, "name", "created_at", "value"]
    return ", ".join(dict.fromkeys([*keyed, *_SCORE_FILTERS]))


#: the score indexes re-keyed by time (same names, same covered columns)
SCORE_INDEXES_BY_TIME = "\n".join(
    f"DROP INDEX idx_score_facts_{group};\n"
    f"CREATE INDEX idx_score_facts_{group} ON score_facts ({_by_time(columns)});"
    for group, columns in SCORE_GROUPS.items()
)

REPORTS_MIGRATION = f"""
DROP INDEX idx_requests_created_at;
DROP INDEX idx_requests_user;
DROP INDEX idx_requests_model;
DROP INDEX idx_requests_session;
DROP INDEX idx_request_properties_name_value;
CREATE INDEX idx_requests_created_at ON requests ({_columns("created_at")});
CREATE INDEX idx_requests_user ON requests ({_columns("user_id", "latency_ms")});
CREATE INDEX idx_requests_model ON requests ({_columns("model", "provider", "created_at")});
CREATE INDEX idx_requests_session
    ON requests ({_columns("session_id", "created_at")}, session_path, session_name);
CREATE INDEX idx_requests_cache_hits
    ON requests ({_columns("cache_reference_id", "model")}) WHERE cache_status = 'HIT';

{PROPERTY_FACTS_TABLE}

INSERT OR REPLACE INTO property_facts
{FACT_SELECTS["property_facts"]};

CREATE TRIGGER property_facts_insert AFTER INSERT ON request_properties
WHEN NEW.value IS NOT NULL
BEGIN
    INSERT OR REPLACE INTO property_facts
    SELECT NEW.name, NEW.value, r.created_at, r.id, {_FACT_VALUES}
    FROM requests r WHERE r.id = NEW.request_id AND r.created_at IS NOT NULL;
END;

CREATE TRIGGER property_facts_delete_property AFTER DELETE ON request_properties
BEGIN
    DELETE FROM property_facts
    WHERE name = OLD.name AND value = OLD.value AND id = OLD.request_id
      AND created_at IN (SELECT created_at FROM requests WHERE id = OLD.request_id);
    DELETE FROM score_property_facts
    WHERE name = OLD.name AND value = OLD.value AND id = OLD.request_id
      AND score IN (SELECT name FROM scores WHERE request_id = OLD.request_id);
END;

CREATE TRIGGER property_facts_delete_request AFTER DELETE ON requests
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

{SCORE_FACTS_TABLE}

INSERT OR REPLACE INTO score_facts
{FACT_SELECTS["score_facts"]};

{SCORE_PROPERTY_FACTS_TABLE}

INSERT OR REPLACE INTO score_property_facts
{FACT_SELECTS["score_property_facts"]};

{SCORE_INDEXES}

CREATE TRIGGER score_facts_insert AFTER INSERT ON scores
BEGIN
    INSERT OR REPLACE INTO score_facts
    SELECT NEW.request_id, NEW.name, NEW.value, NEW.value_type, r.created_at, {_FACT_VALUES},
           r.session_path
    FROM requests r WHERE r.id = NEW.request_id;
    INSERT OR REPLACE INTO score_property_facts
    SELECT p.name, p.value, NEW.name, NEW.request_id, NEW.value, r.created_at, {_FACT_VALUES}
    FROM requests r JOIN request_properties p ON p.request_id = r.id
    WHERE r.id = NEW.request_id AND p.value IS NOT NULL;
END;

CREATE TRIGGER score_facts_delete AFTER DELETE ON scores
BEGIN
    DELETE FROM score_facts WHERE id = OLD.request_id AND name = OLD.name;
    DELETE FROM score_property_facts
    WHERE score = OLD.name AND id = OLD.request_id
      AND (name, value) IN (
          SELECT name, value FROM request_properties WHERE request_id = OLD.request_id
      );
END;
"""
