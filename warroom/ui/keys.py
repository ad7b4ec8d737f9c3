"""Keyboard shortcuts, declared once per window. A window binds its shortcuts from its own
table, and F1 lists the same tables, so the help cannot drift from what the keys do.

A key with no slot is one the window handles by other means (a button's mnemonic, Enter in
a table, Esc in full screen): it is listed, not bound here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class Key:
    keys: str  # as Qt reads it ("Ctrl+Shift+E"), or as shown when not bound here ("Alt+A")
    what: str  # what it does, as F1 says it
    slot: str = ""  # the window's method it calls; "" when the window handles it otherwise

    def shown(self) -> str:
        if not self.slot:
            return self.keys
        return QKeySequence(self.keys).toString(QKeySequence.SequenceFormat.NativeText)


def bind(window: QWidget, keys: Iterable[Key]) -> list[QShortcut]:
    """A shortcut on `window` for each key of its table that has a slot."""
    shortcuts: list[QShortcut] = []
    for key in keys:
        if key.slot:
            shortcut = QShortcut(QKeySequence(key.keys), window)
            shortcut.activated.connect(getattr(window, key.slot))
            shortcuts.append(shortcut)
    return shortcuts
