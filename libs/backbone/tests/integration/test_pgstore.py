"""backbone.pgstore on a real PostgreSQL: connections cut under the store, and the guard."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import OperationalError

from backbone.persistence import ServiceApplication, eventsourcing_env
from backbone.pgstore import GuardedDatastore, connection_lost
from backbone.settings import ServiceSettings
from backbone.testing import drop_schema, new_schema_name

pytestmark = pytest.mark.integration


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


class Notes(ServiceApplication):
    name = "notes"


@pytest.fixture
def app(postgres: str) -> Iterator[tuple[Notes, str]]:
    schema = new_schema_name("pgstore")
    settings = ServiceSettings(database_url=postgres, database_schema=schema)
    env = eventsourcing_env(settings, schema)
    env["POSTGRES_APPLICATION_NAME"] = f"portfolio-{schema}"
    notes = Notes(env=env)
    try:
        yield notes, f"portfolio-{schema}"
    finally:
        notes.close()
        drop_schema(postgres, schema)


def terminate(url: str, application_name: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


def test_writes_go_on_after_every_connection_is_killed(
    app: tuple[Notes, str], postgres: str
) -> None:
    notes, application_name = app
    first = Note("før")
    notes.save(first)
    datastore = notes.process_recorder.datastore  # type: ignore[attr-defined]
    assert isinstance(datastore, GuardedDatastore)
    for n in range(3):
        assert terminate(postgres, application_name) >= 1  # the pool and the probe
        note = Note(f"etter {n}")
        notes.save(note)
        assert notes.repository.get(note.id).text == f"etter {n}"
    assert notes.repository.get(first.id).text == "før"
    assert datastore.guard.available


def test_a_database_that_does_not_answer_fails_statements_at_once(postgres: str) -> None:
    schema = new_schema_name("pgstore")
    settings = ServiceSettings(database_url=postgres, database_schema=schema)
    env = eventsourcing_env(settings, schema)
    notes = Notes(env=env)
    try:
        datastore = notes.process_recorder.datastore  # type: ignore[attr-defined]
        assert isinstance(datastore, GuardedDatastore)
        # Point the probe and a fresh pool at a port nobody listens on: the database is away.
        datastore.guard._connection["port"] = "1"
        datastore._settings["port"] = "1"
        datastore.renew_pool()
        assert not datastore.guard.probe()
        with pytest.raises(OperationalError):
            notes.repository.get(uuid.uuid4())
        assert datastore.guard.outages == 1
    finally:
        notes.close()
        drop_schema(postgres, schema)


def test_connection_errors_are_told_from_statement_errors() -> None:
    def wrapped(cause: Exception) -> OperationalError:
        exc = OperationalError(str(cause))
        exc.__cause__ = cause
        return exc

    assert connection_lost(wrapped(psycopg.OperationalError("server closed the connection")))
    assert connection_lost(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert not connection_lost(wrapped(psycopg.errors.LockNotAvailable("lock timeout")))
    assert not connection_lost(wrapped(psycopg.errors.SerializationFailure("conflict")))
