"""``import helicone_lite`` loads openai (and what openai loads), the standard library and its
own core, nothing else: every layer's machinery (cache, rate limits, retries, prompts, provider
SDKs, pydantic models of its own, the dashboard, OpenTelemetry) loads with the first use, and
what a client needs only when built (options, settings, runtime, store) or called (endpoints,
the pipeline) with the first client or call.

Checked in fresh interpreters, from bytecode (a first run compiles it), by module names only:
the time it takes is the benchmarks' business (benchmarks/bench_overhead.py), not a test's.
"""

from __future__ import annotations

import compileall
import json
import subprocess
import sys
from pathlib import Path

import pytest

import helicone_lite

_LOADED = "import sys, json; import {name}; print(json.dumps(sorted(sys.modules)))"

#: helicone_lite modules that must not load with the package (each is a layer or its machinery)
_LAZY = (
    "helicone_lite.cache._layer",
    "helicone_lite.ratelimit",
    "helicone_lite.retry",
    "helicone_lite.prompts",
    "helicone_lite.security",
    "helicone_lite.alerts",
    "helicone_lite.dashboard",
    "helicone_lite.otel",
    "helicone_lite.cli",
    "helicone_lite.reports",
    "helicone_lite.providers.anthropic",
    "helicone_lite.providers.gemini",
    # what a client needs only when it is built or called: loads with the first client/call
    "helicone_lite.store",
    "helicone_lite.options",
    "helicone_lite.pipeline",
    "helicone_lite._endpoints",
    "helicone_lite.providers._gateway",
)


def _modules(name: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _LOADED.format(name=name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(out.stdout))


@pytest.fixture(scope="module")
def loaded() -> tuple[set[str], set[str]]:
    # Stale bytecode is compiled here, in-process (an interpreter less than a warm-up run):
    # the fresh interpreters below load .pyc files, so their module lists are import's own.
    compileall.compile_dir(str(Path(helicone_lite.__file__).parent), quiet=1)
    return _modules("openai"), _modules("helicone_lite")


def test_import_loads_no_third_party_package_beyond_openai(
    loaded: tuple[set[str], set[str]],
) -> None:
    openai_modules, ours = loaded
    tops = {name.partition(".")[0] for name in ours - openai_modules}
    foreign = sorted(
        top for top in tops if top != "helicone_lite" and top not in sys.stdlib_module_names
    )
    assert foreign == [], f"import helicone_lite loads third-party packages: {foreign}"


def test_layers_load_on_first_use(loaded: tuple[set[str], set[str]]) -> None:
    _, ours = loaded
    eager = sorted(m for m in ours if m.startswith(_LAZY))
    assert eager == [], f"import helicone_lite loads layer machinery: {eager}"


def test_public_names_and_a_client_still_load_on_first_use(tmp_path: Path) -> None:
    probe = (
        "import sys, helicone_lite\n"
        "from helicone_lite import Options, Settings, Store, Call, Interceptor\n"
        "assert 'helicone_lite.store' in sys.modules\n"
        f"c = helicone_lite.Client(api_key='k', home={str(tmp_path)!r})\n"
        "c.close()\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "ok"
