"""A hostile panel for tests: a real HTTP server on 127.0.0.1 whose every answer the test
scripts, down to the byte and the millisecond.

Each request gets the next scripted ``Reply`` (a script per action when the test gives
one, else the common script); once a script runs out, its last reply repeats (so one
``reply()`` serves a command that retries).  A reply can be late
(``delay``), trickle its body (or its head too) one byte at a time, close the connection
before or after the headers, carry a ``Content-Encoding: gzip`` body that is valid,
broken or truncated, or be a huge body generated on the fly (never held in memory).
A reply can also be ``gated``: it waits until the test opens the gate (``hold``/``release``),
to hold requests at the panel while the test looks; and ``numbered``: ``{n}`` in its body
becomes the request's ordinal (distinct order ids from one scripted reply).  Every request
is recorded: its path, headers and form fields; ``wait_for_requests`` waits on them.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0  # seconds before the status line
    trickle_ms: float | None = None  # the body one byte every N ms
    trickle_head: bool = False  # with trickle_ms: the status line and headers too
    close: Literal["before_headers", "after_headers"] | None = None
    gzip: Literal["ok", "broken", "truncated"] | None = None
    huge: int | None = None  # a body of this many bytes of ``filler``, generated
    declare_length: bool = True  # send Content-Length (else the body ends at close)
    filler: bytes = b" "
    gated: bool = False  # wait for the panel's gate to open before answering
    numbered: bool = False  # "{n}" in the body: the request's ordinal (1, 2, ...)


@dataclass
class Request:
    """What the panel received (never assert on the key except to prove where it travels),
    and how many bytes of its reply it had sent when the client stopped listening."""

    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    sent: int = 0

    @property
    def action(self) -> str | None:
        return self.form.get("action")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    request_record: Request
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        form = {k: v[-1] for k, v in parse_qs(body.decode("latin-1"), True).items()}
        panel = self.server.panel
        self.request_record = Request(self.path, dict(self.headers.items()), body, form)
        ordinal = panel.record(self.request_record)
        try:
            reply = panel.next_reply(form.get("action"))
            if reply.gated:
                panel.gate.wait()
            if reply.numbered:
                reply = replace(reply, body=reply.body.replace(b"{n}", str(ordinal).encode()))
            self._answer(reply, panel.stopped)
        except OSError:  # the client went away: that is its right
            self.close_connection = True

    do_GET = do_POST

    def _answer(self, reply: Reply, stopped: threading.Event) -> None:
        if reply.delay and stopped.wait(reply.delay):
            return
        if reply.close == "before_headers":
            self._drop()
            return
        body = _body(reply)
        lines = [f"HTTP/1.1 {reply.status} Hostile"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if reply.gzip is not None:
            lines.append("Content-Encoding: gzip")
        size = reply.huge if reply.huge is not None and reply.gzip is None else None
        if reply.declare_length:
            if size is None:
                whole = b"".join(body)  # a finite body: its length is known
                size = len(whole)
                body = iter([whole])
            lines.append(f"Content-Length: {size}")
        else:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        delay = (reply.trickle_ms or 0) / 1000
        self._write(head, delay if reply.trickle_head else 0, stopped)
        if reply.close == "after_headers":
            self._drop()
            return
        for chunk in body:
            self._write(chunk, delay, stopped)
        if not reply.declare_length:
            self._drop()

    def _write(self, data: bytes, delay: float, stopped: threading.Event) -> None:
        if not delay:
            self.wfile.write(data)
            self.request_record.sent += len(data)
            return
        for i in range(len(data)):
            if stopped.wait(delay):
                raise ConnectionAbortedError("the hostile panel is closing")
            self.wfile.write(data[i : i + 1])
            self.request_record.sent += 1

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _body(reply: Reply) -> Iterator[bytes]:
    huge = reply.huge is not None
    plain = _generated(reply.huge or 0, reply.filler) if huge else iter([reply.body])
    if reply.gzip is None:
        return plain
    if reply.gzip == "broken":
        return iter([b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"this is not deflate" * 8])
    if reply.gzip == "truncated":
        whole = gzip.compress(reply.body)
        return iter([whole[: len(whole) // 2]])
    return _compressed(plain)


def _generated(size: int, filler: bytes) -> Iterator[bytes]:
    block = (filler * (CHUNK // len(filler) + 1))[:CHUNK]
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


def _compressed(plain: Iterator[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for piece in plain:
        out = packer.compress(piece)
        if out:
            yield out
    yield packer.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # as a real panel's: 5 (socketserver's) overflows at 40 senders

    def __init__(self, panel: HostilePanel) -> None:
        self.panel = panel
        self.errors: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up mid-answer (as smm does past its deadline) is the point
        of many tests: kept, never printed into the stderr a test reads."""
        import traceback

        self.errors.append(traceback.format_exc())


class HostilePanel:
    """The server, its script and its record.  Use as a context manager (or the fixture)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.gate = threading.Event()  # open unless a test holds it
        self.gate.set()
        self._scripts: dict[str | None, list[Reply]] = {}
        self._last: dict[str | None, Reply] = {}
        self.requests: list[Request] = []
        self.stopped = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    def reply(
        self,
        json_body: object = None,
        *,
        body: bytes | str | None = None,
        action: str | None = None,
        times: int = 1,
        **options: Any,
    ) -> HostilePanel:
        """Script the next reply (to ``action``, else to any request): a JSON value, or
        exact ``body`` bytes; ``options`` are ``Reply``'s fields."""
        if body is None:
            body = json.dumps(json_body)
        raw = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._scripts.setdefault(action, []).extend([Reply(body=raw, **options)] * times)
        return self

    def clear(self, action: str | None = None) -> HostilePanel:
        """Forget the script (and the last reply) of ``action``."""
        with self._lock:
            self._scripts.pop(action, None)
            self._last.pop(action, None)
        return self

    def next_reply(self, action: str | None) -> Reply:
        with self._lock:
            for script in (action, None) if action is not None else (None,):
                queue = self._scripts.get(script, [])
                if queue:
                    self._last[script] = queue.pop(0)
                if script in self._last:
                    return self._last[script]
        return Reply(500, b"no reply scripted", (("Content-Type", "text/plain"),))

    def record(self, request: Request) -> int:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            return len(self.requests)

    def wait_for_requests(self, count: int, timeout: float, action: str | None = None) -> bool:
        """True once ``count`` requests (of ``action``, if given) have arrived; False at
        ``timeout``."""

        def arrived() -> bool:
            return sum(action is None or r.action == action for r in self.requests) >= count

        with self._lock:
            return self._lock.wait_for(arrived, timeout)

    def hold(self) -> None:
        """Gated replies wait from now on, until ``release``."""
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def actions(self) -> list[str | None]:
        with self._lock:
            return [r.action for r in self.requests]

    def __enter__(self) -> HostilePanel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
