"""Differential parity: every case of ``parity_cases.py`` runs on ``openai.OpenAI`` and on
``helicone_lite.Client`` (and their async twins) against the same fake provider; a user sees
the same values, types, errors, reply headers, and the provider the same requests.

What is known to differ, on purpose, is listed in ``parity.KNOWN`` with the reason (and in the
README's "Differences from openai.OpenAI"); everything else must be equal.
"""

from __future__ import annotations

import re
from typing import Any

import openai
import pytest

from helicone_lite.testing import FakeProvider
from helicone_lite.testing.pytest_plugin import MakeAsyncClient, MakeClient

from .conftest import KEY
from .parity import KNOWN, Difference, differences, observe, unexpected
from .parity_cases import CASES

MODES = ("sync", "async")


def _sdk(fake: FakeProvider, mode: str) -> Any:
    cls = openai.OpenAI if mode == "sync" else openai.AsyncOpenAI
    return cls(api_key=KEY, base_url=fake.openai_base_url)


async def _close(client: Any) -> None:
    closed = client.close()
    if closed is not None:
        await closed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_user_sees_what_openai_gives(
    name: str, mode: str, fake: FakeProvider, make_client: MakeClient, make_aclient: MakeAsyncClient
) -> None:
    case = CASES[name]
    sdk = _sdk(fake, mode)
    try:
        theirs = await observe(case, sdk, fake)
    finally:
        await _close(sdk)
    ours = await observe(case, make_client() if mode == "sync" else make_aclient(), fake)
    assert theirs["requests"] or name == "error_refused", "the case reached the provider"
    found = unexpected(differences(ours, theirs))
    assert not found, "\n".join(found)


#: cases that show each KNOWN difference
_SHOWN_BY = ("chat_stream", "client_chat_raw", "retried_429_exhausted")


async def test_every_known_difference_is_still_there(
    fake: FakeProvider, make_client: MakeClient
) -> None:
    """A KNOWN entry that no case shows any more was fixed: drop it (and its README line)."""
    found: list[Difference] = []
    for name in _SHOWN_BY:
        sdk = _sdk(fake, "sync")
        try:
            theirs = await observe(CASES[name], sdk, fake)
        finally:
            await _close(sdk)
        found += differences(await observe(CASES[name], make_client(), fake), theirs)
    for pattern, applies, reason in KNOWN:
        shown = [d for d in found if re.fullmatch(pattern, d[0]) and applies(d[1], d[2])]
        assert shown, f"no case shows {pattern!r} any more ({reason})"
