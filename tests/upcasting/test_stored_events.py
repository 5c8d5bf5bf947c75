"""Stored events of every past version still read (schema evolution; see README.md).

The fixtures under ``stored/`` are what the services' stores hold: topic and state bytes as
each commit's code wrote them. They must decode into today's event classes with today's
fields, be publishable under today's contracts, and replay into the right aggregates.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import json
import pkgutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from assessment.adapters import published as assessment_published
from assessment.domain import Lifecycle, Measure, Segment
from assessment.domain.measure import UNNAMED_MEASURE
from backbone.domain import EventMeta, acting_as
from backbone.errors import PermissionDeniedError
from contracts import payload_model
from intake.adapters import published as intake_published
from korona.adapters import published as korona_published
from korona.domain.proposal import ImplementationStatus, State


def _load_capture() -> ModuleType:
    # Tests import with --import-mode=importlib: load the generator beside this file by path.
    spec = importlib.util.spec_from_file_location(
        "upcasting_capture", Path(__file__).with_name("capture.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


capture = _load_capture()
FIXTURES: list[Path] = capture.fixture_files()
DOMAIN_PACKAGES = {
    "intake": "intake.domain",
    "assessment": "assessment.domain",
    "korona": "korona.domain",
}
RUN_CAPTURE = "run `.venv/bin/python tests/upcasting/capture.py` (see tests/upcasting/README.md)"
MEASURE_ID = 1000
PROPOSER = EventMeta(agency="bergen-kommune", user="ingrid.berg", role="proposer")


def _service(path: Path) -> str:
    return path.relative_to(capture.STORED).parts[0]


def _id(path: Path) -> str:
    return str(path.relative_to(capture.STORED))


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, Any]]:
    """Each service's application on the in-memory (POPO) store."""
    built = {service: capture.application(service) for service in capture.APPLICATIONS}
    yield built
    for app in built.values():
        app.close()


def _stored(path: Path, originator_id: UUID | None = None, version: int = 0) -> StoredEvent:
    fixture = capture.load_fixture(path)
    return StoredEvent(
        originator_id=originator_id or UUID(fixture["originator_id"]),
        originator_version=version or fixture["originator_version"],
        topic=fixture["topic"],
        state=fixture["state"].encode("utf-8"),
    )


def _fields(cls: type[Any]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


# --- (a) every fixture of every version reads into the current class ----------------------


@pytest.mark.parametrize("path", FIXTURES, ids=_id)
def test_every_stored_version_reads_into_the_current_event_class(
    path: Path, apps: dict[str, Any]
) -> None:
    fixture = capture.load_fixture(path)
    stored = _stored(path)
    assert fixture["class_version"] == capture.version_of(path)
    assert json.loads(stored.state).get("class_version", 1) == fixture["class_version"]
    mapper = apps[_service(path)].mapper

    event = mapper.to_domain_event(stored)

    cls = resolve_topic(fixture["topic"])
    assert type(event) is cls
    assert get_topic(cls) == fixture["topic"]
    assert set(vars(event)) == _fields(cls), "an upcaster leaves the current fields"
    again = mapper.to_stored_event(event)
    assert json.loads(again.state).get("class_version", 1) == getattr(cls, "class_version", 1)
    if capture.shape_of(stored.state) == capture.shape_of(again.state):
        assert again.state == stored.state, "the current code writes this version identically"


@pytest.mark.parametrize("path", FIXTURES, ids=_id)
def test_every_stored_version_is_published_under_the_current_contracts(
    path: Path, apps: dict[str, Any]
) -> None:
    """The relay translates the whole store again on a new broker (backbone.outbox)."""
    translate = {
        "intake": intake_published.translate,
        "assessment": assessment_published.translate_with(lambda _event: MEASURE_ID),
        "korona": korona_published.translate_with(lambda _event: "p-1"),
    }[_service(path)]
    event = apps[_service(path)].mapper.to_domain_event(_stored(path))

    out = translate(event)

    if out is not None:  # some aggregates stay private (receipts, numbers, known measures)
        model = payload_model(out.event_type, out.schema_version)
        model.model_validate(json.loads(json.dumps(out.payload)))


# --- (c) completeness: a fixture for every version of every event class -------------------


def _domain_modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.iter_modules(root.__path__):
        yield importlib.import_module(f"{package}.{info.name}")


def _stored_event_classes() -> dict[str, tuple[str, type[Any]]]:
    """Topic -> (service, class) of every event an aggregate of the domains can store."""
    found: dict[str, tuple[str, type[Any]]] = {}
    for service, package in DOMAIN_PACKAGES.items():
        for module in _domain_modules(package):
            for aggregate in vars(module).values():
                if not (
                    inspect.isclass(aggregate)
                    and issubclass(aggregate, BaseAggregate)
                    and aggregate.__module__ == module.__name__
                ):
                    continue
                events = {
                    name: value
                    for name, value in vars(aggregate).items()
                    if inspect.isclass(value) and issubclass(value, CanMutateAggregate)
                }
                named_creation = any(
                    issubclass(e, CanInitAggregate) for n, e in events.items() if n != "Created"
                )
                for name, cls in events.items():
                    if name == "Event" or (name == "Created" and named_creation):
                        continue  # bases the library defines; never stored themselves
                    found[get_topic(cls)] = (service, cls)
    return found


def test_the_walk_finds_the_aggregates_of_all_three_services() -> None:
    names = {cls.__qualname__ for _, cls in _stored_event_classes().values()}
    assert {"MeasureIntake.MeasureSubmitted", "Receipt.Issued", "MeasureNumbers.Allocated"} < names
    assert {"Measure.Included", "Measure.ReminderIssued", "PromotedNumbers.Started"} < names
    assert {"Proposal.Promoted", "FundingEnvelope.Changed", "KnownMeasure.Noted"} < names
    assert len(names) == 33


def test_every_event_class_has_a_stored_fixture_of_every_version() -> None:
    have: dict[str, set[int]] = {}
    for path in FIXTURES:
        have.setdefault(capture.load_fixture(path)["topic"], set()).add(capture.version_of(path))
    missing = [
        f"{topic} v{version}"
        for topic, (_, cls) in sorted(_stored_event_classes().items())
        for version in range(1, getattr(cls, "class_version", 1) + 1)
        if version not in have.get(topic, set())
    ]
    assert not missing, f"no stored fixture of {', '.join(missing)}: {RUN_CAPTURE}"


def test_every_fixture_is_of_an_event_class_of_its_service_in_its_folder() -> None:
    classes = _stored_event_classes()
    for path in FIXTURES:
        topic = capture.load_fixture(path)["topic"]
        assert topic in classes, f"{_id(path)}: {topic} is not an event of the domains"
        service, cls = classes[topic]
        assert path.parent == capture.STORED / service / cls.__qualname__
        assert capture.version_of(path) <= getattr(cls, "class_version", 1)


def test_the_code_writes_no_shape_without_a_stored_fixture() -> None:
    """A changed event (a field added, renamed, dropped) needs its stored form kept."""
    writes, problems = capture.plan(capture.capture(), label=None)
    assert not problems, "\n".join(problems)
    missing = [_id(path) for path in writes]
    assert not missing, f"no stored fixture of {', '.join(missing)}: {RUN_CAPTURE}"


# --- (b) streams written across the versions replay into the right aggregates --------------


def _replay(app: Any, service: str, names: list[str], originator_id: UUID | None = None) -> Any:
    """Store ``service``'s fixtures ``names`` as one stream, in order, and load it."""
    paths = [capture.STORED / service / f"{name}.json" for name in names]
    first = originator_id or UUID(capture.load_fixture(paths[0])["originator_id"])
    app.recorder.insert_events(
        [_stored(path, first, version) for version, path in enumerate(paths, start=1)]
    )
    return app.repository.get(first)


def test_intake_streams_of_every_version(apps: dict[str, Any]) -> None:
    app = apps["intake"]
    record = _replay(
        app,
        "intake",
        [
            "MeasureIntake.MeasureSubmitted/v1.4be188e",
            "MeasureIntake.StatusReportSubmitted/v1.4be188e",
            "MeasureIntake.StatusReportSubmitted/v1.ecb4389",
            "MeasureIntake.StatusReportSubmitted/v1.e8a8b58",
            "MeasureIntake.StatusReportSubmitted/v1.b10f6b7",
            "MeasureIntake.StatusReportSubmitted/v2",
        ],
    )
    assert (record.measure_id, record.name, record.responsible_agency) == (
        MEASURE_ID,
        "Digital hjemmeoppfølging",
        "nhn",
    )
    assert record.status_reports == 5
    first, *reports = app.events.get(record.id)
    assert first.budget == [] and first.reported_at is None  # not given before v2
    assert [r.historical for r in reports] == [False] * 5
    assert [r.progress for r in reports] == ["", "", *["Pilot i Bergen og Trondheim er i gang"] * 3]

    numbers = _replay(
        app, "intake", ["MeasureNumbers.Started/v1.ecb4389", "MeasureNumbers.Allocated/v1.ecb4389"]
    )
    assert numbers.last == MEASURE_ID
    receipt = _replay(app, "intake", ["Receipt.Issued/v1.4be188e"])
    assert (receipt.command, receipt.subject_id) == ("SubmitMeasure", str(MEASURE_ID))
    proposal = _replay(app, "intake", ["ProposalIntake.ProposalSubmitted/v1.4be188e"])
    assert proposal.title == "Videokonsultasjon for fastleger"


LIVED_THROUGH_EVERY_VERSION = [
    "Measure.Registered/v1.16acd8f",  # no planned figures, no registered_at
    "Measure.StatusReportRecorded/v1.16acd8f",  # no explanation_missing, no correction
    "Measure.StatusReportRecorded/v1.16acd8f+correction",  # the June report, corrected
    "Measure.CriteriaAssessed/v1.7ed00fe",  # decisions did not name the measure
    "Measure.Included/v1.7ed00fe",
    "Measure.StatusReportRefused/v1.ecb4389",
    "Measure.ReminderIssued/v1.54ecb5d",
    "Measure.SegmentChanged/v2",
    "Measure.Completed/v2",
]


def test_a_measure_whose_store_lived_through_every_version(apps: dict[str, Any]) -> None:
    app = apps["assessment"]
    measure = _replay(app, "assessment", LIVED_THROUGH_EVERY_VERSION)

    assert measure.id == Measure.create_id(MEASURE_ID)
    assert measure.lifecycle is Lifecycle.COMPLETED
    assert (measure.segment, measure.segment_since) == (Segment.SAMSTYRE, "2026-01")
    assert (measure.in_portfolio_since, measure.left_after) == ("2025-01", "2026-06")
    assert measure.way_forward == "Videreføres i drift hos NHN"
    assert measure.assessment is not None
    assert (measure.assessment["criteria_version"], measure.assessment["all_met"]) == (
        "2020",
        True,
    )
    assert (measure.planned_budget, measure.depends_on, measure.registered_at) == ([], [], None)
    (june,) = measure.status_reports.values()
    assert june == {
        "progress": "",
        "obstacles": "",
        "experiences": "",
        "dependency_notes": "",
        "missing_focus": [],
        "period": "2025-06",
        "status": "red",
        "risk": "green",
        "budget": [{"year": 2025, "amount_nok": 2_100_000}],
        "explanation": "Integrasjonen er forsinket fire måneder; ny plan i august",
        "receipt_id": "7f3a2b1c-0d9e-5f8a-b7c6-d5e4f3a2b1c0",
        "explanation_missing": False,
        "correction": True,  # a second report for June, though v1 did not say so
    }
    assert [r["period"] for r in measure.refused_reports] == ["2025-09"]
    assert measure.reminders == [{"period": "2025-12", "deadline": "2026-01-15", "kind": "due"}]
    assert len(measure.receipts) == 3

    # The current code carries on writing the same stream.
    measure.remind(period="2026-06", deadline="2026-07-15", overdue=True)
    app.save(measure)
    assert len(app.repository.get(measure.id).reminders) == 2


def test_a_measures_old_decisions_are_published_with_its_id(apps: dict[str, Any]) -> None:
    app = apps["assessment"]
    originator = uuid4()
    _replay(app, "assessment", LIVED_THROUGH_EVERY_VERSION, originator_id=originator)
    events = list(app.events.get(originator))
    assert events[3].measure_id == UNNAMED_MEASURE  # CriteriaAssessed v1

    with_lookup = assessment_published.translate_with(assessment_published.MeasureIds(app))
    published = [out for out in map(with_lookup, events) if out is not None]

    assert len(published) == len(events)
    assert {out.payload["measure_id"] for out in published} == {MEASURE_ID}
    without = assessment_published.translate(events[3])
    assert without is not None
    assert without.payload["measure_id"] == UNNAMED_MEASURE  # as before this lookup existed


def test_a_measure_paused_and_withdrawn_before_events_named_it(apps: dict[str, Any]) -> None:
    measure = _replay(
        apps["assessment"],
        "assessment",
        [
            "Measure.Registered/v1.7ed00fe",
            "Measure.CriteriaAssessed/v1.7ed00fe",
            "Measure.Included/v1.7ed00fe",
            "Measure.StatusReportRecorded/v1.7ed00fe",
            "Measure.StatusReportRefused/v1.7ed00fe",
            "Measure.Paused/v1.7ed00fe",
            "Measure.Withdrawn/v1.7ed00fe",
        ],
        originator_id=uuid4(),
    )
    assert measure.lifecycle is Lifecycle.WITHDRAWN
    assert measure.left_after == "2026-03"  # when it was paused: it left then
    assert measure.way_forward == ""
    assert measure.status_reports["2025-06"]["correction"] is False
    assert measure.status_reports["2025-06"]["missing_focus"] == []
    assert [r["reason"] for r in measure.refused_reports] == [
        "a red status or risk needs an explanation"
    ]


def test_a_measure_not_included_before_events_named_it(apps: dict[str, Any]) -> None:
    measure = _replay(
        apps["assessment"],
        "assessment",
        [
            "Measure.Registered/v1.16acd8f",
            "Measure.CriteriaAssessed/v1.7ed00fe",
            "Measure.NotIncluded/v1.7ed00fe",
        ],
        originator_id=uuid4(),
    )
    assert measure.lifecycle is Lifecycle.NOT_INCLUDED
    assert measure.rejection_reason == "Dekkes av et tiltak som er i porteføljen allerede"


def test_a_measure_stored_just_before_events_had_versions(apps: dict[str, Any]) -> None:
    """What the stores of `make run` held before class_version 2: read as v1, unchanged."""
    measure = _replay(
        apps["assessment"],
        "assessment",
        [
            "Measure.Registered/v1.b10f6b7",
            "Measure.CriteriaAssessed/v1.ecb4389",
            "Measure.Included/v1.ecb4389",
            "Measure.StatusReportRecorded/v1.b10f6b7",
            "Measure.StatusReportRecorded/v1.b10f6b7+correction",
            "Measure.StatusReportRefused/v1.ecb4389",
            "Measure.ReminderIssued/v1.54ecb5d",
            "Measure.SegmentChanged/v1.ecb4389",
            "Measure.Completed/v1.ecb4389",
        ],
        originator_id=uuid4(),
    )
    assert measure.lifecycle is Lifecycle.COMPLETED
    assert measure.registered_at == datetime(2025, 1, 14, 9, 30, tzinfo=UTC)
    assert measure.planned_start == "2025-01"
    june = measure.status_reports["2025-06"]
    assert (june["correction"], june["status"]) == (True, "red")
    assert june["dependency_notes"] == "Venter på nasjonal meldingsstandard (tiltak 412)"


def test_promoted_numbers(apps: dict[str, Any]) -> None:
    numbers = _replay(
        apps["assessment"],
        "assessment",
        ["PromotedNumbers.Started/v1.d49bbc6", "PromotedNumbers.Allocated/v1.d49bbc6"],
    )
    assert numbers.by_proposal == {"b7a4c1e2-3d5f-5a6b-8c9d-0e1f2a3b4c5d": 9000}


PROPOSAL_PATH = [
    "Proposal.Categorised/v1.d49bbc6",
    "Proposal.Routed/v1.d49bbc6",
    "Proposal.Assessed/v1.d49bbc6",
    "Proposal.Decided/v1.d49bbc6+deferred",
    "Proposal.Reopened/v1.d49bbc6+deferred",
    "Proposal.Assessed/v1.d49bbc6",
    "Proposal.Decided/v1.d49bbc6",
    "Proposal.ImplementationStatusSet/v1.d49bbc6",
    "Proposal.FundingRecorded/v1.d49bbc6",
    "Proposal.Promoted/v1.d49bbc6",
]


def test_a_proposal_registered_before_it_knew_its_proposer(apps: dict[str, Any]) -> None:
    """v1 (16acd8f) did not record who submitted the proposal; its meta does."""
    app = apps["korona"]
    proposal = _replay(app, "korona", ["Proposal.Registered/v1.16acd8f", *PROPOSAL_PATH])

    assert (proposal.submitted_by, proposal.source) == ("bergen-kommune/ingrid.berg", "intake")
    assert (proposal.category_code, proposal.category_name) == ("02", "Avstandsoppfølging")
    assert proposal.state is State.PRIORITISED
    assert proposal.decision is not None
    assert proposal.decision["reference"] == "PS 05.05.2020"
    assert proposal.implementation_status is ImplementationStatus.BEING_INTRODUCED
    assert proposal.funding == {"allocated": 2_000_000, "committed": 0, "paid": 0}
    assert proposal.promoted
    assert (proposal.overlaps, proposal.feedback) == ([], [])

    with acting_as(PROPOSER):
        assert app.get_proposal(proposal.proposal_id).id == proposal.id
    someone_else = EventMeta(agency="oslo-kommune", user="ola", role="proposer")
    with acting_as(someone_else), pytest.raises(PermissionDeniedError):
        app.get_proposal(proposal.proposal_id)


def test_a_proposal_stored_just_before_events_had_versions(apps: dict[str, Any]) -> None:
    proposal = _replay(
        apps["korona"],
        "korona",
        [
            "Proposal.Registered/v1.d49bbc6",
            "Proposal.OverlapsFound/v1.d49bbc6",
            "Proposal.FeedbackGiven/v1.d49bbc6",
            "Proposal.Categorised/v1.d49bbc6",
            "Proposal.Routed/v1.d49bbc6",
        ],
        originator_id=uuid4(),
    )
    assert proposal.state is State.IN_ASSESSMENT
    assert (proposal.category_name, proposal.submitted_by) == (
        "Avstandsoppfølging",
        "bergen-kommune/ingrid.berg",
    )
    assert [o["key"] for o in proposal.overlaps] == ["measure:1000"]
    assert [f["kind"] for f in proposal.feedback] == ["received"]


def test_the_envelope_and_the_known_measures(apps: dict[str, Any]) -> None:
    app = apps["korona"]
    # The application opened its own envelope already: this stream gets an id of its own.
    envelope = _replay(
        app,
        "korona",
        ["FundingEnvelope.Opened/v1.d49bbc6", "FundingEnvelope.Changed/v1.d49bbc6"],
        originator_id=uuid4(),
    )
    assert (envelope.allocated_nok, envelope.left_nok) == (2_000_000, 78_000_000)
    assert envelope.keys == {"fund-video-1": f"allocate:{next(iter(envelope.lines))}:2000000"}
    known = _replay(app, "korona", ["KnownMeasure.Noted/v1.d49bbc6"])
    assert (known.measure_id, known.responsible_agency) == (MEASURE_ID, "nhn")
