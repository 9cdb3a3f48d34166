"""The dashboard's guards, as one ASGI middleware: token, host, CSRF, security headers.

* **Token.** When the app has a token (any non-loopback ``--host`` gets one), every request
  must carry it: ``Authorization: Bearer TOKEN``, the ``helicone_lite_token`` cookie, or
  ``?token=TOKEN`` once (answered by a redirect that sets the cookie and drops it from the
  URL). Anything else is a 401.
* **Host.** Without a token, only loopback ``Host`` names are served, so a web page cannot
  reach the dashboard through DNS rebinding.
* **CSRF.** A POST must carry the app's CSRF token (form field ``csrf`` or header
  ``X-CSRF-Token``) and, when the browser sends one, an ``Origin`` of this host.
* **Headers.** A Content-Security-Policy that allows scripts, styles, images and requests from
  this origin only (no inline script, no ``eval``), no framing, no referrer to other sites, no sniffing.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["CSP", "TOKEN_COOKIE", "Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "helicone_lite_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *_HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Token, host and CSRF checks before the app; security headers on every answer."""

    def __init__(self, app: ASGIApp, *, token: str | None, csrf: str) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        if self.token is None and _host_name(host).lower() not in _LOOPBACK_HOSTS:
            await _plain(send, 421, "this dashboard answers on loopback names only", [])
            return
        if self.token is not None and not await self._authorized(scope, send):
            return
        if scope["method"] == "POST" and not self._same_origin(scope, host):
            await _plain(send, 403, "cross-origin POST refused", [])
            return
        await self.app(scope, receive, self._with_headers(send))

    async def _authorized(self, scope: Scope, send: Send) -> bool:
        assert self.token is not None
        auth = _header(scope, b"authorization") or ""
        if auth.startswith("Bearer ") and hmac.compare_digest(
            auth[7:].encode(), self.token.encode()
        ):
            return True
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie") or "")
        except Exception:  # a malformed Cookie header is no credential
            cookie = SimpleCookie()
        given = cookie.get(TOKEN_COOKIE)
        if given is not None and hmac.compare_digest(given.value.encode(), self.token.encode()):
            return True
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = next((v for k, v in query if k == "token"), None)
        if offered is not None and hmac.compare_digest(offered.encode(), self.token.encode()):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            cookie_value = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            await _plain(
                send,
                303,
                "authorized",
                [(b"location", location.encode()), (b"set-cookie", cookie_value.encode())],
            )
            return False
        await _plain(
            send,
            401,
            "a token is required (?token=…, or Authorization: Bearer …)",
            [(b"www-authenticate", b"Bearer")],
        )
        return False

    def _same_origin(self, scope: Scope, host: str) -> bool:
        origin = _header(scope, b"origin")
        if origin is None or origin == "null":
            return origin is None
        return urlsplit(origin).netloc.lower() == host.lower()

    def _with_headers(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in _HEADERS if k not in names]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        return wrapped
