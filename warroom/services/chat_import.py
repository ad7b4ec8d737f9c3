"""Importing a chat log onto an incident's timeline: each message a backdated note at its
time, marked as imported and keyed, so importing the same log again adds nothing. All of a
log's new notes are written in one unit of work: all of them, or none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from warroom.domain.chat_log import ChatLog, ChatMessage, moment_text
from warroom.domain.incident import EventKind, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.validation import ValidationError, check_near_incident, clean_text
from warroom.services.incidents import IncidentService


@dataclass(frozen=True)
class ChatImport:
    """What an import added (or, for a preview, would add)."""

    new: list[ChatMessage]  # in time order
    already: int  # messages already on the timeline from an earlier import
    skipped: int  # joins, leaves and empty messages
    notes: list[TimelineEvent] = field(default_factory=list)  # the notes written


class ChatImportService:
    def __init__(self, incidents: IncidentService) -> None:
        self._incidents = incidents

    def preview(self, incident_id: int, log: ChatLog, confirmed: bool = False) -> ChatImport:
        """What `add` would add, checked by the same rules; writes nothing. Raises
        IncidentNotFound, ValidationError (NeedsConfirmation for a time far before the
        incident, unless `confirmed`)."""
        incident = self._incidents.get(incident_id)
        if incident.status is Status.CLOSED:
            raise ValidationError(
                "status",
                f"Incident #{incident_id} is closed. Reopen it (move it back to an earlier "
                "stage) before importing into it.",
            )
        new = _not_imported(log, self._incidents.timeline(incident_id))
        now = self._incidents.now()
        for message in new:
            _note_text(message)
            check_near_incident(
                "at", _label(message), message.at, now, incident.impact_started_at,
                incident.declared_at, confirmed,
            )  # fmt: skip
        return ChatImport(new, len(log.messages) - len(new), log.skipped)

    def add(self, incident_id: int, log: ChatLog, confirmed: bool = False) -> ChatImport:
        """Adds the log's messages not on the timeline yet, each a note at its own time, in
        one unit of work. Raises as `preview` does; then nothing is added."""
        with self._incidents.editing(incident_id) as edit:
            # Read inside the transaction: an import running elsewhere cannot double it.
            new = _not_imported(log, edit.uow.timeline.of_incident(incident_id))
            notes = []
            for message in new:
                text = _note_text(message)
                when = edit.effective("at", _label(message), message.at, confirmed)
                record = edit.event(EventKind.NOTE, text, at=when, **_data(message))
                notes.append(edit.uow.timeline.to_event(record))
        return ChatImport(new, len(log.messages) - len(new), log.skipped, notes)


def _not_imported(log: ChatLog, timeline: list[TimelineEvent]) -> list[ChatMessage]:
    """The log's messages an earlier import did not put on `timeline`, in time order."""
    keys = {
        str(event.data["chat_key"])
        for event in timeline
        if event.kind is EventKind.NOTE and "chat_key" in event.data
    }
    return [m for m in log.messages if m.key not in keys]


def _label(message: ChatMessage) -> str:
    return f"The message from {message.author}"


def _note_text(message: ChatMessage) -> str:
    """The note's text, checked as any note's is; a refusal says which message."""
    try:
        return clean_text("note", message.note, "The note")
    except ValidationError as exc:
        raise ValidationError(
            "note", f"{_label(message)} at {moment_text(message.at)}: {exc.message}"
        ) from None


def _data(message: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "author": message.author,
        "source": message.source,
        "imported": True,
        "chat_key": message.key,
        "backdated": True,
    }
    if message.bot:
        data["bot"] = True
    if message.thread:
        data["thread"] = message.thread
    if message.edited:
        data["edited"] = True
    return data
