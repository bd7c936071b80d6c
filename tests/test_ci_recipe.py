"""The GitHub Actions recipe's steps, run as the workflow runs them, against the simulated
panel: a plan on a pull request, the apply of the saved plan on main, and a second run on
main that does nothing, with the state carried between runs on its own branch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SECRET_KEY, Sim, followers
from tests.notify.receiver import Receiver, receiver

SCRIPT = REPO / "examples" / "github-actions" / "smm-ci.sh"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def checkout(origin: Path, into: Path) -> Path:
    """A fresh checkout, as every workflow run gets."""
    subprocess.run(["git", "clone", "-q", str(origin), str(into)], check=True)
    return into


def step(cwd: Path, name: str, summary: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SMM": f"{sys.executable} -m runner",
        "PYTHONPATH": str(REPO),
        "SIM_KEY": SECRET_KEY,
        "GITHUB_RUN_ID": "42",
    }
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run(
        ["bash", str(SCRIPT), name], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_workflow_steps(sim: Sim, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "smm.yaml").write_text(f"panels:\n  shop:\n    url: {sim.url}\n    key_env: SIM_KEY\n")
    (seed / "campaigns").mkdir()
    (seed / "campaigns" / "launch.yaml").write_text(
        "campaign: launch\npanel: shop\norders:\n" + "".join(f"  - {o}\n" for o in followers(3))
    )
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "campaigns")
    git(seed, "push", "-q", str(origin), "main")

    # a pull request: validate and plan, the plan in the job summary; nothing is ordered
    pr = checkout(origin, tmp_path / "pr")
    summary = tmp_path / "summary.md"
    assert "No branch smm-state yet" in step(pr, "state-pull").stdout
    result = step(pr, "pr", summary)
    assert result.returncode == 0, result.stderr
    assert "Plan: 3 to create, 0 to refill, 0 to cancel. Cost 0.27 USD" in summary.read_text()
    assert sim.orders() == []

    # main: apply the saved plan, then keep the state
    main = checkout(origin, tmp_path / "main1")
    assert step(main, "state-pull").returncode == 0
    result = step(main, "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 3 orders placed" in result.stdout
    assert (main / "plan.json").is_file()
    # the report: the page as the run's artifact, its spend table in the job summary
    summary = tmp_path / "main-summary.md"
    result = step(main, "report", summary)
    assert result.returncode == 0, result.stderr
    assert "| launch | 3 | " in summary.read_text() and "Nothing needs a person." in result.stdout
    assert (main / "smm-report.html").stat().st_size > 100_000
    assert step(main, "state-push").returncode == 0
    assert "state.db" in git(origin, "ls-tree", "--name-only", "smm-state")

    # main again, from a fresh checkout: the state comes back, nothing is ordered twice
    again = checkout(origin, tmp_path / "main2")
    assert "State restored from branch smm-state" in step(again, "state-pull").stdout
    result = step(again, "main")
    assert result.returncode == 0 and "No changes." in result.stdout
    assert step(again, "state-push").returncode == 0
    assert len(sim.orders()) == 3
    assert git(origin, "rev-list", "--count", "smm-state").strip() == "2"


def test_workflow_file_wires_the_steps() -> None:
    workflow = yaml.safe_load((REPO / "examples" / "github-actions" / "smm.yml").read_text())
    apply = workflow["jobs"]["apply"]
    assert apply["concurrency"] == {"group": "smm-apply", "cancel-in-progress": False}
    runs = [s.get("run", "") for s in apply["steps"]]
    script = "bash examples/github-actions/smm-ci.sh "
    assert [r.removeprefix(script) for r in runs if r.startswith(script)] == [
        "state-pull",
        "main",
        "report",
        "state-push",
    ]
    assert apply["steps"][-1]["if"] == "always()"
    plan_runs = [s.get("run", "") for s in workflow["jobs"]["plan"]["steps"]]
    assert [r.removeprefix(script) for r in plan_runs if r.startswith(script)] == [
        "state-pull",
        "pr",
        "report",
    ]
    # every run keeps the report page, whatever happened before
    for job in ("plan", "apply"):
        steps = workflow["jobs"][job]["steps"]
        at = next(i for i, s in enumerate(steps) if s.get("run") == script + "report")
        upload = steps[at + 1]
        assert steps[at]["if"] == upload["if"] == "always()"
        assert upload["uses"].startswith("actions/upload-artifact@")
        assert upload["with"]["path"] == "smm-report.html"
        assert any("smm-runner[report]" in s.get("run", "") for s in steps)


# --- the PostgreSQL variant ------------------------------------------------------------

PG_WORKFLOW = REPO / "examples" / "github-actions" / "smm-postgres.yml"


def pg_step(cwd: Path, state: str, *args: str, **extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SMM": f"{sys.executable} -m runner",
        "PYTHONPATH": str(REPO),
        "SIM_KEY": SECRET_KEY,
        "SMM_STATE": state,  # from the repository secret
        **extra,
    }
    return subprocess.Popen(
        ["bash", str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def test_postgres_workflow_steps(sim: Sim, pg_url: str, tmp_path: Path) -> None:
    sim.faults.latency_ms = 30
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = tmp_path / "seed"
    (seed / "campaigns").mkdir(parents=True)
    git(seed, "init", "-q", "-b", "main")
    (seed / "smm.yaml").write_text(f"panels:\n  shop:\n    url: {sim.url}\n    key_env: SIM_KEY\n")
    for name, count, start in (("launch", 3, 0), ("promo", 2, 50)):
        orders = "".join(f"  - {o}\n" for o in followers(count, start=start))
        (seed / "campaigns" / f"{name}.yaml").write_text(
            f"campaign: {name}\npanel: shop\norders:\n{orders}"
        )
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "campaigns")
    git(seed, "push", "-q", str(origin), "main")

    # a pull request: the plan of both campaigns, read from the shared state
    summary = tmp_path / "summary.md"
    pr = checkout(origin, tmp_path / "pr")
    code, said = finished(pg_step(pr, pg_url, "pr", GITHUB_STEP_SUMMARY=str(summary)))
    assert code == 0, said
    assert "Plan: 5 to create, 0 to refill, 0 to cancel." in summary.read_text()
    assert sim.orders() == []

    # main: the matrix of campaign files, then one apply job per campaign, at once
    outputs = tmp_path / "outputs"
    code, said = finished(pg_step(pr, pg_url, "campaigns", GITHUB_OUTPUT=str(outputs)))
    files = ["campaigns/launch.yaml", "campaigns/promo.yaml"]
    assert code == 0 and json.loads(said) == files
    assert outputs.read_text() == f"campaigns={json.dumps(files)}\n"
    jobs = [
        pg_step(checkout(origin, tmp_path / f"job{i}"), pg_url, "main", path)
        for i, path in enumerate(files)
    ]
    results = [finished(job) for job in jobs]
    assert [code for code, _ in results] == [0, 0], results
    assert "Apply complete: 3 orders placed" in results[0][1]
    assert "Apply complete: 2 orders placed" in results[1][1]

    # main again, from fresh checkouts: nothing is ordered twice, no state branch exists
    for i, path in enumerate(files):
        code, said = finished(
            pg_step(checkout(origin, tmp_path / f"again{i}"), pg_url, "main", path)
        )
        assert code == 0 and "No changes." in said, said
        assert not (tmp_path / f"again{i}" / ".smm" / "state.db").exists()
    assert len(sim.orders()) == 5
    assert git(origin, "branch", "--list", "--format=%(refname:short)").split() == ["main"]


def test_postgres_workflow_file_wires_the_steps() -> None:
    workflow = yaml.safe_load(PG_WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {"contents": "read"}  # no state branch to push
    apply = jobs["apply"]
    assert apply["needs"] == "campaigns"
    assert apply["strategy"]["matrix"]["campaign"] == (
        "${{ fromJSON(needs.campaigns.outputs.campaigns) }}"
    )
    assert apply["concurrency"] == {
        "group": "smm-apply-${{ matrix.campaign }}",
        "cancel-in-progress": False,
    }
    for job in (apply, jobs["plan"]):
        assert job["env"]["SMM_STATE"] == "${{ secrets.SMM_STATE_URL }}"
        runs = [s.get("run", "") for s in job["steps"]]
        assert "pip install 'smm-runner[postgres]'" in runs
        assert not any("state-pull" in r or "state-push" in r for r in runs)
    assert [s.get("run", "") for s in apply["steps"]][-1] == (
        'bash examples/github-actions/smm-ci.sh main "${{ matrix.campaign }}"'
    )
    listed = jobs["campaigns"]
    assert listed["outputs"]["campaigns"] == "${{ steps.list.outputs.campaigns }}"
    assert listed["steps"][-1] == {
        "id": "list",
        "run": "bash examples/github-actions/smm-ci.sh campaigns",
    }


def test_a_plan_another_campaign_made_stale_is_made_again(
    sim: Sim, pg_url: str, tmp_path: Path
) -> None:
    """Between a job's plan and its apply, another job applies another campaign: the saved
    plan may be refused as stale (the state moved), and the step plans again, once."""
    work = tmp_path / "job"
    (work / "campaigns").mkdir(parents=True)
    (work / "smm.yaml").write_text(f"panels:\n  shop:\n    url: {sim.url}\n    key_env: SIM_KEY\n")
    for name, count, start in (("launch", 3, 0), ("promo", 2, 50)):
        orders = "".join(f"  - {o}\n" for o in followers(count, start=start))
        (work / "campaigns" / f"{name}.yaml").write_text(
            f"campaign: {name}\npanel: shop\norders:\n{orders}"
        )
    real = f"{sys.executable} -m runner"
    other_job = tmp_path / "smm-with-another-job"
    other_job.write_text(
        "#!/usr/bin/env bash\n"
        'if [ "$1" = apply ] && [ ! -e other-job-ran ]; then\n'
        "  touch other-job-ran\n"
        f"  {real} apply --auto-approve campaigns/launch.yaml > /dev/null\n"
        "fi\n"
        f'exec {real} "$@"\n'
    )
    other_job.chmod(0o755)
    proc = pg_step(work, pg_url, "main", "campaigns/promo.yaml", SMM=str(other_job))
    code, said = finished(proc)
    assert code == 0, said
    assert ("is stale" in said) == ("planning again" in said)
    assert "Apply complete: 2 orders placed" in said
    assert len(sim.orders()) == 5


# --- the scheduled workflow --------------------------------------------------------------

SCHEDULED = REPO / "examples" / "github-actions" / "smm-scheduled.yml"


@pytest.fixture
def hook() -> Iterator[Receiver]:
    """A notification receiver on 127.0.0.1 (tests/notify/receiver.py)."""
    with receiver() as listening:
        yield listening


def test_scheduled_workflow_tops_up_and_tells_once(
    clocked: tuple[Sim, list[float]], tmp_path: Path, hook: Receiver
) -> None:
    """Every scheduled run: the state back, refresh, apply what the outcome calls for,
    the state saved.  A Partial order is topped up once, however often the job runs."""
    sim, clock = clocked
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = tmp_path / "seed"
    (seed / "campaigns").mkdir(parents=True)
    git(seed, "init", "-q", "-b", "main")
    (seed / "smm.yaml").write_text(
        f"panels:\n  shop:\n    url: {sim.url}\n    key_env: SIM_KEY\n"
        f"notify:\n  - url: json://127.0.0.1:{hook.port}/x\n    events: [partial]\n"
    )
    (seed / "campaigns" / "launch.yaml").write_text(
        "campaign: launch\npanel: shop\norders:\n"
        "  - {id: f, service: 1, link: https://instagram.com/a, quantity: 1000, "
        "on_partial: reorder}\n"
        "  - {id: g, service: 1, link: https://instagram.com/b, quantity: 1000}\n"
    )
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "campaigns")
    git(seed, "push", "-q", str(origin), "main")
    sim.panel.partial_rate = 1.0
    first = checkout(origin, tmp_path / "run1")
    for name in ("state-pull", "main", "state-push"):
        assert step(first, name).returncode == 0
    sim.panel.partial_rate = 0.0
    clock[0] += 3600

    summary = tmp_path / "summary.md"
    second = checkout(origin, tmp_path / "run2")
    assert step(second, "state-pull").returncode == 0
    result = step(second, "scheduled", summary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 1 order placed" in result.stdout
    # launch/g ended short with no top-up asked for: the summary says who must look
    assert "### Needs a person" in summary.read_text()
    assert "- launch/g: ended Partial" in summary.read_text()
    assert "launch/f" not in summary.read_text()
    assert step(second, "state-push").returncode == 0
    assert len(sim.orders()) == 3

    clock[0] += 3600
    third = checkout(origin, tmp_path / "run3")
    assert step(third, "state-pull").returncode == 0
    result = step(third, "scheduled")
    assert result.returncode == 0 and "No changes." in result.stdout
    assert len(sim.orders()) == 3
    # Told once, run after run: what was sent travels with the state.
    assert sorted(hook.titles) == ["smm: launch/f ended Partial", "smm: launch/g ended Partial"]


def test_scheduled_workflow_file_wires_the_steps() -> None:
    workflow = yaml.safe_load(SCHEDULED.read_text())
    assert workflow[True]["schedule"] == [{"cron": "*/30 * * * *"}]  # YAML 1.1: on -> True
    assert "workflow_dispatch" in workflow[True]
    assert workflow["concurrency"] == {"group": "smm-apply", "cancel-in-progress": False}
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    script = "bash examples/github-actions/smm-ci.sh "
    runs = [s.get("run", "") for s in steps]
    assert [r.removeprefix(script) for r in runs if r.startswith(script)] == [
        "state-pull",
        "scheduled",
        "report",
        "state-push",
    ]
    assert "pip install 'smm-runner[report,notify]'" in runs[0:3]
    at = runs.index(script + "report")
    assert steps[at]["if"] == steps[at + 1]["if"] == steps[-1]["if"] == "always()"
    assert steps[at + 1]["with"]["path"] == "smm-report.html"
    secrets = steps[runs.index(script + "scheduled")]["env"]
    assert all(v.startswith("${{ secrets.") for v in secrets.values())
