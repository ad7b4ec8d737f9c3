"""Cost of one 1 Hz tick on the board: 200 open incidents, window at 1366x768, offscreen.

    python tests/perf/bench_tick.py [--ticks 200] [--profile] [--scale 10]

`--scale 10` runs on the 10x data set (10,000 incidents, 500 open, 500,000 events) instead
of the 1x one (1,000 incidents, 200 open, 20,000 events).

Per tick: advance a FakeClock by 1 s, then time ticker.tick() (the model emits dataChanged
for the three clock columns) plus a synchronous board.viewport().repaint() of the whole
viewport: the figure of record. Posted events are drained outside the timed span; their
cost is reported on a separate line. A second figure times the path the running app takes:
tick, then processEvents() until the event loop has painted the region dataChanged dirtied
(only the clock columns' cells).

Baseline, side by side: a plain QTableView over a QStandardItemModel, 200 rows x 7 columns,
where 3 columns' text changes each tick (600 setData calls) followed by the same repaint.
The two alternate tick by tick in one process, so load on the machine falls on both alike.

Goals: tick + repaint <= 1.2x the baseline (medians); no tick over 50 ms, also in the
ticks in which a deadline passes and a reminder falls due (the clock is moved, untimed, to
a second before each of the next 40 deadlines on the board; the tick across it is timed). The app's
stylesheet is applied, as in run_gui.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fixtures import (
    Summary,
    add_scale_argument,
    build_scaled,
    fmt_ms,
    header,
    machine_line,
    quiet_qt_warnings,
)

from warroom.bootstrap import build

GOAL_RATIO = 1.2  # tick + repaint, warroom / the plain QTableView baseline
WORST_TICK_MS = 50.0
DEADLINE_TICKS = 40
WIDTH, HEIGHT = 1366, 768
WARM_UP_TICKS = 10


def visible_rows(view: object) -> int:
    viewport = view.viewport()  # type: ignore[attr-defined]
    first = view.rowAt(0)  # type: ignore[attr-defined]
    last = view.rowAt(viewport.height() - 1)  # type: ignore[attr-defined]
    if last < 0:
        last = view.model().rowCount() - 1  # type: ignore[attr-defined]
    return last - first + 1


@dataclass
class Subject:
    """One table under test: what a tick does, and the synchronous repaint after it."""

    name: str
    step: Callable[[], None]
    repaint: Callable[[], None]
    viewport: Any


def measure(app: Any, subjects: list[Subject], ticks: int) -> dict[str, dict[str, list[float]]]:
    """Runs `ticks` ticks of every subject, alternating them tick by tick so that load on
    the machine falls on both alike; per subject, per-tick times in ms: the step (model
    update), the synchronous repaint, their sum, and the posted events drained afterwards."""
    times = {s.name: {"step": [], "repaint": [], "total": [], "drained": []} for s in subjects}
    for n in range(WARM_UP_TICKS + ticks):
        for subject in subjects:
            timed = timed_tick(app, subject)
            if n >= WARM_UP_TICKS:
                for name, value in timed.items():
                    times[subject.name][name].append(value)
    return times


def timed_tick(app: Any, subject: Subject) -> dict[str, float]:
    """One tick of `subject`, in ms: the step, the synchronous repaint, their sum, and the
    posted events drained afterwards (outside the sum)."""
    t0 = time.perf_counter()
    subject.step()
    t1 = time.perf_counter()
    subject.repaint()
    t2 = time.perf_counter()
    app.processEvents()
    t3 = time.perf_counter()
    return {
        "step": (t1 - t0) * 1000,
        "repaint": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
        "drained": (t3 - t2) * 1000,
    }


def measure_event_loop(app: Any, subjects: list[Subject], ticks: int) -> dict[str, list[float]]:
    """The path the running app takes: the step, then the event loop paints only the region
    that dataChanged marked dirty. Times step + processEvents until that paint is done;
    subjects alternate tick by tick."""
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    counters = {s.name: PaintCounter() for s in subjects}
    for subject in subjects:
        subject.viewport.installEventFilter(counters[subject.name])
    times: dict[str, list[float]] = {s.name: [] for s in subjects}
    for n in range(WARM_UP_TICKS + ticks):
        for subject in subjects:
            counter = counters[subject.name]
            before = counter.count
            t0 = time.perf_counter()
            subject.step()
            deadline = time.perf_counter() + 1.0  # a slow step still gets its paint
            while counter.count == before and time.perf_counter() < deadline:
                app.processEvents()
            t1 = time.perf_counter()
            if counter.count == before:
                raise RuntimeError(f"{subject.name}: the tick did not cause a paint within 1 s")
            if n >= WARM_UP_TICKS:
                times[subject.name].append((t1 - t0) * 1000)
    for subject in subjects:
        subject.viewport.removeEventFilter(counters[subject.name])
    return times


def print_row(name: str, values: list[float]) -> None:
    s = Summary.of(values)
    print(
        f"  {name:<46} median {fmt_ms(s.median, 6)}  p95 {fmt_ms(s.p95, 6)}"
        f"  max {fmt_ms(s.maximum, 6)}  min {fmt_ms(s.minimum, 6)}"
    )


def board_subject(data_dir: Path, scale: int) -> tuple[Subject, Any, Callable[[], bool]]:
    """warroom's main window on the data set; returns the subject, the window, and a
    function that ticks one second across the next deadline of an open incident."""
    from PySide6.QtWidgets import QApplication

    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain import clocks
    from warroom.domain.clock import FakeClock
    from warroom.system.paths import resolve_paths
    from warroom.system.settings import load_policy
    from warroom.ui.app import load_stylesheet
    from warroom.ui.gui_thread_gc import GuiThreadCollector
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    built = build_scaled(data_dir, scale)
    print(
        f"{scale}x: {built.incidents} incidents, {built.open_incidents} open, {built.events} events"
    )
    app = QApplication.instance() or QApplication([])
    GuiThreadCollector(app)  # as run_gui does; the baseline runs in the same process
    quiet_qt_warnings()
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
    board = window.board
    print(
        f"platform: {app.platformName()}; "
        f"board: {window.model.rowCount()} rows, {visible_rows(board)} visible, "
        f"viewport {board.viewport().width()}x{board.viewport().height()}"
    )

    def step() -> None:
        clock.advance(seconds=1)
        ticker.tick()

    def across_a_deadline() -> bool:
        """Untimed, the clock moves to a second before the next deadline on the board and
        ticks; then (timed by the caller) one tick of one second crosses it, as in the
        running app. False when no deadline is left."""
        now = clock.now()
        deadlines = [
            clocks.next_deadline(incident, policy) for incident in window.model.incidents()
        ]
        upcoming = [d for d in deadlines if d is not None and d > now + timedelta(seconds=1)]
        if not upcoming:
            return False
        clock.set(min(upcoming) - timedelta(seconds=1))
        ticker.tick()
        app.processEvents()
        return True

    window.destroyed.connect(database.dispose)
    subject = Subject("warroom", step, board.viewport().repaint, board.viewport())
    return subject, window, across_a_deadline


def baseline_subject() -> tuple[Subject, Any]:
    from datetime import timedelta

    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication.instance() or QApplication([])
    model = QStandardItemModel(200, 7)
    for row in range(200):
        for column in range(7):
            model.setItem(row, column, QStandardItem(f"r{row} c{column}"))
    view = QTableView()
    view.setModel(model)
    window = QMainWindow()
    window.setCentralWidget(view)
    window.resize(WIDTH, HEIGHT)
    window.show()
    window.grab()
    app.processEvents()
    print(f"baseline: 200 rows, {visible_rows(view)} visible (default font and row height)")
    second = [0]

    def step() -> None:
        second[0] += 1
        for row in range(200):
            elapsed = timedelta(seconds=second[0] + row * 60)
            for column, text in (
                (4, str(elapsed)),
                (5, f"{(900 - second[0]) % 900} s left"),
                (6, f"OVERDUE +{second[0]} s"),
            ):
                model.item(row, column).setText(text)

    return Subject("baseline", step, view.viewport().repaint, view.viewport()), window


def report(times: dict[str, dict[str, list[float]]], loop: dict[str, list[float]]) -> None:
    ours, plain = times["warroom"], times["baseline"]
    header("warroom board: one tick, alternating with the baseline tick by tick")
    print_row("tick + viewport repaint", ours["total"])
    print_row("  of which ticker.tick() (dataChanged)", ours["step"])
    print_row("  of which viewport().repaint()", ours["repaint"])
    print_row("posted events drained after (not in the above)", ours["drained"])
    print_row("event-loop path: tick + paint of dirty region", loop["warroom"])
    header("baseline: QTableView + QStandardItemModel, 600 setText + repaint")
    print_row("600 setData + viewport repaint", plain["total"])
    print_row("  of which 600 setText", plain["step"])
    print_row("  of which viewport().repaint()", plain["repaint"])
    print_row("posted events drained after (not in the above)", plain["drained"])
    print_row("event-loop path: setData + paint of dirty region", loop["baseline"])
    ratio = Summary.of(ours["total"]).median / Summary.of(plain["total"]).median
    loop_ratio = Summary.of(loop["warroom"]).median / Summary.of(loop["baseline"]).median
    verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
    print(
        f"\n  ratio tick + repaint, warroom / baseline (medians): {ratio:.2f}x"
        f"   goal <= {GOAL_RATIO:g}x: {verdict}"
    )
    print(f"  ratio on the event-loop path (medians): {loop_ratio:.2f}x")
    worst = max(ours["step"])
    print(
        f"  worst tick (ticker.tick() alone): {fmt_ms(worst)}"
        f"   goal <= {WORST_TICK_MS:g} ms: {'meets' if worst <= WORST_TICK_MS else 'MISSES'}"
    )


def report_deadlines(
    app: Any, subject: Subject, across_a_deadline: Callable[[], bool], count: int
) -> None:
    """Ticks in which a deadline passes: an update or response falls due, its reminder
    shows, a missed update is recorded. Each is the one-second tick the running app makes
    at that moment."""
    ticks, totals = [], []
    for _ in range(count):
        if not across_a_deadline():
            break
        timed = timed_tick(app, subject)
        ticks.append(timed["step"])
        totals.append(timed["total"])
    header(f"{len(ticks)} ticks in which a deadline passes (reminders fall due)")
    print_row("ticker.tick()", ticks)
    print_row("tick + viewport repaint", totals)
    worst = max(ticks)
    print(
        f"  worst tick: {fmt_ms(worst)}"
        f"   goal <= {WORST_TICK_MS:g} ms: {'meets' if worst <= WORST_TICK_MS else 'MISSES'}"
    )


def bench(data_dir: Path, ticks: int, profile: bool, scale: int) -> None:
    from PySide6.QtWidgets import QApplication

    board, window, across_a_deadline = board_subject(data_dir, scale)
    baseline, plain_window = baseline_subject()
    app = QApplication.instance()
    subjects = [board, baseline]
    times = measure(app, subjects, ticks)
    loop = measure_event_loop(app, subjects, ticks)
    report(times, loop)
    report_deadlines(app, board, across_a_deadline, DEADLINE_TICKS)

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            board.step()
            board.repaint()
        profiler.disable()
        header("cProfile of 50 ticks (tottime)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)

    plain_window.close()
    window.close()
    window.deleteLater()
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="also cProfile 50 board ticks")
    add_scale_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        # Keep the user's real config (a policy override) and logs out of the measurement.
        os.environ["XDG_CONFIG_HOME"] = str(root / "config")
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        print("warroom tick —", machine_line())
        bench(root / "data", args.ticks, args.profile, args.scale)


if __name__ == "__main__":
    main()
