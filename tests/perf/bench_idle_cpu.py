"""Idle CPU with the board open: the real app path with a running 1 Hz ticker, offscreen.

    python tests/perf/bench_idle_cpu.py [--warm-up 5] [--seconds 30] [--scale 1|10]

A child process (_app_child.py idle) opens the board on a database of 1,000 incidents
(200 open; `--scale 10`: 10,000 incidents, 500 open, 500,000 events) with SystemClock and a
running Ticker, then sits in app.exec(). The parent waits until the board has painted, lets
it settle for the warm-up, then reads the child's CPU time (utime + stime of all its
threads, /proc/<pid>/stat) and context switches at the start and the end of the window.
Goal: at most 1 % of one core at 1x, 2 % at 10x.

Offscreen, Qt still paints into the window's backing store each tick (software raster), but
nothing is composited or sent to a display server, so a real desktop costs a little more.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures import (
    APP_CHILD,
    add_scale_argument,
    build_scaled,
    header,
    isolated_env,
    machine_line,
    python,
)

GOAL_PERCENT = {1: 1.0, 10: 2.0}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def context_switches(pid: int) -> int:
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
            total += int(line.split()[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    add_scale_argument(parser)
    args = parser.parse_args()
    goal = GOAL_PERCENT[args.scale]
    if not Path("/proc/self/stat").exists():
        raise SystemExit("this benchmark reads /proc and needs Linux")

    print("warroom idle CPU —", machine_line())
    with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
        root = Path(tmp)
        built = build_scaled(root / "data", args.scale)  # clocks around the real "now"
        env = isolated_env(root / "home", BENCH_SPAWN_NS=str(time.time_ns()))
        child = subprocess.Popen(
            [python(), str(APP_CHILD), "idle", str(root / "data")],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            line = child.stdout.readline()  # blocks until the board has painted
            if not line.startswith("BENCH "):
                raise RuntimeError(f"child did not start: {line!r} (exit {child.poll()})")
            started = json.loads(line.removeprefix("BENCH "))
            print(
                f"board open: {started['rows']} rows of {built.open_incidents} open incidents, "
                f"painted {started['painted_since_spawn_ms']:.0f} ms after spawn"
            )
            time.sleep(args.warm_up)
            cpu0, switches0, t0 = cpu_seconds(child.pid), context_switches(child.pid), time.time()
            time.sleep(args.seconds)
            cpu1, switches1, t1 = cpu_seconds(child.pid), context_switches(child.pid), time.time()
            if child.poll() is not None:
                raise RuntimeError(f"child exited early with {child.returncode}")
        finally:
            child.terminate()
            child.wait(timeout=10)

    wall = t1 - t0
    percent = (cpu1 - cpu0) / wall * 100
    header(f"Idle CPU at {args.scale}x over {wall:.1f} s, after {args.warm_up:g} s warm-up")
    print(f"  CPU time used            {(cpu1 - cpu0) * 1000:8.0f} ms")
    print(f"  per tick (1 Hz)          {(cpu1 - cpu0) * 1000 / wall:8.1f} ms")
    print(f"  context switches / s     {(switches1 - switches0) / wall:8.1f}")
    verdict = "meets" if percent <= goal else "MISSES"
    print(f"  CPU, % of one core       {percent:8.2f} %   goal <= {goal:g} %: {verdict}")


if __name__ == "__main__":
    main()
