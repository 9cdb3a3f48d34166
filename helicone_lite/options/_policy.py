"""The ``Helicone-RateLimit-Policy`` grammar, and which bucket segment a call falls in.

``<quota>;w=<seconds>[;u=request|cents|tokens][;s=user|<property>]``, case-insensitive, the
parameters in that order; several policies separated by ``,`` (every one must admit a call).
The keyword form also takes :class:`RateLimitPolicy` objects and mappings
(``{"quota": 100, "window": 3600, "segment": "user"}``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from .._errors import OptionsError

__all__ = [
    "MAX_WINDOW_SECONDS",
    "RateLimitPolicy",
    "RateUnit",
    "parse_policies",
    "policy_segment",
    "quota_text",
]

MAX_WINDOW_SECONDS = 365 * 24 * 3600
OPTION = "Helicone-RateLimit-Policy"

RateUnit = Literal["request", "cents", "tokens"]
_UNITS: Mapping[str, RateUnit] = {
    "request": "request",
    "requests": "request",
    "cents": "cents",
    "tokens": "tokens",
}
_SEGMENT = re.compile(r"^[a-z0-9_\-]+$")

_ALLOWED = (
    "'<quota>;w=<seconds>[;u=request|cents|tokens][;s=user|<property>]' (parameters in this "
    f"order) with a positive quota and a window from 1 to {MAX_WINDOW_SECONDS} seconds; several "
    "policies separated by ','"
)


def quota_text(value: float) -> str:
    """A quota as the policy grammar writes it (``100``, ``0.5``, never ``1e-07``)."""
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _problem(quota: float, window: int, unit: str, segment: str | None) -> str | None:
    """Why these values do not make a policy, or None when they do."""
    if not math.isfinite(quota) or quota <= 0:
        return f"a positive quota; {_ALLOWED}"
    if not 1 <= window <= MAX_WINDOW_SECONDS:
        return f"a window from 1 to {MAX_WINDOW_SECONDS} seconds (1 year)"
    if unit not in _UNITS.values():
        return "u=request, u=cents or u=tokens"
    if unit == "request" and quota < 1:
        return "a quota of at least 1 request (a smaller one would never admit a call)"
    if segment is not None and not _SEGMENT.match(segment):
        return "s=user or s=<property name> (letters, digits, '_' and '-')"
    return None


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """One ``quota;w=window;u=unit;s=segment`` policy.

    ``segment`` is ``None`` for one global bucket, ``"user"`` for per-user buckets, or the
    (lowercased) name of a property to segment by.

    >>> RateLimitPolicy(500, 86400, "cents", "user").normalised()
    '500;w=86400;u=cents;s=user'
    """

    quota: float
    window: int
    unit: RateUnit = "request"
    segment: str | None = None

    def __post_init__(self) -> None:
        problem = _problem(float(self.quota), int(self.window), self.unit, self.segment)
        if problem is not None or int(self.window) != self.window:
            raise OptionsError("RateLimitPolicy", self, problem or "a whole number of seconds")

    @property
    def rate(self) -> float:
        """Refill rate, in units per second."""
        return self.quota / self.window

    def normalised(self) -> str:
        """The canonical text form, as sent back in ``Helicone-RateLimit-Policy``."""
        text = f"{quota_text(self.quota)};w={self.window}"
        if self.unit != "request":
            text += f";u={self.unit}"
        return text + (f";s={self.segment}" if self.segment else "")


_POLICY = re.compile(
    r"^\s*(?P<quota>\d+(?:\.\d+)?)\s*;\s*w\s*=\s*(?P<window>\d+)"
    r"(?:\s*;\s*u\s*=\s*(?P<unit>[a-z]+))?"
    r"(?:\s*;\s*s\s*=\s*(?P<segment>[a-z0-9_\-]+))?\s*$",
    re.IGNORECASE,
)


def _build(
    quota: float, window: int, unit: str, segment: str | None, whole: object, option: str
) -> RateLimitPolicy:
    unit = _UNITS.get(unit.lower(), unit.lower())
    segment = segment.strip().lower() if segment else None
    problem = _problem(quota, window, unit, segment)
    if problem is not None:
        raise OptionsError(option, whole, problem)
    return RateLimitPolicy(quota, window, unit, segment)  # type: ignore[arg-type]


def _from_text(text: str, whole: object, option: str) -> RateLimitPolicy:
    m = _POLICY.match(text)
    if m is None:
        raise OptionsError(option, whole, _ALLOWED)
    return _build(
        float(m.group("quota")),
        int(m.group("window")),
        m.group("unit") or "request",
        m.group("segment"),
        whole,
        option,
    )


def _from_mapping(item: Mapping[object, object], whole: object, option: str) -> RateLimitPolicy:
    known = {"quota", "window", "w", "unit", "u", "segment", "s"}
    unknown = set(item) - known
    quota, window = item.get("quota"), item.get("window", item.get("w"))
    unit, segment = item.get("unit", item.get("u", "request")), item.get("segment", item.get("s"))
    numbers_ok = (
        isinstance(quota, (int, float))
        and not isinstance(quota, bool)
        and isinstance(window, int)
        and not isinstance(window, bool)
    )
    texts_ok = isinstance(unit, str) and (segment is None or isinstance(segment, str))
    if unknown or not numbers_ok or not texts_ok:
        raise OptionsError(
            option, whole, "{quota: number, window: seconds, unit?: str, segment?: str}"
        )
    return _build(float(quota), window, unit, segment, whole, option)  # type: ignore[arg-type]


def _one(part: object, whole: object, option: str) -> RateLimitPolicy:
    if isinstance(part, RateLimitPolicy):
        return part
    if isinstance(part, str) and part.strip():
        return _from_text(part, whole, option)
    if isinstance(part, Mapping):
        return _from_mapping(part, whole, option)
    raise OptionsError(option, whole, _ALLOWED)


def parse_policies(value: object, option: str = OPTION) -> tuple[RateLimitPolicy, ...]:
    """Parse one policy or several (every one must admit a call); duplicates are dropped.

    >>> [p.normalised() for p in parse_policies("100;W=3600;S=User, 500;w=86400;u=CENTS")]
    ['100;w=3600;s=user', '500;w=86400;u=cents']
    """
    parts: Sequence[object]
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, (RateLimitPolicy, Mapping)):
        parts = [value]
    elif isinstance(value, Sequence) and value:
        parts = value
    else:
        raise OptionsError(option, value, _ALLOWED)
    out: dict[RateLimitPolicy, None] = {}
    for part in parts:
        out[_one(part, value, option)] = None
    return tuple(out)


def policy_segment(
    policy: RateLimitPolicy,
    user_id: str | None,
    properties: Mapping[str, str],
    option: str = OPTION,
) -> tuple[str, str]:
    """The bucket segment ``(name, value)`` a call falls in: ``("", "")`` for the global bucket,
    ``("user", <user id>)``, or ``(<property name>, <its value>)``.

    ``s=property`` names a property literally called ``property``, else (as the seed article
    means it) the call's only property. Raises :class:`OptionsError` when the user id or the
    property is missing: helicone_lite never silently skips a limit.

    >>> policy_segment(parse_policies("5000;w=3600;s=property")[0], None, {"department": "x"})
    ('department', 'x')
    """
    name = policy.segment
    if name is None:
        return "", ""
    if name == "user":
        if not user_id:
            raise OptionsError(
                option,
                policy.normalised(),
                "s=user with a user id: set Helicone-User-Id "
                "(helicone={'user_id': ...}) or the request body's 'user'",
            )
        return "user", user_id
    if name == "property" and "property" not in properties:
        named = sorted(k for k, v in properties.items() if v)
        if len(named) == 1:
            return named[0], properties[named[0]]
        raise OptionsError(
            option,
            policy.normalised(),
            f"s=<property name> naming one of the call's properties {named} (s=property is "
            "ambiguous with several)"
            if named
            else "s=property with one property on the call "
            "(Helicone-Property-<Name>: value) to segment by",
        )
    value = properties.get(name)
    if not value:
        header = "Helicone-Property-" + name.title()
        raise OptionsError(
            option,
            policy.normalised(),
            f"s={name} with that property set on the call: {header} (or properties={{'{name}': "
            "...}})",
        )
    return name, value
