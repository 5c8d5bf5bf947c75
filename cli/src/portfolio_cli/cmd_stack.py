"""``portfolio stack run``: what ``make run`` calls."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from portfolio_cli.cli_support import EXIT_USAGE, fail, new_app
from portfolio_cli.locations import var_dir
from portfolio_cli.stack import Supervisor
from portfolio_cli.stack_config import ConfigError, StackConfig, default_config

app = new_app("The local stack: the Kafka broker and the four services.")


@app.callback()
def group() -> None:
    """The local stack: the Kafka broker and the four services."""


async def supervise(config: StackConfig) -> int:
    """Run the stack until SIGINT or SIGTERM; a second signal kills what still runs."""
    supervisor = Supervisor(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            supervisor.say("second signal: killing what still runs")
            supervisor.kill_all()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    return await supervisor.run(stop)


@app.command("run")
def run(
    var_dir_option: Annotated[
        Path | None,
        typer.Option(
            "--var-dir",
            file_okay=False,
            help="State, logs and databases (default $PORTFOLIO_VAR_DIR or ./var).",
        ),
    ] = None,
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Do not load the portfolio data files on first start.")
    ] = False,
) -> None:
    """Run the broker and the services, restart what dies, stop all on Ctrl-C."""
    try:
        config = default_config(var_dir_option or var_dir(), seed=not no_seed)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    raise typer.Exit(asyncio.run(supervise(config)))
