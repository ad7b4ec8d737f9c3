"""What a user sees when the data or the policy cannot be used."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from warroom import app as app_module


def test_a_policy_problem_is_shown_naming_the_file_and_key(qtbot, board):
    from warroom.ui.errors import show_policy_warnings

    show_policy_warnings(board.window, ["The policy file /x/policy.toml has a problem at “a.b”"])
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert any("/x/policy.toml" in b.text() and "a.b" in b.text() for b in boxes)
    for box in boxes:
        box.close()


def test_a_file_that_is_not_a_database_gets_a_dialog_naming_it(qtbot, tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    data = tmp_path / "data"
    data.mkdir()
    (data / "warroom.db").write_bytes(b"not a database at all" * 50)
    shown: list[str] = []

    def record(box: QMessageBox) -> int:
        shown.append(box.text())
        return 0  # the user closes the dialog

    monkeypatch.setattr(QMessageBox, "exec", record)
    status = app_module.run_gui(data_dir=data)
    assert status == 2
    assert shown and str(data / "warroom.db") in shown[0]
    assert (data / "warroom.db").read_bytes() == b"not a database at all" * 50


def test_an_unhandled_exception_shows_a_dialog_with_the_details(qtbot, monkeypatch, tmp_path):
    import sys

    from warroom.ui.errors import install_exception_hook

    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_exception_hook(tmp_path / "warroom.log")
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert "RuntimeError: disk on fire" in shown[0].informativeText()
    assert "Traceback" in shown[0].detailedText()
