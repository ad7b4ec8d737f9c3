"""Evidence preservation: the checklist against the clock, collecting into the vault, and the
chain of custody. Each operation is validated, committed in one transaction with its custody
entries and timeline event, and announced, through the incident service. The GUI and the CLI
both go through here, so they record the same thing.

Long work (copying and hashing a large file) happens outside any database transaction and
may run on a worker thread: every method opens its own session, and nothing here knows Qt.
Change announcements are made on the calling thread.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlmodel import Session

from warroom import atomic
from warroom.core.evidence import (
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
    IntegrityState,
    ItemState,
    VerifyResult,
    check_chain,
    collected_text,
    iso_utc,
    linked_text,
    load_checklist_file,
    short_hash,
    verify_summary,
    zone_label,
)
from warroom.core.incident import EventKind, Incident
from warroom.core.lifecycle import Status
from warroom.core.validation import MAX_TITLE, ValidationError, aware_utc, clean_text
from warroom.paths import resources_dir
from warroom.service import Change, Edit, IncidentService
from warroom.store import evidence as store
from warroom.store import mitigations as mitigation_store
from warroom.store import repository as repo
from warroom.store import vault
from warroom.store.evidence import ArtifactNotFound, ItemNotFound
from warroom.store.models import ArtifactRow, EvidenceItemRow

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
        vault_root: Path,
        checklist_override: Path | None = None,
    ) -> None:
        self.incidents = incidents
        self.vault_root = Path(vault_root)
        self.template, self.warnings = load_checklist(checklist_override)
        self._unsubscribe = incidents.subscribe(self._on_change)

    def close(self) -> None:
        """Stops seeding checklists for newly declared incidents."""
        self._unsubscribe()

    # -- the checklist -----------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind is not EventKind.DECLARED:
            return
        try:
            self._ensure_seeded(change.incident_id)
        except Exception:  # the declaration is committed; the first read seeds instead
            log.exception("could not seed the evidence checklist of #%d", change.incident_id)

    def _ensure_seeded(self, incident_id: int) -> None:
        """Seeds the checklist from the data file once. Run at declaration and again on
        every read, so a crash between the two transactions loses nothing."""
        with self.incidents.reading() as session:
            repo.get_row(session, incident_id)
            if store.has_items(session, incident_id):
                return
        with self.incidents.writing() as session:
            row = repo.get_row(session, incident_id)
            if not store.has_items(session, incident_id):  # another writer may have won
                now = self.incidents.now()
                store.seed(session, incident_id, self.template, row.impact_started_at, now)
                session.commit()

    def checklist(self, incident_id: int) -> list[ChecklistItem]:
        self._ensure_seeded(incident_id)
        with self.incidents.reading() as session:
            return store.items(session, incident_id)

    def security_incident(self, incident_id: int) -> bool:
        """Triage said this is a security breach: the security-only items are asked too."""
        with self.incidents.reading() as session:
            return mitigation_store.security_incident(session, incident_id)

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

    def _rotating(self, until: datetime | None) -> list[tuple[Incident, ChecklistItem]]:
        """A security-only item is left out on an incident that is not a security one."""
        with self.incidents.reading() as session:
            found = []
            security: dict[int, bool] = {}
            for incident_row, item_row in store.rotating_rows(session, until):
                assert item_row.id is not None and incident_row.id is not None
                if incident_row.id not in security:
                    security[incident_row.id] = mitigation_store.security_incident(
                        session, incident_row.id
                    )
                item = store.item(session, item_row.id)
                if item.asked_of(security[incident_row.id]):
                    found.append((repo.to_incident(incident_row), item))
            return found

    def add_item(self, incident_id: int, name: str) -> ChecklistItem:
        clean = " ".join(clean_text("name", name, "The item's name").split())
        if not clean:
            raise ValidationError("name", "Say what to collect, in a few words.")
        if len(clean) > MAX_TITLE:
            raise ValidationError("name", f"The name is too long (at most {MAX_TITLE} characters).")
        self._ensure_seeded(incident_id)
        with self.incidents.editing(incident_id) as edit:
            taken = {r.name.casefold() for r in store.item_rows(edit.session, incident_id)}
            if clean.casefold() in taken:
                raise ValidationError("name", f"The checklist already has “{clean}”.")
            row = EvidenceItemRow(
                incident_id=incident_id,
                position=store.next_position(edit.session, incident_id),
                name=clean,
                state=ItemState.PENDING.value,
                added_by=edit.actor,
                added_at=edit.now,
            )
            edit.session.add(row)
            edit.session.flush()
            edit.event(EventKind.EVIDENCE, f"Evidence item added: {clean}", item=row.id)
        return store.to_item(row)

    def set_rotates_at(self, item_id: int, when: datetime | None) -> ChecklistItem:
        when = None if when is None else aware_utc("rotates_at", when)
        with self._editing_item(item_id) as (edit, row):
            if row.rotates_at != when:
                old = row.rotates_at
                text = (
                    f"Evidence item “{row.name}” rotates at {_utc(when)}"
                    if when
                    else f"Evidence item “{row.name}”: rotation time cleared"
                )
                edit.event(
                    EventKind.EVIDENCE,
                    text + (f" (was {_utc(old)})" if old else ""),
                    item=item_id,
                    old=old,
                    new=when,
                )
                row.rotates_at = when
            return self._item_of(edit.session, row)

    def mark_not_applicable(self, item_id: int, reason: str) -> ChecklistItem:
        reason = " ".join(clean_text("reason", reason, "The reason").split())
        if not reason:
            raise ValidationError(
                "reason", "Say why this evidence does not apply: the post-mortem will ask."
            )
        with self._editing_item(item_id) as (edit, row):
            if row.state == ItemState.COLLECTED.value:
                raise ValidationError(
                    "state", f"“{row.name}” already has evidence collected; reopen it first."
                )
            row.state, row.reason = ItemState.NOT_APPLICABLE.value, reason
            edit.event(
                EventKind.EVIDENCE,
                f"Evidence not applicable: {row.name}: {reason}",
                item=item_id,
                reason=reason,
            )
            return self._item_of(edit.session, row)

    def reopen_item(self, item_id: int) -> ChecklistItem:
        with self._editing_item(item_id) as (edit, row):
            if row.state != ItemState.PENDING.value:
                was = ItemState(row.state).label.lower()
                edit.event(
                    EventKind.EVIDENCE,
                    f"Evidence item reopened: {row.name} (was {was})",
                    item=item_id,
                    old=row.state,
                )
                row.state, row.reason = ItemState.PENDING.value, ""
            return self._item_of(edit.session, row)

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
        folder = self._prepare(incident_id, item_id)
        with vault.receive_file(folder, source, progress, cancelled) as incoming:
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
        folder = self._prepare(incident_id, item_id)
        name = f"snippet-{self.incidents.now():%Y%m%dT%H%M%SZ}.txt"
        with vault.receive_bytes(folder, text.encode("utf-8")) as incoming:
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
        folder = self._prepare(incident_id, item_id)
        fields: dict[str, Any] = dict(
            kind=ArtifactKind.REFERENCE, description=description, url=reference
        )
        if screenshot is None:
            return self._record(None, incident_id, item_id, name=reference[:MAX_TITLE], **fields)
        source = Path(os.path.abspath(screenshot))
        with vault.receive_file(folder, source) as incoming:
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
        with self._editing_item(item_id) as (edit, row):
            artifact = store.to_artifact(store.get_artifact_row(edit.session, artifact_id))
            if artifact.incident_id != row.incident_id:
                raise ValidationError(
                    "artifact",
                    f"Evidence #{artifact_id} belongs to incident #{artifact.incident_id}, "
                    f"not #{row.incident_id}.",
                )
            if not store.link(edit.session, item_id, artifact_id, edit.now):
                raise ValidationError(
                    "artifact", f"Evidence #{artifact_id} already covers “{row.name}”."
                )
            row.state, row.reason = ItemState.COLLECTED.value, ""
            store.append_custody(
                edit.session,
                artifact_id,
                CustodyAction.LINKED,
                actor=edit.actor,
                at=edit.now,
                reason=note,
                details={"item": row.name, "item_id": item_id},
            )
            item = self._item_of(edit.session, row)
            edit.event(
                EventKind.EVIDENCE,
                linked_text(artifact, item, note),
                artifact=artifact_id,
                item=item_id,
            )
            return item

    def _prepare(self, incident_id: int, item_id: int | None) -> Path:
        """Refuses early (before a long copy) what the commit would refuse anyway."""
        self._ensure_seeded(incident_id)
        with self.incidents.reading() as session:
            row = repo.get_row(session, incident_id)
            if row.status == Status.CLOSED.value:
                raise ValidationError(
                    "status",
                    f"Incident #{incident_id} is closed. Reopen it (move it back to an "
                    "earlier stage) before collecting evidence.",
                )
            if item_id is not None:
                _item_row(session, item_id, incident_id)
        return vault.incident_folder(self.vault_root, incident_id)

    def _record(
        self,
        incoming: vault.Incoming | None,
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
        event. The file gets its final name inside it, and is removed if it does not commit."""
        with self.incidents.editing(incident_id) as edit:
            if incoming is not None:
                existing = store.artifact_by_sha(edit.session, incident_id, incoming.sha256)
                if existing is not None:
                    raise DuplicateArtifact(store.to_artifact(existing))
            item_row = None if item_id is None else _item_row(edit.session, item_id, incident_id)
            kept = incoming.keep(vault.stored_name(incoming.sha256, name)) if incoming else None
            row = ArtifactRow(
                incident_id=incident_id,
                item_id=item_id,
                kind=kind.value,
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
            edit.session.add(row)
            edit.session.flush()
            artifact = store.to_artifact(row)
            item = self._collected(edit, item_row, artifact) if item_row else None
            store.append_custody(
                edit.session,
                artifact.id,
                CustodyAction.COLLECTED,
                actor=edit.actor,
                at=edit.now,
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
            edit.session.commit()
            if incoming is not None:
                incoming.settle()
        log.info("collected evidence #%d on incident #%d", artifact.id, incident_id)
        return artifact

    def _collected(self, edit: Edit, row: EvidenceItemRow, artifact: Artifact) -> ChecklistItem:
        assert row.id is not None
        store.link(edit.session, row.id, artifact.id, edit.now)
        row.state, row.reason = ItemState.COLLECTED.value, ""
        return self._item_of(edit.session, row)

    # -- reading and handling ----------------------------------------------------------------
    def artifacts(self, incident_id: int) -> list[Artifact]:
        with self.incidents.reading() as session:
            repo.get_row(session, incident_id)
            return [store.to_artifact(r) for r in store.artifact_rows(session, incident_id)]

    def artifact(self, artifact_id: int) -> Artifact:
        with self.incidents.reading() as session:
            return store.to_artifact(store.get_artifact_row(session, artifact_id))

    def custody(self, artifact_id: int) -> list[CustodyEntry]:
        with self.incidents.reading() as session:
            store.get_artifact_row(session, artifact_id)
            return store.custody(session, artifact_id)

    def artifact_path(self, artifact: Artifact) -> Path:
        """Where the vault keeps the artifact's file (references without a screenshot have
        none: ValidationError)."""
        if not artifact.has_file:
            raise ValidationError(
                "artifact", f"Evidence #{artifact.id} is a reference, not a file."
            )
        return self.vault_root / str(artifact.incident_id) / artifact.stored_name

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
        found = vault.copy_out(self.artifact_path(artifact), target)
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
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            return store.append_custody(
                edit.session,
                artifact_id,
                action,
                actor=edit.actor,
                at=edit.now,
                reason=reason,
                details={**details, "host": socket.gethostname()},
            )

    # -- verification ------------------------------------------------------------------------
    def verify(
        self,
        incident_id: int | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[VerifyResult]:
        """Recomputes every artifact's hash (outside any transaction: it can take a while)
        and checks every custody chain; records a "verified" entry per artifact and a
        summary on each incident's timeline. `progress(bytes_done, total)` spans them all."""
        with self.incidents.reading() as session:
            if incident_id is not None:
                repo.get_row(session, incident_id)
            artifacts = [store.to_artifact(r) for r in store.artifact_rows(session, incident_id)]
        found = self._integrity_all(artifacts, progress, cancelled)
        results: list[VerifyResult] = []
        for iid, group in groupby(artifacts, key=lambda a: a.incident_id):
            results.extend(self._record_verified(iid, list(group), found))
        return results

    def _integrity_all(
        self, artifacts: list[Artifact], progress: Progress | None, cancelled: Cancelled | None
    ) -> dict[int, tuple[IntegrityState, str]]:
        """Every artifact's state; a cancel stops it with nothing recorded."""
        total = sum(a.size for a in artifacts if a.has_file)
        done = 0

        def step(current: int, _size: int) -> None:
            if progress is not None:
                progress(done + current, total)

        found = {}
        for artifact in artifacts:
            found[artifact.id] = self._integrity(artifact, step, cancelled)
            done += artifact.size if artifact.has_file else 0
        return found

    def _integrity(
        self, artifact: Artifact, progress: Progress, cancelled: Cancelled | None = None
    ) -> tuple[IntegrityState, str]:
        """(state, a sentence about what was found when it is not intact)."""
        if not artifact.has_file:
            return IntegrityState.INTACT, ""
        path = self.artifact_path(artifact)
        try:
            digest = vault.hash_file(path, progress, cancelled)
        except FileNotFoundError:
            return IntegrityState.MISSING, f"the file is gone from the vault ({path})"
        except OSError as exc:
            return IntegrityState.MISSING, f"the file cannot be read ({exc.strerror or exc})"
        if digest != artifact.sha256:
            return IntegrityState.MODIFIED, (
                f"the file's sha256 is now {short_hash(digest)}, recorded "
                f"{short_hash(artifact.sha256)} at collection"
            )
        return IntegrityState.INTACT, ""

    def _record_verified(
        self,
        incident_id: int,
        artifacts: list[Artifact],
        found: dict[int, tuple[IntegrityState, str]],
    ) -> list[VerifyResult]:
        results = []
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            for artifact in artifacts:
                state, finding = found[artifact.id]
                chain = check_chain(store.custody(edit.session, artifact.id))
                problems = tuple(([finding] if finding else []) + chain)
                results.append(VerifyResult(artifact, state, not chain, problems))
                store.append_custody(
                    edit.session,
                    artifact.id,
                    CustodyAction.VERIFIED,
                    actor=edit.actor,
                    at=edit.now,
                    details={"result": state.value, "chain_ok": not chain, "problems": problems},
                )
            edit.event(
                EventKind.EVIDENCE,
                verify_summary(results),
                results={str(r.artifact.id): r.state.value for r in results},
                broken_chains=[r.artifact.id for r in results if not r.chain_ok],
            )
        return results

    # -- export ------------------------------------------------------------------------------
    def export_bundle(
        self, incident_id: int, out: Path, reason: str = "", cancelled: Cancelled | None = None
    ) -> Path:
        """A zip for whoever receives the evidence: the files under artifacts/, manifest.json
        and MANIFEST.md with hashes and custody logs, and SHA256SUMS for `sha256sum -c`.
        Every file is re-hashed on the way in; a modified one stops the export."""
        reason = clean_text("reason", reason, "The reason")
        out = Path(os.path.abspath(out))
        artifacts = self.artifacts(incident_id)
        if not artifacts:
            raise ValidationError("evidence", f"Incident #{incident_id} has no evidence to export.")
        try:
            bundle = _Bundle(atomic.new_temp(out.parent), out)
        except OSError as exc:
            raise _bundle_error(out, exc) from exc
        try:
            for artifact in artifacts:
                if artifact.has_file:
                    bundle.add_artifact(artifact, self.artifact_path(artifact), cancelled)
            self._seal(bundle, incident_id, artifacts, reason)
        except OSError as exc:  # the destination: full, read-only, gone
            bundle.abandon()
            raise _bundle_error(out, exc) from exc
        except BaseException:
            bundle.abandon()
            raise
        log.info("exported evidence of #%d to %s", incident_id, out)
        return out

    def _seal(
        self, bundle: _Bundle, incident_id: int, artifacts: list[Artifact], reason: str
    ) -> None:
        """Appends the "exported" entries, writes the manifests (which include them), puts
        the bundle in place and commits, in that order: no entry without a bundle."""
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            for artifact in artifacts:
                store.append_custody(
                    edit.session,
                    artifact.id,
                    CustodyAction.EXPORTED,
                    actor=edit.actor,
                    at=edit.now,
                    reason=reason,
                    details={"bundle": bundle.out.name, "path": bundle.arcname(artifact)},
                )
            manifest = _manifest(
                repo.to_incident(edit.row),
                store.items(edit.session, incident_id),
                artifacts,
                {a.id: store.custody(edit.session, a.id) for a in artifacts},
                {"at": edit.now, "by": edit.actor, "reason": reason, "bundle": bundle.out.name},
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
            bundle.put_in_place()
            edit.session.commit()
            bundle.settle()

    # -- helpers -----------------------------------------------------------------------------
    @contextmanager
    def _editing_item(self, item_id: int) -> Iterator[tuple[Edit, EvidenceItemRow]]:
        """The write transaction of the item's incident, with the item's row in it."""
        with self.incidents.reading() as session:
            incident_id = store.get_item_row(session, item_id).incident_id
        with self.incidents.editing(incident_id) as edit:
            yield edit, store.get_item_row(edit.session, item_id)

    @staticmethod
    def _item_of(session: Session, row: EvidenceItemRow) -> ChecklistItem:
        assert row.id is not None
        session.flush()
        return store.item(session, row.id)


def _item_row(session: Session, item_id: int, incident_id: int) -> EvidenceItemRow:
    row = store.get_item_row(session, item_id)
    if row.incident_id != incident_id:
        raise ValidationError(
            "item",
            f"Checklist item #{item_id} belongs to incident #{row.incident_id}, "
            f"not #{incident_id}.",
        )
    return row


def _collected_details(artifact: Artifact, item: ChecklistItem | None) -> dict[str, Any]:
    return {
        "kind": artifact.kind.value,
        "name": artifact.name,
        "sha256": artifact.sha256,
        "size": artifact.size,
        "original_path": artifact.original_path,
        "host": artifact.host,
        "stored_name": artifact.stored_name,
        "local_zone": artifact.local_zone,
        "url": artifact.url,
        "item": item.name if item else "",
    }


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


def _utc(moment: datetime | None) -> str:
    return "unset" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


# -- the bundle --------------------------------------------------------------------------------
class _Bundle:
    """The zip being written under a temporary name beside its destination."""

    def __init__(self, temp: Path, out: Path) -> None:
        self.temp = temp
        self.out = out
        self.zip = zipfile.ZipFile(temp, "w", allowZip64=True)
        self.sums: list[tuple[str, str]] = []  # (sha256, path in the bundle)
        self._placed = self._settled = False

    @staticmethod
    def arcname(artifact: Artifact) -> str:
        return f"artifacts/{artifact.stored_name}" if artifact.has_file else ""

    def add_artifact(self, artifact: Artifact, path: Path, cancelled: Cancelled | None) -> None:
        info = zipfile.ZipInfo(self.arcname(artifact), _zip_time(artifact.collected_at))
        info.compress_type = zipfile.ZIP_STORED  # evidence is often already compressed
        info.external_attr = 0o100400 << 16  # a read-only regular file once unzipped
        digest = hashlib.sha256()
        try:
            with self.zip.open(info, "w", force_zip64=True) as entry:
                for chunk in vault.chunks(path, cancelled):
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
        if self.zip.fp is not None:
            self.zip.fp.close()
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
) -> dict[str, Any]:
    names = {i.id: i.name for i in items}
    return {
        "format": "warroom evidence bundle, version 1",
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
    """One table cell: a `|` or a newline in user text must not break the table."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|") or "—"


def _manifest_markdown(manifest: dict[str, Any]) -> str:
    incident = manifest["incident"]
    lines = [
        f"# Evidence bundle: incident #{incident['id']} {_md(incident['title'])}",
        "",
        f"- Severity: {incident['severity']}; impact started {incident['impact_started_at']}",
        f"- Exported {manifest['exported_at']} by {_md(manifest['exported_by'])} "
        f"on {_md(manifest['exported_from_host'])}",
        f"- Reason: {_md(manifest['reason'])}",
        "- Check the files: `sha256sum -c SHA256SUMS` in the unzipped folder.",
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
