"""Opening the database: checks, connection pragmas, migrations with a backup first."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError

from warroom.store.backup import backup_database, backup_name
from warroom.store.migrations import LATEST_VERSION, NewerSchemaError, current_version, migrate

log = logging.getLogger("warroom.store")

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """A database that cannot be used; the message names the path and what to do."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass
class Database:
    path: Path
    engine: Engine  # reads: deferred transactions
    writer: Engine  # writes: BEGIN IMMEDIATE, so two writers queue instead of deadlocking

    def dispose(self) -> None:
        self.engine.dispose()


def _prepare_data_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(
            directory, f"The data folder {directory} cannot be created: {exc.strerror or exc}."
        ) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            directory,
            f"The data folder {directory} cannot be written. "
            "Choose another with --data-dir or fix its permissions.",
        )


def _check_is_sqlite(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        raise StoreError(
            path,
            f"{path} is not a warroom database (it is not an SQLite file). "
            "It was left untouched; move it away or choose another data folder.",
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def open_database(path: Path, *, now: datetime | None = None) -> Database:
    """Opens (creating if needed) and migrates the database at `path`.

    Raises StoreError with a message naming the path for anything a user must act on.
    """
    _prepare_data_dir(path.parent)
    _check_is_sqlite(path)
    is_new = not path.exists()
    engine = create_engine(f"sqlite:///{path}")
    _install_pragmas(engine)
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        _migrate_with_backup(path, writer, is_new, now or datetime.now(UTC))
    except NewerSchemaError as exc:
        engine.dispose()
        raise StoreError(
            path, f"{path} was written by a newer version of warroom ({exc}). Upgrade warroom."
        ) from exc
    except DatabaseError as exc:
        engine.dispose()
        raise StoreError(
            path, f"{path} cannot be opened as a warroom database: {exc.orig or exc}."
        ) from exc
    if is_new:
        os.chmod(path, 0o600)
    return Database(path=path, engine=engine, writer=writer)


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
        target = path.parent / "backups" / backup_name(f"before-v{LATEST_VERSION}", now)
        backup_database(path, target)
        log.info("backed up %s to %s before migrating from v%d", path, target, found)
    with writer.begin() as conn:
        migrate(conn)
    log.info("database %s migrated from v%d to v%d", path, found, LATEST_VERSION)
