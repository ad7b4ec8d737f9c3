"""The incident board as a Qt model over the service.

The 1 Hz tick emits dataChanged for the clock cells of the rows on screen only; the model
is never reset to refresh, so selection and scroll position survive. Clocks are computed
lazily, per row, for the cells asked for, and cached for the rest of the tick. The view
does not paint from this model: it paints from BoardCells, Qt's own item model holding a
copy of the rows on screen, so a repaint never calls into Python.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from functools import lru_cache
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from warroom.domain import clocks
from warroom.domain.clock_text import response_text, update_text
from warroom.domain.clocks import ClockState, Countdown
from warroom.domain.durations import hms
from warroom.domain.incident import Incident
from warroom.domain.policy import Policy
from warroom.ui.palette import alert_text, clock_colours, muted_text

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    ID = 0  # the number every strip and message uses: "#2"
    SEVERITY = 1
    TITLE = 2
    STATUS = 3
    COMMANDER = 4
    ELAPSED = 5
    RESPONSE = 6
    NEXT_UPDATE = 7


HEADERS = {
    Column.ID: "#",
    Column.SEVERITY: "Sev",
    Column.TITLE: "Incident",
    Column.STATUS: "Status",
    Column.COMMANDER: "Commander",
    Column.ELAPSED: "Since declared",
    Column.RESPONSE: "Response",
    Column.NEXT_UPDATE: "Next update",
}
CLOCK_COLUMNS = (Column.ELAPSED, Column.RESPONSE, Column.NEXT_UPDATE)

INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1
CLOCK_STATE_ROLE = Qt.ItemDataRole.UserRole + 3
NO_IC_TEXT = "⚠ No IC"
REMINDER_HIGHLIGHT = "#FFD866"
SortKey = tuple[int, float, int]
# The roles a cell can show, all of them answered by BoardModel.cell.
SHOWN_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.AccessibleTextRole,
    CLOCK_STATE_ROLE,
)
_SHOWN_ROLES = frozenset(SHOWN_ROLES)
_CLOCK_ROLES = tuple(role for role in SHOWN_ROLES if role != Qt.ItemDataRole.DecorationRole)


@dataclass(frozen=True)
class RowClocks:
    elapsed: str
    response: Countdown
    update: Countdown


class BoardModel(QAbstractTableModel):
    """Rows stay sorted by severity, then by the earliest pending deadline (the most overdue
    first). That key does not depend on "now", so ticks never reorder rows; it is computed
    once per incident change, not per comparison."""

    def __init__(self, policy: Policy, now: datetime, parent: Any = None) -> None:
        super().__init__(parent)
        self._policy = policy
        self._now = now
        self._rows: list[Incident] = []
        self._keys: list[SortKey] = []
        self._clock_cache: dict[int, RowClocks] = {}
        # Counts ticks (and row changes): a copy of a clock cell made at an earlier count
        # is out of date.
        self.clock_generation = 0
        self._bold = QFont()
        self._bold.setBold(True)
        self._highlighted: set[int] = set()  # incidents with a reminder due
        self._reasons: dict[int, list[str]] = {}  # what is due on each, in words
        self._due_icon: QIcon | None = None
        self.revision = 0  # counts changes to the rows, for whoever caches what they hold

    def sort_key(self, incident: Incident) -> SortKey:
        deadline = clocks.next_deadline(incident, self._policy)
        pending = deadline.timestamp() if deadline else float("inf")
        return (incident.severity.rank, pending, incident.id)

    # -- contents ------------------------------------------------------------------------
    def set_incidents(self, incidents: list[Incident]) -> None:
        """Replaces every row: for loading and for the show-closed toggle only."""
        keyed = sorted(((self.sort_key(i), i) for i in incidents), key=lambda pair: pair[0])
        self.beginResetModel()
        self._keys = [key for key, _ in keyed]
        self._rows = [incident for _, incident in keyed]
        self._rows_changed()
        self.endResetModel()

    def incidents(self) -> list[Incident]:
        return list(self._rows)

    def row_of(self, incident_id: int) -> int | None:
        for row, incident in enumerate(self._rows):
            if incident.id == incident_id:
                return row
        return None

    def upsert(self, incident: Incident) -> None:
        """Adds or updates one incident, moving its row if its place in the order changed;
        selection and scroll position follow the row."""
        key = self.sort_key(incident)
        old = self.row_of(incident.id)
        if old is None:
            row = bisect.bisect(self._keys, key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._keys.insert(row, key)
            self._rows.insert(row, incident)
            self._rows_changed()
            self.endInsertRows()
            return
        others = self._keys[:old] + self._keys[old + 1 :]
        new = bisect.bisect(others, key)
        if new != old:
            # Qt's destination is counted before the move takes place.
            self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), new + (new > old))
            self._keys.pop(old)
            self._rows.pop(old)
            self._keys.insert(new, key)
            self._rows.insert(new, incident)
            self.endMoveRows()
        else:
            self._keys[old] = key
            self._rows[old] = incident
        self._rows_changed()
        self.dataChanged.emit(self.index(new, 0), self.index(new, len(Column) - 1))

    def remove(self, incident_id: int) -> None:
        row = self.row_of(incident_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._keys[row]
        self._rows_changed()
        self.endRemoveRows()

    def set_highlighted(self, incident_ids: set[int]) -> None:
        """Rows with a reminder due get a highlighted title."""
        self.set_due({incident_id: [] for incident_id in incident_ids})

    def set_due(self, reasons: dict[int, list[str]]) -> None:
        """Rows with something due get a highlighted title with a ⚠ and say what is due in
        its tooltip, so the row tells it even when the strips above show other incidents."""
        changed = self._highlighted ^ reasons.keys()
        changed |= {i for i in reasons if reasons[i] != self._reasons.get(i, reasons[i])}
        self._highlighted = set(reasons)
        self._reasons = {i: list(words) for i, words in reasons.items()}
        for incident_id in changed:
            row = self.row_of(incident_id)
            if row is not None:
                index = self.index(row, Column.TITLE)
                self.dataChanged.emit(index, index)

    def tick(self, now: datetime, rows: range | None = None) -> None:
        """Moves the clocks to `now`: only the clock cells change. `rows` (the rows on
        screen) limits the dataChanged to them; the others are not announced, and show
        `now`'s clocks whenever they are next asked for (scrolled into view)."""
        self._now = now
        self._clock_cache.clear()
        self.clock_generation += 1
        shown = range(len(self._rows)) if rows is None else rows
        first, last = max(shown.start, 0), min(shown.stop, len(self._rows)) - 1
        if first <= last:
            self.dataChanged.emit(
                self.index(first, CLOCK_COLUMNS[0]),
                self.index(last, CLOCK_COLUMNS[-1]),
                [
                    Qt.ItemDataRole.DisplayRole,
                    Qt.ItemDataRole.BackgroundRole,
                    Qt.ItemDataRole.ForegroundRole,
                ],
            )

    def restyle(self) -> None:
        """The theme changed: every cell's colours are asked for again."""
        self._rows_changed()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(Column) - 1)
            )

    def _rows_changed(self) -> None:
        self.revision += 1
        self.clock_generation += 1
        self._clock_cache.clear()

    def clocks_for(self, row: int) -> RowClocks:
        cached = self._clock_cache.get(row)
        if cached is None:
            incident = self._rows[row]
            cached = RowClocks(
                elapsed=hms(clocks.elapsed(incident, self._now)),
                response=clocks.response_clock(incident, self._policy, self._now),
                update=clocks.update_clock(incident, self._policy, self._now),
            )
            self._clock_cache[row] = cached
        return cached

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == INCIDENT_ROLE:
            return self._rows[index.row()]
        if role not in _SHOWN_ROLES:
            return None
        return self.cell(index.row(), index.column()).get(role)

    def incident_at(self, row: int) -> Incident | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def cell(self, row: int, column: int) -> dict[int, Any]:
        """Everything one cell shows, by role (None where a role has nothing): what the
        view's copy of the board (BoardCells) holds, and what `data` answers."""
        if column >= Column.ELAPSED:
            return self._clock_cell(row, column)
        incident = self._rows[row]
        column = Column(column)
        text = self._text(incident, column)
        cell = dict.fromkeys(SHOWN_ROLES)
        cell[Qt.ItemDataRole.DisplayRole] = text
        cell[Qt.ItemDataRole.ToolTipRole] = self._tooltip(incident, column)
        reminded = column == Column.TITLE and incident.id in self._highlighted
        if reminded:
            cell[Qt.ItemDataRole.DecorationRole] = self._warning_icon()
            cell[Qt.ItemDataRole.BackgroundRole] = _brush(REMINDER_HIGHLIGHT)
            cell[Qt.ItemDataRole.ForegroundRole] = _brush("#1A1A1A")
            cell[Qt.ItemDataRole.FontRole] = self._bold
        elif column == Column.COMMANDER and not incident.commander:
            cell[Qt.ItemDataRole.ForegroundRole] = _brush(alert_text())
            cell[Qt.ItemDataRole.FontRole] = self._bold
        elif column == Column.STATUS and not incident.status.is_open:
            cell[Qt.ItemDataRole.ForegroundRole] = _brush(muted_text())
        if column == Column.ID:
            cell[Qt.ItemDataRole.AccessibleTextRole] = f"Incident #{incident.id}"
        else:
            spoken = f"{HEADERS[column]}: {text}"
            cell[Qt.ItemDataRole.AccessibleTextRole] = (
                f"{spoken}. {self.due_text(incident.id)}" if reminded else spoken
            )
        return cell

    def due_text(self, incident_id: int) -> str:
        """What is due on the incident, in words: "Due now: stakeholder update due"."""
        reasons = self._reasons.get(incident_id) or ["a reminder"]
        return "Due now: " + "; ".join(reasons)

    def _warning_icon(self) -> QIcon:
        """A dark ⚠ on the highlight, made once: the highlight never relies on colour alone."""
        if self._due_icon is None:
            size = 32
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            font = QFont()
            font.setPixelSize(26)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor("#1A1A1A"))
            painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "⚠")
            painter.end()
            self._due_icon = QIcon(pixmap)
        return self._due_icon

    def _text(self, incident: Incident, column: Column) -> str:
        if column == Column.ID:
            return str(incident.id)
        if column == Column.SEVERITY:
            return incident.severity.value
        if column == Column.TITLE:
            return incident.shown_title
        if column == Column.STATUS:
            return incident.status.label
        if column == Column.COMMANDER:
            return incident.commander or NO_IC_TEXT
        return ""

    def _tooltip(self, incident: Incident, column: Column) -> str | None:
        if column == Column.ID:
            return f"Incident #{incident.id}: the number the strips and messages use"
        if column == Column.SEVERITY:
            return f"{incident.severity.value}: {incident.severity.meaning}"
        if column == Column.TITLE:
            about = incident.impact or incident.title
            if incident.id in self._highlighted:
                return f"{self.due_text(incident.id)}\n{about}"
            return about
        if column == Column.COMMANDER and not incident.commander:
            return "No incident commander is assigned. Open the incident to assign one."
        return None

    def _clock_cell(self, row: int, column: int) -> dict[int, Any]:
        row_clocks = self.clocks_for(row)
        cell = dict.fromkeys(_CLOCK_ROLES)
        if column == Column.ELAPSED:
            cell[Qt.ItemDataRole.DisplayRole] = row_clocks.elapsed
            cell[Qt.ItemDataRole.AccessibleTextRole] = row_clocks.elapsed
            return cell
        countdown = row_clocks.response if column == Column.RESPONSE else row_clocks.update
        text = response_text(countdown) if column == Column.RESPONSE else update_text(countdown)
        cell[Qt.ItemDataRole.DisplayRole] = text
        cell[CLOCK_STATE_ROLE] = countdown.state
        cell[Qt.ItemDataRole.AccessibleTextRole] = f"{HEADERS[Column(column)]}: {text}"
        if countdown.deadline is not None:
            cell[Qt.ItemDataRole.ToolTipRole] = _due_tooltip(countdown.deadline)
        colours = clock_colours(countdown.state)
        if colours is not None:
            background, foreground = colours
            if background:
                cell[Qt.ItemDataRole.BackgroundRole] = _brush(background)
            cell[Qt.ItemDataRole.ForegroundRole] = _brush(foreground)
            if countdown.state is ClockState.OVERDUE:
                cell[Qt.ItemDataRole.FontRole] = self._bold
        return cell


@lru_cache(maxsize=1024)
def _due_tooltip(deadline: datetime) -> str:
    """Formatted once per deadline, not every tick: strftime imports `time` on each call."""
    return f"Due {deadline.astimezone():%a %d %b %H:%M:%S %Z}"


@lru_cache(maxsize=64)
def _brush(colour: str) -> QBrush:
    """One brush per colour: a tick restyles dozens of clock cells with a handful."""
    return QBrush(QColor(colour))
