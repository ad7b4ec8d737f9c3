"""Opening the database: checks, connection pragmas, migrations with a backup first.

Every problem a user must act on becomes a StoreError whose message names the path; its
`kind` lets the GUI offer the right way out (restore a backup, choose another folder).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError

from warroom.store.backup import take_backup
from warroom.store.filesystem import filesystem_type, is_network_filesystem
from warroom.store.migrations import LATEST_VERSION, NewerSchemaError, current_version, migrate

log = logging.getLogger("warroom.store")

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
ALLOW_NETWORK_FS_ENV = "WARROOM_ALLOW_NETWORK_FS"


class StoreError(RuntimeError):
    """A database that cannot be used; the message names the path and what to do."""

    UNWRITABLE = "unwritable"
    NOT_A_DATABASE = "not a database"
    DAMAGED = "damaged"
    NEWER = "newer"
    NETWORK = "network filesystem"

    def __init__(self, path: Path, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


@dataclass
class Database:
    path: Path
    engine: Engine  # reads: deferred transactions
    writer: Engine  # writes: BEGIN IMMEDIATE, so two writers queue instead of deadlocking
    _watch: sqlite3.Connection | None = field(default=None, repr=False)
    _seen_version: int | None = field(default=None, repr=False)

    def dispose(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self.engine.dispose()

    def changed_since_last_check(self) -> bool:
        """True when any other connection (another warroom on this file, or another part
        of this one) has committed since the last call. PRAGMA data_version is a cheap
        counter read, so this can run on every tick."""
        if self._watch is None:
            self._watch = sqlite3.connect(self.path, check_same_thread=False)
        version = self._watch.execute("PRAGMA data_version").fetchone()[0]
        changed = self._seen_version is not None and version != self._seen_version
        self._seen_version = version
        return changed

    def checkpoint(self) -> None:
        """Copies the write-ahead log into the database and truncates it to zero bytes.
        Runs outside any transaction, on a pooled connection with our pragmas."""
        connection = self.engine.raw_connection()
        try:
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


@contextlib.contextmanager
def _private_files() -> Iterator[None]:
    """Files SQLite creates meanwhile (the database, -wal, -shm) are readable by us only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _prepare_data_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(
            directory,
            f"The data folder {directory} cannot be created: {exc.strerror or exc}.",
            StoreError.UNWRITABLE,
        ) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            directory,
            f"The data folder {directory} is read-only. "
            "Choose another with --data-dir or fix its permissions.",
            StoreError.UNWRITABLE,
        )
    fs_type = filesystem_type(directory)
    if is_network_filesystem(fs_type) and not os.environ.get(ALLOW_NETWORK_FS_ENV):
        raise StoreError(
            directory,
            f"The data folder {directory} is on a network filesystem ({fs_type}), where "
            "SQLite's file locking cannot be trusted and a shared file can be corrupted. "
            "Choose a local folder (to share incidents between laptops, use a shared "
            f"PostgreSQL database), or set {ALLOW_NETWORK_FS_ENV}=1 at your own risk.",
            StoreError.NETWORK,
        )
    _tighten(directory, 0o700)


def _tighten(path: Path, mode: int) -> None:
    """Narrows permissions that are wider than `mode`; never widens them."""
    try:
        current = path.stat().st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError as exc:  # not ours to change (e.g. a shared folder): leave it, say so
        log.warning("cannot tighten permissions of %s: %s", path, exc)


def _check_file(path: Path) -> None:
    if not path.exists():
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(
            path,
            f"{path} is read-only, so nothing could be saved. Fix its permissions or "
            "choose another data folder.",
            StoreError.UNWRITABLE,
        )
    if path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        raise StoreError(
            path,
            f"{path} is not a warroom database (it is not an SQLite file). "
            "It was left untouched; move it away or choose another data folder.",
            StoreError.NOT_A_DATABASE,
        )


def _install_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # We issue BEGIN ourselves (below) so transactions, DDL included, are explicit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted incidents are overwritten with zeros, not left readable in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def open_database(path: Path, *, now: datetime | None = None) -> Database:
    """Opens (creating if needed), checks and migrates the database at `path`.

    Raises StoreError with a message naming the path for anything a user must act on.
    """
    _prepare_data_dir(path.parent)
    _check_file(path)
    is_new = not path.exists()
    engine = create_engine(f"sqlite:///{path}")
    _install_pragmas(engine)
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with _private_files():
            _check_intact(path, writer, is_new)
            _migrate_with_backup(path, writer, is_new, now or datetime.now(UTC))
    except NewerSchemaError as exc:
        engine.dispose()
        raise StoreError(
            path,
            f"{path} was written by a newer version of warroom ({exc}). It was left "
            "untouched; upgrade warroom to open it.",
            StoreError.NEWER,
        ) from exc
    except DatabaseError as exc:
        engine.dispose()
        raise StoreError(
            path,
            f"{path} is damaged and cannot be opened ({exc.orig or exc}). It was left "
            "untouched; restore a backup or choose another data folder.",
            StoreError.DAMAGED,
        ) from exc
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            _tighten(Path(f"{path}{suffix}"), 0o600)
    database = Database(path=path, engine=engine, writer=writer)
    database.changed_since_last_check()  # the baseline: later commits elsewhere show up
    return database


def _check_intact(path: Path, writer: Engine, is_new: bool) -> None:
    if is_new:
        return
    with writer.connect() as conn:
        verdict = conn.execute(text("PRAGMA quick_check")).scalar()
    if verdict != "ok":
        raise StoreError(
            path,
            f"{path} is damaged ({verdict}). It was left untouched; restore a backup or "
            "choose another data folder.",
            StoreError.DAMAGED,
        )


def _migrate_with_backup(path: Path, writer: Engine, is_new: bool, now: datetime) -> None:
    with writer.connect() as conn:
        found = current_version(conn)
    if found == LATEST_VERSION:
        return
    if found > LATEST_VERSION:
        raise NewerSchemaError(
            f"schema version {found}; this warroom understands up to {LATEST_VERSION}"
        )
    if not is_new and found > 0:
        target = take_backup(path, path.parent / "backups", f"before-v{LATEST_VERSION}", now)
        log.info("backed up %s to %s before migrating from v%d", path, target, found)
    with writer.begin() as conn:
        migrate(conn)
    log.info("database %s migrated from v%d to v%d", path, found, LATEST_VERSION)
