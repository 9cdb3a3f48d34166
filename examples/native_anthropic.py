"""Keep your anthropic code: swap ``anthropic.Anthropic()`` for ``helicone_lite.Anthropic()``.

Every ``messages.create`` / ``messages.stream`` is logged (tokens, cost, latency, user, session,
properties), cached, rate-limited and retried; ``Helicone-*`` headers stay in the process.
Reply headers (``Helicone-Cache``, ``Helicone-Id``) are on the raw response, as anthropic
exposes headers.

    python examples/native_anthropic.py
"""

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

client = helicone_lite.Anthropic(helicone={"user_id": "dr-lee", "session_id": "ward-rounds"})
question = [{"role": "user", "content": "In one sentence: what is sepsis?"}]

message = client.messages.create(
    model="claude-haiku-4-5",
    max_tokens=200,
    messages=question,
    extra_headers={"Helicone-Property-Feature": "glossary", "Helicone-Session-Path": "/define"},
)
print("create:", message.content[0].text)

for attempt in ("first", "second"):  # the second is answered from the cache
    raw = client.messages.with_raw_response.create(
        model="claude-haiku-4-5",
        max_tokens=200,
        messages=question,
        helicone={"cache_enabled": True},
    )
    print(f"{attempt} call: Helicone-Cache {raw.headers['Helicone-Cache']}")

with client.messages.stream(
    model="claude-haiku-4-5", max_tokens=200, messages=question, helicone={"cache_enabled": True}
) as stream:
    print("stream:", "".join(stream.text_stream))

print(
    "tokens counted:",
    client.messages.count_tokens(model="claude-haiku-4-5", messages=question).input_tokens,
)

client.flush()
print(f"\n{'kind':<40} {'status':>6} {'cache':>5} {'cost (USD)':>12}")
for row in client.store.query(
    "SELECT kind, status, cache_status, cost_usd FROM requests ORDER BY created_at"
):
    cost = "-" if row["cost_usd"] is None else f"{row['cost_usd']:.8f}"
    print(f"{row['kind']:<40} {row['status']:>6} {row['cache_status'] or '-':>5} {cost:>12}")
client.close()
print(f"\nsee the log: {_offline.hint('requests')}")
