"""What a user can do to an incident. Each operation is validated by core, committed in one
transaction, written to the timeline with who and when, and then announced to listeners.
The GUI and the CLI both go through here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.clock import Clock
from warroom.domain.derived import derive, severity_history, update_times
from warroom.domain.edits import EditConflict, Resolution, check_not_stale, resolution_note
from warroom.domain.incident import EventKind, Incident, KeyTime, TimelineEvent
from warroom.domain.lifecycle import MoveRefused, Role, StageFacts, Status, move_stage
from warroom.domain.policy import Policy
from warroom.domain.reminders import snooze_span
from warroom.domain.severity import Severity
from warroom.domain.timefmt import utc_minute_or_unset
from warroom.domain.validation import (
    ValidationError,
    aware_utc,
    check_key_times,
    check_near_incident,
    clean_text,
    clean_title,
    not_in_future,
)
from warroom.services.ports import (
    DedupeKeyTaken,
    EventRecord,
    IncidentNotFound,
    IncidentRecord,
    LoggedChange,
    Storage,
    StorageUnavailable,
    UnitOfWork,
    Waiting,
    WriteFailed,
)

log = logging.getLogger("warroom.services.incidents")
T = TypeVar("T")

__all__ = [
    "Declared",
    "IncidentNotFound",
    "RelationRefused",
    "IncidentService",
    "StageRefused",
    "ValidationError",
    "WriteFailed",
]


Listener = Callable[[ChangeSet], None]


class StageRefused(ValidationError):
    """A stage move a lifecycle rule refused; `reason_would_do` says whether stating a
    reason lets it through."""

    def __init__(self, refusal: MoveRefused) -> None:
        super().__init__("status", refusal.message)
        self.reason_would_do = refusal.reason_would_do


class RelationRefused(ValidationError):
    """A duplicate mark a rule refused (the message says which and what to do instead)."""

    def __init__(self, message: str) -> None:
        super().__init__("of", message)


@dataclass(frozen=True)
class Declared:
    """What `declare_or_repeat` did: declared `incident` (new), or recorded the alert's
    repeat on the open incident that carries its key."""

    incident: Incident
    new: bool


def _sentence(exc: Exception) -> str:
    # Not str.capitalize(), which lowercases the rest: "use one of P0, P1" must stay as is.
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


class IncidentService:
    """Incidents, their stages, roles, key times, notes and updates. Sibling services
    (mitigation, evidence, post-mortems) build their operations on `editing` and `writing`,
    so every write of every area is announced the same way."""

    def __init__(self, storage: Storage, clock: Clock, actor: str, policy: Policy) -> None:
        self._storage = storage
        self._clock = clock
        self.actor = actor
        self.policy = policy
        self._listeners: list[Listener] = []
        self._reachability: list[Callable[[str | None], None]] = []
        self._unreachable: str | None = None
        self.on_declare: list[Callable[[Edit], None]] = []
        # Run at the end of every edit of an incident, in its transaction: what is derived
        # from the facts (missed update cadences) follows them whatever wrote them.
        self.after_edit: list[Callable[[Edit], None]] = []

    # -- notifications -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """`listener(changes)` after each commit of this process, and for changes other
        processes made when `poll_elsewhere` finds them."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def announce(self, changes: ChangeSet) -> None:
        if not changes:
            return
        for listener in list(self._listeners):
            listener(changes)

    def poll_elsewhere(self) -> ChangeSet:
        """Announces what other processes changed since the last call; cheap when nothing
        did (one counter read), so it runs on the tick. A record that cannot be reached (a
        shared war room's server went away) is told to the reachability listeners, once,
        and again when it is back; the poll that finds it back catches up on what changed."""
        try:
            changes = self._storage.changes_elsewhere()
        except StorageUnavailable as exc:
            self._set_unreachable(exc.message)
            return ChangeSet(local=False)
        self._set_unreachable(None)
        self.announce(changes)
        return changes

    def when_reachability_changes(
        self, listener: Callable[[str | None], None]
    ) -> Callable[[], None]:
        """`listener(message)` when the record stops being reachable (the message says
        where), `listener(None)` when it is back. Returns a function that unsubscribes."""
        self._reachability.append(listener)
        return lambda: self._reachability.remove(listener)

    @property
    def unreachable(self) -> str | None:
        """Why the record cannot be reached now; None while it can."""
        return self._unreachable

    def report_unreachable(self, message: str) -> None:
        """A read elsewhere found the record unreachable (StorageUnavailable): the
        reachability listeners hear it as from a poll; the next poll that succeeds clears it."""
        self._set_unreachable(message)

    def _set_unreachable(self, message: str | None) -> None:
        if message == self._unreachable:
            return
        self._unreachable = message
        for listener in list(self._reachability):
            listener(message)

    def notice_socket(self) -> int | None:
        """A socket that becomes readable when another process commits (a shared war room);
        call `poll_elsewhere` then, and ask again afterwards: a reconnect changes it. None
        when the storage has no such socket (a local file): the tick's poll is all there is."""
        return self._storage.notice_socket()

    def logged_after(self, seq: int) -> list[LoggedChange]:
        """Every change in the change log after `seq`, whoever made it, oldest first (for
        `warroom watch`); cheap when nothing was committed since the last call."""
        return self._storage.logged_after(seq)

    def newest_logged(self) -> int:
        """The change log's newest sequence number: what `logged_after` starts from."""
        return self._storage.newest_logged()

    def when_waiting(self, listener: Waiting) -> Callable[[], None]:
        """`listener(True)` while a write waits for another warroom to finish writing,
        `listener(False)` when it stops waiting. Called on the writing thread; returns a
        function that unsubscribes."""
        return self._storage.when_waiting(listener)

    # -- queries -------------------------------------------------------------------------
    def reading(self) -> AbstractContextManager[UnitOfWork]:
        """A read-only unit of work, for queries of sibling services."""
        return self._storage.reading()

    def now(self) -> datetime:
        return self._clock.now()

    @property
    def location(self) -> str:
        """Where the record lives, for people: a file's path or a shared server's address."""
        return self._storage.location

    def list_incidents(self, include_closed: bool = False) -> list[Incident]:
        with self._storage.reading() as uow:
            return uow.incidents.list(include_closed)

    def get(self, incident_id: int) -> Incident:
        with self._storage.reading() as uow:  # one Core select: no ORM session for a read
            return uow.incidents.to_incident(uow.incidents.read(incident_id))

    def timeline(self, incident_id: int) -> list[TimelineEvent]:
        with self._storage.reading() as uow:
            return uow.timeline.of_incident(incident_id)

    # -- the write path ------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Write]:
        """One write transaction, committed at the end of the block and then announced.
        A storage failure (full disk, read-only file, a lock held too long) rolls it back
        whole and raises WriteFailed."""
        with self._storage.writing() as uow:
            write = Write(uow)
            yield write
            write.changes = uow.commit()
        self.announce(write.changes)

    @contextmanager
    def editing(
        self, incident_id: int, *, allow_closed: bool = False, changes_incident: bool = True
    ) -> Iterator[Edit]:
        """One write transaction on one incident: refused if it is closed, committed at the
        end of the block and announced after the commit. `changes_incident=False`: the
        block (and every after_edit hook) only reads the incident's own row, writing only
        to its other parts (a note, a snooze); `edit.row` is then a read-only copy, read
        more cheaply, and setting one of its attributes raises."""
        with self.writing() as write:
            incidents = write.uow.incidents
            row = incidents.get(incident_id) if changes_incident else incidents.read(incident_id)
            if row.status == Status.CLOSED.value and not allow_closed:
                raise ValidationError(
                    "status",
                    f"Incident #{incident_id} is closed. Reopen it (move it back to an "
                    "earlier stage) before editing it.",
                )
            edit = Edit(
                write.uow,
                row,
                self._clock.now(),
                self.actor,
                self.policy,
                changes_facts=changes_incident,
            )
            yield edit
            for hook in self.after_edit:
                hook(edit)
        edit.committed()

    def edit_each(self, incident_ids: Iterable[int], work: Callable[[Edit], list[T]]) -> list[T]:
        """`work` on each incident in one write transaction, each edit as `editing(...,
        changes_incident=False)` gives it, then the after_edit hooks; an incident closed or
        deleted meanwhile is passed over. For sweeps over many incidents at once: one
        commit instead of one each."""
        done: list[T] = []
        edits: list[Edit] = []
        with self.writing() as write:
            incidents = write.uow.incidents
            for incident_id in incident_ids:
                try:
                    row = incidents.read(incident_id)
                except IncidentNotFound:
                    continue
                if row.status == Status.CLOSED.value:
                    continue
                edit = Edit(
                    write.uow, row, self._clock.now(), self.actor, self.policy, changes_facts=False
                )
                done += work(edit)
                for hook in self.after_edit:
                    hook(edit)
                edits.append(edit)
        for edit in edits:
            edit.committed()
        return done

    def declare(
        self,
        title: str,
        severity: Severity | str,
        impact: str = "",
        impact_started_at: datetime | None = None,
        commander: str = "",
        is_drill: bool = False,
        *,
        declared_at: datetime | None = None,
        detected_at: datetime | None = None,
        is_security: bool = False,
        service: str = "",
        dedupe_key: str = "",
    ) -> Incident:
        """Declares an incident. Each time defaults to now only when not given: an
        incident entered afterwards carries when it was declared and first detected.
        With a `dedupe_key`, see `declare_or_repeat`; this returns the incident either way."""
        return self.declare_or_repeat(
            title, severity, impact, impact_started_at, commander, is_drill,
            declared_at=declared_at, detected_at=detected_at, is_security=is_security,
            service=service, dedupe_key=dedupe_key,
        ).incident  # fmt: skip

    def declare_or_repeat(
        self,
        title: str,
        severity: Severity | str,
        impact: str = "",
        impact_started_at: datetime | None = None,
        commander: str = "",
        is_drill: bool = False,
        *,
        declared_at: datetime | None = None,
        detected_at: datetime | None = None,
        is_security: bool = False,
        service: str = "",
        dedupe_key: str = "",
    ) -> Declared:
        """Declares an incident carrying `dedupe_key` (an alert's key), unless an open one
        carries it already: then the repeat goes on that one's timeline and it is returned
        with `new` False. The look-up and the declaration are one write transaction, and
        the storage keeps the key unique among open incidents, so many alert hooks firing
        at once give one incident; one that loses the race records its repeat instead."""
        now = self._clock.now()
        fields = self._declaration(
            title, severity, impact, impact_started_at, commander, is_drill, now,
            declared_at=declared_at, detected_at=detected_at, is_security=is_security,
            service=service,
        )  # fmt: skip
        key = " ".join(clean_text("dedupe_key", dedupe_key, "The dedupe key").split())
        try:
            return self._declare_once(fields, key, now)
        except DedupeKeyTaken:  # another process declared it between our look-up and insert
            log.info("alert key %r taken by a concurrent declare; recording a repeat", key)
            return self._declare_once(fields, key, now)

    def _declaration(
        self,
        title: str,
        severity: Severity | str,
        impact: str,
        impact_started_at: datetime | None,
        commander: str,
        is_drill: bool,
        now: datetime,
        *,
        declared_at: datetime | None,
        detected_at: datetime | None,
        is_security: bool,
        service: str,
    ) -> dict[str, Any]:
        """The new incident's checked columns; raises ValidationError."""
        clean = clean_title(title)
        try:
            level = Severity.parse(str(severity))
        except ValueError as exc:
            raise ValidationError("severity", _sentence(exc)) from None
        impact = clean_text("impact", impact, "The impact summary")
        commander = " ".join(clean_text("commander", commander, "The commander's name").split())
        service = " ".join(clean_text("service", service, "The service's name").split())
        declared = now if declared_at is None else aware_utc("declared_at", declared_at)
        started = (
            declared
            if impact_started_at is None
            else aware_utc("impact_started_at", impact_started_at)
        )
        detected = None if detected_at is None else aware_utc("detected_at", detected_at)
        not_in_future("impact_started_at", "Impact started", started, now)
        times = {
            KeyTime.IMPACT_STARTED: started,
            KeyTime.DETECTED: detected,
            KeyTime.DECLARED: declared,
        }
        check_key_times(times, now)
        if detected is not None and detected > declared:
            raise ValidationError(
                "detected_at", "Detected cannot be after the incident was declared."
            )
        return {
            "title": clean,
            "severity": level.value,
            "status": Status.TRIAGE.value,
            "impact": impact,
            "impact_started_at": started,
            "detected_at": detected,
            "declared_at": declared,
            "commander": commander,
            "is_drill": is_drill,
            "is_security": is_security,
            "service": service,
        }

    def _declare_once(self, fields: dict[str, Any], key: str, now: datetime) -> Declared:
        with self.writing() as write:
            found = write.uow.incidents.open_with_key(key) if key else None
            if found is not None:
                edit = Edit(write.uow, found, now, self.actor, self.policy)
                edit.event(EventKind.ALERT_REPEATED, f"Alert repeated ({key})", key=key)
                for after in self.after_edit:
                    after(edit)
                declared = Declared(edit.incident(), new=False)
            else:
                row = write.uow.incidents.add(**fields, dedupe_key=key or None)
                declared = Declared(self._record_declaration(write, row, now), new=True)
        incident = declared.incident
        if declared.new:
            log.info("declared incident #%d (%s)", incident.id, incident.severity.value)
        else:
            log.info("alert %r repeated on incident #%d", key, incident.id)
        return declared

    def _record_declaration(self, write: Write, row: IncidentRecord, now: datetime) -> Incident:
        assert row.id is not None
        edit = Edit(write.uow, row, now, self.actor, self.policy)
        level, clean, declared = Severity(row.severity), row.title, row.declared_at
        is_drill, is_security, service = row.is_drill, row.is_security, row.service
        tags = " (drill)" if is_drill else ""
        tags += " (security)" if is_security else ""
        edit.event(
            EventKind.DECLARED,
            f"Declared {level.value}{tags}: {clean}",
            at=declared,
            severity=level.value,
            impact_started_at=row.impact_started_at,
            is_drill=is_drill,
            **_only_if("is_security", is_security),
            **_only_if("service", service),
            **_only_if("dedupe_key", row.dedupe_key),
        )
        if row.commander:
            edit.event(
                EventKind.ROLE_ASSIGNED,
                f"{Role.COMMANDER.label}: {row.commander}",
                at=declared,
                role=Role.COMMANDER.value,
                old="",
                new=row.commander,
            )
        for hook in self.on_declare:
            hook(edit)
        return write.uow.incidents.to_incident(row)

    # -- relations between incidents ----------------------------------------------------
    def mark_duplicate(self, incident_id: int, of: int) -> Incident:
        """Marks the incident as a duplicate of `of`: said on both timelines, and the
        duplicate is left out of the metrics. Raises RelationRefused when a rule says no
        (the other is itself a duplicate, or this one already duplicates another)."""
        if incident_id == of:
            raise ValidationError("of", f"Incident #{incident_id} cannot duplicate itself.")
        with self.editing(incident_id) as edit:
            other = edit.uow.incidents.get(of)
            if edit.row.duplicate_of == of:
                return edit.incident()
            if edit.row.duplicate_of is not None:
                raise RelationRefused(
                    f"Incident #{incident_id} is already a duplicate of #{edit.row.duplicate_of}."
                )
            if other.duplicate_of is not None:
                raise RelationRefused(
                    f"Incident #{of} is itself a duplicate of #{other.duplicate_of}; mark "
                    f"#{incident_id} as a duplicate of #{other.duplicate_of} instead."
                )
            edit.row.duplicate_of = of
            edit.event(EventKind.DUPLICATE, f"Marked as a duplicate of #{of}", of=of)
            there = Edit(edit.uow, other, edit.now, self.actor, self.policy)
            there.event(
                EventKind.DUPLICATE,
                f"#{incident_id} marked as a duplicate of this incident",
                duplicate=incident_id,
            )
            return edit.incident()

    def link(self, incident_id: int, other_id: int) -> bool:
        """Records that two incidents are related, on both timelines; False when they
        were linked already (nothing recorded)."""
        if incident_id == other_id:
            raise ValidationError("other", f"Incident #{incident_id} cannot be linked to itself.")
        with self.editing(incident_id) as edit:
            other = edit.uow.incidents.get(other_id)
            if other_id in _linked(edit.uow.timeline.of_incident(incident_id)):
                return False
            edit.event(EventKind.LINKED, f"Linked to #{other_id}", linked=other_id)
            there = Edit(edit.uow, other, edit.now, self.actor, self.policy)
            there.event(EventKind.LINKED, f"Linked to #{incident_id}", linked=incident_id)
            return True

    def links(self, incident_id: int) -> list[int]:
        """The incidents linked to this one, in the order they were linked."""
        return _linked(self.timeline(incident_id))

    def set_security(self, incident_id: int, is_security: bool, reason: str = "") -> Incident:
        """Marks the incident as a security incident (or not) at any time; from then on,
        changes wait for the volatile evidence. Who said so, and why, is on the timeline."""
        reason = clean_text("reason", reason, "The reason")
        with self.editing(incident_id) as edit:
            if bool(edit.row.is_security) != is_security:
                text = (
                    "Marked as a security incident"
                    if is_security
                    else "No longer a security incident"
                ) + (f": {reason}" if reason else "")
                edit.event(
                    EventKind.FIELD_EDITED, text, field="is_security", new=is_security,
                    reason=reason,
                )  # fmt: skip
                edit.row.is_security = is_security
            return edit.incident()

    def set_service(
        self,
        incident_id: int,
        service: str,
        *,
        based_on: str | None = None,
        resolution: Resolution | str | None = None,
    ) -> Incident:
        """The affected service, for frequency per service in the metrics. `based_on`: the
        value the editor showed (EditConflict if someone else saved another meanwhile);
        `resolution`: what the editor chose when told so."""
        service = " ".join(clean_text("service", service, "The service's name").split())
        with self.editing(incident_id) as edit:
            old = edit.row.service
            if _changed(
                edit, "service", "The affected service", old, service, based_on, resolution
            ):
                text = f"Affected service: {service}" if service else "Affected service cleared"
                _record_edit(
                    edit,
                    EventKind.FIELD_EDITED,
                    text,
                    resolution,
                    field="service",
                    old=old,
                    new=service,
                )
                edit.row.service = service
            return edit.incident()

    def edit_title(
        self,
        incident_id: int,
        title: str,
        *,
        based_on: str | None = None,
        resolution: Resolution | str | None = None,
    ) -> Incident:
        """`based_on` and `resolution` as for set_service."""
        clean = clean_title(title)
        with self.editing(incident_id) as edit:
            old = edit.row.title
            if _changed(edit, "title", "The title", old, clean, based_on, resolution):
                _record_edit(
                    edit,
                    EventKind.FIELD_EDITED,
                    f"Title changed to “{clean}” (was “{old}”)",
                    resolution,
                    field="title",
                    old=old,
                    new=clean,
                )
                edit.row.title = clean
            return edit.incident()

    def edit_impact(
        self,
        incident_id: int,
        impact: str,
        *,
        based_on: str | None = None,
        resolution: Resolution | str | None = None,
    ) -> Incident:
        """`based_on` and `resolution` as for set_service."""
        clean = clean_text("impact", impact, "The impact summary")
        with self.editing(incident_id) as edit:
            old = edit.row.impact
            if _changed(edit, "impact", "The impact summary", old, clean, based_on, resolution):
                text = f"Impact summary updated: {clean}" if clean else "Impact summary cleared"
                _record_edit(
                    edit,
                    EventKind.FIELD_EDITED,
                    text,
                    resolution,
                    field="impact",
                    old=old,
                    new=clean,
                )
                edit.row.impact = clean
            edit.uow.drafts.clear(incident_id, "impact")
            return edit.incident()

    def set_drill(self, incident_id: int, is_drill: bool) -> Incident:
        with self.editing(incident_id) as edit:
            if bool(edit.row.is_drill) != is_drill:
                text = "Marked as a drill" if is_drill else "Marked as a real incident"
                edit.event(EventKind.FIELD_EDITED, text, field="is_drill", new=is_drill)
                edit.row.is_drill = is_drill
            return edit.incident()

    def change_severity(
        self,
        incident_id: int,
        severity: Severity | str,
        reason: str = "",
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Incident:
        """`at`: when the change took effect (now when not given); the clocks follow the
        new level from then, whatever order the changes are entered in."""
        try:
            level = Severity.parse(str(severity))
        except ValueError as exc:
            raise ValidationError("severity", _sentence(exc)) from None
        reason = clean_text("reason", reason, "The reason")
        with self.editing(incident_id) as edit:
            when = edit.effective("at", "The severity change's time", at, confirmed)
            old = edit.row.severity
            # Live, the same level again changes nothing. With a time, it is a fact from
            # the record ("still P0 at 23:41") and is kept, whatever order it is typed in.
            if level.value != old or at is not None:
                in_force = _severity_at(edit, when)
                suffix = f": {reason}" if reason else ""
                if level is in_force:
                    text = f"Severity kept at {level.value}{suffix}"
                else:
                    direction = "raised" if level.rank < in_force.rank else "lowered"
                    text = f"Severity {direction} {in_force.value} → {level.value}{suffix}"
                edit.event(
                    EventKind.SEVERITY_CHANGED,
                    text,
                    at=when,
                    old=in_force.value,
                    new=level.value,
                    reason=reason,
                )
                _rederive(edit)
            return edit.incident()

    def acknowledge(
        self, incident_id: int, at: datetime | None = None, confirmed: bool = False
    ) -> Incident:
        """`at`: when it was acknowledged (now when not given)."""
        with self.editing(incident_id) as edit:
            row = edit.row
            if row.acknowledged_at is not None:
                raise ValidationError(
                    "acknowledged_at",
                    f"Incident #{incident_id} was already acknowledged at "
                    f"{utc_minute_or_unset(row.acknowledged_at)}.",
                )
            if at is None:
                # A declaration time set slightly ahead (clock skew) must not block it.
                when = max(edit.now, row.declared_at)
            else:
                when = edit.effective("acknowledged_at", "Acknowledged", at, confirmed)
            _acknowledge(edit, when)
            return edit.incident()

    def assign_role(
        self,
        incident_id: int,
        role: Role | str,
        person: str,
        at: datetime | None = None,
        confirmed: bool = False,
        *,
        based_on: str | None = None,
        resolution: Resolution | str | None = None,
    ) -> Incident:
        """`based_on` and `resolution` as for set_service."""
        try:
            role = Role(role)
        except ValueError:
            raise ValidationError("role", f"Unknown role {role!r}.") from None
        person = " ".join(clean_text("person", person, "The name").split())
        column = ROLE_COLUMNS[role]
        with self.editing(incident_id) as edit:
            when = edit.effective("at", "The role change's time", at, confirmed)
            old = getattr(edit.row, column)
            if _changed(edit, role.value, f"The {role.label}", old, person, based_on, resolution):
                if person:
                    text = f"{role.label}: {person}" + (f" (was {old})" if old else "")
                else:
                    text = f"{role.label} unassigned (was {old})"
                _record_edit(
                    edit,
                    EventKind.ROLE_ASSIGNED,
                    text,
                    resolution,
                    at=when,
                    role=role.value,
                    old=old,
                    new=person,
                )
                setattr(edit.row, column, person)
            return edit.incident()

    def set_status(
        self,
        incident_id: int,
        status: Status | str,
        reason: str = "",
        at: datetime | None = None,
        confirmed: bool = False,
    ) -> Incident:
        """Moves the incident to another stage by the lifecycle's rules (domain.lifecycle.
        move_stage); a refused move raises StageRefused and changes nothing. `at`: when
        the move happened (now when not given); the times it sets are that time."""
        try:
            new = Status.parse(str(status))
        except ValueError as exc:
            raise ValidationError("status", _sentence(exc)) from None
        reason = clean_text("note", reason, "The reason")
        with self.editing(incident_id, allow_closed=True) as edit:
            when = None if at is None else edit.effective("at", "The move's time", at, confirmed)
            move_status(edit, new, reason, when)
            return edit.incident()

    def mark_update_sent(
        self,
        incident_id: int,
        summary: str = "",
        message: str = "",
        *,
        at: datetime | None = None,
        audiences: tuple[str, ...] = (),
        elsewhere: str = "",
        confirmed: bool = False,
    ) -> Incident:
        """Records a stakeholder update and restarts the update clock. What was said
        (`summary`, and `message`, the text that went out) or where it was posted
        (`elsewhere`, e.g. "status page") is required: an update with nothing in it is not
        an update. `audiences`: who it went to. `at`: when it went out (now if not given)."""
        summary = clean_text("summary", summary, "The update summary")
        message = clean_text("message", message, "The message")
        elsewhere = " ".join(clean_text("elsewhere", elsewhere, "Where it was posted").split())
        heard = tuple(dict.fromkeys(" ".join(a.split()) for a in audiences if a.strip()))
        if not (summary or message or elsewhere):
            raise ValidationError(
                "summary",
                "Not recorded: say what the update said, or where it was posted (for example "
                "“status page”). An update with nothing in it would restart the clock for "
                "nothing.",
            )
        with self.editing(incident_id) as edit:
            when = edit.effective("at", "The update's time", at, confirmed)
            said = summary or (f"posted on {elsewhere}" if elsewhere else "")
            to = f" to {', '.join(heard)}" if heard else ""
            edit.event(
                EventKind.UPDATE_SENT,
                f"Stakeholder update sent{to}: {said}",
                at=when,
                summary=summary,
                **_only_if("message", message),
                **_only_if("elsewhere", elsewhere),
                **_only_if("audiences", list(heard)),
            )
            _rederive(edit)
            return edit.incident()

    def add_note(
        self,
        incident_id: int,
        text: str,
        at: datetime | None = None,
        sensitive: bool = False,
        confirmed: bool = False,
    ) -> TimelineEvent:
        """A timeline note. A sensitive one (customer names, security details) is kept off
        the shared screen when presenter mode's privacy is on. A time more than a day before
        the incident raises NeedsConfirmation unless `confirmed`; one in the future is
        refused."""
        clean = clean_text("note", text, "The note")
        if not clean:
            raise ValidationError("note", "The note is empty.")
        with self.editing(incident_id, changes_incident=False) as edit:
            when = edit.now if at is None else aware_utc("at", at)
            row = edit.row
            check_near_incident(
                "at", "The note's time", when, edit.now, row.impact_started_at,
                row.declared_at, confirmed,
            )  # fmt: skip
            extra = {"sensitive": True} if sensitive else {}
            event = edit.event(EventKind.NOTE, clean, at=when, backdated=at is not None, **extra)
            edit.uow.drafts.clear(incident_id, "note", "note_sensitive")
            return edit.uow.timeline.to_event(event)

    def set_key_time(
        self,
        incident_id: int,
        key: KeyTime | str,
        value: datetime | None,
        confirmed: bool = False,
    ) -> Incident:
        """Sets (or clears) one key time; the edit is recorded. A time more than a day
        before the incident's dates raises NeedsConfirmation unless `confirmed`."""
        try:
            key = KeyTime(key)
        except ValueError:
            raise ValidationError("key", f"Unknown timestamp {key!r}.") from None
        if value is not None:
            value = aware_utc(key.value, value)
        if value is None and key in (KeyTime.IMPACT_STARTED, KeyTime.DECLARED):
            raise ValidationError(key.value, f"{key.label} is required and cannot be cleared.")
        with self.editing(incident_id) as edit:
            row = edit.row
            old = getattr(row, key.value)
            if old == value:
                return edit.incident()
            times = {k: getattr(row, k.value) for k in KeyTime}
            if value is not None:
                check_near_incident(
                    key.value, key.label, value, edit.now, row.impact_started_at,
                    row.declared_at, confirmed,
                )  # fmt: skip
            times[key] = value
            check_key_times(times, edit.now)
            if key is KeyTime.ACKNOWLEDGED and old is None and value is not None:
                # Typed in afterwards: it is the acknowledgement, at its time.
                _acknowledge(edit, value)
                return edit.incident()
            setattr(row, key.value, value)
            if key is KeyTime.RESOLVED:
                row.resolution_recorded_at = None if value is None else edit.now
            _retime_key_event(edit, key, value)
            _rederive(edit)
            edit.event(
                EventKind.TIME_EDITED,
                f"{key.label} set to {utc_minute_or_unset(value)} (was {utc_minute_or_unset(old)})",
                key=key.value,
                old=old,
                new=value,
            )
            return edit.incident()

    # -- reminders ---------------------------------------------------------------------------
    def snooze_reminder(self, incident_id: int, key: str, label: str, minutes: int) -> datetime:
        """Puts a reminder off for 5, 10 or 15 minutes; the snooze goes on the timeline."""
        try:
            span = snooze_span(minutes)
        except ValueError as exc:
            raise ValidationError("minutes", _sentence(exc)) from None
        with self.editing(incident_id, changes_incident=False) as edit:
            until = edit.now + span
            edit.event(
                EventKind.REMINDER,
                f"Reminder snoozed for {minutes} min: {label}",
                key=key,
                until=until,
            )
        return until

    def snoozes(self) -> dict[str, datetime]:
        """The latest snooze of each reminder, from the timeline, so snoozes survive a
        restart. Only open incidents have reminders, so only their events are read."""
        with self._storage.reading() as uow:
            events = uow.timeline.of_kind(EventKind.REMINDER, open_only=True)
        found: dict[str, datetime] = {}
        for event in events:
            key, until = event.data.get("key"), event.data.get("until")
            if isinstance(key, str) and until is not None:
                moment = aware_utc("until", datetime.fromisoformat(str(until)))
                found[key] = max(moment, found.get(key, moment))
        return found

    # -- drafts: text still being typed --------------------------------------------------
    def save_draft(self, incident_id: int, field: str, text: str) -> None:
        """Keeps what is being typed; empty text removes the draft. Not a timeline event."""
        if field not in DRAFT_FIELDS:
            raise ValidationError("field", f"Unknown draft field {field!r}.")
        text = clean_text(field, text, "The text")
        with self.writing() as write:
            write.uow.incidents.get(incident_id)
            write.uow.drafts.store(incident_id, field, text, self._clock.now())

    def drafts(self, incident_id: int) -> dict[str, str]:
        with self._storage.reading() as uow:
            return uow.drafts.of_incident(incident_id)

    def delete_incident(self, incident_id: int) -> None:
        """Removes the incident and its timeline for good. With secure_delete on, and the
        write-ahead log checkpointed and truncated, nothing of it stays readable in the file.
        Backups taken earlier still hold it."""
        with self.writing() as write:
            write.uow.incidents.delete(write.uow.incidents.get(incident_id))
            write.uow.touch(incident_id, Part.DELETED)
        self._storage.after_delete()
        log.info("deleted incident #%d", incident_id)


def _linked(timeline: list[TimelineEvent]) -> list[int]:
    found: list[int] = []
    for event in timeline:
        other = event.data.get("linked") if event.kind is EventKind.LINKED else None
        if isinstance(other, int) and other not in found:
            found.append(other)
    return found


def _only_if(key: str, value: Any) -> dict[str, Any]:
    """Event data that is recorded only when there is something to say."""
    return {key: value} if value else {}


def _acknowledge(edit: Edit, when: datetime) -> None:
    """Records the acknowledgement at `when`; whoever acknowledges leads when nobody did."""
    row = edit.row
    row.acknowledged_at = when
    check_key_times({k: getattr(row, k.value) for k in KeyTime}, edit.now)
    took_on = not row.commander
    if took_on:
        row.commander = edit.actor
    edit.event(
        EventKind.ACKNOWLEDGED,
        f"Acknowledged by {edit.actor}"
        + (f"; {edit.actor} is now incident commander" if took_on else ""),
        at=when,
        commander=row.commander,
    )
    _rederive(edit)


def _severity_at(edit: Edit, moment: datetime) -> Severity:
    """The severity in force at `moment`, by the effective times of the changes."""
    declared, changes = severity_history(edit.uow.timeline.of_incident(edit.incident_id))
    in_force = [c for c in changes if c.at <= moment]
    if in_force:
        return in_force[-1].severity
    return declared or Severity(edit.row.severity)


def _rederive(edit: Edit) -> None:
    """Recomputes what the clocks read (severity in force, since when, last update sent,
    the response deadline at acknowledgement) from the timeline's facts, so the order in
    which they were entered never matters."""
    events = edit.uow.timeline.of_incident(edit.incident_id)
    declared, changes = severity_history(events)
    _restate_severity_changes(edit, events, declared or Severity(edit.row.severity))
    row = edit.row
    derived = derive(
        row.declared_at,
        declared or Severity(row.severity),
        changes,
        update_times(events),
        row.acknowledged_at,
        edit.policy,
    )
    row.severity = derived.severity.value
    row.severity_changed_at = derived.severity_changed_at
    row.last_update_at = derived.last_update_at
    row.response_due_at = derived.response_due_at


def _restate_severity_changes(edit: Edit, events: list[TimelineEvent], declared: Severity) -> None:
    """Each severity change says what it changed from: the level in force just before it
    took effect. A change entered after a later one (from a chat log) restates the later
    one, so the timeline reads the same whatever order the changes were typed in."""
    changes = sorted(
        (e for e in events if e.kind is EventKind.SEVERITY_CHANGED and "new" in e.data),
        key=lambda e: (e.at, e.id),
    )
    before = declared
    for event in changes:
        new = Severity(event.data["new"])
        if event.data.get("old") != before.value:
            reason = str(event.data.get("reason", ""))
            suffix = f": {reason}" if reason else ""
            if new is before:
                text = f"Severity kept at {new.value}{suffix}"
            else:
                direction = "raised" if new.rank < before.rank else "lowered"
                text = f"Severity {direction} {before.value} → {new.value}{suffix}"
            edit.uow.timeline.amend(event.id, text, {**event.data, "old": before.value})
        before = new


# The event each key time dates: editing the time moves the event with it.
_KEY_EVENTS: dict[KeyTime, tuple[EventKind, str | None]] = {
    KeyTime.DECLARED: (EventKind.DECLARED, None),
    KeyTime.ACKNOWLEDGED: (EventKind.ACKNOWLEDGED, None),
    KeyTime.MITIGATED: (EventKind.STATUS_CHANGED, Status.MITIGATED.value),
    KeyTime.RESOLVED: (EventKind.STATUS_CHANGED, Status.RESOLVED.value),
}


def _retime_key_event(edit: Edit, key: KeyTime, value: datetime | None) -> None:
    """Moves the event a key time dates (the declaration, the acknowledgement, the move to
    mitigated or resolved) to the corrected time, so the timeline and every export sort it
    where it happened. The edit itself is on the timeline as a time edit."""
    if value is None or key not in _KEY_EVENTS:
        return
    kind, stage = _KEY_EVENTS[key]
    timeline = edit.uow.timeline.of_incident(edit.incident_id)
    dated = [
        e for e in timeline if e.kind is kind and (stage is None or e.data.get("new") == stage)
    ]
    if not dated:
        return
    latest = max(dated, key=lambda e: (e.recorded_at, e.id))
    edit.uow.timeline.retime(latest.id, value)
    # What was entered with it moves with it: the commander named at declaration, the
    # verification that marked the incident mitigated.
    companion = {KeyTime.DECLARED: EventKind.ROLE_ASSIGNED, KeyTime.MITIGATED: EventKind.VERIFIED}
    for event in timeline:
        same_entry = (event.at, event.recorded_at) == (latest.at, latest.recorded_at)
        if same_entry and event.kind is companion.get(key):
            edit.uow.timeline.retime(event.id, value)


DRAFT_FIELDS = ("note", "note_sensitive", "impact")
ROLE_COLUMNS: dict[Role, str] = {
    Role.COMMANDER: "commander",
    Role.TECH_LEAD: "tech_lead",
    Role.COMMS_LEAD: "comms_lead",
    Role.SCRIBE: "scribe",
}


def move_status(edit: Edit, new: Status, reason: str = "", at: datetime | None = None) -> None:
    """Moves the incident to `new` inside `edit`'s transaction, by the lifecycle's rules,
    and records the move. Raises StageRefused (nothing recorded) when a rule says no."""
    row = edit.row
    incident = edit.incident()
    level = edit.policy.for_severity(incident.severity)
    facts = StageFacts(
        status=Status(row.status),
        verified=any(
            e.kind is EventKind.VERIFIED for e in edit.uow.timeline.of_incident(incident.id)
        ),
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        impact_started_at=row.impact_started_at,
        postmortem_published=edit.uow.postmortems.is_published(incident.id),
        postmortem_required=level.postmortem_due is not None,
    )
    try:
        move = move_stage(facts, new, reason, at or edit.now)
    except MoveRefused as refusal:
        raise StageRefused(refusal) from None
    if move is None:
        return
    for key, moment in move.stamps.items():
        setattr(row, key, moment)
        if key == "resolved_at":
            row.resolution_recorded_at = edit.now
    check_key_times({k: getattr(row, k.value) for k in KeyTime}, edit.now)
    edit.event(
        EventKind.STATUS_CHANGED,
        move.text,
        at=at,
        old=move.old.value,
        new=move.new.value,
        reason=move.reason,
        **_only_if("overridden", list(move.overridden)),
    )
    row.status = new.value


@dataclass
class Write:
    """One open write transaction; `changes` is filled in when it commits."""

    uow: UnitOfWork
    changes: ChangeSet = field(default_factory=ChangeSet)


class Edit:
    """One open write transaction on one incident, writing its timeline events."""

    def __init__(
        self,
        uow: UnitOfWork,
        row: IncidentRecord,
        now: datetime,
        actor: str,
        policy: Policy,
        *,
        changes_facts: bool = True,
    ) -> None:
        self.uow = uow
        self.row = row  # read-only when opened with changes_incident=False
        self.now = now
        self.actor = actor
        self.policy = policy
        # False: the edit writes none of the facts the update cadence replays (a
        # declaration, a severity change, an update sent, a stage move). Each of those
        # changes the incident's row, so an edit that leaves the row alone writes none.
        self.changes_facts = changes_facts
        self._incident: Incident | None = None  # made once when the row is read-only
        self._when_committed: list[Callable[[], None]] = []

    def when_committed(self, action: Callable[[], None]) -> None:
        """Runs `action` once the edit's transaction has committed; never if it does not."""
        self._when_committed.append(action)

    def committed(self) -> None:
        """Called by IncidentService once the edit's transaction has committed."""
        actions, self._when_committed = self._when_committed, []
        for action in actions:
            action()

    @property
    def incident_id(self) -> int:
        assert self.row.id is not None
        return self.row.id

    def incident(self) -> Incident:
        if self.changes_facts:  # the row may have changed since the last call
            return self.uow.incidents.to_incident(self.row)
        if self._incident is None:  # a read-only row: the cadence hook and a replay share it
            self._incident = self.uow.incidents.to_incident(self.row)
        return self._incident

    def effective(
        self, field: str, label: str, at: datetime | None, confirmed: bool = False
    ) -> datetime:
        """When something happened: now when not given; else a time in UTC, not in the
        future, and (unless `confirmed`) not far before the incident."""
        if at is None:
            return self.now
        when = aware_utc(field, at)
        check_near_incident(
            field, label, when, self.now, self.row.impact_started_at, self.row.declared_at,
            confirmed,
        )  # fmt: skip
        return when

    def event(
        self, kind: EventKind, text: str, at: datetime | None = None, **data: Any
    ) -> EventRecord:
        return self.uow.timeline.add(
            self.incident_id,
            kind,
            at=at or self.now,
            recorded_at=self.now,
            actor=self.actor,
            text=text,
            data=data,
        )


def _changed(
    edit: Edit,
    field: str,
    label: str,
    stored: str,
    mine: str,
    based_on: str | None,
    resolution: Resolution | str | None,
) -> bool:
    """Whether `mine` is to be written over `stored`. Raises EditConflict when the editor's
    value was typed over one that someone else has since replaced, unless the editor has
    chosen (`resolution`); keeping the other version puts what was not kept on the
    timeline, so no typed text is lost."""
    if resolution is None:
        check_not_stale(field, label, based_on, stored, mine)
        return mine != stored
    chosen = Resolution(resolution)
    if chosen is Resolution.THEIRS:
        if based_on is not None and based_on != stored:  # and moved on again since
            raise EditConflict(field, label, based_on, stored, mine)
        edit.event(
            EventKind.FIELD_EDITED,
            f"{resolution_note(label, chosen)}; not kept: “{mine}”",
            field=field,
            resolution=chosen.value,
            not_kept=mine,
        )
        return False
    check_not_stale(field, label, based_on, stored, mine)
    return mine != stored


def _record_edit(
    edit: Edit,
    kind: EventKind,
    text: str,
    resolution: Resolution | str | None,
    **data: Any,
) -> None:
    """The edit's timeline event; after an edit conflict, saying what the editor chose."""
    if resolution is not None:
        chosen = Resolution(resolution)
        how = "kept over" if chosen is Resolution.MINE else "merged with"
        text = f"{text} ({how} the version saved meanwhile)"
        data["resolution"] = chosen.value
    edit.event(kind, text, **data)
