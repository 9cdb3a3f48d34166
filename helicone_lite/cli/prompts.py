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

from ._common import open_store, print_rows

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

    add("list", _list, "every prompt: latest version, environments").add_argument(
        "--json", action="store_true"
    )
    show = add("show", _show, "one version: model, parameters, variables, messages")
    _id(show)
    _choice(show)
    show.add_argument("--json", action="store_true")
    versions = add("versions", _versions, "every version with its calls, errors, cost, scores")
    _id(versions)
    versions.add_argument("--json", action="store_true")
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
    history.add_argument("--json", action="store_true")
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

    try:
        return handler(PromptRegistry(open_store(args)), args)
    except (PromptError, StoreError, OSError) as exc:
        print(f"helicone-lite prompts: {exc}", file=sys.stderr)
        return 1


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
            "updated": (p.updated_at or "").replace("T", " ")[:19],
            "description": p.description or "",
        }
        for p in prompts
    ]
    if args.json:
        _dump(rows)
    else:
        print_rows(
            rows,
            title="Prompts",
            columns=["id", "latest", "environments", "source", "updated", "description"],
        )
    return 0


def _text(version: PromptVersion) -> list[str]:
    """A version as readable lines (what show prints and diff compares)."""
    lines = [f"model: {version.model or '(from the call)'}"]
    data = version.to_dict()
    for name, value in sorted(data["params"].items()):
        lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    for index, message in enumerate(data["messages"]):
        lines.append(f"--- messages[{index}] ({message.get('role')})")
        content = message.get("content")
        if isinstance(content, str):
            lines.extend(content.splitlines() or [""])
        else:
            lines.append(json.dumps(content, ensure_ascii=False))
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
        f"prompt {version.prompt_id} version {version.version} ({version.source}, "
        f"{version.created_at})"
    )
    print(f"deployed to: {', '.join(deployed) or 'no environment'}")
    variables = ", ".join(f"{n}: {t}" for n, t in version.variables.items())
    print(f"inputs: {variables or 'none'}")
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


def _short(row: dict[str, Any]) -> dict[str, Any]:
    rate, cost, latency = row["error_rate"], row["cost_usd"], row["mean_latency_ms"]
    return {
        "v": row["version"],
        "created": (row["created_at"] or "")[:16].replace("T", " "),
        "source": row["source"],
        "env": row["environments"],
        "calls": row["calls"],
        "errors": "" if rate is None else f"{rate:.0%}",
        "cost": "" if cost is None else f"${cost:.4f}",
        "latency": "" if latency is None else f"{latency:.0f} ms",
        "scores": ", ".join(f"{k}={v:.2g}" for k, v in row["scores"].items()),
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
    if args.json:
        _dump(rows)
    else:
        print_rows([_short(r) for r in rows], title=f"Versions of {versions[0].prompt_id}")
    return 0


def _diff(registry: PromptRegistry, args: argparse.Namespace) -> int:
    old = registry.get(args.prompt_id, version=args.v1)
    new = registry.get(args.prompt_id, version=args.v2)
    lines = difflib.unified_diff(
        _text(old),
        _text(new),
        f"{old.prompt_id} v{old.version}",
        f"{new.prompt_id} v{new.version}",
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
    if args.json:
        _dump(rows)
    else:
        print_rows(
            rows,
            title=f"Deployments of {args.prompt_id}",
            columns=["time", "environment", "action", "from", "to"],
        )
    return 0


# --- writing ---------------------------------------------------------------------------------


def _deploy(registry: PromptRegistry, args: argparse.Namespace) -> int:
    move = registry.deploy(args.prompt_id, args.version, args.env)
    before = "nothing" if move.from_version is None else f"v{move.from_version}"
    print(f"{move.prompt_id} {move.environment}: {before} -> v{move.to_version}")
    return 0


def _rollback(registry: PromptRegistry, args: argparse.Namespace) -> int:
    move = registry.rollback(args.prompt_id, args.env)
    print(
        f"{move.prompt_id} {move.environment}: rolled back v{move.from_version} -> "
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
    print(f"{version.prompt_id}: {state} v{version.version}")
    if args.deploy:
        return _deploy(
            registry,
            argparse.Namespace(
                prompt_id=version.prompt_id, version=version.version, env=args.deploy
            ),
        )
    return 0
