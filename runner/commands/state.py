"""``smm state ...``: inspect and repair what is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner.commands.options import (
    confirmer,
    format_option,
    lock_timeout_option,
    out,
    pass_context,
    show,
    yes_option,
)
from runner.workflows.context import Context


@click.group()
def state() -> None:
    """Inspect and repair the state (what smm knows about every order)."""


@state.command("list")
@format_option(("text", "json"))
@pass_context
def list_(ctx: Context, output: str) -> None:
    """Every recorded address with its phase, panel order id and last status."""
    from runner.render import state as render
    from runner.workflows import stateview

    info, records = stateview.records(ctx)
    if output == "json":
        out(render.records_json(info, records))
    elif not records:
        out(f"No orders recorded in {ctx.state_location}.")
    else:
        show(render.records_table(info, records))


@state.command("show")
@click.argument("address")
@pass_context
def show_(ctx: Context, address: str) -> None:
    """Everything recorded about ADDRESS (campaign/order), with its history, as JSON."""
    from runner.workflows import stateview

    out(json.dumps(stateview.show(ctx, address), indent=2))


@state.command("export")
@pass_context
def export(ctx: Context) -> None:
    """The whole state as JSON."""
    from runner.workflows import stateview

    out(json.dumps(stateview.export(ctx).to_json(), indent=2))


@state.command("import")
@click.argument("address")
@click.argument("order_id", type=click.IntRange(1))
@click.option(
    "--campaigns",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    default=("campaigns",),
    show_default=True,
    help="Where ADDRESS is defined.",
)
@click.option(
    "--force", is_flag=True, help="Import even if the order's charge does not fit the order."
)
@yes_option
@lock_timeout_option()
@pass_context
def import_(
    ctx: Context,
    address: str,
    order_id: int,
    paths: tuple[Path, ...],
    force: bool,
    yes: bool,
    lock_timeout: float,
) -> None:
    """Record panel order ORDER_ID (checked with the panel) as ADDRESS's order."""
    from runner.workflows import repair

    info = repair.import_order(
        ctx, address, order_id, paths, confirmer(yes), lock_timeout, force=force
    )
    out(f"{address}: recorded as order {order_id} ({info.status}).")


@state.command("retry")
@click.argument("address")
@yes_option
@lock_timeout_option()
@pass_context
def retry(ctx: Context, address: str, yes: bool, lock_timeout: float) -> None:
    """Declare an in-doubt ADDRESS as never placed, so the next apply places it."""
    from runner.workflows import repair

    repair.retry(ctx, address, confirmer(yes), lock_timeout)
    out(f"{address}: marked as not placed; the next apply places it.")


@state.command("forget")
@click.argument("address")
@yes_option
@lock_timeout_option()
@pass_context
def forget(ctx: Context, address: str, yes: bool, lock_timeout: float) -> None:
    """Drop ADDRESS's record (the panel's order is not touched)."""
    from runner.workflows import repair

    repair.forget(ctx, address, confirmer(yes), lock_timeout)
    out(f"{address}: forgotten.")


@state.command("migrate")
@click.argument("target")
@lock_timeout_option()
@pass_context
def migrate(ctx: Context, target: str, lock_timeout: float) -> None:
    """Copy the whole state into TARGET, an empty store: a path or a postgresql:// URL."""
    from runner.workflows import migrate as workflow

    done = workflow.migrate(ctx, target, lock_timeout)
    counts = ", ".join(f"{n} {what}" for what, n in done.counts.items())
    out(f"Copied the state from {done.source} to {done.target}: {counts}.")
    out(f"Use it from now on (state: in smm.yaml, SMM_STATE or --state); {done.source} is")
    out("left as it was: keep it as a backup, and apply only against the new state.")
