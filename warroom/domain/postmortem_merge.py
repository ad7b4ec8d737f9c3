"""Two authors on one post-mortem (two laptops on a shared war room): each save is merged
field by field with what was saved since the author's editor loaded it. A field only one
side changed takes that side's value; a field both changed differently is a conflict the
author resolves (edits.EditConflict, one per field)."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from warroom.domain.edits import EditConflict
from warroom.domain.postmortem import SECTIONS, Postmortem

# Every field a save can change, and how a conflict names it.
LABELS: dict[str, str] = {
    "title": "The post-mortem's title",
    "authors": "The post-mortem's authors",
    "status": "The post-mortem's status",
    **{name: f"The post-mortem's “{heading}”" for name, heading in SECTIONS},
    "timeline_edits": "The post-mortem's timeline edits",
    "added_rows": "The post-mortem's added timeline rows",
    "action_items": "The post-mortem's action items",
}
# Those whose two versions can be merged by hand as text.
TEXT_FIELDS = frozenset({"title", "authors", *(name for name, _ in SECTIONS)})


def three_way(
    base: Postmortem, stored: Postmortem, mine: Postmortem
) -> tuple[Postmortem, list[EditConflict]]:
    """`mine` (typed over `base`) merged with `stored` (saved meanwhile). Conflicting fields
    keep the stored value in the merge and are listed."""
    merged: dict[str, Any] = {}
    conflicts: list[EditConflict] = []
    for field in fields(Postmortem):
        name = field.name
        if name == "incident_id":
            continue
        was, theirs, ours = (getattr(p, name) for p in (base, stored, mine))
        if ours in (was, theirs):
            merged[name] = theirs
        elif theirs == was:
            merged[name] = ours
        else:
            merged[name] = theirs
            conflicts.append(
                EditConflict(name, LABELS[name], shown(was), shown(theirs), shown(ours))
            )
    return replace(stored, **merged), conflicts


def shown(value: Any) -> str:
    """A field's value as text, for the author choosing between two versions."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"event {key}: {edit}" for key, edit in sorted(value.items()))
    if isinstance(value, tuple):
        return "\n".join(
            getattr(item, "action", None) or getattr(item, "text", None) or str(item)
            for item in value
        )
    return str(getattr(value, "value", value))
