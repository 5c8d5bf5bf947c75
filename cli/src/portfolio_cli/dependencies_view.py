"""A measure's dependencies (``reporting.v1.Dependencies``) as JSON data and as text."""

from __future__ import annotations

from typing import Any

from report_views.tables import render_table


def _lines(lines: Any) -> list[dict[str, Any]]:
    return [{"measure_id": int(d.measure_id), "name": str(d.name)} for d in lines]


def dependencies_json(found: Any) -> dict[str, Any]:
    """``{"measure_id", "depends_on": [...], "depended_on_by": [...]}``."""
    return {
        "measure_id": int(found.measure_id),
        "depends_on": _lines(found.depends_on),
        "depended_on_by": _lines(found.depended_on_by),
    }


def _section(title: str, lines: Any) -> list[str]:
    if not lines:
        return [f"{title}: ingen"]
    rows = [[str(d.measure_id), str(d.name)] for d in lines]
    return [f"{title}:", render_table(["Nr", "Tiltak"], rows, right=(0,))]


def dependencies_text(found: Any) -> str:
    """Both directions, each as a table."""
    return "\n".join(
        [
            f"Avhengigheter for tiltak {found.measure_id}",
            "",
            *_section("Avhenger av", found.depends_on),
            "",
            *_section("Andre tiltak som avhenger av dette", found.depended_on_by),
        ]
    )
