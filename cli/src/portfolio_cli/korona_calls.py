"""Calls to KoronaService several commands share: every page of a proposal list, the
category codes a file may use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eportfolio.korona.v1 import korona_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.caller import Caller
from portfolio_cli.clients import READ, Client, connect
from portfolio_cli.korona_rows import SHAPE_ONLY, Categories
from portfolio_cli.rpc import CallError, RetryPolicy
from portfolio_cli.shared_data import KORONA_CATEGORIES, korona_category_names

PAGE_SIZE = 500
"""The most ListProposals gives in one page."""
MAX_PAGES = 10_000
ONE_TRY = RetryPolicy(attempts=1, deadline_s=5.0)
"""For polling and optional look-ups: the next poll is the retry."""
IDEMPOTENT = RetryPolicy(attempts=6, deadline_s=10.0)
"""Commands the service takes once whatever is repeated (every command carries an
idempotency key; AddToNetList is also idempotent by title): any lost call may be repeated."""


async def all_proposals(
    client: Client,
    caller: Caller | None,
    *,
    state: korona_pb2.ProposalState.ValueType = korona_pb2.PROPOSAL_STATE_UNSPECIFIED,
    category_code: str = "",
    working_group: str = "",
    policy: RetryPolicy = READ,
) -> tuple[list[Any], int]:
    """Every ``ProposalSummary`` ListProposals gives for the filter, page by page, and the
    total it reports."""
    found: list[Any] = []
    total = 0
    token = ""
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        request = korona_pb2.ListProposalsRequest(
            state=state,
            category_code=category_code,
            working_group=working_group,
            page_size=PAGE_SIZE,
            page_token=token,
        )
        page = await client.call("ListProposals", request, caller, policy)
        found.extend(page.proposals)
        total = int(page.total)
        token = str(page.next_page_token)
        if not token or token in seen:
            break
        seen.add(token)
    return found, total


def _from_shared(shared: Path | None) -> Categories | None:
    if shared is None:
        return None
    names = korona_category_names(shared)
    if not names:
        return None
    return Categories(frozenset(names), f"{shared / 'data' / KORONA_CATEGORIES}")


async def load_categories(korona: str, caller: Caller | None, shared: Path | None) -> Categories:
    """The category codes: from korona's ListCategories; when korona cannot say, from the
    shared directory's ``data/korona-categories-*.tsv``; else only the codes' shape."""
    try:
        async with connect("korona", korona) as client:
            answer = await client.call(
                "ListCategories", korona_pb2.ListCategoriesRequest(), caller, ONE_TRY
            )
    except CallError:
        answer = None
    codes = frozenset(str(c.code) for c in answer.categories) if answer is not None else None
    if codes:
        return Categories(codes, f"korona at {korona}")
    return _from_shared(shared) or SHAPE_ONLY
