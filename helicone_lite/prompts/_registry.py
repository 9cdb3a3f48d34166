"""The prompt registry: versioned templates, environments, deployments, in the store.

Writes are synchronous (``store.transaction()``: ``BEGIN IMMEDIATE``, so two processes never
hand out the same version number); reads go through this thread's connection. Versions are
immutable, so they are cached in memory; environment pointers are read every time, so a
``deploy``/``rollback`` (from any process) applies to the very next call.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..store import utcnow_iso
from ._errors import PromptError, PromptNotFoundError
from ._models import (
    AUTO,
    LRU,
    Deployment,
    Head,
    Prompt,
    PromptVersion,
    Resolved,
    VersionStats,
    check_environment,
    check_prompt_id,
    check_version,
    prepare_content,
    thaw,
)
from ._sql import (
    DEPLOYMENT_COLUMNS,
    HEAD,
    VERSION_COLUMNS,
    deployment_of,
    insert_version,
    move_pointer,
    replay,
    version_of,
)
from ._stats import version_stats

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from ..store import Store
    from ._compiled import CompiledPrompt

__all__ = ["PRODUCTION", "PromptRegistry"]

PRODUCTION = "production"
_KEEP: Any = object()


class PromptRegistry:
    """Versioned prompt templates in a helicone_lite store.

    >>> registry = PromptRegistry(helicone_lite.Store(path))          # doctest: +SKIP
    >>> registry.create("triage", messages=[{"role": "system", "content": "Classify "
    ...     "{{hc:symptoms:string}}"}], model="gpt-4o-mini", temperature=0.1).version
    1
    >>> registry.deploy("triage", 1).environment                        # doctest: +SKIP
    'production'

    Which version a call uses: an explicit version; else the version an environment points at;
    else production's; else (nothing deployed to production) the latest version.
    """

    def __init__(
        self, store: Store, *, clock: Callable[[], float] = time.time, cache_size: int = 256
    ) -> None:
        self.store = store
        self._clock = clock
        self._sandbox: SandboxedEnvironment | None = None  # jinja2 is imported on first use
        self._versions: LRU[tuple[str, int], PromptVersion] = LRU(cache_size)
        self._compiled: LRU[tuple[str, int, str], CompiledPrompt] = LRU(cache_size)

    def __repr__(self) -> str:
        return f"<PromptRegistry {self.store!r}>"

    # --- writing versions -------------------------------------------------------------------

    def create(
        self,
        prompt_id: str,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        *,
        description: str | None = None,
        **params: Any,
    ) -> PromptVersion:
        """Store a new prompt; returns its version 1. PromptError if the id exists."""
        return self._create(prompt_id, messages, model, params, "api", description)

    def _create(
        self,
        prompt_id: str,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        params: Mapping[str, Any],
        source: str,
        description: str | None,
    ) -> PromptVersion:
        pid = check_prompt_id(prompt_id)
        content = self._content(pid, messages, model, params)
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM prompts WHERE id = ?", (pid,)).fetchone():
                raise PromptError(
                    f"prompt {pid!r} already exists; add a version with update()", "prompt_id", pid
                )
            return insert_version(conn, pid, content, source, self._now(), description)

    def update(
        self,
        prompt_id: str,
        messages: Sequence[Mapping[str, Any]] | None = None,
        model: str | None = _KEEP,
        *,
        description: str | None = None,
        **params: Any,
    ) -> PromptVersion:
        """A new immutable version: the latest one with these changes.

        Omitted ``messages``/``model`` are kept (``model=None`` removes the stored model);
        ``params`` are merged into the latest version's (a value of ``None`` removes one).
        Identical content creates nothing and returns the latest version.
        """
        return self._update(prompt_id, messages, model, params, "api", description, merge=True)

    def _update(
        self,
        prompt_id: str,
        messages: Sequence[Mapping[str, Any]] | None,
        model: str | None,
        params: Mapping[str, Any],
        source: str,
        description: str | None,
        *,
        merge: bool,
    ) -> PromptVersion:
        pid = check_prompt_id(prompt_id)
        latest = self.get(pid, version=self._latest(pid))
        merged = {**thaw(latest.params), **params} if merge else dict(params)
        content = self._content(
            pid,
            thaw(latest.messages) if messages is None else messages,
            latest.model if model is _KEEP else model,
            {k: v for k, v in merged.items() if v is not None},
        )
        with self.store.transaction() as conn:
            current = version_of(
                conn.execute(
                    f"SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = ? "
                    "ORDER BY version DESC LIMIT 1",
                    (pid,),
                ).fetchone()
            )
            if current.template_hash == content["hash"]:
                if description is not None:
                    conn.execute(
                        "UPDATE prompts SET description = ? WHERE id = ?", (description, pid)
                    )
                return current
            return insert_version(conn, pid, content, source, self._now(), description)

    def _content(
        self, pid: str, messages: Any, model: str | None, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate and compile (so a bad template is refused when stored, not when called)."""
        content = prepare_content(pid, messages, model, params)
        compiled = self._compile(f"prompt {pid!r}", content["messages"], content["params"])
        return {**content, "variables": compiled.variables}

    # --- environments -------------------------------------------------------------------------

    def deploy(self, prompt_id: str, version: int, environment: str = PRODUCTION) -> Deployment:
        """Point ``environment`` at ``version`` (recorded in the history). Deploying the version
        already there records nothing and returns the move that put it there."""
        pid, env = check_prompt_id(prompt_id), check_environment(environment)
        number = check_version(version)
        with self.store.transaction() as conn:
            if not conn.execute(
                "SELECT 1 FROM prompt_versions WHERE prompt_id = ? AND version = ?", (pid, number)
            ).fetchone():
                raise self._missing_version(pid, number)
            current = self._pointer(conn, pid, env)
            if current == number:
                last = conn.execute(
                    f"SELECT {DEPLOYMENT_COLUMNS} FROM prompt_deployments WHERE prompt_id = ? "
                    "AND environment = ? ORDER BY id DESC LIMIT 1",
                    (pid, env),
                ).fetchone()
                if last is not None:
                    return deployment_of(last)
            return move_pointer(conn, pid, env, (current, number), "deploy", self._now())

    def rollback(self, prompt_id: str, environment: str = PRODUCTION) -> Deployment:
        """Point ``environment`` back at the version it pointed to before its last deploy.
        Repeated rollbacks keep going back; PromptError when there is nothing earlier."""
        pid, env = check_prompt_id(prompt_id), check_environment(environment)
        with self.store.transaction() as conn:
            moves = conn.execute(
                "SELECT action, to_version FROM prompt_deployments WHERE prompt_id = ? "
                "AND environment = ? ORDER BY id",
                (pid, env),
            ).fetchall()
            stack = replay([(a, int(v)) for a, v in moves])
            if len(stack) < 2:
                raise PromptError(
                    f"prompt {pid!r}: {env!r} has no earlier version to roll back to",
                    "environment",
                    env,
                )
            current = self._pointer(conn, pid, env)
            return move_pointer(conn, pid, env, (current, stack[-2]), "rollback", self._now())

    def history(self, prompt_id: str, environment: str | None = None) -> builtins.list[Deployment]:
        """Every move of the prompt's environment pointers (or one environment's), oldest first."""
        pid = check_prompt_id(prompt_id)
        sql = f"SELECT {DEPLOYMENT_COLUMNS} FROM prompt_deployments WHERE prompt_id = ?"
        args: tuple[Any, ...] = (pid,)
        if environment is not None:
            sql, args = sql + " AND environment = ?", (pid, check_environment(environment))
        rows = self.store.connect().execute(sql + " ORDER BY id", args).fetchall()
        return [deployment_of(row) for row in rows]

    # --- reading ----------------------------------------------------------------------------

    def get(
        self, prompt_id: str, version: int | None = None, environment: str | None = None
    ) -> PromptVersion:
        """The version a call with these choices would use (see the class docstring)."""
        return self.resolve(prompt_id, version, environment).version

    def resolve(
        self, prompt_id: str, version: int | None = None, environment: str | None = None
    ) -> Resolved:
        """Like :meth:`get`, also saying which environment (if any) chose the version."""
        pid = check_prompt_id(prompt_id)
        if version is not None:
            return Resolved(self._version(pid, check_version(version)), None)
        env = check_environment(environment) if environment is not None else PRODUCTION
        head = self.head(pid, env)
        if head is None:
            raise PromptNotFoundError(f"prompt {pid!r} is not in the registry", "prompt_id", pid)
        if head.environment_version is not None:
            return Resolved(self._version(pid, head.environment_version), env)
        if environment is not None:
            deployed = ", ".join(sorted(self._environments(pid))) or "none"
            raise PromptNotFoundError(
                f"prompt {pid!r} has no version deployed to {env!r} (deployed: {deployed})",
                "prompt_environment",
                env,
            )
        return Resolved(self._version(pid, head.latest), None)

    def list(self) -> list[Prompt]:
        """Every prompt, by id."""
        conn = self.store.connect()
        pointers: dict[str, dict[str, int]] = {}
        for pid, env, number in conn.execute(
            "SELECT prompt_id, environment, version FROM prompt_environments ORDER BY environment"
        ):
            pointers.setdefault(pid, {})[env] = number
        rows = conn.execute(
            "SELECT p.id, p.description, p.created_at, p.updated_at, v.version, v.source "
            "FROM prompts p JOIN prompt_versions v ON v.prompt_id = p.id AND v.version = "
            "(SELECT MAX(version) FROM prompt_versions WHERE prompt_id = p.id) ORDER BY p.id"
        ).fetchall()
        return [
            Prompt(pid, latest, pointers.get(pid, {}), source, desc, created, updated)
            for pid, desc, created, updated, latest, source in rows
        ]

    def versions(self, prompt_id: str) -> builtins.list[PromptVersion]:
        """Every version of a prompt, oldest first."""
        pid = check_prompt_id(prompt_id)
        rows = self.store.connect().execute(
            f"SELECT {VERSION_COLUMNS} FROM prompt_versions WHERE prompt_id = ? ORDER BY version",
            (pid,),
        )
        found = [version_of(row) for row in rows]
        if not found:
            raise PromptNotFoundError(f"prompt {pid!r} is not in the registry", "prompt_id", pid)
        return found

    def stats(self, prompt_id: str) -> builtins.list[VersionStats]:
        """Per version, from the request log: calls, errors, cost, mean latency, mean scores.
        Flush the client first to include calls still queued for the writer."""
        return version_stats(self.store, check_prompt_id(prompt_id))

    # --- the call path (used by the prompts interceptor) --------------------------------------

    def head(self, prompt_id: str, environment: str = PRODUCTION) -> Head | None:
        """One cheap read: the latest version and where ``environment`` points."""
        row = self.store.connect().execute(HEAD, (prompt_id, environment)).fetchone()
        return None if row is None else Head(int(row[0]), row[1] or "api", row[2] or "", row[3])

    def compiled(self, version: PromptVersion) -> CompiledPrompt:
        """The version's templates, compiled once (cached: versions never change)."""
        key = (version.prompt_id, version.version, version.template_hash)
        found = self._compiled.get(key)
        if found is None:
            label = f"prompt {version.prompt_id!r} version {version.version}"
            # auto-recorded versions are end-user text from calls: literal, never templates
            literal = version.source == AUTO
            found = self._compile(label, version.messages, version.params, literal=literal)
            self._compiled.put(key, found)
        return found

    def _compile(
        self,
        label: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        literal: bool = False,
    ) -> CompiledPrompt:
        from ._compiled import CompiledPrompt
        from ._template import new_sandbox

        if self._sandbox is None:
            self._sandbox = new_sandbox()
        return CompiledPrompt(self._sandbox, label, messages, params, literal=literal)

    def record_auto(self, prompt_id: str, messages: builtins.list[Any], digest: str) -> int | None:
        """The version recorded for these call messages (source ``auto``): the existing one with
        the same content, else a new one. None if the prompt is managed (created by API/CLI)."""
        with self.store.transaction() as conn:
            head = conn.execute(HEAD, (prompt_id, PRODUCTION)).fetchone()
            if head is not None and head[1] != AUTO:
                return None
            same = conn.execute(
                "SELECT version FROM prompt_versions WHERE prompt_id = ? AND template_hash = ? "
                "ORDER BY version DESC LIMIT 1",
                (prompt_id, digest),
            ).fetchone()
            if same is not None:
                return int(same[0])
            content = {"messages": messages, "hash": digest}
            return insert_version(conn, prompt_id, content, AUTO, self._now()).version

    # --- helpers ------------------------------------------------------------------------------

    def _now(self) -> str:
        return utcnow_iso(self._clock)

    def _version(self, pid: str, number: int) -> PromptVersion:
        found = self._versions.get((pid, number))
        if found is not None:
            return found
        row = (
            self.store.connect()
            .execute(
                f"SELECT {VERSION_COLUMNS} FROM prompt_versions "
                "WHERE prompt_id = ? AND version = ?",
                (pid, number),
            )
            .fetchone()
        )
        if row is None:
            raise self._missing_version(pid, number)
        found = version_of(row)
        self._versions.put((pid, number), found)
        return found

    def _latest(self, pid: str) -> int:
        head = self.head(pid)
        if head is None:
            raise PromptNotFoundError(f"prompt {pid!r} is not in the registry", "prompt_id", pid)
        return head.latest

    def _missing_version(self, pid: str, number: int) -> PromptNotFoundError:
        head = self.head(pid)
        if head is None:
            return PromptNotFoundError(f"prompt {pid!r} is not in the registry", "prompt_id", pid)
        return PromptNotFoundError(
            f"prompt {pid!r} has no version {number} (versions 1 to {head.latest})",
            "prompt_version",
            number,
        )

    def _environments(self, pid: str) -> dict[str, int]:
        rows = self.store.connect().execute(
            "SELECT environment, version FROM prompt_environments WHERE prompt_id = ?", (pid,)
        )
        return {env: int(number) for env, number in rows}

    @staticmethod
    def _pointer(conn: Any, pid: str, env: str) -> int | None:
        row = conn.execute(
            "SELECT version FROM prompt_environments WHERE prompt_id = ? AND environment = ?",
            (pid, env),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])
