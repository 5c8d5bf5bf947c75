"""Status and risk colours as the portfolio office writes them (Grønn/Gul/Rød)."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class Colour(StrEnum):
    """A status or risk colour; ``None`` stands for "not reported" wherever a colour is optional."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_BY_NAME = {
    "grønn": Colour.GREEN,
    "green": Colour.GREEN,
    "gul": Colour.YELLOW,
    "yellow": Colour.YELLOW,
    "rød": Colour.RED,
    "red": Colour.RED,
}

NORWEGIAN = {Colour.GREEN: "Grønn", Colour.YELLOW: "Gul", Colour.RED: "Rød"}
NOT_REPORTED_NB = "Ikke rapportert"


def parse_colour(text: str) -> Colour | None:
    """``Grønn``/``Gul``/``Rød`` or ``green``/``yellow``/``red`` in any case; blank is None.

    Raises ValueError for anything else.
    """
    value = unicodedata.normalize("NFC", text.strip()).lower()
    if not value:
        return None
    colour = _BY_NAME.get(value)
    if colour is None:
        raise ValueError(
            f"unknown colour {text.strip()!r}; use Grønn, Gul or Rød (or green, yellow, red),"
            " or leave it blank when not reported"
        )
    return colour


def norwegian(colour: Colour | None) -> str:
    """The bokmål word for ``colour``; "Ikke rapportert" for None."""
    return NOT_REPORTED_NB if colour is None else NORWEGIAN[colour]
