"""The banner ``portfolio stack run`` prints once the stack is up: where everything is."""

from __future__ import annotations

from collections.abc import Mapping

from portfolio_cli.stack_config import StackConfig

TRY_COMMAND = ".venv/bin/portfolio report portfolio --period 2020-03 --format json"


def banner(config: StackConfig, healthy: Mapping[str, bool]) -> str:
    """A few lines naming each service's addresses, the broker, the database and the logs."""
    width = max(len(s.name) for s in config.services)
    lines = ["", "ePortfolio is running. Ctrl-C stops it.", ""]
    for spec in config.services:
        state = (
            "healthy"
            if healthy.get(spec.name)
            else (f"NOT healthy yet, see {config.log_dir / spec.name}.log")
        )
        lines.append(
            f"  {spec.name.ljust(width)}  gRPC {spec.grpc_address}"
            f"  metrics {spec.metrics_url}  ({state})"
        )
    if config.broker is not None:
        broker = (
            f"{config.broker.address} (embedded Tansu, in memory;"
            f" log {config.log_dir / 'broker.log'})"
        )
    else:
        broker = f"{config.kafka_bootstrap} (external)"
    pages = [
        f"  report    {s.web_url}  (the report in a browser)" for s in config.services if s.web_url
    ]
    lines += [
        "",
        *pages,
        f"  Kafka     {broker}",
        f"  database  {config.database}",
        f"  logs      {config.log_dir}",
        f"  state     {config.stack_file}",
        "",
        "  Try:",
        f"    {TRY_COMMAND}",
        "    .venv/bin/portfolio status",
        "",
    ]
    return "\n".join(lines)
