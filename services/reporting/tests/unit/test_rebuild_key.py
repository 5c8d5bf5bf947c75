"""A rebuild asked for again with its idempotency key is followed, never started twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reporting.adapters.rebuild import Progress, Rebuilder


class FakeConsumer:
    """Reads one message per look at its positions; counts the replays it was asked for."""

    group_id = "reporting"

    def __init__(self, retained: int) -> None:
        self.retained = retained
        self.replays = 0
        self.read = 0

    async def replay(self, reset: Callable[[], None]) -> dict[str, int]:
        self.replays += 1
        self.read = 0
        reset()
        return {"t:0": self.retained}

    async def fetch_positions(self, partitions: list[str]) -> dict[str, int]:
        self.read = min(self.read + 1, self.retained)
        return {"t:0": self.read}

    async def idle(self) -> None:
        return None


class FakeStore:
    def __init__(self) -> None:
        self.resets = 0

    def reset(self, group: str) -> None:
        self.resets += 1


async def progress_of(rebuilder: Rebuilder, key: str) -> list[Progress]:
    return [p async for p in rebuilder.rebuild(poll_s=0, key=key)]


@pytest.fixture
def parts() -> tuple[Rebuilder, FakeConsumer, FakeStore]:
    store = FakeStore()
    rebuilder = Rebuilder(store)  # type: ignore[arg-type]
    consumer = FakeConsumer(retained=3)
    rebuilder.attach([consumer])  # type: ignore[list-item]
    return rebuilder, consumer, store


async def test_the_same_key_again_answers_done_without_emptying_the_read_model(
    parts: tuple[Rebuilder, FakeConsumer, FakeStore],
) -> None:
    rebuilder, consumer, store = parts
    first = await progress_of(rebuilder, "k-1")
    assert first[-1] == Progress(3, 3, done=True)
    again = await progress_of(rebuilder, "k-1")
    assert again == [Progress(3, 3, done=True)]
    assert (consumer.replays, store.resets) == (1, 1)
    await progress_of(rebuilder, "k-2")
    assert (consumer.replays, store.resets) == (2, 2), "another key is another rebuild"


async def test_a_retry_follows_the_running_rebuild_and_a_new_one_is_refused(
    parts: tuple[Rebuilder, FakeConsumer, FakeStore],
) -> None:
    rebuilder, consumer, _ = parts
    running: Any = rebuilder.rebuild(poll_s=0, key="k-1")
    assert (await running.__anext__()).done is False
    followed = await progress_of(rebuilder, "k-1")
    assert followed[-1].done and consumer.replays == 1
    with pytest.raises(RuntimeError, match="running already"):
        await progress_of(rebuilder, "k-2")
    await running.aclose()
    without_key = await progress_of(rebuilder, "")
    assert without_key[-1].done and consumer.replays == 2
    await progress_of(rebuilder, "")
    assert consumer.replays == 3, "no key: every request is a rebuild of its own"
