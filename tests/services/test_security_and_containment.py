"""A security incident from the start, containment and remediation, through the services:
a ransomware-like P0 declared as security holds a containment until the volatile evidence is
preserved (or a reason is recorded); pending items that are not volatile do not hold it; a
second containment may follow the first; a parked step does not hold up "mitigated"; and
containment is taken back after mitigation by a recorded step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.domain.evidence import ItemState
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import Decision, Outcome, StepKind
from warroom.domain.playbook import load_playbook_file
from warroom.services.incidents import ValidationError
from warroom.services.mitigation import ChangePending, PreserveFirst
from warroom.system.paths import builtin_playbook_file


@pytest.fixture
def playbook():
    return load_playbook_file(builtin_playbook_file())


@pytest.fixture
def ransomware(services, clock):
    incident = services.incidents.declare(
        "File shares encrypted, ransom note on hosts",
        "P0",
        impact_started_at=clock.now() - timedelta(minutes=20),
        commander="Priya Raman",
        is_security=True,
    )
    services.incidents.acknowledge(incident.id)
    return incident


def block_ips(services, playbook, incident_id, **extra):
    return services.mitigations.apply(
        incident_id,
        playbook.option("rate_limit"),
        action="block 3 IPs at the edge",
        expected_effect="no more connections from the attacker's hosts",
        kind=StepKind.CONTAINMENT,
        **extra,
    )


def volatile(services, incident_id):
    return [i for i in services.evidence.checklist(incident_id) if i.before_change]


def events(services, incident_id, kind):
    return [e for e in services.incidents.timeline(incident_id) if e.kind is kind]


def test_a_containment_waits_for_the_volatile_evidence_of_a_security_incident(
    services, playbook, ransomware
):
    with pytest.raises(PreserveFirst) as refused:
        block_ips(services, playbook, ransomware.id)
    assert refused.value.pending == [i.name for i in volatile(services, ransomware.id)]
    assert "Process and memory state" in refused.value.pending
    assert "External status pages" not in refused.value.pending
    assert services.mitigations.mitigations(ransomware.id) == []

    for item in volatile(services, ransomware.id):
        services.evidence.mark_not_applicable(item.id, "imaged by the forensics team")
    # Other items are still pending; they do not hold up a change.
    pending = [
        i for i in services.evidence.checklist(ransomware.id) if i.state is ItemState.PENDING
    ]
    assert [i.name for i in pending if i.name == "External status pages"]
    applied = block_ips(services, playbook, ransomware.id)
    assert applied.kind is StepKind.CONTAINMENT
    assert events(services, ransomware.id, EventKind.OVERRIDE) == []


def test_a_containment_before_the_evidence_goes_ahead_with_a_recorded_reason(
    services, playbook, ransomware
):
    block_ips(services, playbook, ransomware.id, preserve_reason="encryption is spreading now")
    [override] = events(services, ransomware.id, EventKind.OVERRIDE)
    assert override.data["rule"] == "preserve_before_change"
    assert override.data["reason"] == "encryption is spreading now"
    assert "Process and memory state" in override.data["pending"]
    assert "External status pages" not in override.data["pending"]
    assert override.text.endswith(": encryption is spreading now")


def test_triage_saying_breach_marks_the_incident_security(services, playbook, clock):
    incident = services.incidents.declare("Odd logins", "P2")
    assert not incident.is_security
    services.mitigations.record_triage(incident.id, playbook, {"security": "yes"})
    assert services.incidents.get(incident.id).is_security
    [marked] = [
        e for e in services.incidents.timeline(incident.id) if e.data.get("field") == "is_security"
    ]
    assert marked.text == "Marked as a security incident: triage: Is this a security breach? Yes"
    with pytest.raises(PreserveFirst):
        block_ips(services, playbook, incident.id)


def test_a_second_containment_may_follow_an_unverified_first_but_a_rollback_may_not(
    services, playbook, ransomware
):
    reason = "forensics has it"
    for item in volatile(services, ransomware.id):
        services.evidence.mark_not_applicable(item.id, reason)
    first = block_ips(services, playbook, ransomware.id)
    second = services.mitigations.apply(
        ransomware.id,
        playbook.option("redirect"),
        action="isolate file server fs-2 from the network",
        expected_effect="no new encrypted files",
        kind="containment",
    )
    assert first.unverified and second.unverified
    assert events(services, ransomware.id, EventKind.OVERRIDE) == []
    with pytest.raises(ChangePending) as refused:
        services.mitigations.apply(
            ransomware.id,
            playbook.option("rollback"),
            action="restore fs-2 from snapshot",
            expected_effect="files readable",
        )
    assert refused.value.pending == [first, second]


def test_a_parked_step_does_not_hold_up_mitigated_and_can_be_answered_later(
    services, playbook, ransomware, clock
):
    for item in volatile(services, ransomware.id):
        services.evidence.mark_not_applicable(item.id, "forensics has it")
    blocked = block_ips(services, playbook, ransomware.id)
    with pytest.raises(ValidationError, match="Say who or what"):
        services.mitigations.park(blocked.id, "  ")
    parked = services.mitigations.park(blocked.id, "the CDN vendor, ticket 5521")
    assert parked.outcome is Outcome.PARKED
    assert services.mitigations.pending_check_backs() == []
    [event] = events(services, ransomware.id, EventKind.CHECK_BACK)
    assert event.text == "Parked block 3 IPs at the edge: waiting on the CDN vendor, ticket 5521"

    services.mitigations.mark_mitigated(ransomware.id, "error_rate", "no new encryptions 15 min")
    assert services.incidents.get(ransomware.id).status is Status.MITIGATED
    [verified] = events(services, ransomware.id, EventKind.VERIFIED)
    assert verified.data["parked"] == [blocked.id]

    answered = services.mitigations.record_outcome(blocked.id, "partly")
    assert answered.outcome is Outcome.PARTLY


@pytest.mark.parametrize(
    ("answer", "outcome", "said"),
    [
        ("worked", Outcome.WORKED, "worked"),
        ("partly", Outcome.PARTLY, "partly worked"),
        ("no_effect", Outcome.NO_EFFECT, "had no effect"),
        ("made_worse", Outcome.MADE_WORSE, "made it worse"),
    ],
)
def test_four_outcomes_are_recorded(services, playbook, answer, outcome, said):
    incident = services.incidents.declare("Checkout 500s", "P1")
    applied = services.mitigations.apply(
        incident.id, playbook.option("scale"), action="add 4 pods", expected_effect="p99 < 1 s"
    )
    assert applied.kind is StepKind.SCALE
    checked = services.mitigations.record_outcome(applied.id, answer, note="p99 at 3 s")
    assert checked.outcome is outcome
    [event] = events(services, incident.id, EventKind.CHECK_BACK)
    assert event.text == f"Check-back: add 4 pods {said}: p99 at 3 s"
    assert event.data["outcome"] == outcome.value
    with pytest.raises(ValidationError, match="already checked"):
        services.mitigations.record_outcome(applied.id, "worked")


def test_an_answer_that_is_not_an_outcome_is_refused(services, playbook):
    incident = services.incidents.declare("Checkout 500s", "P1")
    applied = services.mitigations.apply(
        incident.id, playbook.option("scale"), action="add 4 pods", expected_effect="p99 < 1 s"
    )
    with pytest.raises(ValidationError, match="A check-back answers one of"):
        services.mitigations.record_outcome(applied.id, "parked")


def test_containment_is_removed_after_mitigation_by_a_recorded_step(services, playbook, ransomware):
    for item in volatile(services, ransomware.id):
        services.evidence.mark_not_applicable(item.id, "forensics has it")
    blocked = block_ips(services, playbook, ransomware.id)
    with pytest.raises(ValidationError, match="containment stays until impact is mitigated"):
        services.mitigations.remove_containment(blocked.id, "attacker gone")
    services.mitigations.record_outcome(blocked.id, "worked")
    services.mitigations.mark_mitigated(ransomware.id, "health_check", "shares healthy 30 min")

    removed = services.mitigations.remove_containment(blocked.id, "keys rotated, hosts rebuilt")
    assert removed.decision is Decision.REMOVED
    assert removed.kind is StepKind.CONTAINMENT
    last = services.incidents.timeline(ransomware.id)[-1]
    assert last.kind is EventKind.MITIGATION
    assert last.text == (
        "Containment removed: block 3 IPs at the edge (keys rotated, hosts rebuilt)"
    )
    assert last.data["removes"] == blocked.id
    with pytest.raises(ValidationError, match="not a containment step in force"):
        services.mitigations.remove_containment(blocked.id, "again")


def test_the_kind_is_stored_and_an_unknown_kind_is_refused(services, playbook):
    incident = services.incidents.declare("Checkout 500s", "P1")
    with pytest.raises(ValidationError, match="Unknown kind of step .magic."):
        services.mitigations.apply(
            incident.id,
            playbook.option("rollback"),
            action="revert",
            expected_effect="5xx stop",
            kind="magic",
        )
    applied = services.mitigations.apply(
        incident.id, playbook.option("disable_feature"), action="flag off", expected_effect="ok"
    )
    assert services.mitigations.mitigations(incident.id)[0].kind is StepKind.FEATURE_FLAG
    assert applied.kind is StepKind.FEATURE_FLAG
