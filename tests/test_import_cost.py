"""``import helicone_lite`` loads the standard library and its own core, nothing else (openai
loads with the first use of ``helicone_lite.Client``; tests/cli/test_startup.py checks that the
command line never loads it): every layer's machinery (cache, rate limits, retries, prompts, provider
SDKs, pydantic models of its own, the dashboard, OpenTelemetry) loads with the first use, and
what a client needs only when built (options, settings, runtime, store) or called (endpoints,
the pipeline) with the first client or call.

Checked in one fresh interpreter (tests/conftest.py's ``fresh_import``, shared with the other
import probes), from bytecode (a first run compiles it), by module names only:
the time it takes is the benchmarks' business (benchmarks/bench_overhead.py), not a test's.
"""

from __future__ import annotations

import sys

import pytest

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


@pytest.fixture
def loaded(fresh_import: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    """The modules of a fresh interpreter after ``import openai``, then ``import helicone_lite``
    (tests/conftest.py's probe)."""
    return fresh_import["openai"], fresh_import["helicone_lite"]


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


def test_public_names_and_a_client_still_load_on_first_use(
    fresh_import: dict[str, set[str]],
) -> None:
    # the probe imported Options, Settings, Store, Call and Interceptor from helicone_lite
    # (a failing import would have failed it), then built and closed a client
    assert "helicone_lite.store" not in fresh_import["helicone_lite"]
    assert "helicone_lite.store" in fresh_import["public names"]
    runtime = "helicone_lite.pipeline._runtime"  # the composition root: with the first client
    assert runtime not in fresh_import["public names"] and runtime in fresh_import["client"]
