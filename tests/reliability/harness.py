"""The kill harness: a child process (kill_child.py) performs user actions through the service
layer and reports each commit as it is acknowledged; this side kills it with SIGKILL at a
random moment, then checks the file the way a user's next start would meet it.

One data dir serves every run, so the file keeps its history and each start also recovers from
the previous kill. While one run's file is being checked, the next child is already importing
(it waits for `GO` on stdin before it opens the file): that saves ~0.5 s a run.

After each kill, in an order that rotates so that each of them is sometimes the first to open
the file after the crash (and so recovers the WAL):
  * integrity: sqlite3 `PRAGMA integrity_check` is "ok" and `PRAGMA foreign_key_check` empty;
  * the app starts: `python -m warroom --data-dir D list --json --all` exits 0, and it and
    the GUI's first paint (store.quick_read.read_board) show exactly the incidents in the
    file, so with no loss below they include every acknowledged one;
then the file is compared with a model built from the acknowledgements:
  * lost: an acknowledged action whose token (or acknowledgement) is not in the file, or a
    field whose last acknowledged value is not the one in the file;
  * unexpected: anything else that differs: a timeline row count, a token nobody
    acknowledged, an incident nobody declared.
The one action in flight at the kill (INTENT printed, no ACK) may or may not have committed;
whichever it did, the file must show all of it or none of it, and the model follows.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.kill_child import DB_FILENAME, DRAFT_FIELDS, ROLES, first_token

CHILD = Path(__file__).with_name("kill_child.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
CLI_TIMEOUT = 60.0
MAX_PROBLEMS = 50  # details kept for the report; the counters count them all
COLUMN_FIELDS = (  # incident columns, as _integrity_and_snapshot selects them
    "title",
    "severity",
    "status",
    "commander",
    "tech_lead",
    "comms_lead",
    "scribe",
    "acknowledged",
    "updated",
    "impact",
)
FIELDS = (*COLUMN_FIELDS, *(f"draft_{name}" for name in DRAFT_FIELDS))


@dataclass
class TrialReport:
    runs: int = 0
    kills: int = 0  # SIGKILL reached a running child
    kills_after_ack: int = 0  # ... which had acknowledged at least one action in that run
    kills_mid_action: int = 0  # ... with an action begun and not yet acknowledged
    in_flight_ops: Counter[str] = field(default_factory=Counter)  # ... which action
    unacked_landed: int = 0  # that action had committed all the same (allowed)
    acked: int = 0  # acknowledged actions, all runs
    acked_by_op: Counter[str] = field(default_factory=Counter)
    lost: int = 0  # acknowledged, then not found: must be 0
    unexpected: int = 0  # in the file and in no acknowledgement: must be 0
    integrity_failures: int = 0
    start_failures: int = 0  # the CLI or the quick read failed, or disagreed with the model
    child_failures: int = 0  # a child that died by itself or never became ready
    refused: int = 0  # actions the service refused (the script should avoid them)
    incidents: int = 0
    events: int = 0
    file_bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    _lost_keys: set[Any] = field(default_factory=set, repr=False)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def lose(self, key: Any, text: str) -> None:
        """Counts an acknowledged action or value as lost, once however many checks see it."""
        if key not in self._lost_keys:
            self._lost_keys.add(key)
            self.lost += 1
            self.problem(text)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.unexpected
            or self.integrity_failures
            or self.start_failures
            or self.child_failures
        )

    def summary(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{op} {n}" for op, n in counter.most_common())

        lines = [
            f"kill harness: {self.kills}/{self.runs} kills survived: "
            f"{self.kills_after_ack} after at least one ack, {self.kills_mid_action} "
            f"mid-action ({counts(self.in_flight_ops)}); {self.unacked_landed} of those "
            "had committed unacknowledged",
            f"  acknowledged actions: {self.acked} ({counts(self.acked_by_op)})",
            f"  lost: {self.lost}; unexpected: {self.unexpected}; integrity failures: "
            f"{self.integrity_failures}; app-start failures: {self.start_failures}; "
            f"child failures: {self.child_failures}; refused: {self.refused}",
            f"  file at the end: {self.incidents} incidents, {self.events} timeline events, "
            f"{self.file_bytes / 1e6:.1f} MB; {self.seconds:.1f} s",
        ]
        lines += [f"  ! {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass
class _Ack:
    incident_id: int
    op: str
    token: str
    marks: list[tuple[str, str]]


@dataclass
class Model:
    """What the file must hold: every acknowledged action plus any in-flight one that landed."""

    incidents: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: Counter[int] = field(default_factory=Counter)
    marks: set[tuple[int, str, str]] = field(default_factory=set)
    acks: list[_Ack] = field(default_factory=list)  # of incidents not deleted since
    deleted: set[int] = field(default_factory=set)  # acknowledged deletions

    def apply(self, record: dict[str, Any], incident_id: int) -> None:
        if record["after"] is None:  # deleted, with its timeline and drafts
            self.incidents.pop(incident_id, None)
            self.events.pop(incident_id, None)
            self.marks = {m for m in self.marks if m[0] != incident_id}
            self.acks = [a for a in self.acks if a.incident_id != incident_id]
            return
        self.deleted.discard(incident_id)  # SQLite reuses the highest id once it is deleted
        self.incidents[incident_id] = record["after"]
        self.events[incident_id] += record["n_events"]
        self.marks.update((incident_id, kind, tok) for kind, tok in record["marks"])

    def acknowledge(self, record: dict[str, Any]) -> None:
        incident_id = record["id"]
        self.apply(record, incident_id)
        if record["op"] == "delete":
            self.deleted.add(incident_id)
        else:
            marks = [(kind, tok) for kind, tok in record["marks"]]
            self.acks.append(_Ack(incident_id, record["op"], record["token"], marks))


class _Child:
    """One kill_child.py process, with threads draining its stdout and stderr."""

    def __init__(self, data_dir: Path, seed: int, options: list[str]) -> None:
        command = [sys.executable, str(CHILD), str(data_dir), str(seed), "--wait-go", *options]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            cwd=REPO_ROOT,
        )
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self.ready = threading.Event()
        self.first_ack = threading.Event()
        self._threads = [
            threading.Thread(target=self._drain_stdout, daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("READY"):
                self.ready.set()
            elif line.startswith("ACK"):
                self.first_ack.set()

    @staticmethod
    def _drain(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def go(self) -> bool:
        """Lets it open the file; True once it has printed READY."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("GO\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return False
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ready.wait(0.01):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
        return True

    def wait_first_ack(self) -> bool:
        """True once the child has acknowledged an action in this run. The kill delay starts
        only then, so a loaded machine that slows the child cannot make a kill land before
        anything was committed."""
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.first_ack.wait(0.01):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
        return True

    def kill(self) -> bool:
        """SIGKILL; True if it was still running. Returns once its output is all read."""
        alive = self.proc.poll() is None
        if alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for thread in self._threads:
            thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        return alive

    def dismiss(self) -> None:
        """A spare that never got GO: closing stdin makes it exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def run_kill_trials(
    runs: int,
    base_dir: Path,
    seed: int = 0,
    min_delay: float = 0.05,
    max_delay: float = 0.6,
    *,
    large: bool = False,
    lie: bool = False,
    progress: Callable[[int, TrialReport], None] | None = None,
    until: Callable[[TrialReport], bool] | None = None,
) -> TrialReport:
    """`runs` times: start a child on base_dir/data, let it work for a random delay after
    its first acknowledged action, SIGKILL it, check the file. `large`: big notes, impacts and
    drafts. `lie`: the self-test, whose child acknowledges before committing. `progress`, if
    given, is called with (run, report) after each run; `until`, if given, with the report,
    and the trials stop early when it returns True."""
    options = ["--large"] * large + ["--lie"] * lie
    data_dir = base_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    report = TrialReport()
    model = Model()
    started = time.perf_counter()
    child: _Child | None = _Child(data_dir, _child_seed(seed, 0), options)
    spare: _Child | None = None
    try:
        for run in range(runs):
            assert child is not None
            report.runs += 1
            became_ready = child.go() and child.wait_first_ack()
            if became_ready:
                time.sleep(rng.uniform(min_delay, max_delay))
            alive = child.kill() and became_ready
            # The next child imports while this run's file is checked; it opens it on GO.
            spare = None
            if run + 1 < runs:
                spare = _Child(data_dir, _child_seed(seed, run + 1), options)
            acked_before = report.acked
            in_flight = _read_lines(child, run, model, report)
            if alive:
                report.kills += 1
                report.kills_after_ack += report.acked > acked_before
                if in_flight is not None:
                    report.kills_mid_action += 1
                    report.in_flight_ops[in_flight["op"]] += 1
            else:
                report.child_failures += 1
                tail = "".join(child.stderr[-15:]).strip() or "(no stderr)"
                report.problem(f"run {run}: the child was not running when killed:\n{tail}")
            _check_file(data_dir, run, model, in_flight, report)
            child, spare = spare, None
            if progress is not None:
                progress(run, report)
            if until is not None and until(report):
                break
    finally:
        for leftover in (child, spare):
            if leftover is not None and leftover.proc.poll() is None:
                leftover.dismiss()
    report.seconds = time.perf_counter() - started
    return report


def _child_seed(seed: int, run: int) -> int:
    return seed * 100_000 + run


def _read_lines(child: _Child, run: int, model: Model, report: TrialReport) -> dict | None:
    """Applies the run's ACKs to the model; returns the action in flight at the kill, if any."""
    in_flight: dict[str, Any] | None = None
    for line in child.lines:
        if not line.endswith("\n"):
            report.unexpected += 1  # one write per line should make this impossible
            report.problem(f"run {run}: a partial line from the child: {line[:200]!r}")
            continue
        tag, _, payload = line.partition(" ")
        if tag == "READY":
            continue
        try:
            record = json.loads(payload)
        except json.JSONDecodeError:
            record = None
        if record is None or tag not in ("INTENT", "ACK", "REFUSED"):
            report.unexpected += 1
            report.problem(f"run {run}: a line the harness cannot read: {line[:200]!r}")
        elif tag == "INTENT":
            in_flight = record
        elif tag == "ACK":
            if in_flight is None or in_flight["seq"] != record["seq"]:
                report.unexpected += 1
                report.problem(f"run {run}: ACK without its INTENT: {payload[:200]}")
            elif record["after"] != in_flight["after"]:
                report.unexpected += 1
                report.problem(
                    f"run {run}: {record['op']} on #{record['id']} left "
                    f"{record['after']}, expected {in_flight['after']}"
                )
            in_flight = None
            model.acknowledge(record)
            report.acked += 1
            report.acked_by_op[record["op"]] += 1
            if record["events"] != model.events[record["id"]]:
                report.unexpected += 1
                report.problem(
                    f"run {run}: the child counts {record['events']} events on "
                    f"#{record['id']}, the model {model.events[record['id']]}"
                )
        else:  # REFUSED
            in_flight = None
            report.refused += 1
            report.problem(f"run {run}: refused: {payload.strip()[:200]}")
    return in_flight


# -- checking the file after a kill ------------------------------------------------------


@dataclass
class _Snapshot:
    incidents: dict[int, dict[str, Any]]
    events: Counter[int]
    marks: set[tuple[int, str, str]]


def _check_file(
    data_dir: Path, run: int, model: Model, in_flight: dict | None, report: TrialReport
) -> None:
    db = data_dir / DB_FILENAME
    checks = ["integrity", "cli", "quick_read"]
    first = run % len(checks)
    results: dict[str, Any] = {}
    snapshot: _Snapshot | None = None
    for name in checks[first:] + checks[:first]:
        if name == "integrity":
            snapshot = _integrity_and_snapshot(db, run, report)
        elif name == "cli":
            results["cli"] = _run_cli(data_dir, run, report)
        else:
            results["quick_read"] = _quick_read(db, run, report)
    if snapshot is None:
        return
    if in_flight is not None and _settle(in_flight, snapshot, model):
        report.unacked_landed += 1
    _compare(snapshot, model, run, report)
    _compare_app_views(results, snapshot.incidents, run, report)
    report.incidents = len(snapshot.incidents)
    report.events = sum(snapshot.events.values())
    report.file_bytes = db.stat().st_size


def _integrity_and_snapshot(db: Path, run: int, report: TrialReport) -> _Snapshot | None:
    # Read-write, as the app opens it: recovering a hot WAL may need to write the -shm.
    try:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            verdict = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
            if verdict != ["ok"] or orphans:
                report.integrity_failures += 1
                report.problem(f"run {run}: integrity_check {verdict[:5]}, fk {orphans[:5]}")
            incidents = {
                row[0]: dict(zip(COLUMN_FIELDS, row[1:], strict=True))
                for row in conn.execute(
                    "SELECT id, title, severity, status, commander, tech_lead, comms_lead,"
                    " scribe, acknowledged_at IS NOT NULL, last_update_at IS NOT NULL,"
                    " substr(impact, 1, 64) FROM incident"
                )
            }
            for incident_id, name, start in conn.execute(
                "SELECT incident_id, field, substr(text, 1, 64) FROM draft"
            ):
                if incident_id in incidents and name in DRAFT_FIELDS:
                    incidents[incident_id][f"draft_{name}"] = first_token(start)
                else:
                    report.unexpected += 1
                    report.problem(f"run {run}: a draft for #{incident_id} {name!r}")
            events: Counter[int] = Counter()
            marks: set[tuple[int, str, str]] = set()
            for incident_id, kind, text in conn.execute(
                "SELECT incident_id, kind, substr(text, 1, 300) FROM timeline_event"
            ):
                events[incident_id] += 1
                tok = first_token(text)
                if tok:
                    marks.add((incident_id, kind, tok))
    except sqlite3.Error as exc:
        report.integrity_failures += 1
        report.problem(f"run {run}: sqlite3 cannot read the file: {exc}")
        return None
    for fields in incidents.values():
        fields["acknowledged"] = bool(fields["acknowledged"])
        fields["updated"] = bool(fields["updated"])
        fields["impact"] = first_token(fields["impact"])
        for name in DRAFT_FIELDS:
            fields.setdefault(f"draft_{name}", "")
    return _Snapshot(incidents, events, marks)


def _settle(in_flight: dict[str, Any], snapshot: _Snapshot, model: Model) -> bool:
    """Did the unacknowledged action commit? If so the model takes it in; True if it did.
    Whether all of it landed is for _compare to say: the model now expects all of it."""
    op, incident_id, tok = in_flight["op"], in_flight["id"], in_flight["token"]
    current = snapshot.incidents.get(incident_id, {})
    if op == "declare":
        found = [i for i, kind, t in snapshot.marks if kind == "declared" and t == tok]
        if not found:
            return False
        incident_id = found[0]
    elif op == "acknowledge":
        if not current.get("acknowledged"):
            return False
    elif op == "delete":
        if incident_id in snapshot.incidents:
            return False
    elif op == "draft":
        if tok not in (current.get(f"draft_{name}") for name in DRAFT_FIELDS):
            return False
    elif (incident_id, *in_flight["marks"][0]) not in snapshot.marks:
        return False
    model.apply(in_flight, incident_id)
    return True


def _compare(snapshot: _Snapshot, model: Model, run: int, report: TrialReport) -> None:
    for ack in model.acks:
        missing = [m for m in ack.marks if (ack.incident_id, *m) not in snapshot.marks]
        if ack.op == "acknowledge":
            done = snapshot.incidents.get(ack.incident_id, {}).get("acknowledged", False)
        else:  # a title, a draft: the last acknowledged value is compared below
            done = True
        if missing or not done:
            report.lose(ack.token, f"run {run}: {ack.op} {ack.token} on #{ack.incident_id} lost")
    for incident_id in model.deleted & snapshot.incidents.keys():
        report.lose(
            ("deleted", incident_id),
            f"run {run}: #{incident_id} is back after its deletion was acknowledged",
        )
    for incident_id, expected in model.incidents.items():
        actual = snapshot.incidents.get(incident_id)
        if actual is None:
            continue  # its declare is counted lost above
        for name in FIELDS:
            if actual[name] != expected[name]:
                report.lose(
                    (incident_id, name, expected[name]),
                    f"run {run}: #{incident_id} {name} is {actual[name]!r}, "
                    f"last acknowledged {expected[name]!r}",
                )
    for incident_id in snapshot.incidents.keys() - model.incidents.keys() - model.deleted:
        report.unexpected += 1
        report.problem(f"run {run}: incident #{incident_id} was never acknowledged")
    for incident_id in snapshot.events.keys() | model.events.keys():
        if snapshot.events[incident_id] != model.events[incident_id]:
            report.unexpected += 1
            report.problem(
                f"run {run}: #{incident_id} has {snapshot.events[incident_id]} timeline "
                f"events, acknowledged {model.events[incident_id]}"
            )
            model.events[incident_id] = snapshot.events[incident_id]  # report it only once
    for mark in sorted(snapshot.marks - model.marks)[:MAX_PROBLEMS]:
        report.unexpected += 1
        report.problem(f"run {run}: timeline event nobody acknowledged: {mark}")


def _run_cli(data_dir: Path, run: int, report: TrialReport) -> list[dict] | None:
    command = [sys.executable, "-m", "warroom", "--data-dir", str(data_dir), "list"]
    try:
        done = subprocess.run(
            [*command, "--json", "--all"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=CLI_TIMEOUT,
            cwd=REPO_ROOT,
        )
    except subprocess.TimeoutExpired:
        report.start_failures += 1
        report.problem(f"run {run}: `warroom list` took more than {CLI_TIMEOUT:.0f} s")
        return None
    if done.returncode != 0:
        report.start_failures += 1
        report.problem(f"run {run}: `warroom list` exit {done.returncode}: {done.stderr[-500:]}")
        return None
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        report.start_failures += 1
        report.problem(f"run {run}: `warroom list --json` printed no JSON: {exc}")
        return None


def _quick_read(db: Path, run: int, report: TrialReport) -> list[Any] | None:
    from warroom.adapters.sql.sqlite.quick_read import read_board

    board = read_board(db, include_closed=True)
    if board is None:
        report.start_failures += 1
        report.problem(f"run {run}: the quick read (the GUI's first paint) gave up on the file")
    return board


def _compare_app_views(
    results: dict[str, Any], in_file: dict[int, dict[str, Any]], run: int, report: TrialReport
) -> None:
    """The CLI and the quick read must show exactly the incidents in the file. (That the file
    holds every acknowledged one is _compare's business.)"""
    views: dict[str, dict[int, dict[str, Any]]] = {}
    if results.get("cli") is not None:
        views["`warroom list`"] = {
            item["id"]: {
                "title": item["title"],
                "severity": item["severity"],
                "status": item["status"],
                **item["roles"],
                "acknowledged": item["acknowledged_at"] is not None,
                "updated": item["last_update_at"] is not None,
                "impact": first_token(item["impact"][:64]),
            }
            for item in results["cli"]
        }
    if results.get("quick_read") is not None:
        views["quick read"] = {
            i.id: {
                "title": i.title,
                "severity": i.severity.value,
                "status": i.status.value,
                **{role: i.roles.get(role, "") for role in ROLES},
                "acknowledged": i.acknowledged_at is not None,
                "updated": i.last_update_at is not None,
                "impact": first_token(i.impact[:64]),
            }
            for i in results["quick_read"]
        }
    for name, seen in views.items():
        differences = [
            f"#{i} only in {'it' if i in seen else 'the file'}"
            for i in sorted(seen.keys() ^ in_file.keys())
        ]
        for incident_id in seen.keys() & in_file.keys():
            for key in COLUMN_FIELDS:
                if seen[incident_id][key] != in_file[incident_id][key]:
                    differences.append(f"#{incident_id} {key} {seen[incident_id][key]!r}")
        if differences:
            report.start_failures += 1
            report.problem(f"run {run}: the {name} disagrees with the file: {differences[:5]}")
