"""Reports as one self-contained HTML page that reads like the directorate's report."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from html import escape
from typing import Any

import pytest

from portfolio_cli.render.html_report import korona_html, portfolio_html

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
        "2Porteføljesegmenter",
        "3Strategiske innsatsområder",
        "Vedlegg 1 \u2013 Nasjonal e-helseportefølje",
    ]


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
    assert len(figures) == 3
    charts = [f.find(f"{SVG}svg") for f in figures]
    assert all(c is not None and c.get("viewBox") for c in charts)
    agencies, colours, segments = charts
    assert agencies is not None and colours is not None and segments is not None
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
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 3
    assert "@page { size: A4;" in page


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
    assert "Kategoriene vises med kode" in html
    parsed(html)
