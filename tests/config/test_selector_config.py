"""What smm.yaml and campaign files say about choosing services: the project currency and
exchange rates, safety limits, selectors; each mistake one line at its place."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from runner.api.models import ServiceType
from runner.config import project
from runner.config.campaign import CampaignSpec, parse
from runner.config.safety import Safety
from runner.config.selector import Selector
from runner.config.yamldoc import loads
from runner.errors import ConfigError, Location
from runner.plans.limits import Targets

PANELS = 'panels:\n  demo: {url: "sim://demo"}\n'


def load(text: str, tmp_path: Path) -> project.Project:
    path = tmp_path / "smm.yaml"
    path.write_text(PANELS + text)
    return project.load(path, tmp_path)


def test_currency_exchange_and_safety_are_read(tmp_path: Path) -> None:
    found = load(
        "currency: USD\nexchange: {EUR: 1.08, GBP: 1.27}\nsafety: {max_creates: 5, "
        "max_spend: 10.50}\n",
        tmp_path,
    )
    assert found.currency == "USD"
    assert found.exchange == {"EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
    assert found.safety == Safety(5, Decimal("10.50"), Location("smm.yaml", 5, 1))
    plain = load("", tmp_path)
    assert (plain.currency, plain.exchange, plain.safety) == (None, {}, None)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "exchange: {EUR: 0}\ncurrency: USD\n",
            "smm.yaml:3:17: exchange.EUR: must be greater than 0",
        ),
        ("currency: USD\nexchange: {EUR: x}\n", "smm.yaml:4:17: exchange.EUR: must be a number"),
        ("exchange: {EUR: 1.1}\n", "smm.yaml:3:1: exchange: needs currency:"),
        ("currency: dollars\n", "smm.yaml:3:11: currency: must be a currency code like USD"),
        ("safety: {max_spend: -1}\n", "smm.yaml:3:21: safety.max_spend: must be at least 0"),
    ],
)
def test_a_mistake_is_one_line_at_its_place(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(text, tmp_path)
    shown = f"{caught.value.location}: {caught.value.message}"
    assert shown.startswith(said), shown


def campaign(text: str) -> CampaignSpec:
    spec, problems = parse(loads(text, "c.yaml"))
    assert spec is not None, problems
    return spec


def test_a_selector_from_defaults_and_a_campaign_without_a_panel() -> None:
    spec = campaign(
        "campaign: c\nsafety: {max_creates: 3}\ndefaults:\n  service: {match: Likes, type: "
        "custom_comments, refill: false, max_rate: 2, panels: [a, b]}\norders:\n"
        "  - {id: x, link: https://x.com/p, comments: [hi]}\n"
    )
    [order] = spec.orders
    assert order.panel == "" and order.service is None and order.panels == ("a", "b")
    assert order.selector == Selector(
        "Likes", ServiceType.CUSTOM_COMMENTS, refill=False, max_rate=Decimal(2), panels=("a", "b")
    )
    assert spec.safety is not None and spec.safety.max_creates == 3
    assert order.to_json()["service"] == {
        "match": "Likes",
        "type": "Custom Comments",
        "refill": False,
        "max_rate": "2",
        "panels": ["a", "b"],
    }


def test_targets_name_addresses_or_campaigns() -> None:
    spec = campaign(
        "campaign: c\npanel: demo\norders:\n  - {id: x, service: 1, link: l, quantity: 10}\n"
        "  - {id: y, service: 1, link: m, quantity: 10}\n"
    )
    assert [o.id for c in Targets(("c/y",)).restrict([spec]) for o in c.orders] == ["y"]
    assert Targets(("c",)).restrict([spec]) == [spec] == Targets().restrict([spec])
    assert Targets(("c/y",)).covers("c/y") and not Targets(("c/y",)).covers("c/x")
    with pytest.raises(Exception, match="--target d: no campaign or order address"):
        Targets(("d",)).restrict([spec])
