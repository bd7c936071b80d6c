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
