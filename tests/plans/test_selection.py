"""Choosing among candidates, pure: order, ties, every exclusion and the condition that
empties the list, currencies, unavailable panels; drift and the failover decisions on the
values they read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from runner.api.models import Service, ServiceType
from runner.config.campaign import CampaignSpec, OrderSpec, parse
from runner.config.selector import Selector, service_type
from runner.config.yamldoc import loads
from runner.plans.selection import Choice, Exchange, Offer, alternates, choose

D = ServiceType.DEFAULT


def svc(ident: int, name: str, rate: str, lo: int = 10, hi: int = 10000, **flags: bool) -> Service:
    return Service(ident, name, flags.pop("type", D), "IG", Decimal(rate), lo, hi, **flags)  # type: ignore[arg-type]


USD = Offer(
    "usd",
    {
        1: svc(1, "Instagram Likes [fast]", "0.50"),
        2: svc(2, "Instagram Likes [refill]", "0.80", refill=True),
        3: svc(3, "Instagram Likes package", "2.00", 1, 1, type=ServiceType.PACKAGE),  # type: ignore[arg-type]
        4: svc(4, "TikTok Likes", "0.01"),
    },
    "USD",
)
EUR = Offer(
    "eur",
    {
        7: svc(7, "INSTAGRAM likes cheap", "0.40", 500, 900),
        8: svc(8, "instagram  LIKES real", "0.45", refill=True, dripfeed=True),
    },
    "EUR",
)
EX = Exchange("USD", {"EUR": Decimal("1.10")})


def order(service: str = "{match: instagram likes}", quantity: int = 1000) -> OrderSpec:
    text = (
        "campaign: c\npanel: usd\norders:\n"
        f"  - {{id: a, service: {service}, link: https://x.com/p, quantity: {quantity}}}\n"
    )
    spec, problems = parse(loads(text, "c.yaml"))
    assert isinstance(spec, CampaignSpec), problems
    return spec.orders[0]


def picked(choice: Choice) -> list[tuple[str, int]]:
    return [(c.panel, c.service) for c in choice.fitting]


def test_cheapest_first_across_currencies() -> None:
    spec = order()
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, EUR], EX)
    # 0.40 EUR x 1 = 0.44 USD is within 7's max? no: 1000 > 900, so 7 is left out.
    assert picked(choice) == [("eur", 8), ("usd", 1), ("usd", 2)]
    assert choice.chosen is not None and choice.chosen.compared == Decimal("0.49500")
    assert choice.runner_up is not None and choice.runner_up.service == 1
    reasons = {c.service: c.left_out for c in choice.left_out}
    assert reasons == {
        3: "service 3 is a Package service, and field 'quantity' does not belong to a "
        "Package order",
        7: "quantity 1000 is outside service 7's limits 500..900",
    }
    assert 4 not in reasons  # not named by the words: not a candidate at all
    assert choice.compared_in == "USD"


def test_ties_go_to_the_panel_listed_first_then_the_lower_id() -> None:
    same = Offer(
        "b", {5: svc(5, "Instagram Likes", "0.50"), 2: svc(2, "Instagram Likes", "0.5")}, "USD"
    )
    spec = order()
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, same], Exchange())
    assert picked(choice)[:3] == [("usd", 1), ("b", 2), ("b", 5)]
    choice = choose(spec, spec.selector, [same, USD], Exchange())
    assert picked(choice)[:3] == [("b", 2), ("b", 5), ("usd", 1)]


@pytest.mark.parametrize(
    ("selector", "error"),
    [
        ("{match: spotify}", "no service on usd, eur has all the words of match 'spotify'"),
        (
            "{match: instagram likes, type: Poll}",
            "5 services match 'instagram likes', none of type Poll",
        ),
        ("{match: instagram likes, cancel: true}", "none with cancel: true"),
        (
            "{match: instagram likes, max_rate: 0.3}",
            "none at or below max_rate 0.3 (cheapest: 8 on eur",
        ),
    ],
)
def test_the_condition_that_emptied_the_list_is_named(selector: str, error: str) -> None:
    spec = order(selector)
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, EUR], EX)
    assert choice.chosen is None and choice.error is not None and error in choice.error


def test_quantity_out_of_every_range_names_the_fit() -> None:
    spec = order(quantity=20000)
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, EUR], EX)
    assert choice.error is not None
    assert "none fits the order (e.g. 7 on eur: quantity 20000 is outside" in choice.error


def test_currencies_without_an_exchange_are_refused_and_an_unknown_one_left_out() -> None:
    spec = order()
    assert spec.selector is not None
    refused = choose(spec, spec.selector, [USD, EUR], Exchange())
    assert refused.error == (
        "the candidates are priced in EUR and USD: set currency: and exchange: in smm.yaml "
        "to compare them"
    )
    gbp = Offer("gbp", {9: svc(9, "Instagram Likes", "0.01")}, "GBP")
    choice = choose(spec, spec.selector, [USD, gbp], EX)
    assert picked(choice) == [("usd", 1), ("usd", 2)]
    assert [c.left_out for c in choice.left_out if c.panel == "gbp"] == [
        "priced in GBP: no exchange rate for it in smm.yaml"
    ]
    only = choose(spec, spec.selector, [gbp], EX)
    assert only.error is not None and "none priced in a currency smm.yaml can compare" in only.error


def test_max_rate_is_in_the_project_currency() -> None:
    spec = order("{match: instagram likes, max_rate: 0.495}")
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, EUR], EX)
    assert picked(choice) == [("eur", 8)]  # 0.45 EUR = 0.495 USD: at the limit, in
    left = {c.service: c.left_out for c in choice.left_out}
    assert left[1] == "rate 0.50 USD is above max_rate 0.495"


def test_a_panel_that_did_not_answer_is_a_note_and_all_of_them_an_error() -> None:
    spec = order()
    assert spec.selector is not None
    down = Offer("down", {}, None, "timed out")
    choice = choose(spec, spec.selector, [down, USD], EX)
    assert choice.notes == ("down: timed out",) and picked(choice)[0] == ("usd", 1)
    none = choose(spec, spec.selector, [down], EX)
    assert none.error == "no candidate panel answered (down: timed out)"


def test_the_choice_round_trips_through_a_saved_plan() -> None:
    spec = order()
    assert spec.selector is not None
    choice = choose(spec, spec.selector, [USD, EUR], EX)
    saved = choice.to_json(spec.selector)
    assert [(c.panel, c.service, c.cost) for c in alternates(saved)] == [
        ("usd", 1, Decimal("0.50")),
        ("usd", 2, Decimal("0.80")),
    ]
    assert alternates(None) == []


def test_selector_words_and_types() -> None:
    selector = Selector("Instagram  likes")
    assert selector.names("INSTAGRAM Story Likes") and not selector.names("Instagram Views")
    assert Selector("ig like").names("IG/Likes [fast]") and Selector("views").names("(views)")
    assert not Selector("ig").names("Bigger Likes") and not Selector("ikes").names("Likes")
    assert service_type("custom_comments") is ServiceType.CUSTOM_COMMENTS
    assert service_type("  default ") is ServiceType.DEFAULT and service_type("Likes") is None


def test_a_selector_fingerprint_ignores_the_choice() -> None:
    a, b = order("{match: likes}"), order("{match: likes, max_rate: 2, panels: [usd]}")
    assert a.fingerprint() == b.fingerprint()  # what was ordered: the parameters
    assert a.fingerprint() != order("{match: likes}", quantity=999).fingerprint()
    assert order("1").fingerprint() != a.fingerprint()
