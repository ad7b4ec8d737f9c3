"""Who may do what on a shared war room set up with resources/postgres/setup.sql: each person
joins as their own login role, which is their name on the timeline; the big screen's role
only watches; a security incident's record is seen and changed only by warroom_security.

`warroom` commands on the run's PostgreSQL server, as each person's laptop would run them:
alice (responder), bob (responder and security), screen (viewer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from warroom.system.paths import resources_dir

SETUP_SQL = resources_dir() / "postgres" / "setup.sql"
PEOPLE = {
    "alice": "warroom_responder",
    "bob": "warroom_responder, warroom_security",
    "screen": "warroom_viewer",
}
SECRET_NOTE = "attacker came in from 203.0.113.9"
SECURITY_ITEM = "Process and memory state"  # the checklist's item for security incidents
VIEWER_REFUSAL = (
    "Nothing was saved: your role on the shared war room (screen) may only watch (warroom_viewer)."
)
SECURITY_REFUSAL = (
    "Nothing was saved: this is a security incident, and only members of warroom_security "
    "may change it on the shared war room (alice is not)."
)


def _setup(server, database: str) -> subprocess.CompletedProcess[str]:
    """setup.sql as the administrator runs it: psql, stopping at the first error."""
    return subprocess.run(
        [
            str(server.bindir / "psql"),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            server.url(database),
            "-f",
            str(SETUP_SQL),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def database(postgres_server, postgres_url):
    """A migrated war room with setup.sql run once, and the three people's login roles."""
    name = postgres_url.rsplit("/", 1)[1]
    done = _setup(postgres_server, name)
    assert done.returncode == 0, done.stderr
    for person, groups in PEOPLE.items():
        postgres_server.admin(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{person}') "
            f"THEN CREATE ROLE {person} LOGIN IN ROLE {groups}; END IF; END $$"
        )
    return name


@pytest.fixture
def room(postgres_server, database, tmp_path, in_process, monkeypatch):
    """Runs `warroom ARGS` connected as the login role `person`, from their own data folder
    (in this process: what a separate one adds is tested in test_shared_war_room.py)."""

    def run(person: str, *args: str, actor: str | None = None):
        url = postgres_server.url(database, user=person)
        if actor is None:
            monkeypatch.delenv("WARROOM_ACTOR", raising=False)
        else:
            monkeypatch.setenv("WARROOM_ACTOR", actor)
        laptop = tmp_path / f"laptop-{person}"
        return in_process("--database", url, "--data-dir", laptop, *args)

    return run


@pytest.fixture
def as_role(postgres_server, database):
    """Rows read over a connection of `person`'s own, as psql would show them to them."""

    def query(person: str, sql: str) -> list[tuple]:
        with psycopg.connect(postgres_server.url(database, user=person)) as connection:
            return connection.execute(sql.encode()).fetchall()

    return query


def _must(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def _show(room, person: str, incident: str) -> dict:
    return json.loads(_must(room(person, "show", incident, "--json")))


def _everything(as_role) -> list[list[tuple]]:
    """Every row of the tables a write could touch, as the administrator sees them."""
    return [
        as_role("warroom_admin", f"SELECT * FROM {table} ORDER BY 1")
        for table in ("incident", "timeline_event", "evidence_item", "change_log")
    ]


def test_setup_sql_is_shipped_and_can_run_again(postgres_server, database, as_role):
    assert SETUP_SQL.is_file()
    again = _setup(postgres_server, database)
    assert again.returncode == 0, again.stderr
    assert "are set up" in again.stdout
    secured = {
        name
        for (name,) in as_role(
            "warroom_admin",
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'",
        )
    }
    assert {"incident", "timeline_event", "evidence_item", "evidence_artifact"} <= secured
    assert {"custody_entry", "evidence_link", "draft", "postmortem"} <= secured


def test_setup_sql_before_the_tables_exist_says_what_to_do_first(postgres_server):
    postgres_server.admin("CREATE DATABASE roles_empty")
    try:
        done = _setup(postgres_server, "roles_empty")
    finally:
        postgres_server.admin("DROP DATABASE roles_empty WITH (FORCE)")
    assert done.returncode != 0
    assert "no warroom tables in database roles_empty" in done.stderr
    assert "list" in done.stderr  # the hint: the administrator's first join


def test_the_name_on_the_timeline_is_the_role_whatever_name_is_given(room):
    incident = _must(room("alice", "declare", "--title", "Checkout 500s", "--severity", "P1"))
    incident = incident.strip()
    _must(room("bob", "ack", incident, actor="Alice"))  # bob cannot write as alice
    _must(room("alice", "--actor", "Bob", "note", incident, "rolled back 4.2"))
    rows = [(e["kind"], e["actor"]) for e in _show(room, "screen", incident)["timeline"]]
    assert rows == [("declared", "alice"), ("acknowledged", "bob"), ("note", "alice")]
    assert _show(room, "alice", incident)["roles"]["commander"] == "bob"


def test_the_big_screen_reads_the_board_and_every_write_is_refused(room, as_role):
    incident = _must(room("alice", "declare", "--title", "Disk full", "--severity", "P2"))
    incident = incident.strip()
    _must(room("alice", "note", incident, "cleaning /var/log"))
    board = json.loads(_must(room("screen", "list", "--json")))
    assert [i["title"] for i in board] == ["Disk full"]
    assert [e["text"] for e in _show(room, "screen", incident)["timeline"]][-1] == (
        "cleaning /var/log"
    )
    before = _everything(as_role)
    for verb in (
        ("declare", "--title", "From the screen", "--severity", "P3"),
        ("note", incident, "hello"),
        ("ack", incident),
        ("severity", incident, "P1"),
        ("security", incident, "on"),
        ("delete", incident, "--yes"),
    ):
        done = room("screen", *verb)
        assert done.returncode == 3, (verb, done.stdout, done.stderr)
        assert VIEWER_REFUSAL in done.stderr, (verb, done.stderr)
        assert "Traceback" not in done.stderr
    assert _everything(as_role) == before


def test_a_security_incident_keeps_its_notes_and_evidence_names_to_warroom_security(
    room, as_role, tmp_path
):
    incident = _must(
        room("bob", "declare", "--title", "Odd logins", "--severity", "P1", "--security")
    ).strip()
    _must(room("bob", "note", incident, SECRET_NOTE))
    capture = tmp_path / "auth-from-203.0.113.9.log"
    capture.write_text("Failed password for root\n")
    _must(room("bob", "evidence", "add", incident, str(capture), "--item", SECURITY_ITEM))
    ordinary = _must(room("alice", "declare", "--title", "Slow search", "--severity", "P3"))

    seen_by_bob = _show(room, "bob", incident)
    assert SECRET_NOTE in [e["text"] for e in seen_by_bob["timeline"]]
    bob_checklist = _must(room("bob", "evidence", "checklist", incident))
    assert SECURITY_ITEM in bob_checklist
    tables = [
        name
        for (name,) in as_role(
            "warroom_admin", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
    ]
    for person in ("alice", "screen"):
        seen = _show(room, person, incident)
        assert seen["title"] == "Odd logins"  # the board shows there is one
        assert seen["timeline"] == []
        shown = json.dumps(seen) + _must(room(person, "evidence", "checklist", incident))
        assert SECRET_NOTE not in shown and capture.name not in shown
        assert SECURITY_ITEM not in shown
        # Not through SQL of their own either, in any table.
        for table in tables:
            rows = repr(as_role(person, f"SELECT * FROM {table}"))
            for secret in (SECRET_NOTE, capture.name, "Failed password"):
                assert secret not in rows, (person, table, secret)
        for table in ("timeline_event", "evidence_item", "evidence_artifact"):
            where = f"SELECT * FROM {table} WHERE incident_id = {incident}"
            assert as_role(person, where) == [], (person, table)
        assert _show(room, person, ordinary.strip())["timeline"] != []
    names = as_role("bob", "SELECT name FROM evidence_artifact")
    assert (capture.name,) in names


def test_a_responder_outside_warroom_security_cannot_change_a_security_incident(room, as_role):
    incident = _must(
        room("bob", "declare", "--title", "Odd logins", "--severity", "P1", "--security")
    ).strip()
    _must(room("bob", "note", incident, SECRET_NOTE))
    before = _everything(as_role)
    for verb in (
        ("note", incident, "anything new?"),
        ("ack", incident),
        ("security", incident, "off"),
        ("delete", incident, "--yes"),
        ("declare", "--title", "Another breach", "--severity", "P1", "--security"),
    ):
        done = room("alice", *verb)
        assert done.returncode == 3, (verb, done.stdout, done.stderr)
        assert SECURITY_REFUSAL in done.stderr, (verb, done.stderr)
    assert _everything(as_role) == before
    # Nor over SQL of her own: unmarking it to read what it keeps, or deleting it.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        as_role("alice", f"UPDATE incident SET is_security = FALSE WHERE id = {incident}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="warroom_security"):
        as_role("alice", f"DELETE FROM incident WHERE id = {incident}")
    assert _everything(as_role) == before
    # Bob, in warroom_security, carries on.
    _must(room("bob", "ack", incident))


def test_a_responder_marking_an_incident_security_is_refused(room, as_role):
    incident = _must(room("alice", "declare", "--title", "Leak?", "--severity", "P2")).strip()
    before = _everything(as_role)
    done = room("alice", "security", incident, "on", "--reason", "looks like exfiltration")
    assert done.returncode == 3 and SECURITY_REFUSAL in done.stderr, done.stderr
    assert _everything(as_role) == before
    _must(room("bob", "security", incident, "on", "--reason", "looks like exfiltration"))
    assert _show(room, "alice", incident)["timeline"] == []


def test_roles_outside_the_groups_keep_the_name_they_give(room, postgres_server, database):
    """The administrator (a superuser here) is not a person's role: the given name stays."""
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": postgres_server.url(database),
        "WARROOM_ACTOR": "Dana",
        "WARROOM_DATA_DIR": str(Path(postgres_server.root) / "laptop-admin"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "warroom", "declare", "--title", "Batch late", "--severity", "P3"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    incident = _must(done).strip()
    assert [e["actor"] for e in _show(room, "alice", incident)["timeline"]] == ["Dana"]
