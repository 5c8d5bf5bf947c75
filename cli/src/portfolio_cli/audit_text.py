"""AuditService's answers as text for people: bokmål headings, times in Norwegian time,
long cells wrapped within their column so a history reads one event at a time."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from portfolio_cli.audit_json import parse_object, parse_value
from portfolio_cli.korona_text import (
    DECISION_NB,
    FEEDBACK_NB,
    RECOMMENDATION_NB,
    STATE_NB,
    when,
)
from portfolio_cli.korona_values import to_oslo
from portfolio_cli.measure_text import LIFECYCLE_NB, yes_no
from report_views.colours import Colour, norwegian
from report_views.money import format_mnok_nb
from report_views.render.view import IMPLEMENTATION_NB
from report_views.segment_names import NOT_PLACED_NB
from report_views.tables import clip

EMPTY = "-"
GAP = "  "
MIN_COLUMN = 14
WIDE = 160
"""The width tables wrap at when stdout is not a terminal and ``$COLUMNS`` is not set."""
LONG_VALUE = 400
OP_NB = {"add": "lagt til", "remove": "fjernet", "replace": "endret"}


# --- tables that wrap ------------------------------------------------------------------


def terminal_width() -> int:
    """``$COLUMNS``, else the terminal's width when stdout is one, else 160; never below 80."""
    columns = shutil.get_terminal_size((WIDE, 24)).columns
    if "COLUMNS" not in os.environ and not sys.stdout.isatty():
        columns = WIDE
    return max(columns, 80)


def _lines(cell: str, limit: int | None) -> list[str]:
    if limit is None:
        return cell.splitlines() or [""]
    lines: list[str] = []
    for paragraph in cell.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, limit, break_long_words=True, break_on_hyphens=False) or [
            ""
        ]
    return lines


def _natural(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in cell.splitlines() or [""]))
    return widths


def fit(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    flexible: Sequence[int],
    width: int,
) -> list[int | None]:
    """Column limits so the table fits ``width``: the widest of the ``flexible`` columns
    gives up a character at a time, none below ``MIN_COLUMN`` (or its heading)."""
    limits = _natural(headers, rows)
    excess = sum(limits) + len(GAP) * (len(headers) - 1) - width
    floor = {i: max(MIN_COLUMN, len(headers[i])) for i in flexible}
    while excess > 0:
        shrinkable = [i for i in flexible if limits[i] > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: limits[i])
        limits[widest] -= 1
        excess -= 1
    return [limits[i] if i in flexible else None for i in range(len(headers))]


def wrapped_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    limits: Sequence[int | None] = (),
    right: Sequence[int] = (),
) -> str:
    """Like ``render_table``, but a cell longer than its column's limit is wrapped onto
    more lines within its column."""
    limits = list(limits) or [None] * len(headers)
    split = [[_lines(cell, limits[i]) for i, cell in enumerate(row)] for row in rows]
    widths = [len(h) for h in headers]
    for row in split:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return GAP.join(padded).rstrip()

    out = [line(headers), GAP.join("-" * w for w in widths)]
    for row in split:
        height = max(len(lines) for lines in row)
        for n in range(height):
            out.append(line([lines[n] if n < len(lines) else "" for lines in row]))
    return "\n".join(out)


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    flexible: Sequence[int],
    right: Sequence[int] = (),
    width: int | None = None,
) -> str:
    """A wrapped table that fits the terminal."""
    limits = fit(headers, rows, flexible, width or terminal_width())
    return wrapped_table(headers, rows, limits, right)


# --- values ----------------------------------------------------------------------------


def when_exact(text: str) -> str:
    """An RFC 3339 time as ``2020-04-02 10:15:07`` in Norwegian time; other text as it is."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text or EMPTY
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    return f"{to_oslo(moment):%Y-%m-%d %H:%M:%S}"


def moment_nb(moment: datetime | None) -> str:
    """A moment asked for, in Norwegian time (``nå`` for now)."""
    if moment is None:
        return "nå"
    local = to_oslo(moment)
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        return f"{local:%Y-%m-%d} (ved dagens slutt, norsk tid)"
    return f"{local:%Y-%m-%d %H:%M:%S} norsk tid"


def _when(text: str) -> str:
    return when(text) if text else EMPTY


def value_text(value: Any) -> str:
    """A field's value for a table: ``-`` for none, Ja/Nei, objects as compact JSON."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return clip(compact, LONG_VALUE)


def segment_nb(value: Any) -> str:
    """A segment's name as the directorate writes it; "Ikke plassert" for none."""
    return str(value).capitalize() if value else NOT_PLACED_NB


def colour_nb(value: Any) -> str:
    """Grønn/Gul/Rød; "Ikke rapportert" for none."""
    if not value:
        return norwegian(None)
    try:
        return norwegian(Colour(str(value).lower()))
    except ValueError:
        return str(value)


def who(actor: Any) -> str:
    """``agency / user (role)``: who did it."""
    agency, user, role = str(actor.agency), str(actor.user), str(actor.role)
    name = " / ".join(part for part in (agency, user) if part) or EMPTY
    return f"{name} ({role})" if role else name


def _nb(names: Mapping[str, str], value: Any) -> str:
    return names.get(str(value), str(value)) if value else EMPTY


# --- what an event says ------------------------------------------------------------------


def _segment_changed(d: Mapping[str, Any]) -> str:
    text = f"{segment_nb(d.get('from_segment'))} → {segment_nb(d.get('to_segment'))}"
    if d.get("period"):
        text += f" fra {d['period']}"
    if d.get("decision"):
        text += f" (vedtak: {d['decision']})"
    return text


def _status_report(d: Mapping[str, Any]) -> str:
    text = f"{d.get('period') or '?'}: status {colour_nb(d.get('status'))}"
    text += f", risiko {colour_nb(d.get('risk'))}"
    if d.get("correction"):
        text += " (korreksjon)"
    if d.get("explanation"):
        text += f"; {d['explanation']}"
    return text


def _included(d: Mapping[str, Any]) -> str:
    text = f"{segment_nb(d.get('segment'))} fra {d.get('period') or '?'}"
    return text + (f" (vedtak: {d['decision']})" if d.get("decision") else "")


def _left(d: Mapping[str, Any]) -> str:
    text = f"etter {d.get('period') or '?'}"
    return text + (f", veien videre: {d['way_forward']}" if d.get("way_forward") else "")


def _assessed_measure(d: Mapping[str, Any]) -> str:
    met = "alle oppfylt" if d.get("all_met") else "ikke alle oppfylt"
    return f"kriterier {d.get('criteria_version') or '?'}: {met}"


def _reminder(d: Mapping[str, Any]) -> str:
    kind = "purring" if d.get("kind") == "overdue" else "påminnelse"
    return f"{kind} for {d.get('period') or '?'}, frist {d.get('deadline') or '?'}"


def _refused(d: Mapping[str, Any]) -> str:
    return f"{d.get('period') or '?'}: {d.get('reason') or EMPTY}"


def _categorised(d: Mapping[str, Any]) -> str:
    new = " ".join(str(p) for p in (d.get("category_code"), d.get("category_name")) if p)
    return f"{d.get('previous_code') or EMPTY} → {new or EMPTY}"


def _decided(d: Mapping[str, Any]) -> str:
    text = _nb(DECISION_NB, d.get("decision"))
    return text + (f" ({d['reference']})" if d.get("reference") else "")


def _assessed_proposal(d: Mapping[str, Any]) -> str:
    text = f"anbefaling: {_nb(RECOMMENDATION_NB, d.get('recommendation'))}"
    return text + (f" ({d['working_group']})" if d.get("working_group") else "")


def _implementation(d: Mapping[str, Any]) -> str:
    text = _nb(IMPLEMENTATION_NB, d.get("status"))
    return text + (f", {d['responsible_agency']}" if d.get("responsible_agency") else "")


def _funding(d: Mapping[str, Any]) -> str:
    amount = d.get("amount_nok")
    money = f" {format_mnok_nb(int(amount))} MNOK" if isinstance(amount, int) else ""
    return f"{d.get('change') or '?'}{money}"


def _feedback(d: Mapping[str, Any]) -> str:
    text = _nb(FEEDBACK_NB, d.get("kind"))
    return text + (f": {d['text']}" if d.get("text") else "")


def _registered(d: Mapping[str, Any]) -> str:
    return str(d.get("name") or d.get("title") or "")


SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "SegmentChanged": _segment_changed,
    "StatusReportRecorded": _status_report,
    "StatusReportSubmitted": _status_report,
    "StatusReportRefused": _refused,
    "Included": _included,
    "Completed": _left,
    "Paused": _left,
    "Withdrawn": _left,
    "CriteriaAssessed": _assessed_measure,
    "ReminderIssued": _reminder,
    "Registered": _registered,
    "MeasureSubmitted": _registered,
    "ProposalSubmitted": _registered,
    "Categorised": _categorised,
    "Routed": lambda d: f"til {d.get('working_group') or '?'}",
    "Assessed": _assessed_proposal,
    "Decided": _decided,
    "ImplementationStatusSet": _implementation,
    "FundingRecorded": _funding,
    "FeedbackGiven": _feedback,
    "Promoted": lambda d: "til den nasjonale porteføljen",
    "Reopened": lambda d: "tatt opp igjen",
}
_NOISE = frozenset({"measure_id", "proposal_id", "reason", "receipt_id", "originator_id"})


def _generic(data: Mapping[str, Any]) -> str:
    parts = [
        f"{key}={value_text(value)}"
        for key, value in data.items()
        if key not in _NOISE and isinstance(value, str | int | float | bool) and value != ""
    ]
    return ", ".join(parts)


def event_summary(event_type: str, data: Any) -> str:
    """A short readable account of an event's data (``Koordinere → Samstyre fra 2020-06``)."""
    if not isinstance(data, Mapping):
        return clip(str(data), LONG_VALUE)
    summary = SUMMARIES.get(event_type)
    try:
        text = summary(data) if summary is not None else _generic(data)
    except (TypeError, ValueError, KeyError):
        text = _generic(data)
    return clip(text, LONG_VALUE) or EMPTY


# --- history, state, diff ----------------------------------------------------------------


EVENT_HEADERS = ["Versjon", "Hendelse", "Gjaldt", "Registrert", "Hvem", "Begrunnelse", "Innhold"]


def events_table(events: Sequence[Any], width: int | None = None) -> str:
    """One row per event: version, type, when it held and was recorded, who, why, what."""
    rows = [
        [
            str(e.version),
            str(e.type),
            _when(str(e.held_at)),
            _when(str(e.recorded_at)),
            who(e.actor),
            str(e.reason) or EMPTY,
            event_summary(str(e.type), parse_object(str(e.data_json))),
        ]
        for e in events
    ]
    return fitted_table(EVENT_HEADERS, rows, flexible=(4, 5, 6), right=(0,), width=width)


def stream_label(ref: Any) -> str:
    """``Measure 160 (assessment)``."""
    name = " ".join(p for p in (str(ref.aggregate_type), str(ref.subject)) if p)
    return f"{name or ref.aggregate_id} ({ref.service})" if ref.service else name


def history_text(events: Sequence[Any], fallback: str, width: int | None = None) -> str:
    """The history of one stream, oldest event first."""
    if not events:
        return f"Historikk for {fallback}: ingen hendelser"
    ref = events[0].stream
    head = f"Historikk for {stream_label(ref)}"
    if ref.aggregate_id:
        head += f", strøm {ref.aggregate_id}"
    lines = [head, f"{len(events)} hendelser", "", events_table(events, width)]
    return "\n".join(lines)


def _state_line(state: Any) -> str:
    if int(state.version) == 0:
        return "Versjon 0: strømmen hadde ikke begynt"
    return (
        f"Versjon {state.version} (gjaldt {_when(str(state.held_at))},"
        f" registrert {_when(str(state.recorded_at))})"
    )


def fields_table(fields: Any, width: int | None = None) -> str:
    """A state's fields, one per row (objects as compact JSON)."""
    if not isinstance(fields, Mapping):
        return value_text(fields)
    rows = [[str(key), value_text(value)] for key, value in fields.items()]
    return fitted_table(["Felt", "Verdi"], rows, flexible=(1,), width=width)


def state_text(state: Any, asked: str, width: int | None = None) -> str:
    """A stream's state at the point asked for."""
    lines = [
        f"{stream_label(state.stream)} per {asked}",
        _state_line(state),
    ]
    fields = parse_object(str(state.state_json))
    if int(state.version) > 0 or fields:
        lines += ["", fields_table(fields, width)]
    return "\n".join(lines)


def changes_table(changes: Sequence[Any], width: int | None = None) -> str:
    rows = [
        [
            str(c.path) or "/",
            OP_NB.get(str(c.op), str(c.op)),
            value_text(parse_value(str(c.before_json))),
            value_text(parse_value(str(c.after_json))),
        ]
        for c in changes
    ]
    return fitted_table(["Felt", "Endring", "Før", "Etter"], rows, flexible=(2, 3), width=width)


def diff_text(diff: Any, asked_from: str, asked_to: str, width: int | None = None) -> str:
    """The field changes between two points and the events in between."""
    before, after = getattr(diff, "from"), diff.to
    lines = [
        f"{stream_label(after.stream)}: fra {asked_from} til {asked_to}",
        f"Fra: {_state_line(before)}",
        f"Til: {_state_line(after)}",
        "",
    ]
    if diff.changes:
        lines += [f"Endringer ({len(diff.changes)}):", changes_table(diff.changes, width)]
    else:
        lines.append("Endringer: ingen")
    lines.append("")
    if diff.events:
        lines += [f"Hendelser imellom ({len(diff.events)}):", events_table(diff.events, width)]
    else:
        lines.append("Hendelser imellom: ingen")
    return "\n".join(lines)


# --- the portfolio at a moment -----------------------------------------------------------


def latest_report(fields: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The status report of the latest period among a measure's ``status_reports``."""
    reports = fields.get("status_reports")
    if isinstance(reports, Mapping):
        candidates = [r for r in reports.values() if isinstance(r, Mapping)]
    elif isinstance(reports, list):
        candidates = [r for r in reports if isinstance(r, Mapping)]
    else:
        return None
    if not candidates:
        return None
    return max(candidates, key=lambda r: str(r.get("period") or ""))


def _sort_key(text: str) -> tuple[int, int, str]:
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def measure_row(state: Any) -> list[str]:
    fields = parse_object(str(state.state_json))
    fields = fields if isinstance(fields, Mapping) else {}
    report = latest_report(fields)
    return [
        str(fields.get("measure_id") or state.stream.subject or EMPTY),
        clip(str(fields.get("name") or EMPTY), 50),
        _nb(LIFECYCLE_NB, fields.get("lifecycle")),
        segment_nb(fields.get("segment")),
        str(report.get("period") or EMPTY) if report else EMPTY,
        colour_nb(report.get("status")) if report else EMPTY,
        colour_nb(report.get("risk")) if report else EMPTY,
        str(state.version),
    ]


def proposal_row(state: Any) -> list[str]:
    fields = parse_object(str(state.state_json))
    fields = fields if isinstance(fields, Mapping) else {}
    return [
        str(fields.get("proposal_id") or state.stream.subject or EMPTY),
        clip(str(fields.get("title") or EMPTY), 50),
        _nb(STATE_NB, fields.get("state")),
        str(fields.get("category_code") or EMPTY),
        _nb(IMPLEMENTATION_NB, fields.get("implementation_status")),
        str(state.version),
    ]


MEASURE_HEADERS = [
    "Nr",
    "Tiltak",
    "Livsløp",
    "Segment",
    "Siste rapport",
    "Status",
    "Risiko",
    "Versjon",
]
PROPOSAL_HEADERS = ["Id", "Tittel", "Tilstand", "Kategori", "Gjennomføring", "Versjon"]


def portfolio_text(states: Sequence[Any], service: str, asked: str, recorded: bool) -> str:
    """The aggregates as they stood: measures (assessment) or proposals (korona)."""
    axis = "slik systemet hadde registrert det" if recorded else "slik det gjaldt"
    head = f"Porteføljen i {service} per {asked} ({axis})"
    if not states:
        return f"{head}: tom"
    ordered = sorted(states, key=lambda s: _sort_key(str(s.stream.subject)))
    count = f"{len(states)} aggregater"
    if all(str(s.stream.aggregate_type) == "Proposal" for s in ordered):
        count = f"{len(states)} forslag"
        table = wrapped_table(PROPOSAL_HEADERS, [proposal_row(s) for s in ordered], right=(5,))
    elif all(str(s.stream.aggregate_type) == "Measure" for s in ordered):
        count = f"{len(states)} tiltak"
        table = wrapped_table(MEASURE_HEADERS, [measure_row(s) for s in ordered], right=(0, 7))
    else:
        rows = [
            [
                str(s.stream.aggregate_type),
                str(s.stream.subject or s.stream.aggregate_id),
                str(s.version),
            ]
            for s in ordered
        ]
        table = wrapped_table(["Type", "Gjelder", "Versjon"], rows, right=(2,))
    return "\n".join([head, count, "", table])


# --- the call log --------------------------------------------------------------------------


def short_method(method: str) -> str:
    """``eportfolio.assessment.v1.AssessmentService/MoveMeasure`` as
    ``AssessmentService/MoveMeasure``."""
    service, _, name = method.rpartition("/")
    return f"{service.rsplit('.', 1)[-1]}/{name}" if service else method


def calls_text(records: Sequence[Any], width: int | None = None) -> str:
    """The recorded calls, one per row."""
    if not records:
        return "Kall: ingen"
    rows = [
        [
            str(r.seq),
            when_exact(str(r.at)) if r.at else EMPTY,
            str(r.service) or EMPTY,
            short_method(str(r.method)),
            who(r.actor),
            str(r.outcome) or EMPTY,
            f"{float(r.duration_ms):.1f}",
            str(r.correlation_id) or EMPTY,
        ]
        for r in records
    ]
    headers = ["Nr", "Tidspunkt", "Tjeneste", "Metode", "Hvem", "Utfall", "ms", "Korrelasjon"]
    table = fitted_table(headers, rows, flexible=(3, 4, 7), right=(0, 6), width=width)
    return "\n".join([f"{len(records)} kall", "", table])
