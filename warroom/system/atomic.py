"""Writing a file so that it is the old one or the new one, never a fragment.

Every file warroom writes (post-mortem and metrics exports, evidence bundles, backups, the
demo folder's marker) goes through here: the bytes go to a new private file in the
destination's folder, the file is fsynced and renamed over the destination, then the folder
is fsynced so the rename survives a power cut. A failure (a full disk, a read-only folder, a
cancel) removes the temporary file: the old file is left as it was, and nothing else is left
behind. Plain Python: the store, the services, the CLI and the GUI all use it.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PRIVATE = 0o600
TEMP_PREFIX = ".warroom-tmp-"
# What SQLite may create beside a file it writes (a backup is written through SQLite).
_SIDECARS = ("-journal", "-wal", "-shm")


def new_temp(folder: Path, mode: int = PRIVATE) -> Path:
    """A new empty file in `folder` with exactly `mode` (not widened by the umask, not
    narrowed below what we need to write it), under a name nothing else uses."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temp = Path(folder) / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            fd = os.open(temp, flags, mode)
        except FileExistsError:  # a 64-bit name already taken: pick another
            continue
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return temp


def put_in_place(temp: Path, destination: Path) -> None:
    """Flushes `temp` to the disk and renames it over `destination`, durably."""
    fd = os.open(temp, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, destination)
    _fsync_folder(Path(destination).parent)


def discard(temp: Path) -> None:
    """Removes a temporary file and whatever SQLite left beside it; never raises."""
    for suffix in ("", *_SIDECARS):
        with suppress(OSError):
            os.unlink(f"{temp}{suffix}")


@contextmanager
def replacing(destination: Path, mode: int = PRIVATE) -> Iterator[Path]:
    """Yields the path of a new empty file to fill; when the block ends normally it becomes
    `destination`, when it raises it is removed and `destination` is untouched."""
    destination = Path(destination)
    temp = new_temp(destination.parent, mode)
    try:
        yield temp
        put_in_place(temp, destination)
    except BaseException:
        discard(temp)
        raise


def write_bytes(destination: Path, data: bytes, mode: int = PRIVATE) -> None:
    """`destination` holds `data` afterwards, or (on OSError) exactly what it held before."""
    with replacing(destination, mode) as temp:
        fd = os.open(temp, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def why(exc: OSError) -> str:
    """What went wrong, in words a user can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the folder is on a read-only disk"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return exc.strerror or str(exc)


def disk_full(folder: Path) -> bool:
    """Whether the filesystem holding `folder` has no block left for us (SQLite reports a
    full disk as a plain I/O error when it cannot even grow its shared-memory file)."""
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # some filesystems cannot open a folder: the rename still happened
        return
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
