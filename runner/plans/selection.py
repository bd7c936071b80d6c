"""Choosing a service by what it is: the cheapest fitting candidate across panels.

Pure: the planner hands over each candidate panel's catalog (``Offer``) and the project's
exchange rates; ``choose`` says which services fit the order and the selector, cheapest
first, and why each other service whose name matched was left out.  When none is left,
the error names the condition that emptied the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api.models import Service
from runner.config.campaign import OrderSpec
from runner.config.selector import Selector
from runner.money import format_amount, parse_amount
from runner.plans.facts import PanelFacts
from runner.plans.fit import fit


@dataclass(frozen=True)
class Exchange:
    """The project currency and, per other currency, how many units of it one is worth
    (``currency: USD``, ``exchange: {EUR: 1.08}``)."""

    currency: str | None = None
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def convert(self, amount: Decimal, currency: str | None) -> Decimal | None:
        """``amount`` in the project currency; None when it cannot be converted."""
        if self.currency is None or currency is None or currency == self.currency:
            return amount  # one currency: the plan refused to compare several
        rate = self.rates.get(currency)
        return None if rate is None else amount * rate


@dataclass(frozen=True)
class Offer:
    """One candidate panel as the plan sees it: its catalog and currency, or why not."""

    panel: str
    services: Mapping[int, Service]
    currency: str | None
    error: str | None = None
    known: bool = True  # False: not a panel of the project file


@dataclass(frozen=True)
class Candidate:
    """A service whose name matched: what it would cost, or why it was left out."""

    panel: str
    service: int
    name: str
    type: str
    rate: Decimal
    currency: str | None
    cost: Decimal | None = None  # in the panel's currency
    units: int | None = None
    compared: Decimal | None = None  # the cost in the project currency
    left_out: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "panel": self.panel,
            "service": self.service,
            "name": self.name,
            "type": self.type,
            "rate": str(self.rate),
            "currency": self.currency,
            "cost": None if self.cost is None else str(self.cost),
            "units": self.units,
            "compared": None if self.compared is None else str(self.compared),
            "left_out": self.left_out,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        return cls(
            panel=str(data["panel"]),
            service=int(data["service"]),
            name=str(data["name"]),
            type=str(data["type"]),
            rate=Decimal(str(data["rate"])),
            currency=data.get("currency"),
            cost=parse_amount(data.get("cost")),
            units=data.get("units"),
            compared=parse_amount(data.get("compared")),
            left_out=data.get("left_out"),
        )

    def label(self) -> str:
        return f"{self.service} on {self.panel}"


@dataclass(frozen=True)
class Choice:
    """The candidates that fit, cheapest first, the others with their reasons, and the
    error when none fits."""

    fitting: tuple[Candidate, ...] = ()
    left_out: tuple[Candidate, ...] = ()
    notes: tuple[str, ...] = ()  # panels that could not be asked
    error: str | None = None
    compared_in: str | None = None  # the currency costs were compared in

    @property
    def chosen(self) -> Candidate | None:
        return self.fitting[0] if self.fitting else None

    @property
    def runner_up(self) -> Candidate | None:
        return self.fitting[1] if len(self.fitting) > 1 else None

    def to_json(self, selector: Selector) -> dict[str, Any]:
        return {
            "selector": selector.to_json(),
            "chosen": None if self.chosen is None else self.chosen.to_json(),
            "runner_up": None if self.runner_up is None else self.runner_up.to_json(),
            "fitting": [c.to_json() for c in self.fitting],
            "left_out": [c.to_json() for c in self.left_out],
            "unavailable": list(self.notes),
            "compared_in": self.compared_in,
        }


def offers_of(panels: Sequence[str], facts: Mapping[str, PanelFacts]) -> list[Offer]:
    """The candidate panels as the planner's facts have them, with why a panel cannot be
    asked (not in the project file: ``known`` is False; or it did not answer)."""
    out = []
    for name in panels:
        found = facts.get(name)
        if found is None or not found.known:
            error = found.error if found else f"unknown panel '{name}'"
            out.append(Offer(name, {}, None, error, known=False))
            continue
        currency = found.balance.currency if found.balance else None
        out.append(Offer(name, found.services, currency, found.error))
    return out


def alternates(selection: Mapping[str, Any] | None) -> list[Candidate]:
    """The fitting candidates after the chosen one, as a saved plan keeps them."""
    if not selection:
        return []
    return [Candidate.from_json(c) for c in selection.get("fitting", [])[1:]]


def choose(spec: OrderSpec, selector: Selector, offers: Sequence[Offer], ex: Exchange) -> Choice:
    """The candidates of ``offers`` for this order, cheapest first."""
    notes = tuple(f"{o.panel}: {o.error}" for o in offers if o.error is not None)
    usable = [o for o in offers if o.error is None]
    named = [
        (offer, service)
        for offer in usable
        for service in sorted(offer.services.values(), key=lambda s: s.id)
        if selector.names(service.name)
    ]
    where = ", ".join(o.panel for o in offers)
    if not usable:
        return Choice(notes=notes, error="no candidate panel answered (" + "; ".join(notes) + ")")
    if not named:
        return Choice(
            notes=notes,
            error=f"no service on {where} has all the words of match '{selector.match}' "
            "in its name",
        )
    # The conditions, in order: the first that leaves nothing is the one to name.
    removed: list[tuple[str, Candidate]] = []
    remaining: list[Candidate] = []
    for offer, service in named:
        candidate = Candidate(
            offer.panel,
            service.id,
            service.name,
            str(service.type),
            service.rate,
            offer.currency,
        )
        stage, why = _misfit(spec, selector, service)
        if why is not None:
            removed.append((stage, _out(candidate, why)))
            continue
        fitted = fit(spec, service)
        assert not isinstance(fitted, list)
        remaining.append(
            _with(candidate, cost=fitted.cost, units=fitted.units, left_out=None, compared=None)
        )
    if not remaining:
        error = _emptied(selector, len(named), removed)
        return Choice((), tuple(c for _, c in removed), notes, error)
    currencies = sorted({c.currency or "?" for c in remaining})
    if len(currencies) > 1 and ex.currency is None:
        listed = " and ".join(currencies)
        return Choice(
            (),
            tuple(c for _, c in removed),
            notes,
            f"the candidates are priced in {listed}: set currency: and exchange: in smm.yaml "
            "to compare them",
        )
    priced: list[Candidate] = []
    for candidate in remaining:
        assert candidate.cost is not None
        compared = ex.convert(candidate.cost, candidate.currency)
        rate = ex.convert(candidate.rate, candidate.currency)
        if compared is None or rate is None:
            why = f"priced in {candidate.currency}: no exchange rate for it in smm.yaml"
            removed.append(("currency", _out(candidate, why)))
        elif selector.max_rate is not None and rate > selector.max_rate:
            shown = format_amount(rate) + (f" {ex.currency}" if ex.currency else "")
            why = f"rate {shown} is above max_rate {format_amount(selector.max_rate)}"
            removed.append(("max_rate", _out(candidate, why)))
        else:
            priced.append(_with(candidate, compared=compared))
    left_out = tuple(c for _, c in removed)
    if not priced:
        return Choice((), left_out, notes, _emptied(selector, len(named), removed))
    order = {o.panel: i for i, o in enumerate(offers)}
    priced.sort(key=lambda c: (c.compared, c.rate, order[c.panel], c.service))
    return Choice(tuple(priced), left_out, notes, compared_in=ex.currency)


def _misfit(spec: OrderSpec, selector: Selector, service: Service) -> tuple[str, str | None]:
    """The first condition ``service`` fails (and which), or ``("", None)``."""
    if selector.type is not None and service.type != selector.type:
        return "type", f"a {service.type} service, not {selector.type}"
    for flag, wanted in selector.flags().items():
        has = bool(getattr(service, flag))
        if has != wanted:
            return "flags", f"{'no' if wanted else 'has'} {flag}"
    fitted = fit(spec, service)
    if isinstance(fitted, list):
        return "fit", fitted[0].message
    return "", None


STAGES = ("type", "flags", "fit", "currency", "max_rate")


def _emptied(selector: Selector, count: int, removed: Sequence[tuple[str, Candidate]]) -> str:
    """The condition that left no candidate (the last one, in order, that removed any),
    with what was found before it."""
    found = f"{count} service{'s' if count != 1 else ''} match '{selector.match}'"
    last = max((s for s, _ in removed), key=STAGES.index)
    those = [c for s, c in removed if s == last]
    cheapest = min(those, key=lambda c: (c.rate, c.panel, c.service))
    example = f"{cheapest.label()}: {cheapest.left_out}"
    if last == "type":
        return f"{found}, none of type {selector.type} (e.g. {example})"
    if last == "flags":
        wanted = ", ".join(f"{k}: {str(v).lower()}" for k, v in selector.flags().items())
        return f"{found}, none with {wanted} (e.g. {example})"
    if last == "max_rate":
        return f"{found}, none at or below max_rate {selector.max_rate} (cheapest: {example})"
    if last == "currency":
        return f"{found}, none priced in a currency smm.yaml can compare (e.g. {example})"
    return f"{found}, none fits the order (e.g. {example})"


def _out(candidate: Candidate, why: str) -> Candidate:
    return _with(candidate, left_out=why)


def _with(candidate: Candidate, **changes: Any) -> Candidate:
    from dataclasses import replace

    return replace(candidate, **changes)
