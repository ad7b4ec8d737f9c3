"""Cold start of the frozen bundle against the same version from the venv, side by side.

    python tests/perf/bench_bundle_start.py [--runs 7] [--bundle dist/warroom/warroom]

Needs the bundle (packaging/build-linux.sh), Xvfb and libX11. Database: 1,000 incidents (200
open) and 20,000 timeline events, built once; each executable gets its own copy of it. Each run
is a fresh process of the real program, the bundle's `warroom` or the venv's `warroom`, with
--data-dir, on a private Xvfb; the two alternate, after one discarded warm-up each (so both
find their files in the OS page cache and today's backup already taken).

The time runs from just before the spawn to the X server's MapNotify for the program's window,
received on this script's own X connection: the moment `xdotool search --onlyvisible` (as in CI)
would find it. Then the process is terminated.

Figure of record: bundle / venv, medians. Goal <= 1.2.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures import Summary, build_database, fmt_ms, header, isolated_env, machine_line

GOAL_RATIO = 1.2
REPO = Path(__file__).resolve().parents[2]
MAP_NOTIFY = 19
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
TIMEOUT_S = 60.0


class XMapEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("override_redirect", ctypes.c_int),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xmap", XMapEvent), ("pad", ctypes.c_long * 24)]


class MapWatcher:
    """A connection to the X server that hears every top-level window being mapped."""

    def __init__(self, display: str) -> None:
        self.xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xlib.XOpenDisplay.restype = ctypes.c_void_p
        self.xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        for name in ("XDefaultRootWindow", "XConnectionNumber", "XPending", "XFlush"):
            getattr(self.xlib, name).argtypes = [ctypes.c_void_p]
        self.xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        self.xlib.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        self.xlib.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(XEvent)]
        self.display = self.xlib.XOpenDisplay(display.encode())
        if not self.display:
            raise RuntimeError(f"cannot open X display {display}")
        root = self.xlib.XDefaultRootWindow(self.display)
        self.xlib.XSelectInput(self.display, root, SUBSTRUCTURE_NOTIFY_MASK)
        self.xlib.XFlush(self.display)
        self.fd = self.xlib.XConnectionNumber(self.display)

    def drain(self) -> None:
        event = XEvent()
        while self.xlib.XPending(self.display):
            self.xlib.XNextEvent(self.display, ctypes.byref(event))

    def wait_for_map(self, process: subprocess.Popen[bytes], deadline: float) -> float:
        """perf_counter() when a window (not a popup) was mapped."""
        event = XEvent()
        while time.perf_counter() < deadline:
            while self.xlib.XPending(self.display):
                self.xlib.XNextEvent(self.display, ctypes.byref(event))
                if event.type == MAP_NOTIFY and not event.xmap.override_redirect:
                    return time.perf_counter()
            if process.poll() is not None:
                raise RuntimeError(f"exited ({process.returncode}) before showing a window")
            select.select([self.fd], [], [], 0.05)
        raise RuntimeError(f"no window within {TIMEOUT_S:.0f} s")


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    if not shutil.which("Xvfb"):
        raise SystemExit("Xvfb is needed (Debian: apt-get install xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()
    if not number:
        raise SystemExit("Xvfb did not start")
    return server, f":{number}"


def run_once(
    program: Path, data: Path, home: Path, x: MapWatcher, display: str, warm_up: bool
) -> float:
    """One fresh process; returns ms from spawn to its window mapped."""
    env = isolated_env(home, QT_QPA_PLATFORM="xcb", DISPLAY=display)
    x.drain()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(program), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        mapped = x.wait_for_map(process, started + TIMEOUT_S)
    except RuntimeError as exc:
        process.kill()
        stderr = process.communicate()[1].decode(errors="replace")
        raise SystemExit(f"{program}: {exc}\n{stderr}") from None
    if warm_up:
        time.sleep(3)  # let it go live and take today's backup, as every later run will find
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    return (mapped - started) * 1000


def version_of(program: Path) -> str:
    done = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / "warroom" / "warroom")
    parser.add_argument("--venv", type=Path, default=Path(sys.executable).with_name("warroom"))
    args = parser.parse_args()
    programs = {"bundle": args.bundle.absolute(), "venv": args.venv.absolute()}
    for name, program in programs.items():
        if not os.access(program, os.X_OK):
            raise SystemExit(f"no {name} executable at {program} (packaging/build-linux.sh)")
    versions = {name: version_of(program) for name, program in programs.items()}
    if len(set(versions.values())) != 1:
        raise SystemExit(f"not the same version: {versions}")

    print("warroom bundle vs venv cold start —", machine_line())
    print(f"version: {versions['bundle']}")
    for name, program in programs.items():
        print(f"{name:<7} {program}")
    server, display = start_xvfb()
    try:
        x = MapWatcher(display)
        with tempfile.TemporaryDirectory(prefix="warroom-perf-") as tmp:
            root = Path(tmp)
            built = build_database(root / "data")
            print(
                f"database: {built.incidents} incidents ({built.open_incidents} open), "
                f"{built.events} timeline events, {built.path.stat().st_size / 1e6:.1f} MB"
            )
            for name in programs:
                shutil.copytree(root / "data", root / name)
            results: dict[str, list[float]] = {name: [] for name in programs}
            for name, program in programs.items():
                run_once(program, root / name, root / "home", x, display, warm_up=True)
            for _ in range(args.runs):
                for name, program in programs.items():
                    results[name].append(
                        run_once(program, root / name, root / "home", x, display, warm_up=False)
                    )
    finally:
        server.terminate()
        server.wait()

    header(f"Cold start, spawn -> window shown ({args.runs} runs each, alternating)")
    summaries = {name: Summary.of(values) for name, values in results.items()}
    for name, s in summaries.items():
        runs = " ".join(f"{v:.0f}" for v in results[name])
        print(f"  {name:<8} median {fmt_ms(s.median)}   min {fmt_ms(s.minimum)}   runs: {runs}")
    ratio = summaries["bundle"].median / summaries["venv"].median
    verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
    print(
        f"  ratio bundle / venv (medians) {ratio:6.2f} x   "
        f"(min/min {summaries['bundle'].minimum / summaries['venv'].minimum:.2f} x)   "
        f"goal <= {GOAL_RATIO} x: {verdict}"
    )


if __name__ == "__main__":
    main()
