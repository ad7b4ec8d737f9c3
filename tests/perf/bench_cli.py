"""The headless verbs as alert hooks run them: fresh processes, against `import sqlmodel`.

    python tests/perf/bench_cli.py [--runs 9] [--source DIR] [--baseline DIR]

Database: 1,000 incidents (200 open) and 20,000 timeline events (fixtures.build_database),
built once. Each run is a fresh process of the installed `warroom-cli` console script (the
[project.scripts] entry beside this Python) with a fixed --actor and --data-dir, started and
waited for by this script; the floor is `python -c "import sqlmodel"`. One round runs every
command once, in an order rotated each round, so load on the machine falls on all of them
alike; one discarded warm-up round comes first (the .pyc files, kept under the temp dir
whatever PYTHONDONTWRITEBYTECODE says, and the OS page cache warm).

The write verbs (declare, note, ack) each run on a fresh copy of the database, copied (and
flushed to disk) before the clock starts, so every run does the same work (ack always finds
the incident not yet acknowledged). The read verbs run on the one database, which never changes.

Figures of record: median wall time of each verb / median of the floor, measured in the same
rounds. Goals: write verbs <= 1.3x, read verbs (`list --json`, `show ID --json`) <= 0.3x.
--source DIR runs the package found in DIR (a checkout) instead of the installed one, to
compare two versions on the same machine and database. --baseline DIR also runs every verb
from the package in DIR (e.g. `git archive` of an earlier commit's warroom and resources),
in the same rounds and against the same floor, so a before/after comparison shares its load.
The database is built by the warroom this script imports: a baseline with an older schema
refuses it, so put the newer checkout first on this script's own PYTHONPATH too.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from fixtures import DB_NAME, build_database, isolated_env, percentile

ACTOR = "Bench Runner"
WRITE_GOAL = 1.3
READ_GOAL = 0.3


@dataclass(frozen=True)
class Command:
    name: str
    argv: list[str]
    goal: float | None  # the ratio to the floor's median; None for the floor itself
    writes: bool = False
    pythonpath: str | None = None  # another checkout's package (--baseline)


def cli_script() -> str:
    """The console script users run, installed beside this Python."""
    script = Path(sys.executable).parent / "warroom-cli"
    if not script.exists():
        raise SystemExit(f"{script} is missing: install the project (pip install -e .)")
    return str(script)


def pick_ids(db: Path) -> tuple[int, int]:
    """An open incident not yet acknowledged (for ack and note), and the open incident with
    the longest timeline (for show)."""
    with sqlite3.connect(db) as conn:
        unacked = conn.execute(
            "SELECT id FROM incident WHERE status IN ('triage', 'active', 'mitigated') "
            "AND acknowledged_at IS NULL ORDER BY id LIMIT 1"
        ).fetchone()[0]
        longest = conn.execute(
            "SELECT e.incident_id FROM timeline_event e JOIN incident i ON i.id = e.incident_id "
            "WHERE i.status IN ('triage', 'active', 'mitigated') "
            "GROUP BY e.incident_id ORDER BY COUNT(*) DESC, e.incident_id LIMIT 1"
        ).fetchone()[0]
    conn.close()
    return unacked, longest


def commands(script: str, data: Path, unacked: int, longest: int) -> list[Command]:
    def verb(*argv: str) -> list[str]:
        return [script, *argv, "--actor", ACTOR, "--data-dir", str(data)]

    return [
        Command("floor: import sqlmodel", [sys.executable, "-c", "import sqlmodel"], None),
        Command(
            "declare",
            verb("declare", "--title", "checkout returning 500s", "--severity", "P1"),
            WRITE_GOAL,
            writes=True,
        ),
        Command("note", verb("note", str(unacked), "Rolled back the deploy"), WRITE_GOAL, True),
        Command("ack", verb("ack", str(unacked)), WRITE_GOAL, writes=True),
        Command("list --json", verb("list", "--json"), READ_GOAL),
        Command(f"show {longest} --json", verb("show", str(longest), "--json"), READ_GOAL),
    ]


def baseline_of(command: Command, source: Path) -> Command:
    """The same verb, run from the package in `source`."""
    name = f"{command.name} [{source.name}]"
    return replace(command, name=name, goal=None, pythonpath=str(source.resolve()))


def run_once(
    command: Command, pristine: Path, scratch: Path, env: dict[str, str]
) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run; CPU is user + system of the child, read from the
    rusage of waited-for children, so it barely moves with other load on the machine."""
    argv = command.argv
    if command.writes:  # a fresh copy, made before the clock starts
        if scratch.exists():
            shutil.rmtree(scratch)
        scratch.mkdir(mode=0o700)  # private, as a user's data folder is: no warning
        shutil.copy2(pristine / DB_NAME, scratch / DB_NAME)
        _flush(scratch / DB_NAME)
        argv = [str(scratch) if a == str(pristine) else a for a in argv]
    if command.pythonpath:
        env = {**env, "PYTHONPATH": command.pythonpath}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    quiet = command.name.startswith(("floor", "ack"))  # the others print what they did
    if done.returncode != 0 or (not quiet and not done.stdout):
        raise SystemExit(
            f"{command.name} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return elapsed, cpu


def _flush(copy: Path) -> None:
    """The copy on disk before the clock starts: otherwise the verb's first fsync of the file
    writes out all of the copy's pages, the set-up's cost, not the verb's."""
    for path, flags in ((copy, os.O_RDONLY), (copy.parent, os.O_RDONLY | os.O_DIRECTORY)):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min), {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument("--source", type=Path, help="run the warroom package in this checkout")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run every verb from the package in this checkout, in the same rounds",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="warroom-bench-cli-") as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir(mode=0o700)
        built = build_database(data)
        # Compiled modules kept (in the temp dir): users' installs have them, and the
        # warm-up round writes them, whatever PYTHONDONTWRITEBYTECODE says here.
        extra = {"WARROOM_ACTOR": ACTOR, "PYTHONPYCACHEPREFIX": str(root / "pycache")}
        if args.source:
            extra["PYTHONPATH"] = str(args.source.resolve())
        env = isolated_env(root / "home", **extra)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        unacked, longest = pick_ids(built.path)
        todo = commands(cli_script(), data, unacked, longest)
        if args.baseline:
            todo += [baseline_of(c, args.baseline) for c in todo[1:]]
        print(
            f"{built.incidents} incidents ({built.open_incidents} open), {built.events} events, "
            f"built in {built.seconds:.1f} s; {args.runs} rounds + 1 warm-up; "
            f"source: {args.source or 'installed'}"
            + (f"; baseline: {args.baseline}" if args.baseline else "")
        )
        print(f"before: {load()}")
        times: dict[str, list[float]] = {c.name: [] for c in todo}
        cpu: dict[str, list[float]] = {c.name: [] for c in todo}
        for round_no in range(args.runs + 1):
            shift = round_no % len(todo)
            for command in todo[shift:] + todo[:shift]:
                elapsed, used = run_once(command, data, root / "scratch", env)
                if round_no:  # round 0 is the warm-up
                    times[command.name].append(elapsed)
                    cpu[command.name].append(used)
        print(f"after:  {load()}")

    floor = statistics.median(times[todo[0].name])
    floor_cpu = statistics.median(cpu[todo[0].name])
    print()
    print("wall: spawn to exit, median and p90; ratio = median / the floor's median (the goal)")
    print("cpu:  user + system time of the process, median; its ratio, steadier under load")
    width = max(len(c.name) for c in todo) + 1
    print(
        f"{'command':<{width}} {'wall':>9} {'p90':>9} {'ratio':>7} {'cpu':>9} {'ratio':>7}  "
        "goal     result"
    )
    for command in todo:
        values = times[command.name]
        median = statistics.median(values)
        ratio = median / floor
        used = statistics.median(cpu[command.name])
        goal = f"<= {command.goal}x" if command.goal is not None else ""
        if command.pythonpath:
            goal = "baseline"
        verdict = "" if command.goal is None else ("PASS" if ratio <= command.goal else "MISS")
        print(
            f"{command.name:<{width}} {median:7.1f}ms {percentile(values, 0.9):7.1f}ms "
            f"{ratio:6.2f}x {used:7.1f}ms {used / floor_cpu:6.2f}x  {goal:<8} {verdict}"
        )


if __name__ == "__main__":
    main()
