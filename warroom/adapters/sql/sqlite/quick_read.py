"""A read-only look at the board with nothing but the standard library.

At start-up this lets the board paint before SQLAlchemy and SQLModel are even imported
(they take longer to import than everything else together). It only answers when the file
carries warroom's application id and is already at this build's schema; anything else
returns None and the normal path, with its checks, migrations and messages, takes over (so
another program's file is never even opened here).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from warroom.adapters.sql.mapping import (
    INCIDENT_COLUMNS,
    TIME_COLUMNS,
    incident_from_columns,
    parse_stored_time,
)
from warroom.adapters.sql.schema_version import SCHEMA_VERSION
from warroom.adapters.sql.sqlite.recognise import has_our_id, read_header
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import OPEN_STATUSES


def read_board(path: Path, include_closed: bool = False) -> list[Incident] | None:
    if not path.is_file():
        return None
    try:
        if not has_our_id(read_header(path)):
            return None
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            version = conn.execute("SELECT MAX(version) FROM warroom_schema").fetchone()[0]
            if version != SCHEMA_VERSION:
                return None
            query = f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incident"
            if not include_closed:
                query += f" WHERE status IN ({', '.join('?' * len(OPEN_STATUSES))})"
            rows = conn.execute(query, OPEN_STATUSES if not include_closed else ()).fetchall()
    except (sqlite3.Error, OSError, TypeError):
        return None
    return [incident_from_columns(_getter(row)) for row in rows]


def _getter(row: sqlite3.Row):
    def column(name: str):
        value = row[name]
        if name in TIME_COLUMNS and value is not None:
            return parse_stored_time(value)
        return value

    return column
