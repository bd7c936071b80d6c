"""smm in a real pseudo-terminal at 80 columns, against the simulator over HTTP: what a
person sees (tests/terminal.py drives the terminal)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, Sim, followers, http_project, write_campaign
from tests.terminal import Terminal


def env() -> dict[str, str]:
    """The environment of a person's terminal (the test's own, less what would change
    how smm draws)."""
    drop = {"NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR", "TERM"}
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "PYTHONPATH": str(REPO),
        "TERM": "xterm-256color",
    }


def smm(*args: str) -> Terminal:
    return Terminal(args, Path.cwd(), env(), columns=80)


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def test_apply_shows_each_order_above_the_bar(project: Sim) -> None:
    write_campaign("c", followers(3))
    term = smm("apply", "--auto-approve")
    assert term.wait() == 0, term.text
    placed = {
        m["address"]: int(m["id"])
        for line in term.lines
        if (m := re.fullmatch(r"  (?P<address>c/o\d): placed, order (?P<id>\d+), 0\.09 USD", line))
    }
    assert sorted(placed) == ["c/o0", "c/o1", "c/o2"], term.text
    assert sorted(placed.values()) == sorted(int(str(o["order"])) for o in project.orders())
    assert "Apply complete: 3 orders placed. Spent 0.27 USD." in term.lines
    assert "Applying" in term.text and "3/3" in term.text  # the live bar was drawn
    summary = term.lines.index("Apply complete: 3 orders placed. Spent 0.27 USD.")
    assert all(
        term.lines.index(f"  c/o{i}: placed, order {placed[f'c/o{i}']}, 0.09 USD") < summary
        for i in range(3)
    )


def test_watch_ends_by_itself_with_its_final_line(project: Sim) -> None:
    project.panel.speed = 3600.0  # an hour a second: the orders finish as we watch
    write_campaign(
        "c",
        [
            *followers(2),
            "{id: sub, service: 18, username: acme, min: 20, max: 50, posts: 4}",
        ],
    )
    assert smm("apply", "--auto-approve").wait() == 0
    term = smm("status", "--watch", "--interval", "0.2")
    assert term.wait() == 0, term.text
    assert term.text.endswith("\nAll 3 orders are finished.\n"), term.text
    assert "Aborted" not in term.text
    widths = {len(line) for line in term.lines}
    assert max(widths) <= 80


def test_ctrl_c_stops_watching_cleanly(project: Sim) -> None:
    project.panel.speed = 0.001  # nothing moves: only Ctrl-C ends the watch
    write_campaign("c", followers(1))
    assert smm("apply", "--auto-approve").wait() == 0
    term = smm("status", "--watch", "--interval", "0.2")
    term.expect("Address")  # the table is on the screen
    term.type("\x03")  # Ctrl-C, as typed
    assert term.wait() == 0, term.text
    assert "Aborted" not in term.text and "Traceback" not in term.text
    assert term.text.endswith("\nStopped watching: 1 order is still under way.\n"), term.text


def test_services_fit_80_columns_whole(project: Sim) -> None:
    term = smm("services", "demo")
    assert term.wait() == 0, term.text
    lines = [line.rstrip() for line in term.lines]
    assert max(len(line) for line in lines) <= 80, term.text
    assert "…" not in term.text  # nothing is cut
    for number in ("0.12345", "0.00456", "1000000", "12.50"):
        assert any(f" {number} " in f"{line} " for line in lines), (number, term.text)
    assert "Rate: USD per 1000 units" in term.text
