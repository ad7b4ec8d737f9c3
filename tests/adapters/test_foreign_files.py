"""A file that is not warroom's is recognised before anything is written to it: refused with
exit 3 and a message saying it is not a warroom database, byte for byte untouched (content,
mtime and mode; nothing created beside it; no backup). warroom's own files from before the
application id still open, and get the id."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from sqlalchemy import create_engine

from tests.adapters.conftest import STORE_T0
from tests.adapters.helpers import FOREIGN_SHAPES, folder_state
from warroom.__main__ import main
from warroom.adapters.sql.migrations import LATEST_VERSION, migrate
from warroom.adapters.sql.sqlite.database import StoreError, open_database
from warroom.adapters.sql.sqlite.quick_read import read_board
from warroom.adapters.sql.sqlite.recognise import APPLICATION_ID
from warroom.bootstrap import incident_service
from warroom.domain.clock import FakeClock


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    return folder


def _application_id(path):
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        return conn.execute("PRAGMA application_id").fetchone()[0]


@pytest.mark.parametrize("shape", sorted(FOREIGN_SHAPES))
def test_open_database_refuses_a_foreign_file_untouched(folder, shape):
    database = folder / "warroom.db"
    FOREIGN_SHAPES[shape](database)
    database.chmod(0o644)
    before = folder_state(folder)
    with pytest.raises(StoreError) as refused:
        open_database(database)
    assert refused.value.kind == StoreError.NOT_A_DATABASE
    assert f"{database} is not a warroom database" in str(refused.value)
    assert "left untouched" in str(refused.value)
    assert folder_state(folder) == before


@pytest.mark.parametrize("verb", [["list"], ["declare", "--title", "x", "--severity", "P1"]])
@pytest.mark.parametrize("shape", sorted(FOREIGN_SHAPES))
def test_the_cli_refuses_a_foreign_file_untouched(folder, shape, verb, capsys):
    database = folder / "warroom.db"
    FOREIGN_SHAPES[shape](database)
    before = folder_state(folder)
    assert main(["--data-dir", str(folder), *verb]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{database} is not a warroom database" in err
    assert "Traceback" not in err
    assert folder_state(folder) == before


def test_backup_refuses_a_foreign_file_and_backs_nothing_up(folder, capsys):
    database = folder / "warroom.db"
    FOREIGN_SHAPES["photo catalogue"](database)
    before = folder_state(folder)
    assert main(["--data-dir", str(folder), "backup"]) == 3
    assert "is not a warroom database" in capsys.readouterr().err
    assert folder_state(folder) == before


def test_the_quick_start_read_does_not_open_a_foreign_file(folder):
    database = folder / "warroom.db"
    FOREIGN_SHAPES["photo catalogue in WAL mode"](database)
    before = folder_state(folder)
    assert read_board(database) is None
    assert folder_state(folder) == before


def test_a_new_database_carries_warroom_s_application_id(folder):
    open_database(folder / "warroom.db").dispose()
    assert _application_id(folder / "warroom.db") == APPLICATION_ID
    header = (folder / "warroom.db").read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID


def _pre_id_file(path, version):
    """A warroom database as releases before the application id wrote it."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as conn:
        migrate(conn, target=version)
        conn.exec_driver_sql("PRAGMA application_id=0")
    engine.dispose()
    assert _application_id(path) == 0


@pytest.mark.parametrize("version", [1, LATEST_VERSION])
def test_a_warroom_file_from_before_the_id_opens_and_is_stamped(folder, version):
    database = folder / "warroom.db"
    _pre_id_file(database, version)
    opened = open_database(database, now=STORE_T0)
    try:
        service = incident_service(opened, FakeClock(STORE_T0), actor="dana")
        service.declare("Still works", "P2")
        assert [i.title for i in service.list_incidents()] == ["Still works"]
    finally:
        opened.dispose()
    assert _application_id(database) == APPLICATION_ID
    backups = sorted(p.name for p in (folder / "backups").glob("*.db"))
    # A real migration is backed up first; stamping the id alone changes nothing else.
    assert len(backups) == (1 if version < LATEST_VERSION else 0)


def test_a_new_file_stopped_before_its_first_table_is_still_warroom_s(folder):
    database = folder / "warroom.db"
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode=WAL")
    opened = open_database(database)
    try:
        incident_service(opened, FakeClock(STORE_T0)).declare("First", "P3")
    finally:
        opened.dispose()


def test_restoring_over_a_foreign_file_keeps_it_beside_never_among_backups(folder, tmp_path):
    from warroom.adapters.sql.sqlite.backup import backup_database, restore_backup

    ours = tmp_path / "ours" / "warroom.db"
    open_database(ours).dispose()
    backup = backup_database(ours, tmp_path / "saved.db")
    database = folder / "warroom.db"
    FOREIGN_SHAPES["photo catalogue"](database)
    foreign = database.read_bytes()
    kept = restore_backup(database, backup, STORE_T0)
    assert kept is not None and kept.parent == folder and kept.read_bytes() == foreign
    assert ".not-warroom-" in kept.name
    assert not (folder / "backups").exists()
    open_database(database).dispose()  # the restored file is warroom's
