"""``smm sim serve``: the simulated panel over real HTTP (loopback by default).

``POST /api/v2`` (any path) speaks the panel API; ``GET /_sim/orders`` lists the orders
the simulator holds, read-only, for tests that check nothing was ordered twice;
``GET /_sim/stats`` counts the requests received (by action) and those being answered.
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
            stats = {
                "requests": self.server.endpoint.requests,
                "in_flight": self.server.endpoint.in_flight,
                "by_action": self.server.endpoint.by_action,
            }
            self._send(200, json.dumps(stats).encode(), {"Content-Type": "application/json"})
        elif path in ("", "/healthz"):
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})
        else:
            self._send(404, b"Not Found", {"Content-Type": "text/plain"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"Payload Too Large", {"Content-Type": "text/plain"})
            return
        body = self.rfile.read(length)
        reply = self.server.endpoint.respond(body, self.arrived)
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
