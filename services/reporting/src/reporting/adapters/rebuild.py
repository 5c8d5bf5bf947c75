"""Rebuilding the projections from the events, with progress for the caller.

The reporting consumer is asked to replay: between two batches the read model and its
tracking records are emptied, and every assigned partition is read again from the
beginning. Progress is how far the consumer has read of what the topics held when the
rebuild began; it is done when it has read all of it and applied its last batch.

A request carries an idempotency key: one with the key of the last rebuild started does not
start another, it follows that one (its progress, or at once "done"), so a caller whose
stream broke can ask again without emptying the read model a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

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
        self._key = ""
        """The key of the last rebuild started ("" for none or a request without one)."""
        self._ends: dict[Any, int] = {}
        """What the topics held when it began: how far it must read."""

    def attach(self, consumers: list[TrackedConsumer]) -> None:
        """The runtime's hook: remember the consumer that feeds the read model."""
        self.consumer = consumers[0] if consumers else None

    async def rebuild(self, poll_s: float = 0.2, key: str = "") -> AsyncIterator[Progress]:
        consumer = self.consumer
        if consumer is None:
            raise RuntimeError("reporting is not consuming yet; try again shortly")
        if key and key == self._key:  # a retry: follow the rebuild this key started
            async for progress in self._watch(consumer, self._ends, poll_s):
                yield progress
            return
        if self._running.locked():
            raise RuntimeError("a rebuild is running already")
        async with self._running:
            store = self.store
            ends = await consumer.replay(lambda: store.reset(consumer.group_id))
            self._key, self._ends = key, ends
            async for progress in self._watch(consumer, ends, poll_s):
                yield progress

    @staticmethod
    async def _watch(
        consumer: TrackedConsumer, ends: dict[Any, int], poll_s: float
    ) -> AsyncIterator[Progress]:
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
