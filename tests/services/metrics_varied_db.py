"""A deliberately varied incident database for comparing metrics computed in SQL with the
pure-domain computation: drills, duplicates, backdated and out-of-order events, severity
changes, reopened incidents, mitigation steps that worked or not, missed update cadences
(some withdrawn, some damaged), several services spelled differently, several months.

A few incidents go through the real services (so real rows are mixed in); the rest is
inserted with sqlite3, which lets it hold what the app only writes in rarer paths."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import build
from warroom.domain.clock import FakeClock

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
SEVERITIES = ("P0", "P1", "P2", "P3")
OPEN = ("triage", "active", "mitigated")
CLOSED = ("resolved", "postmortem", "closed")
SERVICES = ("checkout", "Checkout", " checkout ", "search", "auth  api", "auth api", "", "CDN")
ITEM_STATUSES = ("open", "in_progress", "done", "wont_do")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


def build_varied(folder: Path, seed: int, incidents: int = 160, policy=None) -> Path:
    """Creates folder/warroom.db; returns its path. The clock of the services is NOW."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "warroom.db"
    rng = random.Random(seed)
    clock = FakeClock(NOW - timedelta(days=2))
    database = open_database(path, now=clock.now())
    try:
        services = build(database, clock, actor="alice", policy=policy)
        service = services.incidents
        first = service.declare("Checkout | 500s", "P1", impact="EU checkout")
        clock.advance(minutes=31)
        services.cadence.record_missed(clock.now())
        service.acknowledge(first.id)
        clock.advance(minutes=5)
        service.mark_update_sent(first.id, "Investigating")
        service.change_severity(first.id, "P0", "worse than thought")
        clock.advance(minutes=50)
        services.cadence.record_missed(clock.now())
        service.mark_update_sent(first.id, "Late, typed in", at=clock.now() - timedelta(hours=1))
        services.cadence.record_missed(clock.now(), first.id)
        second = service.declare(
            "Search slow",
            "P3",
            declared_at=NOW - timedelta(days=40),
            impact_started_at=NOW - timedelta(days=40, minutes=7),
            is_drill=True,
        )
        service.add_note(second.id, "a drill")
    finally:
        database.dispose()

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        next_id = conn.execute("SELECT MAX(id) FROM incident").fetchone()[0] + 1
        ids = list(range(next_id, next_id + incidents))
        for incident_id in ids:
            _incident(conn, rng, incident_id, ids)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def _incident(conn: sqlite3.Connection, rng: random.Random, incident_id: int, ids) -> None:
    declared = NOW - timedelta(days=rng.uniform(0, 200), seconds=rng.randint(0, 59))
    declared = declared.replace(microsecond=rng.choice((0, 0, 123456)))
    severity = rng.choice(SEVERITIES)
    status = rng.choice(OPEN + CLOSED)
    started = declared - timedelta(minutes=rng.randint(0, 90))
    detected = rng.choice((None, started + timedelta(minutes=rng.randint(-5, 30))))
    acked = rng.choice((None, declared + timedelta(minutes=rng.randint(-3, 60))))
    mitigated = resolved = None
    if status in ("mitigated", *CLOSED) or rng.random() < 0.1:
        mitigated = declared + timedelta(minutes=rng.randint(-10, 600))
    if status in CLOSED or rng.random() < 0.1:  # some reopened: resolved_at kept, status open
        resolved = declared + timedelta(minutes=rng.randint(5, 3000))
    duplicate_of = None
    if rng.random() < 0.08 and incident_id > ids[0]:
        duplicate_of = rng.randrange(ids[0], incident_id)
    conn.execute(
        "INSERT INTO incident (id, title, severity, status, impact, impact_started_at,"
        " detected_at, declared_at, acknowledged_at, mitigated_at, resolved_at,"
        " severity_changed_at, last_update_at, commander, tech_lead, comms_lead, scribe,"
        " is_drill, is_security, service, resolution_recorded_at, duplicate_of)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?, ?, ?, ?)",
        (
            incident_id,
            f"Incident {incident_id}",
            severity,
            status,
            "impact",
            iso(started),
            iso(detected),
            iso(declared),
            iso(acked),
            iso(mitigated),
            iso(resolved),
            None,
            None,
            rng.choice(("", "Dana")),
            int(rng.random() < 0.1),
            int(rng.random() < 0.1),
            rng.choice(SERVICES),
            iso(resolved + timedelta(hours=rng.randint(0, 30))) if resolved else None,
            duplicate_of,
        ),
    )
    events: list[tuple] = []

    def add(kind: str, at: datetime, data: dict | str | None = None, recorded=None) -> None:
        text = data if isinstance(data, str) else json.dumps(data or {})
        events.append((incident_id, kind, iso(at), iso(recorded or at), "x", kind, text))

    add("declared", declared, {"severity": severity})
    end = resolved or NOW
    span_s = max((end - declared).total_seconds(), 60)
    for _ in range(rng.randint(0, 25)):
        at = declared + timedelta(seconds=rng.uniform(-600, span_s))
        roll = rng.random()
        late = at + timedelta(hours=rng.randint(1, 50)) if rng.random() < 0.2 else None
        if roll < 0.25:
            add("update_sent", at, {}, late)  # backdated (entered later) now and then
        elif roll < 0.35:
            decision = rng.choice(("applied", "applied", "rejected", "not_applicable"))
            add("mitigation", at, {"decision": decision, "option": "rollback"})
        elif roll < 0.42:
            add("check_back", at, {"outcome": rng.choice(("worked", "worked", "failed"))})
        elif roll < 0.47:
            add("mitigation", at, "{}")  # no decision said
        elif roll < 0.52:
            new = rng.choice(SEVERITIES)
            add("severity_changed", at, {"old": severity, "new": new})
        elif roll < 0.57:
            new = rng.choice(OPEN + CLOSED)
            add("status_changed", at, {"old": "active", "new": new})
        elif roll < 0.70:
            due = declared + timedelta(minutes=30 * rng.randint(1, 6))
            level = rng.choice(SEVERITIES)
            cadence = rng.choice(("missed", "missed", "missed", "withdrawn"))
            data: dict = {"cadence": cadence, "due": due.isoformat(), "severity": level}
            if rng.random() < 0.15:  # the same deadline written another way
                data["due"] = due.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if rng.random() < 0.05:
                data.pop("severity")  # damaged: not counted
            add("reminder", at, data, at + timedelta(seconds=rng.randint(0, 3)))
        elif roll < 0.73:
            add("reminder", at, {"snoozed": "ack"})
        else:
            add("note", at, {})
    if rng.random() < 0.3:  # two updates at the very same time
        twin = declared + timedelta(minutes=3)
        add("update_sent", twin)
        add("update_sent", twin)
    conn.executemany(
        "INSERT INTO timeline_event (incident_id, kind, at, recorded_at, actor, text, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    if rng.random() < 0.5:
        pm_status = rng.choice(("draft", "in_review", "published"))
        conn.execute(
            "INSERT INTO postmortem (incident_id, status, title, authors, impact, root_cause,"
            " contributing_factors, detection, detection_sooner, went_well, went_poorly,"
            " lessons, prevention, timeline_edits, added_rows, saved_at)"
            " VALUES (?, ?, '', '', '', '', '', '', '', '', '', '', '', '{}', '[]', ?)",
            (incident_id, pm_status, iso(NOW)),
        )
        for position in range(rng.randint(0, 4)):
            deadline = (NOW + timedelta(days=rng.randint(-20, 20))).date().isoformat()
            conn.execute(
                "INSERT INTO action_item (incident_id, position, action, owner, deadline,"
                " status, priority, kind) VALUES (?, ?, 'act', 'bo', ?, ?, 'high', 'prevent')",
                (incident_id, position, rng.choice((deadline, None)), rng.choice(ITEM_STATUSES)),
            )
