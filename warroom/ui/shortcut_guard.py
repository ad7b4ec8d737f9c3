"""The app's own shortcuts win over a focused field's key bindings.

Before a key press reaches the shortcuts, Qt offers it to the focused widget as a
ShortcutOverride; a widget that binds the key accepts it and the shortcut never fires. Which
keys a field binds depends on the platform: under X11, a line edit takes Ctrl+U (delete the
whole line), Ctrl+K (delete to the end of the line) and Ctrl+E (end of line), and a spin box or
date edit does too. So Ctrl+U in an incident window, typed while the cursor is in the note
field, would wipe the note instead of recording the update.

The guard sits on whichever widget has the focus, and turns the override down for any key
that a shortcut or action of that window declares. Declaring too much costs nothing: a key
that matches no shortcut in force reaches the field as an ordinary key press.
"""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

_MODIFIERS = (
    Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


def pressed_keys(event: QKeyEvent) -> QKeySequence:
    """The key and modifiers of a key event as a sequence (the keypad flag left out)."""
    return QKeySequence(QKeyCombination(event.modifiers() & _MODIFIERS, Qt.Key(event.key())))


def declared_keys(window: QWidget, inside: QWidget | None = None) -> list[QKeySequence]:
    """Every key sequence a shortcut or action of `window` (or a window it owns) declares;
    those living inside `inside` (a field's own context menu) are not the app's."""
    found: list[QKeySequence] = []
    owners: list[QShortcut | QAction] = [
        *window.findChildren(QShortcut),
        *window.findChildren(QAction),
    ]
    for owner in owners:
        if inside is not None and _within(owner, inside):
            continue
        keys = owner.keys() if isinstance(owner, QShortcut) else owner.shortcuts()
        found.extend(k for k in keys if not k.isEmpty())
    return found


def _within(owner: QObject, widget: QWidget) -> bool:
    parent = owner.parent()
    while parent is not None:
        if parent is widget:
            return True
        parent = parent.parent()
    return False


class ShortcutGuard(QObject):
    """Installed on the focused widget only, so it costs nothing for other events."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QWidget):
            return False
        assert isinstance(event, QKeyEvent)
        keys = pressed_keys(event)
        matches = QKeySequence.SequenceMatch.ExactMatch
        if any(k.matches(keys) == matches for k in declared_keys(watched.window(), watched)):
            event.ignore()  # not overridden: the shortcut map gets the key
            return True
        return False

    def follow_focus(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            with suppress(RuntimeError):  # focus left a widget that is being destroyed
                old.removeEventFilter(self)
        if new is not None:
            new.installEventFilter(self)


def guard_shortcuts(app: QApplication) -> ShortcutGuard:
    """Installs the guard once per application; returns it."""
    guard = app.findChild(ShortcutGuard)
    if guard is None:
        guard = ShortcutGuard(app)
        app.focusChanged.connect(guard.follow_focus)
        focused = app.focusWidget()
        if focused is not None:
            focused.installEventFilter(guard)
    return guard
