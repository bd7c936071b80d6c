"""The panels' mass-order text (``service|link|quantity`` a line) made into a campaign
file.  Every bad line is reported (``FILE:line: ...``); the text is written only when
there is none, and it is the text a person would write: it validates and plans as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from runner.config.expand import make_key
from runner.config.lists import MAX_ITEMS, parse_integer
from runner.config.yamldoc import MAX_FILE_BYTES
from runner.errors import Location
from runner.printable import has_control

MAX_QUANTITY = 1_000_000_000
MAX_SERVICE = 2**63 - 1
_ID_LIMIT = 63


@dataclass(frozen=True, slots=True)
class MassOrder:
    service: int
    link: str
    quantity: int
    line: int


def parse(text: str, file: str) -> tuple[list[MassOrder], list[tuple[Location, str]]]:
    """The orders of the text, and every line that is not one (blank lines and ``#``
    comments are skipped)."""
    orders: list[MassOrder] = []
    problems: list[tuple[Location, str]] = []
    if len(text) > MAX_FILE_BYTES:
        return [], [(Location(file, 1, 1), "the file is too large")]
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = Location(file, number, 1)
        if len(orders) >= MAX_ITEMS:
            problems.append((where, f"more than {MAX_ITEMS:,} orders; split the file"))
            break
        position = has_control(line)
        if position is not None:
            problems.append((where, f"control or invisible character at position {position}"))
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != 3:
            problems.append((where, f"expected service|link|quantity, found {len(cells)} field(s)"))
            continue
        service = parse_integer(cells[0], 1, MAX_SERVICE)
        quantity = parse_integer(cells[2], 1, MAX_QUANTITY)
        link = cells[1]
        if service is None:
            problems.append((where, f"service '{cells[0][:40]}' is not a service id"))
        elif not link or any(c.isspace() for c in link):
            problems.append((where, f"link '{link[:60]}' is empty or has spaces"))
        elif quantity is None:
            problems.append(
                (
                    where,
                    f"quantity '{cells[2][:40]}' is not a whole number from 1 to {MAX_QUANTITY:,}",
                )
            )
        else:
            orders.append(MassOrder(service, link, quantity, number))
    if not orders and not problems:
        problems.append((Location(file, 1, 1), "no orders in the file"))
    return orders, problems


def campaign_text(orders: list[MassOrder], campaign: str, panel: str, source: str) -> str:
    """The campaign file: one order per line of the source, its id made from the link
    (and the service when one link is ordered twice)."""
    lines = [
        "# yaml-language-server: $schema=../schemas/campaign.schema.json",
        f"# Imported from {json.dumps(source, ensure_ascii=False)[1:-1]} by smm import mass-order.",
        f"campaign: {campaign}",
        f"panel: {panel}",
        "orders:",
    ]
    used: set[str] = set()
    for order in orders:
        ident = make_key(order.link, _ID_LIMIT - 8)
        if ident in used:
            ident = make_key(f"{order.link} {order.service}", _ID_LIMIT - 8)
        base, n = ident, 2
        while ident in used:
            ident, n = f"{base}-{n}", n + 1
        used.add(ident)
        lines += [
            f"  - id: {ident}  # line {order.line}",
            f"    service: {order.service}",
            f"    link: {json.dumps(order.link, ensure_ascii=False)}",
            f"    quantity: {order.quantity}",
        ]
    return "\n".join(lines) + "\n"
