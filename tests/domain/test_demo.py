"""`warroom demo`: a believable board built on its own folder, never on real data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.bootstrap import prepare_demo as prepare_demo_dir
from warroom.domain import clocks
from warroom.domain.clock import FakeClock
from warroom.domain.clocks import ClockState
from warroom.domain.lifecycle import Status
from warroom.domain.severity import Severity
from warroom.services.demo import MARKER, NotADemoDir

DEMO_NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def demo_contents(folder):
    db = open_database(folder / "warroom.db")
    try:
        service = incident_service(db, FakeClock(DEMO_NOW), actor="test")
        incidents = service.list_incidents(include_closed=True)
        timelines = {i.id: service.timeline(i.id) for i in incidents}
    finally:
        db.dispose()
    return incidents, timelines


def test_demo_shows_a_varied_board(tmp_path, utc_policy):
    folder = prepare_demo_dir(tmp_path / "demo", clock=FakeClock(DEMO_NOW))
    assert folder == tmp_path / "demo"
    assert (folder / MARKER).exists()
    incidents, timelines = demo_contents(folder)

    assert {i.severity for i in incidents} == set(Severity)
    statuses = {i.status for i in incidents}
    assert {Status.TRIAGE, Status.ACTIVE, Status.MITIGATED} <= statuses
    assert any(not s.is_open for s in statuses)  # resolved or later, off the default board
    assert any(i.commander == "" for i in incidents if i.status.is_open)
    assert any(i.is_drill for i in incidents)
    assert any(not i.is_drill for i in incidents)
    update_states = {clocks.update_clock(i, utc_policy, DEMO_NOW).state for i in incidents}
    assert ClockState.OVERDUE in update_states
    assert ClockState.RUNNING in update_states or ClockState.WARNING in update_states

    # Replayed through the service: nothing happens after "now", and every incident has a story.
    for incident in incidents:
        assert incident.declared_at <= DEMO_NOW
        events = timelines[incident.id]
        assert events[0].kind.value in {"declared", "note"}
        assert all(e.at <= DEMO_NOW and e.recorded_at <= DEMO_NOW for e in events)
        assert all(e.actor for e in events)


def test_demo_can_be_rebuilt(tmp_path):
    """Running the demo twice gives a fresh copy of the same board, not a doubled one."""
    folder = tmp_path / "demo"
    prepare_demo_dir(folder, clock=FakeClock(DEMO_NOW))
    first, _ = demo_contents(folder)
    prepare_demo_dir(folder, clock=FakeClock(DEMO_NOW))
    second, _ = demo_contents(folder)
    assert len(second) == len(first) >= 6
    assert [i.title for i in second] == [i.title for i in first]
    assert second == first


def test_demo_refuses_a_folder_holding_real_data(tmp_path):
    """Pointing the demo at a real data folder must not wipe real incidents."""
    folder = tmp_path / "real"
    db = open_database(folder / "warroom.db")
    try:
        incident_service(db, FakeClock(DEMO_NOW), actor="ops").declare("Real outage", "P0")
    finally:
        db.dispose()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    with pytest.raises(NotADemoDir, match="not a demo"):
        prepare_demo_dir(folder, clock=FakeClock(DEMO_NOW))

    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not (folder / MARKER).exists()
    incidents, _ = demo_contents(folder)
    assert [i.title for i in incidents] == ["Real outage"]


def test_the_demo_obeys_the_lifecycle_rules(tmp_path):
    """Built through the services, so the rules hold: every incident that reached mitigated
    did so by a recorded verification, no move needed a rule set aside, and each move back
    says why."""
    from warroom.domain.incident import EventKind

    incidents, timelines = demo_contents(
        prepare_demo_dir(tmp_path / "demo", clock=FakeClock(DEMO_NOW))
    )
    reached_mitigated = [i for i in incidents if i.mitigated_at is not None]
    assert reached_mitigated
    for incident in incidents:
        moves = [e for e in timelines[incident.id] if e.kind is EventKind.STATUS_CHANGED]
        assert all("overridden" not in e.data for e in moves), incident.title
        assert all(e.data["reason"] for e in moves if "moved back" in e.text), incident.title
    for incident in reached_mitigated:
        kinds = [e.kind for e in timelines[incident.id]]
        assert EventKind.VERIFIED in kinds, incident.title
