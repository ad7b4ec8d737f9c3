"""Two warroom processes on one record (a data dir's file, or a shared PostgreSQL server's
database): both work, and no write is lost; a commit by one is noticed by the other."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from tests.adapters.conftest import BOTH_ENGINES

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warroom.domain.clock import SystemClock
    from warroom.bootstrap import incident_service
    from warroom.adapters.sql.postgres.database import open_shared
    from warroom.adapters.sql.sqlite.database import open_database

    data, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:  # a shared war room's URL
        database = open_shared(sys.argv[4], data)
    else:
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


@pytest.fixture(params=BOTH_ENGINES)
def engine(request):
    return request.param


def test_two_processes_writing_at_once_lose_nothing(service, engine, data_dir, request):
    shared = service.declare("Shared incident", "P1")
    url = [request.getfixturevalue("postgres_url")] if engine == "postgresql" else []
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), name, "150", *url],
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


def noticed(watch, within=30.0):
    """Whether `watch` reports a change within `within` seconds: the file's counter moves at
    the commit, the server's NOTIFY arrives on the watch's connection just after it."""
    deadline = time.monotonic() + within
    while not watch.changed():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_commit_elsewhere_is_noticed_by_a_watch(service, open_again):
    """The engine-neutral watch, as the storage uses it (its first look is the baseline)."""
    watch = open_again().watch()
    watch.changed()
    assert not watch.changed()
    incident = service.declare("From the other instance", "P2")
    assert noticed(watch)
    assert not watch.changed()  # told once
    service.add_note(incident.id, "and a note")
    assert noticed(watch)
