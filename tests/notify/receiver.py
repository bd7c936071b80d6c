"""A notification receiver for tests: a real HTTP server on 127.0.0.1 that Apprise's
``json://`` target posts to.  It records every post, and answers as the test says: 200,
500, or not at all until the test ends (a hanging receiver)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    port: int = 0
    mode: str = "ok"  # "ok" | "fail" | "hang"
    posts: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0  # requests received, answered or not
    paths: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def titles(self) -> list[str]:
        return [str(p.get("title")) for p in self.posts]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.hits += 1
            if state.mode == "hang":
                state.released.wait(30)
                return
            if state.mode == "fail":
                self.send_response(500)
                self.end_headers()
                return
            state.posts.append(json.loads(body or b"{}"))
            state.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
