"""TCP ports: pick free ones, tell whether one is taken, wait until one accepts."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

LOCALHOST = "127.0.0.1"


def free_tcp_ports(count: int, host: str = LOCALHOST) -> list[int]:
    """``count`` distinct TCP ports that were free on ``host`` a moment ago."""
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_tcp_port(host: str = LOCALHOST) -> int:
    """One TCP port that was free on ``host`` a moment ago."""
    return free_tcp_ports(1, host)[0]


def port_in_use(port: int, host: str = LOCALHOST) -> bool:
    """True when something listens on ``host:port`` (so a server could not bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


async def accepts_connections(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when a TCP connection to ``host:port`` succeeds within ``timeout_s``."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def wait_for_port(host: str, port: int, timeout_s: float, poll_s: float = 0.1) -> bool:
    """Wait until ``host:port`` accepts connections; False if it does not within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await accepts_connections(host, port, min(1.0, timeout_s)):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll_s)
