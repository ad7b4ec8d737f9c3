"""What the SQL storage needs of a database, whichever engine holds it: the local SQLite
file (sqlite/database.py) or a shared PostgreSQL server (postgres/database.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine

from warroom.services.ports import Waiting, WriteFailed


class ConnectionLost(Exception):
    """The database cannot be reached (a shared war room's server went away)."""


class ChangeWatch(Protocol):
    """Tells cheaply whether anyone committed since the last call; raises ConnectionLost
    while the database cannot be reached."""

    def changed(self) -> bool: ...

    def notice_socket(self) -> int | None:
        """A socket that becomes readable when another process commits, for an event loop
        to watch instead of polling; None when the engine has none (SQLite) or while the
        watch is disconnected. It can change after a reconnect: ask again after `changed`."""
        ...

    def close(self) -> None: ...


class StoreDatabase(Protocol):
    engine: Engine  # reads
    writer: Engine  # writes, serialised: one writer at a time, whoever and wherever it is
    warnings: tuple[str, ...]

    @property
    def location(self) -> str:
        """Where the record lives, for people: a file path or a server URL without password."""
        ...

    @property
    def local_folder(self) -> Path:
        """This machine's folder for what stays local (the evidence vault, backups)."""
        ...

    @property
    def shared(self) -> bool: ...

    def watch(self) -> ChangeWatch: ...

    def write_connection(self) -> AbstractContextManager[Connection]:
        """A connection on `writer` for one write: its transaction begins with the write
        lock; whatever is left uncommitted at the end is rolled back."""
        ...

    def announce(self, connection: Connection, newest_seq: int) -> None:
        """Inside a write's transaction, after its change-log rows: tells other processes
        (delivered only if the transaction commits)."""
        ...

    def when_waiting(self, listener: Waiting) -> Callable[[], None]: ...

    def write_failed(self, error: Exception) -> WriteFailed:
        """What to tell the user about a write the database refused."""
        ...

    def after_delete(self) -> None: ...

    def dispose(self) -> None: ...
