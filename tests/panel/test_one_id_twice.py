"""A panel that answers the same order id to several adds has not placed several orders:
an id already owned by another address is a contradiction, in doubt, exit 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Runner, write_campaign
from tests.hostile import HostilePanel

SERVICES = [
    {"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "min": 10, "max": 1000}
]

STATUS = {
    "500": {
        "charge": "0.09",
        "start_count": "0",
        "status": "Pending",
        "remains": "100",
        "currency": "USD",
    }
}


def phases(run: Runner) -> dict[str, tuple[str, int | None]]:
    data = json.loads(run("state", "export").out)
    return {o["address"]: (o["phase"], o["order_id"]) for o in data["orders"]}


def test_one_id_answered_for_three_adds_is_one_order_and_two_doubts(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project(settle_seconds="0.2")
    write_campaign(
        "c",
        [
            f"{{id: o{i}, service: 1, link: https://instagram.com/a{i}, quantity: {100 + i}}}"
            for i in range(3)
        ],
        panel="hp",
    )
    hostile.reply(SERVICES, action="services").reply(
        {"balance": "100", "currency": "USD"}, action="balance"
    )
    hostile.reply({"order": 500}, action="add")
    hostile.reply(STATUS, action="status")
    result = run("apply", "--auto-approve")
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    state = phases(run)
    assert sorted(p for p, _ in state.values()) == ["in_doubt", "in_doubt", "placed"]
    owner = next(a for a, (p, _) in state.items() if p == "placed")
    assert state[owner] == ("placed", 500)
    assert f"the panel answered order 500, which is {owner}'s" in result.out
    # never "3 orders placed"; the next apply orders nothing again
    again = run("apply", "--auto-approve")
    assert again.code == 1
    assert hostile.actions().count("add") == 3


def test_an_id_recorded_by_an_earlier_apply_is_a_contradiction_too(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project(settle_seconds="0.2")
    hostile.reply(SERVICES, action="services").reply(
        {"balance": "100", "currency": "USD"}, action="balance"
    )
    hostile.reply({"order": 500}, action="add")
    hostile.reply(STATUS, action="status")
    write_campaign(
        "c", ["{id: o0, service: 1, link: https://instagram.com/a, quantity: 100}"], panel="hp"
    )
    assert run("apply", "--auto-approve").code == 0
    write_campaign(
        "c",
        [
            "{id: o0, service: 1, link: https://instagram.com/a, quantity: 100}",
            "{id: o1, service: 1, link: https://instagram.com/b, quantity: 120}",
        ],
        panel="hp",
    )
    result = run("apply", "--auto-approve")
    assert result.code == 1, result.out + result.err
    assert "c/o1" in phases(run), result.out + result.err
    assert phases(run)["c/o1"] == ("in_doubt", None), result.out + result.err
    assert "which is c/o0's" in result.out
