"""Your own prices: a fine-tune, a self-hosted model and a negotiated rate, priced in the log.

Prices are US dollars per million tokens (``request`` per call), by model pattern; they win
over genai-prices. The same table can live in ``$HELICONE_LITE_HOME/prices.json``, and
``helicone-lite reprice`` prices stored rows again after it changes.

    python examples/custom_prices.py
"""

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)

import helicone_lite

client = helicone_lite.Client(
    prices={
        "ft:gpt-4o-mini:*": {"input": 0.30, "cached_input": 0.15, "output": 1.20},
        "llama-3.1-70b": {"input": 0.59, "output": 0.79, "request": 0.0001},
        "gpt-4o": {"input": 2.00, "output": 8.00},  # a negotiated rate
    }
)
for model in ("ft:gpt-4o-mini:acme:triage:abc123", "llama-3.1-70b", "gpt-4o", "my-local-model"):
    client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What is diabetes?"}]
    )

client.flush()
for row in client.store.query(
    "SELECT model, prompt_tokens, completion_tokens, cost_usd FROM requests"
):
    cost = "unknown" if row["cost_usd"] is None else f"${row['cost_usd']:.8f}"
    print(
        f"{row['model']:<36} {row['prompt_tokens']:>4} in {row['completion_tokens']:>4} out  {cost}"
    )
