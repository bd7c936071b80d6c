"""What ``smm state list`` and ``smm refresh`` print."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runner.delivery import Refreshed
from runner.money import format_amount
from runner.printable import clean
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
    from rich.table import Table

    def escape(value: object) -> str:
        return markup(clean(value))

    table = Table(title=f"{len(records)} orders (serial {info.serial})", title_justify="left")
    for column in ("Address", "Phase", "Panel", "Order", "Status", "Charge", "Refills"):
        table.add_column(column)
    for r in records.values():
        last = r.last
        table.add_row(
            escape(r.address),
            str(r.phase),
            escape(r.panel),
            str(r.order_id or "-"),
            escape(last.status or "-") if last else "-",
            "-" if last is None or last.charge is None else format_amount(last.charge),
            str(r.refills_made),
        )
    return table


def refreshed_text(result: Refreshed) -> list[str]:
    lines = [
        f"Refreshed {result.orders} order{'s' if result.orders != 1 else ''} and "
        f"{result.refills} refill{'s' if result.refills != 1 else ''}"
        + (f" ({result.item_errors} unknown to the panel)" if result.item_errors else "")
        + "."
    ]
    lines += [f"Error: {clean(error)}" for error in result.panel_errors]
    return lines
