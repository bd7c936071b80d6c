"""What an ``add`` answer means.  A refusal lets the next apply order again, so only an
answer that is surely a refusal is one: an error and no order id.  An order id is a
placement whatever falsy ``error`` rides along; anything contradictory, malformed or out
of bounds is in doubt (never a refusal, never a crash), and ``add`` is never repeated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.errors import OutcomeUnknown, PanelError, PanelRejected
from tests.conftest import Runner, write_campaign
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of

LINK: dict[str, str | int] = {"link": "https://instagram.com/acme", "quantity": 100}
HUGE_INT = "9" * 10_000


def add(hostile: HostilePanel) -> int:
    with client_of(hostile) as client:
        return client.add(1, LINK)


@pytest.mark.parametrize(
    "answer",
    [
        {"order": 123},
        {"order": "123"},
        {"order": " 123 "},
        {"order": 123, "error": None},
        {"order": 123, "error": ""},
        {"order": 123, "error": "  "},
        {"order": 123, "error": False},
        {"order": 123, "error": 0},
        {"order": 123, "error": []},
        {"order": 123, "error": {}},
        {"order": "123", "error": None, "status": "success"},
    ],
)
def test_an_order_id_is_a_placement_whatever_falsy_error_rides_along(
    hostile: HostilePanel, answer: dict[str, Any]
) -> None:
    hostile.reply(answer)
    assert add(hostile) == 123
    assert hostile.actions() == ["add"]


def test_the_largest_64_bit_id_is_a_placement(hostile: HostilePanel) -> None:
    hostile.reply({"order": 2**63 - 1})
    assert add(hostile) == 2**63 - 1


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (200, {"error": "Bad link"}),
        (200, {"error": "Bad link", "order": None}),
        (200, {"error": "Bad link", "order": ""}),
        (422, {"error": "Bad link"}),
        (400, {"error": "Bad link"}),
        (403, {"error": "Bad link"}),
    ],
)
def test_a_truthy_error_and_no_order_id_is_a_refusal(
    hostile: HostilePanel, status: int, answer: dict[str, Any]
) -> None:
    hostile.reply(answer, status=status)
    with pytest.raises(PanelRejected, match="Bad link") as info:
        add(hostile)
    assert info.value.http_status == status
    assert hostile.actions() == ["add"]


IN_DOUBT_BODIES = [
    # an id AND a truthy error
    '{"order": 123, "error": "Not enough funds"}',
    '{"order": "123", "error": true}',
    '{"order": 123, "error": ["x"]}',
    '{"order": 123, "error": 1}',
    # neither
    "{}",
    '{"order": null}',
    '{"order": ""}',
    '{"error": null}',
    '{"error": ""}',
    '{"error": false}',
    '{"status": "success"}',
    # not an object
    "[]",
    "[123]",
    '"123"',
    "123",
    "null",
    "true",
    # ids that are not positive 64-bit integers
    '{"order": 1.5}',
    '{"order": 123.0}',
    '{"order": 1e3}',
    '{"order": "123.0"}',
    '{"order": "1e3"}',
    '{"order": "1e999999"}',
    '{"order": 1e999999}',
    '{"order": -1e999999}',
    '{"order": true}',
    '{"order": false}',
    '{"order": [123]}',
    '{"order": {"id": 123}}',
    '{"order": "abc"}',
    '{"order": "12abc"}',
    '{"order": "1_000"}',
    '{"order": "\\u0661\\u0662\\u0663"}',
    '{"order": "+5"}',
    '{"order": 0}',
    '{"order": "0"}',
    '{"order": -5}',
    '{"order": "-5"}',
    '{"order": 9223372036854775808}',
    '{"order": "9223372036854775808"}',
    '{"order": "00000000000000000000000000009223372036854775808"}',
    f'{{"order": {HUGE_INT}}}',
    f'{{"order": "{HUGE_INT}"}}',
    '{"order": NaN}',
    '{"order": Infinity}',
    '{"order": "NaN"}',
    '{"order": "-0"}',
    # repeated keys: which one did the panel mean?
    '{"order": 5, "order": null, "error": "Bad link"}',
    '{"error": "Bad link", "error": null, "order": 5}',
    '{"order": 5, "order": 5}',
    # an invalid id with an error: an id came, it cannot be a refusal
    '{"order": 0, "error": "Bad link"}',
    '{"order": "abc", "error": "Bad link"}',
    '{"order": false, "error": "Bad link"}',
]


@pytest.mark.parametrize("body", IN_DOUBT_BODIES)
def test_anything_else_is_in_doubt(hostile: HostilePanel, body: str) -> None:
    hostile.reply(body=body)
    with pytest.raises(OutcomeUnknown) as info:
        add(hostile)
    assert not isinstance(info.value, PanelRejected)
    assert "\n" not in str(info.value)
    assert hostile.actions() == ["add"]  # never repeated


def test_a_contradictory_answer_names_the_id(hostile: HostilePanel) -> None:
    hostile.reply({"order": 4242, "error": "Not enough funds"})
    with pytest.raises(OutcomeUnknown, match="4242") as info:
        add(hostile)
    assert "Not enough funds" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
@pytest.mark.parametrize("answer", [{"error": "Bad link"}, {"order": 5}, {}])
def test_5xx_is_in_doubt_whatever_the_body(
    hostile: HostilePanel, status: int, answer: dict[str, Any]
) -> None:
    hostile.reply(answer, status=status)
    with pytest.raises(OutcomeUnknown) as info:
        add(hostile)
    assert not isinstance(info.value, PanelRejected)
    assert hostile.actions() == ["add"]


@pytest.mark.parametrize("status", [201, 202, 301, 302, 400, 404, 422])
def test_an_order_id_with_an_odd_status_is_never_a_refusal(
    hostile: HostilePanel, status: int
) -> None:
    hostile.reply({"order": 5, "error": "Bad link"}, status=status)
    with pytest.raises(OutcomeUnknown) as info:
        add(hostile)
    assert not isinstance(info.value, PanelRejected)


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_with_an_error_is_in_doubt(hostile: HostilePanel, status: int) -> None:
    hostile.reply({"error": "moved"}, status=status, headers=(("Location", "http://x/"),))
    with pytest.raises(OutcomeUnknown) as info:
        add(hostile)
    assert not isinstance(info.value, PanelRejected)


def test_only_panel_errors_ever_come_out(hostile: HostilePanel) -> None:
    """Every hostile body in one client: each is a PanelError, never anything else."""
    bodies = [*IN_DOUBT_BODIES, "[" * 100_000, '{"order": ' + "[" * 5000 + "]" * 5000 + "}"]
    with client_of(hostile) as client:
        for body in bodies:
            hostile.reply(body=body)
            with pytest.raises(PanelError):
                client.add(1, LINK)


# --- through the CLI: a refusal is planned again, a doubt never is ----------------------


SERVICES = [
    {"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "min": 10, "max": 1000}
]


def apply_once(hostile: HostilePanel, run: Runner, hp_project: Any, answer: str) -> str:
    hp_project()
    write_campaign(
        "c", ["{id: o1, service: 1, link: https://instagram.com/a, quantity: 100}"], panel="hp"
    )
    hostile.reply(SERVICES, action="services").reply(
        {"balance": "100", "currency": "USD"}, action="balance"
    )
    hostile.reply(body=answer, action="add")
    result = run("apply", "--auto-approve", "--json")
    assert "Traceback" not in result.out + result.err
    assert not Path(".smm/crash.log").exists()
    phases = {o["address"]: o["phase"] for o in json.loads(run("state", "export").out)["orders"]}
    return str(phases["c/o1"])


@pytest.mark.parametrize(
    "answer", ['{"order": 77, "error": "Not enough funds"}', '{"order": 0}', "{}", "[]"]
)
def test_apply_records_a_contradictory_answer_in_doubt_and_never_orders_again(
    hostile: HostilePanel, run: Runner, hp_project: Any, answer: str
) -> None:
    assert apply_once(hostile, run, hp_project, answer) == "in_doubt"
    again = run("apply", "--auto-approve")
    assert again.code == 1, again.out + again.err  # never green while an order is in doubt
    assert "smm state retry c/o1" in again.err
    assert hostile.actions().count("add") == 1


def test_apply_records_a_refusal_as_rejected(
    hostile: HostilePanel, run: Runner, hp_project: Any
) -> None:
    assert apply_once(hostile, run, hp_project, '{"error": "Bad link", "order": null}') == (
        "rejected"
    )
