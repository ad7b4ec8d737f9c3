"""Evidence preservation: the checklist against the clock, collecting into the vault, and the
chain of custody. Each operation is validated, committed in one transaction with its custody
entries and timeline event, and announced, through the incident service. The GUI and the CLI
both go through here, so they record the same thing.

Long work (copying and hashing a large file) happens outside any database transaction and
may run on a worker thread: every method opens its own unit of work, and nothing here knows
Qt. Change announcements are made on the calling thread. Storage and the vault's files are
reached through ports (services.ports.evidence): no SQL and no file layout here.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.evidence import (
    HEAD_FILE,
    RISK_WINDOW,
    Artifact,
    ArtifactKind,
    ChecklistError,
    ChecklistItem,
    ChecklistTemplate,
    CollectCancelled,
    CollectError,
    CustodyAction,
    CustodyEntry,
    DuplicateArtifact,
    FileFinding,
    HeadFile,
    ItemState,
    VerifyResult,
    assess,
    collected_entry,
    collected_record,
    collected_text,
    head_record,
    iso_utc,
    linked_text,
    load_checklist_file,
    short_hash,
    vanished,
    verify_summary,
    zone_label,
)
from warroom.domain.incident import EventKind, Incident
from warroom.domain.lifecycle import Status
from warroom.domain.safe_text import visible
from warroom.domain.timefmt import utc_minute
from warroom.domain.validation import MAX_TITLE, ValidationError, aware_utc, clean_text
from warroom.services.incidents import Edit, IncidentService
from warroom.services.ports import IncidentNotFound, UnitOfWork
from warroom.services.ports.evidence import (
    AlreadyStored,
    ArtifactNotFound,
    Incoming,
    ItemNotFound,
    Vault,
)
from warroom.system import atomic
from warroom.system.paths import resources_dir

log = logging.getLogger("warroom.evidence")

__all__ = [
    "ArtifactNotFound",
    "CollectCancelled",
    "CollectError",
    "DuplicateArtifact",
    "EvidenceService",
    "ItemNotFound",
    "builtin_checklist_file",
    "load_checklist",
]

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
BUNDLE_MODE = 0o600  # a bundle can hold every artifact of an incident


def builtin_checklist_file() -> Path:
    return resources_dir() / "checklists" / "evidence.toml"


def load_checklist(override: Path | None) -> tuple[ChecklistTemplate, list[str]]:
    """The team's checklist where it is valid, else the built-in one with a warning naming
    the file and the key (like settings.load_policy)."""
    builtin = load_checklist_file(builtin_checklist_file())
    if override is None or not override.exists():
        return builtin, []
    try:
        return load_checklist_file(override), []
    except ChecklistError as exc:
        message = f"The evidence checklist {exc.source} has a problem at “{exc.key}”: {exc.problem}"
        log.warning("%s; using the built-in checklist", message)
        return builtin, [message + "\nThe built-in checklist is used until it is fixed."]


class EvidenceService:
    def __init__(
        self,
        incidents: IncidentService,
        vault: Vault,
        checklist_override: Path | None = None,
    ) -> None:
        self.incidents = incidents
        self.vault = vault
        self.template, self.warnings = load_checklist(checklist_override)
        # What removing a deleted incident's vault folder came to: a count or the error.
        self._removed: dict[int, int | CollectError] = {}
        self._unsubscribe = incidents.subscribe(self._on_change)
        incidents.on_declare.append(self._seed)

    def close(self) -> None:
        """Stops seeding checklists for newly declared incidents."""
        self._unsubscribe()

    # -- the checklist -----------------------------------------------------------------------
    def _on_change(self, changes: ChangeSet) -> None:
        for change in changes.changes:
            if Part.DELETED in change.parts:
                self._remove_deleted(change.incident_id)

    def _seed(self, edit: Edit) -> None:
        """The incident's checklist from the data file, in `edit`'s transaction: the
        declaring one (a storage failure there rolls the declaration back whole), or the
        first evidence write on an incident that has none (one declared before evidence
        existed, or with no evidence service listening). Once, however many evidence
        services watch the same incident service. Reads never seed."""
        if not edit.uow.evidence.has_items(edit.incident_id):
            edit.uow.evidence.seed(
                edit.incident_id, self.template, edit.row.impact_started_at, edit.now
            )

    def checklist(self, incident_id: int) -> list[ChecklistItem]:
        """The items, each marked `before_change` as the checklist in force says."""
        with self.incidents.reading() as uow:
            uow.incidents.get(incident_id)
            return self.template.marked(uow.evidence.items(incident_id))

    def security_incident(self, incident_id: int) -> bool:
        """The incident is a security one (`Incident.is_security`): the security-only items
        are asked too, and the volatile ones hold up changes."""
        with self.incidents.reading() as uow:
            return uow.mitigations.security_incident(incident_id)

    def pending(self, incident_id: int) -> list[ChecklistItem]:
        """Items still to collect; a security-only one only on a security incident."""
        security = self.security_incident(incident_id)
        return [
            i
            for i in self.checklist(incident_id)
            if i.state is ItemState.PENDING and i.asked_of(security)
        ]

    def at_risk(self, now: datetime) -> list[tuple[Incident, ChecklistItem]]:
        """Pending items about to rotate away (or past it), on open incidents, soonest first."""
        return self._rotating(now + RISK_WINDOW)

    def rotations(self) -> list[tuple[Incident, ChecklistItem]]:
        """Every pending item with a rotation time, on open incidents, soonest first: for
        scheduling reminders ahead of time."""
        return self._rotating(None)

    def rotations_for(self, incident_ids: Iterable[int]) -> list[tuple[Incident, ChecklistItem]]:
        """`rotations` restricted to these incidents (a deleted one has none), in the same
        order: what a change to a few incidents needs, without reading the rest."""
        found: list[tuple[Incident, ChecklistItem]] = []
        with self.incidents.reading() as uow:
            for incident_id in sorted(set(incident_ids)):
                try:
                    incident = uow.incidents.to_incident(uow.incidents.read(incident_id))
                except IncidentNotFound:
                    continue
                if not incident.status.is_open:
                    continue
                security = uow.mitigations.security_incident(incident_id)
                found.extend(
                    (incident, item)
                    for item in uow.evidence.items(incident_id)
                    if item.state is ItemState.PENDING
                    and item.rotates_at is not None
                    and item.asked_of(security)
                )
        return sorted(found, key=lambda pair: (pair[1].rotates_at, pair[1].id))

    def _rotating(self, until: datetime | None) -> list[tuple[Incident, ChecklistItem]]:
        """A security-only item is left out on an incident that is not a security one."""
        with self.incidents.reading() as uow:
            found = []
            security: dict[int, bool] = {}
            for incident, item in uow.evidence.rotating(until):
                if incident.id not in security:
                    security[incident.id] = uow.mitigations.security_incident(incident.id)
                if item.asked_of(security[incident.id]):
                    found.append((incident, item))
            return found

    def add_item(self, incident_id: int, name: str) -> ChecklistItem:
        clean = " ".join(clean_text("name", name, "The item's name").split())
        if not clean:
            raise ValidationError("name", "Say what to collect, in a few words.")
        if len(clean) > MAX_TITLE:
            raise ValidationError("name", f"The name is too long (at most {MAX_TITLE} characters).")
        with self.incidents.editing(incident_id) as edit:
            self._seed(edit)
            taken = {i.name.casefold() for i in edit.uow.evidence.items(incident_id)}
            if clean.casefold() in taken:
                raise ValidationError("name", f"The checklist already has “{clean}”.")
            item = edit.uow.evidence.add_item(incident_id, clean, edit.actor, edit.now)
            edit.event(EventKind.EVIDENCE, f"Evidence item added: {clean}", item=item.id)
        return item

    def set_rotates_at(self, item_id: int, when: datetime | None) -> ChecklistItem:
        when = None if when is None else aware_utc("rotates_at", when)
        with self._editing_item(item_id) as (edit, item):
            if item.rotates_at == when:
                return item
            old = item.rotates_at
            text = (
                f"Evidence item “{item.name}” rotates at {utc_minute(when)}"
                if when
                else f"Evidence item “{item.name}”: rotation time cleared"
            )
            edit.event(
                EventKind.EVIDENCE,
                text + (f" (was {utc_minute(old)})" if old else ""),
                item=item_id,
                old=old,
                new=when,
            )
            return edit.uow.evidence.set_rotates_at(item_id, when)

    def mark_not_applicable(self, item_id: int, reason: str) -> ChecklistItem:
        reason = " ".join(clean_text("reason", reason, "The reason").split())
        if not reason:
            raise ValidationError(
                "reason", "Say why this evidence does not apply: the post-mortem will ask."
            )
        with self._editing_item(item_id) as (edit, item):
            if item.state is ItemState.COLLECTED:
                raise ValidationError(
                    "state", f"“{item.name}” already has evidence collected; reopen it first."
                )
            edit.event(
                EventKind.EVIDENCE,
                f"Evidence not applicable: {item.name}: {reason}",
                item=item_id,
                reason=reason,
            )
            return edit.uow.evidence.set_state(item_id, ItemState.NOT_APPLICABLE, reason)

    def reopen_item(self, item_id: int) -> ChecklistItem:
        with self._editing_item(item_id) as (edit, item):
            if item.state is ItemState.PENDING:
                return item
            edit.event(
                EventKind.EVIDENCE,
                f"Evidence item reopened: {item.name} (was {item.state.label.lower()})",
                item=item_id,
                old=item.state.value,
            )
            return edit.uow.evidence.set_state(item_id, ItemState.PENDING)

    # -- collecting --------------------------------------------------------------------------
    def collect_file(
        self,
        incident_id: int,
        path: Path | str,
        item_id: int | None = None,
        note: str = "",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Artifact:
        """Copies one file into the vault, hashing it while copying, and records it.
        `progress(bytes_done, total)` is called per MiB on the calling thread; `cancelled()`
        is polled as often. Safe to call from a worker thread."""
        note = clean_text("note", note, "The description")
        source = Path(os.path.abspath(path))
        self._prepare(incident_id, item_id)
        with self.vault.receive_file(incident_id, source, progress, cancelled) as incoming:
            return self._record(
                incoming,
                incident_id,
                item_id,
                kind=ArtifactKind.FILE,
                name=source.name,
                original_path=str(source),
                description=note,
            )

    def add_snippet(
        self, incident_id: int, item_id: int | None, text: str, description: str
    ) -> Artifact:
        """Pasted text (log lines, an error message), kept byte for byte as a file."""
        clean_text("text", text, "The snippet")  # refuses NUL and invalid text
        if not text.strip():
            raise ValidationError("text", "The snippet is empty: paste the text to keep.")
        description = clean_text("description", description, "The description")
        self._prepare(incident_id, item_id)
        name = f"snippet-{self.incidents.now():%Y%m%dT%H%M%SZ}.txt"
        with self.vault.receive_bytes(incident_id, text.encode("utf-8")) as incoming:
            return self._record(
                incoming,
                incident_id,
                item_id,
                kind=ArtifactKind.SNIPPET,
                name=name,
                description=description,
            )

    def add_reference(
        self,
        incident_id: int,
        item_id: int | None,
        reference: str,
        description: str,
        screenshot: Path | None = None,
    ) -> Artifact:
        """What cannot be copied (a dashboard URL, a ticket), with an optional screenshot
        that is copied into the vault like any file."""
        reference = " ".join(clean_text("reference", reference, "The reference").split())
        if not reference:
            raise ValidationError("reference", "Give the URL or ticket where the evidence is.")
        description = clean_text("description", description, "The description")
        self._prepare(incident_id, item_id)
        fields: dict[str, Any] = dict(
            kind=ArtifactKind.REFERENCE, description=description, url=reference
        )
        if screenshot is None:
            return self._record(None, incident_id, item_id, name=reference[:MAX_TITLE], **fields)
        source = Path(os.path.abspath(screenshot))
        with self.vault.receive_file(incident_id, source) as incoming:
            return self._record(
                incoming,
                incident_id,
                item_id,
                name=source.name,
                original_path=str(source),
                **fields,
            )

    def link_existing(self, item_id: int, artifact_id: int, note: str = "") -> ChecklistItem:
        """The same artifact also covers another item (offered after a DuplicateArtifact)."""
        note = " ".join(clean_text("note", note, "The note").split())
        logged: list[CustodyEntry] = []
        with self._editing_item(item_id) as (edit, item):
            artifact = edit.uow.evidence.artifact(artifact_id)
            if artifact.incident_id != item.incident_id:
                raise ValidationError(
                    "artifact",
                    f"Evidence #{artifact_id} belongs to incident #{artifact.incident_id}, "
                    f"not #{item.incident_id}.",
                )
            if not edit.uow.evidence.link(item_id, artifact_id, edit.now):
                raise ValidationError(
                    "artifact", f"Evidence #{artifact_id} already covers “{item.name}”."
                )
            item = edit.uow.evidence.set_state(item_id, ItemState.COLLECTED)
            _log(
                edit,
                logged,
                artifact_id,
                CustodyAction.LINKED,
                reason=note,
                details={"item": item.name, "item_id": item_id},
            )
            edit.event(
                EventKind.EVIDENCE,
                linked_text(artifact, item, note),
                artifact=artifact_id,
                item=item_id,
            )
        self._write_heads(artifact.incident_id, logged)
        return item

    def _prepare(self, incident_id: int, item_id: int | None) -> None:
        """Refuses early (before a long copy) what the commit would refuse anyway."""
        with self.incidents.reading() as uow:
            row = uow.incidents.get(incident_id)
            if row.status == Status.CLOSED.value:
                raise ValidationError(
                    "status",
                    f"Incident #{incident_id} is closed. Reopen it (move it back to an "
                    "earlier stage) before collecting evidence.",
                )
            if item_id is not None:
                _item_of_incident(uow, item_id, incident_id)
        self.vault.prepare(incident_id)

    def _record(
        self,
        incoming: Incoming | None,
        incident_id: int,
        item_id: int | None,
        *,
        kind: ArtifactKind,
        name: str,
        description: str,
        original_path: str = "",
        url: str = "",
    ) -> Artifact:
        """One transaction: the artifact, its item, its first custody entry and the timeline
        event. The file gets its final name inside it, and is removed if it does not commit.
        The same bytes twice on one incident are refused (DuplicateArtifact), whether this
        check sees them or the storage's unique key does (another writer got there first)."""
        logged: list[CustodyEntry] = []
        with self.incidents.editing(incident_id) as edit:
            evidence = edit.uow.evidence
            self._seed(edit)
            if incoming is not None:
                existing = evidence.artifact_by_sha(incident_id, incoming.sha256)
                if existing is not None:
                    raise DuplicateArtifact(existing)
            if item_id is not None:
                _item_of_incident(edit.uow, item_id, incident_id)
            kept = (
                incoming.keep(self.vault.stored_name(incoming.sha256, name)) if incoming else None
            )
            try:
                artifact = evidence.add_artifact(
                    incident_id=incident_id,
                    item_id=item_id,
                    kind=kind,
                    name=name,
                    description=description,
                    original_path=original_path,
                    host=socket.gethostname(),
                    size=incoming.size if incoming else 0,
                    sha256=incoming.sha256 if incoming else "",
                    stored_name=kept.name if kept else "",
                    collector=edit.actor,
                    collected_at=edit.now,
                    local_zone=local_zone(edit.now),
                    url=url,
                )
            except AlreadyStored as exc:
                existing = exc.existing or evidence.artifact_by_sha(incident_id, exc.sha256)
                if existing is None:
                    raise CollectError(
                        f"{name} is already in the vault of incident #{incident_id}; "
                        "nothing was kept."
                    ) from None
                raise DuplicateArtifact(existing) from None
            if kept is not None and incoming is not None and self.vault.in_database:
                self._store_bytes(edit, artifact, kept, incoming.sha256)
            item = None if item_id is None else self._collected(edit, item_id, artifact)
            _log(
                edit,
                logged,
                artifact.id,
                CustodyAction.COLLECTED,
                reason=description,
                details=_collected_details(artifact, item),
            )
            edit.event(
                EventKind.EVIDENCE,
                collected_text(artifact, item),
                artifact=artifact.id,
                sha256=artifact.sha256,
                item=item_id,
            )
        # Committed: the file now belongs to the record (had the commit failed, leaving the
        # caller's `with incoming` block would have removed it).
        if incoming is not None:
            incoming.settle()
        self._write_heads(incident_id, logged)
        log.info("collected evidence #%d on incident #%d", artifact.id, incident_id)
        return artifact

    def _store_bytes(self, edit: Edit, artifact: Artifact, kept: Path, sha256: str) -> None:
        """The staged copy's bytes into the storage, with the artifact's row (a shared war
        room), hashed again on the way: they must still be the bytes that were collected."""
        digest = hashlib.sha256()

        def pieces() -> Iterator[memoryview]:
            for chunk in self.vault.chunks(kept):
                digest.update(chunk)
                yield chunk

        try:
            edit.uow.evidence.add_chunks(artifact.id, pieces())
        except OSError as exc:
            raise CollectError(
                f"{artifact.name} could not be read back from {kept.parent} to store it in the "
                f"shared war room ({exc.strerror or exc}); nothing was kept."
            ) from exc
        if digest.hexdigest() != sha256:
            raise CollectError(
                f"{artifact.name} changed in {kept.parent} before it was stored in the shared "
                "war room; nothing was kept. Collect it again."
            )

    @staticmethod
    def _collected(edit: Edit, item_id: int, artifact: Artifact) -> ChecklistItem:
        edit.uow.evidence.link(item_id, artifact.id, edit.now)
        return edit.uow.evidence.set_state(item_id, ItemState.COLLECTED)

    # -- reading and handling ----------------------------------------------------------------
    def artifacts(self, incident_id: int) -> list[Artifact]:
        with self.incidents.reading() as uow:
            uow.incidents.get(incident_id)
            return uow.evidence.artifacts(incident_id)

    def artifact(self, artifact_id: int) -> Artifact:
        with self.incidents.reading() as uow:
            return uow.evidence.artifact(artifact_id)

    def custody(self, artifact_id: int) -> list[CustodyEntry]:
        with self.incidents.reading() as uow:
            uow.evidence.artifact(artifact_id)
            return uow.evidence.custody(artifact_id)

    @property
    def bytes_shared(self) -> bool:
        """The artifacts' bytes are stored in the shared war room (any laptop in it can
        verify and export them); otherwise they stay in this computer's vault folder."""
        return self.vault.in_database

    def artifact_path(self, artifact: Artifact) -> Path:
        """Where the vault keeps the artifact's file (references without a screenshot have
        none: ValidationError)."""
        if not artifact.has_file:
            raise ValidationError(
                "artifact", f"Evidence #{artifact.id} is a reference, not a file."
            )
        return self.vault.folder(artifact.incident_id) / artifact.stored_name

    def record_viewed(self, artifact_id: int, reason: str = "") -> CustodyEntry:
        """Opening an artifact is handling it: who, when, why goes on its custody log."""
        reason = clean_text("reason", reason, "The reason")
        return self._handle(artifact_id, CustodyAction.VIEWED, reason, {})

    def copy_out(self, artifact_id: int, destination: Path, reason: str = "") -> Path:
        """A working copy outside the vault (a folder gets the artifact's name), checked
        against the recorded hash, and logged as copied out."""
        reason = clean_text("reason", reason, "The reason")
        artifact = self.artifact(artifact_id)
        target = Path(os.path.abspath(destination))
        if target.is_dir():
            target = target / artifact.name
        path = self.artifact_path(artifact)
        found = self.vault.write_out(self._bytes_of(artifact, path, None), target)
        if found != artifact.sha256:
            target.unlink(missing_ok=True)
            raise CollectError(
                f"Evidence #{artifact_id} no longer matches its recorded sha256 (it was "
                "modified in the vault); no copy was made. Run verify for details."
            )
        try:
            self._handle(artifact_id, CustodyAction.COPIED_OUT, reason, {"to": str(target)})
        except BaseException:
            target.unlink(missing_ok=True)  # an unrecorded copy must not exist
            raise
        return target

    def _handle(
        self, artifact_id: int, action: CustodyAction, reason: str, details: dict[str, Any]
    ) -> CustodyEntry:
        incident_id = self.artifact(artifact_id).incident_id
        logged: list[CustodyEntry] = []
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            entry = _log(
                edit,
                logged,
                artifact_id,
                action,
                reason=reason,
                details={**details, "host": socket.gethostname()},
            )
        self._write_heads(incident_id, logged)
        return entry

    def _write_heads(self, incident_id: int, entries: list[CustodyEntry]) -> None:
        """Appends committed entries to the incident's head file in the vault. The entries
        are committed whatever happens here: a vault that refuses the write is logged, and
        the head file lags behind (which verify tolerates; it never invents entries)."""
        try:
            self.vault.append_heads(incident_id, [head_record(e) for e in entries])
        except OSError as exc:
            log.error(
                "could not append to the custody head file of #%d: %s",
                incident_id,
                exc.strerror or exc,
            )

    def head_path(self, incident_id: int) -> Path:
        """The file outside the database that keeps the head of every custody log."""
        return self.vault.head_path(incident_id)

    def vault_file_count(self, incident_id: int) -> int:
        """How many evidence files the incident's vault folder holds."""
        return len(self.vault.evidence_files(incident_id))

    def remove_vault(self, incident_id: int) -> int:
        """Removes the vault folder of an incident that is no longer in the database (its
        files, the head file, anything left there); returns how many evidence files went."""
        with self.incidents.reading() as uow:
            try:
                uow.incidents.get(incident_id)
            except IncidentNotFound:
                pass
            else:
                raise ValidationError(
                    "incident", f"Incident #{incident_id} still exists: delete it first."
                )
        try:
            removed = self.vault.remove_incident(incident_id)
        except OSError as exc:
            raise CollectError(
                f"its evidence files could not all be removed from "
                f"{self.vault.folder(incident_id)} ({exc.strerror or exc}); remove "
                "that folder by hand"
            ) from exc
        log.info("removed the vault folder of deleted incident #%d", incident_id)
        return removed

    def _remove_deleted(self, incident_id: int) -> None:
        try:
            self._removed[incident_id] = self.remove_vault(incident_id)
        except ValidationError as exc:
            log.error("deleted incident #%d: %s", incident_id, exc)
            self._removed[incident_id] = CollectError(exc.message)

    def delete_incident(self, incident_id: int) -> int:
        """Deletes the incident (its rows, timeline and evidence records) and then its vault
        folder (whoever deletes an incident through the incident service, this service
        removes the folder as it hears of it); returns how many evidence files went."""
        self._removed.pop(incident_id, None)
        self.incidents.delete_incident(incident_id)
        outcome = self._removed.pop(incident_id, 0)
        if isinstance(outcome, CollectError):
            raise CollectError(f"Incident #{incident_id} was deleted, but {outcome.message}.")
        return outcome

    # -- verification ------------------------------------------------------------------------
    def verify(
        self,
        incident_id: int | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[VerifyResult]:
        """Recomputes every artifact's hash (outside any transaction: it can take a while)
        and checks it against the hash in the artifact's "collected" custody entry; checks
        every custody chain against the vault's head file, and every artifact against the
        timeline's record of its collection; names artifacts that the head file or the
        timeline know but the database no longer holds. Records a "verified" entry for each
        artifact whose records hold together (never on top of a broken log, which would
        seal it) and a summary on each incident's timeline. `progress(bytes_done, total)`
        spans them all."""
        with self.incidents.reading() as uow:
            if incident_id is not None:
                uow.incidents.get(incident_id)
            artifacts = uow.evidence.artifacts(incident_id)
            paths = {a.id: self._path_to_check(a, uow.evidence.custody(a.id)) for a in artifacts}
            incident_ids = self._incidents_with_evidence(uow, incident_id, artifacts)
        found = self._integrity_all(artifacts, paths, progress, cancelled)
        results: list[VerifyResult] = []
        for iid in incident_ids:
            group = [a for a in artifacts if a.incident_id == iid]
            results.extend(self._record_verified(iid, group, found))
        return results

    def _path_to_check(self, artifact: Artifact, entries: list[CustodyEntry]) -> Path | None:
        """The file to hash: the one named when it was collected (a row edited to point
        elsewhere, or to nothing, does not hide it); None when there never was one."""
        collected = collected_entry(entries)
        name = str(collected.details.get("stored_name", "")) if collected else ""
        name = name or artifact.stored_name
        if not name or "/" in name or name in (".", ".."):
            return None
        return self.vault.folder(artifact.incident_id) / name

    def _incidents_with_evidence(
        self, uow: UnitOfWork, incident_id: int | None, artifacts: list[Artifact]
    ) -> list[int]:
        """The incidents to verify: those with artifacts, and those whose head file or
        timeline records evidence (which may have been deleted from the database)."""
        if incident_id is not None:
            return [incident_id]
        found = {a.incident_id for a in artifacts}
        found |= set(_collected_events(uow, None))
        found |= set(self.vault.incident_ids())
        existing = {i.id for i in uow.incidents.list(include_closed=True)}
        return sorted(found & existing)

    def _integrity_all(
        self,
        artifacts: list[Artifact],
        paths: dict[int, Path | None],
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> dict[int, FileFinding]:
        """What each artifact's file hashes to now; a cancel stops it with nothing recorded."""
        total = sum(a.size for a in artifacts if paths[a.id] is not None)
        done = 0

        def step(current: int, _size: int) -> None:
            if progress is not None:
                progress(done + current, total)

        found = {}
        for artifact in artifacts:
            found[artifact.id] = self._hash_of(artifact, paths[artifact.id], step, cancelled)
            done += artifact.size if paths[artifact.id] is not None else 0
        return found

    def _record_verified(
        self, incident_id: int, artifacts: list[Artifact], found: dict[int, FileFinding]
    ) -> list[VerifyResult]:
        logged: list[CustodyEntry] = []
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            head = self._read_heads(incident_id)
            collected = _collected_events(edit.uow, incident_id).get(incident_id, {})
            results = []
            for artifact in artifacts:
                entries = edit.uow.evidence.custody(artifact.id)
                shown = collected.get(artifact.id)
                result = assess(
                    artifact,
                    found[artifact.id],
                    entries,
                    head,
                    None if shown is None else shown[0],
                    str(self.vault.head_path(incident_id)),
                )
                results.append(result)
            results += self._vanished(edit.uow, incident_id, head, collected)
            if head.unreadable:
                unreadable = _unreadable(head, self.vault.head_path(incident_id))
                results = [_with_problem(r, unreadable) for r in results]
            for result in results:
                if not result.chain_ok:
                    continue  # an entry on a broken log would make it look whole again
                _log(
                    edit,
                    logged,
                    result.artifact.id,
                    CustodyAction.VERIFIED,
                    details={
                        "result": result.state.value,
                        "chain_ok": True,
                        "problems": result.problems,
                    },
                )
            if results:
                edit.event(
                    EventKind.EVIDENCE,
                    verify_summary(results),
                    results={str(r.artifact.id): r.state.value for r in results},
                    broken_chains=[r.artifact.id for r in results if not r.chain_ok],
                )
        self._write_heads(incident_id, logged)
        return results

    def _vanished(
        self,
        uow: UnitOfWork,
        incident_id: int,
        head: HeadFile,
        collected: dict[int, tuple[str, datetime]],
    ) -> list[VerifyResult]:
        """Artifacts of this incident that the head file or the timeline knows of and the
        database does not hold (deleted, triggers dropped), or holds under another incident."""
        known = set(head.artifact_ids()) | set(collected)
        stored_ids = {a.id for a in uow.evidence.artifacts(incident_id)}
        results = []
        for artifact_id in sorted(known - stored_ids):
            heads = head.of(artifact_id)
            stored = next((h.stored_name for h in heads if h.stored_name), "")
            left = None
            if stored and "/" not in stored:
                left = (self.vault.folder(incident_id) / stored).exists()
            results.append(
                vanished(artifact_id, incident_id, heads, collected.get(artifact_id), left)
            )
        return results

    def _read_heads(self, incident_id: int) -> HeadFile:
        """The incident's head file in this laptop's vault folder. In a shared war room
        each laptop's head file records only the entries that laptop committed: one that
        has not handled this incident's evidence yet has none, which is not a sign of a
        shortened log there (what it holds is still checked against the database)."""
        head = self.vault.read_heads(incident_id)
        if self.vault.in_database and not head.exists:
            return HeadFile(exists=True)
        return head

    def custody_problems(self, incident_id: int) -> list[str]:
        """What is wrong with the incident's custody records, without hashing any file (the
        export re-hashes each one as it copies it): broken or shortened logs, rows changed
        since collection, artifacts gone from the database. Empty when they hold together."""
        head_path = self.vault.head_path(incident_id)
        with self.incidents.reading() as uow:
            uow.incidents.get(incident_id)
            head = self._read_heads(incident_id)
            collected = _collected_events(uow, incident_id).get(incident_id, {})
            results = []
            for artifact in uow.evidence.artifacts(incident_id):
                entries = uow.evidence.custody(artifact.id)
                shown = collected.get(artifact.id)
                # The file is not judged here: take it as what was collected.
                expected = collected_entry(entries)
                digest = (
                    str(expected.details.get("sha256", artifact.sha256))
                    if expected
                    else artifact.sha256
                )
                results.append(
                    assess(
                        artifact,
                        FileFinding(digest or None),
                        entries,
                        head,
                        None if shown is None else shown[0],
                        str(head_path),
                    )
                )
            results += self._vanished(uow, incident_id, head, collected)
        problems = [f"#{r.artifact.id} {r.artifact.name}: {p}" for r in results for p in r.problems]
        if head.unreadable:
            problems.append(_unreadable(head, head_path))
        return problems

    # -- export ------------------------------------------------------------------------------
    def export_bundle(
        self, incident_id: int, out: Path, reason: str = "", cancelled: Cancelled | None = None
    ) -> Path:
        """A zip for whoever receives the evidence: the files under artifacts/, manifest.json
        and MANIFEST.md with hashes and custody logs, and SHA256SUMS for `sha256sum -c`.
        Every file is re-hashed on the way in, against the hash recorded at collection; a
        modified one stops the export. Custody records that do not hold together (a
        shortened or rewritten log, an artifact gone from the database) are named on the
        first line of MANIFEST.md and in manifest.json. The zip is private (0600)."""
        reason = clean_text("reason", reason, "The reason")
        out = Path(os.path.abspath(out))
        artifacts = self.artifacts(incident_id)
        if not artifacts:
            raise ValidationError("evidence", f"Incident #{incident_id} has no evidence to export.")
        problems = self.custody_problems(incident_id)
        with self.incidents.reading() as uow:
            expected = {a.id: _collected_sha256(a, uow.evidence.custody(a.id)) for a in artifacts}
        try:
            bundle = _Bundle(atomic.new_temp(out.parent, BUNDLE_MODE), out)
        except OSError as exc:
            raise _bundle_error(out, exc) from exc
        try:
            for artifact in artifacts:
                if artifact.has_file:
                    pieces = self._bytes_of(artifact, self.artifact_path(artifact), cancelled)
                    bundle.add_artifact(artifact, pieces, expected[artifact.id])
            self._seal(bundle, incident_id, artifacts, reason, problems)
        except OSError as exc:  # the destination: full, read-only, gone
            bundle.abandon()
            raise _bundle_error(out, exc) from exc
        except BaseException:
            bundle.abandon()
            raise
        log.info("exported evidence of #%d to %s", incident_id, out)
        return out

    def _seal(
        self,
        bundle: _Bundle,
        incident_id: int,
        artifacts: list[Artifact],
        reason: str,
        problems: list[str],
    ) -> None:
        """Appends the "exported" entries, writes the manifests (which include them), puts
        the bundle in place and commits, in that order: no entry without a bundle."""
        logged: list[CustodyEntry] = []
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            for artifact in artifacts:
                _log(
                    edit,
                    logged,
                    artifact.id,
                    CustodyAction.EXPORTED,
                    reason=reason,
                    details={"bundle": bundle.out.name, "path": bundle.arcname(artifact)},
                )
            manifest = _manifest(
                edit.incident(),
                edit.uow.evidence.items(incident_id),
                artifacts,
                {a.id: edit.uow.evidence.custody(a.id) for a in artifacts},
                {"at": edit.now, "by": edit.actor, "reason": reason, "bundle": bundle.out.name},
                problems,
            )
            manifest_sha = bundle.finish(manifest)
            suffix = f": {reason}" if reason else ""
            edit.event(
                EventKind.EVIDENCE,
                f"Evidence exported: {len(artifacts)} artifact{'s' * (len(artifacts) != 1)} "
                f"to {bundle.out.name} (manifest sha256 {short_hash(manifest_sha)}){suffix}",
                bundle=str(bundle.out),
                manifest_sha256=manifest_sha,
                artifacts=[a.id for a in artifacts],
            )
            # Last in the transaction: a bundle in place whose entries fail to commit is
            # removed again (export_bundle abandons it until it is settled).
            bundle.put_in_place()
        bundle.settle()
        self._write_heads(incident_id, logged)

    # -- helpers -----------------------------------------------------------------------------
    @contextmanager
    def _editing_item(self, item_id: int) -> Iterator[tuple[Edit, ChecklistItem]]:
        """The write transaction of the item's incident, with the item as it is in it."""
        with self.incidents.reading() as uow:
            incident_id = uow.evidence.item(item_id).incident_id
        with self.incidents.editing(incident_id) as edit:
            yield edit, edit.uow.evidence.item(item_id)

    def _hash_of(
        self,
        artifact: Artifact,
        path: Path | None,
        progress: Progress,
        cancelled: Cancelled | None,
    ) -> FileFinding:
        if path is None:
            return FileFinding()
        if not self.vault.in_database:
            try:
                return FileFinding(self.vault.hash_file(path, progress, cancelled))
            except FileNotFoundError:
                return FileFinding(problem=f"the file is gone from the vault ({path})")
            except OSError as exc:
                return FileFinding(problem=f"the file cannot be read ({exc.strerror or exc})")
        digest, done = hashlib.sha256(), 0
        try:
            for chunk in self._bytes_of(artifact, path, cancelled):
                digest.update(chunk)
                done += len(chunk)
                progress(done, artifact.size)
        except FileNotFoundError:
            return FileFinding(
                problem=f"its bytes are gone: not in the shared war room, nor at {path}"
            )
        except OSError as exc:
            return FileFinding(problem=f"its bytes cannot be read ({exc.strerror or exc})")
        return FileFinding(digest.hexdigest())

    def _bytes_of(
        self, artifact: Artifact, path: Path, cancelled: Cancelled | None
    ) -> Iterator[bytes | memoryview]:
        """The artifact's bytes, a chunk at a time: from the storage where the vault keeps
        them there (a shared war room), else from its file (FileNotFoundError when gone).
        In a shared war room, an artifact stored before its bytes were kept with it (or
        whose chunks are all gone) is looked for in this laptop's vault folder."""
        if self.vault.in_database:
            with self.incidents.reading() as uow:
                if uow.evidence.has_chunks(artifact.id):
                    for chunk in uow.evidence.chunks(artifact.id):
                        if cancelled is not None and cancelled():
                            raise CollectCancelled(f"Reading {artifact.name} was cancelled.")
                        yield chunk
                    return
        yield from self.vault.chunks(path, cancelled)


def _collected_sha256(artifact: Artifact, entries: list[CustodyEntry]) -> str:
    """The hash recorded when the artifact was collected (its row's, for a log whose
    first entry is gone: verify names that)."""
    collected = collected_entry(entries)
    return str(collected.details.get("sha256", artifact.sha256)) if collected else artifact.sha256


def _log(
    edit: Edit,
    logged: list[CustodyEntry],
    artifact_id: int,
    action: CustodyAction,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CustodyEntry:
    """Appends a custody entry in `edit`'s transaction; `logged` collects it for the head
    file, which is written once the transaction has committed."""
    entry = edit.uow.evidence.append_custody(
        artifact_id, action, actor=edit.actor, at=edit.now, reason=reason, details=details
    )
    logged.append(entry)
    return entry


def _collected_events(
    uow: UnitOfWork, incident_id: int | None
) -> dict[int, dict[int, tuple[str, datetime]]]:
    """The timeline's "collected" events: incident -> artifact -> (sha256, when)."""
    found: dict[int, dict[int, tuple[str, datetime]]] = {}
    events = (
        uow.timeline.of_kind(EventKind.EVIDENCE)
        if incident_id is None
        else [e for e in uow.timeline.of_incident(incident_id) if e.kind is EventKind.EVIDENCE]
    )
    for event in events:
        data = event.data
        if not isinstance(data, dict) or "sha256" not in data:
            continue
        artifact_id = data.get("artifact")
        if isinstance(artifact_id, int) and not isinstance(artifact_id, bool):
            found.setdefault(event.incident_id, {})[artifact_id] = (str(data["sha256"]), event.at)
    return found


def _unreadable(head: HeadFile, head_path: Path) -> str:
    lines = ", ".join(str(n) for n in head.unreadable[:10])
    more = "…" if len(head.unreadable) > 10 else ""
    return (
        f"the vault's custody head file ({head_path}) has lines that are not "
        f"records ({lines}{more}): it was edited"
    )


def _with_problem(result: VerifyResult, problem: str) -> VerifyResult:
    return replace(result, chain_ok=False, problems=(*result.problems, problem))


def _item_of_incident(uow: UnitOfWork, item_id: int, incident_id: int) -> ChecklistItem:
    item = uow.evidence.item(item_id)
    if item.incident_id != incident_id:
        raise ValidationError(
            "item",
            f"Checklist item #{item_id} belongs to incident #{item.incident_id}, "
            f"not #{incident_id}.",
        )
    return item


def _collected_details(artifact: Artifact, item: ChecklistItem | None) -> dict[str, Any]:
    return {**collected_record(artifact), "item": item.name if item else ""}


def local_zone(moment: datetime) -> str:
    """The collector's zone at `moment`: 'Europe/Paris (CET +01:00)' where the zone's name
    is known (TZ, /etc/localtime), else 'CET +01:00'."""
    label = zone_label(moment.astimezone())
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = os.readlink("/etc/localtime")
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            name = ""
    return f"{name} ({label})" if name and "/" in name else label


# -- the bundle --------------------------------------------------------------------------------
class _Bundle:
    """The zip being written under a temporary name beside its destination."""

    def __init__(self, temp: Path, out: Path) -> None:
        self.temp = temp
        self.out = out
        # Private from the first byte (atomic.new_temp): it can hold every artifact.
        self._file = os.fdopen(os.open(temp, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)), "wb")
        try:
            self.zip = zipfile.ZipFile(self._file, "w", allowZip64=True)
        except BaseException:
            self._file.close()
            temp.unlink(missing_ok=True)
            raise
        self.sums: list[tuple[str, str]] = []  # (sha256, path in the bundle)
        self._placed = self._settled = False

    @staticmethod
    def arcname(artifact: Artifact) -> str:
        return f"artifacts/{artifact.stored_name}" if artifact.has_file else ""

    def add_artifact(
        self, artifact: Artifact, pieces: Iterable[bytes | memoryview], collected: str
    ) -> None:
        """Copies the file in, hashing it: it must match both its row and the hash recorded
        in its "collected" custody entry (a row edited to match a replaced file does not)."""
        info = zipfile.ZipInfo(self.arcname(artifact), _zip_time(artifact.collected_at))
        info.compress_type = zipfile.ZIP_STORED  # evidence is often already compressed
        info.external_attr = 0o100400 << 16  # a read-only regular file once unzipped
        digest = hashlib.sha256()
        try:
            with self.zip.open(info, "w", force_zip64=True) as entry:
                for chunk in pieces:
                    digest.update(chunk)
                    entry.write(chunk)
        except FileNotFoundError:
            raise CollectError(
                f"Evidence #{artifact.id} ({artifact.name}) is missing from the vault; "
                "nothing was exported. Run verify for details."
            ) from None
        if digest.hexdigest() != artifact.sha256:
            raise CollectError(
                f"Evidence #{artifact.id} ({artifact.name}) no longer matches its recorded "
                "sha256 (it was modified in the vault); nothing was exported. Run verify."
            )
        if digest.hexdigest() != collected:
            raise CollectError(
                f"Evidence #{artifact.id} ({artifact.name}) no longer matches the sha256 "
                f"recorded when it was collected ({short_hash(collected)}); its record was "
                "changed to match a replaced file. Nothing was exported. Run verify."
            )
        self.sums.append((artifact.sha256, info.filename))

    def finish(self, manifest: dict[str, Any]) -> str:
        """Writes manifest.json, MANIFEST.md and SHA256SUMS; returns manifest.json's sha256."""
        files = {
            "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
            "MANIFEST.md": _manifest_markdown(manifest),
        }
        sums = list(self.sums)
        for name, text in files.items():
            data = text.encode("utf-8")
            self.zip.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            sums.append((hashlib.sha256(data).hexdigest(), name))
        lines = "".join(f"{digest}  {name}\n" for digest, name in sums)
        self.zip.writestr("SHA256SUMS", lines, compress_type=zipfile.ZIP_DEFLATED)
        self.zip.close()
        self._file.close()
        return dict((name, digest) for digest, name in sums)["manifest.json"]

    def put_in_place(self) -> None:
        atomic.put_in_place(self.temp, self.out)
        self._placed = True

    def settle(self) -> None:
        self._settled = True

    def abandon(self) -> None:
        """Nothing half-written is left, and no bundle whose export was not recorded."""
        with suppress(Exception):  # a full disk can fail the close too: remove it anyway
            self.zip.close()
        with suppress(Exception):
            self._file.close()
        self.temp.unlink(missing_ok=True)
        if self._placed and not self._settled:
            self.out.unlink(missing_ok=True)


def _bundle_error(out: Path, exc: OSError) -> CollectError:
    why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return CollectError(f"The bundle {out} cannot be written ({why}); nothing was exported.")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.astimezone(UTC)
    return (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)


def _manifest(
    incident: Incident,
    items: list[ChecklistItem],
    artifacts: list[Artifact],
    custody: dict[int, list[CustodyEntry]],
    export: dict[str, Any],
    problems: list[str],
) -> dict[str, Any]:
    names = {i.id: i.name for i in items}
    return {
        "format": "warroom evidence bundle, version 1",
        "custody_ok": not problems,
        "custody_problems": problems,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status.value,
            "impact_started_at": iso_utc(incident.impact_started_at),
            "declared_at": iso_utc(incident.declared_at),
        },
        "exported_at": iso_utc(export["at"]),
        "exported_by": export["by"],
        "exported_from_host": socket.gethostname(),
        "reason": export["reason"],
        "bundle": export["bundle"],
        "hash_algorithm": "sha256",
        "custody_hash": (
            "entry_hash = sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of "
            "artifact_id, seq, action, actor, at, reason, details, prev_hash; the first "
            "entry's prev_hash is 64 zeros"
        ),
        "custody_head": {
            "file": f"vault/{incident.id}/{HEAD_FILE}",
            "entries": sum(len(entries) for entries in custody.values()),
            "artifacts": [
                {
                    "id": a.id,
                    "entries": len(custody[a.id]),
                    "last_hash": custody[a.id][-1].entry_hash if custody[a.id] else None,
                }
                for a in artifacts
            ],
        },
        "checklist": [_item_json(i) for i in items],
        "artifacts": [
            _artifact_json(a, custody[a.id], [names[i] for i in _covers(a, items)])
            for a in artifacts
        ],
    }


def _covers(artifact: Artifact, items: list[ChecklistItem]) -> list[int]:
    return [i.id for i in items if artifact.id in i.artifact_ids]


def _item_json(item: ChecklistItem) -> dict[str, Any]:
    return {
        "position": item.position,
        "name": item.name,
        "state": item.state.value,
        "reason": item.reason,
        "rotates_at": iso_utc(item.rotates_at) if item.rotates_at else None,
        "security_only": item.security_only,
        "artifacts": list(item.artifact_ids),
    }


def _artifact_json(
    artifact: Artifact, entries: list[CustodyEntry], items: list[str]
) -> dict[str, Any]:
    return {
        "id": artifact.id,
        "kind": artifact.kind.value,
        "name": artifact.name,
        "description": artifact.description,
        "path": _Bundle.arcname(artifact) or None,
        "sha256": artifact.sha256 or None,
        "size": artifact.size,
        "original_path": artifact.original_path,
        "host": artifact.host,
        "collector": artifact.collector,
        "collected_at": iso_utc(artifact.collected_at),
        "local_zone": artifact.local_zone,
        "url": artifact.url,
        "items": items,
        "custody": [
            {
                "seq": e.seq,
                "action": e.action.value,
                "actor": e.actor,
                "at": iso_utc(e.at),
                "reason": e.reason,
                "details": e.details,
                "prev_hash": e.prev_hash,
                "entry_hash": e.entry_hash,
            }
            for e in entries
        ],
    }


def _md(text: Any) -> str:
    """One table cell: a `|` or a newline in user text must not break the table, and a
    control character (ESC, BEL, a bidi override) shows as an escape (as in every export)."""
    line = visible(" ".join(str(text).split()))
    return line.replace("\\", "\\\\").replace("|", "\\|") or "—"


def _manifest_markdown(manifest: dict[str, Any]) -> str:
    incident = manifest["incident"]
    lines = []
    if not manifest["custody_ok"]:
        # The first line, where no reader can miss it.
        problems = manifest["custody_problems"]
        lines += [
            f"**WARNING: the chain of custody is BROKEN ({len(problems)} "
            f"problem{'s' * (len(problems) != 1)}); do not rely on this bundle as it stands.**",
            "",
            *(f"- {_md(p)}" for p in problems),
            "",
        ]
    lines += [
        f"# Evidence bundle: incident #{incident['id']} {_md(incident['title'])}",
        "",
        f"- Severity: {incident['severity']}; impact started {incident['impact_started_at']}",
        f"- Exported {manifest['exported_at']} by {_md(manifest['exported_by'])} "
        f"on {_md(manifest['exported_from_host'])}",
        f"- Reason: {_md(manifest['reason'])}",
        "- Check the files: `sha256sum -c SHA256SUMS` in the unzipped folder.",
        f"- Custody head at export: {manifest['custody_head']['entries']} entries "
        "(the last hash of each log is in manifest.json, `custody_head`).",
        "",
        "## Artifacts",
        "",
        "| # | name | kind | sha256 | size | collected (UTC) | by | from |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in manifest["artifacts"]:
        source = f"{a['host']}:{a['original_path']}" if a["original_path"] else a["url"]
        lines.append(
            f"| {a['id']} | {_md(a['name'])} | {a['kind']} | `{a['sha256'] or '—'}` | "
            f"{a['size']:,} | {a['collected_at']} ({_md(a['local_zone'])}) | "
            f"{_md(a['collector'])} | {_md(source)} |"
        )
    for a in manifest["artifacts"]:
        lines += ["", f"## Custody of #{a['id']} {_md(a['name'])}", ""]
        if a["items"]:
            lines += [f"Covers: {_md('; '.join(a['items']))}", ""]
        lines += [
            "| seq | at (UTC) | action | by | reason | entry hash |",
            "|---|---|---|---|---|---|",
        ]
        for e in a["custody"]:
            lines.append(
                f"| {e['seq']} | {e['at']} | {e['action']} | {_md(e['actor'])} | "
                f"{_md(e['reason'])} | `{e['entry_hash']}` |"
            )
    return "\n".join(lines) + "\n"
