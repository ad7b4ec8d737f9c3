"""Opening a shared war room on PostgreSQL (SQLAlchemy with psycopg 3), and what is
engine-specific there: writes serialised by an advisory lock, change notices by
LISTEN/NOTIFY.

Writes take one transaction-scoped advisory lock before they read anything, so two laptops
writing at once queue exactly as two windows on one SQLite file do (BEGIN IMMEDIATE): the
lifecycle and one-change-at-a-time rules, checked inside the write, hold across laptops, and
the change log's numbers are handed out in commit order."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from warroom.adapters.sql.database import ConnectionLost
from warroom.adapters.sql.migrations import (
    LATEST_VERSION,
    NewerSchemaError,
    current_version,
    migrate,
)
from warroom.services.ports import DEDUPE_KEY_TAKEN, StoreError, Waiting, WriteFailed

log = logging.getLogger("warroom.adapters.sql.postgres")

CHANNEL = "warroom_changes"
WRITE_LOCK = 0x7761_7200  # pg_advisory_xact_lock key: one writer at a time
WRITE_ATTEMPT_SECONDS = 0.25  # then the user hears that we wait for another writer
WRITE_WAIT_SECONDS = 30.0  # then the write is refused as busy ("try again"); nothing is lost
CONNECT_TIMEOUT_SECONDS = 5
# The notices' connection, while the server is away: each try blocks the tick that makes it
# for at most WATCH_CONNECT_TIMEOUT_SECONDS, and tries are RECONNECT_SECONDS apart.
WATCH_CONNECT_TIMEOUT_SECONDS = 2
RECONNECT_SECONDS = 3.0
_RETRY_SLEEP = 0.02


def database_url(given: str) -> URL:
    """`postgresql://...` as SQLAlchemy's psycopg 3 URL. Raises ValueError for anything
    that is not a PostgreSQL URL."""
    try:
        url = make_url(given)
    except ArgumentError as exc:
        raise ValueError(f"{given!r} is not a database URL (postgresql://user@host/db)") from exc
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            f"{url.render_as_string(hide_password=True)} is not a PostgreSQL URL: a shared "
            "war room is postgresql://user@host:port/database"
        )
    return url.set(drivername="postgresql+psycopg")


def display(url: URL) -> str:
    """The URL as people see it: no password, no driver name."""
    # URL.set(password=None) leaves the password as it is: replace the field itself.
    shown = url.set(drivername="postgresql")._replace(password=None)
    return shown.render_as_string(hide_password=True)


class PostgresWatch:
    """LISTEN on a connection of its own. The socket becomes readable when a notice arrives,
    so a GUI can watch `fileno()` instead of polling; `changed()` drains what arrived."""

    def __init__(self, url: URL) -> None:
        self._url = url
        self._connection: Any = None
        self._retry_at = 0.0
        self._connect()

    def _connect(self) -> None:
        import psycopg

        self._connection = psycopg.connect(
            _libpq_url(self._url),
            autocommit=True,
            connect_timeout=WATCH_CONNECT_TIMEOUT_SECONDS,
            # A server that vanishes without closing the connection (a cable, a VPN) is
            # noticed within about two seconds, not at the next TCP timeout.
            keepalives=1,
            keepalives_idle=1,
            keepalives_interval=1,
            keepalives_count=1,
        )
        self._connection.execute(f"LISTEN {CHANNEL}")

    def fileno(self) -> int:
        return int(self._connection.fileno())

    def notice_socket(self) -> int | None:
        """The LISTEN connection's socket; None while it is lost (`changed` reconnects)."""
        if self._connection is None or self._connection.closed:
            return None
        return self.fileno()

    def changed(self) -> bool:
        """Raises ConnectionLost while the server cannot be reached (reconnecting at most
        every RECONNECT_SECONDS); True after a reconnect, as notices may have been missed."""
        import psycopg

        if self._connection is None or self._connection.closed:
            if time.monotonic() < self._retry_at:
                raise ConnectionLost("not reconnected yet")
            try:
                self._connect()
            except psycopg.Error as exc:
                self.close()
                self._retry_at = time.monotonic() + RECONNECT_SECONDS
                raise ConnectionLost(str(exc).strip()) from exc
            log.info("the change notices' connection is back")
            return True
        try:
            return any(True for _ in self._connection.notifies(timeout=0))
        except psycopg.Error as exc:
            log.warning("lost the change notices' connection: %s", str(exc).strip())
            self.close()
            raise ConnectionLost(str(exc).strip()) from exc

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already gone with its server
                self._connection.close()
            self._connection = None


@dataclass
class SharedDatabase:
    url: URL
    engine: Engine
    writer: Engine
    folder: Path  # this machine's data folder: what stays local (the vault) lives there
    warnings: tuple[str, ...] = ()
    _waiting: list[Waiting] = field(default_factory=list, repr=False)
    _watches: list[PostgresWatch] = field(default_factory=list, repr=False)

    shared = True

    @property
    def location(self) -> str:
        return display(self.url)

    @property
    def local_folder(self) -> Path:
        return self.folder

    def watch(self) -> PostgresWatch:
        """A new watch, closed with the database."""
        watch = PostgresWatch(self.url)
        self._watches.append(watch)
        return watch

    @contextlib.contextmanager
    def write_connection(self) -> Iterator[Connection]:
        # From the pool for each write: its pre-ping finds a server that went away meanwhile.
        with self.writer.connect() as connection:
            yield connection

    def announce(self, connection: Connection, newest_seq: int) -> None:
        # Delivered at commit, and never for a transaction that rolls back.
        connection.execute(
            text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(newest_seq)}
        )

    def when_waiting(self, listener: Waiting) -> Callable[[], None]:
        self._waiting.append(listener)
        return lambda: self._waiting.remove(listener)

    def role(self) -> str | None:
        """The person's own login role on a war room set up with resources/postgres/setup.sql
        (a role in warroom_responder, warroom_viewer or warroom_security, not a superuser),
        which is then their name on the timeline; None when connected otherwise (the
        administrator, or one login shared by everyone on a room without those roles)."""
        try:
            with self.engine.connect() as connection:
                found = connection.execute(
                    text(
                        "SELECT r.rolname FROM pg_roles AS r WHERE r.rolname = current_user "
                        "AND NOT r.rolsuper AND EXISTS (SELECT 1 FROM pg_roles AS g WHERE "
                        "g.rolname IN ('warroom_responder', 'warroom_viewer', "
                        "'warroom_security') AND pg_has_role(r.oid, g.oid, 'MEMBER'))"
                    )
                ).scalar()
        except DatabaseError as exc:
            raise _cannot_open(self.location, exc) from exc
        return None if found is None else str(found)

    def write_failed(self, error: Exception) -> WriteFailed:
        detail = str(getattr(error, "orig", error)).strip()
        lowered = detail.lower()
        if "unique" in lowered and "dedupe_key" in lowered:
            return WriteFailed("status", DEDUPE_KEY_TAKEN)
        if getattr(getattr(error, "orig", None), "sqlstate", None) == "42501":
            # Refused by the roles of resources/postgres/setup.sql: which role, and why.
            log.error("write to %s refused: %s", self.location, detail)
            try:
                with self.engine.connect() as connection:
                    who, responder = connection.execute(
                        text(
                            "SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE "
                            "rolname = 'warroom_responder' AND pg_has_role(oid, 'MEMBER'))"
                        )
                    ).one()
            except DatabaseError:
                who, responder = "your role", True
            if "row-level security" in lowered or "warroom_security" in lowered:
                return WriteFailed(
                    "storage",
                    f"Nothing was saved: this is a security incident, and only members of "
                    f"warroom_security may change it on the shared war room ({who} is not).",
                )
            if not responder:
                return WriteFailed(
                    "storage",
                    f"Nothing was saved: your role on the shared war room ({who}) may only "
                    "watch (warroom_viewer).",
                )
            return WriteFailed(
                "storage",
                f"Nothing was saved: your role on the shared war room ({who}) may not make "
                f"this change ({detail.splitlines()[0]}).",
            )
        if isinstance(error, OperationalError) and "another writer" in lowered:
            return WriteFailed(
                "storage",
                f"Nothing was saved: another laptop kept the shared war room at "
                f"{self.location} busy writing and did not finish in time; try again.",
            )
        if isinstance(error, OperationalError) or _connection_lost(error):
            log.error("write to %s failed: %s", self.location, detail)
            return WriteFailed(
                "storage",
                f"Nothing was saved: the shared war room at {self.location} cannot be "
                "reached. What you typed is still here; try again when it is back.",
            )
        log.error("write to %s failed: %s", self.location, detail)
        return WriteFailed(
            "storage", f"Nothing was saved: {self.location} refused the write ({detail})."
        )

    def after_delete(self) -> None:
        """Nothing to do: the server reclaims deleted rows itself."""

    def dispose(self) -> None:
        for watch in self._watches:
            watch.close()
        self._watches.clear()
        self.engine.dispose()


def _connection_lost(error: Exception) -> bool:
    return bool(getattr(error, "connection_invalidated", False))


def _libpq_url(url: URL) -> str:
    """The URL as libpq takes it (psycopg.connect): without SQLAlchemy's driver name."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _take_write_lock(raw: Any, waiting: list[Waiting]) -> None:
    """Waits for any other writer (this laptop's or another's) as long as WRITE_WAIT_SECONDS,
    telling the listeners after WRITE_ATTEMPT_SECONDS that we wait, and when we stop."""
    started = time.monotonic()
    told = False
    try:
        while True:
            # On the driver's connection: its first statement opens the transaction.
            got = raw.execute(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})").fetchone()[0]
            if got:
                return
            waited = time.monotonic() - started
            if waited >= WRITE_WAIT_SECONDS:
                raise OperationalError(
                    "pg_try_advisory_xact_lock", None, RuntimeError("waited for another writer")
                )
            if waited >= WRITE_ATTEMPT_SECONDS and not told:
                told = True
                log.info("waiting for another writer to finish")
                for listener in list(waiting):
                    listener(True)
            time.sleep(_RETRY_SLEEP)
    finally:
        if told:
            for listener in list(waiting):
                listener(False)


def open_shared(url: URL | str, folder: Path, *, now: datetime | None = None) -> SharedDatabase:
    """Connects to the shared war room at `url`, creating or migrating its schema (one
    laptop at a time). Raises StoreError naming the server for anything the user must act
    on: unreachable, refused, or a schema newer than this warroom."""
    del now  # a server keeps its own backups (pg_dump): no file copy before migrating
    if isinstance(url, str):
        given = url
        try:
            url = database_url(given)
        except ValueError as exc:
            raise StoreError(given, str(exc), StoreError.UNREADABLE) from exc
    where = display(url)
    waiting: list[Waiting] = []
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a laptop back from sleep, a restarted server: reconnect
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("warroom_write"):
            _take_write_lock(connection.connection.driver_connection, waiting)

    writer = engine.execution_options(warroom_write=True)
    try:
        with writer.begin() as connection:
            found = current_version(connection)
            if found > LATEST_VERSION:
                raise NewerSchemaError(f"schema version {found}")
            if found == 0:
                log.info("setting up a new shared war room at %s", where)
            elif found < LATEST_VERSION:
                log.warning("migrating %s from schema %d to %d", where, found, LATEST_VERSION)
            if found < LATEST_VERSION:
                migrate(connection)
    except NewerSchemaError as exc:
        engine.dispose()
        raise StoreError(
            where,
            f"The shared war room at {where} was set up by a newer version of warroom ({exc}; "
            f"this warroom understands up to {LATEST_VERSION}). Nothing was changed; upgrade "
            "warroom to join it.",
            StoreError.NEWER,
        ) from exc
    except DatabaseError as exc:
        engine.dispose()
        raise _cannot_open(where, exc) from exc
    return SharedDatabase(url, engine, writer, folder, _waiting=waiting)


def _cannot_open(where: str, error: DatabaseError) -> StoreError:
    """The server's own first line of why, naming the room (never its password)."""
    detail = str(getattr(error, "orig", error)).strip().splitlines()[0]
    return StoreError(
        where, f"Cannot open the shared war room at {where}: {detail}", StoreError.UNREADABLE
    )
