"""SQL of the prompt tables (schema: docs/schema.md) and row -> value conversions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._models import Deployment, PromptVersion, freeze

if TYPE_CHECKING:
    from ..store._engine import Connection

__all__ = [
    "DEPLOYMENT_COLUMNS",
    "HEAD",
    "VERSION_COLUMNS",
    "deployment_of",
    "insert_version",
    "move_pointer",
    "replay",
    "version_of",
]

VERSION_COLUMNS = (
    "prompt_id, version, messages, model, params, variables, template_hash, source, created_at"
)
DEPLOYMENT_COLUMNS = "id, prompt_id, environment, from_version, to_version, action, created_at"

#: latest version (number, source, hash) and where ``environment`` points, in one read.
HEAD = """
SELECT v.version, v.source, v.template_hash,
       (SELECT e.version FROM prompt_environments e
        WHERE e.prompt_id = ?1 AND e.environment = ?2)
FROM prompt_versions v WHERE v.prompt_id = ?1 ORDER BY v.version DESC LIMIT 1
"""


def version_of(row: Sequence[Any]) -> PromptVersion:
    pid, version, messages, model, params, variables, digest, source, created = row
    return PromptVersion(
        prompt_id=pid,
        version=int(version),
        messages=freeze(json.loads(messages or "[]")),
        model=model,
        params=freeze(json.loads(params or "{}")),
        variables=freeze(json.loads(variables or "{}")),
        template_hash=digest or "",
        source=source or "api",
        created_at=created,
    )


def deployment_of(row: Sequence[Any]) -> Deployment:
    rid, pid, env, from_version, to_version, action, created = row
    return Deployment(
        prompt_id=pid,
        environment=env,
        from_version=from_version,
        to_version=to_version,
        action=action,
        created_at=created,
        id=rid,
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # key order kept: role before content


def insert_version(
    conn: Connection,
    prompt_id: str,
    content: dict[str, Any],
    source: str,
    now: str,
    description: str | None = None,
) -> PromptVersion:
    """Add the next version (inside the caller's transaction); the prompt row if missing."""
    conn.execute(
        "INSERT INTO prompts (id, created_at, updated_at, description) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, "
        "description = COALESCE(excluded.description, prompts.description)",
        (prompt_id, now, now, description),
    )
    (latest,) = conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM prompt_versions WHERE prompt_id = ?", (prompt_id,)
    ).fetchone()
    row = (
        prompt_id,
        int(latest) + 1,
        _json(content["messages"]),
        content.get("model"),
        _json(content.get("params") or {}),
        _json(content.get("variables") or {}),
        content["hash"],
        source,
        now,
    )
    conn.execute(f"INSERT INTO prompt_versions ({VERSION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", row)
    return version_of(row)


def move_pointer(
    conn: Connection,
    prompt_id: str,
    environment: str,
    moves: tuple[int | None, int],
    action: str,
    now: str,
) -> Deployment:
    """Point ``environment`` at ``moves[1]`` and record the move (caller's transaction)."""
    before, after = moves
    conn.execute(
        "INSERT INTO prompt_environments (prompt_id, environment, version, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(prompt_id, environment) DO UPDATE SET "
        "version = excluded.version, updated_at = excluded.updated_at",
        (prompt_id, environment, after, now),
    )
    cursor = conn.execute(
        "INSERT INTO prompt_deployments (prompt_id, environment, from_version, to_version, "
        "action, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (prompt_id, environment, before, after, action, now),
    )
    (deployment_id,) = cursor.fetchone()
    conn.execute("UPDATE prompts SET updated_at = ? WHERE id = ?", (now, prompt_id))
    return Deployment(
        prompt_id, environment, before, after, action, now, int(deployment_id)
    )


def replay(moves: Sequence[tuple[str, int]]) -> list[int]:
    """The stack of versions an environment went through, undone by rollbacks.

    >>> replay([("deploy", 1), ("deploy", 2), ("deploy", 3), ("rollback", 2)])
    [1, 2]
    """
    stack: list[int] = []
    for action, version in moves:
        if action == "rollback" and stack:
            stack.pop()
        if not stack or stack[-1] != version:
            stack.append(version)
    return stack
