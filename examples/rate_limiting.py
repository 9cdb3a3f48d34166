"""Rate limits and budgets, as the seed article writes them:

* "100;w=3600;s=user"              100 requests per user per hour
* "500;w=86400;u=cents;s=user"     $5 per user per day
* "5000;w=3600;s=property"         5000 requests per hour per department

Runs offline against the built-in fake provider when no OPENAI_API_KEY is set:
    python examples/rate_limiting.py
"""

import os

import _offline  # fake provider when no OPENAI_API_KEY is set
import openai

import helicone_lite

# as written for Helicone (OpenAI(...) with only the class renamed): calls go to each provider
# directly, with its own key; the Helicone key never leaves the process
client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", api_key=os.getenv("HELICONE_API_KEY"))
question = [{"role": "user", "content": "What is diabetes?"}]


def ask(**headers: str) -> None:
    try:
        r = client.chat.completions.create(
            model="gpt-4o-mini", messages=question, max_tokens=200, extra_headers=headers
        )
    except openai.RateLimitError as e:  # a refused call never reaches the provider
        h = e.response.headers
        print(f"  429 {h['Helicone-RateLimit-Policy']}: retry after {h['Retry-After']} s")
        return
    h = r.headers
    print(
        f"  200 {h['Helicone-RateLimit-Policy']}: {h['Helicone-RateLimit-Remaining']} of "
        f"{h['Helicone-RateLimit-Limit']} left, full again in {h['Helicone-RateLimit-Reset']} s"
    )


print("3 requests per user per hour (the seed's 100, made small): Alice's 4th is refused")
for _ in range(4):
    ask(**{"Helicone-RateLimit-Policy": "3;w=3600;s=user", "Helicone-User-Id": "alice"})
print("Bob has his own bucket")
ask(**{"Helicone-RateLimit-Policy": "3;w=3600;s=user", "Helicone-User-Id": "bob"})

print("$5 per user per day: each call reserves its worst case, then pays its real cost")
for _ in range(2):
    ask(**{"Helicone-RateLimit-Policy": "500;w=86400;u=cents;s=user", "Helicone-User-Id": "p-7829"})
print("both limits at once: every policy must admit; the tightest one answers in the headers")
ask(
    **{
        "Helicone-RateLimit-Policy": "3;w=3600;s=user, 500;w=86400;u=cents;s=user",
        "Helicone-User-Id": "p-7829",
    }
)

print("5000 requests per hour per department")
for department in ("cardiology", "oncology", "cardiology"):
    ask(
        **{
            "Helicone-RateLimit-Policy": "5000;w=3600;s=property",
            "Helicone-Property-Department": department,
        }
    )

print("a per-user policy without a user is a mistake, reported before any call")
try:
    ask(**{"Helicone-RateLimit-Policy": "100;w=3600;s=user"})
except helicone_lite.OptionsError as e:
    print(f"  OptionsError: {e}")

client.flush()
print("the log: refused calls are there with status 429")
for row in client.store.query(
    "SELECT user_id, status, rate_limited FROM requests ORDER BY created_at"
):
    print(" ", row)
print(f"live buckets: {_offline.hint('limits')}   (reset: {_offline.hint('limits reset --all')})")
