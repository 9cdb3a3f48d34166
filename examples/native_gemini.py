"""Keep your google-genai code: swap ``genai.Client()`` for ``helicone_lite.Gemini()``.

``models.generate_content`` and ``generate_content_stream`` (and ``client.aio``) are logged,
cached, rate-limited and retried; ``Helicone-*`` headers (in ``http_options.headers`` or
``helicone=``) stay in the process. Reply headers are on ``response.sdk_http_response``.

    python examples/native_gemini.py
"""

import asyncio

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

client = helicone_lite.Gemini(helicone={"user_id": "dr-lee"})

response = client.models.generate_content(
    model="gemini-2.5-flash",
    contents="In one sentence: what is sepsis?",
    config={"http_options": {"headers": {"Helicone-Property-Feature": "glossary"}}},
)
print("generate:", response.text)

for attempt in ("first", "second"):  # the second is replayed from the cache
    chunks = list(
        client.models.generate_content_stream(
            model="gemini-2.5-flash",
            contents="List three signs of sepsis.",
            helicone={"cache_enabled": True},
        )
    )
    headers = chunks[0].sdk_http_response.headers
    print(f"{attempt} stream: {len(chunks)} chunks, Helicone-Cache {headers['Helicone-Cache']}")


async def main() -> None:
    answer = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="Hi")
    print("async:", answer.text)


asyncio.run(main())
client.flush()
print(f"\n{'kind':<26} {'stream':>6} {'cache':>5} {'tokens':>6} {'cost (USD)':>12}")
for row in client.store.query(
    "SELECT kind, stream, cache_status, total_tokens, cost_usd FROM requests ORDER BY created_at"
):
    cost = "-" if row["cost_usd"] is None else f"{row['cost_usd']:.8f}"
    print(
        f"{row['kind']:<26} {row['stream']:>6} {row['cache_status'] or '-':>5} "
        f"{row['total_tokens']:>6} {cost:>12}"
    )
client.close()
print(f"\nsee the log: {_offline.hint('requests')}")
