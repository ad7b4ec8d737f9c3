"""Missed update cadences, written on the timeline when they happen (domain.cadence says
which). The main window's tick calls `record_missed` at most once a minute; an entry made
after the fact (an incident declared in the past, an update typed in late) calls it for its
incident at once. Each miss is one REMINDER event at the deadline it missed, written once;
a recorded miss that a later-entered fact disproves is withdrawn by another event, so the
timeline, and the metrics counted from it, say what happened."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from warroom.domain.cadence import (
    CADENCE_KEY,
    MISSED,
    RECONCILE_KINDS,
    WITHDRAWN,
    MissedUpdate,
    is_cadence_event,
    reconcile,
)
from warroom.domain.changes import ChangeSet
from warroom.domain.clocks import update_deadline
from warroom.domain.derived import entered_after_the_fact
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.policy import Policy
from warroom.services.incidents import Edit, IncidentNotFound, IncidentService

log = logging.getLogger("warroom.services.cadence")

__all__ = ["CadenceService", "write_misses"]


class CadenceService:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents
        # By incident: the row and policy under which this process last settled its misses
        # after the row's update deadline had passed (see after_edit).
        self._settled_overdue: dict[int, tuple[Policy, object]] = {}
        self._deadlines: dict[int, tuple[Policy, object, datetime | None]] = {}
        incidents.subscribe(self._forget_changed_elsewhere)

    def _forget_changed_elsewhere(self, changes: ChangeSet) -> None:
        # Another process may have written anything (a restored copy, an older warroom):
        # the next edit of what it touched replays the facts again.
        if not changes.local:
            for incident_id in changes.incident_ids:
                self._settled_overdue.pop(incident_id, None)

    def record_missed(self, now: datetime, incident_id: int | None = None) -> list[MissedUpdate]:
        """Writes the misses the timeline lacks (and withdraws the disproved ones) for one
        incident, or for every incident not yet resolved. Reads first and writes only where
        something is missing, so calling it again changes nothing. Returns what it recorded."""
        return self._record(now, None if incident_id is None else [incident_id])

    def record_missed_among(
        self, now: datetime, incident_ids: Collection[int]
    ) -> list[MissedUpdate]:
        """`record_missed` for these incidents, read in one transaction and written in one
        (an end of business day passes for every P3 at once)."""
        return self._record(now, list(incident_ids)) if incident_ids else []

    def _record(self, now: datetime, incident_ids: list[int] | None) -> list[MissedUpdate]:
        with self.incidents.reading() as uow:
            if incident_ids is None:
                chosen = uow.incidents.list(include_closed=False)
            else:
                chosen = []
                for incident_id in incident_ids:
                    try:
                        chosen.append(uow.incidents.to_incident(uow.incidents.get(incident_id)))
                    except IncidentNotFound:
                        continue
            behind = [
                i.id
                for i in chosen
                if i.status is not Status.CLOSED
                and reconcile(
                    i, uow.timeline.of_incident(i.id, RECONCILE_KINDS), self.incidents.policy, now
                )
            ]
        if not behind:
            return []
        # Again, inside the write: idempotent, and right if another laptop wrote meanwhile.
        recorded = self.incidents.edit_each(behind, lambda edit: write_misses(edit, now))
        if recorded:
            log.info("recorded %d missed update cadence(s)", len(recorded))
        return recorded

    def after_edit(self, edit: Edit) -> None:
        """A hook for IncidentService.after_edit: every edit of an open incident (a
        severity change, an update, a stage move, from the GUI or the CLI) settles its
        misses in the same transaction.

        An edit that writes none of the facts (a note, a snooze) can only bring a new miss
        by happening after the deadline the update clock shows: before it, the facts are
        as the edit that wrote them last left them, settled. So its facts are read only
        once the clock is overdue. (A record written without settling, by an older
        warroom or copied in, is settled when a board opens on it: its first sweep replays
        every incident, and records each miss at its deadline.)"""
        if edit.row.status == Status.CLOSED.value:
            return
        if edit.changes_facts:
            write_misses(edit, edit.now)
            return
        deadline = self._update_deadline(edit)
        if deadline is None:
            write_misses(edit, edit.now)
            return
        if edit.now <= deadline:
            return
        # Overdue. Until the facts change, and with them the row, the replay finds the same
        # misses: one per deadline, and this deadline's is recorded. So once an edit here
        # has settled them on this row, committed, later notes need not replay again.
        settled = (edit.policy, edit.row)  # the deadline follows from them
        incident_id = edit.incident_id
        if self._settled_overdue.get(incident_id) == settled:
            return
        write_misses(edit, edit.now)
        edit.when_committed(lambda: self._settled_overdue.__setitem__(incident_id, settled))

    def _update_deadline(self, edit: Edit) -> datetime | None:
        """The update clock's deadline for the edit's read-only row: worked out once per row
        and policy (a note reads the row; building the incident from it costs more)."""
        known = self._deadlines.get(edit.incident_id)
        if known is not None and known[0] is edit.policy and known[1] == edit.row:
            return known[2]
        deadline = update_deadline(edit.incident(), edit.policy)
        self._deadlines[edit.incident_id] = (edit.policy, edit.row, deadline)
        return deadline

    def on_declare(self, edit: Edit) -> None:
        """A hook for IncidentService.on_declare: an incident declared in the past gets the
        misses of its first deadline in the same transaction. A live declaration reads
        nothing more."""
        policy = self.incidents.policy
        incident = edit.incident()
        first = policy.for_severity(incident.severity).update_every.deadline(
            incident.declared_at, policy.working_hours
        )
        if first < edit.now:
            write_misses(edit, edit.now)


def write_misses(edit: Edit, now: datetime) -> list[MissedUpdate]:
    """Inside `edit`'s transaction: writes what `reconcile` says is missing. A recorded miss
    the facts no longer support is withdrawn by an event when the incident was worked live
    (the clock did show it overdue); on an incident entered after the fact, whose misses
    are only inferred while its facts are typed in, it is removed, since nobody saw it."""
    events = edit.uow.timeline.of_incident(edit.incident_id, RECONCILE_KINDS)
    todo = reconcile(edit.incident(), events, edit.policy, now)
    entered_later = any(e.kind is EventKind.DECLARED and entered_after_the_fact(e) for e in events)
    for miss in todo.to_withdraw:
        if entered_later:
            for event in events:
                standing = is_cadence_event(event) and event.data.get(CADENCE_KEY) == MISSED
                if standing and event.data.get("due") == miss.due.isoformat():
                    edit.uow.timeline.remove(event.id)
            continue
        edit.event(
            EventKind.REMINDER,
            miss.withdrawn_text(),
            at=now,
            **_data(miss, WITHDRAWN),
        )
    for miss in todo.to_record:
        edit.event(EventKind.REMINDER, miss.text, at=miss.at, **_data(miss, MISSED))
    return list(todo.to_record)


def _data(miss: MissedUpdate, what: str) -> dict[str, str]:
    return {CADENCE_KEY: what, "due": miss.due.isoformat(), "severity": miss.severity.value}
