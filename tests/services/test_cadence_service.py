"""Missed update cadences written on the timeline: once per deadline, at the deadline, for
incidents recorded live and for those entered after the fact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.domain.cadence import is_cadence_event

MIN = timedelta(minutes=1)


def _misses(services, incident_id):
    return [e for e in services.incidents.timeline(incident_id) if is_cadence_event(e)]


def test_a_passed_deadline_is_recorded_once_at_the_deadline(services, clock, start):
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.advance(minutes=29)
    assert services.cadence.record_missed(clock.now()) == []
    clock.advance(minutes=2)
    [miss] = services.cadence.record_missed(clock.now())
    [event] = _misses(services, incident.id)
    assert event.text == "Update cadence missed: P1 update due 14:30 UTC"
    assert event.at == start + 30 * MIN
    assert event.recorded_at == clock.now()
    clock.advance(minutes=1)
    assert services.cadence.record_missed(clock.now()) == []  # idempotent
    assert len(_misses(services, incident.id)) == 1


def test_nothing_is_written_when_nothing_is_missing(services, clock, stored_counts):
    services.incidents.declare("Checkout errors", "P1")
    clock.advance(minutes=10)
    before = stored_counts()
    services.cadence.record_missed(clock.now())
    assert stored_counts() == before


def test_an_incident_declared_in_the_past_gets_its_misses_at_once(services, clock, start):
    clock.advance(hours=3)
    incident = services.incidents.declare(
        "Reports late", "P2", declared_at=start, impact_started_at=start
    )
    [event] = _misses(services, incident.id)
    assert event.at == start + 2 * 60 * MIN
    assert event.text == "Update cadence missed: P2 update due 16:00 UTC"


def test_an_update_typed_in_late_withdraws_the_miss_it_disproves(services, clock, start):
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.advance(minutes=40)
    services.cadence.record_missed(clock.now())
    services.incidents.mark_update_sent(incident.id, "Status page updated", at=start + 25 * MIN)
    services.cadence.record_missed(clock.now(), incident.id)
    texts = [e.text for e in _misses(services, incident.id)]
    assert texts == [
        "Update cadence missed: P1 update due 14:30 UTC",
        "Update cadence miss withdrawn: the P1 update due 14:30 UTC was sent in time "
        "(entered after the fact)",
    ]
    assert services.metrics.report(None).by_severity["P1"].missed_updates == 0
    clock.advance(minutes=20)  # 15:00; the next deadline, 14:55, has passed
    [miss] = services.cadence.record_missed(clock.now())
    assert miss.due == start + 55 * MIN
    assert services.metrics.report(None).by_severity["P1"].missed_updates == 1


def test_resolved_and_closed_incidents_are_left_alone_by_the_sweep(services, clock):
    incident = services.incidents.declare("Checkout errors", "P1")
    services.incidents.set_status(incident.id, "active")
    services.incidents.set_status(incident.id, "resolved", "fixed")
    clock.advance(hours=2)
    assert services.cadence.record_missed(clock.now()) == []
    assert _misses(services, incident.id) == []


def test_a_note_settles_the_misses_in_its_own_transaction(services, clock, start):
    """A note reads the incident without the ORM (a read-only copy); the after_edit hook
    that records the misses reads it too, and writes its events in the note's transaction."""
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.advance(minutes=31)
    seen: list = []
    services.incidents.subscribe(seen.append)
    note = services.incidents.add_note(incident.id, "Still digging")
    [miss] = _misses(services, incident.id)
    assert miss.at == start + 30 * MIN
    assert miss.recorded_at == note.recorded_at == clock.now()
    assert len(seen) == 1 and seen[0].incident_ids == {incident.id}


def test_misses_of_many_incidents_at_once_are_written_in_one_commit(services, clock):
    """The end of a business day passes for every P3 at once: each gets its miss, all in one
    transaction, and asking again writes nothing."""
    p3s = [services.incidents.declare(f"Report {n} late", "P3") for n in range(6)]
    gone = services.incidents.declare("Closed meanwhile", "P3")
    services.incidents.set_status(gone.id, "resolved", "fixed")
    services.incidents.set_status(gone.id, "closed", "nothing to write up")
    clock.advance(days=2)  # declared on a Sunday: Monday's end of business day has passed
    commits: list[object] = []
    services.incidents.subscribe(commits.append)
    ids = [i.id for i in p3s] + [gone.id, 999_999]  # a closed one and one that never was
    recorded = services.cadence.record_missed_among(clock.now(), ids)
    assert sorted(m.severity.value for m in recorded) == ["P3"] * len(p3s)
    assert len(commits) == 1
    for incident in p3s:
        assert len(_misses(services, incident.id)) == 1
    assert _misses(services, gone.id) == []
    assert services.cadence.record_missed_among(clock.now(), ids) == []
    assert len(commits) == 1


def test_notes_leave_nothing_to_settle_and_replay_the_cadence_only_when_overdue(
    services, clock, start, monkeypatch
):
    """A note writes none of the cadence's facts: before the deadline the update clock shows
    it has nothing to settle and reads none of them; after it, it records the miss, and the
    notes after it on the same facts replay nothing more. Either way the sweep, which
    always replays every fact, finds nothing left to write."""
    replays = _counting_replays(monkeypatch)
    incident = services.incidents.declare("Checkout errors", "P1")

    def note_at(minutes: int) -> int:
        clock.set(start + minutes * MIN)
        replays.clear()
        services.incidents.add_note(incident.id, f"at {minutes} min")
        assert services.cadence.record_missed(clock.now()) == []  # the note left it settled
        return len(replays)

    assert note_at(10) == 0
    assert note_at(30) == 0  # at the deadline itself it is not missed yet
    assert note_at(31) == 1  # overdue: the note records the miss...
    assert note_at(32) == 0  # ...once: on the same facts, the next note has nothing to settle
    services.incidents.mark_update_sent(incident.id, "Status page updated")  # due 15:02
    assert note_at(40) == 0
    services.incidents.change_severity(incident.id, "P0", "spreading")  # at 14:40, due 14:55
    assert note_at(56) == 1
    assert [(e.at, e.text) for e in _misses(services, incident.id)] == [
        (start + 30 * MIN, "Update cadence missed: P1 update due 14:30 UTC"),
        (start + 55 * MIN, "Update cadence missed: P0 update due 14:55 UTC"),
    ]


def _counting_replays(monkeypatch) -> list[int]:
    import warroom.services.cadence as cadence

    replays: list[int] = []
    replay = cadence.write_misses

    def counted(edit, now):
        replays.append(edit.incident_id)
        return replay(edit, now)

    monkeypatch.setattr(cadence, "write_misses", counted)
    return replays


def test_an_overdue_note_that_is_not_saved_leaves_the_next_one_to_settle(
    services, clock, start, monkeypatch
):
    replays = _counting_replays(monkeypatch)
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.set(start + 31 * MIN)

    class Interrupted(Exception):
        pass

    def fails(edit):
        raise Interrupted

    services.incidents.after_edit.append(fails)  # after the cadence's hook: all rolled back
    with pytest.raises(Interrupted):
        services.incidents.add_note(incident.id, "never saved")
    services.incidents.after_edit.remove(fails)
    assert replays == [incident.id] and _misses(services, incident.id) == []

    clock.set(start + 32 * MIN)
    services.incidents.add_note(incident.id, "saved")
    assert replays == [incident.id, incident.id]
    assert [e.at for e in _misses(services, incident.id)] == [start + 30 * MIN]


def test_a_change_from_another_process_makes_the_next_overdue_note_replay(
    services, db, clock, start, monkeypatch
):
    from warroom.bootstrap import incident_service

    replays = _counting_replays(monkeypatch)
    incident = services.incidents.declare("Checkout errors", "P1")
    clock.set(start + 31 * MIN)
    services.incidents.add_note(incident.id, "records the miss")
    services.incidents.add_note(incident.id, "settled: no replay")
    assert replays == [incident.id]

    elsewhere = incident_service(db, clock, actor="another laptop")
    elsewhere.add_note(incident.id, "typed on another laptop")
    assert incident.id in services.incidents.poll_elsewhere().incident_ids
    services.incidents.add_note(incident.id, "after the other laptop's change")
    assert replays == [incident.id, incident.id]
    assert [e.at for e in _misses(services, incident.id)] == [start + 30 * MIN]
