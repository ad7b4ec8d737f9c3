"""Is this file warroom's? Decided before anything writes to it.

A file warroom creates carries APPLICATION_ID in its SQLite header (`PRAGMA application_id`,
bytes 68-71). A file from before the id (schema versions 1-6) is recognised by warroom's own
version table, and gets the id stamped when it is next opened. Anything else (another
program's SQLite file, even one with a table named `incident`; an SQLite file with no
tables; random bytes) is not warroom's: it is refused, and nothing is written to it.

Looking inside opens the file read-only. A file in WAL mode that nobody has open (no `-wal`
beside it) is read as immutable, so not even SQLite's `-wal`/`-shm` companions are created
beside another program's file. Standard library only: the start-up's quick read uses it.

Is it intact? SQLite's quick check reads every page: about 170 ms for a 100 MB file. A check
that passed is remembered with the file's identity (`file_identity`), so opening the same,
unchanged file later in this process does not read it all again. Opening starts that check
on a thread of its own (`check_ahead`) before SQLAlchemy is imported; the open that follows
the import only compares the identity.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

APPLICATION_ID = 0x57524F4D  # "WROM", in every file this warroom creates
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
_ID_AT = slice(68, 72)
_WAL_AT = 18  # the header's "file format write version": 2 in WAL mode
_WAL_HEADER_SIZE = 32  # its salts change each time the log starts over, even at the same size

# (device, inode, size, mtime_ns) of the database, and of its -wal with the log's header.
FileIdentity = tuple[tuple[int, int, int, int], tuple[tuple[int, int, int, int], bytes] | None]

# A file written this shortly before its check may be written again within the same tick of
# its filesystem's clock with its mtime unchanged: such a check is not kept. Stamps with a
# fraction of a second (ext4, xfs, btrfs, tmpfs) tick with the kernel's clock, 10 ms at most;
# stamps in whole seconds come from a coarser filesystem (FAT's are 2 s apart).
_SETTLED_FINE_NS = 100_000_000
_SETTLED_COARSE_NS = 2_000_000_000
_SECOND_NS = 1_000_000_000

# Files a quick check found intact, by absolute path, with their identity at the time.
_intact: dict[str, FileIdentity] = {}
# Quick checks running on a thread of their own (check_ahead), by absolute path.
_ahead: dict[str, threading.Thread] = {}
_lock = threading.Lock()


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


def file_identity(path: Path) -> FileIdentity | None:
    """What changes whenever the content of the database at `path` may have: its own file's
    and its write-ahead log's device, inode, size and mtime, and the log's header. None
    when the file cannot be looked at."""
    try:
        database = _stat_of(os.stat(path))
        try:
            with open(f"{path}-wal", "rb") as handle:
                wal = (_stat_of(os.fstat(handle.fileno())), handle.read(_WAL_HEADER_SIZE))
        except FileNotFoundError:
            return database, None
    except OSError:
        return None
    return database, wal


def _stat_of(found: os.stat_result) -> tuple[int, int, int, int]:
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


def quick_check(conn: sqlite3.Connection, path: Path, *, reads_log: bool = True) -> str:
    """SQLite's quick check of `path`, open on `conn`: "ok" or what it found. An "ok" is
    remembered with the file's identity when that did not change while the check ran and
    the file had settled before it (`_settled`). `reads_log` False: `conn` reads the file
    as immutable, without its -wal, so the verdict is kept only for a file that has none."""
    started = time.time_ns()
    before = file_identity(path)
    verdict = str(conn.execute("PRAGMA quick_check").fetchone()[0])
    if (
        verdict == "ok"
        and before is not None
        and (reads_log or before[1] is None)
        and _settled(before, started)
        and file_identity(path) == before
    ):
        with _lock:
            _intact[str(path.absolute())] = before
    return verdict


def _settled(identity: FileIdentity, now_ns: int) -> bool:
    """Whether the files were last written long enough ago that a later write shows in
    their mtime. An empty -wal counts as settled: anything written to it makes it grow."""
    database, wal = identity
    stamps = [database[3]] + ([wal[0][3]] if wal is not None and wal[0][2] > 0 else [])
    coarse = any(stamp % _SECOND_NS == 0 for stamp in stamps)
    return max(stamps) <= now_ns - (_SETTLED_COARSE_NS if coarse else _SETTLED_FINE_NS)


def check_ahead(path: Path, timeout: float = 5.0) -> None:
    """Starts the quick check of `path` on a thread of its own: SQLite leaves the GIL while
    it reads the pages, so the caller goes on (importing SQLAlchemy) meanwhile, and opening
    the file (`checked_intact`) finds the check done. Whatever it finds wrong, the open
    finds again itself and explains. Only a file carrying warroom's id is looked at: opening
    another program's file the usual way could create a -wal beside it."""
    try:
        if not has_our_id(read_header(path)):
            return
    except OSError:
        return  # a new file, or one the open explains
    key = str(path.absolute())
    with _lock:
        verified = _intact.get(key)
    if verified is not None and verified == file_identity(path):
        return  # checked already (the CLI's quick read), and unchanged since
    # The -wal and -shm are left for the open to create, private. With no -wal beside it
    # the file is all there is, read as immutable; with a -wal but no -shm, reading would
    # create one: the open checks that file itself.
    has_log = Path(f"{path}-wal").exists()
    if has_log and not Path(f"{path}-shm").exists():
        return

    def check() -> None:
        uri = f"{path.absolute().as_uri()}?{'mode=ro' if has_log else 'immutable=1'}"
        with (
            contextlib.suppress(sqlite3.Error, OSError),
            contextlib.closing(sqlite3.connect(uri, uri=True, timeout=timeout)) as conn,
        ):
            quick_check(conn, path, reads_log=has_log)

    thread = threading.Thread(target=check, name="warroom-quick-check", daemon=True)
    with _lock:
        _ahead[key] = thread
    thread.start()


def checked_intact(path: Path, wait: float) -> bool:
    """True when a quick check in this process found `path` intact and the file has not
    changed since, so checking it again would add nothing. A check started ahead for it
    is waited for (at most `wait` seconds) rather than repeated."""
    key = str(path.absolute())
    with _lock:
        running = _ahead.pop(key, None)
    if running is not None:
        running.join(wait)
    with _lock:
        verified = _intact.get(key)
    return verified is not None and verified == file_identity(path)
