"""What a user sees when the data is shared, damaged or cannot be written."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.helpers import rows
from tests.helpers import disk_full
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service


def test_changes_from_another_instance_show_up_at_the_next_tick(qtbot, board, clock, policy):
    mine = board.service.declare("Mine", "P2")
    detail = board.window.open_incident(mine.id)
    other_db = open_database(board.database.path)
    try:
        other = incident_service(other_db, clock, actor="bob", policy=policy)
        other.declare("Declared on Bob's laptop", "P0")
        other.add_note(mine.id, "Bob: cache flushed")
        other.assign_role(mine.id, "scribe", "Bob")
        board.tick()  # ticks come every second: within 2 s of the commit
        assert [r["title"] for r in rows(board.window)] == ["Declared on Bob's laptop", "Mine"]
        texts = [
            detail.timeline_table.item(r, 2).text() for r in range(detail.timeline_table.rowCount())
        ]
        assert "Bob: cache flushed" in texts
        assert detail.status_label.text().endswith("IC: ⚠ no incident commander")
        other.delete_incident(mine.id)
        board.tick()
        assert [r["title"] for r in rows(board.window)] == ["Declared on Bob's laptop"]
        assert not detail.isVisible()
    finally:
        other_db.dispose()


def test_a_note_that_cannot_be_saved_stays_in_the_field_with_the_reason(qtbot, board):
    incident = board.service.declare("Disk nearly full", "P1")
    detail = board.window.open_incident(incident.id)

    note = "Rolled back deploy 4812; " + "log excerpt " * 1000  # needs pages the disk lacks
    with disk_full(board.database):
        detail.note_edit.insert(note)  # as if pasted
        qtbot.keyClick(detail.note_edit, Qt.Key.Key_Return)
    assert "Nothing was saved" in detail.error.text()
    assert detail.note_edit.text() == note


def test_deleting_from_the_board_asks_first(qtbot, board, monkeypatch):
    keep = board.service.declare("Keep", "P2")
    gone = board.service.declare("Test incident, remove", "P3")
    board.window.board.select_incident(gone.id)
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: next(answers))
    board.window.delete_action.trigger()
    assert len(rows(board.window)) == 2
    board.window.delete_action.trigger()
    assert [r["title"] for r in rows(board.window)] == ["Keep"]
    assert [i.id for i in board.service.list_incidents(include_closed=True)] == [keep.id]


def test_a_damaged_file_can_be_replaced_by_the_latest_backup(qtbot, tmp_path, monkeypatch, clock):
    from tests.gui.helpers import open_or_ask as open_database_or_ask
    from warroom.adapters.sql.sqlite.backup import take_backup

    path = tmp_path / "data" / "warroom.db"
    database = open_database(path)
    incident_service(database, clock).declare("In the backup", "P2")
    take_backup(path, path.parent / "backups", "daily", clock.now())
    database.dispose()
    damaged = path.read_bytes()[:4096]
    path.write_bytes(damaged)
    offered: list[str] = []

    def choose_restore(box: QMessageBox) -> int:
        offered.append(box.text())
        restore = next(b for b in box.buttons() if b.text().startswith("Restore"))
        restore.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose_restore)
    reopened = open_database_or_ask(path)
    assert reopened is not None
    assert str(path) in offered[0] and "damaged" in offered[0]
    assert [i.title for i in incident_service(reopened, clock).list_incidents()] == [
        "In the backup"
    ]
    aside = list(path.parent.glob("warroom.db.damaged-*"))
    assert [p.read_bytes() for p in aside] == [damaged]
    reopened.dispose()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
