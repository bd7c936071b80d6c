"""Other customers order as time passes: real orders in the global id sequence, never
answered to our key, deterministic for a seed and a clock."""

from __future__ import annotations

from runner.sim.others import KEEP
from tests.sim.conftest import KEY_A, Panel, PanelFactory


def others(panel: Panel) -> list[dict[str, object]]:
    return [o for o in panel.inspect("?all=1") if o["account"] == "others"]


def test_other_customers_take_ids_on_both_sides_of_ours(make_panel: PanelFactory) -> None:
    panel = make_panel(others_rate=2.0)
    panel.call(KEY_A, "balance")  # the panel opens: nobody has ordered yet
    panel.clock[0] += 30
    mine = panel.add(KEY_A)
    panel.clock[0] += 30
    assert panel.call(KEY_A, "status", order=mine)["status"] == "Completed"
    ids = [int(str(o["order"])) for o in others(panel)]
    assert 30 < len(ids) < 200  # about 2 a second for a minute
    assert min(ids) < mine < max(ids)
    # Real orders, progressing like ours, but never ours to see.
    assert {o["status"] for o in others(panel)} <= {"Pending", "In progress", "Completed"}
    assert [o["order"] for o in panel.inspect()] == [mine]
    answer = panel.call(KEY_A, "status", orders=",".join(map(str, ids[:100])))
    assert set(map(str, ids[:100])) == set(answer)
    assert all(v == {"error": "Incorrect order ID"} for v in answer.values())
    assert panel.call(KEY_A, "status", order=ids[-1]) == {"error": "Incorrect order ID"}
    assert panel.call(KEY_A, "cancel", orders=str(ids[-1]))[0]["cancel"] == {
        "error": "Incorrect order ID"
    }


def test_other_customers_arrive_in_order_of_time(make_panel: PanelFactory) -> None:
    panel = make_panel(others_rate=1.0)
    panel.call(KEY_A, "balance")
    panel.clock[0] += 100
    held = others(panel)
    created = [float(str(o["created"])) for o in held]
    assert created == sorted(created) and len(set(created)) == len(created)
    assert panel.clock[0] - 100 < created[0] and created[-1] <= panel.clock[0]


def test_the_same_seed_and_clock_give_the_same_ids(make_panel: PanelFactory) -> None:
    def run(seed: int) -> list[tuple[int, str]]:
        panel = make_panel(others_rate=0.5, seed=seed)
        for step in range(5):
            panel.add(KEY_A, link=f"https://x.com/{step}")
            panel.clock[0] += 7
        return [(int(str(o["order"])), str(o["account"])) for o in panel.inspect("?all=1")]

    first = run(3)
    assert first == run(3)
    assert first != run(4)
    assert sum(1 for _, who in first if who == "others") > 5


def test_no_other_customers_at_rate_zero(make_panel: PanelFactory) -> None:
    panel = make_panel(others_rate=0)
    panel.add(KEY_A)
    panel.clock[0] += 3600
    panel.add(KEY_A, link="https://x.com/2")
    assert others(panel) == []


def test_a_long_idle_panel_keeps_only_the_latest_arrivals(make_panel: PanelFactory) -> None:
    panel = make_panel(others_rate=0.5)
    first = panel.add(KEY_A)
    panel.clock[0] += 86_400  # a day: about 43,200 other orders
    second = panel.add(KEY_A, link="https://x.com/2")
    assert 40_000 < second - first < 47_000
    held = others(panel)
    assert KEEP // 2 < len(held) < 2 * KEEP
    assert all(first < int(str(o["order"])) < second for o in held)
