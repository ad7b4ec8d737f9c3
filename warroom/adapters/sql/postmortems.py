"""Post-mortems and action items on SQL: services.ports.postmortems' repository. The unit of
work owns the session and its transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from warroom.adapters.sql.mapping import parse_stored_time
from warroom.adapters.sql.models import ActionItemRow, PostmortemRow
from warroom.domain.postmortem import (
    SECTIONS,
    ActionItem,
    AddedRow,
    ItemKind,
    ItemPriority,
    ItemStatus,
    Postmortem,
    PostmortemStatus,
    TimelineEdit,
)

SECTION_FIELDS = tuple(name for name, _heading in SECTIONS)


def to_postmortem(row: PostmortemRow, items: list[ActionItem]) -> Postmortem:
    edits = {
        int(event_id): TimelineEdit(text=edit.get("text"), hidden=bool(edit.get("hidden")))
        for event_id, edit in _json(row.timeline_edits, {}).items()
    }
    added = tuple(
        AddedRow(parse_stored_time(entry["at"]), str(entry.get("text", "")))
        for entry in _json(row.added_rows, [])
    )
    return Postmortem(
        incident_id=row.incident_id,
        title=row.title,
        authors=row.authors,
        status=PostmortemStatus(row.status),
        timeline_edits=edits,
        added_rows=added,
        action_items=tuple(items),
        **{name: getattr(row, name) for name in SECTION_FIELDS},
    )


def to_item(row: ActionItemRow) -> ActionItem:
    return ActionItem(
        action=row.action,
        owner=row.owner,
        deadline=date.fromisoformat(row.deadline) if row.deadline else None,
        status=ItemStatus(row.status),
        priority=ItemPriority(row.priority),
        kind=ItemKind(row.kind),
    )


def _json(text: str, default: Any) -> Any:
    try:
        value = json.loads(text or "")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


class SqlPostmortems:
    """services.ports.postmortems.PostmortemRepository on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def is_published(self, incident_id: int) -> bool:
        row = self._session.get(PostmortemRow, incident_id)
        return row is not None and row.status == PostmortemStatus.PUBLISHED.value

    def load(self, incident_id: int) -> Postmortem | None:
        row = self._session.get(PostmortemRow, incident_id)
        if row is None:
            return None
        items = self._session.scalars(
            select(ActionItemRow)
            .where(col(ActionItemRow.incident_id) == incident_id)
            .order_by(col(ActionItemRow.position))
        )
        return to_postmortem(row, [to_item(r) for r in items])

    def store(self, postmortem: Postmortem, now: datetime) -> None:
        session = self._session
        row = session.get(PostmortemRow, postmortem.incident_id)
        if row is None:
            row = PostmortemRow(incident_id=postmortem.incident_id, saved_at=now)
            session.add(row)
        row.status = postmortem.status.value
        row.title = postmortem.title
        row.authors = postmortem.authors
        for name in SECTION_FIELDS:
            setattr(row, name, getattr(postmortem, name))
        row.timeline_edits = json.dumps(
            {
                str(k): {"text": e.text, "hidden": e.hidden}
                for k, e in postmortem.timeline_edits.items()
            },
            ensure_ascii=False,
        )
        row.added_rows = json.dumps(
            [{"at": r.at.isoformat(), "text": r.text} for r in postmortem.added_rows],
            ensure_ascii=False,
        )
        row.saved_at = now
        session.execute(
            delete(ActionItemRow).where(col(ActionItemRow.incident_id) == postmortem.incident_id)
        )
        for position, item in enumerate(postmortem.action_items):
            session.add(
                ActionItemRow(
                    incident_id=postmortem.incident_id,
                    position=position,
                    action=item.action,
                    owner=item.owner,
                    deadline=item.deadline.isoformat() if item.deadline else None,
                    status=item.status.value,
                    priority=item.priority.value,
                    kind=item.kind.value,
                )
            )

    def mark_published(self, incident_id: int, at: datetime) -> None:
        self._session.flush()  # a write-up stored in this unit of work is found too
        row = self._session.get(PostmortemRow, incident_id)
        if row is not None:
            row.published_at = at

    def statuses(self) -> dict[int, PostmortemStatus]:
        rows = self._session.execute(
            select(col(PostmortemRow.incident_id), col(PostmortemRow.status))
        )
        return {incident_id: PostmortemStatus(status) for incident_id, status in rows}

    def action_items(self) -> dict[int, list[ActionItem]]:
        query = select(ActionItemRow).order_by(
            col(ActionItemRow.incident_id), col(ActionItemRow.position)
        )
        items: dict[int, list[ActionItem]] = defaultdict(list)
        for row in self._session.scalars(query):
            items[row.incident_id].append(to_item(row))
        return dict(items)

    def open_items(self) -> list[tuple[int, int, ActionItem]]:
        closed = [s.value for s in ItemStatus if s.is_closed]
        rows = self._session.scalars(
            select(ActionItemRow)
            .where(col(ActionItemRow.status).not_in(closed))
            .order_by(col(ActionItemRow.incident_id), col(ActionItemRow.position))
        )
        return [(r.incident_id, r.position + 1, to_item(r)) for r in rows]
