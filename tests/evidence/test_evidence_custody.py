"""The chain of custody: append-only in the store (triggers on SQLite, PL/pgSQL triggers on
PostgreSQL), hash-chained so tampering shows; verify finds modified and missing files and
broken chains; deleting an incident still works."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.evidence.helpers import EVIDENCE_T0, evidence_events, vault_files
from warroom.domain.evidence import (
    GENESIS_HASH,
    CustodyAction,
    CustodyEntry,
    IntegrityState,
    check_chain,
    entry_hash,
)


@pytest.fixture
def two_artifacts(incident, evidence, make_file):
    a = evidence.collect_file(incident.id, make_file("a.log", data=b"alpha\n" * 1000))
    b = evidence.collect_file(incident.id, make_file("b.log", data=b"bravo\n" * 1000))
    return a, b


def result_of(results, artifact):
    return next(r for r in results if r.artifact.id == artifact.id)


# -- the chain, in core --------------------------------------------------------------------------


def chain(n):
    entries, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        at = EVIDENCE_T0 + timedelta(minutes=seq)
        digest = entry_hash(7, seq, "viewed", "alice", at, f"r{seq}", {"k": seq}, prev)
        entries.append(
            CustodyEntry(
                seq, 7, seq, CustodyAction.VIEWED, "alice", at, f"r{seq}", {"k": seq}, prev, digest
            )
        )
        prev = digest
    return entries


def test_a_whole_chain_has_no_problems():
    assert check_chain(chain(4)) == []


def test_entry_hash_covers_every_field():
    base = (7, 1, "viewed", "alice", EVIDENCE_T0, "why", {"a": 1}, GENESIS_HASH)
    digest = entry_hash(*base)
    assert len(digest) == 64 and digest == entry_hash(*base)
    for index, changed in enumerate(
        (8, 2, "exported", "bob", EVIDENCE_T0 + timedelta(microseconds=1), "", {"a": 2}, "1" * 64)
    ):
        altered = list(base)
        altered[index] = changed
        assert entry_hash(*altered) != digest, index


def test_an_edited_a_deleted_and_a_truncated_head_are_found():
    entries = chain(4)
    edited = [*entries[:1], replace(entries[1], reason="nothing to see"), *entries[2:]]
    assert check_chain(edited) == ["custody entry 2 (viewed) was altered"]
    assert check_chain([entries[0], entries[2], entries[3]]) == [
        "custody entry 2 is missing (deleted)"
    ]
    assert check_chain(entries[2:]) == ["custody entries 1-2 are missing (deleted)"]
    assert check_chain([]) == ["the custody log is empty (its entries were deleted)"]
    forged = replace(entries[1], prev_hash="f" * 64)
    forged = replace(
        forged, entry_hash=entry_hash(7, 2, "viewed", "alice", forged.at, "r2", {"k": 2}, "f" * 64)
    )
    assert check_chain([entries[0], forged]) == [
        "custody entry 2 does not follow the entry before it"
    ]


# -- verify --------------------------------------------------------------------------------------


def test_verify_reports_intact_and_records_it(incident, evidence, incidents, two_artifacts):
    results = evidence.verify(incident.id)
    assert [(r.state, r.chain_ok, r.problems) for r in results] == [
        (IntegrityState.INTACT, True, ()),
        (IntegrityState.INTACT, True, ()),
    ]
    for artifact in two_artifacts:
        entries = evidence.custody(artifact.id)
        assert [e.action for e in entries] == [CustodyAction.COLLECTED, CustodyAction.VERIFIED]
        assert entries[1].details["result"] == "intact"
        assert entries[1].prev_hash == entries[0].entry_hash
    assert evidence_events(incidents, incident.id)[-1] == "Evidence verified: 2 intact"


def test_a_flipped_byte_is_modified_and_a_deleted_file_missing(
    incident, evidence, incidents, two_artifacts
):
    a, b = two_artifacts
    path = evidence.artifact_path(a)
    path.chmod(0o600)  # behind the app's back
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    evidence.artifact_path(b).unlink()

    results = evidence.verify()
    assert result_of(results, a).state is IntegrityState.MODIFIED
    assert "sha256 is now" in result_of(results, a).problems[0]
    assert result_of(results, b).state is IntegrityState.MISSING
    assert all(r.chain_ok for r in results)
    assert evidence_events(incidents, incident.id)[-1] == (
        "Evidence verification FAILED: 0 intact; 1 modified (a.log); 1 missing (b.log)"
    )
    assert evidence.custody(b.id)[-1].details["result"] == "missing"


def test_the_store_refuses_to_change_or_delete_custody(incident, evidence, two_artifacts, raw):
    a, _ = two_artifacts
    with pytest.raises(raw.error, match="append-only"):
        raw.run(f"UPDATE custody_entry SET reason = 'edited' WHERE artifact_id = {a.id}")
    with pytest.raises(raw.error, match="append-only"):
        raw.run(f"DELETE FROM custody_entry WHERE artifact_id = {a.id}")
    with pytest.raises(raw.error, match="cannot be changed"):
        raw.run(f"UPDATE evidence_artifact SET sha256 = 'x' WHERE id = {a.id}")
    with pytest.raises(raw.error, match="cannot be deleted"):
        raw.run(f"DELETE FROM evidence_artifact WHERE id = {a.id}")
    assert [r.ok for r in evidence.verify(incident.id)] == [True, True]


@pytest.mark.parametrize("engine", ["postgresql"])  # SQLite has no TRUNCATE
def test_the_server_refuses_to_truncate_custody_or_artifacts(
    incident, evidence, two_artifacts, raw
):
    """TRUNCATE skips row triggers: statement triggers refuse it, also when it would reach
    the evidence tables by cascading from the incidents."""
    before = raw.counts("incident", "evidence_artifact", "custody_entry", "evidence_link")
    with pytest.raises(raw.error, match="custody entries are append-only"):
        raw.run("TRUNCATE custody_entry")
    with pytest.raises(raw.error, match="evidence artifacts cannot be deleted"):
        raw.run("TRUNCATE evidence_artifact CASCADE")
    with pytest.raises(raw.error, match="cannot be deleted"):
        raw.run("TRUNCATE incident CASCADE")
    assert raw.counts("incident", "evidence_artifact", "custody_entry", "evidence_link") == before
    assert [r.ok for r in evidence.verify(incident.id)] == [True, True]


@pytest.mark.parametrize("engine", ["postgresql"])
def test_the_server_triggers_are_on_and_only_a_superuser_turns_them_off(
    incident, evidence, two_artifacts, raw
):
    """The guards are enabled row and statement triggers on both tables; after a forgery
    (tests/adapters/helpers.py: RawAccess.forge) they are enabled again, so only verify can
    tell that anything happened."""
    query = (
        "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
        "WHERE NOT tgisinternal ORDER BY 1, 2"
    )
    guards = [
        ("custody_entry", "custody_entry_guard", "O"),
        ("custody_entry", "custody_entry_no_truncate", "O"),
        ("evidence_artifact", "evidence_artifact_guard", "O"),
        ("evidence_artifact", "evidence_artifact_no_truncate", "O"),
        ("evidence_chunk", "evidence_chunk_guard", "O"),
        ("evidence_chunk", "evidence_chunk_no_truncate", "O"),
    ]
    assert raw.rows(query) == guards
    a, _ = two_artifacts
    raw.forge(f"UPDATE custody_entry SET reason = 'edited' WHERE artifact_id = {a.id}")
    assert raw.rows(query) == guards
    with pytest.raises(raw.error, match="append-only"):
        raw.run(f"UPDATE custody_entry SET reason = 'again' WHERE artifact_id = {a.id}")
    result = result_of(evidence.verify(incident.id), a)
    assert (result.chain_ok, result.problems) == (
        False,
        ("custody entry 1 (collected) was altered",),
    )


def test_an_attacker_who_drops_the_triggers_is_still_found_out(
    incident, evidence, two_artifacts, raw
):
    """With sqlite3 the triggers are dropped; on the server its superuser disables them
    (ALTER TABLE ... DISABLE TRIGGER ALL), edits and enables them again."""
    a, b = two_artifacts
    evidence.record_viewed(a.id, "triage")
    evidence.record_viewed(b.id, "triage")
    raw.forge(
        f"UPDATE custody_entry SET actor = 'mallory' WHERE artifact_id = {a.id} AND seq = 2",
        f"DELETE FROM custody_entry WHERE artifact_id = {b.id} AND seq = 1",
    )
    results = evidence.verify(incident.id)
    edited, deleted = result_of(results, a), result_of(results, b)
    assert (edited.state, edited.chain_ok) == (IntegrityState.INTACT, False)
    assert edited.problems == ("custody entry 2 (viewed) was altered",)
    assert (deleted.state, deleted.chain_ok) == (IntegrityState.INTACT, False)
    assert deleted.problems == ("custody entry 1 is missing (deleted)",)
    assert not edited.ok and not deleted.ok


def test_viewing_is_recorded_with_the_reason(incident, evidence, two_artifacts, clock):
    a, _ = two_artifacts
    clock.advance(minutes=5)
    entry = evidence.record_viewed(a.id, "checking the first error")
    assert (entry.seq, entry.action, entry.actor, entry.reason) == (
        2,
        CustodyAction.VIEWED,
        "alice",
        "checking the first error",
    )
    assert entry.at == EVIDENCE_T0 + timedelta(minutes=5)
    assert check_chain(evidence.custody(a.id)) == []


def test_copy_out_checks_the_hash_and_is_recorded(incident, evidence, two_artifacts, tmp_path):
    a, _ = two_artifacts
    out = tmp_path / "work"
    out.mkdir()
    copy = evidence.copy_out(a.id, out, "for the vendor")
    assert copy == out / "a.log"
    assert copy.read_bytes() == evidence.artifact_path(a).read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    last = evidence.custody(a.id)[-1]
    assert (last.action, last.reason, last.details["to"]) == (
        CustodyAction.COPIED_OUT,
        "for the vendor",
        str(copy),
    )


# -- deleting the incident -------------------------------------------------------------------------


def test_deleting_an_incident_removes_its_evidence_rows(
    incident, evidence, incidents, two_artifacts, make_file, raw, vault_root
):
    other = incidents.declare("Other", "P2")
    kept = evidence.collect_file(other.id, make_file("kept.log", data=b"kept\n"))
    evidence.link_existing(evidence.checklist(incident.id)[1].id, two_artifacts[0].id, "")
    evidence.verify()

    incidents.delete_incident(incident.id)

    assert raw.rows("SELECT DISTINCT incident_id FROM evidence_item") == [(other.id,)]
    assert raw.rows("SELECT id FROM evidence_artifact") == [(kept.id,)]
    assert raw.rows("SELECT * FROM evidence_link") == []  # the deleted incident's links
    assert raw.rows("SELECT DISTINCT artifact_id FROM custody_entry") == [(kept.id,)]
    assert [r.ok for r in evidence.verify()] == [True]
    # The vault folder of the deleted incident went with it; the other one's is untouched.
    assert not (vault_root / str(incident.id)).exists()
    assert vault_files(vault_root) == [f"{other.id}/{kept.stored_name}"]


def test_deleting_an_incident_row_cascades_past_the_guards(
    incident, evidence, incidents, two_artifacts, make_file, raw
):
    """The guards let a delete through once the parent row is gone, which is how the
    database's own ON DELETE CASCADE removes a whole incident's evidence."""
    other = incidents.declare("Other", "P2")
    kept = evidence.collect_file(other.id, make_file("kept.log", data=b"kept\n"))
    evidence.link_existing(evidence.checklist(incident.id)[1].id, two_artifacts[0].id, "")

    on_sqlite = ["PRAGMA foreign_keys = ON"] if raw.engine == "sqlite" else []  # as the app
    raw.run(*on_sqlite, f"DELETE FROM incident WHERE id = {incident.id}")

    assert raw.rows("SELECT id FROM evidence_artifact") == [(kept.id,)]
    assert raw.rows("SELECT DISTINCT artifact_id FROM custody_entry") == [(kept.id,)]
    assert raw.rows("SELECT COUNT(*) FROM evidence_link") == [(0,)]
    assert raw.rows(f"SELECT COUNT(*) FROM evidence_item WHERE incident_id = {incident.id}") == [
        (0,)
    ]
    # The other incident's evidence is still guarded.
    with pytest.raises(raw.error, match="cannot be deleted"):
        raw.run(f"DELETE FROM evidence_artifact WHERE id = {kept.id}")
