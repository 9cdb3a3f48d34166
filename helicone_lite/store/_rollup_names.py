"""Names every rollup module shares (a module of their own, so a rollup's module never imports
``_rollup_batch``, which imports ``_rollup_schema``: the deletion and rebuild lists there can
then name every rollup without an import cycle)."""

from __future__ import annotations

__all__ = ["NEW_REQUESTS", "PG_BATCH_SETTING", "ROLLUP_LOCK_KEY"]

#: PostgreSQL: the rows a batch really inserted (captured by the writer's insert)
NEW_REQUESTS = "pg_temp.helicone_lite_new_requests"
#: the transaction-local setting that makes PostgreSQL's insert triggers stand aside
PG_BATCH_SETTING = "helicone_lite.batch"
#: pg_advisory_xact_lock key ("hl-rollup" folded into a bigint) held from a transaction's
#: rollup work to its commit, by the writer and by the triggers: of two transactions, one
#: inserting a cache hit and one its original (or deleting or repricing it), the second
#: to take it reads the first's committed rows, so the hit's saving is counted once
ROLLUP_LOCK_KEY = 0x686C2D726F6C6C75
