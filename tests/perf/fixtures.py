"""Shared helpers for the benchmarks in this folder: a realistic database, an isolated
environment for child processes, and the statistics the scripts print.

Not a pytest module (the name does not start with test_); the bench_*.py scripts import it
as a sibling (`python tests/perf/bench_x.py` puts this folder on sys.path).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.bootstrap import incident_service

PERF_DIR = Path(__file__).resolve().parent
REPO_ROOT = PERF_DIR.parents[1]
APP_CHILD = PERF_DIR / "_app_child.py"
DB_NAME = "warroom.db"  # warroom.system.paths.DB_FILENAME

OPEN_STATUSES = ("triage", "active", "mitigated")
CLOSED_STATUSES = ("resolved", "postmortem", "closed")
SEVERITY_WEIGHTS = {"P0": 5, "P1": 20, "P2": 40, "P3": 35}
PEOPLE = ("Priya Raman-Okafor", "Dana Whitfield", "Sam Chen", "Alex Novak", "Jo Martins")
SERVICES = ("checkout", "search", "auth", "payments", "CDN", "scheduler", "billing", "email")
SYMPTOMS = ("returning 500s", "latency p99 > 5 s", "timeouts", "stale data", "partial outage")

INCIDENT_COLUMNS = (
    "id, title, severity, status, impact, impact_started_at, detected_at, declared_at, "
    "acknowledged_at, mitigated_at, resolved_at, severity_changed_at, last_update_at, "
    "commander, tech_lead, comms_lead, scribe, is_drill"
)
EVENT_COLUMNS = "incident_id, kind, at, recorded_at, actor, text, data"


# -- the database ------------------------------------------------------------------------
@dataclass(frozen=True)
class BuiltDatabase:
    path: Path
    now: datetime  # the moment the open incidents' clocks were laid out around
    incidents: int
    open_incidents: int
    events: int
    seconds: float  # how long the build took


def iso(moment: datetime | None) -> str | None:
    """The stored form of a timestamp (warroom.adapters.sql.types.UTCDateTime on SQLite)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def build_database(
    data_dir: Path,
    incidents: int = 1000,
    open_count: int = 200,
    events: int = 20_000,
    now: datetime | None = None,
    seed: int = 20261122,
) -> BuiltDatabase:
    """Creates data_dir/warroom.db with exactly `incidents` incidents (`open_count` of them
    open, the rest resolved, in post-mortem or closed) and exactly `events` timeline events.

    The schema comes from open_database (so the real migrations run), a few incidents go
    through IncidentService (so real rows are mixed in), and the bulk is inserted with
    sqlite3 in one transaction. Open incidents are laid out around `now` so that their
    clocks are a realistic mix of running, amber and overdue.
    """
    import time

    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import FakeClock

    started = time.perf_counter()
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_NAME
    if path.exists():
        raise FileExistsError(f"{path} already exists; build into an empty folder")
    rng = random.Random(seed)

    # A handful of incidents through the real write path.
    seeded = min(5, open_count)
    clock = FakeClock(now - timedelta(hours=2))
    database = open_database(path, now=now)
    try:
        service = incident_service(database, clock, actor="Dana Whitfield")
        for n in range(seeded):
            clock.set(now - timedelta(minutes=90 - 15 * n))
            incident = service.declare(
                f"Seeded: {SERVICES[n % len(SERVICES)]} {SYMPTOMS[n % len(SYMPTOMS)]}",
                ("P0", "P1", "P2", "P3", "P1")[n],
                impact="EU customers cannot complete checkout",
                commander=PEOPLE[n % len(PEOPLE)] if n % 2 == 0 else "",
            )
            clock.advance(minutes=3)
            service.acknowledge(incident.id)
            clock.advance(minutes=2)
            service.add_note(incident.id, "Rolled back the last deploy; watching error rates.")
            clock.advance(minutes=1)
            service.mark_update_sent(incident.id, "Investigating; next update in 15 minutes.")
    finally:
        database.dispose()

    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        next_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM incident").fetchone()[0] + 1
        have_open = conn.execute(
            "SELECT COUNT(*) FROM incident WHERE status IN (?, ?, ?)", OPEN_STATUSES
        ).fetchone()[0]
        have_incidents = conn.execute("SELECT COUNT(*) FROM incident").fetchone()[0]
        have_events = conn.execute("SELECT COUNT(*) FROM timeline_event").fetchone()[0]
        to_open = open_count - have_open
        to_closed = incidents - have_incidents - to_open
        if to_open < 0 or to_closed < 0:
            raise ValueError("incidents and open_count are too small for the seeded rows")

        incident_rows: list[tuple[object, ...]] = []
        event_rows: list[tuple[object, ...]] = []
        spans: list[tuple[int, datetime, datetime]] = []  # id, first and last event time
        for k in range(to_open + to_closed):
            row, first_events, span = _bulk_incident(rng, next_id + k, now, is_open=k < to_open)
            incident_rows.append(row)
            event_rows.extend(first_events)
            spans.append(span)

        # Spread the remaining events as notes over all bulk incidents, in time order.
        remaining = events - have_events - len(event_rows)
        if remaining < 0:
            raise ValueError(f"events={events} is too small for {incidents} incidents")
        for n in range(remaining):
            incident_id, first, last = spans[rng.randrange(len(spans))]
            at = first + (last - first) * rng.random()
            event_rows.append(
                (incident_id, "note", iso(at), iso(at), rng.choice(PEOPLE), _note(rng, n), "{}")
            )
        conn.executemany(
            f"INSERT INTO incident ({INCIDENT_COLUMNS}) VALUES ({', '.join('?' * 18)})",
            incident_rows,
        )
        conn.executemany(
            f"INSERT INTO timeline_event ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = conn.execute(
            "SELECT (SELECT COUNT(*) FROM incident),"
            " (SELECT COUNT(*) FROM incident WHERE status IN (?, ?, ?)),"
            " (SELECT COUNT(*) FROM timeline_event)",
            OPEN_STATUSES,
        ).fetchone()
    conn.close()
    assert counts == (incidents, open_count, events), counts
    return BuiltDatabase(path, now, *counts, seconds=time.perf_counter() - started)


# The data sets the benchmarks run on, by scale: (incidents, open, timeline events).
SCALES: dict[int, tuple[int, int, int]] = {
    1: (1000, 200, 20_000),  # "1x": the project's own set
    10: (10_000, 500, 500_000),  # "10x": ten times the history, a busier on-call
}


def build_scaled(data_dir: Path, scale: int = 1, now: datetime | None = None) -> BuiltDatabase:
    """`build_database` at one of SCALES: 1 (1,000 incidents, 200 open, 20,000 events) or
    10 (10,000 incidents, 500 open, 500,000 events; about 15 s to build)."""
    try:
        incidents, open_count, events = SCALES[scale]
    except KeyError:
        raise ValueError(f"no data set at scale {scale}; known: {sorted(SCALES)}") from None
    return build_database(data_dir, incidents, open_count, events, now=now)


def add_scale_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        type=int,
        choices=sorted(SCALES),
        default=1,
        help="the data set: 1 (1,000 incidents, 200 open) or 10 (10,000, 500 open)",
    )


def _bulk_incident(
    rng: random.Random, incident_id: int, now: datetime, is_open: bool
) -> tuple[tuple[object, ...], list[tuple[object, ...]], tuple[int, datetime, datetime]]:
    severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
    if is_open:
        declared = now - timedelta(seconds=rng.randint(5 * 60, 6 * 3600))
        status = rng.choice(OPEN_STATUSES)
    else:
        declared = now - timedelta(days=rng.uniform(1, 365))
        status = rng.choice(CLOSED_STATUSES)
    impact_started = declared - timedelta(minutes=rng.randint(0, 30))
    acked = declared + timedelta(minutes=rng.randint(1, 40))
    acknowledged = acked if (not is_open or rng.random() < 0.6) and acked < now else None
    mitigated = resolved = last_update = None
    if status in ("mitigated", *CLOSED_STATUSES):
        mitigated = min(now, declared + timedelta(minutes=rng.randint(20, 240)))
    if status in CLOSED_STATUSES:
        assert mitigated is not None
        resolved = mitigated + timedelta(minutes=rng.randint(5, 120))
    if rng.random() < 0.5:
        last_update = min(now, declared + timedelta(minutes=rng.randint(5, 60)))
    commander = rng.choice(PEOPLE) if (not is_open or rng.random() < 0.8) else ""
    if acknowledged is not None and not commander:
        commander = rng.choice(PEOPLE)
    title = f"{rng.choice(SERVICES)} {rng.choice(SYMPTOMS)} (#{incident_id})"
    row = (
        incident_id,
        title,
        severity,
        status,
        f"Users of {rng.choice(SERVICES)} see errors",
        iso(impact_started),
        None,
        iso(declared),
        iso(acknowledged),
        iso(mitigated),
        iso(resolved),
        None,
        iso(last_update),
        commander,
        "",
        "",
        "",
        int(rng.random() < 0.03),
    )
    actor = rng.choice(PEOPLE)
    declared_data = {"severity": severity, "impact_started_at": iso(impact_started)}
    event_rows: list[tuple[object, ...]] = [
        (
            incident_id,
            "declared",
            iso(declared),
            iso(declared),
            actor,
            f"Declared {severity}: {title}",
            json.dumps({**declared_data, "is_drill": bool(row[-1])}),
        )
    ]
    if resolved is not None:
        change = {"old": "mitigated", "new": "resolved", "cleared": {}}
        event_rows.append(
            (
                incident_id,
                "status_changed",
                iso(resolved),
                iso(resolved),
                actor,
                "Status changed: mitigated → resolved",
                json.dumps(change),
            )
        )
    last = resolved or now
    return row, event_rows, (incident_id, declared, last)


def _note(rng: random.Random, n: int) -> str:
    what = rng.choice(("Rolled back", "Paged", "Scaled up", "Restarted", "Failed over"))
    return f"{what} {rng.choice(SERVICES)}; error rate now {rng.randint(0, 40)} % (note {n})"


# -- child processes -----------------------------------------------------------------------
def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a child app process: offscreen Qt, and HOME and the XDG dirs in
    `home`, so the user's real config (policy override), data and logs are never touched.
    The first process (each benchmark's discarded warm-up) writes the compiled modules."""
    env = dict(os.environ)
    env["HOME"] = str(home)
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(home / variable.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("WARROOM_DATA_DIR", None)
    # Compiled modules kept (under `home`), as an install keeps them: with
    # PYTHONDONTWRITEBYTECODE set here, every start would compile warroom's own modules.
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def python() -> str:
    return sys.executable


def quiet_qt_warnings(*fragments: str) -> None:
    """Drops Qt messages containing any of `fragments` (by default the offscreen plugin's
    harmless "does not support propagateSizeHints()"); everything else goes to stderr."""
    from PySide6.QtCore import qInstallMessageHandler

    dropped = fragments or ("propagateSizeHints",)

    def handler(_kind: object, _context: object, message: str) -> None:
        if not any(fragment in message for fragment in dropped):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


# -- statistics ----------------------------------------------------------------------------
def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.95 for p95)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    minimum: float
    p95: float
    maximum: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        data = list(values)
        return cls(len(data), statistics.median(data), min(data), percentile(data, 0.95), max(data))


def fmt_ms(value: float, width: int = 8) -> str:
    return f"{value:{width}.2f} ms"


def header(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def machine_line() -> str:
    import platform

    import PySide6

    cpus = os.cpu_count()
    return (
        f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {cpus} CPUs, {platform.platform(terse=True)}"
    )
