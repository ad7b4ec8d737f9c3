"""Mitigation decisions and wizard progress on SQL: services.ports.mitigation's repository.
The unit of work owns the session and its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from warroom.adapters.sql.models import IncidentRow, MitigationRow, WizardProgressRow
from warroom.domain.lifecycle import OPEN_STATUSES
from warroom.domain.mitigation import Decision, Mitigation, Outcome, StepKind
from warroom.domain.wizard_state import WizardProgress
from warroom.services.ports.mitigation import MitigationNotFound

__all__ = ["MitigationNotFound", "SqlMitigations", "to_mitigation"]


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
        kind=_kind(row.kind),
    )


def _kind(stored: str) -> StepKind:
    # A kind this version does not know (written by a newer one) reads as unspecified.
    try:
        return StepKind(stored or "")
    except ValueError:
        return StepKind.UNSPECIFIED


class SqlMitigations:
    """services.ports.mitigation.MitigationRepository on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def of_incident(self, incident_id: int) -> list[Mitigation]:
        query = (
            select(MitigationRow)
            .where(col(MitigationRow.incident_id) == incident_id)
            .order_by(col(MitigationRow.decided_at), col(MitigationRow.id))
        )
        return [to_mitigation(row) for row in self._session.scalars(query)]

    def get(self, mitigation_id: int) -> Mitigation:
        return to_mitigation(self._row(mitigation_id))

    def pending_on_open_incidents(self) -> list[Mitigation]:
        query = (
            select(MitigationRow)
            .join(IncidentRow, col(IncidentRow.id) == col(MitigationRow.incident_id))
            .where(col(MitigationRow.outcome) == Outcome.PENDING.value)
            .where(col(IncidentRow.status).in_(OPEN_STATUSES))
            .order_by(col(MitigationRow.check_back_at), col(MitigationRow.id))
        )
        return [to_mitigation(row) for row in self._session.scalars(query)]

    def add(
        self,
        *,
        incident_id: int,
        option_key: str,
        option_verb: str,
        decision: Decision,
        decided_at: datetime,
        decided_by: str,
        action: str = "",
        applied_by: str = "",
        expected_effect: str = "",
        reason: str = "",
        check_back_at: datetime | None = None,
        outcome: Outcome | None = None,
        kind: StepKind = StepKind.UNSPECIFIED,
    ) -> Mitigation:
        row = MitigationRow(
            incident_id=incident_id,
            option_key=option_key,
            option_verb=option_verb,
            decision=decision.value,
            decided_at=decided_at,
            decided_by=decided_by,
            action=action,
            applied_by=applied_by,
            expected_effect=expected_effect,
            reason=reason,
            check_back_at=check_back_at,
            outcome=outcome.value if outcome is not None else None,
            kind=kind.value,
        )
        self._session.add(row)
        self._session.flush()
        return to_mitigation(row)

    def record_outcome(self, mitigation_id: int, outcome: Outcome, at: datetime) -> Mitigation:
        row = self._row(mitigation_id)
        row.outcome, row.outcome_at = outcome.value, at
        return to_mitigation(row)

    def progress(self, incident_id: int) -> WizardProgress | None:
        row = self._session.get(WizardProgressRow, incident_id)
        return None if row is None else WizardProgress.from_json(row.state)

    def store_progress(self, incident_id: int, progress: WizardProgress, now: datetime) -> None:
        row = self._session.get(WizardProgressRow, incident_id)
        if row is None:
            self._session.add(
                WizardProgressRow(incident_id=incident_id, state=progress.to_json(), saved_at=now)
            )
        else:
            row.state, row.saved_at = progress.to_json(), now

    def security_incident(self, incident_id: int) -> bool:
        row = self._session.get(IncidentRow, incident_id)
        return row is not None and bool(row.is_security)

    def _row(self, mitigation_id: int) -> MitigationRow:
        row = self._session.get(MitigationRow, mitigation_id)
        if row is None:
            raise MitigationNotFound(mitigation_id)
        return row
