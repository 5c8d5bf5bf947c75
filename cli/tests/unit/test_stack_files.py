"""The stack's configuration from the environment, its stack.json, and address lookup."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from portfolio_cli.locations import service_address
from portfolio_cli.ports import free_tcp_ports, port_in_use
from portfolio_cli.stack_config import ConfigError, default_config, redact_url
from portfolio_cli.stackfile import (
    ServiceEntry,
    StackState,
    read_state,
    remove_state,
    stack_file,
    write_state,
)


def a_state(supervisor_pid: int | None = None) -> StackState:
    return StackState(
        services=[
            ServiceEntry("intake", 10, "127.0.0.1:6001", "http://127.0.0.1:7001/metrics"),
            ServiceEntry("reporting", None, "127.0.0.1:6004", ""),
        ],
        broker="127.0.0.1:19092",
        started_at="2020-03-01T00:00:00+00:00",
        supervisor_pid=supervisor_pid,
    )


def test_the_default_stack_runs_four_services_on_consecutive_ports(tmp_path: Path) -> None:
    config = default_config(Path("var"), environ={}, cwd=tmp_path)
    assert [s.name for s in config.services] == ["intake", "assessment", "korona", "reporting"]
    assert [s.grpc_port for s in config.services] == [50051, 50052, 50053, 50054]
    assert [s.metrics_port for s in config.services] == [9101, 9102, 9103, 9104]
    assert config.services[0].command == (sys.executable, "-m", "intake")
    assert config.var_dir == (tmp_path / "var").resolve()


def test_each_service_gets_its_own_settings_and_sqlite_file(tmp_path: Path) -> None:
    config = default_config(Path("var"), environ={}, cwd=tmp_path)
    env = config.service("korona").env
    assert env["KORONA_DATABASE_URL"] == f"sqlite:///{config.var_dir}/korona.db"
    assert env["KORONA_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
    assert env["KORONA_GRPC_PORT"] == "50053"
    assert env["KORONA_METRICS_PORT"] == "9103"


def test_the_embedded_broker_runs_tansu_in_memory_on_the_kafka_port(tmp_path: Path) -> None:
    config = default_config(Path("var"), environ={"PORTFOLIO_KAFKA_PORT": "29092"}, cwd=tmp_path)
    assert config.broker is not None
    assert config.broker.command[0].endswith("/bin/tansu")
    assert "tcp://127.0.0.1:29092" in config.broker.command
    assert "memory://tansu/" in config.broker.command
    assert config.kafka_bootstrap == "127.0.0.1:29092"


def test_external_kafka_and_postgres_replace_the_embedded_ones(tmp_path: Path) -> None:
    environ = {
        "PORTFOLIO_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "PORTFOLIO_DATABASE_URL": "postgresql://u:secret@db:5432/portfolio",
    }
    config = default_config(Path("var"), environ=environ, cwd=tmp_path)
    assert config.broker is None
    env = config.service("intake").env
    assert env["INTAKE_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["INTAKE_DATABASE_URL"] == "postgresql://u:secret@db:5432/portfolio"
    assert "secret" not in config.database


def test_port_bases_move_every_service(tmp_path: Path) -> None:
    environ = {"PORTFOLIO_PORT_BASE": "41000", "PORTFOLIO_METRICS_PORT_BASE": "42000"}
    config = default_config(Path("var"), environ=environ, cwd=tmp_path)
    assert [s.grpc_port for s in config.services] == [41000, 41001, 41002, 41003]
    assert config.service("reporting").metrics_url == "http://127.0.0.1:42003/metrics"


@pytest.mark.parametrize(
    "environ",
    [
        {"PORTFOLIO_PORT_BASE": "abc"},
        {"PORTFOLIO_KAFKA_PORT": "70000"},
        {"PORTFOLIO_DATABASE_URL": "mysql://x"},
    ],
)
def test_a_bad_setting_is_a_config_error(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        default_config(Path("var"), environ=environ, cwd=tmp_path)


def test_the_seed_is_found_beside_the_repository_unless_told_otherwise(tmp_path: Path) -> None:
    repo = tmp_path / "main"
    seed = default_config(Path("var"), environ={}, cwd=repo).seed
    assert seed is not None
    assert seed.file == tmp_path / "shared" / "data" / "portfolio-2020-03.tsv"
    assert seed.marker == repo / "var" / "seeded-2020-03"
    assert seed.changes_file == tmp_path / "shared" / "data" / "portfolio-changes-2020-01-to-03.tsv"
    assert seed.segments_file.name == "segments-2020-trial.tsv"
    assert seed.candidates_file.name == "candidates-2021.tsv"
    assert seed.netlist_file == tmp_path / "shared" / "data" / "korona-nettoliste-2020.tsv"
    assert seed.netlist_marker == repo / "var" / "seeded-korona-nettoliste-2020"
    assert (seed.previous_period, seed.candidate_year) == ("2020-01", 2021)
    other = default_config(Path("var"), environ={"PORTFOLIO_SHARED_DIR": "/x"}, cwd=repo).seed
    assert other is not None
    assert other.file == Path("/x/data/portfolio-2020-03.tsv")
    assert default_config(Path("var"), seed=False, environ={}, cwd=repo).seed is None


def test_a_password_in_a_database_url_is_hidden() -> None:
    assert redact_url("postgresql://u:pw@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert redact_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_the_stack_file_is_written_and_read_back(tmp_path: Path) -> None:
    path = stack_file(tmp_path)
    write_state(path, a_state())
    assert read_state(path) == a_state()
    assert json.loads(path.read_text())["services"][0] == {
        "name": "intake",
        "pid": 10,
        "grpc": "127.0.0.1:6001",
        "metrics": "http://127.0.0.1:7001/metrics",
        "web": "",
    }
    assert [p.name for p in path.parent.iterdir()] == ["stack.json"]
    remove_state(path)
    assert read_state(path) is None


def test_a_corrupt_stack_file_is_an_error(tmp_path: Path) -> None:
    path = stack_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_state(path)


def test_addresses_come_from_the_option_then_the_stack_file_then_env_then_defaults(
    tmp_path: Path,
) -> None:
    environ = {"PORTFOLIO_VAR_DIR": str(tmp_path), "PORTFOLIO_INTAKE_ADDR": "env:1"}
    assert service_address("intake", None, environ) == "env:1"
    assert service_address("reporting", None, environ) == "127.0.0.1:50054"
    write_state(stack_file(tmp_path), a_state())
    assert service_address("intake", None, environ) == "127.0.0.1:6001"
    assert service_address("intake", "opt:2", environ) == "opt:2"


def test_a_stack_file_left_by_a_dead_supervisor_is_ignored(tmp_path: Path) -> None:
    dead_pid = 2**22 + 12345
    write_state(stack_file(tmp_path), a_state(supervisor_pid=dead_pid))
    environ = {"PORTFOLIO_VAR_DIR": str(tmp_path)}
    assert service_address("intake", None, environ) == "127.0.0.1:50051"


def test_free_ports_are_distinct_and_free() -> None:
    ports = free_tcp_ports(5)
    assert len(set(ports)) == 5
    assert not any(port_in_use(p) for p in ports)
