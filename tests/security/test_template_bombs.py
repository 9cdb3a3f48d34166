"""Chaos: template bombs (issue 13, finding 10).

The sandbox checked ``*`` and ``**`` only; ``~``, ``+``, ``center(10**9)``, ``format`` widths,
integer chains, nested loops and ``lipsum(10**6)`` built 1 to 1.6 GB strings or ran 23 to 40 s.
Each must now stop with a clear PromptError, before the value is built (so each test finishes
at once, with little memory), and a call using such a prompt reaches no provider.
"""

from __future__ import annotations

import resource
from typing import Any

import pytest

import helicone_lite
from helicone_lite.prompts import PromptError, PromptRegistry
from helicone_lite.prompts._bounds import MAX_CHARS, MAX_STEPS
from helicone_lite.prompts._template import compile_text, new_sandbox, render_text
from helicone_lite.testing import FakeProvider

from .conftest import MESSAGES, rows

BOMBS = {
    "concat doubling": "{% set s = 'x' * 1000 %}"
    + "".join("{% set s = s ~ s %}" for _ in range(25))
    + "{{ s }}",
    "plus doubling": "{% set s = 'x' * 1000 %}"
    + "".join("{% set s = s + s %}" for _ in range(25))
    + "{{ s }}",
    "list plus": "{% set l = [1] * 1000 %}" + "".join("{% set l = l + l %}" for _ in range(25)),
    "center": "{{ 'x' | center(10 ** 9) }}",
    "center literal": "{{ 'x' | center(1000000000) }}",
    "indent": "{{ ('a\\n' * 99999) | indent(100000) }}",
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "percent star": "{{ '%*s' % (1000000000, 'x') }}",
    "format filter": "{{ '%1000000000d' | format(1) }}",
    "str.format width": "{{ '{:>1000000000}'.format('x') }}",
    "str.format nested": "{{ '{:>{w}}'.format('x', w=1000000000) }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "zfill": "{{ '1'.zfill(1000000000) }}",
    "expandtabs": "{{ ('\\t' * 99999).expandtabs(100000) }}",
    "replace": "{{ ('a' * 99999) | replace('a', 'b' * 99999) }}",
    "str.replace": "{{ ('a' * 99999).replace('a', 'b' * 99999) }}",
    "join": "{{ (['x' * 99999] * 99999) | join }}",
    "str.join": "{{ ''.join(['x' * 99999] * 99999) }}",
    "integer chain": "{% set n = 2 ** 1000 %}"
    + "".join("{% set n = n * n %}" for _ in range(30))
    + "{{ n }}",
    "power tower": "{{ (10 ** 1000) ** 1000 }}",
    "lipsum": "{{ lipsum(1000000) }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% endfor %}{% endfor %}",
    "macro fan-out": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
    "{% endmacro %}{{ f(40) }}",
    "output flood": "{% for i in range(99999) %}{{ 'y' * 99999 }}{% endfor %}",
}


@pytest.fixture
def memory_cap() -> Any:
    """Cap the address space so a bomb that slipped through fails fast instead of swapping."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = 4 << 30  # generous for the interpreter and its libraries
    resource.setrlimit(
        resource.RLIMIT_AS, (used if hard == resource.RLIM_INFINITY else min(used, hard), hard)
    )
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("name", list(BOMBS))
def test_template_bombs_stop_with_a_prompt_error(name: str, memory_cap: Any) -> None:
    env = new_sandbox()
    template = compile_text(env, BOMBS[name], "prompt 'bomb' version 1", "messages[0].content")
    assert not isinstance(template, str)
    with pytest.raises(PromptError) as info:
        render_text(template, {}, "prompt 'bomb' version 1")
    message = str(info.value)
    assert "prompt 'bomb' version 1" in message
    assert any(
        word in message for word in ("longer than", "bits", "steps", "lipsum", "widths", "power")
    )


def test_a_slow_template_stops_at_the_time_bound() -> None:
    ticks = iter(range(10**9))

    def clock() -> float:  # every read is one second later: the bound is hit at once
        return float(next(ticks))

    env = new_sandbox()
    template = compile_text(env, "{% for i in range(10) %}{{ i }}{% endfor %}", "p", "m")
    assert not isinstance(template, str)
    with pytest.raises(PromptError, match="longer than 2 s"):
        render_text(template, {}, "p", clock=clock)


def test_templates_within_the_bounds_still_render() -> None:
    env = new_sandbox()
    for text, expected_length in [
        ("{{ 'x' | center(1000) }}", 1000),
        ("{{ lipsum(3, html=False) | length > 0 }}", 4),
        ("{% for i in range(1000) %}{{ i % 10 }}{% endfor %}", 1000),
        ("{{ 'ab' ~ 'cd' ~ 'ef' }}", 6),
        ("{{ '%5s|' % 'x' }}", 6),
        ("{{ (2 ** 100) * (2 ** 100) > 0 }}", 4),
    ]:
        template = compile_text(env, text, "p", "m")
        assert not isinstance(template, str)
        assert len(render_text(template, {}, "p")) == expected_length, text
    assert MAX_CHARS >= 1_000_000 and MAX_STEPS >= 100_000


def test_a_registry_prompt_bomb_fails_before_the_provider(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    client.prompts.create(
        "bomb", messages=[{"role": "system", "content": BOMBS["concat doubling"]}]
    )
    with pytest.raises(PromptError, match="longer than"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Prompt-Id": "bomb"}
        )
    assert fake.requests == []  # the call is logged as an error row, nothing was sent
    (row,) = rows(client)
    assert "longer than" in str(row["error"])


def test_auto_recorded_prompts_are_literal_text(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    """Messages of a tagged call are end-user text: recorded as literal text, never run as a
    template (``{{ 7 * 7 }}`` used to render as ``49`` on the next use)."""
    tricky = [
        {"role": "user", "content": "Compute {{ 7 * 7 }} and {% for i in range(3) %}x{% endfor %}"}
    ]
    client.chat.completions.create(
        model="gpt-4o-mini", messages=tricky, extra_headers={"Helicone-Prompt-Id": "free-text"}
    )
    registry: PromptRegistry = client.prompts
    version = registry.get("free-text")
    messages, _ = registry.compiled(version).render({})
    assert messages[0]["content"] == tricky[0]["content"]
