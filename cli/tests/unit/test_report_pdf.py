"""Reports as A4 PDF: a few pages that carry the report's words, figures and appendix."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from report_views.render.pdf_report import helvetica_text, korona_pdf, portfolio_pdf

TODAY = date(2020, 4, 20)


@pytest.fixture(scope="module")
def pdf(march_report: dict[str, Any]) -> bytes:
    return portfolio_pdf(march_report, made_on=TODAY)


def pages_text(data: bytes) -> list[str]:
    """Each page's text with runs of white space made single spaces."""
    return [
        re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages
    ]


def test_the_report_is_a_pdf_of_a_few_a4_pages(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(pdf))
    assert 4 <= len(reader.pages) <= 8
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert reader.metadata is not None
    assert reader.metadata.title == "Nasjonal e-helseportefølje \u2013 rapport for mars 2020"


def test_the_first_page_has_the_title_key_figures_and_figure_1(pdf: bytes) -> None:
    first = pages_text(pdf)[0]
    assert "Nasjonal e-helseportefølje \u2013 rapport for mars 2020" in first
    assert "1 Status på nasjonal e-helseportefølje" in first
    assert "1 571 millioner kroner" in first.replace("\u00a0", " ")
    assert "Figur 1: Antall tiltak og samlet budsjett i 2020" in first
    assert "Direktoratet for e-helse" in first and "635" in first  # the chart's text


def test_the_red_measures_and_their_explanations_are_in_the_report(
    pdf: bytes, march_report: dict[str, Any]
) -> None:
    text = " ".join(pages_text(pdf))
    assert "2 tiltak melder rød status mot 1 i januar:" in text
    assert "3 tiltak melder rød risiko, like mange som i januar:" in text
    assert "Prosjektet er 8 måneder bak plan" in text
    assert "fabrikken i Kina er stengt" in text


def test_the_appendix_lists_every_measure_and_each_page_is_numbered(
    pdf: bytes, march_report: dict[str, Any]
) -> None:
    pages = pages_text(pdf)
    start = next(i for i, p in enumerate(pages) if "Vedlegg 1 \u2013 Nasjonal" in p)
    appendix = " ".join(pages[start:])
    for measure in march_report["measures"]:
        assert measure["name"] in appendix
    assert "Sum, 52 tiltak" in appendix
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} av {len(pages)}" in text
    assert "Nasjonal e-helseportefølje \u2013 mars 2020" in pages[1]  # running title


def test_the_report_compares_with_january_and_covers_changes_and_next_year(pdf: bytes) -> None:
    pages = [p.replace("\u00a0", " ") for p in pages_text(pdf)]
    first = pages[0]
    assert "i porteføljen (54 i januar)" in first
    assert "52 tiltak mot 54 tiltak i januar 2020" in first
    assert "Det er en nedgang på 79 millioner kroner fra januar" in first
    text = " ".join(pages)
    assert "nå har 58 % gul status mot 56 % i januar" in text
    changes = text.split("2 Endringer i porteføljen")[1].split("3 Porteføljesegmenter")[0]
    assert "131 Realisere API-management som en tjeneste Norsk Helsenett 7" in changes
    assert "143 Medikamentell kreftbehandling Helse Sør-Øst Forvaltning" in changes
    assert "142 Regionalt laboratoriedatasystem Helse Sør-Øst Pauset" in changes
    assert "Veien videre" in changes
    outlook = text.split("4 Nasjonal e-helseportefølje i 2021")[1].split("Vedlegg 1")[0]
    assert "4.1 Prosjektkandidater for 2021" in outlook
    assert "190 Akson journal Akson journal AS Digitalisering av arbeidsprosesser" in outlook
    assert "4.2 Tiltak som avsluttes i 2020" in outlook
    assert "4.3 Budsjett per innsatsområde" in outlook
    assert "Budsjett 2021 (MNOK)" in outlook
    assert "Figur 4: Budsjett i 2020 og 2021 (millioner kroner) per strategisk innsatsområde" in (
        outlook
    )


def test_a_lead_in_stays_on_the_page_of_its_figure_or_table(pdf: bytes) -> None:
    for page in pages_text(pdf):
        body = page.rstrip()
        body = re.sub(r"Side \d+ av \d+$", "", body).rstrip()
        assert not body.endswith(":"), body[-200:]


def test_the_korona_report_fits_on_a_page_or_two(
    korona_report: dict[str, Any], category_names: dict[str, str]
) -> None:
    pages = pages_text(korona_pdf(korona_report, category_names, made_on=TODAY))
    assert 1 <= len(pages) <= 2
    text = " ".join(pages)
    assert "Koronaporteføljen \u2013 forslag per kategori" in text
    assert "12 Infeksjonsovervåking" in text
    assert "Til sammen er det registrert 337 forslag i 20 kategorier." in text


def test_letters_helvetica_lacks_lose_their_accents_rather_than_vanish() -> None:
    assert helvetica_text("Blåbær \u2013 «Ærlig» 5 €") == "Blåbær \u2013 «Ærlig» 5 €"
    assert helvetica_text("Čoahkkin Porsáŋgu Đ") == "Coahkkin Porsángu D"
    assert helvetica_text("Ok 🙂") == "Ok ?"


def test_the_full_korona_report_has_every_chapter_on_a_few_pages(
    korona_full: dict[str, Any],
) -> None:
    pdf = korona_pdf(korona_full, made_on=date(2020, 5, 5))
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Koronaporteføljen \u2013 forslag, nettoliste og midler"
    pages = pages_text(pdf)
    assert 2 <= len(pages) <= 4
    text = " ".join(pages)
    for heading in (
        "1 Forslag per kategori",
        "2 Forslagenes behandling",
        "3 Nettolisten",
        "4 Midler til tiltakene",
        "5 Tilbakemelding til forslagsstillerne",
    ):
        assert heading in text
    assert "Per 5. mai 2020 kl. 09.00" in text
    assert "12 Infeksjonsovervåking" in text
    assert "Vurdert, venter på beslutning 24" in text
    assert "Videokonsultasjon / digital hjemmeoppfølging / Helsenorge" in text
    assert "Under innføring" in text and "I drift" in text
    assert "Sum, 18 tiltak 39 19,5 9,75" in text
    assert "Gjenstående (ikke tildelt) 41 51 %" in text
    assert "Median tid fra mottak til første tilbakemelding er 4,5 dager." in text
