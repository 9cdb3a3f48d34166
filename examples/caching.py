"""The seed's caching example: "What is diabetes?" asked again and again costs once.

The first call goes to the provider (MISS) and is saved for 24 hours; the repeats are answered
from the local cache (HIT): no provider call, cost 0, each logged as its own row pointing at
the call it came from, so the money saved can be read from the log.

    python examples/caching.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite
from helicone_lite.cache import money_saved

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))


def ask_about_diabetes() -> None:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "What is diabetes?"}],
        max_tokens=200,
        temperature=0,  # deterministic responses
        extra_headers={
            "Helicone-Cache-Enabled": "true",
            "Cache-Control": "max-age=86400",  # 24 hours in seconds
        },
    )
    print(
        f"{response.headers['Helicone-Cache']:<4}  "
        f"{(response.choices[0].message.content or '')[:60]!r}"
        + (
            f"  (served in-process; the original call took "
            f"{response.headers['Helicone-Cache-Latency']} ms)"
            if response.headers["Helicone-Cache"] == "HIT"
            else ""
        )
    )


ask_about_diabetes()  # MISS: asks the provider, saves the answer
ask_about_diabetes()  # HIT: from the cache, no provider call, $0

client.flush()
print("\nthe log:")
for row in client.store.query(
    "SELECT cache_status, cost_usd, cache_reference_id FROM requests ORDER BY created_at"
):
    print(
        f"  {row['cache_status']:<4}  cost ${row['cost_usd'] or 0:.6f}  "
        f"served from: {row['cache_reference_id'] or '-'}"
    )
print(f"money saved so far: ${money_saved(client.store):.6f}")
print(f"(try: {_offline.hint('cache stats')})")
