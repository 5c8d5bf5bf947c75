"""Charts (``charts.Scene``) as inline SVG for the HTML report."""

from __future__ import annotations

from html import escape

from report_views.render.charts import Line, Rect, Scene, Shape

FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        return (
            f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.width)}" '
            f'height="{_n(shape.height)}" fill="{shape.fill}"/>'
        )
    if isinstance(shape, Line):
        return (
            f'<line x1="{_n(shape.x1)}" y1="{_n(shape.y1)}" x2="{_n(shape.x2)}" '
            f'y2="{_n(shape.y2)}" stroke="{shape.stroke}" stroke-width="{_n(shape.width)}"/>'
        )
    weight = ' font-weight="bold"' if shape.bold else ""
    return (
        f'<text x="{_n(shape.x)}" y="{_n(shape.y)}" font-size="{_n(shape.size)}" '
        f'text-anchor="{shape.anchor}" fill="{shape.fill}"{weight}>{escape(shape.text)}</text>'
    )


def scene_svg(scene: Scene) -> str:
    """The scene as a standalone ``<svg>`` element that scales to its container's width."""
    body = "".join(_shape(s) for s in scene.shapes)
    label = escape(scene.description)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(scene.width)} '
        f'{_n(scene.height)}" width="{_n(scene.width)}" height="{_n(scene.height)}" '
        f'role="img" aria-label="{label}" font-family="{FONT_FAMILY}">'
        f"<title>{label}</title>{body}</svg>"
    )
