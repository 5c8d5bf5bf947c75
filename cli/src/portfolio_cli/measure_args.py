"""Command-line values of the measure commands: criteria, segments, colours, times.

Each parser raises ValueError with a message for the user; used as a Typer ``parser``,
that becomes a usage error (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portfolio_cli.caller import Role
from report_views.colours import Colour, parse_colour
from report_views.money import parse_mnok

KNOWN_CRITERIA: dict[str, tuple[str, ...]] = {
    "2020": ("digitalisation", "several_actors", "reuse_or_national"),
}
"""Criteria sets the CLI checks before sending; other versions are left to the server."""
_YES = frozenset({"yes", "y", "ja", "j", "true"})
_NO = frozenset({"no", "n", "nei", "false"})
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class CriterionAnswer:
    """The office's verdict on one criterion: met or not, and why."""

    criterion: str
    met: bool
    reason: str = ""


def parse_criterion(text: str) -> CriterionAnswer:
    """``KEY=yes|no[:REASON]``, e.g. ``digitalisation=yes:Ny løsning for e-resept``."""
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise ValueError(
            f"a criterion is KEY=yes|no[:REASON], e.g. digitalisation=yes; got {text!r}"
        )
    answer, _, reason = rest.partition(":")
    verdict = answer.strip().casefold()
    if verdict in _YES:
        met = True
    elif verdict in _NO:
        met = False
    else:
        raise ValueError(f"criterion {key}: say yes or no, got {answer.strip()!r}")
    return CriterionAnswer(key, met, reason.strip())


def check_criteria(version: str, answers: Sequence[CriterionAnswer]) -> list[str]:
    """Problems with a set of answers: duplicates, and for a known criteria version
    unknown or missing criteria."""
    keys = [a.criterion for a in answers]
    problems = [f"criterion {k} is given twice" for k in sorted(set(keys)) if keys.count(k) > 1]
    expected = KNOWN_CRITERIA.get(version)
    if expected is not None:
        problems += [
            f"criterion {k!r} is not in criteria version {version} (use {', '.join(expected)})"
            for k in keys
            if k not in expected
        ]
        problems += [f"criterion {k} is missing" for k in expected if k not in keys]
    return problems


def parse_role(text: str) -> Role:
    """office, agency, auditor, working_group or proposer (any case; ``-`` for ``_``)."""
    try:
        return Role(text.strip().casefold().replace("-", "_"))
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {text!r}; use {roles}") from None


def parse_report_colour(text: str) -> Colour:
    """A colour a status report must have: Grønn/Gul/Rød or green/yellow/red."""
    colour = parse_colour(text)
    if colour is None:
        raise ValueError("give a colour: Grønn, Gul or Rød (or green, yellow, red)")
    return colour


def parse_timestamp(text: str) -> str:
    """An RFC 3339 time with its offset (``2020-04-15T12:00:00Z``), returned as given."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.upper():
        raise ValueError(
            f"a time is RFC 3339 with an offset, e.g. 2020-04-15T12:00:00Z; got {text!r}"
        )
    return value


def parse_budget(text: str) -> int:
    """A budget in million NOK ("32", "1,5") as whole kroner."""
    amount = parse_mnok(text)
    if amount is None:
        raise ValueError("give the budget in million NOK, e.g. 32 or 1,5")
    return amount
