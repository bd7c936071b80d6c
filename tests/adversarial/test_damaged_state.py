"""A state damaged field by field: every command says so in one line (exit 1), never a
traceback; and a time in the future in a damaged or far-ahead state never holds an apply."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Runner, Sim, followers, http_project, write_campaign


@pytest.fixture
def applied(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    write_campaign("c", followers(2))
    assert run("apply", "--auto-approve").code == 0
    return sim


DAMAGE = {
    "spec not an object": "UPDATE orders SET spec = '[1,2]'",
    "order id not a number": "UPDATE orders SET order_id = 'xyz'",
    "serial not a number": "UPDATE meta SET value = 'x' WHERE key = 'serial'",
    "campaign serial not a number": "UPDATE campaigns SET serial = 'abc'",
    "event detail not JSON": "UPDATE events SET detail = '{bad'",
    "balance not a number": "UPDATE balances SET amount = 'zz'",
    "remains not a number": "UPDATE history SET remains = 'many'",
    # 5,000 digits: past Python's integer-string limit, bounded before any conversion
    "a huge integer in a spec": 'UPDATE orders SET spec = \'{"units": ' + "9" * 5000 + "}'",
    "a huge integer in an event": 'UPDATE events SET detail = \'{"n": ' + "9" * 5000 + "}'",
    "a huge serial": "UPDATE meta SET value = '" + "9" * 5000 + "' WHERE key = 'serial'",
    "a huge campaign serial": "UPDATE campaigns SET serial = '" + "9" * 5000 + "'",
}

COMMANDS = [
    ("plan",),
    ("status",),
    ("state", "list"),
    ("state", "export"),
    ("state", "show", "c/o0"),
    ("report", "-o", "r.html"),
]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_field_is_one_line(run: Runner, applied: Sim, damage: str) -> None:
    db = sqlite3.connect(".smm/state.db")
    db.execute(DAMAGE[damage])
    db.commit()
    db.close()
    for command in COMMANDS:
        result = run(*command)
        assert result.code in (0, 1), (command, result.err)
        assert "Traceback" not in result.err and "internal error" not in result.err, command
    assert not Path(".smm/crash.log").exists()


def test_a_give_up_time_in_the_future_holds_nothing(run: Runner, applied: Sim) -> None:
    db = sqlite3.connect(".smm/state.db")
    db.execute(
        "UPDATE orders SET phase = 'in_doubt', order_id = NULL,"
        " gave_up_at = '9999-01-01T00:00:00.000Z' WHERE address = 'c/o0'"
    )
    db.commit()
    db.close()
    write_campaign("c", followers(4))
    result = run("apply", "--auto-approve")
    assert "Holding the last order" not in result.err
    assert result.code == 1  # c/o0 stays in doubt; the new orders were placed
    assert "2 orders placed" in result.out
