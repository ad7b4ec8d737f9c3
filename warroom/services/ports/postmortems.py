"""The post-mortem repository the services see on a unit of work, and the renderer that
turns a post-mortem or a stakeholder message into text. Both speak domain objects."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from warroom.domain.incident import Incident, TimelineEvent
from warroom.domain.policy import Policy

if TYPE_CHECKING:  # annotations only: a command that never opens a post-mortem skips it
    from warroom.domain.postmortem import ActionItem, Postmortem, PostmortemStatus


class MessageKind(StrEnum):
    """The three stakeholder messages."""

    INITIAL = "initial"
    UPDATE = "update"
    RESOLUTION = "resolution"


class PostmortemRepository(Protocol):
    def is_published(self, incident_id: int) -> bool: ...

    def load(self, incident_id: int) -> Postmortem | None:
        """The stored write-up with its action items in order; None when none is stored."""
        ...

    def store(self, postmortem: Postmortem, now: datetime) -> None:
        """Writes the whole document: the write-up, and its action items in their order."""
        ...

    def mark_published(self, incident_id: int, at: datetime) -> None:
        """Records when the stored write-up was published."""
        ...

    def statuses(self) -> dict[int, PostmortemStatus]:
        """The status of every stored write-up, by incident id."""
        ...

    def action_items(self) -> dict[int, list[ActionItem]]:
        """Every action item, by incident id, each incident's in their order."""
        ...

    def open_items(self) -> list[tuple[int, int, ActionItem]]:
        """(incident id, number in its document, item) for every item not done, by
        incident and then number."""
        ...


class Renderer(Protocol):
    """Post-mortems and stakeholder messages as text (Markdown, or plain for a message)."""

    def postmortem(
        self,
        incident: Incident,
        postmortem: Postmortem,
        events: list[TimelineEvent],
        policy: Policy,
        now: datetime,
        template: Path | None = None,
    ) -> str:
        """With the built-in (or the team's) template, or the template file `template`.
        Raises FileNotFoundError when that file is missing."""
        ...

    def status_message(
        self,
        kind: MessageKind,
        incident: Incident,
        policy: Policy,
        now: datetime,
        *,
        root_cause: str = "",
        trend: str = "",
        eta: str = "",
        plain: bool = False,
    ) -> str:
        """One message sent at `now`; plain=True for the SMS / phone-bridge variant.
        Raises ValueError for a trend other than improving, stable, worsening or ""."""
        ...
