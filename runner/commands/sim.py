"""``smm sim ...``: the built-in simulated panel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from runner.commands.options import examples, pass_context
from runner.commands.output import out
from runner.workflows.context import Context

# Defaults shown in --help, here so that --help imports no simulator (a test holds them).
DEFAULT_OTHERS_RATE = 0.5
DEFAULT_DECIMALS = 5


@click.group(epilog=examples("smm sim serve --port 8080", "smm sim reset demo"))
def sim() -> None:
    """The built-in simulated panel."""


@sim.command("serve", epilog=examples("smm sim serve --port 8080 --fault drop_after=0.1"))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any)."
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(0),
    help="Answer each request this long after it arrives (the simulated work included).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND=RATE",
    help="Inject faults: rate_limit, server_error, html, bad_json, drop_before, "
    "drop_after; RATE from 0 to 1. Repeatable.",
)
@click.option(
    "--fault-actions",
    default="",
    metavar="A,B",
    help="Apply --fault rates and --latency-ms only to these actions (e.g. add).",
)
@click.option(
    "--speed",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="How much faster than real time orders progress.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--balance",
    "start_balance",
    default="250.00",
    show_default=True,
    help="Starting balance of each account (USD).",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    help="Accept only these API keys (default: any key; each key is an account of its own).",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the panel's data in this SQLite file (default: in memory).",
)
@click.option(
    "--partial-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of orders that end Partial.",
)
@click.option(
    "--quirks",
    is_flag=True,
    help="Answer with the variants some panels use (string ids, lower-case types, "
    "Cancelled, bare-string errors).",
)
@click.option(
    "--limit",
    metavar="N/s|N/min",
    help="Rate limit per API key (token bucket); beyond it: HTTP 429 with Retry-After.",
)
@click.option(
    "--others-rate",
    default=DEFAULT_OTHERS_RATE,
    show_default=True,
    type=click.FloatRange(0),
    help="Orders other customers place per second (real time); they take ids in between.",
)
@click.option(
    "--decimals",
    default=DEFAULT_DECIMALS,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Decimals charges and balances are rounded to (halves away from zero, as PHP).",
)
@click.option(
    "--catalog",
    type=click.Choice(["standard", "alt"]),
    default="standard",
    help="The catalog: standard (USD, every order type) or alt (EUR, other ids).",
)
def serve(**options: Any) -> None:
    """Serve the simulated panel over HTTP (POST /api/v2; GET /_sim/orders lists orders)."""
    from runner.workflows import simulator

    simulator.serve(
        **options,
        listening=lambda url: out(
            f"smm sim: panel API at {url} (orders: GET /_sim/orders; Ctrl-C stops)"
        ),
    )


@sim.command("change", epilog=examples("smm sim change demo 3 --rate 0.20"))
@click.argument("name")
@click.argument("service", type=click.IntRange(1))
@click.option("--rate", help="A new rate (per 1000, or per package).")
@click.option("--name", "title", help="A new name.")
@click.option("--type", "type", help="A new type (e.g. Package).")
@click.option("--gone", is_flag=True, help="Take the service off the catalog.")
@pass_context
def change(ctx: Context, /, name: str, service: int, **changes: Any) -> None:
    """Change a service of sim://NAME as panels do: its rate, name or type, or remove it."""
    from runner.workflows import simulator

    out(simulator.change(ctx, name, service, **changes))


@sim.command("reset", epilog=examples("smm sim reset demo"))
@click.argument("name")
@pass_context
def reset(ctx: Context, name: str) -> None:
    """Start the simulated panel sim://NAME afresh (delete its data in .smm/sim/)."""
    from runner.workflows import simulator

    done = simulator.reset(ctx, name)
    where = os.path.relpath(done.path)
    had = f"deleted {where}" if done.deleted else f"it had no data ({where} does not exist)"
    out(f"{done.url} starts afresh: {had}")
