"""What ``plan`` and ``apply`` are asked to look at: ``--target``, ``--allow-over-limits``
and ``--no-reconcile``, defined once for both."""

from __future__ import annotations

import click

from runner.commands.options import F

reconcile_option = click.option(
    "--no-reconcile",
    is_flag=True,
    help="Do not look for lost orders on the panel first (smm reconcile does).",
)


def target_options(function: F) -> F:
    """``--target`` (repeatable) and ``--allow-over-limits``, shared by plan and apply."""
    function = click.option(
        "--allow-over-limits",
        is_flag=True,
        help="Go ahead beyond the safety limits (safety: max_creates, max_spend).",
    )(function)
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDRESS|CAMPAIGN",
        help="Only this order address or campaign (repeatable); a saved plan keeps it.",
    )(function)
