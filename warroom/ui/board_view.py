"""The board's table view and its severity badge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from warroom.domain.severity import Severity
from warroom.ui.board_cells import BoardCells
from warroom.ui.board_model import CLOCK_COLUMNS, BoardModel, Column
from warroom.ui.keys import Key
from warroom.ui.palette import severity_colours

# Keys the board's table handles itself, as F1 lists them beside the main window's actions.
BOARD_VIEW_KEYS = (Key("Enter", "Open the selected incident (or double-click it)"),)


def draw_badge(severity: Severity, font: QFont, row_height: int, ratio: float) -> QPixmap:
    """A filled badge with the level's label: colour for a glance, text for certainty."""
    background, foreground = severity_colours(severity)
    bold = QFont(font)
    bold.setBold(True)
    metrics = QFontMetrics(font)
    width = metrics.horizontalAdvance("P0") + 18
    height = min(row_height - 8, metrics.height() + 8)
    pixmap = QPixmap(round(width * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(background)
    badge = QRect(0, 0, width, height)
    painter.drawRoundedRect(badge, 5, 5)
    painter.setPen(foreground)
    painter.setFont(bold)
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, severity.value)
    painter.end()
    return pixmap


class StateColourDelegate(QStyledItemDelegate):
    """Cells that carry a state in their colours (an overdue or amber clock, a reminder's
    highlight) keep them in the selected row: the selection shows as a band along the
    cell's top and bottom instead of painting over the state. It paints the selected row
    only: the others paint in Qt alone."""

    BAND = 3  # px

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if not selected or index.data(Qt.ItemDataRole.BackgroundRole) is None:
            super().paint(painter, option, index)
            return
        unselected = QStyleOptionViewItem(option)
        unselected.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, unselected, index)
        band = option.palette.highlight()
        rect = option.rect
        painter.fillRect(rect.x(), rect.y(), rect.width(), self.BAND, band)
        painter.fillRect(rect.x(), rect.bottom() - self.BAND + 1, rect.width(), self.BAND, band)


class BoardView(QTableView):
    """Double-click or Enter opens the incident under the cursor."""

    open_requested = Signal(int)
    selection_changed = Signal(object)  # the selected incident's id, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("board")
        self.setAccessibleName("Incident board")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSortingEnabled(False)
        self.verticalHeader().setVisible(False)
        # Larger than the desktop default: the board is read from across a room. Set in code,
        # not the stylesheet, so column widths can be measured from it.
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.setFont(font)
        # Only the selected row pays for a delegate written in Python (paintEvent moves it).
        self._state_colours = StateColourDelegate(self)
        self._badges: dict[tuple[Severity, int, str, float], QPixmap] = {}
        self._state_row = -1
        self._board: BoardModel | None = None
        self._cells: BoardCells | None = None
        self._moving: int | None = None  # the selected incident while its row moves
        self.doubleClicked.connect(self._open_index)

    def show_board(self, board: BoardModel) -> None:
        """Shows `board` through a copy of its cells held in Qt (BoardCells)."""
        self._board = board
        self._cells = BoardCells(board, self)
        self.setModel(self._cells)
        self.selectionModel().selectionChanged.connect(
            lambda *_: self.selection_changed.emit(self.selected_incident_id())
        )
        board.rowsAboutToBeMoved.connect(self._before_move)
        board.rowsMoved.connect(self._after_move)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        self._size_columns()

    def _size_columns(self) -> None:
        metrics = self.fontMetrics()
        bold = self.font()
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        # Wide enough for typical values; the title column takes whatever is left.
        samples = {
            Column.SEVERITY: (bold_metrics, "Sev  "),
            Column.STATUS: (metrics, "post-mortem"),
            Column.COMMANDER: (metrics, "Dana Whitfield"),
            Column.ELAPSED: (bold_metrics, "Since declared"),
            Column.RESPONSE: (bold_metrics, "OVERDUE +1:22:33"),  # bold when overdue
            Column.NEXT_UPDATE: (bold_metrics, "OVERDUE +1:22:33"),
        }
        for column, (font_metrics, sample) in samples.items():
            self.setColumnWidth(column, font_metrics.horizontalAdvance(sample) + 24)
        self.setColumnWidth(Column.ID, metrics.horizontalAdvance("999") + 16)  # up to #999
        self.verticalHeader().setDefaultSectionSize(metrics.height() + 18)

    def selected_row(self) -> int:
        indexes = self.selectionModel().selectedRows() if self.selectionModel() else []
        return indexes[0].row() if indexes else -1

    def selected_incident_id(self) -> int | None:
        incident = self._board.incident_at(self.selected_row()) if self._board else None
        return incident.id if incident else None

    def select_incident(self, incident_id: int) -> bool:
        row = self._board.row_of(incident_id) if self._board else None
        if row is None:
            return False
        self.selectRow(row)
        self.scrollTo(self.model().index(row, 0))
        return True

    def _before_move(self, *_: Any) -> None:
        self._moving = self.selected_incident_id()

    def _after_move(self, *_: Any) -> None:
        """The copy's rows stay where they are when the board moves one: the selection is
        put back on the moved incident's new row, without scrolling to it."""
        moving, self._moving = self._moving, None
        row = self._board.row_of(moving) if self._board and moving is not None else None
        if row is None or row == self.selected_row():
            return
        current = self.currentIndex()
        scrolls = self.hasAutoScroll()
        self.setAutoScroll(False)
        try:
            self.selectionModel().setCurrentIndex(
                self.model().index(row, max(current.column(), 0)),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        finally:
            self.setAutoScroll(scrolls)

    def currentChanged(  # noqa: N802 - Qt's name
        self,
        current: QModelIndex | QPersistentModelIndex,
        previous: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # The view tells assistive technology about the new current cell before it paints:
        # the row's cells must be there to be read (keyboard focus on a row never shown).
        if self._cells is not None and current.isValid():
            self._cells.fill(range(current.row(), current.row() + 1))
        super().currentChanged(current, previous)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        area = event.rect()
        rows = range(0)
        if self._cells is not None:
            first = self.rowAt(area.top())
            if first >= 0:
                last = self.rowAt(area.bottom())
                last = self._cells.rowCount() - 1 if last < 0 else last
                rows = range(first, last + 1)
                self._cells.fill(rows)
        selected = self.selected_row()
        if selected != self._state_row:
            # The selected row keeps its state colours through a delegate of its own.
            if self._state_row >= 0:
                self.setItemDelegateForRow(self._state_row, None)  # type: ignore[arg-type]
            if selected >= 0:
                self.setItemDelegateForRow(selected, self._state_colours)
            self._state_row = selected
        super().paintEvent(event)
        self._paint_badges(area, rows)

    def _paint_badges(self, area: QRect, rows: range) -> None:
        """The severity badges, over the cells Qt painted without their text (BoardCells
        leaves it out): one call per paint rather than a Python delegate per cell."""
        left = self.columnViewportPosition(Column.SEVERITY)
        width = self.columnWidth(Column.SEVERITY)
        if not rows or self._board is None or left > area.right() or left + width < area.left():
            return
        viewport = self.viewport()
        ratio = viewport.devicePixelRatioF()
        font = self.font()
        painter = QPainter(viewport)
        try:
            for row in rows:
                incident = self._board.incident_at(row)
                if incident is None:
                    continue
                height = self.rowHeight(row)
                key = (incident.severity, height, font.key(), ratio)
                badge = self._badges.get(key)
                if badge is None:
                    badge = self._badges[key] = draw_badge(incident.severity, font, height, ratio)
                size = badge.deviceIndependentSize()
                painter.drawPixmap(
                    left + (width - round(size.width())) // 2,
                    self.rowViewportPosition(row) + (height - round(size.height())) // 2,
                    badge,
                )
        finally:
            painter.end()

    def visible_rows(self) -> range:
        """The rows on screen (partly shown ones included); empty while the board is
        hidden, so a tick announces nothing that nobody sees."""
        model = self.model()
        if model is None or not self.isVisible():
            return range(0)
        first = self.rowAt(0)
        if first < 0:
            return range(0)
        last = self.rowAt(self.viewport().height() - 1)
        if last < 0:  # the rows end above the bottom of the viewport
            last = model.rowCount() - 1
        return range(first, last + 1)

    def dataChanged(  # noqa: N802 - Qt's name
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        # For a multi-cell change QTableView repaints the whole viewport. A tick changes
        # only the clock columns, so repaint just their visible strip: most of the cost
        # of a tick is Python painting cells that did not change.
        first, last = top_left.column(), bottom_right.column()
        if top_left.row() != bottom_right.row() and (first, last) == (
            CLOCK_COLUMNS[0],
            CLOCK_COLUMNS[-1],
        ):
            left = self.columnViewportPosition(first)
            right = self.columnViewportPosition(last) + self.columnWidth(last)
            self.viewport().update(QRect(left, 0, right - left, self.viewport().height()))
            return
        super().dataChanged(top_left, bottom_right, roles)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open_index(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open_index(self, index: QModelIndex) -> None:
        incident = self._board.incident_at(index.row()) if self._board and index.isValid() else None
        if incident is not None:
            self.open_requested.emit(incident.id)
