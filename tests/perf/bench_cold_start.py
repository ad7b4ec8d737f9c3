"""Cold start to the board painted, against the floor of a bare PySide6 window.

    python tests/perf/bench_cold_start.py [--runs 7]

Database: 1,000 incidents (200 open) and 20,000 timeline events, built once in a temp dir.
Each run is a fresh process (see _app_child.py), offscreen; floor and warroom runs are
interleaved, after one discarded warm-up each (so .pyc files and the OS page cache are warm:
this is a "warm-cache cold start", the usual case for an app that is opened every day).

  floor   = python + import PySide6 + import sqlmodel + QApplication + bare QMainWindow painted
  warroom = run_gui's path (argv, imports, logging, stylesheet, open_database, load_policy,
            IncidentService, Ticker, MainWindow) up to the board painted, without app.exec()

Figure of record: time from spawn to painted. Goal: warroom / floor <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures import (
    APP_CHILD,
    Summary,
    build_database,
    fmt_ms,
    header,
    isolated_env,
    machine_line,
    python,
)

GOAL_RATIO = 1.2


def run_child(mode: str, data_dir: Path, home: Path) -> dict:  # type: ignore[type-arg]
    """One fresh process; returns its BENCH record plus the parent's view of the wall time."""
    argv = [python(), str(APP_CHILD), mode] + ([str(data_dir)] if mode != "floor" else [])
    spawn_ns = time.time_ns()
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=isolated_env(home, BENCH_SPAWN_NS=str(spawn_ns)),
        capture_output=True,
        text=True,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} child failed ({done.returncode}):\n{done.stderr}")
    record = json.loads(lines[-1].removeprefix("BENCH "))
    record["process_wall_ms"] = wall_ms
    return record


def print_phases(name: str, records: list[dict]) -> None:  # type: ignore[type-arg]
    header(f"{name}: phases (median over {len(records)} runs)")
    rows = {"python start (spawn -> first line)": [r["interpreter_ms"] for r in records]}
    names = dict.fromkeys(phase for r in records for phase in r["phases"])  # ordered union
    for phase in names:
        rows[phase] = [r["phases"].get(phase, 0.0) for r in records]
    if "list_incidents_ms" in records[0]:
        rows["  (within construction: list_incidents)"] = [r["list_incidents_ms"] for r in records]
    for phase, values in rows.items():
        s = Summary.of(values)
        print(f"  {phase:<42}{fmt_ms(s.median)}   (min {s.minimum:7.2f})")
    total = Summary.of(r["painted_since_spawn_ms"] for r in records)
    print(f"  {'= spawn -> painted':<42}{fmt_ms(total.median)}   (min {total.minimum:7.2f})")
    if "after_paint" in records[0]:
        for phase in records[0]["after_paint"]:
            s = Summary.of(r["after_paint"][phase] for r in records)
            print(f"  {phase:<42}{fmt_ms(s.median)}   (min {s.minimum:7.2f})")
        live = Summary.of(r["live_since_spawn_ms"] for r in records)
        print(
            f"  {'= spawn -> live (editable)':<42}{fmt_ms(live.median)}   (min {live.minimum:7.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    print("warroom cold start —", machine_line())
    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        built = build_database(root / "data")
        print(
            f"database: {built.incidents} incidents ({built.open_incidents} open), "
            f"{built.events} timeline events, {built.path.stat().st_size / 1e6:.1f} MB, "
            f"built in {built.seconds:.2f} s"
        )
        home = root / "home"
        results: dict[str, list[dict]] = {"floor": [], "warroom": []}  # type: ignore[type-arg]
        for mode in results:  # warm-up, discarded
            run_child(mode, root / "data", home)
        for _ in range(args.runs):
            for mode in results:
                results[mode].append(run_child(mode, root / "data", home))

    last = results["warroom"][-1]
    print(f"board: {last['rows']} rows shown, board visible: {last['board_shown']}")
    for mode, records in results.items():
        methods = sorted({r["painted_by"] for r in records})
        print(f"{mode}: painted detected by {', '.join(methods)}")
    for mode, records in results.items():
        print_phases(mode, records)

    header(f"Cold start, spawn -> painted ({args.runs} runs each)")
    floor = Summary.of(r["painted_since_spawn_ms"] for r in results["floor"])
    app = Summary.of(r["painted_since_spawn_ms"] for r in results["warroom"])
    for name, s in (("floor (bare PySide6 window + sqlmodel)", floor), ("warroom", app)):
        print(f"  {name:<40} median {fmt_ms(s.median)}   min {fmt_ms(s.minimum)}")
    for name in results:
        wall = Summary.of(r["process_wall_ms"] for r in results[name])
        print(f"  {name + ' whole process incl. exit':<40} median {fmt_ms(wall.median)}")
    ratio = app.median / floor.median
    verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
    print(
        f"  ratio warroom / floor (medians)          {ratio:8.2f} x   "
        f"(min/min {app.minimum / floor.minimum:.2f} x)   goal <= {GOAL_RATIO} x: {verdict}"
    )
    extra = app.median - floor.median
    print(f"  warroom's own cost over the floor        {fmt_ms(extra)}")
    live = Summary.of(r["live_since_spawn_ms"] for r in results["warroom"])
    print(
        f"  warroom spawn -> live (service attached) median {fmt_ms(live.median)}   "
        f"= {live.median / floor.median:.2f} x the floor"
    )


if __name__ == "__main__":
    main()
