"""Budget figures: million NOK as written in the portfolio tables, whole kroner on the wire."""

from __future__ import annotations

import re
from decimal import Decimal

NOK_PER_MNOK = 1_000_000
MAX_NOK = 2**63 - 1
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_mnok(text: str) -> int | None:
    """Million NOK ("32", "1,5", "1.5") as whole kroner; blank is None (no figure).

    Conversion is exact; raises ValueError for text that is not a number, a negative
    figure, or one with fractions of a krone.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if not value:
        return None
    if not _NUMBER.match(value):
        raise ValueError(f"{text.strip()!r} is not a number (million NOK, e.g. 32 or 1,5)")
    amount = Decimal(value.replace(",", ".")) * NOK_PER_MNOK
    if amount < 0:
        raise ValueError(f"must not be negative, got {text.strip()}")
    if amount != amount.to_integral_value():
        raise ValueError(f"{text.strip()} million NOK is not a whole number of kroner")
    if amount > MAX_NOK:
        raise ValueError(f"{text.strip()} million NOK is too large")
    return int(amount)


def mnok_number(nok: int) -> int | float:
    """Whole kroner as million NOK: an int when whole, else a float (for JSON)."""
    amount = Decimal(nok) / NOK_PER_MNOK
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def format_mnok_nb(nok: int) -> str:
    """Million NOK the Norwegian way: thousands separated by spaces, decimal comma."""
    amount = Decimal(nok) / NOK_PER_MNOK
    whole = int(amount)
    fraction = amount - whole
    text = f"{abs(whole):,}".replace(",", " ")
    if fraction:
        digits = format(abs(fraction), "f").split(".")[1].rstrip("0")
        text = f"{text},{digits}"
    return f"-{text}" if nok < 0 else text
