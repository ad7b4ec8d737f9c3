"""What is written comes back exactly: every field, in UTC, to the microsecond, across reopen;
on the local SQLite file and on a shared PostgreSQL server alike."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from tests.adapters.conftest import BOTH_ENGINES
from warroom.adapters.sql.models import IncidentRow
from warroom.adapters.sql.sqlite.database import BUSY_TIMEOUT_MS
from warroom.adapters.sql.types import UTCDateTime
from warroom.bootstrap import incident_service
from warroom.domain.incident import EventKind, Incident, KeyTime
from warroom.domain.lifecycle import Role, Status
from warroom.domain.severity import Severity
from warroom.domain.validation import ValidationError

T0 = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=UTC)  # the fake clock's start
MIN = timedelta(minutes=1)
IST = timezone(timedelta(hours=5, minutes=30))
DIALECT = sqlite_dialect.dialect()
TIME_COLUMNS = [
    "impact_started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "severity_changed_at",
    "last_update_at",
]


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def datetime_fields(incident):
    return {
        f.name: getattr(incident, f.name)
        for f in dataclasses.fields(incident)
        if isinstance(getattr(incident, f.name), datetime)
    }


def assert_utc(moment):
    assert moment.tzinfo is UTC, moment
    assert moment.utcoffset() == timedelta(0)


def snapshot(service):
    incidents = service.list_incidents(include_closed=True)
    return incidents, {i.id: service.timeline(i.id) for i in incidents}


def build_full_incident(service, clock, original=None):
    """Drives one incident through every field the service can set (with `original`, as a
    duplicate of it); returns what to expect."""
    started = datetime(2026, 11, 22, 19, 0, 0, 654321, tzinfo=IST)  # 13:30:00.654321 UTC
    detected = datetime(2026, 11, 22, 13, 45, 0, 1, tzinfo=UTC)
    created = service.declare(
        "Checkout returns 500 for EU cards",
        "P2",
        impact="EU card payments fail; ~12% of orders.",
        impact_started_at=started,
        commander="Dana Whitfield",
        is_drill=True,
        is_security=True,
        service="payments-gateway",
        dedupe_key="checkout-eu-5xx",
    )
    if original is not None:
        service.mark_duplicate(created.id, of=original)
    service.set_key_time(created.id, KeyTime.DETECTED, detected)
    clock.advance(minutes=2)
    service.acknowledge(created.id)
    service.set_status(created.id, "active")
    clock.advance(minutes=1)
    service.change_severity(created.id, "P0", "all regions")
    clock.advance(minutes=2)
    service.mark_update_sent(created.id, "Rolling back the payment gateway")
    service.assign_role(created.id, Role.TECH_LEAD, "Sam Okafor")
    service.assign_role(created.id, Role.COMMS_LEAD, "Priya Raman")
    service.assign_role(created.id, Role.SCRIBE, "Lee Chen")
    clock.advance(minutes=5)
    service.set_status(created.id, "mitigated", "verified by hand")
    clock.advance(minutes=10)
    service.set_status(created.id, "resolved", "recovered on its own")
    return Incident(
        id=created.id,
        title="Checkout returns 500 for EU cards",
        severity=Severity.P0,
        status=Status.RESOLVED,
        impact="EU card payments fail; ~12% of orders.",
        declared_at=T0,
        impact_started_at=started,
        severity_changed_at=T0 + 3 * MIN,
        detected_at=detected,
        acknowledged_at=T0 + 2 * MIN,
        mitigated_at=T0 + 10 * MIN,
        resolved_at=T0 + 20 * MIN,
        last_update_at=T0 + 5 * MIN,
        roles={
            Role.COMMANDER: "Dana Whitfield",
            Role.TECH_LEAD: "Sam Okafor",
            Role.COMMS_LEAD: "Priya Raman",
            Role.SCRIBE: "Lee Chen",
        },
        is_drill=True,
        response_due_at=T0 + 120 * MIN,  # P2's target, the one in force when acknowledged
        is_security=True,
        service="payments-gateway",
        resolution_recorded_at=T0 + 20 * MIN,
        dedupe_key="checkout-eu-5xx",
        duplicate_of=original,
    )


def test_every_incident_field_round_trips(service, clock, db):
    original = service.declare("Card payments failing", "P2")
    expected = build_full_incident(service, clock, original=original.id)
    assert all(getattr(expected, f.name) not in (None, {}) for f in dataclasses.fields(Incident))
    stored = service.get(expected.id)
    assert stored == expected
    for moment in datetime_fields(stored).values():
        assert_utc(moment)
    # Seen from a brand-new service too, not only from the one that wrote it.
    assert incident_service(db, clock).get(expected.id) == expected


def test_non_utc_impact_start_comes_back_equal_and_in_utc(service):
    started = datetime(2026, 11, 22, 19, 15, tzinfo=IST)
    incident = service.declare("DNS", "P1", impact_started_at=started)
    stored = service.get(incident.id).impact_started_at
    assert stored == started
    assert_utc(stored)
    assert stored == datetime(2026, 11, 22, 13, 45, tzinfo=UTC)


def test_microseconds_are_preserved(service, raw):
    incident = service.declare("Latency", "P2")
    assert service.get(incident.id).declared_at.microsecond == 123456
    [(declared,)] = raw.rows("SELECT declared_at FROM incident")
    if raw.engine == "postgresql":  # timestamptz, read as an aware time
        assert declared == T0 and declared.microsecond == 123456
    else:
        assert declared == "2026-11-22T14:00:00.123456+00:00"


def test_drill_flag_round_trips_both_ways(service):
    real = service.declare("Real", "P2")
    drill = service.declare("Drill", "P2", is_drill=True)
    assert service.get(real.id).is_drill is False
    assert service.get(drill.id).is_drill is True
    service.set_drill(drill.id, False)
    assert service.get(drill.id).is_drill is False


def test_every_key_time_set_by_hand_round_trips(service, clock, db_path):
    """Key times typed in with any offset are stored and read back as the same instants."""
    incident = service.declare("Queue backlog", "P1")
    clock.advance(hours=1)
    values = {
        # In UTC: 13:10, 13:20, 13:30, 13:40, 13:50, 13:55, each typed in another zone.
        KeyTime.IMPACT_STARTED: datetime(2026, 11, 22, 18, 40, 0, 111111, tzinfo=IST),
        KeyTime.DETECTED: datetime(2026, 11, 22, 6, 20, 0, 222222, tzinfo=timezone(-7 * 60 * MIN)),
        KeyTime.DECLARED: datetime(2026, 11, 22, 14, 30, 0, 333333, tzinfo=timezone(60 * MIN)),
        KeyTime.ACKNOWLEDGED: datetime(2026, 11, 22, 22, 40, 0, 444444, tzinfo=timezone(540 * MIN)),
        KeyTime.MITIGATED: datetime(2026, 11, 22, 10, 20, 0, 555555, tzinfo=timezone(-210 * MIN)),
        KeyTime.RESOLVED: datetime(2026, 11, 22, 13, 55, 0, 666666, tzinfo=UTC),
    }
    for key, value in values.items():
        service.set_key_time(incident.id, key, value)
        assert service.get(incident.id).key_time(key) == value
    stored = service.get(incident.id)
    for key, value in values.items():
        assert stored.key_time(key) == value
        assert_utc(stored.key_time(key))
    edits = [e for e in service.timeline(incident.id) if e.kind is EventKind.TIME_EDITED]
    # An acknowledgement typed in afterwards is the acknowledgement itself, at its time.
    corrected = {k: v for k, v in values.items() if k is not KeyTime.ACKNOWLEDGED}
    assert [e.data["key"] for e in edits] == [k.value for k in corrected]
    assert [datetime.fromisoformat(e.data["new"]) for e in edits] == list(corrected.values())
    [acknowledged] = [e for e in service.timeline(incident.id) if e.kind is EventKind.ACKNOWLEDGED]
    assert acknowledged.at == values[KeyTime.ACKNOWLEDGED]


def test_roles_round_trip_and_unassigning_removes_them(service):
    incident = service.declare("Roles", "P2", commander="Dana")
    for role, person in [
        (Role.TECH_LEAD, "Sam"),
        (Role.COMMS_LEAD, "Priya"),
        (Role.SCRIBE, "Lee"),
    ]:
        service.assign_role(incident.id, role, person)
    assert service.get(incident.id).roles == {
        Role.COMMANDER: "Dana",
        Role.TECH_LEAD: "Sam",
        Role.COMMS_LEAD: "Priya",
        Role.SCRIBE: "Lee",
    }
    service.assign_role(incident.id, Role.SCRIBE, "")
    stored = service.get(incident.id)
    assert Role.SCRIBE not in stored.roles
    assert stored.commander == "Dana"


def test_timeline_events_and_their_data_round_trip(service, clock):
    incident = service.declare("Cache race", "P2")
    clock.advance(minutes=1)
    service.change_severity(incident.id, "P0", "prices wrong at checkout → refunds")
    note_text = "Ünïcode ✓ and\nseveral lines\twith tabs"
    note = service.add_note(incident.id, note_text)
    events = service.timeline(incident.id)
    assert [e.kind for e in events] == [
        EventKind.DECLARED,
        EventKind.SEVERITY_CHANGED,
        EventKind.NOTE,
    ]
    declared, changed, stored_note = events
    assert declared.data == {
        "severity": "P2",
        "impact_started_at": T0.isoformat(),
        "is_drill": False,
    }
    assert changed.data == {
        "old": "P2",
        "new": "P0",
        "reason": "prices wrong at checkout → refunds",
    }
    assert stored_note == note
    assert stored_note.text == note_text
    assert stored_note.data == {"backdated": False}
    for event in events:
        assert_utc(event.at)
        assert_utc(event.recorded_at)
        assert event.actor == "Dana Whitfield"
        assert event.incident_id == incident.id


# -- naive datetimes are refused everywhere ------------------------------------------------------

NAIVE = datetime(2026, 11, 22, 13, 0)


def test_utc_datetime_type_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(NAIVE, DIALECT)
    with pytest.raises(TypeError):
        UTCDateTime().process_bind_param("2026-11-22T13:00:00+00:00", DIALECT)


def test_utc_datetime_type_stores_fixed_width_utc_text():
    bound = UTCDateTime().process_bind_param(datetime(2026, 11, 22, 19, 0, tzinfo=IST), DIALECT)
    assert bound == "2026-11-22T13:30:00.000000+00:00"
    assert UTCDateTime().process_bind_param(None, DIALECT) is None


def test_utc_datetime_reads_legacy_naive_text_as_utc():
    loaded = UTCDateTime().process_result_value("2026-11-22T13:30:00", DIALECT)
    assert loaded == datetime(2026, 11, 22, 13, 30, tzinfo=UTC)
    assert_utc(loaded)


def test_a_row_with_a_naive_datetime_is_not_written(db, stored_counts):
    with Session(db.writer) as session:
        session.add(
            IncidentRow(
                title="naive",
                severity="P1",
                status="triage",
                impact_started_at=NAIVE,
                declared_at=NAIVE,
            )
        )
        with pytest.raises(StatementError) as caught:
            session.flush()
        assert isinstance(caught.value.orig, ValueError)
    assert stored_counts() == (0, 0)


def test_the_service_refuses_naive_datetimes(service, stored_counts):
    with pytest.raises(ValidationError) as caught:
        service.declare("naive start", "P1", impact_started_at=NAIVE)
    assert caught.value.field == "impact_started_at"
    assert stored_counts() == (0, 0)

    incident = service.declare("ok", "P1")
    before = stored_counts()
    with pytest.raises(ValidationError) as caught:
        service.set_key_time(incident.id, KeyTime.DETECTED, NAIVE)
    assert caught.value.field == "detected_at"
    with pytest.raises(ValidationError) as caught:
        service.add_note(incident.id, "backdated", at=NAIVE)
    assert caught.value.field == "at"
    assert stored_counts() == before
    assert service.get(incident.id).detected_at is None


@pytest.mark.parametrize("engine", ["sqlite"])
def test_sqlite_holds_utc_text_with_an_explicit_offset(service, clock, raw):
    """Anyone reading the file with sqlite3 sees unambiguous UTC times, not local ones."""
    build_full_incident(service, clock)
    columns = TIME_COLUMNS
    [row] = raw.rows(f"SELECT {', '.join(columns)} FROM incident")
    assert None not in row
    for value in row:
        assert isinstance(value, str)
        assert value.endswith("+00:00"), value
        assert len(value) == len("2026-11-22T14:00:00.000000+00:00")
    assert dict(zip(columns, row, strict=True))["impact_started_at"] == (
        "2026-11-22T13:30:00.654321+00:00"
    )
    for at, recorded_at in raw.rows("SELECT at, recorded_at FROM timeline_event"):
        assert at.endswith("+00:00")
        assert recorded_at.endswith("+00:00")


@pytest.mark.parametrize("engine", ["postgresql"])
def test_postgresql_holds_timestamptz_whatever_the_sessions_zone(service, clock, db, raw):
    """Every time column is a timestamp with time zone: a client in any zone (here Kolkata's)
    reads the same instants, the server compares them as times, and warroom's own sessions in
    that zone still read UTC."""
    expected = build_full_incident(service, clock)
    kinds = raw.rows(
        "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = "
        f"'public' AND column_name IN ({', '.join(repr(c) for c in TIME_COLUMNS)}, 'at', "
        "'recorded_at', 'saved_at', 'collected_at')"
    )
    assert kinds == [("timestamp with time zone",)]
    name = str(raw.target).rsplit("/", 1)[1]
    raw.run(f"ALTER DATABASE {name} SET TimeZone = 'Asia/Kolkata'")  # new sessions only
    db.engine.dispose()  # warroom's next connections are in that zone too
    query = f"SELECT {', '.join(TIME_COLUMNS)} FROM incident"
    [row] = raw.rows(query)
    assert None not in row
    assert all(value.utcoffset() == timedelta(hours=5, minutes=30) for value in row)
    assert dict(zip(TIME_COLUMNS, row, strict=True))["impact_started_at"] == datetime(
        2026, 11, 22, 13, 30, 0, 654321, tzinfo=UTC
    )
    [(late,)] = raw.rows(
        "SELECT COUNT(*) FROM incident WHERE resolved_at > "
        "'2026-11-22T14:19:59.123456+00:00' AND resolved_at < '2026-11-22 19:50:00.123457+05:30'"
    )
    assert late == 1
    service.add_note(expected.id, "read in Kolkata")
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW TimeZone")).scalar() == "Asia/Kolkata"
    assert service.get(expected.id) == expected
    for event in service.timeline(expected.id):
        assert_utc(event.at)
        assert_utc(event.recorded_at)


@given(
    moments=st.lists(
        st.datetimes(
            min_value=datetime(1970, 1, 2),
            max_value=datetime(2200, 1, 1),
            timezones=st.sampled_from(
                [
                    UTC,
                    IST,
                    timezone(timedelta(hours=-9, minutes=-30)),
                    timezone(timedelta(hours=14)),
                ]
            ),
        ),
        min_size=2,
        max_size=6,
    )
)
def test_stored_text_round_trips_and_sorts_in_time_order(moments):
    """Any aware time comes back as the same instant, and the stored text sorts by time."""
    texts = [UTCDateTime().process_bind_param(m, DIALECT) for m in moments]
    assert [UTCDateTime().process_result_value(t, DIALECT) for t in texts] == moments
    by_text = sorted(range(len(moments)), key=lambda i: texts[i])
    assert [moments[i] for i in by_text] == sorted(moments)


# -- connection settings and reopening -----------------------------------------------------------


@pytest.mark.parametrize("engine", ["sqlite"])
@pytest.mark.parametrize("which", ["engine", "writer"])
def test_connections_use_wal_full_sync_foreign_keys_and_busy_timeout(db, which):
    with Session(getattr(db, which)) as session:
        pragma = lambda name: session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
        assert pragma("busy_timeout") > 0


def test_reopening_the_database_returns_identical_data(service, clock, db, data_dir, open_again):
    build_full_incident(service, clock)
    second = service.declare("Second", "P3", impact_started_at=T0 - timedelta(days=1))
    service.add_note(second.id, "earlier", at=T0 - timedelta(hours=3))
    before = snapshot(service)
    db.dispose()

    assert snapshot(incident_service(open_again(), clock)) == before
    assert not (data_dir / "backups").exists()  # no migration, so no backup
