"""A damaged ``add`` answer is in doubt, never "not sent": the request reached the panel,
which may have placed the order, so retrying it (or planning it again) could order twice.
Damage: a gzip body that does not decompress or is cut short, a body that trickles past
the deadline after prompt headers (with a length, or up to the close), a connection
dropped after the headers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from runner.errors import NotSent, OutcomeUnknown
from runner.panel.http import RetryPolicy
from tests.conftest import Runner, write_campaign
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of

LINK: dict[str, str | int] = {"link": "https://instagram.com/acme", "quantity": 100}
ORDER = {"order": 4321}

DAMAGE: dict[str, dict[str, Any]] = {
    "broken-gzip": {"gzip": "broken"},
    "truncated-gzip": {"gzip": "truncated"},
    "truncated-gzip-to-close": {"gzip": "truncated", "declare_length": False},
    "trickle-after-headers": {"trickle_ms": 150},
    "trickle-to-close": {"trickle_ms": 150, "declare_length": False},
    "closed-after-headers": {"close": "after_headers"},
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_add_answer_is_in_doubt_and_sent_once(hostile: HostilePanel, damage: str) -> None:
    hostile.reply(ORDER, **DAMAGE[damage])
    with (
        client_of(hostile, timeout=0.5, retry=RetryPolicy(), sleep=time.sleep) as client,
        pytest.raises(OutcomeUnknown) as info,
    ):
        client.add(1, LINK)
    assert not isinstance(info.value, NotSent)
    assert type(info.value) is OutcomeUnknown  # not a refusal, not "unexpected": in doubt
    assert hostile.actions() == ["add"]


SERVICES = [
    {"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "min": 10, "max": 1000}
]


@pytest.mark.parametrize("damage", ["broken-gzip", "truncated-gzip", "trickle-after-headers"])
def test_apply_records_a_damaged_answer_in_doubt_and_never_orders_again(
    hostile: HostilePanel, run: Runner, hp_project: Any, damage: str
) -> None:
    hp_project(timeout="0.5")
    write_campaign(
        "c", ["{id: o1, service: 1, link: https://instagram.com/a, quantity: 100}"], panel="hp"
    )
    hostile.reply(SERVICES, action="services").reply(
        {"balance": "100", "currency": "USD"}, action="balance"
    )
    hostile.reply(ORDER, action="add", **DAMAGE[damage])
    hostile.reply({}, action="status")  # reconciling proves nothing
    result = run("apply", "--auto-approve", "--no-reconcile")
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.out + result.err
    orders = json.loads(run("state", "export").out)["orders"]
    assert [o["phase"] for o in orders] == ["in_doubt"]
    again = run("apply", "--auto-approve", "--no-reconcile")
    assert again.code == 1, again.out + again.err
    assert hostile.actions().count("add") == 1
    assert Path(".smm/state.db").is_file()
