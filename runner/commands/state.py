"""``smm state ...``: inspect and repair what is recorded."""

from __future__ import annotations

import json

import click

from runner.commands.options import (
    data_format_option,
    examples,
    format_option,
    lock_timeout_option,
    pass_context,
)
from runner.commands.output import emit, out
from runner.workflows.context import Context


@click.group(epilog=examples("smm state list", "smm state show demo-launch/followers"))
def state() -> None:
    """Inspect and repair the state (what smm knows about every order)."""


@state.command("list", epilog=examples("smm state list", "smm state list --json"))
@format_option
@pass_context
def list_(ctx: Context, output: str) -> None:
    """Every recorded address with its phase, panel order id and last status."""
    from runner.render import state as render
    from runner.workflows import stateview

    info, records = stateview.records(ctx)
    emit(
        output,
        text=lambda: (
            render.records_table(info, records)
            if records
            else f"No orders recorded in {ctx.state_location}."
        ),
        json=lambda: render.records_json(info, records),
    )


@state.command(
    "show",
    epilog=examples(
        "smm state show demo-launch/followers",
        "smm state show demo-launch/followers --json",
    ),
)
@click.argument("address")
@format_option
@pass_context
def show_(ctx: Context, address: str, output: str) -> None:
    """Everything recorded about ADDRESS (campaign/order), with its events and history."""
    from runner.render import state as render
    from runner.workflows import stateview

    data = stateview.show(ctx, address)
    emit(output, text=lambda: render.record_lines(data), json=lambda: json.dumps(data, indent=2))


@state.command(
    "export",
    epilog=examples("smm state export > state.json", "smm state export --format text"),
)
@data_format_option
@pass_context
def export(ctx: Context, output: str) -> None:
    """The whole state as JSON (--format text: what it holds, in a line)."""
    from runner.render import state as render
    from runner.workflows import stateview

    snapshot = stateview.export(ctx)
    emit(
        output,
        text=lambda: render.export_lines(snapshot.to_json()),
        json=lambda: json.dumps(snapshot.to_json(), indent=2),
    )


@state.command(
    "migrate",
    epilog=examples(
        "smm state migrate postgresql://smm@db.example:5432/smm",
        "smm --state postgresql://smm@db.example/smm state migrate .smm/state.db",
    ),
)
@click.argument("target")
@lock_timeout_option
@pass_context
def migrate(ctx: Context, target: str, lock_timeout: float) -> None:
    """Copy the whole state into TARGET, an empty store: a path or a postgresql:// URL."""
    from runner.workflows import migrate as workflow

    done = workflow.migrate(ctx, target, lock_timeout)
    counts = ", ".join(f"{n} {what}" for what, n in done.counts.items())
    out(f"Copied the state from {done.source} to {done.target}: {counts}.")
    out(f"Use it from now on (state: in smm.yaml, SMM_STATE or --state); {done.source} is")
    out("left as it was: keep it as a backup, and apply only against the new state.")
