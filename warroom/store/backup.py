"""Consistent copies of a live SQLite file, via SQLite's online backup API."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path


def backup_database(source: Path, destination: Path) -> Path:
    """Copies `source` to `destination` consistently, checks the copy, then moves it into
    place atomically, so a half-written backup never carries the final name."""
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination.with_name(destination.name + ".partial")
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        src.backup(dst)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"backup of {source} failed its integrity check: {verdict}")
    os.chmod(partial, 0o600)
    os.replace(partial, destination)
    return destination


def backup_name(reason: str, moment: datetime) -> str:
    return f"warroom-{moment.strftime('%Y%m%dT%H%M%SZ')}-{reason}.db"
