"""The part-3 examples run offline (fake provider, local capture endpoint) and print what they
claim; each is run as a user would, in a subprocess, with no keys in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def run(name: str, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env = {k: v for k, v in env.items() if not k.startswith(("HELICONE_LITE_", "POSTHOG_"))}
    env.update(PYTHONPATH=str(ROOT), HELICONE_LITE_HOME=str(home))
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT / "examples",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_security_example(tmp_path: Path) -> None:
    out = run("security", tmp_path)
    assert "safe: passed" in out
    assert "injection: blocked: S15: Prompt Injection" in out
    assert "harmful: blocked: S2: Non-Violent Crimes" in out
    assert "'user_002', 'security_verdict': 'block'" in out


def test_cost_optimization_example(tmp_path: Path) -> None:
    out = run("cost_optimization", tmp_path)
    assert "cache: MISS\ncache: HIT" in out and "budget left (cents): 499" in out
    assert "'strategy': 'caching', 'calls': 2" in out


def test_posthog_example(tmp_path: Path) -> None:
    pytest.importorskip("posthog")
    out = run("posthog_analytics", tmp_path)
    assert "llm_report_generated user_12345 gpt-4o-mini" in out and "report-generation" in out


def test_multi_agent_example(tmp_path: Path) -> None:
    out = run("multi_agent", tmp_path)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    agents = {eval_row(line)["agent"]: eval_row(line)["calls"] for line in lines}
    assert agents == {
        "emergency-specialist": 1,
        "routine-specialist": 1,
        "report-generator": 2,
        "triage": 2,
    }


def eval_row(line: str) -> dict[str, object]:
    import ast

    value = ast.literal_eval(line)
    assert isinstance(value, dict)
    return value
