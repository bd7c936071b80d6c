"""``smm status``: per order, where delivery stands; per campaign, spend against budget."""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.console import console, out
from runner.errors import EXIT_OK
from runner.money import fmt

if TYPE_CHECKING:
    from rich.console import RenderableType

    from runner.cli import Env
    from runner.state import OrderRecord


@dataclass(frozen=True)
class Row:
    address: str
    campaign: str
    phase: str
    order_id: int | None
    status: str
    delivered: int | None
    ordered: int | None
    charge: Decimal | None
    currency: str | None
    refills: str
    age: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "campaign": self.campaign,
            "phase": self.phase,
            "order_id": self.order_id,
            "status": self.status,
            "delivered": self.delivered,
            "ordered": self.ordered,
            "charge": None if self.charge is None else str(self.charge),
            "currency": self.currency,
            "refills": self.refills,
            "age": self.age,
            "note": self.note,
        }


def _age(created: str, now: _dt.datetime) -> str:
    try:
        then = _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d"


def row(record: OrderRecord, now: _dt.datetime) -> Row:
    last = record.last
    ordered = record.spec.get("units")
    ordered = int(ordered) if isinstance(ordered, int) else None
    delivered = None
    if last is not None and last.remains is not None and ordered is not None:
        delivered = max(0, ordered - last.remains)
    status = last.status if last is not None and last.status else "-"
    note = ""
    if record.phase == "in_doubt":
        status = "IN DOUBT"
        note = f"smm state import {record.address} ORDER_ID, or smm state retry {record.address}"
    elif record.phase == "rejected":
        status = "REJECTED"
        note = record.error or ""
    elif record.phase == "submitting":
        status = "SUBMITTING"
    elif last is not None and last.error:
        note = f"panel: {last.error}"
    if record.cancel is not None:
        note = (note + "; " if note else "") + (
            "cancel requested" if record.cancel.ok else f"cancel refused: {record.cancel.error}"
        )
    made = [r for r in record.refills if r.ok]
    refills = "-"
    if made:
        refills = f"{len(made)} ({made[-1].status or 'requested'})"
    return Row(
        record.address,
        record.campaign,
        str(record.phase),
        record.order_id,
        status,
        delivered,
        ordered,
        last.charge if last else None,
        last.currency if last else None,
        refills,
        _age(record.created_at, now),
        note,
    )


def collect(env: Env, paths: tuple[Path, ...]) -> tuple[list[Row], dict[str, Decimal | None]]:
    """The rows of every recorded order of the campaigns under PATHS, and their budgets."""
    from runner import campaign, state

    budgets: dict[str, Decimal | None] = {}
    if paths or campaign.DEFAULT_PATH.exists():
        loaded = campaign.load(list(paths))
        budgets = {c.name: c.budget for c in loaded.campaigns}
    reader = state.open_readonly(env.project.state_path)
    try:
        records = reader.records(set(budgets) if budgets else None)
    finally:
        reader.close()
    now = _dt.datetime.now(_dt.UTC)
    return [row(r, now) for r in records.values()], budgets


def spend(rows: list[Row], campaign: str) -> Decimal:
    return sum((r.charge or Decimal(0) for r in rows if r.campaign == campaign), Decimal(0))


def finished(rows: list[Row]) -> bool:
    from runner.panel.models import OrderStatus

    for r in rows:
        if r.phase != "placed":
            continue
        if r.status == "-" or not OrderStatus(r.status).terminal:
            return False
        if "(requested)" in r.refills or any(
            f"({s})" in r.refills for s in ("Pending", "In progress")
        ):
            return False
    return True


_STYLE = {
    "Completed": "green",
    "Partial": "yellow",
    "Canceled": "red",
    "Refunded": "red",
    "IN DOUBT": "bold magenta",
    "REJECTED": "bold red",
    "SUBMITTING": "magenta",
}


def tables(rows: list[Row], budgets: dict[str, Decimal | None]) -> RenderableType:
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    parts: list[Any] = []
    campaigns = sorted({r.campaign for r in rows})
    if not campaigns:
        return Group("No orders recorded yet. Run smm apply first.")
    for name in campaigns:
        mine = [r for r in rows if r.campaign == name]
        budget = budgets.get(name)
        spent = spend(rows, name)
        currency = next((r.currency for r in mine if r.currency), "")
        caption = f"spent {fmt(spent)} {currency}".rstrip()
        if budget is not None:
            caption += f" of budget {fmt(budget)}"
        table = Table(
            title=f"{name}", caption=caption, title_justify="left", caption_justify="left"
        )
        for column, justify in (
            ("Address", "left"),
            ("Order", "right"),
            ("Status", "left"),
            ("Delivered", "right"),
            ("Charge", "right"),
            ("Refills", "left"),
            ("Age", "right"),
            ("Note", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in mine:
            delivered = "-" if r.delivered is None else f"{r.delivered}/{r.ordered}"
            style = _STYLE.get(r.status, "")
            status = f"[{style}]{escape(r.status)}[/]" if style else escape(r.status)
            table.add_row(
                escape(r.address),
                str(r.order_id or "-"),
                status,
                delivered,
                "-" if r.charge is None else fmt(r.charge),
                escape(r.refills),
                r.age,
                escape(r.note),
            )
        parts.append(table)
    return Group(*parts)


def markdown(rows: list[Row], budgets: dict[str, Decimal | None]) -> str:
    lines = ["### smm status", ""]
    for name in sorted({r.campaign for r in rows}):
        mine = [r for r in rows if r.campaign == name]
        budget = budgets.get(name)
        lines += [
            f"**{name}**: spent {fmt(spend(rows, name))}"
            + (f" of budget {fmt(budget)}" if budget is not None else ""),
            "",
            "| address | order | status | delivered | charge | refills |",
            "|---|---:|---|---:|---:|---|",
        ]
        for r in mine:
            delivered = "-" if r.delivered is None else f"{r.delivered}/{r.ordered}"
            lines.append(
                f"| `{r.address}` | {r.order_id or '-'} | {r.status} | {delivered} | "
                f"{'-' if r.charge is None else fmt(r.charge)} | {r.refills} |"
            )
        lines.append("")
    return "\n".join(lines)


def as_json(rows: list[Row], budgets: dict[str, Decimal | None]) -> str:
    campaigns = []
    for name in sorted({r.campaign for r in rows}):
        budget = budgets.get(name)
        campaigns.append(
            {
                "campaign": name,
                "spent": str(spend(rows, name)),
                "budget": None if budget is None else str(budget),
            }
        )
    return json.dumps({"orders": [r.to_json() for r in rows], "campaigns": campaigns}, indent=2)


def run(
    env: Env,
    paths: tuple[Path, ...],
    refresh: bool,
    watch: bool,
    interval: float,
    fmt_: str,
    lock_timeout: float,
) -> int:
    from runner.commands.refresh import campaigns_in
    from runner.commands.refresh import refresh as ask_panels

    names = campaigns_in(paths) if refresh or watch else None
    if refresh or watch:
        ask_panels(env, names, lock_timeout)
    rows, budgets = collect(env, paths)
    if watch and fmt_ == "text":
        from rich.live import Live

        with Live(tables(rows, budgets), console=console(), auto_refresh=False) as live:
            while not finished(rows):
                time.sleep(interval)
                ask_panels(env, names, lock_timeout)
                rows, budgets = collect(env, paths)
                live.update(tables(rows, budgets), refresh=True)
        return EXIT_OK
    if fmt_ == "json":
        out(as_json(rows, budgets))
    elif fmt_ == "markdown":
        out(markdown(rows, budgets))
    else:
        console().print(tables(rows, budgets))
    return EXIT_OK
