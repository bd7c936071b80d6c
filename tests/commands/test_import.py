"""`smm import mass-order`: every bad line named, nothing written then; the file written
validates and plans as is."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Runner, write_project


def setup() -> None:
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    Path("campaigns").mkdir()


def test_written_file_validates_and_plans(run: Runner) -> None:
    setup()
    Path("mass.txt").write_bytes(
        b"\xef\xbb\xbf1|https://instagram.com/acme|100\r\n\r\n# a comment\n"
        b"1 | https://instagram.com/p/x | 200\n1|https://instagram.com/acme|300\n"
    )
    result = run(
        "import",
        "mass-order",
        "mass.txt",
        "--campaign",
        "mass",
        "--panel",
        "demo",
        "-o",
        "campaigns/mass.yaml",
    )
    assert result.code == 0, result.err
    assert "Wrote 3 orders to campaigns/mass.yaml" in result.err
    assert run("validate").out.splitlines() == ["Valid: 1 campaign, 3 orders in 1 file."]
    planned = run("plan", "--json")
    assert planned.code == 0, planned.out
    actions = json.loads(planned.out)["actions"]
    assert sorted((a["link"], a["units"]) for a in actions) == [
        ("https://instagram.com/acme", 100),
        ("https://instagram.com/acme", 300),
        ("https://instagram.com/p/x", 200),
    ]
    assert len({a["address"] for a in actions}) == 3


def test_bad_lines_are_all_reported_and_nothing_is_written(run: Runner) -> None:
    setup()
    Path("bad.txt").write_text(
        "1|https://a.com|100\n"
        "1|https://a.com\n"
        "x|https://a.com|5\n"
        "1|https://a.com|0\n"
        "1|has space|5\n"
        "1|https://a.com|99999999999999999999999\n"
        "1|https://a.com/\x1b[2J|5\n"
    )
    result = run(
        "import",
        "mass-order",
        "bad.txt",
        "--campaign",
        "m",
        "--panel",
        "demo",
        "-o",
        "campaigns/m.yaml",
    )
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    lines = (result.out + result.err).splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:6]] == [
        "bad.txt:2",
        "bad.txt:3",
        "bad.txt:4",
        "bad.txt:5",
        "bad.txt:6",
        "bad.txt:7",
    ]
    assert "6 bad lines in bad.txt; nothing was written" in lines[-1]
    assert not Path("campaigns/m.yaml").exists()


def test_refuses_to_overwrite_unknown_panel_and_bad_name(run: Runner) -> None:
    setup()
    Path("mass.txt").write_text("1|https://a.com|100\n")
    Path("campaigns/m.yaml").write_text("keep me\n")
    result = run(
        "import",
        "mass-order",
        "mass.txt",
        "--campaign",
        "m",
        "--panel",
        "demo",
        "-o",
        "campaigns/m.yaml",
    )
    assert result.code == 1 and "already exists" in result.err
    assert Path("campaigns/m.yaml").read_text() == "keep me\n"
    result = run("import", "mass-order", "mass.txt", "--campaign", "m", "--panel", "gator")
    assert result.code == 1 and "unknown panel 'gator'" in result.err
    result = run("import", "mass-order", "mass.txt", "--campaign", "Bad Name", "--panel", "demo")
    assert result.code == 1 and "--campaign" in result.err
    result = run("import", "mass-order", "missing.txt", "--campaign", "m", "--panel", "demo")
    assert result.code == 1 and "missing.txt: cannot read" in result.err


def test_prints_when_no_output_file(run: Runner) -> None:
    setup()
    Path("mass.txt").write_text("7|https://t.me/acme/12|500\n")
    result = run("import", "mass-order", "mass.txt", "--campaign", "m", "--panel", "demo")
    assert result.code == 0
    assert "campaign: m\npanel: demo\norders:\n  - id: https-t-me-acme-12  # line 1\n" in result.out
