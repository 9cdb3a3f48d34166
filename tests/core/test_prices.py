"""Your own prices: Client(prices=...), <home>/prices.json, `helicone-lite reprice`, and
`helicone-lite costs` saying "unknown" (never $0) for unpriced rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.cli import main
from helicone_lite.testing import FakeProvider, Reply

from .conftest import KEY, MESSAGES, rows

PRICES = {
    "my-finetune-*": {"input": 2.0, "cached_input": 0.5, "output": 8.0},
    "flat-model": {"request": 0.01},
    "gpt-4o-mini": {"input": 1.0, "output": 1.0},  # wins over genai-prices
}


def _client(fake: FakeProvider, home: Path, **kwargs: object) -> helicone_lite.Client:
    return helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home, **kwargs)


def test_client_prices_win_and_match_globs(fake: FakeProvider, home: Path) -> None:
    fake.script(
        "my-finetune-*",
        Reply(prompt_tokens=1_000_000, cached_tokens=400_000, completion_tokens=500_000),
    )
    fake.script("gpt-4o-mini", Reply(prompt_tokens=1_000_000, completion_tokens=1_000_000))
    client = _client(fake, home, prices=PRICES)
    client.chat.completions.create(model="my-finetune-v2", messages=MESSAGES)
    client.responses.create(model="flat-model", input="hi")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="unknown-llm", messages=MESSAGES)
    costs = [r["cost_usd"] for r in rows(client)]
    assert costs[0] == pytest.approx(0.6 * 2.0 + 0.4 * 0.5 + 0.5 * 8.0)
    assert costs[1] == pytest.approx(0.01)
    assert costs[2] == pytest.approx(2.0)
    assert costs[3] is None  # unknown stays unknown
    client.close()


def test_model_override_chooses_the_name_priced(fake: FakeProvider, home: Path) -> None:
    fake.script("local-*", Reply(prompt_tokens=1_000_000, completion_tokens=0))
    client = _client(fake, home, prices=PRICES)
    client.chat.completions.create(
        model="local-llama",
        messages=MESSAGES,
        extra_headers={"Helicone-Model-Override": "my-finetune-a"},
    )
    [row] = rows(client)
    assert row["cost_usd"] == pytest.approx(2.0)
    client.close()


def test_the_price_file_in_the_home(fake: FakeProvider, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "prices.json").write_text(json.dumps({"house-*": {"input": 3, "output": 3}}))
    fake.script("house-*", Reply(prompt_tokens=500_000, completion_tokens=500_000))
    client = _client(fake, home, prices={"house-special": {"input": 1, "output": 1}})
    client.chat.completions.create(model="house-blend", messages=MESSAGES)
    client.chat.completions.create(model="house-special", messages=MESSAGES)
    assert [r["cost_usd"] for r in rows(client)] == [pytest.approx(3.0), pytest.approx(1.0)]
    client.close()


@pytest.mark.parametrize(
    ("prices", "option"),
    [
        ({"m": {"input": -1}}, "prices['m'].input"),
        ({"m": {"inptu": 1}}, "prices['m'].inptu"),
        ({"m": 3}, "prices['m']"),
        ([1], "prices"),
    ],
)
def test_bad_prices_fail_at_construction(
    fake: FakeProvider, home: Path, prices: object, option: str
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        _client(fake, home, prices=prices)
    assert info.value.option == option
    assert fake.requests == []


def test_reprice_and_costs_show_unknown(
    fake: FakeProvider, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("house-*", Reply(prompt_tokens=1_000_000, completion_tokens=0))
    client = _client(fake, home)
    client.chat.completions.create(model="house-blend", messages=MESSAGES)
    client.chat.completions.create(model="house-blend", messages=MESSAGES)
    client.flush()
    assert main(["--home", str(home), "costs"]) == 0
    captured = capsys.readouterr()  # piped: the table on stdout, the warning on stderr
    assert "house-blend" in captured.out and "unknown cost" not in captured.out
    assert "2 requests of unknown cost" in captured.err
    assert main(["--home", str(home), "costs", "--json"]) == 0
    assert '"unpriced": 2' in capsys.readouterr().out
    (home / "prices.json").write_text(json.dumps({"house-*": {"input": 1.5, "output": 1}}))
    assert main(["--home", str(home), "reprice", "--dry-run"]) == 0
    assert "would change 2 rows" in capsys.readouterr().out
    assert rows(client)[0]["cost_usd"] is None
    assert main(["--home", str(home), "reprice"]) == 0
    assert "changed 2 rows; 0 rows still of unknown cost" in capsys.readouterr().out
    assert [r["cost_usd"] for r in rows(client)] == [pytest.approx(1.5)] * 2
    assert main(["--home", str(home), "costs"]) == 0
    captured = capsys.readouterr()
    assert "unknown cost" not in captured.err and "$3.00" in captured.out
    client.close()
