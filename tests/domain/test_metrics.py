"""Metrics across incidents, on a hand-made set whose expected figures were worked out by hand
(see the comments beside each incident) and are written here as literals."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from warroom.domain import spans
from warroom.domain.cadence import missed_severities, recorded_misses, standing_severities
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Status
from warroom.domain.metrics import (
    IncidentRecord,
    Measure,
    MonthTrend,
    Period,
    Stat,
    compute_metrics,
    percent,
    short_duration,
)
from warroom.domain.postmortem import ActionItem, ItemStatus, PostmortemStatus
from warroom.domain.severity import Severity

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def item(status: ItemStatus, deadline: date | None = None) -> ActionItem:
    return ActionItem("do something", status=status, deadline=deadline)


def record(
    id: int,
    severity: Severity,
    status: Status,
    declared: datetime,
    started: datetime,
    *,
    detected: datetime | None = None,
    acknowledged: datetime | None = None,
    mitigated: datetime | None = None,
    resolved: datetime | None = None,
    first_update: datetime | None = None,
    postmortem: PostmortemStatus | None = None,
    items: tuple[ActionItem, ...] = (),
    drill: bool = False,
) -> IncidentRecord:
    incident = Incident(
        id=id,
        title=f"incident {id}",
        severity=severity,
        status=status,
        impact="",
        declared_at=declared,
        impact_started_at=started,
        detected_at=detected,
        acknowledged_at=acknowledged,
        mitigated_at=mitigated,
        resolved_at=resolved,
        is_drill=drill,
    )
    return IncidentRecord(incident, first_update, postmortem, items)


# A: P0, declared on 31 October 23:30 UTC (October: the month boundary).
# detect 10m, ack 25m (from detection), mitigate 60m, resolve 2h, first update 45m (from impact
# start). Published.
A = record(
    1,
    Severity.P0,
    Status.RESOLVED,
    declared=at(10, 31, 23, 30),
    started=at(10, 31, 23, 0),
    detected=at(10, 31, 23, 10),
    acknowledged=at(10, 31, 23, 35),
    mitigated=at(11, 1, 0, 0),
    resolved=at(11, 1, 1, 0),
    first_update=at(10, 31, 23, 45),
    postmortem=PostmortemStatus.PUBLISHED,
    items=(item(ItemStatus.DONE), item(ItemStatus.OPEN, date(2026, 11, 15))),  # overdue
)
# B: P0 in November. detect 5m, ack 25m, mitigate 40m, resolve 4h, first update 40m. Draft.
B = record(
    2,
    Severity.P0,
    Status.CLOSED,
    declared=at(11, 1, 0, 10),
    started=at(11, 1, 0, 0),
    detected=at(11, 1, 0, 5),
    acknowledged=at(11, 1, 0, 30),
    mitigated=at(11, 1, 0, 40),
    resolved=at(11, 1, 4, 0),
    first_update=at(11, 1, 0, 40),
    postmortem=PostmortemStatus.DRAFT,
    items=(
        item(ItemStatus.WONT_DO, date(2026, 11, 2)),  # closed: never overdue
        item(ItemStatus.IN_PROGRESS, date(2026, 12, 2)),  # due today: not overdue yet
        item(ItemStatus.OPEN),  # no deadline: never overdue
    ),
)
# C: P1 in October. detect 30m, ack 40m, mitigate 2h, resolve 4h, no update. Published.
C = record(
    3,
    Severity.P1,
    Status.POSTMORTEM,
    declared=at(10, 10, 12),
    started=at(10, 10, 11),
    detected=at(10, 10, 11, 30),
    acknowledged=at(10, 10, 12, 10),
    mitigated=at(10, 10, 13),
    resolved=at(10, 10, 15),
    postmortem=PostmortemStatus.PUBLISHED,
)
# D: P1, still active, no alert: ack 6m (from declaration), first update 90m; no post-mortem
# due yet.
D = record(
    4,
    Severity.P1,
    Status.ACTIVE,
    declared=at(11, 20, 9),
    started=at(11, 20, 8),
    acknowledged=at(11, 20, 9, 6),
    first_update=at(11, 20, 9, 30),
)
# E: P2 (no post-mortem required). detect 20m, ack 41m, mitigate 1h, resolve 2h30m, update 90m.
E = record(
    5,
    Severity.P2,
    Status.RESOLVED,
    declared=at(11, 5, 10),
    started=at(11, 5, 9),
    detected=at(11, 5, 9, 20),
    acknowledged=at(11, 5, 10, 1),
    mitigated=at(11, 5, 10),
    resolved=at(11, 5, 11, 30),
    first_update=at(11, 5, 10, 30),
    items=(item(ItemStatus.OPEN, date(2026, 11, 10)), item(ItemStatus.DONE)),  # one overdue
)
# Drills with wild values: they would wreck every figure if they were counted.
DRILL_P0 = record(
    6,
    Severity.P0,
    Status.RESOLVED,
    declared=at(11, 10, 0),
    started=at(11, 1, 0),
    detected=at(11, 9, 0),
    acknowledged=at(11, 15, 0),
    mitigated=at(11, 20, 0),
    resolved=at(11, 25, 0),
    first_update=at(11, 12, 0),
    items=(item(ItemStatus.OPEN, date(2026, 11, 1)),) * 5,
    drill=True,
)
DRILL_P1 = record(
    7,
    Severity.P1,
    Status.RESOLVED,
    declared=at(10, 15, 0),
    started=at(10, 1, 0),
    detected=at(10, 14, 0),
    acknowledged=at(10, 30, 0),
    resolved=at(11, 30, 0),
    items=(item(ItemStatus.OPEN, date(2026, 10, 20)),),
    drill=True,
)
# Outside [SINCE, UNTIL): a minute before it starts, and exactly when it ends.
BEFORE = record(
    8,
    Severity.P0,
    Status.RESOLVED,
    declared=at(9, 30, 23, 59),
    started=at(9, 30, 20),
    detected=at(9, 30, 23),
    acknowledged=at(10, 1, 8),
    resolved=at(10, 1, 8),
)
AT_END = record(9, Severity.P2, Status.ACTIVE, declared=UNTIL, started=at(11, 30, 0))

RECORDS = [A, B, C, D, E, DRILL_P0, DRILL_P1, BEFORE, AT_END]


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


@pytest.fixture
def report(policy):
    return compute_metrics(RECORDS, policy, SINCE, UNTIL, NOW)


def test_counts_exclude_drills_and_the_period_edges(report):
    assert [report.by_severity[level].count for level in Severity] == [2, 2, 1, 0]
    assert report.all.count == 5
    assert report.drills_excluded == 2


def test_p0_times(report):
    p0 = report.by_severity[Severity.P0]
    assert p0.detect == Stat(2, s(450), s(450))  # 10m and 5m
    assert p0.acknowledge == Stat(2, s(1500), s(1500))  # 25m and 25m
    assert p0.mitigate == Stat(2, s(3000), s(3000))  # 60m and 40m
    assert p0.resolve == Stat(2, s(10800), s(10800))  # 2h and 4h
    assert p0.first_update == Stat(2, s(2550), s(2550))  # 45m and 40m


def test_p1_uses_only_incidents_where_both_times_exist(report):
    p1 = report.by_severity[Severity.P1]
    assert p1.detect == Stat(1, s(1800), s(1800))
    assert p1.acknowledge == Stat(2, s(1380), s(1380))  # 40m and 6m
    assert p1.mitigate == Stat(1, s(7200), s(7200))
    assert p1.resolve == Stat(1, s(14400), s(14400))
    assert p1.first_update == Stat(1, s(5400), s(5400))  # C sent none


def test_all_row_means_and_medians_differ(report):
    every = report.all
    assert every.detect == Stat(4, s(975), s(900))  # 600 300 1800 1200
    assert every.acknowledge == Stat(5, s(1644), s(1500))  # 1500 1500 2400 360 2460
    assert every.mitigate == Stat(4, s(4200), s(3600))  # 3600 2400 7200 3600
    assert every.resolve == Stat(4, s(11250), s(11700))  # 7200 14400 14400 9000
    assert every.first_update == Stat(4, s(3975), s(4050))  # 2700 2400 5400 5400


def test_an_empty_severity_has_no_figures(report):
    p3 = report.by_severity[Severity.P3]
    assert p3.resolve == Stat(0, None, None)
    assert (p3.pm_required, p3.pm_completion_rate, p3.pm_target) == (0, None, None)
    assert (p3.items_total, p3.closure_rate, p3.overdue) == (0, None, 0)


def test_postmortem_completion_against_the_target(report):
    p0, p1, p2 = (report.by_severity[level] for level in (Severity.P0, Severity.P1, Severity.P2))
    assert (p0.pm_required, p0.pm_published, p0.pm_completion_rate) == (2, 1, 0.5)
    assert p0.pm_target == 1.0 and p0.pm_shortfall
    # D is still active: nothing is due for it yet.
    assert (p1.pm_required, p1.pm_published, p1.pm_completion_rate) == (1, 1, 1.0)
    assert not p1.pm_shortfall
    # P2 needs no write-up by policy: no rate and no target.
    assert (p2.pm_required, p2.pm_completion_rate, p2.pm_target) == (0, None, None)
    assert not p2.pm_shortfall
    assert (report.all.pm_required, report.all.pm_published) == (3, 2)
    assert report.all.pm_completion_rate == pytest.approx(0.6667, abs=1e-4)
    assert report.all.pm_shortfall


def test_action_item_closure_and_overdue(report):
    p0, p1, p2 = (report.by_severity[level] for level in (Severity.P0, Severity.P1, Severity.P2))
    assert (p0.items_total, p0.items_closed, p0.closure_rate, p0.overdue) == (5, 2, 0.4, 1)
    assert (p1.items_total, p1.closure_rate, p1.overdue) == (0, None, 0)
    assert (p2.items_total, p2.items_closed, p2.closure_rate, p2.overdue) == (2, 1, 0.5, 1)
    assert (report.all.items_total, report.all.items_closed, report.all.overdue) == (7, 3, 2)
    assert report.all.closure_rate == pytest.approx(0.4286, abs=1e-4)


def test_months_split_at_the_utc_month_boundary(report):
    # A (31 Oct 23:30 UTC) counts in October though it was resolved in November.
    assert report.months == [
        MonthTrend("2026-10", 2, s(10800), 2),  # A 2h, C 4h
        MonthTrend("2026-11", 3, s(11700), 2),  # B 4h, E 2h30m; D unresolved
    ]


def test_months_include_empty_ones(policy):
    found = compute_metrics(RECORDS, policy, at(8, 1, 0), UNTIL, NOW)
    assert [(t.month, t.count, t.median_resolve) for t in found.months] == [
        ("2026-08", 0, None),
        ("2026-09", 1, s(43200)),  # BEFORE: 20:00 to 08:00
        ("2026-10", 2, s(10800)),
        ("2026-11", 3, s(11700)),
    ]


def test_all_time_runs_from_the_first_incident_to_now(policy):
    found = compute_metrics(RECORDS, policy, None, None, NOW)
    assert found.all.count == 7
    assert found.drills_excluded == 2
    assert [(t.month, t.count) for t in found.months] == [
        ("2026-09", 1),
        ("2026-10", 2),
        ("2026-11", 3),
        ("2026-12", 1),
    ]


def test_the_start_is_inclusive(policy):
    on_the_dot = record(10, Severity.P3, Status.TRIAGE, declared=SINCE, started=SINCE)
    found = compute_metrics([on_the_dot, BEFORE], policy, SINCE, UNTIL, NOW)
    assert found.by_severity[Severity.P3].count == 1
    assert found.all.count == 1


def test_nothing_at_all(policy):
    found = compute_metrics([], policy, None, None, NOW)
    assert found.all.count == 0
    assert found.all.resolve == Stat(0, None, None)
    assert found.months == []
    assert found.drills_excluded == 0


def test_only_drills(policy):
    found = compute_metrics([DRILL_P0, DRILL_P1], policy, SINCE, UNTIL, NOW)
    assert found.all.count == 0
    assert found.all.items_total == 0
    assert found.drills_excluded == 2
    assert [t.count for t in found.months] == [0, 0]


def test_a_reopened_incident_owes_no_postmortem(policy):
    # Resolved once, then moved back to active: the due clock stops, so nothing is required.
    reopened = record(
        11, Severity.P0, Status.ACTIVE, declared=at(11, 2, 0), started=at(11, 2, 0),
        resolved=at(11, 2, 1),
    )  # fmt: skip
    found = compute_metrics([reopened], policy, SINCE, UNTIL, NOW)
    assert found.by_severity[Severity.P0].pm_required == 0


def test_naive_times_are_refused(policy):
    with pytest.raises(ValueError, match="since"):
        compute_metrics([], policy, datetime(2026, 10, 1), None, NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (45, "45s"), (750, "12m 30s"), (7500, "2h 05m"), (277200, "3d 05h 00m")]
    + [(24 * 3600 + 11 * 60, "1d 00h 11m"), (2 * 86400 + 3 * 3600 + 59 * 60 + 59, "2d 03h 59m")],
)
def test_short_duration(seconds, text):
    assert short_duration(None if seconds is None else s(seconds)) == text


@pytest.mark.parametrize(
    ("rate", "text"), [(None, "—"), (0.0, "0 %"), (2 / 3, "67 %"), (0.996, "99 %"), (1.0, "100 %")]
)
def test_percent_never_rounds_a_shortfall_up_to_the_target(rate, text):
    assert percent(rate) == text


def test_periods():
    assert Period.DAYS_30.since(NOW) == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert Period.DAYS_90.since(NOW) == datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
    assert Period.MONTHS_12.since(NOW) == datetime(2025, 12, 2, 9, 0, tzinfo=UTC)
    assert Period.MONTHS_12.since(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert Period.ALL_TIME.since(NOW) is None


def test_months_are_utc_months_whatever_the_offset(policy):
    berlin = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 1, 0, 30, tzinfo=berlin)  # 31 October 23:30 UTC
    late = record(12, Severity.P2, Status.TRIAGE, declared=local, started=local)
    found = compute_metrics([late], policy, SINCE, UNTIL, NOW)
    assert [(t.month, t.count) for t in found.months] == [("2026-10", 1), ("2026-11", 0)]


# -- mitigation success, missed update cadences, frequency per affected service ---------------
def _with(base: IncidentRecord, service: str = "", **fields) -> IncidentRecord:
    from dataclasses import replace

    return replace(base, incident=replace(base.incident, service=service), **fields)


def _set(*records: IncidentRecord):
    from warroom.domain.policy import load_policy_file
    from warroom.system.paths import builtin_policy_file

    return compute_metrics(records, load_policy_file(builtin_policy_file()), None, None, NOW)


def _incident(id: int, severity: Severity, minutes_to_resolve: int | None, drill=False):
    start = at(11, 3, 10)
    resolved = None if minutes_to_resolve is None else start + timedelta(minutes=minutes_to_resolve)
    status = Status.RESOLVED if resolved else Status.ACTIVE
    return record(id, severity, status, start, start, resolved=resolved, drill=drill)


def test_mitigation_success_rate_is_steps_that_worked_over_steps_applied():
    report = _set(
        _with(_incident(1, Severity.P1, 60), mitigations_applied=3, mitigations_worked=1),
        _with(_incident(2, Severity.P1, 30), mitigations_applied=1, mitigations_worked=1),
        _with(_incident(3, Severity.P2, 30)),
        _with(_incident(4, Severity.P2, 30, drill=True), mitigations_applied=2),
    )
    p1 = report.by_severity[Severity.P1]
    assert (p1.mitigations_applied, p1.mitigations_worked, p1.mitigation_success_rate) == (
        4,
        2,
        0.5,
    )
    p2 = report.by_severity[Severity.P2]  # nothing applied (the drill's steps do not count)
    assert (p2.mitigations_applied, p2.mitigation_success_rate) == (0, None)
    assert report.all.mitigation_success_rate == 0.5


def test_missed_cadences_count_under_the_level_whose_cadence_was_missed():
    report = _set(
        _with(_incident(1, Severity.P1, None), missed_updates=(Severity.P0, Severity.P1)),
        _with(_incident(2, Severity.P1, None), missed_updates=(Severity.P1,)),
        _with(_incident(3, Severity.P1, None, drill=True), missed_updates=(Severity.P1,)),
    )
    assert report.by_severity[Severity.P0].missed_updates == 1
    assert report.by_severity[Severity.P1].missed_updates == 2
    assert report.by_severity[Severity.P2].missed_updates == 0
    assert report.all.missed_updates == 3


def test_frequency_per_affected_service_counts_and_averages_each_service():
    report = _set(
        _with(_incident(1, Severity.P1, 60), "Payments"),
        _with(_incident(2, Severity.P2, 30), "payments"),  # the same service, in other case
        _with(_incident(3, Severity.P2, 10), "Search"),
        _with(_incident(4, Severity.P2, None)),
        _with(_incident(5, Severity.P2, 10, drill=True), "Search"),
    )
    rows = [(s.label, s.count, s.stat(Measure.RESOLVE)) for s in report.services]
    assert rows == [
        ("Payments", 2, Stat(2, timedelta(minutes=45), timedelta(minutes=45))),
        ("Search", 1, Stat(1, timedelta(minutes=10), timedelta(minutes=10))),
        ("(no service)", 1, Stat(0, None, None)),
    ]


# -- the quick forms the metrics use, against the definitions they stand for ------------------
def test_span_seconds_is_each_span_in_seconds():
    rng = random.Random(7)
    start = at(11, 1, 12)

    def moment() -> datetime | None:
        if rng.random() < 0.2:
            return None
        return start + timedelta(seconds=rng.randint(-600, 86400), microseconds=rng.randint(0, 9))

    for n in range(500):
        incident = Incident(
            id=n,
            title="",
            severity=Severity.P1,
            status=Status.RESOLVED,
            impact="",
            declared_at=start + timedelta(minutes=rng.randint(-5, 5)),
            impact_started_at=start,
            detected_at=moment(),
            acknowledged_at=moment(),
            mitigated_at=moment(),
            resolved_at=moment(),
        )
        first_update = moment()
        expected = [spans.span(incident, first_update, m) for m in Measure]
        assert spans.span_seconds(incident, first_update) == tuple(
            None if s is None else s.total_seconds() for s in expected
        )


def test_standing_severities_are_the_recorded_misses_severities():
    """Misses and withdrawals in any order of entry, damaged entries and other reminders
    among them."""
    rng = random.Random(11)
    start = at(11, 1, 12)
    dues = [(start + timedelta(minutes=30 * k)).isoformat() for k in range(4)]
    dues.append(dues[0].replace("+00:00", "+01:00"))  # another zone: another instant
    for n in range(300):
        events = []
        for event_id in range(rng.randint(0, 8)):
            data: dict[str, object] = {
                "cadence": rng.choice(["missed", "missed", "withdrawn", "other"]),
                "due": rng.choice([*dues, "not a time", 5]),
                "severity": rng.choice(["P0", "P1", "P2", "P3", "P9", ["P1"], None]),
            }
            if rng.random() < 0.1:
                del data[rng.choice(["due", "severity", "cadence"])]
            kind = EventKind.REMINDER if rng.random() < 0.9 else EventKind.NOTE
            recorded = start + timedelta(minutes=rng.randint(0, 5))
            events.append(TimelineEvent(event_id, n, kind, start, recorded, "", "", data))
        rng.shuffle(events)
        expected = [m.severity for m in recorded_misses(events).values()]
        assert standing_severities(events) == expected
        assert missed_severities(events).get(n, []) == expected
