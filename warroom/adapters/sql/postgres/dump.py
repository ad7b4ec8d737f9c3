"""Backups of a shared war room: pg_dump's custom format, which pg_restore reads. A laptop
never overwrites the shared database: restoring is the server administrator's pg_restore."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from warroom.services.ports import BackupFailed
from warroom.system.settings import without_password


def dump(url: str, output: Path | None, folder: Path, now: datetime) -> Path:
    """Writes a pg_dump of the war room at `url` to `output`, or into `folder` named by the
    time; returns where. Raises BackupFailed with pg_dump's own words."""
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupFailed(
            "pg_dump is not installed, and a shared war room is backed up with it: install "
            "PostgreSQL's client programs (Debian: apt-get install postgresql-client)."
        )
    if output is None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        output = folder / f"shared-{now.astimezone(UTC):%Y%m%d-%H%M%S}.dump"
    environment = dict(os.environ)
    password = urlsplit(url).password
    if password:  # not on the command line, where other users could read it
        environment["PGPASSWORD"] = password
    done = subprocess.run(
        [program, "--format=custom", f"--file={output}", f"--dbname={without_password(url)}"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        output.unlink(missing_ok=True)
        raise BackupFailed(f"pg_dump could not back up the shared war room: {done.stderr.strip()}")
    output.chmod(0o600)
    return output


def refuse_restore(url: str) -> NoReturn:
    raise BackupFailed(
        f"A shared war room is restored on its server, not from a laptop: "
        f"pg_restore --clean --if-exists --dbname={without_password(url)} BACKUP.dump "
        "(warroom backup made BACKUP.dump with pg_dump)."
    )
