"""Fixtures every test suite shares: real brokers and databases, chosen per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backbone.testing import drop_schema, kafka_bootstrap, new_schema_name, postgres_url

os.environ.setdefault("PROMETHEUS_LEGACY_NAME_VALIDATION", "true")

REPO = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("PORTFOLIO_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert (SHARED / "data").is_dir(), f"../shared is needed beside the repository ({SHARED})"
    return SHARED


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """Bootstrap servers of a Kafka-protocol broker (Tansu locally)."""
    with kafka_bootstrap() as servers:
        yield servers


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    with postgres_url() as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database_url, schema) on each of the three stores; PostgreSQL gets a fresh schema."""
    if request.param == "memory":
        yield "memory:", ""
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db", ""
    else:
        url = request.getfixturevalue("postgres")
        schema = new_schema_name()
        yield url, schema
        drop_schema(url, schema)
