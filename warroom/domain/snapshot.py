"""An incident and its clocks as plain JSON-ready data, for scripts and alert hooks.
Every timestamp is ISO 8601 with an explicit offset."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from warroom.domain import clocks
from warroom.domain.incident import Incident, KeyTime, TimelineEvent
from warroom.domain.lifecycle import Role
from warroom.domain.policy import Policy
from warroom.domain.safe_text import json_safe


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(span: Any) -> int | None:
    return None if span is None else int(span.total_seconds())


def incident_snapshot(incident: Incident, policy: Policy, now: datetime) -> dict[str, Any]:
    response = clocks.response_clock(incident, policy, now)
    update = clocks.update_clock(incident, policy, now)
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "impact": incident.impact,
        "is_drill": incident.is_drill,
        "roles": {role.value: incident.roles.get(role, "") for role in Role},
        **{key.value: iso(incident.key_time(key)) for key in KeyTime},
        "severity_changed_at": iso(incident.severity_changed_at),
        "last_update_at": iso(incident.last_update_at),
        "elapsed_seconds": _seconds(clocks.elapsed(incident, now)),
        "response": {
            "state": response.state.value,
            "deadline": iso(response.deadline),
            "remaining_seconds": _seconds(response.remaining),
            "acknowledged_after_seconds": _seconds(response.took),
        },
        "next_update": {
            "state": update.state.value,
            "deadline": iso(update.deadline),
            "remaining_seconds": _seconds(update.remaining),
        },
        "as_of": iso(now),
    }


def event_snapshot(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "at": iso(event.at),
        "recorded_at": iso(event.recorded_at),
        "actor": event.actor,
        "text": event.text,
        "data": event.data,
    }


def board_order(incidents: list[Incident], policy: Policy, now: datetime) -> list[Incident]:
    """`list`'s order: most severe first, then the nearest deadline (none: `now`)."""
    return sorted(
        incidents, key=lambda i: (i.severity.rank, clocks.next_deadline(i, policy) or now)
    )


def incident_with_timeline(
    incident: Incident, timeline: list[TimelineEvent], policy: Policy, now: datetime
) -> dict[str, Any]:
    """`show --json`: the incident, its clocks at `now` and its timeline."""
    snapshot = incident_snapshot(incident, policy, now)
    snapshot["timeline"] = [event_snapshot(e) for e in timeline]
    return snapshot


def json_text(value: Any) -> str:
    """The CLI's JSON output, newline included. Exact: json.dumps escapes C0 controls;
    json_safe escapes DEL, C1 and bidi controls too."""
    return json_safe(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"
