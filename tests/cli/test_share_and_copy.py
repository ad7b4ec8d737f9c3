"""`warroom share --to URL`, `warroom db copy --to FILE` and `warroom db upgrade`, in-process
against the run's real PostgreSQL server: a laptop's file moved up into a shared war room
(renumbered there, every reference following), a tampered custody log refusing the whole
copy, an offline archive made and read back, and schemas upgraded or refused."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from warroom.__main__ import main
from warroom.adapters.sql.copy import TABLES, chain_problems, count_rows, read_record
from warroom.adapters.sql.migrations import LATEST_VERSION, migrate
from warroom.adapters.sql.postgres.database import database_url, open_shared
from warroom.adapters.sql.sqlite.database import open_database


@pytest.fixture
def laptop(run_cli, tmp_path):
    """This laptop's file: two incidents (linked, one a duplicate of the other), notes,
    evidence with a custody log of two entries, a post-mortem and an action item."""
    log = tmp_path / "app.log"
    log.write_text("12:00 500 on /checkout\n")

    def must(*args):
        code, out, err = run_cli(*args)
        assert code == 0, err
        return out.strip()

    first = must("declare", "--title", "Checkout 500s", "--severity", "P1")
    second = must("declare", "--title", "Payments slow", "--severity", "P2")
    must("ack", first)
    must("note", first, "rolled back 4.2")
    must("link", first, second)
    must("mark-duplicate", second, "--of", first)
    must("evidence", "add", first, str(log), "--note", "the app's log")
    code, _out, err = run_cli("evidence", "verify", first)  # a second custody entry
    assert code == 0, err
    must("postmortem", first, "set", "root-cause", "--text", "a bad deploy")
    must("action", first, "add", "Add a canary", "--owner", "Bob")
    return [int(first), int(second)]


def _show(run_cli, incident: int, *where: str) -> dict:
    code, out, err = run_cli(*where, "show", str(incident), "--json")
    assert code == 0, err
    return json.loads(out)


def _renumbered(shown: dict, mapping: dict[int, int]) -> dict:
    """`show --json` of a local incident as the shared room should show it: its number and
    the numbers its timeline names mapped, event ids left out (the room numbers them)."""
    shown = {**shown, "id": mapping[shown["id"]]}
    events = []
    for event in shown["timeline"]:
        event = {k: v for k, v in event.items() if k != "id"}
        data = dict(event["data"])
        for key in ("of", "duplicate", "linked"):
            if key in data:
                old = data[key]
                data[key] = mapping[old]
                event["text"] = event["text"].replace(f"#{old}", f"#{mapping[old]}")
        event["data"] = data
        events.append(event)
    shown["timeline"] = events
    return shown


def _without_event_ids(shown: dict) -> dict:
    return {
        **shown,
        "timeline": [{k: v for k, v in e.items() if k != "id"} for e in shown["timeline"]],
    }


def _room_counts(url: str, data_dir) -> dict[str, int]:
    room = open_shared(url, data_dir)
    try:
        return count_rows(room)
    finally:
        room.dispose()


def test_share_moves_a_laptop_into_a_busy_room_renumbered(run_cli, laptop, postgres_url, data_dir):
    code, out, err = run_cli(
        "--database", postgres_url, "declare", "--title", "DNS", "--severity", "P3"
    )
    assert (code, out.strip()) == (0, "1"), err  # the room already holds incident #1
    local = {i: _show(run_cli, i) for i in laptop}

    code, out, err = run_cli("share", "--to", postgres_url, "--json")

    assert code == 0, err
    report = json.loads(out)
    mapping = {int(old): new for old, new in report["incidents"].items()}
    assert mapping == {laptop[0]: 2, laptop[1]: 3}
    assert report["copied"]["custody_entry"] == 2
    assert report["custody_chains_verified"] == 1
    assert any("vault" in note for note in report["notes"])  # the files stay on the laptop
    for old, new in mapping.items():
        there = _show(run_cli, new, "--database", postgres_url)
        assert _without_event_ids(there) == _renumbered(local[old], mapping)
    code, out, _err = run_cli("--database", postgres_url, "action", "2", "list")
    assert code == 0 and "Add a canary" in out
    code, out, _err = run_cli("--database", postgres_url, "export", "2")
    assert code == 0 and "a bad deploy" in out
    room = open_shared(postgres_url, data_dir)
    try:
        record = read_record(room)
    finally:
        room.dispose()
    [artifact] = record.rows["evidence_artifact"]
    assert artifact["incident_id"] == 2
    assert chain_problems(record.rows["evidence_artifact"], record.rows["custody_entry"]) == []
    assert {r["incident_id"] for r in record.rows["postmortem"]} == {2}
    assert {r["duplicate_of"] for r in record.rows["incident"]} == {None, 2}


def test_share_prints_the_mapping_and_says_where_the_evidence_files_are(
    run_cli, laptop, postgres_url
):
    code, out, err = run_cli("share", "--to", postgres_url)
    assert code == 0, err
    assert "#1 -> #1" in out and "#2 -> #2" in out
    assert "1 chain verified" in out
    assert "vault" in out


def test_a_tampered_custody_log_refuses_the_whole_share(run_cli, laptop, postgres_url, data_dir):
    with contextlib.closing(sqlite3.connect(data_dir / "warroom.db", isolation_level=None)) as db:
        db.execute("DROP TRIGGER custody_entry_no_update")
        db.execute("UPDATE custody_entry SET reason = 'nothing to see' WHERE seq = 1")
    before = _room_counts(postgres_url, data_dir)

    code, out, err = run_cli("share", "--to", postgres_url)

    assert code == 3
    assert "custody" in err and "altered" in err and "Nothing was copied" in err
    assert out == ""
    assert _room_counts(postgres_url, data_dir) == before


def test_evidence_numbers_taken_in_the_room_refuse_the_share(
    run_cli, laptop, postgres_url, data_dir, tmp_path
):
    other = tmp_path / "other.log"
    other.write_text("another laptop's evidence\n")
    code, room_incident, err = run_cli(
        "--database", postgres_url, "declare", "--title", "DNS", "--severity", "P3"
    )
    assert code == 0, err
    code, _out, err = run_cli(
        "--database", postgres_url, "evidence", "add", room_incident.strip(), str(other)
    )
    assert code == 0, err
    before = _room_counts(postgres_url, data_dir)

    code, _out, err = run_cli("share", "--to", postgres_url)

    assert code == 3
    assert "evidence numbered #1" in err and "Nothing was copied" in err
    assert _room_counts(postgres_url, data_dir) == before


def test_db_copy_makes_an_archive_that_reads_back_the_same(
    run_cli, laptop, postgres_url, tmp_path, capsys
):
    code, _out, err = run_cli("share", "--to", postgres_url)
    assert code == 0, err
    archive = tmp_path / "archive" / "warroom.db"

    code, out, err = run_cli("--database", postgres_url, "db", "copy", "--to", str(archive))

    assert code == 0, err
    assert "every number was kept" in out and "1 chain verified" in out
    for incident in laptop:
        in_room = _show(run_cli, incident, "--database", postgres_url)
        assert main(["--data-dir", str(archive.parent), "show", str(incident), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == in_room
    database = open_database(archive)
    try:
        record = read_record(database)
    finally:
        database.dispose()
    assert chain_problems(record.rows["evidence_artifact"], record.rows["custody_entry"]) == []
    assert not list(archive.parent.glob(".*partial*"))


def test_db_copy_never_overwrites_a_file(run_cli, laptop, tmp_path):
    archive = tmp_path / "archive.db"
    archive.write_bytes(b"keep me")

    code, _out, err = run_cli("db", "copy", "--to", str(archive))

    assert code == 3
    assert "already exists" in err
    assert archive.read_bytes() == b"keep me"


def test_db_copy_of_the_local_file_keeps_every_number_and_row(run_cli, laptop, data_dir, tmp_path):
    archive = tmp_path / "archive.db"

    code, _out, err = run_cli("db", "copy", "--to", str(archive))

    assert code == 0, err
    source, copy = open_database(data_dir / "warroom.db"), open_database(archive)
    try:
        local, archived = read_record(source), read_record(copy)
    finally:
        source.dispose()
        copy.dispose()
    for table in TABLES:
        assert archived.of(table) == local.of(table), table


def test_db_upgrade_migrates_an_old_local_file_and_says_from_and_to(run_cli, data_dir):
    data_dir.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{data_dir / 'warroom.db'}")
    with engine.begin() as conn:
        migrate(conn, target=5)
    engine.dispose()

    code, out, err = run_cli("db", "upgrade")

    assert code == 0, err
    assert f"upgraded from schema v5 to v{LATEST_VERSION}" in out
    code, out, err = run_cli("db", "upgrade")
    assert code == 0, err
    assert f"already at schema v{LATEST_VERSION}" in out


def test_db_upgrade_refuses_a_newer_local_file(run_cli, data_dir):
    path = data_dir / "warroom.db"
    open_database(path).dispose()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE warroom_schema SET version = ?", (LATEST_VERSION + 1,))

    code, out, err = run_cli("db", "upgrade")

    assert code == 3
    assert f"schema version {LATEST_VERSION + 1}, newer than this warroom" in err
    assert "left untouched" in err and out == ""


def test_db_upgrade_on_a_shared_room_current_and_newer(run_cli, postgres_url):
    code, out, err = run_cli("--database", postgres_url, "db", "upgrade")
    assert code == 0, err
    assert f"already at schema v{LATEST_VERSION}" in out
    engine = create_engine(database_url(postgres_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE warroom_schema SET version = :v"), {"v": LATEST_VERSION + 1})
    engine.dispose()

    code, out, err = run_cli("--database", postgres_url, "db", "upgrade")

    assert code == 3
    assert "shared war room" in err and "newer than this warroom" in err


def test_db_upgrade_without_a_database_says_so(run_cli, data_dir):
    code, _out, err = run_cli("db", "upgrade")
    assert code == 3
    assert "there is no database" in err
    assert not (data_dir / "warroom.db").exists()


def test_shared_evidence_bytes_go_with_their_records(run_cli, laptop, postgres_url, tmp_path):
    code, out, err = run_cli("share", "--to", postgres_url)
    assert code == 0, err
    assert "bytes were copied with their records" in out
    # Another laptop, with a vault of its own that holds nothing, verifies and exports them.
    other = ["--data-dir", str(tmp_path / "another-laptop"), "--database", postgres_url]
    code, out, err = run_cli(*other, "evidence", "verify", str(laptop[0]))
    assert code == 0, err
    assert out.endswith("(incident #1): intact\n"), out
    bundle = tmp_path / "bundle"
    code, out, err = run_cli(*other, "evidence", "export", str(laptop[0]), "-o", str(bundle))
    assert code == 0, err
    files = [p for p in bundle.rglob("*") if p.is_file()] or [bundle]
    assert any(b"12:00 500 on /checkout" in p.read_bytes() for p in files), out


def test_a_vault_file_changed_behind_the_apps_back_refuses_the_share(
    run_cli, laptop, postgres_url, data_dir
):
    before = _room_counts(postgres_url, data_dir)
    [stored] = [p for p in (data_dir / "vault").rglob("*") if p.is_file() and "head" not in p.name]
    stored.chmod(0o600)
    stored.write_bytes(b"12:00 200 on /checkout\n")  # the evidence, rewritten
    code, _out, err = run_cli("share", "--to", postgres_url)
    assert code == 3
    assert "no longer matches the SHA-256 recorded when it was collected" in err
    assert _room_counts(postgres_url, data_dir) == before  # nothing was copied


def test_an_archive_of_a_shared_room_holds_the_evidence_bytes(
    run_cli, laptop, postgres_url, tmp_path
):
    code, _out, err = run_cli("share", "--to", postgres_url)
    assert code == 0, err
    archive = tmp_path / "archive" / "warroom.db"
    code, _out, err = run_cli("--database", postgres_url, "db", "copy", "--to", str(archive))
    assert code == 0, err
    # Opened on its own, far from the laptop that collected it: verified from its own bytes.
    code, out, err = run_cli("--data-dir", str(archive.parent), "evidence", "verify", "1")
    assert (code, out.endswith("intact\n")) == (0, True), out + err
