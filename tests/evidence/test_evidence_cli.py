"""`warroom evidence add | checklist | verify | export`: headless, and recording exactly
what the service records for the GUI."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import subprocess
import zipfile

import pytest

from tests.evidence.helpers import evidence_events
from warroom.adapters.sql.sqlite.database import open_database
from warroom.adapters.vault import FileVault
from warroom.bootstrap import incident_service
from warroom.domain.evidence import CustodyAction
from warroom.services.evidence import EvidenceService
from warroom.system.settings import login_actor as default_actor


def sha(data):
    return hashlib.sha256(data).hexdigest()


def declare(run_cli, title="Checkout down"):
    code, out, err = run_cli("declare", "--title", title, "--severity", "P1")
    assert (code, err) == (0, ""), err
    return int(out)


def test_add_prints_id_and_sha256_per_file(run_cli, make_file):
    incident_id = declare(run_cli)
    a = make_file("a.log", data=b"alpha\n")
    b = make_file("b.log", data=b"bravo\n")
    code, out, err = run_cli("evidence", "add", incident_id, a, b, "--item", "CONFIG changes")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1 " + sha(b"alpha\n"),
        "2 " + sha(b"bravo\n"),
    ]
    code, out, err = run_cli("evidence", "checklist", incident_id)
    assert code == 0
    assert "collected       Config changes" in out.splitlines()


def test_an_unknown_item_lists_the_names_and_copies_nothing(run_cli, make_file, data_dir):
    incident_id = declare(run_cli)
    code, out, err = run_cli("evidence", "add", incident_id, make_file(data=b"x"), "--item", "logs")
    assert (code, out) == (4, "")
    assert "no checklist item named “logs”" in err
    assert "Application logs around the start; Metric and dashboard" in err
    assert not (data_dir / "vault").exists() or not any((data_dir / "vault").rglob("*.log"))


def test_a_bad_file_fails_alone_and_exits_1(run_cli, make_file, originals):
    incident_id = declare(run_cli)
    good = make_file("good.log", data=b"good\n")
    code, out, err = run_cli("evidence", "add", incident_id, originals / "nope.log", good, good)
    assert code == 1
    assert out.splitlines() == ["1 " + sha(b"good\n")]
    assert "does not exist" in err
    assert "already in the vault as evidence #1" in err


def test_the_cli_and_the_service_record_the_same_thing(run_cli, make_file, data_dir, clock):
    path = make_file("app.log", data=b"2026-11-22 ERROR boom\n")
    by_cli = declare(run_cli)
    code, _, err = run_cli(
        "evidence",
        "add",
        by_cli,
        path,
        "--item",
        "Application logs around the start",
        "--note",
        "from web-1",
    )
    assert (code, err) == (0, "")

    database = open_database(data_dir / "warroom.db")
    try:
        incidents = incident_service(database, clock, actor=default_actor())
        evidence = EvidenceService(incidents, FileVault(data_dir / "vault"))
        by_gui = incidents.declare("Checkout down", "P1").id
        logs = next(
            i for i in evidence.checklist(by_gui) if i.name == "Application logs around the start"
        )
        evidence.collect_file(by_gui, path, item_id=logs.id, note="from web-1")

        assert evidence_events(incidents, by_cli) == evidence_events(incidents, by_gui)
        [cli_artifact] = evidence.artifacts(by_cli)
        [gui_artifact] = evidence.artifacts(by_gui)
        same = (
            "kind",
            "name",
            "description",
            "original_path",
            "host",
            "size",
            "sha256",
            "stored_name",
            "collector",
            "collected_at",
            "local_zone",
            "url",
        )
        assert {f: getattr(cli_artifact, f) for f in same} == {
            f: getattr(gui_artifact, f) for f in same
        }

        def custody(artifact):
            return [
                (e.seq, e.action, e.actor, e.at, e.reason, e.details)
                for e in evidence.custody(artifact.id)
            ]

        assert custody(cli_artifact) == custody(gui_artifact)
        assert [i.state for i in evidence.checklist(by_cli)] == [
            i.state for i in evidence.checklist(by_gui)
        ]
        evidence.close()
    finally:
        database.dispose()


def test_verify_exits_1_on_a_modified_file_or_a_broken_chain(run_cli, make_file, data_dir):
    incident_id = declare(run_cli)
    run_cli(
        "evidence",
        "add",
        incident_id,
        make_file("a.log", data=b"a\n"),
        make_file("b.log", data=b"b\n"),
    )
    code, out, err = run_cli("evidence", "verify", incident_id)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"#1 a.log (incident #{incident_id}): intact",
        f"#2 b.log (incident #{incident_id}): intact",
    ]
    stored = next((data_dir / "vault" / str(incident_id)).glob("*-a.log"))
    stored.chmod(0o600)
    stored.write_bytes(b"A\n")
    with contextlib.closing(sqlite3.connect(data_dir / "warroom.db")) as conn, conn:
        conn.execute("DROP TRIGGER custody_entry_no_update")
        conn.execute("UPDATE custody_entry SET reason = 'forged' WHERE artifact_id = 2 AND seq = 1")
    code, out, err = run_cli("evidence", "verify")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"#1 a.log (incident #{incident_id}): MODIFIED — the file's sha256")
    assert lines[1].startswith(f"#2 b.log (incident #{incident_id}): intact, custody log BROKEN")
    assert lines[1].endswith("— custody entry 1 (collected) was altered")


def test_verify_with_no_evidence(run_cli):
    declare(run_cli)
    assert run_cli("evidence", "verify") == (0, "No evidence to verify.\n", "")


def test_export_writes_a_bundle_sha256sum_accepts(run_cli, make_file, tmp_path):
    incident_id = declare(run_cli)
    run_cli("evidence", "add", incident_id, make_file(size=100_000))
    bundle = tmp_path / "bundle.zip"
    code, out, err = run_cli(
        "evidence", "export", incident_id, "-o", bundle, "--reason", "handover to legal"
    )
    assert (code, out.strip(), err) == (0, str(bundle), "")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path / "unzipped")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "unzipped")
    assert check.returncode == 0
    code, out, _ = run_cli("show", incident_id)
    assert "Evidence exported: 1 artifact to bundle.zip" in out


@pytest.mark.parametrize("argv", [("evidence",), ("evidence", "export", "1")])
def test_bad_usage_exits_2(run_cli, argv):
    with pytest.raises(SystemExit) as caught:
        run_cli(*argv)
    assert caught.value.code == 2


def test_unknown_incident_exits_4(run_cli, make_file):
    code, out, err = run_cli("evidence", "add", 42, make_file(data=b"x"))
    assert (code, out) == (4, "")
    assert "There is no incident #42." in err


def test_custody_action_names_are_stable():
    # The CLI, the manifest and the database all spell them this way.
    assert [a.value for a in CustodyAction] == [
        "collected",
        "viewed",
        "exported",
        "verified",
        "copied_out",
        "linked",
    ]
