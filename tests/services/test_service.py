"""What a user can do to an incident: bad input is refused by field and nothing is saved;
every action lands on the timeline with who and when; listeners hear about commits only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.incident import EventKind, KeyTime
from warroom.domain.lifecycle import Role, Status
from warroom.domain.severity import Severity
from warroom.services.incidents import IncidentNotFound, ValidationError

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # the fake clock's start
MIN = timedelta(minutes=1)


def refused(field, action, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        action(*args, **kwargs)
    assert caught.value.field == field, caught.value.message
    assert caught.value.message
    return caught.value


# -- declaring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"title": "  \t\n "}, "title", id="blank-title"),
        pytest.param({"title": "x" * 201}, "title", id="long-title"),
        pytest.param({"severity": "P7"}, "severity", id="unknown-severity"),
        pytest.param({"impact": "bad\x00byte"}, "impact", id="nul-in-impact"),
        pytest.param(
            {"impact_started_at": T0 + timedelta(seconds=61)}, "impact_started_at", id="future"
        ),
        pytest.param(
            {"impact_started_at": datetime(2026, 11, 22, 13, 0)}, "impact_started_at", id="naive"
        ),
    ],
)
def test_declare_refuses_bad_input_and_saves_nothing(service, stored_counts, changes, field):
    heard = []
    service.subscribe(heard.append)
    values = {"title": "Checkout down", "severity": "P1", **changes}
    refused(field, service.declare, **values)
    assert stored_counts() == (0, 0)
    assert service.list_incidents(include_closed=True) == []
    assert heard == []


def test_unknown_severity_or_status_message_keeps_the_case_of_names(service):
    """The message repeats what was typed and lists the real names, in their real case."""
    error = refused("severity", service.declare, "Checkout down", "P7")
    assert error.message == "Unknown severity 'P7'; use one of P0, P1, P2, P3."
    incident = service.declare("Checkout down", "P1")
    error = refused("severity", service.change_severity, incident.id, "Sev1")
    assert error.message == "Unknown severity 'Sev1'; use one of P0, P1, P2, P3."
    error = refused("status", service.set_status, incident.id, "Fixed")
    assert error.message.startswith("Unknown status 'Fixed'; use one of triage, active")


def test_impact_start_within_clock_skew_is_accepted(service):
    """A laptop clock a minute behind is not "the future"."""
    incident = service.declare("DNS", "P1", impact_started_at=T0 + timedelta(seconds=60))
    assert incident.impact_started_at == T0 + timedelta(seconds=60)


def test_declare_tidies_the_title_and_reads_severity_loosely(service):
    incident = service.declare("  Checkout   returns\n500 ", "1")
    assert incident.title == "Checkout returns 500"
    assert incident.severity is Severity.P1
    assert incident.status is Status.TRIAGE
    assert incident.declared_at == T0
    assert incident.impact_started_at == T0  # defaults to now


# -- key times -----------------------------------------------------------------------------------


def test_resolved_before_impact_started_is_refused(service, stored_counts):
    incident = service.declare("Queue backlog", "P2", impact_started_at=T0 - 30 * MIN)
    before = stored_counts()
    error = refused(
        "resolved_at", service.set_key_time, incident.id, KeyTime.RESOLVED, T0 - 40 * MIN
    )
    assert "impact started" in error.message
    assert stored_counts() == before
    assert service.get(incident.id) == incident


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        (KeyTime.ACKNOWLEDGED, T0 - MIN, "acknowledged_at"),  # before declared
        (KeyTime.DETECTED, T0 + 2 * MIN, "detected_at"),  # in the future
        (KeyTime.DETECTED, T0 - 2 * 60 * MIN, "detected_at"),  # before impact started
        (KeyTime.IMPACT_STARTED, None, "impact_started_at"),  # cannot be cleared
        (KeyTime.DECLARED, None, "declared_at"),
        ("lunch_at", T0, "key"),
    ],
)
def test_unbelievable_key_times_are_refused(service, stored_counts, key, value, field):
    incident = service.declare("Queue backlog", "P2", impact_started_at=T0 - 30 * MIN)
    before = stored_counts()
    refused(field, service.set_key_time, incident.id, key, value)
    assert stored_counts() == before
    assert service.get(incident.id) == incident


def test_resolved_before_mitigated_is_refused(service, clock):
    incident = service.declare("Queue backlog", "P2", impact_started_at=T0 - 30 * MIN)
    clock.advance(minutes=10)
    service.set_status(incident.id, "mitigated", "verified by hand")
    refused("resolved_at", service.set_key_time, incident.id, KeyTime.RESOLVED, T0 + 5 * MIN)


# -- closed incidents --------------------------------------------------------------------------

EDITS = {
    "edit_title": lambda svc, i: svc.edit_title(i, "New title"),
    "edit_impact": lambda svc, i: svc.edit_impact(i, "More users hit"),
    "add_note": lambda svc, i: svc.add_note(i, "a note"),
    "assign_role": lambda svc, i: svc.assign_role(i, Role.SCRIBE, "Lee"),
    "mark_update_sent": lambda svc, i: svc.mark_update_sent(i, "all clear"),
    "change_severity": lambda svc, i: svc.change_severity(i, "P0"),
    "acknowledge": lambda svc, i: svc.acknowledge(i),
    "set_drill": lambda svc, i: svc.set_drill(i, True),
    "set_key_time": lambda svc, i: svc.set_key_time(i, KeyTime.DETECTED, T0),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_closed_incident_refuses_edits_until_reopened(service, clock, stored_counts, edit):
    incident = service.declare("Expired certificate", "P2")
    clock.advance(minutes=30)
    service.set_status(incident.id, "closed", "recovered on its own; no post-mortem at P2")
    closed = service.get(incident.id)
    before = stored_counts()

    error = refused("status", edit, service, incident.id)
    assert "closed" in error.message
    assert stored_counts() == before
    assert service.get(incident.id) == closed

    clock.advance(minutes=1)
    reopened = service.set_status(incident.id, "active", "the certificate expired again")
    assert reopened.status is Status.ACTIVE
    assert service.timeline(incident.id)[-1].text == (
        "Status reopened: closed → active: the certificate expired again"
    )
    edit(service, incident.id)
    assert stored_counts()[1] == before[1] + 2  # the reopening and the edit


def test_acknowledging_twice_is_refused(service, clock, stored_counts):
    incident = service.declare("Disk full", "P1", commander="bob")
    clock.advance(minutes=3)
    service.acknowledge(incident.id)
    before = stored_counts()
    clock.advance(minutes=3)
    error = refused("acknowledged_at", service.acknowledge, incident.id)
    assert "2026-11-22 14:03 UTC" in error.message
    assert stored_counts() == before
    assert service.get(incident.id).acknowledged_at == T0 + 3 * MIN


def test_acknowledging_without_a_commander_makes_the_actor_commander(service, clock):
    incident = service.declare("Disk full", "P1")
    assert incident.commander == ""
    clock.advance(minutes=2)
    acked = service.acknowledge(incident.id)
    assert acked.commander == "alice"
    assert acked.acknowledged_at == T0 + 2 * MIN
    event = service.timeline(incident.id)[-1]
    assert event.kind is EventKind.ACKNOWLEDGED
    assert event.text == "Acknowledged by alice; alice is now incident commander"
    assert event.data == {"commander": "alice"}


def test_acknowledging_keeps_an_existing_commander(service):
    incident = service.declare("Disk full", "P1", commander="bob")
    acked = service.acknowledge(incident.id)
    assert acked.commander == "bob"
    assert service.timeline(incident.id)[-1].text == "Acknowledged by alice"


# -- the timeline --------------------------------------------------------------------------------


def test_each_action_lands_on_the_timeline_with_actor_and_time(service, clock):
    incident = service.declare("Checkout failing", "P2", commander="bob")
    step = iter(range(1, 100))

    def tick():
        clock.advance(minutes=next(step))

    tick()
    service.acknowledge(incident.id)
    tick()
    service.set_status(incident.id, "active")
    tick()
    service.actor = "bob"
    service.change_severity(incident.id, "P0", "all regions")
    tick()
    service.assign_role(incident.id, Role.TECH_LEAD, "carol")
    tick()
    service.mark_update_sent(incident.id, "Rolling back")
    tick()
    service.edit_title(incident.id, "Checkout down")
    tick()
    service.add_note(incident.id, "Gateway pods restarted")
    tick()
    service.change_severity(incident.id, "P1")

    events = service.timeline(incident.id)
    title_changed = "Title changed to “Checkout down” (was “Checkout failing”)"
    assert [(e.kind, e.actor, e.text) for e in events] == [
        (EventKind.DECLARED, "alice", "Declared P2: Checkout failing"),
        (EventKind.ROLE_ASSIGNED, "alice", "Incident commander: bob"),
        (EventKind.ACKNOWLEDGED, "alice", "Acknowledged by alice"),
        (EventKind.STATUS_CHANGED, "alice", "Status changed: triage → active"),
        (EventKind.SEVERITY_CHANGED, "bob", "Severity raised P2 → P0: all regions"),
        (EventKind.ROLE_ASSIGNED, "bob", "Technical lead: carol"),
        (EventKind.UPDATE_SENT, "bob", "Stakeholder update sent: Rolling back"),
        (EventKind.FIELD_EDITED, "bob", title_changed),
        (EventKind.NOTE, "bob", "Gateway pods restarted"),
        (EventKind.SEVERITY_CHANGED, "bob", "Severity lowered P0 → P1"),
    ]
    minutes = [0, 0, 1, 3, 6, 10, 15, 21, 28, 36]  # cumulative ticks
    assert [e.at for e in events] == [T0 + m * MIN for m in minutes]
    assert all(e.recorded_at == e.at for e in events)

    final = service.get(incident.id)
    assert final.severity is Severity.P1
    assert final.severity_changed_at == T0 + 36 * MIN
    assert final.last_update_at == T0 + 15 * MIN
    assert final.roles == {Role.COMMANDER: "bob", Role.TECH_LEAD: "carol"}
    assert final.title == "Checkout down"


def test_edits_that_change_nothing_leave_no_trace(service, stored_counts):
    incident = service.declare("Checkout failing", "P2", commander="bob")
    before = stored_counts()
    heard = []
    service.subscribe(heard.append)
    service.edit_title(incident.id, "  Checkout   failing ")
    service.change_severity(incident.id, "p2")
    service.set_status(incident.id, "triage")
    service.assign_role(incident.id, Role.COMMANDER, "bob")
    service.set_key_time(incident.id, KeyTime.DECLARED, T0)
    assert stored_counts() == before
    assert service.get(incident.id) == incident
    assert heard == []


def test_backdated_note_is_placed_by_when_it_happened(service, clock):
    incident = service.declare("Deploy broke login", "P1")
    clock.advance(minutes=10)
    service.add_note(incident.id, "Rollback started")
    clock.advance(minutes=10)
    backdated = service.add_note(incident.id, "Deploy 4812 went out", at=T0 - 5 * MIN)
    assert backdated.at == T0 - 5 * MIN
    assert backdated.recorded_at == T0 + 20 * MIN
    assert backdated.data == {"backdated": True}
    texts = [e.text for e in service.timeline(incident.id)]
    assert texts == ["Deploy 4812 went out", "Declared P1: Deploy broke login", "Rollback started"]


def test_note_in_the_future_or_empty_is_refused(service, stored_counts):
    incident = service.declare("Deploy broke login", "P1")
    before = stored_counts()
    refused("at", service.add_note, incident.id, "later", at=T0 + 2 * MIN)
    refused("note", service.add_note, incident.id, "   ")
    assert stored_counts() == before


def test_unknown_incident_is_reported_by_number(service):
    with pytest.raises(IncidentNotFound, match="no incident #99"):
        service.get(99)
    with pytest.raises(IncidentNotFound):
        service.add_note(99, "hello")
    with pytest.raises(IncidentNotFound):
        service.timeline(99)


# -- listeners -------------------------------------------------------------------------------------


def test_listeners_hear_each_change_after_it_is_committed(service, stored_counts):
    heard = []

    def listener(change):
        # Read over a separate connection: only committed data is visible there.
        heard.append((change, stored_counts()))

    service.subscribe(listener)
    incident = service.declare("Checkout failing", "P2")
    service.add_note(incident.id, "looking")
    # What changed, typed: a declaration is a new incident and its first timeline row; a
    # note touches the timeline only (so nothing showing the incident's fields re-reads).
    assert heard == [
        (ChangeSet.of([(incident.id, Part.INCIDENT), (incident.id, Part.TIMELINE)]), (1, 1)),
        (ChangeSet.of([(incident.id, Part.TIMELINE)]), (1, 2)),
    ]


def test_listeners_hear_nothing_when_validation_fails(service, clock):
    incident = service.declare("Checkout failing", "P2")
    service.acknowledge(incident.id)
    heard = []
    service.subscribe(heard.append)
    for action in (
        lambda: service.declare("", "P2"),
        lambda: service.acknowledge(incident.id),
        lambda: service.change_severity(incident.id, "P9"),
        lambda: service.set_key_time(incident.id, KeyTime.RESOLVED, T0 - 60 * MIN),
        lambda: service.add_note(incident.id, "x", at=T0 + 60 * MIN),
    ):
        with pytest.raises(ValidationError):
            action()
    assert heard == []


def test_unsubscribed_listener_hears_nothing_more(service):
    heard = []
    unsubscribe = service.subscribe(heard.append)
    first = service.declare("One", "P3")
    unsubscribe()
    service.declare("Two", "P3")
    assert [changes.incident_ids for changes in heard] == [{first.id}]


def test_a_late_acknowledgement_stays_late_after_the_severity_is_lowered(service, clock):
    """Lowering severity afterwards must not flatter the response record."""
    from warroom.domain.clocks import ClockState, response_clock

    incident = service.declare("Everything down", "P0")
    clock.advance(minutes=20)  # P0's target is 15 min
    service.acknowledge(incident.id)
    clock.advance(minutes=5)
    lowered = service.change_severity(incident.id, "P2", "contained to one region")
    response = response_clock(lowered, service.policy, clock.now())
    assert response.state is ClockState.LATE
    assert response.took == timedelta(minutes=20)
    assert response.deadline == incident.declared_at + timedelta(minutes=15)


def test_a_skewed_impact_start_neither_blocks_resolving_nor_precedes_it(service, clock):
    """Impact start may sit a few seconds ahead (clock skew); resolving still works, and
    the resolved time is never before impact started."""
    started = clock.now() + timedelta(seconds=30)
    incident = service.declare("Skewed clock", "P3", impact_started_at=started)
    resolved = service.set_status(incident.id, "resolved", "recovered on its own")
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at == started
    assert resolved.mitigated_at is None  # skipped with a reason: no invented time


def test_a_skewed_declaration_time_does_not_block_acknowledging(service, clock):
    incident = service.declare("Skewed", "P1")
    ahead = clock.now() + timedelta(seconds=45)
    service.set_key_time(incident.id, KeyTime.DECLARED, ahead)
    assert service.acknowledge(incident.id).acknowledged_at == ahead


def test_the_commander_named_at_declaration_is_cleaned_like_any_role(service):
    incident = service.declare("Spacing", "P2", commander="  Dana    Whitfield ")
    assert incident.commander == "Dana Whitfield"
