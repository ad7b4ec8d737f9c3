"""Raw views of a database for tests in every folder: what a separate connection sees, as
someone going behind the app's back would (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def count_rows(path: Path, *tables: str) -> tuple[int, ...]:
    """Each table's row count as committed in the file, over a connection of its own."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables
        )


def count_committed(engine, *tables: str) -> tuple[int, ...]:
    """Each table's row count as committed, over a new connection of `engine` (any engine)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables)


def run_sql(path: Path, *statements: str) -> None:
    """Runs each statement on the file in autocommit, then closes the connection."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


@contextlib.contextmanager
def disk_full(database):
    """SQLite's own way to run out of space, on the connection the app writes with: the file
    may not grow by a page until the block ends."""
    with database.write_connection() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1")  # raised to the file's size
    try:
        yield
    finally:
        with database.write_connection() as conn:
            conn.exec_driver_sql("PRAGMA max_page_count = 4294967294")
