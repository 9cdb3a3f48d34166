"""``helicone-lite prompts``: the prompt registry from the shell.

helicone-lite prompts list
helicone-lite prompts show ID [--version V | --env E] [--json]
helicone-lite prompts versions ID
helicone-lite prompts diff ID V1 V2
helicone-lite prompts deploy ID V [--env E]
helicone-lite prompts rollback ID [--env E]
helicone-lite prompts history ID [--env E]
helicone-lite prompts export ID [--version V | --env E] > triage.prompt.json
helicone-lite prompts import triage.prompt.json [--deploy E]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import CliError, open_store
from ._output import Column, Output, add_output, safe_text

if TYPE_CHECKING:
    from ..prompts import PromptRegistry, PromptVersion, VersionStats

__all__ = ["register"]

Handler = Callable[["PromptRegistry", argparse.Namespace], int]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prompts",
        help="versioned prompt templates: list, show, diff, deploy, rollback, export, import",
        description="The prompt registry: versions are immutable, environments point at them.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    parser.set_defaults(handler=lambda args: _usage(parser))

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        sub.set_defaults(handler=lambda args: _run(handler, args))
        return sub

    add_output(add("list", _list, "every prompt: latest version, environments"))
    show = add("show", _show, "one version: model, parameters, variables, messages")
    _id(show)
    _choice(show)
    show.add_argument("--json", action="store_true")
    versions = add("versions", _versions, "every version with its calls, errors, cost, scores")
    _id(versions)
    add_output(versions)
    diff = add("diff", _diff, "what changed between two versions (unified diff)")
    _id(diff)
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)
    deploy = add("deploy", _deploy, "point an environment at a version")
    _id(deploy)
    deploy.add_argument("version", type=int)
    deploy.add_argument("--env", default="production", help="default: production")
    rollback = add("rollback", _rollback, "point an environment back at its previous version")
    _id(rollback)
    rollback.add_argument("--env", default="production", help="default: production")
    history = add("history", _history, "every move of the environment pointers, with time")
    _id(history)
    history.add_argument("--env", help="only this environment")
    add_output(history)
    export = add("export", _export, "write a version as a JSON file (stdout by default)")
    _id(export)
    _choice(export)
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    imp = add("import", _import, "store a prompt file; a new version only if it changed")
    imp.add_argument("file", help="a file written by export ('-' for stdin)")
    imp.add_argument("--deploy", metavar="ENV", help="then deploy the version to ENV")


def _id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt_id", metavar="ID")


def _choice(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--version", type=int, help="this version")
    group.add_argument("--env", help="the version this environment points at")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _run(handler: Handler, args: argparse.Namespace) -> int:
    from ..prompts import PromptError, PromptRegistry
    from ..store import StoreError

    creates = handler is _import  # the only action that may start a store
    try:
        return handler(PromptRegistry(open_store(args, create=creates)), args)
    except (PromptError, StoreError, OSError) as exc:
        raise CliError(str(exc)) from exc


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


# --- reading ---------------------------------------------------------------------------------


def _list(registry: PromptRegistry, args: argparse.Namespace) -> int:
    prompts = registry.list()
    rows = [
        {
            "id": p.id,
            "latest": p.latest_version,
            "environments": ", ".join(f"{e}=v{v}" for e, v in p.environments.items()),
            "source": p.source,
            "updated": p.updated_at,
            "description": p.description or "",
        }
        for p in prompts
    ]
    Output.from_args(args).rows(_LIST, rows, title="Prompts")
    return 0


def _when(value: Any) -> str:
    return "" if not value else str(value).replace("T", " ")[:19]


_LIST = (
    Column("id", kind="id"),
    Column("latest", kind="number"),
    Column("environments", drop=2),
    Column("source", drop=3),
    Column("updated", kind="time", fmt=_when, drop=1),
    Column("description", drop=4),
)
_VERSIONS = (
    Column("version", "v", kind="number"),
    Column("created_at", "created", kind="time", fmt=_when),
    Column("source", drop=3),
    Column("environments", "env"),
    Column("calls", kind="number"),
    Column("error_rate", "errors", kind="number", fmt=lambda v: "" if v is None else f"{v:.0%}"),
    Column("cost_usd", "cost", kind="number", fmt=lambda v: "" if v is None else f"${v:.4f}"),
    Column(
        "mean_latency_ms",
        "latency",
        kind="number",
        fmt=lambda v: "" if v is None else f"{v:.0f} ms",
        drop=2,
    ),
    Column("scores", fmt=lambda v: ", ".join(f"{k}={x:.2g}" for k, x in (v or {}).items()), drop=1),
)
_HISTORY = (
    Column("time", kind="time", fmt=_when),
    Column("environment", kind="id"),
    Column("action", kind="id"),
    Column("from", kind="number"),
    Column("to", kind="number"),
)


def _text(version: PromptVersion) -> list[str]:
    """A version as readable lines (what show prints and diff compares)."""
    lines = [f"model: {safe_text(version.model or '(from the call)')}"]
    data = version.to_dict()
    for name, value in sorted(data["params"].items()):
        lines.append(f"{safe_text(name)}: {json.dumps(value)}")
    for index, message in enumerate(data["messages"]):
        lines.append(f"--- messages[{index}] ({safe_text(message.get('role'))})")
        content = message.get("content")
        if isinstance(content, str):
            lines.extend(safe_text(line) for line in content.splitlines() or [""])
        else:
            lines.append(json.dumps(content))
    return lines


def _show(registry: PromptRegistry, args: argparse.Namespace) -> int:
    resolved = registry.resolve(args.prompt_id, args.version, args.env)
    version = resolved.version
    if args.json:
        _dump(version.to_dict())
        return 0
    pointers = next(p.environments for p in registry.list() if p.id == version.prompt_id)
    deployed = [env for env, number in pointers.items() if number == version.version]
    print(
        f"prompt {safe_text(version.prompt_id)} version {version.version} "
        f"({safe_text(version.source)}, {version.created_at})"
    )
    print(f"deployed to: {safe_text(', '.join(deployed)) or 'no environment'}")
    variables = ", ".join(f"{n}: {t}" for n, t in version.variables.items())
    print(f"inputs: {safe_text(variables) or 'none'}")
    print("\n".join(_text(version)))
    return 0


def _stats_row(version: PromptVersion, stats: VersionStats | None, envs: str) -> dict[str, Any]:
    latency = stats.mean_latency_ms if stats else None
    return {
        "version": version.version,
        "created_at": version.created_at,
        "source": version.source,
        "model": version.model,
        "environments": envs,
        "calls": stats.calls if stats else 0,
        "errors": stats.errors if stats else 0,
        "error_rate": stats.error_rate if stats else None,
        "cost_usd": stats.cost_usd if stats else None,
        "mean_latency_ms": None if latency is None else round(latency, 1),
        "scores": dict(stats.scores) if stats else {},
    }


def _versions(registry: PromptRegistry, args: argparse.Namespace) -> int:
    versions = registry.versions(args.prompt_id)
    stats = {s.version: s for s in registry.stats(args.prompt_id)}
    pointers = next(p.environments for p in registry.list() if p.id == versions[0].prompt_id)
    rows = [
        _stats_row(
            v,
            stats.get(v.version),
            ", ".join(e for e, n in pointers.items() if n == v.version),
        )
        for v in versions
    ]
    Output.from_args(args).rows(_VERSIONS, rows, title=f"Versions of {versions[0].prompt_id}")
    return 0


def _diff(registry: PromptRegistry, args: argparse.Namespace) -> int:
    old = registry.get(args.prompt_id, version=args.v1)
    new = registry.get(args.prompt_id, version=args.v2)
    lines = difflib.unified_diff(
        _text(old),
        _text(new),
        f"{safe_text(old.prompt_id)} v{old.version}",
        f"{safe_text(new.prompt_id)} v{new.version}",
        lineterm="",
    )
    text = "\n".join(lines)
    print(text if text else f"versions {old.version} and {new.version} are identical")
    return 0


def _history(registry: PromptRegistry, args: argparse.Namespace) -> int:
    moves = registry.history(args.prompt_id, args.env)
    rows = [
        {
            "time": m.created_at,
            "environment": m.environment,
            "action": m.action,
            "from": "" if m.from_version is None else m.from_version,
            "to": m.to_version,
        }
        for m in moves
    ]
    Output.from_args(args).rows(_HISTORY, rows, title=f"Deployments of {args.prompt_id}")
    return 0


# --- writing ---------------------------------------------------------------------------------


def _deploy(registry: PromptRegistry, args: argparse.Namespace) -> int:
    move = registry.deploy(args.prompt_id, args.version, args.env)
    before = "nothing" if move.from_version is None else f"v{move.from_version}"
    print(
        f"{safe_text(move.prompt_id)} {safe_text(move.environment)}: {before} -> v{move.to_version}"
    )
    return 0


def _rollback(registry: PromptRegistry, args: argparse.Namespace) -> int:
    move = registry.rollback(args.prompt_id, args.env)
    print(
        f"{safe_text(move.prompt_id)} {safe_text(move.environment)}: rolled back v{move.from_version} -> "
        f"v{move.to_version}"
    )
    return 0


def _export(registry: PromptRegistry, args: argparse.Namespace) -> int:
    from ..prompts import dump_prompt, export_prompt

    text = dump_prompt(export_prompt(registry, args.prompt_id, args.version, args.env))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _import(registry: PromptRegistry, args: argparse.Namespace) -> int:
    from ..prompts import import_prompt, load_prompt

    if args.file == "-":
        text, source = sys.stdin.read(), "stdin"
    else:
        text, source = Path(args.file).read_text(encoding="utf-8"), args.file
    version, created = import_prompt(registry, load_prompt(text, source))
    state = "new version" if created else "unchanged, still"
    print(f"{safe_text(version.prompt_id)}: {state} v{version.version}")
    if args.deploy:
        return _deploy(
            registry,
            argparse.Namespace(
                prompt_id=version.prompt_id, version=version.version, env=args.deploy
            ),
        )
    return 0
