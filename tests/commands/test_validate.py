"""`smm validate` on the example campaigns and on a corpus of broken files: every error
names the right file, line and column, in one line, with no traceback."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runner.config import campaign
from runner.config.yamldoc import loads
from tests.conftest import REPO, Runner

BROKEN = REPO / "tests" / "fixtures" / "broken"

# file -> (line, column, a key phrase of the message)
EXPECTED: dict[str, tuple[int, int, str]] = {
    "answer-zero": (8, 20, "must be at least 1"),
    "api-key-order": (8, 5, "'api_key': API keys are not allowed in files; put the key in"),
    "api-key-top": (3, 1, "'key': API keys are not allowed in files; put the key in an "),
    "bad-campaign-name": (1, 11, "must be a slug: lower-case letters, digits, '-' and '_' (at "),
    "bad-id": (4, 9, "must be a slug: lower-case letters, digits, '-' and '_' (at "),
    "billion-laughs": (1, 50, "too many alias expansions (is this a 'billion laughs' file?)"),
    "budget-negative": (3, 9, "must be greater than 0"),
    "budget-sexagesimal": (3, 9, "1:30 is a base-60 number (90) in YAML 1.1: write 90, or 1.30"),
    "budget-string": (3, 9, "must be a number, not a string"),
    "cancel-not-bool": (8, 13, "must be true or false, not a string"),
    "comments-not-list": (7, 15, "must be a list, not a string"),
    "defaults-with-id": (4, 3, "defaults cannot set an order id"),
    "drip-feed-no-interval": (8, 16, "missing required field 'interval'"),
    "drip-feed-on-poll": (9, 5, "field 'drip_feed' does not belong to a Poll order (it is for"),
    "drip-feed-one-run": (8, 23, "must be at least 2"),
    "drip-feed-interval-zero": (8, 36, "orders[0].drip_feed.interval: must be at least 1"),
    "duplicate-order-id": (5, 10, "duplicate order id 'a' (first at line 4)"),
    "duplicate-order-key": (8, 5, "duplicate key 'quantity'"),
    "duplicate-top-key": (3, 1, "duplicate key 'campaign'"),
    "empty-comment": (9, 9, "must be one non-empty line (items are sent one per line)"),
    "empty-orders": (3, 9, "must not be an empty list"),
    "empty": (1, 1, "the file is empty"),
    "explicit-type-mismatch": (
        9,
        5,
        "field 'hashtag' does not belong to a Poll order (it is for: ",
    ),
    "link-empty": (6, 11, "must be a link without spaces"),
    "link-with-space": (6, 11, "must be a link without spaces"),
    "missing-campaign": (1, 1, "missing required field 'campaign'"),
    "missing-id": (4, 5, "missing required field 'id'"),
    "missing-link": (4, 5, "missing required field 'link' for this kind of order"),
    "missing-orders": (1, 1, "missing required field 'orders'"),
    "missing-panel": (3, 5, "no panel: set 'panel' on the campaign or the order"),
    "missing-service": (4, 5, "missing required field 'service'"),
    "misspelt-quantity": (7, 5, "unknown field 'quantiy' (did you mean 'quantity'?)"),
    "multiline-comment": (8, 9, "control or invisible character U+000A at position 4"),
    "non-utf8": (5, 24, "not valid UTF-8 (byte 0xe9)"),
    "not-before-garbage": (3, 13, "must be a date-time with a time zone, like 2026-12-01T09:00:"),
    "not-before-no-zone": (3, 13, "must be a date-time with a time zone, like 2026-12-01T09:00:"),
    "only-comments": (1, 1, "the file is empty"),
    "order-is-string": (4, 5, "must be a mapping, not a string"),
    "orders-not-list": (4, 3, "must be a list, not a mapping"),
    "quantity-float": (7, 15, "must be an integer, not a number"),
    "quantity-negative": (7, 15, "must be at least 1"),
    "quantity-octal": (7, 15, "0100 is an octal number (64) in YAML 1.1: write 100 for the"),
    "quantity-string": (7, 15, "must be an integer, not a string"),
    "quantity-vs-comments": (8, 15, "quantity 3 does not match the 2 comments given (the panel ch"),
    "quantity-zero": (7, 15, "must be at least 1"),
    "recursive-alias": (3, 9, "recursive alias"),
    "refills-negative": (8, 14, "must be at least 0"),
    "service-string": (5, 14, "must be an integer, not a string"),
    "subscription-bad-delay": (
        9,
        12,
        "must be one of 0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 15",
    ),
    "subscription-bad-expiry": (9, 13, "31/02/2026 is not a real date"),
    "subscription-min-over-max": (7, 10, "min 200 is greater than max 100"),
    "syntax-bad-indent": (6, 4, "did not find expected '-' indicator"),
    "syntax-unclosed-bracket": (7, 13, "did not find expected ',' or ']'"),
    "tab-indent": (5, 1, "tab character: YAML indentation must use spaces"),
    "top-level-list": (1, 1, "a campaign file must be a mapping, not a list"),
    "top-level-scalar": (1, 1, "a campaign file must be a mapping, not a single value"),
    "two-documents": (6, 1, "more than one YAML document (---) in one file"),
    "unknown-order-key": (8, 5, "unknown field 'colour' (did you mean 'country'?)"),
    "unknown-tag": (5, 14, "tag !!python/object:os.system is not allowed"),
    "unknown-top-key": (3, 1, "unknown field 'budgte' (did you mean 'budget'?)"),
    "web-traffic-keyword-without-type": (8, 21, "google_keyword needs type_of_traffic: 1"),
    "wrong-type-field": (9, 5, "field 'comments' does not belong to a Poll order (it is for:"),
}


def test_the_corpus_is_large_enough() -> None:
    assert len(EXPECTED) >= 40
    assert {p.stem for p in BROKEN.glob("*.yaml")} - {"dup-campaign-a", "dup-campaign-b"} == set(
        EXPECTED
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file(run: Runner, name: str) -> None:
    line, column, phrase = EXPECTED[name]
    path = BROKEN / f"{name}.yaml"
    result = run("validate", str(path))
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    first = result.out.splitlines()[0]
    assert first.startswith(f"{path}:{line}:{column}: "), first
    assert phrase in first


def test_examples_are_valid(run: Runner) -> None:
    result = run("validate", str(REPO / "examples" / "campaigns"))
    assert result.code == 0, result.out
    assert result.out.strip() == "Valid: 17 campaigns, 17 orders in 17 files."
    stems = {p.stem for p in (REPO / "examples" / "campaigns").glob("*.yaml")}
    from runner.api.ordertypes import ORDER_TYPES

    assert stems == {t.slug.replace("_", "-") for t in ORDER_TYPES}


def test_default_path_is_campaigns(run: Runner) -> None:
    assert run("validate").code == 1  # nothing here yet
    Path("campaigns").mkdir()
    (Path("campaigns") / "a.yaml").write_text((REPO / "campaigns" / "demo.yaml").read_text())
    result = run("validate")
    assert result.code == 0 and "Valid: 1 campaign, 5 orders in 1 file." in result.out


def test_missing_path_is_one_line(run: Runner) -> None:
    result = run("validate", "nowhere/")
    assert result.code == 1 and result.err.strip() == "Error: nowhere: no such file or folder"


def test_duplicate_campaign_names_across_files(run: Runner) -> None:
    result = run(
        "validate", str(BROKEN / "dup-campaign-a.yaml"), str(BROKEN / "dup-campaign-b.yaml")
    )
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{BROKEN / 'dup-campaign-b.yaml'}:1:11: campaign: campaign name 'same' is already used "
        f"in {BROKEN / 'dup-campaign-a.yaml'}:1"
    )


def test_a_huge_file_fails_fast(run: Runner) -> None:
    path = Path("huge.yaml")
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing to read
    result = run("validate", str(path))
    assert result.code == 1
    assert (
        result.out.splitlines()[0]
        == "huge.yaml:1:1: file is too large (50 MiB; the limit is 8 MiB)"
    )


def test_every_error_of_a_file_at_once(run: Runner) -> None:
    Path("many.yaml").write_text(
        "campaign: c\npanel: demo\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: 0}\n"
        "  - {id: b, service: 1, link: https://y, quantity: -1, colour: red}\n"
    )
    result = run("validate", "many.yaml", "--json")
    assert result.code == 1
    problems = json.loads(result.out)
    assert [(p["line"], p["column"], p["path"], p["message"]) for p in problems] == [
        (4, 52, "orders[0].quantity", "must be at least 1"),
        (5, 52, "orders[1].quantity", "must be at least 1"),
        (5, 56, "orders[1]", "unknown field 'colour' (did you mean 'country'?)"),
    ]
    assert set(problems[0]) == {"file", "line", "column", "path", "message"}


def test_defaults_apply_to_orders_that_take_them() -> None:
    doc = loads(
        "campaign: c\npanel: demo\ndefaults: {service: 1, link: https://x/a, refills: 1}\n"
        "orders:\n  - {id: a, quantity: 100}\n  - {id: b, service: 18, username: u, min: 20,"
        " max: 50}\n",
        "d.yaml",
    )
    spec, problems = campaign.parse(doc)
    assert problems == [] and spec is not None
    first, second = spec.orders
    assert first.service == 1 and first.link == "https://x/a" and first.refills == 1
    assert second.link is None and second.service == 18  # a subscription takes no link
    assert first.address == "c/a"
    assert first.where("link").line == 3  # defaults keep their own position


def test_fingerprint_covers_what_is_ordered_only() -> None:
    base = (
        "campaign: c\npanel: demo\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: %s%s}\n"
    )
    a, _ = campaign.parse(loads(base % (100, ""), "a.yaml"))
    b, _ = campaign.parse(loads(base % (100, ", refills: 2"), "b.yaml"))
    c, _ = campaign.parse(loads(base % (101, ""), "c.yaml"))
    assert a is not None and b is not None and c is not None
    assert a.orders[0].fingerprint() == b.orders[0].fingerprint()
    assert a.orders[0].fingerprint() != c.orders[0].fingerprint()


def test_floats_are_decimals() -> None:
    doc = loads(
        "campaign: c\npanel: demo\nbudget: 25.10\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: 1}\n",
        "b.yaml",
    )
    spec, _ = campaign.parse(doc)
    assert spec is not None and str(spec.budget) == "25.10"


def _all_documents() -> list[tuple[str, object]]:
    from runner.config.yamldoc import load
    from runner.errors import YamlError

    docs: list[tuple[str, object]] = []
    for path in [
        *sorted(BROKEN.glob("*.yaml")),
        *sorted((REPO / "campaigns").rglob("*.yaml")),
        *sorted((REPO / "examples" / "campaigns").glob("*.yaml")),
    ]:
        try:
            docs.append(("campaign", load(path)))
        except YamlError:
            continue
    docs.append(("project", load(REPO / "smm.yaml")))
    return docs


def test_fast_check_agrees_with_jsonschema() -> None:
    """The compiled check decides validity exactly as jsonschema does, file by file."""
    import jsonschema

    from runner.config import schema as schema_module
    from runner.config.yamldoc import Document

    checked = 0
    for name, doc in _all_documents():
        assert isinstance(doc, Document)
        fast = schema_module._fast_check(name)(doc.value)
        full = schema_module._validator(name).is_valid(doc.value)
        assert fast == full, doc.file
        checked += 1
    assert checked > 60
    # and on values built to probe each keyword's edge
    order = {"id": "a", "service": 1, "link": "https://x", "quantity": 1}
    probes: list[object] = [
        {"campaign": "c", "orders": [order]},
        {"campaign": "c", "orders": [{**order, "quantity": True}]},
        {"campaign": "c", "orders": [{**order, "quantity": Decimal("1.0")}]},
        {"campaign": "c", "orders": [{**order, "delay": True}]},
        {"campaign": "c", "orders": [{**order, "delay": 5}]},
        {"campaign": "c", "budget": Decimal("0"), "orders": [order]},
        {"campaign": "c", "budget": Decimal("0.01"), "orders": [order]},
        {"campaign": "c", "defaults": {"id": "x"}, "orders": [order]},
        {"campaign": "c", "defaults": {"service": 2}, "orders": [order]},
        {"campaign": "c", "orders": [{**order, "comments": ["a", ""]}]},
        {"campaign": "c", "orders": [{**order, "drip_feed": {"runs": 2}}]},
        {"campaign": "c", "orders": []},
        {"campaign": "c", "orders": [order], "extra": 1},
        [],
        None,
    ]
    validator = jsonschema.Draft202012Validator(schema_module.schema("campaign"))
    for probe in probes:
        assert schema_module._fast_check("campaign")(probe) == validator.is_valid(probe), probe


def test_the_default_folder_holds_only_the_demo() -> None:
    """campaigns/ is what a bare `smm apply` reads: nothing there may order by surprise
    (the examples live in examples/campaigns/)."""
    assert sorted(p.name for p in (REPO / "campaigns").iterdir()) == ["demo.yaml"]
    assert len(list((REPO / "examples" / "campaigns").glob("*.yaml"))) == 17


def test_an_unknown_panel_is_an_error_at_its_panel_key(run: Runner) -> None:
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    Path("c.yaml").write_text(
        "campaign: c\npanel: gator\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: 100}\n"
        "  - {id: b, panel: demo, service: 1, link: https://y, quantity: 100}\n"
        "  - {id: c, panel: kraken, service: 1, link: https://z, quantity: 100}\n"
    )
    result = run("validate", "c.yaml")
    assert result.code == 1
    assert result.out.splitlines() == [
        "c.yaml:2:1: panel: unknown panel 'gator' (panels in smm.yaml: demo)",
        "c.yaml:6:13: orders[2].panel: unknown panel 'kraken' (panels in smm.yaml: demo)",
        "2 errors in 1 of 1 file.",
    ]


def test_without_a_project_file_the_default_panels_are_known(run: Runner) -> None:
    Path("c.yaml").write_text(
        "campaign: c\ndefaults: {panel: gator}\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: 100}\n"
    )
    result = run("validate", "c.yaml")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "c.yaml:2:12: defaults.panel: unknown panel 'gator' (panels in the built-in default "
        "project: demo)"
    )
    Path("c.yaml").write_text(Path("c.yaml").read_text().replace("gator", "demo"))
    assert run("validate", "c.yaml").code == 0


def test_schema_errors_do_not_hide_the_other_checks(run: Runner) -> None:
    """Every problem of a file in one run: the schema's, and the semantic checks of every
    value the schema left sound, each said once."""
    Path("c.yaml").write_text(
        "campaign: c\npanel: gator\nbudgte: 5\nnot_before: soon\norders:\n"
        "  - {id: a, service: 1, link: https://x, quantity: abc}\n"
        "  - {id: a, service: 1, link: https://y, quantity: 100}\n"
        "  - {id: s, service: 18, username: u, min: 200, max: 100, expiry: 1/1/2020}\n"
        "  - {id: k, service: 2, link: https://z, quantity: x, comments: [a, b], colour: red}\n"
        "  - {id: w, service: 19, link: https://w, quantity: 5, google_keyword: k}\n"
    )
    result = run("validate", "c.yaml", "--json")
    assert result.code == 1
    found = [(p["line"], p["column"], p["message"]) for p in json.loads(result.out)]
    assert found == [
        (2, 1, "unknown panel 'gator' (panels in the built-in default project: demo)"),
        (3, 1, "unknown field 'budgte' (did you mean 'budget'?)"),
        (4, 13, "must be a date-time with a time zone, like 2026-12-01T09:00:00Z"),
        (6, 52, "must be an integer, not a string"),
        (7, 10, "duplicate order id 'a' (first at line 6)"),
        (8, 44, "min 200 is greater than max 100"),
        (8, 67, found[6][2]),
        (9, 52, "must be an integer, not a string"),
        (9, 73, "unknown field 'colour' (did you mean 'country'?)"),
        (10, 72, "google_keyword needs type_of_traffic: 1"),
    ]
    assert found[6][2].startswith("1/1/2020 is in the past (today is ")
    # said once: no second message for the refused not_before, quantity or colour
    assert len({(line, column) for line, column, _ in found}) == len(found)


def test_a_past_expiry_is_an_error_today_is_not() -> None:
    import datetime as dt

    text = (
        "campaign: c\npanel: demo\norders:\n"
        "  - {id: s, service: 18, username: u, min: 20, max: 100, expiry: %s}\n"
    )
    today = dt.date(2026, 11, 27)
    spec, problems = campaign.parse(loads(text % "27/11/2026", "s.yaml"), today=today)
    assert spec is not None and problems == []
    spec, problems = campaign.parse(loads(text % "26/11/2026", "s.yaml"), today=today)
    assert spec is None
    assert [str(p) for p in problems] == [
        "s.yaml:4:66: orders[0].expiry: 26/11/2026 is in the past (today is 27/11/2026 UTC); "
        "panels refuse it"
    ]
