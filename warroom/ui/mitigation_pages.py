"""The pages of the mitigation wizard: triage, the security path, one page per option, and
check back and verify. Each records through the wizard's flow the moment the IC decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from warroom.domain.incident import Incident
from warroom.domain.mitigation import (
    DEFAULT_CHECK_BACK,
    MAX_CHECK_BACK,
    Decision,
    Mitigation,
    Outcome,
    RecoveryCheck,
    StepKind,
    blocking_changes,
    change_gap_text,
    kind_of_option,
)
from warroom.domain.playbook import (
    CHANGED_QUESTION,
    NO,
    YES,
    AnswerKind,
    MitigationOption,
    Playbook,
    TriageFlag,
)
from warroom.domain.typed_time import EXAMPLE, find_typed_time, parse_typed_time
from warroom.domain.validation import ValidationError
from warroom.services.mitigation import (
    ChangeFacts,
    ChangePending,
    PreserveFirst,
    answer_note_key,
)
from warroom.ui.check_back_bar import CheckBackBar
from warroom.ui.qtime import local_text
from warroom.ui.time_field import TimeField
from warroom.ui.widgets import ErrorBanner

if TYPE_CHECKING:
    from warroom.ui.mitigation_wizard import MitigationWizard


# The built-in triage questions 1 and 2 ("What is the user impact right now?", "When did it
# start?"), prefilled from the incident.
PREFILL_IMPACT = "impact"
PREFILL_STARTED = "started"


def _banner(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


def _form(parent: QWidget) -> QFormLayout:
    """Text fields take the width; pickers, spin boxes and buttons keep their natural size."""
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    return form


def _scrolling(content: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    return scroll


FROM_TRIAGE = "The time is from your triage answer"


class EnterRecords(QObject):
    """Enter in a watched field calls `record` and goes no further: a wizard's default
    button never sees it."""

    def __init__(self, record: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._record = record

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._record()
                return True
        return False


class FlowPage(QWizardPage):
    """A page that knows the wizard's flow and reports typing, so nothing typed is lost."""

    edited = Signal()

    def __init__(self, flow: MitigationWizard) -> None:
        super().__init__()
        self.flow = flow
        self.error = ErrorBanner(self)

    def fields(self) -> dict[str, str]:
        return {}

    def restore(self, fields: dict[str, str]) -> None:
        pass

    def refresh(self, now: datetime) -> None:
        pass

    def _watch(self, *edits: QLineEdit) -> None:
        for edit in edits:
            edit.textEdited.connect(lambda _text: self.edited.emit())


# -- triage --------------------------------------------------------------------------------
class TriagePage(FlowPage):
    def __init__(self, flow: MitigationWizard, playbooks: list[Playbook], warnings: list[str]):
        super().__init__(flow)
        self.setTitle("Triage: the IC's questions")
        self.setSubTitle(
            "Answer what you know now; each answer goes on the timeline. "
            "Then mitigate before you investigate."
        )
        self.playbook_combo = QComboBox(self)
        self.playbook_combo.setAccessibleName("Playbook")
        for playbook in playbooks:
            self.playbook_combo.addItem(playbook.name, playbook.name)
            self.playbook_combo.setItemData(
                self.playbook_combo.count() - 1, playbook.description, Qt.ItemDataRole.ToolTipRole
            )
        self.playbook_combo.currentIndexChanged.connect(
            lambda _i: flow.use_playbook(self.playbook_combo.currentData())
        )
        picker = QHBoxLayout()
        picker_label = QLabel("&Playbook", self)
        picker_label.setBuddy(self.playbook_combo)
        picker.addWidget(picker_label)
        picker.addWidget(self.playbook_combo, 1)
        self.warnings = _banner("warningBanner", "\n".join(warnings))
        self.warnings.setVisible(bool(warnings))
        self.warnings.setAccessibleName("Playbook problems")
        self.prefilled_note = _banner("infoBanner")
        self.prefilled_note.setAccessibleName("Answers filled in from the incident")
        self.prefilled: set[str] = set()  # answers shown as the incident has them, untouched

        self.questions = QWidget(self)
        self.grid = QGridLayout(self.questions)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(6)
        self.answer_edits: dict[str, QLineEdit] = {}
        self.yes_no: dict[str, QComboBox] = {}

        layout = QVBoxLayout(self)
        layout.addWidget(self.warnings)
        layout.addWidget(self.prefilled_note)
        if len(playbooks) > 1:
            layout.addLayout(picker)
        else:
            picker_label.hide()
            self.playbook_combo.hide()
        layout.addWidget(_scrolling(self.questions), 1)
        layout.addWidget(self.error)

    def show_playbook(self, playbook: Playbook) -> None:
        """Lays out the playbook's questions, keeping any answer already typed."""
        kept = self.answers()
        was_prefilled, self.prefilled = self.prefilled, set()
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.answer_edits.clear()
        self.yes_no.clear()
        self.playbook_combo.blockSignals(True)
        self.playbook_combo.setCurrentIndex(self.playbook_combo.findData(playbook.name))
        self.playbook_combo.blockSignals(False)
        for row, question in enumerate(playbook.triage):
            label = QLabel(f"{row + 1}. {question.question}", self.questions)
            label.setWordWrap(True)
            note = QLineEdit(self.questions)
            note.setPlaceholderText(question.hint)
            note.setAccessibleName(question.question)
            self._watch(note)
            label.setBuddy(note)
            self.grid.addWidget(label, row, 0)
            if question.kind is AnswerKind.YES_NO:
                combo = QComboBox(self.questions)
                combo.addItem("—", "")
                combo.addItem("Yes", YES)
                combo.addItem("No", NO)
                combo.setAccessibleName(question.question)
                combo.currentIndexChanged.connect(lambda _i: self.edited.emit())
                label.setBuddy(combo)
                note.setAccessibleName(f"{question.question} (details)")
                note.setPlaceholderText(question.hint or "Details (optional)")
                self.yes_no[question.key] = combo
                self.answer_edits[answer_note_key(question.key)] = note
                cell = QHBoxLayout()
                cell.addWidget(combo)
                cell.addWidget(note, 1)
                holder = QWidget(self.questions)
                holder.setLayout(cell)
                cell.setContentsMargins(0, 0, 0, 0)
                self.grid.addWidget(holder, row, 1)
            else:
                self.answer_edits[question.key] = note
                self.grid.addWidget(note, row, 1)
                # Typing in a prefilled answer makes it the user's own.
                note.textEdited.connect(lambda _t, k=question.key: self._mark_prefilled(k, False))
        self.grid.setColumnMinimumWidth(0, 300)
        for row in range(self.grid.rowCount()):
            self.grid.setRowStretch(row, 0)
        self.grid.setRowStretch(len(playbook.triage), 1)  # spare height goes below, not between
        self.set_answers(kept)
        for key in was_prefilled & self.answer_edits.keys():
            self._mark_prefilled(key, True)
        self.prefilled_note.setVisible(bool(self.prefilled))

    def answers(self) -> dict[str, str]:
        found = {key: edit.text() for key, edit in self.answer_edits.items() if edit.text()}
        found.update({key: c.currentData() for key, c in self.yes_no.items() if c.currentData()})
        return found

    def prefill(self, incident: Incident) -> None:
        """The first questions start from what the incident already says (its impact, and
        when impact started if that was set before declaring), where nothing is answered or
        typed yet. Shown in italics with a note until edited; recorded only when Next is
        pressed (going straight to verify leaves them out)."""
        facts = {PREFILL_IMPACT: " ".join(incident.impact.split())}
        if incident.declared_at - incident.impact_started_at >= timedelta(minutes=1):
            started = local_text(incident.impact_started_at, seconds=False)
            facts[PREFILL_STARTED] = f"{started} (the incident's impact start)"
        for key, text in facts.items():
            edit = self.answer_edits.get(key)
            if edit is None or edit.text() or not text:
                continue
            edit.setText(text)
            self._mark_prefilled(key, True)

    def _mark_prefilled(self, key: str, prefilled: bool) -> None:
        edit = self.answer_edits[key]
        if prefilled == (key in self.prefilled):
            return
        if prefilled:
            self.prefilled.add(key)
            edit.setToolTip("From the incident: edit it if it has changed")
        else:
            self.prefilled.discard(key)
            edit.setToolTip("")
        edit.setProperty("prefilled", prefilled)
        edit.style().unpolish(edit)
        edit.style().polish(edit)
        numbers = [n for n, k in enumerate(self.answer_edits, 1) if k in self.prefilled]
        if numbers:
            which = " and ".join(str(n) for n in numbers)
            self.prefilled_note.setText(
                f"{'Answers' if len(numbers) > 1 else 'Answer'} {which} (in italics) "
                "come from the incident: keep them or edit them. They are recorded when you "
                "press Next."
            )
        self.prefilled_note.setVisible(bool(numbers))

    def set_answers(self, answers: dict[str, str]) -> None:
        for key, edit in self.answer_edits.items():
            edit.setText(answers.get(key, ""))
        for key, combo in self.yes_no.items():
            combo.setCurrentIndex(max(0, combo.findData(answers.get(key, ""))))

    def fields(self) -> dict[str, str]:
        """What is typed, to resume with: a prefilled answer left as it was is not kept,
        so it is filled in afresh (from the incident as it is then) next time."""
        return {k: v for k, v in self.answers().items() if k not in self.prefilled}

    def restore(self, fields: dict[str, str]) -> None:
        self.set_answers(fields)

    def validatePage(self) -> bool:
        if self.flow.replaying:
            return True
        answers = self.answers()
        if self.flow.jumping:  # straight to verify: only Next confirms what was filled in
            answers = {k: v for k, v in answers.items() if k not in self.prefilled}
        try:
            self.flow.record_triage(answers)
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return False
        self.error.clear_message()
        return True


# -- the security path -----------------------------------------------------------------------
class SecurityPage(FlowPage):
    def __init__(self, flow: MitigationWizard) -> None:
        super().__init__(flow)
        self.setTitle("Security breach: preserve and isolate first")
        self.setSubTitle(
            "Changing systems now can destroy the evidence of what happened. "
            "Preserve it and isolate before any mitigation."
        )
        warning = _banner(
            "dangerBanner",
            "⚠ Security path: do not roll back, restart or wipe anything until the evidence "
            "is saved and the affected systems are isolated.",
        )
        warning.show()
        self.checks_box = QGroupBox("Before changing anything", self)
        self.checks_layout = QVBoxLayout(self.checks_box)
        self.checks: list[QCheckBox] = []
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason to go ahead without every step")
        self.reason.setPlaceholderText("Only if a step is not done: why go ahead anyway")
        self._watch(self.reason)
        reason_label = QLabel("&Why go ahead anyway", self)
        reason_label.setBuddy(self.reason)
        form = QFormLayout()
        form.addRow(reason_label, self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(self.checks_box)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def show_playbook(self, playbook: Playbook) -> None:
        for check in self.checks:
            check.deleteLater()
        self.checks = []
        for step in playbook.security_steps:
            check = QCheckBox(step, self.checks_box)
            check.toggled.connect(lambda _on: self.edited.emit())
            self.checks_layout.addWidget(check)
            self.checks.append(check)
        self._steps = playbook.security_steps

    def done_steps(self) -> list[str]:
        return [c.text() for c in self.checks if c.isChecked()]

    def fields(self) -> dict[str, str]:
        return {"done": "\n".join(self.done_steps()), "reason": self.reason.text()}

    def restore(self, fields: dict[str, str]) -> None:
        done = set(fields.get("done", "").split("\n"))
        for check in self.checks:
            check.setChecked(check.text() in done)
        self.reason.setText(fields.get("reason", ""))

    _recorded: tuple[tuple[str, ...], str] | None = None

    def validatePage(self) -> bool:
        state = (tuple(self.done_steps()), self.reason.text().strip())
        if self.flow.replaying:  # resuming past this page: it was recorded as it stands
            self._recorded = state
            return True
        if state == self._recorded:
            return True  # Back then Next again: nothing new to put on the record
        try:
            self.flow.mitigations.record_security_steps(
                self.flow.incident_id, self._steps, self.done_steps(), self.reason.text()
            )
        except ValidationError as exc:
            self.error.show_message(exc.message)
            self.reason.setFocus()
            return False
        self._recorded = state
        self.error.clear_message()
        return True


# -- one page per option ------------------------------------------------------------------
class OptionPage(FlowPage):
    def __init__(self, flow: MitigationWizard, option: MitigationOption, number: int, count: int):
        super().__init__(flow)
        self.option = option
        self.setTitle(f"Option {number} of {count}: {option.title}")
        self.setSubTitle(option.question)
        self.corruption = _banner(
            "dangerBanner",
            "⚠ Data is being corrupted: stop the bleeding first. Prefer whatever stops the "
            "bad writes fastest, even if it is not this option.",
        )
        self.decided = _banner("decisionSummary")
        self.decided.setAccessibleName("Decision recorded")
        facts = QLabel(self._facts_text(option), self)
        facts.setObjectName("pageFacts")
        facts.setWordWrap(True)
        facts.setTextFormat(Qt.TextFormat.PlainText)

        self.apply_radio = QRadioButton("&Apply", self)
        self.skip_radio = QRadioButton("&Skip (say why)", self)
        self.na_radio = QRadioButton("N&ot applicable", self)
        self.choice = QButtonGroup(self)
        for radio in (self.apply_radio, self.skip_radio, self.na_radio):
            self.choice.addButton(radio)
            radio.toggled.connect(self._show_choice)
        self.choice.buttonClicked.connect(lambda _b: self._focus_first_field())
        choices = QHBoxLayout()
        for radio in (self.apply_radio, self.skip_radio, self.na_radio):
            choices.addWidget(radio)
        choices.addStretch(1)

        self.change_box = QGroupBox("The change that lines up with the start", self)
        self.change_edit = QLineEdit(self.change_box)
        self.change_edit.setAccessibleName("Which change")
        self.change_edit.setPlaceholderText("e.g. deploy 4812 of checkout-api")
        # Empty until someone says when: a default here would be a claim nobody made.
        self.change_time = QLineEdit(self.change_box)
        self.change_time.setAccessibleName("When the change was made")
        self.change_time.setPlaceholderText(f"e.g. {EXAMPLE} (local, or add UTC)")
        self.change_time.textEdited.connect(self._change_time_edited)
        self.change_edit.textEdited.connect(lambda _t: self._show_gap())
        self.gap = QLabel(self.change_box)
        self.gap.setAccessibleName("Gap between the change and the impact")
        self.gap.setObjectName("gapFact")
        self.gap.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.gap.setWordWrap(True)
        change_form = _form(self.change_box)
        change_form.addRow("Which change", self.change_edit)
        change_form.addRow("Made at (local)", self.change_time)
        change_form.addRow("", self.gap)
        self.change_box.setVisible(option.asks_for_change)
        self._change_time_typed = False  # by the user, or restored from what they typed
        self._time_from_triage = False

        self.apply_box = QGroupBox("Apply", self)
        self.action = QLineEdit(self.apply_box)
        self.action.setAccessibleName("Action")
        self.action.setPlaceholderText(f"What exactly: e.g. {option.verb} …")
        self.applied_by = QLineEdit(self.apply_box)
        self.applied_by.setAccessibleName("Who applies it")
        self.expected = QLineEdit(self.apply_box)
        self.expected.setAccessibleName("Expected effect")
        self.expected.setPlaceholderText("What you will see if it works, e.g. 5xx under 0.1 %")
        self.check_back = QSpinBox(self.apply_box)
        self.check_back.setAccessibleName("Check back in (minutes)")
        self.check_back.setRange(1, int(MAX_CHECK_BACK.total_seconds() // 60))
        self.check_back.setValue(int(DEFAULT_CHECK_BACK.total_seconds() // 60))
        self.check_back.setSuffix(" min")
        self.kind = QComboBox(self.apply_box)
        self.kind.setAccessibleName("Kind of step")
        for kind in StepKind:
            if kind is not StepKind.UNSPECIFIED:
                self.kind.addItem(kind.label.capitalize(), kind.value)
        self.kind.setToolTip(
            "Containment steps may follow each other while one is unverified; any other "
            "change waits for the check-back."
        )
        self._default_kind = kind_of_option(option.key)
        self._select_kind(self._default_kind)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.override = _banner("warningBanner")
        self.preserve = _banner("dangerBanner")
        self.preserve.setAccessibleName("Preserve before you change")
        self.preserve_reason = QLineEdit(self.apply_box)
        self.preserve_reason.setAccessibleName("Reason to change systems before evidence is saved")
        self.preserve_reason.setPlaceholderText("Why this cannot wait for the evidence")
        self.override_reason = QLineEdit(self.apply_box)
        self.override_reason.setAccessibleName("Reason to apply a second change now")
        self.override_reason.setPlaceholderText("Why this cannot wait for the check-back")
        self.override_reason.hide()
        apply_form = _form(self.apply_box)
        apply_form.addRow("Action", self.action)
        apply_form.addRow("Kind", self.kind)
        apply_form.addRow("Applied by", self.applied_by)
        apply_form.addRow("Expected effect", self.expected)
        apply_form.addRow("Check back in", self.check_back)
        apply_form.addRow("Go ahead because", self.override_reason)
        self._override_label = apply_form.labelForField(self.override_reason)
        self._override_label.hide()
        apply_form.addRow("Change before preserving because", self.preserve_reason)
        self._preserve_label = apply_form.labelForField(self.preserve_reason)

        self.reason_box = QGroupBox("Why not", self)
        self.reason = QLineEdit(self.reason_box)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("e.g. single-region service; no deploy in 24 h")
        reason_form = _form(self.reason_box)
        reason_form.addRow("Reason", self.reason)
        self._watch(
            self.change_edit,
            self.action,
            self.applied_by,
            self.expected,
            self.override_reason,
            self.preserve_reason,
        )
        self._watch(self.reason)

        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(10)
        for widget in (
            self.corruption,
            self.preserve,
            self.override,
            self.decided,
            facts,
            self.change_box,
        ):
            column.addWidget(widget)
        column.addLayout(choices)
        for widget in (self.apply_box, self.reason_box):
            column.addWidget(widget)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(_scrolling(content), 1)
        layout.addWidget(self.error)
        self._show_choice()

    @staticmethod
    def _facts_text(option: MitigationOption) -> str:
        parts = []
        if option.hint:
            parts.append(option.hint)
        if option.facts:
            parts.append("Check first:\n" + "\n".join(f"  •  {fact}" for fact in option.facts))
        if option.steps:
            steps = "\n".join(f"  {n}.  {step}" for n, step in enumerate(option.steps, start=1))
            parts.append("Runbook:\n" + steps)
        return "\n\n".join(parts)

    def decision(self) -> Decision | None:
        if self.apply_radio.isChecked():
            return Decision.APPLIED
        if self.skip_radio.isChecked():
            return Decision.SKIPPED
        if self.na_radio.isChecked():
            return Decision.NOT_APPLICABLE
        return None

    def _show_choice(self) -> None:
        decision = self.decision()
        self.apply_box.setVisible(decision is Decision.APPLIED)
        self.reason_box.setVisible(decision in (Decision.SKIPPED, Decision.NOT_APPLICABLE))
        self.reason_box.setTitle(
            "Why skip it (required)" if decision is Decision.SKIPPED else "Why not (optional)"
        )
        if decision is not None:
            self.edited.emit()

    def _focus_first_field(self) -> None:
        """After a choice by click or Alt+key, typing goes where it is needed next."""
        target = self.action if self.decision() is Decision.APPLIED else self.reason
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def initializePage(self) -> None:
        flow = self.flow
        self.corruption.setVisible(TriageFlag.DATA_CORRUPTION in flow.flags())
        if not self.applied_by.text():
            self.applied_by.setText(flow.actor)
        if self.option.asks_for_change and not self._change_time_typed:
            # Only a time the user wrote in triage ("deploy 4812 at 13:58"), never a guess.
            said = find_typed_time(flow.progress.answers.get(CHANGED_QUESTION, ""))
            self.change_time.setText(said or "")
            self._time_from_triage = bool(said)
            self.change_time.setToolTip(FROM_TRIAGE if said else "")
        self._show_decided(flow.decisions().get(self.option.key))
        self._show_pending(self._blocking())
        self._show_unpreserved(flow.mitigations.unpreserved_evidence(flow.incident_id))
        self._show_gap()

    def refresh(self, now: datetime) -> None:
        flow = self.flow
        self._show_decided(flow.decisions().get(self.option.key))
        self._show_pending(self._blocking())
        self._show_unpreserved(flow.mitigations.unpreserved_evidence(flow.incident_id))

    def selected_kind(self) -> StepKind:
        return StepKind(self.kind.currentData() or self._default_kind.value)

    def _select_kind(self, kind: StepKind) -> None:
        index = self.kind.findData(kind.value)
        self.kind.setCurrentIndex(index)  # -1 (none chosen) for an option of no plain kind

    def _kind_changed(self, _index: int) -> None:
        self._show_pending(self._blocking())
        self.edited.emit()

    def _blocking(self) -> list[Mitigation]:
        """The unverified changes this one would wait for, given its kind."""
        return blocking_changes(self.flow.all_mitigations(), self.selected_kind())

    def _show_decided(self, mitigation: Mitigation | None) -> None:
        self.decided.setVisible(mitigation is not None)
        if mitigation is None:
            return
        when = local_text(mitigation.decided_at, seconds=False)
        if mitigation.decision is Decision.APPLIED:
            outcome = mitigation.outcome or Outcome.PENDING
            state = outcome.label if not outcome.checked else f"it {outcome.label}"
            kind = (
                f" [{mitigation.kind.label}]" if mitigation.kind is not StepKind.UNSPECIFIED else ""
            )
            text = f"✔ Applied at {when}: {mitigation.action}{kind} ({state})."
        elif mitigation.decision is Decision.SKIPPED:
            text = f"✔ Skipped at {when}: {mitigation.reason}."
        elif mitigation.decision is Decision.REMOVED:
            text = f"✔ Containment removed at {when}: {mitigation.action}."
        else:
            text = f"✔ Marked not applicable at {when}."
        self.decided.setText(text + " Choose again to record a new decision.")

    def _show_unpreserved(self, pending: list[str]) -> None:
        self.preserve.setText(
            "⚠ Preserve before you change: this is a security incident and volatile evidence "
            f"is still pending ({', '.join(pending)}). Collect it or mark it not applicable "
            "first (Evidence, Ctrl+Shift+E in the incident), or give the reason to go ahead."
        )
        for widget in (self.preserve, self.preserve_reason, self._preserve_label):
            widget.setVisible(bool(pending))

    def _show_pending(self, pending: list[Mitigation]) -> None:
        names = ", ".join(f"“{m.subject}”" for m in pending)
        self.override.setText(
            f"⚠ {names} is still unverified. If you apply this now, you won't be able to "
            "tell which change fixed it. Check back first, or say why it cannot wait."
        )
        for widget in (self.override, self.override_reason, self._override_label):
            widget.setVisible(bool(pending))

    def _change_time_edited(self) -> None:
        self._change_time_typed = True
        self._time_from_triage = False
        self.change_time.setToolTip("")
        self._show_gap()
        self.edited.emit()

    def _show_gap(self) -> None:
        """How the change lines up with the impact start, once a time is typed."""
        if not self.option.asks_for_change:
            return
        started = self.flow.incident().impact_started_at
        since = f"Impact started {local_text(started, seconds=False)}."
        try:
            changed_at = self._changed_at()
        except ValueError as exc:
            self.gap.setText(f"{exc}. {since}")
            return
        if changed_at is None:
            self.gap.setText(f"{since} Type when the change was made to see how they line up.")
            return
        gap = change_gap_text(self.change_edit.text().strip(), changed_at, started)
        source = f" {FROM_TRIAGE}." if self._time_from_triage else ""
        self.gap.setText(f"{gap} (impact started {local_text(started, seconds=False)}).{source}")

    def _changed_at(self) -> datetime | None:
        """The time typed in "Made at"; raises ValueError when it is not a time."""
        started = self.flow.incident().impact_started_at
        return parse_typed_time(self.change_time.text(), near=started)

    def _change(self) -> ChangeFacts | None:
        """Which change and when, as typed; raises ValidationError for a time that is not one."""
        if not self.option.asks_for_change:
            return None
        try:
            changed_at = self._changed_at()
        except ValueError as exc:
            raise ValidationError("changed_at", f"{exc}.") from None
        if not self.change_edit.text().strip() and changed_at is None:
            return None
        return ChangeFacts(self.change_edit.text(), changed_at)

    def validatePage(self) -> bool:
        if self.flow.replaying:
            return True
        decision = self.decision()
        if decision is None:
            if self.option.key in self.flow.decisions() or self.flow.jumping:
                return True
            self.error.show_message(
                f"Choose what to do about “{self.option.title}”: Apply (Alt+A), "
                "Skip (Alt+S) or Not applicable (Alt+O)."
            )
            return False
        try:
            self.flow.decide(self, decision)
        except ChangePending as exc:
            self._show_pending(exc.pending)
            self.error.show_message(exc.message)
            self.override_reason.setFocus()
            return False
        except PreserveFirst as exc:
            self._show_unpreserved(exc.pending)
            self.error.show_message(exc.message)
            self.preserve_reason.setFocus()
            return False
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return False
        self.error.clear_message()
        self._clear()
        return True

    def record(self, decision: Decision) -> None:
        """Records what the page holds; raises ValidationError when it cannot."""
        service, incident_id = self.flow.mitigations, self.flow.incident_id
        if decision is Decision.APPLIED:
            service.apply(
                incident_id,
                self.option,
                action=self.action.text(),
                expected_effect=self.expected.text(),
                applied_by=self.applied_by.text(),
                check_back_minutes=self.check_back.value(),
                change=self._change(),
                override_reason=self.override_reason.text(),
                preserve_reason=self.preserve_reason.text(),
                kind=self.selected_kind(),
            )
        else:
            service.reject(
                incident_id,
                self.option,
                self.reason.text(),
                not_applicable=decision is Decision.NOT_APPLICABLE,
            )

    def _clear(self) -> None:
        self.choice.setExclusive(False)
        for radio in (self.apply_radio, self.skip_radio, self.na_radio):
            radio.setChecked(False)
        self.choice.setExclusive(True)
        for edit in (
            self.action,
            self.expected,
            self.override_reason,
            self.preserve_reason,
            self.reason,
        ):
            edit.clear()
        self._select_kind(self._default_kind)
        self._show_choice()

    def fields(self) -> dict[str, str]:
        decision = self.decision()
        typed = {
            "decision": decision.value if decision else "",
            "change": self.change_edit.text(),
            "changed_at": self.change_time.text() if self._change_time_typed else "",
            "action": self.action.text(),
            "applied_by": self.applied_by.text(),
            "expected": self.expected.text(),
            "check_back": str(self.check_back.value()),
            "override_reason": self.override_reason.text(),
            "preserve_reason": self.preserve_reason.text(),
            "reason": self.reason.text(),
            "kind": self.kind.currentData() or "",
        }
        if typed["kind"] == self._default_kind.value:
            del typed["kind"]
        if self.check_back.value() == int(DEFAULT_CHECK_BACK.total_seconds() // 60):
            del typed["check_back"]
        if self.applied_by.text() == self.flow.actor:
            del typed["applied_by"]
        return typed

    def restore(self, fields: dict[str, str]) -> None:
        for key, edit in (
            ("change", self.change_edit),
            ("action", self.action),
            ("applied_by", self.applied_by),
            ("expected", self.expected),
            ("override_reason", self.override_reason),
            ("preserve_reason", self.preserve_reason),
            ("reason", self.reason),
        ):
            edit.setText(fields.get(key, ""))
        if fields.get("check_back", "").isdigit():
            self.check_back.setValue(int(fields["check_back"]))
        if fields.get("kind") and self.kind.findData(fields["kind"]) >= 0:
            self._select_kind(StepKind(fields["kind"]))
        radios = {
            Decision.APPLIED.value: self.apply_radio,
            Decision.SKIPPED.value: self.skip_radio,
            Decision.NOT_APPLICABLE.value: self.na_radio,
        }
        if fields.get("decision") in radios:
            radios[fields["decision"]].setChecked(True)
        if fields.get("changed_at"):
            self.change_time.setText(fields["changed_at"])
            self._change_time_typed = True


# -- check back and verify ----------------------------------------------------------------------
class VerifyPage(FlowPage):
    """After an option is applied (`option`), or at the end of the playbook (None)."""

    def __init__(self, flow: MitigationWizard, option: MitigationOption | None) -> None:
        super().__init__(flow)
        self.option = option
        self.setTitle(
            f"Check back on “{option.title}”, then verify recovery" if option else "Verify recovery"
        )
        self.setSubTitle(
            "Each change is time-boxed: say whether it worked. Mark the incident mitigated "
            "only when a measurement shows users are no longer hurting."
        )
        self.check_backs = CheckBackBar(with_incident=False, parent=self, detailed=True)
        self.check_backs.answered.connect(self._answer)
        self.check_backs.outcome_chosen.connect(self._answer)
        self.check_backs.park_requested.connect(self.park)
        self.waiting_box = QWidget(self)
        self.waiting_on = QLineEdit(self.waiting_box)
        self.waiting_on.setAccessibleName("What a parked step waits on")
        self.waiting_on.setPlaceholderText("e.g. CDN vendor, ticket 5521")
        waiting_form = _form(self.waiting_box)
        waiting_form.setContentsMargins(0, 0, 0, 0)
        waiting_form.addRow("To park, waiting on", self.waiting_on)
        self.state = QLabel(self)
        self.state.setObjectName("stateLine")
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Where the mitigation stands")

        self.verify_box = QGroupBox("Verify recovery", self)
        self.check_kind = QComboBox(self.verify_box)
        self.check_kind.setAccessibleName("What showed recovery")
        for check in RecoveryCheck:
            self.check_kind.addItem(check.label.capitalize(), check.value)
        # No choice until the user makes one: the record must say what they saw.
        self.check_kind.setPlaceholderText("Choose how recovery was measured…")
        self.check_kind.setCurrentIndex(-1)
        self.check_kind.setMinimumContentsLength(len(self.check_kind.placeholderText()))
        self.check_kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.detail = QLineEdit(self.verify_box)
        self.detail.setAccessibleName("The measurement")
        self.detail.setPlaceholderText("e.g. 5xx at 0.04 % for 10 min (baseline 0.05 %)")
        self.link = QLineEdit(self.verify_box)
        self.link.setAccessibleName("Link (optional)")
        self.link.setPlaceholderText("Dashboard or query URL (optional)")
        self._watch(self.detail, self.link)
        # When it was measured: empty is now; from a chat log, its own time and zone.
        self.measured_at = TimeField(self.verify_box, near=flow.clock.now(), empty_text="now")
        self.measured_at.setAccessibleName("When recovery was measured")
        self.check_kind.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.mitigated_button = QPushButton("&Mark mitigated", self.verify_box)
        self.mitigated_button.setAutoDefault(False)
        self.mitigated_button.clicked.connect(self.mark_mitigated)
        # Enter in these fields records (or refuses, visibly); it must not also press the
        # wizard's default button, which would close it before the result shows.
        self._enter_records = EnterRecords(self.mark_mitigated, self)
        for edit in (self.detail, self.link, self.measured_at):
            edit.installEventFilter(self._enter_records)
        form = _form(self.verify_box)
        form.addRow("Check", self.check_kind)
        form.addRow("Measurement", self.detail)
        form.addRow("Link", self.link)
        form.addRow("Measured at", self.measured_at)
        form.addRow("", self.measured_at.message)
        form.addRow("", self.mitigated_button)
        self.done_label = _banner("decisionSummary")
        self.done_label.setAccessibleName("Mitigated")

        layout = QVBoxLayout(self)
        layout.addWidget(self.check_backs)
        layout.addWidget(self.waiting_box)
        layout.addWidget(self.state)
        layout.addWidget(self.verify_box)
        layout.addWidget(self.done_label)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.refresh(self.flow.clock.now())

    def refresh(self, now: datetime) -> None:
        flow = self.flow
        self.check_backs.set_pending(flow.pending_check_backs(), now)
        self.waiting_box.setVisible(bool(flow.pending()))
        incident = flow.incident()
        mitigated = incident.status.order >= incident.status.MITIGATED.order
        self.verify_box.setEnabled(not mitigated)
        self.done_label.setVisible(mitigated)
        if mitigated and incident.mitigated_at is not None:
            self.done_label.setText(
                f"✔ Mitigated at {local_text(incident.mitigated_at, seconds=False)}. "
                "Press Done; investigate next."
            )
        self.state.setText(flow.where_things_stand())
        # Not final by itself: this makes the wizard re-ask nextId(), so Next or Done follows
        # what is left to do.
        self.setFinalPage(False)

    def _answer(self, mitigation_id: int, answer: bool | str) -> None:
        try:
            checked = self.flow.mitigations.record_outcome(mitigation_id, answer)
        except ValidationError as exc:
            self.error.show_message(exc.message)
            return
        self.error.clear_message()
        self.flow.forget_cache()
        self.refresh(self.flow.clock.now())
        worked = checked.outcome is Outcome.WORKED
        (self.detail if worked else self.state).setFocus()

    def park(self, mitigation_id: int) -> None:
        """Parks the step: it waits on whoever "waiting on" names."""
        try:
            self.flow.mitigations.park(mitigation_id, self.waiting_on.text())
        except ValidationError as exc:
            self.error.show_message(exc.message)
            if exc.field == "waiting_on":
                self.waiting_on.setFocus()
            return
        self.error.clear_message()
        self.waiting_on.clear()
        self.flow.forget_cache()
        self.refresh(self.flow.clock.now())

    def mark_mitigated(self) -> None:
        when = self.measured_at.value()
        if self.measured_at.error_text():
            return  # the field says what is wrong; nothing is recorded
        try:
            self.flow.mitigations.mark_mitigated(
                self.flow.incident_id,
                self.check_kind.currentData() or "",
                self.detail.text(),
                self.link.text(),
                at=when,
            )
        except ValidationError as exc:
            self.error.show_message(exc.message)
            (self.check_kind if exc.field == "check" else self.detail).setFocus()
            return
        self.error.clear_message()
        self.check_kind.setCurrentIndex(-1)
        self.detail.clear()
        self.link.clear()
        self.measured_at.set_value(None)
        self.refresh(self.flow.clock.now())

    def fields(self) -> dict[str, str]:
        return {
            "check": self.check_kind.currentData() or "",
            "detail": self.detail.text(),
            "link": self.link.text(),
        }

    def restore(self, fields: dict[str, str]) -> None:
        self.check_kind.setCurrentIndex(self.check_kind.findData(fields.get("check", "")))
        self.detail.setText(fields.get("detail", ""))
        self.link.setText(fields.get("link", ""))
