"""Queries for mitigation decisions and wizard progress. Callers own the session."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from warroom.adapters.sql.models import IncidentRow, MitigationRow, WizardProgressRow
from warroom.adapters.sql.repository import OPEN_STATUSES
from warroom.domain.mitigation import Decision, Mitigation, Outcome
from warroom.domain.playbook import TriageFlag
from warroom.domain.wizard_state import WizardProgress


class MitigationNotFound(LookupError):
    def __init__(self, mitigation_id: int) -> None:
        super().__init__(f"There is no mitigation #{mitigation_id}.")


def to_mitigation(row: MitigationRow) -> Mitigation:
    assert row.id is not None
    return Mitigation(
        id=row.id,
        incident_id=row.incident_id,
        option_key=row.option_key,
        option_verb=row.option_verb,
        decision=Decision(row.decision),
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        action=row.action,
        applied_by=row.applied_by,
        expected_effect=row.expected_effect,
        reason=row.reason,
        check_back_at=row.check_back_at,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_at=row.outcome_at,
    )


def rows_for(session: Session, incident_id: int) -> list[MitigationRow]:
    query = (
        select(MitigationRow)
        .where(MitigationRow.incident_id == incident_id)
        .order_by(MitigationRow.decided_at, MitigationRow.id)  # type: ignore[arg-type]
    )
    return list(session.scalars(query))


def get_row(session: Session, mitigation_id: int) -> MitigationRow:
    row = session.get(MitigationRow, mitigation_id)
    if row is None:
        raise MitigationNotFound(mitigation_id)
    return row


def pending_on_open_incidents(session: Session) -> list[MitigationRow]:
    """Applied and not yet checked, on incidents still open: the check-backs to ask about."""
    query = (
        select(MitigationRow)
        .join(IncidentRow, IncidentRow.id == MitigationRow.incident_id)  # type: ignore[arg-type]
        .where(MitigationRow.outcome == Outcome.PENDING.value)
        .where(IncidentRow.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
        .order_by(MitigationRow.check_back_at, MitigationRow.id)  # type: ignore[arg-type]
    )
    return list(session.scalars(query))


def load_progress(session: Session, incident_id: int) -> WizardProgress | None:
    row = session.get(WizardProgressRow, incident_id)
    return None if row is None else WizardProgress.from_json(row.state)


def security_incident(session: Session, incident_id: int) -> bool:
    """Triage said this is a security breach (the answer is kept with the wizard's progress)."""
    progress = load_progress(session, incident_id)
    return progress is not None and TriageFlag.SECURITY.value in progress.flags


def store_progress(session: Session, incident_id: int, progress: WizardProgress, now) -> None:  # type: ignore[no-untyped-def]
    row = session.get(WizardProgressRow, incident_id)
    if row is None:
        session.add(
            WizardProgressRow(incident_id=incident_id, state=progress.to_json(), saved_at=now)
        )
    else:
        row.state, row.saved_at = progress.to_json(), now


class SqlMitigations:
    """services.ports.mitigation.MitigationRepository on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session
