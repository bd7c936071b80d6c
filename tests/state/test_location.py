"""Where the state lives: a path or a postgresql:// URL, from --state, SMM_STATE or
smm.yaml, shown without its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import ConfigError
from runner.state.location import StateLocation, parse
from runner.workflows.context import Context
from tests.conftest import write_project


def test_a_path_is_relative_to_its_root(tmp_path: Path) -> None:
    location = parse("state/team.db", tmp_path)
    assert location == StateLocation(path=tmp_path / "state" / "team.db")
    assert not location.is_postgres and location.display == str(tmp_path / "state/team.db")


def test_a_url_keeps_its_schema_apart_and_hides_its_password(tmp_path: Path) -> None:
    location = parse(
        "postgresql://ci:p%40ss@db.example:6543/smm?sslmode=require&schema=Team_A", tmp_path
    )
    assert location.is_postgres and location.schema == "team_a"
    assert location.url == "postgresql://ci:p%40ss@db.example:6543/smm?sslmode=require"
    assert (
        location.display == "postgresql://ci:***@db.example:6543/smm?sslmode=require&schema=team_a"
    )
    assert "p%40ss" not in str(location)
    plain = parse("postgres://db/smm", tmp_path)
    assert plain.schema == "smm" and plain.display == "postgres://db/smm"


@pytest.mark.parametrize(
    "text",
    ["mysql://db/smm", "postgresql://db:port/x", "postgresql://db/smm?schema=a-b", "  "],
)
def test_what_is_neither_is_one_line(text: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text, tmp_path)
    assert "\n" not in str(caught.value)


def test_option_over_environment_over_project(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    write_project(isolated, {"demo": {"url": "sim://demo"}})
    with (isolated / "smm.yaml").open("a") as fh:
        fh.write("state: postgresql://db/smm?schema=from_file\n")
    assert Context().state_location.schema == "from_file"
    monkeypatch.setenv("SMM_STATE", "postgresql://db/smm?schema=from_env")
    assert Context().state_location.schema == "from_env"
    assert Context(state="local.db").state_location.path == isolated / "local.db"
