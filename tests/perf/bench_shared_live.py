"""Another laptop's change on the board: a shared war room (PostgreSQL, LISTEN/NOTIFY) vs a
SQLite file (the 1 Hz tick's poll), two processes on this machine.

    python tests/perf/bench_shared_live.py [--writes 50] [--warm-up 5] [--idle 20]

For each engine: a viewer process (the real MainWindow, offscreen, SystemClock and a running
1 Hz Ticker, one incident's window open) on the store, and this process writing through an
IncidentService of its own (the service alone, as the command line writes). The viewer
first sits idle: after the warm-up its CPU time (utime + stime, /proc/<pid>/stat) is read
over `--idle` seconds. Then this process writes, one at a time, `--writes` notes on the
incident the viewer has open and `--writes` declares, interleaved, each after a random
pause of 50-1050 ms (so the writes fall anywhere within the viewer's tick). Per write: from
its commit (the writer's service announcing it, just after the commit) to the viewer's
model showing it (the board row of the declared incident, the note as a row of the open
incident window's timeline), both read from the machine's monotonic clock. The viewer
prints that moment from a listener on the window's change signal, connected after the
window's own, so the model has been updated when it fires. A second line times the notes
from just before the service call (the write itself included).

Goal (shared war room): median <= 250 ms and p95 <= 1 s; idle CPU <= 1 % of a core, as the
SQLite viewer's. The PostgreSQL server is started here (tests/postgres_server.py), with
fsync off as in the tests.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fixtures import REPO_ROOT, Summary, header, isolated_env, machine_line, python

if TYPE_CHECKING:
    from warroom.adapters.sql.database import StoreDatabase

GOAL_MEDIAN_MS = 250.0
GOAL_P95_MS = 1000.0
GOAL_IDLE_PERCENT = 1.0
SEEDED_OPEN = 50  # open incidents on the board before the benchmark's own
SEEN_TIMEOUT_S = 15.0


# -- the viewer (a child process) ----------------------------------------------------------
def viewer(engine: str, target: str, folder: str, incident_id: int) -> None:
    """The board on the store, one incident's window open; prints `READY`, then
    `SEEN marker monotonic_ns` for each benchmark marker once its model shows it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from warroom.bootstrap import build
    from warroom.domain.clock import SystemClock
    from warroom.domain.policy import load_policy_file
    from warroom.system.paths import builtin_policy_file
    from warroom.ui.app import load_stylesheet
    from warroom.ui.gui_thread_gc import GuiThreadCollector
    from warroom.ui.main_window import MainWindow
    from warroom.ui.ticker import Ticker

    app = QApplication(sys.argv[:1])
    GuiThreadCollector(app)  # as run_gui does
    from fixtures import quiet_qt_warnings

    quiet_qt_warnings("propagateSizeHints", "does not support raise")
    app.setStyleSheet(load_stylesheet())
    database = _open(engine, target, Path(folder))
    clock = SystemClock()
    policy = load_policy_file(builtin_policy_file())
    services = build(database, clock, actor="viewer", policy=policy)
    ticker = Ticker(clock, running=True)
    window = MainWindow(services, policy, clock, ticker, database.location)
    window.resize(1366, 768)
    window.show()
    detail = window.open_incident(incident_id)
    app.processEvents()
    seen: set[str] = set()

    def look() -> None:
        now = time.monotonic_ns()
        shown = [i.title for i in window.model.incidents()]
        table = detail.timeline_table
        shown += [
            item.text()
            for row in range(max(0, table.rowCount() - 5), table.rowCount())
            if (item := table.item(row, 2)) is not None
        ]
        for text in shown:
            if text.startswith("bench-") and text not in seen:
                seen.add(text)
                print(f"SEEN {text} {now}", flush=True)

    def on_changes(_changes: object) -> None:
        look()
        QTimer.singleShot(0, look)  # in case a window refreshes a turn of the loop later

    assert window.bridge is not None
    window.bridge.changed.connect(on_changes)  # after the window's own listeners
    live = getattr(window, "live_notices", None)
    socket = live.socket if live is not None else None
    print(f"READY socket={socket}", flush=True)
    app.exec()


def _open(engine: str, target: str, folder: Path) -> StoreDatabase:
    if engine == "postgresql":
        from warroom.adapters.sql.postgres.database import open_shared

        folder.mkdir(parents=True, exist_ok=True)
        return open_shared(target, folder)
    from warroom.adapters.sql.sqlite.database import open_database

    return open_database(Path(target))


# -- the parent: the writer and the measurements -----------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    engine: str
    idle_percent: float
    notes: list[float]  # ms from the commit to the viewer's model showing it
    declares: list[float]
    notes_from_call: list[float]  # the same, from before the service call

    @property
    def both(self) -> list[float]:
        return self.notes + self.declares


def run_engine(engine: str, target: str, root: Path, args: argparse.Namespace) -> Result:
    from warroom.bootstrap import incident_service
    from warroom.domain.clock import SystemClock

    folder = root / f"{engine}-writer"
    database = _open(engine, target, folder)
    # The incident service alone, as the command line writes: nothing else listens to it.
    service = incident_service(database, SystemClock(), actor="writer")
    announced: list[int] = []  # when each write was announced: just after its commit
    service.subscribe(lambda _changes: announced.append(time.monotonic_ns()))
    for n in range(SEEDED_OPEN):
        service.declare(f"seeded incident {n}", "P2", commander="Dana Whitfield")
    watched = service.declare("the incident the viewer has open", "P1", commander="Sam Chen")

    env = isolated_env(root / f"{engine}-home")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), str(REPO_ROOT), env.get("PYTHONPATH", "")]
    )
    child = subprocess.Popen(
        [
            python(),
            __file__,
            "--viewer",
            engine,
            target,
            str(root / f"{engine}-viewer"),
            str(watched.id),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    try:
        ready = lines.get(timeout=120)
        if not ready.startswith("READY"):
            raise RuntimeError(f"the viewer did not start: {ready!r}")
        print(f"\n{engine}: viewer up ({ready}); {SEEDED_OPEN + 1} open incidents")
        time.sleep(args.warm_up)
        cpu0, t0 = cpu_seconds(child.pid), time.monotonic()
        time.sleep(args.idle)
        cpu1, t1 = cpu_seconds(child.pid), time.monotonic()
        idle_percent = (cpu1 - cpu0) / (t1 - t0) * 100
        print(f"{engine}: idle {idle_percent:.2f} % of a core over {t1 - t0:.1f} s")

        def seen(marker: str) -> int:
            deadline = time.monotonic() + SEEN_TIMEOUT_S
            while True:
                try:
                    line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty:
                    raise RuntimeError(f"the viewer never showed {marker}") from None
                _, text, at = line.split(" ")
                if text == marker:
                    return int(at)

        rng = random.Random(7)
        result = Result(engine, idle_percent, [], [], [])
        for n in range(args.writes * 2):
            time.sleep(rng.uniform(0.05, 1.05))  # anywhere within the viewer's tick
            marker = f"bench-{engine}-{n}"
            announced.clear()
            before = time.monotonic_ns()
            if n % 2 == 0:
                service.add_note(watched.id, marker)
            else:
                service.declare(marker, "P3", commander="Jo Martins")
            committed = announced[0]
            shown = seen(marker)
            (result.notes if n % 2 == 0 else result.declares).append((shown - committed) / 1e6)
            if n % 2 == 0:
                result.notes_from_call.append((shown - before) / 1e6)
        if child.poll() is not None:
            raise RuntimeError(f"the viewer exited early with {child.returncode}")
        return result
    finally:
        child.terminate()
        child.wait(timeout=10)
        database.dispose()


def line(name: str, values: list[float], goal: bool) -> None:
    s = Summary.of(values)
    text = (
        f"  {name:<40} median {s.median:7.1f} ms  p95 {s.p95:7.1f} ms  "
        f"min {s.minimum:6.1f}  max {s.maximum:7.1f}"
    )
    if goal:
        ok = s.median <= GOAL_MEDIAN_MS and s.p95 <= GOAL_P95_MS
        text += f"   goal median <= {GOAL_MEDIAN_MS:g}, p95 <= {GOAL_P95_MS:g}: "
        text += "meets" if ok else "MISSES"
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=50, help="notes, and as many declares")
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU read")
    parser.add_argument("--viewer", nargs=4, metavar=("ENGINE", "TARGET", "FOLDER", "ID"))
    args = parser.parse_args()
    if args.viewer:
        engine, target, folder, incident_id = args.viewer
        viewer(engine, target, folder, int(incident_id))
        return
    if not Path("/proc/self/stat").exists():
        raise SystemExit("this benchmark reads /proc and needs Linux")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO_ROOT))
    from tests import postgres_server

    print("warroom shared war room, live across two processes —", machine_line())
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(root / "config")
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        server = postgres_server.start()
        try:
            server.admin("CREATE DATABASE warroom_bench")
            results["postgresql"] = run_engine(
                "postgresql", server.url("warroom_bench"), root, args
            )
        finally:
            server.remove()
        results["sqlite"] = run_engine("sqlite", str(root / "warroom.db"), root, args)

    shared, local = results["postgresql"], results["sqlite"]
    header(f"commit -> the other process's model shows it ({args.writes} of each)")
    line("shared (PostgreSQL), notes", shared.notes, True)
    line("shared (PostgreSQL), declares", shared.declares, True)
    line("shared (PostgreSQL), both", shared.both, True)
    line("shared, notes from before the call", shared.notes_from_call, False)
    line("SQLite file (the tick), both", local.both, False)
    ratio = Summary.of(shared.both).median / Summary.of(local.both).median
    p95_ratio = Summary.of(shared.both).p95 / Summary.of(local.both).p95
    print(f"  shared / SQLite: median {ratio:.2f}x, p95 {p95_ratio:.2f}x")

    header(f"viewer idle CPU, % of one core over {args.idle:g} s (ticker running)")
    print(f"  SQLite file (baseline)   {local.idle_percent:6.2f} %")
    verdict = "meets" if shared.idle_percent <= GOAL_IDLE_PERCENT else "MISSES"
    print(
        f"  shared (PostgreSQL)      {shared.idle_percent:6.2f} %   "
        f"goal <= {GOAL_IDLE_PERCENT:g} %: {verdict}"
    )
    if local.idle_percent > 0:
        print(f"  shared / SQLite          {shared.idle_percent / local.idle_percent:6.2f}x")


if __name__ == "__main__":
    main()
