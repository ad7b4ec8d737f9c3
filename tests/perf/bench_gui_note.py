"""One note from the GUI, committed and shown, on the 1x and the 10x data set.

    python tests/perf/bench_gui_note.py [--notes 30] [--scale 1 --scale 10] [--profile]

The real MainWindow (offscreen, FakeClock, a manual Ticker, 1366x768, the app's stylesheet)
with one open incident's window open. Per note: type the text into the incident window's
note field, then time its "Add note" button (`note_button.click()`: the service commits,
the change is announced to the board and the windows) and the event loop until the note
shows as the last row of the incident's timeline and the posted events (paints) are
drained. The clock advances 1 s between notes; nothing ticks in between.

A second figure, beside it: one change of the incident's commander from the same window
(its field, then leaving it: `editingFinished`), through to the board row showing the new
name. Unlike a note (the timeline only) it changes the incident itself, so the board
re-reads the strips' lists (check-backs, post-mortems due, rotating evidence) after it.

Goal: <= 20 ms at 10x, independent of how many incidents the file holds; the script prints
the ratio of the 10x median to the 1x median (1.0x: independent of incident count).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fixtures import (
    SCALES,
    Summary,
    build_scaled,
    fmt_ms,
    header,
    machine_line,
    quiet_qt_warnings,
)

from warroom.bootstrap import build

GOAL_MS = 20.0
WIDTH, HEIGHT = 1366, 768
WARM_UP_NOTES = 3


def bench_scale(
    data_dir: Path, scale: int, notes: int, profile: bool
) -> tuple[list[float], list[float]]:
    from PySide6.QtWidgets import QApplication

    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import FakeClock
    from warroom.domain.lifecycle import Role
    from warroom.system.paths import resolve_paths
    from warroom.system.settings import load_policy
    from warroom.ui.app import load_stylesheet
    from warroom.ui.board_model import INCIDENT_ROLE, Column
    from warroom.ui.gui_thread_gc import GuiThreadCollector
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    started = time.perf_counter()
    built = build_scaled(data_dir, scale)
    print(
        f"\n{scale}x: {built.incidents} incidents, {built.open_incidents} open, "
        f"{built.events} events (built in {time.perf_counter() - started:.1f} s)"
    )
    app = QApplication.instance() or QApplication([])
    GuiThreadCollector(app)  # as run_gui does
    quiet_qt_warnings("propagateSizeHints", "does not support raise")
    app.setStyleSheet(load_stylesheet())
    paths = resolve_paths(data_dir)
    database = open_database(paths.database)
    policy, _ = load_policy(paths)
    clock = FakeClock(built.now)
    ticker = Ticker(clock, running=False)
    window = MainWindow(build(database, clock), policy, clock, ticker, database.path)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.grab()
    app.processEvents()
    # The incident in the middle of the board: an ordinary open one.
    row = window.model.rowCount() // 2
    incident = window.model.index(row, 0).data(INCIDENT_ROLE)
    incident_window = window.open_incident(incident.id)
    incident_window.grab()
    app.processEvents()
    table = incident_window.timeline_table
    print(
        f"board: {window.model.rowCount()} rows; incident #{incident.id}: "
        f"{table.rowCount()} timeline rows"
    )

    def shown(text: str) -> bool:
        last = table.rowCount() - 1
        item = table.item(last, 2) if last >= 0 else None
        return item is not None and item.text() == text

    def one_note(n: int) -> float:
        clock.advance(seconds=1)
        text = f"Benchmark note {n}: error rate back to 0.1 %"
        incident_window.note_edit.setText(text)
        t0 = time.perf_counter()
        incident_window.note_button.click()
        deadline = t0 + 30.0
        while not shown(text):
            if time.perf_counter() > deadline:
                raise RuntimeError("the note did not show within 30 s")
            app.processEvents()
        app.processEvents()  # the paints the change posted
        return (time.perf_counter() - t0) * 1000

    commander = incident_window.role_edits[Role.COMMANDER]

    def board_shows(name: str) -> bool:
        row = window.model.row_of(incident.id)
        return row is not None and window.model.index(row, Column.COMMANDER).data() == name

    def one_commander(n: int) -> float:
        clock.advance(seconds=1)
        name = f"Commander {n}"
        commander.setText(name)
        t0 = time.perf_counter()
        commander.editingFinished.emit()
        deadline = t0 + 30.0
        while not board_shows(name):
            if time.perf_counter() > deadline:
                raise RuntimeError("the board did not show the commander within 30 s")
            app.processEvents()
        app.processEvents()
        return (time.perf_counter() - t0) * 1000

    times = [one_note(n) for n in range(WARM_UP_NOTES + notes)][WARM_UP_NOTES:]
    roles = [one_commander(n) for n in range(WARM_UP_NOTES + notes)][WARM_UP_NOTES:]
    if profile:
        import cProfile
        import pstats

        for name, action in (("notes", one_note), ("commander changes", one_commander)):
            profiler = cProfile.Profile()
            profiler.enable()
            for n in range(10):
                action(1000 + n)
            profiler.disable()
            header(f"cProfile of 10 {name} at {scale}x (cumulative, then own time)")
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(15)
    incident_window.close()
    window.close()
    app.processEvents()
    database.dispose()
    return times, roles


def print_row(name: str, values: list[float], goal: float | None) -> None:
    s = Summary.of(values)
    line = (
        f"  {name:<34} median {fmt_ms(s.median, 7)}  p95 {fmt_ms(s.p95, 7)}"
        f"  max {fmt_ms(s.maximum, 7)}  min {fmt_ms(s.minimum, 7)}"
    )
    if goal is not None:
        ok = s.median <= goal and s.p95 <= goal
        line += f"   goal <= {goal:g} ms: {'meets' if ok else 'MISSES'}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=30)
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        choices=sorted(SCALES),
        help="a data set to run on (repeatable; default: 1 and 10)",
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile 10 of each")
    args = parser.parse_args()
    scales = args.scale or [1, 10]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    results: dict[int, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        # Keep the user's real config (a policy override) and logs out of the measurement.
        os.environ["XDG_CONFIG_HOME"] = str(root / "config")
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        print("warroom note from the GUI —", machine_line())
        for scale in scales:
            results[scale] = bench_scale(root / f"data{scale}", scale, args.notes, args.profile)

    for what, kind in (
        ("one note from the GUI, committed and shown", 0),
        ("one commander change from the GUI, committed and shown on the board", 1),
    ):
        header(f"{what} ({args.notes} per set)")
        for scale, figures in results.items():
            print_row(f"{scale}x", figures[kind], GOAL_MS if scale == 10 else None)
        if 1 in results and 10 in results:
            ratio = Summary.of(results[10][kind]).median / Summary.of(results[1][kind]).median
            print(
                f"  ratio 10x / 1x (medians): {ratio:.2f}x   (1.0x: independent of incident count)"
            )


if __name__ == "__main__":
    main()
