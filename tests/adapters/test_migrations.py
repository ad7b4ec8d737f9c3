"""Schema versions: new files get the latest schema, old files are backed up then migrated,
and files warroom cannot safely use are refused with their path, untouched."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import warroom.adapters.sql.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from warroom.adapters.sql.migrations import LATEST_VERSION, current_version, migrate
from warroom.adapters.sql.sqlite.backup import backup_name
from warroom.adapters.sql.sqlite.database import StoreError, open_database
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Role, Status
from warroom.domain.severity import Severity

MIGRATED_AT = datetime(2026, 11, 22, 15, 30, 45, tzinfo=UTC)
MODEL_TABLES = {
    "change_log",
    "incident",
    "timeline_event",
    "draft",
    "mitigation",
    "wizard_progress",
    "postmortem",
    "action_item",
    "evidence_item",
    "evidence_artifact",
    "evidence_link",
    "custody_entry",
    "evidence_chunk",
}


def schema_of(bind):
    """Per table: column name -> (type, nullable); plus indexes and foreign keys."""
    inspector = inspect(bind)
    return {
        table: {
            "columns": {
                c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            },
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
        }
        for table in MODEL_TABLES
    }


def schema_of_models(dialect):
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables if t.name in MODEL_TABLES}
    assert set(tables) == MODEL_TABLES
    return {
        name: {
            "columns": {
                c.name: (str(c.type.compile(dialect=dialect)), c.nullable) for c in table.columns
            },
            "indexes": sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes),
            "foreign_keys": sorted(
                ((fk.parent.name,), fk.column.table.name) for fk in table.foreign_keys
            ),
        }
        for name, table in tables.items()
    }


def version_of(path):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0]


def file_state(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# -- fresh files -----------------------------------------------------------------------------


def test_fresh_database_has_the_latest_schema_matching_the_models(tmp_path):
    path = tmp_path / "warroom.db"
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            assert current_version(conn) == LATEST_VERSION
        tables = set(inspect(db.engine).get_table_names())
        assert tables == MODEL_TABLES | {"warroom_schema"}
        live = schema_of(db.engine)
        expected = schema_of_models(db.engine.dialect)
        for table in MODEL_TABLES:
            assert set(live[table]["columns"]) == set(expected[table]["columns"]), table
        assert live == expected
    finally:
        db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # incident data is private


def test_migrate_reports_what_it_did(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'steps.db'}")
    try:
        with engine.begin() as conn:
            assert migrate(conn, target=1) == (0, 1)
        with engine.begin() as conn:
            assert migrate(conn) == (1, LATEST_VERSION)
        with engine.begin() as conn:
            assert migrate(conn) == (LATEST_VERSION, LATEST_VERSION)
            assert current_version(conn) == LATEST_VERSION
    finally:
        engine.dispose()


# -- an older file ------------------------------------------------------------------------------


def make_v1_database(path):
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            migrate(conn, target=1)
            conn.execute(
                text(
                    "INSERT INTO incident (id, title, severity, status, impact, impact_started_at,"
                    " detected_at, declared_at, acknowledged_at, mitigated_at, resolved_at,"
                    " severity_changed_at, last_update_at, commander, tech_lead, comms_lead,"
                    " scribe) VALUES (7, 'Expired TLS certificate', 'P1', 'active',"
                    " 'Billing calls fail', '2026-11-20T08:48:00.000000+00:00',"
                    " '2026-11-20T08:55:00.000000+00:00', '2026-11-20T09:00:00.500000+00:00',"
                    " '2026-11-20T09:04:00.000000+00:00', NULL, NULL, NULL,"
                    " '2026-11-20T09:20:00.000000+00:00', 'Priya Raman', 'Sam Okafor', '', '')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO timeline_event (id, incident_id, kind, at, recorded_at, actor,"
                    " text, data) VALUES (1, 7, 'declared', '2026-11-20T09:00:00.500000+00:00',"
                    " '2026-11-20T09:00:00.500000+00:00', 'Priya Raman',"
                    " 'Declared P1: Expired TLS certificate', '{\"severity\": \"P1\"}')"
                )
            )
    finally:
        engine.dispose()


def test_v1_file_is_backed_up_then_migrated_with_data_preserved(tmp_path):
    path = tmp_path / "warroom.db"
    make_v1_database(path)
    assert version_of(path) == 1

    db = open_database(path, now=MIGRATED_AT)
    try:
        with db.engine.connect() as conn:
            assert current_version(conn) == LATEST_VERSION
        assert schema_of(db.engine) == schema_of_models(db.engine.dialect)
        service = incident_service(db, FakeClock(MIGRATED_AT), actor="Lee Chen")
        incident = service.get(7)
        assert incident.title == "Expired TLS certificate"
        assert incident.severity is Severity.P1
        assert incident.status is Status.ACTIVE
        assert incident.impact == "Billing calls fail"
        assert incident.declared_at == datetime(2026, 11, 20, 9, 0, 0, 500000, tzinfo=UTC)
        assert incident.acknowledged_at == datetime(2026, 11, 20, 9, 4, tzinfo=UTC)
        assert incident.last_update_at == datetime(2026, 11, 20, 9, 20, tzinfo=UTC)
        assert incident.roles == {Role.COMMANDER: "Priya Raman", Role.TECH_LEAD: "Sam Okafor"}
        assert incident.is_drill is False
        [event] = service.timeline(7)
        assert event.kind is EventKind.DECLARED
        assert event.data == {"severity": "P1"}
        # The migrated file is fully usable.
        service.add_note(7, "after the upgrade")
        assert service.declare("New one", "P3", is_drill=True).id == 8
    finally:
        db.dispose()

    backups = list((tmp_path / "backups").iterdir())
    expected = tmp_path / "backups" / backup_name(f"before-v{LATEST_VERSION}", MIGRATED_AT)
    assert backups == [expected]
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    with contextlib.closing(sqlite3.connect(expected)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0] == 1
        columns = {row[1] for row in conn.execute("PRAGMA table_info(incident)")}
        assert "is_drill" not in columns
        assert conn.execute("SELECT id, title FROM incident").fetchall() == [
            (7, "Expired TLS certificate")
        ]
        assert conn.execute("SELECT COUNT(*) FROM timeline_event").fetchone()[0] == 1


# -- files warroom must refuse ------------------------------------------------------------------


def test_file_from_a_newer_warroom_is_refused(tmp_path):
    path = tmp_path / "warroom.db"
    open_database(path).dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE warroom_schema SET version = ?", (LATEST_VERSION + 1,))
    with pytest.raises(StoreError, match="newer") as caught:
        open_database(path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert version_of(path) == LATEST_VERSION + 1
    assert not (tmp_path / "backups").exists()


def test_non_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "warroom.db"
    path.write_bytes(b"hello world" * 100)
    before = file_state(tmp_path)
    with pytest.raises(StoreError) as caught:
        open_database(path)
    assert caught.value.path == path
    message = str(caught.value)
    assert str(path) in message
    assert "not an SQLite file" in message
    assert "untouched" in message
    assert file_state(tmp_path) == before  # same bytes; no -wal, -shm or backup beside it


def test_corrupt_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "warroom.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\x01" * 500)
    before = file_state(tmp_path)
    with pytest.raises(StoreError) as caught:
        open_database(path)
    assert str(path) in str(caught.value)
    assert file_state(tmp_path) == before


def test_unwritable_data_folder_is_refused_naming_it(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            # Running as root, permission bits do not bind; a folder that cannot even be
            # created (its parent is a regular file) is the same failure for the user.
            (tmp_path / "afile").write_text("not a folder")
            folder = tmp_path / "afile" / "sub"
        with pytest.raises(StoreError) as caught:
            open_database(folder / "warroom.db")
        assert caught.value.path == folder
        assert str(folder) in str(caught.value)
    finally:
        (tmp_path / "locked").chmod(0o700)
