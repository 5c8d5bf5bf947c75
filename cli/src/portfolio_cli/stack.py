"""The supervisor behind ``make run``: the broker and the four services as child processes.

:class:`Supervisor` starts the embedded broker (unless Kafka is external) and waits
until it accepts connections, starts each service, restarts whatever dies (with
backoff), keeps ``var/run/stack.json`` current, prints a banner once the services are
healthy, seeds the portfolio's data files and the corona net list on first start, and
on stop sends SIGTERM to the services, SIGKILLs stragglers, then stops the broker and
removes the stack file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from portfolio_cli.banner import banner
from portfolio_cli.health import serving_map
from portfolio_cli.ports import free_tcp_port, free_tcp_ports, port_in_use, wait_for_port
from portfolio_cli.process import ManagedProcess
from portfolio_cli.seeding import SeedAddresses, seed_once
from portfolio_cli.stack_config import StackConfig
from portfolio_cli.stackfile import ServiceEntry, StackState, remove_state, write_state

__all__ = ["StackError", "Supervisor", "console", "free_tcp_port", "free_tcp_ports"]


class StackError(Exception):
    """The stack cannot start (e.g. a port it needs is taken)."""


def console(message: str) -> None:
    """Print a supervisor message with the time, at once."""
    print(f"{time.strftime('%H:%M:%S')} [stack] {message}", flush=True)


class Supervisor:
    """Runs a :class:`StackConfig`: start, keep alive, describe in stack.json, stop."""

    def __init__(self, config: StackConfig, say: Callable[[str], None] = console) -> None:
        self.config = config
        self.say = say
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.broker: ManagedProcess | None = None
        self.services: dict[str, ManagedProcess] = {}
        self.seeded: bool | None = None
        self._publishing = False
        self._background: list[asyncio.Task[None]] = []
        if config.broker is not None:
            self.broker = self._managed("broker", config.broker.command, config.base_env)
        for spec in config.services:
            env = {**config.base_env, **spec.env}
            self.services[spec.name] = self._managed(spec.name, spec.command, env)

    def _managed(
        self, name: str, command: tuple[str, ...], env: Mapping[str, str]
    ) -> ManagedProcess:
        return ManagedProcess(
            name=name,
            command=command,
            env=env,
            log_path=self.config.log_dir / f"{name}.log",
            policy=self.config.restart,
            say=self.say,
            on_change=self._publish,
        )

    # --- lifecycle ----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        """Run until ``stop`` is set; 0 after a clean stop, 1 if the stack could not start."""
        try:
            await self.start()
        except StackError as exc:
            self.say(f"cannot start: {exc}")
            await self.stop()
            return 1
        self._background.append(asyncio.create_task(self._announce_and_seed()))
        await stop.wait()
        self.say("stopping ...")
        await self.stop()
        self.say("stopped")
        return 0

    async def start(self) -> None:
        """Start the broker (and wait for its port), then the services; StackError if a
        port is taken."""
        busy = self.busy_ports()
        if busy:
            raise StackError(
                "these ports are in use: "
                + ", ".join(busy)
                + " (is `make run` running already? set PORTFOLIO_PORT_BASE,"
                " PORTFOLIO_METRICS_PORT_BASE or PORTFOLIO_KAFKA_PORT to use others)"
            )
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self._publishing = True
        broker = self.config.broker
        if self.broker is not None and broker is not None:
            self.say(f"starting the Kafka broker on {broker.address}")
            await self.broker.start()
            ready = await wait_for_port(
                broker.host, broker.port, self.config.broker_start_timeout_s
            )
            if not ready:
                self.say(
                    f"the broker does not accept connections on {broker.address} yet"
                    f" (log: {self.broker.log_path}); starting the services anyway"
                )
        for spec in self.config.services:
            self.say(f"starting {spec.name} (gRPC {spec.grpc_address})")
            await self.services[spec.name].start()
        self._publish()

    async def stop(self) -> None:
        """Stop the services (SIGTERM, grace, SIGKILL), then the broker; remove stack.json."""
        for task in self._background:
            task.cancel()
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()
        grace = self.config.stop_grace_s
        await asyncio.gather(*(p.stop(grace) for p in self.services.values()))
        if self.broker is not None:
            await self.broker.stop(grace)
        if self._publishing:  # never remove the file of another stack using this var dir
            self._publishing = False
            remove_state(self.config.stack_file)

    def kill_all(self) -> None:
        """SIGKILL every running child at once (a second Ctrl-C)."""
        for process in [*self.services.values(), *([self.broker] if self.broker else [])]:
            process.send(signal.SIGKILL)

    # --- state --------------------------------------------------------------------------

    def busy_ports(self) -> list[str]:
        """The ports the stack needs that something else listens on, described."""
        wanted: list[tuple[int, str]] = []
        if self.config.broker is not None:
            wanted.append((self.config.broker.port, "Kafka broker"))
        for spec in self.config.services:
            wanted += [
                (spec.grpc_port, f"{spec.name} gRPC"),
                (spec.metrics_port, f"{spec.name} metrics"),
            ]
            if spec.web_port is not None:
                wanted.append((spec.web_port, f"{spec.name} report pages"))
        return [f"{port} ({what})" for port, what in wanted if port_in_use(port)]

    def state(self) -> StackState:
        """The stack as stack.json describes it."""
        return StackState(
            services=[
                ServiceEntry(
                    spec.name,
                    self.services[spec.name].pid,
                    spec.grpc_address,
                    spec.metrics_url,
                    spec.web_url,
                )
                for spec in self.config.services
            ],
            broker=self.config.kafka_bootstrap,
            started_at=self.started_at,
            supervisor_pid=os.getpid(),
            broker_pid=self.broker.pid if self.broker else None,
            database=self.config.database,
            var_dir=str(self.config.var_dir),
        )

    def _publish(self) -> None:
        if not self._publishing:
            return
        try:
            write_state(self.config.stack_file, self.state())
        except OSError as exc:
            self.say(f"cannot write {self.config.stack_file}: {exc}")

    # --- readiness, banner, seed -------------------------------------------------------

    async def health(self) -> dict[str, bool]:
        """``{service: serving}`` by the gRPC health check."""
        return await serving_map((s.name, s.grpc_address) for s in self.config.services)

    async def wait_healthy(self, timeout_s: float | None) -> dict[str, bool]:
        """Poll the health checks until all services serve or ``timeout_s`` passes
        (None: no limit); the last result."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            healthy = await self.health()
            if all(healthy.values()):
                return healthy
            if deadline is not None and time.monotonic() >= deadline:
                return healthy
            await asyncio.sleep(self.config.health_poll_s)

    async def _announce_and_seed(self) -> None:
        healthy = await self.wait_healthy(self.config.ready_timeout_s)
        print(banner(self.config, healthy), flush=True)
        seed = self.config.seed
        if seed is None or seed.done:
            return
        if not all(healthy.values()):
            self.say("seeding waits until every service is healthy")
            await self.wait_healthy(None)
        try:
            addresses = SeedAddresses(
                intake=self.config.service("intake").grpc_address,
                assessment=self.config.service("assessment").grpc_address,
                korona=self.config.service("korona").grpc_address,
                reporting=self.config.service("reporting").grpc_address,
            )
            self.seeded = await seed_once(seed, addresses, say=self.say)
        except Exception as exc:  # keep running whatever the import did
            self.seeded = False
            self.say(
                f"seeding failed: {type(exc).__name__}: {exc}; it will be tried again at next start"
            )
        sys.stdout.flush()
