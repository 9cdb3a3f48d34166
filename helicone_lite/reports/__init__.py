"""The dashboard's data from the local store: sessions, users, properties, models, costs over
time, cache savings, scores, exports; and feedback/scores written on a bare store.

>>> from helicone_lite.reports import Filters, Reports
>>> Filters(model="gpt-4o", properties={"department": "cardiology"}).describe()
'model=gpt-4o, department=cardiology'

Everything here reads a :class:`helicone_lite.Store`; ``client.reports`` is the same over the
client's store. See docs/reports.md.
"""

from ._api import BREAKDOWNS, Reports
from ._filters import Filters, parse_time
from ._requests import REQUEST_SORTS, LatencyPercentiles, RequestDetail, RequestPage
from ._rows import (
    CacheSavings,
    CostBucket,
    GroupRow,
    ModelSavings,
    PropertyName,
    ScoreRow,
    SessionRow,
    ThreatRow,
    UserRow,
    to_jsonable,
)
from ._scores import (
    FEEDBACK,
    UnknownRequestError,
    UnknownSessionError,
    feedback,
    score,
    scores_of,
    session_feedback,
    session_score,
)
from ._tree import SessionNode, SessionRequest, SessionTree

__all__ = [
    "BREAKDOWNS",
    "FEEDBACK",
    "REQUEST_SORTS",
    "CacheSavings",
    "CostBucket",
    "Filters",
    "GroupRow",
    "LatencyPercentiles",
    "ModelSavings",
    "PropertyName",
    "Reports",
    "RequestDetail",
    "RequestPage",
    "ScoreRow",
    "SessionNode",
    "SessionRequest",
    "SessionRow",
    "SessionTree",
    "ThreatRow",
    "UnknownRequestError",
    "UnknownSessionError",
    "UserRow",
    "feedback",
    "parse_time",
    "score",
    "scores_of",
    "session_feedback",
    "session_score",
    "to_jsonable",
]
