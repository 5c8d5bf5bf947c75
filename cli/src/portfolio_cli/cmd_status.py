"""``portfolio status``: the processes of the running stack and whether each is healthy."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from portfolio_cli.cli_support import EXIT_FAILED, EXIT_OK, OutputFormat, emit_json, fail
from portfolio_cli.health import serving_map
from portfolio_cli.locations import var_dir
from portfolio_cli.stackfile import StackState, read_state, stack_file
from report_views.tables import render_table


def _load() -> StackState:
    path = stack_file(var_dir())
    try:
        state = read_state(path)
    except (ValueError, OSError) as exc:
        fail(f"cannot read {path}: {exc}")
    if state is None:
        fail(f"`make run` is not running (there is no {path})")
    if not state.supervisor_running():
        fail(
            f"`make run` is not running ({path} was left by process {state.supervisor_pid},"
            " which is gone)"
        )
    return state


def status(
    output: Annotated[
        OutputFormat, typer.Option("--format", help="json for programs, table for people.")
    ] = OutputFormat.TABLE,
) -> None:
    """Each service of the running stack: pid, addresses, and the gRPC health check."""
    state = _load()
    healthy = asyncio.run(serving_map((s.name, s.grpc) for s in state.services))
    services: list[dict[str, Any]] = [
        {
            "name": s.name,
            "pid": s.pid,
            "grpc": s.grpc,
            "metrics": s.metrics,
            "healthy": healthy[s.name],
        }
        for s in state.services
    ]
    if output is OutputFormat.JSON:
        emit_json({"services": services})
    else:
        rows = [
            [
                s["name"],
                str(s["pid"] or "-"),
                s["grpc"],
                s["metrics"],
                "yes" if s["healthy"] else "NO",
            ]
            for s in services
        ]
        print(render_table(["service", "pid", "grpc", "metrics", "healthy"], rows, right=(1,)))
        print(f"broker: {state.broker}  started: {state.started_at}")
    raise typer.Exit(EXIT_OK if all(healthy.values()) else EXIT_FAILED)
