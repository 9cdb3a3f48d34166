"""Cost optimisation (part 3 of the seed series): caching, model routing, per-user budgets.
python examples/cost_optimization.py
"""

import os

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)

import helicone_lite

client = helicone_lite.Client(
    base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY")
)
question = [{"role": "user", "content": "What is the normal blood pressure range?"}]

for _ in range(2):  # 1. caching: the second call is free
    r = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=question,
        extra_headers={
            "Helicone-Cache-Enabled": "true",
            "Cache-Control": "max-age=86400",
            "Helicone-Property-Optimization": "caching",
        },
    )
    print("cache:", r.headers.get("Helicone-Cache"))

r = client.chat.completions.create(  # 2. model routing: the small model for simple questions
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Summarise: patient reports mild headache."}],
    extra_headers={"Helicone-Property-Optimization": "model-routing"},
)
r = client.chat.completions.create(  # 3. a $5/day budget per user
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Explain HbA1c."}],
    extra_headers={
        "Helicone-User-Id": "user_001",
        "Helicone-RateLimit-Policy": "500;w=86400;u=cents;s=user",
        "Helicone-Property-Optimization": "rate-limiting",
    },
)
print("budget left (cents):", r.headers.get("Helicone-RateLimit-Remaining"))
client.flush()
for row in client.store.query(
    "SELECT json_extract(properties, '$.optimization') AS strategy, count(*) AS calls, "
    "sum(cost_usd) AS cost FROM requests GROUP BY strategy ORDER BY strategy"
):
    print(row)
