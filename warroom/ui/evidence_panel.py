"""Evidence for one incident: the checklist against the clock, the vault's artifacts and
each one's chain of custody. Files are collected by picker or drag-and-drop, copied and
hashed off the GUI thread with a progress bar and a cancel button."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from warroom.domain.clock import Clock
from warroom.domain.durations import compact
from warroom.domain.evidence import (
    Artifact,
    ChecklistItem,
    CollectCancelled,
    DuplicateArtifact,
    ItemState,
    VerifyResult,
    custody_details,
    custody_summary,
    short_hash,
)
from warroom.domain.incident import EventKind
from warroom.domain.timefmt import utc_minute, utc_second
from warroom.domain.validation import ValidationError
from warroom.services.evidence import EvidenceService
from warroom.ui.evidence_worker import BackgroundJob, Job
from warroom.ui.keys import Key, bind
from warroom.ui.palette import alert_text, muted_text
from warroom.ui.widgets import ErrorBanner, fit_to_screen, header_cell, table_cell

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
ITEM_COLUMNS = ("Evidence", "State", "Rotates", "Artifacts")
ARTIFACT_COLUMNS = ("Name", "Kind", "Size", "SHA-256", "Collected (UTC)", "By", "Integrity")
CUSTODY_COLUMNS = ("#", "Action", "Who", "When (UTC)", "Details", "Entry hash")
NOT_ASKED = "Only for security incidents"
EVIDENCE_KEYS = (Key("Ctrl+O", "Collect files", "pick_files"),)


def _size(size: int) -> str:
    scaled: float = size
    for unit in ("B", "KiB", "MiB", "GiB"):
        if scaled < 1024 or unit == "GiB":
            return f"{scaled:,} {unit}" if unit == "B" else f"{scaled:.1f} {unit}"
        scaled /= 1024
    return str(scaled)


def _counted(count: int, noun: str) -> str:
    """'1 artifact', '3 artifacts'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass
class _Outcome:
    """What a multi-file collect did, file by file."""

    done: list[Artifact] = field(default_factory=list)
    duplicates: list[tuple[Path, Artifact]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _table(parent: QWidget, columns: tuple[str, ...], name: str, stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    header = table.horizontalHeader()
    for column in range(len(columns)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def where_stored(evidence: EvidenceService) -> str:
    """Where the artifacts' bytes are, said plainly: who else can verify and export them."""
    folder = evidence.vault.root
    if evidence.bytes_shared:
        return (
            "Stored in the shared war room: any laptop in the room can verify and export "
            f"every artifact. Only this laptop's custody head file stays here ({folder})."
        )
    return (
        f"Files stay on this laptop, in {folder}: no other computer can verify or export "
        "them. Export a bundle to hand them on."
    )


class EvidencePanel(QDialog):
    def __init__(
        self,
        incident_id: int,
        evidence: EvidenceService,
        clock: Clock,
        parent: QWidget | None = None,
        ask: Callable[[str, str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self._evidence = evidence
        self._clock = clock
        self._ask = ask or self._ask_yes_no
        self.job: BackgroundJob | None = None
        self.last_results: list[VerifyResult] = []
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setAcceptDrops(True)
        fit_to_screen(self, 1280, 760)
        incident = evidence.incidents.get(incident_id)
        self.setWindowTitle(f"Evidence — #{incident.id} {incident.title} — warroom")

        self.summary = QLabel(self)
        self.summary.setObjectName("stateLine")
        self.summary.setWordWrap(True)
        hint = QLabel(
            "Most volatile first. Drop files here, or pick them: they are copied (never moved) "
            "into the vault and hashed as they are copied.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.where = QLabel(where_stored(evidence), self)
        self.where.setObjectName("hint")
        self.where.setWordWrap(True)
        self.where.setAccessibleName("Where the evidence is kept")
        self.error = ErrorBanner(self)
        self.info = QLabel(self)
        self.info.setObjectName("infoBanner")
        self.info.setWordWrap(True)
        self.info.hide()

        self.items_table = _table(self, ITEM_COLUMNS, "Evidence checklist", 0)
        # The state column carries the reason an item does not apply: it shares the width.
        self.items_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Wrapped rows need their height again whenever a column changes width.
        self.items_table.horizontalHeader().sectionResized.connect(
            lambda *_: self.items_table.resizeRowsToContents()
        )
        self.items_table.itemSelectionChanged.connect(self._item_selected)
        self.artifacts_table = _table(self, ARTIFACT_COLUMNS, "Artifacts", 0)
        header_cell(self.artifacts_table, ARTIFACT_COLUMNS.index("Integrity")).setToolTip(
            "What Verify vault found in this window (— until it runs); every earlier check is "
            "in the artifact's chain of custody below"
        )
        self.artifacts_table.itemSelectionChanged.connect(self._artifact_selected)
        self.custody_table = _table(self, CUSTODY_COLUMNS, "Chain of custody", 4)
        self.custody_summary = QLabel(self)
        self.custody_summary.setObjectName("gapFact")
        self.custody_summary.setWordWrap(True)
        self.custody_summary.setAccessibleName("Chain of custody")

        self.buttons: dict[str, QPushButton] = {}
        # Two rows, so the checklist's side stays narrow enough for the vault's columns.
        collect_row = self._button_row(
            ("collect", "&Collect files…  Ctrl+O", self.pick_files),
            ("snippet", "Paste &snippet…", self._ask_snippet),
            ("reference", "Add &reference…", self._ask_reference),
        )
        item_row = self._button_row(
            ("na", "&Not applicable…", self._ask_not_applicable),
            ("reopen", "Re&open", self.reopen_selected),
            ("add", "Add &item…", self._ask_new_item),
        )
        vault_row = self._button_row(
            ("view", "Vie&w a copy", self.view_selected),
            ("verify", "&Verify vault", self.verify),
            ("export", "&Export bundle…", self._ask_export),
        )
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Copy progress")
        self.progress_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self._show_progress(False)

        left = QWidget(self)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(QLabel("Checklist", left))
        left_column.addWidget(self.items_table, 1)
        left_column.addLayout(collect_row)
        left_column.addLayout(item_row)
        right = QWidget(self)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(QLabel("Artifacts in the vault", right))
        right_column.addWidget(self.artifacts_table, 3)
        right_column.addWidget(QLabel("Chain of custody of the selected artifact", right))
        right_column.addWidget(self.custody_summary)
        right_column.addWidget(self.custody_table, 2)
        right_column.addLayout(vault_row)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)  # the vault's tables have the more columns
        splitter.setSizes([500, 780])

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(hint)
        layout.addWidget(self.where)
        layout.addWidget(self.error)
        layout.addWidget(self.info)
        layout.addWidget(splitter, 1)
        layout.addLayout(progress_row)
        bind(self, EVIDENCE_KEYS)
        self.refresh()

    def _button_row(self, *buttons: tuple[str, str, Callable[[], Any]]) -> QHBoxLayout:
        row = QHBoxLayout()
        for key, text, slot in buttons:
            button = QPushButton(text, self)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        return row

    # -- showing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        selected = self.selected_item()
        self.items = self._evidence.checklist(self.incident_id)
        self.artifacts = self._evidence.artifacts(self.incident_id)
        self.security = self._evidence.security_incident(self.incident_id)
        table = self.items_table
        table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            state = item.state.label + (f": {item.reason}" if item.reason else "")
            not_asked = item.state is ItemState.PENDING and not item.asked_of(self.security)
            if not_asked:
                state = NOT_ASKED
            name = item.name + (" (security incidents)" if item.security_only else "")
            if self.security and item.before_change:
                name += " · before any change"
            cells = (name, state, "", str(len(item.artifact_ids)))
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(ITEM_ROLE, item.id)
                if column == 0 and (item.hint or item.before_change):
                    volatile = (
                        "Volatile: on a security incident, no change is applied until it is "
                        "collected or marked not applicable (or a reason is given)."
                    )
                    tips = [item.hint] + ([volatile] if item.before_change else [])
                    cell.setToolTip("\n\n".join(tip for tip in tips if tip))
                if column == 1 and not_asked:
                    cell.setForeground(QColor(muted_text()))
                    cell.setToolTip(
                        "The incident is not marked as a security one, so this item is not "
                        "pending; collect it anyway if it helps."
                    )
                table.setItem(row, column, cell)
        table.resizeRowsToContents()
        if selected is not None:
            self.select_item(selected.id)
        self._fill_artifacts()
        self.on_tick(self._clock.now())

    def on_tick(self, now: datetime) -> None:
        """The rotation countdowns, and the summary with what is at risk."""
        at_risk = 0
        asked = [i for i in self.items if i.asked_of(self.security)]
        for row, item in enumerate(self.items):
            left = item.rotates_in(now)
            cell = table_cell(self.items_table, row, 2)
            if left is None or item.state is not ItemState.PENDING:
                text = (
                    "—"
                    if item.rotates_at is None
                    else f"at {utc_minute(item.rotates_at, zone=False)}"
                )
            elif left.total_seconds() < 0:
                text = f"⚠ rotated {compact(-left)} ago"
            else:
                text = f"{'⚠ ' if item.at_risk(now) else ''}in {compact(left)}"
            at_risk += item.at_risk(now) and item.asked_of(self.security)
            if cell.text() != text:
                cell.setText(text)
                if item.at_risk(now):
                    cell.setForeground(self._alert())
        pending = sum(i.state is ItemState.PENDING for i in asked)
        collected = sum(i.state is ItemState.COLLECTED for i in asked)
        text = f"{collected} of {len(asked)} collected · {pending} pending"
        if at_risk:
            text += f" · ⚠ {at_risk} at risk: rotating within the hour"
        self.summary.setText(text)

    @staticmethod
    def _alert() -> QColor:
        return QColor(alert_text())

    def _fill_artifacts(self) -> None:
        item = self.selected_item()
        shown = [a for a in self.artifacts if item is None or a.id in item.artifact_ids]
        integrity = {r.artifact.id: r for r in self.last_results}
        table = self.artifacts_table
        table.setRowCount(len(shown))
        self._shown_artifacts = shown
        for row, artifact in enumerate(shown):
            result = integrity.get(artifact.id)
            state = "—" if result is None else result.state.value
            if result is not None and not result.chain_ok:
                state += " · chain broken"
            cells = (
                artifact.name,
                artifact.kind.value,
                _size(artifact.size) if artifact.has_file else "—",
                short_hash(artifact.sha256) if artifact.sha256 else "—",
                # To the minute; the seconds are in custody.
                utc_minute(artifact.collected_at, zone=False),
                artifact.collector,
                state,
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 3 and artifact.sha256:
                    cell.setToolTip(artifact.sha256)
                if column == 4:
                    cell.setToolTip(f"The collector's zone then: {artifact.local_zone}")
                if column == 0:
                    cell.setToolTip(artifact.original_path or artifact.url or artifact.description)
                if column == 6 and result is not None and not result.ok:
                    cell.setForeground(self._alert())
                    cell.setToolTip("\n".join(result.problems))
                table.setItem(row, column, cell)
        self._fill_custody()

    def _fill_custody(self) -> None:
        artifact = self.selected_artifact()
        entries = [] if artifact is None else self._evidence.custody(artifact.id)
        table = self.custody_table
        table.setRowCount(len(entries))
        self.custody_summary.setText(custody_summary(entries) if artifact is not None else "")
        self.custody_summary.setVisible(artifact is not None)
        for row, entry in enumerate(entries):
            cells = (
                str(entry.seq),
                entry.action.value.replace("_", " "),
                entry.actor,
                utc_second(entry.at),
                custody_details(entry),
                short_hash(entry.entry_hash),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 5:
                    cell.setToolTip(f"entry {entry.entry_hash}\nafter {entry.prev_hash}")
                table.setItem(row, column, cell)
        table.resizeRowsToContents()

    # -- selection ---------------------------------------------------------------------------
    def selected_item(self) -> ChecklistItem | None:
        rows = self.items_table.selectionModel().selectedRows()
        if not rows or not hasattr(self, "items"):
            return None
        item_id = table_cell(self.items_table, rows[0].row(), 0).data(ITEM_ROLE)
        return next((i for i in self.items if i.id == item_id), None)

    def select_item(self, item_id: int) -> None:
        for row in range(self.items_table.rowCount()):
            if table_cell(self.items_table, row, 0).data(ITEM_ROLE) == item_id:
                self.items_table.selectRow(row)
                return

    def selected_artifact(self) -> Artifact | None:
        rows = self.artifacts_table.selectionModel().selectedRows()
        shown = getattr(self, "_shown_artifacts", [])
        return shown[rows[0].row()] if rows and rows[0].row() < len(shown) else None

    def _item_selected(self) -> None:
        self._fill_artifacts()

    def _artifact_selected(self) -> None:
        self._fill_custody()  # metadata only: looking at the row is not handling the evidence

    def view_selected(self, open_it: bool = True) -> Path | None:
        """Opens a working copy (the vault's file is never opened for writing): logged as
        copied out, then viewed."""
        artifact = self.selected_artifact()
        if artifact is None or not artifact.has_file:
            self.error.show_message("Select an artifact with a file to view.")
            return None
        folder = Path(tempfile.mkdtemp(prefix="warroom-view-"))
        copy: list[Path] = []
        done = self._run(
            lambda: copy.append(
                self._evidence.copy_out(artifact.id, folder, "a working copy to view it")
            )
        ) and self._run(
            lambda: self._evidence.record_viewed(artifact.id, "opened from the evidence panel")
        )
        self._fill_custody()
        if not done:
            return None
        if open_it:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy[0])))
        return copy[0]

    # -- actions -----------------------------------------------------------------------------
    def _run(self, action: Callable[[], Any]) -> bool:
        try:
            action()
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return False
        self.error.clear_message()
        return True

    def _item_id(self) -> int | None:
        item = self.selected_item()
        return None if item is None else item.id

    def pick_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Collect evidence files")
        if paths:
            self.collect([Path(p) for p in paths])

    def collect(self, paths: list[Path], item_id: int | None = None) -> None:
        """Copies and hashes the files on a worker thread, one after the other."""
        if self.job is not None:
            self.error.show_message("A copy is already running: wait for it or cancel it.")
            return
        target = item_id if item_id is not None else self._item_id()
        evidence, incident_id = self._evidence, self.incident_id

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> _Outcome:
            """Each file on its own: one that fails or is a duplicate does not stop the rest;
            a cancel stops them all."""
            outcome = _Outcome()
            for path in paths:
                try:
                    outcome.done.append(
                        evidence.collect_file(incident_id, path, target, "", progress, cancelled)
                    )
                except DuplicateArtifact as exc:
                    outcome.duplicates.append((path, exc.existing))
                except ValidationError as exc:
                    outcome.failed.append(exc.message)
            return outcome

        self._start(work, f"Copying {_counted(len(paths), 'file')}")
        assert self.job is not None
        self.job.done.connect(lambda outcome: self._collected(outcome, target))

    def _collected(self, outcome: _Outcome, item_id: int | None) -> None:
        if outcome.done:
            self._show_info("Collected " + ", ".join(a.name for a in outcome.done) + ".")
        if outcome.failed:
            self.error.show_message("Not collected: " + " ".join(outcome.failed))
        unlinked = []
        for path, existing in outcome.duplicates:
            question = (
                f"{path.name} is already in the vault as “{existing.name}” (same SHA-256, "
                f"collected {utc_second(existing.collected_at)} UTC by {existing.collector}).\n\n"
                "Link the existing artifact to this item instead of keeping a second copy?"
            )
            if item_id is not None and self._ask("Already in the vault", question):
                self._run(partial(self._evidence.link_existing, item_id, existing.id, path.name))
            else:
                unlinked.append(f"{path.name} (already kept as “{existing.name}”)")
        if unlinked:
            self._show_info(
                (self.info.text() + " " if outcome.done else "")
                + "Not copied again: "
                + ", ".join(unlinked)
                + "."
            )
        self.refresh()

    def add_snippet(self, text: str, description: str) -> bool:
        done = self._run(
            lambda: self._evidence.add_snippet(self.incident_id, self._item_id(), text, description)
        )
        self.refresh()
        return done

    def add_reference(self, reference: str, description: str, screenshot: Path | None) -> bool:
        done = self._run(
            lambda: self._evidence.add_reference(
                self.incident_id, self._item_id(), reference, description, screenshot
            )
        )
        self.refresh()
        return done

    def mark_not_applicable(self, reason: str) -> bool:
        item_id = self._item_id()
        if item_id is None:
            self.error.show_message("Select the checklist item that does not apply.")
            return False
        done = self._run(lambda: self._evidence.mark_not_applicable(item_id, reason))
        self.refresh()
        return done

    def reopen_selected(self) -> None:
        item_id = self._item_id()
        if item_id is not None:
            self._run(lambda: self._evidence.reopen_item(item_id))
            self.refresh()

    def add_item(self, name: str) -> bool:
        done = self._run(lambda: self._evidence.add_item(self.incident_id, name))
        self.refresh()
        return done

    def verify(self) -> None:
        if self.job is not None:
            return
        evidence, incident_id = self._evidence, self.incident_id
        self._start(
            lambda progress, cancelled: evidence.verify(incident_id, progress, cancelled),
            "Verifying",
        )
        assert self.job is not None
        self.job.done.connect(self._verified)

    def _verified(self, results: list[VerifyResult]) -> None:
        self.last_results = results
        bad = [r for r in results if not r.ok]
        if bad:
            self.error.show_message(
                "Verification found problems: "
                + "; ".join(f"{r.artifact.name}: {', '.join(r.problems)}" for r in bad)
            )
        elif len(results) == 1:
            self._show_info("The 1 artifact is intact, and its chain of custody holds.")
        elif results:
            self._show_info(f"All {len(results)} artifacts intact; every chain of custody holds.")
        else:
            self._show_info("Nothing in the vault to verify yet.")
        self.refresh()

    def export_bundle(self, out: Path, reason: str = "") -> None:
        if self.job is not None:
            return
        evidence, incident_id = self._evidence, self.incident_id
        self._start(
            lambda _p, cancelled: evidence.export_bundle(incident_id, out, reason, cancelled),
            "Exporting",
        )
        assert self.job is not None
        self.job.done.connect(lambda path: self._show_info(f"Exported to {path}."))

    # -- the worker --------------------------------------------------------------------------
    def _start(self, work: Job, label: str) -> None:
        self.error.clear_message()
        self.job = BackgroundJob(work, self)
        self.job.progress.connect(self._progress)
        self.job.error.connect(self._failed)
        self.job.done.connect(lambda _r: self._finished())
        self.job.error.connect(lambda _e: self._finished())
        self.progress_label.setText(label)
        self.progress.setRange(0, 0)  # busy until the first figure arrives
        self._show_progress(True)
        self.job.start()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / total) if total else 1000)
        self.progress.setFormat(f"{_size(done)} of {_size(total)}")

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CollectCancelled):
            self._show_info("Cancelled: nothing was kept or recorded of the work in progress.")
        elif isinstance(exc, ValidationError):
            self.error.show_message(exc.message)
        else:
            self.error.show_message(f"Stopped: {exc}")
        self.refresh()

    def _finished(self) -> None:
        self.job = None
        self._show_progress(False)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _show_progress(self, shown: bool) -> None:
        for widget in (self.progress, self.progress_label, self.cancel_button):
            widget.setVisible(shown)

    def _show_info(self, text: str) -> None:
        self.info.setText(text)
        self.info.show()

    # -- input dialogs (thin: the methods above do the work and are what tests drive) ----------
    def _ask_yes_no(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_snippet(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Paste a snippet", "Log lines or message:")
        if ok:
            description, _ok = QInputDialog.getText(self, "Paste a snippet", "What is it?")
            self.add_snippet(text, description)

    def _ask_reference(self) -> None:
        reference, ok = QInputDialog.getText(self, "Add a reference", "URL or ticket:")
        if not ok:
            return
        description, _ok = QInputDialog.getText(self, "Add a reference", "What does it show?")
        screenshot, _filter = QFileDialog.getOpenFileName(
            self, "A screenshot of it (optional: cancel to skip)", "", "Images (*.png *.jpg)"
        )
        self.add_reference(reference, description, Path(screenshot) if screenshot else None)

    def _ask_not_applicable(self) -> None:
        reason, ok = QInputDialog.getText(self, "Not applicable", "Why does this not apply?")
        if ok:
            self.mark_not_applicable(reason)

    def _ask_new_item(self) -> None:
        name, ok = QInputDialog.getText(self, "Add a checklist item", "Evidence to collect:")
        if ok:
            self.add_item(name)

    def _ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export evidence bundle", f"evidence-{self.incident_id}.zip", "Zip (*.zip)"
        )
        if path:
            self.export_bundle(Path(path), "exported from the evidence panel")

    # -- drag and drop, and keeping up ---------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.collect(paths)

    def on_incident_changed(self, incident_id: int, kind: str) -> None:
        if incident_id != self.incident_id:
            return
        if kind == EventKind.DELETED.value:
            self.cancel()
            self.close()
            return
        if self.job is not None or kind not in (EventKind.EVIDENCE.value, "refreshed"):
            return  # a running copy refreshes the panel itself when it is done
        if kind == "refreshed":
            unchanged = self._evidence.checklist(self.incident_id) == self.items and (
                self._evidence.artifacts(self.incident_id) == self.artifacts
            )
            if unchanged:
                return  # keep the selection and the custody view as they are
        self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None:  # a copy must not outlive its window half-way
            self.job.cancel()
            self.job.wait()
        super().closeEvent(event)
