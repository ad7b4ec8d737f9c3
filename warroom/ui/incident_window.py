"""One incident in detail: every field editable, each change committed and on the timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from warroom.domain import clocks
from warroom.domain.changes import Part
from warroom.domain.clock import Clock
from warroom.domain.clock_text import response_text, update_text
from warroom.domain.clocks import ClockState, Countdown
from warroom.domain.derived import entered_after_the_fact
from warroom.domain.durations import hms
from warroom.domain.edits import EditConflict, Resolution
from warroom.domain.incident import EventKind, Incident, KeyTime, TimelineEvent
from warroom.domain.lifecycle import LIFECYCLE, Role, Status
from warroom.domain.policy import Policy
from warroom.domain.severity import Severity
from warroom.domain.validation import NeedsConfirmation, ValidationError
from warroom.services.incidents import IncidentService, StageRefused
from warroom.services.mitigation import MitigationService, PendingCheckBack
from warroom.ui.check_back_bar import CheckBackBar
from warroom.ui.conflict_dialog import ConflictDialog
from warroom.ui.keys import Key, bind
from warroom.ui.palette import clock_colours, severity_colours
from warroom.ui.qtime import ENTERED_LATER, local_text, same_second, timeline_text
from warroom.ui.time_field import TimeField
from warroom.ui.widgets import ErrorBanner, fit_to_screen

# The window's shortcuts, as F1 lists them.
INCIDENT_KEYS = (
    Key("Ctrl+K", "Acknowledge", "acknowledge"),
    Key("Ctrl+U", "Stakeholder update sent", "mark_update_sent"),
    Key("Ctrl+L", "Write a timeline note", "focus_note"),
    Key("Ctrl+M", "Mitigation wizard", "open_wizard"),
    Key("Ctrl+Shift+U", "Write a stakeholder message from a template", "compose_message"),
    Key("Ctrl+Shift+P", "Post-mortem", "open_postmortem"),
    Key("Ctrl+Shift+E", "Evidence checklist and vault", "open_evidence"),
)
# Text being typed is saved as a draft at most this long after the last keystroke.
DRAFT_DEBOUNCE_MS = 1000
NULLABLE_TIMES = (KeyTime.DETECTED, KeyTime.ACKNOWLEDGED, KeyTime.MITIGATED, KeyTime.RESOLVED)


class ClockTile(QFrame):
    """A caption over a large clock value; its colour and text follow the clock's state."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clockTile")
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("clockCaption")
        self.value = QLabel("—", self)
        self.value.setObjectName("clockValue")
        self.value.setAccessibleName(caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)

    _colours: tuple[str | None, str] | None = None

    def show_value(self, text: str, state: ClockState | None = None) -> None:
        self.value.setText(text)
        colours = clock_colours(state)
        if colours == self._colours:
            return  # restyling repolishes the tile: only when the state changes, not every tick
        self._colours = colours
        if colours:
            background, foreground = colours
            fill = f"background: {background};" if background else ""
            self.setStyleSheet(f"#clockTile {{ {fill} }} QLabel {{ color: {foreground}; }}")
        else:
            self.setStyleSheet("")


class IncidentWindow(QDialog):
    def __init__(
        self,
        incident_id: int,
        service: IncidentService,
        policy: Policy,
        clock: Clock,
        parent: QWidget | None = None,
        mitigations: MitigationService | None = None,
        open_wizard: Callable[[int], Any] | None = None,
        open_postmortem: Callable[[int], Any] | None = None,
        open_message: Callable[[int], Any] | None = None,
        open_evidence: Callable[[int], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        # Each editable field's value as this window last showed it: what a save is based
        # on, so a value someone else saved meanwhile is never overwritten unseen.
        self._shown: dict[str, str] = {}
        self.incident_id = incident_id
        self._service = service
        self._mitigations = mitigations
        self._open_wizard = open_wizard
        self._open_postmortem = open_postmortem
        self._open_message = open_message
        self._open_evidence = open_evidence
        self._policy = policy
        self._clock = clock
        self.incident: Incident = service.get(incident_id)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        fit_to_screen(self, 1180, 760)

        self.error = ErrorBanner(self)
        self.closed_banner = QLabel(
            "This incident is closed. Move it back to an earlier stage to edit it.", self
        )
        self.closed_banner.setObjectName("infoBanner")
        self.restored_banner = QLabel(self)
        self.restored_banner.setObjectName("infoBanner")
        self.restored_banner.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        layout.addLayout(self._build_clocks())
        layout.addLayout(self._build_actions())
        self.check_backs = CheckBackBar(with_incident=False, parent=self)
        self.check_backs.answered.connect(self._answer_check_back)
        layout.addWidget(self.check_backs)
        layout.addWidget(self.error)
        layout.addWidget(self.closed_banner)
        layout.addWidget(self.restored_banner)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_form())
        splitter.addWidget(self._build_timeline())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 700])
        layout.addWidget(splitter, 1)

        # Enter in a field saves that field; it must never press a button by default.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_DEBOUNCE_MS)
        self.draft_timer.timeout.connect(self.save_drafts)
        self.note_edit.textEdited.connect(lambda _text: self.draft_timer.start())
        self.impact_edit.textChanged.connect(self._impact_typed)
        bind(self, INCIDENT_KEYS)
        self._refresh_all()
        self._restore_drafts()
        self.on_tick(clock.now())

    # -- construction ----------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        self.badge = QLabel(self)
        self.badge.setObjectName("severityBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel(self)
        self.heading.setObjectName("incidentHeading")
        self.heading.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("statusLabel")
        row = QHBoxLayout()
        row.addWidget(self.badge)
        row.addWidget(self.heading, 1)
        row.addWidget(self.status_label)
        return row

    def _build_clocks(self) -> QHBoxLayout:
        self.elapsed_tile = ClockTile("Since declared", self)
        self.response_tile = ClockTile("Response", self)
        self.update_tile = ClockTile("Next stakeholder update", self)
        row = QHBoxLayout()
        for tile in (self.elapsed_tile, self.response_tile, self.update_tile):
            row.addWidget(tile, 1)
        return row

    def _build_actions(self) -> QHBoxLayout:
        self.ack_button = QPushButton("&Acknowledge  Ctrl+K", self)
        self.ack_button.setAccessibleName("Acknowledge")
        self.ack_button.clicked.connect(self.acknowledge)
        self.update_button = QPushButton("Stakeholder &update sent  Ctrl+U", self)
        self.update_button.setAccessibleName("Stakeholder update sent")
        self.update_button.clicked.connect(self.mark_update_sent)
        self.wizard_button = QPushButton("Mi&tigate…  Ctrl+M", self)
        self.wizard_button.setAccessibleName("Open the mitigation wizard")
        self.wizard_button.setToolTip(
            "Mitigate before you investigate: triage, then roll back, scale, fail over, "
            "disable, redirect, rate-limit, one change at a time"
        )
        self.wizard_button.clicked.connect(self.open_wizard)
        self.wizard_button.setVisible(self._open_wizard is not None)
        self.message_button = QPushButton("Message…  Ctrl+Shift+U", self)
        self.message_button.setAccessibleName("Write a stakeholder message")
        self.message_button.clicked.connect(self.compose_message)
        self.message_button.setVisible(self._open_message is not None)
        self.postmortem_button = QPushButton("&Post-mortem…", self)
        self.postmortem_button.setAccessibleName("Open the post-mortem")
        self.postmortem_button.setToolTip("Write the post-mortem (Ctrl+Shift+P)")
        self.postmortem_button.clicked.connect(self.open_postmortem)
        self.postmortem_button.setVisible(self._open_postmortem is not None)
        self.evidence_button = QPushButton("&Evidence…", self)
        self.evidence_button.setAccessibleName("Open the evidence checklist and vault")
        self.evidence_button.setToolTip("Preserve logs, metrics and state (Ctrl+Shift+E)")
        self.evidence_button.clicked.connect(self.open_evidence)
        self.evidence_button.setVisible(self._open_evidence is not None)
        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Lifecycle stage")
        for status in LIFECYCLE:
            self.status_combo.addItem(status.label, status.value)
        self.move_button = QPushButton("&Move", self)
        self.move_button.setAccessibleName("Move to the chosen stage")
        self.move_button.clicked.connect(self.move_status)
        row = QHBoxLayout()
        row.addWidget(self.ack_button)
        row.addWidget(self.update_button)
        row.addWidget(self.wizard_button)
        row.addWidget(self.message_button)
        row.addWidget(self.evidence_button)
        row.addWidget(self.postmortem_button)
        row.addStretch(1)
        row.addWidget(QLabel("Stage", self))
        row.addWidget(self.status_combo)
        row.addWidget(self.move_button)
        return row

    def _build_form(self) -> QScrollArea:
        details = QGroupBox("Details", self)
        self.title_edit = QLineEdit(details)
        self.title_edit.setAccessibleName("Title")
        self.title_edit.editingFinished.connect(self._save_title)
        self.severity_combo = QComboBox(details)
        self.severity_combo.setAccessibleName("Severity")
        self.severity_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.severity_combo.setMinimumContentsLength(16)
        for severity in Severity:
            short = severity.meaning.split(":")[0]
            self.severity_combo.addItem(f"{severity.value} — {short}", severity.value)
            self.severity_combo.setItemData(
                severity.rank, severity.meaning, Qt.ItemDataRole.ToolTipRole
            )
        self.severity_reason = QLineEdit(details)
        self.severity_reason.setPlaceholderText("Why (optional)")
        self.severity_reason.setAccessibleName("Reason for the severity change")
        self.severity_button = QPushButton("Change", details)
        self.severity_button.setAccessibleName("Change severity")
        self.severity_button.clicked.connect(self.change_severity)
        # When the change took effect: empty is now; typed from a chat log, its own time.
        self.severity_when = TimeField(
            details, near=self.incident.declared_at, empty_text="when: now"
        )
        self.severity_when.setAccessibleName("When the severity changed")
        severity_row = QGridLayout()
        severity_row.addWidget(self.severity_combo, 0, 0, 1, 2)
        severity_row.addWidget(self.severity_reason, 1, 0)
        severity_row.addWidget(self.severity_button, 1, 1)
        severity_row.addWidget(self.severity_when, 2, 0)
        severity_row.addWidget(self.severity_when.message, 3, 0, 1, 2)
        self.impact_edit = QPlainTextEdit(details)
        self.impact_edit.setAccessibleName("Impact summary")
        self.impact_edit.setTabChangesFocus(True)
        self.impact_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.impact_edit.installEventFilter(self)
        self.drill_check = QCheckBox("Drill or exercise (left out of metrics)", details)
        self.drill_check.clicked.connect(self._save_drill)
        form = QFormLayout(details)
        form.addRow("Title", self.title_edit)
        form.addRow("Severity", severity_row)
        form.addRow("Impact", self.impact_edit)
        form.addRow("", self.drill_check)

        roles = QGroupBox("Roles", self)
        roles_form = QFormLayout(roles)
        self.role_edits: dict[Role, QLineEdit] = {}
        for role in Role:
            role_edit = QLineEdit(roles)
            role_edit.setAccessibleName(role.label)
            role_edit.setPlaceholderText("unassigned")
            role_edit.editingFinished.connect(self._role_saver(role))
            self.role_edits[role] = role_edit
            roles_form.addRow(role.label, role_edit)

        times = QGroupBox("Key times", self)
        times_form = QFormLayout(times)
        self.time_edits: dict[KeyTime, TimeField] = {}
        for key in KeyTime:
            edit = TimeField(times, near=self.incident.impact_started_at)
            edit.setAccessibleName(key.label)
            edit.editingFinished.connect(self._time_saver(key))
            self.time_edits[key] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            if key in NULLABLE_TIMES:
                clear = QToolButton(times)
                clear.setText("✕")  # small, so the field keeps room for its zone
                clear.setToolTip(f"Clear {key.label.lower()}")
                clear.setAccessibleName(f"Clear {key.label}")
                clear.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes field to field
                clear.clicked.connect(self._time_clearer(key))
                row.addWidget(clear)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addLayout(row)
            cell.addWidget(edit.message)
            times_form.addRow(key.label, cell)

        body = QWidget(self)
        column = QVBoxLayout(body)
        for group in (details, roles, times):
            column.addWidget(group)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _build_timeline(self) -> QWidget:
        box = QGroupBox("Timeline", self)
        self.timeline_table = QTableWidget(0, 3, box)
        self.timeline_table.setAccessibleName("Timeline")
        self.timeline_table.setHorizontalHeaderLabels(["When (local)", "Who", "What"])
        self.timeline_table.verticalHeader().setVisible(False)
        self.timeline_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline_table.setWordWrap(True)
        header = self.timeline_table.horizontalHeader()
        # "When" and "Who" as wide as their widest cell, widened by _fit_columns as rows come
        # (ResizeToContents would measure every row again after every change).
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Wrapped rows need their height recomputed whenever the text column changes width.
        header.sectionResized.connect(lambda *_: self.timeline_table.resizeRowsToContents())

        self.note_edit = QLineEdit(box)
        self.note_edit.setPlaceholderText("Add a note to the timeline (Ctrl+L), Enter to save")
        self.note_edit.setAccessibleName("New timeline note")
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_time = TimeField(box, empty_text="now")
        self.note_time.setAccessibleName("When the noted event happened")
        self.note_time.setToolTip(
            "Follows the clock; change it for events entered after the fact. "
            + self.note_time.toolTip()
        )
        self.note_time.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 44)
        self.note_time.edited.connect(self._note_time_edited)
        self.note_time.returnPressed.connect(self.add_note)
        self._note_time_live = True
        self.note_now = QToolButton(box)
        self.note_now.setText("Now")
        self.note_now.setAccessibleName("Note time: now")
        self.note_now.clicked.connect(self._note_time_to_now)
        self.note_sensitive = QCheckBox("Sensitive", box)
        self.note_sensitive.toggled.connect(lambda _on: self.draft_timer.start())
        self.note_sensitive.setToolTip(
            "Customer names, security details: hidden on the shared screen when privacy is on"
        )
        self.note_button = QPushButton("Add note", box)
        self.note_button.clicked.connect(self.add_note)
        entry = QHBoxLayout()
        entry.addWidget(self.note_edit, 1)
        entry.addWidget(self.note_button)
        when = QHBoxLayout()  # the note's time on its own line: the zone needs the room
        when.addWidget(QLabel("at", box))
        when.addWidget(self.note_time, 1)
        when.addWidget(self.note_now)
        when.addWidget(self.note_sensitive)

        layout = QVBoxLayout(box)
        layout.addWidget(self.timeline_table, 1)
        layout.addLayout(entry)
        layout.addLayout(when)
        layout.addWidget(self.note_time.message)
        return box

    # -- refresh ---------------------------------------------------------------------------
    def on_incident_changed(self, incident_id: int, kind: str) -> None:
        if incident_id == self.incident_id and kind == EventKind.DELETED.value:
            self._deleted = True
            self.close()
            return
        if incident_id == self.incident_id and kind == Part.TIMELINE.value:
            # A note or another row of this window's own: the incident itself is as shown.
            self._show_timeline(self._service.timeline(incident_id))
            return
        if incident_id == self.incident_id:
            incident = self._service.get(incident_id)
            if kind == "refreshed" and incident == self.incident and not self._timeline_moved():
                return  # a change elsewhere in the file: leave the reader's scroll alone
            self.incident = incident
            self._refresh_all()
            self.on_tick(self._clock.now())

    def _refresh_all(self) -> None:
        incident = self.incident
        self.setWindowTitle(f"#{incident.id} {incident.severity.value} {incident.title}")
        background, foreground = severity_colours(incident.severity)
        self.badge.setText(incident.severity.value)
        self.badge.setToolTip(incident.severity.meaning)
        self.badge.setStyleSheet(
            f"background: {background.name()}; color: {foreground.name()};"
            "border-radius: 6px; padding: 4px 12px; font-weight: bold;"
        )
        self.heading.setText(incident.shown_title)
        commander = incident.commander or "⚠ no incident commander"
        self.status_label.setText(f"{incident.status.label}  ·  IC: {commander}")
        self.status_combo.setCurrentIndex(self.status_combo.findData(incident.status.value))
        if self._set_unless_editing(self.title_edit, incident.title):
            self._shown["title"] = incident.title
        self.severity_combo.setCurrentIndex(self.severity_combo.findData(incident.severity.value))
        if not self.impact_edit.hasFocus() and not self._impact_dirty:
            self._loading = True
            self.impact_edit.setPlainText(incident.impact)
            self._loading = False
            self._shown["impact"] = incident.impact
        self.drill_check.setChecked(incident.is_drill)
        for role, role_edit in self.role_edits.items():
            if self._set_unless_editing(role_edit, incident.roles.get(role, "")):
                self._shown[role.value] = incident.roles.get(role, "")
        for key, time_edit in self.time_edits.items():
            if not time_edit.hasFocus():
                time_edit.set_near(incident.impact_started_at)
                time_edit.set_value(incident.key_time(key))
        closed = incident.status is Status.CLOSED
        self.closed_banner.setVisible(closed)
        for widget in self._editors():
            widget.setEnabled(not closed)
        self.ack_button.setEnabled(not closed and incident.acknowledged_at is None)
        self._show_timeline(self._service.timeline(self.incident_id))
        self.wizard_button.setEnabled(incident.status.is_open)
        self._refresh_check_backs()

    def _refresh_check_backs(self) -> None:
        if self._mitigations is None:
            return
        pending: list[PendingCheckBack] = []
        if self.incident.status.is_open:
            pending = [
                PendingCheckBack(self.incident, m)
                for m in self._mitigations.mitigations(self.incident_id)
                if m.unverified
            ]
        self.check_backs.set_pending(pending, self._clock.now())

    def _editors(self) -> list[QWidget]:
        return [
            self.ack_button,
            self.update_button,
            self.title_edit,
            self.severity_combo,
            self.severity_reason,
            self.severity_button,
            self.severity_when,
            self.impact_edit,
            self.drill_check,
            self.note_edit,
            self.note_time,
            self.note_now,
            self.note_button,
            self.note_sensitive,
            *self.role_edits.values(),
            *self.time_edits.values(),
        ]

    @staticmethod
    def _set_unless_editing(edit: QLineEdit, text: str) -> bool:
        """Shows `text` unless the user is typing in `edit`; True when it did."""
        if not edit.hasFocus() or not edit.isModified():
            edit.setText(text)
            edit.setModified(False)
            return True
        return False

    _events: list[TimelineEvent] = []
    _events_year: int | None = None  # the year the rows' dates were written against

    def _timeline_moved(self) -> bool:
        return self._service.timeline(self.incident_id) != self._events

    def _show_timeline(self, events: list[TimelineEvent]) -> None:
        """Rewrites only the rows from the first one that differs: a note appends one row,
        a backdated one rewrites the rows after its place, not the whole timeline."""
        now = self._clock.now()
        year = now.astimezone().year
        kept = 0
        if year == self._events_year:
            for shown, event in zip(self._events, events, strict=False):
                if shown != event:
                    break
                kept += 1
        table = self.timeline_table
        table.setRowCount(len(events))
        for row in range(kept, len(events)):
            self._fill_row(row, events[row], now)
        self._fit_columns(kept, len(events))
        for row in range(kept, len(events)):
            table.resizeRowToContents(row)
        self._events, self._events_year = events, year
        table.scrollToBottom()

    def _fit_columns(self, first: int, end: int) -> None:
        """Widens "When" and "Who" to fit rows first..end-1 (from the first row: fits them
        to every row, as they were when the window opened)."""
        table = self.timeline_table
        header = table.horizontalHeader()
        grid = 1 if table.showGrid() else 0
        for column in (0, 1):
            widest = header.sectionSizeHint(column) if first == 0 else header.sectionSize(column)
            for row in range(first, end):
                hint = table.sizeHintForIndex(table.model().index(row, column)).width() + grid
                widest = max(widest, hint)
            if widest != header.sectionSize(column):
                header.resizeSection(column, widest)

    def _fill_row(self, row: int, event: TimelineEvent, now: datetime) -> None:
        when = timeline_text(event.at, now)
        late = entered_after_the_fact(event)
        if late:
            when += f"\n{ENTERED_LATER}"
        text = ("[sensitive] " if event.data.get("sensitive") else "") + event.text
        for column, cell in enumerate((when, event.actor, text)):
            item = QTableWidgetItem(cell)
            if column == 0:
                item.setToolTip(
                    f"Entered later: written down {timeline_text(event.recorded_at, now)}, "
                    f"happened {timeline_text(event.at, now)}"
                    if late
                    else local_text(event.at)
                )
            self.timeline_table.setItem(row, column, item)

    def on_tick(self, now: datetime) -> None:
        incident = self.incident
        self.elapsed_tile.show_value(hms(clocks.elapsed(incident, now)))
        response = clocks.response_clock(incident, self._policy, now)
        self.response_tile.show_value(response_text(response), response.state)
        update = clocks.update_clock(incident, self._policy, now)
        self.update_tile.show_value(update_text(update), update.state)
        self._tooltip_deadline(self.response_tile, response)
        self._tooltip_deadline(self.update_tile, update)
        if self._note_time_live and not self.note_time.hasFocus():
            self._set_note_time(now)
        self.check_backs.on_tick(now)

    @staticmethod
    def _tooltip_deadline(tile: ClockTile, countdown: Countdown) -> None:
        due = countdown.deadline
        tile.setToolTip("" if due is None else f"Due {local_text(due)}")

    # -- actions ---------------------------------------------------------------------------
    def _run(self, action: Callable[[], Any], revert: Callable[[], None] | None = None) -> bool:
        """Runs one service call; a refusal is shown inline and the widget reverted."""
        try:
            action()
        except ValidationError as exc:
            return self._refused(exc.message, revert)
        self.error.clear_message()
        return True

    def _refused(self, message: str, revert: Callable[[], None] | None) -> bool:
        self.error.show_message(message)
        if revert is not None:
            revert()
        return False

    _asking = False  # a question is on screen: the field it is about must not ask again

    def _run_asking(
        self, action: Callable[[bool], Any], revert: Callable[[], None] | None = None
    ) -> bool:
        """Runs `action(confirmed=False)`; a time far from the incident (NeedsConfirmation)
        is saved only once the user says it is right. Nothing is saved before that."""
        try:
            action(False)
        except NeedsConfirmation as exc:
            self._asking = True
            try:
                sure = self._ask_far_time(exc.message)
            finally:
                self._asking = False
            if sure:
                return self._run(lambda: action(True), revert)
            return self._refused(exc.message + " Not saved.", revert)
        except ValidationError as exc:
            return self._refused(exc.message, revert)
        self.error.clear_message()
        return True

    def _ask_far_time(self, message: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Is the date right?",
            f"{message}\n\nSave it with this time anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def open_wizard(self) -> None:
        if self._open_wizard is not None and self.incident.status.is_open:
            self._open_wizard(self.incident_id)

    def compose_message(self) -> None:
        if self._open_message is not None:
            self._open_message(self.incident_id)

    def open_evidence(self) -> None:
        if self._open_evidence is not None:
            self._open_evidence(self.incident_id)

    def open_postmortem(self) -> None:
        if self._open_postmortem is not None:
            self._open_postmortem(self.incident_id)

    def _answer_check_back(self, mitigation_id: int, worked: bool) -> None:
        assert self._mitigations is not None
        mitigations = self._mitigations
        if self._run(lambda: mitigations.record_outcome(mitigation_id, worked)) and not worked:
            self.open_wizard()  # the next step is the next option in the playbook

    def acknowledge(self) -> None:
        if self.incident.acknowledged_at is None:
            self._run(lambda: self._service.acknowledge(self.incident_id))

    def mark_update_sent(self) -> QDialog:
        """Asks what the update said, to whom and when (ui.update_dialog); OK records it.
        The missed cadences it changes follow in the same transaction."""
        from warroom.ui.update_dialog import UpdateDialog

        service = self._service
        dialog = UpdateDialog(
            service,
            self.incident_id,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.error.clear_message)
        dialog.open()
        self.update_dialog = dialog
        return dialog

    def move_status(self) -> None:
        target = Status(self.status_combo.currentData())
        forward = self.incident.status.order < target.order
        if target is Status.MITIGATED and forward and self._open_wizard is not None:
            # "Mitigated" needs the measurement that showed recovery: the wizard asks.
            self._refresh_all()
            wizard = self._open_wizard(self.incident_id)
            if wizard is not None:
                wizard.go_to_verify()
            return
        try:
            self._service.set_status(self.incident_id, target)
        except StageRefused as refusal:
            # The rule's own sentence; where a stated reason lets the move through, ask it.
            reason = self._ask_reason(refusal.message) if refusal.reason_would_do else None
            if reason is None:
                self._refused(refusal.message, self._refresh_all)
                return
            self._run(
                lambda: self._service.set_status(self.incident_id, target, reason),
                revert=self._refresh_all,
            )
            return
        except ValidationError as exc:
            self._refused(exc.message, self._refresh_all)
            return
        self.error.clear_message()

    def _ask_reason(self, refusal: str) -> str | None:
        """The reason a rule asks for, or None when the user cancels (nothing changes)."""
        self._asking = True
        try:
            text, ok = QInputDialog.getText(
                self, "A reason is needed", f"{refusal}\n\nReason (kept on the timeline):"
            )
        finally:
            self._asking = False
        return text.strip() if ok and text.strip() else None

    def change_severity(self) -> None:
        target = self.severity_combo.currentData()
        reason = self.severity_reason.text()
        when = self.severity_when.value()
        if self.severity_when.error_text():
            return  # the field says what is wrong; nothing is saved
        if self._run_asking(
            lambda confirmed: self._service.change_severity(
                self.incident_id, target, reason, at=when, confirmed=confirmed
            )
        ):
            self.severity_reason.clear()
            self.severity_when.set_value(None)

    def _save_title(self) -> None:
        if self.title_edit.text() != self.incident.title and not self._asking:
            self._save_field(
                "title",
                self.title_edit.text(),
                lambda text, base, chosen: self._service.edit_title(
                    self.incident_id, text, based_on=base, resolution=chosen
                ),
                show=self.title_edit.setText,
                stored=lambda incident: incident.title,
            )

    def save_impact(self) -> None:
        text = self.impact_edit.toPlainText()
        if (
            text.strip() != self.incident.impact
            and not self._asking
            and self._save_field(
                "impact",
                text,
                lambda typed, base, chosen: self._service.edit_impact(
                    self.incident_id, typed, based_on=base, resolution=chosen
                ),
                show=self._show_impact,
                stored=lambda incident: incident.impact,
            )
        ):
            self._impact_dirty = False

    def _show_impact(self, text: str) -> None:
        self._loading = True
        self.impact_edit.setPlainText(text)
        self._loading = False

    def _save_field(
        self,
        field: str,
        typed: str,
        save: Callable[[str, str | None, Resolution | None], Incident],
        show: Callable[[str], None],
        stored: Callable[[Incident], str],
    ) -> bool:
        """Saves `typed` as based on the value this window last showed for `field`. When
        someone else saved another value meanwhile the user chooses (keep theirs, keep
        mine, merge); cancelling saves nothing and leaves what was typed in the field."""
        try:
            incident = save(typed, self._shown.get(field), None)
        except EditConflict as conflict:
            choice = self._ask_conflict(conflict)
            if choice is None:
                self.error.show_message(
                    f"{conflict.label} was not saved: someone else changed it meanwhile. "
                    "What you typed is still here."
                )
                return False
            resolution, text = choice
            try:
                incident = save(text, conflict.theirs, resolution)
            except ValidationError as exc:
                return self._refused(exc.message, None)
        except ValidationError as exc:
            if exc.field == "storage":  # nothing could be saved: keep what was typed
                return self._refused(exc.message, None)
            return self._refused(exc.message, lambda: show(stored(self.incident)))
        self.error.clear_message()
        self._shown[field] = stored(incident)
        show(stored(incident))
        return True

    def _ask_conflict(self, conflict: EditConflict) -> tuple[Resolution, str] | None:
        dialog = ConflictDialog(conflict, self)
        self._asking = True
        try:
            dialog.exec()
        finally:
            self._asking = False
        return dialog.choice

    def _save_drill(self, checked: bool) -> None:
        self._run(
            lambda: self._service.set_drill(self.incident_id, checked),
            revert=lambda: self.drill_check.setChecked(self.incident.is_drill),
        )

    def _role_saver(self, role: Role) -> Callable[[], None]:
        def save() -> None:
            edit = self.role_edits[role]
            if edit.text().strip() != self.incident.roles.get(role, "") and not self._asking:
                self._save_field(
                    role.value,
                    edit.text(),
                    lambda text, base, chosen: self._service.assign_role(
                        self.incident_id, role, text, based_on=base, resolution=chosen
                    ),
                    show=edit.setText,
                    stored=lambda incident: incident.roles.get(role, ""),
                )

        return save

    def _time_saver(self, key: KeyTime) -> Callable[[], None]:
        def save() -> None:
            edit = self.time_edits[key]
            if self._asking:
                return
            value = edit.value()
            if edit.error_text():
                return  # the field says what is wrong; nothing is saved
            if not same_second(value, self.incident.key_time(key)):
                self._set_time(key, value)

        return save

    def _time_clearer(self, key: KeyTime) -> Callable[[], None]:
        return lambda: self._set_time(key, None)

    def _set_time(self, key: KeyTime, value: datetime | None) -> None:
        def revert() -> None:
            self.time_edits[key].set_value(self.incident.key_time(key))

        self._run_asking(
            lambda sure: self._service.set_key_time(self.incident_id, key, value, sure), revert
        )

    def add_note(self) -> None:
        text = self.note_edit.text()
        if not text.strip():
            self.note_edit.setFocus()
            return
        at = None if self._note_time_live else self.note_time.value()
        if self.note_time.error_text():
            return  # the field says what is wrong; nothing is saved
        sensitive = self.note_sensitive.isChecked()
        if self._asking:
            return
        if self._run_asking(
            lambda sure: self._service.add_note(
                self.incident_id, text, at=at, sensitive=sensitive, confirmed=sure
            )
        ):
            self.note_edit.clear()
            self.note_sensitive.setChecked(False)
            self._note_time_to_now()

    def focus_note(self) -> None:
        self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _set_note_time(self, now: datetime) -> None:
        self.note_time.set_near(now)
        if self.note_time.value() != now:
            self.note_time.set_value(now)

    def _note_time_edited(self) -> None:
        self._note_time_live = False

    def _note_time_to_now(self) -> None:
        self._note_time_live = True
        self._set_note_time(self._clock.now())

    # -- drafts: nothing typed is lost to a crash ------------------------------------------
    _loading = False
    _impact_dirty = False

    def _impact_typed(self) -> None:
        if not self._loading:
            self._impact_dirty = self.impact_edit.toPlainText().strip() != self.incident.impact
            self.draft_timer.start()

    def _restore_drafts(self) -> None:
        drafts = self._service.drafts(self.incident_id)
        restored = []
        if drafts.get("note"):
            self.note_edit.setText(drafts["note"])
            self.note_sensitive.setChecked(bool(drafts.get("note_sensitive")))
            restored.append("a note not yet added")
        if drafts.get("impact") and drafts["impact"] != self.incident.impact:
            self._loading = True
            self.impact_edit.setPlainText(drafts["impact"])
            self._loading = False
            self._impact_dirty = True
            restored.append("an impact summary not yet saved")
        if restored:
            self.restored_banner.setText("Restored " + " and ".join(restored) + ".")
            self.restored_banner.show()

    def save_drafts(self) -> None:
        """Called at most DRAFT_DEBOUNCE_MS after typing stops, and on close."""
        self.draft_timer.stop()
        if self._deleted or self.incident.status is Status.CLOSED:
            return
        impact = self.impact_edit.toPlainText() if self._impact_dirty else ""
        try:
            self._service.save_draft(self.incident_id, "note", self.note_edit.text())
            sensitive = self.note_sensitive.isChecked() and bool(self.note_edit.text())
            self._service.save_draft(self.incident_id, "note_sensitive", "1" if sensitive else "")
            self._service.save_draft(self.incident_id, "impact", impact)
        except ValidationError as exc:  # shown, but never clears another message
            self.error.show_message(exc.message)

    # -- saving on the way out -------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.impact_edit and event.type() == QEvent.Type.FocusOut:
            self.save_impact()
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Row heights depend on the final column widths, known only once laid out.
        QTimer.singleShot(0, self.timeline_table.resizeRowsToContents)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.flush()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.flush()
        super().done(result)

    _deleted = False

    def flush(self) -> None:
        """Saves text still being typed, so closing never loses it."""
        if self._deleted or self.incident.status is Status.CLOSED:
            return
        if self.title_edit.isModified():
            self._save_title()
        self.save_impact()
        self.save_drafts()
        for role in Role:
            if self.role_edits[role].isModified():
                self._role_saver(role)()
