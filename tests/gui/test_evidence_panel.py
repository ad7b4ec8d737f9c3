"""The evidence panel as a user drives it: the checklist against the clock, collecting off
the GUI thread with progress and cancel, duplicates, custody, verification, and the board's
"evidence at risk"."""

from __future__ import annotations

import hashlib
import socket
from datetime import timedelta

import pytest
from PySide6.QtCore import QTimer

from warroom.domain.evidence import HEAD_FILE, ItemState
from warroom.domain.incident import EventKind


@pytest.fixture
def incident(board, clock):
    return board.service.declare(
        "Checkout returns 500",
        "P1",
        impact_started_at=clock.now() - timedelta(minutes=30),
        commander="Priya Raman",
    )


@pytest.fixture
def panel(board, incident):
    # A child of the main window, which the board fixture closes; it deletes itself.
    return board.window.open_evidence(incident.id)


def wait_for_job(qtbot, panel, timeout=60_000):
    qtbot.waitUntil(lambda: panel.job is None, timeout=timeout)


def item_named(panel, fragment):
    return next(i for i in panel.items if fragment.lower() in i.name.lower())


def vault_files(data_dir, incident_id):
    folder = data_dir / "vault" / str(incident_id)
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != HEAD_FILE)


def test_the_checklist_is_seeded_most_volatile_first_and_counts_down(board, panel, clock):
    names = [i.name for i in panel.items]
    assert len(names) >= 12
    assert "process and memory state" in names[0].lower()
    logs = item_named(panel, "application logs")
    assert logs.rotates_at == board.service.get(panel.incident_id).impact_started_at + timedelta(
        hours=24
    )
    row = panel.items.index(logs)
    assert panel.items_table.item(row, 2).text() == "in 23:30:00"
    clock.advance(hours=22, minutes=45)
    board.tick()
    assert panel.items_table.item(row, 2).text() == "⚠ in 45:00"
    assert "1 at risk" in panel.summary.text()
    # The board says so too.
    assert any("evidence at risk" in t for t in board.window.reminder_strip.texts())


def test_a_file_is_copied_hashed_and_logged(board, panel, tmp_path, qtbot):
    source = tmp_path / "app.log"
    source.write_bytes(b"ERROR 500 checkout\n" * 1000)
    logs = item_named(panel, "application logs")
    panel.select_item(logs.id)
    panel.collect([source])
    wait_for_job(qtbot, panel)
    [artifact] = panel.artifacts
    assert artifact.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert item_named(panel, "application logs").state is ItemState.COLLECTED
    assert panel.artifacts_table.item(0, 0).text() == "app.log"
    panel.artifacts_table.selectRow(0)

    def actions():
        table = panel.custody_table
        return [table.item(r, 1).text() for r in range(table.rowCount())]

    assert actions() == ["collected"]  # looking at the row is not handling the evidence
    copy = panel.view_selected(open_it=False)
    assert copy.read_bytes() == source.read_bytes()
    assert actions() == ["collected", "copied out", "viewed"]
    assert "Collected app.log" in panel.info.text()


def test_a_gigabyte_is_collected_with_progress_while_the_gui_keeps_turning(
    board, panel, tmp_path, qtbot
):
    big = tmp_path / "core.dump"
    with open(big, "wb") as f:
        f.truncate(1 << 30)  # sparse: 1 GiB that takes no disk
    turns = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: turns.append(1))
    heartbeat.start()
    progress = []
    panel.collect([big])
    panel.job.progress.connect(lambda done, total: progress.append(done))
    wait_for_job(qtbot, panel, timeout=120_000)
    heartbeat.stop()
    assert len(progress) > 10 and progress == sorted(progress)
    assert progress[-1] == 1 << 30
    assert len(turns) > 10  # the event loop kept running during the copy
    assert panel.artifacts[0].size == 1 << 30


def test_a_cancel_leaves_nothing_behind(board, panel, data_dir, tmp_path, qtbot):
    big = tmp_path / "heap.bin"
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    panel.collect([big])
    panel.job.progress.connect(lambda *_: panel.cancel())
    wait_for_job(qtbot, panel, timeout=120_000)
    assert "nothing was kept" in panel.info.text()
    assert panel.artifacts == []
    assert vault_files(data_dir, panel.incident_id) == []
    events = board.service.timeline(panel.incident_id)
    assert [e for e in events if e.kind is EventKind.EVIDENCE] == []


def test_a_duplicate_offers_to_link_the_existing_artifact(board, incident, tmp_path, qtbot):
    asked = []
    from warroom.ui.evidence_panel import EvidencePanel

    panel = EvidencePanel(
        incident.id,
        board.window.evidence,
        board.window.clock,
        board.window,
        ask=lambda title, question: asked.append(question) or True,
    )
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("same bytes")
    second.write_text("same bytes")
    panel.select_item(item_named(panel, "application logs").id)
    panel.collect([first])
    wait_for_job(qtbot, panel)
    errors = item_named(panel, "error messages")
    panel.select_item(errors.id)
    panel.collect([second])
    wait_for_job(qtbot, panel)
    assert len(asked) == 1 and "already in the vault as “a.log”" in asked[0]
    assert len(panel.artifacts) == 1
    assert item_named(panel, "error messages").state is ItemState.COLLECTED
    panel.close()


def test_bad_input_gets_a_message_and_records_nothing(board, panel, tmp_path, qtbot):
    panel.collect([tmp_path / "missing.log"])
    wait_for_job(qtbot, panel)
    assert panel.error.isVisible() and "missing.log" in panel.error.text()
    assert panel.artifacts == []
    assert not panel.mark_not_applicable("")  # nothing selected
    panel.select_item(item_named(panel, "dependency updates").id)
    assert not panel.mark_not_applicable("  ")
    assert item_named(panel, "dependency updates").state is ItemState.PENDING
    assert panel.mark_not_applicable("no dependency changed this week")
    assert item_named(panel, "dependency updates").state is ItemState.NOT_APPLICABLE


def test_verify_reports_a_file_changed_behind_the_apps_back(
    board, panel, data_dir, tmp_path, qtbot
):
    source = tmp_path / "metrics.csv"
    source.write_text("t,errors\n1,30\n")
    panel.collect([source])
    wait_for_job(qtbot, panel)
    stored = (
        data_dir / "vault" / str(panel.incident_id) / vault_files(data_dir, panel.incident_id)[0]
    )
    stored.chmod(0o600)
    stored.write_text("t,errors\n1,0\n")
    panel.verify()
    wait_for_job(qtbot, panel)
    assert panel.artifacts_table.item(0, 6).text() == "modified"
    assert "Verification found problems" in panel.error.text()


def test_snippets_and_references_are_kept(board, panel, qtbot):
    panel.select_item(item_named(panel, "error messages").id)
    assert panel.add_snippet("Traceback: KeyError 'tax'\n  at checkout.py:88", "first error")
    panel.select_item(item_named(panel, "external status").id)
    assert panel.add_reference("https://status.example.com/incidents/42", "provider outage", None)
    kinds = sorted(a.kind.value for a in panel.artifacts)
    assert kinds == ["reference", "snippet"]
    assert not panel.add_snippet("   ", "empty")
    assert "empty" in panel.error.text()


def test_a_duplicate_among_several_files_does_not_stop_the_others(board, panel, tmp_path, qtbot):
    a, b, c = (tmp_path / n for n in ("a.log", "b.log", "c.log"))
    a.write_text("same bytes")
    b.write_text("same bytes")
    c.write_text("other bytes")
    panel.collect([a, b, c])  # no item selected: nothing to link, so it only says so
    wait_for_job(qtbot, panel)
    assert sorted(x.name for x in panel.artifacts) == ["a.log", "c.log"]
    assert "Not copied again: b.log (already kept as “a.log”)" in panel.info.text()


def test_a_running_verify_can_be_cancelled_and_records_nothing(board, panel, tmp_path, qtbot):
    big = tmp_path / "disk.img"
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    panel.collect([big])
    wait_for_job(qtbot, panel, timeout=120_000)
    before = board.service.timeline(panel.incident_id)
    panel.verify()
    panel.job.progress.connect(lambda *_: panel.cancel())
    wait_for_job(qtbot, panel, timeout=120_000)
    assert "Cancelled" in panel.info.text()
    assert board.service.timeline(panel.incident_id) == before


def test_the_vault_names_each_artifact_whole_and_tells_its_custody_in_words(
    board, panel, tmp_path, qtbot
):
    name = "api-server-errors-2026-11-22.log"
    source = tmp_path / name
    source.write_text("ERROR 500 checkout\n" * 50)
    panel.select_item(item_named(panel, "application logs").id)
    panel.collect([source])
    wait_for_job(qtbot, panel)
    panel.verify()
    wait_for_job(qtbot, panel)
    assert panel.info.text() == "The 1 artifact is intact, and its chain of custody holds."

    panel.resize(1280, 691)  # as it opens on a 1366x768 laptop
    qtbot.wait(0)
    table = panel.artifacts_table
    metrics = table.fontMetrics()
    assert table.columnWidth(0) >= metrics.horizontalAdvance(name) + 8  # the name, whole
    collected = table.item(0, 4).text()
    assert collected == "2026-11-22 14:00"
    assert table.columnWidth(4) <= metrics.horizontalAdvance(collected) + 40  # its content

    table.selectRow(0)
    assert panel.custody_summary.text() == (
        "Chain intact — 2 entries, last verified 22 Nov 14:00 UTC by alice"
    )
    custody = panel.custody_table
    details = [custody.item(row, 4).text() for row in range(custody.rowCount())]
    assert details[0].startswith(f"from {socket.gethostname()}:{source}")
    assert details[0].endswith("for “Application logs around the start”")
    assert details[1] == "the file matched its sha256 and the chain held"
    assert not any(raw in text for text in details for raw in ("chain_ok", "result:", "{"))


def test_a_security_only_item_is_pending_only_on_a_security_incident(board, panel, clock):
    from warroom.domain.playbook import load_playbook_file
    from warroom.system.paths import builtin_playbook_file

    memory = item_named(panel, "process and memory state")
    assert memory.security_only
    row = panel.items.index(memory)
    assert panel.items_table.item(row, 1).text() == "Only for security incidents"
    assert panel.summary.text() == f"0 of {len(panel.items) - 1} collected · 11 pending"
    # About to rotate, but not asked of this incident: the board does not warn.
    evidence = board.window.evidence
    evidence.set_rotates_at(memory.id, clock.now() + timedelta(minutes=30))
    board.tick()
    assert not any("evidence at risk" in t for t in board.window.reminder_strip.texts())
    assert memory.name not in [i.name for i in evidence.pending(panel.incident_id)]

    playbook = load_playbook_file(builtin_playbook_file())
    board.services.mitigations.record_triage(panel.incident_id, playbook, {"security": "yes"})
    panel.refresh()
    assert panel.items_table.item(row, 1).text() == "Pending"
    assert panel.summary.text().startswith(f"0 of {len(panel.items)} collected · 12 pending")
    board.tick()
    assert any("evidence at risk" in t for t in board.window.reminder_strip.texts())
