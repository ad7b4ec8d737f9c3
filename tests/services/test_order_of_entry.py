"""The same facts entered in any order give the same record: clocks, verdicts, measures and
the timeline. An incident worked live and the same incident typed in days later from a chat
log, in whatever order the scribe finds things, must read alike.

WARROOM_FUZZ_EXAMPLES sets the examples (default 15, each enters about twenty facts twice;
CI's long step runs more)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.domain import clocks
from warroom.domain.incident import KeyTime
from warroom.domain.spans import first_update_at, spans

EXAMPLES = max(1, int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "40")) * 3 // 8)
MIN = timedelta(minutes=1)
# Long ago, so every fact is in the past of the test clock whatever the draw.
DECLARED = datetime(2026, 3, 28, 23, 40, tzinfo=UTC)


@st.composite
def facts(draw):
    """Minutes after the declaration for each fact, in a believable order per kind."""
    started = draw(st.integers(0, 120))  # impact started this long before declaring
    detected = draw(st.integers(0, started))  # detected between impact and declaration
    ack = draw(st.integers(0, 90))
    changes = draw(
        st.lists(
            st.tuples(st.integers(-5, 600), st.sampled_from(["P0", "P1", "P2", "P3"])),
            max_size=3,
            unique_by=lambda c: c[0],
        )
    )
    updates = draw(st.lists(st.integers(0, 900), max_size=4, unique=True))
    mitigated = draw(st.integers(5, 600))
    resolved = mitigated + draw(st.integers(0, 1500))  # may cross midnight and a day
    return {
        "started": DECLARED - started * MIN,
        "detected": DECLARED - detected * MIN,
        "ack": DECLARED + ack * MIN,
        "changes": [(DECLARED + m * MIN, level) for m, level in changes],
        "updates": [DECLARED + m * MIN for m in updates],
        "mitigated": DECLARED + mitigated * MIN,
        "resolved": DECLARED + resolved * MIN,
    }


def operations(service, incident_id, f):
    ops = [lambda: service.acknowledge(incident_id, at=f["ack"])]
    ops += [
        (lambda at=at, level=level: service.change_severity(incident_id, level, "seen", at=at))
        for at, level in f["changes"]
    ]
    ops += [
        (lambda at=at: service.mark_update_sent(incident_id, "status page", at=at))
        for at in f["updates"]
    ]
    ops.append(lambda: service.set_key_time(incident_id, KeyTime.MITIGATED, f["mitigated"]))
    ops.append(lambda: service.set_key_time(incident_id, KeyTime.RESOLVED, f["resolved"]))
    return ops


def record(service, incident_id, now):
    incident = service.get(incident_id)
    events = service.timeline(incident_id)
    policy = service.policy
    response = clocks.response_clock(incident, policy, now)
    return {
        "severity": incident.severity,
        "since": incident.severity_since,
        "times": {k: incident.key_time(k) for k in KeyTime},
        "last_update": incident.last_update_at,
        "response": (response.state, response.deadline, response.took),
        "update_deadline": clocks.update_deadline(incident, policy),
        "measures": spans(incident, first_update_at(events)),
        "timeline": sorted((e.kind, e.at, e.text) for e in events),
    }


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(f=facts(), data=st.data())
def test_the_same_facts_in_any_order_give_the_same_record(service, clock, f, data):
    def enter(order):
        incident = service.declare(
            "Checkout 500s",
            "P1",
            impact_started_at=f["started"],
            declared_at=DECLARED,
            detected_at=f["detected"],
        )
        ops = operations(service, incident.id, f)
        for index in order(list(range(len(ops)))):
            ops[index]()
        return record(service, incident.id, clock.now())

    as_it_happened = enter(lambda indices: indices)
    typed_later = enter(lambda indices: data.draw(st.permutations(indices)))
    assert typed_later == as_it_happened
