"""The colours every rendered report uses, so HTML, PDF, charts and XLSX look alike.

Status and risk use the traffic-light colours people expect (Grønn/Gul/Rød): a strong
shade for chart bars and a light tint behind table cells, where the word stays legible
and also prints in black and white.
"""

from __future__ import annotations

from report_views.colours import Colour

INK = "#1D2430"
MUTED = "#5B6573"
ACCENT = "#1F3B5C"
BAR = "#2F6F9F"
BAR_SECOND = "#7FA8C9"
RULE = "#D5DAE1"
ZEBRA = "#F5F7FA"
GROUP = "#E7EDF4"
NOT_REPORTED = "#B8BEC6"
NOT_REPORTED_TINT = "#ECEEF1"

SOLID: dict[Colour, str] = {
    Colour.GREEN: "#3E9B4F",
    Colour.YELLOW: "#F2C230",
    Colour.RED: "#D6423A",
}
TINT: dict[Colour, str] = {
    Colour.GREEN: "#DCEFD9",
    Colour.YELLOW: "#FFF1C2",
    Colour.RED: "#F8D3CF",
}
ON_SOLID: dict[Colour, str] = {
    Colour.GREEN: "#FFFFFF",
    Colour.YELLOW: INK,
    Colour.RED: "#FFFFFF",
}


def solid(colour: Colour | None) -> str:
    """The chart colour of a status or risk; grey for not reported."""
    return SOLID[colour] if colour else NOT_REPORTED


def text_on(colour: Colour | None) -> str:
    """A legible text colour on ``solid(colour)``."""
    return ON_SOLID[colour] if colour else INK
