"""The moves, as a pure function of the entries and the records."""

from __future__ import annotations

from runner.config.moved import Moved
from runner.errors import Location
from runner.plans.moves import resolve
from runner.state import OrderRecord, Phase

HERE = Location("campaigns/c.yaml", 9, 5)


def record(address: str, order_id: int) -> OrderRecord:
    return OrderRecord(
        address=address,
        campaign=address.split("/", 1)[0],
        panel="demo",
        fingerprint="sha256:x",
        phase=Phase.PLACED,
        spec={"address": address},
        order_id=order_id,
    )


def test_instances_and_top_ups_move_with_their_order() -> None:
    records = {
        a: record(a, i)
        for i, a in enumerate(
            ["c/old", "c/old@2026-12-01T00:00:00Z", "c/old+1", "c/older", "c/other"], start=1
        )
    }
    done = resolve([Moved("c/old", "c/new", HERE)], records)
    assert sorted(done.records) == [
        "c/new",
        "c/new+1",
        "c/new@2026-12-01T00:00:00Z",
        "c/older",  # a longer name is another order
        "c/other",
    ]
    assert [(m.source, m.target, m.order_id) for m in done.moves] == [
        ("c/old", "c/new", 1),
        ("c/old+1", "c/new+1", 3),
        ("c/old@2026-12-01T00:00:00Z", "c/new@2026-12-01T00:00:00Z", 2),
    ]
    assert done.records["c/new"].campaign == "c" and not done.refusals


def test_across_campaigns_and_refusals() -> None:
    records = {"a/x": record("a/x", 1), "b/y": record("b/y", 2), "b/z": record("b/z", 3)}
    done = resolve(
        [Moved("a/x", "b/new", HERE), Moved("b/y", "b/z", HERE), Moved("b/z", "b/new", HERE)],
        records,
    )
    assert done.records["b/new"].campaign == "b" and done.records["b/new"].order_id == 1
    first, second = (r.message for r in done.refusals)
    assert first.startswith("b/y cannot move to b/z: b/z is recorded too (order 3)")
    assert second.startswith("b/z and a/x are both recorded and both named as b/new's old name")
    assert all(r.location == HERE for r in done.refusals)


def test_nothing_to_move_is_nothing() -> None:
    records = {"c/new": record("c/new", 1)}
    done = resolve([Moved("c/old", "c/new", HERE)], records)  # moved already
    assert done.records == records and not done.moves and not done.refusals
