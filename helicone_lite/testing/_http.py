"""A small, fast HTTP/1.1 request reader (the stdlib's email-based parser costs ~100 µs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol as _Protocol
from urllib.parse import parse_qsl, urlsplit

from ._wire import Incoming

MAX_LINE = 65536
MAX_HEADERS = 256


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP/1.x request."""


class Reader(_Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Head:
    """A request line and its headers (lower-case names, repeated ones joined by ", ")."""

    method: str
    target: str
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"

    @property
    def expects_continue(self) -> bool:
        return self.headers.get("expect", "").lower() == "100-continue"


def _line(reader: Reader) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise BadRequest("line too long")
    return line


def read_head(reader: Reader) -> Head | None:
    """The next request's head, or ``None`` when the client closed the connection."""
    line = _line(reader)
    while line in (b"\r\n", b"\n"):
        line = _line(reader)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {line!r}")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        raw = _line(reader)
        if raw in (b"\r\n", b"\n", b""):
            return Head(parts[0], parts[1], parts[2], headers)
        name, colon, value = raw.decode("latin-1").partition(":")
        if not colon:
            raise BadRequest(f"bad header line {raw!r}")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise BadRequest("too many headers")


def read_body(reader: Reader, headers: dict[str, str]) -> bytes:
    """The body, framed by ``content-length`` or chunked transfer encoding."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(reader)
    length = headers.get("content-length")
    if not length:
        return b""
    try:
        size = int(length)
    except ValueError:
        raise BadRequest(f"bad content-length {length!r}") from None
    body = reader.read(size)
    if len(body) != size:
        raise BadRequest("body shorter than its content-length")
    return body


def _read_chunked(reader: Reader) -> bytes:
    parts: list[bytes] = []
    while True:
        try:
            size = int(_line(reader).split(b";")[0].strip(), 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        if size == 0:
            while _line(reader) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(reader.read(size))
        _line(reader)


def incoming(head: Head, body: bytes) -> Incoming:
    path, _, query = head.target.partition("?")
    if "://" in path:  # absolute-form target
        url = urlsplit(head.target)
        path, query = url.path, url.query
    params = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    return Incoming(head.method, path, params, head.headers, body)
