"""The services one process uses, built together by warroom.bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from warroom.services.cadence import CadenceService
    from warroom.services.drills import DrillService
    from warroom.services.evidence import EvidenceService
    from warroom.services.incidents import IncidentService
    from warroom.services.metrics import MetricsService
    from warroom.services.mitigation import MitigationService
    from warroom.services.postmortems import PostmortemService


@dataclass
class Services:
    """Every service of one process. The mitigations, the post-mortems (with their Jinja2
    renderer), the metrics and the drills are built on first use from the given factories: none of
    them listens to the others, so a one-shot command that needs none never imports them."""

    incidents: IncidentService
    evidence: EvidenceService
    cadence: CadenceService
    make_mitigations: Callable[[], MitigationService] = field(repr=False)
    make_postmortems: Callable[[], PostmortemService] = field(repr=False)
    make_metrics: Callable[[PostmortemService], MetricsService] = field(repr=False)
    make_drills: Callable[[], DrillService] = field(repr=False)

    @cached_property
    def mitigations(self) -> MitigationService:
        return self.make_mitigations()

    @cached_property
    def postmortems(self) -> PostmortemService:
        return self.make_postmortems()

    @cached_property
    def metrics(self) -> MetricsService:
        return self.make_metrics(self.postmortems)

    @cached_property
    def drills(self) -> DrillService:
        return self.make_drills()


class OpenRecord(Protocol):
    """An opened record (a database) and the services on it."""

    services: Services

    @property
    def location(self) -> str:
        """Where the record lives, for people: a file's path or a shared server's address."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the user should know but that stops nothing (a folder open to others)."""
        ...

    def dispose(self) -> None: ...
