"""One panel's HTTP side: requests, deadlines, retries, and the classification of every
failure into the error tree of ``runner.errors``.

Each attempt has one deadline (the panel's ``timeout``, over the whole request) and reads
at most ``max_answer_bytes`` of answer, which ``runner.panel.answer`` parses and scrubs; it
ends in a JSON value or a ``PanelError``.  Reads and the naturally idempotent writes
(refill, cancel) retry on ``NotSent`` and ``OutcomeUnknown`` (``runner.panel.retry``: within
twice the timeout in all, honouring ``Retry-After``); ``add`` retries only on ``NotSent``,
because a repeated ``add`` places (and charges) a second order.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import httpx

from runner import __version__
from runner.api.fields import error_text
from runner.errors import (
    ConfigError,
    Halted,
    NotSent,
    OutcomeUnknown,
    PanelError,
    PanelRejected,
    UnexpectedResponse,
    redact,
    register_masker,
    register_secret,
)
from runner.panel.answer import MIN_KEY, BadAnswer, key_forms, late, parse_json, read_body
from runner.panel.echo import mask_echoes
from runner.panel.ratelimit import Throttle
from runner.panel.retry import Budget, RetryPolicy, retry_after, with_retries
from runner.panel.transport import Deadline, DeadlineTransport, Slots

__all__ = [
    "DEFAULT_MAX_ANSWER_BYTES",
    "MAX_CONNECTIONS",
    "PanelConnection",
    "RetryPolicy",
    "Secret",
    "check_url",
]

log = logging.getLogger("runner.panel")


class Secret:
    """A value that never shows itself in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class _Halt(threading.Event):
    """An event that, once set, also wakes the requests waiting for a connection, and sets
    every stop taken from it (``part``) that is still in use."""

    def __init__(self, slots: Slots) -> None:
        super().__init__()
        self._slots = slots
        self._parts: set[_Halt] = set()
        self._guard = threading.Lock()

    def set(self) -> None:
        super().set()
        with self._guard:
            parts = list(self._parts)
        for part in parts:
            part.set()
        self._slots.wake()

    @contextmanager
    def part(self) -> Iterator[_Halt]:
        """A stop for some of the requests only (one call's batches): set, it ends their
        waits and no other's; set whenever this one is."""
        part = _Halt(self._slots)
        with self._guard:
            self._parts.add(part)
        if self.is_set():
            part.set()
        try:
            yield part
        finally:
            with self._guard:
                self._parts.discard(part)


USER_AGENT = f"smm-runner/{__version__} (+https://pypi.org/project/smm-runner/)"
# Room for a catalog of tens of thousands of services; smm.yaml's max_answer_mb changes it.
DEFAULT_MAX_ANSWER_BYTES = 32 * 2**20
# Requests to one panel out at once (the connection pool's size): apply's --parallelism is
# at most this, so none of its orders waits for a connection.
MAX_CONNECTIONS = 64


def check_url(url: str, panel: str | None = None) -> None:
    """A URL httpx can use; HTTPS for every non-loopback panel, plain HTTP only to this
    machine.  A ``ConfigError`` naming the panel otherwise."""
    who = f"panel {panel}: " if panel else ""
    try:
        if not isinstance(httpx.URL(url).host, str):  # the host decodes (IDNA) when read
            raise ValueError("no host")
        parts = urlsplit(url)
        port = parts.port
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors too
        raise ConfigError(f"{who}URL {url!r:.120} is not a valid URL ({exc})") from None
    if port == 0 or "@" in parts.netloc or any(ord(c) < 33 or 127 <= ord(c) < 160 for c in url):
        # (runner.config.project.url_problem says which, with the place in smm.yaml)
        raise ConfigError(f"{who}URL {url!r:.120} is not a usable panel URL")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        if host == "localhost":
            return
        try:
            if ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise ConfigError(f"{who}panel URL {url} must use https:// (plain http only to loopback)")
    raise ConfigError(f"{who}panel URL {url!r:.120} is not an http(s) URL")


class PanelConnection:
    """The HTTP side of one panel's client.  Thread-safe."""

    def __init__(
        self,
        name: str,
        url: str,
        key: str,
        *,
        timeout: float,
        rate_limit: str | None,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if transport is None:
            check_url(url, name)
        for form in key_forms(key):  # the key as a panel might echo it, too
            register_secret(form)
        if len(key) >= MIN_KEY:  # and what is recognisably the key, in any message
            digest = hashlib.sha256(key.encode()).hexdigest()
            register_masker(digest, functools.partial(mask_echoes, key=key))
        self.name = name
        self.url = url
        self._key = Secret(key)
        self.retry = retry
        self._sleep = sleep
        # A request waits for one of these before it goes (and before ``on_wire``).
        self.slots = Slots(max_connections)
        # Set, every wait (the throttle's, a retry's, a connection's) ends at once and
        # nothing more is sent.
        self.halted = _Halt(self.slots)
        self._stops = threading.local()  # a thread's own stop, if it has one (``stopping``)
        self.throttle = Throttle(rate_limit, clock=clock, sleep=self._pause)
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._deadline = Deadline()
        # The transport alone, not an httpx.Client: no cookies, redirects or auth to
        # handle, and a third less work per request.
        self._transport = transport or DeadlineTransport(
            self._deadline,
            # Plain http is only allowed to loopback (check_url): no TLS there, so no
            # certificate store to load (~50 ms at start-up).
            verify=urlsplit(url).scheme == "https",
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=min(16, max_connections),
            ),
        )
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0)).as_dict()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.calls: dict[str, int] = {}
        self._count = threading.Lock()

    def close(self) -> None:
        self._transport.close()

    def stopping(self, stop: threading.Event) -> None:
        """From now on, this thread's requests end their waits when ``stop`` is set (it
        must be a ``halted.part()``, so that ``halted`` sets it too)."""
        self._stops.event = stop

    def _halt(self) -> threading.Event:
        return getattr(self._stops, "event", None) or self.halted

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` before a request; ``Halted`` if its stop is set meanwhile."""
        halt = self._halt()
        if self._sleep is time.sleep:
            stopped = halt.wait(seconds)
        else:  # a test's clock
            self._sleep(seconds)
            stopped = halt.is_set()
        if stopped:
            raise Halted(self.name, "stopped before it was sent")

    def counted(self) -> dict[str, int]:
        with self._count:
            return dict(self.calls)

    def _exchange(
        self, form: Mapping[str, str], seconds: float
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request: status, headers and the body (bounded in size, within the deadline;
        not read for a 429, which says all it has to say in its status)."""
        request = httpx.Request(
            "POST",
            self.url,
            data=form,
            headers=self._headers,
            extensions={"timeout": self._timeout},
        )
        with self._deadline.within(seconds) as until:
            response = self._transport.handle_request(request)
            try:
                body = b""
                # An in-process transport hands over an answer already read (and decoded).
                done = response.is_stream_consumed
                if response.status_code != 429:
                    body = read_body(
                        [response.content] if done else response.iter_raw(),
                        length=response.headers.get("content-length"),
                        encoding="" if done else response.headers.get("content-encoding", ""),
                        limit=self.max_answer_bytes,
                        deadline=float("inf") if done else until,  # complete: can't hang
                        seconds=self.timeout,
                    )
            finally:
                response.close()
        return response.status_code, response.headers, body

    def _attempt(
        self,
        action: str,
        params: Mapping[str, str],
        placing: bool,
        on_wire: Callable[[], AbstractContextManager[object]],
        budget: Budget,
    ) -> Any:
        """One HTTP request, classified, inside ``on_wire`` (entered once the request has
        a connection and its turn has come, just before it goes out).  Never puts the
        request body in a message."""
        if not self.slots.take(self._halt()):
            raise Halted(self.name, f"{action}: stopped before it was sent")
        try:
            return self._attempt_in_slot(action, params, placing, on_wire, budget)
        finally:
            self.slots.give()

    def _attempt_in_slot(
        self,
        action: str,
        params: Mapping[str, str],
        placing: bool,
        on_wire: Callable[[], AbstractContextManager[object]],
        budget: Budget,
    ) -> Any:
        sent = self.throttle.acquire()
        if self._halt().is_set():
            raise Halted(self.name, f"{action}: stopped before it was sent")
        with on_wire():
            started = time.monotonic()
            try:
                return self._exchange_classified(
                    action, params, placing, sent, budget.attempt_seconds()
                )
            finally:
                budget.spend(time.monotonic() - started)

    def _exchange_classified(
        self, action: str, params: Mapping[str, str], placing: bool, sent: float, seconds: float
    ) -> Any:
        with self._count:
            self.calls[action] = self.calls.get(action, 0) + 1
        form = {"key": self._key.reveal(), "action": action, **params}
        started = time.monotonic()
        try:
            status, headers, raw = self._exchange(form, seconds)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.debug("%s %s: connection not made (%s)", self.name, action, type(exc).__name__)
            raise NotSent(self.name, f"{action}: could not connect ({_describe(exc)})") from None
        except httpx.TimeoutException as exc:
            log.debug("%s %s: timed out (%s)", self.name, action, type(exc).__name__)
            raise OutcomeUnknown(self.name, f"{action}: {late(self.timeout)}") from None
        except httpx.TransportError as exc:
            log.debug("%s %s: transport error (%s)", self.name, action, type(exc).__name__)
            raise OutcomeUnknown(
                self.name, f"{action}: connection lost before the answer ({_describe(exc)})"
            ) from None
        except httpx.HTTPError as exc:  # anything else httpx can say about an answer
            raise OutcomeUnknown(
                self.name, f"{action}: unusable answer ({_describe(exc)})"
            ) from None
        except BadAnswer as exc:
            error = UnexpectedResponse if exc.final else OutcomeUnknown
            raise error(self.name, f"{action}: {exc.message}") from None
        elapsed = time.monotonic() - started
        log.debug("%s %s -> HTTP %d in %.0f ms", self.name, action, status, elapsed * 1000)
        if status == 429 or (status == 503 and "retry-after" in headers):
            # The panel's own limit: every sender of this panel holds and slows down.
            self.throttle.limited(sent, retry_after(headers))
        else:
            self.throttle.answered(sent, elapsed)
        return self._classify(action, status, headers, raw, placing)

    def _classify(
        self, action: str, status: int, headers: httpx.Headers, raw: bytes, placing: bool
    ) -> Any:
        if status == 429:
            raise NotSent(self.name, f"{action}: rate limited (HTTP 429)", retry_after(headers))
        try:
            body = parse_json(raw, self._key.reveal())
        except BadAnswer as exc:
            if exc.final:
                raise UnexpectedResponse(
                    self.name, f"{action}: HTTP {status} with {exc.message}"
                ) from None
            raise OutcomeUnknown(
                self.name,
                f"{action}: HTTP {status} with {exc.message} instead of JSON",
                retry_after(headers),
            ) from None
        refusal = _refusal(body, placing=placing)
        if refusal is not None and (200 <= status < 300 or 400 <= status < 500):
            raise PanelRejected(self.name, refusal, status)
        if not 200 <= status < 300:
            raise OutcomeUnknown(self.name, f"{action}: HTTP {status}", retry_after(headers))
        return body

    def call(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        write_once: bool = False,
        on_wire: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> Any:
        retryable: tuple[type[PanelError], ...] = (
            (NotSent,) if write_once else (NotSent, OutcomeUnknown)
        )
        return with_retries(
            lambda budget: self._attempt(action, params, write_once, on_wire, budget),
            policy=self.retry,
            budget=Budget(self.timeout),
            retryable=retryable,
            pause=self._pause,
            holding=self.throttle.holding,
            what=f"{self.name} {action}",
        )


def _refusal(body: object, *, placing: bool) -> str | None:
    """The panel's reason when ``body`` refuses the request: a truthy ``error``; for a
    placement, only with no order id beside it (an id and an error are a contradiction,
    which the client treats as in doubt: a refusal would let the next apply order again)."""
    reason = error_text(body)
    if reason is None or not isinstance(body, Mapping):
        return None
    if placing:
        order = body.get("order")
        if order is not None and not (isinstance(order, str) and not order.strip()):
            return None
    return reason


def _describe(exc: Exception) -> str:
    # The library's words may quote the panel's bytes (an illegal header line): redact
    # before cutting, or the cut could leave most of a key that redaction no longer sees.
    text = " ".join(redact(str(exc)).split())
    return text[:120] if text else type(exc).__name__
