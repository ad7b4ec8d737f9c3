"""Small widgets shared by several windows."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt, QTextBoundaryFinder
from PySide6.QtGui import QFontMetrics, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QTableWidget, QTableWidgetItem, QWidget

ELLIPSIS = "…"
# Of the screen's available area, what a window may take: the rest is left for the title bar
# and frame the window manager adds around it.
SCREEN_SHARE = (0.94, 0.9)


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Opens a top-level window at `width` x `height`, or smaller where the screen it opens
    on (its parent's, when it has one) has less room: every window fits a 1366x768 laptop."""
    parent = window.parentWidget()
    anchor = parent.window() if parent is not None else window
    screen = anchor.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    window.resize(
        min(width, int(area.width() * SCREEN_SHARE[0])),
        min(height, int(area.height() * SCREEN_SHARE[1])),
    )


def table_cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item at `row`, `column` of a table that fills every cell it reads back."""
    cell = table.item(row, column)
    assert cell is not None, f"{table.accessibleName()}: no item at ({row}, {column})"
    return cell


def header_cell(table: QTableWidget, column: int) -> QTableWidgetItem:
    """The header item of `column` of a table whose header labels are set."""
    cell = table.horizontalHeaderItem(column)
    assert cell is not None, f"{table.accessibleName()}: no header item at column {column}"
    return cell


class ErrorBanner(QLabel):
    """An inline message that says what is wrong and stays until the next attempt."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setWordWrap(True)
        self.setAccessibleName("Error message")
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.show()

    def clear_message(self) -> None:
        self.clear()
        self.hide()


def _graphemes(word: str) -> list[int]:
    """The positions in `word` where a cut leaves whole characters (grapheme clusters)."""
    finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Grapheme, word)
    cuts = []
    while (position := finder.toNextBoundary()) != -1:
        cuts.append(position)
    return cuts


def _fitting_prefix(word: str, metrics: QFontMetrics, width: int, suffix: str = "") -> str:
    """The longest start of `word`, cut between characters, that fits with `suffix`."""
    cuts = _graphemes(word) or [len(word)]
    best = word[: cuts[0]]  # at least one character, even where none fits
    for cut in cuts[1:]:
        if metrics.horizontalAdvance(word[:cut] + suffix) > width:
            break
        best = word[:cut]
    return best


def elided_lines(text: str, metrics: QFontMetrics, width: int, max_lines: int) -> list[str]:
    """`text` wrapped into at most `max_lines` lines of `width` pixels, breaking between
    words (a word wider than a line breaks between two characters, never inside one).
    What does not fit ends the last line with an ellipsis; spacing inside a line is kept."""
    words = re.findall(r"\S+\s*", text.strip())  # each word with the space after it
    lines: list[str] = []
    while words and len(lines) < max_lines:
        last = len(lines) == max_lines - 1
        taken = 0
        while taken < len(words) and (
            metrics.horizontalAdvance("".join(words[: taken + 1]).rstrip()) <= width
        ):
            taken += 1
        if last and taken < len(words):  # the rest does not fit: end on a whole word and …
            while taken and (
                metrics.horizontalAdvance("".join(words[:taken]).rstrip() + ELLIPSIS) > width
            ):
                taken -= 1
            head = "".join(words[:taken]).rstrip()
            if not head:
                head = _fitting_prefix(words[0].rstrip(), metrics, width, ELLIPSIS)
            lines.append(head + ELLIPSIS)
            return lines
        if taken == 0:  # one word wider than the line: it breaks between two characters
            word = words[0].rstrip()
            head = _fitting_prefix(word, metrics, width)
            lines.append(head)
            words[0] = words[0][len(head) :]
            continue
        lines.append("".join(words[:taken]).rstrip())
        words = words[taken:]
    return lines


class ElidedLabel(QLabel):
    """Text in at most `max_lines` lines, wrapped between words and ending in an ellipsis
    when it does not fit. Its height is always whole lines (descenders included), and long
    text never widens the window. The full text is the tooltip and the accessible name."""

    def __init__(
        self, max_lines: int = 1, parent: QWidget | None = None, keep_height: bool = False
    ) -> None:
        super().__init__(parent)
        self.max_lines = max_lines
        self.keep_height = keep_height  # always max_lines tall, so side-by-side tiles align
        self._full = ""
        self.setWordWrap(False)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_full_text(self, text: str) -> None:
        if text != self._full:
            self._full = text
            self.setToolTip(text)
            self.setAccessibleName(text)
            self._lay_out()

    def _lay_out(self) -> None:
        metrics = self.fontMetrics()
        width = self.contentsRect().width()
        if width <= 0:  # not laid out yet: the full text until the width is known
            lines = [self._full.strip()] if self._full.strip() else []
        else:
            lines = elided_lines(self._full, metrics, width, self.max_lines)
        super().setText("\n".join(lines))
        margins = self.contentsMargins()
        rows = self.max_lines if self.keep_height else max(1, len(lines))
        self.setFixedHeight(rows * metrics.lineSpacing() + margins.top() + margins.bottom() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._lay_out()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._lay_out()
