"""One desired order against the service it names: does it fit, and what it costs at worst.

Pure, so the planner and the tests share it.  Every problem names the field it is about,
so the plan can point at the line that needs a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from runner.api.models import Service
from runner.api.ordertypes import BY_SERVICE_TYPE, OrderType, checked_quantity, price, units
from runner.config.campaign import OrderSpec
from runner.money import MAX_AMOUNT


@dataclass(frozen=True)
class Misfit:
    """Why an order cannot be placed on a service; ``field`` locates it in the file."""

    message: str
    field: str | None = None


@dataclass(frozen=True)
class Fitted:
    """An order that fits its service: the units charged and the worst-case cost."""

    order_type: OrderType
    units: int
    cost: Decimal


def fit(spec: OrderSpec, service: Service) -> Fitted | list[Misfit]:
    """The order on this service, or every reason it cannot be placed there."""
    if service.unusable:
        return [Misfit(f"service {service.id} cannot be ordered: {service.unusable}", "service")]
    if not service.rate.is_finite() or service.rate < 0 or service.rate > MAX_AMOUNT:
        return [Misfit(f"service {service.id} has an unusable rate ({service.rate})", "service")]
    order_type = BY_SERVICE_TYPE.get(service.type)
    if order_type is None:
        return [Misfit(f"service {service.id} is of a type smm does not know: {service.type}")]
    if service.type not in spec.types:
        return [_wrong_type(spec, service, order_type)]
    problems: list[Misfit] = []
    params = spec.param_map
    if "quantity" in params and order_type.units in ("comments", "usernames"):
        listed = len(params[order_type.units])
        if params["quantity"] != listed:
            problems.append(
                Misfit(
                    f"quantity {params['quantity']} does not match the {listed} "
                    f"{order_type.units} of a {service.type} order",
                    "quantity",
                )
            )
    checked = checked_quantity(order_type, params)
    per_run = " per run" if "drip_feed" in params else ""
    if not service.min <= checked <= service.max:
        problems.append(
            Misfit(
                f"quantity {checked}{per_run} is outside service {service.id}'s limits "
                f"{service.min}..{service.max}",
                "quantity" if "quantity" in params else "service",
            )
        )
    if "drip_feed" in params and service.dripfeed is False:
        problems.append(Misfit(f"service {service.id} does not support drip-feed", "drip_feed"))
    if spec.refills and not service.refill:
        problems.append(Misfit(f"service {service.id} does not support refills", "refills"))
    count = units(order_type, params)
    if count is None:
        problems.append(
            Misfit(
                "a subscription without 'posts' has no worst-case cost; set posts (the new "
                "posts to cover) so that max x (posts + old_posts) bounds what it can spend",
                "posts" if "posts" in params else None,
            )
        )
    if problems:
        return problems
    assert count is not None
    return Fitted(order_type, count, price(order_type, service.rate, count))


def _wrong_type(spec: OrderSpec, service: Service, order_type: OrderType) -> Misfit:
    """Name what is missing for the service's type, or what does not belong to it."""
    fields = set(spec.param_map)
    missing = sorted(order_type.required - fields)
    extra = sorted(fields - order_type.fields)
    if extra:
        return Misfit(
            f"service {service.id} is a {service.type} service, and field '{extra[0]}' "
            f"does not belong to a {service.type} order",
            extra[0],
        )
    if missing:
        return Misfit(
            f"service {service.id} is a {service.type} service: the order needs '{missing[0]}'",
            "service",
        )
    fits = ", ".join(str(t) for t in spec.types)
    return Misfit(
        f"service {service.id} is a {service.type} service, but the order's fields are for: {fits}",
        "service",
    )
