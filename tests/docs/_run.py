"""Run a docs snippet as a user's program would: ``python _run.py BLOCKS.json``.

BLOCKS.json lists ``[page, fence_line, code]``: each block runs in turn in one namespace
(a block and the blocks it continues), its tracebacks naming the Markdown page and line.
Before it, sockets refuse anything but loopback and every refused attempt is appended to the
file named by ``DOCSNIP_REFUSED`` (a snippet, or the library under it, may swallow the error:
the test reads the file). A top-level expression whose comment starts with a quoted string
(``r.headers["Helicone-Cache"]  # "MISS" the first time``) must equal one of the comment's
quoted strings: output comments say what the line gives."""

from __future__ import annotations

import ast
import io
import ipaddress
import json
import os
import re
import socket
import sys
import tokenize
from typing import Any

QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _loopback(host: Any) -> bool:
    if host in (None, "localhost", b"localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(record: str) -> None:
    def refuse(what: str) -> OSError:
        with open(record, "a", encoding="utf-8") as out:
            out.write(what + "\n")
        return ConnectionRefusedError(f"docs snippet tried to reach {what}: loopback only")

    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise refuse(repr(address))
        connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            raise refuse(repr(host))
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = guarded_getaddrinfo


def _comments(code: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT}


class _Claims(ast.NodeTransformer):
    """Wraps each expression statement whose comment starts with a quoted string in a check."""

    def __init__(self, comments: dict[int, str]) -> None:
        self.comments = comments

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        comment = self.comments.get(node.end_lineno or node.lineno, "")
        if not comment.startswith('"'):
            return node
        allowed = [json.loads(f'"{text}"') for text in QUOTED.findall(comment)]
        call = ast.Call(
            ast.Name("__claimed__", ast.Load()),
            [
                node.value,
                ast.Tuple([ast.Constant(a) for a in allowed], ast.Load()),
                ast.Constant(comment),
            ],
            [],
        )
        return ast.copy_location(ast.Expr(call), node)


def _claimed(value: Any, allowed: tuple[str, ...], comment: str) -> None:
    if value not in allowed:
        raise AssertionError(f"the line gives {value!r}; its comment says: # {comment}")


def main() -> None:
    _guard(os.environ["DOCSNIP_REFUSED"])
    with open(sys.argv[1], encoding="utf-8") as source:
        blocks = json.load(source)
    namespace: dict[str, Any] = {"__name__": "__main__", "__claimed__": _claimed}
    for page, line, code in blocks:
        tree = _Claims(_comments(code)).visit(ast.parse(code, filename=page))
        ast.increment_lineno(ast.fix_missing_locations(tree), line)
        exec(compile(tree, page, "exec"), namespace)  # the docs' own code


if __name__ == "__main__":
    main()
