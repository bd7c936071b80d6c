"""A count or an amount in a file is written as a plain decimal number.  YAML 1.1 reads
other forms as numbers nobody meant (0100 is 64, 1:30 is 90, 0x10 is 16): each is an
error at its file:line:col naming the number probably meant.  Every integer is bounded
before it is converted: a 5,000-digit quantity is exit 1 at its place, never exit 3."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runner.config.yamldoc import loads
from runner.errors import YamlError
from runner.money import MAX_DIGITS, NumberError, json_int, read_integer, read_number
from tests.conftest import Runner

CAMPAIGN = """campaign: c
panel: demo
budget: {budget}
orders:
  - {{id: a, service: 1, link: https://instagram.com/a, quantity: {quantity}}}
"""

# written -> the plain form the message names
FORMS = {
    "0100": "write 100",
    "010": "write 10",
    "-010": "write -10",
    "1:30": "write 90",
    "1:30:00": "write 5400",
    "0x10": "write 16",
    "0X1f": "write 31",
    "0b101": "write 5",
    "0o17": "write 15",
    "1_000": "write 1000",
    "+12": "write 12",
    ".5": "write 0.5",
    "5.": "write 5",
    "1.": "write 1",
    "1e3": "write 1000",
    "1e+3": "write 1000",
    "1.5e2": "write 150",
    "1E-2": "write 0.01",
    "09": "write 9",
    "00": "write 0",
    "00.5": "write 0.5",
    "1,000": "write 1000",
    "1_0.5": "write 10.5",
}


# In a flow mapping ({...}) a comma ends the value: "1,000" is tried as a budget only.
CASES = [
    (f, w) for w in sorted(FORMS) for f in ("quantity", "budget") if f == "budget" or "," not in w
]


@pytest.mark.parametrize(("field", "written"), CASES)
def test_a_yaml_1_1_number_is_an_error_naming_the_number_meant(
    run: Runner, field: str, written: str
) -> None:
    values = {"budget": "5", "quantity": "100", field: written}
    Path("campaigns").mkdir()
    Path("campaigns/c.yaml").write_text(CAMPAIGN.format(**values))
    result = run("validate")
    assert result.code == 1, result.out
    line, column = (3, 9) if field == "budget" else (5, 66)
    first = result.out.splitlines()[0]
    assert first.startswith(f"campaigns/c.yaml:{line}:{column}: "), result.out
    assert written in first and FORMS[written] in first, first
    assert "Traceback" not in result.err and not Path(".smm/crash.log").exists()


@pytest.mark.parametrize("plain", ["100", "0", "-5", "1.50", "0.10", "12.000"])
def test_plain_numbers_read_as_written(plain: str) -> None:
    value = loads(f"n: {plain}\n").value["n"]
    assert value == Decimal(plain) and str(value) == plain.lstrip("+")
    assert isinstance(value, int) == ("." not in plain)


def test_quoted_text_and_keys_stay_text() -> None:
    doc = loads("a: '0100'\nb: \"1:30\"\n010: x\nc: 12:30pm\nd: v1e3\n").value
    assert doc == {"a": "0100", "b": "1:30", "010": "x", "c": "12:30pm", "d": "v1e3"}


def test_infinity_and_nan_are_left_to_the_schema() -> None:
    assert loads("a: .inf\nb: -.Inf\nc: .nan\n").value == {"a": ".inf", "b": "-.Inf", "c": ".nan"}


@pytest.mark.parametrize("digits", [MAX_DIGITS + 1, 4301, 5000, 100_000])
def test_a_huge_integer_is_refused_at_its_place_before_conversion(run: Runner, digits: int) -> None:
    Path("campaigns").mkdir()
    Path("campaigns/c.yaml").write_text(CAMPAIGN.format(budget="5", quantity="9" * digits))
    for command in ("validate", "plan"):
        result = run(command)
        assert result.code == 1, result.err
        said = f"campaigns/c.yaml:5:66: a number of {digits} digits: smm reads at most 30"
        assert said in (result.out + result.err).splitlines(), result.out + result.err[:200]
        assert not Path(".smm/crash.log").exists()
    assert not Path(".smm/state.db").exists()  # nothing was written for a bad file


@pytest.mark.parametrize("text", ["9" * 5000 + ".5", "0." + "1" * 5000, "1" * 40 + "e2"])
def test_a_huge_decimal_is_refused_too(text: str) -> None:
    with pytest.raises(YamlError, match="digits"):
        loads(f"budget: {text}\n")


def test_the_integer_parser_for_other_readers() -> None:
    """One parser for the config layer and a CSV reader: plain digits, bounded."""
    assert read_integer(" 100 ") == 100
    assert read_integer("5", low=1, high=10) == 5
    with pytest.raises(NumberError, match=r"out of range \(1\.\.10\)"):
        read_integer("11", low=1, high=10)
    with pytest.raises(NumberError, match="write 100"):
        read_integer("0100")
    with pytest.raises(NumberError, match="not a whole number: write 100"):
        read_integer("100.0")
    with pytest.raises(NumberError, match=r"not a whole number$"):
        read_integer("100.5")
    with pytest.raises(NumberError, match="5000 digits"):
        read_integer("1" * 5000)
    assert read_number("-0") == 0
    with pytest.raises(NumberError):
        read_number("")


def test_a_json_file_with_a_huge_integer_is_a_value_error_not_a_crash() -> None:
    assert json.loads('{"a": 123}', parse_int=json_int) == {"a": 123}
    with pytest.raises(ValueError, match="5000 digits"):
        json.loads('{"a": ' + "9" * 5000 + "}", parse_int=json_int)


def test_lists_and_mass_order_lines_read_numbers_with_the_same_parser() -> None:
    """One parser for every number written in a file: a list's cells and mass-order
    lines refuse what a campaign file refuses (a spreadsheet's leading + aside)."""
    from runner.config import lists

    assert lists.parse_integer("+7", 1, 100) == 7 and lists.parse_integer(" 12 ", 1, 100) == 12
    for text in ("0100", "010", "1:30", "0x10", "1_000", "1e3", "+-5", "9" * 5000):
        assert lists.parse_integer(text, -(10**18), 10**18) is None, text
