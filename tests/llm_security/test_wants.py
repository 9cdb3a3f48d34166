"""The security layer's ``wants`` (asked on every call) agrees with the detectors' own test of
the options, for every combination of the four screening options and for other call kinds."""

from __future__ import annotations

import itertools

from helicone_lite.options import Options
from helicone_lite.pipeline import Call
from helicone_lite.providers import ProviderRegistry
from helicone_lite.security._layer import Security, _wants

FLAGS = (
    "llm_security_enabled",
    "llm_security_advanced",
    "prompt_guard_enabled",
    "moderations_enabled",
)


def test_wants_matches_the_screening_the_options_ask_for() -> None:
    layer = Security(ProviderRegistry())
    asked = 0
    for values in itertools.product((None, False, True), repeat=len(FLAGS)):
        enabled, advanced, guard, moderations = values
        options = Options(
            llm_security_enabled=enabled,
            llm_security_advanced=advanced,
            prompt_guard_enabled=guard,
            moderations_enabled=moderations,
        )
        for kind in ("chat.completions", "embeddings"):
            call = Call(id="c", kind=kind, params={}, options=options, targets=(), origin=None)
            expected = kind == "chat.completions" and any(_wants(options))
            assert layer.wants(call) is expected, (kind, values)
            asked += expected
    assert asked > 0  # some combinations do ask for screening
