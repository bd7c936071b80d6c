"""``smm state ...``: inspect and repair what is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner.commands.options import (
    auto_approve_option,
    confirmer,
    data_format_option,
    emit,
    examples,
    format_option,
    lock_timeout_option,
    out,
    pass_context,
)
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
    "import",
    epilog=examples(
        "smm state import demo-launch/followers 20005",
        "smm state import demo-launch/followers 20005 --auto-approve",
    ),
)
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
@auto_approve_option
@lock_timeout_option
@pass_context
def import_(
    ctx: Context,
    address: str,
    order_id: int,
    paths: tuple[Path, ...],
    force: bool,
    auto_approve: bool,
    lock_timeout: float,
) -> None:
    """Record panel order ORDER_ID (checked with the panel) as ADDRESS's order."""
    from runner.workflows import repair

    info = repair.import_order(
        ctx, address, order_id, paths, confirmer(auto_approve), lock_timeout, force=force
    )
    out(f"{address}: recorded as order {order_id} ({info.status}).")


@state.command(
    "retry",
    epilog=examples(
        "smm state retry demo-launch/followers",
        "smm state retry demo-launch/followers --auto-approve",
    ),
)
@click.argument("address")
@auto_approve_option
@lock_timeout_option
@pass_context
def retry(ctx: Context, address: str, auto_approve: bool, lock_timeout: float) -> None:
    """Declare an in-doubt ADDRESS as never placed, so the next apply places it."""
    from runner.workflows import repair

    repair.retry(ctx, address, confirmer(auto_approve), lock_timeout)
    out(f"{address}: marked as not placed; the next apply places it.")


@state.command(
    "forget",
    epilog=examples(
        "smm state forget demo-launch/old-promo",
        "smm state forget demo-launch/old-promo --auto-approve",
    ),
)
@click.argument("address")
@auto_approve_option
@lock_timeout_option
@pass_context
def forget(ctx: Context, address: str, auto_approve: bool, lock_timeout: float) -> None:
    """Drop ADDRESS's record (the panel's order is not touched).

    Refused for an order the panel charged (or may have): the budget counts what the
    panel charged, recorded or not.  Rename it with smm state mv instead."""
    from runner.workflows import repair

    repair.forget(ctx, address, confirmer(auto_approve), lock_timeout)
    out(f"{address}: forgotten.")


@state.command(
    "mv",
    epilog=examples(
        "smm state mv demo-launch/followers demo-launch/followers-main",
        "smm state mv demo-launch spring-launch     # every order of the campaign",
    ),
)
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@auto_approve_option
@lock_timeout_option
@pass_context
def mv(ctx: Context, source: str, target: str, auto_approve: bool, lock_timeout: float) -> None:
    """Rename a recorded order (FROM and TO addresses) or a whole campaign (FROM and TO
    campaign names) without ordering again.  Its instances and top-ups move with it.

    Rename it in the campaign file too: a plan orders what the files name.  A moved:
    entry in the file does both at the next apply."""
    from runner.workflows import repair

    moved = repair.move(ctx, source, target, confirmer(auto_approve), lock_timeout)
    for old, new, order_id in moved:
        out(f"{old} -> {new}" + (f" (order {order_id})" if order_id else ""))
    out(
        f"Moved {len(moved)} record{'' if len(moved) == 1 else 's'}; nothing was ordered. "
        "Name them so in the campaign files too, or the next plan orders the old names again."
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
