"""Text that is not what it seems: control characters in files are refused where they are,
panel and file texts reach no terminal or Markdown table as anything but text."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.printable import clean, md
from tests.conftest import Runner, Sim, http_project

HEADER = "campaign: c\npanel: demo\norders:\n"

CONTROL_CASES = {
    # a value ending in a newline passes a `$` pattern: two orders would show alike
    "id ending in a newline": (
        '  - {id: "a\\n", service: 1, link: https://x/a, quantity: 100}\n',
        4,
        10,
        "U+000A at position 2",
    ),
    "a tab in a link": (
        '  - {id: a, service: 1, link: "https://x/\\tb", quantity: 100}\n',
        4,
        31,
        "U+0009",
    ),
    "a newline inside a comment": (
        '  - {id: a, service: 2, link: https://x/a, comments: ["x\\ny"]}\n',
        4,
        55,
        "U+000A",
    ),
    "an escape sequence in a username": (
        '  - {id: a, service: 9, link: https://x/a, quantity: 100, username: "u\\e[2J"}\n',
        4,
        69,
        "U+001B",
    ),
    "a zero-width space in a hashtag": (
        '  - {id: a, service: 8, link: https://x/a, quantity: 100, hashtag: "tag\\u200b"}\n',
        4,
        68,
        "U+200B",
    ),
    "a right-to-left override in the campaign": ("", 1, 11, "U+202E"),
}


@pytest.mark.parametrize("case", sorted(CONTROL_CASES))
def test_control_characters_are_refused_where_they_are(run: Runner, case: str) -> None:
    body, line, column, phrase = CONTROL_CASES[case]
    text = HEADER + body
    if not body:
        text = (
            'campaign: "c\\u202eb"\npanel: demo\norders:\n'
            "  - {id: a, service: 1, link: https://x/a, quantity: 100}\n"
        )
    Path("campaigns").mkdir()
    Path("campaigns/c.yaml").write_text(text)
    result = run("validate")
    assert result.code == 1
    assert f"campaigns/c.yaml:{line}:{column}:" in result.out, result.out
    assert phrase in result.out


def test_clean_shows_every_control_as_an_escape() -> None:
    assert clean("a\x1b[2Jb\nc\u202ed\x00") == "a\\x1b[2Jb\\x0ac\\u202ed\\x00"
    assert clean("plain: 1,000 USD") == "plain: 1,000 USD"


def test_markdown_cells_render_as_the_text_they_hold() -> None:
    crafted = "https://x/a|1000000|0.01 USD|`x`<img src=x onerror=alert(1)>[a](b)*"
    cell = md(crafted)
    assert "|" not in cell.replace("\\|", "")
    assert "<" not in cell and ">" not in cell and "`" not in cell.replace("\\`", "")
    assert "\\[a\\]" in cell and "\\*" in cell


def test_a_crafted_link_cannot_add_columns_to_the_plan_table(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_project(sim, monkeypatch)
    Path("campaigns").mkdir()
    Path("campaigns/c.yaml").write_text(
        HEADER + "  - {id: a, service: 1, link: 'https://x/a|99999|0.01USD|', quantity: 100}\n"
    )
    result = run("plan", "--format", "markdown")
    row = next(line for line in result.out.splitlines() if "`c/a`" in line)
    assert row.replace("\\|", "").count("|") == 8  # the 7 columns of every row
