"""The reminders list: everything the strips above the board hold, one row per incident
("#12 P1 Checkout: update overdue 4:00; check-back due: did “Roll back” work?"), with the
strips' own actions: Open, Snooze, Worked / Did not work, Open post-mortem. Opened from the
strips' "+N more" button or View → All reminders; every control is reached with Tab."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.reminders import SNOOZE_CHOICES, Reminder
from warroom.ui.attention import Group, Item, Ranked, Strip, Tier, group
from warroom.ui.row_strip import restyle, snooze_button


class _GroupRow(QFrame):
    def __init__(self, incident_group: Group, view: RemindersList) -> None:
        super().__init__(view.body)
        self.group = incident_group
        incident = incident_group.incident
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        for item in incident_group.items:
            if item.strip is Strip.CHECK_BACK:
                self._add_answers(layout, item, view)
        for item in incident_group.items:
            if item.strip is Strip.POSTMORTEM:
                name = f"Open the post-mortem of #{incident.id}"
                self._add(layout, "Open post-mortem", name, view.postmortem_requested, incident.id)
        # Open and Snooze sit in the same place on every row, as in the strips.
        self._add(layout, "Open", f"Open incident #{incident.id}", view.open_requested, incident.id)
        snoozable = [item.reminder for item in incident_group.items if item.reminder is not None]
        snooze = _snooze_control(self, snoozable, view) if snoozable else None
        if snooze is None:
            # Hidden, but holding its place: Open stays aligned with the other rows'.
            gap = snooze_button(self, "", lambda _minutes: None)
            keep = gap.sizePolicy()
            keep.setRetainSizeWhenHidden(True)
            gap.setSizePolicy(keep)
            gap.hide()
            layout.addWidget(gap)
        else:
            layout.addWidget(snooze)
            self.buttons.append(snooze)
        restyle(self, "checkBackDue" if incident_group.due else "checkBackPending")

    def _add(
        self, layout: QHBoxLayout, text: str, name: str, signal: SignalInstance, *args: object
    ) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda: signal.emit(*args))
        layout.addWidget(button)
        self.buttons.append(button)
        return button

    def _add_answers(self, layout: QHBoxLayout, item: Item, view: RemindersList) -> None:
        mitigation = item.subject.mitigation  # type: ignore[union-attr]
        subject = mitigation.subject
        self._add(layout, "Worked", f"{subject} worked", view.answered, mitigation.id, True)
        self._add(
            layout, "Did not work", f"{subject} did not work", view.answered, mitigation.id, False
        )

    def show_at(self, now: datetime) -> None:
        self.label.setText(("⚠ " if self.group.due else "◷ ") + self.group.text(now))


def _snooze_control(row: QWidget, reminders: list[Reminder], view: RemindersList) -> QPushButton:
    """One reminder: the strips' Snooze menu. Several: a submenu per reminder, and all."""
    incident_id = reminders[0].incident_id
    if len(reminders) == 1:
        [only] = reminders
        return snooze_button(
            row, f"Snooze: {only.text}", lambda m: view.snooze_requested.emit(only, m)
        )
    button = QPushButton("Snooze", row)
    button.setAccessibleName(f"Snooze the reminders of #{incident_id}")
    button.setAutoDefault(False)
    menu = QMenu(button)
    every = menu.addMenu("Everything on this incident")
    for minutes in SNOOZE_CHOICES:

        def all_of_them(m: int = minutes) -> None:
            for reminder in reminders:
                view.snooze_requested.emit(reminder, m)

        every.addAction(f"{minutes} min", all_of_them)
    for reminder in reminders:
        sub = menu.addMenu(reminder.kind.label.capitalize())
        for minutes in SNOOZE_CHOICES:

            def one(r: Reminder = reminder, m: int = minutes) -> None:
                view.snooze_requested.emit(r, m)

            sub.addAction(f"{minutes} min", one)
    button.setMenu(menu)
    return button


class RemindersList(QDialog):
    """Not modal: the board stays usable beside it. Rows are rebuilt only when what is
    listed changes; a tick updates their words."""

    snooze_requested = Signal(object, int)  # Reminder, minutes
    open_requested = Signal(int)  # incident id
    answered = Signal(int, bool)  # mitigation id, worked
    postmortem_requested = Signal(int)  # incident id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reminders — warroom")
        self.setAccessibleName("All reminders")
        self.setModal(False)
        self.resize(1000, 560)
        self.summary = QLabel(self)
        self.summary.setObjectName("remindersSummary")
        self.body = QWidget(self)
        self._column = QVBoxLayout(self.body)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(4)
        self._column.addStretch(1)
        self.area = QScrollArea(self)
        self.area.setWidgetResizable(True)
        self.area.setWidget(self.body)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.area, 1)
        layout.addWidget(buttons)
        self._rows: list[_GroupRow] = []
        self._shown: list[tuple[int, list[Any]]] = []

    def show_items(self, items: Iterable[Item], now: datetime) -> None:
        groups = group(items)
        shown = [(g.incident.id, [item.subject for item in g.items]) for g in groups]
        if shown != self._shown or any(
            row.group.items != g.items for row, g in zip(self._rows, groups, strict=False)
        ):
            self._rebuild(groups)
            self._shown = shown
        due = sum(1 for g in groups if g.due)
        self.summary.setText(
            f"{len(groups)} incidents listed, {due} with something due now; "
            "most urgent first. Tab moves between the buttons."
            if groups
            else "Nothing is due. Reminders, check-backs and post-mortems due show here."
        )
        self.on_tick(now)

    def _rebuild(self, groups: list[Group]) -> None:
        scrolled = self.area.verticalScrollBar().value()
        focused = self._focused_row()
        for row in self._rows:
            row.hide()
            row.deleteLater()
        self._rows = [_GroupRow(g, self) for g in groups]
        for index, row in enumerate(self._rows):
            self._column.insertWidget(index, row)
        self.area.verticalScrollBar().setValue(scrolled)
        if focused is not None and self._rows:  # a keyboard user stays where they were
            row = self._rows[min(focused, len(self._rows) - 1)]
            row.buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)
        elif focused is not None:
            self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focused_row(self) -> int | None:
        focus = self.focusWidget()
        for index, row in enumerate(self._rows):
            if focus is not None and row.isAncestorOf(focus):
                return index
        return None

    def on_tick(self, now: datetime) -> None:
        for row in self._rows:
            row.show_at(now)

    def rows(self) -> list[_GroupRow]:
        return list(self._rows)

    def texts(self) -> list[str]:
        return [row.label.text() for row in self._rows]


class MoreBar(QFrame):
    """Under the strips: how much they leave out, and the button to the whole list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moreReminders")
        self.setAccessibleName("More reminders")
        self.label = QLabel(self)
        self.button = QPushButton(self)
        self.button.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 10, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hidden_count = 0
        self.hide()

    def show_more(self, items: Ranked, shown: Sequence[Item]) -> None:
        """`items` is everything the strips hold, `shown` what they show of it."""
        self.hidden_count = len(items) - len(shown)
        if self.hidden_count <= 0:
            self.hide()
            return
        incidents = items.incidents
        due = items.due - sum(1 for item in shown if item.tier is not Tier.WAITING)
        parts = [f"{due} due now"] if due else []
        if self.hidden_count > due:
            parts.append(f"{self.hidden_count - due} counting down")
        self.label.setText(
            f"Not shown above: {', '.join(parts)}; {incidents} incidents need attention in all"
        )
        self.button.setText(f"+{self.hidden_count} more…")
        self.button.setAccessibleName(
            f"Show all reminders: {self.hidden_count} more not shown above (Ctrl+Shift+D)"
        )
        self.button.setToolTip("Every reminder, check-back and post-mortem due (Ctrl+Shift+D)")
        self.show()
