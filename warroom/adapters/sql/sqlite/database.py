"""Opening the database: checks, connection pragmas, migrations with a backup first.

Every problem a user must act on becomes a StoreError whose message names the path; its
`kind` lets the GUI offer the right way out (restore a backup, choose another folder, try
again).

Opening never needs the write lock for its checks: the file is recognised as warroom's and
integrity-checked on a read-only connection, so another warroom busy writing cannot make a
healthy file look damaged. Only a file that must change (a migration, stamping the id) waits
for the lock, and a wait that lasts too long is reported as busy, never as damage.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError

from warroom.adapters.sql.migrations import (
    LATEST_VERSION,
    NewerSchemaError,
    current_version,
    migrate,
)
from warroom.adapters.sql.sqlite import recognise
from warroom.adapters.sql.sqlite.backup import BackupError, take_backup
from warroom.adapters.sql.sqlite.filesystem import filesystem_type, is_network_filesystem
from warroom.services.ports import DEDUPE_KEY_TAKEN, StoreError, Waiting, WriteFailed
from warroom.system import atomic

log = logging.getLogger("warroom.adapters.sql")

# Any statement: SQLite's own busy handler waits this long for a lock (reads in WAL mode
# almost never need one).
BUSY_TIMEOUT_MS = 5000
# One attempt at the write lock: SQLite's busy handler waits this long, then we tell the user
# (on the first miss) that we are waiting for the other window, and try again.
WRITE_ATTEMPT_MS = 250
# All attempts at one write, then it is refused as busy ("try again"); nothing is lost.
WRITE_WAIT_SECONDS = 30.0
# Reading the file at start-up while another program holds it locked even for reading.
OPEN_WAIT_SECONDS = 10.0
ALLOW_NETWORK_FS_ENV = "WARROOM_ALLOW_NETWORK_FS"
PRIVATE_FOLDER = 0o700

# SQLite's primary result codes that mean "someone else holds the lock", and "damaged".
_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_DAMAGE_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB


def is_busy(error: BaseException) -> bool:
    """True when `error` (sqlite3's or SQLAlchemy's) means another connection holds a lock."""
    error = getattr(error, "orig", None) or error
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


def busy_message(path: Path) -> str:
    return f"another warroom is writing to {path} and did not finish in time; try again"


@dataclass
class Database:
    path: Path
    engine: Engine  # reads: deferred transactions
    writer: Engine  # writes: BEGIN IMMEDIATE, so two writers queue instead of deadlocking
    # What the user should know but that does not stop anything (a folder open to others).
    warnings: tuple[str, ...] = ()
    _waiting: list[Waiting] = field(default_factory=list, repr=False)
    _watches: list[SqliteWatch] = field(default_factory=list, repr=False)
    _kept: KeptWriter = field(init=False, repr=False, compare=False)

    shared = False

    def __post_init__(self) -> None:
        self._kept = KeptWriter(self.writer, self._waiting)
        # A database dropped without dispose() still hands its connection back to the pool.
        weakref.finalize(self, self._kept.close)

    def write_connection(self) -> contextlib.AbstractContextManager[Connection]:
        """The connection a write runs on, for one thread at a time (KeptWriter)."""
        return self._kept.connection()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def local_folder(self) -> Path:
        return self.path.parent

    def watch(self) -> SqliteWatch:
        """A new watch, closed with the database."""
        watch = SqliteWatch(self.path)
        self._watches.append(watch)
        return watch

    def announce(self, connection: Connection, newest_seq: int) -> None:
        """Nothing to send: other processes see the file's data_version change."""

    def write_failed(self, error: Exception) -> WriteFailed:
        return write_failed(self.path, error)

    def after_delete(self) -> None:
        self.checkpoint()  # the deleted incident's pages leave the write-ahead log too

    def dispose(self) -> None:
        for watch in self._watches:
            watch.close()
        self._watches.clear()
        self._kept.close()
        self.engine.dispose()

    def when_waiting(self, listener: Waiting) -> Callable[[], None]:
        """`listener(True)` when a write starts waiting for another writer's lock, then
        `listener(False)` when it has the lock or gives up. Called on the writing thread.
        Returns a function that unsubscribes."""
        self._waiting.append(listener)
        return lambda: self._waiting.remove(listener)

    def checkpoint(self) -> None:
        """Copies the write-ahead log into the database and truncates it to zero bytes.
        Runs outside any transaction, on a pooled connection with our pragmas."""
        connection = self.engine.raw_connection()
        try:
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


class KeptWriter:
    """The writer's connection, kept open between writes: checking a connection out of the
    pool and back in for each write cost about as much as a note's own statements.

    One thread writes at a time. Another one waits for it as for another process's writer:
    its listeners hear after WRITE_ATTEMPT_MS that it waits, and after WRITE_WAIT_SECONDS
    the write is refused as busy. Between writes the connection holds no transaction, so
    no lock: other processes' writers and checkpoints never wait for it."""

    def __init__(self, writer: Engine, waiting: list[Waiting]) -> None:
        self._writer = writer
        self._waiting = waiting
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        self._acquire()
        try:
            connection = self._connection
            if connection is None or connection.closed or connection.invalidated:
                if connection is not None:  # one SQLAlchemy found broken: back to the pool
                    with contextlib.suppress(Exception):
                        connection.close()
                connection = self._connection = self._connect()
            try:
                self._begin(connection)
                yield connection
            finally:
                self._end(connection)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Hands the connection back to the pool (when no write is running on it)."""
        if not self._lock.acquire(timeout=WRITE_WAIT_SECONDS):
            return  # a write still runs: the engine's dispose leaves its connection alone
        try:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        finally:
            self._lock.release()

    def _connect(self) -> Connection:
        connection = self._writer.connect()
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        # In WAL mode no statement of a writer that holds the lock waits for another
        # connection, so this one keeps the short wait of an attempt at the lock and begins
        # with one statement (see _begin_writing); in any other mode it waits as others do.
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
        connection.info[KEEPS_ATTEMPT_WAIT] = str(mode).lower() == "wal"
        connection.info[KEPT_WRITER] = True
        return connection

    def _begin(self, connection: Connection) -> None:
        """Takes the write lock on SQLite's own connection, beneath Core's transaction: a
        write on the driver alone (DriverStatement) then needs none of Core's begin and
        commit; a Core statement or a session adopts this transaction (see _on_begin)."""
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        _begin_kept(raw, connection.info, self._waiting)

    def _acquire(self) -> None:
        if self._lock.acquire(timeout=WRITE_ATTEMPT_MS / 1000):
            return
        log.info("waiting for another write in this warroom to finish")
        for listener in list(self._waiting):
            listener(True)
        try:
            remaining = max(0.0, WRITE_WAIT_SECONDS - WRITE_ATTEMPT_MS / 1000)
            if not self._lock.acquire(timeout=remaining):
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                )
        finally:
            for listener in list(self._waiting):
                listener(False)

    def _end(self, connection: Connection) -> None:
        """Whatever the write left uncommitted is rolled back, so the connection never keeps
        the write lock; one that cannot be rolled back is closed (SQLite then rolls back)."""
        try:
            if connection.get_transaction() is not None:
                connection.rollback()
            raw = connection.connection.driver_connection
            if isinstance(raw, sqlite3.Connection) and raw.in_transaction:
                raw.rollback()
        except Exception:
            log.exception("the writer's connection could not be rolled back; closing it")
            with contextlib.suppress(Exception):
                connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()
            self._connection = None


class SqliteWatch:
    """PRAGMA data_version on a connection of its own: it changes whenever any other
    connection commits, and reading it is a cheap counter read."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._seen: int | None = None

    def changed(self) -> bool:
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        changed = self._seen is None or version != self._seen
        self._seen = version
        return changed

    def notice_socket(self) -> None:
        """None: SQLite tells nobody of a commit; `changed` is polled."""
        return None

    def close(self) -> None:
        self._connection.close()


def write_failed(path: Path, error: Exception) -> WriteFailed:
    detail = str(getattr(error, "orig", error))
    lowered = detail.lower()
    if is_busy(error):
        log.error("write to %s gave up waiting for another writer", path)
        return WriteFailed("storage", f"Nothing was saved: {busy_message(path)}.")
    if "unique" in lowered and "dedupe_key" in lowered:  # reopening onto a key now taken
        return WriteFailed("status", DEDUPE_KEY_TAKEN)
    if "full" in lowered:
        why = f"the disk holding {path} is full. Free some space and try again"
    elif "readonly" in lowered or "read-only" in lowered:
        why = f"{path} has become read-only"
    else:
        why = f"{path} refused the write ({detail})"
    log.error("write to %s failed: %s", path, detail)
    return WriteFailed("storage", f"Nothing was saved: {why}.")


@contextlib.contextmanager
def _private_files() -> Iterator[None]:
    """Files SQLite creates meanwhile (the database, -wal, -shm) are readable by us only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _prepare_data_dir(directory: Path) -> list[str]:
    """Creates the folder (private) when it is missing; never changes the mode of a folder
    that exists. Returns warnings for the user."""
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        if created:
            os.chmod(directory, PRIVATE_FOLDER)  # whatever the umask says
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
    mode = directory.stat().st_mode & 0o7777
    if mode & 0o077:
        warning = (
            f"The data folder {directory} is open to other users (mode {mode:04o}). warroom "
            "leaves its mode as it is and keeps its own files private (0600); others can "
            "see their names. Use a folder only you can open to hide them."
        )
        log.warning("%s", warning)
        return [warning]
    return []


def _tighten(path: Path, mode: int) -> None:
    """Narrows permissions of warroom's own file that are wider than `mode`."""
    try:
        current = path.stat().st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError as exc:  # not ours to change: leave it, say so
        log.warning("cannot tighten permissions of %s: %s", path, exc)


def _check_writable(path: Path) -> None:
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(
            path,
            f"{path} is read-only, so nothing could be saved. Fix its permissions or "
            "choose another data folder.",
            StoreError.UNWRITABLE,
        )


def _install_pragmas(engine: Engine, waiting: list[Waiting]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
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
    def _on_begin(connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        raw = connection.connection.driver_connection
        if mode != "IMMEDIATE":
            raw.execute(f"BEGIN {mode}")
            return
        info = connection.info
        if not info.get(KEPT_WRITER):
            _begin_writing(raw, waiting)
        elif not raw.in_transaction:  # a second transaction in one write
            _begin_kept(raw, info, waiting)
        # else KeptWriter began this write on the driver: it holds the write lock already


# KeptWriter's connection.info: that it is the kept writer, whether it keeps the short wait
# of an attempt at the write lock between writes, and which wait it was set to.
KEPT_WRITER = "warroom_kept_writer"
KEEPS_ATTEMPT_WAIT = "warroom_keeps_attempt_wait"
ATTEMPT_WAIT_SET = "warroom_attempt_wait_set"


def _begin_kept(raw: sqlite3.Connection, info: dict[Any, Any], waiting: list[Waiting]) -> None:
    """_begin_writing on KeptWriter's connection, which keeps the attempt's wait in WAL mode."""
    if not info.get(KEEPS_ATTEMPT_WAIT):
        _begin_writing(raw, waiting)
        return
    set_wait = info.get(ATTEMPT_WAIT_SET) != WRITE_ATTEMPT_MS
    _begin_writing(raw, waiting, set_wait=set_wait, restore=False)
    info[ATTEMPT_WAIT_SET] = WRITE_ATTEMPT_MS


def _begin_writing(
    raw: sqlite3.Connection,
    waiting: list[Waiting],
    *,
    set_wait: bool = True,
    restore: bool = True,
) -> None:
    """Takes the write lock, waiting for another writer as long as WRITE_WAIT_SECONDS. The
    lock is taken before anything is read or written, so waiting loses nothing; the
    listeners hear that we wait (after the first WRITE_ATTEMPT_MS) and when we stop.

    Each attempt waits WRITE_ATTEMPT_MS (`set_wait`: set it first); `restore` sets the
    connection's wait back to BUSY_TIMEOUT_MS afterwards."""
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    told = False
    if set_wait:
        raw.execute(f"PRAGMA busy_timeout={WRITE_ATTEMPT_MS}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            if not told:
                told = True
                log.info("waiting for another writer to finish")
                for listener in list(waiting):
                    listener(True)
    finally:
        if restore:
            with contextlib.suppress(sqlite3.Error):  # a broken connection raises on its own
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if told:
            for listener in list(waiting):
                listener(False)


def open_database(path: Path, *, now: datetime | None = None) -> Database:
    """Opens (creating if needed), checks and migrates the database at `path`.

    Raises StoreError with a message naming the path for anything a user must act on: a
    file that is not warroom's, damaged, newer, busy for too long, or not writable.
    """
    warnings = _prepare_data_dir(path.parent)
    is_new = not path.exists() or path.stat().st_size == 0
    if is_new:
        found, stamped = 0, False
    else:
        with _private_files():  # SQLite's -wal and -shm, should the look create them
            found, stamped = _inspect(path)
        _check_writable(path)
    if found > LATEST_VERSION:
        raise StoreError(
            path,
            f"{path} was written by a newer version of warroom (schema version {found}; "
            f"this warroom understands up to {LATEST_VERSION}). It was left untouched; "
            "upgrade warroom to open it.",
            StoreError.NEWER,
        )
    waiting: list[Waiting] = []
    engine = create_engine(f"sqlite:///{path}")
    _install_pragmas(engine, waiting)
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with _private_files():
            if is_new:
                _create(path)
            if found < LATEST_VERSION or not stamped:
                _migrate_with_backup(path, writer, now or datetime.now(UTC))
    except NewerSchemaError as exc:  # another, newer warroom migrated it meanwhile
        engine.dispose()
        raise StoreError(
            path,
            f"{path} was written by a newer version of warroom ({exc}). It was left "
            "untouched; upgrade warroom to open it.",
            StoreError.NEWER,
        ) from exc
    except (DatabaseError, sqlite3.Error) as exc:
        engine.dispose()
        raise _explain(path, exc) from exc
    except BackupError as exc:
        engine.dispose()
        raise StoreError(
            path,
            f"{path} must be migrated to this warroom's schema, and the backup taken first "
            f"failed: {exc} It was left untouched.",
            StoreError.UNWRITABLE,
        ) from exc
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            _tighten(Path(f"{path}{suffix}"), 0o600)
    return Database(
        path=path, engine=engine, writer=writer, warnings=tuple(warnings), _waiting=waiting
    )


def _inspect(path: Path) -> tuple[int, bool]:
    """(schema version, carries our id) of an existing file, read without any write lock.
    Anything that is not an intact warroom database raises StoreError; the file is left
    exactly as it was."""
    try:
        stamped = recognise.recognise(path, timeout=OPEN_WAIT_SECONDS)
        uri = f"{path.absolute().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=OPEN_WAIT_SECONDS)) as conn:
            # A file this process found intact moments ago, and that has not changed since,
            # is not read through again.
            if recognise.checked_intact(path, wait=OPEN_WAIT_SECONDS):
                verdict = "ok"
            else:
                verdict = recognise.quick_check(conn, path)
            if verdict != "ok":
                raise StoreError(
                    path,
                    f"{path} is damaged (an integrity check found: {verdict}). It was left "
                    "untouched; restore a backup or choose another data folder.",
                    StoreError.DAMAGED,
                )
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'warroom_schema'"
            ).fetchone()
            found = 0
            if has_table:  # a new file stopped before its first table has none yet
                found = conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0]
                found = int(found or 0)
    except recognise.NotWarroom as exc:
        raise StoreError(
            path,
            f"{path} is not a warroom database ({exc}). It was left untouched; move it "
            "away or choose another data folder.",
            StoreError.NOT_A_DATABASE,
        ) from exc
    except sqlite3.Error as exc:
        raise _explain(path, exc) from exc
    except OSError as exc:
        raise StoreError(
            path,
            f"{path} cannot be read ({exc.strerror or exc}). It was left untouched.",
            StoreError.UNREADABLE,
        ) from exc
    return found, stamped


def _explain(path: Path, error: BaseException) -> StoreError:
    """An SQLite error while opening, as a StoreError of the right kind: busy is not
    damaged, and only SQLite's own verdict of corruption counts as damage."""
    orig = getattr(error, "orig", None) or error
    detail = str(orig)
    if is_busy(orig):
        return StoreError(
            path,
            f"{busy_message(path)} in a moment. It is not damaged, and nothing was changed.",
            StoreError.BUSY,
        )
    code = getattr(orig, "sqlite_errorcode", None)
    if atomic.disk_full(path.parent):  # SQLite says only "disk I/O error"
        return StoreError(
            path,
            f"{path} cannot be opened: the disk holding it is full. Free some space and try "
            "again. It was left untouched.",
            StoreError.UNWRITABLE,
        )
    if code is not None and code & 0xFF in _DAMAGE_CODES:
        return StoreError(
            path,
            f"{path} is damaged and cannot be opened ({detail}). It was left untouched; "
            "restore a backup or choose another data folder.",
            StoreError.DAMAGED,
        )
    return StoreError(
        path,
        f"{path} cannot be opened ({detail}). It was left untouched; check the disk and "
        "its permissions, or choose another data folder.",
        StoreError.UNREADABLE,
    )


def _create(path: Path) -> None:
    """A new file carries warroom's id from its very first byte on, so no later start can
    mistake it for someone else's (even if this one stops before the first table)."""
    with contextlib.closing(
        sqlite3.connect(path, timeout=WRITE_WAIT_SECONDS, isolation_level=None)
    ) as conn:
        conn.execute(f"PRAGMA application_id={recognise.APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode=WAL")


def _migrate_with_backup(path: Path, writer: Engine, now: datetime) -> None:
    """Migrates under the write lock (waiting, bounded, for another writer); the backup is
    taken once the lock is held, so a busy file gets no backup it does not need and two
    starts never both back up and migrate."""
    with writer.begin() as conn:
        found = current_version(conn)
        if 0 < found < LATEST_VERSION:
            target = take_backup(path, path.parent / "backups", f"before-v{LATEST_VERSION}", now)
            log.info("backed up %s to %s before migrating from v%d", path, target, found)
        before, after = migrate(conn)
    if after != before:
        log.info("database %s migrated from v%d to v%d", path, before, after)
