"""A failed call as one line a person can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from portfolio_cli.cli_support import fail
from portfolio_cli.rpc import CallError

T = TypeVar("T")

UNREACHABLE = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
_PREFIXES = {
    "INVALID_ARGUMENT": " refused the request: ",
    "NOT_FOUND": ": not found: ",
    "FAILED_PRECONDITION": ": not possible now: ",
    "ALREADY_EXISTS": ": exists already: ",
}


def explain(error: CallError) -> str:
    """What went wrong, without the request's details the user already knows.

    INVALID_ARGUMENT names each bad field; PERMISSION_DENIED says who was calling;
    NOT_FOUND and FAILED_PRECONDITION give the server's reason; an unreachable service
    says where it was looked for.
    """
    failure = error.failure
    message = " ".join(failure.message.split())
    method = error.method
    if failure.code == "INVALID_ARGUMENT" and failure.violations:
        fields = "; ".join(f"{v.field}: {v.description}" for v in failure.violations)
        return f"{method} refused the request: {fields}"
    if failure.code == "PERMISSION_DENIED":
        who = f" as {error.caller}" if error.caller else ""
        return f"{method}: permission denied{who}: {message or 'not allowed'}"
    if failure.code in UNREACHABLE:
        where = f" at {error.address}" if error.address else ""
        return (
            f"{method}: cannot reach the service{where} ({failure.describe()};"
            " is `make run` running? see `portfolio status`)"
        )
    prefix = _PREFIXES.get(failure.code)
    if prefix is None:
        return f"{method} failed: {failure.describe()}"
    return f"{method}{prefix}{message or failure.code}"


def run_or_fail(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; a failed call ends the command with its one-line explanation (exit 1)."""
    try:
        return asyncio.run(work)
    except CallError as exc:
        fail(explain(exc))
