"""Evidence checklist items, artifacts, their links and custody logs: row <-> domain
conversion and queries. Callers own the session and its transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from warroom.adapters.sql import repository as repo
from warroom.adapters.sql.models import (
    ArtifactRow,
    CustodyRow,
    EvidenceChunkRow,
    EvidenceItemRow,
    EvidenceLinkRow,
    IncidentRow,
)
from warroom.adapters.sql.repository import OPEN_STATUSES
from warroom.domain.evidence import (
    GENESIS_HASH,
    Artifact,
    ArtifactKind,
    ChecklistItem,
    ChecklistTemplate,
    CustodyAction,
    CustodyEntry,
    ItemState,
    entry_hash,
)
from warroom.domain.incident import Incident
from warroom.services.ports.evidence import AlreadyStored, ArtifactNotFound, ItemNotFound

__all__ = ["ArtifactNotFound", "ItemNotFound", "SqlEvidence"]


# -- conversion --------------------------------------------------------------------------------
def to_item(row: EvidenceItemRow, artifact_ids: tuple[int, ...] = ()) -> ChecklistItem:
    assert row.id is not None
    return ChecklistItem(
        id=row.id,
        incident_id=row.incident_id,
        position=row.position,
        name=row.name,
        state=ItemState(row.state),
        reason=row.reason,
        rotates_at=row.rotates_at,
        security_only=bool(row.security_only),
        artifact_ids=artifact_ids,
        hint=row.hint,
    )


def to_artifact(row: ArtifactRow) -> Artifact:
    assert row.id is not None
    return Artifact(
        id=row.id,
        incident_id=row.incident_id,
        item_id=row.item_id,
        kind=ArtifactKind(row.kind),
        name=row.name,
        description=row.description,
        original_path=row.original_path,
        host=row.host,
        size=row.size,
        sha256=row.sha256,
        stored_name=row.stored_name,
        collector=row.collector,
        collected_at=row.collected_at,
        local_zone=row.local_zone,
        url=row.url,
    )


def to_entry(row: CustodyRow) -> CustodyEntry:
    assert row.id is not None
    return CustodyEntry(
        id=row.id,
        artifact_id=row.artifact_id,
        seq=row.seq,
        action=CustodyAction(row.action),
        actor=row.actor,
        at=row.at,
        reason=row.reason,
        details=json.loads(row.details or "{}"),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


# -- checklist items ---------------------------------------------------------------------------
def item_rows(session: Session, incident_id: int) -> list[EvidenceItemRow]:
    query = (
        select(EvidenceItemRow)
        .where(col(EvidenceItemRow.incident_id) == incident_id)
        .order_by(col(EvidenceItemRow.position), col(EvidenceItemRow.id))
    )
    return list(session.scalars(query))


def items(session: Session, incident_id: int) -> list[ChecklistItem]:
    rows = item_rows(session, incident_id)
    links = _links(session, [r.id for r in rows if r.id is not None])
    return [to_item(r, links.get(r.id or 0, ())) for r in rows]


def item(session: Session, item_id: int) -> ChecklistItem:
    row = get_item_row(session, item_id)
    return to_item(row, _links(session, [item_id]).get(item_id, ()))


def get_item_row(session: Session, item_id: int) -> EvidenceItemRow:
    row = session.get(EvidenceItemRow, item_id)
    if row is None:
        raise ItemNotFound(item_id)
    return row


def _links(session: Session, item_ids: list[int]) -> dict[int, tuple[int, ...]]:
    if not item_ids:
        return {}
    query = (
        select(col(EvidenceLinkRow.item_id), col(EvidenceLinkRow.artifact_id))
        .where(col(EvidenceLinkRow.item_id).in_(item_ids))
        .order_by(col(EvidenceLinkRow.linked_at), col(EvidenceLinkRow.artifact_id))
    )
    found: dict[int, list[int]] = defaultdict(list)
    for item_id, artifact_id in session.execute(query):
        found[item_id].append(artifact_id)
    return {k: tuple(v) for k, v in found.items()}


def has_items(session: Session, incident_id: int) -> bool:
    query = select(col(EvidenceItemRow.id)).where(col(EvidenceItemRow.incident_id) == incident_id)
    return session.execute(query.limit(1)).first() is not None


def seed(
    session: Session,
    incident_id: int,
    template: ChecklistTemplate,
    started: datetime,
    now: datetime,
) -> None:
    for position, entry in enumerate(template.items, start=1):
        session.add(
            EvidenceItemRow(
                incident_id=incident_id,
                position=position,
                name=entry.name,
                hint=entry.hint,
                state=ItemState.PENDING.value,
                rotates_at=template.seeded_rotation(entry, started),
                security_only=entry.security_only,
                added_at=now,
            )
        )


def next_position(session: Session, incident_id: int) -> int:
    query = select(func.max(col(EvidenceItemRow.position))).where(
        col(EvidenceItemRow.incident_id) == incident_id
    )
    return int(session.execute(query).scalar() or 0) + 1


def link(session: Session, item_id: int, artifact_id: int, now: datetime) -> bool:
    """Links an artifact to an item; False if it already was."""
    if session.get(EvidenceLinkRow, (item_id, artifact_id)) is not None:
        return False
    session.add(EvidenceLinkRow(item_id=item_id, artifact_id=artifact_id, linked_at=now))
    return True


def rotating_rows(
    session: Session, until: datetime | None = None
) -> list[tuple[IncidentRow, EvidenceItemRow]]:
    """Pending items with a rotation time (by `until`, if given), on open incidents, soonest
    first."""
    query = (
        select(IncidentRow, EvidenceItemRow)
        .join(EvidenceItemRow, col(EvidenceItemRow.incident_id) == col(IncidentRow.id))
        .where(col(IncidentRow.status).in_(OPEN_STATUSES))
        .where(col(EvidenceItemRow.state) == ItemState.PENDING.value)
        .where(col(EvidenceItemRow.rotates_at).is_not(None))
        .order_by(col(EvidenceItemRow.rotates_at), col(EvidenceItemRow.id))
    )
    if until is not None:
        query = query.where(col(EvidenceItemRow.rotates_at) <= until)
    return [(incident, row) for incident, row in session.execute(query)]


# -- artifacts ---------------------------------------------------------------------------------
def artifact_rows(session: Session, incident_id: int | None = None) -> list[ArtifactRow]:
    query = select(ArtifactRow)
    if incident_id is not None:
        query = query.where(col(ArtifactRow.incident_id) == incident_id)
    order = (col(ArtifactRow.incident_id), col(ArtifactRow.collected_at), col(ArtifactRow.id))
    return list(session.scalars(query.order_by(*order)))


def get_artifact_row(session: Session, artifact_id: int) -> ArtifactRow:
    row = session.get(ArtifactRow, artifact_id)
    if row is None:
        raise ArtifactNotFound(artifact_id)
    return row


def artifact_by_sha(session: Session, incident_id: int, sha256: str) -> ArtifactRow | None:
    query = (
        select(ArtifactRow)
        .where(col(ArtifactRow.incident_id) == incident_id)
        .where(col(ArtifactRow.sha256) == sha256)
        .order_by(col(ArtifactRow.id))
    )
    return session.scalars(query.limit(1)).first()


# -- an artifact's bytes, in a shared war room -------------------------------------------------
CHUNK_TABLE = EvidenceChunkRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
# Core statements: ORM objects would keep every chunk in the session until the commit.
INSERT_CHUNK = insert(CHUNK_TABLE)
CHUNK_SEQS = (
    select(CHUNK_TABLE.c.seq)
    .where(CHUNK_TABLE.c.artifact_id == bindparam("artifact"))
    .order_by(CHUNK_TABLE.c.seq)
)
CHUNK_DATA = select(CHUNK_TABLE.c.data).where(
    CHUNK_TABLE.c.artifact_id == bindparam("artifact"), CHUNK_TABLE.c.seq == bindparam("seq")
)
HAS_CHUNKS = select(CHUNK_TABLE.c.seq).where(CHUNK_TABLE.c.artifact_id == bindparam("artifact"))


def add_chunks(
    session: Session | Connection, artifact_id: int, chunks: Iterable[bytes | memoryview]
) -> int:
    """Stores the bytes in order, one row per chunk; returns how many rows. An empty file
    gets one empty chunk: an artifact without any is one whose bytes are not stored here.
    The artifact's row must be flushed already (the foreign key)."""
    count = 0
    for chunk in chunks:
        session.execute(
            INSERT_CHUNK, {"artifact_id": artifact_id, "seq": count, "data": bytes(chunk)}
        )
        count += 1
    if count == 0:
        session.execute(INSERT_CHUNK, {"artifact_id": artifact_id, "seq": 0, "data": b""})
        count = 1
    return count


def has_chunks(session: Session, artifact_id: int) -> bool:
    return session.execute(HAS_CHUNKS.limit(1), {"artifact": artifact_id}).first() is not None


def chunks(session: Session, artifact_id: int) -> Iterator[bytes]:
    """The stored bytes in order, one chunk read at a time (never the whole artifact)."""
    seqs = list(session.scalars(CHUNK_SEQS, {"artifact": artifact_id}))
    for seq in seqs:
        data = session.execute(CHUNK_DATA, {"artifact": artifact_id, "seq": seq}).scalar()
        if data is not None:  # deleted since the seqs were read: the hash will tell
            yield bytes(data)


# -- custody -----------------------------------------------------------------------------------
def custody(session: Session, artifact_id: int) -> list[CustodyEntry]:
    query = (
        select(CustodyRow)
        .where(col(CustodyRow.artifact_id) == artifact_id)
        .order_by(col(CustodyRow.seq))
    )
    return [to_entry(r) for r in session.scalars(query)]


def append_custody(
    session: Session,
    artifact_id: int,
    action: CustodyAction,
    *,
    actor: str,
    at: datetime,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> CustodyEntry:
    """Appends to the chain as stored now (inside the caller's write transaction, so two
    writers cannot both take the same seq)."""
    details = json.loads(json.dumps(details or {}, default=str))  # as it reads back
    last = session.scalars(
        select(CustodyRow)
        .where(col(CustodyRow.artifact_id) == artifact_id)
        .order_by(col(CustodyRow.seq).desc())
        .limit(1)
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS_HASH if last is None else last.entry_hash
    digest = entry_hash(artifact_id, seq, action, actor, at, reason, details, prev)
    row = CustodyRow(
        artifact_id=artifact_id,
        seq=seq,
        action=action.value,
        actor=actor,
        at=at,
        reason=reason,
        details=json.dumps(details, sort_keys=True, ensure_ascii=False),
        prev_hash=prev,
        entry_hash=digest,
    )
    session.add(row)
    session.flush()
    return to_entry(row)


class SqlEvidence:
    """services.ports.evidence.EvidenceRepository on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- checklist items -----------------------------------------------------------------
    def items(self, incident_id: int) -> list[ChecklistItem]:
        return items(self._session, incident_id)

    def item(self, item_id: int) -> ChecklistItem:
        self._session.flush()
        return item(self._session, item_id)

    def has_items(self, incident_id: int) -> bool:
        return has_items(self._session, incident_id)

    def seed(
        self, incident_id: int, template: ChecklistTemplate, started: datetime, now: datetime
    ) -> None:
        seed(self._session, incident_id, template, started, now)
        self._session.flush()

    def add_item(self, incident_id: int, name: str, actor: str, now: datetime) -> ChecklistItem:
        row = EvidenceItemRow(
            incident_id=incident_id,
            position=next_position(self._session, incident_id),
            name=name,
            state=ItemState.PENDING.value,
            added_by=actor,
            added_at=now,
        )
        self._session.add(row)
        self._session.flush()
        return to_item(row)

    def set_state(self, item_id: int, state: ItemState, reason: str = "") -> ChecklistItem:
        row = get_item_row(self._session, item_id)
        row.state, row.reason = state.value, reason
        return self.item(item_id)

    def set_rotates_at(self, item_id: int, when: datetime | None) -> ChecklistItem:
        row = get_item_row(self._session, item_id)
        row.rotates_at = when
        return self.item(item_id)

    def link(self, item_id: int, artifact_id: int, now: datetime) -> bool:
        linked = link(self._session, item_id, artifact_id, now)
        self._session.flush()
        return linked

    def rotating(self, until: datetime | None) -> list[tuple[Incident, ChecklistItem]]:
        found = rotating_rows(self._session, until)
        links = _links(self._session, [r.id for _, r in found if r.id is not None])
        return [
            (repo.to_incident(incident), to_item(row, links.get(row.id or 0, ())))
            for incident, row in found
        ]

    # -- artifacts -----------------------------------------------------------------------
    def artifacts(self, incident_id: int | None = None) -> list[Artifact]:
        return [to_artifact(r) for r in artifact_rows(self._session, incident_id)]

    def artifact(self, artifact_id: int) -> Artifact:
        return to_artifact(get_artifact_row(self._session, artifact_id))

    def artifact_by_sha(self, incident_id: int, sha256: str) -> Artifact | None:
        row = artifact_by_sha(self._session, incident_id, sha256)
        return None if row is None else to_artifact(row)

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
        row = ArtifactRow(
            incident_id=incident_id,
            item_id=item_id,
            kind=kind.value,
            name=name,
            description=description,
            original_path=original_path,
            host=host,
            size=size,
            sha256=sha256,
            stored_name=stored_name,
            collector=collector,
            collected_at=collected_at,
            local_zone=local_zone,
            url=url,
        )
        self._session.flush()  # what is pending is not this insert's to roll back
        try:
            # A savepoint: the unique key refusing this row leaves the transaction usable.
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as exc:
            if not sha256 or not _is_duplicate_sha(exc):
                raise
            raise AlreadyStored(
                incident_id, sha256, self.artifact_by_sha(incident_id, sha256)
            ) from None
        return to_artifact(row)

    def add_chunks(self, artifact_id: int, chunks: Iterable[bytes | memoryview]) -> int:
        self._session.flush()
        return add_chunks(self._session, artifact_id, chunks)

    def has_chunks(self, artifact_id: int) -> bool:
        return has_chunks(self._session, artifact_id)

    def chunks(self, artifact_id: int) -> Iterator[bytes]:
        return chunks(self._session, artifact_id)

    # -- custody -------------------------------------------------------------------------
    def custody(self, artifact_id: int) -> list[CustodyEntry]:
        return custody(self._session, artifact_id)

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
        return append_custody(
            self._session, artifact_id, action, actor=actor, at=at, reason=reason, details=details
        )


def _is_duplicate_sha(exc: IntegrityError) -> bool:
    """The unique key on (incident_id, sha256) refused the row (SQLite names its columns,
    PostgreSQL its index)."""
    text = str(exc.orig)
    return "ix_evidence_artifact_incident_sha" in text or (
        "evidence_artifact.incident_id" in text and "evidence_artifact.sha256" in text
    )
