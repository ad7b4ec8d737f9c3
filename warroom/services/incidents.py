"""What a user can do to an incident. Each operation is validated by core, committed in one
transaction, written to the timeline with who and when, and then announced to listeners.
The GUI and the CLI both go through here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from warroom.adapters.sql import repository as repo
from warroom.adapters.sql.models import DraftRow, IncidentRow
from warroom.adapters.sql.repository import IncidentNotFound
from warroom.adapters.sqlite.database import Database, Waiting, busy_message, is_busy
from warroom.domain import clocks
from warroom.domain.clock import Clock
from warroom.domain.incident import EventKind, Incident, KeyTime, TimelineEvent
from warroom.domain.lifecycle import Role, Status, is_backwards
from warroom.domain.policy import Policy, load_policy_file
from warroom.domain.severity import Severity
from warroom.domain.validation import (
    ValidationError,
    aware_utc,
    check_key_times,
    check_near_incident,
    clean_text,
    clean_title,
    not_in_future,
)
from warroom.system.paths import builtin_policy_file
from warroom.system.settings import login_actor

log = logging.getLogger("warroom.services.incidents")

__all__ = ["Change", "IncidentNotFound", "IncidentService", "ValidationError", "WriteFailed"]


class WriteFailed(ValidationError):
    """Nothing was saved because the storage refused the write; the message says why."""

    @classmethod
    def explain(cls, path: Path, error: Exception) -> WriteFailed:
        detail = str(getattr(error, "orig", error))
        lowered = detail.lower()
        if is_busy(error):
            log.error("write to %s gave up waiting for another writer", path)
            return cls("storage", f"Nothing was saved: {busy_message(path)}.")
        if "full" in lowered:
            why = f"the disk holding {path} is full. Free some space and try again"
        elif "readonly" in lowered or "read-only" in lowered:
            why = f"{path} has become read-only"
        else:
            why = f"{path} refused the write ({detail})"
        log.error("write to %s failed: %s", path, detail)
        return cls("storage", f"Nothing was saved: {why}.")


@dataclass(frozen=True)
class Change:
    """Announced after a commit: which incident changed, and how."""

    incident_id: int
    kind: EventKind


Listener = Callable[[Change], None]


def default_actor() -> str:
    """Nobody said who acts: the OS login, marked as such (see settings.resolve_actor)."""
    return login_actor()


def _sentence(exc: Exception) -> str:
    # Not str.capitalize(), which lowercases the rest: "use one of P0, P1" must stay as is.
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


def _utc_text(moment: datetime | None) -> str:
    return "unset" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


class IncidentService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        actor: str | None = None,
        policy: Policy | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self.actor = actor or default_actor()
        self._policy = policy
        self._listeners: list[Listener] = []

    @property
    def policy(self) -> Policy:
        """The policy that froze response deadlines are judged by; the built-in by default."""
        if self._policy is None:
            self._policy = load_policy_file(builtin_policy_file())
        return self._policy

    def _freeze_response_due(self, row: IncidentRow) -> None:
        row.response_due_at = clocks.response_deadline(
            replace(repo.to_incident(row), acknowledged_at=None), self.policy
        )

    # -- notifications -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def announce(self, incident_id: int, kind: EventKind) -> None:
        """For sibling services whose commits add no timeline event (an autosave)."""
        self._announce(Change(incident_id, kind))

    def when_waiting(self, listener: Waiting) -> Callable[[], None]:
        """`listener(True)` while a write waits for another warroom to finish writing (at
        most store.database.WRITE_WAIT_SECONDS), `listener(False)` when it stops waiting.
        Called on the writing thread; returns a function that unsubscribes."""
        return self._db.when_waiting(listener)

    def changed_elsewhere(self) -> bool:
        """Whether the file changed since the last call (other instances included)."""
        return self._db.changed_since_last_check()

    # -- queries -------------------------------------------------------------------------
    def reading(self) -> Session:
        """A read-only session, for queries of sibling services."""
        return Session(self._db.engine)

    def now(self) -> datetime:
        return self._clock.now()

    @property
    def database_path(self) -> Path:
        """The file this service writes: the vault and other data live beside it."""
        return self._db.path

    def list_incidents(self, include_closed: bool = False) -> list[Incident]:
        with Session(self._db.engine) as session:
            return [repo.to_incident(r) for r in repo.list_rows(session, include_closed)]

    def get(self, incident_id: int) -> Incident:
        with Session(self._db.engine) as session:
            return repo.to_incident(repo.get_row(session, incident_id))

    def timeline(self, incident_id: int) -> list[TimelineEvent]:
        with Session(self._db.engine) as session:
            repo.get_row(session, incident_id)
            return [repo.to_event(r) for r in repo.event_rows(session, incident_id)]

    # -- the write path ------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction. The write lock is taken first, waiting (bounded) while
        another warroom writes. A storage failure (full disk, read-only file, a lock held
        too long) rolls it back whole and becomes a WriteFailed a user can read."""
        try:
            with Session(self._db.writer, expire_on_commit=False) as session:
                yield session
        except DatabaseError as exc:
            raise WriteFailed.explain(self._db.path, exc) from exc

    @contextmanager
    def editing(self, incident_id: int, *, allow_closed: bool = False) -> Iterator[Edit]:
        """One write transaction on one incident: refused if it is closed, committed at the
        end of the block, and its events announced after the commit. Sibling services
        (mitigations) build their operations on it."""
        with self.writing() as session:
            row = repo.get_row(session, incident_id)
            if row.status == Status.CLOSED.value and not allow_closed:
                raise ValidationError(
                    "status",
                    f"Incident #{incident_id} is closed. Reopen it (move it back to an "
                    "earlier stage) before editing it.",
                )
            edit = Edit(session, row, self._clock.now(), self.actor)
            yield edit
            session.commit()
        for kind in edit.kinds:
            self._announce(Change(incident_id, kind))

    def declare(
        self,
        title: str,
        severity: Severity | str,
        impact: str = "",
        impact_started_at: datetime | None = None,
        commander: str = "",
        is_drill: bool = False,
    ) -> Incident:
        now = self._clock.now()
        clean = clean_title(title)
        try:
            level = Severity.parse(str(severity))
        except ValueError as exc:
            raise ValidationError("severity", _sentence(exc)) from None
        impact = clean_text("impact", impact, "The impact summary")
        commander = " ".join(clean_text("commander", commander, "The commander's name").split())
        started = (
            now if impact_started_at is None else aware_utc("impact_started_at", impact_started_at)
        )
        not_in_future("impact_started_at", "Impact started", started, now)
        with self.writing() as session:
            row = IncidentRow(
                title=clean,
                severity=level.value,
                status=Status.TRIAGE.value,
                impact=impact,
                impact_started_at=started,
                declared_at=now,
                commander=commander,
                is_drill=is_drill,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            drill = " (drill)" if is_drill else ""
            repo.add_event(
                session,
                row.id,
                EventKind.DECLARED,
                at=now,
                recorded_at=now,
                actor=self.actor,
                text=f"Declared {level.value}{drill}: {clean}",
                data={"severity": level.value, "impact_started_at": started, "is_drill": is_drill},
            )
            if commander:
                repo.add_event(
                    session,
                    row.id,
                    EventKind.ROLE_ASSIGNED,
                    at=now,
                    recorded_at=now,
                    actor=self.actor,
                    text=f"{Role.COMMANDER.label}: {commander}",
                    data={"role": Role.COMMANDER.value, "old": "", "new": commander},
                )
            session.commit()
            incident = repo.to_incident(row)
        log.info("declared incident #%d (%s)", incident.id, level.value)
        self._announce(Change(incident.id, EventKind.DECLARED))
        return incident

    def edit_title(self, incident_id: int, title: str) -> Incident:
        clean = clean_title(title)
        with self.editing(incident_id) as edit:
            if clean != edit.row.title:
                edit.event(
                    EventKind.FIELD_EDITED,
                    f"Title changed to “{clean}” (was “{edit.row.title}”)",
                    field="title",
                    old=edit.row.title,
                    new=clean,
                )
                edit.row.title = clean
        return repo.to_incident(edit.row)

    def edit_impact(self, incident_id: int, impact: str) -> Incident:
        clean = clean_text("impact", impact, "The impact summary")
        with self.editing(incident_id) as edit:
            if clean != edit.row.impact:
                edit.event(
                    EventKind.FIELD_EDITED,
                    f"Impact summary updated: {clean}" if clean else "Impact summary cleared",
                    field="impact",
                    old=edit.row.impact,
                    new=clean,
                )
                edit.row.impact = clean
            _store_draft(edit.session, incident_id, "impact", "", edit.now)
        return repo.to_incident(edit.row)

    def set_drill(self, incident_id: int, is_drill: bool) -> Incident:
        with self.editing(incident_id) as edit:
            if bool(edit.row.is_drill) != is_drill:
                text = "Marked as a drill" if is_drill else "Marked as a real incident"
                edit.event(EventKind.FIELD_EDITED, text, field="is_drill", new=is_drill)
                edit.row.is_drill = is_drill
        return repo.to_incident(edit.row)

    def change_severity(
        self, incident_id: int, severity: Severity | str, reason: str = ""
    ) -> Incident:
        try:
            level = Severity.parse(str(severity))
        except ValueError as exc:
            raise ValidationError("severity", _sentence(exc)) from None
        reason = clean_text("reason", reason, "The reason")
        with self.editing(incident_id) as edit:
            old = edit.row.severity
            if level.value != old:
                direction = "raised" if level.rank < Severity(old).rank else "lowered"
                suffix = f": {reason}" if reason else ""
                edit.event(
                    EventKind.SEVERITY_CHANGED,
                    f"Severity {direction} {old} → {level.value}{suffix}",
                    old=old,
                    new=level.value,
                    reason=reason,
                )
                edit.row.severity = level.value
                edit.row.severity_changed_at = edit.now
        return repo.to_incident(edit.row)

    def acknowledge(self, incident_id: int) -> Incident:
        with self.editing(incident_id) as edit:
            row = edit.row
            if row.acknowledged_at is not None:
                raise ValidationError(
                    "acknowledged_at",
                    f"Incident #{incident_id} was already acknowledged at "
                    f"{_utc_text(row.acknowledged_at)}.",
                )
            self._freeze_response_due(row)
            # A declaration time set slightly ahead (clock skew) must not block acknowledging.
            row.acknowledged_at = max(edit.now, row.declared_at)
            check_key_times({k: getattr(row, k.value) for k in KeyTime}, edit.now)
            took_on = not row.commander
            if took_on:
                row.commander = self.actor
            edit.event(
                EventKind.ACKNOWLEDGED,
                f"Acknowledged by {self.actor}"
                + (f"; {self.actor} is now incident commander" if took_on else ""),
                commander=row.commander,
            )
        return repo.to_incident(edit.row)

    def assign_role(self, incident_id: int, role: Role | str, person: str) -> Incident:
        try:
            role = Role(role)
        except ValueError:
            raise ValidationError("role", f"Unknown role {role!r}.") from None
        person = " ".join(clean_text("person", person, "The name").split())
        column = repo.ROLE_COLUMNS[role]
        with self.editing(incident_id) as edit:
            old = getattr(edit.row, column)
            if person != old:
                if person:
                    text = f"{role.label}: {person}" + (f" (was {old})" if old else "")
                else:
                    text = f"{role.label} unassigned (was {old})"
                edit.event(EventKind.ROLE_ASSIGNED, text, role=role.value, old=old, new=person)
                setattr(edit.row, column, person)
        return repo.to_incident(edit.row)

    def set_status(self, incident_id: int, status: Status | str, note: str = "") -> Incident:
        try:
            new = Status.parse(str(status))
        except ValueError as exc:
            raise ValidationError("status", _sentence(exc)) from None
        note = clean_text("note", note, "The note")
        with self.editing(incident_id, allow_closed=True) as edit:
            move_status(edit, new, note)
        return repo.to_incident(edit.row)

    def mark_update_sent(self, incident_id: int, summary: str = "", message: str = "") -> Incident:
        """Restarts the update clock. `message` is the text that went out, kept for the record."""
        summary = clean_text("summary", summary, "The update summary")
        message = clean_text("message", message, "The message")
        with self.editing(incident_id) as edit:
            edit.row.last_update_at = edit.now
            edit.event(
                EventKind.UPDATE_SENT,
                "Stakeholder update sent" + (f": {summary}" if summary else ""),
                summary=summary,
                **({"message": message} if message else {}),
            )
        return repo.to_incident(edit.row)

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
        with self.editing(incident_id) as edit:
            when = edit.now if at is None else aware_utc("at", at)
            row = edit.row
            check_near_incident(
                "at", "The note's time", when, edit.now, row.impact_started_at,
                row.declared_at, confirmed,
            )  # fmt: skip
            extra = {"sensitive": True} if sensitive else {}
            row = edit.event(EventKind.NOTE, clean, at=when, backdated=at is not None, **extra)
            _store_draft(edit.session, incident_id, "note", "", edit.now)
            _store_draft(edit.session, incident_id, "note_sensitive", "", edit.now)
        return repo.to_event(row)

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
                return repo.to_incident(edit.row)
            times = {k: getattr(row, k.value) for k in KeyTime}
            if value is not None:
                check_near_incident(
                    key.value, key.label, value, edit.now, row.impact_started_at,
                    row.declared_at, confirmed,
                )  # fmt: skip
            times[key] = value
            check_key_times(times, edit.now)
            if key is KeyTime.ACKNOWLEDGED and (value is None or row.response_due_at is None):
                self._freeze_response_due(row)
                if value is None:
                    row.response_due_at = None
            setattr(row, key.value, value)
            edit.event(
                EventKind.TIME_EDITED,
                f"{key.label} set to {_utc_text(value)} (was {_utc_text(old)})",
                key=key.value,
                old=old,
                new=value,
            )
        return repo.to_incident(edit.row)

    # -- reminders ---------------------------------------------------------------------------
    def snooze_reminder(self, incident_id: int, key: str, label: str, minutes: int) -> datetime:
        """Puts a reminder off for 5, 10 or 15 minutes; the snooze goes on the timeline."""
        from warroom.domain.reminders import snooze_span

        try:
            span = snooze_span(minutes)
        except ValueError as exc:
            raise ValidationError("minutes", _sentence(exc)) from None
        with self.editing(incident_id) as edit:
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
        restart."""
        from warroom.adapters.sql.mapping import parse_stored_time

        with Session(self._db.engine) as session:
            events = repo.events_of_kind(session, EventKind.REMINDER)
        found: dict[str, datetime] = {}
        for event in events:
            data = json.loads(event.data or "{}")
            if "key" in data and "until" in data:
                until = parse_stored_time(data["until"])
                found[data["key"]] = max(until, found.get(data["key"], until))
        return found

    # -- drafts: text still being typed --------------------------------------------------
    def save_draft(self, incident_id: int, field: str, text: str) -> None:
        """Keeps what is being typed; empty text removes the draft. Not a timeline event."""
        if field not in DRAFT_FIELDS:
            raise ValidationError("field", f"Unknown draft field {field!r}.")
        text = clean_text(field, text, "The text")
        with self.writing() as session:
            row = repo.get_row(session, incident_id)
            _store_draft(session, row.id, field, text, self._clock.now())
            session.commit()

    def drafts(self, incident_id: int) -> dict[str, str]:
        with Session(self._db.engine) as session:
            query = select(DraftRow).where(DraftRow.incident_id == incident_id)
            return {row.field: row.text for row in session.scalars(query)}

    def delete_incident(self, incident_id: int) -> None:
        """Removes the incident and its timeline for good. With secure_delete on, and the
        write-ahead log checkpointed and truncated, nothing of it stays readable in the file.
        Backups taken earlier still hold it."""
        with self.writing() as session:
            row = repo.get_row(session, incident_id)
            session.delete(row)
            session.commit()
        self._db.checkpoint()
        log.info("deleted incident #%d", incident_id)
        self._announce(Change(incident_id, EventKind.DELETED))


DRAFT_FIELDS = ("note", "note_sensitive", "impact")


def _store_draft(session: Session, incident_id: int, field: str, text: str, now: datetime) -> None:
    row = session.get(DraftRow, (incident_id, field))
    if not text:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(DraftRow(incident_id=incident_id, field=field, text=text, saved_at=now))
    else:
        row.text, row.saved_at = text, now


def move_status(edit: Edit, new: Status, note: str = "") -> None:
    """Moves the incident to `new` inside `edit`'s transaction, setting or clearing the key
    times the stage implies, and records the move."""
    row = edit.row
    old = Status(row.status)
    if new is old:
        return
    cleared: dict[str, Any] = {}
    if new.order < Status.MITIGATED.order and row.mitigated_at is not None:
        cleared["mitigated_at"], row.mitigated_at = row.mitigated_at, None
    if new.order < Status.RESOLVED.order and row.resolved_at is not None:
        cleared["resolved_at"], row.resolved_at = row.resolved_at, None
    # An impact start set slightly ahead (clock skew) must not block the stage move.
    stamp = max(edit.now, row.impact_started_at)
    if new.order >= Status.MITIGATED.order and row.mitigated_at is None:
        row.mitigated_at = stamp
    if new.order >= Status.RESOLVED.order and row.resolved_at is None:
        row.resolved_at = max(stamp, row.mitigated_at or stamp)
    check_key_times({k: getattr(row, k.value) for k in KeyTime}, edit.now)
    verb = "moved back" if is_backwards(old, new) else "changed"
    if old is Status.CLOSED:
        verb = "reopened"
    text = f"Status {verb}: {old.label} → {new.label}" + (f": {note}" if note else "")
    edit.event(EventKind.STATUS_CHANGED, text, old=old.value, new=new.value, cleared=cleared)
    row.status = new.value


class Edit:
    """One open write transaction on one incident, collecting its timeline events."""

    def __init__(self, session: Session, row: IncidentRow, now: datetime, actor: str) -> None:
        self.session = session
        self.row = row
        self.now = now
        self.actor = actor
        self.kinds: list[EventKind] = []

    def event(self, kind: EventKind, text: str, at: datetime | None = None, **data: Any):  # type: ignore[no-untyped-def]
        assert self.row.id is not None
        self.kinds.append(kind)
        return repo.add_event(
            self.session,
            self.row.id,
            kind,
            at=at or self.now,
            recorded_at=self.now,
            actor=self.actor,
            text=text,
            data=data,
        )
