"""examples/caching.py runs offline and shows a MISS, then a HIT and the money saved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_caching_example_runs_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env["HELICONE_LITE_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "caching.py"],
        cwd=ROOT / "examples",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    statuses = [line.split()[0] for line in lines if line.startswith(("MISS", "HIT"))]
    assert statuses == ["MISS", "HIT"]
    saved = [line for line in lines if line.startswith("money saved")]
    assert saved and float(saved[0].split("$")[1]) > 0
