"""Crash safety: a process doing user actions is killed with SIGKILL at random moments; every
action it had acknowledged must be in the file afterwards, the file must pass
`PRAGMA integrity_check`, and the app must start on it. See README.md in this folder.

    WARROOM_KILL_RUNS=500 .venv/bin/python -m pytest tests/reliability -s

WARROOM_KILL_RUNS (default 10, sized for the normal test run; CI's long step runs 300) sets the
main test's runs and WARROOM_KILL_LARGE_RUNS (default 5; CI's long step 30) the large-write
test's; WARROOM_KILL_SEED fixes the seed (by default a new one each session,
printed with the figures; the kill timing is never reproducible anyway).
"""

from __future__ import annotations

import os
import random
import shutil

from tests.reliability import kill_child
from tests.reliability.harness import TrialReport, run_kill_trials

RUNS = int(os.environ.get("WARROOM_KILL_RUNS", "10"))
LARGE_RUNS = int(os.environ.get("WARROOM_KILL_LARGE_RUNS", "5"))
SEED = int(os.environ.get("WARROOM_KILL_SEED", str(random.randrange(1_000_000))))
LARGE_OPS = ("note", "declare", "impact", "draft")  # the ones that write 0.5-1 MB with --large


def _show(title: str, report: TrialReport, record_property) -> None:
    print(f"\n{title} (seed {SEED}, WARROOM_KILL_SEED={SEED} repeats the script)")
    print(report.summary())
    record_property("kill_runs", report.runs)
    record_property("kills_survived", report.kills)
    record_property("acknowledged", report.acked)
    record_property("lost", report.lost)
    record_property("seconds", round(report.seconds, 1))


def _assert_survived(report: TrialReport) -> None:
    problems = "\n".join(report.problems)
    assert report.lost == 0, f"acknowledged actions lost:\n{problems}"
    assert report.unexpected == 0, f"the file holds what nobody acknowledged:\n{problems}"
    assert report.integrity_failures == 0, f"integrity check failed:\n{problems}"
    assert report.start_failures == 0, f"the app did not start on the file:\n{problems}"
    assert report.child_failures == 0, f"a child died before it was killed:\n{problems}"
    assert report.refused == 0, f"the script asked for actions the service refuses:\n{problems}"


def test_the_child_agrees_with_the_app():
    from warroom.domain.validation import MAX_TEXT
    from warroom.services.incidents import DRAFT_FIELDS
    from warroom.system.paths import DB_FILENAME

    assert kill_child.DB_FILENAME == DB_FILENAME
    assert kill_child.DRAFT_FIELDS == DRAFT_FIELDS
    assert kill_child.LARGE_NOTE_CHARS <= MAX_TEXT


def test_acknowledged_actions_survive_sigkill(tmp_path, record_property):
    report = run_kill_trials(RUNS, tmp_path, seed=SEED, min_delay=0.05, max_delay=0.6)
    _show(f"{RUNS} kills of a child doing mixed user actions", report, record_property)
    _assert_survived(report)
    # Not vacuous: every kill hit a live child that had committed something in that run (the
    # harness starts the kill delay at the child's first acknowledgement).
    assert report.kills_after_ack == RUNS, report.summary()
    assert report.acked >= RUNS, report.summary()


def _large_in_flight(report: TrialReport) -> int:
    return sum(report.in_flight_ops[op] for op in LARGE_OPS)


def test_kill_in_the_middle_of_large_writes(tmp_path, record_property):
    """Notes of 999,000 characters, impacts of 500,000: each commit spans hundreds of
    overflow pages, and the write-ahead log is checkpointed every few of them.

    About 2 kills in 3 land inside a large write, but where a kill lands depends on the
    machine's load, so the trials go on (up to four times LARGE_RUNS) until at least one has."""
    report = run_kill_trials(
        4 * LARGE_RUNS,
        tmp_path,
        seed=SEED,
        min_delay=0.05,
        max_delay=0.4,
        large=True,
        until=lambda r: r.runs >= LARGE_RUNS and _large_in_flight(r) >= 1,
    )
    _show(f"{report.runs} kills of a child doing large writes", report, record_property)
    _assert_survived(report)
    assert report.kills_after_ack == report.runs, report.summary()
    assert _large_in_flight(report) >= 1, report.summary()
    shutil.rmtree(tmp_path / "data")  # ~10 MB a run; kept only when the test fails


def test_the_harness_notices_an_acknowledgement_before_the_commit(tmp_path, record_property):
    """Self-test: a child that prints ACK before calling the service (as a service that
    answered before committing would) must be caught losing actions."""
    report = run_kill_trials(30, tmp_path, seed=SEED, lie=True, until=lambda r: r.lost > 0)
    _show("self-test: a child that acknowledges early", report, record_property)
    assert report.lost > 0, report.summary()
    assert report.integrity_failures == 0 and report.start_failures == 0, report.summary()
