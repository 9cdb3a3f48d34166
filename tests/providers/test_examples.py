"""The demo's comparison runs offline and prices all three providers (examples/multi_provider.py
runs, with its table checked, in tests/production/test_examples.py)."""

from __future__ import annotations

from pathlib import Path


def test_demo_compares_three_providers(home: Path) -> None:
    import helicone_lite
    from helicone_lite.cli import demo

    with demo._provider(live=False) as settings:
        fake = settings.pop("_fake")
        client = helicone_lite.Client(home=home, **settings)
        compared = demo._compare(client, fake)
    assert [model for model, _ in compared] == list(demo.COMPARE)
    rows = rows_of(client)
    assert [r["provider"] for r in rows] == ["openai", "anthropic", "gemini"]
    assert [r["response_model"] for r in rows] == [answered for _, answered in compared]
    assert all(r["cost_usd"] for r in rows)


def rows_of(client: object) -> list[dict[str, object]]:
    client.flush()  # type: ignore[attr-defined]
    rows: list[dict[str, object]] = client.store.query(  # type: ignore[attr-defined]
        "SELECT provider, response_model, cost_usd FROM requests "
        "WHERE json_extract(properties, '$.feature') = 'compare' ORDER BY created_at"
    )
    return rows
