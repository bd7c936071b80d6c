"""``smm sim serve``: the simulated panel over real HTTP (loopback by default).

``POST /api/v2`` (any path) speaks the panel API, its parameters urlencoded or
multipart, or in the query string, as PHP panels take them; so does ``GET`` with a query
string on any path but these: ``GET /_sim/orders`` lists the orders the accounts hold
(``?all=1``: other customers' too), read-only, for tests that check nothing was ordered
twice; ``GET /_sim/stats`` counts the requests received (by action), those being answered
and those refused by the rate limit; ``GET /`` and ``/healthz`` answer ``{"ok": true}``.
The request log (``verbose``) never shows a query string: it may hold an API key.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from runner.sim.wire import DROP, SimEndpoint

MAX_BODY = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: SimHTTPServer
    protocol_version = "HTTP/1.1"
    # One write per answer and no Nagle delay: otherwise every keep-alive request
    # waits ~40 ms for a delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server_version = "smm-sim/1"

    arrived = 0.0

    def parse_request(self) -> bool:
        # The request line is in: the simulated latency runs from here.
        self.arrived = time.monotonic()
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.partition("?")[0]
        self.log_message('"%s %s" %s %s', self.command, path, code, size)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        path = path.rstrip("/")
        if path == "/_sim/orders":
            everyone = parse_qs(query).get("all", ["0"])[-1] not in ("", "0", "false", "no")
            body = self.server.endpoint.inspect(everyone=everyone)
            self._send(200, body, {"Content-Type": "application/json"})
        elif path == "/_sim/stats":
            stats = json.dumps(self.server.endpoint.stats()).encode()
            self._send(200, stats, {"Content-Type": "application/json"})
        elif path in ("", "/healthz") and not query:
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})
        elif path.startswith("/_sim/"):
            self._send(404, b"Not Found", {"Content-Type": "text/plain"})
        else:
            self._api(b"", query)

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(413, b"Payload Too Large", {"Content-Type": "text/plain"})
            return
        self._api(self.rfile.read(length), self.path.partition("?")[2])

    def _api(self, body: bytes, query: str) -> None:
        reply = self.server.endpoint.respond(
            body, self.arrived, content_type=self.headers.get("Content-Type"), query=query
        )
        if reply == DROP or isinstance(reply, str):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(reply.status, reply.body, reply.headers)


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's listen backlog is 5: apply's up to 64 senders connecting at once
    # would overflow it, and a connection the kernel dropped waits seconds for a retry.
    request_queue_size = 128

    def __init__(
        self, endpoint: SimEndpoint, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        self.endpoint = endpoint
        self.verbose = verbose
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/api/v2"


class BackgroundServer:
    """Runs a ``SimHTTPServer`` in a thread (for tests and benchmarks)."""

    def __init__(self, endpoint: SimEndpoint, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = SimHTTPServer(endpoint, host, port)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
