"""``smm services`` and ``smm balance``: look at a panel."""

from __future__ import annotations

import click

from runner.commands.options import format_option, out, pass_context, show
from runner.workflows.context import Context


@click.command()
@click.argument("panel")
@click.option("--search", help="Only services whose name or category contains TEXT.")
@click.option("--type", "type_", help="Only services of this type (e.g. default, poll).")
@click.option(
    "--accept",
    "accepted",
    multiple=True,
    type=click.IntRange(1),
    metavar="ID",
    help="Accept service ID as the catalog says it now (its drift stops being reported).",
)
@format_option(("text", "json"))
@pass_context
def services(
    ctx: Context,
    panel: str,
    search: str | None,
    type_: str | None,
    accepted: tuple[int, ...],
    output: str,
) -> None:
    """Browse PANEL's catalog to find service ids."""
    from runner.render import panels as render
    from runner.workflows import panels

    if accepted:
        for service in panels.accept(ctx, panel, accepted):
            out(render.accepted(panel, service))
        return

    if output == "json":
        out(render.services_json(panels.services(ctx, panel, search, type_)))
    else:
        found = panels.catalog(ctx, panel, search, type_)
        show(render.services_table(panel, found.services, found.currency))


@click.command()
@click.argument("panel")
@format_option(("text", "json"))
@pass_context
def balance(ctx: Context, panel: str, output: str) -> None:
    """Show PANEL's account balance."""
    from runner.render import panels as render
    from runner.workflows import panels

    result = panels.balance(ctx, panel)
    out(
        render.balance_json(panel, result)
        if output == "json"
        else render.balance_text(panel, result)
    )
