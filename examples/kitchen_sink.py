"""The seed's kitchen-sink example: six features on one call.

Unchanged from the Helicone version but for the client line.
    python examples/kitchen_sink.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))

for attempt in range(2):
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "What is diabetes?"}],
        max_tokens=200,
        temperature=0,
        extra_headers={
            # Session tracing
            "Helicone-Session-Id": "kitchen-sink-001",
            "Helicone-Session-Path": "/demo",
            # User tracking
            "Helicone-User-Id": "demo-user",
            # Custom properties
            "Helicone-Property-Environment": "demo",
            "Helicone-Property-Feature": "kitchen-sink",
            # Caching
            "Helicone-Cache-Enabled": "true",
            "Cache-Control": "max-age=3600",
            # Rate limiting
            "Helicone-RateLimit-Policy": "100;w=3600;s=user",
            # Prompt versioning
            "Helicone-Prompt-Id": "diabetes-query-v1",
        },
    )
    print(
        f"call {attempt + 1}: cache={response.headers.get('Helicone-Cache')} "
        f"remaining={response.headers.get('Helicone-RateLimit-Remaining')} "
        f"id={response.headers['Helicone-Id']}"
    )
    print("   ", (response.choices[0].message.content or "")[:70])

client.flush()
for row in client.store.query(
    "SELECT session_path, user_id, cache_status, prompt_id, cost_usd FROM requests"
):
    print(row)
print(f"\nsee the log: {_offline.hint('requests')}")
