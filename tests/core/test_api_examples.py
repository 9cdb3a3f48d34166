"""The Responses, custom-prices and native-client examples run offline against the fake
provider."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _run(name: str, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), HELICONE_LITE_HOME=str(home))
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT / "examples",
    ).stdout


def test_responses_example(tmp_path: Path) -> None:
    out = _run("responses_api.py", tmp_path)
    assert "structured (HIT expected)" in out and "urgent=False" in out
    assert "'cache_status': 'HIT'" in out and "background: queued -> completed" in out


def test_custom_prices_example(tmp_path: Path) -> None:
    out = _run("custom_prices.py", tmp_path)  # one run, both priced models checked in it
    for model in ("ft:gpt-4o-mini:acme:triage:abc123", "llama-3.1-70b"):
        line = next(line for line in out.splitlines() if line.startswith(model))
        assert "$" in line, model
    assert next(line for line in out.splitlines() if line.startswith("my-local-model")).endswith(
        "unknown"
    )


def test_native_anthropic_example(tmp_path: Path) -> None:
    out = _run("native_anthropic.py", tmp_path)
    assert "first call: Helicone-Cache MISS" in out and "second call: Helicone-Cache HIT" in out
    assert "stream: echo:" in out and "anthropic POST /messages/count_tokens" in out


def test_native_gemini_example(tmp_path: Path) -> None:
    out = _run("native_gemini.py", tmp_path)
    assert "second stream: 5 chunks, Helicone-Cache HIT" in out and "async: echo: Hi" in out
    assert out.count("gemini.generate_content") == 4
