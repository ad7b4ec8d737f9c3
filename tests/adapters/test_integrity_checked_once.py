"""SQLite's quick check reads every page of the file (about 170 ms for a 100 MB one), so a
start runs it once: a file this process found intact, and that has not changed since, is not
read through again when it is opened. A file that changed after its check is checked again,
and a damaged one is refused with the same message as ever."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.adapters.sql.sqlite import recognise
from warroom.adapters.sql.sqlite.database import StoreError, open_database
from warroom.adapters.sql.sqlite.quick_read import opens_as_is
from warroom.bootstrap import LocalBackend
from warroom.system.paths import resolve_paths

A_MINUTE_AGO = -60


@pytest.fixture
def quick_checks(monkeypatch) -> Iterator[list[str]]:
    """The name of the thread of every `PRAGMA quick_check` SQLite runs meanwhile, on any
    connection, with nothing remembered from earlier tests."""
    seen: list[str] = []
    real_connect = sqlite3.connect

    def traced(sql: str) -> None:
        if "quick_check" in sql.lower():
            seen.append(threading.current_thread().name)

    def connect(*args, **kwargs) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)
        connection.set_trace_callback(traced)
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)
    monkeypatch.setattr(recognise, "_intact", {})
    monkeypatch.setattr(recognise, "_ahead", {})
    yield seen


@pytest.fixture
def settled_file(service, db, db_path) -> Path:
    """A closed database with a few incidents, last written a minute ago."""
    for n in range(20):
        incident = service.declare(f"Incident {n}", "P2", impact="y" * 400)
        service.add_note(incident.id, "z" * 300)
    db.dispose()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _written(db_path, A_MINUTE_AGO)
    return db_path


def _written(path: Path, seconds_from_now: float) -> None:
    """Sets the mtime of the database and its -wal, as though last written then."""
    moment = time.time() + seconds_from_now
    for name in (str(path), f"{path}-wal"):
        if os.path.exists(name):
            os.utime(name, (moment, moment))


def test_a_file_found_intact_and_unchanged_is_not_checked_again(settled_file, quick_checks):
    assert opens_as_is(settled_file)
    assert len(quick_checks) == 1
    open_database(settled_file).dispose()
    assert len(quick_checks) == 1


def test_opening_checks_on_a_thread_of_its_own_while_sqlalchemy_loads(
    settled_file, quick_checks, clock, policy
):
    # As the GUI starts: the board from the quick read, then the open after the paint.
    backend = LocalBackend(resolve_paths(settled_file.parent))
    board = backend.quick_board(settled_file)
    assert board is not None and len(board[0]) == 20
    opened = backend.open(settled_file, clock, "Dana", policy)
    try:
        assert quick_checks == ["warroom-quick-check"]
        assert len(opened.services.incidents.list_incidents()) == 20
    finally:
        opened.dispose()


def test_a_file_the_cli_found_intact_is_not_checked_again_when_the_verb_opens_it(
    settled_file, quick_checks, clock, policy
):
    # `show ID --json` of an incident that is not there: the quick read checked the file,
    # then the normal path opens it to say so.
    assert opens_as_is(settled_file)
    backend = LocalBackend(resolve_paths(settled_file.parent))
    backend.open(settled_file, clock, "Dana", policy).dispose()
    assert quick_checks == ["MainThread"]


def test_the_check_ahead_creates_no_file_beside_the_database(settled_file, quick_checks):
    assert not Path(f"{settled_file}-wal").exists()
    recognise.check_ahead(settled_file)
    assert recognise.checked_intact(settled_file, wait=10)
    assert quick_checks == ["warroom-quick-check"]
    assert sorted(p.name for p in settled_file.parent.iterdir() if p.is_file()) == [
        settled_file.name
    ]
    open_database(settled_file).dispose()
    assert len(quick_checks) == 1


def test_a_file_changed_after_its_check_is_checked_again(settled_file, quick_checks):
    assert opens_as_is(settled_file)
    with sqlite3.connect(settled_file) as conn:  # another warroom's write
        conn.execute("UPDATE incident SET title = 'Renamed' WHERE id = 1")
    open_database(settled_file).dispose()
    assert len(quick_checks) == 2


def test_a_file_written_just_before_its_check_is_checked_again(
    settled_file, quick_checks, monkeypatch
):
    # Written within the filesystem clock's tick of the check: a write after it could leave
    # the mtime as it was, so that check proves nothing about the file later on. (The tick
    # is stretched, so that a slow machine still checks within it.)
    monkeypatch.setattr(recognise, "_SETTLED_FINE_NS", 60 * 1_000_000_000)
    _written(settled_file, -1.5)
    assert opens_as_is(settled_file)
    open_database(settled_file).dispose()
    assert len(quick_checks) == 2


def test_a_file_damaged_after_its_check_is_refused_with_the_same_message(
    settled_file, quick_checks, monkeypatch
):
    assert opens_as_is(settled_file)
    data = settled_file.read_bytes()
    page = 4096
    damaged = data[:page] + os.urandom(page) + data[2 * page :]  # same size, same inode
    settled_file.write_bytes(damaged)
    with pytest.raises(StoreError) as refused:
        open_database(settled_file)
    assert len(quick_checks) == 2
    monkeypatch.setattr(recognise, "_intact", {})  # as a start that never checked it
    with pytest.raises(StoreError) as refused_afresh:
        open_database(settled_file)
    assert refused.value.kind == StoreError.DAMAGED
    assert str(refused.value) == str(refused_afresh.value)
    assert settled_file.read_bytes() == damaged


def test_a_damaged_file_shown_on_the_board_is_still_refused_when_opened(
    settled_file, quick_checks, clock, policy
):
    data = settled_file.read_bytes()
    page = 4096
    damaged = data[: 2 * page] + os.urandom(page) + data[3 * page :]
    settled_file.write_bytes(damaged)
    _written(settled_file, A_MINUTE_AGO)
    backend = LocalBackend(resolve_paths(settled_file.parent))
    backend.quick_board(settled_file)  # may or may not find a board: the check says
    with pytest.raises(StoreError) as refused:
        backend.open(settled_file, clock, "Dana", policy)
    assert refused.value.kind == StoreError.DAMAGED
    assert str(settled_file) in str(refused.value)
    assert settled_file.read_bytes() == damaged


def test_a_check_that_read_past_the_log_is_not_kept_when_there_is_one(settled_file, quick_checks):
    writer = sqlite3.connect(settled_file)  # another warroom, its commit still in the -wal
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("UPDATE incident SET title = 'Renamed' WHERE id = 1")
        writer.commit()
        _written(settled_file, A_MINUTE_AGO)
        assert Path(f"{settled_file}-wal").stat().st_size > 0
        immutable = f"{settled_file.absolute().as_uri()}?immutable=1"
        with contextlib.closing(sqlite3.connect(immutable, uri=True)) as conn:
            assert recognise.quick_check(conn, settled_file, reads_log=False) == "ok"
        assert not recognise.checked_intact(settled_file, wait=0)
    finally:
        writer.close()


def test_how_long_a_file_must_have_settled_follows_its_filesystems_clock():
    second = 1_000_000_000
    now = 1_800_000_000 * second
    db = (1, 2, 4096, 0)

    def stamped(mtime: int, wal_size: int = 0, wal_mtime: int = 0) -> recognise.FileIdentity:
        wal = ((1, 3, wal_size, wal_mtime), b"") if wal_size or wal_mtime else None
        return (db[:3] + (mtime,), wal)

    fine = now - 500_000_000 + 1234  # ext4: ticks of a few ms
    assert recognise._settled(stamped(fine), now)
    assert not recognise._settled(stamped(now - 50_000_000 + 1234), now)
    assert not recognise._settled(stamped(now - second), now)  # FAT: 2 s apart
    assert recognise._settled(stamped(now - 2 * second), now)
    assert not recognise._settled(stamped(fine, wal_size=4128, wal_mtime=now - 1234), now)
    assert recognise._settled(stamped(fine, wal_size=0, wal_mtime=now - 1234), now)
