"""Mitigation decisions through the service: each one on the timeline in words a post-mortem
can quote; one change at a time; no "mitigated" without a measurement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import Outcome, RecoveryCheck
from warroom.domain.playbook import load_playbook_file
from warroom.services.incidents import ValidationError
from warroom.services.mitigation import ChangeFacts, ChangePending, MitigationService
from warroom.system.paths import builtin_playbook_file

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # the fake clock's start


@pytest.fixture
def playbook():
    return load_playbook_file(builtin_playbook_file())


@pytest.fixture
def mitigations(service):
    return MitigationService(service)


@pytest.fixture
def incident(service, clock):
    started = T0 - timedelta(minutes=12)
    return service.declare("Checkout 500s", "P1", impact_started_at=started)


def texts(service, incident_id, *kinds):
    return [e.text for e in service.timeline(incident_id) if not kinds or e.kind in kinds]


def test_applying_records_who_what_expected_and_when_to_check_back(
    service, mitigations, playbook, incident, clock
):
    clock.advance(minutes=3)
    change = ChangeFacts("deploy 4812", T0 - timedelta(minutes=20))
    applied = mitigations.apply(
        incident.id,
        playbook.option("rollback"),
        action="revert deploy 4812",
        expected_effect="5xx back under 0.1 %",
        applied_by="bob",
        check_back_minutes=10,
        change=change,
    )
    assert applied.check_back_at == T0 + timedelta(minutes=13)
    assert applied.outcome is Outcome.PENDING
    assert texts(service, incident.id, EventKind.MITIGATION) == [
        "Applied roll back: revert deploy 4812 (by bob); expected: 5xx back under 0.1 %; "
        "check back in 10 min; deploy 4812 came 8 min before impact started"
    ]
    # Starting work on it moves the incident out of triage.
    assert service.get(incident.id).status is Status.ACTIVE


def test_a_skip_needs_a_reason_and_reads_as_a_rejection(service, mitigations, playbook, incident):
    with pytest.raises(ValidationError) as refused:
        mitigations.reject(incident.id, playbook.option("failover"), "  ", not_applicable=False)
    assert "Say why" in refused.value.message
    before = texts(service, incident.id)
    assert mitigations.mitigations(incident.id) == []
    mitigations.reject(
        incident.id, playbook.option("failover"), "single-region service", not_applicable=False
    )
    mitigations.reject(incident.id, playbook.option("redirect"), "", not_applicable=True)
    assert texts(service, incident.id)[len(before) :] == [
        "Rejected fail over: single-region service",
        "Not applicable: redirect traffic",
    ]


def test_a_second_change_while_one_is_unverified_needs_a_reason(
    service, mitigations, playbook, incident
):
    mitigations.apply(
        incident.id, playbook.option("rollback"), action="", expected_effect="errors stop"
    )
    events_before = len(service.timeline(incident.id))
    with pytest.raises(ChangePending) as warned:
        mitigations.apply(incident.id, playbook.option("scale"), action="", expected_effect="x")
    assert "you won't be able to tell which change fixed it" in warned.value.message
    assert len(service.timeline(incident.id)) == events_before  # nothing recorded half-way
    mitigations.apply(
        incident.id,
        playbook.option("scale"),
        action="add 4 web nodes",
        expected_effect="latency under 300 ms",
        override_reason="CPU at 100 %, cannot wait",
    )
    assert texts(service, incident.id)[events_before:] == [
        "Second change while roll back is unverified, on purpose: CPU at 100 %, cannot wait",
        "Applied scale: add 4 web nodes (by alice); expected: latency under 300 ms; "
        "check back in 10 min",
    ]


def test_mitigated_needs_a_measurement_and_no_unverified_change(
    service, mitigations, playbook, incident
):
    applied = mitigations.apply(
        incident.id, playbook.option("rollback"), action="", expected_effect="errors stop"
    )
    with pytest.raises(ValidationError) as empty:
        mitigations.mark_mitigated(incident.id, RecoveryCheck.ERROR_RATE, " ")
    assert "which check showed recovery" in empty.value.message
    with pytest.raises(ValidationError) as pending:
        mitigations.mark_mitigated(incident.id, RecoveryCheck.ERROR_RATE, "5xx at 0.05 %")
    assert "still unverified" in pending.value.message
    assert service.get(incident.id).status is Status.ACTIVE

    mitigations.record_outcome(applied.id, worked=True)
    mitigated = mitigations.mark_mitigated(
        incident.id, RecoveryCheck.ERROR_RATE, "5xx at 0.05 %", "https://grafana/d/1"
    )
    assert mitigated.status is Status.MITIGATED
    assert texts(service, incident.id)[-3:] == [
        "Check-back: roll back worked",
        "Recovery verified (error rate back to baseline): 5xx at 0.05 % <https://grafana/d/1>",
        "Status changed: active → mitigated",
    ]


def test_an_outcome_is_recorded_once(mitigations, playbook, incident):
    applied = mitigations.apply(
        incident.id, playbook.option("scale"), action="", expected_effect="queue drains"
    )
    mitigations.record_outcome(applied.id, worked=False, note="queue still growing")
    with pytest.raises(ValidationError):
        mitigations.record_outcome(applied.id, worked=True)
    assert mitigations.mitigations(incident.id)[0].outcome is Outcome.DID_NOT_WORK


def test_pending_check_backs_cover_open_incidents_only(
    service, mitigations, playbook, incident, clock
):
    applied = mitigations.apply(
        incident.id, playbook.option("scale"), action="", expected_effect="queue drains"
    )
    [pending] = mitigations.pending_check_backs()
    assert pending.mitigation.id == applied.id and pending.incident.id == incident.id
    assert not pending.mitigation.check_back_due(clock.now())
    clock.advance(minutes=10)
    assert pending.mitigation.check_back_due(clock.now())
    service.set_status(incident.id, Status.RESOLVED, "recovered on its own")
    assert mitigations.pending_check_backs() == []


def test_triage_answers_are_recorded_once_and_flags_returned(
    service, mitigations, playbook, incident
):
    answers = {"impact": "EU checkout fails", "security": "yes", "security.note": "odd admin"}
    flags = mitigations.record_triage(incident.id, playbook, answers)
    assert {f.value for f in flags} == {"security"}
    assert texts(service, incident.id, EventKind.TRIAGE) == [
        "Triage: What is the user impact right now? EU checkout fails",
        "Triage: Is this a security breach? Yes — odd admin",
        "Security path: preserve evidence and isolate before changing anything",
    ]
    # Unchanged answers are not recorded again; a changed one is.
    mitigations.record_triage(incident.id, playbook, {**answers, "impact": "all checkout"})
    assert texts(service, incident.id, EventKind.TRIAGE)[-1] == (
        "Triage: What is the user impact right now? all checkout"
    )
    assert len(texts(service, incident.id, EventKind.TRIAGE)) == 4
    assert mitigations.progress(incident.id).answers["impact"] == "all checkout"


def test_security_path_without_every_step_needs_a_reason(service, mitigations, playbook, incident):
    steps = playbook.security_steps
    with pytest.raises(ValidationError):
        mitigations.record_security_steps(incident.id, steps, [steps[0]], "")
    mitigations.record_security_steps(incident.id, steps, list(steps[:2]), "security on call")
    last = texts(service, incident.id)[-2:]
    assert last[0].startswith("Security path done: Preserve evidence")
    assert last[1].startswith("Security path: went ahead before Bring in the security team")
    assert last[1].endswith(": security on call")


@pytest.mark.parametrize("check", ["", None])
def test_mitigated_needs_a_chosen_kind_of_check(service, mitigations, incident, check):
    """No default: the record says what the user saw, or nothing is recorded."""
    with pytest.raises(ValidationError) as unchosen:
        mitigations.mark_mitigated(incident.id, check, "5xx at 0.05 %")
    assert unchosen.value.field == "check"
    assert "choose how recovery was measured" in unchosen.value.message
    assert service.get(incident.id).status is Status.TRIAGE
    assert texts(service, incident.id) == ["Declared P1: Checkout 500s"]


def test_a_change_with_no_time_says_nothing_about_the_impact_start(
    service, mitigations, playbook, incident
):
    mitigations.apply(
        incident.id,
        playbook.option("rollback"),
        action="revert 4812",
        expected_effect="errors stop",
        change=ChangeFacts("deploy 4812", None),
    )
    [applied] = texts(service, incident.id, EventKind.MITIGATION)
    assert applied.endswith("; suspected change: deploy 4812")
    assert "impact started" not in applied
