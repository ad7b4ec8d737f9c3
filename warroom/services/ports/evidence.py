"""The evidence repository the services see on a unit of work, and the vault the evidence
service keeps files in. Both speak domain objects: no rows, no sessions, no file handles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from warroom.domain.evidence import (
    Artifact,
    ArtifactKind,
    ChecklistItem,
    ChecklistTemplate,
    CustodyAction,
    CustodyEntry,
    HeadFile,
    HeadRecord,
    ItemState,
)
from warroom.domain.incident import Incident

Progress = Callable[[int, int], None]  # (bytes done, bytes in total)
Cancelled = Callable[[], bool]


class ItemNotFound(LookupError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no evidence checklist item #{item_id}.")


class ArtifactNotFound(LookupError):
    def __init__(self, artifact_id: int) -> None:
        super().__init__(f"There is no evidence #{artifact_id}.")


class AlreadyStored(Exception):
    """The storage refused a second artifact with the same sha256 on the same incident (its
    unique key): another writer got there first. `existing` is the one it holds, when it
    could be read back."""

    def __init__(self, incident_id: int, sha256: str, existing: Artifact | None) -> None:
        super().__init__(f"Incident #{incident_id} already holds sha256 {sha256}.")
        self.incident_id = incident_id
        self.sha256 = sha256
        self.existing = existing


class EvidenceRepository(Protocol):
    # -- checklist items -----------------------------------------------------------------
    def items(self, incident_id: int) -> list[ChecklistItem]:
        """The incident's checklist in order, each item with the artifacts it links."""
        ...

    def item(self, item_id: int) -> ChecklistItem:
        """Raises ItemNotFound."""
        ...

    def has_items(self, incident_id: int) -> bool: ...

    def seed(
        self, incident_id: int, template: ChecklistTemplate, started: datetime, now: datetime
    ) -> None:
        """The template's items, in its order, as the incident's checklist."""
        ...

    def add_item(self, incident_id: int, name: str, actor: str, now: datetime) -> ChecklistItem:
        """A pending item at the end of the checklist."""
        ...

    def set_state(self, item_id: int, state: ItemState, reason: str = "") -> ChecklistItem: ...

    def set_rotates_at(self, item_id: int, when: datetime | None) -> ChecklistItem: ...

    def link(self, item_id: int, artifact_id: int, now: datetime) -> bool:
        """Links an artifact to an item; False if it already was."""
        ...

    def rotating(self, until: datetime | None) -> list[tuple[Incident, ChecklistItem]]:
        """Pending items with a rotation time (by `until`, if given), on open incidents,
        soonest first."""
        ...

    # -- artifacts -----------------------------------------------------------------------
    def artifacts(self, incident_id: int | None = None) -> list[Artifact]:
        """Of one incident, or of all (by incident), in the order they were collected."""
        ...

    def artifact(self, artifact_id: int) -> Artifact:
        """Raises ArtifactNotFound."""
        ...

    def artifact_by_sha(self, incident_id: int, sha256: str) -> Artifact | None: ...

    def add_artifact(
        self,
        *,
        incident_id: int,
        item_id: int | None,
        kind: ArtifactKind,
        name: str,
        description: str,
        original_path: str,
        host: str,
        size: int,
        sha256: str,
        stored_name: str,
        collector: str,
        collected_at: datetime,
        local_zone: str,
        url: str,
    ) -> Artifact:
        """The new artifact, numbered. Raises AlreadyStored when the incident already holds
        a file with that sha256 (nothing is added; the unit of work stays usable)."""
        ...

    # -- an artifact's bytes, where the vault keeps them in the storage ------------------
    def add_chunks(self, artifact_id: int, chunks: Iterable[bytes | memoryview]) -> int:
        """Stores the artifact's bytes with its row, in order, in this unit of work; returns
        how many chunks. Stored chunks are never changed or deleted (but with the incident)."""
        ...

    def has_chunks(self, artifact_id: int) -> bool: ...

    def chunks(self, artifact_id: int) -> Iterator[bytes]:
        """The stored bytes in order, a chunk (at most 1 MiB) at a time: use each before
        asking for the next; an artifact of any size is never read whole."""
        ...

    # -- custody -------------------------------------------------------------------------
    def custody(self, artifact_id: int) -> list[CustodyEntry]:
        """The artifact's custody log in order."""
        ...

    def append_custody(
        self,
        artifact_id: int,
        action: CustodyAction,
        *,
        actor: str,
        at: datetime,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> CustodyEntry:
        """Appends to the chain as stored now (inside the write transaction, so two
        writers cannot both take the same seq)."""
        ...


class Incoming(Protocol):
    """A file copied into the vault under a temporary name, hashed. keep() gives it its
    final name; leaving the `with` block without settle() removes it."""

    sha256: str
    size: int

    def keep(self, name: str) -> Path: ...

    def settle(self) -> None:
        """The record of it is committed: the file now belongs to the record."""
        ...

    def __enter__(self) -> Incoming: ...

    def __exit__(self, *exc_info: object) -> None: ...


class Vault(Protocol):
    """The files of the evidence, one folder per incident. Failures to copy in are
    CollectError (or CollectCancelled); others are OSError.

    `in_database`: the artifacts' bytes are stored with their records (a shared war room,
    where any laptop must be able to verify and export them); the folder then only stages
    a copy while it is hashed and keeps this laptop's custody head file. Otherwise the
    folder keeps the files, on this computer only."""

    in_database: bool

    @property
    def root(self) -> Path: ...

    def folder(self, incident_id: int) -> Path:
        """The incident's folder (which may not exist)."""
        ...

    def prepare(self, incident_id: int) -> Path:
        """The incident's folder, created private if missing."""
        ...

    def receive_file(
        self,
        incident_id: int,
        source: Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Incoming: ...

    def receive_bytes(self, incident_id: int, data: bytes) -> Incoming: ...

    def stored_name(self, sha256: str, original: str) -> str: ...

    def copy_out(self, source: Path, destination: Path) -> str:
        """A working copy outside the vault; returns the copy's sha256."""
        ...

    def write_out(self, chunks: Iterable[bytes | memoryview], destination: Path) -> str:
        """A working copy of these bytes outside the vault (written under a temporary name,
        then renamed); returns the copy's sha256."""
        ...

    def hash_file(
        self, path: Path, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        """FileNotFoundError when it is gone."""
        ...

    def chunks(self, path: Path, cancelled: Cancelled | None = None) -> Iterator[memoryview]: ...

    def head_path(self, incident_id: int) -> Path: ...

    def append_heads(self, incident_id: int, records: list[HeadRecord]) -> None: ...

    def read_heads(self, incident_id: int) -> HeadFile: ...

    def evidence_files(self, incident_id: int) -> list[Path]: ...

    def incident_ids(self) -> list[int]:
        """The incidents the vault has a folder for."""
        ...

    def remove_incident(self, incident_id: int) -> int:
        """Removes the incident's folder; returns how many evidence files it held."""
        ...
