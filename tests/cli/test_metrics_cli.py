"""`warroom metrics`: run_metrics called directly on a service over a temporary database. The
machine's zone is New York (tests/cli/conftest.py), so a local-midnight --since would show."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import build
from warroom.cli.metrics import run_metrics
from warroom.domain.clock import FakeClock
from warroom.domain.lifecycle import Status
from warroom.services.metrics import CSV_COLUMNS

NOW = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def work(
    service, clock, declared, severity, *, started, ack, update=None, resolve=None, drill=False
):
    """Declares at `declared`; the other steps are minutes after it."""
    clock.set(declared)
    incident = service.declare(
        f"{severity} at {declared:%d %H:%M}", severity, impact_started_at=started, is_drill=drill
    )
    steps = [(ack, service.acknowledge), (update, lambda i: service.mark_update_sent(i, "sent"))]
    steps.append((resolve, lambda i: resolve_unverified(service, i)))
    for minutes, act in sorted((s for s in steps if s[0] is not None), key=lambda s: s[0]):
        clock.set(declared + timedelta(minutes=minutes))
        act(incident.id)


def resolve_unverified(service, incident_id):
    """Mitigated (with no recorded verification, so with a reason) and resolved at once."""
    service.set_status(incident_id, Status.MITIGATED, "recovered on its own")
    service.set_status(incident_id, Status.RESOLVED, "recovered on its own")


@pytest.fixture
def service(tmp_path, policy):
    clock = FakeClock(NOW)
    database = open_database(tmp_path / "warroom.db", now=NOW)
    services = build(database, clock, actor="alice", policy=policy)
    service = services.incidents
    # A minute before midnight UTC on the 20th: ack 5m, update 10m, resolve 1h after impact.
    work(service, clock, at(19, 23, 59), "P1", started=at(19, 23, 49), ack=5, update=10, resolve=50)
    # Midnight UTC on the 20th, to the second: ack 3m, update 7m, resolve 2h after impact.
    work(service, clock, at(20, 0), "P1", started=at(19, 23, 30), ack=3, update=7, resolve=90)
    work(service, clock, at(21, 10), "P3", started=at(19, 0), ack=60, resolve=600, drill=True)
    # Still open: ack 20m.
    work(service, clock, at(21, 12), "P2", started=at(21, 11), ack=20)
    clock.set(NOW)
    yield services.metrics
    database.dispose()


def run(service, capsys, since, output):
    code = run_metrics(service, since, output)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_for_all_time(service, capsys):
    code, out, err = run(service, capsys, None, "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["since"] is None and report["until"] is None
    assert report["drills_excluded"] == 1
    assert report["all"]["count"] == 3
    p1 = report["by_severity"]["P1"]
    assert p1["count"] == 2
    assert p1["acknowledge"] == {"n": 2, "mean_s": 240, "median_s": 240}  # 5m and 3m
    # From impact start: 23:49 to 00:09 and 23:30 to 00:07.
    assert p1["first_update"] == {"n": 2, "mean_s": 1710, "median_s": 1710}  # 20m and 37m
    assert p1["resolve"] == {"n": 2, "mean_s": 5400, "median_s": 5400}  # 1h and 2h
    assert p1["detect"] == {"n": 0, "mean_s": None, "median_s": None}
    assert p1["postmortems"] == {
        "required": 2,
        "published": 0,
        "completion_rate": 0.0,
        "target": 1.0,
        "below_target": True,
    }
    assert report["by_severity"]["P3"]["count"] == 0  # the drill
    # Acknowledgements 5m, 3m and 20m: mean 9m 20s, median 5m.
    assert report["all"]["acknowledge"] == {"n": 3, "mean_s": 560, "median_s": 300}
    assert report["months"] == [
        {"month": "2026-11", "count": 3, "resolved": 2, "median_resolve_s": 5400}
    ]


def test_since_is_midnight_utc_and_inclusive(service, capsys):
    code, out, _err = run(service, capsys, "2026-11-20", "json")
    assert code == 0
    report = json.loads(out)
    assert report["since"] == "2026-11-20T00:00:00+00:00"
    assert report["by_severity"]["P1"]["count"] == 1
    assert report["by_severity"]["P1"]["acknowledge"]["mean_s"] == 180
    assert report["all"]["count"] == 2


def test_csv(service, capsys):
    code, out, err = run(service, capsys, "2026-11-20", "csv")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[2] == (
        "P1,1,0,,,1,180,180,1,7200,7200,1,7200,7200,1,2220,2220,1,0,0,1,0,0,,0,0,0,,1"
    )  # one missed cadence: the update at 00:07 set the next for 00:37, and none came
    assert lines[3] == "P2,1,0,,,1,1200,1200,0,,,0,,,0,,,0,0,,,0,0,,0,0,0,,0"
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["severity"] for row in table] == ["P0", "P1", "P2", "P3", "all", "service:"]
    assert table[4]["count"] == "2"
    assert table[4]["acknowledge_mean_s"] == "690"  # 3m and 20m


def test_table(service, capsys):
    code, out, err = run(service, capsys, "2026-11-20", "table")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Incidents declared since 2026-11-20 00:00 UTC · 1 drill excluded"
    p1 = [line for line in lines if line.startswith("P1 ")]
    assert "3m 00s / 3m 00s (n=1)" in p1[0]
    assert "2h 00m / 2h 00m (n=1)" in p1[0]
    assert "0 of 1 (0 %) ⚠ below target" in p1[1]
    assert any(line.split() == ["2026-11", "2", "2h", "00m"] for line in lines)


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "22/11/2026", ""])
def test_a_bad_date_is_refused_clearly(service, capsys, bad):
    code, out, err = run(service, capsys, bad, "json")
    assert code == 2
    assert out == ""
    assert f"--since {bad!r} is not a date" in err
    assert "YYYY-MM-DD" in err


def test_an_unknown_output_is_refused(service, capsys):
    code, out, err = run(service, capsys, None, "xml")
    assert (code, out) == (2, "")
    assert "table, json, csv" in err


def test_an_empty_database(tmp_path, policy, capsys):
    database = open_database(tmp_path / "empty.db", now=NOW)
    try:
        service = build(database, FakeClock(NOW), actor="alice", policy=policy).metrics
        code, out, _err = run(service, capsys, None, "json")
        assert code == 0
        report = json.loads(out)
        assert report["all"]["count"] == 0 and report["months"] == []
        assert run(service, capsys, None, "table")[1].startswith("All incidents · 0 drills")
    finally:
        database.dispose()


def test_the_text_report_says_how_each_measure_is_computed(service, capsys):
    code, out, _err = run(service, capsys, None, "table")
    assert code == 0
    assert (
        "  MTTA: time to acknowledge = acknowledged − detected (declared when there was no alert)\n"
        in out
    )
    assert (
        "  First update: time to first stakeholder update = first update sent − impact started\n"
        in out
    )
    assert "  MTTM: customer impact (time to mitigate) = mitigated − impact started\n" in out


# -- mitigation success, missed update cadences, frequency per affected service --------------
@pytest.fixture
def worked_on(tmp_path, policy):
    """Payments (P1, declared 14:05): two steps applied, one worked; no update for 40 min, so
    the 14:35 update was missed. Search (P2): no step applied, one update on time."""
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    clock = FakeClock(NOW)
    database = open_database(tmp_path / "warroom.db", now=NOW)
    services = build(database, clock, actor="alice", policy=policy)
    incidents, playbook = services.incidents, load_playbook_file(builtin_playbook_file())
    payments = incidents.declare("Card declines", "P1", service="Payments | EU")
    incidents.declare("Slow search", "P2", service="Search")
    first = services.mitigations.apply(
        payments.id, playbook.option("rollback"), action="revert 4812", expected_effect="ok"
    )
    clock.advance(minutes=10)
    services.mitigations.record_outcome(first.id, worked=False)
    second = services.mitigations.apply(
        payments.id, playbook.option("failover"), action="to eu-west", expected_effect="ok"
    )
    clock.advance(minutes=10)
    services.mitigations.record_outcome(second.id, worked=True)
    clock.advance(minutes=20)
    services.cadence.record_missed(clock.now())
    yield services.metrics
    database.dispose()


def test_json_has_mitigation_success_missed_cadences_and_services(worked_on, capsys):
    code, out, _err = run(worked_on, capsys, None, "json")
    assert code == 0
    report = json.loads(out)
    p1 = report["by_severity"]["P1"]
    assert p1["mitigations"] == {"applied": 2, "worked": 1, "success_rate": 0.5}
    assert p1["missed_updates"] == 1
    assert report["by_severity"]["P2"]["missed_updates"] == 0
    assert report["all"]["missed_updates"] == 1
    assert [(s["service"], s["count"]) for s in report["services"]] == [
        ("Payments | EU", 1),
        ("Search", 1),
    ]
    assert report["formulas"]["mitigation_success_rate"] == "steps that worked / steps applied"


def test_csv_has_the_new_columns_and_a_row_per_service(worked_on, capsys):
    _code, out, _err = run(worked_on, capsys, None, "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    p1 = table[1]
    assert (p1["severity"], p1["mitigations_applied"], p1["mitigations_worked"]) == ("P1", "2", "1")
    assert (p1["mitigation_success_rate"], p1["missed_updates"]) == ("0.5", "1")
    services = [row for row in table if row["severity"].startswith("service:")]
    assert [(r["severity"], r["count"], r["missed_updates"]) for r in services] == [
        ("service:Payments | EU", "1", ""),
        ("service:Search", "1", ""),
    ]


def test_table_shows_each_new_measure_with_its_formula(worked_on, capsys):
    _code, out, _err = run(worked_on, capsys, None, "table")
    lines = out.splitlines()
    [p1] = [line for line in lines if line.startswith("P1 ") and "of 2" in line]
    assert p1.split()[1:] == ["1", "of", "2", "(50", "%)", "1"]
    assert "  Mitigation success rate = steps that worked / steps applied" in lines
    assert any(
        line.startswith("  Missed update cadences = update deadlines passed") for line in lines
    )
    assert any(line.split()[:4] == ["Payments", "|", "EU", "1"] for line in lines)
    assert (
        "  incidents declared per affected service; mean of each measure over that service's"
        " incidents" in lines
    )


def test_the_markdown_export_escapes_a_service_name(worked_on):
    from warroom.services.metrics import to_markdown

    text = to_markdown(worked_on.report(None))
    assert "| Payments \\| EU | 1 |" in text
    assert "- Mitigation success rate = steps that worked / steps applied" in text
    assert "## By affected service" in text
