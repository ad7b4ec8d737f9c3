"""A strip of one-line rows above the board (check-backs, post-mortems due, reminders):
rebuilt only when what it lists changes, its rows restyled only when their state does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtWidgets import QFrame, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from warroom.domain.reminders import SNOOZE_CHOICES

Key = Any
RowT = TypeVar("RowT", bound=QWidget)


class RowStrip(QFrame, Generic[RowT]):
    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self._rows: list[RowT] = []
        self._keys: list[Key] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.hide()

    def replace_rows(self, keys: Sequence[Key], make: Callable[[Key], RowT]) -> None:
        """One row per key, rebuilt only when the keys differ from those shown."""
        if list(keys) != self._keys:
            for row in self._rows:
                row.hide()  # gone now; deleted when the event loop next turns
                row.deleteLater()
            self._keys = list(keys)
            self._rows = [make(key) for key in keys]
            for row in self._rows:
                self._layout.addWidget(row)
        self.setVisible(bool(self._rows))

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def texts(self) -> list[str]:
        """What each row says, as shown."""
        return [_label(row).text() for row in self._rows]


def _label(row: QWidget) -> QLabel:
    label = row.findChild(QLabel)
    assert label is not None, "every row says what it is with a label"
    return label


def restyle(widget: QWidget, name: str) -> None:
    """Gives `widget` the theme's look for `name` (e.g. checkBackDue) at once. Its children
    are polished again too: rules such as `#checkBackDue QLabel` style them, and a child
    polished under the old name would keep the old look until the next theme change."""
    widget.setObjectName(name)
    for each in (widget, *widget.findChildren(QWidget)):
        each.style().unpolish(each)
        each.style().polish(each)


def snooze_button(
    parent: QWidget, accessible_name: str, chosen: Callable[[int], None]
) -> QPushButton:
    """The one snooze control of every strip: "Snooze" with a menu of 5, 10 or 15 minutes.
    A push button keeps its menu arrow clear of its label."""
    button = QPushButton("Snooze", parent)
    button.setAccessibleName(accessible_name)
    button.setAutoDefault(False)
    menu = QMenu(button)
    for minutes in SNOOZE_CHOICES:

        def choose(m: int = minutes) -> None:
            chosen(m)

        menu.addAction(f"{minutes} min", choose)
    button.setMenu(menu)
    return button
