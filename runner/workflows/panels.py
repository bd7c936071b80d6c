"""``smm services`` and ``smm balance``: look at a panel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runner.api.models import Balance, Service, ServiceType
from runner.errors import PanelError, SmmError
from runner.plans.drift import seen
from runner.state import locked
from runner.workflows.context import Context


@dataclass(frozen=True)
class Catalog:
    """A panel's services, and the currency its rates are in (the account's, when the
    panel answered ``balance``)."""

    services: list[Service]
    currency: str | None


def catalog(
    ctx: Context, panel: str, search: str | None = None, type_: str | None = None
) -> Catalog:
    """``services``, filtered, with the account's currency (a failed ``balance`` only
    leaves the currency unsaid)."""
    found = services(ctx, panel, search, type_)
    try:
        currency: str | None = balance(ctx, panel).currency
    except PanelError:
        currency = None
    return Catalog(found, currency)


def services(
    ctx: Context, panel: str, search: str | None = None, type_: str | None = None
) -> list[Service]:
    """The panel's catalog, filtered by a text in the name or category and by type."""
    with ctx.client(panel) as client:
        result = client.services()
    if search:
        needle = search.lower()
        result = [s for s in result if needle in s.name.lower() or needle in s.category.lower()]
    if type_:
        wanted = ServiceType(type_.replace("_", " "))
        result = [s for s in result if s.type == wanted]
    return sorted(result, key=lambda s: s.id)


def accept(ctx: Context, panel: str, ids: Sequence[int]) -> list[Service]:
    """Keep what the catalog says now about these services as what campaigns expect of
    them: the plan stops reporting their drift (a new name, type or rate) from here."""
    with ctx.client(panel) as client:
        listed = {s.id: s for s in client.services()}
        currency = client.balance().currency
    missing = [i for i in ids if i not in listed]
    if missing:
        raise SmmError(f"service {missing[0]} is not in {panel}'s catalog: nothing was accepted")
    chosen = [listed[i] for i in ids]
    with locked(ctx.state_location, set()) as store, store.transaction() as tx:
        tx.saw_services(panel, {s.id: seen(s, currency) for s in chosen})
    return chosen


def balance(ctx: Context, panel: str) -> Balance:
    with ctx.client(panel) as client:
        return client.balance()
