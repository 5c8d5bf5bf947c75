"""``var/run/stack.json``: where the running stack's processes are, for the other commands."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceEntry:
    """One service of the stack: its process id (None while down) and its addresses."""

    name: str
    pid: int | None
    grpc: str
    metrics: str
    web: str = ""


@dataclass(frozen=True)
class StackState:
    """What ``portfolio stack run`` writes about the stack it supervises."""

    services: list[ServiceEntry]
    broker: str
    started_at: str
    supervisor_pid: int | None = None
    broker_pid: int | None = None
    database: str = ""
    var_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON document."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> StackState:
        """Read the JSON document; ValueError when it does not have the expected shape."""
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            raise ValueError("expected an object with a list of services")
        try:
            services = [
                ServiceEntry(
                    name=str(s["name"]),
                    pid=_optional_int(s.get("pid")),
                    grpc=str(s["grpc"]),
                    metrics=str(s.get("metrics", "")),
                    web=str(s.get("web", "")),
                )
                for s in data["services"]
            ]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a service entry lacks {exc}") from exc
        return cls(
            services=services,
            broker=str(data.get("broker", "")),
            started_at=str(data.get("started_at", "")),
            supervisor_pid=_optional_int(data.get("supervisor_pid")),
            broker_pid=_optional_int(data.get("broker_pid")),
            database=str(data.get("database", "")),
            var_dir=str(data.get("var_dir", "")),
        )

    def service(self, name: str) -> ServiceEntry | None:
        """The entry of service ``name``, if the stack has it."""
        return next((s for s in self.services if s.name == name), None)

    def supervisor_running(self) -> bool:
        """False when the file names a supervisor process that is gone (a stale file)."""
        return self.supervisor_pid is None or pid_alive(self.supervisor_pid)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a process id, got {value!r}")
    return value


def pid_alive(pid: int) -> bool:
    """True when a process with id ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stack_file(var_dir: Path) -> Path:
    """Where the stack file of ``var_dir`` lives."""
    return var_dir / "run" / "stack.json"


def read_state(path: Path) -> StackState | None:
    """The stack state in ``path``; None when there is no file; ValueError when it is corrupt."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    return StackState.from_json(data)


def write_state(path: Path, state: StackState) -> None:
    """Replace ``path`` atomically (temporary file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state.to_json(), out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_state(path: Path) -> None:
    """Delete the stack file if it is there."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
