"""Evidence checklist items, artifacts, their links and custody logs: row <-> domain
conversion and queries. Callers own the session and its transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from warroom.adapters.sql.models import (
    ArtifactRow,
    CustodyRow,
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


class ItemNotFound(LookupError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no evidence checklist item #{item_id}.")


class ArtifactNotFound(LookupError):
    def __init__(self, artifact_id: int) -> None:
        super().__init__(f"There is no evidence #{artifact_id}.")


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
        .where(EvidenceItemRow.incident_id == incident_id)
        .order_by(EvidenceItemRow.position, EvidenceItemRow.id)  # type: ignore[arg-type]
    )
    return list(session.scalars(query))


def items(session: Session, incident_id: int) -> list[ChecklistItem]:
    rows = item_rows(session, incident_id)
    links = _links(session, [r.id for r in rows if r.id is not None])
    return [to_item(r, links.get(r.id, ())) for r in rows]


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
        select(EvidenceLinkRow.item_id, EvidenceLinkRow.artifact_id)
        .where(EvidenceLinkRow.item_id.in_(item_ids))  # type: ignore[attr-defined]
        .order_by(EvidenceLinkRow.linked_at, EvidenceLinkRow.artifact_id)  # type: ignore[arg-type]
    )
    found: dict[int, list[int]] = defaultdict(list)
    for item_id, artifact_id in session.execute(query):
        found[item_id].append(artifact_id)
    return {k: tuple(v) for k, v in found.items()}


def has_items(session: Session, incident_id: int) -> bool:
    query = select(EvidenceItemRow.id).where(EvidenceItemRow.incident_id == incident_id)
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
    query = select(func.max(EvidenceItemRow.position)).where(
        EvidenceItemRow.incident_id == incident_id
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
        .join(EvidenceItemRow, EvidenceItemRow.incident_id == IncidentRow.id)  # type: ignore[arg-type]
        .where(IncidentRow.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
        .where(EvidenceItemRow.state == ItemState.PENDING.value)
        .where(EvidenceItemRow.rotates_at.is_not(None))  # type: ignore[union-attr]
        .order_by(EvidenceItemRow.rotates_at, EvidenceItemRow.id)  # type: ignore[arg-type]
    )
    if until is not None:
        query = query.where(EvidenceItemRow.rotates_at <= until)  # type: ignore[operator]
    return [(incident, row) for incident, row in session.execute(query)]


# -- artifacts ---------------------------------------------------------------------------------
def artifact_rows(session: Session, incident_id: int | None = None) -> list[ArtifactRow]:
    query = select(ArtifactRow)
    if incident_id is not None:
        query = query.where(ArtifactRow.incident_id == incident_id)
    order = (ArtifactRow.incident_id, ArtifactRow.collected_at, ArtifactRow.id)
    return list(session.scalars(query.order_by(*order)))  # type: ignore[arg-type]


def get_artifact_row(session: Session, artifact_id: int) -> ArtifactRow:
    row = session.get(ArtifactRow, artifact_id)
    if row is None:
        raise ArtifactNotFound(artifact_id)
    return row


def artifact_by_sha(session: Session, incident_id: int, sha256: str) -> ArtifactRow | None:
    query = (
        select(ArtifactRow)
        .where(ArtifactRow.incident_id == incident_id)
        .where(ArtifactRow.sha256 == sha256)
        .order_by(ArtifactRow.id)  # type: ignore[arg-type]
    )
    return session.scalars(query.limit(1)).first()


# -- custody -----------------------------------------------------------------------------------
def custody(session: Session, artifact_id: int) -> list[CustodyEntry]:
    query = (
        select(CustodyRow).where(CustodyRow.artifact_id == artifact_id).order_by(CustodyRow.seq)  # type: ignore[arg-type]
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
        .where(CustodyRow.artifact_id == artifact_id)
        .order_by(CustodyRow.seq.desc())  # type: ignore[attr-defined]
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
