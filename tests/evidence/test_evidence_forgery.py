"""Forgeries by someone who can write the database: with sqlite3 they drop the triggers of
the file, on the shared PostgreSQL server its superuser disables them for the forgery and
enables them again; either way they edit any row. Verify must still find each one (against
the hash in the "collected" custody entry, the head file kept in the vault, and the
timeline), never seal one with an entry of its own, and a bundle exported from a broken
chain must say so on its first line.

What is out of reach, and documented as such in the README: someone who rewrites the
database, the head file and the vault consistently."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.evidence.helpers import evidence_events
from warroom.domain.evidence import HEAD_FILE, CollectError, CustodyAction, IntegrityState


@pytest.fixture
def three(incident, evidence, make_file):
    """Three artifacts; the first viewed twice, so its log has three entries."""
    a = evidence.collect_file(incident.id, make_file("a.log", data=b"alpha\n" * 500))
    b = evidence.collect_file(incident.id, make_file("b.log", data=b"bravo\n" * 500))
    c = evidence.collect_file(incident.id, make_file("c.log", data=b"charlie\n" * 500))
    evidence.record_viewed(a.id, "triage")
    evidence.record_viewed(a.id, "root cause")
    return a, b, c


def result_of(results, artifact_id):
    return next(r for r in results if r.artifact.id == artifact_id)


def head_lines(evidence, incident_id):
    path = evidence.head_path(incident_id)
    return [json.loads(line) for line in path.read_text().splitlines()]


def unzip_manifests(bundle):
    with zipfile.ZipFile(bundle) as archive:
        markdown = archive.read("MANIFEST.md").decode("utf-8")
        manifest = json.loads(archive.read("manifest.json"))
    return markdown, manifest


# -- the head file --------------------------------------------------------------------------------


def test_every_committed_entry_is_appended_to_the_head_file(incident, evidence, three):
    a, b, c = three
    lines = head_lines(evidence, incident.id)
    assert [(x["artifact"], x["seq"], x["action"]) for x in lines] == [
        (a.id, 1, "collected"),
        (b.id, 1, "collected"),
        (c.id, 1, "collected"),
        (a.id, 2, "viewed"),
        (a.id, 3, "viewed"),
    ]
    stored = {(e.artifact_id, e.seq): e.entry_hash for x in three for e in evidence.custody(x.id)}
    assert all(stored[(x["artifact"], x["seq"])] == x["entry_hash"] for x in lines)
    assert lines[0]["sha256"] == a.sha256 and lines[0]["name"] == "a.log"
    assert oct(evidence.head_path(incident.id).stat().st_mode & 0o777) == "0o600"


def test_an_honest_vault_verifies_and_the_verified_entries_reach_the_head_file(
    incident, evidence, three
):
    results = evidence.verify(incident.id)
    assert [(r.state, r.chain_ok, r.problems) for r in results] == [
        (IntegrityState.INTACT, True, ())
    ] * 3
    assert head_lines(evidence, incident.id)[-1]["action"] == "verified"
    assert all(r.ok for r in evidence.verify(incident.id))  # and again, on top of its own


# -- forgery 1: the last custody rows deleted -----------------------------------------------------


def test_deleting_the_last_custody_rows_is_caught_and_never_sealed(
    incident, evidence, incidents, three, raw
):
    a, _, _ = three
    raw.forge(f"DELETE FROM custody_entry WHERE artifact_id = {a.id} AND seq >= 2")
    assert [e.seq for e in evidence.custody(a.id)] == [1]  # a whole chain, one entry long

    for _ in range(2):  # the second verify must not find the first one's entry "sealing" it
        result = result_of(evidence.verify(incident.id), a.id)
        assert (result.state, result.chain_ok, result.ok) == (IntegrityState.INTACT, False, False)
        assert result.problems == (
            "custody entries 2-3 are missing: the vault's head file records 3 entries "
            "(deleted from the database, or it was restored from an older backup)",
        )
        assert [e.action for e in evidence.custody(a.id)] == [CustodyAction.COLLECTED]
    assert evidence_events(incidents, incident.id)[-1] == (
        "Evidence verification FAILED: 3 intact; custody log broken for a.log"
    )


def test_entries_appended_after_a_truncation_do_not_hide_it(incident, evidence, three, raw):
    a, _, _ = three
    raw.forge(f"DELETE FROM custody_entry WHERE artifact_id = {a.id} AND seq = 3")
    evidence.record_viewed(a.id, "a new entry 3 in place of the deleted one")
    result = result_of(evidence.verify(incident.id), a.id)
    assert not result.ok
    assert result.problems == (
        "the vault's head file records two different custody entries 3 (entries were removed "
        "and others appended in their place)",
    )


def test_a_rewritten_log_is_caught_by_the_head_file(incident, evidence, three, raw):
    """The forger recomputes every hash after editing an entry: the chain is whole again,
    but its entries are no longer the ones committed."""
    from warroom.domain.evidence import entry_hash

    a, _, _ = three
    entries = evidence.custody(a.id)
    prev, statements = entries[0].entry_hash, []
    for entry in entries[1:]:
        reason = "nothing to see" if entry.seq == 2 else entry.reason
        digest = entry_hash(
            a.id, entry.seq, entry.action, entry.actor, entry.at, reason, entry.details, prev
        )
        statements.append(
            f"UPDATE custody_entry SET reason = '{reason}', prev_hash = '{prev}', "
            f"entry_hash = '{digest}' WHERE artifact_id = {a.id} AND seq = {entry.seq}"
        )
        prev = digest
    raw.forge(*statements)
    result = result_of(evidence.verify(incident.id), a.id)
    assert not result.ok
    assert result.problems == tuple(
        f"custody entry {seq} is not the one the vault's head file recorded (the log was rewritten)"
        for seq in (2, 3)
    )


# -- forgery 2: a vault file replaced, and its stored sha256 updated to match -------------------


def replace_file_and_row(evidence, raw, artifact, data):
    import hashlib

    path = evidence.artifact_path(artifact)
    path.chmod(0o600)
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    raw.forge(
        f"UPDATE evidence_artifact SET sha256 = '{digest}', size = {len(data)} "
        f"WHERE id = {artifact.id}",
    )
    return digest


def test_a_replaced_file_with_its_row_updated_is_modified(incident, evidence, three, raw):
    _, b, _ = three
    forged = replace_file_and_row(evidence, raw, b, b"forged\n")
    assert evidence.artifact(b.id).sha256 == forged  # the row agrees with the new bytes

    result = result_of(evidence.verify(incident.id), b.id)
    assert result.state is IntegrityState.MODIFIED
    assert not result.ok
    assert result.problems == (
        f"the file's sha256 is now {forged[:8]}…, recorded {b.sha256[:8]}… at collection",
        "its record was changed after collection (sha256, size no longer match the "
        "collected custody entry)",
    )


def test_a_replaced_file_with_its_row_updated_is_not_exported(
    incident, evidence, incidents, three, raw, tmp_path
):
    _, b, _ = three
    replace_file_and_row(evidence, raw, b, b"forged\n")
    events = evidence_events(incidents, incident.id)
    with pytest.raises(CollectError, match="recorded when it was collected"):
        evidence.export_bundle(incident.id, tmp_path / "bundle.zip")
    assert list(tmp_path.glob("*bundle.zip*")) == []
    assert evidence_events(incidents, incident.id) == events


def test_an_edited_row_alone_is_caught(incident, evidence, three, raw):
    _, b, _ = three
    raw.forge(f"UPDATE evidence_artifact SET name = 'innocent.log' WHERE id = {b.id}")
    result = result_of(evidence.verify(incident.id), b.id)
    assert result.state is IntegrityState.INTACT
    assert result.problems == (
        "its record was changed after collection (name no longer match the collected custody "
        "entry)",
    )


# -- forgery 3: an artifact's rows and file deleted -----------------------------------------------


def delete_artifact(evidence, raw, artifact):
    path = evidence.artifact_path(artifact)
    raw.forge(
        f"DELETE FROM evidence_link WHERE artifact_id = {artifact.id}",
        f"DELETE FROM custody_entry WHERE artifact_id = {artifact.id}",
        f"DELETE FROM evidence_artifact WHERE id = {artifact.id}",
    )
    path.unlink()


def test_deleting_an_artifacts_rows_and_file_is_caught(incident, evidence, incidents, three, raw):
    a, b, c = three
    delete_artifact(evidence, raw, c)
    assert [x.id for x in evidence.artifacts(incident.id)] == [a.id, b.id]

    results = evidence.verify(incident.id)
    gone = result_of(results, c.id)
    assert (gone.artifact.name, gone.state, gone.ok) == ("c.log", IntegrityState.MISSING, False)
    assert gone.problems == (
        f"evidence #{c.id} is gone from the database, but the vault's head file records 1 "
        f"custody entry and the timeline its collection (sha256 {c.sha256[:8]}…); its file is "
        "gone from the vault too",
    )
    assert [r.ok for r in results if r.artifact.id != c.id] == [True, True]
    assert evidence_events(incidents, incident.id)[-1] == (
        "Evidence verification FAILED: 2 intact; 1 missing (c.log); custody log broken for c.log"
    )


def test_the_timeline_still_tells_when_the_head_file_lines_are_gone_too(
    incident, evidence, three, raw
):
    _, _, c = three
    delete_artifact(evidence, raw, c)
    path = evidence.head_path(incident.id)
    kept = [line for line in path.read_text().splitlines() if f'"artifact":{c.id},' not in line]
    path.write_text("\n".join(kept) + "\n")
    gone = result_of(evidence.verify(incident.id), c.id)
    assert gone.problems == (
        f"evidence #{c.id} is gone from the database, but the timeline its collection "
        f"(sha256 {c.sha256[:8]}…)",
    )


def test_the_head_file_still_tells_when_the_timeline_event_is_gone_too(
    incident, evidence, three, raw
):
    _, _, c = three
    delete_artifact(evidence, raw, c)
    raw.run(f'DELETE FROM timeline_event WHERE data LIKE \'%"artifact": {c.id}, "sha256"%\'')
    gone = result_of(evidence.verify(incident.id), c.id)
    assert gone.problems == (
        f"evidence #{c.id} is gone from the database, but the vault's head file records 1 "
        "custody entry; its file is gone from the vault too",
    )


def test_an_artifact_without_its_collected_event_is_named(incident, evidence, three, raw):
    _, b, _ = three
    raw.run(f'DELETE FROM timeline_event WHERE data LIKE \'%"artifact": {b.id}, "sha256"%\'')
    result = result_of(evidence.verify(incident.id), b.id)
    assert result.problems == (
        "the timeline has no record of its collection (the event was deleted)",
    )


def test_a_missing_or_edited_head_file_is_named(incident, evidence, three):
    a, _, _ = three
    path = evidence.head_path(incident.id)
    text = path.read_text()
    path.write_text(text + "not a record\n")
    result = result_of(evidence.verify(incident.id), a.id)
    assert not result.ok and "has lines that are not records (6)" in result.problems[-1]
    path.unlink()
    results = evidence.verify(incident.id)
    assert all(not r.ok for r in results)
    assert f"the vault's custody head file is missing ({path})" in results[0].problems[0]


def test_a_line_torn_by_a_crash_is_left_out_and_the_next_one_starts_afresh(
    incident, evidence, three
):
    a, _, _ = three
    path = evidence.head_path(incident.id)
    with open(path, "a") as handle:
        handle.write('{"artifact": 1, "seq": 4, "act')  # the crash came mid-line
    assert all(r.ok for r in evidence.verify(incident.id))
    assert path.read_text().count("\n") == 5 + 1 + 3  # the torn line, then 3 verified entries


# -- whole incidents, the CLI and the bundle -----------------------------------------------------


def test_verify_of_the_whole_vault_finds_an_incident_whose_evidence_rows_are_all_gone(
    incident, evidence, three, raw
):
    for artifact in three:
        delete_artifact(evidence, raw, artifact)
    assert evidence.artifacts(incident.id) == []
    results = evidence.verify()
    assert sorted(r.artifact.id for r in results) == sorted(x.id for x in three)
    assert all(r.state is IntegrityState.MISSING and not r.ok for r in results)


def test_a_bundle_from_a_broken_chain_says_so_first(incident, evidence, three, raw, tmp_path):
    a, _, c = three
    raw.forge(f"DELETE FROM custody_entry WHERE artifact_id = {a.id} AND seq = 3")
    delete_artifact(evidence, raw, c)
    bundle = evidence.export_bundle(incident.id, tmp_path / "bundle.zip", reason="for legal")
    markdown, manifest = unzip_manifests(bundle)
    assert markdown.splitlines()[0] == (
        "**WARNING: the chain of custody is BROKEN (2 problems); do not rely on this bundle "
        "as it stands.**"
    )
    assert manifest["custody_ok"] is False
    assert manifest["custody_problems"][0].startswith(f"#{a.id} a.log: custody entry 3 is")
    assert manifest["custody_problems"][1].startswith(f"#{c.id} c.log: evidence #{c.id} is gone")
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"


def test_an_honest_bundle_carries_the_chain_head(incident, evidence, three, tmp_path):
    a, b, c = three
    bundle = evidence.export_bundle(incident.id, tmp_path / "bundle.zip")
    markdown, manifest = unzip_manifests(bundle)
    assert markdown.startswith("# Evidence bundle: incident #")
    assert (manifest["custody_ok"], manifest["custody_problems"]) == (True, [])
    head = manifest["custody_head"]
    assert head["entries"] == 3 + 1 + 1 + 3  # collected x3, viewed x2, exported x3
    assert head["file"] == f"vault/{incident.id}/{HEAD_FILE}"
    assert {(x["id"], x["entries"]) for x in head["artifacts"]} == {(a.id, 4), (b.id, 2), (c.id, 2)}
    last = {x["id"]: x["last_hash"] for x in head["artifacts"]}
    assert all(last[x.id] == evidence.custody(x.id)[-1].entry_hash for x in three)
    lines = head_lines(evidence, incident.id)
    assert all(
        any(line["entry_hash"] == last[x.id] for line in lines) for x in three
    )  # the head file holds the same heads
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("engine", ["sqlite"])  # the CLI opens the data dir's file
def test_the_cli_exits_1_on_each_forgery(incident, evidence, three, raw, run_cli):
    a, b, c = three
    assert run_cli("evidence", "verify", incident.id)[0] == 0
    raw.forge(f"DELETE FROM custody_entry WHERE artifact_id = {a.id} AND seq = 3")
    replace_file_and_row(evidence, raw, b, b"forged\n")
    delete_artifact(evidence, raw, c)
    code, out, err = run_cli("evidence", "verify", incident.id)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"#{a.id} a.log (incident #{incident.id}): intact, custody log ")
    assert "custody entry 3 is missing" in lines[0]
    assert lines[1].startswith(f"#{b.id} b.log (incident #{incident.id}): MODIFIED, custody log")
    assert lines[2].startswith(f"#{c.id} c.log (incident #{incident.id}): MISSING, custody log")
