"""The board's post-mortem due clocks: each resolved incident whose write-up is required and
not yet published, counting down to its due time, with a button to open it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from warroom.domain.durations import compact
from warroom.ui.row_strip import RowStrip, restyle

if TYPE_CHECKING:  # the board paints before the service stack is imported
    from warroom.services.postmortems import PostmortemDue


class _Row(QFrame):
    def __init__(self, due: PostmortemDue, bar: PostmortemDueBar) -> None:
        super().__init__(bar)
        self.due = due
        self.overdue: bool | None = None
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Open post-mortem", self)
        self.open_button.setAutoDefault(False)
        self.open_button.setAccessibleName(f"Open the post-mortem of #{due.incident.id}")
        self.open_button.clicked.connect(lambda: bar.open_requested.emit(due.incident.id))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)

    def show_at(self, now: datetime) -> None:
        incident, due_at = self.due.incident, self.due.due_at
        subject = f"#{incident.id} {incident.title} — post-mortem ({self.due.status.label})"
        overdue = now > due_at
        if overdue:
            self.label.setText(f"⚠ {subject} OVERDUE +{compact(now - due_at)}")
        else:
            self.label.setText(f"✎ {subject} due in {compact(due_at - now)}")
        if overdue != self.overdue:  # restyle only when the state changes
            self.overdue = overdue
            restyle(self, "checkBackDue" if overdue else "checkBackPending")


class PostmortemDueBar(RowStrip[_Row]):
    open_requested = Signal(int)  # incident id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Post-mortems due", parent)

    def set_due(self, due: list[PostmortemDue], now: datetime) -> None:
        self.replace_rows(due, lambda d: _Row(d, self))
        self.on_tick(now)

    def on_tick(self, now: datetime) -> None:
        for row in self._rows:
            row.show_at(now)
