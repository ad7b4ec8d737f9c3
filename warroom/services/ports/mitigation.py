"""The mitigation repository the services see on a unit of work: decisions on the
playbook's options and the wizard's progress, as domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from warroom.domain.mitigation import Decision, Mitigation, Outcome, StepKind
from warroom.domain.wizard_state import WizardProgress


class MitigationNotFound(LookupError):
    def __init__(self, mitigation_id: int) -> None:
        super().__init__(f"There is no mitigation #{mitigation_id}.")


class MitigationRepository(Protocol):
    def of_incident(self, incident_id: int) -> list[Mitigation]:
        """The incident's decisions in the order they were made."""
        ...

    def get(self, mitigation_id: int) -> Mitigation:
        """Raises MitigationNotFound."""
        ...

    def pending_on_open_incidents(self) -> list[Mitigation]:
        """Applied and not yet checked, on incidents still open, soonest check-back first:
        the check-backs to ask about."""
        ...

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
        """A new decision, numbered at once."""
        ...

    def record_outcome(self, mitigation_id: int, outcome: Outcome, at: datetime) -> Mitigation:
        """Any outcome, PARKED included (then `at` is when it was parked).
        Raises MitigationNotFound."""
        ...

    def progress(self, incident_id: int) -> WizardProgress | None:
        """Where the wizard was left; None when it was never opened."""
        ...

    def store_progress(self, incident_id: int, progress: WizardProgress, now: datetime) -> None: ...

    def security_incident(self, incident_id: int) -> bool:
        """The incident is a security one: `Incident.is_security`, the one source (said at
        declaration, by IncidentService.set_security, or by triage through it)."""
        ...
