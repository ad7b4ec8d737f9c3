"""Evidence in a shared war room, on the run's PostgreSQL server: the artifacts' bytes are
stored in the database with their records (evidence_chunk, schema v10), so a second laptop,
whose vault folder is its own and empty, verifies and exports what the first collected; a
chunk changed behind the app's back is found by verification and stops every copy; the
chunks are as immutable as the artifacts. The same store works on SQLite."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile

import pytest
from sqlalchemy import inspect

from tests.adapters.test_migrations import schema_of, schema_of_models
from tests.evidence.helpers import IMPACT_STARTED, vault_files
from warroom.adapters.vault import CHUNK, FileVault, SharedVault
from warroom.bootstrap import build
from warroom.domain.evidence import CollectError, IntegrityState
from warroom.services.evidence import EvidenceService


@pytest.fixture
def engine():
    """A shared war room is a PostgreSQL server (the test that also runs on SQLite says so)."""
    return "postgresql"


@pytest.fixture
def laptops(db, open_again, clock, tmp_path):
    """Alice's and Bob's warroom on the same war room, as the app builds them, each with a
    vault folder of its own; yields (alice, bob) Services."""
    built = [
        build(db, clock, actor="alice", vault=tmp_path / "alice-vault"),
        build(open_again(), clock, actor="bob", vault=tmp_path / "bob-vault"),
    ]
    yield tuple(built)
    for services in built:
        services.evidence.close()


@pytest.fixture
def room_incident(laptops):
    alice, _ = laptops
    return alice.incidents.declare(
        "Checkout returns 500s", "P1", impact="EU card payments", impact_started_at=IMPACT_STARTED
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_rows(raw, artifact_id):
    return raw.rows(
        "SELECT seq, octet_length(data) FROM evidence_chunk "
        f"WHERE artifact_id = {artifact_id} ORDER BY seq"
    )


def tamper(raw, statement):
    """As the server's superuser, with the chunk guards out of the way for the change."""
    raw.run(
        "ALTER TABLE evidence_chunk DISABLE TRIGGER ALL",
        statement,
        "ALTER TABLE evidence_chunk ENABLE TRIGGER ALL",
    )


def test_a_shared_room_keeps_the_bytes_in_the_database(laptops):
    alice, bob = laptops
    assert isinstance(alice.evidence.vault, SharedVault)
    assert alice.evidence.bytes_shared and bob.evidence.bytes_shared


def test_collected_on_one_laptop_verified_and_exported_on_another(
    laptops, room_incident, make_file, raw, tmp_path
):
    alice, bob = laptops
    data = b"2026-11-22T13:59:58Z ERROR payment gateway timeout\n" * 1000
    artifact = alice.evidence.collect_file(room_incident.id, make_file("app.log", data))
    assert artifact.sha256 == sha256(data)
    # Nothing of the bytes stays on Alice's laptop: only her custody head file.
    assert vault_files(tmp_path / "alice-vault") == []
    assert chunk_rows(raw, artifact.id) == [(0, len(data))]

    assert not (tmp_path / "bob-vault").exists()
    results = bob.evidence.verify(room_incident.id)
    assert [(r.artifact.id, r.state, r.ok, r.problems) for r in results] == [
        (artifact.id, IntegrityState.INTACT, True, ())
    ]
    copy = bob.evidence.copy_out(artifact.id, tmp_path / "bob-copy.log", "read it")
    assert copy.read_bytes() == data
    bundle = bob.evidence.export_bundle(room_incident.id, tmp_path / "bundle.zip", "to legal")
    with zipfile.ZipFile(bundle) as z:
        arcname = f"artifacts/{artifact.stored_name}"
        assert z.read(arcname) == data
        assert f"{sha256(data)}  {arcname}" in z.read("SHA256SUMS").decode()
        assert "problems" not in z.read("MANIFEST.md").decode().splitlines()[0].lower()
    # Bob's handling is on the shared custody log, which Alice sees and verifies too.
    actions = [e.action.value for e in alice.evidence.custody(artifact.id)]
    assert actions == ["collected", "verified", "copied_out", "exported"]
    assert [r.ok for r in alice.evidence.verify(room_incident.id)] == [True]


def test_a_chunk_changed_behind_the_apps_back_is_caught(
    laptops, room_incident, make_file, raw, tmp_path
):
    alice, bob = laptops
    data = bytes(range(256)) * 4096  # 1 MiB: one full chunk
    artifact = alice.evidence.collect_file(room_incident.id, make_file("heap.bin", data))
    with pytest.raises(raw.error, match="cannot be changed"):
        raw.run(
            f"UPDATE evidence_chunk SET data = '\\x00'::bytea WHERE artifact_id = {artifact.id}"
        )
    tamper(
        raw, f"UPDATE evidence_chunk SET data = '\\x00'::bytea WHERE artifact_id = {artifact.id}"
    )

    (result,) = bob.evidence.verify(room_incident.id)
    assert result.state is IntegrityState.MODIFIED and not result.ok
    assert f"recorded {artifact.sha256[:8]}" in result.problems[0]
    with pytest.raises(CollectError, match="no longer matches"):
        bob.evidence.copy_out(artifact.id, tmp_path / "copy.bin")
    assert not (tmp_path / "copy.bin").exists()
    with pytest.raises(CollectError, match="no longer matches"):
        bob.evidence.export_bundle(room_incident.id, tmp_path / "bundle.zip")
    assert not (tmp_path / "bundle.zip").exists()


def test_chunks_gone_behind_the_apps_back_are_reported_missing(
    laptops, room_incident, make_file, raw
):
    alice, bob = laptops
    artifact = alice.evidence.collect_file(room_incident.id, make_file("app.log", b"x" * 100))
    with pytest.raises(raw.error, match="cannot be deleted"):
        raw.run(f"DELETE FROM evidence_chunk WHERE artifact_id = {artifact.id}")
    with pytest.raises(raw.error, match="cannot be deleted"):
        raw.run("TRUNCATE evidence_chunk")
    tamper(raw, f"DELETE FROM evidence_chunk WHERE artifact_id = {artifact.id}")
    (result,) = bob.evidence.verify(room_incident.id)
    assert result.state is IntegrityState.MISSING
    assert "not in the shared war room" in result.problems[0]


def test_a_big_artifact_round_trips_in_chunks_without_being_held_whole(
    laptops, room_incident, make_file, raw, tmp_path
):
    alice, bob = laptops
    size = 5 * CHUNK + 12345
    source = make_file("core.dump", size=size)
    data = source.read_bytes()
    artifact = alice.evidence.collect_file(room_incident.id, source)
    assert chunk_rows(raw, artifact.id) == [*((n, CHUNK) for n in range(5)), (5, 12345)]
    del data

    tracemalloc.start()
    try:
        seen = []
        (result,) = bob.evidence.verify(room_incident.id, progress=lambda d, t: seen.append(d))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.state is IntegrityState.INTACT
    assert seen[-1] == size and len(seen) == 6
    assert peak < 4 * CHUNK  # a chunk or two at a time, never the 5 MiB

    copy = bob.evidence.copy_out(artifact.id, tmp_path, "a working copy")
    assert copy.stat().st_size == size
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == artifact.sha256
    bundle = bob.evidence.export_bundle(room_incident.id, tmp_path / "bundle.zip")
    with zipfile.ZipFile(bundle) as z:
        assert sha256(z.read(f"artifacts/{artifact.stored_name}")) == artifact.sha256


def test_snippets_screenshots_and_empty_files_are_stored_too(
    laptops, room_incident, make_file, raw, tmp_path
):
    alice, bob = laptops
    snippet = alice.evidence.add_snippet(room_incident.id, None, "panic: nil map", "the crash")
    empty = alice.evidence.collect_file(room_incident.id, make_file("empty.log", b""))
    reference = alice.evidence.add_reference(
        room_incident.id,
        None,
        "https://grafana/d/checkout",
        "the dashboard",
        screenshot=make_file("shot.png", b"\x89PNG fake"),
    )
    link = alice.evidence.add_reference(room_incident.id, None, "TICKET-12", "the ticket")
    assert chunk_rows(raw, snippet.id) == [(0, len("panic: nil map"))]
    assert chunk_rows(raw, empty.id) == [(0, 0)]  # an empty file is stored too
    assert chunk_rows(raw, reference.id) == [(0, 9)]
    assert chunk_rows(raw, link.id) == []
    assert vault_files(tmp_path / "alice-vault") == []
    results = bob.evidence.verify(room_incident.id)
    assert [(r.artifact.id, r.ok) for r in results] == [
        (a.id, True) for a in (snippet, empty, reference, link)
    ]
    assert bob.evidence.copy_out(snippet.id, tmp_path / "s.txt").read_text() == "panic: nil map"
    assert bob.evidence.copy_out(empty.id, tmp_path / "e.log").read_bytes() == b""


def test_deleting_the_incident_takes_its_chunks(laptops, room_incident, make_file, raw):
    alice, _ = laptops
    alice.evidence.collect_file(room_incident.id, make_file("app.log", b"bytes"))
    assert raw.counts("evidence_chunk") == (1,)
    alice.evidence.delete_incident(room_incident.id)
    assert raw.counts("evidence_artifact", "evidence_chunk") == (0, 0)


def test_a_laptop_that_had_the_file_before_v10_still_verifies_it(
    laptops, room_incident, make_file, raw, tmp_path
):
    """An artifact recorded without chunks (by a warroom from before v10) is looked for in
    this laptop's vault folder, as before; on a laptop without it, it is missing."""
    alice, bob = laptops
    data = b"collected before the bytes were shared"
    artifact = alice.evidence.collect_file(room_incident.id, make_file("old.log", data))
    tamper(raw, f"DELETE FROM evidence_chunk WHERE artifact_id = {artifact.id}")
    kept = tmp_path / "alice-vault" / str(room_incident.id) / artifact.stored_name
    kept.write_bytes(data)
    assert [r.ok for r in alice.evidence.verify(room_incident.id)] == [True]
    assert [r.state for r in bob.evidence.verify(room_incident.id)] == [IntegrityState.MISSING]


def test_the_chunk_table_matches_its_model_on_the_server(db):
    live = schema_of(db.engine)["evidence_chunk"]
    assert live == schema_of_models(db.engine.dialect)["evidence_chunk"]
    sizes = {c["name"]: c["type"] for c in inspect(db.engine).get_columns("evidence_artifact")}
    assert str(sizes["size"]) == "BIGINT"  # an artifact over 2 GiB is recorded too
    assert {c["name"] for c in inspect(db.engine).get_columns("evidence_chunk")} == {
        "artifact_id",
        "seq",
        "data",
    }


@pytest.mark.parametrize("engine", ["sqlite"])
def test_the_same_store_works_on_sqlite(incidents, make_file, raw, tmp_path, open_again, clock):
    """A local room keeps the file vault (bootstrap); the chunk store itself, and its
    guards, work on the file as well."""
    evidence = EvidenceService(incidents, SharedVault(tmp_path / "one"))
    try:
        incident = incidents.declare("Disk full", "P2", impact="Uploads fail")
        data = bytes(range(256)) * 5000
        artifact = evidence.collect_file(incident.id, make_file("du.txt", data))
        assert [n for n, _ in chunk_rows_sqlite(raw, artifact.id)] == [0, 1]
        with pytest.raises(raw.error, match="cannot be changed"):
            raw.run(f"UPDATE evidence_chunk SET data = x'00' WHERE artifact_id = {artifact.id}")
        other = build(open_again(), clock, actor="bob", vault=tmp_path / "two")
        assert isinstance(other.evidence.vault, FileVault) and not other.evidence.bytes_shared
        other.evidence.close()
        again = EvidenceService(other.incidents, SharedVault(tmp_path / "two"))
        assert [r.ok for r in again.verify(incident.id)] == [True]
        assert again.copy_out(artifact.id, tmp_path / "c.txt").read_bytes() == data
        again.close()
    finally:
        evidence.close()


def chunk_rows_sqlite(raw, artifact_id):
    return raw.rows(
        f"SELECT seq, length(data) FROM evidence_chunk WHERE artifact_id = {artifact_id} "
        "ORDER BY seq"
    )
