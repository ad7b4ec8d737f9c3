"""A shared war room on a real PostgreSQL server, driven by separate `warroom` processes as
several laptops would: the verbs, simultaneous changes, an alert storm, backups, and the
server stopped in the middle of the work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

STORM = 8  # processes declaring at once (20 on a laptop's file: test_alert_hooks_cli.py)


@pytest.fixture
def room(postgres_url, tmp_path):
    """Runs `warroom ARGS` in a new process on the shared war room, as `actor`."""

    def run(*args: str, actor: str = "Alice", url: str = postgres_url):
        env = {
            **os.environ,
            "WARROOM_DATABASE_URL": url,
            "WARROOM_ACTOR": actor,
            "WARROOM_DATA_DIR": str(tmp_path / f"laptop-{actor}"),
        }
        return subprocess.run(
            [sys.executable, "-m", "warroom", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


@pytest.fixture
def here(postgres_url, tmp_path, in_process):
    """`room`, in this process (for what does not need processes of its own)."""

    def run(*args: str, actor: str = "Alice", url: str = postgres_url):
        laptop = tmp_path / f"laptop-{actor}"
        return in_process("--database", url, "--data-dir", laptop, "--actor", actor, *args)

    return run


def _must(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def _timeline(room, incident: str, **where: str) -> list[dict]:
    return json.loads(_must(room("show", incident, "--json", **where)))["timeline"]


def test_laptops_share_one_record_and_each_name_is_on_its_rows(here):
    room = here
    incident = _must(room("declare", "--title", "Checkout 500s", "--severity", "P1")).strip()
    _must(room("ack", incident, actor="Bob"))
    _must(room("note", incident, "rolled back 4.2", actor="Carol"))
    board = json.loads(_must(room("list", "--json", actor="Dan")))
    assert [(i["id"], i["title"], i["roles"]["commander"]) for i in board] == [
        (int(incident), "Checkout 500s", "Bob")
    ]
    rows = [(e["kind"], e["actor"]) for e in _timeline(room, incident)]
    assert rows == [("declared", "Alice"), ("acknowledged", "Bob"), ("note", "Carol")]


def test_two_commanders_applying_at_once_give_one_change_and_one_clear_refusal(room):
    incident = _must(room("declare", "--title", "Queue backlog", "--severity", "P1")).strip()
    _must(room("ack", incident))
    env_runs = []
    for option, actor in (("rollback", "Alice"), ("scale", "Bob")):
        env_runs.append(
            threading.Thread(
                target=lambda o=option, a=actor: env_runs.append(
                    room("mitigation", incident, "apply", o, "--expect", "errors fall", actor=a)
                )
            )
        )
    threads = list(env_runs)
    env_runs.clear()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(done.returncode for done in env_runs)
    assert codes == [0, 3], [done.stderr for done in env_runs]
    refused = next(done for done in env_runs if done.returncode == 3)
    assert "(add --override-reason TEXT)" in refused.stderr
    applied = [e for e in _timeline(room, incident) if e["kind"] == "mitigation"]
    assert len(applied) == 1


def test_an_alert_storm_on_a_shared_room_gives_one_incident(room, postgres_url, tmp_path):
    _must(room("list"))  # the schema exists before the storm
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": postgres_url,
        "WARROOM_ACTOR": "alertmanager",
        "WARROOM_DATA_DIR": str(tmp_path / "hook"),
    }
    declare = ["declare", "--title", "Checkout 5xx", "--severity", "P1", "--dedupe-key", "K"]
    storm = [
        subprocess.Popen(
            [sys.executable, "-m", "warroom", *declare],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STORM)
    ]
    outputs = [p.communicate() for p in storm]
    assert [p.returncode for p in storm] == [0] * STORM, [err for _, err in outputs]
    assert {out for out, _ in outputs} == {"1\n"}
    timeline = _timeline(room, "1")
    assert len([e for e in timeline if e["kind"] == "declared"]) == 1
    assert len([e for e in timeline if e["kind"] == "alert_repeated"]) == STORM - 1


def test_backup_is_a_pg_dump_and_restore_is_left_to_the_server(here, tmp_path):
    room = here
    _must(room("declare", "--title", "Disk full", "--severity", "P2"))
    target = tmp_path / "room.dump"
    assert _must(room("backup", "--output", str(target))).strip() == str(target)
    assert target.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert target.stat().st_mode & 0o077 == 0
    refused = room("restore", str(target))
    assert refused.returncode == 3
    assert "pg_restore" in refused.stderr and "not from a laptop" in refused.stderr


def test_a_server_that_cannot_be_reached_is_named_and_no_password_is_shown(here):
    room = here
    done = room("list", url="postgresql://alice:s3cret@127.0.0.1:1/warroom")
    assert done.returncode == 3
    assert "Cannot open the shared war room at postgresql://alice@127.0.0.1:1/warroom" in (
        done.stderr
    )
    assert "s3cret" not in done.stderr + done.stdout
    other = room("list", url="mysql://alice@db/warroom")
    assert other.returncode == 3 and "is not a PostgreSQL URL" in other.stderr


def test_a_server_stopped_mid_work_loses_no_note_reported_saved(own_postgres_server, room):
    own_server = own_postgres_server
    url = own_server.url("room")
    incident = _must(room("declare", "--title", "Outage", "--severity", "P0", url=url)).strip()
    results: list[tuple[str, subprocess.CompletedProcess[str]]] = []
    saved, failed, restarted = threading.Event(), threading.Event(), threading.Event()

    def write_notes() -> None:
        after_restart = 0
        for n in range(1, 200):
            text = f"note {n}"
            done = room("note", incident, text, url=url)
            results.append((text, done))
            if sum(d.returncode == 0 for _, d in results) >= 3:
                saved.set()
            if sum(d.returncode != 0 for _, d in results) >= 2:
                failed.set()
            if restarted.is_set() and done.returncode == 0:
                after_restart += 1
                if after_restart == 3:  # back, and saving again
                    return

    writer = threading.Thread(target=write_notes)
    writer.start()
    assert saved.wait(600), "no note was saved"
    own_server.stop("immediate")  # a crash: no checkpoint, no goodbye to the clients
    reached = failed.wait(600)
    own_server.start()
    restarted.set()
    writer.join()
    assert reached, "every note was saved although the server was down"
    for _, done in results:
        assert done.returncode in (0, 3), done.stderr
        if done.returncode == 3:
            assert (
                "shared war room" in done.stderr
                and "Nothing was saved" in (done.stderr)
                or "Cannot open the shared war room" in done.stderr
            )
    reported = [text for text, done in results if done.returncode == 0]
    stored = [e["text"] for e in _timeline(room, incident, url=url) if e["kind"] == "note"]
    assert set(reported) <= set(stored)
    assert len(stored) == len(set(stored))  # nothing written twice


def test_the_room_joined_is_remembered_without_its_password(tmp_path, monkeypatch):
    from warroom.system.settings import (
        DATABASE_URL_ENV,
        load_display_name,
        resolve_shared_database,
        save_display_name,
        save_shared_database,
    )

    settings = tmp_path / "settings.toml"
    save_display_name(settings, "Alice Example")
    kept = save_shared_database(
        settings, "postgresql://alice:s3cret@db.corp:5432/war?sslmode=require"
    )
    assert kept == "postgresql://alice@db.corp:5432/war?sslmode=require"
    assert "s3cret" not in settings.read_text()
    assert load_display_name(settings) == "Alice Example"  # the other settings stay
    assert resolve_shared_database(None, settings) == kept
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://env@h/db")
    assert resolve_shared_database(None, settings) == "postgresql://env@h/db"
    assert resolve_shared_database("postgresql://opt@h/db", settings) == "postgresql://opt@h/db"
    monkeypatch.delenv(DATABASE_URL_ENV)
    save_shared_database(settings, None)  # left: the local file again
    assert resolve_shared_database(None, settings) is None
    assert load_display_name(settings) == "Alice Example"
