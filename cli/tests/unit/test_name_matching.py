"""Matching the trial segment table to the 2020-03 portfolio, on the real files.

The expected pairs were checked by reading both tables and the seed documents: every
measure of Vedlegg 1 has a row in the trial table; "Akson - forberedelse" is the 2020
Akson (81), "Legemiddelprogrammet" is "Digitalisering av legemiddelområdet" (160, seed
003 names the programme under that measure's red status); "Akson - samhandling",
"Akson - journal" and "Kjernejournal - API kritisk info" are not in the 2020 portfolio.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_cli.name_matching import (
    THRESHOLD,
    Candidate,
    Matching,
    Method,
    Query,
    match_all,
)
from portfolio_cli.records import read_records
from portfolio_cli.segment_import import COLUMNS, SegmentRow, segment_row
from portfolio_cli.similarity import name_similarity, normalise, same_agency, same_area
from portfolio_cli.tsv import read_table


@pytest.fixture(scope="module")
def data(shared_dir: Path) -> Path:
    return shared_dir / "data"


@pytest.fixture(scope="module")
def measures(data: Path) -> list[Candidate]:
    table = read_table(data / "portfolio-2020-03.tsv")
    assert len(table.rows) == 52
    return [
        Candidate(r.measure_id, r.name, r.responsible_agency, r.strategic_area) for r in table.rows
    ]


@pytest.fixture(scope="module")
def rows(data: Path) -> list[SegmentRow]:
    records = read_records(data / "segments-2020-trial.tsv", COLUMNS)
    parsed = [segment_row(r) for r in records.rows]
    assert not records.errors
    found = [r for r in parsed if isinstance(r, SegmentRow)]
    assert len(found) == len(parsed) == 55
    return found


@pytest.fixture(scope="module")
def matching(rows: list[SegmentRow], measures: list[Candidate]) -> Matching:
    return match_all([r.query() for r in rows], measures)


def test_every_2020_measure_gets_exactly_one_row(
    matching: Matching, measures: list[Candidate]
) -> None:
    keys = [m.best.candidate.key for m in matching.matched]
    assert len(keys) == len(set(keys)), "one row per measure"
    assert sorted(keys) == sorted(c.key for c in measures)
    assert len(matching.unmatched) == 3


@pytest.mark.parametrize(
    ("row_name", "measure_id"),
    [
        ("Digital Førerettsforvaltning", 149),  # "Førerrettsforvaltning" in Vedlegg 1
        ("Interregional Digital Patologi", 114),
        ("Innføring av digital patologi", 118),
        ("Digital patologi Helse vest", 187),
        ("Digihelse fase 2", 172),
        ("Nasjonalt prosjekt DigiHelse", 165),
        ("DigiHelsestasjon", 145),
        ("Innsyn og tilgjengeliggjøring \u2013 NPR og KPR", 170),
        ("Pakkeforløp hjem - kreft", 174),
        ("Pakkeforløp Hjerneslag", 175),
        ("Regional EPJ Modernisering", 164),
        ("Regional EPJ Journalinnsyn", 163),
        ("Kjernejournal - Innsyn for helsepersonell på tvers", 128),
        ("Kjernejournal dokumentdeling", 181),
        ("Realisere API-management som en tjeneste", 131),
        ("DIS \u2013 Digitale innbyggertjenester for spesialisthelsetjenesten", 83),
    ],
)
def test_rows_match_their_measure_by_name(
    matching: Matching, row_name: str, measure_id: int
) -> None:
    match = next(m for m in matching.matched if m.query.name == row_name)
    assert match.best.candidate.key == measure_id
    assert match.method is Method.NAME
    assert match.best.similarity >= THRESHOLD


def test_the_renamed_measures_match_by_agency_and_strategic_area(matching: Matching) -> None:
    found = {m.query.name: m for m in matching.matched}
    assert found["Akson - forberedelse"].best.candidate.key == 81
    assert found["Legemiddelprogrammet"].best.candidate.key == 160
    assert {found[n].method for n in ("Akson - forberedelse", "Legemiddelprogrammet")} == {
        Method.AGENCY_AND_AREA
    }


def test_by_name_only_the_renamed_measures_stay_unmatched(
    rows: list[SegmentRow], measures: list[Candidate]
) -> None:
    matching = match_all([r.query() for r in rows], measures, by_context=False)
    unmatched = {n.query.name for n in matching.unmatched}
    assert {"Akson - forberedelse", "Legemiddelprogrammet"} <= unmatched
    assert len(matching.matched) == 50


def test_rows_not_in_the_2020_portfolio_are_reported_with_their_closest_candidates(
    matching: Matching,
) -> None:
    unmatched = {n.query.name: n for n in matching.unmatched}
    assert set(unmatched) == {
        "Akson - samhandling",
        "Akson - journal",
        "Kjernejournal - API kritisk info",
    }
    assert 81 in [s.candidate.key for s in unmatched["Akson - journal"].closest]
    closest_api = [s.candidate.key for s in unmatched["Kjernejournal - API kritisk info"].closest]
    assert 128 in closest_api
    for no_match in unmatched.values():
        assert no_match.reason
        assert len(no_match.closest) == 3


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Akson", "Akson - journal"),
        ("Akson", "Akson - samhandling"),
        ("Kjernejournal - API kritisk info", "Kjernejournal - Innsyn for helsepersonell på tvers"),
        ("Digihelse fase 2", "Nasjonalt prosjekt DigiHelse"),
        ("Regional EPJ Modernisering", "Regional EPJ Journalinnsyn"),
        ("Pakkeforløp Hjerneslag", "Pakkeforløp hjem - kreft"),
        ("Interregional Digital Patologi", "Digital patologi Helse vest"),
        ("Legemiddelprogrammet", "Legemiddelregisteret"),
        ("Primærhelseteam", "Oppfølgingsteam"),
    ],
)
def test_obviously_different_names_are_not_similar_enough(a: str, b: str) -> None:
    assert name_similarity(a, b) < THRESHOLD


def test_names_are_compared_without_case_punctuation_dashes_or_spacing() -> None:
    assert normalise("Innsyn og tilgjengeliggjøring \u2013 NPR og KPR") == normalise(
        "innsyn og  tilgjengeliggjøring - NPR og KPR"
    )
    assert name_similarity("EPJ-løftet", "EPJ løftet") == 1.0
    assert name_similarity("Digital Førerettsforvaltning", "Digital Førerrettsforvaltning") > 0.95


def test_agencies_match_without_rhf_or_case_and_areas_by_code() -> None:
    assert same_agency("Helse Sør-Øst", "Helse Sør-Øst RHF")
    assert same_agency("Oslo Kommune", "oslo kommune")
    assert not same_agency("Helse Vest RHF", "Helse Nord RHF")
    assert not same_agency("", "")
    assert same_area(
        "2.1 Sikre planlegging og kontinuitet i ansvars-overganger",
        "2.1 Sikre planlegging og kontinuitet i ansvars- overganger",
    )
    assert not same_area("1.1 Modernisere", "5.1 Utvikle felles byggeklosser")


def test_the_agency_breaks_a_tie_between_two_measures_of_the_same_name() -> None:
    candidates = [
        Candidate(1, "Digital patologi", "Helse Vest RHF"),
        Candidate(2, "Digital patologi", "Helse Nord RHF"),
    ]
    matching = match_all([Query(2, "Digital patologi", "Helse Nord RHF")], candidates)
    assert [m.best.candidate.key for m in matching.matched] == [2]


def test_two_rows_claiming_one_measure_equally_both_stay_unmatched() -> None:
    candidates = [Candidate(7, "HMN Lab", "Helse Midt-Norge RHF")]
    queries = [
        Query(2, "HMN Lab", "Helse Midt-Norge RHF"),
        Query(3, "HMN-lab", "Helse Midt-Norge RHF"),
    ]
    matching = match_all(queries, candidates)
    assert matching.matched == []
    assert all("line" in n.reason for n in matching.unmatched)


def test_a_close_name_of_another_agency_is_not_accepted() -> None:
    candidates = [Candidate(1, "Regional kurve og medikasjon", "Helse Sør-Øst RHF")]
    matching = match_all([Query(2, "Regional kurve og medikasjonn", "Helse Vest RHF")], candidates)
    assert matching.matched == []
    assert "another agency" in matching.unmatched[0].reason
