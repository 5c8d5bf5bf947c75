"""The read-only report pages: the current report, with a period and a moment to pick.

``GET /`` (or ``/portfolio``) shows the portfolio report, ``GET /korona`` the corona report.
Query parameters: ``period`` (``YYYY-MM``; default the newest period reported), ``as_of``
(a moment; a time without a zone is Norwegian time, as a reader's ``datetime-local`` field
sends it; default now) and ``axis`` (``domain``, the default, or ``recorded``). ``format``
downloads the same report as ``pdf``, ``xlsx``, ``csv`` or ``json``.

The pages are built from the same messages the gRPC API returns (``messages``) and rendered
by the same code as the CLI's reports (``report_views``), so the page, the file and the API
say the same. Nothing here changes anything: only GET and HEAD are answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from backbone.validation import PERIOD
from report_views.render import ReportFormat, render_korona, render_portfolio
from report_views.render.html_report import korona_html, portfolio_html
from report_views.report_json import korona_json, portfolio_json
from reporting.adapters.messages import korona_message, portfolio_message
from reporting.projections import utc_text
from reporting.queries import AsOf, reporting_periods
from reporting.store import ReadModelStore

log = logging.getLogger(__name__)

OSLO = ZoneInfo("Europe/Oslo")
DOWNLOADS = (ReportFormat.PDF, ReportFormat.XLSX, ReportFormat.CSV, ReportFormat.JSON)
MEDIA_TYPES = {
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.JSON: "application/json; charset=utf-8",
}
DOWNLOAD_LABELS = {
    ReportFormat.PDF: "PDF",
    ReportFormat.XLSX: "Excel",
    ReportFormat.CSV: "CSV",
    ReportFormat.JSON: "JSON",
}

StartResponse = Callable[..., Any]
CURRENT = ' aria-current="page"'
SELECTED = " selected"


class BadParameterError(ValueError):
    """A query parameter the page cannot use; the message is for the reader (bokmål)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Query:
    """What a reader asked for, checked."""

    period: str | None
    moment: datetime | None
    recorded: bool
    fmt: ReportFormat

    @property
    def as_of(self) -> AsOf:
        return AsOf(self.moment, self.recorded)


def parse_query(query_string: str) -> Query:
    """The page's parameters; :class:`BadParameterError` naming the first one that is wrong."""
    params = {k: v[-1].strip() for k, v in parse_qs(query_string, keep_blank_values=True).items()}
    period = params.get("period") or None
    if period is not None and not PERIOD.fullmatch(period):
        raise BadParameterError(
            "period", f"«{period[:20]}» er ikke en rapporteringsperiode (ÅÅÅÅ-MM)."
        )
    moment = _moment(params.get("as_of", ""))
    axis = params.get("axis") or "domain"
    if axis not in ("domain", "recorded"):
        raise BadParameterError("axis", "Tidsaksen må være «domain» eller «recorded».")
    fmt_text = params.get("format") or "html"
    try:
        fmt = ReportFormat(fmt_text)
    except ValueError:
        fmt = None
    if fmt is None or fmt not in (ReportFormat.HTML, *DOWNLOADS):
        names = ", ".join(f.value for f in (ReportFormat.HTML, *DOWNLOADS))
        raise BadParameterError("format", f"Formatet «{fmt_text[:20]}» finnes ikke; bruk {names}.")
    return Query(period, moment, axis == "recorded", fmt)


def _moment(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameterError(
            "as_of", f"«{text[:30]}» er ikke et tidspunkt (for eksempel 2020-05-05T09:00)."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=OSLO)


class ReportPages:
    """The WSGI application serving the report pages from the read model."""

    def __init__(self, store: ReadModelStore, today: Callable[[], date] | None = None) -> None:
        self.store = store
        self.today = today or (lambda: datetime.now(OSLO).date())

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        if path in ("/", "/portfolio"):
            page = self.portfolio
        elif path == "/korona":
            page = self.korona
        else:
            return self._problem(start_response, HTTPStatus.NOT_FOUND, "Siden finnes ikke.")
        if method not in ("GET", "HEAD"):
            return self._problem(
                start_response,
                HTTPStatus.METHOD_NOT_ALLOWED,
                "Rapportsidene kan bare leses.",
                [("Allow", "GET, HEAD")],
            )
        try:
            query = parse_query(environ.get("QUERY_STRING", ""))
            status, headers, body = page(query)
        except BadParameterError as exc:
            return self._problem(start_response, HTTPStatus.BAD_REQUEST, exc.message)
        except Exception:
            log.exception("report page %s failed", path)
            return self._problem(
                start_response,
                HTTPStatus.SERVICE_UNAVAILABLE,
                "Rapporten kunne ikke lages akkurat nå. Prøv igjen om litt.",
            )
        start_response(
            f"{status.value} {status.phrase}",
            [*headers, ("Content-Length", str(len(body))), *_SAFE_HEADERS],
        )
        return [b""] if method == "HEAD" else [body]

    # --- pages ---------------------------------------------------------------------------

    def portfolio(self, query: Query) -> tuple[HTTPStatus, list[tuple[str, str]], bytes]:
        periods = reporting_periods(self.store)
        period = query.period or (periods[-1] if periods else self.today().strftime("%Y-%m"))
        data = portfolio_json(portfolio_message(self.store, period, query.as_of))
        made_on = self.today()
        if query.fmt is not ReportFormat.HTML:
            body = render_portfolio(data, query.fmt, made_on=made_on)
            return _download(body, query.fmt, f"porteforljerapport-{period}")
        toolbar = _toolbar("portfolio", query, period, periods)
        return _html(portfolio_html(data, made_on=made_on, toolbar=toolbar))

    def korona(self, query: Query) -> tuple[HTTPStatus, list[tuple[str, str]], bytes]:
        data = korona_json(korona_message(self.store, query.as_of))
        names = _names(data["by_category"])
        made_on = self.today()
        if query.fmt is not ReportFormat.HTML:
            body = render_korona(data, query.fmt, names, made_on=made_on)
            return _download(body, query.fmt, "koronaportefoljen")
        toolbar = _toolbar("korona", query, None, [])
        return _html(korona_html(data, names, made_on=made_on, toolbar=toolbar))

    # --- errors --------------------------------------------------------------------------

    def _problem(
        self,
        start_response: StartResponse,
        status: HTTPStatus,
        message: str,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        body = (
            '<!DOCTYPE html>\n<html lang="nb"><head><meta charset="utf-8"/>'
            f"<title>{status.value}: Porteføljerapport</title></head><body>"
            f'<main><h1>Noe er galt med forespørselen</h1><p role="alert">{escape(message)}</p>'
            '<p><a href="/">Til porteføljerapporten</a></p></main></body></html>\n'
        ).encode()
        start_response(
            f"{status.value} {status.phrase}",
            [
                ("Content-Type", MEDIA_TYPES[ReportFormat.HTML]),
                ("Content-Length", str(len(body))),
                *(extra or []),
                *_SAFE_HEADERS,
            ],
        )
        return [body]


_SAFE_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
]


def _html(page: str) -> tuple[HTTPStatus, list[tuple[str, str]], bytes]:
    return HTTPStatus.OK, [("Content-Type", MEDIA_TYPES[ReportFormat.HTML])], page.encode()


def _download(
    body: str | bytes, fmt: ReportFormat, stem: str
) -> tuple[HTTPStatus, list[tuple[str, str]], bytes]:
    data = body.encode() if isinstance(body, str) else body
    return (
        HTTPStatus.OK,
        [
            ("Content-Type", MEDIA_TYPES[fmt]),
            ("Content-Disposition", f'attachment; filename="{stem}.{fmt.value}"'),
        ],
        data,
    )


def _local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` field shows it: Norwegian time, to the minute."""
    return moment.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _toolbar(page: str, query: Query, period: str | None, periods: list[str]) -> str:
    """The pickers above the report: which report, which period, which moment, which axis."""
    here = "/" if page == "portfolio" else "/korona"
    nav = "".join(
        f'<a href="{href}"{CURRENT if key == page else ""}>{label}</a>'
        for key, href, label in (
            ("portfolio", "/", "Porteføljerapport"),
            ("korona", "/korona", "Koronaporteføljen"),
        )
    )
    fields = []
    if period is not None:
        options = sorted({*periods, period}, reverse=True)
        choices = "".join(
            f'<option value="{escape(p)}"{SELECTED if p == period else ""}>{escape(p)}</option>'
            for p in options
        )
        fields.append(
            "<label>Rapporteringsperiode"
            f'<select name="period" id="period">{choices}</select></label>'
        )
    moment = _local_input(query.moment)
    fields.append(
        '<label>Per tidspunkt (norsk tid; tomt = nå)<input type="datetime-local" '
        f'name="as_of" id="as_of" value="{escape(moment)}"/></label>'
    )
    axis_options = "".join(
        f'<option value="{value}"{SELECTED if query.recorded == recorded else ""}>{label}</option>'
        for value, recorded, label in (
            ("domain", False, "slik det var i virkeligheten"),
            ("recorded", True, "slik systemet hadde registrert det"),
        )
    )
    fields.append(f'<label>Tidsakse<select name="axis" id="axis">{axis_options}</select></label>')
    params: dict[str, str] = {}
    if period is not None:
        params["period"] = period
    if query.moment is not None:
        params["as_of"] = utc_text(query.moment.astimezone(UTC))
    if query.recorded:
        params["axis"] = "recorded"
    links = " · ".join(
        f'<a href="{here}?{escape(urlencode({**params, "format": fmt.value}))}" download>'
        f"{DOWNLOAD_LABELS[fmt]}</a>"
        for fmt in DOWNLOADS
    )
    return (
        '<header class="toolbar">'
        f'<nav aria-label="Rapporter">{nav}</nav>'
        f'<form method="get" action="{here}" role="search">{"".join(fields)}'
        '<button type="submit">Vis rapport</button>'
        f'<span class="downloads">Last ned: {links}</span></form></header>\n'
    )


def _names(lines: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Category names by code, where the report carries them."""
    return {str(line["code"]): str(line["category"]) for line in lines if line.get("category")}
