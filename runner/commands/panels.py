"""``smm services`` and ``smm balance``: look at a panel."""

from __future__ import annotations

import click

from runner.commands.options import examples, format_option, pass_context
from runner.commands.output import emit, err, out
from runner.workflows.context import Context


@click.command(
    epilog=examples(
        "smm services demo --search instagram",
        "smm services demo --type poll --json",
        "smm services demo --accept 3       # the catalog's service 3 as it is now",
    )
)
@click.argument("panel")
@click.option("--search", metavar="TEXT", help="Only services whose name or category has TEXT.")
@click.option(
    "--type", "type_", metavar="TYPE", help="Only services of this type (e.g. default, poll)."
)
@click.option(
    "--accept",
    "accepted",
    multiple=True,
    type=click.IntRange(1),
    metavar="ID",
    help="Accept service ID as the catalog says it now (its drift stops being reported).",
)
@format_option
@pass_context
def services(
    ctx: Context,
    panel: str,
    search: str | None,
    type_: str | None,
    accepted: tuple[int, ...],
    output: str,
) -> int:
    """Browse PANEL's catalog to find service ids.  Exits 1 when no service matches."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render import panels as render
    from runner.workflows import panels

    if accepted:
        for service in panels.accept(ctx, panel, accepted):
            out(render.accepted(panel, service))
        return EXIT_OK
    found = panels.catalog(ctx, panel, search, type_, currency=output != "json")
    if found.services or output == "json":
        emit(
            output,
            text=lambda: render.services_table(panel, found.services, found.currency),
            json=lambda: render.services_json(found.services),
        )
    if found.services:
        return EXIT_OK
    err(render.nothing_matched(panel, found.total, found.types, search, type_))
    # Asked to find something, and nothing matched: that is not a success.
    return EXIT_ERROR if search or type_ else EXIT_OK


@click.command(epilog=examples("smm balance demo", "smm balance demo --json"))
@click.argument("panel")
@format_option
@pass_context
def balance(ctx: Context, panel: str, output: str) -> None:
    """Show PANEL's account balance."""
    from runner.render import panels as render
    from runner.workflows import panels

    result = panels.balance(ctx, panel)
    emit(
        output,
        text=lambda: render.balance_text(panel, result),
        json=lambda: render.balance_json(panel, result),
    )
