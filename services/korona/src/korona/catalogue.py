"""What korona looks things up in: the proposals by state, category and working group (the
backlog), and the overlap index of earlier proposals, net-list measures and national-
portfolio measures.

Both are kept in memory and follow korona's own notification log: ``catch_up`` reads what
was stored since it last looked and reloads each aggregate it touched. The log is the only
source, so whichever process or consumer wrote an event, every reader sees it, and a
restart rebuilds everything from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from backbone.persistence import ServiceApplication
from korona.domain import KnownMeasure, Proposal
from korona.domain.proposal import State
from korona.overlap import Candidate, Match, OverlapIndex

BATCH = 1000


@dataclass(frozen=True)
class Summary:
    """One proposal as lists show it."""

    proposal_id: str
    title: str
    organisation: str
    category_code: str
    category_name: str
    state: State
    working_group: str
    received_at: datetime
    overlaps: int
    submitted_by: str


def proposal_text(p: Any) -> str:
    """The words a proposal is compared on."""
    return " ".join(x for x in (p.title, p.description, p.need) if x)


def proposal_key(proposal_id: str) -> str:
    return f"proposal:{proposal_id}"


def candidate_of(p: Proposal) -> Candidate:
    """A proposal as an overlap candidate: a net-list measure once prioritised."""
    kind = "netlist" if p.state is State.PRIORITISED else "proposal"
    return Candidate(
        key=proposal_key(p.proposal_id), kind=kind, title=p.title, text=proposal_text(p)
    )


class Catalogue:
    def __init__(self, app: ServiceApplication, index: OverlapIndex | None = None) -> None:
        self.app = app
        self.index = index or OverlapIndex()
        self._summaries: dict[str, Summary] = {}
        self._position = 0
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        """Read what was stored since the last look (cheap when nothing was)."""
        with self._lock:
            while True:
                notes = self.app.recorder.select_notifications(
                    start=self._position + 1, limit=BATCH
                )
                if not notes:
                    return
                touched: dict[UUID, None] = {}
                for n in notes:
                    touched[UUID(str(n.originator_id))] = None
                for aggregate_id in touched:
                    self._reload(aggregate_id)
                self._position = notes[-1].id

    def _reload(self, aggregate_id: UUID) -> None:
        try:
            aggregate: Any = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:  # pragma: no cover - the log names stored aggregates
            return
        if isinstance(aggregate, Proposal):
            self._summaries[aggregate.proposal_id] = Summary(
                proposal_id=aggregate.proposal_id,
                title=aggregate.title,
                organisation=aggregate.organisation,
                category_code=aggregate.category_code,
                category_name=aggregate.category_name,
                state=aggregate.state,
                working_group=aggregate.working_group,
                received_at=aggregate.received_at,
                overlaps=len(aggregate.overlaps),
                submitted_by=aggregate.submitted_by,
            )
            self.index.add(candidate_of(aggregate))
        elif isinstance(aggregate, KnownMeasure):
            self.index.add(
                Candidate(
                    key=f"measure:{aggregate.measure_id}",
                    kind="measure",
                    title=aggregate.name,
                    text=" ".join(x for x in (aggregate.name, aggregate.description) if x),
                )
            )

    def proposals(
        self, state: State | None = None, category_code: str = "", working_group: str = ""
    ) -> list[Summary]:
        """Proposals matching every filter given, oldest received first."""
        self.catch_up()
        with self._lock:
            found = [
                s
                for s in self._summaries.values()
                if (state is None or s.state is state)
                and (not category_code or s.category_code == category_code)
                and (not working_group or s.working_group == working_group)
            ]
        return sorted(found, key=lambda s: (s.received_at, s.proposal_id))

    def titles(self, proposal_ids: Iterable[str]) -> dict[str, str]:
        """The titles of the proposals named, where known."""
        self.catch_up()
        with self._lock:
            return {
                pid: self._summaries[pid].title for pid in proposal_ids if pid in self._summaries
            }

    def similar(
        self, text: str, *, exclude: str | None = None, limit: int | None = None
    ) -> list[Match]:
        self.catch_up()
        return self.index.similar(text, exclude=exclude, limit=limit)
