"""The filters of a page, read from and written back to its URL.

Every page takes the CLI's filters as query parameters (``model``, ``provider``, ``status``,
``user``, ``session``, ``prompt``, ``version``, ``cache``, ``prop=name=value`` (repeatable),
``range`` (a preset) or ``since``/``until``), so a filtered view is a link to share.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

from .._errors import OptionsError
from ..reports import Filters

__all__ = ["RANGES", "ViewParams", "month_start", "today_start"]

#: time-range presets: label and the ``since`` they mean ("" = no lower bound).
RANGES: Mapping[str, str] = {
    "1h": "1h",
    "24h": "24h",
    "7d": "7d",
    "30d": "30d",
    "90d": "90d",
    "all": "",
}
DEFAULT_RANGE = "7d"
_SIMPLE = ("model", "provider", "status", "user", "session", "prompt", "cache")
_KEEP = (*_SIMPLE, "version", "range", "since", "until")


def month_start(now: float) -> float:
    """00:00 UTC on the first day of ``now``'s month, as epoch seconds."""
    day = datetime.fromtimestamp(now, timezone.utc)
    return float(calendar.timegm((day.year, day.month, 1, 0, 0, 0)))


def today_start(now: float) -> float:
    return float(int(now // 86400) * 86400)


@dataclass(frozen=True)
class ViewParams:
    """A page's filter parameters: the values kept in its URL and the Filters they make."""

    values: tuple[tuple[str, str], ...]
    filters: Filters
    range: str

    @classmethod
    def parse(cls, query: Mapping[str, str], props: Iterable[str]) -> ViewParams:
        """From the query string (``props``: every ``prop`` value). OptionsError on bad input."""
        values: list[tuple[str, str]] = []
        for name in _KEEP:
            text = (query.get(name) or "").strip()
            if text:
                values.append((name, text))
        properties: dict[str, str] = {}
        for item in props:
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise OptionsError("prop", item, "name=value (e.g. department=cardiology)")
            properties[name.strip().lower()] = value
            values.append(("prop", f"{name.strip().lower()}={value}"))
        found = dict(values)
        chosen = found.get("range", "" if "since" in found else DEFAULT_RANGE)
        if chosen and chosen not in RANGES and chosen != "custom":
            raise OptionsError("range", chosen, ", ".join([*RANGES, "custom"]))
        since = found.get("since") if chosen in ("", "custom") else RANGES.get(chosen) or None
        version = found.get("version")
        if version is not None and not version.isdigit():
            raise OptionsError("version", version, "a prompt version number")
        filters = Filters(
            since=since,
            until=found.get("until") if chosen in ("", "custom") else None,
            model=found.get("model"),
            provider=found.get("provider"),
            user=found.get("user"),
            session=found.get("session"),
            status=found.get("status"),
            prompt_id=found.get("prompt"),
            prompt_version=int(version) if version is not None else None,
            cache_status=found.get("cache"),
            properties=properties,
        )
        return cls(tuple(values), filters, chosen or "custom")

    def get(self, name: str) -> str:
        return next((v for k, v in self.values if k == name), "")

    @property
    def props(self) -> list[str]:
        return [v for k, v in self.values if k == "prop"]

    def query(self, **changes: object) -> str:
        """This query string with ``changes`` (a value of None or "" removes the name)."""
        kept = [(k, v) for k, v in self.values if k not in changes]
        for name, value in changes.items():
            if value is not None and value != "":
                kept.append((name, str(value)))
        return urlencode(kept)

    def without(self, name: str, value: str | None = None) -> str:
        """This query string without ``name`` (or without only its ``value``)."""
        kept = [(k, v) for k, v in self.values if k != name or (value is not None and v != value)]
        return urlencode(kept)

    def active(self) -> list[tuple[str, str]]:
        """The filters a user set (for the chips above a page), time range aside."""
        return [(k, v) for k, v in self.values if k not in ("range", "since", "until")]

    def scoped(self, since: float) -> Filters:
        """These filters from a fixed start (epoch seconds) instead of the chosen range."""
        return dataclasses.replace(self.filters, since=since, until=None)
