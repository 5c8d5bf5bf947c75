"""Reports as one self-contained HTML page (``--format html``): no external files, no scripts.

Charts are inline SVG; the stylesheet is in the page and prints on A4 (tables keep their
heading row on every page, figures are not split, the appendix starts on a new page).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
from typing import Any

from report_views.colours import Colour
from report_views.render import palette
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
    Paragraph,
    Table,
)
from report_views.render.svg import FONT_FAMILY, scene_svg

STYLE = f"""
:root {{
  --ink: {palette.INK}; --muted: {palette.MUTED}; --accent: {palette.ACCENT};
  --rule: {palette.RULE}; --zebra: {palette.ZEBRA}; --group: {palette.GROUP};
}}
@page {{ size: A4; margin: 16mm 16mm 18mm; }}
* {{ box-sizing: border-box; }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{ margin: 0; background: #fff; color: var(--ink); font-family: {FONT_FAMILY};
  font-size: 10.5pt; line-height: 1.45; }}
.report {{ max-width: 180mm; margin: 0 auto; padding: 14mm 6mm 16mm; }}
.cover {{ border-bottom: 3pt solid var(--accent); padding-bottom: 8pt; margin-bottom: 12pt; }}
.kicker {{ margin: 0 0 4pt; color: var(--muted); font-size: 8.5pt; letter-spacing: .08em;
  text-transform: uppercase; }}
h1 {{ margin: 0 0 6pt; color: var(--accent); font-size: 21pt; line-height: 1.15; }}
.meta {{ margin: 0; color: var(--muted); font-size: 9pt; }}
h2 {{ margin: 20pt 0 6pt; color: var(--accent); font-size: 14pt; break-after: avoid; }}
h3 {{ margin: 14pt 0 4pt; font-size: 11.5pt; break-after: avoid; }}
.num {{ display: inline-block; min-width: 1.8em; }}
p {{ margin: 0 0 6pt; }}
p.small {{ color: var(--muted); font-size: 8.5pt; }}
.key-figures {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(28mm, 1fr));
  gap: 6pt; margin: 0 0 8pt; }}
.kf {{ border: 1px solid var(--rule); border-top: 3pt solid var(--accent); padding: 5pt 8pt; }}
.kf-label, .kf-note {{ display: block; color: var(--muted); font-size: 8pt; }}
.kf-label {{ letter-spacing: .04em; text-transform: uppercase; }}
.kf-value {{ display: block; color: var(--accent); font-size: 16pt; font-weight: bold;
  white-space: nowrap; }}
.kf-value.words {{ font-size: 11pt; line-height: 1.3; padding: 3pt 0 2pt; white-space: normal; }}
figure {{ margin: 8pt 0 14pt; break-inside: avoid; }}
figure svg {{ display: block; width: 100%; height: auto; }}
figcaption, caption {{ padding-top: 4pt; color: var(--muted); font-size: 8.5pt;
  font-style: italic; text-align: left; }}
table {{ width: 100%; margin: 6pt 0 14pt; border-collapse: collapse; font-size: 9pt; }}
table.small {{ font-size: 8pt; }}
table:not(.small) {{ break-inside: avoid; }}
caption {{ caption-side: bottom; }}
thead {{ display: table-header-group; }}
th {{ padding: 4pt 6pt; background: var(--accent); color: #fff; text-align: left;
  vertical-align: bottom; }}
td {{ padding: 3pt 6pt; border-bottom: 1px solid var(--rule); vertical-align: top; }}
tr {{ break-inside: avoid; }}
tbody tr:nth-child(even) td {{ background: var(--zebra); }}
th.n, td.n {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
tbody tr.group td {{ background: var(--group); color: var(--accent); font-weight: bold; }}
tfoot {{ display: table-row-group; }}
tfoot td {{ border-top: 1.5pt solid var(--accent); border-bottom: none; font-weight: bold; }}
tbody tr td.tone-green {{ background: {palette.TINT[Colour.GREEN]}; }}
tbody tr td.tone-yellow {{ background: {palette.TINT[Colour.YELLOW]}; }}
tbody tr td.tone-red {{ background: {palette.TINT[Colour.RED]}; }}
td.b {{ font-weight: bold; }}
.notes {{ margin: 4pt 0 10pt; padding: 0; list-style: none; }}
.note {{ margin: 0 0 7pt; padding: 1pt 0 1pt 9pt; border-left: 3pt solid
  {palette.SOLID[Colour.RED]}; break-inside: avoid; }}
.note p {{ margin: 0; }}
.source {{ color: var(--muted); }}
.new-page {{ break-before: page; }}
.colophon {{ margin-top: 18pt; padding-top: 4pt; border-top: 1px solid var(--rule);
  color: var(--muted); font-size: 8pt; }}
.toolbar {{ border-bottom: 1px solid var(--rule); background: var(--zebra); padding: 8pt 12pt;
  font-size: 10pt; }}
.toolbar nav, .toolbar form {{ max-width: 180mm; margin: 0 auto; display: flex; flex-wrap: wrap;
  gap: 6pt 14pt; align-items: end; }}
.toolbar nav {{ margin-bottom: 6pt; }}
.toolbar nav a {{ color: var(--accent); font-weight: bold; text-decoration: none; }}
.toolbar nav a[aria-current] {{ border-bottom: 2pt solid var(--accent); }}
.toolbar label {{ display: flex; flex-direction: column; color: var(--muted); font-size: 8.5pt; }}
.toolbar select, .toolbar input, .toolbar button {{ font: inherit; font-size: 10pt;
  padding: 2pt 4pt; }}
.toolbar button {{ background: var(--accent); color: #fff; border: 0; padding: 4pt 10pt; }}
.toolbar .downloads {{ margin-left: auto; color: var(--muted); font-size: 9pt; }}
.toolbar .downloads a {{ color: var(--accent); }}
.toolbar .problem {{ flex-basis: 100%; margin: 0; color: {palette.SOLID[Colour.RED]};
  font-weight: bold; }}
@media print {{ .report {{ max-width: none; padding: 0; }} .toolbar {{ display: none; }} }}
"""


def _inline(part: Inline) -> str:
    if isinstance(part, str):
        return escape(part)
    text = escape(part.text)
    if part.italic:
        text = f"<em>{text}</em>"
    if part.bold:
        text = f"<strong>{text}</strong>"
    return text


def _cell(cell: Cell, numeric: bool) -> str:
    classes = []
    if numeric:
        classes.append("n")
    if cell.tone:
        classes.append(f"tone-{cell.tone.value}")
    if cell.bold:
        classes.append("b")
    attribute = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attribute}>{escape(cell.text)}</td>"


def _table(table: Table) -> str:
    cols = "".join(f'<col style="width:{w * 100:.1f}%"/>' for w in table.widths)
    numeric = ' class="n"'
    head = "".join(
        f'<th{numeric if i in table.numeric else ""} scope="col">{escape(h)}</th>'
        for i, h in enumerate(table.headers)
    )
    rows = []
    for row in table.rows:
        if isinstance(row, GroupRow):
            rows.append(
                f'<tr class="group"><td colspan="{len(table.headers)}">{escape(row.text)}</td></tr>'
            )
        else:
            cells = "".join(_cell(c, i in table.numeric) for i, c in enumerate(row))
            rows.append(f"<tr>{cells}</tr>")
    foot = ""
    if table.total:
        cells = "".join(_cell(c, i in table.numeric) for i, c in enumerate(table.total))
        foot = f"<tfoot><tr>{cells}</tr></tfoot>"
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    css = ' class="small"' if table.small else ""
    return (
        f"<table{css}>{caption}<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>{foot}</table>"
    )


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        tag = "h2" if block.level == 1 else "h3"
        css = ' class="new-page"' if block.new_page else ""
        number = f'<span class="num">{escape(block.number)}</span>' if block.number else ""
        return f"<{tag}{css}>{number}{escape(block.text)}</{tag}>"
    if isinstance(block, Paragraph):
        css = ' class="small"' if block.small else ""
        return f"<p{css}>{''.join(_inline(p) for p in block.parts)}</p>"
    if isinstance(block, KeyFigures):
        items = "".join(
            f'<div class="kf"><span class="kf-label">{escape(k.label)}</span>'
            f'<span class="kf-value{" words" if len(k.value) > 9 else ""}">{escape(k.value)}</span>'
            f'<span class="kf-note">{escape(k.note) or "&#160;"}</span></div>'
            for k in block.items
        )
        return f'<section class="key-figures" aria-label="Nøkkeltall">{items}</section>'
    if isinstance(block, Figure):
        return (
            f"<figure>{scene_svg(block.scene)}"
            f"<figcaption>{escape(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, Notes):
        items = "".join(
            f'<li class="note"><p><em>{escape(n.name)}</em> '
            f'<span class="source">({escape(n.source)})</span></p>'
            f"<p>{escape(n.text)}</p></li>"
            for n in block.items
        )
        return f'<ul class="notes">{items}</ul>'
    return _table(block)


def document_html(document: Document, made_on: date, toolbar: str = "") -> str:
    """The document as a complete HTML page (UTF-8, bokmål).

    ``toolbar`` is trusted HTML put above the report (the web page's pickers); it is not
    printed.
    """
    body = "\n".join(_block(b) for b in document.blocks)
    meta = " · ".join(escape(m) for m in document.meta)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nb">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f'<meta name="description" content="{escape(document.subject)}"/>\n'
        f'<meta name="author" content="{escape(document.kicker)}"/>\n'
        f'<meta name="dcterms.created" content="{made_on.isoformat()}"/>\n'
        f"<title>{escape(document.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{toolbar}"
        '<main class="report">\n<header class="cover">'
        f'<p class="kicker">{escape(document.kicker)}</p>'
        f"<h1>{escape(document.title)}</h1>"
        f'<p class="meta">{meta}</p></header>\n'
        f"{body}\n"
        f'<footer class="colophon">{escape(document.title)}. {meta}. '
        "Budsjett i millioner kroner (MNOK).</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def portfolio_html(data: Mapping[str, Any], *, made_on: date, toolbar: str = "") -> str:
    """The portfolio report as a self-contained HTML page."""
    return document_html(portfolio_document(data, made_on=made_on), made_on, toolbar)


def korona_html(
    data: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
    *,
    made_on: date,
    toolbar: str = "",
) -> str:
    """The corona report as a self-contained HTML page."""
    return document_html(korona_document(data, names, made_on=made_on), made_on, toolbar)
