"""Renderers of a Plan: text like Terraform's, Markdown for pull requests, JSON.

Rendering never decides anything; it only shows the plan the planner made.
"""

from __future__ import annotations

import json

from runner.money import format_amount
from runner.plan import Action, Kind, Plan
from runner.printable import clean, md
from runner.render.sends import details, worst_case

_STYLE = {
    Kind.CREATE: "green",
    Kind.REFILL: "yellow",
    Kind.CANCEL: "red",
    Kind.CONFLICT: "bold red",
    Kind.IN_DOUBT: "bold magenta",
    Kind.WAIT: "cyan",
    Kind.ORPHAN: "dim",
    Kind.NOOP: "dim",
    Kind.INVALID: "bold red",
}
# The width of the labels under a create ("poll answer", "subscription").
LABEL = 12
SHOWN = (
    Kind.CREATE,
    Kind.REFILL,
    Kind.CANCEL,
    Kind.CONFLICT,
    Kind.IN_DOUBT,
    Kind.WAIT,
    Kind.ORPHAN,
    Kind.INVALID,
)


CONFLICT_FIX = (
    "revert the file to what was placed, or give the order a new id (a new order is "
    "placed; the old one stays as it is)"
)


def _value(value: object) -> str:
    """A field's value in a difference: as written in JSON, or that it is not set."""
    return "(not set)" if value is None else json.dumps(value, ensure_ascii=False)


def _units(action: Action) -> str:
    why = worst_case(action)
    if action.units is None:
        return f"unbounded ({why})" if why else "unbounded"
    if why:
        return f"{action.units} at most: {why}"
    drip = action.fields.get("drip_feed")
    if isinstance(drip, dict):
        per_run = action.units // int(drip["runs"])
        return f"{action.units} ({per_run} x {drip['runs']} runs, every {drip['interval']} min)"
    return str(action.units)


def _line(action: Action) -> str:
    order = f" order {action.order_id}" if action.order_id else ""
    status = f" ({action.status})" if action.status else ""
    reason = f": {action.reason}" if action.reason else ""
    return f"{action.kind.symbol} {action.kind:<9} {action.address}{order}{status}{reason}"


def text(plan: Plan) -> str:
    """Rich markup; the caller prints it with or without colour."""
    from rich.markup import escape as markup

    def escape(value: object) -> str:
        return markup(clean(value))

    lines: list[str] = []
    if plan.reconciliation:
        lines.append("Reconciled lost answers from the panel's evidence:")
        lines += [f"  {escape(line)}" for line in plan.reconciliation]
        lines.append("")
    shown = [a for a in plan.actions if a.kind in SHOWN]
    if shown:
        lines.append("smm will perform these actions:")
        lines.append("")
    for action in shown:
        style = _STYLE[action.kind]
        lines.append(f"  [{style}]{escape(_line(action))}[/]")
        if action.kind is Kind.CREATE:
            lines.append(
                f"      {'panel':<{LABEL}} {escape(action.panel)}, service {action.service}"
                f" {escape(action.service_name or '')}"
            )
            if action.link:
                lines.append(f"      {'link':<{LABEL}} {escape(action.link)}")
            lines += [f"      {label:<{LABEL}} {escape(text)}" for label, text in details(action)]
            cost = (
                "unbounded"
                if action.cost is None
                else f"{format_amount(action.cost)} {escape(action.currency)}"
            )
            lines.append(f"      {'units':<{LABEL}} {escape(_units(action))}")
            lines.append(f"      {'cost':<{LABEL}} {cost}")
        elif action.kind is Kind.CONFLICT:
            for c in action.changes:
                change = f"{_value(c.old)} -> {_value(c.new)}"
                lines.append(f"      {escape(c.field):<{LABEL}} {escape(change)}")
            lines.append(f"      {'ways out':<{LABEL}} {escape(CONFLICT_FIX)}")
    if shown:
        lines.append("")
    unchanged = plan.count(Kind.NOOP)
    if unchanged:
        lines.append(f"{unchanged} order{'s' if unchanged != 1 else ''} unchanged.")
    if plan.campaigns and any(c.cost or c.budget for c in plan.campaigns):
        lines.append("")
        lines.append("Cost by campaign:")
        for c in plan.campaigns:
            budget = ""
            if c.budget is not None:
                budget = (
                    f"   budget {format_amount(c.budget)}: spent {format_amount(c.spent)}, "
                    f"after {format_amount(c.spent + c.cost)}"
                )
            extra = f" {escape(c.currency)}" if c.currency else ""
            lines.append(f"  {escape(c.name):<32} {format_amount(c.cost)}{extra}{budget}")
    if plan.panels:
        lines.append("")
        lines.append("Balance:")
        for p in plan.panels:
            if p.balance is None:
                continue
            lines.append(
                f"  {escape(p.name):<32} {format_amount(p.balance)} {escape(p.currency)} -> "
                f"{format_amount(p.after)} {escape(p.currency)} after {format_amount(p.cost)}"
            )
    for check in plan.warnings:
        lines.append(f"[yellow]{escape(str(check))}[/]")
    for check in plan.errors:
        lines.append(f"[bold red]{escape(str(check))}[/]")
    lines.append("")
    if plan.errors:
        n = len(plan.errors)
        lines.append(
            f"[bold red]The plan has {n} error{'s' if n != 1 else ''}: nothing can be applied.[/]"
        )
    lines.append(f"[bold]{escape(plan.summary())}[/]")
    return "\n".join(lines)


def currency(plan: Plan) -> str | None:
    """The plan's one currency (that of every panel's balance), if there is one."""
    found = {p.currency for p in plan.panels if p.currency}
    return found.pop() if len(found) == 1 else None


def in_doubt_lines(plan: Plan) -> list[str]:
    """Why the run is not green while orders are in doubt, and what settles each."""
    doubtful = plan.of_kind(Kind.IN_DOUBT)
    n = len(doubtful)
    lines = [
        f"{n} order{' is' if n == 1 else 's are'} in doubt: the panel may or may not have "
        f"{'it' if n == 1 else 'them'}. Check the panel's order history, then for each:"
    ]
    for action in doubtful:
        lines.append(
            f"  {action.address}: smm state import {action.address} ORDER_ID "
            f"(it exists), or smm state retry {action.address} (it does not)"
        )
    return lines


def markdown(plan: Plan) -> str:
    """A block fit for a pull-request comment or a CI job summary."""
    out = ["### smm plan", ""]
    if plan.reconciliation:
        out += [f"- 🔎 {md(line)}" for line in plan.reconciliation] + [""]
    rows = [a for a in plan.actions if a.kind in SHOWN]
    if rows:
        out += [
            "| | action | address | service | link | units | cost |",
            "|---|---|---|---|---|---:|---:|",
        ]
        for a in rows:
            cost = (
                ""
                if a.kind is not Kind.CREATE
                else (
                    "unbounded"
                    if a.cost is None
                    else f"{format_amount(a.cost)} {a.currency or ''}".strip()
                )
            )
            units = "" if a.kind is not Kind.CREATE else _units(a)
            service = "" if a.service is None else f"{a.service} {a.service_name or ''}".strip()
            detail = f" ({a.reason})" if a.reason and a.kind is not Kind.CREATE else ""
            out.append(
                f"| `{a.kind.symbol}` | {md(str(a.kind) + detail)} | `{a.address}` | "
                f"{md(service)} | {md(a.link or '')} | {md(units)} | {md(cost)} |"
            )
        out.append("")
        sent = [(a, details(a, brief=False)) for a in rows if a.kind is Kind.CREATE]
        if any(rows for _, rows in sent):
            out += ["What the new orders send besides link and quantity:", ""]
            for a, found in sent:
                if found:
                    parts = "; ".join(f"{md(label)} {md(text)}" for label, text in found)
                    out.append(f"- `{a.address}`: {parts}")
            out.append("")
        conflicts = [a for a in rows if a.kind is Kind.CONFLICT]
        if conflicts:
            out += ["Placed orders whose file changed (they cannot change):", ""]
            for a in conflicts:
                diff = "; ".join(
                    f"{md(c.field)}: {md(_value(c.old))} → {md(_value(c.new))}" for c in a.changes
                )
                out.append(f"- `{a.address}`: {diff or 'its parameters changed'}")
            out += ["", f"Ways out: {md(CONFLICT_FIX)}.", ""]
    else:
        out += ["No changes.", ""]
    if plan.panels:
        out += ["| panel | balance | cost | after |", "|---|---:|---:|---:|"]
        for p in plan.panels:
            bal = "?" if p.balance is None else f"{format_amount(p.balance)} {p.currency}"
            after = "?" if p.after is None else f"{format_amount(p.after)} {p.currency}"
            spent = f"{format_amount(p.cost)} {p.currency}"
            out.append(f"| {md(p.name)} | {md(bal)} | {md(spent)} | {md(after)} |")
        out.append("")
    if plan.checks:
        for check in plan.checks:
            icon = "❌" if check.level == "error" else "⚠️"
            out.append(f"- {icon} {md(str(check))}")
        out.append("")
    out.append(f"**{md(plan.summary())}**")
    return "\n".join(out)


def as_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2)
