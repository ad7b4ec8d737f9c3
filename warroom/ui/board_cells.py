"""What the board's view paints: a copy of BoardModel's cells in Qt's own item model.

A view asks every cell it paints for a dozen roles. Answered from Python, those calls
cost more than the painting; answered from a QStandardItemModel they stay in C++. Rows are
copied just before they are first painted (BoardView.paintEvent calls `fill`), and again
whenever BoardModel says they changed; the clock cells of rows scrolled into view are
brought up to the current tick the same way. One thing is not copied: the severity cell's
text, which the view draws inside the badge it paints over that cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItemModel

from warroom.ui.board_model import CLOCK_COLUMNS, HEADERS, BoardModel, Column

AnyIndex = QModelIndex | QPersistentModelIndex
_LAST_COLUMN = len(Column) - 1


class BoardCells(QStandardItemModel):
    """Row for row the same as `board`; a row's cells are the board's once filled."""

    def __init__(self, board: BoardModel, parent: Any = None) -> None:
        super().__init__(0, len(Column), parent)
        self.setHorizontalHeaderLabels([HEADERS[column] for column in Column])
        self._board = board
        self._filled: list[bool] = []  # the row's cells are a copy of the board's
        self._clocks_at: list[int] = []  # the board's clock_generation they were copied at
        self._reset()
        board.modelReset.connect(self._reset)
        board.rowsInserted.connect(self._inserted)
        board.rowsRemoved.connect(self._removed)
        board.rowsMoved.connect(self._moved)
        board.dataChanged.connect(self._changed)

    def fill(self, rows: range) -> None:
        """Brings `rows` up to date without announcing it: the caller is about to paint."""
        generation = self._board.clock_generation
        stale = [
            row
            for row in rows
            if 0 <= row < len(self._filled)
            and not (self._filled[row] and self._clocks_at[row] == generation)
        ]
        if not stale:
            return
        blocked = self.blockSignals(True)
        try:
            for row in stale:
                columns = CLOCK_COLUMNS if self._filled[row] else tuple(Column)
                self._copy(row, columns)
        finally:
            self.blockSignals(blocked)

    def _copy(self, row: int, columns: Sequence[int]) -> None:
        cell, set_item_data, index = self._board.cell, self.setItemData, self.index
        for column in columns:
            values = cell(row, column)
            if column == Column.SEVERITY:  # the view draws the badge there, text and all
                values[Qt.ItemDataRole.DisplayRole] = None
            set_item_data(index(row, column), values)
        if columns[0] == Column.ID:
            self._filled[row] = True
        if columns[-1] == CLOCK_COLUMNS[-1]:
            self._clocks_at[row] = self._board.clock_generation

    # -- following the board ------------------------------------------------------------
    def _reset(self) -> None:
        count = self._board.rowCount()
        self.setRowCount(0)
        self.setRowCount(count)
        self._filled = [False] * count
        self._clocks_at = [-1] * count

    def _inserted(self, _parent: AnyIndex, first: int, last: int) -> None:
        count = last - first + 1
        self._filled[first:first] = [False] * count
        self._clocks_at[first:first] = [-1] * count
        self.insertRows(first, count)

    def _removed(self, _parent: AnyIndex, first: int, last: int) -> None:
        del self._filled[first : last + 1]
        del self._clocks_at[first : last + 1]
        self.removeRows(first, last - first + 1)

    def _moved(
        self, _parent: AnyIndex, start: int, end: int, _destination: AnyIndex, row: int
    ) -> None:
        """Qt's item model cannot move rows: the rows between the old and the new place
        are copied again instead (the view puts its selection back on the moved row)."""
        count = end - start + 1
        new = row - count if row > start else row
        low, high = min(start, new), max(end, new + count - 1)
        for moved in range(low, high + 1):
            self._filled[moved] = False
        self.dataChanged.emit(self.index(low, 0), self.index(high, _LAST_COLUMN))

    def _changed(
        self, top_left: AnyIndex, bottom_right: AnyIndex, _roles: Sequence[int] = ()
    ) -> None:
        first, last = top_left.row(), bottom_right.row()
        columns = range(top_left.column(), bottom_right.column() + 1)
        filled = [row for row in range(first, last + 1) if self._filled[row]]
        if not filled:
            return
        blocked = self.blockSignals(True)
        try:
            for row in filled:
                self._copy(row, columns)
        finally:
            self.blockSignals(blocked)
        self.dataChanged.emit(
            self.index(filled[0], columns[0]), self.index(filled[-1], columns[-1])
        )
