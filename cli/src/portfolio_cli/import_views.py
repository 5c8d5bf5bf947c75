"""How the segment, change and candidate imports went: JSON data, bokmål tables, and
``FILE:LINE: reason`` lines for what failed."""

from __future__ import annotations

from typing import Any

from portfolio_cli.candidate_import import CandidateImportOutcome
from portfolio_cli.change_import import Action, Change, ChangeImportOutcome
from portfolio_cli.name_matching import Method, Scored
from portfolio_cli.segment_import import Placed, SegmentImportOutcome
from portfolio_cli.tsv import RowError
from report_views.tables import clip, render_table

NAME_WIDTH = 45
METHOD_NB = {Method.NAME: "navn", Method.AGENCY_AND_AREA: "virksomhet og innsatsområde"}
PLACED_NB = {Placed.MOVED: "flyttet", Placed.ALREADY: "var der allerede", Placed.FAILED: "feilet"}
CHANGE_NB = {Change.ENTERED: "inn", Change.EXITED: "ut"}
ACTION_NB = {
    Action.SUBMITTED: "lagt inn",
    Action.PRESENT: "fantes allerede",
    Action.PAUSED: "pauset",
    Action.COMPLETED: "avsluttet",
    Action.ALREADY_LEFT: "hadde gått ut allerede",
    Action.FAILED: "feilet",
}


def score(value: float) -> float:
    """A similarity as shown: three decimals."""
    return round(value, 3)


def errors_json(errors: list[RowError]) -> list[dict[str, Any]]:
    """Rows that could not be read."""
    return [{"line": e.line, "column": e.column, "reason": e.reason} for e in errors]


def failure_lines(outcome: Any, file: str) -> list[str]:
    """Every bad row and failed call of an import outcome, ``FILE:LINE: reason``."""
    lines = [e.render(file) for e in outcome.errors]
    if isinstance(outcome, SegmentImportOutcome):
        lines += [
            f"{file}:{p.row.line}: {p.error}"
            for p in outcome.placements
            if p.outcome is Placed.FAILED
        ]
    elif isinstance(outcome, ChangeImportOutcome):
        lines += [f"{file}:{r.row.line}: {r.error}" for r in outcome.results if r.error]
    elif isinstance(outcome, CandidateImportOutcome):
        lines += [f"{file}:{f.row.line}: {f.error}" for f in outcome.failures]
    if outcome.problem:
        lines.append(f"error: {outcome.problem}")
    return lines


# --- segments ---------------------------------------------------------------------------


def _taken_by(outcome: SegmentImportOutcome) -> dict[int, int]:
    return {m.best.candidate.key: m.query.line for m in outcome.matching.matched}


def _closest_json(closest: tuple[Scored, ...], taken: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "measure_id": s.candidate.key,
            "name": s.candidate.name,
            "responsible_agency": s.candidate.agency,
            "score": score(s.similarity),
            "matched_to_line": taken.get(s.candidate.key),
        }
        for s in closest
    ]


def segments_json(outcome: SegmentImportOutcome) -> dict[str, Any]:
    """``{"period", "matched", "unmatched", "placed", "failed", "errors"}``."""
    placements = {p.row.line: p for p in outcome.placements}
    segments = {r.line: r.segment for r in outcome.rows}
    taken = _taken_by(outcome)
    matched = []
    for m in outcome.matching.matched:
        placement = placements.get(m.query.line)
        matched.append(
            {
                "line": m.query.line,
                "name": m.query.name,
                "measure_id": m.best.candidate.key,
                "measure_name": m.best.candidate.name,
                "segment": segments[m.query.line].value,
                "score": score(m.best.similarity),
                "method": m.method.value,
                "outcome": placement.outcome.value if placement else None,
                "error": (placement.error or None) if placement else None,
            }
        )
    return {
        "period": outcome.period,
        "matched": matched,
        "unmatched": [
            {
                "line": n.query.line,
                "name": n.query.name,
                "reason": n.reason,
                "closest": _closest_json(n.closest, taken),
            }
            for n in outcome.matching.unmatched
        ],
        "placed": outcome.placed,
        "failed": outcome.failed,
        "errors": errors_json(outcome.errors),
    }


def _closest_text(closest: tuple[Scored, ...], taken: dict[int, int]) -> str:
    parts = []
    for s in closest:
        note = f", koblet til linje {taken[s.candidate.key]}" if s.candidate.key in taken else ""
        name = clip(s.candidate.name, 40)
        parts.append(f"{s.candidate.key} {name} ({s.similarity:.2f}{note})")
    return "; ".join(parts) or "-"


def segments_text(outcome: SegmentImportOutcome) -> str:
    """Which row went to which measure and segment, and the rows without a match."""
    placements = {p.row.line: p for p in outcome.placements}
    segments = {r.line: r.segment for r in outcome.rows}
    matched = []
    for m in outcome.matching.matched:
        placement = placements.get(m.query.line)
        matched.append(
            [
                str(m.query.line),
                clip(m.query.name, NAME_WIDTH),
                str(m.best.candidate.key),
                clip(m.best.candidate.name, NAME_WIDTH),
                segments[m.query.line].label,
                f"{m.best.similarity:.2f}",
                METHOD_NB[m.method],
                PLACED_NB[placement.outcome] if placement else "-",
            ]
        )
    taken = _taken_by(outcome)
    unmatched = [
        [str(n.query.line), clip(n.query.name, NAME_WIDTH), _closest_text(n.closest, taken)]
        for n in outcome.matching.unmatched
    ]
    headers = ["Linje", "Navn i fila", "Nr", "Tiltak", "Segment", "Likhet", "Koblet på", "Utfall"]
    parts = [
        f"Segmentplassering, portefølje {outcome.period}",
        "",
        f"Koblet til tiltak ({len(matched)}):",
        render_table(headers, matched, right=(0, 2, 5)),
    ]
    if unmatched:
        parts += [
            "",
            f"Ikke koblet ({len(unmatched)}):",
            render_table(
                ["Linje", "Navn i fila", "Nærmeste tiltak (likhet)"], unmatched, right=(0,)
            ),
        ]
    parts += ["", f"Plassert: {outcome.placed}, feilet: {outcome.failed + len(outcome.errors)}"]
    return "\n".join(parts)


# --- changes ----------------------------------------------------------------------------


def changes_json(outcome: ChangeImportOutcome) -> dict[str, Any]:
    """``{"results": [{"line", "measure_id", "name", "change", "action", "error"}], ...}``."""
    return {
        "results": [
            {
                "line": r.row.line,
                "measure_id": r.row.measure_id,
                "name": r.row.name,
                "responsible_agency": r.row.responsible_agency,
                "change": r.row.change.value,
                "way_forward": r.row.way_forward or None,
                "action": r.action.value,
                "error": r.error or None,
            }
            for r in outcome.results
        ],
        "failed": outcome.failed,
        "errors": errors_json(outcome.errors),
    }


def changes_text(outcome: ChangeImportOutcome) -> str:
    """One line per row: the change and what was done about it."""
    rows = [
        [
            str(r.row.line),
            str(r.row.measure_id),
            clip(r.row.name, NAME_WIDTH),
            r.row.responsible_agency,
            CHANGE_NB[r.row.change],
            r.row.way_forward or "-",
            ACTION_NB[r.action],
        ]
        for r in outcome.results
    ]
    headers = ["Linje", "Nr", "Tiltak", "Ansvarlig virksomhet", "Endring", "Veien videre", "Utført"]
    return "\n".join(
        [
            "Endringer i porteføljen",
            "",
            render_table(headers, rows, right=(0, 1)),
            "",
            f"Feilet: {outcome.failed}",
        ]
    )


# --- candidates -------------------------------------------------------------------------


def candidates_json(outcome: CandidateImportOutcome) -> dict[str, Any]:
    """``{"year", "submitted": [...], "failed": [...], "errors": [...]}``."""
    return {
        "year": outcome.year,
        "submitted": [
            {
                "line": s.row.line,
                "name": s.row.name,
                "responsible_agency": s.row.responsible_agency,
                "measure_id": s.measure_id,
                "receipt_id": s.receipt_id,
                "replayed": s.replayed,
            }
            for s in outcome.submitted
        ],
        "failed": [
            {"line": f.row.line, "name": f.row.name, "error": f.error} for f in outcome.failures
        ],
        "errors": errors_json(outcome.errors),
    }


def candidates_text(outcome: CandidateImportOutcome) -> str:
    """One line per submitted candidate with the id intake gave it."""
    rows = [
        [
            str(s.row.line),
            str(s.measure_id) if s.measure_id is not None else "-",
            clip(s.row.name, NAME_WIDTH),
            s.row.responsible_agency,
            s.row.strategic_area or "-",
            "sendt før" if s.replayed else "ny",
        ]
        for s in outcome.submitted
    ]
    headers = ["Linje", "Nr", "Kandidat", "Ansvarlig virksomhet", "Innsatsområde", "Innsending"]
    return "\n".join(
        [
            f"Prosjektkandidater for {outcome.year}",
            "",
            render_table(headers, rows, right=(0, 1)),
            "",
            f"Sendt inn: {len(outcome.submitted)}, feilet: {outcome.failed}",
        ]
    )
