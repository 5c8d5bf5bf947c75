"""``portfolio deadletters list|replay|discard --service NAME``: the operator's dead letters.

A service's consumers park a message they cannot apply, and every later message of the
same aggregate behind it (a sequenced dead-letter queue). After a fix (a handler that no
longer fails, an upcaster for a new event version), ``replay`` applies each parked
aggregate's letters in order; ``discard`` drops a letter that can never be applied (bytes
that are not a message). Calls ``eportfolio.operations.v1.OperationsService`` as the
``operations`` role.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import grpc
import typer

from eportfolio.operations.v1 import (  # type: ignore[import-untyped, unused-ignore]
    operations_pb2,
    operations_pb2_grpc,
)
from portfolio_cli.caller import CLI_USER, OFFICE_AGENCY, new_correlation_id
from portfolio_cli.cli_support import address_option, emit_json, fail
from portfolio_cli.locations import service_address
from portfolio_cli.rpc import Metadata, header_value, insecure_channel

CONSUMING = ("assessment", "korona", "reporting")

app = typer.Typer(
    help="Dead letters of a service's consumers: list, replay after a fix, discard.",
    no_args_is_help=True,
)

ServiceOpt = Annotated[str, typer.Option("--service", help="assessment, korona or reporting.")]
GroupOpt = Annotated[
    str, typer.Option("--group", help="One consumer group (default: every group).")
]
AddressOpt = Annotated[
    str | None,
    typer.Option("--address", callback=address_option, help="The service's gRPC address."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json.")]


def operations_metadata() -> Metadata:
    """The portfolio office's operators (role ``operations``)."""
    return (
        ("x-agency", header_value(OFFICE_AGENCY)),
        ("x-user", header_value(CLI_USER)),
        ("x-role", "operations"),
        ("x-correlation-id", new_correlation_id()),
    )


def _address(service: str, explicit: str | None) -> str:
    if service not in CONSUMING:
        fail(f"--service must be one of {', '.join(CONSUMING)}; got {service!r}")
    return service_address(service, explicit)


async def _call(address: str, method: str, request: Any) -> Any:
    async with insecure_channel(address) as channel:
        stub = operations_pb2_grpc.OperationsServiceStub(channel)
        return await getattr(stub, method)(request, metadata=operations_metadata(), timeout=60.0)


def _run(address: str, method: str, request: Any) -> Any:
    try:
        return asyncio.run(_call(address, method, request))
    except grpc.aio.AioRpcError as exc:
        fail(f"{method} at {address} failed: {exc.code().name}: {exc.details()}")


def letter_json(letter: Any) -> dict[str, Any]:
    return {
        "consumer_group": letter.consumer_group,
        "letter_id": letter.letter_id,
        "sequence": letter.sequence,
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "position": letter.position,
        "event_type": letter.event_type,
        "schema_version": letter.schema_version,
        "aggregate_version": letter.aggregate_version,
        "reason": letter.reason,
        "parked_behind": letter.parked_behind,
        "bytes": len(letter.value),
    }


@app.command("list")
def list_letters(
    service: ServiceOpt,
    group: GroupOpt = "",
    address: AddressOpt = None,
    output: FormatOpt = "table",
) -> None:
    """The parked letters, in order per aggregate, with why each is parked."""
    answer = _run(
        _address(service, address),
        "ListDeadLetters",
        operations_pb2.ListDeadLettersRequest(consumer_group=group),
    )
    letters = [letter_json(x) for x in answer.letters]
    if output == "json":
        emit_json(letters)
        return
    if not letters:
        print("Ingen parkerte meldinger.")
        return
    for x in letters:
        kind = f"{x['event_type'] or '?'} v{x['schema_version']}"
        where = f"{x['topic']}[{x['partition']}]@{x['offset']}"
        why = f"venter bak {x['parked_behind']}" if x["parked_behind"] else x["reason"]
        print(f"{x['letter_id']}  {x['sequence']}  {kind}  {where}  {why}")
    print(f"{len(letters)} parkerte meldinger.")


@app.command("replay")
def replay(
    service: ServiceOpt,
    group: GroupOpt = "",
    sequence: Annotated[
        str, typer.Option("--sequence", help="One aggregate id (default: every one).")
    ] = "",
    address: AddressOpt = None,
    output: FormatOpt = "table",
) -> None:
    """Apply the parked letters again, in order per aggregate; exits 1 if some remain."""
    answer = _run(
        _address(service, address),
        "ReplayDeadLetters",
        operations_pb2.ReplayDeadLettersRequest(consumer_group=group, sequence=sequence),
    )
    outcomes = [
        {
            "consumer_group": o.consumer_group,
            "sequence": o.sequence,
            "replayed": o.replayed,
            "remaining": o.remaining,
            "reason": o.reason,
        }
        for o in answer.sequences
    ]
    if output == "json":
        emit_json(outcomes)
    else:
        for o in outcomes:
            rest = f", {o['remaining']} igjen: {o['reason']}" if o["remaining"] else ""
            print(f"{o['sequence']}: {o['replayed']} brukt{rest}")
        replayed = sum(o["replayed"] for o in outcomes)
        print(f"{replayed} meldinger brukt på nytt.")
    if any(o["remaining"] for o in outcomes):
        raise typer.Exit(1)


@app.command("discard")
def discard(
    service: ServiceOpt,
    letter_id: Annotated[str, typer.Argument(help="The letter to drop (from `list`).")],
    group: GroupOpt = "",
    address: AddressOpt = None,
    output: FormatOpt = "table",
) -> None:
    """Drop one letter without applying it; the letters behind it can then be replayed."""
    answer = _run(
        _address(service, address),
        "DiscardDeadLetter",
        operations_pb2.DiscardDeadLetterRequest(consumer_group=group, letter_id=letter_id),
    )
    if output == "json":
        emit_json(letter_json(answer.letter))
    else:
        print(f"Forkastet {answer.letter.letter_id} ({answer.letter.reason}).")
