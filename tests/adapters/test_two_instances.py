"""Two warroom processes on one data dir: both work, and no write is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from warroom.adapters.sql.sqlite.database import open_database

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warroom.domain.clock import SystemClock
    from warroom.bootstrap import incident_service
    from warroom.adapters.sql.sqlite.database import open_database

    data, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    database = open_database(data / "warroom.db")
    service = incident_service(database, SystemClock(), actor=name)
    shared = service.list_incidents()[0].id
    for n in range(count):
        service.add_note(shared, f"{name} note {n}")
        if n % 10 == 0:
            mine = service.declare(f"{name} incident {n}", "P3")
            service.mark_update_sent(mine.id, "Status page updated")
    print("done", flush=True)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path, service, db_path):
    shared = service.declare("Shared incident", "P1")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path.parent), name, "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("laptop-a", "laptop-b")
    ]
    # A guard against a hang only, far beyond any load: the test never races the clock.
    results = [w.communicate(timeout=900) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "done"
    texts = [e.text for e in service.timeline(shared.id)]
    for name in ("laptop-a", "laptop-b"):
        assert [t for t in texts if t.startswith(name)] == [f"{name} note {n}" for n in range(150)]
    titles = {i.title for i in service.list_incidents()}
    assert {f"laptop-a incident {n}" for n in range(0, 150, 10)} <= titles
    assert {f"laptop-b incident {n}" for n in range(0, 150, 10)} <= titles


def test_a_commit_elsewhere_is_noticed_at_the_next_check(service, db_path):
    other = open_database(db_path)
    try:
        assert not other.changed_since_last_check()  # the baseline is taken at open
        service.declare("From the other instance", "P2")
        assert other.changed_since_last_check()
        assert not other.changed_since_last_check()
    finally:
        other.dispose()
