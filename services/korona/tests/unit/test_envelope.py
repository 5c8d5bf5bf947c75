"""The funding envelope's rules, over random sequences of changes and as stored events."""

from __future__ import annotations

import random

import pytest

from backbone.errors import ConflictError, ValidationError
from korona.domain import FundingEnvelope
from korona.domain.envelope import Change

TOTAL = 80_000_000


def an_envelope() -> FundingEnvelope:
    return FundingEnvelope("korona-2020", "Koronaporteføljen 2020", TOTAL)


@pytest.mark.parametrize("seed", range(20))
def test_no_sequence_of_changes_breaks_the_rules(seed: int) -> None:
    rng = random.Random(seed)
    env = an_envelope()
    refused = 0
    for i in range(300):
        change = rng.choice(list(Change))
        proposal = rng.choice(["a", "b", "c"])
        amount = rng.choice([1, 1_000_000, 5_000_000, 20_000_000, 40_000_000])
        try:
            env.change(change, proposal, amount, "test", key=f"k{i}")
        except ConflictError:
            refused += 1
        assert env.allocated_nok <= TOTAL
        assert env.left_nok == TOTAL - env.allocated_nok >= 0
        for line in env.lines.values():
            assert 0 <= line["paid"] <= line["committed"] <= line["allocated"]
    assert refused > 0, "the sequence must try to break the rules"
    # Replaying the stored events gives the same envelope.
    replayed = None
    for event in env.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.lines == env.lines
    assert replayed.allocated_nok == env.allocated_nok


def test_a_key_seen_before_changes_nothing() -> None:
    env = an_envelope()
    assert env.change(Change.ALLOCATE, "a", 10, "first", key="same")
    assert not env.change(Change.ALLOCATE, "a", 10, "first", key="same")
    assert env.allocated_nok == 10
    with pytest.raises(ConflictError, match="another change"):
        env.change(Change.ALLOCATE, "a", 11, "first", key="same")


def test_a_change_needs_an_amount_and_a_reason() -> None:
    env = an_envelope()
    with pytest.raises(ValidationError) as bad:
        env.change(Change.ALLOCATE, "a", 0, " ", key="")
    assert [v.field for v in bad.value.violations] == ["amount_nok", "reason"]


def test_each_event_says_the_totals_after_it() -> None:
    env = an_envelope()
    env.change(Change.ALLOCATE, "a", 30, "tildelt", key="1")
    env.change(Change.ALLOCATE, "b", 20, "tildelt", key="2")
    env.change(Change.COMMIT, "b", 5, "kontrakt", key="3")
    last = env.collect_events()[-1]
    assert last.totals == {"allocated": 50, "committed": 5, "paid": 0}
    assert last.line == {"allocated": 20, "committed": 5, "paid": 0}
