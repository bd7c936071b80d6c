"""Renderers of a Plan: text like Terraform's, Markdown for pull requests, JSON.

Rendering never decides anything; it only shows the plan the planner made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from runner.money import format_amount
from runner.plans.moves import Move
from runner.plans.plan import Action, Check, Kind, Plan
from runner.printable import clean, md
from runner.render import choice
from runner.render.sends import details, worst_case
from runner.render.words import money, plural

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


_LEVEL = {"error": "bold red", "warning": "yellow"}


def _line(action: Action, brief: bool = False) -> str:
    """The action's line; ``brief``: without its reason, which its checks say below."""
    order = f" order {action.order_id}" if action.order_id else ""
    status = f" ({action.status})" if action.status else ""
    reason = f": {action.reason}" if action.reason and not brief else ""
    return f"{action.kind.symbol} {action.kind:<9} {action.address}{order}{status}{reason}"


def move_line(move: Move) -> str:
    """A record that takes a new address: the same order, nothing ordered again."""
    order = f" (order {move.order_id})" if move.order_id else ""
    return f"> {'move':<9} {move.source} -> {move.target}{order}: the same order, renamed"


def _attached(plan: Plan, shown: list[Action]) -> dict[str, list[Check]]:
    """The checks about an action that is listed, by its address."""
    listed = {a.address for a in shown if a.kind is not Kind.CREATE}
    found: dict[str, list[Check]] = {}
    for check in plan.checks:
        if check.address is not None and check.address in listed:
            found.setdefault(check.address, []).append(check)
    return found


def _create(action: Action, escape: Callable[[object], str], verbose: bool) -> list[str]:
    """The lines under a create: where (and why there), what it sends, units and cost."""
    lines = [
        f"      {'panel':<{LABEL}} {escape(action.panel)}, service {action.service}"
        f" {escape(action.service_name or '')}".rstrip()
    ]
    lines += choice.lines(action, verbose, escape)
    if action.link:
        lines.append(f"      {'link':<{LABEL}} {escape(action.link)}")
    lines += [f"      {label:<{LABEL}} {escape(text)}" for label, text in details(action)]
    lines.append(f"      {'units':<{LABEL}} {escape(_units(action))}")
    lines.append(f"      {'cost':<{LABEL}} {escape(money(action.cost, action.currency))}")
    return lines


def _conflict(action: Action, escape: Callable[[object], str]) -> list[str]:
    """The lines under a conflict: each changed field, old -> new, and the ways out."""
    lines = []
    for change in action.changes:
        shown = f"{_value(change.old)} -> {_value(change.new)}"
        lines.append(f"      {escape(change.field):<{LABEL}} {escape(shown)}")
    lines.append(f"      {'ways out':<{LABEL}} {escape(CONFLICT_FIX)}")
    return lines


def _expanded(action: Action, escape: Callable[[object], str]) -> list[str]:
    """The lines under any order with ``--expand``: where it was written (a list item's
    line for a for_each order) and, but for creates (shown in full), its fields."""
    lines = []
    if action.location is not None:
        lines.append(f"      {'written at':<{LABEL}} {escape(action.location)}")
    if action.kind is Kind.CREATE or not action.spec:
        return lines
    fields = action.fields
    service = action.service or action.spec.get("service")
    lines.append(f"      {'panel':<{LABEL}} {escape(action.panel)}, service {escape(service)}")
    link = action.link or fields.get("link")
    if link:
        lines.append(f"      {'link':<{LABEL}} {escape(link)}")
    if "quantity" in fields:
        lines.append(f"      {'quantity':<{LABEL}} {escape(fields['quantity'])}")
    lines += [f"      {label:<{LABEL}} {escape(text)}" for label, text in details(action)]
    return lines


def text(plan: Plan, expand: bool = False, verbose: bool = False) -> str:
    """Rich markup; the caller prints it with or without colour.  Sections are one blank
    line apart.  ``expand``: every order, unchanged ones too, with its fields;
    ``verbose``: why a selector left each other candidate out."""
    from rich.markup import escape as markup

    def escape(value: object) -> str:
        return markup(clean(value))

    sections: list[list[str]] = []
    if plan.reconciliation:
        sections.append(
            ["Reconciled lost answers from the panel's evidence:"]
            + [f"  {escape(line)}" for line in plan.reconciliation]
        )
    shown = [a for a in plan.actions if a.kind in SHOWN or (expand and a.spec)]
    # Each check is said once, with its file:line:col, in the checks below: the line of
    # the action it is about does not say it again.
    attached = _attached(plan, shown)
    if shown or plan.moves:
        lines = ["smm will perform these actions:", ""]
        lines += [f"  [cyan]{escape(move_line(move))}[/]" for move in plan.moves]
        for action in shown:
            about = attached.get(action.address, [])
            line = _line(action, brief=bool(about))
            lines.append(f"  [{_STYLE[action.kind]}]{escape(line)}[/]")
            if expand:
                lines += _expanded(action, escape)
            if action.kind is Kind.CREATE:
                lines += _create(action, escape, verbose)
            elif action.kind is Kind.INVALID and verbose:
                lines += choice.lines(action, verbose, escape)
            elif action.kind is Kind.CONFLICT:
                lines += _conflict(action, escape)
        sections.append(lines)
    unchanged = plan.count(Kind.NOOP)
    if unchanged:
        sections.append([f"{plural(unchanged, 'order')} unchanged."])
    if plan.campaigns and any(c.cost or c.budget for c in plan.campaigns):
        width = min(32, max(len(clean(c.name)) for c in plan.campaigns))
        lines = ["Cost by campaign:"]
        for c in plan.campaigns:
            lines.append(f"  {escape(c.name):<{width}}  {escape(money(c.cost, c.currency))}")
            if c.budget is not None:
                lines.append(
                    f"  {'':<{width}}  budget {escape(money(c.budget, c.currency))}: "
                    f"{escape(money(c.spent, c.currency))} spent, "
                    f"{escape(money(c.spent + c.cost, c.currency))} after this plan"
                )
        sections.append(lines)
    balances = [p for p in plan.panels if p.balance is not None]
    if balances:
        width = min(32, max(len(clean(p.name)) for p in balances))
        sections.append(
            ["Balance:"]
            + [
                f"  {escape(p.name):<{width}}  {escape(money(p.balance, p.currency))} -> "
                f"{escape(money(p.after, p.currency))} after "
                f"{escape(money(p.cost, p.currency))}"
                for p in balances
            ]
        )
    checks = [
        f"[{_LEVEL[check.level]}]{escape(str(check))}[/]"
        for check in (*plan.warnings, *plan.errors)
    ]
    if checks:
        sections.append(checks)
    style = "bold red" if plan.errors else "bold"
    sections.append([f"[{style}]{escape(plan.summary())}[/]"])
    return "\n\n".join("\n".join(lines) for lines in sections)


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
    attached = _attached(plan, rows)
    if plan.moves:
        out += ["Moved (nothing is ordered again):", ""]
        out += [f"- `{m.source}` → `{m.target}`" for m in plan.moves]
        out.append("")
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
            said = a.address in attached  # its checks say why, below: once
            detail = f" ({a.reason})" if a.reason and a.kind is not Kind.CREATE and not said else ""
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
        out += choice.markdown([a for a in rows if a.kind is Kind.CREATE], md)
        conflicts = [a for a in rows if a.kind is Kind.CONFLICT]
        if conflicts:
            out += ["Placed orders whose file changed (they cannot change):", ""]
            for a in conflicts:
                diff = "; ".join(
                    f"{md(c.field)}: {md(_value(c.old))} → {md(_value(c.new))}" for c in a.changes
                )
                out.append(f"- `{a.address}`: {diff or 'its parameters changed'}")
            out += ["", f"Ways out: {md(CONFLICT_FIX)}.", ""]
    elif not plan.moves:
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
    return "".join(plan.json_chunks())


def json_chunks(plan: Plan) -> Iterator[str]:
    """``as_json`` a piece at a time, for a plan too large to hold as one string."""
    return plan.json_chunks()


def saved_header(plan: Plan, where: str) -> str:
    """What ``smm show`` says first: which plan this is, and what applying it needs."""
    from rich.markup import escape as markup

    made = f", made {plan.created_at}" if plan.created_at else ""
    paths = ", ".join(plan.paths) or "campaigns/"
    lineage = plan.lineage or "a new state"
    campaigns = plural(len(plan.serials), "campaign") if plan.serials else "its campaigns"
    return markup(
        clean(
            f"Saved plan {where}{made} from {paths}, against state {lineage} "
            f"(serial {plan.serial}). smm apply {where} applies exactly this plan, and "
            f"refuses it if the state of {campaigns} or the rates have changed since."
        )
    )
