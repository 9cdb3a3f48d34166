"""Child-process bodies for the scale-out test: one "machine" each (its own home)."""

from __future__ import annotations

from typing import Any

import openai

import helicone_lite

KEY = "sk-test-scale-0123456789"
POLICY = "15;w=3600;s=user"


def machine(
    number: int,
    home: str,
    database: str,
    redis: str,
    base_url: str,
    calls: int,
    user: str,
    results: Any,
) -> None:
    """Make ``calls`` calls as ``user`` in one shared session; report (admitted, limited)."""
    client = helicone_lite.Client(
        api_key=KEY, base_url=base_url, home=home, database_url=database, redis_url=redis
    )
    admitted = limited = 0
    for i in range(calls):
        try:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"m{number} call {i}"}],
                extra_headers={
                    "Helicone-User-Id": user,
                    "Helicone-Session-Id": "s-shared",
                    "Helicone-Session-Path": f"/triage/m{number}",
                    "Helicone-Prompt-Id": "triage",
                    "Helicone-RateLimit-Policy": POLICY,
                },
            )
            admitted += 1
        except openai.RateLimitError:
            limited += 1
    client.close()
    results.put((number, admitted, limited))


def deploy(home: str, database: str, results: Any) -> None:
    """Machine 0 publishes version 2 of the prompt to production."""
    client = helicone_lite.Client(
        api_key=KEY, base_url="http://127.0.0.1:9/v1", home=home, database_url=database
    )
    client.prompts.update("triage", messages=[{"role": "system", "content": "v2"}])
    results.put(client.prompts.deploy("triage", 2).to_version)
    client.close()
