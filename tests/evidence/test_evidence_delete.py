"""Deleting an incident removes its vault folder too (nothing would refer to those files any
more), and both the CLI and the service say how many evidence files went."""

from __future__ import annotations

import pytest

from tests.evidence.helpers import vault_files
from warroom.domain.evidence import CollectError


def declare(run_cli, title="Leaked key"):
    code, out, err = run_cli("declare", "--title", title, "--severity", "P1")
    assert (code, err) == (0, ""), err
    return int(out)


def test_warroom_delete_names_the_evidence_files_and_removes_them(run_cli, make_file, vault_root):
    gone = declare(run_cli)
    kept = declare(run_cli, "Other")
    assert (
        run_cli("evidence", "add", gone, make_file("a.log", b"a"), make_file("b.log", b"b"))[0] == 0
    )
    assert run_cli("evidence", "add", kept, make_file("c.log", b"c"))[0] == 0

    code, out, err = run_cli("delete", gone)
    assert (code, out) == (1, "")
    assert err == (
        f"warroom: deleting #{gone} “Leaked key”, its timeline and its 2 evidence files in the "
        "vault cannot be undone; add --yes to confirm\n"
    )
    assert (vault_root / str(gone)).is_dir()

    code, out, err = run_cli("delete", gone, "--yes")
    assert (code, out) == (0, "")
    assert err == f"deleted #{gone}, its timeline and its 2 evidence files in the vault\n"
    assert not (vault_root / str(gone)).exists()
    assert [p.split("/")[0] for p in vault_files(vault_root)] == [str(kept)]
    assert run_cli("evidence", "verify")[0] == 0


def test_an_incident_without_evidence_files_says_so(run_cli):
    incident_id = declare(run_cli)
    code, _, err = run_cli("delete", incident_id, "--yes")
    assert code == 0
    assert err == f"deleted #{incident_id}, its timeline and its evidence records\n"


def test_the_service_removes_the_folder_whoever_deletes_the_incident(
    incident, incidents, evidence, make_file, vault_root
):
    evidence.collect_file(incident.id, make_file("a.log", b"a"))
    assert evidence.vault_file_count(incident.id) == 1
    incidents.delete_incident(incident.id)  # not through the evidence service: it hears of it
    assert not (vault_root / str(incident.id)).exists()


def test_a_folder_that_cannot_be_removed_is_named(
    incident, evidence, make_file, vault_root, monkeypatch
):
    evidence.collect_file(incident.id, make_file("a.log", b"a"))

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("warroom.adapters.vault.shutil.rmtree", refuse)
    with pytest.raises(CollectError) as refused:
        evidence.delete_incident(incident.id)
    assert refused.value.message == (
        f"Incident #{incident.id} was deleted, but its evidence files could not all be removed "
        f"from {vault_root / str(incident.id)} (Permission denied); remove that folder by hand."
    )
    assert evidence.incidents.list_incidents(include_closed=True) == []
