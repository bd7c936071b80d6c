"""The panel client: one method per API action, typed results from every answer variant.

How requests travel, time out, retry and fail is ``runner.panel.http``'s job.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import httpx

from runner.api.fields import ParseError, error_text, parse_id, text
from runner.api.models import Balance, ItemError, OrderInfo, RefillStatus, Service
from runner.errors import (
    UnexpectedResponse,
)
from runner.panel.batches import (
    cancel_value,
    id_chunks,
    items,
    refill_status_value,
    refill_value,
    statuses,
)
from runner.panel.http import (
    DEFAULT_MAX_ANSWER_BYTES,
    MAX_CONNECTIONS,
    PanelConnection,
    RetryPolicy,
)
from runner.panel.identity import account_of, request_id

log = logging.getLogger("runner.panel")

# Status and refill-status calls of one panel that may be out at once (each paced, so a
# panel's limit holds them all).
STATUS_PARALLELISM = 8
DEFAULT_RETRY = RetryPolicy()
ParamValue = str | int | Sequence[str]
T = TypeVar("T")


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
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = MAX_CONNECTIONS,
        idempotent: bool = False,
    ) -> None:
        self.name = name
        self.url = url
        self.display_url = display_url or url
        self.account = account_of(self.display_url, key)
        # ``idempotency: request_id``: every add carries its order's stable key.
        self.idempotent = idempotent
        self._http = PanelConnection(
            name,
            url,
            key,
            timeout=timeout,
            rate_limit=rate_limit,
            retry=retry or DEFAULT_RETRY,
            transport=transport,
            sleep=sleep,
            max_answer_bytes=max_answer_bytes,
            clock=clock,
            max_connections=max_connections,
        )

    @property
    def calls(self) -> dict[str, int]:
        """Requests made so far, by action (a copy: senders may be adding to them)."""
        return self._http.counted()

    def __repr__(self) -> str:
        return f"PanelClient(name={self.name!r}, url={self.display_url!r})"

    def close(self) -> None:
        self._http.close()

    def halt(self) -> None:
        """Stop: every request still waiting for its turn (pace, Retry-After, a retry's
        backoff) ends at once in ``Halted``, and none is sent any more.  Requests already
        out finish."""
        self._http.halted.set()

    def __enter__(self) -> PanelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _parse(self, action: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except (ParseError, KeyError, TypeError, AttributeError) as exc:
            raise UnexpectedResponse(self.name, f"{action}: unexpected answer ({exc})") from None

    # --- actions ------------------------------------------------------------------

    def services(self) -> list[Service]:
        body = self._http.call("services", {})
        if isinstance(body, Mapping) and isinstance(body.get("data"), list):
            body = body["data"]
        if not isinstance(body, list):
            raise UnexpectedResponse(self.name, "services: expected a list")
        result: list[Service] = []
        skipped: list[str] = []
        for raw in body:
            try:
                result.append(Service.parse(raw))
            except ParseError as exc:
                skipped.append(str(exc))
        if skipped:  # one line, however many: a hostile catalog must not flood the terminal
            log.warning(
                "%s services: skipped %d entries without a usable id (the first: %s)",
                self.name,
                len(skipped),
                skipped[0],
            )
        return result

    def balance(self) -> Balance:
        body = self._http.call("balance", {})
        parsed: Balance = self._parse("balance", lambda: Balance.parse(body))
        return parsed

    def add(
        self,
        service: int,
        params: Mapping[str, ParamValue],
        on_wire: Callable[[], AbstractContextManager[object]] = nullcontext,
        request_id: str | None = None,
    ) -> int:
        """Place an order; returns the panel's order id.  ``on_wire`` is entered around
        each attempt once its turn has come, just before it goes out.  ``request_id``
        goes with it to a panel declared idempotent (a repeated key answers with the
        order already made), and to no other.

        Raises ``PanelRejected`` (refused: no order), ``NotSent`` (surely no order, after
        retries; ``Halted`` when stopped before it went out) or ``OutcomeUnknown`` (there
        may be an order).
        """
        form = {"service": str(service)}
        for name, value in params.items():
            form[name] = encode_param(value)
        if request_id is not None and self.idempotent:
            form["request_id"] = request_id
        body = self._http.call("add", form, write_once=True, on_wire=on_wire)
        return self._placement(body)

    def marks(self, address: str, fingerprint: str) -> dict[str, str]:
        """What an order's record keeps of how it was sent: the account, and the
        idempotency key when the add carries one."""
        marks = {"account": self.account}
        if self.idempotent:
            marks["request_id"] = request_id(address, fingerprint)
        return marks

    def _placement(self, body: object) -> int:
        """The order id of an ``add`` answer that is no refusal (``http`` took those), or
        ``UnexpectedResponse``: in doubt, never a refusal (that would order again)."""
        doubt = "the order may exist"
        if not isinstance(body, Mapping):
            raise UnexpectedResponse(self.name, f"add: the answer is not an object: {doubt}")
        raw = body.get("order")
        error = error_text(body)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise UnexpectedResponse(
                self.name, f"add: the answer has neither an order id nor an error: {doubt}"
            )
        try:
            order = parse_id(raw, "order id")
        except ParseError as exc:
            also = f" (and an error: {error})" if error else ""
            raise UnexpectedResponse(self.name, f"add: {exc}{also}: {doubt}") from None
        if error is not None:
            raise UnexpectedResponse(
                self.name, f"add: the answer holds order id {order} and an error ({error}): {doubt}"
            )
        return order

    def status(self, order_id: int) -> OrderInfo:
        body = self._http.call("status", {"order": str(order_id)})
        info: OrderInfo = self._parse("status", lambda: OrderInfo.parse(body))
        return info

    def status_many(self, order_ids: Iterable[int]) -> dict[int, OrderInfo | ItemError]:
        """Each order's status, 100 ids a call, ``STATUS_PARALLELISM`` calls at a time."""
        return self._in_parallel(self._status_chunk, order_ids)

    def _status_chunk(self, chunk: list[int]) -> dict[int, OrderInfo | ItemError]:
        body = self._http.call("status", {"orders": ",".join(map(str, chunk))})
        return statuses(self.name, body, chunk)

    def status_batches(
        self, order_ids: Iterable[int]
    ) -> Generator[dict[int, OrderInfo | ItemError], None, None]:
        """``status_many`` a call's answer at a time, in the order of the ids, while the
        next calls are out: a caller can record each batch as it comes."""
        return self._batches(self._status_chunk, order_ids)

    def _batches(
        self, ask: Callable[[list[int]], dict[int, T]], ids: Iterable[int]
    ) -> Generator[dict[int, T], None, None]:
        """``ask`` for every chunk of ``ids``, ``STATUS_PARALLELISM`` chunks at a time (each
        call paced as any other), answers in chunk order; at most twice that many answers
        wait to be taken.  The first failure, in chunk order, stops the rest and is raised;
        so does a caller that stops taking answers."""
        chunks = id_chunks(ids)
        first = next(chunks, None)
        if first is None:
            return
        second = next(chunks, None)
        if second is None:
            yield ask(first)
            return
        with self._http.halted.part() as stop:
            pool = ThreadPoolExecutor(
                STATUS_PARALLELISM,
                thread_name_prefix=f"smm-{self.name}",
                initializer=self._http.stopping,
                initargs=(stop,),
            )
            waiting: deque[Future[dict[int, T]]] = deque()
            try:
                for chunk in itertools.chain((first, second), chunks):
                    waiting.append(pool.submit(ask, chunk))
                    if len(waiting) >= 2 * STATUS_PARALLELISM:
                        yield waiting.popleft().result()
                while waiting:
                    yield waiting.popleft().result()
            except BaseException:
                # This call's requests still waiting (pace, Retry-After) end now, not after
                # their wait; the other requests of the client (another order's add) go on.
                stop.set()
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def _in_parallel(
        self, ask: Callable[[list[int]], dict[int, T]], ids: Iterable[int]
    ) -> dict[int, T]:
        result: dict[int, T] = {}
        for batch in self._batches(ask, ids):
            result.update(batch)
        return result

    def refill(self, order_id: int) -> int:
        body = self._http.call("refill", {"order": str(order_id)})
        refill: int = self._parse("refill", lambda: parse_id(body["refill"], "refill id"))
        return refill

    def refill_many(self, order_ids: Iterable[int]) -> dict[int, int | ItemError]:
        return self._batch_write("refill", "orders", "order", "refill", order_ids, refill_value)

    def refill_status(self, refill_id: int) -> RefillStatus:
        body = self._http.call("refill_status", {"refill": str(refill_id)})
        status: RefillStatus = self._parse(
            "refill_status", lambda: RefillStatus(text(body["status"], 60))
        )
        return status

    def refill_status_many(self, refill_ids: Iterable[int]) -> dict[int, RefillStatus | ItemError]:
        return self._in_parallel(self._refill_status_chunk, refill_ids)

    def refill_status_batches(
        self, refill_ids: Iterable[int]
    ) -> Generator[dict[int, RefillStatus | ItemError], None, None]:
        """``refill_status_many`` a call's answer at a time (as ``status_batches``)."""
        return self._batches(self._refill_status_chunk, refill_ids)

    def _refill_status_chunk(self, chunk: list[int]) -> dict[int, RefillStatus | ItemError]:
        return self._batch_chunk(
            "refill_status", "refills", "refill", "status", chunk, refill_status_value
        )

    def cancel(self, order_ids: Iterable[int]) -> dict[int, bool | ItemError]:
        return self._batch_write("cancel", "orders", "order", "cancel", order_ids, cancel_value)

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
        for chunk in id_chunks(ids):
            result.update(self._batch_chunk(action, param, id_field, value_field, chunk, convert))
        return result

    def _batch_chunk(
        self,
        action: str,
        param: str,
        id_field: str,
        value_field: str,
        chunk: list[int],
        convert: Callable[[object], Any],
    ) -> dict[int, Any]:
        body = self._http.call(action, {param: ",".join(map(str, chunk))})
        return items(self.name, action, body, (id_field, value_field), chunk, convert)


def encode_param(value: ParamValue) -> str:
    """Lists travel as one string, one item per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "\n".join(str(item) for item in value)
