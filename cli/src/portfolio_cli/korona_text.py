"""KoronaService's answers as text for people, in bokmål; times in Norwegian time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portfolio_cli.korona_import import NetListImportOutcome, ProposalImportOutcome
from portfolio_cli.korona_values import (
    criterion_name,
    decision_name,
    implementation_name,
    recommendation_name,
    state_name,
    to_oslo,
)
from portfolio_cli.measure_text import yes_no
from report_views.money import format_mnok_nb
from report_views.render.view import IMPLEMENTATION_NB
from report_views.tables import clip, render_table

TITLE_WIDTH = 50
EMPTY = "-"
STATE_NB = {
    "registered": "Registrert",
    "in_assessment": "Til vurdering",
    "assessed": "Vurdert",
    "prioritised": "Prioritert",
    "not_prioritised": "Ikke prioritert",
    "deferred": "Utsatt",
}
CRITERION_NB = {
    "supports_covid_work": "Støtter covid-19-arbeidet direkte",
    "benefit_in_2020": "Gjennomføres og gir nytte i 2020",
    "feasible": "Høy gjennomførbarhet",
    "no_overlap": "Overlapper ikke med tiltak i gang eller i drift",
}
RECOMMENDATION_NB = {
    "prioritise": "Prioriter",
    "not_prioritise": "Ikke prioriter",
    "defer": "Utsett",
}
DECISION_NB = {
    "prioritised": "Prioritert",
    "not_prioritised": "Ikke prioritert",
    "deferred": "Utsatt",
}
FEEDBACK_NB = {
    "received": "Mottatt",
    "prioritised": "Prioritert",
    "not_prioritised": "Ikke prioritert",
    "deferred": "Utsatt",
    "reopened": "Tatt opp igjen",
    "covered": "Behovet er dekket",
    "message": "Melding",
}
TARGET_GROUP_NB = {
    "citizens": "innbyggere",
    "health_personnel": "helsepersonell",
    "authorities": "myndigheter",
}
ORGANISATION_TYPE_NB = {"public": "offentlig", "private": "privat"}
KIND_NB = {"proposal": "forslag", "measure": "tiltak", "netlist": "nettoliste"}


def _nb(names: dict[str, str], name: str | None) -> str:
    if name is None:
        return EMPTY
    return names.get(name, name)


def state_nb(value: int) -> str:
    """A proposal state in bokmål."""
    return _nb(STATE_NB, state_name(value))


def implementation_nb(value: int) -> str:
    """An implementation status in bokmål."""
    return _nb(IMPLEMENTATION_NB, implementation_name(value))


def when(text: str) -> str:
    """An RFC 3339 time as ``2020-04-02 10:15`` in Norwegian time; other text unchanged."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text or EMPTY
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{to_oslo(moment):%Y-%m-%d %H:%M}"


def mnok(nok: int) -> str:
    """Million NOK the Norwegian way (``1 571``, ``2,5``)."""
    return format_mnok_nb(int(nok))


def _category(code: str, name: str) -> str:
    return " ".join(part for part in (code, name) if part) or EMPTY


def _organisation(proposal: Any) -> str:
    kind = ORGANISATION_TYPE_NB.get(
        str(proposal.organisation_type), str(proposal.organisation_type)
    )
    organisation = str(proposal.organisation)
    return f"{organisation} ({kind})" if organisation and kind else organisation or kind


def _fields(proposal: Any) -> list[tuple[str, str]]:
    groups = ", ".join(TARGET_GROUP_NB.get(g, g) for g in proposal.target_groups)
    fields = [
        ("Forslagsstiller", str(proposal.proposer)),
        ("Virksomhet", _organisation(proposal)),
        ("Kontakt", str(proposal.contact)),
        ("Mottatt", when(str(proposal.received_at)) if proposal.received_at else ""),
        ("Kategori", _category(str(proposal.category_code), str(proposal.category_name))),
        ("Målgrupper", groups),
        ("Tilstand", state_nb(proposal.state)),
        ("Arbeidsgruppe", str(proposal.working_group)),
        ("Behov", str(proposal.need)),
        ("Beskrivelse", str(proposal.description)),
        ("Overført til nasjonal portefølje", "Ja" if proposal.promoted else ""),
        ("Versjon", str(proposal.version)),
    ]
    return [(label, value) for label, value in fields if value]


def _similar_rows(matches: Any) -> list[list[str]]:
    return [
        [
            f"{s.score:.2f}",
            KIND_NB.get(str(s.kind), str(s.kind)),
            str(s.key),
            clip(str(s.title), TITLE_WIDTH),
        ]
        for s in matches
    ]


SIMILAR_HEADERS = ["Likhet", "Type", "Nøkkel", "Tittel"]


def _overlaps(proposal: Any) -> list[str]:
    if not proposal.overlaps:
        return []
    table = render_table(SIMILAR_HEADERS, _similar_rows(proposal.overlaps), right=(0,))
    return ["", "Likner ved mottak:", table]


def _assessment(proposal: Any) -> list[str]:
    if not proposal.HasField("assessment"):
        return ["", "Vurdering: ikke vurdert"]
    assessment = proposal.assessment
    rows = [
        [
            _nb(CRITERION_NB, criterion_name(a.criterion)),
            yes_no(a.met),
            str(a.reason),
        ]
        for a in assessment.criteria
    ]
    by = ", ".join(
        part
        for part in (
            str(assessment.working_group),
            str(assessment.assessed_by),
            when(str(assessment.assessed_at)) if assessment.assessed_at else "",
        )
        if part
    )
    recommendation = _nb(RECOMMENDATION_NB, recommendation_name(assessment.recommendation))
    lines = ["", f"Vurdering{f' ({by})' if by else ''}:"]
    lines.append(render_table(["Kriterium", "Oppfylt", "Begrunnelse"], rows))
    lines.append(f"Anbefaling: {recommendation}")
    if assessment.note:
        lines.append(f"Merknad: {assessment.note}")
    return lines


def _decision(proposal: Any) -> list[str]:
    if not proposal.HasField("decision"):
        return []
    decision = proposal.decision
    details = [
        part
        for part in (
            str(decision.reference),
            when(str(decision.decided_at)) if decision.decided_at else "",
        )
        if part
    ]
    head = _nb(DECISION_NB, decision_name(decision.decision))
    lines = ["", f"Beslutning: {head}" + (f" ({', '.join(details)})" if details else "")]
    if decision.reason:
        lines.append(f"Begrunnelse: {decision.reason}")
    return lines


def _feedback(proposal: Any) -> list[str]:
    if not proposal.feedback:
        return ["", "Tilbakemeldinger: ingen"]
    rows = [
        [when(str(f.sent_at)) if f.sent_at else EMPTY, FEEDBACK_NB.get(f.kind, f.kind), str(f.text)]
        for f in proposal.feedback
    ]
    return ["", "Tilbakemeldinger:", render_table(["Sendt", "Mal", "Tekst"], rows)]


def _net_list(proposal: Any) -> list[str]:
    lines = []
    if proposal.HasField("net_list"):
        entry = proposal.net_list
        status = implementation_nb(entry.implementation_status)
        since = f" siden {when(str(entry.status_since))}" if entry.status_since else ""
        agency = f", {entry.responsible_agency}" if entry.responsible_agency else ""
        lines += ["", f"Nettolisten: {status}{since}{agency}"]
        if entry.note:
            lines.append(f"Merknad: {entry.note}")
    funding = proposal.funding
    if funding.allocated_nok or funding.committed_nok or funding.paid_nok:
        lines.append(
            f"Midler (MNOK): tildelt {mnok(funding.allocated_nok)},"
            f" forpliktet {mnok(funding.committed_nok)}, utbetalt {mnok(funding.paid_nok)}"
        )
    return lines


def proposal_text(proposal: Any) -> str:
    """Heading, the proposal's fields, what it was like, the assessment, the decision, the
    feedback and its place on the net list."""
    fields = _fields(proposal)
    width = max((len(label) for label, _ in fields), default=0)
    lines = [f"Forslag {proposal.proposal_id}: {proposal.title}", ""]
    lines += [f"{label.ljust(width)}  {value}" for label, value in fields]
    lines += _overlaps(proposal)
    lines += _assessment(proposal)
    lines += _decision(proposal)
    lines += _feedback(proposal)
    lines += _net_list(proposal)
    return "\n".join(lines)


def proposals_text(summaries: list[Any], total: int, heading: str = "Forslag") -> str:
    """One line per proposal: id, received, category, state, working group, title."""
    rows = [
        [
            str(s.proposal_id),
            when(str(s.received_at)) if s.received_at else EMPTY,
            str(s.category_code) or EMPTY,
            state_nb(s.state),
            str(s.working_group) or EMPTY,
            clip(str(s.organisation), 30) or EMPTY,
            clip(str(s.title), TITLE_WIDTH),
            str(s.overlaps),
        ]
        for s in summaries
    ]
    headers = [
        "Id",
        "Mottatt",
        "Kategori",
        "Tilstand",
        "Arbeidsgruppe",
        "Virksomhet",
        "Tittel",
        "Likner",
    ]
    return "\n".join([f"{heading}: {total}", "", render_table(headers, rows, right=(7,))])


def categories_text(answer: Any) -> str:
    """The categories and the working group each is routed to."""
    rows = [[str(c.code), str(c.name), str(c.working_group) or EMPTY] for c in answer.categories]
    return "\n".join(
        [
            f"Kategorier: {len(rows)}",
            "",
            render_table(["Kode", "Kategori", "Arbeidsgruppe"], rows),
        ]
    )


def similar_text(text: str, answer: Any) -> str:
    """What is like ``text``: earlier proposals, portfolio measures, net-list measures."""
    if not answer.matches:
        return f"Ingenting likner «{text}»"
    table = render_table(SIMILAR_HEADERS, _similar_rows(answer.matches), right=(0,))
    return "\n".join([f"Likner «{text}»:", "", table])


def bulk_text(result: Any, verb: str) -> str:
    """``<verb>: n`` and the ids, then those that already were so."""
    changed = [str(i) for i in result.changed]
    unchanged = [str(i) for i in result.unchanged]
    lines = [f"{verb}: {len(changed)}", *(f"  {i}" for i in changed)]
    if unchanged:
        lines += [f"Var det allerede (uendret): {len(unchanged)}", *(f"  {i}" for i in unchanged)]
    return "\n".join(lines)


def netlist_text(net_list: Any) -> str:
    """The net list: each measure, who is responsible, its status and funding."""
    rows = [
        [
            str(m.proposal_id),
            clip(str(m.title), TITLE_WIDTH),
            str(m.responsible_agency) or EMPTY,
            implementation_nb(m.implementation_status),
            mnok(m.funding.allocated_nok),
            mnok(m.funding.committed_nok),
            mnok(m.funding.paid_nok),
            "Ja" if m.promoted else "",
        ]
        for m in net_list.measures
    ]
    headers = [
        "Id",
        "Tiltak",
        "Ansvarlig virksomhet",
        "Status",
        "Tildelt",
        "Forpliktet",
        "Utbetalt",
        "Overført",
    ]
    counts: dict[str, int] = {}
    for m in net_list.measures:
        label = implementation_nb(m.implementation_status)
        counts[label] = counts.get(label, 0) + 1
    spread = ", ".join(f"{label.lower()} {n}" for label, n in counts.items())
    return "\n".join(
        [
            f"Nettolisten: {len(rows)} tiltak" + (f" ({spread})" if spread else ""),
            "",
            render_table(headers, rows, right=(4, 5, 6)),
            "",
            "Beløp i MNOK.",
        ]
    )


def envelope_text(envelope: Any, idempotency_key: str | None = None) -> str:
    """The envelope's totals and each measure's share; after a change, its key."""
    rows = [
        [
            str(line.proposal_id),
            clip(str(line.title), TITLE_WIDTH),
            mnok(line.funding.allocated_nok),
            mnok(line.funding.committed_nok),
            mnok(line.funding.paid_nok),
        ]
        for line in envelope.lines
    ]
    lines = [
        f"{envelope.name or 'Rammen'}: {mnok(envelope.total_nok)} MNOK",
        f"Tildelt {mnok(envelope.allocated_nok)}, forpliktet {mnok(envelope.committed_nok)},"
        f" utbetalt {mnok(envelope.paid_nok)}, igjen {mnok(envelope.left_nok)} (MNOK)",
    ]
    if rows:
        headers = ["Id", "Tiltak", "Tildelt", "Forpliktet", "Utbetalt"]
        lines += ["", render_table(headers, rows, right=(2, 3, 4))]
    if idempotency_key is not None:
        lines += [
            "",
            f"Nøkkel: {idempotency_key} (send igjen med --key {idempotency_key}"
            " om du er usikker på om endringen kom fram)",
        ]
    return "\n".join(lines)


def proposal_import_text(outcome: ProposalImportOutcome) -> str:
    """The import in figures; the refused rows are printed on stderr, each on its line."""
    lines = [
        f"Forslag fra {outcome.file}",
        "",
        f"Rader: {outcome.row_count}",
        f"Tatt inn: {len(outcome.taken)} (nye {outcome.new}, sendt før {outcome.replayed})",
        f"Avvist: {outcome.refused}",
    ]
    if outcome.categories_from:
        lines.append(f"Kategorikoder sjekket mot: {outcome.categories_from}")
    if outcome.waited and outcome.problem is None:
        lines.append("Korona har dem alle, og rapporten teller dem.")
    lines += ["", outcome.summary()]
    return "\n".join(lines)


def netlist_import_text(outcome: NetListImportOutcome) -> str:
    """One line per measure on the net list: new or there already."""
    rows = [
        [
            str(a.row.line),
            clip(a.row.title, TITLE_WIDTH),
            IMPLEMENTATION_NB.get(a.row.status, a.row.status),
            {True: "ny", False: "fantes", None: EMPTY}[a.new],
            a.proposal_id or EMPTY,
        ]
        for a in outcome.added
    ]
    headers = ["Linje", "Tiltak", "Status i fila", "På lista", "Id"]
    return "\n".join(
        [
            f"Nettolisten fra {outcome.file}",
            "",
            render_table(headers, rows, right=(0,)),
            "",
            outcome.summary(),
        ]
    )
