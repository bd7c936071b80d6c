"""``smm state import / retry / forget / mv``: a person repairs what is recorded (each
asks first; --auto-approve does not).  Sub-commands of ``smm state`` (see ``runner.cli``)."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import auto_approve_option, examples, lock_timeout_option, pass_context
from runner.commands.output import confirmer, out
from runner.workflows.context import Context


@click.command(
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
def import_order(
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


@click.command(
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


@click.command(
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


@click.command(
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
