"""Rebuilding the projections from the events, with progress for the caller.

The reporting consumer is asked to replay: between two batches the read model and its
tracking records are emptied, and every assigned partition is read again from the
beginning. Progress is how far the consumer has read of what the topics held when the
rebuild began; it is done when it has read all of it and applied its last batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from backbone.consumer import TrackedConsumer
from reporting.store import ReadModelStore


@dataclass(frozen=True)
class Progress:
    read: int
    total: int
    done: bool


class Rebuilder:
    """Knows the store and, once it runs, the consumer that feeds it."""

    def __init__(self, store: ReadModelStore) -> None:
        self.store = store
        self.consumer: TrackedConsumer | None = None
        self._running = asyncio.Lock()

    def attach(self, consumers: list[TrackedConsumer]) -> None:
        """The runtime's hook: remember the consumer that feeds the read model."""
        self.consumer = consumers[0] if consumers else None

    async def rebuild(self, poll_s: float = 0.2) -> AsyncIterator[Progress]:
        consumer = self.consumer
        if consumer is None:
            raise RuntimeError("reporting is not consuming yet; try again shortly")
        if self._running.locked():
            raise RuntimeError("a rebuild is running already")
        async with self._running:
            store = self.store
            ends = await consumer.replay(lambda: store.reset(consumer.group_id))
            total = sum(ends.values())
            while True:
                positions = await consumer.fetch_positions(list(ends))
                read = sum(min(positions.get(tp, 0), end) for tp, end in ends.items())
                if read >= total:
                    await asyncio.sleep(poll_s)  # the last batch reaches the handler
                    await consumer.idle()
                    yield Progress(total, total, done=True)
                    return
                yield Progress(read, total, done=False)
                await asyncio.sleep(poll_s)
