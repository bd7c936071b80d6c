"""A batch of writes in portable SQL (``?`` placeholders), shared by the SQL backends.

The backend opens the transaction, hands its connection to ``SQLTransaction``, and calls
``finish`` (which bumps the serials of what changed) just before it commits.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from runner.errors import StateError
from runner.state.model import (
    BalanceSeen,
    CancelRecord,
    Evidence,
    LastStatus,
    Phase,
    RefillRecord,
    now_iso,
)
from runner.state.sqlread import SEEN, Connection, campaign_of

_BUMP_SERIAL = (
    "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'serial'"
)
_BUMP_CAMPAIGN = (
    "INSERT INTO campaigns (name, serial) VALUES (?, 1)"
    " ON CONFLICT (name) DO UPDATE SET serial = campaigns.serial + 1"
)


class SQLTransaction:
    """The writes of one batch, as SQL on an open transaction (``?`` placeholders)."""

    # The driver's own errors, and how to say one: a write that fails inside a savepoint
    # (a full disk, a read-only file) is a StateError, as it is outside one.
    db_errors: tuple[type[BaseException], ...] = ()

    def failed(self, exc: BaseException) -> StateError:
        return StateError(f"the state store refused a write ({exc}); nothing of it was recorded")

    def __init__(self, db: Connection, offset: float = 0.0) -> None:
        self.db = db
        self.changed: set[str] = set()  # campaigns whose records this batch changed
        self.at = now_iso(offset)

    def bumps(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The statements that bump the serials of what this batch changed."""
        if not self.changed:
            return []
        return [(_BUMP_SERIAL, ())] + [(_BUMP_CAMPAIGN, (name,)) for name in sorted(self.changed)]

    def finish(self) -> None:
        """Bump the serials of what changed; the backend commits right after."""
        for statement, parameters in self.bumps():
            self.db.execute(statement, parameters)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        changed = set(self.changed)
        self.db.execute("SAVEPOINT part")
        try:
            yield
        except BaseException as exc:
            self.changed = changed
            try:
                self.db.execute("ROLLBACK TO SAVEPOINT part")
                self.db.execute("RELEASE SAVEPOINT part")
            except self.db_errors:
                pass  # the database already undid the whole transaction (a full disk)
            if self.db_errors and isinstance(exc, self.db_errors):
                raise self.failed(exc) from None
            raise
        self.db.execute("RELEASE SAVEPOINT part")

    def _update(self, address: str, **fields: Any) -> None:
        fields["updated_at"] = self.at
        names = ", ".join(f"{k} = ?" for k in fields)
        cursor = self.db.execute(
            f"UPDATE orders SET {names} WHERE address = ?", (*fields.values(), address)
        )
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not in the state")
        self.changed.add(campaign_of(address))

    def _evidence(self, evidence: Evidence | None) -> dict[str, Any]:
        if evidence is None:
            return {}
        return {"sent_at": evidence.sent_at, "gave_up_at": evidence.gave_up_at}

    def event(self, address: str, kind: str, detail: Mapping[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO events (at, address, kind, detail) VALUES (?, ?, ?, ?)",
            (self.at, address, kind, json.dumps(dict(detail), sort_keys=True, default=str)),
        )

    # --- notifications (each sent once: a claim, then sent or released) ---------------

    def claim_notice(self, key: str, event: str, holder: str, stale_before: str) -> bool:
        taken = self.db.execute(
            "INSERT INTO notices (key, event, claimed_at, claimed_by, attempts)"
            " VALUES (?, ?, ?, ?, 1) ON CONFLICT (key) DO NOTHING",
            (key, event, self.at, holder),
        )
        if taken.rowcount == 1:
            return True
        retaken = self.db.execute(
            "UPDATE notices SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1"
            " WHERE key = ? AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
            (self.at, holder, key, stale_before),
        )
        return retaken.rowcount == 1

    def notice_done(self, key: str, error: str | None = None) -> None:
        if error is None:
            self.db.execute(
                "UPDATE notices SET sent_at = ?, error = NULL WHERE key = ?", (self.at, key)
            )
        else:
            self.db.execute(
                "UPDATE notices SET claimed_at = NULL, claimed_by = NULL, error = ?"
                " WHERE key = ? AND sent_at IS NULL",
                (error, key),
            )

    def saw_services(self, panel: str, seen: Mapping[int, Mapping[str, Any]]) -> None:
        for ident, said in sorted(seen.items()):
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"{SEEN}{panel}:{ident}", json.dumps(dict(said), sort_keys=True, default=str)),
            )

    def _insert_order(self, address: str, phase: Phase, **fields: Any) -> None:
        fields = {"address": address, "phase": phase, **fields}
        fields.update(created_at=self.at, updated_at=self.at)
        self.db.execute(
            f"INSERT INTO orders ({', '.join(fields)}) VALUES ({', '.join('?' for _ in fields)})",
            tuple(fields.values()),
        )
        self.changed.add(campaign_of(address))

    def begin_submit(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        cost: Decimal | None,
        apply_id: str,
        known_below: int | None = None,
    ) -> None:
        existing = self.db.execute(
            "SELECT phase FROM orders WHERE address = ?", (address,)
        ).fetchone()
        if existing is not None and existing["phase"] != Phase.REJECTED:
            # Only a never-placed or rejected order may be submitted: anything else
            # would risk a second order.
            raise StateError(
                f"{address}: refusing to submit, it is recorded as {existing['phase']}"
            )
        self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        self._insert_order(
            address,
            Phase.SUBMITTING,
            campaign=campaign,
            panel=panel,
            fingerprint=fingerprint,
            spec=json.dumps(dict(spec), sort_keys=True),
            estimated_cost=None if cost is None else str(cost),
            apply_id=apply_id,
            known_below=known_below,
        )
        self.event(address, "submitting", {"panel": panel, "fingerprint": fingerprint})

    def placed(
        self, address: str, order_id: int, how: str = "add", evidence: Evidence | None = None
    ) -> None:
        self._update(
            address, phase=Phase.PLACED, order_id=order_id, error=None, **self._evidence(evidence)
        )
        self.event(address, "placed", {"order_id": order_id, "how": how})

    def rejected(
        self,
        address: str,
        reason: str,
        not_sent: bool = False,
        evidence: Evidence | None = None,
    ) -> None:
        self._update(address, phase=Phase.REJECTED, error=reason, **self._evidence(evidence))
        self.event(address, "rejected", {"reason": reason, "not_sent": not_sent})

    def in_doubt(self, address: str, reason: str, evidence: Evidence | None = None) -> None:
        self._update(address, phase=Phase.IN_DOUBT, error=reason, **self._evidence(evidence))
        self.event(address, "in_doubt", {"reason": reason})

    def abandon_submitting(
        self,
        reason: str,
        address: str | None = None,
        campaigns: Collection[str] | None = None,
    ) -> list[str]:
        """``submitting`` rows whose apply is gone (of one address, of some campaigns, or
        all) become ``in_doubt``: the request may have reached the panel.  The client
        gave up at the latest now."""
        if address is None:
            rows = self.db.execute(
                "SELECT address, campaign, gave_up_at FROM orders WHERE phase = ?",
                (Phase.SUBMITTING,),
            ).fetchall()
        else:
            rows = self.db.execute(
                "SELECT address, campaign, gave_up_at FROM orders WHERE phase = ? AND address = ?",
                (Phase.SUBMITTING, address),
            ).fetchall()
        if campaigns is not None:
            rows = [r for r in rows if r["campaign"] in campaigns]
        found = [r["address"] for r in rows]
        for row in rows:
            self._update(
                row["address"],
                phase=Phase.IN_DOUBT,
                error=reason,
                gave_up_at=row["gave_up_at"] or self.at,
            )
            self.event(row["address"], "in_doubt", {"reason": reason})
        return found

    def status(self, address: str, last: LastStatus) -> None:
        row = self.db.execute(
            "SELECT status, remains, start_count, charge, status_error FROM orders"
            " WHERE address = ?",
            (address,),
        ).fetchone()
        if row is None:
            raise StateError(f"{address}: not in the state")
        charge = None if last.charge is None else str(last.charge)
        self.db.execute(
            "UPDATE orders SET status = ?, remains = ?, start_count = ?, charge = ?,"
            " currency = ?, checked_at = ?, status_error = ? WHERE address = ?",
            (
                last.status,
                last.remains,
                last.start_count,
                charge,
                last.currency,
                last.checked_at,
                last.error,
                address,
            ),
        )
        before = (row["status"], row["remains"], row["start_count"], row["charge"])
        after = (last.status, last.remains, last.start_count, charge)
        if last.error is None and last.status and before != after:
            self.db.execute(
                "INSERT INTO history (address, at, status, remains, start_count, charge,"
                " currency) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (address, last.checked_at, *after, last.currency),
            )
        if before != after or row["status_error"] != last.error:
            self.changed.add(campaign_of(address))

    def balance(self, seen: BalanceSeen) -> None:
        previous = self.db.execute(
            "SELECT amount, currency FROM balances WHERE panel = ? ORDER BY id DESC LIMIT 1",
            (seen.panel,),
        ).fetchone()
        if previous is not None and (
            Decimal(previous["amount"]),
            previous["currency"],
        ) == (seen.amount, seen.currency):
            return
        self.db.execute(
            "INSERT INTO balances (panel, at, amount, currency) VALUES (?, ?, ?, ?)",
            (seen.panel, seen.at, str(seen.amount), seen.currency),
        )

    def refill(self, address: str, record: RefillRecord) -> None:
        self.db.execute(
            "INSERT INTO refills (address, refill_id, requested_at, error, status, checked_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                address,
                record.refill_id,
                record.requested_at,
                record.error,
                record.status,
                record.checked_at,
            ),
        )
        self.changed.add(campaign_of(address))
        self.event(address, "refill", record.to_json())

    def refill_status(
        self, address: str, refill_id: int, status: str | None, error: str | None, at: str
    ) -> None:
        row = self.db.execute(
            "SELECT status, error FROM refills WHERE address = ? AND refill_id = ?",
            (address, refill_id),
        ).fetchone()
        self.db.execute(
            "UPDATE refills SET status = ?, error = ?, checked_at = ?"
            " WHERE address = ? AND refill_id = ?",
            (status, error, at, address, refill_id),
        )
        if row is None or (row["status"], row["error"]) != (status, error):
            self.changed.add(campaign_of(address))
            self.event(
                address, "refill_status", {"refill_id": refill_id, "status": status, "error": error}
            )

    def cancel(self, address: str, record: CancelRecord) -> None:
        self._update(
            address,
            cancel_requested_at=record.requested_at,
            cancel_ok=int(record.ok),
            cancel_error=record.error,
        )
        self.event(address, "cancel", record.to_json())

    def import_order(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        order_id: int,
        cost: Decimal | None,
        how: Mapping[str, Any] | None = None,
    ) -> None:
        previous = self.db.execute(
            "SELECT sent_at, gave_up_at, known_below FROM orders WHERE address = ?", (address,)
        ).fetchone()
        self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        # The request's send time and lower bound stay true of the order; its give-up time
        # says nothing of when the order was made (it may be later, or made by hand), so
        # it is not kept: reconciliation never takes an imported order as answered then.
        kept = {} if previous is None else {k: previous[k] for k in ("sent_at", "known_below")}
        self._insert_order(
            address,
            Phase.PLACED,
            campaign=campaign,
            panel=panel,
            fingerprint=fingerprint,
            spec=json.dumps(dict(spec), sort_keys=True),
            order_id=order_id,
            estimated_cost=None if cost is None else str(cost),
            **kept,
        )
        self.event(address, "imported", {"order_id": order_id, **(how or {})})

    def withdraw(self, address: str, reason: str) -> None:
        """A ``submitting`` record whose ``add`` was surely never sent: as if never made."""
        cursor = self.db.execute(
            "DELETE FROM orders WHERE address = ? AND phase = ?", (address, Phase.SUBMITTING)
        )
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not being submitted")
        self.changed.add(campaign_of(address))
        self.event(address, "withdrawn", {"reason": reason})

    def retry(self, address: str, reason: str = "declared not placed (state retry)") -> None:
        self._update(address, phase=Phase.REJECTED, error=reason)
        self.event(address, "retry", {"reason": reason})

    def forget(self, address: str) -> None:
        cursor = self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not in the state")
        self.db.execute("DELETE FROM refills WHERE address = ?", (address,))
        self.changed.add(campaign_of(address))
        self.event(address, "forgotten", {})

    def move(self, old: str, new: str) -> None:
        row = self.db.execute("SELECT spec FROM orders WHERE address = ?", (old,)).fetchone()
        if row is None:
            raise StateError(f"{old}: not in the state")
        if self.db.execute("SELECT 1 FROM orders WHERE address = ?", (new,)).fetchone():
            raise StateError(f"{new} is recorded already: {old} cannot take its address")
        try:
            spec = json.loads(row["spec"])
        except ValueError:
            raise StateError(f"{old}: its recorded spec is damaged") from None
        spec["address"] = new
        self.db.execute(
            "UPDATE orders SET address = ?, campaign = ?, spec = ? WHERE address = ?",
            (new, campaign_of(new), json.dumps(spec, sort_keys=True), old),
        )
        for table in ("refills", "events", "history"):
            self.db.execute(f"UPDATE {table} SET address = ? WHERE address = ?", (new, old))
        self.changed.update((campaign_of(old), campaign_of(new)))
        self.event(new, "moved", {"from": old})
