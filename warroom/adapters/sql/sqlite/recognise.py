"""Is this file warroom's? Decided before anything writes to it.

A file warroom creates carries APPLICATION_ID in its SQLite header (`PRAGMA application_id`,
bytes 68-71). A file from before the id (schema versions 1-6) is recognised by warroom's own
version table, and gets the id stamped when it is next opened. Anything else (another
program's SQLite file, even one with a table named `incident`; an SQLite file with no
tables; random bytes) is not warroom's: it is refused, and nothing is written to it.

Looking inside opens the file read-only. A file in WAL mode that nobody has open (no `-wal`
beside it) is read as immutable, so not even SQLite's `-wal`/`-shm` companions are created
beside another program's file. Standard library only: the start-up's quick read uses it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

APPLICATION_ID = 0x57524F4D  # "WROM", in every file this warroom creates
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
_ID_AT = slice(68, 72)
_WAL_AT = 18  # the header's "file format write version": 2 in WAL mode


class NotWarroom(Exception):
    """The file is not a warroom database; the message says what it is instead."""


def read_header(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEADER_SIZE)


def has_our_id(header: bytes) -> bool:
    return len(header) >= HEADER_SIZE and int.from_bytes(header[_ID_AT], "big") == APPLICATION_ID


def recognise(path: Path, timeout: float = 5.0) -> bool:
    """True for a warroom file with the id, False for one from before the id.

    Raises NotWarroom for anything else; sqlite3.Error (busy, damaged) and OSError pass
    through for the caller to explain."""
    header = read_header(path)
    if not header.startswith(SQLITE_MAGIC):
        raise NotWarroom("it is not an SQLite file")
    if len(header) < HEADER_SIZE:
        raise NotWarroom(f"it is {len(header)} bytes long, too short for any SQLite database")
    found = int.from_bytes(header[_ID_AT], "big")
    if found == APPLICATION_ID:
        return True
    if found != 0:
        raise NotWarroom(f"it belongs to another program: its SQLite application id is {found:#x}")
    wal = Path(f"{path}-wal")
    quiet = header[_WAL_AT] == 2 and not wal.exists()
    try:
        return _look_inside(path, timeout, immutable=quiet)
    except (NotWarroom, sqlite3.DatabaseError):
        if quiet and wal.exists():  # someone opened it meanwhile: read it the usual way
            return _look_inside(path, timeout, immutable=False)
        raise


def _look_inside(path: Path, timeout: float, immutable: bool) -> bool:
    mode = "immutable=1" if immutable else "mode=ro"
    with contextlib.closing(
        sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True, timeout=timeout)
    ) as conn:
        if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            return True  # stamped in the write-ahead log, not yet in the file itself
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        if "warroom_schema" in tables and "incident" in tables:
            columns = [row[1] for row in conn.execute("PRAGMA table_info(warroom_schema)")]
            if columns == ["version"]:
                return False
    if not tables:
        raise NotWarroom("it is an SQLite database with no tables, not one warroom created")
    shown = ", ".join(_printable(t) for t in tables[:5])
    shown += f" and {len(tables) - 5} more" if len(tables) > 5 else ""
    raise NotWarroom(f"it is another program's SQLite database, with the tables {shown}")


def _printable(name: str) -> str:
    """A table name from someone else's file, safe to print (no control characters)."""
    return "".join(c if c.isprintable() else "?" for c in name[:40])
