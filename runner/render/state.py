"""What ``smm state list`` and ``smm refresh`` print."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runner.delivery.rows import Refreshed
from runner.printable import clean
from runner.render.words import money, plural
from runner.state import OrderRecord, StateInfo

if TYPE_CHECKING:
    from rich.table import Table


def records_json(info: StateInfo, records: dict[str, OrderRecord]) -> str:
    return json.dumps(
        {
            "lineage": info.lineage,
            "serial": info.serial,
            "orders": [r.to_json() for r in records.values()],
        },
        indent=2,
    )


def records_table(info: StateInfo, records: dict[str, OrderRecord]) -> Table:
    from rich.markup import escape as markup

    from runner.render.table import Column, table

    def escape(value: object) -> str:
        return markup(clean(value))

    currencies = {r.last.currency for r in records.values() if r.last and r.last.currency}
    currency = currencies.pop() if len(currencies) == 1 else None
    rows = []
    for r in records.values():
        last = r.last
        charge = "-"
        if last is not None and last.charge is not None:
            amount = money(last.charge, None if currency else last.currency)
            charge = escape(amount)
        rows.append(
            [
                escape(r.address),
                str(r.phase).replace("_", " "),
                escape(r.panel),
                str(r.order_id or "-"),
                escape(last.status or "-") if last else "-",
                charge,
                str(r.refills_made or "-"),
            ]
        )
    return table(
        [
            Column("Address", "address"),
            Column("Phase"),
            Column("Panel"),
            Column("Order", "number"),
            Column("Status"),
            Column(f"Charge {escape(currency)}" if currency else "Charge", "number"),
            Column("Refills", "number"),
        ],
        rows,
        title=f"{plural(len(records), 'order')} recorded (serial {info.serial})",
    )


def refreshed_text(result: Refreshed) -> list[str]:
    lines = [
        f"Refreshed {plural(result.orders, 'order')} and {plural(result.refills, 'refill')}"
        + (f" ({result.item_errors} unknown to the panel)" if result.item_errors else "")
        + "."
    ]
    lines += [f"Error: {clean(error)}" for error in result.panel_errors]
    if result.notified:
        lines.append(f"Notified {plural(len(result.notified), 'event')}.")
    if result.attention:
        lines.append("Needs a person:")
        lines += [f"  {clean(line)}" for line in result.attention]
    elif result.attention is not None:
        lines.append("Nothing needs a person.")
    return lines
