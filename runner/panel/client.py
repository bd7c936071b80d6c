"""The panel client: one method per API action, typed results, classified failures.

Each attempt of a call ends in a parsed JSON body or in one of the errors of
``runner.errors``.  Reads and the naturally idempotent writes (refill, cancel)
retry on ``NotSent`` and ``OutcomeUnknown`` with exponential backoff and jitter,
honouring ``Retry-After``; ``add`` retries only on ``NotSent``, because a repeated
``add`` places (and charges) a second order.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from runner import __version__
from runner.api.models import (
    Balance,
    ItemError,
    OrderInfo,
    ParseError,
    RefillStatus,
    Service,
    item_error,
    parse_int,
)
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

BATCH_SIZE = 100


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

ParamValue = str | int | Sequence[str]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries: attempts and total time; backoff base and cap in seconds."""

    attempts: int = 5
    max_time: float = 60.0
    initial: float = 0.5
    max_wait: float = 10.0


DEFAULT_RETRY = RetryPolicy()


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


def _chunks(ids: Iterable[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    chunk: list[int] = []
    for ident in dict.fromkeys(ids):
        chunk.append(ident)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class PanelClient:
    """A client of one panel.  Thread-safe: apply calls it from a worker pool."""

    def __init__(
        self,
        name: str,
        url: str,
        key: str,
        *,
        timeout: float = 30.0,
        rate_limit: str | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        display_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if transport is None:
            check_url(url)
        register_secret(key)
        self.name = name
        self.url = url
        self.display_url = display_url or url
        self._key = Secret(key)
        self.retry = retry or DEFAULT_RETRY
        self._sleep = sleep
        self._limiter = RateLimiter.parse(rate_limit) if rate_limit else None
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

    def __repr__(self) -> str:
        return f"PanelClient(name={self.name!r}, url={self.display_url!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> PanelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------

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
        if self._limiter is not None:
            self._limiter.acquire()
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

    def _call(self, action: str, params: Mapping[str, str], *, write_once: bool = False) -> Any:
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

    def _parse(self, action: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except (ParseError, KeyError, TypeError, AttributeError) as exc:
            raise UnexpectedResponse(self.name, f"{action}: unexpected answer ({exc})") from None

    # --- actions ------------------------------------------------------------------

    def services(self) -> list[Service]:
        body = self._call("services", {})
        if isinstance(body, Mapping) and isinstance(body.get("data"), list):
            body = body["data"]
        if not isinstance(body, list):
            raise UnexpectedResponse(self.name, "services: expected a list")
        result: list[Service] = []
        for raw in body:
            try:
                result.append(Service.parse(raw))
            except ParseError as exc:
                log.warning("%s services: skipped an entry: %s", self.name, exc)
        return result

    def balance(self) -> Balance:
        body = self._call("balance", {})
        parsed: Balance = self._parse("balance", lambda: Balance.parse(body))
        return parsed

    def add(self, service: int, params: Mapping[str, ParamValue]) -> int:
        """Place an order; returns the panel's order id.

        Raises ``PanelRejected`` (refused: no order), ``NotSent`` (surely no order, after
        retries) or ``OutcomeUnknown`` (there may be an order).
        """
        form = {"service": str(service)}
        for name, value in params.items():
            form[name] = encode_param(value)
        body = self._call("add", form, write_once=True)
        order: int = self._parse("add", lambda: parse_int(body["order"], "order id"))
        return order

    def status(self, order_id: int) -> OrderInfo:
        body = self._call("status", {"order": str(order_id)})
        info: OrderInfo = self._parse("status", lambda: OrderInfo.parse(body))
        return info

    def status_many(self, order_ids: Iterable[int]) -> dict[int, OrderInfo | ItemError]:
        result: dict[int, OrderInfo | ItemError] = {}
        for chunk in _chunks(order_ids):
            body = self._call("status", {"orders": ",".join(map(str, chunk))})
            if not isinstance(body, Mapping):
                raise UnexpectedResponse(self.name, "status: expected an object keyed by id")
            by_id = {str(k).strip(): v for k, v in body.items()}
            for ident in chunk:
                raw = by_id.get(str(ident))
                if raw is None:
                    result[ident] = ItemError("missing from the panel's answer")
                    continue
                error = item_error(raw)
                if error is not None:
                    result[ident] = error
                    continue
                try:
                    result[ident] = OrderInfo.parse(raw)
                except ParseError as exc:
                    result[ident] = ItemError(f"unreadable status ({exc})")
        return result

    def refill(self, order_id: int) -> int:
        body = self._call("refill", {"order": str(order_id)})
        refill: int = self._parse("refill", lambda: parse_int(body["refill"], "refill id"))
        return refill

    def refill_many(self, order_ids: Iterable[int]) -> dict[int, int | ItemError]:
        return self._batch_write("refill", "orders", "order", "refill", order_ids, _refill_value)

    def refill_status(self, refill_id: int) -> RefillStatus:
        body = self._call("refill_status", {"refill": str(refill_id)})
        status: RefillStatus = self._parse(
            "refill_status", lambda: RefillStatus(str(body["status"]))
        )
        return status

    def refill_status_many(self, refill_ids: Iterable[int]) -> dict[int, RefillStatus | ItemError]:
        return self._batch_write(
            "refill_status", "refills", "refill", "status", refill_ids, _refill_status_value
        )

    def cancel(self, order_ids: Iterable[int]) -> dict[int, bool | ItemError]:
        return self._batch_write("cancel", "orders", "order", "cancel", order_ids, _cancel_value)

    def _batch_write(
        self,
        action: str,
        param: str,
        id_field: str,
        value_field: str,
        ids: Iterable[int],
        convert: Callable[[object], Any],
    ) -> dict[int, Any]:
        result: dict[int, Any] = {}
        for chunk in _chunks(ids):
            body = self._call(action, {param: ",".join(map(str, chunk))})
            if isinstance(body, Mapping):  # some forks key the answer by id
                body = [{id_field: k, value_field: v} for k, v in body.items()]
            if not isinstance(body, list):
                raise UnexpectedResponse(self.name, f"{action}: expected a list")
            seen: dict[int, Any] = {}
            for entry in body:
                if not isinstance(entry, Mapping) or id_field not in entry:
                    continue
                try:
                    ident = parse_int(entry[id_field], id_field)
                except ParseError:
                    continue
                raw = entry.get(value_field)
                error = None
                if not isinstance(raw, str | int) or _is_error_text(raw):
                    error = item_error(raw)
                if error is None and isinstance(entry.get("error"), str):
                    error = ItemError(entry["error"])
                if error is not None:
                    seen[ident] = error
                    continue
                try:
                    seen[ident] = convert(raw)
                except ParseError as exc:
                    seen[ident] = ItemError(f"unreadable answer ({exc})")
            for ident in chunk:
                result[ident] = seen.get(ident, ItemError("missing from the panel's answer"))
        return result


_ERROR_WORDS = re.compile(r"\b(incorrect|invalid|not|error|unknown|denied|failed)\b", re.I)


def _is_error_text(value: object) -> bool:
    """A bare string where a value belongs is a per-item error ("Incorrect order ID")."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.isdigit():
        return False
    return bool(_ERROR_WORDS.search(text))


def _refill_value(raw: object) -> int:
    return parse_int(raw, "refill id")


def _refill_status_value(raw: object) -> RefillStatus:
    if isinstance(raw, Mapping) and "status" in raw:
        raw = raw["status"]
    if not isinstance(raw, str):
        raise ParseError("refill status: expected a string")
    return RefillStatus(raw)


def _cancel_value(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    return parse_int(raw, "cancel") != 0 if raw is not None else False


def encode_param(value: ParamValue) -> str:
    """Lists travel as one string, one item per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "\n".join(str(item) for item in value)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:120] if text else type(exc).__name__
