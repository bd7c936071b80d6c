"""Sending events to the receivers, each once: claim in the state, send, record.

A claim is taken in the state before sending (an insert that only one runner can make, on
SQLite or PostgreSQL alike), so that two runners refreshing one shared state at once send
an event once.  A send that fails or hangs releases its claim with the reason: the next
run tries again.  A claim left by a runner that died mid-send is taken over once it is
older than ``STALE``.  Nothing here raises for a receiver's sake: the caller gets
warnings, written without the receiver's secrets.
"""

from __future__ import annotations

import datetime as _dt
import gc
import logging
import os
import socket
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.config.receivers import Receiver
from runner.errors import SmmError, redact, register_secret
from runner.notify.events import Event
from runner.state import StateStore, now_iso

STALE = _dt.timedelta(minutes=10)
PER_RUN = 20  # messages to one receiver in one run; the rest in one digest
DIGEST_LINES = 50
# A secret shorter than this (a chat id, a port) is not worth redacting everywhere.
_SECRET_MIN = 6

# (url, title, body, timeout) -> None when sent, else why not.
Sender = Callable[[str, str, str, float], str | None]


@dataclass
class Delivery:
    """What one run sent, and the warnings about what it could not."""

    sent: list[str] = field(default_factory=list)  # event keys
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"sent": list(self.sent), "warnings": list(self.warnings)}


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(
    receivers: Sequence[Receiver],
    found: Sequence[Event],
    store: StateStore,
    send: Sender | None = None,
) -> Delivery:
    """Send each event to each receiver that wants it, once across runs and runners.

    A receiver gets at most ``PER_RUN`` messages a run: beyond that, the rest go in one
    digest (a first run on a large state must not flood anyone).  Once a receiver fails,
    the rest of its events wait for the next run (a dead receiver costs one timeout)."""
    result = Delivery()
    wanted = [(r, e) for r in receivers for e in found if r.wants(e.kind, e.threshold)]
    if not wanted:
        return result
    stale = now_iso(store.clock_offset - STALE.total_seconds())
    me = holder()
    with store.transaction() as tx:
        mine = [
            (r, e) for r, e in wanted if tx.claim_notice(f"{r.ident}:{e.key}", e.kind, me, stale)
        ]
    outcomes: list[tuple[str, str | None]] = []
    for number, receiver in enumerate(receivers, start=1):
        claimed = [e for r, e in mine if r is receiver]
        error: str | None = None
        for message in _messages(claimed):
            if error is None:
                error = _send_one(receiver, message, send or apprise_send)
                if error is not None:
                    result.warnings.append(
                        f"notify: {message.kind} to {receiver.shown} (notify item {number}) "
                        f"not sent: {error}; tried again at the next run"
                    )
            for event in message.events:
                outcomes.append((f"{receiver.ident}:{event.key}", error))
                if error is None:
                    result.sent.append(event.key)
    if outcomes:
        with store.transaction() as tx:
            for key, failed in outcomes:
                tx.notice_done(key, failed)
    return result


@dataclass(frozen=True)
class _Message:
    kind: str
    title: str
    body: str
    events: tuple[Event, ...]


def _messages(claimed: Sequence[Event]) -> list[_Message]:
    """One message per event, the ones beyond ``PER_RUN`` in one digest."""
    if len(claimed) <= PER_RUN:
        return [_Message(e.kind, e.title, e.body or e.title, (e,)) for e in claimed]
    alone, rest = claimed[: PER_RUN - 1], claimed[PER_RUN - 1 :]
    lines = [e.title.removeprefix("smm: ") for e in rest[:DIGEST_LINES]]
    if len(rest) > DIGEST_LINES:
        lines.append(f"... and {len(rest) - DIGEST_LINES} more (smm status, smm report)")
    digest = _Message("digest", f"smm: {len(rest)} more events", "\n".join(lines), tuple(rest))
    return [*_messages(alone), digest]


def _send_one(receiver: Receiver, message: _Message, send: Sender) -> str | None:
    """Send to one receiver: None when it took it, else why not (without its secrets)."""
    try:
        url, secrets = receiver.expand()
    except SmmError as exc:
        return exc.message
    for secret in secrets:
        if len(secret) >= _SECRET_MIN:
            register_secret(secret)
    error = send(url, message.title, message.body, receiver.timeout)
    if error is None:
        return None
    for secret in secrets:
        error = error.replace(secret, "***")
    return redact(error)


def _with_timeouts(url: str, timeout: float) -> str:
    """Apprise's own connect and read timeouts, unless the URL sets them."""
    head, _, query = url.partition("?")
    args = [a for a in query.split("&") if a]
    names = {a.partition("=")[0] for a in args}
    args += [f"{name}={timeout:g}" for name in ("cto", "rto") if name not in names]
    return f"{head}?{'&'.join(args)}"


def apprise_send(url: str, title: str, body: str, timeout: float) -> str | None:
    """Send one notification with Apprise, within ``timeout`` seconds (and a little):
    None when the receiver took it, else why not."""
    try:
        with warnings.catch_warnings():  # its own deprecations are not the user's business
            warnings.simplefilter("ignore")
            import apprise
    except ImportError:
        return "Apprise is not installed (pip install 'smm-runner[notify]')"
    answer: list[str | None] = []

    def work() -> None:
        logger = logging.getLogger("apprise")
        logger.propagate = False  # its messages may hold the URL: only ours are shown
        try:
            capture: Any = apprise.LogCapture  # (untyped)
            with warnings.catch_warnings(), capture(level=logging.WARNING) as logs:
                warnings.simplefilter("ignore")
                sender = apprise.Apprise()
                if not sender.add(_with_timeouts(url, timeout)):
                    answer.append("Apprise does not understand the URL")
                    return
                ok = sender.notify(title=title, body=body)
                said = " ".join(str(logs.getvalue()).split())[:300]
                del sender
                gc.collect()  # its connections are left open: closed here, quietly
                answer.append(None if ok else said or "the receiver refused it")
        except Exception as exc:  # a receiver's failure must never fail the command
            answer.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=work, name="smm-notify", daemon=True)
    worker.start()
    worker.join(2 * timeout + 1)
    if worker.is_alive() or not answer:
        return f"no answer within {timeout:g}s"
    return answer[0]
