"""Which campaigns refresh and reconcile look at: names read from each file's
``campaign:`` line, the file loaded whole when the line does not say it plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import InvalidCampaigns
from runner.workflows.campaigns import load, names_in

BODY = (
    "panel: demo\norders:\n  - id: a\n    service: 1\n    link: https://x.com/a\n"
    "    quantity: 100\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_names_are_read_from_the_campaign_line(tmp_path: Path) -> None:
    write(tmp_path, "plain", "campaign: plain-one\n" + BODY)
    write(tmp_path, "commented", "# a note\ncampaign: two_2   # the second\n" + BODY)
    write(tmp_path, "crlf", ("campaign: three\n" + BODY).replace("\n", "\r\n"))
    write(tmp_path, "later", BODY + "campaign: four\n")
    assert names_in([tmp_path]) == {"plain-one", "two_2", "three", "four"}
    # The same names a full load gives.
    assert names_in([tmp_path]) == {c.name for c in load([tmp_path]).campaigns}


@pytest.mark.parametrize(
    "text",
    [
        'campaign: "quoted"\n' + BODY,
        "{campaign: quoted, panel: demo, orders: [{id: a, service: 1, "
        "link: 'https://x.com/a', quantity: 100}]}\n",
        "campaign: &anchor quoted\n" + BODY,
    ],
)
def test_a_name_not_written_plainly_is_read_by_loading_the_file(tmp_path: Path, text: str) -> None:
    write(tmp_path, "f", text)
    assert names_in([tmp_path]) == {"quoted"}


def test_only_the_name_is_read_so_other_problems_do_not_stop_a_refresh(tmp_path: Path) -> None:
    write(tmp_path, "f", "campaign: fine\norders:\n  - service: banana\n")
    assert names_in([tmp_path]) == {"fine"}


@pytest.mark.parametrize(
    "text",
    [
        BODY,  # no name at all
        "campaign: UPPER\n" + BODY,  # not a slug
        "campaign: one\ncampaign: two\n" + BODY,  # twice
        "campaign: [not, a, name]\n" + BODY,
    ],
)
def test_a_file_without_a_plain_name_has_its_problems_raised(tmp_path: Path, text: str) -> None:
    write(tmp_path, "f", text)
    with pytest.raises(InvalidCampaigns):
        names_in([tmp_path])


@pytest.mark.parametrize(
    "text",
    [
        # A line that reads as the name inside a quoted scalar: the real name comes first.
        '"campaign": real\ndescription: "a note\ncampaign: fake\n  end"\n' + BODY,
        # After other keys, a quoted scalar could hide the line: the file is read whole.
        'description: "a note\ncampaign: fake\n  end"\ncampaign: real\n' + BODY,
        # Line breaks YAML knows beyond \n.
        "campaign: real\n" + BODY + "description: a\u2028campaign: fake\n",
        # A comment needs a space before it.
        "campaign: real\n" + BODY.replace("panel: demo", "panel: demo\ndescription: x#y"),
    ],
)
def test_the_scan_never_disagrees_with_a_full_load(tmp_path: Path, text: str) -> None:
    write(tmp_path, "f", text)
    try:
        expected = {c.name for c in load([tmp_path]).campaigns}
    except InvalidCampaigns:
        with pytest.raises(InvalidCampaigns):
            names_in([tmp_path])
        return
    assert names_in([tmp_path]) == expected == {"real"}


@pytest.mark.parametrize("name", ["null", "yes", "off", "0x1f", "1_000", "123", "foo#x"])
def test_names_yaml_reads_otherwise_are_checked_by_a_full_load(tmp_path: Path, name: str) -> None:
    write(tmp_path, "f", f"campaign: {name}\n" + BODY)
    with pytest.raises(InvalidCampaigns):
        names_in([tmp_path])
