"""A measure and an intake receipt as text for people, in bokmål."""

from __future__ import annotations

from typing import Any

from report_views.colours import norwegian
from report_views.money import format_mnok_nb
from report_views.report_json import colour_of
from report_views.segment_names import segment_label, segment_of
from report_views.tables import render_table

LIFECYCLE_NB = {
    "submitted": "Innmeldt",
    "candidate": "Prosjektkandidat",
    "active": "I porteføljen",
    "not_included": "Ikke tatt inn",
    "completed": "Avsluttet",
    "paused": "Pauset",
    "withdrawn": "Trukket",
}
CRITERION_NB = {
    "digitalisation": "Digitalisering er en vesentlig del av tiltaket",
    "several_actors": "Betydning for flere aktører som yter helsetjenester",
    "reuse_or_national": "Stor gjenbruksverdi eller nasjonale løsninger",
}
EMPTY = "-"


def yes_no(value: bool) -> str:
    """Ja or Nei."""
    return "Ja" if value else "Nei"


def _fields(measure: Any) -> list[tuple[str, str]]:
    lifecycle = str(measure.lifecycle)
    fields = [
        ("Ansvarlig virksomhet", str(measure.responsible_agency)),
        ("Prosjekteier", str(measure.owner)),
        ("Innsatsområde", str(measure.strategic_area)),
        ("Beskrivelse", str(measure.description)),
        ("Livsløp", LIFECYCLE_NB.get(lifecycle, lifecycle)),
        ("Segment", segment_label(measure.segment)),
        ("I porteføljen fra", str(measure.in_portfolio_since)),
        ("Siste periode i porteføljen", str(measure.left_after)),
        ("Veien videre", str(measure.way_forward)),
        ("Begrunnelse for å ikke ta inn", str(measure.rejection_reason)),
        ("Kandidat for", str(measure.candidate_for or "")),
    ]
    proposed = segment_of(measure.proposed_segment)
    if proposed is not None:
        fields.append(("Foreslått segment", proposed.label))
    if measure.planned_start or measure.planned_end:
        fields.append(
            ("Planlagt", f"{measure.planned_start or '?'} til {measure.planned_end or '?'}")
        )
    if measure.planned_budget:
        fields.append(("Planlagt budsjett (MNOK)", _planned_budget(measure)))
    if measure.operating_cost_nok_per_year:
        cost = format_mnok_nb(measure.operating_cost_nok_per_year)
        fields.append(("Drift og forvaltning (MNOK/år)", cost))
    if measure.depends_on:
        fields.append(("Avhenger av", ", ".join(str(d) for d in measure.depends_on)))
    fields.append(("Versjon", str(measure.version)))
    return [(label, value) for label, value in fields if value]


def _planned_budget(measure: Any) -> str:
    return ", ".join(
        f"{line.year}: {format_mnok_nb(line.amount_nok)}"
        + (f" ({line.funder})" if line.funder else "")
        for line in measure.planned_budget
    )


def _checklist(measure: Any) -> list[str]:
    if not measure.checklist:
        return []
    rows = [
        [CRITERION_NB.get(a.criterion, str(a.criterion)), yes_no(a.answer), str(a.justification)]
        for a in measure.checklist
    ]
    return ["Egenvurdering:", render_table(["Kriterium", "Svar", "Begrunnelse"], rows), ""]


def _assessment(measure: Any) -> list[str]:
    if not measure.HasField("assessment") or not measure.assessment.criteria_version:
        return ["Vurdering: ikke vurdert"]
    assessment = measure.assessment
    verdict = "alle oppfylt" if assessment.all_met else "ikke alle oppfylt"
    rows = [
        [CRITERION_NB.get(r.criterion, str(r.criterion)), yes_no(r.met), str(r.reason)]
        for r in assessment.results
    ]
    return [
        f"Vurdering (kriterier {assessment.criteria_version}): {verdict}",
        render_table(["Kriterium", "Oppfylt", "Begrunnelse"], rows),
    ]


def _budget(report: Any) -> str:
    return (
        ", ".join(f"{line.year}: {format_mnok_nb(line.amount_nok)}" for line in report.budget)
        or EMPTY
    )


def _reports(measure: Any) -> list[str]:
    if not measure.status_reports:
        return ["Statusrapporter: ingen"]
    rows = []
    for r in measure.status_reports:
        explanation = str(r.explanation) or ("(mangler)" if r.explanation_missing else "")
        rows.append(
            [
                str(r.period),
                norwegian(colour_of(r.status)),
                norwegian(colour_of(r.risk)),
                _budget(r),
                explanation + (" (korrigert)" if r.correction else ""),
            ]
        )
    headers = ["Periode", "Status", "Risiko", "Budsjett (MNOK)", "Forklaring"]
    return ["Statusrapporter:", render_table(headers, rows)]


def measure_text(measure: Any) -> str:
    """Heading, the measure's fields, the submitter's checklist, the office's assessment
    and the status reports."""
    width = max(len(label) for label, _ in _fields(measure))
    lines = [f"Tiltak {measure.measure_id}: {measure.name}", ""]
    lines += [f"{label.ljust(width)}  {value}" for label, value in _fields(measure)]
    lines += ["", *_checklist(measure), *_assessment(measure), "", *_reports(measure)]
    return "\n".join(lines)


def receipt_text(receipt: Any) -> str:
    """The receipt intake gave a status report."""
    lines = [
        f"Kvittering: {receipt.receipt_id}",
        f"Mottatt: {receipt.received_at}",
        f"Tiltak: {receipt.subject_id}",
    ]
    if receipt.replayed:
        lines.append("(sendt før med samme idempotensnøkkel; dette er det første svaret)")
    return "\n".join(lines)
