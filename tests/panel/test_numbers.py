"""Numbers from a panel, at the edge: ids are positive 64-bit integers, counts bounded
integers, money finite bounded decimals.  Hostile values are refused with ``ParseError``
only, and cheaply (no million-digit integer is ever built); a service with an unusable
rate/min/max is kept but marked, and a batch entry out of bounds is an ``ItemError``."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from runner.api.fields import (
    ParseError,
    parse_count,
    parse_id,
    parse_money,
    parse_optional_count,
)
from runner.api.models import ItemError, Service
from runner.errors import UnexpectedResponse
from tests.conftest import Runner
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of

HOSTILE: list[object] = [
    "1e999999",
    "-1e999999",
    "1E+999999999",
    "1e-999999",
    Decimal("1e999999"),
    Decimal("-1e999999"),
    Decimal("1e-999999"),
    "9" * 10_000,
    "0." + "9" * 10_000,
    "NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "NaN123",
    "Infinity",
    "-Infinity",
    "inf",
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    float("nan"),
    float("inf"),
    1e308,
    10**40,
    -(10**40),
    "1_000",
    "\u0661\u0662\u0663",
    "0x10",
    "12abc",
    "",
    " ",
    None,
    True,
    False,
    [],
    [1],
    {},
    {"value": 1},
]


def cheap(parse: Callable[[], object]) -> object:
    """Run ``parse`` and check it built nothing big (int(Decimal("1e999999")) builds a
    415 kB integer, and takes seconds to)."""
    tracemalloc.start()
    try:
        return parse()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 64 * 1024, f"parsing allocated {peak} bytes"


def refused(parse: Callable[[object, str], object], value: object) -> str:
    try:
        cheap(lambda: parse(value, "x"))
    except ParseError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 200
        return str(exc)
    raise AssertionError(f"{value!r:.60} was accepted")


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: f"{v!r:.30}")
def test_hostile_values_are_refused_cheaply(value: object) -> None:
    refused(parse_id, value)
    refused(parse_money, value)
    refused(lambda v, w: parse_money(v, w, negative=True), value)
    if value not in (None, "", " ") and value != "nan":
        refused(parse_count, value)


@pytest.mark.parametrize(
    "value",
    [
        0,
        "0",
        -1,
        "-1",
        2**63,
        "9223372036854775808",
        "0" * 30 + "9223372036854775808",
        1.0,
        Decimal("1"),
        "1.0",
        "1e3",
        "+1",
        "-0",
        " 0 ",
    ],
    ids=repr,
)
def test_ids_are_positive_64_bit_integers_only(value: object) -> None:
    refused(parse_id, value)


def test_ids_accepted() -> None:
    assert parse_id(1, "x") == 1
    assert parse_id(" 42 ", "x") == 42
    assert parse_id("0042", "x") == 42
    assert parse_id(2**63 - 1, "x") == 2**63 - 1
    assert parse_id(str(2**63 - 1), "x") == 2**63 - 1


def test_counts() -> None:
    assert parse_count("50", "x") == 50
    assert parse_count("50.00", "x") == 50
    assert parse_count(Decimal("1e3"), "x") == 1000
    assert parse_count(-5, "remains", -(10**12)) == -5
    for value in ("50.5", -1, "-1", 10**12 + 1, "1e13"):
        refused(parse_count, value)
    assert parse_optional_count("Unknown", "remains") is None
    assert parse_optional_count("", "remains") is None
    assert parse_optional_count(None, "remains") is None
    with pytest.raises(ParseError):
        parse_optional_count("1e999999", "remains")
    with pytest.raises(ParseError):
        parse_optional_count("NaN", "remains")


def test_money() -> None:
    assert parse_money("0.90", "rate") == Decimal("0.90")
    assert parse_money(1, "rate") == Decimal(1)
    assert parse_money("1E+2", "rate") == Decimal(100)
    zero = parse_money("-0", "rate")
    assert zero == 0 and not zero.is_signed()
    assert parse_money("1000000000", "rate") == Decimal(10**9)
    assert parse_money("-12.5", "balance", negative=True) == Decimal("-12.5")
    assert "negative" in refused(parse_money, "-0.01")
    assert "out of range" in refused(parse_money, "1000000000.01")
    assert "decimal places" in refused(parse_money, "0." + "0" * 18 + "1")
    assert "finite" in refused(parse_money, "NaN")


# --- services: an entry whose id parses is kept, marked when it cannot be ordered -------


GOOD = {"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "min": 10, "max": 100}


def entry(**fields: object) -> str:
    return json.dumps({**GOOD, **fields})


CATALOG = (
    "["
    + ",".join(
        [
            entry(),
            entry(service=2, rate="NaN"),
            '{"service": 3, "rate": NaN, "min": 1, "max": 2}',
            '{"service": 4, "rate": 1e999999, "min": 1, "max": 2}',
            entry(service=5, rate="-1"),
            entry(service=6, rate="1e999999"),
            entry(service=7, rate="9" * 10_000),
            entry(service=8, min=500, max=100),
            entry(service=9, min="abc"),
            '{"service": 10, "rate": "1", "min": 1}',
            entry(service=11, max=0),
            entry(service=12, max="1e999999"),
            '{"service": 13, "rate": "1", "min": 1, "max": ' + "9" * 10_000 + "}",
            entry(service="1e3"),
            entry(service=2**63),
            entry(service=-1),
            entry(service=True),
            '"not an entry"',
            "[1, 2]",
            entry(service=14, name=[[["deep"]]], category={"a": 1}, type=None),
            entry(service=15, rate=None),
        ]
    )
    + "]"
)
UNUSABLE = {
    2: "finite",
    3: "finite",
    4: "out of range",
    5: "negative",
    6: "out of range",
    7: "expected a number",
    8: "min 500 is above max 100",
    9: "expected a number",
    10: "no max",
    11: "below 1",
    12: "out of range",
    13: "expected a number",
    15: "no rate",
}


def test_services_keep_every_entry_with_an_id_and_say_why_one_is_unusable(
    hostile: HostilePanel,
) -> None:
    hostile.reply(body=CATALOG)
    with client_of(hostile) as client:
        services = {s.id: s for s in client.services()}
    assert set(services) == {1, *UNUSABLE, 14}
    assert services[1].unusable is None and services[1].rate == Decimal("0.90")
    assert services[14].unusable is None and services[14].name
    for ident, reason in UNUSABLE.items():
        service = services[ident]
        assert service.unusable is not None and reason in service.unusable, (ident, service)
        assert service.rate == 0
        assert "\n" not in service.unusable and len(service.unusable) < 400


def test_unusable_survives_the_catalog_cache() -> None:
    marked = Service.parse({**GOOD, "rate": "NaN"})
    again = Service.parse(marked.to_json())
    assert again.unusable == marked.unusable and again.rate == 0
    assert Service.parse(Service.parse(GOOD).to_json()).unusable is None


def test_smm_services_lists_unusable_services_with_their_reason(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project()
    hostile.reply(body=CATALOG)
    result = run("services", "hp", "--format", "json")
    assert result.code == 0, result.err
    listed = {s["service"]: s for s in json.loads(result.out)}
    assert "finite" in listed[2]["unusable"] and "unusable" not in listed[1]
    text = run("services", "hp")
    assert text.code == 0 and "Traceback" not in text.out + text.err


# --- batches: an entry out of bounds is an ItemError; the call still succeeds ----------


def test_status_batch_entries_out_of_bounds_are_item_errors(hostile: HostilePanel) -> None:
    ok = {"status": "Completed", "remains": "-5", "charge": "0.5", "start_count": "10"}
    bad: dict[int, dict[str, Any]] = {
        2: {"status": "Partial", "remains": "1e999999"},
        3: {"status": "Partial", "charge": "-1"},
        4: {"status": "Partial", "charge": "NaN"},
        5: {"status": "Partial", "start_count": "9" * 10_000},
        6: {"status": "Partial", "start_count": -3},
        7: {"status": "Partial", "remains": 10**13},
    }
    body = {"1": ok, **{str(k): v for k, v in bad.items()}}
    hostile.reply(body)
    with client_of(hostile) as client:
        result = client.status_many([1, *bad])
    first = result[1]
    assert not isinstance(first, ItemError) and first.remains == -5
    for ident in bad:
        item = result[ident]
        assert isinstance(item, ItemError) and "unreadable status" in item.message, item


def test_refill_and_cancel_batches_out_of_bounds(hostile: HostilePanel) -> None:
    hostile.reply(
        [
            {"order": 1, "refill": "1e999999"},
            {"order": 2, "refill": 0},
            {"order": "9" * 10_000, "refill": 5},
            {"order": 3, "refill": 7},
        ]
    )
    with client_of(hostile) as client:
        refills = client.refill_many([1, 2, 3, 4])
        hostile.reply([{"order": 1, "cancel": "1e999999"}, {"order": 2, "cancel": 1}])
        cancels = client.cancel([1, 2])
    assert refills[3] == 7
    assert all(isinstance(refills[i], ItemError) for i in (1, 2, 4))
    assert isinstance(cancels[1], ItemError) and cancels[2] is True


@pytest.mark.parametrize(
    "answer",
    [
        '{"balance": "1e999999", "currency": "USD"}',
        '{"balance": 1e999999, "currency": "USD"}',
        '{"balance": NaN, "currency": "USD"}',
        '{"balance": "' + "9" * 10_000 + '"}',
        '{"balance": ' + "9" * 10_000 + "}",
        '{"currency": "USD"}',
    ],
)
def test_a_balance_out_of_bounds_is_unexpected(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path], answer: str
) -> None:
    hostile.reply(body=answer)
    with client_of(hostile) as client, pytest.raises(UnexpectedResponse, match="balance"):
        client.balance()
    hp_project()
    result = run("balance", "hp")
    assert result.code == 1 and result.err.count("\n") == 1, result.err
    assert "balance" in result.err and "Traceback" not in result.err


def test_a_single_status_out_of_bounds_is_unexpected(hostile: HostilePanel) -> None:
    hostile.reply({"status": "Partial", "remains": "1e999999"})
    with client_of(hostile) as client, pytest.raises(UnexpectedResponse, match="remains"):
        client.status(1)
