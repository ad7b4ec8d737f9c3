"""The services one process uses, built together by warroom.bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from warroom.services.cadence import CadenceService
    from warroom.services.evidence import EvidenceService
    from warroom.services.incidents import IncidentService
    from warroom.services.metrics import MetricsService
    from warroom.services.mitigation import MitigationService
    from warroom.services.postmortems import PostmortemService


@dataclass
class Services:
    incidents: IncidentService
    mitigations: MitigationService
    postmortems: PostmortemService
    evidence: EvidenceService
    metrics: MetricsService
    cadence: CadenceService


class OpenRecord(Protocol):
    """An opened record (a database) and the services on it."""

    services: Services

    @property
    def path(self) -> Path: ...

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the user should know but that stops nothing (a folder open to others)."""
        ...

    def dispose(self) -> None: ...
