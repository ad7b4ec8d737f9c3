"""Someone else saved a field while this editor was changing it: both versions side by side,
and the editor chooses to keep theirs, keep mine, or merge the two by hand."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.edits import EditConflict, Resolution, merged_start


def _shown(text: str, parent: QWidget, name: str) -> QPlainTextEdit:
    box = QPlainTextEdit(text, parent)
    box.setReadOnly(True)
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)
    return box


class ConflictDialog(QDialog):
    """`choice` is (resolution, text to save) once the editor has chosen; None if cancelled
    (nothing is saved, and the field keeps what was typed)."""

    def __init__(
        self, conflict: EditConflict, parent: QWidget | None = None, mergeable: bool = True
    ) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.choice: tuple[Resolution, str] | None = None
        self.setWindowTitle("Changed by someone else — warroom")
        intro = QLabel(
            f"<b>{conflict.label} was changed by someone else</b> while you were editing it. "
            "Nothing of yours is saved yet. Choose which version to keep; the choice goes "
            "on the timeline, with the version not kept.",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.theirs_box = _shown(conflict.theirs, self, "Saved meanwhile")
        self.mine_box = _shown(conflict.mine, self, "Yours")
        self.merge_edit = QPlainTextEdit(merged_start(conflict.theirs, conflict.mine), self)
        self.merge_edit.setAccessibleName("Merged version")
        self.merge_edit.setTabChangesFocus(True)
        self.merge_label = QLabel("&Merged version (edit it, then save the merge):", self)
        self.merge_label.setBuddy(self.merge_edit)
        self.merge_edit.hide()
        self.merge_label.hide()
        grid = QGridLayout()
        grid.addWidget(QLabel("Saved meanwhile", self), 0, 0)
        grid.addWidget(QLabel("Yours", self), 0, 1)
        grid.addWidget(self.theirs_box, 1, 0)
        grid.addWidget(self.mine_box, 1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.theirs_button = QPushButton("Keep &theirs", self)
        self.mine_button = QPushButton("Keep &mine", self)
        self.merge_button = QPushButton("M&erge…", self)
        for button in (self.theirs_button, self.mine_button, self.merge_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.theirs_button.clicked.connect(lambda: self._choose(Resolution.THEIRS))
        self.mine_button.clicked.connect(lambda: self._choose(Resolution.MINE))
        self.merge_button.clicked.connect(self._merge)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.merge_label)
        layout.addWidget(self.merge_edit)
        layout.addWidget(buttons)
        self.setMinimumWidth(640)
        self.mine_button.setDefault(True)
        self.merge_button.setVisible(mergeable)  # lists of items: one version or the other

    def _merge(self) -> None:
        if self.merge_edit.isHidden():
            self.merge_label.show()
            self.merge_edit.show()
            self.merge_button.setText("Save the m&erge")
            self.merge_edit.setFocus()
            return
        self._choose(Resolution.MERGED)

    def _choose(self, resolution: Resolution) -> None:
        text = {
            Resolution.THEIRS: self.conflict.mine,  # recorded as "not kept"
            Resolution.MINE: self.conflict.mine,
            Resolution.MERGED: self.merge_edit.toPlainText(),
        }[resolution]
        self.choice = (resolution, text)
        self.accept()
