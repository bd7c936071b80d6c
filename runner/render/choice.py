"""How a selector's choice reads under a create: the choice, the runner-up and (``-v``)
why each other candidate was left out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runner.plans.plan import Action
from runner.render.words import money

LABEL = 12


def _price(data: Mapping[str, Any], compared_in: object) -> str:
    cost, currency = data.get("cost"), data.get("currency")
    text = money(None if cost is None else _dec(cost), currency)
    compared = data.get("compared")
    if compared is not None and compared_in and compared_in != currency:
        text += f" = {money(_dec(compared), str(compared_in))}"
    return text


def _dec(value: object) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


def _who(data: Mapping[str, Any]) -> str:
    return f"{data.get('service')} {data.get('name', '')} on {data.get('panel')}"


def lines(action: Action, verbose: bool, escape: Callable[[object], str]) -> list[str]:
    """The lines about a selector's choice (none for a service given by number)."""
    selection = action.selection
    if not selection:
        return []
    out = []
    moved = selection.get("moved_from")
    if isinstance(moved, Mapping):
        out.append(
            f"      {'moved from':<{LABEL}} {escape(_who(moved))}: {escape(moved.get('why', ''))}"
        )
    chosen, runner_up = selection.get("chosen"), selection.get("runner_up")
    fitting = selection.get("fitting") or []
    unit = selection.get("compared_in")
    if isinstance(chosen, Mapping):
        n = len(fitting)
        what = "the only service that fits" if n == 1 else f"the cheapest of {n} that fit"
        out.append(f"      {'chosen':<{LABEL}} {what}: {escape(_price(chosen, unit))}")
    if isinstance(runner_up, Mapping) and isinstance(chosen, Mapping):
        more = _dec(runner_up.get("compared")) - _dec(chosen.get("compared"))
        extra = f" (+{money(more, None if unit is None else str(unit))})"
        out.append(
            f"      {'runner-up':<{LABEL}} {escape(_who(runner_up))}: "
            f"{escape(_price(runner_up, unit))}{escape(extra)}"
        )
    left_out = selection.get("left_out") or []
    if verbose:
        for other in left_out:
            why = escape(other.get("left_out"))
            out.append(f"      {'left out':<{LABEL}} {escape(_who(other))}: {why}")
        for note in selection.get("unavailable") or []:
            out.append(f"      {'unavailable':<{LABEL}} {escape(note)}")
    elif left_out:
        out.append(
            f"      {'left out':<{LABEL}} {len(left_out)} other match"
            f"{'es' if len(left_out) != 1 else ''} (-v or --format json: why)"
        )
    return out


def markdown(actions: list[Action], md: Callable[[str], str]) -> list[str]:
    """For a pull request: each selector's choice and runner-up, one bullet per order."""
    out = []
    for action in actions:
        selection = action.selection or {}
        chosen, runner_up = selection.get("chosen"), selection.get("runner_up")
        if not isinstance(chosen, Mapping):
            continue
        unit = selection.get("compared_in")
        line = f"- `{action.address}`: {md(_who(chosen))}, {md(_price(chosen, unit))}"
        if isinstance(runner_up, Mapping):
            more = _dec(runner_up.get("compared")) - _dec(chosen.get("compared"))
            extra = f"+{money(more, None if unit is None else str(unit))}"
            line += f"; runner-up {md(_who(runner_up))} ({md(extra)})"
        out.append(line)
    return ["Chosen by selector (cheapest that fits):", "", *out, ""] if out else []
