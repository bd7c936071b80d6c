"""for_each: lists read from a CSV, a text file or inline; every error at its item."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from runner.config import lists
from runner.config.expand import make_key
from tests.conftest import Runner, write_project

HEAD = "campaign: boost\npanel: demo\ndefaults:\n  service: 1\norders:\n"
TEMPLATE = '  - id: likes-{key}\n    for_each: %s\n    link: "{link}"\n    quantity: "{quantity}"\n'


@pytest.fixture(autouse=True)
def project() -> None:
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    Path("campaigns").mkdir()


def campaign(body: str, name: str = "boost.yaml") -> Path:
    path = Path("campaigns") / name
    path.write_text(HEAD + body)
    return path


def csv(text: str, name: str = "posts.csv") -> Path:
    path = Path("campaigns") / name
    path.write_bytes(text.encode())
    return path


def lines_of(run: Runner, *args: str) -> tuple[int, list[str]]:
    result = run("validate", *args)
    assert "Traceback" not in result.out + result.err
    return result.code, result.out.splitlines()


def test_csv_expands_typed_and_validates(run: Runner) -> None:
    csv("link,quantity\nhttps://instagram.com/p/a,100\nhttps://instagram.com/p/b,250\n")
    campaign(TEMPLATE % "posts.csv")
    code, out = lines_of(run)
    assert code == 0, out
    assert out == ["Valid: 1 campaign, 2 orders in 2 files."]
    result = run("plan", "--json", "--no-refresh")
    actions = {a["address"]: a for a in json.loads(result.out)["actions"]}
    order = actions["boost/likes-https-instagram-com-p-b"]
    assert order["spec"]["params"] == {"link": "https://instagram.com/p/b", "quantity": 250}
    assert order["location"] == {"file": "campaigns/posts.csv", "line": 3, "column": 1}


def test_every_bad_item_is_reported_at_its_line(run: Runner) -> None:
    csv(
        "link,quantity\n"
        "https://instagram.com/p/a,100\n"
        "https://instagram.com/p/b,lots\n"  # 3
        "https://instagram.com/p/c,\n"  # 4: empty cell
        "https://instagram.com/p/d,0\n"  # 5: below the schema's minimum
        "has space,100\n"  # 6
        "https://instagram.com/p/a,5\n"  # 7: one id twice
        "https://instagram.com/p/e,1,extra\n"  # 8
    )
    campaign(TEMPLATE % "posts.csv")
    code, out = lines_of(run)
    assert code == 1
    assert out[:-1] == [
        "campaigns/posts.csv:3:1: quantity 'lots' is not an integer",
        "campaigns/posts.csv:4:1: quantity is empty",
        "campaigns/posts.csv:5:1: quantity: must be at least 1",
        "campaigns/posts.csv:6:1: link: must be a link without spaces",
        "campaigns/posts.csv:7:1: duplicate order id 'likes-https-instagram-com-p-a' "
        "(first at line 2)",
        "campaigns/posts.csv:8:1: 3 cells, but the header has 2 (quote a cell that holds a comma)",
    ]
    assert out[-1].startswith("6 errors")


def test_bom_crlf_quoted_commas(run: Runner) -> None:
    csv('\ufefflink,quantity\r\n"https://x.com/p?a=1,2",100\r\n\r\nhttps://x.com/q,200\r\n')
    campaign(TEMPLATE % "posts.csv")
    result = run("plan", "--json", "--no-refresh")
    assert result.code == 0, result.out + result.err
    links = sorted(a["link"] for a in json.loads(result.out)["actions"])
    assert links == ["https://x.com/p?a=1,2", "https://x.com/q"]


def test_missing_column_is_a_template_error_at_its_line(run: Runner) -> None:
    csv("url,quantity\nhttps://x.com/a,100\n")
    campaign(TEMPLATE % "posts.csv")
    code, out = lines_of(run)
    assert code == 1
    assert out[0] == (
        "campaigns/boost.yaml:8:11: orders[0].link: placeholder {link}: the list has no "
        "'link' (it has: url, quantity, key)"
    )


def test_template_needs_a_placeholder_in_its_id_and_balanced_braces(run: Runner) -> None:
    campaign(
        "  - id: likes\n    for_each: [a, b]\n    link: https://x.com/{item}\n    quantity: 100\n"
        "  - id: x-{key}\n    for_each: [a]\n    link: https://x.com/{item\n    quantity: 100\n"
    )
    code, out = lines_of(run)
    assert code == 1
    assert "campaigns/boost.yaml:6:9: orders[0].id: an order with for_each" in out[0]
    assert out[1].startswith("campaigns/boost.yaml:12:11: orders[1].link: a lone '{'")


def test_text_list_skips_blanks_and_comments(run: Runner) -> None:
    (Path("campaigns") / "links.txt").write_text(
        "# my posts\n\nhttps://instagram.com/p/a\n   \n  https://instagram.com/p/b  \n"
    )
    campaign('  - id: l-{key}\n    for_each: links.txt\n    link: "{item}"\n    quantity: 100\n')
    result = run("plan", "--json", "--no-refresh")
    assert result.code == 0, result.out + result.err
    got = {a["address"]: a["location"]["line"] for a in json.loads(result.out)["actions"]}
    assert got == {"boost/l-https-instagram-com-p-a": 3, "boost/l-https-instagram-com-p-b": 5}


def test_inline_lists_of_strings_and_of_maps(run: Runner) -> None:
    campaign(
        "  - id: s-{key}\n    for_each: [https://t.me/a/1, https://t.me/a/2]\n"
        '    link: "{item}"\n    quantity: 100\n'
        "  - id: m-{key}\n    for_each:\n"
        "      - {key: first, link: https://t.me/b/1, n: 100}\n"
        "      - {key: second, link: https://t.me/b/2, n: 0}\n"
        '    link: "{link}"\n    quantity: "{n}"\n'
    )
    code, out = lines_of(run)
    assert code == 1
    assert out[:-1] == ["campaigns/boost.yaml:13:9: quantity: must be at least 1"]


def test_key_cut_to_the_id_limit_with_a_hash() -> None:
    long = "https://example.com/" + "x" * 200
    key = make_key(long, 50)
    assert len(key) == 50 and key == make_key(long, 50)
    assert key != make_key(long + "y", 50)
    assert make_key("Ünïcode ☃ POST!") == "n-code-post"
    assert len(make_key("!!!")) == 8  # nothing left of the item: its hash


def test_long_items_make_ids_within_the_limit(run: Runner) -> None:
    items = "\n".join(f"https://example.com/{'p' * 80}/{i}" for i in range(3))
    (Path("campaigns") / "long.txt").write_text(items + "\n")
    campaign('  - id: likes-{key}\n    for_each: long.txt\n    link: "{item}"\n    quantity: 100\n')
    result = run("plan", "--json", "--no-refresh")
    assert result.code == 0, result.out + result.err
    ids = [a["address"].split("/", 1)[1] for a in json.loads(result.out)["actions"]]
    assert len(set(ids)) == 3 and all(len(i) <= 63 for i in ids)


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "out.txt"])
def test_paths_leaving_the_project_are_refused(run: Runner, target: str, tmp_path: Path) -> None:
    if target == "out.txt":
        outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
        outside.write_text("https://x.com/a\n")
        os.symlink(outside, Path("campaigns") / "out.txt")
    campaign(
        f'  - id: l-{{key}}\n    for_each: "{target}"\n    link: "{{item}}"\n    quantity: 100\n'
    )
    code, out = lines_of(run)
    assert code == 1
    assert len(out) == 2 and out[0].startswith("campaigns/boost.yaml:7:15: "), out
    assert "outside the project" in out[0] or "absolute path" in out[0] or "must be" in out[0]


def test_not_a_regular_file(run: Runner) -> None:
    os.mkfifo(Path("campaigns") / "fifo.txt")
    campaign('  - id: l-{key}\n    for_each: fifo.txt\n    link: "{item}"\n    quantity: 100\n')
    code, out = lines_of(run)
    assert code == 1 and "is not a regular file" in out[0]


def test_a_million_rows_is_a_clear_limit_not_a_hang(run: Runner) -> None:
    rows = "".join(f"https://x.com/{i},100\n" for i in range(1_000_000))
    csv("link,quantity\n" + rows)
    campaign(TEMPLATE % "posts.csv")
    started = time.monotonic()
    code, out = lines_of(run)
    assert code == 1
    assert out[0] == (
        f"campaigns/posts.csv:{lists.MAX_ITEMS + 2}:1: more than 200,000 items; split the "
        "list (one for_each order per file)"
    )
    assert time.monotonic() - started < 30


def test_not_utf8_and_control_characters(run: Runner) -> None:
    (Path("campaigns") / "posts.csv").write_bytes(b"link,quantity\nhttps://x.com/\xff,1\n")
    campaign(TEMPLATE % "posts.csv")
    code, out = lines_of(run)
    assert code == 1 and out[0].startswith("campaigns/posts.csv:2:1: not valid UTF-8")
    csv("link,quantity\nhttps://x.com/\x1b[31m,100\n")
    code, out = lines_of(run)
    assert code == 1 and out[0].startswith("campaigns/posts.csv:2:1: link: control or invisible")


def test_missing_list_and_defaults_cannot_hold_for_each(run: Runner) -> None:
    campaign(TEMPLATE % "nope.csv")
    code, out = lines_of(run)
    assert (
        code == 1
        and out[0] == "campaigns/boost.yaml:7:15: for_each: no such file campaigns/nope.csv"
    )
    Path("campaigns/boost.yaml").write_text(
        "campaign: boost\npanel: demo\ndefaults:\n  for_each: [a]\norders:\n"
        "  - {id: a, service: 1, link: https://x.com/a, quantity: 100}\n"
    )
    code, out = lines_of(run)
    assert code == 1 and "defaults cannot set an order id or for_each" in out[0]


def test_the_loader_records_every_file_it_read() -> None:
    from runner.config import campaign as loader

    csv("link,quantity\nhttps://x.com/a,100\n")
    campaign(TEMPLATE % "posts.csv")
    loaded = loader.load([Path("campaigns")])
    assert not loaded.problems
    assert loaded.read == [
        Path("campaigns/boost.yaml").resolve(),
        Path("campaigns/posts.csv").resolve(),
    ]
    # The spec itself names its lists (a cache of specs keys on their content too).
    assert loaded.campaigns[0].reads == (str(Path("campaigns/posts.csv").resolve()),)


def test_a_placeholder_nothing_fills_is_an_error(run: Runner) -> None:
    Path("campaigns/boost.yaml").write_text(
        "campaign: boost\npanel: demo\ndefaults:\n  link: '{link}'\norders:\n"
        "  - {id: a, service: 1, quantity: 100}\n"
        "  - {id: b, service: 1, quantity: 100, link: '{item}'}\n"
        "  - {id: c, service: 2, link: https://x.com/c, comments: ['{wow} as written']}\n"
    )
    code, out = lines_of(run)
    assert code == 1
    assert out[:-1] == [
        "campaigns/boost.yaml:4:9: defaults.link: {link} is a placeholder, but defaults has no "
        "list to fill it: placeholders are filled in the fields of an order with for_each",
        "campaigns/boost.yaml:7:46: orders[1].link: {item} is a placeholder, but an order "
        "without for_each has no list to fill it: placeholders are filled in the fields of an "
        "order with for_each",
    ]


def test_a_key_column_is_made_an_id_too(run: Runner) -> None:
    csv("key,link\nPost A!,https://x.com/a\npost-b,https://x.com/b\n")
    campaign(
        "  - id: likes-{key}\n    for_each: posts.csv\n    link: '{link}'\n    quantity: 100\n"
    )
    result = run("plan", "--json", "--no-refresh")
    assert result.code == 0, result.out
    ids = sorted(a["address"] for a in json.loads(result.out)["actions"])
    assert ids == ["boost/likes-post-a", "boost/likes-post-b"]


def test_the_example_lists_validate(run: Runner) -> None:
    from tests.conftest import REPO

    result = run("validate", str(REPO / "examples" / "lists"))
    assert result.out.splitlines() == ["Valid: 1 campaign, 6 orders in 3 files."]


def test_broken_csv_is_one_line_and_its_file_is_still_recorded(run: Runner) -> None:
    from runner.config import campaign as loader

    csv('link,quantity\n"https://x.com/a,100\n')
    campaign(TEMPLATE % "posts.csv")
    code, out = lines_of(run)
    assert code == 1
    assert out == [
        "campaigns/posts.csv:2:1: not valid CSV: unexpected end of data",
        "1 error in 1 of 2 files.",
    ]
    assert Path("campaigns/posts.csv").resolve() in loader.load([Path("campaigns")]).read


def test_plan_checks_point_at_the_item(run: Runner) -> None:
    csv("link,quantity\nhttps://x.com/a,100\nhttps://x.com/b,20\n")
    campaign(TEMPLATE % "posts.csv")
    result = run("plan", "--no-refresh")
    assert result.code == 1
    assert (
        "campaigns/posts.csv:3:1: error: boost/likes-https-x-com-b: quantity 20 is outside "
        "service 1's limits 50..10000"
    ) in result.out


def test_every_mistake_of_one_row_and_nested_fields(run: Runner) -> None:
    csv("link,quantity,runs\nhttps://x.com/a,lots,many\n")
    campaign(
        "  - id: likes-{key}\n    for_each: posts.csv\n    link: '{link}'\n"
        "    quantity: '{quantity}'\n    drip_feed: {runs: '{runs}', interval: 5}\n"
    )
    code, out = lines_of(run)
    assert code == 1
    assert out[:-1] == [
        "campaigns/posts.csv:2:1: drip_feed.runs 'many' is not an integer",
        "campaigns/posts.csv:2:1: quantity 'lots' is not an integer",
    ]


def test_an_id_made_from_a_column_is_checked_at_the_item(run: Runner) -> None:
    csv("link,quantity\nhttps://x.com/a,100\n")
    campaign(
        "  - id: likes-{link}\n    for_each: posts.csv\n    link: '{link}'\n    quantity: 100\n"
    )
    code, out = lines_of(run)
    assert code == 1
    assert out[0] == (
        "campaigns/posts.csv:2:1: id: must be a slug: lower-case letters, digits, '-' and '_' "
        "(at most 63)"
    )


def test_text_lines_are_numbered_as_an_editor_numbers_them(run: Runner) -> None:
    (Path("campaigns") / "links.txt").write_text(
        "https://x.com/a\u2028x\nhttps://x.com/b\r\nhttps://x.com/c\x0c\n", newline=""
    )
    campaign('  - id: l-{key}\n    for_each: links.txt\n    link: "{item}"\n    quantity: 100\n')
    code, out = lines_of(run)
    assert code == 1
    assert out[:-1] == [
        "campaigns/links.txt:1:1: link: control or invisible character U+2028 at position 16; "
        "write it without one",
        "campaigns/links.txt:3:1: link: control or invisible character U+000C at position 16; "
        "write it without one",
    ]


def test_integer_cells_are_bounded_and_plain() -> None:
    assert lists.parse_integer(" 12 ", 1, 100) == 12
    assert lists.parse_integer("+7", 1, 100) == 7
    for text in ("", "1e3", "1_000", "1,000", "12.0", "\u0661\u0662", "0x10", "- 5"):
        assert lists.parse_integer(text, -100, 10_000) is None, text
    assert lists.parse_integer("9" * 100_000, 0, 10**18) is None  # refused before int()
    assert lists.parse_integer("101", 1, 100) is None


def test_a_template_mistake_inside_a_filled_field_is_reported_once_at_the_template(
    run: Runner,
) -> None:
    campaign(
        "  - id: l-{key}\n    for_each: [{n: 2}, {n: 3}, {n: 4}]\n    link: https://x.com/{n}\n"
        "    quantity: 100\n    drip_feed: {runs: '{n}', interval: x}\n"
    )
    code, out = lines_of(run)
    assert code == 1
    assert out == [
        "campaigns/boost.yaml:10:40: orders[0].drip_feed.interval: must be an integer, not a "
        "string",
        "1 error in 1 of 1 file.",
    ]


def test_a_campaign_file_linked_from_elsewhere_reads_lists_beside_the_link(
    run: Runner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "boost.yaml").write_text(HEAD + TEMPLATE % "posts.csv")
    os.symlink(elsewhere / "boost.yaml", Path("campaigns") / "boost.yaml")
    csv("link,quantity\nhttps://x.com/a,100\n")
    code, out = lines_of(run)
    assert code == 0, out
