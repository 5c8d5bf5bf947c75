"""Where things are: the var directory and the gRPC address of each service."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from portfolio_cli.stackfile import StackState, read_state, stack_file

SERVICE_NAMES = ("intake", "assessment", "korona", "reporting")
DEFAULT_GRPC_PORT_BASE = 50051
DEFAULT_METRICS_PORT_BASE = 9101
DEFAULT_WEB_PORT = 8088
LOCALHOST = "127.0.0.1"


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$PORTFOLIO_VAR_DIR``, else ``./var``."""
    env = os.environ if environ is None else environ
    return Path(env.get("PORTFOLIO_VAR_DIR") or "var")


def live_state(directory: Path) -> StackState | None:
    """The stack file of a running stack in ``directory``; None if absent, corrupt or stale."""
    try:
        state = read_state(stack_file(directory))
    except (ValueError, OSError):
        return None
    if state is None or not state.supervisor_running():
        return None
    return state


def service_address(
    name: str, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The gRPC address of service ``name``.

    In order: ``explicit`` (a command-line option), what a running ``portfolio stack
    run`` wrote in ``var/run/stack.json``, ``$PORTFOLIO_<NAME>_ADDR``, the default port.
    """
    if explicit:
        return explicit
    env = os.environ if environ is None else environ
    state = live_state(var_dir(env))
    entry = state.service(name) if state else None
    if entry is not None and entry.grpc:
        return entry.grpc
    from_env = env.get(f"PORTFOLIO_{name.upper()}_ADDR")
    if from_env:
        return from_env
    return f"{LOCALHOST}:{DEFAULT_GRPC_PORT_BASE + SERVICE_NAMES.index(name)}"
