"""One client, three providers: the same question to an OpenAI, a Claude and a Gemini model,
every answer in OpenAI's schema, and the cost of each side by side.

Only the model string changes. Keys come from the usual variables (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY); with none set, everything runs offline
against the built-in fake provider.
    python examples/multi_provider.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set

import helicone_lite

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))
question = [{"role": "user", "content": "In two sentences: what is type 2 diabetes?"}]
models = ["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"]

for model in models:
    try:
        response = client.chat.completions.create(
            model=model,
            messages=question,
            max_tokens=200,
            extra_headers={"Helicone-Property-Comparison": "diabetes"},
        )
    except helicone_lite.ProviderNotConfigured as exc:  # e.g. no ANTHROPIC_API_KEY
        print(f"{model:<18} skipped: {exc}")
        continue
    print(f"{model:<18} -> {response.model}: {(response.choices[0].message.content or '')[:60]}")

client.flush()
print(f"\n{'provider':<10} {'model':<28} {'in':>6} {'out':>6} {'cost (USD)':>12}")
for row in client.store.query(
    "SELECT provider, response_model, prompt_tokens, completion_tokens, cost_usd "
    "FROM requests WHERE json_extract(properties, '$.comparison') = 'diabetes' "
    "ORDER BY created_at"
):
    cost = "-" if row["cost_usd"] is None else f"{row['cost_usd']:.8f}"
    print(
        f"{row['provider']:<10} {row['response_model']:<28} "
        f"{row['prompt_tokens']:>6} {row['completion_tokens']:>6} {cost:>12}"
    )
print(f"\nsee the log: {_offline.hint('requests')}")
