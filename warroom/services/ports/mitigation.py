"""The mitigation repository the services see on a unit of work."""

from __future__ import annotations

from typing import Protocol


class MitigationRepository(Protocol):
    pass
