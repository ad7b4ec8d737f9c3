"""Read-only looks at the record with nothing but the standard library.

At start-up this lets the board paint before SQLAlchemy and SQLModel are even imported
(they take longer to import than everything else together), and lets the CLI's JSON reads
(`list --json`, `show ID --json`) answer without them. It only answers when the file
carries warroom's application id and is already at this build's schema; anything else
returns None and the normal path, with its checks, migrations and messages, takes over (so
another program's file is never even opened here).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from warroom.adapters.sql.mapping import (
    EVENT_COLUMNS,
    INCIDENT_COLUMNS,
    TIME_COLUMNS,
    event_from_columns,
    incident_from_columns,
    parse_stored_time,
)
from warroom.adapters.sql.schema_version import SCHEMA_VERSION
from warroom.adapters.sql.sqlite.recognise import has_our_id, quick_check, read_header
from warroom.domain.incident import Incident, TimelineEvent
from warroom.domain.lifecycle import OPEN_STATUSES

_INCIDENTS = f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incident"
# The service path's order (repository.list_incidents and event_rows): both read the same lists.
_OPEN = f" WHERE status IN ({', '.join('?' * len(OPEN_STATUSES))})"
_EVENTS = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM timeline_event WHERE incident_id = ? ORDER BY at, id"
)


def read_board(path: Path, include_closed: bool = False) -> list[Incident] | None:
    try:
        with _ours(path) as conn:
            return None if conn is None else _board(conn, include_closed)
    except (sqlite3.Error, OSError, TypeError):
        return None


def read_start_board(path: Path) -> tuple[list[Incident], int] | None:
    """The open incidents, and the change log's newest entry when they were read (one read
    transaction): the window's start shows them at once, and once live re-reads them only
    if something was logged since."""
    try:
        with _ours(path) as conn:
            if conn is None:
                return None
            conn.execute("BEGIN")
            try:
                logged = conn.execute("SELECT MAX(seq) FROM change_log").fetchone()[0]
                return _board(conn, include_closed=False), int(logged or 0)
            finally:
                conn.execute("COMMIT")
    except (sqlite3.Error, OSError, TypeError):
        return None


def _board(conn: sqlite3.Connection, include_closed: bool) -> list[Incident]:
    query = _INCIDENTS + ("" if include_closed else _OPEN) + " ORDER BY id"
    rows = conn.execute(query, () if include_closed else OPEN_STATUSES).fetchall()
    return [incident_from_columns(_getter(row)) for row in rows]


def read_incident(path: Path, incident_id: int) -> tuple[Incident, list[TimelineEvent]] | None:
    """The incident and its timeline, read in one transaction; None when it is not there
    (the normal path then says so) or the file is not one this read answers for."""
    try:
        with _ours(path) as conn:
            if conn is None:
                return None
            conn.execute("BEGIN")  # one snapshot for both reads
            row = conn.execute(_INCIDENTS + " WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                return None
            events = conn.execute(_EVENTS, (incident_id,)).fetchall()
            return (
                incident_from_columns(_getter(row)),
                [event_from_columns(_getter(e)) for e in events],
            )
    except (sqlite3.Error, OSError, TypeError):
        return None


def opens_as_is(path: Path) -> bool:
    """Whether opening `path` the normal way (sqlite.database.open_database) would find
    nothing to say, refuse or change: an existing warroom file at this build's schema, in a
    private local folder that it may write, that passes SQLite's quick check, whose files
    are already private. When True, a read here shows exactly what that open would."""
    from warroom.adapters.sql.sqlite.filesystem import filesystem_type, is_network_filesystem

    folder = path.parent
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return False  # a new file: the normal open creates it
        if not os.access(folder, os.W_OK | os.X_OK) or not os.access(path, os.R_OK | os.W_OK):
            return False  # refused there, with the reason
        if folder.stat().st_mode & 0o077:
            return False  # open to others: the normal open warns
        for suffix in ("", "-wal", "-shm"):  # wider than 0600: the normal open narrows them
            extra = Path(f"{path}{suffix}")
            if extra.exists() and extra.stat().st_mode & 0o177:
                return False
        if is_network_filesystem(filesystem_type(folder)):
            return False
        with _ours(path) as conn:
            return conn is not None and quick_check(conn, path) == "ok"
    except (sqlite3.Error, OSError):
        return False


@contextlib.contextmanager
def _ours(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to `path` when it is warroom's file at this build's schema."""
    if not path.is_file() or not has_our_id(read_header(path)):
        yield None
        return
    uri = f"{path.absolute().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        version = conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0]
        yield conn if version == SCHEMA_VERSION else None


def _getter(row: sqlite3.Row) -> Callable[[str], Any]:
    def column(name: str) -> Any:
        value = row[name]
        if (name in TIME_COLUMNS or name in ("at", "recorded_at")) and value is not None:
            return parse_stored_time(value)
        return value

    return column
