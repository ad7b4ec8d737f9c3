"""Backups: taken safely, kept rolling, restored without losing the file they replace."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta

import pytest

from warroom.adapters.sql.sqlite.backup import (
    BackupError,
    backup_due,
    daily_backup,
    list_backups,
    restore_backup,
    take_backup,
)
from warroom.adapters.sql.sqlite.database import open_database


def titles(path):
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT title FROM incident ORDER BY id")]


def test_a_backup_is_an_intact_private_copy(service, db_path, clock, tmp_path):
    service.declare("Before the backup", "P1")
    made = take_backup(db_path, tmp_path / "backups", "manual", clock.now())
    assert titles(made) == ["Before the backup"]
    with sqlite3.connect(made) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert made.stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_only_the_last_n_backups_are_kept(service, db_path, clock, tmp_path):
    folder = tmp_path / "backups"
    made = []
    for _ in range(5):
        clock.advance(minutes=1)
        made.append(take_backup(db_path, folder, "manual", clock.now(), keep=3))
    assert list_backups(folder) == list(reversed(made[-3:]))


def test_a_daily_backup_is_taken_once_a_day(service, db_path, clock):
    folder = db_path.parent / "backups"
    assert backup_due(folder, clock.now())
    first = daily_backup(db_path, clock.now())
    assert first is not None
    os.utime(first, (clock.now().timestamp(),) * 2)
    assert daily_backup(db_path, clock.now() + timedelta(hours=23)) is None
    assert daily_backup(db_path, clock.now() + timedelta(hours=25)) is not None


def test_restore_brings_back_the_backup_and_keeps_the_current_file(
    service, db, db_path, clock, tmp_path
):
    service.declare("Kept in the backup", "P2")
    made = take_backup(db_path, tmp_path / "elsewhere", "manual", clock.now())
    service.declare("Declared after the backup", "P1")
    db.dispose()
    clock.advance(minutes=1)
    kept = restore_backup(db_path, made, clock.now())
    assert not os.path.exists(f"{db_path}-wal")  # an old log must not replay into it
    assert titles(db_path) == ["Kept in the backup"]
    assert titles(kept) == ["Kept in the backup", "Declared after the backup"]
    reopened = open_database(db_path)
    reopened.dispose()


def test_restore_refuses_a_file_that_is_not_a_warroom_database(db, db_path, tmp_path, clock):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 10)
    before = db_path.read_bytes()
    with pytest.raises(BackupError, match="not a warroom database: it is not an SQLite file"):
        restore_backup(db_path, junk, clock.now())
    assert db_path.read_bytes() == before


def test_restore_refuses_a_backup_from_a_newer_warroom(service, db_path, clock, tmp_path):
    newer = take_backup(db_path, tmp_path / "b", "manual", clock.now())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE warroom_schema SET version = 99")
    with pytest.raises(BackupError, match="newer warroom"):
        restore_backup(db_path, newer, clock.now())


def test_a_damaged_current_file_is_set_aside_byte_for_byte(service, db, db_path, clock, tmp_path):
    service.declare("Good data", "P2")
    made = take_backup(db_path, tmp_path / "b", "manual", clock.now())
    db.dispose()
    damaged = b"SQLite format 3\x00" + os.urandom(8192)
    db_path.write_bytes(damaged)
    kept = restore_backup(db_path, made, clock.now())
    assert kept.read_bytes() == damaged
    assert titles(db_path) == ["Good data"]
