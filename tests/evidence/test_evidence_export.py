"""The evidence bundle: artifacts, manifests with hashes and custody, and a SHA256SUMS that
`sha256sum -c` accepts; exporting is itself recorded; a modified artifact stops it."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest

from tests.evidence.helpers import EVIDENCE_T0, evidence_events
from warroom.domain.evidence import CollectError, CustodyAction, check_chain
from warroom.domain.validation import ValidationError


@pytest.fixture
def collected(incident, evidence, make_file):
    logs = next(i for i in evidence.checklist(incident.id) if i.rotates_at is not None)
    return [
        evidence.collect_file(incident.id, make_file("app.log", size=2_500_000), item_id=logs.id),
        evidence.collect_file(incident.id, make_file("web | 2.log", data=b"pipe in the name\n")),
        evidence.add_snippet(incident.id, None, "ERROR x\n", "pasted"),
        evidence.add_reference(incident.id, None, "https://grafana/d/abc", "dashboard"),
    ]


def unzip(bundle, into):
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
        return sorted(archive.namelist())


def test_the_bundle_passes_sha256sum_c(incident, evidence, collected, tmp_path):
    bundle = evidence.export_bundle(incident.id, tmp_path / "bundle.zip", reason="for legal")
    assert bundle == tmp_path / "bundle.zip"
    names = unzip(bundle, tmp_path / "unzipped")
    files = [a for a in collected if a.has_file]
    assert names == sorted(
        ["MANIFEST.md", "SHA256SUMS", "manifest.json"]
        + [f"artifacts/{a.stored_name}" for a in files]
    )
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "unzipped", capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(files) + 2  # the artifacts and both manifests


def test_the_manifest_lists_hashes_and_custody(incident, evidence, collected, tmp_path):
    evidence.export_bundle(incident.id, tmp_path / "bundle.zip", reason="for legal")
    unzip(tmp_path / "bundle.zip", tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incident"]["id"] == incident.id
    assert manifest["exported_by"] == "alice"
    assert manifest["exported_at"] == EVIDENCE_T0.isoformat(timespec="microseconds")
    assert manifest["reason"] == "for legal"
    listed = {a["id"]: a for a in manifest["artifacts"]}
    for artifact in collected:
        entry = listed[artifact.id]
        assert entry["sha256"] == (artifact.sha256 or None)
        assert entry["size"] == artifact.size
        assert entry["collector"] == "alice"
        assert [c["action"] for c in entry["custody"]] == ["collected", "exported"]
        assert entry["custody"][-1]["reason"] == "for legal"
        stored = evidence.custody(artifact.id)
        assert [c["entry_hash"] for c in entry["custody"]] == [e.entry_hash for e in stored]
    assert listed[collected[0].id]["items"] == ["Application logs around the start"]
    assert listed[collected[3].id]["url"] == "https://grafana/d/abc"
    markdown = (tmp_path / "out" / "MANIFEST.md").read_text(encoding="utf-8")
    assert collected[0].sha256 in markdown
    assert "web \\| 2.log" in markdown  # a | in a name does not break the table


def test_exporting_is_recorded(incident, evidence, incidents, collected, tmp_path):
    evidence.export_bundle(incident.id, tmp_path / "bundle.zip", reason="for legal")
    for artifact in collected:
        entries = evidence.custody(artifact.id)
        assert entries[-1].action is CustodyAction.EXPORTED
        assert entries[-1].details["bundle"] == "bundle.zip"
        assert check_chain(entries) == []
    last = evidence_events(incidents, incident.id)[-1]
    assert last.startswith("Evidence exported: 4 artifacts to bundle.zip (manifest sha256 ")
    assert last.endswith(": for legal")


def test_a_modified_artifact_stops_the_export_leaving_nothing(
    incident, evidence, incidents, collected, tmp_path
):
    path = evidence.artifact_path(collected[1])
    path.chmod(0o600)
    path.write_bytes(b"tampered\n")
    events = evidence_events(incidents, incident.id)
    with pytest.raises(CollectError, match="no longer matches its recorded sha256"):
        evidence.export_bundle(incident.id, tmp_path / "bundle.zip")
    assert list(tmp_path.glob("*bundle.zip*")) == []
    assert evidence_events(incidents, incident.id) == events
    assert all(
        e.action is not CustodyAction.EXPORTED for a in collected for e in evidence.custody(a.id)
    )


def test_nothing_to_export_is_refused(incident, evidence, tmp_path):
    with pytest.raises(ValidationError, match="no evidence to export"):
        evidence.export_bundle(incident.id, tmp_path / "bundle.zip")


def test_an_unwritable_destination_records_nothing(incident, evidence, collected, tmp_path):
    before = [len(evidence.custody(a.id)) for a in collected]
    with pytest.raises(CollectError, match="cannot be written"):
        evidence.export_bundle(incident.id, tmp_path / "no such folder" / "bundle.zip")
    assert [len(evidence.custody(a.id)) for a in collected] == before


def test_a_full_disk_while_zipping_leaves_nothing(
    incident, evidence, collected, tmp_path, monkeypatch
):
    import errno

    from warroom.services import evidence as evidence_service

    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence_service._Bundle, "put_in_place", full)
    with pytest.raises(CollectError, match="the disk is full"):
        evidence.export_bundle(incident.id, tmp_path / "bundle.zip")
    assert list(tmp_path.glob("*bundle.zip*")) == []
    assert all(
        e.action is not CustodyAction.EXPORTED for a in collected for e in evidence.custody(a.id)
    )
