"""The shipped program's start, from exec to its board painted and to its actions working,
against the floor of a bare PySide6 window that also imports sqlmodel.

    python tests/perf/bench_start_real.py [--runs 7] [--scale 1|10]

The program is the real `warroom` console script beside this Python (what users run), on its
own data folder (the benchmark's data set, copied), with WARROOM_EXIT_AFTER=settled: it prints
"warroom: painted" after the board's first paint, "warroom: usable" once its actions work and
"warroom: settled" once the rest of the start (the post-mortem due clocks, read from the event
loop just after) is shown, then quits (warroom/ui/app.py). The parent times spawn -> each line
as it reads it. The floor is tests/perf/_app_child.py's `floor` (python + import PySide6 +
import sqlmodel + QApplication + a bare QMainWindow painted). Runs are interleaved, after one
discarded warm-up each; everything is offscreen with HOME and the XDG dirs in a temp dir.

Goals (issue 19, ratios of medians in one run): painted / floor <= 1.0x at 1x and <= 1.3x at
10x; usable / floor <= 1.5x. Settled is printed beside them, with no goal of its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures import APP_CHILD, Summary, build_database, fmt_ms, header, isolated_env, python

GOALS = {1: 1.0, 10: 1.3}
USABLE_GOAL = 1.5
SCALES = {1: (1000, 200, 20_000), 10: (10_000, 500, 500_000)}


def warroom_program() -> Path:
    program = Path(sys.executable).with_name("warroom")
    if not program.exists():
        raise SystemExit(f"no warroom console script beside {sys.executable}: pip install -e .")
    return program


def run_program(data_dir: Path, home: Path) -> dict[str, float]:
    """spawn -> "painted", "usable" and "settled", in ms, as the parent reads the lines."""
    env = isolated_env(home, WARROOM_EXIT_AFTER="settled", WARROOM_ACTOR="Bench")
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(warroom_program()), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, float] = {}
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("warroom: "):
            seen[line.strip().removeprefix("warroom: ")] = (time.perf_counter() - started) * 1000
    _out, err = child.communicate()
    if child.returncode != 0 or set(seen) != {"painted", "usable", "settled"}:
        raise RuntimeError(f"warroom exited {child.returncode}, said {sorted(seen)}:\n{err}")
    return seen


def run_floor(home: Path) -> float:
    spawn_ns = time.time_ns()
    done = subprocess.run(
        [python(), str(APP_CHILD), "floor"],
        env=isolated_env(home, BENCH_SPAWN_NS=str(spawn_ns)),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"floor failed ({done.returncode}):\n{done.stderr}")
    return float(json.loads(lines[-1].removeprefix("BENCH "))["painted_since_spawn_ms"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=int, choices=sorted(SCALES), default=1)
    args = parser.parse_args()
    incidents, open_count, events = SCALES[args.scale]
    with tempfile.TemporaryDirectory(prefix="warroom-start-") as tmp:
        root = Path(tmp)
        built = build_database(root / "built", incidents, open_count, events)
        print(
            f"{args.scale}x: {built.incidents} incidents ({built.open_incidents} open), "
            f"{built.events} events, built in {built.seconds:.1f} s; {args.runs} runs each"
        )
        data = root / "data"
        shutil.copytree(root / "built", data)
        home = root / "home"
        run_floor(home)  # warm-ups, discarded: .pyc files and the page cache
        run_program(data, home)
        floors: list[float] = []
        painted: list[float] = []
        usable: list[float] = []
        settled: list[float] = []
        for _ in range(args.runs):
            floors.append(run_floor(home))
            seen = run_program(data, home)
            painted.append(seen["painted"])
            usable.append(seen["usable"])
            settled.append(seen["settled"])
    header(f"spawn -> painted / usable, {args.scale}x")
    floor = Summary.of(floors)
    goal = GOALS[args.scale]
    for name, values, wanted in (
        ("floor (bare window + sqlmodel)", floors, None),
        ("warroom: board painted", painted, goal),
        ("warroom: usable (actions on)", usable, USABLE_GOAL),
        ("warroom: settled (due clocks on)", settled, None),
    ):
        s = Summary.of(values)
        ratio = s.median / floor.median
        verdict = (
            ""
            if wanted is None
            else f"goal <= {wanted}x: " + ("PASS" if ratio <= wanted else "MISS")
        )
        print(f"  {name:<34} median {fmt_ms(s.median)}  min {fmt_ms(s.minimum)}  "
              f"{ratio:5.2f}x  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
