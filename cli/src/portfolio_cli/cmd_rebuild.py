"""``portfolio report rebuild``: drop every projection and build it again from the events."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Annotated, Any

import grpc
import typer

from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2,
    reporting_pb2_grpc,
)
from portfolio_cli.caller import office
from portfolio_cli.cli_support import address_option, emit_json, fail
from portfolio_cli.clients import with_key
from portfolio_cli.locations import service_address
from portfolio_cli.rpc import insecure_channel


async def _rebuild(address: str, show: Any) -> Any:
    last: Any = None
    async with insecure_channel(address) as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        stream = stub.RebuildProjections(
            with_key(reporting_pb2.RebuildProjectionsRequest()), metadata=office().metadata()
        )
        async for progress in stream:
            show(progress)
            last = progress
    return last


def rebuild(
    output: Annotated[
        str, typer.Option("--format", help="table (a progress bar) or json (the result).")
    ] = "table",
    reporting: Annotated[
        str | None, typer.Option(callback=address_option, help="Reporting gRPC address.")
    ] = None,
) -> None:
    """Drop every projection and build it again from the events, with a progress bar.

    The report views are incomplete until it is done; the result equals the live views.
    """
    address = service_address("reporting", reporting)
    with contextlib.ExitStack() as closing:
        bar: Any = None

        def show(progress: Any) -> None:
            nonlocal bar
            if output == "json":
                return
            if bar is None:  # the first answer says how long the bar is
                bar = closing.enter_context(
                    typer.progressbar(
                        length=max(progress.total, 1),
                        label="Bygger visningene på nytt",
                        file=sys.stderr,
                    )
                )
            bar.update(progress.read - bar.pos)

        try:
            result = asyncio.run(_rebuild(address, show))
        except grpc.aio.AioRpcError as exc:
            fail(f"RebuildProjections at {address} failed: {exc.code().name}: {exc.details()}")
    if output == "json":
        emit_json({"read": int(result.read), "total": int(result.total), "done": bool(result.done)})
    else:
        print(f"Ferdig: {result.read} hendelser lest på nytt", file=sys.stderr)
