"""The main window: the incident board, or a call to action when there is nothing on it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.changes import ChangeSet, Part
from warroom.domain.clock import Clock
from warroom.domain.policy import Policy
from warroom.ui import attention
from warroom.ui.attention import STRIP_ROWS, Strip
from warroom.ui.board_model import BoardModel
from warroom.ui.board_view import BoardView
from warroom.ui.bridge import ServiceBridge
from warroom.ui.check_back_bar import CheckBackBar
from warroom.ui.postmortem_due_bar import PostmortemDueBar
from warroom.ui.reminders import ReminderStrip
from warroom.ui.reminders_list import MoreBar
from warroom.ui.shortcut_guard import guard_shortcuts
from warroom.ui.ticker import Ticker
from warroom.ui.widgets import ErrorBanner, fit_to_screen

if TYPE_CHECKING:  # imported when first used, to keep them out of the cold start
    from warroom.domain.incident import Incident
    from warroom.domain.playbook import Playbook
    from warroom.domain.reminders import Reminder, RotatingEvidence
    from warroom.services.cadence import CadenceService
    from warroom.services.evidence import EvidenceService
    from warroom.services.graph import Services
    from warroom.services.incidents import IncidentService
    from warroom.services.metrics import MetricsService
    from warroom.services.mitigation import MitigationService, PendingCheckBack
    from warroom.services.postmortems import PostmortemDue, PostmortemService
    from warroom.system.settings import Actor
    from warroom.ui.declare_dialog import DeclareDialog
    from warroom.ui.drill_delivery import DrillDelivery
    from warroom.ui.drill_start_dialog import DrillStartDialog
    from warroom.ui.drills_page import DrillsPage
    from warroom.ui.evidence_panel import EvidencePanel
    from warroom.ui.facilitator_view import FacilitatorView
    from warroom.ui.incident_window import IncidentWindow
    from warroom.ui.mitigation_wizard import MitigationWizard
    from warroom.ui.postmortem_editor import PostmortemEditor
    from warroom.ui.presenter import FocusedData, PresenterWindow
    from warroom.ui.reminders import ReminderCenter
    from warroom.ui.reminders_list import RemindersList
    from warroom.ui.theme import Theme
    from warroom.ui.update_dialog import UpdateDialog
    from warroom.ui.your_name import YourNameDialog

# What the strips above the board show (check-backs, post-mortem due clocks, rotating
# evidence), and what the presenter shows of its incident.
STRIP_PARTS = (Part.INCIDENT, Part.DELETED, Part.MITIGATIONS, Part.POSTMORTEM, Part.EVIDENCE)
PRESENTER_PARTS = (Part.INCIDENT, Part.TIMELINE, Part.MITIGATIONS, Part.DELETED)


def _deliver_to(
    window: Any, incident_id: int, interest: frozenset[Part]
) -> Callable[[ChangeSet], None]:
    """A change set, as the window's `on_incident_changed(incident_id, kind)`, when it
    touches what the window shows of its incident. `kind` is "deleted", "refreshed" for
    another process's change (the window compares before redrawing), else the part."""

    def deliver(changes: ChangeSet) -> None:
        parts = changes.parts_of(incident_id)
        if Part.DELETED in parts:
            window.on_incident_changed(incident_id, "deleted")
        elif parts & interest:
            kind = "refreshed" if not changes.local else sorted(parts & interest)[0].value
            window.on_incident_changed(incident_id, kind)

    return deliver


def _when_touching(refresh: Callable[[], None], *parts: Part) -> Callable[[ChangeSet], None]:
    def deliver(changes: ChangeSet) -> None:
        if changes.touches_any(*parts):
            refresh()

    return deliver


# Changes seen in the file (ours or another warroom's) refresh the reminder strips this
# long after the file goes quiet, not at every tick of an autosave burst.
STRIPS_SETTLE_MS = 1500
# The strips' lists are recomputed for the incidents a change names; a change naming more
# than this many (a long burst from another warroom, or the whole file after the change
# log was pruned) is recomputed over every incident at once instead.
WHOLE_RECOMPUTE_OVER = 50
# After the first sweep for missed update deadlines, each minute's looks again at the
# deadlines that passed this long before the previous sweep too (a deadline on the dot).
CADENCE_SWEEP_OVERLAP = timedelta(minutes=2)

PlaybookLoader = Callable[[], "tuple[list[Playbook], list[str]]"]


def load_user_playbooks() -> tuple[list[Playbook], list[str]]:
    from warroom.system.paths import resolve_paths
    from warroom.system.settings import load_playbooks

    return load_playbooks(resolve_paths())


class EmptyState(QWidget):
    def __init__(self, declare: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        heading = QLabel("No open incidents", self)
        heading.setObjectName("emptyHeading")
        body = QLabel(
            "When something breaks, declare it first: the clocks start, the timeline\n"
            "records every decision, and everyone sees the same board.",
            self,
        )
        body.setObjectName("emptyBody")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Declare incident   Ctrl+N", self)
        self.button.setObjectName("primaryButton")
        self.button.setAccessibleName("Declare incident")
        self.button.clicked.connect(declare.trigger)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (heading, body):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)


class MainWindow(QMainWindow):
    """The board. It can open before the service exists, showing `initial_incidents` (read
    quickly at start-up) until `attach` makes it live and editable."""

    def __init__(
        self,
        services: Services | None,
        policy: Policy,
        clock: Clock,
        ticker: Ticker,
        location: str,
        title_suffix: str | None = None,
        initial_incidents: list[Incident] | None = None,
        playbook_loader: PlaybookLoader = load_user_playbooks,
        actor: Actor | None = None,
        initial_logged: int | None = None,
    ) -> None:
        super().__init__()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            guard_shortcuts(app)  # a focused field never swallows the app's own keys
        self.service: IncidentService | None = None
        self.mitigations: MitigationService | None = None
        # Set (to environment variables for the new start) when joining or leaving a
        # shared war room closes this window to start warroom again on it.
        self.restart_requested: dict[str, str] | None = None
        self._unsubscribe_unavailable: Callable[[], None] | None = None
        self._playbook_loader = playbook_loader
        self.wizards: dict[int, MitigationWizard] = {}
        self.editors: dict[int, PostmortemEditor] = {}
        self.presenter: PresenterWindow | None = None
        self.evidence: EvidenceService | None = None
        self.cadence: CadenceService | None = None
        self._cadence_minute: datetime | None = None  # missed cadences: once a minute
        self._cadence_swept: datetime | None = None  # when they were last looked for
        # Per incident, the passed update deadline a sweep already looked at.
        self._cadence_settled: dict[int, datetime] = {}
        self.evidence_panels: dict[int, EvidencePanel] = {}
        self.facilitators: dict[int, FacilitatorView] = {}  # one per drill
        self.drill_delivery: DrillDelivery | None = None
        self._services: Services | None = None  # the drills and metrics: built on first use
        self._rotating: list[RotatingEvidence] = []  # pending evidence with a rotation time
        self.reminders: ReminderCenter | None = None
        self._pending_mitigations: list = []  # for the reminders
        # Everything the strips could show; they show the most urgent STRIP_ROWS of it.
        self._due: list[Reminder] = []
        self._pending: list[PendingCheckBack] = []
        self._write_ups: list[PostmortemDue] = []
        self._initial_logged: int | None = None
        self._strips_held = False  # while a data change arranges the strips itself
        self._ranking = attention.Ranking()
        self._attention: Sequence[attention.Item] = []
        self._rerank_at: datetime | None = None  # when an item next changes urgency
        self.reminders_list: RemindersList | None = None
        self._strips_timer = QTimer(self)
        self._strips_timer.setSingleShot(True)
        self._strips_timer.setInterval(STRIPS_SETTLE_MS)
        self._strips_timer.timeout.connect(self._strips_settled)
        self._strips_ids: set[int] = set()  # what another warroom changed, until it settles
        self.policy = policy
        self.clock = clock
        self.ticker = ticker
        self.bridge: ServiceBridge | None = None
        self.incident_windows: dict[int, IncidentWindow] = {}
        self.actor = actor  # who is at the keyboard; None: the service's own
        self.setWindowTitle("warroom" + (f" — {title_suffix}" if title_suffix else ""))
        self._restore_geometry()

        self.declare_action = QAction("&Declare incident…", self)
        self.declare_action.setShortcut(QKeySequence.StandardKey.New)
        self.declare_action.setToolTip("Declare a new incident (Ctrl+N)")
        self.declare_action.triggered.connect(self.declare_incident)
        self.open_action = QAction("&Open incident", self)
        self.open_action.setToolTip("Open the selected incident (Enter)")
        self.open_action.triggered.connect(self._open_selected)
        self.show_closed_action = QAction("Show &resolved and closed", self)
        self.show_closed_action.setCheckable(True)
        self.show_closed_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.show_closed_action.toggled.connect(self._reload)
        self.wizard_action = QAction("&Mitigation wizard…", self)
        self.wizard_action.setShortcut(QKeySequence("Ctrl+M"))
        self.wizard_action.setToolTip(
            "Mitigate before you investigate: triage, then each option in order (Ctrl+M)"
        )
        self.wizard_action.triggered.connect(self._wizard_for_selected)
        self.postmortem_action = QAction("&Post-mortem…", self)
        self.postmortem_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.postmortem_action.setToolTip("Write the selected incident's post-mortem")
        self.postmortem_action.triggered.connect(self._postmortem_for_selected)
        self.action_items_action = QAction("Open &action items…", self)
        self.action_items_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.action_items_action.setToolTip("Every action item not done, across incidents")
        self.action_items_action.triggered.connect(self.show_action_items)
        self.metrics_action = QAction("&Metrics…", self)
        self.metrics_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.metrics_action.setToolTip("Response times, post-mortems and trends by severity")
        self.metrics_action.triggered.connect(self.show_metrics)
        self.presenter_action = QAction("&Presenter mode", self)
        self.presenter_action.setShortcut(QKeySequence("F11"))
        self.presenter_action.setToolTip(
            "A second window for the shared screen, readable across the room (F11)"
        )
        self.presenter_action.triggered.connect(self.open_presenter)
        self.next_action = QAction("&Next incident", self)
        self.next_action.setShortcut(QKeySequence("Ctrl+PgDown"))
        self.next_action.triggered.connect(lambda: self.step_selection(1))
        self.previous_action = QAction("P&revious incident", self)
        self.previous_action.setShortcut(QKeySequence("Ctrl+PgUp"))
        self.previous_action.triggered.connect(lambda: self.step_selection(-1))
        self.note_action = QAction("Add a &note…", self)
        self.note_action.setShortcut(QKeySequence("Ctrl+L"))
        self.note_action.setToolTip("Open the selected incident at its note field (Ctrl+L)")
        self.note_action.triggered.connect(self._note_for_selected)
        self.update_action = QAction("Stakeholder &update sent", self)
        self.update_action.setShortcut(QKeySequence("Ctrl+U"))
        self.update_action.setToolTip("Record an update sent for the selected incident (Ctrl+U)")
        self.update_action.triggered.connect(self._update_sent_for_selected)
        self.reduced_motion_action = QAction("Reduce &motion", self)
        self.reduced_motion_action.setCheckable(True)
        self.reduced_motion_action.setToolTip("Overdue clocks stay steady red instead of blinking")
        self.reduced_motion_action.setChecked(
            bool(QSettings().value("view/reduced_motion", False, type=bool))
        )
        self.reduced_motion_action.toggled.connect(
            lambda on: QSettings().setValue("view/reduced_motion", on)
        )
        self.sound_action = QAction("&Sound for reminders", self)
        self.sound_action.setCheckable(True)
        self.sound_action.setChecked(
            bool(QSettings().value("view/reminder_sound", False, type=bool))
        )
        self.sound_action.toggled.connect(
            lambda on: QSettings().setValue("view/reminder_sound", on)
        )
        self.reminders_list_action = QAction("All &reminders…", self)
        self.reminders_list_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.reminders_list_action.setToolTip(
            "Every reminder, check-back and post-mortem due, one row per incident"
        )
        self.reminders_list_action.triggered.connect(self.show_reminders_list)
        self.help_action = QAction("&Keyboard shortcuts", self)
        self.help_action.setShortcut(QKeySequence("F1"))
        self.help_action.triggered.connect(self.show_shortcuts)
        self.delete_action = QAction("De&lete incident…", self)
        self.delete_action.setShortcut(QKeySequence("Ctrl+Shift+Delete"))
        self.delete_action.setToolTip("Delete the selected incident and its timeline for good")
        self.delete_action.triggered.connect(self.delete_selected)
        self.name_action = QAction("Your &name…", self)
        self.name_action.setToolTip(
            "The name on your timeline entries; acknowledging makes you the incident commander"
        )
        self.name_action.triggered.connect(self.ask_name)
        self.start_drill_action = QAction("S&tart a drill…", self)
        self.start_drill_action.setToolTip(
            "Practise: a scenario declared as a [DRILL] incident, its injects on a drill clock"
        )
        self.start_drill_action.triggered.connect(self.start_drill)
        self.facilitate_action = QAction("&Facilitate drill…", self)
        self.facilitate_action.setToolTip(
            "The selected drill's injects, controls and scorecard, for the facilitator"
        )
        self.facilitate_action.triggered.connect(self._facilitate_selected)
        self.drills_page_action = QAction("&Drills…", self)
        self.drills_page_action.setToolTip("Every drill run and its scores over time")
        self.drills_page_action.triggered.connect(self.show_drills)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        incident_menu = self.incident_menu = self.menuBar().addMenu("&Incident")
        incident_menu.addActions(
            [
                self.declare_action,
                self.open_action,
                self.note_action,
                self.update_action,
                self.wizard_action,
                self.postmortem_action,
            ]
        )
        incident_menu.addSeparator()
        incident_menu.addActions([self.next_action, self.previous_action])
        incident_menu.addSeparator()
        incident_menu.addAction(self.delete_action)
        incident_menu.addSeparator()
        incident_menu.addActions([self.start_drill_action, self.facilitate_action])
        incident_menu.addSeparator()
        incident_menu.addAction(self.name_action)
        incident_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.show_closed_action)
        view_menu.addAction(self.action_items_action)
        view_menu.addAction(self.metrics_action)
        view_menu.addAction(self.reminders_list_action)
        view_menu.addAction(self.drills_page_action)
        view_menu.addSeparator()
        view_menu.addAction(self.presenter_action)
        view_menu.addAction(self.reduced_motion_action)
        view_menu.addAction(self.sound_action)
        self.theme_menu = view_menu.addMenu("&Theme")
        self._build_theme_menu()
        hints = QGuiApplication.styleHints()
        if hints is not None:  # "follow the system" follows it live, too
            hints.colorSchemeChanged.connect(self._system_scheme_changed)
        self.menuBar().addMenu("&Help").addAction(self.help_action)

        toolbar = QToolBar("Board", self)
        toolbar.setObjectName("boardToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.declare_action)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.wizard_action)
        toolbar.addAction(self.presenter_action)
        toolbar.addSeparator()
        toolbar.addAction(self.show_closed_action)
        self.addToolBar(toolbar)

        self.model = BoardModel(policy, clock.now(), self)
        self.board = BoardView(self)
        self.board.show_board(self.model)
        self.board.open_requested.connect(self._open_if_live)
        self.empty = EmptyState(self.declare_action, self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.board)
        self.reminder_strip = ReminderStrip(self)
        self.reminder_strip.snooze_requested.connect(self._snooze)
        self.reminder_strip.open_requested.connect(self._open_if_live)
        self.check_backs = CheckBackBar(with_incident=True, parent=self, snoozable=True)
        self.check_backs.answered.connect(self._answer_check_back)
        self.check_backs.snooze_requested.connect(self._snooze_check_back)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        # A shared war room whose server went away: said at once, above everything.
        self.unreachable_banner = ErrorBanner(self)
        self.unreachable_banner.setAccessibleName("Shared war room unreachable")
        column.addWidget(self.unreachable_banner)
        self.due_bar = PostmortemDueBar(self)
        self.due_bar.open_requested.connect(self.open_postmortem)
        # The strips, in the order of their most urgent row, then "+N more", then the board.
        self._strips_column = QVBoxLayout()
        self._strips_column.setSpacing(4)
        self._strips_order: tuple[Strip, ...] = tuple(Strip)
        for strip in self._strips_order:
            self._strips_column.addWidget(self._strip(strip))
        column.addLayout(self._strips_column)
        self.more_bar = MoreBar(self)
        self.more_bar.button.clicked.connect(self.show_reminders_list)
        column.addWidget(self.more_bar)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.summary = QLabel(self)
        self.statusBar().addWidget(self.summary, 1)
        place = QLabel(f"Data: {location}", self)
        place.setObjectName("dataPath")
        self.statusBar().addPermanentWidget(place)

        ticker.ticked.connect(self._on_tick)
        self.model.rowsInserted.connect(self._update_summary)
        self.model.rowsRemoved.connect(self._update_summary)
        self.model.modelReset.connect(self._update_summary)
        if services is not None:
            self.attach(services)
        else:
            self.model.set_incidents(initial_incidents or [])
            # The change log's newest entry when they were read: going live keeps them when
            # nothing was logged since (IncidentService.newest_logged).
            self._initial_logged = initial_logged
            self._set_live(False)
        if actor is not None and not actor.chosen:
            QTimer.singleShot(0, self.ask_name)  # nobody said who acts: ask, once shown

    def attach(self, services: Services, *, write_ups_after: bool = False) -> None:
        """Makes the board live on `services` (built by warroom.bootstrap). With
        `write_ups_after` (the app's start) the post-mortem due clocks, a read of every
        resolved incident, are read from the event loop once the actions are on, so
        thousands of past incidents do not hold the board back."""
        service = services.incidents
        self.service = service
        if self.actor is not None:  # named while the database was opening
            service.actor = self.actor.name
        self.mitigations = services.mitigations
        self.evidence = services.evidence
        self._services = services
        self.cadence = services.cadence
        if self.evidence.warnings:
            QMessageBox.warning(self, "Evidence checklist", "\n\n".join(self.evidence.warnings))
        self.bridge = ServiceBridge(service, self)
        self.bridge.changed.connect(self._on_changes)
        from warroom.ui.live_notices import LiveNotices

        # Another laptop's changes as soon as their notice arrives (a shared war room).
        self.live_notices = LiveNotices(service, self.ticker, self)
        service.when_reachability_changes(self._on_reachability)
        from warroom.ui.errors import when_storage_unavailable

        # A refresh that found the server gone tells the banner, not an error dialog.
        self._unsubscribe_unavailable = when_storage_unavailable(service.report_unreachable)
        self._start_reminders(service)
        self._start_drill_delivery(services)
        self._set_live(True)
        self._reload(write_ups=not write_ups_after)
        if write_ups_after:  # with the window as context: not called once it is gone
            QTimer.singleShot(0, self, self._read_write_ups)

    def _set_live(self, live: bool) -> None:
        actions = (
            self.declare_action,
            self.open_action,
            self.show_closed_action,
            self.delete_action,
            self.wizard_action,
            self.postmortem_action,
            self.action_items_action,
            self.note_action,
            self.update_action,
            self.metrics_action,
            self.start_drill_action,
            self.facilitate_action,
            self.drills_page_action,
        )
        for action in actions:
            action.setEnabled(live)
        self.empty.button.setEnabled(live)
        if not live:
            self.summary.setText("Opening the database…")
        else:  # going live may keep the quick read's rows (no reset): say what they hold
            self._update_summary()

    # -- board contents --------------------------------------------------------------------
    def showing_closed(self) -> bool:
        return self.show_closed_action.isChecked()

    def _reload(self, *, write_ups: bool = True) -> None:
        assert self.service is not None
        shown, self._initial_logged = self._initial_logged, None  # true once, at going live
        if shown is None or self.showing_closed() or shown != self.service.newest_logged():
            selected = self.board.selected_incident_id()
            with_closed = self.showing_closed()
            self.model.set_incidents(self.service.list_incidents(include_closed=with_closed))
            if selected is not None:
                self.board.select_incident(selected)
        self._after_data_change(write_ups=write_ups)

    def _read_write_ups(self) -> None:
        """Every post-mortem due clock, read anew; the strips show them."""
        if self.postmortems is not None:
            self._write_ups = self.postmortems.due()
            self._arrange_strips()

    def _on_changes(self, changes: ChangeSet) -> None:
        """Refreshes only what the change set touches: a board row whose incident changed,
        the strips when what they show changed, the presenter when its incident did."""
        from warroom.services.incidents import IncidentNotFound

        assert self.service is not None
        for change in changes.changes:
            if Part.DELETED in change.parts:
                self.model.remove(change.incident_id)
            elif Part.INCIDENT in change.parts:
                try:
                    incident = self.service.get(change.incident_id)
                except IncidentNotFound:
                    self.model.remove(change.incident_id)
                    continue
                if incident.status.is_open or self.showing_closed():
                    self.model.upsert(incident)
                else:
                    self.model.remove(change.incident_id)
        self._update_summary()
        touched = {c.incident_id for c in changes.changes if c.parts & set(STRIP_PARTS)}
        if touched:
            if changes.local:
                self._after_data_change(touched)
            else:  # another warroom's burst (an autosave a second) settles first
                self._strips_ids |= touched
                self._strips_timer.start()
        focused = self.presenter.focused_id if self.presenter is not None else None
        if focused is not None and changes.touches(focused, *PRESENTER_PARTS):
            assert self.presenter is not None
            self.presenter.refresh()

    def _on_reachability(self, message: str | None) -> None:
        """A shared war room's server gone (message) or back (None)."""
        if message is None:
            self.unreachable_banner.clear_message()
            self.statusBar().showMessage("The shared war room is back; the board caught up.", 8000)
            return
        since = self.clock.now().astimezone().strftime("%H:%M:%S")
        self.unreachable_banner.show_message(
            f"⚠ {since}: {message} Nothing can be saved until it is back: each action says "
            "so, and what you type stays in its field. Reconnecting…"
        )

    def _on_tick(self, now: datetime) -> None:
        if self.service is not None:
            self.service.poll_elsewhere()  # announced like our own changes
        if self.service is not None and self.service.unreachable is None:
            # The update deadlines that passed with no update, written at most once a minute.
            minute = now.replace(second=0, microsecond=0)
            if self.cadence is not None and self._cadence_minute != minute:
                from warroom.services.incidents import ValidationError

                self._cadence_minute = minute
                try:
                    self._record_missed(now)
                except ValidationError as exc:  # a busy or read-only file: the next minute
                    self.statusBar().showMessage(exc.message, 8000)
            if self.drill_delivery is not None:
                self.drill_delivery.on_tick(now)  # reads nothing unless an inject is due
        self.model.tick(now, self.board.visible_rows())  # the clock cells on screen
        if self.reminders is not None:
            self.reminders.on_tick(now)
        if self._rerank_at is not None and now >= self._rerank_at:
            self._arrange_strips()
        self.check_backs.on_tick(now)
        self.due_bar.on_tick(now)
        if self.reminders_list is not None and self.reminders_list.isVisible():
            self.reminders_list.on_tick(now)
        if self.presenter is not None:
            self.presenter.on_tick(now)

    def _record_missed(self, now: datetime) -> None:
        """Writes the update deadlines that passed with no update: over every incident the
        first time (what passed while no warroom was watching), then only for the incidents
        on the board whose update deadline passed since the previous sweep and was not yet
        looked at, all in one transaction. An edit settles its own incident's misses in its
        transaction (services.cadence.after_edit, here or in another warroom), so a
        deadline passing unedited is the one thing left to catch."""
        from warroom.domain.clocks import update_deadline

        assert self.cadence is not None and self.service is not None
        since = self._cadence_swept
        if since is None:
            self.cadence.record_missed(now)
        else:
            policy = self.service.policy
            start = since - CADENCE_SWEEP_OVERLAP
            settled = self._cadence_settled
            passed: dict[int, datetime] = {}
            for incident in self.model.incidents():
                deadline = update_deadline(incident, policy)
                # A deadline is missed once it is past, not on the dot (domain.cadence).
                if (
                    incident.status.is_open
                    and deadline is not None
                    and start < deadline < now
                    and settled.get(incident.id) != deadline
                ):
                    passed[incident.id] = deadline
            if passed:
                self.cadence.record_missed_among(now, passed.keys())
                settled.update(passed)
        self._cadence_swept = now

    def _registries(self) -> tuple[dict[int, Any], ...]:
        """Every window that belongs to one incident, by kind."""
        return (self.incident_windows, self.wizards, self.editors, self.evidence_panels)

    def _open_child(self, registry: dict[int, Any], incident_id: int, make: Callable[[], Any]):
        """One window per incident and kind: made once, kept on the tick and the change
        announcements, forgotten when it closes, raised when asked for again."""
        assert self.bridge is not None
        window = registry.get(incident_id)
        if window is None:
            window = make()
            self.ticker.ticked.connect(window.on_tick)
            interest = self._interest(registry)
            deliver = _deliver_to(window, incident_id, interest)
            self.bridge.changed.connect(deliver)
            bridge = self.bridge

            def forget(*_: object) -> None:
                # The window deletes itself on close: a closure still connected would
                # hand the next change to a deleted object.
                if registry.get(incident_id) is window:
                    del registry[incident_id]
                    bridge.changed.disconnect(deliver)

            window.finished.connect(forget)
            window.destroyed.connect(forget)
            registry[incident_id] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _interest(self, registry: dict[int, Any]) -> frozenset[Part]:
        """The parts of its incident a kind of window shows."""
        if registry is self.evidence_panels:
            return frozenset({Part.INCIDENT, Part.EVIDENCE})
        if registry is self.editors:
            return frozenset({Part.INCIDENT, Part.TIMELINE, Part.POSTMORTEM})
        if registry is self.wizards:
            return frozenset({Part.INCIDENT, Part.TIMELINE, Part.MITIGATIONS, Part.EVIDENCE})
        return frozenset(set(Part) - {Part.DRAFTS})  # the incident window shows it all

    def _exists(self, incident_id: int) -> bool:
        from warroom.services.incidents import IncidentNotFound

        assert self.service is not None
        try:
            self.service.get(incident_id)
        except IncidentNotFound:
            return False
        return True

    def _update_summary(self) -> None:
        incidents = self.model.incidents()
        open_incidents = [i for i in incidents if i.status.is_open]
        open_count = len(open_incidents)
        no_ic = sum(1 for i in open_incidents if not i.commander)
        parts = [f"{open_count} open incident" + ("" if open_count == 1 else "s")]
        if no_ic:
            parts.append(f"{no_ic} without a commander")
        self.summary.setText(" · ".join(parts))
        self.stack.setCurrentWidget(self.board if incidents else self.empty)

    # -- actions -------------------------------------------------------------------------
    def declare_incident(self) -> DeclareDialog:
        from warroom.ui.declare_dialog import DeclareDialog

        assert self.service is not None
        dialog = DeclareDialog(self.service, self.clock, self.policy, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._after_declare(dialog))
        dialog.open()
        return dialog

    def _after_declare(self, dialog: DeclareDialog) -> None:
        if dialog.declared is not None:
            self.board.select_incident(dialog.declared.id)

    def delete_selected(self) -> None:
        incident_id = self.board.selected_incident_id()
        if self.service is None or incident_id is None:
            return
        from warroom.domain.evidence import deleted_text
        from warroom.domain.validation import ValidationError

        incident = self.service.get(incident_id)
        files = self.evidence.vault_file_count(incident_id) if self.evidence else 0
        answer = QMessageBox.warning(
            self,
            "Delete incident?",
            f"Delete #{incident.id} “{incident.title}”, its whole timeline"
            f"{deleted_text(files)}?\n\n"
            "This cannot be undone; only backups taken before now will still hold it "
            "(backups hold no evidence files).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self.evidence is None:
            self.service.delete_incident(incident_id)
            return
        try:
            self.evidence.delete_incident(incident_id)
        except ValidationError as exc:  # deleted, but its files could not all be removed
            QMessageBox.warning(self, "Evidence files left behind", exc.message)

    def _strips_settled(self) -> None:
        incident_ids, self._strips_ids = self._strips_ids, set()
        self._after_data_change(incident_ids)

    def _after_data_change(
        self, incident_ids: Collection[int] | None = None, *, write_ups: bool = True
    ) -> None:
        """The reminder strips (check-backs, post-mortem due clocks, rotating evidence) and
        the presenter. Queried when the data changes, never on the tick: for `incident_ids`
        only (the incidents a change set names; the other incidents' entries are kept as
        they are), or for every incident (None: the first load, the show-closed toggle, a
        change naming more than WHOLE_RECOMPUTE_OVER incidents). `write_ups=False` leaves
        the post-mortem due clocks as they are (`_read_write_ups` reads them)."""
        from warroom.services.mitigation import check_back_order

        ids = None
        if incident_ids is not None and len(incident_ids) <= WHOLE_RECOMPUTE_OVER:
            ids = set(incident_ids)
        if self.mitigations is not None:
            if ids is None:
                self._pending = self.mitigations.pending_check_backs()
            else:
                kept = [p for p in self._pending if p.incident.id not in ids]
                found = self.mitigations.pending_check_backs_for(ids)
                self._pending = sorted(kept + found, key=check_back_order)
            self._pending_mitigations = [p.mitigation for p in self._pending]
        if write_ups and self.postmortems is not None:
            if ids is None:
                self._write_ups = self.postmortems.due()
            else:
                from warroom.services.postmortems import due_order

                fresh = self.postmortems.due_for(ids)
                if fresh or not ids.isdisjoint(self._ranking.write_up_incidents(self._write_ups)):
                    still = [d for d in self._write_ups if d.incident.id not in ids]
                    self._write_ups = sorted(still + fresh, key=due_order)
                # else the same list: the strips' ranking keeps its write-up items
        if self.evidence is not None:
            self._rotating = self._scheduled_rotations(ids)
        if self.presenter is not None:
            self.presenter.refresh()
        if self.reminders is not None:
            # Reminders that changed are shown by the one arrangement below, not twice.
            self._strips_held = True
            try:
                self.reminders.on_tick(self.clock.now())
            finally:
                self._strips_held = False
        self._arrange_strips()

    # -- reminders ---------------------------------------------------------------------------
    def _start_reminders(self, service: IncidentService) -> None:
        from warroom.ui.reminders import DesktopNotifier, ReminderCenter

        def status(text: str) -> None:
            self.statusBar().showMessage(text, 15_000)

        self.reminders = ReminderCenter(
            service,
            self.policy,
            self.model.incidents,
            lambda: self._pending_mitigations,
            self._rotating_evidence,
            DesktopNotifier(self, status),
            self.sound_action.isChecked,
            self,
            revision=lambda: self.model.revision,
        )
        self.check_backs.snoozed = self.reminders.snoozed
        self.reminders.due_changed.connect(self._show_reminders)

    def _rotating_evidence(self) -> list[RotatingEvidence]:
        return self._rotating

    def _scheduled_rotations(self, incident_ids: set[int] | None) -> list[RotatingEvidence]:
        """Every rotation (None), or the current list with these incidents' re-read."""
        from warroom.domain.reminders import RotatingEvidence

        assert self.evidence is not None
        if incident_ids is None:
            found = self.evidence.rotations()
            kept: list[RotatingEvidence] = []
        else:
            found = self.evidence.rotations_for(incident_ids)
            kept = [r for r in self._rotating if r.incident_id not in incident_ids]
        fresh = [
            RotatingEvidence(incident.id, item.id, item.name, item.rotates_at)
            for incident, item in found
            if item.rotates_at is not None
        ]
        if not kept:
            return fresh
        return sorted(kept + fresh, key=lambda r: (r.rotates_at, r.item_id))

    def open_evidence(self, incident_id: int) -> EvidencePanel:
        from warroom.ui.evidence_panel import EvidencePanel

        assert self.evidence is not None
        evidence = self.evidence
        return self._open_child(
            self.evidence_panels,
            incident_id,
            lambda: EvidencePanel(incident_id, evidence, self.clock, self),
        )

    def _show_reminders(self, due: list[Reminder]) -> None:
        self._due = due
        self.model.set_due(attention.due_now(due))
        if not self._strips_held:
            self._arrange_strips()

    def _strip(self, strip: Strip) -> QWidget:
        strips: dict[Strip, QWidget] = {
            Strip.REMINDER: self.reminder_strip,
            Strip.CHECK_BACK: self.check_backs,
            Strip.POSTMORTEM: self.due_bar,
        }
        return strips[strip]

    def _arrange_strips(self) -> None:
        """The strips show the STRIP_ROWS most urgent items in all (the rest are one click
        away, under "+N more"), and the strip with the most urgent row comes first."""
        now = self.clock.now()
        incidents = {incident.id: incident for incident in self.model.incidents()}
        items = self._ranking.collect(self._due, self._pending, self._write_ups, incidents, now)
        shown = items.top(STRIP_ROWS)

        def subjects(strip: Strip) -> list[Any]:
            return [item.subject for item in shown if item.strip is strip]

        self.reminder_strip.show_reminders(subjects(Strip.REMINDER))
        self.check_backs.set_pending(subjects(Strip.CHECK_BACK), now)
        self.due_bar.set_due(subjects(Strip.POSTMORTEM), now)
        order = tuple(dict.fromkeys([item.strip for item in shown] + list(Strip)))
        if order != self._strips_order:
            self._strips_order = order
            for index, strip in enumerate(order):
                self._strips_column.insertWidget(index, self._strip(strip))
        self.more_bar.show_more(items, shown)
        self._attention = items
        self._rerank_at = items.next_change
        if self.reminders_list is not None and self.reminders_list.isVisible():
            self.reminders_list.show_items(items, now)

    def show_reminders_list(self) -> RemindersList:
        """Everything due, one row per incident, with the strips' actions."""
        from warroom.ui.reminders_list import RemindersList

        if self.reminders_list is None:
            listing = RemindersList(self)
            listing.open_requested.connect(self._open_if_live)
            listing.snooze_requested.connect(self._snooze)
            listing.answered.connect(self._answer_check_back)
            listing.postmortem_requested.connect(self.open_postmortem)
            self.reminders_list = listing
        self.reminders_list.show_items(self._attention, self.clock.now())
        self.reminders_list.show()
        self.reminders_list.raise_()
        self.reminders_list.activateWindow()
        return self.reminders_list

    def _snooze(self, reminder, minutes: int) -> None:
        from warroom.domain.validation import ValidationError

        assert self.reminders is not None
        try:
            self.reminders.snooze(reminder, minutes, self.clock.now())
        except ValidationError as exc:
            QMessageBox.warning(self, "Not snoozed", exc.message)

    def _snooze_check_back(self, mitigation_id: int, minutes: int) -> None:
        assert self.reminders is not None
        key = f"check_back:{mitigation_id}"
        for reminder in self.reminders.due:
            if reminder.key == key:
                self._snooze(reminder, minutes)
                return

    def _answer_check_back(self, mitigation_id: int, worked: bool) -> None:
        from warroom.domain.validation import ValidationError

        assert self.mitigations is not None
        try:
            mitigation = self.mitigations.record_outcome(mitigation_id, worked)
        except ValidationError as exc:
            QMessageBox.warning(self, "Check-back not recorded", exc.message)
            return
        if not worked:  # the next step is the next option in the playbook
            self.open_wizard(mitigation.incident_id)

    def _wizard_for_selected(self) -> None:
        incident_id = self.board.selected_incident_id()
        if self.service is not None and incident_id is not None:
            self.open_wizard(incident_id)

    def open_wizard(self, incident_id: int) -> MitigationWizard | None:
        from warroom.ui.mitigation_wizard import MitigationWizard

        assert self.mitigations is not None and self.bridge is not None
        assert self.service is not None
        if not self.service.get(incident_id).status.is_open:
            self.statusBar().showMessage(
                f"#{incident_id} is resolved: move it back to active to mitigate again.", 8000
            )
            return None
        mitigations = self.mitigations

        def make() -> MitigationWizard:
            playbooks, warnings = self._playbook_loader()  # read afresh: a team may edit them
            return MitigationWizard(incident_id, mitigations, self.clock, playbooks, warnings, self)

        return self._open_child(self.wizards, incident_id, make)

    # -- presenter mode, navigation and view settings --------------------------------------------
    def open_presenter(self) -> PresenterWindow:
        from warroom.ui.presenter import PresenterWindow

        if self.presenter is None:
            presenter = PresenterWindow(
                self.policy,
                self.model.incidents,
                self._presenter_data,
                self.reduced_motion_action.isChecked,
                self,
            )
            presenter.closed.connect(self._presenter_closed)
            self.board.selection_changed.connect(presenter.focus)
            presenter.step_requested.connect(self.step_selection)
            self.presenter = presenter
            presenter.focus(self.board.selected_incident_id())
            presenter.on_tick(self.clock.now())
        self.presenter.show()
        self.presenter.raise_()
        return self.presenter

    def _presenter_closed(self) -> None:
        self.presenter = None

    def _presenter_data(self, incident_id: int) -> FocusedData | None:
        from warroom.services.incidents import IncidentNotFound
        from warroom.ui.presenter import FocusedData

        if self.service is None or self.mitigations is None:
            return None
        try:
            incident = self.service.get(incident_id)
        except IncidentNotFound:
            return None
        pending = [m for m in self.mitigations.mitigations(incident_id) if m.unverified]
        return FocusedData(incident, self.service.timeline(incident_id), pending)

    def step_selection(self, step: int) -> None:
        """Next or previous incident on the board; the presenter follows the selection."""
        incidents = self.model.incidents()
        if not incidents:
            return
        current = self.model.row_of(self.board.selected_incident_id() or -1)
        row = 0 if current is None else (current + step) % len(incidents)
        self.board.select_incident(incidents[row].id)

    def _note_for_selected(self) -> None:
        incident_id = self.board.selected_incident_id()
        if self.service is not None and incident_id is not None:
            self.open_incident(incident_id).focus_note()

    def _update_sent_for_selected(self) -> UpdateDialog | None:
        """Asks what the update said, to whom and when; OK records it. One entered after
        the fact writes the update deadlines it leaves missed at once."""
        incident_id = self.board.selected_incident_id()
        service = self.service
        if service is None or incident_id is None:
            return None
        from warroom.ui.update_dialog import UpdateDialog

        dialog = UpdateDialog(
            service,
            incident_id,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.statusBar().showMessage(
                f"Stakeholder update recorded for #{incident_id}", 5000
            )
        )
        dialog.open()
        self.update_dialog = dialog
        return dialog

    def _build_theme_menu(self) -> None:
        from PySide6.QtGui import QActionGroup

        from warroom.ui.theme import SYSTEM, THEME_LABELS

        group = QActionGroup(self)
        chosen = str(QSettings().value("view/theme", SYSTEM))
        for key, label in THEME_LABELS.items():
            action = self.theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key == chosen)
            action.setData(key)
            group.addAction(action)
        group.triggered.connect(lambda action: self.set_theme(action.data()))

    def set_theme(self, key: str) -> None:
        from warroom.ui.theme import apply_theme

        QSettings().setValue("view/theme", key)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.use_icons(apply_theme(app, key))
        self.model.restyle()

    def _system_scheme_changed(self, *_args: object) -> None:
        from warroom.ui.theme import SYSTEM

        if str(QSettings().value("view/theme", SYSTEM)) == SYSTEM:
            self.set_theme(SYSTEM)

    def use_icons(self, theme: Theme) -> None:
        """Toolbar icons drawn in the theme's text colour."""
        from warroom.ui.theme import themed_icon

        for action, name in (
            (self.declare_action, "declare"),
            (self.open_action, "open"),
            (self.wizard_action, "mitigate"),
            (self.presenter_action, "presenter"),
            (self.postmortem_action, "postmortem"),
            (self.help_action, "help"),
        ):
            action.setIcon(themed_icon(name, theme))

    # -- who acts ----------------------------------------------------------------------------
    _name_dialog: YourNameDialog | None = None

    def ask_name(self) -> YourNameDialog:
        from warroom.ui.your_name import YourNameDialog

        if self._name_dialog is not None:  # already asking
            self._name_dialog.raise_()
            return self._name_dialog
        chosen = self.actor is not None and self.actor.chosen
        current = self.actor.name if self.actor is not None and chosen else ""
        dialog = YourNameDialog(current, first_time=not chosen, parent=self)
        dialog.named.connect(self.set_actor_name)
        dialog.finished.connect(lambda _result: setattr(self, "_name_dialog", None))
        self._name_dialog = dialog
        dialog.open()
        return dialog

    def set_actor_name(self, name: str) -> None:
        """From now on, this name is on every timeline entry made here."""
        from warroom.system.settings import Actor, ActorSource

        self.actor = Actor(name, ActorSource.SETTINGS)
        if self.service is not None:
            self.service.actor = name
        self.statusBar().showMessage(f"Timeline entries made here now say “{name}”.", 8000)

    def show_shortcuts(self):
        from warroom.ui.shortcuts_help import ShortcutsHelp

        dialog = ShortcutsHelp(self)
        dialog.show()
        return dialog

    def _postmortem_for_selected(self) -> None:
        incident_id = self.board.selected_incident_id()
        if self.service is not None and incident_id is not None:
            self.open_postmortem(incident_id)

    def open_postmortem(self, incident_id: int) -> PostmortemEditor:
        from warroom.ui.postmortem_editor import PostmortemEditor

        assert self.postmortems is not None
        postmortems = self.postmortems
        return self._open_child(
            self.editors,
            incident_id,
            lambda: PostmortemEditor(incident_id, postmortems, self.clock, self),
        )

    def open_message(self, incident_id: int):
        from warroom.ui.status_message_dialog import StatusMessageDialog

        assert self.postmortems is not None
        dialog = StatusMessageDialog(incident_id, self.postmortems, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_action_items(self):
        from warroom.ui.action_items_view import ActionItemsView

        assert self.postmortems is not None and self.bridge is not None
        view = ActionItemsView(self.postmortems, self.clock.now, self.open_postmortem, self)
        self.bridge.changed.connect(_when_touching(view.refresh, Part.POSTMORTEM, Part.DELETED))
        view.show()
        return view

    @property
    def postmortems(self) -> PostmortemService | None:
        """Built on first use: the board goes live before the due clocks are read."""
        return self._services.postmortems if self._services is not None else None

    @property
    def metrics(self) -> MetricsService | None:
        """Built when first shown: going live never loads the metrics."""
        return self._services.metrics if self._services is not None else None

    def show_metrics(self):
        from warroom.ui.metrics_view import MetricsView

        assert self.metrics is not None and self.bridge is not None
        view = MetricsView(self.metrics, self.clock.now, self)
        shown = (Part.INCIDENT, Part.TIMELINE, Part.POSTMORTEM, Part.DELETED)
        self.bridge.changed.connect(_when_touching(view.refresh, *shown))
        view.show()
        return view

    def _open_if_live(self, incident_id: int) -> None:
        if self.service is not None:
            self.open_incident(incident_id)

    def _open_selected(self) -> None:
        if self.service is None:
            return
        incident_id = self.board.selected_incident_id()
        if incident_id is not None:
            self.open_incident(incident_id)

    def open_incident(self, incident_id: int) -> IncidentWindow:
        from warroom.ui.incident_window import IncidentWindow

        assert self.service is not None
        service = self.service
        return self._open_child(
            self.incident_windows,
            incident_id,
            lambda: IncidentWindow(
                incident_id,
                service,
                self.policy,
                self.clock,
                self,
                mitigations=self.mitigations,
                open_wizard=self.open_wizard,
                open_postmortem=self.open_postmortem,
                open_message=self.open_message,
                open_evidence=self.open_evidence,
            ),
        )

    # -- drills ----------------------------------------------------------------------------
    def _start_drill_delivery(self, services: Services) -> None:
        from warroom.ui.drill_delivery import DrillDelivery

        def notify(title: str, text: str) -> None:
            if self.reminders is not None:  # the reminders' tray or status bar
                self.reminders.notify(title, text)
            else:
                self.statusBar().showMessage(f"{title}: {text}", 15_000)

        delivery = DrillDelivery(
            services, notify, lambda text: self.statusBar().showMessage(text, 8000), self
        )
        assert self.bridge is not None
        self.bridge.changed.connect(delivery.on_changes)
        self._services = services
        self.drill_delivery = delivery

    def start_drill(self) -> DrillStartDialog:
        from warroom.ui.drill_start_dialog import DrillStartDialog

        assert self._services is not None
        dialog = DrillStartDialog(self._services.drills, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.started.connect(self._drill_started)
        dialog.open()
        return dialog

    def _drill_started(self, incident_id: int) -> None:
        self.board.select_incident(incident_id)
        self.open_facilitator(incident_id)

    def _facilitate_selected(self) -> None:
        incident_id = self.board.selected_incident_id()
        if self.service is None:
            return
        if incident_id is None or not self.service.get(incident_id).is_drill:
            self.statusBar().showMessage(
                "Select a drill on the board to facilitate it, or start one: "
                "Incident → Start a drill…",
                8000,
            )
            return
        self.open_facilitator(incident_id)

    def open_facilitator(self, incident_id: int) -> FacilitatorView | None:
        from warroom.services.drills import NotADrill
        from warroom.ui.facilitator_view import FacilitatorView

        assert self._services is not None
        drills = self._services.drills
        try:
            return self._open_child(
                self.facilitators,
                incident_id,
                lambda: FacilitatorView(incident_id, drills, self),
            )
        except NotADrill as exc:  # a drill flagged by hand, not started from a scenario
            self.statusBar().showMessage(exc.message, 8000)
            return None

    def show_drills(self) -> DrillsPage:
        from warroom.ui.drills_page import DrillsPage

        assert self.bridge is not None and self._services is not None
        page = DrillsPage(self._services.drills, self._open_scorecard, self)
        self.bridge.changed.connect(page.on_changes)  # a slot: let go when the page is deleted
        page.show()
        return page

    def _open_scorecard(self, incident_id: int) -> None:
        view = self.open_facilitator(incident_id)
        if view is not None:
            view.show_scorecard()

    def _restore_geometry(self) -> None:
        saved = QSettings().value("main_window/geometry")
        if isinstance(saved, QByteArray) and self.restoreGeometry(saved):
            return
        fit_to_screen(self, 1440, 900)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # A message shown before the window was (a reminder at start-up) left the summary
        # visible under it: QStatusBar hides only visible widgets. Show it again, now.
        message = self.statusBar().currentMessage()
        if message:
            self.statusBar().clearMessage()  # the same text again would be ignored
            self.statusBar().showMessage(message, 15_000)

    def closeEvent(self, event: QCloseEvent) -> None:
        for editor in list(self.editors.values()):
            if not editor.close():  # its text could not be saved and the author kept it open
                event.ignore()
                return
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        if self._name_dialog is not None:
            self._name_dialog.reject()
        for window in list(self.incident_windows.values()):
            window.close()  # flushes any text still being typed
        for wizard in list(self.wizards.values()):
            wizard.reject()  # keeps its place and what is typed
        for panel in list(self.evidence_panels.values()):
            panel.close()  # cancels a copy in progress, leaving nothing half-copied
        for view in list(self.facilitators.values()):
            view.close()
        self.ticker.stop()
        self._strips_timer.stop()  # a closed board reads nothing more
        if self._unsubscribe_unavailable is not None:
            self._unsubscribe_unavailable()
            self._unsubscribe_unavailable = None
        super().closeEvent(event)
