"""Numbers, shares, periods and dates written the Norwegian (bokmål) way, for people.

Thousands are grouped with a no-break space and decimals follow a comma (``1 571``,
``1,5``); a per cent sign stands after a no-break space (``60 %``), as Språkrådet
recommends. Machine formats (CSV, XLSX) never use these: they keep numbers numeric.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OSLO = "Europe/Oslo"
NBSP = "\u00a0"
EN_DASH = "\u2013"
MONTHS = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)


def number(value: float, decimals: int | None = None) -> str:
    """``value`` with grouped thousands and a decimal comma: 1571 → "1 571", 1.5 → "1,5".

    ``decimals=None`` shows as many decimals as the value has (none for whole numbers);
    otherwise it rounds half up to that many.
    """
    amount = Decimal(str(value))
    if decimals is not None:
        amount = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = format(abs(amount), "f").partition(".")
    if decimals is None:
        fraction = fraction.rstrip("0")
    grouped = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def mnok(value: float) -> str:
    """A budget in million NOK: "1 571 MNOK"."""
    return f"{number(value)}{NBSP}MNOK"


def share(part: float, whole: float) -> int:
    """``part`` of ``whole`` in whole per cent, rounded half up; 0 when ``whole`` is 0."""
    if not whole:
        return 0
    ratio = Decimal(str(part)) * 100 / Decimal(str(whole))
    return int(ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` as "60 %"; a part too small to show as 1 % is "< 1 %", not 0."""
    value = share(part, whole)
    if value == 0 and part > 0:
        return f"<{NBSP}1{NBSP}%"
    return f"{value}{NBSP}%"


def period_name(period: str) -> str:
    """A reporting period ``YYYY-MM`` as "mars 2020"; anything else unchanged."""
    year, _, month = period.partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{MONTHS[int(month) - 1]} {year}"
    return period


def period_year(period: str) -> str:
    """The year of a reporting period ``YYYY-MM`` (the budget year), or "" if not one."""
    year = period[:4]
    return year if year.isdigit() else ""


def previous_name(previous: str, current: str) -> str:
    """The previous period as a sentence names it after ``current``: "januar" in the same
    year ("54 i januar"), "desember 2019" across a year, anything else unchanged."""
    name = period_name(previous)
    year = period_year(previous)
    if year and year == period_year(current) and name != previous:
        return name.removesuffix(f" {year}")
    return name


def planned_date(text: str) -> str:
    """A planned date as people read it: "2020-12" → "desember 2020", "2020-06-30" →
    "30. juni 2020"; anything else unchanged."""
    try:
        return long_date(date.fromisoformat(text.strip()))
    except ValueError:
        return period_name(text.strip())


def long_date(day: date) -> str:
    """A date as "5. mai 2020"."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def count_noun(count: int, singular: str, plural: str) -> str:
    """ "1 tiltak", "2 forslag": a count and the noun in the right number."""
    return f"{number(count)} {singular if count == 1 else plural}"


def moment(text: str) -> str:
    """An RFC 3339 moment in Norwegian time, "5. mai 2020 kl. 09.00"; other text unchanged.

    Without a time zone database on the machine the moment is shown in UTC, and says so.
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return text
    zone = ""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(ZoneInfo(OSLO))
        except ZoneInfoNotFoundError:
            value, zone = value.astimezone(UTC), " UTC"
    return f"{long_date(value.date())} kl. {value:%H.%M}{zone}"
