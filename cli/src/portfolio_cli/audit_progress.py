"""Progress of long replays on stderr: ``assessment: 12 000 / 40 000 records``.

Shown when stderr is a terminal (one line, rewritten in place) or always with
``--progress`` (a line now and then, and the last count). Nothing goes to stdout, so
``--format json`` stays clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

INTERVAL_S = 0.5
"""At most one line (or rewrite) this often, besides the first and the last."""


def grouped(number: int) -> str:
    """A count the Norwegian way: ``12 000``."""
    return f"{number:,}".replace(",", " ")


def wanted(requested: bool, stream: TextIO | None = None) -> bool:
    """Progress is shown with ``--progress``, or when stderr is a terminal."""
    stream = stream if stream is not None else sys.stderr
    if requested:
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


class Progress:
    """Counts the items of one replay and says how far it has come."""

    def __init__(
        self,
        label: str,
        unit: str,
        total: int | None = None,
        *,
        enabled: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.unit = unit
        self.total = total if total else None
        self.count = 0
        self.enabled = enabled
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._last: float | None = None
        isatty = getattr(self._stream, "isatty", None)
        self._in_place = bool(isatty()) if callable(isatty) else False
        self._shown = False

    def text(self) -> str:
        """``assessment: 12 000 / 40 000 records`` (without a total: ``12 000 records``)."""
        done = grouped(self.count)
        if self.total is not None:
            return f"{self.label}: {done} / {grouped(max(self.total, self.count))} {self.unit}"
        return f"{self.label}: {done} {self.unit}"

    def step(self, count: int = 1) -> None:
        """``count`` more items arrived."""
        self.count += count
        if not self.enabled:
            return
        now = self._clock()
        if self._last is None or now - self._last >= INTERVAL_S:
            self._last = now
            self._show()

    def done(self) -> None:
        """The replay is over: the last count, and the line ended."""
        if not self.enabled:
            return
        self._show()
        if self._in_place:
            print(file=self._stream, flush=True)
        self._shown = False

    def abort(self) -> None:
        """The replay failed: end a line rewritten in place, so the error starts its own."""
        if self.enabled and self._in_place and self._shown:
            print(file=self._stream, flush=True)
        self._shown = False

    def _show(self) -> None:
        if self._in_place:
            print(f"\r{self.text()}\x1b[K", end="", file=self._stream, flush=True)
        else:
            print(self.text(), file=self._stream, flush=True)
        self._shown = True
