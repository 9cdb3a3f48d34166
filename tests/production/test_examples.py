"""Every example of parts 1-3 of the seed series runs offline (fake provider, local capture
endpoint) and prints what it claims; each is run as a user would, in a subprocess, with no keys
in the environment. Each builds its client as the seed does, with only the class renamed:
``helicone_lite.Client(base_url="https://ai-gateway.helicone.ai",
api_key=os.getenv("HELICONE_API_KEY"))``; examples/_offline.py sets a Helicone key and fails the
run at exit if any request the fake provider received carried it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


#: the examples' clients run on a clock that starts here and moves 1 ms per read
#: (examples/_offline.py): nothing they print depends on how long a call took
FROZEN = "1800000000"


def run(name: str, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env = {k: v for k, v in env.items() if not k.startswith(("HELICONE_LITE_", "POSTHOG_"))}
    env.update(PYTHONPATH=str(ROOT), HELICONE_LITE_HOME=str(home))
    env.update(HELICONE_LITE_EXAMPLE_CLOCK=FROZEN)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT / "examples",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "none carried the Helicone key" in done.stdout  # checked by _offline at exit
    return done.stdout


LITERAL = (
    'helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", '
    'api_key=os.getenv("HELICONE_API_KEY"))'
)
SERIES = (  # part 1, part 2, part 3
    "triage_assistant",
    "multi_provider",
    "session_tracing",
    "caching",
    "rate_limiting",
    "retry_fallback",
    "kitchen_sink",
    "security",
    "cost_optimization",
    "posthog_analytics",
    "multi_agent",
)


@pytest.mark.parametrize("name", SERIES)
def test_every_series_example_builds_its_client_as_the_seed_does(name: str) -> None:
    source = (ROOT / "examples" / f"{name}.py").read_text()
    flat = re.sub(r"\(\s+", "(", re.sub(r",?\s*\)", ")", re.sub(r",\s+", ", ", source)))
    assert LITERAL in flat, name
    assert flat.count("helicone_lite.Client(") == 1, name


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in SERIES
        if n not in ("security", "cost_optimization", "posthog_analytics", "multi_agent")
    ],
)
def test_part1_and_part2_examples_run_offline(name: str, tmp_path: Path) -> None:
    out = run(name, tmp_path)
    assert "(offline: using the fake provider" in out
    if name == "multi_provider":  # its table: each provider answered and was priced
        table = out.split("cost (USD)")[1].strip().partition("\n\n")[0].splitlines()
        assert [line.split()[0] for line in table] == ["openai", "anthropic", "gemini"]
        assert all(float(line.split()[-1]) > 0 for line in table)
        assert f"see the log: helicone-lite --home {tmp_path} requests" in out
        assert "(offline: 3 provider requests, none carried the Helicone key)" in out
    if name == "caching":  # a MISS, then a HIT and the money it saved
        lines = out.splitlines()
        statuses = [line.split()[0] for line in lines if line.startswith(("MISS", "HIT"))]
        assert statuses == ["MISS", "HIT"]
        saved = [line for line in lines if line.startswith("money saved")]
        assert saved and float(saved[0].split("$")[1]) > 0


def test_security_example(tmp_path: Path) -> None:
    out = run("security", tmp_path)
    assert "safe: passed" in out
    assert "injection: blocked: S15: Prompt Injection" in out
    assert "harmful: blocked: S2: Non-Violent Crimes" in out
    assert "'user_002', 'security_verdict': 'block'" in out


def test_cost_optimization_example(tmp_path: Path) -> None:
    out = run("cost_optimization", tmp_path)
    assert "cache: MISS\ncache: HIT" in out
    # the call costs ~0.001 cents of the 500-cent daily budget; on the injected clock a few
    # milliseconds pass while it runs, whatever the load (in real time a call slower than
    # ~0.2 s refilled it to 500: the old flake)
    assert "budget left (cents): 499\n" in out
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
