"""The ``portfolio`` command: ``import``, ``measure``, ``korona``, ``calendar``, ``report``,
``audit``, ``deadletters``, ``status``, ``stack`` and ``pki``."""

from __future__ import annotations

from portfolio_cli import (
    cmd_audit,
    cmd_calendar,
    cmd_deadletters,
    cmd_import,
    cmd_korona,
    cmd_measure,
    cmd_pki,
    cmd_remind,
    cmd_report,
    cmd_stack,
    cmd_status,
)
from portfolio_cli.cli_support import PortfolioApp

app = PortfolioApp(
    name="portfolio",
    help="The national e-health portfolio from the command line.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(cmd_import.app, name="import")
app.add_typer(cmd_measure.app, name="measure")
app.add_typer(cmd_korona.app, name="korona")
app.command("calendar")(cmd_calendar.calendar)
app.command("remind")(cmd_remind.remind)
app.add_typer(cmd_report.app, name="report")
app.add_typer(cmd_audit.app, name="audit")
app.add_typer(cmd_deadletters.app, name="deadletters")
app.command("status")(cmd_status.status)
app.add_typer(cmd_stack.app, name="stack")
app.add_typer(cmd_pki.app, name="pki")

if __name__ == "__main__":
    app()
