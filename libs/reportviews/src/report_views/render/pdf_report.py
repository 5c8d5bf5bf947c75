"""Reports as A4 PDF (``--format pdf``), laid out with ReportLab, charts as vector drawings.

The same ``Document`` as the HTML report: a title block, key figures, numbered sections,
figures with captions, tables whose heading row repeats on every page, and the
appendix on a new page. Later pages carry a running title; every page has "Side n av m".
Text is set in Helvetica, a PDF standard font every viewer has (not embedded), with the
Windows-1252 letters: æøå and the other Western European ones. Other letters are written
without their accents (Sámi "Čoahkkin" as "Coahkkin", "ŋ" as "n"), and the rest as "?":
the HTML, CSV and XLSX reports keep every character.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.graphics.shapes import Line as DrawnLine
from reportlab.graphics.shapes import Rect as DrawnRect
from reportlab.graphics.shapes import String as DrawnString
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from report_views.render import palette
from report_views.render.charts import FONT, FONT_BOLD, Line, Rect, Scene
from report_views.render.contents import korona_document, portfolio_document
from report_views.render.document import (
    Block,
    Cell,
    Document,
    Figure,
    GroupRow,
    Heading,
    Inline,
    KeyFigures,
    Notes,
    Table,
)
from report_views.render.document import Paragraph as TextBlock

FONT_ITALIC = "Helvetica-Oblique"
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_PADDING = 6.0
"""ReportLab's frames pad their content by this much; the margins above are the content's."""
WIDTH = A4[0] - 2 * MARGIN_X
PAGE_HEIGHT = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
"""The height a page has for content."""

INK = colors.HexColor(palette.INK)
MUTED = colors.HexColor(palette.MUTED)
ACCENT = colors.HexColor(palette.ACCENT)
RULE = colors.HexColor(palette.RULE)


_SPECIAL = str.maketrans({"ŋ": "n", "Ŋ": "N", "đ": "d", "Đ": "D", "ŧ": "t", "Ŧ": "T"})


def helvetica_text(text: str) -> str:
    """``text`` with the characters Helvetica cannot show replaced by their nearest letters
    (without accents), or by "?" where there is none."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        pass
    else:
        return text
    out = []
    for char in text.translate(_SPECIAL):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            try:
                base.encode("cp1252")
            except UnicodeEncodeError:
                base = "?"
            out.append(base or "?")
        else:
            out.append(char)
    return "".join(out)


def _x(text: str) -> str:
    """``text`` ready for a ReportLab paragraph: glyphs Helvetica has, markup escaped."""
    return escape(helvetica_text(text))


def _style(name: str, **values: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": FONT, "fontSize": 9.5, "leading": 13.5, "textColor": INK}
    return ParagraphStyle(name, **{**base, **values})


BODY = _style("body", spaceAfter=5)
SMALL = _style("small", fontSize=8, leading=11, textColor=MUTED, spaceAfter=5)
KICKER = _style("kicker", fontSize=8, leading=10, textColor=MUTED, spaceAfter=4)
TITLE = _style("title", fontName=FONT_BOLD, fontSize=20, leading=24, textColor=ACCENT)
META = _style("meta", fontSize=9, leading=12, textColor=MUTED, spaceBefore=4)
H1 = _style(
    "h1", fontName=FONT_BOLD, fontSize=13.5, leading=17, textColor=ACCENT, spaceBefore=14,
    spaceAfter=5, keepWithNext=1,
)  # fmt: skip
H2 = _style(
    "h2", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=3,
    keepWithNext=1,
)  # fmt: skip
CAPTION = _style(
    "caption", fontName=FONT_ITALIC, fontSize=8, leading=10.5, textColor=MUTED, spaceBefore=3,
    spaceAfter=10,
)  # fmt: skip
CELL = _style("cell", fontSize=8.2, leading=10.2)
CELL_SMALL = _style("cell-small", fontSize=7.5, leading=9.3)
HEAD = _style("head", fontName=FONT_BOLD, fontSize=8.2, leading=10.2, textColor=colors.white)
KF_LABEL = _style("kf-label", fontSize=7.2, leading=9, textColor=MUTED)
KF_VALUE = _style("kf-value", fontName=FONT_BOLD, fontSize=15, leading=19, textColor=ACCENT)
KF_NOTE = _style("kf-note", fontSize=7.2, leading=9, textColor=MUTED)


def _right(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-right", parent=style, alignment=TA_RIGHT)


def _bold(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-bold", parent=style, fontName=FONT_BOLD)


def _inline(part: Inline) -> str:
    if isinstance(part, str):
        return _x(part)
    text = _x(part.text)
    if part.italic:
        text = f"<i>{text}</i>"
    if part.bold:
        text = f"<b>{text}</b>"
    return text


def drawing(scene: Scene, width: float = WIDTH) -> Drawing:
    """A chart scene as a ReportLab drawing ``width`` points wide (y turned upwards)."""
    k = min(1.0, width / scene.width)
    height = scene.height * k
    d = Drawing(scene.width * k, height)
    for s in scene.shapes:
        if isinstance(s, Rect):
            rect = DrawnRect(s.x * k, height - (s.y + s.height) * k, s.width * k, s.height * k)
            rect.fillColor = colors.HexColor(s.fill)
            rect.strokeColor = None
            d.add(rect)
        elif isinstance(s, Line):
            d.add(
                DrawnLine(
                    s.x1 * k,
                    height - s.y1 * k,
                    s.x2 * k,
                    height - s.y2 * k,
                    strokeColor=colors.HexColor(s.stroke),
                    strokeWidth=s.width * k,
                )
            )
        else:
            d.add(
                DrawnString(
                    s.x * k,
                    height - s.y * k,
                    helvetica_text(s.text),
                    fontName=FONT_BOLD if s.bold else FONT,
                    fontSize=s.size * k,
                    fillColor=colors.HexColor(s.fill),
                    textAnchor=s.anchor,
                )
            )
    return d


def _cell(cell: Cell, style: ParagraphStyle, numeric: bool) -> Paragraph:
    if cell.bold:
        style = _bold(style)
    if numeric:
        style = _right(style)
    return Paragraph(_x(cell.text), style)


def _table_parts(table: Table) -> tuple[list[Flowable], bool]:
    """The table and its caption, and whether they are small enough to keep together."""
    style = CELL_SMALL if table.small else CELL
    columns = len(table.headers)
    head = [
        Paragraph(_x(h), _right(HEAD) if i in table.numeric else HEAD)
        for i, h in enumerate(table.headers)
    ]
    data: list[list[Any]] = [head]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    stripe = 0
    for row in table.rows:
        r = len(data)
        if isinstance(row, GroupRow):
            data.append([Paragraph(_x(row.text), _bold(style))] + [""] * (columns - 1))
            commands += [
                ("SPAN", (0, r), (-1, r)),
                ("BACKGROUND", (0, r), (-1, r), colors.HexColor(palette.GROUP)),
                ("NOSPLIT", (0, r), (-1, r + 1)),
            ]
            stripe = 0
            continue
        data.append([_cell(c, style, i in table.numeric) for i, c in enumerate(row)])
        stripe += 1
        if stripe % 2 == 0:
            commands.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor(palette.ZEBRA)))
        for i, c in enumerate(row):
            if c.tone:
                tint = colors.HexColor(palette.TINT[c.tone])
                commands.append(("BACKGROUND", (i, r), (i, r), tint))
    if table.total:
        r = len(data)
        data.append([_cell(c, style, i in table.numeric) for i, c in enumerate(table.total)])
        commands += [
            ("LINEABOVE", (0, r), (-1, r), 1.2, ACCENT),
            ("LINEBELOW", (0, r), (-1, r), 0, colors.white),
        ]
    pdf_table = PdfTable(
        data, colWidths=[w * WIDTH for w in table.widths], repeatRows=1, hAlign="LEFT"
    )
    pdf_table.setStyle(TableStyle(commands))
    caption = [Paragraph(_x(table.caption), CAPTION)] if table.caption else [Spacer(1, 8)]
    _, height = pdf_table.wrap(WIDTH, PAGE_HEIGHT)
    # moved to the next page whole when it would be split
    return [pdf_table, *caption], height < PAGE_HEIGHT * 0.9


def _table(table: Table) -> list[Flowable]:
    flowables, whole = _table_parts(table)
    return [KeepTogether(flowables)] if whole else flowables


def _fitted(style: ParagraphStyle, text: str, width: float) -> ParagraphStyle:
    """``style`` with a smaller font if ``text`` would not fit ``width`` on one line."""
    natural = stringWidth(text, style.fontName, style.fontSize)
    if natural <= width:
        return style
    size = max(8.0, style.fontSize * width / natural)
    return ParagraphStyle(
        f"{style.name}-fitted", parent=style, fontSize=size, leading=style.leading
    )


def _key_figures(block: KeyFigures) -> Flowable:
    gap = 6.0
    count = len(block.items)
    width = (WIDTH - gap * (count - 1)) / count
    cells: list[Any] = []
    widths: list[float] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    for i, item in enumerate(block.items):
        column = 2 * i
        if i:
            cells.append("")
            widths.append(gap)
        cells.append(
            [
                Paragraph(_x(item.label.upper()), KF_LABEL),
                Paragraph(_x(item.value), _fitted(KF_VALUE, item.value, width - 12)),
                Paragraph(_x(item.note) or "&nbsp;", KF_NOTE),
            ]
        )
        widths.append(width)
        commands += [
            ("BOX", (column, 0), (column, 0), 0.5, RULE),
            ("LINEABOVE", (column, 0), (column, 0), 2.5, ACCENT),
        ]
    table = PdfTable([cells], colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _notes(block: Notes) -> list[Flowable]:
    flowables: list[Flowable] = []
    for note in block.items:
        content = [
            Paragraph(
                f'<i>{_x(note.name)}</i> <font color="{palette.MUTED}">({_x(note.source)})</font>',
                _style("note-title", spaceAfter=1),
            ),
            Paragraph(_x(note.text), _style("note-text", fontSize=9, leading=12.5)),
        ]
        table = PdfTable([[content]], colWidths=[WIDTH - 6], hAlign="RIGHT")
        table.setStyle(
            TableStyle(
                [
                    (
                        "LINEBEFORE",
                        (0, 0),
                        (0, 0),
                        2.5,
                        colors.HexColor(palette.solid(note.colour)),
                    ),
                    ("LEFTPADDING", (0, 0), (0, 0), 8),
                    ("TOPPADDING", (0, 0), (0, 0), 1),
                    ("BOTTOMPADDING", (0, 0), (0, 0), 2),
                ]
            )
        )
        flowables += [table, Spacer(1, 6)]
    return flowables


def _figure(block: Figure) -> list[Flowable]:
    return [Spacer(1, 4), drawing(block.scene), Paragraph(_x(block.caption), CAPTION)]


def _kept(block: Block) -> list[Flowable] | None:
    """A figure's or a short table's flowables, which go on one page, else None."""
    if isinstance(block, Figure):
        return _figure(block)
    if isinstance(block, Table):
        flowables, whole = _table_parts(block)
        return flowables if whole else None
    return None


def _leads(block: Block) -> bool:
    """Headings and lead-in paragraphs stay on the page of what follows them."""
    return isinstance(block, Heading) or (isinstance(block, TextBlock) and block.introduces)


def _block(block: Block) -> list[Flowable]:
    if isinstance(block, Heading):
        heading = Paragraph(_x(block.title), H1 if block.level == 1 else H2)
        return [PageBreak(), heading] if block.new_page else [heading]
    if isinstance(block, TextBlock):
        style = SMALL if block.small else BODY
        if block.introduces:
            style = ParagraphStyle(f"{style.name}-lead", parent=style, keepWithNext=1)
        return [Paragraph("".join(_inline(p) for p in block.parts), style)]
    if isinstance(block, KeyFigures):
        return [_key_figures(block), Spacer(1, 4)]
    if isinstance(block, Figure):
        return [KeepTogether(_figure(block))]
    if isinstance(block, Notes):
        return _notes(block)
    return _table(block)


def _story(document: Document) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_x(document.kicker.upper()), KICKER),
        Paragraph(_x(document.title).replace(" \u2013 ", " \u2013<br/>", 1), TITLE),
        Paragraph(_x(" · ".join(document.meta)), META),
        HRFlowable(width="100%", thickness=2.5, color=ACCENT, spaceBefore=6, spaceAfter=12),
    ]
    lead: list[Flowable] = []
    for block in document.blocks:
        kept = _kept(block)
        if kept is not None:
            # ReportLab's keepWithNext does not reach into a KeepTogether: keep the
            # heading and lead-in with the figure or table by putting them in it
            story.append(KeepTogether([*lead, *kept]))
            lead = []
        elif _leads(block):
            if isinstance(block, Heading) and block.new_page:
                story += lead
                lead = []
            lead += _block(block)
        else:
            story += [*lead, *_block(block)]
            lead = []
    return story + lead


def _page_decoration(
    document: Document, made_on: date, total: int | None
) -> Callable[[Canvas, Any], None]:
    def decorate(canvas: Canvas, doc: Any) -> None:
        width, height = A4
        page = int(doc.page)
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        if page > 1:
            canvas.drawString(MARGIN_X, height - 13 * mm, helvetica_text(document.running_title))
            canvas.drawRightString(
                width - MARGIN_X, height - 13 * mm, helvetica_text(document.kicker)
            )
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.5)
            canvas.line(MARGIN_X, height - 14.5 * mm, width - MARGIN_X, height - 14.5 * mm)
        numbering = f"Side {page} av {total}" if total else f"Side {page}"
        canvas.drawString(MARGIN_X, 11 * mm, f"Laget {made_on.strftime('%d.%m.%Y')}")
        canvas.drawRightString(width - MARGIN_X, 11 * mm, numbering)
        canvas.restoreState()

    return decorate


def _build(document: Document, made_on: date, total: int | None) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X - FRAME_PADDING,
        rightMargin=MARGIN_X - FRAME_PADDING,
        topMargin=MARGIN_TOP - FRAME_PADDING,
        bottomMargin=MARGIN_BOTTOM - FRAME_PADDING,
        title=document.title,
        author=document.kicker,
        subject=document.subject,
        creator="portfolio",
        lang="nb-NO",
        displayDocTitle=1,
    )
    decorate = _page_decoration(document, made_on, total)
    template.build(_story(document), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), int(template.page)


def document_pdf(document: Document, made_on: date) -> bytes:
    """The document as PDF bytes. Built twice: the first pass counts the pages."""
    _, pages = _build(document, made_on, None)
    pdf, _ = _build(document, made_on, pages)
    return pdf


def portfolio_pdf(data: Mapping[str, Any], *, made_on: date) -> bytes:
    """The portfolio report as an A4 PDF."""
    return document_pdf(portfolio_document(data, made_on=made_on), made_on)


def korona_pdf(
    data: Mapping[str, Any], names: Mapping[str, str] | None = None, *, made_on: date
) -> bytes:
    """The corona report as an A4 PDF."""
    return document_pdf(korona_document(data, names, made_on=made_on), made_on)
