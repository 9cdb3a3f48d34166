"""The writer's row building takes shortcuts (issue 12, item 3); each gives what the long way
gave: statements, request bodies and prices."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from helicone_lite._cost import Usage, cost_of_counts, cost_usd
from helicone_lite.store._database import Database
from helicone_lite.store._errors import Reporter
from helicone_lite.store._json import JsonEncoder
from helicone_lite.store._request_row import _REQUEST_ENCODER, _jsonable
from helicone_lite.store._rows import RowPreparer, to_sql_value


class _Colour(str, enum.Enum):
    RED = "red"


class _Message(BaseModel):
    role: str
    content: str


def _preparer(tmp_path: Path) -> RowPreparer:
    columns = Database(tmp_path / "helicone.db", busy_timeout=5.0).initialize()
    return RowPreparer(columns, Reporter())


def test_a_shape_converts_odd_values_wherever_they_appear(tmp_path: Path) -> None:
    """RowPreparer checks a row's values in C after converting where earlier rows of its
    shape needed it: a value needing conversion at a new place is still converted."""
    preparer = _preparer(tmp_path)
    encode = JsonEncoder()
    at = datetime(2026, 12, 7, 2, 3, 4, 500000, tzinfo=timezone.utc)
    rows: list[dict[str, Any]] = [
        {"id": "a", "error": None, "prompt_inputs": None, "reply_headers": {"X": "1"}},
        {"id": "b", "error": None, "prompt_inputs": {"name": "Ada"}, "reply_headers": None},
        {"id": "c", "error": at, "prompt_inputs": None, "reply_headers": {"X": "2"}},
        {"id": "d", "error": _Colour.RED, "prompt_inputs": [1, 2], "reply_headers": ("t",)},
        {"id": "e", "error": "plain", "prompt_inputs": None, "reply_headers": None},
    ]
    statements = [preparer.prepare("requests", dict(row))[0] for row in rows]

    assert len({sql for sql, _ in statements}) == 1  # one shape, one plan
    for row, (_, params) in zip(rows, statements, strict=True):
        assert params == tuple(to_sql_value(value, encode) for value in row.values())
    assert statements[2][1][1] == "2026-12-07T02:03:04.500Z"
    assert statements[3][1][1] is _Colour.RED  # a str subclass is bound as it is
    assert statements[4][1] == ("e", "plain", None, None)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("gpt-4o", None),
        ("claude-3-5-sonnet-20241022", "anthropic"),
        ("gemini-1.5-pro", "google"),  # priced in tiers: genai-prices decides
        ("no-such-model-anywhere", "openai"),
        ("", "openai"),
    ],
)
def test_pricing_token_counts_is_pricing_a_usage(model: str, provider: str | None) -> None:
    for prompt, completion, cached, written in [
        (4, 5, 0, 0),
        (1_234, 567, 1_000, 0),
        (300_000, 10, 0, 20_000),
        (0, 9, 0, 0),
        (5, 1, 9, 0),  # more cached than prompt tokens: inconsistent, genai-prices judges
    ]:
        usage = Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            cache_write_tokens=written,
        )
        expected = cost_usd(model, provider, usage)
        assert cost_of_counts(model, provider, prompt, completion, cached, written) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": 'héllo ☃ \u2028 "q"'}]},
        {"model": "m", "temperature": 0.7, "top_p": float("nan"), "n": float("inf"), "seed": -1},
        {"model": "m", "stop": ("a", "b"), "logit_bias": {1: 2}, "tags": {"x"}, "blob": b"\x00"},
        {"model": "m", "messages": [_Message(role="user", content="hi")], "x": None, "y": True},
        {"model": "m", "tools": [{"type": "function", "function": {"parameters": {}}}], "z": []},
    ],
)
def test_the_request_body_is_json_dumps_text(params: dict[str, Any]) -> None:
    assert _REQUEST_ENCODER(params) == json.dumps(params, default=_jsonable)


def test_a_request_body_that_contains_itself_fails_to_encode() -> None:
    """``_computed`` stores NULL for it, as it did for json.dumps's ValueError."""
    params: dict[str, Any] = {"model": "m"}
    params["self"] = params
    with pytest.raises((ValueError, RecursionError)):
        _REQUEST_ENCODER(params)


@pytest.mark.parametrize(
    "rates",
    [
        ("0.150", "0.075", "0.150", "0.600"),  # gpt-4o-mini
        ("2.5", "1.25", "2.5", "10"),
        ("3", "0.3", "3.75", "15"),
        ("0.0375", "0.01875", "0.0375", "0.15"),
        ("1E+1", "0.000001", "1.23456789", "0.1"),
        ("0", "0", "0", "0"),
    ],
)
def test_linear_rates_in_integers_price_as_the_decimal_sum(rates: tuple[str, ...]) -> None:
    """The writer's integer sum gives the float the Decimal sum gives, to the last bit;
    rates without the integer form (and counts that are not ints) take the Decimal way."""
    import random
    from decimal import Decimal

    from helicone_lite._cost import _exact, _Rates

    uncached, read, write, output = (Decimal(rate) for rate in rates)
    exact = _exact(uncached, read, write, output)
    assert exact is not None
    fast = _Rates(uncached, read, write, output, exact)
    slow = _Rates(uncached, read, write, output, None)
    draw = random.Random(12).randrange
    counts = [(1234, 567, 0, 0), (0, 0, 0, 0), (10**15, 3, 10**14, 10**13)]
    for _ in range(3000):
        prompt = draw(10 ** draw(1, 10))
        cached, written = draw(prompt + 1), 0
        if draw(3) == 0:
            written = draw(prompt - cached + 1)
        counts.append((prompt, draw(10 ** draw(1, 8)), cached, written))
    for prompt, completion, cached, written in counts:
        figure = slow.price_counts(prompt, completion, cached, written)
        decimal_sum = uncached * (prompt - cached - written)
        decimal_sum += read * cached + write * written + output * completion
        assert figure == float(decimal_sum / 1_000_000)
        assert fast.price_counts(prompt, completion, cached, written) == figure
    assert fast.price_counts(5, 1, 9, 0) is None  # inconsistent: genai-prices judges
    for rates_of in (fast, slow):  # not an int: the Decimal way, which refuses a float
        with pytest.raises(TypeError):
            rates_of.price_counts(10, 2.0, 0, 0)  # type: ignore[arg-type]
    assert _exact(uncached, read, Decimal("NaN"), output) is None
