"""What every command shares: the app class with one-line errors, options, output."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

import typer

from portfolio_cli.periods import parse_period

T = TypeVar("T")
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
_ADDRESS = re.compile(r"^(\S+:\d{1,5}|unix:\S+|dns:\S+|ipv4:\S+|ipv6:\S+)$")


class OutputFormat(StrEnum):
    """How a command prints its data."""

    JSON = "json"
    TABLE = "table"


class PortfolioApp(typer.Typer):
    """A Typer app that reports every error as one line on stderr, never a traceback.

    Exit codes: 0 ok, 1 something failed, 2 the command line was wrong.
    Set ``PORTFOLIO_DEBUG=1`` to see tracebacks of unexpected errors.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        command = typer.main.get_command(self)
        options = {"prog_name": "portfolio", **kwargs, "standalone_mode": False}
        try:
            result = command.main(*args, **options)
        except typer.Exit as exc:
            code = exc.exit_code
        except typer.TyperException as exc:
            code = _report_typer_error(exc)
        except (typer.Abort, KeyboardInterrupt):
            print("aborted", file=sys.stderr)
            code = 130
        except Exception as exc:
            if os.environ.get("PORTFOLIO_DEBUG"):
                raise
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = EXIT_FAILED
        else:
            code = result if isinstance(result, int) else EXIT_OK
        sys.stdout.flush()
        sys.exit(code)


def _report_typer_error(exc: typer.TyperException) -> int:
    message = exc.format_message()
    show = getattr(exc, "show", None)
    if "\n" in message and callable(show):  # e.g. help shown for a bare group
        show()
        return int(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    where = f"{ctx.command_path}: " if ctx is not None else ""
    hint = " (see --help)" if exc.exit_code == EXIT_USAGE else ""
    print(f"error: {where}{message}{hint}", file=sys.stderr)
    return int(exc.exit_code)


def new_app(help_text: str) -> typer.Typer:
    """A sub-command group with the same conventions as the main app."""
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )


def cli_parser(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as a Typer ``parser=``: its ValueError becomes a usage error (exit 2)."""

    def convert(value: str) -> T:
        try:
            return parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def period_option(value: str) -> str:
    """Option callback: a reporting period YYYY-MM."""
    try:
        return parse_period(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def address_option(value: str | None) -> str | None:
    """Option callback: a gRPC address ``host:port``."""
    if value is None:
        return None
    if not _ADDRESS.match(value.strip()):
        raise typer.BadParameter(f"an address is HOST:PORT, e.g. 127.0.0.1:50051; got {value!r}")
    return value.strip()


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (non-ASCII kept when stdout is UTF-8)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    print(json.dumps(data, indent=2, ensure_ascii=encoding != "utf8"))


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and end the command with ``code``."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
