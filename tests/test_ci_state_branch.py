"""The CI recipe's state branch under failure, with real git against a local bare
repository: a fetch that fails is never read as "no state branch yet" (which would start
empty and order everything again), and a push that is rejected fails the job instead of
printing "State saved"."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.test_ci_recipe import SCRIPT, checkout, git

BRANCH = "smm-state"


def step(cwd: Path, name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMM": "false", "GITHUB_RUN_ID": "7"}  # no smm needed here
    env.pop("SMM_STATE", None)
    return subprocess.run(
        ["bash", str(SCRIPT), name], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def a_state(where: Path, marker: str) -> None:
    """A small SQLite file standing for the state, told apart by ``marker``."""
    where.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(where) as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (marker TEXT)")
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t VALUES (?)", (marker,))
    db.close()


def marker_of(state: Path) -> str:
    with sqlite3.connect(state) as db:
        row = db.execute("SELECT marker FROM t").fetchone()
    db.close()
    return str(row[0])


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare origin with a main branch and a state branch holding the state "first"."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "README").write_text("campaigns\n")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", str(origin), "main")
    first = checkout(origin, tmp_path / "first")
    assert "No branch smm-state yet" in step(first, "state-pull").stdout
    a_state(first / ".smm" / "state.db", "first")
    pushed = step(first, "state-push")
    assert pushed.returncode == 0, pushed.stderr
    return origin


def saved(origin: Path) -> str:
    return git(origin, "rev-parse", f"refs/heads/{BRANCH}").strip()


def test_a_pull_then_push_carries_the_state(origin: Path, tmp_path: Path) -> None:
    job = checkout(origin, tmp_path / "job")
    pulled = step(job, "state-pull")
    assert pulled.returncode == 0 and "State restored" in pulled.stdout
    assert marker_of(job / ".smm" / "state.db") == "first"
    before = saved(origin)
    a_state(job / ".smm" / "state.db", "second")
    pushed = step(job, "state-push")
    assert pushed.returncode == 0 and "State saved" in pushed.stdout, pushed.stderr
    assert git(origin, "rev-parse", f"{BRANCH}^").strip() == before  # on top of the pulled one


def unreachable(job: Path) -> None:
    git(job, "remote", "set-url", "origin", str(job.parent / "moved-away.git"))


def refusing_auth(job: Path) -> None:
    """The server turns the client away, as a revoked token does."""
    script = job.parent / "upload-pack-denied"
    script.write_text("#!/bin/sh\necho 'remote: Permission denied' >&2\nexit 128\n")
    script.chmod(0o755)
    git(job, "config", "remote.origin.uploadpack", str(script))


def failing_after_listing(job: Path) -> None:
    """The branch is listed, then the transfer of its objects fails (a dropped connection)."""
    script = job.parent / "upload-pack-flaky"
    count = job.parent / "upload-pack-count"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ -e "{count}" ]; then echo "fatal: the remote end hung up" >&2; exit 128; fi\n'
        f'touch "{count}"\nexec git-upload-pack "$@"\n'
    )
    script.chmod(0o755)
    git(job, "config", "remote.origin.uploadpack", str(script))


@pytest.mark.parametrize("breakage", [unreachable, refusing_auth, failing_after_listing])
def test_a_failed_fetch_fails_the_job_and_nothing_starts_empty(
    origin: Path, tmp_path: Path, breakage: object
) -> None:
    job = checkout(origin, tmp_path / "job")
    assert callable(breakage)
    breakage(job)
    before = saved(origin)
    pulled = step(job, "state-pull")
    assert pulled.returncode != 0
    assert "No branch" not in pulled.stdout and "empty state" not in pulled.stdout
    assert "smm-ci: could not" in pulled.stderr
    assert not (job / ".smm" / "state.db").exists()
    # The steps after it, run anyway (`if: always()`), do not work on an empty state, and
    # nothing is saved over the real one.
    for later in ("report", "main", "pr"):
        result = step(job, later)
        assert result.returncode != 0 and "state was not restored" in result.stderr
    git(job, "remote", "set-url", "origin", str(origin))
    subprocess.run(["git", "config", "--unset-all", "remote.origin.uploadpack"], cwd=job)
    a_state(job / ".smm" / "state.db", "empty")
    pushed = step(job, "state-push")
    assert pushed.returncode != 0 and "State saved" not in pushed.stdout
    assert saved(origin) == before


def test_a_branch_without_the_state_file_is_not_an_empty_state(
    origin: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    git(origin.parent, "init", "-q", str(other))
    (other / "notes").write_text("not a state\n")
    git(other, "add", ".")
    git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    git(other, "push", "-q", "-f", str(origin), f"HEAD:refs/heads/{BRANCH}")
    job = checkout(origin, tmp_path / "job")
    pulled = step(job, "state-pull")
    assert pulled.returncode != 0 and "has no state.db" in pulled.stderr
    assert not (job / ".smm" / "state.db").exists()


def test_a_rejected_push_fails_the_job(origin: Path, tmp_path: Path) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    job = checkout(origin, tmp_path / "job")
    assert step(job, "state-pull").returncode == 0
    before = saved(origin)
    a_state(job / ".smm" / "state.db", "second")
    pushed = step(job, "state-push")
    assert pushed.returncode != 0
    assert "State saved" not in pushed.stdout
    assert "it is NOT saved" in pushed.stderr and "protected branch" in pushed.stderr
    assert saved(origin) == before


def test_a_state_saved_meanwhile_is_never_overwritten(origin: Path, tmp_path: Path) -> None:
    """Two runs restored the same state; the second to push is rejected, not forced."""
    one = checkout(origin, tmp_path / "one")
    two = checkout(origin, tmp_path / "two")
    assert step(one, "state-pull").returncode == 0 and step(two, "state-pull").returncode == 0
    a_state(one / ".smm" / "state.db", "one")
    a_state(two / ".smm" / "state.db", "two")
    assert step(one, "state-push").returncode == 0
    after_one = saved(origin)
    pushed = step(two, "state-push")
    assert pushed.returncode != 0 and "State saved" not in pushed.stdout
    assert saved(origin) == after_one
    again = checkout(origin, tmp_path / "again")
    assert step(again, "state-pull").returncode == 0
    assert marker_of(again / ".smm" / "state.db") == "one"


def test_a_push_without_a_pull_saves_nothing(origin: Path, tmp_path: Path) -> None:
    job = checkout(origin, tmp_path / "job")
    before = saved(origin)
    a_state(job / ".smm" / "state.db", "stray")
    pushed = step(job, "state-push")
    assert pushed.returncode != 0 and "not saving over it" in pushed.stderr
    assert saved(origin) == before
