"""The public API, listed: a change to it is a deliberate change to this file.

Every public package has a docstring and an ``__all__`` whose names all resolve; everything
else is underscored. Also checks two layering rules (docs/architecture.md): no module imports
openai's private modules, and only the composition root and the clients import ``Runtime``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import helicone_lite

PUBLIC: dict[str, list[str]] = {
    "helicone_lite": [
        "AlertRule",
        "Anthropic",
        "AsyncAnthropic",
        "AsyncClient",
        "AsyncHeliconeStream",
        "Blocking",
        "CacheControl",
        "Call",
        "ChatCompletion",
        "Client",
        "ClientClosedError",
        "CreateEmbeddingResponse",
        "FallbackTarget",
        "Filters",
        "Flow",
        "Forward",
        "Gemini",
        "HeliconeLiteError",
        "HeliconeStream",
        "Interceptor",
        "Options",
        "OptionsError",
        "PassThrough",
        "PromptError",
        "PromptRegistry",
        "ProviderConfig",
        "ProviderNotConfigured",
        "RateLimitPolicy",
        "RawResponse",
        "Reports",
        "Result",
        "Settings",
        "Sleep",
        "Store",
        "StoreError",
        "StreamClosedEarly",
        "StreamObserver",
        "Target",
        "UnknownRequestError",
        "UnknownSessionError",
        "__version__",
        "current_scope",
        "properties",
        "scope",
        "session",
        "user",
    ],
    "helicone_lite.alerts": [
        "AlertEngine",
        "AlertEvent",
        "AlertRule",
        "Callback",
        "Log",
        "StoredAlert",
        "StoredEvent",
        "Webhook",
        "alert_events",
        "parse_seconds",
        "stored_alerts",
    ],
    "helicone_lite.cache": [
        "BackendStats",
        "CacheBackend",
        "DiskCacheBackend",
        "EVICTION_POLICIES",
        "RedisCacheBackend",
        "SAVED_SQL",
        "cache_report",
        "describe_backend",
        "money_saved",
        "open_backend",
    ],
    "helicone_lite.cli": ["COMMANDS", "main"],
    "helicone_lite.dashboard": [
        "create_app",
    ],
    "helicone_lite.native": ["Anthropic", "AsyncAnthropic", "Gemini"],
    "helicone_lite.options": [
        "CacheControl",
        "FallbackTarget",
        "OPTION_HEADERS",
        "Options",
        "RateLimitPolicy",
    ],
    "helicone_lite.otel": ["INSTALL_HINT", "OTelExporter", "session_span_id", "session_trace_id"],
    "helicone_lite.pipeline": [
        "Blocking",
        "Call",
        "Effect",
        "Flow",
        "Forward",
        "Interceptor",
        "PassThrough",
        "Result",
        "Sleep",
        "StreamObserver",
        "Target",
        "run_async",
        "run_sync",
    ],
    "helicone_lite.posthog_export": [
        "DEFAULT_EVENT",
        "DEFAULT_HOST",
        "PostHogExporter",
        "event_properties",
    ],
    "helicone_lite.security": [
        "DEFAULT_CLASSIFIER",
        "Detector",
        "LLAMA_GUARD_CATEGORIES",
        "LlmJudge",
        "ModerationDetector",
        "PromptGuardClassifier",
        "ScanContext",
        "Security",
        "SecurityNotConfigured",
        "Verdict",
        "judge_prompt",
        "transformers_available",
        "user_texts",
    ],
    "helicone_lite.tokenlimit": [
        "TokenLimit",
        "context_window",
        "estimate_tokens",
        "fit_middle_out",
        "fit_truncate",
    ],
    "helicone_lite.prompts": [
        "Deployment",
        "PRODUCTION",
        "Prompt",
        "PromptError",
        "PromptNotFoundError",
        "PromptRegistry",
        "PromptVersion",
        "Resolved",
        "VersionStats",
        "dump_prompt",
        "export_prompt",
        "import_prompt",
        "load_prompt",
    ],
    "helicone_lite.providers": [
        "Adapter",
        "DEFAULT_PROVIDERS",
        "ProviderConfig",
        "ProviderNotConfigured",
        "ProviderRegistry",
    ],
    "helicone_lite.ratelimit": [
        "BackendError",
        "Bucket",
        "BucketState",
        "Buckets",
        "Decision",
        "LEGACY_FILE",
        "LOCAL_FILE",
        "LocalBuckets",
        "local_buckets",
        "local_exists",
        "open_buckets",
    ],
    "helicone_lite.reports": [
        "BREAKDOWNS",
        "CacheSavings",
        "CostBucket",
        "FEEDBACK",
        "Filters",
        "GroupRow",
        "LatencyPercentiles",
        "ModelSavings",
        "PropertyName",
        "REQUEST_SORTS",
        "Reports",
        "RequestDetail",
        "RequestPage",
        "ScoreRow",
        "SessionNode",
        "SessionRequest",
        "SessionRow",
        "SessionTree",
        "ThreatRow",
        "UnknownRequestError",
        "UnknownSessionError",
        "UserRow",
        "feedback",
        "parse_time",
        "score",
        "scores_of",
        "session_feedback",
        "session_score",
        "to_jsonable",
    ],
    "helicone_lite.retry": ["Attempt", "Failure", "Fallback", "Retry", "failure_of"],
    "helicone_lite.store": [
        "MIGRATIONS",
        "SCHEMA_VERSION",
        "Store",
        "StoreError",
        "epoch_from_iso",
        "iso_from_epoch",
        "new_request_id",
        "rebuild_rollups",
        "utcnow_iso",
    ],
    "helicone_lite.testing": [
        "Clock",
        "FakeProvider",
        "Fault",
        "Outcome",
        "RecordedRequest",
        "Reply",
        "ToolCall",
        "estimate_tokens",
    ],
}
PACKAGE = Path(helicone_lite.__file__).parent


def _public_packages() -> list[str]:
    found = ["helicone_lite"]
    for module in pkgutil.iter_modules(helicone_lite.__path__):
        if module.ispkg and not module.name.startswith("_"):
            found.append(f"helicone_lite.{module.name}")
    return sorted(found)


def test_every_public_package_is_listed() -> None:
    assert sorted(PUBLIC) == _public_packages()


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_the_public_names_of_a_package(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring saying what it is for"
    assert sorted(module.__all__) == PUBLIC[name]
    for attribute in module.__all__:
        assert getattr(module, attribute) is not None, f"{name}.{attribute} does not resolve"


def test_no_module_imports_openais_private_modules() -> None:
    private = re.compile(r"^\s*(from|import)\s+openai\._", re.MULTILINE)
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if private.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_only_the_composition_root_and_the_clients_import_the_runtime() -> None:
    runtime = re.compile(r"^\s*from\s+\S*_runtime\s+import", re.MULTILINE)
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if runtime.search(path.read_text(encoding="utf-8"))
    )
    assert importers == [
        "_analytics.py",
        "_client_base.py",  # the clients' shared construction
        "native/_base.py",
        "pipeline/_invoke.py",
    ]
