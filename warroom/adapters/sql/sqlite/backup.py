"""Backups: consistent copies of the live SQLite file (SQLite's online backup API), checked,
then moved into place atomically (warroom.system.atomic); a rolling set of the last N; and restoring
one."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from warroom.adapters.sql.schema_version import SCHEMA_VERSION
from warroom.adapters.sql.sqlite import recognise
from warroom.services.ports import BackupFailed
from warroom.system import atomic

log = logging.getLogger("warroom.adapters.sql.sqlite.backup")

KEEP_BACKUPS = 10
DAILY = timedelta(hours=24)
PREFIX = "warroom-"


class BackupError(BackupFailed):
    pass


def backup_name(reason: str, moment: datetime) -> str:
    return f"{PREFIX}{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{reason}.db"


def backup_database(source: Path, destination: Path) -> Path:
    """Copies `source` to `destination` consistently, checks the copy, then moves it into
    place atomically: a failure (a full disk, a read-only folder) leaves whatever was at
    `destination` and no partial file, and says why in a BackupError."""
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with atomic.replacing(destination) as temp:
            with (
                contextlib.closing(sqlite3.connect(source)) as src,
                contextlib.closing(sqlite3.connect(temp)) as dst,
            ):
                src.backup(dst)
                verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"The backup of {source} failed its integrity check: {verdict}")
    except OSError as exc:
        raise BackupError(
            f"The backup cannot be written to {folder}: {atomic.why(exc)}. Nothing was changed."
        ) from exc
    except sqlite3.Error as exc:
        if (
            "full" in str(exc).lower()
            or atomic.disk_full(folder)
            or atomic.disk_full(source.parent)
        ):
            raise BackupError(
                f"The backup cannot be written to {folder}: the disk is full. Nothing was changed."
            ) from exc
        raise BackupError(f"The backup of {source} failed ({exc}). Nothing was changed.") from exc
    return destination


def list_backups(folder: Path) -> list[Path]:
    """Newest first; the name carries the time, so sorting by name sorts by age."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*.db"), reverse=True)


def take_backup(
    database: Path, folder: Path, reason: str, now: datetime, keep: int = KEEP_BACKUPS
) -> Path:
    made = backup_database(database, folder / backup_name(reason, now))
    for old in list_backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    log.info("backup of %s written to %s", database, made)
    return made


def backup_due(folder: Path, now: datetime) -> bool:
    newest = next(iter(list_backups(folder)), None)
    if newest is None:
        return True
    taken = datetime.fromtimestamp(newest.stat().st_mtime, now.tzinfo)
    return now - taken >= DAILY


def check_restorable(source: Path) -> None:
    """Refuses anything that is not an intact warroom database this build can read."""
    try:
        recognise.recognise(source)
        with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"{source} is damaged: {verdict}")
            version = conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0]
    except recognise.NotWarroom as exc:
        raise BackupError(f"{source} is not a warroom database: {exc}.") from exc
    except OSError as exc:
        raise BackupError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    except sqlite3.Error as exc:
        raise BackupError(f"{source} is not a warroom database: {exc}.") from exc
    if version is None or version > SCHEMA_VERSION:
        raise BackupError(
            f"{source} was written by a newer warroom (schema {version}); upgrade first."
        )


def set_aside(database: Path, now: datetime, why: str) -> Path:
    """Keeps the current file, byte for byte, beside the database before it is replaced."""
    aside = database.with_name(f"{database.name}.{why}-{now.strftime('%Y%m%dT%H%M%SZ')}")
    with atomic.replacing(aside) as temp:
        shutil.copyfile(database, temp)
    return aside


def _is_warroom_file(path: Path) -> bool:
    try:
        recognise.recognise(path)
    except (recognise.NotWarroom, sqlite3.Error, OSError):
        return False
    return True


def restore_backup(database: Path, source: Path, now: datetime) -> Path | None:
    """Replaces `database` with the backup `source`. The current file is kept first: as a
    regular backup when it is intact, else copied aside unchanged. Returns that copy."""
    check_restorable(source)
    kept: Path | None = None
    if database.exists() and not _is_warroom_file(database):
        # Another program's file goes beside, never into the rotation that drops old ones.
        kept = set_aside(database, now, "not-warroom")
    elif database.exists():
        try:
            kept = take_backup(database, database.parent / "backups", "before-restore", now)
        except (sqlite3.Error, BackupError):
            kept = set_aside(database, now, "damaged")
    incoming = database.with_name(database.name + ".restoring")
    backup_database(source, incoming)
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        # A write-ahead log left by the old file would be replayed into the restored one.
        leftover.unlink(missing_ok=True)
    atomic.put_in_place(incoming, database)
    log.info("restored %s from %s (previous copy: %s)", database, source, kept)
    return kept


def daily_backup(database: Path, now: datetime) -> Path | None:
    """Taken at start-up when the newest backup is a day old or more. A failure is logged,
    never raised: it must not stop anyone from working the incident."""
    folder = database.parent / "backups"
    if not database.exists() or not backup_due(folder, now):
        return None
    try:
        return take_backup(database, folder, "daily", now)
    except (OSError, sqlite3.Error, BackupError) as exc:
        log.warning("daily backup of %s failed: %s", database, exc)
        return None
