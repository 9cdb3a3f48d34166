"""helicone_lite's SQLite store: schema and migrations, connections, the background writer.

>>> from helicone_lite.store import Store, StoreError
"""

from ._errors import StoreError
from ._ids import new_request_id
from ._retention import rebuild_rollups
from ._schema import MIGRATIONS, SCHEMA_VERSION
from ._store import Store
from ._time import epoch_from_iso, iso_from_epoch, utcnow_iso

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "epoch_from_iso",
    "iso_from_epoch",
    "new_request_id",
    "rebuild_rollups",
    "utcnow_iso",
]
