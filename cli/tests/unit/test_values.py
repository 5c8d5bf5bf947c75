"""Colours, budget figures and periods as people write them."""

from __future__ import annotations

import pytest

from portfolio_cli.periods import parse_period
from report_views.colours import Colour, norwegian, parse_colour
from report_views.money import format_mnok_nb, mnok_number, parse_mnok


@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("Grønn", Colour.GREEN),
        ("GUL", Colour.YELLOW),
        ("rød", Colour.RED),
        ("green", Colour.GREEN),
        ("Yellow", Colour.YELLOW),
        (" RED ", Colour.RED),
        ("", None),
        ("  ", None),
    ],
)
def test_colours_are_understood_in_norwegian_and_english(text: str, colour: Colour | None) -> None:
    assert parse_colour(text) == colour


def test_an_unknown_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown colour"):
        parse_colour("blå")


def test_colours_have_bokmal_names_and_none_is_not_reported() -> None:
    assert [norwegian(c) for c in Colour] == ["Grønn", "Gul", "Rød"]
    assert norwegian(None) == "Ikke rapportert"


@pytest.mark.parametrize(
    ("text", "nok"),
    [
        ("32", 32_000_000),
        ("1,5", 1_500_000),
        ("1.5", 1_500_000),
        ("0", 0),
        (" 260 ", 260_000_000),
        (",25", 250_000),
        ("0.000001", 1),
        ("", None),
    ],
)
def test_budgets_in_million_nok_become_whole_kroner_exactly(text: str, nok: int | None) -> None:
    assert parse_mnok(text) == nok


@pytest.mark.parametrize("text", ["abc", "1,5,0", "1.5.0", "1e3", "NaN", "1,2.3", "--1"])
def test_a_budget_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_mnok(text)


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_mnok("-1,5")


def test_a_budget_with_fractions_of_a_krone_is_refused() -> None:
    with pytest.raises(ValueError, match="whole number of kroner"):
        parse_mnok("0.0000001")


def test_kroner_become_million_nok_as_int_when_whole_and_float_otherwise() -> None:
    assert mnok_number(32_000_000) == 32
    assert isinstance(mnok_number(32_000_000), int)
    assert mnok_number(1_500_000) == 1.5
    assert mnok_number(0) == 0


def test_million_nok_are_printed_the_norwegian_way() -> None:
    assert format_mnok_nb(1_571_000_000) == "1 571"
    assert format_mnok_nb(1_500_000) == "1,5"
    assert format_mnok_nb(0) == "0"


def test_a_period_is_year_and_month() -> None:
    assert parse_period(" 2020-03 ") == "2020-03"


@pytest.mark.parametrize("text", ["2020-13", "2020-3", "2020", "03-2020", "2020-00", ""])
def test_anything_else_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period(text)
