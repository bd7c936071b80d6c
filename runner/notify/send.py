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
    """Send each event to each receiver that wants it, once across runs and runners."""
    result = Delivery()
    wanted = [(r, e) for r in receivers for e in found if r.wants(e.kind, e.threshold)]
    if not wanted:
        return result
    send = send or apprise_send
    stale = now_iso(store.clock_offset - STALE.total_seconds())
    me = holder()
    with store.transaction() as tx:
        mine = [
            (r, e) for r, e in wanted if tx.claim_notice(f"{r.ident}:{e.key}", e.kind, me, stale)
        ]
    outcomes: list[tuple[str, str | None]] = []
    for receiver, event in mine:
        try:
            url, secrets = receiver.expand()
        except SmmError as exc:
            error: str | None = exc.message
        else:
            for secret in secrets:
                if len(secret) >= _SECRET_MIN:
                    register_secret(secret)
            error = send(url, event.title, event.body or event.title, receiver.timeout)
            for secret in secrets:
                if error is not None:
                    error = error.replace(secret, "***")
        if error is None:
            result.sent.append(event.key)
        else:
            result.warnings.append(
                f"notify: {event.kind} to {receiver.shown} (notify item "
                f"{receivers.index(receiver) + 1}) not sent: {redact(error)}; tried again "
                "at the next run"
            )
        outcomes.append((f"{receiver.ident}:{event.key}", None if error is None else redact(error)))
    if outcomes:
        with store.transaction() as tx:
            for key, error in outcomes:
                tx.notice_done(key, error)
    return result


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
