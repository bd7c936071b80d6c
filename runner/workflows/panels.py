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
    total: int = 0  # services in the whole catalog, before the filters
    types: tuple[str, ...] = ()  # the types the whole catalog has


def catalog(
    ctx: Context,
    panel: str,
    search: str | None = None,
    type_: str | None = None,
    *,
    currency: bool = True,
) -> Catalog:
    """``services``, filtered, with the account's currency when ``currency`` (a failed
    ``balance`` only leaves the currency unsaid)."""
    with ctx.client(panel) as client:
        every = client.services()
    found = services_matching(every, search, type_)
    unit: str | None = None
    if currency:
        try:
            unit = balance(ctx, panel).currency
        except PanelError:
            unit = None
    types = tuple(sorted({str(s.type) for s in every}))
    return Catalog(found, unit, len(every), types)


def services(
    ctx: Context, panel: str, search: str | None = None, type_: str | None = None
) -> list[Service]:
    """The panel's catalog, filtered by a text in the name or category and by type."""
    with ctx.client(panel) as client:
        return services_matching(client.services(), search, type_)


def services_matching(
    result: list[Service], search: str | None, type_: str | None
) -> list[Service]:
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
