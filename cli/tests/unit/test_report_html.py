"""Reports as one self-contained HTML page that reads like the directorate's report."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from html import escape
from typing import Any

import pytest

from report_views.render.html_report import korona_html, portfolio_html

TODAY = date(2020, 4, 20)
SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def page(march_report: dict[str, Any]) -> str:
    return portfolio_html(march_report, made_on=TODAY)


def parsed(html: str) -> ET.Element:
    """The page as XML: it is written well-formed so that this works."""
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))  # noqa: S314 - our own output


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_the_page_is_in_bokmal_with_the_reports_title_and_headings(page: str) -> None:
    root = parsed(page)
    assert root.get("lang") == "nb"
    title = "Nasjonal e-helseportefølje \u2013 rapport for mars 2020"
    assert root.findtext("head/title") == title
    assert text_of(root.find(".//h1")) == title  # type: ignore[arg-type]
    headings = [text_of(h) for h in root.iter() if h.tag in ("h2", "h3")]
    assert headings == [
        "1Status på nasjonal e-helseportefølje",
        "1.1Overordnet status",
        "1.2Risiko",
        "1.3Tiltak som ikke har rapportert",
        "2Endringer i porteføljen",
        "3Porteføljesegmenter",
        "4Nasjonal e-helseportefølje i 2021",
        "4.1Prosjektkandidater for 2021",
        "4.2Tiltak som avsluttes i 2020",
        "4.3Budsjett per innsatsområde",
        "Vedlegg 1 \u2013 Nasjonal e-helseportefølje",
    ]


def test_a_page_from_an_older_server_keeps_the_old_chapters(
    older_march_report: dict[str, Any],
) -> None:
    root = parsed(portfolio_html(older_march_report, made_on=TODAY))
    headings = [text_of(h) for h in root.iter() if h.tag in ("h2", "h3")]
    assert headings == [
        "1Status på nasjonal e-helseportefølje",
        "1.1Overordnet status",
        "1.2Risiko",
        "1.3Tiltak som ikke har rapportert",
        "2Porteføljesegmenter",
        "3Strategiske innsatsområder",
        "Vedlegg 1 \u2013 Nasjonal e-helseportefølje",
    ]
    page = text_of(root)
    assert "januar" not in page
    assert "Forsinket" not in page


def test_the_key_figures_are_written_the_norwegian_way(page: str) -> None:
    figures = {
        text_of(kf.find("span[@class='kf-label']")): text_of(kf.find("span[2]"))  # type: ignore[arg-type]
        for kf in parsed(page).iter("div")
        if kf.get("class") == "kf"
    }
    assert figures == {
        "Tiltak": "52",
        "Budsjett 2020": f"1{NBSP}571",
        "Gul status": f"58{NBSP}%",
        "Rød status": "2",
        "Rød risiko": "3",
    }
    notes = [
        text_of(kf.find("span[3]"))  # type: ignore[arg-type]
        for kf in parsed(page).iter("div")
        if kf.get("class") == "kf"
    ]
    assert notes == [
        "i porteføljen (54 i januar)",
        "millioner kroner, ned 79 fra januar",
        f"30 av 52 tiltak (56{NBSP}% i januar)",
        "tiltak (1 i januar)",
        "tiltak (3 i januar)",
    ]
    assert f"1{NBSP}571 millioner kroner (1,57 milliarder) for 2020" in page


def test_every_measure_is_in_the_appendix_under_its_strategic_area(
    page: str, march_report: dict[str, Any]
) -> None:
    appendix = parsed(page).findall(".//table")[-1]
    rows = appendix.findall("tbody/tr")
    measures = [r for r in rows if r.get("class") != "group"]
    groups = [text_of(r) for r in rows if r.get("class") == "group"]
    assert len(measures) == 52
    assert {text_of(r.find("td[2]")) for r in measures} == {  # type: ignore[arg-type]
        m["name"] for m in march_report["measures"]
    }
    assert groups[0] == "1.1 Modernisere journal- og samhandlingsløsninger"
    assert len(groups) == len({m["strategic_area"] for m in march_report["measures"]})
    assert text_of(appendix.find("tfoot")).endswith(f"1{NBSP}571")  # type: ignore[arg-type]


def test_the_red_measures_are_listed_with_their_explanations(
    page: str, march_report: dict[str, Any]
) -> None:
    notes = [text_of(li) for li in parsed(page).iter("li") if li.get("class") == "note"]
    assert len(notes) == 5  # 2 red status, 3 red risk (160 in both), as in seed 002
    by_id = {m["measure_id"]: m for m in march_report["measures"]}
    for measure_id in (160, 163, 132):
        explanation = by_id[measure_id]["explanation"]
        assert explanation
        assert any(by_id[measure_id]["name"] in n and explanation in n for n in notes)
    assert any("Robust Mobilt Helsenett" in n and "Ingen forklaring" in n for n in notes)
    status_notes = page.split("Overordnet status")[1].split("1.2", maxsplit=1)[0]
    assert "Regional EPJ Journalinnsyn" in status_notes
    assert "PKI infrastrukturløsning" not in status_notes


def test_the_charts_are_valid_inline_svg_in_traffic_light_colours(page: str) -> None:
    figures = list(parsed(page).iter("figure"))
    assert len(figures) == 4
    charts = [f.find(f"{SVG}svg") for f in figures]
    assert all(c is not None and c.get("viewBox") for c in charts)
    agencies, colours, segments, areas = charts
    assert agencies is not None and colours is not None and segments is not None
    assert areas is not None
    assert {"Budsjett 2020 (MNOK)", "Budsjett 2021 (MNOK)"} <= {
        t.text for t in areas.iter(f"{SVG}text")
    }
    labels = [t.text for t in agencies.iter(f"{SVG}text")]
    assert "Direktoratet for e-helse" in labels and "635" in labels
    assert len(list(agencies.iter(f"{SVG}rect"))) == 2 * 10  # count and budget per agency
    fills = {r.get("fill") for r in colours.iter(f"{SVG}rect")}
    assert {"#3E9B4F", "#F2C230", "#D6423A"} <= fills
    legend = [t.text for t in colours.iter(f"{SVG}text")]
    assert {"Grønn", "Gul", "Rød", "Ikke rapportert"} <= set(legend)
    assert f"30 (58{NBSP}%)" in legend
    captions = [text_of(f.find("figcaption")) for f in figures]  # type: ignore[arg-type]
    assert captions[0] == (
        "Figur 1: Antall tiltak og samlet budsjett i 2020 (millioner kroner) "
        "per ansvarlig virksomhet"
    )


def test_the_page_needs_nothing_from_elsewhere(page: str) -> None:
    assert "<script" not in page
    assert "<link" not in page
    assert " src=" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 4
    assert "@page { size: A4;" in page


def table_after(root: ET.Element, caption: str) -> list[list[str]]:
    """The body rows of the table with ``caption``, as cell texts."""
    table = next(t for t in root.iter("table") if caption in text_of(t.find("caption")))  # type: ignore[arg-type]
    return [[text_of(td) for td in tr.findall("td")] for tr in table.findall("tbody/tr")]


def test_the_overview_compares_with_january_and_names_what_came_and_went(page: str) -> None:
    root = parsed(page)
    paragraphs = [text_of(p) for p in root.iter("p")]
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("Nasjonal e-helse"))
    first = paragraphs[start : start + 2]
    assert first[0].startswith(
        "Nasjonal e-helseportefølje består av 52 tiltak mot 54 tiltak i januar 2020"
    )
    assert "Det er en nedgang på 79 millioner kroner fra januar" in first[0]
    assert first[1].startswith(
        "Norsk Helsenett har meldt inn Realisere API-management som en tjeneste."
    )
    assert "Tiltaket Medikamentell kreftbehandling (Helse Sør-Øst) er ferdigstilt" in first[1]
    assert (
        "Tiltakene Regionalt laboratoriedatasystem (Helse Sør-Øst) og Ny saksbehandlingsløsning "
        "for meldeordningen Biovigilans (Helsedirektoratet) er satt på pause og meldt ut av "
        "porteføljen."
    ) in first[1]
    assert "<em>Medikamentell kreftbehandling</em>" in page
    status = page.split("Overordnet status")[1].split("1.2", maxsplit=1)[0]
    assert f"nå har 58{NBSP}% gul status mot 56{NBSP}% i januar" in status
    assert "2 tiltak melder rød status mot 1 i januar:" in status
    risk = page.split("Risiko</h3>")[1]
    assert f"nå melder 63{NBSP}% gul risiko mot 65{NBSP}% i januar" in risk
    assert "3 tiltak melder rød risiko, like mange som i januar:" in risk


def test_the_changes_chapter_has_the_new_and_the_departed_measures(page: str) -> None:
    root = parsed(page)
    assert table_after(root, "Nye tiltak i nasjonal e-helseportefølje") == [
        ["131", "Realisere API-management som en tjeneste", "Norsk Helsenett", "7"]
    ]
    assert table_after(root, "Tiltak som har gått ut av nasjonal e-helseportefølje") == [
        ["143", "Medikamentell kreftbehandling", "Helse Sør-Øst", "Forvaltning"],
        ["142", "Regionalt laboratoriedatasystem", "Helse Sør-Øst", "Pauset"],
        [
            "183",
            "Ny saksbehandlingsløsning for meldeordningen Biovigilans",
            "Helsedirektoratet",
            "Pauset",
        ],
    ]
    assert "Det er 1 nytt tiltak i nasjonal e-helseportefølje siden januar:" in page
    assert "3 tiltak har gått ut av nasjonal e-helseportefølje siden januar:" in page


def test_next_year_has_the_candidates_the_finishing_and_the_budget_per_area(page: str) -> None:
    root = parsed(page)
    assert (
        "Det er meldt inn 5 prosjektkandidater for 2021: Akson journal, Akson samhandling, "
        "DigiHOT - Digitalisering av hjelpemiddelformidlingen i NAV og kommune, "
        "Ny personidentifikator og felles hjelpenummer og Samhandlingsløsning for "
        "avtalespesialister ved fornyelse av førerett."
    ) in page
    candidates = table_after(root, "Prosjektkandidater for 2021")
    assert candidates[0] == [
        "190",
        "Akson journal",
        "Akson journal AS",
        "Digitalisering av arbeidsprosesser",
    ]
    assert candidates[3][3] == "\u2013"  # no strategic area yet
    finishing = table_after(root, "Tiltak som er planlagt avsluttet i 2020")
    assert finishing[3][:2] == ["128", "Kjernejournal - Innsyn for helsepersonell på tvers"]
    assert finishing[3][3] == "juni 2020"
    assert finishing[4][3] == "31. desember 2020"
    assert (
        "ser det ut til at nasjonal e-helseportefølje i 2021 vil bestå av 52 tiltak: de 52 "
        "tiltakene i porteføljen nå, unntatt 5 som er planlagt avsluttet i 2020, pluss 5 "
        "prosjektkandidater der oppstart ikke er bekreftet."
    ) in page
    areas = table_after(root, "Budsjett per strategisk innsatsområde")
    assert areas[0] == ["1.1 Modernisere journal- og samhandlingsløsninger", "13", "476", "464"]
    assert [a[0][:3] for a in areas] == sorted((a[0][:3] for a in areas), key=float)


def test_segments_show_the_reports_due_and_overdue(page: str) -> None:
    root = parsed(page)
    rows = table_after(root, "statusrapporter per porteføljesegment")
    assert rows[1] == ["Koordinere", "10", "361", f"23{NBSP}%", "10", "1"]
    assert "For mars 2020 skal 35 tiltak sende statusrapport" in page
    assert "1 av rapportene er forsinket." in page


def test_a_first_period_without_changes_says_so_briefly() -> None:
    report = {
        "period": "2020-01",
        "measure_count": 1,
        "measures": [{"measure_id": 1, "name": "A", "budget_mnok": 2}],
        "previous": None,
        "entered": [],
        "exited": [],
        "candidates": [],
        "by_strategic_area": [],
        "finishing_this_year": [],
    }
    html = portfolio_html(report, made_on=TODAY)
    root = parsed(html)
    headings = [text_of(h) for h in root.iter() if h.tag in ("h2", "h3")]
    assert "2Endringer i porteføljen" not in headings
    assert "3Nasjonal e-helseportefølje i 2021" in headings
    assert "Det er ikke meldt inn prosjektkandidater for 2021." in html
    assert "Ingen tiltak er planlagt avsluttet i 2020." in html


def test_a_previous_period_without_changes_says_nothing_came_or_went() -> None:
    report = {
        "period": "2021-02",
        "budget_total_mnok": 2,
        "measures": [{"measure_id": 1, "name": "A", "budget_mnok": 2, "status": "green"}],
        "previous": {"period": "2020-12", "measure_count": 1, "budget_total_mnok": 2},
        "entered": [],
        "exited": [],
    }
    html = portfolio_html(report, made_on=TODAY)
    assert "Ingen nye tiltak er kommet inn i porteføljen siden desember 2020." in html
    assert "Ingen tiltak har gått ut av porteføljen siden desember 2020." in html
    assert "1 tiltak mot 1 tiltak i desember 2020" in html
    assert "Budsjettet er uendret fra desember 2020." in html


def test_names_are_escaped_not_interpreted() -> None:
    report = {
        "period": "2020-06",
        "measures": [
            {
                "measure_id": 1,
                "name": "<script>alert(1)</script> & co",
                "status": "red",
                "explanation": "a < b",
            }
        ],
    }
    html = portfolio_html(report, made_on=TODAY)
    parsed(html)
    assert "<script>" not in html
    assert escape("<script>alert(1)</script> & co", quote=False) in html


def test_the_korona_page_shows_categories_by_name_largest_first_in_the_chart(
    korona_report: dict[str, Any], category_names: dict[str, str]
) -> None:
    root = parsed(korona_html(korona_report, category_names, made_on=TODAY))
    assert root.findtext("head/title") == "Koronaporteføljen \u2013 forslag per kategori"
    chart = root.find(f".//{SVG}svg")
    assert chart is not None
    labels = [t.text for t in chart.iter(f"{SVG}text")]
    assert labels[:3] == [
        "12 Infeksjonsovervåking",
        "03 Video",
        "05 Generell informasjon til innbyggere",
    ]
    table = text_of(root.findall(".//table")[-1])
    assert "Infeksjonsovervåking" in table and "337" in table


def test_without_category_names_the_korona_page_says_why_it_shows_codes(
    korona_report: dict[str, Any],
) -> None:
    html = korona_html(korona_report, {}, made_on=TODAY)
    assert "Kategorier uten navn vises med kode" in html
    parsed(html)
    uncategorised = {
        **korona_report,
        "by_category": [{"code": "", "category": None, "proposals": 3}],
        "total": 3,
    }
    assert "uten navn" not in korona_html(uncategorised, {}, made_on=TODAY)


def test_the_full_korona_page_has_states_net_list_funding_and_feedback_in_bokmal(
    korona_full: dict[str, Any],
) -> None:
    root = parsed(korona_html(korona_full, {}, made_on=date(2020, 5, 5)))
    title = "Koronaporteføljen \u2013 forslag, nettoliste og midler"
    assert root.findtext("head/title") == title
    headings = [text_of(h) for h in root.iter() if h.tag in ("h2", "h3")]
    assert headings == [
        "1Forslag per kategori",
        "2Forslagenes behandling",
        "3Nettolisten",
        "4Midler til tiltakene",
        "5Tilbakemelding til forslagsstillerne",
    ]
    figures = text_of(root.find(".//section[@class='key-figures']"))  # type: ignore[arg-type]
    assert "Prioriterte tiltak" in figures and "14 innført eller under innføring" in figures
    assert f"av 80{NBSP}MNOK" in figures
    tables = [text_of(t) for t in root.iter("table")]
    assert len(tables) == 4
    assert "Infeksjonsovervåking" in tables[0]  # the names come from the report itself
    assert "Vurdert, venter på beslutning" in tables[1] and "Utsatt" in tables[1]
    net_list = tables[2]
    for status in ("Planlagt", "Under innføring", "Innført", "I drift"):
        assert status in net_list
    assert "Sum, 18 tiltak" in net_list and "19,5" in net_list
    assert "Gjenstående (ikke tildelt)" in tables[3] and "51" in tables[3]
    text = text_of(root.find(".//main") or root)
    assert "Av de 18 prioriterte tiltakene er 5 i drift, 5 innført, 4 under innføring" in text
    assert "Det gjenstår 41 millioner kroner som ikke er tildelt." in text
    assert "Det er 143 forslag som venter på tilbakemelding" in text
    assert "Median tid fra mottak til første tilbakemelding er 4,5 dager." in text
    assert len(root.findall(f".//{SVG}svg")) == 2  # the categories and the envelope


def test_a_portfolio_without_decisions_says_so_rather_than_showing_empty_tables(
    korona_full: dict[str, Any],
) -> None:
    empty = {
        **korona_full,
        "net_list": [],
        "funding": {"total_mnok": 0, "allocated_mnok": 0},
        "awaiting_feedback": 0,
        "median_days_to_feedback": None,
    }
    html = korona_html(empty, {}, made_on=TODAY)
    assert "Ingen tiltak er prioritert ennå." in html
    assert "Det er ikke åpnet noen finansieringsramme ennå." in html
    assert "Ingen forslag venter på tilbakemelding." in html
    parsed(html)
    answered = korona_html({**empty, "median_days_to_feedback": 1}, {}, made_on=TODAY)
    assert "Alle forslagene har fått tilbakemelding" in answered
    assert "første tilbakemelding er 1 dag." in answered
    waiting = korona_html({**empty, "awaiting_feedback": 337}, {}, made_on=TODAY)
    assert "Det er 337 forslag som venter" in waiting
    assert "Ingen forslag har fått tilbakemelding ennå." in waiting
