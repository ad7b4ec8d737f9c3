"""`warroom metrics --json` work at 1x and 10x: MetricsService.report and the JSON text, on
the benchmark data set with a realistic mix of timeline events.

    python tests/perf/bench_metrics.py [--runs 7] [--scale 1 --scale 10] [--profile]

The work is what `run_metrics(..., "json")` does after the command line is parsed and the
database opened: one read transaction, the report, json.dumps. The data sets are
`fixtures.build_scaled`'s, whose timeline events are mostly notes; here part of them become
what an incident's timeline also holds (stakeholder updates, mitigation steps and their
check-backs, missed update cadences, severity changes), so the metrics have real work to
do: per 100 events, 10 updates, 4 mitigation decisions (3 applied), 3 check-backs (2
worked), 2 missed cadences (one in eight later withdrawn), 1 severity change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sqlite3
import tempfile
import time
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

from fixtures import SCALES, Summary, build_scaled, fmt_ms, header, machine_line

from warroom import bootstrap
from warroom.adapters.sql.sqlite.database import open_database
from warroom.cli.metrics import run_metrics
from warroom.domain.clock import FakeClock

GOAL_MS = 500
# (kind, data) by event id modulo 100; the other ids stay notes.
MIX: dict[int, tuple[str, str]] = {
    **{n: ("update_sent", "{}") for n in range(0, 100, 10)},
    1: ("mitigation", '{"decision": "applied", "option": "rollback"}'),
    21: ("mitigation", '{"decision": "applied", "option": "failover"}'),
    41: ("mitigation", '{"decision": "applied", "option": "scale up"}'),
    61: ("mitigation", '{"decision": "rejected", "option": "restart"}'),
    3: ("check_back", '{"outcome": "worked"}'),
    33: ("check_back", '{"outcome": "worked"}'),
    63: ("check_back", '{"outcome": "failed"}'),
    5: ("severity_changed", '{"old": "P2", "new": "P1"}'),
}


def enrich(path: Path) -> None:
    """Turns part of the notes into the other kinds of event (MIX), and two in a hundred
    into missed update cadences (one in eight of those withdrawn later)."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("BEGIN IMMEDIATE")
        for residue, (kind, data) in MIX.items():
            conn.execute(
                "UPDATE timeline_event SET kind = ?, data = ? WHERE kind = 'note' AND id % 100 = ?",
                (kind, data, residue),
            )
        rows = conn.execute(
            "SELECT e.id, e.at, i.severity FROM timeline_event e JOIN incident i"
            " ON i.id = e.incident_id WHERE e.kind = 'note' AND e.id % 100 IN (7, 57)"
        ).fetchall()
        for n, (event_id, at, severity) in enumerate(rows):
            cadence = "withdrawn" if n % 8 == 7 else "missed"
            data = json.dumps({"cadence": cadence, "due": at, "severity": severity})
            conn.execute(
                "UPDATE timeline_event SET kind = 'reminder', data = ? WHERE id = ?",
                (data, event_id),
            )
        conn.execute("COMMIT")
    conn.close()


def bench(scale: int, runs: int, profile: bool) -> Summary:
    incidents, open_count, events = SCALES[scale]
    with tempfile.TemporaryDirectory() as folder:
        built = build_scaled(Path(folder) / "data", scale)
        enrich(built.path)
        database = open_database(built.path)
        try:
            clock = FakeClock(built.now + timedelta(minutes=1))
            services = bootstrap.build(database, clock, actor="bench")
            metrics = services.metrics

            def work() -> str:
                out = io.StringIO()
                with redirect_stdout(out):
                    assert run_metrics(metrics, None, "json") == 0
                return out.getvalue()

            output = work()  # warm-up: imports, mappers, the page cache
            timings, cpu = [], []
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                work()
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            if profile:
                profiler = cProfile.Profile()
                profiler.runcall(work)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        finally:
            database.dispose()
    report = json.loads(output)
    header(
        f"metrics --json work, {scale}x: {incidents:,} incidents ({open_count} open), "
        f"{events:,} events ({runs} runs after one warm-up)"
    )
    summary = Summary.of(timings)
    verdict = "meets" if summary.median <= GOAL_MS else "MISSES"
    print(
        f"  median {fmt_ms(summary.median)}   min {fmt_ms(summary.minimum)}   "
        f"max {fmt_ms(summary.maximum)}   goal ≤ {GOAL_MS} ms: {verdict}"
    )
    print(f"  CPU time median {fmt_ms(Summary.of(cpu).median)} (steadier under other load)")
    all_ = report["all"]
    print(
        f"  {all_['count']} incidents counted, first update n={all_['first_update']['n']}, "
        f"{all_['mitigations']['applied']} steps applied, {all_['missed_updates']} missed cadences"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=int, action="append", choices=sorted(SCALES))
    parser.add_argument("--profile", action="store_true", help="adds a cProfile of one run")
    args = parser.parse_args()
    print(machine_line())
    for scale in args.scale or [1, 10]:
        bench(scale, args.runs, args.profile)


if __name__ == "__main__":
    main()
