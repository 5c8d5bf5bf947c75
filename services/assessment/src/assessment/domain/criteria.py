"""The inclusion criteria, by version (seed 004 §3): all must hold for inclusion.

Criteria change over time, so every assessment names the version it used. A new
version is added here; versions are never changed once used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    key: str
    text: str
    """As the directorate writes it (Norwegian)."""


CRITERIA_SETS: dict[str, tuple[Criterion, ...]] = {
    "2020": (
        Criterion("digitalisation", "Digitalisering er en vesentlig del av tiltaket"),
        Criterion(
            "several_actors", "Tiltaket har betydning for flere aktører som yter helsetjenester"
        ),
        Criterion(
            "reuse_or_national",
            "Tiltaket har stor gjenbruksverdi eller gjelder nasjonale løsninger",
        ),
    ),
}
CURRENT_CRITERIA = "2020"


def check_results(version: str, criteria: list[str]) -> list[str]:
    """Problems with an assessment's criteria: unknown version, missing or unknown criteria."""
    if version not in CRITERIA_SETS:
        return [f"unknown criteria version {version!r}; known: {', '.join(sorted(CRITERIA_SETS))}"]
    expected = [c.key for c in CRITERIA_SETS[version]]
    problems = [
        f"criterion {c!r} is not in criteria version {version}"
        for c in criteria
        if c not in expected
    ]
    problems += [f"criterion {c!r} is not assessed" for c in expected if c not in criteria]
    if len(set(criteria)) != len(criteria):
        problems.append("a criterion is assessed twice")
    return problems
