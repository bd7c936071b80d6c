"""What ``smm state list`` and ``smm refresh`` print."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    """What ``smm refresh`` says it recorded (its errors are ``error_lines``)."""
    lines = []
    done = f"{plural(result.orders, 'order')} and {plural(result.refills, 'refill')}" + (
        f" ({result.item_errors} unknown to the panel)" if result.item_errors else ""
    )
    if result.panel_errors:
        failed = plural(len(result.panel_errors), "panel")
        lines.append(f"Refresh incomplete: {failed} could not be asked; refreshed {done}.")
    else:
        lines.append(f"Refreshed {done}.")
    if result.notified:
        lines.append(f"Notified {plural(len(result.notified), 'event')}.")
    if result.attention:
        lines.append("Needs a person:")
        lines += [f"  {clean(line)}" for line in result.attention]
    elif result.attention is not None:
        lines.append("Nothing needs a person.")
    return lines


def error_lines(errors: Sequence[str]) -> list[str]:
    """What a panel would not tell, one line each (for stderr)."""
    return [f"Error: {clean(error)}" for error in errors]


def not_refreshed_lines(errors: Sequence[str]) -> list[str]:
    """Why what is shown is not fresh (one rule for every command that refreshes)."""
    lines = error_lines(errors)
    if errors:
        lines.append(
            f"Not refreshed: {plural(len(errors), 'panel')} could not be asked; their orders "
            "are shown as last recorded."
        )
    return lines


def _scalar(value: object) -> str:
    return "-" if value is None else clean(value if isinstance(value, str) else json.dumps(value))


def record_lines(data: dict[str, object]) -> list[str]:
    """``smm state show`` as text: the record's fields, then each event and observation on
    a line of its own (the JSON form keeps every value exact)."""
    lines = []
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        if not isinstance(value, list):
            lines.append(f"{key:<{width}}  {_scalar(value)}")
    for key, value in data.items():
        if isinstance(value, list):
            lines.append(f"{key}: {len(value)}")
            for item in value:
                if isinstance(item, dict):
                    lines.append(
                        "  " + "  ".join(_scalar(v) for v in item.values() if v is not None)
                    )
                else:
                    lines.append(f"  {_scalar(item)}")
    return lines


def export_lines(data: dict[str, object]) -> list[str]:
    """``smm state export`` as text: what the state holds (--format json gives it all)."""
    counts = ", ".join(
        plural(len(value), key.rstrip("s"), key)
        for key, value in data.items()
        if isinstance(value, list)
    )
    return [
        f"State {_scalar(data.get('lineage'))}, serial {_scalar(data.get('serial'))}: {counts}.",
        "The whole state, exactly: smm state export (JSON)",
    ]
