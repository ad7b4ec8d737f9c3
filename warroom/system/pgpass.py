"""libpq's password file (~/.pgpass, or $PGPASSFILE): where a shared war room's password is
kept when the user asks, readable by them alone, so it is never in warroom's settings."""

from __future__ import annotations

import os
from pathlib import Path

from warroom.system import atomic


def pgpass_file() -> Path:
    given = os.environ.get("PGPASSFILE")
    return Path(given) if given else Path.home() / ".pgpass"


def _escaped(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def remember_password(host: str, port: int, database: str, user: str, password: str) -> Path:
    """Adds (or replaces) the line for host:port:database:user; the file stays 0600, as
    libpq requires before it reads it. Returns the file."""
    path = pgpass_file()
    key = ":".join(_escaped(f) for f in (host, str(port), database, user)) + ":"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    kept = [line for line in lines if not line.startswith(key)]
    kept.append(key + _escaped(password))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, ("\n".join(kept) + "\n").encode("utf-8"), mode=0o600)
    return path
