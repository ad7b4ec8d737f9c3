"""The data folder's mode is the user's: warroom creates a missing one private and never
changes one that exists (it warns when others can open it). Every file warroom writes is
put in place whole: a failure leaves the old file and no debris."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat

import pytest

from warroom.__main__ import main
from warroom.adapters.sql.sqlite import backup as backup_module
from warroom.adapters.sql.sqlite.backup import BackupError, backup_database
from warroom.adapters.sql.sqlite.database import open_database
from warroom.system import atomic


@pytest.mark.parametrize("mode", [0o1777, 0o2775, 0o755])
def test_an_existing_folder_keeps_its_mode_and_gets_a_warning(tmp_path, mode, capsys):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    database = open_database(folder / "warroom.db")
    database.dispose()
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    (warning,) = database.warnings
    assert f"{folder} is open to other users (mode {mode:04o})" in warning
    assert main(["--data-dir", str(folder), "declare", "--title", "x", "--severity", "P2"]) == 0
    assert main(["--data-dir", str(folder), "list"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"warroom: warning: The data folder {folder} is open to other users") == 2
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    assert stat.S_IMODE((folder / "warroom.db").stat().st_mode) == 0o600


def test_a_private_folder_gets_no_warning(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    folder.chmod(0o700)
    assert main(["--data-dir", str(folder), "list"]) == 0
    assert capsys.readouterr().err == ""


def test_a_folder_warroom_creates_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        open_database(tmp_path / "new" / "warroom.db").dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


# -- putting files in place whole ---------------------------------------------------------------
@pytest.fixture
def disk_fills_up(monkeypatch):
    """The next writes through os.write get a few bytes out, then ENOSPC, as a full disk."""
    real_write = os.write

    def write(fd, data):  # type: ignore[no-untyped-def]
        if len(data) > 10:
            real_write(fd, bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.fixture
def declared(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "declare", "--title", "Disk", "--severity", "P1"]) == 0
    capsys.readouterr()
    return data


def test_export_writes_a_private_file(declared, tmp_path, capsys):
    out = tmp_path / "exports" / "postmortem.md"
    out.parent.mkdir()
    assert main(["--data-dir", str(declared), "export", "1", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("#")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["postmortem.md"]


def test_export_on_a_full_disk_keeps_the_old_file_and_leaves_no_debris(
    declared, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "exports" / "postmortem.md"
    out.parent.mkdir()
    out.write_bytes(b"# the good export from yesterday\n")
    real_write = os.write

    def full(fd, data):  # type: ignore[no-untyped-def]
        real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    # The old code wrote in place through Python's file objects: make those fail too.
    real_open = open

    def failing_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(file, mode, *args, **kwargs)
        if str(file) == str(out) and "w" in mode:
            handle.close()
            real_open(file, "wb").write(b"# the go")  # a fragment, as a full disk leaves
            raise OSError(errno.ENOSPC, "No space left on device")
        return handle

    monkeypatch.setattr("builtins.open", failing_open)
    monkeypatch.setattr("io.open", failing_open)
    code = main(["--data-dir", str(declared), "export", "1", "-o", str(out)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write {out}: the disk is full; nothing was changed" in err
    assert out.read_bytes() == b"# the good export from yesterday\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["postmortem.md"]


class _FullDiskBackup:
    """An SQLite connection whose online backup runs out of space half-way."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def backup(self, target: sqlite3.Connection, **_kwargs: object) -> None:
        target.execute("CREATE TABLE half_copied (x)")
        raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._conn, name)


def test_backup_on_a_full_disk_says_so_and_leaves_no_partial_files(declared, capsys, monkeypatch):
    backups = declared / "backups"
    assert main(["--data-dir", str(declared), "backup"]) == 0
    capsys.readouterr()
    before = sorted(p.name for p in backups.iterdir())
    real_connect = sqlite3.connect
    sources = {str(declared / "warroom.db")}

    def connect(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        conn = real_connect(path, *args, **kwargs)
        return _FullDiskBackup(conn) if str(path) in sources else conn

    monkeypatch.setattr(backup_module.sqlite3, "connect", connect)
    for _try in range(3):
        assert main(["--data-dir", str(declared), "backup"]) == 3
        err = capsys.readouterr().err
        assert f"The backup cannot be written to {backups}: the disk is full." in err
    monkeypatch.undo()
    assert sorted(p.name for p in backups.iterdir()) == before


def test_backup_into_a_read_only_folder_gives_a_clear_message(declared, capsys, monkeypatch):
    backups = declared / "backups"
    backups.mkdir()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(backups)) and flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    # The old code let SQLite create the copy: a read-only folder refused it there.
    real_connect = sqlite3.connect

    def connect(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(backups)):
            raise sqlite3.OperationalError("[Errno 30] Read-only file system")
        return real_connect(path, *args, **kwargs)

    monkeypatch.setattr(backup_module.sqlite3, "connect", connect)
    code = main(["--data-dir", str(declared), "backup"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 3
    assert f"The backup cannot be written to {backups}: the folder is on a read-only disk." in err
    assert "Errno" not in err
    assert list(backups.iterdir()) == []


def test_a_backup_over_an_existing_file_keeps_it_when_the_copy_fails(
    declared, tmp_path, monkeypatch
):
    target = tmp_path / "kept.db"
    backup_database(declared / "warroom.db", target)
    good = target.read_bytes()
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        backup_module.sqlite3,
        "connect",
        lambda path, *a, **k: (
            _FullDiskBackup(real_connect(path, *a, **k))
            if str(path) == str(declared / "warroom.db")
            else real_connect(path, *a, **k)
        ),
    )
    with pytest.raises(BackupError, match="the disk is full"):
        backup_database(declared / "warroom.db", target)
    monkeypatch.undo()
    assert target.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["data", "kept.db"])


def test_the_helper_leaves_the_old_file_and_no_debris_on_a_full_disk(tmp_path, disk_fills_up):
    out = tmp_path / "settings.toml"
    out.write_bytes(b"old = true\n")
    with pytest.raises(OSError) as failed:
        atomic.write_bytes(out, b"new = true\n" * 100)
    assert failed.value.errno == errno.ENOSPC
    assert atomic.why(failed.value) == "the disk is full"
    assert out.read_bytes() == b"old = true\n"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_a_full_disk_at_open_is_named_as_such(tmp_path, monkeypatch):
    from warroom.adapters.sql.sqlite import database as database_module

    path = tmp_path / "data" / "warroom.db"
    open_database(path).dispose()

    def io_error(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("disk I/O error")  # all SQLite says when it cannot grow

    monkeypatch.setattr(database_module.recognise, "recognise", io_error)
    monkeypatch.setattr(atomic, "disk_full", lambda folder: True)
    with pytest.raises(database_module.StoreError) as refused:
        open_database(path)
    assert "the disk holding it is full" in str(refused.value)
    assert refused.value.kind == database_module.StoreError.UNWRITABLE
