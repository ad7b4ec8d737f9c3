"""Every key moment has an effective time (when it happened) besides the time it was typed:
each action takes `at`, its row sits where it happened, and correcting a key time moves the
row it dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.incident import EventKind, KeyTime
from warroom.domain.lifecycle import Role
from warroom.domain.mitigation import RecoveryCheck
from warroom.domain.playbook import load_playbook_file
from warroom.domain.validation import ValidationError
from warroom.system.paths import builtin_playbook_file

D = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # weeks before the test clock: typed in later
MIN = timedelta(minutes=1)


def at_of(service, incident_id, kind):
    return [(e.at, e.recorded_at) for e in service.timeline(incident_id) if e.kind is kind]


def test_each_action_is_recorded_when_it_happened(services, clock):
    service = services.incidents
    incident = service.declare(
        "Queue backlog", "P2", impact_started_at=D - 20 * MIN, declared_at=D,
        detected_at=D - 5 * MIN,
    )  # fmt: skip
    now = clock.now()
    service.acknowledge(incident.id, at=D + 4 * MIN)
    service.change_severity(incident.id, "P1", "EU too", at=D + 10 * MIN)
    service.assign_role(incident.id, Role.SCRIBE, "Lee Chen", at=D + 11 * MIN)
    service.mark_update_sent(incident.id, "Backlog draining", at=D + 12 * MIN)
    service.set_status(incident.id, "active", at=D + 13 * MIN)
    playbook = load_playbook_file(builtin_playbook_file())
    applied = services.mitigations.apply(
        incident.id, playbook.options[1], action="Scaled workers to 40",
        expected_effect="backlog under 1,000 in 10 min", at=D + 14 * MIN,
    )  # fmt: skip
    assert applied.check_back_at == D + 24 * MIN  # ten minutes after it was made
    services.mitigations.record_outcome(applied.id, "worked", at=D + 30 * MIN)
    services.mitigations.mark_mitigated(
        incident.id, RecoveryCheck.KEY_METRIC, "backlog at 0", at=D + 31 * MIN
    )
    record = service.get(incident.id)
    assert (record.declared_at, record.detected_at) == (D, D - 5 * MIN)
    assert record.acknowledged_at == D + 4 * MIN
    assert (record.severity.value, record.severity_changed_at) == ("P1", D + 10 * MIN)
    assert record.last_update_at == D + 12 * MIN
    assert record.mitigated_at == D + 31 * MIN
    for kind, when in (
        (EventKind.DECLARED, D),
        (EventKind.ACKNOWLEDGED, D + 4 * MIN),
        (EventKind.SEVERITY_CHANGED, D + 10 * MIN),
        (EventKind.UPDATE_SENT, D + 12 * MIN),
        (EventKind.MITIGATION, D + 14 * MIN),
        (EventKind.CHECK_BACK, D + 30 * MIN),
        (EventKind.VERIFIED, D + 31 * MIN),
    ):
        assert at_of(service, incident.id, kind) == [(when, now)], kind
    roles = at_of(service, incident.id, EventKind.ROLE_ASSIGNED)
    assert roles == [(D + 11 * MIN, now)]


def test_a_check_back_before_its_change_is_refused_and_changes_nothing(services, clock):
    incident = services.incidents.declare("Queue backlog", "P2", declared_at=D)
    playbook = load_playbook_file(builtin_playbook_file())
    applied = services.mitigations.apply(
        incident.id, playbook.options[1], action="Scaled workers to 40",
        expected_effect="backlog under 1,000", at=D + 14 * MIN,
    )  # fmt: skip
    before = services.incidents.timeline(incident.id)
    for answer in (
        lambda: services.mitigations.record_outcome(applied.id, "worked", at=D + 13 * MIN),
        lambda: services.mitigations.park(applied.id, "vendor ticket 5521", at=D + 10 * MIN),
    ):
        with pytest.raises(ValidationError, match="before “Scaled workers to 40” was made"):
            answer()
    assert services.incidents.timeline(incident.id) == before
    assert services.mitigations.mitigations(incident.id)[0].unverified


def test_correcting_a_key_time_moves_the_row_it_dates(service, clock):
    incident = service.declare("Login errors", "P1")
    clock.advance(minutes=5)
    service.acknowledge(incident.id)
    typed = clock.now()
    clock.advance(minutes=30)
    service.set_key_time(incident.id, KeyTime.DECLARED, typed - 45 * MIN)
    service.set_key_time(incident.id, KeyTime.ACKNOWLEDGED, typed - 40 * MIN)
    events = service.timeline(incident.id)
    assert [(e.kind, e.at) for e in events[:2]] == [
        (EventKind.DECLARED, typed - 45 * MIN),
        (EventKind.ACKNOWLEDGED, typed - 40 * MIN),
    ]
    # The response verdict follows the corrected facts: acknowledged 5 min after declaring.
    assert service.get(incident.id).response_due_at == typed - 45 * MIN + 30 * MIN
