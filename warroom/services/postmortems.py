"""The post-mortem and stakeholder messages: saving the write-up as it is typed, moving it
through review to published, exporting it as Markdown, and the messages that restart the
update clock. The GUI and the CLI both go through here, so their exports are identical."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from warroom.domain.edits import EditConflict, Resolution, resolution_note
from warroom.domain.incident import EventKind, Incident
from warroom.domain.postmortem import (
    SECTIONS,
    ActionItem,
    Postmortem,
    PostmortemStatus,
    new_postmortem,
    postmortem_due,
)
from warroom.domain.postmortem_merge import LABELS, TEXT_FIELDS, shown, three_way
from warroom.domain.severity import Severity
from warroom.domain.validation import ValidationError, clean_text
from warroom.services.incidents import IncidentService
from warroom.services.ports import IncidentNotFound
from warroom.services.ports.postmortems import MessageKind, Renderer

__all__ = [
    "MESSAGE_LABELS",
    "MessageKind",
    "PostmortemConflict",
    "PostmortemDue",
    "PostmortemService",
    "Renderer",
]

MESSAGE_LABELS = {
    MessageKind.INITIAL: "Initial alert",
    MessageKind.UPDATE: "Update",
    MessageKind.RESOLUTION: "Resolution",
}


class PostmortemConflict(ValidationError):
    """Fields of the post-mortem that someone else changed, differently, while this author
    was editing them: one EditConflict each. Nothing was saved."""

    def __init__(
        self, conflicts: list[EditConflict], stored: Postmortem, merged: Postmortem
    ) -> None:
        self.stored = stored  # what was saved meanwhile: the next save's base
        self.merged = merged  # both merged where they do not conflict, theirs where they do
        names = ", ".join(c.label.removeprefix("The post-mortem's ") for c in conflicts)
        super().__init__(
            conflicts[0].field,
            f"Someone else changed the post-mortem's {names} while you were editing. "
            "Choose which version to keep.",
        )
        self.conflicts = conflicts


@dataclass(frozen=True)
class PostmortemDue:
    incident: Incident
    due_at: datetime
    status: PostmortemStatus


def due_order(due: PostmortemDue) -> tuple[datetime, int]:
    """The order of `PostmortemService.due`: soonest first, then by incident."""
    return (due.due_at, due.incident.id)


class PostmortemService:
    """`renderer` turns write-ups and messages into text (or `make_renderer` makes it when
    first needed: the board's due clocks never load the templates); without one, `markdown`
    and `status_message` are unavailable (the rest works)."""

    def __init__(
        self,
        incidents: IncidentService,
        renderer: Renderer | None = None,
        make_renderer: Callable[[], Renderer] | None = None,
    ) -> None:
        self.incidents = incidents
        self._renderer = renderer
        self._make_renderer = make_renderer

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None and self._make_renderer is not None:
            self._renderer = self._make_renderer()
        if self._renderer is None:
            raise RuntimeError("PostmortemService was built without a renderer")
        return self._renderer

    # -- the document ------------------------------------------------------------------------
    def get(self, incident_id: int) -> Postmortem:
        """The stored write-up, or a fresh one prefilled from the incident (not yet saved)."""
        with self.incidents.reading() as uow:
            record = uow.incidents.get(incident_id)
            stored = uow.postmortems.load(incident_id)
            return (
                stored if stored is not None else new_postmortem(uow.incidents.to_incident(record))
            )

    def is_stored(self, incident_id: int) -> bool:
        with self.incidents.reading() as uow:
            return uow.postmortems.load(incident_id) is not None

    def save(
        self,
        postmortem: Postmortem,
        based_on: Postmortem | None = None,
        resolutions: dict[str, Resolution] | None = None,
    ) -> Postmortem:
        """Autosave: the whole document in one transaction. Not a timeline event, except
        the first save (the editor saves only once the author has changed something),
        which records that the write-up has started.

        `based_on`: the document the editor loaded. What someone else saved since is
        merged in field by field; a field both changed differently raises
        PostmortemConflict (nothing saved) until the author resolves it: `resolutions` says
        what they chose per field, and goes on the timeline. Returns what was stored."""
        clean = _cleaned(postmortem)
        chosen = resolutions or {}
        with self.incidents.editing(postmortem.incident_id, allow_closed=True) as edit:
            stored = edit.uow.postmortems.load(postmortem.incident_id)
            if stored is None:
                edit.event(EventKind.POSTMORTEM, "Post-mortem started", status=clean.status.value)
            elif based_on is not None and stored != based_on:
                merged, conflicts = three_way(based_on, stored, clean)
                unresolved = [c for c in conflicts if c.field not in chosen]
                if unresolved:
                    raise PostmortemConflict(unresolved, stored, merged)
                clean = merged
            for name, resolution in chosen.items():
                label = LABELS.get(name, name)
                data: dict[str, Any] = {"field": name, "resolution": Resolution(resolution).value}
                if name in TEXT_FIELDS:
                    data["kept"] = shown(getattr(clean, name))
                edit.event(
                    EventKind.POSTMORTEM, resolution_note(label, Resolution(resolution)), **data
                )
            edit.uow.postmortems.store(clean, edit.now)
        return clean

    def set_status(self, incident_id: int, status: PostmortemStatus | str) -> Postmortem:
        """Moves the write-up to draft, in review or published, reading and writing it in
        one transaction; publishing is refused while it is unfinished (_refuse_unfinished)."""
        try:
            status = PostmortemStatus(status)
        except ValueError:
            raise ValidationError("status", f"Unknown post-mortem status {status!r}.") from None
        with self.incidents.editing(incident_id, allow_closed=True) as edit:
            stored = edit.uow.postmortems.load(incident_id)
            current = stored if stored is not None else new_postmortem(edit.incident())
            if status is PostmortemStatus.PUBLISHED:
                _refuse_unfinished(current)
            if status is current.status:
                return current
            updated = replace(current, status=status)
            if stored is None:
                edit.event(EventKind.POSTMORTEM, "Post-mortem started", status=status.value)
            edit.uow.postmortems.store(updated, edit.now)
            if status is PostmortemStatus.PUBLISHED:
                edit.uow.postmortems.mark_published(incident_id, edit.now)
            edit.event(
                EventKind.POSTMORTEM,
                f"Post-mortem {status.label}"
                if status is PostmortemStatus.PUBLISHED
                else f"Post-mortem moved to {status.label}",
                old=current.status.value,
                new=status.value,
            )
        return updated

    def markdown(
        self,
        incident_id: int,
        template: Path | None = None,
        postmortem: Postmortem | None = None,
    ) -> str:
        """The post-mortem as Markdown: the built-in (or the team's) template, or `template`.
        `postmortem` renders a document being edited instead of the stored one (a preview)."""
        with self.incidents.reading() as uow:
            incident = uow.incidents.to_incident(uow.incidents.get(incident_id))
            if postmortem is None:
                stored = uow.postmortems.load(incident_id)
                postmortem = stored if stored is not None else new_postmortem(incident)
            events = uow.timeline.of_incident(incident_id)
        policy, now = self.incidents.policy, self.incidents.now()
        return self.renderer.postmortem(incident, postmortem, events, policy, now, template)

    # -- across incidents --------------------------------------------------------------------
    def due(self) -> list[PostmortemDue]:
        """Resolved incidents whose policy wants a post-mortem not yet published, soonest
        first: the board's due clocks."""
        policy = self.incidents.policy
        wanted = [s for s in Severity if policy.for_severity(s).postmortem_due is not None]
        with self.incidents.reading() as uow:
            statuses = uow.postmortems.statuses()
            incidents = uow.incidents.awaiting_write_up(wanted)
        due = []
        for incident in incidents:
            due_at = postmortem_due(incident, policy)
            status = statuses.get(incident.id, PostmortemStatus.DRAFT)
            if due_at is not None and status is not PostmortemStatus.PUBLISHED:
                due.append(PostmortemDue(incident, due_at, status))
        return sorted(due, key=due_order)

    def due_for(self, incident_ids: Iterable[int]) -> list[PostmortemDue]:
        """`due` restricted to these incidents (a deleted one is not due), in the same
        order: what a change to a few incidents needs, without reading the rest."""
        policy = self.incidents.policy
        due = []
        with self.incidents.reading() as uow:
            for incident_id in sorted(set(incident_ids)):
                try:
                    incident = uow.incidents.to_incident(uow.incidents.read(incident_id))
                except IncidentNotFound:
                    continue
                due_at = postmortem_due(incident, policy)
                if due_at is None:
                    continue  # no write-up wanted: its status is not read
                stored = uow.postmortems.load(incident_id)
                status = stored.status if stored is not None else PostmortemStatus.DRAFT
                if status is not PostmortemStatus.PUBLISHED:
                    due.append(PostmortemDue(incident, due_at, status))
        return sorted(due, key=due_order)

    def open_action_items(self) -> list[tuple[Incident, int, ActionItem]]:
        with self.incidents.reading() as uow:
            found = uow.postmortems.open_items()
            incidents = {
                incident_id: uow.incidents.to_incident(uow.incidents.get(incident_id))
                for incident_id in {incident_id for incident_id, _n, _i in found}
            }
        return [(incidents[incident_id], number, item) for incident_id, number, item in found]

    # -- stakeholder messages ----------------------------------------------------------------
    def status_message(
        self,
        incident_id: int,
        kind: MessageKind,
        plain: bool = False,
        trend: str = "",
        eta: str = "",
    ) -> str:
        with self.incidents.reading() as uow:
            incident = uow.incidents.to_incident(uow.incidents.get(incident_id))
            stored = uow.postmortems.load(incident_id)
        root_cause = stored.root_cause_line() if stored is not None else ""
        return self.renderer.status_message(
            kind,
            incident,
            self.incidents.policy,
            self.incidents.now(),
            root_cause=root_cause,
            trend=trend,
            eta=eta,
            plain=plain,
        )

    def mark_message_sent(self, incident_id: int, kind: MessageKind, text: str) -> Incident:
        """Records the message on the timeline and restarts the update clock."""
        if not text.strip():
            raise ValidationError("message", "The message is empty: nothing was sent.")
        return self.incidents.mark_update_sent(incident_id, MESSAGE_LABELS[kind], text)


def _refuse_unfinished(postmortem: Postmortem) -> None:
    """A post-mortem is published once it says what caused the incident, who wrote it, and
    every action item it lists: each gap is named, with what to do about it."""
    gaps: list[tuple[str, str]] = []
    if not postmortem.root_cause.strip():
        cause = "say what caused the incident (a system or a decision, not a person)"
        gaps.append(("root_cause", f"the root cause is empty: {cause}"))
    if not postmortem.authors.strip():
        gaps.append(("authors", "there are no authors: say who wrote it"))
    empty = [n for n, item in enumerate(postmortem.action_items, 1) if not item.action.strip()]
    if empty:
        rows = f"item {empty[0]} has" if len(empty) == 1 else f"items {_listed(empty)} have"
        gaps.append(("action_items", f"action {rows} no action: write it or remove the row"))
    if gaps:
        raise ValidationError(gaps[0][0], "Not published: " + "; ".join(t for _f, t in gaps) + ".")


def _listed(numbers: list[int]) -> str:
    """'2, 3 and 5'"""
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _checked(field: str, text: str, label: str) -> str:
    """Checked the way the rest of the app checks text (length, NUL, broken characters), but
    kept exactly as typed: reopening the editor must show the same text, spaces included."""
    clean_text(field, text, label)
    return text


def _cleaned(postmortem: Postmortem) -> Postmortem:
    """The first problem found names the field; nothing is saved then."""
    sections: dict[str, Any] = {
        name: _checked(name, getattr(postmortem, name), heading) for name, heading in SECTIONS
    }
    items = tuple(
        replace(
            item,
            action=_checked("action", item.action, f"Action item {n}"),
            owner=_checked("owner", item.owner, f"Action item {n}'s owner"),
        )
        for n, item in enumerate(postmortem.action_items, start=1)
    )
    for edit in postmortem.timeline_edits.values():
        _checked("timeline", edit.text or "", "The timeline text")
    for row in postmortem.added_rows:
        _checked("timeline", row.text, "The timeline text")
    return replace(
        postmortem,
        title=_checked("title", postmortem.title, "The title"),
        authors=_checked("authors", postmortem.authors, "The authors"),
        action_items=items,
        **sections,
    )
