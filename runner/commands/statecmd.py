"""``smm state ...``: inspect and repair what is recorded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runner.console import console, out
from runner.errors import EXIT_OK, SmmError
from runner.money import fmt

if TYPE_CHECKING:
    from runner.cli import Env
    from runner.state import OrderRecord, StateReader


def _reader(env: Env) -> StateReader:
    from runner import state

    return state.open_readonly(env.project.state_path)


def _delivered(record: OrderRecord) -> str:
    if record.last is None:
        return "-"
    return record.last.status or "-"


def list_(env: Env, fmt_: str) -> int:
    store = _reader(env)
    records = store.records()
    info = store.info()
    if fmt_ == "json":
        out(
            json.dumps(
                {
                    "lineage": info.lineage,
                    "serial": info.serial,
                    "orders": [r.to_json() for r in records.values()],
                },
                indent=2,
            )
        )
        return EXIT_OK
    if not records:
        out(f"No orders recorded in {env.project.state_path}.")
        return EXIT_OK
    from rich.table import Table

    table = Table(title=f"{len(records)} orders (serial {info.serial})", title_justify="left")
    for column in ("Address", "Phase", "Panel", "Order", "Status", "Charge", "Refills"):
        table.add_column(column)
    for r in records.values():
        charge = "-" if r.last is None or r.last.charge is None else fmt(r.last.charge)
        table.add_row(
            r.address,
            str(r.phase),
            r.panel,
            str(r.order_id or "-"),
            _delivered(r),
            charge,
            str(r.refills_made),
        )
    console().print(table)
    return EXIT_OK


def show(env: Env, address: str) -> int:
    store = _reader(env)
    record = store.record(address)
    if record is None:
        raise SmmError(f"{address}: not in the state")
    data = record.to_json()
    data["events"] = [e.to_json() for e in store.events(address)]
    out(json.dumps(data, indent=2))
    return EXIT_OK


def export(env: Env) -> int:
    store = _reader(env)
    info = store.info()
    out(
        json.dumps(
            {
                "lineage": info.lineage,
                "serial": info.serial,
                "orders": [r.to_json() for r in store.records().values()],
                "events": [e.to_json() for e in store.events()],
            },
            indent=2,
        )
    )
    return EXIT_OK


def _confirm(question: str, yes: bool) -> None:
    import sys

    import click

    if yes:
        return
    if not sys.stdin.isatty():
        raise SmmError("no terminal to confirm on: pass --yes")
    if not click.confirm(question, default=False):
        raise SmmError("cancelled: the state is unchanged")


def import_(
    env: Env,
    address: str,
    order_id: int,
    paths: tuple[object, ...],
    yes: bool,
    lock_timeout: float,
) -> int:
    """Adopt an order that exists on the panel as the order of ADDRESS."""
    from pathlib import Path

    from runner import campaign
    from runner.state import LastStatus, Phase, locked
    from runner.state.sqlite import now_iso

    loaded = campaign.load([Path(str(p)) for p in paths])
    if loaded.problems:
        for problem in loaded.problems:
            out(str(problem))
        raise SmmError("fix the campaign files first")
    spec = next((o for o in loaded.orders if o.address == address), None)
    if spec is None:
        raise SmmError(f"{address}: no such order in the campaign files")
    with locked(env.project.state_path, lock_timeout) as store:
        record = store.record(address)
        if record is not None and record.phase is Phase.PLACED and record.order_id != order_id:
            raise SmmError(
                f"{address} is already recorded as order {record.order_id}; "
                "smm state forget it first if that is wrong"
            )
        with env.client(spec.panel) as client:
            info = client.status(order_id)
        _confirm(f"Record panel order {order_id} ({info.status}) as {address}?", yes)
        with store.transaction() as tx:
            tx.import_order(
                address,
                spec.campaign,
                spec.panel,
                spec.fingerprint(),
                spec.to_json(),
                order_id,
                None,
            )
            tx.status(address, LastStatus.answered(info, now_iso()))
    out(f"{address}: recorded as order {order_id} ({info.status}).")
    return EXIT_OK


def retry(env: Env, address: str, yes: bool, lock_timeout: float) -> int:
    """Declare an in-doubt order as not placed: the next apply places it."""
    from runner.state import Phase, locked

    with locked(env.project.state_path, lock_timeout) as store:
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it", address)
        record = store.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        if record.phase is not Phase.IN_DOUBT:
            raise SmmError(f"{address} is {record.phase}, not in doubt; nothing to retry")
        _confirm(
            f"Declare that {address} was never placed? If the panel has it after all, the "
            "next apply orders it a second time.",
            yes,
        )
        with store.transaction() as tx:
            tx.retry(address)
    out(f"{address}: marked as not placed; the next apply places it.")
    return EXIT_OK


def forget(env: Env, address: str, yes: bool, lock_timeout: float) -> int:
    """Drop the record of ADDRESS (the panel's order, if any, is not touched)."""
    from runner.state import locked

    with locked(env.project.state_path, lock_timeout) as store:
        record = store.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        order = f", order {record.order_id}" if record.order_id else ""
        _confirm(f"Forget {address} ({record.phase}{order})?", yes)
        with store.transaction() as tx:
            tx.forget(address)
    out(f"{address}: forgotten.")
    return EXIT_OK
