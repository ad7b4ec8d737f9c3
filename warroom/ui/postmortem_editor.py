"""The post-mortem editor: the write-up beside a live Markdown preview, prefilled from the
incident, autosaved as it is typed (at most a second behind) and flushed on close."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QDate, Qt, QTimer, QTimeZone
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.blameless import Hint, blame_hints
from warroom.domain.clock import Clock
from warroom.domain.derived import entered_after_the_fact
from warroom.domain.durations import compact, describe_duration
from warroom.domain.edits import Resolution
from warroom.domain.incident import EventKind, TimelineEvent
from warroom.domain.postmortem import (
    SECTIONS,
    ActionItem,
    AddedRow,
    ItemKind,
    ItemPriority,
    ItemStatus,
    Postmortem,
    PostmortemStatus,
    TimelineEdit,
    key_metrics,
    postmortem_due,
    timeline_rows,
)
from warroom.domain.postmortem_merge import TEXT_FIELDS
from warroom.domain.spans import Measure
from warroom.domain.timefmt import utc_minute_or_missing as format_utc
from warroom.domain.validation import ValidationError
from warroom.services.postmortems import PostmortemConflict, PostmortemService
from warroom.system import atomic
from warroom.ui.conflict_dialog import ConflictDialog
from warroom.ui.keys import Key, bind
from warroom.ui.palette import alert_text
from warroom.ui.qtime import ENTERED_LATER, from_qdatetime, timeline_text, to_qdatetime
from warroom.ui.widgets import ErrorBanner, fit_to_screen, table_cell

AUTOSAVE_MS = 1000
POSTMORTEM_KEYS = (
    Key("Ctrl+S", "Save now (it also saves as you type)", "save"),
    Key("Ctrl+E", "Export Markdown", "export_dialog"),
)
PREVIEW_MS = 300
NO_DEADLINE = QDate(2000, 1, 1)
ITEM_COLUMNS = ("#", "Action", "Owner", "Deadline", "Status", "Priority", "Type")
# What an item's combo box picks from: its status, priority or kind.
Choice = TypeVar("Choice", bound=StrEnum)


class BlameHighlighter(QSyntaxHighlighter):
    """Underlines blame phrasing, gently: a hint, never a block."""

    def __init__(self, document: QTextDocument, responders: list[str], root_cause: bool):
        super().__init__(document)
        self._responders = responders
        self._root_cause = root_cause
        self._format = QTextCharFormat()
        self._format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self._format.setUnderlineColor(QColor("#C26A00"))
        self._format.setBackground(QColor("#FFF1D6"))

    def highlightBlock(self, text: str) -> None:
        for hint in blame_hints(text, self._responders, self._root_cause):
            self.setFormat(hint.start, hint.end - hint.start, self._format)


class PostmortemEditor(QDialog):
    def __init__(
        self,
        incident_id: int,
        postmortems: PostmortemService,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self._service = postmortems
        self._clock = clock
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        fit_to_screen(self, 1280, 800)
        self.incident = postmortems.incidents.get(incident_id)
        self.events: list[TimelineEvent] = postmortems.incidents.timeline(incident_id)
        self.postmortem = postmortems.get(incident_id)
        self.items: list[ActionItem] = list(self.postmortem.action_items)
        self.edits: dict[int, TimelineEdit] = dict(self.postmortem.timeline_edits)
        self.added: list[AddedRow] = list(self.postmortem.added_rows)
        self._loading = True

        self.error = ErrorBanner(self)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        layout.addWidget(self.error)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.tabs = QTabWidget(splitter)
        self.tabs.addTab(self._build_sections(), "&Write")
        self.tabs.addTab(self._build_timeline(), "&Timeline")
        self.tabs.addTab(self._build_items(), "Action &items")
        self.preview = QTextBrowser(splitter)
        self.preview.setAccessibleName("Preview")
        self.preview.setOpenExternalLinks(True)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.preview)
        splitter.setSizes([680, 600])
        layout.addWidget(splitter, 1)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.save)
        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(PREVIEW_MS)
        self.preview_timer.timeout.connect(self.refresh_preview)
        bind(self, POSTMORTEM_KEYS)
        self._fill_timeline()
        self._fill_items()
        self._loading = False
        self.refresh_preview()
        self.on_tick(clock.now())

    # -- construction ----------------------------------------------------------------------
    def _build_header(self) -> QVBoxLayout:
        incident = self.incident
        self.setWindowTitle(f"Post-mortem #{incident.id} {incident.title} — warroom")
        self.title_edit = QLineEdit(self.postmortem.title, self)
        self.title_edit.setAccessibleName("Post-mortem title")
        self.authors_edit = QLineEdit(self.postmortem.authors, self)
        self.authors_edit.setAccessibleName("Authors")
        self.authors_edit.setPlaceholderText("Who wrote it")
        for edit in (self.title_edit, self.authors_edit):
            edit.textEdited.connect(lambda _t: self._changed())
        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Post-mortem status")
        for status in PostmortemStatus:
            self.status_combo.addItem(status.label, status.value)
        self.status_combo.setCurrentIndex(self.status_combo.findData(self.postmortem.status))
        self.status_combo.activated.connect(lambda _i: self._set_status())
        self.export_button = QPushButton("&Export Markdown…  Ctrl+E", self)
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self.export_dialog)
        self.saved_label = QLabel(self)
        self.saved_label.setObjectName("hint")
        self.due_label = QLabel(self)
        self.due_label.setObjectName("dueLabel")
        self.metrics_label = QLabel(self._metrics_text(), self)
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setAccessibleName("Key metrics")
        self.metrics_label.setToolTip(self._metrics_tooltip())

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Title", self.title_edit)
        form.addRow("Authors", self.authors_edit)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        side = QFormLayout()
        side.addRow("Status", self.status_combo)
        side.addRow("", self.export_button)
        top.addLayout(side)
        facts = QHBoxLayout()
        self.metrics_label.setWordWrap(True)  # the measures give way; the state labels never do
        self.saved_label.setMinimumWidth(
            self.saved_label.fontMetrics().horizontalAdvance("Exported to post-mortem-00.md")
        )
        facts.addWidget(self.metrics_label, 1)
        facts.addWidget(self.due_label)
        facts.addWidget(self.saved_label)
        column = QVBoxLayout()
        column.addLayout(top)
        column.addLayout(facts)
        return column

    def _metrics_text(self) -> str:
        incident, metrics = self.incident, key_metrics(self.incident, self.events)

        def span(value: timedelta | None) -> str:
            return "—" if value is None else describe_duration(value)

        measures = " · ".join(
            f"{measure.short_name} {span(value)}" for measure, value in metrics.by_measure.items()
        )
        return (
            f"{incident.severity.value} · {incident.status.label} · declared "
            f"{format_utc(incident.declared_at)}\n{measures[:1].upper()}{measures[1:]}"
        )

    @staticmethod
    def _metrics_tooltip() -> str:
        return "\n".join(f"{m.short_name.capitalize()}: {m.formula}" for m in Measure)

    def _build_sections(self) -> QScrollArea:
        body = QWidget(self)
        column = QVBoxLayout(body)
        self.section_edits: dict[str, QPlainTextEdit] = {}
        self.hint_labels: dict[str, QLabel] = {}
        responders = [name for name in self.incident.roles.values() if name]
        line = self.fontMetrics().lineSpacing()
        for name, heading in SECTIONS:
            label = QLabel(heading, body)
            label.setObjectName("sectionHeading")
            edit = QPlainTextEdit(body)
            edit.setAccessibleName(heading)
            edit.setTabChangesFocus(True)
            edit.setPlainText(getattr(self.postmortem, name))
            edit.setMinimumHeight(line * 4 + 12)
            edit.setMaximumHeight(line * 9 + 12)  # a page of sections, not one huge box
            edit.textChanged.connect(self._changed)
            BlameHighlighter(edit.document(), responders, root_cause=name == "root_cause")
            label.setBuddy(edit)
            hint = QLabel(body)
            hint.setObjectName("blameHint")
            hint.setWordWrap(True)
            hint.hide()
            column.addWidget(label)
            if name == "detection":
                self.gap_label = QLabel(self._gap_text(), body)
                self.gap_label.setAccessibleName("Detection gap")
                column.addWidget(self.gap_label)
            column.addWidget(edit)
            column.addWidget(hint)
            self.section_edits[name] = edit
            self.hint_labels[name] = hint
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _gap_text(self) -> str:
        gap = key_metrics(self.incident, self.events).time_to_detect
        if gap is None:
            return "Detection gap: unknown (set “Detected” in the incident's key times)."
        return f"Detection gap: {describe_duration(gap)} from impact start to detection."

    def _build_timeline(self) -> QWidget:
        page = QWidget(self)
        hint = QLabel(
            "From the incident's record. Untick to leave an event out; edit the text to "
            "reword it here. The incident's own timeline is not changed.",
            page,
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.timeline_table = QTableWidget(0, 3, page)
        self.timeline_table.setAccessibleName("Post-mortem timeline")
        self.timeline_table.setHorizontalHeaderLabels(["Show", "Time (UTC)", "Event"])
        self.timeline_table.verticalHeader().setVisible(False)
        self.timeline_table.setWordWrap(True)
        header = self.timeline_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.timeline_table.itemChanged.connect(self._timeline_item_changed)
        self.add_time = QDateTimeEdit(page)
        self.add_time.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.add_time.setTimeZone(QTimeZone.utc())
        self.add_time.setAccessibleName("Time of the added row (UTC)")
        self.add_time.setDateTime(to_qdatetime(self.incident.declared_at).toUTC())
        self.add_text = QLineEdit(page)
        self.add_text.setAccessibleName("Text of the added row")
        self.add_text.setPlaceholderText("Something the record missed, e.g. a customer report")
        self.add_text.returnPressed.connect(self.add_row)
        add = QPushButton("Add row", page)
        add.setAutoDefault(False)
        add.clicked.connect(self.add_row)
        self.remove_row_button = QPushButton("Remove added row", page)
        self.remove_row_button.setAutoDefault(False)
        self.remove_row_button.clicked.connect(self.remove_added_row)
        entry = QHBoxLayout()
        entry.addWidget(self.add_time)
        entry.addWidget(self.add_text, 1)
        entry.addWidget(add)
        entry.addWidget(self.remove_row_button)
        column = QVBoxLayout(page)
        column.addWidget(hint)
        column.addWidget(self.timeline_table, 1)
        column.addLayout(entry)
        return page

    def _build_items(self) -> QWidget:
        page = QWidget(self)
        self.items_table = QTableWidget(0, len(ITEM_COLUMNS), page)
        self.items_table.setAccessibleName("Action items")
        self.items_table.setHorizontalHeaderLabels(list(ITEM_COLUMNS))
        self.items_table.verticalHeader().setVisible(False)
        self.items_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.items_table.horizontalHeader()
        for index in range(len(ITEM_COLUMNS)):
            header.setSectionResizeMode(index, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.items_table.itemChanged.connect(self._item_text_changed)
        buttons = QHBoxLayout()
        self.item_buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("add", "&Add item", self.add_item),
            ("remove", "&Remove", self.remove_item),
            ("up", "Move &up", lambda: self.move_item(-1)),
            ("down", "Move &down", lambda: self.move_item(1)),
        ):
            button = QPushButton(text, page)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.item_buttons[key] = button
        buttons.addStretch(1)
        column = QVBoxLayout(page)
        column.addWidget(self.items_table, 1)
        column.addLayout(buttons)
        return page

    # -- timeline ----------------------------------------------------------------------------
    def _fill_timeline(self) -> None:
        document = self.document()
        rows = timeline_rows(self.events, document, include_hidden=True)
        table = self.timeline_table
        table.blockSignals(True)
        table.setRowCount(len(rows))
        self._timeline_rows = rows
        now = self._clock.now()
        late = {e.id: e.recorded_at for e in self.events if entered_after_the_fact(e)}
        for index, row in enumerate(rows):
            show = QTableWidgetItem()
            show.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            show.setCheckState(Qt.CheckState.Unchecked if row.hidden else Qt.CheckState.Checked)
            when = QTableWidgetItem(timeline_text(row.at, now, UTC))
            when.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            text = QTableWidgetItem(row.text)
            recorded = late.get(row.event_id) if row.event_id is not None else None
            if recorded is not None:
                when.setText(f"{when.text()}\n{ENTERED_LATER}")
                when.setToolTip(f"Entered later: written down {format_utc(recorded)}")
            if row.event_id is None:
                when.setToolTip("Added in the post-mortem")
                text.setToolTip("Added in the post-mortem")
                show.setFlags(Qt.ItemFlag.NoItemFlags)
            for column, item in enumerate((show, when, text)):
                table.setItem(index, column, item)
        table.blockSignals(False)
        table.resizeRowsToContents()

    def _timeline_item_changed(self, item: QTableWidgetItem) -> None:
        row = self._timeline_rows[item.row()]
        if row.event_id is None:
            if item.column() == 2:
                position = self.added.index(AddedRow(row.at, row.text))
                self.added[position] = AddedRow(row.at, item.text())
                self._timeline_rows[item.row()] = replace(row, text=item.text())
        else:
            original = next(e.text for e in self.events if e.id == row.event_id)
            edit = self.edits.get(row.event_id, TimelineEdit())
            if item.column() == 0:
                edit = replace(edit, hidden=item.checkState() == Qt.CheckState.Unchecked)
            elif item.column() == 2:
                edit = replace(edit, text=None if item.text() == original else item.text())
            if edit == TimelineEdit():
                self.edits.pop(row.event_id, None)
            else:
                self.edits[row.event_id] = edit
        self._changed()

    def add_row(self) -> None:
        text = self.add_text.text().strip()
        if not text:
            self.add_text.setFocus()
            return
        moment = from_qdatetime(self.add_time.dateTime())
        self.added.append(AddedRow(moment, text))
        self.add_text.clear()
        self._fill_timeline()
        self._changed()

    def remove_added_row(self) -> None:
        index = self.timeline_table.currentRow()
        if 0 <= index < len(self._timeline_rows):
            row = self._timeline_rows[index]
            if row.event_id is None:
                self.added.remove(AddedRow(row.at, row.text))
                self._fill_timeline()
                self._changed()
                return
        self.error.show_message(
            "Only rows added here can be removed; untick “Show” to leave a captured event out."
        )

    # -- action items ------------------------------------------------------------------------
    def _fill_items(self) -> None:
        table = self.items_table
        table.blockSignals(True)
        table.setRowCount(len(self.items))
        today = self._clock.now().date()
        for row, item in enumerate(self.items):
            number = QTableWidgetItem(str(row + 1))
            number.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            table.setItem(row, 0, number)
            table.setItem(row, 1, QTableWidgetItem(item.action))
            table.setItem(row, 2, QTableWidgetItem(item.owner))
            table.setCellWidget(row, 3, self._deadline_editor(row, item.deadline))
            table.setCellWidget(row, 4, self._combo(row, "status", ItemStatus, item.status))
            table.setCellWidget(row, 5, self._combo(row, "priority", ItemPriority, item.priority))
            table.setCellWidget(row, 6, self._combo(row, "kind", ItemKind, item.kind))
            self._flag_overdue(row, today)
        table.blockSignals(False)

    def _flag_overdue(self, row: int, today: date) -> None:
        cell = table_cell(self.items_table, row, 0)
        if self.items[row].is_overdue(today):
            cell.setText(f"{row + 1} ⚠ overdue")
            cell.setForeground(QColor(alert_text()))
            cell.setToolTip("The deadline has passed and the item is not done")
        else:
            cell.setText(str(row + 1))
            cell.setData(Qt.ItemDataRole.ForegroundRole, None)
            cell.setToolTip("")

    def _deadline_editor(self, row: int, deadline: date | None) -> QDateEdit:
        editor = QDateEdit(self.items_table)
        editor.setCalendarPopup(True)
        editor.setDisplayFormat("yyyy-MM-dd")
        editor.setMinimumDate(NO_DEADLINE)
        editor.setSpecialValueText("none")
        editor.setDate(
            NO_DEADLINE if deadline is None else QDate(deadline.year, deadline.month, deadline.day)
        )
        editor.setAccessibleName(f"Deadline of item {row + 1}")
        editor.dateChanged.connect(lambda value, row=row: self._set_deadline(row, value))
        return editor

    def _set_deadline(self, row: int, value: QDate) -> None:
        deadline = None if value == NO_DEADLINE else date(value.year(), value.month(), value.day())
        self.items[row] = replace(self.items[row], deadline=deadline)
        self._flag_overdue(row, self._clock.now().date())
        self._changed()

    def _combo(self, row: int, field: str, choices: type[Choice], current: Choice) -> QComboBox:
        combo = QComboBox(self.items_table)
        combo.setAccessibleName(f"{field.capitalize()} of item {row + 1}")
        for choice in choices:
            combo.addItem(getattr(choice, "label", choice.value), choice.value)
        combo.setCurrentIndex(combo.findData(current.value))

        def chosen(_index: int) -> None:
            change: dict[str, Any] = {field: choices(combo.currentData())}
            self.items[row] = replace(self.items[row], **change)
            self._flag_overdue(row, self._clock.now().date())
            self._changed()

        combo.currentIndexChanged.connect(chosen)
        return combo

    def _item_text_changed(self, cell: QTableWidgetItem) -> None:
        field = {1: "action", 2: "owner"}.get(cell.column())
        if field is not None:
            change: dict[str, Any] = {field: cell.text()}
            self.items[cell.row()] = replace(self.items[cell.row()], **change)
            self._changed()

    def add_item(self) -> None:
        self.items.append(ActionItem(action=""))
        self._fill_items()
        row = len(self.items) - 1
        self.items_table.setCurrentCell(row, 1)
        self.items_table.editItem(table_cell(self.items_table, row, 1))
        self._changed()

    def remove_item(self) -> None:
        row = self.items_table.currentRow()
        if 0 <= row < len(self.items):
            del self.items[row]
            self._fill_items()
            self._changed()

    def move_item(self, step: int) -> None:
        row = self.items_table.currentRow()
        target = row + step
        if 0 <= row < len(self.items) and 0 <= target < len(self.items):
            self.items[row], self.items[target] = self.items[target], self.items[row]
            self._fill_items()
            self.items_table.setCurrentCell(target, 1)
            self._changed()

    # -- the document, saving and the preview ----------------------------------------------
    def document(self) -> Postmortem:
        """What the editor shows, as a post-mortem."""
        # Each section is a text field of Postmortem, named by the section.
        sections: dict[str, Any] = {
            name: edit.toPlainText() for name, edit in self.section_edits.items()
        }
        return replace(
            self.postmortem,
            title=self.title_edit.text(),
            authors=self.authors_edit.text(),
            timeline_edits=dict(self.edits),
            added_rows=tuple(self.added),
            action_items=tuple(self.items),
            **sections,
        )

    def _changed(self) -> None:
        if self._loading:
            return
        self.saved_label.setText("Editing…")
        self.autosave_timer.start()
        self.preview_timer.start()

    def save(self) -> bool:
        """Called at most a second after typing stops, on Ctrl+S and on close. Nothing is
        written until the author changes something: opening the editor and closing it
        again leaves no post-mortem and no "Post-mortem started" on the timeline."""
        self.autosave_timer.stop()
        document = self.document()
        if document == self.postmortem:
            return True
        try:
            saved = self._service.save(document, based_on=self.postmortem)
        except PostmortemConflict as conflict:
            resolved = self._resolve(document, conflict)
            if resolved is None:
                self.error.show_message(
                    "Not saved: someone else changed the same parts meanwhile, and no version "
                    "was chosen. What you typed is still here; it is saved once you choose."
                )
                return False
            saved = resolved
        except ValidationError as exc:
            self.error.show_message(f"Not saved: {exc.message}")
            return False
        self.postmortem = saved
        if saved != document:  # what someone else saved meanwhile is merged in: show it
            self._show_document(saved)
        self.error.clear_message()
        self.saved_label.setText(f"Saved {self._clock.now().astimezone().strftime('%H:%M:%S')}")
        return True

    def _resolve(self, mine: Postmortem, conflict: PostmortemConflict) -> Postmortem | None:
        """Asks, field by field, which version to keep; saves the result (asking again
        should yet another save come in meanwhile). None: the author cancelled."""
        while True:
            chosen: dict[str, Resolution] = {}
            values: dict[str, Any] = {}
            for field_conflict in conflict.conflicts:
                dialog = ConflictDialog(
                    field_conflict, self, mergeable=field_conflict.field in TEXT_FIELDS
                )
                dialog.exec()
                if dialog.choice is None:
                    return None
                resolution, text = dialog.choice
                chosen[field_conflict.field] = resolution
                if resolution is Resolution.MINE:
                    values[field_conflict.field] = getattr(mine, field_conflict.field)
                elif resolution is Resolution.MERGED:
                    values[field_conflict.field] = text
            final = replace(conflict.merged, **values)
            try:
                return self._service.save(final, based_on=conflict.stored, resolutions=chosen)
            except PostmortemConflict as again:
                conflict = again

    def _show_document(self, document: Postmortem) -> None:
        """Shows `document` (merged with another author's save) without touching the fields
        whose text is already the same, so the cursor stays where it is."""
        self._loading = True
        try:
            for edit, text in (
                (self.title_edit, document.title),
                (self.authors_edit, document.authors),
            ):
                if edit.text() != text:
                    edit.setText(text)
            for name, box in self.section_edits.items():
                if box.toPlainText() != getattr(document, name):
                    box.setPlainText(getattr(document, name))
            self.items = list(document.action_items)
            self.edits = dict(document.timeline_edits)
            self.added = list(document.added_rows)
            self._fill_timeline()
            self._fill_items()
        finally:
            self._loading = False
        self.preview_timer.start()

    def refresh_preview(self) -> None:
        self.preview_timer.stop()
        document = self.document()
        try:
            markdown = self._service.markdown(self.incident_id, postmortem=document)
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return
        scroll = self.preview.verticalScrollBar().value()
        self.preview.setMarkdown(markdown)
        self.preview.verticalScrollBar().setValue(scroll)
        self._show_hints()

    def _show_hints(self) -> None:
        responders = [name for name in self.incident.roles.values() if name]
        for name, edit in self.section_edits.items():
            hints = blame_hints(edit.toPlainText(), responders, root_cause=name == "root_cause")
            label = self.hint_labels[name]
            label.setVisible(bool(hints))
            label.setText(_hint_text(hints))

    def _set_status(self) -> None:
        status = PostmortemStatus(self.status_combo.currentData())
        if not self.save():
            self.status_combo.setCurrentIndex(self.status_combo.findData(self.postmortem.status))
            return
        try:
            self.postmortem = self._service.set_status(self.incident_id, status)
        except ValidationError as exc:
            self.error.show_message(exc.message)
            self.status_combo.setCurrentIndex(self.status_combo.findData(self.postmortem.status))
            return
        self.error.clear_message()
        self.on_tick(self._clock.now())

    # -- export --------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        default = f"postmortem-{self.incident_id}.md"
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export post-mortem", default, "Markdown (*.md)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> bool:
        """Saves first, then writes exactly what `warroom export` writes."""
        if not self.save():
            return False
        try:
            atomic.write_bytes(path, self._service.markdown(self.incident_id).encode("utf-8"))
        except OSError as exc:
            self.error.show_message(f"Not exported: cannot write {path}: {atomic.why(exc)}")
            return False
        self.saved_label.setText(f"Exported to {path.name}")
        return True

    # -- keeping up ------------------------------------------------------------------------------
    def on_tick(self, now: datetime) -> None:
        due = postmortem_due(self.incident, self._service.incidents.policy)
        if self.postmortem.status is PostmortemStatus.PUBLISHED:
            text = "Published"
        elif due is None:
            text = "No due date" if self.incident.status.is_open else "Not required"
        elif now > due:
            text = f"⚠ Due: OVERDUE +{compact(now - due)}"
        else:
            text = f"Due in {compact(due - now)}"
        self.due_label.setText(text)

    def on_incident_changed(self, incident_id: int, kind: str) -> None:
        if incident_id != self.incident_id:
            return
        if kind == EventKind.DELETED.value:
            self._deleted = True
            self.close()
            return
        incident = self._service.incidents.get(incident_id)
        events = self._service.incidents.timeline(incident_id)
        if incident == self.incident and events == self.events:
            return  # a change elsewhere in the file (or our own autosave): nothing to redo
        self.incident, self.events = incident, events
        self.metrics_label.setText(self._metrics_text())
        self.gap_label.setText(self._gap_text())
        self._loading = True
        self._fill_timeline()
        self._loading = False
        self.preview_timer.start()

    _deleted = False

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._deleted and not self.save() and not self._confirm_discard():
            event.ignore()  # the text stays on screen, and the message says why
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        if not self._deleted and not self.save() and not self._confirm_discard():
            return
        super().done(result)

    def _confirm_discard(self) -> bool:
        """Saving failed (the message says why): close only if the author says so."""
        answer = QMessageBox.warning(
            self,
            "Post-mortem not saved",
            f"{self.error.text()}\n\nClose anyway and lose what was typed since the last save?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard


def _hint_text(hints: list[Hint]) -> str:
    seen: dict[str, str] = {}
    for hint in hints:
        seen.setdefault(hint.phrase.lower(), f"“{hint.phrase}”: {hint.why}")
    return "Blameless hint — " + "  ".join(seen.values())
