"""Feedback to proposers, from templates (Norwegian bokmål: the proposers read it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backbone.errors import FieldViolation, ValidationError

TEMPLATES = {
    "received": (
        "Takk for forslaget «{title}». Det er registrert i koronaporteføljen og blir vurdert "
        "av en arbeidsgruppe. Vi gir deg beskjed når det er tatt en beslutning."
    ),
    "prioritised": (
        "Forslaget «{title}» er prioritert av prioriteringsstyret og tatt inn i nettolisten. "
        "{reason}"
    ),
    "not_prioritised": (
        "Forslaget «{title}» er vurdert, men ikke prioritert nå. {reason} Forslaget kan bli "
        "tatt opp igjen senere."
    ),
    "deferred": (
        "Beslutningen om forslaget «{title}» er utsatt. {reason} Vi tar det opp igjen og gir "
        "deg beskjed."
    ),
    "reopened": "Forslaget «{title}» er tatt opp igjen til vurdering. {reason}",
    "covered": ("Behovet forslaget «{title}» beskriver ser ut til å være dekket allerede: {text}"),
    "message": "{text}",
}
KINDS = tuple(TEMPLATES)


def overlap_note(overlaps: Sequence[dict[str, Any]]) -> str:
    """A sentence naming what already seems to cover the need, if anything does."""
    under_way = [o["title"] for o in overlaps if o.get("kind") in ("measure", "netlist")]
    if not under_way:
        return ""
    names = "», «".join(under_way[:3])
    return f" Behovet kan allerede være dekket av tiltak som er i gang: «{names}»."


def feedback_text(kind: str, title: str, reason: str = "", text: str = "") -> str:
    """The text for feedback ``kind``; ValidationError when it cannot be written."""
    template = TEMPLATES.get(kind)
    if template is None:
        raise ValidationError(
            FieldViolation("kind", f"unknown feedback {kind[:30]!r}; use one of {', '.join(KINDS)}")
        )
    if kind in ("message", "covered") and not text.strip():
        raise ValidationError(FieldViolation("text", f"is required for {kind} feedback"))
    return " ".join(template.format(title=title, reason=reason.strip(), text=text.strip()).split())
