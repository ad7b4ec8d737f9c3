"""Shapes of files that are not warroom's, and a byte-exact picture of a folder, for the
store's tests and the fuzzing: a refused file must be exactly as it was. And raw SQL on
either engine's database, as someone going behind the app's back (tests/evidence too)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import run_sql


def folder_state(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every entry of `folder` (the folder itself as "."): content, mtime (ns) and mode."""
    state = {".": (b"", folder.stat().st_mtime_ns, folder.stat().st_mode)}
    for path in sorted(folder.iterdir()):
        status = path.stat()
        content = path.read_bytes() if path.is_file() else b""
        state[path.name] = (content, status.st_mtime_ns, status.st_mode)
    return state


def sqlite_file(path: Path, statements: list[str], wal: bool = False) -> None:
    """Another program's SQLite file, closed cleanly."""
    run_sql(path, *(["PRAGMA journal_mode=WAL"] if wal else []), *statements)


PHOTO_CATALOGUE = [
    "CREATE TABLE photo (id INTEGER PRIMARY KEY, path TEXT, taken_at TEXT, rating INT)",
    "CREATE TABLE album (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE TABLE album_photo (album_id INT, photo_id INT)",
    "INSERT INTO photo VALUES (1, '/home/me/IMG_0001.jpg', '2024-06-01', 5)",
    "INSERT INTO album VALUES (1, 'Holidays')",
]


def _write(data: bytes):  # type: ignore[no-untyped-def]
    return lambda path: path.write_bytes(data)


# name -> a function that writes that shape at the given path. Each is refused untouched.
FOREIGN_SHAPES = {
    "photo catalogue": lambda path: sqlite_file(path, PHOTO_CATALOGUE),
    "photo catalogue in WAL mode": lambda path: sqlite_file(path, PHOTO_CATALOGUE, wal=True),
    "another program's table named incident": lambda path: sqlite_file(
        path,
        [
            "CREATE TABLE incident (id INTEGER PRIMARY KEY, ticket TEXT, opened TEXT)",
            "INSERT INTO incident VALUES (1, 'HELP-1', '2025-01-01')",
        ],
    ),
    "warroom-like tables with another program's id": lambda path: sqlite_file(
        path,
        [
            "PRAGMA application_id = 1196444237",  # 'GPKG': a GeoPackage
            "CREATE TABLE warroom_schema (version INTEGER NOT NULL)",
            "INSERT INTO warroom_schema VALUES (6)",
            "CREATE TABLE incident (id INTEGER PRIMARY KEY)",
        ],
    ),
    "a version table of another shape": lambda path: sqlite_file(
        path,
        [
            "CREATE TABLE warroom_schema (version TEXT, note TEXT)",
            "CREATE TABLE incident (id INTEGER PRIMARY KEY)",
        ],
    ),
    "an SQLite database with no tables": lambda path: sqlite_file(
        path, ["PRAGMA user_version = 3"]
    ),
    "4 KiB of zero bytes": _write(b"\x00" * 4096),
    "random bytes": _write(os.urandom(8192)),
    "an SQLite header and nothing else": _write(b"SQLite format 3\x00"),
    "a text file": _write(b"photos:\n  - IMG_0001.jpg\n" * 40),
}


# -- another writer holding the lock, until the test releases it -------------------------------
HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
    if sys.argv[2] == "exclusive":  # not even readers get in
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
    else:  # another warroom in the middle of a write
        conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE warroom_schema SET version = version")
    print("held", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    """
)


@contextlib.contextmanager
def held_by_another_process(path, how="write"):
    """Yields a function that releases the lock (at the latest, it is released at exit)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def release() -> None:
        if holder.returncode is None:
            holder.communicate("release\n", timeout=60)
            assert holder.returncode == 0

    try:
        assert holder.stdout.readline().strip() == "held"
        yield release
    finally:
        release()


@contextlib.contextmanager
def held_here(path):
    """Another connection in this process, holding the write lock until released."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE warroom_schema SET version = version")

    def release() -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    try:
        yield release
    finally:
        release()
        conn.close()


# -- someone going behind the app's back, on either engine -------------------------------------
# SQLite's custody triggers, dropped by a forger with sqlite3 (they come back only with a
# fresh database); on PostgreSQL the superuser disables every trigger of the two tables for
# the forgery's transaction and enables them again, so nothing looks amiss afterwards.
SQLITE_CUSTODY_TRIGGERS = (
    "custody_entry_no_update",
    "custody_entry_no_delete",
    "evidence_artifact_no_update",
    "evidence_artifact_no_delete",
)
POSTGRESQL_CUSTODY_TABLES = ("custody_entry", "evidence_artifact")


@dataclass
class RawAccess:
    """SQL straight on the database, over a connection of its own: the file with sqlite3
    (each statement in autocommit), or the server with psycopg as its superuser (all the
    statements of one call in one transaction)."""

    engine: str
    target: str | Path  # the file, or the server database's URL

    @property
    def error(self) -> type[Exception]:
        """What a statement the database refuses raises."""
        if self.engine == "postgresql":
            import psycopg

            return psycopg.Error
        return sqlite3.DatabaseError

    def run(self, *statements: str) -> None:
        if self.engine != "postgresql":
            run_sql(Path(self.target), *statements)
            return
        import psycopg

        with psycopg.connect(str(self.target)) as conn:  # commits, or rolls back on error
            for statement in statements:
                conn.execute(statement.encode())

    def rows(self, query: str) -> list[tuple]:
        if self.engine != "postgresql":
            with contextlib.closing(sqlite3.connect(self.target)) as conn:
                return conn.execute(query).fetchall()
        import psycopg

        with psycopg.connect(str(self.target), autocommit=True) as conn:
            return [tuple(row) for row in conn.execute(query.encode()).fetchall()]

    def counts(self, *tables: str) -> tuple[int, ...]:
        """Each table's row count as committed."""
        return tuple(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0] for table in tables)

    def forge(self, *statements: str) -> None:
        """Runs `statements` with the custody triggers out of the way, as a forger who can
        write the database would."""
        if self.engine != "postgresql":
            drops = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_CUSTODY_TRIGGERS]
            self.run(*drops, *statements)
            return
        tables = POSTGRESQL_CUSTODY_TABLES
        self.run(
            *(f"ALTER TABLE {table} DISABLE TRIGGER ALL" for table in tables),
            *statements,
            *(f"ALTER TABLE {table} ENABLE TRIGGER ALL" for table in tables),
        )


def raw_access(engine: str, db_path: Path, request) -> RawAccess:  # type: ignore[no-untyped-def]
    """RawAccess to the test's database (tests/conftest.py's `db`, on `engine`)."""
    if engine == "postgresql":
        return RawAccess(engine, request.getfixturevalue("postgres_url"))
    return RawAccess(engine, db_path)


@contextlib.contextmanager
def empty_postgres_database(server, name: str):  # type: ignore[no-untyped-def]
    """A database with no tables on the run's server (yields its URL); dropped at exit."""
    server.admin(f"CREATE DATABASE {name}")
    try:
        yield server.url(name)
    finally:
        server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def index_columns(conn, table: str, name: str) -> tuple[str, ...] | None:  # type: ignore[no-untyped-def]
    """The columns of index `name` on `table` as the database reports them; None if absent."""
    from sqlalchemy import inspect

    for index in inspect(conn).get_indexes(table):
        if index["name"] == name:
            return tuple(index["column_names"])
    return None


def another_writer_gets_the_lock(path) -> bool:
    """Whether a writer in another connection gets the file's write lock at once (no wait)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None, timeout=0)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        conn.execute("ROLLBACK")
        return True
