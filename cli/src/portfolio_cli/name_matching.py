"""Matches rows of one table to the measures of another when the names differ slightly.

Two rounds, each one to one:

1. **By name.** A row's most similar candidate (see :mod:`portfolio_cli.similarity`) is
   accepted when the name similarity reaches THRESHOLD, the row's next candidate is at
   least MARGIN behind, and no other row claims the same candidate within MARGIN. The
   responsible agency confirms or breaks ties: the same agency adds a little, another
   agency takes off more (a different agency is accepted only for an identical name).
2. **By agency and strategic area** (optional). Of the rows and candidates left over, a
   row and a candidate of the same agency and the same strategic area, whose names share
   a word stem, are matched when each is the other's only such partner. This pairs
   "Akson - forberedelse" with "Akson" and "Legemiddelprogrammet" with "Digitalisering av
   legemiddelområdet" (both Direktoratet for e-helse, 1.1 and 2.2 respectively).

Everything else is reported with its closest candidates and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from portfolio_cli.similarity import name_similarity, same_agency, same_area, shares_stem

THRESHOLD = 0.85
"""Lowest name similarity (0..1) accepted as the same measure in the first round."""
MARGIN = 0.04
"""How much better than the runner-up (either way) a first-round match must be."""
SAME_AGENCY_BONUS = 0.05
OTHER_AGENCY_PENALTY = 0.15
CLOSEST_SHOWN = 3


class Method(StrEnum):
    """How a match was found."""

    NAME = "name"
    AGENCY_AND_AREA = "agency+area"


@dataclass(frozen=True)
class Candidate:
    """Something a row may name: its id, name, responsible agency and strategic area."""

    key: int
    name: str
    agency: str
    area: str = ""


@dataclass(frozen=True)
class Query:
    """A row to match: its line in the file, name, agency and strategic area."""

    line: int
    name: str
    agency: str
    area: str = ""


@dataclass(frozen=True)
class Scored:
    """A candidate's similarity to a row: by name alone, and whether the agency agrees."""

    candidate: Candidate
    similarity: float
    agency_match: bool

    @property
    def score(self) -> float:
        """The similarity adjusted for the agency, used to rank and decide."""
        if self.agency_match:
            return self.similarity + SAME_AGENCY_BONUS
        return self.similarity - OTHER_AGENCY_PENALTY


@dataclass(frozen=True)
class Match:
    """A row matched to one candidate, and how."""

    query: Query
    best: Scored
    method: Method = Method.NAME


@dataclass(frozen=True)
class NoMatch:
    """A row without an acceptable, unique match: the closest candidates and why."""

    query: Query
    closest: tuple[Scored, ...]
    reason: str


@dataclass(frozen=True)
class Matching:
    """The outcome of matching every row against every candidate (rows in input order)."""

    matched: list[Match]
    unmatched: list[NoMatch]


def rank(query: Query, candidates: Sequence[Candidate]) -> list[Scored]:
    """Every candidate scored against ``query``, best first (ties by key)."""
    scored = [
        Scored(c, name_similarity(query.name, c.name), same_agency(query.agency, c.agency))
        for c in candidates
    ]
    return sorted(scored, key=lambda s: (-s.score, s.candidate.key))


def match_all(
    queries: Sequence[Query], candidates: Sequence[Candidate], *, by_context: bool = True
) -> Matching:
    """Match each row to at most one candidate and each candidate to at most one row
    (round 2 only when ``by_context``)."""
    ranked = {q.line: rank(q, candidates) for q in queries}
    claims: dict[int, list[tuple[float, int]]] = {}
    for q in queries:
        top = ranked[q.line][:1]
        if top and top[0].similarity >= THRESHOLD:
            claims.setdefault(top[0].candidate.key, []).append((top[0].score, q.line))
    found: dict[int, Match] = {}
    reasons: dict[int, str] = {}
    for q in queries:
        reason = _why_not(q, ranked[q.line], claims)
        if reason:
            reasons[q.line] = reason
        else:
            found[q.line] = Match(q, ranked[q.line][0])
    if by_context:
        found.update(_by_context(queries, candidates, ranked, found))
    matched = [found[q.line] for q in queries if q.line in found]
    unmatched = [
        NoMatch(q, tuple(ranked[q.line][:CLOSEST_SHOWN]), reasons[q.line])
        for q in queries
        if q.line not in found
    ]
    return Matching(matched, unmatched)


def _why_not(
    query: Query, options: list[Scored], claims: dict[int, list[tuple[float, int]]]
) -> str:
    """Why the row's best candidate is not accepted by name; empty when it is."""
    if not options:
        return "nothing to match against"
    best = options[0]
    if best.similarity < THRESHOLD:
        return f"no name similar enough (best {best.similarity:.2f} < {THRESHOLD:.2f})"
    if not best.agency_match and best.similarity < 1.0:
        return f"the closest name belongs to another agency ({best.candidate.agency})"
    if len(options) > 1 and best.score - options[1].score < MARGIN:
        other = options[1].candidate
        return f"as close to {other.key} {other.name!r} as to {best.candidate.key}"
    rivals = [(s, line) for s, line in claims[best.candidate.key] if line != query.line]
    if rivals:
        score, line = max(rivals)
        if score > best.score - MARGIN:
            how = "better" if score > best.score else "as well"
            return f"line {line} matches {best.candidate.key} {how}"
    return ""


def _by_context(
    queries: Sequence[Query],
    candidates: Sequence[Candidate],
    ranked: dict[int, list[Scored]],
    found: dict[int, Match],
) -> dict[int, Match]:
    """Round 2: leftover rows and candidates that are each other's only partner of the
    same agency and strategic area with a shared word stem."""
    taken = {m.best.candidate.key for m in found.values()}
    rows = [q for q in queries if q.line not in found]
    free = [c for c in candidates if c.key not in taken]

    def partners(q: Query) -> list[Candidate]:
        return [
            c
            for c in free
            if same_agency(q.agency, c.agency)
            and same_area(q.area, c.area)
            and shares_stem(q.name, c.name)
        ]

    options = {q.line: partners(q) for q in rows}
    wanted_by: dict[int, list[int]] = {}
    for line, chosen in options.items():
        for c in chosen:
            wanted_by.setdefault(c.key, []).append(line)
    extra: dict[int, Match] = {}
    for q in rows:
        chosen = options[q.line]
        if len(chosen) == 1 and wanted_by[chosen[0].key] == [q.line]:
            scored = next(s for s in ranked[q.line] if s.candidate.key == chosen[0].key)
            extra[q.line] = Match(q, scored, Method.AGENCY_AND_AREA)
    return extra
