"""The multi-provider example and the demo's comparison run offline and price all three."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_multi_provider_example_runs_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), HELICONE_LITE_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "multi_provider.py")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT / "examples",
    ).stdout
    table, _, hint = out.split("cost (USD)")[1].strip().partition("\n\n")
    table = table.splitlines()
    see, *rest = hint.strip().splitlines()
    assert see == f"see the log: helicone-lite --home {tmp_path} requests"
    # examples/_offline.py checks at exit that the Helicone key never reached a provider
    assert rest == ["(offline: 3 provider requests, none carried the Helicone key)"]
    assert [line.split()[0] for line in table] == ["openai", "anthropic", "gemini"]
    assert all(float(line.split()[-1]) > 0 for line in table)


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
