"""Alert hooks: a dedupe key declares once and records repeats on the open incident that
carries it; duplicates and links between incidents are recorded on both timelines, and a
duplicate is left out of the metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.services.incidents import IncidentNotFound, RelationRefused, ValidationError
from warroom.services.ports import DedupeKeyTaken


def kinds(service, incident_id, kind):
    return [e for e in service.timeline(incident_id) if e.kind is kind]


def test_a_new_key_declares_and_a_repeat_is_recorded_on_the_open_incident(service, clock):
    first = service.declare_or_repeat("Checkout 5xx", "P2", dedupe_key="checkout-5xx")
    assert first.new and first.incident.dedupe_key == "checkout-5xx"
    clock.advance(timedelta(minutes=3))
    again = service.declare_or_repeat("Checkout 5xx", "P2", dedupe_key="checkout-5xx")
    assert not again.new and again.incident.id == first.incident.id
    assert len(service.list_incidents()) == 1
    [repeat] = kinds(service, first.incident.id, EventKind.ALERT_REPEATED)
    assert repeat.text == "Alert repeated (checkout-5xx)"
    assert repeat.at == clock.now() and repeat.data == {"key": "checkout-5xx"}


def test_declare_keeps_its_return_type_and_no_key_always_declares(service):
    one = service.declare("Same title", "P3")
    two = service.declare("Same title", "P3")
    assert one.id != two.id and one.dedupe_key == ""
    keyed = service.declare("Keyed", "P3", dedupe_key="k")
    assert service.declare("Keyed", "P3", dedupe_key="k").id == keyed.id


def test_a_resolved_incident_releases_its_key(service):
    old = service.declare_or_repeat("Disk full", "P3", dedupe_key="disk").incident
    service.set_status(old.id, Status.RESOLVED, reason="cleaned up", confirmed=True)
    fresh = service.declare_or_repeat("Disk full", "P3", dedupe_key="disk")
    assert fresh.new and fresh.incident.id != old.id
    assert kinds(service, old.id, EventKind.ALERT_REPEATED) == []


def test_losing_the_race_to_a_concurrent_declare_records_a_repeat(service, monkeypatch):
    """The look-up found nothing, then another process inserted the key first: the storage's
    unique index refuses the insert and the declare is retried, as a repeat."""
    winner = service.declare("Queue backlog", "P2", dedupe_key="queue")
    from warroom.adapters.sql.unit_of_work import SqlIncidents

    real = SqlIncidents.open_with_key
    misses = iter([True])
    monkeypatch.setattr(
        SqlIncidents,
        "open_with_key",
        lambda self, key: None if next(misses, False) else real(self, key),
    )
    result = service.declare_or_repeat("Queue backlog", "P2", dedupe_key="queue")
    assert not result.new and result.incident.id == winner.id
    assert len(service.list_incidents(include_closed=True)) == 1
    assert len(kinds(service, winner.id, EventKind.ALERT_REPEATED)) == 1


def test_the_storage_refuses_a_second_open_incident_with_the_same_key(service, db):
    service.declare("One", "P3", dedupe_key="same")
    from warroom.adapters.sql.unit_of_work import SqlStorage

    storage = SqlStorage(db)
    with pytest.raises(DedupeKeyTaken), storage.writing() as uow:
        one = service.get(1)
        uow.incidents.add(
            title="Two", severity="P3", status="triage", impact="",
            impact_started_at=one.declared_at, declared_at=one.declared_at, dedupe_key="same",
        )  # fmt: skip
    assert len(service.list_incidents(include_closed=True)) == 1


def test_mark_duplicate_is_on_both_timelines(service):
    original = service.declare("API down", "P1")
    copy = service.declare("API errors", "P1")
    marked = service.mark_duplicate(copy.id, of=original.id)
    assert marked.duplicate_of == original.id
    [here] = kinds(service, copy.id, EventKind.DUPLICATE)
    [there] = kinds(service, original.id, EventKind.DUPLICATE)
    assert here.text == f"Marked as a duplicate of #{original.id}"
    assert there.text == f"#{copy.id} marked as a duplicate of this incident"
    service.mark_duplicate(copy.id, of=original.id)  # again: nothing more recorded
    assert len(kinds(service, copy.id, EventKind.DUPLICATE)) == 1


def test_mark_duplicate_refusals(service):
    a, b, c = (service.declare(t, "P2") for t in ("A", "B", "C"))
    with pytest.raises(ValidationError):
        service.mark_duplicate(a.id, of=a.id)
    with pytest.raises(IncidentNotFound):
        service.mark_duplicate(a.id, of=99)
    service.mark_duplicate(b.id, of=a.id)
    with pytest.raises(RelationRefused):  # b is a duplicate: point at a instead
        service.mark_duplicate(c.id, of=b.id)
    with pytest.raises(RelationRefused):  # b already duplicates a
        service.mark_duplicate(b.id, of=c.id)
    assert service.get(c.id).duplicate_of is None


def test_link_is_on_both_timelines_once(service):
    a, b = service.declare("A", "P2"), service.declare("B", "P2")
    assert service.link(a.id, b.id) is True
    assert service.link(b.id, a.id) is False
    assert service.links(a.id) == [b.id] and service.links(b.id) == [a.id]
    assert [e.text for e in kinds(service, b.id, EventKind.LINKED)] == [f"Linked to #{a.id}"]
    with pytest.raises(ValidationError):
        service.link(a.id, a.id)
    with pytest.raises(IncidentNotFound):
        service.link(a.id, 42)


def test_metrics_leave_a_duplicate_out_and_count_it(services, clock):
    incidents = services.incidents
    original = incidents.declare("API down", "P1")
    copy = incidents.declare("API errors", "P1")
    incidents.declare("Drill", "P1", is_drill=True)
    before = services.metrics.report(None)
    assert before.all.count == 2 and before.duplicates_excluded == 0
    incidents.mark_duplicate(copy.id, of=original.id)
    after = services.metrics.report(None)
    assert after.all.count == 1
    assert after.duplicates_excluded == 1 and after.drills_excluded == 1


def test_reopening_onto_an_alert_key_now_taken_says_what_to_do(service):
    from warroom.domain.validation import ValidationError

    first = service.declare_or_repeat("API down", "P1", dedupe_key="K").incident
    service.set_status(first.id, "resolved", "recovered on its own")
    second = service.declare_or_repeat("API down again", "P1", dedupe_key="K").incident
    assert second.id != first.id
    with pytest.raises(ValidationError, match="already carries this incident's alert key"):
        service.set_status(first.id, "active", "it came back")
    assert service.get(first.id).status.value == "resolved"
