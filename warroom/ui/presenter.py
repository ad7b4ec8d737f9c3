"""Presenter mode: a second window for the war room's shared screen, readable across the
room. It shows the focused incident in large type, or a grid of every open incident.

Sizes follow the window's height, so severity and clocks stay at least 48 px tall at 1080p
and shrink in proportion on a smaller screen. It is always dark and high-contrast. Overdue
clocks blink once a second, or stay steady red with reduced motion on; the word OVERDUE is
always there, so colour is never the only signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QFontMetrics, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from warroom.domain import clocks
from warroom.domain.clock_text import response_text, update_text
from warroom.domain.clocks import ClockState
from warroom.domain.derived import entered_after_the_fact
from warroom.domain.durations import compact, hms
from warroom.domain.incident import EventKind, Incident, TimelineEvent
from warroom.domain.lifecycle import Role
from warroom.domain.mitigation import Mitigation
from warroom.domain.policy import Policy
from warroom.ui.keys import Key, bind
from warroom.ui.palette import severity_colours
from warroom.ui.qtime import timeline_text
from warroom.ui.widgets import ElidedLabel, fit_to_screen

BACKGROUND = "#0B0C0E"
TEXT = "#FFFFFF"
MUTED = "#C8C8C8"
OVERDUE_BG = "#D0021B"
WARNING_BG = "#FFC400"
LATEST_EVENTS = 5
TILE_TITLE_LINES = 3
HIDDEN_NOTE = "Sensitive note (hidden on the shared screen)"
HIDDEN_EVIDENCE = "Evidence handled (name hidden on the shared screen)"
PRESENTER_KEYS = (
    Key("F11", "Full screen on and off", "toggle_full_screen"),
    Key("Esc", "Leave full screen"),
    Key("PgDown", "Next incident", "next_incident"),
    Key("PgUp", "Previous incident", "previous_incident"),
    Key("Ctrl+Shift+H", "Privacy: hide sensitive notes and evidence names", "toggle_privacy"),
)


# One stylesheet for every look of a clock; blinking flips a property, never restyles.
CLOCK_LOOKS = "".join(
    f' #presenterClock[look="{look}"] {{ background: {fill}; border: 2px solid {MUTED};'
    f" border-radius: 10px; }}"
    f' #presenterClock[look="{look}"] QLabel {{ color: {text}; background: transparent; }}'
    for look, fill, text in (
        ("plain", BACKGROUND, TEXT),
        ("warning", WARNING_BG, "#000000"),
        ("overdue", OVERDUE_BG, TEXT),
        ("overdue-dim", BACKGROUND, "#FF5A5A"),
    )
)


@dataclass(frozen=True)
class FocusedData:
    """What the presenter shows of the focused incident, refreshed when the data changes."""

    incident: Incident
    events: list[TimelineEvent]
    pending: list[Mitigation]


def shared_screen_text(event: TimelineEvent, private: bool) -> str:
    """An event as the shared screen may show it."""
    if private and event.data.get("sensitive"):
        return HIDDEN_NOTE
    if private and event.kind.value == "evidence":
        return HIDDEN_EVIDENCE
    return event.text


class _Clock(QFrame):
    def __init__(self, caption: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("presenterClock")
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("presenterCaption")
        self.value = QLabel("—", self)
        self.value.setObjectName("presenterClockValue")
        self.value.setAccessibleName(caption)
        # The text is fitted to the tile (fit_text), so it must never widen the window.
        self.value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.target_px = 48
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addStretch(1)
        self.setProperty("look", "plain")

    def show_value(self, text: str, state: ClockState | None, blink_on: bool) -> None:
        if text != self.value.text():
            self.value.setText(text)
            self.fit_text()
        if state is ClockState.OVERDUE:
            look = "overdue" if blink_on else "overdue-dim"
        elif state is ClockState.WARNING:
            look = "warning"
        else:
            look = "plain"
        if look != self.property("look"):  # re-polish only on a change of look
            self.setProperty("look", look)
            for widget in (self, self.caption, self.value):
                widget.style().unpolish(widget)
                widget.style().polish(widget)

    def fit_text(self) -> None:
        """The target size, or smaller until the text fits the tile's width. The value
        keeps the target size's height, so a shrunk value sits level with its neighbours."""
        font = QFont(self.value.font())
        font.setPixelSize(self.target_px)
        self.value.setFixedHeight(QFontMetrics(font).height())
        room = max(self.width() - 36, 40)
        wide = QFontMetrics(font).horizontalAdvance(self.value.text())
        if wide > room:
            font.setPixelSize(max(12, int(self.target_px * room / wide)))
        if font != self.value.font():
            self.value.setFont(font)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_text()

    def background(self) -> str:
        """The tile's fill as painted now (read from the widget, not from our bookkeeping)."""
        return self.palette().color(self.backgroundRole()).name().upper()


class _GridTile(QFrame):
    """One open incident in the grid: its title in two lines at most (ending in an ellipsis
    when longer), its stage and IC on one line, and its next-update clock."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("presenterTile")
        self.badge = QLabel(self)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = ElidedLabel(TILE_TITLE_LINES, self, keep_height=True)
        self.detail = ElidedLabel(1, self)
        self.clock = _Clock("Next update", self)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)  # nothing touches the tile's border
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        layout.addStretch(1)  # spare height between the words and the clock
        layout.addWidget(self.clock)


class PresenterWindow(QWidget):
    """`focused` is read from the board; `load` fetches the focused incident's data."""

    closed = Signal()
    step_requested = Signal(int)  # PgDown / PgUp: the next or previous incident on the board

    def __init__(
        self,
        policy: Policy,
        incidents: Callable[[], list[Incident]],
        load: Callable[[int], FocusedData | None],
        reduced_motion: Callable[[], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presenter")
        self.setWindowTitle("warroom — presenter")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(
            f"#presenter, #presenter QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}"
            f" #presenterCaption, #presenterMuted {{ color: {MUTED}; }}"
            f" #presenterTile {{ border: 2px solid #3A3A3A; border-radius: 10px; }}" + CLOCK_LOOKS
        )
        self._policy = policy
        self._incidents = incidents
        self._load = load
        self._reduced_motion = reduced_motion
        self.focused_id: int | None = None
        self.private = True  # the shared screen starts safe
        self._data: FocusedData | None = None
        self._now: datetime | None = None

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._build_focused())
        self.grid_page = QWidget(self)
        self.grid = QGridLayout(self.grid_page)
        self.grid.setSpacing(18)
        self.grid_tiles: list[tuple[Incident, _GridTile]] = []
        self.stack.addWidget(self.grid_page)
        self.banner = QLabel(self)
        self.banner.setObjectName("presenterMuted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 20, 28, 16)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.banner)
        bind(self, PRESENTER_KEYS)
        fit_to_screen(self, 1280, 720)

    # -- construction ------------------------------------------------------------------------
    def _build_focused(self) -> QWidget:
        page = QWidget(self)
        self.badge = QLabel(page)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setAccessibleName("Severity")
        self.title = QLabel(page)
        self.title.setWordWrap(True)
        self.status = QLabel(page)
        self.status.setObjectName("presenterMuted")
        self.elapsed = _Clock("Since declared", page)
        self.next_update = _Clock("Next update", page)
        self.response = _Clock("Response", page)
        self.roles = QLabel(page)
        self.roles.setWordWrap(True)
        self.mitigation = QLabel(page)
        self.mitigation.setWordWrap(True)
        self.events = QLabel(page)
        self.events.setWordWrap(True)
        self.events.setTextFormat(Qt.TextFormat.PlainText)
        self.events.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        header = QHBoxLayout()
        header.addWidget(self.badge)
        header.addWidget(self.title, 1)
        header.addWidget(self.status)
        tiles = QHBoxLayout()
        tiles.setSpacing(18)
        for tile in (self.elapsed, self.next_update, self.response):
            tiles.addWidget(tile, 1)
        column = QVBoxLayout(page)
        column.setSpacing(14)
        column.addLayout(header)
        column.addLayout(tiles)
        column.addWidget(self.roles)
        column.addWidget(self.mitigation)
        column.addWidget(self.events, 1)
        return page

    # -- what to show -----------------------------------------------------------------------
    def focus(self, incident_id: int | None) -> None:
        self.focused_id = incident_id
        self.refresh()

    def refresh(self) -> None:
        """Reloads data after a change; the tick only moves the clocks."""
        self._data = self._load(self.focused_id) if self.focused_id is not None else None
        if self._data is None:
            self._fill_grid()
            self.stack.setCurrentWidget(self.grid_page)
        else:
            self._fill_focused(self._data)
            self.stack.setCurrentIndex(0)
        self._apply_sizes()
        if self._now is not None:
            self.on_tick(self._now)

    def _fill_focused(self, data: FocusedData) -> None:
        incident = data.incident
        self._style_badge(self.badge, incident)
        self.title.setText(incident.shown_title)
        self.status.setText(incident.status.label.upper())
        names = [
            f"{role.label}: {incident.roles[role]}" for role in Role if incident.roles.get(role)
        ]
        if not incident.commander:
            names.insert(0, "⚠ No incident commander")
        self.roles.setText("   ·   ".join(names))
        self.events.setText(self._events_text(data.events))

    _events_year: int | None = None  # the year the events' times were written against

    def _events_text(self, events: list[TimelineEvent]) -> str:
        """The latest rows, newest first; a time of another year shows the year, and a row
        written down well after it happened says so."""
        latest = [e for e in events if e.kind is not EventKind.FIELD_EDITED][-LATEST_EVENTS:]
        now = self._now or datetime.now(UTC)  # the year only, until the first tick
        self._events_year = now.year
        return "\n".join(
            f"{timeline_text(e.at, now)}   {shared_screen_text(e, self.private)}"
            + ("   (entered later)" if entered_after_the_fact(e) else "")
            for e in reversed(latest)
        )

    def _fill_grid(self) -> None:
        open_incidents = [i for i in self._incidents() if i.status.is_open]
        if [i.id for i in open_incidents] == [i.id for i, _t in self.grid_tiles]:
            self.grid_tiles = [
                (incident, tile)
                for incident, (_old, tile) in zip(open_incidents, self.grid_tiles, strict=True)
            ]
            for incident, tile in self.grid_tiles:
                self._fill_tile(tile, incident)
            return  # same incidents: the tiles stay, only their texts follow
        while self.grid.count():
            item = self.grid.takeAt(0)
            assert item is not None  # the layout still holds count() items
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        columns = 1 if len(open_incidents) <= 1 else 2 if len(open_incidents) <= 4 else 3
        self.grid_tiles = []
        for index, incident in enumerate(open_incidents):
            tile = _GridTile(self.grid_page)
            self._fill_tile(tile, incident)
            self.grid.addWidget(tile, index // columns, index % columns)
            self.grid_tiles.append((incident, tile))
        if not open_incidents:
            empty = QLabel("No open incidents", self.grid_page)
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(empty, 0, 0)

    def _fill_tile(self, tile: _GridTile, incident: Incident) -> None:
        self._style_badge(tile.badge, incident)
        tile.title.set_full_text(incident.shown_title)
        tile.detail.set_full_text(
            f"{incident.status.label.upper()}   ·   IC: {incident.commander or '⚠ none'}"
        )

    @staticmethod
    def _style_badge(badge: QLabel, incident: Incident) -> None:
        background, foreground = severity_colours(incident.severity)
        if badge.text() == incident.severity.value:
            return  # restyle only when the severity changes
        badge.setText(incident.severity.value)
        badge.setToolTip(incident.severity.meaning)
        badge.setStyleSheet(
            f"background: {background.name()}; color: {foreground.name()};"
            "border-radius: 10px; padding: 4px 18px; font-weight: bold;"
        )

    # -- the tick -------------------------------------------------------------------------------
    def on_tick(self, now: datetime) -> None:
        self._now = now
        if self._data is not None and self._events_year != now.year:
            self.events.setText(self._events_text(self._data.events))
        blink_on = self._reduced_motion() or now.second % 2 == 0
        policy = self._policy
        if self._data is not None:
            incident = self._data.incident
            self.elapsed.show_value(hms(clocks.elapsed(incident, now)), None, blink_on)
            update = clocks.update_clock(incident, policy, now)
            self.next_update.show_value(update_text(update), update.state, blink_on)
            response = clocks.response_clock(incident, policy, now)
            self.response.show_value(response_text(response), response.state, blink_on)
            self.mitigation.setText(self._mitigation_text(now))
        for incident, tile in self.grid_tiles:
            update = clocks.update_clock(incident, policy, now)
            tile.clock.show_value(update_text(update), update.state, blink_on)
        privacy = (
            "privacy ON: sensitive notes and evidence names hidden"
            if self.private
            else ("privacy OFF")
        )
        self.banner.setText(f"F11 full screen · Ctrl+Shift+H privacy ({privacy})")

    def _mitigation_text(self, now: datetime) -> str:
        assert self._data is not None
        if not self._data.pending:
            return "Mitigation: none in progress"
        parts = []
        for m in self._data.pending:
            subject = m.subject
            assert m.check_back_at is not None
            if now >= m.check_back_at:
                parts.append(f"⚠ {subject}: CHECK BACK NOW (did it work?)")
            else:
                parts.append(f"{subject}: check back in {compact(m.check_back_at - now)}")
        return "Mitigation in progress: " + "   ·   ".join(parts)

    # -- privacy, sizes, keys ----------------------------------------------------------------
    def toggle_privacy(self) -> None:
        self.set_private(not self.private)

    def set_private(self, private: bool) -> None:
        self.private = private
        if self._data is not None:
            self.events.setText(self._events_text(self._data.events))
        if self._now is not None:
            self.on_tick(self._now)

    def next_incident(self) -> None:
        self.step_requested.emit(1)

    def previous_incident(self) -> None:
        self.step_requested.emit(-1)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_sizes()

    def sizes(self) -> dict[str, int]:
        """Pixel sizes from the window height: at 1080 px, clocks are 97 px and severity 65."""
        height = max(self.height(), 360)
        return {
            "clock": round(height * 0.09),
            "severity": round(height * 0.06),
            "title": round(height * 0.05),
            "text": max(18, round(height * 0.032)),
            "caption": max(16, round(height * 0.024)),
        }

    def _apply_sizes(self) -> None:
        size = self.sizes()
        grid_scale = 0.8 if len(self.grid_tiles) <= 4 else 0.6  # more tiles, smaller type
        grid_clock = round(size["clock"] * grid_scale)

        def font(label: QLabel, pixels: int, bold: bool = False) -> None:
            current = QFont(label.font())
            current.setPixelSize(max(pixels, 1))
            current.setBold(bold)
            label.setFont(current)

        font(self.badge, size["severity"], True)
        font(self.title, size["title"], True)
        font(self.status, size["text"], True)
        for clock in (self.elapsed, self.next_update, self.response):
            self._size_clock(clock, size["clock"], size["caption"], font)
        for label in (self.roles, self.mitigation):
            font(label, size["text"])
        font(self.events, size["text"])
        font(self.banner, max(14, size["caption"] // 2 + 6))
        for _incident, tile in self.grid_tiles:
            font(tile.badge, size["severity"], True)
            font(tile.title, round(size["title"] * (grid_scale + 0.2)), True)
            font(tile.detail, round(size["text"] * (grid_scale + 0.2)))
            self._size_clock(tile.clock, grid_clock, size["caption"], font)

    @staticmethod
    def _size_clock(
        clock: _Clock, pixels: int, caption: int, font: Callable[[QLabel, int, bool], None]
    ) -> None:
        clock.target_px = pixels
        font(clock.value, pixels, True)
        font(clock.caption, caption, False)
        clock.fit_text()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
