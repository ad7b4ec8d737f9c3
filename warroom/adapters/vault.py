"""The evidence vault on disk: files copied in (never moved or modified), hashed while they
are copied, and kept read-only. No SQL here; the service records what this returns.

In a shared war room (SharedVault) the folder only stages a copy while it is hashed: the
service stores the bytes in the database with the artifact's record, and the staged copy is
removed once that is committed. The custody head file stays in the folder either way: it is
this laptop's own record of the custody entries it committed.

A copy goes to a temporary name in the incident's folder, is fsynced, and only then renamed
to its final name, so a crash, a cancel or a failure never leaves a half-written artifact
under a real name. Hashing is streamed through a few reusable 1 MiB buffers (the next chunk
is hashed while the previous one is written, on a helper thread): a file of any size is never
held in memory.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import queue
import re
import secrets
import shutil
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from warroom.domain.evidence import (
    HEAD_FILE,
    CollectCancelled,
    CollectError,
    HeadFile,
    HeadRecord,
    parse_head_line,
)

CHUNK = 1 << 20
BUFFERS = 3  # in flight between the reading/hashing thread and the writing one
FOLDER_MODE = 0o700
WRITING_MODE = 0o600
KEPT_MODE = 0o400
PARTIAL_PREFIX = ".partial-"
MAX_NAME = 120

Progress = Callable[[int, int], None]  # (bytes done, bytes in total)
Cancelled = Callable[[], bool]


# -- folders -----------------------------------------------------------------------------------
def incident_folder(root: Path, incident_id: int) -> Path:
    """root/<incident id>, both created private (0700) if missing."""
    folder = root / str(incident_id)
    try:
        for path in (root, folder):
            path.mkdir(mode=FOLDER_MODE, exist_ok=True, parents=True)
            if stat.S_IMODE(path.stat().st_mode) != FOLDER_MODE:
                os.chmod(path, FOLDER_MODE)
    except OSError as exc:
        raise _vault_error(folder, exc) from exc
    return folder


def stored_name(sha256: str, original: str) -> str:
    """'1a2b3c4d5e6f7a8b-app.log': the hash prefix keeps names unique within an incident
    (the same bytes are never stored twice), the original name keeps them readable."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", original).lstrip(".") or "artifact"
    return f"{sha256[:16]}-{safe[-MAX_NAME:]}"


# -- bringing a file in ------------------------------------------------------------------------
class Incoming:
    """A fully copied, fsynced file under a temporary name, with its hash and size. keep()
    gives it its final name; discard() removes it, until settle() says it is recorded."""

    def __init__(self, folder: Path, temp: Path, sha256: str, size: int) -> None:
        self.folder = folder
        self.temp = temp
        self.sha256 = sha256
        self.size = size
        self.path: Path | None = None
        self._settled = False

    def keep(self, name: str) -> Path:
        final = _free_name(self.folder, name)
        try:
            os.rename(self.temp, final)
            self.path = final
            os.chmod(final, KEPT_MODE)
            _fsync_folder(self.folder)
        except OSError as exc:
            raise _vault_error(self.folder, exc) from exc
        return final

    def settle(self) -> None:
        """The database row is committed: the file now belongs to the record."""
        self._settled = True

    def discard(self) -> None:
        if self._settled:
            return
        for path in (self.temp, self.path):
            if path is not None:
                with suppress(FileNotFoundError):
                    path.unlink()

    def __enter__(self) -> Incoming:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Leaving the block without settle() (an exception, a duplicate) leaves nothing.
        self.discard()


def receive_file(
    folder: Path,
    source: Path,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Incoming:
    """Copies `source` into `folder` under a temporary name, hashing as it goes.

    Raises CollectError (unreadable, not a regular file, changed or vanished during the
    copy, vault full or read-only) or CollectCancelled; either way nothing is left behind.
    """
    fd, opened = _open_source(source)
    try:
        with _temp_file(folder) as (out, temp):
            digest, done = _pump(fd, out, (source, folder), opened.st_size, progress, cancelled)
            _check_unchanged(fd, source, opened, done)
            _fsync(out, folder)
    finally:
        os.close(fd)
    return Incoming(folder, temp, digest, done)


def receive_bytes(folder: Path, data: bytes) -> Incoming:
    """Stores `data` (a pasted snippet) like a copied file: temp name, hash, fsync."""
    digest = hashlib.sha256()
    with _temp_file(folder) as (out, temp):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            chunk = view[start : start + CHUNK]
            digest.update(chunk)
            _write_to_vault(out, chunk, folder)
        _fsync(out, folder)
    return Incoming(folder, temp, digest.hexdigest(), len(data))


def _open_source(source: Path) -> tuple[int, os.stat_result]:
    # O_NONBLOCK: opening a FIFO must not hang waiting for a writer; O_NOATIME: reading the
    # original should not even change its access time (allowed only for the file's owner).
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        try:
            fd = os.open(source, flags | noatime)
        except PermissionError:
            if not noatime:
                raise
            fd = os.open(source, flags)
    except FileNotFoundError:
        raise CollectError(f"{source} does not exist (was it moved or deleted?).") from None
    except PermissionError:
        raise CollectError(f"{source} cannot be read: permission denied.") from None
    except OSError as exc:
        raise CollectError(f"{source} cannot be read: {exc.strerror or exc}.") from None
    opened = os.fstat(fd)
    problem = _not_a_file(opened)
    if problem:
        os.close(fd)
        raise CollectError(f"{source} {problem}")
    return fd, opened


def _not_a_file(status: os.stat_result) -> str:
    if stat.S_ISDIR(status.st_mode):
        return "is a folder, not a file. Choose the files inside it."
    if not stat.S_ISREG(status.st_mode):
        return (
            "is not a regular file (a device, pipe or socket): it has no fixed contents to "
            "copy. Save its output to a file first."
        )
    return ""


@contextmanager
def _temp_file(folder: Path, place: str = "the vault") -> Iterator[tuple[int, Path]]:
    """A new private file in `folder`; removed unless the block completes."""
    temp = folder / f"{PARTIAL_PREFIX}{secrets.token_hex(8)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        out = os.open(temp, flags, WRITING_MODE)
    except OSError as exc:
        raise _vault_error(folder, exc, place) from exc
    try:
        yield out, temp
    except BaseException:
        os.close(out)
        with suppress(FileNotFoundError):
            temp.unlink()
        raise
    os.close(out)


def _pump(
    fd: int,
    out: int,
    places: tuple[Path, Path],
    total: int,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> tuple[str, int]:
    """Reads `fd` to its end into `out`, hashing each chunk while the one before it is being
    written. `places` is (the source, the vault folder), for messages."""
    source, folder = places
    reader = io.FileIO(fd, "rb", closefd=False)
    digest = hashlib.sha256()
    done = 0
    writer = _Writer(out, folder)
    try:
        while writer.error is None:
            if cancelled is not None and cancelled():
                raise CollectCancelled(f"Copying {source.name} was cancelled; nothing was kept.")
            buffer = writer.free.get()
            count = _read_into(reader, buffer, source)
            if not count:
                break
            digest.update(memoryview(buffer)[:count])
            writer.write(buffer, count)
            done += count
            if progress is not None:
                progress(done, total)
    except BaseException:
        writer.stop()
        raise
    writer.finish()
    try:
        os.ftruncate(out, done)  # a trailing hole needs the size set explicitly
    except OSError as exc:
        raise _vault_error(folder, exc) from exc
    if done == 0 and progress is not None:
        progress(0, total)
    return digest.hexdigest(), done


def _read_into(reader: io.FileIO, buffer: bytearray, source: Path) -> int:
    try:
        return reader.readinto(buffer) or 0
    except OSError as exc:
        raise CollectError(
            f"{source} could not be read to the end: {exc.strerror or exc}."
        ) from None


class _Writer:
    """Writes chunks to the vault on its own thread, so that hashing one chunk overlaps
    writing the one before (hashlib and os.write both release the GIL). BUFFERS reusable
    1 MiB buffers go round between the two threads: memory stays bounded whatever the size.
    The first write error stops the writing; the copy then fails with it."""

    def __init__(self, out: int, folder: Path) -> None:
        self._out = out
        self._folder = folder
        self.free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(BUFFERS):
            self.free.put(bytearray(CHUNK))
        self._jobs: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vault-writer", daemon=True)
        self._thread.start()

    def write(self, buffer: bytearray, count: int) -> None:
        self._jobs.put((buffer, count))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            buffer, count = job
            try:
                if self.error is None:
                    _write_to_vault(self._out, memoryview(buffer)[:count], self._folder)
            except BaseException as exc:  # anything: the reader must never wait forever
                self.error = exc
            finally:
                self.free.put(buffer)  # back to the reader, written or not

    def stop(self) -> None:
        """Waits for the writes in flight; the file is about to be removed anyway."""
        self._jobs.put(None)
        self._thread.join()

    def finish(self) -> None:
        """Waits until everything is written; raises the first write error."""
        self.stop()
        if self.error is not None:
            raise self.error


def _write_all(out: int, chunk: memoryview) -> None:
    while chunk:
        written = os.write(out, chunk)
        chunk = chunk[written:]


_ZEROS = bytes(CHUNK)


def _write_to_vault(out: int, chunk: memoryview, where: Path, place: str = "the vault") -> None:
    try:
        if len(chunk) == CHUNK and chunk == _ZEROS:
            # A hole in a sparse source (a core dump, a preallocated log) stays a hole in
            # the vault: same bytes when read, no disk spent. _pump sets the final size.
            os.lseek(out, CHUNK, os.SEEK_CUR)
        else:
            _write_all(out, chunk)
    except OSError as exc:
        raise _vault_error(where, exc, place) from exc


def _fsync(out: int, folder: Path, place: str = "the vault") -> None:
    try:
        os.fsync(out)
    except OSError as exc:
        raise _vault_error(folder, exc, place) from exc


def _check_unchanged(fd: int, source: Path, opened: os.stat_result, done: int) -> None:
    """The copy is only evidence if the file held still while it was read."""
    ended = os.fstat(fd)
    if done != opened.st_size or ended.st_size != opened.st_size:
        raise CollectError(
            f"{source} changed size while it was being copied ({opened.st_size:,} bytes at "
            f"the start, {done:,} read): something is still writing it. Copy it again once it "
            "holds still, or copy a rotated or snapshot copy of it."
        )
    if ended.st_mtime_ns != opened.st_mtime_ns:
        raise CollectError(
            f"{source} was modified while it was being copied. Copy it again once it holds still."
        )
    try:
        now = os.stat(source)
    except FileNotFoundError:
        raise CollectError(
            f"{source} vanished while it was being copied (deleted or rotated away)."
        ) from None
    except OSError as exc:
        raise CollectError(f"{source} cannot be read: {exc.strerror or exc}.") from None
    if (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
        raise CollectError(
            f"{source} was replaced by another file while it was being copied (log "
            "rotation?). Copy it again."
        )


def _free_name(folder: Path, name: str) -> Path:
    # Normally free: duplicates are refused before keep(). A file left by a crash between
    # the rename and the commit must not be overwritten, though.
    candidate, n = folder / name, 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{name}.{n}"
    return candidate


def _fsync_folder(folder: Path) -> None:
    """Makes the rename durable: the folder's entry, not only the file's bytes."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _vault_error(where: Path, exc: OSError, place: str = "the vault") -> CollectError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = f"the disk holding {place} is full ({where}). Free some space and try again"
    elif exc.errno == errno.EROFS:
        why = f"{place} ({where}) is on a read-only disk"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"{place} ({where}) cannot be written: permission denied"
    else:
        why = f"{place} ({where}) refused the write: {exc.strerror or exc}"
    return CollectError(why[:1].upper() + why[1:] + "; nothing was kept.")


# -- reading back ------------------------------------------------------------------------------
def chunks(path: Path, cancelled: Cancelled | None = None) -> Iterator[memoryview]:
    """The file's bytes, one reused 1 MiB buffer at a time: use each view before the next."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            if cancelled is not None and cancelled():
                raise CollectCancelled(f"Reading {path.name} was cancelled.")
            count = handle.readinto(buffer)
            if not count:
                return
            yield view[:count]


def hash_file(
    path: Path, progress: Progress | None = None, cancelled: Cancelled | None = None
) -> str:
    """sha256 of a file, streamed. FileNotFoundError when it is gone."""
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    for chunk in chunks(path, cancelled):
        digest.update(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return digest.hexdigest()


def copy_out(source: Path, destination: Path) -> str:
    """A working copy outside the vault (mode 0600), written under a temporary name and
    renamed; returns the copy's sha256 so the caller can check it against the record."""
    return write_out(chunks(source), destination)


def write_out(pieces: Iterable[bytes | memoryview], destination: Path) -> str:
    """copy_out from any source of bytes (the database's chunks in a shared war room); an
    exception from `pieces` leaves nothing behind."""
    folder, place = destination.parent, "the destination"
    digest = hashlib.sha256()
    with _temp_file(folder, place) as (out, temp):
        for piece in pieces:
            chunk = memoryview(piece)
            digest.update(chunk)
            _write_to_vault(out, chunk, folder, place)
        _fsync(out, folder, place)
    try:
        os.replace(temp, destination)
    except OSError as exc:
        with suppress(FileNotFoundError):
            temp.unlink()
        raise _vault_error(folder, exc, place) from exc
    return digest.hexdigest()


# -- the custody head file ---------------------------------------------------------------------
def head_path(folder: Path) -> Path:
    return folder / HEAD_FILE


def append_heads(folder: Path, records: list[HeadRecord]) -> None:
    """Appends committed custody entries to the incident's head file (created 0600), in one
    write, and fsyncs it. Only ever appended to: nothing here rewrites or truncates it."""
    if not records:
        return
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path = head_path(folder)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, WRITING_MODE)
    try:
        size = os.fstat(fd).st_size
        # A line torn by a crash must not swallow the next one.
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        text = ("\n" if torn else "") + "".join(r.line() + "\n" for r in records)
        _write_all(fd, memoryview(text.encode("ascii")))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_heads(folder: Path) -> HeadFile:
    """The head file's records; a last line without its newline (torn by a crash while it was
    written) is left out, any other line that is not a record is reported by number."""
    try:
        data = head_path(folder).read_bytes()
    except FileNotFoundError:
        return HeadFile(exists=False)
    lines = data.decode("utf-8", errors="replace").split("\n")
    complete = lines[:-1]  # the text after the last newline is torn (or empty)
    records, unreadable = [], []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        record = parse_head_line(line)
        if record is None:
            unreadable.append(number)
        else:
            records.append(record)
    return HeadFile(True, tuple(records), tuple(unreadable))


def evidence_files(folder: Path) -> list[Path]:
    """The evidence files in an incident's folder: not the head file, not a copy under way."""
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    return sorted(
        p
        for p in entries
        if p.name != HEAD_FILE and not p.name.startswith(PARTIAL_PREFIX) and not p.is_dir()
    )


def remove_incident_folder(root: Path, incident_id: int) -> int:
    """Removes root/<incident id> and everything in it; returns how many evidence files it
    held. Read-only files go too: the folder's own mode decides, not theirs."""
    folder = root / str(incident_id)
    if folder.is_symlink() or not folder.is_dir():
        return 0  # never followed out of the vault
    count = len(evidence_files(folder))
    shutil.rmtree(folder)
    return count


# -- the port ----------------------------------------------------------------------------------
class FileVault:
    """services.ports.evidence.Vault on a folder: one subfolder per incident."""

    in_database = False

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        return self._root

    def folder(self, incident_id: int) -> Path:
        return self._root / str(incident_id)

    def prepare(self, incident_id: int) -> Path:
        return incident_folder(self._root, incident_id)

    def receive_file(
        self,
        incident_id: int,
        source: Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Incoming:
        return receive_file(self.prepare(incident_id), source, progress, cancelled)

    def receive_bytes(self, incident_id: int, data: bytes) -> Incoming:
        return receive_bytes(self.prepare(incident_id), data)

    def stored_name(self, sha256: str, original: str) -> str:
        return stored_name(sha256, original)

    def copy_out(self, source: Path, destination: Path) -> str:
        return copy_out(source, destination)

    def write_out(self, pieces: Iterable[bytes | memoryview], destination: Path) -> str:
        return write_out(pieces, destination)

    def hash_file(
        self, path: Path, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        return hash_file(path, progress, cancelled)

    def chunks(self, path: Path, cancelled: Cancelled | None = None) -> Iterator[memoryview]:
        return chunks(path, cancelled)

    def head_path(self, incident_id: int) -> Path:
        return head_path(self.folder(incident_id))

    def append_heads(self, incident_id: int, records: list[HeadRecord]) -> None:
        append_heads(self.folder(incident_id), records)

    def read_heads(self, incident_id: int) -> HeadFile:
        return read_heads(self.folder(incident_id))

    def evidence_files(self, incident_id: int) -> list[Path]:
        return evidence_files(self.folder(incident_id))

    def incident_ids(self) -> list[int]:
        if not self._root.is_dir():
            return []
        return sorted(int(p.name) for p in self._root.iterdir() if p.name.isdigit())

    def remove_incident(self, incident_id: int) -> int:
        return remove_incident_folder(self._root, incident_id)


class Staged(Incoming):
    """An Incoming whose bytes are stored in the database with its record: once that is
    committed (settle), the local copy has done its work and is removed."""

    def settle(self) -> None:
        super().settle()
        for path in (self.path, self.temp):
            if path is not None:
                with suppress(OSError):  # a copy left here is harmless; the record holds
                    path.unlink()


class SharedVault(FileVault):
    """The vault of a shared war room: the service stores each artifact's bytes in the
    database in the transaction that records it (`in_database`), so any laptop in the room
    can verify and export them. The folder stages a copy while it is hashed, and keeps
    this laptop's custody head file."""

    in_database = True

    def receive_file(
        self,
        incident_id: int,
        source: Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Incoming:
        return _staged(super().receive_file(incident_id, source, progress, cancelled))

    def receive_bytes(self, incident_id: int, data: bytes) -> Incoming:
        return _staged(super().receive_bytes(incident_id, data))


def _staged(incoming: Incoming) -> Staged:
    return Staged(incoming.folder, incoming.temp, incoming.sha256, incoming.size)
