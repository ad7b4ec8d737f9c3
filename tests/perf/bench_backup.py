"""Time to take a backup (online backup API, integrity check, atomic rename) of a database
with 1,000 incidents and 20,000 timeline events.

    python tests/perf/bench_backup.py [--runs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fixtures import Summary, build_database, fmt_ms, header, machine_line

from warroom.adapters.sql.sqlite.backup import take_backup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print("warroom backup —", machine_line())
    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        built = build_database(Path(tmp) / "data")
        print(
            f"database: {built.incidents} incidents, {built.events} timeline events, "
            f"{built.path.stat().st_size / 1e6:.1f} MB"
        )
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            take_backup(built.path, Path(tmp) / "backups", "bench", datetime.now(UTC))
            timings.append((time.perf_counter() - started) * 1000)
    header(f"take_backup ({args.runs} runs; the last 10 are kept, so pruning is included)")
    summary = Summary.of(timings)
    print(f"  median {fmt_ms(summary.median)}   min {fmt_ms(summary.minimum)}")


if __name__ == "__main__":
    main()
