"""Time to commit one user action (IncidentService.add_note) against raw sqlite3.

    python tests/perf/bench_commit.py [--n 500] [--dir PATH ...]

For each location (by default the temp dir and the folder holding this checkout, i.e. the
work dir's filesystem), a database of 1,000 incidents / 20,000 events is built, then N
commits of each kind are timed, interleaved so that both see the same disk and WAL state:

  service   IncidentService.add_note(open incident, text) as the GUI and the CLI build it
            (bootstrap.build, with the hook that settles missed updates in the same
            transaction), on an incident whose next stakeholder update is not yet due (as
            while it is worked on cadence): BEGIN IMMEDIATE, read the incident, INSERT the
            event, DELETE the note's drafts, INSERT the change-log row, COMMIT
  overdue   the same on an incident whose update is overdue: its first note reads the facts
            the update cadence needs and records the miss; the notes after it, on the same
            facts, need not read them again
  raw       sqlite3: BEGIN IMMEDIATE; INSERT a comparable timeline_event row; COMMIT
  raw+read  the same, plus the SELECT of the incident row the service does (for attribution)
  raw+all   every statement a note can run, in sqlite3: the SELECT, the INSERT, the drafts'
            DELETE, the cadence's facts and the change-log INSERT (a floor under the
            service's own work)

Each round runs every kind once, in an order rotated from round to round. All connections
use the app's pragmas: journal_mode=WAL, synchronous=FULL, foreign_keys=ON, secure_delete=ON,
busy_timeout=5000. Goal: service / raw and overdue / raw each <= 2 (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fixtures import REPO_ROOT, Summary, build_database, fmt_ms, header, iso, machine_line

from warroom.adapters.sql.models import CADENCE_EVENT_KINDS
from warroom.bootstrap import build
from warroom.services.incidents import IncidentService

GOAL_RATIO = 2.0
WARM_UP = 20
# The update cadence's read on every edit (unit_of_work._EVENTS_OF_INCIDENT_CADENCE).
CADENCE_FACTS = (
    "SELECT id, incident_id, kind, at, recorded_at, actor, text, data FROM timeline_event"
    f" WHERE incident_id = ? AND {CADENCE_EVENT_KINDS} ORDER BY at, id"
)
NOTE = "Rolled back the 14:02 deploy of checkout; error rate back under 1 %."


def filesystem_of(path: Path) -> str:
    """'ext4 on /dev/vda mounted at /' for the mount holding `path` (Linux), else ''."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    best: tuple[str, str, str] = ("", "", "")
    resolved = str(path.resolve())
    for line in mounts:
        device, point, kind = line.split()[:3]
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[1]):
            best = (device, point, kind)
    device, point, kind = best
    return f"{kind} on {device} mounted at {point}" if point else ""


def fsync_latency(parent: Path, n: int = 200) -> Summary:
    """Median cost of appending 4 KiB and fsyncing it: the floor under any durable commit."""
    fd, name = tempfile.mkstemp(prefix="warroom-perf-fsync-", dir=parent)
    times: list[float] = []
    try:
        for _ in range(n):
            os.write(fd, b"x" * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(name)
    return Summary.of(times)


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN ourselves
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def _on_cadence_and_overdue(service: IncidentService) -> tuple[int, int]:
    """An open incident whose next update is due in 20 minutes or more (notes do not move
    it; the run takes a minute or two), and one whose update is overdue."""
    from warroom.domain.clocks import update_deadline

    now = datetime.now(UTC)
    on_cadence = overdue = None
    for incident in service.list_incidents():
        deadline = update_deadline(incident, service.policy)
        if deadline is None:
            continue
        if on_cadence is None and deadline >= now + timedelta(minutes=20):
            on_cadence = incident.id
        if overdue is None and deadline < now:
            overdue = incident.id
    assert on_cadence is not None and overdue is not None, "the data set lacks one"
    return on_cadence, overdue


def bench_location(parent: Path, n: int) -> dict[str, list[float]]:
    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import SystemClock

    work = Path(tempfile.mkdtemp(prefix="warroom-perf-", dir=parent))
    try:
        built = build_database(work / "data")
        database = open_database(built.path)
        service = build(database, SystemClock(), actor="bench").incidents
        incident_id, overdue_id = _on_cadence_and_overdue(service)
        conn = raw_connection(built.path)
        row_data = json.dumps({"backdated": False})

        def service_commit(on: int) -> None:
            service.add_note(on, NOTE)

        def raw_commit(read: bool, everything: bool = False) -> None:
            now = iso(datetime.now(UTC))
            conn.execute("BEGIN IMMEDIATE")
            if read or everything:
                conn.execute("SELECT * FROM incident WHERE id = ?", (incident_id,)).fetchone()
            conn.execute(
                "INSERT INTO timeline_event (incident_id, kind, at, recorded_at, actor, text, data)"
                " VALUES (?, 'note', ?, ?, 'bench', ?, ?)",
                (incident_id, now, now, NOTE, row_data),
            )
            if everything:
                conn.execute(CADENCE_FACTS, (incident_id,)).fetchall()
                conn.execute(
                    "DELETE FROM draft WHERE incident_id = ? AND field IN (?, ?)",
                    (incident_id, "note", "note_sensitive"),
                )
                conn.execute(
                    "INSERT INTO change_log (origin, incident_id, parts, recorded_at)"
                    " VALUES ('bench', ?, 'timeline', ?)",
                    (incident_id, now),
                )
            conn.execute("COMMIT")

        kinds = {
            "service": lambda: service_commit(incident_id),
            "overdue": lambda: service_commit(overdue_id),
            "raw": lambda: raw_commit(read=False),
            "raw+read": lambda: raw_commit(read=True),
            "raw+all": lambda: raw_commit(read=True, everything=True),
        }
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        order = list(kinds.items())
        for i in range(WARM_UP + n):
            # Each kind takes each place in the round in turn: what runs just before a
            # commit (another's fsync, a checkpoint it started) weighs on every kind alike.
            shift = i % len(order)
            for kind, commit in order[shift:] + order[:shift]:
                t0 = time.perf_counter()
                commit()
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= WARM_UP:
                    times[kind].append(elapsed)
        conn.close()
        database.dispose()
        return times
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument(
        "--dir",
        type=Path,
        action="append",
        help="folder to create the temp database in (repeatable); "
        "default: the temp dir and the folder holding this checkout",
    )
    args = parser.parse_args()
    locations: list[Path] = args.dir or [Path(tempfile.gettempdir()), REPO_ROOT.parent]

    print("warroom commit —", machine_line())
    devices = {os.stat(p).st_dev for p in locations}
    if len(locations) > 1 and len(devices) == 1:
        print("note: all locations are on the same filesystem on this machine")
    for location in locations:
        times = bench_location(location, args.n)
        header(f"{location}  ({filesystem_of(location) or 'filesystem unknown'})")
        sync = fsync_latency(location)
        print(f"  fsync of a 4 KiB append: median {fmt_ms(sync.median)}  p95 {fmt_ms(sync.p95)}")
        stats = {kind: Summary.of(values) for kind, values in times.items()}
        for kind, s in stats.items():
            print(
                f"  {kind:<10} median {fmt_ms(s.median, 7)}  p95 {fmt_ms(s.p95, 7)}"
                f"  min {fmt_ms(s.minimum, 7)}  max {fmt_ms(s.maximum, 7)}   (n={s.n})"
            )
        for kind in ("service", "overdue"):
            ratio = stats[kind].median / stats["raw"].median
            p95_ratio = stats[kind].p95 / stats["raw"].p95
            verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
            print(
                f"  ratio {kind} / raw: median {ratio:.2f} x, p95 {p95_ratio:.2f} x"
                f"   goal <= {GOAL_RATIO:g} x: {verdict}"
            )
        floor = stats["raw+all"].median / stats["raw"].median
        print(f"  ratio raw+all / raw: median {floor:.2f} x (the overdue note's statements alone)")
        overhead = stats["overdue"].median - stats["raw+all"].median
        print(
            f"  overdue overhead over raw+all (SQLAlchemy, validation, Python): {fmt_ms(overhead)}"
        )


if __name__ == "__main__":
    main()
