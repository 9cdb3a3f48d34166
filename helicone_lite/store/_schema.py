"""The database schema, as an ordered list of migrations.

``MIGRATIONS[i]`` takes a database from ``PRAGMA user_version = i`` to ``i + 1``. The store
runs the missing ones in order, inside one ``BEGIN IMMEDIATE`` transaction together with the
``user_version`` bump, so two processes opening a new file at once never both migrate.

Rules for adding a migration (docs/schema.md repeats them):

* append a new script; never edit or reorder a released one;
* use plain ``CREATE TABLE`` / ``ALTER TABLE ... ADD COLUMN`` (no ``IF NOT EXISTS``): a script
  runs exactly once, and a second run failing loudly is a useful alarm;
* no ``BEGIN``/``COMMIT`` inside a script (the runner owns the transaction);
* no ``NOT NULL`` or ``CHECK`` on columns the background writer fills, so a surprising value
  is stored rather than the whole row dropped;
* document every new table and column in docs/schema.md.
"""

from __future__ import annotations

from ._facts_schema import FACTS_MIGRATION
from ._pg_reading import READING_MIGRATION
from ._quiet_triggers import QUIET_TRIGGERS_MIGRATION
from ._reports_schema import COVERED, REPORTS_MIGRATION, SCORE_INDEXES_BY_TIME
from ._rollup_property_models import PROPERTY_MODELS_MIGRATION
from ._rollup_property_users import (
    PG_PROPERTY_USERS_OFF_MIGRATION,
    PROPERTY_USERS_MIGRATION,
    PROPERTY_USERS_OFF_MIGRATION,
)
from ._rollup_schema import ROLLUP_MIGRATION
from ._rollup_scores import SCORE_ROLLUP_MIGRATION
from ._rollup_sessions import sqlite_session_rollup_migration
from ._rollup_status import STATUS_ROLLUP_MIGRATION
from ._rollup_user_scores import USER_SCORES_MIGRATION
from ._rollup_v7 import ROLLUP_BATCH_MIGRATION
from ._time import SQL_NOW

__all__ = [
    "FACTS_BY_WRITER_VERSION",
    "INDEX_DIET_MIGRATION",
    "LATENCY_TOKENS_SORT_MIGRATION",
    "MIGRATIONS",
    "PG_PROPERTY_USERS_OFF_MIGRATION",
    "PG_SCORE_TIME_MIGRATION",
    "PG_SORT_BY_DAY_MIGRATION",
    "PG_USER_DAY_MIGRATION",
    "PROPERTY_MODELS_MIGRATION",
    "PROPERTY_MODELS_VERSION",
    "PROPERTY_USERS_MIGRATION",
    "PROPERTY_USERS_OFF_MIGRATION",
    "PROPERTY_USERS_VERSION",
    "QUIET_WRITER_VERSION",
    "ROLLUP_BATCH_VERSION",
    "SCHEMA_VERSION",
    "SCORE_ROLLUP_VERSION",
    "SCORE_TIME_MIGRATION",
    "SESSION_ROLLUP_MIGRATION",
    "SESSION_ROLLUP_VERSION",
    "SORT_BY_DAY_MIGRATION",
    "SORT_INDEXES_MIGRATION",
    "STATUS_ROLLUP_MIGRATION",
    "STATUS_ROLLUP_VERSION",
    "STATUS_SORT_MIGRATION",
    "USER_DAY_MIGRATION",
    "USER_SCORES_VERSION",
]

_NOW = f"DEFAULT ({SQL_NOW})"

_V1 = f"""
CREATE TABLE requests (
    id                  TEXT PRIMARY KEY NOT NULL,
    created_at          TEXT {_NOW},
    kind                TEXT,
    provider            TEXT,
    model               TEXT,
    response_model      TEXT,
    status              INTEGER,
    error               TEXT,
    stream              INTEGER DEFAULT 0,
    prompt_tokens       INTEGER,
    completion_tokens   INTEGER,
    total_tokens        INTEGER,
    cached_tokens       INTEGER,
    cache_write_tokens  INTEGER,
    cost_usd            REAL,
    latency_ms          REAL,
    ttft_ms             REAL,
    user_id             TEXT,
    session_id          TEXT,
    session_path        TEXT,
    session_name        TEXT,
    properties          TEXT,
    cache_status        TEXT,
    cache_reference_id  TEXT,
    cache_bucket_idx    INTEGER,
    prompt_id           TEXT,
    prompt_version      INTEGER,
    prompt_environment  TEXT,
    prompt_inputs       TEXT,
    attempts            INTEGER,
    fallback_index      INTEGER,
    rate_limited        INTEGER DEFAULT 0,
    request_body        TEXT,
    response_body       TEXT,
    reply_headers       TEXT
);
CREATE INDEX idx_requests_created_at ON requests (created_at);
CREATE INDEX idx_requests_user ON requests (user_id, created_at);
CREATE INDEX idx_requests_session ON requests (session_id, created_at);
CREATE INDEX idx_requests_model ON requests (model, created_at);
CREATE INDEX idx_requests_prompt ON requests (prompt_id, prompt_version);
CREATE INDEX idx_requests_cache_reference ON requests (cache_reference_id);

CREATE TABLE request_properties (
    request_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT,
    PRIMARY KEY (request_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_request_properties_name_value ON request_properties (name, value);

CREATE TABLE attempts (
    request_id    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    target_index  INTEGER,
    provider      TEXT,
    model         TEXT,
    status        INTEGER,
    error         TEXT,
    latency_ms    REAL,
    wait_ms       REAL,
    created_at    TEXT {_NOW},
    PRIMARY KEY (request_id, attempt)
) WITHOUT ROWID;

CREATE TABLE scores (
    request_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL,
    value_type  TEXT,
    created_at  TEXT {_NOW},
    PRIMARY KEY (request_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_scores_name ON scores (name, created_at);

CREATE TABLE session_scores (
    session_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL,
    value_type  TEXT,
    created_at  TEXT {_NOW},
    PRIMARY KEY (session_id, name)
) WITHOUT ROWID;
CREATE INDEX idx_session_scores_name ON session_scores (name, created_at);

CREATE TABLE prompts (
    id           TEXT PRIMARY KEY NOT NULL,
    created_at   TEXT {_NOW},
    updated_at   TEXT {_NOW},
    description  TEXT
);

CREATE TABLE prompt_versions (
    prompt_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    messages       TEXT,
    model          TEXT,
    params         TEXT,
    variables      TEXT,
    template_hash  TEXT,
    source         TEXT,
    created_at     TEXT {_NOW},
    PRIMARY KEY (prompt_id, version)
) WITHOUT ROWID;
CREATE INDEX idx_prompt_versions_hash ON prompt_versions (prompt_id, template_hash);

CREATE TABLE prompt_environments (
    prompt_id    TEXT NOT NULL,
    environment  TEXT NOT NULL,
    version      INTEGER,
    updated_at   TEXT {_NOW},
    PRIMARY KEY (prompt_id, environment)
) WITHOUT ROWID;

CREATE TABLE prompt_deployments (
    id            INTEGER PRIMARY KEY,
    prompt_id     TEXT,
    environment   TEXT,
    from_version  INTEGER,
    to_version    INTEGER,
    action        TEXT,
    created_at    TEXT {_NOW}
);
CREATE INDEX idx_prompt_deployments_prompt
    ON prompt_deployments (prompt_id, environment, created_at);

CREATE TABLE alerts (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT,
    metric            TEXT,
    threshold         REAL,
    window_seconds    INTEGER,
    min_requests      INTEGER,
    filters           TEXT,
    cooldown_seconds  INTEGER,
    channels          TEXT,
    enabled           INTEGER DEFAULT 1,
    created_at        TEXT {_NOW}
);

CREATE TABLE alert_events (
    id        INTEGER PRIMARY KEY,
    alert_id  TEXT,
    fired_at  TEXT {_NOW},
    value     REAL,
    message   TEXT
);
CREATE INDEX idx_alert_events_alert ON alert_events (alert_id, fired_at);
"""

# Append new migrations at the end; the schema version is the length of this tuple.
# v2: the cache seed of a call, for cache statistics by seed.
_V2 = "ALTER TABLE requests ADD COLUMN cache_seed TEXT;"

# v3: covering indexes and score facts for the reports (see _reports_schema.py).
# v4: output tokens spent reasoning (Responses and Chat Completions usage details).
_V4 = "ALTER TABLE requests ADD COLUMN reasoning_tokens INTEGER;"
# v5: production (issue 18): the LLM-security verdict of a call and what the token-limit
# handler did; an index for threats per user.
_V5 = """
ALTER TABLE requests ADD COLUMN security_verdict TEXT;
ALTER TABLE requests ADD COLUMN security_category TEXT;
ALTER TABLE requests ADD COLUMN security_score REAL;
ALTER TABLE requests ADD COLUMN security_detector TEXT;
ALTER TABLE requests ADD COLUMN token_limit_action TEXT;
CREATE INDEX idx_requests_security ON requests (security_verdict, user_id, created_at);
"""

# The request list sorted by cost (the dashboard's "costliest first"): with only a time range,
# a page is the first entries of this index read backwards, instead of a sort of every request
# of the range (473 ms on 1,000,000 requests over 90 days). One small index (cost, then the
# time and id that break ties); nothing for the writer to maintain but its entries (~15 us of
# writer CPU a row, measured: one per sort column is why latency, tokens... have none).
# (Appended by branch sqlitereads as a named migration: the lead numbers it at merge.)
SORT_INDEXES_MIGRATION = """
CREATE INDEX idx_requests_cost ON requests (cost_usd, created_at, id);
"""

# The request list sorted by latency or by tokens (the dashboard's "slowest first", "largest
# first"): the same shape as the cost index, for the same reason. Before it, either sort read
# and sorted every request of the range: 430 ms of server time on 1,000,000 requests over 90
# days (benchmarks/README.md, "Request sorts"). The writer pays one b-tree entry per index and
# row (measured there with bench_writer.py). PostgreSQL's planner reads them on its own.
# (Appended by branch scale as a named migration: the lead numbers it at merge.)
LATENCY_TOKENS_SORT_MIGRATION = """
CREATE INDEX idx_requests_latency ON requests (latency_ms, created_at, id);
CREATE INDEX idx_requests_tokens ON requests (total_tokens, created_at, id);
"""

# The index diet: three indexes on ``requests`` that most rows gave an entry to for nothing.
# ``idx_requests_cache_reference`` served no query (a hit's original is found through
# ``idx_requests_cache_hits``, partial on hits, and an original through the primary key);
# ``idx_requests_security`` and ``idx_requests_prompt`` are read only with their lead column
# set (``security_verdict IS NOT NULL``, ``prompt_id = ?``), so they become partial: a row
# without a verdict or a prompt costs the writer and ``prune`` nothing in them. (The
# security index was the worst: a NULL verdict sorts by user, a random leaf page a row.)
# Both engines (PostgreSQL proves ``x IS NOT NULL`` from ``x = ?`` as SQLite does).
# (Appended by branch indexes as a named migration: the lead numbers it at merge.)
INDEX_DIET_MIGRATION = """
DROP INDEX idx_requests_cache_reference;
DROP INDEX idx_requests_security;
CREATE INDEX idx_requests_security ON requests (security_verdict, user_id, created_at)
    WHERE security_verdict IS NOT NULL;
DROP INDEX idx_requests_prompt;
CREATE INDEX idx_requests_prompt ON requests (prompt_id, prompt_version)
    WHERE prompt_id IS NOT NULL;
"""

# The request list sorted by status (issue 11): every status but the common one, and no
# status, in a partial index; the 200s are read from the time index in order. A page is the
# two ordered streams merged (reports/_requests.py ``_status_page``): 372 ms of sorting on
# 1,000,000 requests over 90 days became < 1 ms for the first page, and only the rare
# statuses (~4 % of rows in the benchmark's log) pay an index entry on write and on prune.
STATUS_SORT_MIGRATION = """
CREATE INDEX idx_requests_status ON requests (status, created_at, id)
    WHERE status <> 200 OR status IS NULL;
"""

# The session list ranked by an aggregate (issue 11): one row per session in
# ``rollup_sessions``, kept by the writer per batch, recounted by deletes and updates, with an
# index per sort; the list reads the top of one index instead of grouping every request of
# the range (see _rollup_sessions.py, reports/_session_rank.py).
# (Appended by branch sessrollup as a named migration: the lead numbers it at merge.)
SESSION_ROLLUP_MIGRATION = sqlite_session_rollup_migration()
# The three sort indexes (cost, latency, tokens) led by the request's day: a prune of the
# oldest rows (and the hourly retention) then removes a run of neighbouring entries from each
# instead of one entry on a random leaf page per row and index. Those were half of a prune's
# CPU: 11,200 requests of 1,000,000 dirtied ~8,600 pages per index, each written to the WAL at
# commit (benchmarks/README.md, "Prune in index order"). A page of the list sorted by cost
# merges one ordered stream a day (reports/_requests.py ``_day_page``). New names, so that a
# reader of an older file still finds the old indexes by theirs. SQLite only: PostgreSQL's
# deletions leave index entries to VACUUM, and its planner reads the plain indexes.
# (Appended by branch prune1s as a named migration: the lead numbers it at merge.)
SORT_BY_DAY_MIGRATION = """
DROP INDEX idx_requests_cost;
DROP INDEX idx_requests_latency;
DROP INDEX idx_requests_tokens;
CREATE INDEX idx_requests_day_cost
    ON requests (substr(created_at, 1, 10), cost_usd, created_at, id);
CREATE INDEX idx_requests_day_latency
    ON requests (substr(created_at, 1, 10), latency_ms, created_at, id);
CREATE INDEX idx_requests_day_tokens
    ON requests (substr(created_at, 1, 10), total_tokens, created_at, id);
"""
#: its PostgreSQL twin: nothing (see above)
PG_SORT_BY_DAY_MIGRATION = "SELECT 1"

# The user index keyed by the day after the user: ``(user_id, substr(created_at, 1, 10),
# latency_ms, …)``, the same covered columns. Keyed ``(user_id, latency_ms, …)`` a prune's
# oldest rows were one entry on a random leaf page each: 7,550 of the 21,151 pages a prune of
# 11,200 of 1,000,000 requests dirtied (benchmarks/README.md, "Index diet 2"); now they are
# the first day of each user's range. A user's exact p95 latency merges one latency-ordered
# stream a day (reports/_p95.py). Same name: code that reads it by name keeps working (an
# older release reads the p95 by sorting a user's rows). SQLite only: PostgreSQL's deletions
# leave index entries to VACUUM, and its own user indexes (_pg_reading.py) are unchanged.
# (Appended by branch userday as a named migration: the lead numbers it at merge.)
_USER_DAY_COLUMNS = ", ".join(
    ["user_id", "substr(created_at, 1, 10)", "latency_ms"]
    + [c for c in COVERED if c not in ("user_id", "latency_ms")]
)
USER_DAY_MIGRATION = f"""
DROP INDEX idx_requests_user;
CREATE INDEX idx_requests_user ON requests ({_USER_DAY_COLUMNS});
"""
#: its PostgreSQL twin: nothing (see above)
PG_USER_DAY_MIGRATION = "SELECT 1"

# The score indexes keyed by the time after the group and the score name, and the user
# group's by the time first (same names, same covered columns): keyed (group, name, value,
# ...) a prune's scores were spread over every (group, score, value), 1,919 pages of 14,453
# for 11,200 of 1,000,000 requests, now ~380 (benchmarks/README.md, "Prune 2"). The user
# group cannot be helped by the user first (fewer than one score per user and day), so its
# reads sort the range's scores (``scores --by user``, the users' means) instead of walking
# the index. SQLite only: PostgreSQL's deletions leave index entries to VACUUM.
# (Appended by branch prune2 as a named migration: the lead numbers it at merge.)
SCORE_TIME_MIGRATION = SCORE_INDEXES_BY_TIME + "\n"
#: its PostgreSQL twin: nothing (see above)
PG_SCORE_TIME_MIGRATION = "SELECT 1"

# v6: hourly rollups for the reports, kept by triggers (see _rollup_schema.py).
# READING_MIGRATION: PostgreSQL's reading indexes; nothing on SQLite (see _pg_reading.py).
# ROLLUP_BATCH_MIGRATION: the writer keeps the rollups per batch; the insert triggers go
# (SQLite) or stand aside for it (PostgreSQL) (see _rollup_batch.py, _rollup_v7.py).
# SORT_INDEXES_MIGRATION: the request list sorted by cost (above).
# LATENCY_TOKENS_SORT_MIGRATION: ... and by latency or tokens (above).
# FACTS_MIGRATION ("facts by writer"): the writer keeps property_facts per batch; the insert
# trigger goes; PostgreSQL's fact views become tables (see _facts_schema.py).
# INDEX_DIET_MIGRATION: one index fewer, two partial (above).
# STATUS_SORT_MIGRATION: the request list sorted by status (above).
# STATUS_ROLLUP_MIGRATION: rollup_models split by status, for reports filtered by status
# (see _rollup_status.py).
# SESSION_ROLLUP_MIGRATION: one row per session, for the session list's sorts (above).
# SORT_BY_DAY_MIGRATION: the cost, latency and tokens sorts led by the day (above).
# SCORE_ROLLUP_MIGRATION: hourly score sums per model, provider and status, for the mean
# scores of the reports (see _rollup_scores.py).
# PROPERTY_MODELS_MIGRATION: rollup_properties split by model and provider, for the
# properties report filtered by model or provider (see _rollup_property_models.py).
# USER_DAY_MIGRATION: the user index keyed by the day after the user (above).
# PROPERTY_USERS_MIGRATION: rollup_properties split by user, for the users report of one
# property value (see _rollup_property_users.py; PostgreSQL also indexes property_facts by
# user and latency there, for the shown users' p95).
# SCORE_TIME_MIGRATION: the score indexes keyed by the time (above).
# PROPERTY_USERS_OFF_MIGRATION: rollup_property_users is PostgreSQL's only (SQLite: dropped
# where a first v20 made it; see _rollup_property_users.py).
# USER_SCORES_MIGRATION: daily score sums per user, PostgreSQL's only (_rollup_user_scores.py).
# QUIET_TRIGGERS_MIGRATION: PostgreSQL's insert triggers not called for the writer's batch
# (_quiet_triggers.py, _pg_batch.py); nothing on SQLite.
MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2,
    REPORTS_MIGRATION,
    _V4,
    _V5,
    ROLLUP_MIGRATION,
    READING_MIGRATION,
    ROLLUP_BATCH_MIGRATION,
    SORT_INDEXES_MIGRATION,
    LATENCY_TOKENS_SORT_MIGRATION,
    FACTS_MIGRATION,
    INDEX_DIET_MIGRATION,
    STATUS_SORT_MIGRATION,
    STATUS_ROLLUP_MIGRATION,
    SESSION_ROLLUP_MIGRATION,
    SORT_BY_DAY_MIGRATION,
    SCORE_ROLLUP_MIGRATION,
    PROPERTY_MODELS_MIGRATION,
    USER_DAY_MIGRATION,
    PROPERTY_USERS_MIGRATION,
    SCORE_TIME_MIGRATION,
    PROPERTY_USERS_OFF_MIGRATION,
    USER_SCORES_MIGRATION,
    QUIET_TRIGGERS_MIGRATION,
)

SCHEMA_VERSION = len(MIGRATIONS)
#: from this version the writer keeps the rollups (the insert triggers are gone or stand aside)
ROLLUP_BATCH_VERSION = MIGRATIONS.index(ROLLUP_BATCH_MIGRATION) + 1
#: from this version the writer keeps the fact tables (SQLite's insert trigger is gone,
#: PostgreSQL's facts are tables)
FACTS_BY_WRITER_VERSION = MIGRATIONS.index(FACTS_MIGRATION) + 1
#: from this version the writer (and prunes, rebuilds) keep ``rollup_status`` too
STATUS_ROLLUP_VERSION = MIGRATIONS.index(STATUS_ROLLUP_MIGRATION) + 1
#: from this version ``rollup_sessions`` exists (the writer, deletes and updates keep it)
SESSION_ROLLUP_VERSION = MIGRATIONS.index(SESSION_ROLLUP_MIGRATION) + 1
#: from this version ``rollup_scores`` exists (triggers on ``score_facts`` keep it)
SCORE_ROLLUP_VERSION = MIGRATIONS.index(SCORE_ROLLUP_MIGRATION) + 1
#: from this version ``rollup_property_models`` exists (the writer, deletes, updates keep it)
PROPERTY_MODELS_VERSION = MIGRATIONS.index(PROPERTY_MODELS_MIGRATION) + 1
#: from this version ``rollup_property_users`` exists on PostgreSQL (the writer, deletes,
#: updates keep it); SQLite has none (``PROPERTY_USERS_OFF_MIGRATION``)
PROPERTY_USERS_VERSION = MIGRATIONS.index(PROPERTY_USERS_MIGRATION) + 1
#: from this version ``rollup_user_scores`` exists on PostgreSQL (triggers on ``score_facts``)
USER_SCORES_VERSION = MIGRATIONS.index(USER_SCORES_MIGRATION) + 1
#: from this version PostgreSQL's writer can spare its insert triggers the call
QUIET_WRITER_VERSION = MIGRATIONS.index(QUIET_TRIGGERS_MIGRATION) + 1
