"""Busy is not damaged. Opening needs no write lock; a write waits (bounded) for another
writer and tells who listens that it waits; a lock held past the bound is reported as busy
("try again"), never as damage, and nothing is changed or lost.

No test here depends on timing: every lock is held until the test itself frees it (waits
are cut short only to keep the refusals fast; their outcome does not depend on them)."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from sqlalchemy import create_engine

from tests.adapters.helpers import held_by_another_process, held_here
from warroom.__main__ import main
from warroom.adapters.sql.migrations import migrate
from warroom.adapters.sql.sqlite import database as database_module
from warroom.adapters.sql.sqlite.database import StoreError, open_database
from warroom.bootstrap import incident_service
from warroom.services.incidents import WriteFailed


@pytest.fixture(autouse=True)
def short_waits(monkeypatch):
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(database_module, "WRITE_ATTEMPT_MS", 20, raising=False)
    monkeypatch.setattr(database_module, "OPEN_WAIT_SECONDS", 0.2, raising=False)
    monkeypatch.setattr(database_module, "WRITE_WAIT_SECONDS", 0.3, raising=False)


@pytest.fixture
def one_incident(service, db, db_path):
    incident = service.declare("Checkout 500s", "P1")
    db.dispose()
    return incident


def stored_notes(path):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT text FROM timeline_event WHERE kind = 'note'")]


def test_opening_and_listing_while_another_process_writes(one_incident, db_path, capsys):
    with held_by_another_process(db_path):
        opened = open_database(db_path)
        opened.dispose()
        code = main(["--data-dir", str(db_path.parent), "list"])
        out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "Checkout 500s" in out


def test_a_file_locked_even_against_readers_is_busy_not_damaged(one_incident, db_path, capsys):
    before = db_path.read_bytes()
    with held_by_another_process(db_path, "exclusive"):
        with pytest.raises(StoreError) as refused:
            open_database(db_path)
        code = main(["--data-dir", str(db_path.parent), "list"])
        err = capsys.readouterr().err
    assert refused.value.kind == StoreError.BUSY
    assert f"another warroom is writing to {db_path}" in str(refused.value)
    assert "try again" in str(refused.value)
    assert code == 3
    assert f"another warroom is writing to {db_path}" in err
    assert "damaged" not in err.replace("not damaged", "") and "restore" not in err
    assert db_path.read_bytes() == before


def test_a_migration_that_cannot_get_the_lock_is_busy_and_changes_nothing(tmp_path):
    path = tmp_path / "data" / "warroom.db"
    path.parent.mkdir(mode=0o700)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as conn:
        migrate(conn, target=1)  # an old warroom's file, due for a migration
        conn.exec_driver_sql("PRAGMA application_id=0")
    engine.dispose()
    with held_here(path):
        before = path.read_bytes()
        with pytest.raises(StoreError) as refused:
            open_database(path)
        assert refused.value.kind == StoreError.BUSY
        assert path.read_bytes() == before
        assert not list((path.parent / "backups").glob("*")), "no backup for a busy file"
    open_database(path).dispose()  # once the other writer is done, it migrates


def test_a_write_waits_for_the_other_writer_and_loses_nothing(one_incident, db_path):
    from warroom.adapters.sql.sqlite.database import open_database as reopen
    from warroom.domain.clock import FakeClock

    database = reopen(db_path)
    service = incident_service(database, FakeClock(one_incident.declared_at), actor="b")
    heard: list[bool] = []
    try:
        with held_here(db_path) as release:

            def waiting(now_waiting: bool) -> None:
                heard.append(now_waiting)
                if now_waiting:
                    release()  # the other writer finishes while we wait

            service.when_waiting(waiting)
            service.add_note(one_incident.id, "written while the other window wrote")
    finally:
        database.dispose()
    assert heard == [True, False]
    assert stored_notes(db_path) == ["written while the other window wrote"]


def test_a_write_that_waits_too_long_is_refused_as_busy_and_saves_nothing(one_incident, db_path):
    from warroom.domain.clock import FakeClock

    database = open_database(db_path)
    service = incident_service(database, FakeClock(one_incident.declared_at), actor="b")
    heard: list[bool] = []
    service.when_waiting(heard.append)
    try:
        with held_here(db_path), pytest.raises(WriteFailed) as refused:
            service.add_note(one_incident.id, "never saved")
    finally:
        database.dispose()
    assert heard == [True, False]
    message = refused.value.message
    assert message.startswith("Nothing was saved: another warroom is writing to")
    assert "try again" in message
    assert stored_notes(db_path) == []
