"""The read-only queries behind the metrics across incidents, as the services see them on a
unit of work. What needs a whole timeline (the first update, the mitigation steps) comes back
already summed up per incident, so the work grows with the number of incidents, not events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from warroom.domain.incident import Incident, TimelineEvent


@dataclass(frozen=True)
class TimelineSummary:
    """What metrics need of one incident's timeline."""

    first_update_at: datetime | None = None  # the earliest UPDATE_SENT event
    mitigations_applied: int = 0  # MITIGATION events whose decision is "applied"
    mitigations_worked: int = 0  # CHECK_BACK events whose outcome is "worked"
    # The REMINDER events that may record a missed update cadence or withdraw one, by id: at
    # least every event of the incident for which cadence.is_cadence_event holds. Their
    # text and actor may be left empty.
    cadence_events: tuple[TimelineEvent, ...] = ()


class MetricsQueries(Protocol):
    def incidents(self) -> list[Incident]:
        """Every incident, closed ones included, by id (as IncidentRepository.list(True))."""
        ...

    def timeline_summaries(self) -> dict[int, TimelineSummary]:
        """By incident id; an incident with none of what a summary holds may be absent."""
        ...
