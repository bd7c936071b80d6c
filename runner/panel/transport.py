"""The real HTTP transport: httpx's, with one deadline over each whole request.

httpx's timeout applies to each socket operation, so a panel that sends one byte a
second (in its headers or its body) would hold a call for ever.  Here every operation
(connect, TLS handshake, each write, each read) waits at most until the deadline of the
request the calling thread is making (``Deadline.within``); past it, the operation fails
with httpcore's own timeout, which httpx reports as usual.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx


class Deadline:
    """The deadline of the request each thread is making (threads share a transport)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def within(self, seconds: float) -> Iterator[float]:
        """Set the deadline ``seconds`` from now; yields it (a ``time.monotonic`` value)."""
        until = time.monotonic() + seconds
        self._local.until = until
        try:
            yield until
        finally:
            self._local.until = None

    def cut(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` shortened to what is left; ``error`` if nothing is."""
        until: float | None = getattr(self._local, "until", None)
        if until is None:
            return timeout
        left = until - time.monotonic()
        if left <= 0:
            raise error("the request's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.cut(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.cut(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cut(timeout, httpcore.ConnectTimeout)
        return _Stream(
            self._stream.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, deadline: Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cut(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cut(timeout, httpcore.ConnectTimeout)
        return _Stream(
            self._inner.connect_unix_socket(path, timeout, socket_options), self._deadline
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections honour ``deadline``."""

    def __init__(self, deadline: Deadline, *, verify: bool, limits: httpx.Limits) -> None:
        # Not super().__init__(): it builds a pool (and, for https, loads the certificate
        # store) only for this one to replace it.  The pool is all the parent uses.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True) if verify else None,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(deadline),
        )


class Slots:
    """At most ``count`` requests inside the transport at once, so its pool (as large)
    never makes a request wait for a connection there: a request waits here instead,
    before it may be sent (and before anyone counts it as sent)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._free = count
        self._waiting = 0
        self._cond = threading.Condition()

    def take(self, stop: threading.Event) -> bool:
        """Wait for a free slot; False, with none taken, once ``stop`` is set."""
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
            try:
                while self._free == 0 and not stop.is_set():
                    self._cond.wait()
                if stop.is_set():
                    return False
                self._free -= 1
                return True
            finally:
                self._waiting -= 1

    def give(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()

    def wake(self) -> None:
        """Every waiter looks at its ``stop`` again."""
        with self._cond:
            self._cond.notify_all()

    def wait_for_waiters(self, count: int, timeout: float) -> bool:
        """True once ``count`` requests wait for a slot (for tests and diagnostics)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout)
