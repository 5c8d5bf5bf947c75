"""A report as a sequence of blocks (headings, paragraphs, figures, tables), no layout.

The report's wording is written once, in ``contents``, as a ``Document``; ``html_report``
and ``pdf_report`` lay the same document out for a browser and for A4 paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from report_views.colours import Colour
from report_views.render.charts import Scene


@dataclass(frozen=True)
class Run:
    """A piece of paragraph text with emphasis (measure names are in italics)."""

    text: str
    italic: bool = False
    bold: bool = False


Inline = str | Run


@dataclass(frozen=True)
class Heading:
    number: str
    text: str
    level: int = 1
    new_page: bool = False

    @property
    def title(self) -> str:
        return f"{self.number} {self.text}" if self.number else self.text


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Inline, ...]
    small: bool = False
    introduces: bool = False
    """True when it leads in to the next block (a figure, a list): keep them together."""


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class KeyFigures:
    items: tuple[KeyFigure, ...]


@dataclass(frozen=True)
class Figure:
    scene: Scene
    caption: str


@dataclass(frozen=True)
class Cell:
    """A table cell; ``tone`` tints it with a status or risk colour."""

    text: str
    tone: Colour | None = None
    bold: bool = False


@dataclass(frozen=True)
class GroupRow:
    """A row across the whole table that heads the rows below it (a strategic area)."""

    text: str


Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[Row | GroupRow, ...]
    widths: tuple[float, ...]
    """Each column's share of the width."""
    numeric: frozenset[int] = frozenset()
    """Columns aligned right."""
    caption: str = ""
    total: Row | None = None
    small: bool = False


@dataclass(frozen=True)
class Note:
    """A measure the reader must see (red status or risk) and what it reported about it."""

    name: str
    source: str
    text: str
    colour: Colour = Colour.RED


@dataclass(frozen=True)
class Notes:
    items: tuple[Note, ...]


Block = Heading | Paragraph | KeyFigures | Figure | Table | Notes


@dataclass(frozen=True)
class Document:
    title: str
    kicker: str
    running_title: str
    """Short title for page headers."""
    meta: tuple[str, ...]
    blocks: tuple[Block, ...] = field(default=())
    subject: str = ""
