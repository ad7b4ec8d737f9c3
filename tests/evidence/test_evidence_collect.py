"""Collecting into the vault: copies hashed while copying, read-only, with who/when/where; bad
input refused with a clear message and nothing recorded; cancel and progress."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import subprocess
import threading

import pytest

from tests.evidence.helpers import EVIDENCE_T0, evidence_events, vault_files
from warroom.adapters import vault
from warroom.domain.evidence import (
    GENESIS_HASH,
    ArtifactKind,
    CollectCancelled,
    CollectError,
    CustodyAction,
    DuplicateArtifact,
    ItemState,
)
from warroom.domain.validation import ValidationError

MIB = 1 << 20
# `truncate -s 1G f && sha256sum f`: known, so the test does not hash a second gigabyte.
ONE_GIB_OF_ZEROS = "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14"


def item_named(evidence, incident_id, name):
    return next(i for i in evidence.checklist(incident_id) if i.name == name)


def nothing_recorded(stored, before, vault_root, incidents, incident_id, events_before):
    assert stored() == before
    assert vault_files(vault_root) == []
    assert evidence_events(incidents, incident_id) == events_before


# -- a good copy ---------------------------------------------------------------------------------


def test_stored_hash_matches_hashlib_and_sha256sum_and_the_original_is_untouched(
    incident, evidence, make_file
):
    original = make_file("app.log", size=3 * MIB + 123)
    os.utime(original, ns=(1_700_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = original.read_bytes()
    mtime = original.stat().st_mtime_ns

    artifact = evidence.collect_file(incident.id, original, note="web-1, before restart")

    expected = hashlib.sha256(before).hexdigest()
    sha256sum = subprocess.run(
        ["sha256sum", str(original)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    assert artifact.sha256 == expected == sha256sum
    assert original.read_bytes() == before
    assert original.stat().st_mtime_ns == mtime
    stored = evidence.artifact_path(artifact)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == expected
    assert artifact.size == len(before) == stored.stat().st_size


def test_vault_folder_is_private_and_the_copy_read_only(incident, evidence, make_file, vault_root):
    artifact = evidence.collect_file(incident.id, make_file(data=b"line\n"))
    path = evidence.artifact_path(artifact)
    assert path.parent == vault_root / str(incident.id)
    assert stat.S_IMODE(vault_root.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert vault_files(vault_root) == [f"{incident.id}/{artifact.stored_name}"]


def test_who_when_where_is_recorded(incident, evidence, make_file, originals):
    original = make_file("app.log", data=b"ERROR boom\n")
    item = item_named(evidence, incident.id, "Application logs around the start")
    artifact = evidence.collect_file(incident.id, original, item_id=item.id, note="from web-1")
    assert artifact.kind is ArtifactKind.FILE
    assert artifact.name == "app.log"
    assert artifact.original_path == str(originals / "app.log")
    assert artifact.host == socket.gethostname()
    assert artifact.collector == "alice"
    assert artifact.collected_at == EVIDENCE_T0
    assert artifact.local_zone == "America/New_York (EST -05:00)"
    assert artifact.description == "from web-1"
    assert artifact.item_id == item.id
    assert evidence.artifacts(incident.id) == [artifact]

    collected = item_named(evidence, incident.id, item.name)
    assert collected.state is ItemState.COLLECTED
    assert collected.artifact_ids == (artifact.id,)

    [entry] = evidence.custody(artifact.id)
    assert (entry.seq, entry.action, entry.actor, entry.at) == (
        1,
        CustodyAction.COLLECTED,
        "alice",
        EVIDENCE_T0,
    )
    assert entry.prev_hash == GENESIS_HASH
    assert entry.reason == "from web-1"
    assert entry.details["sha256"] == artifact.sha256
    assert entry.details["original_path"] == artifact.original_path
    assert entry.details["item"] == item.name


def test_the_timeline_says_what_was_collected_for_which_item(
    incident, evidence, incidents, make_file
):
    item = item_named(evidence, incident.id, "Application logs around the start")
    artifact = evidence.collect_file(incident.id, make_file(data=b"x\n"), item_id=item.id)
    evidence.collect_file(incident.id, make_file("other.log", data=b"y\n"))
    [with_item, without] = evidence_events(incidents, incident.id)
    assert with_item == (
        f"Evidence collected: app.log (sha256 {artifact.sha256[:8]}…) "
        "for Application logs around the start"
    )
    assert without.startswith("Evidence collected: other.log (sha256 ")
    assert without.endswith("…)")


def test_a_snippet_is_kept_byte_for_byte_as_a_file(incident, evidence, incidents):
    text = "  2026-11-22 13:31:02 ERROR pool exhausted\n\tat db.Pool.get\n"
    item = item_named(evidence, incident.id, "Error messages and stack traces")
    artifact = evidence.add_snippet(incident.id, item.id, text, "pasted from Kibana")
    assert artifact.kind is ArtifactKind.SNIPPET
    assert artifact.name == "snippet-20261122T140000Z.txt"
    assert evidence.artifact_path(artifact).read_bytes() == text.encode()
    assert artifact.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert evidence_events(incidents, incident.id)[-1].startswith(
        "Evidence collected: snippet snippet-20261122T140000Z.txt (sha256 "
    )
    with pytest.raises(ValidationError, match="empty"):
        evidence.add_snippet(incident.id, item.id, " \n ", "")


def test_a_reference_with_and_without_a_screenshot(incident, evidence, make_file, incidents):
    item = item_named(evidence, incident.id, "External status pages")
    plain = evidence.add_reference(
        incident.id, item.id, "https://status.example.com/incidents/42", "provider outage"
    )
    assert (plain.kind, plain.url, plain.sha256, plain.stored_name) == (
        ArtifactKind.REFERENCE,
        "https://status.example.com/incidents/42",
        "",
        "",
    )
    png = make_file("status.png", data=b"\x89PNG fake")
    shot = evidence.add_reference(incident.id, item.id, "OPS-1234", "ticket", screenshot=png)
    assert shot.sha256 == hashlib.sha256(b"\x89PNG fake").hexdigest()
    assert evidence.artifact_path(shot).read_bytes() == b"\x89PNG fake"
    assert stat.S_IMODE(evidence.artifact_path(shot).stat().st_mode) == 0o400
    assert item_named(evidence, incident.id, item.name).artifact_ids == (plain.id, shot.id)
    assert evidence_events(incidents, incident.id)[0] == (
        "Evidence recorded by reference: https://status.example.com/incidents/42 "
        "for External status pages"
    )
    with pytest.raises(ValidationError, match="URL or ticket"):
        evidence.add_reference(incident.id, item.id, "  ", "")


# -- duplicates ----------------------------------------------------------------------------------


def test_a_duplicate_is_discarded_and_can_be_linked(
    incident, evidence, make_file, stored, vault_root, incidents
):
    logs = item_named(evidence, incident.id, "Application logs around the start")
    first = evidence.collect_file(incident.id, make_file("a.log", data=b"same\n"), item_id=logs.id)
    before, events = stored(), evidence_events(incidents, incident.id)
    files = vault_files(vault_root)

    errors = item_named(evidence, incident.id, "Error messages and stack traces")
    with pytest.raises(DuplicateArtifact) as caught:
        evidence.collect_file(incident.id, make_file("b.log", data=b"same\n"), item_id=errors.id)
    assert caught.value.existing == first
    assert f"evidence #{first.id}" in str(caught.value)
    assert stored() == before
    assert vault_files(vault_root) == files  # the second copy is gone, temp and all
    assert item_named(evidence, incident.id, errors.name).state is ItemState.PENDING
    assert evidence_events(incidents, incident.id) == events

    linked = evidence.link_existing(errors.id, first.id, "the same file shows the traces")
    assert linked.state is ItemState.COLLECTED
    assert linked.artifact_ids == (first.id,)
    entries = evidence.custody(first.id)
    assert [e.action for e in entries] == [CustodyAction.COLLECTED, CustodyAction.LINKED]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[1].reason == "the same file shows the traces"
    assert evidence_events(incidents, incident.id)[-1] == (
        f"Evidence linked: a.log (#{first.id}) also covers Error messages and stack traces: "
        "the same file shows the traces"
    )
    with pytest.raises(ValidationError, match="already covers"):
        evidence.link_existing(errors.id, first.id, "")


def test_the_same_file_in_another_incident_is_not_a_duplicate(
    incident, evidence, incidents, make_file
):
    other = incidents.declare("Second", "P2")
    path = make_file(data=b"shared\n")
    a = evidence.collect_file(incident.id, path)
    b = evidence.collect_file(other.id, path)
    assert a.sha256 == b.sha256 and a.id != b.id


# -- bad input: a clear message, nothing recorded, nothing left in the vault -------------------


@pytest.fixture
def refused(incident, evidence, stored, vault_root, incidents):
    """Collects and expects a CollectError; checks that nothing at all was recorded."""
    before, events = stored(), evidence_events(incidents, incident.id)

    def collect(path, **kwargs):
        with pytest.raises(CollectError) as caught:
            evidence.collect_file(incident.id, path, **kwargs)
        nothing_recorded(stored, before, vault_root, incidents, incident.id, events)
        return str(caught.value)

    return collect


def test_a_directory_is_refused(refused, originals):
    assert "is a folder, not a file" in refused(originals)


def test_a_missing_file_is_refused(refused, originals):
    message = refused(originals / "gone.log")
    assert str(originals / "gone.log") in message and "does not exist" in message


def test_a_fifo_is_refused_without_hanging(refused, originals):
    fifo = originals / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in refused(fifo)


def test_an_unreadable_file_is_refused(refused, make_file, monkeypatch):
    # Root reads a chmod 000 file anyway, so the refusal comes from open() itself.
    secret = make_file("secret.log", data=b"top secret\n")
    real_open = os.open

    def deny(path, *args, **kwargs):
        if os.fspath(path) == str(secret):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    message = refused(secret)
    assert "cannot be read: permission denied" in message
    assert secret.read_bytes() == b"top secret\n"


def test_a_file_growing_during_the_copy_is_refused(refused, make_file):
    growing = make_file("live.log", size=3 * MIB)

    def append_once(done, total):
        if done == MIB:
            with growing.open("ab") as handle:
                handle.write(b"one more line\n")

    message = refused(growing, progress=append_once)
    assert "changed size while it was being copied" in message
    assert growing.stat().st_size == 3 * MIB + 14  # the original is as its writer left it


def test_a_file_vanishing_during_the_copy_is_refused(refused, make_file):
    doomed = make_file("rotating.log", size=2 * MIB)

    def delete_it(done, total):
        if doomed.exists():
            doomed.unlink()

    assert "vanished while it was being copied" in refused(doomed, progress=delete_it)


def test_a_full_disk_is_refused(refused, make_file, monkeypatch):
    def full(out, chunk):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(vault, "_write_all", full)
    message = refused(make_file(size=2 * MIB))
    assert message.startswith("The disk holding the vault is full")


def test_a_closed_incident_refuses_before_copying(evidence, incidents, make_file, vault_root):
    # A P3 needs no post-mortem: it closes with a reason once resolved.
    minor = incidents.declare("Typo on the status page", "P3")
    incidents.set_status(minor.id, "resolved", "fixed by a redeploy")
    incidents.set_status(minor.id, "closed", "no post-mortem needed for a typo")
    with pytest.raises(ValidationError, match="closed"):
        evidence.collect_file(minor.id, make_file(data=b"x"))
    assert not (vault_root / str(minor.id)).exists()  # refused before anything was copied


def test_an_item_of_another_incident_is_refused(incident, evidence, incidents, make_file):
    other = incidents.declare("Other", "P3")
    foreign = evidence.checklist(other.id)[0]
    with pytest.raises(ValidationError, match=f"belongs to incident #{other.id}"):
        evidence.collect_file(incident.id, make_file(data=b"x"), item_id=foreign.id)


# -- progress and cancel -------------------------------------------------------------------------


def test_cancel_leaves_nothing_behind(incident, evidence, make_file, stored, vault_root, incidents):
    before, events = stored(), evidence_events(incidents, incident.id)
    calls = []
    with pytest.raises(CollectCancelled):
        evidence.collect_file(
            incident.id,
            make_file(size=8 * MIB),
            progress=lambda done, total: calls.append(done),
            cancelled=lambda: bool(calls),
        )
    assert calls == [MIB]
    assert list((vault_root / str(incident.id)).iterdir()) == []  # not even a temp file
    nothing_recorded(stored, before, vault_root, incidents, incident.id, events)


@pytest.mark.parametrize("engine", ["sqlite"])  # the copy's progress: no storage in it
def test_a_1_gib_sparse_file_reports_progress_to_the_end(incident, evidence, originals):
    big = originals / "core.dump"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)
    calls = []
    artifact = evidence.collect_file(
        incident.id, big, progress=lambda done, total: calls.append((done, total))
    )
    assert len(calls) >= 100
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones))  # strictly increasing
    assert calls[-1] == (1 << 30, 1 << 30)
    assert {total for _, total in calls} == {1 << 30}
    assert artifact.size == 1 << 30
    assert artifact.sha256 == ONE_GIB_OF_ZEROS
    # Its holes stay holes in the vault: same bytes, almost no disk, and verify agrees.
    stored = evidence.artifact_path(artifact)
    assert stored.stat().st_size == 1 << 30
    assert stored.stat().st_blocks * 512 < 1 << 20
    [result] = evidence.verify(incident.id)
    assert result.ok


def test_collect_file_works_from_a_worker_thread(incident, evidence, make_file):
    path = make_file(size=3 * MIB)
    threads, result = set(), {}

    def work():
        result["artifact"] = evidence.collect_file(
            incident.id, path, progress=lambda d, t: threads.add(threading.get_ident())
        )
        result["thread"] = threading.get_ident()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)
    assert threads == {result["thread"]} != {threading.get_ident()}
    assert evidence.artifacts(incident.id) == [result["artifact"]]
