"""``Filters``: the one filter object every report takes, turned into a SQL ``WHERE`` fragment.

>>> f = Filters(model="gpt-4o", properties={"Department": "cardiology"}, status="error")
>>> sql, params = f.where(now=0.0)
>>> params
['gpt-4o', 'department', 'cardiology']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from types import MappingProxyType
from typing import Any

from .._errors import OptionsError
from ..store import iso_from_epoch

__all__ = ["Filters", "TimeSpec", "parse_time"]

TimeSpec = datetime | date | float | int | str | None

#: a request counts as an error when its status is not 2xx (0: no HTTP answer at all).
ERROR_SQL = "({a}status NOT BETWEEN 200 AND 299)"


def count_if(condition: str) -> str:
    """``sum(condition)`` spelled with built-in aggregates only: on PostgreSQL, ``sum(boolean)`` is
    a SQL-language aggregate defined for SQLite compatibility, which runs a function call per row
    and never in parallel (the models report on 1M rows: 21.5 s as ``sum(x = y)``, 1.4 s as
    ``sum(CASE ...)``; docs/scaling.md). The same result on both engines, NULL on no rows."""
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


#: the errors of a group, counted with built-ins (see count_if).
ERRORS_SUM = count_if(ERROR_SQL.format(a=""))
#: the cache hits of a group, counted with built-ins.
HITS_SUM = count_if("cache_status = 'HIT'")

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_STATUS_WORDS = {
    "ok": "({a}status BETWEEN 200 AND 299)",
    "success": "({a}status BETWEEN 200 AND 299)",
    "error": ERROR_SQL,
    "errors": ERROR_SQL,
    "failed": ERROR_SQL,
}
_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
_STATUS_ALLOWED = "an HTTP status (e.g. 429), a class (4xx, 5xx), 'ok' or 'error'"
_TIME_ALLOWED = (
    "an ISO date or time (2026-11-01, 2026-11-01T09:30Z), a Unix time, a datetime, or an age "
    "such as 30m, 24h, 7d, 2w"
)
_NO_PROPERTIES: Mapping[str, str] = MappingProxyType({})


def parse_time(value: TimeSpec, now: float, option: str = "since") -> str | None:
    """A time filter as the store's ISO text; ages (``"7d"``) count back from ``now``.

    >>> parse_time("1d", now=86400.0)
    '1970-01-01T00:00:00.000Z'
    >>> parse_time("2026-11-01", now=0.0)
    '2026-11-01T00:00:00.000Z'
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise OptionsError(option, value, _TIME_ALLOWED)
    if isinstance(value, (int, float)):
        return iso_from_epoch(float(value))
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return iso_from_epoch(stamp.timestamp())
    if isinstance(value, date):
        return iso_from_epoch(
            datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp()
        )
    if isinstance(value, str):
        return _parse_text(value, now, option)
    raise OptionsError(option, value, _TIME_ALLOWED)


def _parse_text(text: str, now: float, option: str) -> str:
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2).lower()
        return iso_from_epoch(now - amount * _UNITS[unit])
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise OptionsError(option, text, _TIME_ALLOWED) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return iso_from_epoch(parsed.timestamp())


def _status_sql(value: int | str, alias: str) -> tuple[str, list[Any]]:
    if isinstance(value, bool):
        raise OptionsError("status", value, _STATUS_ALLOWED)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        code = int(value)
        if not 0 <= code <= 599:
            raise OptionsError("status", value, _STATUS_ALLOWED)
        return f"{alias}status = ?", [code]
    word = value.strip().lower()
    if word in _STATUS_WORDS:
        return _STATUS_WORDS[word].format(a=alias), []
    match = _STATUS_CLASS.match(word)
    if match:
        low = int(match.group(1)) * 100
        return f"({alias}status BETWEEN ? AND ?)", [low, low + 99]
    raise OptionsError("status", value, _STATUS_ALLOWED)


def _properties(value: Mapping[str, str] | None) -> Mapping[str, str]:
    if not value:
        return _NO_PROPERTIES
    if not isinstance(value, Mapping):
        raise OptionsError("properties", value, "a mapping of property names to values")
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            raise OptionsError("properties", name, "non-empty property names")
        if not isinstance(item, str):
            raise OptionsError(f"properties[{name!r}]", item, "a string (values are strings)")
        out[name.strip().lower()] = item
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which requests a report looks at. Every field is optional; set ones are ANDed.

    * ``since`` / ``until``: ``created_at >= since`` and ``< until``; an ISO date or time, a
      Unix time, a ``datetime``, or an age counted back from now (``"30m"``, ``"24h"``,
      ``"7d"``, ``"2w"``).
    * ``model``, ``provider``, ``user``, ``session``, ``prompt_id``, ``prompt_version``:
      equality (``model`` is the model asked for, as logged).
    * ``cache_status``: equality with the logged ``Helicone-Cache`` value (``"HIT"``,
      ``"MISS"``).
    * ``status``: an HTTP status (``429``), a class (``"4xx"``), ``"ok"`` (2xx) or
      ``"error"`` (anything else, including 0: calls that never got an HTTP answer).
    * ``properties``: ``{"department": "cardiology", ...}``, every pair must match (names are
      case-insensitive, as Helicone stores them lowercased).

    Bad values raise :class:`helicone_lite.OptionsError` when the filter is built.
    """

    since: TimeSpec = None
    until: TimeSpec = None
    model: str | None = None
    provider: str | None = None
    user: str | None = None
    session: str | None = None
    status: int | str | None = None
    properties: Mapping[str, str] = field(default_factory=lambda: _NO_PROPERTIES)
    prompt_id: str | None = None
    prompt_version: int | None = None
    cache_status: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", _properties(self.properties))
        for name in ("model", "provider", "user", "session", "prompt_id", "cache_status"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise OptionsError(name, value, "a string")
        version = self.prompt_version
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise OptionsError("prompt_version", version, "a whole number")
        if self.status is not None:
            _status_sql(self.status, "")
        parse_time(self.since, 0.0, "since")
        parse_time(self.until, 0.0, "until")

    def where(
        self, now: float, *, alias: str = "", skip_property: str | None = None
    ) -> tuple[str, list[Any]]:
        """``(sql, params)``: the conditions joined by AND (``"1"`` when there are none).

        ``alias`` prefixes the column names (``"r."``); ``skip_property`` leaves out that
        property's condition (a report reading ``property_facts`` applies it itself).
        """
        clauses: list[str] = []
        params: list[Any] = []
        since = parse_time(self.since, now, "since")
        until = parse_time(self.until, now, "until")
        if since is not None:
            clauses.append(f"{alias}created_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append(f"{alias}created_at < ?")
            params.append(until)
        for column, value in (
            ("model", self.model),
            ("provider", self.provider),
            ("user_id", self.user),
            ("session_id", self.session),
            ("prompt_id", self.prompt_id),
            ("prompt_version", self.prompt_version),
            ("cache_status", self.cache_status),
        ):
            if value is not None:
                clauses.append(f"{alias}{column} = ?")
                params.append(value)
        if self.status is not None:
            sql, extra = self.status_where(alias)
            clauses.append(sql)
            params.extend(extra)
        for name, value in self.properties.items():
            if name == skip_property:
                continue
            clauses.append(
                f"{alias}id IN (SELECT id FROM property_facts WHERE name = ? AND value = ?)"
            )
            params.extend((name, value))
        return (" AND ".join(clauses) or "1 = 1"), params

    def status_where(self, alias: str = "") -> tuple[str, list[Any]]:
        """``(sql, params)`` of the status filter alone (``"1 = 1"`` without one): the same
        test on ``requests.status`` and on ``rollup_status.status``."""
        if self.status is None:
            return "1 = 1", []
        return _status_sql(self.status, alias)

    def first_property(self) -> tuple[str, str] | None:
        """One ``(name, value)`` property condition, if any (reports may read its facts)."""
        for item in self.properties.items():
            return item
        return None

    def describe(self) -> str:
        """A short human description (``model=gpt-4o, since 7d``), or ``""``."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("since", self.since),
                ("until", self.until),
                ("model", self.model),
                ("provider", self.provider),
                ("user", self.user),
                ("session", self.session),
                ("status", self.status),
                ("prompt", self.prompt_id),
                ("version", self.prompt_version),
                ("cache", self.cache_status),
            )
            if value is not None
        ]
        parts += [f"{name}={value}" for name, value in self.properties.items()]
        return ", ".join(parts)
