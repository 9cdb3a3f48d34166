"""The loopback HTTP/1.1 server: keep-alive, chunked streams, and the faults' socket tricks."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import socketserver
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any

from .._threads import background_thread
from . import _http
from ._outcomes import Fault
from ._wire import Answer, Incoming, reason_phrase

logger = logging.getLogger("helicone_lite.testing")

Dispatch = Callable[[Incoming], tuple[Answer, Fault | None]]

_TERMINATOR = b"0\r\n\r\n"


class _HTTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away, or a fault dropped the connection
        logger.exception("fake provider: error while serving %s", client_address)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(socketserver.StreamRequestHandler):
    """One keep-alive connection: read a request, dispatch it, write the answer; repeat."""

    disable_nagle_algorithm = True
    server: _HTTPServer
    close_connection = False

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def handle(self) -> None:
        while not self.close_connection:
            try:
                head = _http.read_head(self.rfile)
                if head is None:
                    return
                if head.expects_continue:
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = _http.read_body(self.rfile, head.headers)
            except _http.BadRequest as err:
                self.close_connection = True
                _Delivery(self, Answer(status=400, body=str(err).encode())).play(None)
                return
            self.close_connection = not head.keep_alive
            answer, fault = self.server.dispatch(_http.incoming(head, body))
            _Delivery(self, answer).play(fault)


class _Delivery:
    """Writes one answer to the socket, playing a fault's hang / reset / cut on the way."""

    def __init__(self, handler: _Handler, answer: Answer) -> None:
        self.handler = handler
        self.answer = answer
        self.stopping = handler.server.stopping

    def play(self, fault: Fault | None) -> None:
        if fault is not None and fault.hang and self.stopping.wait(fault.hang):
            return self._abort()
        if fault is not None and fault.reset:
            return self._abort()
        if self.answer.latency and self.stopping.wait(self.answer.latency):
            return self._abort()
        cut = fault.cut_after if fault is not None else None
        if self.answer.events is None:
            return self._send_body(cut is not None)
        return self._send_stream(cut)

    def _head(self, *, length: int | None, close: bool) -> bytes:
        answer = self.answer
        lines = [f"HTTP/1.1 {answer.status} {reason_phrase(answer.status)}"]
        lines.append(f"content-type: {answer.content_type}")
        if length is None:
            lines += ["transfer-encoding: chunked", "cache-control: no-cache"]
        else:
            lines.append(f"content-length: {length}")
        lines += [f"{name}: {value}" for name, value in answer.headers]
        if close or self.handler.close_connection:
            lines.append("connection: close")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1", errors="replace")

    def _send_body(self, cut: bool) -> None:
        body = self.answer.body
        head = self._head(length=len(body), close=cut)
        self.handler.wfile.write(head + (body[: len(body) // 2] if cut else body))
        if cut:
            self._drop()

    def _send_stream(self, cut: int | None) -> None:
        frames = [b"%x\r\n%s\r\n" % (len(e), e) for e in (self.answer.events or [])[:cut]]
        head = self._head(length=None, close=cut is not None)
        end = _TERMINATOR if cut is None else b""
        if self.answer.chunk_delay:
            self._trickle(head, frames, end)
        else:
            self.handler.wfile.write(head + b"".join(frames) + end)
        if cut is not None:
            self._drop()

    def _trickle(self, head: bytes, frames: list[bytes], end: bytes) -> None:
        write = self.handler.wfile.write
        write(head)
        for i, frame in enumerate(frames):
            if i and self.stopping.wait(self.answer.chunk_delay):
                return self._abort()
            write(frame)
        write(end)
        return None

    def _drop(self) -> None:
        """Close after what was sent (FIN): the client sees the body end too early."""
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)

    def _abort(self) -> None:
        """Close without a reply, with a TCP reset."""
        self.handler.close_connection = True
        connection = self.handler.connection
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.handler.rfile.close()
        connection.close()


class ServerThread:
    """Serves on ``(host, port)`` in a daemon thread; ``stop()`` returns promptly."""

    def __init__(self, host: str, port: int, dispatch: Dispatch) -> None:
        self._server = _HTTPServer((host, port), dispatch)
        self._wake_r, self._wake_w = socket.socketpair()
        host, port = self._server.socket.getsockname()[:2]
        self.host, self.port = str(host), int(port)
        self._thread = background_thread(self._loop, f"helicone-lite-fake:{self.port}")

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in ready):
                    return
                self._server.handle_request()

    def stop(self) -> None:
        self._server.stopping.set()
        self._wake_w.send(b"x")
        if self._thread.is_alive():
            self._thread.join()
        self._server.server_close()
        self._server.close_connections()
        self._wake_r.close()
        self._wake_w.close()
