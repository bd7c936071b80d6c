"""``smm services`` and ``smm balance``: look at a panel."""

from __future__ import annotations

from runner.api.models import Balance, Service, ServiceType
from runner.workflows.context import Context


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


def balance(ctx: Context, panel: str) -> Balance:
    with ctx.client(panel) as client:
        return client.balance()
