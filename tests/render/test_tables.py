"""Every table at 80 columns: no number, id or address is ever cut (rich would end it in
an ellipsis), and a column empty in every row is left out."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from rich.console import Console, RenderableType

from runner.api.models import Service
from runner.delivery.rows import Overview, row_of
from runner.render.panels import services_table
from runner.render.state import records_table
from runner.render.status import tables
from runner.sim.engine import SimPanel
from runner.state import LastStatus, OrderRecord, Phase, RefillRecord, StateInfo

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def screen(renderable: RenderableType, width: int = 80) -> list[str]:
    console = Console(width=width, no_color=True, record=True, file=io.StringIO())
    console.print(renderable)
    lines = console.export_text().splitlines()
    assert all(len(line) <= width for line in lines)
    assert "…" not in "\n".join(lines)  # rich's mark of a cut value
    return lines


def whole(text: str, lines: list[str]) -> bool:
    return any(text in line for line in lines)


def catalog() -> list[Service]:
    panel = SimPanel(":memory:")
    try:
        _, answer = panel.handle({"key": "k", "action": "services"})
    finally:
        panel.close()
    return sorted((Service.parse(s) for s in answer), key=lambda s: s.id)


def test_services_at_80_columns() -> None:
    services = catalog()
    lines = screen(services_table("demo", services, "USD"))
    for s in services:
        for number in (s.id, s.rate, s.min, s.max):
            token = re.compile(rf"(?<![\d.]){re.escape(str(number))}(?![\d.])")
            assert any(token.search(line) for line in lines), (number, "\n".join(lines))
        assert all(whole(word, lines) for word in s.name.split())
    assert whole("Rate: USD per 1000 units", lines)
    assert whole("0.12345", lines) and whole("1000000", lines) and whole("0.00456", lines)


def record(
    address: str,
    order_id: int | None,
    *,
    charge: str | None = None,
    units: int = 1_000_000,
    remains: int = 0,
    phase: Phase = Phase.PLACED,
    refills: tuple[RefillRecord, ...] = (),
) -> OrderRecord:
    last = None
    if charge is not None:
        last = LastStatus("Completed", remains, 10, Decimal(charge), "USD", "2026-11-27T11:00:00Z")
    return OrderRecord(
        address=address,
        campaign=address.split("/")[0],
        panel="demo",
        fingerprint="sha256:x",
        phase=phase,
        spec={"units": units, "service_type": "Default"},
        order_id=order_id,
        last=last,
        refills=refills,
        created_at="2026-11-26T10:00:00Z",
    )


LONG = "spring-launch-2026-instagram"
ADDRESSES = [
    f"{LONG}/followers-of-the-main-account",
    f"{LONG}/likes",
    f"{LONG}/lost-answer",
]


def overview() -> Overview:
    records = [
        record(ADDRESSES[0], 9_876_543_210, charge="12345.678901"),
        record(ADDRESSES[1], 9_876_543_211, charge="0.00456", remains=123_456),
        record(ADDRESSES[2], None, phase=Phase.IN_DOUBT),
    ]
    return Overview([row_of(r, NOW) for r in records], {LONG: Decimal("99999.99")})


def first_column(lines: list[str]) -> str:
    """The text of a table's first column, read top down (cells are 2 spaces apart)."""
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("───"))
    body = lines[rule + 1 : lines.index("", rule + 1) if "" in lines[rule:] else None]
    return "".join(line.strip().split("  ")[0] for line in body if line.strip())


def test_status_at_80_columns() -> None:
    view = overview()
    lines = screen(tables(view))
    # 12345.678901 at the panels' 5 decimals: 12345.6789
    for number in ("9876543210", "9876543211", "12345.6789", "0.00456", "876544/1000000"):
        assert whole(number, lines), (number, "\n".join(lines))
    # huge numbers leave the addresses little room: they fold, never lose a character
    lines = [line.rstrip() for line in lines]
    addresses = first_column(lines)
    assert all(address in addresses for address in ADDRESSES), "\n".join(lines)
    assert whole("Spent 12345.68346 USD of a budget of 99999.99 USD.", lines)


def test_status_of_a_usual_campaign_keeps_addresses_on_one_line() -> None:
    records = [
        record("spring-launch-2026/followers-x", 20_007, charge="0.27", units=300),
        record("spring-launch-2026/comments", 20_008, charge="0.0375", units=3),
    ]
    lines = screen(tables(Overview([row_of(r, NOW) for r in records])))
    assert whole(" spring-launch-2026/followers-x ", lines), "\n".join(lines)
    assert whole(" 20007 ", lines) and whole(" 0.0375 ", lines) and whole(" 300/300 ", lines)


def test_empty_columns_are_left_out() -> None:
    lines = screen(tables(overview()))
    header = next(line for line in lines if "Address" in line)
    assert "Refills" not in header  # no order has a refill
    assert "Note" not in header  # notes are sentences under the table
    notes = " ".join(line.strip() for line in lines[lines.index(header) :])
    assert f"{ADDRESSES[2]}: smm state import {ADDRESSES[2]} ORDER_ID, or smm state retry" in notes
    refill = RefillRecord("2026-11-27T11:00:00Z", 7, status="Completed")
    records = [record("c/a", 1, charge="0.5", refills=(refill,))]
    header = next(
        line
        for line in screen(tables(Overview([row_of(r, NOW) for r in records])))
        if "Address" in line
    )
    assert "Refills" in header


def test_state_list_at_80_columns() -> None:
    records = {
        ADDRESSES[0]: record(ADDRESSES[0], 9_876_543_210, charge="12345.678901"),
        ADDRESSES[2]: record(ADDRESSES[2], None, phase=Phase.IN_DOUBT),
    }
    lines = screen(records_table(StateInfo("lin", 12, {}), records))
    assert whole("9876543210", lines) and whole("12345.6789", lines)
    assert whole("Charge USD", lines) and not whole("Refills", lines)  # none made
    assert whole("2 orders recorded (serial 12)", lines)


def test_how_a_watch_ends() -> None:
    from runner.render.status import final_line

    def sub(address: str, status: str) -> OrderRecord:
        last = LastStatus(status, None, None, None, "USD", "2026-11-27T11:00:00Z")
        return OrderRecord(
            address,
            "c",
            "demo",
            "sha256:x",
            Phase.PLACED,
            {"units": 500, "service_type": "Subscriptions"},
            order_id=9,
            last=last,
        )

    def view(*records: OrderRecord) -> Overview:
        return Overview([row_of(r, NOW) for r in records])

    done = record("c/a", 1, charge="0.5")
    assert final_line(view(done)) == "The order is finished."
    two = view(done, record("c/b", 2, charge="0.5"))
    assert two.finished and final_line(two) == "All 2 orders are finished."
    running = view(done, sub("c/s", "Active"))
    assert running.finished
    assert final_line(running) == "1 order is finished; 1 subscription is running."
    pending = view(done, sub("c/s", "Pending"))
    assert not pending.finished
    assert final_line(pending) == "Stopped watching: 1 order is still under way."
    doubt = view(done, record("c/d", None, phase=Phase.IN_DOUBT))
    assert doubt.finished  # waiting will not settle it: a person will
    assert final_line(doubt) == "The order is finished. 1 order needs a person: see its note."
    open_refill = RefillRecord("2026-11-27T11:00:00Z", 7)
    refilling = view(record("c/r", 3, charge="0.5", refills=(open_refill,)))
    assert not refilling.finished  # its refill is under way


def test_a_plain_table_is_written_as_rich_draws_it() -> None:
    """Line by line where it fits, rich where it does not: the same characters either
    way, at every width, whatever the cells hold (markup-like text, wide characters)."""
    import random

    from runner.render.table import Column, PlainTable

    rng = random.Random(22)
    words = [
        "a",
        "camp/order-1",
        "Completed",
        "-",
        "",
        "[bold]x[/]",
        "日本語",
        "é",
        "\\[",
        "x" * 40,
    ]
    quick = 0
    for _ in range(600):
        columns = [
            Column(
                rng.choice(["Address", "Order", "Charge USD", "日本"]),
                rng.choice(["text", "number", "address"]),
            )
            for _ in range(rng.randint(1, 6))
        ]
        rows = [[rng.choice(words) for _ in columns] for _ in range(rng.randint(0, 5))]
        plain = PlainTable(
            columns,
            rows,
            title=rng.choice([None, "camp", "[x]", "a long title " * 8]),
            caption=rng.choice([None, "Spent 1.00 USD.", "cap " * 30]),
            styles={0: lambda text: "green"},
        )
        for width in (30, 80, 200):
            quick += plain.lines(width) is not None
            assert printed(plain, width) == printed(plain.rich(), width)
            assert screen(plain, width) == screen(plain.rich(), width)  # no soft wrap: rich's
    assert quick > 600  # both ways were compared


def printed(renderable: RenderableType, width: int) -> str:
    """What smm's console prints to a file or a pipe."""
    console = Console(
        file=io.StringIO(), no_color=True, highlight=False, soft_wrap=True, emoji=False, width=width
    )
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_status_text_keeps_its_colours_on_a_terminal() -> None:
    record_ = record("shop/a", 1, charge="0.50")
    view = Overview([row_of(record_, NOW)], {})
    console = Console(width=120, force_terminal=True, color_system="standard", file=io.StringIO())
    console.print(tables(view))
    assert "\x1b[32mCompleted" in console.file.getvalue()  # type: ignore[attr-defined]
