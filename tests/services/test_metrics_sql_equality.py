"""The metrics read their timeline facts as SQL aggregates (first update, mitigation steps)
and the few events that record missed cadences, instead of every event of those kinds. The
report must not change by a bit: it is compared with a golden file written by the
event-by-event computation before the change, and the records it is computed from with that
computation itself, on databases full of corner cases (tests/services/metrics_varied_db.py).

To rewrite the golden file after an intended change to the figures:
    python -m tests.services.test_metrics_sql_equality
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.services.metrics_varied_db import NOW, build_varied
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import build
from warroom.domain.cadence import missed_severities
from warroom.domain.clock import FakeClock
from warroom.domain.incident import EventKind
from warroom.domain.metrics import IncidentRecord
from warroom.domain.severity import Severity
from warroom.domain.spans import first_updates, mitigation_steps
from warroom.services import metrics as metrics_service
from warroom.services.metrics import to_csv, to_json

GOLDEN = Path(__file__).parent / "data" / "metrics_golden.json"
MIN = timedelta(minutes=1)
SEEDS = (1, 2, 3)
PERIODS: tuple[tuple[datetime | None, datetime | None], ...] = (
    (None, None),
    (NOW - timedelta(days=30), None),
    (NOW - timedelta(days=120), NOW - timedelta(days=20)),
    (None, NOW - timedelta(days=60)),
)


def _key(seed: int, since: datetime | None, until: datetime | None) -> str:
    return f"{seed}:{since and since.isoformat()}:{until and until.isoformat()}"


def _reports(folder: Path, seed: int) -> dict[str, dict[str, Any]]:
    database = open_database(build_varied(folder / f"seed{seed}", seed))
    try:
        services = build(database, FakeClock(NOW), actor="x")
        found = {}
        for since, until in PERIODS:
            report = services.metrics.report(since, until)
            found[_key(seed, since, until)] = {
                "json": to_json(report),
                "csv": to_csv(report),
                # The exact figures (timedeltas to the microsecond, unrounded rates).
                "repr_sha256": hashlib.sha256(repr(report).encode()).hexdigest(),
            }
        return found
    finally:
        database.dispose()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_report_is_the_one_computed_event_by_event(tmp_path, seed):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for key, found in _reports(tmp_path, seed).items():
        assert json.loads(json.dumps(found["json"])) == golden[key]["json"], key
        assert found["csv"] == golden[key]["csv"], key
        assert found["repr_sha256"] == golden[key]["repr_sha256"], key


def _event_by_event(uow) -> list[IncidentRecord]:
    """The records as they were read before: every event of the kinds that matter, loaded
    through the repositories and summed up by the domain."""
    incidents = uow.incidents.list(include_closed=True)
    first_update_at = first_updates(uow.timeline.of_kind(EventKind.UPDATE_SENT))
    statuses = uow.postmortems.statuses()
    items = uow.postmortems.action_items()
    steps = mitigation_steps(
        [*uow.timeline.of_kind(EventKind.MITIGATION), *uow.timeline.of_kind(EventKind.CHECK_BACK)]
    )
    missed = missed_severities(uow.timeline.of_kind(EventKind.REMINDER))
    return [
        IncidentRecord(
            incident=incident,
            first_update_at=first_update_at.get(incident.id),
            postmortem=statuses.get(incident.id),
            action_items=tuple(items.get(incident.id, ())),
            mitigations_applied=steps.get(incident.id, (0, 0))[0],
            mitigations_worked=steps.get(incident.id, (0, 0))[1],
            missed_updates=tuple(missed.get(incident.id, ())),
        )
        for incident in incidents
    ]


@pytest.mark.parametrize("seed", (*SEEDS, 4, 5, 6))
def test_the_records_are_the_ones_read_event_by_event(tmp_path, seed):
    database = open_database(build_varied(tmp_path / "data", seed, incidents=250))
    try:
        services = build(database, FakeClock(NOW), actor="x")
        with services.incidents.reading() as uow:
            expected = _event_by_event(uow)
            found = metrics_service._records(uow)
    finally:
        database.dispose()
    assert found == expected
    # The corner cases are there: without them this would prove little.
    assert sum(r.incident.is_drill for r in found) > 5
    assert sum(r.incident.duplicate_of is not None for r in found) > 5
    assert sum(r.mitigations_worked > r.mitigations_applied for r in found) > 3
    assert sum(len(r.missed_updates) > 1 for r in found) > 5
    assert sum(r.first_update_at is None for r in found) > 5


def test_first_update_ties_and_backdated_updates(tmp_path, services, clock, start):
    """An update typed in later with an earlier time is the first; two at the same time
    count once."""
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.advance(minutes=20)
    services.incidents.mark_update_sent(incident.id, "late")
    services.incidents.mark_update_sent(incident.id, "typed in", at=start + timedelta(minutes=5))
    services.incidents.mark_update_sent(incident.id, "twin", at=start + timedelta(minutes=5))
    with services.incidents.reading() as uow:
        [record] = metrics_service._records(uow)
        assert record.first_update_at == start + timedelta(minutes=5)
        assert [record] == _event_by_event(uow)


def test_missed_cadences_and_their_withdrawals(services, clock, start):
    """On both engines: the recorded misses, several to an incident, one withdrawn by an
    update typed in late, count as the event-by-event reading counts them."""
    first = services.incidents.declare("Checkout errors", "P1")
    second = services.incidents.declare("Search slow", "P2")
    clock.advance(minutes=40)
    services.cadence.record_missed(clock.now())
    services.incidents.mark_update_sent(first.id, "Status page updated", at=start + 25 * MIN)
    services.cadence.record_missed(clock.now(), first.id)  # withdraws 14:30, not 14:55
    clock.advance(minutes=20)
    services.cadence.record_missed(clock.now())  # 14:55
    services.incidents.mark_update_sent(first.id, "Rolling back")
    clock.advance(minutes=40)
    services.cadence.record_missed(clock.now())  # 15:30
    clock.advance(hours=1)
    services.cadence.record_missed(clock.now())  # the P2's, due 16:00
    with services.incidents.reading() as uow:
        found = metrics_service._records(uow)
        assert found == _event_by_event(uow)
    missed = {r.incident.id: r.missed_updates for r in found}
    assert missed[first.id] == (Severity.P1, Severity.P1)
    assert missed[second.id] == (Severity.P2,)


def _write_golden(folder: Path) -> None:
    found: dict[str, dict[str, Any]] = {}
    for seed in SEEDS:
        found.update(_reports(folder, seed))
    GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        _write_golden(Path(scratch))
    print(f"wrote {GOLDEN}", file=sys.stderr)
