"""The post-mortem repository the services see on a unit of work."""

from __future__ import annotations

from typing import Protocol


class PostmortemRepository(Protocol):
    def is_published(self, incident_id: int) -> bool: ...
