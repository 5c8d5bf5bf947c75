"""One child process kept alive: restarted with backoff whenever it dies, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portfolio_cli.stack_config import RestartPolicy

_PR_SET_PDEATHSIG = 1
_prctl: Any = None
if sys.platform == "linux":  # children get SIGTERM if the supervisor itself is killed
    with contextlib.suppress(OSError, AttributeError):
        _prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def describe_exit(code: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL``."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ManagedProcess:
    """A supervised child process.

    :meth:`start` starts it; whenever it exits, it is started again after a pause
    that doubles from the policy's first delay up to its maximum, and is reset once
    a run lasted ``reset_after_s``. :meth:`stop` sends SIGTERM, waits, then SIGKILLs.
    Output (stdout and stderr) is appended to ``log_path``.
    """

    def __init__(
        self,
        *,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        policy: RestartPolicy,
        say: Callable[[str], None],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self.command = tuple(command)
        self.env = dict(env)
        self.log_path = log_path
        self.policy = policy
        self.say = say
        self.on_change = on_change
        self.starts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._started_at = 0.0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """Process id while it runs, else None."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def restarts(self) -> int:
        """How many times it was started after the first start."""
        return max(self.starts - 1, 0)

    async def start(self) -> None:
        """Start the process (a failure to start is retried like a crash) and watch it."""
        if self._task is not None:
            raise RuntimeError(f"{self.name} was started already")
        await self._spawn()
        self._task = asyncio.create_task(self._watch(), name=f"watch-{self.name}")

    async def stop(self, grace_s: float) -> None:
        """SIGTERM, wait up to ``grace_s``, then SIGKILL; no restarts afterwards."""
        self._stopping.set()
        self.send(signal.SIGTERM)
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            self.say(f"{self.name} did not stop within {grace_s:g} s; killing it")
            self.send(signal.SIGKILL)
            await self._task

    def send(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process if it runs."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)

    async def _spawn(self) -> bool:
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("ab") as log:
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                log.write(
                    f"=== {stamp} supervisor starts {self.name}:"
                    f" {' '.join(self.command)}\n".encode()
                )
                log.flush()
                self._process = await asyncio.create_subprocess_exec(
                    *self.command,
                    env=self.env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
        except OSError as exc:
            self.say(f"could not start {self.name}: {exc}")
            self._process = None
            return False
        self._started_at = asyncio.get_running_loop().time()
        if self._stopping.is_set():  # stop() came while we were starting it
            self.send(signal.SIGTERM)
        self.on_change()
        return True

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.policy.first_delay_s
        while True:
            process = self._process
            if process is not None:
                code = await process.wait()
                uptime = loop.time() - self._started_at
                self._process = None
                self.on_change()
                if self._stopping.is_set():
                    return
                if uptime >= self.policy.reset_after_s:
                    delay = self.policy.first_delay_s
                self.say(
                    f"{self.name} stopped ({describe_exit(code)}) after {uptime:.1f} s;"
                    f" restarting in {delay:g} s (log: {self.log_path})"
                )
            elif self._stopping.is_set():
                return
            else:
                self.say(f"retrying {self.name} in {delay:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            delay = min(delay * 2, self.policy.max_delay_s)
            await self._spawn()
