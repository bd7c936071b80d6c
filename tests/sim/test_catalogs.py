"""The simulator's catalogs: a second shape (another panel's ids, names, rates and
currency), and services changed mid-test, kept in the panel's file for every process."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runner.sim.catalog import ALT_CATALOG, CATALOG, shape_for
from runner.sim.engine import SimPanel
from tests.conftest import Runner, write_project

KEY = {"key": "k"}


def services(panel: SimPanel) -> dict[int, dict[str, object]]:
    code, body = panel.handle({**KEY, "action": "services"})
    assert code == 200
    return {int(s["service"]): s for s in body}


def test_the_alt_shape_is_another_panel() -> None:
    standard, alt = SimPanel(), SimPanel(catalog="alt")
    assert set(services(alt)) == {s.id for s in ALT_CATALOG}
    assert not set(services(alt)) & set(services(standard))
    assert alt.handle({**KEY, "action": "balance"})[1]["currency"] == "EUR"
    assert standard.handle({**KEY, "action": "balance"})[1]["currency"] == "USD"
    # Each refuses the other's numbers, as two panels do.
    form = {**KEY, "action": "add", "service": "1", "link": "https://x.com/a", "quantity": "100"}
    assert alt.handle(form)[1] == {"error": "Incorrect service ID"}
    form["service"] = "102"
    assert "order" in alt.handle(form)[1]
    assert standard.handle(form)[1] == {"error": "Incorrect service ID"}
    assert shape_for("alt-cheap") == "alt" and shape_for("demo") == "standard"
    with pytest.raises(ValueError, match="catalog must be one of standard, alt"):
        SimPanel(catalog="other")


def test_a_change_is_what_the_panel_sells_and_charges(tmp_path: Path) -> None:
    path = tmp_path / "panel.db"
    panel = SimPanel(path)
    panel.services.change(3, rate=Decimal("0.5"), name="TikTok Views")
    panel.services.change(3, type="Package")  # changes add up
    panel.services.change(1, gone=True)
    again = SimPanel(path)  # another process opening the same panel sees them
    listed = services(again)
    assert listed[3]["name"] == "TikTok Views" and listed[3]["rate"] == "0.5"
    assert listed[3]["type"] == "Package" and 1 not in listed
    form = {**KEY, "action": "add", "service": "1", "link": "https://x.com/a", "quantity": "100"}
    assert again.handle(form)[1] == {"error": "Disabled service ID"}
    with pytest.raises(ValueError, match="service 101 is not in this panel's catalog"):
        again.services.change(101, rate=Decimal(1))
    assert SimPanel().services.now()[3] == next(s for s in CATALOG if s.id == 3)


def test_smm_sim_change(run: Runner) -> None:
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}, "eu": {"url": "sim://alt-eu"}})
    missing = run("sim", "change", "demo", "3", "--rate", "1.5")
    assert missing.code == 1 and "sim://demo has no data yet" in missing.err
    assert run("services", "demo").code == 0 and run("services", "eu").code == 0
    result = run("sim", "change", "demo", "3", "--rate", "1.5", "--name", "Likes v2")
    assert result.code == 0
    assert result.out == "sim://demo service 3: Likes v2 (Default, rate 1.5 USD)\n"
    shown = json.loads(run("services", "demo", "--format", "json").out)
    assert next(s for s in shown if s["service"] == 3)["rate"] == "1.5"
    assert run("sim", "change", "alt-eu", "104", "--gone").out == (
        "sim://alt-eu service 104: TikTok Views | Instant (gone)\n"
    )
    for bad, said in (
        (["demo", "3", "--rate", "-1"], "--rate '-1' is not an amount of 0 or more"),
        (["demo", "3", "--rate", "cheap"], "--rate 'cheap' is not an amount of 0 or more"),
        (["demo", "104", "--rate", "1"], "service 104 is not in this panel's catalog"),
        (["../x", "1"], "is not a simulated panel's name"),
    ):
        result = run("sim", "change", *bad)
        assert result.code == 1 and said in result.err and "Traceback" not in result.err
