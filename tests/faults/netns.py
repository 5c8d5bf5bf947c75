"""A network namespace joined to the host by a veth pair, and partitions made with iptables.

For RELIABILITY.md R11: one service runs inside the namespace (``ip netns exec``) and
reaches the broker and the database on the host side of the veth pair; rules in the
namespace's own iptables (so the host's rules are never touched) cut it off. Everything
is removed by :func:`namespace`'s exit, whatever happened: the namespace (with its
rules and its end of the pair, which takes the host end with it).
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


@dataclass(frozen=True)
class Namespace:
    name: str
    host_ip: str
    """The host's address on the pair: where the broker and the database listen."""
    ns_ip: str
    """The namespace's address: where the service inside listens."""

    @property
    def exec_prefix(self) -> str:
        return f"ip netns exec {self.name}"

    def _rule(self, action: str, port: int, target: str) -> list[str]:
        rule = ["ip", "netns", "exec", self.name, "iptables", action, "OUTPUT", "-p", "tcp"]
        rule += ["-d", self.host_ip, "--dport", str(port), "-j", target]
        if target == "REJECT":
            rule += ["--reject-with", "tcp-reset"]
        return rule

    def cut(self, port: int, target: str = "DROP") -> None:
        """Drop (silently) or reject (with a reset) what the namespace sends to ``port``."""
        _run(*self._rule("-A", port, target))

    def heal(self, port: int, target: str = "DROP") -> None:
        _run(*self._rule("-D", port, target))


@contextlib.contextmanager
def namespace() -> Iterator[Namespace]:
    """A fresh namespace with a unique name and a private /30; removed on exit."""
    tag = f"{os.getpid() % 10000}{random.randrange(100):02d}"
    name, host_if, ns_if = f"r11ns{tag}", f"r11h{tag}", f"r11n{tag}"
    subnet = random.randrange(0, 63) * 4
    third = random.randrange(1, 250)
    host_ip, ns_ip = f"10.231.{third}.{subnet + 1}", f"10.231.{third}.{subnet + 2}"
    try:
        _run("ip", "netns", "add", name)
        _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _run("ip", "link", "set", ns_if, "netns", name)
        _run("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
        _run("ip", "link", "set", host_if, "up")
        _run("ip", "netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        _run("ip", "netns", "exec", name, "ip", "link", "set", ns_if, "up")
        _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield Namespace(name, host_ip, ns_ip)
    finally:
        with contextlib.suppress(Exception):
            _run("ip", "link", "del", host_if)
        with contextlib.suppress(Exception):
            _run("ip", "netns", "del", name)
