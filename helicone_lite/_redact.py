"""Secret redaction: a leaf module (imports nothing of the package) shared by the recorder,
the cache, fallback trails and the OpenTelemetry exporter.

Two strengths:

* :func:`redact_body` (request and response bodies, message content): the key formats of every
  built-in provider and of common services (``sk-…`` for OpenAI, Anthropic ``sk-ant-…``,
  DeepSeek, OpenRouter ``sk-or-…``; Groq ``gsk_…``; Gemini ``AIza…``; Together ``tgp_v1_…``;
  xAI, Hugging Face, Fireworks, Replicate, Perplexity, NVIDIA, GitHub, GitLab, Slack, AWS access
  key ids, Google OAuth ``ya29.…``, JWTs), ``Bearer …`` tokens, and the value after a
  credential-like name (``api_key=…``, ``"x-api-key": "…"``, ``Authorization: …``,
  ``password: …``).
* :func:`redact` (error messages, warnings, trails): all of the above, plus anything that looks
  like a long secret: 32 or more hex digits (Azure and Together keys), or a run of 40 or more
  token characters mixing upper case, lower case and digits. UUIDs are kept (request ids).

Bodies do not get the long-secret rule because it would also blank base64 images and hashes
users store on purpose. The patterns are linear-time (no nested quantifiers): a 1 MB body costs
one pass. See docs/security.md.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact", "redact_body"]

REDACTED = "[REDACTED]"

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

# Each pattern starts with a literal, so ``re`` finds candidates with its fast literal search
# (a pattern opening with a look-behind or an alternation is checked at every position: 50x
# slower on a 1 kB body). That the match does not start inside a longer word is checked after.
_PREFIXED = tuple(
    re.compile(pattern)
    for pattern in (
        r"sk-[A-Za-z0-9_\-]{8,}",  # OpenAI, Anthropic sk-ant-, DeepSeek, OpenRouter sk-or-
        r"pk-[A-Za-z0-9_\-]{8,}",
        r"rk-[A-Za-z0-9_\-]{8,}",
        r"sk_(?:live|test)_[A-Za-z0-9]{8,}",
        r"rk_(?:live|test)_[A-Za-z0-9]{8,}",
        r"gsk_[A-Za-z0-9_\-]{16,}",  # Groq
        r"tgp_v1_[A-Za-z0-9_\-]{16,}",  # Together
        r"xai-[A-Za-z0-9_\-]{16,}",  # xAI
        r"hf_[A-Za-z0-9_\-]{16,}",  # Hugging Face
        r"fw_[A-Za-z0-9_\-]{16,}",  # Fireworks
        r"r8_[A-Za-z0-9_\-]{16,}",  # Replicate
        r"pplx-[A-Za-z0-9_\-]{16,}",  # Perplexity
        r"nvapi-[A-Za-z0-9_\-]{16,}",  # NVIDIA
        r"gh[pousr]_[A-Za-z0-9_\-]{16,}",  # GitHub
        r"github_pat_[A-Za-z0-9_\-]{16,}",
        r"glpat-[A-Za-z0-9_\-]{16,}",  # GitLab
        r"xox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack
        r"AIza[0-9A-Za-z_\-]{30,}",  # Google / Gemini
        r"ya29\.[0-9A-Za-z_\-.]{20,}",  # Google OAuth access token
        r"AKIA[0-9A-Z]{16}(?![0-9A-Za-z])",  # AWS access key id
        r"ASIA[0-9A-Z]{16}(?![0-9A-Za-z])",
        r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",  # JWT
        r"Bearer\s+[A-Za-z0-9._~+/=\-]{6,}",
    )
)
# A credential-like name, its separator, its value. Matched on the lower-cased text (the same
# positions for ASCII text) and tried only when a trigger occurs: ``token`` alone would fire on
# every ``max_tokens``.
_TRIGGERS = (
    "key", "ss_token", "ss-token", "sh_token", "sh-token", "th_token", "th-token",
    "secret", "passw", "authoriz",
)  # fmt: skip
_NAMED_SOURCE = (
    r"(?:(?:x-goog-|x-)?api[-_]?key|access[-_]token|refresh[-_]token|auth[-_]token"
    r"|client[-_]secret|secret[-_]key|password|passwd|authorization)"
    r"\\?[\"']?\s*[:=]\s*\\?[\"']?"
    r"(?P<value>(?:basic|bearer|token)\s+[^\s\"'\\&,;}]+|[^\s\"'\\&,;}]{6,})"
)
_NAMED = re.compile(_NAMED_SOURCE)
_NAMED_ANY_CASE = re.compile(_NAMED_SOURCE, re.IGNORECASE)
_LONG = re.compile(r"[A-Za-z0-9_\-+/=]{32,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")


def _starts_a_token(match: re.Match[str]) -> bool:
    start = match.start()
    return start == 0 or match.string[start - 1] not in _TOKEN_CHARS


def _prefixed(match: re.Match[str]) -> str:
    return REDACTED if _starts_a_token(match) else match.group()


def _named(match: re.Match[str]) -> str:
    return match.group()[: match.start("value") - match.start()] + REDACTED


def _redact_named(text: str) -> str:
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        return text
    if not text.isascii():  # lower() may change lengths: match the text itself
        return _NAMED_ANY_CASE.sub(_named, text)
    pieces: list[str] = []
    done = 0
    for match in _NAMED.finditer(lowered):
        pieces.append(text[done : match.start("value")])
        pieces.append(REDACTED)
        done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _long(match: re.Match[str]) -> str:
    start = match.start()
    if start and match.string[start - 1] in "+/=":
        return match.group()
    return REDACTED if _looks_secret(match.group()) else match.group()


def _looks_secret(run: str) -> bool:
    core = run.strip("-_+/=")
    if _UUID.fullmatch(core):
        return False
    if _HEX.fullmatch(core):
        return True
    if len(core) < 40:
        return False
    return (
        any(c.isupper() for c in core)
        and any(c.islower() for c in core)
        and any(c.isdigit() for c in core)
    )


def redact_body(text: str) -> str:
    """Blank out keys, bearer tokens and credential values (for stored bodies and content).

    >>> redact_body('{"api_key": "abc123456", "note": "keep me"}')
    '{"api_key": "[REDACTED]", "note": "keep me"}'
    """
    for pattern in _PREFIXED:
        text = pattern.sub(_prefixed, text)
    return _redact_named(text)


def redact(text: str) -> str:
    """Blank out keys, bearer tokens, credential values and long secrets (for errors, logs).

    >>> redact("401: invalid key gsk_" + "a1B2" * 12 + " for Authorization: Bearer xyz123456")
    '401: invalid key [REDACTED] for Authorization: [REDACTED]'
    """
    return _LONG.sub(_long, redact_body(text))
