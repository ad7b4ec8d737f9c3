"""What kind of filesystem a folder lives on. SQLite's locking (and so WAL) is unreliable on
network filesystems, where two laptops can corrupt a shared file."""

from __future__ import annotations

import os
from pathlib import Path

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.s3fs",
        "davfs",
        "fuse.davfs",
    }
)
MOUNTS_FILE = Path("/proc/self/mounts")


def _unescape(field: str) -> str:
    # /proc/mounts writes spaces, tabs and newlines in paths as octal escapes.
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")


def filesystem_type(folder: Path, mounts: str | None = None) -> str | None:
    """The type of the mount holding `folder`, from /proc/self/mounts; None where unknown."""
    if mounts is None:
        try:
            mounts = MOUNTS_FILE.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(folder)
    best, best_type = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape(fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, best_type = point, fields[2]
    return best_type


def is_network_filesystem(fs_type: str | None) -> bool:
    return fs_type is not None and fs_type.lower() in NETWORK_FILESYSTEMS
