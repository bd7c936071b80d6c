"""One panel's HTTP side: requests, deadlines, retries, and the classification of every
failure into the error tree of ``runner.errors``.

Each attempt ends in a parsed JSON body or a ``PanelError``.  Reads and the naturally
idempotent writes (refill, cancel) retry on ``NotSent`` and ``OutcomeUnknown`` with
exponential backoff and jitter, honouring ``Retry-After``; ``add`` retries only on
``NotSent``, because a repeated ``add`` places (and charges) a second order.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from runner import __version__
from runner.errors import (
    ConfigError,
    NotSent,
    OutcomeUnknown,
    PanelError,
    PanelRejected,
    UnexpectedResponse,
    register_secret,
)
from runner.panel.ratelimit import RateLimiter

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


USER_AGENT = f"smm-runner/{__version__} (+https://pypi.org/project/smm-runner/)"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries: attempts and total time; backoff base and cap in seconds."""

    attempts: int = 5
    max_time: float = 60.0
    initial: float = 0.5
    max_wait: float = 10.0


def check_url(url: str) -> None:
    """HTTPS for every non-loopback panel; plain HTTP only to this machine."""
    parts = urlsplit(url)
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
        raise ConfigError(f"panel URL {url} must use https:// (plain http only to loopback)")
    raise ConfigError(f"panel URL {url!r} is not an http(s) URL")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        reset = response.headers.get("x-ratelimit-reset")
        if reset is not None and reset.strip().isdigit():
            seconds = float(reset)
            # Some panels send an epoch timestamp, others seconds to wait.
            return max(0.0, seconds - time.time()) if seconds > 1e9 else seconds
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


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
    ) -> None:
        if transport is None:
            check_url(url)
        register_secret(key)
        self.name = name
        self.url = url
        self._key = Secret(key)
        self.retry = retry
        self._sleep = sleep
        self.limiter = RateLimiter.parse(rate_limit) if rate_limit else None
        # The transport alone, not an httpx.Client: no cookies, redirects or auth to
        # handle, and a third less work per request.
        self._transport = transport or httpx.HTTPTransport(
            # Plain http is only allowed to loopback (check_url): no TLS there, so no
            # certificate store to load (~50 ms at start-up).
            verify=urlsplit(url).scheme == "https",
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0)).as_dict()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.calls: dict[str, int] = {}

    def close(self) -> None:
        self._transport.close()

    def _post(self, form: Mapping[str, str]) -> httpx.Response:
        request = httpx.Request(
            "POST",
            self.url,
            data=form,
            headers=self._headers,
            extensions={"timeout": self._timeout},
        )
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def _attempt(self, action: str, params: Mapping[str, str]) -> Any:
        """One HTTP request, classified.  Never puts the request body in a message."""
        if self.limiter is not None:
            self.limiter.acquire()
        self.calls[action] = self.calls.get(action, 0) + 1
        form = {"key": self._key.reveal(), "action": action, **params}
        started = time.monotonic()
        try:
            response = self._post(form)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.debug("%s %s: connection not made (%s)", self.name, action, type(exc).__name__)
            raise NotSent(self.name, f"{action}: could not connect ({_describe(exc)})") from None
        except httpx.TimeoutException as exc:
            log.debug("%s %s: timed out (%s)", self.name, action, type(exc).__name__)
            raise OutcomeUnknown(self.name, f"{action}: timed out waiting for the answer") from None
        except httpx.TransportError as exc:
            log.debug("%s %s: transport error (%s)", self.name, action, type(exc).__name__)
            raise OutcomeUnknown(
                self.name, f"{action}: connection lost before the answer ({_describe(exc)})"
            ) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> HTTP %d in %.0f ms", self.name, action, response.status_code, elapsed)
        status = response.status_code
        if status == 429:
            raise NotSent(self.name, f"{action}: rate limited (HTTP 429)", _retry_after(response))
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = "an HTML page" if b"<" in response.content[:512] else "an unreadable body"
            raise OutcomeUnknown(
                self.name,
                f"{action}: HTTP {status} with {kind} instead of JSON",
                _retry_after(response),
            ) from None
        if isinstance(body, dict) and "error" in body and status < 500:
            raise PanelRejected(self.name, str(body["error"]), status)
        if status >= 300:
            raise OutcomeUnknown(self.name, f"{action}: HTTP {status}", _retry_after(response))
        return body

    def call(self, action: str, params: Mapping[str, str], *, write_once: bool = False) -> Any:
        retryable: tuple[type[PanelError], ...] = (
            (NotSent,) if write_once else (NotSent, OutcomeUnknown)
        )
        policy = self.retry
        backoff = tenacity.wait_exponential(
            multiplier=policy.initial, max=policy.max_wait
        ) + tenacity.wait_random(0, policy.initial)

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hint = getattr(exc, "retry_after", None)
            if hint is not None:
                return float(min(hint, policy.max_time))
            return float(backoff(state))

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.debug("%s %s: retry %d after: %s", self.name, action, state.attempt_number, exc)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts)
            | tenacity.stop_after_delay(policy.max_time),
            wait=wait,
            retry=tenacity.retry_if_exception(
                lambda e: isinstance(e, retryable) and not isinstance(e, UnexpectedResponse)
            ),
            reraise=True,
            sleep=self._sleep,
            before_sleep=before_sleep,
        )
        return retrying(self._attempt, action, params)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:120] if text else type(exc).__name__
