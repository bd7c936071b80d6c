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
