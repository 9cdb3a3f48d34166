"""The attribute mapping on its own, for what the merged layers do not produce yet (fallback
chains across providers) and for the edge cases of each column."""

from __future__ import annotations

from typing import Any

from helicone_lite import Call, Options, Target
from helicone_lite.otel._attributes import (
    helicone_attributes,
    provider_name,
    request_attributes,
)
from helicone_lite.otel._tree import SessionTree, ancestors, normal_path


class _Endpoint:
    """The part of the adapter interface the mapping reads: where a call is sent."""

    provider = "test"
    price_provider = None

    def __init__(self, url: str) -> None:
        self.url = url

    def endpoint(self, call: Call) -> str:
        return self.url


def _call(model: str, *targets: Target) -> Call:
    return Call(
        id="r-1",
        kind="chat.completions",
        params={"model": model, "messages": []},
        options=Options(),
        targets=targets,
        origin=None,
    )


def test_a_fallback_chain_reports_the_entry_that_answered() -> None:
    chain = _call(
        "gpt-4o/claude-sonnet-4",
        Target("openai", "gpt-4o", _Endpoint("https://api.openai.com/v1")),  # type: ignore[arg-type]
        Target("anthropic", "claude-sonnet-4-20250514", _Endpoint("https://api.anthropic.com")),  # type: ignore[arg-type]
    )
    row: dict[str, Any] = {"model": chain.model, "provider": "anthropic", "fallback_index": 1}
    attrs = request_attributes(chain, row)
    assert attrs["gen_ai.request.model"] == "claude-sonnet-4-20250514"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["helicone.model"] == "gpt-4o/claude-sonnet-4"
    assert attrs["server.address"] == "api.anthropic.com"
    assert attrs["server.port"] == 443


def test_a_single_target_keeps_the_model_as_asked() -> None:
    call = _call("gpt-4o", Target("openai", "gpt-4o", _Endpoint("http://user:pw@10.0.0.5:8000/v1")))  # type: ignore[arg-type]
    attrs = request_attributes(call, {"model": "gpt-4o", "provider": "openai"})
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert "helicone.model" not in attrs
    assert (attrs["server.address"], attrs["server.port"]) == ("10.0.0.5", 8000)
    assert "pw" not in str(attrs)  # credentials in a base URL are never exported


def test_provider_names_follow_the_conventions() -> None:
    assert provider_name("gemini") == "gcp.gemini"
    assert provider_name("azure") == "azure.ai.openai"
    assert provider_name("groq") == "groq"
    assert provider_name("my-vllm") == "my-vllm"
    assert provider_name(None) == "openai"


def test_helicone_columns() -> None:
    attrs = helicone_attributes(
        {
            "id": "r-1",
            "attempts": [{"status": 429}, {"status": 200}],
            "properties": {"Department": "cardiology", "n": 3},
            "prompt_id": "triage",
            "prompt_version": 2,
            "status": 200,
        },
        cost=None,
    )
    assert attrs["helicone.attempts"] == 2
    assert attrs["helicone.property.department"] == "cardiology"
    assert "helicone.property.n" not in attrs  # property values are strings
    assert (attrs["gen_ai.prompt.name"], attrs["gen_ai.prompt.version"]) == ("triage", "2")
    assert attrs["helicone.prompt.version"] == 2
    assert "helicone.cost_usd" not in attrs


def test_paths_and_the_tree() -> None:
    assert normal_path("triage//analysis/") == "/triage/analysis"
    assert normal_path(None) == "/"
    assert list(ancestors("/a/b/c")) == ["/a/b", "/a", "/"]
    assert list(ancestors("/")) == []
    tree: SessionTree[str] = SessionTree(max_entries=2)
    tree.remember("s", "/a", "span-a", started=10.0)
    assert tree.parent("s", "/a/b", started=9.0) is None  # started before its would-be parent
    assert tree.parent("s", "/a/b", started=11.0) == "span-a"
    tree.remember("s", "/a", "span-a-older", started=5.0)  # out of order: the later one stays
    assert tree.parent("s", "/a/b", started=11.0) == "span-a"
    tree.remember("t", "/x", "x", started=1.0)
    tree.remember("u", "/y", "y", started=1.0)
    assert len(tree) == 2  # bounded: the least recently used session path is forgotten
    assert tree.parent("s", "/a/b", started=11.0) is None
