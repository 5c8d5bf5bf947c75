"""The stack supervisor on free ports with a temporary var directory and stand-in processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from portfolio_cli.ports import accepts_connections, free_tcp_ports, wait_for_port
from portfolio_cli.stack import StackError, Supervisor
from portfolio_cli.stack_config import (
    BrokerSpec,
    RestartPolicy,
    ServiceSpec,
    StackConfig,
    broker_binary,
    broker_command,
)
from portfolio_cli.stackfile import read_state

pytestmark = pytest.mark.integration

FAST = RestartPolicy(first_delay_s=0.05, max_delay_s=0.2, reset_after_s=30.0)
SHORT_LIVED = (sys.executable, "-c", "import time; time.sleep(0.2)")
LONG_LIVED = (sys.executable, "-c", "import time; time.sleep(60)")
STUBBORN = (
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
)


def a_config(
    var_dir: Path, *commands: tuple[str, ...], broker: BrokerSpec | None = None
) -> StackConfig:
    ports = free_tcp_ports(2 * len(commands))
    services = tuple(
        ServiceSpec(
            name=f"svc{i}", command=command, grpc_port=ports[2 * i], metrics_port=ports[2 * i + 1]
        )
        for i, command in enumerate(commands)
    )
    return StackConfig(
        var_dir=var_dir,
        services=services,
        kafka_bootstrap=broker.address if broker else "127.0.0.1:1",
        broker=broker,
        database="none",
        base_env=dict(os.environ),
        restart=FAST,
        stop_grace_s=1.0,
        ready_timeout_s=0.5,
        health_poll_s=0.1,
    )


async def until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_process_that_dies_is_restarted_and_the_stack_file_follows(tmp_path: Path) -> None:
    supervisor = Supervisor(a_config(tmp_path, SHORT_LIVED), say=lambda _: None)
    await supervisor.start()
    process = supervisor.services["svc0"]
    first_pid = process.pid
    await until(lambda: process.starts >= 3)
    await until(lambda: process.pid not in (None, first_pid))
    state = read_state(supervisor.config.stack_file)
    assert state is not None
    assert state.supervisor_pid == os.getpid()
    await until(
        lambda: (
            (s := read_state(supervisor.config.stack_file)) is not None
            and s.services[0].pid == process.pid
        )
    )
    await supervisor.stop()
    assert not supervisor.config.stack_file.exists()
    assert "supervisor starts svc0" in (tmp_path / "log" / "svc0.log").read_text()


async def test_the_restart_pause_doubles_up_to_the_maximum(tmp_path: Path) -> None:
    messages: list[str] = []
    supervisor = Supervisor(a_config(tmp_path, (sys.executable, "-c", "pass")), say=messages.append)
    await supervisor.start()
    await until(lambda: supervisor.services["svc0"].starts >= 5)
    await supervisor.stop()
    pauses = [m.split("restarting in ")[1].split(" s")[0] for m in messages if "restarting" in m]
    assert pauses[:4] == ["0.05", "0.1", "0.2", "0.2"]


async def test_a_command_that_cannot_start_is_retried(tmp_path: Path) -> None:
    messages: list[str] = []
    supervisor = Supervisor(a_config(tmp_path, (str(tmp_path / "missing"),)), say=messages.append)
    await supervisor.start()
    await until(lambda: supervisor.services["svc0"].starts >= 2)
    await supervisor.stop()
    assert any("could not start svc0" in m for m in messages)


async def test_stop_kills_a_process_that_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    supervisor = Supervisor(a_config(tmp_path, STUBBORN, LONG_LIVED), say=lambda _: None)
    await supervisor.start()
    pids = [p.pid for p in supervisor.services.values()]
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await supervisor.stop()
    assert time.monotonic() - started < 5
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_run_returns_zero_when_told_to_stop(tmp_path: Path) -> None:
    supervisor = Supervisor(a_config(tmp_path, LONG_LIVED), say=lambda _: None)
    stop = asyncio.Event()
    running = asyncio.create_task(supervisor.run(stop))
    await until(supervisor.config.stack_file.exists)
    stop.set()
    assert await running == 0
    assert not supervisor.config.stack_file.exists()


async def test_a_port_in_use_stops_the_stack_from_starting(tmp_path: Path) -> None:
    config = a_config(tmp_path, LONG_LIVED)
    server = await asyncio.start_server(
        lambda r, w: None, "127.0.0.1", config.services[0].grpc_port
    )
    config.stack_file.parent.mkdir(parents=True)
    config.stack_file.write_text("{}")  # as if another stack ran in this var dir
    messages: list[str] = []
    try:
        with pytest.raises(StackError, match=str(config.services[0].grpc_port)):
            await Supervisor(config, say=messages.append).start()
        assert await Supervisor(config, say=messages.append).run(asyncio.Event()) == 1
        assert config.stack_file.read_text() == "{}"
        assert "is `make run` running already?" in messages[-1]
    finally:
        server.close()
        await server.wait_closed()


async def test_the_embedded_broker_is_started_and_restarted_when_it_dies(tmp_path: Path) -> None:
    (port,) = free_tcp_ports(1)
    broker = BrokerSpec(broker_command(broker_binary(), port), port)
    supervisor = Supervisor(a_config(tmp_path, LONG_LIVED, broker=broker), say=lambda _: None)
    await supervisor.start()
    try:
        assert supervisor.broker is not None
        assert await accepts_connections("127.0.0.1", port)
        first_pid = supervisor.broker.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        await until(
            lambda: supervisor.broker is not None and supervisor.broker.pid not in (None, first_pid)
        )
        assert await wait_for_port("127.0.0.1", port, 10)
        state = read_state(supervisor.config.stack_file)
        assert state is not None
        assert state.broker_pid == supervisor.broker.pid
        assert state.broker == f"127.0.0.1:{port}"
    finally:
        await supervisor.stop()
    assert not await accepts_connections("127.0.0.1", port)
