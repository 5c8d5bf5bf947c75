"""Capture the stored form of every domain event of intake, assessment and korona.

Runs one realistic scenario per service (every event class of every aggregate, triggered
through the domain's own commands, under ``acting_as`` like the services do), maps each
event with the service application's own mapper, and writes what a store would hold (topic
and state bytes) under ``stored/<service>/<Aggregate.Event>/``. Only shapes that are not
there yet are written; an existing file is never overwritten. See README.md.

    .venv/bin/python tests/upcasting/capture.py          # after bumping a class_version
    .venv/bin/python tests/upcasting/capture.py --check  # what it would write; exit 1 if any

The scenarios take only what the code in hand offers (a command it lacks, or an argument an
older signature does not take, is left out), so the same script captured the shapes that
past commits wrote, from their trees: ``PYTHONPATH=<tree>/libs/*/src:<tree>/services/*/src
.venv/bin/python tests/upcasting/capture.py --label <commit>`` (oldest commit first).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock
from uuid import UUID

STORED = Path(__file__).resolve().parent / "stored"
ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
APPLICATIONS = {
    "intake": "intake.application:IntakeApplication",
    "assessment": "assessment.application:AssessmentApplication",
    "korona": "korona.application:KoronaApplication",
}


@dataclass(frozen=True)
class Stored:
    """One stored event: what the recorder keeps, plus the service that wrote it."""

    service: str
    topic: str
    originator_id: UUID
    originator_version: int
    state: bytes
    variant: str = ""
    """Names a second instance of an event that a stream in the tests needs (a correction)."""

    @property
    def name(self) -> str:
        """``Aggregate.Event``: the event class's qualified name, the fixture's folder."""
        return self.topic.partition(":")[2]

    @property
    def class_version(self) -> int:
        return int(json.loads(self.state).get("class_version", 1))

    @property
    def shape(self) -> tuple[str, ...]:
        return shape_of(self.state)


def shape_of(state: bytes) -> tuple[str, ...]:
    """The field names a stored state holds (what an upcaster has to care about)."""
    return tuple(sorted(json.loads(state)))


# --- fixtures on disk -----------------------------------------------------------------------


def fixture_dict(stored: Stored, captured_from: str) -> dict[str, Any]:
    return {
        "topic": stored.topic,
        "class_version": stored.class_version,
        "originator_id": str(stored.originator_id),
        "originator_version": stored.originator_version,
        "state": stored.state.decode("utf-8"),
        "captured_from": captured_from,
        "captured_on": date.today().isoformat(),
    }


def fixture_files(service: str | None = None) -> list[Path]:
    root = STORED / service if service else STORED
    return sorted(root.glob("*/v*.json") if service else root.glob("*/*/v*.json"))


def fixture_name(version: int, label: str | None = None, variant: str = "") -> str:
    """``v<N>[.<label>][+<variant>].json``."""
    return f"v{version}{f'.{label}' if label else ''}{f'+{variant}' if variant else ''}.json"


def parse_name(path: Path) -> tuple[int, str, str]:
    """Version, label and variant of a fixture file (``v1.16acd8f+correction.json``)."""
    stem, _, variant = path.name.removesuffix(".json").partition("+")
    version, _, label = stem.partition(".")
    return int(version.removeprefix("v")), label, variant


def version_of(path: Path) -> int:
    """``v2.json`` and ``v2.16acd8f.json`` are both stored at class_version 2."""
    return parse_name(path)[0]


def load_fixture(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def known_shapes(folder: Path, version: int, variant: str) -> set[tuple[str, ...]]:
    """The shapes stored of ``version`` (and ``variant``) of the event in ``folder``."""
    return {
        shape_of(load_fixture(p)["state"].encode("utf-8"))
        for p in sorted(folder.glob("v*.json"))
        if (parse_name(p)[0], parse_name(p)[2]) == (version, variant)
    }


def plan(captured: list[Stored], label: str | None) -> tuple[dict[Path, Stored], list[str]]:
    """The files to write for shapes not stored yet, and the problems that stop it.

    A version's first shape is written as ``v<N>.json``. Another shape of a version that
    has one is a change made without a new class_version: a problem, unless ``label`` says
    it is the shape an older commit wrote (capturing the past, see README.md).
    """
    writes: dict[Path, Stored] = {}
    problems: list[str] = []
    for stored in captured:
        folder = STORED / stored.service / stored.name
        version, variant = stored.class_version, stored.variant
        shapes = known_shapes(folder, version, variant) | {
            s.shape
            for p, s in writes.items()
            if (p.parent, parse_name(p)[0], s.variant) == (folder, version, variant)
        }
        if stored.shape in shapes:
            continue
        path = folder / fixture_name(version, label, variant)
        if (shapes and not label) or path.exists() or path in writes:
            problems.append(
                f"{stored.topic}: its stored shape changed, but its class_version is still "
                f"{version}. Give the event class class_version = {version + 1} and an "
                f"upcaster upcast_v{version}_v{version + 1} that turns every stored "
                f"v{version} shape into the new one, then run capture.py again "
                "(tests/upcasting/README.md)."
            )
            continue
        writes[path] = stored
    return writes, problems


# --- running the code in hand ---------------------------------------------------------------


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _parameters(func: Any) -> set[str]:
    func = getattr(func, "decorated_func", func)  # an @event method: the method it wraps
    return set(inspect.signature(func).parameters)


def new(cls: type[Any], **kwargs: Any) -> Any:
    """An aggregate, given only the arguments its constructor takes."""
    init = inspect.getattr_static(cls, "__init__")
    names = _parameters(init)
    return cls(**{k: v for k, v in kwargs.items() if k in names})


def call(obj: Any, method: str, **kwargs: Any) -> Any:
    """``obj.method(**kwargs)`` with only the arguments it takes; None if it has no such method."""
    if not hasattr(obj, method):
        return None
    names = _parameters(inspect.getattr_static(type(obj), method))
    return getattr(obj, method)(**{k: v for k, v in kwargs.items() if k in names})


@contextmanager
def clock(start: datetime) -> Iterator[None]:
    """Event timestamps from ``start``, a minute apart (so captures are reproducible)."""
    ticks = iter(start + timedelta(minutes=i) for i in range(1_000_000))
    with mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", side_effect=ticks):
        yield


def meta(agency: str, user: str, role: str, n: int, cause: int = 0) -> Any:
    from backbone.domain import EventMeta

    return EventMeta(
        agency=agency,
        user=user,
        role=role,
        correlation_id=f"0f6c1d7e-4b1a-4e0e-9c55-{n:012d}",
        causation_id=f"8d2b5c3a-90e4-4c7f-a1d6-{cause:012d}" if cause else "",
    )


Tagged = list[tuple[Any, str]]
"""Domain events, each with its variant ("" for most)."""


def collect(*aggregates: Any, variant: str = "") -> Tagged:
    """The events the aggregates triggered since last collected."""
    return [(e, variant) for a in aggregates if a is not None for e in a.collect_events()]


# --- the scenarios --------------------------------------------------------------------------

MEASURE_ID = 1000
"""The measure the scenarios follow (the first portfolio id intake gives out)."""
RECEIVED = datetime(2025, 1, 14, 9, 30, tzinfo=UTC)
PROPOSAL_RECEIVED = datetime(2020, 4, 2, 10, 15, tzinfo=UTC)
NHN = ("nhn", "ola.nordmann", "agency")
OFFICE = ("helsedir", "kari.hansen", "office")
PROPOSER = ("bergen-kommune", "ingrid.berg", "proposer")
WORKING_GROUP = ("helsedir", "per.moe", "working_group")
GROUP = "Velferdsteknologi og avstandsoppfølging"

MEASURE = {
    "name": "Digital hjemmeoppfølging",
    "description": "Oppfølging av pasienter med kroniske sykdommer hjemme, med video og målinger",
    "responsible_agency": "nhn",
    "owner": "Ola Nordmann",
    "strategic_area": "Samhandling",
    "planned_start": "2025-01",
    "planned_end": "2026-12",
    "depends_on": [412],
    "checklist": [
        {"criterion": "digitalisation", "answer": True, "justification": "Nytt fagsystem"},
        {"criterion": "several_actors", "answer": True, "justification": "Kommuner og sykehus"},
        {"criterion": "reuse_or_national", "answer": True, "justification": "Nasjonal løsning"},
    ],
    "proposed_segment": "koordinere",
    "operating_cost_nok_per_year": 1_200_000,
    "candidate_for": None,
}
BUDGET = [
    {"year": 2025, "funder": "nhn", "amount_nok": 4_500_000},
    {"year": 2026, "funder": "helsedir", "amount_nok": 3_000_000},
]
REPORT = {
    "period": "2025-06",
    "status": "yellow",
    "risk": "green",
    "budget": [{"year": 2025, "amount_nok": 2_100_000}],
    "explanation": "Integrasjonen mot kommunenes journalsystemer er forsinket to måneder",
    "historical": False,
    "progress": "Pilot i Bergen og Trondheim er i gang",
    "obstacles": "",
    "experiences": "Pasientene tar løsningen raskt i bruk",
    "dependency_notes": "Venter på nasjonal meldingsstandard (tiltak 412)",
    "reported_at": None,
}
PROPOSAL = {
    "title": "Videokonsultasjon for fastleger",
    "description": "Fastleger i kommunen trenger en sikker løsning for videokonsultasjon",
    "proposer": "Ingrid Berg",
    "organisation": "Bergen kommune",
    "organisation_type": "public",
    "contact": "ingrid.berg@bergen.kommune.no",
    "need": "Færre fysiske konsultasjoner under pandemien",
    "target_groups": ["citizens", "health_personnel"],
    "category_code": "03",
}


def intake_events() -> Tagged:
    from backbone.domain import acting_as, stable_id
    from intake.domain import model

    with acting_as(meta(*NHN, 1)):
        numbers_cls = getattr(model, "MeasureNumbers", None)
        numbers = new(numbers_cls) if numbers_cls else None
        measure_id = call(numbers, "allocate") or MEASURE_ID
        receipt_id = str(stable_id("receipt", f"nhn\x1fsubmit-{measure_id}"))
        record = new(
            model.MeasureIntake,
            measure_id=measure_id,
            receipt_id=receipt_id,
            received_at=RECEIVED,
            in_portfolio_since=None,
            budget=BUDGET,
            reported_at=None,
            **MEASURE,
        )
        receipt = new(
            model.Receipt,
            caller="nhn",
            idempotency_key=f"submit-{measure_id}",
            fingerprint="3f1d0c9a6e2b47c8a5d1e0f97b6c4a2d8e3f5a7b9c1d2e4f6a8b0c2d4e6f8a0b",
            command="SubmitMeasure",
            subject_id=str(measure_id),
            received_at=RECEIVED,
        )
    with acting_as(meta(*NHN, 2)):
        call(
            record,
            "submit_status_report",
            measure_id=measure_id,
            receipt_id=str(stable_id("receipt", "nhn\x1freport-2025-06")),
            received_at=datetime(2025, 7, 3, 14, 5, tzinfo=UTC),
            **REPORT,
        )
    with acting_as(meta(*PROPOSER, 3)):
        proposal_receipt = str(stable_id("receipt", "bergen-kommune\x1fvideo-1"))
        proposal = new(
            model.ProposalIntake,
            proposal_id=str(stable_id("proposal", proposal_receipt)),
            receipt_id=proposal_receipt,
            received_at=PROPOSAL_RECEIVED,
            **PROPOSAL,
        )
    return collect(numbers, record, receipt, proposal)


def assessment_events() -> Tagged:
    from assessment.domain import measure as m
    from backbone.domain import acting_as

    segments = optional_module("assessment.domain.segments")
    criteria = optional_module("assessment.domain.criteria")
    promoted = optional_module("assessment.domain.promoted")
    registered = {
        "receipt_id": "5b0e3f4c-7a1d-5c2e-9f8b-6a4d2c1e0b9f",
        "planned_budget": BUDGET,
        "registered_at": RECEIVED,
    }
    report = {k: v for k, v in REPORT.items() if k not in NOTES}
    notes = {k: str(REPORT[k]) for k in NOTES}

    with acting_as(meta(*NHN, 1, cause=1)):  # from intake's MeasureSubmitted
        measure = new(
            m.Measure, measure_id=MEASURE_ID, in_portfolio_since=None, **MEASURE, **registered
        )
    if criteria and segments:
        with acting_as(meta(*OFFICE, 4)):
            call(
                measure,
                "assess",
                criteria_version=criteria.CURRENT_CRITERIA,
                results=[
                    {"criterion": c.key, "met": True, "reason": f"Oppfylt: {c.text}"}
                    for c in criteria.CRITERIA_SETS[criteria.CURRENT_CRITERIA]
                ],
            )
        with acting_as(meta(*OFFICE, 5)):
            call(
                measure,
                "include",
                segment=segments.Segment.KOORDINERE,
                period="2025-01",
                reason="Oppfyller kriteriene; avhenger av andre nasjonale tiltak",
                decision="Porteføljestyret sak 04/25",
            )
    with acting_as(meta(*NHN, 2, cause=2)):  # from intake's StatusReportSubmitted
        call(
            measure,
            "record_status_report",
            receipt_id="2c7e9a1b-4d3f-5e6a-8b0c-1d2e3f4a5b6c",
            notes=notes,
            **report,
        )
    events = collect(measure)
    with acting_as(meta(*NHN, 3, cause=3)):  # the agency corrects its June report
        call(
            measure,
            "record_status_report",
            receipt_id="7f3a2b1c-0d9e-5f8a-b7c6-d5e4f3a2b1c0",
            notes=notes,
            **{
                **report,
                "status": "red",
                "explanation": "Integrasjonen er forsinket fire måneder; ny plan i august",
            },
        )
    events += collect(measure, variant="correction")
    with acting_as(meta(*NHN, 6, cause=6)):  # red without explanation: refused since 7ed00fe
        call(
            measure,
            "record_status_report",
            period="2025-09",
            status="red",
            risk="red",
            budget=[],
            explanation="",
            receipt_id="9e8d7c6b-5a4f-5e3d-8c2b-1a0f9e8d7c6b",
        )
    with acting_as(meta(*OFFICE, 7)):
        call(measure, "remind", period="2025-12", deadline="2026-01-15", overdue=False)
    if segments:
        with acting_as(meta(*OFFICE, 8)):
            call(
                measure,
                "move",
                to=segments.Segment.SAMSTYRE,
                reason="Tiltaket er blitt kritisk for flere andre tiltak",
                decision="Porteføljestyret sak 11/25",
                period="2026-01",
            )
    with acting_as(meta(*OFFICE, 9)):
        call(
            measure,
            "complete",
            period="2026-06",
            way_forward="Videreføres i drift hos NHN",
            reason="Løsningen er innført i alle helseregioner",
        )

    rejected = {"measure_id": MEASURE_ID + 1, "name": "Felles timebok", "in_portfolio_since": None}
    with acting_as(meta(*NHN, 10, cause=10)):
        other = new(m.Measure, **{**MEASURE, **registered, **rejected})
    with acting_as(meta(*OFFICE, 11)):
        call(other, "reject", reason="Dekkes av et tiltak som er i porteføljen allerede")

    historical = {"measure_id": 412, "name": "Nasjonal meldingsstandard"}
    with acting_as(meta(*OFFICE, 12)):  # from a historical table
        old = new(
            m.Measure, **{**MEASURE, **registered, **historical}, in_portfolio_since="2020-01"
        )
        call(old, "pause", period="2026-03", reason="Venter på finansiering")
        call(old, "withdraw", period="2026-09", reason="Finansieringen kom ikke")

    numbers = None
    if promoted:
        with acting_as(meta("system", "system", "system", 13, cause=13)):
            numbers = new(promoted.PromotedNumbers)
            call(numbers, "number_for", proposal_id="b7a4c1e2-3d5f-5a6b-8c9d-0e1f2a3b4c5d")
    return events + collect(measure, other, old, numbers)


NOTES = ("progress", "obstacles", "experiences", "dependency_notes")


def korona_events() -> Tagged:
    from backbone.domain import acting_as, stable_id
    from korona.domain import proposal as p

    events: Tagged = []
    envelope_module = optional_module("korona.domain.envelope")
    known_module = optional_module("korona.domain.known_measure")
    receipt_id = str(stable_id("receipt", "bergen-kommune\x1fvideo-1"))
    proposal_id = str(stable_id("proposal", receipt_id))

    with acting_as(meta(*PROPOSER, 3, cause=3)):  # from intake's ProposalSubmitted
        proposal = new(
            p.Proposal,
            proposal_id=proposal_id,
            received_at=PROPOSAL_RECEIVED,
            receipt_id=receipt_id,
            category_name="Video",  # category 03
            submitted_by="bergen-kommune/ingrid.berg",
            source="intake",
            **PROPOSAL,
        )
        call(
            proposal,
            "note_overlaps",
            matches=[
                {
                    "key": "measure:1000",
                    "kind": "measure",
                    "title": "Digital hjemmeoppfølging",
                    "score": 0.4127,
                }
            ],
        )
        call(
            proposal,
            "give_feedback",
            kind="received",
            text="Takk for forslaget «Videokonsultasjon for fastleger». Det er registrert.",
            sent_at=PROPOSAL_RECEIVED,
        )
    at = datetime(2020, 4, 28, 12, 0, tzinfo=UTC)
    with acting_as(meta(*OFFICE, 20)):
        call(
            proposal,
            "categorise",
            code="02",
            name="Avstandsoppfølging",
            reason="Gjelder oppfølging av pasienter hjemme, ikke bare video",
        )
        call(proposal, "route", working_group=GROUP, reason="Kategoriens arbeidsgruppe")
    if hasattr(p, "Recommendation"):
        answers = [
            {"criterion": c.value, "met": True, "reason": "Vurdert av arbeidsgruppen"}
            for c in p.Criterion
        ]
        with acting_as(meta(*WORKING_GROUP, 21)):
            call(
                proposal,
                "assess",
                criteria=answers,
                recommendation=p.Recommendation.PRIORITISE,
                note="Anbefales prioritert",
                working_group=GROUP,
                at=at,
            )
        events = collect(proposal)
        with acting_as(meta(*OFFICE, 22)):
            call(
                proposal,
                "decide",
                decision=p.Decision.DEFERRED,
                reason="Venter på avklaring av finansiering",
                reference="PS 28.04.2020",
                decided_at=at,
            )
            call(proposal, "reopen", reason="Finansieringen er avklart")
        events += collect(proposal, variant="deferred")
        with acting_as(meta(*WORKING_GROUP, 23)):
            call(
                proposal,
                "assess",
                criteria=answers,
                recommendation=p.Recommendation.PRIORITISE,
                note="",
                working_group=GROUP,
                at=at + timedelta(days=7),
            )
        with acting_as(meta(*OFFICE, 24)):
            call(
                proposal,
                "decide",
                decision=p.Decision.PRIORITISED,
                reason="Alle fire kriterier er oppfylt",
                reference="PS 05.05.2020",
                decided_at=at + timedelta(days=7),
            )
            call(
                proposal,
                "set_implementation_status",
                status=p.ImplementationStatus.BEING_INTRODUCED,
                responsible_agency="Bergen kommune",
                note="Innføres i alle legekontor",
                at=at + timedelta(days=30),
            )
            call(
                proposal,
                "record_funding",
                change="allocate",
                amount_nok=2_000_000,
                reason="Prioritert av styret 05.05.2020",
                line={"allocated": 2_000_000, "committed": 0, "paid": 0},
            )
            call(proposal, "promote", note="Videreføres i den nasjonale porteføljen")

    envelope = known = None
    if envelope_module:
        with acting_as(meta("system", "system", "system", 25)):
            envelope = new(
                envelope_module.FundingEnvelope,
                envelope=envelope_module.KORONA_2020,
                name=envelope_module.KORONA_2020_NAME,
                total_nok=envelope_module.KORONA_2020_TOTAL_NOK,
            )
        with acting_as(meta(*OFFICE, 24)):
            call(
                envelope,
                "change",
                change=envelope_module.Change.ALLOCATE,
                proposal_id=proposal_id,
                amount_nok=2_000_000,
                reason="Prioritert av styret 05.05.2020",
                key="fund-video-1",
            )
    if known_module:
        with acting_as(meta(*NHN, 1, cause=26)):  # from assessment's MeasureRegistered
            known = new(
                known_module.KnownMeasure,
                measure_id=MEASURE_ID,
                name=MEASURE["name"],
                description=MEASURE["description"],
                responsible_agency=MEASURE["responsible_agency"],
            )
    return events + collect(proposal, envelope, known)


CLOCKS = {
    "intake": datetime(2025, 1, 14, 9, 31, tzinfo=UTC),
    "assessment": datetime(2025, 1, 14, 9, 32, tzinfo=UTC),
    "korona": datetime(2020, 4, 2, 10, 16, tzinfo=UTC),
}
"""When each scenario's first event is recorded (the events follow a minute apart)."""

SCENARIOS: dict[str, Callable[[], Tagged]] = {
    "intake": intake_events,
    "assessment": assessment_events,
    "korona": korona_events,
}


def application(service: str) -> Any | None:
    """The service's application (its mapper is what writes the store); None if it has none."""
    module_name, _, class_name = APPLICATIONS[service].partition(":")
    module = optional_module(module_name)
    if module is None or not hasattr(module, class_name):
        return None
    return getattr(module, class_name)(env=dict(ENV))


def capture(services: tuple[str, ...] = tuple(SCENARIOS)) -> list[Stored]:
    """The stored form of the scenarios' events, as the code in hand writes them."""
    captured: list[Stored] = []
    for service in services:
        app = application(service)
        if app is None:
            continue
        try:
            with clock(CLOCKS[service]):
                events = SCENARIOS[service]()
            for event, variant in events:
                s = app.mapper.to_stored_event(event)
                captured.append(
                    Stored(
                        service, s.topic, s.originator_id, s.originator_version, s.state, variant
                    )
                )
        finally:
            app.close()
    return captured


def _head() -> str:
    """The commit the working tree is on (the code captured may be ahead of it)."""
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=STORED.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "an unknown commit"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--label", help="shapes a past commit wrote: v<N>.<label>.json")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if needed")
    parser.add_argument("--service", action="append", choices=sorted(SCENARIOS))
    args = parser.parse_args(argv)
    services = tuple(args.service or SCENARIOS)
    writes, problems = plan(capture(services), args.label)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    for path, stored in writes.items():
        shown = path.relative_to(STORED.parent)
        if args.check:
            print(f"missing: {shown}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:  # "x": never overwrite a stored version
            json.dump(
                fixture_dict(stored, args.label or f"working tree at {_head()}"),
                out,
                indent=2,
                ensure_ascii=False,
            )
            out.write("\n")
        print(f"wrote {shown}")
    return 1 if problems or (args.check and writes) else 0


if __name__ == "__main__":
    sys.exit(main())
