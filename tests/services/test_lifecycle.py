"""The lifecycle through the service: every rule of domain.lifecycle.move_stage, refused
in one sentence with nothing recorded, or let through with what the rule asks for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import RecoveryCheck
from warroom.domain.postmortem import PostmortemStatus
from warroom.services.incidents import StageRefused

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _refused(stored_counts, move) -> StageRefused:
    before = stored_counts()
    with pytest.raises(StageRefused) as caught:
        move()
    assert stored_counts() == before  # nothing recorded
    return caught.value


def test_mitigated_needs_a_verification_or_a_reason(services, clock, stored_counts):
    svc = services.incidents
    incident = svc.declare("Checkout 500s", "P1")
    svc.set_status(incident.id, "active")
    error = _refused(stored_counts, lambda: svc.set_status(incident.id, "mitigated"))
    assert error.message == (
        "Mitigated needs a recorded verification (the measurement that showed recovery, in "
        "the mitigation wizard) or a stated reason to skip it."
    )
    assert error.reason_would_do
    clock.advance(minutes=10)
    moved = svc.set_status(incident.id, "mitigated", "verified on the vendor's dashboard")
    assert moved.status is Status.MITIGATED
    assert moved.mitigated_at == T0 + 10 * MIN
    last = svc.timeline(incident.id)[-1]
    assert last.data["overridden"] == ["verification"]
    assert last.text == "Status changed: active → mitigated: verified on the vendor's dashboard"


def test_a_recorded_verification_lets_mitigated_through(services, clock):
    incident = services.incidents.declare("Checkout 500s", "P1")
    clock.advance(minutes=7)
    services.mitigations.mark_mitigated(incident.id, RecoveryCheck.ERROR_RATE, "5xx at 0.1%")
    moved = services.incidents.get(incident.id)
    assert (moved.status, moved.mitigated_at) == (Status.MITIGATED, T0 + 7 * MIN)


def test_resolved_needs_mitigated_first_or_a_reason(services, clock, stored_counts):
    svc = services.incidents
    incident = svc.declare("Queue backlog", "P2")
    error = _refused(stored_counts, lambda: svc.set_status(incident.id, "resolved"))
    assert error.message == (
        "Resolved needs the incident mitigated first; it is triage. Mitigate it, or state "
        "why not (for example “recovered on its own”)."
    )
    clock.advance(minutes=20)
    resolved = svc.set_status(incident.id, "resolved", "recovered on its own")
    assert resolved.resolved_at == T0 + 20 * MIN
    assert resolved.mitigated_at is None  # a skipped stage gets no invented time
    assert svc.timeline(incident.id)[-1].data["overridden"] == [
        "verification",
        "mitigated first",
    ]


def test_closed_needs_the_published_postmortem_where_policy_requires_one(
    services, clock, stored_counts
):
    svc = services.incidents
    incident = svc.declare("Payments down", "P0")
    svc.set_status(incident.id, "resolved", "recovered on its own")
    error = _refused(stored_counts, lambda: svc.set_status(incident.id, "closed", "we are busy"))
    assert error.message == (
        "Closed needs the post-mortem published first: the policy requires one at this severity."
    )
    assert not error.reason_would_do  # no reason lets it through
    postmortems = services.postmortems
    draft = postmortems.get(incident.id)
    postmortems.save(replace(draft, authors="alice", root_cause="An expired certificate."))
    postmortems.set_status(incident.id, PostmortemStatus.PUBLISHED)
    assert svc.set_status(incident.id, "closed").status is Status.CLOSED


def test_closed_without_a_postmortem_needs_a_reason_where_none_is_required(services, stored_counts):
    svc = services.incidents
    incident = svc.declare("One slow report", "P3")
    svc.set_status(incident.id, "resolved", "recovered on its own")
    error = _refused(stored_counts, lambda: svc.set_status(incident.id, "closed"))
    assert error.message.startswith("Closed needs a published post-mortem, or a stated reason")
    closed = svc.set_status(incident.id, "closed", "no customer impact; nothing to learn")
    assert closed.status is Status.CLOSED


def test_moving_back_needs_a_reason_and_keeps_the_recorded_times(services, clock, stored_counts):
    svc = services.incidents
    incident = svc.declare("Cache race", "P1")
    clock.advance(minutes=10)
    svc.set_status(incident.id, "mitigated", "prices agree on a sample")
    clock.advance(minutes=20)
    svc.set_status(incident.id, "resolved")
    error = _refused(stored_counts, lambda: svc.set_status(incident.id, "active"))
    assert error.message == (
        "Moving back from resolved to active needs a reason: say what changed (the recorded "
        "times stay on the timeline)."
    )
    clock.advance(minutes=5)
    back = svc.set_status(incident.id, "active", "stale prices are back")
    assert back.status is Status.ACTIVE
    assert (back.mitigated_at, back.resolved_at) == (T0 + 10 * MIN, T0 + 30 * MIN)
    event = [e for e in svc.timeline(incident.id) if e.kind is EventKind.STATUS_CHANGED][-1]
    assert event.text == "Status moved back: resolved → active: stale prices are back"
    # Resolving again keeps the recorded times: a correction is an explicit key-time edit.
    clock.advance(minutes=30)
    again = svc.set_status(incident.id, "resolved", "fixed for good")
    assert (again.mitigated_at, again.resolved_at) == (T0 + 10 * MIN, T0 + 30 * MIN)


def test_the_gui_and_the_cli_and_the_service_share_one_refusal(services):
    """The sentence a refused move gives is the domain's: no caller words it again."""
    from warroom.domain.lifecycle import MoveRefused, StageFacts, move_stage

    facts = StageFacts(
        status=Status.TRIAGE,
        verified=False,
        mitigated_at=None,
        resolved_at=None,
        impact_started_at=T0,
        postmortem_published=False,
        postmortem_required=True,
    )
    with pytest.raises(MoveRefused) as domain_says:
        move_stage(facts, Status.RESOLVED, "", T0)
    incident = services.incidents.declare("Same words", "P1")
    with pytest.raises(StageRefused) as service_says:
        services.incidents.set_status(incident.id, "resolved")
    assert service_says.value.message == domain_says.value.message
